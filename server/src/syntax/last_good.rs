//! Keeping the last version of a statement that parsed, while it is being typed.
//!
//! Someone typing `x = layers.Dense(64, kernel_initializer=init` breaks one statement at a time.
//! Left out (see [`crate::syntax::parse`]), that statement takes with it everything that depends on
//! it: the names it binds, the sub-layers a custom layer builds, the import of `layers`. When the
//! previous text of the file is known, [`parse_after`] compares it with the new text; if everything
//! that changed lies inside the one statement unit that no longer parses, and that statement did
//! parse in the previous text, the previous version of the statement is analysed in its place.
//!
//! Positions stay exact: the previous statement's byte ranges are mapped into the new text
//! (offsets before the change are kept, offsets after it move by the change in length, offsets
//! inside it are clamped to the changed region), so every range lies inside the broken statement.
//! The [`SyntaxError`](crate::syntax::parse::SyntaxError) stays, with
//! [`ErrorEffect::KeptLastGood`], so the editor still shows the error and hover can say that the
//! statement's own answer is its last good one.
//!
//! Limits: one changed region per step (an edit elsewhere while a statement is broken drops the
//! kept version); `try`, `match` and clause headers (`else:`, `except:`) are not replaced.

use super::parse::{parse, ErrorEffect, Parsed};
use rustpython_parser::ast::{self, Ranged};
use rustpython_parser::text_size::{TextRange, TextSize};

/// Parses `text` like [`parse`]. `befores` are earlier texts of the same file, most recent first
/// (the editor's previous version, then the text the previous analysis kept statements from):
/// when the only change from one of them lies inside a statement that no longer parses, and that
/// statement parsed there, its version from that text is kept.
///
/// Returns the parse and the index in `befores` of the text the kept statement comes from (the text
/// to compare the next version with).
pub fn parse_after(text: &str, befores: &[&str]) -> (Parsed, Option<usize>) {
    let mut parsed = parse(text);
    if parsed.errors.is_empty() {
        return (parsed, None);
    }
    for (i, old) in befores.iter().enumerate() {
        // The editor's previous version is often the analysed one too: parse it once.
        if befores[..i].contains(old) {
            continue;
        }
        if keep_last_good(&mut parsed, text, old) {
            return (parsed, Some(i));
        }
    }
    (parsed, None)
}

/// [`parse_after`] with one earlier text: `true` when a statement was kept.
fn keep_last_good(parsed: &mut Parsed, text: &str, old: &str) -> bool {
    if old == text {
        return false;
    }
    let (p, s) = common_ends(old, text);
    let (n, o) = (text.len(), old.len());
    // The one skipped unit that holds the whole change.
    let Some(k) = parsed.errors.iter().position(|e| {
        e.effect == ErrorEffect::Skipped
            && e.range.0 as usize <= p
            && n - s <= e.range.1 as usize
            && e.range.1 as usize >= p
    }) else {
        return false;
    };
    let (a, b) = (
        parsed.errors[k].range.0 as usize,
        parsed.errors[k].range.1 as usize,
    );
    let b_old = b + o - n;
    let prev = parse(old);
    if prev
        .errors
        .iter()
        .any(|e| (e.range.0 as usize) < b_old && a < e.range.1 as usize)
    {
        return false;
    }
    let mut map = Remap {
        text,
        p,
        old_end: o - s,
        new_end: n - s,
        delta: n as i64 - o as i64,
    };
    if !splice(&mut parsed.suite, prev.suite, a, b_old, &mut map) {
        return false;
    }
    // Decorators of a kept `def`/`class` were left out with it (a decorator before a placeholder
    // does not parse), but the kept version carries them: they are not errors of their own.
    let mut start = a;
    while let Some(j) = parsed.errors.iter().position(|e| {
        e.effect == ErrorEffect::Skipped
            && (e.range.1 as usize) <= start
            && text.as_bytes().get(e.range.0 as usize) == Some(&b'@')
            && text[e.range.1 as usize..start].trim().is_empty()
    }) {
        start = parsed.errors[j].range.0 as usize;
        parsed.errors.remove(j);
    }
    let k = parsed
        .errors
        .iter()
        .position(|e| e.range == (a as u32, b as u32))
        .unwrap_or(k);
    let e = &mut parsed.errors[k];
    e.effect = ErrorEffect::KeptLastGood {
        changed: (p as u32, (n - s) as u32),
    };
    if let Some(m) = e.message.strip_suffix("; statement skipped") {
        e.message = format!("{m}; the last version of this statement that parsed is used");
    }
    true
}

