//! Never crash, never answer stale: pathological documents, panics, files outside the workspace,
//! oversized and non-UTF-8 files. Every test drives the real binary over stdio (or `check`).

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{label, utf16_position, Client};

/// A fresh, empty folder under the target directory.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.canonicalize().unwrap()
}

/// Byte ranges of every `layers.Dense(<digits>)` in `text`: (start of `Dense`, end of the call).
fn dense_calls(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("layers.Dense(") {
        let start = from + i + "layers.".len();
        let close = text[start..].find(')').unwrap() + start + 1;
        out.push((start, close));
        from = close;
    }
    out
}

const HEAD: &str = "import keras\nfrom keras import layers\n";

/// The pathological documents: (name, text). Every `layers.Dense(N)` in them is outside the broken
/// or refused statements, so each must get a hint at the exact UTF-16 position after its `)`.
fn documents() -> Vec<(&'static str, String)> {
    let n = 100_000;
    let dense = |k: usize| format!("d{k} = layers.Dense({k})");
    let mut docs: Vec<(&'static str, String)> = vec![
        (
            "brackets_100k",
            format!(
                "{HEAD}{}\nx = {}1{}\ny = [{}]\n{}\n",
                dense(1),
                "(".repeat(n),
                ")".repeat(n),
                "[".repeat(n),
                dense(2)
            ),
        ),
        (
            "operators_100k",
            format!(
                "{HEAD}{}\nx = {}\n{}\n",
                dense(1),
                vec!["1"; n].join("+"),
                dense(2)
            ),
        ),
        (
            "attributes_100k",
            format!(
                "{HEAD}{}\nx = a{}\n{}\n",
                dense(1),
                ".b".repeat(n),
                dense(2)
            ),
        ),
        (
            "calls_unary_not_100k",
            format!(
                "{HEAD}{}\nx = f{}\ny = {}1\nz = {}1\n{}\n",
                dense(1),
                "()".repeat(n),
                "-".repeat(n),
                "not ".repeat(n),
                dense(2)
            ),
        ),
        (
            "megabyte_lines",
            format!(
                "{HEAD}s = \"{}\"; {}\nx = [{}]; {}\n{}\n",
                "a".repeat(1 << 20),
                dense(1),
                vec!["1"; 1 << 19].join(","),
                dense(2),
                dense(3)
            ),
        ),
        (
            "nul_bytes",
            format!("{HEAD}{}\na = 1\0\nb = '\0'\n\0\n{}\n", dense(1), dense(2)),
        ),
        (
            "crlf",
            format!("{HEAD}{}\nx = (\n  1)\n{}\n", dense(1), dense(2)).replace('\n', "\r\n"),
        ),
        (
            "lone_cr",
            format!("{HEAD}{}\nx = (\n  1)\n{}\n", dense(1), dense(2)).replace('\n', "\r"),
        ),
        (
            "mixed_line_breaks",
            format!(
                "{HEAD}{}\r\nx = 1\r{}\n\r\n{}\r",
                dense(1),
                dense(2),
                dense(3)
            ),
        ),
        ("bom", format!("\u{feff}{HEAD}{}; {}\n", dense(1), dense(2))),
        (
            "tabs",
            format!(
                "{HEAD}def f():\n\t{}\n\tif 1:\n\t\t{}\n\treturn 1\nx\t=\t1;\t{}\n",
                dense(1),
                dense(2),
                dense(3)
            ),
        ),
        (
            "outside_the_bmp",
            format!(
                "{HEAD}s = '😀𝒳🂡'; {}\n# 𝕂𝕖𝕣𝕒𝕤 😀\nt = \"\u{10FFFF}é\"; {}; u = '😀'; {}\n",
                dense(1),
                dense(2),
                dense(3)
            ),
        ),
    ];
    // A 20 MB document: a 10M-long operator chain (it overflowed a 512 MB stack before it was
    // refused), comments, and layer calls at both ends.
    let mut big = format!(
        "{HEAD}{}\nx = {}\n",
        dense(1),
        vec!["1"; 5_000_000].join("+")
    );
    while big.len() < 20 << 20 {
        big.push_str("# padding padding padding padding padding padding padding padding padding\n");
    }
    big.push_str(&format!("{}\n", dense(2)));
    docs.push(("twenty_megabytes", big));
    docs
}

