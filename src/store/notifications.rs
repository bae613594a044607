use crate::db::{schema::notifications, DbConn};
use crate::domain::NotificationKind;
use crate::error::Error;
use crate::store::statuses::Page;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub account_id: i64,
    pub from_account_id: i64,
    pub kind: NotificationKind,
    pub status_id: Option<i64>,
    pub read: bool,
    pub created_at: NaiveDateTime,
    /// For `admin.report`: the report moderators are told of.
    pub report_id: Option<i64>,
}

pub fn insert(conn: &mut DbConn, notification: &Notification) -> Result<(), Error> {
    diesel::insert_into(notifications::table)
        .values(notification)
        .execute(conn)?;
    crate::events::record(crate::events::Event::Notified {
        id: notification.id,
        account: notification.account_id,
    });
    Ok(())
}

/// A page of an account's notifications, newest first, limited to `types` (if any) and
/// without `exclude`.
pub fn page(
    conn: &mut DbConn,
    account_id: i64,
    types: &[String],
    exclude: &[String],
    page: Page,
) -> Result<Vec<Notification>, Error> {
    let mut query = notifications::table
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::kind.ne_all(exclude))
        .select(Notification::as_select())
        .into_boxed();
    if !types.is_empty() {
        query = query.filter(notifications::kind.eq_any(types));
    }
    Ok(load_page!(conn, query, notifications::id, page))
}

impl super::Keyed for Notification {
    fn cursor(&self) -> i64 {
        self.id
    }
}

pub fn by_id(conn: &mut DbConn, account_id: i64, id: i64) -> Result<Option<Notification>, Error> {
    Ok(notifications::table
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::id.eq(id))
        .select(Notification::as_select())
        .first(conn)
        .optional()?)
}

/// Remove one notification of an account, or all of them when `id` is `None`.
pub fn dismiss(conn: &mut DbConn, account_id: i64, id: Option<i64>) -> Result<(), Error> {
    let mine = notifications::table.filter(notifications::account_id.eq(account_id));
    match id {
        Some(id) => diesel::delete(mine.filter(notifications::id.eq(id))).execute(conn)?,
        None => diesel::delete(mine).execute(conn)?,
    };
    Ok(())
}
