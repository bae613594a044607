//! Mastodon's Status entity, rendered for a list at once: what it shows besides the status
//! rows (accounts, boosted statuses, the viewer's favourites and boosts, …) is read by
//! `lookups`, one query per kind whatever the list's length.

mod lookups;

use super::{account::Serialised, time};
use crate::db::DbConn;
use crate::domain::Visibility;
use crate::error::Error;
use crate::store::{accounts::Account as AccountRow, statuses::Status as StatusRow};
use lookups::{Lookups, Personal};
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
pub struct Status {
    pub id: String,
    pub uri: String,
    pub url: Option<String>,
    pub created_at: String,
    pub account: Serialised,
    pub content: String,
    pub visibility: Visibility,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<Value>,
    pub application: Option<Value>,
    pub mentions: Vec<Value>,
    pub tags: Vec<Value>,
    pub emojis: Vec<Value>,
    pub reblogs_count: i32,
    pub favourites_count: i32,
    pub replies_count: i32,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Box<Status>>,
    pub poll: Option<Value>,
    pub card: Option<Value>,
    pub language: Option<String>,
    pub text: Option<String>,
    pub edited_at: Option<String>,
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub filtered: Vec<Value>,
    /// Guild's additions, which Mastodon clients ignore.
    pub guild: GuildFields,
}

#[derive(Serialize)]
pub struct GuildFields {
    /// The thread is asked as a question.
    pub question: bool,
    /// The question's accepted answer.
    pub answer_id: Option<String>,
    /// This reply is the accepted answer to its thread's question.
    pub accepted_answer: bool,
}

/// HTML content as clients show it: a thread's title first, in bold.
pub fn with_title(title: Option<&str>, content: &str) -> String {
    match title {
        Some(title) => format!(
            "<p><strong>{}</strong></p>{content}",
            crate::service::text::escape_html(title)
        ),
        None => content.to_string(),
    }
}

/// Render `rows` for `viewer`, in order. Rows whose author is missing are left out.
pub fn render(
    conn: &mut DbConn,
    base_url: &str,
    viewer: Option<&AccountRow>,
    rows: &[StatusRow],
) -> Result<Vec<Status>, Error> {
    render_with(conn, None, base_url, viewer, rows)
}

/// [`render`], sharing the lookups out with `spare` when given: what is asked by the
/// statuses' ids and of the viewer is read there while the people are read here. A thread's
/// context renders a thousand statuses, and its lookups are then two chains of queries at
/// once instead of one after the other.
pub fn render_with(
    conn: &mut DbConn,
    spare: Option<&mut DbConn>,
    base_url: &str,
    viewer: Option<&AccountRow>,
    rows: &[StatusRow],
) -> Result<Vec<Status>, Error> {
    let viewers: Vec<i64> = viewer.map(|v| v.id).into_iter().collect();
    let (lookups, mut personal) = Lookups::load(conn, spare, base_url, rows, &viewers)?;
    let personal = personal.pop().unwrap_or_default();
    // Sized at once: a thread's thousand entities, grown by doubling, were copied over and
    // over into freshly mapped memory.
    let mut statuses = Vec::with_capacity(rows.len());
    statuses.extend(
        rows.iter()
            .filter_map(|row| entity(&lookups, &personal, base_url, row)),
    );
    Ok(statuses)
}

/// `row` rendered for each of `viewers`, as a stream sends one post to many people: what all
/// of them see alike is loaded once, and what each did to it with a query for all of them.
pub fn render_for_each(
    conn: &mut DbConn,
    base_url: &str,
    viewers: &[i64],
    row: &StatusRow,
) -> Result<Vec<(i64, Status)>, Error> {
    let rows = std::slice::from_ref(row);
    let (lookups, personal) = Lookups::load(conn, None, base_url, rows, viewers)?;
    Ok(personal
        .iter()
        .filter_map(|p| Some((p.viewer_id?, entity(&lookups, p, base_url, row)?)))
        .collect())
}

/// Mastodon's PreviewCard: a link with what its page says of itself.
fn card_json(card: &crate::store::cards::Card) -> Value {
    serde_json::json!({
        "url": card.url,
        "title": card.title,
        "description": card.description,
        "type": "link",
        "author_name": "",
        "author_url": "",
        "provider_name": card.provider_name,
        "provider_url": "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": card.image_url,
        "embed_url": "",
        "blurhash": null,
    })
}

fn poll_of(lookups: &Lookups, personal: &Personal, row: &StatusRow) -> Option<Value> {
    let poll = lookups.extras.polls.get(&row.id)?;
    let seen = super::poll::Seen {
        own_votes: personal
            .own_votes
            .as_ref()
            .map(|votes| votes.get(&row.id).cloned().unwrap_or_default()),
        is_author: personal.viewer_id == Some(row.account_id),
        options: lookups
            .extras
            .poll_options
            .get(&row.id)
            .into_iter()
            .flatten()
            .collect(),
    };
    Some(super::poll::poll_json(poll, &seen))
}

