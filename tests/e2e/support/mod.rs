//! A minimal LSP test client: Content-Length framing over the child's stdio, serde_json bodies.
//! [`Client`] is for one thread; [`SharedClient`] lets several threads send requests and
//! notifications over the same connection. The server's stderr (its log) is echoed and recorded.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications and server requests seen while waiting for responses.
    pub seen: Vec<Value>,
    log: Arc<Mutex<String>>,
    /// Whether requests from the server are answered (with `null`) when they arrive; a client
    /// that never answers sets this to `false`.
    pub answers_server: bool,
}

pub fn uri(p: &std::path::Path) -> String {
    format!("file://{}", p.display())
}

/// The LSP position (line, UTF-16 column) of byte `offset` of `text`; line breaks are `\n`,
/// `\r\n` and a lone `\r`, as the LSP specification says. Independent of the server's code.
pub fn utf16_position(text: &str, offset: usize) -> Value {
    let (mut line, mut col) = (0u32, 0u32);
    let mut it = text[..offset].chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\n' => (line, col) = (line + 1, 0),
            '\r' => {
                if it.peek() == Some(&'\n') {
                    it.next();
                }
                (line, col) = (line + 1, 0);
            }
            c => col += c.len_utf16() as u32,
        }
    }
    json!({"line": line, "character": col})
}

/// The concatenated label of an inlay hint (a string, or the values of its label parts).
pub fn label(h: &Value) -> String {
    match &h["label"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .map(|p| p["value"].as_str().unwrap_or(""))
            .collect(),
        _ => String::new(),
    }
}

/// The end of a document, as an LSP position.
pub fn end_position(text: &str) -> Value {
    utf16_position(text, text.len())
}

fn spawn_child(
    program: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, ChildStdin, ChildStdout, Arc<Mutex<String>>) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn keras-lsp");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let l2 = log.clone();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stderr);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            eprint!("[keras-lsp] {line}");
            l2.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    (child, stdin, stdout, log)
}

/// Reads framed messages from `stdout` until it closes, sending each to `tx`.
fn read_messages(stdout: ChildStdout, tx: impl Fn(Value) -> bool + Send + 'static) {
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        loop {
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    len = v.parse().unwrap();
                }
            }
            let mut buf = vec![0; len];
            if r.read_exact(&mut buf).is_err() {
                return;
            }
            let v: Value = serde_json::from_slice(&buf).unwrap();
            if !tx(v) {
                return;
            }
        }
    });
}

