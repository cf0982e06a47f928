//! Lowers the rustpython AST into [`ModuleIr`], and records the control flow of each scope: which
//! definitions of each name are live at each point (see [`Scope::timeline`]), under which branch
//! conditions, and where an object held by a name may escape to other code.
//!
//! The walk follows Python's execution order within a scope. At an `if`, the state is copied, both
//! branches are walked, and their ends merged: a definition reaching the end of the `then` branch
//! only is tagged with the condition (and one of the `else` branch with its negation), so the
//! evaluator can drop the branch a decided condition rules out. A loop gets a [`DefKind::Phi`] at
//! its head for every name its body may bind, whose sources are the state before the loop and at
//! the end of each iteration (and at each `continue`); so a value rebound at the end of the body is
//! seen by the next iteration. The handlers of a `try` see every state its body went through. A
//! `return`, `raise`, `break` or `continue` makes the rest of its block unreachable.
//!
//! Expressions deeper than [`MAX_EXPR_DEPTH`] become [`Expr::Other`], so the IR never recurses
//! deeply; statements nested deeper than [`MAX_STMT_DEPTH`] are not followed.

use super::ir::*;
use rustc_hash::{FxHashMap, FxHashSet};
use rustpython_parser::ast::{self, Ranged};
use std::sync::Arc;

/// Expression nesting kept in the IR; deeper parts are cut off.
pub const MAX_EXPR_DEPTH: usize = 64;
/// Statement nesting followed (blocks inside blocks).
pub const MAX_STMT_DEPTH: usize = 100;
/// Definitions kept in one live set with their conditions; beyond, the conditions are dropped (a
/// set of definitions without conditions is a superset of what reaches: sound, less precise).
const MAX_LIVE: usize = 24;
/// Escapes recorded per definition (the first ones; one is enough to make its object shared).
const MAX_ESCAPES: usize = 4;

fn span(r: rustpython_parser::text_size::TextRange) -> Span {
    Span::new(r.start().to_u32(), r.end().to_u32())
}

/// The walk state of one scope: the live set of each name, the path condition, and whether the
/// point is reachable at all.
struct Flow {
    vars: FxHashMap<Name, LiveId>,
    /// Live set of names not in `vars` ([`NOTHING`], or the star imports made so far).
    default: LiveId,
    path: PredId,
    reachable: bool,
    /// Every change of `vars` as (name, previous value), so a branch can be undone.
    log: Vec<(Name, Option<LiveId>)>,
}

impl Flow {
    fn new() -> Flow {
        Flow {
            vars: FxHashMap::default(),
            default: NOTHING,
            path: TRUE,
            reachable: true,
            log: Vec::new(),
        }
    }
    fn get(&self, n: &str) -> LiveId {
        self.vars.get(n).copied().unwrap_or(self.default)
    }
}

/// Where a branch of the walk started: undo the log to `log` and the scalars to these values.
#[derive(Clone, Copy)]
struct Mark {
    log: usize,
    default: LiveId,
    path: PredId,
    reachable: bool,
}

/// The state of the names a branch changed, at its end.
struct BranchEnd {
    changed: FxHashMap<Name, LiveId>,
    default: LiveId,
    path: PredId,
    reachable: bool,
}

/// A loop being walked: its phis (name -> def) and the states at `break` and `continue`.
struct LoopCtx {
    breaks: Vec<BranchEnd>,
    continues: Vec<BranchEnd>,
    mark: Mark,
}

/// A use of a name that does not resolve in its own scope: resolved when the whole module is
/// walked (every scope's names are known then).
struct Pending {
    scope: ScopeId,
    name: Name,
    span: Span,
    what: PendingKind,
}

enum PendingKind {
    Escape(EscapeKind),
    Apply(PredId),
    Mutated,
}

/// How an expression's value is used, for the names in it.
#[derive(Clone, Copy)]
enum Role<'a> {
    /// Read where it cannot be changed or reached by other code (`x[k]`, `**x`, `x.attr`, `not x`).
    Read,
    /// Called (`x(...)`).
    Callee,
    /// Handed on: the object may be reached and changed elsewhere.
    Escape(&'a EscapeKindRef),
    /// Bound to one name (`x = value`): the flow of that name follows it.
    Bind,
}

/// [`EscapeKind`] without the definition of an alias (filled in by the assignment).
#[derive(Clone)]
enum EscapeKindRef {
    Arg { call: u32, slot: u32 },
    Return,
    Other,
}

const OTHER: EscapeKindRef = EscapeKindRef::Other;

#[derive(Clone, Copy)]
struct Ctx {
    scope: ScopeId,
    func: Option<FuncId>,
    class: Option<ClassId>,
    /// The method's first parameter (`self`), inside a method of `class`.
    self_name: Option<usize>,
    depth: usize,
}

struct Lowerer {
    m: ModuleIr,
    /// One [`Name`] per distinct identifier of the module.
    names: Interner,
    lives: FxHashMap<Box<[Reach]>, LiveId>,
    preds: FxHashMap<Pred, PredId>,
    flow: Flow,
    loops: Vec<LoopCtx>,
    /// Per scope, being built: timelines, default timeline, defs, anytime defs, names mutated from
    /// nested scopes.
    timelines: Vec<FxHashMap<Name, Vec<(u32, LiveId)>>>,
    default_timelines: Vec<Vec<(u32, LiveId)>>,
    defs: Vec<FxHashMap<Name, Vec<DefId>>>,
    anytime: Vec<FxHashMap<Name, Vec<DefId>>>,
    mutated: Vec<FxHashMap<Name, Vec<Span>>>,
    /// Local names of function scopes (Python's rule: bound anywhere in the body), and the names
    /// each scope declares `global` / `nonlocal`.
    locals: Vec<Option<FxHashSet<Name>>>,
    globals: Vec<FxHashSet<Name>>,
    nonlocals: Vec<FxHashSet<Name>>,
    self_names: Vec<Name>,
    pending: Vec<Pending>,
    escape_count: FxHashMap<DefId, usize>,
    /// For each `try` body being walked: every live set each name had in it (inside nested
    /// branches too), for the state its handlers start from.
    try_seen: Vec<FxHashMap<Name, Vec<LiveId>>>,
}

/// Lowers a parsed module.
pub fn lower(suite: &[ast::Stmt]) -> ModuleIr {
    let mut m = ModuleLowering::new();
    m.feed(suite);
    m.finish()
}

/// Lowering of a module fed its top-level statements in order, a chunk at a time (with
/// [`crate::syntax::parse::parse_chunks`], so the AST of a large file is never whole).
pub struct ModuleLowering {
    l: Lowerer,
    /// End of the last statement fed (the module scope's span).
    end: u32,
}

impl ModuleLowering {
    pub fn new() -> Self {
        let mut l = Lowerer {
            m: ModuleIr::default(),
            names: Interner::default(),
            lives: FxHashMap::default(),
            preds: FxHashMap::default(),
            flow: Flow::new(),
            loops: Vec::new(),
            timelines: Vec::new(),
            default_timelines: Vec::new(),
            defs: Vec::new(),
            anytime: Vec::new(),
            mutated: Vec::new(),
            locals: Vec::new(),
            globals: Vec::new(),
            nonlocals: Vec::new(),
            self_names: Vec::new(),
            pending: Vec::new(),
            escape_count: FxHashMap::default(),
            try_seen: Vec::new(),
        };
        l.m.preds.push(Pred {
            cond: 0,
            polarity: true,
            parent: TRUE,
        });
        l.new_scope(ScopeKind::Module, None, Span::new(0, 0), None);
        ModuleLowering { l, end: 0 }
    }

    /// Lowers the next top-level statements.
    pub fn feed(&mut self, suite: &[ast::Stmt]) {
        if let Some(s) = suite.last() {
            self.end = s.end().to_u32();
        }
        let ctx = Ctx {
            scope: 0,
            func: None,
            class: None,
            self_name: None,
            depth: 0,
        };
        self.l.stmts(suite, ctx);
    }

    pub fn finish(mut self) -> ModuleIr {
        self.l.m.scopes[0].span = Span::new(0, self.end);
        self.l.finish()
    }
}

impl Default for ModuleLowering {
    fn default() -> Self {
        Self::new()
    }
}

fn docstring(body: &[ast::Stmt]) -> Option<String> {
    if let Some(ast::Stmt::Expr(e)) = body.first() {
        if let ast::Expr::Constant(c) = &*e.value {
            if let ast::Constant::Str(s) = &c.value {
                // Only the summary line is shown; a whole docstring per class and function was
                // 12.7 MB of the IR on the keras + tf_keras + tensorflow corpus.
                return s.trim().lines().next().map(str::to_string);
            }
        }
    }
    None
}

/// Methods that change a dict or a list in place.
const MUTATING_METHODS: &[&str] = &[
    "update",
    "setdefault",
    "pop",
    "popitem",
    "clear",
    "append",
    "extend",
    "insert",
    "remove",
    "sort",
    "reverse",
    "__setitem__",
    "__delitem__",
];

/// Methods of dicts and lists that neither change the object nor hand it on.
const READING_METHODS: &[&str] = &["get", "keys", "values", "items", "copy", "index", "count"];

/// Built-in functions that only read their arguments.
const READING_BUILTINS: &[&str] = &[
    "len",
    "isinstance",
    "issubclass",
    "str",
    "repr",
    "print",
    "sorted",
    "enumerate",
    "zip",
    "dict",
    "list",
    "tuple",
    "set",
    "frozenset",
    "bool",
    "int",
    "float",
    "hasattr",
    "getattr",
    "min",
    "max",
    "sum",
    "any",
    "all",
    "type",
    "id",
    "hash",
    "range",
    "reversed",
    "iter",
    "format",
];

impl Lowerer {
    // ----- scopes, definitions, live sets -------------------------------------------------------

    fn new_scope(
        &mut self,
        kind: ScopeKind,
        parent: Option<ScopeId>,
        sp: Span,
        locals: Option<FxHashSet<Name>>,
    ) -> ScopeId {
        self.m.scopes.push(Scope {
            kind,
            parent,
            span: sp,
            timeline: Box::new([]),
            default_timeline: Box::new([]),
            anytime: Box::new([]),
            mutated_elsewhere: Box::new([]),
            def_range: (0, 0),
            declared: Box::new([]),
        });
        self.timelines.push(FxHashMap::default());
        self.default_timelines.push(Vec::new());
        self.defs.push(FxHashMap::default());
        self.anytime.push(FxHashMap::default());
        self.mutated.push(FxHashMap::default());
        self.locals.push(locals);
        self.globals.push(FxHashSet::default());
        self.nonlocals.push(FxHashSet::default());
        self.m.scopes.len() - 1
    }

    fn live_id(&mut self, mut set: Vec<Reach>) -> LiveId {
        set.sort_by_key(|r| (r.def, r.pred));
        set.dedup();
        if set.len() > MAX_LIVE {
            // Drop the conditions: every definition that may reach, unconditionally.
            for r in &mut set {
                r.pred = TRUE;
            }
            set.dedup();
        }
        if let [r] = set.as_slice() {
            if r.pred == TRUE {
                return ONE | r.def;
            }
        }
        if let Some(id) = self.lives.get(set.as_slice()) {
            return *id;
        }
        let id = self.m.lives.len() as LiveId;
        self.m
            .lives
            .push((self.m.reaches.len() as u32, set.len() as u32));
        self.m.reaches.extend(set.iter().copied());
        self.lives.insert(set.into_boxed_slice(), id);
        id
    }

    fn single(&mut self, def: DefId) -> LiveId {
        ONE | def
    }

    fn pred_and(&mut self, parent: PredId, cond: CondId, polarity: bool) -> PredId {
        let p = Pred {
            cond,
            polarity,
            parent,
        };
        if let Some(id) = self.preds.get(&p) {
            return *id;
        }
        let id = self.m.preds.len() as PredId;
        self.m.preds.push(p);
        self.preds.insert(p, id);
        id
    }

    /// `pred ∧ (cond = polarity)` for every definition of `live`.
    fn tag(&mut self, live: LiveId, cond: Option<CondId>, polarity: bool) -> Vec<Reach> {
        let set = self.m.live(live).to_vec();
        match cond {
            None => set,
            Some(c) => set
                .into_iter()
                .map(|r| Reach {
                    def: r.def,
                    pred: self.pred_and(r.pred, c, polarity),
                })
                .collect(),
        }
    }

    fn add_def(&mut self, scope: ScopeId, name: &Name, kind: DefKind, sp: Span) -> DefId {
        let id = self.m.defs.len() as DefId;
        self.m.defs.push(Def {
            name: name.clone(),
            scope: scope as ScopeId32,
            span: sp,
            kind,
        });
        self.defs[scope].entry(name.clone()).or_default().push(id);
        id
    }

    /// Sets the live set of `name` in the current scope from offset `at` on.
    fn set(&mut self, scope: ScopeId, name: &Name, live: LiveId, at: u32) {
        let prev = self.flow.vars.insert(name.clone(), live);
        if prev == Some(live) {
            return;
        }
        for seen in &mut self.try_seen {
            seen.entry(name.clone()).or_default().push(live);
        }
        self.flow.log.push((name.clone(), prev));
        let tl = self.timelines[scope].entry(name.clone()).or_default();
        match tl.last_mut() {
            Some((off, l)) if *off == at => *l = live,
            Some((_, l)) if *l == live => {}
            _ => tl.push((at, live)),
        }
    }

