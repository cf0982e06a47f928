//! Weight shapes, when a layer call's arguments and its input size make them known: the input size
//! comes from `input_shape=`/`input_dim=`, the previous entry of a `Sequential([...])` list, or a
//! simple functional chain (`Dense(8)(x)` with `x = keras.Input(shape=(16,))` or `x = Dense(16)(y)`).
//!
//! The shape rules mirror the `build` methods of Keras 3 (`keras/src/layers/core/dense.py`,
//! `convolutional/base_conv.py`, `base_conv_transpose.py`, `base_depthwise_conv.py`,
//! `base_separable_conv.py`, `core/embedding.py`, `rnn/{simple_rnn,lstm,gru}.py`).

use super::eval::Evaluator;
use super::values::{Cx, Frame, Val};
use super::FileAnalysis;
use crate::syntax::ir::{Call, Expr, Number};
use std::collections::HashMap;
use std::sync::Arc;

const MAX_CHAIN: usize = 16;

/// A memoized input or output size of one layer construction (see [`memoized`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShapeMemo {
    dim: Option<u64>,
    /// Evaluation steps the computation took.
    steps: u32,
    /// How many chain steps deeper than its start it went.
    reach: usize,
    /// What it read of the probe frame it was computed in (see `Frame::used`).
    used: u64,
}

/// Key of [`ShapeMemo`]s: (file, start of the construction, input or output, the probe frame's
/// (file, function), or `(0, u32::MAX)` outside any frame).
pub(crate) type ShapeKey = (usize, u32, bool, usize, u32);

/// The function whose probe frame `f` is: a frame of a call that is not followed, with no
/// argument, caller, closure or time (see `Evaluator::unknown_frame`). Every such frame of a
/// function gives the same sizes (they differ only in what `why` says and in what was read).
fn plain_probe(f: &Frame) -> Option<(usize, u32)> {
    (f.args.is_empty()
        && f.site.is_none()
        && f.caller.is_none()
        && f.closure.is_none()
        && f.time.is_none()
        && f.depth == 1
        && f.unknown_args.is_some())
    .then_some((Arc::as_ptr(&f.file) as *const u8 as usize, f.func as u32))
}

/// `compute()` for the input (`input`) or output size of the construction `ctor`, memoized per
/// evaluator. An entry is reused only where computing it again would give the same answer: the
/// same step budget is charged, and the chain it followed still fits under [`MAX_CHAIN`]; entries
/// whose computation was cut short are not kept. Inside a call frame (a custom layer's body) sizes
/// may depend on the frame, so nothing is memoized there, except in a function's probe frame
/// ([`plain_probe`]) that nothing has read yet: there a hit marks what the computation read.
fn memoized(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    ctor: &Call,
    cx: &Cx,
    depth: usize,
    input: bool,
    compute: impl FnOnce(&mut Evaluator) -> Option<u64>,
) -> Option<u64> {
    ev.shape_reach = ev.shape_reach.max(depth);
    let probe = match &cx.frame {
        None => Some((0, u32::MAX)),
        Some(f) if f.used() == 0 => plain_probe(f),
        Some(_) => None,
    };
    let Some((probe_file, probe_func)) = probe else {
        return compute(ev);
    };
    let key = (
        Arc::as_ptr(file) as *const u8 as usize,
        ctor.span.start,
        input,
        probe_file,
        probe_func,
    );
    let (fuel, cuts) = ev.budget();
    if let Some(m) = ev.shape_memo.get(&key).copied() {
        if m.steps <= fuel && depth + m.reach <= MAX_CHAIN {
            ev.spend(m.steps);
            ev.shape_reach = ev.shape_reach.max(depth + m.reach);
            if let (Some(f), true) = (&cx.frame, m.used != 0) {
                f.mark(m.used);
            }
            return m.dim;
        }
    }
    let outer = std::mem::replace(&mut ev.shape_reach, depth);
    let dim = compute(ev);
    let reach = ev.shape_reach - depth;
    ev.shape_reach = outer.max(ev.shape_reach);
    let (fuel_after, cuts_after) = ev.budget();
    if cuts_after == cuts && depth + reach <= MAX_CHAIN {
        let m = ShapeMemo {
            dim,
            steps: fuel.saturating_sub(fuel_after),
            reach,
            // Nothing was read before: what is read now is this computation's.
            used: cx.frame.as_ref().map_or(0, |f| f.used()),
        };
        ev.shape_memo.insert(key, m);
    }
    dim
}

