//! People and communities by handle: profiles with their posts, following and joining, and
//! search, which opens accounts on other servers by handle or URL.

use super::posts::{acct, page_posts, PagePost};
use super::visitor::{CsrfOnly, Frame, Visitor};
use super::PageError;
use crate::domain::{AccountKind, FollowState};
use crate::error::Error;
use crate::federation::{objects::ApStatus, resolve};
use crate::service::{follows, search, timelines};
use crate::state::Ctx;
use crate::store::{
    accounts::{self, Account},
    follows as follow_store,
    statuses::{self, Page, Whose},
};
use activitypub_federation::fetch::object_id::ObjectId;
use actix_web::{
    web::{Form, Path, Query},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;

/// Posts on a profile page.
const PROFILE_POSTS: i64 = 20;
/// Accounts a name search lists.
const FOUND: i64 = 20;

#[derive(Template)]
#[template(path = "profile.html", config = "src/web/askama.toml")]
struct ProfilePage {
    frame: Frame,
    id: i64,
    display_name: String,
    acct: String,
    avatar: String,
    /// Sanitised when stored.
    note: String,
    is_group: bool,
    /// Its own page on its server, for accounts from elsewhere.
    origin: Option<String>,
    followers: i32,
    statuses: i32,
    /// The reader's follow (or membership): none, asked, or accepted; `None` for the reader's
    /// own profile or when not signed in.
    standing: Option<Option<FollowState>>,
    /// The newest posts the reader may see (for others' accounts, those this server knows).
    posts: Vec<PagePost>,
    /// The Atom feed of a local person's public posts.
    feed: Option<String>,
}

impl ProfilePage {
    fn following(&self) -> bool {
        self.standing == Some(Some(FollowState::Accepted))
    }

    fn asked(&self) -> bool {
        self.standing == Some(Some(FollowState::Pending))
    }
}

fn profile(
    conn: &mut crate::db::DbConn,
    config: &crate::config::Config,
    (frame, reader): (Frame, Option<&Account>),
    account: Account,
) -> Result<ProfilePage, Error> {
    let page = Page {
        max_id: None,
        since_id: None,
        min_id: None,
        limit: PROFILE_POSTS,
    };
    let whose = match account.kind {
        AccountKind::Group => Whose::InCommunity(account.id),
        _ => Whose::By(account.id),
    };
    let rows = statuses::by_account(conn, whose, (false, true, false), None, page)?;
    let rows = timelines::shown(conn, reader, "account", rows)?;
    let rows = rows.into_iter().map(|s| (s, 0)).collect();
    let standing = match reader {
        Some(r) if r.id != account.id => {
            Some(follow_store::between(conn, r.id, account.id)?.map(|f| f.state))
        }
        _ => None,
    };
    let feed = match account.domain.is_none() && account.kind == AccountKind::Person {
        true => Some(format!("/feeds/users/{}.atom", account.username)),
        false => None,
    };
    Ok(ProfilePage {
        frame,
        feed,
        id: account.id,
        posts: page_posts(conn, config, reader, false, rows)?,
        display_name: match account.display_name.is_empty() {
            true => account.username.clone(),
            false => account.display_name.clone(),
        },
        acct: acct(config, &account),
        avatar: account.avatar(&config.base_url()),
        is_group: account.is_group(),
        origin: account
            .domain
            .as_ref()
            .map(|_| account.url.clone().unwrap_or_else(|| account.ap_id.clone())),
        followers: account.followers_count,
        statuses: account.statuses_count,
        note: account.profile.note,
        standing,
    })
}

/// `GET /users/{name}` for browsers: a local person's profile.
pub async fn person(
    ctx: Ctx,
    visitor: Visitor,
    name: Path<String>,
) -> Result<HttpResponse, PageError> {
    let name = name.into_inner();
    let reader = visitor.signed_in.as_ref().map(|s| s.account.clone());
    let (config, frame) = (ctx.config.clone(), visitor.frame(&ctx));
    let page = ctx
        .db
        .run(move |conn| {
            let account = accounts::local_by_username(conn, &name)?
                .filter(|a| a.kind == AccountKind::Person && !a.suspended)
                .ok_or(Error::NotFound)?;
            profile(conn, &config, (frame, reader.as_ref()), account)
        })
        .await?;
    Ok(visitor.ok(&page)?)
}

/// `GET /accounts/{id}`: an account from another server as this one knows it; local people
/// and communities have their own pages.
pub async fn account(ctx: Ctx, visitor: Visitor, id: Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let reader = visitor.signed_in.as_ref().map(|s| s.account.clone());
    let (config, frame) = (ctx.config.clone(), visitor.frame(&ctx));
    let page = ctx
        .db
        .run(move |conn| {
            let account = accounts::by_id(conn, id)?
                .filter(|a| !a.suspended && a.kind != AccountKind::Service)
                .ok_or(Error::NotFound)?;
            if account.is_local() {
                return Ok(Err(super::posts::account_href(&account)));
            }
            Ok(Ok(profile(
                conn,
                &config,
                (frame, reader.as_ref()),
                account,
            )?))
        })
        .await?;
    match page {
        Ok(page) => Ok(visitor.ok(&page)?),
        Err(local) => Ok(visitor.see_other(&local)),
    }
}

/// `POST /accounts/{id}/follow` and `.../unfollow`: follow or join, unfollow or leave.
pub async fn follow(
    ctx: Ctx,
    visitor: Visitor,
    path: Path<(i64, String)>,
    Form(form): Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let me = visitor.person()?.account.clone();
    let (id, verb) = path.into_inner();
    let config = ctx.config.clone();
    let target = ctx
        .db
        .run(move |conn| {
            let target = accounts::by_id(conn, id)?.ok_or(Error::NotFound)?;
            match verb.as_str() {
                "follow" => follows::follow(conn, &config, &me, &target).map(|_| ())?,
                "unfollow" => follows::unfollow(conn, &config, &me, &target)?,
                _ => return Err(Error::NotFound),
            }
            Ok(target)
        })
        .await?;
    Ok(visitor.see_other(&super::posts::account_href(&target)))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// Search this local community's posts alone (its name).
    #[serde(default)]
    community: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html", config = "src/web/askama.toml")]
struct SearchPage {
    frame: Frame,
    query: String,
    /// Handle and page of each account found.
    found: Vec<(String, String)>,
    /// Posts whose words match, for a signed-in reader, as they may see them, each with an
    /// excerpt whose parts say whether they are found words.
    posts: Vec<(PagePost, Vec<(String, bool)>)>,
    signed_in: bool,
    /// The community searched within: its name and display name.
    community: Option<(String, String)>,
}

/// `GET /search?q=`: a handle (`name@example.org`) or URL opens that account or post, asking
/// its server when this one does not know it yet (for people signed in: it makes requests to
/// other servers); other words list the accounts whose names start with them.
pub async fn search(
    ctx: Ctx,
    visitor: Visitor,
    Query(search): Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let query = search.q.trim().to_string();
    let remote = visitor.signed_in.is_some();
    let handle = query.trim_start_matches('@');
    if query.starts_with("https://") || query.starts_with("http://") {
        if let Ok(account) = resolve::account_by_url(&ctx, &query, remote).await {
            return Ok(visitor.see_other(&super::posts::account_href(&account)));
        }
        if let Some(id) = remote
            .then(|| ObjectId::<ApStatus>::parse(&query).ok())
            .flatten()
        {
            if let Ok(found) = id.dereference(&ctx).await {
                return Ok(visitor.see_other(&format!("/statuses/{}", found.row.id)));
            }
        }
    } else if handle.contains('@') && (remote || handle.ends_with(&ctx.config.domain)) {
        if let Ok(account) = resolve::account(&ctx, handle).await {
            return Ok(visitor.see_other(&super::posts::account_href(&account)));
        }
    }
    let (prefix, config) = (handle.to_string(), ctx.config.clone());
    let (words, reader) = (
        query.clone(),
        visitor.signed_in.as_ref().map(|s| s.account.clone()),
    );
    let within_community = search.community.filter(|c| !c.is_empty());
    let (found, posts, community) = ctx
        .db
        .run(move |conn| {
            let community = match &within_community {
                Some(name) => Some(super::communities::local_community(conn, name)?),
                None => None,
            };
            let shown = community
                .as_ref()
                .map(|c| (c.username.clone(), c.display_name.clone()));
            if prefix.is_empty() || prefix.contains(['@', '/']) {
                return Ok((Vec::new(), Vec::new(), shown));
            }
            // Within a community, only its posts are looked for.
            let found = match community {
                Some(_) => Vec::new(),
                None => accounts::search(conn, &prefix, FOUND)?
                    .iter()
                    .map(|a| (acct(&config, a), super::posts::account_href(a)))
                    .collect(),
            };
            let Some(reader) = reader else {
                return Ok((found, Vec::new(), shown));
            };
            let within = crate::store::search::Within {
                community_id: community.map(|c| c.id),
                ..Default::default()
            };
            let rows = search::statuses(conn, &reader, &words, within, (FOUND as usize, 0))?;
            let mut excerpts: std::collections::HashMap<i64, Vec<(String, bool)>> = rows
                .iter()
                .map(|s| {
                    let text = crate::service::markdown::text_of(s);
                    (s.id, search::highlight(&text, &words))
                })
                .collect();
            let rows = rows.into_iter().map(|s| (s, 0)).collect();
            let posts = page_posts(conn, &config, Some(&reader), false, rows)?
                .into_iter()
                .map(|p| {
                    let excerpt = excerpts.remove(&p.id).unwrap_or_default();
                    (p, excerpt)
                })
                .collect();
            Ok((found, posts, shown))
        })
        .await?;
    Ok(visitor.ok(&SearchPage {
        frame: visitor.frame(&ctx),
        query,
        found,
        posts,
        signed_in: remote,
        community,
    })?)
}
