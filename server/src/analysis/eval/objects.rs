//! Modules, classes and instances: imports, attributes, the method resolution order, and
//! attributes set from outside the object (`Cfg.init = ...`, `cfg.init = ...`, `mod.X = ...`,
//! `setattr`), found through the workspace's index of attribute stores.
//!
//! A store counts by time: at module level before the read (in the same module, or anywhere in a
//! module that has run to its end) it has happened; a conditional one, one in a loop or one in a
//! function may have happened, and adds its value to the possibilities; one after the read has
//! not. A store whose object is not known may be on any object: it adds an unknown.

use super::names::same_value;
use super::*;
use crate::analysis::FileAnalysis;

/// The budget for the method resolution order of a class (evaluating its bases).
const MRO_FUEL: u32 = 2_000;

/// The budget for evaluating the base of a store (what object it sets an attribute on).
const STORE_BASE_FUEL: u32 = 200;
/// See [`Evaluator::attr_targets`].
const MAX_DYNAMIC_STORES: usize = 32;

/// What a store's base may be.
#[derive(Clone, Debug)]
pub(crate) enum StoreTarget {
    Class(usize, ClassId),
    Module(usize),
    /// An instance constructed at (file, call span).
    Instance(usize, Span),
    /// `self` in a method of the class (file, class): any instance of it or of a subclass.
    #[allow(dead_code)]
    InstanceOf(usize, ClassId),
    /// A built-in layer object constructed at (path, span).
    Layer(Arc<std::path::Path>, Span),
    /// An initializer object constructed at (path, span) (see [`crate::analysis::answer::InitVal::instance`]).
    Init(Arc<std::path::Path>, Span),
    /// Not known: any object.
    Unknown,
    /// Not an object that matters (a literal, a namespace).
    Other,
}

/// Whether a store has run at the time of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Applies {
    Yes,
    Maybe,
    No,
}

/// One entry of a class's method resolution order.
#[derive(Clone, Debug)]
pub(crate) enum MroEntry {
    Class(Arc<FileAnalysis>, ClassId),
    /// A Keras or other known class that is not in the workspace (its attributes are not
    /// followed).
    Foreign(Val),
}

pub(crate) fn fptr(f: &Arc<FileAnalysis>) -> usize {
    Arc::as_ptr(f) as *const u8 as usize
}

impl<'w> Evaluator<'w> {
    /// The value of importing dotted `module` (with `level` leading dots) from `from`.
    pub fn import_module(&mut self, from: &Arc<FileAnalysis>, module: &str, level: u32) -> Val {
        if level == 0 {
            let mut parts = module.split('.');
            let first = parts.next().unwrap_or("");
            let root = match first {
                "keras" | "tf_keras" => Some(Val::Ns("keras".into())),
                "tensorflow" => Some(Val::Ns("tf".into())),
                "functools" => Some(Val::Ns("functools".into())),
                "dataclasses" => Some(Val::Ns("dataclasses".into())),
                "math" | "numpy" if module == first => Some(Val::Ns(first.into())),
                _ => None,
            };
            if let Some(mut v) = root {
                for p in parts {
                    v = ns_attr(self.data, &v, p);
                }
                return v;
            }
            if let Some(f) = self.ws.modules.get(module) {
                return Val::Module(f.clone());
            }
            // A script's own folder is on sys.path: `import config` next to it.
            if let Some(base) = from.module_names.first() {
                let mut parts: Vec<&str> = base.split('.').collect();
                if !from.is_package {
                    parts.pop();
                }
                if !parts.is_empty() {
                    let full = format!("{}.{module}", parts.join("."));
                    if let Some(f) = self.ws.modules.get(&full) {
                        return Val::Module(f.clone());
                    }
                }
            }
            return Val::Unknown(format!("module '{module}' not found in the workspace"));
        }
        // Relative import: strip `level` components from the importing module's package.
        let Some(base) = from.module_names.first() else {
            return Val::Unknown(format!(
                "relative import of '{module}' from a file outside any root"
            ));
        };
        let mut parts: Vec<&str> = base.split('.').collect();
        let up = if from.is_package { level - 1 } else { level };
        for _ in 0..up {
            if parts.pop().is_none() {
                return Val::Unknown("relative import beyond the top-level package".into());
            }
        }
        if !module.is_empty() {
            parts.push(module);
        }
        let full = parts.join(".");
        match self.ws.modules.get(&full) {
            Some(f) => Val::Module(f.clone()),
            None => Val::Unknown(format!("module '{full}' not found in the workspace")),
        }
    }

    /// `base.attr`.
    pub fn attr(&mut self, base: &Val, attr: &str, cx: &Cx) -> Vec<Cand> {
        self.attr_via(base, attr, cx, None)
    }

    /// `base.attr`, where `base` was read through the name `via` of `cx`'s scope (stores made
    /// through that name are already applied by its flow).
    pub(crate) fn attr_via(
        &mut self,
        base: &Val,
        attr: &str,
        cx: &Cx,
        via: Option<&str>,
    ) -> Vec<Cand> {
        match base {
            Val::Ns(_) => vec![Cand::new(ns_attr(self.data, base, attr))],
            Val::Module(f) => {
                let f = f.clone();
                self.module_attr(&f, attr, cx, via)
            }
            Val::Class(f, c) => {
                let (f, c) = (f.clone(), *c);
                self.class_attr(&f, c, attr, cx, via)
            }
            Val::Instance(i) => {
                let i = (**i).clone();
                self.instance_attr(&i, attr, cx, via)
            }
            Val::Layer(l) => {
                if let Some((_, v)) = l.attrs.iter().rev().find(|(a, _)| a == attr || a == "*") {
                    return match v {
                        Some((e, ecx)) => {
                            let (e, ecx) = (e.clone(), ecx.clone());
                            self.eval(&e, &ecx)
                        }
                        None => vec![Cand::unknown(format!("`{attr}` is changed on the layer"))],
                    };
                }
                match l.kws.iter().rev().find(|(n, _, _)| n == attr) {
                    // Keras layers keep `initializers.get(value)` of an initializer argument.
                    Some((_, e, ecx)) if attr.ends_with("_initializer") => {
                        let (e, ecx) = (e.clone(), ecx.clone());
                        let mut out = Vec::new();
                        for c in self.eval(&e, &ecx) {
                            out.extend(self.initializer_get(c, e.span(), &ecx));
                        }
                        out
                    }
                    Some((_, e, ecx)) => {
                        let (e, ecx) = (e.clone(), ecx.clone());
                        self.eval(&e, &ecx)
                    }
                    None => vec![Cand::unknown(format!(
                        "attribute `{attr}` of a `{}` layer is not followed",
                        l.class
                    ))],
                }
            }
            Val::Super {
                file,
                class,
                receiver,
            } => {
                let (file, class, receiver) = (file.clone(), *class, (**receiver).clone());
                self.super_attr(&file, class, &receiver, attr, cx)
            }
            Val::Dict(_) | Val::List { .. } => match attr {
                "get" => method(base, "get"),
                "copy" => method(base, "copy"),
                "items" => method(base, "items"),
                "keys" => method(base, "keys"),
                "values" => method(base, "values"),
                "pop" => method(base, "pop"),
                "setdefault" => method(base, "setdefault"),
                _ => vec![Cand::unknown(format!(
                    "the method `{attr}` of {} is not followed",
                    describe(base)
                ))],
            },
            Val::Init(i) => {
                let i = i.clone();
                self.init_attr(&i, attr)
            }
            Val::InitClass(c) => {
                let c = c.clone();
                self.init_class_attr(&c, attr)
            }
            Val::Unknown(r) => vec![Cand::unknown(r.clone())],
            // `None.Conv2D` raises AttributeError: that path builds nothing.
            Val::NoneV if !attr.starts_with("__") => Vec::new(),
            _ => vec![Cand::unknown(format!(
                "attribute `{attr}` of {} is not followed",
                describe(base)
            ))],
        }
    }

