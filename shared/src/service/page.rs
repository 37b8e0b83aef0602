//! One paging scheme for every list: `limit` (1–100, 50 when absent) and a
//! cursor that is the id of the previous page's last item. Stores read
//! `limit + 1` items from the cursor on (DynamoDB `Limit`, never the whole
//! account); the one more says that a next page exists.

use crate::domain::Invalid;

pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 100;

/// A page of items; `next_cursor` continues after the last one.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Page size from a query or body: 1–100, 50 when absent.
pub fn page_limit(raw: Option<i64>) -> Result<usize, Invalid> {
    match raw {
        None => Ok(DEFAULT_PAGE),
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| Invalid::field("limit", format!("limit must be an integer from 1 to {MAX_PAGE}"))),
    }
}

/// A cursor: the id of an item of this list, parsed by its kind's `parse`.
pub fn page_cursor<T>(raw: Option<&str>, parse: fn(&str) -> Option<T>) -> Result<Option<T>, Invalid> {
    match raw.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => parse(c).map(Some).ok_or_else(|| Invalid::field("cursor", "Invalid cursor")),
    }
}

/// A page of `limit` from up to `limit + 1` items.
pub fn paginate<T>(mut items: Vec<T>, limit: usize, id: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = (items.len() > limit).then(|| id(&items[limit - 1]));
    items.truncate(limit);
    Page { items, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{EmailProviderId, KeyId, ProviderCredentialId};

    #[test]
    fn limits_and_cursors() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_PAGE);
        assert!(page_limit(Some(0)).is_err() && page_limit(Some(101)).is_err());
        assert_eq!(page_cursor(Some(""), KeyId::parse).unwrap(), None);
        let id = KeyId::new();
        assert_eq!(page_cursor(Some(id.as_str()), KeyId::parse).unwrap(), Some(id.clone()));
        assert!(page_cursor(Some(id.as_str()), ProviderCredentialId::parse).is_err());
        assert!(page_cursor(Some("key_nope"), KeyId::parse).is_err());
        assert_eq!(page_cursor(Some("12"), EmailProviderId::parse).unwrap(), EmailProviderId::from_counter(12));
        for bad in ["0", "-1", "x", "1.5"] {
            assert!(page_cursor(Some(bad), EmailProviderId::parse).is_err(), "{bad}");
        }
        let page = paginate(vec!["a", "b", "c"], 2, |s| s.to_string());
        assert_eq!((page.items, page.next_cursor), (vec!["a", "b"], Some("b".to_string())));
        let page = paginate(vec!["a"], 2, |s| s.to_string());
        assert_eq!(page.next_cursor, None);
    }
}
