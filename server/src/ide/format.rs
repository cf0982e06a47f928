//! Text of hovers, labels and tooltips.

use crate::analysis::layers::py;
use crate::analysis::{
    Candidate, Created, FileAnalysis, InitKind, InitVal, LayerCall, Step, WeightAnswer, Workspace,
};
use crate::knowledge;
use serde_json::Value;

/// `RandomNormal(mean=0.0, stddev=0.02, seed=None)`.
///
/// Keras 3's `input_axes`/`output_axes` are shown only when set (EinsumDense clones).
pub fn full_init(init: &InitVal) -> String {
    let args: Vec<String> = init
        .config
        .iter()
        .filter(|(k, v)| !(matches!(k.as_str(), "input_axes" | "output_axes") && v.is_null()))
        .map(|(k, v)| format!("{k}={}", py(v)))
        .collect();
    format!("{}({})", init.class, args.join(", "))
}

/// `he_normal`, or `random_normal(stddev=0.02)` when the config differs from the class defaults.
pub fn compact_label(ws: &Workspace, init: &InitVal) -> String {
    let data = knowledge::data(ws.settings.keras);
    // Stand-ins for closures: `unit_forget_bias(zeros)`, `sqrt(ones)`.
    if let (Some(inner), true) = (
        init.config.get("initializer"),
        matches!(init.class.as_str(), "UnitForgetBias" | "SqrtOf"),
    ) {
        if let Ok(cc) = serde_json::from_value::<crate::knowledge::ClassConfig>(inner.clone()) {
            let inner = InitVal {
                class: cc.class,
                config: cc.config,
                kind: InitKind::Keras,
                note: None,
                instance: None,
            };
            let name = if init.class == "SqrtOf" {
                "sqrt"
            } else {
                "unit_forget_bias"
            };
            return format!("{name}({})", compact_label(ws, &inner));
        }
    }
    match &init.kind {
        InitKind::Keras | InitKind::TfCore { .. } => {
            let defaults = data
                .initializers
                .classes
                .get(&init.class)
                .map(|c| &c.default_config);
            let changed: Vec<String> = init
                .config
                .iter()
                .filter(|(k, v)| defaults.and_then(|d| d.get(*k)) != Some(*v))
                .filter(|(k, v)| !(k.as_str() == "seed" && v.is_null()))
                .filter(|(k, _)| !matches!(k.as_str(), "input_axes" | "output_axes" | "dtype"))
                .map(|(k, v)| format!("{k}={}", py(v)))
                .collect();
            let name = if let InitKind::TfCore { spelling, .. } = &init.kind {
                match spelling.rsplit('.').next() {
                    Some(last) => last.to_string(),
                    None => data.snake_name(&init.class).into_owned(),
                }
            } else {
                data.snake_name(&init.class).into_owned()
            };
            if changed.is_empty() {
                name
            } else {
                format!("{name}({})", changed.join(", "))
            }
        }
        InitKind::CustomClass { .. } => {
            let args: Vec<String> = init
                .config
                .iter()
                .map(|(k, v)| format!("{k}={}", py(v)))
                .collect();
            format!("{}({})", init.class, args.join(", "))
        }
        InitKind::CustomFunction { .. } => init
            .config
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&init.class)
            .to_string(),
    }
}

/// "argument `kernel_initializer` at line 12 ← variable `init` bound at line 3".
pub fn origin_text(origin: &[Step]) -> String {
    origin
        .iter()
        .map(|s| s.text.clone())
        .collect::<Vec<_>>()
        .join(" ← ")
}

fn cell_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Label parts: `kernel=he_normal bias=zeros`; a custom class part carries its location.
pub fn label_parts(ws: &Workspace, call: &LayerCall) -> Vec<super::LabelPart> {
    let show_defaults = ws.settings.show_defaults;
    let mut parts: Vec<super::LabelPart> = Vec::new();
    let ws_labels: Vec<(
        String,
        Option<(std::sync::Arc<std::path::Path>, crate::syntax::ir::Span)>,
    )> = call
        .weights
        .iter()
        .filter(|w| super::visible(w, show_defaults))
        .map(|w| weight_label(ws, w))
        .collect();
    for (i, (text, target)) in ws_labels.into_iter().enumerate() {
        let sep = if i == 0 { "" } else { " " };
        match target {
            Some(t) => {
                let (name, rest) = text
                    .split_once('=')
                    .map(|(a, b)| (format!("{a}="), b.to_string()))
                    .unwrap_or((String::new(), text.clone()));
                parts.push(super::LabelPart {
                    text: format!("{sep}{name}"),
                    target: None,
                });
                parts.push(super::LabelPart {
                    text: rest,
                    target: Some(t),
                });
            }
            None => parts.push(super::LabelPart {
                text: format!("{sep}{text}"),
                target: None,
            }),
        }
    }
    // Merge adjacent plain parts so Neovim's joined string and VS Code agree.
    let mut merged: Vec<super::LabelPart> = Vec::new();
    for p in parts {
        match merged.last_mut() {
            Some(last) if last.target.is_none() && p.target.is_none() => {
                last.text.push_str(&p.text)
            }
            _ => merged.push(p),
        }
    }
    merged.retain(|p| !p.text.is_empty());
    merged
}

