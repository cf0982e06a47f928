//! `workspace/inlayHint/refresh` (server to client): asks the client to request inlay hints again
//! after something they depend on changed outside the document (a watched file, settings).
//!
//! No handler waits for the client's answer: a handler awaiting the client holds one of tower-lsp's
//! four handler slots, and under a storm of `didChangeWatchedFiles` every slot waited while the
//! reader, blocked on the full request queue, could not deliver the answers (issue 15, item 3).
//! Refreshes are also coalesced: one at most waits to be sent, [`DELAY`] after the first change.

use super::Backend;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How long changes are gathered before the refresh is sent.
pub const DELAY: Duration = Duration::from_millis(300);

/// Schedules a refresh, when the client supports it and none is waiting already.
pub fn schedule(b: &Backend) {
    if !b.state.refresh_supported() || b.state.refresh_waiting.swap(true, Ordering::SeqCst) {
        return;
    }
    let (client, state) = (b.client.clone(), b.state.clone());
    tokio::spawn(async move {
        tokio::time::sleep(DELAY).await;
        state.refresh_waiting.store(false, Ordering::SeqCst);
        let _ = client.inlay_hint_refresh().await;
    });
}