fn int(ev: &mut Evaluator, e: &Expr, cx: &Cx) -> Option<u64> {
    match ev.eval(e, cx).as_slice() {
        [c] => match c.val {
            Val::Num(Number::Int(i)) if i > 0 => Some(i as u64),
            _ => None,
        },
        _ => None,
    }
}

fn ints(ev: &mut Evaluator, e: &Expr, cx: &Cx) -> Option<Vec<Option<u64>>> {
    match ev.eval(e, cx).as_slice() {
        [c] => match &c.val {
            Val::List { items, open: None } => Some(
                items
                    .clone()
                    .iter()
                    .map(|(x, xcx)| match ev.eval(x, xcx).as_slice() {
                        [v] => match v.val {
                            Val::Num(Number::Int(i)) if i > 0 => Some(i as u64),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect(),
            ),
            Val::Num(Number::Int(i)) if *i > 0 => Some(vec![Some(*i as u64)]),
            _ => None,
        },
        _ => None,
    }
}

/// Argument `name` (or positional `index`) of a call.
fn arg<'a>(call: &'a Call, name: &str, index: Option<usize>) -> Option<&'a Expr> {
    call.keyword(name)
        .map(|k| &k.value)
        .or_else(|| index.and_then(|i| call.args.get(i)))
}

/// Whether a layer with a `data_format` builds channels-last (the size this module reads is the
/// last axis): its `data_format` argument is `"channels_last"`, or it has none and no code of the
/// workspace calls `set_image_data_format` (Keras' global default, `keras/src/backend/config.py`).
/// Anything else (`"channels_first"`, a value not resolved) is not channels-last here.
fn channels_last(ev: &mut Evaluator, ctor: &Call, cx: &Cx) -> bool {
    match arg(ctor, "data_format", None) {
        Some(e) => match ev.eval(&e.clone(), cx).as_slice() {
            [v] => {
                matches!(&v.val, Val::Str(s) if &**s == "channels_last")
                    || (matches!(v.val, Val::NoneV) && global_channels_last(ev))
            }
            _ => false,
        },
        None => global_channels_last(ev),
    }
}

fn global_channels_last(ev: &Evaluator) -> bool {
    ev.ws.call_sites_named("set_image_data_format").is_empty()
}

/// The layer class a constructor call builds (built-in only).
fn class_of(ev: &mut Evaluator, call: &Call, cx: &Cx) -> Option<String> {
    ev.eval(&call.func, cx)
        .into_iter()
        .find_map(|c| match c.val {
            Val::LayerClass(l) => Some(l),
            _ => None,
        })
}

/// Size of the last axis of the input of the layer built by `ctor` (the constructor call).
pub fn input_dim(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    ctor: &Call,
    cx: &Cx,
    depth: usize,
) -> Option<u64> {
    memoized(ev, file, ctor, cx, depth, true, |ev| {
        input_dim_uncached(ev, file, ctor, cx, depth)
    })
}

fn input_dim_uncached(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    ctor: &Call,
    cx: &Cx,
    depth: usize,
) -> Option<u64> {
    if depth > MAX_CHAIN {
        return None;
    }
    if let Some(e) = ctor.keyword("input_dim").map(|k| k.value.clone()) {
        return int(ev, &e, cx);
    }
    if let Some(e) = ctor.keyword("input_shape").map(|k| k.value.clone()) {
        return ints(ev, &e, cx)?.last().copied().flatten();
    }
    // `Layer(...)(x)` (the call that applies this layer) or `Sequential([..., previous, this])`,
    // whichever comes first in the file.
    let uses = file.call_uses();
    let applied = uses.applied.get(&ctor.span).map(|&i| i as usize);
    if let Some((j, pos)) = uses
        .listed
        .get(&ctor.span)
        .map(|&(j, p)| (j as usize, p as usize))
    {
        if applied.is_none_or(|i| j < i) {
            let site = &file.ir.calls[j];
            if let Some(Expr::List { elts, .. }) = site.call.args.first() {
                let is_seq = ev
                    .eval(&site.call.func, cx)
                    .iter()
                    .any(|c| matches!(c.val, Val::Builtin("keras.Sequential")));
                if is_seq && pos > 0 {
                    if let Expr::Call(prev) = &elts[pos - 1] {
                        return output_dim(ev, file, prev, cx, depth + 1);
                    }
                }
            }
        }
    }
    if let Some(i) = applied {
        let site = &file.ir.calls[i];
        let x = site.call.args.first()?.clone();
        let xcx = Cx {
            at: site.call.span.start,
            scope: site.scope,
            ..cx.clone()
        };
        return tensor_dim(ev, file, &x, &xcx, depth + 1);
    }
    None
}

/// Last-axis size of the tensor held by `x`.
fn tensor_dim(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    x: &Expr,
    cx: &Cx,
    depth: usize,
) -> Option<u64> {
    ev.shape_reach = ev.shape_reach.max(depth);
    if depth > MAX_CHAIN {
        return None;
    }
    let value = match x {
        Expr::Name { id, span } => {
            // A name bound to one expression where it is used (`x = keras.Input(...)`).
            if !file.ir.is_local(cx.scope, id) {
                return None;
            }
            let reaches = file.ir.live_at(cx.scope, id, span.start);
            match &*reaches {
                [r] if r.def != crate::syntax::ir::UNBOUND => {
                    match &file.ir.defs[r.def as usize].kind {
                        crate::syntax::ir::DefKind::Value(e) => {
                            let cx2 = Cx {
                                at: file.ir.defs[r.def as usize].span.start,
                                ..cx.clone()
                            };
                            let e = e.clone();
                            return tensor_dim(ev, file, &e, &cx2, depth + 1);
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        Expr::Call(c) => c.clone(),
        _ => return None,
    };
    // keras.Input(shape=(..., d)) / keras.Input((..., d))
    if let Expr::Attr { attr, .. } | Expr::Name { id: attr, .. } = &value.func {
        if attr == "Input" {
            let shape = arg(&value, "shape", Some(0))?.clone();
            return ints(ev, &shape, cx)?.last().copied().flatten();
        }
    }
    // Layer(...)(y): the layer's output size.
    if let Expr::Call(ctor) = &value.func {
        return output_dim(ev, file, ctor, cx, depth + 1);
    }
    None
}

/// Last-axis size of the output of the layer built by `ctor`.
fn output_dim(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    ctor: &Call,
    cx: &Cx,
    depth: usize,
) -> Option<u64> {
    memoized(ev, file, ctor, cx, depth, false, |ev| {
        output_dim_uncached(ev, file, ctor, cx, depth)
    })
}

fn output_dim_uncached(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    ctor: &Call,
    cx: &Cx,
    depth: usize,
) -> Option<u64> {
    if depth > MAX_CHAIN {
        return None;
    }
    if let Expr::Attr { attr, .. } | Expr::Name { id: attr, .. } = &ctor.func {
        if attr == "Input" || attr == "InputLayer" {
            let shape = arg(ctor, "shape", Some(0))
                .or_else(|| arg(ctor, "input_shape", None))?
                .clone();
            return ints(ev, &shape, cx)?.last().copied().flatten();
        }
    }
    let class = class_of(ev, ctor, cx)?;
    let first = |name: &str| arg(ctor, name, Some(0)).cloned();
    // Channels-first layers put the channels on axis 1: the last axis is spatial.
    if (class.starts_with("Conv")
        || class.starts_with("Separable")
        || class.contains("Pooling")
        || class.starts_with("SpatialDropout"))
        && !channels_last(ev, ctor, cx)
    {
        return None;
    }
    match class.as_str() {
        "Dense" | "SimpleRNN" | "LSTM" | "GRU" => int(ev, &first("units")?, cx),
        c if c.starts_with("Conv") => int(ev, &first("filters")?, cx),
        "SeparableConv1D" | "SeparableConv2D" => int(ev, &first("filters")?, cx),
        "Embedding" => int(ev, &arg(ctor, "output_dim", Some(1))?.clone(), cx),
        "Dropout"
        | "BatchNormalization"
        | "LayerNormalization"
        | "GroupNormalization"
        | "Activation"
        | "ReLU"
        | "LeakyReLU"
        | "PReLU"
        | "GaussianNoise"
        | "UnitNormalization"
        | "RMSNormalization"
        | "MaxPooling1D"
        | "MaxPooling2D"
        | "MaxPooling3D"
        | "AveragePooling1D"
        | "AveragePooling2D"
        | "AveragePooling3D"
        | "GlobalAveragePooling1D"
        | "GlobalAveragePooling2D"
        | "GlobalMaxPooling1D"
        | "GlobalMaxPooling2D"
        | "SpatialDropout1D"
        | "SpatialDropout2D" => input_dim(ev, file, ctor, cx, depth + 1),
        _ => None,
    }
}

/// Shapes of the weights of built-in layer `class` built by `ctor`, when known.
pub fn weight_shapes(
    ev: &mut Evaluator,
    file: &Arc<FileAnalysis>,
    class: &str,
    ctor: &Call,
    cx: &Cx,
) -> HashMap<String, Vec<u64>> {
    let mut out = HashMap::new();
    let input = input_dim(ev, file, ctor, cx, 0);
    let a = |n: &str, i: Option<usize>| arg(ctor, n, i).cloned();
    let rank = |c: &str| -> usize {
        if c.contains("1D") {
            1
        } else if c.contains("3D") {
            3
        } else {
            2
        }
    };
    match class {
        "Dense" => {
            // The bias is `(units,)` whatever the input (keras/src/layers/core/dense.py, `build`).
            if let Some(u) = a("units", Some(0)).and_then(|e| int(ev, &e, cx)) {
                if let Some(i) = input {
                    out.insert("kernel".into(), vec![i, u]);
                }
                out.insert("bias".into(), vec![u]);
            }
        }
        "Embedding" => {
            if let (Some(i), Some(o)) = (
                a("input_dim", Some(0)).and_then(|e| int(ev, &e, cx)),
                a("output_dim", Some(1)).and_then(|e| int(ev, &e, cx)),
            ) {
                out.insert("embeddings".into(), vec![i, o]);
            }
        }
        "SimpleRNN" | "LSTM" | "GRU" | "SimpleRNNCell" | "LSTMCell" | "GRUCell" => {
            let gates = match class {
                "LSTM" | "LSTMCell" => 4,
                "GRU" | "GRUCell" => 3,
                _ => 1,
            };
            if let Some(u) = a("units", Some(0)).and_then(|e| int(ev, &e, cx)) {
                out.insert("recurrent_kernel".into(), vec![u, gates * u]);
                if let Some(i) = input {
                    out.insert("kernel".into(), vec![i, gates * u]);
                }
            }
        }
        c if c.starts_with("Conv") && !c.contains("LSTM") => {
            let r = rank(c);
            let filters = a("filters", Some(0)).and_then(|e| int(ev, &e, cx));
            let ks = a("kernel_size", Some(1)).and_then(|e| ints(ev, &e, cx));
            let ks: Option<Vec<u64>> = ks.and_then(|k| {
                let k: Option<Vec<u64>> = k.into_iter().collect();
                let k = k?;
                Some(if k.len() == 1 { vec![k[0]; r] } else { k })
            });
            let input = if channels_last(ev, ctor, cx) {
                input
            } else {
                None
            };
            if let (Some(f), Some(mut ks), Some(i)) = (filters, ks, input) {
                if c.contains("Transpose") {
                    ks.extend([f, i]);
                } else {
                    let groups = a("groups", None).and_then(|e| int(ev, &e, cx)).unwrap_or(1);
                    ks.extend([i / groups.max(1), f]);
                }
                out.insert("kernel".into(), ks);
            }
            // The bias is `(filters,)` whatever the input and kernel size
            // (keras/src/layers/convolutional/base_conv.py and base_conv_transpose.py, `build`).
            if let Some(f) = filters {
                out.insert("bias".into(), vec![f]);
            }
        }
        _ => {}
    }
    out
}

/// `compute_fans` of Keras 3 (`keras/src/initializers/random_initializers.py`): with both axes
/// lists, the products over them; else rank 0 → (1, 1), rank 1 → (n, n), rank 2 → (rows, cols),
/// rank ≥ 3 → receptive field × the last two.
pub fn fans(
    shape: &[u64],
    input_axes: Option<&[usize]>,
    output_axes: Option<&[usize]>,
) -> (u64, u64) {
    if let (Some(i), Some(o)) = (input_axes, output_axes) {
        let p = |ax: &[usize]| {
            ax.iter()
                .map(|&a| shape.get(a).copied().unwrap_or(1))
                .product::<u64>()
        };
        return (p(i), p(o));
    }
    match shape.len() {
        0 => (1, 1),
        1 => (shape[0], shape[0]),
        2 => (shape[0], shape[1]),
        n => {
            let rf: u64 = shape[..n - 2].iter().product();
            (shape[n - 2] * rf, shape[n - 1] * rf)
        }
    }
}
