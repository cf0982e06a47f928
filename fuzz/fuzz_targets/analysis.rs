//! Parse + lower + layer calls + hover at every offset + inlay hints, on arbitrary text edited by
//! one keystroke (so a statement it breaks may be kept in its last version that parsed).
//! Invariants: no panic; hints sorted and inside the document; every hint and hover position
//! converts to a valid UTF-16 position and back.
#![no_main]

use keras_lsp::analysis::Workspace;
use keras_lsp::syntax::ir::Span;
use keras_lsp::syntax::{ColumnUnit, LineIndex};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fn check_position(text: &str, idx: &LineIndex, offset: u32) {
    assert!(offset as usize <= text.len(), "offset {offset} past the end");
    let lc = idx.to_line_col(text, offset, ColumnUnit::Utf16);
    let (a, z) = idx.line_range(text, lc.line).expect("line exists");
    let line_utf16: u32 = text[a as usize..z as usize].chars().map(|c| c.len_utf16() as u32).sum();
    assert!(lc.col <= line_utf16, "column {} past the line ({line_utf16})", lc.col);
    let back = idx.to_offset(text, lc, ColumnUnit::Utf16).expect("round trip");
    assert!(text.is_char_boundary(back as usize));
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/model.py");
    let roots = [Path::new("/fuzz").to_path_buf()];
    // The input is the version before a keystroke; the keystroke deletes its middle character,
    // so the analysis also runs the keeping of a broken statement's last version that parsed.
    let before = keras_lsp::index::analyse(path, input.to_string(), &roots);
    let mut mid = input.len() / 2;
    while !input.is_char_boundary(mid) {
        mid -= 1;
    }
    let mut edited = input.to_string();
    if mid < edited.len() {
        edited.remove(mid);
    }
    let text = edited.as_str();
    let fa = keras_lsp::index::analyse_after(path, std::sync::Arc::from(text), &roots, Some(&before));
    let mut ws = Workspace::new(Default::default());
    ws.insert(fa.clone());
    let calls = ws.layer_calls(path);
    let idx = &fa.line_index;
    for c in calls.iter() {
        assert!(c.span.start <= c.span.end && c.span.end as usize <= text.len());
        check_position(text, idx, c.span.start);
        check_position(text, idx, c.span.end);
    }
    let hints = keras_lsp::ide::inlay_hints(&ws, path, Span::new(0, text.len() as u32));
    for w in hints.windows(2) {
        assert!(w[0].offset <= w[1].offset, "hints sorted");
    }
    for h in &hints {
        check_position(text, idx, h.offset);
    }
    // Hover and definition at every character boundary of short inputs; on longer ones at 256
    // evenly spaced offsets plus every offset inside a layer call's callee name (hover at every
    // offset of a long input made runs take about a second each).
    let mut offsets: Vec<usize> = if text.len() <= 256 {
        (0..=text.len()).collect()
    } else {
        let step = text.len() / 256 + 1;
        (0..=text.len()).step_by(step).chain([text.len()]).collect()
    };
    for c in calls.iter() {
        offsets.extend(c.callee_span.start as usize..=c.callee_span.end as usize);
    }
    offsets.sort_unstable();
    offsets.dedup();
    for off in offsets.into_iter().filter(|&o| text.is_char_boundary(o)) {
        if let Some(h) = keras_lsp::ide::hover(&ws, path, off as u32) {
            check_position(text, idx, h.span.start);
            check_position(text, idx, h.span.end);
        }
        let _ = keras_lsp::ide::definition(&ws, path, off as u32);
    }
    // Every hint's tooltip (`inlayHint/resolve`).
    for h in &hints {
        let _ = keras_lsp::ide::inlay_hint_tooltip(&ws, path, h.offset);
    }
});
