//! Decoding Python source bytes as Python does (PEP 263): UTF-8 by default, a UTF-8 byte order mark,
//! or the encoding a `coding` declaration on line 1 or 2 names (`# -*- coding: latin-1 -*-`).
//!
//! The decoded text is what the analysis reads and what positions are counted in: the byte order mark
//! is dropped (editors do not show it, so positions agree with theirs), and every other character is
//! kept as decoded. Encodings other than UTF-8, Latin-1 and ASCII are decoded with `encoding_rs`,
//! whose WHATWG labels differ from Python's codec names in places: Python's `latin-1` (ISO-8859-1)
//! is decoded here byte for byte (WHATWG's `latin1` is windows-1252, which differs in 0x80-0x9F),
//! and the other ISO-8859 names WHATWG maps to a Windows code page (ISO-8859-9, ISO-8859-11) keep
//! 0x80-0x9F as the C1 controls ISO-8859 has there.

use encoding_rs::Encoding;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Decodes Python source `bytes`, or says why it cannot be (as a reason shown to users: `check`
/// prints it after "skipped: ").
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let (bom, body) = match bytes.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, &bytes[..]),
    };
    let declared = coding_spec(body);
    let Some((name, line)) = declared else {
        return match std::str::from_utf8(body) {
            Ok(_) => Ok(strip_bom(bytes, bom)),
            Err(e) => Err(format!(
                "not UTF-8 ({}) and no coding declaration (PEP 263)",
                where_invalid(body, e.valid_up_to())
            )),
        };
    };
    let normal = normal_name(&name);
    let codec = python_codec(&normal);
    if bom && codec != Codec::Utf8 {
        return Err(format!(
            "a UTF-8 byte order mark, and a coding declaration for '{name}' on line {line}"
        ));
    }
    match codec {
        Codec::Utf8 => match std::str::from_utf8(body) {
            Ok(_) => Ok(strip_bom(bytes, bom)),
            Err(e) => Err(format!(
                "not UTF-8 ({}), as the coding declaration on line {line} says",
                where_invalid(body, e.valid_up_to())
            )),
        },
        Codec::Latin1 => Ok(body.iter().map(|&b| b as char).collect()),
        Codec::Ascii => match body.iter().position(|b| !b.is_ascii()) {
            None => Ok(strip_bom(bytes, bom)),
            Some(i) => Err(format!(
                "not ASCII ({}), as the coding declaration on line {line} says",
                where_invalid(body, i)
            )),
        },
        Codec::Other(enc, c1) => {
            if !enc.is_ascii_compatible() || enc == encoding_rs::REPLACEMENT {
                return Err(format!(
                    "the coding declaration on line {line} names '{name}', which is not ASCII-compatible (Python source cannot use it)"
                ));
            }
            let decoded = if c1 {
                decode_keeping_c1(enc, body)
            } else {
                enc.decode_without_bom_handling_and_without_replacement(body)
                    .map(|c| c.into_owned())
            };
            decoded.ok_or_else(|| {
                format!(
                    "not valid {} (the coding declaration on line {line} names '{name}')",
                    enc.name()
                )
            })
        }
        Codec::Unknown => Err(format!(
            "unknown encoding '{name}' in the coding declaration on line {line}"
        )),
    }
}

/// `bytes` (valid UTF-8), without the byte order mark when it has one.
fn strip_bom(mut bytes: Vec<u8>, bom: bool) -> String {
    if bom {
        bytes.drain(..BOM.len());
    }
    String::from_utf8(bytes).expect("checked UTF-8")
}

/// "byte 0xE9 on line 3" for the byte at `at`.
fn where_invalid(body: &[u8], at: usize) -> String {
    let line = body[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    match body.get(at) {
        Some(b) => format!("byte 0x{b:02X} on line {line}"),
        None => format!("a truncated character at the end, line {line}"),
    }
}

/// Decodes a single-byte `enc` with bytes 0x80-0x9F as U+0080-U+009F.
fn decode_keeping_c1(enc: &'static Encoding, body: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    for chunk in body.split_inclusive(|b| (0x80..=0x9f).contains(b)) {
        let (rest, c1) = match chunk.split_last() {
            Some((&last, rest)) if (0x80..=0x9f).contains(&last) => (rest, Some(last)),
            _ => (chunk, None),
        };
        out.push_str(&enc.decode_without_bom_handling_and_without_replacement(rest)?);
        if let Some(b) = c1 {
            out.push(b as char);
        }
    }
    Some(out)
}

