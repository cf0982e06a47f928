//! keras-lsp: a language server that shows, statically, which initializer each Keras weight gets.
//!
//! Layers (as in rust-analyzer and ty):
//! - [`syntax`]: parsing with recovery, line index, IR; byte offsets only.
//! - [`knowledge`]: Keras data generated from the real packages.
//! - [`analysis`]: a pure function of file texts plus settings.
//! - [`ide`]: hover, inlay hints and definitions, in byte offsets.
//! - [`lsp`]: the tower-lsp server; the only place that knows LSP positions.
//! - [`cli`]: `keras-lsp check`.

pub mod analysis;
pub mod cli;
pub mod encoding;
pub mod ide;
pub mod index;
pub mod knowledge;
pub mod lsp;
pub mod syntax;
