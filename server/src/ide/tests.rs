//! Hover, inlay-hint and definition tests on in-memory workspaces. Expected initializers were
//! checked against real Keras 3.15.1 (the same cases run in `tests/fixtures/keras3` under the oracle).

use super::*;
use crate::analysis::{FileAnalysis, Settings, Workspace};
use std::path::PathBuf;

fn workspace(files: &[(&str, &str)]) -> Workspace {
    let root = PathBuf::from("/ws");
    let mut ws = Workspace::new(Settings::default());
    for (name, text) in files {
        let path = root.join(name);
        let names = crate::analysis::module_names_for(&path, std::slice::from_ref(&root));
        ws.insert(Arc::new(FileAnalysis::new(
            Arc::from(path.as_path()),
            Arc::from(*text),
            names,
        )));
    }
    ws
}

fn offset_of(text: &str, needle: &str) -> u32 {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text")) as u32
}

#[test]
fn hover_lists_weights_math_and_shared_instances() {
    let text = "import keras\nfrom keras import layers, initializers\n\ninit = initializers.HeNormal()\nmodel = keras.Sequential([\n    keras.Input(shape=(16,)),\n    layers.Dense(32, kernel_initializer=init),\n    layers.Dense(32, kernel_initializer=init),\n])\n";
    let ws = workspace(&[("m.py", text)]);
    let h = hover(
        &ws,
        std::path::Path::new("/ws/m.py"),
        offset_of(text, "Dense(32") + 1,
    )
    .unwrap();
    let md = h.markdown;
    assert!(md.contains("**keras.layers.Dense**"), "{md}");
    // A bullet per weight, the rest of the origin chain, the numbers and the shared object nested
    // under it; no table (Neovim shows the markdown source).
    assert!(
        md.contains(
            "\n\n- **kernel** `HeNormal(seed=None)` — argument `kernel_initializer` at line 7\n  - ← variable `init` bound at line 4\n  - shape (16, 32): normal truncated"
        ),
        "{md}"
    );
    assert!(
        md.contains("fan_in = 16, fan_out = 32: stddev = 0.4019 before truncation\n"),
        "{md}"
    );
    assert!(md.contains("\n  - the same `HeNormal` object (made at line 4) also initializes `kernel` of `Dense` at line 8;"), "{md}");
    assert!(
        md.ends_with(
            "\n- **bias** `Zeros()` — default of `Dense` (keras/src/layers/core/dense.py)\n"
        ),
        "{md}"
    );
    assert!(!md.contains('|'), "{md}");
}

#[test]
fn inlay_hints_are_plain_text_and_in_range() {
    let text =
        "from keras import layers\na = layers.Dense(4, use_bias=False)\nb = layers.LSTM(8)\n";
    let ws = workspace(&[("m.py", text)]);
    let hints = inlay_hints(
        &ws,
        std::path::Path::new("/ws/m.py"),
        Span::new(0, text.len() as u32),
    );
    let labels: Vec<String> = hints
        .iter()
        .map(|h| h.parts.iter().map(|p| p.text.as_str()).collect())
        .collect();
    assert_eq!(
        labels,
        [
            "kernel=glorot_uniform no bias",
            // 79 characters in full: the last weight is cut.
            "kernel=glorot_uniform recurrent_kernel=orthogonal +1 more"
        ]
    );
    let second_line = offset_of(text, "b =");
    let only_second = inlay_hints(
        &ws,
        std::path::Path::new("/ws/m.py"),
        Span::new(second_line, text.len() as u32),
    );
    assert_eq!(only_second.len(), 1);
}

/// The joined text of each hint of `text` (as `m.py` of a one-file workspace, or `files`).
fn labels_of(ws: &Workspace, text: &str) -> Vec<String> {
    inlay_hints(
        ws,
        std::path::Path::new("/ws/m.py"),
        Span::new(0, text.len() as u32),
    )
    .iter()
    .map(|h| h.parts.iter().map(|p| p.text.as_str()).collect())
    .collect()
}

