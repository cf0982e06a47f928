//! Keras and TensorFlow semantics: namespaces (`keras.layers`, `tf.compat.v1`, ...), initializer
//! classes and their configs, identifier strings, TensorFlow-core initializers, workspace
//! initializer classes and functions, and names registered as custom objects. Every fact comes
//! from the generated data ([`crate::knowledge`]).
//!
//! A registered name resolves only where Keras would find it: the registering module must have
//! run before the construction (imported by the construction's module, or by the module whose
//! code starts the chain of calls, before the call). When that cannot be decided, the answer says
//! both (the class, or Keras raising `ValueError`).

use super::*;
use crate::analysis::custom::is_super_init;
use crate::analysis::{Candidate, FileAnalysis, InitKind, InitVal};
use serde_json::Map;

impl<'w> Evaluator<'w> {
    /// Builds a Keras initializer instance from its class and arguments.
    pub fn construct_init(&mut self, cls: &str, set: &ArgSet) -> Cand {
        let Some(info) = self.data.initializers.classes.get(cls) else {
            return Cand::unknown(format!(
                "initializer class `{cls}` is not in the Keras data"
            ));
        };
        if let Some(r) = set.open_pos.as_ref().or(set.open.as_ref()) {
            return Cand::unknown(format!("arguments of `{cls}`: {r}"));
        }
        let mut config = info.default_config.clone();
        let positional: Vec<&str> = info
            .signature
            .iter()
            .filter(|p| {
                p.kind != "VAR_KEYWORD" && p.kind != "VAR_POSITIONAL" && p.kind != "KEYWORD_ONLY"
            })
            .map(|p| p.name.as_str())
            .collect();
        let mut given: Vec<(String, Expr, Cx)> = Vec::new();
        for (i, (e, c)) in set.args.iter().enumerate() {
            match positional.get(i) {
                Some(n) => given.push((n.to_string(), e.clone(), c.clone())),
                None => return Cand::unknown(format!("too many positional arguments for `{cls}`")),
            }
        }
        given.extend(set.kws.iter().cloned());
        for (n, e, c) in given {
            if !info.signature.iter().any(|p| p.name == n) && !config.contains_key(&n) {
                return Cand::unknown(format!(
                    "`{cls}` has no parameter `{n}` (Keras would raise TypeError)"
                ));
            }
            let vals = self.eval(&e, &c);
            let lit = match vals.as_slice() {
                [v] => self.literal_json_deep(&v.val.clone()),
                _ => None,
            };
            match lit {
                Some(j) => {
                    // Only keys `get_config()` reports (Identity's `gain` is not one in Keras 3.15).
                    if config.contains_key(&n) {
                        let j = normalize_arg(cls, &info.bases, &n, j);
                        config.insert(n, j);
                    }
                }
                None => {
                    let why = vals
                        .iter()
                        .find_map(|v| match &v.val {
                            Val::Unknown(r) => Some(r.clone()),
                            _ => None,
                        })
                        .unwrap_or_else(|| {
                            if vals.len() > 1 {
                                "it has several possible values".into()
                            } else {
                                "it is not a literal".into()
                            }
                        });
                    return Cand::unknown(format!("argument `{n}` of `{cls}`: {why}"));
                }
            }
        }
        Cand::new(Val::Init(InitVal {
            class: cls.to_string(),
            config,
            kind: InitKind::Keras,
            note: None,
            instance: None,
        }))
    }

    pub(crate) fn construct_tf(&mut self, key: &str, set: &ArgSet) -> Cand {
        let Some(info) = tf_spelling(key) else {
            return Cand::unknown(format!("`{key}` is not in the TensorFlow data"));
        };
        if info.get("exists").and_then(Value::as_bool) == Some(false) {
            let err = info
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("it does not exist");
            return Cand::unknown(format!("`{key}` does not exist in TensorFlow 2.21 ({err})"));
        }
        if let Some(r) = set.open_pos.as_ref().or(set.open.as_ref()) {
            return Cand::unknown(format!("arguments of `{key}`: {r}"));
        }
        // What a layer ends up holding: Keras 3 on the TF backend keeps the TF object and serializes
        // it as recorded under `keras3_tf_backend`; tf_keras as recorded for its Dense kernel.
        let (class, module, mut config) = if self.data.flavor == "keras2" {
            let i = info.pointer("/tf_keras_dense_kernel/initializer");
            (
                i.and_then(|i| i.get("class")).and_then(Value::as_str),
                i.and_then(|i| i.get("module")).and_then(Value::as_str),
                i.and_then(|i| i.get("config"))
                    .and_then(Value::as_object)
                    .cloned(),
            )
        } else {
            let i = info.pointer("/keras3_tf_backend/serialized");
            (
                i.and_then(|i| i.get("class_name")).and_then(Value::as_str),
                i.and_then(|i| i.get("module")).and_then(Value::as_str),
                i.and_then(|i| i.get("config"))
                    .and_then(Value::as_object)
                    .cloned(),
            )
        };
        let class = class
            .or(info.get("class").and_then(Value::as_str))
            .unwrap_or(key)
            .to_string();
        let module = module
            .or(info.get("module").and_then(Value::as_str))
            .unwrap_or("tensorflow")
            .to_string();
        let mut config = config
            .take()
            .or_else(|| {
                info.get("default_config")
                    .and_then(Value::as_object)
                    .cloned()
            })
            .unwrap_or_default();
        let sig: Vec<String> = info
            .get("signature")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.get("name").and_then(Value::as_str).map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut given: Vec<(String, Expr, Cx)> = Vec::new();
        for (i, (e, c)) in set.args.iter().enumerate() {
            match sig.get(i) {
                Some(n) => given.push((n.clone(), e.clone(), c.clone())),
                None => return Cand::unknown(format!("too many positional arguments for `{key}`")),
            }
        }
        given.extend(set.kws.iter().cloned());
        for (n, e, c) in given {
            let vals = self.eval(&e, &c);
            match vals.as_slice() {
                [v] if literal_json(&v.val).is_some() => {
                    config.insert(n, literal_json(&v.val).unwrap_or(Value::Null));
                }
                _ => {
                    return Cand::unknown(format!(
                        "argument `{n}` of `{key}` is not known statically"
                    ))
                }
            }
        }
        Cand::new(Val::Init(InitVal {
            class,
            config,
            kind: InitKind::TfCore {
                module,
                spelling: key.to_string(),
            },
            note: None,
            instance: None,
        }))
    }

