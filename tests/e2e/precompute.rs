//! End-to-end: answers computed in the background after `didOpen` and changes
//! (`server/src/lsp/precompute.rs`). The first hover after the answers are ready reads them; a
//! change while they are being computed never lets a request see answers of the older text, in the
//! changed file or in an open file that imports it.
//!
//! Initializers asserted here are Keras 3 facts checked against Keras 3.15.1: the identifier
//! strings `"he_normal"`, `"lecun_normal"`, `"ones"` make `HeNormal`, `LecunNormal`, `Ones`.

mod support;

use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::Client;

fn temp_workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "keras-lsp-precompute-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

fn spawn() -> Client {
    Client::spawn_with(&[("KERAS_LSP_LOG", "keras_lsp=debug")])
}

/// How many background runs over at least one open document have finished so far (from the
/// server's log; the run at the end of indexing may come before `didOpen` and prepare nothing).
fn runs_done(c: &Client) -> usize {
    let log = c.log();
    log.matches("open documents ready in").count()
        - log.matches("answers of 0 open documents ready in").count()
}

/// Waits until more than `before` background runs have finished.
fn wait_runs(c: &Client, before: usize) {
    let t = Instant::now();
    while runs_done(c) <= before {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no background run finished:\n{}",
            c.log()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits (up to 10 s) until the server's log has not grown for 500 ms.
fn wait_quiet(c: &Client) {
    let t = Instant::now();
    let mut last = (c.log().len(), Instant::now());
    while t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
        let n = c.log().len();
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() > Duration::from_millis(500) {
            return;
        }
    }
}

/// Waits (up to 5 s) until the log holds `n` lines with `what`; `false` if it never does.
fn log_count_reaches(c: &Client, what: &str, n: usize) -> bool {
    let t = Instant::now();
    while c.log().matches(what).count() < n {
        if t.elapsed() > Duration::from_secs(5) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

fn hover(c: &mut Client, uri: &str, line: usize, character: usize) -> String {
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
    );
    r["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn hints(c: &mut Client, uri: &str, lines: usize) -> Vec<String> {
    let r = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}}}),
    );
    r["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(support::label)
        .collect()
}

fn change_all(c: &mut Client, uri: &str, version: i32, text: &str) {
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
    );
}

const CALLS: usize = 1500;
/// The `Dense` calls start on this line (0-based).
const FIRST: usize = 4;

/// The column of `Dense` (its second letter) on the line of call `k`.
fn col(k: usize) -> usize {
    format!("h{k} = layers.").len() + 1
}

/// A model file with [`CALLS`] `Dense` calls, all `"he_normal"` but call `k` (`init`).
fn big_model(k: usize, init: &str) -> String {
    let mut s = String::from("import keras\nfrom keras import layers\n\nx = keras.Input((8,))\n");
    for i in 0..CALLS {
        let v = if i == k { init } else { "he_normal" };
        s.push_str(&format!(
            "h{i} = layers.Dense(4, kernel_initializer=\"{v}\")(x)\n"
        ));
    }
    s
}

