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
