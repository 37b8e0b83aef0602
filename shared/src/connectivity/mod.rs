//! Connectivity tests: really talk to a mail server with the stored
//! credentials, within a time bound, and say where it failed. Every message
//! here is written by this service; a server's own text (which may echo what
//! it was sent) is never passed on.

pub mod guard;
mod imap;
mod providers;
mod smtp;
pub mod tls;
pub mod webhook;

use crate::domain::timestamp::Timestamp;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::domain::connectivity::{TestOutcome, TestStage, TestStatus};
use crate::domain::host::Host;

pub use providers::{ScalewayCheck, SesCheck};
pub use tls::Trust;

/// How a test stopped short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub stage: TestStage,
    pub message: String,
}

impl Failure {
    pub fn new(stage: TestStage, message: impl Into<String>) -> Self {
        Failure { stage, message: message.into() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Imap,
    Smtp,
}

/// How the connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Plain, then STARTTLS before anything secret is sent.
    StartTls,
    /// No TLS: only SMTP email providers configured with `encryption: none`.
    Plain,
}

/// What a test authenticates with; zeroized with the secret it came from.
pub enum Login<'a> {
    Password {
        username: &'a str,
        password: &'a str,
    },
    OAuth2 {
        username: &'a str,
        access_token: &'a str,
    },
    /// Connect and greet only (an SMTP relay with no credentials).
    None,
}

/// A message to send after authenticating (SMTP only).
pub struct TestMessage {
    pub from: lettre::Address,
    pub to: lettre::Address,
}

pub struct Probe<'a> {
    pub protocol: Protocol,
    pub host: &'a Host,
    pub port: u16,
    pub security: Security,
    pub login: Login<'a>,
    /// Only SMTP email providers may turn verification off.
    pub accept_invalid_certs: bool,
    pub message: Option<TestMessage>,
}

/// The stage a test has reached, so that a timeout can say where it stopped.
#[derive(Clone, Debug)]
pub(crate) struct Progress(Arc<Mutex<TestStage>>);

impl Progress {
    pub(crate) fn at(&self, stage: TestStage) {
        *self.0.lock().expect("not poisoned") = stage;
    }

    fn current(&self) -> TestStage {
        *self.0.lock().expect("not poisoned")
    }
}

/// Runs connectivity tests under one deployment's rules.
#[derive(Clone, Debug)]
pub struct Connectivity {
    pub allow_private_hosts: bool,
    pub timeout: Duration,
    pub trust: Trust,
    /// SESv2 endpoint override (an emulator); AWS's own endpoint otherwise.
    pub ses_endpoint: Option<String>,
    /// Base URL of the Scaleway API.
    pub scaleway_api_url: String,
    /// For HTTP APIs (Scaleway): built on first use, trusting `trust`'s roots.
    http: Arc<OnceLock<reqwest::Client>>,
}

impl Connectivity {
    pub fn new(allow_private_hosts: bool, timeout: Duration, trust: Trust) -> Connectivity {
        Connectivity {
            allow_private_hosts,
            timeout,
            trust,
            ses_endpoint: None,
            scaleway_api_url: "https://api.scaleway.com".to_string(),
            http: Arc::default(),
        }
    }

    /// The HTTP client of the provider APIs, built on first use (only the
    /// test routes call them).
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .use_preconfigured_tls((*self.trust.client_config()).clone())
                .timeout(self.timeout)
                .build()
                .expect("an HTTP client over a valid TLS configuration")
        })
    }

    pub async fn run(&self, probe: &Probe<'_>) -> TestOutcome {
        self.probe(probe, |address, progress| async move {
            match probe.protocol {
                Protocol::Imap => imap::check(probe, address, &self.trust, &progress).await,
                Protocol::Smtp => smtp::check(probe, address, &self.trust, &progress).await,
            }
        })
        .await
    }

    /// [`Connectivity::run`] for a caller that only ever speaks SMTP (email
    /// providers): its function then links no IMAP client.
    pub async fn run_smtp(&self, probe: &Probe<'_>) -> TestOutcome {
        debug_assert_eq!(probe.protocol, Protocol::Smtp);
        self.probe(probe, |address, progress| async move { smtp::check(probe, address, &self.trust, &progress).await })
            .await
    }

    /// Resolves the probe's host through the outbound guard, then `check`s
    /// the address, within the time bound.
    async fn probe<F, Fut>(&self, probe: &Probe<'_>, check: F) -> TestOutcome
    where
        F: FnOnce(std::net::SocketAddr, Progress) -> Fut,
        Fut: std::future::Future<Output = Result<(), Failure>>,
    {
        let success = match probe.message {
            Some(_) => "connected, authenticated and sent the test message",
            None => "connected and authenticated",
        };
        self.measure(success, |progress| async move {
            let address = guard::resolve(probe.host, probe.port, self.allow_private_hosts).await?;
            check(address, progress).await
        })
        .await
    }

    /// Runs `attempt` within the time bound and turns its result into an
    /// outcome.
    async fn measure<F, Fut>(&self, success: &str, attempt: F) -> TestOutcome
    where
        F: FnOnce(Progress) -> Fut,
        Fut: std::future::Future<Output = Result<(), Failure>>,
    {
        let started = Instant::now();
        let progress = Progress(Arc::new(Mutex::new(TestStage::Dns)));
        let result = match tokio::time::timeout(self.timeout, attempt(progress.clone())).await {
            Ok(result) => result,
            Err(_) => Err(Failure::new(
                progress.current(),
                format!("no answer within {} seconds", self.timeout.as_secs_f32()),
            )),
        };
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok(()) => TestOutcome {
                status: TestStatus::Ok,
                stage: None,
                message: success.to_string(),
                latency_ms,
                tested_at: Timestamp::now(),
            },
            Err(failure) => TestOutcome {
                status: TestStatus::Failed,
                stage: Some(failure.stage),
                message: failure.message,
                latency_ms,
                tested_at: Timestamp::now(),
            },
        }
    }
}

pub(crate) const TLS_FAILED: &str = "the TLS handshake failed (no TLS, or an untrusted or mismatched certificate)";

/// The TCP connection to the checked address.
pub(crate) async fn connect(address: std::net::SocketAddr) -> Result<tokio::net::TcpStream, Failure> {
    tokio::net::TcpStream::connect(address)
        .await
        .map_err(|_| Failure::new(TestStage::Connect, "could not connect to the server"))
}

/// Whether an I/O error chain says the TCP connection itself failed.
pub(crate) fn is_connect_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionRefused | ConnectionReset | HostUnreachable | NetworkUnreachable | AddrNotAvailable
            );
        }
        source = e.source();
    }
    false
}
