//! Calls: arguments (with `*` and `**` expanded into one argument set per possibility), what a
//! call gives (user functions through their returns in a frame, partials, classes, Keras classes,
//! a few builtins), and the contexts a function body is evaluated in.
//!
//! A function body is evaluated once per call site (a [`Frame`] with that call's own arguments),
//! through a bounded chain of callers (a helper called from a helper: one frame per call of the
//! outer one). Where a caller is not followed (the function is handed on as a value, decorated,
//! called more often than [`MAX_CONTEXTS`], deeper than [`MAX_CHAIN`], or by Keras), a frame with
//! unknown arguments stands for it: its parameters give their default and an unknown.

use super::*;
use crate::analysis::FileAnalysis;

/// How many calls deep the contexts of a function body are followed.
pub const MAX_CHAIN: u32 = 4;
/// How many contexts (frames) one function body is evaluated in; beyond, an unknown caller
/// stands for the rest.
pub const MAX_CONTEXTS: usize = 24;

/// A call site in the workspace: `file.ir.calls[index]`.
#[derive(Clone, Debug)]
pub(crate) struct SiteRef {
    pub file: Arc<FileAnalysis>,
    pub index: usize,
}

/// One context a function body runs in: a frame (a call of it), or `None` for module code.
pub type Context = Option<Arc<Frame>>;

/// Where code of a scope runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enclosing {
    /// In a module's own code (maybe in a class body or comprehension of it).
    Module,
    /// In a call of this function.
    Function(FuncId),
    /// In a lambda, whose calls are not followed.
    Lambda,
}

/// Where code of `scope` of `file` runs (see [`Enclosing`]).
pub fn enclosing_function(file: &FileAnalysis, scope: ScopeId) -> Enclosing {
    let mut s = Some(scope);
    for _ in 0..256 {
        match s {
            Some(id) => match file.ir.scopes[id].kind {
                ScopeKind::Function(f) => return Enclosing::Function(f),
                ScopeKind::Lambda => return Enclosing::Lambda,
                ScopeKind::Module => return Enclosing::Module,
                _ => s = file.ir.scopes[id].parent,
            },
            None => break,
        }
    }
    Enclosing::Module
}

/// Whether scope `inner` of `file` is `outer` or lies inside it.
fn within_scope(file: &FileAnalysis, inner: ScopeId, outer: ScopeId) -> bool {
    let mut s = Some(inner);
    for _ in 0..256 {
        match s {
            Some(id) if id == outer => return true,
            Some(id) => s = file.ir.scopes[id].parent,
            None => return false,
        }
    }
    false
}

/// Binds one argument set to a workspace function's parameters (`skip_self`: a bound method,
/// whose first parameter is the receiver). Parameters that may be given by a `*`/`**` of a value
/// not followed are [`BoundArg::Unknown`].
pub fn bind_values(f: &Function, set: &ArgSet, skip_self: bool) -> Vec<(String, BoundArg)> {
    let mut out: Vec<(String, BoundArg)> = Vec::new();
    let params: Vec<&Param> = f.params.iter().skip(usize::from(skip_self)).collect();
    let positional: Vec<&&Param> = params
        .iter()
        .filter(|p| p.kind == ParamKind::Positional)
        .collect();
    let mut extra_pos = Vec::new();
    for (i, (e, c)) in set.args.iter().enumerate() {
        match positional.get(i) {
            Some(p) => out.push((p.name.clone(), BoundArg::Expr(e.clone(), c.clone()))),
            None => extra_pos.push((e.clone(), c.clone())),
        }
    }
    if let Some(r) = &set.open_pos {
        for p in positional.iter().skip(set.args.len()) {
            out.push((p.name.clone(), BoundArg::Unknown(r.clone())));
        }
    }
    let mut extra_kw = Vec::new();
    for (n, e, c) in &set.kws {
        if params.iter().any(|p| {
            p.name == *n && matches!(p.kind, ParamKind::Positional | ParamKind::KeywordOnly)
        }) {
            out.retain(|(m, _)| m != n);
            out.push((n.clone(), BoundArg::Expr(e.clone(), c.clone())));
        } else {
            extra_kw.push((n.clone(), e.clone(), c.clone()));
        }
    }
    if let Some(r) = &set.open {
        // Any parameter not given explicitly may come from the `**` of a value not followed.
        for p in &params {
            if matches!(p.kind, ParamKind::Positional | ParamKind::KeywordOnly)
                && !out.iter().any(|(m, _)| *m == p.name)
            {
                out.push((p.name.clone(), BoundArg::Unknown(r.clone())));
            }
        }
    }
    if let Some(p) = params.iter().find(|p| p.kind == ParamKind::VarArgs) {
        out.push((
            p.name.clone(),
            BoundArg::Args(extra_pos, set.open_pos.clone()),
        ));
    }
    if let Some(p) = params.iter().find(|p| p.kind == ParamKind::VarKeywords) {
        out.push((p.name.clone(), BoundArg::Kwargs(extra_kw, set.open.clone())));
    }
    out
}

