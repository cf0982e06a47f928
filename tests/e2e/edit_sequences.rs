//! Property test: random sequences of LSP edits (UTF-16 ranges that may point past line ends, past
//! the last line, or into a surrogate pair; texts with CR, LF, brackets, quotes, non-BMP
//! characters) applied with the server's `apply_changes`, then analysed. Invariants: no panic; the
//! edited text equals an independent model of the LSP rules; inlay hints sorted and inside the
//! document; every hint, hover and call position a valid UTF-16 position that converts back.
//!
//! `cargo test --test edit_sequences` runs 256 cases; `PROPTEST_CASES=20000 cargo test --release
//! --test edit_sequences` is the long run.

use keras_lsp::analysis::Workspace;
use keras_lsp::lsp::{apply_changes, convert, Encoding};
use keras_lsp::syntax::ir::Span;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use tower_lsp::lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// Line starts (byte offsets) by the LSP rules: `\n`, `\r\n`, lone `\r`.
fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = vec![0];
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            out.push(i + 1);
        }
        i += 1;
    }
    out
}

/// The model: a position to a byte offset. A missing line is the end of the document; a column
/// past the line end is the line end; a column inside a character is its start.
fn model_offset(text: &str, p: Position) -> usize {
    let starts = line_starts(text);
    let Some(&start) = starts.get(p.line as usize) else {
        return text.len();
    };
    let mut end = starts
        .get(p.line as usize + 1)
        .copied()
        .unwrap_or(text.len());
    while end > start && matches!(text.as_bytes()[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let mut units = 0u32;
    for (i, c) in text[start..end].char_indices() {
        if units + c.len_utf16() as u32 > p.character {
            return start + i;
        }
        units += c.len_utf16() as u32;
    }
    end
}

/// The model: a byte offset (a char boundary) to a position.
fn model_position(text: &str, offset: usize) -> Position {
    let starts = line_starts(text);
    let line = starts.partition_point(|&s| s <= offset) - 1;
    let col: usize = text[starts[line]..offset]
        .chars()
        .map(char::len_utf16)
        .sum();
    Position::new(line as u32, col as u32)
}

fn valid(text: &str, p: Position) -> bool {
    let starts = line_starts(text);
    let Some(&start) = starts.get(p.line as usize) else {
        return false;
    };
    let mut end = starts
        .get(p.line as usize + 1)
        .copied()
        .unwrap_or(text.len());
    while end > start && matches!(text.as_bytes()[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    // On a character boundary in UTF-16: not inside a surrogate pair.
    let mut units = 0u32;
    for c in text[start..end].chars() {
        if units == p.character {
            return true;
        }
        units += c.len_utf16() as u32;
        if units > p.character {
            return false;
        }
    }
    units == p.character
}

const SEEDS: [&str; 4] = [
    "import keras\nfrom keras import layers\n\nd = layers.Dense(4, kernel_initializer=\"he_normal\")\n",
    "from keras import layers, initializers\ninit = initializers.RandomNormal(stddev=0.02)\ndef block(x, units=8):\n    return layers.Dense(units, kernel_initializer=init)(x)\nclass M(keras.Model):\n    def __init__(self):\n        self.a = layers.LSTM(3)\n",
    "import keras\r\ns = '😀é'; e = keras.layers.Embedding(10, 4)\r\nc = keras.layers.Conv2D(8, 3,\r\n    bias_initializer='ones')\r",
    "",
];

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("layers.Dense(".to_string()),
        Just(")".to_string()),
        Just("(".to_string()),
        Just(":".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\r".to_string()),
        Just("\"".to_string()),
        Just("'''".to_string()),
        Just("f\"{x[\"k\"]}\"".to_string()),
        Just("    ".to_string()),
        Just("\t".to_string()),
        Just("😀".to_string()),
        Just("é".to_string()),
        Just("\u{feff}".to_string()),
        Just("\0".to_string()),
        Just("kernel_initializer=\"he_normal\"".to_string()),
        Just("d = layers.Dense(3)\n".to_string()),
        Just("def f(x):\n".to_string()),
        "[a-z_ =,.]{0,6}",
    ]
}

fn edit() -> impl Strategy<Value = TextDocumentContentChangeEvent> {
    let pos = || (0u32..12, 0u32..50).prop_map(|(l, c)| Position::new(l, c));
    (pos(), pos(), prop::collection::vec(piece(), 0..4), 0u8..20).prop_map(
        |(a, b, pieces, full)| TextDocumentContentChangeEvent {
            range: (full != 0).then_some(Range::new(a, b)),
            range_length: None,
            text: pieces.concat(),
        },
    )
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let path = Path::new("/edits/model.py");
    let fa = keras_lsp::index::analyse(path, text.to_string(), &[PathBuf::from("/edits")]);
    let mut ws = Workspace::new(Default::default());
    ws.insert(fa.clone());
    let idx = &fa.line_index;
    for c in ws.layer_calls(path).iter() {
        prop_assert!(c.span.start <= c.span.end && c.span.end as usize <= text.len());
        prop_assert!(text.is_char_boundary(c.span.start as usize));
    }
    let hints = keras_lsp::ide::inlay_hints(&ws, path, Span::new(0, text.len() as u32));
    for w in hints.windows(2) {
        prop_assert!(w[0].offset <= w[1].offset, "hints sorted");
    }
    for h in &hints {
        prop_assert!(h.offset as usize <= text.len() && text.is_char_boundary(h.offset as usize));
        let p = convert::position(idx, text, h.offset, Encoding::Utf16);
        prop_assert_eq!(p, model_position(text, h.offset as usize));
        prop_assert!(valid(text, p), "{:?} is not a valid position", p);
        prop_assert_eq!(
            convert::offset(idx, text, p, Encoding::Utf16),
            Some(h.offset)
        );
    }
    for off in (0..=text.len()).step_by(7) {
        if !text.is_char_boundary(off) {
            continue;
        }
        if let Some(h) = keras_lsp::ide::hover(&ws, path, off as u32) {
            for o in [h.span.start, h.span.end] {
                let p = convert::position(idx, text, o, Encoding::Utf16);
                prop_assert!(valid(text, p));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_edit_sequences_keep_the_invariants(
        seed in 0usize..SEEDS.len(),
        edits in prop::collection::vec(edit(), 1..8),
    ) {
        let mut text = SEEDS[seed].to_string();
        for e in edits {
            let expected = match &e.range {
                None => e.text.clone(),
                Some(r) => {
                    let (a, z) = (model_offset(&text, r.start), model_offset(&text, r.end));
                    let (a, z) = (a.min(z), a.max(z));
                    format!("{}{}{}", &text[..a], e.text, &text[z..])
                }
            };
            text = apply_changes(&text, vec![e], Encoding::Utf16);
            prop_assert_eq!(&text, &expected);
            check(&text)?;
        }
    }
}
