//! Keras wrappers (`Bidirectional`, `TimeDistributed`, `RNN`, `SpectralNormalization`, ...): their
//! weights are those of the layer they wrap (named after it), and their own. Keras 3's
//! `Bidirectional` builds copies of the layer it is given, which itself is never built: the
//! construction of that layer is reported in `wrapped`.

use super::eval::Evaluator;
use super::layers::{bind, copyable, resolve_weight, with_variants, Arg, LayerWeights};
use super::values::*;
use super::{union_weights, WeightAnswer};
use crate::knowledge::snake_case;
use crate::syntax::ir::{Expr, Span};
use serde_json::Value;

/// Weights of the wrapper object `layer` (constructed in `cx`): those of the wrapped layer, and
/// its own. `wrapped` receives the constructions Keras copies instead of building them; `notes`
/// facts about the call.
pub fn wrapper_weights(
    ev: &mut Evaluator,
    layer: &LayerVal,
    cx: &Cx,
    wrapped: &mut Vec<Span>,
    notes: &mut Vec<String>,
    weights_of: LayerWeights,
    depth: usize,
) -> Vec<WeightAnswer> {
    let class = layer.class.as_str();
    let Some(info) = ev.data.layers.get(class) else {
        return Vec::new();
    };
    let bound = bind(info, layer);
    let inner = bound
        .iter()
        .find(|(n, _)| n == "layer" || n == "cell")
        .map(|(_, a)| a.clone())
        .or_else(|| {
            layer
                .args
                .first()
                .map(|(e, c)| Arg::Expr(e.clone(), c.clone()))
        });
    let (e, ecx) = match inner {
        Some(Arg::Expr(e, c)) => (e, c),
        Some(Arg::Unknown(r)) => {
            notes.push(format!(
                "the layer wrapped by `{class}` is not resolved: {r}"
            ));
            return Vec::new();
        }
        None => {
            notes.push(format!("`{class}` wraps a layer that is not given"));
            return Vec::new();
        }
    };
    let vals = ev.eval(&e, &ecx);
    // A list of cells (`RNN([cell, cell])`): Keras stacks them (StackedRNNCells) and each cell's
    // weights keep the cell's name.
    let lists: Vec<Val> = vals
        .iter()
        .map(|c| c.val.clone())
        .filter(|v| matches!(v, Val::List { .. }))
        .collect();
    if !lists.is_empty() {
        let mut alternatives = Vec::new();
        for l in lists {
            let Val::List { items, open } = l else {
                continue;
            };
            if let Some(r) = open {
                notes.push(format!(
                    "the cells given to `{class}` are not all known: {r}"
                ));
            }
            let mut out = Vec::new();
            let mut seen: std::collections::HashMap<String, usize> = Default::default();
            for (ie, icx) in items {
                let cells = ev.eval(&ie, &icx);
                let Some(v) = single_layer(&cells) else {
                    notes.push(format!(
                        "a cell in the list given to `{class}` is not resolved"
                    ));
                    continue;
                };
                let Some(inner) = weights_of(ev, &v, &icx, depth + 1) else {
                    continue;
                };
                let n = seen.entry(inner.name.clone()).or_insert(0);
                let prefix = if *n == 0 {
                    inner.name.clone()
                } else {
                    format!("{}_{n}", inner.name)
                };
                *n += 1;
                for mut w in inner.weights {
                    w.weight = format!("{prefix}/{}", w.weight);
                    out.push(w);
                }
            }
            alternatives.push(out);
        }
        return union_weights(alternatives);
    }
    let layers: Vec<Val> = vals
        .iter()
        .map(|c| c.val.clone())
        .filter(|v| matches!(v, Val::Layer(_) | Val::Instance(_)))
        .collect();
    if layers.is_empty() {
        notes.push(format!("the layer wrapped by `{class}` is not resolved"));
        return Vec::new();
    }
    let others = vals.len() > layers.len();
    // Bidirectional(backward_layer=...): the backward direction is that layer, under its own name
    // (keras/src/layers/rnn/bidirectional.py).
    let backward = match bound.iter().find(|(n, _)| n == "backward_layer") {
        Some((_, Arg::Expr(be, bcx))) => {
            let (be, bcx) = (be.clone(), bcx.clone());
            let bvals = ev.eval(&be, &bcx);
            single_layer(&bvals).and_then(|v| weights_of(ev, &v, &bcx, depth + 1))
        }
        _ => None,
    };
    let clones = builds_copies(info);
    let mut alternatives = Vec::new();
    for inner_val in &layers {
        let Some(inner) = weights_of(ev, inner_val, &ecx, depth + 1) else {
            notes.push(format!("the layer wrapped by `{class}` is not a layer"));
            continue;
        };
        // The generator probed the wrapper with some inner layer; each wrapper weight's path is
        // `<prefix><inner weight path>`, where the prefix names the probe's inner layer.
        let mut prefixes: Vec<String> = Vec::new();
        for w in &info.weights {
            let Some(probe) = w.extra.get("inner") else {
                continue;
            };
            let probe_class = probe.get("class").and_then(Value::as_str).unwrap_or("");
            let probe_param = probe.get("parameter").and_then(Value::as_str).unwrap_or("");
            let Some(pinfo) = ev.data.layers.get(probe_class) else {
                continue;
            };
            let Some(pw) = pinfo
                .weights
                .iter()
                .find(|x| x.parameter.as_deref() == Some(probe_param))
            else {
                continue;
            };
            let Some(prefix) = w.path.strip_suffix(pw.path.as_str()) else {
                continue;
            };
            let prefix = prefix.replace(&snake_case(probe_class), &inner.name);
            if !prefixes.contains(&prefix) {
                prefixes.push(prefix);
            }
        }
        if prefixes.is_empty() {
            prefixes.push(String::new());
        }
        if clones {
            let inner_copyable = match inner_val {
                Val::Layer(l) => ev.data.layers.get(&l.class).is_some_and(copyable),
                _ => true,
            };
            if let (Expr::Call(c), true) = (&e, inner_copyable) {
                wrapped.push(c.span);
            }
            let note = format!(
                "built from copies of the wrapped `{}`'s config: {}",
                inner.class,
                prefixes.join(", ")
            );
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        let mut out = Vec::new();
        for p in prefixes {
            if let (Some(b), true) = (&backward, p.starts_with("backward_")) {
                for w in &b.weights {
                    let mut w = w.clone();
                    w.weight = format!("{}/{}", b.name, w.weight);
                    out.push(w);
                }
                continue;
            }
            for w in &inner.weights {
                let mut w = w.clone();
                w.weight = format!("{p}{}", w.weight);
                out.push(w);
            }
        }
        alternatives.push(out);
    }
    let mut out = Vec::new();
    // The wrapper's own weights (SpectralNormalization `vector_u`).
    let own = info.weights.iter().filter(|w| {
        w.extra.get("inner").is_none()
            && w.extra.get("owned_by_argument").is_none()
            && (w.parameter.is_some() || w.fixed.is_some())
    });
    for w in own {
        let w = with_variants(ev, info, &bound, w);
        let a = resolve_weight(ev, class, info, &bound, cx, &w);
        if !a.weight.is_empty() {
            out.push(a);
        }
    }
    let mut inner = union_weights(alternatives);
    if others {
        for w in &mut inner {
            w.candidates.push(super::Candidate::Unresolved {
                reason: format!("the layer wrapped by `{class}` may be one that is not followed"),
                origin: vec![],
            });
        }
    }
    out.extend(inner);
    out
}

/// The layer object among `vals` when there is exactly one possibility and it is a layer.
fn single_layer(vals: &[Cand]) -> Option<Val> {
    match vals {
        [c] if matches!(c.val, Val::Layer(_) | Val::Instance(_)) => Some(c.val.clone()),
        _ => None,
    }
}

/// Whether wrapper `info` builds copies of the layer it is given instead of building that layer
/// (Keras 3 `Bidirectional`), as the generated data notes on its weights.
pub(crate) fn builds_copies(info: &crate::knowledge::LayerInfo) -> bool {
    info.wrapper
        && info.weights.iter().any(|w| {
            w.note
                .as_deref()
                .is_some_and(|n| n.contains("itself is not built"))
        })
}