fn entity(
    lookups: &Lookups,
    personal: &Personal,
    base_url: &str,
    row: &StatusRow,
) -> Option<Status> {
    let author = lookups
        .people
        .accounts
        .get(&row.account_id)?
        .serialised
        .clone();
    let reblog = match row.reblog_of_id {
        Some(id) => Some(Box::new(entity(
            lookups,
            personal,
            base_url,
            lookups.boosted.get(&id)?,
        )?)),
        None => None,
    };
    // Threads with a title show it first, as Lemmy-aware clients expect.
    let content = with_title(row.title.as_deref(), &row.content);
    let marked = row.reblog_of_id.unwrap_or(row.id);
    Some(Status {
        id: row.id.to_string(),
        uri: row.ap_id.clone(),
        url: row.url.clone().or_else(|| Some(row.ap_id.clone())),
        created_at: time(row.created_at),
        account: author,
        content,
        // Mastodon clients know no members-only visibility; followers-only is its nearest.
        visibility: match row.visibility {
            Visibility::Members => Visibility::Private,
            visibility => visibility,
        },
        sensitive: row.sensitive,
        spoiler_text: row.spoiler_text.clone(),
        media_attachments: lookups
            .extras.media
            .get(&row.id)
            .into_iter()
            .flatten()
            .map(|a| super::media::attachment_json(a, base_url))
            .collect(),
        application: None,
        mentions: lookups
            .people.mentions
            .get(&row.id)
            .into_iter()
            .flatten()
            .filter_map(|account| lookups.people.accounts.get(account))
            .map(|a| {
                let a = &a.profile;
                serde_json::json!({
                    "id": a.id.to_string(),
                    "username": a.username,
                    "acct": a.acct(),
                    "url": a.url.clone().unwrap_or_else(|| a.ap_id.clone()),
                })
            })
            .collect(),
        tags: lookups
            .extras.tags
            .get(&row.id)
            .into_iter()
            .flatten()
            .map(|name| serde_json::json!({ "name": name, "url": format!("{base_url}/tags/{name}") }))
            .collect(),
        emojis: Vec::new(),
        reblogs_count: row.reblogs_count,
        favourites_count: row.favourites_count,
        replies_count: row.replies_count,
        in_reply_to_id: row.in_reply_to_id.map(|id| id.to_string()),
        in_reply_to_account_id: row.in_reply_to_account_id.map(|id| id.to_string()),
        reblog,
        poll: poll_of(lookups, personal, row),
        card: lookups
            .extras.links
            .get(&row.id)
            .and_then(|link| crate::service::cards::shown(link, &lookups.extras.cards))
            .map(|card| card_json(&card)),
        language: row.language.clone(),
        text: None,
        edited_at: row.edited_at.map(time),
        // A boost shows what the viewer did to the boosted post, as Mastodon's does.
        favourited: personal.favourited.contains(&marked),
        reblogged: personal.reblogged.contains(&marked),
        muted: false,
        bookmarked: personal.bookmarked.contains(&marked),
        pinned: row.profile_pinned_at.is_some(),
        filtered: match &personal.filters {
            // A boost is filtered by what it boosts.
            Some(filters) => {
                let judged = row.reblog_of_id.and_then(|id| lookups.boosted.get(&id)).unwrap_or(row);
                filters
                    .matches(judged)
                    .iter()
                    .map(|m| crate::api::filters::result_json(m.active, &m.keywords))
                    .collect()
            }
            None => Vec::new(),
        },
        guild: GuildFields {
            question: lookups.extras.questions.contains_key(&row.id),
            answer_id: lookups
                .extras.questions
                .get(&row.id)
                .and_then(|q| q.answer_id)
                .map(|id| id.to_string()),
            accepted_answer: row
                .thread_root_id
                .and_then(|root| lookups.extras.questions.get(&root))
                .is_some_and(|q| q.answer_id == Some(row.id)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::filters::{self, FilterChange, KeywordChange};
    use crate::store::statuses;
    use crate::testing::Fixture;
    use std::collections::HashMap;

    /// One post rendered for many viewers at once is what each would be rendered alone: what
    /// each did to it (favourited, boosted, bookmarked, filtered) stays theirs.
    #[test]
    fn rendered_for_each_as_for_each_alone() {
        let fixture = Fixture::new();
        let conn = &mut *fixture.conn();
        let config = &fixture.config;
        let people: Vec<AccountRow> = ["ann", "bob", "cat"]
            .iter()
            .map(|n| fixture.person(conn, n))
            .collect();
        let [ann, bob, cat] = &people[..] else {
            unreachable!()
        };
        let post = fixture.post(conn, ann, "a secret plan", None, None);
        crate::service::interactions::favourite(conn, config, bob, post.id).unwrap();
        crate::service::bookmarks::add(conn, bob.id, post.id).unwrap();
        crate::service::interactions::reblog(conn, config, cat, post.id).unwrap();
        let warn = FilterChange {
            title: Some("secrets".into()),
            context: Some(vec!["home".into()]),
            filter_action: Some("warn".into()),
            keywords: vec![KeywordChange {
                keyword: Some("secret".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        filters::create(conn, cat.id, &warn).unwrap();
        let row = statuses::by_id(conn, post.id).unwrap().unwrap();
        let base = config.base_url();

        let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
        let each = render_for_each(conn, &base, &ids, &row).unwrap();
        assert_eq!(each.len(), 3);
        let mut seen = HashMap::new();
        for (viewer, entity) in each {
            let account = people.iter().find(|p| p.id == viewer).unwrap();
            let alone = render(conn, &base, Some(account), std::slice::from_ref(&row)).unwrap();
            let entity = serde_json::to_value(&entity).unwrap();
            assert_eq!(entity, serde_json::to_value(&alone[0]).unwrap());
            seen.insert(viewer, entity);
        }
        let marks = |viewer: i64| {
            let e = &seen[&viewer];
            let filtered = !e["filtered"].as_array().unwrap().is_empty();
            [&e["favourited"], &e["reblogged"], &e["bookmarked"]]
                .map(|v| v.as_bool().unwrap())
                .into_iter()
                .chain([filtered])
                .collect::<Vec<bool>>()
        };
        assert_eq!(marks(ann.id), [false, false, false, false]);
        assert_eq!(marks(bob.id), [true, false, true, false]);
        assert_eq!(marks(cat.id), [false, true, false, true]);
    }

    /// Lookups shared out with a spare connection render what one connection renders: the
    /// people, the extras (tags, polls, boosted statuses) and what the viewer did.
    #[test]
    fn rendered_with_a_spare_connection_as_with_one() {
        let fixture = Fixture::new();
        let conn = &mut *fixture.conn();
        let config = &fixture.config;
        let [ann, bob, cat] = ["ann", "bob", "cat"].map(|n| fixture.person(conn, n));
        let mut rows = Vec::new();
        for n in 0..6 {
            let text = format!("note {n} on #runbooks");
            rows.push(fixture.post(
                conn,
                if n % 2 == 0 { &ann } else { &cat },
                &text,
                None,
                None,
            ));
        }
        let poll = crate::service::polls::NewPoll {
            options: vec!["yes".into(), "no".into()],
            expires_in: 3600,
            multiple: false,
            hide_totals: false,
        };
        let asked = crate::service::statuses::NewPost {
            text: "keep them in the wiki?".into(),
            poll: Some(poll),
            ..crate::service::statuses::NewPost::new(crate::domain::Visibility::Public)
        };
        rows.push(crate::service::statuses::create(conn, config, &ann, asked).unwrap());
        crate::service::interactions::favourite(conn, config, &bob, rows[0].id).unwrap();
        crate::service::bookmarks::add(conn, bob.id, rows[1].id).unwrap();
        let boost = crate::service::interactions::reblog(conn, config, &cat, rows[2].id).unwrap();
        crate::service::interactions::reblog(conn, config, &bob, rows[3].id).unwrap();
        // Read again for their counts, with cat's boost at the end.
        let ids: Vec<i64> = rows.iter().map(|r| r.id).chain([boost.id]).collect();
        let rows: Vec<StatusRow> = ids
            .iter()
            .map(|id| statuses::by_id(conn, *id).unwrap().unwrap())
            .collect();
        let base = config.base_url();
        let mut spare = fixture.db.conn().unwrap();
        for viewer in [None, Some(&bob), Some(&cat)] {
            let one = render(conn, &base, viewer, &rows).unwrap();
            let shared = render_with(conn, Some(&mut spare), &base, viewer, &rows).unwrap();
            let json = |list: &[Status]| serde_json::to_value(list).unwrap();
            assert_eq!(json(&shared), json(&one));
            assert_eq!(one.len(), rows.len());
            assert!(one[7].reblog.is_some());
        }
        let seen = render_with(conn, Some(&mut spare), &base, Some(&bob), &rows).unwrap();
        let marked: Vec<(bool, bool, bool)> = seen
            .iter()
            .map(|s| (s.favourited, s.bookmarked, s.reblogged))
            .collect();
        assert_eq!(
            &marked[..4],
            [
                (true, false, false),
                (false, true, false),
                (false, false, false),
                (false, false, true)
            ]
        );
        assert!(seen[6].poll.is_some());
        assert!(seen[..6].iter().all(|s| s.tags.len() == 1));
    }
}
