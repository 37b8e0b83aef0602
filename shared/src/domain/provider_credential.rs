//! Account-scoped IMAP/SMTP credentials: request shapes and their rules.
//! Username and secret live only in the encrypted blob; the masked username
//! is computed once, at write time.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::host::{Host, HostError};
use super::masking::mask_username;
use super::Invalid;

const MAX_SECRET_CHARS: usize = 8192;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Imap,
    Smtp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecurityMode {
    SslTls,
    Starttls,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    Password,
    Oauth2,
}

/// Wire names, for storage and filters.
macro_rules! wire_names {
    ($ty:ty { $($variant:ident => $name:literal),* }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }
            pub fn parse(value: &str) -> Option<Self> {
                match value { $($name => Some(Self::$variant),)* _ => None }
            }
        }
    };
}
wire_names!(ProviderKind { Imap => "imap", Smtp => "smtp" });
wire_names!(SecurityMode { SslTls => "ssl_tls", Starttls => "starttls", None => "none" });
wire_names!(AuthKind { Password => "password", Oauth2 => "oauth2" });

/// What the blob holds.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct CredentialSecret {
    pub username: String,
    /// The password, or the OAuth2 access token.
    pub secret: String,
}

impl std::fmt::Debug for CredentialSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialSecret(<redacted>)")
    }
}

impl CredentialSecret {
    pub fn username_masked(&self) -> String {
        mask_username(&self.username)
    }
}

/// The non-secret settings of a credential, validated together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub provider_kind: ProviderKind,
    pub host: Host,
    pub port: u16,
    pub security_mode: SecurityMode,
    pub auth_kind: AuthKind,
}

impl Endpoint {
    /// Refuses a combination that would send a secret in clear.
    pub fn check(self) -> Result<Endpoint, Invalid> {
        if self.security_mode == SecurityMode::None {
            return Err(Invalid::new("security_mode none would send credentials in clear; use ssl_tls or starttls"));
        }
        Ok(self)
    }
}

fn host(raw: &str) -> Result<Host, Invalid> {
    Host::parse(raw).map_err(|e| match e {
        HostError::Empty => Invalid::new("host is required"),
        HostError::Invalid => Invalid::new(
            "host must be a DNS name or IP address of at most 253 characters (no scheme, port, path or spaces)",
        ),
    })
}

fn port(raw: i64) -> Result<u16, Invalid> {
    u16::try_from(raw).ok().filter(|p| *p > 0).ok_or_else(|| Invalid::new("port must be between 1 and 65535"))
}

fn required(field: &str, value: &str) -> Result<String, Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid(format!("{field} is required")));
    }
    if value.chars().count() > MAX_SECRET_CHARS {
        return Err(Invalid(format!("{field} must be at most {MAX_SECRET_CHARS} characters")));
    }
    Ok(value.to_string())
}

/// The secret for `auth_kind`: `password` for password, `access_token` for
/// oauth2, and never the other one.
fn secret_for(
    auth_kind: AuthKind,
    password: &Option<String>,
    access_token: &Option<String>,
) -> Result<String, Invalid> {
    match (auth_kind, password, access_token) {
        (AuthKind::Password, Some(p), None) => required("password", p),
        (AuthKind::Oauth2, None, Some(t)) => required("access_token", t),
        (AuthKind::Password, _, Some(_)) => Err(Invalid::new("access_token is only for auth_kind oauth2")),
        (AuthKind::Oauth2, Some(_), _) => Err(Invalid::new("password is only for auth_kind password")),
        (AuthKind::Password, None, None) => Err(Invalid::new("password is required")),
        (AuthKind::Oauth2, None, None) => Err(Invalid::new("access_token is required")),
    }
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "provider_kind": "imap",
    "host": "imap.example.com",
    "port": 993,
    "security_mode": "ssl_tls",
    "auth_kind": "password",
    "username": "ada@example.com",
    "password": "correct horse battery staple"
}))]
pub struct CreateProviderCredentialRequest {
    #[zeroize(skip)]
    pub provider_kind: ProviderKind,
    #[serde(default)]
    #[schema(required)]
    pub host: String,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: i64,
    #[zeroize(skip)]
    pub security_mode: SecurityMode,
    #[zeroize(skip)]
    pub auth_kind: AuthKind,
    #[serde(default)]
    #[schema(required)]
    pub username: String,
    /// Required when `auth_kind` is `password`.
    #[schema(write_only)]
    pub password: Option<String>,
    /// Required when `auth_kind` is `oauth2`.
    #[schema(write_only)]
    pub access_token: Option<String>,
}

impl CreateProviderCredentialRequest {
    pub fn validate(&self) -> Result<(Endpoint, CredentialSecret), Invalid> {
        let endpoint = Endpoint {
            provider_kind: self.provider_kind,
            host: host(&self.host)?,
            port: port(self.port)?,
            security_mode: self.security_mode,
            auth_kind: self.auth_kind,
        }
        .check()?;
        let username = required("username", self.username.trim())?;
        let secret = secret_for(self.auth_kind, &self.password, &self.access_token)?;
        Ok((endpoint, CredentialSecret { username, secret }))
    }
}

