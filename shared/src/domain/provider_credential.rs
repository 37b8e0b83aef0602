//! Account-scoped IMAP/SMTP credentials: request shapes and their rules.
//! Username and secret live only in the encrypted blob; the masked username
//! is computed once, at write time.

use super::host::{Host, HostError};
use super::masking::mask_username;
use super::secret::{expose, ExposeSecret, SecretString};
use super::Invalid;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Serialize, Deserialize)]
pub struct CredentialSecret {
    #[serde(serialize_with = "expose")]
    pub username: SecretString,
    /// The password, or the OAuth2 access token.
    #[serde(serialize_with = "expose")]
    pub secret: SecretString,
}

impl CredentialSecret {
    pub fn username_masked(&self) -> String {
        mask_username(self.username.expose_secret())
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
            return Err(Invalid::field(
                "security_mode",
                "security_mode none would send credentials in clear; use ssl_tls or starttls",
            ));
        }
        Ok(self)
    }

    /// Whether `other` delivers the secret somewhere else: another host,
    /// port or security mode.
    pub fn moves_from(&self, other: &Endpoint) -> bool {
        (&self.host, self.port, self.security_mode) != (&other.host, other.port, other.security_mode)
    }

    /// The name of the secret field for this endpoint's auth kind.
    pub fn secret_field(&self) -> &'static str {
        match self.auth_kind {
            AuthKind::Password => "password",
            AuthKind::Oauth2 => "access_token",
        }
    }
}

fn host(raw: &str) -> Result<Host, Invalid> {
    Host::parse(raw).map_err(|e| match e {
        HostError::Empty => Invalid::field("host", "host is required"),
        HostError::Invalid => Invalid::field(
            "host",
            "host must be a DNS name or IP address of at most 253 characters (no scheme, port, path or spaces)",
        ),
    })
}

fn port(raw: i64) -> Result<u16, Invalid> {
    u16::try_from(raw).ok().filter(|p| *p > 0).ok_or_else(|| Invalid::field("port", "port must be between 1 and 65535"))
}

fn required(field: &str, value: &str) -> Result<SecretString, Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid::field(field, format!("{field} is required")));
    }
    if value.chars().count() > MAX_SECRET_CHARS {
        return Err(Invalid::field(field, format!("{field} must be at most {MAX_SECRET_CHARS} characters")));
    }
    Ok(SecretString::from(value))
}

/// The username: shown masked, so without control characters.
fn required_username(value: &str) -> Result<SecretString, Invalid> {
    let username = required("username", value)?;
    super::check_no_control_characters("username", value)?;
    Ok(username)
}

/// The secret for `auth_kind`: `password` for password, `access_token` for
/// oauth2, and never the other one.
fn secret_for(
    auth_kind: AuthKind,
    password: &Option<SecretString>,
    access_token: &Option<SecretString>,
) -> Result<SecretString, Invalid> {
    let (password, access_token) =
        (password.as_ref().map(|p| p.expose_secret()), access_token.as_ref().map(|t| t.expose_secret()));
    match (auth_kind, password, access_token) {
        (AuthKind::Password, Some(p), None) => required("password", p),
        (AuthKind::Oauth2, None, Some(t)) => required("access_token", t),
        (AuthKind::Password, _, Some(_)) => {
            Err(Invalid::field("access_token", "access_token is only for auth_kind oauth2"))
        }
        (AuthKind::Oauth2, Some(_), _) => Err(Invalid::field("password", "password is only for auth_kind password")),
        (AuthKind::Password, None, None) => Err(Invalid::field("password", "password is required")),
        (AuthKind::Oauth2, None, None) => Err(Invalid::field("access_token", "access_token is required")),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
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
    pub provider_kind: ProviderKind,
    #[serde(default)]
    #[schema(required)]
    pub host: String,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: i64,
    pub security_mode: SecurityMode,
    pub auth_kind: AuthKind,
    #[serde(default)]
    #[schema(required)]
    pub username: String,
    /// Required when `auth_kind` is `password`.
    #[schema(write_only, value_type = Option<String>)]
    pub password: Option<SecretString>,
    /// Required when `auth_kind` is `oauth2`.
    #[schema(write_only, value_type = Option<String>)]
    pub access_token: Option<SecretString>,
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
        let username = required_username(self.username.trim())?;
        let secret = secret_for(self.auth_kind, &self.password, &self.access_token)?;
        Ok((endpoint, CredentialSecret { username, secret }))
    }
}

/// `PATCH`: the endpoint. The secret (`password` or `access_token`, by the
/// credential's auth kind) is accepted only with a change of host, port or
/// security mode, which needs it: a stored secret only goes where its owner
/// sent it. Username and auth kind are accepted by the parser only to be
/// refused with a message that points to rotate.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"host": "mail.example.com", "port": 993, "password": "the password again"}))]
pub struct UpdateProviderCredentialRequest {
    pub provider_kind: Option<ProviderKind>,
    pub host: Option<String>,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<i64>,
    pub security_mode: Option<SecurityMode>,
    /// Required when host, port or security_mode changes (auth_kind password).
    #[schema(write_only, value_type = Option<String>)]
    pub password: Option<SecretString>,
    /// Required when host, port or security_mode changes (auth_kind oauth2).
    #[schema(write_only, value_type = Option<String>)]
    pub access_token: Option<SecretString>,
    #[schema(ignore)]
    auth_kind: Option<IgnoredAny>,
    #[schema(ignore)]
    username: Option<IgnoredAny>,
}

