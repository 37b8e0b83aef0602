//! Running one route as an AWS Lambda function behind API Gateway.

pub use lambda_http::Error;

use crate::app::AppState;
use crate::http::routes::{route_app, Route};

/// What a function's `main` calls: reads configuration, builds clients once,
/// then hands the route `R` to the Lambda runtime.
pub async fn run<R: Route>() -> Result<(), Error> {
    crate::logging::init();
    let state = AppState::from_env().await?;
    lambda_http::run(route_app::<R>(state)).await
}

/// The console function's `main`: its static files need no configuration
/// and no AWS client.
pub async fn run_console() -> Result<(), Error> {
    crate::logging::init();
    lambda_http::run(crate::console::router::<()>()).await
}
