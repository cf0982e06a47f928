//! The LSP layer: thin, one file per method. It converts LSP positions to byte offsets, calls the
//! analysis on a blocking thread, and converts the answers back.
//!
//! Guarantees (tested by `tests/e2e/robustness.rs` and `tests/e2e/stress.rs`):
//! - edits are applied in order, before any `.await`; a request is answered for the version of the
//!   document it was sent after, or fails with `ContentModified` (-32801) when the document changed
//!   while it was computed; every open document is analysed at its current text;
//! - analysis runs off the serve task; a panic in it becomes an `InternalError` response and the
//!   server keeps serving (locks ignore poisoning). Answers computed ahead in the background
//!   (`precompute`) are read on the serve task, which computes nothing itself;
//! - files are read from disk only inside the workspace folders (symlinks resolved), up to
//!   `maxFileSize`.
//!
//! Test hook: `KERAS_LSP_TEST_PANIC=1` makes hover and inlay hints panic on a file containing
//! `__keras_lsp_panic__` (see [`text_sync::test_panic_hook`]); without the variable it does nothing.

mod code_action;
pub mod convert;
mod definition;
mod diagnostics;
mod hover;
mod imports;
mod indexing;
mod initialize;
mod inlay_hint;
mod inlay_hint_refresh;
mod inlay_hint_resolve;
mod lifecycle;
mod precompute;
mod settings;
mod state;
mod text_sync;
mod transport;

pub use convert::Encoding;
pub use state::State;
pub use text_sync::apply_changes;

use std::sync::Arc;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer, LspService, Server};

/// The server: the client handle and the shared state.
pub struct Backend {
    pub client: Client,
    pub state: Arc<State>,
}

/// Stack size of the runtime's threads, which run the analysis of requests (bytes).
const ANALYSIS_STACK: usize = crate::analysis::sites::ANALYSIS_STACK;

/// Serves LSP on stdin/stdout until `exit`.
pub fn serve_stdio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Analysis recurses (values through helpers, sub-layers of sub-layers); its depth is
        // bounded, and this leaves a wide margin over the default 2 MB (address space only).
        .thread_stack_size(ANALYSIS_STACK)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let seen = lifecycle::ShutdownSeen::default();
    let code = seen.clone();
    rt.block_on(async {
        let (service, socket) = LspService::new(|client| Backend {
            client,
            state: Arc::new(State::default()),
        });
        let stdin =
            lifecycle::ExitOnEof::new(transport::checked_input(tokio::io::stdin()), seen.clone());
        Server::new(stdin, tokio::io::stdout(), socket)
            .serve(lifecycle::Lifecycle::new(service, seen))
            .await;
    });
    // The stdin reader may still be blocked on an open pipe; dropping the runtime would wait for
    // it. Exit now (code 0 after `shutdown`, 1 without, as the protocol asks for `exit`).
    std::process::exit(code.exit_code());
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        initialize::initialize(self, params)
    }

    async fn initialized(&self, _: InitializedParams) {
        initialize::initialized(self).await
    }

    async fn shutdown(&self) -> Result<()> {
        // tower-lsp stops serving on `exit` but keeps waiting for stdin to close, so a client that
        // keeps the pipe open would keep the process alive. `exit` always follows `shutdown`:
        // leave shortly after, with code 0 as the protocol asks.
        tokio::spawn(async {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            std::process::exit(0);
        });
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        // A client that names no workspace folder (a single file, no root marker): the file's
        // folder is the workspace, so its neighbours can be imported.
        if let Some(dir) = convert::path(&params.text_document.uri)
            .and_then(|p| p.parent().map(|d| d.to_path_buf()))
        {
            let mut roots = self.state.roots.lock().unwrap_or_else(|e| e.into_inner());
            if roots.is_empty() {
                tracing::info!("no workspace folder: using {}", dir.display());
                roots.push(dir);
            }
        }
        let opened = convert::path(&params.text_document.uri);
        text_sync::did_open(self, params);
        precompute::schedule(self, precompute::AFTER_OPEN, opened);
        diagnostics::schedule(self);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let (uri, version) = (
            params.text_document.uri.clone(),
            params.text_document.version,
        );
        text_sync::did_change(self, params);
        precompute::schedule(self, precompute::AFTER_CHANGE, convert::path(&uri));
        diagnostics::schedule(self);
        // Other open files may depend on this one: once typing pauses, ask the client to
        // re-request inlay hints (when it supports `workspace/inlayHint/refresh`).
        if self.state.refresh_supported() && self.state.docs.len() > 1 {
            let (client, state) = (self.client.clone(), self.state.clone());
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                let current = convert::path(&uri)
                    .and_then(|p| state.doc(&p))
                    .map(|d| d.version);
                if current == Some(version) {
                    let _ = client.inlay_hint_refresh().await;
                }
            });
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri.clone();
        text_sync::did_close(self, params);
        precompute::schedule(self, precompute::AFTER_CHANGE, None);
        diagnostics::schedule(self);
        diagnostics::clear(self, uri).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        text_sync::did_change_watched_files(self, params).await;
        precompute::schedule(self, precompute::AFTER_CHANGE, None);
        diagnostics::schedule(self);
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        settings::did_change_configuration(self, params).await
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        indexing::did_change_workspace_folders(self, params).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        hover::hover(self, params).await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        inlay_hint::inlay_hint(self, params).await
    }

    async fn inlay_hint_resolve(&self, params: InlayHint) -> Result<InlayHint> {
        inlay_hint_resolve::inlay_hint_resolve(self, params).await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        definition::goto_definition(self, params).await
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        diagnostics::pull(self, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        code_action::code_action(self, params).await
    }
}