/// The lengths in bytes of the common prefix and the common suffix of `a` and `b`, on character
/// boundaries of both, not overlapping.
fn common_ends(a: &str, b: &str) -> (usize, usize) {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let mut p = x.iter().zip(y).take_while(|(c, d)| c == d).count();
    while !(a.is_char_boundary(p) && b.is_char_boundary(p)) {
        p -= 1;
    }
    let room = x.len().min(y.len()) - p;
    let mut s = x
        .iter()
        .rev()
        .zip(y.iter().rev())
        .take(room)
        .take_while(|(c, d)| c == d)
        .count();
    while !(a.is_char_boundary(x.len() - s) && b.is_char_boundary(y.len() - s)) {
        s -= 1;
    }
    (p, s)
}

/// Maps byte offsets of the previous text to the new one.
struct Remap<'a> {
    text: &'a str,
    /// Common prefix length.
    p: usize,
    /// End of the changed region in the previous text and in the new one.
    old_end: usize,
    new_end: usize,
    delta: i64,
}

impl Remap<'_> {
    fn offset(&self, o: TextSize) -> TextSize {
        let o = o.to_usize();
        let mut m = if o < self.p {
            o
        } else if o >= self.old_end {
            (o as i64 + self.delta) as usize
        } else {
            (self.p + (o - self.p)).min(self.new_end)
        };
        while !self.text.is_char_boundary(m) {
            m -= 1;
        }
        TextSize::from(m as u32)
    }
}

impl ast::Fold<TextRange> for Remap<'_> {
    type TargetU = TextRange;
    type Error = std::convert::Infallible;
    type UserContext = ();

    fn will_map_user(&mut self, _: &TextRange) {}

    fn map_user(&mut self, r: TextRange, _: ()) -> Result<TextRange, Self::Error> {
        Ok(TextRange::new(self.offset(r.start()), self.offset(r.end())))
    }
}

fn remap(s: ast::Stmt, map: &mut Remap) -> ast::Stmt {
    use ast::Fold;
    match map.fold_stmt(s) {
        Ok(s) => s,
        Err(never) => match never {},
    }
}

/// The statement lists directly inside `s`.
fn bodies(s: &ast::Stmt) -> Vec<&Vec<ast::Stmt>> {
    use ast::Stmt::*;
    match s {
        FunctionDef(f) => vec![&f.body],
        AsyncFunctionDef(f) => vec![&f.body],
        ClassDef(c) => vec![&c.body],
        If(i) => vec![&i.body, &i.orelse],
        For(f) => vec![&f.body, &f.orelse],
        AsyncFor(f) => vec![&f.body, &f.orelse],
        While(w) => vec![&w.body, &w.orelse],
        With(w) => vec![&w.body],
        AsyncWith(w) => vec![&w.body],
        Try(t) => {
            let mut v = vec![&t.body];
            v.extend(t.handlers.iter().map(|h| {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                &h.body
            }));
            v.extend([&t.orelse, &t.finalbody]);
            v
        }
        TryStar(t) => {
            let mut v = vec![&t.body];
            v.extend(t.handlers.iter().map(|h| {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                &h.body
            }));
            v.extend([&t.orelse, &t.finalbody]);
            v
        }
        Match(m) => m.cases.iter().map(|c| &c.body).collect(),
        _ => vec![],
    }
}

