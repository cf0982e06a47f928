//! `textDocument/codeAction`: the quick fixes of keras-lsp's diagnostics and the refactor "make
//! the initializer explicit" (see `crate::ide::actions`).

use super::{convert, text_sync, Backend};
use crate::ide::actions::{self, ActionKind};
use crate::syntax::ir::Span;
use std::collections::HashMap;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;

pub async fn code_action(b: &Backend, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let Some((path, ws, version)) = text_sync::request_snapshot(b, &p.text_document.uri).await
    else {
        return Ok(None);
    };
    let enc = b.state.encoding();
    let sel = b.state.diagnostic_selection();
    let only = p.context.only.clone();
    let uri = p.text_document.uri.clone();
    let p2 = path.clone();
    let result = text_sync::run_blocking(move || {
        let file = ws.file(&p2)?.clone();
        let idx = &file.line_index;
        let start = convert::offset(idx, &file.text, p.range.start, enc)?;
        let end = convert::offset(idx, &file.text, p.range.end, enc).unwrap_or(start);
        let mut locator = convert::Locator::new(&ws, enc);
        let wanted = |k: &CodeActionKind| {
            only.as_ref()
                .is_none_or(|o| o.iter().any(|w| k.as_str().starts_with(w.as_str())))
        };
        let out: Vec<CodeActionOrCommand> =
            actions::code_actions(&ws, &p2, Span::new(start, end), &sel)
                .into_iter()
                .filter_map(|a| {
                    let kind = match a.kind {
                        ActionKind::QuickFix => CodeActionKind::QUICKFIX,
                        ActionKind::Refactor => CodeActionKind::REFACTOR_REWRITE,
                    };
                    if !wanted(&kind) {
                        return None;
                    }
                    let edits: Vec<TextEdit> = a
                        .edits
                        .iter()
                        .map(|e| TextEdit {
                            range: convert::range(idx, &file.text, e.span.start, e.span.end, enc),
                            new_text: e.new_text.clone(),
                        })
                        .collect();
                    Some(CodeActionOrCommand::CodeAction(CodeAction {
                        title: a.title,
                        kind: Some(kind),
                        diagnostics: a
                            .diagnostic
                            .as_ref()
                            .and_then(|d| super::diagnostics::to_lsp(&ws, d, enc, &mut locator))
                            .map(|d| vec![d]),
                        edit: Some(WorkspaceEdit {
                            changes: Some(HashMap::from([(uri.clone(), edits)])),
                            ..Default::default()
                        }),
                        command: None,
                        is_preferred: a.preferred.then_some(true),
                        disabled: None,
                        data: None,
                    }))
                })
                .collect();
        Some(out)
    })
    .await?;
    text_sync::check_version(b, &path, version)?;
    Ok(result)
}
