//! Concurrency: several client threads share one stdio connection and send hovers, inlay hints and
//! edits to several documents for a bounded time. Every request must be answered (no deadlock),
//! and every answer must be the one for the version of the document the request was sent after,
//! or `ContentModified` (-32801). Also: `$/cancelRequest` on a long request, and hover while a big
//! workspace is being indexed.

mod support;

use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{utf16_position, Client, SharedClient};

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.canonicalize().unwrap()
}

/// (identifier, class) pairs; none of them is a default of `Dense`.
const INITS: [(&str, &str); 5] = [
    ("he_normal", "HeNormal"),
    ("lecun_uniform", "LecunUniform"),
    ("glorot_normal", "GlorotNormal"),
    ("orthogonal", "Orthogonal"),
    ("he_uniform", "HeUniform"),
];

/// The text of document `doc` at `version`: the number of lines before the layer, the non-ASCII
/// text before it on its line and its initializer all depend on the version, so an answer for
/// another version has other positions or another initializer.
fn text_of(doc: usize, version: i32) -> String {
    let v = version as usize;
    let pad = "\n".repeat(v % 4);
    let prefix = "😀".repeat(v % 3);
    let (init, _) = INITS[(v + doc) % INITS.len()];
    format!(
        "import keras\nfrom keras import layers\n# doc {doc} version {v}\n{pad}s = '{prefix}'; d = layers.Dense({}, kernel_initializer=\"{init}\")\ne = layers.Dense(2)\n",
        v + 1
    )
}

/// What the server must answer for `text`: (hover position, hover range, class) and the hint
/// positions.
fn expected(text: &str, version: i32, doc: usize) -> (Value, Value, &'static str, Vec<Value>) {
    let start = text.find("Dense(").unwrap();
    let pos = utf16_position(text, start + 1);
    let range =
        json!({"start": utf16_position(text, start), "end": utf16_position(text, start + 5)});
    let (_, class) = INITS[(version as usize + doc) % INITS.len()];
    let hints = text
        .match_indices("layers.Dense(")
        .map(|(i, _)| utf16_position(text, text[i..].find(')').unwrap() + i + 1))
        .collect();
    (pos, range, class, hints)
}

struct Doc {
    uri: String,
    version: i32,
    text: String,
}

