//! Identifiers and timestamps.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A new account id: `acc_` and a ULID, lower-case.
pub fn new_account_id() -> String {
    format!("acc_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A new key id: `key_` and a ULID, lower-case.
pub fn new_key_id() -> String {
    format!("key_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A time to the second, as `2025-12-03T10:30:00Z`. Every stored time has
/// this shape, so stored times compare correctly as text.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).expect("0 is a valid nanosecond");
    at.format(&Rfc3339).expect("a UTC time always formats")
}

pub fn now_rfc3339() -> String {
    format_rfc3339(OffsetDateTime::now_utc())
}
