//! Initializers rebuilt from their configs: `init.get_config()`, `init.__class__`,
//! `Class.from_config(config)` (so the clone idiom `init.__class__.from_config(init.get_config())`
//! gives a new object of the same class and config: the same seed when it had one, and a fresh
//! unseeded object when not, as Keras does), and `initializers.serialize(init)` (the dict that
//! `initializers.get`/`deserialize` turn back into the initializer).

use super::Evaluator;
use crate::analysis::answer::{Candidate, InitKind, InitVal};
use crate::analysis::values::{describe, ArgSet, Cand, Cx, DictVal, Val};
use crate::syntax::ir::{Expr, Number, Span};
use serde_json::Value;

impl<'w> Evaluator<'w> {
    /// `init.attr` of a Keras initializer object: its class and its `get_config`.
    pub(crate) fn init_attr(&mut self, i: &InitVal, attr: &str) -> Vec<Cand> {
        if !(i.kind == InitKind::Keras && i.note.is_none()) {
            return vec![Cand::unknown(format!(
                "attribute `{attr}` of the initializer `{}` is not followed",
                i.class
            ))];
        }
        let base = Val::Init(i.clone());
        match attr {
            "__class__" => vec![Cand::new(Val::InitClass(i.class.clone()))],
            "get_config" => vec![Cand::new(Val::Method {
                name: "get_config",
                receiver: Box::new(base),
            })],
            _ => vec![Cand::unknown(format!(
                "attribute `{attr}` of the initializer `{}` is not followed",
                i.class
            ))],
        }
    }

    /// `Class.attr` of a Keras initializer class: its `from_config`.
    pub(crate) fn init_class_attr(&mut self, cls: &str, attr: &str) -> Vec<Cand> {
        match attr {
            "from_config" => vec![Cand::new(Val::Method {
                name: "from_config",
                receiver: Box::new(Val::InitClass(cls.to_string())),
            })],
            _ => vec![Cand::unknown(format!(
                "attribute `{attr}` of the initializer class `{cls}` is not followed"
            ))],
        }
    }

