//! JSON shapes of the Mastodon client API, built from store rows.

pub mod account;
pub mod instance;
pub mod status;

use chrono::NaiveDateTime;

/// RFC 3339 in UTC with milliseconds, as Mastodon clients parse it.
pub fn time(t: NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