    /// `module.attr`: the module's binding at its end (it has run when another module reads it),
    /// a submodule, or a name of its star imports; plus stores `module.attr = ...` made elsewhere.
    fn module_attr(
        &mut self,
        f: &Arc<FileAnalysis>,
        attr: &str,
        cx: &Cx,
        via: Option<&str>,
    ) -> Vec<Cand> {
        let mcx = Cx {
            file: f.clone(),
            scope: 0,
            at: u32::MAX,
            frame: None,
        };
        let mut out = Vec::new();
        let unbound_before = self.star_unbound;
        if f.ir.is_local(0, attr) || !f.ir.scopes[0].default_timeline.is_empty() {
            let reaches: Vec<Reach> = f.ir.live_at(0, attr, u32::MAX).to_vec();
            let (vals, unbound) = self.eval_reaches(f, attr, &reaches, None);
            out.extend(vals);
            // Rebound by `global` in a function of the module: at any time, also after a store
            // from outside (`mod.X = ...`), so kept apart from what the stores replace.
            let mut anytime = Vec::new();
            for d in f.ir.anytime_of(0, attr) {
                anytime.extend(self.eval_def(f, d, attr, None));
            }
            if let Some(sp) = f.ir.dynamic_globals {
                anytime.push(Cand::unknown(format!(
                    "the module's globals may be rebound by name at {}",
                    self.place(f, sp)
                )));
            }
            if !unbound && !(out.is_empty() && anytime.is_empty()) {
                let target = StoreTarget::Module(fptr(f));
                let mut r = self.with_stores(out, &target, attr, cx, via);
                r.extend(anytime);
                return r;
            }
            out.extend(anytime);
        }
        if let Some(n) = f.module_names.first() {
            if let Some(sub) = self.ws.modules.get(&format!("{n}.{attr}")) {
                out.push(Cand::new(Val::Module(sub.clone())));
                return out;
            }
        }
        // Not bound on this side of a star-import cycle (see `eval_def`): it may be on another.
        if out.is_empty() && self.star_unbound != unbound_before {
            return out;
        }
        if out.is_empty() {
            return vec![Cand::unknown(format!(
                "`{attr}` not found in module '{}'",
                f.module_names.first().cloned().unwrap_or_default()
            ))];
        }
        let _ = mcx;
        out
    }

    /// The method resolution order of a workspace class (C3 linearization; a base that is not a
    /// workspace class ends its branch as a [`MroEntry::Foreign`]).
    pub(crate) fn mro(&mut self, f: &Arc<FileAnalysis>, c: ClassId) -> Vec<MroEntry> {
        let key = (fptr(f), c);
        if let Some(hit) = self.mro_memo.get(&key) {
            return hit.clone();
        }
        // The bases are evaluated outside any frame, by an evaluator of its own (the answer
        // depends on the snapshot only), once per snapshot; a cycle through the bases of bases
        // is cut by `mro_at`'s depth.
        thread_local! {
            static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        }
        let out = if DEPTH.with(|d| d.get()) >= 4 {
            self.mro_at(f, c, 0)
        } else {
            let ws = self.ws;
            DEPTH.with(|d| d.set(d.get() + 1));
            let out = ws.cached("mro", f, c as u32, || {
                let mut ev = Evaluator::new(ws);
                ev.fuel = MRO_FUEL;
                ev.mro_at(f, c, 0)
            });
            DEPTH.with(|d| d.set(d.get() - 1));
            out
        };
        self.mro_memo.insert(key, out.clone());
        out
    }

    fn mro_at(&mut self, f: &Arc<FileAnalysis>, c: ClassId, depth: usize) -> Vec<MroEntry> {
        if depth > 16 {
            return vec![
                MroEntry::Class(f.clone(), c),
                MroEntry::Foreign(Val::Unknown("a class hierarchy nested too deeply".into())),
            ];
        }
        let cls = &f.ir.classes[c];
        let bases = cls.bases.clone();
        let bcx = Cx {
            file: f.clone(),
            scope: cls.parent_scope,
            at: cls.span.start,
            frame: None,
        };
        let mut seqs: Vec<Vec<MroEntry>> = Vec::new();
        let mut direct: Vec<MroEntry> = Vec::new();
        for b in &bases {
            let vals = self.eval(b, &bcx);
            let entry = match vals.as_slice() {
                [v] => match &v.val {
                    Val::Class(bf, bc) => {
                        if Arc::ptr_eq(bf, f) && *bc == c {
                            MroEntry::Foreign(Val::Unknown(
                                "a class that derives from itself".into(),
                            ))
                        } else {
                            seqs.push(self.mro_at(bf, *bc, depth + 1));
                            MroEntry::Class(bf.clone(), *bc)
                        }
                    }
                    // `object` adds nothing.
                    Val::Builtin("object") => continue,
                    other => MroEntry::Foreign(other.clone()),
                },
                _ => MroEntry::Foreign(Val::Unknown(
                    "a base class with several possible values".into(),
                )),
            };
            if let MroEntry::Foreign(_) = &entry {
                seqs.push(vec![entry.clone()]);
            }
            direct.push(entry);
        }
        seqs.push(direct);
        let mut out = vec![MroEntry::Class(f.clone(), c)];
        // C3 merge.
        let same = |a: &MroEntry, b: &MroEntry| match (a, b) {
            (MroEntry::Class(f1, c1), MroEntry::Class(f2, c2)) => Arc::ptr_eq(f1, f2) && c1 == c2,
            (MroEntry::Foreign(v1), MroEntry::Foreign(v2)) => same_value(v1, v2),
            _ => false,
        };
        for _ in 0..256 {
            seqs.retain(|s| !s.is_empty());
            if seqs.is_empty() {
                break;
            }
            let mut picked = None;
            for s in &seqs {
                let head = &s[0];
                if !seqs.iter().any(|t| t[1..].iter().any(|x| same(x, head))) {
                    picked = Some(head.clone());
                    break;
                }
            }
            let Some(h) = picked else {
                // Python raises TypeError (no consistent MRO); keep what is known.
                out.push(MroEntry::Foreign(Val::Unknown(
                    "an inconsistent class hierarchy".into(),
                )));
                break;
            };
            for s in &mut seqs {
                if !s.is_empty() && same(&s[0], &h) {
                    s.remove(0);
                }
            }
            out.push(h);
        }
        out
    }

