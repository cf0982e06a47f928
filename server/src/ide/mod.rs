//! Editor features in editor-neutral terms (byte offsets, markdown strings): hover, inlay hints,
//! go-to-definition. The LSP layer converts these to protocol types.

pub mod actions;
mod answers;
pub mod diagnostics;
mod format;

pub use answers::{is_prepared, prepare};

pub use format::{compact_label, full_init, helper_label, helper_markdown, init_math, origin_text};

use crate::analysis::eval::Evaluator;
use crate::analysis::values::{Cand, Cx, InstanceVal, Val};
use crate::analysis::{Candidate, Created, InitKind, LayerCall, Workspace};
use crate::syntax::ir::{Expr, Span};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A hover: markdown text and the range it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Hover {
    pub markdown: String,
    pub span: Span,
}

/// One part of an inlay hint label; `target` makes it clickable (a custom initializer's class).
#[derive(Clone, Debug, PartialEq)]
pub struct LabelPart {
    pub text: String,
    pub target: Option<(Arc<Path>, Span)>,
}

/// An inlay hint placed at `offset` (just after the call's closing parenthesis).
#[derive(Clone, Debug, PartialEq)]
pub struct InlayHint {
    pub offset: u32,
    pub parts: Vec<LabelPart>,
    /// Markdown with the full configs (the hover text of the call); `None` from [`inlay_hints`],
    /// which leaves it to [`inlay_hint_tooltip`] (computed on `inlayHint/resolve`).
    pub tooltip: Option<String>,
    /// `true` when code follows the hint on its line (`Dense(4)(x)`): the client then leaves a
    /// space after the label, so that `bias=zeros (x)` does not read like a call of `zeros`.
    pub padding_right: bool,
}

/// A definition target.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub path: Arc<Path>,
    pub span: Span,
}

/// The layer call to hover at `offset`: the innermost call whose callee name contains it, else the
/// innermost call containing it.
fn call_at(calls: &[LayerCall], offset: u32) -> Option<&LayerCall> {
    calls
        .iter()
        .filter(|c| c.callee_span.contains(offset))
        .min_by_key(|c| c.span.end - c.span.start)
}

/// Hover on a layer callee: a line per weight.
pub fn hover(ws: &Workspace, path: &Path, offset: u32) -> Option<Hover> {
    let file = ws.file(path)?;
    if offset as usize > file.text.len() {
        return None;
    }
    if answers::ready(ws, file).is_some() {
        if let Some(h) = hover_if_prepared(ws, path, offset) {
            return Some(h);
        }
    } else {
        // Only the calls whose callee name holds the offset (all of the file's only when the
        // hovered call shares an initializer object that other calls may use too).
        let calls = ws.layer_calls_where(path, |c| c.callee_name_span().contains(offset));
        if let Some(call) = call_at(&calls, offset) {
            return Some(Hover {
                markdown: call_markdown(ws, file, call, &calls),
                span: call.callee_span,
            });
        }
    }
    // A call of a helper that builds layers: the layers this call builds.
    let helpers = ws.helper_calls_where(path, |c| c.callee_name_span().contains(offset));
    if let Some(hc) = helpers
        .iter()
        .filter(|h| h.callee_span.contains(offset))
        .min_by_key(|h| h.span.end - h.span.start)
    {
        return Some(Hover {
            markdown: format::helper_markdown(ws, file, hc),
            span: hc.callee_span,
        });
    }
    if let Some(h) = class_hover(ws, file, offset) {
        return Some(h);
    }
    value_hover(ws, path, offset)
}

