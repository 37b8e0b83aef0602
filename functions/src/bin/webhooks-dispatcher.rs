//! Lambda function subscribed to the webhook queue; see `mailkeys::webhook_queue`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mailkeys::lambda::Error> {
    mailkeys::webhook_queue::run_dispatcher().await
}
