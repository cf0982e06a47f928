//! `keras-lsp` started bare from a terminal says what it is (issue 16 item 8), on stderr, and
//! then serves as before; started by an editor (stdin a pipe) or with `--stdio` it says nothing.
//!
//! The terminal is a real pseudo-terminal made by `script` (util-linux, in Debian's essential
//! bsdutils): the server's stdin and stdout are the pty, its stderr a file.

#![cfg(target_os = "linux")]

mod support;

use keras_lsp::cli::terminal::BARE_TERMINAL_NOTICE;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};
use support::Client;

const BIN: &str = env!("CARGO_BIN_EXE_keras-lsp");

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// `keras-lsp ARGS` on a pseudo-terminal (through `script`), its stderr going to a file.
struct Terminal {
    script: Child,
    stdin: ChildStdin,
    stdout: Option<ChildStdout>,
    dir: PathBuf,
}

impl Terminal {
    /// `raw`: the terminal passes bytes unchanged (`stty raw -echo`), so LSP messages can be
    /// exchanged over it; otherwise it is a terminal as a person has it (Ctrl-D is end of input).
    fn start(args: &str, raw: bool, name: &str) -> Terminal {
        let dir =
            std::env::temp_dir().join(format!("keras-lsp-terminal-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let stty = if raw { "stty raw -echo && " } else { "" };
        let command = format!(
            "{stty}exec '{BIN}' {args} 2>'{}'",
            dir.join("stderr.txt").display()
        );
        let mut script = Command::new("script")
            .args(["--quiet", "--return", "--command", &command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("`script` (util-linux) runs the server on a pseudo-terminal");
        let stdin = script.stdin.take().unwrap();
        let stdout = script.stdout.take();
        Terminal {
            script,
            stdin,
            stdout,
            dir,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.txt")).unwrap_or_default()
    }

    /// Waits for a first line on stderr (up to 10 s when `expected`, else 500 ms); the stderr text.
    fn first_line(&self, expected: bool) -> String {
        let timeout = Duration::from_millis(if expected { 10_000 } else { 500 });
        wait_until(timeout, || self.stderr().contains('\n'));
        self.stderr()
    }

    fn alive(&mut self) -> bool {
        self.script.try_wait().unwrap().is_none()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, v: &Value) {
        let body = serde_json::to_string(v).unwrap();
        self.write(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    /// The server's exit code (through `script --return`), waiting up to 10 s.
    fn exit_code(mut self) -> Option<i32> {
        let mut code = None;
        wait_until(Duration::from_secs(10), || {
            code = self
                .script
                .try_wait()
                .unwrap()
                .map(|s| s.code().unwrap_or(-1));
            code.is_some()
        });
        if code.is_none() {
            let _ = self.script.kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        code
    }
}

/// Reads one framed LSP message.
fn read_message(r: &mut impl BufRead) -> Value {
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "the terminal closed");
        let line = line.trim_end();
        if line.is_empty() && len > 0 {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse().unwrap();
        }
    }
    let mut buf = vec![0; len];
    r.read_exact(&mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap()
}

#[test]
fn bare_start_from_a_terminal_prints_one_line_then_waits_until_ctrl_d() {
    let mut t = Terminal::start("", false, "bare");
    assert_eq!(
        t.first_line(true),
        format!("{BARE_TERMINAL_NOTICE}\n"),
        "exactly the notice on stderr"
    );
    assert!(
        t.alive(),
        "after the notice the server still waits for LSP messages"
    );
    t.write(b"\x04"); // Ctrl-D: the end of the server's stdin
                      // Stdin ended without `shutdown`: exit code 1, as the protocol asks; not a crash.
    assert_eq!(t.exit_code(), Some(1), "Ctrl-D ends the server");
}

#[test]
fn after_the_notice_it_serves_lsp_on_the_terminal() {
    let mut t = Terminal::start("", true, "raw");
    assert_eq!(t.first_line(true), format!("{BARE_TERMINAL_NOTICE}\n"));
    let mut out = BufReader::new(t.stdout.take().unwrap());
    t.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"processId": null, "rootUri": null, "capabilities": {}}}));
    let r = read_message(&mut out);
    assert_eq!(r["id"], 1, "{r}");
    assert_eq!(r["result"]["serverInfo"]["name"], "keras-lsp", "{r}");
    t.send(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    t.send(&json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    loop {
        // Skip what the server sends on its own (log messages, progress) until the answer.
        let r = read_message(&mut out);
        if r["id"] == 2 {
            assert_eq!(r["result"], Value::Null, "{r}");
            break;
        }
    }
    t.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    assert_eq!(
        t.stderr(),
        format!("{BARE_TERMINAL_NOTICE}\n"),
        "nothing else on stderr"
    );
    assert_eq!(t.exit_code(), Some(0), "exit after shutdown");
}

#[test]
fn with_stdio_from_a_terminal_nothing_is_printed() {
    let mut t = Terminal::start("--stdio", false, "stdio");
    assert_eq!(
        t.first_line(false),
        "",
        "`--stdio` is asked for on purpose: no notice"
    );
    assert!(t.alive());
    t.write(b"\x04");
    assert_eq!(t.exit_code(), Some(1));
}

#[test]
fn started_by_an_editor_through_pipes_nothing_is_printed() {
    let dir = std::env::temp_dir().join(format!("keras-lsp-terminal-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = Client::spawn();
    let r = c.initialize(&[&dir], json!({}));
    assert_eq!(r["result"]["serverInfo"]["name"], "keras-lsp", "{r}");
    let log = c.log();
    assert_eq!(c.shutdown(), 0);
    assert!(
        !log.contains(BARE_TERMINAL_NOTICE),
        "no notice when stdin is a pipe: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