/// The hover of the layer call at `offset` from the answers prepared in the background
/// ([`prepare`]), without computing anything: `None` when they are not ready or no layer call is
/// there (then [`hover`] answers). Cheap enough for the request's own thread.
pub fn hover_if_prepared(ws: &Workspace, path: &Path, offset: u32) -> Option<Hover> {
    let file = ws.file(path)?;
    let ready = answers::ready(ws, file)?;
    // The calls of `call_at` among them.
    let near: Vec<Span> = file
        .ir
        .calls
        .iter()
        .filter(|s| s.call.callee_name_span().contains(offset))
        .map(|s| s.call.span)
        .collect();
    if near.is_empty() {
        return None;
    }
    if let Some((i, c)) = ready
        .calls
        .iter()
        .enumerate()
        .filter(|(_, c)| near.contains(&c.span) && c.callee_span.contains(offset))
        .min_by_key(|(_, c)| c.span.end - c.span.start)
    {
        return Some(Hover {
            markdown: ready.markdown[i].clone(),
            span: c.callee_span,
        });
    }
    // A call of a helper that builds layers (as `hover` finds it).
    let (i, h) = ready
        .helpers
        .iter()
        .enumerate()
        .filter(|(_, h)| near.contains(&h.span) && h.callee_span.contains(offset))
        .min_by_key(|(_, h)| h.span.end - h.span.start)?;
    Some(Hover {
        markdown: ready.helper_markdown[i].clone(),
        span: h.callee_span,
    })
}

/// Hover on `class MyLayer(Layer)`: the weights it creates (with its parameters' defaults) and
/// the parameters that control them; on `class MyInit(Initializer)`: its effective config.
fn class_hover(
    ws: &Workspace,
    file: &Arc<crate::analysis::FileAnalysis>,
    offset: u32,
) -> Option<Hover> {
    let (cid, cls) = file
        .ir
        .classes
        .iter()
        .enumerate()
        .find(|(_, c)| c.name_span.contains(offset))?;
    let mut ev = Evaluator::for_file(ws, file);
    if let Some((_, builtin)) = crate::analysis::custom::layer_ancestry(&mut ev, file, cid) {
        // Constructed with no arguments: the defaults.
        let inst = InstanceVal {
            file: file.clone(),
            class: cid,
            call: None,
            args: Some(Box::new(crate::analysis::values::ArgSet::default())),
            attrs: Vec::new(),
        };
        let weights = crate::analysis::custom::custom_weights(
            &mut ev,
            &inst,
            0,
            crate::analysis::sites::layer_value_weights,
        );
        let call = LayerCall {
            span: cls.name_span,
            callee_span: cls.name_span,
            layer: cls.name.clone(),
            qualified: format!(
                "class {}{}",
                cls.name,
                builtin.map(|b| format!(" (a subclass of keras.layers.{b})")).unwrap_or_default()
            ),
            weights,
            notes: vec!["answers with the constructor's default arguments; each construction site shows its own".into()],
            copyable: true,
            builtin: false,
        };
        return Some(Hover {
            markdown: format::hover_markdown(ws, file, &call, std::slice::from_ref(&call)),
            span: cls.name_span,
        });
    }
    if ev.initializer_base(file, cid).is_some() {
        let v = Val::Instance(Box::new(InstanceVal {
            file: file.clone(),
            class: cid,
            call: None,
            args: None,
            attrs: Vec::new(),
        }));
        let cx = Cx {
            file: file.clone(),
            scope: 0,
            at: cls.span.end,
            frame: None,
        };
        let cands = ev.to_initializer(
            Cand {
                val: v,
                origin: vec![],
            },
            &cx,
        );
        return Some(Hover {
            markdown: format::value_markdown(ws, &cands),
            span: cls.name_span,
        });
    }
    None
}

/// Hover on a name, attribute or string that resolves to an initializer.
fn value_hover(ws: &Workspace, path: &Path, offset: u32) -> Option<Hover> {
    let file = ws.file(path)?;
    let (e, scope) = exprs_at(ws, path, offset).last().cloned()?;
    if !e.span().contains(offset) {
        return None;
    }
    let cx = Cx {
        file: file.clone(),
        scope,
        at: e.span().end,
        frame: None,
    };
    // A function being called here (`dense_block(8)`) is not used as an initializer value, though
    // any callable could be one: only a function passed as a value is shown as `Callable`.
    let called = file
        .ir
        .calls
        .iter()
        .any(|site| site.call.func.span() == e.span());
    let mut ev = Evaluator::for_file(ws, file);
    let mut cands = Vec::new();
    for c in eval_here(&mut ev, file, &e, &cx) {
        let shown = match c.val {
            Val::Init(_) | Val::Instance(_) | Val::Str(_) | Val::Dict(_) => true,
            Val::Func { .. } => !called,
            _ => false,
        };
        if shown {
            cands.extend(ev.to_initializer(c, &cx));
        }
    }
    if !cands
        .iter()
        .any(|c| matches!(c, Candidate::Resolved { .. }))
    {
        return None;
    }
    Some(Hover {
        markdown: format::value_markdown(ws, &cands),
        span: e.span(),
    })
}

