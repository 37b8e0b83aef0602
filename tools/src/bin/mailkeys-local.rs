//! `mailkeys-local`: every route on one server, with the same handlers the
//! Lambda functions run. Listens on 127.0.0.1:$PORT (8080 by default).

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use mailkeys::http::api_router;
use mailkeys::AppState;
use tower::Service;

/// How much of a request's head (request line and headers) a connection
/// reads. Well above the router's own limits, so that a long URI or a large
/// header block gets the router's 414 or 431 in the error body; only a head
/// beyond this gets the HTTP library's bare 431.
const MAX_HEAD_BYTES: usize = 1024 * 1024;
const MAX_HEADERS: usize = 1000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    mailkeys::logging::init();
    let state = AppState::from_env().await?;
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!(address = %listener.local_addr()?, "mailkeys-local listening");
    let app = api_router(state);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: hyper::Request<Incoming>| app.clone().call(request));
            let mut http = hyper::server::conn::http1::Builder::new();
            http.max_buf_size(MAX_HEAD_BYTES).max_headers(MAX_HEADERS);
            if let Err(err) = http.serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
}
