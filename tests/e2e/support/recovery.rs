//! Recovery while typing, measured.
//!
//! For every statement of a Python file, one at a time, inject an edit that a person makes while
//! typing (a deleted character, a missing closing parenthesis, a missing colon, an unclosed string,
//! a line truncated mid-expression, a Python 3.12 f-string, a wrong indentation), analyse the
//! broken file, and compare
//! the answers of every layer call *outside* the broken statement with the unbroken file's answers
//! (calls matched by their span, shifted by the edit). Used by `tests/e2e/recovery.rs` (a subset,
//! asserted in `cargo test`) and `server/examples/recovery.rs` (every file, prints the figures).

#![allow(dead_code)]

use keras_lsp::analysis::{LayerCall, Settings, Workspace};
use keras_lsp::index::{self, WalkOptions};
use rustpython_parser::ast::{self, Ranged};
use rustpython_parser::{lexer, Mode, Tok};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The kinds of edits, in report order.
pub const KINDS: [&str; 7] = [
    "deleted character",
    "missing closing parenthesis",
    "missing colon",
    "unclosed string",
    "line truncated mid-expression",
    "PEP 701 f-string",
    "wrong indentation",
];

/// One broken version of a file.
#[derive(Clone, Debug)]
pub struct Variant {
    pub kind: &'static str,
    /// Byte range of the broken statement in the original (its header for a compound statement).
    pub region: (usize, usize),
    /// The edit: replace `old` (a byte range of the original) by `new`.
    pub old: (usize, usize),
    pub new: String,
    /// The statement is compound (the region is its header).
    pub compound: bool,
}

impl Variant {
    pub fn apply(&self, text: &str) -> String {
        let mut s = String::with_capacity(text.len() + self.new.len());
        s.push_str(&text[..self.old.0]);
        s.push_str(&self.new);
        s.push_str(&text[self.old.1..]);
        s
    }

    fn delta(&self) -> i64 {
        self.new.len() as i64 - (self.old.1 - self.old.0) as i64
    }

    /// Where an original span outside the region is in the broken text.
    fn map(&self, s: (u32, u32)) -> (u32, u32) {
        if s.0 as usize >= self.region.1 {
            let d = self.delta();
            ((s.0 as i64 + d) as u32, (s.1 as i64 + d) as u32)
        } else {
            s
        }
    }
}

/// Where a statement sits in its block: nested (not at the margin), first, last.
#[derive(Clone, Copy, Debug, Default)]
struct Place {
    nested: bool,
    first: bool,
    last: bool,
}

/// Every statement of a suite, nested ones included, with its region: the whole statement for a
/// simple statement, the header up to the body for a compound one.
fn regions(suite: &[ast::Stmt], out: &mut Vec<((usize, usize), bool)>) {
    let mut places = Vec::new();
    regions_placed(suite, false, out, &mut places);
}

fn regions_placed(
    suite: &[ast::Stmt],
    nested: bool,
    out: &mut Vec<((usize, usize), bool)>,
    places: &mut Vec<Place>,
) {
    for (i, s) in suite.iter().enumerate() {
        places.push(Place {
            nested,
            first: i == 0,
            last: i + 1 == suite.len(),
        });
        let r = s.range();
        let (start, end) = (r.start().to_usize(), r.end().to_usize());
        let bodies: Vec<&[ast::Stmt]> = match s {
            ast::Stmt::FunctionDef(f) => vec![&f.body],
            ast::Stmt::AsyncFunctionDef(f) => vec![&f.body],
            ast::Stmt::ClassDef(c) => vec![&c.body],
            ast::Stmt::If(i) => vec![&i.body, &i.orelse],
            ast::Stmt::For(f) => vec![&f.body, &f.orelse],
            ast::Stmt::AsyncFor(f) => vec![&f.body, &f.orelse],
            ast::Stmt::While(w) => vec![&w.body, &w.orelse],
            ast::Stmt::With(w) => vec![&w.body],
            ast::Stmt::AsyncWith(w) => vec![&w.body],
            ast::Stmt::Try(t) => vec![&t.body, &t.orelse, &t.finalbody],
            ast::Stmt::TryStar(t) => vec![&t.body, &t.orelse, &t.finalbody],
            _ => vec![],
        };
        match bodies.first().and_then(|b| b.first()) {
            Some(first) => {
                out.push(((start, first.range().start().to_usize()), true));
                for b in bodies {
                    regions_placed(b, true, out, places);
                }
                if let ast::Stmt::Try(t) = s {
                    for h in &t.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        regions_placed(&h.body, true, out, places);
                    }
                }
            }
            None => out.push(((start, end), false)),
        }
    }
}

