//! Parsing with per-statement error recovery.
//!
//! rustpython-parser 0.4 has no error recovery: one syntax error loses the whole file. We split the
//! text into *statement units* with a light line scanner (indentation, brackets, strings), and when
//! the parser fails we blank the unit that the error points to (replacing its bytes with spaces and
//! a placeholder `pass` or `if 1:`), then parse again. Blanking keeps every byte offset, so the AST of
//! the remaining statements has exact positions. Each blanked unit becomes a [`SyntaxError`].
//!
//! When the whole file does not parse, it is cut into *segments* at top-level statements that the
//! scanner sees as cleanly separated (no bracket, string or backslash continuation open, not an
//! `else:`/`except:`/... clause, not after a decorator), and each segment is parsed on its own at its
//! own offset. A syntax error then costs at most its segment, recovery re-parses only that segment,
//! and a file with many errors stays linear.
//!
//! Statements nested too deeply for CPython (more than [`MAX_BRACKET_DEPTH`] brackets, or an
//! estimated expression nesting above [`MAX_EXPR_NESTING`], e.g. `x = 1+1+...` 100k long) are
//! blanked before parsing: the parser's AST and its drop recurse, and a 10M-deep chain would overflow
//! even a big stack.
//!
//! Run this on a thread with a large stack (see [`crate::syntax::with_big_stack`]).

use rustpython_parser::{ast, Parse};

/// A statement that could not be parsed and was left out of the AST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte range of the statement unit that was left out.
    pub range: (u32, u32),
    /// The parser's message, with a hint where one is known.
    pub message: String,
    /// What the analysis does about the statement.
    pub effect: ErrorEffect,
}

impl ErrorEffect {
    /// `true` when `span` (a byte range of the new text) overlaps the changed range of a kept
    /// statement.
    pub fn hides(&self, span: (u32, u32)) -> bool {
        match self {
            // Overlap (for an empty change, a deletion at q: span.0 < q < span.1), or inside the
            // change (a call that was wholly replaced collapses to a point of it).
            ErrorEffect::KeptLastGood { changed } => {
                (span.0 < changed.1 && changed.0 < span.1)
                    || (changed.0 <= span.0 && span.1 <= changed.1)
            }
            _ => false,
        }
    }
}

/// What became of the code a [`SyntaxError`] covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorEffect {
    /// The statement unit was left out (blanked to a placeholder of the same length).
    Skipped,
    /// The statement unit was left out, and the version of it from the last text in which it
    /// parsed is analysed in its place (see [`crate::syntax::last_good`]). `changed` is the byte
    /// range of the new text that differs from that text: a layer call that overlaps it is not
    /// answered (its last answer no longer matches what is written).
    KeptLastGood { changed: (u32, u32) },
    /// From the error to the end of its segment nothing could be recovered.
    RestLost,
}

/// The AST of every statement that parsed, and the statements that did not.
pub struct Parsed {
    pub suite: Vec<ast::Stmt>,
    pub errors: Vec<SyntaxError>,
}

/// CPython refuses more than 200 nested brackets ("too many nested parentheses"); so do we, before
/// parsing, which also keeps pathological inputs from building very deep trees.
pub const MAX_BRACKET_DEPTH: u32 = 200;

/// Upper bound of the expression nesting of one statement, as estimated by the scanner (operators,
/// attribute accesses, calls and subscripts, `not`/`lambda`/`if`/`await` in a comma-separated
/// element, summed over the enclosing brackets). CPython gives up near 3,000 (`RecursionError
/// during ast construction`); the estimate over-counts, so the limit is higher.
pub const MAX_EXPR_NESTING: u32 = 10_000;

/// How many re-parses the recovery may spend on one segment.
const MAX_RECOVERY_ROUNDS: usize = 64;

/// How many bytes the recovery may re-parse for one segment (bounds the work on a huge segment).
const RECOVERY_BUDGET: usize = 256 << 20;

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
    /// Estimated expression nesting (see [`MAX_EXPR_NESTING`]).
    nesting: u32,
    /// Starts after a `;` on the line of the unit before it.
    mid_line: bool,
    /// Its code ends with `:` (it opens a block, when it parses).
    colon: bool,
}

/// Python keywords that nest an expression (`not not x`, `lambda: lambda: x`, `a if b else c if d
/// else e`, `await await x`).
fn nesting_keyword(w: &[u8]) -> bool {
    matches!(
        w,
        b"not" | b"lambda" | b"if" | b"else" | b"await" | b"yield" | b"in" | b"is"
    )
}

