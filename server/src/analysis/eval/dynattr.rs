//! `setattr(obj, name, value)` with a name that is not a string literal: which attributes it may
//! set, when the source says so. `for name, value in STATE.items(): setattr(ctx, name, value)`
//! over a dict literal can only set its keys; `setattr(self, f"{name}_id", id)` only names that
//! end in `_id`. Anything else may set any attribute (the conservative answer).

use super::Evaluator;
use crate::analysis::values::{Cx, Val};
use crate::analysis::FileAnalysis;
use crate::syntax::ir::{DefId, DefKind, Expr, ScopeKind, Span};
use std::sync::Arc;

/// The attributes one attribute store may set.
#[derive(Clone, Debug)]
pub(crate) enum StoreNames {
    /// Any attribute (the name is not known).
    Any,
    /// One of these names.
    Finite(Arc<[String]>),
    /// A name that starts with the first text and ends with the second.
    Affix(Arc<str>, Arc<str>),
}

impl StoreNames {
    /// Whether the store may set `attr`.
    pub(crate) fn may_set(&self, attr: &str) -> bool {
        match self {
            StoreNames::Any => true,
            StoreNames::Finite(names) => names.iter().any(|n| n == attr),
            StoreNames::Affix(p, s) => {
                attr.len() >= p.len() + s.len() && attr.starts_with(&**p) && attr.ends_with(&**s)
            }
        }
    }

    /// The entries an object's set attributes get for this store (see `SetAttrs`): one per
    /// possible name when they are few, else `*` (any attribute, changed in a way not followed).
    pub(crate) fn attr_entries(&self) -> Vec<String> {
        match self {
            StoreNames::Finite(names) => names.to_vec(),
            _ => vec!["*".to_string()],
        }
    }
}

