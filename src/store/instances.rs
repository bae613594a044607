//! Delivery health per domain.

use crate::db::{schema::instances, DbConn};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Since when deliveries to `domain` keep failing, if they do.
pub fn failing_since(conn: &mut DbConn, domain: &str) -> Result<Option<NaiveDateTime>, Error> {
    Ok(instances::table
        .find(domain)
        .select(instances::failing_since)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten())
}

/// Record whether an instance answered: an answer clears the failing mark, a failure starts
/// it. `last_success_at` is the last answer after a failure.
pub fn record(
    conn: &mut DbConn,
    domain: &str,
    success: bool,
    now: NaiveDateTime,
) -> Result<(), Error> {
    // The common case, a healthy instance answering, needs no write.
    if success && failing_since(conn, domain)?.is_none() {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        let known = instances::table
            .find(domain)
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if !known {
            diesel::insert_into(instances::table)
                .values(instances::domain.eq(domain))
                .execute(conn)?;
        }
        let row = instances::table.find(domain);
        if success {
            diesel::update(row)
                .set((
                    instances::failing_since.eq(None::<NaiveDateTime>),
                    instances::last_success_at.eq(now),
                ))
                .execute(conn)?;
        } else {
            diesel::update(row.filter(instances::failing_since.is_null()))
                .set(instances::failing_since.eq(now))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Domains whose deliveries have failed since before `before`, with that time.
pub fn unreachable(
    conn: &mut DbConn,
    before: NaiveDateTime,
) -> Result<Vec<(String, NaiveDateTime)>, Error> {
    let rows: Vec<(String, Option<NaiveDateTime>)> = instances::table
        .filter(instances::failing_since.lt(before))
        .order(instances::domain.asc())
        .select((instances::domain, instances::failing_since))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(d, t)| t.map(|t| (d, t)))
        .collect())
}

/// What `domain` runs, as its nodeinfo said (empty when it could not be read); `None` when
/// it was never asked.
pub fn software(conn: &mut DbConn, domain: &str) -> Result<Option<String>, Error> {
    Ok(instances::table
        .find(domain)
        .select(instances::software)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Domains among `domains` known to run one of `names`.
pub fn running(
    conn: &mut DbConn,
    domains: &[String],
    names: &[&str],
) -> Result<Vec<String>, Error> {
    Ok(instances::table
        .filter(instances::domain.eq_any(domains))
        .filter(instances::software.eq_any(names))
        .select(instances::domain)
        .load(conn)?)
}

/// Keep what `domain` runs.
pub fn set_software(conn: &mut DbConn, domain: &str, name: &str) -> Result<(), Error> {
    crate::on_backend!(conn, |c| diesel::insert_into(instances::table)
        .values((instances::domain.eq(domain), instances::software.eq(name)))
        .on_conflict(instances::domain)
        .do_update()
        .set(instances::software.eq(name))
        .execute(c))?;
    Ok(())
}