/// Splits `text` into statement units. Never fails.
fn units(text: &str) -> Vec<Unit> {
    let b = text.as_bytes();
    let mut out: Vec<Unit> = Vec::new();
    let mut depth: i64 = 0;
    let mut in_triple: Option<u8> = None;
    let mut backslash = false;
    // Operator counts per open bracket (index 0: outside brackets), and their sum.
    let mut chain: Vec<u64> = vec![0];
    let mut chain_total: u64 = 0;
    // Where the open triple-quoted string started: (unit, end of its line, start of the next line).
    let mut triple_open: Option<(usize, usize, usize)> = None;
    let mut restarts = 0;
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
                chain.clear();
                chain.push(0);
                chain_total = 0;
                out.push(Unit {
                    start: i,
                    end: line_end,
                    indent,
                    unbalanced: false,
                    max_depth: 0,
                    nesting: 0,
                    mid_line: false,
                    colon: false,
                });
            }
        }
        // Scan the line's tokens that matter: strings, comments, brackets, operators, a final
        // backslash.
        backslash = false;
        // The last byte of code on the line (outside comments), for `Unit::colon`.
        let mut last_code: Option<u8> = None;
        let mut j = if in_triple.is_some() { pos } else { i };
        while j < line_end {
            let c = b[j];
            if in_triple.is_none() && !matches!(c, b' ' | b'\t' | b'\x0c' | b'#') {
                last_code = Some(c);
            }
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
            let mut bump = false;
            match c {
                b'#' => break,
                b'\'' | b'"' => {
                    if b.get(j + 1) == Some(&c) && b.get(j + 2) == Some(&c) {
                        in_triple = Some(c);
                        triple_open = Some((out.len().saturating_sub(1), line_end, next));
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
                    // `f()()` and `x[0][0]` nest like operators do.
                    if c != b'{' {
                        *chain.last_mut().expect("level") += 1;
                        chain_total += 1;
                    }
                    depth += 1;
                    chain.push(0);
                    if let Some(u) = out.last_mut() {
                        u.max_depth = u.max_depth.max(depth.min(u32::MAX as i64) as u32);
                        let est = chain_total + chain.len() as u64;
                        u.nesting = u.nesting.max(est.min(u32::MAX as u64) as u32);
                    }
                }
                b')' | b']' | b'}' => {
                    depth = (depth - 1).max(0);
                    if chain.len() > 1 {
                        chain_total -= chain.pop().expect("level");
                    }
                }
                b',' | b';' => {
                    chain_total -= std::mem::take(chain.last_mut().expect("level"));
                    // `a = 1; b = 2`: two units, so that a broken one does not take the other.
                    let mut k = j + 1;
                    while k < line_end && (b[k] == b' ' || b[k] == b'\t') {
                        k += 1;
                    }
                    if c == b';' && depth == 0 && k < line_end && b[k] != b'#' {
                        if let Some(u) = out.last_mut() {
                            let mut end = j;
                            while end > u.start && (b[end - 1] == b' ' || b[end - 1] == b'\t') {
                                end -= 1;
                            }
                            u.end = end;
                            let indent = u.indent;
                            chain.clear();
                            chain.push(0);
                            chain_total = 0;
                            out.push(Unit {
                                start: k,
                                end: line_end,
                                indent,
                                unbalanced: false,
                                max_depth: 0,
                                nesting: 0,
                                mid_line: true,
                                colon: false,
                            });
                        }
                    }
                }
                b'+' | b'-' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^' | b'~' | b'<'
                | b'>' | b'.' => bump = true,
                b'\\' if j + 1 == line_end => backslash = true,
                b'0'..=b'9' => {
                    // A number (`1.5e-3`): not operators.
                    while j + 1 < line_end
                        && (b[j + 1].is_ascii_alphanumeric()
                            || b[j + 1] == b'_'
                            || b[j + 1] == b'.')
                    {
                        j += 1;
                    }
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    let w0 = j;
                    while j + 1 < line_end
                        && (b[j + 1].is_ascii_alphanumeric()
                            || b[j + 1] == b'_'
                            || b[j + 1] >= 0x80)
                    {
                        j += 1;
                    }
                    bump = nesting_keyword(&b[w0..=j]);
                }
                _ => {}
            }
            if bump {
                *chain.last_mut().expect("level") += 1;
                chain_total += 1;
                if let Some(u) = out.last_mut() {
                    let est = chain_total + chain.len() as u64;
                    u.nesting = u.nesting.max(est.min(u32::MAX as u64) as u32);
                }
            }
            j += 1;
        }
        if let Some(u) = out.last_mut() {
            if !blank || in_triple.is_some() {
                u.end = line_end.max(u.end);
            }
            if let Some(c) = last_code {
                u.colon = c == b':' && depth == 0;
            }
        }
        pos = next;
        // A triple-quoted string still open at the end of the file (being typed): let it end with
        // its first line, and scan the rest again as code.
        if pos >= b.len() && in_triple.is_some() && restarts < 16 {
            if let Some((k, opening_line_end, after)) = triple_open.take() {
                restarts += 1;
                out.truncate(k + 1);
                if let Some(u) = out.last_mut() {
                    u.end = opening_line_end.max(u.start);
                    u.unbalanced = true;
                }
                in_triple = None;
                depth = 0;
                backslash = false;
                chain.clear();
                chain.push(0);
                chain_total = 0;
                pos = after;
            }
        }
    }
    if let Some(u) = out.last_mut() {
        u.unbalanced = depth != 0 || backslash || in_triple.is_some();
    }
    out
}

