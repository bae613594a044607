//! The signed-in person's own pages: their home feed and their notifications.

use super::posts::{acct, page_posts, PagePost};
use super::visitor::{Frame, Visitor};
use super::{Older, PageError};
use crate::domain::NotificationKind;
use crate::service::{timelines, visibility};
use crate::state::Ctx;
use crate::store::{accounts, notifications, statuses};
use actix_web::{web::Query, HttpResponse};
use askama::Template;
use std::collections::{HashMap, HashSet};

/// Posts or notifications on one page.
const PER_PAGE: i64 = 20;

fn page_of(paging: &Older) -> statuses::Page {
    statuses::Page {
        max_id: paging.max_id,
        since_id: None,
        min_id: None,
        limit: PER_PAGE,
    }
}

#[derive(Template)]
#[template(path = "home_feed.html", config = "src/web/askama.toml")]
struct HomeFeedPage {
    frame: Frame,
    posts: Vec<PagePost>,
    older: Option<String>,
}

/// `GET /home`: posts of the people and communities the reader follows, newest first.
pub async fn feed(
    ctx: Ctx,
    visitor: Visitor,
    Query(paging): Query<Older>,
) -> Result<HttpResponse, PageError> {
    let me = visitor.person()?.account.clone();
    let (config, frame) = (ctx.config.clone(), visitor.frame(&ctx));
    let page = ctx
        .db
        .run(move |conn| {
            let feed = timelines::Feed::Home;
            let rows = timelines::rows(conn, Some(&me), &feed, page_of(&paging))?;
            let older = (rows.len() as i64 == PER_PAGE)
                .then(|| rows.last().map(|s| format!("/home?max_id={}", s.id)))
                .flatten();
            let rows = timelines::shown(conn, Some(&me), feed.context(), rows)?;
            let rows = rows.into_iter().map(|s| (s, 0)).collect();
            Ok(HomeFeedPage {
                frame,
                posts: page_posts(conn, &config, Some(&me), false, rows)?,
                older,
            })
        })
        .await?;
    Ok(visitor.ok(&page)?)
}

struct PageNotification {
    who: String,
    who_href: String,
    what: &'static str,
    /// The post it is about, and its first words.
    post: Option<(i64, String)>,
    when: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html", config = "src/web/askama.toml")]
struct NotificationsPage {
    frame: Frame,
    notifications: Vec<PageNotification>,
    older: Option<String>,
}

fn described(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Follow => "followed you",
        NotificationKind::FollowRequest => "asked to follow you",
        NotificationKind::Favourite => "favourited your post",
        NotificationKind::Reblog => "boosted your post",
        NotificationKind::Mention => "mentioned you",
        NotificationKind::Update => "edited a post you boosted",
        NotificationKind::Report => "reported something in a community you moderate",
        NotificationKind::Poll => "ran a poll that has ended",
    }
}

/// The first words of a post's text, for a line that points to it.
fn gist(html: &str) -> String {
    const WORDS: usize = 12;
    let text = crate::service::text::plain(html);
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.len() > WORDS {
        true => format!("{}…", words[..WORDS].join(" ")),
        false => words.join(" "),
    }
}

/// `GET /notifications`: newest first; posts the reader may no longer see are left out.
pub async fn notifications(
    ctx: Ctx,
    visitor: Visitor,
    Query(paging): Query<Older>,
) -> Result<HttpResponse, PageError> {
    let me = visitor.person()?.account.clone();
    let (config, frame) = (ctx.config.clone(), visitor.frame(&ctx));
    let page = ctx
        .db
        .run(move |conn| {
            let rows = notifications::page(conn, me.id, &[], &[], page_of(&paging))?;
            let older = (rows.len() as i64 == PER_PAGE)
                .then(|| {
                    rows.last()
                        .map(|n| format!("/notifications?max_id={}", n.id))
                })
                .flatten();
            let from: Vec<i64> = rows.iter().map(|n| n.from_account_id).collect();
            let people: HashMap<i64, accounts::Profile> = accounts::profiles_by_ids(conn, &from)?
                .into_iter()
                .map(|a| (a.id, a))
                .collect();
            let status_ids: Vec<i64> = rows.iter().filter_map(|n| n.status_id).collect();
            let posts = statuses::by_ids(conn, &status_ids)?;
            let posts = visibility::filter_notified(conn, &me, posts)?;
            let shown: HashSet<i64> = posts.iter().map(|s| s.id).collect();
            let gists: HashMap<i64, String> =
                posts.iter().map(|s| (s.id, gist(&s.content))).collect();
            let notifications = rows
                .into_iter()
                .filter(|n| n.status_id.is_none_or(|id| shown.contains(&id)))
                .filter_map(|n| {
                    let who = people.get(&n.from_account_id)?;
                    Some(PageNotification {
                        who: acct(&config, who),
                        who_href: super::posts::account_href(who),
                        what: described(n.kind),
                        post: n
                            .status_id
                            .map(|id| (id, gists.get(&id).cloned().unwrap_or_default())),
                        when: n.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                        unread: !n.read,
                    })
                })
                .collect();
            Ok(NotificationsPage {
                frame,
                notifications,
                older,
            })
        })
        .await?;
    Ok(visitor.ok(&page)?)
}
