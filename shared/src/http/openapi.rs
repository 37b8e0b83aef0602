//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! attributes and the request and response types they name. The local
//! server serves it at `/openapi.json`; `make openapi` writes it to
//! `infra/openapi.json`.

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{Components, Content, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::OpenApi;

use super::error::UNAUTHORIZED_MESSAGE;
use super::Function;
use super::{
    api_keys, audit_events, email_providers, exposure, provider_credentials, resolve, smtp_credentials, verify_key,
    webhooks, whoami,
};

const SECURITY_SCHEME: &str = "apiKey";

/// What a create answers, and the operations that take its id: OpenAPI
/// links, so that clients and stateful testers can follow a resource from
/// its creation. (created by, JSON pointer to the id in its answer, used by)
const LINKS: &[(Function, &str, &[Function])] = {
    use Function::*;
    &[
        (
            EmailProvidersCreate,
            "/id",
            &[EmailProvidersGet, EmailProvidersUpdate, EmailProvidersTest, EmailProvidersDelete],
        ),
        (ApiKeysCreate, "/data/id", &[ApiKeysUpdate, ApiKeysRotate, ApiKeysRevoke]),
        (SmtpCredentialsCreate, "/id", &[SmtpCredentialsUpdate, SmtpCredentialsRotate, SmtpCredentialsRevoke]),
        (SmtpCredentialsMobile, "/id", &[SmtpCredentialsUpdate, SmtpCredentialsRotate, SmtpCredentialsRevoke]),
        (
            WebhooksCreate,
            "/id",
            &[WebhooksGet, WebhooksUpdate, WebhooksRotateSecret, WebhooksTest, WebhooksDeliveries, WebhooksDelete],
        ),
        (
            ProviderCredentialsCreate,
            "/id",
            &[
                ProviderCredentialsGet,
                ProviderCredentialsUpdate,
                ProviderCredentialsRotate,
                ProviderCredentialsTest,
                ProviderCredentialsDelete,
            ],
        ),
    ]
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mailkeys",
        description = "Credentials for an email platform: outbound providers, account IMAP/SMTP credentials \
                       and API keys, encrypted at rest, masked on read, audited on change."
    ),
    paths(
        email_providers::create,
        email_providers::list,
        email_providers::get,
        email_providers::update,
        email_providers::delete,
        email_providers::test,
        whoami::whoami,
        audit_events::list,
        api_keys::list,
        api_keys::create,
        api_keys::revoke,
        api_keys::update,
        api_keys::rotate,
        smtp_credentials::get,
        smtp_credentials::create,
        smtp_credentials::revoke,
        smtp_credentials::rotate,
        smtp_credentials::update,
        smtp_credentials::create_mobile,
        verify_key::verify,
        resolve::resolve,
        provider_credentials::create,
        provider_credentials::list,
        provider_credentials::search,
        provider_credentials::get,
        provider_credentials::update,
        provider_credentials::delete,
        provider_credentials::rotate,
        provider_credentials::test,
        exposure::github_report,
        exposure::revoke_public,
        webhooks::create,
        webhooks::list,
        webhooks::get,
        webhooks::update,
        webhooks::delete,
        webhooks::rotate_secret,
        webhooks::test,
        webhooks::deliveries,
    )
)]
struct ApiDoc;

/// The document: the handlers' own operations, plus what every route shares
/// because the extractors and the router answer it the same way everywhere
/// (bearer key, 401/403, malformed or oversized bodies, 500).
pub fn document() -> Document {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Components::new);
    components.add_security_scheme(
        SECURITY_SCHEME,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A Mailkeys API key: `Authorization: Bearer <key>`"))
                .build(),
        ),
    );
    doc.security = Some(vec![SecurityRequirement::new(SECURITY_SCHEME, Vec::<String>::new())]);
    doc.servers = Some(vec![ServerBuilder::new()
        .url("/")
        .description(Some(
            "The deployment's own URL: the stack's ApiUrl output in AWS, http://127.0.0.1:8080 with make dev",
        ))
        .build()]);
    for item in doc.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            add_shared_responses(operation);
            add_links(operation);
            let function = Function::ALL.iter().find(|f| operation.operation_id.as_deref() == Some(f.name()));
            operation.summary = function.map(|f| summary(*f).to_string());
        }
    }
    doc
}

