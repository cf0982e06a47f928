//! Recovery while typing, guarded in CI on a subset (`examples/` and a few fixtures); the full
//! measurement is `cargo run --release --example recovery` (see `tests/e2e/support/recovery.rs`).

#[path = "support/recovery.rs"]
mod recovery;

#[test]
fn answers_outside_a_broken_statement_survive_typing() {
    let repo = recovery::repo();
    let mut report = recovery::Report::default();
    recovery::measure(&repo.join("examples"), None, &mut report);
    recovery::measure(
        &repo.join("tests/fixtures/keras3"),
        Some(&[
            "dense_string_ids.py",
            "partial_and_kwargs.py",
            "wrappers.py",
            "unicode_and_layout.py",
        ]),
        &mut report,
    );
    report.print();
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
