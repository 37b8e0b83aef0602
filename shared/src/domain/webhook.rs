//! Webhook endpoints: where a tenant hears what happens to its credentials.
//! The rules of an endpoint's URL, description and event selection; the
//! event vocabulary; the signing secret and the Standard Webhooks signature
//! (<https://www.standardwebhooks.com>).

use std::collections::BTreeSet;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::secret::{ExposeSecret, SecretString};
use super::{check_display_text, Invalid};

/// An account has at most this many endpoints.
pub const MAX_ENDPOINTS_PER_ACCOUNT: usize = 10;
pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_DESCRIPTION_CHARS: usize = 255;
/// Random bytes in a signing secret (the specification allows 24 to 64).
const SECRET_BYTES: usize = 32;
const SECRET_PREFIX: &str = "whsec_";

/// Everything a tenant can be told, by its wire name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    ApiKeyCreated,
    ApiKeyUpdated,
    ApiKeyRotated,
    ApiKeyRevoked,
    ApiKeyExpiring,
    ApiKeyExposed,
    SmtpCredentialCreated,
    SmtpCredentialUpdated,
    SmtpCredentialRotated,
    SmtpCredentialRevoked,
    SmtpCredentialExpiring,
    SmtpCredentialExposed,
    EmailProviderCreated,
    EmailProviderUpdated,
    EmailProviderDeleted,
    EmailProviderTestFailed,
    ProviderCredentialCreated,
    ProviderCredentialUpdated,
    ProviderCredentialRotated,
    ProviderCredentialDeleted,
    ProviderCredentialTestFailed,
    /// Opt-in: sent only to endpoints that name it.
    CredentialResolved,
    /// What `POST /api/webhooks/{id}/test` sends; no endpoint subscribes to it.
    WebhookTest,
}

impl EventType {
    /// Every type an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventType; 22] = [
        EventType::ApiKeyCreated,
        EventType::ApiKeyUpdated,
        EventType::ApiKeyRotated,
        EventType::ApiKeyRevoked,
        EventType::ApiKeyExpiring,
        EventType::ApiKeyExposed,
        EventType::SmtpCredentialCreated,
        EventType::SmtpCredentialUpdated,
        EventType::SmtpCredentialRotated,
        EventType::SmtpCredentialRevoked,
        EventType::SmtpCredentialExpiring,
        EventType::SmtpCredentialExposed,
        EventType::EmailProviderCreated,
        EventType::EmailProviderUpdated,
        EventType::EmailProviderDeleted,
        EventType::EmailProviderTestFailed,
        EventType::ProviderCredentialCreated,
        EventType::ProviderCredentialUpdated,
        EventType::ProviderCredentialRotated,
        EventType::ProviderCredentialDeleted,
        EventType::ProviderCredentialTestFailed,
        EventType::CredentialResolved,
    ];

    pub fn as_str(self) -> &'static str {
        use EventType::*;
        match self {
            ApiKeyCreated => "api_key.created",
            ApiKeyUpdated => "api_key.updated",
            ApiKeyRotated => "api_key.rotated",
            ApiKeyRevoked => "api_key.revoked",
            ApiKeyExpiring => "api_key.expiring",
            ApiKeyExposed => "api_key.exposed",
            SmtpCredentialCreated => "smtp_credential.created",
            SmtpCredentialUpdated => "smtp_credential.updated",
            SmtpCredentialRotated => "smtp_credential.rotated",
            SmtpCredentialRevoked => "smtp_credential.revoked",
            SmtpCredentialExpiring => "smtp_credential.expiring",
            SmtpCredentialExposed => "smtp_credential.exposed",
            EmailProviderCreated => "email_provider.created",
            EmailProviderUpdated => "email_provider.updated",
            EmailProviderDeleted => "email_provider.deleted",
            EmailProviderTestFailed => "email_provider.test_failed",
            ProviderCredentialCreated => "provider_credential.created",
            ProviderCredentialUpdated => "provider_credential.updated",
            ProviderCredentialRotated => "provider_credential.rotated",
            ProviderCredentialDeleted => "provider_credential.deleted",
            ProviderCredentialTestFailed => "provider_credential.test_failed",
            CredentialResolved => "credential.resolved",
            WebhookTest => "webhook.test",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::SUBSCRIBABLE.into_iter().chain([EventType::WebhookTest]).find(|t| t.as_str() == name)
    }

    /// Sent only to endpoints that name it (`*` does not include it): a
    /// resolve happens on every send, far more often than anything else.
    pub fn is_opt_in(self) -> bool {
        self == EventType::CredentialResolved
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        EventType::parse(&name).ok_or_else(|| serde::de::Error::custom("unknown event type"))
    }
}

