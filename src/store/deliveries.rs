//! The outbox (`activities`), its delivery queue (`deliveries`) and the ids of inbound
//! activities already processed (`received_activities`).

use crate::db::{
    schema::{accounts, activities, deliveries, received_activities},
    DbConn,
};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = activities)]
pub struct NewActivity<'a> {
    pub id: i64,
    pub ap_id: &'a str,
    pub kind: &'a str,
    pub actor_id: i64,
    pub object_ap_id: Option<&'a str>,
    pub data: &'a str,
    pub created_at: NaiveDateTime,
}

/// A delivery to queue: inbox URL, its domain, and when to try first.
pub struct Target {
    pub inbox: String,
    pub domain: String,
    pub first_attempt_at: NaiveDateTime,
}

/// Store an outbound activity and one queued delivery per inbox, in the caller's transaction.
pub fn insert_with_deliveries(
    conn: &mut DbConn,
    activity: &NewActivity,
    targets: &[Target],
) -> Result<(), Error> {
    diesel::insert_into(activities::table)
        .values(activity)
        .execute(conn)?;
    for target in targets {
        diesel::insert_into(deliveries::table)
            .values((
                deliveries::id.eq(crate::ids::next_id()),
                deliveries::activity_id.eq(activity.id),
                deliveries::inbox_url.eq(&target.inbox),
                deliveries::domain.eq(&target.domain),
                deliveries::next_attempt_at.eq(target.first_attempt_at),
                deliveries::created_at.eq(activity.created_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// An outbound activity's JSON by its id, for dereferencing.
pub fn activity_data(conn: &mut DbConn, ap_id: &str) -> Result<Option<String>, Error> {
    Ok(activities::table
        .filter(activities::ap_id.eq(ap_id))
        .select(activities::data)
        .first(conn)
        .optional()?)
}

/// A delivery that is due, with what is needed to sign and send it.
#[derive(Clone, Debug, Queryable)]
pub struct DueDelivery {
    pub id: i64,
    pub inbox_url: String,
    pub domain: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub data: String,
    pub actor_ap_id: String,
    pub actor_private_key: Option<String>,
}

/// Deliveries whose time has come, oldest first, leaving out instances in `busy`.
pub fn due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    busy: &[String],
    limit: i64,
) -> Result<Vec<DueDelivery>, Error> {
    Ok(deliveries::table
        .inner_join(activities::table.on(activities::id.eq(deliveries::activity_id)))
        .inner_join(accounts::table.on(accounts::id.eq(activities::actor_id)))
        .filter(deliveries::delivered_at.is_null())
        .filter(deliveries::failed_at.is_null())
        .filter(deliveries::next_attempt_at.le(now))
        .filter(deliveries::domain.ne_all(busy))
        .order(deliveries::next_attempt_at.asc())
        .limit(limit)
        .select((
            deliveries::id,
            deliveries::inbox_url,
            deliveries::domain,
            deliveries::attempts,
            deliveries::next_attempt_at,
            activities::data,
            accounts::ap_id,
            accounts::private_key_pem,
        ))
        .load(conn)?)
}

/// Take a due delivery for this worker by moving its next attempt to `lease_until`. Only one
/// worker (on any node) wins; a worker that dies leaves the row due again after the lease.
pub fn claim(
    conn: &mut DbConn,
    delivery: &DueDelivery,
    lease_until: NaiveDateTime,
) -> Result<bool, Error> {
    let claimed = diesel::update(
        deliveries::table
            .find(delivery.id)
            .filter(deliveries::next_attempt_at.eq(delivery.next_attempt_at))
            .filter(deliveries::delivered_at.is_null()),
    )
    .set(deliveries::next_attempt_at.eq(lease_until))
    .execute(conn)?;
    Ok(claimed == 1)
}

pub fn mark_delivered(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::delivered_at.eq(now),
            deliveries::attempts.eq(deliveries::attempts + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// Record a failed attempt: retry at `retry_at`, or give up when it is `None`.
pub fn mark_attempt_failed(
    conn: &mut DbConn,
    id: i64,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let target = deliveries::table.find(id);
    let changes = (
        deliveries::attempts.eq(deliveries::attempts + 1),
        deliveries::last_error.eq(error),
    );
    match retry_at {
        Some(at) => diesel::update(target)
            .set((changes, deliveries::next_attempt_at.eq(at)))
            .execute(conn)?,
        None => diesel::update(target)
            .set((changes, deliveries::failed_at.eq(now)))
            .execute(conn)?,
    };
    Ok(())
}

/// Counts of deliveries by outcome: (queued, delivered, failed).
pub fn counts(conn: &mut DbConn) -> Result<(i64, i64, i64), Error> {
    let queued = deliveries::table
        .filter(deliveries::delivered_at.is_null())
        .filter(deliveries::failed_at.is_null())
        .count()
        .get_result(conn)?;
    let delivered = deliveries::table
        .filter(deliveries::delivered_at.is_not_null())
        .count()
        .get_result(conn)?;
    let failed = deliveries::table
        .filter(deliveries::failed_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((queued, delivered, failed))
}

/// Deliveries still to make: (never tried, tried and to be tried again). Both are counted
/// on the front of the due index, so the cost is that of the queue, not of its history.
pub fn waiting(conn: &mut DbConn) -> Result<(i64, i64), Error> {
    let pending = || {
        deliveries::table
            .filter(deliveries::delivered_at.is_null())
            .filter(deliveries::failed_at.is_null())
    };
    let queued = pending()
        .filter(deliveries::attempts.eq(0))
        .count()
        .get_result(conn)?;
    let retrying = pending()
        .filter(deliveries::attempts.gt(0))
        .count()
        .get_result(conn)?;
    Ok((queued, retrying))
}

/// Claim an inbound activity id for processing; false if it was claimed before. The unique
/// key decides, so two copies arriving at once are processed once.
pub fn mark_received(conn: &mut DbConn, ap_id: &str, now: NaiveDateTime) -> Result<bool, Error> {
    let inserted = diesel::insert_into(received_activities::table)
        .values((
            received_activities::ap_id.eq(ap_id),
            received_activities::received_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Forget a claim whose processing failed, so the sender's retry is processed.
pub fn unmark_received(conn: &mut DbConn, ap_id: &str) -> Result<(), Error> {
    diesel::delete(received_activities::table.find(ap_id)).execute(conn)?;
    Ok(())
}
