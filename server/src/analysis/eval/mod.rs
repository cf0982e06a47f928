//! The value resolver: every value an expression may have at run time, each with where it came
//! from. It never runs user code, and it is sound by construction: where a path the resolver does
//! not model may change a value (an object reachable from code it cannot follow, a rebinding it
//! cannot place in time, a call it cannot see), the possibilities include an `Unknown` with the
//! reason, so a single answer is given only when every path gives it.
//!
//! [`Evaluator`] holds the state of one question (a budget of steps, memos, cycle guards). Its
//! methods are split by topic:
//! - this file: expressions (literals, containers, operators, conditions);
//! - [`names`]: names, through each scope's flow (which definitions reach a use, under which
//!   conditions, changed in place by which mutations, rebound in loops and by other scopes);
//! - [`objects`]: modules, classes, instances and their attributes (attribute stores, MRO);
//! - [`calls`]: calls, arguments (`*args`, `**kwargs`), frames, call sites and the contexts a
//!   function body is evaluated in (one per call site, up to a bounded chain);
//! - [`keras`]: Keras and TensorFlow namespaces, initializer classes and identifiers, custom
//!   initializers and registered names.
//!
//! Bounds: [`MAX_DEPTH`] nested evaluations, [`FUEL`] steps per question, [`MAX_CANDIDATES`]
//! possibilities per expression (beyond: an `Unknown` says the rest is not followed), a set of
//! definitions under evaluation (a cycle gives `Unknown`, or nothing more for a loop's phi).

mod builtins;
mod calls;
mod clone;
mod dynattr;
mod injected;
mod keras;
mod loops;
mod names;
mod narrow;
mod objects;
mod superinit;

pub use calls::{bind_values, enclosing_function, Context, Enclosing};
pub use keras::{ns_attr, tf_spelling};
pub(crate) use objects::{MroEntry, StoreTarget};

use super::values::*;
use super::{Step, Workspace};
use crate::knowledge::{self, KerasData};
use crate::syntax::ir::*;
use serde_json::Value;
use std::sync::Arc;

/// How deep evaluations may nest before we answer "unresolved: too deep".
pub const MAX_DEPTH: usize = 48;
/// How many evaluation steps one question (one layer call, one hover) may take before the rest is
/// answered "unresolved: too many steps". Values that flow through parameters fan out to every call
/// site, and through conditions to more values: without a budget, real code (TensorFlow's own
/// sources) takes minutes on one call. A typical layer call takes tens to a few hundred steps.
pub const FUEL: u32 = 20_000;
/// The budget for deciding whether a callee is a layer class (imports and aliases take tens of
/// steps; callees such as `self.helper.run` that fan out to every instantiation take many more).
pub const CALLEE_FUEL: u32 = 1_000;
/// How many possibilities one expression may have before the rest is answered "unresolved".
pub const MAX_CANDIDATES: usize = 16;

/// A key for a definition evaluated in a frame: (file, definition, frame) by address.
type DefKey = (usize, DefId, usize);
/// A memoized answer with the steps its computation took and the evaluation depth it was
/// computed at (charged again on a hit, see `BindingMemo`).
type Charged<T> = (T, u32, usize);
/// The frames a function runs in (see [`Evaluator::contexts_of`]).
type Contexts = Vec<Arc<Frame>>;

/// A binding's values, with what computing them cost, so that a memo hit spends the same budget
/// and answers do not depend on which question came first.
struct BindingMemo {
    values: Vec<Cand>,
    /// Evaluation steps the computation took (charged again on a hit; a hit with fewer steps left
    /// recomputes, and runs out the same way).
    steps: u32,
    /// The nesting depth it was computed at (a hit deeper than this recomputes).
    depth: usize,
}

