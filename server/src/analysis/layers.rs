//! Layer calls: which calls construct a Keras layer, and the initializer of each weight.

use super::eval::{literal_json, Cand, Cx, Evaluator, Val};
use super::{
    Candidate, Created, FileAnalysis, InitKind, InitVal, LayerCall, Step, WeightAnswer, Workspace,
};
use crate::knowledge::{snake_case, LayerInfo, Requirement, WeightInfo};
use crate::syntax::ir::{Expr, Span};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Call sites per parallel piece of [`layer_calls`]; a file with fewer is done on one thread.
const CALLS_PER_PIECE: usize = 256;

/// Every layer construction in `file`, in source order. A file with many calls is done in
/// pieces on [`analysis_pool`], each with its own [`Evaluator`]: every memo of the evaluator
/// charges the step budget its computation took, so an answer does not depend on which calls an
/// evaluator answered before (`tests/e2e/per_call.rs` checks this against calls computed alone).
pub fn layer_calls(ws: &Workspace, file: &Arc<FileAnalysis>) -> Vec<LayerCall> {
    let n = file.ir.calls.len();
    // Calls that are the wrapped layer of a Keras 3 Bidirectional: Keras builds clones instead.
    let piece = |range: std::ops::Range<usize>| {
        let mut ev = Evaluator::for_file(ws, file);
        let mut wrapped: Vec<Span> = Vec::new();
        let calls: Vec<LayerCall> = range
            .filter_map(|i| site_call(&mut ev, file, i, &mut wrapped))
            .collect();
        (calls, wrapped)
    };
    let threads = analysis_pool().current_num_threads();
    let (mut out, wrapped) = if n < 2 * CALLS_PER_PIECE || threads < 2 {
        piece(0..n)
    } else {
        use rayon::prelude::*;
        // One piece per thread: each evaluator starts with empty memos, and filling them (the
        // call sites of helpers, imported constants) is a large part of the work.
        let pieces = threads.min(n / CALLS_PER_PIECE).max(2);
        let size = n.div_ceil(pieces);
        let parts: Vec<(Vec<LayerCall>, Vec<Span>)> = analysis_pool().install(|| {
            (0..pieces)
                .into_par_iter()
                .map(|k| piece(k * size..((k + 1) * size).min(n)))
                .collect()
        });
        let mut out = Vec::new();
        let mut wrapped = Vec::new();
        for (c, w) in parts {
            out.extend(c);
            wrapped.extend(w);
        }
        (out, wrapped)
    };
    mark_wrapped(ws.data(), &mut out, &wrapped);
    out
}

/// The threads that compute the layer calls of a big file in parallel: as many as the machine
/// has cores, with stacks as large as the server's request threads (evaluation recurses).
pub fn analysis_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("keras-lsp-analysis-{i}"))
            .stack_size(ANALYSIS_STACK)
            .build()
            .or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build())
            .expect("a rayon thread pool")
    })
}

/// Stack size of [`analysis_pool`]'s threads (bytes; address space only until used).
pub const ANALYSIS_STACK: usize = 64 << 20;

/// Answers computed so far for the call sites of one file (for one workspace snapshot), so that
/// hover and inlay hints compute only the calls they show, and each at most once.
#[derive(Debug, Default)]
pub struct SiteCache {
    /// Per call site (index into `file.ir.calls`): its layer construction, if it is one (before
    /// [`mark_wrapped`]), and the calls a wrapper constructed there builds copies of.
    sites: HashMap<usize, (Option<LayerCall>, Vec<Span>)>,
    /// Every call that a copying wrapper of the file wraps, once all wrapper sites are known.
    wrapped: Option<Vec<Span>>,
}

impl SiteCache {
    fn site(
        &mut self,
        ev: &mut Evaluator,
        file: &Arc<FileAnalysis>,
        i: usize,
    ) -> Option<LayerCall> {
        if let Some((c, _)) = self.sites.get(&i) {
            return c.clone();
        }
        let mut w = Vec::new();
        let c = site_call(ev, file, i, &mut w);
        self.sites.insert(i, (c.clone(), w));
        c
    }

