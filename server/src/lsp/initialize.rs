//! `initialize` and `initialized`: capabilities, position encoding, roots, settings, indexing.

use super::convert::{self, Encoding};
use super::{indexing, settings, Backend};
use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;

pub fn initialize(b: &Backend, p: InitializeParams) -> Result<InitializeResult> {
    let caps = &p.capabilities;
    let utf8 = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
    let enc = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    *b.state
        .encoding
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = enc;
    // Tooltips are computed on `inlayHint/resolve` when the client can resolve them.
    b.state.resolve_tooltips.store(
        caps.text_document
            .as_ref()
            .and_then(|t| t.inlay_hint.as_ref())
            .and_then(|i| i.resolve_support.as_ref())
            .is_some_and(|r| r.properties.iter().any(|p| p == "tooltip")),
        Ordering::Relaxed,
    );
    let ws_caps = caps.workspace.as_ref();
    b.state.refresh_support.store(
        ws_caps
            .and_then(|w| w.inlay_hint.as_ref())
            .and_then(|i| i.refresh_support)
            .unwrap_or(false),
        Ordering::Relaxed,
    );
    b.state.watch_support.store(
        ws_caps
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        Ordering::Relaxed,
    );
    // Pulled only by a client that can also be asked to pull again
    // (`workspace/diagnostic/refresh`, after indexing, settings and files on disk change); pushed
    // to the others (Neovim 0.11 pulls but has no refresh support).
    b.state.pull_diagnostics.store(
        caps.text_document
            .as_ref()
            .and_then(|t| t.diagnostic.as_ref())
            .is_some()
            && caps
                .workspace
                .as_ref()
                .and_then(|w| w.diagnostic.as_ref())
                .and_then(|d| d.refresh_support)
                .unwrap_or(false),
        Ordering::Relaxed,
    );
    b.state.progress_support.store(
        caps.window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
        Ordering::Relaxed,
    );
    let mut roots = Vec::new();
    if let Some(folders) = &p.workspace_folders {
        roots.extend(folders.iter().filter_map(|f| convert::path(&f.uri)));
    }
    #[allow(deprecated)]
    if roots.is_empty() {
        if let Some(r) = p.root_uri.as_ref().and_then(convert::path) {
            roots.push(r);
        }
    }
    *b.state.roots.lock().unwrap_or_else(PoisonError::into_inner) = roots;
    *b.state
        .keras_setting
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = "auto".into();
    let auto = settings::resolve_keras(b, "auto");
    b.state.update(|ws| ws.settings.keras = auto);
    if let Some(opts) = &p.initialization_options {
        settings::apply(b, opts);
    }
    Ok(InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(if utf8 {
                PositionEncodingKind::UTF8
            } else {
                PositionEncodingKind::UTF16
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    ..Default::default()
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            inlay_hint_provider: Some(OneOf::Right(InlayHintServerCapabilities::Options(
                InlayHintOptions {
                    resolve_provider: Some(true),
                    work_done_progress_options: Default::default(),
                },
            ))),
            definition_provider: Some(OneOf::Left(true)),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![
                    CodeActionKind::QUICKFIX,
                    CodeActionKind::REFACTOR_REWRITE,
                ]),
                work_done_progress_options: Default::default(),
                resolve_provider: None,
            })),
            diagnostic_provider: b.state.pull_diagnostics.load(Ordering::Relaxed).then(|| {
                DiagnosticServerCapabilities::Options(DiagnosticOptions {
                    identifier: Some("keras-lsp".into()),
                    inter_file_dependencies: true,
                    workspace_diagnostics: false,
                    work_done_progress_options: Default::default(),
                })
            }),
            workspace: Some(WorkspaceServerCapabilities {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..Default::default()
        },
        server_info: Some(ServerInfo {
            name: "keras-lsp".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    })
}

pub async fn initialized(b: &Backend) {
    // Indexing starts first and waits on nothing the client does (issue 15, item 7).
    let client = b.client.clone();
    let state = b.state.clone();
    tokio::spawn(async move { indexing::index_roots(client, state).await });
    if b.state.watch_support.load(Ordering::Relaxed) {
        let opts = DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![FileSystemWatcher {
                glob_pattern: GlobPattern::String("**/*.py".into()),
                kind: None,
            }],
        };
        let reg = Registration {
            id: "keras-lsp-watch-py".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(opts).ok(),
        };
        // In its own task: this handler does not hold one of tower-lsp's request slots while
        // the client answers.
        let client = b.client.clone();
        tokio::spawn(async move {
            let _ = client.register_capability(vec![reg]).await;
        });
    }
}
