//! Text of hovers, labels and tooltips.

use crate::analysis::layers::py;
use crate::analysis::{
    BuiltLayer, Candidate, Created, FileAnalysis, HelperCall, InitKind, InitVal, LayerCall, Step,
    WeightAnswer, Workspace,
};
use crate::knowledge;
use crate::syntax::ir::Span;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// `RandomNormal(mean=0.0, stddev=0.02, seed=None)`.
///
/// Keras 3's `input_axes`/`output_axes` are shown only when set (EinsumDense clones).
pub fn full_init(init: &InitVal) -> String {
    let args: Vec<String> = init
        .config
        .iter()
        .filter(|(k, v)| !(matches!(k.as_str(), "input_axes" | "output_axes") && v.is_null()))
        .map(|(k, v)| format!("{k}={}", py(v)))
        .collect();
    format!("{}({})", init.class, args.join(", "))
}

/// `he_normal`, or `random_normal(stddev=0.02)` when the config differs from the class defaults.
pub fn compact_label(ws: &Workspace, init: &InitVal) -> String {
    let data = knowledge::data(ws.settings.keras);
    // Stand-ins for closures: `unit_forget_bias(zeros)`, `sqrt(ones)`.
    if let (Some(inner), true) = (
        init.config.get("initializer"),
        matches!(init.class.as_str(), "UnitForgetBias" | "SqrtOf"),
    ) {
        if let Ok(cc) = serde_json::from_value::<crate::knowledge::ClassConfig>(inner.clone()) {
            let inner = InitVal {
                class: cc.class,
                config: cc.config,
                kind: InitKind::Keras,
                note: None,
                instance: None,
            };
            let name = if init.class == "SqrtOf" {
                "sqrt"
            } else {
                "unit_forget_bias"
            };
            return format!("{name}({})", compact_label(ws, &inner));
        }
    }
    match &init.kind {
        InitKind::Keras | InitKind::TfCore { .. } => {
            let defaults = data
                .initializers
                .classes
                .get(&init.class)
                .map(|c| &c.default_config);
            let changed: Vec<String> = init
                .config
                .iter()
                .filter(|(k, v)| defaults.and_then(|d| d.get(*k)) != Some(*v))
                .filter(|(k, v)| !(k.as_str() == "seed" && v.is_null()))
                .filter(|(k, _)| !matches!(k.as_str(), "input_axes" | "output_axes" | "dtype"))
                .map(|(k, v)| format!("{k}={}", py(v)))
                .collect();
            let name = if let InitKind::TfCore { spelling, .. } = &init.kind {
                match spelling.rsplit('.').next() {
                    Some(last) => last.to_string(),
                    None => data.snake_name(&init.class).into_owned(),
                }
            } else {
                data.snake_name(&init.class).into_owned()
            };
            if changed.is_empty() {
                name
            } else {
                format!("{name}({})", changed.join(", "))
            }
        }
        InitKind::CustomClass { file, span, .. } => {
            // As for Keras classes: the arguments that differ from the class's own defaults (its
            // config when constructed with no arguments, when that is known).
            let defaults = custom_default_config(ws, file, *span);
            let changed: Vec<String> = init
                .config
                .iter()
                .filter(|(k, v)| defaults.as_ref().and_then(|d| d.get(*k)) != Some(*v))
                .filter(|(k, v)| !(k.as_str() == "seed" && v.is_null()))
                .filter(|(k, v)| {
                    !(matches!(k.as_str(), "input_axes" | "output_axes" | "dtype") && v.is_null())
                })
                .map(|(k, v)| format!("{k}={}", py(v)))
                .collect();
            if changed.is_empty() {
                init.class.clone()
            } else {
                format!("{}({})", init.class, changed.join(", "))
            }
        }
        InitKind::CustomFunction { .. } => init
            .config
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&init.class)
            .to_string(),
    }
}

/// The config of custom initializer class (named at `span` of `path`) constructed with no
/// arguments; `None` when that is not known (a required parameter, an unresolved default).
fn custom_default_config(
    ws: &Workspace,
    path: &Path,
    span: Span,
) -> Option<serde_json::Map<String, Value>> {
    use crate::analysis::eval::Evaluator;
    use crate::analysis::values::{Cand, Cx, Val};
    let file = ws.file(path)?;
    let id = file.ir.classes.iter().position(|c| c.name_span == span)?;
    let cx = Cx {
        file: file.clone(),
        scope: 0,
        at: file.ir.classes[id].span.end,
        frame: None,
    };
    let mut ev = Evaluator::for_file(ws, file);
    let cands = ev.to_initializer(
        Cand {
            val: Val::Class(file.clone(), id),
            origin: vec![],
        },
        &cx,
    );
    match cands.as_slice() {
        [Candidate::Resolved { init, .. }] => Some(init.config.clone()),
        _ => None,
    }
}

