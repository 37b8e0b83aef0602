//! Times: one type, in UTC to the second, written one way (RFC 3339 with a
//! `Z`, such as `2026-11-24T10:00:00Z`) in the tables, the answers and the
//! audit records alike.

use std::fmt;
use std::ops::{Add, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self::from(OffsetDateTime::now_utc())
    }

    /// An RFC 3339 time in any offset (kept to the second, in UTC); `None`
    /// for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339).ok().map(Self::from)
    }

    pub fn as_offset_date_time(self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(at: OffsetDateTime) -> Self {
        let at = at.to_offset(UtcOffset::UTC).replace_nanosecond(0).expect("0 is a valid nanosecond");
        Timestamp(at)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A UTC time to the second always formats, as `...T10:00:00Z`.
        f.write_str(&self.0.format(&Rfc3339).map_err(|_| fmt::Error)?)
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, duration: Duration) -> Timestamp {
        Timestamp::from(self.0 + duration)
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, duration: Duration) -> Timestamp {
        Timestamp::from(self.0 - duration)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 time"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_as_before_and_read_back() {
        // The shape every earlier version stored and answered.
        let stored = "2025-12-03T10:30:00Z";
        let at = Timestamp::parse(stored).unwrap();
        assert_eq!(at.to_string(), stored);
        assert_eq!(serde_json::to_string(&at).unwrap(), format!("\"{stored}\""));
        assert_eq!(serde_json::from_str::<Timestamp>(&format!("\"{stored}\"")).unwrap(), at);
        // Any offset or fraction comes out in UTC, to the second.
        assert_eq!(Timestamp::parse("2025-12-03T12:30:00.987+02:00").unwrap().to_string(), stored);
        assert!(Timestamp::parse("yesterday").is_none());
        assert!(at < at + Duration::seconds(1) && (at - Duration::minutes(1)).to_string() == "2025-12-03T10:29:00Z");
    }
}
