//! The tables, for the local emulator and the tests. In AWS the SAM template
//! declares the same tables; keep the two in step.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};

use super::audit::BY_RESOURCE_INDEX;
use super::keys::expiry::EXPIRY_INDEX;
use super::keys::ACTIVE_KEYS_INDEX;
use super::{Store, StoreError};

/// The TTL attribute of the main table (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "ttl";

fn string_attr(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build().expect("set")
}

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("set")
}

/// The main table's sparse index of active keys (see [`super::keys`]).
fn active_keys_index() -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name(ACTIVE_KEYS_INDEX)
        .key_schema(key("active_pk", KeyType::Hash))
        .key_schema(key("active_sk", KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .expect("set")
}

/// The main table's sparse index of keys by expiry day (see
/// [`super::keys::expiry`]).
fn expiry_index() -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name(EXPIRY_INDEX)
        .key_schema(key("expiry_pk", KeyType::Hash))
        .key_schema(key("expiry_sk", KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .expect("set")
}

impl Store {
    /// Creates both tables unless they exist already.
    pub async fn create_tables_if_missing(&self) -> Result<(), StoreError> {
        let existing: Vec<String> = self
            .client()
            .list_tables()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(StoreError::aws)?;
        let tables = self.tables().clone();
        if !existing.contains(&tables.main) {
            self.client()
                .create_table()
                .table_name(&tables.main)
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(string_attr("pk"))
                .attribute_definitions(string_attr("sk"))
                .attribute_definitions(string_attr("active_pk"))
                .attribute_definitions(string_attr("active_sk"))
                .attribute_definitions(string_attr("expiry_pk"))
                .attribute_definitions(string_attr("expiry_sk"))
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("sk", KeyType::Range))
                .global_secondary_indexes(active_keys_index())
                .global_secondary_indexes(expiry_index())
                .send()
                .await
                .map_err(StoreError::aws)?;
            self.client()
                .update_time_to_live()
                .table_name(&tables.main)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .enabled(true)
                        .attribute_name(TTL_ATTRIBUTE)
                        .build()
                        .expect("set"),
                )
                .send()
                .await
                .map_err(StoreError::aws)?;
        }
        if !existing.contains(&tables.audit) {
            let by_resource = GlobalSecondaryIndex::builder()
                .index_name(BY_RESOURCE_INDEX)
                .key_schema(key("resource_pk", KeyType::Hash))
                .key_schema(key("resource_seq", KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .expect("set");
            self.client()
                .create_table()
                .table_name(&tables.audit)
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(string_attr("pk"))
                .attribute_definitions(string_attr("sk"))
                .attribute_definitions(string_attr("resource_pk"))
                .attribute_definitions(string_attr("resource_seq"))
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("sk", KeyType::Range))
                .global_secondary_indexes(by_resource)
                .stream_specification(
                    StreamSpecification::builder()
                        .stream_enabled(true)
                        .stream_view_type(StreamViewType::NewImage)
                        .build()
                        .expect("set"),
                )
                .send()
                .await
                .map_err(StoreError::aws)?;
        }
        Ok(())
    }
}

/// The tag the SAM template puts on the main table: the deployment's stage,
/// for tools that reach the tables without the functions' environment.
pub const STAGE_TAG: &str = "mailkeys:stage";

impl Store {
    /// Whether DynamoDB answers for the main table (a health probe).
    pub async fn reachable(&self) -> bool {
        self.client().describe_table().table_name(&self.tables().main).send().await.is_ok()
    }

    /// The stage the main table is tagged with, if it is.
    pub async fn stage_tag(&self) -> Result<Option<String>, StoreError> {
        let table =
            self.client().describe_table().table_name(&self.tables().main).send().await.map_err(StoreError::aws)?;
        let Some(arn) = table.table().and_then(|t| t.table_arn()) else { return Ok(None) };
        let tags = self.client().list_tags_of_resource().resource_arn(arn).send().await.map_err(StoreError::aws)?;
        Ok(tags.tags().iter().find(|t| t.key() == STAGE_TAG).map(|t| t.value().to_string()))
    }
}
