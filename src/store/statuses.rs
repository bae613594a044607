use crate::db::{
    schema::{accounts, statuses},
    DbConn,
};
use crate::domain::Visibility;
use crate::error::Error;
use crate::events::{self, Event};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A post, reply or boost.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = statuses)]
pub struct Status {
    pub id: i64,
    pub account_id: i64,
    pub community_id: Option<i64>,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_account_id: Option<i64>,
    pub thread_root_id: Option<i64>,
    pub reblog_of_id: Option<i64>,
    pub ap_id: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub source: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub local: bool,
    pub replies_count: i32,
    pub reblogs_count: i32,
    pub favourites_count: i32,
    #[diesel(deserialize_as = crate::db::stamp::Stamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub edited_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub deleted_at: Option<NaiveDateTime>,
    /// When a moderator removed it (hidden from all but its author and the moderators).
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub removed_at: Option<NaiveDateTime>,
    /// A locked thread takes no new replies.
    pub locked: bool,
    /// When it was pinned to its community's featured threads.
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub pinned_at: Option<NaiveDateTime>,
    /// When its author pinned it to their profile.
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub profile_pinned_at: Option<NaiveDateTime>,
}

impl Status {
    /// A status just made: empty, in no thread or community, with nothing counted,
    /// edited, deleted, removed, locked or pinned. Callers set what it has.
    pub fn new(id: i64, account_id: i64, ap_id: String, visibility: Visibility) -> Status {
        Status {
            id,
            account_id,
            community_id: None,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            thread_root_id: None,
            reblog_of_id: None,
            ap_id,
            url: None,
            title: None,
            source: String::new(),
            content: String::new(),
            spoiler_text: String::new(),
            sensitive: false,
            visibility,
            language: None,
            local: false,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            created_at: crate::time::now(),
            edited_at: None,
            deleted_at: None,
            removed_at: None,
            locked: false,
            pinned_at: None,
            profile_pinned_at: None,
        }
    }
}

/// What an edit may change.
#[derive(AsChangeset)]
#[diesel(table_name = statuses, treat_none_as_null = true)]
pub struct StatusEdit {
    pub title: Option<String>,
    pub source: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub edited_at: Option<NaiveDateTime>,
}

/// Keep a new status; it reaches the homes it belongs in.
pub fn insert(conn: &mut DbConn, status: &Status) -> Result<(), Error> {
    let words = search_words(status);
    diesel::insert_into(statuses::table)
        .values((status, statuses::search_text.eq(words)))
        .execute(conn)?;
    posted(conn, status)
}

/// What follows a new status: its place in home feeds and its stream event.
pub(super) fn posted(conn: &mut DbConn, status: &Status) -> Result<(), Error> {
    super::home_feed::fan_out(conn, status.id, status.id)?;
    events::record(Event::Posted { id: status.id });
    Ok(())
}

/// The words a post is searched by (`store::search`): its text as written, or the text of
/// its HTML where it came from elsewhere. Boosts have none of their own.
fn search_words(status: &Status) -> String {
    match status.reblog_of_id {
        Some(_) => String::new(),
        None => words_of(&status.source, &status.content),
    }
}

fn words_of(source: &str, content: &str) -> String {
    match source.is_empty() {
        true => crate::service::text::plain(content),
        false => source.to_string(),
    }
}

/// Many statuses at once, as the seeding benchmark writes them; they reach homes as
/// [`insert`]'s do. No events are recorded: nobody streams a bulk load.
pub fn insert_batch(conn: &mut DbConn, batch: &[Status]) -> Result<(), Error> {
    // 27 columns a row: 500 rows stay under both backends' limits on bound values.
    for chunk in batch.chunks(500) {
        let insert = diesel::insert_into(statuses::table).values(chunk);
        crate::on_backend!(&mut *conn, |c| insert.execute(c))?;
        for status in chunk {
            super::search::set_text(conn, status.id, &search_words(status))?;
        }
        let ids = chunk.iter().map(|s| s.id);
        if let (Some(first), Some(last)) = (ids.clone().min(), ids.max()) {
            super::home_feed::fan_out(conn, first, last)?;
        }
    }
    Ok(())
}

pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Option<Status>, Error> {
    Ok(statuses::table
        .find(id)
        .select(Status::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Option<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::ap_id.eq(ap_id))
        .select(Status::as_select())
        .first(conn)
        .optional()?)
}

pub fn edit(conn: &mut DbConn, id: i64, edit: &StatusEdit) -> Result<(), Error> {
    let words = words_of(&edit.source, &edit.content);
    diesel::update(statuses::table.find(id))
        .set((edit, statuses::search_text.eq(words)))
        .execute(conn)?;
    events::record(Event::Edited { id });
    Ok(())
}

/// Keep a deleted status as a tombstone: its id stays known so late copies are refused.
pub fn mark_deleted(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(statuses::table.find(id))
        .set((
            statuses::deleted_at.eq(now),
            statuses::content.eq(""),
            statuses::source.eq(""),
            statuses::search_text.eq(""),
            statuses::title.eq(None::<String>),
        ))
        .execute(conn)?;
    super::home_feed::forget(conn, id)?;
    super::questions::forget_answer(conn, id)?;
    super::boosts::delete_of(conn, &[id])?;
    events::record(Event::Deleted { id, boost_of: None });
    Ok(())
}

/// Every status of an account not yet deleted (its boosts included).
pub fn live_of_author(conn: &mut DbConn, account_id: i64) -> Result<Vec<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null())
        .select(Status::as_select())
        .load(conn)?)
}

/// The standing threads of a community (its posts that answer nothing), oldest first.
pub fn threads_in(conn: &mut DbConn, community_id: i64) -> Result<Vec<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::community_id.eq(community_id))
        .filter(statuses::in_reply_to_id.is_null())
        .filter(statuses::reblog_of_id.is_null())
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .order(statuses::id.asc())
        .select(Status::as_select())
        .load(conn)?)
}

