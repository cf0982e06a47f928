//! Keras modules bound at run time, as keras-applications does it: the model files keep
//! `layers = None` (and `backend`, `models`, `keras_utils`) at module level, and each model
//! function starts with `backend, layers, models, keras_utils = get_submodules_from_kwargs(kwargs)`
//! (`global` names). keras-applications' own `get_submodules_from_kwargs` returns
//! `kwargs.get('layers', _KERAS_LAYERS)` and the like, whose defaults are `None`: the modules
//! are whatever the caller passes.
//!
//! Who passes them decides. keras-applications is a library of Keras 2 (standalone Keras
//! 2.2.x/2.3.x and `tf.keras` of TensorFlow 1.13 to 2.1 call it through `keras_modules_injection`,
//! which passes Keras's own `backend`, `layers`, `models` and `utils` modules); no release of
//! Keras calls it with anything else. So:
//! - a key a followed caller passes (`ResNet50(layers=my_layers)`, a literal `**{...}`) is that
//!   argument's value, like any argument;
//! - a key absent from a closed `**kwargs` is the function's own default (`None` in
//!   keras-applications: `layers.Conv2D` then raises, so that path builds nothing);
//! - keys given by a caller the resolver does not follow (the model function is a library entry
//!   point; `**kwargs` of an unknown call) are the Keras modules of the configured Keras (`keras`
//!   under Keras 3, `tf_keras` under Keras 2), and the answer says it assumed this. With
//!   `--keras 2` that is the Keras the library was written for; with Keras 3 it is what Keras 3's
//!   modules give when passed in.
//!
//! Recognised only for a function named `get_submodules_from_kwargs` of one parameter, defined in
//! the workspace or imported from a `keras_applications` that is not in it.

use super::*;

/// The keys `get_submodules_from_kwargs` reads, in the order of its returned tuple, with the
/// namespace each stands for when a caller that is not followed passes it.
const SUBMODULES: [(&str, &str); 4] = [
    ("backend", "keras.backend"),
    ("layers", "keras.layers"),
    ("models", "keras.models"),
    ("utils", "keras.utils"),
];

/// The name of the function that hands the caller's modules out.
const FUNCTION: &str = "get_submodules_from_kwargs";

impl<'w> Evaluator<'w> {
    /// Element `index` of `of` when `of` is a call of `get_submodules_from_kwargs(kwargs)` (see
    /// the module doc); `None` for any other expression.
    pub(crate) fn injected_submodule(
        &mut self,
        of: &Expr,
        index: u32,
        cx: &Cx,
    ) -> Option<Vec<Cand>> {
        let Expr::Call(call) = of else { return None };
        let last = match &call.func {
            Expr::Name { id, .. } => id.as_str(),
            Expr::Attr { attr, .. } => attr.as_str(),
            _ => return None,
        };
        if last != FUNCTION || call.args.len() != 1 || !call.keywords.is_empty() {
            return None;
        }
        if matches!(call.args[0], Expr::Starred { .. }) {
            return None;
        }
        let (key, ns) = *SUBMODULES.get(index as usize)?;
        let callee = self.eval(&call.func, cx);
        // Each possibility of the callee: the keras-applications function (by name and arity),
        // or something else, which is called as usual.
        let mut funcs = Vec::new();
        let mut imported = false;
        let mut others = Vec::new();
        for c in callee {
            match &c.val {
                Val::Func { file, id, .. }
                    if file.ir.functions[*id].name == FUNCTION
                        && file.ir.functions[*id].params.len() == 1
                        && file.ir.functions[*id].class.is_none() =>
                {
                    funcs.push((file.clone(), *id))
                }
                Val::Unknown(r) if r.contains("'keras_applications") => imported = true,
                _ => others.push(c),
            }
        }
        if funcs.is_empty() && !imported {
            return None;
        }
        let mut out = Vec::new();
        let sets = self.call_args(call, cx, Vec::new(), Vec::new());
        for c in others {
            for set in &sets {
                for r in self.apply(&c.val, call, cx, set) {
                    out.extend(self.element_at(r, index));
                }
            }
        }
        let here = self.place(&cx.file, call.span);
        let kwargs = self.eval(&call.args[0], cx);
        // Whether some possibility leaves the key to the function's default.
        let mut absent = false;
        for k in kwargs {
            match &k.val {
                Val::Dict(d) => {
                    if let Some((_, e, ecx)) = d.entries.iter().rev().find(|(n, _, _)| n == key) {
                        let (e, ecx) = (e.clone(), ecx.clone());
                        out.extend(self.eval(&e, &ecx));
                    } else {
                        absent = true;
                        if let Some(r) = d.open.as_ref().or(d.shared.as_ref()) {
                            if !d.removed.iter().any(|n| n == key) {
                                out.push(assumed(ns, key, r, &here));
                            }
                        }
                    }
                    if let (Some(r), true) = (&d.shared, d.entries.iter().any(|(n, _, _)| n == key))
                    {
                        out.push(assumed(ns, key, r, &here));
                    }
                }
                Val::Unknown(r) => {
                    absent = true;
                    out.push(assumed(ns, key, r, &here));
                }
                other => out.push(Cand::unknown(format!(
                    "`{FUNCTION}` at {here} is given {}",
                    describe(other)
                ))),
            }
        }
        if absent {
            out.extend(self.submodule_default(&funcs, call, index, cx, &here));
        }
        Some(out)
    }