    /// Calls of the methods above (`None`: not one of them).
    pub(crate) fn init_method(
        &mut self,
        name: &str,
        receiver: &Val,
        set: &ArgSet,
        span: Span,
        cx: &Cx,
    ) -> Option<Vec<Cand>> {
        match (name, receiver) {
            ("get_config", Val::Init(i)) => {
                if !set.args.is_empty() || !set.kws.is_empty() {
                    return Some(vec![Cand::unknown("`get_config()` with arguments")]);
                }
                Some(vec![match config_dict(i, span, cx) {
                    Some(d) => Cand::new(Val::Dict(Box::new(d))),
                    None => Cand::unknown(format!(
                        "the config of `{}` has values that are not followed",
                        i.class
                    )),
                }])
            }
            ("from_config", Val::InitClass(cls)) => {
                // `Initializer.from_config(config)` is `cls(**config)`.
                let (Some((e, ecx)), true, [_]) = (
                    set.args.first().cloned(),
                    set.kws.is_empty() && set.open.is_none() && set.open_pos.is_none(),
                    set.args.as_slice(),
                ) else {
                    return Some(vec![Cand::unknown("`from_config()` with other arguments")]);
                };
                let mut out = Vec::new();
                let only_here = handed_on_only_here(&e, &ecx, span);
                for c in self.eval(&e, &ecx) {
                    match c.val {
                        Val::Dict(d) => {
                            let shared = d.shared.clone().filter(|_| !only_here);
                            if let Some(r) = d.open.clone().or(shared) {
                                out.push(Cand::unknown(r));
                                continue;
                            }
                            let kws = ArgSet {
                                kws: last_entries(&d),
                                ..ArgSet::default()
                            };
                            let mut r = self.construct_init(cls, &kws);
                            if let Val::Init(i) = &mut r.val {
                                i.instance = Some((cx.file.path.clone(), span));
                            }
                            r.origin.splice(0..0, c.origin);
                            out.push(r);
                        }
                        Val::Unknown(r) => out.push(Cand::unknown(r)),
                        other => out.push(Cand::unknown(format!(
                            "`from_config()` of {}, which is not followed",
                            describe(&other)
                        ))),
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// What `initializers.get(v)` (and `deserialize`) returns for one value: an identifier, a
    /// config dict or a class becomes an initializer object made by this call (so `isinstance`
    /// and `get_config` see an object, as at run time); objects and callables are returned as
    /// they are.
    pub(crate) fn initializer_get(&mut self, c: Cand, span: Span, cx: &Cx) -> Vec<Cand> {
        match &c.val {
            Val::Str(_) | Val::Dict(_) | Val::InitClass(_) | Val::TfInit(_) => {
                let origin = c.origin.clone();
                self.to_initializer(c, cx)
                    .into_iter()
                    .map(|r| match r {
                        Candidate::Resolved { mut init, origin } => {
                            init.instance.get_or_insert((cx.file.path.clone(), span));
                            Cand {
                                val: Val::Init(init),
                                origin,
                            }
                        }
                        Candidate::Unresolved { reason, .. } => Cand {
                            val: Val::Unknown(reason),
                            origin: origin.clone(),
                        },
                    })
                    .collect()
            }
            _ => vec![c],
        }
    }

    /// `initializers.serialize(x)`: the dict Keras writes (`class_name` and `config`, which is
    /// what `initializers.get` and `deserialize` read back).
    pub(crate) fn serialize_init(&mut self, set: &ArgSet, span: Span, cx: &Cx) -> Vec<Cand> {
        let [(e, ecx)] = set.args.as_slice() else {
            return vec![Cand::unknown("`serialize()` with other arguments")];
        };
        let (e, ecx) = (e.clone(), ecx.clone());
        let mut out = Vec::new();
        for c in self.eval(&e, &ecx) {
            match &c.val {
                Val::Init(i) if i.kind == InitKind::Keras && i.note.is_none() => {
                    let Some(cfg) = config_dict(i, span, cx) else {
                        out.push(Cand::unknown("a config value that is not followed"));
                        continue;
                    };
                    let cfg_expr = dict_expr(&cfg, span);
                    let d = DictVal::new(vec![
                        (
                            "class_name".into(),
                            Expr::Str {
                                value: i.class.as_str().into(),
                                span,
                            },
                            cx.clone(),
                        ),
                        ("config".into(), cfg_expr, cx.clone()),
                    ]);
                    // `module` and `registered_name` (Keras 3) are not modelled: other keys
                    // may be there.
                    let mut d = d;
                    d.open = Some("a key of a serialized initializer that is not followed".into());
                    out.push(Cand {
                        val: Val::Dict(Box::new(d)),
                        origin: c.origin,
                    });
                }
                Val::Unknown(r) => out.push(Cand::unknown(r.clone())),
                other => out.push(Cand::unknown(format!(
                    "`serialize()` of {}, which is not followed",
                    describe(other)
                ))),
            }
        }
        out
    }
}

/// Whether `e` is a local name of a function whose object (every definition of it that reaches
/// here is `name = x.get_config()`) is handed on nowhere but to the call at `call`: what that call does
/// with it happens after it reads it, so nothing can have changed it before.
fn handed_on_only_here(e: &Expr, cx: &Cx, call: Span) -> bool {
    use crate::syntax::ir::{DefKind, EscapeKind, ScopeKind};
    let Expr::Name { id, span } = e else {
        return false;
    };
    let ir = &cx.file.ir;
    if !matches!(ir.scopes[cx.scope].kind, ScopeKind::Function(_))
        || !ir.is_local(cx.scope, id)
        || ir.anytime_of(cx.scope, id).next().is_some()
        || ir.mutated_elsewhere_of(cx.scope, id).is_some()
    {
        return false;
    }
    let live = ir.live_at(cx.scope, id, span.start);
    let reaches: Vec<_> = live.iter().collect();
    !reaches.is_empty()
        && reaches.iter().all(|r| {
            // A new dict made by `get_config()` (any other value may be shared through
            // another name).
            matches!(&ir.defs[r.def as usize].kind, DefKind::Value(Expr::Call(c))
                if matches!(&c.func, Expr::Attr { attr, .. } if attr == "get_config"))
                && ir.escapes_of(r.def).iter().all(|x| match x.kind {
                    EscapeKind::Arg { call: c, .. } => ir
                        .calls
                        .get(c as usize)
                        .is_some_and(|s| s.call.span == call),
                    _ => false,
                })
        })
}

/// The entries of `d`, one per key (the last value of a key set twice).
fn last_entries(d: &DictVal) -> Vec<(String, Expr, Cx)> {
    let mut out: Vec<(String, Expr, Cx)> = Vec::new();
    for (k, e, c) in &d.entries {
        out.retain(|(n, _, _)| n != k);
        out.push((k.clone(), e.clone(), c.clone()));
    }
    out
}

/// `init.get_config()` as a dict of literals (`None` when a value is not a literal).
fn config_dict(i: &InitVal, span: Span, cx: &Cx) -> Option<DictVal> {
    let mut entries = Vec::new();
    for (k, v) in &i.config {
        entries.push((k.clone(), json_expr(v, span, 0)?, cx.clone()));
    }
    Some(DictVal::new(entries))
}

/// The dict `d` (of literals made by [`config_dict`]) as a dict display.
fn dict_expr(d: &DictVal, span: Span) -> Expr {
    Expr::Dict {
        items: d
            .entries
            .iter()
            .map(|(k, e, _)| {
                (
                    Some(Expr::Str {
                        value: k.as_str().into(),
                        span,
                    }),
                    e.clone(),
                )
            })
            .collect(),
        span,
    }
}

/// A JSON value of a config as a literal expression (lists up to a small depth).
fn json_expr(v: &Value, span: Span, depth: usize) -> Option<Expr> {
    Some(match v {
        Value::Null => Expr::NoneLit { span },
        Value::Bool(b) => Expr::Bool { value: *b, span },
        Value::String(s) => Expr::Str {
            value: s.as_str().into(),
            span,
        },
        Value::Number(n) => Expr::Num {
            value: match n.as_i64() {
                Some(i) => Number::Int(i),
                None => Number::Float(n.as_f64()?),
            },
            span,
        },
        Value::Array(a) if depth < 4 => Expr::List {
            elts: a
                .iter()
                .map(|x| json_expr(x, span, depth + 1))
                .collect::<Option<Box<[_]>>>()?,
            span,
        },
        _ => return None,
    })
}