#[test]
fn concurrent_requests_and_edits_answer_for_their_version() {
    let dir = scratch("stress");
    let c = SharedClient::spawn(&[]);
    let init = c.request(
        "initialize",
        json!({"processId": null, "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
               "workspaceFolders": [{"uri": support::uri(&dir), "name": "ws"}]}),
    );
    assert!(init["result"]["capabilities"].is_object(), "{init}");
    c.notify("initialized", json!({}));
    let docs: Vec<Arc<Mutex<Doc>>> = (0..3)
        .map(|k| {
            let uri = support::uri(&dir.join(format!("doc{k}.py")));
            let text = text_of(k, 1);
            c.notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
            );
            Arc::new(Mutex::new(Doc {
                uri,
                version: 1,
                text,
            }))
        })
        .collect();
    let stats: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(12);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let (c, docs, stats) = (c.clone(), docs.clone(), stats.clone());
            std::thread::spawn(move || {
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (t + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                let mut next = move || {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng
                };
                while Instant::now() < deadline {
                    let k = (next() % 3) as usize;
                    let action = next() % 10;
                    // The document lock is held while the message is written, so the order on
                    // the wire is the order of versions.
                    let mut d = docs[k].lock().unwrap();
                    if action < 3 {
                        // An incremental edit: replace everything after the first two lines.
                        let new_version = d.version + 1;
                        let new_text = text_of(k, new_version);
                        let head = "import keras\nfrom keras import layers\n";
                        c.notify(
                            "textDocument/didChange",
                            json!({"textDocument": {"uri": d.uri, "version": new_version}, "contentChanges": [
                                {"range": {"start": {"line": 2, "character": 0}, "end": support::end_position(&d.text)},
                                 "text": &new_text[head.len()..]}
                            ]}),
                        );
                        d.version = new_version;
                        d.text = new_text;
                        *stats.lock().unwrap().entry("edits").or_default() += 1;
                        continue;
                    }
                    let (version, text, uri) = (d.version, d.text.clone(), d.uri.clone());
                    let (pos, range, class, hints) = expected(&text, version, k);
                    let hover = action < 7;
                    let (id, rx) = if hover {
                        c.send_request(
                            "textDocument/hover",
                            json!({"textDocument": {"uri": uri}, "position": pos}),
                        )
                    } else {
                        c.send_request(
                            "textDocument/inlayHint",
                            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": support::end_position(&text)}}),
                        )
                    };
                    drop(d);
                    let r = rx
                        .recv_timeout(Duration::from_secs(30))
                        .unwrap_or_else(|_| panic!("request {id} unanswered: deadlock?"));
                    if r.get("error").is_some() {
                        assert_eq!(r["error"]["code"], -32801, "only ContentModified: {r}");
                        *stats.lock().unwrap().entry("content modified").or_default() += 1;
                        continue;
                    }
                    if hover {
                        let md = r["result"]["contents"]["value"].as_str().unwrap_or("");
                        assert!(
                            md.contains(&format!("{class}(")),
                            "doc {k} v{version}: hover for another version: {md}"
                        );
                        for (_, other) in INITS.iter().filter(|(_, c)| *c != class) {
                            assert!(!md.contains(&format!("{other}(")), "doc {k} v{version}: {md}");
                        }
                        assert_eq!(r["result"]["range"], range, "doc {k} v{version}");
                        *stats.lock().unwrap().entry("hovers").or_default() += 1;
                    } else {
                        let got: Vec<Value> = r["result"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|h| h["position"].clone())
                            .collect();
                        assert_eq!(got, hints, "doc {k} v{version}: hint positions");
                        let first = serde_json::to_string(&r["result"][0]["label"]).unwrap();
                        let ident = INITS.iter().find(|(_, c)| *c == class).unwrap().0;
                        assert!(first.contains(ident), "doc {k} v{version}: {first}");
                        *stats.lock().unwrap().entry("inlay hints").or_default() += 1;
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    let stats = stats.lock().unwrap().clone();
    eprintln!("stress: {stats:?}");
    assert!(stats.get("edits").copied().unwrap_or(0) > 20, "{stats:?}");
    assert!(stats.get("hovers").copied().unwrap_or(0) > 20, "{stats:?}");
    assert!(
        stats.get("inlay hints").copied().unwrap_or(0) > 10,
        "{stats:?}"
    );
    // Every document ends at its last version.
    for (k, d) in docs.iter().enumerate() {
        let d = d.lock().unwrap();
        let (pos, _, class, _) = expected(&d.text, d.version, k);
        let r = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": d.uri}, "position": pos}),
        );
        assert!(
            r["result"]["contents"]["value"]
                .as_str()
                .unwrap()
                .contains(class),
            "{r}"
        );
    }
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn cancelling_a_long_request_is_harmless() {
    let dir = scratch("cancel");
    let mut c = Client::spawn();
    c.initialize(&[&dir], json!({}));
    // A document with 3,000 layer calls: a full inlay-hint request takes a while.
    let mut text = String::from("import keras\nfrom keras import layers\n");
    for i in 0..3_000 {
        text.push_str(&format!(
            "d{i} = layers.Dense({}, kernel_initializer=\"he_normal\")\n",
            i % 64 + 1
        ));
    }
    let uri = support::uri(&dir.join("big.py"));
    c.open(&uri, &text);
    let mut answered = 0;
    let mut cancelled = 0;
    for _ in 0..3 {
        let id = c.send_request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": support::end_position(&text)}}),
        );
        std::thread::sleep(Duration::from_millis(50));
        c.notify("$/cancelRequest", json!({"id": id}));
        let r = c.response_within(id, Duration::from_secs(120));
        match r.get("error") {
            Some(e) => {
                assert_eq!(e["code"], -32800, "RequestCancelled: {r}");
                cancelled += 1;
            }
            None => {
                assert_eq!(r["result"].as_array().map(Vec::len), Some(3_000));
                answered += 1;
            }
        }
        // The server goes on serving (the cancelled work may still occupy a core).
        let id = c.send_request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 13}}),
        );
        let r = c.response_within(id, Duration::from_secs(180));
        assert!(
            r["result"]["contents"]["value"]
                .as_str()
                .unwrap()
                .contains("HeNormal"),
            "{r}"
        );
    }
    eprintln!("cancel: {cancelled} cancelled, {answered} answered");
    // Cancelling a request that is already answered, or that never existed, is ignored.
    c.notify("$/cancelRequest", json!({"id": 9999}));
    let id = c.send_request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 13}}),
    );
    let r = c.response_within(id, Duration::from_secs(180));
    assert!(r["result"].is_object(), "{r}");
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn hover_works_while_a_big_workspace_is_indexed() {
    let dir = scratch("indexing");
    // 3,000 relevant files of ~6 KB: indexing takes seconds.
    let mut body = String::from("import keras\nfrom keras import layers\n\n");
    for i in 0..60 {
        body.push_str(&format!(
            "def block{i}(x):\n    return layers.Dense({}, kernel_initializer='he_normal')(x)\n\n",
            i + 1
        ));
    }
    for i in 0..3000 {
        let sub = dir.join(format!("pkg{}", i / 100));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("m{i}.py")), &body).unwrap();
    }
    let model = dir.join("model.py");
    let text =
        "from keras import layers\nd = layers.Dense(3, kernel_initializer=\"lecun_normal\")\n";
    std::fs::write(&model, text).unwrap();
    let mut c = Client::spawn();
    let started = Instant::now();
    c.initialize(&[&dir], json!({}));
    let uri = support::uri(&model);
    c.open(&uri, text);
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 12}}),
    );
    let took = started.elapsed();
    assert!(
        r["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("LecunNormal"),
        "{r}"
    );
    let ended_before = c
        .seen
        .iter()
        .any(|v| v["method"] == "$/progress" && v["params"]["value"]["kind"] == "end");
    assert!(
        !ended_before,
        "indexing ended before the hover was answered; the workspace is too small to test this"
    );
    assert!(
        took < Duration::from_secs(10),
        "hover took {took:?} during indexing"
    );
    assert!(c.wait_indexed(Duration::from_secs(300)), "indexing ends");
    eprintln!(
        "hover during indexing answered in {took:?}, indexing took {:?}",
        started.elapsed()
    );
    assert_eq!(c.shutdown(), 0);
}
