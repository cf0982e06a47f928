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

/// Locations in the workspace's files for one request. A file indexed while not open keeps no
/// text (`FileAnalysis::text_on_disk`): it is read again, once per request, to convert columns
/// (empty when it cannot be read: positions then fall back to the line starts).
pub struct Locator<'w> {
    ws: &'w crate::analysis::Workspace,
    enc: Encoding,
    read: std::collections::HashMap<std::sync::Arc<std::path::Path>, String>,
}

impl<'w> Locator<'w> {
    pub fn new(ws: &'w crate::analysis::Workspace, enc: Encoding) -> Self {
        Locator {
            ws,
            enc,
            read: Default::default(),
        }
    }

    /// The location of byte range `span` of `path`; `None` for a file not in the workspace.
    pub fn location(
        &mut self,
        path: &std::sync::Arc<std::path::Path>,
        span: crate::syntax::ir::Span,
    ) -> Option<tower_lsp::lsp_types::Location> {
        let file = self.ws.file(path)?;
        let text: &str = if file.text_on_disk {
            self.read
                .entry(path.clone())
                .or_insert_with(|| crate::index::read_source(path, u64::MAX).unwrap_or_default())
        } else {
            &file.text
        };
        Some(tower_lsp::lsp_types::Location {
            uri: uri(path)?,
            range: range(&file.line_index, text, span.start, span.end, self.enc),
        })
    }
}
