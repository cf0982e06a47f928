//! End-to-end: diagnostics pushed after `didOpen` and after a change, pulled with
//! `textDocument/diagnostic`, and the quick fixes and the "make explicit" refactor applied and
//! re-analysed. Every error asserted here raises in Keras 3.15.1 and every shared-initializer
//! warning names weights with identical initial values: the same code is in the runtime-checked
//! fixtures of `tests/fixtures/diagnostics` (`tests/diagnostics/run.py`).

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::Client;

const CONFIG: &str = "from keras import initializers\n\nINIT = initializers.HeNormal()\n";
const MODEL: &str = "\
import keras
from keras import layers
from config import INIT

inputs = keras.Input((8,))
a = layers.Dense(4, kernel_initializer=INIT)(inputs)
b = layers.Dense(4, kernel_initializer=INIT)(inputs)
c = layers.Dense(4, kernel_initializer=\"he_normall\")(inputs)
d = layers.Dense(4, use_bias=False, bias_initializer=\"ones\")(inputs)
e = layers.Dense(4)(inputs)
";

fn workspace(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("keras-lsp-diag-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.py"), CONFIG).unwrap();
    std::fs::write(dir.join("model.py"), MODEL).unwrap();
    dir.canonicalize().unwrap()
}

fn codes(diags: &Value) -> Vec<(u64, String)> {
    let mut v: Vec<(u64, String)> = diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn published(c: &mut Client, uri: &str, version: i64) -> Value {
    c.wait_for(Duration::from_secs(60), |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == uri
            && v["params"]["version"] == version
    })
    .unwrap_or_else(|| panic!("no diagnostics for version {version}; log:\n{}", c.log()))["params"]
        ["diagnostics"]
        .clone()
}

/// Applies the LSP text edits of `uri` in `edit` (a WorkspaceEdit) to `text` (ASCII only).
fn apply(text: &str, edit: &Value, uri: &str) -> String {
    let mut edits: Vec<(usize, usize, String)> = edit["changes"][uri]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let off = |p: &Value| {
                let (l, c) = (
                    p["line"].as_u64().unwrap() as usize,
                    p["character"].as_u64().unwrap() as usize,
                );
                text.split_inclusive('\n')
                    .take(l)
                    .map(str::len)
                    .sum::<usize>()
                    + c
            };
            (
                off(&e["range"]["start"]),
                off(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut s = text.to_string();
    for (a, z, t) in edits {
        s.replace_range(a..z, &t);
    }
    s
}

#[test]
fn pushed_diagnostics_quick_fixes_and_the_explicit_refactor() {
    let dir = workspace("push");
    let uri = support::uri(&dir.join("model.py"));
    let mut c = Client::spawn();
    let init = c.initialize(&[&dir], json!({}));
    let caps = &init["result"]["capabilities"];
    assert!(
        caps["diagnosticProvider"].is_null(),
        "no pull without the client's capability"
    );
    // A client that pulls but cannot be asked to pull again (Neovim 0.11) gets pushes.
    let mut n = Client::spawn();
    let r = n.request(
        "initialize",
        json!({"processId": null, "rootUri": null,
               "capabilities": {"textDocument": {"diagnostic": {"dynamicRegistration": false}}},
               "workspaceFolders": [{"uri": support::uri(&dir), "name": "ws"}]}),
    );
    assert!(
        r["result"]["capabilities"]["diagnosticProvider"].is_null(),
        "{r}"
    );
    n.notify("initialized", json!({}));
    n.open(&uri, MODEL);
    assert_eq!(codes(&published(&mut n, &uri, 1)).len(), 4);
    assert_eq!(n.shutdown(), 0);
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "refactor.rewrite"])
    );
    c.open(&uri, MODEL);

    let diags = published(&mut c, &uri, 1);
    assert_eq!(
        codes(&diags),
        vec![
            (5, "shared-initializer".into()),
            (6, "shared-initializer".into()),
            (7, "unknown-initializer".into()),
            (8, "ignored-initializer".into()),
        ],
        "{diags:#}"
    );
    let by_code = |code: &str| {
        diags
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .unwrap()
            .clone()
    };
    let shared = by_code("shared-initializer");
    assert_eq!(shared["severity"], 2);
    let related = shared["relatedInformation"].as_array().unwrap();
    assert!(
        related.iter().any(
            |r| r["location"]["uri"] == support::uri(&dir.join("config.py"))
                && r["location"]["range"]["start"]["line"] == 2
        ),
        "the object's construction in config.py is related: {shared:#}"
    );
    let unknown = by_code("unknown-initializer");
    assert_eq!(unknown["severity"], 1);
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("did you mean 'he_normal'"),
        "{unknown}"
    );
    assert!(unknown["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("#unknown-initializer"));
    let ignored = by_code("ignored-initializer");
    assert_eq!(ignored["tags"], json!([1]), "unnecessary");

    // The quick fixes of lines 8 and 9, applied one after the other.
    let mut text = MODEL.to_string();
    let mut version = 1;
    for (line, title) in [
        (7u64, "Replace with 'he_normal'"),
        (8, "Remove `bias_initializer`"),
    ] {
        let r = c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": line, "character": 40}, "end": {"line": line, "character": 40}},
                   "context": {"diagnostics": [], "only": ["quickfix"]}}),
        );
        let actions = r["result"].as_array().unwrap();
        let fix = actions
            .iter()
            .find(|a| a["title"] == title)
            .unwrap_or_else(|| panic!("{r:#}"));
        assert_eq!(fix["kind"], "quickfix");
        assert_eq!(fix["isPreferred"], true);
        text = apply(&text, &fix["edit"], &uri);
        version += 1;
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }
    assert!(
        text.contains("kernel_initializer=\"he_normal\")(inputs)"),
        "{text}"
    );
    assert!(
        text.contains("layers.Dense(4, use_bias=False)(inputs)"),
        "{text}"
    );
    let diags = published(&mut c, &uri, version);
    assert_eq!(
        codes(&diags),
        vec![
            (5, "shared-initializer".into()),
            (6, "shared-initializer".into())
        ],
        "the fixed lines have no diagnostic left: {diags:#}"
    );

    // "Make the initializer explicit" on the last Dense: the inserted value is the default, and
    // the server answers the same initializer for the rewritten call.
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 9, "character": 12}, "end": {"line": 9, "character": 12}},
               "context": {"diagnostics": []}}),
    );
    let actions = r["result"].as_array().unwrap();
    let explicit = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Make `kernel_initializer` explicit")
        })
        .unwrap_or_else(|| panic!("{r:#}"));
    assert_eq!(explicit["kind"], "refactor.rewrite");
    text = apply(&text, &explicit["edit"], &uri);
    assert!(
        text.contains("e = layers.Dense(4, kernel_initializer=\"glorot_uniform\")(inputs)"),
        "{text}"
    );
    version += 1;
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
    );
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 9, "character": 12}}),
    );
    let md = hover["result"]["contents"]["value"].as_str().unwrap();
    let kernel = md
        .lines()
        .find(|l| l.contains("kernel"))
        .unwrap_or_default();
    assert!(
        kernel.contains("GlorotUniform(seed=None)")
            && kernel.contains("argument `kernel_initializer`"),
        "the same initializer, now given as an argument: {md}"
    );
    assert_eq!(c.shutdown(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pulled_diagnostics_and_codes_turned_off() {
    let dir = workspace("pull");
    let uri = support::uri(&dir.join("model.py"));
    let mut c = Client::spawn();
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null,
               "capabilities": {"textDocument": {"diagnostic": {"dynamicRegistration": false}},
                                "workspace": {"diagnostics": {"refreshSupport": true}}},
               "workspaceFolders": [{"uri": support::uri(&dir), "name": "ws"}],
               "initializationOptions": {"diagnostics": {"ignore": ["shared-initializer"]}}}),
    );
    assert_eq!(
        init["result"]["capabilities"]["diagnosticProvider"]["interFileDependencies"],
        true
    );
    c.notify("initialized", json!({}));
    c.open(&uri, MODEL);
    let r = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(r["result"]["kind"], "full", "{r:#}");
    assert_eq!(
        codes(&r["result"]["items"]),
        vec![
            (7, "unknown-initializer".into()),
            (8, "ignored-initializer".into())
        ],
        "shared-initializer is turned off: {r:#}"
    );
    // Pulled, so never pushed.
    assert!(c
        .wait_for(Duration::from_millis(800), |v| v["method"]
            == "textDocument/publishDiagnostics")
        .is_none());
    assert_eq!(c.shutdown(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The shared-initializer quick fixes: a fresh construction for an unseeded object, a distinct
/// seed for a seeded one (a copy with the same seed would draw the same values again), none
/// equal to a seed already in the file. Applied through the protocol and re-analysed: no
/// shared-initializer is left. The runtime facts (one seeded or unseeded object shared: identical
/// values; objects with distinct seeds, or unseeded objects: distinct values) are checked by
/// `tests/diagnostics/run.py` on `shared_module_level.py` and `fresh_initializers.py`.
#[test]
fn shared_initializer_fixes_fresh_construction_and_distinct_seeds() {
    const SHARED: &str = "\
import keras
from keras import initializers, layers

UNSEEDED = initializers.HeNormal()
SEEDED = initializers.GlorotUniform(seed=7)
OTHER = initializers.GlorotUniform(seed=8)

inputs = keras.Input((8,))
a = layers.Dense(4, kernel_initializer=UNSEEDED)(inputs)
b = layers.Dense(4, kernel_initializer=UNSEEDED)(inputs)
c = layers.Dense(4, kernel_initializer=SEEDED)(inputs)
d = layers.Dense(4, kernel_initializer=SEEDED)(inputs)
e = layers.Dense(4, kernel_initializer=OTHER)(inputs)
";
    let dir = std::env::temp_dir().join(format!("keras-lsp-diag-{}-seeds", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.py"), SHARED).unwrap();
    let dir = dir.canonicalize().unwrap();
    let uri = support::uri(&dir.join("model.py"));
    let mut c = Client::spawn();
    c.initialize(&[&dir], json!({}));
    c.open(&uri, SHARED);
    let diags = published(&mut c, &uri, 1);
    assert_eq!(
        codes(&diags),
        (8..=11)
            .map(|l| (l, "shared-initializer".to_string()))
            .collect::<Vec<_>>(),
        "{diags:#}"
    );
    let titles = |c: &mut Client, line: u64| -> Value {
        c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": line, "character": 41}, "end": {"line": line, "character": 41}},
                   "context": {"diagnostics": [], "only": ["quickfix"]}}),
        )["result"]
            .clone()
    };
    let fixes: Vec<String> = [8u64, 9, 10, 11]
        .into_iter()
        .flat_map(|l| {
            titles(&mut c, l)
                .as_array()
                .unwrap()
                .iter()
                .map(|a| format!("{l}: {}", a["title"].as_str().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect();
    expect_test::expect![[r#"
        [
            "8: Give this layer its own `initializers.HeNormal()`",
            "8: Give this layer its own `HeNormal`: \"he_normal\"",
            "9: Give this layer its own `initializers.HeNormal()`",
            "9: Give this layer its own `HeNormal`: \"he_normal\"",
            "10: Give this layer its own `initializers.GlorotUniform(seed=9)` (a distinct seed, 9)",
            "11: Give this layer its own `initializers.GlorotUniform(seed=10)` (a distinct seed, 10)",
        ]
    "#]]
    .assert_debug_eq(&fixes);

    // Fix the first use of each object, one after the other (each fix computed on the text the
    // previous one left).
    let mut text = SHARED.to_string();
    let mut version = 1;
    for line in [8u64, 10] {
        let actions = titles(&mut c, line);
        let fix = &actions[0];
        assert_eq!(fix["kind"], "quickfix");
        assert_eq!(
            fix["diagnostics"][0]["code"], "shared-initializer",
            "{fix:#}"
        );
        text = apply(&text, &fix["edit"], &uri);
        version += 1;
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }
    expect_test::expect![[r#"
        import keras
        from keras import initializers, layers

        UNSEEDED = initializers.HeNormal()
        SEEDED = initializers.GlorotUniform(seed=7)
        OTHER = initializers.GlorotUniform(seed=8)

        inputs = keras.Input((8,))
        a = layers.Dense(4, kernel_initializer=initializers.HeNormal())(inputs)
        b = layers.Dense(4, kernel_initializer=UNSEEDED)(inputs)
        c = layers.Dense(4, kernel_initializer=initializers.GlorotUniform(seed=9))(inputs)
        d = layers.Dense(4, kernel_initializer=SEEDED)(inputs)
        e = layers.Dense(4, kernel_initializer=OTHER)(inputs)
    "#]]
    .assert_eq(&text);
    let diags = published(&mut c, &uri, version);
    assert_eq!(
        codes(&diags),
        vec![],
        "no object is shared any more: {diags:#}"
    );
    assert_eq!(c.shutdown(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The quick fixes that need no name of the object's file: the identifier string of a shared
/// object from another module (Keras builds a fresh object from a string for each weight), and
/// the parameter an unknown keyword abbreviates. Applied and re-analysed: no diagnostic is left.
#[test]
fn identifier_fix_across_files_and_unknown_keyword_fix() {
    const USES: &str = "\
import keras
from keras import layers
from config import INIT

inputs = keras.Input((8,))
a = layers.Dense(4, kernel_initializer=INIT)(inputs)
b = layers.Dense(4, kernel_initializer=INIT)(inputs)
c = layers.Dense(4, kernel_init=\"zeros\")(inputs)
";
    let dir = workspace("ident");
    std::fs::write(dir.join("uses.py"), USES).unwrap();
    let uri = support::uri(&dir.join("uses.py"));
    let mut c = Client::spawn();
    c.initialize(&[&dir], json!({}));
    c.open(&uri, USES);
    let diags = published(&mut c, &uri, 1);
    assert_eq!(
        codes(&diags),
        vec![
            (5, "shared-initializer".into()),
            (6, "shared-initializer".into()),
            (7, "unknown-keyword".into()),
        ],
        "{diags:#}"
    );
    let mut text = USES.to_string();
    let mut version = 1;
    let mut applied = Vec::new();
    for (line, character) in [(5u64, 41u64), (7, 22)] {
        let r = c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}},
                   "context": {"diagnostics": [], "only": ["quickfix"]}}),
        );
        let actions = r["result"].as_array().unwrap();
        assert_eq!(actions.len(), 1, "{r:#}");
        applied.push(actions[0]["title"].as_str().unwrap().to_string());
        text = apply(&text, &actions[0]["edit"], &uri);
        version += 1;
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }
    expect_test::expect![[r#"
        [
            "Give this layer its own `HeNormal`: \"he_normal\"",
            "Replace with `kernel_initializer`",
        ]
    "#]]
    .assert_debug_eq(&applied);
    expect_test::expect![[r#"
        import keras
        from keras import layers
        from config import INIT

        inputs = keras.Input((8,))
        a = layers.Dense(4, kernel_initializer="he_normal")(inputs)
        b = layers.Dense(4, kernel_initializer=INIT)(inputs)
        c = layers.Dense(4, kernel_initializer="zeros")(inputs)
    "#]]
    .assert_eq(&text);
    let diags = published(&mut c, &uri, version);
    assert_eq!(codes(&diags), vec![], "nothing left: {diags:#}");
    assert_eq!(c.shutdown(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A change in one open file re-publishes the diagnostics of another open file that depends on
/// it: the shared object in `config.py` becomes a deterministic `Zeros()` (same values anyway, so
/// not reported), and `model.py`'s shared-initializer warnings go away without `model.py` changing.
#[test]
fn a_change_in_an_imported_file_republishes_the_importer() {
    let dir = workspace("dependent");
    let model = support::uri(&dir.join("model.py"));
    let config = support::uri(&dir.join("config.py"));
    let mut c = Client::spawn();
    c.initialize(&[&dir], json!({}));
    c.open(&model, MODEL);
    let before = codes(&published(&mut c, &model, 1));
    assert_eq!(
        before
            .iter()
            .filter(|(_, code)| code == "shared-initializer")
            .count(),
        2,
        "{before:?}"
    );
    c.open(&config, CONFIG);
    let changed = CONFIG.replace("initializers.HeNormal()", "initializers.Zeros()");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": config, "version": 2}, "contentChanges": [{"text": changed}]}),
    );
    let again = c
        .wait_for(Duration::from_secs(60), |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == model
                && v["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|d| !d.iter().any(|d| d["code"] == "shared-initializer"))
        })
        .unwrap_or_else(|| panic!("model.py was not re-published; log:\n{}", c.log()));
    assert_eq!(
        codes(&again["params"]["diagnostics"]),
        vec![
            (7, "unknown-initializer".into()),
            (8, "ignored-initializer".into())
        ]
    );
    assert_eq!(c.shutdown(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
