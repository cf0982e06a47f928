//! Layer calls: which calls construct a Keras layer, and the initializer of each weight.

use super::eval::{literal_json, Cand, Cx, Evaluator, Val};
use super::{
    Candidate, Created, FileAnalysis, InitKind, InitVal, LayerCall, Step, WeightAnswer, Workspace,
};
use crate::knowledge::{snake_case, LayerInfo, Requirement, WeightInfo};
use crate::syntax::ir::{Expr, Span};
use serde_json::Value;
use std::sync::Arc;

/// Every layer construction in `file`, in source order.
pub fn layer_calls(ws: &Workspace, file: &Arc<FileAnalysis>) -> Vec<LayerCall> {
    let mut ev = Evaluator::new(ws);
    let mut out = Vec::new();
    // Calls that are the wrapped layer of a Keras 3 Bidirectional: Keras builds clones instead.
    let mut wrapped: Vec<Span> = Vec::new();
    for site in &file.ir.calls {
        let cx = Cx {
            file: file.clone(),
            scope: site.scope,
            at: site.call.span.start,
            frame: None,
        };
        let cands = ev.call(&site.call, &cx);
        let Some(layer) = cands
            .into_iter()
            .find(|c| matches!(c.val, Val::Layer { .. }))
        else {
            continue;
        };
        let Val::Layer {
            class,
            args,
            kws,
            open,
        } = layer.val
        else {
            unreachable!()
        };
        let Some(info) = ev.data.layers.get(&class) else {
            continue;
        };
        let mut notes = Vec::new();
        let weights = if wrapped.contains(&site.call.span) {
            notes.push(format!(
                "Keras {} builds this layer's weights on the clones made by the enclosing Bidirectional; this object itself is never built",
                ev.data.keras_version()
            ));
            Vec::new()
        } else if info.wrapper {
            wrapper_weights(
                &mut ev,
                &class,
                info,
                &args,
                &kws,
                &cx,
                &mut wrapped,
                &mut notes,
            )
        } else {
            let bound = bind(info, &args, &kws);
            resolve_weights(&mut ev, &class, info, &bound, open.as_deref(), &cx)
        };
        out.push(LayerCall {
            span: site.call.span,
            callee_span: site.call.callee_name_span(),
            layer: class.clone(),
            qualified: qualified(info, &class),
            weights,
            notes,
        });
    }
    out
}

fn qualified(info: &LayerInfo, class: &str) -> String {
    info.spellings
        .iter()
        .find(|s| s.ends_with(&format!(".{class}")) && s.starts_with("keras.layers"))
        .or_else(|| info.spellings.first())
        .cloned()
        .unwrap_or_else(|| format!("keras.layers.{class}"))
}

type Bound = Vec<(String, Expr, Cx)>;

/// Binds positional and keyword arguments to the layer's `__init__` signature.
fn bind(info: &LayerInfo, args: &[(Expr, Cx)], kws: &[(String, Expr, Cx)]) -> Bound {
    let positional: Vec<&str> = info
        .signature
        .iter()
        .filter(|p| {
            p.name != "self"
                && (p.kind == "POSITIONAL_OR_KEYWORD"
                    || p.kind == "POSITIONAL_ONLY"
                    || p.kind.is_empty())
        })
        .map(|p| p.name.as_str())
        .collect();
    let mut out: Bound = Vec::new();
    for (i, (e, c)) in args.iter().enumerate() {
        if let Some(n) = positional.get(i) {
            out.push((n.to_string(), e.clone(), c.clone()));
        }
    }
    for (n, e, c) in kws {
        out.retain(|(m, _, _)| m != n);
        out.push((n.clone(), e.clone(), c.clone()));
    }
    out
}

fn arg_step(file_of_use: &FileAnalysis, name: &str, e: &Expr, cx: &Cx) -> Step {
    Step {
        text: format!(
            "argument `{name}` at {}",
            super::eval::place(&cx.file, e.span(), file_of_use)
        ),
        file: Some(cx.file.path.clone()),
        span: Some(e.span()),
    }
}

/// Literal value of a parameter: the bound argument, else the signature default.
fn param_literal(
    ev: &mut Evaluator,
    info: &LayerInfo,
    bound: &Bound,
    name: &str,
) -> Result<Value, String> {
    if let Some((_, e, c)) = bound.iter().find(|(n, _, _)| n == name) {
        let vals = ev.eval(e, c);
        let lits: Vec<Option<Value>> = vals.iter().map(|v| literal_json(&v.val)).collect();
        return match lits.as_slice() {
            [Some(v)] => Ok(v.clone()),
            _ => match vals.iter().find_map(|v| match &v.val {
                Val::Unknown(r) => Some(r.clone()),
                _ => None,
            }) {
                Some(r) => Err(format!("`{name}` is not resolved: {r}")),
                None if vals.len() > 1 => Err(format!("`{name}` has several possible values")),
                None => Ok(Value::String("<non-literal>".into())),
            },
        };
    }
    match info
        .signature
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.default.clone())
    {
        Some(v) => Ok(v),
        None => Err(format!("`{name}` has no default")),
    }
}

