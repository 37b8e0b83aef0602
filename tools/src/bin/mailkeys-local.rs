//! `mailkeys-local`: every route on one server, with the same handlers the
//! Lambda functions run. Listens on 127.0.0.1:$PORT (8080 by default). With
//! `MAILKEYS_WEBHOOK_QUEUE_URL` it also tails the audit stream and delivers
//! webhooks, as the consumer and dispatcher functions do in AWS.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use mailkeys::http::routes::{MAX_HEADER_BYTES, MAX_URI_BYTES};
use mailkeys::http::{api_router, ApiError};
use mailkeys::AppState;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tower::Service;

/// How much of a request's head (request line and headers) a connection
/// reads. Well above the router's own limits, so that a long URI or a large
/// header block gets the router's 414 or 431 in the error body; only a head
/// beyond this (or a request line over the HTTP library's own 64 KiB) is
/// answered by the library, in the error body too ([`DocumentedParseErrors`]).
const MAX_HEAD_BYTES: usize = 1024 * 1024;
const MAX_HEADERS: usize = 1000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    mailkeys::logging::init();
    let state = AppState::from_env().await?;
    // The audit stream consumer's and the dispatcher's work, as in AWS.
    let sdk = mailkeys::aws::function_sdk_config();
    if let Some(queue) = mailkeys::webhook_queue::WebhookQueue::from_env(&sdk) {
        mailkeys::webhook_queue::spawn_local(&state, aws_sdk_dynamodbstreams::Client::new(&sdk), queue).await;
        tracing::info!("webhook delivery running (stream consumer and dispatcher)");
    }
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!(address = %listener.local_addr()?, "mailkeys-local listening");
    let app = with_webhook_receiver(with_github_stand_in(api_router(state)));
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let app = app.clone();
        tokio::spawn(async move {
            // The client's address is the socket's peer, as the key checks
            // see it (allow-lists, last use); never a header.
            let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                app.clone().call(request)
            });
            let mut http = hyper::server::conn::http1::Builder::new();
            http.max_buf_size(MAX_HEAD_BYTES).max_headers(MAX_HEADERS);
            let io = TokioIo::new(DocumentedParseErrors::new(stream));
            if let Err(err) = http.serve_connection(io, service).await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
}

/// With `MAILKEYS_DEV_GITHUB_KEYS_FILE` (set by `make dev`): also serves
/// that file at `/dev/github-scanning-keys`, standing in for GitHub's keys
/// document (`mailkeys-admin github-test-keys` wrote it), so that reports
/// signed with its private key are received as GitHub's are.
fn with_github_stand_in(app: axum::Router) -> axum::Router {
    let Some(path) = std::env::var_os("MAILKEYS_DEV_GITHUB_KEYS_FILE") else { return app };
    app.route(
        "/dev/github-scanning-keys",
        axum::routing::get(move || {
            let path = path.clone();
            async move {
                match tokio::fs::read(&path).await {
                    Ok(document) => {
                        ([(axum::http::header::CONTENT_TYPE, "application/json")], document).into_response()
                    }
                    Err(_) => ApiError::not_found("No stand-in keys document").into_response(),
                }
            }
        }),
    )
}

/// With `MAILKEYS_DEV_WEBHOOK_RECEIVER=true` (set by `make dev`): a webhook
/// receiver at `/dev/webhook-receiver` to point endpoints at. It answers
/// every POST 204 and keeps the last 50 (their `webhook-*` headers and
/// body); a GET lists them, newest first, for a reader to verify.
fn with_webhook_receiver(app: axum::Router) -> axum::Router {
    if std::env::var("MAILKEYS_DEV_WEBHOOK_RECEIVER").ok().as_deref() != Some("true") {
        return app;
    }
    type Kept = std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<serde_json::Value>>>;
    let kept: Kept = Default::default();
    let (for_post, for_get) = (kept.clone(), kept);
    let receive = move |headers: axum::http::HeaderMap, body: String| {
        let kept = for_post.clone();
        async move {
            let headers: serde_json::Map<String, serde_json::Value> = headers
                .iter()
                .filter(|(name, _)| name.as_str().starts_with("webhook-"))
                .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().into()))
                .collect();
            let mut kept = kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            kept.push_front(serde_json::json!({"headers": headers, "body": body}));
            kept.truncate(50);
            axum::http::StatusCode::NO_CONTENT
        }
    };
    let list = move || {
        let kept = for_get.clone();
        async move {
            let kept = kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            axum::Json(serde_json::Value::Array(kept.iter().cloned().collect()))
        }
    };
    app.route("/dev/webhook-receiver", axum::routing::post(receive).get(list))
}

/// A connection whose automatic answers from hyper carry the documented
/// error body. hyper answers a request head it cannot parse (a request line
/// over its 64 KiB limit, a head over the buffer, a malformed line) by
/// itself, with no body, and closes the connection; the router never sends
/// such a status without a body. So a head of status 400, 414 or 431 with
/// `content-length: 0` is hyper's, and is sent as the error body instead.
struct DocumentedParseErrors {
    stream: TcpStream,
    /// The replacement answer, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl DocumentedParseErrors {
    fn new(stream: TcpStream) -> Self {
        DocumentedParseErrors { stream, pending: None }
    }

    /// The documented answer for one of hyper's bodiless parse-error heads.
    fn replacement(head: &[u8]) -> Option<Vec<u8>> {
        if !head.starts_with(b"HTTP/1.1 4") {
            return None;
        }
        let text = std::str::from_utf8(head).ok()?;
        if !text.to_ascii_lowercase().contains("\r\ncontent-length: 0\r\n") {
            return None;
        }
        let error = match text.get(..12)? {
            "HTTP/1.1 414" => ApiError::uri_too_long(MAX_URI_BYTES),
            "HTTP/1.1 431" => ApiError::headers_too_large(MAX_HEADER_BYTES),
            "HTTP/1.1 400" => ApiError::bad_request("Malformed HTTP request"),
            _ => return None,
        };
        let body = error.body_json();
        let reason = error.status.canonical_reason().unwrap_or("");
        Some(
            format!(
                "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 cache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n{body}",
                error.status.as_u16(),
                body.len()
            )
            .into_bytes(),
        )
    }

    /// Writes what is left of a replacement answer, then ends the
    /// connection's sending side (the answer says `connection: close`, and
    /// hyper may still wait for a head it will never parse).
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                std::task::ready!(Pin::new(&mut self.stream).poll_shutdown(cx))?;
                self.pending = None;
                break;
            }
            let n = std::task::ready!(Pin::new(&mut self.stream).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for DocumentedParseErrors {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for DocumentedParseErrors {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        if let Some(replacement) = Self::replacement(buf) {
            self.pending = Some((replacement, 0));
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
