//! Mailkeys: a credential service for an email platform. Each HTTP route is
//! a small Lambda binary; everything they share lives here, in layers that
//! each do one job:
//!
//! - [`domain`]: valid-by-construction types, masking, permissions;
//! - [`crypto`]: envelope encryption under KMS data keys;
//! - [`store`]: DynamoDB, every change transacted with its audit record;
//! - [`service`]: the operations and their rules;
//! - [`http`]: extractors, thin handlers, and the one error-to-HTTP mapping.

pub mod app;
pub mod audit;
pub mod audit_stream;
pub mod auth;
pub mod aws;
pub mod bookkeeping;
pub mod bootstrap;
pub mod config;
pub mod connectivity;
pub mod console;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod lambda;
pub mod logging;
pub mod service;
pub mod store;
pub mod webhook_queue;

pub use app::AppState;
