//! Lambda function for one route; see `Function::WebhooksUpdate`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mailkeys::lambda::Error> {
    mailkeys::lambda::run::<mailkeys::http::route::WebhooksUpdate>().await
}
