//! Workspace index benchmark (issue "Workspace index"). Not a timed test: it prints a Markdown table
//! of figures against their targets. Run from the repository root:
//!
//! ```sh
//! cargo bench -p keras-lsp --bench workspace_index
//! cargo bench -p keras-lsp --bench workspace_index -- --corpus /path/site-packages/keras ...
//! ```
//!
//! Without `--corpus`, the real corpus is `.venv-tf/lib/python3*/site-packages/{keras,tf_keras,
//! tensorflow}` of the repository when it exists (skipped with a message otherwise). Each workspace
//! is measured in a fresh child process (the bench re-executes itself with `child ...`) so that peak
//! RSS figures do not mix. Options (`-- --help`): `--files N` (5000), `--mb M` (50), `--runs R`
//! (3), `--no-corpus`, `--keep` (keep the generated workspace), `--server PATH`, `--json FILE` (raw
//! results). `profile index|parse|memory|hover|inlay [--big F] [--models-under D] -- ROOTS` runs
//! one phase for `perf record`. `BENCH_SLOWEST=N` lists the N slowest hovers (default 8).

mod gen;
/// The LSP client of the end-to-end tests.
#[path = "../../tests/e2e/support/mod.rs"]
mod support;

use keras_lsp::analysis::{is_relevant, Candidate, Settings, Workspace};
use keras_lsp::ide;
use keras_lsp::index::{self, WalkOptions};
use keras_lsp::syntax::{self, ir::Span};
use rayon::prelude::*;
use rustpython_parser::{ast, Parse};
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts live heap bytes while [`COUNTING`] is on (only during the memory-accounting pass, so
/// the timed runs pay one relaxed load per allocation). Allocates with mimalloc, the allocator
/// of the `keras-lsp` binary (`server/src/main.rs`), so the figures are the server's.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(l.size() as i64, Ordering::Relaxed);
        }
        mimalloc::MiMalloc.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(l.size() as i64, Ordering::Relaxed);
        }
        mimalloc::MiMalloc.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(new as i64 - l.size() as i64, Ordering::Relaxed);
        }
        mimalloc::MiMalloc.realloc(p, l, new)
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Command line (clap). `cargo bench` appends `--bench`, accepted and ignored.
#[derive(clap::Parser)]
#[command(about = "keras-lsp workspace index benchmark")]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    opts: Opts,
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Measure one workspace (the parent re-executes itself with this).
    Child {
        #[arg(long)]
        label: String,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[command(flatten)]
        target: Target,
    },
    /// Run one phase only, for `perf record`.
    Profile {
        #[arg(value_parser = ["index", "parse", "memory", "rss", "classes", "hover", "inlay", "inlay-whole"])]
        what: String,
        #[command(flatten)]
        target: Target,
    },
}

/// The workspace roots to measure, and the files of the generated workspace to time.
#[derive(clap::Args)]
struct Target {
    /// The 3,000-line file for inlay-hint and hover timings.
    #[arg(long)]
    big: Option<PathBuf>,
    /// Hover at every layer call of the files under this folder.
    #[arg(long)]
    models_under: Option<PathBuf>,
    /// Workspace roots.
    #[arg(last = true)]
    roots: Vec<PathBuf>,
}

fn main() {
    use clap::Parser;
    let cli = Cli::parse();
    match cli.cmd {
        Some(Cmd::Profile { what, target }) => profile(&what, target),
        Some(Cmd::Child {
            label,
            runs,
            target,
        }) => {
            let out = child(label, runs, target);
            println!("{}", serde_json::to_string(&out).expect("json"));
        }
        None => parent(cli.opts),
    }
}

#[derive(clap::Args)]
struct Opts {
    /// Files in the generated workspace.
    #[arg(long, default_value_t = 5000)]
    files: usize,
    /// Size of the generated workspace in MB.
    #[arg(long, default_value_t = 50)]
    mb: u64,
    /// Timed runs per workspace (the best is reported).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Real corpus roots (default: `.venv-tf/lib/python3*/site-packages/{keras,tf_keras,tensorflow}`).
    #[arg(long)]
    corpus: Vec<PathBuf>,
    /// Skip the real corpus.
    #[arg(long)]
    no_corpus: bool,
    /// Keep the generated workspace.
    #[arg(long)]
    keep: bool,
    /// The `keras-lsp` binary for the LSP stdio figure.
    #[arg(long, default_value = env!("CARGO_BIN_EXE_keras-lsp"))]
    server: PathBuf,
    /// Also write the raw results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// `.venv-tf/lib/python3*/site-packages/{keras,tf_keras,tensorflow}` of the repository.
fn default_corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Ok(libs) = std::fs::read_dir(root.join(".venv-tf/lib")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for lib in libs.flatten() {
        let sp = lib.path().join("site-packages");
        for pkg in ["keras", "tf_keras", "tensorflow"] {
            let p = sp.join(pkg);
            if p.is_dir() {
                out.push(p.canonicalize().unwrap_or(p));
            }
        }
    }
    out
}

fn run_child(label: &str, runs: usize, extra: &[String], roots: &[PathBuf]) -> Option<Value> {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.arg("child")
        .arg("--label")
        .arg(label)
        .arg("--runs")
        .arg(runs.to_string())
        .args(extra)
        .arg("--")
        .args(roots);
    eprintln!("[bench] measuring {label} in a child process ...");
    let out = cmd.output().expect("run child");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        eprintln!("[bench] child for {label} failed: {}", out.status);
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("")).ok()
}

