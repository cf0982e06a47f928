//! Answers ready before they are asked for: after `didOpen`, after changes (debounced), when
//! indexing ends and when settings or files on disk change, every open document is analysed at
//! its current text and its answers (layer calls, hover texts, hint labels: `ide::prepare`) are
//! computed in the background, in the shared snapshot, so the first hover and the first hint
//! request read them. Files that depend on a changed file are open documents too: a change makes a
//! new snapshot, whose answers are all computed again.
//!
//! A later change supersedes a run: the run stops before its next file, and what it computed
//! stays in the snapshot it was computed from, which a request for a newer version never reads
//! (a request's snapshot has every open document at its current text, see
//! `text_sync::snapshot_for`).

use super::{imports, text_sync, Backend};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How long typing must pause before the answers are computed again.
pub const AFTER_CHANGE: Duration = Duration::from_millis(150);
/// After `didOpen`: a few files opened together are prepared in one run.
pub const AFTER_OPEN: Duration = Duration::from_millis(5);

/// Prepares the answers of every open document after `delay` (`first` first: the document just
/// opened or changed), unless another call supersedes this one meanwhile. Never awaits: call it
/// after the state change it follows.
pub fn schedule(b: &Backend, delay: Duration, first: Option<PathBuf>) {
    let generation = b.state.precompute_generation.fetch_add(1, Ordering::SeqCst) + 1;
    let me = Backend {
        client: b.client.clone(),
        state: b.state.clone(),
    };
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let current =
            |me: &Backend| me.state.precompute_generation.load(Ordering::SeqCst) == generation;
        if !current(&me) {
            return;
        }
        let mut open: Vec<PathBuf> = me.state.docs.iter().map(|d| d.key().clone()).collect();
        open.sort_by_key(|p| Some(p) != first.as_ref());
        // Analyse the open documents at their current texts into the shared snapshot, with the
        // workspace modules they import.
        for path in &open {
            if !current(&me) {
                return;
            }
            if let Some((ws, _)) = text_sync::snapshot_for(&me, path).await {
                let _ = imports::ensure(&me, ws, path).await;
            }
        }
        if !current(&me) {
            return;
        }
        let ws = me.state.snapshot();
        // Each open document at its current text in that snapshot, else a newer change (or a
        // close) came in meanwhile and scheduled its own run.
        let fresh = open.iter().all(|p| {
            let text = me.state.docs.get(p).map(|d| d.text.clone());
            match (text, ws.file(p)) {
                (Some(t), Some(f)) => Arc::ptr_eq(&t, &f.text) || *t == *f.text,
                _ => false,
            }
        });
        if !fresh {
            return;
        }
        let state = me.state.clone();
        let started = std::time::Instant::now();
        tracing::debug!("answers: computing those of {} open documents", open.len());
        let _ = text_sync::run_blocking(move || {
            for path in &open {
                if state.precompute_generation.load(Ordering::SeqCst) != generation {
                    tracing::debug!("answers: superseded by a newer change");
                    return;
                }
                crate::ide::prepare(&ws, path);
            }
            if state.precompute_generation.load(Ordering::SeqCst) != generation {
                tracing::debug!("answers: superseded by a newer change while computed");
                return;
            }
            tracing::debug!(
                "answers of {} open documents ready in {:.1} ms",
                open.len(),
                started.elapsed().as_secs_f64() * 1e3
            );
        })
        .await;
    });
}
