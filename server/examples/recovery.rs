//! Recovery while typing, measured over every `.py` file under `examples/` and
//! `tests/fixtures/keras3/` (see `tests/e2e/support/recovery.rs`):
//!
//! ```sh
//! cargo run --release --example recovery            # the figures
//! cargo run --release --example recovery -- -v      # and every variant that changed an answer
//! ```

#[path = "../../tests/e2e/support/recovery.rs"]
mod recovery;

fn main() {
    let verbose = std::env::args().any(|a| a == "-v" || a == "--verbose");
    let repo = recovery::repo();
    for (keep, title) in [
        (
            true,
            "while typing (the version before the edit was analysed, as in an editor)",
        ),
        (false, "opened broken (no earlier version)"),
    ] {
        println!("== {title}");
        let mut report = recovery::Report::default();
        let started = std::time::Instant::now();
        for root in ["examples", "tests/fixtures/keras3"] {
            recovery::measure(&repo.join(root), None, keep, &mut report);
        }
        report.print();
        println!("  ({:.1} s)", started.elapsed().as_secs_f64());
        if verbose {
            for (path, kind, line, changed, errors) in &report.independent_misses {
                let rel = path.strip_prefix(&repo).unwrap_or(path);
                println!(
                    "  {}:{line}: {kind}: {changed} independent calls changed, {errors} syntax errors",
                    rel.display()
                );
            }
            for (path, kind, line, compared, changed) in &report.misses {
                let rel = path.strip_prefix(&repo).unwrap_or(path);
                println!(
                    "  {}:{line}: {kind}: {changed}/{compared} calls changed",
                    rel.display()
                );
            }
        }
    }
}
