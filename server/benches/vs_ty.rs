//! keras-lsp and ty side by side (issue 17). Not a timed test: it prints a Markdown table of both
//! servers' figures, their ratios and the targets. Run from the repository root:
//!
//! ```sh
//! cargo bench -p keras-lsp --bench vs_ty                 # installs ty into target/bench-ty-venv
//! cargo bench -p keras-lsp --bench vs_ty -- --help       # options (--runs, --ty-version, --venv ...)
//! ```
//!
//! The model files are written to a temporary folder: four files shaped like public models (a
//! ResNet50, a ConvNeXt, a CycleGAN and a pix2pix; `server/benches/vs_ty/*.py`, written for this
//! benchmark). ty (pinned, [`TY_VERSION`]) is installed from PyPI into a virtualenv made by
//! `python3 -m venv` (reused while it has that version), and runs as `ty server` with
//! `VIRTUAL_ENV` set to the repository's `.venv-keras` when it exists, so it resolves `keras`
//! as in a user's project. Both servers are spoken to over stdio by the client of the end-to-end
//! tests (`tests/e2e/support`), with the same files and the same positions: the layer class name
//! of every layer call keras-lsp reports (`Conv2D` of `layers.Conv2D(...)`).
//!
//! Figures, per server: `initialize`; the cold hover (a new process, the four files opened, the
//! first hover sent at once, median over `--runs` processes); in another process, after the four
//! files are opened and `--settle-ms` have passed, the first hover of every layer call (p50, p99),
//! the same hovers again `--reps` times (warm p50, p99), the whole-file inlay hints of each file
//! (the first request and `--reps` more; the max), and the peak RSS of the process (`VmHWM`).

#[path = "../../tests/e2e/support/mod.rs"]
mod support;

use keras_lsp::analysis::{FileAnalysis, Settings, Workspace};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The ty release compared against (the one of issue 17's first measurement).
const TY_VERSION: &str = "0.0.104";

/// The model files: (name, text).
const MODELS: [(&str, &str); 4] = [
    ("resnet50.py", include_str!("vs_ty/resnet50.py")),
    ("convnext.py", include_str!("vs_ty/convnext.py")),
    ("cyclegan.py", include_str!("vs_ty/cyclegan.py")),
    ("pix2pix.py", include_str!("vs_ty/pix2pix.py")),
];

#[derive(clap::Parser)]
#[command(about = "keras-lsp and ty side by side over LSP stdio")]
struct Opts {
    /// Processes started for the cold figures (initialize, cold hover); medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Repetitions of each warm hover and of each whole-file hint request.
    #[arg(long, default_value_t = 10)]
    reps: usize,
    /// Wait after opening the files before the first hovers (ms), for both servers.
    #[arg(long, default_value_t = 1000)]
    settle_ms: u64,
    /// The ty version installed from PyPI.
    #[arg(long, default_value = TY_VERSION)]
    ty_version: String,
    /// The virtualenv ty is installed into (made when missing).
    #[arg(long)]
    venv: Option<PathBuf>,
    /// The Python that makes the virtualenv.
    #[arg(long, default_value = "python3")]
    python: String,
    /// The `keras-lsp` binary.
    #[arg(long, default_value = env!("CARGO_BIN_EXE_keras-lsp"))]
    server: PathBuf,
    /// Also write the raw results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    use clap::Parser;
    let o = Opts::parse();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!("keras-lsp-vs-ty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    let dir = dir.canonicalize().expect("temp folder");
    for (name, text) in MODELS {
        std::fs::write(dir.join(name), text).expect("write a model file");
    }
    let files = sites(&dir);
    let n: usize = files.iter().map(|f| f.sites.len()).sum();
    eprintln!("{} files, {n} layer calls", files.len());

    let venv = o
        .venv
        .clone()
        .unwrap_or_else(|| repo.join("target/bench-ty-venv"));
    let ty = install_ty(&venv, &o.python, &o.ty_version);
    let keras_venv = repo.join(".venv-keras");
    let ty_env: Vec<(&str, String)> = if keras_venv.exists() {
        vec![("VIRTUAL_ENV", keras_venv.display().to_string())]
    } else {
        vec![]
    };
    let keras = Server {
        name: "keras-lsp",
        program: o.server.clone(),
        args: vec![],
        env: vec![],
    };
    let ty = Server {
        name: "ty",
        program: ty,
        args: vec!["server"],
        env: ty_env,
    };
    let a = measure(&keras, &dir, &files, &o);
    let b = measure(&ty, &dir, &files, &o);
    print_table(&a, &b, n, &o);
    if let Some(p) = &o.json {
        let v = json!({"keras-lsp": a.to_json(), "ty": b.to_json(), "ty_version": o.ty_version, "sites": n});
        std::fs::write(p, serde_json::to_string_pretty(&v).expect("json")).expect("write json");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A model file and the positions hovered in it.
struct File {
    path: PathBuf,
    text: String,
    /// (line, UTF-16 column) inside the layer class name of each layer call.
    sites: Vec<(u32, u32)>,
}

/// The files and the layer class name of each layer call keras-lsp finds in them.
fn sites(dir: &Path) -> Vec<File> {
    let mut ws = Workspace::new(Settings::default());
    let roots = vec![dir.to_path_buf()];
    for (name, text) in MODELS {
        let path = dir.join(name);
        let names = keras_lsp::analysis::module_names_for(&path, &roots);
        ws.insert(Arc::new(FileAnalysis::new(
            Arc::from(path.as_path()),
            Arc::from(text),
            names,
        )));
    }
    MODELS
        .iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            let mut sites: Vec<(u32, u32)> = ws
                .layer_calls(&path)
                .iter()
                .map(|c| {
                    let callee = &text[c.callee_span.start as usize..c.callee_span.end as usize];
                    let class =
                        c.callee_span.start as usize + callee.rfind('.').map_or(0, |i| i + 1);
                    position(text, class + 1)
                })
                .collect();
            sites.dedup();
            File {
                path,
                text: text.to_string(),
                sites,
            }
        })
        .collect()
}

/// (line, UTF-16 column) of byte `offset` (the files end lines with `\n`).
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].encode_utf16().count() as u32)
}