/// The edits for one file, in statement order.
pub fn variants(text: &str) -> Vec<Variant> {
    let parsed = keras_lsp::syntax::parse::parse(text);
    let mut regs = Vec::new();
    let mut places = Vec::new();
    regions_placed(&parsed.suite, false, &mut regs, &mut places);
    let tokens: Vec<(Tok, (usize, usize))> = lexer::lex(text, Mode::Module)
        .filter_map(Result::ok)
        .map(|(t, r)| (t, (r.start().to_usize(), r.end().to_usize())))
        .collect();
    let mut out = Vec::new();
    for (((start, end), compound), place) in regs.into_iter().zip(places) {
        // Trim the region to its code (a compound header ends before the body's indentation).
        let mut end = end;
        let b = text.as_bytes();
        while end > start && b[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        if end <= start {
            continue;
        }
        let region = (start, end);
        let toks: Vec<&(Tok, (usize, usize))> = tokens
            .iter()
            .filter(|(_, r)| r.0 >= start && r.1 <= end)
            .filter(|(t, _)| !matches!(t, Tok::Newline))
            .collect();
        let first_line_end = text[start..end]
            .find(['\n', '\r'])
            .map_or(end, |i| start + i);
        // The code of the first line: up to the end of its last token.
        let code_end = toks
            .iter()
            .filter(|(_, r)| r.1 <= first_line_end)
            .map(|(_, r)| r.1)
            .max()
            .unwrap_or(first_line_end);
        let first = &text[start..code_end];
        let mut push = |kind: &'static str, old: (usize, usize), new: &str| {
            out.push(Variant {
                kind,
                region,
                old,
                new: new.to_string(),
                compound,
            })
        };
        // 1. A deleted character: the middle non-blank character of the first line.
        let chars: Vec<(usize, char)> = first
            .char_indices()
            .filter(|(_, c)| !c.is_whitespace())
            .collect();
        if let Some(&(i, c)) = chars.get(chars.len() / 2) {
            push(KINDS[0], (start + i, start + i + c.len_utf8()), "");
        }
        // 2. A missing closing parenthesis: the last `)` of the statement (header).
        if let Some((_, r)) = toks.iter().rev().find(|(t, _)| matches!(t, Tok::Rpar)) {
            push(KINDS[1], *r, "");
        }
        // 3. A missing colon: the colon that ends a compound statement's header.
        if compound {
            if let Some((_, r)) = toks.iter().rev().find(|(t, _)| matches!(t, Tok::Colon)) {
                push(KINDS[2], *r, "");
            }
        }
        // 4. An unclosed string: drop the closing quote of the first one-line string, else start a
        //    string at the end of the first line.
        let one_line_string = toks.iter().find(|(t, r)| {
            matches!(
                t,
                Tok::String {
                    triple_quoted: false,
                    ..
                }
            ) && !text[r.0..r.1].contains(['\n', '\r'])
        });
        match one_line_string {
            Some((_, r)) => push(KINDS[3], (r.1 - 1, r.1), ""),
            None => push(KINDS[3], (code_end, code_end), " \"abc"),
        }
        // 5. The first line truncated in the middle of its code.
        if let Some(&(i, _)) = first
            .char_indices()
            .collect::<Vec<_>>()
            .get(first.chars().count() / 2)
        {
            if i > 0 {
                push(KINDS[4], (start + i, code_end), "");
            }
        }
        // 6. A PEP 701 f-string (Python 3.12) added to a simple statement.
        if !compound {
            push(KINDS[5], (end, end), "; _f = f\"{x[\"k\"]}\"");
        }
        // 7. A wrong indentation of a statement inside a block, after its first statement (the
        //    first one sets the block's indentation): two more spaces ("unexpected indent"), one
        //    fewer ("unindent does not match"), and, for a simple statement that is not the last
        //    of its block, none (at the margin, it ends the block and the next line is
        //    "unexpected").
        let line_start = text[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let indent = &text[line_start..start];
        if place.nested && !place.first && !indent.is_empty() && indent.trim().is_empty() {
            push(KINDS[6], (line_start, start), &format!("{indent}  "));
            push(KINDS[6], (line_start, start), &indent[1..]);
            if !compound && !place.last {
                push(KINDS[6], (line_start, start), "");
            }
        }
    }
    out
}

/// The answers of one call, without its position (matched by span instead).
fn answers(ws: &Workspace, path: &Path, calls: &[LayerCall]) -> HashMap<(u32, u32), Value> {
    let json = keras_lsp::cli::to_json(ws, &[(path, std::sync::Arc::new(calls.to_vec()))]);
    let layers = json["layers"].as_array().cloned().unwrap_or_default();
    calls
        .iter()
        .zip(layers)
        .map(|(c, mut v)| {
            if let Value::Object(o) = &mut v {
                o.remove("line");
                o.remove("column");
            }
            ((c.span.start, c.span.end), v)
        })
        .collect()
}

/// Counts for one kind of edit.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub variants: usize,
    /// Calls outside the broken statement, in the unbroken file.
    pub compared: usize,
    /// ... that still get exactly the same answers.
    pub same: usize,
    /// ... that are missing from the broken file's answers.
    pub lost: usize,
    /// Calls outside the broken statement whose answers do not depend on it: they are the same
    /// when the statement is removed (replaced by `pass`). A call that reads a variable the broken
    /// statement binds, or whose input shape it computes, legitimately changes.
    pub independent: usize,
    /// ... that still get exactly the same answers.
    pub independent_same: usize,
    /// Broken variants reported with more than one syntax error.
    pub several_errors: usize,
}