/// Inlay hints for layer calls that end inside `range`, sorted by offset, without tooltips.
pub fn inlay_hints(ws: &Workspace, path: &Path, range: Span) -> Vec<InlayHint> {
    hints(ws, path, range, false)
}

/// [`inlay_hints`] with each hint's tooltip (for clients that cannot resolve hints lazily).
pub fn inlay_hints_with_tooltips(ws: &Workspace, path: &Path, range: Span) -> Vec<InlayHint> {
    hints(ws, path, range, true)
}

/// The tooltip of the inlay hint at `offset` (the end of a layer call): the call's hover text.
/// `None` when no hinted layer call ends there (the file changed since the hint was made).
pub fn inlay_hint_tooltip(ws: &Workspace, path: &Path, offset: u32) -> Option<String> {
    let file = ws.file(path)?;
    if let Some(ready) = answers::ready(ws, file) {
        if let Some(i) = (0..ready.calls.len())
            .find(|&i| ready.calls[i].span.end == offset && !ready.labels[i].is_empty())
        {
            return Some(ready.markdown[i].clone());
        }
        let i = (0..ready.helpers.len())
            .find(|&i| ready.helpers[i].span.end == offset && !ready.helper_labels[i].is_empty())?;
        return Some(ready.helper_markdown[i].clone());
    }
    let calls = ws.layer_calls_where(path, |c| c.span.end == offset);
    if let Some(call) = calls
        .iter()
        .find(|c| !format::label_parts(ws, c).is_empty())
    {
        return Some(call_markdown(ws, file, call, &calls));
    }
    let helpers = ws.helper_calls_where(path, |c| c.span.end == offset);
    let hc = helpers
        .iter()
        .find(|h| !format::helper_label(ws, h).is_empty())?;
    Some(format::helper_markdown(ws, file, hc))
}

/// The hover text of layer call `call` (also an inlay hint's tooltip). `computed` are the calls of
/// the file computed for the request; every call of the file is computed only when the note on
/// initializer objects shared with other weights needs them ([`format::needs_other_calls`]). A
/// call of a statement that no longer parses, answered from its last version that parsed, says so.
fn call_markdown(
    ws: &Workspace,
    file: &crate::analysis::FileAnalysis,
    call: &LayerCall,
    computed: &[LayerCall],
) -> String {
    let all = format::needs_other_calls(call).then(|| ws.layer_calls(&file.path));
    let markdown = format::hover_markdown(ws, file, call, all.as_deref().map_or(computed, |a| a));
    let kept = file.errors.iter().find(|e| {
        matches!(
            e.effect,
            crate::syntax::parse::ErrorEffect::KeptLastGood { .. }
        ) && e.range.0 <= call.span.start
            && call.span.start <= e.range.1
    });
    match kept {
        Some(e) => format!(
            "*Line {} does not parse: these are the answers of the last version of this statement that parsed.*\n\n{markdown}",
            file.line1(e.range.0)
        ),
        None => markdown,
    }
}

fn hints(ws: &Workspace, path: &Path, range: Span, tooltips: bool) -> Vec<InlayHint> {
    let Some(file) = ws.file(path) else {
        return Vec::new();
    };
    if let Some(out) = inlay_hints_if_prepared(ws, path, range, tooltips) {
        return out;
    }
    // Only the calls whose hint falls in the range.
    let calls = ws.layer_calls_where(path, |c| range.contains(c.span.end));
    let hint = |c: &LayerCall| {
        let parts = format::label_parts(ws, c);
        if parts.is_empty() {
            return None;
        }
        Some(InlayHint {
            offset: c.span.end,
            parts,
            tooltip: tooltips.then(|| call_markdown(ws, file, c, &calls)),
            padding_right: code_follows(&file.text, c.span.end),
        })
    };
    // Labels of many calls are formatted in parallel too (in source order either way).
    let mut out: Vec<InlayHint> = if calls.len() >= 256 {
        use rayon::prelude::*;
        crate::analysis::sites::analysis_pool()
            .install(|| calls.par_iter().filter_map(hint).collect())
    } else {
        calls.iter().filter_map(hint).collect()
    };
    // Calls of helpers that build layers: the layers each call builds.
    let helpers = ws.helper_calls_where(path, |c| range.contains(c.span.end));
    for hc in helpers.iter() {
        let parts = format::helper_label(ws, hc);
        if parts.is_empty() || out.iter().any(|h| h.offset == hc.span.end) {
            continue;
        }
        out.push(InlayHint {
            offset: hc.span.end,
            parts,
            tooltip: tooltips.then(|| format::helper_markdown(ws, file, hc)),
            padding_right: code_follows(&file.text, hc.span.end),
        });
    }
    out.sort_by_key(|h| h.offset);
    out
}

