//! The value resolver: follows names, imports, calls, partials, dicts and attributes across the
//! workspace, and returns every value an expression may have, each with where it came from.
//!
//! It never runs user code. It is bounded: [`MAX_DEPTH`] nested evaluations, and a set of bindings
//! under evaluation that turns a cycle into "unresolved: cycle".

use super::{FileAnalysis, InitKind, InitVal, Step, Workspace};
use crate::knowledge::{self, KerasData};
use crate::syntax::ir::*;
use serde_json::{Map, Value};
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
/// How many possibilities one expression may have before we stop collecting.
pub const MAX_CANDIDATES: usize = 16;

/// Where an expression is evaluated: file, scope, offset of the use, and the arguments of the
/// function call being evaluated (if any).
#[derive(Clone, Debug)]
pub struct Cx {
    pub file: Arc<FileAnalysis>,
    pub scope: ScopeId,
    pub at: u32,
    pub frame: Option<Arc<Frame>>,
}

/// Calls of a function found in the workspace, each with the context of its call site.
type CallSites = Vec<(Arc<Call>, Cx)>;

impl Cx {
    /// The context of call site `site` of `file`: its scope, just before the call, outside any frame.
    pub fn at_call(file: &Arc<FileAnalysis>, site: &CallSite) -> Cx {
        Cx {
            file: file.clone(),
            scope: site.scope,
            at: site.call.span.start,
            frame: None,
        }
    }
}

/// Arguments bound to a function's parameters, for evaluating its body for one call.
#[derive(Debug)]
pub struct Frame {
    pub file: Arc<FileAnalysis>,
    pub func: FuncId,
    /// Parameter name -> the argument given at the call (a `**kwargs` parameter gets a dict).
    pub args: Vec<(String, BoundArg)>,
}

/// An argument expression with the context it is evaluated in.
#[derive(Clone, Debug)]
pub enum BoundArg {
    Expr(Expr, Cx),
    /// Keyword arguments collected into `**kwargs`.
    Kwargs(Vec<(String, Expr, Cx)>),
    /// A value already known (`self` bound to the instance being analysed).
    Val(Val),
}

/// A value the resolver understands.
#[derive(Clone, Debug)]
pub enum Val {
    /// A Keras or TensorFlow namespace (`keras`, `keras.layers`, `keras.initializers`, `tf`,
    /// `tf.compat.v1`, `functools`).
    Ns(String),
    /// A built-in Keras layer class (canonical class name).
    LayerClass(String),
    /// A Keras initializer class.
    InitClass(String),
    /// A TensorFlow-core initializer (key into the generated `tf_core` data).
    TfInit(String),
    /// `functools.partial`, `dict`, `initializers.get`, ...
    Builtin(&'static str),
    Init(InitVal),
    Str(String),
    Num(Number),
    Bool(bool),
    NoneV,
    Dict {
        entries: Vec<(String, Expr, Cx)>,
        open: Option<String>,
    },
    List(Vec<(Expr, Cx)>),
    Partial {
        func: Box<Val>,
        args: Vec<(Expr, Cx)>,
        keywords: Vec<(String, Expr, Cx)>,
    },
    Func(Arc<FileAnalysis>, FuncId),
    Lambda {
        file: Arc<FileAnalysis>,
        span: Span,
    },
    Class(Arc<FileAnalysis>, ClassId),
    Instance {
        file: Arc<FileAnalysis>,
        class: ClassId,
        call: Option<(Arc<Call>, Cx)>,
    },
    Module(Arc<FileAnalysis>),
    /// A layer object: a built-in layer class constructed with these arguments (merged with any
    /// partial's); `open` says why some keyword arguments are unknown (a `**` of a runtime value).
    Layer {
        class: String,
        args: Vec<(Expr, Cx)>,
        kws: Vec<(String, Expr, Cx)>,
        open: Option<String>,
    },
    Unknown(String),
}

/// A value with the steps that led to it.
#[derive(Clone, Debug)]
pub struct Cand {
    pub val: Val,
    pub origin: Vec<Step>,
}

impl Cand {
    fn new(val: Val) -> Self {
        Cand {
            val,
            origin: Vec::new(),
        }
    }
    fn unknown(reason: impl Into<String>) -> Self {
        Cand::new(Val::Unknown(reason.into()))
    }
    fn with_step(mut self, step: Step) -> Self {
        self.origin.insert(0, step);
        self
    }
}

pub struct Evaluator<'w> {
    pub ws: &'w Workspace,
    pub data: &'static KerasData,
    depth: usize,
    /// Bindings (file, offset, name, call frame) being evaluated: a frame's parameter evaluated
    /// again inside another call of the same function is not a cycle.
    visiting: rustc_hash::FxHashSet<(usize, u32, String, usize)>,
    /// How many times a cycle guard or the depth limit cut evaluation short.
    cuts: usize,
    /// Evaluation steps left (see [`FUEL`]; [`Evaluator::refuel`] starts a new question).
    fuel: u32,
    /// The file the question is about (the layer call's, the hover's): locations in it read
    /// `line N`, locations elsewhere `file.py:N`.
    home: Option<Arc<std::path::Path>>,
    /// Call sites per function (`call_sites_of`), for this evaluator's lifetime.
    /// With the steps and the depth of their computation, charged and checked on a hit as for
    /// `binding_memo`.
    sites_memo: rustc_hash::FxHashMap<(usize, FuncId), (CallSites, u32, usize)>,
    /// Values of bindings evaluated outside any call frame (module constants, imports, class
    /// attributes), keyed like `visiting`, for this evaluator's lifetime (see [`BindingMemo`]).
    binding_memo: rustc_hash::FxHashMap<(usize, u32, String, usize), BindingMemo>,
    /// Input and output sizes of layer constructions, for this evaluator's lifetime (see
    /// [`crate::analysis::shapes`]).
    pub(crate) shape_memo:
        rustc_hash::FxHashMap<(usize, u32, bool), crate::analysis::shapes::ShapeMemo>,
    /// The deepest shape-chain step entered since the current shape question began.
    pub(crate) shape_reach: usize,
    /// [`Evaluator::identifier`] answers.
    identifier_memo: rustc_hash::FxHashMap<String, Result<InitVal, String>>,
    /// How many `custom_weights` are in progress (sub-layers of sub-layers), bounded by
    /// [`crate::analysis::custom::MAX_NESTING`].
    pub(crate) layer_nesting: usize,
}

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

fn step(text: String, file: &Arc<FileAnalysis>, span: Span) -> Step {
    Step {
        text,
        file: Some(file.path.clone()),
        span: Some(span),
    }
}

impl<'w> Evaluator<'w> {
    pub fn new(ws: &'w Workspace) -> Self {
        Evaluator {
            ws,
            data: knowledge::data(ws.settings.keras),
            depth: 0,
            visiting: Default::default(),
            cuts: 0,
            fuel: FUEL,
            home: None,
            sites_memo: Default::default(),
            binding_memo: Default::default(),
            shape_memo: Default::default(),
            shape_reach: 0,
            identifier_memo: Default::default(),
            layer_nesting: 0,
        }
    }

    /// An evaluator for questions about `home` (see [`Evaluator::place`]).
    pub fn for_file(ws: &'w Workspace, home: &FileAnalysis) -> Self {
        Evaluator {
            home: Some(home.path.clone()),
            ..Evaluator::new(ws)
        }
    }