    fn set_default(&mut self, scope: ScopeId, live: LiveId, at: u32) {
        if self.flow.default == live {
            return;
        }
        self.flow.default = live;
        let tl = &mut self.default_timelines[scope];
        match tl.last_mut() {
            Some((off, l)) if *off == at => *l = live,
            _ => tl.push((at, live)),
        }
    }

    /// The scope a binding of `name` in `ctx.scope` goes to: the module for `global` names, the
    /// enclosing function for `nonlocal` ones (as definitions made at an unknown time), else the
    /// scope itself (`None`).
    fn declared_target(&self, ctx: Ctx, name: &str) -> Option<ScopeId> {
        if self.globals[ctx.scope].contains(name) {
            return Some(0);
        }
        if self.nonlocals[ctx.scope].contains(name) {
            let mut s = self.m.scopes[ctx.scope].parent;
            while let Some(id) = s {
                if matches!(self.m.scopes[id].kind, ScopeKind::Function(_))
                    && self.locals[id].as_ref().is_some_and(|l| l.contains(name))
                {
                    return Some(id);
                }
                s = self.m.scopes[id].parent;
            }
            return Some(0);
        }
        None
    }

    /// Binds `name` to a new definition in the current scope, effective from offset `at`.
    fn bind(&mut self, ctx: Ctx, name: &str, kind: DefKind, sp: Span, at: u32) -> DefId {
        let name = self.names.name(name);
        if let Some(target) = self.declared_target(ctx, &name) {
            let id = self.add_def(target, &name, kind, sp);
            self.anytime[target].entry(name).or_default().push(id);
            return id;
        }
        let id = self.add_def(ctx.scope, &name, kind, sp);
        let live = self.single(id);
        self.set(ctx.scope, &name, live, at);
        id
    }

    /// Whether `name` used in `ctx.scope` is one of its own names (else it is looked up outside).
    fn is_local(&self, ctx: Ctx, name: &str) -> bool {
        if self.globals[ctx.scope].contains(name) || self.nonlocals[ctx.scope].contains(name) {
            return false;
        }
        match &self.locals[ctx.scope] {
            Some(l) => l.contains(name),
            // Module, class and comprehension scopes: names bound there so far (or by a star
            // import) are theirs.
            None => {
                self.flow.vars.contains_key(name)
                    || self.flow.default != NOTHING
                    || matches!(self.m.scopes[ctx.scope].kind, ScopeKind::Module)
            }
        }
    }

    /// Records a use of `name` (not a plain read): an escape or a call of its object.
    fn use_name(&mut self, ctx: Ctx, name: &str, sp: Span, role: Role) {
        let what = match role {
            Role::Read => return,
            Role::Callee => PendingKind::Apply(self.flow.path),
            Role::Bind => PendingKind::Escape(EscapeKind::Other),
            Role::Escape(k) => PendingKind::Escape(match k {
                EscapeKindRef::Arg { call, slot } => EscapeKind::Arg {
                    call: *call,
                    slot: *slot,
                },
                EscapeKindRef::Return => EscapeKind::Return,
                EscapeKindRef::Other => EscapeKind::Other,
            }),
        };
        let name = self.names.name(name);
        if self.is_local(ctx, &name) {
            let live = self.flow.get(&name);
            let defs: Vec<DefId> = self
                .m
                .live(live)
                .iter()
                .map(|r| r.def)
                .filter(|d| *d != UNBOUND)
                .collect();
            for d in defs {
                self.record_use(d, sp, &what);
            }
        } else {
            self.pending.push(Pending {
                scope: ctx.scope,
                name,
                span: sp,
                what,
            });
        }
    }

    fn record_use(&mut self, def: DefId, sp: Span, what: &PendingKind) {
        match what {
            PendingKind::Apply(pred) => self.m.applies.push(Apply {
                def,
                span: sp,
                pred: *pred,
            }),
            PendingKind::Escape(kind) => {
                // Only an object that can be changed in place matters.
                let mutable = match &self.m.defs[def as usize].kind {
                    DefKind::Value(e) => !matches!(
                        e,
                        Expr::Str { .. }
                            | Expr::Num { .. }
                            | Expr::Bool { .. }
                            | Expr::NoneLit { .. }
                    ),
                    DefKind::Element { .. }
                    | DefKind::Param { .. }
                    | DefKind::Mutation { .. }
                    | DefKind::Phi { .. }
                    | DefKind::ImportFrom { .. }
                    | DefKind::StarImport { .. } => true,
                    // A function handed on may be called elsewhere (see the contexts of its body).
                    DefKind::Function(_) => true,
                    _ => false,
                };
                if !mutable {
                    return;
                }
                let n = self.escape_count.entry(def).or_insert(0);
                *n += 1;
                if *n < MAX_ESCAPES {
                    self.m.escapes.push(Escape {
                        def,
                        span: sp,
                        kind: *kind,
                    });
                } else if *n == MAX_ESCAPES {
                    // More uses than are kept: the last one kept says the object is shared.
                    self.m.escapes.push(Escape {
                        def,
                        span: sp,
                        kind: EscapeKind::Other,
                    });
                }
            }
            PendingKind::Mutated => {}
        }
    }

    /// The object held by `name` is changed in place by `op` at offset `at`.
    fn mutate(&mut self, ctx: Ctx, name: &str, op: Mutation, sp: Span, at: u32) {
        let n = self.names.name(name);
        if self.is_local(ctx, &n) && self.declared_target(ctx, &n).is_none() {
            let prev = self.flow.get(&n);
            if prev == NOTHING {
                return;
            }
            let id = self.add_def(
                ctx.scope,
                &n,
                DefKind::Mutation {
                    op: Box::new(op),
                    prev,
                },
                sp,
            );
            let live = self.single(id);
            self.set(ctx.scope, &n, live, at);
        } else {
            self.pending.push(Pending {
                scope: ctx.scope,
                name: n,
                span: sp,
                what: PendingKind::Mutated,
            });
        }
    }

    // ----- branches --------------------------------------------------------------------------

    fn mark(&self) -> Mark {
        Mark {
            log: self.flow.log.len(),
            default: self.flow.default,
            path: self.flow.path,
            reachable: self.flow.reachable,
        }
    }

    /// The names changed since `mark`, with their values now.
    fn branch_end(&self, mark: Mark) -> BranchEnd {
        let mut changed = FxHashMap::default();
        for (n, _) in &self.flow.log[mark.log..] {
            changed.insert(n.clone(), self.flow.get(n));
        }
        BranchEnd {
            changed,
            default: self.flow.default,
            path: self.flow.path,
            reachable: self.flow.reachable,
        }
    }

    /// Undoes every change since `mark` (the state at `mark` is live again from offset `at`).
    fn undo(&mut self, scope: ScopeId, mark: Mark, at: u32) {
        let undone: Vec<(Name, Option<LiveId>)> = self.flow.log.drain(mark.log..).collect();
        let mut restored: Vec<Name> = Vec::new();
        for (n, prev) in undone.into_iter().rev() {
            match prev {
                Some(p) => {
                    self.flow.vars.insert(n.clone(), p);
                }
                None => {
                    self.flow.vars.remove(&n);
                }
            }
            restored.push(n);
        }
        for n in restored {
            let live = self.flow.get(&n);
            let tl = self.timelines[scope].entry(n).or_default();
            match tl.last_mut() {
                Some((off, l)) if *off == at => *l = live,
                Some((_, l)) if *l == live => {}
                _ => tl.push((at, live)),
            }
        }
        self.flow.path = mark.path;
        self.flow.reachable = mark.reachable;
        self.set_default(scope, mark.default, at);
    }

    /// Sets the state to the merge of `ends` (states of branches that all started at the current
    /// state, which is `mark`), from offset `at` on. With `cond`, `ends` are the `then` and `else`
    /// ends of an `if` on it.
    fn merge(&mut self, scope: ScopeId, ends: Vec<BranchEnd>, cond: Option<CondId>, at: u32) {
        let reachable: Vec<&BranchEnd> = ends.iter().filter(|e| e.reachable).collect();
        if reachable.is_empty() {
            self.flow.reachable = false;
            return;
        }
        let base_path = self.flow.path;
        let mut names: Vec<Name> = Vec::new();
        let mut seen: FxHashSet<Name> = FxHashSet::default();
        for e in &reachable {
            for n in e.changed.keys() {
                if seen.insert(n.clone()) {
                    names.push(n.clone());
                }
            }
        }
        names.sort();
        let single = reachable.len() == 1;
        let polarity_of = |ends: &[BranchEnd], e: &BranchEnd| -> bool { std::ptr::eq(e, &ends[0]) };
        for n in names {
            let vals: Vec<(LiveId, bool)> = reachable
                .iter()
                .map(|e| {
                    (
                        e.changed
                            .get(&n)
                            .copied()
                            .unwrap_or_else(|| self.flow.get(&n)),
                        polarity_of(&ends, e),
                    )
                })
                .collect();
            let live = if single || vals.iter().all(|(v, _)| *v == vals[0].0) {
                vals[0].0
            } else {
                let mut set = Vec::new();
                for (v, pol) in vals {
                    set.extend(self.tag(v, cond, pol));
                }
                self.live_id(set)
            };
            self.set(scope, &n, live, at);
        }
        let defaults: Vec<(LiveId, bool)> = reachable
            .iter()
            .map(|e| (e.default, polarity_of(&ends, e)))
            .collect();
        let default = if defaults.iter().all(|(d, _)| *d == defaults[0].0) {
            defaults[0].0
        } else {
            let mut set = Vec::new();
            for (v, pol) in defaults {
                set.extend(self.tag(v, cond, pol));
            }
            self.live_id(set)
        };
        self.set_default(scope, default, at);
        self.flow.reachable = true;
        self.flow.path = if single { reachable[0].path } else { base_path };
    }

    // ----- statements ------------------------------------------------------------------------

    fn stmts(&mut self, body: &[ast::Stmt], ctx: Ctx) {
        if ctx.depth > MAX_STMT_DEPTH {
            return;
        }
        for s in body {
            self.stmt(s, ctx);
        }
    }

    fn inner(ctx: Ctx) -> Ctx {
        Ctx {
            depth: ctx.depth + 1,
            ..ctx
        }
    }