pub struct Evaluator<'w> {
    pub ws: &'w Workspace,
    pub data: &'static KerasData,
    depth: usize,
    /// Definitions (file, definition, frame) being evaluated: a cycle guard.
    visiting: rustc_hash::FxHashSet<DefKey>,
    /// How many times a cycle guard, the depth limit or the budget cut evaluation short.
    cuts: usize,
    /// How many times a star import was reached again while its value was being evaluated (a
    /// cycle of star imports, see `eval_def`).
    star_cycles: usize,
    /// How many times such a cycle gave no value for the name (nothing binds it before the
    /// import): a module's attribute is then empty rather than "not found", the name may be
    /// bound elsewhere in the cycle.
    star_unbound: usize,
    /// The star imports such a cycle came back to, until their evaluation ends (where the
    /// cycle closes: a name bound nowhere in it is "not defined" there).
    star_roots: rustc_hash::FxHashSet<DefKey>,
    /// Evaluation steps left (see [`FUEL`]; [`Evaluator::refuel`] starts a new question).
    fuel: u32,
    /// The file the question is about (the layer call's, the hover's): locations in it read
    /// `line N`, locations elsewhere `file.py:N`.
    home: Option<Arc<std::path::Path>>,
    /// Values of definitions evaluated outside any frame (module constants, imports, class
    /// attributes), for this evaluator's lifetime (see [`BindingMemo`]).
    binding_memo: rustc_hash::FxHashMap<DefKey, BindingMemo>,
    /// Loop phis being evaluated, with the values assumed for them so far (a fixpoint).
    phi_assume: rustc_hash::FxHashMap<DefKey, Vec<Cand>>,
    /// Phis whose assumption was read (their loop carries values around).
    phi_read: rustc_hash::FxHashSet<DefKey>,
    /// Frames used in memo keys, kept alive so their addresses are not reused.
    frames_alive: rustc_hash::FxHashMap<usize, Arc<Frame>>,
    /// Call sites per function, with the steps and depth of their computation (see `BindingMemo`).
    sites_memo: rustc_hash::FxHashMap<(usize, FuncId), (Vec<calls::SiteRef>, u32, usize)>,
    /// Method resolution orders of workspace classes (see `objects::mro`).
    mro_memo: rustc_hash::FxHashMap<(usize, ClassId), Vec<MroEntry>>,
    /// Path conditions decided in a frame: (file, condition, frame) -> truth.
    pred_memo: rustc_hash::FxHashMap<(usize, PredId, usize), Option<bool>>,
    /// Contexts per (function, chain depth), likewise.
    contexts_memo: rustc_hash::FxHashMap<(usize, FuncId, u32), Charged<Contexts>>,
    /// Input and output sizes of layer constructions, for this evaluator's lifetime (see
    /// [`crate::analysis::shapes`]).
    pub(crate) shape_memo: rustc_hash::FxHashMap<
        crate::analysis::shapes::ShapeKey,
        crate::analysis::shapes::ShapeMemo,
    >,
    /// The deepest shape-chain step entered since the current shape question began.
    pub(crate) shape_reach: usize,
    /// Callee values of call sites evaluated outside any frame with the small budget of
    /// [`crate::analysis::sites`]: (file, scope, offset, expression start, end) -> values.
    pub(crate) callee_memo: rustc_hash::FxHashMap<(usize, u32, u32, u32, u32), Vec<Cand>>,
    /// Defaults of layer initializer parameters, per weight of the Keras data (its address) ->
    /// candidates (see `layers::parameter_default`).
    pub(crate) default_memo: rustc_hash::FxHashMap<usize, Vec<crate::analysis::answer::Candidate>>,
    /// Conditions of the probed variants of weights of the Keras data, parsed (the address of a
    /// variant -> its `when`, see `layers::with_variants`).
    pub(crate) variant_memo: rustc_hash::FxHashMap<usize, Option<crate::knowledge::Requirement>>,
    /// [`Evaluator::identifier`] answers.
    identifier_memo: rustc_hash::FxHashMap<String, Result<super::InitVal, String>>,
    /// How many `custom_weights` are in progress (sub-layers of sub-layers), bounded by
    /// [`crate::analysis::custom::MAX_NESTING`].
    pub(crate) layer_nesting: usize,
    /// Whether a definition's object may be changed by code that is not followed (memo).
    shared_memo: rustc_hash::FxHashMap<(usize, DefId), Option<String>>,
    /// Modules each module imports at its top level, transitively (memo, see `keras::imported`).
    imports_memo: rustc_hash::FxHashMap<usize, Arc<rustc_hash::FxHashSet<usize>>>,
    /// Set while evaluating the base of an attribute store: attribute reads that other stores
    /// may change give an unknown instead of following those stores (no recursion through
    /// stores, and sound).
    pub(crate) no_stores: bool,
    /// Reading a module's name for `from m import name`: the name is copied when the import
    /// runs, which may be before a store that has run by the time of the read, so a store
    /// adds its value rather than replacing (see `with_stores`).
    pub(crate) stores_maybe_only: bool,
    /// The constructor parameters of every initializer class of the Keras data, sorted, with
    /// `*` and `__dict__`: the attributes a store may change on an initializer object (computed
    /// once per evaluator, see `init_set_elsewhere`).
    pub(crate) init_attr_names: Option<Arc<[&'static str]>>,
}

