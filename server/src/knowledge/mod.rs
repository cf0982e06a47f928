//! Keras knowledge: layers, their weights and defaults, initializer identifiers and classes.
//!
//! The data is generated from the real packages by `tools/gen_keras_data.py` and embedded at build
//! time: `server/data/keras3.json` (keras 3.15.1) and `server/data/keras2.json` (tf_keras 2.21 with
//! TensorFlow 2.21). Nothing here is typed by hand; see `tools/README.md` to regenerate.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Which Keras the answers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KerasVersion {
    /// Keras 2: `tf_keras` 2.21, or `tf.keras` with `TF_USE_LEGACY_KERAS=1`.
    Keras2,
    /// Keras 3 (3.15.1), also `tf.keras` in TensorFlow 2.16 and later.
    Keras3,
}

impl KerasVersion {
    pub fn label(self) -> &'static str {
        match self {
            KerasVersion::Keras2 => "2",
            KerasVersion::Keras3 => "3",
        }
    }
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// One parameter of a Python signature, in order.
#[derive(Clone, Debug, Deserialize)]
pub struct SigParam {
    pub name: String,
    /// `POSITIONAL_ONLY`, `POSITIONAL_OR_KEYWORD`, `VAR_POSITIONAL`, `KEYWORD_ONLY` or `VAR_KEYWORD`.
    #[serde(default)]
    pub kind: String,
    /// The default (`None` = required; `Some(Value::Null)` = the default is Python `None`). A default
    /// that is not JSON is `{"$repr": "..."}`.
    #[serde(default, deserialize_with = "present")]
    pub default: Option<Value>,
}

/// A condition for a weight to exist, probed by the generator.
#[derive(Clone, Debug, Deserialize)]
pub struct Requirement {
    pub param: String,
    #[serde(default, deserialize_with = "present")]
    pub equals: Option<Value>,
    #[serde(default)]
    pub not_none: Option<bool>,
}

/// An initializer as `{class, config}`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ClassConfig {
    pub class: String,
    #[serde(default)]
    pub config: Map<String, Value>,
}

/// One weight a layer creates.
#[derive(Clone, Debug, Deserialize)]
pub struct WeightInfo {
    /// Path relative to the layer, RNN cell scopes removed (`kernel`, `query/kernel`).
    pub path: String,
    /// The `__init__` parameter that controls it, found by probing.
    #[serde(default)]
    pub parameter: Option<String>,
    /// The initializer when no parameter controls it.
    #[serde(default)]
    pub fixed: Option<ClassConfig>,
    #[serde(default = "yes")]
    pub trainable: bool,
    #[serde(default)]
    pub requires: Vec<Requirement>,
    #[serde(default)]
    pub note: Option<String>,
    /// Any further generated facts (axes of EinsumDense clones, closures, shapes).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn yes() -> bool {
    true
}

