//! `POST /api/internal/credentials/resolve`: what a worker asks for.

use super::ids::{AccountId, EmailProviderId, ProviderCredentialId};
use super::Invalid;

const MAX_PURPOSE_CHARS: usize = 64;

/// Which kind of credential a resolve names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolveKind {
    EmailProvider,
    ProviderCredential,
}

/// Which credential a resolve names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveTarget {
    EmailProvider(EmailProviderId),
    ProviderCredential(ProviderCredentialId),
}

/// A validated resolve. `ids` is `None` when the ids cannot be ours: the
/// answer is then "not found" for `kind`, without a store call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolve {
    pub kind: ResolveKind,
    pub ids: Option<(AccountId, ResolveTarget)>,
    pub purpose: String,
}

impl Resolve {
    /// The resolve a worker asks for: `account_id`, exactly one of the two
    /// ids, and `purpose` (1 to 64 printable characters).
    pub fn new(
        account_id: &str,
        email_provider_id: Option<u64>,
        provider_credential_id: Option<&str>,
        purpose: &str,
    ) -> Result<Resolve, Invalid> {
        let (kind, target) = match (email_provider_id, provider_credential_id) {
            (Some(id), None) => {
                (ResolveKind::EmailProvider, EmailProviderId::from_counter(id).map(ResolveTarget::EmailProvider))
            }
            (None, Some(id)) => (
                ResolveKind::ProviderCredential,
                ProviderCredentialId::parse(id).map(ResolveTarget::ProviderCredential),
            ),
            _ => return Err(Invalid::new("exactly one of email_provider_id and provider_credential_id is required")),
        };
        let purpose = purpose.trim();
        if purpose.is_empty() || super::check_display_text("purpose", purpose, MAX_PURPOSE_CHARS).is_err() {
            return Err(Invalid::field("purpose", "purpose must be 1 to 64 printable characters"));
        }
        let ids = AccountId::parse(account_id).zip(target);
        Ok(Resolve { kind, ids, purpose: purpose.to_string() })
    }
}

/// The versions a worker says it holds, from `If-None-Match` (RFC 9110
/// §13.1.2): `*` (whatever version is current) or a list of entity tags,
/// compared weakly (`W/"3"` holds version 3). A member that is not a
/// well-formed entity tag is ignored, and a tag names a version only when it
/// is written as the ETag is (`"01"` is not version 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldVersions {
    any: bool,
    tags: Vec<String>,
}

impl HeldVersions {
    /// From the header's values (there may be several).
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut held = HeldVersions::default();
        for value in values {
            let mut rest = value;
            loop {
                rest = rest.trim_start_matches([' ', '\t', ',']);
                if rest.is_empty() {
                    break;
                }
                if let Some(after) = rest.strip_prefix('*') {
                    held.any = true;
                    rest = after;
                    continue;
                }
                let (tag, after) = entity_tag(rest);
                held.tags.extend(tag.map(str::to_string));
                rest = after;
            }
        }
        held
    }

    pub fn holds(&self, version: u64) -> bool {
        self.any || self.tags.iter().any(|tag| *tag == version.to_string())
    }
}

/// The opaque tag of the entity tag `text` starts with (weak or not), if it
/// is one, and what follows the list member.
fn entity_tag(text: &str) -> (Option<&str>, &str) {
    let member_end = |from: &str| -> usize { from.find(',').unwrap_or(from.len()) };
    let quoted = text.strip_prefix("W/").unwrap_or(text);
    let Some(inner) = quoted.strip_prefix('"') else {
        let end = member_end(text);
        return (None, &text[end..]);
    };
    // etagc: %x21 / %x23-7E / obs-text (no space, no DQUOTE, no controls).
    let Some(close) = inner.find('"') else { return (None, "") };
    let tag = &inner[..close];
    let after = &inner[close + 1..];
    let well_formed = tag.chars().all(|c| c == '!' || ('#'..='~').contains(&c) || !c.is_ascii());
    let trailing = after.trim_start_matches([' ', '\t']);
    if !well_formed || !(trailing.is_empty() || trailing.starts_with(',')) {
        let end = member_end(after);
        return (None, &after[end..]);
    }
    (Some(tag), trailing)
}

#[cfg(test)]
mod tests {
    use super::HeldVersions;

    #[test]
    fn if_none_match_is_read_as_rfc_9110_says() {
        let held = |values: &[&str]| HeldVersions::parse(values.iter().copied());
        assert!(held(&["\"3\""]).holds(3));
        assert!(held(&["W/\"3\""]).holds(3), "weak comparison");
        assert!(held(&["\"1\", W/\"3\" , \"7\""]).holds(3), "a list");
        assert!(held(&["\"1\"", "\"3\""]).holds(3), "several header lines");
        assert!(held(&["*"]).holds(42), "any current version");
        for no in ["3", "\"01\"", "\"3", "W/3", "\"3\"x", "\"3 \"", "", "\"\"", "W/\"03\""] {
            assert!(!held(&[no]).holds(3), "{no:?}");
        }
        // A malformed member does not spoil the rest of the list.
        assert!(held(&["3, \"3\""]).holds(3));
        assert!(held(&["\"a,b\", \"3\""]).holds(3), "a comma inside a tag");
        assert!(!held(&["\"2\""]).holds(3));
    }
}