fn short_weight(w: &str) -> &str {
    w
}

fn weight_label(
    ws: &Workspace,
    w: &WeightAnswer,
) -> (
    String,
    Option<(std::sync::Arc<std::path::Path>, crate::syntax::ir::Span)>,
) {
    let name = short_weight(&w.weight);
    match &w.created {
        Created::No(_) => return (format!("{name}=none"), None),
        Created::Unknown(_) => {}
        Created::Yes => {}
    }
    let mut texts = Vec::new();
    let mut target = None;
    for c in &w.candidates {
        match c {
            Candidate::Resolved { init, .. } => {
                let t = compact_label(ws, init);
                if let InitKind::CustomClass { file, span, .. }
                | InitKind::CustomFunction { file, span, .. } = &init.kind
                {
                    target = Some((file.clone(), *span));
                }
                if !texts.contains(&t) {
                    texts.push(t);
                }
            }
            Candidate::Unresolved { .. } => {
                if !texts.contains(&"?".to_string()) {
                    texts.push("?".into());
                }
            }
        }
    }
    let mut s = format!("{name}={}", texts.join("|"));
    if matches!(w.created, Created::Unknown(_)) {
        s.push_str("(if created)");
    }
    (s, if texts.len() == 1 { target } else { None })
}

/// `true` when the hover of `call` needs the file's other layer calls: a weight's initializer is
/// one object (bound to a name) with a seed, which other weights may share (see
/// [`hover_markdown`]).
pub fn needs_other_calls(call: &LayerCall) -> bool {
    call.weights.iter().any(|w| {
        w.candidates.iter().any(|c| {
            matches!(c, Candidate::Resolved { init, .. }
                if init.instance.is_some() && init.config.contains_key("seed"))
        })
    })
}