impl Tally {
    pub fn percent(&self) -> f64 {
        if self.compared == 0 {
            100.0
        } else {
            100.0 * self.same as f64 / self.compared as f64
        }
    }

    pub fn independent_percent(&self) -> f64 {
        if self.independent == 0 {
            100.0
        } else {
            100.0 * self.independent_same as f64 / self.independent as f64
        }
    }

    fn add(&mut self, o: &Tally) {
        self.variants += o.variants;
        self.compared += o.compared;
        self.same += o.same;
        self.lost += o.lost;
        self.independent += o.independent;
        self.independent_same += o.independent_same;
        self.several_errors += o.several_errors;
    }
}

/// The result of a run: a tally per kind, a total, and the worst variants.
#[derive(Debug, Default)]
pub struct Report {
    pub files: usize,
    pub by_kind: BTreeMap<&'static str, Tally>,
    pub total: Tally,
    /// (file, kind, broken line (1-based), calls compared, calls that changed)
    pub misses: Vec<(PathBuf, &'static str, usize, usize, usize)>,
    /// (file, kind, broken line, independent calls that changed, syntax errors)
    pub independent_misses: Vec<(PathBuf, &'static str, usize, usize, usize)>,
}

impl Report {
    pub fn print(&self) {
        println!(
            "recovery while typing: {} files, {} broken variants",
            self.files, self.total.variants
        );
        println!(
            "  {:30} {:>8}  {:>26}  {:>26}",
            "", "variants", "calls outside: same", "independent calls: same"
        );
        let line = |k: &str, t: &Tally| {
            println!(
                "  {k:30} {:8}  {:>9}/{:<6} {:>6.2}%   {:>9}/{:<6} {:>6.2}%",
                t.variants,
                t.same,
                t.compared,
                t.percent(),
                t.independent_same,
                t.independent,
                t.independent_percent()
            )
        };
        for k in KINDS {
            if let Some(t) = self.by_kind.get(k) {
                line(k, t);
            }
        }
        line("TOTAL", &self.total);
        println!(
            "  ({} calls lost: missing from the broken file's answers; {} variants with more than one syntax error)",
            self.total.lost, self.total.several_errors
        );
    }
}

/// Every `.py` file under `root`, with the workspace of `root` loaded from disk.
fn load(root: &Path) -> (Workspace, Vec<PathBuf>) {
    let opts = WalkOptions::default();
    let files = index::python_files(root, &opts);
    let ws = index::load(&[root.to_path_buf()], Settings::default(), &opts);
    (ws, files)
}

/// Measures `files` (all `.py` files under `root` when `None`). With `keep_last_good`, each broken
/// text is analysed as the next version of the unbroken one (as in an editor, where the file was
/// analysed before the keystroke broke it), so a broken statement can keep its last version that
/// parsed; without it, as a file opened broken.
pub fn measure(root: &Path, only: Option<&[&str]>, keep_last_good: bool, report: &mut Report) {
    let root = root.canonicalize().expect("root exists");
    let (ws0, files) = load(&root);
    let roots = vec![root.clone()];
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if only.is_some_and(|o| !o.contains(&name.as_str())) {
            continue;
        }
        let Some(file) = ws0.file(&path) else {
            continue;
        };
        let text = file.text.to_string();
        let calls0 = ws0.layer_calls(&path);
        if calls0.is_empty() {
            continue;
        }
        report.files += 1;
        let before = answers(&ws0, &path, &calls0);
        let analyse = |t: String| {
            let mut ws1 = ws0.clone();
            let before = keep_last_good.then_some(&**file);
            ws1.insert(index::analyse_after(
                &path,
                std::sync::Arc::from(t),
                &roots,
                before,
            ));
            let calls1 = ws1.layer_calls(&path);
            let errors = ws1.file(&path).map_or(0, |f| f.errors.len());
            (answers(&ws1, &path, &calls1), errors)
        };
        // The answers with the statement removed, per region (simple statements only; a compound
        // statement's header cannot be removed without changing its body).
        let mut ideal: HashMap<(usize, usize), HashMap<(u32, u32), Value>> = HashMap::new();
        for v in variants(&text) {
            if !v.compound && !ideal.contains_key(&v.region) {
                let mut t = text.clone().into_bytes();
                for b in &mut t[v.region.0..v.region.1] {
                    if *b != b'\n' && *b != b'\r' {
                        *b = b' ';
                    }
                }
                let ph: &[u8] = if v.region.1 - v.region.0 >= 4 {
                    b"pass"
                } else {
                    b"0"
                };
                t[v.region.0..v.region.0 + ph.len()].copy_from_slice(ph);
                let t = String::from_utf8(t).expect("ASCII over a whole statement");
                ideal.insert(v.region, analyse(t).0);
            }
            let (after, errors) = analyse(v.apply(&text));
            let removed = ideal.get(&v.region);
            let mut t = Tally {
                variants: 1,
                several_errors: (errors > 1) as usize,
                ..Tally::default()
            };
            for (&span, ans) in &before {
                let outside = span.1 as usize <= v.region.0 || span.0 as usize >= v.region.1;
                if !outside {
                    continue;
                }
                t.compared += 1;
                let same = after.get(&v.map(span)) == Some(ans);
                match after.get(&v.map(span)) {
                    Some(a) if a == ans => t.same += 1,
                    Some(_) => {}
                    None => t.lost += 1,
                }
                if removed.is_none_or(|r| r.get(&span) == Some(ans)) {
                    t.independent += 1;
                    t.independent_same += same as usize;
                }
            }
            if t.independent_same < t.independent || t.several_errors > 0 {
                let line = text[..v.region.0].matches('\n').count() + 1;
                report.independent_misses.push((
                    path.clone(),
                    v.kind,
                    line,
                    t.independent - t.independent_same,
                    errors,
                ));
            }
            if t.same < t.compared {
                let line = text[..v.region.0].matches('\n').count() + 1;
                report
                    .misses
                    .push((path.clone(), v.kind, line, t.compared, t.compared - t.same));
            }
            report.by_kind.entry(v.kind).or_default().add(&t);
            report.total.add(&t);
        }
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}
