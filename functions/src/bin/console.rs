//! Lambda function for the web console's files (`GET /console`,
//! `GET /console/{proxy+}`); see `mailkeys::console`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), mailkeys::lambda::Error> {
    mailkeys::lambda::run_console().await
}