    /// What `initializers.get(v)` does with a value: the initializer(s) it yields. `cx` is the
    /// context of the layer construction (where a registered name must be known).
    pub fn to_initializer(&mut self, c: Cand, cx: &Cx) -> Vec<Candidate> {
        let origin = c.origin.clone();
        let unresolved = |reason: String| Candidate::Unresolved {
            reason,
            origin: origin.clone(),
        };
        match c.val {
            Val::Init(init) => vec![Candidate::Resolved { init, origin }],
            Val::Str(s) => match self.identifier(&s) {
                Ok(init) => vec![Candidate::Resolved { init, origin }],
                Err(r) => {
                    let regs = self.registered(&s, cx);
                    if regs.is_empty() {
                        return vec![unresolved(r)];
                    }
                    let mut out = Vec::new();
                    let mut sure = false;
                    for (v, reg, certain) in regs {
                        sure |= certain;
                        let mut origin = origin.clone();
                        origin.push(reg);
                        out.extend(self.to_initializer(Cand { val: v, origin }, cx));
                    }
                    if !sure {
                        out.push(unresolved(format!(
                            "'{s}' is registered only by a module that may not be imported before this construction (else Keras raises ValueError)"
                        )));
                    }
                    out
                }
            },
            Val::Dict(d) => {
                if let Some(r) = &d.shared {
                    return vec![unresolved(r.clone())];
                }
                let class = d
                    .entries
                    .iter()
                    .rev()
                    .find(|(k, _, _)| k == "class_name")
                    .cloned();
                let Some((_, ce, ccx)) = class else {
                    return vec![unresolved(
                        d.open.clone().unwrap_or_else(|| "a dict without 'class_name'".into()),
                    )];
                };
                let Some(name) = self.single_str(&ce, &ccx) else {
                    return vec![unresolved("'class_name' is not a literal string".into())];
                };
                // `deserialize` looks class names up in the registry, which has every class
                // (also those whose bare string identifier is broken, like 'Constant').
                let cls = if self.data.initializers.classes.contains_key(&name) {
                    Some(name.clone())
                } else {
                    self.class_for_identifier(&name)
                };
                let Some(cls) = cls else {
                    return vec![unresolved(format!("'{name}' is not a Keras initializer"))];
                };
                let mut set = ArgSet::default();
                if let Some((_, cfg, cfgx)) = d
                    .entries
                    .iter()
                    .rev()
                    .find(|(k, _, _)| k == "config")
                    .cloned()
                {
                    let cfgs = self.eval(&cfg, &cfgx);
                    match cfgs.as_slice() {
                        [v] => match &v.val {
                            Val::Dict(c) if c.open.is_none() && c.shared.is_none() => {
                                set.kws = c.entries.clone()
                            }
                            _ => return vec![unresolved("'config' is not a literal dict".into())],
                        },
                        _ => return vec![unresolved("'config' has several possible values".into())],
                    }
                } else if let Some(r) = &d.open {
                    return vec![unresolved(r.clone())];
                }
                let r = self.construct_init(&cls, &set);
                let mut out = self.to_initializer(r, cx);
                for o in &mut out {
                    let (Candidate::Resolved { origin: oo, .. }
                    | Candidate::Unresolved { origin: oo, .. }) = o;
                    let mut all = origin.clone();
                    all.append(oo);
                    *oo = all;
                }
                out
            }
            Val::InitClass(cls) => {
                // `initializers.get` instantiates a class it is given.
                let r = self.construct_init(&cls, &ArgSet::default());
                self.to_initializer(Cand { val: r.val, origin }, cx)
            }
            Val::Instance(inst) => {
                let cls = inst.file.ir.classes[inst.class].clone();
                match self.initializer_base(&inst.file, inst.class) {
                    Some(base) => {
                        let config = match self.custom_init_config(&inst, &base) {
                            Ok(c) => c,
                            Err(why) => {
                                return vec![unresolved(format!(
                                    "an instance of `{}` (a subclass of `{base}`) whose config \
                                     is not known: {why}",
                                    cls.name
                                ))]
                            }
                        };
                        vec![Candidate::Resolved {
                            init: InitVal {
                                class: cls.name.clone(),
                                config,
                                kind: InitKind::CustomClass {
                                    file: inst.file.path.clone(),
                                    span: cls.name_span,
                                    doc: cls.doc.clone(),
                                    base: Some(base),
                                },
                                note: None,
                                instance: inst
                                    .call
                                    .as_ref()
                                    .map(|(c, ccx)| (ccx.file.path.clone(), c.span)),
                            },
                            origin,
                        }]
                    }
                    None => vec![unresolved(format!(
                        "an instance of `{}`, which is not an initializer",
                        cls.name
                    ))],
                }
            }
            Val::Class(file, class) => {
                // `initializers.get` instantiates a class it is given.
                if self.initializer_base(&file, class).is_some() {
                    let inst = Val::Instance(Box::new(InstanceVal {
                        file,
                        class,
                        call: None,
                        args: None,
                        attrs: Vec::new(),
                    }));
                    self.to_initializer(Cand { val: inst, origin }, cx)
                } else {
                    vec![unresolved(format!(
                        "the class `{}` is not an initializer",
                        file.ir.classes[class].name
                    ))]
                }
            }
            Val::Func { file, id, .. } => {
                let f = &file.ir.functions[id];
                let mut config = Map::new();
                config.insert(
                    "name".into(),
                    Value::String(qualname(&file, f.parent_scope, &f.name)),
                );
                vec![Candidate::Resolved {
                    init: InitVal {
                        class: "Callable".into(),
                        config,
                        kind: InitKind::CustomFunction {
                            file: file.path.clone(),
                            span: f.name_span,
                            doc: f.doc.clone(),
                        },
                        note: None,
                        instance: None,
                    },
                    origin,
                }]
            }
            Val::Lambda { file, span } => vec![Candidate::Resolved {
                init: InitVal {
                    class: "Callable".into(),
                    config: [(
                        "name".to_string(),
                        Value::String({
                            let parent = file
                                .ir
                                .scopes
                                .iter()
                                .find(|s| s.kind == ScopeKind::Lambda && s.span == span)
                                .and_then(|s| s.parent)
                                .unwrap_or(0);
                            qualname(&file, parent, "<lambda>")
                        }),
                    )]
                    .into_iter()
                    .collect(),
                    kind: InitKind::CustomFunction {
                        file: file.path.clone(),
                        span,
                        doc: None,
                    },
                    note: None,
                    instance: None,
                },
                origin,
            }],
            Val::BoundMethod { file, id, .. } => vec![unresolved(format!(
                "the method `{}` bound to an object (Keras would call it with the object as the shape)",
                file.ir.functions[id].name
            ))],
            Val::NoneV => vec![unresolved("None".into())],
            Val::Unknown(r) => vec![unresolved(r)],
            other => vec![unresolved(format!(
                "{} is not an initializer",
                describe(&other)
            ))],
        }
    }

