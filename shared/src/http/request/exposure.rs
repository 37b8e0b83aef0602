//! The bodies of the two exposure reports: GitHub's secret scanning report
//! (its partner protocol's shape) and a public revocation request.

use serde::Deserialize;

use crate::domain::secret::SecretString;
use crate::service::exposure::Reported;

/// One match of GitHub's report. Other fields GitHub may add are ignored.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"token": "pk_live_REPLACE_WITH_A_KEY", "type": "mailkeys_api_key", "url": "https://github.com/octo-org/octo-repo/blob/abc123/config.env", "source": "content"}))]
pub struct ReportedToken {
    #[schema(write_only, value_type = String)]
    pub token: SecretString,
    /// The token type GitHub registered for the pattern that matched.
    #[serde(rename = "type", default)]
    pub token_type: Option<String>,
    /// Where the token was found.
    #[serde(default)]
    pub url: Option<String>,
    /// What kind of place: `content`, `commit`, `pull_request_description`…
    #[serde(default)]
    pub source: Option<String>,
}

impl From<ReportedToken> for Reported {
    fn from(r: ReportedToken) -> Reported {
        Reported { token: r.token, url: r.url, source: r.source }
    }
}

/// `POST /api/public/keys/revoke`: keys anyone holding them wants dead.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"credentials": ["pk_live_REPLACE_WITH_A_LEAKED_KEY"]}))]
pub struct PublicRevokeRequest {
    /// 1 to 100 keys.
    #[schema(value_type = Vec<String>, min_items = 1, max_items = 100, write_only)]
    pub credentials: Vec<SecretString>,
}
