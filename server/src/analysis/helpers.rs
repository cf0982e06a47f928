//! Helper call lines: a call of a workspace function or method that builds layers
//! (`x = conv_bn(x, 64, kernel_initializer="he_uniform")`) is answered with the layers *that call*
//! builds and their weights.
//!
//! The layer constructions reachable from the callee are evaluated in the frame of that call
//! (the same [`Frame`] the per-call-site evaluation of [`super::sites`] makes for it, with this
//! call's own arguments, `*args` and `**kwargs`), and nested helpers called from the body in a
//! frame whose caller is that frame, through at most [`MAX_HELPER_DEPTH`] nested calls and
//! [`MAX_HELPER_LAYERS`] constructions; a cut is said in the answer's notes. A helper call that
//! is itself inside a function is first evaluated in a probe frame of that function (as a layer
//! construction is): when nothing of the enclosing call is read, that is every call's answer;
//! otherwise once per context of the enclosing function, with the union per construction.

use super::eval::{enclosing_function, Enclosing, Evaluator, CALLEE_FUEL, FUEL};
use super::sites::{construct, construction_site};
use super::values::*;
use super::{union_weights, FileAnalysis, WeightAnswer, Workspace};
use crate::syntax::ir::{Expr, FuncId, Span, TRUE};
use std::path::Path;
use std::sync::Arc;

/// How many helper calls deep the body of a helper is followed (the called helper is depth 1).
pub const MAX_HELPER_DEPTH: usize = 3;
/// How many layer constructions one helper call lists (a construction reached through two
/// nested calls counts twice).
pub const MAX_HELPER_LAYERS: usize = 48;
/// The steps all constructions of one helper call may take together; beyond, the probe's
/// answer (a superset of every call's) is kept, or the list is cut with a note.
const HELPER_FUEL: u32 = 160_000;

/// One call of a helper function that builds layers, with the layers it builds.
#[derive(Clone, Debug, PartialEq)]
pub struct HelperCall {
    /// The whole call expression.
    pub span: Span,
    /// The name to hover (`conv_bn` in `blocks.conv_bn(...)`).
    pub callee_span: Span,
    /// The helper's name (`conv_bn`, `Model.block` for a method; several joined by `|`).
    pub helper: String,
    /// The layer constructions this call reaches, in source order of the helper's body (a nested
    /// helper's constructions in place of its call).
    pub layers: Vec<BuiltLayer>,
    /// Facts about the call: cuts (depth, count, budget), callees that are not followed.
    pub notes: Vec<String>,
}

/// A layer construction reached by a helper call, answered for that call only.
#[derive(Clone, Debug, PartialEq)]
pub struct BuiltLayer {
    /// File of the construction.
    pub path: Arc<Path>,
    /// The construction's call expression.
    pub span: Span,
    /// The nested helper calls between the helper's body and the construction, outermost first:
    /// (file, call span, helper name).
    pub via: Vec<(Arc<Path>, Span, String)>,
    /// Class name (`Conv2D`; several joined by `|` when the call may construct several).
    pub layer: String,
    /// Qualified public name (`keras.layers.Conv2D`).
    pub qualified: String,
    pub weights: Vec<WeightAnswer>,
    pub notes: Vec<String>,
    /// Why this call may not build it (a condition not decided, built in some of the calls
    /// only); `None` when it surely does.
    pub maybe: Option<String>,
    /// Inside a loop (of the helper or of a nested one): built once per iteration, as many
    /// times as the loop runs.
    pub looped: bool,
}

/// What a callee value runs: (file, function, receiver, closure, arguments a partial adds).
type Target = (
    Arc<FileAnalysis>,
    FuncId,
    Option<Val>,
    Option<Arc<Frame>>,
    Vec<(Expr, Cx)>,
    Vec<(String, Expr, Cx)>,
);

