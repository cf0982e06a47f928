//! `isinstance(x, C)` on known values, and narrowing a function's parameter by it: when a return
//! of a function is guarded by `isinstance(param, ...)` (`if not isinstance(init, Initializer):
//! return init`), the body is evaluated once per possible value of the parameter, so each value
//! takes only the branches it can take (a string does not reach `init.__class__`).

use super::objects::fptr;
use super::{Evaluator, MroEntry, StoreTarget, CALLEE_FUEL, MAX_CANDIDATES};
use crate::analysis::answer::InitKind;
use crate::analysis::values::{ArgSet, BoundArg, Cand, Cx, Frame, Val};
use crate::analysis::FileAnalysis;
use crate::syntax::ir::{DefKind, Expr, FuncId, PredId, TRUE};
use std::sync::Arc;

impl<'w> Evaluator<'w> {
    /// `isinstance(x, spec)`: `True`/`False` per possible value of `x` when the class of the value
    /// decides it, else unknown.
    pub(crate) fn isinstance(&mut self, set: &ArgSet) -> Vec<Cand> {
        let ([(x, xcx), (spec, scx)], []) = (set.args.as_slice(), set.kws.as_slice()) else {
            return vec![Cand::unknown("`isinstance()` with other arguments")];
        };
        if set.open.is_some() || set.open_pos.is_some() {
            return vec![Cand::unknown(
                "`isinstance()` with arguments that are not known",
            )];
        }
        let (x, xcx, spec, scx) = (x.clone(), xcx.clone(), spec.clone(), scx.clone());
        let mut classes = Vec::new();
        for c in self.eval(&spec, &scx) {
            match c.val {
                Val::List { items, open: None } => {
                    for (e, ecx) in items {
                        classes.extend(self.eval(&e, &ecx).into_iter().map(|c| c.val));
                    }
                }
                v => classes.push(v),
            }
        }
        let vals = self.eval(&x, &xcx);
        vals.into_iter()
            .map(|c| {
                let mut any = Some(false);
                for cls in &classes {
                    match (self.instance_of(&c.val, cls), any) {
                        (Some(true), _) => {
                            any = Some(true);
                            break;
                        }
                        (Some(false), _) => {}
                        (None, _) => any = None,
                    }
                }
                match any {
                    Some(b) => Cand {
                        val: Val::Bool(b),
                        origin: c.origin,
                    },
                    None => Cand::unknown(format!(
                        "`isinstance()` of {} is not known here",
                        crate::analysis::values::describe(&c.val)
                    )),
                }
            })
            .collect()
    }

    /// Whether value `v` is an instance of class `cls`, when both are known well enough.
    fn instance_of(&mut self, v: &Val, cls: &Val) -> Option<bool> {
        // Python values the resolver knows exactly: their type is a builtin, never a Keras
        // class or a workspace class.
        let plain = matches!(
            v,
            Val::Str(_) | Val::Num(_) | Val::Bool(_) | Val::NoneV | Val::Dict(_) | Val::List { .. }
        );
        match cls {
            Val::InitClass(c) => {
                if plain || matches!(v, Val::Layer(_)) {
                    return Some(false);
                }
                match v {
                    Val::Init(i) if i.kind == InitKind::Keras && i.note.is_none() => {
                        let info = self.data.initializers.classes.get(&i.class)?;
                        Some(i.class == *c || info.bases.iter().any(|b| b == c))
                    }
                    _ => None,
                }
            }
            Val::LayerClass(c) => {
                // A dict may be a config some Keras APIs turn into a layer; other literals and
                // initializers are never layers.
                if matches!(v, Val::Dict(_)) {
                    return None;
                }
                if plain || matches!(v, Val::Init(_)) {
                    return Some(false);
                }
                match v {
                    Val::Layer(l) => {
                        let info = self.data.layers.get(&l.class)?;
                        Some(l.class == *c || info.bases.iter().any(|b| b == c))
                    }
                    _ => None,
                }
            }
            Val::Class(..) if plain => Some(false),
            _ => None,
        }
    }

    /// Whether a store on the object constructed at a known site (`t`) may reach `target`, an
    /// instance of a class or of one of its subclasses that is not known (`self` of a method):
    /// not when the class constructed there is a workspace class whose MRO does not hold it.
    pub(crate) fn instance_store_may_hit(&mut self, t: &StoreTarget, target: &StoreTarget) -> bool {
        let (StoreTarget::Instance(f, span), StoreTarget::InstanceOf(g, c)) = (t, target) else {
            return true;
        };
        let Some(file) = self.ws.file_at(*f).cloned() else {
            return true;
        };
        let Some(&i) = file.call_uses().by_span.get(span) else {
            return true;
        };
        let site = file.ir.calls[i as usize].clone();
        let cx = Cx::at_call(&file, &site);
        let saved = self.fuel;
        let budget = saved.min(CALLEE_FUEL);
        self.fuel = budget;
        let callees = self.eval(&site.call.func, &cx);
        let cut = self.fuel == 0;
        self.fuel = saved - (budget - self.fuel);
        if cut || callees.is_empty() {
            return true;
        }
        for v in callees {
            let Val::Class(cf, cc) = &v.val else {
                return true;
            };
            let mro = self.mro(cf, *cc);
            let holds = mro.iter().any(|e| match e {
                MroEntry::Class(mf, mc) => fptr(mf) == *g && *mc == *c,
                // A base that is not followed may be anything.
                MroEntry::Foreign(_) => false,
            });
            if holds || self.may_derive_from_unknown(&mro) {
                return true;
            }
        }
        false
    }

