//! The integration tests: the real SDK against the local AWS (DynamoDB
//! Local, moto), the API over HTTP, the tools as built binaries. One test
//! binary, a module per area; `cargo test -p mailkeys-tests --test api
//! <area>::` runs one area.

mod api_keys;
mod cli;
mod connectivity;
mod console;
mod deployment;
mod email_providers;
mod exposure;
mod hostile_input;
mod key_controls;
mod mail_logins;
mod provider_credentials;
mod resolve;
mod round_trips;
mod smtp_credentials;
mod webhooks;