/// [`bodies`], mutable, in the same order.
fn bodies_mut(s: &mut ast::Stmt) -> Vec<&mut Vec<ast::Stmt>> {
    use ast::Stmt::*;
    match s {
        FunctionDef(f) => vec![&mut f.body],
        AsyncFunctionDef(f) => vec![&mut f.body],
        ClassDef(c) => vec![&mut c.body],
        If(i) => vec![&mut i.body, &mut i.orelse],
        For(f) => vec![&mut f.body, &mut f.orelse],
        AsyncFor(f) => vec![&mut f.body, &mut f.orelse],
        While(w) => vec![&mut w.body, &mut w.orelse],
        With(w) => vec![&mut w.body],
        AsyncWith(w) => vec![&mut w.body],
        Try(t) => {
            let mut v = vec![&mut t.body];
            v.extend(t.handlers.iter_mut().map(|h| {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                &mut h.body
            }));
            v.extend([&mut t.orelse, &mut t.finalbody]);
            v
        }
        TryStar(t) => {
            let mut v = vec![&mut t.body];
            v.extend(t.handlers.iter_mut().map(|h| {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                &mut h.body
            }));
            v.extend([&mut t.orelse, &mut t.finalbody]);
            v
        }
        Match(m) => m.cases.iter_mut().map(|c| &mut c.body).collect(),
        _ => vec![],
    }
}

/// `true` when offset `a` lies in the header of compound statement `s` (before its first body
/// statement).
fn in_header(s: &ast::Stmt, a: usize) -> bool {
    let first = bodies(s)
        .into_iter()
        .filter_map(|b| b.first())
        .map(|f| f.range().start().to_usize())
        .min();
    first.is_some_and(|f| a < f)
}

/// The path (statement index, body index, statement index, ...) to the deepest statement that
/// contains offset `a`.
fn path_to(suite: &[ast::Stmt], a: usize) -> Option<Vec<usize>> {
    let i = suite.iter().position(|s| {
        let r = s.range();
        r.start().to_usize() <= a && a < r.end().to_usize()
    })?;
    let s = &suite[i];
    if in_header(s, a) || bodies(s).is_empty() {
        return Some(vec![i]);
    }
    for (j, b) in bodies(s).into_iter().enumerate() {
        if let Some(mut rest) = path_to(b, a) {
            let mut path = vec![i, j];
            path.append(&mut rest);
            return Some(path);
        }
    }
    Some(vec![i])
}

/// The statement list that holds the statement at `path`.
fn list_mut<'s>(suite: &'s mut Vec<ast::Stmt>, path: &[usize]) -> &'s mut Vec<ast::Stmt> {
    match path {
        [_] | [] => suite,
        [i, j, rest @ ..] => {
            let b = bodies_mut(&mut suite[*i]).swap_remove(*j);
            list_mut(b, rest)
        }
    }
}

fn list<'s>(suite: &'s [ast::Stmt], path: &[usize]) -> &'s [ast::Stmt] {
    match path {
        [_] | [] => suite,
        [i, j, rest @ ..] => list(bodies(&suite[*i])[*j], rest),
    }
}