#[test]
fn composite_layers_get_a_summary_by_role_within_60_characters() {
    let text = "import keras\nfrom keras import layers, initializers\n\nclass Tower(keras.Model):\n    def __init__(self):\n        super().__init__()\n        self.a = layers.Dense(8, kernel_initializer=\"he_uniform\", bias_initializer=\"ones\")\n        self.b = layers.Dense(8, kernel_initializer=\"orthogonal\", bias_initializer=\"ones\")\n        self.c = layers.Dense(1, use_bias=False)\n\n    def call(self, x):\n        return self.c(self.b(self.a(x)))\n\nm = Tower()\na = layers.MultiHeadAttention(num_heads=2, key_dim=4, kernel_initializer=\"he_uniform\", bias_initializer=\"ones\")\nb = layers.MultiHeadAttention(num_heads=2, key_dim=4, use_bias=False, kernel_initializer=initializers.RandomNormal(stddev=0.02))\nc = layers.Bidirectional(layers.LSTM(8))\nd = layers.BatchNormalization(renorm=True, moving_variance_initializer=initializers.Constant(4.0))\n";
    let ws = workspace(&[("m.py", text)]);
    let labels = labels_of(&ws, text);
    assert_eq!(
        labels,
        [
            // The three Dense of the subclassed model (their own hints come first).
            "kernel=he_uniform bias=ones",
            "kernel=orthogonal bias=ones",
            "kernel=glorot_uniform no bias",
            "5 weights: kernels 3 kinds, biases ones (1 not created)",
            "8 weights: kernels he_uniform, biases ones",
            "4 weights: kernels random_normal(stddev=0.02), no biases",
            // kernels, recurrent kernels and biases of both directions do not fit.
            "6 weights: kernels glorot_uniform, +2 more",
            // No role repeats: arguments elided, then the last weights cut.
            "gamma=ones beta=zeros moving_mean=zeros +4 more",
        ],
    );
    // Before, the model's label listed every weight: `dense/kernel=he_uniform dense/bias=ones ...`.
    for l in &labels {
        assert!(l.chars().count() <= format::MAX_LABEL_CHARS, "{l}");
    }
    // The tooltip (the hover text) still lists every weight.
    let path = std::path::Path::new("/ws/m.py");
    let tip = inlay_hint_tooltip(&ws, path, offset_of(text, "Tower()\n") + 7).unwrap();
    for w in [
        "- **kernel** `HeUniform(seed=None)`",
        "- **kernel** `Orthogonal(gain=1.0, seed=None)`",
        "- **bias** not created (`use_bias=False`)",
    ] {
        assert!(tip.contains(w), "{w} in {tip}");
    }
    // All weights belong to sub-layers: a line per sub-layer, then its weights.
    assert!(
        tip.contains("\n`dense_1/`\n- **kernel** `Orthogonal"),
        "{tip}"
    );
}

#[test]
fn long_arguments_are_elided_and_custom_classes_keep_their_location() {
    let inits = "import keras\n\nclass MyVS(keras.initializers.VarianceScaling):\n    def __init__(self, scale=1.0, mode='fan_in', distribution='truncated_normal', seed=None):\n        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)\n";
    let text = "from keras import layers\nfrom inits import MyVS\na = layers.Dense(4, kernel_initializer=MyVS(scale=0.1, mode='fan_out', distribution='uniform'))\nb = layers.Dense(4, kernel_initializer=MyVS(), bias_initializer=MyVS(seed=3))\nc = layers.MultiHeadAttention(num_heads=2, key_dim=4, kernel_initializer=MyVS(scale=0.1, mode='fan_out', distribution='uniform'))\n";
    let ws = workspace(&[("inits.py", inits), ("m.py", text)]);
    let path = std::path::Path::new("/ws/m.py");
    let hints = inlay_hints(&ws, path, Span::new(0, text.len() as u32));
    let labels: Vec<String> = hints
        .iter()
        .map(|h| h.parts.iter().map(|p| p.text.as_str()).collect())
        .collect();
    assert_eq!(
        labels,
        [
            // In full, `kernel=MyVS(distribution='uniform', mode='fan_out', scale=0.1) bias=zeros` (72).
            "kernel=MyVS(…) bias=zeros",
            // Arguments only where they differ from the class's defaults, as for Keras classes.
            "kernel=MyVS bias=MyVS(seed=3)",
            "8 weights: kernels MyVS(…), biases zeros",
        ]
    );
    for h in &hints {
        let linked: Vec<&str> = h
            .parts
            .iter()
            .filter(|p| p.target.is_some())
            .map(|p| p.text.as_str())
            .collect();
        assert!(linked.iter().all(|t| t.starts_with("MyVS")), "{linked:?}");
        assert!(!linked.is_empty(), "{:?}", h.parts);
        let (file, span) = h.parts.iter().find_map(|p| p.target.clone()).unwrap();
        assert_eq!(&*file, std::path::Path::new("/ws/inits.py"));
        assert_eq!(&inits[span.start as usize..span.end as usize], "MyVS");
    }
}

