//! End-to-end: helper call lines over stdio. `tests/fixtures/helpers/helper_calls.py` is run by the
//! runtime oracle (`tests/oracle/run.sh`, suite `helpers`, which compares every helper call line of
//! `check` with the layers Keras builds during that call); here the same answers reach the editor
//! as the call line's own inlay hint and hover.

mod support;

use expect_test::expect;
use serde_json::json;
use support::{label, Client};

#[test]
fn helper_call_lines_get_their_own_hint_and_hover() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/helpers")
        .canonicalize()
        .unwrap();
    let path = root.join("helper_calls.py");
    let uri = support::uri(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut c = Client::spawn();
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": support::uri(&root), "capabilities": {},
               "workspaceFolders": [{"uri": support::uri(&root), "name": "helpers"}]}),
    );
    c.notify("initialized", json!({}));
    c.open(&uri, &text);

    // Every hint of the module-level lines (the helpers' own layer lines come first).
    let first = text.lines().position(|l| l.starts_with("image =")).unwrap() as u32;
    let hints = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": first, "character": 0}, "end": {"line": 200, "character": 0}}}),
    );
    let shown: Vec<String> = hints["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}: {}",
                h["position"]["line"].as_u64().unwrap() + 1,
                label(h)
            )
        })
        .collect();
    expect![[r#"
        44: Conv2D kernel=he_uniform … · BatchNormalization gamma=ones …
        45: Conv2D kernel=random_normal(stddev=0.02) … · +1 more
        46: Conv2D … · BatchNormalization gamma=ones beta=zeros +2 more
        47: Conv2D kernel=zeros bias=zeros · +4 more
        48: Conv2D kernel=lecun_normal(seed=3) bias=ones · +3 more
        49: Conv2D kernel=glorot_uniform bias=ones · +3 more
        52: Dense kernel=glorot_normal … · Dense bias=glorot_normal …
        53: Dense kernel=he_normal no bias · Dense bias=he_normal …
        54: Dense kernel=truncated_normal(stddev=0.1) … · +1 more
        57: Dense kernel=variance_scaling(scale=0.5) bias=zeros
        58: Dense kernel=lecun_uniform bias=zeros"#]]
    .assert_eq(&shown.join("\n"));

    // The same helper, three calls, three answers; a nested helper's layers through its call.
    let hover_on = |c: &mut Client, needle: &str, word: &str| {
        let line = text.lines().position(|l| l.starts_with(needle)).unwrap();
        let col = text.lines().nth(line).unwrap().find(word).unwrap() + 1;
        let h = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}}),
        );
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    expect![[r#"
        **conv_bn(…)** — the layers this call builds, initializers for Keras 3.15.1

        **1. keras.layers.Conv2D** at line 11
        - **kernel** `HeUniform(seed=None)` — argument `kernel_initializer` at line 44
          - U(-limit, limit), limit = sqrt(3 · 2 / n), n = fan_in
        - **bias** `Zeros()` — default of `Conv2D` (keras/src/layers/convolutional/conv2d.py)

        **2. keras.layers.BatchNormalization** at line 12
        - **gamma** `Ones()` — argument `gamma_initializer` at line 12
        - **beta** `Zeros()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)
        - **moving_mean** `Zeros()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)
        - **moving_variance** `Ones()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)
    "#]].assert_eq(&hover_on(&mut c, "a = conv_bn(", "conv_bn"));
    expect![[r#"
        **dense_block(…)** — the layers this call builds, initializers for Keras 3.15.1

        **1. keras.layers.Dense** at line 16
        - **kernel** `HeNormal(seed=None)` — argument `kernel_initializer` at line 16
          - ← argument `init` of `dense_block` at line 53
          - normal truncated to ±2·stddev, stddev = sqrt(2 / n) / 0.8796 (so the truncated samples have std sqrt(2 / n)), n = fan_in
        - **bias** not created (`use_bias=False`)

        **2. keras.layers.Dense** at line 17
        - **kernel** `GlorotUniform(seed=None)` — default of `Dense` (keras/src/layers/core/dense.py)
          - shape (8, 4): U(-limit, limit), limit = sqrt(3 · 1 / n), n = (fan_in + fan_out) / 2; fan_in = 8, fan_out = 4: limit = 0.7071
        - **bias** `HeNormal(seed=None)` — argument `bias_initializer` at line 17
          - ← argument `init` of `dense_block` at line 53
          - shape (4,): normal truncated to ±2·stddev, stddev = sqrt(2 / n) / 0.8796 (so the truncated samples have std sqrt(2 / n)), n = fan_in; fan_in = 4, fan_out = 4: stddev = 0.8039 before truncation
    "#]].assert_eq(&hover_on(&mut c, "d2 = dense_block(", "dense_block"));
    expect![[r#"
        **residual(…)** — the layers this call builds, initializers for Keras 3.15.1

        **1. keras.layers.Conv2D** at line 11 (through `conv_bn` at line 25)
        - **kernel** `LecunNormal(seed=3)` — argument `kernel_initializer` at line 25
          - ← argument `init` of `residual` at line 48
          - normal truncated to ±2·stddev, stddev = sqrt(1 / n) / 0.8796 (so the truncated samples have std sqrt(1 / n)), n = fan_in
        - **bias** `Ones()` — argument `bias_initializer` at line 25

        **2. keras.layers.BatchNormalization** at line 12 (through `conv_bn` at line 25)
        - **gamma** `Ones()` — argument `gamma_initializer` at line 12
        - **beta** `Zeros()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)
        - **moving_mean** `Zeros()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)
        - **moving_variance** `Ones()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)

        **3. keras.layers.Conv2D** at line 11 (through `conv_bn` at line 26)
        - **kernel** `GlorotUniform(seed=None)` — default of `Conv2D` (keras/src/layers/convolutional/conv2d.py)
          - U(-limit, limit), limit = sqrt(3 · 1 / n), n = (fan_in + fan_out) / 2
        - **bias** not created (`use_bias=False`)

        **4. keras.layers.BatchNormalization** at line 12 (through `conv_bn` at line 26)
        - **gamma** `Ones()` — argument `gamma_initializer` at line 12
        - **beta** `Zeros()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)
        - **moving_mean** `Zeros()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)
        - **moving_variance** `Ones()` — default of `BatchNormalization` (keras/src/layers/normalization/batch_normalization.py)

        **5. keras.layers.Add** at line 27
        - no weights
    "#]].assert_eq(&hover_on(&mut c, "r2 = residual(", "residual"));
    expect![[r#"
        **Builder.head(…)** — the layers this call builds, initializers for Keras 3.15.1

        **1. keras.layers.Dense** at line 40
        - **kernel** `LecunUniform(seed=None)` — argument `kernel_initializer` at line 40
          - ← `self.init` set at line 37
          - ← argument `init` of `__init__` at line 58
          - U(-limit, limit), limit = sqrt(3 · 1 / n), n = fan_in
        - **bias** `Zeros()` — default of `Dense` (keras/src/layers/core/dense.py)
    "#]]
    .assert_eq(&hover_on(&mut c, "other = Builder(", "head"));

    // The tooltip of a helper call's hint, resolved lazily, is its hover.
    let line = text
        .lines()
        .position(|l| l.starts_with("a = conv_bn("))
        .unwrap();
    let end = text.lines().nth(line).unwrap().len();
    let one = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": end}}}),
    );
    let hint = one["result"][0].clone();
    let resolved = c.request("inlayHint/resolve", hint);
    let tip = resolved["result"]["tooltip"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(tip.contains("HeUniform(seed=None)"), "{resolved:#?}");
    assert_eq!(c.shutdown(), 0);
}
