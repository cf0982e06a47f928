//! Reading the workspace from disk: walking folders (honouring `.gitignore`), reading files,
//! detecting the Keras version of the workspace's virtualenv. This is the only analysis-side code
//! that does I/O; the analysis itself receives texts.

use crate::analysis::{is_relevant, module_names_for, FileAnalysis, Settings, Workspace};
use crate::knowledge::KerasVersion;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Folders skipped by default (virtualenvs, site-packages, caches, build output, node_modules).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".venv",
    "venv",
    "env",
    ".env",
    "site-packages",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    ".git",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    "target",
];

/// Options for walking a workspace.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Folder names to skip anywhere in the tree.
    pub excludes: Vec<String>,
    /// Files larger than this (bytes) are skipped with a log line.
    pub max_file_size: u64,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            excludes: DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect(),
            max_file_size: 32 << 20,
        }
    }
}

/// Every `.py` and `.pyi` file under `root` (a file is returned as itself). Honours `.gitignore`,
/// skips the excluded folders, does not follow symlinks out of the root.
pub fn python_files(root: &Path, opts: &WalkOptions) -> Vec<PathBuf> {
    if root.is_file() {
        return vec![root.to_path_buf()];
    }
    let excludes = opts.excludes.clone();
    let mut out: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .filter_entry(move |e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir()) && excludes.iter().any(|x| *x == name))
        })
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "py" || x == "pyi"))
        .collect();
    out.sort();
    out
}

/// Reads one file, decoded as Python decodes it ([`crate::encoding`]: UTF-8, a byte order mark
/// dropped, a PEP 263 coding declaration). Files that cannot be decoded, oversized files, and
/// anything that is not a regular file (a FIFO or a device named `*.py`, whose read would block or
/// never end), are skipped with a log line (returns `None`).
pub fn read_source(path: &Path, max_size: u64) -> Option<String> {
    match read_source_or_why(path, max_size) {
        Ok(s) => Some(s),
        Err(why) => {
            tracing::warn!("skipping {}: {why}", path.display());
            None
        }
    }
}

/// [`read_source`], with the reason a file is not read (for `check`, which reports the files
/// it was named and cannot read).
pub fn read_source_or_why(path: &Path, max_size: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max_size {
        return Err(format!(
            "{} bytes is over the size limit of {max_size}",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    crate::encoding::decode(bytes)
}

/// `true` when `path`, symlinks resolved, is inside one of `roots` (symlinks resolved too). The
/// server reads files from disk only when this holds: a symlink that points out of the workspace,
/// or a path the client names outside it, is not read.
pub fn within_roots(path: &Path, roots: &[PathBuf]) -> bool {
    let Ok(real) = path.canonicalize() else {
        return false;
    };
    roots.iter().any(|r| {
        r.canonicalize()
            .is_ok_and(|root| real.starts_with(&root) && (real != root || root.is_file()))
    })
}

/// Analyses one file's text: files that cannot matter get an empty IR cheaply.
pub fn analyse(path: &Path, text: String, roots: &[PathBuf]) -> Arc<FileAnalysis> {
    analyse_shared(path, Arc::from(text), roots)
}

/// [`analyse`] for a text that is already shared: the analysis keeps this very `Arc`, so that an
/// open document can be recognised by pointer.
pub fn analyse_shared(path: &Path, text: Arc<str>, roots: &[PathBuf]) -> Arc<FileAnalysis> {
    analyse_after(path, text, roots, None)
}

/// [`analyse`] for a file that is not open in the editor: the analysis keeps no copy of the text
/// ([`FileAnalysis::without_text`]; the LSP layer reads it from disk when it needs positions).
pub fn analyse_closed(path: &Path, text: String, roots: &[PathBuf]) -> Arc<FileAnalysis> {
    let fa = analyse(path, text, roots);
    match Arc::try_unwrap(fa) {
        Ok(f) => Arc::new(f.without_text()),
        Err(shared) => shared,
    }
}

/// [`analyse_shared`] for a new version of a file analysed before as `previous`: a statement that
/// the change broke is analysed in its last version that parsed ([`crate::syntax::last_good`]).
pub fn analyse_after(
    path: &Path,
    text: Arc<str>,
    roots: &[PathBuf],
    previous: Option<&FileAnalysis>,
) -> Arc<FileAnalysis> {
    let befores = previous.and_then(FileAnalysis::earlier_text);
    analyse_after_texts(path, text, roots, befores.into_iter().collect())
}

/// [`analyse_after`] with the earlier texts of the file, most recent first (see
/// [`crate::syntax::last_good::parse_after`]).
pub fn analyse_after_texts(
    path: &Path,
    text: Arc<str>,
    roots: &[PathBuf],
    befores: Vec<Arc<str>>,
) -> Arc<FileAnalysis> {
    let names = module_names_for(path, roots);
    if !is_relevant(&text) {
        return Arc::new(FileAnalysis::unparsed(Arc::from(path), text, names));
    }
    Arc::new(FileAnalysis::after(Arc::from(path), text, names, befores))
}

/// The rayon pool that reads and analyses files: as many threads as the global pool, each with a
/// [`BIG_STACK`](crate::syntax::BIG_STACK) stack and marked so that parsing runs on it directly
/// (starting a big-stack thread per file cost about as much as 25% of parsing). Falls back to
/// default stacks (and a thread per parse) if such threads cannot be created.
pub fn parse_pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("keras-lsp-index-{i}"))
            .stack_size(crate::syntax::BIG_STACK)
            .start_handler(|_| crate::syntax::mark_big_stack_thread())
            .build()
            .or_else(|e| {
                tracing::warn!(
                    "could not start big-stack index threads ({e}); using default stacks"
                );
                rayon::ThreadPoolBuilder::new()
                    .thread_name(|i| format!("keras-lsp-index-{i}"))
                    .build()
            })
            .expect("a rayon thread pool")
    })
}

