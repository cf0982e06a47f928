//! The frames the client sends, checked before tower-lsp's codec reads them (issue 15, items 8 and
//! 11). tower-lsp 0.20 (and its fork tower-lsp-server) reads stdin through tokio-util's
//! `FramedRead`, which stops for good after its first decode error: one bad frame and the server
//! keeps running but never reads again. And it buffers whatever `Content-Length` announces.
//!
//! [`checked_input`] puts a pump between stdin and tower-lsp. Each frame is passed on unchanged when
//! it is one JSON-RPC message; otherwise it is dropped and replaced by a request of the internal
//! method [`REJECTED`] with `"id": null`, which [`super::lifecycle::Lifecycle`] answers with the error
//! JSON-RPC 2.0 asks for (its `id` is null, as the spec says when the id cannot be known):
//! - a header block that cannot be parsed, or has no valid `Content-Length`: parse error (-32700);
//!   the bytes up to the next `Content-Length` are skipped;
//! - a body that is not UTF-8 JSON (also a wrong `Content-Length`, which cuts a body or swallows
//!   the start of the next frame): parse error (-32700);
//! - JSON that is not a single request, notification or response (a batch array, a float id, a
//!   missing `jsonrpc`): invalid request (-32600);
//! - a `Content-Length` above [`MAX_MESSAGE`] bytes: invalid request (-32600), answered at once; the
//!   body is then read and discarded as it streams, never buffered.
//!
//! The end of stdin ends the pump's output, so tower-lsp sees the end of its input as before.

use memchr::memmem;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};

/// The largest message accepted (bytes of body): 4× the default `maxFileSize` (32 MiB), room for a
/// `didOpen` of the largest file the server reads, escaped as JSON.
pub const MAX_MESSAGE: usize = 128 << 20;

/// The longest header block read before it is declared malformed (bytes).
const MAX_HEADER: usize = 8 << 10;

/// The internal method of the request that stands for a rejected frame (see the module's
/// documentation). Its params are `{"code": i64, "message": String}`.
pub const REJECTED: &str = "$/keras-lsp/rejectedFrame";

/// JSON-RPC 2.0 error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// The pipe's buffer between the pump and tower-lsp (bytes).
const PIPE: usize = 1 << 20;

/// Starts the pump from `input` (stdin) on the current tokio runtime; tower-lsp reads the checked
/// frames from the returned stream.
pub fn checked_input<R>(input: R) -> DuplexStream
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let (reader, writer) = tokio::io::duplex(PIPE);
    tokio::spawn(async move {
        if let Err(e) = pump(input, writer).await {
            tracing::debug!("input pump ended: {e}");
        }
    });
    reader
}

/// What one frame of input turned out to be.
#[derive(Debug, PartialEq)]
enum Frame {
    /// A well-formed message: its body, to pass on.
    Message(Vec<u8>),
    /// A frame to answer with an error: JSON-RPC code and message.
    Rejected(i64, String),
}

/// The reader side: a buffer over `input`.
struct Input<R> {
    input: R,
    buf: Vec<u8>,
    /// The end of `input` was reached.
    eof: bool,
    /// Bytes of input still to discard (the body of an oversized message).
    skip: usize,
}