/// Makes `venv` with ty `version` unless it has it; the `ty` binary.
fn install_ty(venv: &Path, python: &str, version: &str) -> PathBuf {
    let ty = venv.join("bin/ty");
    let has = std::process::Command::new(&ty)
        .arg("--version")
        .output()
        .ok()
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).contains(version));
    if has {
        return ty;
    }
    eprintln!("installing ty=={version} into {}", venv.display());
    let ok = std::process::Command::new(python)
        .args(["-m", "venv"])
        .arg(venv)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{python} -m venv {} failed", venv.display());
    let ok = std::process::Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", &format!("ty=={version}")])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "pip install ty=={version} failed");
    ty
}

struct Server {
    name: &'static str,
    program: PathBuf,
    args: Vec<&'static str>,
    env: Vec<(&'static str, String)>,
}

impl Server {
    fn start(&self, dir: &Path) -> (support::Client, f64) {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut c = support::Client::spawn_command(&self.program, &self.args, &env);
        let root = support::uri(dir);
        let t = Instant::now();
        let r = c.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": root,
                "workspaceFolders": [{"uri": root, "name": "bench"}],
                "capabilities": {
                    "general": {"positionEncodings": ["utf-16"]},
                    "textDocument": {
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "inlayHint": {"resolveSupport": {"properties": ["tooltip"]}}
                    }
                }
            }),
        );
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert!(
            r.get("result").is_some(),
            "{}: initialize failed: {r}",
            self.name
        );
        c.notify("initialized", json!({}));
        (c, ms)
    }
}

fn open_all(c: &mut support::Client, files: &[File]) {
    for f in files {
        c.open(&support::uri(&f.path), &f.text);
    }
}