impl<'w> Evaluator<'w> {
    /// What `call` may give, in `cx`.
    pub fn call(&mut self, call: &Arc<Call>, cx: &Cx) -> Vec<Cand> {
        let callee = self.eval(&call.func, cx);
        let sets = self.call_args(call, cx, Vec::new(), Vec::new());
        let mut out = Vec::new();
        for c in callee {
            let constructs = matches!(c.val, Val::InitClass(_) | Val::TfInit(_));
            for set in &sets {
                for mut r in self.apply(&c.val, call, cx, set) {
                    if !c.origin.is_empty() {
                        let mut o = c.origin.clone();
                        o.append(&mut r.origin);
                        r.origin = o;
                    }
                    if let (true, Val::Init(i)) = (constructs, &mut r.val) {
                        i.instance.get_or_insert((cx.file.path.clone(), call.span));
                        // An attribute of the new object set by a store anywhere, whatever
                        // holds it (`CFG["init"].scale = 2.0`).
                        let i = i.clone();
                        if let Some(why) = self.init_set_elsewhere(&i, &cx.file, usize::MAX, "") {
                            r.val = Val::Unknown(why);
                        }
                    }
                    out.push(r);
                }
            }
        }
        out
    }

    /// The argument sets of `call` (after `pre_args`/`pre_kw` from a partial): one per
    /// combination of the possibilities of its `*` and `**` parts.
    pub fn call_args(
        &mut self,
        call: &Call,
        cx: &Cx,
        pre_args: Vec<(Expr, Cx)>,
        pre_kw: Vec<(String, Expr, Cx)>,
    ) -> Vec<ArgSet> {
        let mut acc = vec![ArgSet {
            args: pre_args,
            kws: pre_kw,
            open: None,
            open_pos: None,
        }];
        for a in &call.args {
            match a {
                Expr::Starred { value, .. } => {
                    let parts = self.eval(value, cx);
                    let mut next = Vec::new();
                    for set in &acc {
                        for p in &parts {
                            let mut s = set.clone();
                            match &p.val {
                                Val::List { items, open } => {
                                    if s.open_pos.is_none() {
                                        s.args.extend(items.iter().cloned());
                                    }
                                    if open.is_some() {
                                        s.open_pos = open.clone();
                                    }
                                }
                                Val::Unknown(r) => s.open_pos = Some(r.clone()),
                                other => s.open_pos = Some(format!("`*` of {}", describe(other))),
                            }
                            next.push(s);
                        }
                    }
                    acc = self.cap_sets(next);
                }
                _ => {
                    for s in &mut acc {
                        if s.open_pos.is_none() {
                            s.args.push((a.clone(), cx.clone()));
                        }
                    }
                }
            }
        }
        for k in &call.keywords {
            match &k.name {
                Some(n) => {
                    for s in &mut acc {
                        s.kws.retain(|(m, _, _)| n != m);
                        s.kws.push((n.to_string(), k.value.clone(), cx.clone()));
                    }
                }
                None => {
                    let parts = self.eval(&k.value, cx);
                    let mut next = Vec::new();
                    for set in &acc {
                        for p in &parts {
                            let mut s = set.clone();
                            match &p.val {
                                Val::Dict(d) => {
                                    for (n, e, ecx) in &d.entries {
                                        s.kws.retain(|(m, _, _)| m != n);
                                        s.kws.push((n.clone(), e.clone(), ecx.clone()));
                                    }
                                    if let Some(r) = d.open.as_ref().or(d.shared.as_ref()) {
                                        s.open = Some(r.clone());
                                    }
                                    if d.shared.is_some() {
                                        // The values listed may have been changed too.
                                        let r = d.shared.clone().unwrap_or_default();
                                        s.kws.retain(|(m, _, _)| {
                                            !d.entries.iter().any(|(n, _, _)| n == m)
                                        });
                                        s.open = Some(r);
                                    }
                                }
                                Val::Unknown(r) => s.open = Some(r.clone()),
                                other => s.open = Some(format!("`**` of {}", describe(other))),
                            }
                            next.push(s);
                        }
                    }
                    acc = self.cap_sets(next);
                }
            }
        }
        acc
    }

    /// At most [`MAX_CANDIDATES`] argument sets; beyond, one set with every argument unknown.
    fn cap_sets(&mut self, sets: Vec<ArgSet>) -> Vec<ArgSet> {
        if sets.len() <= MAX_CANDIDATES {
            return sets;
        }
        let r = format!(
            "{} possible sets of arguments; they are not followed",
            sets.len()
        );
        vec![ArgSet {
            args: Vec::new(),
            kws: Vec::new(),
            open: Some(r.clone()),
            open_pos: Some(r),
        }]
    }

