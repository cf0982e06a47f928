//! The life of the server process (issue 15, items 4 to 7), against the real binary over stdio:
//! it ends when it should, with the code the protocol asks for, and never waits on the client to
//! start indexing.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::Client;

/// A fresh folder under the target directory with `files` written in it.
fn workspace(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for (f, text) in files {
        std::fs::write(d.join(f), text).unwrap();
    }
    d.canonicalize().unwrap()
}

/// `initialize` with the capabilities that make the server ask the client things (watched-file
/// registration, work-done progress, hint refresh), then `initialized`.
fn initialize_asking(c: &mut Client, ws: &Path) {
    let r = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null,
               "capabilities": {
                   "window": {"workDoneProgress": true},
                   "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true},
                                 "inlayHint": {"refreshSupport": true}}},
               "workspaceFolders": [{"uri": support::uri(ws), "name": "ws"}]}),
    );
    assert!(r.get("result").is_some(), "{r}");
    c.notify("initialized", json!({}));
}

const LIMIT: Duration = Duration::from_secs(3);

#[test]
fn exit_without_shutdown_ends_with_code_1() {
    let ws = workspace("life_exit", &[("m.py", "x = 1\n")]);
    let mut c = Client::spawn();
    initialize_asking(&mut c, &ws);
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code_within(LIMIT), Some(1), "{}", c.log());
}

#[test]
fn shutdown_and_exit_with_null_params_end_with_code_0() {
    let ws = workspace("life_null", &[("m.py", "x = 1\n")]);
    let mut c = Client::spawn();
    initialize_asking(&mut c, &ws);
    // `"params": null`, as Eglot and lsp4ij send them.
    let r = c.request("shutdown", Value::Null);
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(r["result"], Value::Null, "{r}");
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code_within(LIMIT), Some(0), "{}", c.log());
}

#[test]
fn closing_stdin_ends_the_process_while_a_request_to_the_client_is_unanswered() {
    let ws = workspace("life_eof", &[("m.py", "x = 1\n")]);
    let mut c = Client::spawn();
    c.answers_server = false;
    initialize_asking(&mut c, &ws);
    // The server asks to register the file watcher and to create a progress token; nothing is
    // answered.
    let asked = c.wait_for(Duration::from_secs(10), |v| {
        v["method"] == "client/registerCapability"
    });
    assert!(asked.is_some(), "the server asks to register its watcher");
    assert!(
        c.close_within(LIMIT).is_some(),
        "the process ends after stdin closes"
    );
}

#[test]
fn indexing_does_not_wait_for_the_client() {
    // The answer in helpers.py needs the call in main.py: found only by indexing the workspace.
    let helpers = "from keras import layers\n\ndef proj(init):\n    return layers.Dense(4, kernel_initializer=init)\n";
    let ws = workspace(
        "life_index",
        &[
            ("helpers.py", helpers),
            (
                "main.py",
                "from helpers import proj\n\nd = proj(\"ones\")\n",
            ),
        ],
    );
    let mut c = Client::spawn();
    c.answers_server = false;
    initialize_asking(&mut c, &ws);
    let uri = support::uri(&ws.join("helpers.py"));
    c.open(&uri, helpers);
    let mut last = Value::Null;
    for _ in 0..100 {
        last = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 20}}),
        );
        if last.to_string().contains("Ones") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no answer from the index within 10 s: {last}");
}

#[test]
fn initialize_with_odd_position_encodings_falls_back_to_utf16() {
    let ws = workspace("life_enc", &[("m.py", "x = 1\n")]);
    for odd in [json!("utf-8"), json!(8), json!(["utf-8", 3])] {
        let mut c = Client::spawn();
        let r = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null,
                   "capabilities": {"general": {"positionEncodings": odd}},
                   "workspaceFolders": [{"uri": support::uri(&ws), "name": "ws"}]}),
        );
        assert!(r.get("error").is_none(), "{odd}: {r}");
        let enc = &r["result"]["capabilities"]["positionEncoding"];
        assert!(enc.is_null() || *enc == json!("utf-16"), "{odd}: {r}");
        c.notify("initialized", json!({}));
        assert_eq!(c.shutdown(), 0);
    }
}