/// A layer class.
#[derive(Clone, Debug, Deserialize)]
pub struct LayerInfo {
    /// File that defines the class, relative to site-packages.
    #[serde(default)]
    pub source: String,
    /// The names of the classes of its MRO after it (`object` excluded).
    #[serde(default)]
    pub bases: Vec<String>,
    #[serde(default)]
    pub spellings: Vec<String>,
    #[serde(default)]
    pub signature: Vec<SigParam>,
    #[serde(default)]
    pub initializer_params: BTreeMap<String, Value>,
    #[serde(default)]
    pub wrapper: bool,
    #[serde(default)]
    pub weights: Vec<WeightInfo>,
    /// Every keyword name the constructors of the class's MRO declare or read from `**kwargs`
    /// (`input_shape`, `allowed_kwargs`): an over-approximation of what construction accepts
    /// (`tools/gen_keras_data.py`, `accepted_keywords`). Empty when not probed.
    #[serde(default)]
    pub accepted_keywords: Vec<String>,
    /// What constructing the layer with an undeclared keyword raises, measured by the generator
    /// ("ValueError: Unrecognized keyword arguments passed to Dense: ..."); `None` when it is
    /// accepted or was not probed.
    #[serde(default)]
    pub unknown_keyword_error: Option<String>,
    /// For each `*_initializer` parameter: what constructing the layer raises when it is given a
    /// string that names no initializer ("ValueError: Could not interpret initializer
    /// identifier: ..."); `None` when it constructs. Measured by the generator.
    #[serde(default)]
    pub unknown_identifier_errors: BTreeMap<String, Option<String>>,
    /// Identifier-like strings of the modules that define the class (and its bases below
    /// `Layer`): strings it may interpret itself (`RandomFourierFeatures`' `"laplacian"`).
    #[serde(default)]
    pub interpreted_strings: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An initializer class.
#[derive(Clone, Debug, Deserialize)]
pub struct InitClassInfo {
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub bases: Vec<String>,
    #[serde(default)]
    pub signature: Vec<SigParam>,
    #[serde(default)]
    pub default_config: Map<String, Value>,
    #[serde(default)]
    pub effective: Map<String, Value>,
    /// Constructor arguments the class rejects, measured one at a time (`tools/gen_keras_data.py`
    /// `argument_checks`): by parameter name.
    #[serde(default)]
    pub argument_checks: BTreeMap<String, ArgumentCheck>,
    /// Weight ranks at which a default instance raises when called (what `add_weight` meets at
    /// build), with the error of the first probe shape: by rank as a decimal string.
    #[serde(default)]
    pub rank_errors: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What an initializer's constructor rejects for one argument (the others at their defaults).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ArgumentCheck {
    /// A string argument: the only values accepted (the error message enumerates them).
    #[serde(default)]
    pub choices: Vec<String>,
    /// The choices are compared after lower-casing the argument.
    #[serde(default)]
    pub ignore_case: bool,
    /// A number argument: zero and negative values raise.
    #[serde(default)]
    pub positive: bool,
    /// A number argument: negative values raise, zero does not.
    #[serde(default)]
    pub non_negative: bool,
    /// The exception type raised (`ValueError`).
    #[serde(default)]
    pub error: String,
}

impl ArgumentCheck {
    /// Whether the constructor raises for this JSON value (as the answer's config holds it):
    /// `Some(true)` when it does, `Some(false)` when it does not, `None` when the value is of
    /// a type this check does not decide (a string for a number argument, ...).
    pub fn rejects(&self, v: &Value) -> Option<bool> {
        match v {
            Value::String(s) if !self.choices.is_empty() => {
                let s = if self.ignore_case {
                    s.to_lowercase()
                } else {
                    s.clone()
                };
                Some(!self.choices.contains(&s))
            }
            Value::Number(n) if self.positive || self.non_negative => {
                let x = n.as_f64()?;
                if x.is_nan() {
                    return None;
                }
                Some(if self.positive { x <= 0.0 } else { x < 0.0 })
            }
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct InitData {
    /// Every string `initializers.get` accepts, to the class it builds.
    #[serde(default)]
    pub identifiers: BTreeMap<String, String>,
    /// Strings that are registered but fail, with the exception Keras raises.
    #[serde(default)]
    pub broken_identifiers: BTreeMap<String, String>,
    /// Public attributes of the `initializers` module, to classes.
    #[serde(default)]
    pub module_names: BTreeMap<String, String>,
    #[serde(default)]
    pub classes: BTreeMap<String, InitClassInfo>,
}

/// The whole generated data set for one Keras version.
#[derive(Clone, Debug, Deserialize)]
pub struct KerasData {
    #[serde(default)]
    pub flavor: String,
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
    pub layers: BTreeMap<String, LayerInfo>,
    #[serde(default)]
    pub initializers: InitData,
    /// TF-core initializer spellings (`tf.random_normal_initializer`, `tf.compat.v1...`).
    #[serde(default)]
    pub tf_core: BTreeMap<String, Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// Public layer names (every spelling's last component) to class names, built at load.
    #[serde(skip)]
    pub layer_names: std::collections::HashMap<String, String>,
    /// [`snake_case`] of every layer and initializer class name, built at load.
    #[serde(skip)]
    snake: std::collections::HashMap<String, String>,
}

impl KerasData {
    fn finish(mut self) -> Self {
        let mut names = std::collections::HashMap::new();
        for (class, info) in &self.layers {
            names.insert(class.clone(), class.clone());
            for s in &info.spellings {
                if let Some(last) = s.rsplit('.').next() {
                    names
                        .entry(last.to_string())
                        .or_insert_with(|| class.clone());
                }
            }
        }
        self.layer_names = names;
        self.snake = self
            .layers
            .keys()
            .chain(self.initializers.classes.keys())
            .map(|c| (c.clone(), snake_case(c)))
            .collect();
        self
    }

    /// [`snake_case`] of `class`, precomputed for the classes of the data.
    pub fn snake_name<'a>(&'a self, class: &str) -> std::borrow::Cow<'a, str> {
        match self.snake.get(class) {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(snake_case(class)),
        }
    }

    /// The layer class reached by public name `name` (`Convolution2D` gives `Conv2D`).
    pub fn layer(&self, name: &str) -> Option<(&str, &LayerInfo)> {
        let class = self.layer_names.get(name)?;
        self.layers.get(class).map(|i| (class.as_str(), i))
    }

    /// Keras version string of the data (`3.15.1`).
    pub fn keras_version(&self) -> &str {
        self.versions
            .get("keras")
            .or_else(|| self.versions.get("tf_keras"))
            .map(String::as_str)
            .unwrap_or("?")
    }
}

static K3: OnceLock<KerasData> = OnceLock::new();
static K2: OnceLock<KerasData> = OnceLock::new();

/// The embedded data for `v`. Parsed once, on first use.
pub fn data(v: KerasVersion) -> &'static KerasData {
    match v {
        KerasVersion::Keras3 => K3.get_or_init(|| {
            serde_json::from_str::<KerasData>(include_str!("../../data/keras3.json"))
                .expect("server/data/keras3.json is valid (checked by tests)")
                .finish()
        }),
        KerasVersion::Keras2 => K2.get_or_init(|| {
            serde_json::from_str::<KerasData>(include_str!("../../data/keras2.json"))
                .expect("server/data/keras2.json is valid (checked by tests)")
                .finish()
        }),
    }
}

/// `to_snake_case` as Keras applies it to class names (`Conv2D` -> `conv2d`, `HeNormal` -> `he_normal`).
pub fn snake_case(name: &str) -> String {
    // re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name) then re.sub("([a-z])([A-Z])", r"\1_\2", ...).lower()
    let c: Vec<char> = name.chars().collect();
    let mut step1 = String::new();
    let mut i = 0;
    while i < c.len() {
        if i > 0
            && c[i].is_ascii_uppercase()
            && c.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())
        {
            step1.push('_');
        }
        step1.push(c[i]);
        i += 1;
    }
    let c: Vec<char> = step1.chars().collect();
    let mut out = String::new();
    for (i, ch) in c.iter().enumerate() {
        if i > 0 && ch.is_ascii_uppercase() && c[i - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.push(*ch);
    }
    out.to_lowercase().replace("__", "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn snake_case_matches_keras() {
        assert_eq!(snake_case("HeNormal"), "he_normal");
        assert_eq!(snake_case("Conv2D"), "conv2d");
        assert_eq!(snake_case("SimpleRNN"), "simple_rnn");
        assert_eq!(snake_case("LSTM"), "lstm");
        assert_eq!(snake_case("GlorotUniform"), "glorot_uniform");
        assert_eq!(snake_case("MultiHeadAttention"), "multi_head_attention");
    }
}