    /// The calls wrapped by a copying wrapper anywhere in the file: wrapper sites are found by
    /// evaluating each callee not computed yet (cheaply, with
    /// [`CALLEE_FUEL`](super::eval::CALLEE_FUEL)), and computed in full.
    fn wrapped(&mut self, ev: &mut Evaluator, file: &Arc<FileAnalysis>) -> &[Span] {
        if self.wrapped.is_none() {
            for (i, site) in file.ir.calls.iter().enumerate() {
                if self.sites.contains_key(&i) {
                    continue;
                }
                let callee = callee_values(ev, file, site);
                let wrapper = callee.iter().any(|c| {
                    layer_class_name(&c.val)
                        .and_then(|n| ev.data.layers.get(n))
                        .is_some_and(|info| info.wrapper)
                });
                if wrapper {
                    self.site(ev, file, i);
                }
            }
            let all = self.sites.values().flat_map(|(_, w)| w.iter().copied());
            self.wrapped = Some(all.collect());
        }
        self.wrapped.as_deref().unwrap_or_default()
    }
}

/// The layer constructions among the call sites of `file` for which `keep` holds, in source
/// order: the same answers as [`layer_calls`] gives for them, without computing the others (the
/// calls of a hover, or of the visible range for inlay hints). Answers already in `cache` are
/// reused, and new ones are added to it.
pub fn layer_calls_where(
    ws: &Workspace,
    file: &Arc<FileAnalysis>,
    cache: &mut SiteCache,
    keep: impl Fn(&crate::syntax::ir::Call) -> bool,
) -> Vec<LayerCall> {
    let mut ev = Evaluator::for_file(ws, file);
    let mut out = Vec::new();
    for (i, site) in file.ir.calls.iter().enumerate() {
        if keep(&site.call) {
            out.extend(cache.site(&mut ev, file, i));
        }
    }
    // Only a copyable layer can be one a wrapper elsewhere in the file builds copies of; finding
    // those wrappers means evaluating the callee of every call of the file.
    if out.iter().any(|c| c.copyable) {
        let wrapped = cache.wrapped(&mut ev, file).to_vec();
        mark_wrapped(ws.data(), &mut out, &wrapped);
    }
    out
}

/// A layer passed to a wrapper that builds copies (Keras 3 Bidirectional) is never built itself.
fn mark_wrapped(data: &crate::knowledge::KerasData, calls: &mut [LayerCall], wrapped: &[Span]) {
    for c in calls {
        if wrapped.contains(&c.span) {
            c.weights.clear();
            c.notes.push(format!(
                "Keras {} builds this layer's weights on the copies made by the enclosing wrapper; this object itself is never built",
                data.keras_version()
            ));
        }
    }
}

/// The values the callee of `site` may have, evaluated with the small budget of
/// [`CALLEE_FUEL`](super::eval::CALLEE_FUEL).
fn callee_values(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    site: &crate::syntax::ir::CallSite,
) -> Vec<Cand> {
    cheap_eval(ev, &site.call.func, &Cx::at_call(file, site))
}

/// The values of `e` with the small budget of [`CALLEE_FUEL`](super::eval::CALLEE_FUEL).
fn cheap_eval(ev: &mut Evaluator, e: &Expr, cx: &Cx) -> Vec<Cand> {
    ev.set_fuel(super::eval::CALLEE_FUEL);
    let vals = ev.eval(e, cx);
    ev.refuel();
    vals
}

