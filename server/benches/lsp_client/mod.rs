//! A tiny LSP client over the server's stdio (Content-Length framing, serde_json bodies), as in
//! `tests/e2e/support/mod.rs`.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
}

pub fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

impl Client {
    pub fn spawn(server: &Path) -> std::io::Result<Client> {
        let mut child = Command::new(server)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = channel();
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
                        len = v.parse().unwrap_or(0);
                    }
                }
                let mut buf = vec![0; len];
                if r.read_exact(&mut buf).is_err() {
                    return;
                }
                let Ok(v) = serde_json::from_slice::<Value>(&buf) else {
                    return;
                };
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Ok(Client {
            child,
            stdin,
            rx,
            next_id: 0,
        })
    }

    fn send(&mut self, v: &Value) {
        let body = serde_json::to_string(v).expect("json");
        let _ = write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body);
        let _ = self.stdin.flush();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (server requests are answered with `null`;
    /// notifications are dropped). `None` after 30 s.
    pub fn request(&mut self, method: &str, params: Value) -> Option<Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let v = self.rx.recv_timeout(left).ok()?;
            if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                return Some(v);
            }
            if v.get("method").is_some() && v.get("id").is_some() {
                let rid = v["id"].clone();
                self.send(&json!({"jsonrpc": "2.0", "id": rid, "result": null}));
            }
        }
    }

    /// `shutdown`, `exit`, and wait (kill after 5 s).
    pub fn finish(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The concatenated label of an inlay hint.
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
