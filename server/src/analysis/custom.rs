//! Workspace layer classes: subclasses of `keras.layers.Layer`, `keras.Model` or of a built-in
//! layer. Their weights are those of the built-in base (with the arguments that reach it through
//! `super().__init__`, and the attributes their methods set on `self` before it builds), plus every
//! `self.add_weight(...)` and every sub-layer created in their methods, nested by the sub-layer's
//! name (`proj/kernel`). Each method is evaluated in a frame whose `self` is the instance being
//! analysed: `__init__` with the construction's arguments, the others (called by Keras) with
//! arguments that are not known.

use super::eval::Evaluator;
use super::layers::LayerWeights;
use super::values::*;
use super::{union_weights, Candidate, Created, FileAnalysis, Step, WeightAnswer};
use crate::knowledge::snake_case;
use crate::syntax::ir::{Call, ClassId, Expr, FuncId, ScopeKind, Span, TRUE};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// How deep sub-layers of custom layers are followed.
pub const MAX_NESTING: usize = 8;

/// The workspace classes from a class up to its built-in Keras layer base, and that base's
/// name when it is known (see [`layer_ancestry`]).
pub type Ancestry = (Vec<(Arc<FileAnalysis>, ClassId)>, Option<String>);

/// The workspace class chain of a layer class (its MRO up to the first class that is not in the
/// workspace) and its built-in base, if any: `Some((chain, Some("Dense")))` for
/// `class HeDense(Dense)`, `Some((chain, None))` for a subclass of `Layer` or `Model`, `None` for a
/// class that is not a layer.
pub fn layer_ancestry(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    class: ClassId,
) -> Option<Ancestry> {
    let mut chain = Vec::new();
    for e in ev.mro(file, class) {
        match e {
            super::eval::MroEntry::Class(f, c) => chain.push((f, c)),
            super::eval::MroEntry::Foreign(Val::LayerClass(l)) => {
                let has_weights = ev
                    .data
                    .layers
                    .get(&l)
                    .is_some_and(|i| !i.weights.is_empty());
                return Some((chain, has_weights.then_some(l)));
            }
            super::eval::MroEntry::Foreign(Val::Builtin("keras.Model" | "keras.Sequential")) => {
                return Some((chain, None))
            }
            super::eval::MroEntry::Foreign(_) => return None,
        }
    }
    None
}

/// `super().__init__(...)` or `Base.__init__(self, ...)`.
pub(crate) fn is_super_init(call: &Call) -> bool {
    match &call.func {
        Expr::Attr { value, attr, .. } if attr == "__init__" => match &**value {
            Expr::Call(c) => matches!(&c.func, Expr::Name { id, .. } if id == "super"),
            Expr::Name { .. } | Expr::Attr { .. } => !call.args.is_empty(), // Base.__init__(self, ...)
            _ => false,
        },
        _ => false,
    }
}

fn is_super_build(call: &Call) -> bool {
    matches!(&call.func, Expr::Attr { value, attr, .. } if attr == "build"
        && matches!(&**value, Expr::Call(c) if matches!(&c.func, Expr::Name { id, .. } if id == "super")))
}

/// Calls made directly in function `func`'s body (also in its comprehensions): (call, scope,
/// path condition).
fn calls_in(file: &FileAnalysis, func: FuncId) -> Vec<(Arc<Call>, usize, u32)> {
    let fscope = file.ir.functions[func].scope;
    file.ir
        .calls
        .iter()
        .filter(|site| {
            let mut s = Some(site.scope);
            while let Some(id) = s {
                if id == fscope {
                    return true;
                }
                match file.ir.scopes[id].kind {
                    ScopeKind::Comprehension => s = file.ir.scopes[id].parent,
                    _ => return false,
                }
            }
            false
        })
        .map(|site| (site.call.clone(), site.scope, site.pred))
        .collect()
}

