//! The life of the server process (issue 15, items 3 to 8 and 11), against the real binary over
//! stdio: it ends when it should, with the code the protocol asks for, never waits on the client to
//! start indexing or while a storm of events comes in, and answers malformed or oversized frames
//! with errors and goes on.

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

/// One frame around `body`, with the `Content-Length` it declares.
fn frame_declaring(len: usize, body: &str) -> Vec<u8> {
    format!("Content-Length: {len}\r\n\r\n{body}").into_bytes()
}

/// The next error response with `"id": null` (a rejected frame), within the limit.
fn rejected(c: &mut Client) -> Value {
    c.wait_for(LIMIT, |v| {
        v.get("id") == Some(&Value::Null) && v.get("error").is_some()
    })
    .unwrap_or_else(|| panic!("no error answer for a malformed frame\n{}", c.log()))
}

#[test]
fn malformed_frames_are_answered_with_errors_and_serving_goes_on() {
    let ws = workspace("life_malformed", &[("m.py", "x = 1\n")]);
    let mut c = Client::spawn();
    // Before `initialize`: answered, and the process keeps serving (it used to exit with 0).
    let bad = "{not json";
    c.send_raw(&frame_declaring(bad.len(), bad));
    assert_eq!(rejected(&mut c)["error"]["code"], -32700);
    initialize_asking(&mut c, &ws);
    let cases: Vec<(Vec<u8>, i64)> = vec![
        (frame_declaring(9, "{not json"), -32700),
        (
            frame_declaring(2, r#"[{"jsonrpc":"2.0","id":7,"method":"shutdown"}]"#),
            -32700,
        ),
        (b"Content-Length: 12\r\n\r\n[1, 2, 3, 4]".to_vec(), -32600),
        (
            {
                let b = r#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#;
                frame_declaring(b.len(), b)
            },
            -32600,
        ),
        (b"Content-Length: many\r\n\r\n{}".to_vec(), -32700),
    ];
    for (bytes, code) in cases {
        c.seen.clear();
        c.send_raw(&bytes);
        let r = rejected(&mut c);
        assert_eq!(
            r["error"]["code"],
            code,
            "{}: {r}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(c.alive());
        // And the next request is answered.
        let r = c.request(
            "textDocument/hover",
            json!({
            "textDocument": {"uri": support::uri(&ws.join("m.py"))},
            "position": {"line": 0, "character": 0}}),
        );
        assert!(r.get("error").is_none(), "{r}\n{}", c.log());
    }
    let r = c.request("shutdown", Value::Null);
    assert!(r.get("error").is_none(), "{r}");
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code_within(LIMIT), Some(0), "{}", c.log());
}

/// Peak resident memory of process `pid` (kB, Linux).
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn an_oversized_message_is_refused_at_once_and_not_buffered() {
    let ws = workspace("life_oversized", &[("m.py", "x = 1\n")]);
    let mut c = Client::spawn();
    initialize_asking(&mut c, &ws);
    // 200 MiB announced (over the 128 MiB limit): the error comes before the body is sent.
    let len: usize = 200 << 20;
    c.send_raw(format!("Content-Length: {len}\r\n\r\n").as_bytes());
    let r = rejected(&mut c);
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("over the limit"),
        "{r}"
    );
    // The body streams through without being kept.
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..(len >> 20) {
        c.send_raw(&chunk);
    }
    let r = c.request(
        "textDocument/hover",
        json!({
        "textDocument": {"uri": support::uri(&ws.join("m.py"))},
        "position": {"line": 0, "character": 0}}),
    );
    assert!(r.get("error").is_none(), "{r}\n{}", c.log());
    let kb = peak_rss_kb(c.pid());
    assert!(kb < 100 << 10, "peak RSS {kb} kB after a 200 MiB message");
    assert_eq!(c.shutdown(), 0);
}

/// A storm of `didChangeWatchedFiles` events (issue 15, item 3) from a client that supports and
/// promptly answers `workspace/inlayHint/refresh`, with requests interleaved: every request is
/// answered. (Each event's handler used to wait for the client's answer to its refresh while
/// holding one of tower-lsp's four handler slots, and the reader, blocked on the full queue,
/// could not deliver those answers.)
#[test]
fn a_storm_of_watched_file_events_with_hint_refresh_keeps_requests_answered() {
    let model = "from keras import layers\nfrom inits import INIT\nd = layers.Dense(4, kernel_initializer=INIT)\n";
    let ws = workspace(
        "life_storm",
        &[("model.py", model), ("inits.py", "INIT = 'zeros'\n")],
    );
    let c = support::SharedClient::spawn(&[]);
    let r = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null,
               "capabilities": {"workspace": {"inlayHint": {"refreshSupport": true},
                                              "didChangeWatchedFiles": {"dynamicRegistration": true}}},
               "workspaceFolders": [{"uri": support::uri(&ws), "name": "ws"}]}),
    );
    assert!(r.get("result").is_some(), "{r}");
    c.notify("initialized", json!({}));
    let uri = support::uri(&ws.join("model.py"));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": model}}),
    );
    let inits = support::uri(&ws.join("inits.py"));
    let gone = support::uri(&ws.join("gone.py"));
    let mut pending = Vec::new();
    for i in 0..1000 {
        let (u, typ) = match i % 3 {
            0 => (&inits, 2),
            1 => (&gone, 3),
            _ => (&inits, 1),
        };
        c.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": u, "type": typ}]}),
        );
        if i % 50 == 0 {
            pending.push(c.send_request(
                "textDocument/hover",
                json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 12}}),
            ));
        }
    }
    for (id, rx) in pending {
        let r = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("request {id} unanswered after the storm\n{}", c.log()));
        assert!(r.get("error").is_none(), "{r}");
    }
    let refreshes = c
        .other
        .lock()
        .unwrap()
        .iter()
        .filter(|v| v["method"] == "workspace/inlayHint/refresh")
        .count();
    assert!(refreshes >= 1, "no hint refresh after the storm");
    assert_eq!(c.shutdown(), 0);
}
