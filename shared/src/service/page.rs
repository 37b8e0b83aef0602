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

/// A cursor: the id of an item of this list, `<prefix><ULID>` (the ULID in
/// either case, as ids are written).
pub fn page_cursor(raw: Option<&str>, prefix: &str) -> Result<Option<String>, Invalid> {
    match raw.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c
            .strip_prefix(prefix)
            .filter(|ulid| ulid::Ulid::from_string(ulid).is_ok())
            .map(|_| Some(c.to_string()))
            .ok_or_else(|| Invalid::field("cursor", "Invalid cursor")),
    }
}

/// A cursor that is a numeric id (email providers): a positive integer.
pub fn numeric_cursor(raw: Option<&str>) -> Result<Option<u64>, Invalid> {
    match raw.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => {
            c.parse().ok().filter(|id| *id > 0).map(Some).ok_or_else(|| Invalid::field("cursor", "Invalid cursor"))
        }
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

    #[test]
    fn limits_and_cursors() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_PAGE);
        assert!(page_limit(Some(0)).is_err() && page_limit(Some(101)).is_err());
        assert_eq!(page_cursor(Some(""), "key_").unwrap(), None);
        let id = format!("key_{}", ulid::Ulid::new().to_string().to_lowercase());
        assert_eq!(page_cursor(Some(&id), "key_").unwrap(), Some(id.clone()));
        assert!(page_cursor(Some(&id), "pc_").is_err());
        assert!(page_cursor(Some("key_nope"), "key_").is_err());
        assert_eq!(numeric_cursor(Some("12")).unwrap(), Some(12));
        for bad in ["0", "-1", "x", "1.5"] {
            assert!(numeric_cursor(Some(bad)).is_err(), "{bad}");
        }
        let page = paginate(vec!["a", "b", "c"], 2, |s| s.to_string());
        assert_eq!((page.items, page.next_cursor), (vec!["a", "b"], Some("b".to_string())));
        let page = paginate(vec!["a"], 2, |s| s.to_string());
        assert_eq!(page.next_cursor, None);
    }
}
