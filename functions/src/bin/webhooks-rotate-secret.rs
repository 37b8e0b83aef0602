//! Lambda function for one route; see `Function::WebhooksRotateSecret`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mailkeys::lambda::Error> {
    mailkeys::lambda::run::<mailkeys::http::route::WebhooksRotateSecret>().await
}
