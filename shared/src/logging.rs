//! Structured logs: one JSON object per line, level from `MAILKEYS_LOG`
//! (or `RUST_LOG`), `info` by default.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("MAILKEYS_LOG")
        .ok()
        .map(EnvFilter::new)
        .unwrap_or_else(|| EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")));
    // A second call (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).try_init();
}