#[test]
fn pathological_documents_keep_exact_positions() {
    let dir = scratch("pathological");
    let mut c = Client::spawn();
    c.initialize(&[&dir], json!({}));
    for (name, text) in documents() {
        let path = dir.join(format!("{name}.py"));
        let uri = support::uri(&path);
        c.open(&uri, &text);
        let hints = c.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": support::end_position(&text)}}),
        );
        let hints = hints["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {hints}"))
            .clone();
        let calls = dense_calls(&text);
        let got: Vec<Value> = hints.iter().map(|h| h["position"].clone()).collect();
        let want: Vec<Value> = calls
            .iter()
            .map(|&(_, end)| utf16_position(&text, end))
            .collect();
        assert_eq!(got, want, "{name}: hint positions");
        for h in &hints {
            assert!(label(h).contains("kernel=glorot_uniform"), "{name}: {h}");
        }
        // Hover on every `Dense`: its range is exactly the name.
        for &(start, _) in &calls {
            let pos = utf16_position(&text, start + 2);
            let hover = c.request(
                "textDocument/hover",
                json!({"textDocument": {"uri": uri}, "position": pos}),
            );
            let md = hover["result"]["contents"]["value"].as_str().unwrap_or("");
            assert!(md.contains("keras.layers.Dense"), "{name}: {hover}");
            assert_eq!(
                hover["result"]["range"],
                json!({"start": utf16_position(&text, start), "end": utf16_position(&text, start + 5)}),
                "{name}"
            );
        }
        c.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
        assert!(c.alive(), "{name}");
    }
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn check_handles_pathological_files_on_disk() {
    let dir = scratch("pathological_check");
    for (name, text) in documents() {
        std::fs::write(dir.join(format!("{name}.py")), text).unwrap();
    }
    // Invalid UTF-8 on disk (no coding declaration) is skipped and reported; the other files are
    // answered.
    std::fs::write(
        dir.join("invalid_utf8.py"),
        b"import keras\nd = keras.layers.Dense(1)\ns = '\xff\xfe\xc3'\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keras-lsp"))
        .args(["check", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("invalid_utf8.py: skipped: not UTF-8"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["skipped"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("invalid_utf8.py"),
        "{}",
        v["skipped"]
    );
    let layers = v["layers"].as_array().unwrap();
    for (name, text) in documents() {
        let file = format!("{name}.py");
        let mut got: Vec<(u64, u64)> = layers
            .iter()
            .filter(|l| l["file"].as_str().unwrap().ends_with(&file))
            .map(|l| (l["line"].as_u64().unwrap(), l["column"].as_u64().unwrap()))
            .collect();
        got.sort();
        // `check` columns are 1-based characters; lines as the LSP counts them.
        let mut want: Vec<(u64, u64)> = dense_calls(&text)
            .iter()
            .map(|&(start, _)| {
                let call = start - "layers.".len();
                let p = utf16_position(&text, call);
                let line_start = text[..call].rfind(['\n', '\r']).map_or(0, |i| i + 1);
                let col = text[line_start..call].chars().count() as u64 + 1;
                (p["line"].as_u64().unwrap() + 1, col)
            })
            .collect();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
    assert!(!layers
        .iter()
        .any(|l| l["file"].as_str().unwrap().ends_with("invalid_utf8.py")));
}

#[test]
fn a_panic_in_one_request_is_an_error_response_and_the_server_keeps_serving() {
    let dir = scratch("panic");
    let mut c = Client::spawn_with(&[("KERAS_LSP_TEST_PANIC", "1")]);
    c.initialize(&[&dir], json!({}));
    let bad = support::uri(&dir.join("bad.py"));
    let good = support::uri(&dir.join("good.py"));
    let bad_text = format!("{HEAD}d = layers.Dense(1)  # __keras_lsp_panic__\n");
    let good_text = format!("{HEAD}d = layers.Dense(1)\n");
    c.open(&bad, &bad_text);
    c.open(&good, &good_text);
    let pos = json!({"line": 2, "character": 12});
    for _ in 0..3 {
        let r = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": bad}, "position": pos}),
        );
        assert_eq!(r["error"]["code"], -32603, "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("KERAS_LSP_TEST_PANIC"),
            "{r}"
        );
        let r = c.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": bad}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}}),
        );
        assert_eq!(r["error"]["code"], -32603, "{r}");
        // The other document is served as usual.
        let r = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": good}, "position": pos}),
        );
        assert!(
            r["result"]["contents"]["value"]
                .as_str()
                .unwrap()
                .contains("Dense"),
            "{r}"
        );
    }
    // Once the marker is gone, the same document answers again.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": bad, "version": 2}, "contentChanges": [{"text": good_text}]}),
    );
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": bad}, "position": pos}),
    );
    assert!(r["result"]["contents"]["value"].is_string(), "{r}");
    assert!(c.log().contains("request failed"), "{}", c.log());
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn without_the_variable_the_panic_hook_does_nothing() {
    let dir = scratch("no_panic");
    let mut c = Client::spawn();
    c.initialize(&[&dir], json!({}));
    let bad = support::uri(&dir.join("bad.py"));
    c.open(
        &bad,
        &format!("{HEAD}d = layers.Dense(1)  # __keras_lsp_panic__\n"),
    );
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": bad}, "position": {"line": 2, "character": 12}}),
    );
    assert!(r["result"]["contents"]["value"].is_string(), "{r}");
    assert_eq!(c.shutdown(), 0);
}

