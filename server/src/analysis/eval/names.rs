//! Names: which definitions reach a use (each scope's flow, see [`crate::syntax::lower`]), under
//! which conditions, and what each definition gives.
//!
//! A use in its own scope reads the scope's timeline at the use. A use of a name of an enclosing
//! scope reads that scope where the use runs: a class body or a comprehension runs where it is
//! written (the enclosing flow at the same offset); a function runs when it is called, so its
//! free names are read at the call site when the frame knows it (the call made from the enclosing
//! scope), at the module-level time of the call chain for module globals, and otherwise every
//! definition of the name counts. Rebindings by other scopes (`global x` in a function) may have
//! happened at any time and always count.

use super::*;
use crate::analysis::FileAnalysis;

/// How many times a loop phi is re-evaluated before its values are called "changing".
const PHI_ROUNDS: usize = 4;
/// The steps one branch condition may take to be decided.
const PRED_FUEL: u32 = 300;

impl<'w> Evaluator<'w> {
    /// Every value `name`, used at `use_span` in `cx`, may have (Python's LEGB rule, through the
    /// flow of each scope).
    pub fn lookup(&mut self, name: &str, use_span: Span, cx: &Cx) -> Vec<Cand> {
        let file = cx.file.clone();
        let mut scope = cx.scope;
        let mut frame = cx.frame.clone();
        // Where in `scope`'s own flow the use runs; `None`: at a time the flow does not tell.
        let mut pos = Some(
            use_span
                .start
                .max(if use_span.end == 0 { cx.at } else { 0 }),
        );
        let mut from_function = false;
        // The frame of the innermost function left for an enclosing function's names, read
        // when it runs (a closure): its answer depends on that call.
        let mut closure_reader: Option<Arc<Frame>> = None;
        let mut out = Vec::new();
        for _ in 0..64 {
            let sc = &file.ir.scopes[scope];
            let is_class = matches!(sc.kind, ScopeKind::Class(_));
            if !(is_class && from_function) && file.ir.is_local(scope, name) {
                if let (Some(fr), ScopeKind::Function(_) | ScopeKind::Lambda) =
                    (&closure_reader, sc.kind)
                {
                    fr.mark(TIME_USED);
                }
                let (vals, maybe_unbound) =
                    self.lookup_in(&file, scope, name, pos, frame.clone(), cx);
                if out.is_empty() {
                    out = vals;
                } else {
                    out.extend(vals);
                }
                // Unbound in a function: UnboundLocalError on that path. In a module or class
                // body Python goes on to the enclosing scope and the builtins.
                if !maybe_unbound || matches!(sc.kind, ScopeKind::Function(_) | ScopeKind::Lambda) {
                    if out.is_empty() {
                        out.push(Cand::unknown(format!(
                            "`{name}` is not bound on any path that reaches here"
                        )));
                    }
                    return out;
                }
            }
            let Some(parent) = sc.parent else { break };
            match sc.kind {
                ScopeKind::Class(_) | ScopeKind::Comprehension => {}
                ScopeKind::Function(fid) => {
                    // The body runs when the function is called.
                    match &frame {
                        Some(fr) if fr.func == fid && Arc::ptr_eq(&fr.file, &file) => {
                            // Called from code that runs in the enclosing scope's own flow: the
                            // enclosing names are read at the call.
                            let called_here = fr.site.as_ref().filter(|(sf, ss, _)| {
                                Arc::ptr_eq(sf, &file) && runs_in(&file, *ss, parent)
                            });
                            match called_here {
                                Some((_, _, sp)) => {
                                    pos = Some(sp.start);
                                    frame = fr.caller.clone();
                                }
                                None => {
                                    // Read when the function runs: depends on its call (noted
                                    // when the name is found: see `closure_reader`).
                                    closure_reader = Some(fr.clone());
                                    pos = None;
                                    frame = fr.closure.clone();
                                }
                            }
                        }
                        _ => {
                            pos = None;
                            frame = None;
                        }
                    }
                    from_function = true;
                }
                ScopeKind::Lambda => {
                    pos = None;
                    from_function = true;
                }
                ScopeKind::Module => break,
            }
            scope = parent;
        }
        if !out.is_empty() {
            // Bound on some paths of a module or class body only: the builtins on the others.
            out.extend(builtin(name));
            return out;
        }
        builtin(name)
    }

    /// The values of `name` bound in `scope`: at offset `pos` of its flow, or (`pos` `None`) at
    /// a time the flow does not tell; plus the rebindings made by other scopes. The flag says
    /// whether the name may be unbound there.
    fn lookup_in(
        &mut self,
        file: &Arc<FileAnalysis>,
        scope: ScopeId,
        name: &str,
        pos: Option<u32>,
        frame: Option<Arc<Frame>>,
        cx: &Cx,
    ) -> (Vec<Cand>, bool) {
        let is_module = matches!(file.ir.scopes[scope].kind, ScopeKind::Module);
        let at_call_time = pos.is_none();
        // A module's globals read at call time: the module-level time of the call chain.
        let pos = match (pos, is_module) {
            (Some(p), _) => Some(p),
            // One definition (and no star import): the same value whenever it is read (or
            // unbound, which constructs nothing).
            (None, true)
                if file.ir.defs_of(scope, name).len() <= 1
                    && file.ir.scopes[scope].default_timeline.is_empty() =>
            {
                None
            }
            (None, true) => match cx.time() {
                Some((tf, off)) if Arc::ptr_eq(&tf, file) => Some(off),
                // Called from another module: this one has run to its end.
                Some(_) => Some(u32::MAX),
                None => None,
            },
            _ => None,
        };
        let (mut out, maybe_unbound) = match pos {
            Some(off) => {
                let reaches = file.ir.live_at(scope, name, off);
                self.eval_reaches(file, name, &reaches, frame.clone())
            }
            None => {
                // Every definition of the name (those made at any time are added below).
                let reaches: Vec<Reach> = file
                    .ir
                    .defs_of(scope, name)
                    .iter()
                    .copied()
                    .filter(|d| !file.ir.anytime_of(scope, name).any(|a| a == *d))
                    .map(|def| Reach { def, pred: TRUE })
                    .collect();
                let (v, _) = self.eval_reaches(file, name, &reaches, frame.clone());
                (v, false)
            }
        };
        // A global read by a function, when it runs: other modules may have rebound or changed
        // it by then (`mod.NAME = v`, `mod.NAME[k] = v`), as for a read of `mod.NAME` there.
        // Only when a store names this module (`import m; m.NAME = v`): a store through an
        // object that is not known (`obj.layers = v`) is taken to reach `mod.NAME` reads, not
        // every global of that name.
        if is_module && at_call_time && self.module_store_exists(file, name) {
            let target = StoreTarget::Module(super::objects::fptr(file));
            out = self.with_stores(out, &target, name, cx, None);
        }
        // Rebound by other scopes (`global` / `nonlocal`), at times the flow does not order.
        {
            for d in file.ir.anytime_of(scope, name) {
                let def = &file.ir.defs[d as usize];
                let here = self.place(file, def.span);
                let vals = self.eval_def(file, d, name, None);
                out.extend(vals.into_iter().map(|c| {
                    c.with_step(at(
                        format!("`{name}` may be rebound from another scope at {here}"),
                        file,
                        def.span,
                    ))
                }));
            }
        }
        // Rebound by name at run time (`globals()[name] = ...`).
        if let (true, Some(sp)) = (is_module, file.ir.dynamic_globals) {
            out.push(Cand::unknown(format!(
                "the module's globals may be rebound by name at {}",
                self.place(file, sp)
            )));
        }
        // Changed in place from a nested scope.
        if let Some(span) = file.ir.mutated_elsewhere_of(scope, name) {
            let where_ = self.place(file, span);
            let reason = format!("`{name}` may be changed in place by a function (at {where_})");
            for c in &mut out {
                mark_shared(&mut c.val, &reason);
            }
        }
        (out, maybe_unbound)
    }

