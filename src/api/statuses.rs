//! `/api/v1/statuses`: posting, reading, editing and deleting statuses, their threads,
//! history and source, and what people do to them (favourite, boost, bookmark, pin).

use super::auth::{Auth, MaybeAuth};
use super::entities::status::{render, render_with, Status};
use super::params::{
    flexible_bool, flexible_i64, optional_string_list, parse_id, string_list, Params,
};
use super::pieces::Pieces;
use crate::domain::Visibility;
use crate::error::Error;
use crate::federation::resolve;
use crate::service::{bookmarks, interactions, statuses as status_service, visibility};
use crate::state::Ctx;
use crate::store::{
    accounts::{self as account_store, Account},
    statuses::{self as status_store, Status as StatusRow},
};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

async fn one(ctx: &Ctx, viewer: Option<Account>, row: StatusRow) -> Result<Status, Error> {
    let base = ctx.config.base_url();
    ctx.db
        .run(move |conn| {
            if !visibility::can_see(conn, viewer.as_ref(), &row)? {
                return Err(Error::NotFound);
            }
            render(conn, &base, viewer.as_ref(), &[row])?
                .pop()
                .ok_or(Error::NotFound)
        })
        .await
}

async fn load(ctx: &Ctx, id: &str) -> Result<StatusRow, Error> {
    let id = parse_id(id)?;
    ctx.db
        .run(move |conn| status_store::by_id(conn, id))
        .await?
        .ok_or(Error::NotFound)
}

/// Run `read` with status `id` if the signed-in viewer (or an anonymous one) may see it,
/// and answer what it gives as JSON; 404 otherwise.
pub(super) async fn read_visible<F, T>(
    ctx: &Ctx,
    auth: &MaybeAuth,
    id: &str,
    read: F,
) -> Result<HttpResponse, Error>
where
    F: FnOnce(&mut crate::db::DbConn, Option<&Account>, StatusRow) -> Result<T, Error>
        + Send
        + 'static,
    T: serde::Serialize + Send + 'static,
{
    write_visible(ctx, auth, id, move |conn, viewer, row| {
        Pieces::of(&read(conn, viewer, row)?)
    })
    .await
}