fn parent(o: Opts) {
    let threads = index::parse_pool().current_num_threads();
    let gen_dir = std::env::temp_dir().join(format!("keras-lsp-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&gen_dir);
    let t = Instant::now();
    let g = gen::generate(&gen_dir, o.files, o.mb << 20).expect("generate workspace");
    eprintln!(
        "[bench] generated {} files, {:.1} MB ({} model files, {}-line file) in {:?} under {}",
        g.files,
        g.bytes as f64 / 1e6,
        g.model_files.len(),
        g.big_file_lines,
        t.elapsed(),
        gen_dir.display()
    );
    let gen_res = run_child(
        "generated",
        o.runs as usize,
        &[
            "--big".into(),
            g.big_file.display().to_string(),
            "--models-under".into(),
            gen_dir.join("app/models").display().to_string(),
        ],
        &[gen_dir.clone()],
    );
    if !o.keep {
        let _ = std::fs::remove_dir_all(&gen_dir);
    }
    let corpus = if o.no_corpus {
        Vec::new()
    } else if o.corpus.is_empty() && !o.no_corpus {
        default_corpus()
    } else {
        o.corpus.clone()
    };
    let corpus_res = if o.no_corpus {
        eprintln!("[bench] real corpus skipped (--no-corpus)");
        None
    } else if corpus.is_empty() {
        eprintln!("[bench] real corpus skipped: no --corpus given and .venv-tf/lib/python3*/site-packages/{{keras,tf_keras,tensorflow}} not found");
        None
    } else if let Some(missing) = corpus.iter().find(|p| !p.exists()) {
        eprintln!(
            "[bench] real corpus skipped: {} does not exist",
            missing.display()
        );
        None
    } else {
        run_child("corpus", o.runs as usize, &[], &corpus)
    };
    eprintln!("[bench] didChange -> fresh hints over LSP stdio ...");
    let lsp = did_change_latency(&o.server, 7);
    if let Some(j) = &o.json {
        let all = json!({
            "generated": gen_res,
            "corpus": corpus_res,
            "lsp": {"fresh_ms": lsp.fresh_ms, "stale": lsp.stale,
                    "fresh_after_a_ms": lsp.fresh_after_a_ms,
                    "initial_needed_a": lsp.initial_needed_a, "error": lsp.error},
        });
        let _ = std::fs::write(j, serde_json::to_string_pretty(&all).unwrap_or_default());
    }
    print_table(
        threads,
        &g,
        gen_res.as_ref(),
        corpus_res.as_ref(),
        &corpus,
        &lsp,
    );
}

// ------------------------------------------------------------------------------------------------
// Child: one workspace, fresh process.

fn child(label: String, runs: usize, target: Target) -> Value {
    let Target {
        big,
        models_under,
        roots,
    } = target;
    let opts = WalkOptions::default();
    let settings = Settings::default();
    let threads = index::parse_pool().current_num_threads();

    // Warm the page cache (the figures are about CPU and memory, not the disk).
    let files: Vec<PathBuf> = roots
        .iter()
        .flat_map(|r| index::python_files(r, &opts))
        .collect();
    let bytes: u64 = files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| b.len() as u64)
        .sum();
    let rss_before = proc_status_kb("VmRSS");

    // 1. Cold index (first index in this process) and the peak RSS it reached, indexed as the
    //    server does (no text kept for files that are not open).
    let t = Instant::now();
    let mut ws = index::load_closed(&roots, settings.clone(), &opts);
    let cold = t.elapsed();
    let peak_kb = proc_status_kb("VmHWM");
    let rss_after = proc_status_kb("VmRSS");
    let indexed = ws.files.len();
    let parsed_files = files
        .iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| is_relevant(&t)))
        .count();
    // The 3,000-line file is open in the editor. (The hovered files are opened one at a time by
    // `hover_latency`.)
    open_big(&mut ws, big.as_deref(), &roots);
    // What the server builds once indexing is done, in the background (`Workspace::prepare`).
    let t = Instant::now();
    ws.prepare();
    let prepare = t.elapsed();
    let with_errors = ws.files.values().filter(|f| !f.errors.is_empty()).count();
    eprintln!(
        "[{label}] {} files ({:.1} MB), cold index {:.2?}, peak RSS {:.0} MB",
        files.len(),
        bytes as f64 / 1e6,
        cold,
        peak_kb as f64 / 1024.0
    );

    // 2. Hover at every layer-call callee of the model files; inlay hints over the big file.
    let hover = hover_latency(&ws, &roots, models_under.as_deref(), big.as_deref());
    eprintln!("[{label}] hover: {hover}");
    eprintln!(
        "[{label}] peak RSS {} MB after the hovers",
        proc_status_kb("VmHWM") / 1024
    );
    let inlay = big.as_deref().map(|b| inlay_latency(&ws, b));
    eprintln!(
        "[{label}] peak RSS {} MB after the inlay hints",
        proc_status_kb("VmHWM") / 1024
    );
    let unresolved = unresolved_counts(&ws, models_under.as_deref());
    // The peak over indexing and every question above (memos and maps included).
    let peak_after_questions_kb = proc_status_kb("VmHWM");
    drop(ws);

    // 3. Parse-only vs index, alternating, `runs` times each (minimum kept).
    let mut parse_times = Vec::new();
    let mut index_times = Vec::new();
    let mut parse_cpu = Vec::new();
    let mut index_cpu = Vec::new();
    for r in 0..runs {
        let (t, c) = (Instant::now(), cpu_time());
        let errs = parse_only(&files, opts.max_file_size);
        parse_times.push(t.elapsed());
        parse_cpu.push(cpu_time().saturating_sub(c));
        let (t, c) = (Instant::now(), cpu_time());
        let ws = index::load_closed(&roots, settings.clone(), &opts);
        index_times.push(t.elapsed());
        index_cpu.push(cpu_time().saturating_sub(c));
        drop(ws);
        eprintln!(
            "[{label}] run {r}: parse-only {:.2?} ({errs} files fail to parse), index {:.2?}",
            parse_times[r], index_times[r]
        );
    }
    let parse_min = parse_times.iter().min().copied().unwrap_or_default();
    let index_min = index_times.iter().min().copied().unwrap_or_default();
    let parse_cpu_min = parse_cpu.iter().min().copied().unwrap_or_default();
    let index_cpu_min = index_cpu.iter().min().copied().unwrap_or_default();

    // 4. Cost of irrelevant vs relevant files, and where the index time goes (one thread).
    let classes = per_class_cost(&files, &roots, opts.max_file_size);
    let phases = phase_breakdown(&files, opts.max_file_size);
    let memory = memory_accounting(&files, &roots, opts.max_file_size);

    json!({
        "label": label,
        "threads": threads,
        "files": files.len(),
        "indexed": indexed,
        "parsed_files": parsed_files,
        "files_with_syntax_errors": with_errors,
        "bytes": bytes,
        "cold_index_s": cold.as_secs_f64(),
        "index_min_s": index_min.as_secs_f64(),
        "parse_min_s": parse_min.as_secs_f64(),
        "index_cpu_min_s": index_cpu_min.as_secs_f64(),
        "parse_cpu_min_s": parse_cpu_min.as_secs_f64(),
        "index_runs_s": index_times.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
        "parse_runs_s": parse_times.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
        "rss_before_kb": rss_before,
        "peak_rss_kb": peak_kb,
        "peak_rss_after_questions_kb": peak_after_questions_kb,
        "prepare_ms": prepare.as_secs_f64() * 1e3,
        "rss_after_kb": rss_after,
        "hover": hover,
        "inlay": inlay,
        "unresolved": unresolved,
        "classes": classes,
        "phases": phases,
        "memory": memory,
    })
}