/// A workspace with a custom initializer inside it, one outside reached through a file symlink and
/// a folder symlink, a symlink loop, and a file over `maxFileSize`.
fn security_layout() -> (PathBuf, PathBuf) {
    let root = scratch("security");
    let ws = root.join("ws");
    let outside = root.join("outside");
    std::fs::create_dir_all(ws.join("pkg")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let init = |name: &str| {
        format!("import keras\n\nclass {name}(keras.initializers.Initializer):\n    def __call__(self, shape, dtype=None):\n        return keras.ops.zeros(shape)\n")
    };
    std::fs::write(ws.join("inside_inits.py"), init("InsideInit")).unwrap();
    std::fs::write(outside.join("secret_inits.py"), init("SecretInit")).unwrap();
    std::fs::write(outside.join("dir_inits.py"), init("DirInit")).unwrap();
    let mut big = init("BigInit");
    big.push_str(&"# padding\n".repeat(300));
    std::fs::write(ws.join("big_inits.py"), big).unwrap();
    std::os::unix::fs::symlink(outside.join("secret_inits.py"), ws.join("linked_inits.py"))
        .unwrap();
    std::os::unix::fs::symlink(&outside, ws.join("linkdir")).unwrap();
    std::os::unix::fs::symlink(&ws, ws.join("pkg").join("loop")).unwrap();
    std::os::unix::fs::symlink("self_loop", ws.join("self_loop")).unwrap();
    std::fs::write(
        ws.join("model.py"),
        "from keras import layers\n\
         from inside_inits import InsideInit\n\
         from linked_inits import SecretInit\n\
         from linkdir.dir_inits import DirInit\n\
         from big_inits import BigInit\n\
         a = layers.Dense(1, kernel_initializer=InsideInit())\n\
         b = layers.Dense(1, kernel_initializer=SecretInit())\n\
         c = layers.Dense(1, kernel_initializer=DirInit())\n\
         d = layers.Dense(1, kernel_initializer=BigInit())\n",
    )
    .unwrap();
    (ws, outside)
}

#[test]
fn only_files_under_the_workspace_are_read() {
    let (ws, outside) = security_layout();
    let model = ws.join("model.py");
    let text = std::fs::read_to_string(&model).unwrap();
    let mut c = Client::spawn_with(&[("KERAS_LSP_LOG", "info")]);
    c.initialize(&[&ws], json!({"maxFileSize": 1000}));
    assert!(c.wait_indexed(Duration::from_secs(60)), "indexing ends");
    let uri = support::uri(&model);
    c.open(&uri, &text);
    let hints = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 20, "character": 0}}}),
    );
    let labels: Vec<String> = hints["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(label)
        .collect();
    assert_eq!(labels.len(), 4, "{hints}");
    // The custom class inside the workspace resolves; the ones behind symlinks that leave it, and
    // the one in a file over the size limit, do not.
    assert!(labels[0].contains("InsideInit"), "{labels:?}");
    for (l, name) in labels[1..].iter().zip(["SecretInit", "DirInit", "BigInit"]) {
        assert!(!l.contains(name), "{name} must not resolve: {labels:?}");
    }
    // Go to definition never leads outside.
    for (line, col) in [(6u32, 42u32), (7, 42)] {
        let r = c.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}}),
        );
        assert!(!r.to_string().contains(outside.to_str().unwrap()), "{r}");
    }
    // A request about a file outside the workspace does not read it.
    let secret = support::uri(&outside.join("secret_inits.py"));
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": secret}, "position": {"line": 2, "character": 8}}),
    );
    assert_eq!(r["result"], Value::Null, "{r}");
    // Nor does a change notification for it.
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": support::uri(&ws.join("linked_inits.py")), "type": 2}]}),
    );
    let r = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 7, "character": 0}, "end": {"line": 8, "character": 0}}}),
    );
    assert!(!r.to_string().contains("SecretInit("), "{r}");
    // The log is read from the server's stderr by another thread: wait for it to catch up.
    let t = std::time::Instant::now();
    while !c.log().contains("outside the workspace folders") && t.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let log = c.log();
    assert!(
        log.contains("big_inits.py") && log.contains("over the size limit of 1000"),
        "{log}"
    );
    assert!(log.contains("outside the workspace folders"), "{log}");
    assert_eq!(c.shutdown(), 0);

    // `check` on the folder lists no file behind a symlink and terminates despite the loops.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keras-lsp"))
        .args(["check", "--format", "json"])
        .arg(&ws)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    assert!(
        files.iter().all(|f| f.ends_with("ws/model.py")),
        "{files:?}"
    );
    let text_out = String::from_utf8_lossy(&out.stdout);
    assert!(!text_out.contains("SecretInit(") && !text_out.contains("DirInit("));
}

