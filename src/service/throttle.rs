//! Slowing down password guessing: after a few failed sign-ins for one name, or from one
//! address, each further try must wait, twice as long after each failure, up to a quarter of
//! an hour. Counts are kept in the database, so every node of an instance applies them, and
//! they lapse (and are swept away) a day after the last failure.

use crate::db::DbConn;
use crate::error::Error;
use crate::store::sign_in_failures as store;
use chrono::{NaiveDateTime, TimeDelta};

/// Failures allowed for one name before waiting starts; several people behind one address
/// mistype too, so an address is allowed more.
const FREE_PER_NAME: i32 = 5;
const FREE_PER_ADDRESS: i32 = 20;
/// The longest wait, in seconds.
const LONGEST_WAIT: i64 = 15 * 60;
/// Counts older than this start again from nothing.
const FORGOTTEN_AFTER: TimeDelta = TimeDelta::days(1);

/// The keys a sign-in is counted under: the name tried (known or not, so that the answer does
/// not tell which names exist) and the client's address.
pub fn keys(login: &str, address: &str) -> [(String, i32); 2] {
    [
        (
            format!("name:{}", login.trim().to_lowercase()),
            FREE_PER_NAME,
        ),
        (format!("address:{address}"), FREE_PER_ADDRESS),
    ]
}

/// How long to wait after `failures` when `free` are allowed.
fn wait_seconds(failures: i32, free: i32) -> i64 {
    match failures - free {
        over if over < 0 => 0,
        over => 1_i64
            .checked_shl(over as u32)
            .unwrap_or(LONGEST_WAIT)
            .min(LONGEST_WAIT),
    }
}

/// Refuse with 429 while any key must still wait.
pub fn check(conn: &mut DbConn, keys: &[(String, i32)], now: NaiveDateTime) -> Result<(), Error> {
    for (key, free) in keys {
        let Some((failures, last)) = store::get(conn, key)? else {
            continue;
        };
        if now - last > FORGOTTEN_AFTER {
            continue;
        }
        let until = last + TimeDelta::seconds(wait_seconds(failures, *free));
        if until > now {
            let seconds = (until - now).num_seconds().max(1);
            return Err(Error::SlowDown(seconds as u64));
        }
    }
    Ok(())
}

/// Count a failure under every key, and sweep away counts that have lapsed, so that the table
/// holds only the last day's failures.
pub fn failed(conn: &mut DbConn, keys: &[(String, i32)], now: NaiveDateTime) -> Result<(), Error> {
    store::forget_before(conn, now - FORGOTTEN_AFTER)?;
    for (key, _) in keys {
        let before = match store::get(conn, key)? {
            Some((failures, last)) if now - last <= FORGOTTEN_AFTER => failures,
            _ => 0,
        };
        store::set(conn, key, before.saturating_add(1), now)?;
    }
    Ok(())
}

/// A success clears the name's count (not the address's: one right password does not vouch
/// for the other names tried from there).
pub fn succeeded(conn: &mut DbConn, keys: &[(String, i32)]) -> Result<(), Error> {
    match keys.first() {
        Some((name, _)) => store::clear(conn, name),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::wait_seconds;

    #[test]
    fn waits_double_after_the_free_failures_up_to_a_quarter_hour() {
        assert_eq!(wait_seconds(4, 5), 0);
        assert_eq!(wait_seconds(5, 5), 1);
        assert_eq!(wait_seconds(6, 5), 2);
        assert_eq!(wait_seconds(10, 5), 32);
        assert_eq!(wait_seconds(40, 5), 900);
        assert_eq!(wait_seconds(i32::MAX, 5), 900);
    }
}