/// Which events an endpoint receives: named types, and with `*` every type
/// but the opt-in ones.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EventSelection {
    all: bool,
    named: BTreeSet<EventType>,
}

pub const ALL_EVENTS: &str = "*";
/// More names than there are types is a mistake.
pub const MAX_EVENT_NAMES: usize = 30;

impl EventSelection {
    /// From the names a request gave: at least one, each `*` or a type of
    /// [`EventType::SUBSCRIBABLE`]; the message names the unknown ones.
    pub fn parse(names: &[String]) -> Result<EventSelection, Invalid> {
        if names.is_empty() {
            return Err(Invalid::field("events", "events must name at least one event type, or \"*\""));
        }
        if names.len() > MAX_EVENT_NAMES {
            return Err(Invalid::field("events", format!("events must name at most {MAX_EVENT_NAMES} event types")));
        }
        let mut selection = EventSelection::default();
        let mut unknown = Vec::new();
        for name in names {
            match EventType::parse(name) {
                _ if name == ALL_EVENTS => selection.all = true,
                Some(t) if t != EventType::WebhookTest => {
                    selection.named.insert(t);
                }
                _ => unknown.push(name.as_str()),
            }
        }
        if !unknown.is_empty() {
            // The names are the caller's own text: shown only when they are
            // short and printable, else counted.
            let shown = unknown.iter().all(|n| n.len() <= 64 && n.chars().all(|c| c.is_ascii_graphic()));
            let message = match shown {
                true => format!("Unknown event types: {}", unknown.join(", ")),
                false => format!("Unknown event types: {} of the names given", unknown.len()),
            };
            return Err(Invalid::field("events", message));
        }
        Ok(selection)
    }

    pub fn includes(&self, event: EventType) -> bool {
        self.named.contains(&event) || (self.all && !event.is_opt_in())
    }

    /// The names, as stored and shown: `*` first, then the named types.
    pub fn names(&self) -> Vec<String> {
        let all = self.all.then(|| ALL_EVENTS.to_string());
        all.into_iter().chain(self.named.iter().map(|t| t.as_str().to_string())).collect()
    }
}

/// An endpoint's URL: http(s) (https only in the `live` stage), at most
/// [`MAX_URL_CHARS`], with a host and no credentials in it. Where it points
/// is checked separately, against the outbound guard, when it is saved and
/// at every delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(reqwest::Url);

impl WebhookUrl {
    pub fn parse(raw: &str, https_only: bool) -> Result<WebhookUrl, Invalid> {
        let bad = |message: &str| Invalid::field("url", message);
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(bad("url must be at most 2048 characters"));
        }
        let url = reqwest::Url::parse(raw).map_err(|_| bad("url must be an absolute http or https URL"))?;
        match (url.scheme(), https_only) {
            ("https", _) | ("http", false) => {}
            ("http", true) => return Err(bad("url must use https")),
            _ => return Err(bad("url must be an absolute http or https URL")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("url must not contain a username or password"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("url must name a host"));
        }
        Ok(WebhookUrl(url))
    }

    /// The host as a name or address literal (brackets removed).
    pub fn host(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).to_string()
    }

    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn as_url(&self) -> &reqwest::Url {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// An endpoint's description: display text, at most 255 characters.
pub fn check_description(description: &str) -> Result<(), Invalid> {
    check_display_text("description", description, MAX_DESCRIPTION_CHARS)
}

/// A signing secret: `whsec_` and the base64 of random bytes. The bytes are
/// the HMAC key.
pub struct SigningSecret(SecretString);

impl SigningSecret {
    pub fn generate() -> SigningSecret {
        use aes_gcm::aead::rand_core::RngCore;
        let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
        aes_gcm::aead::OsRng.fill_bytes(bytes.as_mut());
        SigningSecret(SecretString::from(format!("{SECRET_PREFIX}{}", BASE64.encode(bytes.as_ref()))))
    }

    /// A secret as stored (inside a sealed blob).
    pub fn from_stored(secret: SecretString) -> Option<SigningSecret> {
        let key = secret.expose_secret().strip_prefix(SECRET_PREFIX)?;
        BASE64.decode(key).ok().filter(|k| (24..=64).contains(&k.len()))?;
        Some(SigningSecret(secret))
    }

    pub fn value(&self) -> &SecretString {
        &self.0
    }

    /// `v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &[u8]) -> String {
        let encoded = self.0.expose_secret().strip_prefix(SECRET_PREFIX).unwrap_or_default();
        let key = Zeroizing::new(BASE64.decode(encoded).unwrap_or_default());
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([REDACTED])")
    }
}

