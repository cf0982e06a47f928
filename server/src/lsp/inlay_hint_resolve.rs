//! `inlayHint/resolve`: fills in the tooltip (the layer call's hover text) of a hint made by
//! `textDocument/inlayHint` for a client that resolves tooltips lazily.

use super::{text_sync, Backend};
use crate::ide;
use serde::{Deserialize, Serialize};
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;

/// The `data` of a hint: its document, the byte offset of the layer call's end, and the document
/// version the hint was made for (`None` for a file that is not open).
#[derive(Serialize, Deserialize)]
pub struct HintData {
    pub uri: Url,
    pub offset: u32,
    pub version: Option<i32>,
}

pub async fn inlay_hint_resolve(b: &Backend, mut hint: InlayHint) -> Result<InlayHint> {
    let Some(data) = hint
        .data
        .clone()
        .and_then(|d| serde_json::from_value::<HintData>(d).ok())
    else {
        return Ok(hint);
    };
    let Some(path) = super::convert::path(&data.uri) else {
        return Ok(hint);
    };
    let Some((ws, version)) = text_sync::snapshot_for(b, &path).await else {
        return Ok(hint);
    };
    // A hint made for another version of the document: its offset may point elsewhere now.
    if version != data.version {
        return Ok(hint);
    }
    let ws = super::imports::ensure(b, ws, &path).await;
    let p2 = path.clone();
    let tooltip = text_sync::run_blocking(move || {
        let file = ws.file(&p2)?.clone();
        text_sync::test_panic_hook(&file.text);
        ide::inlay_hint_tooltip(&ws, &p2, data.offset)
    })
    .await?;
    text_sync::check_version(b, &path, version)?;
    if let Some(value) = tooltip {
        hint.tooltip = Some(InlayHintTooltip::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }));
    }
    Ok(hint)
}