/// The hover: qualified layer name, Keras version, then one row per weight. `all` holds the other
/// layer calls of the file, for the note on shared initializer objects (every call of the file
/// when [`needs_other_calls`] says so).
pub fn hover_markdown(
    ws: &Workspace,
    file: &FileAnalysis,
    call: &LayerCall,
    all: &[LayerCall],
) -> String {
    let data = knowledge::data(ws.settings.keras);
    let mut s = String::new();
    s.push_str(&format!(
        "**{}** — initializers for Keras {}\n\n",
        call.qualified,
        data.keras_version()
    ));
    if call.weights.is_empty() {
        s.push_str("No weights.\n");
    } else {
        s.push_str("| weight | initializer | from |\n|---|---|---|\n");
        for w in &call.weights {
            let (init, from) = weight_cells(w);
            s.push_str(&format!(
                "| `{}` | {} | {} |\n",
                w.weight,
                cell_escape(&init),
                cell_escape(&from)
            ));
        }
    }
    let mut notes: Vec<String> = call.notes.clone();
    for w in &call.weights {
        for c in &w.candidates {
            if let Candidate::Resolved { init, .. } = c {
                if let Some(n) = &init.note {
                    let n = format!("`{}`: {n}", w.weight);
                    if !notes.contains(&n) {
                        notes.push(n);
                    }
                }
                if let InitKind::CustomClass {
                    doc,
                    file: f,
                    span,
                    base,
                } = &init.kind
                {
                    let first = doc
                        .as_deref()
                        .and_then(|d| d.trim().lines().next())
                        .unwrap_or("");
                    let line = ws.file(f).map(|ff| ff.line1(span.start)).unwrap_or(0);
                    let fname = f
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let n = format!(
                        "custom initializer `{}` ({fname}:{line}{}){}",
                        init.class,
                        base.as_ref()
                            .map(|b| format!(", subclass of `{b}`"))
                            .unwrap_or_default(),
                        if first.is_empty() {
                            String::new()
                        } else {
                            format!(": {first}")
                        }
                    );
                    if !notes.contains(&n) {
                        notes.push(n);
                    }
                }
            }
        }
    }
    // One initializer object shared by several weights: Keras draws its seed once, so weights of
    // the same shape get identical values (Keras 3, and tf.keras since 2.10).
    for w in &call.weights {
        for c in &w.candidates {
            let Candidate::Resolved { init, .. } = c else {
                continue;
            };
            let Some(id) = &init.instance else { continue };
            if !init.config.contains_key("seed") {
                continue; // not random: every weight gets the same values anyway
            }
            let mut others = Vec::new();
            for other in all {
                for ow in &other.weights {
                    let itself = other.span == call.span && ow.weight == w.weight;
                    if itself || matches!(ow.created, Created::No(_)) {
                        continue;
                    }
                    let shares = ow.candidates.iter().any(|oc| {
                        matches!(oc, Candidate::Resolved { init: oi, .. } if oi.instance.as_ref() == Some(id))
                    });
                    if shares {
                        let line = file.line1(other.span.start);
                        let same = if ow.shape.is_some() && ow.shape == w.shape {
                            ", same shape"
                        } else {
                            ""
                        };
                        others.push(format!(
                            "`{}` of `{}` at line {line}{same}",
                            ow.weight, other.layer
                        ));
                    }
                }
            }
            if !others.is_empty() {
                const SHOWN: usize = 5;
                if others.len() > SHOWN {
                    let more = others.len() - SHOWN;
                    others.truncate(SHOWN);
                    others.push(format!("and {more} more"));
                }
                let n = format!(
                    "`{}`: the same `{}` object (made at line {}) also initializes {}; Keras draws its seed once, so weights of the same shape get identical values",
                    w.weight,
                    init.class,
                    ws.file(&id.0).map(|f| f.line1(id.1.start)).unwrap_or(0),
                    others.join(", ")
                );
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
        }
    }
    let math: Vec<String> = call
        .weights
        .iter()
        .filter(|w| !matches!(w.created, Created::No(_)))
        .filter_map(|w| {
            let init = match w.candidates.as_slice() {
                [Candidate::Resolved { init, .. }] => init,
                _ => return None,
            };
            let m = init_math(ws, init, w.shape.as_deref())?;
            let shape = w
                .shape
                .as_ref()
                .map(|s| {
                    format!(" {:?}", s)
                        .replace('[', "(")
                        .replace(']', if s.len() == 1 { ",)" } else { ")" })
                })
                .unwrap_or_default();
            Some(format!("- `{}`{shape}: {m}", w.weight))
        })
        .collect();
    if !math.is_empty() {
        s.push_str("\n**Distributions**\n\n");
        for m in math {
            s.push_str(&m);
            s.push('\n');
        }
    }
    if !notes.is_empty() {
        s.push('\n');
        for n in notes {
            s.push_str(&format!("- {n}\n"));
        }
    }
    s
}

fn weight_cells(w: &WeightAnswer) -> (String, String) {
    match &w.created {
        Created::No(why) => return ("not created".into(), format!("`{why}`")),
        Created::Unknown(why) => {
            let (i, f) = candidates_cells(&w.candidates);
            return (
                format!("{i} (if created)"),
                format!("{f}; whether it is created is unresolved: {why}"),
            );
        }
        Created::Yes => {}
    }
    candidates_cells(&w.candidates)
}

fn candidates_cells(cands: &[Candidate]) -> (String, String) {
    let one = |c: &Candidate| -> (String, String) {
        match c {
            Candidate::Resolved { init, origin } => {
                let mut t = format!("`{}`", full_init(init));
                if let InitKind::TfCore { module, .. } = &init.kind {
                    t.push_str(&format!(" ({module})"));
                }
                (t, origin_text(origin))
            }
            Candidate::Unresolved { reason, origin } => {
                (format!("unresolved: {reason}"), origin_text(origin))
            }
        }
    };
    match cands {
        [] => ("unresolved".into(), String::new()),
        [c] => one(c),
        many => {
            let parts: Vec<(String, String)> = many.iter().map(one).collect();
            (
                format!(
                    "one of: {}",
                    parts
                        .iter()
                        .map(|p| p.0.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                parts
                    .iter()
                    .map(|p| p.1.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        }
    }
}

#[allow(dead_code)]
fn _unused(_: &Value) {}

fn num(v: Option<&Value>, default: f64) -> f64 {
    v.and_then(Value::as_f64).unwrap_or(default)
}

fn fmt4(x: f64) -> String {
    format!("{:.4}", x)
}

/// The initializer's distribution, and its numbers when the weight's shape is known
/// (fans as in `keras/src/initializers/random_initializers.py` `compute_fans`; VarianceScaling
/// formula at `VarianceScaling.__call__`, truncated normals cut at ±2 stddev).
pub fn init_math(ws: &Workspace, init: &InitVal, shape: Option<&[u64]>) -> Option<String> {
    let data = knowledge::data(ws.settings.keras);
    let c = &init.config;
    let info = data.initializers.classes.get(&init.class);
    let is_vs = init.class == "VarianceScaling"
        || info.is_some_and(|i| i.bases.iter().any(|b| b == "VarianceScaling"));
    if is_vs && matches!(init.kind, InitKind::Keras) {
        let eff = info.map(|i| &i.effective);
        let pick = |k: &str| c.get(k).or_else(|| eff.and_then(|e| e.get(k))).cloned();
        let scale = num(pick("scale").as_ref(), 1.0);
        let mode = pick("mode")
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "fan_in".into());
        let dist = pick("distribution")
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "truncated_normal".into());
        let n_text = match mode.as_str() {
            "fan_out" => "fan_out".to_string(),
            "fan_avg" => "(fan_in + fan_out) / 2".to_string(),
            _ => "fan_in".to_string(),
        };
        let formula = match dist.as_str() {
            "uniform" => format!("U(-limit, limit), limit = sqrt(3 · {scale} / n), n = {n_text}"),
            "untruncated_normal" => format!("N(0, stddev²), stddev = sqrt({scale} / n), n = {n_text}"),
            _ => format!(
                "normal truncated to ±2·stddev, stddev = sqrt({scale} / n) / 0.8796 (so the truncated samples have std sqrt({scale} / n)), n = {n_text}"
            ),
        };
        let Some(shape) = shape else {
            return Some(formula);
        };
        let axes = |k: &str| -> Option<Vec<usize>> {
            c.get(k)?
                .as_array()?
                .iter()
                .map(|x| x.as_u64().map(|u| u as usize))
                .collect()
        };
        let (ia, oa) = (axes("input_axes"), axes("output_axes"));
        let (fi, fo) = crate::analysis::shapes::fans(shape, ia.as_deref(), oa.as_deref());
        let n = match mode.as_str() {
            "fan_out" => fo as f64,
            "fan_avg" => (fi + fo) as f64 / 2.0,
            _ => fi as f64,
        };
        let s = scale / n.max(1.0);
        let value = match dist.as_str() {
            "uniform" => format!("limit = {}", fmt4((3.0 * s).sqrt())),
            "untruncated_normal" => format!("stddev = {}", fmt4(s.sqrt())),
            _ => format!(
                "stddev = {} before truncation",
                fmt4(s.sqrt() / 0.879_625_661_034_239_8)
            ),
        };
        return Some(format!("{formula}; fan_in = {fi}, fan_out = {fo}: {value}"));
    }
    Some(match init.class.as_str() {
        "RandomNormal" => format!(
            "N({}, {}²)",
            num(c.get("mean"), 0.0),
            num(c.get("stddev"), 0.05)
        ),
        "RandomUniform" => format!(
            "U({}, {})",
            num(c.get("minval"), -0.05),
            num(c.get("maxval"), 0.05)
        ),
        "TruncatedNormal" => format!(
            "N({}, {}²) truncated to ±2·stddev (no correction: samples have std ≈ 0.88 · {})",
            num(c.get("mean"), 0.0),
            num(c.get("stddev"), 0.05),
            num(c.get("stddev"), 0.05)
        ),
        "Zeros" => "all zeros".into(),
        "Ones" => "all ones".into(),
        "Constant" => format!(
            "all {}",
            c.get("value").map(py).unwrap_or_else(|| "0.0".into())
        ),
        "Orthogonal" => format!(
            "a random orthogonal matrix (QR of a normal matrix) × gain {}",
            num(c.get("gain"), 1.0)
        ),
        "Identity" => "gain × identity matrix (2-D only)".into(),
        "UnitForgetBias" => {
            "the initializer on 3/4 of the bias; ones on the forget-gate quarter".into()
        }
        _ => return None,
    })
}

/// Hover for a value that resolves to an initializer: each possibility with where it came from.
pub fn value_markdown(ws: &Workspace, cands: &[Candidate]) -> String {
    let data = knowledge::data(ws.settings.keras);
    let mut s = format!("**initializer** — Keras {}\n\n", data.keras_version());
    for c in cands {
        match c {
            Candidate::Resolved { init, origin } => {
                s.push_str(&format!("- `{}`", full_init(init)));
                if let InitKind::CustomClass { doc, base, .. } = &init.kind {
                    s.push_str(&format!(
                        " — custom initializer{}",
                        base.as_ref()
                            .map(|b| format!(", subclass of `{b}`"))
                            .unwrap_or_default()
                    ));
                    if let Some(first) = doc.as_deref().and_then(|d| d.trim().lines().next()) {
                        s.push_str(&format!(": {first}"));
                    }
                }
                let o = origin_text(origin);
                if !o.is_empty() {
                    s.push_str(&format!(" ({o})"));
                }
                if let Some(m) = init_math(ws, init, None) {
                    s.push_str(&format!("\n  {m}"));
                }
                s.push('\n');
            }
            Candidate::Unresolved { reason, .. } => {
                s.push_str(&format!("- unresolved: {reason}\n"))
            }
        }
    }
    s
}