/// Replaces the placeholder of the unit at `a` in `new` with the statements of `old` (the previous
/// text's suite) that the unit held there (`a..b_old` in the previous text), mapped by `map`.
fn splice(
    new: &mut Vec<ast::Stmt>,
    old: Vec<ast::Stmt>,
    a: usize,
    b_old: usize,
    map: &mut Remap,
) -> bool {
    let (Some(np), Some(op)) = (path_to(new, a), path_to(&old, a)) else {
        return false;
    };
    let (ni, oi) = (*np.last().unwrap(), *op.last().unwrap());
    let placeholder = &list(new, &np)[ni];
    let olds = list(&old, &op);
    let compound = !bodies(placeholder).is_empty() && in_header(placeholder, a);
    if !compound {
        // The one old statement that starts in the unit and ends inside it (a compound one too,
        // when the broken unit swallowed its body, e.g. `def f(x:` with the `)` missing). An edit
        // that spans several old statements (joined into one broken unit) keeps none of them: the
        // statements it deleted must not come back.
        let x = &olds[oi];
        let r = x.range();
        if r.start().to_usize() < a
            || r.end().to_usize() > b_old
            || !bodies(placeholder).is_empty()
            || olds
                .get(oi + 1)
                .is_some_and(|n| n.range().start().to_usize() < b_old)
        {
            return false;
        }
        let mapped = remap(x.clone(), map);
        list_mut(new, &np)[ni] = mapped;
        return true;
    }
    // A compound header: the old statement's header with the new body.
    let x = &olds[oi];
    let body_start = bodies(x)
        .into_iter()
        .filter_map(|b| b.first())
        .map(|f| f.range().start().to_usize())
        .min();
    if !in_header(x, a) || x.range().start().to_usize() > a || body_start.is_none_or(|f| f < b_old)
    {
        return false;
    }
    use ast::Stmt::*;
    let supported = matches!(
        x,
        FunctionDef(_)
            | AsyncFunctionDef(_)
            | ClassDef(_)
            | If(_)
            | For(_)
            | AsyncFor(_)
            | While(_)
            | With(_)
            | AsyncWith(_)
    );
    if !supported {
        return false;
    }
    let mut x = remap(x.clone(), map);
    let holder = list_mut(new, &np);
    let mut ph = std::mem::replace(
        &mut holder[ni],
        ast::Stmt::Pass(ast::StmtPass {
            range: TextRange::default(),
        }),
    );
    let mut ph_bodies = bodies_mut(&mut ph);
    let body = std::mem::take(&mut *ph_bodies[0]);
    let orelse = match ph_bodies.get_mut(1) {
        Some(o) => std::mem::take(&mut **o),
        None => Vec::new(),
    };
    match &mut x {
        FunctionDef(f) => f.body = body,
        AsyncFunctionDef(f) => f.body = body,
        ClassDef(c) => c.body = body,
        With(w) => w.body = body,
        AsyncWith(w) => w.body = body,
        If(i) => (i.body, i.orelse) = (body, orelse),
        For(f) => (f.body, f.orelse) = (body, orelse),
        AsyncFor(f) => (f.body, f.orelse) = (body, orelse),
        While(w) => (w.body, w.orelse) = (body, orelse),
        _ => unreachable!("checked above"),
    }
    holder[ni] = x;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &Parsed, text: &str) -> Vec<String> {
        fn walk(suite: &[ast::Stmt], text: &str, out: &mut Vec<String>) {
            for s in suite {
                let r = s.range();
                let t = &text[r.start().to_usize()..r.end().to_usize()];
                out.push(t.lines().next().unwrap_or("").to_string());
                for b in bodies(s) {
                    walk(b, text, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&p.suite, text, &mut out);
        out
    }

    #[test]
    fn a_statement_broken_while_typing_keeps_its_last_version() {
        let old = "from keras import layers\nx = layers.Dense(4)\ny = x\n";
        let new = "from keras import lay ers\nx = layers.Dense(4)\ny = x\n";
        let (p, kept) = parse_after(new, &[old]);
        assert!(kept.is_some());
        assert_eq!(p.errors.len(), 1);
        assert!(matches!(
            p.errors[0].effect,
            ErrorEffect::KeptLastGood { .. }
        ));
        assert_eq!(p.suite.len(), 3);
        let ast::Stmt::ImportFrom(i) = &p.suite[0] else {
            panic!("{:?}", p.suite[0]);
        };
        assert_eq!(i.names[0].name.as_str(), "layers");
        // Ranges inside the new text: the statement keeps its start, the next ones are exact.
        assert_eq!(
            names(&p, new),
            ["from keras import lay ers", "x = layers.Dense(4)", "y = x"]
        );
    }

    #[test]
    fn a_broken_header_keeps_its_last_version_and_the_new_body() {
        let old = "class A(B):\n    x = 1\n";
        let new = "class A(B)\n    x = 2\n    y = 3\n";
        // Two changes (colon and body): not kept.
        assert!(parse_after(new, &[old]).1.is_none());
        let mid = "class A(B):\n    x = 2\n    y = 3\n";
        let (p, kept) = parse_after(new, &[mid]);
        assert!(kept.is_some());
        assert_eq!(names(&p, new), ["class A(B)", "x = 2", "y = 3"]);
        let ast::Stmt::ClassDef(c) = &p.suite[0] else {
            panic!()
        };
        assert_eq!(c.bases.len(), 1);
    }

    #[test]
    fn nested_statements_and_multibyte_text() {
        let old = "def f():\n    s = 'é😀'\n    return s\n";
        let new = "def f():\n    s = 'é😀\n    return s\n";
        let (p, kept) = parse_after(new, &[old]);
        assert!(kept.is_some());
        assert_eq!(names(&p, new), ["def f():", "s = 'é😀", "return s"]);
    }

    #[test]
    fn no_previous_version_or_a_change_outside_the_broken_statement() {
        let new = "x = (\ny = 1\n";
        assert!(parse_after(new, &[]).1.is_none());
        assert!(parse_after(new, &["x = (\ny = 2\n"]).1.is_none());
        // The previous version did not parse either.
        assert!(parse_after(new, &["x = ((\ny = 1\n"]).1.is_none());
    }

    #[test]
    fn an_edit_across_statements_keeps_none_of_them() {
        let old = "a = f(1)\nb = 2\nc = g(3)\n";
        // `f(1)\nb = 2\nc = ` deleted in one change: the joined line does not parse.
        let new = "a = f(g(3)\n";
        let (p, kept) = parse_after(new, &[old]);
        assert!(kept.is_none());
        assert!(
            names(&p, new).iter().all(|n| !n.starts_with("b")),
            "{:?}",
            names(&p, new)
        );
    }

    #[test]
    fn the_most_recent_earlier_text_that_parsed_wins() {
        let analysed = "x = f(seed=0)\n";
        let previous = "x = f(seed=5)\n";
        let new = "x = f(seed=5\n";
        let (p, kept) = parse_after(new, &[previous, analysed]);
        assert_eq!(kept, Some(0));
        let ast::Stmt::Assign(a) = &p.suite[0] else {
            panic!()
        };
        let ast::Expr::Call(c) = &*a.value else {
            panic!()
        };
        let ast::Expr::Constant(k) = &c.keywords[0].value else {
            panic!()
        };
        assert_eq!(format!("{:?}", k.value), "Int(5)");
        // The previous version broken too: the analysed one.
        let (_, kept) = parse_after("x = f(seed=55\n", &[new, analysed]);
        assert_eq!(kept, Some(1));
        match p.errors[0].effect {
            ErrorEffect::KeptLastGood { changed } => {
                assert_eq!(changed, (12, 12));
                assert!(p.errors[0].effect.hides((0, 13)));
                assert!(!p.errors[0].effect.hides((0, 12)));
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn the_decorators_of_a_kept_class_are_not_reported() {
        let old = "@decorate(\n    arg=1)\n@other\nclass Block(Base):\n    x = 1\n";
        let new = old.replace("(Base):", "(Base:");
        let (p, kept) = parse_after(&new, &[old]);
        assert!(kept.is_some());
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        let ast::Stmt::ClassDef(c) = p.suite.last().unwrap() else {
            panic!("{:?}", p.suite)
        };
        assert_eq!(c.decorator_list.len(), 2);
    }
}