impl<'w> Evaluator<'w> {
    /// The attributes store `si` of `sf` may set (once per snapshot, by an evaluator of its own:
    /// the name is evaluated where the store is, outside any call, so a parameter or anything
    /// the resolver cannot follow gives `Any`).
    pub(crate) fn store_names(&mut self, sf: &Arc<FileAnalysis>, si: usize) -> StoreNames {
        thread_local! {
            /// Stores whose names are being computed on this thread (a cycle, or nesting beyond
            /// a few, gives `Any`).
            static IN_PROGRESS: std::cell::RefCell<Vec<(usize, usize)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let st = &sf.ir.stores[si];
        if st.attr != "*" {
            return StoreNames::Finite(Arc::from(vec![st.attr.to_string()]));
        }
        if st.dyn_name.is_none() {
            return StoreNames::Any;
        }
        let key = (Arc::as_ptr(sf) as *const u8 as usize, si);
        let blocked = IN_PROGRESS.with(|p| {
            let p = p.borrow();
            p.len() >= 2 || p.contains(&key)
        });
        if blocked {
            return StoreNames::Any;
        }
        let ws = self.ws;
        IN_PROGRESS.with(|p| p.borrow_mut().push(key));
        let out = ws.cached("store_names", sf, si as u32, || {
            let mut ev = Evaluator::new(ws);
            ev.no_stores = true;
            ev.store_names_uncached(sf, si)
        });
        IN_PROGRESS.with(|p| {
            p.borrow_mut().pop();
        });
        out
    }

    fn store_names_uncached(&mut self, sf: &Arc<FileAnalysis>, si: usize) -> StoreNames {
        let st = sf.ir.stores[si].clone();
        let Some(dn) = st.dyn_name else {
            return StoreNames::Any;
        };
        let affix = if dn.prefix.is_empty() && dn.suffix.is_empty() {
            StoreNames::Any
        } else {
            StoreNames::Affix(dn.prefix.as_str().into(), dn.suffix.as_str().into())
        };
        let cx = Cx {
            file: sf.clone(),
            scope: st.scope,
            at: st.span.start,
            frame: None,
        };
        if let Some(keys) = self.loop_keys(&dn.expr, &cx) {
            return match keys {
                Some(k) => StoreNames::Finite(k.into()),
                None => affix,
            };
        }
        let vals = self.eval(&dn.expr, &cx);
        let mut names: Vec<String> = Vec::new();
        for c in &vals {
            match &c.val {
                Val::Str(s) => {
                    if !names.contains(s) {
                        names.push(s.clone());
                    }
                }
                // Not a string (unknown, or Python raises TypeError on anything else but an
                // unknown may still be a string): the source does not say more.
                _ => return affix,
            }
        }
        // An evaluation cut short says so with an `Unknown`, handled above; no value at all is
        // a store that never runs.
        StoreNames::Finite(names.into())
    }

    /// The keys a loop variable `e` takes when it iterates over a dict held by a name (`for k in
    /// D`, `D.keys()`, `for k, v in D.items()`): `None` when `e` is not such a variable,
    /// `Some(None)` when the keys are not known. Names that hold only the dict's values (the
    /// loop's other target) do not make its keys uncertain.
    fn loop_keys(&mut self, e: &Expr, cx: &Cx) -> Option<Option<Vec<String>>> {
        let Expr::Name { id, span } = e else {
            return None;
        };
        let ir = &cx.file.ir;
        if !ir.is_local(cx.scope, id) {
            return None;
        }
        let live: Vec<_> = ir
            .live_at(cx.scope, id, span.start)
            .iter()
            .copied()
            .collect();
        let [r] = live.as_slice() else {
            return None;
        };
        let DefKind::Element {
            of,
            each: true,
            path,
        } = &ir.defs[r.def as usize].kind
        else {
            return None;
        };
        let d = &ir.defs[r.def as usize];
        let (container, want_path): (&Expr, &[u32]) = match &**of {
            Expr::Name { .. } => (&**of, &[]),
            Expr::Call(c) if c.args.is_empty() && c.keywords.is_empty() => match &c.func {
                Expr::Attr { value, attr, .. } if attr == "keys" => (&**value, &[]),
                Expr::Attr { value, attr, .. } if attr == "items" => (&**value, &[0]),
                _ => return None,
            },
            _ => return None,
        };
        if **path != *want_path {
            return None;
        }
        let Expr::Name {
            id: cid,
            span: cspan,
        } = container
        else {
            return None;
        };
        // The container's definitions: those of the loop's scope, or of the module.
        let dscope = d.scope as usize;
        let cscope = if ir.is_local(dscope, cid) { dscope } else { 0 };
        if cscope == 0
            && !matches!(ir.scopes[dscope].kind, ScopeKind::Module)
            && (!ir.is_local(0, cid) || ir.scopes[dscope].parent != Some(0))
        {
            return Some(None);
        }
        let file = cx.file.clone();
        let ccx = Cx {
            scope: dscope,
            at: cspan.start,
            ..cx.clone()
        };
        let vals = self.eval(container, &ccx);
        let defs: Vec<DefId> = file.ir.defs_of(cscope, cid).to_vec();
        let keys_kept = file.ir.anytime_of(cscope, cid).next().is_none()
            && file.ir.mutated_elsewhere_of(cscope, cid).is_none()
            && defs
                .iter()
                .all(|d| self.keys_shared_reason(&file, *d).is_none());
        let mut out: Vec<String> = Vec::new();
        for c in vals {
            let Val::Dict(d) = c.val else {
                return Some(None);
            };
            if d.open.is_some() || (d.shared.is_some() && !keys_kept) {
                return Some(None);
            }
            for (k, _, _) in &d.entries {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
        }
        Some(Some(out))
    }

    /// The attribute entries (see [`StoreNames::attr_entries`]) of the `setattr` store at `span`
    /// of `file` whose name is not a literal.
    pub(crate) fn dynamic_entries_at(
        &mut self,
        file: &Arc<FileAnalysis>,
        span: Span,
    ) -> Vec<String> {
        let found = file
            .ir
            .stores
            .iter()
            .position(|s| s.span == span && s.attr == "*");
        match found {
            Some(si) => self.store_names(file, si).attr_entries(),
            None => vec!["*".to_string()],
        }
    }

    /// The attribute entries a `SetAttr` mutation of `attr` at `span` adds (a literal name, or
    /// those of a `setattr` whose name is not a literal).
    pub(crate) fn set_attr_entries(
        &mut self,
        attr: &str,
        file: &Arc<FileAnalysis>,
        span: Span,
    ) -> Vec<String> {
        if attr == "*" {
            self.dynamic_entries_at(file, span)
        } else {
            vec![attr.to_string()]
        }
    }
}
