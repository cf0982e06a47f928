//! Diagnostics for the initializer mistakes Keras reports only at run time, in byte offsets and
//! editor-neutral terms. Each rule is documented with an example in `docs/diagnostics.md`, and
//! checked against the Keras runtime by `tests/diagnostics/run.py` (errors: the construction
//! raises; shared initializers: the weights named start with identical values).
//!
//! Rules report only what the answers state definitely: a weight answered "one of" or
//! "unresolved" never gives an error or a warning (soundness before recall).

use crate::analysis::eval::Evaluator;
use crate::analysis::values::Val;
use crate::analysis::{Candidate, Created, LayerCall, Workspace};
use crate::syntax::ir::{Call, DefKind, Expr, ScopeKind, Span};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Base address of the rule pages (`docs/diagnostics.md` of the repository); a rule's anchor is
/// its code.
pub const DOCS_URL: &str = "https://github.com/keras-lsp/keras-lsp/blob/main/docs/diagnostics.md";

/// A diagnostic's stable code (what `--select`/`--ignore` and the editors' settings name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// One initializer object reaches several weights.
    SharedInitializer,
    /// An initializer argument for a weight that is not created.
    IgnoredInitializer,
    /// A string that is not an initializer identifier.
    UnknownInitializer,
    /// A keyword argument the layer does not accept.
    UnknownKeyword,
    /// An identifier Keras accepts by name but fails to build (`"constant"` in Keras 3.15.1).
    InvalidInitializer,
    /// A weight whose initializer keras-lsp cannot answer (off by default).
    UnresolvedInitializer,
    /// A statement the parser could not read: no answers there.
    SkippedStatement,
}

impl Code {
    pub const ALL: [Code; 7] = [
        Code::SharedInitializer,
        Code::IgnoredInitializer,
        Code::UnknownInitializer,
        Code::UnknownKeyword,
        Code::InvalidInitializer,
        Code::UnresolvedInitializer,
        Code::SkippedStatement,
    ];

    /// The code as users write it (`shared-initializer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::SharedInitializer => "shared-initializer",
            Code::IgnoredInitializer => "ignored-initializer",
            Code::UnknownInitializer => "unknown-initializer",
            Code::UnknownKeyword => "unknown-keyword",
            Code::InvalidInitializer => "invalid-initializer",
            Code::UnresolvedInitializer => "unresolved-initializer",
            Code::SkippedStatement => "skipped-statement",
        }
    }

    /// The code named `s`, if any.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The rule's page: [`DOCS_URL`] with the code as anchor.
    pub fn url(self) -> String {
        format!("{DOCS_URL}#{}", self.as_str())
    }

    /// Whether the rule runs when the user has not chosen (`unresolved-initializer` is opt-in).
    pub fn on_by_default(self) -> bool {
        !matches!(self, Code::UnresolvedInitializer)
    }
}

/// How serious a diagnostic is. `Error` is used exactly where Keras raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "info",
            Severity::Hint => "hint",
        }
    }
}

/// Another place a diagnostic involves (the other weights a shared initializer reaches).
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub path: Arc<Path>,
    pub span: Span,
    pub message: String,
}

/// One text replacement in the diagnostic's file (byte offsets).
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    pub span: Span,
    pub new_text: String,
}

/// A quick fix: edits of the diagnostic's file, applied together.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
    /// The fix an editor may apply on "fix all" / auto-fix.
    pub preferred: bool,
}

/// One diagnostic of one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub path: Arc<Path>,
    pub span: Span,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub related: Vec<Related>,
    /// The code it points at does nothing (editors grey it out).
    pub unnecessary: bool,
    pub fixes: Vec<Fix>,
}

/// Which rules run: by default every rule but `unresolved-initializer`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Codes turned on (in addition to the default ones).
    pub select: Vec<Code>,
    /// Codes turned off (wins over `select`).
    pub ignore: Vec<Code>,
}

impl Selection {
    pub fn enabled(&self, c: Code) -> bool {
        !self.ignore.contains(&c) && (c.on_by_default() || self.select.contains(&c))
    }
}

/// The diagnostics of `path`, from its own layer calls (a shared initializer is found among the
/// weights of this file; [`workspace_diagnostics`] also follows it into other files).
pub fn file_diagnostics(ws: &Workspace, path: &Path, sel: &Selection) -> Vec<Diagnostic> {
    let calls = ws.layer_calls(path);
    let Some(file) = ws.file(path) else {
        return Vec::new();
    };
    let all = [(file.path.clone(), calls)];
    let mut out = per_file(ws, &file.path, &all[0].1, sel);
    if sel.enabled(Code::SharedInitializer) {
        out.extend(shared(ws, &all).into_iter().filter(|d| d.path == file.path));
    }
    sort(&mut out);
    out
}