/// "argument `kernel_initializer` at line 12 ← variable `init` bound at line 3".
pub fn origin_text(origin: &[Step]) -> String {
    origin
        .iter()
        .map(|s| s.text.clone())
        .collect::<Vec<_>>()
        .join(" ← ")
}

/// The longest inlay hint label, in characters. Longer lists are summarised or cut (the tooltip,
/// the call's hover text, has every weight).
pub const MAX_LABEL_CHARS: usize = 60;

type PartTarget = Option<(Arc<Path>, Span)>;

/// A piece of a label in ever shorter forms: full (`he_normal(seed=1)|zeros`), arguments elided
/// (`he_normal(…)|zeros`), alternatives counted (`one of 2`).
#[derive(Clone)]
struct Piece {
    forms: Vec<Vec<super::LabelPart>>,
}

impl Piece {
    fn one(parts: Vec<super::LabelPart>) -> Piece {
        Piece { forms: vec![parts] }
    }

    fn full(&self) -> &[super::LabelPart] {
        &self.forms[0]
    }

    /// `prefix` before and `suffix` after every form.
    fn wrapped(&self, prefix: Vec<super::LabelPart>, suffix: Vec<super::LabelPart>) -> Piece {
        Piece {
            forms: self
                .forms
                .iter()
                .map(|f| {
                    let mut out = prefix.clone();
                    out.extend(f.iter().cloned());
                    out.extend(suffix.iter().cloned());
                    out
                })
                .collect(),
        }
    }
}

fn plain(text: impl Into<String>) -> super::LabelPart {
    super::LabelPart {
        text: text.into(),
        target: None,
    }
}

fn chars(parts: &[super::LabelPart]) -> usize {
    parts.iter().map(|p| p.text.chars().count()).sum()
}

/// Adjacent plain parts merged (Neovim joins the parts into one string; VS Code shows them side by
/// side), empty parts dropped.
fn merged(parts: Vec<super::LabelPart>) -> Vec<super::LabelPart> {
    let mut out: Vec<super::LabelPart> = Vec::new();
    for p in parts {
        if p.text.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.target.is_none() && p.target.is_none() => {
                last.text.push_str(&p.text)
            }
            _ => out.push(p),
        }
    }
    out
}

/// `name(…)` for `name(args)`; the text itself when it has no arguments.
fn elide_args(text: &str) -> String {
    match text.split_once('(') {
        Some((name, _)) if text.ends_with(')') => format!("{name}(…)"),
        _ => text.to_string(),
    }
}

/// The label of an inlay hint: `kernel=he_normal bias=zeros`, `kernel=MyInit(scale=0.5)` (the custom
/// class part carries its location), `no bias` for a weight the layer does not create,
/// `bias=zeros if created` when that is not known. At most [`MAX_LABEL_CHARS`] characters: a layer
/// with several weights of one role (MultiHeadAttention, Bidirectional, a subclassed model) whose
/// list is longer gets a summary by role, `8 weights: kernels he_uniform, biases ones` (`kernels
/// 2 kinds` when they differ); otherwise arguments are elided (`he_normal(…)`) and the last
/// weights cut (`+2 more`).
pub fn label_parts(ws: &Workspace, call: &LayerCall) -> Vec<super::LabelPart> {
    label_parts_within(ws, call, MAX_LABEL_CHARS)
}

/// [`label_parts`] in at most `limit` characters (a layer's part of a helper call's label).
fn label_parts_within(ws: &Workspace, call: &LayerCall, limit: usize) -> Vec<super::LabelPart> {
    let show_defaults = ws.settings.show_defaults;
    let weights: Vec<&WeightAnswer> = call
        .weights
        .iter()
        .filter(|w| super::visible(w, show_defaults))
        .collect();
    if weights.is_empty() {
        return Vec::new();
    }
    let values: Vec<Option<Piece>> = weights.iter().map(|w| weight_value(ws, w)).collect();
    let flat: Vec<Piece> = weights
        .iter()
        .zip(&values)
        .map(|(w, v)| match v {
            None => Piece::one(vec![plain(format!("no {}", w.weight))]),
            Some(v) => v.wrapped(vec![plain(format!("{}=", w.weight))], Vec::new()),
        })
        .collect();
    let whole = join(&[], &flat, &vec![0; flat.len()], " ", None);
    if chars(&whole) <= limit {
        return merged(whole);
    }
    let roles = roles(&weights);
    if roles.iter().any(|r| r.1.len() > 1) {
        let shown = values.iter().filter(|v| v.is_some()).count();
        let prefix = if shown > 0 {
            vec![plain(format!(
                "{shown} weight{}: ",
                if shown == 1 { "" } else { "s" }
            ))]
        } else {
            Vec::new()
        };
        let items: Vec<Piece> = roles
            .iter()
            .map(|(role, members)| role_piece(role, members, &values))
            .collect();
        return fit(&prefix, &items, ", ", limit);
    }
    fit(&[], &flat, " ", limit)
}