fn check_requires(
    ev: &mut Evaluator,
    info: &LayerInfo,
    bound: &Bound,
    reqs: &[Requirement],
) -> Created {
    for r in reqs {
        let v = match param_literal(ev, info, bound, &r.param) {
            Ok(v) => v,
            Err(why) => return Created::Unknown(why),
        };
        if let Some(eq) = &r.equals {
            let same = match (&v, eq) {
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                _ => v == *eq,
            };
            // Python truthiness for booleans given as numbers.
            let truthy_same = matches!(eq, Value::Bool(_)) && truthy(&v) == truthy(eq);
            if !same && !truthy_same {
                return Created::No(format!("{}={}", r.param, py(&v)));
            }
        }
        if r.not_none == Some(true) && v.is_null() {
            return Created::No(format!("{}=None", r.param));
        }
    }
    Created::Yes
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A JSON value in Python spelling.
pub fn py(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => format!("'{s}'"),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(0.0);
                let s = format!("{f}");
                if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
                    s
                } else {
                    format!("{s}.0")
                }
            } else {
                n.to_string()
            }
        }
        Value::Array(a) => format!("[{}]", a.iter().map(py).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("'{k}': {}", py(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn resolve_weights(
    ev: &mut Evaluator,
    class: &str,
    info: &LayerInfo,
    bound: &Bound,
    open: Option<&str>,
    cx: &Cx,
) -> Vec<WeightAnswer> {
    let mut out = Vec::new();
    for w in &info.weights {
        out.push(resolve_weight(ev, class, info, bound, open, cx, w));
    }
    out
}

fn resolve_weight(
    ev: &mut Evaluator,
    class: &str,
    info: &LayerInfo,
    bound: &Bound,
    open: Option<&str>,
    cx: &Cx,
    w: &WeightInfo,
) -> WeightAnswer {
    let created = check_requires(ev, info, bound, &w.requires);
    let mut is_default = false;
    let mut candidates = Vec::new();
    if created != Created::Yes && matches!(created, Created::No(_)) {
        return WeightAnswer {
            weight: w.path.clone(),
            parameter: w.parameter.clone(),
            created,
            candidates,
            is_default: false,
            trainable: w.trainable,
        };
    }
    match (&w.parameter, &w.fixed) {
        (Some(p), _) => {
            if let Some((_, e, ecx)) = bound.iter().find(|(n, _, _)| n == p) {
                let step = arg_step(&cx.file, p, e, ecx);
                for c in ev.eval(e, ecx) {
                    let c = Cand {
                        origin: std::iter::once(step.clone()).chain(c.origin).collect(),
                        val: c.val,
                    };
                    if matches!(c.val, Val::NoneV) {
                        candidates.extend(add_weight_default(ev, c.origin));
                    } else {
                        candidates.extend(ev.to_initializer(c));
                    }
                }
            } else if let Some(r) = open {
                candidates.push(Candidate::Unresolved {
                    reason: format!("`{p}` may come from `**` arguments: {r}"),
                    origin: vec![],
                });
            } else {
                is_default = true;
                let default = info
                    .initializer_params
                    .get(p)
                    .cloned()
                    .or_else(|| {
                        info.signature
                            .iter()
                            .find(|s| s.name == *p)
                            .and_then(|s| s.default.clone())
                    })
                    .unwrap_or(Value::Null);
                let step = Step {
                    text: format!("default of `{class}` ({})", info.source),
                    file: None,
                    span: None,
                };
                candidates.extend(default_candidates(ev, &default, step));
            }
        }
        (None, Some(fixed)) => {
            is_default = true;
            candidates.push(Candidate::Resolved {
                init: InitVal {
                    class: fixed.class.clone(),
                    config: fixed.config.clone(),
                    kind: InitKind::Keras,
                    note: None,
                },
                origin: vec![Step {
                    text: format!(
                        "set by `{class}` itself; no parameter controls it ({})",
                        info.source
                    ),
                    file: None,
                    span: None,
                }],
            });
        }
        (None, None) => candidates.push(Candidate::Unresolved {
            reason: "the generated data does not say which initializer this weight gets".into(),
            origin: vec![],
        }),
    }
    for c in &mut candidates {
        if let Candidate::Resolved { init, .. } = c {
            apply_weight_facts(init, w);
        }
    }
    WeightAnswer {
        weight: w.path.clone(),
        parameter: w.parameter.clone(),
        created,
        candidates,
        is_default,
        trainable: w.trainable,
    }
}

/// Facts the generator recorded for a weight that change the initializer Keras actually uses.
fn apply_weight_facts(init: &mut InitVal, w: &WeightInfo) {
    if let Some(note) = &w.note {
        if init.note.is_none() {
            init.note = Some(note.clone());
        }
    }
}

fn default_candidates(ev: &mut Evaluator, default: &Value, step: Step) -> Vec<Candidate> {
    match default {
        Value::String(s) => match ev.identifier(s) {
            Ok(init) => vec![Candidate::Resolved {
                init,
                origin: vec![step],
            }],
            Err(r) => vec![Candidate::Unresolved {
                reason: r,
                origin: vec![step],
            }],
        },
        Value::Null => add_weight_default(ev, vec![step]),
        Value::Object(o) => {
            let class = o
                .get("class_name")
                .or_else(|| o.get("class"))
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let config = o
                .get("config")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            vec![Candidate::Resolved {
                init: InitVal {
                    class,
                    config,
                    kind: InitKind::Keras,
                    note: None,
                },
                origin: vec![step],
            }]
        }
        other => vec![Candidate::Unresolved {
            reason: format!("unexpected default {other}"),
            origin: vec![step],
        }],
    }
}

/// `initializer=None`: `add_weight` uses glorot_uniform for float weights (the data records the
/// measured default under `add_weight_default`).
fn add_weight_default(ev: &mut Evaluator, mut origin: Vec<Step>) -> Vec<Candidate> {
    let ident = ev
        .data
        .extra
        .get("add_weight_default")
        .and_then(|v| v.get("float").or(Some(v)))
        .and_then(Value::as_str)
        .unwrap_or("glorot_uniform")
        .to_string();
    origin.push(Step {
        text: format!("None: `add_weight` falls back to '{ident}' for float weights"),
        file: None,
        span: None,
    });
    match ev.identifier(&ident) {
        Ok(init) => vec![Candidate::Resolved { init, origin }],
        Err(r) => vec![Candidate::Unresolved { reason: r, origin }],
    }
}

/// Weights of a wrapper (`Bidirectional`, `TimeDistributed`, `RNN`): those of the wrapped layer.
#[allow(clippy::too_many_arguments)]
fn wrapper_weights(
    ev: &mut Evaluator,
    class: &str,
    info: &LayerInfo,
    args: &[(Expr, Cx)],
    kws: &[(String, Expr, Cx)],
    cx: &Cx,
    wrapped: &mut Vec<Span>,
    notes: &mut Vec<String>,
) -> Vec<WeightAnswer> {
    let bound = bind(info, args, kws);
    let inner = bound
        .iter()
        .find(|(n, _, _)| n == "layer" || n == "cell")
        .cloned()
        .or_else(|| {
            args.first()
                .map(|(e, c)| (String::new(), e.clone(), c.clone()))
        });
    let Some((_, e, ecx)) = inner else {
        notes.push(format!("`{class}` wraps a layer that is not given"));
        return Vec::new();
    };
    let vals = ev.eval(&e, &ecx);
    let Some(Val::Layer {
        class: ic,
        args: ia,
        kws: ik,
        open,
    }) = vals
        .into_iter()
        .map(|c| c.val)
        .find(|v| matches!(v, Val::Layer { .. }))
    else {
        notes.push(format!("the layer wrapped by `{class}` is not resolved"));
        return Vec::new();
    };
    let Some(iinfo) = ev.data.layers.get(&ic) else {
        return Vec::new();
    };
    let ibound = bind(iinfo, &ia, &ik);
    let inner_weights = resolve_weights(ev, &ic, iinfo, &ibound, open.as_deref(), cx);
    let inner_name = match param_literal(ev, iinfo, &ibound, "name") {
        Ok(Value::String(s)) => s,
        _ => snake_case(&ic),
    };
    let prefixes: Vec<String> = match class {
        "Bidirectional" => {
            if let Expr::Call(c) = &e {
                wrapped.push(c.span);
            }
            notes.push(format!("forward and backward copies of the wrapped `{ic}`"));
            vec![
                format!("forward_{inner_name}/"),
                format!("backward_{inner_name}/"),
            ]
        }
        "TimeDistributed" => vec![String::new()],
        _ => vec![String::new()],
    };
    let mut out = Vec::new();
    for p in prefixes {
        for w in &inner_weights {
            let mut w = w.clone();
            w.weight = format!("{p}{}", w.weight);
            out.push(w);
        }
    }
    out
}
