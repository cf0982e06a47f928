//! `textDocument/definition`.

use super::{convert, text_sync, Backend};
use crate::ide;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;

pub async fn goto_definition(
    b: &Backend,
    p: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    let pos = p.text_document_position_params;
    let Some((path, ws, version)) = text_sync::request_snapshot(b, &pos.text_document.uri).await
    else {
        return Ok(None);
    };
    let enc = b.state.encoding();
    let p2 = path.clone();
    let result = text_sync::run_blocking(move || {
        let file = ws.file(&p2)?.clone();
        let off = convert::offset(&file.line_index, &file.text, pos.position, enc)?;
        let targets = ide::definition(&ws, &p2, off);
        let mut locator = convert::Locator::new(&ws, enc);
        let locs: Vec<Location> = targets
            .into_iter()
            .filter_map(|t| locator.location(&t.path, t.span))
            .collect();
        if locs.is_empty() {
            None
        } else {
            Some(GotoDefinitionResponse::Array(locs))
        }
    })
    .await?;
    text_sync::check_version(b, &path, version)?;
    Ok(result)
}
