//! Background indexing of the workspace folders, with work-done progress, and
//! `workspace/didChangeWorkspaceFolders`.

use super::state::State;
use super::{convert, Backend};
use crate::index;
use rayon::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use tower_lsp::lsp_types::notification::Progress;
use tower_lsp::lsp_types::request::WorkDoneProgressCreate;
use tower_lsp::lsp_types::*;
use tower_lsp::Client;

/// Where the indexing's work-done progress stands (see [`IndexProgress`]).
enum Phase {
    /// `window/workDoneProgress/create` not answered yet.
    Waiting,
    /// Accepted: `begin` sent.
    Begun,
    /// Refused, or the client does not support progress.
    Off,
    /// Indexing ended before the client answered: `begin` and `end` are sent if it accepts.
    Ended(String),
}

/// Work-done progress of the indexing, reported once the client has accepted the token: the
/// indexing itself never waits for the client (a client that answers late, or never, must not
/// delay it).
struct IndexProgress {
    client: Client,
    token: NumberOrString,
    phase: Arc<tokio::sync::Mutex<Phase>>,
}

impl IndexProgress {
    fn start(client: &Client, supported: bool) -> IndexProgress {
        let token = NumberOrString::String("keras-lsp/index".into());
        let p = IndexProgress {
            client: client.clone(),
            token: token.clone(),
            phase: Arc::new(tokio::sync::Mutex::new(if supported {
                Phase::Waiting
            } else {
                Phase::Off
            })),
        };
        if supported {
            let (client, phase) = (client.clone(), p.phase.clone());
            tokio::spawn(async move {
                let ok = client
                    .send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                        token: token.clone(),
                    })
                    .await
                    .is_ok();
                let mut ph = phase.lock().await;
                let begin = WorkDoneProgress::Begin(WorkDoneProgressBegin {
                    title: "keras-lsp: indexing".into(),
                    cancellable: Some(false),
                    message: Some("finding Python files".into()),
                    percentage: Some(0),
                });
                match std::mem::replace(&mut *ph, Phase::Off) {
                    Phase::Waiting if ok => {
                        send_progress(&client, &token, begin).await;
                        *ph = Phase::Begun;
                    }
                    Phase::Ended(message) if ok => {
                        send_progress(&client, &token, begin).await;
                        let end = WorkDoneProgressEnd {
                            message: Some(message),
                        };
                        send_progress(&client, &token, WorkDoneProgress::End(end)).await;
                    }
                    _ => {}
                }
            });
        }
        p
    }

    async fn report(&self, done: usize, total: usize) {
        if let Phase::Begun = *self.phase.lock().await {
            let r = WorkDoneProgressReport {
                cancellable: Some(false),
                message: Some(format!("{done}/{total} files")),
                percentage: Some((done * 100).checked_div(total).unwrap_or(100) as u32),
            };
            send_progress(&self.client, &self.token, WorkDoneProgress::Report(r)).await;
        }
    }

    async fn end(&self, message: String) {
        let mut ph = self.phase.lock().await;
        match &*ph {
            Phase::Begun => {
                let end = WorkDoneProgressEnd {
                    message: Some(message),
                };
                send_progress(&self.client, &self.token, WorkDoneProgress::End(end)).await;
                *ph = Phase::Off;
            }
            Phase::Waiting => *ph = Phase::Ended(message),
            _ => {}
        }
    }
}

async fn send_progress(client: &Client, token: &NumberOrString, v: WorkDoneProgress) {
    client
        .send_notification::<Progress>(ProgressParams {
            token: token.clone(),
            value: ProgressParamsValue::WorkDone(v),
        })
        .await
}

