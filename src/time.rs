//! Time as Guild stores and shows it: naive UTC with millisecond precision in the database,
//! RFC 3339 with milliseconds in every JSON document and page.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// The current time as stored.
pub fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::Duration::milliseconds(1)).unwrap_or(now)
}

/// `2026-01-02T03:04:05.678Z`, the shape Mastodon clients and ActivityPub peers expect.
/// Written digit by digit: a thread's context formats thousands of times, and through
/// `format!` that was 3% of its time.
pub fn rfc3339(t: NaiveDateTime) -> String {
    let mut out = day(t);
    out.push('T');
    push_digits(&mut out, t.hour(), 2);
    out.push(':');
    push_digits(&mut out, t.minute(), 2);
    out.push(':');
    push_digits(&mut out, t.second(), 2);
    out.push('.');
    push_digits(&mut out, t.nanosecond() / 1_000_000 % 1000, 3);
    out.push('Z');
    out
}

/// `2026-01-02`.
pub fn day(t: NaiveDateTime) -> String {
    let Ok(year @ 0..=9999) = u32::try_from(t.year()) else {
        // Years of other than four digits are written as chrono writes them.
        return t.format("%Y-%m-%d").to_string();
    };
    let mut out = String::with_capacity(24);
    push_digits(&mut out, year, 4);
    out.push('-');
    push_digits(&mut out, t.month(), 2);
    out.push('-');
    push_digits(&mut out, t.day(), 2);
    out
}

/// The last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = n / 10u32.pow(place) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
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
            "0042-03-04 05:06:07.089",
            "+12026-01-02 03:04:05.678",
        ] {
            let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap();
            let expected = t.and_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            assert_eq!(rfc3339(t), expected);
            assert_eq!(day(t), t.format("%Y-%m-%d").to_string());
        }
    }
}
