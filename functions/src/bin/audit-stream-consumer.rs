//! Lambda function subscribed to the audit table's stream; see `mailkeys::audit_stream`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mailkeys::lambda::Error> {
    mailkeys::audit_stream::run().await
}