/// The workspace function a callee value calls, if any (through partials).
fn target_of(v: &Val) -> Option<Target> {
    match v {
        Val::Func { file, id, closure } => Some((
            file.clone(),
            *id,
            None,
            closure.clone(),
            Vec::new(),
            Vec::new(),
        )),
        Val::BoundMethod { file, id, receiver } => Some((
            file.clone(),
            *id,
            Some((**receiver).clone()),
            None,
            Vec::new(),
            Vec::new(),
        )),
        Val::Partial {
            func,
            args,
            keywords,
        } => {
            let (f, id, r, c, mut a, mut k) = target_of(func)?;
            a.extend(args.iter().cloned());
            k.extend(keywords.iter().cloned());
            Some((f, id, r, c, a, k))
        }
        _ => None,
    }
}

/// The name a helper is shown with: `conv_bn`, `Block.make` for a method.
fn helper_name(file: &FileAnalysis, id: FuncId) -> String {
    let f = &file.ir.functions[id];
    match f.class {
        Some(c) => format!("{}.{}", file.ir.classes[c].name, f.name),
        None => f.name.to_string(),
    }
}

/// The call sites of `file` whose code runs in a call of function `id` (its body, comprehensions
/// in it; not nested functions or lambdas), in source order; computed once per snapshot.
fn calls_in(ws: &Workspace, file: &Arc<FileAnalysis>, id: FuncId) -> Arc<[u32]> {
    ws.cached("helper-calls-in", file, id as u32, || {
        let scope = file.ir.functions[id].scope;
        let mut out: Vec<u32> = Vec::new();
        for (j, site) in file.ir.calls.iter().enumerate() {
            if enclosing_function(file, site.scope) == Enclosing::Function(id)
                && within(file, site.scope, scope)
            {
                out.push(j as u32);
            }
        }
        Arc::from(out)
    })
}

/// Whether scope `inner` is `outer` or inside it.
fn within(file: &FileAnalysis, inner: usize, outer: usize) -> bool {
    let mut s = Some(inner);
    for _ in 0..256 {
        match s {
            Some(x) if x == outer => return true,
            Some(x) => s = file.ir.scopes[x].parent,
            None => return false,
        }
    }
    false
}

/// Whether a call of function `id` may build a layer: its body has a call site that may
/// construct one, or calls (by a callee known without a frame) a function that may, through at
/// most [`MAX_HELPER_DEPTH`] + 1 calls. A cheap filter computed once per snapshot; the answer of
/// a helper call is made by evaluating the body in the call's frame.
pub fn builds_layers(ws: &Workspace, file: &Arc<FileAnalysis>, id: FuncId) -> bool {
    ws.cached("helper-builds-layers", file, id as u32, || {
        let mut ev = Evaluator::for_file(ws, file);
        let mut seen = rustc_hash::FxHashSet::default();
        may_build(&mut ev, ws, file, id, 0, &mut seen)
    })
}

fn may_build(
    ev: &mut Evaluator,
    ws: &Workspace,
    file: &Arc<FileAnalysis>,
    id: FuncId,
    depth: usize,
    seen: &mut rustc_hash::FxHashSet<(usize, FuncId)>,
) -> bool {
    if depth > MAX_HELPER_DEPTH || !seen.insert((Arc::as_ptr(file) as usize, id)) {
        return false;
    }
    let calls = calls_in(ws, file, id);
    for &j in calls.iter() {
        ev.set_fuel(FUEL);
        if construction_site(ev, file, j as usize).is_some() {
            return true;
        }
    }
    let params = &file.ir.functions[id].params;
    for &j in calls.iter() {
        // A parameter called (`block(x)`, a helper handed as an argument): the call decides.
        if let Expr::Name { id: n, .. } = &file.ir.calls[j as usize].call.func {
            if params.iter().any(|p| *n == p.name) {
                return true;
            }
        }
        ev.set_fuel(FUEL);
        for c in cheap_callee(ev, file, j as usize, None) {
            if let Some((ff, g, ..)) = target_of(&c.val) {
                if may_build(ev, ws, &ff, g, depth + 1, seen) {
                    return true;
                }
            }
        }
    }
    false
}