    /// Whether a class with MRO `mro` may have a workspace class among its bases that the MRO
    /// does not show: a base that is not known, unless it is written as an attribute of a module
    /// imported from outside the workspace (a class there cannot derive from a workspace class)
    /// or is a Keras class.
    fn may_derive_from_unknown(&mut self, mro: &[MroEntry]) -> bool {
        for e in mro {
            let MroEntry::Class(f, c) = e else { continue };
            let cls = &f.ir.classes[*c];
            for b in cls.bases.clone() {
                let bcx = Cx {
                    file: f.clone(),
                    scope: cls.parent_scope,
                    at: cls.span.start,
                    frame: None,
                };
                let known = self.eval(&b, &bcx).iter().all(|v| {
                    matches!(
                        v.val,
                        Val::Class(..) | Val::LayerClass(_) | Val::InitClass(_) | Val::Builtin(_)
                    )
                });
                if !known && !self.outside_workspace(f, &b) {
                    return true;
                }
            }
        }
        false
    }

    /// Whether `e` (`mod.Name`, `mod.sub.Name`) is an attribute of a module-level `import mod`
    /// of `f` whose module is not in the workspace.
    fn outside_workspace(&self, f: &Arc<FileAnalysis>, e: &Expr) -> bool {
        let mut cur = e;
        let mut dotted = 0;
        while let Expr::Attr { value, .. } = cur {
            cur = value;
            dotted += 1;
        }
        let Expr::Name { id, .. } = cur else {
            return false;
        };
        if dotted == 0 {
            return false;
        }
        let defs = f.ir.defs_of(0, id);
        !defs.is_empty()
            && f.ir.anytime_of(0, id).next().is_none()
            && defs.iter().all(|d| match &f.ir.defs[*d as usize].kind {
                DefKind::Import { module, full } => {
                    !self.ws.modules.contains_key(module.as_str())
                        && !self.ws.modules.contains_key(full.as_str())
                }
                _ => false,
            })
    }

    /// Frames to evaluate the returns of `func` in instead of `frame`: one per possible value of
    /// a parameter that a condition of a return tests with `isinstance`, when there are several
    /// (`None`: evaluate in `frame`).
    pub(crate) fn narrowed_frames(
        &mut self,
        file: &Arc<FileAnalysis>,
        id: FuncId,
        frame: &Arc<Frame>,
    ) -> Option<Vec<Arc<Frame>>> {
        let func = &file.ir.functions[id];
        let param = func.returns.iter().find_map(|(_, p)| {
            isinstance_param(file, *p, |n| func.params.iter().position(|q| q.name == n))
        })?;
        let p = func.params[param].name.clone();
        let vals = self.param(file, id, param, Some(frame.clone()));
        if vals.len() < 2 || vals.len() > MAX_CANDIDATES {
            return None;
        }
        let mut out = Vec::new();
        for c in vals {
            let mut args: Vec<(String, BoundArg)> = frame
                .args
                .iter()
                .filter(|(n, _)| *n != p)
                .cloned()
                .collect();
            args.push((p.clone(), BoundArg::Narrowed(Box::new(c))));
            out.push(Arc::new(Frame {
                file: frame.file.clone(),
                func: frame.func,
                args,
                site: frame.site.clone(),
                caller: frame.caller.clone(),
                closure: frame.closure.clone(),
                time: frame.time.clone(),
                depth: frame.depth,
                unknown_args: frame.unknown_args.clone(),
                used: Default::default(),
            }));
        }
        Some(out)
    }
}

/// The index (by `param_index`) of a parameter that a condition on the path `pred` tests with
/// `isinstance(param, ...)`.
fn isinstance_param(
    file: &FileAnalysis,
    pred: PredId,
    param_index: impl Fn(&str) -> Option<usize>,
) -> Option<usize> {
    let mut cur = pred;
    for _ in 0..64 {
        if cur == TRUE {
            return None;
        }
        let p = file.ir.preds[cur as usize];
        let mut test = &file.ir.conds[p.cond as usize].test;
        while let Expr::Not { value, .. } = test {
            test = value;
        }
        if let Expr::Call(c) = test {
            if let (Expr::Name { id, .. }, Some(Expr::Name { id: x, .. })) =
                (&c.func, c.args.first())
            {
                if id == "isinstance" {
                    if let Some(i) = param_index(x) {
                        return Some(i);
                    }
                }
            }
        }
        cur = p.parent;
    }
    None
}