/// Methods of a class in the order Keras runs them: `__init__`, `build`, then the rest by position.
fn methods_in_order(file: &FileAnalysis, class: ClassId) -> Vec<FuncId> {
    let mut ms: Vec<FuncId> = file.ir.classes[class].methods.values().copied().collect();
    ms.sort_by_key(|f| {
        let name = file.ir.functions[*f].name.as_str();
        let rank = match name {
            "__init__" => 0,
            "build" => 1,
            _ => 2,
        };
        (rank, file.ir.functions[*f].span.start)
    });
    ms
}

/// Weights of the instance `inst` of workspace layer class `inst.class` (see the module doc).
pub fn custom_weights(
    ev: &mut Evaluator,
    inst: &InstanceVal,
    depth: usize,
    weights_of: LayerWeights,
) -> Vec<WeightAnswer> {
    // Nesting is counted on the evaluator too: a sub-layer reached through a built-in wrapper
    // (`RNN(cell)`) starts a new `custom_weights` whose `depth` argument does not know how deep
    // it is (a fuzzer-found input nested such cells until the stack overflowed).
    if depth > MAX_NESTING || ev.layer_nesting > MAX_NESTING {
        return Vec::new();
    }
    ev.layer_nesting += 1;
    let out = custom_weights_at(ev, inst, depth, weights_of);
    ev.layer_nesting -= 1;
    out
}

