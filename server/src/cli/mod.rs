//! `keras-lsp check PATH...`: the same answers as hover, for scripts and CI.

use crate::analysis::{
    Candidate, Created, HelperCall, LayerCall, Settings, WeightAnswer, Workspace,
};
use crate::ide::diagnostics::{self, Diagnostic, Selection, Severity};
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
    /// GitHub Actions workflow commands (`::error file=...,line=...::message`): one annotation
    /// per diagnostic, nothing else.
    Github,
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

/// Runs `check`; returns the process exit code: 0 ok, 1 when an error-level diagnostic is reported
/// (a construction Keras rejects), 2 when a path does not exist or a file it was named cannot be
/// read (the others are still answered; 2 wins over 1).
pub fn run(
    paths: &[PathBuf],
    format: Format,
    keras: KerasArg,
    sel: &Selection,
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
    // them (`import config` next to `model.py`); a file of a package also with the folder that
    // holds the package, so that `from pkg.mod import x` and relative imports resolve as when the
    // program runs from there. Only the files asked for are reported.
    let mut roots: Vec<PathBuf> = paths
        .iter()
        .flat_map(|p| {
            let folder = index::folder_of(p);
            let folder = if folder.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                folder
            };
            match index::package_parent(&folder) {
                // Both in one form, so that a file walked from either is the same path.
                Some(top) if p.is_file() => vec![folder.canonicalize().unwrap_or(folder), top],
                _ => vec![folder],
            }
        })
        .collect();
    // Two files of one folder: the folder is read once.
    roots.sort();
    roots.dedup();
    let opts = WalkOptions::default();
    let (mut ws, walk_skipped) = index::load_reporting(&roots, settings, &opts);
    // The files asked for by name (canonical, to compare with `./model.py` from the walk), and the
    // folders asked for.
    let named: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_file())
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    // A file named on the command line is answered even where the walk of its folder passes it
    // over (covered by `.gitignore`, a symlink, not `*.py`); one that cannot be read (not a regular
    // file, too large, not decodable) is reported.
    let mut refused = false;
    let mut skipped: Vec<(PathBuf, String)> = Vec::new();
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
                skipped.push((p.clone(), why));
                refused = true;
            }
        }
    }
    let folders: Vec<&PathBuf> = paths.iter().filter(|p| !p.is_file()).collect();
    let wanted = |f: &Path| {
        folders.iter().any(|d| f.starts_with(d))
            || (!named.is_empty() && f.canonicalize().is_ok_and(|c| named.contains(&c)))
    };
    // Files of the folders asked for that the walk could not read (a named file is reported
    // above); not an error of the run: the other files are answered.
    let same = |a: &Path, b: &Path| a == b || a.canonicalize().ok() == b.canonicalize().ok();
    for (p, why) in walk_skipped {
        if wanted(&p) && !skipped.iter().any(|(s, _)| same(s, &p)) {
            skipped.push((p, why));
        }
    }
    skipped.sort();
    for (p, why) in &skipped {
        eprintln!("keras-lsp check: {}: skipped: {why}", display_path(p));
    }
    let mut files: Vec<&Path> = ws
        .files
        .keys()
        .map(|p| p.as_ref())
        .filter(|f| wanted(f))
        .collect();
    files.sort();
    let mut all: Vec<(&Path, std::sync::Arc<Vec<LayerCall>>)> = Vec::new();
    let mut every: Vec<(std::sync::Arc<Path>, std::sync::Arc<Vec<LayerCall>>)> = Vec::new();
    let mut helpers: Vec<(&Path, std::sync::Arc<Vec<HelperCall>>)> = Vec::new();
    for &f in &files {
        let h = ws.helper_calls(f);
        if !h.is_empty() {
            helpers.push((f, h));
        }
    }
    for f in files {
        let calls = ws.layer_calls(f);
        if let Some(fa) = ws.file(f) {
            every.push((fa.path.clone(), calls.clone()));
        }
        if !calls.is_empty() {
            all.push((f, calls));
        }
    }
    let diags = diagnostics::workspace_diagnostics(&ws, &every, sel);
    match format {
        Format::Json => {
            let mut v = to_json(&ws, &all);
            v["helper_calls"] = helpers_json(&ws, &helpers);
            v["summary"] = summary(&ws, &all, &diags);
            v["diagnostics"] =
                Value::Array(diags.iter().map(|d| diagnostic_json(&ws, d)).collect());
            v["skipped"] = skipped
                .iter()
                .map(|(p, why)| json!({"file": display_path(p), "reason": why}))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Text => {
            write_text(&ws, &all, out)?;
            write_helpers_text(&ws, &helpers, out)?;
            write_diagnostics(&ws, &diags, out)?;
            write_summary(&summary(&ws, &all, &diags), out)?;
        }
        Format::Github => write_github(&ws, &diags, out)?,
    }
    let errors = diags.iter().any(|d| d.severity == Severity::Error);
    Ok(if refused {
        2
    } else if errors {
        1
    } else {
        0
    })
}