/// `profile index|parse|memory|rss|classes|hover|inlay|inlay-whole [--big F] [--models-under D] -- ROOTS`: one phase only, in a
/// loop, for `perf record` (see docs/benchmarks.md).
fn profile(what: &str, target: Target) {
    let Target {
        big,
        models_under: under,
        roots,
    } = target;
    let opts = WalkOptions::default();
    let files: Vec<PathBuf> = roots
        .iter()
        .flat_map(|r| index::python_files(r, &opts))
        .collect();
    let t = Instant::now();
    match what {
        "parse" => {
            for _ in 0..3 {
                parse_only(&files, opts.max_file_size);
            }
        }
        "index" => {
            for _ in 0..3 {
                drop(index::load(&roots, Settings::default(), &opts));
            }
        }
        "classes" => {
            for _ in 0..3 {
                eprintln!("{}", per_class_cost(&files, &roots, opts.max_file_size));
            }
        }
        "rss" => {
            // Indexed as the server does, then the map it builds next; peak RSS only.
            let ws = index::load_closed(&roots, Settings::default(), &opts);
            let after_index = proc_status_kb("VmHWM") / 1024;
            ws.prepare();
            eprintln!(
                "peak RSS {after_index} MB after index::load_closed of {} files, {} MB after prepare",
                ws.files.len(),
                proc_status_kb("VmHWM") / 1024
            );
            let h = hover_latency(&ws, &roots, None, None);
            eprintln!(
                "peak RSS {} MB (RSS {} MB) after {} hovers",
                proc_status_kb("VmHWM") / 1024,
                proc_status_kb("VmRSS") / 1024,
                h["n"]
            );
        }
        "memory" => {
            let ws = index::load(&roots, Settings::default(), &opts);
            eprintln!(
                "peak RSS {} MB after index::load of {} files",
                proc_status_kb("VmHWM") / 1024,
                ws.files.len()
            );
            eprintln!("{}", ir_breakdown(&ws));
            drop(ws);
            eprintln!("{}", memory_accounting(&files, &roots, opts.max_file_size));
        }
        "hover" | "inlay" | "inlay-whole" => {
            // As `child` measures: indexed as the server does, the big file open.
            let mut ws = index::load_closed(&roots, Settings::default(), &opts);
            open_big(&mut ws, big.as_deref(), &roots);
            ws.prepare();
            let t = Instant::now();
            if what == "inlay-whole" {
                // Only the cold whole-file request, many times: the figure that misses its target.
                if let Some(b) = big.as_deref() {
                    let whole = Span::new(0, ws.file(b).map_or(0, |f| f.text.len() as u32));
                    let mut ms: Vec<f64> = (0..100)
                        .map(|_| {
                            let fresh = ws.clone();
                            let t = Instant::now();
                            std::hint::black_box(ide::inlay_hints(&fresh, b, whole));
                            t.elapsed().as_secs_f64() * 1e3
                        })
                        .collect();
                    ms.sort_by(f64::total_cmp);
                    eprintln!(
                        "inlay-whole per request: min {:.1} ms, p50 {:.1} ms, p90 {:.1} ms",
                        ms[0], ms[50], ms[90]
                    );
                }
            } else if what == "hover" {
                eprintln!(
                    "{}",
                    hover_latency(&ws, &roots, under.as_deref(), big.as_deref())
                );
            } else if let Some(b) = big.as_deref() {
                for _ in 0..5 {
                    eprintln!("{}", inlay_latency(&ws, b));
                }
            }
            eprintln!("{what}: {:?}", t.elapsed());
        }
        _ => eprintln!(
            "profile index|parse|memory|rss|classes|hover|inlay|inlay-whole [--big F] [--models-under D] -- ROOTS"
        ),
    }
    eprintln!("{what}: {:?} in all", t.elapsed());
}

/// The big file opened in the editor: analysed again with its text, as `didOpen` does.
fn open_big(ws: &mut Workspace, big: Option<&Path>, roots: &[PathBuf]) {
    if let Some(p) = big {
        if let Ok(t) = std::fs::read_to_string(p) {
            ws.insert(index::analyse(p, t, roots));
        }
    }
}

/// CPU time (user + system) of this process so far, all threads, from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which is in parentheses): utime is the 14th field.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    // CLK_TCK is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// A field of `/proc/self/status` in kB (0 when unavailable).
fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Read + rustpython parse of every file on the rayon pool `index::load` uses
/// ([`index::parse_pool`]); returns how many files fail to parse.
fn parse_only(files: &[PathBuf], max: u64) -> usize {
    index::parse_pool().install(|| parse_only_here(files, max))
}

