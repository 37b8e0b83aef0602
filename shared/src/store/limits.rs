//! Request limits as sliding windows: one item per limit holding the times
//! of its last admissions, taken with one conditional write.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use super::attrs::{n, s, Item, Reader};
use super::{Store, StoreError};

impl Store {
    /// Takes one of `slots` places in a sliding window of `window_ms`
    /// milliseconds, with one conditional write. The item keeps the times of
    /// the last `slots` admissions, oldest first (`s0`); a new one is
    /// admitted when the oldest is at least a window old, and then every
    /// time moves down one place and `now` takes the last. DynamoDB reads
    /// every operand of an update from the item as it was, so the shift is
    /// exact; a missing place counts as free (time 0).
    pub async fn take_slot(&self, limit: &str, slots: usize, window_ms: i64, now_ms: i64) -> Result<Slots, StoreError> {
        let mut sets: Vec<String> =
            (0..slots - 1).map(|i| format!("s{i} = if_not_exists(s{}, :free)", i + 1)).collect();
        sets.push(format!("s{} = :now", slots - 1));
        sets.push("#ttl = :ttl".to_string());
        let result = self
            .client()
            .update_item()
            .table_name(&self.tables().main)
            .key("pk", s(format!("LIMIT#{limit}")))
            .key("sk", s("LIMIT"))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_not_exists(s0) OR s0 <= :cutoff")
            .expression_attribute_names("#ttl", super::schema::TTL_ATTRIBUTE)
            .expression_attribute_values(":free", n(0))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":cutoff", n(now_ms - window_ms))
            .expression_attribute_values(":ttl", n((now_ms + window_ms) / 1000 + 60))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        let slot_times =
            |item: &Item| -> Vec<i64> { (0..slots).map(|i| Reader(item).n(&format!("s{i}")).unwrap_or(0)).collect() };
        match result {
            Ok(out) => Ok(Slots { admitted: true, times: slot_times(&out.attributes.unwrap_or_default()) }),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    // Without the old item (an emulator may not send it), the
                    // window is taken as just full.
                    let times = match failed.item() {
                        Some(item) => slot_times(item),
                        None => vec![now_ms; slots],
                    };
                    Ok(Slots { admitted: false, times })
                }
                _ => Err(StoreError::aws(err)),
            },
        }
    }
}

/// The outcome of [`Store::take_slot`]: whether the request was admitted,
/// and the admission times the window holds (0 for a free place).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slots {
    pub admitted: bool,
    pub times: Vec<i64>,
}