/// [`read_visible`] for an answer that `write` serialises itself.
async fn write_visible<F>(
    ctx: &Ctx,
    auth: &MaybeAuth,
    id: &str,
    write: F,
) -> Result<HttpResponse, Error>
where
    F: FnOnce(&mut crate::db::DbConn, Option<&Account>, StatusRow) -> Result<Pieces, Error>
        + Send
        + 'static,
{
    let id = parse_id(id)?;
    let viewer = auth.viewer("read:statuses").cloned();
    // One turn on the pool for the status and what is read of it, serialised there too, off
    // the async workers: a thread's context is megabytes.
    let body = ctx
        .db
        .run(move |conn| {
            let row = status_store::by_id(conn, id)?.ok_or(Error::NotFound)?;
            if !visibility::can_see(conn, viewer.as_ref(), &row)? {
                return Err(Error::NotFound);
            }
            write(conn, viewer.as_ref(), row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body.into_body()))
}

#[derive(Deserialize)]
pub struct NewStatus {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    #[serde(default)]
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    sensitive: Option<bool>,
    #[serde(default)]
    visibility: Option<String>,
    /// Guild extension: the title of a thread in a community.
    #[serde(default)]
    title: Option<String>,
    /// Guild extension: ask the thread as a question.
    #[serde(default, deserialize_with = "flexible_bool")]
    question: Option<bool>,
    /// Uploads to attach, in order.
    #[serde(default, deserialize_with = "string_list")]
    media_ids: Vec<String>,
    #[serde(default)]
    poll: Option<PollForm>,
}

#[derive(Deserialize)]
pub struct PollForm {
    #[serde(default, deserialize_with = "string_list")]
    options: Vec<String>,
    #[serde(default, deserialize_with = "flexible_i64")]
    expires_in: Option<i64>,
    #[serde(default, deserialize_with = "flexible_bool")]
    multiple: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    hide_totals: Option<bool>,
}

impl PollForm {
    fn poll(self) -> crate::service::polls::NewPoll {
        crate::service::polls::NewPoll {
            options: self.options,
            expires_in: self.expires_in.unwrap_or(24 * 3600),
            multiple: self.multiple.unwrap_or(false),
            hide_totals: self.hide_totals.unwrap_or(false),
        }
    }
}

/// Statuses created under an `Idempotency-Key`, by (account, key), for an hour, so an app
/// that retries a post does not post twice. Kept per process.
#[derive(Clone, Default)]
pub struct IdempotencyKeys(Arc<Mutex<HashMap<KeyOf, (i64, Instant)>>>);

/// An idempotency key of an account: (account id, key).
type KeyOf = (i64, String);

const IDEMPOTENCY_TTL: Duration = Duration::from_secs(3600);

impl IdempotencyKeys {
    fn get(&self, account: i64, key: &str) -> Option<i64> {
        let mut keys = self.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.retain(|_, (_, at)| at.elapsed() < IDEMPOTENCY_TTL);
        keys.get(&(account, key.to_string())).map(|(id, _)| *id)
    }

    fn put(&self, account: i64, key: String, status: i64) {
        let mut keys = self.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.insert((account, key), (status, Instant::now()));
    }
}

/// `POST /api/v1/statuses`
pub async fn create(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Params(new): Params<NewStatus>,
) -> Result<HttpResponse, Error> {
    let (_, author) = auth.user("write:statuses")?;
    let author = author.clone();
    let keys = req
        .app_data::<actix_web::web::Data<IdempotencyKeys>>()
        .map(|k| k.get_ref().clone());
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .zip(keys);
    if let Some((key, keys)) = &key {
        if let Some(id) = keys.get(author.id, key) {
            let row = ctx
                .db
                .run(move |conn| status_store::by_id(conn, id))
                .await?
                .ok_or(Error::NotFound)?;
            return Ok(HttpResponse::Ok().json(one(&ctx, Some(author), row).await?));
        }
    }
    let in_reply_to_id = match new.in_reply_to_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => Some(parse_id(id)?),
        None => None,
    };
    let media_ids = ids(&new.media_ids, "media_ids")?;
    let mentions = resolve::mentioned(&ctx, new.status.as_deref().unwrap_or_default()).await;
    let visibility = match new.visibility.as_deref() {
        Some(name) => status_service::chosen_visibility(name)?,
        None => Visibility::Public,
    };
    let config = ctx.config.clone();
    let viewer = author.clone();
    let row = ctx
        .db
        .run(move |conn| {
            let post = status_service::NewPost {
                text: new.status.unwrap_or_default(),
                title: new.title,
                spoiler_text: new.spoiler_text.unwrap_or_default(),
                sensitive: new.sensitive.unwrap_or(false),
                visibility,
                in_reply_to_id,
                community: None,
                mentions,
                media_ids,
                poll: new.poll.map(PollForm::poll),
                question: new.question.unwrap_or(false),
            };
            status_service::create(conn, &config, &author, post)
        })
        .await?;
    if let Some((key, keys)) = key {
        keys.put(viewer.id, key, row.id);
    }
    Ok(HttpResponse::Ok().json(one(&ctx, Some(viewer), row).await?))
}

/// `GET /api/v1/statuses/{id}`
pub async fn get(ctx: Ctx, auth: MaybeAuth, id: Path<String>) -> Result<HttpResponse, Error> {
    let row = load(&ctx, &id).await?;
    let viewer = auth.viewer("read:statuses").cloned();
    Ok(HttpResponse::Ok().json(one(&ctx, viewer, row).await?))
}

/// `DELETE /api/v1/statuses/{id}`: answers the deleted status with its source `text`.
pub async fn delete(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let (_, author) = auth.user("write:statuses")?;
    let author = author.clone();
    let row = load(&ctx, &id).await?;
    let mut entity = one(&ctx, Some(author.clone()), row.clone()).await?;
    let config = ctx.config.clone();
    ctx.db
        .run(move |conn| status_service::delete(conn, &config, &author, row.id))
        .await?;
    entity.text = Some(row.source);
    Ok(HttpResponse::Ok().json(entity))
}

/// What an interaction answers: the status itself, or for a boost the new boost.
type Interaction =
    fn(&mut crate::db::DbConn, &crate::config::Config, &Account, i64) -> Result<i64, Error>;