    /// `Class.attr`: the first class of the MRO whose body binds it (at the body's end), plus
    /// stores on that class made elsewhere; a method is a function (unbound).
    fn class_attr(
        &mut self,
        f: &Arc<FileAnalysis>,
        c: ClassId,
        attr: &str,
        cx: &Cx,
        via: Option<&str>,
    ) -> Vec<Cand> {
        let mro = self.mro(f, c);
        // Stores on any class of the MRO up to the one that binds it may shadow it.
        let mut stores_on: Vec<StoreTarget> = Vec::new();
        for e in &mro {
            match e {
                MroEntry::Class(bf, bc) => {
                    stores_on.push(StoreTarget::Class(fptr(bf), *bc));
                    let scope = bf.ir.classes[*bc].scope;
                    if bf.ir.is_local(scope, attr) {
                        let reaches: Vec<Reach> = bf.ir.live_at(scope, attr, u32::MAX).to_vec();
                        let (vals, _) = self.eval_reaches(bf, attr, &reaches, None);
                        let mut out = vals;
                        for t in stores_on.clone().iter().rev() {
                            out = self.with_stores(out, t, attr, cx, via);
                        }
                        return out;
                    }
                }
                MroEntry::Foreign(v) => {
                    let mut out = vec![Cand::unknown(format!(
                        "`{attr}` may come from the base {}, which is not followed",
                        describe(v)
                    ))];
                    for t in stores_on.clone().iter().rev() {
                        out = self.with_stores(out, t, attr, cx, via);
                    }
                    return out;
                }
            }
        }
        let mut out = Vec::new();
        for t in stores_on.iter().rev() {
            out = self.with_stores(out, t, attr, cx, via);
        }
        if out.is_empty() {
            out.push(Cand::unknown(format!(
                "`{attr}` not found on class `{}`",
                f.ir.classes[c].name
            )));
        }
        out
    }

    /// `super().attr` in a method of `class`: the MRO of the receiver's class after `class`.
    fn super_attr(
        &mut self,
        file: &Arc<FileAnalysis>,
        class: ClassId,
        receiver: &Val,
        attr: &str,
        cx: &Cx,
    ) -> Vec<Cand> {
        let (rf, rc) = match receiver {
            Val::Instance(i) => (i.file.clone(), i.class),
            _ => (file.clone(), class),
        };
        let mro = self.mro(&rf, rc);
        let start = mro
            .iter()
            .position(|e| matches!(e, MroEntry::Class(f, c) if Arc::ptr_eq(f, file) && *c == class))
            .map(|i| i + 1)
            .unwrap_or(mro.len());
        for e in mro[start..].iter().cloned() {
            match e {
                MroEntry::Class(bf, bc) => {
                    let scope = bf.ir.classes[bc].scope;
                    if let Some(m) = bf.ir.classes[bc].methods.get(attr) {
                        return vec![Cand::new(Val::BoundMethod {
                            file: bf.clone(),
                            id: *m,
                            receiver: Box::new(receiver.clone()),
                        })];
                    }
                    if bf.ir.is_local(scope, attr) {
                        return self.class_attr(&bf, bc, attr, cx, None);
                    }
                }
                MroEntry::Foreign(v) => {
                    if let Val::LayerClass(_) | Val::Builtin(_) = v {
                        return vec![Cand::new(Val::Method {
                            name: "super",
                            receiver: Box::new(v),
                        })];
                    }
                    return vec![Cand::unknown(format!(
                        "`super().{attr}` reaches {}, which is not followed",
                        describe(&v)
                    ))];
                }
            }
        }
        vec![Cand::unknown(format!("`super().{attr}` is not found"))]
    }

    /// `obj.attr` on an instance of a workspace class: set on the object after construction (by
    /// the flow of the name holding it, or by stores elsewhere), set on `self` in its methods
    /// (`__init__` with the construction's arguments), or the class attribute.
    /// A method of the instance's classes, other than `__init__`, that sets `self.<attr>`.
    fn method_setting(&mut self, i: &InstanceVal, attr: &str) -> Option<String> {
        for e in self.mro(&i.file, i.class) {
            let MroEntry::Class(f, c) = e else { continue };
            for s in f.ir.classes[c].self_attrs.get(attr).into_iter().flatten() {
                let st = &f.ir.stores[*s as usize];
                if let ScopeKind::Function(fid) = method_scope_kind(&f, st.scope) {
                    let name = &f.ir.functions[fid].name;
                    if name != "__init__" {
                        return Some(name.clone());
                    }
                }
            }
        }
        None
    }

    fn instance_attr(
        &mut self,
        i: &InstanceVal,
        attr: &str,
        cx: &Cx,
        via: Option<&str>,
    ) -> Vec<Cand> {
        let mut out = self.instance_attr_stored(i, attr, cx, via);
        // Set from outside after construction, then a method other than `__init__` that sets
        // it may have run since (`cfg.init = "ones"; cfg.reset()`).
        let set_outside = i.attrs.iter().any(|(a, _)| a == attr || a == "*")
            || out.iter().any(|c| {
                let p = set_at_prefix(attr);
                c.origin.iter().any(|s| s.text.starts_with(&p))
            });
        if set_outside {
            if let Some(m) = self.method_setting(i, attr) {
                out.push(Cand::unknown(format!(
                    "`{attr}` is also set by the method `{m}`, which may have run since"
                )));
            }
        }
        out
    }

