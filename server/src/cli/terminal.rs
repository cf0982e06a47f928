//! What `keras-lsp` says when a person, not an editor, starts it.
//!
//! Started with no arguments it serves LSP on stdin/stdout and waits for an editor's messages.
//! From a terminal that looks like a hang, and a typed line ends it with a header-parse error;
//! so when stdin is a terminal it first prints one line on stderr (stdout is the protocol's
//! channel) saying what it is and what to run instead, then serves as usual.

/// The line printed on stderr when `keras-lsp` is started bare from a terminal.
pub const BARE_TERMINAL_NOTICE: &str = "keras-lsp: this is a language server: it speaks LSP on stdin/stdout and waits for an editor (Ctrl-D quits). To see the initializers of your code, run `keras-lsp check PATH`; `keras-lsp --help` lists the options.";

/// The notice to print before serving, if any: only when the program got no arguments at all
/// (`--stdio` says the caller knows) and stdin is a terminal (an editor connects through pipes).
pub fn bare_start_notice(argument_count: usize, stdin_is_terminal: bool) -> Option<&'static str> {
    (argument_count == 0 && stdin_is_terminal).then_some(BARE_TERMINAL_NOTICE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_only_without_arguments_and_with_a_terminal() {
        assert_eq!(bare_start_notice(0, true), Some(BARE_TERMINAL_NOTICE));
        assert_eq!(bare_start_notice(0, false), None, "an editor's pipe");
        assert_eq!(
            bare_start_notice(1, true),
            None,
            "`keras-lsp --stdio` typed on purpose"
        );
    }

    #[test]
    fn notice_is_one_line_naming_check_and_help() {
        assert!(!BARE_TERMINAL_NOTICE.contains('\n'));
        assert!(BARE_TERMINAL_NOTICE.contains("LSP on stdin"));
        assert!(BARE_TERMINAL_NOTICE.contains("keras-lsp check PATH"));
        assert!(BARE_TERMINAL_NOTICE.contains("keras-lsp --help"));
    }
}