/// The inlay hints of `range` from the answers prepared in the background ([`prepare`]), with
/// tooltips when `tooltips`; `None` when they are not ready (then [`inlay_hints`] computes them).
/// Cheap enough for the request's own thread.
pub fn inlay_hints_if_prepared(
    ws: &Workspace,
    path: &Path,
    range: Span,
    tooltips: bool,
) -> Option<Vec<InlayHint>> {
    let file = ws.file(path)?;
    let ready = answers::ready(ws, file)?;
    let mut out: Vec<InlayHint> = (0..ready.calls.len())
        .filter(|&i| range.contains(ready.calls[i].span.end) && !ready.labels[i].is_empty())
        .map(|i| InlayHint {
            offset: ready.calls[i].span.end,
            parts: ready.labels[i].clone(),
            tooltip: tooltips.then(|| ready.markdown[i].clone()),
            padding_right: code_follows(&file.text, ready.calls[i].span.end),
        })
        .collect();
    // Helper calls, where no layer call's hint is (as `hints` adds them).
    for (i, h) in ready.helpers.iter().enumerate() {
        let end = h.span.end;
        if !range.contains(end)
            || ready.helper_labels[i].is_empty()
            || out.iter().any(|x| x.offset == end)
        {
            continue;
        }
        out.push(InlayHint {
            offset: end,
            parts: ready.helper_labels[i].clone(),
            tooltip: tooltips.then(|| ready.helper_markdown[i].clone()),
            padding_right: code_follows(&file.text, end),
        });
    }
    out.sort_by_key(|h| h.offset);
    Some(out)
}

/// `true` when the character at `offset` of `text` is on the same line and not a space.
fn code_follows(text: &str, offset: u32) -> bool {
    text.get(offset as usize..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| !c.is_whitespace())
}

/// The values of `e` (an expression of the file, or the target name of an assignment: the value
/// it binds).
fn eval_here(
    ev: &mut Evaluator,
    file: &Arc<crate::analysis::FileAnalysis>,
    e: &Expr,
    cx: &Cx,
) -> Vec<Cand> {
    if let Expr::Name { id, span } = e {
        if let Some(d) =
            file.ir.defs.iter().position(|d| {
                d.span == *span && matches!(d.kind, crate::syntax::ir::DefKind::Value(_))
            })
        {
            return ev.eval_def(file, d as u32, id, None);
        }
    }
    ev.eval(e, cx)
}