    /// Calls `f` with the argument set `set` (`call` is the call expression, for its position).
    pub(crate) fn apply(&mut self, f: &Val, call: &Arc<Call>, cx: &Cx, set: &ArgSet) -> Vec<Cand> {
        match f {
            Val::InitClass(cls) => vec![self.construct_init(cls, set)],
            Val::TfInit(key) => vec![self.construct_tf(key, set)],
            Val::Builtin("functools.partial") => {
                let Some((first, fcx)) = set.args.first().cloned() else {
                    return vec![Cand::unknown("functools.partial without a function")];
                };
                if set.open_pos.is_some() || set.open.is_some() {
                    return vec![Cand::unknown(
                        "functools.partial with arguments that are not known",
                    )];
                }
                self.eval(&first, &fcx)
                    .into_iter()
                    .map(|c| Cand {
                        val: Val::Partial {
                            func: Box::new(c.val),
                            args: set.args[1..].to_vec(),
                            keywords: set.kws.clone(),
                        },
                        origin: c.origin,
                    })
                    .collect()
            }
            Val::Builtin("dict") => {
                let mut acc = vec![DictVal::new(Vec::new())];
                if let Some((a, acx)) = set.args.first() {
                    let parts = self.eval(a, acx);
                    acc = parts
                        .iter()
                        .map(|p| match &p.val {
                            Val::Dict(d) => {
                                let mut d = (**d).clone();
                                // A new dict: what happens to the argument later does not reach it.
                                if d.shared.is_some() {
                                    d.open = d.shared.take();
                                    d.entries.clear();
                                }
                                d
                            }
                            other => {
                                let mut d = DictVal::new(Vec::new());
                                d.open = Some(format!("`dict()` of {}", describe(other)));
                                d
                            }
                        })
                        .collect();
                }
                for d in &mut acc {
                    for (n, e, c) in &set.kws {
                        d.removed.retain(|r| r != n);
                        d.entries.push((n.clone(), e.clone(), c.clone()));
                    }
                    if let Some(r) = set.open.as_ref().or(set.open_pos.as_ref()) {
                        d.open = Some(r.clone());
                    }
                }
                acc.into_iter()
                    .map(|d| Cand::new(Val::Dict(Box::new(d))))
                    .collect()
            }
            Val::Builtin("list") => match set.args.first() {
                Some((a, acx)) => {
                    let (a, acx) = (a.clone(), acx.clone());
                    self.eval(&a, &acx)
                        .into_iter()
                        .map(|c| match c.val {
                            v @ Val::List { .. } => Cand::new(v),
                            other => Cand::unknown(format!("`list()` of {}", describe(&other))),
                        })
                        .collect()
                }
                None => vec![Cand::new(Val::List {
                    items: Vec::new(),
                    open: None,
                })],
            },
            Val::Builtin("initializers.get") => match set.args.first() {
                Some((a, acx)) => {
                    let (a, acx) = (a.clone(), acx.clone());
                    let mut out = Vec::new();
                    for c in self.eval(&a, &acx) {
                        out.extend(self.initializer_get(c, call.span, cx));
                    }
                    out
                }
                None => vec![Cand::unknown("initializers.get without an argument")],
            },
            Val::Builtin("dataclasses.field") => {
                match set.kws.iter().find(|(n, _, _)| n == "default") {
                    Some((_, e, c)) => {
                        let (e, c) = (e.clone(), c.clone());
                        self.eval(&e, &c)
                    }
                    None => vec![Cand::unknown("a dataclass field without a literal default")],
                }
            }
            Val::Builtin(which @ ("enumerate" | "zip")) => self.iter_builtin(which, set),
            Val::Builtin("isinstance") => self.isinstance(set),
            Val::Builtin("super") => self.super_value(cx),
            Val::Builtin(b) if super::builtins::is_scalar_builtin(b) => self.scalar_builtin(b, set),
            Val::Builtin("type") => match set.args.as_slice() {
                [(a, acx)] => {
                    let (a, acx) = (a.clone(), acx.clone());
                    self.eval(&a, &acx)
                        .into_iter()
                        .map(|c| match c.val {
                            Val::Instance(i) => Cand::new(Val::Class(i.file.clone(), i.class)),
                            other => Cand::unknown(format!("the type of {}", describe(&other))),
                        })
                        .collect()
                }
                _ => vec![Cand::unknown("`type()` with several arguments")],
            },
            Val::Method { name, receiver }
                if matches!(**receiver, Val::Init(_) | Val::InitClass(_)) =>
            {
                self.init_method(name, receiver, set, call.span, cx)
                    .unwrap_or_else(|| vec![Cand::unknown(format!("`.{name}()` is not followed"))])
            }
            Val::Builtin("initializers.serialize") => self.serialize_init(set, call.span, cx),
            Val::Method { name, receiver } => self.builtin_method(name, receiver, set),
            Val::Partial {
                func,
                args: pa,
                keywords: pk,
            } => {
                let mut merged = set.clone();
                let mut a2 = pa.clone();
                a2.extend(merged.args);
                merged.args = a2;
                let mut k2 = pk.clone();
                for (n, e, c) in merged.kws {
                    k2.retain(|(m, _, _)| *m != n);
                    k2.push((n, e, c));
                }
                merged.kws = k2;
                self.apply(func, call, cx, &merged)
            }
            Val::Func { file, id, closure } => {
                let (file, id, closure) = (file.clone(), *id, closure.clone());
                self.call_function(&file, id, None, closure, call, cx, set)
            }
            Val::BoundMethod { file, id, receiver } => {
                let (file, id, receiver) = (file.clone(), *id, (**receiver).clone());
                self.call_function(&file, id, Some(receiver), None, call, cx, set)
            }
            Val::Lambda { file, span } => vec![Cand::unknown(format!(
                "the result of calling the lambda at {}",
                self.place(file, *span)
            ))],
            Val::Class(cf, cid) => {
                let own = set.args.len() == call.args.len()
                    && set.kws.len() == call.keywords.len()
                    && call.keywords.iter().all(|k| k.name.is_some())
                    && !call.args.iter().any(|a| matches!(a, Expr::Starred { .. }));
                vec![Cand::new(Val::Instance(Box::new(InstanceVal {
                    file: cf.clone(),
                    class: *cid,
                    call: Some((call.clone(), cx.clone())),
                    args: (!own).then(|| Box::new(set.clone())),
                    attrs: Vec::new(),
                })))]
            }
            Val::LayerClass(l) => vec![Cand::new(Val::Layer(Box::new(LayerVal {
                class: l.clone(),
                args: set.args.clone(),
                kws: set.kws.clone(),
                open: set.open.clone(),
                open_pos: set.open_pos.clone(),
                site: Some((cx.file.path.clone(), call.span)),
                attrs: Vec::new(),
            })))],
            Val::Layer(_) => vec![Cand::unknown("the output of a layer")],
            Val::Unknown(r) => vec![Cand::unknown(r.clone())],
            other => vec![Cand::unknown(format!(
                "calling {} is not followed",
                describe(other)
            ))],
        }
    }

