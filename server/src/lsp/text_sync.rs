//! `didOpen`, `didChange`, `didClose`, `didChangeWatchedFiles`, and getting an up-to-date snapshot
//! for a request. Edits are applied before any `.await`.

use super::convert::{self, Encoding};
use super::state::Doc;
use super::Backend;
use crate::analysis::Workspace;
use crate::index;
use crate::syntax::LineIndex;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};
use tower_lsp::jsonrpc::{Error, ErrorCode};
use tower_lsp::lsp_types::*;

pub fn did_open(b: &Backend, p: DidOpenTextDocumentParams) {
    let Some(path) = convert::path(&p.text_document.uri) else {
        return;
    };
    b.state.docs.insert(
        path,
        Doc {
            text: Arc::from(p.text_document.text),
            version: p.text_document.version,
            previous: None,
        },
    );
}

/// Applies LSP content changes to `text` (ranges in `enc`).
pub fn apply_changes(
    text: &str,
    changes: Vec<TextDocumentContentChangeEvent>,
    enc: Encoding,
) -> String {
    let mut s = text.to_string();
    for c in changes {
        match c.range {
            None => s = c.text,
            Some(r) => {
                let idx = LineIndex::new(&s);
                let end_of = |pos: Position| {
                    convert::offset(&idx, &s, pos, enc).unwrap_or(s.len() as u32) as usize
                };
                let (a, z) = (end_of(r.start), end_of(r.end));
                let (a, z) = (a.min(z), a.max(z));
                s.replace_range(a..z, &c.text);
            }
        }
    }
    s
}

pub fn did_change(b: &Backend, p: DidChangeTextDocumentParams) {
    let Some(path) = convert::path(&p.text_document.uri) else {
        return;
    };
    let enc = b.state.encoding();
    // Read, edit and store without awaiting; the guard is released before `insert`.
    let old = b.state.doc(&path);
    let Some(old) = old else { return };
    let changes = p.content_changes;
    // This runs on the task that serves every request: a panic here would end the server.
    let previous = Some(old.text.clone());
    let text = match std::panic::catch_unwind(move || apply_changes(&old.text, changes, enc)) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(
                "could not apply the edits of version {} of {}: {}",
                p.text_document.version,
                path.display(),
                crate::syntax::panic_message(&e)
            );
            return;
        }
    };
    b.state.docs.insert(
        path,
        Doc {
            text: Arc::from(text),
            version: p.text_document.version,
            previous,
        },
    );
}

pub fn did_close(b: &Backend, p: DidCloseTextDocumentParams) {
    let Some(path) = convert::path(&p.text_document.uri) else {
        return;
    };
    b.state.docs.remove(&path);
    // The file on disk is the truth again (if it is in the workspace).
    let roots = b.state.roots();
    let max = b
        .state
        .walk
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .max_file_size;
    let on_disk = index::within_roots(&path, &roots)
        .then(|| index::read_source(&path, max))
        .flatten();
    match on_disk {
        Some(t) => {
            let fa = index::analyse_closed(&path, t, &roots);
            b.state.update(|ws| ws.insert(fa));
        }
        None => b.state.update(|ws| ws.remove(&path)),
    }
}

pub async fn did_change_watched_files(b: &Backend, p: DidChangeWatchedFilesParams) {
    let roots = b.state.roots();
    let max = b
        .state
        .walk
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .max_file_size;
    let state = b.state.clone();
    let changes = p.changes;
    let _ = tokio::task::spawn_blocking(move || {
        for c in changes {
            let Some(path) = convert::path(&c.uri) else {
                continue;
            };
            if state.docs.contains_key(&path) {
                continue; // the editor's text wins while open
            }
            if c.typ == FileChangeType::DELETED || !path.exists() {
                state.update(|ws| ws.remove(&path));
            } else if !index::within_roots(&path, &roots) {
                tracing::info!(
                    "not reading {}: outside the workspace folders",
                    path.display()
                );
                state.update(|ws| ws.remove(&path));
            } else if let Some(t) = index::read_source(&path, max) {
                let fa = index::analyse_closed(&path, t, &roots);
                state.update(|ws| ws.insert(fa));
            }
        }
    })
    .await;
    super::inlay_hint_refresh::schedule(b);
}

/// The prologue of a request on document `uri`: its path, a snapshot as [`snapshot_for`] gives
/// it with the workspace modules the document imports loaded (`super::imports::ensure`), and the
/// document's version. `None` for a URI that is not a file, or a file that cannot be read.
pub async fn request_snapshot(
    b: &Backend,
    uri: &Url,
) -> Option<(PathBuf, Arc<Workspace>, Option<i32>)> {
    let path = convert::path(uri)?;
    let (ws, version) = snapshot_for(b, &path).await?;
    let ws = super::imports::ensure(b, ws, &path).await;
    Some((path, ws, version))
}