/// Every expression (name, attribute or string) containing `offset`, innermost last.
fn exprs_at(ws: &Workspace, path: &Path, offset: u32) -> Vec<(Expr, usize)> {
    let Some(file) = ws.file(path) else {
        return Vec::new();
    };
    let mut found: Vec<(Expr, usize)> = Vec::new();
    fn walk(e: &Expr, scope: usize, off: u32, found: &mut Vec<(Expr, usize)>, depth: usize) {
        if depth > 64 || !e.span().contains(off) {
            return;
        }
        match e {
            Expr::Name { .. } | Expr::Str { .. } => found.push((e.clone(), scope)),
            Expr::Attr { value, .. } => {
                if e.attr_span().is_some_and(|s| s.contains(off)) {
                    found.push((e.clone(), scope));
                } else {
                    walk(value, scope, off, found, depth + 1);
                }
            }
            Expr::Call(c) => {
                walk(&c.func, scope, off, found, depth + 1);
                for a in &c.args {
                    walk(a, scope, off, found, depth + 1);
                }
                for k in &c.keywords {
                    walk(&k.value, scope, off, found, depth + 1);
                }
            }
            Expr::Dict { items, .. } => {
                for (k, v) in items {
                    if let Some(k) = k {
                        walk(k, scope, off, found, depth + 1);
                    }
                    walk(v, scope, off, found, depth + 1);
                }
            }
            Expr::List { elts, .. } | Expr::Tuple { elts, .. } => {
                for x in elts {
                    walk(x, scope, off, found, depth + 1);
                }
            }
            Expr::IfExp(x) => {
                walk(&x.body, scope, off, found, depth + 1);
                walk(&x.orelse, scope, off, found, depth + 1);
            }
            Expr::Starred { value, .. } => walk(value, scope, off, found, depth + 1),
            Expr::Subscript { value, index, .. } => {
                walk(value, scope, off, found, depth + 1);
                walk(index, scope, off, found, depth + 1);
            }
            Expr::Lambda(l) => walk(&l.body, scope, off, found, depth + 1),
            _ => {}
        }
    }
    for site in &file.ir.calls {
        if site.call.span.contains(offset) {
            walk(
                &Expr::Call(site.call.clone()),
                site.scope,
                offset,
                &mut found,
                0,
            );
        }
    }
    for d in &file.ir.defs {
        if let crate::syntax::ir::DefKind::Value(e) = &d.kind {
            // The bound name itself (hover on `init` in `init = HeNormal()`).
            if d.span.contains(offset) {
                found.push((
                    Expr::Name {
                        id: d.name.clone(),
                        span: d.span,
                    },
                    d.scope as usize,
                ));
            }
            walk(e, d.scope as usize, offset, &mut found, 0);
        }
    }
    for f in &file.ir.functions {
        for p in &f.params {
            if let Some(d) = &p.default {
                walk(d, f.parent_scope, offset, &mut found, 0);
            }
        }
    }
    found.sort_by_key(|(e, _)| std::cmp::Reverse(e.span().end - e.span().start));
    found
}

/// Go to definition: from a name, attribute or identifier string that resolves to a workspace
/// class or function (custom initializers, custom layers).
pub fn definition(ws: &Workspace, path: &Path, offset: u32) -> Vec<Target> {
    let Some(file) = ws.file(path) else {
        return Vec::new();
    };
    let exprs = exprs_at(ws, path, offset);
    let Some((e, scope)) = exprs.last().cloned() else {
        return Vec::new();
    };
    let cx = Cx {
        file: file.clone(),
        scope,
        at: e.span().start,
        frame: None,
    };
    let mut ev = Evaluator::for_file(ws, file);
    let mut out = Vec::new();
    let push = |out: &mut Vec<Target>, t: Target| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for c in eval_here(&mut ev, file, &e, &cx) {
        match &c.val {
            Val::Class(f, id) => push(
                &mut out,
                Target {
                    path: f.path.clone(),
                    span: f.ir.classes[*id].name_span,
                },
            ),
            Val::Func { file: f, id, .. } => push(
                &mut out,
                Target {
                    path: f.path.clone(),
                    span: f.ir.functions[*id].name_span,
                },
            ),
            Val::Instance(i) => push(
                &mut out,
                Target {
                    path: i.file.path.clone(),
                    span: i.file.ir.classes[i.class].name_span,
                },
            ),
            Val::Str(_) | Val::Init(_) | Val::Dict(_) => {
                for cand in ev.to_initializer(c.clone(), &cx) {
                    if let Candidate::Resolved { init, .. } = cand {
                        match &init.kind {
                            InitKind::CustomClass { file, span, .. }
                            | InitKind::CustomFunction { file, span, .. } => push(
                                &mut out,
                                Target {
                                    path: file.clone(),
                                    span: *span,
                                },
                            ),
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// `true` if the weight appears in labels: created (or maybe), and explicit unless defaults shown.
pub(crate) fn visible(w: &crate::analysis::WeightAnswer, show_defaults: bool) -> bool {
    show_defaults || !w.is_default || !matches!(w.created, Created::Yes)
}

#[allow(dead_code)]
fn _paths(_: PathBuf) {}

#[cfg(test)]
mod tests;