    /// The values of the definitions `reaches` of `name` (of one scope of `file`) whose path
    /// condition may hold in `frame`; the flag says whether `UNBOUND` may reach.
    pub(crate) fn eval_reaches(
        &mut self,
        file: &Arc<FileAnalysis>,
        name: &str,
        reaches: &[Reach],
        frame: Option<Arc<Frame>>,
    ) -> (Vec<Cand>, bool) {
        let mut out = Vec::new();
        let mut unbound = false;
        for r in reaches {
            if r.pred != TRUE && self.pred_holds(file, r.pred, frame.clone()) == Some(false) {
                continue;
            }
            if r.def == UNBOUND {
                unbound = true;
                continue;
            }
            let vals = self.eval_def(file, r.def, name, frame.clone());
            if out.is_empty() {
                out = vals;
            } else {
                out.extend(vals);
            }
        }
        (super::cap(out), unbound)
    }

    /// Whether path condition `pred` of `file` holds in `frame`: `Some(false)` when a link of it
    /// is decided false, `Some(true)` when every link is decided true.
    pub(crate) fn pred_holds(
        &mut self,
        file: &Arc<FileAnalysis>,
        pred: PredId,
        frame: Option<Arc<Frame>>,
    ) -> Option<bool> {
        if pred == TRUE {
            return Some(true);
        }
        let fkey = self.frame_key(&frame);
        let key = (Arc::as_ptr(file) as *const u8 as usize, pred, fkey);
        if let Some(hit) = self.pred_memo.get(&key) {
            return *hit;
        }
        let cuts = self.cuts;
        let out = self.pred_holds_uncached(file, pred, frame);
        if self.memo_ok(cuts) {
            self.pred_memo.insert(key, out);
        }
        out
    }

    fn pred_holds_uncached(
        &mut self,
        file: &Arc<FileAnalysis>,
        pred: PredId,
        frame: Option<Arc<Frame>>,
    ) -> Option<bool> {
        let mut cur = pred;
        let mut all = Some(true);
        for _ in 0..64 {
            if cur == TRUE {
                return all;
            }
            let p = file.ir.preds[cur as usize];
            let cond = &file.ir.conds[p.cond as usize];
            let cx = Cx {
                file: file.clone(),
                scope: cond.scope,
                at: cond.test.span().start,
                frame: frame.clone(),
            };
            let test = cond.test.clone();
            // A condition worth deciding is simple (a flag, a comparison of a parameter): one
            // that takes more steps is left undecided (both branches).
            let saved = self.fuel;
            let budget = saved.min(PRED_FUEL);
            self.fuel = budget;
            let t = self.truth(&test, &cx);
            let cut = self.fuel == 0;
            self.fuel = saved - (budget - self.fuel);
            match t {
                Some(t) if t != p.polarity && !cut => return Some(false),
                Some(_) if !cut => {}
                _ => all = None,
            }
            cur = p.parent;
        }
        None
    }

    /// The values definition `def` of `file` gives `name` (`name` matters for a star import),
    /// evaluated in `frame`: memoized outside frames, guarded against cycles.
    pub(crate) fn eval_def(
        &mut self,
        file: &Arc<FileAnalysis>,
        def: DefId,
        name: &str,
        frame: Option<Arc<Frame>>,
    ) -> Vec<Cand> {
        // One step per definition (mutations and phis chain definitions without `eval`).
        if self.fuel == 0 {
            self.cuts += 1;
            return vec![Cand::unknown(format!(
                "following the value took more than {FUEL} steps (too many call sites and conditions)"
            ))];
        }
        self.fuel -= 1;
        let d = &file.ir.defs[def as usize];
        // A frame matters only to definitions of its function's scope (and scopes run in it).
        let frame = if frame.is_some() && in_function_scope(file, d.scope as usize) {
            frame
        } else {
            None
        };
        let fkey = self.frame_key(&frame);
        let key = (Arc::as_ptr(file) as *const u8 as usize, def, fkey);
        if let DefKind::Phi { .. } = d.kind {
            return self.eval_phi(file, def, name, frame, key);
        }
        let memoizable = fkey == 0 && !matches!(d.kind, DefKind::StarImport { .. });
        if memoizable {
            if let Some(m) = self.binding_memo.get(&key) {
                if m.steps <= self.fuel && self.depth <= m.depth {
                    self.fuel -= m.steps;
                    return m.values.clone();
                }
            }
        }
        if !self.visiting.insert(key) {
            self.cuts += 1;
            // A cycle of star imports (`a` does `from b import *`, `b` does `from a import *`):
            // whichever module runs first, the other finds it partly initialised, holding the
            // names bound before its star import. So the cycle gives, back here, what reaches
            // this import; each import of the cycle adds what reaches it too (see the
            // `StarImport` case of `def_values`). A name that nothing binds before the import
            // gives nothing here, since another module of the cycle may bind it; the import
            // where the cycle closes says "not defined" if none does.
            if let DefKind::StarImport { prev, .. } = d.kind {
                self.star_cycles += 1;
                self.star_roots.insert(key);
                let reaches: Vec<Reach> = file.ir.live(prev).to_vec();
                let (v, _) = self.eval_reaches(file, name, &reaches, frame);
                if v.is_empty() {
                    self.star_unbound += 1;
                }
                return v;
            }
            return vec![Cand::unknown(format!(
                "`{name}` is defined in terms of itself (a cycle)"
            ))];
        }
        let (fuel_before, cuts_before) = (self.fuel, self.cuts);
        let mut out = self.def_values(file, def, name, frame);
        // Only a dict's or a list's contents are marked (see `mark_shared`); other objects
        // changed elsewhere are their attribute stores'.
        let container = out
            .iter()
            .any(|c| matches!(c.val, Val::Dict(_) | Val::List { .. }));
        if let Some(reason) = container
            .then(|| self.shared_reason(file, def, 0))
            .flatten()
        {
            for c in &mut out {
                mark_shared(&mut c.val, &reason);
            }
        }
        // An initializer object is held by the layers it is given to, which call it when they
        // are built: a change of its attributes through this name, later on, may reach them.
        if out.iter().any(|c| matches!(c.val, Val::Init(_))) {
            if let Some(sp) = later_change(file, def) {
                let why = format!(
                    "the initializer object in `{name}` is changed at {} (layers given it earlier \
                     may be built after that)",
                    self.place(file, sp)
                );
                for c in &mut out {
                    if matches!(c.val, Val::Init(_)) {
                        c.val = Val::Unknown(why.clone());
                    }
                }
            }
        }
        // Its attributes set elsewhere (`init.stddev = ...` in another module, or on a parameter
        // it is passed to): stores through this name in this scope are the flow's (above).
        if out
            .iter()
            .any(|c| matches!(&c.val, Val::Init(i) if i.instance.is_some()))
        {
            for c in &mut out {
                if let Val::Init(i) = &c.val {
                    if let Some(why) = self.init_set_elsewhere(i, file, d.scope as usize, name) {
                        c.val = Val::Unknown(why);
                    }
                }
            }
        }
        self.visiting.remove(&key);
        if memoizable && self.memo_ok(cuts_before) {
            let memo = BindingMemo {
                values: out.clone(),
                steps: fuel_before.saturating_sub(self.fuel),
                depth: self.depth,
            };
            self.binding_memo.insert(key, memo);
        }
        out
    }