impl<'w> Evaluator<'w> {
    pub fn new(ws: &'w Workspace) -> Self {
        Evaluator {
            ws,
            data: knowledge::data(ws.settings.keras),
            depth: 0,
            visiting: Default::default(),
            cuts: 0,
            star_cycles: 0,
            star_unbound: 0,
            star_roots: Default::default(),
            fuel: FUEL,
            home: None,
            binding_memo: Default::default(),
            phi_assume: Default::default(),
            phi_read: Default::default(),
            frames_alive: Default::default(),
            sites_memo: Default::default(),
            contexts_memo: Default::default(),
            mro_memo: Default::default(),
            pred_memo: Default::default(),
            shape_memo: Default::default(),
            shape_reach: 0,
            callee_memo: Default::default(),
            default_memo: Default::default(),
            identifier_memo: Default::default(),
            variant_memo: Default::default(),
            layer_nesting: 0,
            shared_memo: Default::default(),
            imports_memo: Default::default(),
            no_stores: false,
            stores_maybe_only: false,
            init_attr_names: None,
        }
    }

    /// An evaluator for questions about `home` (see [`Evaluator::place`]).
    pub fn for_file(ws: &'w Workspace, home: &super::FileAnalysis) -> Self {
        Evaluator {
            home: Some(home.path.clone()),
            ..Evaluator::new(ws)
        }
    }

    /// Short location of `span` in `file`: "line N" in the file the question is about (or in
    /// any file when there is none), "file.py:N" in another file.
    pub fn place(&self, file: &super::FileAnalysis, span: Span) -> String {
        let line = file.line1(span.start);
        match &self.home {
            Some(h) if h.as_os_str() != file.path.as_os_str() => {
                // The file name: the bytes after the last separator (cheaper than `file_name`).
                let b = file.path.as_os_str().as_encoded_bytes();
                let from = b
                    .iter()
                    .rposition(|c| std::path::is_separator(char::from(*c)))
                    .map_or(0, |i| i + 1);
                format!("{}:{line}", String::from_utf8_lossy(&b[from..]))
            }
            _ => format!("line {line}"),
        }
    }

    /// Gives the evaluator a fresh step budget for the next question (the next layer call).
    pub fn refuel(&mut self) {
        self.fuel = FUEL;
    }

    /// Evaluation steps left, and how many times evaluation was cut short so far: a memo entry
    /// records the steps its computation took, and is kept only when nothing was cut.
    pub(crate) fn budget(&self) -> (u32, usize) {
        (self.fuel, self.cuts)
    }

    /// Charges `steps` (a memo hit costs what its computation cost).
    pub(crate) fn spend(&mut self, steps: u32) {
        self.fuel = self.fuel.saturating_sub(steps);
    }

    /// Sets the step budget to `steps` (a smaller one for a quick question, e.g. "is this callee a
    /// layer class?").
    pub fn set_fuel(&mut self, steps: u32) {
        self.fuel = steps;
    }

    /// Whether memos may be written now: nothing was cut short and no loop phi is assumed.
    fn memo_ok(&self, cuts_before: usize) -> bool {
        self.cuts == cuts_before && self.phi_assume.is_empty()
    }