/// A page of public and unlisted statuses, newest first (keyset on id): those of an account
/// (boosts included), or those in a community when `in_community`.
pub fn public_page(
    conn: &mut DbConn,
    account_id: i64,
    in_community: bool,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Status>, Error> {
    let mut query = statuses::table
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .filter(statuses::visibility.eq_any([Visibility::Public, Visibility::Unlisted]))
        .order(statuses::id.desc())
        .limit(limit)
        .select(Status::as_select())
        .into_boxed();
    query = if in_community {
        query.filter(statuses::community_id.eq(account_id))
    } else {
        query.filter(statuses::account_id.eq(account_id))
    };
    if let Some(before) = before_id {
        query = query.filter(statuses::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Public and unlisted statuses of an account, or in a community.
pub fn public_count(conn: &mut DbConn, account_id: i64, in_community: bool) -> Result<i64, Error> {
    let query = statuses::table
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .filter(statuses::visibility.eq_any([Visibility::Public, Visibility::Unlisted]))
        .into_boxed();
    let query = if in_community {
        query.filter(statuses::community_id.eq(account_id))
    } else {
        query.filter(statuses::account_id.eq(account_id))
    };
    Ok(query.count().get_result(conn)?)
}

/// The ids other servers know the statuses `ids` by, with their own ids.
pub fn ap_ids_of_statuses(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, String)>, Error> {
    Ok(statuses::table
        .filter(super::one_of_keys(conn, statuses::id, ids))
        .select((statuses::id, statuses::ap_id))
        .load(conn)?)
}

/// Statuses by id, in one query.
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Status>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(statuses::table
        .filter(super::one_of_keys(conn, statuses::id, ids))
        .select(Status::as_select())
        .load(conn)?)
}

/// Statuses by ActivityPub id, in one query.
pub fn by_ap_ids(conn: &mut DbConn, ap_ids: &[String]) -> Result<Vec<Status>, Error> {
    Ok(statuses::table
        .filter(super::one_of(conn, statuses::ap_id, ap_ids))
        .select(Status::as_select())
        .load(conn)?)
}

/// Keyset bounds of a timeline page: newer than `since`/`min`, older than `max`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Page {
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

impl Page {
    /// A page holding at most the row `id`: a list's query narrowed to one row.
    pub fn only(id: i64) -> Page {
        Page {
            max_id: Some(id + 1),
            since_id: Some(id - 1),
            min_id: None,
            limit: 1,
        }
    }
}

pub(super) type Boxed<'a> = statuses::BoxedQuery<'a, crate::db::DbBackend>;

fn load_statuses(conn: &mut DbConn, query: Boxed<'_>, page: Page) -> Result<Vec<Status>, Error> {
    let query = query.select(Status::as_select());
    Ok(load_page!(conn, query, statuses::id, page))
}

impl super::Keyed for Status {
    fn cursor(&self) -> i64 {
        self.id
    }
}

/// Home: the viewer's own statuses, those of accounts it follows, those in communities it
/// has joined, and public ones with tags it follows; direct statuses only its own. Read from
/// the viewer's home feed (`store::home_feed`), which is written as posts arrive.
pub fn home(conn: &mut DbConn, viewer_id: i64, page: Page) -> Result<Vec<Status>, Error> {
    let ids = super::home_feed::page(conn, viewer_id, page)?;
    let mut rows: Vec<Status> = statuses::table
        .filter(super::one_of_keys(conn, statuses::id, &ids))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .select(Status::as_select())
        .load(conn)?;
    rows.sort_by_key(|s| std::cmp::Reverse(s.id));
    Ok(rows)
}

/// Public timeline: public posts (no boosts), local only or remote only if asked, without
/// accounts of silenced domains.
pub fn public(
    conn: &mut DbConn,
    (local, only_media): (Option<bool>, bool),
    silenced: &[String],
    page: Page,
) -> Result<Vec<Status>, Error> {
    let silenced_accounts = accounts::table
        .filter(accounts::domain.eq_any(silenced.to_vec()))
        .select(accounts::id);
    let mut query = statuses::table
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .filter(statuses::account_id.ne_all(silenced_accounts))
        .filter(statuses::visibility.eq(Visibility::Public))
        .filter(statuses::reblog_of_id.is_null())
        .into_boxed();
    if let Some(local) = local {
        query = query.filter(statuses::local.eq(local));
    }
    if only_media {
        query = query.filter(has_media!());
    }
    load_statuses(conn, query, page)
}

/// Whose statuses a list holds: a person's own, or those posted in a community.
#[derive(Clone, Copy, Debug)]
pub enum Whose {
    By(i64),
    InCommunity(i64),
}

/// An account's statuses (for a community, those posted in it), newest first, optionally
/// without replies or boosts, or only those with a hashtag.
pub fn by_account(
    conn: &mut DbConn,
    whose: Whose,
    (exclude_replies, exclude_reblogs, only_media): (bool, bool, bool),
    tagged: Option<&str>,
    page: Page,
) -> Result<Vec<Status>, Error> {
    let mut query = statuses::table
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .into_boxed();
    query = match whose {
        Whose::By(account_id) => query.filter(statuses::account_id.eq(account_id)),
        Whose::InCommunity(id) => query.filter(statuses::community_id.eq(id)),
    };
    if exclude_replies {
        query = query.filter(statuses::in_reply_to_id.is_null());
    }
    if exclude_reblogs {
        query = query.filter(statuses::reblog_of_id.is_null());
    }
    // Media and tags are asked of each of the account's statuses in turn, along its index:
    // a list of every status with media or with the tag is never built.
    if only_media {
        query = query.filter(has_media!());
    }
    if let Some(tag) = tagged {
        use crate::db::schema::status_tags;
        let with_tag = status_tags::table
            .filter(status_tags::status_id.eq(statuses::id))
            .filter(status_tags::tag.eq(tag.to_lowercase()));
        query = query.filter(diesel::dsl::exists(with_tag));
    }
    load_statuses(conn, query, page)
}

/// The standing replies (not deleted, removed or boosts) in the threads rooted at
/// `root_ids`, oldest first.
pub fn standing_replies(conn: &mut DbConn, root_ids: &[i64]) -> Result<Vec<Status>, Error> {
    if root_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(statuses::table
        .filter(super::one_of(conn, statuses::thread_root_id, root_ids))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .filter(statuses::reblog_of_id.is_null())
        .order(statuses::id.asc())
        .select(Status::as_select())
        .load(conn)?)
}

/// Make a community's public and unlisted posts members-only.
pub fn restrict_to_members(conn: &mut DbConn, community_id: i64) -> Result<(), Error> {
    diesel::update(
        statuses::table
            .filter(statuses::community_id.eq(community_id))
            .filter(statuses::visibility.eq_any([Visibility::Public, Visibility::Unlisted])),
    )
    .set(statuses::visibility.eq(Visibility::Members))
    .execute(conn)?;
    Ok(())
}

/// Set or clear a moderator's removal.
pub fn set_removed(
    conn: &mut DbConn,
    id: i64,
    removed_at: Option<NaiveDateTime>,
) -> Result<(), Error> {
    diesel::update(statuses::table.find(id))
        .set(statuses::removed_at.eq(removed_at))
        .execute(conn)?;
    match removed_at {
        Some(_) => super::questions::withdraw_answer(conn, id)?,
        None => super::questions::reinstate_answer(conn, id)?,
    }
    events::record(match removed_at {
        Some(_) => Event::Deleted { id, boost_of: None },
        None => Event::Posted { id },
    });
    Ok(())
}

pub fn set_locked(conn: &mut DbConn, id: i64, locked: bool) -> Result<(), Error> {
    diesel::update(statuses::table.find(id))
        .set(statuses::locked.eq(locked))
        .execute(conn)?;
    Ok(())
}

pub fn set_pinned(
    conn: &mut DbConn,
    id: i64,
    pinned_at: Option<NaiveDateTime>,
) -> Result<(), Error> {
    diesel::update(statuses::table.find(id))
        .set(statuses::pinned_at.eq(pinned_at))
        .execute(conn)?;
    Ok(())
}

/// A community's pinned threads, most recently pinned first.
pub fn pinned_in(conn: &mut DbConn, community_id: i64) -> Result<Vec<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::community_id.eq(community_id))
        .filter(statuses::pinned_at.is_not_null())
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .order(statuses::pinned_at.desc())
        .select(Status::as_select())
        .load(conn)?)
}

