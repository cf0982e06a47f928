//! Built-in Keras layers: which weights a layer object creates and the initializer of each, from
//! its arguments and the generated data (defaults, parameters that switch weights on and off,
//! probed variants, closures Keras builds such as the LSTM forget gate).

use super::eval::Evaluator;
use super::values::*;
use super::{Candidate, Created, InitKind, InitVal, Step, WeightAnswer};
use crate::knowledge::{LayerInfo, Requirement, WeightInfo};
use crate::syntax::ir::Expr;
use serde_json::Value;

/// A layer held by another (the layer of a wrapper, a cell, a sub-layer of a custom layer): its
/// class name, its layer name, and its weights.
pub struct InnerLayer {
    pub class: String,
    pub name: String,
    pub weights: Vec<WeightAnswer>,
}

/// How the weights of a layer value are found (a built-in layer, a wrapper, a workspace layer
/// class): given by [`crate::analysis::sites`] to the modules that hold layers inside layers
/// (wrappers, custom layers), so they need not know each other. `usize`: the nesting depth.
pub type LayerWeights = fn(&mut Evaluator, &Val, &Cx, usize) -> Option<InnerLayer>;

/// The weights of built-in layer object `layer` (not a wrapper) constructed in `cx`.
pub fn weights_for(ev: &mut Evaluator, layer: &LayerVal, cx: &Cx) -> Vec<WeightAnswer> {
    let Some(info) = ev.data.layers.get(&layer.class) else {
        return Vec::new();
    };
    let bound = bind(info, layer);
    resolve_weights(ev, &layer.class, info, &bound, cx)
}

/// See [`LayerCall::copyable`].
pub fn copyable(info: &LayerInfo) -> bool {
    info.signature.iter().any(|p| p.name == "go_backwards")
}

pub fn qualified(info: &LayerInfo, class: &str) -> String {
    info.spellings
        .iter()
        .find(|s| s.ends_with(&format!(".{class}")) && s.starts_with("keras.layers"))
        .or_else(|| info.spellings.first())
        .cloned()
        .unwrap_or_else(|| format!("keras.layers.{class}"))
}

/// An argument bound to a parameter: an expression, or not known (a `*`/`**` of a value not
/// followed may give it, or an attribute changed in a way not followed).
#[derive(Clone, Debug)]
pub enum Arg {
    Expr(Expr, Cx),
    Unknown(String),
}

pub type Bound = Vec<(String, Arg)>;

/// Binds a layer value's arguments to the layer's `__init__` signature, then the attributes set
/// on the object after construction (`layer.kernel_initializer = ...` before it is built).
pub fn bind(info: &LayerInfo, layer: &LayerVal) -> Bound {
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
    for (i, (e, c)) in layer.args.iter().enumerate() {
        if let Some(n) = positional.get(i) {
            out.push((n.to_string(), Arg::Expr(e.clone(), c.clone())));
        }
    }
    if let Some(r) = &layer.open_pos {
        for n in positional.iter().skip(layer.args.len()) {
            out.push((n.to_string(), Arg::Unknown(r.clone())));
        }
    }
    for (n, e, c) in &layer.kws {
        out.retain(|(m, _)| m != n);
        out.push((n.clone(), Arg::Expr(e.clone(), c.clone())));
    }
    if let Some(r) = &layer.open {
        for p in &info.signature {
            if p.kind != "VAR_KEYWORD"
                && p.kind != "VAR_POSITIONAL"
                && !out.iter().any(|(m, _)| *m == p.name)
            {
                out.push((p.name.clone(), Arg::Unknown(r.clone())));
            }
        }
    }
    for (a, v) in &layer.attrs {
        if a == "*" {
            let r =
                "an attribute of the layer is changed in a way that is not followed".to_string();
            for p in &info.signature {
                out.retain(|(m, _)| *m != p.name);
                out.push((p.name.clone(), Arg::Unknown(r.clone())));
            }
            continue;
        }
        if !info.signature.iter().any(|p| p.name == *a) {
            continue;
        }
        out.retain(|(m, _)| m != a);
        out.push((
            a.clone(),
            match v {
                Some((e, c)) => Arg::Expr(e.clone(), c.clone()),
                None => Arg::Unknown(format!(
                    "`{a}` is changed on the layer in a way that is not followed"
                )),
            },
        ));
    }
    out
}