    /// `get_config()` of a workspace initializer instance: with its own `get_config`, the
    /// `__init__` parameters (defaults, then the construction's arguments); without, the built-in
    /// base's config with the arguments of the same names.
    ///
    /// Without its own `get_config`, a workspace `__init__` must hand its arguments to the base's
    /// `super().__init__(...)`: parameters passed on under their own names keep the construction's
    /// arguments, other arguments of that call must be literals; anything else (no such call, an
    /// expression, `self.x = ...` of a config key, several workspace `__init__`s) is an error with
    /// the reason, as the base's `get_config` reads what its `__init__` stored.
    fn custom_init_config(
        &mut self,
        inst: &InstanceVal,
        base: &str,
    ) -> Result<Map<String, Value>, String> {
        let file = &inst.file;
        let own_get_config = self.class_method(file, inst.class, "get_config").is_some();
        let init = self.class_method(file, inst.class, "__init__");
        let mut config = Map::new();
        if !own_get_config {
            if let Some(info) = self.data.initializers.classes.get(base) {
                config = info.default_config.clone();
            }
        }
        // Parameters of a workspace `__init__` that reach the base's under their own name.
        let mut passed_on: Option<Vec<String>> = None;
        if let (false, Some((f, fid))) = (own_get_config, &init) {
            let (names, literals) = self.super_init_args(f, *fid, base)?;
            for (k, v) in literals {
                config.insert(k, v);
            }
            passed_on = Some(names);
        }
        let mut params: Vec<String> = Vec::new();
        match &init {
            Some((f, fid)) => {
                let func = f.ir.functions[*fid].clone();
                for (i, p) in func.params.iter().enumerate().skip(1) {
                    if matches!(p.kind, ParamKind::VarArgs | ParamKind::VarKeywords) {
                        continue;
                    }
                    params.push(p.name.clone());
                    if own_get_config || config.contains_key(&p.name) {
                        let d = self.param_default(f, *fid, i);
                        if let [v] = d.as_slice() {
                            if let Some(j) = literal_json(&v.val) {
                                config.insert(p.name.clone(), j);
                            }
                        }
                    }
                }
            }
            None => {
                if let Some(info) = self.data.initializers.classes.get(base) {
                    params = info
                        .signature
                        .iter()
                        .filter(|p| p.kind != "VAR_KEYWORD" && p.kind != "VAR_POSITIONAL")
                        .map(|p| p.name.clone())
                        .collect();
                }
            }
        }
        let set = match (&inst.args, &inst.call) {
            (Some(a), _) => Some((**a).clone()),
            (None, Some((call, ccx))) => {
                let sets = self.call_args(call, ccx, Vec::new(), Vec::new());
                (sets.len() == 1).then(|| sets.into_iter().next()).flatten()
            }
            (None, None) => None,
        };
        if let Some(set) = set {
            let mut given: Vec<(String, Expr, Cx)> = Vec::new();
            for (i, (a, c)) in set.args.iter().enumerate() {
                if let Some(n) = params.get(i) {
                    given.push((n.clone(), a.clone(), c.clone()));
                }
            }
            given.extend(set.kws.iter().cloned());
            for (n, e, c) in given {
                if !own_get_config && !config.contains_key(&n) {
                    continue;
                }
                if passed_on.as_ref().is_some_and(|p| !p.contains(&n)) {
                    continue;
                }
                let vals = self.eval(&e, &c);
                if let [v] = vals.as_slice() {
                    if let Some(j) = self.literal_json_deep(&v.val.clone()) {
                        config.insert(n, j);
                    }
                }
            }
        }
        Ok(config)
    }

