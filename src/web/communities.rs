//! A community in a browser: what it is about, who runs it, its threads, and joining,
//! leaving and starting a thread, through the same services as the client API.

use super::posts::{page_posts, PagePost};
use super::visitor::{CsrfOnly, Frame, Visitor};
use super::PageError;
use crate::domain::{AccountKind, CommunityVisibility, FollowState, Visibility};
use crate::error::Error;
use crate::service::{communities, follows, statuses as status_service, timelines};
use crate::state::Ctx;
use crate::store::{
    accounts::{self, Account},
    communities as community_store, follows as follow_store,
    statuses::{self, Page, Whose},
    thread_activity,
};
use actix_web::{
    web::{Form, Path, Query},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;

/// Threads on one page of a community.
const THREADS_PER_PAGE: i64 = 20;

#[derive(Template)]
#[template(path = "community.html", config = "src/web/askama.toml")]
struct CommunityPage {
    frame: Frame,
    name: String,
    display_name: String,
    acct: String,
    avatar: String,
    /// Sanitised when stored.
    note: String,
    rules: Vec<String>,
    moderators: Vec<(String, String)>,
    members: i32,
    members_only: bool,
    /// `None` when not signed in; else whether the reader is a member, has asked, or neither.
    standing: Option<Standing>,
    /// Whether the reader sees its threads (members-only communities show them to members).
    inside: bool,
    moderates: bool,
    pinned: Vec<PagePost>,
    threads: Vec<PagePost>,
    older: Option<String>,
    /// The order of the threads: "newest", "active" (most recently active first) or
    /// "questions" (open questions, newest first).
    sort: &'static str,
    /// The Atom feed of its public posts, for communities anyone may read.
    feed: Option<String>,
}

#[derive(PartialEq)]
pub enum Standing {
    Member,
    Asked,
    Outside,
}

impl CommunityPage {
    fn member(&self) -> bool {
        self.standing == Some(Standing::Member)
    }

    fn asked(&self) -> bool {
        self.standing == Some(Standing::Asked)
    }
}

#[derive(Deserialize)]
pub struct Paging {
    /// `active`: most recently active first; else newest first.
    #[serde(default)]
    sort: Option<String>,
    /// For newest first: threads older than this id.
    #[serde(default)]
    max_id: Option<i64>,
    /// For active first: threads last active before this activity id.
    #[serde(default)]
    before: Option<i64>,
}

impl Paging {
    fn sort(&self) -> &'static str {
        match self.sort.as_deref() {
            Some("active") => "active",
            Some("questions") => "questions",
            _ => "newest",
        }
    }
}

/// A page of a community's threads, before visibility, and the link to the next page.
fn thread_rows(
    conn: &mut crate::db::DbConn,
    community: &Account,
    paging: &Paging,
) -> Result<(Vec<statuses::Status>, Option<String>), Error> {
    let full = |n: usize| n as i64 == THREADS_PER_PAGE;
    let page = Page {
        max_id: paging.max_id,
        since_id: None,
        min_id: None,
        limit: THREADS_PER_PAGE,
    };
    if paging.sort() == "questions" {
        let (ids, rows) = crate::service::questions::open(conn, community, None, page)?;
        let older = ids
            .last()
            .filter(|_| full(ids.len()))
            .map(|id| format!("/c/{}?sort=questions&max_id={id}", community.username));
        return Ok((rows, older));
    }
    if paging.sort() == "active" {
        let page = thread_activity::page(conn, community.id, paging.before, THREADS_PER_PAGE)?;
        let older = page
            .last()
            .filter(|_| full(page.len()))
            .map(|(_, activity)| {
                format!("/c/{}?sort=active&before={activity}", community.username)
            });
        let ids: Vec<i64> = page.iter().map(|(root, _)| *root).collect();
        let mut rows: Vec<statuses::Status> = statuses::by_ids(conn, &ids)?
            .into_iter()
            .filter(|s| s.deleted_at.is_none() && s.removed_at.is_none())
            .collect();
        rows.sort_by_key(|s| ids.iter().position(|id| *id == s.id));
        return Ok((rows, older));
    }
    let whose = Whose::InCommunity(community.id);
    let rows = statuses::by_account(conn, whose, (true, true, false), None, page)?;
    let older = rows
        .last()
        .filter(|_| full(rows.len()))
        .map(|last| format!("/c/{}?max_id={}", community.username, last.id));
    Ok((rows, older))
}