/// Line and column (1-based, in characters) of `offset` in `path`.
fn line_col(ws: &Workspace, path: &Path, offset: u32) -> (u32, u32) {
    match ws.file(path) {
        Some(f) => {
            let lc = f.line_index.to_line_col(&f.text, offset, ColumnUnit::Char);
            (lc.line + 1, lc.col + 1)
        }
        None => (1, 1),
    }
}

/// `path:line:col: severity[code] message`, related places indented below, then a count.
fn write_diagnostics(
    ws: &Workspace,
    diags: &[Diagnostic],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if diags.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    for d in diags {
        let (l, c) = line_col(ws, &d.path, d.span.start);
        writeln!(
            out,
            "{}:{l}:{c}: {}[{}] {}",
            display_path(&d.path),
            d.severity.as_str(),
            d.code.as_str(),
            d.message
        )?;
        for r in &d.related {
            let (l, c) = line_col(ws, &r.path, r.span.start);
            writeln!(out, "    {}:{l}:{c}: {}", display_path(&r.path), r.message)?;
        }
    }
    Ok(())
}

/// How a weight's answer counts in the summary.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Created, one resolved value.
    Exact,
    /// Several resolved values, or one whose creation depends on an unresolved value.
    OneOf,
    /// A possibility is unresolved (or none is known).
    Unresolved,
    /// The layer does not create it.
    NotCreated,
}

fn kind(w: &WeightAnswer) -> Kind {
    if matches!(w.created, Created::No(_)) {
        return Kind::NotCreated;
    }
    if w.candidates.is_empty()
        || w.candidates
            .iter()
            .any(|c| matches!(c, Candidate::Unresolved { .. }))
    {
        return Kind::Unresolved;
    }
    if w.candidates.len() > 1 || matches!(w.created, Created::Unknown(_)) {
        return Kind::OneOf;
    }
    Kind::Exact
}

/// The counts of a run: layer calls; weights by [`Kind`]; diagnostics by severity; the full Keras
/// version the answers are for. The JSON `summary` object; the text summary is made from it.
fn summary(
    ws: &Workspace,
    all: &[(&Path, std::sync::Arc<Vec<LayerCall>>)],
    diags: &[Diagnostic],
) -> Value {
    let weights: Vec<Kind> = all
        .iter()
        .flat_map(|(_, calls)| calls.iter())
        .flat_map(|c| c.weights.iter().map(kind))
        .collect();
    let n = |k: Kind| weights.iter().filter(|w| **w == k).count();
    let sev = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    json!({
        "layer_calls": all.iter().map(|(_, c)| c.len()).sum::<usize>(),
        "weights": weights.len(),
        "exact": n(Kind::Exact),
        "one_of": n(Kind::OneOf),
        "unresolved": n(Kind::Unresolved),
        "not_created": n(Kind::NotCreated),
        "diagnostics": {
            "error": sev(Severity::Error),
            "warning": sev(Severity::Warning),
            "info": sev(Severity::Information),
            "hint": sev(Severity::Hint),
        },
        "keras_version": crate::knowledge::data(ws.settings.keras).keras_version(),
    })
}

/// The last line of the text report, e.g. `39 layer calls, 80 weights: 76 exact, 0 one of several,
/// 0 unresolved, 4 not created; 0 errors, 5 warnings (Keras 3.15.1)`.
fn write_summary(s: &Value, out: &mut dyn Write) -> std::io::Result<()> {
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    let d = |k: &str| s["diagnostics"][k].as_u64().unwrap_or(0);
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let others = d("info") + d("hint");
    writeln!(
        out,
        "{}, {}: {} exact, {} one of several, {} unresolved, {} not created; {}, {}{} (Keras {})",
        plural(n("layer_calls"), "layer call", "layer calls"),
        plural(n("weights"), "weight", "weights"),
        n("exact"),
        n("one_of"),
        n("unresolved"),
        n("not_created"),
        plural(d("error"), "error", "errors"),
        plural(d("warning"), "warning", "warnings"),
        if others > 0 {
            format!(
                ", {others} other diagnostic{}",
                if others == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        },
        s["keras_version"].as_str().unwrap_or("?")
    )
}

/// GitHub Actions annotations: `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=CODE::MESSAGE`.
fn write_github(ws: &Workspace, diags: &[Diagnostic], out: &mut dyn Write) -> std::io::Result<()> {
    // Workflow-command escaping: properties escape `%`, CR, LF, `:` and `,`; the message `%`, CR, LF.
    fn esc_data(s: &str) -> String {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }
    fn esc_prop(s: &str) -> String {
        esc_data(s).replace(':', "%3A").replace(',', "%2C")
    }
    for d in diags {
        let (l, c) = line_col(ws, &d.path, d.span.start);
        let (el, ec) = line_col(ws, &d.path, d.span.end);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information | Severity::Hint => "notice",
        };
        writeln!(
            out,
            "::{level} file={},line={l},col={c},endLine={el},endColumn={ec},title={}::{}",
            esc_prop(&display_path(&d.path)),
            esc_prop(&format!("keras-lsp {}", d.code.as_str())),
            esc_data(&d.message)
        )?;
    }
    Ok(())
}