pub fn arg_step(ev: &Evaluator, name: &str, e: &Expr, cx: &Cx) -> Step {
    Step {
        text: format!("argument `{name}` at {}", ev.place(&cx.file, e.span())),
        file: Some(cx.file.path.clone()),
        span: Some(e.span()),
    }
}

/// Literal value of a parameter: the bound argument, else the signature default.
pub fn param_literal(
    ev: &mut Evaluator,
    info: &LayerInfo,
    bound: &Bound,
    name: &str,
) -> Result<Value, String> {
    match bound.iter().find(|(n, _)| n == name).map(|(_, a)| a) {
        Some(Arg::Unknown(r)) => return Err(format!("`{name}` is not resolved: {r}")),
        Some(Arg::Expr(e, c)) => {
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
                    None if vals.is_empty() => {
                        Err(format!("`{name}` has no value (the code raises)"))
                    }
                    None => Ok(Value::String("<non-literal>".into())),
                },
            };
        }
        None => {}
    }
    match info.signature.iter().find(|p| p.name == name) {
        Some(p) => p
            .default
            .clone()
            .ok_or_else(|| format!("`{name}` has no default")),
        // Taken through `**kwargs` (tf_keras BatchNormalization `renorm`): absent means off.
        None => Ok(Value::Null),
    }
}