    /// The address of a frame, for memo keys (the frame is kept alive for the evaluator's life).
    fn frame_key(&mut self, frame: &Option<Arc<Frame>>) -> usize {
        match frame {
            None => 0,
            Some(f) => {
                let k = Arc::as_ptr(f) as usize;
                self.frames_alive.entry(k).or_insert_with(|| f.clone());
                k
            }
        }
    }

    /// Every value `e` may have.
    pub fn eval(&mut self, e: &Expr, cx: &Cx) -> Vec<Cand> {
        if self.depth >= MAX_DEPTH {
            self.cuts += 1;
            return vec![Cand::unknown("the value is nested too deeply to follow")];
        }
        if self.fuel == 0 {
            self.cuts += 1;
            return vec![Cand::unknown(format!(
                "following the value took more than {FUEL} steps (too many call sites and conditions)"
            ))];
        }
        self.fuel -= 1;
        self.depth += 1;
        let out = self.eval_inner(e, cx);
        self.depth -= 1;
        cap(out)
    }

    fn eval_inner(&mut self, e: &Expr, cx: &Cx) -> Vec<Cand> {
        match e {
            Expr::Str { value, .. } => vec![Cand::new(Val::Str(value.to_string()))],
            Expr::Num { value, .. } => vec![Cand::new(Val::Num(*value))],
            Expr::Bool { value, .. } => vec![Cand::new(Val::Bool(*value))],
            Expr::NoneLit { .. } => vec![Cand::new(Val::NoneV)],
            Expr::Name { id, span } => self.lookup(id, *span, cx),
            Expr::Attr { value, attr, .. } => {
                let base = self.eval(value, cx);
                let mut out = Vec::new();
                for b in base {
                    let got = self.attr(&b.val, attr, cx);
                    // The base's origin is moved into the last value (cloned for the others).
                    let last = got.len().saturating_sub(1);
                    let mut base_origin = b.origin;
                    for (k, mut c) in got.into_iter().enumerate() {
                        let mut o = if k == last {
                            std::mem::take(&mut base_origin)
                        } else {
                            base_origin.clone()
                        };
                        o.append(&mut c.origin);
                        c.origin = o;
                        out.push(c);
                    }
                }
                out
            }
            Expr::Call(call) => self.call(call, cx),
            Expr::Dict { items, .. } => self.dict_literal(items, cx),
            Expr::List { elts, .. } | Expr::Tuple { elts, .. } => self.list_literal(elts, cx),
            Expr::IfExp(x) => match self.truth(&x.test, cx) {
                Some(true) => self.eval(&x.body, cx),
                Some(false) => self.eval(&x.orelse, cx),
                None => {
                    let mut v = self.eval(&x.body, cx);
                    v.extend(self.eval(&x.orelse, cx));
                    v
                }
            },
            Expr::BinOp {
                left, op, right, ..
            } => self.binop(left, *op, right, cx),
            Expr::Compare { .. } | Expr::Not { .. } => match self.truth(e, cx) {
                Some(b) => vec![Cand::new(Val::Bool(b))],
                None => vec![Cand::unknown(
                    "a condition whose operands are not known statically",
                )],
            },
            Expr::Lambda(l) => vec![Cand::new(Val::Lambda {
                file: cx.file.clone(),
                span: l.span,
            })],
            Expr::Subscript { value, index, .. } => {
                let base = self.eval(value, cx);
                let idx = self.eval(index, cx);
                let mut out = Vec::new();
                for b in &base {
                    for i in &idx {
                        out.extend(self.subscript(&b.val, &i.val));
                    }
                }
                if out.is_empty() {
                    out.push(Cand::unknown(
                        "the subscript raises at run time (no such key)",
                    ));
                }
                out
            }
            Expr::Starred { .. } => vec![Cand::unknown("a starred expression")],
            Expr::Other { what, .. } => {
                vec![Cand::unknown(format!("{what} is not followed"))]
            }
        }
    }