/// Reads and analyses `paths` in parallel on [`parse_pool`], skipping those for which `skip` is
/// true and those [`read_source`] refuses.
pub fn analyse_files(
    paths: &[PathBuf],
    roots: &[PathBuf],
    max_file_size: u64,
    skip: impl Fn(&Path) -> bool + Sync,
) -> Vec<Arc<FileAnalysis>> {
    let (analysed, skipped) = analyse_files_with(paths, roots, max_file_size, skip, analyse);
    log_skipped(&skipped);
    analysed
}

/// A file found that is not analysed: (path, why; see [`read_source_or_why`]).
pub type Skipped = (PathBuf, String);

/// One log line per skipped file (the language server's log).
fn log_skipped(skipped: &[Skipped]) {
    for (path, why) in skipped {
        tracing::warn!("skipping {}: {why}", path.display());
    }
}

fn analyse_files_with(
    paths: &[PathBuf],
    roots: &[PathBuf],
    max_file_size: u64,
    skip: impl Fn(&Path) -> bool + Sync,
    analyse: fn(&Path, String, &[PathBuf]) -> Arc<FileAnalysis>,
) -> (Vec<Arc<FileAnalysis>>, Vec<Skipped>) {
    let read: Vec<Result<Arc<FileAnalysis>, Skipped>> = parse_pool().install(|| {
        paths
            .par_iter()
            .filter(|p| !skip(p))
            .map(|p| match read_source_or_why(p, max_file_size) {
                Ok(t) => Ok(analyse(p, t, roots)),
                Err(why) => Err((p.clone(), why)),
            })
            .collect()
    });
    let mut analysed = Vec::with_capacity(read.len());
    let mut skipped = Vec::new();
    for r in read {
        match r {
            Ok(f) => analysed.push(f),
            Err(s) => skipped.push(s),
        }
    }
    (analysed, skipped)
}

/// The folder a path stands for: a file's parent folder (empty for a bare file name), else the
/// path itself.
pub fn folder_of(p: &Path) -> PathBuf {
    if p.is_file() {
        p.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        p.to_path_buf()
    }
}

/// The folder that holds the outermost package around `folder` (the first ancestor without an
/// `__init__.py`, looking at most 32 levels up), or `None` when `folder` is not a package.
pub fn package_parent(folder: &Path) -> Option<PathBuf> {
    let folder = folder.canonicalize().ok()?;
    let mut cur = folder.as_path();
    let mut top = None;
    for _ in 0..32 {
        if !cur.join("__init__.py").is_file() {
            break;
        }
        match cur.parent() {
            Some(p) => {
                top = Some(p.to_path_buf());
                cur = p;
            }
            None => break,
        }
    }
    top
}