pub fn check_requires(
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
        // A value that is not a literal (a list, an object): its truth is not decided here.
        let non_literal = v == Value::String("<non-literal>".into());
        if let Some(eq) = &r.equals {
            if non_literal && matches!(eq, Value::Bool(_)) {
                return Created::Unknown(format!(
                    "`{}` is not a literal: whether Keras takes it as true is not decided",
                    r.param
                ));
            }
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
        if r.not_none == Some(true) {
            if v.is_null() {
                return Created::No(format!("{}=None", r.param));
            }
            // The data says "created when given, not when None"; Keras tests some of these
            // for truth (`if self.lora_rank:`), so a false value other than None is not decided.
            if non_literal || !truthy(&v) {
                return Created::Unknown(format!(
                    "`{}={}`: the generated data records the weight for a true value and not \
                     for None only",
                    r.param,
                    py(&v)
                ));
            }
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

pub fn resolve_weights(
    ev: &mut Evaluator,
    class: &str,
    info: &LayerInfo,
    bound: &Bound,
    cx: &Cx,
) -> Vec<WeightAnswer> {
    let mut out = Vec::new();
    for w in &info.weights {
        let w = with_variants(ev, info, bound, w);
        let a = resolve_weight(ev, class, info, bound, cx, &w);
        if !a.weight.is_empty() {
            out.push(a);
        }
    }
    out
}

/// Applies the generator's probed `variants` (`{"when": requirement, "changes": {...}}`) whose
/// condition holds for this call, e.g. `unit_forget_bias=False` or `lora_rank` making the kernel
/// non-trainable.
pub fn with_variants<'a>(
    ev: &mut Evaluator,
    info: &LayerInfo,
    bound: &Bound,
    w: &'a WeightInfo,
) -> std::borrow::Cow<'a, WeightInfo> {
    let Some(Value::Array(variants)) = w.extra.get("variants") else {
        return std::borrow::Cow::Borrowed(w);
    };
    let mut out = std::borrow::Cow::Borrowed(w);
    for v in variants {
        // Parsed once per evaluator (the Keras data is static: its address is the key).
        let key = v as *const Value as usize;
        let when = match ev.variant_memo.get(&key) {
            Some(w) => w.clone(),
            None => {
                let w = v
                    .get("when")
                    .and_then(|x| <Requirement as serde::Deserialize>::deserialize(x).ok());
                ev.variant_memo.insert(key, w.clone());
                w
            }
        };
        let Some(when) = when else {
            continue;
        };
        if check_requires(ev, info, bound, std::slice::from_ref(&when)) != Created::Yes {
            continue;
        }
        if let Some(Value::Object(changes)) = v.get("changes") {
            let w = out.to_mut();
            for (k, val) in changes {
                match k.as_str() {
                    "trainable" => w.trainable = val.as_bool().unwrap_or(w.trainable),
                    "fixed" => {
                        if let Ok(f) = serde_json::from_value(val.clone()) {
                            w.fixed = Some(f);
                        }
                    }
                    _ => {
                        if val.is_null() {
                            w.extra.remove(k);
                        } else {
                            w.extra.insert(k.clone(), val.clone());
                        }
                    }
                }
            }
        }
    }
    out
}

pub fn resolve_weight(
    ev: &mut Evaluator,
    class: &str,
    info: &LayerInfo,
    bound: &Bound,
    cx: &Cx,
    w: &WeightInfo,
) -> WeightAnswer {
    let mut created = check_requires(ev, info, bound, &w.requires);
    // STFTSpectrogram builds only the kernel its `mode` needs: `real` has no `imag_kernel`, `imag`
    // no `real_kernel` (keras/src/layers/preprocessing/stft_spectrogram.py, `build`).
    if let (Some(side), Ok(Value::String(mode))) = (
        w.fixed
            .as_ref()
            .and_then(|f| f.config.get("side"))
            .and_then(Value::as_str),
        param_literal(ev, info, bound, "mode"),
    ) {
        if class == "STFTSpectrogram" && (mode == "real" || mode == "imag") && mode != side {
            created = Created::No(format!("mode='{mode}'"));
        }
    }
    let mut is_default = false;
    if matches!(created, Created::No(_)) {
        // Weights that exist only when opted into (`lora_rank`, `bias_axes`, `renorm`) are not
        // listed while the controlling argument is left at its default.
        let explicit = w
            .requires
            .iter()
            .any(|r| bound.iter().any(|(n, _)| *n == r.param));
        let on_by_default = {
            let none: Bound = Vec::new();
            check_requires(ev, info, &none, &w.requires) == Created::Yes
        };
        if !explicit && !on_by_default {
            return WeightAnswer {
                weight: String::new(),
                parameter: None,
                created,
                candidates: vec![],
                is_default: true,
                trainable: w.trainable,
                shape: None,
            };
        }
    }
    let mut candidates = Vec::new();
    if created != Created::Yes && matches!(created, Created::No(_)) {
        return WeightAnswer {
            weight: w.path.clone(),
            parameter: w.parameter.clone(),
            created,
            candidates,
            is_default: false,
            trainable: w.trainable,
            shape: None,
        };
    }
    match (&w.parameter, &w.fixed) {
        (Some(p), _) => {
            let given = bound.iter().find(|(n, _)| n == p).map(|(_, a)| a);
            if let Some(Arg::Expr(e, ecx)) = given {
                let step = arg_step(ev, p, e, ecx);
                for c in ev.eval(e, ecx) {
                    let c = Cand {
                        origin: std::iter::once(step.clone()).chain(c.origin).collect(),
                        val: c.val,
                    };
                    if matches!(c.val, Val::NoneV) {
                        candidates.extend(add_weight_default(ev, c.origin));
                    } else {
                        candidates.extend(ev.to_initializer(c, cx));
                    }
                }
            } else {
                if let Some(Arg::Unknown(r)) = given {
                    candidates.push(Candidate::Unresolved {
                        reason: format!("`{p}` may be given otherwise: {r}"),
                        origin: vec![],
                    });
                }
                is_default = true;
                // Kept per weight of the Keras data (not for a weight a variant changed).
                if !info.weights.iter().any(|x| std::ptr::eq(x, w)) {
                    candidates.extend(parameter_default(ev, class, info, w, p));
                } else {
                    let key = w as *const WeightInfo as usize;
                    if !ev.default_memo.contains_key(&key) {
                        let d = parameter_default(ev, class, info, w, p);
                        ev.default_memo.insert(key, d);
                    }
                    candidates.extend(ev.default_memo[&key].iter().cloned());
                }
            }
        }
        (None, Some(fixed))
            if w.extra.get("fixed_with_probe_constants").is_some_and(|f| {
                serde_json::from_value::<crate::knowledge::ClassConfig>(f.clone())
                    .ok()
                    .as_ref()
                    != Some(fixed)
            }) =>
        {
            // The generator saw this fixed initializer change with other arguments.
            candidates.push(Candidate::Unresolved {
                reason: format!(
                    "`{class}` computes it from other arguments and the input size{}",
                    w.note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                ),
                origin: vec![],
            });
        }
        (None, Some(fixed)) => {
            is_default = true;
            // A fixed initializer whose config keys are also parameters of the layer takes the
            // arguments (STFTSpectrogram passes `window`, `scaling`, `periodic` to its STFT
            // initializer; the generator's `periodic` variant shows it).
            let mut config = fixed.config.clone();
            for (k, v) in config.iter_mut() {
                if info.signature.iter().any(|p| p.name == *k) && bound.iter().any(|(n, _)| n == k)
                {
                    if let Ok(lit) = param_literal(ev, info, bound, k) {
                        *v = lit
                    }
                }
            }
            candidates.push(Candidate::Resolved {
                init: InitVal {
                    class: fixed.class.clone(),
                    config,
                    kind: InitKind::Keras,
                    note: None,
                    instance: None,
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
    // EinsumDense: the fan axes of the kernel's initializer clone follow the call's equation.
    let mut w = std::borrow::Cow::Borrowed(w);
    if w.extra.contains_key("clone") {
        if let Ok(Value::String(eq)) = param_literal(ev, info, bound, "equation") {
            if let (Some((i, o)), Some(clone)) =
                (einsum_axes(&eq), w.to_mut().extra.get_mut("clone"))
            {
                if let Some(ch) = clone
                    .get_mut("config_changes")
                    .and_then(Value::as_object_mut)
                {
                    ch.insert("input_axes".into(), serde_json::json!(i));
                    ch.insert("output_axes".into(), serde_json::json!(o));
                }
            }
        }
    }
    for c in &mut candidates {
        if let Candidate::Resolved { init, .. } = c {
            apply_weight_facts(ev, init, &w);
        }
    }
    WeightAnswer {
        weight: w.path.clone(),
        parameter: w.parameter.clone(),
        created,
        candidates,
        is_default,
        trainable: w.trainable,
        shape: None,
    }
}

/// What weight `w` of layer `class` gets when its initializer parameter `p` is not given: the
/// signature's default (or the generated `initializer_params`), else what the generator saw the
/// layer build. Depends on the Keras data only (kept in `Evaluator::default_memo`).
fn parameter_default(
    ev: &mut Evaluator,
    class: &str,
    info: &LayerInfo,
    w: &WeightInfo,
    p: &str,
) -> Vec<Candidate> {
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
    let from_default = default_candidates(ev, &default, step.clone());
    // A layer-specific default string (RandomFourierFeatures' 'gaussian') is not an
    // initializer identifier: use what the generator saw the layer build.
    let measured = w
        .extra
        .get("default_initializer")
        .and_then(|d| serde_json::from_value::<crate::knowledge::ClassConfig>(d.clone()).ok());
    match (from_default.as_slice(), measured) {
        ([Candidate::Unresolved { .. }], Some(m)) => vec![Candidate::Resolved {
            init: InitVal {
                class: m.class,
                config: m.config,
                kind: InitKind::Keras,
                note: Some(format!("what `{class}` builds for its default `{p}`")),
                instance: None,
            },
            origin: vec![step],
        }],
        _ => from_default,
    }
}

/// Fan axes of an EinsumDense kernel from its equation, as Keras 3 derives them
/// (`keras/src/layers/core/einsum_dense.py`, `_analyze_split_string`): each letter of the kernel
/// spec that appears in the output spec is an output axis, else one that appears in the input spec
/// is an input axis.
pub fn einsum_axes(eq: &str) -> Option<(Vec<usize>, Vec<usize>)> {
    let eq = eq.replace("...", "");
    let (lhs, out) = eq.split_once("->")?;
    let (inp, kernel) = lhs.split_once(',')?;
    let (mut i, mut o) = (Vec::new(), Vec::new());
    for (k, c) in kernel.trim().chars().enumerate() {
        if out.contains(c) {
            o.push(k);
        } else if inp.contains(c) {
            i.push(k);
        } else {
            return None;
        }
    }
    Some((i, o))
}

/// Facts the generator recorded for a weight that change the initializer Keras actually uses:
/// - `clone.config_changes`: EinsumDense (and so MultiHeadAttention) clones a VarianceScaling-family
///   kernel initializer at build with fan axes taken from the equation (Keras 3,
///   `keras/src/layers/core/einsum_dense.py`);
/// - `segments` with fixed `values`: part of the weight is not the parameter's initializer (the LSTM
///   forget gate is ones). Reported as the pseudo-class `UnitForgetBias` wrapping the parameter's
///   initializer, the same convention as the runtime oracle (`tests/oracle`).
pub fn apply_weight_facts(ev: &Evaluator, init: &mut InitVal, w: &WeightInfo) {
    if let Some(changes) = w
        .extra
        .get("clone")
        .and_then(|c| c.get("config_changes"))
        .and_then(Value::as_object)
    {
        let is_vs = init.class == "VarianceScaling"
            || ev
                .data
                .initializers
                .classes
                .get(&init.class)
                .is_some_and(|c| c.bases.iter().any(|b| b == "VarianceScaling"));
        let axes_unset = changes
            .keys()
            .all(|k| init.config.get(k).is_none_or(Value::is_null));
        if is_vs && axes_unset && matches!(init.kind, InitKind::Keras) {
            for (k, v) in changes {
                init.config.insert(k.clone(), v.clone());
            }
            init.note = Some(
                "cloned at build with fan axes from the einsum equation and a concrete seed (Keras 3 EinsumDense)".into(),
            );
            // Each sub-layer gets its own clone.
            init.instance = None;
        }
    }
    let partial = w
        .extra
        .get("segments")
        .and_then(Value::as_array)
        .is_some_and(|segs| segs.iter().any(|s| s.get("values").is_some()));
    if w.extra.get("transform").and_then(Value::as_str) == Some("sqrt") {
        // BatchNormalization(renorm=True) stddev weights: sqrt of the moving-variance initializer.
        let inner = serde_json::json!({"class": init.class, "config": init.config});
        init.class = "SqrtOf".into();
        init.config = [("initializer".to_string(), inner)].into_iter().collect();
        init.note = Some("the square root of what the initializer produces (renorm stddev)".into());
        return;
    }
    if partial {
        let inner = serde_json::json!({"class": init.class, "config": init.config});
        let mut config = serde_json::Map::new();
        config.insert("initializer".into(), inner);
        init.class = "UnitForgetBias".into();
        init.config = config;
        init.note = Some(
            "unit_forget_bias=True: the forget-gate quarter is ones; the rest comes from the initializer".into(),
        );
    }
}

pub fn default_candidates(ev: &mut Evaluator, default: &Value, step: Step) -> Vec<Candidate> {
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
                    instance: None,
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
pub fn add_weight_default(ev: &mut Evaluator, mut origin: Vec<Step>) -> Vec<Candidate> {
    let ident = ev
        .data
        .extra
        .get("add_weight")
        .and_then(|v| v.pointer("/initializer_none/float32/identifier"))
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