fn custom_weights_at(
    ev: &mut Evaluator,
    inst: &InstanceVal,
    depth: usize,
    weights_of: LayerWeights,
) -> Vec<WeightAnswer> {
    let Some((chain, builtin)) = layer_ancestry(ev, &inst.file, inst.class) else {
        return Vec::new();
    };
    let receiver = Val::Instance(Box::new(inst.clone()));
    // The frame of each `__init__` of the chain, following `super().__init__(...)`; what reaches
    // the built-in base's `__init__`.
    let mut init_frames: HashMap<(usize, FuncId), Arc<Frame>> = HashMap::new();
    let mut base_args: Option<Vec<ArgSet>> = None;
    let mut first = true;
    let mut pending: Option<Vec<ArgSet>> = None;
    let mut base_build_skipped = false;
    for (f, c) in &chain {
        if let Some(b) = f.ir.classes[*c].methods.get("build") {
            if !calls_in(f, *b).iter().any(|(cl, _, _)| is_super_build(cl)) {
                base_build_skipped = true;
            }
        }
        let Some(init) = f.ir.classes[*c].methods.get("__init__").copied() else {
            continue;
        };
        let frame = if first {
            first = false;
            ev.construction_frame(inst, f, init)
        } else {
            match pending.take() {
                Some(sets) if sets.len() == 1 => {
                    let fk = Arc::as_ptr(f) as *const u8 as usize;
                    let _ = fk;
                    let func = &f.ir.functions[init];
                    let mut args = super::eval::bind_values(func, &sets[0], true);
                    if let Some(p) = func.params.first() {
                        args.push((p.name.clone(), BoundArg::Val(receiver.clone())));
                    }
                    Arc::new(Frame {
                        file: f.clone(),
                        func: init,
                        args,
                        site: None,
                        caller: None,
                        closure: None,
                        time: None,
                        depth: 1,
                        unknown_args: None,
                        used: Default::default(),
                    })
                }
                _ => ev.unknown_frame(
                    f,
                    init,
                    Some(receiver.clone()),
                    "the arguments given through `super().__init__` are not known".into(),
                ),
            }
        };
        init_frames.insert((Arc::as_ptr(f) as *const u8 as usize, init), frame.clone());
        let sup = calls_in(f, init)
            .into_iter()
            .find(|(cl, _, _)| is_super_init(cl));
        let sets = match sup {
            Some((cl, scope, _)) => {
                let cx = Cx {
                    file: f.clone(),
                    scope,
                    at: cl.span.start,
                    frame: Some(frame),
                };
                let explicit_self = !matches!(&cl.func, Expr::Attr { value, .. } if matches!(&**value, Expr::Call(_)));
                let mut stripped = (*cl).clone();
                if explicit_self && !stripped.args.is_empty() {
                    stripped.args = stripped.args[1..].into();
                }
                ev.call_args(&stripped, &cx, Vec::new(), Vec::new())
            }
            None => vec![ArgSet::default()],
        };
        pending = Some(sets.clone());
        base_args = Some(sets);
    }
    let mut out: Vec<WeightAnswer> = Vec::new();
    if let (Some(l), false) = (&builtin, base_build_skipped) {
        // No `__init__` in the workspace classes: the construction's arguments reach the base.
        let sets = base_args.unwrap_or_else(|| match (&inst.args, &inst.call) {
            (Some(a), _) => vec![(**a).clone()],
            (None, Some((call, ccx))) => ev.call_args(call, ccx, Vec::new(), Vec::new()),
            (None, None) => vec![ArgSet {
                open: Some("the constructions of the class are not followed here".into()),
                ..ArgSet::default()
            }],
        });
        let attrs = self_sets_on_base(ev, &chain, &init_frames, &receiver);
        let mut alternatives = Vec::new();
        for set in sets {
            for attrs in &attrs {
                let layer = LayerVal {
                    class: l.clone(),
                    args: set.args.clone(),
                    kws: set.kws.clone(),
                    open: set.open.clone(),
                    open_pos: set.open_pos.clone(),
                    site: None,
                    attrs: attrs.clone(),
                };
                let cx = inst
                    .call
                    .as_ref()
                    .map(|(_, c)| c.clone())
                    .unwrap_or_else(|| Cx {
                        file: inst.file.clone(),
                        scope: 0,
                        at: 0,
                        frame: None,
                    });
                if let Some(w) = weights_of(ev, &Val::Layer(Box::new(layer)), &cx, depth) {
                    alternatives.push(w.weights);
                }
            }
        }
        out.extend(union_weights(alternatives));
    }
    // add_weight calls and sub-layers, base classes first.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut unnamed = 0usize;
    for (f, c) in chain.iter().rev() {
        for m in methods_in_order(f, *c) {
            let key = (Arc::as_ptr(f) as *const u8 as usize, m);
            let frame = match init_frames.get(&key) {
                Some(fr) => fr.clone(),
                None => ev.unknown_frame(
                    f,
                    m,
                    Some(receiver.clone()),
                    format!("`{}` is called by Keras", f.ir.functions[m].name),
                ),
            };
            let calls = calls_in(f, m);
            // Layers listed inside another layer call (`Sequential([...])`, a wrapper's argument)
            // belong to that layer, not directly to this one.
            let mut layerish: Vec<Span> = Vec::new();
            for (cl, scope, _) in &calls {
                let cx = Cx {
                    file: f.clone(),
                    scope: *scope,
                    at: cl.span.start,
                    frame: Some(frame.clone()),
                };
                if ev.eval(&cl.func, &cx).iter().any(|c| {
                    matches!(
                        c.val,
                        Val::LayerClass(_) | Val::Class(..) | Val::Builtin("keras.Sequential")
                    )
                }) {
                    layerish.push(cl.span);
                }
            }
            for (cl, scope, pred) in calls {
                if layerish
                    .iter()
                    .any(|sp| *sp != cl.span && sp.start <= cl.span.start && cl.span.end <= sp.end)
                {
                    continue;
                }
                let cx = Cx {
                    file: f.clone(),
                    scope,
                    at: cl.span.start,
                    frame: Some(frame.clone()),
                };
                let runs = if pred == TRUE {
                    Some(true)
                } else {
                    ev.pred_holds(f, pred, Some(frame.clone()))
                };
                if runs == Some(false) {
                    continue;
                }
                let mut made: Vec<WeightAnswer> = Vec::new();
                // `tf.Variable(init(shape))` and `tf.compat.v1.get_variable(name, shape, initializer=...)`.
                if let Some(w) = tf_variable(ev, &cl, &cx, &mut unnamed) {
                    made.push(w);
                } else if let Expr::Attr { value, attr, .. } = &cl.func {
                    if matches!(&**value, Expr::Name { id, .. } if id == "self")
                        && matches!(attr.as_str(), "add_weight" | "add_variable")
                    {
                        made.push(add_weight(ev, &cl, &cx, &mut unnamed));
                    }
                }
                if made.is_empty() {
                    // A sub-layer?
                    let callee = ev.eval(&cl.func, &cx);
                    let layer_callee = callee.iter().any(|v| {
                        matches!(
                            v.val,
                            Val::LayerClass(_) | Val::Class(..) | Val::Builtin("keras.Sequential")
                        )
                    });
                    if !layer_callee {
                        continue;
                    }
                    let subs = sub_layers(ev, &cl, &cx, depth, weights_of);
                    if subs.is_empty() {
                        continue;
                    }
                    // A sub-layer made in a comprehension is made once per element.
                    let copies = comprehension_count(ev, f, scope, &cx).unwrap_or(1);
                    for _ in 0..copies {
                        let mut alternatives = Vec::new();
                        let mut base_name = String::new();
                        for (name, ws) in &subs {
                            base_name = name.clone();
                            alternatives.push(ws.clone());
                        }
                        let n = seen.entry(base_name.clone()).or_insert(0);
                        let name = if *n == 0 {
                            base_name.clone()
                        } else {
                            format!("{base_name}_{n}")
                        };
                        *n += 1;
                        for mut w in union_weights(alternatives) {
                            w.weight = format!("{name}/{}", w.weight);
                            // A weight the sub-layer never creates is not created whether
                            // or not the construction runs.
                            if runs.is_none() && !matches!(w.created, Created::No(_)) {
                                w.created = Created::Unknown(
                                    "made under a condition that is not decided".into(),
                                );
                            }
                            out.push(w);
                        }
                    }
                    continue;
                }
                for mut w in made {
                    if runs.is_none() && !matches!(w.created, Created::No(_)) {
                        w.created =
                            Created::Unknown("made under a condition that is not decided".into());
                    }
                    out.push(w);
                }
            }
        }
    }
    out
}

