//! A thread in a browser: the post and its replies as a threaded conversation, and what a
//! reader does there (reply, favourite, delete their own post, remove as a moderator), through
//! the same services as the client API.

use super::posts::{page_posts, PagePost};
use super::visitor::{CsrfOnly, Frame, Visitor};
use super::PageError;
use crate::domain::Visibility;
use crate::error::Error;
use crate::service::{
    interactions, moderation, statuses as status_service, threads, timelines, visibility,
};
use crate::state::Ctx;
use crate::store::{accounts, communities as community_store, statuses};
use actix_web::{
    web::{Form, Path},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "thread.html", config = "src/web/askama.toml")]
struct ThreadPage {
    frame: Frame,
    /// The thread's first post; its reply count is of what the reader sees below it.
    root: PagePost,
    card: Option<crate::store::cards::Card>,
    poll: Option<PagePoll>,
    replies: Vec<PagePost>,
    /// The community it is in: name and page.
    community: Option<(String, String)>,
    locked: bool,
    pinned: bool,
    signed_in: bool,
    /// Some for a question: whether it has an accepted answer.
    answered: Option<bool>,
}

struct PagePoll {
    /// Title, votes and share of the votes in percent; votes hidden until the end where the
    /// author asked.
    options: Vec<(String, Option<i32>, i64)>,
    voters: i32,
    ended: bool,
}

/// What a page shows of a post besides its text.
struct Extras {
    card: Option<crate::store::cards::Card>,
    poll: Option<PagePoll>,
}

/// A thread's link card and poll, for its page.
fn extras(conn: &mut crate::db::DbConn, status_id: i64) -> Result<Extras, Error> {
    let (links, fetched) = crate::store::cards::of_statuses(conn, &[status_id])?;
    let card = links
        .first()
        .and_then(|link| crate::service::cards::shown(link, &fetched));
    let poll = match crate::store::polls::by_status(conn, status_id)? {
        Some(poll) => {
            let options = crate::store::polls::options_of(conn, &[status_id])?;
            let ended = poll.expired(crate::time::now());
            let total: i64 = options.iter().map(|o| i64::from(o.votes_count)).sum();
            let shown = ended || !poll.hide_totals;
            Some(PagePoll {
                options: options
                    .into_iter()
                    .map(|o| {
                        let share = (i64::from(o.votes_count) * 100)
                            .checked_div(total)
                            .unwrap_or(0);
                        (o.title, shown.then_some(o.votes_count), share)
                    })
                    .collect(),
                voters: poll.voters_count,
                ended,
            })
        }
        None => None,
    };
    Ok(Extras { card, poll })
}

/// `GET /statuses/{id}` for browsers: the thread the post is in, as the reader may see it.
/// Removed and deleted posts are not shown, nor replies the reader may not see.
pub async fn thread(ctx: Ctx, visitor: Visitor, id: Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let reader = visitor.signed_in.as_ref().map(|s| s.account.clone());
    let (config, frame) = (ctx.config.clone(), visitor.frame(&ctx));
    let page = ctx
        .db
        .run(move |conn| {
            let reader = reader.as_ref();
            let status = statuses::by_id(conn, id)?.ok_or(Error::NotFound)?;
            if status.removed_at.is_some() || !visibility::can_see(conn, reader, &status)? {
                return Err(Error::NotFound);
            }
            // The whole thread where its root is shown to the reader; else from this post.
            let root_id = status.thread_root_id.unwrap_or(status.id);
            let rows = crate::store::threads::standing_rows(conn, root_id)?;
            let mut rows = timelines::shown(conn, reader, "thread", rows)?;
            if rows.first().map(|r| r.id) != Some(root_id) {
                rows.retain(|r| r.id == status.id || r.thread_root_id == Some(root_id));
                let at = rows.iter().position(|r| r.id == status.id).unwrap_or(0);
                rows.rotate_left(at);
            }
            let root = rows.first().cloned().ok_or(Error::NotFound)?;
            let community = match root.community_id {
                Some(id) => accounts::by_id(conn, id)?,
                None => None,
            };
            let moderates = match (&community, reader) {
                (Some(c), Some(r)) => community_store::is_moderator(conn, c.id, r.id)?,
                _ => false,
            };
            let extras = extras(conn, root.id)?;
            let question = crate::store::questions::by_status(conn, root.id)?;
            let answer = question.as_ref().and_then(|q| q.answer_id);
            let tree = threads::tree(rows, answer);
            let mut posts = page_posts(conn, &config, reader, moderates, tree)?;
            // The asker and the community's moderators accept answers.
            let asker = reader.is_some_and(|r| r.id == root.account_id);
            if question.is_some() && (asker || moderates) {
                for post in posts.iter_mut().skip(1) {
                    post.answer_verb = Some(match answer == Some(post.id) {
                        true => "unaccept",
                        false => "accept",
                    });
                }
            }
            for post in posts.iter_mut() {
                post.accepted = answer == Some(post.id);
            }
            let mut posts = posts.into_iter();
            let root_post = posts.next().ok_or(Error::NotFound)?;
            Ok(ThreadPage {
                frame,
                root: root_post,
                card: extras.card,
                poll: extras.poll,
                replies: posts.collect(),
                community: community
                    .as_ref()
                    .map(|c| (c.display_name.clone(), super::posts::account_href(c))),
                locked: root.locked,
                pinned: root.pinned_at.is_some(),
                signed_in: reader.is_some(),
                answered: question.map(|q| q.answer_id.is_some()),
            })
        })
        .await?;
    Ok(visitor.ok(&page)?)
}