    fn stmt(&mut self, s: &ast::Stmt, ctx: Ctx) {
        let sp = span(s.range());
        match s {
            ast::Stmt::FunctionDef(f) => self.function(
                ctx,
                f.name.as_str(),
                &f.args,
                &f.body,
                &f.decorator_list,
                sp,
            ),
            ast::Stmt::AsyncFunctionDef(f) => self.function(
                ctx,
                f.name.as_str(),
                &f.args,
                &f.body,
                &f.decorator_list,
                sp,
            ),
            ast::Stmt::ClassDef(c) => self.class(ctx, c, sp),
            ast::Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    let e = self.expr(v, ctx, 0, Role::Escape(&EscapeKindRef::Return));
                    if let Some(f) = ctx.func {
                        let path = self.flow.path;
                        if self.flow.reachable {
                            self.m.functions[f].returns.push((e, path));
                        }
                    }
                } else if let (Some(f), true) = (ctx.func, self.flow.reachable) {
                    let path = self.flow.path;
                    let none = Expr::NoneLit { span: sp };
                    self.m.functions[f].returns.push((none, path));
                }
                self.flow.reachable = false;
            }
            ast::Stmt::Assign(a) => {
                let alias = matches!(&*a.value, ast::Expr::Name(_))
                    && a.targets.len() == 1
                    && matches!(&a.targets[0], ast::Expr::Name(_));
                let single_name =
                    a.targets.len() == 1 && matches!(&a.targets[0], ast::Expr::Name(_));
                let role = if alias {
                    Role::Read
                } else if single_name {
                    Role::Bind
                } else {
                    Role::Escape(&OTHER)
                };
                let v = self.expr(&a.value, ctx, 0, role);
                if ctx.scope == 0 && a.targets.len() == 1 {
                    if let ast::Expr::Name(n) = &a.targets[0] {
                        if n.id.as_str() == "__all__" {
                            self.m.all = string_list(&v);
                        }
                    }
                }
                let mut made = Vec::new();
                for t in &a.targets {
                    self.assign_target(ctx, t, Some(&v), sp, &mut made);
                }
                if let (true, Expr::Name { id, span: vsp }, [d]) = (alias, &v, made.as_slice()) {
                    self.alias_escape(ctx, id, *vsp, *d);
                } else if let (true, Some((root, rsp)), [d]) =
                    (single_name, container_root(&v), made.as_slice())
                {
                    // `inner = CFG["dense"]`: a part of `CFG`'s object is held by `inner`.
                    if !matches!(v, Expr::Name { .. }) {
                        self.alias_escape(ctx, &root, rsp, *d);
                    }
                }
            }
            ast::Stmt::AnnAssign(a) => {
                if let Some(val) = &a.value {
                    let v = self.expr(val, ctx, 0, Role::Escape(&OTHER));
                    let mut made = Vec::new();
                    self.assign_target(ctx, &a.target, Some(&v), sp, &mut made);
                } else if let ast::Expr::Name(_) = &*a.target {
                    // `x: int` alone binds nothing.
                }
            }
            ast::Stmt::AugAssign(a) => {
                let value = self.expr(&a.value, ctx, 0, Role::Read);
                let op = match a.op {
                    ast::Operator::Add => Some('+'),
                    ast::Operator::Sub => Some('-'),
                    ast::Operator::Mult => Some('*'),
                    ast::Operator::Div => Some('/'),
                    ast::Operator::FloorDiv => Some('f'),
                    ast::Operator::Mod => Some('%'),
                    ast::Operator::Pow => Some('^'),
                    _ => None,
                };
                match &*a.target {
                    ast::Expr::Name(n) => {
                        let tsp = span(n.range);
                        let kind = match op {
                            // `x += v` reads the previous `x` (at the target, before the
                            // statement's end) and binds the result.
                            Some(op) => DefKind::Value(Expr::BinOp {
                                left: Box::new(Expr::Name {
                                    id: self.names.name(&n.id),
                                    span: tsp,
                                }),
                                op,
                                right: Box::new(value),
                                span: sp,
                            }),
                            None => DefKind::Unknown("changed by an augmented assignment"),
                        };
                        // A list or dict changed in place through another name it may share.
                        self.use_name(ctx, &n.id, tsp, Role::Escape(&OTHER));
                        self.bind(ctx, n.id.as_str(), kind, tsp, sp.end);
                    }
                    other => self.store_target(ctx, other, None, sp),
                }
            }
            ast::Stmt::For(f) => self.for_loop(ctx, &f.target, &f.iter, &f.body, &f.orelse, sp),
            ast::Stmt::AsyncFor(f) => {
                self.for_loop(ctx, &f.target, &f.iter, &f.body, &f.orelse, sp)
            }
            ast::Stmt::While(w) => self.while_loop(ctx, &w.test, &w.body, &w.orelse, sp),
            ast::Stmt::If(i) => self.if_stmt(ctx, &i.test, &i.body, &i.orelse, sp),
            ast::Stmt::With(w) => {
                for item in &w.items {
                    self.expr(&item.context_expr, ctx, 0, Role::Escape(&OTHER));
                    if let Some(t) = &item.optional_vars {
                        self.unknown_target(ctx, t, "bound by a `with` statement", sp.start);
                    }
                }
                self.stmts(&w.body, Self::inner(ctx));
            }
            ast::Stmt::AsyncWith(w) => {
                for item in &w.items {
                    self.expr(&item.context_expr, ctx, 0, Role::Escape(&OTHER));
                    if let Some(t) = &item.optional_vars {
                        self.unknown_target(ctx, t, "bound by a `with` statement", sp.start);
                    }
                }
                self.stmts(&w.body, Self::inner(ctx));
            }
            ast::Stmt::Try(t) => {
                self.try_stmt(ctx, &t.body, &t.handlers, &t.orelse, &t.finalbody, sp)
            }
            ast::Stmt::TryStar(t) => {
                self.try_stmt(ctx, &t.body, &t.handlers, &t.orelse, &t.finalbody, sp)
            }
            ast::Stmt::Match(m) => {
                self.expr(&m.subject, ctx, 0, Role::Read);
                let mark = self.mark();
                let mut ends = Vec::new();
                for c in &m.cases {
                    let mut captured = Vec::new();
                    pattern_names(&c.pattern, &mut captured);
                    let csp = span(c.pattern.range());
                    for n in captured {
                        self.bind(
                            ctx,
                            &n,
                            DefKind::Unknown("captured by a `match` pattern"),
                            csp,
                            csp.end,
                        );
                    }
                    if let Some(g) = &c.guard {
                        self.expr(g, ctx, 0, Role::Read);
                    }
                    self.stmts(&c.body, Self::inner(ctx));
                    ends.push(self.branch_end(mark));
                    self.undo(ctx.scope, mark, sp.start);
                }
                // No case may match.
                ends.push(self.branch_end(mark));
                self.merge(ctx.scope, ends, None, sp.end);
            }
            ast::Stmt::Import(i) => {
                for a in &i.names {
                    let full = a.name.to_string();
                    let asp = span(a.range);
                    match &a.asname {
                        Some(asn) => {
                            let module = self.names.name(&full);
                            let full = module.clone();
                            self.bind(
                                ctx,
                                asn.as_str(),
                                DefKind::Import { module, full },
                                asp,
                                sp.end,
                            );
                        }
                        None => {
                            let first = full.split('.').next().unwrap_or("").to_string();
                            let module = self.names.name(&first);
                            let full = self.names.name(&full);
                            self.bind(ctx, &first, DefKind::Import { module, full }, asp, sp.end);
                        }
                    }
                }
            }
            ast::Stmt::ImportFrom(i) => {
                let module = i.module.as_ref().map(|m| m.to_string()).unwrap_or_default();
                let level = i.level.as_ref().map(|l| l.to_u32()).unwrap_or(0);
                for a in &i.names {
                    if a.name.as_str() == "*" {
                        self.star_import(ctx, &module, level, span(a.range), sp.end);
                        continue;
                    }
                    let local = a.asname.as_ref().unwrap_or(&a.name).to_string();
                    let kind = DefKind::ImportFrom {
                        module: self.names.name(&module),
                        level,
                        name: self.names.name(&a.name),
                    };
                    self.bind(ctx, &local, kind, span(a.range), sp.end);
                }
            }
            ast::Stmt::Expr(e) => {
                self.expr(&e.value, ctx, 0, Role::Read);
            }
            ast::Stmt::Global(g) => {
                for n in &g.names {
                    let n = self.names.name(n);
                    self.globals[ctx.scope].insert(n);
                }
            }
            ast::Stmt::Nonlocal(g) => {
                for n in &g.names {
                    let n = self.names.name(n);
                    self.nonlocals[ctx.scope].insert(n);
                }
            }
            ast::Stmt::Delete(d) => {
                for t in &d.targets {
                    match t {
                        ast::Expr::Name(n) => {
                            let name = self.names.name(&n.id);
                            if self.declared_target(ctx, &name).is_none() {
                                self.set(ctx.scope, &name, NOTHING, sp.end);
                            }
                        }
                        ast::Expr::Subscript(sub) => {
                            let base = self.expr(&sub.value, ctx, 0, Role::Read);
                            let key = self.expr(&sub.slice, ctx, 0, Role::Read);
                            match &*sub.value {
                                ast::Expr::Name(n) => {
                                    self.mutate(ctx, &n.id, Mutation::DelItem { key }, sp, sp.end)
                                }
                                _ => self.deep_store(ctx, &base, sp),
                            }
                        }
                        ast::Expr::Attribute(_) => self.store_target(ctx, t, None, sp),
                        _ => {}
                    }
                }
            }
            ast::Stmt::Raise(r) => {
                if let Some(e) = &r.exc {
                    self.expr(e, ctx, 0, Role::Read);
                }
                self.flow.reachable = false;
            }
            ast::Stmt::Assert(a) => {
                self.expr(&a.test, ctx, 0, Role::Read);
            }
            ast::Stmt::Break(_) => {
                if !self.loops.is_empty() {
                    let mark = self.loops.last().map(|l| l.mark).unwrap_or(self.mark());
                    let end = self.branch_end(mark);
                    if let Some(l) = self.loops.last_mut() {
                        l.breaks.push(end);
                    }
                }
                self.flow.reachable = false;
            }
            ast::Stmt::Continue(_) => {
                if !self.loops.is_empty() {
                    let mark = self.loops.last().map(|l| l.mark).unwrap_or(self.mark());
                    let end = self.branch_end(mark);
                    if let Some(l) = self.loops.last_mut() {
                        l.continues.push(end);
                    }
                }
                self.flow.reachable = false;
            }
            _ => {}
        }
    }

    /// `a = b`: the object of `b`'s live definitions is also held by `a`'s definition.
    fn alias_escape(&mut self, ctx: Ctx, name: &str, sp: Span, new_def: DefId) {
        let kind = EscapeKind::Alias(new_def);
        let n = self.names.name(name);
        if self.is_local(ctx, &n) {
            let live = self.flow.get(&n);
            let defs: Vec<DefId> = self
                .m
                .live(live)
                .iter()
                .map(|r| r.def)
                .filter(|d| *d != UNBOUND && *d != new_def)
                .collect();
            for d in defs {
                self.record_use(d, sp, &PendingKind::Escape(kind));
            }
        } else {
            self.pending.push(Pending {
                scope: ctx.scope,
                name: n,
                span: sp,
                what: PendingKind::Escape(kind),
            });
        }
    }

    fn star_import(&mut self, ctx: Ctx, module: &str, level: u32, sp: Span, at: u32) {
        if ctx.scope == 0 {
            self.m.star_imports.push((module.to_string(), level));
        }
        let m = self.names.name(module);
        let star = self.names.name("*");
        let names: Vec<Name> = self.flow.vars.keys().cloned().collect();
        for n in names {
            let prev = self.flow.get(&n);
            let id = self.add_def(
                ctx.scope,
                &n,
                DefKind::StarImport {
                    module: m.clone(),
                    level,
                    prev,
                },
                sp,
            );
            let live = self.single(id);
            self.set(ctx.scope, &n, live, at);
        }
        let prev = self.flow.default;
        let id = self.add_def(
            ctx.scope,
            &star,
            DefKind::StarImport {
                module: m,
                level,
                prev,
            },
            sp,
        );
        let live = self.single(id);
        self.set_default(ctx.scope, live, at);
    }

    fn if_stmt(
        &mut self,
        ctx: Ctx,
        test: &ast::Expr,
        body: &[ast::Stmt],
        orelse: &[ast::Stmt],
        sp: Span,
    ) {
        let t = self.expr(test, ctx, 0, Role::Read);
        let cond = self.m.conds.len() as CondId;
        self.m.conds.push(Cond {
            test: t,
            scope: ctx.scope,
        });
        let mark = self.mark();
        let base = self.flow.path;
        self.flow.path = self.pred_and(base, cond, true);
        self.stmts(body, Self::inner(ctx));
        let then_end = self.branch_end(mark);
        let else_at = orelse.first().map(|s| s.start().to_u32()).unwrap_or(sp.end);
        self.undo(ctx.scope, mark, else_at);
        self.flow.path = self.pred_and(base, cond, false);
        self.stmts(orelse, Self::inner(ctx));
        let else_end = self.branch_end(mark);
        self.undo(ctx.scope, mark, sp.end);
        self.flow.path = base;
        self.merge(ctx.scope, vec![then_end, else_end], Some(cond), sp.end);
    }

    /// The names a loop body may bind or change (not in nested scopes).
    fn bound_in(&mut self, body: &[ast::Stmt], out: &mut FxHashSet<Name>) {
        let mut raw = Vec::new();
        for s in body {
            stmt_bound_names(s, &mut raw, 0, true);
        }
        for n in raw {
            let n = self.names.name(&n);
            out.insert(n);
        }
    }

    /// Starts a loop at offset `at`: a phi for each name the body (or `extra`) may bind.
    fn loop_head(&mut self, ctx: Ctx, bound: FxHashSet<Name>, at: u32) -> FxHashMap<Name, DefId> {
        let mut phis = FxHashMap::default();
        let mut names: Vec<Name> = bound.into_iter().collect();
        names.sort();
        for n in names {
            if self.declared_target(ctx, &n).is_some() {
                continue;
            }
            if self.locals[ctx.scope]
                .as_ref()
                .is_some_and(|l| !l.contains(&n))
            {
                continue;
            }
            let id = self.add_def(
                ctx.scope,
                &n,
                DefKind::Phi {
                    sources: Box::new([]),
                },
                Span::new(at, at),
            );
            let live = self.single(id);
            self.set(ctx.scope, &n, live, at);
            phis.insert(n, id);
        }
        phis
    }

    /// Fills the phis of a loop: the state before it, at the end of its body and at each
    /// `continue`.
    fn fill_phis(
        &mut self,
        phis: &FxHashMap<Name, DefId>,
        before: &FxHashMap<Name, LiveId>,
        ends: &[BranchEnd],
    ) {
        for (n, id) in phis {
            let mut sources = vec![before.get(n).copied().unwrap_or(NOTHING)];
            for e in ends.iter().filter(|e| e.reachable) {
                if let Some(l) = e.changed.get(n) {
                    sources.push(*l);
                }
            }
            sources.sort();
            sources.dedup();
            self.m.defs[*id as usize].kind = DefKind::Phi {
                sources: sources.into_boxed_slice(),
            };
        }
    }

    fn for_loop(
        &mut self,
        ctx: Ctx,
        target: &ast::Expr,
        iter: &ast::Expr,
        body: &[ast::Stmt],
        orelse: &[ast::Stmt],
        sp: Span,
    ) {
        let it = self.expr(iter, ctx, 0, Role::Read);
        let head = it.span().end;
        let mut bound = FxHashSet::default();
        self.bound_in(body, &mut bound);
        let mut target_names = Vec::new();
        target_names_of(target, &mut target_names, false);
        for n in &target_names {
            let n = self.names.name(n);
            bound.insert(n);
        }
        let before: FxHashMap<Name, LiveId> = bound
            .iter()
            .map(|n| (n.clone(), self.flow.get(n)))
            .collect();
        let mark = self.mark();
        let phis = self.loop_head(ctx, bound, head);
        let head_mark = self.mark();
        self.loop_target(ctx, target, &it, head);
        // `for cfg in CONFIGS.values()`: each element of the container is held by the target.
        if let Some((root, rsp)) = container_root(&it) {
            for n in &target_names {
                let n = self.names.name(n);
                let live = self.flow.get(&n);
                let defs: Vec<DefId> = self
                    .m
                    .live(live)
                    .iter()
                    .map(|r| r.def)
                    .filter(|d| *d != UNBOUND)
                    .collect();
                for d in defs {
                    self.alias_escape(ctx, &root, rsp, d);
                }
            }
        }
        self.loops.push(LoopCtx {
            breaks: Vec::new(),
            continues: Vec::new(),
            mark,
        });
        self.stmts(body, Self::inner(ctx));
        let lp = self.loops.pop().expect("loop");
        let mut ends = lp.continues;
        ends.push(self.branch_end(mark));
        self.fill_phis(&phis, &before, &ends);
        // The loop ends when the iterable is exhausted: the state at its head.
        let else_at = orelse.first().map(|s| s.start().to_u32()).unwrap_or(sp.end);
        self.undo(ctx.scope, head_mark, else_at);
        self.flow.reachable = mark.reachable;
        self.stmts(orelse, Self::inner(ctx));
        let mut exits = lp.breaks;
        exits.push(self.branch_end(mark));
        self.undo(ctx.scope, mark, sp.end);
        self.merge(ctx.scope, exits, None, sp.end);
    }

    fn while_loop(
        &mut self,
        ctx: Ctx,
        test: &ast::Expr,
        body: &[ast::Stmt],
        orelse: &[ast::Stmt],
        sp: Span,
    ) {
        let mut bound = FxHashSet::default();
        self.bound_in(body, &mut bound);
        let before: FxHashMap<Name, LiveId> = bound
            .iter()
            .map(|n| (n.clone(), self.flow.get(n)))
            .collect();
        let mark = self.mark();
        let phis = self.loop_head(ctx, bound, sp.start);
        let head_mark = self.mark();
        let t = self.expr(test, ctx, 0, Role::Read);
        let forever = matches!(t, Expr::Bool { value: true, .. })
            || matches!(t, Expr::Num { value: Number::Int(n), .. } if n != 0);
        self.loops.push(LoopCtx {
            breaks: Vec::new(),
            continues: Vec::new(),
            mark,
        });
        self.stmts(body, Self::inner(ctx));
        let lp = self.loops.pop().expect("loop");
        let mut ends = lp.continues;
        ends.push(self.branch_end(mark));
        self.fill_phis(&phis, &before, &ends);
        let else_at = orelse.first().map(|s| s.start().to_u32()).unwrap_or(sp.end);
        self.undo(ctx.scope, head_mark, else_at);
        self.flow.reachable = mark.reachable && !forever;
        self.stmts(orelse, Self::inner(ctx));
        let mut exits = lp.breaks;
        exits.push(self.branch_end(mark));
        self.undo(ctx.scope, mark, sp.end);
        self.merge(ctx.scope, exits, None, sp.end);
    }

    fn try_stmt(
        &mut self,
        ctx: Ctx,
        body: &[ast::Stmt],
        handlers: &[ast::ExceptHandler],
        orelse: &[ast::Stmt],
        finalbody: &[ast::Stmt],
        sp: Span,
    ) {
        let mark = self.mark();
        self.try_seen.push(FxHashMap::default());
        self.stmts(body, Self::inner(ctx));
        // A handler may start after any statement of the body: every value a name had in it,
        // also inside its branches.
        let during = self.try_seen.pop().unwrap_or_default();
        let mut names: Vec<Name> = during.keys().cloned().collect();
        names.sort();
        // The state at `mark` is the current one after an undo; read it from the log.
        let mut at_mark: FxHashMap<Name, LiveId> = FxHashMap::default();
        for (n, prev) in self.flow.log[mark.log..].iter().rev() {
            at_mark.insert(n.clone(), prev.unwrap_or(mark.default));
        }
        let mut handler_entry: Vec<(Name, LiveId)> = Vec::new();
        for n in names {
            let first = at_mark
                .get(&n)
                .copied()
                .unwrap_or_else(|| self.flow.get(&n));
            let mut set: Vec<Reach> = self.m.live(first).to_vec();
            for l in &during[&n] {
                let more = self.m.live(*l).to_vec();
                set.extend(more);
            }
            let live = self.live_id(set);
            handler_entry.push((n, live));
        }
        // `else` runs after a body that did not raise.
        self.stmts(orelse, Self::inner(ctx));
        let mut ends = vec![self.branch_end(mark)];
        for h in handlers {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            let hsp = span(h.range);
            self.undo(ctx.scope, mark, hsp.start);
            for (n, live) in &handler_entry {
                self.set(ctx.scope, n, *live, hsp.start);
            }
            if let Some(t) = &h.type_ {
                self.expr(t, ctx, 0, Role::Read);
            }
            if let Some(n) = &h.name {
                self.bind(
                    ctx,
                    n.as_str(),
                    DefKind::Unknown("an exception"),
                    hsp,
                    hsp.start,
                );
            }
            self.stmts(&h.body, Self::inner(ctx));
            ends.push(self.branch_end(mark));
        }
        let fin_at = finalbody
            .first()
            .map(|s| s.start().to_u32())
            .unwrap_or(sp.end);
        self.undo(ctx.scope, mark, fin_at);
        self.merge(ctx.scope, ends, None, fin_at);
        self.stmts(finalbody, Self::inner(ctx));
    }

    fn loop_target(&mut self, ctx: Ctx, target: &ast::Expr, it: &Expr, at: u32) {
        self.element_target(ctx, target, it, true, Vec::new(), at);
    }

    /// Binds the names of an unpacking target to elements of `of` (`each`: of each element).
    fn element_target(
        &mut self,
        ctx: Ctx,
        target: &ast::Expr,
        of: &Expr,
        each: bool,
        path: Vec<u32>,
        at: u32,
    ) {
        match target {
            ast::Expr::Name(n) => {
                let kind = if path.len() > 4 {
                    DefKind::Unknown("unpacked from a deeply nested structure")
                } else {
                    DefKind::Element {
                        of: Box::new(of.clone()),
                        each,
                        path: path.into_boxed_slice(),
                    }
                };
                self.bind(ctx, n.id.as_str(), kind, span(n.range), at);
            }
            ast::Expr::Tuple(t) => self.element_targets(ctx, &t.elts, of, each, path, at),
            ast::Expr::List(t) => self.element_targets(ctx, &t.elts, of, each, path, at),
            // `self.a, self.b = a, b`: an attribute or item set to one element.
            ast::Expr::Attribute(_) | ast::Expr::Subscript(_) if !each && path.len() == 1 => {
                let value = element(of, path[0] as usize);
                let sp = span(target.range());
                self.store_target(
                    ctx,
                    target,
                    Some(value),
                    Span::new(sp.start, at.max(sp.end)),
                );
            }
            other => {
                self.unknown_target(ctx, other, "unpacked from a value that is not followed", at)
            }
        }
    }

    fn element_targets(
        &mut self,
        ctx: Ctx,
        elts: &[ast::Expr],
        of: &Expr,
        each: bool,
        path: Vec<u32>,
        at: u32,
    ) {
        let mut after_star = false;
        for (i, e) in elts.iter().enumerate() {
            if matches!(e, ast::Expr::Starred(_)) || after_star {
                after_star = true;
                self.unknown_target(ctx, e, "unpacked next to a starred target", at);
                continue;
            }
            let mut p = path.clone();
            p.push(i as u32);
            self.element_target(ctx, e, of, each, p, at);
        }
    }

    /// Binds every name in `target` to an unknown value.
    fn unknown_target(&mut self, ctx: Ctx, target: &ast::Expr, why: &'static str, at: u32) {
        match target {
            ast::Expr::Name(n) => {
                self.bind(ctx, n.id.as_str(), DefKind::Unknown(why), span(n.range), at);
            }
            ast::Expr::Tuple(t) => {
                for e in &t.elts {
                    self.unknown_target(ctx, e, why, at);
                }
            }
            ast::Expr::List(t) => {
                for e in &t.elts {
                    self.unknown_target(ctx, e, why, at);
                }
            }
            ast::Expr::Starred(s) => self.unknown_target(ctx, &s.value, why, at),
            ast::Expr::Attribute(_) | ast::Expr::Subscript(_) => {
                let sp = span(target.range());
                self.store_target(ctx, target, None, Span::new(sp.start, at.max(sp.end)));
            }
            _ => {}
        }
    }

    /// An assignment target (`value` is the whole right-hand side); `made` collects the
    /// definitions of plain names.
    fn assign_target(
        &mut self,
        ctx: Ctx,
        target: &ast::Expr,
        value: Option<&Expr>,
        stmt: Span,
        made: &mut Vec<DefId>,
    ) {
        match target {
            ast::Expr::Name(n) => {
                let kind = match value {
                    Some(v) => DefKind::Value(v.clone()),
                    None => DefKind::Unknown("assigned from a form that is not followed"),
                };
                made.push(self.bind(ctx, n.id.as_str(), kind, span(n.range), stmt.end));
            }
            ast::Expr::Tuple(t) => match value {
                Some(v) => self.element_targets(ctx, &t.elts, v, false, Vec::new(), stmt.end),
                None => self.unknown_target(
                    ctx,
                    target,
                    "assigned from a form that is not followed",
                    stmt.end,
                ),
            },
            ast::Expr::List(t) => match value {
                Some(v) => self.element_targets(ctx, &t.elts, v, false, Vec::new(), stmt.end),
                None => self.unknown_target(
                    ctx,
                    target,
                    "assigned from a form that is not followed",
                    stmt.end,
                ),
            },
            ast::Expr::Starred(s) => {
                self.unknown_target(ctx, &s.value, "a starred assignment target", stmt.end)
            }
            ast::Expr::Attribute(_) | ast::Expr::Subscript(_) => {
                self.store_target(ctx, target, value.cloned(), stmt)
            }
            _ => {}
        }
    }

    /// `base.attr = value` or `base[key] = value` (`value` `None`: deleted or changed otherwise).
    fn store_target(&mut self, ctx: Ctx, target: &ast::Expr, value: Option<Expr>, stmt: Span) {
        match target {
            ast::Expr::Attribute(a) => {
                let base = self.expr(&a.value, ctx, 0, Role::Read);
                let attr = self.names.name(&a.attr);
                let idx = self.m.stores.len() as u32;
                self.m.stores.push(AttrStore {
                    base: base.clone(),
                    attr: attr.clone(),
                    value: value.clone(),
                    scope: ctx.scope,
                    span: stmt,
                    pred: self.flow.path,
                    looped: !self.loops.is_empty(),
                    on_self: matches!(&base, Expr::Name { id, .. } if self.is_self(ctx, id)),
                    dyn_name: None,
                });
                // `x.a.b = v` sets `b` on the object in `x.a` (the store above, found by what its
                // base evaluates to); `x.a` itself is unchanged.
                if let ast::Expr::Name(n) = &*a.value {
                    if let (Some(cls), Some(_)) = (ctx.class, ctx.self_name) {
                        if self.is_self(ctx, n.id.as_str()) {
                            self.m.classes[cls]
                                .self_attrs
                                .entry(attr.clone())
                                .or_default()
                                .push(idx);
                        }
                    }
                    self.mutate(
                        ctx,
                        &n.id,
                        Mutation::SetAttr { attr, value },
                        stmt,
                        stmt.end,
                    );
                }
            }
            ast::Expr::Subscript(s) => {
                // `globals()[name] = v`: see `ModuleIr::dynamic_globals`.
                if is_globals_call(&s.value) && self.m.dynamic_globals.is_none() {
                    self.m.dynamic_globals = Some(stmt);
                }
                let base = self.expr(&s.value, ctx, 0, Role::Read);
                let key = self.expr(&s.slice, ctx, 0, Role::Read);
                match (&*s.value, value) {
                    (ast::Expr::Name(n), Some(v)) => self.mutate(
                        ctx,
                        &n.id,
                        Mutation::SetItem { key, value: v },
                        stmt,
                        stmt.end,
                    ),
                    (ast::Expr::Name(n), None) => {
                        self.mutate(ctx, &n.id, Mutation::Deep(stmt), stmt, stmt.end)
                    }
                    _ => self.deep_store(ctx, &base, stmt),
                }
            }
            ast::Expr::Name(n) => {
                self.bind(
                    ctx,
                    n.id.as_str(),
                    DefKind::Unknown("assigned from a form that is not followed"),
                    span(n.range),
                    stmt.end,
                );
            }
            _ => {}
        }
    }

    /// The object reached through `target` (`x.a`, `x[0]`, `x.a[k]`, already lowered) is changed
    /// in place (an item set or deleted, a mutating method called): when the path holds an
    /// attribute, the object in the attribute closest to the root changed (`x.a` for
    /// `x.a[k] = v`: a store with no value); else the root name's object changed in part
    /// (`x[0][k] = v`).
    fn deep_store(&mut self, ctx: Ctx, target: &Expr, stmt: Span) {
        let mut cur = target;
        let mut first_attr: Option<(&Expr, &Name)> = None;
        // The attribute nearest the change (`c` of `a.b.c[k] = v`): the object `a.b.c` changes,
        // which is the attribute `c` of `a.b` (a module read elsewhere by `from a.b import c`).
        let mut last_attr: Option<(&Expr, &Name)> = None;
        // Through a method's result (`CFG.setdefault("a", {})["k"] = v`): that may be a part of
        // the root's object.
        let mut through_call = false;
        loop {
            match cur {
                Expr::Attr { value, attr, .. } => {
                    first_attr = Some((value, attr));
                    if last_attr.is_none() && !through_call {
                        last_attr = Some((value, attr));
                    }
                    cur = value;
                }
                Expr::Subscript { value, .. } => cur = value,
                Expr::Call(c) => {
                    through_call = true;
                    cur = &c.func
                }
                _ => break,
            }
        }
        if through_call {
            if let Expr::Name { id, .. } = cur {
                let id = id.clone();
                self.mutate(ctx, &id, Mutation::Deep(stmt), stmt, stmt.end);
            }
        }
        if let (Some((lb, la)), Some((fb, _))) = (last_attr, first_attr) {
            if !std::ptr::eq(lb, fb) {
                self.m.stores.push(AttrStore {
                    base: lb.clone(),
                    attr: la.clone(),
                    value: None,
                    scope: ctx.scope,
                    span: stmt,
                    pred: self.flow.path,
                    looped: !self.loops.is_empty(),
                    on_self: false,
                    dyn_name: None,
                });
            }
        }
        match first_attr {
            Some((base, attr)) => {
                let idx = self.m.stores.len() as u32;
                self.m.stores.push(AttrStore {
                    base: base.clone(),
                    attr: attr.clone(),
                    value: None,
                    scope: ctx.scope,
                    span: stmt,
                    pred: self.flow.path,
                    looped: !self.loops.is_empty(),
                    on_self: matches!(&base, Expr::Name { id, .. } if self.is_self(ctx, id)),
                    dyn_name: None,
                });
                if let (Expr::Name { id, .. }, Some(cls)) = (base, ctx.class) {
                    if self.is_self(ctx, id) {
                        self.m.classes[cls]
                            .self_attrs
                            .entry(attr.clone())
                            .or_default()
                            .push(idx);
                    }
                }
            }
            None => {
                if let Expr::Name { id, .. } = cur {
                    let id = id.clone();
                    self.mutate(ctx, &id, Mutation::Deep(stmt), stmt, stmt.end);
                }
            }
        }
    }

    fn is_self(&self, ctx: Ctx, name: &str) -> bool {
        ctx.self_name
            .and_then(|i| self.self_names.get(i))
            .is_some_and(|s| s == name)
    }

    fn class(&mut self, ctx: Ctx, c: &ast::StmtClassDef, sp: Span) {
        let decorators = c
            .decorator_list
            .iter()
            .map(|d| self.expr(d, ctx, 0, Role::Read))
            .collect();
        let bases: Vec<Expr> = c
            .bases
            .iter()
            .map(|b| self.expr(b, ctx, 0, Role::Read))
            .collect();
        for k in &c.keywords {
            self.expr(&k.value, ctx, 0, Role::Read);
        }
        let id = self.m.classes.len();
        let scope = self.new_scope(ScopeKind::Class(id), Some(ctx.scope), sp, None);
        let name_span = Span::new(sp.start, sp.start + c.name.as_str().len() as u32);
        self.m.classes.push(Class {
            name: c.name.to_string(),
            span: sp,
            name_span,
            bases,
            has_keywords: !c.keywords.is_empty(),
            scope,
            parent_scope: ctx.scope,
            methods: Default::default(),
            self_attrs: Default::default(),
            doc: docstring(&c.body),
            decorators,
        });
        let cctx = Ctx {
            scope,
            func: None,
            class: Some(id),
            self_name: None,
            depth: ctx.depth + 1,
        };
        self.nested(|l| l.stmts(&c.body, cctx));
        self.bind(ctx, c.name.as_str(), DefKind::Class(id), name_span, sp.end);
    }

    /// Walks a nested scope with a fresh flow state (and no enclosing loops).
    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.flow, Flow::new());
        let loops = std::mem::take(&mut self.loops);
        f(self);
        self.flow = outer;
        self.loops = loops;
    }

    fn function(
        &mut self,
        ctx: Ctx,
        name: &str,
        args: &ast::Arguments,
        body: &[ast::Stmt],
        decorators: &[ast::Expr],
        sp: Span,
    ) {
        let decorators: Vec<Expr> = decorators
            .iter()
            .map(|d| self.expr(d, ctx, 0, Role::Read))
            .collect();
        let id = self.m.functions.len();
        let mut params = Vec::new();
        for a in args.posonlyargs.iter().chain(args.args.iter()) {
            let default = a
                .default
                .as_ref()
                .map(|d| self.expr(d, ctx, 0, Role::Escape(&OTHER)));
            params.push(Param {
                name: a.def.arg.to_string(),
                default,
                kind: ParamKind::Positional,
                span: span(a.def.range),
            });
        }
        if let Some(v) = &args.vararg {
            params.push(Param {
                name: v.arg.to_string(),
                default: None,
                kind: ParamKind::VarArgs,
                span: span(v.range),
            });
        }
        for a in &args.kwonlyargs {
            let default = a
                .default
                .as_ref()
                .map(|d| self.expr(d, ctx, 0, Role::Escape(&OTHER)));
            params.push(Param {
                name: a.def.arg.to_string(),
                default,
                kind: ParamKind::KeywordOnly,
                span: span(a.def.range),
            });
        }
        if let Some(v) = &args.kwarg {
            params.push(Param {
                name: v.arg.to_string(),
                default: None,
                kind: ParamKind::VarKeywords,
                span: span(v.range),
            });
        }
        let is_method = matches!(self.m.scopes[ctx.scope].kind, ScopeKind::Class(_));
        let class = if is_method { ctx.class } else { None };
        // Python's local names: bound anywhere in the body, parameters included.
        let mut raw = Vec::new();
        let mut declared = Vec::new();
        for s in body {
            stmt_bound_names(s, &mut raw, 0, false);
            stmt_declared(s, &mut declared, 0);
        }
        let mut locals: FxHashSet<Name> = FxHashSet::default();
        for n in raw.iter().chain(params.iter().map(|p| &p.name)) {
            if !declared.iter().any(|d| d == n) {
                locals.insert(self.names.name(n));
            }
        }
        let scope = self.new_scope(ScopeKind::Function(id), Some(ctx.scope), sp, Some(locals));
        let name_span = Span::new(sp.start, sp.start + name.len() as u32);
        self.m.functions.push(Function {
            name: name.to_string(),
            span: sp,
            name_span,
            params: params.clone(),
            scope,
            parent_scope: ctx.scope,
            returns: Vec::new(),
            falls_off: false,
            generator: body_yields(body),
            class,
            doc: docstring(body),
            decorators,
        });
        if let (true, Some(c)) = (is_method, class) {
            let name = self.names.name(name);
            self.m.classes[c].methods.insert(name, id);
        }
        let self_name = if is_method {
            params.first().map(|p| {
                self.self_names.push(self.names.name(&p.name));
                self.self_names.len() - 1
            })
        } else {
            ctx.self_name
        };
        let fctx = Ctx {
            scope,
            func: Some(id),
            class: if is_method { class } else { ctx.class },
            self_name,
            depth: ctx.depth + 1,
        };
        self.nested(|l| {
            for d in &declared {
                let n = l.names.name(d);
                // `global`/`nonlocal` statements apply to the whole body.
                if body_declares_global(body, d) {
                    l.globals[scope].insert(n);
                } else {
                    l.nonlocals[scope].insert(n);
                }
            }
            for (i, p) in params.iter().enumerate() {
                l.bind(
                    fctx,
                    &p.name,
                    DefKind::Param { func: id, index: i },
                    p.span,
                    sp.start,
                );
            }
            l.stmts(body, fctx);
            let falls = l.flow.reachable;
            l.m.functions[id].falls_off = falls;
        });
        self.bind(ctx, name, DefKind::Function(id), name_span, sp.end);
    }

    // ----- expressions -----------------------------------------------------------------------

    fn keywordize(
        &mut self,
        k: &ast::Keyword,
        ctx: Ctx,
        depth: usize,
        call: u32,
        index: usize,
        callee_reads: bool,
    ) -> Keyword {
        let name = k.arg.as_ref().map(|a| self.names.name(a));
        let value = match &name {
            // `**d` copies the dict's items.
            None => self.expr(&k.value, ctx, depth + 1, Role::Read),
            Some(_) => {
                let kind = EscapeKindRef::Arg {
                    call,
                    slot: KEYWORD | index as u32,
                };
                let role = if callee_reads {
                    Role::Read
                } else {
                    Role::Escape(&kind)
                };
                self.expr(&k.value, ctx, depth + 1, role)
            }
        };
        Keyword {
            name,
            value,
            span: span(k.range),
        }
    }

    fn comprehension(
        &mut self,
        gens: &[ast::Comprehension],
        elts: &[&ast::Expr],
        ctx: Ctx,
        depth: usize,
        sp: Span,
    ) -> ScopeId {
        // The first iterable is evaluated in the enclosing scope.
        let first = gens
            .first()
            .map(|g| self.expr(&g.iter, ctx, depth + 1, Role::Read));
        let scope = self.new_scope(ScopeKind::Comprehension, Some(ctx.scope), sp, None);
        let cctx = Ctx {
            scope,
            depth: ctx.depth + 1,
            ..ctx
        };
        self.nested(|l| {
            for (i, g) in gens.iter().enumerate() {
                let it = match (i, &first) {
                    (0, Some(f)) => f.clone(),
                    _ => l.expr(&g.iter, cctx, depth + 1, Role::Read),
                };
                // Comprehension variables are visible in the whole comprehension (the element
                // expression comes first in the text).
                l.element_target(cctx, &g.target, &it, true, Vec::new(), sp.start);
                for c in &g.ifs {
                    l.expr(c, cctx, depth + 1, Role::Read);
                }
            }
            for e in elts {
                l.expr(e, cctx, depth + 1, Role::Escape(&OTHER));
            }
        });
        scope
    }

    /// Lowers an expression; records every call in it, and what it does to the names in it.
    fn expr(&mut self, e: &ast::Expr, ctx: Ctx, depth: usize, role: Role) -> Expr {
        let sp = span(e.range());
        if depth > MAX_EXPR_DEPTH {
            return Expr::Other {
                what: "an expression nested too deeply",
                span: sp,
            };
        }
        let d = depth + 1;
        match e {
            ast::Expr::Name(n) => {
                self.use_name(ctx, &n.id, sp, role);
                Expr::Name {
                    id: self.names.name(&n.id),
                    span: sp,
                }
            }
            ast::Expr::Attribute(a) => {
                let value = self.expr(&a.value, ctx, d, Role::Read);
                // `f(mod.CFG)`, `x = mod.CFG`: the object of the attribute may be changed there.
                if let (ast::Expr::Name(b), Role::Escape(_) | Role::Bind) = (&*a.value, role) {
                    let kind = match role {
                        Role::Escape(EscapeKindRef::Arg { call, slot }) => EscapeKind::Arg {
                            call: *call,
                            slot: *slot,
                        },
                        Role::Escape(EscapeKindRef::Return) => EscapeKind::Return,
                        _ => EscapeKind::Other,
                    };
                    self.m.attr_escapes.push(AttrEscape {
                        base: self.names.name(&b.id),
                        attr: self.names.name(&a.attr),
                        scope: ctx.scope as ScopeId32,
                        span: sp,
                        kind,
                    });
                }
                Expr::Attr {
                    value: Box::new(value),
                    attr: self.names.name(&a.attr),
                    span: sp,
                }
            }
            ast::Expr::Call(c) => self.call(c, ctx, d, sp, role),
            ast::Expr::Constant(c) => match &c.value {
                ast::Constant::Str(s) => Expr::Str {
                    value: s.as_str().into(),
                    span: sp,
                },
                ast::Constant::Int(i) => match i.to_string().parse::<i64>() {
                    Ok(v) => Expr::Num {
                        value: Number::Int(v),
                        span: sp,
                    },
                    Err(_) => Expr::Other {
                        what: "a very large integer",
                        span: sp,
                    },
                },
                ast::Constant::Float(f) => Expr::Num {
                    value: Number::Float(*f),
                    span: sp,
                },
                ast::Constant::Bool(b) => Expr::Bool {
                    value: *b,
                    span: sp,
                },
                ast::Constant::None => Expr::NoneLit { span: sp },
                _ => Expr::Other {
                    what: "a constant of another type",
                    span: sp,
                },
            },
            ast::Expr::UnaryOp(u) => {
                let v = self.expr(&u.operand, ctx, d, Role::Read);
                match (u.op, &v) {
                    (ast::UnaryOp::USub, Expr::Num { value, .. }) => Expr::Num {
                        value: match value {
                            Number::Int(i) => Number::Int(i.wrapping_neg()),
                            Number::Float(f) => Number::Float(-f),
                        },
                        span: sp,
                    },
                    (ast::UnaryOp::UAdd, Expr::Num { value, .. }) => Expr::Num {
                        value: *value,
                        span: sp,
                    },
                    (ast::UnaryOp::USub, _) => Expr::BinOp {
                        left: Box::new(Expr::Num {
                            value: Number::Int(0),
                            span: sp,
                        }),
                        op: '-',
                        right: Box::new(v),
                        span: sp,
                    },
                    (ast::UnaryOp::Not, _) => Expr::Not {
                        value: Box::new(v),
                        span: sp,
                    },
                    _ => Expr::Other {
                        what: "a unary operation",
                        span: sp,
                    },
                }
            }
            ast::Expr::Dict(dct) => {
                let mut items = Vec::new();
                for (k, v) in dct.keys.iter().zip(dct.values.iter()) {
                    let k = k.as_ref().map(|k| self.expr(k, ctx, d, Role::Read));
                    // `{**a}` copies; a value stored in the dict may be reached through it.
                    let role = if k.is_none() {
                        Role::Read
                    } else {
                        Role::Escape(&OTHER)
                    };
                    let v = self.expr(v, ctx, d, role);
                    items.push((k, v));
                }
                Expr::Dict {
                    items: items.into(),
                    span: sp,
                }
            }
            ast::Expr::List(l) => Expr::List {
                elts: l
                    .elts
                    .iter()
                    .map(|x| self.expr(x, ctx, d, Role::Escape(&OTHER)))
                    .collect(),
                span: sp,
            },
            ast::Expr::Tuple(l) => Expr::Tuple {
                elts: l.elts.iter().map(|x| self.expr(x, ctx, d, role)).collect(),
                span: sp,
            },
            ast::Expr::Set(l) => {
                for x in &l.elts {
                    self.expr(x, ctx, d, Role::Escape(&OTHER));
                }
                Expr::Other {
                    what: "a set",
                    span: sp,
                }
            }
            ast::Expr::Starred(s) => Expr::Starred {
                // `*xs` copies the elements.
                value: Box::new(self.expr(&s.value, ctx, d, Role::Read)),
                span: sp,
            },
            ast::Expr::IfExp(i) => {
                let test = self.expr(&i.test, ctx, d, Role::Read);
                Expr::IfExp(Box::new(IfExp {
                    test,
                    body: self.expr(&i.body, ctx, d, role),
                    orelse: self.expr(&i.orelse, ctx, d, role),
                    span: sp,
                }))
            }
            ast::Expr::BoolOp(b) => {
                // `x or y` is `x if x else y`; `x and y` is `y if x else x`.
                let is_or = matches!(b.op, ast::BoolOp::Or);
                let vals: Vec<Expr> = b
                    .values
                    .iter()
                    .map(|v| self.expr(v, ctx, d, role))
                    .collect();
                let mut it = vals.into_iter().rev();
                let mut acc = it.next().unwrap_or(Expr::Other {
                    what: "an empty boolean operation",
                    span: sp,
                });
                for v in it {
                    acc = if is_or {
                        Expr::IfExp(Box::new(IfExp {
                            test: v.clone(),
                            body: v,
                            orelse: acc,
                            span: sp,
                        }))
                    } else {
                        Expr::IfExp(Box::new(IfExp {
                            test: v.clone(),
                            body: acc,
                            orelse: v,
                            span: sp,
                        }))
                    };
                }
                acc
            }
            ast::Expr::Lambda(l) => {
                let params: Vec<String> = l
                    .args
                    .posonlyargs
                    .iter()
                    .chain(l.args.args.iter())
                    .chain(l.args.kwonlyargs.iter())
                    .map(|a| a.def.arg.to_string())
                    .collect();
                for a in l
                    .args
                    .posonlyargs
                    .iter()
                    .chain(l.args.args.iter())
                    .chain(l.args.kwonlyargs.iter())
                {
                    if let Some(dflt) = &a.default {
                        self.expr(dflt, ctx, d, Role::Escape(&OTHER));
                    }
                }
                let mut locals: FxHashSet<Name> = FxHashSet::default();
                for p in &params {
                    locals.insert(self.names.name(p));
                }
                let scope = self.new_scope(ScopeKind::Lambda, Some(ctx.scope), sp, Some(locals));
                let lctx = Ctx {
                    scope,
                    func: None,
                    depth: ctx.depth + 1,
                    ..ctx
                };
                let body = {
                    let mut out = None;
                    self.nested(|lw| {
                        for p in &params {
                            lw.bind(
                                lctx,
                                p,
                                DefKind::Unknown("a lambda parameter"),
                                sp,
                                sp.start,
                            );
                        }
                        out = Some(lw.expr(&l.body, lctx, d, Role::Escape(&OTHER)));
                    });
                    out.unwrap_or(Expr::Other {
                        what: "a lambda",
                        span: sp,
                    })
                };
                Expr::Lambda(Box::new(Lambda {
                    params,
                    body,
                    span: sp,
                }))
            }
            ast::Expr::Subscript(s) => Expr::Subscript {
                value: Box::new(self.expr(&s.value, ctx, d, Role::Read)),
                index: Box::new(self.expr(&s.slice, ctx, d, Role::Read)),
                span: sp,
            },
            ast::Expr::ListComp(c) => {
                self.comprehension(&c.generators, &[&c.elt], ctx, d, sp);
                Expr::Other {
                    what: "a comprehension",
                    span: sp,
                }
            }
            ast::Expr::SetComp(c) => {
                self.comprehension(&c.generators, &[&c.elt], ctx, d, sp);
                Expr::Other {
                    what: "a comprehension",
                    span: sp,
                }
            }
            ast::Expr::GeneratorExp(c) => {
                self.comprehension(&c.generators, &[&c.elt], ctx, d, sp);
                Expr::Other {
                    what: "a comprehension",
                    span: sp,
                }
            }
            ast::Expr::DictComp(c) => {
                self.comprehension(&c.generators, &[&c.key, &c.value], ctx, d, sp);
                Expr::Other {
                    what: "a comprehension",
                    span: sp,
                }
            }
            ast::Expr::BinOp(b) => {
                let left = self.expr(&b.left, ctx, d, Role::Read);
                let right = self.expr(&b.right, ctx, d, Role::Read);
                let op = match b.op {
                    ast::Operator::Add => Some('+'),
                    ast::Operator::Sub => Some('-'),
                    ast::Operator::Mult => Some('*'),
                    ast::Operator::Div => Some('/'),
                    ast::Operator::FloorDiv => Some('f'),
                    ast::Operator::Mod => Some('%'),
                    ast::Operator::Pow => Some('^'),
                    _ => None,
                };
                match op {
                    Some(op) => Expr::BinOp {
                        left: Box::new(left),
                        op,
                        right: Box::new(right),
                        span: sp,
                    },
                    None => Expr::Other {
                        what: "an arithmetic expression",
                        span: sp,
                    },
                }
            }
            ast::Expr::Compare(c) => {
                let left = self.expr(&c.left, ctx, d, Role::Read);
                let rights: Vec<Expr> = c
                    .comparators
                    .iter()
                    .map(|x| self.expr(x, ctx, d, Role::Read))
                    .collect();
                let op = match c.ops.as_slice() {
                    [ast::CmpOp::Eq] => Some(CmpOp::Eq),
                    [ast::CmpOp::NotEq] => Some(CmpOp::NotEq),
                    [ast::CmpOp::Is] => Some(CmpOp::Is),
                    [ast::CmpOp::IsNot] => Some(CmpOp::IsNot),
                    [ast::CmpOp::In] => Some(CmpOp::In),
                    [ast::CmpOp::NotIn] => Some(CmpOp::NotIn),
                    [ast::CmpOp::Lt] => Some(CmpOp::Lt),
                    [ast::CmpOp::LtE] => Some(CmpOp::LtE),
                    [ast::CmpOp::Gt] => Some(CmpOp::Gt),
                    [ast::CmpOp::GtE] => Some(CmpOp::GtE),
                    _ => None,
                };
                match (op, rights.into_iter().next()) {
                    (Some(op), Some(right)) => Expr::Compare {
                        left: Box::new(left),
                        op,
                        right: Box::new(right),
                        span: sp,
                    },
                    _ => Expr::Other {
                        what: "a comparison",
                        span: sp,
                    },
                }
            }
            ast::Expr::NamedExpr(n) => {
                let v = self.expr(&n.value, ctx, d, Role::Escape(&OTHER));
                if let ast::Expr::Name(t) = &*n.target {
                    if matches!(self.m.scopes[ctx.scope].kind, ScopeKind::Comprehension) {
                        // Binds in the enclosing function or module, at a time the flow of that
                        // scope does not order.
                        let mut s = ctx.scope;
                        while matches!(self.m.scopes[s].kind, ScopeKind::Comprehension) {
                            s = self.m.scopes[s].parent.unwrap_or(0);
                        }
                        let name = self.names.name(&t.id);
                        let id = self.add_def(s, &name, DefKind::Value(v.clone()), span(t.range));
                        self.anytime[s].entry(name).or_default().push(id);
                    } else {
                        self.bind(
                            ctx,
                            t.id.as_str(),
                            DefKind::Value(v.clone()),
                            span(t.range),
                            sp.end,
                        );
                    }
                }
                v
            }
            ast::Expr::Await(a) => {
                self.expr(&a.value, ctx, d, Role::Escape(&OTHER));
                Expr::Other {
                    what: "an await",
                    span: sp,
                }
            }
            ast::Expr::Yield(y) => {
                if let Some(v) = &y.value {
                    self.expr(v, ctx, d, Role::Escape(&OTHER));
                }
                Expr::Other {
                    what: "a yield",
                    span: sp,
                }
            }
            ast::Expr::YieldFrom(y) => {
                self.expr(&y.value, ctx, d, Role::Escape(&OTHER));
                Expr::Other {
                    what: "a yield",
                    span: sp,
                }
            }
            ast::Expr::JoinedStr(j) => {
                for v in &j.values {
                    self.expr(v, ctx, d, Role::Read);
                }
                Expr::Other {
                    what: "an f-string",
                    span: sp,
                }
            }
            ast::Expr::FormattedValue(f) => {
                self.expr(&f.value, ctx, d, Role::Read);
                Expr::Other {
                    what: "an f-string",
                    span: sp,
                }
            }
            _ => Expr::Other {
                what: "an expression that is not followed",
                span: sp,
            },
        }
    }

    fn call(&mut self, c: &ast::ExprCall, ctx: Ctx, d: usize, sp: Span, role: Role) -> Expr {
        // `globals().update(...)`, `setattr(sys.modules[__name__], ...)`: see
        // `ModuleIr::dynamic_globals` (reading `globals()[name]` changes nothing).
        let dynamic = match &*c.func {
            ast::Expr::Attribute(a) => {
                MUTATING_METHODS.contains(&a.attr.as_str()) && is_globals_call(&a.value)
            }
            ast::Expr::Name(n) if n.id.as_str() == "setattr" => c.args.first().is_some_and(|a| {
                matches!(a, ast::Expr::Subscript(s) if matches!(&*s.value,
                        ast::Expr::Attribute(m) if m.attr.as_str() == "modules"
                            && matches!(&*m.value, ast::Expr::Name(n) if n.id.as_str() == "sys")))
            }),
            _ => false,
        };
        if dynamic && self.m.dynamic_globals.is_none() {
            self.m.dynamic_globals = Some(sp);
        }
        let (method, base_name): (Option<&str>, Option<&str>) = match &*c.func {
            ast::Expr::Attribute(a) => (
                Some(a.attr.as_str()),
                match &*a.value {
                    ast::Expr::Name(n) => Some(n.id.as_str()),
                    _ => None,
                },
            ),
            _ => (None, None),
        };
        let callee_reads = match &*c.func {
            ast::Expr::Name(n) => READING_BUILTINS.contains(&n.id.as_str()),
            ast::Expr::Attribute(a) => READING_METHODS.contains(&a.attr.as_str()),
            _ => false,
        };
        let func = match &*c.func {
            ast::Expr::Name(_) => self.expr(&c.func, ctx, d, Role::Callee),
            // `Layer(...)(x)`: the object made by the inner call is only called.
            other @ ast::Expr::Call(_) => self.expr(other, ctx, d, Role::Callee),
            other => self.expr(other, ctx, d, Role::Read),
        };
        // The call's index (calls in the callee come before it, those in the arguments after).
        let call_idx = self.m.calls.len() as u32;
        let placeholder = Arc::new(Call {
            func: func.clone(),
            args: Box::default(),
            keywords: Box::default(),
            span: sp,
        });
        let value_use = match role {
            Role::Read => CallUse::Read,
            Role::Callee => CallUse::Called,
            Role::Bind => CallUse::Bound,
            Role::Escape(_) => CallUse::Escapes,
        };
        self.m.calls.push(CallSite {
            call: placeholder,
            scope: ctx.scope,
            pred: self.flow.path,
            value_use,
            looped: !self.loops.is_empty(),
        });
        let mut args = Vec::with_capacity(c.args.len());
        for (i, a) in c.args.iter().enumerate() {
            let kind = EscapeKindRef::Arg {
                call: call_idx,
                slot: i as u32,
            };
            let role = if callee_reads || matches!(a, ast::Expr::Starred(_)) {
                Role::Read
            } else {
                Role::Escape(&kind)
            };
            args.push(self.expr(a, ctx, d, role));
        }
        let keywords: Vec<Keyword> = c
            .keywords
            .iter()
            .enumerate()
            .map(|(i, k)| self.keywordize(k, ctx, d, call_idx, i, callee_reads))
            .collect();
        let call = Arc::new(Call {
            func,
            args: args.into(),
            keywords: keywords.into(),
            span: sp,
        });
        self.m.calls[call_idx as usize].call = call.clone();
        // `name.update(...)`, `name.append(...)`, ...: the object of `name` changes here.
        if let (Some(m), Some(base)) = (method, base_name) {
            if MUTATING_METHODS.contains(&m) {
                self.mutate(ctx, base, Mutation::Method(call.clone()), sp, sp.end);
            }
        } else if let (Some(m), Expr::Attr { value, .. }) = (method, &call.func) {
            if MUTATING_METHODS.contains(&m) {
                let value = (**value).clone();
                self.deep_store(ctx, &value, sp);
            }
        }
        // `setattr(obj, "name", value)`.
        if let (Expr::Name { id, .. }, [obj, attr, value]) = (&call.func, &*call.args) {
            if id == "setattr" {
                let (attr, value, dyn_name) = match attr {
                    Expr::Str { value: a, .. } => (self.names.name(a), Some(value.clone()), None),
                    other => {
                        let (prefix, suffix) = c.args.get(1).map(fstring_ends).unwrap_or_default();
                        let dn = DynName {
                            expr: other.clone(),
                            prefix,
                            suffix,
                        };
                        (self.names.name("*"), None, Some(Box::new(dn)))
                    }
                };
                self.m.stores.push(AttrStore {
                    base: obj.clone(),
                    attr: attr.clone(),
                    value: value.clone(),
                    scope: ctx.scope,
                    span: sp,
                    pred: self.flow.path,
                    looped: !self.loops.is_empty(),
                    on_self: matches!(obj, Expr::Name { id, .. } if self.is_self(ctx, id)),
                    dyn_name,
                });
                if let Expr::Name { id: o, .. } = obj {
                    let o = o.clone();
                    self.mutate(ctx, &o, Mutation::SetAttr { attr, value }, sp, sp.end);
                }
            }
        }
        Expr::Call(call)
    }

    // ----- the end ------------------------------------------------------------------------------

    /// Resolves the uses recorded against names of other scopes, and moves the per-scope tables
    /// into the IR.
    fn finish(mut self) -> ModuleIr {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            let Some(target) = self.resolve_outward(p.scope, &p.name) else {
                continue;
            };
            match p.what {
                PendingKind::Mutated => {
                    self.mutated[target]
                        .entry(p.name.clone())
                        .or_default()
                        .push(p.span);
                }
                what => {
                    let defs: Vec<DefId> =
                        self.defs[target].get(&p.name).cloned().unwrap_or_default();
                    for d in defs {
                        self.record_use(d, p.span, &what);
                    }
                }
            }
        }
        // A name only used (never bound) in a scope has no timeline, so `is_local` is false for
        // it; a local name of a function that is never bound on any path still needs one.
        for (i, l) in self.locals.iter().enumerate() {
            if let Some(l) = l {
                for n in l {
                    self.timelines[i]
                        .entry(n.clone())
                        .or_insert_with(|| vec![(0, NOTHING)]);
                }
            }
        }
        let mut def_index: Vec<DefId> = Vec::with_capacity(self.m.defs.len());
        for (i, s) in self.m.scopes.iter_mut().enumerate() {
            let mut tl: Vec<TimelineEntry> = std::mem::take(&mut self.timelines[i])
                .into_iter()
                .flat_map(|(name, v)| {
                    v.into_iter().map(move |(at, live)| TimelineEntry {
                        name: name.clone(),
                        at,
                        live,
                    })
                })
                .collect();
            tl.sort_by(|a, b| name_order(&a.name, &b.name).then(a.at.cmp(&b.at)));
            s.timeline = tl.into_boxed_slice();
            s.default_timeline = std::mem::take(&mut self.default_timelines[i]).into_boxed_slice();
            let start = def_index.len() as u32;
            let mut names: Vec<(Name, Vec<DefId>)> =
                std::mem::take(&mut self.defs[i]).into_iter().collect();
            names.sort_by(|a, b| name_order(&a.0, &b.0));
            for (_, ds) in names {
                def_index.extend(ds);
            }
            s.def_range = (start, def_index.len() as u32);
            let mut anytime: Vec<(Name, DefId)> = std::mem::take(&mut self.anytime[i])
                .into_iter()
                .flat_map(|(k, v)| v.into_iter().map(move |d| (k.clone(), d)))
                .collect();
            anytime.sort_by(|a, b| name_order(&a.0, &b.0).then(a.1.cmp(&b.1)));
            s.anytime = anytime.into_boxed_slice();
            let mut mutated: Vec<(Name, Span)> = std::mem::take(&mut self.mutated[i])
                .into_iter()
                .filter_map(|(k, v)| v.first().map(|sp| (k, *sp)))
                .collect();
            mutated.sort_by(|a, b| name_order(&a.0, &b.0));
            s.mutated_elsewhere = mutated.into_boxed_slice();
            let mut declared: Vec<Name> = self.globals[i]
                .iter()
                .chain(self.nonlocals[i].iter())
                .cloned()
                .collect();
            declared.sort();
            s.declared = declared.into_boxed_slice();
        }
        self.m.def_index = def_index.into_boxed_slice();
        // Conditions no path condition refers to keep no copy of their test.
        let mut used_preds = vec![false; self.m.preds.len()];
        let mark = |p: PredId, used: &mut Vec<bool>, preds: &[Pred]| {
            let mut cur = p;
            while cur != TRUE && !used[cur as usize] {
                used[cur as usize] = true;
                cur = preds[cur as usize].parent;
            }
        };
        for r in &self.m.reaches {
            mark(r.pred, &mut used_preds, &self.m.preds);
        }
        for c in &self.m.calls {
            mark(c.pred, &mut used_preds, &self.m.preds);
        }
        for st in &self.m.stores {
            mark(st.pred, &mut used_preds, &self.m.preds);
        }
        for a in &self.m.applies {
            mark(a.pred, &mut used_preds, &self.m.preds);
        }
        for f in &self.m.functions {
            for (_, p) in &f.returns {
                mark(*p, &mut used_preds, &self.m.preds);
            }
        }
        let mut used_conds = vec![false; self.m.conds.len()];
        for (i, u) in used_preds.iter().enumerate().skip(1) {
            if *u {
                used_conds[self.m.preds[i].cond as usize] = true;
            }
        }
        for (c, u) in self.m.conds.iter_mut().zip(&used_conds) {
            if !*u {
                c.test = Expr::Other {
                    what: "a condition no definition depends on",
                    span: c.test.span(),
                };
            }
        }
        self.m.escapes.sort_by_key(|e| e.def);
        self.m.applies.sort_by_key(|a| a.def);
        self.m.shrink_to_fit();
        self.m
    }

    /// The scope a name used (not bound) in `scope` refers to: the nearest enclosing function
    /// scope that binds it, else the module (class scopes are not enclosing for nested scopes).
    fn resolve_outward(&self, scope: ScopeId, name: &Name) -> Option<ScopeId> {
        if self.globals[scope].contains(name) {
            return Some(0);
        }
        let mut s = self.m.scopes[scope].parent;
        while let Some(id) = s {
            let sc = &self.m.scopes[id];
            match sc.kind {
                ScopeKind::Module => return Some(id),
                ScopeKind::Class(_) => {}
                _ => {
                    if self.defs[id].contains_key(name) && !self.globals[id].contains(name) {
                        return Some(id);
                    }
                    if self.globals[id].contains(name) {
                        return Some(0);
                    }
                }
            }
            s = sc.parent;
        }
        Some(0)
    }
}