/// The attributes the chain's methods set on `self` that the built-in base reads when it builds
/// (`self.kernel_initializer = ...` after `super().__init__(...)`): one list per possibility.
fn self_sets_on_base(
    ev: &mut Evaluator,
    chain: &[(Arc<FileAnalysis>, ClassId)],
    init_frames: &HashMap<(usize, FuncId), Arc<Frame>>,
    receiver: &Val,
) -> Vec<crate::analysis::values::SetAttrs> {
    let mut sure: crate::analysis::values::SetAttrs = Vec::new();
    let mut maybe: crate::analysis::values::SetAttrs = Vec::new();
    for (f, c) in chain.iter().rev() {
        let cls = &f.ir.classes[*c];
        for (attr, stores) in &cls.self_attrs {
            if !attr.ends_with("_initializer")
                && !matches!(attr.as_str(), "use_bias" | "center" | "scale")
            {
                continue;
            }
            for s in stores {
                let st = f.ir.stores[*s as usize].clone();
                let mut sc = Some(st.scope);
                let mut func = None;
                while let Some(id) = sc {
                    if let ScopeKind::Function(fid) = f.ir.scopes[id].kind {
                        func = Some(fid);
                        break;
                    }
                    sc = f.ir.scopes[id].parent;
                }
                let Some(fid) = func else { continue };
                let key = (Arc::as_ptr(f) as *const u8 as usize, fid);
                let (frame, is_init) = match init_frames.get(&key) {
                    Some(fr) => (fr.clone(), true),
                    None => (
                        ev.unknown_frame(f, fid, Some(receiver.clone()), "called by Keras".into()),
                        false,
                    ),
                };
                // After `super().__init__(...)` in `__init__`, on every path: surely set before
                // the layer is built.
                let after_super = calls_in(f, fid)
                    .iter()
                    .find(|(cl, _, _)| is_super_init(cl))
                    .is_none_or(|(cl, _, _)| cl.span.end <= st.span.start);
                let cx = Cx {
                    file: f.clone(),
                    scope: st.scope,
                    at: st.span.start,
                    frame: Some(frame),
                };
                let v = st.value.clone().map(|e| (e, cx));
                if is_init
                    && after_super
                    && st.pred == TRUE
                    && st.scope == f.ir.functions[fid].scope
                {
                    sure.retain(|(a, _)| a != attr.as_str());
                    sure.push((attr.to_string(), v));
                } else {
                    maybe.push((attr.to_string(), v));
                }
            }
        }
    }
    let mut out = vec![sure.clone()];
    for m in maybe {
        let mut alt = sure.clone();
        alt.push(m);
        out.push(alt);
    }
    out
}