    fn instance_attr_stored(
        &mut self,
        i: &InstanceVal,
        attr: &str,
        cx: &Cx,
        via: Option<&str>,
    ) -> Vec<Cand> {
        // Set on this object after its construction, through the name it was read from.
        if let Some((_, v)) = i.attrs.iter().rev().find(|(a, _)| a == attr || a == "*") {
            let out = match v {
                Some((e, ecx)) => {
                    let (e, ecx) = (e.clone(), ecx.clone());
                    self.eval(&e, &ecx)
                }
                None => vec![Cand::unknown(format!("`{attr}` is changed on the object"))],
            };

            let target = self.instance_target(i);
            return self.with_stores(out, &target, attr, cx, via);
        }
        let mro = self.mro(&i.file, i.class);
        let mut out: Vec<Cand> = Vec::new();
        let mut definite = false;
        // `self.attr = ...` in methods of the classes of the MRO.
        let init = mro.iter().find_map(|e| match e {
            MroEntry::Class(f, c) => f.ir.classes[*c]
                .methods
                .get("__init__")
                .map(|m| (f.clone(), *m)),
            MroEntry::Foreign(_) => None,
        });
        let receiver = Val::Instance(Box::new(i.clone()));
        // The `__init__` methods after the first that the construction surely runs (through
        // `super().__init__(...)`), computed when a store in one of them is met.
        let mut chain: Option<Vec<super::superinit::ChainedInit>> = None;
        for e in &mro {
            let MroEntry::Class(f, c) = e else { continue };
            let Some(stores) = f.ir.classes[*c].self_attrs.get(attr).cloned() else {
                continue;
            };
            for s in stores {
                let st = f.ir.stores[s as usize].clone();
                let ScopeKind::Function(fid) = method_scope_kind(f, st.scope) else {
                    continue;
                };
                let is_init = init
                    .as_ref()
                    .is_some_and(|(ff, m)| Arc::ptr_eq(ff, f) && *m == fid);
                let chained = if !is_init && f.ir.functions[fid].name == "__init__" {
                    let ch = chain.get_or_insert_with(|| self.init_chain(i));
                    ch.iter()
                        .skip(1)
                        .find(|c| Arc::ptr_eq(&c.file, f) && c.func == fid)
                        .map(|c| c.frame.clone())
                } else {
                    None
                };
                let frame = if is_init {
                    self.construction_frame(i, f, fid)
                } else if let Some(fr) = &chained {
                    fr.clone()
                } else {
                    Arc::new(Frame {
                        file: f.clone(),
                        func: fid,
                        args: vec![(
                            f.ir.functions[fid]
                                .params
                                .first()
                                .map(|p| p.name.clone())
                                .unwrap_or_default(),
                            BoundArg::Val(receiver.clone()),
                        )],
                        site: None,
                        caller: None,
                        closure: None,
                        time: None,
                        depth: 1,
                        used: Default::default(),
                        unknown_args: Some(format!(
                            "`{}` is called by code that is not followed",
                            f.ir.functions[fid].name
                        )),
                    })
                };
                let scx = Cx {
                    file: f.clone(),
                    scope: st.scope,
                    at: st.span.start,
                    frame: Some(frame.clone()),
                };
                let runs =
                    if (is_init || chained.is_some()) && st.scope == f.ir.functions[fid].scope {
                        if st.pred == TRUE {
                            Some(true)
                        } else {
                            self.pred_holds(f, st.pred, Some(frame.clone()))
                        }
                    } else {
                        None
                    };
                if runs == Some(false) {
                    continue;
                }
                let here = self.place(f, st.span);
                let vals = match &st.value {
                    Some(v) => self.eval(v, &scx),
                    None => vec![Cand::unknown(format!("`self.{attr}` is changed at {here}"))],
                };
                let vals: Vec<Cand> = vals
                    .into_iter()
                    .map(|c| c.with_step(at(format!("`self.{attr}` set at {here}"), f, st.span)))
                    .collect();
                if runs == Some(true) && chained.is_some() {
                    // Set on every path by an `__init__` that `super().__init__(...)` surely
                    // reaches: the attribute exists once constructed. Its order against the
                    // other stores is not modelled, so they all stay possible.
                    out.extend(vals);
                    definite = true;
                } else if runs == Some(true) && !definite {
                    // Set by `__init__` on every path: what was found before is replaced.
                    out = vals;
                    definite = true;
                } else if runs == Some(true) {
                    out = vals;
                } else {
                    out.extend(vals);
                }
            }
        }
        // A dataclass-style class (no `__init__` in the workspace): the construction's arguments
        // by field name or position.
        if !definite && init.is_none() {
            if let Some(v) = self.dataclass_field(i, attr) {
                out.extend(v);
                definite = true;
            }
        }
        if !definite {
            let from_class = self.class_attr(&i.file, i.class, attr, cx, None);
            for c in from_class {
                out.extend(self.bind_to(c, &receiver));
            }
            // An instance that is not known may be of a subclass that overrides it (not
            // enumerated for the base of a store, which is then not known).
            if i.call.is_none() && self.no_stores {
                out.push(Cand::unknown(format!(
                    "`{attr}` may be overridden by a subclass"
                )));
            } else if i.call.is_none() {
                let name = i.file.ir.classes[i.class].name.clone();
                let ws = self.ws;
                let key = format!("{}:{}:{attr}", fptr(&i.file), i.class);
                let overriding: Arc<[(Arc<FileAnalysis>, ClassId)]> =
                    ws.cached_named("overriding", &key, || {
                        let subs = ws.subclasses(&name);
                        let out = subs
                            .iter()
                            .filter(|(sf, sc)| {
                                let scope = sf.ir.classes[*sc].scope;
                                sf.ir.is_local(scope, attr)
                                    || sf.ir.classes[*sc].self_attrs.contains_key(attr)
                            })
                            .cloned()
                            .collect();
                        (out, true)
                    });
                if overriding.len() > MAX_CANDIDATES {
                    out.push(Cand::unknown(format!(
                        "`{attr}` may be overridden by {} subclasses of `{name}`, which are not followed one by one",
                        overriding.len()
                    )));
                }
                for (sf, sc) in overriding.iter().take(MAX_CANDIDATES).cloned() {
                    let mro = self.mro(&sf, sc);
                    let derives = mro.iter().any(|e| matches!(e, MroEntry::Class(f, c) if Arc::ptr_eq(f, &i.file) && *c == i.class));
                    if !derives {
                        continue;
                    }
                    let sub = InstanceVal {
                        file: sf.clone(),
                        class: sc,
                        call: None,
                        args: None,
                        attrs: Vec::new(),
                    };
                    let sub_recv = Val::Instance(Box::new(sub));
                    for c in self.class_attr(&sf, sc, attr, cx, None) {
                        out.extend(self.bind_to(c, &sub_recv));
                    }
                }
            }
        }
        let target = self.instance_target(i);
        self.with_stores(out, &target, attr, cx, via)
    }

    /// A class attribute read through an instance: a function becomes a method bound to it
    /// (`@staticmethod` stays a function, `@property` gives what the getter returns).
    fn bind_to(&mut self, c: Cand, receiver: &Val) -> Vec<Cand> {
        let Val::Func { file, id, .. } = &c.val else {
            return vec![c];
        };
        let (file, id) = (file.clone(), *id);
        let decos: Vec<String> = file.ir.functions[id]
            .decorators
            .iter()
            .map(|d| d.dotted().unwrap_or_default())
            .collect();
        let bound = Val::BoundMethod {
            file: file.clone(),
            id,
            receiver: Box::new(receiver.clone()),
        };
        match decos.as_slice() {
            [] => vec![Cand {
                val: bound,
                origin: c.origin,
            }],
            [d] if d == "staticmethod" => vec![c],
            [d] if d == "property" || d.ends_with(".cached_property") || d == "cached_property" => {
                let empty = Arc::new(Call {
                    func: Expr::NoneLit {
                        span: file.ir.functions[id].span,
                    },
                    args: Box::default(),
                    keywords: Box::default(),
                    span: file.ir.functions[id].span,
                });
                let cx = Cx {
                    file: file.clone(),
                    scope: 0,
                    at: 0,
                    frame: None,
                };
                self.apply(&bound, &empty, &cx, &ArgSet::default())
            }
            _ => vec![Cand::unknown(format!(
                "the method `{}` is decorated ({}); what the decorator makes is not followed",
                file.ir.functions[id].name,
                decos.join(", ")
            ))],
        }
    }

    /// What stores elsewhere may target to reach instance `i`: `Other` (none can) when the
    /// object never leaves the flow of the name it is bound to.
    fn instance_target(&self, i: &InstanceVal) -> StoreTarget {
        match &i.call {
            Some((c, ccx)) if !ccx.file.object_escapes(c.span) => StoreTarget::Other,
            Some((c, ccx)) => StoreTarget::Instance(fptr(&ccx.file), c.span),
            None => StoreTarget::InstanceOf(fptr(&i.file), i.class),
        }
    }