impl<R: AsyncRead + Unpin> Input<R> {
    /// Reads more into `buf`; false at the end of input.
    async fn fill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let mut chunk = [0u8; 64 << 10];
        let n = self.input.read(&mut chunk).await?;
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(true)
    }

    /// Drops bytes up to the next `Content-Length` after the first byte, or else at least the first
    /// `at_least` bytes and all but a tail that may be the start of one (so each call makes
    /// progress).
    fn resync(&mut self, at_least: usize) {
        let key = b"Content-Length";
        let from = 1.min(self.buf.len());
        let cut = match memmem::find(&self.buf[from..], key) {
            Some(i) => from + i,
            None => self
                .buf
                .len()
                .saturating_sub(key.len() - 1)
                .max(at_least)
                .min(self.buf.len()),
        };
        self.buf.drain(..cut.max(from));
    }

    /// The next frame; `None` at the end of input (a partial frame there is dropped).
    async fn next(&mut self) -> std::io::Result<Option<Frame>> {
        // The body of an oversized message, not kept.
        while self.skip > 0 {
            let n = self.skip.min(self.buf.len());
            self.buf.drain(..n);
            self.skip -= n;
            if self.skip > 0 && !self.fill().await? {
                return Ok(None);
            }
        }
        // Blank lines between frames are tolerated.
        loop {
            let blank = self
                .buf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            self.buf.drain(..blank);
            if !self.buf.is_empty() || !self.fill().await? {
                break;
            }
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        // The header block.
        let header_end = loop {
            let found = memmem::find(&self.buf, b"\r\n\r\n");
            if let Some(i) = found.filter(|i| *i <= MAX_HEADER) {
                break i + 4;
            }
            if found.is_some() || self.buf.len() > MAX_HEADER {
                self.resync(found.map_or(MAX_HEADER, |i| i + 4));
                return Ok(Some(Frame::Rejected(
                    PARSE_ERROR,
                    format!("a header block longer than {MAX_HEADER} bytes"),
                )));
            }
            if !self.fill().await? {
                return Ok(None);
            }
        };
        let len = match content_length(&self.buf[..header_end]) {
            Ok(n) => n,
            Err(e) => {
                // From the start of the block: the real header of the next frame may sit behind
                // the rest of a body that was cut short.
                self.resync(header_end);
                return Ok(Some(Frame::Rejected(PARSE_ERROR, e)));
            }
        };
        self.buf.drain(..header_end);
        if len > MAX_MESSAGE {
            // Answered at once; the body is discarded as it streams, before the next frame.
            self.skip = len;
            return Ok(Some(Frame::Rejected(
                INVALID_REQUEST,
                format!("a message of {len} bytes, over the limit of {MAX_MESSAGE} bytes"),
            )));
        }
        while self.buf.len() < len {
            if !self.fill().await? {
                return Ok(None);
            }
        }
        let body: Vec<u8> = self.buf.drain(..len).collect();
        Ok(Some(check_body(body)))
    }
}

/// The `Content-Length` of a header block (headers per RFC 7230 as LSP uses them), or why not.
fn content_length(block: &[u8]) -> Result<usize, String> {
    let mut headers = [httparse::EMPTY_HEADER; 8];
    let parsed = match httparse::parse_headers(block, &mut headers) {
        Ok(httparse::Status::Complete((_, h))) => h,
        Ok(httparse::Status::Partial) => return Err("an incomplete header block".into()),
        Err(e) => return Err(format!("a header block that cannot be parsed ({e})")),
    };
    let mut len = None;
    for h in parsed {
        if h.name.eq_ignore_ascii_case("Content-Length") {
            let v = std::str::from_utf8(h.value).unwrap_or("").trim();
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "Content-Length `{}` is not a number",
                    v.escape_debug()
                ));
            }
            len = Some(
                v.parse::<usize>()
                    .map_err(|_| format!("Content-Length {v} is out of range"))?,
            );
        }
    }
    len.ok_or_else(|| "a header block without Content-Length".to_string())
}

/// A body kept when it is one JSON-RPC message as tower-lsp reads them.
fn check_body(body: Vec<u8>) -> Frame {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return Frame::Rejected(PARSE_ERROR, format!("the body is not JSON: {e}")),
    };
    let is_request = match &v {
        Value::Object(o) => o.contains_key("method"),
        Value::Array(_) => {
            return Frame::Rejected(
                INVALID_REQUEST,
                "a batch (a JSON array); LSP messages are sent one by one".into(),
            )
        }
        _ => {
            return Frame::Rejected(INVALID_REQUEST, "the body is not a JSON object".into());
        }
    };
    let shape = if is_request {
        serde_json::from_value::<tower_lsp::jsonrpc::Request>(v).map(|_| ())
    } else {
        serde_json::from_value::<tower_lsp::jsonrpc::Response>(v).map(|_| ())
    };
    match shape {
        Ok(()) => Frame::Message(body),
        Err(e) => Frame::Rejected(INVALID_REQUEST, format!("not a JSON-RPC 2.0 message: {e}")),
    }
}

/// Writes one frame around `body`.
async fn write_frame<W: AsyncWrite + Unpin>(out: &mut W, body: &[u8]) -> std::io::Result<()> {
    out.write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await?;
    out.write_all(body).await?;
    out.flush().await
}

