//! End-to-end go-to-definition over stdio against the real binary: from a custom initializer's use
//! to its class in another file, from a name bound to it, from a string registered as a custom
//! object, and from the clickable part of an inlay hint.

mod support;

use serde_json::{json, Value};
use support::Client;

#[test]
fn definition_of_custom_initializers_over_stdio() {
    let ws = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/e2e/workspace")
        .canonicalize()
        .unwrap();
    let inits_uri = support::uri(&ws.join("inits.py"));
    let inits_text = std::fs::read_to_string(ws.join("inits.py")).unwrap();
    let class_line = inits_text
        .lines()
        .position(|l| l.starts_with("class ScaledInit"))
        .unwrap() as u64;
    let text = "from keras import layers\nfrom inits import ScaledInit\nimport keras\n\nINIT = ScaledInit(0.5)\nkeras.saving.get_custom_objects().update({'scaled': ScaledInit})\na = layers.Dense(4, kernel_initializer=ScaledInit(2.0))\nb = layers.Dense(4, kernel_initializer=INIT)\nc = layers.Dense(4, kernel_initializer='scaled')\n";
    let path = ws.join("uses.py");
    let uri = support::uri(&path);
    let mut c = Client::spawn();
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": support::uri(&ws), "capabilities": {},
               "workspaceFolders": [{"uri": support::uri(&ws), "name": "ws"}]}),
    );
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    );
    let at = |needle: &str, plus: u32| {
        let line = text.lines().position(|l| l.contains(needle)).unwrap() as u32;
        let col = text
            .lines()
            .nth(line as usize)
            .unwrap()
            .find(needle)
            .unwrap() as u32
            + plus;
        json!({"line": line, "character": col})
    };
    let expect_class = |r: &Value| {
        let locs = r["result"].as_array().cloned().unwrap_or_default();
        assert_eq!(locs.len(), 1, "{r:#}");
        assert_eq!(locs[0]["uri"], inits_uri);
        assert_eq!(locs[0]["range"]["start"]["line"], class_line);
        // Exact columns, also when inits.py was indexed without keeping its text (read again).
        assert_eq!(locs[0]["range"]["start"]["character"], 6, "{r:#}");
        assert_eq!(locs[0]["range"]["end"]["character"], 16, "{r:#}");
    };
    // Readiness: the cross-file answer needs inits.py indexed (or read on demand).
    let r = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": at("ScaledInit(2.0)", 2)}),
    );
    expect_class(&r);
    let r = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": at("kernel_initializer=INIT", 20)}),
    );
    expect_class(&r);
    let r = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": at("'scaled')", 2)}),
    );
    expect_class(&r);
    // The hint's class part carries the location.
    let hints = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 20, "character": 0}}}),
    );
    let first = &hints["result"][0]["label"];
    let part = first
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["value"].as_str().unwrap_or("").starts_with("ScaledInit"))
        .unwrap();
    assert_eq!(part["location"]["uri"], inits_uri, "{first:#}");
    // Nothing to jump to on a plain keyword.
    let r = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": at("layers.Dense", 1)}),
    );
    assert!(
        r["result"].is_null() || r["result"].as_array().is_some_and(|a| a.is_empty()),
        "{r:#}"
    );
    let r = c.request("shutdown", Value::Null);
    assert_eq!(r["result"], Value::Null);
    c.notify("exit", Value::Null);
    assert_eq!(c.wait(), 0);
}