/// `POST /api/v1/statuses/{id}/{action}`: favourite, unfavourite, reblog, unreblog,
/// bookmark, unbookmark, pin or unpin a status the person may see; answers the status (for
/// a reblog, the new boost).
pub async fn interact(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, verb) = path.into_inner();
    let (scope, action): (&str, Interaction) = match verb.as_str() {
        "favourite" => ("write:favourites", |c, cfg, a, s| {
            interactions::favourite(c, cfg, a, s).map(|_| s)
        }),
        "unfavourite" => ("write:favourites", |c, cfg, a, s| {
            interactions::unfavourite(c, cfg, a, s).map(|_| s)
        }),
        "reblog" => ("write:statuses", |c, cfg, a, s| {
            interactions::reblog(c, cfg, a, s).map(|boost| boost.id)
        }),
        "unreblog" => ("write:statuses", |c, cfg, a, s| {
            interactions::unreblog(c, cfg, a, s).map(|_| s)
        }),
        "bookmark" => ("write:bookmarks", |c, _, a, s| {
            bookmarks::add(c, a.id, s).map(|_| s)
        }),
        "unbookmark" => ("write:bookmarks", |c, _, a, s| {
            bookmarks::remove(c, a.id, s).map(|_| s)
        }),
        "pin" => ("write:accounts", |c, _, a, s| {
            status_service::pin_to_profile(c, a, s, true).map(|_| s)
        }),
        "unpin" => ("write:accounts", |c, _, a, s| {
            status_service::pin_to_profile(c, a, s, false).map(|_| s)
        }),
        _ => return Err(Error::NotFound),
    };
    let (_, account) = auth.user(scope)?;
    let account = account.clone();
    let row = load(&ctx, &id).await?;
    let (config, viewer, status_id) = (ctx.config.clone(), account.clone(), row.id);
    let visible = ctx
        .db
        .run(move |conn| {
            if !visibility::can_see(conn, Some(&account), &row)? {
                return Err(Error::NotFound);
            }
            let answer = action(conn, &config, &account, status_id)?;
            status_store::by_id(conn, answer)?.ok_or(Error::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(one(&ctx, Some(viewer), visible).await?))
}

/// `GET /api/v1/statuses/{id}/history`: every version, oldest first, the current one last.
pub async fn history(ctx: Ctx, auth: MaybeAuth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    read_visible(&ctx, &auth, &id, move |conn, _, row| {
        let author = account_store::by_id(conn, row.account_id)?.ok_or(Error::NotFound)?;
        let account = super::entities::account::Account::from_row(&author, &base);
        let current = crate::store::versions::Version {
            title: row.title.clone(),
            content: row.content.clone(),
            spoiler_text: row.spoiler_text.clone(),
            sensitive: row.sensitive,
            created_at: row.edited_at.unwrap_or(row.created_at),
            media_ids: String::new(),
        };
        let mut versions = crate::store::versions::versions(conn, row.id)?;
        let ever = crate::store::media::ever_of_status(conn, row.id)?;
        let now = crate::store::media::of_statuses(conn, &[row.id])?;
        let media_of =
            |v: &crate::store::versions::Version, last: bool| -> Vec<serde_json::Value> {
                let ids: Vec<i64> = match last {
                    true => now.iter().map(|a| a.id).collect(),
                    false => v.media_ids(),
                };
                ids.iter()
                    .filter_map(|id| ever.iter().find(|a| a.id == *id))
                    .map(|a| super::entities::media::attachment_json(a, &base))
                    .collect()
            };
        versions.push(current);
        let last = versions.len() - 1;
        Ok(versions
            .iter()
            .enumerate()
            .map(|(n, v)| {
                serde_json::json!({
                    "content": super::entities::status::with_title(v.title.as_deref(), &v.content),
                    "spoiler_text": v.spoiler_text,
                    "sensitive": v.sensitive,
                    "created_at": super::entities::time(v.created_at),
                    "account": account,
                    "media_attachments": media_of(v, n == last),
                    "emojis": [],
                })
            })
            .collect::<Vec<_>>())
    })
    .await
}

/// From how many statuses a context's lookups are shared out with a second connection:
/// below it, starting a thread costs about what it saves.
const SHARED_FROM: usize = 200;

/// `GET /api/v1/statuses/{id}/context`: Mastodon's Context entity, written straight from
/// the statuses (a thousand replies built as a `serde_json::Value` tree first took longer
/// than the queries).
pub async fn context(ctx: Ctx, auth: MaybeAuth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    let db = ctx.db.clone();
    write_visible(&ctx, &auth, &id, move |conn, viewer, row| {
        let (mut ancestors, mut descendants) = crate::service::threads::context(conn, &row)?;
        // Filtered and rendered together, so each lookup is one query for both lists.
        let above: HashSet<String> = ancestors.iter().map(|s| s.id.to_string()).collect();
        ancestors.append(&mut descendants);
        let mut shown = visibility::filter_visible(conn, viewer, ancestors)?;
        if let Some(viewer) = &viewer {
            crate::service::filters::retain_shown(conn, viewer.id, &mut shown, "thread")?;
        }
        let mut spare = (shown.len() >= SHARED_FROM).then(|| db.spare()).flatten();
        let statuses = render_with(conn, spare.as_deref_mut(), &base, viewer, &shown)?;
        // The ancestors stay in front: filtering and rendering keep the order.
        let (ancestors, descendants) = statuses.split_at(
            statuses
                .iter()
                .take_while(|s| above.contains(&s.id))
                .count(),
        );
        let mut body = Pieces::default();
        body.push(b"{\"ancestors\":");
        body.write_array(ancestors)?;
        body.push(b",\"descendants\":");
        body.write_array(descendants)?;
        body.push(b"}");
        Ok(body)
    })
    .await
}

/// `GET /api/v1/statuses/{id}/favourited_by` and `…/reblogged_by`: who favourited or
/// boosted a visible status.
pub async fn who(
    ctx: Ctx,
    auth: MaybeAuth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, list) = path.into_inner();
    let boosts = list == "reblogged_by";
    let base = ctx.config.base_url();
    read_visible(&ctx, &auth, &id, move |conn, _, row| {
        let ids = match boosts {
            true => crate::store::boosts::reblogger_ids(conn, row.id, 40)?,
            false => crate::store::favourites::favouriter_ids(conn, row.id, 40)?,
        };
        super::entities::account::Account::list(conn, &base, &ids)
    })
    .await
}

