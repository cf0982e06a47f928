//! Workspace layer classes: subclasses of `keras.layers.Layer`, `keras.Model` or of a built-in
//! layer. Their weights are those of the built-in base (with the arguments that reach it through
//! `super().__init__`), plus every `self.add_weight(...)` and every sub-layer created in their
//! methods, nested by the sub-layer's name (`proj/kernel`).

use super::eval::{bind_values, BoundArg, Cx, Evaluator, Frame, Val};
use super::layers::weights_for;
use super::{Candidate, Created, FileAnalysis, Step, WeightAnswer};
use crate::knowledge::snake_case;
use crate::syntax::ir::{Call, ClassId, Expr, FuncId, ScopeKind};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// How deep sub-layers of custom layers are followed.
pub const MAX_NESTING: usize = 8;

/// The workspace class chain of a layer class (the class first) and its built-in base, if any:
/// `Some((chain, Some("Dense")))` for `class HeDense(Dense)`, `Some((chain, None))` for a
/// subclass of `Layer` or `Model`, `None` for a class that is not a layer.
pub fn layer_ancestry(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    class: ClassId,
) -> Option<(Vec<(Arc<FileAnalysis>, ClassId)>, Option<String>)> {
    let mut chain = vec![(file.clone(), class)];
    let mut cur = (file.clone(), class);
    for _ in 0..16 {
        let cls = cur.0.ir.classes[cur.1].clone();
        let bcx = Cx {
            file: cur.0.clone(),
            scope: cls.parent_scope,
            at: cls.span.start,
            frame: None,
        };
        let mut next = None;
        for b in &cls.bases {
            for v in ev.eval(b, &bcx) {
                match v.val {
                    Val::LayerClass(l) => {
                        let has_weights = ev
                            .data
                            .layers
                            .get(&l)
                            .is_some_and(|i| !i.weights.is_empty());
                        return Some((chain, has_weights.then_some(l)));
                    }
                    Val::Builtin("keras.Model") | Val::Builtin("keras.Sequential") => {
                        return Some((chain, None))
                    }
                    Val::Class(f, c) if next.is_none() => next = Some((f, c)),
                    _ => {}
                }
            }
        }
        let (f, c) = next?;
        if chain.iter().any(|(g, d)| Arc::ptr_eq(g, &f) && *d == c) {
            return None;
        }
        chain.push((f.clone(), c));
        cur = (f, c);
    }
    None
}