/// `PATCH`: non-secret fields only. The secret fields are accepted by the
/// parser only to be refused with a message that points to rotate.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"host": "mail.example.com", "port": 993}))]
pub struct UpdateProviderCredentialRequest {
    pub provider_kind: Option<ProviderKind>,
    pub host: Option<String>,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<i64>,
    pub security_mode: Option<SecurityMode>,
    #[schema(ignore)]
    auth_kind: Option<IgnoredAny>,
    #[schema(ignore)]
    username: Option<IgnoredAny>,
    #[schema(ignore)]
    password: Option<IgnoredAny>,
    #[schema(ignore)]
    access_token: Option<IgnoredAny>,
}

impl UpdateProviderCredentialRequest {
    /// The endpoint after this update, checked as a whole.
    pub fn apply(&self, current: &Endpoint) -> Result<Endpoint, Invalid> {
        let rotate = "use POST /api/provider-credentials/{id}/rotate";
        for (field, sent) in [
            ("username", self.username.is_some()),
            ("password", self.password.is_some()),
            ("access_token", self.access_token.is_some()),
            ("auth_kind", self.auth_kind.is_some()),
        ] {
            if sent {
                return Err(Invalid(format!("{field} cannot be changed with PATCH; {rotate}")));
            }
        }
        Endpoint {
            provider_kind: self.provider_kind.unwrap_or(current.provider_kind),
            host: self.host.as_deref().map(host).transpose()?.unwrap_or_else(|| current.host.clone()),
            port: self.port.map(port).transpose()?.unwrap_or(current.port),
            security_mode: self.security_mode.unwrap_or(current.security_mode),
            auth_kind: current.auth_kind,
        }
        .check()
    }
}

/// `POST .../rotate`: the new secret, optionally a new username and auth kind.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "a new long passphrase"}))]
pub struct RotateProviderCredentialRequest {
    #[schema(write_only)]
    pub password: Option<String>,
    #[schema(write_only)]
    pub access_token: Option<String>,
    pub username: Option<String>,
    #[zeroize(skip)]
    pub auth_kind: Option<AuthKind>,
}

impl RotateProviderCredentialRequest {
    /// The new secret, and the auth kind it is for. `current_username` is
    /// kept when no new one is given.
    pub fn validate(
        &self,
        current_auth: AuthKind,
        current_username: &str,
    ) -> Result<(AuthKind, CredentialSecret), Invalid> {
        let auth_kind = self.auth_kind.unwrap_or(current_auth);
        let secret = secret_for(auth_kind, &self.password, &self.access_token)?;
        let username = match &self.username {
            Some(u) => required("username", u.trim())?,
            None => current_username.to_string(),
        };
        Ok((auth_kind, CredentialSecret { username, secret }))
    }
}

/// `POST .../search`: every filter optional; `limit` 1–100 (default 50).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"provider_kind": "imap", "last_test_status": "never", "limit": 20}))]
pub struct SearchProviderCredentialsRequest {
    pub provider_kind: Option<ProviderKind>,
    pub host: Option<String>,
    pub security_mode: Option<SecurityMode>,
    pub auth_kind: Option<AuthKind>,
    pub last_test_status: Option<TestStatusFilter>,
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// `never` matches credentials that were never tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TestStatusFilter {
    Ok,
    Failed,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(body: serde_json::Value) -> Result<(Endpoint, CredentialSecret), Invalid> {
        serde_json::from_value::<CreateProviderCredentialRequest>(body).unwrap().validate()
    }

    fn base() -> serde_json::Value {
        json!({"provider_kind": "imap", "host": "mail.example.com", "port": 993, "security_mode": "ssl_tls",
               "auth_kind": "password", "username": "user@example.com", "password": "pw"})
    }

    #[test]
    fn a_good_credential() {
        let (endpoint, secret) = create(base()).unwrap();
        assert_eq!(endpoint.port, 993);
        assert_eq!(secret.username_masked(), "u***@example.com");
    }

    #[test]
    fn rules() {
        let with = |k: &str, v: serde_json::Value| {
            let mut b = base();
            b[k] = v;
            create(b).unwrap_err().0
        };
        assert!(with("host", json!("imaps://mail.example.com")).starts_with("host must be a DNS name"));
        assert!(with("host", json!("mail.example.com:993")).starts_with("host must be a DNS name"));
        assert_eq!(with("port", json!(0)), "port must be between 1 and 65535");
        assert_eq!(with("port", json!(65536)), "port must be between 1 and 65535");
        assert!(with("security_mode", json!("none")).starts_with("security_mode none would send credentials in clear"));
        assert_eq!(with("access_token", json!("t")), "access_token is only for auth_kind oauth2");
        assert_eq!(with("username", json!(" ")), "username is required");
        let mut oauth = base();
        oauth["auth_kind"] = json!("oauth2");
        assert_eq!(create(oauth.clone()).unwrap_err().0, "password is only for auth_kind password");
        oauth.as_object_mut().unwrap().remove("password");
        assert_eq!(create(oauth.clone()).unwrap_err().0, "access_token is required");
        oauth["access_token"] = json!("ya29.token");
        assert!(create(oauth).is_ok());
    }

    #[test]
    fn patch_refuses_secrets_and_checks_the_whole() {
        let (current, _) = create(base()).unwrap();
        let patch = |b| serde_json::from_value::<UpdateProviderCredentialRequest>(b).unwrap().apply(&current);
        assert!(patch(json!({"password": "x"}))
            .unwrap_err()
            .0
            .starts_with("password cannot be changed with PATCH; use POST"));
        assert!(patch(json!({"security_mode": "none"})).is_err());
        assert_eq!(patch(json!({"port": 143, "security_mode": "starttls"})).unwrap().port, 143);
    }
}