#[test]
fn padding_right_only_when_code_follows_the_hint() {
    let text = "from keras import layers\nx = layers.Dense(4)(x)\ny = layers.Dense(4)\nz = [layers.Dense(4), layers.Dense(2)]\nw = layers.Dense(4)  # comment\n";
    let ws = workspace(&[("m.py", text)]);
    let hints = inlay_hints(
        &ws,
        std::path::Path::new("/ws/m.py"),
        Span::new(0, text.len() as u32),
    );
    let pads: Vec<bool> = hints.iter().map(|h| h.padding_right).collect();
    assert_eq!(pads, [true, false, true, true, false]);
}

#[test]
fn definition_of_custom_initializer_across_files() {
    let inits = "import keras\n\nclass MyInit(keras.initializers.Initializer):\n    def __call__(self, shape, dtype=None):\n        return keras.ops.ones(shape)\n";
    let model = "from keras import layers\nfrom inits import MyInit\nx = layers.Dense(3, kernel_initializer=MyInit())\ny = layers.Dense(3, kernel_initializer='my_init')\n";
    let ws = workspace(&[("inits.py", inits), ("model.py", model)]);
    let t = definition(
        &ws,
        std::path::Path::new("/ws/model.py"),
        offset_of(model, "MyInit()") + 2,
    );
    assert_eq!(t.len(), 1);
    assert_eq!(&*t[0].path, std::path::Path::new("/ws/inits.py"));
    assert_eq!(
        &inits[t[0].span.start as usize..t[0].span.end as usize],
        "MyInit"
    );
}

#[test]
fn definition_and_hint_from_registered_names() {
    let inits = "import keras\n\n@keras.saving.register_keras_serializable(package='mine', name='scaled')\nclass Scaled(keras.initializers.Initializer):\n    \"\"\"Scaled ones.\"\"\"\n    def __init__(self, scale=2.0):\n        self.scale = scale\n    def __call__(self, shape, dtype=None):\n        return keras.ops.ones(shape) * self.scale\n    def get_config(self):\n        return {'scale': self.scale}\n\ndef tiny(shape, dtype=None):\n    return keras.ops.zeros(shape)\n\nkeras.saving.get_custom_objects().update({'tiny': tiny})\n";
    let model = "from keras import layers\nimport inits\na = layers.Dense(3, kernel_initializer='mine>scaled')\nb = layers.Dense(3, kernel_initializer='tiny')\n";
    let ws = workspace(&[("inits.py", inits), ("model.py", model)]);
    let p = std::path::Path::new("/ws/model.py");
    let t = definition(&ws, p, offset_of(model, "mine>scaled") + 2);
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(
        &inits[t[0].span.start as usize..t[0].span.end as usize],
        "Scaled"
    );
    let t = definition(&ws, p, offset_of(model, "'tiny'") + 2);
    assert_eq!(
        &inits[t[0].span.start as usize..t[0].span.end as usize],
        "tiny"
    );
    let hints = inlay_hints(&ws, p, Span::new(0, model.len() as u32));
    let labels: Vec<String> = hints
        .iter()
        .map(|h| h.parts.iter().map(|p| p.text.as_str()).collect())
        .collect();
    assert_eq!(
        labels,
        [
            // `Scaled`'s own default is scale=2.0, so no arguments, as `he_normal`.
            "kernel=Scaled bias=zeros",
            "kernel=tiny bias=zeros"
        ]
    );
    // The custom class part of the label is clickable.
    assert!(hints[0]
        .parts
        .iter()
        .any(|p| p.target.is_some() && p.text.starts_with("Scaled")));
    let h = hover(&ws, p, offset_of(model, "Dense") + 1).unwrap();
    assert!(
        h.markdown.contains(
            "custom initializer `Scaled` (inits.py:4, subclass of `Initializer`): Scaled ones."
        ),
        "{}",
        h.markdown
    );
}