/// Names bound by a statement (not inside nested functions, classes, lambdas or comprehensions):
/// assignment, loop, `with`, `except` and `match` targets, imports, `def`/`class` names, deleted
/// names (Python's local names); with `muts`, also the names whose object is changed in place
/// (`d[k] = v`, `d.update(...)`), which need a phi at a loop head too.
fn stmt_bound_names(s: &ast::Stmt, out: &mut Vec<String>, depth: usize, muts: bool) {
    if depth > MAX_STMT_DEPTH {
        return;
    }
    let d = depth + 1;
    let block = |b: &[ast::Stmt], out: &mut Vec<String>| {
        for s in b {
            stmt_bound_names(s, out, d, muts);
        }
    };
    match s {
        ast::Stmt::FunctionDef(f) => out.push(f.name.to_string()),
        ast::Stmt::AsyncFunctionDef(f) => out.push(f.name.to_string()),
        ast::Stmt::ClassDef(c) => out.push(c.name.to_string()),
        ast::Stmt::Assign(a) => {
            for t in &a.targets {
                target_names_of(t, out, muts);
            }
            expr_bound_names(&a.value, out, 0, muts);
        }
        ast::Stmt::AnnAssign(a) => {
            target_names_of(&a.target, out, muts);
            if let Some(v) = &a.value {
                expr_bound_names(v, out, 0, muts);
            }
        }
        ast::Stmt::AugAssign(a) => {
            target_names_of(&a.target, out, muts);
            expr_bound_names(&a.value, out, 0, muts);
        }
        ast::Stmt::For(f) => {
            target_names_of(&f.target, out, muts);
            expr_bound_names(&f.iter, out, 0, muts);
            block(&f.body, out);
            block(&f.orelse, out);
        }
        ast::Stmt::AsyncFor(f) => {
            target_names_of(&f.target, out, muts);
            block(&f.body, out);
            block(&f.orelse, out);
        }
        ast::Stmt::While(w) => {
            expr_bound_names(&w.test, out, 0, muts);
            block(&w.body, out);
            block(&w.orelse, out);
        }
        ast::Stmt::If(i) => {
            expr_bound_names(&i.test, out, 0, muts);
            block(&i.body, out);
            block(&i.orelse, out);
        }
        ast::Stmt::With(w) => {
            for it in &w.items {
                if let Some(t) = &it.optional_vars {
                    target_names_of(t, out, muts);
                }
            }
            block(&w.body, out);
        }
        ast::Stmt::AsyncWith(w) => {
            for it in &w.items {
                if let Some(t) = &it.optional_vars {
                    target_names_of(t, out, muts);
                }
            }
            block(&w.body, out);
        }
        ast::Stmt::Try(t) => {
            block(&t.body, out);
            for h in &t.handlers {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                if let Some(n) = &h.name {
                    out.push(n.to_string());
                }
                block(&h.body, out);
            }
            block(&t.orelse, out);
            block(&t.finalbody, out);
        }
        ast::Stmt::TryStar(t) => {
            block(&t.body, out);
            for h in &t.handlers {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                if let Some(n) = &h.name {
                    out.push(n.to_string());
                }
                block(&h.body, out);
            }
            block(&t.orelse, out);
            block(&t.finalbody, out);
        }
        ast::Stmt::Match(m) => {
            for c in &m.cases {
                pattern_names(&c.pattern, out);
                block(&c.body, out);
            }
        }
        ast::Stmt::Import(i) => {
            for a in &i.names {
                match &a.asname {
                    Some(n) => out.push(n.to_string()),
                    None => out.push(a.name.split('.').next().unwrap_or("").to_string()),
                }
            }
        }
        ast::Stmt::ImportFrom(i) => {
            for a in &i.names {
                if a.name.as_str() != "*" {
                    out.push(a.asname.as_ref().unwrap_or(&a.name).to_string());
                }
            }
        }
        ast::Stmt::Delete(dl) => {
            for t in &dl.targets {
                target_names_of(t, out, muts);
            }
        }
        ast::Stmt::Expr(e) => expr_bound_names(&e.value, out, 0, muts),
        ast::Stmt::Return(r) => {
            if let Some(v) = &r.value {
                expr_bound_names(v, out, 0, muts);
            }
        }
        _ => {}
    }
}

