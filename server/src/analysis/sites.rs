//! The layer constructions of a file and the initializer of each of their weights.
//!
//! A construction inside a function is evaluated once per context the function runs in (one per
//! call site, through a bounded chain of callers, see
//! [`Evaluator::contexts_of`](super::eval::Evaluator::contexts_of)), with that call's own
//! arguments; the construction's line is answered with the union of the per-call answers (each
//! possibility keeps the call site it comes from in its origin; a weight created by some calls
//! only is "created by some of the calls"). A construction at module level has one context.
//!
//! After construction, attributes set on the layer object before it is built
//! (`layer.kernel_initializer = ...`) change its weights: through the name it is bound to (in
//! order: before its first call, which builds it, such a store is sure), or through stores
//! elsewhere that may reach it (each a possibility).

use super::eval::{enclosing_function, Enclosing, Evaluator, CALLEE_FUEL};
use super::layers::{self, InnerLayer};
use super::values::*;
use super::{union_weights, Candidate, FileAnalysis, LayerCall, Step, WeightAnswer, Workspace};
use crate::syntax::ir::{DefKind, Expr, Mutation, Span, TRUE};
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

    /// The calls wrapped by a copying wrapper anywhere in the file: copying wrapper sites are found by
    /// evaluating each callee not computed yet (cheaply, with [`CALLEE_FUEL`]), and computed in
    /// full.
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
                        .is_some_and(super::wrappers::builds_copies)
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
    let mut wrapped: Vec<Span> = Vec::new();
    let mut scan = false;
    for (i, site) in file.ir.calls.iter().enumerate() {
        if keep(&site.call) {
            let c = cache.site(&mut ev, file, i);
            // Only a copyable layer whose construction is handed on (an argument, a container)
            // can be the layer a wrapper builds copies of (see `wrappers::wrapper_weights`: the
            // construction itself is the wrapper's argument).
            if c.as_ref().is_some_and(|c| c.copyable)
                && site.value_use == crate::syntax::ir::CallUse::Escapes
            {
                match wrapper_of(&mut ev, cache, file, site.call.span) {
                    Some(true) => wrapped.push(site.call.span),
                    Some(false) => {}
                    None => scan = true,
                }
            }
            out.extend(c);
        }
    }
    if scan {
        // Finding the wrappers means evaluating the callee of every call of the file.
        wrapped.extend(cache.wrapped(&mut ev, file).iter().copied());
    }
    mark_wrapped(ws.data(), &mut out, &wrapped);
    out
}