/// A diagnostic in `check --format json` (see README, "Output"): file/line/column/end of the span
/// (1-based, characters), severity, code, message, url, related places, fixes' titles.
fn diagnostic_json(ws: &Workspace, d: &Diagnostic) -> Value {
    let (l, c) = line_col(ws, &d.path, d.span.start);
    let (el, ec) = line_col(ws, &d.path, d.span.end);
    json!({
        "file": display_path(&d.path),
        "line": l,
        "column": c,
        "end_line": el,
        "end_column": ec,
        "severity": d.severity.as_str(),
        "code": d.code.as_str(),
        "message": d.message,
        "url": d.code.url(),
        "related": d.related.iter().map(|r| {
            let (l, c) = line_col(ws, &r.path, r.span.start);
            json!({"file": display_path(&r.path), "line": l, "column": c, "message": r.message})
        }).collect::<Vec<_>>(),
        "fixes": d.fixes.iter().map(|f| f.title.clone()).collect::<Vec<_>>(),
    })
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

/// `file`, `line`, `column` of `span` in `path` (1-based, columns in characters).
fn place_json(ws: &Workspace, path: &Path, span: crate::syntax::ir::Span) -> Value {
    let Some(file) = ws.file(path) else {
        return json!({"file": display_path(path)});
    };
    let lc = file
        .line_index
        .to_line_col(&file.text, span.start, ColumnUnit::Char);
    json!({"file": display_path(path), "line": lc.line + 1, "column": lc.col + 1})
}

/// The `helper_calls` array (see README, "JSON output"): per call of a helper that builds
/// layers, the layers that call builds, each with its weights as in `layers[].weights`.
pub fn helpers_json(ws: &Workspace, all: &[(&Path, std::sync::Arc<Vec<HelperCall>>)]) -> Value {
    let mut out = Vec::new();
    for (path, calls) in all {
        for h in calls.iter() {
            let mut o = place_json(ws, path, h.span);
            o["helper"] = json!(h.helper);
            o["layers"] = h
                .layers
                .iter()
                .map(|b| {
                    let mut l = place_json(ws, &b.path, b.span);
                    l["layer"] = json!(b.layer);
                    l["qualified"] = json!(b.qualified);
                    l["via"] = b
                        .via
                        .iter()
                        .map(|(p, sp, n)| {
                            let mut v = place_json(ws, p, *sp);
                            v["helper"] = json!(n);
                            v
                        })
                        .collect();
                    l["built"] = if b.maybe.is_some() {
                        Value::Null
                    } else {
                        json!(true)
                    };
                    if let Some(m) = &b.maybe {
                        l["built_reason"] = json!(m);
                    }
                    l["looped"] = json!(b.looped);
                    l["weights"] = b.weights.iter().map(weight_json).collect();
                    if !b.notes.is_empty() {
                        l["notes"] = json!(b.notes);
                    }
                    l
                })
                .collect();
            if !h.notes.is_empty() {
                o["notes"] = json!(h.notes);
            }
            out.push(o);
        }
    }
    Value::Array(out)
}

/// The helper calls in the text output: one line per call with its hint label, then a line per
/// layer it builds (`path:line:col: helper `conv_bn` builds 2 layers: LABEL`).
fn write_helpers_text(
    ws: &Workspace,
    all: &[(&Path, std::sync::Arc<Vec<HelperCall>>)],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for (path, calls) in all {
        let file = ws.file(path).expect("file of a helper call");
        for h in calls.iter() {
            let lc = file
                .line_index
                .to_line_col(&file.text, h.span.start, ColumnUnit::Char);
            let label: String = crate::ide::helper_label(ws, h)
                .iter()
                .map(|p| p.text.as_str())
                .collect();
            let n = h.layers.len();
            writeln!(
                out,
                "{}:{}:{}: helper `{}` builds {n} layer{}: {label}",
                display_path(path),
                lc.line + 1,
                lc.col + 1,
                h.helper,
                if n == 1 { "" } else { "s" },
            )?;
            for n in &h.notes {
                writeln!(out, "    note: {n}")?;
            }
        }
    }
    Ok(())
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
    for (path, calls) in all {
        let file = ws.file(path).expect("file of a layer call");
        for c in calls.iter() {
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
    Ok(())
}

/// Parses a diagnostic code for `--select`/`--ignore`; the error lists the codes.
pub fn parse_code(s: &str) -> Result<diagnostics::Code, String> {
    diagnostics::Code::parse(s).ok_or_else(|| {
        format!(
            "unknown diagnostic code '{s}' (codes: {})",
            diagnostics::Code::ALL.map(|c| c.as_str()).join(", ")
        )
    })
}