/// The layers call `cl` (in `cx`) may construct: (layer name, weights) per possibility.
fn sub_layers(
    ev: &mut Evaluator,
    cl: &Arc<Call>,
    cx: &Cx,
    depth: usize,
    weights_of: LayerWeights,
) -> Vec<(String, Vec<WeightAnswer>)> {
    let callee = ev.eval(&cl.func, cx);
    if callee
        .iter()
        .any(|c| matches!(c.val, Val::Builtin("keras.Sequential")))
    {
        let sets = ev.call_args(cl, cx, Vec::new(), Vec::new());
        let Some(set) = sets.first() else {
            return Vec::new();
        };
        let Some((le, lcx)) = set.args.first().cloned().or_else(|| {
            set.kws
                .iter()
                .find(|(n, _, _)| n == "layers")
                .map(|(_, e, c)| (e.clone(), c.clone()))
        }) else {
            return Vec::new();
        };
        let name = name_kw(ev, &set.kws).unwrap_or_else(|| "sequential".into());
        let ws = sequential_weights(ev, &le, &lcx, depth, weights_of);
        return if ws.is_empty() {
            Vec::new()
        } else {
            vec![(name, ws)]
        };
    }
    let mut out = Vec::new();
    for v in ev.call(cl, cx) {
        if !matches!(v.val, Val::Layer(_) | Val::Instance(_)) {
            continue;
        }
        if let Some(inner) = weights_of(ev, &v.val, cx, depth + 1) {
            if !inner.weights.is_empty() {
                out.push((inner.name, inner.weights));
            }
        }
    }
    out
}

/// The `name=` of a layer's keyword arguments, when it is one literal string.
fn name_kw(ev: &mut Evaluator, kws: &[(String, Expr, Cx)]) -> Option<String> {
    let (_, e, c) = kws.iter().rev().find(|(n, _, _)| n == "name")?;
    let (e, c) = (e.clone(), c.clone());
    ev.single_str(&e, &c)
}

