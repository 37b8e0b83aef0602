//! The floor a route function is measured against (`make bench`): a Lambda
//! that builds the DynamoDB and KMS clients at init, as every function does,
//! and makes one GetItem per request, and nothing else.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let _kms = aws_sdk_kms::Client::new(&sdk);
    let table = std::env::var("MAILKEYS_TABLE").unwrap_or_else(|_| "mailkeys".into());
    lambda_http::run(service_fn(move |_: Request| {
        let (ddb, table) = (ddb.clone(), table.clone());
        async move {
            let found = ddb
                .get_item()
                .table_name(table)
                .key("pk", AttributeValue::S("BENCH".into()))
                .key("sk", AttributeValue::S("BENCH".into()))
                .send()
                .await;
            let status = if found.is_ok() { 200 } else { 503 };
            Ok::<_, Error>(Response::builder().status(status).body(Body::from("{}")).expect("a response"))
        }
    }))
    .await
}
