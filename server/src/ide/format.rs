//! Text of hovers, labels and tooltips.

use crate::analysis::layers::py;
use crate::analysis::{
    Candidate, Created, FileAnalysis, InitKind, InitVal, LayerCall, Step, WeightAnswer, Workspace,
};
use crate::knowledge::{self, snake_case};
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
            let name = snake_case(&init.class);
            let name = if let InitKind::TfCore { spelling, .. } = &init.kind {
                spelling.rsplit('.').next().unwrap_or(&name).to_string()
            } else {
                name
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
pub fn label_parts(call: &LayerCall, show_defaults: bool) -> Vec<super::LabelPart> {
    let mut parts: Vec<super::LabelPart> = Vec::new();
    let ws_labels: Vec<(
        String,
        Option<(std::sync::Arc<std::path::Path>, crate::syntax::ir::Span)>,
    )> = call
        .weights
        .iter()
        .filter(|w| super::visible(w, show_defaults))
        .map(|w| weight_label(w))
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
                let ws_default = Workspace::default();
                let t = compact_label(&ws_default, init);
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

/// The hover: qualified layer name, Keras version, then one row per weight.
pub fn hover_markdown(ws: &Workspace, file: &FileAnalysis, call: &LayerCall) -> String {
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
    let _ = file;
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
                format!("{f}; created unless {why}"),
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
