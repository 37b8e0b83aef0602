//! Account-scoped IMAP/SMTP credentials: request shapes and their rules.
//! Username and secret live only in the encrypted blob; the masked username
//! is computed once, at write time.

use super::host::{Host, HostError};
use super::masking::mask_username;
use super::secret::{expose, ExposeSecret, SecretString};
use super::Invalid;
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

/// A new credential as submitted: what `POST
/// /api/accounts/{account_id}/provider-credentials` carries.
pub struct NewCredentialInput<'a> {
    pub provider_kind: ProviderKind,
    pub host: &'a str,
    pub port: i64,
    pub security_mode: SecurityMode,
    pub auth_kind: AuthKind,
    pub username: &'a str,
    pub password: &'a Option<SecretString>,
    pub access_token: &'a Option<SecretString>,
}

impl NewCredentialInput<'_> {
    pub fn validate(&self) -> Result<(Endpoint, CredentialSecret), Invalid> {
        let endpoint = Endpoint {
            provider_kind: self.provider_kind,
            host: host(self.host)?,
            port: port(self.port)?,
            security_mode: self.security_mode,
            auth_kind: self.auth_kind,
        }
        .check()?;
        let username = required_username(self.username.trim())?;
        let secret = secret_for(self.auth_kind, self.password, self.access_token)?;
        Ok((endpoint, CredentialSecret { username, secret }))
    }
}

/// A `PATCH` of the endpoint as submitted. The secret (`password` or
/// `access_token`, by the credential's auth kind) is accepted only with a
/// change of host, port or security mode, which needs it: a stored secret
/// only goes where its owner sent it. `refused` names a field that was sent
/// but cannot be patched (username, auth kind), refused with a message
/// that points to rotate.
#[derive(Default)]
pub struct EndpointPatch {
    pub provider_kind: Option<ProviderKind>,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub security_mode: Option<SecurityMode>,
    pub password: Option<SecretString>,
    pub access_token: Option<SecretString>,
    pub refused: Option<&'static str>,
}

/// A validated PATCH: the endpoint after it, and the secret that goes with
/// a new destination.
#[derive(Debug)]
pub struct EndpointUpdate {
    pub endpoint: Endpoint,
    pub secret: Option<SecretString>,
}

impl EndpointPatch {
    /// Whether the PATCH sends a secret (which it may only with a new
    /// destination): a data key can be asked for before the row is read.
    pub fn carries_secret(&self) -> bool {
        self.password.is_some() || self.access_token.is_some()
    }

    /// The endpoint after this update, checked as a whole, and the secret it
    /// carries when it moves the credential.
    pub fn apply(&self, current: &Endpoint) -> Result<EndpointUpdate, Invalid> {
        let rotate = "use POST /api/provider-credentials/{id}/rotate";
        if let Some(field) = self.refused {
            return Err(Invalid::field(field, format!("{field} cannot be changed with PATCH; {rotate}")));
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

/// A rotation as submitted: the new secret, optionally a new username and
/// auth kind.
pub struct Rotation {
    pub password: Option<SecretString>,
    pub access_token: Option<SecretString>,
    pub username: Option<String>,
    pub auth_kind: Option<AuthKind>,
}

impl Rotation {
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

/// A search: every filter optional; `limit` 1–100 (default 50).
#[derive(Debug, Default)]
pub struct CredentialSearch {
    pub provider_kind: Option<ProviderKind>,
    pub host: Option<String>,
    pub security_mode: Option<SecurityMode>,
    pub auth_kind: Option<AuthKind>,
    pub last_test_status: Option<TestStatusFilter>,
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