#[derive(Deserialize)]
pub struct Reply {
    #[serde(default)]
    csrf: String,
    text: String,
}

/// `POST /statuses/{id}/reply`: a reply, as visible as the post it answers allows.
pub async fn reply(
    ctx: Ctx,
    visitor: Visitor,
    id: Path<i64>,
    Form(form): Form<Reply>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let me = visitor.person()?.account.clone();
    let mentions = crate::federation::resolve::mentioned(&ctx, &form.text).await;
    let (config, parent_id) = (ctx.config.clone(), id.into_inner());
    let made = ctx
        .db
        .run(move |conn| {
            let parent = statuses::by_id(conn, parent_id)?.ok_or(Error::NotFound)?;
            let post = status_service::NewPost {
                text: form.text,
                in_reply_to_id: Some(parent.id),
                mentions,
                // A members-only thread's replies are the community's to make members-only.
                ..status_service::NewPost::new(match parent.visibility {
                    Visibility::Members => Visibility::Public,
                    visibility => visibility,
                })
            };
            status_service::create(conn, &config, &me, post)
        })
        .await?;
    let root = made.thread_root_id.unwrap_or(made.id);
    Ok(visitor.see_other(&format!("/statuses/{root}#s{}", made.id)))
}

/// `POST /statuses/{id}/{verb}`: favourite, unfavourite, boost, unboost, delete; for
/// moderators remove, restore, lock, unlock, pin, unpin; accept and unaccept an answer (also
/// for the question's author).
pub async fn act(
    ctx: Ctx,
    visitor: Visitor,
    path: Path<(i64, String)>,
    Form(form): Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let me = visitor.person()?.account.clone();
    let (id, verb) = path.into_inner();
    let config = ctx.config.clone();
    let back = ctx
        .db
        .run(move |conn| {
            let status = statuses::by_id(conn, id)?.ok_or(Error::NotFound)?;
            let thread = format!("/statuses/{}", status.thread_root_id.unwrap_or(status.id));
            let here = format!("{thread}#s{}", status.id);
            match verb.as_str() {
                "favourite" => interactions::favourite(conn, &config, &me, status.id).map(|_| here),
                "unfavourite" => {
                    interactions::unfavourite(conn, &config, &me, status.id).map(|_| here)
                }
                "boost" => interactions::reblog(conn, &config, &me, status.id).map(|_| here),
                "unboost" => interactions::unreblog(conn, &config, &me, status.id).map(|_| here),
                "bookmark" => {
                    let keep = crate::service::bookmarks::Annotation::default();
                    crate::service::bookmarks::annotate(conn, &me, &status, keep).map(|_| here)
                }
                "unbookmark" => {
                    crate::service::bookmarks::remove(conn, me.id, status.id).map(|_| here)
                }
                "delete" => {
                    status_service::delete(conn, &config, &me, status.id)?;
                    after_removal(conn, &status, thread)
                }
                _ => {
                    let back = match verb.as_str() {
                        "remove" => after_removal(conn, &status, thread)?,
                        _ => here,
                    };
                    moderate(conn, &config, &me, status, &verb)?;
                    Ok(back)
                }
            }
        })
        .await?;
    Ok(visitor.see_other(&back))
}