    /// The frame of `__init__` (function `fid` of `f`) for the construction of instance `i`.
    pub(crate) fn construction_frame(
        &mut self,
        i: &InstanceVal,
        f: &Arc<FileAnalysis>,
        fid: FuncId,
    ) -> Arc<Frame> {
        let receiver = Val::Instance(Box::new(i.clone()));
        match &i.call {
            Some((call, ccx)) => {
                let set = match &i.args {
                    Some(a) => (**a).clone(),
                    None => {
                        let sets = self.call_args(call, ccx, Vec::new(), Vec::new());
                        if sets.len() == 1 {
                            sets.into_iter().next().unwrap_or_default()
                        } else {
                            ArgSet {
                                open: Some("arguments with several possible values".into()),
                                open_pos: Some("arguments with several possible values".into()),
                                ..Default::default()
                            }
                        }
                    }
                };
                let mut args = bind_values(&f.ir.functions[fid], &set, true);
                if let Some(p) = f.ir.functions[fid].params.first() {
                    args.push((p.name.clone(), BoundArg::Val(receiver)));
                }
                Arc::new(Frame {
                    file: f.clone(),
                    func: fid,
                    args,
                    site: Some((ccx.file.clone(), ccx.scope, call.span)),
                    caller: ccx.frame.clone(),
                    closure: None,
                    time: ccx.time_quiet(),
                    depth: ccx.frame.as_ref().map(|fr| fr.depth + 1).unwrap_or(1),
                    unknown_args: None,
                    used: Default::default(),
                })
            }
            None => {
                // No construction: the arguments given (a hover on the class: none, so the
                // defaults), or not known.
                let mut args = match &i.args {
                    Some(a) => bind_values(&f.ir.functions[fid], a, true),
                    None => Vec::new(),
                };
                if let Some(p) = f.ir.functions[fid].params.first() {
                    args.push((p.name.clone(), BoundArg::Val(receiver)));
                }
                Arc::new(Frame {
                    file: f.clone(),
                    func: fid,
                    args,
                    site: None,
                    caller: None,
                    closure: None,
                    time: None,
                    depth: 1,
                    used: Default::default(),
                    unknown_args: i
                        .args
                        .is_none()
                        .then(|| "the constructions of the class are not followed here".into()),
                })
            }
        }
    }

    /// A field of a dataclass-style instance (a class without `__init__`): the construction's
    /// argument for it, or `None` (its class attribute applies).
    fn dataclass_field(&mut self, i: &InstanceVal, attr: &str) -> Option<Vec<Cand>> {
        let (call, ccx) = i.call.as_ref()?;
        let cls = &i.file.ir.classes[i.class];
        if cls.decorators.is_empty() && cls.bases.is_empty() {
            return None;
        }
        if let Some(a) = &i.args {
            if let Some((_, e, c)) = a.kws.iter().rev().find(|(n, _, _)| n == attr) {
                let (e, c) = (e.clone(), c.clone());
                return Some(self.eval(&e, &c));
            }
        }
        if let Some(k) = call.keyword(attr) {
            let (e, c) = (k.value.clone(), ccx.clone());
            return Some(self.eval(&e, &c));
        }
        if call.keywords.iter().any(|k| k.name.is_none()) {
            return Some(vec![Cand::unknown("fields given through `**`")]);
        }
        // Positional: the class body's annotated fields in order.
        let scope = cls.scope;
        let mut fields: Vec<(u32, String)> = Vec::new();
        for d in i.file.ir.defs_in(scope) {
            let def = &i.file.ir.defs[*d as usize];
            if matches!(def.kind, DefKind::Value(_)) && !fields.iter().any(|(_, n)| *n == *def.name)
            {
                fields.push((def.span.start, def.name.to_string()));
            }
        }
        fields.sort();
        let pos = fields.iter().position(|(_, n)| n == attr)?;
        let e = call.args.get(pos)?.clone();
        if matches!(e, Expr::Starred { .. }) {
            return Some(vec![Cand::unknown("fields given through `*`")]);
        }
        let c = ccx.clone();
        Some(self.eval(&e, &c))
    }

    /// Adds to `vals` (the value of `attr` on an object that may be `target`) the values of
    /// stores made elsewhere that may set it: a store that has run at the time of the read
    /// replaces the values, one that may have run adds its own.
    pub(crate) fn with_stores(
        &mut self,
        vals: Vec<Cand>,
        target: &StoreTarget,
        attr: &str,
        cx: &Cx,
        via: Option<&str>,
    ) -> Vec<Cand> {
        if matches!(target, StoreTarget::Other) {
            return vals;
        }
        if self.ws.attr_stores(attr).is_empty() {
            return vals;
        }
        if self.no_stores {
            // Evaluating the base of a store: what other stores do is not followed here.
            let mut vals = vals;
            vals.push(Cand::unknown(format!("`{attr}` may be set elsewhere")));
            return vals;
        }
        let stores = self.attr_targets(attr);
        // Read only when a store may hit (see `Frame::used`).
        let mut time = None;
        let mut out = vals;
        // Indices into `stores` (by path, then source order) of those that may set it.
        let mut ordered: Vec<(usize, Applies)> = Vec::new();
        for (k, (sf, si, t)) in stores.iter().enumerate() {
            let si = *si as usize;
            let st = &sf.ir.stores[si];
            // Made through the name the object was read from, in the scope of the read: the
            // flow of that name has applied it in order.
            if let (Some(v), Expr::Name { id, .. }) = (via, &st.base) {
                if Arc::ptr_eq(sf, &cx.file) && st.scope == cx.scope && id == v {
                    continue;
                }
            }
            if !hits(t, target) || !self.instance_store_may_hit(t, target) {
                continue;
            }
            let applies = self.store_applies(sf, si, exact_target(t), &mut time, cx);
            if applies != Applies::No {
                ordered.push((k, applies));
            }
        }
        if ordered.len() > MAX_CANDIDATES {
            // More stores than possibilities an answer keeps: not followed one by one.
            let mut out = out;
            out.push(Cand::unknown(format!(
                "`{attr}` may be set at {} places, which are not followed one by one",
                ordered.len()
            )));
            return out;
        }
        for (k, applies) in ordered {
            let (sf, si, t) = &stores[k];
            let st = &sf.ir.stores[*si as usize];
            let here = self.place(sf, st.span);
            let scx = Cx {
                file: sf.clone(),
                scope: st.scope,
                at: st.span.start,
                frame: None,
            };
            let vals: Vec<Cand> = match &st.value {
                Some(v) => self.eval(v, &scx),
                None => vec![Cand::unknown(format!("`{attr}` is changed at {here}"))],
            };
            let exact = exact_target(t);
            let vals: Vec<Cand> = vals
                .into_iter()
                .map(|c| {
                    c.with_step(at(
                        if exact {
                            format!("{}{here}", set_at_prefix(attr))
                        } else {
                            format!(
                                "`{attr}` may be set at {here} (on an object that is not known)"
                            )
                        },
                        sf,
                        st.span,
                    ))
                })
                .collect();
            if applies == Applies::Yes && exact && !self.stores_maybe_only {
                out = vals;
            } else {
                out.extend(vals);
            }
        }
        out
    }