/// The value part of a weight's label (`he_normal`, `MyInit(scale=0.5)`, `he_normal|?`,
/// `zeros if created`); `None` for a weight that is not created.
fn weight_value(ws: &Workspace, w: &WeightAnswer) -> Option<Piece> {
    if matches!(w.created, Created::No(_)) {
        return None;
    }
    let mut alts: Vec<(String, PartTarget)> = Vec::new();
    for c in &w.candidates {
        let (text, target) = match c {
            Candidate::Resolved { init, .. } => {
                let target = match &init.kind {
                    InitKind::CustomClass { file, span, .. }
                    | InitKind::CustomFunction { file, span, .. } => Some((file.clone(), *span)),
                    _ => None,
                };
                (compact_label(ws, init), target)
            }
            Candidate::Unresolved { .. } => ("?".to_string(), None),
        };
        if !alts.iter().any(|(t, _)| *t == text) {
            alts.push((text, target));
        }
    }
    if alts.is_empty() {
        alts.push(("?".to_string(), None));
    }
    let n = alts.len();
    let mut full = Vec::new();
    let mut short = Vec::new();
    for (i, (text, target)) in alts.into_iter().enumerate() {
        if i > 0 {
            full.push(plain("|"));
            short.push(plain("|"));
        }
        short.push(super::LabelPart {
            text: elide_args(&text),
            target: target.clone(),
        });
        full.push(super::LabelPart { text, target });
    }
    let mut forms = vec![full];
    if chars(&short) < chars(&forms[0]) {
        forms.push(short);
    }
    if n > 1 {
        forms.push(vec![plain(format!("one of {n}"))]);
    }
    let piece = Piece { forms };
    Some(if matches!(w.created, Created::Unknown(_)) {
        piece.wrapped(Vec::new(), vec![plain(" if created")])
    } else {
        piece
    })
}

/// The visible weights by role (the last part of the weight's name: `kernel` of `query/kernel`),
/// in order of first appearance, with their indexes.
fn roles(weights: &[&WeightAnswer]) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, w) in weights.iter().enumerate() {
        let role = w.weight.rsplit('/').next().unwrap_or(&w.weight);
        match out.iter_mut().find(|(r, _)| r == role) {
            Some((_, members)) => members.push(i),
            None => out.push((role.to_string(), vec![i])),
        }
    }
    out
}

/// `kernels`, `biases`, `gammas`; names that already end in `s` (`embeddings`) stay.
fn plural(role: &str) -> String {
    if role.ends_with("bias") || role.ends_with("ss") {
        format!("{role}es")
    } else if role.ends_with('s') {
        role.to_string()
    } else {
        format!("{role}s")
    }
}

/// One role of a summary: `kernels he_uniform`, `kernels 2 kinds`, `no biases`,
/// `biases zeros (1 not created)`.
fn role_piece(role: &str, members: &[usize], values: &[Option<Piece>]) -> Piece {
    let created: Vec<&Piece> = members.iter().filter_map(|&i| values[i].as_ref()).collect();
    let absent = members.len() - created.len();
    let name = |n: usize| {
        if n == 1 {
            role.to_string()
        } else {
            plural(role)
        }
    };
    if created.is_empty() {
        return Piece::one(vec![plain(format!("no {}", name(absent)))]);
    }
    let text = |p: &[super::LabelPart]| p.iter().map(|x| x.text.as_str()).collect::<String>();
    let mut kinds: Vec<String> = Vec::new();
    for p in &created {
        let t = text(p.full());
        if !kinds.contains(&t) {
            kinds.push(t);
        }
    }
    let value = if kinds.len() == 1 {
        created[0].clone()
    } else {
        Piece::one(vec![plain(format!("{} kinds", kinds.len()))])
    };
    let suffix = if absent > 0 {
        vec![plain(format!(" ({absent} not created)"))]
    } else {
        Vec::new()
    };
    value.wrapped(vec![plain(format!("{} ", name(created.len())))], suffix)
}

/// `prefix`, the first `items` (each in form `form[i]`), separated by `sep`, then `more`
/// (`+2 more`).
fn join(
    prefix: &[super::LabelPart],
    items: &[Piece],
    form: &[usize],
    sep: &str,
    more: Option<String>,
) -> Vec<super::LabelPart> {
    let mut out = prefix.to_vec();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(plain(sep));
        }
        out.extend(item.forms[form[i]].iter().cloned());
    }
    if let Some(m) = more {
        if !items.is_empty() {
            out.push(plain(sep));
        }
        out.push(plain(m));
    }
    out
}

