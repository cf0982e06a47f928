//! Parsing with per-statement error recovery.
//!
//! rustpython-parser 0.4 has no error recovery: one syntax error loses the whole file. We split the
//! text into *statement units* with a light line scanner (indentation, brackets, strings), and when
//! the parser fails we blank the unit that the error points to (replacing its bytes with spaces and
//! a placeholder `pass` or `if 1:`), then parse again. Blanking keeps every byte offset, so the AST of
//! the remaining statements has exact positions. Each blanked unit becomes a [`SyntaxError`].
//!
//! Run this on a thread with a large stack (see [`crate::syntax::with_big_stack`]): deep expressions
//! make the parser's AST and its drop recurse.

use rustpython_parser::{ast, Parse};

/// A statement that could not be parsed and was left out of the AST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte range of the statement unit that was left out.
    pub range: (u32, u32),
    /// The parser's message, with a hint where one is known.
    pub message: String,
}

/// The AST of every statement that parsed, and the statements that did not.
pub struct Parsed {
    pub suite: Vec<ast::Stmt>,
    pub errors: Vec<SyntaxError>,
}

/// CPython refuses more than 200 nested brackets ("too many nested parentheses"); so do we, before
/// parsing, which also keeps pathological inputs from building very deep trees.
pub const MAX_BRACKET_DEPTH: u32 = 200;

/// How many re-parses the recovery may spend on one file.
const MAX_RECOVERY_ROUNDS: usize = 64;

#[derive(Clone, Debug)]
struct Unit {
    /// Offset of the first non-blank byte.
    start: usize,
    /// End offset (exclusive), before the trailing line break of the unit's last line.
    end: usize,
    indent: usize,
    /// Brackets or strings still open at the end of the unit.
    unbalanced: bool,
    max_depth: u32,
}

/// Splits `text` into statement units. Never fails.
fn units(text: &str) -> Vec<Unit> {
    let b = text.as_bytes();
    let mut out: Vec<Unit> = Vec::new();
    let mut depth: i64 = 0;
    let mut in_triple: Option<u8> = None;
    let mut backslash = false;
    let mut pos = 0usize;
    while pos < b.len() {
        // One physical line: [pos, line_end), then its break.
        let mut line_end = pos;
        while line_end < b.len() && b[line_end] != b'\n' && b[line_end] != b'\r' {
            line_end += 1;
        }
        let mut next = line_end;
        if next < b.len() {
            if b[next] == b'\r' && b.get(next + 1) == Some(&b'\n') {
                next += 2;
            } else {
                next += 1;
            }
        }
        let mut i = pos;
        let mut indent = 0;
        while i < line_end && (b[i] == b' ' || b[i] == b'\t' || b[i] == b'\x0c') {
            indent += if b[i] == b'\t' { 8 - indent % 8 } else { 1 };
            i += 1;
        }
        let blank = i >= line_end || b[i] == b'#';
        if in_triple.is_none() && !blank {
            let starts_new = match out.last() {
                None => true,
                Some(u) => {
                    (depth == 0 && !backslash)
                        || (indent <= u.indent && !matches!(b[i], b')' | b']' | b'}'))
                }
            };
            if starts_new {
                if let Some(u) = out.last_mut() {
                    u.unbalanced = depth != 0 || backslash;
                }
                depth = 0;
                out.push(Unit {
                    start: i,
                    end: line_end,
                    indent,
                    unbalanced: false,
                    max_depth: 0,
                });
            }
        }
        // Scan the line's tokens that matter: strings, comments, brackets, a final backslash.
        backslash = false;
        let mut j = if in_triple.is_some() { pos } else { i };
        while j < line_end {
            let c = b[j];
            if let Some(q) = in_triple {
                if c == b'\\' {
                    j += 2;
                    continue;
                }
                if c == q && b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
                    in_triple = None;
                    j += 3;
                    continue;
                }
                j += 1;
                continue;
            }
            match c {
                b'#' => break,
                b'\'' | b'"' => {
                    if b.get(j + 1) == Some(&c) && b.get(j + 2) == Some(&c) {
                        in_triple = Some(c);
                        j += 3;
                        continue;
                    }
                    j += 1;
                    while j < line_end && b[j] != c {
                        if b[j] == b'\\' {
                            j += 1;
                        }
                        j += 1;
                    }
                    j += 1;
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if let Some(u) = out.last_mut() {
                        u.max_depth = u.max_depth.max(depth.min(u32::MAX as i64) as u32);
                    }
                }
                b')' | b']' | b'}' => depth = (depth - 1).max(0),
                b'\\' if j + 1 == line_end => backslash = true,
                _ => {}
            }
            j += 1;
        }
        if let Some(u) = out.last_mut() {
            if !blank || in_triple.is_some() {
                u.end = line_end.max(u.end);
            }
        }
        pos = next;
    }
    if let Some(u) = out.last_mut() {
        u.unbalanced = depth != 0 || backslash || in_triple.is_some();
    }
    out
}