/// The layer construction at call site `i` of `file`, if it is one; records in `wrapped` the
/// layers that a wrapper constructed here builds copies of.
fn site_call(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    i: usize,
    wrapped: &mut Vec<Span>,
) -> Option<LayerCall> {
    let site = &file.ir.calls[i];
    // A call of a statement kept in its last version that parsed, touched by the edit: its last
    // answer no longer matches what is written (see `ErrorEffect::hides`).
    let span = (site.call.span.start, site.call.span.end);
    if file.errors.iter().any(|e| e.effect.hides(span)) {
        return None;
    }
    let cx = Cx::at_call(file, site);
    // `Layer(...)(x)`: when the inner callee can only be built-in layer classes, the inner call
    // builds a layer instance (its own call site), and calling that instance returns tensors,
    // never a layer. Deciding it from the inner callee spares evaluating the construction again.
    if let Expr::Call(inner) = &site.call.func {
        let inner_callee = cheap_eval(ev, &inner.func, &cx);
        if !inner_callee.is_empty()
            && inner_callee
                .iter()
                .all(|c| matches!(c.val, Val::LayerClass(_)))
        {
            return None;
        }
    }
    // Only a call whose callee is a layer class (or a partial of one), or a workspace layer
    // class, constructs a layer; a helper that returns a layer is followed at its `return`.
    let callee = callee_values(ev, file, site);
    if let Some((cf, cid)) = callee.iter().find_map(|c| match &c.val {
        Val::Class(f, id) => Some((f.clone(), *id)),
        _ => None,
    }) {
        if let Some((_, builtin)) = super::custom::layer_ancestry(ev, &cf, cid) {
            let (args, kws, _open) = ev.call_args(&site.call, &cx, Vec::new(), Vec::new());
            let weights = super::custom::custom_weights(
                ev,
                &cf,
                cid,
                args,
                kws,
                Some((site.call.clone(), cx.clone())),
                0,
            );
            let cls = &cf.ir.classes[cid];
            let module = cf.module_names.first().cloned().unwrap_or_default();
            let mut notes = vec![format!(
                "workspace class `{}` ({}:{}){}",
                cls.name,
                cf.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                cf.line1(cls.name_span.start),
                builtin
                    .map(|b| format!(", a subclass of `{b}`"))
                    .unwrap_or_default()
            )];
            if let Some(doc) = cls.doc.as_deref().and_then(|d| d.trim().lines().next()) {
                notes.push(doc.to_string());
            }
            return Some(LayerCall {
                span: site.call.span,
                callee_span: site.call.callee_name_span(),
                layer: cls.name.clone(),
                qualified: if module.is_empty() {
                    cls.name.clone()
                } else {
                    format!("{module}.{}", cls.name)
                },
                weights,
                notes,
                copyable: true,
            });
        }
    }
    if !callee.iter().any(|c| is_layer_class(&c.val)) {
        return None;
    }
    let cands = ev.call(&site.call, &cx);
    let layer = cands
        .into_iter()
        .find(|c| matches!(c.val, Val::Layer { .. }))?;
    let Val::Layer {
        class,
        args,
        kws,
        open,
    } = layer.val
    else {
        unreachable!()
    };
    let info = ev.data.layers.get(&class)?;
    let mut notes = Vec::new();
    // `layer.enable_lora(rank, a_initializer=..., b_initializer=...)` on the name this call
    // is bound to adds the LoRA weights after construction (Keras 3 Dense, EinsumDense,
    // Embedding `enable_lora`).
    let lora = enable_lora_call(file, site.scope, &site.call);
    let mut kws = kws;
    if let Some(lc) = &lora {
        if let Some(rank) = lc
            .args
            .first()
            .or_else(|| lc.keyword("rank").map(|k| &k.value))
        {
            kws.retain(|(n, _, _)| n != "lora_rank");
            kws.push(("lora_rank".into(), rank.clone(), cx.clone()));
            notes.push(format!(
                "LoRA enabled by `enable_lora` at line {}",
                file.line1(lc.span.start)
            ));
        }
    }
    let mut weights = weights_for(
        ev,
        &class,
        &args,
        &kws,
        open.as_deref(),
        wrapped,
        &mut notes,
    );
    // `*_initializer` keywords the layer does not declare: Keras 2 may swallow them through
    // `**kwargs` (recorded per layer by the generator), Keras 3 raises.
    for (k, _, _) in &kws {
        if !k.ends_with("_initializer") || info.signature.iter().any(|p| p.name == *k) {
            continue;
        }
        match info
            .extra
            .get("undeclared_initializer_kwargs")
            .and_then(|u| u.get(k))
        {
            Some(u)
                if u.get("reached_weights")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.is_empty()) =>
            {
                notes.push(format!(
                    "`{k}` is accepted by Keras {} but reaches no weight: it is silently ignored",
                    ev.data.keras_version()
                ))
            }
            Some(_) => {}
            None => notes.push(format!(
                "`{k}` is not a parameter of `{class}`: Keras {} raises {}",
                ev.data.keras_version(),
                ev.data
                    .extra
                    .get("undeclared_initializer_kwarg_error")
                    .and_then(Value::as_str)
                    .map(|e| e.split(':').next().unwrap_or(e).to_string())
                    .unwrap_or_else(|| "an error".into())
            )),
        }
    }
    let shapes = super::shapes::weight_shapes(ev, file, &class, &site.call, &cx);
    for w in &mut weights {
        w.shape = shapes.get(&w.weight).cloned();
    }
    if let Some(lc) = &lora {
        for w in &mut weights {
            let which = if w.weight.starts_with("lora_") && w.weight.ends_with("_a") {
                "a_initializer"
            } else if w.weight.starts_with("lora_") && w.weight.ends_with("_b") {
                "b_initializer"
            } else {
                continue;
            };
            if let Some(k) = lc.keyword(which) {
                let step = Step {
                    text: format!(
                        "argument `{which}` of `enable_lora` at line {}",
                        file.line1(k.value.span().start)
                    ),
                    file: Some(file.path.clone()),
                    span: Some(k.value.span()),
                };
                let mut cands = Vec::new();
                for c in ev.eval(&k.value, &cx) {
                    let origin = std::iter::once(step.clone())
                        .chain(c.origin.clone())
                        .collect();
                    cands.extend(ev.to_initializer(Cand { val: c.val, origin }));
                }
                w.candidates = cands;
                w.is_default = false;
            }
        }
    }
    Some(LayerCall {
        span: site.call.span,
        callee_span: site.call.callee_name_span(),
        layer: class.clone(),
        qualified: qualified(info, &class),
        weights,
        notes,
        copyable: copyable(info),
    })
}

