//! Structured logs: one JSON object per line, level from `MAILKEYS_LOG`
//! (or `RUST_LOG`), `info` by default.
//!
//! Levels are filtered by target (`info`, `mailkeys=debug,warn`): the same
//! directives as `RUST_LOG` without its regular-expression forms, which
//! would link a regex engine into every function.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn filter() -> Targets {
    let directives = std::env::var("MAILKEYS_LOG").or_else(|_| std::env::var("RUST_LOG")).ok();
    directives.and_then(|d| d.parse::<Targets>().ok()).unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

pub fn init() {
    // A second call (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt().json().with_current_span(false).finish().with(filter()).try_init();
}