    /// `super()` in the method whose code `cx` is in: the next classes of the receiver's MRO.
    fn super_value(&mut self, cx: &Cx) -> Vec<Cand> {
        let Enclosing::Function(fid) = enclosing_function(&cx.file, cx.scope) else {
            return vec![Cand::unknown("`super()` outside a method")];
        };
        let func = &cx.file.ir.functions[fid];
        let (Some(class), Some(p)) = (func.class, func.params.first()) else {
            return vec![Cand::unknown("`super()` outside a method")];
        };
        let self_name = p.name.clone();
        let fscope = func.scope;
        let fcx = Cx {
            scope: fscope,
            ..cx.clone()
        };
        let receivers = self.lookup(
            &self_name,
            Span::new(func.span.start, func.span.start),
            &fcx,
        );
        receivers
            .into_iter()
            .map(|r| {
                Cand::new(Val::Super {
                    file: cx.file.clone(),
                    class,
                    receiver: Box::new(r.val),
                })
            })
            .collect()
    }

    /// A dict or list method (`d.get(k, default)`, `d.copy()`, `d.pop(k, default)`, ...).
    fn builtin_method(&mut self, name: &str, receiver: &Val, set: &ArgSet) -> Vec<Cand> {
        let Val::Dict(d) = receiver else {
            return vec![Cand::unknown(format!(
                "the list method `{name}` is not followed"
            ))];
        };
        let key = |ev: &mut Self| -> Option<String> {
            let (e, c) = set.args.first()?.clone();
            ev.single_str(&e, &c)
        };
        match name {
            "copy" => {
                let mut d = (**d).clone();
                if d.shared.is_some() {
                    d.open = d.shared.take();
                    d.entries.clear();
                }
                vec![Cand::new(Val::Dict(Box::new(d)))]
            }
            "get" | "pop" | "setdefault" => {
                let Some(k) = key(self) else {
                    return vec![Cand::unknown(format!(
                        "`{name}` with a key that is not known"
                    ))];
                };
                let mut out = Vec::new();
                let present = d.entries.iter().rev().find(|(n, _, _)| *n == k).cloned();
                let default = |ev: &mut Self| -> Vec<Cand> {
                    match set.args.get(1) {
                        Some((e, c)) => {
                            let (e, c) = (e.clone(), c.clone());
                            ev.eval(&e, &c)
                        }
                        // `get` gives None; `pop` raises KeyError.
                        None if name == "get" || name == "setdefault" => {
                            vec![Cand::new(Val::NoneV)]
                        }
                        None => Vec::new(),
                    }
                };
                match present {
                    Some((_, e, c)) => out.extend(self.eval(&e, &c)),
                    None => {
                        if d.open.is_some() && !d.removed.contains(&k) {
                            out.push(Cand::unknown(d.open.clone().unwrap_or_default()));
                        }
                        out.extend(default(self));
                    }
                }
                if let Some(r) = &d.shared {
                    out.push(Cand::unknown(r.clone()));
                }
                out
            }
            "keys" | "values" | "items" if set.args.is_empty() && set.kws.is_empty() => {
                self.dict_view(d, name)
            }
            _ => vec![Cand::unknown(format!("`.{name}()` is not followed"))],
        }
    }