/// The label of the most items that fits in `limit` characters, each item `i` in one of its first
/// `allowed[i]` forms, shortening first the item whose next form saves most; the items left out
/// are counted (`+N more`). `None` when even the first item in its shortest allowed form is too long.
fn shorten(
    prefix: &[super::LabelPart],
    items: &[Piece],
    allowed: &[usize],
    sep: &str,
    limit: usize,
) -> Option<Vec<super::LabelPart>> {
    let n = items.len();
    for k in (1..=n).rev() {
        let more = (k < n).then(|| format!("+{} more", n - k));
        let mut form = vec![0; k];
        loop {
            let parts = join(prefix, &items[..k], &form, sep, more.clone());
            if chars(&parts) <= limit {
                return Some(merged(parts));
            }
            let saving = |i: usize, f: usize| {
                let forms = &items[i].forms;
                if f + 1 < allowed[i].min(forms.len()) {
                    chars(&forms[f]).saturating_sub(chars(&forms[f + 1]))
                } else {
                    0
                }
            };
            match (0..k)
                .filter(|&i| saving(i, form[i]) > 0)
                .max_by_key(|&i| saving(i, form[i]))
            {
                Some(i) => form[i] += 1,
                None => break,
            }
        }
    }
    None
}

/// The longest label of at most [`MAX_LABEL_CHARS`] characters: every item, shortening the one
/// that saves most first; then fewer items and `+N more`; at last the first item cut with `…`.
fn fit(
    prefix: &[super::LabelPart],
    items: &[Piece],
    sep: &str,
    limit: usize,
) -> Vec<super::LabelPart> {
    let n = items.len();
    let every: Vec<usize> = items.iter().map(|p| p.forms.len()).collect();
    if let Some(parts) = shorten(prefix, items, &every, sep, limit) {
        return parts;
    }
    // Even one item elided is too long (a one-of with many alternatives): cut it.
    let more = if n > 1 {
        format!("{sep}+{} more", n - 1)
    } else {
        String::new()
    };
    let mut left = limit.saturating_sub(1 + more.chars().count());
    let mut out = Vec::new();
    let last = items[0].forms.len() - 1;
    for mut p in join(prefix, &items[..1], &[last], sep, None) {
        let len = p.text.chars().count();
        if len <= left {
            left -= len;
            out.push(p);
        } else {
            p.text = p.text.chars().take(left).collect();
            out.push(p);
            break;
        }
    }
    out.push(plain(format!("…{more}")));
    merged(out)
}

/// `true` when the hover of `call` needs the file's other layer calls: a weight's initializer is
/// one object (bound to a name) with a seed, which other weights may share (see
/// [`hover_markdown`]).
pub fn needs_other_calls(call: &LayerCall) -> bool {
    call.weights.iter().any(|w| {
        w.candidates.iter().any(|c| {
            matches!(c, Candidate::Resolved { init, .. }
                if init.instance.is_some() && init.config.contains_key("seed"))
        })
    })
}

/// The hover: the qualified layer name and Keras version, then a bullet per weight (its
/// initializer with the full config, where the value came from; the rest of the origin chain,
/// the distribution and per-weight notes as nested bullets), then notes on the call. Weights
/// that all belong to sub-layers (`query/kernel`, `forward_lstm/bias`) are listed under a line
/// per sub-layer. Lists rather than a table: Neovim shows the markdown source in its float.
/// `all` holds the other layer calls of the file, for the note on shared initializer objects
/// (every call of the file when [`needs_other_calls`] says so).
pub fn hover_markdown(
    ws: &Workspace,
    file: &FileAnalysis,
    call: &LayerCall,
    all: &[LayerCall],
) -> String {
    let data = knowledge::data(ws.settings.keras);
    let mut s = String::new();
    s.push_str(&format!(
        "**{}** — initializers for Keras {}\n\n",
        call.qualified,
        data.keras_version()
    ));
    if call.weights.is_empty() {
        s.push_str("No weights.\n");
    }
    let grouped = call.weights.iter().all(|w| w.weight.contains('/'));
    let mut group: Option<&str> = None;
    for w in &call.weights {
        let (prefix, name) = match w.weight.rsplit_once('/') {
            Some((p, n)) if grouped => (Some(p), n),
            _ => (None, w.weight.as_str()),
        };
        if grouped && prefix != group {
            if group.is_some() {
                s.push('\n');
            }
            s.push_str(&format!("`{}/`\n", prefix.unwrap_or_default()));
            group = prefix;
        }
        s.push_str(&weight_bullets(ws, file, call, all, w, name));
    }
    let mut notes: Vec<String> = call.notes.clone();
    for w in &call.weights {
        for c in &w.candidates {
            if let Candidate::Resolved { init, .. } = c {
                if let InitKind::CustomClass {
                    doc,
                    file: f,
                    span,
                    base,
                } = &init.kind
                {
                    let first = doc
                        .as_deref()
                        .and_then(|d| d.trim().lines().next())
                        .unwrap_or("");
                    let line = ws.file(f).map(|ff| ff.line1(span.start)).unwrap_or(0);
                    let fname = f
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let n = format!(
                        "custom initializer `{}` ({fname}:{line}{}){}",
                        init.class,
                        base.as_ref()
                            .map(|b| format!(", subclass of `{b}`"))
                            .unwrap_or_default(),
                        if first.is_empty() {
                            String::new()
                        } else {
                            format!(": {first}")
                        }
                    );
                    if !notes.contains(&n) {
                        notes.push(n);
                    }
                }
            }
        }
    }
    if !notes.is_empty() {
        s.push_str("\n**Notes**\n");
        for n in notes {
            s.push_str(&format!("- {}\n", one_line(&n)));
        }
    }
    s
}

