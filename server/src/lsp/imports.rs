//! Before answering for a file, make sure the workspace modules it imports are analysed, even while
//! background indexing has not reached them yet (answers must not depend on indexing order). Reads
//! only files under the workspace folders.

use super::Backend;
use crate::analysis::{FileAnalysis, Workspace};
use crate::index;
use crate::syntax::ir::DefKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many import levels are loaded on demand.
const DEPTH: usize = 3;

/// Candidate files for dotted `module` imported from `from` (absolute from each root, from `src/`,
/// from the importing file's folder; relative with `level` dots).
fn candidates(module: &str, level: u32, from: &Path, roots: &[PathBuf]) -> Vec<PathBuf> {
    let rel: PathBuf = module.split('.').filter(|p| !p.is_empty()).collect();
    let mut bases: Vec<PathBuf> = Vec::new();
    if level == 0 {
        for r in roots {
            bases.push(r.clone());
            bases.push(r.join("src"));
        }
        if let Some(d) = from.parent() {
            bases.push(d.to_path_buf());
        }
    } else {
        let mut d = from.parent().map(Path::to_path_buf);
        for _ in 1..level {
            d = d.and_then(|x| x.parent().map(Path::to_path_buf));
        }
        bases.extend(d);
    }
    let mut out = Vec::new();
    for b in bases {
        let p = b.join(&rel);
        out.push(p.with_extension("py"));
        out.push(p.join("__init__.py"));
    }
    out.into_iter()
        .filter(|p| roots.iter().any(|r| p.starts_with(r)))
        .collect()
}

/// Loads the modules `path` imports (transitively, [`DEPTH`] levels) that the snapshot lacks.
pub async fn ensure(b: &Backend, ws: Arc<Workspace>, path: &Path) -> Arc<Workspace> {
    if b.state.imports_ensured(&ws, path) {
        return ws;
    }
    let roots = b.state.roots();
    let max = b.state.walk.lock().unwrap().max_file_size;
    let start: Vec<Arc<FileAnalysis>> = ws.file(path).cloned().into_iter().collect();
    let ws2 = ws.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let mut loaded: Vec<Arc<FileAnalysis>> = Vec::new();
        let mut frontier = start;
        for _ in 0..DEPTH {
            let mut next = Vec::new();
            for f in &frontier {
                {
                    {
                        for bnd in &f.ir.defs {
                            let (module, level, name) = match &bnd.kind {
                                DefKind::Import { full, .. } => (full.clone(), 0, None),
                                DefKind::ImportFrom {
                                    module,
                                    level,
                                    name,
                                } => (module.clone(), *level, Some(name.clone())),
                                DefKind::StarImport { module, level, .. } => {
                                    (module.clone(), *level, None)
                                }
                                _ => continue,
                            };
                            let mut mods = vec![module.clone()];
                            if let Some(n) = name {
                                mods.push(if module.is_empty() {
                                    n
                                } else {
                                    format!("{module}.{n}").into()
                                });
                            }
                            for m in mods {
                                for cand in candidates(&m, level, &f.path, &roots) {
                                    if ws2.file(&cand).is_some()
                                        || loaded.iter().any(|l| *l.path == *cand)
                                    {
                                        continue;
                                    }
                                    if !cand.is_file() || !index::within_roots(&cand, &roots) {
                                        continue;
                                    }
                                    if let Some(text) = index::read_source(&cand, max) {
                                        let fa = index::analyse(&cand, text, &roots);
                                        loaded.push(fa.clone());
                                        next.push(fa);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        loaded
    })
    .await
    .unwrap_or_default();
    if loaded.is_empty() {
        b.state.note_imports_ensured(&ws, path);
        return ws;
    }
    // Files that are open keep their editor text; the others go into the shared snapshot too.
    let fresh: Vec<Arc<FileAnalysis>> = loaded
        .into_iter()
        .filter(|f| !b.state.docs.contains_key(f.path.as_ref()))
        .collect();
    b.state.update(|w| {
        for f in &fresh {
            if w.file(&f.path).is_none() {
                w.insert(f.clone());
            }
        }
    });
    let mut w = (*ws).clone();
    for f in fresh {
        w.insert(f);
    }
    Arc::new(w)
}
