//! How to send mail with a provider's credentials over SMTP: the relay a
//! worker connects to, and the login it uses there. For SES the SMTP
//! password is derived from the secret access key and the region with AWS's
//! documented algorithm.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::email_provider::SmtpEncryption;
use super::secret::{ExposeSecret, SecretString};

/// The regions where SES has an SMTP endpoint, as AWS lists them for its
/// SMTP password derivation.
pub const SES_SMTP_REGIONS: &[&str] = &[
    "us-east-2",
    "us-east-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-south-1",
    "eu-north-1",
    "sa-east-1",
    "us-gov-west-1",
    "us-gov-east-1",
];

/// Scaleway Transactional Email's SMTP relay.
pub const SCALEWAY_SMTP_HOST: &str = "smtp.tem.scaleway.com";
/// The mail submission port every relay here uses (with STARTTLS).
pub const SUBMISSION_PORT: u16 = 587;

/// Where and how to send with a credential over SMTP.
#[derive(Clone, Debug, Serialize)]
pub struct SmtpRelay {
    pub host: String,
    pub port: u16,
    pub encryption: SmtpEncryption,
    pub username: Option<String>,
    #[serde(serialize_with = "super::secret::expose_option")]
    pub password: Option<SecretString>,
}

/// SES's SMTP relay of `region`, with the SMTP password derived from the
/// secret access key; `None` where SES has no SMTP endpoint.
pub fn ses_relay(region: &str, access_key_id: &str, secret_access_key: &SecretString) -> Option<SmtpRelay> {
    SES_SMTP_REGIONS.contains(&region).then(|| SmtpRelay {
        host: format!("email-smtp.{region}.amazonaws.com"),
        port: SUBMISSION_PORT,
        encryption: SmtpEncryption::Starttls,
        username: Some(access_key_id.to_string()),
        password: Some(ses_smtp_password(secret_access_key, region)),
    })
}

/// Scaleway TEM's relay: the project id logs in with the API key.
pub fn scaleway_relay(project_id: &str, api_key: &SecretString) -> SmtpRelay {
    SmtpRelay {
        host: SCALEWAY_SMTP_HOST.to_string(),
        port: SUBMISSION_PORT,
        encryption: SmtpEncryption::Starttls,
        username: Some(project_id.to_string()),
        password: Some(api_key.clone()),
    }
}

/// AWS's SMTP password for SES: version byte 4, then an HMAC-SHA256 chain
/// keyed from "AWS4" and the secret over a fixed date, the region, "ses",
/// "aws4_request" and "SendRawEmail"; base64.
pub fn ses_smtp_password(secret_access_key: &SecretString, region: &str) -> SecretString {
    let sign = |key: &[u8], message: &str| -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    let initial = zeroize::Zeroizing::new(format!("AWS4{}", secret_access_key.expose_secret()));
    let mut signature = zeroize::Zeroizing::new(sign(initial.as_bytes(), "11111111"));
    for part in [region, "ses", "aws4_request", "SendRawEmail"] {
        signature = zeroize::Zeroizing::new(sign(&signature, part));
    }
    let mut versioned = zeroize::Zeroizing::new(vec![0x04]);
    versioned.extend_from_slice(&signature);
    SecretString::from(base64::engine::general_purpose::STANDARD.encode(&*versioned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relays() {
        let secret = SecretString::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let relay = ses_relay("eu-west-1", "AKIAIOSFODNN7EXAMPLE", &secret).unwrap();
        assert_eq!((relay.host.as_str(), relay.port), ("email-smtp.eu-west-1.amazonaws.com", 587));
        let password = relay.password.unwrap();
        assert_eq!(password.expose_secret().len(), 44, "base64 of 33 bytes");
        assert_ne!(password.expose_secret(), ses_smtp_password(&secret, "us-east-1").expose_secret());
        assert!(ses_relay("mars-north-1", "AKIA", &secret).is_none());
        let scw = scaleway_relay("proj-1", &SecretString::from("scw-key"));
        assert_eq!((scw.host.as_str(), scw.username.as_deref()), ("smtp.tem.scaleway.com", Some("proj-1")));
    }
}
