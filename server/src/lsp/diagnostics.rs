//! Diagnostics: pushed (`textDocument/publishDiagnostics`) for every open document after
//! `didOpen`, after changes (debounced), when indexing ends and when settings or files on disk
//! change; or pulled (`textDocument/diagnostic`) when the client offers it, with
//! `workspace/diagnostic/refresh` where a push would have been sent. The rules are in
//! `crate::ide::diagnostics`.

use super::{convert, text_sync, Backend};
use crate::analysis::Workspace;
use crate::ide::diagnostics::{self as rules, Severity};
use std::path::Path;
use std::sync::atomic::Ordering;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;

/// How long typing must pause before the open documents' diagnostics are recomputed.
const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(250);

/// The LSP form of the diagnostics of `path` in `ws`.
pub fn compute(b: &Backend, ws: &Workspace, path: &Path) -> Vec<Diagnostic> {
    let enc = b.state.encoding();
    let sel = b.state.diagnostic_selection();
    let mut locator = convert::Locator::new(ws, enc);
    rules::file_diagnostics(ws, path, &sel)
        .into_iter()
        .filter_map(|d| to_lsp(ws, &d, enc, &mut locator))
        .collect()
}

/// One diagnostic in LSP terms (`None` when its file is not in `ws`).
pub fn to_lsp(
    ws: &Workspace,
    d: &rules::Diagnostic,
    enc: convert::Encoding,
    locator: &mut convert::Locator,
) -> Option<Diagnostic> {
    let file = ws.file(&d.path)?;
    Some(Diagnostic {
        range: convert::range(&file.line_index, &file.text, d.span.start, d.span.end, enc),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Information => DiagnosticSeverity::INFORMATION,
            Severity::Hint => DiagnosticSeverity::HINT,
        }),
        code: Some(NumberOrString::String(d.code.as_str().into())),
        code_description: Url::parse(&d.code.url())
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("keras-lsp".into()),
        message: d.message.clone(),
        related_information: (!d.related.is_empty()).then(|| {
            d.related
                .iter()
                .filter_map(|r| {
                    Some(DiagnosticRelatedInformation {
                        location: locator.location(&r.path, r.span)?,
                        message: r.message.clone(),
                    })
                })
                .collect()
        }),
        tags: d.unnecessary.then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: None,
    })
}

/// Recomputes and publishes the diagnostics of every open document once `generation` is still the
/// latest after [`DEBOUNCE`] (a later change schedules its own run). With pull diagnostics, asks
/// the client to pull again instead.
pub fn schedule(b: &Backend) {
    let generation = b.state.diag_generation.fetch_add(1, Ordering::SeqCst) + 1;
    let me = Backend {
        client: b.client.clone(),
        state: b.state.clone(),
    };
    tokio::spawn(async move {
        tokio::time::sleep(DEBOUNCE).await;
        if me.state.diag_generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if me.state.pull_diagnostics.load(Ordering::Relaxed) {
            let _ = me.client.workspace_diagnostic_refresh().await;
            return;
        }
        let open: Vec<std::path::PathBuf> = me.state.docs.iter().map(|d| d.key().clone()).collect();
        for path in open {
            if me.state.diag_generation.load(Ordering::SeqCst) != generation {
                return;
            }
            publish(&me, &path).await;
        }
    });
}

/// Computes and publishes the diagnostics of `path` at its current version.
async fn publish(b: &Backend, path: &Path) {
    let Some((ws, version)) = text_sync::snapshot_for(b, path).await else {
        return;
    };
    let ws = super::imports::ensure(b, ws, path).await;
    let me = Backend {
        client: b.client.clone(),
        state: b.state.clone(),
    };
    let p = path.to_path_buf();
    let Ok(diags) = text_sync::run_blocking(move || compute(&me, &ws, &p)).await else {
        return;
    };
    // Published only for the version it was computed for (a later change schedules another run).
    if version.is_some() && b.state.doc(path).map(|d| d.version) != version {
        return;
    }
    let Some(uri) = convert::uri(path) else {
        return;
    };
    b.client.publish_diagnostics(uri, diags, version).await;
}

/// Clears the diagnostics of a document that was closed.
pub async fn clear(b: &Backend, uri: Url) {
    if !b.state.pull_diagnostics.load(Ordering::Relaxed) {
        b.client.publish_diagnostics(uri, Vec::new(), None).await;
    }
}

/// `textDocument/diagnostic`: the full report for the document.
pub async fn pull(
    b: &Backend,
    p: DocumentDiagnosticParams,
) -> Result<DocumentDiagnosticReportResult> {
    let empty = || {
        DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
            RelatedFullDocumentDiagnosticReport::default(),
        ))
    };
    let Some((path, ws, version)) = text_sync::request_snapshot(b, &p.text_document.uri).await
    else {
        return Ok(empty());
    };
    let me = Backend {
        client: b.client.clone(),
        state: b.state.clone(),
    };
    let p2 = path.clone();
    let items = text_sync::run_blocking(move || compute(&me, &ws, &p2)).await?;
    text_sync::check_version(b, &path, version)?;
    Ok(DocumentDiagnosticReportResult::Report(
        DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport {
                result_id: None,
                items,
            },
        }),
    ))
}