    /// A loop head: the values before the loop and at the end of each iteration, to a fixpoint
    /// (the values assumed for the phi are re-read until no new one appears, at most
    /// [`PHI_ROUNDS`] times; beyond, the value is said to change at each iteration).
    fn eval_phi(
        &mut self,
        file: &Arc<FileAnalysis>,
        def: DefId,
        name: &str,
        frame: Option<Arc<Frame>>,
        key: DefKey,
    ) -> Vec<Cand> {
        if let Some(v) = self.phi_assume.get(&key) {
            self.phi_read.insert(key);
            return v.clone();
        }
        let DefKind::Phi { sources } = &file.ir.defs[def as usize].kind else {
            return Vec::new();
        };
        let sources: Vec<LiveId> = sources.to_vec();
        let run = |ev: &mut Self| -> Vec<Cand> {
            let mut out = Vec::new();
            for s in &sources {
                let reaches: Vec<Reach> = file.ir.live(*s).to_vec();
                out.extend(ev.eval_reaches(file, name, &reaches, frame.clone()).0);
            }
            out
        };
        self.phi_assume.insert(key, Vec::new());
        self.phi_read.remove(&key);
        let mut acc = dedup(run(self));
        if !self.phi_read.contains(&key) {
            self.phi_assume.remove(&key);
            return acc;
        }
        for _ in 0..PHI_ROUNDS {
            self.phi_assume.insert(key, acc.clone());
            self.phi_read.remove(&key);
            let next = run(self);
            let fresh: Vec<Cand> = next
                .into_iter()
                .filter(|c| !acc.iter().any(|a| same_value(&a.val, &c.val)))
                .collect();
            if fresh.is_empty() {
                self.phi_assume.remove(&key);
                return acc;
            }
            acc.extend(dedup(fresh));
            if acc.len() >= MAX_CANDIDATES {
                break;
            }
        }
        self.phi_assume.remove(&key);
        let here = self.place(file, file.ir.defs[def as usize].span);
        acc.push(Cand::unknown(format!(
            "`{name}` changes at each iteration of the loop at {here}"
        )));
        acc
    }

    /// What definition `def` gives, without memo or guard.
    fn def_values(
        &mut self,
        file: &Arc<FileAnalysis>,
        def: DefId,
        name: &str,
        frame: Option<Arc<Frame>>,
    ) -> Vec<Cand> {
        let d = file.ir.defs[def as usize].clone();
        // A binding made through `global` / `nonlocal` belongs to the declaring scope but is
        // written, and its value read, in the innermost scope around it (`INIT = v` in
        // `def set_init(v)`: `v` is the parameter).
        let written = if file
            .ir
            .anytime_of(d.scope as usize, &d.name)
            .any(|a| a == def)
        {
            written_scope(file, d.span)
        } else {
            d.scope as usize
        };
        let cx = Cx {
            file: file.clone(),
            scope: written,
            at: d.span.start,
            frame: frame.clone(),
        };
        let here = self.place(file, d.span);
        match &d.kind {
            DefKind::Value(e) => self
                .eval(e, &cx)
                .into_iter()
                .map(|c| {
                    c.with_step(at(
                        format!("variable `{name}` bound at {here}"),
                        file,
                        d.span,
                    ))
                })
                .collect(),
            DefKind::Element { of, each, path } => {
                let injected = match (each, &path[..]) {
                    (false, [i]) => self.injected_submodule(of, *i, &cx),
                    _ => None,
                };
                let mut vals = injected.clone().unwrap_or_default();
                if injected.is_none() {
                    vals = self.eval(of, &cx);
                }
                if *each {
                    vals = vals.into_iter().flat_map(|c| self.elements(c)).collect();
                }
                for i in path.iter().filter(|_| injected.is_none()) {
                    vals = vals
                        .into_iter()
                        .flat_map(|c| self.element_at(c, *i))
                        .collect();
                }
                vals.into_iter()
                    .map(|c| {
                        c.with_step(at(
                            format!("loop or unpacking variable `{name}` at {here}"),
                            file,
                            d.span,
                        ))
                    })
                    .collect()
            }
            DefKind::Import { module, .. } => vec![Cand::new(self.import_module(file, module, 0))],
            DefKind::ImportFrom {
                module,
                level,
                name: imported,
            } => self.import_from(file, module, *level, imported, &cx),
            DefKind::StarImport {
                module,
                level,
                prev,
            } => {
                let m = self.import_module(file, module, *level);
                // A module that star-imports itself: run as a module, its own import finds it
                // partly initialised and gives the names bound so far (what reaches the import);
                // run as `__main__`, it imports a second copy that runs to its end, whose
                // bindings of the name are this module's other ones. Both, without following
                // this import into itself (a cycle).
                if let Val::Module(f) = &m {
                    if Arc::ptr_eq(f, file) {
                        let reaches: Vec<Reach> = file.ir.live(*prev).to_vec();
                        let (mut v, _) = self.eval_reaches(file, name, &reaches, frame.clone());
                        for other in file.ir.defs_of(d.scope as usize, name).to_vec() {
                            if other != def
                                && !matches!(
                                    file.ir.defs[other as usize].kind,
                                    DefKind::StarImport { .. }
                                )
                            {
                                v.extend(self.eval_def(file, other, name, frame.clone()));
                            }
                        }
                        if v.is_empty() {
                            v.extend(builtin(name));
                        }
                        return v;
                    }
                }
                let exported = match &m {
                    Val::Module(f) => module_exports(f, name),
                    Val::Ns(_) => !matches!(ns_attr(self.data, &m, name), Val::Unknown(_)),
                    _ => false,
                };
                if exported {
                    let (cycles_before, unbound_before) = (self.star_cycles, self.star_unbound);
                    let mut v: Vec<Cand> = self
                        .attr(&m, name, &cx)
                        .into_iter()
                        .map(|c| {
                            c.with_step(at(
                                format!("`from {module} import *` at {here}"),
                                file,
                                d.span,
                            ))
                        })
                        .collect();
                    // The module is in a star-import cycle with this one: it may be only partly
                    // initialised when this import runs, without the name yet, which then keeps
                    // what it was before the import.
                    if self.star_cycles != cycles_before {
                        let fkey = self.frame_key(&frame);
                        let key = (Arc::as_ptr(file) as *const u8 as usize, def, fkey);
                        let root = self.star_roots.remove(&key);
                        let reaches: Vec<Reach> = file.ir.live(*prev).to_vec();
                        let (before, unbound) = self.eval_reaches(file, name, &reaches, frame);
                        v.extend(before);
                        v = dedup(v);
                        if v.is_empty() && self.star_unbound != unbound_before {
                            if root {
                                // Bound nowhere in the cycle.
                                v.extend(builtin(name).into_iter().map(|c| {
                                    c.with_step(at(
                                        format!("`from {module} import *` at {here}"),
                                        file,
                                        d.span,
                                    ))
                                }));
                            } else {
                                // Not bound on this side of the cycle: the import where the
                                // cycle closes decides.
                                self.star_unbound += 1;
                            }
                        } else if v.is_empty() && unbound {
                            v.extend(builtin(name));
                        }
                    }
                    v
                } else {
                    let reaches: Vec<Reach> = file.ir.live(*prev).to_vec();
                    let (v, unbound) = self.eval_reaches(file, name, &reaches, frame);
                    let mut v = v;
                    if unbound && v.is_empty() {
                        v.extend(builtin(name));
                    }
                    v
                }
            }
            DefKind::Function(f) => vec![Cand::new(Val::Func {
                file: file.clone(),
                id: *f,
                closure: frame,
            })],
            DefKind::Class(c) => vec![Cand::new(Val::Class(file.clone(), *c))],
            DefKind::Param { func, index } => self.param(file, *func, *index, frame),
            DefKind::Mutation { op, prev } => {
                let reaches: Vec<Reach> = file.ir.live(*prev).to_vec();
                let (before, _) = self.eval_reaches(file, name, &reaches, frame);
                let mut out = Vec::new();
                for c in before {
                    out.extend(self.apply_mutation(c, op, &cx, name, d.span));
                }
                out
            }
            DefKind::Phi { .. } => Vec::new(),
            DefKind::Unknown(r) => vec![Cand::unknown(format!("`{name}` is {r} at {here}"))],
        }
    }