/// Standing (not deleted, not removed) statuses of `account_id` in a community.
pub fn standing_in_community(
    conn: &mut DbConn,
    community_id: i64,
    account_id: i64,
) -> Result<Vec<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::community_id.eq(community_id))
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .select(Status::as_select())
        .load(conn)?)
}

/// Direct statuses an account wrote or was named in, newest first, keyset on status id.
pub fn direct_of(conn: &mut DbConn, account_id: i64, page: Page) -> Result<Vec<Status>, Error> {
    use crate::db::schema::mentions;
    let named = mentions::table
        .filter(mentions::account_id.eq(account_id))
        .select(mentions::status_id);
    let query = statuses::table
        .filter(statuses::visibility.eq(Visibility::Direct))
        .filter(statuses::deleted_at.is_null())
        .filter(
            statuses::account_id
                .eq(account_id)
                .or(statuses::id.eq_any(named)),
        )
        .select(Status::as_select())
        .into_boxed();
    Ok(load_page!(conn, query, statuses::id, page))
}

/// Pin a status to its author's profile, or unpin it.
pub fn set_profile_pinned(
    conn: &mut DbConn,
    id: i64,
    pinned_at: Option<NaiveDateTime>,
) -> Result<(), Error> {
    diesel::update(statuses::table.find(id))
        .set(statuses::profile_pinned_at.eq(pinned_at))
        .execute(conn)?;
    Ok(())
}

/// An account's pinned statuses, most recently pinned first.
pub fn profile_pinned(conn: &mut DbConn, account_id: i64) -> Result<Vec<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::profile_pinned_at.is_not_null())
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .order(statuses::profile_pinned_at.desc())
        .select(Status::as_select())
        .load(conn)?)
}
