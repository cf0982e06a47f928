//! The `__init__` methods a construction surely runs: the first `__init__` of the instance's
//! MRO, then, while the one before calls `super().__init__(...)` unconditionally in its own
//! body, the next `__init__` of the MRO (Python's `super()` follows the *instance's* MRO).
//!
//! An attribute stored on `self` at the top level of any of them is set by the time the
//! construction returns, so reading it needs no fallback to the class attributes (nor to a
//! base class outside the workspace, which would say "may come from the base ..., which is
//! not followed"). Each `__init__` after the first runs in a frame made from the arguments of
//! the `super().__init__(...)` call that reaches it, evaluated in the frame of the one before.
//!
//! The chain stops at a base outside the workspace (its `__init__` is not followed, and a
//! workspace `__init__` after it in the MRO may or may not run), at a `super().__init__` call
//! under a condition, in a nested scope or in another form (`Base.__init__(self, ...)`,
//! `super(Cls, self)`), and after [`MAX_SUPER_CHAIN`] steps.

use super::*;
use crate::analysis::FileAnalysis;

/// How many `__init__` methods a chain of `super().__init__(...)` calls is followed through.
pub(crate) const MAX_SUPER_CHAIN: usize = 8;

/// One `__init__` a construction surely runs, with the frame it runs in.
pub(crate) struct ChainedInit {
    pub file: Arc<FileAnalysis>,
    pub func: FuncId,
    pub frame: Arc<Frame>,
}

/// `super().__init__(...)` with a zero-argument `super()`.
fn is_plain_super_init(call: &Call) -> bool {
    matches!(&call.func, Expr::Attr { value, attr, .. } if attr == "__init__"
        && matches!(&**value, Expr::Call(c) if c.args.is_empty() && c.keywords.is_empty()
            && matches!(&c.func, Expr::Name { id, .. } if id == "super")))
}

/// The `super().__init__(...)` call made unconditionally in the body of `func` (its own
/// scope, no path condition), when there is exactly one such call and no other call of it.
fn unconditional_super_init(file: &FileAnalysis, func: FuncId) -> Option<(Arc<Call>, ScopeId)> {
    let fscope = file.ir.functions[func].scope;
    let mut found: Option<(Arc<Call>, ScopeId)> = None;
    let mut any = 0usize;
    for site in file.ir.calls.iter() {
        if !is_plain_super_init(&site.call) {
            continue;
        }
        // Any `super().__init__` in the function or its nested scopes counts against
        // certainty (a second call would run the base twice, with other arguments).
        let mut s = Some(site.scope);
        let mut inside = false;
        for _ in 0..64 {
            let Some(id) = s else { break };
            if id == fscope {
                inside = true;
                break;
            }
            s = file.ir.scopes[id].parent;
        }
        if !inside {
            continue;
        }
        any += 1;
        if site.scope == fscope && site.pred == TRUE {
            found = Some((site.call.clone(), site.scope));
        }
    }
    (any == 1).then_some(found).flatten()
}

impl Evaluator<'_> {
    /// The `__init__` methods the construction of instance `i` surely runs, in the order they
    /// start (see the module doc). The first is the first `__init__` of the MRO, in
    /// [`Evaluator::construction_frame`]; empty when a base outside the workspace comes first.
    pub(crate) fn init_chain(&mut self, i: &InstanceVal) -> Vec<ChainedInit> {
        let mro = self.mro(&i.file, i.class);
        let receiver = Val::Instance(Box::new(i.clone()));
        let mut out: Vec<ChainedInit> = Vec::new();
        // The `super().__init__(...)` call of the last `__init__` found, with its context;
        // `None` before the first.
        let mut pending: Option<(Arc<Call>, Cx)> = None;
        for e in &mro {
            let MroEntry::Class(f, c) = e else {
                // A base outside the workspace: what it runs is not followed.
                break;
            };
            let Some(fid) = f.ir.classes[*c].methods.get("__init__").copied() else {
                continue;
            };
            let frame = match (out.is_empty(), pending.take()) {
                (true, _) => self.construction_frame(i, f, fid),
                (false, Some((call, ccx))) => {
                    let sets = self.call_args(&call, &ccx, Vec::new(), Vec::new());
                    match sets.as_slice() {
                        [set] => {
                            let func = &f.ir.functions[fid];
                            let mut args = bind_values(func, set, true);
                            if let Some(p) = func.params.first() {
                                args.push((p.name.clone(), BoundArg::Val(receiver.clone())));
                            }
                            let caller = ccx.frame.clone();
                            Arc::new(Frame {
                                file: f.clone(),
                                func: fid,
                                args,
                                site: Some((ccx.file.clone(), ccx.scope, call.span)),
                                time: caller.as_ref().and_then(|fr| fr.time.clone()),
                                depth: caller.as_ref().map_or(1, |fr| fr.depth + 1),
                                caller,
                                closure: None,
                                unknown_args: None,
                                used: Default::default(),
                            })
                        }
                        _ => self.unknown_frame(
                            f,
                            fid,
                            Some(receiver.clone()),
                            "the arguments given through `super().__init__` have several possible values"
                                .into(),
                        ),
                    }
                }
                // The `__init__` before does not surely call this one.
                (false, None) => break,
            };
            out.push(ChainedInit {
                file: f.clone(),
                func: fid,
                frame: frame.clone(),
            });
            if out.len() >= MAX_SUPER_CHAIN {
                break;
            }
            match unconditional_super_init(f, fid) {
                Some((call, scope)) => {
                    pending = Some((
                        call.clone(),
                        Cx {
                            file: f.clone(),
                            scope,
                            at: call.span.start,
                            frame: Some(frame),
                        },
                    ))
                }
                None => break,
            }
        }
        out
    }
}