/// Newlines (a docstring, a reason quoting code) as spaces: one markdown line.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// `- **kernel** `HeNormal(seed=1)` — argument ... at line 9` and its nested bullets.
fn weight_bullets(
    ws: &Workspace,
    file: &FileAnalysis,
    call: &LayerCall,
    all: &[LayerCall],
    w: &WeightAnswer,
    name: &str,
) -> String {
    let mut s = format!("- **{name}**");
    let mut nested: Vec<String> = Vec::new();
    let if_created = match &w.created {
        Created::No(why) => {
            s.push_str(&format!(" not created (`{}`)\n", one_line(why)));
            return s;
        }
        Created::Unknown(why) => {
            nested.push(format!("whether it is created is unresolved: {why}"));
            " if created"
        }
        Created::Yes => "",
    };
    match w.candidates.as_slice() {
        [] => s.push_str(&format!(" unresolved{if_created}")),
        [c] => {
            let (v, origin) = describe(c);
            s.push_str(&format!(" {v}{if_created}"));
            if let Some((first, rest)) = origin.split_first() {
                s.push_str(&format!(" — {}", first.text));
                // The rest of the chain first, before the "whether it is created" line.
                let chain = rest.iter().map(|step| format!("← {}", step.text));
                nested.splice(0..0, chain);
            }
        }
        many => {
            let when = if if_created.is_empty() {
                ""
            } else {
                ", if created"
            };
            s.push_str(&format!(" one of{when}:"));
            let alts: Vec<String> = many
                .iter()
                .map(|c| {
                    let (v, origin) = describe(c);
                    let o = origin_text(origin);
                    if o.is_empty() {
                        v
                    } else {
                        format!("{v} — {o}")
                    }
                })
                .collect();
            nested.splice(0..0, alts);
        }
    }
    let mut s = one_line(&s);
    s.push('\n');
    if let [Candidate::Resolved { init, .. }] = w.candidates.as_slice() {
        // Constants say it in their name; a note (the LSTM forget gate) says what the math would.
        let said =
            matches!(init.class.as_str(), "Zeros" | "Ones" | "Constant") || init.note.is_some();
        if let (false, Some(m)) = (said, init_math(ws, init, w.shape.as_deref())) {
            let shape = w
                .shape
                .as_ref()
                .map(|s| {
                    format!("shape {:?}: ", s)
                        .replace('[', "(")
                        .replace(']', if s.len() == 1 { ",)" } else { ")" })
                })
                .unwrap_or_default();
            nested.push(format!("{shape}{m}"));
        }
    }
    for c in &w.candidates {
        if let Candidate::Resolved { init, .. } = c {
            if let Some(n) = &init.note {
                if !nested.contains(n) {
                    nested.push(n.clone());
                }
            }
            if let Some(n) = shared_instance_note(ws, file, call, all, w, init) {
                if !nested.contains(&n) {
                    nested.push(n);
                }
            }
        }
    }
    for n in nested {
        s.push_str(&format!("  - {}\n", one_line(&n)));
    }
    s
}

/// The initializer and origin chain of one candidate.
fn describe(c: &Candidate) -> (String, &[Step]) {
    match c {
        Candidate::Resolved { init, origin } => {
            let mut t = format!("`{}`", full_init(init));
            if let InitKind::TfCore { module, .. } = &init.kind {
                t.push_str(&format!(" ({module})"));
            }
            (t, origin)
        }
        Candidate::Unresolved { reason, origin } => (format!("unresolved: {reason}"), origin),
    }
}