    /// `from module import name` (also `from pkg import submodule`).
    fn import_from(
        &mut self,
        file: &Arc<FileAnalysis>,
        module: &str,
        level: u32,
        imported: &str,
        cx: &Cx,
    ) -> Vec<Cand> {
        let m = self.import_module(file, module, level);
        let outer = std::mem::replace(&mut self.stores_maybe_only, true);
        let mut r = self.attr(&m, imported, cx);
        self.stores_maybe_only = outer;
        if r.iter().all(|c| matches!(c.val, Val::Unknown(_))) {
            let full: String = if module.is_empty() {
                imported.to_string()
            } else {
                format!("{module}.{imported}")
            };
            let sub = self.import_module(file, &full, level);
            if !matches!(sub, Val::Unknown(_)) {
                r = vec![Cand::new(sub)];
            }
        }
        r
    }

    /// The elements of an iterable value (a `for` target, a comprehension variable).
    fn elements(&mut self, c: Cand) -> Vec<Cand> {
        let origin = c.origin.clone();
        let with = |mut v: Cand| {
            let mut o = origin.clone();
            o.append(&mut v.origin);
            v.origin = o;
            v
        };
        match c.val {
            Val::List { items, open } => {
                let mut out = Vec::new();
                for (e, ecx) in items {
                    out.extend(self.eval(&e, &ecx).into_iter().map(with));
                }
                if let Some(r) = open {
                    out.push(Cand::unknown(r));
                }
                if out.is_empty() {
                    // An empty iterable: the loop body does not run.
                    return Vec::new();
                }
                out
            }
            Val::Dict(d) => {
                let mut out: Vec<Cand> = Vec::new();
                for (k, _, _) in &d.entries {
                    if !out.iter().any(|c| matches!(&c.val, Val::Str(s) if s == k)) {
                        out.push(with(Cand::new(Val::Str(k.clone()))));
                    }
                }
                if let Some(r) = d.open.or(d.shared) {
                    out.push(Cand::unknown(r));
                }
                out
            }
            Val::Str(s) => s
                .chars()
                .map(|ch| with(Cand::new(Val::Str(ch.to_string()))))
                .collect(),
            Val::Unknown(r) => vec![Cand::unknown(r)],
            other => vec![Cand::unknown(format!(
                "an element of {}, which is not followed",
                describe(&other)
            ))],
        }
    }

    /// Element `i` of a sequence value (unpacking).
    pub(super) fn element_at(&mut self, c: Cand, i: u32) -> Vec<Cand> {
        match c.val {
            Val::List { items, open } => match items.get(i as usize) {
                Some((e, ecx)) => {
                    let (e, ecx) = (e.clone(), ecx.clone());
                    self.eval(&e, &ecx)
                }
                None if open.is_some() => vec![Cand::unknown(open.unwrap_or_default())],
                // Python raises (too few values to unpack).
                None => Vec::new(),
            },
            Val::Unknown(r) => vec![Cand::unknown(r)],
            other => vec![Cand::unknown(format!(
                "unpacked from {}, which is not followed",
                describe(&other)
            ))],
        }
    }

    /// Applies a change in place to one value of the object (a dict, a list, an object's
    /// attributes). A change the resolver does not model makes the value unknown in part.
    fn apply_mutation(
        &mut self,
        c: Cand,
        op: &Mutation,
        cx: &Cx,
        name: &str,
        span: Span,
    ) -> Vec<Cand> {
        let here = self.place(&cx.file, span);
        let origin = c.origin;
        let wrap = |v: Val| Cand {
            val: v,
            origin: origin.clone(),
        };
        match (c.val, op) {
            (Val::Dict(mut d), Mutation::SetItem { key, value }) => {
                match self.single_str(key, cx) {
                    Some(k) => {
                        d.removed.retain(|r| *r != k);
                        d.entries.push((k, value.clone(), cx.clone()));
                    }
                    None => d.open = Some(format!("a key of `{name}` set at {here} is not known")),
                }
                vec![wrap(Val::Dict(d))]
            }
            (Val::Dict(mut d), Mutation::DelItem { key }) => match self.single_str(key, cx) {
                Some(k) => {
                    let present = d.entries.iter().any(|(n, _, _)| *n == k);
                    d.entries.retain(|(n, _, _)| *n != k);
                    d.removed.push(k);
                    // Deleting a key that is not there raises KeyError.
                    if present || d.open.is_some() || d.shared.is_some() {
                        vec![wrap(Val::Dict(d))]
                    } else {
                        Vec::new()
                    }
                }
                None => {
                    d.open = Some(format!("a key of `{name}` deleted at {here} is not known"));
                    vec![wrap(Val::Dict(d))]
                }
            },
            (Val::Dict(d), Mutation::Method(call)) => self
                .dict_method(*d, call, cx, name, &here)
                .into_iter()
                .map(wrap)
                .collect(),
            (Val::List { mut items, open }, Mutation::SetItem { key, value }) => {
                let idx = self.eval(key, cx);
                match (idx.as_slice(), open.is_none()) {
                    ([i], true) => match i.val {
                        Val::Num(Number::Int(n)) => {
                            let len = items.len() as i64;
                            let k = if n < 0 { len + n } else { n };
                            if k < 0 || k >= len {
                                return Vec::new(); // IndexError
                            }
                            items[k as usize] = (value.clone(), cx.clone());
                            vec![wrap(Val::List { items, open })]
                        }
                        // An item changed at a position not known: no item is known.
                        _ => vec![wrap(Val::List {
                            items: Vec::new(),
                            open: Some(format!("`{name}` changed at {here}")),
                        })],
                    },
                    _ => vec![wrap(Val::List {
                        items: Vec::new(),
                        open: Some(format!("`{name}` changed at {here}")),
                    })],
                }
            }
            (Val::List { mut items, open }, Mutation::Method(call)) => {
                let method = match &call.func {
                    Expr::Attr { attr, .. } => attr.as_str(),
                    _ => "",
                };
                match (method, &*call.args) {
                    ("append", [v]) if open.is_none() => {
                        items.push((v.clone(), cx.clone()));
                        vec![wrap(Val::List { items, open })]
                    }
                    ("extend", [v]) if open.is_none() => {
                        let mut out = Vec::new();
                        for more in self.eval(v, cx) {
                            let mut items = items.clone();
                            let mut open = open.clone();
                            match more.val {
                                Val::List { items: m, open: o } => {
                                    items.extend(m);
                                    if o.is_some() {
                                        open = o;
                                    }
                                }
                                Val::Unknown(r) => open = Some(r),
                                other => open = Some(format!("extended with {}", describe(&other))),
                            }
                            out.push(wrap(Val::List { items, open }));
                        }
                        out
                    }
                    // `insert`, `sort`, `reverse`, `remove`, `pop`, ...: the items move.
                    _ => vec![wrap(Val::List {
                        items: Vec::new(),
                        open: Some(format!("`{name}` changed by `.{method}()` at {here}")),
                    })],
                }
            }
            (Val::Instance(mut i), Mutation::SetAttr { attr, value }) => {
                for a in self.set_attr_entries(attr, &cx.file, span) {
                    i.attrs.push((a, value.clone().map(|v| (v, cx.clone()))));
                }
                vec![wrap(Val::Instance(i))]
            }
            (Val::Layer(mut l), Mutation::SetAttr { attr, value }) => {
                for a in self.set_attr_entries(attr, &cx.file, span) {
                    l.attrs.push((a, value.clone().map(|v| (v, cx.clone()))));
                }
                vec![wrap(Val::Layer(l))]
            }
            (Val::Instance(mut i), Mutation::Deep(_)) => {
                i.attrs.push(("*".into(), None));
                vec![wrap(Val::Instance(i))]
            }
            (Val::Dict(mut d), Mutation::Deep(_)) => {
                d.shared = Some(format!("a value inside `{name}` is changed at {here}"));
                vec![wrap(Val::Dict(d))]
            }
            (Val::List { .. }, Mutation::Deep(_)) => vec![wrap(Val::List {
                items: Vec::new(),
                open: Some(format!("a value inside `{name}` is changed at {here}")),
            })],
            // Attributes set on classes and modules are found by the store index; other objects
            // keep their value.
            (
                v @ (Val::Class(..) | Val::Module(_) | Val::Func { .. }),
                Mutation::SetAttr { .. },
            ) => {
                vec![wrap(v)]
            }
            (Val::Unknown(r), _) => vec![wrap(Val::Unknown(r))],
            (
                v @ (Val::Str(_) | Val::Num(_) | Val::Bool(_) | Val::NoneV),
                Mutation::SetAttr { .. },
            ) => {
                // Python raises AttributeError.
                let _ = v;
                Vec::new()
            }
            (other, _) => vec![wrap(Val::Unknown(format!(
                "{} changed in place at {here}, which is not followed",
                describe(&other)
            )))],
        }
    }

