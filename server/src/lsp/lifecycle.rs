//! The life of the process around tower-lsp 0.20's serve loop (issue 15):
//! - `exit` ends the process at once: code 0 after `shutdown`, 1 without it (LSP: "exit").
//!   tower-lsp itself stops serving but keeps waiting for stdin to close.
//! - `shutdown` and `exit` sent with `"params": null` (Eglot, lsp4ij) are taken as sent without
//!   params; tower-lsp rejects the request with -32602 and ignores the notification.
//! - the end of stdin ends the process even while a request to the client is unanswered
//!   (tower-lsp waits for it forever), with the same codes.
//! - a frame the input pump rejected (see [`super::transport`]) is answered with its JSON-RPC
//!   error, `id` null, and serving goes on.
//! - `initialize` whose `capabilities.general.positionEncodings` is not a list of strings (a
//!   string, a number) is taken as if it named none, so UTF-16 is used; tower-lsp rejects the
//!   whole request otherwise.

use futures::future::{ready, Either, Ready};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tower::Service;
use tower_lsp::jsonrpc::{ErrorCode, Id, Request, Response};

/// Whether `shutdown` was received (shared by the service wrapper and the stdin reader).
#[derive(Clone, Default)]
pub struct ShutdownSeen(Arc<AtomicBool>);

impl ShutdownSeen {
    /// The exit code the protocol asks for now: 0 after `shutdown`, 1 before.
    pub fn exit_code(&self) -> i32 {
        if self.0.load(Ordering::SeqCst) {
            0
        } else {
            1
        }
    }
}

/// Wraps the LSP service: see the module's documentation.
pub struct Lifecycle<S> {
    inner: S,
    seen: ShutdownSeen,
}

impl<S> Lifecycle<S> {
    pub fn new(inner: S, seen: ShutdownSeen) -> Self {
        Lifecycle { inner, seen }
    }
}

/// `initialize` with a `positionEncodings` that is not a list of strings, as without it.
fn sane_initialize(req: Request) -> Request {
    let bad = req.method() == "initialize"
        && req
            .params()
            .and_then(|p| p.pointer("/capabilities/general/positionEncodings"))
            .is_some_and(|e| {
                !e.is_null()
                    && !e
                        .as_array()
                        .is_some_and(|a| a.iter().all(|x| x.is_string()))
            });
    if !bad {
        return req;
    }
    tracing::warn!("initialize: positionEncodings is not a list of strings; using UTF-16");
    let (method, id, params) = req.into_parts();
    let mut params = params.unwrap_or_default();
    if let Some(general) = params
        .pointer_mut("/capabilities/general")
        .and_then(|g| g.as_object_mut())
    {
        general.remove("positionEncodings");
    }
    rebuild(method, id, Some(params))
}

/// `initialize` with the spec's `capabilities.workspace.diagnostics` (LSP 3.17, what VS Code sends)
/// also under `diagnostic`, the name lsp-types 0.94 reads: without it the client's
/// `refreshSupport` for pulled diagnostics is never seen.
fn spec_workspace_diagnostics(req: Request) -> Request {
    if req.method() != "initialize" {
        return req;
    }
    let found = req
        .params()
        .and_then(|p| p.pointer("/capabilities/workspace"))
        .and_then(|w| w.as_object())
        .is_some_and(|w| w.contains_key("diagnostics") && !w.contains_key("diagnostic"));
    if !found {
        return req;
    }
    let (method, id, params) = req.into_parts();
    let mut params = params.unwrap_or_default();
    if let Some(w) = params
        .pointer_mut("/capabilities/workspace")
        .and_then(|w| w.as_object_mut())
    {
        if let Some(d) = w.get("diagnostics").cloned() {
            w.insert("diagnostic".into(), d);
        }
    }
    rebuild(method, id, Some(params))
}

/// A request (or notification, without `id`) made again from its parts.
fn rebuild(
    method: std::borrow::Cow<'static, str>,
    id: Option<tower_lsp::jsonrpc::Id>,
    params: Option<serde_json::Value>,
) -> Request {
    let mut b = Request::build(method);
    if let Some(p) = params {
        b = b.params(p);
    }
    match id {
        Some(id) => b.id(id).finish(),
        None => b.finish(),
    }
}

/// `shutdown` / `exit` with `"params": null`, as without params.
fn without_null_params(req: Request) -> Request {
    if matches!(req.method(), "shutdown" | "exit") && req.params().is_some_and(|p| p.is_null()) {
        let (method, id, _) = req.into_parts();
        rebuild(method, id, None)
    } else {
        req
    }
}

/// The error answering a frame the input pump rejected ([`super::transport::REJECTED`]).
fn rejected_frame(req: &Request) -> Response {
    let p = req.params();
    let code = p.and_then(|p| p["code"].as_i64()).unwrap_or(-32700);
    let message = p
        .and_then(|p| p["message"].as_str())
        .unwrap_or("a malformed message")
        .to_string();
    Response::from_error(
        Id::Null,
        tower_lsp::jsonrpc::Error {
            code: ErrorCode::from(code),
            message: message.into(),
            data: None,
        },
    )
}

impl<S> Service<Request> for Lifecycle<S>
where
    S: Service<Request, Response = Option<Response>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<S::Future, Ready<Result<Option<Response>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if req.method() == super::transport::REJECTED {
            return Either::Right(ready(Ok(Some(rejected_frame(&req)))));
        }
        let req = spec_workspace_diagnostics(sane_initialize(without_null_params(req)));
        match (req.method(), req.id().is_some()) {
            ("shutdown", true) => self.seen.0.store(true, Ordering::SeqCst),
            ("exit", false) => {
                tracing::info!("exit: ending the process");
                std::process::exit(self.seen.exit_code());
            }
            _ => {}
        }
        Either::Left(self.inner.call(req))
    }
}

/// stdin, ending the process shortly after it closes (see the module's documentation).
pub struct ExitOnEof<R> {
    inner: R,
    seen: ShutdownSeen,
    /// Whether the end of stdin was seen (the process is ending).
    ended: bool,
}

impl<R> ExitOnEof<R> {
    pub fn new(inner: R, seen: ShutdownSeen) -> Self {
        ExitOnEof {
            inner,
            seen,
            ended: false,
        }
    }
}

/// How long the serve loop gets after stdin closes to write what it has left (milliseconds).
const EOF_GRACE_MS: u64 = 300;

impl<R: AsyncRead + Unpin> AsyncRead for ExitOnEof<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if !self.ended
            && matches!(r, Poll::Ready(Ok(())))
            && buf.filled().len() == before
            && buf.remaining() > 0
        {
            self.ended = true;
            let seen = self.seen.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(EOF_GRACE_MS));
                tracing::info!("stdin closed: ending the process");
                std::process::exit(seen.exit_code());
            });
        }
        r
    }
}