#[test]
fn hover_on_layer_class_definition_and_on_values() {
    let text = "import keras\nfrom keras import layers, initializers\n\nclass Block(layers.Layer):\n    def __init__(self, units, kernel_initializer='glorot_normal', **kwargs):\n        super().__init__(**kwargs)\n        self.proj = layers.Dense(units, kernel_initializer=kernel_initializer)\n\n    def build(self, input_shape):\n        self.scale = self.add_weight(shape=(1,), initializer='ones', name='scale')\n\nSTD = initializers.TruncatedNormal(stddev=0.02)\n";
    let ws = workspace(&[("m.py", text)]);
    let p = std::path::Path::new("/ws/m.py");
    let h = hover(&ws, p, offset_of(text, "Block") + 1)
        .unwrap()
        .markdown;
    assert!(
        h.contains("\n- **dense/kernel** `GlorotNormal(seed=None)` — "),
        "{h}"
    );
    assert!(
        h.contains("default of parameter `kernel_initializer` of `__init__`"),
        "{h}"
    );
    assert!(h.contains("\n- **scale** `Ones()` — "), "{h}");
    let v = hover(&ws, p, offset_of(text, "STD =") + 1)
        .unwrap()
        .markdown;
    assert!(
        v.contains("`TruncatedNormal(mean=0.0, seed=None, stddev=0.02)`"),
        "{v}"
    );
}

#[test]
fn a_statement_broken_while_typing_keeps_its_last_answers() {
    let good = "from keras import layers, initializers\ninit = initializers.HeNormal()\nx = layers.Dense(4, kernel_initializer=init)\ny = layers.Dense(2, kernel_initializer=init)\n";
    let broken = good.replace("initializers.HeNormal()", "initializers.HeNormal(");
    let path = std::path::Path::new("/ws/m.py");
    let ws = edited(good, &broken);
    // The call that reads `init` keeps its answer...
    let h = hover(&ws, path, offset_of(&broken, "Dense(2") + 1).unwrap();
    assert!(
        h.markdown.contains("`HeNormal(seed=None)`"),
        "{}",
        h.markdown
    );
    assert!(!h.markdown.contains("does not parse"), "{}", h.markdown);
    // ...and a call in the broken statement says where its answer comes from.
    let broken_call = "from keras import layers\nx = layers.Dense(4, use_bias=False\n";
    let good_call = "from keras import layers\nx = layers.Dense(4, use_bias=False)\n";
    let ws = edited(good_call, broken_call);
    let h = hover(&ws, path, offset_of(broken_call, "Dense") + 1).unwrap();
    assert!(
        h.markdown.starts_with("*Line 2 does not parse"),
        "{}",
        h.markdown
    );
    assert!(h.markdown.contains("\n- **kernel** `"), "{}", h.markdown);
    assert_eq!(ws.file(path).unwrap().errors.len(), 1);
    // Without the earlier version, the broken statement is left out.
    let cold = workspace(&[("m.py", broken_call)]);
    assert!(hover(&cold, path, offset_of(broken_call, "Dense") + 1).is_none());
}

/// `FileAnalysis::after` of `new` with `old` analysed before, in a one-file workspace.
fn edited(old: &str, new: &str) -> Workspace {
    let path = std::path::Path::new("/ws/m.py");
    let before = workspace(&[("m.py", old)]);
    let mut ws = before.clone();
    ws.insert(Arc::new(FileAnalysis::after(
        Arc::from(path),
        Arc::from(new),
        before.file(path).unwrap().module_names.clone(),
        before
            .file(path)
            .and_then(|f| f.earlier_text())
            .into_iter()
            .collect(),
    )));
    ws
}