    /// Element `index` of what the `get_submodules_from_kwargs` functions `funcs` return for an
    /// empty `kwargs` (their defaults).
    fn submodule_default(
        &mut self,
        funcs: &[(Arc<super::super::FileAnalysis>, FuncId)],
        call: &Arc<Call>,
        index: u32,
        cx: &Cx,
        here: &str,
    ) -> Vec<Cand> {
        if funcs.is_empty() {
            // Imported from a keras_applications outside the workspace: its defaults are
            // `None` unless `set_keras_submodules` (releases before 1.0.7) set them.
            return vec![Cand::unknown(format!(
                "the default modules of `keras_applications.{FUNCTION}` at {here} (set by \
                 `set_keras_submodules` in some releases) are not followed"
            ))];
        }
        let mut out = Vec::new();
        let mut rest = Vec::new();
        for (file, id) in funcs {
            match default_of(file, *id, index) {
                Some((e, scope)) => {
                    let dcx = Cx {
                        file: file.clone(),
                        scope,
                        at: e.span().start,
                        frame: None,
                    };
                    out.extend(self.eval(&e, &dcx));
                }
                None => rest.push((file.clone(), *id)),
            }
        }
        let empty = ArgSet {
            args: vec![(
                Expr::Dict {
                    items: Box::default(),
                    span: call.span,
                },
                cx.clone(),
            )],
            ..Default::default()
        };
        for (file, id) in rest {
            let f = Val::Func {
                file: file.clone(),
                id,
                closure: None,
            };
            for c in self.apply(&f, call, cx, &empty) {
                out.extend(self.element_at(c, index));
            }
        }
        out
    }
}

/// The default `D` of element `index` of what `get_submodules_from_kwargs` returns, when the
/// function is written as keras-applications writes it: `return a, b, ...` where the element is
/// a name bound once in the function to `kwargs.get("key", D)`, `kwargs` being its parameter;
/// with the scope `D` is evaluated in (the function's own: `D` is a global or a literal).
fn default_of(
    file: &Arc<super::super::FileAnalysis>,
    id: FuncId,
    index: u32,
) -> Option<(Expr, ScopeId)> {
    let f = &file.ir.functions[id];
    let [(Expr::Tuple { elts, .. }, pred)] = f.returns.as_slice() else {
        return None;
    };
    if *pred != TRUE {
        return None;
    }
    let Expr::Name { id: name, .. } = elts.get(index as usize)? else {
        return None;
    };
    let [d] = file.ir.defs_of(f.scope, name) else {
        return None;
    };
    let DefKind::Value(Expr::Call(call)) = &file.ir.defs[*d as usize].kind else {
        return None;
    };
    let Expr::Attr { value, attr, .. } = &call.func else {
        return None;
    };
    let param = &f.params.first()?.name;
    let reads_param = matches!(&**value, Expr::Name { id, .. } if id.as_str() == param.as_str());
    if attr.as_str() != "get" || !reads_param || !call.keywords.is_empty() {
        return None;
    }
    let [Expr::Str { .. }, default] = &*call.args else {
        return None;
    };
    Some((default.clone(), f.scope))
}

/// The Keras namespace `ns` a caller that is not followed passes as `key`, with the assumption
/// in its origin.
fn assumed(ns: &str, key: &str, why: &str, here: &str) -> Cand {
    Cand::new(Val::Ns(ns.to_string())).with_step(Step {
        text: format!(
            "`{key}` from `{FUNCTION}` at {here}: assumed to be Keras's own `{key}` module, which \
             Keras passes to keras-applications (the caller's `**kwargs` are not followed: {why})"
        ),
        file: None,
        span: None,
    })
}
