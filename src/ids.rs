//! Time-ordered 64-bit ids: milliseconds since the Unix epoch in the high 48 bits, then a
//! 6-bit tag random per process (so several nodes on one database rarely meet), then a
//! 10-bit sequence. Ordering by id is ordering by creation time, which keyset pagination
//! relies on.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    OnceLock,
};

static LAST: AtomicI64 = AtomicI64::new(0);

fn process_tag() -> i64 {
    static TAG: OnceLock<i64> = OnceLock::new();
    *TAG.get_or_init(|| rand::random_range(0..64))
}

/// A new id, greater than every id this process handed out before.
pub fn next_id() -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    let candidate = (now << 16) | (process_tag() << 10);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let id = if candidate > last {
            candidate
        } else {
            last + 1
        };
        match LAST.compare_exchange_weak(last, id, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return id,
            Err(seen) => last = seen,
        }
    }
}

/// When an id was made.
pub fn time_of(id: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(id >> 16)
        .unwrap_or_default()
        .naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_carry_the_time() {
        let before = chrono::Utc::now().timestamp_millis();
        let ids: Vec<i64> = (0..5000).map(|_| next_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids[0] >= before << 16);
        let made = time_of(ids[0]).and_utc().timestamp_millis();
        assert!(made >= before && made - before < 1000);
    }
}