    /// A call of workspace function `id` of `file` (`receiver`: bound to its first parameter):
    /// what its returns give in a frame of this call.
    #[allow(clippy::too_many_arguments)]
    fn call_function(
        &mut self,
        file: &Arc<FileAnalysis>,
        id: FuncId,
        receiver: Option<Val>,
        closure: Option<Arc<Frame>>,
        call: &Arc<Call>,
        cx: &Cx,
        set: &ArgSet,
    ) -> Vec<Cand> {
        let func = file.ir.functions[id].clone();
        if func.generator {
            return vec![Cand::unknown(format!("`{}` is a generator", func.name))];
        }
        let frame = self.make_frame(file, id, set, receiver, closure, cx, call.span);
        if frame.depth > 8 * MAX_CHAIN {
            return vec![Cand::unknown("calls nested too deeply to follow")];
        }
        let mut out = Vec::new();
        let frames = self
            .narrowed_frames(file, id, &frame)
            .unwrap_or_else(|| vec![frame.clone()]);
        for fr in frames {
            for (r, pred) in func.returns.iter() {
                if *pred != TRUE && self.pred_holds(file, *pred, Some(fr.clone())) == Some(false) {
                    continue;
                }
                let rcx = Cx {
                    file: file.clone(),
                    scope: func.scope,
                    at: r.span().start,
                    frame: Some(fr.clone()),
                };
                let here = self.place(file, r.span());
                let name = func.name.clone();
                out.extend(self.eval(r, &rcx).into_iter().map(|c| {
                    c.with_step(at(
                        format!("returned by `{name}` at {here}"),
                        file,
                        r.span(),
                    ))
                }));
            }
            if !Arc::ptr_eq(&fr, &frame) {
                // What the narrowed frame read, the call's frame read.
                frame.mark(fr.used.load(std::sync::atomic::Ordering::Relaxed));
            }
        }
        if func.falls_off {
            out.push(Cand::new(Val::NoneV));
        }
        if out.is_empty() {
            out.push(Cand::unknown(format!(
                "`{}` returns nothing that can be followed",
                func.name
            )));
        }
        out
    }