/// A moderator's action on a post in their community (or an asker's on an answer), by its
/// name.
fn moderate(
    conn: &mut crate::db::DbConn,
    config: &crate::config::Config,
    me: &accounts::Account,
    status: statuses::Status,
    verb: &str,
) -> Result<(), Error> {
    let community_id = status.community_id.ok_or(Error::NotFound)?;
    let community = accounts::by_id(conn, community_id)?.ok_or(Error::NotFound)?;
    if !crate::service::visibility::can_see(conn, Some(me), &status)? {
        return Err(Error::NotFound);
    }
    let action = moderation::status_action(conn, verb, status, String::new())?;
    moderation::act(conn, config, &community, me, &action)
}

/// Where a browser goes once a post is gone: its thread, or the community or profile when
/// the post was the thread itself.
fn after_removal(
    conn: &mut crate::db::DbConn,
    status: &statuses::Status,
    thread: String,
) -> Result<String, Error> {
    if status.in_reply_to_id.is_some() {
        return Ok(thread);
    }
    let owner = status.community_id.unwrap_or(status.account_id);
    Ok(match accounts::by_id(conn, owner)? {
        Some(account) => super::posts::account_href(&account),
        None => "/".into(),
    })
}

#[derive(Template)]
#[template(path = "edit.html", config = "src/web/askama.toml")]
struct EditPage {
    frame: Frame,
    id: i64,
    /// A thread's title; replies have none.
    title: Option<String>,
    text: String,
    /// A community thread that is not yet a question may become one.
    may_ask: bool,
}

/// The reader's own post, to edit.
fn own_post(
    conn: &mut crate::db::DbConn,
    me: &accounts::Account,
    id: i64,
) -> Result<statuses::Status, Error> {
    statuses::by_id(conn, id)?
        .filter(|s| s.account_id == me.id && s.local && s.deleted_at.is_none())
        .filter(|s| s.reblog_of_id.is_none())
        .ok_or(Error::NotFound)
}

/// `GET /statuses/{id}/edit`: the author's form.
pub async fn edit_form(
    ctx: Ctx,
    visitor: Visitor,
    id: Path<i64>,
) -> Result<HttpResponse, PageError> {
    let me = visitor.person()?.account.clone();
    let id = id.into_inner();
    let (status, asked) = ctx
        .db
        .run(move |conn| {
            let status = own_post(conn, &me, id)?;
            let asked = crate::store::questions::by_status(conn, status.id)?.is_some();
            Ok((status, asked))
        })
        .await?;
    let page = EditPage {
        may_ask: !asked && status.community_id.is_some() && status.title.is_some(),
        frame: visitor.frame(&ctx),
        id: status.id,
        title: match status.in_reply_to_id {
            None => Some(status.title.unwrap_or_default()),
            Some(_) => None,
        },
        text: status.source,
    };
    Ok(visitor.ok(&page)?)
}

#[derive(Deserialize)]
pub struct Edit {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: Option<String>,
    text: String,
    /// The "Ask it as a question" box: present when ticked.
    #[serde(default)]
    question: Option<String>,
}

/// `POST /statuses/{id}/edit`: the edit goes out to other servers as the API's does.
pub async fn edit(
    ctx: Ctx,
    visitor: Visitor,
    id: Path<i64>,
    Form(form): Form<Edit>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let me = visitor.person()?.account.clone();
    let (config, id) = (ctx.config.clone(), id.into_inner());
    let edited = ctx
        .db
        .run(move |conn| {
            let status = own_post(conn, &me, id)?;
            let change = status_service::Change {
                text: Some(form.text),
                title: form.title.filter(|_| status.in_reply_to_id.is_none()),
                ask: form.question.is_some(),
                ..Default::default()
            };
            status_service::edit(conn, &config, &me, status.id, change)
        })
        .await?;
    let root = edited.thread_root_id.unwrap_or(edited.id);
    Ok(visitor.see_other(&format!("/statuses/{root}#s{}", edited.id)))
}
