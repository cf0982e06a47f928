//! Deterministic generator of the synthetic benchmark workspace: mostly plain Python, some Keras
//! model files whose initializers come from module constants, helper functions, `functools.partial`
//! and `**kwargs` dicts imported across files, and one 3,000-line model file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// splitmix64: a tiny deterministic PRNG (no dependency, same output everywhere).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "alpha", "batch", "cache", "delta", "event", "frame", "graph", "hash", "index", "job", "key",
    "label", "merge", "node", "order", "page", "query", "record", "shard", "token", "user",
    "value", "window", "yield", "zone", "buffer", "config", "report", "schema", "stream",
];

const IDENTIFIERS: &[&str] = &[
    "he_normal",
    "he_uniform",
    "glorot_normal",
    "glorot_uniform",
    "lecun_normal",
    "lecun_uniform",
    "orthogonal",
    "truncated_normal",
    "random_uniform",
    "zeros",
    "ones",
];

/// What the generator wrote.
#[derive(Default, Debug)]
pub struct Generated {
    pub files: usize,
    pub bytes: u64,
    pub model_files: Vec<PathBuf>,
    pub big_file: PathBuf,
    pub big_file_lines: usize,
}

fn name(rng: &mut Rng) -> String {
    format!("{}_{}", rng.pick(WORDS), rng.pick(WORDS))
}

fn camel(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A plain Python module of about `target` bytes. `imports` decides whether it has import lines
/// (most real modules do); it never mentions keras, tensorflow or initializers.
fn plain_module(rng: &mut Rng, target: usize, imports: bool, siblings: &[String]) -> String {
    let mut s = String::with_capacity(target + 2048);
    let _ = writeln!(s, "\"\"\"Utilities for {} handling.\"\"\"", name(rng));
    if imports {
        s.push_str("import json\nimport os\nfrom collections import defaultdict\n");
        if !siblings.is_empty() {
            let m = rng.pick(siblings);
            let _ = writeln!(s, "from {m} import *  # noqa");
        }
    }
    s.push('\n');
    let mut k = 0;
    while s.len() < target {
        k += 1;
        let n = name(rng);
        let lim = rng.below(500);
        match rng.below(4) {
            0 => {
                let _ = write!(
                    s,
                    "\n\ndef {n}_{k}(data, limit={lim}, verbose=False):\n    \"\"\"Return the selected items of `data`.\"\"\"\n    out = []\n    for i, item in enumerate(data):\n        if i >= limit:\n            break\n        if isinstance(item, dict):\n            out.append({{k: v for k, v in item.items() if v is not None}})\n        elif item and verbose:\n            out.append(str(item).strip().lower())\n        else:\n            out.append(item)\n    return out\n"
                );
            }
            1 => {
                let c = camel(&n);
                let _ = write!(
                    s,
                    "\n\nclass {c}{k}:\n    \"\"\"A record of {n}.\"\"\"\n\n    def __init__(self, name, size={lim}, tags=None):\n        self.name = name\n        self.size = size\n        self.tags = list(tags or [])\n\n    def describe(self):\n        return f\"{{self.name}} ({{self.size}}): {{', '.join(self.tags)}}\"\n\n    def grow(self, by=1):\n        self.size += by\n        return self.size\n"
                );
            }
            2 => {
                let _ = write!(s, "\n{}_TABLE_{k} = {{\n", n.to_uppercase());
                for j in 0..(8 + rng.below(12)) {
                    let _ = writeln!(
                        s,
                        "    \"{}_{j}\": ({}, \"{}\", {}.5),",
                        rng.pick(WORDS),
                        rng.below(1000),
                        rng.pick(WORDS),
                        rng.below(100)
                    );
                }
                s.push_str("}\n");
            }
            _ => {
                let _ = write!(
                    s,
                    "\n\ndef {n}_summary_{k}(rows):\n    counts = {{}}\n    total = 0\n    for row in rows:\n        key = row[0] if row else None\n        counts[key] = counts.get(key, 0) + 1\n        total += len(row)\n    ratio = total / max(len(counts), 1)\n    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:{lim}], ratio\n"
                );
            }
        }
    }
    s
}

/// A module of initializer constants. Half of them have a docstring saying so; the other half are
/// bare assignments (no keras, tensorflow, initializer or import in the text).
fn consts_module(rng: &mut Rng, k: usize) -> String {
    let mut s = String::new();
    if k.is_multiple_of(2) {
        s.push_str("\"\"\"Initializer settings shared by the models.\"\"\"\n\n");
    } else {
        s.push_str("# Shared model settings.\n\n");
    }
    let _ = writeln!(s, "KERNEL_INIT = \"{}\"", rng.pick(&IDENTIFIERS[..8]));
    let _ = writeln!(s, "BIAS_INIT = \"{}\"", rng.pick(&["zeros", "ones"]));
    let _ = writeln!(s, "EMBED_INIT = \"{}\"", rng.pick(&IDENTIFIERS[..9]));
    let _ = writeln!(s, "RECURRENT_INIT = \"orthogonal\"");
    let _ = writeln!(s, "SEED = {}", rng.below(10_000));
    s
}

fn helpers_module(rng: &mut Rng, consts: usize) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "\"\"\"Layer helpers.\"\"\"\nimport functools\n\nimport keras\nfrom keras import initializers, layers\n\nfrom app.common.consts_{consts} import BIAS_INIT, KERNEL_INIT, SEED\n\n\n"
    );
    let _ = write!(
        s,
        "def dense_block(units, init=KERNEL_INIT, **kwargs):\n    return layers.Dense(units, kernel_initializer=init, bias_initializer=BIAS_INIT, **kwargs)\n\n\n\
def conv_block(filters, kernel_size=3):\n    return layers.Conv2D(filters, kernel_size, padding=\"same\", kernel_initializer=initializers.HeNormal(seed=SEED))\n\n\n\
NormalDense = functools.partial(layers.Dense, kernel_initializer=\"{}\")\n\n\
DENSE_KW = dict(kernel_initializer=\"{}\", bias_initializer=\"{}\")\n",
        rng.pick(IDENTIFIERS),
        rng.pick(IDENTIFIERS),
        rng.pick(&["zeros", "ones"])
    );
    s
}