    /// The arguments the workspace `__init__` `fid` of `f` gives the built-in base initializer's
    /// `__init__` (see [`Evaluator::custom_init_config`]): the parameters it passes on under their
    /// own names, and the config keys it sets to literals.
    #[allow(clippy::type_complexity)]
    fn super_init_args(
        &mut self,
        f: &Arc<FileAnalysis>,
        fid: FuncId,
        base: &str,
    ) -> Result<(Vec<String>, Vec<(String, Value)>), String> {
        let func = f.ir.functions[fid].clone();
        let params: Vec<String> = func.params.iter().skip(1).map(|p| p.name.clone()).collect();
        let Some(info) = self.data.initializers.classes.get(base).cloned() else {
            return Err(format!("`{base}` is not known"));
        };
        let keys: Vec<String> = info.default_config.keys().cloned().collect();
        // `self.<config key> = ...` in the `__init__`: the base's `get_config` may read it.
        let stores = f.ir.defs.iter().any(|d| {
            d.scope as usize == func.scope
                && matches!(&d.kind, DefKind::Mutation { op, .. }
                    if matches!(&**op, Mutation::SetAttr { attr, .. }
                        if keys.iter().any(|k| k == attr.as_str())))
        });
        if stores {
            return Err("its `__init__` sets attributes the base's `get_config` reads".into());
        }
        let sup: Vec<Arc<Call>> =
            f.ir.calls
                .iter()
                .filter(|c| c.scope == func.scope && is_super_init(&c.call))
                .map(|c| c.call.clone())
                .collect();
        let [call] = sup.as_slice() else {
            return Err(format!(
                "its `__init__` calls the base's `__init__` {} times",
                sup.len()
            ));
        };
        let base_params: Vec<&str> = info
            .signature
            .iter()
            .filter(|p| p.kind != "VAR_KEYWORD" && p.kind != "VAR_POSITIONAL")
            .map(|p| p.name.as_str())
            .collect();
        // `Base.__init__(self, ...)` takes `self` first.
        let skip = usize::from(!matches!(&call.func, Expr::Attr { value, .. }
            if matches!(&**value, Expr::Call(_))));
        let mut named: Vec<(String, Expr)> = Vec::new();
        for (i, a) in call.args.iter().enumerate().skip(skip) {
            match (a, base_params.get(i - skip)) {
                (Expr::Starred { .. }, _) | (_, None) => {
                    return Err(
                        "its `__init__` passes positional arguments that are not followed".into(),
                    )
                }
                (e, Some(p)) => named.push((p.to_string(), e.clone())),
            }
        }
        for k in &call.keywords {
            match &k.name {
                Some(n) => named.push((n.to_string(), k.value.clone())),
                // `**kwargs` passed on: the construction's keywords of the base's names.
                None => match &k.value {
                    Expr::Name { id, .. }
                        if func.params.iter().any(|p| {
                            p.name == id.as_str() && matches!(p.kind, ParamKind::VarKeywords)
                        }) => {}
                    _ => {
                        return Err(
                            "its `__init__` passes `**` arguments that are not followed".into()
                        )
                    }
                },
            }
        }
        let (mut passed, mut literals) = (Vec::new(), Vec::new());
        for (n, e) in named {
            match &e {
                Expr::Name { id, .. } if id.as_str() == n && params.contains(&n) => passed.push(n),
                _ => {
                    let cx = Cx {
                        file: f.clone(),
                        scope: func.scope,
                        at: call.span.start,
                        frame: Some(self.unknown_frame(
                            f,
                            fid,
                            None,
                            "the construction's arguments are not followed here".into(),
                        )),
                    };
                    let vals = self.eval(&e, &cx);
                    match vals.as_slice() {
                        [v] => match self.literal_json_deep(&v.val.clone()) {
                            Some(j) => literals.push((n, j)),
                            None => return Err(format!("`{n}` is not a literal")),
                        },
                        _ => return Err(format!("`{n}` is not one literal")),
                    }
                }
            }
        }
        // `**kwargs` passed on: the construction's keywords of the base's names.
        if call.keywords.iter().any(|k| k.name.is_none()) {
            passed.extend(base_params.iter().map(|p| p.to_string()));
        }
        Ok((passed, literals))
    }

