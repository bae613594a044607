//! Link previews, one per URL, and which post links to which.

use crate::db::schema::{link_cards, status_links};
use crate::db::DbConn;
use crate::domain::CardState;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = link_cards)]
pub struct Card {
    pub url: String,
    pub state: CardState,
    pub title: String,
    pub description: String,
    pub image_url: Option<String>,
    pub provider_name: String,
    pub attempts: i32,
    pub fetched_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Keep `card` unless its URL has one already (also when another post's transaction made
/// it meanwhile).
pub fn insert_new(conn: &mut DbConn, card: &Card) -> Result<(), Error> {
    crate::on_backend!(conn, |c| diesel::insert_into(link_cards::table)
        .values(card)
        .on_conflict(link_cards::url)
        .do_nothing()
        .execute(c))?;
    Ok(())
}

/// Record what a fetch found (or that it failed).
pub fn save(conn: &mut DbConn, card: &Card) -> Result<(), Error> {
    diesel::update(link_cards::table.find(&card.url))
        .set((
            link_cards::state.eq(card.state),
            link_cards::title.eq(&card.title),
            link_cards::description.eq(&card.description),
            link_cards::image_url.eq(&card.image_url),
            link_cards::provider_name.eq(&card.provider_name),
            link_cards::attempts.eq(card.attempts),
            link_cards::fetched_at.eq(card.fetched_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Cards waiting to be fetched and not tried since `tried_before`, oldest first; at most
/// `limit`.
pub fn pending(
    conn: &mut DbConn,
    tried_before: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Card>, Error> {
    Ok(link_cards::table
        .filter(link_cards::state.eq(CardState::Pending))
        .filter(
            link_cards::fetched_at
                .is_null()
                .or(link_cards::fetched_at.lt(tried_before)),
        )
        .order(link_cards::created_at)
        .limit(limit)
        .select(Card::as_select())
        .load(conn)?)
}

/// A post's link, with the description its own server gave (title, image), if any.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = status_links)]
pub struct Link {
    pub status_id: i64,
    pub url: String,
    pub title: Option<String>,
    pub image_url: Option<String>,
}

/// Give `status_id` the link `link` (replacing an earlier one), or none.
pub fn link(conn: &mut DbConn, status_id: i64, link: Option<&Link>) -> Result<(), Error> {
    diesel::delete(status_links::table.find(status_id)).execute(conn)?;
    if let Some(link) = link {
        diesel::insert_into(status_links::table)
            .values(link)
            .execute(conn)?;
    }
    Ok(())
}

/// The links of `status_ids`, and the fetched cards of their URLs that are ready: two
/// queries for a list.
pub fn of_statuses(conn: &mut DbConn, status_ids: &[i64]) -> Result<(Vec<Link>, Vec<Card>), Error> {
    let links: Vec<Link> = status_links::table
        .filter(super::one_of(conn, status_links::status_id, status_ids))
        .select(Link::as_select())
        .load(conn)?;
    if links.is_empty() {
        return Ok((links, Vec::new()));
    }
    let urls: Vec<String> = links.iter().map(|l| l.url.clone()).collect();
    let cards: Vec<Card> = link_cards::table
        .filter(super::one_of(conn, link_cards::url, &urls))
        .filter(link_cards::state.eq(CardState::Ready))
        .select(Card::as_select())
        .load(conn)?;
    Ok((links, cards))
}