/// Sends a hover; (ms, whether it answered something).
fn hover(c: &mut support::Client, f: &File, (line, character): (u32, u32)) -> (f64, bool) {
    let t = Instant::now();
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": support::uri(&f.path)}, "position": {"line": line, "character": character}}),
    );
    let ms = t.elapsed().as_secs_f64() * 1e3;
    (ms, !r["result"].is_null())
}

fn inlay(c: &mut support::Client, f: &File) -> (f64, usize) {
    let (line, character) = position(&f.text, f.text.len());
    let t = Instant::now();
    let r = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": support::uri(&f.path)},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": line, "character": character}}}),
    );
    let ms = t.elapsed().as_secs_f64() * 1e3;
    (ms, r["result"].as_array().map_or(0, Vec::len))
}

#[derive(Default)]
struct Figures {
    initialize: Vec<f64>,
    cold_hover: Vec<f64>,
    first: Vec<f64>,
    /// The first hovers by file (file name, p99).
    first_by_file: Vec<(String, f64)>,
    warm: Vec<f64>,
    answered: usize,
    asked: usize,
    /// Whole-file hints: the first request of each file, every request.
    inlay_first: Vec<f64>,
    inlay_all: Vec<f64>,
    hints: usize,
    rss_kb: u64,
}

impl Figures {
    fn to_json(&self) -> Value {
        json!({
            "initialize_ms": median(&self.initialize),
            "cold_hover_ms": median(&self.cold_hover),
            "first_hover_p50_ms": pct(&self.first, 0.5),
            "first_hover_p99_ms": pct(&self.first, 0.99),
            "first_hover_p99_by_file_ms": self.first_by_file,
            "warm_hover_p50_ms": pct(&self.warm, 0.5),
            "warm_hover_p99_ms": pct(&self.warm, 0.99),
            "inlay_first_max_ms": max(&self.inlay_first),
            "inlay_max_ms": max(&self.inlay_all),
            "inlay_p50_ms": pct(&self.inlay_all, 0.5),
            "hints": self.hints,
            "hovers_answered": self.answered,
            "hovers_asked": self.asked,
            "peak_rss_kb": self.rss_kb,
        })
    }
}

fn measure(s: &Server, dir: &Path, files: &[File], o: &Opts) -> Figures {
    let mut fig = Figures::default();
    let first_site = files.iter().find_map(|f| f.sites.first().map(|&p| (f, p)));
    // Cold: a new process, the files opened, the first hover at once.
    for _ in 0..o.runs.max(1) {
        let (mut c, init) = s.start(dir);
        fig.initialize.push(init);
        open_all(&mut c, files);
        if let Some((f, p)) = first_site {
            fig.cold_hover.push(hover(&mut c, f, p).0);
        }
        let _ = c.shutdown();
    }
    // Warm: the files opened, a pause, then every call hovered.
    let (mut c, _) = s.start(dir);
    open_all(&mut c, files);
    std::thread::sleep(Duration::from_millis(o.settle_ms));
    for f in files {
        let mut here = Vec::new();
        for &p in &f.sites {
            let (ms, ok) = hover(&mut c, f, p);
            here.push(ms);
            fig.asked += 1;
            fig.answered += ok as usize;
        }
        let name = f.path.file_name().unwrap().to_string_lossy().into_owned();
        fig.first_by_file.push((name, pct(&here, 0.99)));
        fig.first.extend(here);
    }
    for _ in 0..o.reps {
        for f in files {
            for &p in &f.sites {
                fig.warm.push(hover(&mut c, f, p).0);
            }
        }
    }
    for f in files {
        let (ms, n) = inlay(&mut c, f);
        fig.inlay_first.push(ms);
        fig.inlay_all.push(ms);
        fig.hints += n;
        for _ in 0..o.reps {
            fig.inlay_all.push(inlay(&mut c, f).0);
        }
    }
    fig.rss_kb = vm_hwm_kb(c.pid());
    let _ = c.shutdown();
    fig
}

/// Peak resident set size of process `pid` (`VmHWM`, kB).
fn vm_hwm_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn pct(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[((s.len() - 1) as f64 * q).round() as usize]
}