/// A new endpoint as submitted (its rules are checked by the service,
/// which knows the stage and asks the guard).
#[derive(Clone, Copy, Debug)]
pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub events: &'a [String],
    pub description: Option<&'a str>,
}

/// A change to an endpoint: the fields given, each optional.
#[derive(Clone, Copy, Debug, Default)]
pub struct WebhookPatch<'a> {
    pub url: Option<&'a str>,
    pub events: Option<&'a [String]>,
    pub description: Option<&'a str>,
    pub enabled: Option<bool>,
}

/// How long after each failed attempt the next one comes, in seconds.
const RETRY_DELAYS: [u64; 5] = [5, 5 * 60, 30 * 60, 2 * 3600, 8 * 3600];

/// After a failed attempt `n` (1-based), how long until attempt `n + 1`;
/// none after the last.
pub fn retry_delay(failed_attempt: u32) -> Option<std::time::Duration> {
    let index = usize::try_from(failed_attempt).ok()?.checked_sub(1)?;
    RETRY_DELAYS.get(index).map(|secs| std::time::Duration::from_secs(*secs))
}

/// How many attempts an event gets in all: the first and one per delay.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS.len() as u32 + 1;
/// An endpoint whose deliveries have failed for this long is disabled.
pub const DISABLE_AFTER: time::Duration = time::Duration::days(3);
/// How long a rotated-out signing secret keeps signing beside the new one.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(WebhookUrl::parse("https://hooks.example.com/mailkeys?x=1", true).unwrap().port(), 443);
        assert_eq!(WebhookUrl::parse("http://127.0.0.1:9000/in", false).unwrap().host(), "127.0.0.1");
        assert_eq!(WebhookUrl::parse("http://[::1]:9000/in", false).unwrap().host(), "::1");
        let message = |raw: &str, live| WebhookUrl::parse(raw, live).unwrap_err().message().to_string();
        assert_eq!(message("http://hooks.example.com/", true), "url must use https");
        assert_eq!(message("ftp://hooks.example.com/", false), "url must be an absolute http or https URL");
        assert_eq!(message("/relative", false), "url must be an absolute http or https URL");
        assert_eq!(message("https://user:pw@hooks.example.com/", true), "url must not contain a username or password");
        assert_eq!(
            message(&format!("https://a.example/{}", "x".repeat(2048)), true),
            "url must be at most 2048 characters"
        );
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let delays: Vec<u64> = (1..MAX_ATTEMPTS).map(|n| retry_delay(n).unwrap().as_secs()).collect();
        assert_eq!(delays, [5, 300, 1800, 7200, 28800]);
        assert_eq!((MAX_ATTEMPTS, retry_delay(MAX_ATTEMPTS), retry_delay(0)), (6, None, None));
    }

    #[test]
    fn selections() {
        let all = EventSelection::parse(&["*".into()]).unwrap();
        assert!(all.includes(EventType::ApiKeyExposed) && !all.includes(EventType::CredentialResolved));
        let named = EventSelection::parse(&["credential.resolved".into(), "api_key.created".into()]).unwrap();
        assert!(named.includes(EventType::CredentialResolved) && !named.includes(EventType::ApiKeyRevoked));
        assert_eq!(named.names(), ["api_key.created", "credential.resolved"]);
        let err = EventSelection::parse(&["api_key.nope".into(), "webhook.test".into()]).unwrap_err();
        assert_eq!(err.message(), "Unknown event types: api_key.nope, webhook.test");
        assert!(EventSelection::parse(&[]).is_err());
        let hostile = EventSelection::parse(&["\u{1b}[31m".into()]).unwrap_err();
        assert_eq!(hostile.message(), "Unknown event types: 1 of the names given");
    }

    #[test]
    fn secrets_sign_as_the_specification_shows() {
        // The worked example of the Standard Webhooks reference libraries.
        let secret = SigningSecret::from_stored(SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).unwrap();
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let fresh = SigningSecret::generate();
        assert!(SigningSecret::from_stored(fresh.value().clone()).is_some());
        assert!(format!("{fresh:?}").contains("REDACTED"));
    }
}