    /// `base[index]` for one base and one index value; nothing when Python raises.
    fn subscript(&mut self, base: &Val, index: &Val) -> Vec<Cand> {
        match (base, index) {
            (Val::Dict(d), Val::Str(k)) => {
                let mut out = Vec::new();
                match d.entries.iter().rev().find(|(n, _, _)| n == k) {
                    Some((_, ex, ecx)) => out.extend(self.eval(ex, ecx)),
                    None => {
                        if let (Some(r), false) = (&d.open, d.removed.contains(k)) {
                            out.push(Cand::unknown(r.clone()));
                        }
                    }
                }
                if let Some(r) = &d.shared {
                    out.push(Cand::unknown(r.clone()));
                }
                out
            }
            (Val::List { items, open }, Val::Num(Number::Int(n))) => {
                let len = items.len() as i64;
                let i = if *n < 0 { len + n } else { *n };
                if open.is_some() {
                    // More elements may follow: only a non-negative index is known.
                    return match (n >= &0, items.get(i.max(0) as usize)) {
                        (true, Some((ex, ecx))) => self.eval(ex, ecx),
                        _ => vec![Cand::unknown(open.clone().unwrap_or_default())],
                    };
                }
                match (i >= 0).then(|| items.get(i as usize)).flatten() {
                    Some((ex, ecx)) => self.eval(ex, ecx),
                    None => Vec::new(),
                }
            }
            (Val::Unknown(r), _) | (_, Val::Unknown(r)) => vec![Cand::unknown(r.clone())],
            _ => vec![Cand::unknown("a subscript that is not followed")],
        }
    }

    fn binop(&mut self, left: &Expr, op: char, right: &Expr, cx: &Cx) -> Vec<Cand> {
        let (l, r) = (self.eval(left, cx), self.eval(right, cx));
        let mut out = Vec::new();
        if l.len() * r.len() > MAX_CANDIDATES {
            return vec![Cand::unknown(
                "an arithmetic expression whose operands have too many possible values",
            )];
        }
        for a in &l {
            for b in &r {
                let v = match (&a.val, &b.val) {
                    (Val::Num(x), Val::Num(y)) => match arith(*x, op, *y) {
                        Some(n) => Val::Num(n),
                        None => continue, // Python raises (division by zero): no value
                    },
                    (Val::Bool(x), Val::Num(y)) => match arith(Number::Int(*x as i64), op, *y) {
                        Some(n) => Val::Num(n),
                        None => continue,
                    },
                    (Val::Num(x), Val::Bool(y)) => match arith(*x, op, Number::Int(*y as i64)) {
                        Some(n) => Val::Num(n),
                        None => continue,
                    },
                    (Val::Str(x), Val::Str(y)) if op == '+' => Val::Str(format!("{x}{y}")),
                    (Val::Unknown(r), _) | (_, Val::Unknown(r)) => Val::Unknown(r.clone()),
                    _ => Val::Unknown(
                        "an arithmetic expression on values that are not numbers".into(),
                    ),
                };
                out.push(Cand::new(v));
            }
        }
        if out.is_empty() {
            out.push(Cand::unknown(
                "arithmetic that Python would reject (division by zero?)",
            ));
        }
        out
    }

    /// The dicts a dict literal may build: one per combination of the possibilities of its `**`
    /// parts.
    fn dict_literal(&mut self, items: &[(Option<Expr>, Expr)], cx: &Cx) -> Vec<Cand> {
        let mut acc: Vec<DictVal> = vec![DictVal::new(Vec::new())];
        for (k, v) in items {
            match k {
                Some(k) => {
                    let keys = self.eval(k, cx);
                    let key = match keys.as_slice() {
                        [c] => match &c.val {
                            Val::Str(s) => Some(s.clone()),
                            _ => None,
                        },
                        _ => None,
                    };
                    for d in &mut acc {
                        match &key {
                            Some(s) => {
                                d.removed.retain(|r| r != s);
                                d.entries.push((s.clone(), v.clone(), cx.clone()));
                            }
                            None => d.open = Some("a dict key that is not a literal string".into()),
                        }
                    }
                }
                None => {
                    let parts = self.eval(v, cx);
                    let mut next = Vec::new();
                    for d in &acc {
                        for p in &parts {
                            let mut d = d.clone();
                            spread_into(&mut d, &p.val);
                            next.push(d);
                        }
                    }
                    if next.len() > MAX_CANDIDATES {
                        let mut d = acc[0].clone();
                        d.open = Some("`**` parts with too many possible values".into());
                        next = vec![d];
                    }
                    acc = next;
                }
            }
        }
        acc.into_iter()
            .map(|d| Cand::new(Val::Dict(Box::new(d))))
            .collect()
    }