    /// Whether some store of the workspace sets attribute `attr` of module `file` itself (its
    /// base is known to be that module).
    pub(crate) fn module_store_exists(&mut self, file: &Arc<FileAnalysis>, attr: &str) -> bool {
        if self.ws.attr_stores(attr).is_empty() {
            return false;
        }
        let target = StoreTarget::Module(fptr(file));
        self.attr_targets(attr)
            .iter()
            .any(|(_, _, t)| same_target(t, &target))
    }

    /// Why initializer object `i` (bound by a name of `scope` of `file`) may have an attribute
    /// set by a store the flow of that name does not apply (`init.stddev = 2.0` in another
    /// module, `p.stddev = ...` on a parameter it may be passed to, `setattr`, `__dict__`), or
    /// `None`. Any such store counts, whether it runs before the layer is built or not.
    pub(crate) fn init_set_elsewhere(
        &mut self,
        i: &crate::analysis::answer::InitVal,
        file: &Arc<FileAnalysis>,
        scope: ScopeId,
        name: &str,
    ) -> Option<String> {
        let (path, span) = i.instance.clone()?;
        let target = StoreTarget::Init(path, span);
        // The attributes an initializer object may use when called: its config, and (for a
        // subclass such as `HeUniform`, whose `scale` and `mode` are its base's) any constructor
        // parameter of any initializer class of the Keras data.
        let data: &'static KerasData = self.data;
        let known = self
            .init_attr_names
            .get_or_insert_with(|| {
                let mut v: Vec<&'static str> = data
                    .initializers
                    .classes
                    .values()
                    .flat_map(|c| c.signature.iter().map(|p| p.name.as_str()))
                    .chain(["*", "__dict__"])
                    .collect();
                v.sort_unstable();
                v.dedup();
                v.into()
            })
            .clone();
        let extra = i.config.keys().map(|k| k.as_str());
        let attrs = known
            .iter()
            .copied()
            .chain(extra.filter(|k| known.binary_search(k).is_err()));
        for attr in attrs {
            if self.ws.attr_stores(attr).is_empty() {
                continue;
            }
            let stores = self.attr_targets(attr);
            for (sf, si, t) in stores.iter() {
                let st = &sf.ir.stores[*si as usize];
                if Arc::ptr_eq(sf, file)
                    && st.scope == scope
                    && !name.is_empty()
                    && matches!(&st.base, Expr::Name { id, .. } if id == name)
                {
                    continue;
                }
                if hits(t, &target) {
                    let attr = if attr == "*" { "an attribute" } else { attr };
                    let held = if name.is_empty() {
                        String::new()
                    } else {
                        format!(" in `{name}`")
                    };
                    return Some(format!(
                        "`{attr}` of the initializer object{held} may be set at {}",
                        self.place(sf, st.span)
                    ));
                }
            }
        }
        None
    }

    /// The values of stores made elsewhere that may set `attr` on `target` at the time of `cx`
    /// (each a possibility; `None`: changed in a way that is not followed); stores through the
    /// name `via` in `cx`'s scope are left to that name's flow.
    pub(crate) fn foreign_stores(
        &mut self,
        target: &StoreTarget,
        attr: &str,
        cx: &Cx,
        via: Option<&str>,
    ) -> Vec<Option<(Expr, Cx)>> {
        if self.ws.attr_stores(attr).is_empty() {
            return Vec::new();
        }
        let stores = self.attr_targets(attr);
        // Read only when a store may hit (see `Frame::used`).
        let mut time = None;
        let mut out = Vec::new();
        for (sf, si, t) in stores.iter() {
            let si = *si as usize;
            let st = &sf.ir.stores[si];
            if let (Some(v), Expr::Name { id, .. }) = (via, &st.base) {
                if Arc::ptr_eq(sf, &cx.file) && st.scope == cx.scope && id == v {
                    continue;
                }
            }
            if !hits(t, target) || !self.instance_store_may_hit(t, target) {
                continue;
            }
            if self.store_applies(sf, si, exact_target(t), &mut time, cx) == Applies::No {
                continue;
            }
            let st = &sf.ir.stores[si];
            let scx = Cx {
                file: sf.clone(),
                scope: st.scope,
                at: st.span.start,
                frame: None,
            };
            match st.value.clone() {
                Some(v) => out.push(Some((v, scx))),
                // One "changed in a way not followed" is as good as several.
                None if out.iter().any(Option::is_none) => {}
                None => out.push(None),
            }
            if out.len() > MAX_CANDIDATES {
                // More than an answer keeps: changed in a way that is not followed.
                return vec![None];
            }
        }
        out
    }

    /// The stores of `attr` (see [`Workspace::attr_stores`]) with their targets, once per
    /// snapshot.
    fn attr_targets(&mut self, attr: &str) -> Arc<[(Arc<FileAnalysis>, u32, StoreTarget)]> {
        let stores = self.ws.attr_stores(attr);
        let ws = self.ws;
        // Stores of attributes whose name is not known (`setattr(x, name, v)`): beyond
        // `MAX_DYNAMIC_STORES` in the workspace, each is taken to reach any object rather than
        // having its object worked out (every attribute read would pay for them).
        let many_dynamic = ws.attr_stores("*").len() > MAX_DYNAMIC_STORES;
        ws.cached_named("attr_targets", attr, || {
            let blocked = STORE_TARGETS_BLOCKED.with(|b| b.get());
            // A `setattr` whose name the source shows cannot be `attr` does not count.
            let may: Vec<&(Arc<FileAnalysis>, usize)> = stores
                .iter()
                .filter(|(sf, si)| {
                    sf.ir.stores[*si].attr != "*" || self.store_names(sf, *si).may_set(attr)
                })
                .collect();
            let out: Arc<[(Arc<FileAnalysis>, u32, StoreTarget)]> = may
                .into_iter()
                .map(|(sf, si)| {
                    let t = if many_dynamic && sf.ir.stores[*si].attr == "*" {
                        StoreTarget::Unknown
                    } else {
                        self.store_target(sf, *si)
                    };
                    (sf.clone(), *si as u32, t)
                })
                .collect();
            // A target cut short by the nesting guard is not the snapshot's answer.
            let keep = STORE_TARGETS_BLOCKED.with(|b| b.get()) == blocked;
            (out, keep)
        })
    }
}

