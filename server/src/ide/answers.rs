//! A file's answers computed ahead of the requests that read them: every layer call and every
//! call of a helper that builds layers, with its hover text (also the inlay-hint tooltip) and its
//! inlay-hint label, kept in the snapshot they
//! were computed from. [`prepare`] computes them (the LSP layer calls it in the background after
//! `didOpen` and changes); hover, inlay hints and tooltips read them when they are ready and
//! compute only what they need otherwise. A snapshot is immutable and a changed workspace is a new
//! snapshot with an empty cache, so answers prepared for one version are never read for another.

use super::{call_markdown, format, LabelPart};
use crate::analysis::helpers::HelperCall;
use crate::analysis::{FileAnalysis, LayerCall, Workspace};
use std::path::Path;
use std::sync::Arc;

/// The key of a file's answers in the snapshot's cache.
const KIND: &str = "ide::answers";

/// Files with at least this many layer calls have their answers formatted on the analysis pool.
const PARALLEL_FROM: usize = 256;

/// Every layer call of one file, in source order, with what hover and inlay hints show of it.
#[derive(Clone)]
pub(crate) struct FileAnswers(Arc<Answers>);

pub(crate) struct Answers {
    /// [`Workspace::layer_calls`] of the file.
    pub calls: Arc<Vec<LayerCall>>,
    /// The hover text of each call (the same index as `calls`).
    pub markdown: Vec<String>,
    /// The inlay-hint label of each call (empty: no hint).
    pub labels: Vec<Vec<LabelPart>>,
    /// [`Workspace::helper_calls`] of the file.
    pub helpers: Arc<Vec<HelperCall>>,
    /// The hover text of each helper call (the same index as `helpers`).
    pub helper_markdown: Vec<String>,
    /// The inlay-hint label of each helper call (empty: no hint).
    pub helper_labels: Vec<Vec<LabelPart>>,
}

impl std::ops::Deref for FileAnswers {
    type Target = Answers;
    fn deref(&self) -> &Answers {
        &self.0
    }
}

/// Computes the answers of `path` in `ws` unless they are ready; `false` when `ws` has no such
/// file. The same answers as hover and inlay hints compute on demand (tested in `ide::tests`).
pub fn prepare(ws: &Workspace, path: &Path) -> bool {
    let Some(file) = ws.file(path) else {
        return false;
    };
    if ready(ws, file).is_none() {
        let answers = compute(ws, file);
        let _ = ws.cached(KIND, file, 0, || answers);
    }
    true
}

/// The answers of `file` if [`prepare`] has computed them in this snapshot.
pub(crate) fn ready(ws: &Workspace, file: &Arc<FileAnalysis>) -> Option<FileAnswers> {
    ws.cached_if_ready(KIND, file, 0)
}

fn compute(ws: &Workspace, file: &Arc<FileAnalysis>) -> FileAnswers {
    let calls = ws.layer_calls(&file.path);
    let one = |c: &LayerCall| {
        (
            call_markdown(ws, file, c, &calls),
            format::label_parts(ws, c),
        )
    };
    let pairs: Vec<(String, Vec<LabelPart>)> = if calls.len() >= PARALLEL_FROM {
        use rayon::prelude::*;
        crate::analysis::sites::analysis_pool().install(|| calls.par_iter().map(one).collect())
    } else {
        calls.iter().map(one).collect()
    };
    let (markdown, labels) = pairs.into_iter().unzip();
    let helpers = ws.helper_calls(&file.path);
    let (helper_markdown, helper_labels) = helpers
        .iter()
        .map(|h| {
            (
                format::helper_markdown(ws, file, h),
                format::helper_label(ws, h),
            )
        })
        .unzip();
    FileAnswers(Arc::new(Answers {
        calls,
        markdown,
        labels,
        helpers,
        helper_markdown,
        helper_labels,
    }))
}

/// `true` when the answers of `path` are ready in `ws` (requests then read them).
pub fn is_prepared(ws: &Workspace, path: &Path) -> bool {
    ws.file(path).is_some_and(|f| ready(ws, f).is_some())
}