/// One initializer object shared by several weights: Keras draws its seed once, so weights of the
/// same shape get identical values (Keras 3, and tf.keras since 2.10).
fn shared_instance_note(
    ws: &Workspace,
    file: &FileAnalysis,
    call: &LayerCall,
    all: &[LayerCall],
    w: &WeightAnswer,
    init: &InitVal,
) -> Option<String> {
    let id = init.instance.as_ref()?;
    if !init.config.contains_key("seed") {
        return None; // not random: every weight gets the same values anyway
    }
    let mut others = Vec::new();
    for other in all {
        for ow in &other.weights {
            let itself = other.span == call.span && ow.weight == w.weight;
            if itself || matches!(ow.created, Created::No(_)) {
                continue;
            }
            let shares = ow.candidates.iter().any(|oc| {
                matches!(oc, Candidate::Resolved { init: oi, .. } if oi.instance.as_ref() == Some(id))
            });
            if shares {
                let line = file.line1(other.span.start);
                let same = if ow.shape.is_some() && ow.shape == w.shape {
                    ", same shape"
                } else {
                    ""
                };
                others.push(format!(
                    "`{}` of `{}` at line {line}{same}",
                    ow.weight, other.layer
                ));
            }
        }
    }
    if others.is_empty() {
        return None;
    }
    const SHOWN: usize = 5;
    if others.len() > SHOWN {
        let more = others.len() - SHOWN;
        others.truncate(SHOWN);
        others.push(format!("and {more} more"));
    }
    Some(format!(
        "the same `{}` object (made at line {}) also initializes {}; Keras draws its seed once, so weights of the same shape get identical values",
        init.class,
        ws.file(&id.0).map(|f| f.line1(id.1.start)).unwrap_or(0),
        others.join(", ")
    ))
}

#[allow(dead_code)]
fn _unused(_: &Value) {}

fn num(v: Option<&Value>, default: f64) -> f64 {
    v.and_then(Value::as_f64).unwrap_or(default)
}

fn fmt4(x: f64) -> String {
    format!("{:.4}", x)
}

/// The initializer's distribution, and its numbers when the weight's shape is known
/// (fans as in `keras/src/initializers/random_initializers.py` `compute_fans`; VarianceScaling
/// formula at `VarianceScaling.__call__`, truncated normals cut at ±2 stddev).
pub fn init_math(ws: &Workspace, init: &InitVal, shape: Option<&[u64]>) -> Option<String> {
    let data = knowledge::data(ws.settings.keras);
    let c = &init.config;
    let info = data.initializers.classes.get(&init.class);
    let is_vs = init.class == "VarianceScaling"
        || info.is_some_and(|i| i.bases.iter().any(|b| b == "VarianceScaling"));
    if is_vs && matches!(init.kind, InitKind::Keras) {
        let eff = info.map(|i| &i.effective);
        let pick = |k: &str| c.get(k).or_else(|| eff.and_then(|e| e.get(k))).cloned();
        let scale = num(pick("scale").as_ref(), 1.0);
        let mode = pick("mode")
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "fan_in".into());
        let dist = pick("distribution")
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "truncated_normal".into());
        let n_text = match mode.as_str() {
            "fan_out" => "fan_out".to_string(),
            "fan_avg" => "(fan_in + fan_out) / 2".to_string(),
            _ => "fan_in".to_string(),
        };
        let formula = match dist.as_str() {
            "uniform" => format!("U(-limit, limit), limit = sqrt(3 · {scale} / n), n = {n_text}"),
            "untruncated_normal" => format!("N(0, stddev²), stddev = sqrt({scale} / n), n = {n_text}"),
            _ => format!(
                "normal truncated to ±2·stddev, stddev = sqrt({scale} / n) / 0.8796 (so the truncated samples have std sqrt({scale} / n)), n = {n_text}"
            ),
        };
        let Some(shape) = shape else {
            return Some(formula);
        };
        let axes = |k: &str| -> Option<Vec<usize>> {
            c.get(k)?
                .as_array()?
                .iter()
                .map(|x| x.as_u64().map(|u| u as usize))
                .collect()
        };
        let (ia, oa) = (axes("input_axes"), axes("output_axes"));
        let (fi, fo) = crate::analysis::shapes::fans(shape, ia.as_deref(), oa.as_deref());
        let n = match mode.as_str() {
            "fan_out" => fo as f64,
            "fan_avg" => (fi + fo) as f64 / 2.0,
            _ => fi as f64,
        };
        let s = scale / n.max(1.0);
        let value = match dist.as_str() {
            "uniform" => format!("limit = {}", fmt4((3.0 * s).sqrt())),
            "untruncated_normal" => format!("stddev = {}", fmt4(s.sqrt())),
            _ => format!(
                "stddev = {} before truncation",
                fmt4(s.sqrt() / 0.879_625_661_034_239_8)
            ),
        };
        return Some(format!("{formula}; fan_in = {fi}, fan_out = {fo}: {value}"));
    }
    Some(match init.class.as_str() {
        "RandomNormal" => format!(
            "N({}, {}²)",
            num(c.get("mean"), 0.0),
            num(c.get("stddev"), 0.05)
        ),
        "RandomUniform" => format!(
            "U({}, {})",
            num(c.get("minval"), -0.05),
            num(c.get("maxval"), 0.05)
        ),
        "TruncatedNormal" => format!(
            "N({}, {}²) truncated to ±2·stddev (no correction: samples have std ≈ 0.88 · {})",
            num(c.get("mean"), 0.0),
            num(c.get("stddev"), 0.05),
            num(c.get("stddev"), 0.05)
        ),
        "Zeros" => "all zeros".into(),
        "Ones" => "all ones".into(),
        "Constant" => format!(
            "all {}",
            c.get("value").map(py).unwrap_or_else(|| "0.0".into())
        ),
        "Orthogonal" => format!(
            "a random orthogonal matrix (QR of a normal matrix) × gain {}",
            num(c.get("gain"), 1.0)
        ),
        "Identity" => "gain × identity matrix (2-D only)".into(),
        "UnitForgetBias" => {
            "the initializer on 3/4 of the bias; ones on the forget-gate quarter".into()
        }
        _ => return None,
    })
}

