//! The webhook endpoints' request bodies as the wire has them.

use serde::Deserialize;

use crate::domain::webhook::{NewWebhook, WebhookPatch};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/mailkeys", "events": ["*"], "description": "Security alerts"}))]
pub struct CreateWebhookRequest {
    /// Where events are POSTed: https (http too outside the `live` stage),
    /// at most 2,048 characters, no username or password, not a private
    /// or reserved address.
    #[schema(max_length = 2048)]
    pub url: String,
    /// Event types, or `"*"` for all but the opt-in `credential.resolved`.
    #[schema(value_type = Vec<crate::http::schema::EventName>, min_items = 1, max_items = 30)]
    pub events: Vec<String>,
    #[schema(max_length = 255)]
    pub description: Option<String>,
}

impl<'a> From<&'a CreateWebhookRequest> for NewWebhook<'a> {
    fn from(request: &'a CreateWebhookRequest) -> Self {
        NewWebhook { url: &request.url, events: &request.events, description: request.description.as_deref() }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": ["api_key.exposed", "smtp_credential.exposed"], "enabled": true}))]
pub struct UpdateWebhookRequest {
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    #[schema(value_type = Option<Vec<crate::http::schema::EventName>>, min_items = 1, max_items = 30)]
    pub events: Option<Vec<String>>,
    #[schema(max_length = 255)]
    pub description: Option<String>,
    /// `true` turns an endpoint the dispatcher disabled back on.
    pub enabled: Option<bool>,
}

impl<'a> From<&'a UpdateWebhookRequest> for WebhookPatch<'a> {
    fn from(request: &'a UpdateWebhookRequest) -> Self {
        WebhookPatch {
            url: request.url.as_deref(),
            events: request.events.as_deref(),
            description: request.description.as_deref(),
            enabled: request.enabled,
        }
    }
}