fn is_super_init(call: &Call) -> bool {
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

/// Calls made directly in function `func`'s body (also in its comprehensions and lambdas).
fn calls_in(file: &FileAnalysis, func: FuncId) -> Vec<(Arc<Call>, usize)> {
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
        .map(|site| (site.call.clone(), site.scope))
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

/// Weights of an instance of workspace layer class `class` constructed with these arguments.
#[allow(clippy::too_many_arguments)]
pub fn custom_weights(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    class: ClassId,
    args: Vec<(Expr, Cx)>,
    kws: Vec<(String, Expr, Cx)>,
    call: Option<(Arc<Call>, Cx)>,
    depth: usize,
) -> Vec<WeightAnswer> {
    // Nesting is counted on the evaluator too: a sub-layer reached through a built-in wrapper
    // (`RNN(cell)`) starts a new `custom_weights` whose `depth` argument does not know how deep
    // it is (a fuzzer-found input nested such cells until the stack overflowed).
    if depth > MAX_NESTING || ev.layer_nesting > MAX_NESTING {
        return Vec::new();
    }
    ev.layer_nesting += 1;
    let out = custom_weights_at(ev, file, class, args, kws, call, depth);
    ev.layer_nesting -= 1;
    out
}

#[allow(clippy::too_many_arguments)]
fn custom_weights_at(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    class: ClassId,
    args: Vec<(Expr, Cx)>,
    kws: Vec<(String, Expr, Cx)>,
    call: Option<(Arc<Call>, Cx)>,
    depth: usize,
) -> Vec<WeightAnswer> {
    let Some((chain, builtin)) = layer_ancestry(ev, file, class) else {
        return Vec::new();
    };
    let inst = Val::Instance {
        file: file.clone(),
        class,
        call: call.clone(),
    };
    // Arguments reaching each class's __init__, following super().__init__ calls.
    let mut level_args: Vec<(Vec<(Expr, Cx)>, Vec<(String, Expr, Cx)>)> = Vec::new();
    let (mut a, mut k) = (args, kws);
    let mut base_build_skipped = false;
    for (f, c) in &chain {
        level_args.push((a.clone(), k.clone()));
        if let Some(b) = f.ir.classes[*c].methods.get("build") {
            if !calls_in(f, *b).iter().any(|(cl, _)| is_super_build(cl)) {
                base_build_skipped = true;
            }
        }
        if let Some(init) = f.ir.classes[*c].methods.get("__init__").copied() {
            let frame = init_frame(f, init, &a, &k, &inst);
            let sup = calls_in(f, init)
                .into_iter()
                .find(|(cl, _)| is_super_init(cl));
            match sup {
                Some((cl, scope)) => {
                    let cx = Cx {
                        file: f.clone(),
                        scope,
                        at: cl.span.start,
                        frame: Some(frame),
                    };
                    let explicit_self = !matches!(&cl.func, Expr::Attr { value, .. } if matches!(&**value, Expr::Call(_)));
                    let mut stripped = (*cl).clone();
                    if explicit_self && !stripped.args.is_empty() {
                        stripped.args.remove(0);
                    }
                    let (na, nk, _open) = ev.call_args(&stripped, &cx, Vec::new(), Vec::new());
                    a = na;
                    k = nk;
                }
                None => {
                    a = Vec::new();
                    k = Vec::new();
                }
            }
        }
    }
    let mut out: Vec<WeightAnswer> = Vec::new();
    if let Some(l) = &builtin {
        if !base_build_skipped {
            let mut notes = Vec::new();
            out.extend(weights_for(
                ev,
                l,
                &a,
                &k,
                None,
                &mut Vec::new(),
                &mut notes,
            ));
        }
    }
    // add_weight calls and sub-layers, base classes first.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut unnamed = 0usize;
    for (lvl, (f, c)) in chain.iter().enumerate().rev() {
        for m in methods_in_order(f, *c) {
            let is_init = f.ir.functions[m].name == "__init__";
            let frame = if is_init {
                let (a, k) = &level_args[lvl];
                init_frame(f, m, a, k, &inst)
            } else {
                Arc::new(Frame {
                    file: f.clone(),
                    func: m,
                    args: vec![("self".into(), BoundArg::Val(inst.clone()))],
                })
            };
            let calls = calls_in(f, m);
            // Layers listed inside another layer call (`Sequential([...])`, a wrapper's argument)
            // belong to that layer, not directly to this one.
            let mut layerish: Vec<crate::syntax::ir::Span> = Vec::new();
            for (cl, scope) in &calls {
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
            for (cl, scope) in calls {
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
                // `tf.Variable(init(shape))` and `tf.compat.v1.get_variable(name, shape, initializer=...)`.
                if let Some(w) = tf_variable(ev, &cl, &cx, &mut unnamed) {
                    out.push(w);
                    continue;
                }
                if let Expr::Attr { value, attr, .. } = &cl.func {
                    if matches!(&**value, Expr::Name { id, .. } if id == "self")
                        && matches!(attr.as_str(), "add_weight" | "add_variable")
                    {
                        out.push(add_weight(ev, &cl, &cx, &mut unnamed));
                        continue;
                    }
                }
                // A sub-layer?
                let callee = ev.eval(&cl.func, &cx);
                let Some(target) = callee.into_iter().map(|c| c.val).find(|v| {
                    matches!(
                        v,
                        Val::LayerClass(_) | Val::Class(..) | Val::Builtin("keras.Sequential")
                    )
                }) else {
                    continue;
                };
                let (sa, sk, open) = ev.call_args(&cl, &cx, Vec::new(), Vec::new());
                // A sub-layer made in a comprehension is made once per element.
                let copies = comprehension_count(ev, f, scope, &cx).unwrap_or(1);
                let sub: Vec<WeightAnswer> = match &target {
                    Val::Builtin(_) => {
                        let Some((le, lcx)) = sa.first().cloned().or_else(|| {
                            sk.iter()
                                .find(|(n, _, _)| n == "layers")
                                .map(|(_, e, c)| (e.clone(), c.clone()))
                        }) else {
                            continue;
                        };
                        sequential_weights(ev, &le, &lcx, depth)
                    }
                    Val::LayerClass(l) => {
                        if ev
                            .data
                            .layers
                            .get(l)
                            .is_none_or(|i| i.weights.is_empty() && !i.wrapper)
                        {
                            continue;
                        }
                        let mut notes = Vec::new();
                        weights_for(
                            ev,
                            l,
                            &sa,
                            &sk,
                            open.as_deref(),
                            &mut Vec::new(),
                            &mut notes,
                        )
                    }
                    Val::Class(sf, sc) => {
                        if layer_ancestry(ev, sf, *sc).is_none() {
                            continue;
                        }
                        custom_weights(
                            ev,
                            sf,
                            *sc,
                            sa.clone(),
                            sk.clone(),
                            Some((cl.clone(), cx.clone())),
                            depth + 1,
                        )
                    }
                    _ => continue,
                };
                let class_name = match &target {
                    Val::LayerClass(l) => l.clone(),
                    Val::Class(sf, sc) => sf.ir.classes[*sc].name.clone(),
                    _ => "Sequential".to_string(),
                };
                if sub.is_empty() {
                    continue;
                }
                let base_name = match sk.iter().rev().find(|(n, _, _)| n == "name") {
                    Some((_, e, ecx)) => match ev.eval(e, ecx).first().map(|c| c.val.clone()) {
                        Some(Val::Str(s)) => s,
                        _ => snake_case(&class_name),
                    },
                    None => snake_case(&class_name),
                };
                for _ in 0..copies {
                    let n = seen.entry(base_name.clone()).or_insert(0);
                    let name = if *n == 0 {
                        base_name.clone()
                    } else {
                        format!("{base_name}_{n}")
                    };
                    *n += 1;
                    for w in &sub {
                        let mut w = w.clone();
                        w.weight = format!("{name}/{}", w.weight);
                        out.push(w);
                    }
                }
            }
        }
    }
    out
}

fn init_frame(
    f: &Arc<FileAnalysis>,
    init: FuncId,
    args: &[(Expr, Cx)],
    kws: &[(String, Expr, Cx)],
    inst: &Val,
) -> Arc<Frame> {
    let mut bound = bind_values(&f.ir.functions[init], args, kws, true);
    bound.push(("self".into(), BoundArg::Val(inst.clone())));
    Arc::new(Frame {
        file: f.clone(),
        func: init,
        args: bound,
    })
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
    let literal = |ev: &mut Evaluator, e: &Option<Expr>| -> Option<String> {
        let e = e.as_ref()?;
        match ev.eval(e, cx).first().map(|c| c.val.clone()) {
            Some(Val::Str(s)) => Some(s),
            _ => None,
        }
    };
    let name = literal(ev, &name_e).unwrap_or_else(|| {
        let n = if *unnamed == 0 {
            "variable".to_string()
        } else {
            format!("variable_{unnamed}")
        };
        *unnamed += 1;
        n
    });
    // `dtype="int32"`, or `tf.int32` / `np.int32` / `"int32"` given positionally.
    let dtype = literal(ev, &dtype_e)
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
                    candidates.extend(ev.to_initializer(super::eval::Cand { val: c.val, origin }));
                }
            }
        }
    }
    let trainable = match call.keyword("trainable").map(|k| ev.eval(&k.value, cx)) {
        Some(v) => !matches!(v.first().map(|c| &c.val), Some(Val::Bool(false))),
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
    for bs in f.ir.scopes[scope].bindings.values() {
        for b in bs {
            if let crate::syntax::ir::BindingKind::Element { of, index: None } = &b.kind {
                let pcx = Cx {
                    scope: f.ir.scopes[scope].parent.unwrap_or(0),
                    ..cx.clone()
                };
                let n = match &**of {
                    Expr::Call(c)
                        if matches!(&c.func, Expr::Name { id, .. } if id == "range")
                            && c.args.len() == 1 =>
                    {
                        match ev.eval(&c.args[0], &pcx).first().map(|v| v.val.clone()) {
                            Some(Val::Num(crate::syntax::ir::Number::Int(n))) if n >= 0 => {
                                n as usize
                            }
                            _ => return None,
                        }
                    }
                    other => match ev.eval(other, &pcx).first().map(|v| v.val.clone()) {
                        Some(Val::List(items)) => items.len(),
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
fn sequential_weights(ev: &mut Evaluator, list: &Expr, cx: &Cx, depth: usize) -> Vec<WeightAnswer> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let items = match ev
        .eval(list, cx)
        .into_iter()
        .map(|c| c.val)
        .find(|v| matches!(v, Val::List(_)))
    {
        Some(Val::List(items)) => items,
        _ => return out,
    };
    for (e, ecx) in items {
        let Expr::Call(c) = &e else { continue };
        let callee = ev.eval(&c.func, &ecx);
        let (a, k, open) = ev.call_args(c, &ecx, Vec::new(), Vec::new());
        let (class_name, ws) = match callee
            .into_iter()
            .map(|v| v.val)
            .find(|v| matches!(v, Val::LayerClass(_) | Val::Class(..)))
        {
            Some(Val::LayerClass(l)) => {
                let mut notes = Vec::new();
                let ws = weights_for(ev, &l, &a, &k, open.as_deref(), &mut Vec::new(), &mut notes);
                (l, ws)
            }
            Some(Val::Class(sf, sc)) => {
                let ws = custom_weights(
                    ev,
                    &sf,
                    sc,
                    a.clone(),
                    k.clone(),
                    Some((c.clone(), ecx.clone())),
                    depth + 1,
                );
                (sf.ir.classes[sc].name.clone(), ws)
            }
            _ => continue,
        };
        if ws.is_empty() {
            continue;
        }
        let base = k
            .iter()
            .rev()
            .find(|(n, _, _)| n == "name")
            .and_then(
                |(_, e, c)| match ev.eval(e, c).first().map(|x| x.val.clone()) {
                    Some(Val::Str(s)) => Some(s),
                    _ => None,
                },
            )
            .unwrap_or_else(|| snake_case(&class_name));
        let n = seen.entry(base.clone()).or_insert(0);
        let name = if *n == 0 {
            base.clone()
        } else {
            format!("{base}_{n}")
        };
        *n += 1;
        for mut w in ws {
            w.weight = format!("{name}/{}", w.weight);
            out.push(w);
        }
    }
    out
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
    let lit = |ev: &mut Evaluator, e: Option<&Expr>| -> Option<String> {
        match ev.eval(e?, cx).first().map(|v| v.val.clone()) {
            Some(Val::Str(s)) => Some(s),
            _ => None,
        }
    };
    let here = ev.place(&cx.file, call.span);
    let step = Step {
        text: format!("`{kind}` at {here}"),
        file: Some(cx.file.path.clone()),
        span: Some(call.span),
    };
    let (name, init_expr) = if kind == "tf.Variable" {
        let name = lit(ev, call.keyword("name").map(|k| &k.value));
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
        let name = lit(
            ev,
            call.keyword("name").map(|k| &k.value).or(call.args.first()),
        );
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
                candidates.extend(ev.to_initializer(super::eval::Cand { val: c.val, origin }));
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