#[test]
fn an_edit_across_statements_brings_none_of_them_back() {
    // Found by a fresh-user trial: one change deleting from line 2 into line 4 left a broken line
    // 2; the deleted `INIT = ...` and `Dense(3, ...)` must not keep answering.
    let old = "from keras import layers\na = layers.Dense(1, kernel_initializer=\"ones\")(x)\nINIT = \"orthogonal\"\nc = layers.Dense(3, kernel_initializer=\"he_normal\")(x)\nd = layers.Dense(4, kernel_initializer=INIT)(x)\n";
    let cut_from = old.find("\"ones\")(x)").unwrap();
    let cut_to = old.find("c = layers.Dense(3, ").unwrap() + "c = layers.Dense(3, ".len();
    let new = format!("{}{}", &old[..cut_from], &old[cut_to..]);
    let ws = edited(old, &new);
    let path = std::path::Path::new("/ws/m.py");
    let hints = inlay_hints(&ws, path, Span::new(0, new.len() as u32));
    let labels: Vec<String> = hints
        .iter()
        .map(|h| h.parts.iter().map(|p| p.text.as_str()).collect())
        .collect();
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert!(
        !labels[0].contains("orthogonal") && !labels[0].contains("he_normal"),
        "{labels:?}"
    );
}

#[test]
fn a_call_the_edit_touches_is_not_answered_from_its_last_version() {
    let old = "from keras import layers\nx = layers.Dense(4, kernel_initializer=\"he_normal\")(x)\ny = layers.Dense(2)(x)\n";
    let path = std::path::Path::new("/ws/m.py");
    // Typing inside the call's arguments: its old answer would not match what is written.
    let new = old.replace("\"he_normal\")(x)", "\"glorot");
    let ws = edited(old, &new);
    let hints = inlay_hints(&ws, path, Span::new(0, new.len() as u32));
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert!(hover(&ws, path, offset_of(&new, "Dense(4") + 1).is_none());
    // The whole statement replaced: nothing of it answers either.
    let new = old.replace(
        "x = layers.Dense(4, kernel_initializer=\"he_normal\")(x)",
        "foo(",
    );
    let ws = edited(old, &new);
    assert_eq!(
        inlay_hints(&ws, path, Span::new(0, new.len() as u32)).len(),
        1
    );
    // The closing parenthesis deleted: the arguments are unchanged, the last answer stands, and
    // hover says where it comes from.
    let new = old.replace("\"he_normal\")(x)", "\"he_normal\"(x)");
    let ws = edited(old, &new);
    let h = hover(&ws, path, offset_of(&new, "Dense(4") + 1).unwrap();
    assert!(
        h.markdown.starts_with("*Line 2 does not parse"),
        "{}",
        h.markdown
    );
    assert!(h.markdown.contains("HeNormal"), "{}", h.markdown);
}