/// See [`LayerCall::copyable`].
fn copyable(info: &LayerInfo) -> bool {
    info.signature.iter().any(|p| p.name == "go_backwards")
}

/// The weights of built-in layer `class` constructed with these arguments (wrappers included).
#[allow(clippy::too_many_arguments)]
pub fn weights_for(
    ev: &mut Evaluator,
    class: &str,
    args: &[(Expr, Cx)],
    kws: &[(String, Expr, Cx)],
    open: Option<&str>,
    wrapped: &mut Vec<Span>,
    notes: &mut Vec<String>,
) -> Vec<WeightAnswer> {
    let Some(info) = ev.data.layers.get(class) else {
        return Vec::new();
    };
    if info.wrapper {
        wrapper_weights(ev, class, info, args, kws, wrapped, notes)
    } else {
        let bound = bind(info, args, kws);
        resolve_weights(ev, class, info, &bound, open)
    }
}

/// The `name.enable_lora(...)` call on the name that `call` is assigned to in `scope`, if any.
fn enable_lora_call(
    file: &FileAnalysis,
    scope: usize,
    call: &crate::syntax::ir::Call,
) -> Option<Arc<crate::syntax::ir::Call>> {
    if !file.call_uses().by_callee.contains_key("enable_lora") {
        return None;
    }
    let name = file.ir.scopes[scope].bindings.iter().find_map(|(n, bs)| {
        bs.iter()
            .any(|b| matches!(&b.kind, crate::syntax::ir::BindingKind::Value(Expr::Call(c)) if c.span == call.span))
            .then(|| n.clone())
    })?;
    file.ir.calls.iter().find_map(|site| {
        let ok = site.scope == scope
            && site.call.span.start > call.span.start
            && matches!(&site.call.func, Expr::Attr { value, attr, .. }
                if attr == "enable_lora" && matches!(&**value, Expr::Name { id, .. } if *id == name));
        ok.then(|| site.call.clone())
    })
}

/// The built-in layer class a callee value constructs (through partials).
fn layer_class_name(v: &Val) -> Option<&str> {
    match v {
        Val::LayerClass(n) => Some(n.as_str()),
        Val::Partial { func, .. } => layer_class_name(func),
        _ => None,
    }
}