/// Loads every Python file under `roots` into a workspace, in parallel. Files that cannot be read
/// are skipped with a log line.
pub fn load(roots: &[PathBuf], settings: Settings, opts: &WalkOptions) -> Workspace {
    let (ws, skipped) = load_with(roots, settings, opts, analyse);
    log_skipped(&skipped);
    ws
}

/// [`load`], returning the files skipped (sorted by path) instead of logging them (`check` reports
/// them).
pub fn load_reporting(
    roots: &[PathBuf],
    settings: Settings,
    opts: &WalkOptions,
) -> (Workspace, Vec<Skipped>) {
    let (ws, mut skipped) = load_with(roots, settings, opts, analyse);
    skipped.sort();
    (ws, skipped)
}

/// [`load`] as the language server indexes a workspace: no file keeps its text
/// ([`analyse_closed`]); the files open in the editor are analysed again with theirs.
pub fn load_closed(roots: &[PathBuf], settings: Settings, opts: &WalkOptions) -> Workspace {
    let (ws, skipped) = load_with(roots, settings, opts, analyse_closed);
    log_skipped(&skipped);
    ws
}

fn load_with(
    roots: &[PathBuf],
    settings: Settings,
    opts: &WalkOptions,
    analyse: fn(&Path, String, &[PathBuf]) -> Arc<FileAnalysis>,
) -> (Workspace, Vec<Skipped>) {
    let mut files: Vec<PathBuf> = roots.iter().flat_map(|r| python_files(r, opts)).collect();
    // Nested roots (a package's folder and the folder holding it) walk some files twice.
    files.sort();
    files.dedup();
    let dir_roots: Vec<PathBuf> = roots.iter().map(|r| folder_of(r)).collect();
    let (analysed, skipped) =
        analyse_files_with(&files, &dir_roots, opts.max_file_size, |_| false, analyse);
    let mut ws = Workspace::new(settings);
    for f in analysed {
        ws.insert(f);
    }
    (ws, skipped)
}

/// The Keras version of the workspace's virtualenv (`.venv`, `venv`, `env`, or `python_env` if
/// given): Keras 2 if `keras` 2.x is installed, or TensorFlow below 2.16 without Keras 3;
/// otherwise Keras 3. `None` when no virtualenv with keras or tensorflow is found.
pub fn detect_keras(root: &Path, python_env: Option<&Path>) -> Option<KerasVersion> {
    let mut envs: Vec<PathBuf> = [".venv", "venv", "env"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    if let Some(p) = python_env {
        envs.insert(0, p.to_path_buf());
    }
    for env in envs {
        let Ok(libs) = std::fs::read_dir(env.join("lib")) else {
            continue;
        };
        for lib in libs.flatten() {
            let sp = lib.path().join("site-packages");
            let Ok(entries) = std::fs::read_dir(&sp) else {
                continue;
            };
            let mut keras = None;
            let mut tf = None;
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if let Some(v) = n
                    .strip_prefix("keras-")
                    .and_then(|r| r.strip_suffix(".dist-info"))
                {
                    keras = v.split('.').next().and_then(|m| m.parse::<u32>().ok());
                }
                if let Some(v) = n
                    .strip_prefix("tensorflow-")
                    .and_then(|r| r.strip_suffix(".dist-info"))
                {
                    let mut it = v.split('.');
                    tf = Some((
                        it.next().and_then(|m| m.parse::<u32>().ok()),
                        it.next().and_then(|m| m.parse::<u32>().ok()),
                    ));
                }
            }
            match (keras, tf) {
                (Some(3), _) => return Some(KerasVersion::Keras3),
                (Some(2), _) => return Some(KerasVersion::Keras2),
                (None, Some((Some(2), Some(minor)))) if minor < 16 => {
                    return Some(KerasVersion::Keras2)
                }
                (None, Some(_)) => return Some(KerasVersion::Keras3),
                _ => {}
            }
        }
    }
    None
}