    /// The lists a list or tuple literal may build (one per combination of its `*` parts).
    fn list_literal(&mut self, elts: &[Expr], cx: &Cx) -> Vec<Cand> {
        // (items so far, why more may follow)
        type Partial = (Vec<(Expr, Cx)>, Option<String>);
        let mut acc: Vec<Partial> = vec![(Vec::new(), None)];
        for e in elts {
            match e {
                Expr::Starred { value, .. } => {
                    let parts = self.eval(value, cx);
                    let mut next = Vec::new();
                    for (items, open) in &acc {
                        for p in &parts {
                            let (mut items, mut open) = (items.clone(), open.clone());
                            match &p.val {
                                Val::List {
                                    items: more,
                                    open: o,
                                } => {
                                    if open.is_none() {
                                        items.extend(more.iter().cloned());
                                    }
                                    if o.is_some() {
                                        open = o.clone();
                                    }
                                }
                                Val::Unknown(r) => open = Some(r.clone()),
                                other => open = Some(format!("`*` of {}", describe(other))),
                            }
                            next.push((items, open));
                        }
                    }
                    next.truncate(MAX_CANDIDATES);
                    acc = next;
                }
                _ => {
                    for (items, open) in &mut acc {
                        if open.is_none() {
                            items.push((e.clone(), cx.clone()));
                        }
                    }
                }
            }
        }
        acc.into_iter()
            .map(|(items, open)| Cand::new(Val::List { items, open }))
            .collect()
    }

    /// The truthiness of `e`, when every value it may have has the same truthiness.
    pub fn truth(&mut self, e: &Expr, cx: &Cx) -> Option<bool> {
        match e {
            Expr::Not { value, .. } => self.truth(value, cx).map(|b| !b),
            Expr::Compare {
                left, op, right, ..
            } => {
                let ls = self.eval(left, cx);
                let rs = self.eval(right, cx);
                if ls.len() * rs.len() > MAX_CANDIDATES {
                    return None;
                }
                let mut out: Option<bool> = None;
                for l in &ls {
                    for r in &rs {
                        let t = self.compare(&l.val, *op, &r.val)?;
                        match out {
                            None => out = Some(t),
                            Some(o) if o != t => return None,
                            _ => {}
                        }
                    }
                }
                out
            }
            _ => {
                let vals = self.eval(e, cx);
                let mut out: Option<bool> = None;
                for v in &vals {
                    let t = truthiness(&v.val)?;
                    match out {
                        None => out = Some(t),
                        Some(o) if o != t => return None,
                        _ => {}
                    }
                }
                out
            }
        }
    }