/// The encoding name of a PEP 263 declaration in the first two lines of `body`, with its line
/// (1 or 2), as CPython's tokenizer finds it: a comment line holding `coding` followed by `:` or
/// `=`, optional spaces, then the name (letters, digits, `-`, `_`, `.`); line 2 only when line 1 is
/// blank or a comment.
fn coding_spec(body: &[u8]) -> Option<(String, usize)> {
    let mut lines = body.split(|&b| b == b'\n');
    for line_no in 1..=2 {
        let line = lines.next()?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut i = 0;
        while i < line.len() && matches!(line[i], b' ' | b'\t' | b'\x0c') {
            i += 1;
        }
        if i == line.len() {
            // A blank line: the next may hold the declaration.
            continue;
        }
        if line[i] != b'#' {
            return None;
        }
        let mut j = i;
        while j + 6 < line.len() {
            if &line[j..j + 6] == b"coding" && matches!(line[j + 6], b':' | b'=') {
                let mut k = j + 7;
                while k < line.len() && matches!(line[k], b' ' | b'\t') {
                    k += 1;
                }
                let begin = k;
                while k < line.len()
                    && (line[k].is_ascii_alphanumeric() || matches!(line[k], b'-' | b'_' | b'.'))
                {
                    k += 1;
                }
                if k > begin {
                    let name = String::from_utf8_lossy(&line[begin..k]).into_owned();
                    return Some((name, line_no));
                }
            }
            j += 1;
        }
        // A comment without a declaration: line 2 may hold it.
    }
    None
}

