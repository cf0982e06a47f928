//! Syntax: text, line index, parsing with recovery, and lowering of the AST to a small IR.
//! Everything here works on byte offsets and knows nothing of LSP.

pub mod ir;
pub mod last_good;
pub mod line_index;
pub mod lower;
pub mod parse;

pub use line_index::{ColumnUnit, LineCol, LineIndex};

/// Stack size of the threads that parse, lower and drop ASTs. A deep rustpython AST recurses on
/// drop; 2 MB overflowed at about 50k nesting here.
pub const BIG_STACK: usize = 512 << 20;

thread_local! {
    /// Set on threads that were built with a [`BIG_STACK`] stack (see [`mark_big_stack_thread`]).
    static ON_BIG_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Declares that the current thread was spawned with a stack of at least [`BIG_STACK`] bytes, so
/// [`with_big_stack`] can run on it directly instead of starting a thread per call. Call it only
/// from such threads (e.g. a rayon pool's `start_handler` with `stack_size(BIG_STACK)`).
pub fn mark_big_stack_thread() {
    ON_BIG_STACK.with(|c| c.set(true));
}

/// Runs `f` with a [`BIG_STACK`] stack and returns its result: on the current thread when it is
/// marked by [`mark_big_stack_thread`], else on a fresh thread. A panic inside `f` is returned as
/// `Err` with its message.
pub fn with_big_stack<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    if ON_BIG_STACK.with(|c| c.get()) {
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .map_err(|p| panic_message(&p));
    }
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
