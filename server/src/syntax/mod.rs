//! Syntax: text, line index, parsing with recovery, and lowering of the AST to a small IR.
//! Everything here works on byte offsets and knows nothing of LSP.

pub mod ir;
pub mod line_index;
pub mod lower;
pub mod parse;

pub use line_index::{ColumnUnit, LineCol, LineIndex};

/// Stack size of the threads that parse, lower and drop ASTs. A deep rustpython AST recurses on
/// drop; 2 MB overflowed at about 50k nesting here.
pub const BIG_STACK: usize = 512 << 20;

/// Runs `f` on a fresh thread with a [`BIG_STACK`] stack and returns its result. A panic inside `f`
/// is returned as `Err` with its message.
pub fn with_big_stack<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let handle = std::thread::Builder::new()
        .name("keras-lsp-parse".into())
        .stack_size(BIG_STACK)
        .spawn(f)
        .map_err(|e| format!("could not start a parser thread: {e}"))?;
    handle.join().map_err(|p| panic_message(&p))
}

/// Text of a panic payload.
pub fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}