#[derive(Deserialize)]
pub struct EditStatus {
    /// The new text; absent keeps it.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    title: Option<String>,
    /// Guild extension: `true` asks the thread as a question from now on.
    #[serde(default, deserialize_with = "flexible_bool")]
    question: Option<bool>,
    /// The attachments after the edit, in order; absent keeps them as they are.
    #[serde(default, deserialize_with = "optional_string_list")]
    media_ids: Option<Vec<String>>,
    /// New alt text or focal points of attachments (JSON bodies).
    #[serde(default)]
    media_attributes: Vec<MediaAttribute>,
}

#[derive(Deserialize)]
pub struct MediaAttribute {
    id: String,
    description: Option<String>,
    focus: Option<String>,
}

/// Ids sent by a client: a 422 for one that is not a number.
fn ids(sent: &[String], what: &str) -> Result<Vec<i64>, Error> {
    sent.iter()
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse::<i64>()
                .map_err(|_| Error::Unprocessable(format!("{what}: {id:?} is not an id")))
        })
        .collect()
}

/// `PUT /api/v1/statuses/{id}`: edit the text; the new version federates as `Update`.
pub async fn edit(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(edit): Params<EditStatus>,
) -> Result<HttpResponse, Error> {
    let (_, author) = auth.user("write:statuses")?;
    let (author, viewer) = (author.clone(), author.clone());
    let (row, config) = (load(&ctx, &id).await?, ctx.config.clone());
    let media_ids = match &edit.media_ids {
        Some(sent) => Some(ids(sent, "media_ids")?),
        None => None,
    };
    let mut media_attributes = Vec::new();
    for attribute in edit.media_attributes {
        let id = ids(std::slice::from_ref(&attribute.id), "media_attributes")?;
        let details = crate::service::media::Details {
            description: attribute.description,
            focus: attribute.focus,
        };
        media_attributes.extend(id.into_iter().map(|id| (id, details.clone())));
    }
    let change = status_service::Change {
        text: edit.status,
        title: edit.title,
        media_ids,
        media_attributes,
        ask: edit.question == Some(true),
    };
    let edited = ctx
        .db
        .run(move |conn| status_service::edit(conn, &config, &author, row.id, change))
        .await?;
    Ok(HttpResponse::Ok().json(one(&ctx, Some(viewer), edited).await?))
}

/// `GET /api/v1/statuses/{id}/source`: the text as written, for editing.
pub async fn source(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let (_, author) = auth.user("read:statuses")?;
    let row = load(&ctx, &id).await?;
    if row.account_id != author.id || row.deleted_at.is_some() {
        return Err(Error::NotFound);
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": row.id.to_string(),
        "text": row.source,
        "spoiler_text": row.spoiler_text,
    })))
}
