//! `textDocument/inlayHint`.

use super::{convert, text_sync, Backend};
use crate::analysis::{FileAnalysis, Workspace};
use crate::ide;
use crate::syntax::ir::Span;
use std::sync::atomic::Ordering;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;

pub async fn inlay_hint(b: &Backend, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
    if !b.state.hints_enabled() {
        return Ok(Some(vec![]));
    }
    let Some((path, ws, version)) = text_sync::request_snapshot(b, &p.text_document.uri).await
    else {
        return Ok(None);
    };
    let enc = b.state.encoding();
    let lazy = b.state.resolve_tooltips.load(Ordering::Relaxed);
    let range_of = move |file: &FileAnalysis| {
        let idx = &file.line_index;
        let start = convert::offset(idx, &file.text, p.range.start, enc).unwrap_or(0);
        let end =
            convert::offset(idx, &file.text, p.range.end, enc).unwrap_or(file.text.len() as u32);
        Span::new(start, end)
    };
    let uri = p.text_document.uri;
    // Answers prepared in the background (`super::precompute`) are read here, without a hop to
    // another thread; a panic falls through to the path below, which reports it.
    let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let file = ws.file(&path)?;
        text_sync::test_panic_hook(&file.text);
        let hints = ide::inlay_hints_if_prepared(&ws, &path, range_of(file), !lazy)?;
        // A label that links into a file whose text is not kept is read from disk, off this task.
        let reads_disk = hints.iter().flat_map(|h| &h.parts).any(|part| {
            part.target
                .as_ref()
                .is_some_and(|(tp, _)| ws.file(tp).is_none_or(|f| f.text_on_disk))
        });
        // Many hints are converted off this task too (it serves every other request meanwhile).
        if reads_disk || hints.len() > 256 {
            return None;
        }
        Some(to_lsp(&ws, file, hints, enc, lazy, &uri, version))
    }));
    if let Ok(Some(hints)) = prepared {
        text_sync::check_version(b, &path, version)?;
        return Ok(Some(hints));
    }
    let p2 = path.clone();
    let hints = text_sync::run_blocking(move || {
        let file = ws.file(&p2)?.clone();
        text_sync::test_panic_hook(&file.text);
        let range = range_of(&file);
        let hints = if lazy {
            ide::inlay_hints(&ws, &p2, range)
        } else {
            ide::inlay_hints_with_tooltips(&ws, &p2, range)
        };
        Some(to_lsp(&ws, &file, hints, enc, lazy, &uri, version))
    })
    .await?;
    text_sync::check_version(b, &path, version)?;
    Ok(hints)
}

/// The hints in LSP terms; with `lazy`, each carries what `inlayHint/resolve` needs.
fn to_lsp(
    ws: &Workspace,
    file: &FileAnalysis,
    hints: Vec<ide::InlayHint>,
    enc: convert::Encoding,
    lazy: bool,
    uri: &Url,
    version: Option<i32>,
) -> Vec<InlayHint> {
    let idx = &file.line_index;
    let mut locator = convert::Locator::new(ws, enc);
    hints
        .into_iter()
        .map(|h| {
            let parts: Vec<InlayHintLabelPart> = h
                .parts
                .into_iter()
                .map(|part| InlayHintLabelPart {
                    value: part.text,
                    tooltip: None,
                    location: part
                        .target
                        .and_then(|(tp, span)| locator.location(&tp, span)),
                    command: None,
                })
                .collect();
            InlayHint {
                position: convert::position(idx, &file.text, h.offset, enc),
                label: InlayHintLabel::LabelParts(parts),
                kind: None,
                text_edits: None,
                tooltip: h.tooltip.map(|value| {
                    InlayHintTooltip::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value,
                    })
                }),
                padding_left: Some(true),
                padding_right: h.padding_right.then_some(true),
                // What `inlayHint/resolve` needs to find the call again.
                data: lazy.then(|| {
                    serde_json::to_value(super::inlay_hint_resolve::HintData {
                        uri: uri.clone(),
                        offset: h.offset,
                        version,
                    })
                    .unwrap_or_default()
                }),
            }
        })
        .collect()
}
