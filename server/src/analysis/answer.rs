//! The analysis' answers, in byte offsets and editor-neutral terms.

use crate::syntax::ir::Span;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;

/// Where an initializer value is defined, when it is user code.
#[derive(Clone, Debug, PartialEq)]
pub enum InitKind {
    /// A Keras class (`keras.initializers.X`).
    Keras,
    /// A TensorFlow-core initializer, used as-is by Keras (`module` as Keras 3 serializes it).
    TfCore { module: String, spelling: String },
    /// A workspace class: a subclass of a Keras initializer.
    CustomClass {
        file: Arc<Path>,
        span: Span,
        doc: Option<String>,
        base: Option<String>,
    },
    /// A workspace function or lambda called as `f(shape, dtype)`.
    CustomFunction {
        file: Arc<Path>,
        span: Span,
        doc: Option<String>,
    },
}

/// A resolved initializer: class name and config exactly as Keras 3's `get_config()` reports them.
#[derive(Clone, Debug, PartialEq)]
pub struct InitVal {
    pub class: String,
    pub config: Map<String, Value>,
    pub kind: InitKind,
    /// A fact that changes the meaning, e.g. the LSTM forget-gate quarter.
    pub note: Option<String>,
    /// Where this initializer *object* was constructed (file, call span), when it is one object
    /// (not a string, which Keras turns into a fresh object per weight).
    pub instance: Option<(Arc<Path>, Span)>,
}

/// One step of where a value came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// E.g. "argument at line 12", "variable `init` bound at line 3", "default of `Dense`".
    pub text: String,
    pub file: Option<Arc<Path>>,
    pub span: Option<Span>,
}

/// One possibility for a weight's initializer.
#[derive(Clone, Debug, PartialEq)]
pub enum Candidate {
    Resolved {
        init: InitVal,
        origin: Vec<Step>,
    },
    /// `initializer=None`: `add_weight` picks its own default (glorot_uniform for float weights).
    Unresolved {
        reason: String,
        origin: Vec<Step>,
    },
}

impl Candidate {
    pub fn origin(&self) -> &[Step] {
        match self {
            Candidate::Resolved { origin, .. } | Candidate::Unresolved { origin, .. } => origin,
        }
    }
}

/// Whether a weight is created.
#[derive(Clone, Debug, PartialEq)]
pub enum Created {
    Yes,
    /// Not created, with the reason (`use_bias=False`).
    No(String),
    /// Depends on a value we could not resolve.
    Unknown(String),
}

/// The answer for one weight of one layer call.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightAnswer {
    /// Name Keras gives it, relative to the layer (`kernel`, `query/kernel`, `forward_lstm/bias`).
    pub weight: String,
    /// The controlling `__init__` parameter, if any.
    pub parameter: Option<String>,
    pub created: Created,
    /// One entry normally; several when the value is one of several possibilities.
    pub candidates: Vec<Candidate>,
    /// `true` when the value is the layer's default (no explicit argument).
    pub is_default: bool,
    pub trainable: bool,
    /// The weight's shape when the call's arguments and its input size make it known.
    pub shape: Option<Vec<u64>>,
}

/// One Keras layer construction and its weights.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerCall {
    /// The whole call expression.
    pub span: Span,
    /// The name to hover (`Dense` in `layers.Dense(...)`).
    pub callee_span: Span,
    /// Class name (`Dense`).
    pub layer: String,
    /// Qualified public name (`keras.layers.Dense`).
    pub qualified: String,
    pub weights: Vec<WeightAnswer>,
    /// Facts about the call as a whole.
    pub notes: Vec<String>,
    /// `true` when a wrapper that builds copies of its layer instead of the layer itself (Keras 3
    /// `Bidirectional`) can wrap this one: a built-in layer with a `go_backwards` parameter
    /// (`Bidirectional` sets it on its copy; other layers make it raise, see
    /// `keras/src/layers/rnn/bidirectional.py`), or any workspace layer class.
    pub copyable: bool,
    /// Every construction at this call is of one built-in Keras layer class (not a workspace
    /// class): its keyword arguments go to that class's own constructor.
    pub builtin: bool,
}

/// The answers for one list of weights computed several times (in each context of a helper's
/// body, for each layer a wrapper may hold): per weight path, in order of first appearance, the
/// union of the candidates (an identical initializer once), "created" when every list creates it,
/// "not created" when none does, else created in some only (`Created::Unknown`).
pub fn union_weights(lists: Vec<Vec<WeightAnswer>>) -> Vec<WeightAnswer> {
    let n = lists.len();
    if n == 1 {
        return lists.into_iter().next().unwrap_or_default();
    }
    let mut order: Vec<String> = Vec::new();
    for l in &lists {
        for w in l {
            if !order.contains(&w.weight) {
                order.push(w.weight.clone());
            }
        }
    }
    let mut out = Vec::new();
    for path in order {
        let found: Vec<&WeightAnswer> = lists
            .iter()
            .filter_map(|l| l.iter().find(|w| w.weight == path))
            .collect();
        let first = found[0];
        let created_in = found
            .iter()
            .filter(|w| !matches!(w.created, Created::No(_)))
            .count();
        let created = if found
            .iter()
            .any(|w| matches!(w.created, Created::Unknown(_)))
        {
            found
                .iter()
                .find_map(|w| match &w.created {
                    Created::Unknown(r) => Some(Created::Unknown(r.clone())),
                    _ => None,
                })
                .unwrap_or(Created::Yes)
        } else if created_in == n && found.len() == n {
            Created::Yes
        } else if created_in == 0 {
            first.created.clone()
        } else {
            let why = found
                .iter()
                .find_map(|w| match &w.created {
                    Created::No(r) => Some(r.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "a different layer".into());
            Created::Unknown(format!(
                "created by some of the calls only (not where {why})"
            ))
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        for w in &found {
            if matches!(w.created, Created::No(_)) {
                continue;
            }
            for c in &w.candidates {
                let dup = candidates.iter().any(|d| match (d, c) {
                    (Candidate::Resolved { init: a, .. }, Candidate::Resolved { init: b, .. }) => {
                        a.class == b.class
                            && a.config == b.config
                            && a.kind == b.kind
                            && a.note == b.note
                    }
                    (
                        Candidate::Unresolved { reason: a, .. },
                        Candidate::Unresolved { reason: b, .. },
                    ) => a == b,
                    _ => false,
                });
                if !dup {
                    candidates.push(c.clone());
                }
            }
        }
        let shapes: Vec<&Option<Vec<u64>>> = found.iter().map(|w| &w.shape).collect();
        let shape = if found.len() == n && shapes.iter().all(|s| *s == shapes[0]) {
            shapes[0].clone()
        } else {
            None
        };
        out.push(WeightAnswer {
            weight: path,
            parameter: first.parameter.clone(),
            created,
            candidates,
            is_default: found.iter().all(|w| w.is_default),
            trainable: first.trainable,
            shape,
        });
    }
    out
}