fn parse_only_here(files: &[PathBuf], max: u64) -> usize {
    files
        .par_iter()
        .map(|p| {
            let Some(text) = index::read_source(p, max) else {
                return 0;
            };
            let r = ast::Suite::parse(&text, "<file>");
            usize::from(r.is_err())
        })
        .sum()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// Files whose layer calls are measured: under `under` (the generated models) or, without it,
/// every file that mentions keras. The big file is measured separately.
fn model_files(ws: &Workspace, under: Option<&Path>, big: Option<&Path>) -> Vec<Arc<Path>> {
    let mut v: Vec<Arc<Path>> = ws
        .files
        .iter()
        .filter(|(p, f)| match under {
            Some(u) => p.starts_with(u),
            None if f.text_on_disk => std::fs::read_to_string(p).is_ok_and(|t| t.contains("keras")),
            None => f.text.contains("keras"),
        })
        .filter(|(p, _)| Some(p.as_ref()) != big)
        .map(|(p, _)| p.clone())
        .collect();
    v.sort();
    v
}

/// Hover at the callee of layer calls of the model files: every call whose callee's last name is
/// a Keras layer name (found in the IR, without evaluating), at most `MAX_HOVERS` of them spread
/// evenly over the files, for at most a minute.
fn hover_latency(
    ws: &Workspace,
    roots: &[PathBuf],
    under: Option<&Path>,
    big: Option<&Path>,
) -> Value {
    const MAX_HOVERS: usize = 1000;
    let data = keras_lsp::knowledge::data(ws.settings.keras);
    let mut sites: Vec<(Arc<Path>, u32)> = Vec::new();
    for p in model_files(ws, under, big) {
        let f = &ws.files[&p];
        for site in &f.ir.calls {
            let name = match &site.call.func {
                keras_lsp::syntax::ir::Expr::Name { id, .. } => id,
                keras_lsp::syntax::ir::Expr::Attr { attr, .. } => attr,
                _ => continue,
            };
            if data.layer(name).is_some() {
                sites.push((p.clone(), site.call.callee_name_span().start));
            }
        }
    }
    let total_sites = sites.len();
    let step = sites.len().div_ceil(MAX_HOVERS).max(1);
    // Cold: the first hover on a fresh snapshot (as after an edit: answers are memoized per
    // snapshot, if at all); warm: the same hover again on that snapshot.
    let mut cold: Vec<f64> = Vec::new();
    let mut warm: Vec<f64> = Vec::new();
    let mut slowest: Vec<(f64, String)> = Vec::new();
    let mut misses = 0;
    let mut files = std::collections::HashSet::new();
    let budget = Instant::now();
    // The hovered file is open in the editor (one at a time, as a user moves between files): the
    // snapshot has it analysed with its text, as after didOpen (not timed).
    let mut opened: Option<(Arc<Path>, Workspace)> = None;
    for (p, off) in sites.into_iter().step_by(step) {
        if opened.as_ref().is_none_or(|(o, _)| *o != p) {
            let mut with_open = ws.clone();
            if let Ok(t) = std::fs::read_to_string(&p) {
                with_open.insert(index::analyse(&p, t, roots));
            }
            with_open.prepare();
            opened = Some((p.clone(), with_open));
        }
        let Some((_, base)) = &opened else { break };
        let fresh = base.clone();
        let t = Instant::now();
        let h = ide::hover(&fresh, &p, off);
        let us = t.elapsed().as_secs_f64() * 1e6;
        cold.push(us);
        let line = ws.files[&p].line1(off);
        slowest.push((us, format!("{}:{line}", p.display())));
        let t = Instant::now();
        let _ = ide::hover(&fresh, &p, off);
        warm.push(t.elapsed().as_secs_f64() * 1e6);
        misses += usize::from(h.is_none());
        files.insert(p);
        if budget.elapsed() > Duration::from_secs(60) {
            eprintln!("hover: stopping after 60 s of samples");
            break;
        }
    }
    cold.sort_by(f64::total_cmp);
    warm.sort_by(f64::total_cmp);
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    slowest.truncate(
        std::env::var("BENCH_SLOWEST")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(8),
    );
    let big_hover = big.and_then(|b| {
        let fresh = ws.clone();
        let calls = fresh.layer_calls(b);
        let c = calls.get(calls.len() / 2)?;
        let off = c.callee_span.start;
        let n = calls.len();
        let fresh = ws.clone();
        let t = Instant::now();
        let _ = ide::hover(&fresh, b, off);
        let cold = t.elapsed().as_secs_f64() * 1e6;
        let t = Instant::now();
        let _ = ide::hover(&fresh, b, off);
        let warm = t.elapsed().as_secs_f64() * 1e6;
        Some(json!({"calls": n, "cold_us": cold, "warm_us": warm}))
    });
    json!({
        "n": cold.len(),
        "sites": total_sites,
        "files": files.len(),
        "misses": misses,
        "p50_us": percentile(&cold, 0.5),
        "p99_us": percentile(&cold, 0.99),
        "max_us": cold.last().copied().unwrap_or(f64::NAN),
        "warm_p50_us": percentile(&warm, 0.5),
        "warm_p99_us": percentile(&warm, 0.99),
        "big_file": big_hover,
        "slowest_us": slowest.iter().map(|(us, at)| json!([at, us.round()])).collect::<Vec<_>>(),
    })
}

fn inlay_latency(ws: &Workspace, big: &Path) -> Value {
    let Some(f) = ws.file(big) else {
        return Value::Null;
    };
    let whole = Span::new(0, f.text.len() as u32);
    let lines = f.line_index_lines();
    let mut hints = 0;
    // Cold: on a fresh snapshot each time (as after an edit); warm: again on the same snapshot.
    // labels: `textDocument/inlayHint` for a client that resolves tooltips lazily (VS Code,
    // Neovim); eager: with every tooltip (clients without resolve support); resolve: one
    // `inlayHint/resolve`. Cold: on a fresh snapshot each time (as after an edit); warm: the same
    // request again on that snapshot.
    let mut cold: Vec<f64> = Vec::new();
    let mut warm: Vec<f64> = Vec::new();
    let mut eager_warm: Vec<f64> = Vec::new();
    let mut resolve: Vec<f64> = Vec::new();
    for _ in 0..7 {
        let fresh = ws.clone();
        let t = Instant::now();
        let hs = ide::inlay_hints(&fresh, big, whole);
        cold.push(t.elapsed().as_secs_f64() * 1e3);
        hints = hs.len();
        let t = Instant::now();
        let _ = ide::inlay_hints(&fresh, big, whole);
        warm.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let _ = ide::inlay_hints_with_tooltips(&fresh, big, whole);
        eager_warm.push(t.elapsed().as_secs_f64() * 1e3);
        if let Some(h) = hs.get(hs.len() / 2) {
            let t = Instant::now();
            let _ = ide::inlay_hint_tooltip(&fresh, big, h.offset);
            resolve.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    // A viewport: 60 lines (what an editor window shows and asks for), at 20 places through the
    // file, each on a fresh snapshot.
    let mut viewport: Vec<f64> = Vec::new();
    let mut viewport_hints = 0;
    let starts: Vec<usize> = std::iter::once(0)
        .chain(f.text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    for k in 0..20 {
        let first = k * starts.len().saturating_sub(60) / 20;
        let (a, z) = (
            starts[first.min(starts.len() - 1)],
            starts.get(first + 60).copied().unwrap_or(f.text.len()),
        );
        let fresh = ws.clone();
        let t = Instant::now();
        let hs = ide::inlay_hints(&fresh, big, Span::new(a as u32, z as u32));
        viewport.push(t.elapsed().as_secs_f64() * 1e3);
        viewport_hints += hs.len();
    }
    cold.sort_by(f64::total_cmp);
    warm.sort_by(f64::total_cmp);
    eager_warm.sort_by(f64::total_cmp);
    resolve.sort_by(f64::total_cmp);
    viewport.sort_by(f64::total_cmp);
    json!({"lines": lines, "hints": hints, "p50_ms": percentile(&cold, 0.5), "max_ms": cold.last(),
           "warm_p50_ms": percentile(&warm, 0.5), "eager_warm_p50_ms": percentile(&eager_warm, 0.5),
           "resolve_p50_ms": percentile(&resolve, 0.5),
           "viewport_p50_ms": percentile(&viewport, 0.5), "viewport_max_ms": viewport.last(),
           "viewport_hints": viewport_hints / 20})
}

trait Lines {
    fn line_index_lines(&self) -> usize;
}
impl Lines for keras_lsp::analysis::FileAnalysis {
    fn line_index_lines(&self) -> usize {
        self.text.lines().count()
    }
}

/// Weights of the measured model files, and how many are unresolved (a sanity check of the
/// generated workspace: constants imported from files without any import line are not followed).
fn unresolved_counts(ws: &Workspace, under: Option<&Path>) -> Value {
    let Some(u) = under else {
        return Value::Null;
    };
    let (mut weights, mut unresolved) = (0usize, 0usize);
    let mut example = String::new();
    for p in model_files(ws, Some(u), None) {
        for c in ws.layer_calls(&p).iter() {
            for w in &c.weights {
                weights += 1;
                let any_unresolved = w
                    .candidates
                    .iter()
                    .any(|c| matches!(c, Candidate::Unresolved { .. }));
                if any_unresolved {
                    unresolved += 1;
                    if example.is_empty() {
                        example = format!("{}: {}", p.display(), c.layer);
                    }
                }
            }
        }
    }
    json!({"weights": weights, "unresolved": unresolved, "example": example})
}

/// Per-file read + `index::analyse` cost (one thread) of three classes of files: those the
/// relevance filter skips ([`is_relevant`]: no keras, tensorflow, initializer or `import`, and no
/// binding form); those without such a mention that it lets through (an import, or names a
/// settings module binds); and files that mention keras, tensorflow or initializer.
fn per_class_cost(files: &[PathBuf], roots: &[PathBuf], max: u64) -> Value {
    let texts: Vec<(PathBuf, String)> = files
        .iter()
        .filter_map(|p| index::read_source(p, max).map(|t| (p.clone(), t)))
        .collect();
    let mentions = |t: &str| {
        t.contains("keras") || t.contains("tensorflow") || t.to_lowercase().contains("initializer")
    };
    let mut classes: Vec<(&str, Vec<&(PathBuf, String)>)> = vec![
        ("skipped", Vec::new()),
        ("parsed_without_mention", Vec::new()),
        ("relevant", Vec::new()),
    ];
    for x in &texts {
        let k = if mentions(&x.1) {
            2
        } else if is_relevant(&x.1) {
            1
        } else {
            0
        };
        classes[k].1.push(x);
    }
    let samples: Vec<(&str, usize, Vec<&(PathBuf, String)>)> = classes
        .into_iter()
        .map(|(name, members)| {
            let count = members.len();
            let step = (count / 300).max(1);
            (
                name,
                count,
                members.into_iter().step_by(step).take(300).collect(),
            )
        })
        .collect();
    // One thread of the index pool, as `index::load` runs it; the read is included. Every class
    // is run once untimed first: the first pass after the previous measurement also pays for the
    // allocator consolidating what that one freed (240 ms once after the inlay-hint runs, seen
    // here).
    let pass = |sample: &[&(PathBuf, String)]| {
        index::parse_pool().install(|| {
            let t = Instant::now();
            for (p, _) in sample {
                if let Some(text) = index::read_source(p, max) {
                    std::hint::black_box(index::analyse(p, text, roots));
                }
            }
            t.elapsed().as_secs_f64() * 1e6
        })
    };
    for (_, _, sample) in &samples {
        pass(sample);
    }
    let mut out = serde_json::Map::new();
    for (name, count, sample) in samples {
        let bytes: usize = sample.iter().map(|x| x.1.len()).sum();
        let el = pass(&sample);
        let n = sample.len().max(1) as f64;
        out.insert(
            name.into(),
            json!({
                "files": count,
                "sampled": sample.len(),
                "us_per_file": el / n,
                "us_per_kb": if bytes == 0 { f64::NAN } else { el / (bytes as f64 / 1024.0) },
                "avg_kb": bytes as f64 / n / 1024.0,
            }),
        );
    }
    Value::Object(out)
}

/// Heap bytes each analysed file keeps (one thread, counted by the global allocator): its text,
/// line index, and the rest (IR, syntax errors, module names); a sample of the IR's share by kind.
fn memory_accounting(files: &[PathBuf], roots: &[PathBuf], max: u64) -> Value {
    let files = files.to_vec();
    let roots = roots.to_vec();
    syntax::with_big_stack(move || {
        let (mut text, mut lines, mut total, mut n) = (0i64, 0i64, 0i64, 0usize);
        let mut kept = Vec::with_capacity(files.len());
        for p in &files {
            COUNTING.store(true, Ordering::SeqCst);
            let before = LIVE.load(Ordering::SeqCst);
            let Some(t) = index::read_source(p, max) else {
                COUNTING.store(false, Ordering::SeqCst);
                continue;
            };
            let len = t.len() as i64;
            let fa = index::analyse(p, t, &roots);
            let after = LIVE.load(Ordering::SeqCst);
            COUNTING.store(false, Ordering::SeqCst);
            total += after - before;
            text += len;
            // LineIndex: one u32 per line start (capacity may be larger).
            lines += 4 * (fa.text.bytes().filter(|&b| b == b'\n').count() as i64 + 1);
            n += 1;
            kept.push(fa);
        }
        let mb = |x: i64| x as f64 / 1e6;
        json!({
            "files": n,
            "retained_mb": mb(total),
            "text_mb": mb(text),
            "line_index_mb_min": mb(lines),
            "rest_mb": mb(total - text - lines),
        })
    })
    .unwrap_or(Value::Null)
}

/// Heap bytes of the IR by component, estimated by walking it (requested sizes, shared calls
/// once): where the IR memory goes.
fn ir_breakdown(ws: &Workspace) -> Value {
    use keras_lsp::syntax::ir::*;
    use std::collections::HashSet;
    use std::mem::size_of;
    fn call(c: &Arc<Call>, seen: &mut HashSet<usize>, n: &mut [usize; 2]) -> usize {
        if !seen.insert(Arc::as_ptr(c) as usize) {
            return 0;
        }
        n[0] += 1;
        let mut b = 16 + size_of::<Call>() + expr(&c.func, seen, n);
        b += c.args.len() * size_of::<Expr>();
        b += c.args.iter().map(|a| expr(a, seen, n)).sum::<usize>();
        b += c.keywords.len() * size_of::<Keyword>();
        for k in &c.keywords {
            b += expr(&k.value, seen, n);
        }
        b
    }
    fn bx(e: &Expr, seen: &mut HashSet<usize>, n: &mut [usize; 2]) -> usize {
        size_of::<Expr>() + expr(e, seen, n)
    }
    fn expr(e: &Expr, seen: &mut HashSet<usize>, n: &mut [usize; 2]) -> usize {
        n[1] += 1;
        match e {
            Expr::Name { .. } => 0, // interned names are not counted
            Expr::Str { value, .. } => value.len(),
            Expr::Attr { value, .. } => bx(value, seen, n),
            Expr::Call(c) => call(c, seen, n),
            Expr::Dict { items, .. } => {
                items.len() * size_of::<(Option<Expr>, Expr)>()
                    + items
                        .iter()
                        .map(|(k, v)| k.as_ref().map_or(0, |k| expr(k, seen, n)) + expr(v, seen, n))
                        .sum::<usize>()
            }
            Expr::List { elts, .. } | Expr::Tuple { elts, .. } => {
                elts.len() * size_of::<Expr>()
                    + elts.iter().map(|x| expr(x, seen, n)).sum::<usize>()
            }
            Expr::Starred { value, .. } | Expr::Not { value, .. } => bx(value, seen, n),
            Expr::IfExp(x) => {
                size_of::<IfExp>()
                    + expr(&x.test, seen, n)
                    + expr(&x.body, seen, n)
                    + expr(&x.orelse, seen, n)
            }
            Expr::Compare { left, right, .. } => bx(left, seen, n) + bx(right, seen, n),
            Expr::Lambda(l) => {
                size_of::<Lambda>()
                    + l.params.capacity() * 24
                    + l.params.iter().map(String::capacity).sum::<usize>()
                    + expr(&l.body, seen, n)
            }
            Expr::Subscript { value, index, .. } => bx(value, seen, n) + bx(index, seen, n),
            _ => 0,
        }
    }
    fn map_table<K, V, S>(m: &std::collections::HashMap<K, V, S>) -> usize {
        if m.capacity() == 0 {
            0
        } else {
            (m.capacity() * 8 / 7).next_power_of_two() * (size_of::<(K, V)>() + 1)
        }
    }
    let mut seen = HashSet::new();
    let mut n = [0usize; 2];
    // [calls, call-site vec, flow tables (defs, timelines, live sets, conditions, escapes,
    //  applies), definition exprs, attribute stores, functions, classes, scopes vec]
    let mut c = [0usize; 8];
    let mut defs = 0usize;
    let mut docs = 0usize;
    // [timeline entries, escapes, applies, lives, reaches, conds, phis, mutations, stores]
    let mut counts = [0usize; 9];
    for f in ws.files.values() {
        let ir = &f.ir;
        c[1] += ir.calls.capacity() * size_of::<CallSite>();
        for site in &ir.calls {
            c[0] += call(&site.call, &mut seen, &mut n);
        }
        c[7] += ir.scopes.capacity() * size_of::<Scope>();
        for sc in &ir.scopes {
            // Names are interned (one allocation per distinct name of the file; not counted).
            c[2] += sc.timeline.len() * size_of::<TimelineEntry>()
                + sc.anytime.len() * 20
                + sc.default_timeline.len() * 8;
        }
        c[2] += ir.def_index.len() * 4;
        defs += ir.defs.len();
        counts[0] += ir.scopes.iter().map(|s| s.timeline.len()).sum::<usize>();
        counts[1] += ir.escapes.len();
        counts[2] += ir.applies.len();
        counts[3] += ir.lives.len();
        counts[4] += ir.reaches.len();
        counts[5] += ir.conds.len();
        counts[6] += ir
            .defs
            .iter()
            .filter(|d| matches!(d.kind, DefKind::Phi { .. }))
            .count();
        counts[7] += ir
            .defs
            .iter()
            .filter(|d| matches!(d.kind, DefKind::Mutation { .. }))
            .count();
        counts[8] += ir.stores.len();
        c[2] += ir.defs.capacity() * size_of::<Def>();
        for d in &ir.defs {
            c[3] += match &d.kind {
                DefKind::Value(e) => expr(e, &mut seen, &mut n),
                DefKind::Element { of, .. } => size_of::<Expr>() + expr(of, &mut seen, &mut n),
                DefKind::Phi { sources } => sources.len() * 4,
                _ => 0,
            };
        }
        c[2] += ir.lives.capacity() * 8 + ir.reaches.capacity() * size_of::<Reach>();
        c[2] += ir.preds.capacity() * size_of::<Pred>()
            + ir.escapes.capacity() * size_of::<Escape>()
            + ir.applies.capacity() * size_of::<Apply>()
            + ir.conds.capacity() * size_of::<Cond>();
        for cd in &ir.conds {
            c[2] += expr(&cd.test, &mut seen, &mut n);
        }
        c[4] += ir.stores.capacity() * size_of::<AttrStore>();
        for st in &ir.stores {
            c[4] += expr(&st.base, &mut seen, &mut n)
                + st.value.as_ref().map_or(0, |v| expr(v, &mut seen, &mut n));
        }
        docs += ir
            .functions
            .iter()
            .map(|f| f.doc.as_ref().map_or(0, String::capacity))
            .sum::<usize>()
            + ir.classes
                .iter()
                .map(|c| c.doc.as_ref().map_or(0, String::capacity))
                .sum::<usize>();
        c[5] += ir.functions.capacity() * size_of::<Function>();
        for func in &ir.functions {
            c[5] += func.name.capacity()
                + func.doc.as_ref().map_or(0, String::capacity)
                + func.params.capacity() * size_of::<Param>()
                + func.returns.capacity() * size_of::<(Expr, u32)>()
                + func.decorators.capacity() * size_of::<Expr>();
            for p in &func.params {
                c[5] += p.name.capacity()
                    + p.default.as_ref().map_or(0, |d| expr(d, &mut seen, &mut n));
            }
            for (e, _) in &func.returns {
                c[5] += expr(e, &mut seen, &mut n);
            }
            for e in &func.decorators {
                c[5] += expr(e, &mut seen, &mut n);
            }
        }
        c[6] += ir.classes.capacity() * size_of::<Class>();
        for cl in &ir.classes {
            c[6] += cl.name.capacity()
                + cl.doc.as_ref().map_or(0, String::capacity)
                + map_table(&cl.methods)
                + map_table(&cl.self_attrs);
            for e in cl.bases.iter().chain(&cl.decorators) {
                c[6] += expr(e, &mut seen, &mut n);
            }
        }
    }
    let mb = |x: usize| x as f64 / 1e6;
    json!({
        "sizes": {"Expr": size_of::<Expr>(), "Call": size_of::<Call>(), "Def": size_of::<Def>(),
                  "Cond": size_of::<Cond>(), "Function": size_of::<Function>(), "Param": size_of::<Param>()},
        "unique_calls": n[0], "expr_nodes_walked": n[1],
        "defs": defs,
        "counts": {"timeline": counts[0], "escapes": counts[1], "applies": counts[2], "lives": counts[3],
                   "reaches": counts[4], "conds": counts[5], "phis": counts[6], "mutations": counts[7],
                   "stores": counts[8]},
        "docstrings_mb": mb(docs),
        "calls_mb": mb(c[0]), "call_sites_vec_mb": mb(c[1]), "flow_tables_mb": mb(c[2]),
        "def_exprs_mb": mb(c[3]), "stores_mb": mb(c[4]), "functions_mb": mb(c[5]),
        "classes_mb": mb(c[6]), "scopes_vec_mb": mb(c[7]),
        "total_mb": mb(c.iter().sum()),
    })
}

/// Where the per-file time goes, on one thread, over a sample of the files the filter parses.
fn phase_breakdown(files: &[PathBuf], max: u64) -> Value {
    let sample: Vec<PathBuf> = files.iter().step_by(4).take(1500).cloned().collect();
    // On one thread of the index pool, as `index::load` runs it.
    index::parse_pool().install(move || {
        let mut ph = [0f64; 9];
        let names = [
            "read",
            "relevance filter",
            "with_big_stack (a thread per file before index::parse_pool)",
            "rustpython parse (raw)",
            "parse with recovery (units scan + parse)",
            "lower to IR",
            "fix_name_spans",
            "drop AST",
            "line index",
        ];
        let mut n = 0;
        let mut bytes = 0usize;
        for p in &sample {
            let t = Instant::now();
            let Some(text) = index::read_source(p, max) else {
                continue;
            };
            ph[0] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let rel = is_relevant(&text);
            ph[1] += t.elapsed().as_secs_f64();
            if !rel {
                continue;
            }
            n += 1;
            bytes += text.len();
            let t = Instant::now();
            let _ = syntax::with_big_stack(|| ());
            ph[2] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let raw = ast::Suite::parse(&text, "<file>");
            ph[3] += t.elapsed().as_secs_f64();
            drop(raw);
            let t = Instant::now();
            let parsed = syntax::parse::parse(&text);
            ph[4] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let mut ir = syntax::lower::lower(&parsed.suite);
            ph[5] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            syntax::lower::fix_name_spans(&mut ir, &text);
            ph[6] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            drop(parsed);
            ph[7] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let li = syntax::LineIndex::new(&text);
            ph[8] += t.elapsed().as_secs_f64();
            std::hint::black_box((&ir, &li));
        }
        let list: Vec<Value> = names
            .iter()
            .zip(ph)
            .map(|(k, v)| json!([k, v * 1e3]))
            .collect();
        json!({"files": n, "bytes": bytes, "ms": list})
    })
}

// ------------------------------------------------------------------------------------------------
// didChange in a.py -> fresh inlay hints in b.py, over real LSP stdio.

#[derive(Default)]
struct LspResult {
    error: Option<String>,
    /// ms from didChange to the first b.py hint showing the new value, per round.
    fresh_ms: Vec<f64>,
    /// Rounds where b.py alone never showed the change within the wait.
    stale: usize,
    /// ms until fresh when the client also asks for a.py's hints after the change (as an editor
    /// showing both files does), for the stale rounds.
    fresh_after_a_ms: Vec<f64>,
    /// b.py's first hints only had a.py's value after a request on a.py.
    initial_needed_a: bool,
}

fn did_change_latency(server: &Path, rounds: usize) -> LspResult {
    let mut res = LspResult::default();
    if !server.exists() {
        res.error = Some(format!(
            "{} not found (build it: cargo build --release)",
            server.display()
        ));
        return res;
    }
    let dir = std::env::temp_dir().join(format!("keras-lsp-bench-lsp-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let dir = dir.canonicalize().unwrap_or(dir);
    let a_text =
        |id: &str| format!("\"\"\"Shared settings.\"\"\"\nimport os\n\nKERNEL_INIT = \"{id}\"\n");
    let b_text = "import keras\n\nfrom a import KERNEL_INIT\n\nmodel = keras.Sequential([keras.layers.Dense(4, kernel_initializer=KERNEL_INIT)])\n";
    let (a, b) = (dir.join("a.py"), dir.join("b.py"));
    std::fs::write(&a, a_text("he_normal")).expect("write a.py");
    std::fs::write(&b, b_text).expect("write b.py");
    if !server.is_file() {
        res.error = Some(format!("no server binary at {}", server.display()));
        return res;
    }
    let mut c = support::Client::spawn_program(server, &[]);
    let (ua, ub) = (support::uri(&a), support::uri(&b));
    let root = support::uri(&dir);
    c.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": "bench"}],
            "capabilities": {
                "workspace": {"inlayHint": {"refreshSupport": true}},
                "window": {"workDoneProgress": true},
                "textDocument": {"inlayHint": {}}
            }
        }),
    );
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": ua, "languageId": "python", "version": 1, "text": a_text("he_normal")}}),
    );
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": ub, "languageId": "python", "version": 1, "text": b_text}}),
    );
    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": 10, "character": 0}});
    let hints_of = |c: &mut support::Client, u: &str| -> String {
        c.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": u}, "range": range}),
        )["result"]
            .as_array()
            .map(|hs| {
                hs.iter()
                    .map(support::label)
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .unwrap_or_default()
    };
    // Wait for the first answer with the initial value: b.py alone, then (as an editor showing
    // both files would) after asking for a.py's hints too.
    let t = Instant::now();
    let mut asked_a = false;
    while !hints_of(&mut c, &ub).contains("he_normal") {
        if t.elapsed() > Duration::from_secs(2) && !asked_a {
            asked_a = true;
            res.initial_needed_a = true;
            let _ = hints_of(&mut c, &ua);
        }
        if t.elapsed() > Duration::from_secs(10) {
            res.error = Some(format!(
                "b.py never showed the initial value: {:?}",
                hints_of(&mut c, &ub)
            ));
            let _ = c.shutdown();
            let _ = std::fs::remove_dir_all(&dir);
            return res;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let values = ["lecun_normal", "glorot_normal", "he_uniform", "he_normal"];
    let mut old = "he_normal";
    for r in 0..rounds {
        let new = values[r % values.len()];
        let t0 = Instant::now();
        // Incremental edit of line 3: replace the quoted identifier.
        c.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": ua, "version": 2 + r},
                "contentChanges": [{
                    "range": {"start": {"line": 3, "character": 15}, "end": {"line": 3, "character": 15 + old.len()}},
                    "text": new
                }]
            }),
        );
        let mut fresh = false;
        while t0.elapsed() < Duration::from_secs(2) {
            if hints_of(&mut c, &ub).contains(new) {
                fresh = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        if fresh {
            res.fresh_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        } else {
            res.stale += 1;
            let t1 = Instant::now();
            let _ = hints_of(&mut c, &ua);
            let mut ok = false;
            while t1.elapsed() < Duration::from_secs(2) {
                if hints_of(&mut c, &ub).contains(new) {
                    ok = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            if ok {
                res.fresh_after_a_ms.push(t1.elapsed().as_secs_f64() * 1e3);
            }
        }
        old = new;
    }
    let _ = c.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    res
}

// ------------------------------------------------------------------------------------------------
// The table.

fn f(v: &Value, path: &[&str]) -> f64 {
    let mut x = v;
    for k in path {
        x = &x[*k];
    }
    x.as_f64().unwrap_or(f64::NAN)
}

fn ok(pass: bool) -> &'static str {
    if pass {
        "yes"
    } else {
        "**no**"
    }
}

fn print_table(
    threads: usize,
    g: &gen::Generated,
    gen_res: Option<&Value>,
    corpus_res: Option<&Value>,
    corpus: &[PathBuf],
    lsp: &LspResult,
) {
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        s,
        "\n## keras-lsp workspace index benchmark ({threads} rayon threads)\n"
    );
    let _ = writeln!(s, "| workspace | figure | value | target | met |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    let ws_rows = |s: &mut String, name: &str, r: &Value, rss_target: bool| {
        let files = r["files"].as_u64().unwrap_or(0);
        let mb = f(r, &["bytes"]) / 1e6;
        let cold = f(r, &["cold_index_s"]);
        let idx = f(r, &["index_min_s"]);
        let parse = f(r, &["parse_min_s"]);
        let ratio = idx / parse;
        let _ = writeln!(
            s,
            "| {name} | files / size | {files} files, {mb:.1} MB ({} parsed, {} skipped by the filter) | | |",
            r["parsed_files"], files.saturating_sub(r["parsed_files"].as_u64().unwrap_or(0))
        );
        let _ = writeln!(
            s,
            "| {name} | cold index (first `index::load`) | {cold:.2} s | | |"
        );
        let _ = writeln!(
            s,
            "| {name} | index / parse-only (best of {}) | {idx:.2} s / {parse:.2} s = **{ratio:.2}×** | ≤ 1.3× | {} |",
            r["index_runs_s"].as_array().map(Vec::len).unwrap_or(0),
            ok(ratio <= 1.3)
        );
        let (icpu, pcpu) = (f(r, &["index_cpu_min_s"]), f(r, &["parse_cpu_min_s"]));
        let _ = writeln!(
            s,
            "| {name} | same, CPU time (user+sys, all threads) | {icpu:.2} s / {pcpu:.2} s = **{:.2}×** | ≤ 1.3× | {} |",
            icpu / pcpu,
            ok(icpu / pcpu <= 1.3)
        );
        let peak = f(r, &["peak_rss_kb"]) / 1024.0;
        let _ = writeln!(
            s,
            "| {name} | peak RSS after indexing (VmHWM) | {peak:.0} MB | {} | {} |",
            if rss_target { "≤ 300 MB" } else { "" },
            if rss_target { ok(peak <= 300.0) } else { "" }
        );
        let _ = writeln!(
            s,
            "| {name} | peak RSS at the end, after every hover and hint below (VmHWM) | {:.0} MB | | |",
            f(r, &["peak_rss_after_questions_kb"]) / 1024.0
        );
        let _ = writeln!(
            s,
            "| {name} | after indexing: map of which files call which names (`Workspace::prepare`, in the background) | {:.1} ms | | |",
            f(r, &["prepare_ms"])
        );
        let h = &r["hover"];
        let p99 = f(h, &["p99_us"]) / 1e3;
        let _ = writeln!(
            s,
            "| {name} | hover p50 / p99, first on a fresh snapshot ({} hovers of {} layer-call sites, {} files) | {:.3} ms / **{p99:.3} ms** (max {:.2} ms) | p99 ≤ 2 ms | {} |",
            h["n"], h["sites"], h["files"], f(h, &["p50_us"]) / 1e3, f(h, &["max_us"]) / 1e3, ok(p99 <= 2.0)
        );
        let _ = writeln!(
            s,
            "| {name} | hover p50 / p99, same hover again on that snapshot | {:.3} ms / {:.3} ms | | |",
            f(h, &["warm_p50_us"]) / 1e3,
            f(h, &["warm_p99_us"]) / 1e3
        );
        if !h["big_file"].is_null() {
            let _ = writeln!(
                s,
                "| {name} | hover in the 3,000-line file ({} layer calls), first / again | {:.1} ms / {:.3} ms | | |",
                h["big_file"]["calls"],
                f(h, &["big_file", "cold_us"]) / 1e3,
                f(h, &["big_file", "warm_us"]) / 1e3
            );
        }
        let i = &r["inlay"];
        if !i.is_null() {
            let p50 = f(i, &["p50_ms"]);
            let _ = writeln!(
                s,
                "| {name} | inlay hints, whole {}-line file ({} hints), fresh snapshot, p50 (max) | **{p50:.1} ms** ({:.1} ms) | ≤ 10 ms | {} |",
                i["lines"], i["hints"], f(i, &["max_ms"]), ok(p50 <= 10.0)
            );
            let vp = f(i, &["viewport_p50_ms"]);
            let _ = writeln!(
                s,
                "| {name} | inlay hints, a 60-line viewport of that file (~{} hints), fresh snapshot, p50 (max) over 20 places | **{vp:.2} ms** ({:.2} ms) | ≤ 10 ms | {} |",
                i["viewport_hints"], f(i, &["viewport_max_ms"]), ok(vp <= 10.0)
            );
            let _ = writeln!(
                s,
                "| {name} | inlay hints, same request again on that snapshot, p50 | {:.2} ms | | |",
                f(i, &["warm_p50_ms"])
            );
            let _ = writeln!(
                s,
                "| {name} | inlay hints with every tooltip (clients without `resolveSupport`), same snapshot, p50 | {:.2} ms | | |",
                f(i, &["eager_warm_p50_ms"])
            );
            let _ = writeln!(
                s,
                "| {name} | `inlayHint/resolve` of one tooltip, p50 | {:.3} ms | | |",
                f(i, &["resolve_p50_ms"])
            );
        }
        let c = &r["classes"];
        let skip = f(c, &["skipped", "us_per_file"]);
        let parsed = f(c, &["parsed_without_mention", "us_per_file"]);
        let rel = f(c, &["relevant", "us_per_file"]);
        let _ = writeln!(
            s,
            "| {name} | read + `analyse` per file, 1 thread: skipped by the filter (no keras/tf/initializer, import or binding; {} files) · no such mention but an import or bindings, parsed ({} files) · relevant ({} files) | {skip:.0} µs (files of {:.1} KB on average) · {parsed:.0} µs ({:.0} µs/KB) · {rel:.0} µs ({:.0} µs/KB) | a file that cannot matter ≈ 0 | {} |",
            c["skipped"]["files"],
            c["parsed_without_mention"]["files"],
            c["relevant"]["files"],
            f(c, &["skipped", "avg_kb"]),
            f(c, &["parsed_without_mention", "us_per_kb"]),
            f(c, &["relevant", "us_per_kb"]),
            ok(skip.is_nan() || skip < 0.1 * rel)
        );
    };
    match gen_res {
        Some(r) => ws_rows(&mut s, &format!("generated ({} files)", g.files), r, false),
        None => {
            let _ = writeln!(s, "| generated | — | child failed | | |");
        }
    }
    match corpus_res {
        Some(r) => ws_rows(&mut s, "keras+tf_keras+tensorflow", r, true),
        None => {
            let _ = writeln!(
                s,
                "| real corpus | — | skipped ({}) | | |",
                if corpus.is_empty() {
                    "no corpus found"
                } else {
                    "see stderr"
                }
            );
        }
    }
    match &lsp.error {
        Some(e) => {
            let _ = writeln!(
                s,
                "| LSP stdio | didChange a.py → fresh hints in b.py | error: {e} | | |"
            );
        }
        None => {
            let mut v = lsp.fresh_ms.clone();
            v.sort_by(f64::total_cmp);
            let n = v.len() + lsp.stale;
            let _ = writeln!(
                s,
                "| LSP stdio | didChange a.py → fresh hints in b.py (b.py polled alone) | {} of {n} rounds fresh{} | | {} |",
                v.len(),
                if v.is_empty() {
                    String::new()
                } else {
                    format!(", median {:.1} ms, max {:.1} ms", percentile(&v, 0.5), v.last().unwrap())
                },
                ok(lsp.stale == 0)
            );
            if lsp.initial_needed_a {
                let _ = writeln!(
                    s,
                    "| LSP stdio | b.py's first hints resolve a.py's constant | only after a request on a.py | | **no** |"
                );
            }
            if lsp.stale > 0 {
                let mut w = lsp.fresh_after_a_ms.clone();
                w.sort_by(f64::total_cmp);
                let _ = writeln!(
                    s,
                    "| LSP stdio | same, stale rounds after the client also asks for a.py's hints | {} of {} fresh{} | | |",
                    w.len(),
                    lsp.stale,
                    if w.is_empty() {
                        String::new()
                    } else {
                        format!(", median {:.1} ms", percentile(&w, 0.5))
                    }
                );
            }
        }
    }
    // Phase breakdown (one thread), for finding where the index time goes.
    for (name, r) in [("generated", gen_res), ("corpus", corpus_res)] {
        let Some(r) = r else { continue };
        let p = &r["phases"];
        if p.is_null() {
            continue;
        }
        let _ = writeln!(
            s,
            "\nPhases on one thread, {name}: {} parsed files of a sample, {:.1} MB (ms):\n",
            p["files"],
            f(p, &["bytes"]) / 1e6
        );
        let _ = writeln!(s, "| phase | ms |\n|---|---|");
        for row in p["ms"].as_array().into_iter().flatten() {
            let _ = writeln!(
                s,
                "| {} | {:.0} |",
                row[0].as_str().unwrap_or(""),
                row[1].as_f64().unwrap_or(f64::NAN)
            );
        }
    }
    if let Some(u) = gen_res.map(|r| &r["unresolved"]).filter(|u| !u.is_null()) {
        let _ = writeln!(
            s,
            "\nGenerated model files: {} weights, {} unresolved (e.g. {}).",
            u["weights"], u["unresolved"], u["example"]
        );
    }
    print!("{s}");
}