fn median(v: &[f64]) -> f64 {
    pct(v, 0.5)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

fn print_table(a: &Figures, b: &Figures, sites: usize, o: &Opts) {
    let ms = |x: f64| {
        if x < 1.0 {
            format!("{x:.3} ms")
        } else {
            format!("{x:.1} ms")
        }
    };
    let ratio = |x: f64, y: f64| format!("{:.2}", x / y);
    let yes = |ok: bool| if ok { "yes" } else { "**no**" };
    println!(
        "\nkeras-lsp vs ty {} over LSP stdio: {} files, {sites} layer calls; cold figures median of {} processes; first hovers after {} ms; warm hovers {} × each call.\n",
        o.ty_version,
        MODELS.len(),
        o.runs,
        o.settle_ms,
        o.reps
    );
    println!("| figure | keras-lsp | ty | keras-lsp / ty | target | met |");
    println!("|---|---|---|---|---|---|");
    let (ia, ib) = (median(&a.initialize), median(&b.initialize));
    println!(
        "| initialize | {} | {} | {} | | |",
        ms(ia),
        ms(ib),
        ratio(ia, ib)
    );
    let (ca, cb) = (median(&a.cold_hover), median(&b.cold_hover));
    println!(
        "| cold hover (new process, {} files opened, first hover) | {} | {} | {} | ≤ 0.10 | {} |",
        MODELS.len(),
        ms(ca),
        ms(cb),
        ratio(ca, cb),
        yes(ca <= cb / 10.0)
    );
    let (fa, fb) = (pct(&a.first, 0.99), pct(&b.first, 0.99));
    println!(
        "| first hover of each call after didOpen, p50 / p99 | {} / {} | {} / {} | {} | p99 ≤ 1 ms | {} |",
        ms(pct(&a.first, 0.5)),
        ms(fa),
        ms(pct(&b.first, 0.5)),
        ms(fb),
        ratio(fa, fb),
        yes(fa <= 1.0)
    );
    let (wa50, wb50, wa99, wb99) = (
        pct(&a.warm, 0.5),
        pct(&b.warm, 0.5),
        pct(&a.warm, 0.99),
        pct(&b.warm, 0.99),
    );
    println!(
        "| warm hover p50 / p99 | {} / {} | {} / {} | {} / {} | p99 ≤ 1 ms, p50 ≤ ty's | {} |",
        ms(wa50),
        ms(wa99),
        ms(wb50),
        ms(wb99),
        ratio(wa50, wb50),
        ratio(wa99, wb99),
        yes(wa99 <= 1.0 && wa50 <= wb50)
    );
    let (ha, hb) = (max(&a.inlay_first), max(&b.inlay_first));
    println!(
        "| whole-file inlay hints, first request, max over files | {} | {} | {} | ≤ 0.33 | {} |",
        ms(ha),
        ms(hb),
        ratio(ha, hb),
        yes(ha <= hb / 3.0)
    );
    let (ha, hb) = (max(&a.inlay_all), max(&b.inlay_all));
    println!(
        "| whole-file inlay hints, every request, max | {} | {} | {} | ≤ 0.33 | {} |",
        ms(ha),
        ms(hb),
        ratio(ha, hb),
        yes(ha <= hb / 3.0)
    );
    println!(
        "| peak RSS (VmHWM) | {} MB | {} MB | {} | | |",
        a.rss_kb / 1024,
        b.rss_kb / 1024,
        ratio(a.rss_kb as f64, b.rss_kb as f64)
    );
    println!(
        "| hovers answered / hints | {}/{} / {} | {}/{} / {} | | | |",
        a.answered, a.asked, a.hints, b.answered, b.asked, b.hints
    );
    println!("\nfirst hover p99 by file (keras-lsp | ty):");
    for ((n, x), (_, y)) in a.first_by_file.iter().zip(&b.first_by_file) {
        println!("- {n}: {} | {}", ms(*x), ms(*y));
    }
}