/// The diagnostics of every file of `all` (each with its layer calls), a shared initializer
/// followed across all of them. Sorted by file, then position.
pub fn workspace_diagnostics(
    ws: &Workspace,
    all: &[(Arc<Path>, Arc<Vec<LayerCall>>)],
    sel: &Selection,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (p, calls) in all {
        out.extend(per_file(ws, p, calls, sel));
    }
    if sel.enabled(Code::SharedInitializer) {
        out.extend(shared(ws, all));
    }
    sort(&mut out);
    out
}

fn sort(out: &mut [Diagnostic]) {
    out.sort_by(|a, b| {
        (&a.path, a.span.start, a.span.end, a.code).cmp(&(
            &b.path,
            b.span.start,
            b.span.end,
            b.code,
        ))
    });
}

/// The rules that need only one layer call (and the skipped statements of the file).
fn per_file(
    ws: &Workspace,
    path: &Arc<Path>,
    calls: &[LayerCall],
    sel: &Selection,
) -> Vec<Diagnostic> {
    let Some(file) = ws.file(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if sel.enabled(Code::SkippedStatement) {
        for e in &file.errors {
            out.push(Diagnostic {
                path: path.clone(),
                span: Span::new(e.range.0, e.range.1),
                severity: Severity::Information,
                code: Code::SkippedStatement,
                message: match e.effect {
                    crate::syntax::parse::ErrorEffect::KeptLastGood { .. } => e.message.clone(),
                    _ => format!("{} (no initializer answers here)", e.message),
                },
                related: Vec::new(),
                unnecessary: false,
                fixes: Vec::new(),
            });
        }
    }
    let data = ws.data();
    let version = data.keras_version();
    // Code written for tf_keras answered with Keras 3's data (`--keras auto` found no tf_keras
    // in a virtualenv): Keras 3's errors are not its errors.
    if imports_tf_keras_under_keras3(ws, file) {
        return out;
    }
    let text: &str = &file.text;
    let uses = file.call_uses();
    // Whether scopes or registrations reach this file (an import graph of the workspace): asked
    // at most once per file, and only for a string Keras would reject.
    let (scoped, registered) = (std::cell::OnceCell::new(), std::cell::OnceCell::new());
    for lc in calls {
        // Only a built-in layer called directly: its keywords are the layer's own parameters.
        let Some((class, info)) = data.layer(&lc.layer) else {
            continue;
        };
        if !lc.builtin || class != lc.layer {
            continue;
        }
        let Some(&i) = uses.by_span.get(&lc.span) else {
            continue;
        };
        let call: &Call = &file.ir.calls[i as usize].call;
        if !calls_layer_class_directly(call) {
            continue;
        }
        for k in &call.keywords {
            let Some(name) = k.name.as_deref() else {
                continue;
            };
            // A keyword the construction rejects (measured by the generator for this class).
            if let (Some(err), false, true) = (
                &info.unknown_keyword_error,
                info.accepted_keywords.iter().any(|a| a == name),
                sel.enabled(Code::UnknownKeyword) && !info.accepted_keywords.is_empty(),
            ) {
                let suggestion = unique_extension(name, &info.accepted_keywords)
                    .or_else(|| closest(name, info.accepted_keywords.iter().map(String::as_str)));
                let kind = err.split(':').next().unwrap_or("an error");
                let mut message = format!(
                    "`{class}` does not accept the keyword `{name}`: Keras {version} raises {kind} when it is constructed"
                );
                if let Some(s) = suggestion {
                    message.push_str(&format!("; did you mean `{s}`?"));
                }
                let name_span = Span::new(k.span.start, k.span.start + name.len() as u32);
                out.push(Diagnostic {
                    path: path.clone(),
                    span: name_span,
                    severity: Severity::Error,
                    code: Code::UnknownKeyword,
                    message,
                    related: Vec::new(),
                    unnecessary: false,
                    fixes: suggestion
                        .filter(|s| call.keyword(s).is_none())
                        .filter(|_| {
                            text.get(name_span.start as usize..name_span.end as usize) == Some(name)
                        })
                        .map(|s| Fix {
                            title: format!("Replace with `{s}`"),
                            edits: vec![Edit {
                                span: name_span,
                                new_text: s.to_string(),
                            }],
                            preferred: true,
                        })
                        .into_iter()
                        .collect(),
                });
                continue;
            }
            // The weights this keyword controls, as answered.
            let answered: Vec<&crate::analysis::WeightAnswer> = lc
                .weights
                .iter()
                .filter(|w| w.parameter.as_deref() == Some(name))
                .collect();
            let none_created = !answered.is_empty()
                && answered.iter().all(|w| matches!(w.created, Created::No(_)));
            // An initializer argument for a weight that is not created.
            let not_created = answered.first().and_then(|w| match &w.created {
                Created::No(why) if none_created => Some((w.weight.as_str(), why.as_str())),
                _ => None,
            });
            if let (Some((weight, why)), true) =
                (not_created, sel.enabled(Code::IgnoredInitializer))
            {
                out.push(Diagnostic {
                    path: path.clone(),
                    span: k.span,
                    severity: Severity::Warning,
                    code: Code::IgnoredInitializer,
                    message: format!(
                        "`{name}` does nothing: `{class}` creates no `{weight}` weight ({why})"
                    ),
                    related: Vec::new(),
                    unnecessary: true,
                    fixes: removal(text, call, k.span)
                        .map(|edit| Fix {
                            title: format!("Remove `{name}`"),
                            edits: vec![edit],
                            preferred: true,
                        })
                        .into_iter()
                        .collect(),
                });
            }
            // A string that `initializers.get` rejects, given to an initializer parameter.
            let Expr::Str { value, span } = &k.value else {
                continue;
            };
            // The generator measured that this parameter's string goes to `initializers.get`
            // when the layer is constructed (the `*_initializer` parameters only), and the
            // layer's modules do not name this string.
            let Some(Some(measured)) = info.unknown_identifier_errors.get(name) else {
                continue;
            };
            if info.interpreted_strings.iter().any(|s| **s == **value) {
                continue;
            }
            let measured_kind = measured.split(':').next().unwrap_or("ValueError");
            // The resolver's answer for the weights of this parameter must agree (it knows
            // registered custom names and objects): every possibility unresolved for this string.
            let rejected = if answered.is_empty() {
                false
            } else if !none_created {
                answered.iter().all(|w| {
                    !w.candidates.is_empty()
                        && w.candidates.iter().all(|c| {
                            matches!(c, Candidate::Unresolved { reason, .. }
                                if reason.contains(&format!("'{value}'")) && reason.contains("raises"))
                        })
                })
            } else {
                // A weight not created: Keras still resolves the argument at construction
                // (`initializers.get` in `__init__`), but the resolver did not evaluate it. Only
                // when no name can be registered anywhere.
                !*registered.get_or_init(|| registers_names(ws, path))
            };
            // A custom-object scope entered anywhere may be around this construction at run
            // time (the scope is dynamic: the call may come from another module).
            if !rejected || *scoped.get_or_init(|| opens_custom_scopes(ws, path)) {
                continue;
            }
            let ids = &data.initializers;
            if let Some(err) = ids.broken_identifiers.get(&**value) {
                if sel.enabled(Code::InvalidInitializer) {
                    out.push(Diagnostic {
                        path: path.clone(),
                        span: *span,
                        severity: Severity::Error,
                        code: Code::InvalidInitializer,
                        message: format!(
                            "Keras {version} raises {err} when `{class}` is constructed with {name}='{value}' (the identifier names a class that needs arguments)"
                        ),
                        related: Vec::new(),
                        unnecessary: false,
                        fixes: Vec::new(),
                    });
                }
            } else if !ids.identifiers.contains_key(&**value)
                && sel.enabled(Code::UnknownInitializer)
            {
                let suggestion = closest(value, ids.identifiers.keys().map(String::as_str));
                let mut message = format!(
                    "'{value}' is not an initializer identifier: Keras {version} raises {measured_kind} when `{class}` is constructed"
                );
                if let Some(s) = suggestion {
                    message.push_str(&format!("; did you mean '{s}'?"));
                }
                out.push(Diagnostic {
                    path: path.clone(),
                    span: *span,
                    severity: Severity::Error,
                    code: Code::UnknownInitializer,
                    message,
                    related: Vec::new(),
                    unnecessary: false,
                    fixes: suggestion
                        .and_then(|s| string_content(text, *span).map(|inner| (s, inner)))
                        .map(|(s, inner)| Fix {
                            title: format!("Replace with '{s}'"),
                            edits: vec![Edit {
                                span: inner,
                                new_text: s.to_string(),
                            }],
                            preferred: true,
                        })
                        .into_iter()
                        .collect(),
                });
            }
        }
    }
    if sel.enabled(Code::InvalidInitializer) {
        out.extend(invalid_configs_and_ranks(ws, path, calls));
    }
    if sel.enabled(Code::UnresolvedInitializer) {
        for lc in calls {
            for w in &lc.weights {
                if !matches!(w.created, Created::Yes) {
                    continue;
                }
                let reasons: Vec<&str> = w
                    .candidates
                    .iter()
                    .filter_map(|c| match c {
                        Candidate::Unresolved { reason, .. } => Some(reason.as_str()),
                        _ => None,
                    })
                    .collect();
                if reasons.is_empty() {
                    continue;
                }
                out.push(Diagnostic {
                    path: path.clone(),
                    span: lc.callee_span,
                    severity: Severity::Hint,
                    code: Code::UnresolvedInitializer,
                    message: format!(
                        "the initializer of `{}` of `{}` is unresolved: {}",
                        w.weight,
                        lc.layer,
                        reasons.join("; ")
                    ),
                    related: Vec::new(),
                    unnecessary: false,
                    fixes: Vec::new(),
                });
            }
        }
    }
    out
}

/// `invalid-initializer` from the answers of `calls` (layer calls of `path`), for weights with
/// one possibility, a Keras initializer class:
///
/// * an argument its constructor rejects (generated `argument_checks`:
///   `VarianceScaling(mode="fan_inn")`, `scale=-1.0`): reported once at the object's construction
///   when it is in this file (Keras raises there, before any layer), or at the layer's argument for
///   a config dict (`initializers.get` raises when the layer is constructed);
/// * a weight of known shape whose rank a default instance of the class rejects when called
///   (generated `rank_errors`: `"orthogonal"` on a bias), at the argument (Keras raises when the
///   layer is built).
fn invalid_configs_and_ranks(
    ws: &Workspace,
    path: &Arc<Path>,
    calls: &[LayerCall],
) -> Vec<Diagnostic> {
    let data = ws.data();
    let version = data.keras_version();
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for lc in calls {
        for w in &lc.weights {
            if !matches!(w.created, Created::Yes) || w.candidates.len() != 1 {
                continue;
            }
            let Candidate::Resolved { init, origin } = &w.candidates[0] else {
                continue;
            };
            if init.kind != crate::analysis::InitKind::Keras {
                continue;
            }
            let Some(info) = data.initializers.classes.get(&init.class) else {
                continue;
            };
            // The argument that passes it, when written in this layer call.
            let arg = origin
                .first()
                .and_then(|s| s.span.filter(|_| s.file.as_deref() == Some(&**path)))
                .filter(|s| lc.span.start <= s.start && s.end <= lc.span.end);
            let class = &init.class;
            // A constructor argument Keras rejects.
            if let Some((p, check, v)) = rejected_argument(ws, init) {
                let accepted = if check.choices.is_empty() {
                    if check.positive {
                        "a positive number"
                    } else {
                        "a number >= 0"
                    }
                    .to_string()
                } else {
                    check
                        .choices
                        .iter()
                        .map(|c| format!("'{c}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let err = &check.error;
                let place = match &init.instance {
                    Some((ipath, ispan)) if ipath == path => Some((
                        *ispan,
                        format!("Keras {version} raises {err} when the `{class}` object is constructed with {p}={v}"),
                    )),
                    // Another file's object: reported there, when that file's layer calls reach it.
                    Some(_) => None,
                    None => arg.map(|a| {
                        (
                            a,
                            format!(
                                "Keras {version} raises {err} when `{}` is constructed: its `{class}` config has {p}={v}",
                                lc.layer
                            ),
                        )
                    }),
                };
                if let Some((span, msg)) = place {
                    if seen.insert((span.start, span.end)) {
                        out.push(Diagnostic {
                            path: path.clone(),
                            span,
                            severity: Severity::Error,
                            code: Code::InvalidInitializer,
                            message: format!("{msg} (accepted: {accepted})"),
                            related: Vec::new(),
                            unnecessary: false,
                            fixes: Vec::new(),
                        });
                    }
                }
                continue;
            }
            // A weight rank the initializer cannot fill.
            let Some(shape) = &w.shape else { continue };
            let Some(err) = info.rank_errors.get(&shape.len().to_string()) else {
                continue;
            };
            let span = arg.unwrap_or(lc.callee_span);
            if !seen.insert((span.start, span.end)) {
                continue;
            }
            let kind = err.split(':').next().unwrap_or("ValueError");
            out.push(Diagnostic {
                path: path.clone(),
                span,
                severity: Severity::Error,
                code: Code::InvalidInitializer,
                message: format!(
                    "Keras {version} raises {kind} when `{}` is built: `{class}` cannot initialize `{}` of shape {shape:?} (rank {}): \"{}\"",
                    lc.layer,
                    w.weight,
                    shape.len(),
                    // Keras's own words, without the probe's shape.
                    err.split_once(": ")
                        .map_or(err.as_str(), |x| x.1)
                        .split(" Received")
                        .next()
                        .unwrap_or_default()
                ),
                related: Vec::new(),
                unnecessary: false,
                fixes: Vec::new(),
            });
        }
    }
    out
}

/// The first argument in the config of `init` (a Keras initializer class) that its constructor
/// rejects, by the generated `argument_checks`: (parameter, check, value).
fn rejected_argument<'a>(
    ws: &'a Workspace,
    init: &'a crate::analysis::InitVal,
) -> Option<(
    &'a String,
    &'a crate::knowledge::ArgumentCheck,
    &'a serde_json::Value,
)> {
    if init.kind != crate::analysis::InitKind::Keras {
        return None;
    }
    let info = ws.data().initializers.classes.get(&init.class)?;
    info.argument_checks.iter().find_map(|(p, check)| {
        let v = init.config.get(p)?;
        (check.rejects(v) == Some(true)).then_some((p, check, v))
    })
}

/// Calls that make identifiers resolvable at run time beyond Keras's own: custom-object scopes
/// (dynamic: around whatever runs inside them) and registrations.
const SCOPES: [&str; 3] = [
    "custom_object_scope",
    "CustomObjectScope",
    "get_custom_objects",
];
const REGISTRATIONS: [&str; 2] = [
    "register_keras_serializable",
    "register_keras_custom_object",
];

/// Whether a file calling one of `names` is connected to `path` by imports (either direction,
/// transitively): only then can what it registers or the scope it opens reach a construction in
/// `path` (a scope is dynamic: a construction in a module its code imports or calls runs inside
/// it). Bounded by the number of files (a visited set).
fn reaches_by_imports(ws: &Workspace, path: &Path, names: &[&str]) -> bool {
    let mut sources: Vec<Arc<Path>> = names
        .iter()
        .flat_map(|n| {
            ws.call_sites_named(n)
                .iter()
                .map(|(f, _)| f.path.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    if sources.is_empty() {
        return false;
    }
    sources.sort();
    sources.dedup();
    if sources.iter().any(|s| &**s == path) {
        return true;
    }
    // Undirected import graph over the workspace's files, explored from `path`.
    let mut ev = Evaluator::new(ws);
    let mut imports: std::collections::HashMap<Arc<Path>, Vec<Arc<Path>>> = Default::default();
    for f in ws.files.values() {
        let mut out = Vec::new();
        for d in &f.ir.defs {
            let (module, level) = match &d.kind {
                DefKind::Import { full, .. } => (full.to_string(), 0),
                DefKind::ImportFrom {
                    module,
                    level,
                    name,
                } => {
                    // `from pkg import mod` may import a module.
                    let m = if module.is_empty() {
                        name.to_string()
                    } else {
                        format!("{module}.{name}")
                    };
                    if let Val::Module(t) = ev.import_module(f, &m, *level) {
                        out.push(t.path.clone());
                    }
                    (module.to_string(), *level)
                }
                DefKind::StarImport { module, level, .. } => (module.to_string(), *level),
                _ => continue,
            };
            if let Val::Module(t) = ev.import_module(f, &module, level) {
                out.push(t.path.clone());
            }
        }
        for t in &out {
            imports.entry(t.clone()).or_default().push(f.path.clone());
        }
        imports.entry(f.path.clone()).or_default().extend(out);
    }
    let mut seen: std::collections::HashSet<Arc<Path>> = Default::default();
    let Some(start) = ws.file(path).map(|f| f.path.clone()) else {
        return true;
    };
    let mut stack = vec![start];
    while let Some(p) = stack.pop() {
        if !seen.insert(p.clone()) {
            continue;
        }
        if sources.contains(&p) {
            return true;
        }
        if let Some(next) = imports.get(&p) {
            stack.extend(next.iter().filter(|n| !seen.contains(*n)).cloned());
        }
    }
    false
}

/// A custom-object scope may be open around constructions in `path`.
fn opens_custom_scopes(ws: &Workspace, path: &Path) -> bool {
    reaches_by_imports(ws, path, &SCOPES)
}

/// Names may be registered (or a scope opened) for constructions in `path`.
fn registers_names(ws: &Workspace, path: &Path) -> bool {
    reaches_by_imports(
        ws,
        path,
        &[SCOPES.as_slice(), REGISTRATIONS.as_slice()].concat(),
    )
}

/// Whether `file` imports `tf_keras` while the answers are for Keras 3.
fn imports_tf_keras_under_keras3(ws: &Workspace, file: &crate::analysis::FileAnalysis) -> bool {
    ws.settings.keras == crate::knowledge::KerasVersion::Keras3
        && file.ir.defs.iter().any(|d| match &d.kind {
            DefKind::Import { full, .. } => full.starts_with("tf_keras"),
            DefKind::ImportFrom { module, .. } | DefKind::StarImport { module, .. } => {
                module.starts_with("tf_keras")
            }
            _ => false,
        })
}

/// `Dense(...)`, `layers.Dense(...)`, `keras.layers.Dense(...)`: the callee is a name or a dotted
/// name (not a call, a subscript, a partial's result), so the call's keywords go to the class.
fn calls_layer_class_directly(call: &Call) -> bool {
    let mut e = &call.func;
    for _ in 0..16 {
        match e {
            Expr::Name { .. } => return true,
            Expr::Attr { value, .. } => e = value,
            _ => return false,
        }
    }
    false
}

/// One weight reached by an initializer object: where its layer is constructed.
struct Reach {
    path: Arc<Path>,
    layer_span: Span,
    callee_span: Span,
    layer: String,
    weight: String,
    shape: Option<Vec<u64>>,
    /// The argument that passes it, when written in the layer call itself.
    arg: Option<Span>,
}

/// The weights one initializer object reaches: its class, whether it is seeded, and the weights,
/// by where the object is constructed (file, span start, span end).
type ByObject = BTreeMap<(Arc<Path>, u32, u32), (crate::analysis::InitVal, bool, Vec<Reach>)>;

/// Initializer objects constructed once (a module-level statement outside any loop) that reach
/// more than one weight, each definitely (one possibility, that object): reported at each use,
/// with the object's construction and the other weights as related places.
/// The most weights a shared-initializer diagnostic relates it to.
const MAX_RELATED: usize = 20;

fn shared(ws: &Workspace, all: &[(Arc<Path>, Arc<Vec<LayerCall>>)]) -> Vec<Diagnostic> {
    let mut by_object: ByObject = BTreeMap::new();
    for (path, calls) in all {
        let Some(file) = ws.file(path) else { continue };
        // Once per file: a scan of its definitions (per call, it made 200,000 calls quadratic).
        if imports_tf_keras_under_keras3(ws, file) {
            continue;
        }
        for lc in calls.iter() {
            // Only a layer call that runs whenever its scope does (no condition around it in its
            // function or module): two calls on exclusive branches never share an object.
            let unconditional = file
                .call_uses()
                .by_span
                .get(&lc.span)
                .is_some_and(|&i| file.ir.calls[i as usize].pred == crate::syntax::ir::TRUE);
            if !unconditional {
                continue;
            }
            for w in &lc.weights {
                if !matches!(w.created, Created::Yes) || w.candidates.len() != 1 {
                    continue;
                }
                let Candidate::Resolved { init, origin } = &w.candidates[0] else {
                    continue;
                };
                let Some((ipath, ispan)) = &init.instance else {
                    continue;
                };
                // A deterministic initializer (no `seed` in its config: Zeros, Constant,
                // Identity) gives the same values whether shared or not; a sub-layer's weight
                // (`query/kernel`) may get a copy of the object (Keras 3 `MultiHeadAttention`
                // clones its initializers per sub-layer).
                if !init.config.contains_key("seed") || w.weight.contains('/') {
                    continue;
                }
                // An object Keras fails to construct (`invalid-initializer`) is never shared.
                if rejected_argument(ws, init).is_some() {
                    continue;
                }
                let arg = origin
                    .first()
                    .and_then(|s| s.span.filter(|_| s.file.as_deref() == Some(&**path)))
                    .filter(|s| lc.span.start <= s.start && s.end <= lc.span.end);
                by_object
                    .entry((ipath.clone(), ispan.start, ispan.end))
                    .or_insert_with(|| {
                        let seeded = init.config.get("seed").is_some_and(|v| !v.is_null());
                        (init.clone(), seeded, Vec::new())
                    })
                    .2
                    .push(Reach {
                        path: path.clone(),
                        layer_span: lc.span,
                        callee_span: lc.callee_span,
                        layer: lc.layer.clone(),
                        weight: w.weight.clone(),
                        shape: w.shape.clone(),
                        arg,
                    });
            }
        }
    }
    let mut out = Vec::new();
    for ((ipath, start, end), (init, seeded, reaches)) in by_object {
        let class = init.class.clone();
        let ispan = Span::new(start, end);
        let mut layer_calls: Vec<(&Arc<Path>, Span)> =
            reaches.iter().map(|r| (&r.path, r.layer_span)).collect();
        layer_calls.sort();
        layer_calls.dedup();
        if layer_calls.len() < 2 || !constructed_once(ws, &ipath, ispan) {
            continue;
        }
        let here = |r: &Reach| {
            format!(
                "`{}` of `{}`{}",
                r.weight,
                r.layer,
                r.shape
                    .as_ref()
                    .map(|s| format!(" (shape {s:?})"))
                    .unwrap_or_default()
            )
        };
        let consequence =
            "they start from the same random draws (identical values for weights of one shape)";
        // The identifier string equal to the object, by file of the use (asked once per file).
        let mut idents: BTreeMap<Arc<Path>, Option<String>> = BTreeMap::new();
        for (use_no, r) in reaches.iter().enumerate() {
            let ident = match r.arg {
                Some(_) => idents
                    .entry(r.path.clone())
                    .or_insert_with(|| {
                        ws.file(&r.path)
                            .and_then(|f| equal_identifier(ws, f, &init))
                    })
                    .clone(),
                None => None,
            };
            let mut related = vec![Related {
                path: ipath.clone(),
                span: ispan,
                message: format!("the `{class}` object, constructed once"),
            }];
            // The other weights, at most `MAX_RELATED` of them (one object given to thousands of
            // layers would make the diagnostics quadratic); the message gives the count.
            related.extend(
                reaches
                    .iter()
                    .filter(|o| {
                        !(o.path == r.path && o.layer_span == r.layer_span && o.weight == r.weight)
                    })
                    .take(MAX_RELATED)
                    .map(|o| Related {
                        path: o.path.clone(),
                        span: o.callee_span,
                        message: here(o),
                    }),
            );
            out.push(Diagnostic {
                path: r.path.clone(),
                span: r.arg.unwrap_or(r.callee_span),
                severity: Severity::Warning,
                code: Code::SharedInitializer,
                message: format!(
                    "`{}` shares one `{class}` object with at least {} other weight{}: {consequence}",
                    r.weight,
                    reaches.len() - 1,
                    if reaches.len() == 2 { "" } else { "s" }
                ),
                related,
                unnecessary: false,
                fixes: r
                    .arg
                    .and_then(|arg| fresh_copy(ws, &r.path, arg, &ipath, ispan, seeded, use_no))
                    .into_iter()
                    .chain(r.arg.zip(ident).map(|(arg, id)| Fix {
                        title: format!("Give this layer its own `{class}`: \"{id}\""),
                        edits: vec![Edit {
                            span: arg,
                            new_text: format!("\"{id}\""),
                        }],
                        preferred: false,
                    }))
                    .collect(),
            });
        }
    }
    out
}

/// The snake_case identifier string that builds, in `file`, an initializer equal to `init` (a Keras
/// class's object with that identifier's config, unseeded): Keras builds a fresh object from it for
/// each weight. The longest such identifier (`glorot_uniform`, not an alias).
fn equal_identifier(
    ws: &Workspace,
    file: &crate::analysis::FileAnalysis,
    init: &crate::analysis::InitVal,
) -> Option<String> {
    if init.kind != crate::analysis::InitKind::Keras
        || init.note.is_some()
        || init.config.get("seed").is_some_and(|v| !v.is_null())
    {
        return None;
    }
    let mut ev = Evaluator::for_file(ws, file);
    ws.data()
        .initializers
        .identifiers
        .iter()
        .filter(|(k, v)| **v == init.class && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|(k, _)| k.as_str())
        .filter(|k| {
            ev.identifier(k)
                .is_ok_and(|iv| iv.config == init.config && iv.class == init.class)
        })
        .max_by_key(|k| k.len())
        .map(str::to_string)
}

/// The fix of a shared initializer at argument `arg`, the `use_no`-th use of the object: a fresh
/// construction written as the object's own (`initializers.HeNormal()` for `init`), when both are
/// in one file and the object's construction reads only names bound once in the module (so the
/// copy means the same at the argument). A copy of a seeded object would draw the same values
/// again: its `seed=` literal is replaced by a distinct seed ([`distinct_seed`]).
fn fresh_copy(
    ws: &Workspace,
    path: &Arc<Path>,
    arg: Span,
    ipath: &Arc<Path>,
    ispan: Span,
    seeded: bool,
    use_no: usize,
) -> Option<Fix> {
    if path != ipath {
        return None;
    }
    let file = ws.file(path)?;
    let text: &str = &file.text;
    let ctor = text.get(ispan.start as usize..ispan.end as usize)?;
    if ctor.contains('\n') || ctor.contains('#') {
        return None;
    }
    // Every name the construction reads: module-level, one definition, not rebound elsewhere.
    let module = 0;
    let mut names = Vec::new();
    let site = &file.ir.calls[*file.call_uses().by_span.get(&ispan)? as usize];
    collect_names(&site.call.func, &mut names);
    for a in &site.call.args {
        collect_names(a, &mut names);
    }
    for k in &site.call.keywords {
        collect_names(&k.value, &mut names);
    }
    if names.iter().any(|n| file.ir.defs_of(module, n).len() != 1) {
        return None;
    }
    if seeded {
        let (copy, seed) = distinct_seed(file, &site.call, ctor, ispan, use_no)?;
        return Some(Fix {
            title: format!("Give this layer its own `{copy}` (a distinct seed, {seed})"),
            edits: vec![Edit {
                span: arg,
                new_text: copy,
            }],
            preferred: false,
        });
    }
    Some(Fix {
        title: format!("Give this layer its own `{ctor}`"),
        edits: vec![Edit {
            span: arg,
            new_text: ctor.to_string(),
        }],
        preferred: false,
    })
}

/// For the `use_no`-th use of a seeded object constructed by `call` (text `ctor` at `ispan`): the
/// construction with its `seed=` integer literal replaced by the `use_no + 1`-th integer above it
/// that no `seed=` integer literal of the file uses, and that seed. Distinct uses get distinct
/// seeds, none equal to the object's own or another object's of the file, so fixing any subset of
/// the uses leaves no two of them drawing the same values. `None` unless the seed is a keyword
/// integer literal.
fn distinct_seed(
    file: &crate::analysis::FileAnalysis,
    call: &Call,
    ctor: &str,
    ispan: Span,
    use_no: usize,
) -> Option<(String, i64)> {
    let kw = call.keyword("seed")?;
    let Expr::Num {
        value: crate::syntax::ir::Number::Int(seed),
        span,
    } = &kw.value
    else {
        return None;
    };
    let taken: std::collections::HashSet<i64> = file
        .ir
        .calls
        .iter()
        .filter_map(|c| match c.call.keyword("seed").map(|k| &k.value) {
            Some(Expr::Num {
                value: crate::syntax::ir::Number::Int(v),
                ..
            }) => Some(*v),
            _ => None,
        })
        .collect();
    let new = (seed.checked_add(1)?..)
        .take(taken.len() + use_no + 1)
        .filter(|s| !taken.contains(s))
        .nth(use_no)?;
    let (a, b) = (
        span.start.checked_sub(ispan.start)? as usize,
        span.end.checked_sub(ispan.start)? as usize,
    );
    let mut copy = ctor.to_string();
    copy.get(a..b)?;
    copy.replace_range(a..b, &new.to_string());
    Some((copy, new))
}

/// The free names an expression reads (only names, dotted names, literals and calls of them;
/// anything else makes the list unusable, marked by an empty name).
fn collect_names(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Name { id, .. } => out.push(id.to_string()),
        Expr::Attr { value, .. } => collect_names(value, out),
        Expr::Str { .. } | Expr::Num { .. } | Expr::Bool { .. } | Expr::NoneLit { .. } => {}
        Expr::Call(c) => {
            collect_names(&c.func, out);
            c.args.iter().for_each(|a| collect_names(a, out));
            c.keywords.iter().for_each(|k| collect_names(&k.value, out));
        }
        _ => out.push(String::new()),
    }
}

/// Whether the call at `span` of `path` runs at most once per run of the program: a statement of
/// the module's own body, outside any loop. (A construction in a function makes one object per
/// call.)
fn constructed_once(ws: &Workspace, path: &Path, span: Span) -> bool {
    let Some(file) = ws.file(path) else {
        return false;
    };
    let Some(&i) = file.call_uses().by_span.get(&span) else {
        return false;
    };
    let site = &file.ir.calls[i as usize];
    matches!(file.ir.scopes[site.scope].kind, ScopeKind::Module) && !site.looped
}

/// The identifier closest to `s` (case-insensitive edit distance at most a third of its length,
/// at least 1, at most 3), if any.
fn closest<'a>(s: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let low = s.to_lowercase();
    let limit = (low.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|c| (distance(&low, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len(), *c))
        .map(|(_, c)| c)
}

/// The one candidate that `s` is a proper prefix of (`kernel_init` → `kernel_initializer`).
fn unique_extension<'a>(s: &str, candidates: &'a [String]) -> Option<&'a str> {
    let mut it = candidates
        .iter()
        .filter(|c| c.len() > s.len() && c.starts_with(s));
    let first = it.next()?;
    it.next().is_none().then_some(first.as_str())
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The span of a plain string literal's content (between its quotes), when the literal is one
/// simple `'...'` or `"..."` with no prefix and no escapes.
fn string_content(text: &str, span: Span) -> Option<Span> {
    let lit = text.get(span.start as usize..span.end as usize)?;
    let q = lit.chars().next()?;
    if !(q == '\'' || q == '"') || lit.len() < 2 || !lit.ends_with(q) || lit.contains('\\') {
        return None;
    }
    if lit.starts_with(&format!("{q}{q}{q}")) {
        return None;
    }
    Some(Span::new(span.start + 1, span.end - 1))
}

/// The edit that removes keyword argument `kw` of `call` with its separating comma.
fn removal(text: &str, call: &Call, kw: Span) -> Option<Edit> {
    if text.is_empty() || kw.end as usize > text.len() {
        return None;
    }
    let b = text.as_bytes();
    // The comma before it (after the previous argument), across whitespace only.
    let mut i = kw.start as usize;
    while i > call.span.start as usize && (b[i - 1] as char).is_ascii_whitespace() {
        i -= 1;
    }
    if i > call.span.start as usize && b[i - 1] == b',' {
        return Some(Edit {
            span: Span::new((i - 1) as u32, kw.end),
            new_text: String::new(),
        });
    }
    // The first argument: the comma after it and the whitespace that follows.
    let mut j = kw.end as usize;
    while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
        j += 1;
    }
    if j < b.len() && b[j] == b',' {
        j += 1;
        while j < b.len() && (b[j] as char).is_ascii_whitespace() {
            j += 1;
        }
        return Some(Edit {
            span: Span::new(kw.start, j as u32),
            new_text: String::new(),
        });
    }
    Some(Edit {
        span: kw,
        new_text: String::new(),
    })
}

/// `text` with `edits` applied (non-overlapping, any order).
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    let mut out = text.to_string();
    for e in edits {
        out.replace_range(e.span.start as usize..e.span.end as usize, &e.new_text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_identifier() {
        let ids = ["he_normal", "he_uniform", "zeros", "ones", "glorot_uniform"];
        assert_eq!(closest("he_normall", ids.into_iter()), Some("he_normal"));
        assert_eq!(closest("Zeros", ids.into_iter()), Some("zeros"));
        assert_eq!(
            closest("glorotuniform", ids.into_iter()),
            Some("glorot_uniform")
        );
        assert_eq!(closest("xavier", ids.into_iter()), None);
    }

    #[test]
    fn code_names_round_trip() {
        for c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(c));
        }
        assert_eq!(Code::parse("nope"), None);
    }
}