/// CPython's `get_normal_name`, then `encodings.normalize_encoding`: `utf-8` and `utf-8-*` are
/// UTF-8, `latin-1`/`iso-8859-1`/`iso-latin-1` (and their `-*` forms) Latin-1; then lower case with
/// every run of characters other than letters, digits and `.` as one `_`.
fn normal_name(name: &str) -> String {
    let head: String = name
        .chars()
        .take(12)
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if head == "utf-8" || head.starts_with("utf-8-") {
        return "utf_8".into();
    }
    if ["latin-1", "iso-8859-1", "iso-latin-1"]
        .iter()
        .any(|p| head == *p || head.starts_with(&format!("{p}-")))
    {
        return "latin_1".into();
    }
    let mut out = String::new();
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Codec {
    Utf8,
    Latin1,
    Ascii,
    /// Decoded by `encoding_rs`; `true`: keep 0x80-0x9F as C1 controls (an ISO-8859 name WHATWG
    /// maps to a Windows code page).
    Other(&'static Encoding, bool),
    Unknown,
}

/// The codec Python's `codecs.lookup` finds for a normalized name (its aliases for UTF-8, Latin-1
/// and ASCII; WHATWG labels, tried in Python's spellings, for the others).
fn python_codec(n: &str) -> Codec {
    match n {
        "utf_8" | "utf8" | "u8" | "utf" | "utf8_ucs2" | "utf8_ucs4" | "cp65001" | "utf_8_sig" => {
            return Codec::Utf8
        }
        "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "iso8859" | "8859"
        | "cp819" | "ibm819" | "csisolatin1" | "iso_ir_100" | "iso_8859_1_1987" => {
            return Codec::Latin1
        }
        "ascii" | "646" | "us_ascii" | "us" | "ansi_x3.4_1968" | "ansi_x3_4_1968"
        | "ansi_x3.4_1986" | "cp367" | "csascii" | "ibm367" | "iso646_us" | "iso_646.irv_1991"
        | "iso_ir_6" => return Codec::Ascii,
        _ => {}
    }
    let dashed = n.replace('_', "-");
    let mut labels = vec![n.to_string(), dashed.clone()];
    // Python spellings WHATWG does not list: `iso8859_15`, `cp1251`, `mac_roman`, ...
    if let Some(rest) = n
        .strip_prefix("iso8859_")
        .or_else(|| n.strip_prefix("iso_8859_"))
    {
        labels.push(format!("iso-8859-{rest}"));
    }
    if let Some(num) = n.strip_prefix("cp").or_else(|| n.strip_prefix("windows_")) {
        labels.push(format!("windows-{num}"));
    }
    match n {
        "mac_roman" | "macroman" | "macintosh" => labels.push("macintosh".into()),
        "cp932" | "ms932" | "mskanji" | "ms_kanji" => labels.push("windows-31j".into()),
        "cp949" | "ms949" | "uhc" => labels.push("windows-949".into()),
        "cp936" | "ms936" => labels.push("gbk".into()),
        "big5hkscs" | "big5_hkscs" | "hkscs" => labels.push("big5-hkscs".into()),
        "latin2" | "l2" => labels.push("iso-8859-2".into()),
        _ => {}
    }
    for label in labels {
        if let Some(enc) = Encoding::for_label(label.as_bytes()) {
            // WHATWG decodes these ISO-8859 labels as their Windows supersets.
            let iso = n.starts_with("iso")
                || n.starts_with("latin")
                || n.starts_with("csisolatin")
                || n == "l5";
            let c1 = iso && (enc == encoding_rs::WINDOWS_1254 || enc == encoding_rs::WINDOWS_874);
            return Codec::Other(enc, c1);
        }
    }
    Codec::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_without_declaration_and_a_bom_is_dropped() {
        assert_eq!(
            decode(b"x = 'caf\xc3\xa9'\n".to_vec()).unwrap(),
            "x = 'café'\n"
        );
        assert_eq!(decode(b"\xef\xbb\xbfx = 1\n".to_vec()).unwrap(), "x = 1\n");
        let e = decode(b"import keras\ns = '\xe9'\n".to_vec()).unwrap_err();
        assert_eq!(
            e,
            "not UTF-8 (byte 0xE9 on line 2) and no coding declaration (PEP 263)"
        );
    }

    #[test]
    fn latin1_is_python_latin1_not_windows_1252() {
        // 0x80 is U+0080 in ISO-8859-1 (Python's latin-1), '€' in windows-1252.
        for decl in [
            "# -*- coding: latin-1 -*-",
            "# coding=latin1",
            "# vim: set fileencoding=iso-8859-1 :",
            "# -*- coding: iso_8859_1 -*-",
            "# -*- coding: latin-1-unix -*-",
        ] {
            let mut bytes = format!("{decl}\ns = '").into_bytes();
            bytes.extend_from_slice(b"\xe9\x80'\n");
            let text = decode(bytes).unwrap();
            assert_eq!(text, format!("{decl}\ns = '\u{e9}\u{80}'\n"), "{decl}");
        }
    }

    #[test]
    fn the_declaration_may_be_on_line_two_after_a_comment_or_blank_line() {
        let text = decode(b"#!/usr/bin/env python\n# coding: cp1252\ns = '\x80'\n".to_vec());
        assert_eq!(
            text.unwrap(),
            "#!/usr/bin/env python\n# coding: cp1252\ns = '\u{20ac}'\n"
        );
        let text = decode(b"\n# coding: latin-1\ns = '\xe9'\n".to_vec());
        assert_eq!(text.unwrap(), "\n# coding: latin-1\ns = '\u{e9}'\n");
        let text = decode(b"#!python\r\n# coding: latin-1\r\ns = '\xe9'\r\n".to_vec());
        assert_eq!(
            text.unwrap(),
            "#!python\r\n# coding: latin-1\r\ns = '\u{e9}'\r\n"
        );
        // Not after a line of code, and not on line 3.
        assert!(decode(b"import os\n# coding: latin-1\ns = '\xe9'\n".to_vec()).is_err());
        assert!(decode(b"#\n#\n# coding: latin-1\ns = '\xe9'\n".to_vec()).is_err());
    }

    #[test]
    fn other_encodings_and_refusals() {
        // ISO-8859-15 has '€' at 0xA4; ISO-8859-9 keeps 0x80 a C1 control (WHATWG's label gives
        // windows-1254 there).
        assert_eq!(
            decode(b"# coding: iso8859_15\ns = '\xa4'\n".to_vec()).unwrap(),
            "# coding: iso8859_15\ns = '\u{20ac}'\n"
        );
        assert_eq!(
            decode(b"# coding: iso-8859-9\ns = '\x80\xfd'\n".to_vec()).unwrap(),
            "# coding: iso-8859-9\ns = '\u{80}\u{131}'\n"
        );
        assert_eq!(
            decode(b"# coding: cp1251\ns = '\xc0'\n".to_vec()).unwrap(),
            "# coding: cp1251\ns = '\u{410}'\n"
        );
        assert_eq!(
            decode(b"# coding: shift_jis\ns = '\x82\xa0'\n".to_vec()).unwrap(),
            "# coding: shift_jis\ns = '\u{3042}'\n"
        );
        assert_eq!(
            decode(b"# coding: klingon\nx = 1\n".to_vec()).unwrap_err(),
            "unknown encoding 'klingon' in the coding declaration on line 1"
        );
        assert!(decode(b"# coding: utf-16\nx = 1\n".to_vec())
            .unwrap_err()
            .contains("not ASCII-compatible"));
        assert!(decode(b"# coding: ascii\ns = '\xe9'\n".to_vec())
            .unwrap_err()
            .starts_with("not ASCII (byte 0xE9 on line 2)"));
        assert!(decode(b"\xef\xbb\xbf# coding: latin-1\nx = 1\n".to_vec())
            .unwrap_err()
            .contains("byte order mark"));
        assert_eq!(
            decode(b"\xef\xbb\xbf# coding: utf-8\nx = 1\n".to_vec()).unwrap(),
            "# coding: utf-8\nx = 1\n"
        );
        assert!(decode(b"# coding: utf-8\ns = '\xe9'\n".to_vec())
            .unwrap_err()
            .contains("as the coding declaration on line 1 says"));
    }
}
