//! The web console: the files of `console/` (HTML, CSS, JavaScript modules),
//! built into the binary and served under `/console/` from the same origin
//! as the API, so that it needs no CORS and fetches nothing from elsewhere.
//!
//! `index.html` is always revalidated; every other file is served under
//! `/console/assets/<hash>/`, where the hash covers every file of this
//! build, so a browser keeps them for a year and a new release is a new path.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::Embed;
use sha2::{Digest, Sha256};

use crate::http::observe::observe;

#[derive(Embed)]
#[folder = "../console/"]
struct Files;

/// Where `index.html` points at the current build's files.
const ASSETS_PLACEHOLDER: &str = "__ASSETS__";
const INDEX: &str = "index.html";

/// Scripts and styles only from this origin (no inline code at all), API
/// calls only to it, and never inside a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Computed once in a release build; on every request in a debug build,
/// which reads the files from disk, so that an edit shows on reload.
fn once(cell: &'static OnceLock<String>, compute: fn() -> String) -> String {
    match cfg!(debug_assertions) {
        true => compute(),
        false => cell.get_or_init(compute).clone(),
    }
}

/// The hash of every file of this build: the folder that hashed assets live in.
pub fn build_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    once(&HASH, || {
        let mut names: Vec<_> = Files::iter().collect();
        names.sort();
        let mut hasher = Sha256::new();
        for name in names {
            let file = Files::get(&name).expect("listed files exist");
            hasher.update(name.as_bytes());
            hasher.update(file.metadata.sha256_hash());
        }
        hex::encode(&hasher.finalize()[..8])
    })
}

fn index_html() -> String {
    static INDEX_HTML: OnceLock<String> = OnceLock::new();
    once(&INDEX_HTML, || {
        let file = Files::get(INDEX).expect("console/index.html is built in");
        String::from_utf8_lossy(&file.data).replace(ASSETS_PLACEHOLDER, &format!("/console/assets/{}", build_hash()))
    })
}

async fn index() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], index_html())
        .into_response()
}

async fn asset(Path((hash, name)): Path<(String, String)>) -> Response {
    let file = (hash == build_hash() && name != INDEX).then(|| Files::get(&name)).flatten();
    let Some(file) = file else { return not_found().await };
    let content_type = match file.metadata.mimetype() {
        "text/javascript" | "application/javascript" => "text/javascript; charset=utf-8",
        "text/css" => "text/css; charset=utf-8",
        other => other,
    };
    let headers = [
        (header::CONTENT_TYPE, content_type.to_string()),
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable".to_string()),
    ];
    (headers, file.data).into_response()
}

async fn not_found() -> Response {
    let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")];
    (StatusCode::NOT_FOUND, headers, "Not found: the console lives at /console/\n").into_response()
}

/// The headers every console answer carries.
async fn security_headers(request: axum::extract::Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `GET /console`, `GET /console/` and `GET /console/assets/<hash>/<file>`:
/// the console function's routes, which the local server mounts beside the
/// API.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/assets/{hash}/{*name}", get(asset))
        .route("/console/{*rest}", get(not_found))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(observe))
}
