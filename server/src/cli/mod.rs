//! `keras-lsp check PATH...`: the same answers as hover, for scripts and CI.

use crate::analysis::{Candidate, Created, LayerCall, Settings, WeightAnswer, Workspace};
use crate::ide::{full_init, origin_text};
use crate::index::{self, WalkOptions};
use crate::knowledge::KerasVersion;
use crate::syntax::ColumnUnit;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

pub mod terminal;

/// Output format of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `--keras`: which Keras the answers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KerasArg {
    Auto,
    #[value(name = "2")]
    Two,
    #[value(name = "3")]
    Three,
}

/// Resolves `--keras auto` from the first root's virtualenv; Keras 3 when none is found.
pub fn keras_version(arg: KerasArg, roots: &[PathBuf]) -> KerasVersion {
    match arg {
        KerasArg::Two => KerasVersion::Keras2,
        KerasArg::Three => KerasVersion::Keras3,
        KerasArg::Auto => roots
            .iter()
            .find_map(|r| {
                index::detect_keras(
                    if r.is_file() {
                        r.parent().unwrap_or(r)
                    } else {
                        r
                    },
                    None,
                )
            })
            .unwrap_or(KerasVersion::Keras3),
    }
}

/// Runs `check`; returns the process exit code (0 ok, 2 when a path does not exist or a file it
/// was named cannot be read: the others are still answered).
pub fn run(
    paths: &[PathBuf],
    format: Format,
    keras: KerasArg,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    for p in paths {
        if !p.exists() {
            eprintln!(
                "keras-lsp check: {}: no such file or directory",
                p.display()
            );
            return Ok(2);
        }
    }
    let version = keras_version(keras, paths);
    let settings = Settings {
        keras: version,
        show_defaults: true,
    };
    // A file given alone is analysed with the other files of its folder, as Python would import
    // them (`import config` next to `model.py`); only the files asked for are reported.
    let mut roots: Vec<PathBuf> = paths
        .iter()
        .map(|p| index::folder_of(p))
        .map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p
            }
        })
        .collect();
    // Two files of one folder: the folder is read once.
    roots.sort();
    roots.dedup();
    let opts = WalkOptions::default();
    let mut ws = index::load(&roots, settings, &opts);
    // The files asked for by name (canonical, to compare with `./model.py` from the walk), and the
    // folders asked for.
    let named: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_file())
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    // A file named on the command line is answered even where the walk of its folder passes it
    // over (covered by `.gitignore`, a symlink, not `*.py`); one that cannot be read (not a regular
    // file, too large, not UTF-8) is reported.
    let mut refused = false;
    for p in paths.iter().filter(|p| !p.is_dir()) {
        if ws.file(p).is_some() {
            continue;
        }
        // Found by the walk under another spelling (`./m.py`), or through a symlink to it.
        let Ok(c) = p.canonicalize() else {
            eprintln!("keras-lsp check: {}: cannot be resolved", p.display());
            refused = true;
            continue;
        };
        if ws
            .files
            .keys()
            .any(|f| f.canonicalize().is_ok_and(|g| g == c))
        {
            continue;
        }
        match index::read_source_or_why(p, opts.max_file_size) {
            Ok(text) => ws.insert(index::analyse(p, text, &roots)),
            Err(why) => {
                eprintln!("keras-lsp check: {}: skipped: {why}", p.display());
                refused = true;
            }
        }
    }
    let folders: Vec<&PathBuf> = paths.iter().filter(|p| !p.is_file()).collect();
    let wanted = |f: &Path| {
        folders.iter().any(|d| f.starts_with(d))
            || (!named.is_empty() && f.canonicalize().is_ok_and(|c| named.contains(&c)))
    };
    let mut files: Vec<&Path> = ws
        .files
        .keys()
        .map(|p| p.as_ref())
        .filter(|f| wanted(f))
        .collect();
    files.sort();
    // Statements that could not be parsed are left out: say so.
    for f in &files {
        if let Some(fa) = ws.file(f) {
            for e in &fa.errors {
                let lc = fa
                    .line_index
                    .to_line_col(&fa.text, e.range.0, ColumnUnit::Char);
                eprintln!(
                    "{}:{}:{}: {}",
                    display_path(f),
                    lc.line + 1,
                    lc.col + 1,
                    e.message
                );
            }
        }
    }
    let mut all: Vec<(&Path, std::sync::Arc<Vec<LayerCall>>)> = Vec::new();
    for f in files {
        let calls = ws.layer_calls(f);
        if !calls.is_empty() {
            all.push((f, calls));
        }
    }
    match format {
        Format::Json => {
            let v = to_json(&ws, &all);
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Text => write_text(&ws, &all, out)?,
    }
    Ok(if refused { 2 } else { 0 })
}

fn display_path(p: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd
        .as_deref()
        .and_then(|c| p.strip_prefix(c).ok())
        .unwrap_or(p);
    // `check model.py` walks the folder `.`: print `model.py`, not `./model.py`.
    let rel: std::path::PathBuf = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    rel.to_string_lossy().replace('\\', "/")
}

