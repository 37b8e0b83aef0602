//! Lambda function for one route; see `Function::WebhooksDeliveries`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mailkeys::lambda::Error> {
    mailkeys::lambda::run::<mailkeys::http::route::WebhooksDeliveries>().await
}