/// A community as the front page lists it.
pub struct CommunityCard {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub members: i32,
    /// Its most recently active threads the reader may see: id and title.
    pub threads: Vec<(i64, String)>,
}

/// Threads shown under each community on the front page.
const RECENT_THREADS: i64 = 3;

/// Communities the front page lists: at most this many, busiest first.
const LISTED: i64 = 50;

/// The local communities `reader` may see inside, busiest first: members-only communities
/// are listed only for their members and moderators.
pub fn listed(
    conn: &mut crate::db::DbConn,
    reader: Option<&Account>,
) -> Result<Vec<CommunityCard>, Error> {
    let directory = community_store::local_directory(conn, 0, LISTED)?;
    let ids: Vec<i64> = directory.iter().map(|(c, _)| c.id).collect();
    let (states, moderated) = match reader {
        Some(r) => {
            let states = follow_store::states_among(conn, r.id, &ids, true)?;
            let moderated: Vec<i64> = community_store::moderators_of(conn, &ids)?
                .into_iter()
                .filter(|(_, m)| *m == r.id)
                .map(|(c, _)| c)
                .collect();
            (states, moderated)
        }
        None => Default::default(),
    };
    let inside =
        |id: i64| states.get(&id) == Some(&FollowState::Accepted) || moderated.contains(&id);
    let mut cards: Vec<CommunityCard> = directory
        .into_iter()
        .filter(|(c, s)| s.visibility != CommunityVisibility::Members || inside(c.id))
        .map(|(c, _)| CommunityCard {
            id: c.id,
            members: c.followers_count,
            name: c.profile.username,
            display_name: c.profile.display_name,
            threads: Vec::new(),
        })
        .collect();
    let shown_ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
    let roots = thread_activity::latest_of(conn, &shown_ids, RECENT_THREADS)?;
    let rows = statuses::by_ids(conn, &roots)?
        .into_iter()
        .filter(|s| s.deleted_at.is_none() && s.removed_at.is_none())
        .collect();
    let mut rows = timelines::shown(conn, reader, "public", rows)?;
    rows.sort_by_key(|s| roots.iter().position(|id| *id == s.id));
    for row in rows {
        let card = cards.iter_mut().find(|c| Some(c.id) == row.community_id);
        if let Some(card) = card {
            let title = row.title.unwrap_or_else(|| "Untitled".into());
            card.threads.push((row.id, title));
        }
    }
    Ok(cards)
}

/// A local community by name (404 for anything else).
pub fn local_community(conn: &mut crate::db::DbConn, name: &str) -> Result<Account, Error> {
    accounts::local_by_username(conn, name)?
        .filter(|a| a.kind == AccountKind::Group && !a.suspended)
        .ok_or(Error::NotFound)
}

