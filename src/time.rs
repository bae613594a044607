//! Time as Guild stores and shows it: naive UTC with millisecond precision in the database,
//! RFC 3339 with milliseconds in every JSON document and page.

use chrono::NaiveDateTime;

/// The current time as stored.
pub fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::Duration::milliseconds(1)).unwrap_or(now)
}

/// `2026-01-02T03:04:05.678Z`, the shape Mastodon clients and ActivityPub peers expect.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