impl UpdateProviderCredentialRequest {
    /// Whether the PATCH sends a secret (which it may only with a new
    /// destination): a data key can be asked for before the row is read.
    pub fn carries_secret(&self) -> bool {
        self.password.is_some() || self.access_token.is_some()
    }
}

/// A validated PATCH: the endpoint after it, and the secret that goes with
/// a new destination.
#[derive(Debug)]
pub struct EndpointUpdate {
    pub endpoint: Endpoint,
    pub secret: Option<SecretString>,
}

impl UpdateProviderCredentialRequest {
    /// The endpoint after this update, checked as a whole, and the secret it
    /// carries when it moves the credential.
    pub fn apply(&self, current: &Endpoint) -> Result<EndpointUpdate, Invalid> {
        let rotate = "use POST /api/provider-credentials/{id}/rotate";
        for (field, sent) in [("username", self.username.is_some()), ("auth_kind", self.auth_kind.is_some())] {
            if sent {
                return Err(Invalid::field(
                    field.to_string(),
                    format!("{field} cannot be changed with PATCH; {rotate}"),
                ));
            }
        }
        let endpoint = Endpoint {
            provider_kind: self.provider_kind.unwrap_or(current.provider_kind),
            host: self.host.as_deref().map(host).transpose()?.unwrap_or_else(|| current.host.clone()),
            port: self.port.map(port).transpose()?.unwrap_or(current.port),
            security_mode: self.security_mode.unwrap_or(current.security_mode),
            auth_kind: current.auth_kind,
        }
        .check()?;
        let field = current.secret_field();
        if !endpoint.moves_from(current) {
            if let Some(sent) = [("password", self.password.is_some()), ("access_token", self.access_token.is_some())]
                .into_iter()
                .find_map(|(name, sent)| sent.then_some(name))
            {
                return Err(Invalid::new(format!(
                    "{sent} can be sent with PATCH only when host, port or security_mode changes; {rotate}"
                )));
            }
            return Ok(EndpointUpdate { endpoint, secret: None });
        }
        if self.password.is_none() && self.access_token.is_none() {
            return Err(Invalid::new(format!(
                "{field} is required when host, port or security_mode changes: \
                 a stored secret only goes to the server it was given for"
            )));
        }
        let secret = secret_for(current.auth_kind, &self.password, &self.access_token)?;
        Ok(EndpointUpdate { endpoint, secret: Some(secret) })
    }
}

/// `POST .../rotate`: the new secret, optionally a new username and auth kind.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "a new long passphrase"}))]
pub struct RotateProviderCredentialRequest {
    #[schema(write_only, value_type = Option<String>)]
    pub password: Option<SecretString>,
    #[schema(write_only, value_type = Option<String>)]
    pub access_token: Option<SecretString>,
    pub username: Option<String>,
    pub auth_kind: Option<AuthKind>,
}

impl RotateProviderCredentialRequest {
    /// The new secret, and the auth kind it is for. `current_username` is
    /// kept when no new one is given.
    pub fn validate(
        &self,
        current_auth: AuthKind,
        current_username: &SecretString,
    ) -> Result<(AuthKind, CredentialSecret), Invalid> {
        let auth_kind = self.auth_kind.unwrap_or(current_auth);
        let secret = secret_for(auth_kind, &self.password, &self.access_token)?;
        let username = match &self.username {
            Some(u) => required_username(u.trim())?,
            None => current_username.clone(),
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
            create(b).unwrap_err().message().to_string()
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
        assert_eq!(create(oauth.clone()).unwrap_err().message(), "password is only for auth_kind password");
        oauth.as_object_mut().unwrap().remove("password");
        assert_eq!(create(oauth.clone()).unwrap_err().message(), "access_token is required");
        oauth["access_token"] = json!("ya29.token");
        assert!(create(oauth).is_ok());
    }

    #[test]
    fn patch_moves_a_secret_only_with_the_secret() {
        let (current, _) = create(base()).unwrap();
        let patch = |b| serde_json::from_value::<UpdateProviderCredentialRequest>(b).unwrap().apply(&current);
        let err = |b| patch(b).unwrap_err().message().to_string();
        assert!(err(json!({"password": "x"})).starts_with("password can be sent with PATCH only when host, port"));
        assert!(err(json!({"username": "x"})).starts_with("username cannot be changed with PATCH; use POST"));
        assert!(err(json!({"security_mode": "none", "password": "x"})).starts_with("security_mode none"));
        for moved in [json!({"host": "evil.example.net"}), json!({"port": 143}), json!({"security_mode": "starttls"})] {
            assert!(err(moved).starts_with("password is required when host, port or security_mode changes"));
        }
        assert_eq!(err(json!({"port": 143, "access_token": "t"})), "access_token is only for auth_kind oauth2");
        let moved = patch(json!({"port": 143, "security_mode": "starttls", "password": "again"})).unwrap();
        assert_eq!((moved.endpoint.port, moved.secret.unwrap().expose_secret()), (143, "again"));
        // Not a destination: the kind may change without the secret.
        let kind = patch(json!({"provider_kind": "smtp"})).unwrap();
        assert!(kind.secret.is_none() && kind.endpoint.provider_kind == ProviderKind::Smtp);
    }
}
