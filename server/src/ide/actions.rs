//! Code actions in byte offsets: the quick fixes of the diagnostics ([`super::diagnostics`]) and
//! the refactor "make the initializer explicit". An action is offered only when the file with
//! its edits applied parses with no more errors than before (an action never breaks the code).

use super::diagnostics::{self, Diagnostic, Edit, Selection};
use crate::analysis::eval::Evaluator;
use crate::analysis::{Candidate, Created, InitKind, Workspace};
use crate::syntax::ir::Span;
use std::path::Path;

/// What an action is, for the editor's menus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// Fixes a diagnostic (`quickfix`).
    QuickFix,
    /// Rewrites code without changing what it does (`refactor.rewrite`).
    Refactor,
}

/// One code action: edits of the requested file.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    pub edits: Vec<Edit>,
    /// The diagnostic it fixes.
    pub diagnostic: Option<Diagnostic>,
    pub preferred: bool,
}

/// The actions for `range` of `path` (byte offsets): fixes of the diagnostics overlapping it, and
/// for a layer call containing its start, one refactor per weight left at its default.
pub fn code_actions(ws: &Workspace, path: &Path, range: Span, sel: &Selection) -> Vec<Action> {
    let Some(file) = ws.file(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in diagnostics::file_diagnostics(ws, path, sel) {
        if d.span.end < range.start || range.end < d.span.start {
            continue;
        }
        for f in &d.fixes {
            out.push(Action {
                title: f.title.clone(),
                kind: ActionKind::QuickFix,
                edits: f.edits.clone(),
                diagnostic: Some(d.clone()),
                preferred: f.preferred,
            });
        }
    }
    out.extend(make_explicit(ws, path, range));
    let text: &str = &file.text;
    if text.is_empty() {
        return Vec::new();
    }
    let before = crate::syntax::parse::parse(text).errors.len();
    out.retain(|a| {
        let after = diagnostics::apply(text, &a.edits);
        crate::syntax::parse::parse(&after).errors.len() <= before
    });
    out
}

/// "Make the initializer explicit": for each weight of the layer call at `range.start` whose
/// initializer is the layer's default, a Keras class whose default equals an identifier string
/// (`kernel_initializer="glorot_uniform"`), insert that argument so the code says what Keras does.
fn make_explicit(ws: &Workspace, path: &Path, range: Span) -> Vec<Action> {
    let Some(file) = ws.file(path) else {
        return Vec::new();
    };
    let text: &str = &file.text;
    let calls = ws.layer_calls_where(path, |c| c.span.contains(range.start));
    let Some(lc) = calls
        .iter()
        .filter(|c| c.span.contains(range.start))
        .min_by_key(|c| c.span.end - c.span.start)
    else {
        return Vec::new();
    };
    let Some(&i) = file.call_uses().by_span.get(&lc.span) else {
        return Vec::new();
    };
    let call = &file.ir.calls[i as usize].call;
    // A call with `*args`/`**kwargs` may already pass it.
    if call
        .args
        .iter()
        .any(|a| matches!(a, crate::syntax::ir::Expr::Starred { .. }))
        || call.keywords.iter().any(|k| k.name.is_none())
    {
        return Vec::new();
    }
    let mut ev = Evaluator::for_file(ws, file);
    let data = ws.data();
    let mut out = Vec::new();
    for w in &lc.weights {
        let (Some(param), true, Created::Yes) = (&w.parameter, w.is_default, &w.created) else {
            continue;
        };
        if call.keyword(param).is_some() || w.candidates.len() != 1 {
            continue;
        }
        let Candidate::Resolved { init, .. } = &w.candidates[0] else {
            continue;
        };
        if init.kind != InitKind::Keras || init.note.is_some() {
            continue;
        }
        // The snake_case identifier of the class whose object equals the default.
        let Some(id) = data
            .initializers
            .identifiers
            .iter()
            .filter(|(k, v)| {
                **v == init.class && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
            .map(|(k, _)| k.as_str())
            .filter(|k| ev.identifier(k).is_ok_and(|iv| iv.config == init.config))
            .max_by_key(|k| k.len())
        else {
            continue;
        };
        let Some(edit) = insert_keyword(text, call.span, &format!("{param}=\"{id}\"")) else {
            continue;
        };
        out.push(Action {
            title: format!(
                "Make `{param}` explicit: \"{id}\" (the default of `{}`)",
                lc.layer
            ),
            kind: ActionKind::Refactor,
            edits: vec![edit],
            diagnostic: None,
            preferred: false,
        });
    }
    out
}

/// The edit that adds keyword argument `kw` as the last argument of the call spanning `call`.
fn insert_keyword(text: &str, call: Span, kw: &str) -> Option<Edit> {
    let body = text.get(call.start as usize..call.end as usize)?;
    if !body.ends_with(')') {
        return None;
    }
    let close = call.end - 1;
    let before = text.get(call.start as usize..close as usize)?;
    let last = before.trim_end().chars().last()?;
    let trailing_ws = (before.len() - before.trim_end().len()) as u32;
    let at = close - trailing_ws;
    let new_text = match last {
        '(' => kw.to_string(),
        ',' => format!(" {kw}"),
        _ => format!(", {kw}"),
    };
    // A comment on the last line would swallow the argument.
    if before.lines().last().is_some_and(|l| l.contains('#')) {
        return None;
    }
    Some(Edit {
        span: Span::new(at, at),
        new_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_keyword_places_the_argument_before_the_parenthesis() {
        let t = "Dense(4)";
        let e = insert_keyword(t, Span::new(0, t.len() as u32), "a=1").unwrap();
        assert_eq!(diagnostics::apply(t, &[e]), "Dense(4, a=1)");
        let t = "Dense()";
        let e = insert_keyword(t, Span::new(0, t.len() as u32), "a=1").unwrap();
        assert_eq!(diagnostics::apply(t, &[e]), "Dense(a=1)");
        let t = "Dense(\n    4,\n)";
        let e = insert_keyword(t, Span::new(0, t.len() as u32), "a=1").unwrap();
        assert_eq!(diagnostics::apply(t, &[e]), "Dense(\n    4, a=1\n)");
    }
}
