//! The `keras-lsp` binary: serves LSP on stdio, or runs `check`.

use clap::{Parser, Subcommand};
use keras_lsp::cli::{self, Format, KerasArg};
use std::io::IsTerminal;
use std::path::PathBuf;

/// mimalloc (built without transparent huge pages: with them the peak RSS of the benchmark grew
/// from 776 to 852 MB), as ruff and ty use a non-system allocator: analysis allocates many small,
/// short-lived values (candidates, origins, configs), and glibc's malloc spent about a third of
/// the whole-file inlay-hint time on them (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "keras-lsp",
    version,
    about = "Shows which initializer each Keras weight gets, without running code"
)]
struct Args {
    /// Serve the Language Server Protocol on stdin/stdout (the default).
    #[arg(long)]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print every layer call under PATH with the initializer of each weight.
    Check {
        /// Files or folders to analyse.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Keras version the answers are for (auto reads the workspace's virtualenv).
        #[arg(long, value_enum, default_value = "auto")]
        keras: KerasArg,
        /// Diagnostic codes to turn on besides the default ones (comma-separated, e.g.
        /// `unresolved-initializer`).
        #[arg(long, value_delimiter = ',', value_parser = cli::parse_code)]
        select: Vec<keras_lsp::ide::diagnostics::Code>,
        /// Diagnostic codes to turn off (comma-separated, e.g. `shared-initializer`).
        #[arg(long, value_delimiter = ',', value_parser = cli::parse_code)]
        ignore: Vec<keras_lsp::ide::diagnostics::Code>,
    },
}

fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KERAS_LSP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match args.command {
        Some(Command::Check {
            paths,
            format,
            keras,
            select,
            ignore,
        }) => {
            let sel = keras_lsp::ide::diagnostics::Selection { select, ignore };
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            let code = match cli::run(&paths, format, keras, &sel, &mut lock) {
                Ok(code) => code,
                // The reader went away (`keras-lsp check . | head`): not an error of ours.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    eprintln!("keras-lsp check: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        None => {
            let _ = args.stdio;
            let argument_count = std::env::args_os().len().saturating_sub(1);
            if let Some(notice) =
                cli::terminal::bare_start_notice(argument_count, std::io::stdin().is_terminal())
            {
                eprintln!("{notice}");
            }
            keras_lsp::lsp::serve_stdio();
        }
    }
}