    /// Short location of `span` in `file`: "line N" in the file the question is about (or in
    /// any file when there is none), "file.py:N" in another file.
    pub fn place(&self, file: &FileAnalysis, span: Span) -> String {
        let line = file.line1(span.start);
        match &self.home {
            Some(h) if **h != *file.path => {
                let name = file
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("{name}:{line}")
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
        let mut out = self.eval_inner(e, cx);
        self.depth -= 1;
        out.truncate(MAX_CANDIDATES);
        out
    }

    fn eval_inner(&mut self, e: &Expr, cx: &Cx) -> Vec<Cand> {
        match e {
            Expr::Str { value, .. } => vec![Cand::new(Val::Str(value.clone()))],
            Expr::Num { value, .. } => vec![Cand::new(Val::Num(*value))],
            Expr::Bool { value, .. } => vec![Cand::new(Val::Bool(*value))],
            Expr::NoneLit { .. } => vec![Cand::new(Val::NoneV)],
            Expr::Name { id, span } => self.lookup(id, *span, cx),
            Expr::Attr { value, attr, .. } => {
                let base = self.eval(value, cx);
                let mut out = Vec::new();
                for b in base {
                    for mut c in self.attr(&b.val, attr, cx) {
                        let mut o = b.origin.clone();
                        o.append(&mut c.origin);
                        c.origin = o;
                        out.push(c);
                    }
                }
                out
            }
            Expr::Call(call) => self.call(call, cx),
            Expr::Dict { items, .. } => vec![Cand::new(self.dict_literal(items, cx))],
            Expr::List { elts, .. } | Expr::Tuple { elts, .. } => vec![Cand::new(Val::List(
                elts.iter().map(|x| (x.clone(), cx.clone())).collect(),
            ))],
            Expr::IfExp {
                test, body, orelse, ..
            } => match self.truth(test, cx) {
                Some(true) => self.eval(body, cx),
                Some(false) => self.eval(orelse, cx),
                None => {
                    let mut v = self.eval(body, cx);
                    v.extend(self.eval(orelse, cx));
                    v
                }
            },
            Expr::BinOp {
                left, op, right, ..
            } => {
                let (l, r) = (self.eval(left, cx), self.eval(right, cx));
                match (l.as_slice(), r.as_slice()) {
                    ([a], [b]) => match (&a.val, &b.val) {
                        (Val::Num(x), Val::Num(y)) => match arith(*x, *op, *y) {
                            Some(n) => vec![Cand::new(Val::Num(n))],
                            None => vec![Cand::unknown(
                                "arithmetic that Python would reject (division by zero?)",
                            )],
                        },
                        (Val::Unknown(r), _) | (_, Val::Unknown(r)) => {
                            vec![Cand::unknown(r.clone())]
                        }
                        _ => vec![Cand::unknown(
                            "an arithmetic expression on values that are not numbers",
                        )],
                    },
                    _ => vec![Cand::unknown(
                        "an arithmetic expression whose operands have several possible values",
                    )],
                }
            }
            Expr::Compare { .. } | Expr::Not { .. } => match self.truth(e, cx) {
                Some(b) => vec![Cand::new(Val::Bool(b))],
                None => vec![Cand::unknown("a condition that depends on a runtime value")],
            },
            Expr::Lambda { span, .. } => vec![Cand::new(Val::Lambda {
                file: cx.file.clone(),
                span: *span,
            })],
            Expr::Subscript { value, index, .. } => {
                let base = self.eval(value, cx);
                let idx = self.eval(index, cx);
                let mut out = Vec::new();
                for b in &base {
                    for i in &idx {
                        match (&b.val, &i.val) {
                            (Val::Dict { entries, open }, Val::Str(k)) => {
                                match entries.iter().rev().find(|(n, _, _)| n == k) {
                                    Some((_, ex, ecx)) => out.extend(self.eval(ex, ecx)),
                                    None => out.push(Cand::unknown(match open {
                                        Some(r) => r.clone(),
                                        None => format!("key '{k}' is not in the dict"),
                                    })),
                                }
                            }
                            (Val::List(items), Val::Num(Number::Int(n))) => {
                                let n = if *n < 0 { items.len() as i64 + n } else { *n };
                                match items.get(n as usize) {
                                    Some((ex, ecx)) => out.extend(self.eval(ex, ecx)),
                                    None => out.push(Cand::unknown("index out of range")),
                                }
                            }
                            _ => out
                                .push(Cand::unknown("a subscript that depends on a runtime value")),
                        }
                    }
                }
                out
            }
            Expr::Starred { .. } => vec![Cand::unknown("a starred expression")],
            Expr::Other { what, .. } => {
                vec![Cand::unknown(format!("{what} depends on a runtime value"))]
            }
        }
    }

    /// The truthiness of `e`, when every value it may have is a literal with the same truthiness.
    pub fn truth(&mut self, e: &Expr, cx: &Cx) -> Option<bool> {
        match e {
            Expr::Not { value, .. } => self.truth(value, cx).map(|b| !b),
            Expr::Compare {
                left, op, right, ..
            } => {
                let l = self.literal(left, cx)?;
                let r = self.literal(right, cx)?;
                let eq = |a: &Value, b: &Value| match (a, b) {
                    (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
                    _ => a == b,
                };
                Some(match op {
                    CmpOp::Eq | CmpOp::Is => eq(&l, &r),
                    CmpOp::NotEq | CmpOp::IsNot => !eq(&l, &r),
                    CmpOp::In | CmpOp::NotIn => {
                        let found = match &r {
                            Value::Array(a) => a.iter().any(|x| eq(x, &l)),
                            Value::String(s) => l.as_str().is_some_and(|x| s.contains(x)),
                            _ => return None,
                        };
                        found == (*op == CmpOp::In)
                    }
                })
            }
            _ => {
                let vals = self.eval(e, cx);
                let mut out: Option<bool> = None;
                for v in &vals {
                    let t = match &v.val {
                        Val::Bool(b) => *b,
                        Val::NoneV => false,
                        Val::Num(Number::Int(i)) => *i != 0,
                        Val::Num(Number::Float(f)) => *f != 0.0,
                        Val::Str(s) => !s.is_empty(),
                        Val::List(l) => !l.is_empty(),
                        Val::Init(_)
                        | Val::LayerClass(_)
                        | Val::InitClass(_)
                        | Val::Func(..)
                        | Val::Class(..)
                        | Val::Instance { .. }
                        | Val::Layer { .. } => true,
                        _ => return None,
                    };
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

    /// A single literal value of `e` as JSON.
    fn literal(&mut self, e: &Expr, cx: &Cx) -> Option<Value> {
        let vals = self.eval(e, cx);
        if vals.len() != 1 {
            return None;
        }
        let v = vals[0].val.clone();
        literal_json_deep(self, &v)
    }

    /// Whether condition `c` of `file` holds: `Some(false)` if any link is decided false.
    fn cond_holds(
        &mut self,
        file: &Arc<FileAnalysis>,
        c: usize,
        frame: Option<Arc<Frame>>,
    ) -> Option<bool> {
        let mut cur = Some(c);
        let mut all = Some(true);
        let mut steps = 0;
        while let Some(i) = cur {
            steps += 1;
            if steps > 64 {
                return None;
            }
            let cond = file.ir.conds[i].clone();
            let cx = Cx {
                file: file.clone(),
                scope: cond.scope,
                at: cond.test.span().start,
                frame: frame.clone(),
            };
            match self.truth(&cond.test, &cx) {
                Some(t) if t != cond.polarity => return Some(false),
                Some(_) => {}
                None => all = None,
            }
            cur = cond.parent;
        }
        all
    }

    /// The bindings of a name that may be its value at `at`, with decidable `if` conditions
    /// applied: the last one that surely ran, and every one after it that may have run.
    pub fn choose<'b>(
        &mut self,
        file: &Arc<FileAnalysis>,
        bs: &'b [Binding],
        at: u32,
        frame: Option<Arc<Frame>>,
    ) -> Vec<&'b Binding> {
        let pick = |ev: &mut Self, at: u32| -> Vec<&'b Binding> {
            let mut out = Vec::new();
            // A use inside the value being bound (`x = f(x)`) sees the previous binding.
            let inside_own_value = |b: &Binding| matches!(&b.kind, BindingKind::Value(e) if e.span().start <= at && at < e.span().end);
            for b in bs
                .iter()
                .filter(|b| b.span.start < at && !inside_own_value(b))
                .rev()
            {
                let holds = match b.cond {
                    Some(c) => ev.cond_holds(file, c, frame.clone()),
                    None => Some(true),
                };
                match holds {
                    Some(false) => continue,
                    Some(true) if !b.conditional || b.cond.is_some() && !in_loop(b) => {
                        out.push(b);
                        break;
                    }
                    _ => out.push(b),
                }
            }
            out.reverse();
            out
        };
        let out = pick(self, at);
        if out.is_empty() && at != u32::MAX {
            return pick(self, u32::MAX);
        }
        out
    }

    fn dict_literal(&mut self, items: &[(Option<Expr>, Expr)], cx: &Cx) -> Val {
        let mut entries = Vec::new();
        let mut open = None;
        for (k, v) in items {
            match k {
                Some(k) => match self.eval(k, cx).first().map(|c| c.val.clone()) {
                    Some(Val::Str(s)) => entries.push((s, v.clone(), cx.clone())),
                    _ => open = Some("a dict key depends on a runtime value".to_string()),
                },
                None => {
                    for c in self.eval(v, cx) {
                        match c.val {
                            Val::Dict {
                                entries: e2,
                                open: o2,
                            } => {
                                entries.extend(e2);
                                if o2.is_some() {
                                    open = o2;
                                }
                            }
                            Val::Unknown(r) => open = Some(r),
                            _ => open = Some("`**` of a value that is not a dict".into()),
                        }
                    }
                }
            }
        }
        Val::Dict { entries, open }
    }

    // ----- names -------------------------------------------------------------------------------

    /// Looks `name` up from `cx` (LEGB; class scopes are skipped from nested functions).
    pub fn lookup(&mut self, name: &str, use_span: Span, cx: &Cx) -> Vec<Cand> {
        let file = cx.file.clone();
        let mut scope = Some(cx.scope);
        let mut first = true;
        while let Some(s) = scope {
            let sc = &file.ir.scopes[s];
            let skip_class = !first && matches!(sc.kind, ScopeKind::Class(_));
            if !skip_class {
                if let Some(bs) = sc.bindings.get(name) {
                    let at = if first { cx.at } else { u32::MAX };
                    let fr = if first { cx.frame.clone() } else { None };
                    let chosen = self.choose(&file, bs, at, fr);
                    if !chosen.is_empty() {
                        let mut out = Vec::new();
                        for b in &chosen {
                            out.extend(self.binding(&file, s, name, b, cx));
                        }
                        return self.apply_mutations(&file, s, name, out, cx);
                    }
                }
            }
            first = false;
            scope = sc.parent;
        }
        // Star imports of the module.
        for (m, level) in file.ir.star_imports.clone() {
            let mv = self.import_module(&file, &m, level);
            let found = self.attr(&mv, name, cx);
            if found.iter().any(|c| !matches!(c.val, Val::Unknown(_))) {
                return found;
            }
        }
        match name {
            "dict" => vec![Cand::new(Val::Builtin("dict"))],
            "partial" => vec![Cand::new(Val::Unknown(
                "`partial` is not imported from functools".into(),
            ))],
            _ => {
                let _ = use_span;
                vec![Cand::unknown(format!("name `{name}` is not defined"))]
            }
        }
    }

    fn apply_mutations(
        &mut self,
        file: &Arc<FileAnalysis>,
        scope: ScopeId,
        name: &str,
        vals: Vec<Cand>,
        cx: &Cx,
    ) -> Vec<Cand> {
        let Some(muts) = file.ir.scopes[scope].mutations.get(name) else {
            return vals;
        };
        let muts = muts.clone();
        let mcx = Cx {
            file: file.clone(),
            scope,
            at: u32::MAX,
            frame: if scope == cx.scope {
                cx.frame.clone()
            } else {
                None
            },
        };
        vals.into_iter()
            .map(|mut c| {
                if let Val::Dict { entries, open } = &mut c.val {
                    for m in &muts {
                        match m {
                            Mutation::SetItem { key, value, span } => {
                                if span.start > cx.at && scope == cx.scope {
                                    continue;
                                }
                                if let Some(Val::Str(k)) =
                                    self.eval(key, &mcx).first().map(|c| c.val.clone())
                                {
                                    entries.push((k, value.clone(), mcx.clone()));
                                } else {
                                    *open = Some("a dict key set at runtime".into());
                                }
                            }
                            Mutation::Update(call) | Mutation::SetDefault(call) => {
                                if call.span.start > cx.at && scope == cx.scope {
                                    continue;
                                }
                                let set_default = matches!(m, Mutation::SetDefault(_));
                                let mut new: Vec<(String, Expr, Cx)> = Vec::new();
                                if set_default {
                                    if let (Some(k), v) = (call.args.first(), call.args.get(1)) {
                                        if let Some(Val::Str(k)) =
                                            self.eval(k, &mcx).first().map(|c| c.val.clone())
                                        {
                                            if let Some(v) = v {
                                                new.push((k, v.clone(), mcx.clone()));
                                            }
                                        }
                                    }
                                } else {
                                    for a in &call.args {
                                        for d in self.eval(a, &mcx) {
                                            if let Val::Dict { entries: e2, .. } = d.val {
                                                new.extend(e2);
                                            }
                                        }
                                    }
                                    for k in &call.keywords {
                                        if let Some(n) = &k.name {
                                            new.push((n.to_string(), k.value.clone(), mcx.clone()));
                                        }
                                    }
                                }
                                for (k, v, vcx) in new {
                                    if set_default && entries.iter().any(|(n, _, _)| *n == k) {
                                        continue;
                                    }
                                    entries.push((k, v, vcx));
                                }
                            }
                        }
                    }
                }
                c
            })
            .collect()
    }

    fn binding(
        &mut self,
        file: &Arc<FileAnalysis>,
        scope: ScopeId,
        name: &str,
        b: &Binding,
        cx: &Cx,
    ) -> Vec<Cand> {
        // The frame the binding is evaluated in (none outside a call of its function).
        let frame = match (&cx.frame, scope == cx.scope) {
            (Some(f), true) => Arc::as_ptr(f) as usize,
            _ => 0,
        };
        let key = (
            Arc::as_ptr(file) as *const u8 as usize,
            b.span.start,
            name.to_string(),
            frame,
        );
        // Outside a call frame a binding has one value however it is reached; parameters take
        // theirs from the use's frame.
        let memoizable = (scope != cx.scope || cx.frame.is_none())
            && !matches!(b.kind, BindingKind::Param { .. });
        if memoizable {
            if let Some(m) = self.binding_memo.get(&key) {
                if m.steps <= self.fuel && self.depth <= m.depth {
                    self.fuel -= m.steps;
                    return m.values.clone();
                }
            }
        }
        let (fuel_before, cuts_before) = (self.fuel, self.cuts);
        if !self.visiting.insert(key.clone()) {
            self.cuts += 1;
            return vec![Cand::unknown(format!(
                "`{name}` is defined in terms of itself (a cycle)"
            ))];
        }
        let bcx = Cx {
            file: file.clone(),
            scope,
            at: b.span.start,
            frame: if scope == cx.scope {
                cx.frame.clone()
            } else {
                None
            },
        };
        let here = self.place(file, b.span);
        let out = match &b.kind {
            BindingKind::Value(e) => self
                .eval(e, &bcx)
                .into_iter()
                .map(|c| {
                    c.with_step(step(
                        format!("variable `{name}` bound at {here}"),
                        file,
                        b.span,
                    ))
                })
                .collect(),
            BindingKind::Import { module } => vec![Cand::new(self.import_module(file, module, 0))],
            BindingKind::ImportFrom {
                module,
                level,
                name: imported,
            } => {
                let m = self.import_module(file, module, *level);
                let mut r = self.attr(&m, imported, &bcx);
                if r.iter().all(|c| matches!(c.val, Val::Unknown(_))) {
                    // `from pkg import submodule`
                    let full: Name = if module.is_empty() {
                        imported.clone()
                    } else {
                        format!("{module}.{imported}").into()
                    };
                    let sub = self.import_module(file, &full, *level);
                    if !matches!(sub, Val::Unknown(_)) {
                        r = vec![Cand::new(sub)];
                    }
                }
                r
            }
            BindingKind::Function(f) => vec![Cand::new(Val::Func(file.clone(), *f))],
            BindingKind::Class(c) => vec![Cand::new(Val::Class(file.clone(), *c))],
            BindingKind::Param { func, index } => self.param(file, *func, *index, cx),
            BindingKind::Element { of, index } => {
                let mut out = Vec::new();
                for c in self.eval(of, &bcx) {
                    match (c.val, index) {
                        (Val::List(items), None) => {
                            for (ex, ecx) in items {
                                out.extend(self.eval(&ex, &ecx));
                            }
                        }
                        (Val::List(items), Some(i)) => match items.get(*i as usize) {
                            Some((ex, ecx)) => out.extend(self.eval(ex, ecx)),
                            None => out.push(Cand::unknown("unpacking does not match")),
                        },
                        (Val::Dict { entries, .. }, None) => {
                            for (k, _, _) in entries {
                                out.push(Cand::new(Val::Str(k)));
                            }
                        }
                        (Val::Unknown(r), _) => out.push(Cand::unknown(r)),
                        _ => out.push(Cand::unknown(format!(
                            "`{name}` is taken from a value that is not followed"
                        ))),
                    }
                }
                out.into_iter()
                    .map(|c| {
                        c.with_step(step(
                            format!("loop or unpacking variable `{name}` at {here}"),
                            file,
                            b.span,
                        ))
                    })
                    .collect()
            }
            BindingKind::Unknown(r) => vec![Cand::unknown(format!("`{name}` is {r} at {here}"))],
        };
        self.visiting.remove(&key);
        // Values computed while a cycle guard, the depth limit or the budget cut evaluation
        // short may be partial: keep them out of the memo.
        if memoizable && self.cuts == cuts_before {
            let memo = BindingMemo {
                values: out.clone(),
                steps: fuel_before.saturating_sub(self.fuel),
                depth: self.depth,
            };
            self.binding_memo.insert(key, memo);
        }
        out
    }

    /// Values of parameter `index` of `func`: from the frame if we are evaluating a call of it,
    /// else its default plus the argument at every call site in the workspace.
    fn param(
        &mut self,
        file: &Arc<FileAnalysis>,
        func: FuncId,
        index: usize,
        cx: &Cx,
    ) -> Vec<Cand> {
        let f = &file.ir.functions[func];
        let p = &f.params[index];
        if let Some(fr) = &cx.frame {
            if fr.func == func && Arc::ptr_eq(&fr.file, file) {
                if let Some((_, arg)) = fr.args.iter().find(|(n, _)| *n == p.name) {
                    return match arg {
                        BoundArg::Expr(e, ecx) => self.eval(e, ecx),
                        BoundArg::Kwargs(kw) => vec![Cand::new(Val::Dict {
                            entries: kw.clone(),
                            open: None,
                        })],
                        BoundArg::Val(v) => vec![Cand::new(v.clone())],
                    };
                }
                if p.kind == ParamKind::VarKeywords {
                    return vec![Cand::new(Val::Dict {
                        entries: vec![],
                        open: None,
                    })];
                }
                return self.param_default(file, func, index);
            }
        }
        if let (Some(c), 0) = (f.class, index) {
            // `self` outside a known instantiation: every instantiation of the class in the
            // workspace (or its defaults when none is found).
            return self
                .instances_of(file, c)
                .into_iter()
                .map(Cand::new)
                .collect();
        }
        if p.kind == ParamKind::VarKeywords {
            let sites = self.call_sites_of(file, func);
            if sites.is_empty() {
                return vec![Cand::new(Val::Dict {
                    entries: vec![],
                    open: Some(format!(
                        "`**{}` depends on the callers, and no call was found",
                        p.name
                    )),
                })];
            }
            let mut out = Vec::new();
            for (call, ccx) in sites {
                let bound = bind_user_args(
                    &file.ir.functions[func],
                    &call,
                    &ccx,
                    self,
                    f.class.is_some(),
                );
                if let Some((_, BoundArg::Kwargs(kw))) = bound.iter().find(|(n, _)| *n == p.name) {
                    out.push(Cand::new(Val::Dict {
                        entries: kw.clone(),
                        open: None,
                    }));
                }
            }
            return out;
        }
        let mut out = self.param_default(file, func, index);
        // Every call of this function in the workspace.
        let sites = self.call_sites_of(file, func);
        for (call, ccx) in sites {
            let site = self.place(&ccx.file, call.span);
            let bound = bind_user_args(
                &file.ir.functions[func],
                &call,
                &ccx,
                self,
                f.class.is_some(),
            );
            if let Some((_, arg)) = bound.iter().find(|(n, _)| *n == p.name) {
                let vals = match arg {
                    BoundArg::Expr(e, ecx) => self.eval(e, ecx),
                    BoundArg::Kwargs(kw) => vec![Cand::new(Val::Dict {
                        entries: kw.clone(),
                        open: None,
                    })],
                    BoundArg::Val(v) => vec![Cand::new(v.clone())],
                };
                out.extend(vals.into_iter().map(|c| {
                    c.with_step(step(
                        format!("argument `{}` of `{}` at {site}", p.name, f.name),
                        &ccx.file,
                        call.span,
                    ))
                }));
            }
            if out.len() >= MAX_CANDIDATES {
                break;
            }
        }
        if out.is_empty() {
            out.push(Cand::unknown(format!(
                "parameter `{}` of `{}` has no default and no call site passes it",
                p.name, f.name
            )));
        }
        out
    }

    fn param_default(&mut self, file: &Arc<FileAnalysis>, func: FuncId, index: usize) -> Vec<Cand> {
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
                self.eval(d, &dcx)
                    .into_iter()
                    .map(|c| {
                        c.with_step(step(
                            format!("default of parameter `{}` of `{}` ({here})", p.name, f.name),
                            file,
                            p.span,
                        ))
                    })
                    .collect()
            }
            None => Vec::new(),
        }
    }

    /// Instances of a workspace class: one per instantiation found in the workspace (also of its
    /// workspace subclasses), or one with no call (defaults) when none is found.
    pub fn instances_of(&mut self, file: &Arc<FileAnalysis>, class: ClassId) -> Vec<Val> {
        let key = (
            Arc::as_ptr(file) as *const u8 as usize,
            u32::MAX - class as u32,
            "<instances>".to_string(),
            0,
        );
        if !self.visiting.insert(key.clone()) {
            self.cuts += 1;
            return vec![Val::Instance {
                file: file.clone(),
                class,
                call: None,
            }];
        }
        let name = file.ir.classes[class].name.clone();
        let mut out = Vec::new();
        for (f, i) in self.ws.call_sites_named(&name) {
            let site = &f.ir.calls[i];
            let ccx = Cx::at_call(&f, site);
            let callee = self.eval(&site.call.func, &ccx);
            if callee.iter().any(
                |c| matches!(&c.val, Val::Class(ff, id) if Arc::ptr_eq(ff, file) && *id == class),
            ) {
                out.push(Val::Instance {
                    file: file.clone(),
                    class,
                    call: Some((site.call.clone(), ccx)),
                });
            }
            if out.len() >= MAX_CANDIDATES {
                break;
            }
        }
        self.visiting.remove(&key);
        if out.is_empty() {
            out.push(Val::Instance {
                file: file.clone(),
                class,
                call: None,
            });
        }
        out
    }

    /// Calls in the workspace whose callee resolves to `func` of `file`.
    fn call_sites_of(&mut self, file: &Arc<FileAnalysis>, func: FuncId) -> Vec<(Arc<Call>, Cx)> {
        let name = file.ir.functions[func].name.clone();
        let is_init = name == "__init__";
        let class_name = file.ir.functions[func]
            .class
            .map(|c| file.ir.classes[c].name.clone());
        let memo_key = (Arc::as_ptr(file) as *const u8 as usize, func);
        if let Some((hit, steps, depth)) = self.sites_memo.get(&memo_key) {
            // Charged like a computation (see `BindingMemo`).
            if *steps <= self.fuel && self.depth <= *depth {
                self.fuel -= *steps;
                return hit.clone();
            }
        }
        let (fuel_before, cuts_before) = (self.fuel, self.cuts);
        let mut out = Vec::new();
        let wanted = if is_init { class_name } else { Some(name) };
        let sites = match &wanted {
            Some(w) => self.ws.call_sites_named(w),
            None => Vec::new(),
        };
        for (f, i) in sites {
            let site = &f.ir.calls[i];
            let ccx = Cx::at_call(&f, site);
            let callee = self.eval(&site.call.func, &ccx);
            let hit = callee.iter().any(|c| match &c.val {
                Val::Func(ff, id) => Arc::ptr_eq(ff, file) && *id == func,
                Val::Class(ff, cid) => {
                    is_init
                        && Arc::ptr_eq(ff, file)
                        && file.ir.classes[*cid].methods.get("__init__") == Some(&func)
                }
                _ => false,
            });
            if hit {
                out.push((site.call.clone(), ccx));
            }
        }
        // Answers computed while a cycle or the depth limit cut evaluation short may be partial:
        // keep them out of the memo.
        if self.cuts == cuts_before {
            let steps = fuel_before.saturating_sub(self.fuel);
            self.sites_memo
                .insert(memo_key, (out.clone(), steps, self.depth));
        }
        out
    }

    // ----- modules and attributes --------------------------------------------------------------

    /// The value of importing dotted `module` (with `level` leading dots) from `from`.
    pub fn import_module(&mut self, from: &Arc<FileAnalysis>, module: &str, level: u32) -> Val {
        if level == 0 {
            let mut parts = module.split('.');
            let first = parts.next().unwrap_or("");
            let root = match first {
                "keras" | "tf_keras" => Some(Val::Ns("keras".into())),
                "tensorflow" => Some(Val::Ns("tf".into())),
                "functools" => Some(Val::Ns("functools".into())),
                _ => None,
            };
            if let Some(mut v) = root {
                for p in parts {
                    v = ns_attr(self.data, &v, p);
                }
                return v;
            }
            if let Some(f) = self.ws.modules.get(module) {
                return Val::Module(f.clone());
            }
            // A script's own folder is on sys.path: `import config` next to it.
            if let Some(base) = from.module_names.first() {
                let mut parts: Vec<&str> = base.split('.').collect();
                if !from.is_package {
                    parts.pop();
                }
                if !parts.is_empty() {
                    let full = format!("{}.{module}", parts.join("."));
                    if let Some(f) = self.ws.modules.get(&full) {
                        return Val::Module(f.clone());
                    }
                }
            }
            return Val::Unknown(format!("module '{module}' not found in the workspace"));
        }
        // Relative import: strip `level` components from the importing module's package.
        let Some(base) = from.module_names.first() else {
            return Val::Unknown(format!(
                "relative import of '{module}' from a file outside any root"
            ));
        };
        let mut parts: Vec<&str> = base.split('.').collect();
        let up = if from.is_package { level - 1 } else { level };
        for _ in 0..up {
            if parts.pop().is_none() {
                return Val::Unknown("relative import beyond the top-level package".into());
            }
        }
        if !module.is_empty() {
            parts.push(module);
        }
        let full = parts.join(".");
        match self.ws.modules.get(&full) {
            Some(f) => Val::Module(f.clone()),
            None => Val::Unknown(format!("module '{full}' not found in the workspace")),
        }
    }

    /// `base.attr`.
    pub fn attr(&mut self, base: &Val, attr: &str, cx: &Cx) -> Vec<Cand> {
        match base {
            Val::Ns(_) => vec![Cand::new(ns_attr(self.data, base, attr))],
            Val::Module(f) => {
                let f = f.clone();
                if let Some(bs) = f.ir.scopes[0].bindings.get(attr) {
                    let chosen: Vec<Binding> =
                        choose_bindings(bs, u32::MAX).into_iter().cloned().collect();
                    let mcx = Cx {
                        file: f.clone(),
                        scope: 0,
                        at: u32::MAX,
                        frame: None,
                    };
                    let mut out = Vec::new();
                    for b in &chosen {
                        out.extend(self.binding(&f, 0, attr, b, &mcx));
                    }
                    return self.apply_mutations(&f, 0, attr, out, &mcx);
                }
                if let Some(n) = f.module_names.first() {
                    if let Some(sub) = self.ws.modules.get(&format!("{n}.{attr}")) {
                        return vec![Cand::new(Val::Module(sub.clone()))];
                    }
                }
                for (m, level) in f.ir.star_imports.clone() {
                    let mv = self.import_module(&f, &m, level);
                    let found = self.attr(&mv, attr, cx);
                    if found.iter().any(|c| !matches!(c.val, Val::Unknown(_))) {
                        return found;
                    }
                }
                vec![Cand::unknown(format!(
                    "`{attr}` not found in module '{}'",
                    f.module_names.first().cloned().unwrap_or_default()
                ))]
            }
            Val::Class(f, c) => self.class_attr(f, *c, attr, None),
            Val::Instance { file, class, call } => {
                let (file, class, call) = (file.clone(), *class, call.clone());
                self.instance_attr(&file, class, call, attr)
            }
            Val::Unknown(r) => vec![Cand::unknown(r.clone())],
            _ => vec![Cand::unknown(format!(
                "attribute `{attr}` of a value that is not followed"
            ))],
        }
    }

    fn class_attr(
        &mut self,
        f: &Arc<FileAnalysis>,
        c: ClassId,
        attr: &str,
        _inst: Option<()>,
    ) -> Vec<Cand> {
        let cls = &f.ir.classes[c];
        if let Some(bs) = f.ir.scopes[cls.scope].bindings.get(attr) {
            let chosen: Vec<&Binding> = self.choose(f, bs, u32::MAX, None);
            let ccx = Cx {
                file: f.clone(),
                scope: cls.scope,
                at: u32::MAX,
                frame: None,
            };
            let mut out = Vec::new();
            for b in &chosen {
                out.extend(self.binding(f, cls.scope, attr, b, &ccx));
            }
            return out;
        }
        // Workspace base classes.
        let bases = cls.bases.clone();
        let bcx = Cx {
            file: f.clone(),
            scope: cls.parent_scope,
            at: cls.span.start,
            frame: None,
        };
        for b in &bases {
            for bc in self.eval(b, &bcx) {
                if let Val::Class(bf, bid) = &bc.val {
                    let r = self.class_attr(bf, *bid, attr, None);
                    if r.iter().any(|c| !matches!(c.val, Val::Unknown(_))) {
                        return r;
                    }
                }
            }
        }
        vec![Cand::unknown(format!(
            "`{attr}` not found on class `{}`",
            cls.name
        ))]
    }

    fn instance_attr(
        &mut self,
        f: &Arc<FileAnalysis>,
        c: ClassId,
        call: Option<(Arc<Call>, Cx)>,
        attr: &str,
    ) -> Vec<Cand> {
        let cls = &f.ir.classes[c];
        if let Some(vals) = cls.self_attrs.get(attr).cloned() {
            let mut out = Vec::new();
            for (e, scope) in vals {
                let func = match f.ir.scopes[scope].kind {
                    ScopeKind::Function(fid) => Some(fid),
                    _ => None,
                };
                let frame = match (&call, func) {
                    (Some((call, ccx)), Some(fid)) if f.ir.functions[fid].name == "__init__" => {
                        let args = bind_user_args(&f.ir.functions[fid], call, ccx, self, true);
                        Some(Arc::new(Frame {
                            file: f.clone(),
                            func: fid,
                            args,
                        }))
                    }
                    _ => None,
                };
                let ecx = Cx {
                    file: f.clone(),
                    scope,
                    at: u32::MAX,
                    frame,
                };
                out.extend(self.eval(&e, &ecx));
            }
            return out;
        }
        // `self.x` set in a workspace base class's methods.
        let bases = cls.bases.clone();
        let bcx = Cx {
            file: f.clone(),
            scope: cls.parent_scope,
            at: cls.span.start,
            frame: None,
        };
        for b in &bases {
            for bc in self.eval(b, &bcx) {
                if let Val::Class(bf, bid) = &bc.val {
                    if self.depth < MAX_DEPTH && bf.ir.classes[*bid].self_attrs.contains_key(attr) {
                        self.depth += 1;
                        let r = self.instance_attr(bf, *bid, call.clone(), attr);
                        self.depth -= 1;
                        return r;
                    }
                }
            }
        }
        // Dataclass-style: a class attribute overridden by a keyword of the constructor call.
        if let Some((call, ccx)) = &call {
            if !cls.methods.contains_key("__init__") {
                if let Some(k) = call.keyword(attr) {
                    return self.eval(&k.value.clone(), &ccx.clone());
                }
            }
        }
        self.class_attr(f, c, attr, None)
    }

    // ----- calls -------------------------------------------------------------------------------

    pub fn call(&mut self, call: &Arc<Call>, cx: &Cx) -> Vec<Cand> {
        let callee = self.eval(&call.func, cx);
        let mut out = Vec::new();
        for c in callee {
            let origin = c.origin.clone();
            let constructs = matches!(c.val, Val::InitClass(_) | Val::TfInit(_));
            for mut r in self.apply(&c.val, call, cx, Vec::new(), Vec::new()) {
                let mut o = origin.clone();
                o.append(&mut r.origin);
                r.origin = o;
                if let (true, Val::Init(i)) = (constructs, &mut r.val) {
                    i.instance.get_or_insert((cx.file.path.clone(), call.span));
                }
                out.push(r);
            }
        }
        out
    }

    /// The arguments of `call` (after `pre_args`/`pre_kw` from a partial), with `**` dicts
    /// expanded; `open` says why some keywords are unknown.
    pub fn call_args(
        &mut self,
        call: &Call,
        cx: &Cx,
        pre_args: Vec<(Expr, Cx)>,
        pre_kw: Vec<(String, Expr, Cx)>,
    ) -> (Vec<(Expr, Cx)>, Vec<(String, Expr, Cx)>, Option<String>) {
        let mut args: Vec<(Expr, Cx)> = pre_args;
        args.extend(call.args.iter().map(|a| (a.clone(), cx.clone())));
        let mut kws: Vec<(String, Expr, Cx)> = pre_kw;
        let mut open = None;
        for k in &call.keywords {
            match &k.name {
                Some(n) => {
                    kws.retain(|(m, _, _)| n != m);
                    kws.push((n.to_string(), k.value.clone(), cx.clone()));
                }
                None => {
                    for d in self.eval(&k.value, cx) {
                        match d.val {
                            Val::Dict { entries, open: o } => {
                                for (n, e, ecx) in entries {
                                    kws.retain(|(m, _, _)| *m != n);
                                    kws.push((n, e, ecx));
                                }
                                if o.is_some() {
                                    open = o;
                                }
                            }
                            Val::Unknown(r) => open = Some(r),
                            _ => open = Some("`**` of a value that is not a dict".into()),
                        }
                    }
                }
            }
        }
        (args, kws, open)
    }

    /// Calls `f` with `call`'s arguments, preceded by `pre_args` and `pre_kw` from a partial.
    fn apply(
        &mut self,
        f: &Val,
        call: &Arc<Call>,
        cx: &Cx,
        pre_args: Vec<(Expr, Cx)>,
        pre_kw: Vec<(String, Expr, Cx)>,
    ) -> Vec<Cand> {
        let (args, kws, open) = self.call_args(call, cx, pre_args, pre_kw);
        match f {
            Val::InitClass(cls) => vec![self.construct_init(cls, &args, &kws, open)],
            Val::TfInit(key) => vec![self.construct_tf(key, &args, &kws)],
            Val::Builtin("functools.partial") => {
                let Some((first, fcx)) = args.first().cloned() else {
                    return vec![Cand::unknown("functools.partial without a function")];
                };
                self.eval(&first, &fcx)
                    .into_iter()
                    .map(|c| Cand {
                        val: Val::Partial {
                            func: Box::new(c.val),
                            args: args[1..].to_vec(),
                            keywords: kws.clone(),
                        },
                        origin: c.origin,
                    })
                    .collect()
            }
            Val::Builtin("dict") => {
                let mut entries = Vec::new();
                for (a, acx) in &args {
                    for d in self.eval(a, acx) {
                        if let Val::Dict { entries: e2, .. } = d.val {
                            entries.extend(e2);
                        }
                    }
                }
                entries.extend(kws);
                vec![Cand::new(Val::Dict { entries, open })]
            }
            Val::Builtin("initializers.get") => match args.first() {
                Some((a, acx)) => {
                    let (a, acx) = (a.clone(), acx.clone());
                    self.eval(&a, &acx)
                }
                None => vec![Cand::unknown("initializers.get without an argument")],
            },
            Val::Partial {
                func,
                args: pa,
                keywords: pk,
            } => {
                let mut a2 = pa.clone();
                a2.extend(args);
                let mut k2 = pk.clone();
                for (n, e, c) in kws {
                    k2.retain(|(m, _, _)| *m != n);
                    k2.push((n, e, c));
                }
                let empty = Arc::new(Call {
                    func: call.func.clone(),
                    args: vec![],
                    keywords: vec![],
                    span: call.span,
                });
                self.apply(func, &empty, cx, a2, k2)
            }
            Val::Func(ff, fid) => {
                let (ff, fid) = (ff.clone(), *fid);
                let func = &ff.ir.functions[fid];
                let frame_args = bind_values(func, &args, &kws, false);
                let frame = Arc::new(Frame {
                    file: ff.clone(),
                    func: fid,
                    args: frame_args,
                });
                let rets = func.returns.clone();
                if rets.is_empty() {
                    return vec![Cand::unknown(format!(
                        "`{}` returns nothing we can follow",
                        func.name
                    ))];
                }
                let mut out = Vec::new();
                let name = func.name.clone();
                let scope = func.scope;
                for r in rets {
                    let rcx = Cx {
                        file: ff.clone(),
                        scope,
                        at: r.span().start,
                        frame: Some(frame.clone()),
                    };
                    let here = self.place(&ff, r.span());
                    out.extend(self.eval(&r, &rcx).into_iter().map(|c| {
                        c.with_step(step(
                            format!("returned by `{name}` at {here}"),
                            &ff,
                            r.span(),
                        ))
                    }));
                }
                out
            }
            Val::Lambda { file, span } => vec![Cand::new(Val::Unknown(format!(
                "the result of calling the lambda at {}",
                self.place(file, *span)
            )))],
            Val::Class(cf, cid) => {
                let _ = (&args, &kws);
                vec![Cand::new(Val::Instance {
                    file: cf.clone(),
                    class: *cid,
                    call: Some((Arc::new(rebuild_call(call, &args, &kws)), cx.clone())),
                })]
            }
            Val::LayerClass(l) => vec![Cand::new(Val::Layer {
                class: l.clone(),
                args,
                kws,
                open,
            })],
            Val::Layer { .. } => vec![Cand::unknown("the output of a layer")],
            Val::Unknown(r) => vec![Cand::unknown(r.clone())],
            other => vec![Cand::unknown(format!(
                "calling {} is not followed",
                describe(other)
            ))],
        }
    }

    /// Builds a Keras initializer instance from its class and arguments.
    pub fn construct_init(
        &mut self,
        cls: &str,
        args: &[(Expr, Cx)],
        kws: &[(String, Expr, Cx)],
        open: Option<String>,
    ) -> Cand {
        let Some(info) = self.data.initializers.classes.get(cls) else {
            return Cand::unknown(format!(
                "initializer class `{cls}` is not in the Keras data"
            ));
        };
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
        for (i, (e, c)) in args.iter().enumerate() {
            match positional.get(i) {
                Some(n) => given.push((n.to_string(), e.clone(), c.clone())),
                None => return Cand::unknown(format!("too many positional arguments for `{cls}`")),
            }
        }
        given.extend(kws.iter().cloned());
        for (n, e, c) in given {
            if !info.signature.iter().any(|p| p.name == n) && !config.contains_key(&n) {
                return Cand::unknown(format!(
                    "`{cls}` has no parameter `{n}` (Keras would raise TypeError)"
                ));
            }
            let vals = self.eval(&e, &c);
            let lit = match vals.first() {
                Some(v) => literal_json_deep(self, &v.val.clone()),
                None => None,
            };
            match vals.first().map(|_| lit) {
                Some(Some(j)) if vals.len() == 1 => {
                    // Only keys `get_config()` reports (Identity's `gain` is not one in Keras 3.15).
                    if config.contains_key(&n) {
                        let j = normalize_arg(cls, &info.bases, &n, j);
                        config.insert(n, j);
                    }
                }
                _ => {
                    let why = vals
                        .iter()
                        .find_map(|v| match &v.val {
                            Val::Unknown(r) => Some(r.clone()),
                            _ => None,
                        })
                        .unwrap_or_else(|| "it is not a literal".into());
                    return Cand::unknown(format!("argument `{n}` of `{cls}`: {why}"));
                }
            }
        }
        if let Some(r) = open {
            return Cand::unknown(format!("`**` arguments of `{cls}`: {r}"));
        }
        Cand::new(Val::Init(InitVal {
            class: cls.to_string(),
            config,
            kind: InitKind::Keras,
            note: None,
            instance: None,
        }))
    }

    fn construct_tf(&mut self, key: &str, args: &[(Expr, Cx)], kws: &[(String, Expr, Cx)]) -> Cand {
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
        for (i, (e, c)) in args.iter().enumerate() {
            match sig.get(i) {
                Some(n) => given.push((n.clone(), e.clone(), c.clone())),
                None => return Cand::unknown(format!("too many positional arguments for `{key}`")),
            }
        }
        given.extend(kws.iter().cloned());
        for (n, e, c) in given {
            let vals = self.eval(&e, &c);
            match vals.first().map(|v| literal_json(&v.val)) {
                Some(Some(j)) if vals.len() == 1 => {
                    config.insert(n, j);
                }
                _ => {
                    return Cand::unknown(format!(
                        "argument `{n}` of `{key}` depends on a runtime value"
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

    /// What `initializers.get(v)` does with a value: the initializer(s) it yields.
    pub fn to_initializer(&mut self, c: Cand) -> Vec<super::Candidate> {
        use super::Candidate;
        let origin = c.origin.clone();
        let unresolved = |reason: String| Candidate::Unresolved {
            reason,
            origin: origin.clone(),
        };
        match c.val {
            Val::Init(init) => vec![Candidate::Resolved { init, origin }],
            Val::Str(s) => match self.identifier(&s) {
                Ok(init) => vec![Candidate::Resolved { init, origin }],
                Err(r) => match self.registered(&s) {
                    // A name registered as a custom object resolves to the workspace class or
                    // function (`initializers.get` looks custom objects up by name).
                    Some((v, reg)) => {
                        let mut origin = origin;
                        origin.push(reg);
                        self.to_initializer(Cand { val: v, origin })
                    }
                    None => vec![unresolved(r)],
                },
            },
            Val::Dict { entries, open } => {
                let class = entries
                    .iter()
                    .rev()
                    .find(|(k, _, _)| k == "class_name")
                    .cloned();
                let Some((_, ce, ccx)) = class else {
                    return vec![unresolved(
                        open.unwrap_or_else(|| "a dict without 'class_name'".into()),
                    )];
                };
                let names = self.eval(&ce, &ccx);
                let Some(Val::Str(name)) = names.first().map(|c| c.val.clone()) else {
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
                let mut kws = Vec::new();
                if let Some((_, cfg, cfgx)) = entries
                    .iter()
                    .rev()
                    .find(|(k, _, _)| k == "config")
                    .cloned()
                {
                    for d in self.eval(&cfg, &cfgx) {
                        match d.val {
                            Val::Dict { entries, .. } => kws.extend(entries),
                            _ => return vec![unresolved("'config' is not a literal dict".into())],
                        }
                    }
                }
                let r = self.construct_init(&cls, &[], &kws, None);
                let mut out = self.to_initializer(r);
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
                let r = self.construct_init(&cls, &[], &[], None);
                self.to_initializer(Cand { val: r.val, origin })
            }
            Val::Instance { file, class, call } => {
                let cls = file.ir.classes[class].clone();
                match self.initializer_base(&file, class) {
                    Some(base) => {
                        let config = self.custom_init_config(&file, class, &base, call.as_ref());
                        vec![Candidate::Resolved {
                            init: InitVal {
                                class: cls.name.clone(),
                                config,
                                kind: InitKind::CustomClass {
                                    file: file.path.clone(),
                                    span: cls.name_span,
                                    doc: cls.doc.clone(),
                                    base: Some(base),
                                },
                                note: None,
                                instance: call
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
                    let inst = Val::Instance {
                        file,
                        class,
                        call: None,
                    };
                    self.to_initializer(Cand { val: inst, origin })
                } else {
                    vec![unresolved(format!(
                        "the class `{}` is not an initializer",
                        file.ir.classes[class].name
                    ))]
                }
            }
            Val::Func(file, fid) => {
                let f = &file.ir.functions[fid];
                let mut config = Map::new();
                config.insert("name".into(), Value::String(f.name.clone()));
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
                    config: [("name".to_string(), Value::String("<lambda>".into()))]
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
            Val::NoneV => vec![unresolved("None".into())],
            Val::Unknown(r) => vec![unresolved(r)],
            other => vec![unresolved(format!(
                "{} is not an initializer",
                describe(&other)
            ))],
        }
    }

    /// `get_config()` of a workspace initializer instance: with its own `get_config`, the
    /// `__init__` parameters (defaults, then the call's arguments); without, the built-in base's
    /// config with the arguments of the same names.
    fn custom_init_config(
        &mut self,
        file: &Arc<FileAnalysis>,
        class: ClassId,
        base: &str,
        call: Option<&(Arc<Call>, Cx)>,
    ) -> Map<String, Value> {
        let cls = file.ir.classes[class].clone();
        let own_get_config = self.class_defines(file, class, "get_config");
        let init = self.class_method(file, class, "__init__");
        let mut config = Map::new();
        if !own_get_config {
            if let Some(info) = self.data.initializers.classes.get(base) {
                config = info.default_config.clone();
            }
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
                        if let Some(j) = d.first().and_then(|v| literal_json(&v.val)) {
                            config.insert(p.name.clone(), j);
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
        if let Some((call, ccx)) = call {
            let mut given: Vec<(String, Expr)> = Vec::new();
            for (i, a) in call.args.iter().enumerate() {
                if let Some(n) = params.get(i) {
                    given.push((n.clone(), a.clone()));
                }
            }
            for k in &call.keywords {
                if let Some(n) = &k.name {
                    given.push((n.to_string(), k.value.clone()));
                }
            }
            for (n, e) in given {
                if !own_get_config && !config.contains_key(&n) {
                    continue;
                }
                let vals = self.eval(&e, ccx);
                if let Some(j) = vals
                    .first()
                    .map(|v| v.val.clone())
                    .and_then(|v| literal_json_deep(self, &v))
                {
                    config.insert(n, j);
                }
            }
        }
        let _ = cls;
        config
    }

    /// Whether the class or a workspace base defines method `name` (before a Keras base).
    fn class_defines(&mut self, file: &Arc<FileAnalysis>, class: ClassId, name: &str) -> bool {
        self.class_method(file, class, name).is_some()
    }

    /// The workspace definition of method `name` on the class or its workspace bases.
    pub fn class_method(
        &mut self,
        file: &Arc<FileAnalysis>,
        class: ClassId,
        name: &str,
    ) -> Option<(Arc<FileAnalysis>, FuncId)> {
        let mut todo = vec![(file.clone(), class)];
        let mut seen = 0;
        while let Some((f, c)) = todo.pop() {
            seen += 1;
            if seen > 32 {
                break;
            }
            let cls = f.ir.classes[c].clone();
            if let Some(m) = cls.methods.get(name) {
                return Some((f.clone(), *m));
            }
            let bcx = Cx {
                file: f.clone(),
                scope: cls.parent_scope,
                at: cls.span.start,
                frame: None,
            };
            for b in cls.bases.iter().rev() {
                for v in self.eval(b, &bcx) {
                    if let Val::Class(bf, bid) = v.val {
                        todo.push((bf, bid));
                    }
                }
            }
        }
        None
    }

    /// The Keras initializer class a workspace class derives from, if any.
    pub fn initializer_base(&mut self, file: &Arc<FileAnalysis>, class: ClassId) -> Option<String> {
        let cls = &file.ir.classes[class];
        let bcx = Cx {
            file: file.clone(),
            scope: cls.parent_scope,
            at: cls.span.start,
            frame: None,
        };
        for b in cls.bases.clone() {
            for v in self.eval(&b, &bcx) {
                match &v.val {
                    Val::InitClass(c) => return Some(c.clone()),
                    Val::Class(bf, bid) if self.depth < MAX_DEPTH => {
                        self.depth += 1;
                        let r = self.initializer_base(bf, *bid);
                        self.depth -= 1;
                        if r.is_some() {
                            return r;
                        }
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// A workspace class or function registered as a custom object under `name`:
    /// `@keras.saving.register_keras_serializable(package=..., name=...)` (registered as
    /// `package>name`, name defaulting to the class name, package to `Custom`),
    /// `get_custom_objects().update({...})` / `get_custom_objects()[name] = ...`, and
    /// `custom_objects={...}` arguments.
    pub fn registered(&mut self, name: &str) -> Option<(Val, Step)> {
        let files: Vec<Arc<FileAnalysis>> = self.ws.files.values().cloned().collect();
        for f in &files {
            // Decorated classes and functions.
            let decorated: Vec<(Vec<Expr>, Val, String, Span)> =
                f.ir.classes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        (
                            c.decorators.clone(),
                            Val::Class(f.clone(), i),
                            c.name.clone(),
                            c.name_span,
                        )
                    })
                    .chain(f.ir.functions.iter().enumerate().map(|(i, fun)| {
                        (
                            fun.decorators.clone(),
                            Val::Func(f.clone(), i),
                            fun.name.clone(),
                            fun.name_span,
                        )
                    }))
                    .collect();
            for (decos, val, own, span) in decorated {
                for d in decos {
                    let Expr::Call(c) = &d else { continue };
                    let is_reg = matches!(&c.func, Expr::Attr { attr, .. } | Expr::Name { id: attr, .. }
                        if attr == "register_keras_serializable");
                    if !is_reg {
                        continue;
                    }
                    let cx = Cx {
                        file: f.clone(),
                        scope: 0,
                        at: c.span.start,
                        frame: None,
                    };
                    let lit = |ev: &mut Self, k: &str, pos: usize| -> Option<String> {
                        let e = c
                            .keyword(k)
                            .map(|k| k.value.clone())
                            .or_else(|| c.args.get(pos).cloned())?;
                        match ev.eval(&e, &cx).first().map(|v| v.val.clone()) {
                            Some(Val::Str(s)) => Some(s),
                            _ => None,
                        }
                    };
                    let package = lit(self, "package", 0).unwrap_or_else(|| "Custom".into());
                    let reg_name = lit(self, "name", 1).unwrap_or_else(|| own.clone());
                    if name == format!("{package}>{reg_name}")
                        || name == reg_name && lit(self, "name", 1).is_some()
                    {
                        let step = Step {
                            text: format!(
                                "registered as '{package}>{reg_name}' at {}",
                                self.place(f, span)
                            ),
                            file: Some(f.path.clone()),
                            span: Some(span),
                        };
                        return Some((val, step));
                    }
                }
            }
            // Dicts of custom objects.
            for site in &f.ir.calls {
                let call = &site.call;
                let cx = Cx {
                    file: f.clone(),
                    scope: site.scope,
                    at: call.span.start,
                    frame: None,
                };
                let dict = if let (Expr::Attr { value, attr, .. }, true) = (&call.func, true) {
                    let on_custom_objects = attr == "update"
                        && matches!(&**value, Expr::Call(c) if matches!(&c.func, Expr::Attr { attr, .. } | Expr::Name { id: attr, .. } if attr == "get_custom_objects"));
                    if on_custom_objects {
                        call.args.first().cloned()
                    } else {
                        call.keyword("custom_objects").map(|k| k.value.clone())
                    }
                } else {
                    call.keyword("custom_objects").map(|k| k.value.clone())
                };
                let Some(dict) = dict else { continue };
                for d in self.eval(&dict, &cx) {
                    let Val::Dict { entries, .. } = d.val else {
                        continue;
                    };
                    if let Some((_, e, ecx)) = entries.iter().rev().find(|(k, _, _)| k == name) {
                        for v in self.eval(e, ecx) {
                            if matches!(v.val, Val::Class(..) | Val::Func(..)) {
                                let step = Step {
                                    text: format!(
                                        "registered as '{name}' at {}",
                                        self.place(f, call.span)
                                    ),
                                    file: Some(f.path.clone()),
                                    span: Some(call.span),
                                };
                                return Some((v.val, step));
                            }
                        }
                    }
                }
            }
        }
        None
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
        let c = self.construct_init(&cls, &[], &[], None);
        match c.val {
            Val::Init(i) => Ok(i),
            Val::Unknown(r) => Err(r),
            _ => Err("unexpected".into()),
        }
    }
}

/// A binding inside an `if` is surely run when its condition holds, unless it is also inside a
/// loop or `try` (which set `conditional` without a condition of their own). We cannot tell the two
/// apart after lowering, so a guarded binding counts as sure only when its condition holds.
fn in_loop(_b: &Binding) -> bool {
    false
}

/// Which of a name's bindings may be the value at offset `at` in the same scope: the last
/// unconditional binding before `at` and every conditional one after it. `at == u32::MAX` means
/// "after the whole scope ran".
pub fn choose_bindings(bs: &[Binding], at: u32) -> Vec<&Binding> {
    let before: Vec<&Binding> = bs.iter().filter(|b| b.span.start < at).collect();
    let mut out = Vec::new();
    for b in before.iter().rev() {
        out.push(*b);
        if !b.conditional {
            break;
        }
    }
    if out.is_empty() && at != u32::MAX {
        // Used before any binding in this scope (e.g. a function body using a later global).
        return choose_bindings(bs, u32::MAX);
    }
    out.reverse();
    out
}

/// Binds call arguments to a workspace function's parameters (`skip_self` for methods).
pub fn bind_values(
    f: &Function,
    args: &[(Expr, Cx)],
    kws: &[(String, Expr, Cx)],
    skip_self: bool,
) -> Vec<(String, BoundArg)> {
    let mut out = Vec::new();
    let params: Vec<&Param> = f.params.iter().skip(usize::from(skip_self)).collect();
    let positional: Vec<&&Param> = params
        .iter()
        .filter(|p| p.kind == ParamKind::Positional)
        .collect();
    for (i, (e, c)) in args.iter().enumerate() {
        if let Some(p) = positional.get(i) {
            out.push((p.name.clone(), BoundArg::Expr(e.clone(), c.clone())));
        }
    }
    let mut extra = Vec::new();
    for (n, e, c) in kws {
        if params.iter().any(|p| {
            p.name == *n && p.kind != ParamKind::VarKeywords && p.kind != ParamKind::VarArgs
        }) {
            out.retain(|(m, _)| m != n);
            out.push((n.clone(), BoundArg::Expr(e.clone(), c.clone())));
        } else {
            extra.push((n.clone(), e.clone(), c.clone()));
        }
    }
    if let Some(p) = params.iter().find(|p| p.kind == ParamKind::VarKeywords) {
        out.push((p.name.clone(), BoundArg::Kwargs(extra)));
    }
    out
}

/// Binds the arguments of a call expression (with `**` dicts expanded) to `f`'s parameters.
pub fn bind_user_args(
    f: &Function,
    call: &Call,
    cx: &Cx,
    ev: &mut Evaluator,
    skip_self: bool,
) -> Vec<(String, BoundArg)> {
    let args: Vec<(Expr, Cx)> = call.args.iter().map(|a| (a.clone(), cx.clone())).collect();
    let mut kws = Vec::new();
    for k in &call.keywords {
        match &k.name {
            Some(n) => kws.push((n.to_string(), k.value.clone(), cx.clone())),
            None => {
                for d in ev.eval(&k.value, cx) {
                    if let Val::Dict { entries, .. } = d.val {
                        kws.extend(entries);
                    }
                }
            }
        }
    }
    bind_values(f, &args, &kws, skip_self)
}

fn rebuild_call(call: &Call, args: &[(Expr, Cx)], kws: &[(String, Expr, Cx)]) -> Call {
    Call {
        func: call.func.clone(),
        args: args.iter().map(|(e, _)| e.clone()).collect(),
        keywords: kws
            .iter()
            .map(|(n, e, _)| Keyword {
                name: Some(n.as_str().into()),
                value: e.clone(),
                span: e.span(),
            })
            .collect(),
        span: call.span,
    }
}

/// Python arithmetic on two numbers: `int op int` stays an int except `/` (and `**` with a negative
/// exponent); anything with a float is a float. `None` where Python raises.
pub fn arith(a: Number, op: char, b: Number) -> Option<Number> {
    use Number::*;
    let f = |n: Number| match n {
        Int(i) => i as f64,
        Float(x) => x,
    };
    Some(match (a, b) {
        (Int(x), Int(y)) => match op {
            '+' => Int(x.checked_add(y)?),
            '-' => Int(x.checked_sub(y)?),
            '*' => Int(x.checked_mul(y)?),
            '/' if y != 0 => Float(x as f64 / y as f64),
            'f' if y != 0 => Int((x as f64 / y as f64).floor() as i64),
            '%' if y != 0 => Int(((x % y) + y) % y),
            '^' if y >= 0 => Int(x.checked_pow(u32::try_from(y).ok()?)?),
            '^' => Float((x as f64).powf(y as f64)),
            _ => return None,
        },
        _ => {
            let (x, y) = (f(a), f(b));
            match op {
                '+' => Float(x + y),
                '-' => Float(x - y),
                '*' => Float(x * y),
                '/' if y != 0.0 => Float(x / y),
                'f' if y != 0.0 => Float((x / y).floor()),
                '%' if y != 0.0 => Float(x - y * (x / y).floor()),
                '^' => Float(x.powf(y)),
                _ => return None,
            }
        }
    })
}

/// A literal value as JSON, as Keras would put it in a config.
pub fn literal_json(v: &Val) -> Option<Value> {
    Some(match v {
        Val::Str(s) => Value::String(s.clone()),
        Val::Num(Number::Int(i)) => Value::from(*i),
        Val::Num(Number::Float(f)) => serde_json::Number::from_f64(*f).map(Value::Number)?,
        Val::Bool(b) => Value::Bool(*b),
        Val::NoneV => Value::Null,
        _ => return None,
    })
}

/// A literal list or tuple of literals as a JSON array (needs the evaluator for its elements).
fn literal_json_deep(ev: &mut Evaluator, v: &Val) -> Option<Value> {
    match v {
        Val::List(items) => {
            let mut out = Vec::new();
            for (e, c) in items.clone() {
                let vals = ev.eval(&e, &c);
                if vals.len() != 1 {
                    return None;
                }
                out.push(literal_json_deep(ev, &vals[0].val)?);
            }
            Some(Value::Array(out))
        }
        other => literal_json(other),
    }
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

pub fn describe(v: &Val) -> String {
    match v {
        Val::Ns(n) => format!("the namespace `{n}`"),
        Val::LayerClass(l) => format!("the layer class `{l}`"),
        Val::InitClass(c) => format!("the initializer class `{c}`"),
        Val::TfInit(k) => format!("`{k}`"),
        Val::Builtin(b) => format!("`{b}`"),
        Val::Init(i) => format!("the initializer `{}`", i.class),
        Val::Str(s) => format!("the string '{s}'"),
        Val::Num(_) => "a number".into(),
        Val::Bool(_) => "a bool".into(),
        Val::NoneV => "None".into(),
        Val::Dict { .. } => "a dict".into(),
        Val::List(_) => "a list".into(),
        Val::Partial { .. } => "a functools.partial".into(),
        Val::Func(f, id) => format!("the function `{}`", f.ir.functions[*id].name),
        Val::Lambda { .. } => "a lambda".into(),
        Val::Class(f, id) => format!("the class `{}`", f.ir.classes[*id].name),
        Val::Instance { file, class, .. } => {
            format!("an instance of `{}`", file.ir.classes[*class].name)
        }
        Val::Module(_) => "a module".into(),
        Val::Layer { class, .. } => format!("a `{class}` layer"),
        Val::Unknown(r) => r.clone(),
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

/// `ns.attr` for Keras and TensorFlow namespaces.
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
        "functools" => match attr {
            "partial" => Val::Builtin("functools.partial"),
            _ => Val::Unknown(format!("`functools.{attr}` is not followed")),
        },
        _ => Val::Unknown(format!("`{ns}.{attr}` is not followed")),
    }
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
        let mut ws = Workspace::new(Settings::default());
        let file = Arc::new(FileAnalysis::new(
            Arc::from(std::path::Path::new("/ws/m.py")),
            Arc::from(text.as_str()),
            vec!["m".into()],
        ));
        ws.insert(file.clone());
        let cx = Cx {
            file,
            scope: 0,
            at: text.len() as u32,
            frame: None,
        };
        let e = Expr::Name {
            id: "a10".into(),
            span: Span::new(0, 0),
        };
        let mut ev = Evaluator::new(&ws);
        let full = ev.eval(&e, &cx);
        assert!(matches!(&full[..], [c] if matches!(&c.val, Val::Str(s) if s == "he_normal")));
        ev.set_fuel(5);
        let cut = ev.eval(&e, &cx);
        assert!(
            matches!(&cut[..], [c] if matches!(&c.val, Val::Unknown(r) if r.contains("steps"))),
            "{cut:?}"
        );
    }
}