#[test]
fn call_sites_follow_added_changed_and_removed_files_after_the_callee_map_is_built() {
    // `call_sites_named` answers from a map built once per run of snapshots plus the files
    // changed since; each step below must see exactly the call sites of its own snapshot.
    let helper = "from keras import layers\n\ndef make(init):\n    return layers.Dense(4, kernel_initializer=init)\n";
    let a = "from helper import make\nx = make(\"he_normal\")\n";
    let path = std::path::Path::new("/ws/helper.py");
    let at = offset_of(helper, "Dense") + 1;
    let kernel = |ws: &Workspace| -> String {
        // The kernel's bullet with its nested ones (the alternatives of a one-of).
        let md = hover(ws, path, at).unwrap().markdown;
        let from = md.find("\n- **kernel** ").expect("a kernel bullet") + 1;
        let rest = &md[from..];
        let end = rest[1..].find("\n- ").map_or(rest.len(), |i| i + 2);
        rest[..end].to_string()
    };
    let add = |ws: &mut Workspace, name: &str, text: &str| {
        let p = PathBuf::from("/ws").join(name);
        ws.insert(Arc::new(FileAnalysis::new(
            Arc::from(p.as_path()),
            Arc::from(text),
            vec![name.trim_end_matches(".py").to_string()],
        )));
    };
    let mut ws = workspace(&[("helper.py", helper), ("a.py", a)]);
    // A snapshot changed before the map was built, asked first: the map it builds is not the
    // earlier snapshot's.
    let mut changed = ws.clone();
    add(
        &mut changed,
        "a.py",
        "from helper import make
",
    );
    let k = kernel(&changed);
    assert!(!k.contains("HeNormal"), "{k}");
    let k = kernel(&ws);
    assert!(k.contains("HeNormal") && !k.contains("Orthogonal"), "{k}");
    // A new file that calls `make`.
    let mut next = ws.clone();
    add(
        &mut next,
        "b.py",
        "from helper import make\ny = make(\"orthogonal\")\n",
    );
    let k = kernel(&next);
    assert!(k.contains("HeNormal") && k.contains("Orthogonal"), "{k}");
    // The snapshot before it is unchanged.
    let k = kernel(&ws);
    assert!(!k.contains("Orthogonal"), "{k}");
    // A file that no longer calls it, then one removed.
    ws = next.clone();
    add(&mut ws, "a.py", "from helper import make\n");
    let k = kernel(&ws);
    assert!(!k.contains("HeNormal") && k.contains("Orthogonal"), "{k}");
    ws.remove(std::path::Path::new("/ws/b.py"));
    let k = kernel(&ws);
    assert!(!k.contains("Orthogonal"), "{k}");
    // Many changed files: the map is rebuilt and still exact.
    for i in 0..100 {
        add(
            &mut ws,
            &format!("m{i}.py"),
            "import helper\nz = helper.make(\"zeros\")\n",
        );
    }
    let k = kernel(&ws);
    assert!(k.contains("Zeros") && !k.contains("Orthogonal"), "{k}");
}

#[test]
fn a_called_helper_is_not_shown_as_a_callable_initializer() {
    // Found by a fresh-user trial: hovering `dense_block` in `dense_block(8)(x)` said
    // "initializer: Callable(name='dense_block')". A function passed as a value still is one.
    let text = "from keras import layers\n\ndef dense_block(units):\n    return layers.Dense(units)\n\ndef my_init(shape, dtype=None):\n    return None\n\nx = dense_block(8)(x)\ny = layers.Dense(4, kernel_initializer=my_init)(x)\n";
    let ws = workspace(&[("m.py", text)]);
    let path = std::path::Path::new("/ws/m.py");
    // The call line of a helper that builds layers: the layers this call builds.
    let call = hover(&ws, path, offset_of(text, "dense_block(8)") + 1).unwrap();
    assert!(
        call.markdown.contains("the layers this call builds")
            && call.markdown.contains("keras.layers.Dense")
            && !call.markdown.contains("Callable"),
        "{}",
        call.markdown
    );
    let h = hover(&ws, path, offset_of(text, "my_init)") + 1).unwrap();
    assert!(h.markdown.contains("Callable"), "{}", h.markdown);
}

#[test]
fn nested_calls_of_one_function_are_not_a_cycle_and_hover_matches_the_file() {
    // Found by a tester: `ident(X)` with `X = ident("ones")` said "`a` is defined in terms of
    // itself (a cycle)" on hover, `Ones` in the whole file (the cycle guard ignored call frames).
    let text = "import keras\n\ndef ident(a):\n    return a\n\nX = ident(\"ones\")\nV = X\nW = V\na = keras.layers.Dense(4, kernel_initializer=W)\nb = keras.layers.Dense(4, kernel_initializer=ident(X))\nc = keras.layers.Dense(4, kernel_initializer=ident(ident(\"zeros\")))\n";
    let ws = workspace(&[("m.py", text)]);
    let path = std::path::Path::new("/ws/m.py");
    for (needle, want) in [
        ("Dense(4, kernel_initializer=ident(X", "Ones()"),
        ("Dense(4, kernel_initializer=ident(ident", "Zeros()"),
    ] {
        let md = hover(&ws, path, offset_of(text, needle) + 1)
            .unwrap()
            .markdown;
        assert!(md.contains(&format!("- **kernel** `{want}` — ")), "{md}");
    }
    let all = ws.layer_calls(path);
    assert!(
        all.iter().all(|c| c.weights.iter().all(|w| w
            .candidates
            .iter()
            .all(|c| matches!(c, crate::analysis::Candidate::Resolved { .. })))),
        "{all:?}"
    );
}