/// Replaces unit `u` in `buf` by a placeholder statement of the same byte length.
fn blank(buf: &mut [u8], units: &[Unit], k: usize) {
    let u = &units[k];
    let opens_block = units
        .get(k + 1)
        .is_some_and(|n| n.indent > u.indent && !n.mid_line);
    let original = buf[u.start..u.end].to_vec();
    for byte in &mut buf[u.start..u.end] {
        if *byte != b'\n' && *byte != b'\r' {
            *byte = b' ';
        }
    }
    let first_line_len = buf[u.start..u.end]
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .unwrap_or(u.end - u.start);
    // A broken `def NAME...`/`class NAME...` header keeps its name and scope when there is room.
    let named = opens_block
        .then(|| named_placeholder(&original, first_line_len))
        .flatten();
    let placeholder: &[u8] = if let Some(p) = &named {
        p.as_bytes()
    } else if opens_block && first_line_len >= 5 {
        b"if 1:"
    } else if first_line_len >= 4 {
        b"pass"
    } else {
        b"0"
    };
    buf[u.start..u.start + placeholder.len()].copy_from_slice(placeholder);
}

/// Offset of the start of the line that holds `at` when only indentation precedes `at` on it
/// (else `at`).
fn line_start(buf: &[u8], at: usize) -> usize {
    let mut ls = at;
    while ls > 0 && matches!(buf[ls - 1], b' ' | b'\t' | b'\x0c') {
        ls -= 1;
    }
    if ls == 0 || matches!(buf[ls - 1], b'\n' | b'\r') {
        ls
    } else {
        at
    }
}

/// How a unit is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Blank {
    /// Replaced by a placeholder of the same length at its own place ([`blank`]).
    InPlace,
    /// For an indentation error: its lines become blank lines, indentation included, so that
    /// the block around it goes on; a unit that opens a block becomes a placeholder header at
    /// the indentation of the statement before it ([`blank_reindent`]).
    Reindent,
}

/// The bytes [`Blank`] rewrites for unit `k`.
fn blank_range(buf: &[u8], units: &[Unit], k: usize, how: Blank) -> (usize, usize) {
    let u = &units[k];
    match how {
        Blank::InPlace => (u.start, u.end),
        Blank::Reindent => (line_start(buf, u.start), u.end),
    }
}

/// [`Blank::Reindent`] of unit `k`; `indent` is the indentation a placeholder header takes (`None`:
/// no placeholder, the body goes to the block before). `false` (nothing changed) for a unit that
/// shares a line with another (`a = 1; b = 2`).
fn blank_reindent(buf: &mut [u8], units: &[Unit], k: usize, indent: Option<Vec<u8>>) -> bool {
    let u = &units[k];
    if u.mid_line || units.get(k + 1).is_some_and(|n| n.mid_line) {
        return false;
    }
    let ls = line_start(buf, u.start);
    if ls == u.start && u.start > 0 && !matches!(buf[u.start - 1], b'\n' | b'\r') {
        return false;
    }
    let original = buf[u.start..u.end].to_vec();
    for byte in &mut buf[ls..u.end] {
        if *byte != b'\n' && *byte != b'\r' {
            *byte = b' ';
        }
    }
    // A header (`for x in xs:` indented wrongly) keeps its body: a placeholder header at the
    // indentation it should have.
    let opens_block = u.colon && units.get(k + 1).is_some_and(|n| n.indent > u.indent);
    let Some(indent) = indent.filter(|_| opens_block) else {
        return true;
    };
    let first_line_len = buf[ls..u.end]
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .unwrap_or(u.end - ls);
    let Some(room) = first_line_len.checked_sub(indent.len()) else {
        return true;
    };
    let named = named_placeholder(&original, room);
    let placeholder: &[u8] = match &named {
        Some(p) => p.as_bytes(),
        None if room >= 5 => b"if 1:",
        None => return true,
    };
    buf[ls..ls + indent.len()].copy_from_slice(&indent);
    buf[ls + indent.len()..ls + indent.len() + placeholder.len()].copy_from_slice(placeholder);
    true
}

