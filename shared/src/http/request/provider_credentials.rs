//! The provider credentials' request bodies as the wire has them, and what
//! they convert into (the rules are the domain's).

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::domain::provider_credential::{
    AuthKind, CredentialSearch, EndpointPatch, NewCredentialInput, ProviderKind, Rotation, SecurityMode,
    TestStatusFilter,
};
use crate::domain::secret::SecretString;

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

impl<'a> From<&'a CreateProviderCredentialRequest> for NewCredentialInput<'a> {
    fn from(request: &'a CreateProviderCredentialRequest) -> Self {
        NewCredentialInput {
            provider_kind: request.provider_kind,
            host: &request.host,
            port: request.port,
            security_mode: request.security_mode,
            auth_kind: request.auth_kind,
            username: &request.username,
            password: &request.password,
            access_token: &request.access_token,
        }
    }
}

impl From<UpdateProviderCredentialRequest> for EndpointPatch {
    fn from(request: UpdateProviderCredentialRequest) -> Self {
        let refused = match (&request.username, &request.auth_kind) {
            (Some(_), _) => Some("username"),
            (None, Some(_)) => Some("auth_kind"),
            (None, None) => None,
        };
        EndpointPatch {
            provider_kind: request.provider_kind,
            host: request.host,
            port: request.port,
            security_mode: request.security_mode,
            password: request.password,
            access_token: request.access_token,
            refused,
        }
    }
}

impl From<RotateProviderCredentialRequest> for Rotation {
    fn from(request: RotateProviderCredentialRequest) -> Self {
        Rotation {
            password: request.password,
            access_token: request.access_token,
            username: request.username,
            auth_kind: request.auth_kind,
        }
    }
}

impl From<SearchProviderCredentialsRequest> for CredentialSearch {
    fn from(request: SearchProviderCredentialsRequest) -> Self {
        CredentialSearch {
            provider_kind: request.provider_kind,
            host: request.host,
            security_mode: request.security_mode,
            auth_kind: request.auth_kind,
            last_test_status: request.last_test_status,
            limit: request.limit,
            cursor: request.cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::provider_credential::{CredentialSecret, Endpoint};
    use crate::domain::secret::ExposeSecret;
    use crate::domain::Invalid;
    use serde_json::json;

    fn create(body: serde_json::Value) -> Result<(Endpoint, CredentialSecret), Invalid> {
        let request = serde_json::from_value::<CreateProviderCredentialRequest>(body).unwrap();
        NewCredentialInput::from(&request).validate()
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
        let patch = |b| {
            EndpointPatch::from(serde_json::from_value::<UpdateProviderCredentialRequest>(b).unwrap()).apply(&current)
        };
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