/// Indexes every Python file of every root in the background; requests are answered meanwhile
/// from what is indexed so far.
pub async fn index_roots(client: Client, state: Arc<State>) {
    let progress = IndexProgress::start(&client, state.progress_support.load(Ordering::Relaxed));
    let roots = state.roots();
    let opts = state
        .walk
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let files = {
        let (roots, opts) = (roots.clone(), opts.clone());
        tokio::task::spawn_blocking(move || {
            roots
                .iter()
                .flat_map(|r| index::python_files(r, &opts))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default()
    };
    let total = files.len();
    let started = std::time::Instant::now();
    let mut skipped: Vec<index::Skipped> = Vec::new();
    for (i, chunk) in files.chunks(256).enumerate() {
        let chunk = chunk.to_vec();
        let (roots, st) = (roots.clone(), state.clone());
        let max = opts.max_file_size;
        let refused = tokio::task::spawn_blocking(move || {
            let read: Vec<_> = chunk
                .par_iter()
                .filter(|p| !st.docs.contains_key(p.as_path()))
                .map(|p| match index::read_source_or_why(p, max) {
                    Ok(t) => Ok(index::analyse_closed(p, t, &roots)),
                    Err(why) => Err((p.clone(), why)),
                })
                .collect();
            let mut refused = Vec::new();
            st.update(|ws| {
                for r in read {
                    match r {
                        Ok(f) => ws.insert(f),
                        Err(s) => refused.push(s),
                    }
                }
            });
            refused
        })
        .await;
        skipped.extend(refused.unwrap_or_default());
        progress.report(((i + 1) * 256).min(total), total).await;
    }
    report_skipped(&client, &skipped).await;
    tracing::info!("indexed {total} files in {:?}", started.elapsed());
    // What the first hover would otherwise build (see `Workspace::prepare`).
    let st = state.clone();
    let _ = tokio::task::spawn_blocking(move || st.snapshot().prepare()).await;
    progress.end(format!("{total} files indexed")).await;
    let b = super::Backend {
        client: client.clone(),
        state: state.clone(),
    };
    super::precompute::schedule(&b, super::precompute::AFTER_OPEN, None);
    super::diagnostics::schedule(&b);
    if state.refresh_supported() {
        let _ = client.inlay_hint_refresh().await;
    }
}

/// The files indexing could not read (not decodable, too large, not a regular file): a log line
/// each, in the server's log and the client's (`window/logMessage`; the first 20, then a count).
async fn report_skipped(client: &Client, skipped: &[index::Skipped]) {
    const SHOWN: usize = 20;
    for (path, why) in skipped {
        tracing::warn!("skipping {}: {why}", path.display());
    }
    for (path, why) in skipped.iter().take(SHOWN) {
        client
            .log_message(
                MessageType::WARNING,
                format!("keras-lsp: {}: skipped: {why}", path.display()),
            )
            .await;
    }
    if skipped.len() > SHOWN {
        client
            .log_message(
                MessageType::WARNING,
                format!(
                    "keras-lsp: {} more files skipped (see the server's log)",
                    skipped.len() - SHOWN
                ),
            )
            .await;
    }
}

pub async fn did_change_workspace_folders(b: &Backend, p: DidChangeWorkspaceFoldersParams) {
    {
        let mut roots = b.state.roots.lock().unwrap_or_else(PoisonError::into_inner);
        for r in &p.event.removed {
            if let Some(path) = convert::path(&r.uri) {
                roots.retain(|x| *x != path);
            }
        }
        for a in &p.event.added {
            if let Some(path) = convert::path(&a.uri) {
                if !roots.contains(&path) {
                    roots.push(path);
                }
            }
        }
    }
    let removed: Vec<_> = p
        .event
        .removed
        .iter()
        .filter_map(|r| convert::path(&r.uri))
        .collect();
    b.state.update(|ws| {
        let gone: Vec<_> = ws
            .files
            .keys()
            .filter(|k| removed.iter().any(|r| k.starts_with(r)))
            .cloned()
            .collect();
        for g in gone {
            ws.remove(&g);
        }
    });
    let (client, state) = (b.client.clone(), b.state.clone());
    tokio::spawn(async move { index_roots(client, state).await });
}
