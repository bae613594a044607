//! Time as Guild stores and shows it: naive UTC with millisecond precision in the database,
//! RFC 3339 with milliseconds in every JSON document and page.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// The current time as stored.
pub fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::Duration::milliseconds(1)).unwrap_or(now)
}

/// `2026-01-02T03:04:05.678Z`, the shape Mastodon clients and ActivityPub peers expect.
/// Written field by field: a list of a thousand statuses formats thousands of times, and
/// chrono's `format` reads its pattern anew on each call.
pub fn rfc3339(t: NaiveDateTime) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        day(t),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1_000_000 % 1000
    )
}

/// `2026-01-02`.
pub fn day(t: NaiveDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_chrono_would() {
        for text in [
            "2026-01-02 03:04:05.678",
            "1999-12-31 23:59:59.001",
            "2026-07-08 10:00:00",
        ] {
            let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap();
            let expected = t.and_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            assert_eq!(rfc3339(t), expected);
            assert_eq!(day(t), t.format("%Y-%m-%d").to_string());
        }
    }
}
