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

fn fptr(f: &Arc<FileAnalysis>) -> usize {
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
            Val::Unknown(r) => vec![Cand::unknown(r.clone())],
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
        if f.ir.is_local(0, attr) || f.ir.scopes[0].default_timeline.len() > 0 {
            let reaches: Vec<Reach> = f.ir.live_at(0, attr, u32::MAX).to_vec();
            let (vals, unbound) = self.eval_reaches(f, attr, &reaches, None);
            out.extend(vals);
            if let Some(defs) = f.ir.scopes[0].anytime.get(attr).cloned() {
                for d in defs.iter() {
                    out.extend(self.eval_def(f, *d, attr, None));
                }
            }
            if !unbound && !out.is_empty() {
                let target = StoreTarget::Module(fptr(f));
                return self.with_stores(out, &target, attr, cx, via);
            }
        }
        if let Some(n) = f.module_names.first() {
            if let Some(sub) = self.ws.modules.get(&format!("{n}.{attr}")) {
                out.push(Cand::new(Val::Module(sub.clone())));
                return out;
            }
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
        self.mro_at(f, c, 0)
    }

    fn mro_at(&mut self, f: &Arc<FileAnalysis>, c: ClassId, depth: usize) -> Vec<MroEntry> {
        if depth > 16 {
            return vec![
                MroEntry::Class(f.clone(), c),
                MroEntry::Foreign(Val::Unknown("a class hierarchy nested too deeply".into())),
            ];
        }
        let cls = f.ir.classes[c].clone();
        let bcx = Cx {
            file: f.clone(),
            scope: cls.parent_scope,
            at: cls.span.start,
            frame: None,
        };
        let mut seqs: Vec<Vec<MroEntry>> = Vec::new();
        let mut direct: Vec<MroEntry> = Vec::new();
        for b in &cls.bases {
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
        for e in mro[start..].to_vec() {
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
    fn instance_attr(
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
                let frame = if is_init {
                    self.construction_frame(i, f, fid)
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
                let runs = if is_init && st.scope == f.ir.functions[fid].scope {
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
                if runs == Some(true) && !definite {
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
            // An instance that is not known may be of a subclass that overrides it.
            if i.call.is_none() {
                let name = i.file.ir.classes[i.class].name.clone();
                for (sf, sc) in self.ws.subclasses(&name) {
                    let mro = self.mro(&sf, sc);
                    let derives = mro.iter().any(|e| matches!(e, MroEntry::Class(f, c) if Arc::ptr_eq(f, &i.file) && *c == i.class));
                    let scope = sf.ir.classes[sc].scope;
                    let overrides = sf.ir.is_local(scope, attr)
                        || sf.ir.classes[sc].self_attrs.contains_key(attr);
                    if !derives || !overrides {
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
                    args: Vec::new(),
                    keywords: Vec::new(),
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

    fn instance_target(&self, i: &InstanceVal) -> StoreTarget {
        match &i.call {
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
                    time: ccx.time(),
                    depth: ccx.frame.as_ref().map(|fr| fr.depth + 1).unwrap_or(1),
                    unknown_args: None,
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
        let mut fields: Vec<(u32, String)> = i.file.ir.scopes[scope]
            .defs
            .iter()
            .filter_map(|(n, ds)| {
                ds.iter()
                    .find(|d| matches!(i.file.ir.defs[**d as usize].kind, DefKind::Value(_)))
                    .map(|d| (i.file.ir.defs[*d as usize].span.start, n.to_string()))
            })
            .collect();
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
        let stores = self.ws.attr_stores(attr);
        if stores.is_empty() {
            return vals;
        }
        let time = cx.time();
        let mut out = vals;
        let mut ordered: Vec<(Arc<FileAnalysis>, u32, Applies)> = Vec::new();
        for (sf, si) in stores {
            let st = &sf.ir.stores[si];
            // Made through the name the object was read from, in the scope of the read: the
            // flow of that name has applied it in order.
            if let (Some(v), Expr::Name { id, .. }) = (via, &st.base) {
                if Arc::ptr_eq(&sf, &cx.file) && st.scope == cx.scope && id == v {
                    continue;
                }
            }
            let may = self.store_hits(&sf, si as u32, target);
            if !may {
                continue;
            }
            let applies = self.store_applies(&sf, si, &time);
            if applies != Applies::No {
                ordered.push((sf.clone(), si as u32, applies));
            }
        }
        ordered.sort_by_key(|(f, i, _)| (f.path.clone(), *i));
        for (sf, si, applies) in ordered {
            let st = sf.ir.stores[si as usize].clone();
            let here = self.place(&sf, st.span);
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
            let exact = matches!(
                self.store_target(&sf, si as usize),
                StoreTarget::Class(..)
                    | StoreTarget::Module(..)
                    | StoreTarget::Instance(..)
                    | StoreTarget::Layer(..)
            );
            let vals: Vec<Cand> = vals
                .into_iter()
                .map(|c| {
                    c.with_step(at(
                        if exact {
                            format!("`{attr}` set at {here}")
                        } else {
                            format!(
                                "`{attr}` may be set at {here} (on an object that is not known)"
                            )
                        },
                        &sf,
                        st.span,
                    ))
                })
                .collect();
            if applies == Applies::Yes && exact {
                out = vals;
            } else {
                out.extend(vals);
            }
        }
        out
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
        let stores = self.ws.attr_stores(attr);
        let time = cx.time();
        let mut out = Vec::new();
        for (sf, si) in stores {
            let st = sf.ir.stores[si].clone();
            if let (Some(v), Expr::Name { id, .. }) = (via, &st.base) {
                if Arc::ptr_eq(&sf, &cx.file) && st.scope == cx.scope && id == v {
                    continue;
                }
            }
            if !self.store_hits(&sf, si as u32, target) {
                continue;
            }
            if self.store_applies(&sf, si, &time) == Applies::No {
                continue;
            }
            let scx = Cx {
                file: sf.clone(),
                scope: st.scope,
                at: st.span.start,
                frame: None,
            };
            out.push(st.value.map(|v| (v, scx)));
        }
        out
    }

    /// Whether store `si` of `sf` may set an attribute of `target`.
    fn store_hits(&mut self, sf: &Arc<FileAnalysis>, si: u32, target: &StoreTarget) -> bool {
        let t = self.store_target(sf, si as usize);
        match (&t, target) {
            (StoreTarget::Unknown, _) => !matches!(target, StoreTarget::Other),
            (StoreTarget::Other, _) => false,
            (StoreTarget::Class(f, c), StoreTarget::Class(g, d)) => f == g && c == d,
            (StoreTarget::Module(f), StoreTarget::Module(g)) => f == g,
            (StoreTarget::Instance(f, s), StoreTarget::Instance(g, t)) => f == g && s == t,
            (StoreTarget::Layer(p, s), StoreTarget::Layer(q, t)) => p == q && s == t,
            // `self.x = ...` of a class's methods is part of instance_attr; on an instance that is
            // not known it may be any.
            (StoreTarget::InstanceOf(..), _) => false,
            (StoreTarget::Instance(..), StoreTarget::InstanceOf(..)) => true,
            _ => false,
        }
    }

    /// What the base of store `si` of `sf` may be (evaluated cheaply where the store is).
    fn store_target(&mut self, sf: &Arc<FileAnalysis>, si: usize) -> StoreTarget {
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
        let cx = Cx {
            file: sf.clone(),
            scope: st.scope,
            at: st.span.start,
            frame: None,
        };
        let saved = self.fuel;
        let budget = saved.min(CALLEE_FUEL);
        self.fuel = budget;
        let vals = self.eval(&st.base, &cx);
        self.fuel = saved - (budget - self.fuel);
        let mut out: Option<StoreTarget> = None;
        for v in vals {
            let t = match v.val {
                Val::Class(f, c) => StoreTarget::Class(fptr(&f), c),
                Val::Module(f) => StoreTarget::Module(fptr(&f)),
                Val::Instance(i) => match &i.call {
                    Some((c, ccx)) => StoreTarget::Instance(fptr(&ccx.file), c.span),
                    None => StoreTarget::Unknown,
                },
                Val::Layer(l) => match &l.site {
                    Some((p, s)) => StoreTarget::Layer(p.clone(), *s),
                    None => StoreTarget::Unknown,
                },
                Val::Str(_) | Val::Num(_) | Val::Bool(_) | Val::NoneV | Val::Ns(_) => {
                    StoreTarget::Other
                }
                _ => StoreTarget::Unknown,
            };
            out = Some(match (out, t) {
                (None, t) => t,
                (Some(StoreTarget::Other), t) => t,
                (Some(a), StoreTarget::Other) => a,
                // Several objects: any of them.
                _ => StoreTarget::Unknown,
            });
        }
        out.unwrap_or(StoreTarget::Unknown)
    }

    /// Whether store `si` of `sf` has run at the time `time` of a read.
    fn store_applies(
        &mut self,
        sf: &Arc<FileAnalysis>,
        si: usize,
        time: &Option<(Arc<FileAnalysis>, u32)>,
    ) -> Applies {
        let st = sf.ir.stores[si].clone();
        if !matches!(sf.ir.scopes[st.scope].kind, ScopeKind::Module) {
            return Applies::Maybe;
        }
        let sure = |ev: &mut Self| -> Applies {
            if st.looped {
                return Applies::Maybe;
            }
            match if st.pred == TRUE {
                Some(true)
            } else {
                ev.pred_holds(sf, st.pred, None)
            } {
                Some(true) => Applies::Yes,
                Some(false) => Applies::No,
                None => Applies::Maybe,
            }
        };
        match time {
            Some((tf, off)) if Arc::ptr_eq(tf, sf) => {
                if st.span.end <= *off {
                    sure(self)
                } else if st.looped {
                    Applies::Maybe
                } else {
                    Applies::No
                }
            }
            // Another module that has run to its end.
            Some(_) => sure(self),
            None => Applies::Maybe,
        }
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