/// One layer line of a model function body (`x` is the running tensor).
fn layer_line(rng: &mut Rng, s: &mut String) {
    let u = 8 << rng.below(6);
    let id = rng.pick(IDENTIFIERS);
    let _ = match rng.below(14) {
        0 => writeln!(s, "    x = layers.Dense({u}, activation=\"relu\")(x)"),
        1 => writeln!(
            s,
            "    x = layers.Dense({u}, kernel_initializer=KERNEL_INIT, bias_initializer=BIAS_INIT)(x)"
        ),
        2 => writeln!(s, "    x = layers.Dense({u}, kernel_initializer=LOCAL_INIT)(x)"),
        3 => writeln!(s, "    x = layers.Dense({u}, kernel_initializer=\"{id}\")(x)"),
        4 => writeln!(
            s,
            "    x = layers.Dense({u}, kernel_initializer=initializers.HeNormal(seed=SEED))(x)"
        ),
        5 => writeln!(s, "    x = dense_block({u})(x)"),
        6 => writeln!(s, "    x = NormalDense({u})(x)"),
        7 => writeln!(s, "    x = layers.Dense({u}, **DENSE_KW)(x)"),
        8 => writeln!(
            s,
            "    x = layers.Conv2D({u}, 3, padding=\"same\", kernel_initializer=KERNEL_INIT)(x)"
        ),
        9 => writeln!(s, "    x = layers.BatchNormalization(gamma_initializer=\"ones\")(x)"),
        10 => writeln!(s, "    x = layers.LayerNormalization()(x)"),
        11 => writeln!(
            s,
            "    x = layers.Embedding(1000, {u}, embeddings_initializer=EMBED_INIT)(x)"
        ),
        12 => writeln!(
            s,
            "    x = layers.LSTM({u}, return_sequences=True, recurrent_initializer=RECURRENT_INIT)(x)"
        ),
        _ => writeln!(s, "    x = conv_block({u})(x)"),
    };
}

/// A model module: imports constants and helpers from other files; `functions` model builders of
/// about `layers_per_fn` layer lines each (plus some plain lines between them).
fn model_module(
    rng: &mut Rng,
    consts: usize,
    helpers: usize,
    functions: usize,
    layers_per_fn: usize,
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "\"\"\"A model for the keras-lsp benchmark.\"\"\"\nimport functools\n\nimport keras\nfrom keras import initializers, layers\n\n\
from app.common.consts_{consts} import BIAS_INIT, EMBED_INIT, KERNEL_INIT, RECURRENT_INIT\n\
from app.models.helpers_{helpers} import DENSE_KW, NormalDense, conv_block, dense_block\n\n\
SEED = {}\nLOCAL_INIT = initializers.RandomNormal(mean=0.0, stddev=0.02, seed=SEED)\n",
        rng.below(10_000)
    );
    for f in 0..functions {
        let _ = write!(
            s,
            "\n\ndef build_{}_{f}(num_classes={}, dropout=0.1):\n    \"\"\"Builds the model.\"\"\"\n    inputs = keras.Input(shape=(32, 32, 3))\n    x = inputs\n",
            name(rng),
            2 + rng.below(100)
        );
        for l in 0..layers_per_fn {
            layer_line(rng, &mut s);
            if l % 3 == 2 {
                s.push_str("    x = layers.Dropout(dropout)(x)\n");
                s.push_str("    # Keep the shapes small for the smoke test.\n");
            }
        }
        s.push_str(
            "    outputs = layers.Dense(num_classes, kernel_initializer=LOCAL_INIT)(x)\n    return keras.Model(inputs, outputs)\n",
        );
    }
    s
}