#[test]
fn a_helper_returning_a_layer_class_through_an_alias_still_constructs() {
    // Found by a tester: `make_block(8, factory=dense_class)(16, ...)` was taken for the
    // application of a layer instance (the helper's call sites were searched by name only).
    let text = "import keras\nfrom keras import layers\n\ndef block(n, factory=layers.Dense):\n    return factory(n)\n\ndef dense_class(n):\n    return layers.Dense\n\nmake_block = block\ny = make_block(8, factory=dense_class)(16, kernel_initializer=\"ones\")\n";
    let ws = workspace(&[("m.py", text)]);
    let path = std::path::Path::new("/ws/m.py");
    let calls = ws.layer_calls(path);
    assert!(
        calls
            .iter()
            .any(|c| c.span.start == offset_of(text, "make_block(8")),
        "{calls:?}"
    );
}

#[test]
fn the_relevance_filter_keeps_bindings_whatever_whitespace_follows() {
    use crate::analysis::is_relevant;
    assert!(is_relevant("def\tkernel_init():\n    return 'ones'\n"));
    assert!(is_relevant("class\tCfg:\n    pass\n"));
    assert!(is_relevant("STD = 0.05\n"));
    assert!(!is_relevant("\"\"\"Only a docstring.\"\"\"\n"));
}