fn is_layer_class(v: &Val) -> bool {
    match v {
        Val::LayerClass(_) => true,
        Val::Partial { func, .. } => is_layer_class(func),
        _ => false,
    }
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

fn arg_step(ev: &Evaluator, name: &str, e: &Expr, cx: &Cx) -> Step {
    Step {
        text: format!("argument `{name}` at {}", ev.place(&cx.file, e.span())),
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
    match info.signature.iter().find(|p| p.name == name) {
        Some(p) => p
            .default
            .clone()
            .ok_or_else(|| format!("`{name}` has no default")),
        // Taken through `**kwargs` (tf_keras BatchNormalization `renorm`): absent means off.
        None => Ok(Value::Null),
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
) -> Vec<WeightAnswer> {
    let mut out = Vec::new();
    for w in &info.weights {
        let w = with_variants(ev, info, bound, w);
        let a = resolve_weight(ev, class, info, bound, open, &w);
        if !a.weight.is_empty() {
            out.push(a);
        }
    }
    out
}

/// Applies the generator's probed `variants` (`{"when": requirement, "changes": {...}}`) whose
/// condition holds for this call, e.g. `unit_forget_bias=False` or `lora_rank` making the kernel
/// non-trainable.
fn with_variants<'a>(
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
        let Some(when) = v
            .get("when")
            .and_then(|x| <Requirement as serde::Deserialize>::deserialize(x).ok())
        else {
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

fn resolve_weight(
    ev: &mut Evaluator,
    class: &str,
    info: &LayerInfo,
    bound: &Bound,
    open: Option<&str>,
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
            .any(|r| bound.iter().any(|(n, _, _)| *n == r.param));
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
            if let Some((_, e, ecx)) = bound.iter().find(|(n, _, _)| n == p) {
                let step = arg_step(ev, p, e, ecx);
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
                let from_default = default_candidates(ev, &default, step.clone());
                // A layer-specific default string (RandomFourierFeatures' 'gaussian') is not an
                // initializer identifier: use what the generator saw the layer build.
                let measured = w.extra.get("default_initializer").and_then(|d| {
                    serde_json::from_value::<crate::knowledge::ClassConfig>(d.clone()).ok()
                });
                match (from_default.as_slice(), measured) {
                    ([Candidate::Unresolved { .. }], Some(m)) => {
                        candidates.push(Candidate::Resolved {
                            init: InitVal {
                                class: m.class,
                                config: m.config,
                                kind: InitKind::Keras,
                                note: Some(format!("what `{class}` builds for its default `{p}`")),
                                instance: None,
                            },
                            origin: vec![step],
                        })
                    }
                    _ => candidates.extend(from_default),
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
                if info.signature.iter().any(|p| p.name == *k)
                    && bound.iter().any(|(n, _, _)| n == k)
                {
                    match param_literal(ev, info, bound, k) {
                        Ok(lit) => *v = lit,
                        Err(_) => {}
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
fn apply_weight_facts(ev: &Evaluator, init: &mut InitVal, w: &WeightInfo) {
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
fn add_weight_default(ev: &mut Evaluator, mut origin: Vec<Step>) -> Vec<Candidate> {
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

/// A wrapped layer value: its class name, its layer name (`name=` or the snake_case class name),
/// and its weights.
fn inner_layer(ev: &mut Evaluator, v: &Val) -> Option<(String, String, Vec<WeightAnswer>)> {
    match v {
        Val::Layer {
            class,
            args,
            kws,
            open,
        } => {
            let info = ev.data.layers.get(class)?;
            let bound = bind(info, args, kws);
            let ws = resolve_weights(ev, class, info, &bound, open.as_deref());
            let name = match param_literal(ev, info, &bound, "name") {
                Ok(Value::String(s)) => s,
                _ => ev.data.snake_name(class).into_owned(),
            };
            Some((class.clone(), name, ws))
        }
        Val::Instance { file, class, call } => {
            super::custom::layer_ancestry(ev, file, *class)?;
            let (args, kws) = match call {
                Some((c, ccx)) => {
                    let (a, k, _) = ev.call_args(c, ccx, Vec::new(), Vec::new());
                    (a, k)
                }
                None => (Vec::new(), Vec::new()),
            };
            let name = kws
                .iter()
                .rev()
                .find(|(n, _, _)| n == "name")
                .and_then(
                    |(_, e, c)| match ev.eval(e, c).first().map(|x| x.val.clone()) {
                        Some(Val::Str(s)) => Some(s),
                        _ => None,
                    },
                )
                .unwrap_or_else(|| snake_case(&file.ir.classes[*class].name));
            let ws = super::custom::custom_weights(ev, file, *class, args, kws, call.clone(), 1);
            Some((file.ir.classes[*class].name.clone(), name, ws))
        }
        _ => None,
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
    // A list of cells (`RNN([cell, cell])`): Keras stacks them (StackedRNNCells) and each cell's
    // weights keep the cell's name.
    if let Some(Val::List(items)) = vals
        .iter()
        .map(|c| c.val.clone())
        .find(|v| matches!(v, Val::List(_)))
    {
        let mut out = Vec::new();
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for (ie, icx) in items {
            let Some(v) = ev
                .eval(&ie, &icx)
                .into_iter()
                .map(|c| c.val)
                .find(|v| matches!(v, Val::Layer { .. } | Val::Instance { .. }))
            else {
                notes.push(format!(
                    "a cell in the list given to `{class}` is not resolved"
                ));
                continue;
            };
            let Some((_, name, ws)) = inner_layer(ev, &v) else {
                continue;
            };
            let n = seen.entry(name.clone()).or_insert(0);
            let prefix = if *n == 0 {
                name.clone()
            } else {
                format!("{name}_{n}")
            };
            *n += 1;
            for mut w in ws {
                w.weight = format!("{prefix}/{}", w.weight);
                out.push(w);
            }
        }
        return out;
    }
    let Some(inner_val) = vals
        .into_iter()
        .map(|c| c.val)
        .find(|v| matches!(v, Val::Layer { .. } | Val::Instance { .. }))
    else {
        notes.push(format!("the layer wrapped by `{class}` is not resolved"));
        return Vec::new();
    };
    let Some((ic, inner_name, inner_weights)) = inner_layer(ev, &inner_val) else {
        notes.push(format!("the layer wrapped by `{class}` is not a layer"));
        return Vec::new();
    };
    // Bidirectional(backward_layer=...): the backward direction is that layer, under its own name
    // (keras/src/layers/rnn/bidirectional.py).
    let backward = match bound.iter().find(|(n, _, _)| n == "backward_layer") {
        Some((_, be, bcx)) => ev
            .eval(be, bcx)
            .into_iter()
            .map(|c| c.val)
            .find(|v| matches!(v, Val::Layer { .. } | Val::Instance { .. }))
            .and_then(|v| inner_layer(ev, &v)),
        None => None,
    };
    // The generator probed the wrapper with some inner layer; each wrapper weight's path is
    // `<prefix><inner weight path>`, where the prefix names the probe's inner layer.
    let mut prefixes: Vec<String> = Vec::new();
    for w in &info.weights {
        let Some(inner) = w.extra.get("inner") else {
            continue;
        };
        let probe_class = inner.get("class").and_then(Value::as_str).unwrap_or("");
        let probe_param = inner.get("parameter").and_then(Value::as_str).unwrap_or("");
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
        let prefix = prefix.replace(&snake_case(probe_class), &inner_name);
        if !prefixes.contains(&prefix) {
            prefixes.push(prefix);
        }
    }
    if prefixes.is_empty() {
        prefixes.push(String::new());
    }
    let clones = info.weights.iter().any(|w| {
        w.note
            .as_deref()
            .is_some_and(|n| n.contains("itself is not built"))
    });
    if clones {
        let inner_copyable = match &inner_val {
            Val::Layer { class, .. } => ev.data.layers.get(class).is_some_and(copyable),
            _ => true,
        };
        if let (Expr::Call(c), true) = (&e, inner_copyable) {
            wrapped.push(c.span);
        }
        notes.push(format!(
            "built from copies of the wrapped `{ic}`'s config: {}",
            prefixes.join(", ")
        ));
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
        let a = resolve_weight(ev, class, info, &bound, None, &w);
        if !a.weight.is_empty() {
            out.push(a);
        }
    }
    for p in prefixes {
        if let (Some((_, bname, bweights)), true) = (&backward, p.starts_with("backward_")) {
            for w in bweights {
                let mut w = w.clone();
                w.weight = format!("{bname}/{}", w.weight);
                out.push(w);
            }
            continue;
        }
        for w in &inner_weights {
            let mut w = w.clone();
            w.weight = format!("{p}{}", w.weight);
            out.push(w);
        }
    }
    out
}
