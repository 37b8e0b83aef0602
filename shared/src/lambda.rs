//! Running one route as an AWS Lambda function behind API Gateway.

pub use lambda_http::Error;

use crate::app::AppState;
use crate::http::Function;

/// What a function's `main` calls: reads configuration, builds clients once,
/// then hands the route to the Lambda runtime.
pub async fn run(function: Function) -> Result<(), Error> {
    crate::logging::init();
    let state = AppState::from_env().await?;
    lambda_http::run(function.router(state)).await
}