/// A snapshot in which every open document is analysed at its current version (or `path` from disk
/// when it is not open), and the version of `path` (`None` for a file that is not open).
pub async fn snapshot_for(b: &Backend, path: &Path) -> Option<(Arc<Workspace>, Option<i32>)> {
    let doc = b.state.doc(path);
    let ws = b.state.snapshot();
    // Open documents whose analysis is not of their current text: `path`, and any other open
    // document it may import (answers must not mix versions).
    // Each with the earlier texts a statement broken while typing can be kept from
    // (crate::syntax::last_good): the editor's previous version, then the text the previous
    // analysis was of (or kept its statements from).
    type Stale = (PathBuf, Arc<str>, Vec<Arc<str>>);
    let stale: Vec<Stale> = b
        .state
        .docs
        .iter()
        .filter(|d| {
            ws.file(d.key())
                .is_none_or(|f| !Arc::ptr_eq(&f.text, &d.text) && *f.text != *d.text)
        })
        .map(|d| {
            let analysed = ws.file(d.key()).and_then(|f| f.earlier_text());
            let befores = d.previous.iter().chain(analysed.iter()).cloned().collect();
            (d.key().clone(), d.text.clone(), befores)
        })
        .collect();
    match doc {
        Some(doc) => {
            if stale.is_empty() {
                return Some((ws, Some(doc.version)));
            }
            let roots = b.state.roots();
            // Not on rayon's pool: background indexing may keep it busy.
            let analysed = tokio::task::spawn_blocking(move || {
                stale
                    .into_iter()
                    .map(|(p, text, befores)| index::analyse_after_texts(&p, text, &roots, befores))
                    .collect::<Vec<_>>()
            })
            .await
            .ok()?;
            let mut ws = (*b.state.snapshot()).clone();
            for fa in analysed {
                b.state.insert_if_current(fa.clone());
                if ws.file(&fa.path).is_none_or(|f| *f.text != *fa.text) {
                    ws.insert(fa);
                }
            }
            Some((Arc::new(ws), Some(doc.version)))
        }
        None => {
            // A file that is not open: answered from the index when its text was kept, else read
            // again (the request needs positions in it).
            if ws.file(path).is_some_and(|f| !f.text_on_disk) {
                return Some((ws, None));
            }
            let roots = b.state.roots();
            if !index::within_roots(path, &roots) {
                tracing::info!(
                    "not reading {}: outside the workspace folders",
                    path.display()
                );
                return None;
            }
            let max = b
                .state
                .walk
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .max_file_size;
            let p = path.to_path_buf();
            let fa = tokio::task::spawn_blocking(move || {
                index::read_source(&p, max).map(|t| index::analyse(&p, t, &roots))
            })
            .await
            .ok()??;
            b.state.update(|w| w.insert(fa));
            Some((b.state.snapshot(), None))
        }
    }
}

/// `ContentModified` when the document changed while the request was computed.
pub fn check_version(b: &Backend, path: &Path, version: Option<i32>) -> Result<(), Error> {
    if let Some(v) = version {
        let now = b.state.doc(path).map(|d| d.version);
        if now != Some(v) {
            return Err(Error {
                code: ErrorCode::ServerError(-32801),
                message: "content modified".into(),
                data: None,
            });
        }
    }
    Ok(())
}

/// Test hook: with `KERAS_LSP_TEST_PANIC=1` in the server's environment, a request on a file whose
/// text contains `__keras_lsp_panic__` panics inside its analysis (used by `tests/e2e/robustness.rs`
/// to prove that a panic becomes an error response and the server keeps serving). Off otherwise.
pub fn test_panic_hook(text: &str) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var("KERAS_LSP_TEST_PANIC").is_ok_and(|v| v == "1"))
        && text.contains("__keras_lsp_panic__")
    {
        panic!("KERAS_LSP_TEST_PANIC: panic requested by the test hook");
    }
}

/// Runs analysis work off the serve task; a panic becomes an error response.
pub async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => Ok(v),
        Err(e) => {
            let msg = if e.is_panic() {
                crate::syntax::panic_message(&e.into_panic())
            } else {
                "cancelled".into()
            };
            tracing::error!("request failed: {msg}");
            Err(Error {
                code: ErrorCode::InternalError,
                message: format!("keras-lsp internal error: {msg}").into(),
                data: None,
            })
        }
    }
}
