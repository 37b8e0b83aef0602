//! Sending a signed webhook: one POST, bounded, never following a redirect,
//! to an address the outbound guard allows — checked at every delivery
//! (DNS can change), on the very addresses the connection then uses.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::guard::is_forbidden;
use super::Trust;
use crate::domain::webhook::WebhookUrl;

/// How long a receiver has to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Why a delivery to a guarded address was not made.
pub const FORBIDDEN_ADDRESS: &str =
    "the URL's host is or resolves to a loopback, private, link-local or otherwise reserved address";

/// What the receiver said: a status code, or why there was none. Never
/// the receiver's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub status_code: Option<u16>,
    pub error: Option<String>,
}

impl Sent {
    /// Only a 2xx answer is a delivery (a redirect is not followed).
    pub fn delivered(&self) -> bool {
        self.status_code.is_some_and(|code| (200..300).contains(&code))
    }

    fn failed(error: impl Into<String>) -> Sent {
        Sent { status_code: None, error: Some(error.into()) }
    }
}

/// Resolves names for the webhook client, refusing (unless private hosts
/// are allowed) a name with any forbidden address.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if found.is_empty() {
                return Err("the host name could not be resolved".into());
            }
            if !allow_private && found.iter().any(|a| is_forbidden(a.ip())) {
                return Err(FORBIDDEN_ADDRESS.into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The webhook client of one deployment, built on first use.
#[derive(Clone, Debug)]
pub struct WebhookSender {
    allow_private: bool,
    trust: Trust,
    client: Arc<OnceLock<reqwest::Client>>,
}

impl WebhookSender {
    pub fn new(allow_private: bool, trust: Trust) -> Self {
        WebhookSender { allow_private, trust, client: Arc::default() }
    }

    fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            reqwest::Client::builder()
                .use_preconfigured_tls((*self.trust.client_config()).clone())
                .dns_resolver(Arc::new(GuardedResolver { allow_private: self.allow_private }))
                .redirect(reqwest::redirect::Policy::none())
                .timeout(DELIVERY_TIMEOUT)
                .user_agent(concat!("Mailkeys-Webhooks/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("an HTTP client over a valid TLS configuration")
        })
    }

    /// Whether `url` may be delivered to now: its address literal, or every
    /// address its name resolves to, allowed by the guard. The message says
    /// why not.
    pub async fn check(&self, url: &WebhookUrl) -> Result<(), &'static str> {
        if self.allow_private {
            return Ok(());
        }
        let addresses: Vec<IpAddr> = match url.host().parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => match tokio::net::lookup_host((url.host(), url.port())).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(_) => return Err("the URL's host name could not be resolved"),
            },
        };
        match addresses.is_empty() {
            true => Err("the URL's host name could not be resolved"),
            false if addresses.into_iter().any(is_forbidden) => Err(FORBIDDEN_ADDRESS),
            false => Ok(()),
        }
    }

    /// POSTs `body` with `headers` to `url`: what the receiver answered.
    pub async fn send(&self, url: &WebhookUrl, headers: &[(&str, String)], body: &[u8]) -> Sent {
        // Names are checked by the resolver as they are looked up; a
        // literal address is never looked up, so it is checked here.
        if let Ok(ip) = url.host().parse::<IpAddr>() {
            if !self.allow_private && is_forbidden(ip) {
                return Sent::failed(FORBIDDEN_ADDRESS);
            }
        }
        let mut request = self.client().post(url.as_url().clone()).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.body(body.to_vec()).send().await {
            Ok(response) => {
                let code = response.status().as_u16();
                let error = match response.status() {
                    s if s.is_success() => None,
                    s if s.is_redirection() => Some(format!("the receiver answered {code}, a redirect (not followed)")),
                    _ => Some(format!("the receiver answered {code}")),
                };
                Sent { status_code: Some(code), error }
            }
            Err(err) => Sent::failed(describe(&err)),
        }
    }
}

/// Why a request got no answer, in words (never the URL's query, which
/// may carry the receiver's own token).
fn describe(err: &reqwest::Error) -> String {
    use std::error::Error;
    if err.is_timeout() {
        return format!("the receiver did not answer within {} seconds", DELIVERY_TIMEOUT.as_secs());
    }
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if text.contains(FORBIDDEN_ADDRESS) {
            return FORBIDDEN_ADDRESS.to_string();
        }
        if text.contains("could not be resolved") || text.contains("failed to lookup") {
            return "the URL's host name could not be resolved".to_string();
        }
        source = cause.source();
    }
    if err.is_connect() {
        return "could not connect to the receiver".to_string();
    }
    "the connection to the receiver failed before it answered".to_string()
}