/// `def NAME(*_, **__):` or `class NAME:` for a broken header that starts `def NAME` or `class NAME`,
/// if it fits in `room` bytes.
fn named_placeholder(header: &[u8], room: usize) -> Option<String> {
    let s = std::str::from_utf8(header).ok()?;
    let (kw, rest) = if let Some(r) = s.strip_prefix("def ") {
        ("def", r)
    } else if let Some(r) = s.strip_prefix("async def ") {
        ("def", r)
    } else if let Some(r) = s.strip_prefix("class ") {
        ("class", r)
    } else {
        return None;
    };
    let rest = rest.trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || name.as_bytes()[0].is_ascii_digit() || KEYWORDS.contains(&name.as_str()) {
        return None;
    }
    let p = if kw == "def" {
        format!("def {name}(*_, **__):")
    } else {
        format!("class {name}:")
    };
    (p.len() <= room).then_some(p)
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Parses `buf[a..z]`; `base` is the file offset of `buf[0]`. Error offsets are indexes into `buf`.
/// Where a parse failed: offset (an index into the buffer), the parser's message, and whether it
/// is an indentation error (`unexpected indent`, `unindent does not match ...`, `expected an
/// indented block`, inconsistent tabs).
#[derive(Clone, Debug)]
struct Failure {
    off: usize,
    message: String,
    indentation: bool,
}

fn parse_range(buf: &[u8], a: usize, z: usize, base: u32) -> Result<Vec<ast::Stmt>, Failure> {
    // Segments start and end at unit starts, and blanking only writes ASCII over whole units, so
    // the range is valid UTF-8 whenever the text is.
    let src = std::str::from_utf8(&buf[a..z]).map_err(|e| Failure {
        off: a + e.valid_up_to(),
        message: e.to_string(),
        indentation: false,
    })?;
    ast::Suite::parse_starts_at(src, "<file>", (base + a as u32).into()).map_err(|e| Failure {
        off: (e.offset.to_u32().saturating_sub(base) as usize).clamp(a, z),
        message: e.error.to_string(),
        indentation: e.error.is_indentation_error() || e.error.is_tab_error(),
    })
}

fn hint(text: &str, u: &Unit) -> &'static str {
    let s = &text[u.start..u.end];
    if s.contains("f\"") || s.contains("f'") || s.contains("F\"") || s.contains("F'") {
        " (an f-string using Python 3.12 syntax, PEP 701, is not supported by the parser)"
    } else {
        ""
    }
}

/// A clause that continues the compound statement before it (`else:`, `except E:`, ...).
fn continues_previous(text: &str, u: &Unit) -> bool {
    let s = &text.as_bytes()[u.start..u.end];
    let word_end = s
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .unwrap_or(s.len());
    matches!(&s[..word_end], b"else" | b"elif" | b"except" | b"finally")
}

/// Cuts the units into segments that parse independently when the code is valid: a segment starts
/// at a top-level unit whose predecessor is closed and that does not continue it. Returns the
/// index of each segment's first unit.
fn segment_starts(text: &str, all: &[Unit]) -> Vec<usize> {
    let mut starts = vec![0];
    for k in 1..all.len() {
        let (prev, u) = (&all[k - 1], &all[k]);
        // A line at the margin in the middle of a block (a wrong indentation: the lines after it
        // are indented, yet it opens no block) stays with the block, so that recovery can leave
        // it out and keep the block whole.
        let interrupts_block = !u.colon
            && all
                .get(k + 1)
                .is_some_and(|n| n.indent > u.indent && !n.mid_line);
        if u.indent == 0
            && !u.mid_line
            && !prev.unbalanced
            && !continues_previous(text, u)
            && text.as_bytes()[prev.start] != b'@'
            && !interrupts_block
        {
            starts.push(k);
        }
    }
    starts
}

/// State shared by the recovery of every segment.
struct Recovery<'a> {
    text: &'a str,
    base: u32,
    all: &'a [Unit],
    buf: Vec<u8>,
    gone: Vec<bool>,
    errors: Vec<SyntaxError>,
}