/// One `self.add_weight(...)`: Keras 3 positional order `(shape, initializer, dtype)`, Keras 2
/// `(name, shape, dtype, initializer)`; no initializer means `add_weight`'s default for the dtype.
fn add_weight(ev: &mut Evaluator, call: &Call, cx: &Cx, unnamed: &mut usize) -> WeightAnswer {
    let keras2 = ev.data.flavor == "keras2";
    let pos = |i: usize| call.args.get(i).cloned();
    let kw = |n: &str| call.keyword(n).map(|k| k.value.clone());
    let (name_e, init_e, dtype_e) = if keras2 {
        (
            kw("name").or_else(|| pos(0)),
            kw("initializer").or_else(|| pos(3)),
            kw("dtype").or_else(|| pos(2)),
        )
    } else {
        (
            kw("name"),
            kw("initializer").or_else(|| pos(1)),
            kw("dtype").or_else(|| pos(2)),
        )
    };
    let name = name_e
        .as_ref()
        .and_then(|e| ev.single_str(e, cx))
        .unwrap_or_else(|| {
            let n = if *unnamed == 0 {
                "variable".to_string()
            } else {
                format!("variable_{unnamed}")
            };
            *unnamed += 1;
            n
        });
    // `dtype="int32"`, or `tf.int32` / `np.int32` / `"int32"` given positionally.
    let dtype = dtype_e
        .as_ref()
        .and_then(|e| ev.single_str(e, cx))
        .or_else(|| match &dtype_e {
            Some(Expr::Attr { attr, .. }) => Some(attr.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "float32".into());
    let here = ev.place(&cx.file, call.span);
    let step = Step {
        text: format!("`add_weight` at {here}"),
        file: Some(cx.file.path.clone()),
        span: Some(call.span),
    };
    let mut candidates = Vec::new();
    let default = |ev: &mut Evaluator, origin: Vec<Step>| -> Vec<Candidate> {
        let ident = ev
            .data
            .extra
            .get("add_weight")
            .and_then(|v| v.pointer(&format!("/initializer_none/{dtype}/identifier")))
            .and_then(Value::as_str)
            .unwrap_or(if dtype.contains("int") || dtype == "bool" {
                "zeros"
            } else {
                "glorot_uniform"
            })
            .to_string();
        let mut origin = origin;
        origin.push(Step {
            text: format!("no initializer: `add_weight` uses '{ident}' for {dtype}"),
            file: None,
            span: None,
        });
        match ev.identifier(&ident) {
            Ok(init) => vec![Candidate::Resolved { init, origin }],
            Err(r) => vec![Candidate::Unresolved { reason: r, origin }],
        }
    };
    match &init_e {
        None => candidates.extend(default(ev, vec![step])),
        Some(e) => {
            for c in ev.eval(e, cx) {
                let mut origin = vec![step.clone()];
                origin.extend(c.origin.clone());
                if matches!(c.val, Val::NoneV) {
                    candidates.extend(default(ev, origin));
                } else {
                    candidates.extend(ev.to_initializer(Cand { val: c.val, origin }, cx));
                }
            }
        }
    }
    let trainable = match call.keyword("trainable").map(|k| ev.eval(&k.value, cx)) {
        Some(v) => !matches!(v.as_slice(), [c] if matches!(c.val, Val::Bool(false))),
        None => true,
    };
    WeightAnswer {
        weight: name,
        parameter: None,
        created: Created::Yes,
        candidates,
        is_default: init_e.is_none(),
        trainable,
        shape: None,
    }
}

/// How many times a call in comprehension scope `scope` runs: the length of the iterated literal
/// list or tuple, or `range(n)` with a literal `n`. `None` when it is not a comprehension or the
/// count is not known statically.
fn comprehension_count(
    ev: &mut Evaluator,
    f: &Arc<FileAnalysis>,
    scope: usize,
    cx: &Cx,
) -> Option<usize> {
    if f.ir.scopes[scope].kind != ScopeKind::Comprehension {
        return None;
    }
    let mut count = 1usize;
    {
        for d in f.ir.defs_in(scope) {
            if let crate::syntax::ir::DefKind::Element {
                of,
                each: true,
                path,
            } = &f.ir.defs[*d as usize].kind
            {
                if !path.is_empty() {
                    continue;
                }
                let pcx = Cx {
                    scope: f.ir.scopes[scope].parent.unwrap_or(0),
                    ..cx.clone()
                };
                let n = match &**of {
                    Expr::Call(c)
                        if matches!(&c.func, Expr::Name { id, .. } if id == "range")
                            && c.args.len() == 1 =>
                    {
                        match ev.eval(&c.args[0], &pcx).as_slice() {
                            [v] => match v.val {
                                Val::Num(crate::syntax::ir::Number::Int(n)) if n >= 0 => n as usize,
                                _ => return None,
                            },
                            _ => return None,
                        }
                    }
                    other => match ev.eval(other, &pcx).as_slice() {
                        [v] => match &v.val {
                            Val::List { items, open: None } => items.len(),
                            _ => return None,
                        },
                        _ => return None,
                    },
                };
                count = count.saturating_mul(n);
            }
        }
    }
    Some(count.min(256))
}

/// Weights of `keras.Sequential([...])` made inside a custom layer: each listed layer's weights
/// under its name.
fn sequential_weights(
    ev: &mut Evaluator,
    list: &Expr,
    cx: &Cx,
    depth: usize,
    weights_of: LayerWeights,
) -> Vec<WeightAnswer> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let items = match ev.eval(list, cx).as_slice() {
        [c] => match &c.val {
            Val::List { items, .. } => items.clone(),
            _ => return out,
        },
        _ => return out,
    };
    for (e, ecx) in items {
        let vals = ev.eval(&e, &ecx);
        let [v] = vals.as_slice() else { continue };
        if !matches!(v.val, Val::Layer(_) | Val::Instance(_)) {
            continue;
        }
        let Some(inner) = weights_of(ev, &v.val, &ecx, depth + 1) else {
            continue;
        };
        if inner.weights.is_empty() {
            continue;
        }
        let n = seen.entry(inner.name.clone()).or_insert(0);
        let name = if *n == 0 {
            inner.name.clone()
        } else {
            format!("{}_{n}", inner.name)
        };
        *n += 1;
        for mut w in inner.weights {
            w.weight = format!("{name}/{}", w.weight);
            out.push(w);
        }
    }
    out
}

/// The name Keras gives a layer object: its `name=` argument, else the snake_case class name.
pub fn layer_name(ev: &mut Evaluator, class: &str, kws: &[(String, Expr, Cx)]) -> String {
    name_kw(ev, kws).unwrap_or_else(|| snake_case(class))
}

/// A weight made with TensorFlow directly in a layer's method: `tf.Variable(init(shape=...))`
/// (the initializer is the callee of the call passed as the initial value) or
/// `tf.compat.v1.get_variable(name, shape, initializer=...)` (no initializer: glorot_uniform).
fn tf_variable(
    ev: &mut Evaluator,
    call: &Call,
    cx: &Cx,
    unnamed: &mut usize,
) -> Option<WeightAnswer> {
    let kind = ev
        .eval(&call.func, cx)
        .into_iter()
        .find_map(|c| match c.val {
            Val::Builtin(b @ ("tf.Variable" | "tf.get_variable")) => Some(b),
            _ => None,
        })?;
    let here = ev.place(&cx.file, call.span);
    let step = Step {
        text: format!("`{kind}` at {here}"),
        file: Some(cx.file.path.clone()),
        span: Some(call.span),
    };
    let (name, init_expr) = if kind == "tf.Variable" {
        let name = call
            .keyword("name")
            .map(|k| k.value.clone())
            .and_then(|e| ev.single_str(&e, cx));
        let init = call
            .args
            .first()
            .or_else(|| call.keyword("initial_value").map(|k| &k.value));
        let init = match init {
            Some(Expr::Call(c)) => Some(c.func.clone()),
            _ => None,
        };
        (name, init)
    } else {
        let name = call
            .keyword("name")
            .map(|k| k.value.clone())
            .or(call.args.first().cloned())
            .and_then(|e| ev.single_str(&e, cx));
        (
            name,
            call.keyword("initializer")
                .map(|k| k.value.clone())
                .or_else(|| call.args.get(3).cloned()),
        )
    };
    let name = name.unwrap_or_else(|| {
        let n = if *unnamed == 0 {
            "variable".to_string()
        } else {
            format!("variable_{unnamed}")
        };
        *unnamed += 1;
        n
    });
    let mut candidates = Vec::new();
    match init_expr {
        Some(e) => {
            for c in ev.eval(&e, cx) {
                let origin = std::iter::once(step.clone())
                    .chain(c.origin.clone())
                    .collect();
                candidates.extend(ev.to_initializer(Cand { val: c.val, origin }, cx));
            }
        }
        None if kind == "tf.get_variable" => match ev.identifier("glorot_uniform") {
            Ok(init) => candidates.push(Candidate::Resolved {
                init,
                origin: vec![step],
            }),
            Err(r) => candidates.push(Candidate::Unresolved {
                reason: r,
                origin: vec![step],
            }),
        },
        None => candidates.push(Candidate::Unresolved {
            reason: "the initial value is not a call of an initializer".into(),
            origin: vec![step],
        }),
    }
    Some(WeightAnswer {
        weight: name,
        parameter: None,
        created: Created::Yes,
        candidates,
        is_default: false,
        trainable: true,
        shape: None,
    })
}