    /// A dict method call that changes it (`update`, `setdefault`, `pop`, `popitem`, `clear`).
    fn dict_method(
        &mut self,
        mut d: DictVal,
        call: &Arc<Call>,
        cx: &Cx,
        name: &str,
        here: &str,
    ) -> Vec<Val> {
        let method = match &call.func {
            Expr::Attr { attr, .. } => attr.to_string(),
            _ => String::new(),
        };
        let maybe_present = |d: &DictVal, k: &str| -> Option<bool> {
            if d.entries.iter().any(|(n, _, _)| n == k) {
                Some(true)
            } else if d.removed.iter().any(|r| r == k) || (d.open.is_none() && d.shared.is_none()) {
                Some(false)
            } else {
                None
            }
        };
        match method.as_str() {
            "update" => {
                let mut acc = vec![d];
                for a in &call.args {
                    let parts = self.eval(a, cx);
                    let mut next = Vec::new();
                    for base in &acc {
                        for p in &parts {
                            let mut b = base.clone();
                            spread_into(&mut b, &p.val);
                            next.push(b);
                        }
                    }
                    next.truncate(MAX_CANDIDATES);
                    acc = next;
                }
                for k in &call.keywords {
                    for b in &mut acc {
                        match &k.name {
                            Some(n) => {
                                b.removed.retain(|r| r != n.as_str());
                                b.entries.push((n.to_string(), k.value.clone(), cx.clone()));
                            }
                            None => {
                                let parts = self.eval(&k.value, cx);
                                if let [p] = parts.as_slice() {
                                    spread_into(b, &p.val);
                                } else {
                                    b.open = Some(format!("`**` in `{name}.update` at {here}"));
                                }
                            }
                        }
                    }
                }
                acc.into_iter().map(|b| Val::Dict(Box::new(b))).collect()
            }
            "setdefault" => {
                let Some(k) = call.args.first().and_then(|k| self.single_str(k, cx)) else {
                    d.open = Some(format!("a key of `{name}` set at {here} is not known"));
                    return vec![Val::Dict(Box::new(d))];
                };
                let value = call
                    .args
                    .get(1)
                    .cloned()
                    .unwrap_or(Expr::NoneLit { span: call.span });
                match maybe_present(&d, &k) {
                    Some(true) => vec![Val::Dict(Box::new(d))],
                    Some(false) => {
                        d.removed.retain(|r| *r != k);
                        d.entries.push((k, value, cx.clone()));
                        vec![Val::Dict(Box::new(d))]
                    }
                    None => {
                        // Either the key was there (a value not known) or it is set now.
                        let unchanged = d.clone();
                        d.entries.push((k, value, cx.clone()));
                        vec![Val::Dict(Box::new(unchanged)), Val::Dict(Box::new(d))]
                    }
                }
            }
            "pop" => {
                let Some(k) = call.args.first().and_then(|k| self.single_str(k, cx)) else {
                    d.open = Some(format!("a key of `{name}` removed at {here} is not known"));
                    return vec![Val::Dict(Box::new(d))];
                };
                let present = maybe_present(&d, &k);
                d.entries.retain(|(n, _, _)| *n != k);
                d.removed.push(k);
                // `pop(k)` without a default raises KeyError when the key is absent.
                if present == Some(false) && call.args.len() < 2 {
                    return Vec::new();
                }
                vec![Val::Dict(Box::new(d))]
            }
            "clear" => vec![Val::Dict(Box::new(DictVal {
                entries: Vec::new(),
                open: None,
                removed: Vec::new(),
                shared: d.shared,
            }))],
            // `popitem()` and others: any key may have been removed or changed.
            _ => {
                let why = format!("`{name}.{method}()` at {here} is not followed");
                d.open = Some(why.clone());
                d.shared.get_or_insert(why);
                vec![Val::Dict(Box::new(d))]
            }
        }
    }

