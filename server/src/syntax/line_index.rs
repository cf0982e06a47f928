//! Line index: converts byte offsets to line/column pairs in UTF-8, UTF-16 or characters, and back.
//!
//! Line breaks are `\n`, `\r\n` and a lone `\r`, as the LSP specification defines them.

/// Column unit of a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnUnit {
    /// UTF-8 code units (bytes).
    Utf8,
    /// UTF-16 code units (the LSP default).
    Utf16,
    /// Unicode scalar values (characters); used by `keras-lsp check` output.
    Char,
}

/// A zero-based line and column, the column counted in some [`ColumnUnit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Byte offsets of line starts of one text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    /// Builds the index of `text` (O(len)).
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        // One pass to size the vector exactly (an upper bound: `\r\n` counts twice), so that
        // building it does not reallocate and the index keeps no spare capacity.
        let breaks = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
        let mut starts = Vec::with_capacity(breaks + 1);
        starts.push(0u32);
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i as u32 + 1);
                }
                _ => {}
            }
            i += 1;
        }
        starts.shrink_to_fit();
        LineIndex {
            starts,
            len: text.len() as u32,
        }
    }

    /// Number of lines (a text ending in a line break has an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where zero-based `line` starts, or `None` past the last line.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.starts.get(line as usize).copied()
    }

    /// Byte range of `line` without its line break.
    pub fn line_range(&self, text: &str, line: u32) -> Option<(u32, u32)> {
        let start = self.line_start(line)?;
        let mut end = self
            .starts
            .get(line as usize + 1)
            .copied()
            .unwrap_or(self.len);
        let b = text.as_bytes();
        while end > start && (b[end as usize - 1] == b'\n' || b[end as usize - 1] == b'\r') {
            end -= 1;
        }
        Some((start, end))
    }

    /// Zero-based line of a byte offset (offsets past the end map to the last line).
    pub fn line_of(&self, offset: u32) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(l) => l as u32,
            Err(l) => l as u32 - 1,
        }
    }

    /// Converts a byte offset into a line and a column in `unit`.
    /// An offset inside a multi-byte character is moved back to the character's start.
    pub fn to_line_col(&self, text: &str, offset: u32, unit: ColumnUnit) -> LineCol {
        let offset = offset.min(self.len);
        let line = self.line_of(offset);
        let start = self.starts[line as usize] as usize;
        let mut end = offset as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let seg = &text[start..end];
        let col = match unit {
            ColumnUnit::Utf8 => seg.len(),
            ColumnUnit::Utf16 => seg.chars().map(char::len_utf16).sum(),
            ColumnUnit::Char => seg.chars().count(),
        } as u32;
        LineCol { line, col }
    }

    /// Converts a line and column in `unit` into a byte offset.
    ///
    /// Returns `None` when the line does not exist. A column past the end of the line is clamped to
    /// the line's end (as the LSP specification asks); a column inside a character (the middle of a
    /// surrogate pair or a UTF-8 sequence) is moved back to its start.
    pub fn to_offset(&self, text: &str, pos: LineCol, unit: ColumnUnit) -> Option<u32> {
        let (start, end) = self.line_range(text, pos.line)?;
        let seg = &text[start as usize..end as usize];
        let mut units = 0u32;
        for (i, ch) in seg.char_indices() {
            let w = match unit {
                ColumnUnit::Utf8 => ch.len_utf8() as u32,
                ColumnUnit::Utf16 => ch.len_utf16() as u32,
                ColumnUnit::Char => 1,
            };
            if units + w > pos.col {
                return Some(start + i as u32);
            }
            units += w;
        }
        Some(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_round_trip_with_surrogates_and_crlf() {
        let text = "a = 1\r\nx = '😀é'; Dense(1)\rlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 3);
        let off = text.find("Dense").unwrap() as u32;
        let lc = idx.to_line_col(text, off, ColumnUnit::Utf16);
        // x = '  (5) + 😀 (2) + é (1) + '; (3) = 11
        assert_eq!(lc, LineCol { line: 1, col: 11 });
        assert_eq!(idx.to_offset(text, lc, ColumnUnit::Utf16), Some(off));
        let lc8 = idx.to_line_col(text, off, ColumnUnit::Char);
        assert_eq!(lc8.col, 10);
        assert_eq!(
            idx.to_line_col(text, text.len() as u32, ColumnUnit::Utf16)
                .line,
            2
        );
        assert_eq!(
            idx.to_offset(text, LineCol { line: 9, col: 0 }, ColumnUnit::Utf16),
            None
        );
    }
}
