//! Identifiers.

/// A new account id: `acc_` and a ULID, lower-case.
pub fn new_account_id() -> String {
    format!("acc_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A new key id: `key_` and a ULID, lower-case.
pub fn new_key_id() -> String {
    format!("key_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// `prefix` and a lower-case ULID: the shape of every id this service makes
/// but email providers'.
fn is_prefixed_ulid(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|ulid| {
        ulid.len() == 26
            && ulid.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            && ulid::Ulid::from_string(ulid).is_ok()
    })
}

pub fn is_account_id(value: &str) -> bool {
    is_prefixed_ulid(value, "acc_")
}

pub fn is_key_id(value: &str) -> bool {
    is_prefixed_ulid(value, "key_")
}

pub fn is_provider_credential_id(value: &str) -> bool {
    is_prefixed_ulid(value, "pc_")
}

/// Email provider ids are positive integers (`1`, `2`, ... per account).
pub fn parse_email_provider_id(value: &str) -> Option<u64> {
    (value.len() <= 20 && value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| value.parse::<u64>().ok())
        .flatten()
        .filter(|id| *id > 0)
}

/// Whether `value` has the shape of any id of ours.
pub fn is_resource_id(value: &str) -> bool {
    is_account_id(value)
        || is_key_id(value)
        || is_provider_credential_id(value)
        || parse_email_provider_id(value).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_shapes() {
        assert!(is_key_id(&new_key_id()) && is_account_id(&new_account_id()));
        let pc = format!("pc_{}", ulid::Ulid::new().to_string().to_lowercase());
        assert!(is_provider_credential_id(&pc) && is_resource_id(&pc));
        for bad in
            [String::new(), "pc_".into(), format!("pc_{}", "a".repeat(2100)), pc.to_uppercase(), format!("{pc}x")]
        {
            assert!(!is_provider_credential_id(&bad), "{bad:.40}");
        }
        assert_eq!(parse_email_provider_id("42"), Some(42));
        for bad in ["0", "-1", "+1", "1.0", " 1", "99999999999999999999999"] {
            assert_eq!(parse_email_provider_id(bad), None, "{bad}");
        }
    }
}