    /// The workspace definition of method `name` on the class or its workspace bases (MRO).
    pub fn class_method(
        &mut self,
        file: &Arc<FileAnalysis>,
        class: ClassId,
        name: &str,
    ) -> Option<(Arc<FileAnalysis>, FuncId)> {
        for e in self.mro(file, class) {
            match e {
                objects::MroEntry::Class(f, c) => {
                    if let Some(m) = f.ir.classes[c].methods.get(name) {
                        return Some((f.clone(), *m));
                    }
                }
                objects::MroEntry::Foreign(_) => return None,
            }
        }
        None
    }

    /// The Keras initializer class a workspace class derives from, if any.
    pub fn initializer_base(&mut self, file: &Arc<FileAnalysis>, class: ClassId) -> Option<String> {
        for e in self.mro(file, class) {
            if let objects::MroEntry::Foreign(Val::InitClass(c)) = e {
                return Some(c);
            }
        }
        None
    }

    /// The workspace classes and functions registered as custom objects under `name`
    /// (`@keras.saving.register_keras_serializable(package=..., name=...)`, registered as
    /// `package>name`, name defaulting to the class name, package to `Custom`;
    /// `get_custom_objects().update({...})` / `get_custom_objects()[name] = ...`), each with
    /// the step that registers it and whether it surely has run before the construction in `cx`.
    pub fn registered(&mut self, name: &str, cx: &Cx) -> Vec<(Val, Step, bool)> {
        let files: Vec<Arc<FileAnalysis>> = self.ws.files.values().cloned().collect();
        let mut out = Vec::new();
        for f in &files {
            // Decorated classes and functions.
            let decorated: Vec<(Vec<Expr>, Val, String, Span, Span, ScopeId)> =
                f.ir.classes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        (
                            c.decorators.clone(),
                            Val::Class(f.clone(), i),
                            c.name.clone(),
                            c.name_span,
                            c.span,
                            c.parent_scope,
                        )
                    })
                    .chain(f.ir.functions.iter().enumerate().map(|(i, fun)| {
                        (
                            fun.decorators.clone(),
                            Val::Func {
                                file: f.clone(),
                                id: i,
                                closure: None,
                            },
                            fun.name.clone(),
                            fun.name_span,
                            fun.span,
                            fun.parent_scope,
                        )
                    }))
                    .filter(|d| !d.0.is_empty())
                    .collect();
            for (decos, val, own, span, whole, scope) in decorated {
                for d in decos {
                    let Expr::Call(c) = &d else { continue };
                    let is_reg = matches!(&c.func, Expr::Attr { attr, .. } | Expr::Name { id: attr, .. }
                        if attr == "register_keras_serializable");
                    if !is_reg {
                        continue;
                    }
                    let dcx = Cx {
                        file: f.clone(),
                        scope,
                        at: c.span.start,
                        frame: None,
                    };
                    let lit = |ev: &mut Self, k: &str, pos: usize| -> Option<String> {
                        let e = c
                            .keyword(k)
                            .map(|k| k.value.clone())
                            .or_else(|| c.args.get(pos).cloned())?;
                        ev.single_str(&e, &dcx)
                    };
                    let package = lit(self, "package", 0).unwrap_or_else(|| "Custom".into());
                    let reg_name = lit(self, "name", 1).unwrap_or_else(|| own.clone());
                    if name == format!("{package}>{reg_name}") {
                        let certain = scope == 0 && self.has_run(f, whole.end, cx);
                        let maybe = certain || self.may_run(f, cx);
                        if !maybe {
                            continue;
                        }
                        let step = Step {
                            text: format!(
                                "registered as '{package}>{reg_name}' at {}",
                                self.place(f, span)
                            ),
                            file: Some(f.path.clone()),
                            span: Some(span),
                        };
                        out.push((val.clone(), step, certain));
                    }
                }
            }
            // `get_custom_objects().update({...})` and `get_custom_objects()[name] = ...`.
            for site in &f.ir.calls {
                let call = &site.call;
                let Expr::Attr { value, attr, .. } = &call.func else {
                    continue;
                };
                let on_custom_objects = attr == "update"
                    && matches!(&**value, Expr::Call(c) if matches!(&c.func, Expr::Attr { attr, .. } | Expr::Name { id: attr, .. } if attr == "get_custom_objects"));
                if !on_custom_objects {
                    continue;
                }
                let Some(dict) = call.args.first().cloned() else {
                    continue;
                };
                let dcx = Cx {
                    file: f.clone(),
                    scope: site.scope,
                    at: call.span.start,
                    frame: None,
                };
                for d in self.eval(&dict, &dcx) {
                    let Val::Dict(d) = d.val else { continue };
                    if let Some((_, e, ecx)) = d.entries.iter().rev().find(|(k, _, _)| k == name) {
                        let (e, ecx) = (e.clone(), ecx.clone());
                        for v in self.eval(&e, &ecx) {
                            if matches!(v.val, Val::Class(..) | Val::Func { .. }) {
                                let certain = site.scope == 0
                                    && site.pred == TRUE
                                    && self.has_run(f, call.span.end, cx);
                                if !certain && !self.may_run(f, cx) {
                                    continue;
                                }
                                let step = Step {
                                    text: format!(
                                        "registered as '{name}' at {}",
                                        self.place(f, call.span)
                                    ),
                                    file: Some(f.path.clone()),
                                    span: Some(call.span),
                                };
                                out.push((v.val, step, certain));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether module-level code of `reg` up to offset `end` has surely run when the
    /// construction in `cx` runs: the module where the chain of calls starts ran it before the
    /// chain's start, or imported `reg` before it; or the construction's module (which has run to
    /// its end when it is called from another module) is `reg` or imports it.
    fn has_run(&mut self, reg: &Arc<FileAnalysis>, end: u32, cx: &Cx) -> bool {
        let reg_key = Arc::as_ptr(reg) as *const u8 as usize;
        match cx.time() {
            Some((tf, off)) => {
                if Arc::ptr_eq(&tf, reg) {
                    return end <= off;
                }
                if self.imports_before(&tf, off).contains(&reg_key) {
                    return true;
                }
                if !Arc::ptr_eq(&tf, &cx.file) {
                    return Arc::ptr_eq(&cx.file, reg)
                        || self.all_imports(&cx.file).contains(&reg_key);
                }
                false
            }
            None => {
                (Arc::ptr_eq(&cx.file, reg) && end <= cx.at)
                    || self.imports_before(&cx.file, cx.at).contains(&reg_key)
            }
        }
    }

    /// Whether module `reg` may have run before the construction in `cx`: another module imports
    /// it, or it imports the construction's module (it may be the script that runs it).
    fn may_run(&mut self, reg: &Arc<FileAnalysis>, cx: &Cx) -> bool {
        let key = Arc::as_ptr(reg) as *const u8 as usize;
        let own = Arc::as_ptr(&cx.file) as *const u8 as usize;
        if Arc::ptr_eq(reg, &cx.file) || self.all_imports(reg).contains(&own) {
            return true;
        }
        let files: Vec<Arc<FileAnalysis>> = self.ws.files.values().cloned().collect();
        files
            .iter()
            .any(|f| !Arc::ptr_eq(f, reg) && self.all_imports(f).contains(&key))
    }

    /// The workspace modules imported (transitively, by module-level imports) by the code of
    /// `file` before offset `at`: file addresses.
    fn imports_before(
        &mut self,
        file: &Arc<FileAnalysis>,
        at: u32,
    ) -> Arc<rustc_hash::FxHashSet<usize>> {
        let mut out: rustc_hash::FxHashSet<usize> = Default::default();
        for m in self.direct_imports(file, at) {
            let k = Arc::as_ptr(&m) as *const u8 as usize;
            if out.insert(k) {
                for t in self.all_imports(&m).iter() {
                    out.insert(*t);
                }
            }
        }
        Arc::new(out)
    }

    /// Every module `file` imports at its top level, transitively (memoized).
    fn all_imports(&mut self, file: &Arc<FileAnalysis>) -> Arc<rustc_hash::FxHashSet<usize>> {
        let key = Arc::as_ptr(file) as *const u8 as usize;
        if let Some(hit) = self.imports_memo.get(&key) {
            return hit.clone();
        }
        // Provisionally empty (an import cycle adds nothing more).
        self.imports_memo.insert(key, Arc::new(Default::default()));
        let mut out: rustc_hash::FxHashSet<usize> = Default::default();
        let mut todo = self.direct_imports(file, u32::MAX);
        let mut steps = 0;
        while let Some(m) = todo.pop() {
            steps += 1;
            if steps > 4096 {
                break;
            }
            let k = Arc::as_ptr(&m) as *const u8 as usize;
            if k == key || !out.insert(k) {
                continue;
            }
            todo.extend(self.direct_imports(&m, u32::MAX));
        }
        let out = Arc::new(out);
        self.imports_memo.insert(key, out.clone());
        out
    }

    /// The workspace modules imported by module-level import statements of `file` before
    /// offset `at` (a package's `__init__` included for `import pkg.mod`).
    fn direct_imports(&mut self, file: &Arc<FileAnalysis>, at: u32) -> Vec<Arc<FileAnalysis>> {
        let mut out = Vec::new();
        for d in file
            .ir
            .defs
            .iter()
            .filter(|d| d.scope == 0 && d.span.start < at)
        {
            let (module, level, name): (&str, u32, Option<&str>) = match &d.kind {
                DefKind::Import { full, .. } => (full, 0, None),
                DefKind::ImportFrom {
                    module,
                    level,
                    name,
                } => (module, *level, Some(name)),
                DefKind::StarImport { module, level, .. } => (module, *level, None),
                _ => continue,
            };
            // `import a.b.c` imports a, a.b and a.b.c.
            let mut prefix = String::new();
            for part in module.split('.').filter(|p| !p.is_empty()) {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(part);
                if let Val::Module(m) = self.import_module(file, &prefix, level) {
                    out.push(m);
                }
            }
            if module.is_empty() {
                if let Val::Module(m) = self.import_module(file, "", level) {
                    out.push(m);
                }
            }
            if let Some(n) = name {
                let full = if module.is_empty() {
                    n.to_string()
                } else {
                    format!("{module}.{n}")
                };
                if let Val::Module(m) = self.import_module(file, &full, level) {
                    out.push(m);
                }
            }
        }
        out
    }

    /// Keras class for an identifier string, or `None` if `initializers.get` rejects it.
    pub fn class_for_identifier(&self, s: &str) -> Option<String> {
        self.data.initializers.identifiers.get(s).cloned()
    }

    /// What `initializers.get("s")` builds (from the Keras data alone, so memoized per
    /// evaluator).
    pub fn identifier(&mut self, s: &str) -> Result<InitVal, String> {
        if let Some(hit) = self.identifier_memo.get(s) {
            return hit.clone();
        }
        let out = self.identifier_uncached(s);
        self.identifier_memo.insert(s.to_string(), out.clone());
        out
    }

    fn identifier_uncached(&mut self, s: &str) -> Result<InitVal, String> {
        if let Some(err) = self.data.initializers.broken_identifiers.get(s) {
            return Err(format!(
                "Keras {} raises {err} for the identifier '{s}'",
                self.data.keras_version()
            ));
        }
        let Some(cls) = self.class_for_identifier(s) else {
            return Err(format!(
                "'{s}' is not an initializer identifier Keras {} accepts (it raises ValueError)",
                self.data.keras_version()
            ));
        };
        let c = self.construct_init(&cls, &ArgSet::default());
        match c.val {
            Val::Init(i) => Ok(i),
            Val::Unknown(r) => Err(r),
            _ => Err("unexpected".into()),
        }
    }
}

/// Python's `__qualname__` of a function or lambda named `own` defined in `scope` of `file`
/// (`C.m`, `f.<locals>.g`, `C.<lambda>`): how the runtime names a callable initializer.
pub fn qualname(file: &FileAnalysis, scope: ScopeId, own: &str) -> String {
    let mut parts = vec![own.to_string()];
    let mut s = Some(scope);
    for _ in 0..256 {
        let Some(id) = s else { break };
        let sc = &file.ir.scopes[id];
        match sc.kind {
            ScopeKind::Module => break,
            ScopeKind::Class(c) => parts.push(file.ir.classes[c].name.clone()),
            ScopeKind::Function(f) => parts.push(format!("{}.<locals>", file.ir.functions[f].name)),
            ScopeKind::Lambda => parts.push("<lambda>.<locals>".into()),
            // Python 3.11: a comprehension is a function named after its kind.
            ScopeKind::Comprehension => parts.push("<listcomp>".into()),
        }
        s = sc.parent;
    }
    parts.reverse();
    parts.join(".")
}

/// Normalizations Keras applies to constructor arguments before `get_config()` reports them:
/// VarianceScaling lowercases `mode` and `distribution` and rewrites `"normal"` to
/// `"truncated_normal"` (keras/src/initializers/random_initializers.py, `VarianceScaling.__init__`).
fn normalize_arg(cls: &str, bases: &[String], name: &str, v: Value) -> Value {
    let vs = cls == "VarianceScaling" || bases.iter().any(|b| b == "VarianceScaling");
    match (vs, name, &v) {
        (true, "mode" | "distribution", Value::String(s)) => {
            let s = s.to_lowercase();
            Value::String(if s == "normal" {
                "truncated_normal".into()
            } else {
                s
            })
        }
        _ => v,
    }
}

/// The generated facts about a TensorFlow spelling (`tf.random_normal_initializer`,
/// `tf.compat.v1.initializers.he_normal`, ...), measured with TensorFlow 2.21 (`keras2.json`).
pub fn tf_spelling(key: &str) -> Option<&'static Value> {
    knowledge::data(knowledge::KerasVersion::Keras2)
        .tf_core
        .get("spellings")?
        .get(key)
}

/// `ns.attr` for Keras, TensorFlow, functools and dataclasses namespaces.
pub fn ns_attr(data: &KerasData, base: &Val, attr: &str) -> Val {
    let Val::Ns(ns) = base else {
        return Val::Unknown("not a namespace".into());
    };
    let tf_key = |prefix: &str| -> Option<String> {
        let k = format!("{prefix}.{attr}");
        tf_spelling(&k).is_some().then_some(k)
    };
    match ns.as_str() {
        "keras" | "keras.models" => match attr {
            "Sequential" => Val::Builtin("keras.Sequential"),
            "Model" | "Functional" => Val::Builtin("keras.Model"),
            "models" => Val::Ns("keras.models".into()),
            "layers" => Val::Ns("keras.layers".into()),
            "initializers" => Val::Ns("keras.initializers".into()),
            "keras" => Val::Ns("keras".into()),
            "api" | "src" => Val::Ns("keras".into()),
            _ => match data.layer(attr) {
                Some((c, _)) => Val::LayerClass(c.to_string()),
                None => Val::Unknown(format!("`keras.{attr}` is not a layer or initializer")),
            },
        },
        "keras.layers" | "keras.layers.experimental" => match attr {
            "experimental" => Val::Ns("keras.layers.experimental".into()),
            _ => match data.layer(attr) {
                Some((c, _)) => Val::LayerClass(c.to_string()),
                None => Val::Unknown(format!(
                    "`{attr}` is not a Keras {} layer that creates weights",
                    data.keras_version()
                )),
            },
        },
        "keras.initializers" => match attr {
            "get" | "deserialize" => Val::Builtin("initializers.get"),
            "serialize" => Val::Builtin("initializers.serialize"),
            _ => match data.initializers.module_names.get(attr) {
                Some(c) => Val::InitClass(c.clone()),
                None => Val::Unknown(format!(
                    "`initializers.{attr}` does not exist in Keras {}",
                    data.keras_version()
                )),
            },
        },
        "tf" => match attr {
            "Variable" => Val::Builtin("tf.Variable"),
            "keras" => Val::Ns("keras".into()),
            "initializers" => Val::Ns("keras.initializers".into()),
            "compat" => Val::Ns("tf.compat".into()),
            _ => match tf_key("tf") {
                Some(k) => Val::TfInit(k),
                None => Val::Unknown(format!("`tf.{attr}` is not followed")),
            },
        },
        "tf.compat" => match attr {
            "v1" => Val::Ns("tf.compat.v1".into()),
            "v2" => Val::Ns("tf".into()),
            _ => Val::Unknown(format!("`tf.compat.{attr}` is not followed")),
        },
        "tf.compat.v1" => match attr {
            "get_variable" => Val::Builtin("tf.get_variable"),
            "Variable" => Val::Builtin("tf.Variable"),
            // With Keras 2 (the legacy flag), `tf.compat.v1.keras` is tf_keras' v1 API, whose
            // initializers are the TF1 classes; with Keras 3 it is Keras 3's module.
            "keras" if data.flavor == "keras2" => Val::Ns("tf.compat.v1.keras".into()),
            "keras" => Val::Ns("keras".into()),
            "initializers" => Val::Ns("tf.compat.v1.initializers".into()),
            _ => match tf_key("tf.compat.v1") {
                Some(k) => Val::TfInit(k),
                None => Val::Unknown(format!("`tf.compat.v1.{attr}` is not followed")),
            },
        },
        "tf.compat.v1.keras" => match attr {
            "initializers" => Val::Ns("tf.compat.v1.keras.initializers".into()),
            _ => ns_attr(data, &Val::Ns("keras".into()), attr),
        },
        "tf.compat.v1.keras.initializers" => match tf_key("tf.compat.v1.keras.initializers") {
            Some(k) => Val::TfInit(k),
            None => Val::Unknown(format!(
                "`tf.compat.v1.keras.initializers.{attr}` (the TF1 classes of Keras 2's v1 API) is not in the data"
            )),
        },
        "tf.compat.v1.initializers" => match tf_key("tf.compat.v1.initializers") {
            Some(k) => Val::TfInit(k),
            None => Val::Unknown(format!(
                "`tf.compat.v1.initializers.{attr}` is not followed"
            )),
        },
        "math" | "numpy" => super::builtins::math_attr(ns, attr),
        "functools" => match attr {
            "partial" => Val::Builtin("functools.partial"),
            _ => Val::Unknown(format!("`functools.{attr}` is not followed")),
        },
        "dataclasses" => match attr {
            "dataclass" => Val::Builtin("decorator"),
            "field" => Val::Builtin("dataclasses.field"),
            _ => Val::Unknown(format!("`dataclasses.{attr}` is not followed")),
        },
        _ => Val::Unknown(format!("`{ns}.{attr}` is not followed")),
    }
}