/// The constant text an f-string starts and ends with (empty for any other expression).
fn fstring_ends(e: &ast::Expr) -> (String, String) {
    let ast::Expr::JoinedStr(j) = e else {
        return Default::default();
    };
    let lit = |v: &ast::Expr| match v {
        ast::Expr::Constant(c) => match &c.value {
            ast::Constant::Str(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    let prefix: String = j.values.iter().map_while(lit).collect();
    if j.values.iter().all(|v| lit(v).is_some()) {
        // No formatted part (a constant; the prefix alone is a sound description).
        return (prefix, String::new());
    }
    let mut suffix: Vec<String> = j.values.iter().rev().map_while(lit).collect();
    suffix.reverse();
    (prefix, suffix.concat())
}

/// Walrus targets, and the names whose object a call changes in place (`d.update(...)`), in an
/// expression (not inside lambdas or comprehensions).
fn expr_bound_names(e: &ast::Expr, out: &mut Vec<String>, depth: usize, muts: bool) {
    if depth > MAX_EXPR_DEPTH {
        return;
    }
    let d = depth + 1;
    match e {
        ast::Expr::NamedExpr(n) => {
            target_names_of(&n.target, out, muts);
            expr_bound_names(&n.value, out, d, muts);
        }
        ast::Expr::Call(c) => {
            if let (ast::Expr::Attribute(a), true) = (&*c.func, muts) {
                if MUTATING_METHODS.contains(&a.attr.as_str()) {
                    if let ast::Expr::Name(n) = &*a.value {
                        out.push(n.id.to_string());
                    }
                }
            }
            if let (ast::Expr::Name(n), Some(ast::Expr::Name(o)), true) =
                (&*c.func, c.args.first(), muts)
            {
                if n.id.as_str() == "setattr" {
                    out.push(o.id.to_string());
                }
            }
            expr_bound_names(&c.func, out, d, muts);
            for a in &c.args {
                expr_bound_names(a, out, d, muts);
            }
            for k in &c.keywords {
                expr_bound_names(&k.value, out, d, muts);
            }
        }
        ast::Expr::Attribute(a) => expr_bound_names(&a.value, out, d, muts),
        ast::Expr::Subscript(s) => {
            expr_bound_names(&s.value, out, d, muts);
            expr_bound_names(&s.slice, out, d, muts);
        }
        ast::Expr::BinOp(b) => {
            expr_bound_names(&b.left, out, d, muts);
            expr_bound_names(&b.right, out, d, muts);
        }
        ast::Expr::BoolOp(b) => {
            for v in &b.values {
                expr_bound_names(v, out, d, muts);
            }
        }
        ast::Expr::IfExp(i) => {
            expr_bound_names(&i.test, out, d, muts);
            expr_bound_names(&i.body, out, d, muts);
            expr_bound_names(&i.orelse, out, d, muts);
        }
        ast::Expr::Compare(c) => {
            expr_bound_names(&c.left, out, d, muts);
            for x in &c.comparators {
                expr_bound_names(x, out, d, muts);
            }
        }
        ast::Expr::UnaryOp(u) => expr_bound_names(&u.operand, out, d, muts),
        ast::Expr::List(l) => {
            for x in &l.elts {
                expr_bound_names(x, out, d, muts);
            }
        }
        ast::Expr::Tuple(l) => {
            for x in &l.elts {
                expr_bound_names(x, out, d, muts);
            }
        }
        ast::Expr::Dict(dc) => {
            for v in &dc.values {
                expr_bound_names(v, out, d, muts);
            }
        }
        _ => {}
    }
}

/// The names bound by an assignment target; for `x.a = v` and `x[k] = v`, the root `x` (its
/// object changes).
fn target_names_of(t: &ast::Expr, out: &mut Vec<String>, muts: bool) {
    match t {
        ast::Expr::Name(n) => out.push(n.id.to_string()),
        ast::Expr::Tuple(tu) => {
            for e in &tu.elts {
                target_names_of(e, out, muts);
            }
        }
        ast::Expr::List(tu) => {
            for e in &tu.elts {
                target_names_of(e, out, muts);
            }
        }
        ast::Expr::Starred(s) => target_names_of(&s.value, out, muts),
        ast::Expr::Attribute(a) if muts => root_name(&a.value, out),
        ast::Expr::Subscript(s) if muts => root_name(&s.value, out),
        _ => {}
    }
}

/// `globals()` or `vars()` (the module's namespace itself).
fn is_globals_call(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Call(c) if c.args.is_empty()
        && matches!(&*c.func, ast::Expr::Name(n) if matches!(n.id.as_str(), "globals" | "vars")))
}

/// The name whose object holds the parts `e` reads (`CFG` in `CFG["a"]["b"]`, `CFG.values()`,
/// `enumerate(SPECS)`, `d.get("k")`), with the span of its use; `None` when `e` makes new objects
/// or reads through attributes.
fn container_root(e: &Expr) -> Option<(String, Span)> {
    let mut cur = e;
    for _ in 0..16 {
        match cur {
            Expr::Name { id, span } => return Some((id.to_string(), *span)),
            Expr::Subscript { value, .. } => cur = value,
            Expr::Call(c) => match &c.func {
                Expr::Attr { value, attr, .. }
                    if matches!(
                        attr.as_str(),
                        "values" | "items" | "get" | "setdefault" | "copy" | "pop"
                    ) =>
                {
                    cur = value
                }
                Expr::Name { id, .. }
                    if matches!(
                        id.as_str(),
                        "enumerate" | "reversed" | "list" | "tuple" | "sorted" | "iter" | "zip"
                    ) =>
                {
                    cur = c.args.first()?
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    None
}

fn root_name(e: &ast::Expr, out: &mut Vec<String>) {
    let mut cur = e;
    loop {
        match cur {
            ast::Expr::Name(n) => {
                out.push(n.id.to_string());
                return;
            }
            ast::Expr::Attribute(a) => cur = &a.value,
            ast::Expr::Subscript(s) => cur = &s.value,
            _ => return,
        }
    }
}

fn pattern_names(p: &ast::Pattern, out: &mut Vec<String>) {
    match p {
        ast::Pattern::MatchAs(a) => {
            if let Some(n) = &a.name {
                out.push(n.to_string());
            }
            if let Some(p) = &a.pattern {
                pattern_names(p, out);
            }
        }
        ast::Pattern::MatchStar(s) => {
            if let Some(n) = &s.name {
                out.push(n.to_string());
            }
        }
        ast::Pattern::MatchSequence(s) => {
            for p in &s.patterns {
                pattern_names(p, out);
            }
        }
        ast::Pattern::MatchMapping(m) => {
            for p in &m.patterns {
                pattern_names(p, out);
            }
            if let Some(n) = &m.rest {
                out.push(n.to_string());
            }
        }
        ast::Pattern::MatchClass(c) => {
            for p in c.patterns.iter().chain(c.kwd_patterns.iter()) {
                pattern_names(p, out);
            }
        }
        ast::Pattern::MatchOr(o) => {
            for p in &o.patterns {
                pattern_names(p, out);
            }
        }
        _ => {}
    }
}

/// Names declared `global` or `nonlocal` in a function body (not in nested scopes).
fn stmt_declared(s: &ast::Stmt, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_STMT_DEPTH {
        return;
    }
    let d = depth + 1;
    let block = |b: &[ast::Stmt], out: &mut Vec<String>| {
        for s in b {
            stmt_declared(s, out, d);
        }
    };
    match s {
        ast::Stmt::Global(g) => out.extend(g.names.iter().map(|n| n.to_string())),
        ast::Stmt::Nonlocal(g) => out.extend(g.names.iter().map(|n| n.to_string())),
        ast::Stmt::For(f) => {
            block(&f.body, out);
            block(&f.orelse, out);
        }
        ast::Stmt::AsyncFor(f) => {
            block(&f.body, out);
            block(&f.orelse, out);
        }
        ast::Stmt::While(w) => {
            block(&w.body, out);
            block(&w.orelse, out);
        }
        ast::Stmt::If(i) => {
            block(&i.body, out);
            block(&i.orelse, out);
        }
        ast::Stmt::With(w) => block(&w.body, out),
        ast::Stmt::AsyncWith(w) => block(&w.body, out),
        ast::Stmt::Try(t) => {
            block(&t.body, out);
            for h in &t.handlers {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                block(&h.body, out);
            }
            block(&t.orelse, out);
            block(&t.finalbody, out);
        }
        ast::Stmt::Match(m) => {
            for c in &m.cases {
                block(&c.body, out);
            }
        }
        _ => {}
    }
}

/// Whether `name` is declared `global` (not `nonlocal`) in the body.
fn body_declares_global(body: &[ast::Stmt], name: &str) -> bool {
    fn walk(s: &ast::Stmt, name: &str, depth: usize) -> bool {
        if depth > MAX_STMT_DEPTH {
            return false;
        }
        let b = |body: &[ast::Stmt]| body.iter().any(|s| walk(s, name, depth + 1));
        match s {
            ast::Stmt::Global(g) => g.names.iter().any(|n| n.as_str() == name),
            ast::Stmt::For(f) => b(&f.body) || b(&f.orelse),
            ast::Stmt::While(w) => b(&w.body) || b(&w.orelse),
            ast::Stmt::If(i) => b(&i.body) || b(&i.orelse),
            ast::Stmt::With(w) => b(&w.body),
            ast::Stmt::Try(t) => b(&t.body) || b(&t.orelse) || b(&t.finalbody),
            _ => false,
        }
    }
    body.iter().any(|s| walk(s, name, 0))
}

/// Whether a function body contains `yield` (not in nested scopes).
fn body_yields(body: &[ast::Stmt]) -> bool {
    fn e(x: &ast::Expr, depth: usize) -> bool {
        if depth > MAX_EXPR_DEPTH {
            return false;
        }
        let d = depth + 1;
        match x {
            ast::Expr::Yield(_) | ast::Expr::YieldFrom(_) => true,
            ast::Expr::Call(c) => {
                e(&c.func, d)
                    || c.args.iter().any(|a| e(a, d))
                    || c.keywords.iter().any(|k| e(&k.value, d))
            }
            ast::Expr::Await(a) => e(&a.value, d),
            ast::Expr::BinOp(b) => e(&b.left, d) || e(&b.right, d),
            ast::Expr::Tuple(t) => t.elts.iter().any(|a| e(a, d)),
            ast::Expr::NamedExpr(n) => e(&n.value, d),
            _ => false,
        }
    }
    fn s(x: &ast::Stmt, depth: usize) -> bool {
        if depth > MAX_STMT_DEPTH {
            return false;
        }
        let b = |body: &[ast::Stmt]| body.iter().any(|st| s(st, depth + 1));
        match x {
            ast::Stmt::Expr(x) => e(&x.value, 0),
            ast::Stmt::Assign(a) => e(&a.value, 0),
            ast::Stmt::AnnAssign(a) => a.value.as_ref().is_some_and(|v| e(v, 0)),
            ast::Stmt::AugAssign(a) => e(&a.value, 0),
            ast::Stmt::Return(r) => r.value.as_ref().is_some_and(|v| e(v, 0)),
            ast::Stmt::For(f) => b(&f.body) || b(&f.orelse),
            ast::Stmt::AsyncFor(f) => b(&f.body) || b(&f.orelse),
            ast::Stmt::While(w) => b(&w.body) || b(&w.orelse),
            ast::Stmt::If(i) => b(&i.body) || b(&i.orelse),
            ast::Stmt::With(w) => b(&w.body),
            ast::Stmt::AsyncWith(w) => b(&w.body),
            ast::Stmt::Try(t) => {
                b(&t.body)
                    || t.handlers.iter().any(|h| {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        b(&h.body)
                    })
                    || b(&t.orelse)
                    || b(&t.finalbody)
            }
            _ => false,
        }
    }
    body.iter().any(|st| s(st, 0))
}

/// Element `i` of `v`: the element itself for a literal tuple or list, else `v[i]`.
fn element(v: &Expr, i: usize) -> Expr {
    match v {
        Expr::Tuple { elts, .. } | Expr::List { elts, .. } if elts.len() > i => elts[i].clone(),
        other => {
            let sp = other.span();
            Expr::Subscript {
                value: Box::new(other.clone()),
                index: Box::new(Expr::Num {
                    value: Number::Int(i as i64),
                    span: sp,
                }),
                span: sp,
            }
        }
    }
}

/// Replaces the placeholder name spans of functions and classes with the exact span of the name.
pub fn fix_name_spans(m: &mut ModuleIr, text: &str) {
    let find = |sp: Span, kw: &str, name: &str| -> Span {
        let hay = &text[sp.start as usize..(sp.end as usize).min(text.len())];
        let mut from = 0;
        while let Some(i) = hay[from..].find(kw) {
            let at = from + i + kw.len();
            let rest = &hay[at..];
            let trimmed = rest.trim_start();
            if trimmed.starts_with(name) && rest.len() > trimmed.len() {
                let s = sp.start + (at + rest.len() - trimmed.len()) as u32;
                return Span::new(s, s + name.len() as u32);
            }
            from = at;
        }
        sp
    };
    for f in &mut m.functions {
        f.name_span = find(f.span, "def", &f.name);
    }
    for c in &mut m.classes {
        c.name_span = find(c.span, "class", &c.name);
    }
    // Definitions of defs and classes carry the name span too.
    let fspans: Vec<Span> = m.functions.iter().map(|f| f.name_span).collect();
    let cspans: Vec<Span> = m.classes.iter().map(|c| c.name_span).collect();
    for d in &mut m.defs {
        match d.kind {
            DefKind::Function(f) => d.span = fspans[f],
            DefKind::Class(c) => d.span = cspans[c],
            _ => {}
        }
    }
}

fn string_list(v: &Expr) -> Option<Vec<String>> {
    match v {
        Expr::List { elts, .. } | Expr::Tuple { elts, .. } => elts
            .iter()
            .map(|e| match e {
                Expr::Str { value, .. } => Some(value.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}
