//! Hover and inlay hints compute only the layer calls they show
//! (`Workspace::layer_calls_where`); these must be exactly the answers of the whole file
//! (`Workspace::layer_calls`, which the differential test checks against real Keras), on every
//! example and fixture, whether a call is asked alone, in a range, or after the whole file.

use keras_lsp::analysis::Settings;
use keras_lsp::index::{self, WalkOptions};
use keras_lsp::syntax::ir::Span;
use std::path::Path;

fn check_root(root: &Path) -> usize {
    let root = root.canonicalize().unwrap();
    let opts = WalkOptions::default();
    let ws = index::load(std::slice::from_ref(&root), Settings::default(), &opts);
    let mut checked = 0;
    for path in index::python_files(&root, &opts) {
        let whole = ws.layer_calls(&path);
        // Each call alone, on a fresh snapshot (nothing memoized).
        let fresh = ws.clone();
        for c in whole.iter() {
            let alone = fresh.layer_calls_where(&path, |x| x.span == c.span);
            assert_eq!(
                *alone,
                vec![c.clone()],
                "{}: call at {:?}",
                path.display(),
                c.span
            );
            checked += 1;
        }
        // The second half of the file as a range, then every call: from the memo of single calls.
        let text_len = ws.file(&path).map_or(0, |f| f.text.len() as u32);
        let range = Span::new(text_len / 2, text_len);
        let fresh = ws.clone();
        let half = fresh.layer_calls_where(&path, |x| range.contains(x.span.end));
        let expected: Vec<_> = whole
            .iter()
            .filter(|c| range.contains(c.span.end))
            .cloned()
            .collect();
        assert_eq!(*half, expected, "{}", path.display());
        assert_eq!(
            *fresh.layer_calls_where(&path, |_| true),
            whole.to_vec(),
            "{}",
            path.display()
        );
        // After the whole file: read from it.
        assert_eq!(
            *ws.layer_calls_where(&path, |x| range.contains(x.span.end)),
            expected
        );
    }
    checked
}

#[test]
fn single_calls_and_ranges_get_the_answers_of_the_whole_file() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut n = 0;
    for root in ["examples", "tests/fixtures/keras3", "tests/e2e/workspace"] {
        n += check_root(&repo.join(root));
    }
    assert!(n > 300, "{n} layer calls checked");
}