/// Whether the construction at `span` is the layer a copying wrapper of the file builds copies
/// of, when its place tells: an argument of a call that can only be a layer, a class, a
/// function or Keras itself (only that call can hand the construction itself to a wrapper), or
/// an element of the list given to a built-in layer or Keras model. `None`: the callees of the
/// whole file decide.
fn wrapper_of(
    ev: &mut Evaluator,
    cache: &mut SiteCache,
    file: &Arc<FileAnalysis>,
    span: Span,
) -> Option<bool> {
    let uses = file.call_uses();
    let keras_api = |v: &Val| matches!(v, Val::Builtin(n) if n.starts_with("keras.") || n.starts_with("tf.") || n.starts_with("tf_keras."));
    if let Some(&p) = uses.arg_of.get(&span) {
        let callee = callee_values(ev, file, &file.ir.calls[p as usize]);
        let plain = !callee.is_empty()
            && callee.iter().all(|c| {
                matches!(
                    c.val,
                    Val::LayerClass(_)
                        | Val::Class(..)
                        | Val::Func { .. }
                        | Val::BoundMethod { .. }
                ) || keras_api(&c.val)
            });
        if !plain {
            return None;
        }
        let copying = callee.iter().any(|c| {
            layer_class_name(&c.val)
                .and_then(|n| ev.data.layers.get(n))
                .is_some_and(super::wrappers::builds_copies)
        });
        if !copying {
            return Some(false);
        }
        cache.site(ev, file, p as usize);
        return Some(
            cache
                .sites
                .get(&(p as usize))
                .is_some_and(|(_, w)| w.contains(&span)),
        );
    }
    if let Some(&(q, _)) = uses.listed.get(&span) {
        let callee = callee_values(ev, file, &file.ir.calls[q as usize]);
        let builtin = !callee.is_empty()
            && callee
                .iter()
                .all(|c| matches!(c.val, Val::LayerClass(_)) || keras_api(&c.val));
        if builtin {
            return Some(false);
        }
    }
    None
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

/// The values the callee of `site` may have (without a frame), evaluated with the small budget
/// of [`CALLEE_FUEL`].
fn callee_values(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    site: &crate::syntax::ir::CallSite,
) -> Vec<Cand> {
    cheap_eval(ev, &site.call.func, &Cx::at_call(file, site))
}

/// The values of `e` with the small budget of [`CALLEE_FUEL`]. Outside a frame, the values are
/// kept for the evaluator's lifetime (the callee of `Layer(...)(x)` is asked again for the outer
/// call): with a budget of its own, the answer does not depend on what was asked before.
pub(crate) fn cheap_eval(ev: &mut Evaluator, e: &Expr, cx: &Cx) -> Vec<Cand> {
    let span = e.span();
    let key = (
        Arc::as_ptr(&cx.file) as usize,
        cx.scope as u32,
        cx.at,
        span.start,
        span.end,
    );
    if cx.frame.is_none() {
        if let Some(v) = ev.callee_memo.get(&key) {
            return v.clone();
        }
    }
    ev.set_fuel(CALLEE_FUEL);
    let vals = ev.eval(e, cx);
    ev.refuel();
    if cx.frame.is_none() {
        ev.callee_memo.insert(key, vals.clone());
    }
    vals
}

/// The weights of a layer object (a built-in layer, a wrapper, or an instance of a workspace
/// layer class), with its class and layer name: the [`layers::LayerWeights`] every module that
/// holds layers inside layers is given.
pub fn layer_value_weights(
    ev: &mut Evaluator,
    v: &Val,
    cx: &Cx,
    depth: usize,
) -> Option<InnerLayer> {
    match v {
        Val::Layer(l) => {
            let info = ev.data.layers.get(&l.class)?;
            let mut notes = Vec::new();
            // Attributes its construction site finds set on it before it is built (through its
            // name after it was handed on, `self.d.kernel_initializer = ...`, stores elsewhere):
            // each a possibility here too.
            let mut alternatives = vec![builtin_weights(
                ev,
                l,
                cx,
                &mut Vec::new(),
                &mut notes,
                depth,
            )];
            for attrs in later_attrs(ev, l, info) {
                let mut la = (**l).clone();
                la.attrs.extend(attrs);
                alternatives.push(builtin_weights(
                    ev,
                    &la,
                    cx,
                    &mut Vec::new(),
                    &mut notes,
                    depth,
                ));
            }
            let weights = union_weights(alternatives);
            let bound = layers::bind(info, l);
            let name = match layers::param_literal(ev, info, &bound, "name") {
                Ok(Value::String(s)) => s,
                _ => ev.data.snake_name(&l.class).into_owned(),
            };
            Some(InnerLayer {
                class: l.class.clone(),
                name,
                weights,
            })
        }
        Val::Instance(i) => {
            super::custom::layer_ancestry(ev, &i.file, i.class)?;
            let kws = match (&i.args, &i.call) {
                (Some(a), _) => a.kws.clone(),
                (None, Some((c, ccx))) => ev
                    .call_args(c, ccx, Vec::new(), Vec::new())
                    .into_iter()
                    .next()
                    .map(|s| s.kws)
                    .unwrap_or_default(),
                (None, None) => Vec::new(),
            };
            let cname = i.file.ir.classes[i.class].name.clone();
            let name = super::custom::layer_name(ev, &cname, &kws);
            let weights = super::custom::custom_weights(ev, i, depth, layer_value_weights);
            Some(InnerLayer {
                class: cname,
                name,
                weights,
            })
        }
        _ => None,
    }
}

/// The attribute sets found on layer object `l` after its construction by its construction site
/// (see [`after_construction`]), apart from the empty one.
fn later_attrs(
    ev: &mut Evaluator,
    l: &LayerVal,
    info: &crate::knowledge::LayerInfo,
) -> Vec<crate::analysis::values::SetAttrs> {
    let Some((path, span)) = &l.site else {
        return Vec::new();
    };
    let Some(file) = ev.ws.file(path).cloned() else {
        return Vec::new();
    };
    let Some(&i) = file.call_uses().by_span.get(span) else {
        return Vec::new();
    };
    let site = &file.ir.calls[i as usize];
    // The construction's context: where its arguments are read, else its own scope.
    let cx = l
        .args
        .first()
        .map(|(_, c)| c.clone())
        .or_else(|| l.kws.first().map(|(_, _, c)| c.clone()))
        .filter(|c| Arc::ptr_eq(&c.file, &file))
        .unwrap_or_else(|| Cx {
            file: file.clone(),
            scope: site.scope,
            at: site.call.span.start,
            frame: None,
        });
    after_construction(ev, &file, i as usize, &cx, info)
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect()
}

/// The weights of built-in layer object `l` constructed in `cx` (a wrapper's include those of the
/// layer it wraps).
fn builtin_weights(
    ev: &mut Evaluator,
    l: &LayerVal,
    cx: &Cx,
    wrapped: &mut Vec<Span>,
    notes: &mut Vec<String>,
    depth: usize,
) -> Vec<WeightAnswer> {
    let Some(info) = ev.data.layers.get(&l.class) else {
        return Vec::new();
    };
    if depth > super::custom::MAX_NESTING {
        return Vec::new();
    }
    if info.wrapper {
        super::wrappers::wrapper_weights(ev, l, cx, wrapped, notes, layer_value_weights, depth)
    } else {
        layers::weights_for(ev, l, cx)
    }
}

/// What one context of a construction gives.
pub(crate) struct Construction {
    pub(crate) layer: String,
    pub(crate) qualified: String,
    pub(crate) weights: Vec<WeightAnswer>,
    pub(crate) notes: Vec<String>,
    copyable: bool,
    /// A built-in Keras layer class (not a workspace class).
    builtin: bool,
    callee_span: Span,
    /// What the weights (not the shapes) read of the frame (see `Frame::used`).
    weights_used: u64,
}

/// Whether call site `i` of `file` may construct a layer (its callee, evaluated cheaply without a
/// frame, may be a layer class, a partial of one, or a workspace layer class; `Layer(...)(x)` is
/// the inner call's construction, not this one's): `Some(weightless)`, where `weightless` says that
/// every possible class is a built-in one that never has a weight.
pub(crate) fn construction_site(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    i: usize,
) -> Option<bool> {
    let site = &file.ir.calls[i];
    let cx0 = Cx::at_call(file, site);
    // `Layer(...)(x)`: when the inner callee can only be built-in layer classes, the inner call
    // builds a layer instance (its own call site), and calling that instance returns tensors,
    // never a layer. Deciding it from the inner callee spares evaluating the construction again.
    if let Expr::Call(inner) = &site.call.func {
        let inner_callee = cheap_eval(ev, &inner.func, &cx0);
        if !inner_callee.is_empty()
            && inner_callee
                .iter()
                .all(|c| matches!(c.val, Val::LayerClass(_)))
        {
            return None;
        }
    }
    // Only a call whose callee may be a layer class (or a partial of one), or a workspace layer
    // class, constructs a layer; a helper that returns a layer is followed at its `return`.
    let callee = callee_values(ev, file, site);
    let maybe_layer = callee.iter().any(|c| {
        let class = match &c.val {
            Val::Class(f, id) => Some((f.clone(), *id)),
            Val::Partial { func, .. } => match &**func {
                Val::Class(f, id) => Some((f.clone(), *id)),
                _ => None,
            },
            _ => None,
        };
        is_layer_class(&c.val)
            || class.is_some_and(|(f, id)| super::custom::layer_ancestry(ev, &f, id).is_some())
    });
    if !maybe_layer {
        return None;
    }
    // Only built-in layer classes that never have a weight (Dropout, pooling): no weight to
    // answer, whatever the call passes.
    let weightless = callee.iter().all(|c| {
        matches!(&c.val, Val::LayerClass(n)
            if ev.data.layers.get(n.as_str()).is_some_and(|i| i.weights.is_empty() && !i.wrapper))
    });
    Some(weightless)
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
    let weightless = construction_site(ev, file, i)?;
    let mut built: Vec<Construction> = Vec::new();
    // The construction in frame `ctx`, when the path condition of the site may hold in
    // `pred_ctx` (the same frame, or for a probe another one: whether the site runs in some call
    // does not change what it constructs when it does).
    let run = |ev: &mut Evaluator,
               pred_ctx: Option<Arc<Frame>>,
               ctx: Option<Arc<Frame>>,
               wrapped: &mut Vec<Span>| {
        if site.pred != TRUE && ev.pred_holds(file, site.pred, pred_ctx) == Some(false) {
            // The construction does not run in this call.
            return Vec::new();
        }
        let cx = Cx {
            file: file.clone(),
            scope: site.scope,
            at: site.call.span.start,
            frame: ctx,
        };
        // One budget for the construction in all its contexts.
        construct(ev, file, i, &cx, wrapped)
    };
    match enclosing_function(file, site.scope) {
        Enclosing::Module | Enclosing::Lambda => built = run(ev, None, None, wrapped),
        Enclosing::Function(f) => {
            // A probe first: in a frame that knows nothing of the call, a construction that
            // reads neither a parameter nor the time of the call (see `Frame::used`) gives
            // the same answer in every call.
            let why = "the calls of the function are not followed here".to_string();
            let before = wrapped.len();
            let probe = ev.unknown_frame(file, f, None, why.clone());
            let pred_probe = ev.unknown_frame(file, f, None, why.clone());
            let mut probed = run(ev, Some(pred_probe.clone()), Some(probe.clone()), wrapped);
            // What the answer's weights read (the shapes may read more: they are answered in
            // the probe when the weights are).
            let used = if probed.is_empty() {
                probe.used()
            } else {
                probed.iter().fold(0, |a, c| a | c.weights_used)
            };
            let func = &file.ir.functions[f];
            let plain_method = func.class.is_some()
                && func.decorators.is_empty()
                && func
                    .params
                    .first()
                    .is_some_and(|p| matches!(p.kind, crate::syntax::ir::ParamKind::Positional));
            let mut done = false;
            if used == 0 || weightless {
                // Whether the site runs in some call, when that depends on the call: by the
                // calls' own conditions, within a budget.
                // (Not for a method, which Keras or any `x.name(...)` may call: finding its
                // calls costs more than a site that may never run.)
                if !probed.is_empty()
                    && !weightless
                    && pred_probe.used() != 0
                    && file.ir.functions[f].class.is_none()
                    && !runs_in_some_call(ev, file, site, f)
                {
                    probed.clear();
                    wrapped.truncate(before);
                }
                built = std::mem::take(&mut probed);
                done = true;
            } else if used == 1 && plain_method {
                // Only `self` read: the answer for each instance of the class, when none of
                // them leads to another parameter or to the time of the call.
                wrapped.truncate(before);
                let mut per: Vec<Construction> = Vec::new();
                done = true;
                for receiver in ev.receivers_for_unknown(file, f) {
                    let frame = ev.unknown_frame(file, f, receiver.clone(), why.clone());
                    let pred_frame = ev.unknown_frame(file, f, receiver, why.clone());
                    let got = run(ev, Some(pred_frame), Some(frame.clone()), wrapped);
                    let used = if got.is_empty() {
                        frame.used()
                    } else {
                        got.iter().fold(0, |a, c| a | c.weights_used)
                    };
                    per.extend(got);
                    if used & !1 != 0 {
                        done = false;
                        break;
                    }
                }
                if done {
                    built = per;
                }
            }
            if !done {
                // Per call, within a budget of its own: beyond it, the probe's answer (what any
                // call gives is among it).
                let probe_wrapped = wrapped[before..].to_vec();
                wrapped.truncate(before);
                let (fuel0, _) = ev.budget();
                let refine = fuel0.min(REFINE_FUEL);
                ev.set_fuel(refine);
                let mut refined = Vec::new();
                for ctx in ev.contexts_of(file, f) {
                    let step = call_step(file, &ctx);
                    let mut got = run(ev, Some(ctx.clone()), Some(ctx), wrapped);
                    if let Some(step) = step {
                        for c in &mut got {
                            for w in &mut c.weights {
                                for cand in &mut w.candidates {
                                    match cand {
                                        Candidate::Resolved { origin, .. }
                                        | Candidate::Unresolved { origin, .. } => {
                                            // Not when a step already points into the call.
                                            let named = origin.iter().any(|o| {
                                                o.file == step.file
                                                    && o.span.zip(step.span).is_some_and(
                                                        |(a, b)| {
                                                            b.start <= a.start && a.end <= b.end
                                                        },
                                                    )
                                            });
                                            if !named {
                                                origin.push(step.clone())
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    refined.extend(got);
                }
                let (left, _) = ev.budget();
                ev.set_fuel(fuel0 - (refine - left));
                if left > 0 {
                    built = refined;
                } else {
                    wrapped.truncate(before);
                    wrapped.extend(probe_wrapped);
                    built = probed;
                }
            }
        }
    }
    if built.is_empty() {
        return None;
    }
    let first = &built[0];
    let (layer, qualified, copyable, callee_span) = (
        first.layer.clone(),
        first.qualified.clone(),
        built.iter().any(|b| b.copyable),
        first.callee_span,
    );
    let mut notes: Vec<String> = Vec::new();
    for b in &built {
        for n in &b.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
    }
    let classes: Vec<&str> = {
        let mut v: Vec<&str> = built.iter().map(|b| b.layer.as_str()).collect();
        v.sort();
        v.dedup();
        v
    };
    if classes.len() > 1 {
        notes.push(format!("constructs one of: {}", classes.join(", ")));
    }
    let builtin = classes.len() == 1 && built.iter().all(|b| b.builtin);
    let weights = union_weights(built.into_iter().map(|b| b.weights).collect());
    Some(LayerCall {
        span: site.call.span,
        callee_span,
        layer,
        qualified,
        weights,
        notes,
        copyable,
        builtin,
    })
}

/// "in the call at line 12": the call made from module code (the start of the chain of calls)
/// that context `ctx` stands for, named in the origin of each per-call answer; `None` for a
/// context whose calls are not known.
fn call_step(file: &FileAnalysis, ctx: &Arc<Frame>) -> Option<Step> {
    let mut root = ctx;
    while let Some(caller) = &root.caller {
        root = caller;
    }
    let (site_file, _, span) = root.site.as_ref()?;
    let line = site_file.line1(span.start);
    let text = if *site_file.path == *file.path {
        format!("in the call at line {line}")
    } else {
        let name = site_file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("in the call at {name}:{line}")
    };
    Some(Step {
        text,
        file: Some(site_file.path.clone()),
        span: Some(*span),
    })
}

/// The layer objects call site `i` constructs in context `cx` (one per possible callee and set
/// of arguments).
pub(crate) fn construct(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    i: usize,
    cx: &Cx,
    wrapped: &mut Vec<Span>,
) -> Vec<Construction> {
    let site = file.ir.calls[i].clone();
    let mut out = Vec::new();
    for v in ev.call(&site.call, cx) {
        match v.val {
            Val::Instance(inst) => {
                let (cf, cid) = (inst.file.clone(), inst.class);
                let Some((_, builtin)) = super::custom::layer_ancestry(ev, &cf, cid) else {
                    continue;
                };
                let weights = super::custom::custom_weights(ev, &inst, 0, layer_value_weights);
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
                out.push(Construction {
                    layer: cls.name.clone(),
                    qualified: if module.is_empty() {
                        cls.name.clone()
                    } else {
                        format!("{module}.{}", cls.name)
                    },
                    weights,
                    notes,
                    copyable: true,
                    builtin: false,
                    callee_span: site.call.callee_name_span(),
                    weights_used: cx.frame.as_ref().map_or(0, |f| f.used()),
                });
            }
            Val::Layer(l) => {
                let Some(info) = ev.data.layers.get(&l.class) else {
                    continue;
                };
                let mut notes = Vec::new();
                let mut l = *l;
                // `layer.enable_lora(rank, a_initializer=..., b_initializer=...)` on the name this
                // call is bound to adds the LoRA weights after construction (Keras 3 Dense,
                // EinsumDense, Embedding `enable_lora`).
                let lora = enable_lora_call(file, site.scope, &site.call);
                if let Some(lc) = &lora {
                    if let Some(rank) = lc
                        .args
                        .first()
                        .or_else(|| lc.keyword("rank").map(|k| &k.value))
                    {
                        l.kws.retain(|(n, _, _)| n != "lora_rank");
                        l.kws.push(("lora_rank".into(), rank.clone(), cx.clone()));
                        notes.push(format!(
                            "LoRA enabled by `enable_lora` at line {}",
                            file.line1(lc.span.start)
                        ));
                    }
                }
                // Attributes set on the object before it is built: one layer value per possibility.
                // (The object's own attributes are set aside meanwhile: no clone per possibility.)
                let mut alternatives = Vec::new();
                let own_attrs = std::mem::take(&mut l.attrs);
                for attrs in after_construction(ev, file, i, cx, info) {
                    l.attrs = attrs;
                    alternatives.push(builtin_weights(ev, &l, cx, wrapped, &mut notes, 0));
                }
                l.attrs = own_attrs;
                let mut weights = union_weights(alternatives);
                undeclared_kwargs(ev, &l, info, &mut notes);
                let weights_used = cx.frame.as_ref().map_or(0, |f| f.used());
                let shapes = super::shapes::weight_shapes(ev, file, &l.class, &site.call, cx);
                for w in &mut weights {
                    w.shape = shapes.get(&w.weight).cloned();
                }
                if let Some(lc) = &lora {
                    lora_initializers(ev, file, lc, cx, &mut weights);
                }
                out.push(Construction {
                    layer: l.class.clone(),
                    qualified: layers::qualified(info, &l.class),
                    weights,
                    notes,
                    copyable: layers::copyable(info),
                    builtin: true,
                    callee_span: site.call.callee_name_span(),
                    weights_used,
                });
            }
            _ => {}
        }
    }
    out
}

/// `*_initializer` keywords the layer does not declare: Keras 2 may swallow them through
/// `**kwargs` (recorded per layer by the generator), Keras 3 raises.
fn undeclared_kwargs(
    ev: &mut Evaluator,
    l: &LayerVal,
    info: &crate::knowledge::LayerInfo,
    notes: &mut Vec<String>,
) {
    for (k, _, _) in &l.kws {
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
                "`{k}` is not a parameter of `{}`: Keras {} raises {}",
                l.class,
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
}

/// The LoRA weights take `enable_lora`'s `a_initializer` / `b_initializer` when given.
fn lora_initializers(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    lc: &crate::syntax::ir::Call,
    cx: &Cx,
    weights: &mut [WeightAnswer],
) {
    for w in weights {
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
            let mut cands: Vec<Candidate> = Vec::new();
            let lcx = Cx {
                at: lc.span.start,
                ..cx.clone()
            };
            for c in ev.eval(&k.value, &lcx) {
                let origin = std::iter::once(step.clone())
                    .chain(c.origin.clone())
                    .collect();
                cands.extend(ev.to_initializer(Cand { val: c.val, origin }, cx));
            }
            w.candidates = cands;
            w.is_default = false;
        }
    }
}

/// The attributes set on the layer object constructed at call site `i` before it is built, as
/// one list per possibility (the first has only the stores that surely happen).
fn after_construction(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    i: usize,
    cx: &Cx,
    info: &crate::knowledge::LayerInfo,
) -> Vec<crate::analysis::values::SetAttrs> {
    let site = &file.ir.calls[i];
    let mut sure: crate::analysis::values::SetAttrs = Vec::new();
    let mut maybe: crate::analysis::values::SetAttrs = Vec::new();
    let mut names: Vec<crate::syntax::ir::Name> = Vec::new();
    // Through the names bound to this construction, in the flow of its scope.
    let defs: Vec<u32> = file
        .call_uses()
        .bound_to
        .get(&site.call.span)
        .map(|v| {
            v.iter()
                .copied()
                .filter(|d| file.ir.defs[*d as usize].scope as usize == site.scope)
                .collect()
        })
        .unwrap_or_default();
    for d in defs {
        let name = file.ir.defs[d as usize].name.clone();
        names.push(name.clone());
        let mut chain = vec![d];
        let mut stores: Vec<(u32, Mutation, Span)> = Vec::new();
        // The changes made to the object through this name, also inside loops (where the
        // object reaches the change through the loop head's phi): to a fixpoint.
        let defs = file.ir.defs_of(site.scope, &name).to_vec();
        for _ in 0..defs.len().min(64) {
            let before = chain.len();
            for &m in &defs {
                if chain.contains(&m) {
                    continue;
                }
                match &file.ir.defs[m as usize].kind {
                    DefKind::Mutation { op, prev } => {
                        if file.ir.live(*prev).iter().any(|r| chain.contains(&r.def)) {
                            chain.push(m);
                            stores.push((m, (**op).clone(), file.ir.defs[m as usize].span));
                        }
                    }
                    DefKind::Phi { sources } => {
                        if sources
                            .iter()
                            .any(|l| file.ir.live(*l).iter().any(|r| chain.contains(&r.def)))
                        {
                            chain.push(m);
                        }
                    }
                    _ => {}
                }
            }
            if chain.len() == before {
                break;
            }
        }
        stores.sort_by_key(|(_, _, sp)| sp.start);
        // Where the object is first called (built), handed on, or may be built by other code.
        let first_apply = chain
            .iter()
            .flat_map(|c| {
                file.ir
                    .applies_of(*c)
                    .iter()
                    .map(|a| (a.span.start, a.pred))
            })
            .min_by_key(|(s, _)| *s);
        let first_escape = chain
            .iter()
            .flat_map(|c| file.ir.escapes_of(*c).iter().map(|e| e.span.start))
            .min();
        for (_, op, sp) in stores {
            let Mutation::SetAttr { attr, value } = op else {
                continue;
            };
            let v = value.map(|e| {
                (
                    e,
                    Cx {
                        at: sp.start,
                        ..cx.clone()
                    },
                )
            });
            let before_build = first_apply.is_none_or(|(s, _)| sp.end <= s);
            let before_escape = first_escape.is_none_or(|s| sp.end <= s);
            let store_pred = file
                .ir
                .stores
                .iter()
                .find(|s| s.span == sp)
                .map(|s| (s.pred, s.looped));
            let unconditional = store_pred.is_some_and(|(p, looped)| p == site.pred && !looped);
            let built_surely_after = first_apply.is_some_and(|(_, p)| p == site.pred);
            let entries = ev.set_attr_entries(&attr, file, sp);
            // A `setattr` that may set one of several names sets only one of them.
            let surely = entries.len() == 1;
            for attr in entries {
                if before_build && before_escape && unconditional && surely {
                    sure.retain(|(a, _)| *a != attr.as_str());
                    sure.push((attr.to_string(), v.clone()));
                } else if before_build || !built_surely_after {
                    maybe.push((attr.to_string(), v.clone()));
                }
            }
        }
    }
    // Stores elsewhere that may reach the object (another name, another scope, an object not
    // known): each a possibility, for the attributes the layer reads when it builds.
    let target = super::eval::StoreTarget::Layer(file.path.clone(), site.call.span);
    let reachable = file.object_escapes(site.call.span);
    for p in info.signature.iter().filter(|_| reachable) {
        if !p.name.ends_with("_initializer")
            && !matches!(p.name.as_str(), "use_bias" | "center" | "scale")
        {
            continue;
        }
        let via = names.first().map(|n| n.to_string());
        // Read when the layer is built, which may be any time after its construction.
        let late = Cx {
            at: u32::MAX,
            ..cx.clone()
        };
        for c in ev.foreign_stores(&target, &p.name, &late, via.as_deref()) {
            maybe.push((p.name.clone(), c));
        }
    }
    let mut out = vec![sure.clone()];
    for m in maybe {
        let mut alt = sure.clone();
        alt.retain(|(a, _)| *a != m.0);
        alt.push(m);
        out.push(alt);
    }
    out
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
    let name = file
        .call_uses()
        .bound_to
        .get(&call.span)?
        .iter()
        .map(|d| &file.ir.defs[*d as usize])
        .find(|d| d.scope as usize == scope)
        .map(|d| d.name.clone())?;
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
    layer_class_name(v).is_some()
}

/// Whether the path condition of `site` (in function `f`) may hold in some call of `f`: false
/// only when it is decided false in every context, all found within the refinement budget.
fn runs_in_some_call(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    site: &crate::syntax::ir::CallSite,
    f: crate::syntax::ir::FuncId,
) -> bool {
    let (fuel0, _) = ev.budget();
    let refine = fuel0.min(PRED_REFINE_FUEL);
    ev.set_fuel(refine);
    let mut runs = false;
    for ctx in ev.contexts_of(file, f) {
        if ev.pred_holds(file, site.pred, Some(ctx)) != Some(false) {
            runs = true;
            break;
        }
    }
    let (left, _) = ev.budget();
    ev.set_fuel(fuel0 - (refine - left));
    runs || left == 0
}

/// The steps [`runs_in_some_call`] may take.
const PRED_REFINE_FUEL: u32 = 1_000;

/// The steps the answers of a construction per call may take before the probe's answer is kept
/// (see `site_call`). 4,000 before: on keras-hub (3,717 calls) 12,000 answers 28 more weights
/// and `check` took the same CPU time (55 s).
const REFINE_FUEL: u32 = 12_000;
