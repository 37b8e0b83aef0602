//! Lambda function for one route; see `Function::WebhooksCreate`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mailkeys::lambda::Error> {
    mailkeys::lambda::run::<mailkeys::http::route::WebhooksCreate>().await
}