/// One line per operation, as API tools show it in their menus.
fn summary(function: Function) -> &'static str {
    use Function::*;
    match function {
        EmailProvidersCreate => "Create an email provider",
        EmailProvidersList => "List email providers",
        EmailProvidersGet => "Get an email provider",
        EmailProvidersUpdate => "Update an email provider (partial)",
        EmailProvidersDelete => "Delete an email provider",
        EmailProvidersTest => "Test an email provider's credentials",
        WhoAmI => "Who the calling key is",
        AuditEventsList => "List audit events",
        ApiKeysList => "List email API keys",
        ApiKeysCreate => "Create an email API key",
        ApiKeysRevoke => "Revoke an email API key",
        ApiKeysUpdate => "Change an email API key's name, permissions or allowed networks",
        ApiKeysRotate => "Rotate an email API key, optionally keeping the old one for a while",
        SmtpCredentialsGet => "Connection info and SMTP credentials",
        SmtpCredentialsCreate => "Create an SMTP credential",
        SmtpCredentialsRevoke => "Revoke an SMTP credential",
        SmtpCredentialsRotate => "Rotate an SMTP credential, optionally keeping the old one for a while",
        SmtpCredentialsUpdate => "Change an SMTP credential's name or allowed networks",
        SmtpCredentialsMobile => "Create a key for a mobile device",
        VerifyKey => "Check a key for a mail protocol (mail servers)",
        CredentialsResolve => "Resolve a credential's secret (trusted workers)",
        ProviderCredentialsCreate => "Create a provider credential",
        ProviderCredentialsList => "List an account's provider credentials",
        ProviderCredentialsSearch => "Search an account's provider credentials",
        ProviderCredentialsGet => "Get a provider credential",
        ProviderCredentialsUpdate => "Update a provider credential's endpoint",
        ProviderCredentialsDelete => "Delete a provider credential",
        ProviderCredentialsRotate => "Rotate a provider credential's secret",
        ProviderCredentialsTest => "Test a provider credential",
        SecretScanningGithub => "Receive GitHub secret scanning reports (revokes exposed keys)",
        KeysRevokePublic => "Revoke keys by holding them (no API key)",
        WebhooksCreate => "Create a webhook endpoint",
        WebhooksList => "List webhook endpoints",
        WebhooksGet => "Get a webhook endpoint",
        WebhooksUpdate => "Change a webhook endpoint (partial)",
        WebhooksDelete => "Delete a webhook endpoint",
        WebhooksRotateSecret => "Rotate a webhook endpoint's signing secret",
        WebhooksTest => "Send a test event to a webhook endpoint",
        WebhooksDeliveries => "List a webhook endpoint's recent delivery attempts",
    }
}

