//! End-to-end: spawn the real `keras-lsp` binary and speak LSP over stdio.
//!
//! The answers asserted here were checked against real Keras 3.15.1: `tests/e2e/workspace/model.py`
//! is also run by the runtime oracle (`tests/oracle/run.sh`).

mod support;

use serde_json::{json, Value};
use support::{label, Client};

fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/e2e/workspace")
        .canonicalize()
        .unwrap()
}

#[test]
fn hover_hints_and_utf16_edits_over_stdio() {
    let ws = workspace();
    let model = ws.join("model.py");
    let uri = support::uri(&model);
    let text = std::fs::read_to_string(&model).unwrap();
    let mut c = Client::spawn();

    // 1. initialize: no UTF-8 offered, so UTF-16 is negotiated.
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": support::uri(&ws), "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
               "workspaceFolders": [{"uri": support::uri(&ws), "name": "ws"}]}),
    );
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["inlayHintProvider"]["resolveProvider"], true);
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(init["result"]["serverInfo"]["name"], "keras-lsp");
    c.notify("initialized", json!({}));

    // 2. didOpen
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    );

    // 3. hover on `Dense` of the first Dense line.
    let line = text
        .lines()
        .position(|l| l.contains("layers.Dense(64"))
        .unwrap() as u32;
    let col = text
        .lines()
        .nth(line as usize)
        .unwrap()
        .find("Dense")
        .unwrap() as u32
        + 2;
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}}),
    );
    let md = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(md.contains("keras.layers.Dense"), "{md}");
    assert!(md.contains("HeNormal(seed=42)"), "{md}");
    assert!(md.contains("Zeros()"), "{md}");
    assert!(md.contains("variable `init` bound at line 6"), "{md}");
    // A bullet per weight, no table.
    assert!(
        md.contains("\n- **kernel** `HeNormal(seed=42)` — argument `kernel_initializer` at line 10\n  - ← variable `init` bound at line 6\n"),
        "{md}"
    );
    assert!(
        md.contains("\n- **bias** `Zeros()` — default of `Dense`"),
        "{md}"
    );
    assert!(!md.contains("|---|"), "{md}");

    // 4. inlayHint over the whole file.
    let hints = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 100, "character": 0}}}),
    );
    let hints = hints["result"].as_array().cloned().unwrap_or_default();
    let labels: Vec<String> = hints.iter().map(label).collect();
    assert_eq!(
        labels,
        vec![
            "kernel=he_normal(seed=42) bias=zeros".to_string(),
            "kernel=ScaledInit(scale=2.0) bias=zeros".to_string(),
            "kernel=glorot_uniform no bias".to_string(),
        ],
        "{hints:#?}"
    );
    // This client cannot resolve hints lazily: tooltips come with the hints.
    let tip = hints[0]["tooltip"]["value"].as_str().unwrap_or_default();
    assert!(tip.contains("HeNormal(seed=42)"), "{hints:#?}");
    assert!(hints[0]["data"].is_null(), "{hints:#?}");
    let dense_line = text.lines().nth(line as usize).unwrap();
    let close = dense_line.rfind("),").unwrap() as u32 + 1;
    assert_eq!(
        hints[0]["position"],
        json!({"line": line, "character": close})
    );
    // `,` follows each hint of the Sequential list: a space after the label keeps them apart.
    assert!(
        hints.iter().all(|h| h["paddingRight"] == true),
        "{hints:#?}"
    );

    // 5. Incremental edit: a new line with non-ASCII text (😀 is outside the BMP) before a layer.
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.len() as u32;
    let appended = "s = '😀é'; d = layers.Dense(3)\n".to_string();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": last, "character": 0}, "end": {"line": last, "character": 0}}, "text": appended}
        ]}),
    );

    // 6. inlayHint again; positions exact in UTF-16 (😀 is 2 code units).
    let hints = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": last, "character": 0}, "end": {"line": last + 1, "character": 0}}}),
    );
    let hints = hints["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(hints.len(), 1, "{hints:#?}");
    let utf16_end = appended.trim_end().encode_utf16().count() as u32;
    assert_eq!(
        hints[0]["position"],
        json!({"line": last, "character": utf16_end})
    );
    assert_eq!(label(&hints[0]), "kernel=glorot_uniform bias=zeros");
    // At the end of its line: no space after it.
    assert!(hints[0]["paddingRight"].is_null(), "{hints:#?}");
    // The earlier layers still answer after the edits.
    let all = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 100, "character": 0}}}),
    );
    assert_eq!(
        all["result"].as_array().map(|a| a.len()),
        Some(4),
        "{all:#?}"
    );

    // 6b. Typing breaks `init = initializers.HeNormal(seed=42)` (its `)` deleted): the layers that
    // read `init` keep the answer of the last version of that statement that parsed.
    let init_line = lines.iter().position(|l| l.starts_with("init = ")).unwrap() as u32;
    let paren = lines[init_line as usize].rfind(')').unwrap() as u32;
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"range": {"start": {"line": init_line, "character": paren}, "end": {"line": init_line, "character": paren + 1}}, "text": ""}
        ]}),
    );
    let typing = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 100, "character": 0}}}),
    );
    let typing: Vec<String> = typing["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(label)
        .collect();
    assert_eq!(
        typing[0], "kernel=he_normal(seed=42) bias=zeros",
        "{typing:?}"
    );

    // A position past the end of the document gets null.
    let none = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 999, "character": 0}}),
    );
    assert_eq!(none["result"], Value::Null);

    // 7. shutdown and exit with code 0.
    let r = c.request("shutdown", Value::Null);
    assert_eq!(r["result"], Value::Null);
    c.notify("exit", Value::Null);
    assert_eq!(c.wait(), 0);
}

#[test]
fn inlay_hint_tooltips_are_resolved_lazily_when_the_client_can() {
    let ws = workspace();
    let model = ws.join("model.py");
    let uri = support::uri(&model);
    let text = std::fs::read_to_string(&model).unwrap();
    let mut c = Client::spawn();
    c.request(
        "initialize",
        json!({"processId": null, "capabilities": {"textDocument": {"inlayHint": {
                   "resolveSupport": {"properties": ["tooltip", "label.location"]}}}},
               "workspaceFolders": [{"uri": support::uri(&ws), "name": "ws"}]}),
    );
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    );
    let whole = json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 100, "character": 0}}});
    let hints = c.request("textDocument/inlayHint", whole.clone())["result"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(hints.len(), 3, "{hints:#?}");
    assert!(
        hints[0]["tooltip"].is_null(),
        "no eager tooltip: {hints:#?}"
    );
    assert!(!hints[0]["data"].is_null(), "{hints:#?}");

    // Resolving fills in the layer call's hover text.
    let resolved = c.request("inlayHint/resolve", hints[0].clone());
    let tip = resolved["result"]["tooltip"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(tip.contains("keras.layers.Dense"), "{resolved:#?}");
    assert!(tip.contains("HeNormal(seed=42)"), "{resolved:#?}");
    assert_eq!(label(&resolved["result"]), label(&hints[0]));
    let tip2 = c.request("inlayHint/resolve", hints[1].clone())["result"]["tooltip"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(tip2.contains("ScaledInit"), "{tip2}");

    // A hint made for version 1 is not resolved against version 2 (its offset may be stale).
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "\n"}
        ]}),
    );
    let stale = c.request("inlayHint/resolve", hints[0].clone());
    assert!(stale["result"]["tooltip"].is_null(), "{stale:#?}");
    assert_eq!(c.shutdown(), 0);
}