    /// The single string value of `e`, if it has exactly one.
    pub(crate) fn single_str(&mut self, e: &Expr, cx: &Cx) -> Option<String> {
        match self.eval(e, cx).as_slice() {
            [c] => match &c.val {
                Val::Str(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Why the object bound by definition `def` may be changed by code that is not followed
    /// (its escapes, see [`crate::syntax::ir::Escape`]), or `None`.
    fn shared_reason(
        &mut self,
        file: &Arc<FileAnalysis>,
        def: DefId,
        depth: usize,
    ) -> Option<String> {
        let key = (Arc::as_ptr(file) as *const u8 as usize, def);
        if let Some(r) = self.shared_memo.get(&key) {
            return r.clone();
        }
        if depth > 4 {
            return Some("it is handed on through too many names".into());
        }
        // Provisionally not shared (a cycle through aliases adds nothing).
        self.shared_memo.insert(key, None);
        let out = self.shared_reason_of(file, def, depth, false, None);
        self.shared_memo.insert(key, out.clone());
        out
    }

    /// Why the keys of the container bound by `def` may be changed by code that is not followed:
    /// [`Self::shared_reason`] without the names that hold only parts of it (a loop target over
    /// its items, `inner = CFG["a"]`), which cannot add or remove its keys.
    pub(crate) fn keys_shared_reason(
        &mut self,
        file: &Arc<FileAnalysis>,
        def: DefId,
    ) -> Option<String> {
        self.shared_reason_of(file, def, 0, true, None)
    }

    fn shared_reason_of(
        &mut self,
        file: &Arc<FileAnalysis>,
        def: DefId,
        depth: usize,
        parts_held: bool,
        only: Option<&str>,
    ) -> Option<String> {
        let d = file.ir.defs[def as usize].clone();
        let mut out = None;
        for e in file.ir.escapes_of(def).to_vec() {
            // A star import binds many names: only the uses of `only` count.
            if only.is_some_and(|n| !escape_is_of(file, &e, n)) {
                continue;
            }
            let where_ = self.place(file, e.span);
            if let (true, EscapeKind::Alias(other)) = (parts_held, &e.kind) {
                let part = match &file.ir.defs[*other as usize].kind {
                    DefKind::Element { .. } => true,
                    DefKind::Value(v) => !matches!(v, Expr::Name { .. }),
                    _ => false,
                };
                if part {
                    continue;
                }
            }
            let r = match &e.kind {
                EscapeKind::Alias(other) => {
                    let o = &file.ir.defs[*other as usize];
                    let changed = file.ir.defs_of(o.scope as usize, &o.name).iter().any(|x| {
                        matches!(file.ir.defs[*x as usize].kind, DefKind::Mutation { .. })
                    });
                    if changed {
                        Some(format!(
                            "`{}` is also bound to `{}` at {where_}, which changes it",
                            d.name, o.name
                        ))
                    } else {
                        self.shared_reason(file, *other, depth + 1)
                    }
                }
                EscapeKind::Arg { call, slot } => self
                    .arg_may_change(file, *call, *slot, depth)
                    .map(|r| format!("`{}` is passed on at {where_} ({r})", d.name)),
                EscapeKind::Return => {
                    // A local object returned from its function is the caller's from then on;
                    // an argument or a global returned may be changed by the caller.
                    let local = matches!(
                        file.ir.scopes[d.scope as usize].kind,
                        ScopeKind::Function(_)
                    ) && !matches!(d.kind, DefKind::Param { .. })
                        && file.ir.scopes[d.scope as usize].span.contains(e.span.start);
                    (!local).then(|| format!("`{}` is returned at {where_}", d.name))
                }
                EscapeKind::Other => Some(format!(
                    "`{}` is stored or handed on at {where_}, where it may be changed",
                    d.name
                )),
            };
            if r.is_some() {
                out = r;
                break;
            }
        }
        // A name of the module may be imported elsewhere (`from m import NAME`) and its object
        // changed there, at a time this module's flow does not order.
        if out.is_none() && d.scope == 0 && d.name.as_str() != "*" {
            out = self.changed_by_importers(file, &d.name, depth);
        }
        out
    }

    /// Why the object the module-level name `name` of `file` holds may be changed in place by
    /// another module that imports it (`from file import name` or `from file import *`, then
    /// `name[k] = v`, `name.update(...)`, `name.attr = v`, or handed on to code that may change
    /// it; also through a module that imports it again), or `None`. Every importer of the
    /// workspace is looked at, at any time: whether it runs before a read is not ordered.
    fn changed_by_importers(
        &mut self,
        file: &Arc<FileAnalysis>,
        name: &str,
        depth: usize,
    ) -> Option<String> {
        for (g, ix) in self.ws.from_imports_of(name).iter() {
            let x = &g.ir.defs[*ix];
            let (module, level, bound) = match &x.kind {
                DefKind::ImportFrom { module, level, .. } => (module, *level, x.name.as_str()),
                DefKind::StarImport { module, level, .. } => (module, *level, name),
                _ => continue,
            };
            let m = self.import_module(g, module, level);
            // A module that is not found may be this one under a name the roots do not give
            // (a file checked on its own, a package root not opened).
            let same = match &m {
                Val::Module(mf) => Arc::ptr_eq(mf, file),
                Val::Unknown(_) => true,
                _ => false,
            };
            if !same
                || (matches!(x.kind, DefKind::StarImport { .. }) && !module_exports(file, name))
            {
                continue;
            }
            let scope = x.scope as usize;
            let where_ = self.place(g, x.span);
            // Changed in place in the importing scope (any change of a name of that scope
            // bound to it counts: a sound superset), or from a function of it.
            let changed = g.ir.defs_of(scope, bound).iter().find_map(|m| {
                matches!(g.ir.defs[*m as usize].kind, DefKind::Mutation { .. })
                    .then(|| g.ir.defs[*m as usize].span)
            });
            let changed = changed.or_else(|| g.ir.mutated_elsewhere_of(scope, bound));
            if let Some(sp) = changed {
                return Some(format!(
                    "`{name}` is imported at {where_} and changed there (at {})",
                    self.place(g, sp)
                ));
            }
            // Handed on there to code that may change it.
            let handed = if matches!(x.kind, DefKind::StarImport { .. }) {
                self.shared_reason_of(g, *ix as DefId, depth + 1, false, Some(name))
            } else {
                self.shared_reason(g, *ix as DefId, depth + 1)
            };
            if let Some(r) = handed {
                return Some(format!("`{name}` is imported at {where_}: {r}"));
            }
        }
        // Read as an attribute of this module elsewhere and handed on there
        // (`change(mod.NAME)`, `x = mod.NAME`).
        let target = StoreTarget::Module(super::objects::fptr(file));
        for (g, ix) in self.ws.attr_escapes_of(name).iter() {
            let e = g.ir.attr_escapes[*ix].clone();
            let base = Expr::Name {
                id: e.base.clone(),
                span: e.span,
            };
            let t = self.base_target(g, e.scope as usize, &base, 0);
            if !super::objects::same_target(&t, &target) {
                continue;
            }
            let where_ = self.place(g, e.span);
            let r = match e.kind {
                EscapeKind::Arg { call, slot } => self
                    .arg_may_change(g, call, slot, depth + 1)
                    .map(|r| format!("`{name}` is passed on at {where_} ({r})")),
                EscapeKind::Return => Some(format!("`{name}` is returned at {where_}")),
                _ => Some(format!(
                    "`{name}` is stored or bound at {where_}, where it may be changed"
                )),
            };
            if r.is_some() {
                return r;
            }
        }
        None
    }

    /// Whether passing an object as argument `arg` (or `keyword`) of call `call` of `file` may
    /// change it: the reason, or `None` when the callee only reads it (Keras layers and
    /// initializers, or a workspace function whose parameter is only read).
    fn arg_may_change(
        &mut self,
        file: &Arc<FileAnalysis>,
        call: u32,
        slot: u32,
        depth: usize,
    ) -> Option<String> {
        let Some(site) = file.ir.calls.get(call as usize).cloned() else {
            return Some("a call that is not followed".into());
        };
        let (arg, keyword): (Option<u32>, Option<String>) = if slot & KEYWORD != 0 {
            let k = site.call.keywords.get((slot & !KEYWORD) as usize);
            (None, k.and_then(|k| k.name.as_ref()).map(|n| n.to_string()))
        } else {
            (Some(slot), None)
        };
        let keyword = keyword.as_deref();
        let cx = Cx::at_call(file, &site);
        let saved = self.fuel;
        let budget = saved.min(CALLEE_FUEL);
        self.fuel = budget;
        let callees = self.eval(&site.call.func, &cx);
        self.fuel = saved - (budget - self.fuel);
        if callees.is_empty() {
            return Some("a call that is not followed".into());
        }
        for c in &callees {
            let r = match &c.val {
                Val::LayerClass(_) | Val::InitClass(_) | Val::TfInit(_) => None,
                Val::Builtin("initializers.get") | Val::Builtin("dict") => None,
                Val::Func { file: ff, id, .. } | Val::BoundMethod { file: ff, id, .. } => {
                    let skip = usize::from(matches!(c.val, Val::BoundMethod { .. }));
                    let f = &ff.ir.functions[*id];
                    let params: Vec<&Param> = f.params.iter().skip(skip).collect();
                    let p = match (arg, keyword) {
                        (Some(i), _) => params
                            .iter()
                            .filter(|p| p.kind == ParamKind::Positional)
                            .nth(i as usize)
                            .copied(),
                        (None, Some(k)) => params.iter().find(|p| p.name == k).copied(),
                        _ => None,
                    };
                    match p {
                        None => Some(format!("`{}` collects it with `*`/`**`", f.name)),
                        Some(p) => {
                            let pdefs = ff.ir.defs_of(f.scope, &p.name).to_vec();
                            let changed = pdefs.iter().any(|x| {
                                matches!(ff.ir.defs[*x as usize].kind, DefKind::Mutation { .. })
                            });
                            if changed {
                                Some(format!("`{}` changes its parameter `{}`", f.name, p.name))
                            } else {
                                let ff = ff.clone();
                                pdefs
                                    .iter()
                                    .filter(|x| {
                                        matches!(
                                            ff.ir.defs[**x as usize].kind,
                                            DefKind::Param { .. }
                                        )
                                    })
                                    .find_map(|x| self.shared_reason(&ff, *x, depth + 1))
                            }
                        }
                    }
                }
                other => Some(format!("given to {}", describe(other))),
            };
            if r.is_some() {
                return r;
            }
        }
        None
    }

    /// Values of parameter `index` of `func`: the argument of `frame` when it is a call of it,
    /// else (a caller that is not followed) its default and an unknown.
    pub(crate) fn param(
        &mut self,
        file: &Arc<FileAnalysis>,
        func: FuncId,
        index: usize,
        frame: Option<Arc<Frame>>,
    ) -> Vec<Cand> {
        let f = &file.ir.functions[func];
        let p = f.params[index].clone();
        let fname = f.name.clone();
        let frame = frame.filter(|fr| fr.func == func && Arc::ptr_eq(&fr.file, file));
        // `self` of a method outside a known call: an instance of the class (or a subclass) that
        // is not known.
        if let (None, Some(class), 0) = (&frame, f.class, index) {
            let plain = f.decorators.is_empty() && matches!(p.kind, ParamKind::Positional);
            if plain {
                return vec![Cand::new(Val::Instance(Box::new(InstanceVal {
                    file: file.clone(),
                    class,
                    call: None,
                    args: None,
                    attrs: Vec::new(),
                })))];
            }
        }
        let Some(fr) = frame else {
            let mut out = self.param_default(file, func, index);
            out.push(Cand::unknown(format!(
                "parameter `{}` of `{fname}`: the calls that pass it are not followed here",
                p.name
            )));
            return out;
        };
        fr.mark(1u64 << index.min(62));
        let site = fr
            .site
            .as_ref()
            .map(|(sf, _, sp)| (self.place(sf, *sp), sf.clone(), *sp));
        let with_site = |c: Cand| match &site {
            Some((s, sf, sp)) => c.with_step(at(
                format!("argument `{}` of `{fname}` at {s}", p.name),
                sf,
                *sp,
            )),
            None => c,
        };
        if let Some((_, arg)) = fr.args.iter().find(|(n, _)| *n == p.name) {
            let arg = arg.clone();
            return match arg {
                BoundArg::Expr(e, ecx) => self.eval(&e, &ecx).into_iter().map(with_site).collect(),
                BoundArg::Kwargs(kw, open) => {
                    let mut d = DictVal::new(kw);
                    d.open = open;
                    vec![with_site(Cand::new(Val::Dict(Box::new(d))))]
                }
                BoundArg::Args(items, open) => {
                    vec![with_site(Cand::new(Val::List { items, open }))]
                }
                BoundArg::Val(v) => vec![Cand::new(v)],
                BoundArg::Narrowed(c) => vec![*c],
                BoundArg::Unknown(r) => {
                    let mut out = self.param_default(file, func, index);
                    out.push(Cand::unknown(format!(
                        "parameter `{}` of `{fname}`: {r}",
                        p.name
                    )));
                    out.into_iter().map(with_site).collect()
                }
            };
        }
        if let Some(r) = &fr.unknown_args {
            let mut out = self.param_default(file, func, index);
            out.push(Cand::unknown(format!(
                "parameter `{}` of `{fname}`: {r}",
                p.name
            )));
            return out;
        }
        match p.kind {
            ParamKind::VarKeywords => {
                vec![Cand::new(Val::Dict(Box::new(DictVal::new(Vec::new()))))]
            }
            ParamKind::VarArgs => vec![Cand::new(Val::List {
                items: Vec::new(),
                open: None,
            })],
            _ => {
                let d = self.param_default(file, func, index);
                if d.is_empty() {
                    // A required parameter not passed: Python raises TypeError.
                    Vec::new()
                } else {
                    d
                }
            }
        }
    }

    /// The default of parameter `index` of `func` (evaluated where the `def` is, at its time).
    pub fn param_default(
        &mut self,
        file: &Arc<FileAnalysis>,
        func: FuncId,
        index: usize,
    ) -> Vec<Cand> {
        let f = &file.ir.functions[func];
        let p = &f.params[index];
        match &p.default {
            Some(d) => {
                let dcx = Cx {
                    file: file.clone(),
                    scope: f.parent_scope,
                    at: f.span.start,
                    frame: None,
                };
                let here = self.place(file, p.span);
                let text = format!("default of parameter `{}` of `{}` ({here})", p.name, f.name);
                let span = p.span;
                let d = d.clone();
                // A default is one object for every call: changed in the body (or handed on
                // where it may be), each call sees what the calls before left in it.
                let fscope = f.scope;
                let pname = p.name.clone();
                let mutated_at = file
                    .ir
                    .defs
                    .iter()
                    .find(|x| {
                        x.scope as usize == fscope
                            && x.name.as_str() == pname
                            && matches!(x.kind, DefKind::Mutation { .. })
                    })
                    .map(|x| x.span);
                let param_def = file.ir.defs.iter().position(|x| {
                    matches!(x.kind, DefKind::Param { func: pf, index: pi } if pf == func && pi == index)
                });
                let shared = match mutated_at {
                    Some(sp) => Some(format!(
                        "the default of `{pname}` is one object shared by every call, changed at {}",
                        self.place(file, sp)
                    )),
                    None => param_def.and_then(|pd| self.shared_reason(file, pd as DefId, 0)),
                };
                self.eval(&d, &dcx)
                    .into_iter()
                    .map(|mut c| {
                        if let Some(r) = &shared {
                            mark_shared(&mut c.val, r);
                        }
                        c.with_step(at(text.clone(), file, span))
                    })
                    .collect()
            }
            None => Vec::new(),
        }
    }
}

/// Whether code of scope `inner` runs in the flow of `outer`: `inner` is `outer`, or a class
/// body or comprehension (which run where they are written) inside it.
pub(crate) fn runs_in(file: &FileAnalysis, inner: ScopeId, outer: ScopeId) -> bool {
    let mut s = inner;
    for _ in 0..256 {
        if s == outer {
            return true;
        }
        match file.ir.scopes[s].kind {
            ScopeKind::Class(_) | ScopeKind::Comprehension => match file.ir.scopes[s].parent {
                Some(p) => s = p,
                None => return false,
            },
            _ => return false,
        }
    }
    false
}

/// Whether `scope` runs inside a function call (a function scope, or a class body, comprehension
/// or lambda inside one): a frame applies to its definitions.
fn in_function_scope(file: &FileAnalysis, scope: ScopeId) -> bool {
    let mut s = Some(scope);
    for _ in 0..256 {
        match s {
            Some(id) => match file.ir.scopes[id].kind {
                ScopeKind::Function(_) => return true,
                ScopeKind::Module => return false,
                _ => s = file.ir.scopes[id].parent,
            },
            None => return false,
        }
    }
    false
}

/// Whether module `f` defines `name` at its top level (for `from f import *`).
fn module_exports(f: &FileAnalysis, name: &str) -> bool {
    if let Some(all) = &f.ir.all {
        return all.iter().any(|n| n == name);
    }
    !name.starts_with('_') && (f.ir.is_local(0, name) || !f.ir.star_imports.is_empty())
}

/// Python's builtins that matter here, else "not defined".
fn builtin(name: &str) -> Vec<Cand> {
    match name {
        "dict" => vec![Cand::new(Val::Builtin("dict"))],
        "super" => vec![Cand::new(Val::Builtin("super"))],
        "setattr" => vec![Cand::new(Val::Builtin("setattr"))],
        "enumerate" => vec![Cand::new(Val::Builtin("enumerate"))],
        "isinstance" => vec![Cand::new(Val::Builtin("isinstance"))],
        "zip" => vec![Cand::new(Val::Builtin("zip"))],
        "type" => vec![Cand::new(Val::Builtin("type"))],
        "object" => vec![Cand::new(Val::Builtin("object"))],
        "staticmethod" | "classmethod" | "property" => vec![Cand::new(Val::Builtin("decorator"))],
        "list" | "tuple" => vec![Cand::new(Val::Builtin("list"))],
        "partial" => vec![Cand::unknown("`partial` is not imported from functools")],
        other if super::builtins::builtin_value(other).is_some() => {
            vec![Cand::new(
                super::builtins::builtin_value(other).unwrap_or(Val::NoneV),
            )]
        }
        _ => vec![Cand::unknown(format!("name `{name}` is not defined"))],
    }
}

/// Marks a dict or list value as possibly changed elsewhere (see [`DictVal::shared`]).
/// The innermost function or lambda scope whose span holds `span` (else the module).
fn written_scope(file: &FileAnalysis, span: Span) -> ScopeId {
    let mut best: (ScopeId, u32) = (0, u32::MAX);
    for (i, sc) in file.ir.scopes.iter().enumerate() {
        if matches!(sc.kind, ScopeKind::Function(_) | ScopeKind::Lambda)
            && sc.span.start <= span.start
            && span.end <= sc.span.end
            && sc.span.end - sc.span.start < best.1
        {
            best = (i, sc.span.end - sc.span.start);
        }
    }
    best.0
}

/// A change in place (an attribute set, a method that changes it, a part changed) of the object
/// definition `def` binds, through the same name in its scope after it.
fn later_change(file: &FileAnalysis, def: DefId) -> Option<Span> {
    let d = &file.ir.defs[def as usize];
    if matches!(d.kind, DefKind::Mutation { .. } | DefKind::Phi { .. }) {
        return None;
    }
    file.ir
        .defs_of(d.scope as usize, &d.name)
        .iter()
        .map(|x| &file.ir.defs[*x as usize])
        .find(|x| {
            x.span.start > d.span.start
                && matches!(&x.kind, DefKind::Mutation { op, .. }
                    if matches!(&**op, Mutation::SetAttr { .. } | Mutation::Method(_) | Mutation::Deep(_)))
        })
        .map(|x| x.span)
}

/// Whether escape `e` may be a use of the name `name` (an argument or an alias that is that
/// name; a use of another kind is not told apart: it may be).
fn escape_is_of(file: &FileAnalysis, e: &crate::syntax::ir::Escape, name: &str) -> bool {
    let is_name = |x: &Expr| matches!(x, Expr::Name { id, .. } if id.as_str() == name);
    match &e.kind {
        EscapeKind::Arg { call, slot } => {
            let Some(site) = file.ir.calls.get(*call as usize) else {
                return true;
            };
            let c = &site.call;
            let arg = if slot & KEYWORD != 0 {
                c.keywords.get((slot & !KEYWORD) as usize).map(|k| &k.value)
            } else {
                c.args.get(*slot as usize)
            };
            arg.is_none_or(|a| is_name(a) || !matches!(a, Expr::Name { .. }))
        }
        EscapeKind::Alias(other) => match &file.ir.defs[*other as usize].kind {
            DefKind::Value(v @ Expr::Name { .. }) => is_name(v),
            _ => true,
        },
        EscapeKind::Return | EscapeKind::Other => true,
    }
}

fn mark_shared(v: &mut Val, reason: &str) {
    // (An instance's attributes set elsewhere are the attribute stores, see `with_stores`.)
    match v {
        Val::Dict(d) if d.shared.is_none() => d.shared = Some(reason.to_string()),
        // Its items may be replaced or moved elsewhere: none is known.
        Val::List { open, items } => {
            items.clear();
            if open.is_none() {
                *open = Some(reason.to_string());
            }
        }
        _ => {}
    }
}

/// Keeps one candidate per distinct value.
fn dedup(v: Vec<Cand>) -> Vec<Cand> {
    let mut out: Vec<Cand> = Vec::new();
    for c in v {
        if !out.iter().any(|a| same_value(&a.val, &c.val)) {
            out.push(c);
        }
    }
    out
}

/// Whether two values are the same possibility (for a loop phi's fixpoint): literals by value,
/// containers by the expressions and contexts they hold, objects by their construction.
pub(crate) fn same_value(a: &Val, b: &Val) -> bool {
    fn exprs_eq(a: &[(Expr, Cx)], b: &[(Expr, Cx)]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((e, c), (f, d))| e.span() == f.span() && same_cx(c, d))
    }
    fn kws_eq(a: &[(String, Expr, Cx)], b: &[(String, Expr, Cx)]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((k, e, c), (l, f, d))| k == l && e.span() == f.span() && same_cx(c, d))
    }
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::NoneV, Val::NoneV) => true,
        (Val::Unknown(x), Val::Unknown(y)) => x == y,
        (Val::Ns(x), Val::Ns(y)) | (Val::LayerClass(x), Val::LayerClass(y)) => x == y,
        (Val::InitClass(x), Val::InitClass(y)) | (Val::TfInit(x), Val::TfInit(y)) => x == y,
        (Val::Builtin(x), Val::Builtin(y)) => x == y,
        (Val::Init(x), Val::Init(y)) => x == y,
        (Val::Dict(x), Val::Dict(y)) => {
            kws_eq(&x.entries, &y.entries)
                && x.open == y.open
                && x.removed == y.removed
                && x.shared == y.shared
        }
        (Val::List { items: x, open: o }, Val::List { items: y, open: p }) => {
            exprs_eq(x, y) && o == p
        }
        (Val::Func { file: f, id: i, .. }, Val::Func { file: g, id: j, .. }) => {
            Arc::ptr_eq(f, g) && i == j
        }
        (Val::Class(f, i), Val::Class(g, j)) => Arc::ptr_eq(f, g) && i == j,
        (Val::Module(f), Val::Module(g)) => Arc::ptr_eq(f, g),
        (Val::Instance(x), Val::Instance(y)) => {
            Arc::ptr_eq(&x.file, &y.file)
                && x.class == y.class
                && x.call.as_ref().map(|c| c.0.span) == y.call.as_ref().map(|c| c.0.span)
                && x.attrs.len() == y.attrs.len()
        }
        (Val::Layer(x), Val::Layer(y)) => {
            x.class == y.class
                && exprs_eq(&x.args, &y.args)
                && kws_eq(&x.kws, &y.kws)
                && x.attrs.len() == y.attrs.len()
        }
        _ => false,
    }
}

/// Whether two contexts evaluate names the same way (same file, scope and frame).
pub(crate) fn same_cx(a: &Cx, b: &Cx) -> bool {
    Arc::ptr_eq(&a.file, &b.file)
        && a.scope == b.scope
        && match (&a.frame, &b.frame) {
            (None, None) => true,
            (Some(x), Some(y)) => Arc::ptr_eq(x, y),
            _ => false,
        }
}