/// Hover for a value that resolves to an initializer: each possibility with where it came from.
pub fn value_markdown(ws: &Workspace, cands: &[Candidate]) -> String {
    let data = knowledge::data(ws.settings.keras);
    let mut s = format!("**initializer** — Keras {}\n\n", data.keras_version());
    for c in cands {
        match c {
            Candidate::Resolved { init, origin } => {
                s.push_str(&format!("- `{}`", full_init(init)));
                if let InitKind::CustomClass { doc, base, .. } = &init.kind {
                    s.push_str(&format!(
                        " — custom initializer{}",
                        base.as_ref()
                            .map(|b| format!(", subclass of `{b}`"))
                            .unwrap_or_default()
                    ));
                    if let Some(first) = doc.as_deref().and_then(|d| d.trim().lines().next()) {
                        s.push_str(&format!(": {first}"));
                    }
                }
                let o = origin_text(origin);
                if !o.is_empty() {
                    s.push_str(&format!(" ({o})"));
                }
                if let Some(m) = init_math(ws, init, None) {
                    s.push_str(&format!("\n  - {m}"));
                }
                s.push('\n');
            }
            Candidate::Unresolved { reason, .. } => {
                s.push_str(&format!("- unresolved: {reason}\n"))
            }
        }
    }
    s
}

/// A [`LayerCall`] standing for one layer a helper call builds (for its label and bullets).
fn built_as_call(b: &BuiltLayer) -> LayerCall {
    LayerCall {
        span: b.span,
        callee_span: b.span,
        layer: b.layer.clone(),
        qualified: b.qualified.clone(),
        weights: b.weights.clone(),
        notes: b.notes.clone(),
        copyable: false,
        builtin: false,
    }
}

