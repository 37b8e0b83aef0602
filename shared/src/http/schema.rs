//! How the domain's own value types appear in the OpenAPI document: ids
//! and times are strings of a known shape on the wire.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::domain::ids::{AccountId, EmailProviderId, KeyId, ProviderCredentialId, ServiceKeyId, WebhookId};
use crate::domain::timestamp::Timestamp;

macro_rules! prefixed_id_schema {
    ($($name:ident),*) => {$(
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let pattern = format!("^{}[0-9a-z]{{26}}$", $name::PREFIX);
                ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).into()
            }
        }

        impl ToSchema for $name {}
    )*};
}

prefixed_id_schema!(AccountId, KeyId, ProviderCredentialId, ServiceKeyId, WebhookId);

impl PartialSchema for EmailProviderId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .into()
    }
}

impl ToSchema for EmailProviderId {}

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339, UTC, to the second: `2026-11-24T10:00:00Z`"))
            .into()
    }
}

impl ToSchema for Timestamp {}

/// An event type name of webhook endpoints, or `*`: the vocabulary, from
/// [`EventType::SUBSCRIBABLE`](crate::domain::webhook::EventType).
pub struct EventName;

impl PartialSchema for EventName {
    fn schema() -> RefOr<Schema> {
        use crate::domain::webhook::{EventType, ALL_EVENTS};
        let names = std::iter::once(ALL_EVENTS).chain(EventType::SUBSCRIBABLE.iter().map(|t| t.as_str()));
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .description(Some("An event type; `*` is every type but the opt-in `credential.resolved`"))
            .into()
    }
}

impl ToSchema for EventName {}