    /// A frame for a call of `id` of `file` made at `call_span` in `cx`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn make_frame(
        &mut self,
        file: &Arc<FileAnalysis>,
        id: FuncId,
        set: &ArgSet,
        receiver: Option<Val>,
        closure: Option<Arc<Frame>>,
        cx: &Cx,
        call_span: Span,
    ) -> Arc<Frame> {
        let func = &file.ir.functions[id];
        let mut args = bind_values(func, set, receiver.is_some());
        if let (Some(r), Some(p)) = (receiver, func.params.first()) {
            args.push((p.name.clone(), BoundArg::Val(r)));
        }
        Arc::new(Frame {
            file: file.clone(),
            func: id,
            args,
            site: Some((cx.file.clone(), cx.scope, call_span)),
            caller: cx.frame.clone(),
            closure,
            time: cx.time_quiet(),
            depth: cx.frame.as_ref().map(|f| f.depth + 1).unwrap_or(1),
            unknown_args: None,
            used: Default::default(),
        })
    }

    /// A frame for a call of `id` made by code that is not followed (`why`), with `receiver` as
    /// its first parameter when given.
    pub(crate) fn unknown_frame(
        &mut self,
        file: &Arc<FileAnalysis>,
        id: FuncId,
        receiver: Option<Val>,
        why: String,
    ) -> Arc<Frame> {
        let func = &file.ir.functions[id];
        let args = match (receiver, func.params.first()) {
            (Some(r), Some(p)) => vec![(p.name.clone(), BoundArg::Val(r))],
            _ => Vec::new(),
        };
        Arc::new(Frame {
            file: file.clone(),
            func: id,
            args,
            site: None,
            caller: None,
            closure: None,
            time: None,
            depth: 1,
            unknown_args: Some(why),
            used: Default::default(),
        })
    }

    /// The calls in the workspace that may call function `func` of `file` (candidates by name,
    /// kept when their callee, evaluated where they are without a frame, may be it).
    pub(crate) fn call_sites_of(&mut self, file: &Arc<FileAnalysis>, func: FuncId) -> Vec<SiteRef> {
        let memo_key = (Arc::as_ptr(file) as *const u8 as usize, func);
        if let Some((hit, steps, depth)) = self.sites_memo.get(&memo_key) {
            if *steps <= self.fuel && self.depth <= *depth {
                self.fuel -= *steps;
                return hit.clone();
            }
        }
        let (fuel_before, cuts_before) = (self.fuel, self.cuts);
        let f = &file.ir.functions[func];
        let mut candidates: Vec<(Arc<FileAnalysis>, usize)> = Vec::new();
        match (f.name.as_str(), f.class) {
            ("__init__", Some(c)) => {
                // Constructions of the class and its subclasses, and `super().__init__(...)` (or
                // `Base.__init__(self, ...)`) in the methods of its subclasses.
                let cname = file.ir.classes[c].name.clone();
                let subs = self.ws.subclasses(&cname);
                let mut names: Vec<String> = vec![cname];
                names.extend(subs.iter().map(|(sf, sc)| sf.ir.classes[*sc].name.clone()));
                names.sort();
                names.dedup();
                for n in &names {
                    candidates.extend(self.ws.call_sites_named(n).iter().cloned());
                }
                for (sf, sc) in subs.iter() {
                    let cscope = sf.ir.classes[*sc].scope;
                    if let Some(ix) = sf.call_uses().by_callee.get("__init__") {
                        for &i in ix {
                            if within_scope(sf, sf.ir.calls[i as usize].scope, cscope) {
                                candidates.push((sf.clone(), i as usize));
                            }
                        }
                    }
                }
            }
            _ if f.class.is_none()
                && matches!(file.ir.scopes[f.parent_scope].kind, ScopeKind::Function(_)) =>
            {
                // A nested function is called by its name only where the name is visible (in
                // its enclosing function); through a value elsewhere only when it escapes (an
                // unknown caller, see `escapes_as_value`) or is returned (below).
                let parent = f.parent_scope;
                candidates.extend(
                    self.ws
                        .call_sites_named(&f.name)
                        .iter()
                        .filter(|(sf, i)| {
                            Arc::ptr_eq(sf, file) && within_scope(sf, sf.ir.calls[*i].scope, parent)
                        })
                        .cloned(),
                );
            }
            _ => candidates.extend(self.ws.call_sites_named(&f.name).iter().cloned()),
        }
        // A nested function returned by its enclosing function `g` and called on the result:
        // `g(...)(x)`.
        if let ScopeKind::Function(g) = file.ir.scopes[f.parent_scope].kind {
            let gname = file.ir.functions[g].name.clone();
            for (sf, i) in self.ws.call_sites_named(&gname).iter().cloned() {
                let span = sf.ir.calls[i].call.span;
                if let Some(&outer) = sf.call_uses().applied.get(&span) {
                    candidates.push((sf.clone(), outer as usize));
                }
            }
        }
        let mut out = Vec::new();
        {
            for (sf, i) in candidates {
                let site = sf.ir.calls[i].clone();
                let cx = Cx::at_call(&sf, &site);
                let saved = self.fuel;
                let budget = saved.min(CALLEE_FUEL);
                self.fuel = budget;
                let callee = self.eval(&site.call.func, &cx);
                self.fuel = saved - (budget - self.fuel);
                if callee.iter().any(|c| self.may_call(&c.val, file, func)) {
                    out.push(SiteRef { file: sf, index: i });
                }
            }
        }
        if self.memo_ok(cuts_before) {
            let steps = fuel_before.saturating_sub(self.fuel);
            self.sites_memo
                .insert(memo_key, (out.clone(), steps, self.depth));
        }
        out
    }

    /// Whether calling value `v` may run function `func` of `file` (a value that is not known
    /// enough to tell counts: its context decides later).
    fn may_call(&mut self, v: &Val, file: &Arc<FileAnalysis>, func: FuncId) -> bool {
        let f = &file.ir.functions[func];
        match v {
            Val::Func { file: ff, id, .. } => Arc::ptr_eq(ff, file) && *id == func,
            Val::BoundMethod {
                file: ff,
                id,
                receiver,
            } => {
                (Arc::ptr_eq(ff, file) && *id == func)
                    // `self.m()` on an instance whose class is not known yet: an override of the
                    // same name in a subclass may be the one called.
                    || (ff.ir.functions[*id].name == f.name
                        && f.class.is_some()
                        && matches!(&**receiver, Val::Instance(i) if i.call.is_none()))
            }
            Val::Class(cf, cid) if f.name == "__init__" => {
                let mro = self.mro(cf, *cid);
                mro.iter()
                    .find_map(|e| match e {
                        objects::MroEntry::Class(ff, c) => ff.ir.classes[*c]
                            .methods
                            .get("__init__")
                            .map(|m| Arc::ptr_eq(ff, file) && *m == func),
                        objects::MroEntry::Foreign(_) => Some(false),
                    })
                    .unwrap_or(false)
            }
            Val::Partial { func: inner, .. } => self.may_call(inner, file, func),
            Val::Unknown(_) => false,
            _ => false,
        }
    }

    /// The contexts function `func` of `file` runs in: a frame per call site (for each context
    /// of the caller, up to [`MAX_CHAIN`] calls deep), and a frame with unknown arguments for
    /// callers that are not followed.
    pub fn contexts_of(&mut self, file: &Arc<FileAnalysis>, func: FuncId) -> Vec<Arc<Frame>> {
        self.contexts_at(file, func, 0)
    }

    fn contexts_at(
        &mut self,
        file: &Arc<FileAnalysis>,
        func: FuncId,
        depth: u32,
    ) -> Vec<Arc<Frame>> {
        let key = (Arc::as_ptr(file) as *const u8 as usize, func, depth);
        if let Some((hit, steps, d)) = self.contexts_memo.get(&key) {
            // Charged like a computation (see `BindingMemo`).
            if *steps <= self.fuel && self.depth <= *d {
                self.fuel -= *steps;
                return hit.clone();
            }
        }
        let (fuel_before, cuts_before) = (self.fuel, self.cuts);
        let out = self.contexts_uncached(file, func, depth);
        if self.memo_ok(cuts_before) {
            let steps = fuel_before.saturating_sub(self.fuel);
            self.contexts_memo
                .insert(key, (out.clone(), steps, self.depth));
        }
        out
    }

    fn contexts_uncached(
        &mut self,
        file: &Arc<FileAnalysis>,
        func: FuncId,
        depth: u32,
    ) -> Vec<Arc<Frame>> {
        let f = file.ir.functions[func].clone();
        if depth >= MAX_CHAIN {
            return vec![self.unknown_frame(
                file,
                func,
                self.generic_receiver(file, func),
                format!(
                "`{}` is called through more than {MAX_CHAIN} nested calls, which are not followed",
                f.name
            ),
            )];
        }
        let mut out: Vec<Arc<Frame>> = Vec::new();
        let mut more = false;
        let mut recursive: Option<Span> = None;
        let sites = self.call_sites_of(file, func);
        'sites: for site in sites {
            let cs = site.file.ir.calls[site.index].clone();
            let callers: Vec<Context> = match enclosing_function(&site.file, cs.scope) {
                Enclosing::Module => vec![None],
                Enclosing::Lambda => continue,
                Enclosing::Function(g) => {
                    if Arc::ptr_eq(&site.file, file) && g == func {
                        // A recursive call, with arguments of its own: not followed.
                        recursive.get_or_insert(cs.call.span);
                        continue;
                    }
                    self.contexts_at(&site.file, g, depth + 1)
                        .into_iter()
                        .map(Some)
                        .collect()
                }
            };
            for caller in callers {
                if cs.pred != TRUE
                    && self.pred_holds(&site.file, cs.pred, caller.clone()) == Some(false)
                {
                    continue;
                }
                let scx = Cx {
                    file: site.file.clone(),
                    scope: cs.scope,
                    at: cs.call.span.start,
                    frame: caller.clone(),
                };
                let callees = self.eval(&cs.call.func, &scx);
                let sets = self.call_args(&cs.call, &scx, Vec::new(), Vec::new());
                for c in callees {
                    let Some((receiver, closure, pre)) =
                        self.callee_binding(&c.val, file, func, &cs.call, &scx)
                    else {
                        continue;
                    };
                    for set in &sets {
                        // A construction: the instance keeps this set of arguments.
                        let receiver = match (&receiver, sets.len() > 1) {
                            (Some(Val::Instance(i)), true)
                                if i.call.as_ref().is_some_and(|(c, _)| c.span == cs.call.span) =>
                            {
                                let mut i = (**i).clone();
                                i.args = Some(Box::new(set.clone()));
                                Some(Val::Instance(Box::new(i)))
                            }
                            _ => receiver.clone(),
                        };
                        let mut set = set.clone();
                        if let Some((pa, pk)) = &pre {
                            let mut a = pa.clone();
                            a.extend(set.args);
                            set.args = a;
                            let mut k = pk.clone();
                            for (n, e, x) in set.kws {
                                k.retain(|(m, _, _)| *m != n);
                                k.push((n, e, x));
                            }
                            set.kws = k;
                        }
                        let frame = self.make_frame(
                            file,
                            func,
                            &set,
                            receiver.clone(),
                            closure.clone(),
                            &scx,
                            cs.call.span,
                        );
                        out.push(frame);
                        if out.len() >= MAX_CONTEXTS {
                            more = true;
                            break 'sites;
                        }
                    }
                }
            }
        }
        // Callers that are not followed.
        let mut unknown: Option<String> = None;
        if more {
            unknown = Some(format!(
                "`{}` has more than {MAX_CONTEXTS} calls; the others are not followed",
                f.name
            ));
        } else if let Some(r) = self.escapes_as_value(file, func) {
            unknown = Some(r);
        } else if let Some(sp) = recursive {
            unknown = Some(format!(
                "`{}` calls itself at {}, with arguments that are not followed",
                f.name,
                self.place(file, sp)
            ));
        } else if out.is_empty() {
            unknown = Some(match f.class {
                Some(_) => format!(
                    "`{}` is called by code that is not followed (Keras, or no call was found)",
                    f.name
                ),
                None => format!("no call of `{}` is found in the workspace", f.name),
            });
        }
        if let Some(why) = unknown {
            let receivers = self.receivers_for_unknown(file, func);
            for r in receivers {
                out.push(self.unknown_frame(file, func, r, why.clone()));
            }
        }
        out
    }

    /// How a callee value calls `func`: its receiver, closure, and the arguments a partial adds;
    /// `None` when it is not `func`.
    #[allow(clippy::type_complexity)]
    fn callee_binding(
        &mut self,
        v: &Val,
        file: &Arc<FileAnalysis>,
        func: FuncId,
        call: &Arc<Call>,
        cx: &Cx,
    ) -> Option<(
        Option<Val>,
        Option<Arc<Frame>>,
        Option<(Vec<(Expr, Cx)>, Vec<(String, Expr, Cx)>)>,
    )> {
        match v {
            Val::Func {
                file: ff,
                id,
                closure,
            } if Arc::ptr_eq(ff, file) && *id == func => Some((None, closure.clone(), None)),
            Val::BoundMethod {
                file: ff,
                id,
                receiver,
            } if Arc::ptr_eq(ff, file) && *id == func => {
                Some((Some((**receiver).clone()), None, None))
            }
            Val::Class(cf, cid) if file.ir.functions[func].name == "__init__" => {
                if !self.may_call(v, file, func) {
                    return None;
                }
                let inst = Val::Instance(Box::new(InstanceVal {
                    file: cf.clone(),
                    class: *cid,
                    call: Some((call.clone(), cx.clone())),
                    args: None,
                    attrs: Vec::new(),
                }));
                Some((Some(inst), None, None))
            }
            Val::Partial {
                func: inner,
                args,
                keywords,
            } => {
                let (r, c, _) = self.callee_binding(inner, file, func, call, cx)?;
                Some((r, c, Some((args.clone(), keywords.clone()))))
            }
            _ => None,
        }
    }

    /// Why calls of `func` may be made through a value the call-site search cannot see: the
    /// function is handed on (passed, stored, aliased) or decorated by something other than
    /// `staticmethod`/`classmethod`/`property`/`register_keras_serializable`.
    fn escapes_as_value(&mut self, file: &Arc<FileAnalysis>, func: FuncId) -> Option<String> {
        let f = &file.ir.functions[func];
        for d in &f.decorators {
            let name = match d {
                Expr::Call(c) => c.func.dotted(),
                other => other.dotted(),
            }
            .unwrap_or_default();
            let last = name.rsplit('.').next().unwrap_or("");
            if !matches!(
                last,
                "staticmethod" | "classmethod" | "register_keras_serializable"
            ) {
                return Some(format!(
                    "`{}` is decorated with `{name}`; calls through the decorator are not followed",
                    f.name
                ));
            }
        }
        let def = file
            .ir
            .defs
            .iter()
            .position(|d| matches!(d.kind, DefKind::Function(id) if id == func))?;
        // Returned by its enclosing function `g`: followed where every call of `g` is called at
        // once (`g(...)(x)`, see `call_sites_of`).
        let applied_only = |ev: &mut Self| -> bool {
            let ScopeKind::Function(g) = file.ir.scopes[f.parent_scope].kind else {
                return false;
            };
            let gname = file.ir.functions[g].name.clone();
            let g_def = file
                .ir
                .defs
                .iter()
                .position(|d| matches!(d.kind, DefKind::Function(id) if id == g));
            if g_def.is_some_and(|d| !file.ir.escapes_of(d as DefId).is_empty()) {
                return false;
            }
            let sites = ev.ws.call_sites_named(&gname);
            !sites.is_empty()
                && sites.iter().all(|(sf, i)| {
                    sf.call_uses()
                        .applied
                        .contains_key(&sf.ir.calls[*i].call.span)
                })
        };
        for esc in file.ir.escapes_of(def as DefId).to_vec() {
            if matches!(esc.kind, EscapeKind::Return) && applied_only(self) {
                continue;
            }
            return Some(format!(
                "`{}` is also used as a value at {}; calls through it are not followed",
                f.name,
                self.place(file, esc.span)
            ));
        }
        None
    }

    /// The receivers an unknown caller of `func` may pass: for a method, each instance of its
    /// class (and subclasses) found in the workspace, or an instance that is not known.
    pub(crate) fn receivers_for_unknown(
        &mut self,
        file: &Arc<FileAnalysis>,
        func: FuncId,
    ) -> Vec<Option<Val>> {
        let f = &file.ir.functions[func];
        let Some(class) = f.class else {
            return vec![None];
        };
        if f.params.is_empty()
            || f.decorators
                .iter()
                .any(|d| d.dotted().as_deref() == Some("staticmethod"))
        {
            return vec![None];
        }
        let mut out: Vec<Option<Val>> = self
            .instances_of(file, class)
            .into_iter()
            .map(Some)
            .collect();
        if out.len() > MAX_CONTEXTS {
            // The others: an instance that is not known.
            out.truncate(MAX_CONTEXTS - 1);
            out.push(self.generic_receiver(file, func));
        }
        if out.is_empty() {
            out.push(self.generic_receiver(file, func));
        }
        out
    }

    /// An instance of the class of method `func` that is not known (no construction).
    fn generic_receiver(&self, file: &Arc<FileAnalysis>, func: FuncId) -> Option<Val> {
        let f = &file.ir.functions[func];
        let class = f.class?;
        Some(Val::Instance(Box::new(InstanceVal {
            file: file.clone(),
            class,
            call: None,
            args: None,
            attrs: Vec::new(),
        })))
    }

    /// The instances of workspace class `class` (and of its workspace subclasses) constructed in
    /// the workspace: one per construction site found.
    pub fn instances_of(&mut self, file: &Arc<FileAnalysis>, class: ClassId) -> Vec<Val> {
        let name = file.ir.classes[class].name.clone();
        let mut names = vec![name.clone()];
        names.extend(self.ws.subclass_names(&name));
        names.sort();
        names.dedup();
        let mut out = Vec::new();
        for n in names {
            for (f, i) in self.ws.call_sites_named(&n).iter().cloned() {
                let site = f.ir.calls[i].clone();
                let ccx = Cx::at_call(&f, &site);
                let saved = self.fuel;
                let budget = saved.min(CALLEE_FUEL);
                self.fuel = budget;
                let callee = self.eval(&site.call.func, &ccx);
                self.fuel = saved - (budget - self.fuel);
                for c in callee {
                    if let Val::Class(cf, cid) = &c.val {
                        let mro = self.mro(cf, *cid);
                        let is_sub = mro.iter().any(|e| matches!(e, objects::MroEntry::Class(g, k) if Arc::ptr_eq(g, file) && *k == class));
                        if is_sub {
                            out.push(Val::Instance(Box::new(InstanceVal {
                                file: cf.clone(),
                                class: *cid,
                                call: Some((site.call.clone(), ccx.clone())),
                                args: None,
                                attrs: Vec::new(),
                            })));
                        }
                    }
                }
                if out.len() >= MAX_CONTEXTS {
                    return out;
                }
            }
        }
        out
    }
}
