//! Conversions between LSP positions and byte offsets; the only place that knows UTF-16.

use crate::syntax::{ColumnUnit, LineCol, LineIndex};
use tower_lsp::lsp_types::{Position, Range, Url};

/// The negotiated position encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
}

impl Encoding {
    fn unit(self) -> ColumnUnit {
        match self {
            Encoding::Utf8 => ColumnUnit::Utf8,
            Encoding::Utf16 => ColumnUnit::Utf16,
        }
    }
}

/// LSP position to byte offset; `None` when the line does not exist.
pub fn offset(index: &LineIndex, text: &str, pos: Position, enc: Encoding) -> Option<u32> {
    index.to_offset(
        text,
        LineCol {
            line: pos.line,
            col: pos.character,
        },
        enc.unit(),
    )
}

/// Byte offset to LSP position.
pub fn position(index: &LineIndex, text: &str, offset: u32, enc: Encoding) -> Position {
    let lc = index.to_line_col(text, offset, enc.unit());
    Position::new(lc.line, lc.col)
}

pub fn range(index: &LineIndex, text: &str, start: u32, end: u32, enc: Encoding) -> Range {
    Range::new(
        position(index, text, start, enc),
        position(index, text, end, enc),
    )
}

/// The file path of a `file:` URI.
pub fn path(uri: &Url) -> Option<std::path::PathBuf> {
    uri.to_file_path().ok()
}

pub fn uri(path: &std::path::Path) -> Option<Url> {
    Url::from_file_path(path).ok()
}

/// The text of `file` for converting positions: the analysis's own, or, for a file indexed while
/// not open (its text not kept, see `FileAnalysis::text_on_disk`), read again from disk (empty when
/// it cannot be read: positions then fall back to the line starts).
pub fn file_text(file: &crate::analysis::FileAnalysis) -> std::borrow::Cow<'_, str> {
    if !file.text_on_disk {
        return std::borrow::Cow::Borrowed(&file.text);
    }
    std::borrow::Cow::Owned(crate::index::read_source(&file.path, u64::MAX).unwrap_or_default())
}