impl Recovery<'_> {
    /// Records unit `k` as left out; blanks it in place for [`Blank::InPlace`] (a
    /// [`Blank::Reindent`] is applied by [`Recovery::try_blank`] first).
    fn skip(&mut self, k: usize, how: Blank, message: String) {
        if how == Blank::InPlace {
            blank(&mut self.buf, self.all, k);
        }
        self.gone[k] = true;
        let u = &self.all[k];
        self.errors.push(SyntaxError {
            range: (self.base + u.start as u32, self.base + u.end as u32),
            message,
            effect: ErrorEffect::Skipped,
        });
    }

    /// The indentation unit `k` of the segment starting at unit `first` should have, for
    /// [`blank_reindent`]: of the indentation levels open before it (those of the live units
    /// before it in the segment) and less indented than the line after it, the nearest to its own
    /// (the deeper of two as near), as the bytes of a line at that level. `None` when the unit
    /// before it opens a block (the block takes the body).
    fn target_indent(&self, first: usize, k: usize) -> Option<Vec<u8>> {
        let mut open: Vec<usize> = Vec::new();
        for j in first..k {
            let u = &self.all[j];
            if self.gone[j] || u.mid_line {
                continue;
            }
            while open.last().is_some_and(|&t| self.all[t].indent > u.indent) {
                open.pop();
            }
            if open.last().is_none_or(|&t| self.all[t].indent < u.indent) {
                open.push(j);
            }
        }
        let before = (first..k)
            .rev()
            .find(|&j| !self.gone[j] && !self.all[j].mid_line);
        if before.is_some_and(|j| self.all[j].colon) {
            return None;
        }
        // A header stays above its body.
        let body = self.all.get(k + 1).map_or(usize::MAX, |n| n.indent);
        let want = self.all[k].indent;
        let level = open
            .iter()
            .filter(|&&t| self.all[t].indent < body)
            .min_by_key(|&&t| {
                (
                    self.all[t].indent.abs_diff(want),
                    usize::MAX - self.all[t].indent,
                )
            })
            .copied();
        Some(match level {
            Some(t) => {
                let u = &self.all[t];
                self.buf[line_start(&self.buf, u.start)..u.start].to_vec()
            }
            None => Vec::new(),
        })
    }

    /// Blanks unit `k` of the segment starting at unit `first` as `how` says; `false` when that
    /// does not apply (nothing changed).
    fn try_blank(&mut self, first: usize, k: usize, how: Blank) -> bool {
        match how {
            Blank::InPlace => {
                blank(&mut self.buf, self.all, k);
                true
            }
            Blank::Reindent => {
                let indent = self.target_indent(first, k);
                blank_reindent(&mut self.buf, self.all, k, indent)
            }
        }
    }

    /// Parses units `us` (bytes `a..z`), blanking units until what remains parses.
    fn segment(&mut self, us: std::ops::Range<usize>, a: usize, z: usize) -> Vec<ast::Stmt> {
        let mut last = parse_range(&self.buf, a, z, self.base);
        let mut spent = z - a;
        let rounds = if us.is_empty() {
            0
        } else {
            MAX_RECOVERY_ROUNDS
        };
        for _ in 0..rounds {
            let Failure {
                mut off,
                message: msg,
                indentation,
            } = match &last {
                Ok(_) => break,
                Err(e) => e.clone(),
            };
            if spent > RECOVERY_BUDGET {
                break;
            }
            // An indentation error points at the start of its line: the unit is after the
            // indentation.
            if indentation {
                while off < z && matches!(self.buf[off], b' ' | b'\t' | b'\x0c') {
                    off += 1;
                }
            }
            let here = match self.all[us.clone()].binary_search_by(|u| u.start.cmp(&off)) {
                Ok(k) => us.start + k,
                Err(0) => us.start,
                Err(k) => us.start + k - 1,
            };
            // Candidates: the unit the error is in, the one before it, and the nearest unbalanced
            // unit before it (a missing closing bracket usually fails only at a later statement).
            let gone = &self.gone;
            let prev_live = |from: usize| (us.start..from).rev().find(|&k| !gone[k]);
            let mut cands: Vec<(usize, Blank)> = Vec::new();
            // An indentation error: the line it is on and the line before, left out with their
            // indentation so that the block around them goes on. The line before first when it
            // dips below the lines around it without opening a block (a line put at the margin
            // in the middle of a block makes the next one "unexpected"; leaving out either
            // parses, but only the dip is wrong).
            if indentation {
                let all = self.all;
                let prev = prev_live(here);
                let dip = prev.filter(|&p| {
                    let u = &all[p];
                    !u.colon
                        && u.indent < all[here].indent
                        && prev_live(p).is_some_and(|q| all[q].indent > u.indent)
                });
                if let Some(p) = dip {
                    cands.push((p, Blank::Reindent));
                }
                if !gone[here] {
                    cands.push((here, Blank::Reindent));
                }
                if let Some(p) = prev.filter(|_| dip.is_none()) {
                    cands.push((p, Blank::Reindent));
                }
            }
            if !gone[here] {
                cands.push((here, Blank::InPlace));
            }
            if let Some(p) = prev_live(here) {
                cands.push((p, Blank::InPlace));
            }
            if let Some(p) = (us.start..here)
                .rev()
                .find(|&k| !gone[k] && self.all[k].unbalanced)
            {
                cands.push((p, Blank::InPlace));
            }
            if gone[here] {
                if let Some(p) = prev_live(us.end) {
                    cands.push((p, Blank::InPlace));
                }
            }
            cands.dedup();
            if cands.is_empty() {
                break;
            }
            // Keep the candidate that gets the parse furthest.
            let mut best: Option<(usize, Blank, Result<Vec<ast::Stmt>, Failure>)> = None;
            for &(k, how) in &cands {
                let (from, to) = blank_range(&self.buf, self.all, k, how);
                let saved = self.buf[from..to].to_vec();
                if !self.try_blank(us.start, k, how) {
                    continue;
                }
                let r = parse_range(&self.buf, a, z, self.base);
                self.buf[from..to].copy_from_slice(&saved);
                spent += z - a;
                let better = match (&best, &r) {
                    (None, _) => true,
                    (Some((_, _, Ok(_))), _) => false,
                    (Some((_, _, Err(_))), Ok(_)) => true,
                    (Some((_, _, Err(b))), Err(r)) => r.off > b.off,
                };
                if better {
                    best = Some((k, how, r));
                }
                if matches!(best, Some((_, _, Ok(_)))) {
                    break;
                }
            }
            let Some((k, how, r)) = best else {
                break;
            };
            let message = if how == Blank::Reindent && k != here {
                let what = if self.all[k].indent < self.all[here].indent {
                    "this line is indented less than the block around it"
                } else {
                    "the indentation of this line does not match the block around it"
                };
                format!("syntax error: {what} ({msg} at the next statement); statement skipped")
            } else {
                format!(
                    "syntax error: {msg}{}; statement skipped",
                    hint(self.text, &self.all[k])
                )
            };
            if how == Blank::Reindent {
                self.try_blank(us.start, k, how);
            }
            self.skip(k, how, message);
            last = r;
        }
        match last {
            Ok(s) => s,
            Err(Failure {
                off, message: msg, ..
            }) => {
                self.errors.push(SyntaxError {
                    range: (self.base + off as u32, self.base + z as u32),
                    message: format!(
                        "syntax error: {msg}; the rest of this part of the file could not be recovered"
                    ),
                    effect: ErrorEffect::RestLost,
                });
                Vec::new()
            }
        }
    }
}