/// A FIFO named `*.py` (issue 15, item 2) is never read: reading one blocks until a writer comes,
/// and four such reads took every handler slot of the server, `shutdown` included. Here it is
/// imported by an open file, named in `didChangeWatchedFiles`, and asked about while not open;
/// every request must still be answered.
#[test]
fn a_fifo_named_py_is_never_read() {
    let ws = scratch("fifo");
    let fifo = ws.join("fifo_inits.py");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let model = ws.join("model.py");
    let text = "from keras import layers\nfrom fifo_inits import Init\nd = layers.Dense(1, kernel_initializer=Init())\n";
    std::fs::write(&model, text).unwrap();
    let mut c = Client::spawn_with(&[("KERAS_LSP_LOG", "info")]);
    c.initialize(&[&ws], json!({}));
    assert!(c.wait_indexed(Duration::from_secs(60)), "indexing ends");
    let uri = support::uri(&model);
    let fifo_uri = support::uri(&fifo);
    c.open(&uri, text);
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": fifo_uri, "type": 1}, {"uri": fifo_uri, "type": 2}]}),
    );
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(c.send_request(
            "textDocument/hover",
            json!({"textDocument": {"uri": fifo_uri}, "position": {"line": 0, "character": 0}}),
        ));
    }
    ids.push(c.send_request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}}),
    ));
    ids.push(c.send_request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 42}}),
    ));
    // Answers may come in any order.
    for id in ids {
        let r = c.wait_for(Duration::from_secs(20), |v| {
            v["id"] == json!(id) && v.get("method").is_none()
        });
        let r = r.unwrap_or_else(|| panic!("no response to request {id} within 20 s"));
        assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
    }
    assert!(c.log().contains("not a regular file"), "{}", c.log());
    assert_eq!(c.shutdown(), 0);
}

/// Inputs the fuzzer (`fuzz/`) crashed on, kept as regression tests: each runs through what the
/// fuzz target does (analyse, delete the middle character as a keystroke would, analyse again with
/// the earlier version, then layer calls, hints and hover at every offset), on a thread with the
/// 2 MB stack of the server's request threads.
#[test]
fn fuzz_regressions_do_not_crash() {
    use keras_lsp::analysis::Workspace;
    use keras_lsp::syntax::ir::Span;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/fuzz_regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let input = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        n += 1;
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let path = Path::new("/fuzz/model.py");
                let roots = [PathBuf::from("/fuzz")];
                let before = keras_lsp::index::analyse(path, input.clone(), &roots);
                let mut edited = input.clone();
                let mut mid = edited.len() / 2;
                while !edited.is_char_boundary(mid) {
                    mid -= 1;
                }
                if mid < edited.len() {
                    edited.remove(mid);
                }
                for (text, prev) in [(input.clone(), None), (edited, Some(&*before))] {
                    let fa = keras_lsp::index::analyse_after(
                        path,
                        std::sync::Arc::from(text.as_str()),
                        &roots,
                        prev,
                    );
                    let mut ws = Workspace::new(Default::default());
                    ws.insert(fa);
                    let _ = ws.layer_calls(path);
                    let _ = keras_lsp::ide::inlay_hints_with_tooltips(
                        &ws,
                        path,
                        Span::new(0, text.len() as u32),
                    );
                    for off in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
                        let _ = keras_lsp::ide::hover(&ws, path, off as u32);
                        let _ = keras_lsp::ide::definition(&ws, path, off as u32);
                    }
                }
            })
            .unwrap()
            .join()
            .expect("no crash");
    }
    assert!(n >= 1);
}