/// Writes the workspace: `files` Python files of about `total_bytes` in all, under `root`.
pub fn generate(root: &Path, files: usize, total_bytes: u64) -> std::io::Result<Generated> {
    let mut rng = Rng::new(0x6b65_7261_735f_6c73);
    let mut g = Generated::default();
    let write = |rel: &str, text: &str, g: &mut Generated| -> std::io::Result<PathBuf> {
        let p = root.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(&p, text)?;
        g.files += 1;
        g.bytes += text.len() as u64;
        Ok(p)
    };
    // Proportions (of `files`): 0.4% constants, 0.6% helpers, 9% models, the rest plain modules
    // (30% of them without any import); a few `__init__.py`; one 3,000-line model file.
    let n_consts = (files / 250).max(1);
    let n_helpers = (files * 6 / 1000).max(1);
    let n_models = (files * 9 / 100).max(1);
    let n_pkgs = (files / 100).max(1);
    let inits = 3 + n_pkgs;
    let fixed = n_consts + n_helpers + n_models + 1 + inits;
    let n_plain = files.saturating_sub(fixed);
    for rel in [
        "app/__init__.py",
        "app/common/__init__.py",
        "app/models/__init__.py",
    ] {
        write(rel, "", &mut g)?;
    }
    for k in 0..n_consts {
        let t = consts_module(&mut rng, k);
        write(&format!("app/common/consts_{k}.py"), &t, &mut g)?;
    }
    for k in 0..n_helpers {
        let t = helpers_module(&mut rng, k % n_consts);
        write(&format!("app/models/helpers_{k}.py"), &t, &mut g)?;
    }
    for k in 0..n_models {
        let fns = 1 + rng.below(3) as usize;
        let per = 10 + rng.below(30) as usize;
        let t = model_module(&mut rng, k % n_consts, k % n_helpers, fns, per);
        let p = write(&format!("app/models/model_{k}.py"), &t, &mut g)?;
        g.model_files.push(p);
    }
    // The 3,000-line model file: functions of 60 layer lines until 3,000 lines.
    let mut big = model_module(&mut rng, 0, 0, 1, 60);
    let mut f = 1;
    while big.lines().count() < 3000 {
        let more = model_module(&mut rng, 0, 0, 1, 60);
        // Keep only the function (drop the header of the extra module).
        let body = &more[more.find("\n\ndef ").unwrap_or(0)..];
        big.push_str(&body.replace("def build_", &format!("def build{f}_")));
        f += 1;
    }
    let big: String = big.lines().take(3000).fold(String::new(), |mut acc, l| {
        acc.push_str(l);
        acc.push('\n');
        acc
    });
    // Cutting at 3,000 lines may leave a function without its `return`: harmless.
    g.big_file_lines = big.lines().count();
    g.big_file = write("app/models/big_model.py", &big, &mut g)?;
    // Plain modules fill the remaining bytes.
    let remaining = total_bytes.saturating_sub(g.bytes);
    let avg = (remaining / n_plain.max(1) as u64).max(512) as usize;
    let mut siblings: Vec<String> = Vec::new();
    for k in 0..n_plain {
        let pkg = k % n_pkgs;
        if k < n_pkgs {
            write(&format!("app/lib/pkg_{pkg}/__init__.py"), "", &mut g)?;
        }
        // Sizes uniform in [avg/5, 9*avg/5] (mean avg).
        let target = avg / 5 + rng.below((avg * 8 / 5) as u64) as usize;
        let imports = rng.below(10) >= 3;
        let t = plain_module(&mut rng, target, imports, &siblings);
        write(&format!("app/lib/pkg_{pkg}/mod_{k}.py"), &t, &mut g)?;
        if siblings.len() < 50 {
            siblings.push(format!("app.lib.pkg_{pkg}.mod_{k}"));
        }
    }
    Ok(g)
}