/// `GET /c/{name}` for browsers.
pub async fn community(
    ctx: Ctx,
    visitor: Visitor,
    name: Path<String>,
    Query(paging): Query<Paging>,
) -> Result<HttpResponse, PageError> {
    let reader = visitor.signed_in.as_ref().map(|s| s.account.clone());
    let config = ctx.config.clone();
    let frame = visitor.frame(&ctx);
    let page = ctx
        .db
        .run(move |conn| {
            let reader = reader.as_ref();
            let community = local_community(conn, &name)?;
            let settings =
                community_store::by_account(conn, community.id)?.ok_or(Error::NotFound)?;
            let moderator_ids: Vec<i64> = community_store::moderators_of(conn, &[community.id])?
                .into_iter()
                .map(|(_, m)| m)
                .collect();
            let moderators = accounts::by_ids(conn, &moderator_ids)?
                .iter()
                .map(|m| {
                    (
                        super::posts::acct(&config, m),
                        super::posts::account_href(m),
                    )
                })
                .collect();
            let standing = match reader {
                Some(r) => Some(match follow_store::between(conn, r.id, community.id)? {
                    Some(f) if f.state == FollowState::Accepted => Standing::Member,
                    Some(f) if f.state == FollowState::Pending => Standing::Asked,
                    _ => Standing::Outside,
                }),
                None => None,
            };
            let inside = communities::sees_inside(conn, community.id, reader)?;
            let moderates = moderator_ids
                .iter()
                .any(|m| Some(*m) == reader.map(|r| r.id));
            let (mut pinned, mut threads, mut older) = (Vec::new(), Vec::new(), None);
            if inside {
                let (rows, next) = thread_rows(conn, &community, &paging)?;
                older = next;
                let rows = timelines::shown(conn, reader, "public", rows)?;
                let flat = |rows: Vec<statuses::Status>| rows.into_iter().map(|s| (s, 0)).collect();
                threads = page_posts(conn, &config, reader, moderates, flat(rows))?;
                if paging.max_id.is_none()
                    && paging.before.is_none()
                    && paging.sort() != "questions"
                {
                    let rows = statuses::pinned_in(conn, community.id)?;
                    let rows = timelines::shown(conn, reader, "public", rows)?;
                    pinned = page_posts(conn, &config, reader, moderates, flat(rows))?;
                    threads.retain(|t| pinned.iter().all(|p| p.id != t.id));
                }
            }
            Ok(CommunityPage {
                frame,
                name: community.username.clone(),
                display_name: community.display_name.clone(),
                acct: super::posts::acct(&config, &community),
                avatar: community.avatar(&config.base_url()),
                note: community.note.clone(),
                // Kept as a JSON list of texts.
                rules: serde_json::from_str(&settings.rules).unwrap_or_default(),
                moderators,
                members: community.followers_count,
                members_only: settings.visibility == CommunityVisibility::Members,
                feed: (settings.visibility != CommunityVisibility::Members)
                    .then(|| format!("/feeds/c/{}.atom", community.username)),
                standing,
                inside,
                moderates,
                pinned,
                threads,
                older,
                sort: paging.sort(),
            })
        })
        .await?;
    Ok(visitor.ok(&page)?)
}

/// `POST /c/{name}/join` and `POST /c/{name}/leave`
pub async fn membership(
    ctx: Ctx,
    visitor: Visitor,
    path: Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let me = visitor.person()?.account.clone();
    let (name, verb) = path.into_inner();
    let join = match verb.as_str() {
        "join" => true,
        "leave" => false,
        _ => return Err(Error::NotFound.into()),
    };
    let config = ctx.config.clone();
    let back = format!("/c/{name}");
    ctx.db
        .run(move |conn| {
            let community = local_community(conn, &name)?;
            match join {
                true => follows::follow(conn, &config, &me, &community).map(|_| ()),
                false => follows::unfollow(conn, &config, &me, &community),
            }
        })
        .await?;
    Ok(visitor.see_other(&back))
}

#[derive(Deserialize)]
pub struct NewThread {
    #[serde(default)]
    csrf: String,
    title: String,
    text: String,
    /// The "This is a question" box: present when ticked.
    #[serde(default)]
    question: Option<String>,
}

/// `POST /c/{name}/threads`: start a thread, as the community's posting rules allow.
pub async fn start_thread(
    ctx: Ctx,
    visitor: Visitor,
    name: Path<String>,
    Form(form): Form<NewThread>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let me = visitor.person()?.account.clone();
    if form.title.trim().is_empty() {
        return Err(Error::Unprocessable("A thread needs a title.".into()).into());
    }
    let mentions = crate::federation::resolve::mentioned(&ctx, &form.text).await;
    let config = ctx.config.clone();
    let made = ctx
        .db
        .run(move |conn| {
            let community = local_community(conn, &name)?;
            let post = status_service::NewPost {
                text: form.text,
                title: Some(form.title.trim().to_string()),
                community: Some(community),
                mentions,
                question: form.question.is_some(),
                ..status_service::NewPost::new(Visibility::Public)
            };
            status_service::create(conn, &config, &me, post)
        })
        .await?;
    Ok(visitor.see_other(&format!("/statuses/{}", made.id)))
}
