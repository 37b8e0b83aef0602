//! Whether this server can reach its AWS: one cheap call to each dependency
//! (DynamoDB `DescribeTable` of the main table, KMS `DescribeKey` of the
//! wrapping key), bounded, and cached for a few seconds so that a health
//! check never becomes load.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::crypto::Envelope;
use crate::store::Store;

/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long an answer is reused.
const CACHE_FOR: Duration = Duration::from_secs(5);

/// When the last probe ran, and what failed then.
type LastProbe = Option<(Instant, Vec<&'static str>)>;

#[derive(Clone, Debug)]
pub struct Health {
    store: Store,
    envelope: Envelope,
    last: Arc<Mutex<LastProbe>>,
}

impl Health {
    pub fn new(store: Store, envelope: Envelope) -> Self {
        Health { store, envelope, last: Arc::default() }
    }

    /// The dependencies that failed their probe (`dynamodb`, `kms`): none
    /// when all is well.
    pub async fn failing(&self) -> Vec<&'static str> {
        if let Some((at, failing)) = self.last.lock().expect("not poisoned").as_ref() {
            if at.elapsed() < CACHE_FOR {
                return failing.clone();
            }
        }
        let (dynamodb, kms) = tokio::join!(
            tokio::time::timeout(PROBE_TIMEOUT, self.store.reachable()),
            tokio::time::timeout(PROBE_TIMEOUT, self.envelope.reachable()),
        );
        let (dynamodb, kms) = (dynamodb == Ok(true), kms == Ok(true));
        let failing: Vec<&'static str> =
            [("dynamodb", dynamodb), ("kms", kms)].into_iter().filter(|(_, ok)| !ok).map(|(name, _)| name).collect();
        *self.last.lock().expect("not poisoned") = Some((Instant::now(), failing.clone()));
        failing
    }
}