/// Parses `text`, leaving out statements that do not parse. Never fails, never panics on any input.
pub fn parse(text: &str) -> Parsed {
    let mut suite = Vec::new();
    let errors = parse_chunks(text, |chunk| suite.extend(chunk));
    Parsed { suite, errors }
}

/// The source bytes [`parse_chunks`] parses at once (whole top-level statements, so a chunk may be
/// longer): its AST is what is in memory at a time. A file of 200,000 one-line statements (11 MB)
/// had 270 MB of AST at once, parsed whole.
pub const CHUNK: usize = if cfg!(test) { 16 << 10 } else { 1 << 20 };

/// [`parse`], handing the statements to `each` in order, a chunk of about [`CHUNK`] bytes of source
/// at a time (see [`Parsed`]); returns the syntax errors, in order. Each chunk is parsed at once,
/// and when that fails, top-level statement by top-level statement with recovery.
pub fn parse_chunks(text: &str, mut each: impl FnMut(Vec<ast::Stmt>)) -> Vec<SyntaxError> {
    // A byte order mark is not Python: parse what follows it, at offset 3.
    let base: u32 = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let text = &text[base as usize..];
    let all = units(text);
    let mut r = Recovery {
        text,
        base,
        all: &all,
        buf: text.as_bytes().to_vec(),
        gone: vec![false; all.len()],
        errors: Vec::new(),
    };
    for (k, u) in all.iter().enumerate() {
        if u.max_depth > MAX_BRACKET_DEPTH {
            r.skip(k, Blank::InPlace, format!("too many nested brackets (more than {MAX_BRACKET_DEPTH}, as CPython allows); statement skipped"));
        } else if u.nesting > MAX_EXPR_NESTING {
            r.skip(
                k,
                Blank::InPlace,
                "expression nested too deeply (CPython refuses it too); statement skipped"
                    .to_string(),
            );
        }
    }
    // Nothing but blank lines and comments is one segment too (it may still not parse: a stray
    // form feed or NUL in a comment-only file).
    let starts = segment_starts(text, &all);
    // Byte range of segment `s`.
    let range = |s: usize| {
        let a = if s == 0 { 0 } else { all[starts[s]].start };
        let z = match starts.get(s + 1) {
            Some(&u) => all[u].start,
            None => text.len(),
        };
        (a, z)
    };
    let mut s = 0;
    while s < starts.len() {
        // Segments `s..e`, about `CHUNK` bytes.
        let a = range(s).0;
        let mut e = s + 1;
        while e < starts.len() && range(e).0 - a < CHUNK {
            e += 1;
        }
        let z = range(e - 1).1;
        match parse_range(&r.buf, a, z, base) {
            Ok(stmts) => each(stmts),
            Err(_) => {
                for k in s..e {
                    let (a, z) = range(k);
                    let end_unit = starts.get(k + 1).copied().unwrap_or(all.len());
                    each(r.segment(starts[k]..end_unit, a, z));
                }
            }
        }
        s = e;
    }
    let mut errors = r.errors;
    errors.sort_by_key(|e| e.range);
    errors
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
    fn chunks_of_a_large_file_are_whole_statements() {
        // More than three chunks of compound statements (if/else, decorators, try/except, a
        // class): parsed a chunk at a time, the statements are those of one parse of the whole
        // text, and one error loses only its statement.
        let unit = "@dec\ndef f(x):\n    return x\nif a:\n    b = 1\nelse:\n    b = 2\ntry:\n    c = 3\nexcept E:\n    c = 4\nclass K:\n    k = 5\nz = 6\n";
        let text = unit.repeat(3 * CHUNK / unit.len() + 7);
        let whole = parse_range(text.as_bytes(), 0, text.len(), 0).unwrap();
        let mut chunks = 0;
        let mut got = Vec::new();
        let errors = parse_chunks(&text, |c| {
            chunks += 1;
            got.extend(c)
        });
        assert!(
            errors.is_empty() && chunks > 3,
            "{chunks} chunks, {errors:?}"
        );
        let ranges = |v: &[ast::Stmt]| v.iter().map(|s| s.range()).collect::<Vec<_>>();
        assert_eq!(ranges(&got), ranges(&whole));
        // A broken statement in the middle.
        let mid = text.len() / 2;
        let at = mid + text[mid..].find("z = 6").unwrap();
        let broken = format!("{}z = = 6{}", &text[..at], &text[at + "z = 6".len()..]);
        let p = parse(&broken);
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert!(p.suite.len() >= whole.len() - 1, "{:?}", p.errors);
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
    #[test]
    fn deep_operator_chains_are_refused_before_parsing() {
        let n = 100_000;
        let chains = [
            format!("x = {}", vec!["1"; n].join("+")),
            format!("x = a{}", ".b".repeat(n)),
            format!("x = {}1", "-".repeat(n)),
            format!("x = {}1", "not ".repeat(n)),
            format!("x = f{}", "()".repeat(n)),
            format!("x = f{}", "[0]".repeat(n)),
            format!("x = {}1", "lambda: ".repeat(n)),
        ];
        for chain in chains {
            let text = format!("a = 1\n{chain}\nc = 2\n");
            let p = parse(&text);
            assert_eq!(
                names(&p, &text),
                ["a = 1", "x = ", "c = 2"],
                "{}",
                &chain[..12]
            );
            assert!(
                p.errors[0].message.contains("nested too deeply"),
                "{:?}",
                p.errors
            );
        }
    }

    #[test]
    fn long_flat_statements_are_kept() {
        let n = 100_000;
        let list = format!("x = [{}]", vec!["1.5e-3 + a.b"; n].join(", "));
        let chain = format!("y = {}", vec!["1"; 2000].join("+"));
        let text = format!("{list}\n{chain}\n");
        let p = parse(&text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.suite.len(), 2);
    }

    #[test]
    fn errors_stay_in_their_top_level_segment() {
        // The error is unrecoverable inside `f`, but `g`, the decorated `h` and the if/else at
        // top level are their own segments and keep every statement.
        let text = "def f():\n    x = (\n    [\n    y = {\n\ndef g():\n    return Dense(1)\n\n@dec\ndef h():\n    pass\nif a:\n    b = 1\nelse:\n    b = 2\n";
        let p = parse(text);
        let n = names(&p, text);
        assert!(
            n.ends_with(&[
                "def g():".to_string(),
                "def h():".to_string(),
                "if a:".to_string()
            ]),
            "{n:?} {:?}",
            p.errors
        );
    }

    /// The statements of a suite, nested ones included, as the first line of each.
    fn all_names(suite: &[ast::Stmt], text: &str, out: &mut Vec<String>) {
        for s in suite {
            let r = s.range();
            let line = text[r.start().to_usize()..r.end().to_usize()]
                .lines()
                .next();
            out.push(line.unwrap().to_string());
            match s {
                ast::Stmt::FunctionDef(f) => all_names(&f.body, text, out),
                ast::Stmt::ClassDef(c) => all_names(&c.body, text, out),
                ast::Stmt::For(f) => all_names(&f.body, text, out),
                ast::Stmt::If(i) => all_names(&i.body, text, out),
                _ => {}
            }
        }
    }

    #[test]
    fn a_wrong_indentation_costs_only_its_line() {
        // Issue 15, item 13: one line indented wrongly in the middle of a function lost the
        // whole function, with a diagnostic per following line.
        let body = |line: &str| {
            format!(
                "def build():\n    a = Dense(1)\n{line}\n    c = Dense(3)\n    d = Dense(4)\n    return a, c, d\nz = 1\n"
            )
        };
        let rest = [
            "def build():",
            "a = Dense(1)",
            "c = Dense(3)",
            "d = Dense(4)",
            "return a, c, d",
            "z = 1",
        ];
        for (line, message) in [
            // More indented: "unexpected indent".
            ("      b = Dense(2)", "syntax error: unexpected indent; statement skipped"),
            // Less indented, at no level open: "unindent does not match".
            (
                "  b = Dense(2)",
                "syntax error: unindent does not match any outer indentation level; statement skipped",
            ),
            // At the margin: the function ends there for Python, and the next line is
            // "unexpected"; the line at the margin is the one left out.
            (
                "b = Dense(2)",
                "syntax error: this line is indented less than the block around it (unexpected indent at the next statement); statement skipped",
            ),
            // A tab among spaces.
            (
                "\tb = Dense(2)",
                "syntax error: inconsistent use of tabs and spaces in indentation; statement skipped",
            ),
        ] {
            let text = body(line);
            let p = parse(&text);
            let mut n = Vec::new();
            all_names(&p.suite, &text, &mut n);
            assert_eq!(n, rest, "{line:?}: {:?}", p.errors);
            assert_eq!(p.errors.len(), 1, "{line:?}: {:?}", p.errors);
            let e = &p.errors[0];
            assert_eq!(&text[e.range.0 as usize..e.range.1 as usize], line.trim());
            assert_eq!(e.message, message);
        }
    }

    /// The shape of a suite: statement kinds, bodies in brackets.
    fn shape(suite: &[ast::Stmt]) -> String {
        suite
            .iter()
            .map(|s| match s {
                ast::Stmt::FunctionDef(f) => format!("def {}[{}]", f.name, shape(&f.body)),
                ast::Stmt::ClassDef(c) => format!("class {}[{}]", c.name, shape(&c.body)),
                ast::Stmt::For(f) => format!("for[{}]", shape(&f.body)),
                ast::Stmt::If(i) => format!("if[{}]", shape(&i.body)),
                ast::Stmt::Assign(a) => match &a.targets[0] {
                    ast::Expr::Name(n) => n.id.to_string(),
                    _ => "=".into(),
                },
                ast::Stmt::Return(_) => "return".into(),
                _ => "?".into(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_wrongly_indented_header_keeps_its_body() {
        for (text, want) in [
            (
                "def build():\n    a = Dense(1)\n      for i in range(3):\n          b = Dense(2)\n    c = Dense(3)\n",
                "def build[a if[b] c]",
            ),
            // Between two open levels (4 and 8): at the one that keeps its body below it.
            (
                "class A:\n    def f(self):\n        x = 1\n      def g(self, inputs):\n        return Dense(2)\n    y = 2\n",
                "class A[def f[x] def g[return] y]",
            ),
            // Moved to the margin after a block: still in the block.
            (
                "def build():\n    a = Dense(1)\nb = Dense(2)\n    c = Dense(3)\nz = 1\n",
                "def build[a c] z",
            ),
        ] {
            let p = parse(text);
            assert_eq!(p.errors.len(), 1, "{text:?}: {:?}", p.errors);
            assert_eq!(shape(&p.suite), want, "{text:?}: {:?}", p.errors);
        }
    }

    #[test]
    fn odd_bytes_do_not_panic() {
        for text in [
            "\u{feff}a = 1\n",
            "a = 1\0\nb = 2\n",
            "a = 1\rb = (\rc = 3\r",
            "\0",
            "\u{feff}",
            "\r\r\n(",
            "'''",
            "\\",
            "\t\tx\n  y\n",
        ] {
            let _ = parse(text);
        }
    }
}