#[test]
fn a_change_during_the_background_run_is_never_answered_from_the_older_text() {
    let dir = temp_workspace("race");
    let path = dir.join("big.py");
    let text = big_model(usize::MAX, "");
    std::fs::write(&path, &text).unwrap();
    let uri = support::uri(&path);
    let mut c = spawn();
    c.initialize(&[&dir], Value::Null);
    assert!(c.wait_indexed(Duration::from_secs(60)));
    c.open(&uri, &text);
    wait_runs(&c, 0);
    // A later run (another trigger of the opening) installs a snapshot whose answers are not
    // ready yet: wait until the server is quiet.
    wait_quiet(&c);
    // After the background run, the first hover reads the prepared answers.
    let md = hover(&mut c, &uri, FIRST + 7, col(7));
    assert!(md.contains("HeNormal"), "{md}");
    assert!(
        log_count_reaches(&c, "answers prepared", 1),
        "the first hover after the run computed its answer:\n{}",
        c.log()
    );

    // Changes in quick succession, each while the run of the one before may still be computing
    // (1,500 calls): the hover sent right after each change answers for it.
    let values = [
        ("ones", "Ones"),
        ("lecun_normal", "LecunNormal"),
        ("he_normal", "HeNormal"),
    ];
    let mut version = 1;
    for round in 0..6 {
        let k = 37 * round % CALLS;
        let (id, class) = values[round % values.len()];
        version += 1;
        let before = runs_done(&c);
        let started = c.log().matches(COMPUTING).count();
        change_all(&mut c, &uri, version, &big_model(k, id));
        // Right away: the answer of this version, computed on demand or after the run.
        let md = hover(&mut c, &uri, FIRST + k, col(k));
        assert!(md.contains(class), "round {round}, call {k}: {md}");
        // Its neighbour kept its own initializer.
        let md = hover(&mut c, &uri, FIRST + (k + 1) % CALLS, col((k + 1) % CALLS));
        assert!(md.contains("HeNormal"), "round {round}: {md}");
        if round % 2 == 0 {
            // Let this version's run start computing, then change again while it computes.
            assert!(
                log_count_reaches(&c, COMPUTING, started + 1),
                "no run started:\n{}",
                c.log()
            );
            continue;
        }
        wait_runs(&c, before);
        let md = hover(&mut c, &uri, FIRST + k, col(k));
        assert!(md.contains(class), "round {round}, after the run: {md}");
        let labels = hints(&mut c, &uri, CALLS + FIRST + 1);
        assert_eq!(labels.len(), CALLS);
        assert!(labels[k].contains(id), "{}", labels[k]);
        assert_eq!(
            labels.iter().filter(|l| l.contains(id)).count(),
            if id == "he_normal" { CALLS } else { 1 }
        );
    }
    // At least one change came in while a run was computing (else this test tested nothing).
    assert!(
        c.log().contains("superseded by a newer change"),
        "no run was superseded:\n{}",
        c.log()
    );
    assert_eq!(c.shutdown(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The log line of a background run that starts computing answers.
const COMPUTING: &str = "answers: computing";

#[test]
fn an_open_file_importing_a_changed_file_is_answered_for_the_change() {
    let dir = temp_workspace("deps");
    let a_text = |id: &str| format!("KERNEL_INIT = \"{id}\"\n");
    let b_text = "import keras\nfrom a import KERNEL_INIT\n\nm = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, kernel_initializer=KERNEL_INIT)])\n";
    let (a, b) = (dir.join("a.py"), dir.join("b.py"));
    std::fs::write(&a, a_text("he_normal")).unwrap();
    std::fs::write(&b, b_text).unwrap();
    let (ua, ub) = (support::uri(&a), support::uri(&b));
    let col = b_text.lines().nth(3).unwrap().find("Dense").unwrap() + 1;
    let mut c = spawn();
    c.initialize(&[&dir], Value::Null);
    assert!(c.wait_indexed(Duration::from_secs(60)));
    c.open(&ua, &a_text("he_normal"));
    c.open(&ub, b_text);
    wait_runs(&c, 0);
    let md = hover(&mut c, &ub, 3, col);
    assert!(md.contains("HeNormal"), "{md}");
    for (v, (id, class)) in [("ones", "Ones"), ("lecun_normal", "LecunNormal")]
        .into_iter()
        .enumerate()
    {
        let before = runs_done(&c);
        change_all(&mut c, &ua, 2 + v as i32, &a_text(id));
        // Before the run and after it: b.py follows a.py.
        let md = hover(&mut c, &ub, 3, col);
        assert!(md.contains(class), "{md}");
        wait_runs(&c, before);
        wait_quiet(&c);
        let hovers_before = c.log().matches("answers prepared").count();
        let md = hover(&mut c, &ub, 3, col);
        assert!(md.contains(class), "{md}");
        assert!(
            log_count_reaches(&c, "answers prepared", hovers_before + 1),
            "b.py's answers were not prepared after a.py changed:\n{}",
            c.log()
        );
        assert_eq!(
            hints(&mut c, &ub, 5),
            vec![format!("kernel={id} bias=zeros")]
        );
    }
    assert_eq!(c.shutdown(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
