//! Reading and writing DynamoDB attribute values.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::StoreError;
use crate::domain::ids::AccountId;
use crate::domain::timestamp::Timestamp;

pub type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(value: impl AsRef<str>) -> AttributeValue {
    AttributeValue::S(value.as_ref().to_string())
}

/// A time as stored: its RFC 3339 text.
pub(crate) fn t(value: Timestamp) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn b(value: impl Into<Vec<u8>>) -> AttributeValue {
    AttributeValue::B(Blob::new(value))
}

pub(crate) fn string_list<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> AttributeValue {
    AttributeValue::L(values.into_iter().map(|v| s(v.as_ref())).collect())
}

/// An item whose attributes name another row than its key: copied there
/// by someone with write access to the table. It is never used.
pub(crate) fn moved_item() -> StoreError {
    StoreError::Corrupt("the item's account_id or id disagrees with its key: refused as copied from another row".into())
}

/// Typed reads of one stored item; a missing or mistyped attribute is a
/// `Corrupt` error naming the attribute.
pub(crate) struct Reader<'a>(pub &'a Item);

impl Reader<'_> {
    fn get(&self, name: &str) -> Result<&AttributeValue, StoreError> {
        self.0.get(name).ok_or_else(|| StoreError::Corrupt(format!("missing attribute {name}")))
    }

    fn wrong(name: &str) -> StoreError {
        StoreError::Corrupt(format!("attribute {name} has the wrong type"))
    }

    pub fn s(&self, name: &str) -> Result<String, StoreError> {
        self.get(name)?.as_s().cloned().map_err(|_| Self::wrong(name))
    }

    pub fn opt_s(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(v) => v.as_s().cloned().map(Some).map_err(|_| Self::wrong(name)),
        }
    }

    /// A stored time (RFC 3339, as every version wrote it).
    pub fn time(&self, name: &str) -> Result<Timestamp, StoreError> {
        Timestamp::parse(&self.s(name)?).ok_or_else(|| Self::wrong(name))
    }

    pub fn opt_time(&self, name: &str) -> Result<Option<Timestamp>, StoreError> {
        match self.opt_s(name)? {
            Some(text) => Timestamp::parse(&text).map(Some).ok_or_else(|| Self::wrong(name)),
            None => Ok(None),
        }
    }

    pub fn n<T: FromStr>(&self, name: &str) -> Result<T, StoreError> {
        self.get(name)?.as_n().ok().and_then(|v| v.parse().ok()).ok_or_else(|| Self::wrong(name))
    }

    pub fn bool(&self, name: &str) -> Result<bool, StoreError> {
        self.get(name)?.as_bool().copied().map_err(|_| Self::wrong(name))
    }

    pub fn b(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        self.get(name)?.as_b().map(|b| b.as_ref().to_vec()).map_err(|_| Self::wrong(name))
    }

    pub fn map(&self, name: &str) -> Result<&Item, StoreError> {
        self.get(name)?.as_m().map_err(|_| Self::wrong(name))
    }

    /// The account and id an item is stored under, read from its key
    /// (`pk` = `ACCOUNT#<account>`, `sk` = `<sk_prefix><id>`), checked
    /// against the item's own `account_id` attribute. Whatever is built from
    /// a record (a blob's binding above all) comes from the key it was read
    /// under, and an item copied whole under another key is refused.
    pub fn owner_key(&self, sk_prefix: &str) -> Result<(AccountId, String), StoreError> {
        let account_id = self.s("pk")?.strip_prefix("ACCOUNT#").and_then(AccountId::parse);
        let id = self.s("sk")?.strip_prefix(sk_prefix).map(str::to_string);
        let (Some(account_id), Some(id)) = (account_id, id) else {
            return Err(StoreError::Corrupt("the item's key is not of its kind".into()));
        };
        if self.s("account_id")? != account_id.as_str() {
            return Err(moved_item());
        }
        Ok((account_id, id))
    }

    /// A stored id, parsed by its kind's own `parse`.
    pub fn id<T>(&self, name: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
        parse(&self.s(name)?).ok_or_else(|| StoreError::Corrupt(format!("attribute {name} is not an id of its kind")))
    }

    pub fn opt_id<T>(&self, name: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>, StoreError> {
        match self.opt_s(name)? {
            Some(raw) => parse(&raw)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt(format!("attribute {name} is not an id of its kind"))),
            None => Ok(None),
        }
    }

    pub fn string_list(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let list = self.get(name)?.as_l().map_err(|_| Self::wrong(name))?;
        list.iter().map(|v| v.as_s().cloned().map_err(|_| Self::wrong(name))).collect()
    }

    pub fn opt_string_list(&self, name: &str) -> Result<Option<Vec<String>>, StoreError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(_) => self.string_list(name).map(Some),
        }
    }
}