/// Copies checked frames from `input` to `out` until the end of input (see the module's
/// documentation).
async fn pump<R, W>(input: R, mut out: W) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = Input {
        input,
        buf: Vec::new(),
        eof: false,
        skip: 0,
    };
    while let Some(frame) = input.next().await? {
        match frame {
            Frame::Message(body) => write_frame(&mut out, &body).await?,
            Frame::Rejected(code, message) => {
                tracing::warn!("rejected a frame from the client: {message}");
                let req = json!({"jsonrpc": "2.0", "id": null, "method": REJECTED,
                                 "params": {"code": code, "message": message}});
                write_frame(&mut out, req.to_string().as_bytes()).await?;
            }
        }
    }
    out.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frames the pump reads from `bytes`.
    fn frames(bytes: &[u8]) -> Vec<Frame> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut input = Input {
                input: bytes,
                buf: Vec::new(),
                eof: false,
                skip: 0,
            };
            let mut out = Vec::new();
            while let Some(f) = input.next().await.unwrap() {
                out.push(f);
            }
            out
        })
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    const HOVER: &str = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;

    fn codes(fs: &[Frame]) -> Vec<i64> {
        fs.iter()
            .map(|f| match f {
                Frame::Message(_) => 0,
                Frame::Rejected(c, _) => *c,
            })
            .collect()
    }

    #[test]
    fn well_formed_frames_pass_unchanged() {
        let fs = frames(format!("{}{}", frame(HOVER), frame(HOVER)).as_bytes());
        assert_eq!(
            fs,
            vec![Frame::Message(HOVER.into()), Frame::Message(HOVER.into())]
        );
    }

    #[test]
    fn each_malformed_frame_is_rejected_and_reading_goes_on() {
        let input = [
            frame("{not json"),
            frame(r#"[{"jsonrpc":"2.0","id":1,"method":"shutdown"}]"#),
            frame(r#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#),
            frame("42"),
            "Content-Length: abc\r\n\r\n{}".to_string(),
            frame(HOVER),
        ]
        .concat();
        assert_eq!(
            codes(&frames(input.as_bytes())),
            vec![
                PARSE_ERROR,
                INVALID_REQUEST,
                INVALID_REQUEST,
                INVALID_REQUEST,
                PARSE_ERROR,
                0
            ]
        );
    }

    #[test]
    fn a_wrong_content_length_costs_one_frame() {
        // Declared 5 bytes too many: the body swallows the start of the next frame, whose rest is
        // rejected too; the one after is read.
        let bad = format!("Content-Length: {}\r\n\r\n{HOVER}", HOVER.len() + 5);
        let input = [bad, frame(HOVER), frame(HOVER)].concat();
        assert_eq!(
            codes(&frames(input.as_bytes())),
            vec![PARSE_ERROR, PARSE_ERROR, 0]
        );
        // Declared too few: the rest of the body is skipped up to the next header.
        let bad = format!("Content-Length: {}\r\n\r\n{HOVER}", HOVER.len() - 5);
        let input = [bad, frame(HOVER)].concat();
        assert_eq!(
            codes(&frames(input.as_bytes())),
            vec![PARSE_ERROR, PARSE_ERROR, 0]
        );
        // A header block longer than allowed.
        let input = [format!("X: {}\r\n", "y".repeat(MAX_HEADER)), frame(HOVER)].concat();
        assert_eq!(codes(&frames(input.as_bytes())), vec![PARSE_ERROR, 0]);
    }

    #[test]
    fn an_oversized_message_is_refused_without_buffering_it() {
        let len = MAX_MESSAGE + 1;
        let mut input = format!("Content-Length: {len}\r\n\r\n").into_bytes();
        input.resize(input.len() + len, b' ');
        input.extend_from_slice(frame(HOVER).as_bytes());
        let fs = frames(&input);
        assert_eq!(codes(&fs), vec![INVALID_REQUEST, 0]);
    }

    #[test]
    fn garbage_and_a_truncated_end_do_not_hang() {
        assert!(frames(b"garbage without any header at all").is_empty());
        let input = [b"garbage\r\n\r\n".to_vec(), frame(HOVER).into_bytes()].concat();
        assert_eq!(codes(&frames(&input)), vec![PARSE_ERROR, 0]);
        assert!(frames(b"Content-Length: 100\r\n\r\n{").is_empty());
        assert!(frames(b"").is_empty());
    }
}
