//! `textDocument/hover`.

use super::{convert, text_sync, Backend};
use crate::ide;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;

pub async fn hover(b: &Backend, p: HoverParams) -> Result<Option<Hover>> {
    let pos = p.text_document_position_params;
    let Some((path, ws, version)) = text_sync::request_snapshot(b, &pos.text_document.uri).await
    else {
        return Ok(None);
    };
    let enc = b.state.encoding();
    // Answers prepared in the background (`super::precompute`) are read here, without a hop to
    // another thread; a panic falls through to the path below, which reports it.
    let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let file = ws.file(&path)?;
        text_sync::test_panic_hook(&file.text);
        let off = convert::offset(&file.line_index, &file.text, pos.position, enc)?;
        let h = ide::hover_if_prepared(&ws, &path, off)?;
        Some(to_lsp(file, h, enc))
    }));
    if let Ok(Some(h)) = prepared {
        tracing::debug!("hover in {}: answers prepared", path.display());
        text_sync::check_version(b, &path, version)?;
        return Ok(Some(h));
    }
    let p2 = path.clone();
    let result = text_sync::run_blocking(move || {
        let file = ws.file(&p2)?.clone();
        text_sync::test_panic_hook(&file.text);
        let off = convert::offset(&file.line_index, &file.text, pos.position, enc)?;
        tracing::debug!(
            "hover in {}: answers {}",
            p2.display(),
            if ide::is_prepared(&ws, &p2) {
                "prepared"
            } else {
                "computed on demand"
            }
        );
        let h = ide::hover(&ws, &p2, off)?;
        Some(to_lsp(&file, h, enc))
    })
    .await?;
    text_sync::check_version(b, &path, version)?;
    Ok(result)
}

fn to_lsp(file: &crate::analysis::FileAnalysis, h: ide::Hover, enc: convert::Encoding) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: h.markdown,
        }),
        range: Some(convert::range(
            &file.line_index,
            &file.text,
            h.span.start,
            h.span.end,
            enc,
        )),
    }
}