/// Replaces unit `u` in `buf` by a placeholder statement of the same byte length.
fn blank(buf: &mut [u8], units: &[Unit], k: usize) {
    let u = &units[k];
    let opens_block = units.get(k + 1).is_some_and(|n| n.indent > u.indent);
    for byte in &mut buf[u.start..u.end] {
        if *byte != b'\n' && *byte != b'\r' {
            *byte = b' ';
        }
    }
    let first_line_len = buf[u.start..u.end]
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .unwrap_or(u.end - u.start);
    let placeholder: &[u8] = if opens_block && first_line_len >= 5 {
        b"if 1:"
    } else if first_line_len >= 4 {
        b"pass"
    } else {
        b"0"
    };
    buf[u.start..u.start + placeholder.len()].copy_from_slice(placeholder);
}

/// Parses `buf`, whose byte 0 is at offset `base` of the file; errors are relative to `buf`.
fn parse_bytes(buf: &[u8], base: u32) -> Result<Vec<ast::Stmt>, (u32, String)> {
    // Blanking only writes ASCII over whole units that start and end on character boundaries.
    let src = std::str::from_utf8(buf).map_err(|e| (e.valid_up_to() as u32, e.to_string()))?;
    ast::Suite::parse_starts_at(src, "<file>", base.into())
        .map_err(|e| (e.offset.to_u32().saturating_sub(base), e.error.to_string()))
}

fn hint(text: &str, u: &Unit) -> &'static str {
    let s = &text[u.start..u.end];
    if s.contains("f\"") || s.contains("f'") || s.contains("F\"") || s.contains("F'") {
        " (an f-string using Python 3.12 syntax, PEP 701, is not supported by the parser)"
    } else {
        ""
    }
}

