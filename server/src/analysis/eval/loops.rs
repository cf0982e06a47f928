//! What loops and comprehensions iterate over, when the source says: a dict's `.keys()`,
//! `.values()` and `.items()`, `enumerate(...)` and `zip(...)` of known sequences. Each gives a
//! list value whose items are expressions (a key becomes a string literal, a pair a tuple), so a
//! `for k, v in d.items()` target is unpacked by the usual element rules.

use super::Evaluator;
use crate::analysis::values::{describe, ArgSet, Cand, Cx, DictVal, Val};
use crate::syntax::ir::{Expr, Number};

/// A list value's items and why more may follow.
type Items = (Vec<(Expr, Cx)>, Option<String>);

/// The most items a list made here holds (beyond: the rest is "not followed").
const MAX_ITEMS: usize = 64;

impl<'w> Evaluator<'w> {
    /// `d.keys()`, `d.values()`, `d.items()` of a dict value, as a list in insertion order (the
    /// last value of a key set twice, at the place it was first set).
    pub(crate) fn dict_view(&mut self, d: &DictVal, name: &str) -> Vec<Cand> {
        let mut keys: Vec<&str> = Vec::new();
        for (k, _, _) in &d.entries {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
        let mut items = Vec::new();
        for k in keys.iter().take(MAX_ITEMS) {
            let Some((_, e, c)) = d.entries.iter().rev().find(|(n, _, _)| n == k) else {
                continue;
            };
            let key = Expr::Str {
                value: (*k).into(),
                span: e.span(),
            };
            let item = match name {
                "keys" => key,
                "values" => e.clone(),
                _ => Expr::Tuple {
                    elts: Box::new([key, e.clone()]),
                    span: e.span(),
                },
            };
            items.push((item, c.clone()));
        }
        // A dict with keys that are not known (or changed elsewhere) has no known order: none of
        // its items is at a known position.
        if let Some(r) = d.open.clone().or_else(|| d.shared.clone()) {
            return vec![Cand::new(Val::List {
                items: Vec::new(),
                open: Some(r),
            })];
        }
        let open = (keys.len() > MAX_ITEMS).then(|| "more keys than are followed".to_string());
        vec![Cand::new(Val::List { items, open })]
    }

    /// `enumerate(xs)` (with a literal `start`) and `zip(a, b, ...)`: lists of tuples.
    pub(crate) fn iter_builtin(&mut self, which: &str, set: &ArgSet) -> Vec<Cand> {
        if set.open.is_some() || set.open_pos.is_some() {
            return vec![Cand::unknown(format!(
                "`{which}()` with arguments that are not known"
            ))];
        }
        match which {
            "enumerate" => self.enumerate(set),
            _ => self.zip(set),
        }
    }

    fn enumerate(&mut self, set: &ArgSet) -> Vec<Cand> {
        let start_expr = match (set.args.as_slice(), set.kws.as_slice()) {
            ([_], []) => None,
            ([_, s], []) => Some(s.clone()),
            ([_], [(n, e, c)]) if n == "start" => Some((e.clone(), c.clone())),
            _ => return vec![Cand::unknown("`enumerate()` with other arguments")],
        };
        let start = match start_expr {
            None => 0,
            Some((e, c)) => match self.eval(&e, &c).as_slice() {
                [Cand {
                    val: Val::Num(Number::Int(n)),
                    ..
                }] => *n,
                _ => {
                    return vec![Cand::unknown(
                        "`enumerate()` with a start that is not known",
                    )]
                }
            },
        };
        let (xs, xcx) = set.args[0].clone();
        let mut out = Vec::new();
        for c in self.eval(&xs, &xcx) {
            match c.val {
                Val::List { items, open } => {
                    let items = items
                        .into_iter()
                        .enumerate()
                        .map(|(i, (e, ecx))| {
                            let n = Expr::Num {
                                value: Number::Int(start + i as i64),
                                span: e.span(),
                            };
                            let span = e.span();
                            (
                                Expr::Tuple {
                                    elts: Box::new([n, e]),
                                    span,
                                },
                                ecx,
                            )
                        })
                        .collect();
                    out.push(Cand {
                        val: Val::List { items, open },
                        origin: c.origin,
                    });
                }
                Val::Unknown(r) => out.push(Cand::unknown(r)),
                other => out.push(Cand::unknown(format!(
                    "`enumerate()` of {}, which is not followed",
                    describe(&other)
                ))),
            }
        }
        out
    }

    fn zip(&mut self, set: &ArgSet) -> Vec<Cand> {
        if !set.kws.is_empty() || set.args.is_empty() {
            return vec![Cand::unknown("`zip()` with keyword arguments or none")];
        }
        // One list value per argument (several possibilities: not followed).
        let mut lists: Vec<Items> = Vec::new();
        for (e, c) in set.args.clone() {
            let vals = self.eval(&e, &c);
            match vals.as_slice() {
                [Cand {
                    val: Val::List { items, open },
                    ..
                }] => lists.push((items.clone(), open.clone())),
                [Cand {
                    val: Val::Unknown(r),
                    ..
                }] => return vec![Cand::unknown(r.clone())],
                _ => {
                    return vec![Cand::unknown(
                        "`zip()` of a value with several possibilities, which is not followed",
                    )]
                }
            }
        }
        let known = lists.iter().map(|(i, _)| i.len()).min().unwrap_or(0);
        // Python stops at the shortest; an open list may be longer than its known items.
        let all_closed_len = lists
            .iter()
            .filter(|(_, o)| o.is_none())
            .map(|(i, _)| i.len())
            .min();
        let mut open = None;
        let n = match all_closed_len {
            Some(m) if m <= known => m,
            _ => {
                open = lists.iter().find_map(|(_, o)| o.clone());
                known
            }
        };
        let mut items = Vec::new();
        for i in 0..n.min(MAX_ITEMS) {
            let parts: Vec<&(Expr, Cx)> = lists.iter().map(|(l, _)| &l[i]).collect();
            // A tuple is evaluated in one context: its parts must share theirs.
            let cx = parts[0].1.clone();
            let same = parts.iter().all(|(_, c)| super::names::same_cx(c, &cx));
            if !same {
                return vec![Cand::unknown(
                    "`zip()` of values written in different places, which is not followed",
                )];
            }
            let span = parts[0].0.span();
            items.push((
                Expr::Tuple {
                    elts: parts.iter().map(|(e, _)| e.clone()).collect(),
                    span,
                },
                cx,
            ));
        }
        if n > MAX_ITEMS && open.is_none() {
            open = Some("more items than are followed".into());
        }
        vec![Cand::new(Val::List { items, open })]
    }
}