/// Waits up to `timeout` for `child` to end; its exit code (`None`: killed after the timeout).
fn exit_code_within(child: &mut Child, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

fn write_message(w: &mut impl Write, v: &Value) {
    let body = serde_json::to_string(v).unwrap();
    write!(w, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
    w.flush().unwrap();
}

impl Client {
    pub fn spawn() -> Client {
        Self::spawn_with(&[])
    }

    pub fn spawn_with(env: &[(&str, &str)]) -> Client {
        Self::spawn_program(env!("CARGO_BIN_EXE_keras-lsp").as_ref(), env)
    }

    /// A client of `program` (another `keras-lsp` binary) with `env` added to its environment.
    pub fn spawn_program(program: &std::path::Path, env: &[(&str, &str)]) -> Client {
        Self::spawn_command(program, &[], env)
    }

    /// A client of `program` run with `args` (another language server, for benchmarks).
    pub fn spawn_command(program: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Client {
        let (child, stdin, stdout, log) = spawn_child(program, args, env);
        let (tx, rx) = channel();
        read_messages(stdout, move |v| tx.send(v).is_ok());
        Client {
            child,
            stdin,
            rx,
            next_id: 0,
            seen: Vec::new(),
            log,
            answers_server: true,
        }
    }

    fn send(&mut self, v: &Value) {
        write_message(&mut self.stdin, v);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Writes `bytes` to the server's stdin as they are (malformed frames).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request without waiting; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the response to `id`, answering server requests with `null`.
    pub fn response(&mut self, id: i64) -> Value {
        self.response_within(id, Duration::from_secs(60))
    }

    pub fn response_within(&mut self, id: i64, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no response to request {id} within {timeout:?}"));
            if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                return v;
            }
            self.answer_server_request(&v);
            self.seen.push(v);
        }
    }

    fn answer_server_request(&mut self, v: &Value) {
        if self.answers_server && v.get("method").is_some() && v.get("id").is_some() {
            let rid = v["id"].clone();
            self.send(&json!({"jsonrpc": "2.0", "id": rid, "result": null}));
        }
    }

    /// Waits until a notification or server request satisfying `pred` arrives (or was seen).
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        if let Some(v) = self.seen.iter().find(|v| pred(v)) {
            return Some(v.clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self.rx.recv_timeout(left).ok()?;
            self.answer_server_request(&v);
            self.seen.push(v.clone());
            if pred(&v) {
                return Some(v);
            }
        }
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `true` while the server process runs.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `initialize` (UTF-16, work-done progress) with `folders` and `options`, then `initialized`.
    pub fn initialize(&mut self, folders: &[&std::path::Path], options: Value) -> Value {
        let folders: Vec<Value> = folders
            .iter()
            .map(|f| json!({"uri": uri(f), "name": "ws"}))
            .collect();
        let r = self.request(
            "initialize",
            json!({"processId": null, "rootUri": null,
                   "capabilities": {"general": {"positionEncodings": ["utf-16"]}, "window": {"workDoneProgress": true}},
                   "workspaceFolders": folders, "initializationOptions": options}),
        );
        self.notify("initialized", json!({}));
        r
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
        );
    }

    /// Waits for the end of the indexing progress.
    pub fn wait_indexed(&mut self, timeout: Duration) -> bool {
        self.wait_for(timeout, |v| {
            v["method"] == "$/progress" && v["params"]["value"]["kind"] == "end"
        })
        .is_some()
    }

    /// `shutdown`, `exit`, and the exit code.
    pub fn shutdown(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        self.notify("exit", Value::Null);
        self.wait()
    }

    /// Waits up to `timeout` for the process to end with stdin still open; its exit code.
    pub fn exit_code_within(&mut self, timeout: Duration) -> Option<i32> {
        exit_code_within(&mut self.child, timeout)
    }

    /// Closes stdin and waits up to `timeout` for the process to end; its exit code.
    pub fn close_within(self, timeout: Duration) -> Option<i32> {
        let Client {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        exit_code_within(&mut child, timeout)
    }

    pub fn wait(mut self) -> i32 {
        drop(self.stdin);
        for _ in 0..200 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        -1
    }
}

/// A client that several threads share: requests are matched to responses by id.
pub struct SharedClient {
    child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    next_id: std::sync::atomic::AtomicI64,
    pending: Arc<Mutex<HashMap<i64, Sender<Value>>>>,
    /// Notifications and server requests, in arrival order.
    pub other: Arc<Mutex<Vec<Value>>>,
    log: Arc<Mutex<String>>,
}

impl SharedClient {
    pub fn spawn(env: &[(&str, &str)]) -> Arc<SharedClient> {
        let (child, stdin, stdout, log) =
            spawn_child(env!("CARGO_BIN_EXE_keras-lsp").as_ref(), &[], env);
        let pending: Arc<Mutex<HashMap<i64, Sender<Value>>>> = Arc::default();
        let other: Arc<Mutex<Vec<Value>>> = Arc::default();
        let c = Arc::new(SharedClient {
            child: Mutex::new(child),
            stdin: Mutex::new(Some(stdin)),
            next_id: 0.into(),
            pending: pending.clone(),
            other: other.clone(),
            log,
        });
        let weak = Arc::downgrade(&c);
        read_messages(stdout, move |v| {
            let is_response = v.get("method").is_none();
            if is_response {
                let id = v["id"].as_i64().unwrap_or(-1);
                if let Some(tx) = pending.lock().unwrap().remove(&id) {
                    let _ = tx.send(v);
                }
            } else {
                if v.get("id").is_some() {
                    if let Some(c) = weak.upgrade() {
                        c.write(&json!({"jsonrpc": "2.0", "id": v["id"], "result": null}));
                    }
                }
                other.lock().unwrap().push(v);
            }
            true
        });
        c
    }

    fn write(&self, v: &Value) {
        if let Some(w) = self.stdin.lock().unwrap().as_mut() {
            write_message(w, v);
        }
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.write(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request; the receiver gets its response.
    pub fn send_request(&self, method: &str, params: Value) -> (i64, Receiver<Value>) {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let (tx, rx) = channel();
        self.pending.lock().unwrap().insert(id, tx);
        self.write(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        (id, rx)
    }

    pub fn request(&self, method: &str, params: Value) -> Value {
        let (id, rx) = self.send_request(method, params);
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no response to {method} {id} within 60 s"))
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn shutdown(&self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        self.notify("exit", Value::Null);
        drop(self.stdin.lock().unwrap().take());
        let mut child = self.child.lock().unwrap();
        for _ in 0..200 {
            if let Some(s) = child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        -1
    }
}
