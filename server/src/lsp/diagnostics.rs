//! `textDocument/publishDiagnostics`: the statements keras-lsp could not parse and left out, so a
//! user sees why a layer there has no hint. Information severity: the Python language server
//! already reports syntax errors; this says what keras-lsp skipped (and PEP 701 f-strings, which
//! are valid Python that the parser rejects).

use super::{convert, Backend};
use crate::analysis::Workspace;
use crate::syntax::parse::ErrorEffect;
use std::path::Path;
use std::sync::Arc;
use tower_lsp::lsp_types::*;

/// Publishes the skipped statements of `path` for `version`.
pub async fn publish(b: &Backend, ws: &Arc<Workspace>, path: &Path, version: Option<i32>) {
    let Some(file) = ws.file(path) else { return };
    let Some(uri) = convert::uri(path) else {
        return;
    };
    let enc = b.state.encoding();
    let diags: Vec<Diagnostic> = file
        .errors
        .iter()
        .map(|e| Diagnostic {
            range: convert::range(&file.line_index, &file.text, e.range.0, e.range.1, enc),
            severity: Some(DiagnosticSeverity::INFORMATION),
            source: Some("keras-lsp".into()),
            message: match e.effect {
                ErrorEffect::KeptLastGood { .. } => e.message.clone(),
                _ => format!("{} (no initializer answers here)", e.message),
            },
            ..Default::default()
        })
        .collect();
    b.client.publish_diagnostics(uri, diags, version).await;
}