/// Parses `text`, leaving out statements that do not parse. Never fails, never panics on any input.
pub fn parse(text: &str) -> Parsed {
    // A byte order mark is not Python: parse what follows it, at offset 3.
    let base: u32 = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let full = text;
    let text = &text[base as usize..];
    let all = units(text);
    let mut buf = text.as_bytes().to_vec();
    let mut gone = vec![false; all.len()];
    let mut errors = Vec::new();
    for (k, u) in all.iter().enumerate() {
        if u.max_depth > MAX_BRACKET_DEPTH {
            blank(&mut buf, &all, k);
            gone[k] = true;
            errors.push(SyntaxError {
                range: (base + u.start as u32, base + u.end as u32),
                message: format!("too many nested brackets (more than {MAX_BRACKET_DEPTH}, as CPython allows); statement skipped"),
            });
        }
    }
    let unit_at = |off: usize| -> Option<usize> {
        match all.binary_search_by(|u| u.start.cmp(&off)) {
            Ok(k) => Some(k),
            Err(0) => None,
            Err(k) => Some(k - 1),
        }
    };
    let mut last = parse_bytes(&buf, base);
    for _ in 0..MAX_RECOVERY_ROUNDS {
        let (off, msg) = match &last {
            Ok(_) => break,
            Err(e) => e.clone(),
        };
        let here = unit_at(off as usize).unwrap_or(0);
        // Candidates: the unit the error is in, the one before it, and the nearest unbalanced unit
        // before it (a missing closing bracket usually fails only at a later statement).
        let mut cands: Vec<usize> = Vec::new();
        let prev_live = |from: usize| (0..from).rev().find(|&k| !gone[k]);
        if here < all.len() && !gone[here] {
            cands.push(here);
        }
        if let Some(p) = prev_live(here) {
            cands.push(p);
        }
        if let Some(p) = (0..here.min(all.len()))
            .rev()
            .find(|&k| !gone[k] && all[k].unbalanced)
        {
            cands.push(p);
        }
        if here >= all.len() || gone[here] {
            if let Some(p) = prev_live(all.len()) {
                cands.push(p);
            }
        }
        cands.dedup();
        if cands.is_empty() {
            break;
        }
        // Keep the candidate that gets the parse furthest.
        let mut best: Option<(usize, Result<Vec<ast::Stmt>, (u32, String)>)> = None;
        for &k in &cands {
            let mut trial = buf.clone();
            blank(&mut trial, &all, k);
            let r = parse_bytes(&trial, base);
            let better = match (&best, &r) {
                (None, _) => true,
                (Some((_, Ok(_))), _) => false,
                (Some((_, Err(_))), Ok(_)) => true,
                (Some((_, Err((bo, _)))), Err((ro, _))) => ro > bo,
            };
            if better {
                best = Some((k, r));
            }
            if matches!(best, Some((_, Ok(_)))) {
                break;
            }
        }
        let (k, r) = best.expect("at least one candidate");
        blank(&mut buf, &all, k);
        gone[k] = true;
        let u = &all[k];
        errors.push(SyntaxError {
            range: (base + u.start as u32, base + u.end as u32),
            message: format!("syntax error: {msg}{}; statement skipped", hint(text, u)),
        });
        last = r;
    }
    let suite = match last {
        Ok(s) => s,
        Err((off, msg)) => {
            errors.push(SyntaxError {
                range: (base + off, full.len() as u32),
                message: format!(
                    "syntax error: {msg}; the rest of the file could not be recovered"
                ),
            });
            Vec::new()
        }
    };
    errors.sort_by_key(|e| e.range);
    Parsed { suite, errors }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustpython_parser::ast::Ranged;

    fn names(p: &Parsed, text: &str) -> Vec<String> {
        p.suite
            .iter()
            .map(|s| {
                let r = s.range();
                text[r.start().to_usize()..r.end().to_usize()]
                    .lines()
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn ranges_are_byte_offsets() {
        let text = "x = 'é😀'\ny = 2\n";
        let p = parse(text);
        assert_eq!(names(&p, text), ["x = 'é😀'", "y = 2"]);
    }

    #[test]
    fn missing_paren_loses_only_that_statement() {
        let text = "a = Dense(1)\nb = Dense(2\nc = Dense(3)\nd = 4\n";
        let p = parse(text);
        assert_eq!(
            names(&p, text),
            ["a = Dense(1)", "b = ", "c = Dense(3)", "d = 4"]
        );
        assert_eq!(p.errors.len(), 1);
    }

    #[test]
    fn missing_colon_keeps_the_body() {
        let text = "def f(x)\n    y = Dense(1)\n    return y\nz = 1\n";
        let p = parse(text);
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(names(&p, text), ["def f(x)", "z = 1"]);
    }

    #[test]
    fn error_inside_method_keeps_class() {
        let text = "class A:\n    def f(self):\n        x = (\n        return 1\n    def g(self):\n        return Dense(2)\n";
        let p = parse(text);
        assert_eq!(names(&p, text), ["class A:"]);
    }

    #[test]
    fn pep701_fstring_is_reported() {
        let text = "a = 1\nb = f\"{x[\"k\"]}\"\nc = 2\n";
        let p = parse(text);
        assert_eq!(p.suite.len(), 3);
        assert!(p.errors[0].message.contains("PEP 701"), "{:?}", p.errors);
    }

    #[test]
    fn deep_brackets_are_refused_without_recursion() {
        let text = format!(
            "a = 1\nb = {}1{}\nc = 2\n",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let p = parse(&text);
        assert_eq!(p.suite.len(), 3);
        assert!(p.errors[0].message.contains("nested"));
    }
}