/// The label of a helper call's inlay hint: each layer the call builds with its weights,
/// `Conv2D kernel=he_uniform bias=zeros · BatchNormalization gamma=ones …`, `maybe Dense …`
/// for one the call may not build; consecutive layers with one label as `2× Conv2D …`. At most
/// [`MAX_LABEL_CHARS`] characters: each layer's weights are shortened (then left out) where
/// that saves most, then the last layers are counted (`+3 more`).
pub fn helper_label(ws: &Workspace, hc: &HelperCall) -> Vec<super::LabelPart> {
    let text = |p: &[super::LabelPart]| p.iter().map(|x| x.text.as_str()).collect::<String>();
    let mut items: Vec<(usize, Piece, usize)> = Vec::new();
    // Layers without weights (Add, Activation, Dropout) are in the hover, not in the label.
    for b in hc.layers.iter().filter(|b| !b.weights.is_empty()) {
        let call = built_as_call(b);
        let name = if b.maybe.is_some() {
            format!("maybe {}", b.layer)
        } else {
            b.layer.clone()
        };
        // Every weight; then only those given explicitly (the defaults left out, `…`); then the
        // class alone.
        let explicit = LayerCall {
            weights: b
                .weights
                .iter()
                // A default that is one of several answers (`?|glorot_uniform`: the argument
                // may be given otherwise) is not left out: `…` says "defaults".
                .filter(|w| {
                    !w.is_default || w.candidates.len() != 1 || !matches!(w.created, Created::Yes)
                })
                .cloned()
                .collect(),
            ..call.clone()
        };
        let mut forms: Vec<Vec<super::LabelPart>> = Vec::new();
        let room = MAX_LABEL_CHARS.saturating_sub(name.chars().count() + 1);
        let with = |parts: Vec<super::LabelPart>, cut: bool| {
            let mut form = vec![plain(name.clone())];
            if !parts.is_empty() {
                form.push(plain(" "));
                form.extend(parts);
            }
            if cut {
                form.push(plain(" …"));
            }
            merged(form)
        };
        let mut tries = Vec::new();
        for r in [room, room.min(32)] {
            tries.push(with(label_parts_within(ws, &call, r), false));
            if explicit.weights.len() < call.weights.len() {
                tries.push(with(
                    label_parts_within(ws, &explicit, r.saturating_sub(2)),
                    true,
                ));
            }
        }
        for f in tries {
            if forms.last().is_none_or(|l| chars(&f) < chars(l)) {
                forms.push(f);
            }
        }
        let bare = with(Vec::new(), true);
        // Shortened down to the bare class name only when the call gives none of its weights.
        let mut allowed = forms.len();
        if chars(&bare) < chars(forms.last().unwrap_or(&bare)) {
            forms.push(bare);
            if explicit.weights.is_empty() {
                allowed = forms.len();
            }
        }
        let piece = Piece { forms };
        match items.last_mut() {
            Some((n, last, _)) if text(last.full()) == text(piece.full()) => *n += 1,
            _ => items.push((1, piece, allowed)),
        }
    }
    let allowed: Vec<usize> = items.iter().map(|i| i.2).collect();
    let pieces: Vec<Piece> = items
        .into_iter()
        .map(|(n, p, _)| {
            if n > 1 {
                p.wrapped(vec![plain(format!("{n}× "))], Vec::new())
            } else {
                p
            }
        })
        .collect();
    if pieces.is_empty() {
        return Vec::new();
    }
    // The first layers with their weights (shortened where that saves most) and a count of the
    // others, rather than every layer's bare class name.
    shorten(&[], &pieces, &allowed, " · ", MAX_LABEL_CHARS)
        .unwrap_or_else(|| fit(&[], &pieces, " · ", MAX_LABEL_CHARS))
}

/// The hover of a helper call (also its hint's tooltip): each layer the call builds, with a
/// bullet per weight for this call only (its initializer, where the value came from), then
/// notes (cuts of the evaluation, callees not followed).
pub fn helper_markdown(ws: &Workspace, file: &FileAnalysis, hc: &HelperCall) -> String {
    let data = knowledge::data(ws.settings.keras);
    let mut s = format!(
        "**{}(…)** — the layers this call builds, initializers for Keras {}\n\n",
        hc.helper,
        data.keras_version()
    );
    if hc.layers.is_empty() {
        s.push_str("No layer construction is listed.\n");
    }
    let place = |path: &Path, span: Span| -> String {
        let Some(f) = ws.file(path) else {
            return String::new();
        };
        let line = f.line1(span.start);
        if *f.path == *file.path {
            format!("line {line}")
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{name}:{line}")
        }
    };
    for (k, b) in hc.layers.iter().enumerate() {
        if k > 0 {
            s.push('\n');
        }
        let mut head = format!(
            "**{}. {}** at {}",
            k + 1,
            b.qualified,
            place(&b.path, b.span)
        );
        if !b.via.is_empty() {
            let chain: Vec<String> = b
                .via
                .iter()
                .map(|(p, sp, n)| format!("`{n}` at {}", place(p, *sp)))
                .collect();
            head.push_str(&format!(" (through {})", chain.join(" → ")));
        }
        s.push_str(&one_line(&head));
        s.push('\n');
        if let Some(m) = &b.maybe {
            s.push_str(&format!("- *built {}*\n", one_line(m)));
        }
        if b.looped {
            s.push_str("- *in a loop: built once per iteration*\n");
        }
        let call = built_as_call(b);
        let bfile = ws.file(&b.path).map(|f| &**f).unwrap_or(file);
        if b.weights.is_empty() {
            s.push_str("- no weights\n");
        }
        for w in &b.weights {
            s.push_str(&weight_bullets(
                ws,
                bfile,
                &call,
                std::slice::from_ref(&call),
                w,
                &w.weight,
            ));
        }
        for n in &b.notes {
            s.push_str(&format!("- note: {}\n", one_line(n)));
        }
    }
    if !hc.notes.is_empty() {
        s.push_str("\n**Notes**\n");
        for n in &hc.notes {
            s.push_str(&format!("- {}\n", one_line(n)));
        }
    }
    s
}