/// The values of the callee of call site `j` of `file` in `frame`, with the small budget of
/// [`CALLEE_FUEL`] (the budget left before is restored, minus what was spent).
fn cheap_callee(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    j: usize,
    frame: Option<Arc<Frame>>,
) -> Vec<Cand> {
    let site = &file.ir.calls[j];
    if frame.is_none() {
        // Kept for the evaluator's lifetime (see `sites::cheap_eval`); it refuels after.
        let (saved, _) = ev.budget();
        let out = super::sites::cheap_eval(ev, &site.call.func, &Cx::at_call(file, site));
        ev.set_fuel(saved);
        return out;
    }
    let cx = Cx {
        frame,
        ..Cx::at_call(file, site)
    };
    let (saved, _) = ev.budget();
    let budget = saved.min(CALLEE_FUEL);
    ev.set_fuel(budget);
    let out = ev.eval(&site.call.func, &cx);
    let (left, _) = ev.budget();
    ev.set_fuel(saved - (budget - left));
    out
}

/// The helper call at call site `i` of `file`, if its callee is a workspace function that
/// builds layers (and the call is not itself a layer construction).
pub fn helper_call(ev: &mut Evaluator, file: &Arc<FileAnalysis>, i: usize) -> Option<HelperCall> {
    let ws = ev.ws;
    let site = &file.ir.calls[i];
    let span = (site.call.span.start, site.call.span.end);
    if file.errors.iter().any(|e| e.effect.hides(span)) {
        return None;
    }
    // A helper is called by its name (`conv_bn(...)`, `self.block(...)`); the result of a call
    // called again (`make()(x)`) is not followed here.
    if !matches!(site.call.func, Expr::Name { .. } | Expr::Attr { .. }) {
        return None;
    }
    ev.set_fuel(FUEL);
    let callee = cheap_callee(ev, file, i, None);
    let helpers: Vec<(Arc<FileAnalysis>, FuncId)> = callee
        .iter()
        .filter_map(|c| target_of(&c.val).map(|t| (t.0, t.1)))
        .collect();
    // A parameter of the enclosing function called (`block(x)`): its calls decide.
    let param_called = match (&site.call.func, enclosing_function(file, site.scope)) {
        (Expr::Name { id: n, .. }, Enclosing::Function(g)) => {
            file.ir.functions[g].params.iter().any(|p| *n == p.name)
        }
        _ => false,
    };
    if !param_called && !helpers.iter().any(|(f, id)| builds_layers(ws, f, *id)) {
        return None;
    }
    if construction_site(ev, file, i).is_some() {
        return None;
    }
    let mut state = State::default();
    let mut notes = Vec::new();
    let layers = match enclosing_function(file, site.scope) {
        Enclosing::Module | Enclosing::Lambda => {
            let got = expand_call(ev, ws, file, i, None, &mut state);
            finish(got, &mut state)
        }
        Enclosing::Function(g) => {
            // A probe first: in a frame that knows nothing of the enclosing call.
            let why = "the calls of the enclosing function are not followed here".to_string();
            let probe = ev.unknown_frame(file, g, None, why);
            let got = expand_call(ev, ws, file, i, Some(probe.clone()), &mut state);
            let probed = finish(got, &mut state);
            if probe.used() == 0 {
                probed
            } else {
                // Once per context of the enclosing function, within the budget.
                let mut per = State::default();
                let mut lists = Vec::new();
                for ctx in ev.contexts_of(file, g) {
                    let got = expand_call(ev, ws, file, i, Some(ctx), &mut per);
                    lists.push(got);
                    if per.out_of_fuel() {
                        break;
                    }
                }
                if per.out_of_fuel() {
                    notes.push(
                        "the answers per call of the enclosing function took too many steps: \
                         these are the answers for any call of it"
                            .to_string(),
                    );
                    probed
                } else {
                    let n = lists.len();
                    let merged = merge(lists.into_iter().flatten().collect(), n);
                    state.notes = std::mem::take(&mut per.notes);
                    state.names.append(&mut per.names);
                    finish(merged, &mut per)
                }
            }
        }
    };
    for n in std::mem::take(&mut state.notes) {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    if layers.is_empty() {
        return None;
    }
    let mut names = std::mem::take(&mut state.names);
    names.sort();
    names.dedup();
    Some(HelperCall {
        span: site.call.span,
        callee_span: site.call.callee_name_span(),
        helper: names.join("|"),
        layers,
        notes,
    })
}

/// Work done for one helper call: steps spent, constructions listed, cuts to say.
#[derive(Default)]
struct State {
    spent: u32,
    count: usize,
    notes: Vec<String>,
    /// Layers a copying wrapper builds copies of (their own weights are never built).
    wrapped: Vec<Span>,
    /// The names of the helpers the call itself may run.
    names: Vec<String>,
}

impl State {
    fn out_of_fuel(&self) -> bool {
        self.spent >= HELPER_FUEL
    }

    fn note(&mut self, n: String) {
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }
}

/// One construction reached in one frame, before the frames are merged: the key (via + site),
/// the answer, and whether it is sure.
struct Reached {
    layer: BuiltLayer,
    /// How many frames of the helper call reached it.
    hits: usize,
}

/// Call site `i` of `file` evaluated in `ctx` (the frame of the enclosing function, if any):
/// the constructions reached through each function its callee may be, with each argument set.
fn expand_call(
    ev: &mut Evaluator,
    ws: &Workspace,
    file: &Arc<FileAnalysis>,
    i: usize,
    ctx: Option<Arc<Frame>>,
    st: &mut State,
) -> Vec<Reached> {
    let site = file.ir.calls[i].clone();
    let cx = Cx {
        frame: ctx.clone(),
        ..Cx::at_call(file, &site)
    };
    if site.pred != TRUE && ev.pred_holds(file, site.pred, ctx) == Some(false) {
        return Vec::new();
    }
    let frames = frames_for(ev, ws, &site.call, &cx, st);
    let n = frames.len();
    let mut all = Vec::new();
    for (ff, id, _) in &frames {
        st.names.push(helper_name(ff, *id));
    }
    for (ff, id, frame) in frames {
        let mut seen = Vec::new();
        all.extend(expand_body(ev, ws, &ff, id, frame, 1, &[], &mut seen, st));
    }
    merge(all, n)
}

/// The frames a call makes for the workspace functions its callee may be (one per function and
/// argument set), evaluated in `cx`.
fn frames_for(
    ev: &mut Evaluator,
    ws: &Workspace,
    call: &Arc<crate::syntax::ir::Call>,
    cx: &Cx,
    st: &mut State,
) -> Vec<(Arc<FileAnalysis>, FuncId, Arc<Frame>)> {
    let fuel = (HELPER_FUEL - st.spent).min(FUEL);
    ev.set_fuel(fuel);
    let callee = ev.eval(&call.func, cx);
    let mut out = Vec::new();
    let mut unknown = false;
    for c in callee {
        let Some((ff, id, receiver, closure, pa, pk)) = target_of(&c.val) else {
            unknown |= matches!(c.val, Val::Unknown(_));
            continue;
        };
        if !builds_layers(ws, &ff, id) {
            continue;
        }
        for set in ev.call_args(call, cx, pa.clone(), pk.clone()) {
            let frame = ev.make_frame(
                &ff,
                id,
                &set,
                receiver.clone(),
                closure.clone(),
                cx,
                call.span,
            );
            out.push((ff.clone(), id, frame));
        }
    }
    let (left, _) = ev.budget();
    st.spent += fuel - left;
    if unknown && !out.is_empty() {
        st.note(format!(
            "the callee at {} may also be a value that is not resolved; what that builds is not listed",
            ev.place(&cx.file, call.span)
        ));
    }
    out
}

/// The constructions of one call of function `id` of `file` (in `frame`), nested helpers
/// followed up to [`MAX_HELPER_DEPTH`]; `via` are the nested calls that led here.
#[allow(clippy::too_many_arguments)]
fn expand_body(
    ev: &mut Evaluator,
    ws: &Workspace,
    file: &Arc<FileAnalysis>,
    id: FuncId,
    frame: Arc<Frame>,
    depth: usize,
    via: &[(Arc<Path>, Span, String, bool, Option<String>)],
    seen: &mut Vec<(usize, FuncId)>,
    st: &mut State,
) -> Vec<Reached> {
    let key = (Arc::as_ptr(file) as usize, id);
    if seen.contains(&key) {
        st.note(format!(
            "`{}` calls itself; the recursive calls are not followed",
            helper_name(file, id)
        ));
        return Vec::new();
    }
    seen.push(key);
    let mut out = Vec::new();
    for &j in calls_in(ws, file, id).iter() {
        let j = j as usize;
        ev.set_fuel(FUEL);
        if st.count >= MAX_HELPER_LAYERS {
            st.note(format!(
                "more than {MAX_HELPER_LAYERS} layer constructions: the others are not listed"
            ));
            break;
        }
        if st.out_of_fuel() {
            st.note(
                "evaluating the helper took too many steps: the layers after the last one listed are not"
                    .to_string(),
            );
            break;
        }
        let site = file.ir.calls[j].clone();
        let span = (site.call.span.start, site.call.span.end);
        if file.errors.iter().any(|e| e.effect.hides(span)) {
            continue;
        }
        let cond = if site.pred == TRUE {
            None
        } else {
            match ev.pred_holds(file, site.pred, Some(frame.clone())) {
                Some(false) => continue,
                Some(true) => None,
                None => Some(format!(
                    "only when the condition around {} holds, which is not decided for this call",
                    ev.place(file, site.call.span)
                )),
            }
        };
        let cx = Cx {
            frame: Some(frame.clone()),
            ..Cx::at_call(file, &site)
        };
        if construction_site(ev, file, j).is_some() {
            let fuel = (HELPER_FUEL - st.spent).min(FUEL);
            ev.set_fuel(fuel);
            let built = construct(ev, file, j, &cx, &mut st.wrapped);
            let (left, _) = ev.budget();
            st.spent += fuel - left;
            if built.is_empty() {
                if left == 0 {
                    st.note(format!(
                        "the construction at {} took too many steps; it is not listed",
                        ev.place(file, site.call.span)
                    ));
                }
                continue;
            }
            st.count += 1;
            let mut classes: Vec<String> = built.iter().map(|b| b.layer.clone()).collect();
            classes.dedup();
            let mut notes: Vec<String> = Vec::new();
            for b in &built {
                for n in &b.notes {
                    if !notes.contains(n) {
                        notes.push(n.clone());
                    }
                }
            }
            let qualified = built[0].qualified.clone();
            let weights = union_weights(built.into_iter().map(|b| b.weights).collect());
            let maybe = via.iter().find_map(|v| v.4.clone()).or(cond);
            out.push(Reached {
                layer: BuiltLayer {
                    path: file.path.clone(),
                    span: site.call.span,
                    via: via
                        .iter()
                        .map(|(p, s, n, _, _)| (p.clone(), *s, n.clone()))
                        .collect(),
                    layer: classes.join("|"),
                    qualified,
                    weights,
                    notes,
                    maybe,
                    looped: site.looped || via.iter().any(|v| v.3),
                },
                hits: 1,
            });
            continue;
        }
        // A nested helper: by its callee without a frame, or in this frame when that is not
        // known without one (a helper passed as an argument).
        let plain = cheap_callee(ev, file, j, None);
        let framed_needed = matches!(site.call.func, Expr::Name { .. })
            && plain.iter().any(|c| matches!(c.val, Val::Unknown(_)));
        let builds = |cands: &[Cand]| {
            cands
                .iter()
                .any(|c| target_of(&c.val).is_some_and(|(ff, g, ..)| builds_layers(ws, &ff, g)))
        };
        let nested = builds(&plain)
            || (framed_needed && {
                let framed = cheap_callee(ev, file, j, Some(frame.clone()));
                builds(&framed)
            });
        if !nested {
            continue;
        }
        let name = site
            .call
            .func
            .dotted()
            .unwrap_or_else(|| "a helper".to_string());
        if depth >= MAX_HELPER_DEPTH {
            st.note(format!(
                "`{name}` at {} builds layers too; not followed (more than {MAX_HELPER_DEPTH} nested helper calls)",
                ev.place(file, site.call.span)
            ));
            continue;
        }
        let frames = frames_for(ev, ws, &site.call, &cx, st);
        let n = frames.len();
        let mut inner = Vec::new();
        let mut v = via.to_vec();
        v.push((
            file.path.clone(),
            site.call.span,
            name,
            site.looped,
            cond.clone(),
        ));
        for (ff, g, fr) in frames {
            inner.extend(expand_body(ev, ws, &ff, g, fr, depth + 1, &v, seen, st));
        }
        out.extend(merge(inner, n));
    }
    seen.pop();
    out
}

/// The constructions reached in `frames` frames, one entry per construction (and chain of
/// nested calls): weights united, and "maybe" when some frames do not reach it.
fn merge(all: Vec<Reached>, frames: usize) -> Vec<Reached> {
    let mut out: Vec<Reached> = Vec::new();
    let mut weights: Vec<Vec<Vec<WeightAnswer>>> = Vec::new();
    for r in all {
        let key = |b: &BuiltLayer| {
            (
                b.path.clone(),
                b.span,
                b.via
                    .iter()
                    .map(|(p, s, _)| (p.clone(), *s))
                    .collect::<Vec<_>>(),
            )
        };
        match out.iter().position(|o| key(&o.layer) == key(&r.layer)) {
            Some(k) => {
                let o = &mut out[k];
                o.hits += r.hits;
                if o.layer.maybe.is_none() {
                    o.layer.maybe = r.layer.maybe.clone();
                }
                for c in r.layer.layer.split('|') {
                    if !o.layer.layer.split('|').any(|x| x == c) {
                        o.layer.layer = format!("{}|{c}", o.layer.layer);
                    }
                }
                for n in &r.layer.notes {
                    if !o.layer.notes.contains(n) {
                        o.layer.notes.push(n.clone());
                    }
                }
                weights[k].push(r.layer.weights);
            }
            None => {
                let mut r = r;
                let w = std::mem::take(&mut r.layer.weights);
                weights.push(vec![w]);
                out.push(r);
            }
        }
    }
    for (o, ws) in out.iter_mut().zip(weights) {
        o.layer.weights = union_weights(ws);
        if o.hits < frames && o.layer.maybe.is_none() {
            o.layer.maybe = Some("built by some of the possible calls only".into());
        }
        o.hits = 1;
    }
    out
}

/// The merged constructions as the answer: weights of wrapped layers cleared (a copying wrapper
/// builds copies of them).
fn finish(got: Vec<Reached>, st: &mut State) -> Vec<BuiltLayer> {
    let mut out: Vec<BuiltLayer> = got.into_iter().map(|r| r.layer).collect();
    for b in &mut out {
        if st.wrapped.contains(&b.span) {
            b.weights.clear();
            b.notes.push(
                "a wrapper builds this layer's weights on the copies it makes; this object itself is never built"
                    .into(),
            );
        }
    }
    st.wrapped.clear();
    out
}