fn weight_json(w: &WeightAnswer) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("weight".into(), json!(w.weight));
    o.insert("parameter".into(), json!(w.parameter));
    o.insert("trainable".into(), json!(w.trainable));
    if let Some(shape) = &w.shape {
        o.insert("shape".into(), json!(shape));
    }
    match &w.created {
        Created::No(why) => {
            o.insert("created".into(), json!(false));
            o.insert("initializer".into(), Value::Null);
            o.insert("source".into(), json!(format!("not created: {why}")));
            return Value::Object(o);
        }
        Created::Unknown(why) => {
            o.insert("created".into(), Value::Null);
            o.insert("created_reason".into(), json!(why));
        }
        Created::Yes => {
            o.insert("created".into(), json!(true));
        }
    }
    let cand_json = |c: &Candidate| -> Value {
        match c {
            Candidate::Resolved { init, origin } => {
                let mut i = json!({"class": init.class, "config": init.config});
                if let Some(n) = &init.note {
                    i["note"] = json!(n);
                }
                json!({"initializer": i, "source": origin_text(origin)})
            }
            Candidate::Unresolved { reason, origin } => {
                json!({"initializer": null, "source": origin_text(origin), "reason": format!("unresolved: {reason}")})
            }
        }
    };
    match w.candidates.as_slice() {
        [one] => {
            if let Value::Object(m) = cand_json(one) {
                o.extend(m);
            }
        }
        many => {
            o.insert("initializer".into(), Value::Null);
            o.insert("source".into(), json!("one of several values"));
            o.insert(
                "reason".into(),
                json!(if many.is_empty() {
                    "unresolved"
                } else {
                    "unresolved: several possible values (see alternatives)"
                }),
            );
            o.insert(
                "alternatives".into(),
                Value::Array(many.iter().map(cand_json).collect()),
            );
        }
    }
    Value::Object(o)
}

/// The documented JSON (see README, "JSON output").
pub fn to_json(ws: &Workspace, all: &[(&Path, std::sync::Arc<Vec<LayerCall>>)]) -> Value {
    let mut layers = Vec::new();
    for (path, calls) in all {
        let file = ws.file(path).expect("file of a layer call");
        for c in calls.iter() {
            let lc = file
                .line_index
                .to_line_col(&file.text, c.span.start, ColumnUnit::Char);
            let mut o = json!({
                "file": display_path(path),
                "line": lc.line + 1,
                "column": lc.col + 1,
                "layer": c.layer,
                "qualified": c.qualified,
                "weights": c.weights.iter().map(weight_json).collect::<Vec<_>>(),
            });
            if !c.notes.is_empty() {
                o["notes"] = json!(c.notes);
            }
            layers.push(o);
        }
    }
    json!({"keras": ws.settings.keras.label(), "layers": layers})
}

fn write_text(
    ws: &Workspace,
    all: &[(&Path, std::sync::Arc<Vec<LayerCall>>)],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let (mut n_layers, mut n_weights, mut n_one_of, mut n_unresolved) = (0, 0, 0, 0);
    for (path, calls) in all {
        let file = ws.file(path).expect("file of a layer call");
        for c in calls.iter() {
            n_layers += 1;
            let lc = file
                .line_index
                .to_line_col(&file.text, c.span.start, ColumnUnit::Char);
            writeln!(
                out,
                "{}:{}:{}: {}",
                display_path(path),
                lc.line + 1,
                lc.col + 1,
                c.qualified
            )?;
            let width = c.weights.iter().map(|w| w.weight.len()).max().unwrap_or(0);
            if c.weights.is_empty() && c.notes.is_empty() {
                writeln!(out, "    (no weights)")?;
            }
            for w in &c.weights {
                n_weights += 1;
                let text = match &w.created {
                    Created::No(why) => format!("not created ({why})"),
                    _ => {
                        let mut parts = Vec::new();
                        for cand in &w.candidates {
                            match cand {
                                Candidate::Resolved { init, origin } => {
                                    let math = crate::ide::init_math(ws, init, w.shape.as_deref())
                                        .filter(|m| w.shape.is_some() && m.contains("fan_in ="))
                                        .map(|m| format!("\n    {:width$}  {m}", ""))
                                        .unwrap_or_default();
                                    parts.push(format!(
                                        "{}  [{}]{math}",
                                        full_init(init),
                                        origin_text(origin)
                                    ))
                                }
                                Candidate::Unresolved { reason, origin } => {
                                    let o = origin_text(origin);
                                    parts.push(if o.is_empty() {
                                        format!("unresolved: {reason}")
                                    } else {
                                        format!("unresolved: {reason}  [{o}]")
                                    })
                                }
                            }
                        }
                        // Per weight: unresolved when any possibility is, else "one of" when
                        // there are several or whether it is created is not known.
                        if w.candidates
                            .iter()
                            .any(|c| matches!(c, Candidate::Unresolved { .. }))
                            || w.candidates.is_empty()
                        {
                            n_unresolved += 1;
                        } else if parts.len() > 1 || matches!(w.created, Created::Unknown(_)) {
                            n_one_of += 1;
                        }
                        let mut t = if parts.len() == 1 {
                            parts.remove(0)
                        } else {
                            format!("one of: {}", parts.join(" | "))
                        };
                        if let Created::Unknown(why) = &w.created {
                            t.push_str(&format!("  (whether it is created is unresolved: {why})"));
                        }
                        t
                    }
                };
                writeln!(out, "    {:width$}  {}", w.weight, text)?;
            }
            for n in &c.notes {
                writeln!(out, "    note: {n}")?;
            }
        }
    }
    writeln!(
        out,
        "{n_layers} layer {}, {n_weights} {}: {} definite, {n_one_of} one of several, \
         {n_unresolved} unresolved (Keras {})",
        if n_layers == 1 { "call" } else { "calls" },
        if n_weights == 1 { "weight" } else { "weights" },
        n_weights - n_one_of - n_unresolved,
        crate::knowledge::data(ws.settings.keras).keras_version()
    )?;
    Ok(())
}