/// `check FILE` answers the file it is named even where the walk of its folder passes it over
/// (issue 15 item 14): covered by `.gitignore`, or a symlink; a named file it cannot read (a
/// FIFO) is reported with the reason and exit code 2, and the other named files are answered.
#[cfg(unix)]
#[test]
fn check_answers_the_files_it_is_named() {
    let dir = scratch("named");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join(".gitignore"), "ignored.py\n").unwrap();
    let text = "from keras import layers\nd = layers.Dense(2, kernel_initializer=\"ones\")\n";
    std::fs::write(dir.join("ignored.py"), text).unwrap();
    std::os::unix::fs::symlink("../ignored.py", dir.join("sub/link.py")).unwrap();
    let fifo = dir.join("fifo.py");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let check = |paths: &[PathBuf]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_keras-lsp"))
            .args(["check", "--format", "json"])
            .args(paths)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let kernels: Vec<String> = v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["weights"][0]["initializer"]["class"].to_string())
            .collect();
        (
            out.status.code(),
            kernels,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for named in [dir.join("ignored.py"), dir.join("sub/link.py")] {
        let (code, kernels, stderr) = check(std::slice::from_ref(&named));
        assert_eq!(code, Some(0), "{}: {stderr}", named.display());
        assert_eq!(kernels, ["\"Ones\""], "{}: {stderr}", named.display());
    }
    let (code, kernels, stderr) = check(&[fifo.clone(), dir.join("ignored.py")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(kernels, ["\"Ones\""], "{stderr}");
    assert!(
        stderr.contains("fifo.py: skipped: not a regular file"),
        "{stderr}"
    );
}

/// PEP 263 (issue 15, item 12): a file with a coding declaration is decoded as Python decodes it
/// and answered at the right positions; a UTF-8 byte order mark is dropped; a file that still
/// cannot be decoded is reported on stderr and in the JSON `skipped` array, and the others are
/// answered (exit code 0 for a folder).
#[test]
fn check_decodes_coding_declarations_and_reports_what_it_skips() {
    let dir = scratch("pep263_check");
    // `é` and `\x80` (U+0080 in Python's latin-1, `€` in windows-1252) before the call on its line.
    std::fs::write(
        dir.join("latin.py"),
        b"# -*- coding: latin-1 -*-\nfrom keras import layers\ns = '\xe9\x80'; d = layers.Dense(2, kernel_initializer='ones')\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bom.py"),
        b"\xef\xbb\xbffrom keras import layers\nd = layers.Dense(2, kernel_initializer='zeros')\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("unknown.py"),
        b"# coding: klingon\nfrom keras import layers\nd = layers.Dense(2)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("undeclared.py"),
        b"from keras import layers\ns = '\xe9'\nd = layers.Dense(2)\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keras-lsp"))
        .args(["check", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64, u64, String)> = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let file = l["file"].as_str().unwrap();
            (
                file.rsplit('/').next().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
                l["weights"][0]["initializer"]["class"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("bom.py".into(), 2, 5, "Zeros".into()),
            ("latin.py".into(), 3, 15, "Ones".into())
        ]
    );
    let skipped: Vec<(String, String)> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let file = s["file"].as_str().unwrap();
            (
                file.rsplit('/').next().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "undeclared.py".into(),
                "not UTF-8 (byte 0xE9 on line 2) and no coding declaration (PEP 263)".into()
            ),
            (
                "unknown.py".into(),
                "unknown encoding 'klingon' in the coding declaration on line 1".into()
            ),
        ]
    );
    for (file, reason) in &skipped {
        assert!(
            stderr.contains(&format!("{file}: skipped: {reason}\n")),
            "{stderr}"
        );
    }
    // Text output: the same lines on stderr, nothing about them on stdout.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keras-lsp"))
        .arg("check")
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches(": skipped: ").count(), 2, "{stderr}");
    assert!(stderr.starts_with("keras-lsp check: "), "{stderr}");
}