    /// `l op r` on two values, when Python's answer is known from the values.
    fn compare(&mut self, l: &Val, op: CmpOp, r: &Val) -> Option<bool> {
        let num = |v: &Val| -> Option<f64> {
            match v {
                Val::Num(Number::Int(i)) => Some(*i as f64),
                Val::Num(Number::Float(f)) => Some(*f),
                Val::Bool(b) => Some(*b as i64 as f64),
                _ => None,
            }
        };
        let singleton = |v: &Val| matches!(v, Val::NoneV | Val::Bool(_));
        match op {
            CmpOp::Eq | CmpOp::NotEq => {
                let eq = self.equal(l, r)?;
                Some(eq == (op == CmpOp::Eq))
            }
            CmpOp::Is | CmpOp::IsNot => {
                // Identity is known for None, True and False; for other literals it depends on
                // the interpreter's caches.
                if !(singleton(l) || singleton(r)) {
                    return None;
                }
                let same = match (l, r) {
                    (Val::NoneV, Val::NoneV) => true,
                    (Val::Bool(a), Val::Bool(b)) => a == b,
                    (Val::Unknown(_), _) | (_, Val::Unknown(_)) => return None,
                    (Val::Instance(_), _) | (_, Val::Instance(_)) => return None,
                    _ => false,
                };
                Some(same == (op == CmpOp::Is))
            }
            CmpOp::In | CmpOp::NotIn => {
                let found = match r {
                    Val::List { items, open } => {
                        let mut any_unknown = open.is_some();
                        let mut found = false;
                        for (e, c) in items.clone() {
                            let vals = self.eval(&e, &c);
                            for v in &vals {
                                match self.equal(l, &v.val) {
                                    Some(true) if vals.len() == 1 => found = true,
                                    Some(false) => {}
                                    _ => any_unknown = true,
                                }
                            }
                        }
                        if found {
                            true
                        } else if any_unknown {
                            return None;
                        } else {
                            false
                        }
                    }
                    Val::Str(s) => match l {
                        Val::Str(x) => s.contains(x.as_str()),
                        _ => return None,
                    },
                    Val::Dict(d) => {
                        let Val::Str(k) = l else { return None };
                        if d.shared.is_some() {
                            return None;
                        }
                        if d.entries.iter().any(|(n, _, _)| n == k) {
                            true
                        } else if d.open.is_some() && !d.removed.contains(k) {
                            return None;
                        } else {
                            false
                        }
                    }
                    _ => return None,
                };
                Some(found == (op == CmpOp::In))
            }
            CmpOp::Lt | CmpOp::LtE | CmpOp::Gt | CmpOp::GtE => {
                let ord = match (num(l), num(r), l, r) {
                    (Some(a), Some(b), _, _) => a.partial_cmp(&b)?,
                    (_, _, Val::Str(a), Val::Str(b)) => a.cmp(b),
                    _ => return None,
                };
                use std::cmp::Ordering::*;
                Some(match op {
                    CmpOp::Lt => ord == Less,
                    CmpOp::LtE => ord != Greater,
                    CmpOp::Gt => ord == Greater,
                    _ => ord != Less,
                })
            }
        }
    }

    /// Python `==` on two values, when it is known.
    fn equal(&mut self, l: &Val, r: &Val) -> Option<bool> {
        let num = |v: &Val| -> Option<f64> {
            match v {
                Val::Num(Number::Int(i)) => Some(*i as f64),
                Val::Num(Number::Float(f)) => Some(*f),
                Val::Bool(b) => Some(*b as i64 as f64),
                _ => None,
            }
        };
        if let (Some(a), Some(b)) = (num(l), num(r)) {
            return Some(a == b);
        }
        match (l, r) {
            (Val::Str(a), Val::Str(b)) => Some(a == b),
            (Val::NoneV, Val::NoneV) => Some(true),
            (Val::Unknown(_), _) | (_, Val::Unknown(_)) => None,
            (Val::Instance(_), _) | (_, Val::Instance(_)) => None,
            (Val::List { .. }, _) | (_, Val::List { .. }) => None,
            (Val::Dict(_), _) | (_, Val::Dict(_)) => None,
            // Literals of different kinds are never equal.
            (
                Val::Str(_) | Val::NoneV | Val::Num(_) | Val::Bool(_),
                Val::Str(_) | Val::NoneV | Val::Num(_) | Val::Bool(_),
            ) => Some(false),
            _ => None,
        }
    }

    /// A single literal value of `e` as JSON (lists and tuples of literals included).
    pub fn literal(&mut self, e: &Expr, cx: &Cx) -> Option<Value> {
        let vals = self.eval(e, cx);
        if vals.len() != 1 {
            return None;
        }
        let v = vals[0].val.clone();
        self.literal_json_deep(&v)
    }

