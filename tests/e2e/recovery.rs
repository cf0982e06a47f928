//! Recovery while typing, guarded in CI on a subset (`examples/` and a few fixtures); the full
//! measurement is `cargo run --release --example recovery` (see `tests/e2e/support/recovery.rs`).

#[path = "support/recovery.rs"]
mod recovery;

fn measure(keep_last_good: bool) -> recovery::Report {
    let repo = recovery::repo();
    let mut report = recovery::Report::default();
    recovery::measure(&repo.join("examples"), None, keep_last_good, &mut report);
    recovery::measure(
        &repo.join("tests/fixtures/keras3"),
        Some(&[
            "dense_string_ids.py",
            "partial_and_kwargs.py",
            "wrappers.py",
            "unicode_and_layout.py",
            "transformer_encoder.py",
            "subclassed_dense.py",
        ]),
        keep_last_good,
        &mut report,
    );
    report.print();
    report
}

/// While typing: the file was analysed before the edit broke it.
#[test]
fn answers_outside_a_broken_statement_survive_typing() {
    let report = measure(true);
    let t = &report.total;
    assert!(t.variants > 500, "{t:?}");
    assert!(
        t.percent() >= 95.0,
        "{:.2}% of calls outside the broken statement kept their answers",
        t.percent()
    );
}

/// A file opened broken: no earlier version to keep statements from.
#[test]
fn answers_outside_a_broken_statement_survive_a_cold_open() {
    let report = measure(false);
    let t = &report.total;
    assert!(t.variants > 500, "{t:?}");
    // Calls whose answers do not depend on the broken statement keep them.
    assert!(
        t.independent_percent() >= 95.0,
        "{:.2}% of independent calls kept their answers",
        t.independent_percent()
    );
    // Every call outside it, dependent ones included (a call that reads a variable the broken
    // statement binds changes legitimately): a regression guard below the measured figure.
    assert!(
        t.percent() >= 85.0,
        "{:.2}% of calls kept their answers",
        t.percent()
    );
}

/// A statement indented wrongly in the middle of a block (issue 15, item 13; it cost every
/// answer of the function and a diagnostic per following line): only that statement is left out,
/// the rest of the block keeps its answers, and it is one syntax error.
#[test]
fn a_wrong_indentation_costs_only_its_statement() {
    let report = measure(false);
    let t = &report.by_kind["wrong indentation"];
    assert!(t.variants > 80, "{t:?}");
    assert_eq!(t.several_errors, 0, "{t:?}");
    assert_eq!(t.lost, 0, "{t:?}");
    // Calls outside it whose answers do not depend on it (a call that reads what it binds, or a
    // compound header's parameters, changes legitimately).
    assert!(
        t.independent_percent() >= 99.0,
        "{:.2}% of independent calls kept their answers: {t:?}",
        t.independent_percent()
    );
}
