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

/// Keep `card` unless its URL has one already.
pub fn insert_new(conn: &mut DbConn, card: &Card) -> Result<(), Error> {
    let exists = link_cards::table
        .find(&card.url)
        .select(link_cards::url)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if !exists {
        diesel::insert_into(link_cards::table)
            .values(card)
            .execute(conn)?;
    }
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

/// Cards waiting to be fetched, oldest first; at most `limit`.
pub fn pending(conn: &mut DbConn, limit: i64) -> Result<Vec<Card>, Error> {
    Ok(link_cards::table
        .filter(link_cards::state.eq(CardState::Pending))
        .order(link_cards::created_at)
        .limit(limit)
        .select(Card::as_select())
        .load(conn)?)
}

/// Link `status_id` to `url` (replacing an earlier link), or to nothing.
pub fn link(conn: &mut DbConn, status_id: i64, url: Option<&str>) -> Result<(), Error> {
    diesel::delete(status_links::table.find(status_id)).execute(conn)?;
    if let Some(url) = url {
        diesel::insert_into(status_links::table)
            .values((
                status_links::status_id.eq(status_id),
                status_links::url.eq(url),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// (status id, ready card) for those of `status_ids` that have one: two queries for a list.
pub fn of_statuses(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<(i64, Card)>, Error> {
    let links: Vec<(i64, String)> = status_links::table
        .filter(status_links::status_id.eq_any(status_ids))
        .select((status_links::status_id, status_links::url))
        .load(conn)?;
    let urls: Vec<&String> = links.iter().map(|(_, url)| url).collect();
    let cards: Vec<Card> = link_cards::table
        .filter(link_cards::url.eq_any(urls))
        .filter(link_cards::state.eq(CardState::Ready))
        .select(Card::as_select())
        .load(conn)?;
    Ok(links
        .into_iter()
        .filter_map(|(status, url)| {
            let card = cards.iter().find(|c| c.url == url)?;
            Some((status, card.clone()))
        })
        .collect())
}