    /// A literal list or tuple of literals as a JSON array (needs the evaluator for its elements).
    pub fn literal_json_deep(&mut self, v: &Val) -> Option<Value> {
        match v {
            Val::List { items, open: None } => {
                let mut out = Vec::new();
                for (e, c) in items.clone() {
                    let vals = self.eval(&e, &c);
                    if vals.len() != 1 {
                        return None;
                    }
                    out.push(self.literal_json_deep(&vals[0].val)?);
                }
                Some(Value::Array(out))
            }
            other => literal_json(other),
        }
    }
}

/// Adds the entries of `part` (a `**part`) to `d`.
fn spread_into(d: &mut DictVal, part: &Val) {
    match part {
        Val::Dict(p) => {
            for (k, e, c) in &p.entries {
                d.removed.retain(|r| r != k);
                d.entries.push((k.clone(), e.clone(), c.clone()));
            }
            if p.open.is_some() {
                // Keys of `p` not listed may be there; those `p` is known to lack are not.
                d.open = p.open.clone();
            }
            if p.shared.is_some() {
                // The values copied may already have been changed elsewhere.
                d.shared = p.shared.clone();
            }
        }
        Val::Unknown(r) => d.open = Some(r.clone()),
        other => d.open = Some(format!("`**` of {}", describe(other))),
    }
}

/// At most [`MAX_CANDIDATES`] possibilities; when there are more, the rest is not followed and
/// an `Unknown` says so (never a silent cut: a dropped possibility could be the truth).
pub(crate) fn cap(mut out: Vec<Cand>) -> Vec<Cand> {
    if out.len() > MAX_CANDIDATES {
        let n = out.len();
        out.truncate(MAX_CANDIDATES - 1);
        out.push(Cand::unknown(format!(
            "{n} possible values; only the first {} are followed",
            MAX_CANDIDATES - 1
        )));
    }
    out
}

/// A step of an origin in a file.
pub(crate) fn at(text: String, file: &super::FileAnalysis, span: Span) -> Step {
    step(text, file, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_follows_python() {
        use Number::*;
        assert_eq!(arith(Int(1), '/', Int(3)), Some(Float(1.0 / 3.0)));
        assert_eq!(arith(Int(7), 'f', Int(-2)), Some(Int(-4)));
        assert_eq!(arith(Int(-7), '%', Int(3)), Some(Int(2)));
        assert_eq!(arith(Int(2), '^', Int(10)), Some(Int(1024)));
        assert_eq!(arith(Float(0.02), '*', Int(2)), Some(Float(0.04)));
        assert_eq!(arith(Int(1), '/', Int(0)), None);
    }

    /// The step budget cuts a long chain short and says why (`FUEL` bounds every question;
    /// here a budget of 5 steps against a chain of 10 aliases).
    #[test]
    fn the_step_budget_stops_evaluation_and_says_why() {
        use crate::analysis::{FileAnalysis, Settings};
        let mut text = String::from("a0 = 'he_normal'\n");
        for k in 1..=10 {
            text.push_str(&format!("a{k} = a{}\n", k - 1));
        }
        text.push_str("a10\n");
        let mut ws = Workspace::new(Settings::default());
        let file = Arc::new(FileAnalysis::new(
            Arc::from(std::path::Path::new("/ws/m.py")),
            Arc::from(text.as_str()),
            vec!["m".into()],
        ));
        ws.insert(file.clone());
        let at = (text.len() - 4) as u32;
        let cx = Cx {
            file,
            scope: 0,
            at,
            frame: None,
        };
        let e = Expr::Name {
            id: "a10".into(),
            span: Span::new(at, at + 3),
        };
        let mut ev = Evaluator::new(&ws);
        let full = ev.eval(&e, &cx);
        assert!(
            matches!(&full[..], [c] if matches!(&c.val, Val::Str(s) if s == "he_normal")),
            "{full:?}"
        );
        ev.set_fuel(5);
        let cut = ev.eval(&e, &cx);
        assert!(
            matches!(&cut[..], [c] if matches!(&c.val, Val::Unknown(r) if r.contains("steps"))),
            "{cut:?}"
        );
    }
}