/// The server reads a closed latin-1 module as Python does: the value imported from it is
/// followed, and a location in it is counted in the decoded text (the shared initializer object
/// constructed after `é` on its line), not in its bytes.
#[test]
fn the_server_reads_a_closed_latin1_module() {
    let dir = scratch("pep263_server");
    std::fs::write(
        dir.join("inits.py"),
        b"# coding: latin-1\nimport keras\nS = '\xe9\xe9'; INIT = keras.initializers.HeNormal(seed=1)\n",
    )
    .unwrap();
    std::fs::write(dir.join("unknown.py"), b"# coding: klingon\nX = 1\n").unwrap();
    let text = "import keras\nfrom keras import layers\nfrom inits import INIT\nx = keras.Input((4,))\na = layers.Dense(2, kernel_initializer=INIT)(x)\nb = layers.Dense(2, kernel_initializer=INIT)(x)\n";
    let path = dir.join("main.py");
    std::fs::write(&path, text).unwrap();
    let uri = support::uri(&path);
    let mut c = Client::spawn();
    c.initialize(&[&dir], json!({}));
    c.open(&uri, text);
    assert!(c.wait_indexed(Duration::from_secs(30)));
    let shared = c
        .wait_for(Duration::from_secs(30), |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == uri
                && v["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|d| d["code"] == "shared-initializer"))
        })
        .unwrap_or_else(|| panic!("no shared-initializer diagnostic; log:\n{}", c.log()));
    let d = &shared["params"]["diagnostics"][0];
    let constructed = d["relatedInformation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["location"]["uri"] == support::uri(&dir.join("inits.py")))
        .unwrap_or_else(|| panic!("{d:#}"));
    // `S = 'éé'; INIT = ` is 17 characters (19 bytes in UTF-8, 17 in latin-1).
    assert_eq!(
        constructed["location"]["range"]["start"],
        json!({"line": 2, "character": 17}),
        "{d:#}"
    );
    // The file it cannot decode: a log line for the user.
    let logged = c.wait_for(Duration::from_secs(10), |v| {
        v["method"] == "window/logMessage"
            && v["params"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("unknown.py: skipped: unknown encoding 'klingon'"))
    });
    assert!(logged.is_some(), "{}", c.log());
    assert_eq!(c.shutdown(), 0);
}

/// `check pkg/ctx.py` reads the package the file belongs to as the program does when run from
/// the folder that holds `pkg`: `from pkg.inits import INIT` resolves (before, the folder `pkg`
/// alone was the root and the import was not found), and `from pkg.ctx import D` in a sibling
/// module is this file's `D`, so the change made there is seen (Keras uses `Zeros`, not the
/// `Ones` written here). The file is reported once although two roots reach it.
#[test]
fn check_of_a_file_in_a_package_resolves_the_package_imports() {
    let dir = scratch("check_package_file");
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("__init__.py"), "").unwrap();
    std::fs::write(
        pkg.join("ctx.py"),
        "from keras import layers\nfrom pkg.inits import INIT\nD = {\"bias_initializer\": \"ones\"}\n\
         d = layers.Dense(3, kernel_initializer=INIT, **D)\n",
    )
    .unwrap();
    std::fs::write(pkg.join("inits.py"), "INIT = \"he_uniform\"\n").unwrap();
    std::fs::write(
        pkg.join("tweak.py"),
        "from pkg.ctx import D\nD[\"bias_initializer\"] = \"zeros\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keras-lsp"))
        .args(["check", "--format", "json"])
        .arg(pkg.join("ctx.py"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1, "{layers:?}");
    let kernel = &layers[0]["weights"][0];
    assert_eq!(kernel["initializer"]["class"], "HeUniform", "{kernel}");
    let bias = &layers[0]["weights"][1];
    assert_eq!(bias["weight"], "bias", "{bias}");
    assert!(bias["initializer"].is_null(), "{bias}");
    let text = bias.to_string();
    assert!(text.contains("tweak.py"), "{text}");
}