/// The kernel candidates of the one layer call of `path`: class names, or `?reason`.
fn kernel_candidates(ws: &Workspace, path: &str) -> Vec<String> {
    let calls = ws.layer_calls(std::path::Path::new(path));
    assert_eq!(calls.len(), 1, "{path}: {calls:?}");
    let w = calls[0]
        .weights
        .iter()
        .find(|w| w.weight == "kernel")
        .expect("a kernel");
    let mut out: Vec<String> = w
        .candidates
        .iter()
        .map(|c| match c {
            crate::analysis::Candidate::Resolved { init, .. } => init.class.clone(),
            crate::analysis::Candidate::Unresolved { reason, .. } => format!("?{reason}"),
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_star_import_cycle_keeps_the_names_bound_in_its_modules() {
    // Issue 15, item 1: the lookup of `layers` through `from b import *` came back to `a` through
    // `b`'s `from a import *` and gave up the whole name (the call was not reported). Whichever
    // module runs first, the other finds it partly initialised, with the names bound before its
    // star import.
    let a =
        "from keras import layers\nfrom b import *\nd = layers.Dense(2, kernel_initializer=Z)\n";
    let undefined = [
        vec![("a.py", a), ("b.py", "from a import *\n")],
        vec![
            ("a.py", a),
            ("b.py", "from c import *\n"),
            ("c.py", "from a import *\n"),
        ],
        vec![(
            "a.py",
            "from keras import layers\nfrom a import *\nd = layers.Dense(2, kernel_initializer=Z)\n",
        )],
        vec![
            ("p/__init__.py", ""),
            (
                "p/a.py",
                "from keras import layers\nfrom .b import *\nd = layers.Dense(2, kernel_initializer=Z)\n",
            ),
            ("p/b.py", "from .a import *\n"),
        ],
    ];
    for files in undefined {
        let ws = workspace(&files);
        let a = format!(
            "/ws/{}",
            files.iter().find(|f| f.0.ends_with("a.py")).unwrap().0
        );
        assert_eq!(
            kernel_candidates(&ws, &a),
            ["?name `Z` is not defined"],
            "{files:?}"
        );
    }
    // `Z` bound in another module of the cycle, before its star import: found there, and only
    // there (`a` binds no `Z` of its own).
    let ws = workspace(&[("a.py", a), ("b.py", "Z = 'ones'\nfrom a import *\n")]);
    assert_eq!(kernel_candidates(&ws, "/ws/a.py"), ["Ones"]);
    let ws = workspace(&[
        ("a.py", a),
        ("b.py", "Z = 'ones'\nfrom c import *\n"),
        ("c.py", "from a import *\n"),
    ]);
    assert_eq!(kernel_candidates(&ws, "/ws/a.py"), ["Ones"]);
    // `layers` bound only in `b`, before its star import.
    let ws = workspace(&[
        (
            "a.py",
            "from b import *\nd = layers.Dense(2, kernel_initializer=Z)\n",
        ),
        (
            "b.py",
            "from keras import layers\nZ = 'zeros'\nfrom a import *\n",
        ),
    ]);
    assert_eq!(kernel_candidates(&ws, "/ws/a.py"), ["Zeros"]);
    // Bound in both before the imports: run as a script, `a` gets `b`'s; imported first, `b`
    // finds `a` partly initialised and `a` gets its own back.
    let ws = workspace(&[
        (
            "a.py",
            "from keras import layers\nZ = 'zeros'\nfrom b import *\nd = layers.Dense(2, kernel_initializer=Z)\n",
        ),
        ("b.py", "Z = 'ones'\nfrom a import *\n"),
    ]);
    assert_eq!(kernel_candidates(&ws, "/ws/a.py"), ["Ones", "Zeros"]);
}

/// The answers prepared in the background ([`prepare`]) are the answers computed on demand: the
/// hover at every character of every call of the fixtures (and of a file with seeded shared
/// initializers, whose hover reads the file's other calls; with the calls of helpers that build
/// layers), every hint with its tooltip, and the tooltip of each hint.
#[test]
fn prepared_answers_are_the_answers_computed_on_demand() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/keras3");
    // With the helper-call fixtures: their call lines' hints and hovers are prepared too.
    let helpers = dir.join("../helpers");
    let mut texts: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(&helpers).unwrap())
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "py").then(|| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
        })
        .collect();
    texts.push(("seeded.py".into(), "import keras\nfrom keras import layers\n\ninit = keras.initializers.HeNormal(seed=1)\nm = keras.Sequential([keras.Input((4,)), layers.Dense(3, kernel_initializer=init), layers.Dense(3, kernel_initializer=init)])\n".into()));
    texts.sort();
    assert!(texts.len() > 40, "fixtures not found in {}", dir.display());
    let files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let base = workspace(&files);
    let mut compared = 0;
    for (name, text) in &texts {
        let path = PathBuf::from("/ws").join(name);
        let (lazy, eager) = (base.clone(), base.clone());
        assert!(prepare(&eager, &path));
        let file = eager.file(&path).unwrap().clone();
        assert!(answers::ready(&eager, &file).is_some());
        assert!(answers::ready(&lazy, lazy.file(&path).unwrap()).is_none());
        for site in &file.ir.calls {
            let s = site.call.callee_name_span();
            for off in s.start..=s.end {
                assert_eq!(
                    hover(&lazy, &path, off),
                    hover(&eager, &path, off),
                    "{name} at {off}"
                );
                compared += 1;
            }
        }
        let all = Span::new(0, text.len() as u32);
        let hints = inlay_hints_with_tooltips(&lazy, &path, all);
        assert_eq!(
            hints,
            inlay_hints_with_tooltips(&eager, &path, all),
            "{name}"
        );
        assert_eq!(
            inlay_hints(&lazy, &path, all),
            inlay_hints(&eager, &path, all),
            "{name}"
        );
        for h in &hints {
            assert_eq!(
                inlay_hint_tooltip(&lazy, &path, h.offset),
                inlay_hint_tooltip(&eager, &path, h.offset),
                "{name}"
            );
            assert!(inlay_hint_tooltip(&eager, &path, h.offset).is_some());
        }
        let half = Span::new(0, text.len() as u32 / 2);
        assert_eq!(
            inlay_hints(&lazy, &path, half),
            inlay_hints(&eager, &path, half),
            "{name}"
        );
    }
    assert!(compared > 1000, "{compared}");
}
