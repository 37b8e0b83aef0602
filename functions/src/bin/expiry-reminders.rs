//! Lambda function run daily by EventBridge Scheduler; see `mailkeys::service::reminders`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mailkeys::lambda::Error> {
    mailkeys::service::reminders::run_scheduled().await
}