/// Drops the schemas nothing refers to (utoipa also lists the inner types
/// of generic answers it has inlined), until none is left over.
fn drop_unused_schemas(doc: &mut serde_json::Value) {
    fn refs(value: &serde_json::Value, found: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(name) = map.get("$ref").and_then(|r| r.as_str()?.strip_prefix("#/components/schemas/")) {
                    found.insert(name.to_string());
                }
                map.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    loop {
        let mut used = std::collections::BTreeSet::new();
        refs(doc, &mut used);
        let Some(schemas) = doc["components"]["schemas"].as_object_mut() else { return };
        let before = schemas.len();
        schemas.retain(|name, _| used.contains(name));
        if schemas.len() == before {
            return;
        }
    }
}

/// The document as committed in `infra/openapi.json`.
pub fn document_json() -> String {
    let mut value = serde_json::to_value(document()).expect("an OpenAPI document serializes");
    camel_case_links(&mut value);
    drop_unused_schemas(&mut value);
    let mut json = serde_json::to_string_pretty(&value).expect("JSON serializes");
    json.push('\n');
    json
}

/// utoipa 5.5 serializes a Link Object's `operationId` as `operation_id`
/// (its `Link` lacks serde's camelCase renaming); rename it so that tools
/// can follow the links.
fn camel_case_links(doc: &mut serde_json::Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    let operations = paths.values_mut().filter_map(|item| item.as_object_mut()).flat_map(|item| item.values_mut());
    let responses = operations.filter_map(|op| op.get_mut("responses")?.as_object_mut()).flat_map(|r| r.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(|l| l.as_object_mut()) else { continue };
        for link in links.values_mut().filter_map(|l| l.as_object_mut()) {
            if let Some(id) = link.remove("operation_id") {
                link.insert("operationId".to_string(), id);
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
}

fn add_links(operation: &mut Operation) {
    let Some((_, pointer, targets)) =
        LINKS.iter().find(|(from, _, _)| operation.operation_id.as_deref() == Some(from.name()))
    else {
        return;
    };
    let created = operation.responses.responses.iter_mut().find(|(status, _)| status.starts_with('2'));
    let Some((_, RefOr::T(response))) = created else { return };
    for target in *targets {
        let param = path_parameter(target.path()).expect("a linked operation takes an id in its path");
        let link = LinkBuilder::new()
            .operation_id(target.name())
            .parameter(param, format!("$response.body#{pointer}"))
            .build();
        response.links.insert(target.name().to_string(), link.into());
    }
}

/// The one `{name}` in a path.
fn path_parameter(path: &str) -> Option<&str> {
    let start = path.find('{')? + 1;
    Some(&path[start..start + path[start..].find('}')?])
}

fn add_shared_responses(operation: &mut Operation) {
    let mut shared = vec![
        ("401", UNAUTHORIZED_MESSAGE),
        ("403", "The key lacks the permission this route requires"),
        ("414", "Request URI larger than 8 KiB"),
        ("431", "Request headers larger than 10 KiB in all"),
        ("500", "Internal error (details are logged, never returned)"),
        ("503", "DynamoDB or KMS stalled, throttled or failed on its side; nothing changed; see Retry-After"),
    ];
    if operation.request_body.is_some() {
        shared.push(("400", "Malformed JSON, or a field that is missing or invalid"));
        shared.push(("413", "Request body larger than 64 KiB"));
        shared.push(("415", "The body was not sent as Content-Type: application/json"));
    }
    for (status, description) in shared {
        let response = ResponseBuilder::new()
            .description(description)
            .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))))
            .build();
        operation.responses.responses.entry(status.to_string()).or_insert(response.into());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::http::Function;

    /// (operationId, METHOD, path) of every operation in the document.
    fn operations(doc: &Document) -> BTreeSet<(String, String, String)> {
        let mut found = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let mut item = item.clone();
            let methods = [
                ("GET", item.get.take()),
                ("POST", item.post.take()),
                ("PUT", item.put.take()),
                ("PATCH", item.patch.take()),
                ("DELETE", item.delete.take()),
            ];
            for (method, operation) in methods {
                if let Some(operation) = operation {
                    let id = operation.operation_id.unwrap_or_default();
                    found.insert((id, method.to_string(), path.clone()));
                }
            }
        }
        found
    }

    #[test]
    fn documents_every_route_and_nothing_else() {
        let expected: BTreeSet<_> = Function::ALL
            .iter()
            .map(|f| (f.name().to_string(), f.method().to_string(), f.path().to_string()))
            .collect();
        assert_eq!(operations(&document()), expected);
    }

    #[test]
    fn every_operation_documents_its_errors_and_the_error_body_exists() {
        let doc = document();
        assert!(doc.components.as_ref().unwrap().schemas.contains_key("ErrorBody"));
        for item in doc.paths.paths.values() {
            let mut item = item.clone();
            for operation in operations_mut(&mut item) {
                let statuses: Vec<&str> = operation.responses.responses.keys().map(String::as_str).collect();
                for status in ["401", "403", "500"] {
                    assert!(statuses.contains(&status), "{:?} lacks {status}", operation.operation_id);
                }
                assert!(statuses.iter().any(|s| s.starts_with('2')), "{:?} has no success", operation.operation_id);
            }
        }
    }

    #[test]
    fn links_name_operations_that_exist_with_the_parameter_they_fill() {
        let doc: serde_json::Value = serde_json::from_str(&document_json()).unwrap();
        let mut links = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for operation in item.as_object().unwrap().values() {
                for response in operation["responses"].as_object().unwrap().values() {
                    for link in response["links"].as_object().into_iter().flat_map(|l| l.values()) {
                        let target = Function::ALL.iter().find(|f| link["operationId"] == f.name());
                        let target = target.unwrap_or_else(|| panic!("{path}: link to {link}"));
                        let (param, _) = link["parameters"].as_object().unwrap().iter().next().unwrap();
                        assert!(target.path().contains(&format!("{{{param}}}")), "{link}");
                        links += 1;
                    }
                }
            }
        }
        assert_eq!(links, LINKS.iter().map(|(_, _, targets)| targets.len()).sum::<usize>());
    }

    #[test]
    fn committed_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == document_json(), "infra/openapi.json is stale: run `make openapi` and commit it");
    }
}
