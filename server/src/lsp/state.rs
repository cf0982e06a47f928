//! Server state: open documents, the workspace snapshot, settings. Locks are never held across
//! `.await`; DashMap guards are dropped before touching the map again.

use super::convert::Encoding;
use crate::analysis::{FileAnalysis, Settings, Workspace};
use crate::index::WalkOptions;
use dashmap::DashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// An open document: its text and version.
#[derive(Clone, Debug)]
pub struct Doc {
    pub text: Arc<str>,
    pub version: i32,
    /// The text before the last change: the first text a statement broken by that change is kept
    /// from (see `crate::syntax::last_good`), even if no request analysed it.
    pub previous: Option<Arc<str>>,
}

/// A snapshot, and the open files whose imported modules were found loaded in it, with when.
pub type Ensured = (
    std::sync::Weak<Workspace>,
    Vec<(PathBuf, std::time::Instant)>,
);

#[derive(Default)]
pub struct State {
    /// Open documents by path.
    pub docs: DashMap<PathBuf, Doc>,
    /// The latest workspace snapshot (open documents at some version, other files from disk).
    pub ws: Mutex<Arc<Workspace>>,
    pub roots: Mutex<Vec<PathBuf>>,
    pub encoding: Mutex<Encoding>,
    pub walk: Mutex<WalkOptions>,
    /// Client capabilities that matter.
    pub refresh_support: AtomicBool,
    /// A `workspace/inlayHint/refresh` is scheduled and not sent yet (see `inlay_hint_refresh`).
    pub refresh_waiting: AtomicBool,
    pub progress_support: AtomicBool,
    pub watch_support: AtomicBool,
    /// The client resolves inlay-hint tooltips lazily (`inlayHint/resolve`).
    pub resolve_tooltips: AtomicBool,
    pub hints_enabled: Mutex<Option<bool>>,
    /// The client pulls diagnostics (`textDocument/diagnostic`) instead of receiving them.
    pub pull_diagnostics: AtomicBool,
    /// Bumped by every change that may alter diagnostics; a scheduled publication runs only if it
    /// is still the latest (see `diagnostics::schedule`).
    pub diag_generation: AtomicU64,
    /// Bumped by every change that may alter answers; a scheduled computation of the open
    /// documents' answers runs only while it is the latest (see `precompute::schedule`).
    pub precompute_generation: AtomicU64,
    /// Which diagnostic codes are on (`kerasLsp.diagnostics.select` / `.ignore`).
    pub diag_selection: Mutex<crate::ide::diagnostics::Selection>,
    pub keras_setting: Mutex<String>,
    /// The snapshot whose imports were last found loaded (`imports::ensure`), and for which open
    /// files, when.
    pub ensured: Mutex<Ensured>,
}

impl State {
    pub fn encoding(&self) -> Encoding {
        *self.encoding.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn snapshot(&self) -> Arc<Workspace> {
        self.ws
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn settings(&self) -> Settings {
        self.snapshot().settings.clone()
    }

    pub fn hints_enabled(&self) -> bool {
        self.hints_enabled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or(true)
    }

    pub fn diagnostic_selection(&self) -> crate::ide::diagnostics::Selection {
        self.diag_selection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn refresh_supported(&self) -> bool {
        self.refresh_support.load(Ordering::Relaxed)
    }

    /// The open document's text and version (the guard is dropped before returning).
    pub fn doc(&self, path: &Path) -> Option<Doc> {
        self.docs.get(path).map(|d| d.clone())
    }

    /// Replaces files in the snapshot (copy on write).
    pub fn update(&self, f: impl FnOnce(&mut Workspace)) {
        let mut guard = self.ws.lock().unwrap_or_else(PoisonError::into_inner);
        let mut ws = (**guard).clone();
        f(&mut ws);
        *guard = Arc::new(ws);
    }

    /// Inserts `fa` unless the document moved on to another version since `text` was read.
    pub fn insert_if_current(&self, fa: Arc<FileAnalysis>) {
        let current = self.docs.get(fa.path.as_ref()).map(|d| d.text.clone());
        if let Some(cur) = current {
            if !Arc::ptr_eq(&cur, &fa.text) && *cur != *fa.text {
                return;
            }
        }
        self.update(|ws| ws.insert(fa));
    }

    /// `true` when `imports::ensure` found every module `path` imports loaded in `ws`, and
    /// files on disk cannot have appeared since unseen: the client reports changed files, or
    /// that was less than a second ago.
    pub fn imports_ensured(&self, ws: &Arc<Workspace>, path: &Path) -> bool {
        let g = self.ensured.lock().unwrap_or_else(PoisonError::into_inner);
        // The weak reference keeps the address from being reused while it is held.
        std::ptr::eq(g.0.as_ptr(), Arc::as_ptr(ws))
            && g.1.iter().any(|(p, at)| {
                p == path
                    && (self.watch_support.load(Ordering::Relaxed)
                        || at.elapsed() < std::time::Duration::from_secs(1))
            })
    }

    /// Notes that every module `path` imports is loaded in `ws`.
    pub fn note_imports_ensured(&self, ws: &Arc<Workspace>, path: &Path) {
        let mut g = self.ensured.lock().unwrap_or_else(PoisonError::into_inner);
        if !std::ptr::eq(g.0.as_ptr(), Arc::as_ptr(ws)) {
            *g = (Arc::downgrade(ws), Vec::new());
        }
        g.1.retain(|(p, _)| p != path);
        g.1.push((path.to_path_buf(), std::time::Instant::now()));
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
