//! `mailkeys-local`: every route on one server, with the same handlers the
//! Lambda functions run. Listens on 127.0.0.1:$PORT (8080 by default).

use mailkeys::http::api_router;
use mailkeys::AppState;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    mailkeys::logging::init();
    let state = AppState::from_env().await?;
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!(address = %listener.local_addr()?, "mailkeys-local listening");
    axum::serve(listener, api_router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