thread_local! {
    /// How many store targets the nesting guard of [`Evaluator::store_target`] has answered
    /// `Unknown` on this thread.
    static STORE_TARGETS_BLOCKED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Whether a store whose base is `t` sets an attribute of that one object.
fn exact_target(t: &StoreTarget) -> bool {
    matches!(
        t,
        StoreTarget::Class(..)
            | StoreTarget::Module(..)
            | StoreTarget::Instance(..)
            | StoreTarget::Layer(..)
    )
}

/// Whether a store whose base is `t` may set an attribute of `target`.
fn hits(t: &StoreTarget, target: &StoreTarget) -> bool {
    {
        if matches!(target, StoreTarget::Other) {
            return false;
        }
        match (t, target) {
            (StoreTarget::Unknown, _) => !matches!(target, StoreTarget::Other),
            (StoreTarget::Other, _) => false,
            (StoreTarget::Class(f, c), StoreTarget::Class(g, d)) => f == g && c == d,
            (StoreTarget::Module(f), StoreTarget::Module(g)) => f == g,
            (StoreTarget::Instance(f, s), StoreTarget::Instance(g, t)) => f == g && s == t,
            (StoreTarget::Layer(p, s), StoreTarget::Layer(q, t)) => p == q && s == t,
            (StoreTarget::Init(p, s), StoreTarget::Init(q, t)) => p == q && s == t,
            // `self.x = ...` of a class's methods is part of instance_attr; on an instance that is
            // not known it may be any.
            (StoreTarget::InstanceOf(..), _) => false,
            (StoreTarget::Instance(..), StoreTarget::InstanceOf(..)) => true,
            _ => false,
        }
    }
}

impl<'w> Evaluator<'w> {
    /// What the base of store `si` of `sf` may be (evaluated cheaply where the store is, once per
    /// snapshot, by an evaluator of its own: the answer does not depend on the question).
    fn store_target(&mut self, sf: &Arc<FileAnalysis>, si: usize) -> StoreTarget {
        thread_local! {
            /// Store targets being computed on this thread: one that needs itself (through the
            /// attributes its base reads) is not known, and the nesting is bounded.
            static IN_PROGRESS: std::cell::RefCell<Vec<(usize, usize)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let key = (fptr(sf), si);
        let blocked = IN_PROGRESS.with(|p| {
            let p = p.borrow();
            p.len() >= 4 || p.contains(&key)
        });
        if blocked {
            STORE_TARGETS_BLOCKED.with(|b| b.set(b.get() + 1));
            return StoreTarget::Unknown;
        }
        let ws = self.ws;
        IN_PROGRESS.with(|p| p.borrow_mut().push(key));
        let out = ws.cached("store_target", sf, si as u32, || {
            let mut ev = Evaluator::new(ws);
            ev.no_stores = true;
            ev.store_target_uncached(sf, si)
        });
        IN_PROGRESS.with(|p| {
            p.borrow_mut().pop();
        });
        out
    }

    fn store_target_uncached(&mut self, sf: &Arc<FileAnalysis>, si: usize) -> StoreTarget {
        let st = sf.ir.stores[si].clone();
        // `self` of a method: an instance of its class.
        if let Expr::Name { id, .. } = &st.base {
            let mut s = Some(st.scope);
            while let Some(id_s) = s {
                if let ScopeKind::Function(fid) = sf.ir.scopes[id_s].kind {
                    let func = &sf.ir.functions[fid];
                    if let (Some(c), Some(p)) = (func.class, func.params.first()) {
                        if p.name == id.as_str() && p.kind == ParamKind::Positional {
                            return StoreTarget::InstanceOf(fptr(sf), c);
                        }
                    }
                }
                s = sf.ir.scopes[id_s].parent;
                if s.is_some_and(|p| matches!(sf.ir.scopes[p].kind, ScopeKind::Module)) {
                    break;
                }
            }
        }
        self.fuel = STORE_BASE_FUEL;
        self.base_target(sf, st.scope, &st.base, 0)
    }

    /// What object `e` (the base of a store, in `scope` of `f`) may be, read from the flow of
    /// the names in it without following calls, parameters or attributes of objects (those give
    /// [`StoreTarget::Unknown`]: any object).
    pub(crate) fn base_target(
        &mut self,
        f: &Arc<FileAnalysis>,
        scope: ScopeId,
        e: &Expr,
        depth: usize,
    ) -> StoreTarget {
        if depth > 6 {
            return StoreTarget::Unknown;
        }
        match e {
            Expr::Name { id, span } => {
                // The scope that binds the name (as a lookup does), read where the store is.
                let mut s = scope;
                let mut pos = Some(span.start);
                for _ in 0..64 {
                    if f.ir.is_local(s, id) {
                        break;
                    }
                    let sc = &f.ir.scopes[s];
                    match (sc.kind, sc.parent) {
                        (_, None) => return StoreTarget::Unknown,
                        (ScopeKind::Function(_) | ScopeKind::Lambda, Some(p)) => {
                            pos = None;
                            s = p;
                        }
                        (_, Some(p)) => s = p,
                    }
                }
                let defs: Vec<DefId> = match pos {
                    Some(p) => f.ir.live_at(s, id, p).iter().map(|r| r.def).collect(),
                    None => f.ir.defs_of(s, id).to_vec(),
                };
                let mut out: Option<StoreTarget> = None;
                for d in defs {
                    let t = self.def_target(f, d, depth);
                    out = Some(match (out, t) {
                        (None, t) => t,
                        (Some(StoreTarget::Other), t) => t,
                        (Some(a), StoreTarget::Other) => a,
                        _ => StoreTarget::Unknown,
                    });
                }
                out.unwrap_or(StoreTarget::Unknown)
            }
            Expr::Attr { value, attr, .. } => match self.base_target(f, scope, value, depth + 1) {
                // A name of a module: its module-level definitions of it.
                StoreTarget::Module(m) => {
                    let Some(mf) = self.ws.file_at(m).cloned() else {
                        return StoreTarget::Unknown;
                    };
                    if !mf.ir.is_local(0, attr) {
                        if let Some(n) = mf.module_names.first() {
                            if let Some(sub) = self.ws.modules.get(&format!("{n}.{attr}")) {
                                return StoreTarget::Module(fptr(sub));
                            }
                        }
                        return StoreTarget::Unknown;
                    }
                    let defs: Vec<DefId> = mf
                        .ir
                        .live_at(0, attr, u32::MAX)
                        .iter()
                        .map(|r| r.def)
                        .collect();
                    let mut out: Option<StoreTarget> = None;
                    for d in defs {
                        let t = self.def_target(&mf, d, depth + 1);
                        out = Some(match (out, t) {
                            (None, t) => t,
                            (Some(a), b) if same_target(&a, &b) => a,
                            _ => StoreTarget::Unknown,
                        });
                    }
                    out.unwrap_or(StoreTarget::Unknown)
                }
                StoreTarget::Other => StoreTarget::Other,
                _ => StoreTarget::Unknown,
            },
            Expr::Str { .. } | Expr::Num { .. } | Expr::Bool { .. } | Expr::NoneLit { .. } => {
                StoreTarget::Other
            }
            _ => StoreTarget::Unknown,
        }
    }

    /// What object definition `d` of `f` binds (see [`Evaluator::base_target`]).
    fn def_target(&mut self, f: &Arc<FileAnalysis>, d: DefId, depth: usize) -> StoreTarget {
        if d == UNBOUND {
            return StoreTarget::Other;
        }
        // Bounded like `base_target` (import chains between modules can cycle).
        if depth > 12 {
            return StoreTarget::Unknown;
        }
        let def = f.ir.defs[d as usize].clone();
        let scope = def.scope as usize;
        match &def.kind {
            DefKind::Class(c) => StoreTarget::Class(fptr(f), *c),
            DefKind::Function(_) => StoreTarget::Other,
            DefKind::Import { module, .. } => match self.import_module(f, module, 0) {
                Val::Module(m) => StoreTarget::Module(fptr(&m)),
                Val::Ns(_) => StoreTarget::Other,
                _ => StoreTarget::Unknown,
            },
            DefKind::ImportFrom {
                module,
                level,
                name,
            } => match self.import_module(f, module, *level) {
                Val::Module(m) => {
                    // `from . import sub` in a package's own `__init__` binds the submodule.
                    if m.ir.is_local(0, name) && !Arc::ptr_eq(&m, f) {
                        let defs: Vec<DefId> =
                            m.ir.live_at(0, name, u32::MAX)
                                .iter()
                                .map(|r| r.def)
                                .collect();
                        match defs.as_slice() {
                            [one] => self.def_target(&m, *one, depth + 1),
                            _ => StoreTarget::Unknown,
                        }
                    } else {
                        let full = if module.is_empty() {
                            name.to_string()
                        } else {
                            format!("{module}.{name}")
                        };
                        match self.import_module(f, &full, *level) {
                            Val::Module(s) => StoreTarget::Module(fptr(&s)),
                            _ => StoreTarget::Unknown,
                        }
                    }
                }
                Val::Ns(_) => StoreTarget::Other,
                _ => StoreTarget::Unknown,
            },
            DefKind::Value(Expr::Call(c)) => {
                // A new object when the callee is a class (a workspace class or a Keras layer).
                let cx = Cx {
                    file: f.clone(),
                    scope,
                    at: c.span.start,
                    frame: None,
                };
                let callee = self.eval(&c.func, &cx);
                match callee.as_slice() {
                    [v] => match &v.val {
                        Val::Class(..) => StoreTarget::Instance(fptr(f), c.span),
                        Val::LayerClass(_) => StoreTarget::Layer(f.path.clone(), c.span),
                        Val::InitClass(_) | Val::TfInit(_) => {
                            StoreTarget::Init(f.path.clone(), c.span)
                        }
                        _ => StoreTarget::Unknown,
                    },
                    _ => StoreTarget::Unknown,
                }
            }
            DefKind::Value(e @ (Expr::Name { .. } | Expr::Attr { .. })) => {
                self.base_target(f, scope, &e.clone(), depth + 1)
            }
            DefKind::Value(
                Expr::Str { .. } | Expr::Num { .. } | Expr::Bool { .. } | Expr::NoneLit { .. },
            ) => StoreTarget::Other,
            DefKind::Mutation { .. } | DefKind::Phi { .. } => {
                let defs: Vec<DefId> = match &def.kind {
                    DefKind::Mutation { prev, .. } => {
                        f.ir.live(*prev).iter().map(|r| r.def).collect()
                    }
                    DefKind::Phi { sources } => sources
                        .iter()
                        .flat_map(|l| f.ir.live(*l).to_vec())
                        .map(|r| r.def)
                        .collect(),
                    _ => Vec::new(),
                };
                // A loop: the object that reaches the head again adds nothing (`usize::MAX`:
                // keys of this walk, apart from those of evaluation).
                let key = (fptr(f), d, usize::MAX);
                self.visiting.insert(key);
                let mut out: Option<StoreTarget> = None;
                let mut looped = false;
                for d in defs {
                    if self.visiting.contains(&(fptr(f), d, usize::MAX)) {
                        looped = true;
                        continue;
                    }
                    let t = self.def_target(f, d, depth + 1);
                    out = Some(match (out, t) {
                        (None, t) => t,
                        (Some(StoreTarget::Other), t) => t,
                        (Some(a), StoreTarget::Other) => a,
                        (Some(a), b) if same_target(&a, &b) => a,
                        _ => StoreTarget::Unknown,
                    });
                }
                self.visiting.remove(&key);
                out.unwrap_or(if looped {
                    StoreTarget::Other
                } else {
                    StoreTarget::Unknown
                })
            }
            _ => StoreTarget::Unknown,
        }
    }

    /// Whether store `si` of `sf` has run at the time of a read in `cx` (`time`: that time, read
    /// from `cx` when a store needs it, see [`Cx::time`]). A store on an object that is not
    /// known (`exact` false) is a possibility whether it has run or may run: only a store that
    /// never runs is told apart, without the time.
    fn store_applies(
        &mut self,
        sf: &Arc<FileAnalysis>,
        si: usize,
        exact: bool,
        time: &mut Option<Option<(Arc<FileAnalysis>, u32)>>,
        cx: &Cx,
    ) -> Applies {
        let st = &sf.ir.stores[si];
        if !matches!(sf.ir.scopes[st.scope].kind, ScopeKind::Module) {
            return Applies::Maybe;
        }
        let (looped, pred, end) = (st.looped, st.pred, st.span.end);
        if !exact {
            return match pred == TRUE || self.pred_holds(sf, pred, None) != Some(false) {
                true => Applies::Maybe,
                false => Applies::No,
            };
        }
        let time = time.get_or_insert_with(|| cx.time());
        let sure = |ev: &mut Self| -> Applies {
            if looped {
                return Applies::Maybe;
            }
            match if pred == TRUE {
                Some(true)
            } else {
                ev.pred_holds(sf, pred, None)
            } {
                Some(true) => Applies::Yes,
                Some(false) => Applies::No,
                None => Applies::Maybe,
            }
        };
        match time {
            Some((tf, off)) if Arc::ptr_eq(tf, sf) => {
                if end <= *off {
                    sure(self)
                } else if looped {
                    Applies::Maybe
                } else {
                    Applies::No
                }
            }
            // Another module: whether the store's module has run by then depends on the order
            // of imports, which is not followed (`main` may import it after the call); a store
            // that runs adds its value, it never replaces.
            Some(_) => match sure(self) {
                Applies::Yes => Applies::Maybe,
                other => other,
            },
            None => Applies::Maybe,
        }
    }
}

pub(crate) fn same_target(a: &StoreTarget, b: &StoreTarget) -> bool {
    match (a, b) {
        (StoreTarget::Class(f, c), StoreTarget::Class(g, d)) => f == g && c == d,
        (StoreTarget::Module(f), StoreTarget::Module(g)) => f == g,
        (StoreTarget::Instance(f, s), StoreTarget::Instance(g, t)) => f == g && s == t,
        (StoreTarget::Layer(p, s), StoreTarget::Layer(q, t)) => p == q && s == t,
        (StoreTarget::Init(p, s), StoreTarget::Init(q, t)) => p == q && s == t,
        (StoreTarget::Other, StoreTarget::Other) => true,
        _ => false,
    }
}

/// A dict or list method bound to its receiver.
fn method(base: &Val, name: &'static str) -> Vec<Cand> {
    vec![Cand::new(Val::Method {
        name,
        receiver: Box::new(base.clone()),
    })]
}

/// The function whose scope holds `scope` (a method's body, or a nested scope inside it).
fn method_scope_kind(f: &FileAnalysis, scope: ScopeId) -> ScopeKind {
    let mut s = Some(scope);
    while let Some(id) = s {
        if let k @ ScopeKind::Function(_) = f.ir.scopes[id].kind {
            return k;
        }
        s = f.ir.scopes[id].parent;
    }
    ScopeKind::Module
}

/// The origin step of a value set on an object from outside (`cfg.init = ...`, found by the
/// store index): "`init` set at " before the place.
fn set_at_prefix(attr: &str) -> String {
    format!("`{attr}` set at ")
}
