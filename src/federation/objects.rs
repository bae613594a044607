//! Posts as ActivityPub objects: `Note` for posts and comments, `Page` (with `name`) for
//! threads that have a title. Other servers' `Article`, `Question` and `Video` are read as
//! posts too.

use super::actors::ApAccount;
use crate::db::DbConn;
use crate::domain::Visibility;
use crate::error::Error;
use crate::service::statuses::{self as status_service, RemotePost};
use crate::state::{AppState, Ctx};
use crate::store::{
    accounts as account_store,
    statuses::{self as status_store, Status},
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    protocol::{
        helpers::{deserialize_one_or_many, deserialize_skip_error},
        verification::verify_domains_match,
    },
    traits::Object,
};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

pub const PUBLIC_COLLECTION: &str = "https://www.w3.org/ns/activitystreams#Public";
/// Object types read as posts.
pub const POST_TYPES: &[&str] = &["Note", "Page", "Article", "Question", "Video"];

/// A post as other servers send it; only what Guild keeps is read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApPost {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: ObjectId<ApStatus>,
    #[serde(default)]
    pub attributed_to: Value,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub content: Option<String>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub sensitive: Option<bool>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub in_reply_to: Option<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub url: Option<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub audience: Option<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub tag: Vec<Value>,
}

impl ApPost {
    /// The author: `attributedTo` as a URL, or the first actor in a list (PeerTube, Lemmy).
    pub fn author(&self) -> Result<Url, Error> {
        let first = match &self.attributed_to {
            Value::Array(items) => items
                .iter()
                .find(|i| i.is_string() || i["type"] == "Person")
                .cloned()
                .unwrap_or(Value::Null),
            other => other.clone(),
        };
        let id = first.as_str().or_else(|| first["id"].as_str());
        let id = id.ok_or_else(|| Error::BadRequest("post without attributedTo".into()))?;
        Ok(Url::parse(id)?)
    }

    /// Visibility from addressing: public in `to`, unlisted in `cc`, members-only when the
    /// community's members are addressed, followers-only when the author's followers are,
    /// direct otherwise.
    fn visibility(
        &self,
        author_followers: Option<&str>,
        community_members: Option<&str>,
    ) -> Visibility {
        let public = |u: &Url| matches!(u.as_str(), PUBLIC_COLLECTION | "as:Public" | "Public");
        let addressed = |collection: Option<&str>| {
            collection.is_some_and(|c| self.to.iter().chain(&self.cc).any(|u| u.as_str() == c))
        };
        if self.to.iter().any(public) {
            Visibility::Public
        } else if self.cc.iter().any(public) {
            Visibility::Unlisted
        } else if addressed(community_members) {
            Visibility::Members
        } else if author_followers
            .is_some_and(|f| self.to.iter().chain(&self.cc).any(|u| u.as_str() == f))
        {
            Visibility::Private
        } else {
            Visibility::Direct
        }
    }
}

/// A status as the federation library sees it: the row plus its id parsed as a URL.
#[derive(Clone, Debug)]
pub struct ApStatus {
    pub row: Status,
    id: Url,
}

impl ApStatus {
    pub fn new(row: Status) -> Result<ApStatus, Error> {
        let id = Url::parse(&row.ap_id)?;
        Ok(ApStatus { row, id })
    }
}

/// The JSON document of a local status, for serving and for activities.
pub fn post_json(conn: &mut DbConn, status: &Status) -> Result<Value, Error> {
    let author = account_store::by_id(conn, status.account_id)?.ok_or(Error::NotFound)?;
    let community = match status.community_id {
        Some(id) => account_store::by_id(conn, id)?,
        None => None,
    };
    let parent = match status.in_reply_to_id {
        Some(id) => status_store::by_id(conn, id)?.map(|p| p.ap_id),
        None => None,
    };
    let followers = author.followers_url.clone().unwrap_or_default();
    let (mut to, cc) = match status.visibility {
        Visibility::Public => (vec![PUBLIC_COLLECTION.to_string()], vec![followers]),
        Visibility::Unlisted => (vec![followers], vec![PUBLIC_COLLECTION.to_string()]),
        Visibility::Private => (vec![followers], vec![]),
        Visibility::Members => (
            community
                .iter()
                .filter_map(|c| c.followers_url.clone())
                .collect(),
            vec![],
        ),
        Visibility::Direct => (vec![], vec![]),
    };
    if let Some(community) = &community {
        to.push(community.ap_id.clone());
    }
    let mentioned_ids: Vec<i64> = status_store::mentions_of(conn, &[status.id])?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    let mentioned = account_store::by_ids(conn, &mentioned_ids)?;
    let mut cc = cc;
    let mut tags: Vec<Value> = Vec::new();
    for account in &mentioned {
        // Direct posts go to the people they mention; others copy them in, except members-only
        // posts, which reach members alone.
        match status.visibility {
            Visibility::Direct => to.push(account.ap_id.clone()),
            Visibility::Members => {}
            _ => cc.push(account.ap_id.clone()),
        }
        tags.push(json!({ "type": "Mention", "href": account.ap_id, "name": format!("@{}", account.acct()) }));
    }
    for tag in crate::service::text::hashtags(&status.source) {
        tags.push(json!({ "type": "Hashtag", "href": format!("{}/tags/{tag}", base_of(&author.ap_id)), "name": format!("#{tag}") }));
    }
    let mut post = json!({
        "id": status.ap_id,
        "type": if status.title.is_some() { "Page" } else { "Note" },
        "attributedTo": author.ap_id,
        "to": to,
        "cc": cc,
        "content": status.content,
        "mediaType": "text/html",
        "source": { "content": status.source, "mediaType": "text/markdown" },
        "sensitive": status.sensitive,
        "published": crate::time::rfc3339(status.created_at),
        "url": status.url.clone().unwrap_or_else(|| status.ap_id.clone()),
        "tag": tags,
    });
    let fields = [
        ("name", status.title.clone().map(Value::from)),
        (
            "summary",
            Some(status.spoiler_text.clone())
                .filter(|s| !s.is_empty())
                .map(Value::from),
        ),
        ("inReplyTo", parent.map(Value::from)),
        ("audience", community.map(|c| Value::from(c.ap_id))),
        (
            "updated",
            status
                .edited_at
                .map(|t| Value::from(crate::time::rfc3339(t))),
        ),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            post[key] = value;
        }
    }
    Ok(post)
}

/// `scheme://host[:port]` of a URL.
fn base_of(url: &str) -> String {
    Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl Object for ApStatus {
    type DataType = AppState;
    type Kind = ApPost;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(id: Url, data: &Data<AppState>) -> Result<Option<Self>, Error> {
        let row = data
            .db
            .run(move |conn| status_store::by_ap_id(conn, id.as_str()))
            .await?;
        row.map(ApStatus::new).transpose()
    }

    async fn delete(&self, data: &Data<AppState>) -> Result<(), Error> {
        let id = self.row.id;
        data.db
            .run(move |conn| status_store::mark_deleted(conn, id, crate::time::now()))
            .await
    }

    fn is_deleted(&self) -> bool {
        self.row.deleted_at.is_some()
    }

    async fn into_json(self, data: &Data<AppState>) -> Result<ApPost, Error> {
        let json = data.db.run(move |conn| post_json(conn, &self.row)).await?;
        Ok(serde_json::from_value(json)?)
    }

    async fn verify(json: &ApPost, expected_domain: &Url, _: &Data<AppState>) -> Result<(), Error> {
        verify_domains_match(json.id.inner(), expected_domain)?;
        verify_domains_match(json.id.inner(), &json.author()?)?;
        if !POST_TYPES.contains(&json.kind.as_str()) {
            return Err(Error::BadRequest(format!(
                "{} is not a post type",
                json.kind
            )));
        }
        Ok(())
    }

    async fn from_json(json: ApPost, data: &Data<AppState>) -> Result<Self, Error> {
        let author = ObjectId::<ApAccount>::from(json.author()?)
            .dereference(data)
            .await?
            .row;
        if author.is_local() {
            return Err(Error::BadRequest("a remote copy of a local post".into()));
        }
        // The thread is fetched from its origin when we have not seen it; a parent that
        // cannot be had leaves the reply standing alone rather than lost.
        let parent = match &json.in_reply_to {
            Some(id) => match ObjectId::<ApStatus>::from(id.clone())
                .dereference(data)
                .await
            {
                Ok(parent) => Some(parent.row),
                Err(e) => {
                    tracing::info!("parent {id} of {} unavailable: {e}", json.id.inner());
                    None
                }
            },
            None => None,
        };
        let community = community_of(&json, data).await?;
        let visibility = json.visibility(
            author.followers_url.as_deref(),
            community.as_ref().and_then(|c| c.followers_url.as_deref()),
        );
        let post = RemotePost {
            ap_id: json.id.inner().to_string(),
            url: json
                .url
                .as_ref()
                .filter(|u| super::actors::is_web(u))
                .map(Url::to_string),
            title: json.name.clone().filter(|_| json.kind != "Note"),
            content: json.content.clone().unwrap_or_default(),
            spoiler_text: json.summary.clone().unwrap_or_default(),
            sensitive: json.sensitive.unwrap_or(false),
            visibility,
            published: json.published.map(|t| t.naive_utc()),
            tags: hashtags(&json.tag),
        };
        let mentions: Vec<String> = json
            .tag
            .iter()
            .filter(|t| t["type"] == "Mention")
            .filter_map(|t| t["href"].as_str().map(str::to_string))
            .collect();
        let row = data
            .db
            .run(move |conn| {
                let mentioned: Vec<i64> = account_store::by_ap_ids(conn, &mentions)?
                    .iter()
                    .map(|a| a.id)
                    .collect();
                status_service::store_remote(
                    conn,
                    &author,
                    parent.as_ref(),
                    community.as_ref(),
                    &post,
                    &mentioned,
                )
            })
            .await?;
        data.deliveries.wake();
        ApStatus::new(row)
    }
}

/// Hashtag names of a post's `tag` list, lowercase, without `#`, once each.
fn hashtags(tags: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = tags
        .iter()
        .filter(|t| t["type"] == "Hashtag")
        .filter_map(|t| t["name"].as_str())
        .map(|n| n.trim_start_matches('#').to_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The community a post is in: `audience`, else a known community among its recipients.
async fn community_of(
    json: &ApPost,
    data: &Data<AppState>,
) -> Result<Option<account_store::Account>, Error> {
    if let Some(audience) = &json.audience {
        if let Ok(actor) = ObjectId::<ApAccount>::from(audience.clone())
            .dereference(data)
            .await
        {
            if actor.row.is_group() {
                return Ok(Some(actor.row));
            }
        }
    }
    let candidates: Vec<String> = json.to.iter().chain(&json.cc).map(Url::to_string).collect();
    data.db
        .run(move |conn| account_store::group_among(conn, &candidates))
        .await
}

/// `GET /statuses/{id}`: the post as ActivityStreams JSON (a Tombstone once deleted).
/// Public and unlisted posts are served to anyone (signed, under authorized fetch); others
/// only to a signer who may see them, and members-only posts also to the instances of the
/// community's members.
pub async fn status(ctx: Ctx, req: HttpRequest, id: Path<i64>) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let row = ctx
        .db
        .run(move |conn| status_store::by_id(conn, id))
        .await?
        .filter(|s| s.local)
        .ok_or(Error::NotFound)?;
    let open = row.visibility.is_open() && row.removed_at.is_none();
    let signer = super::signed_fetch::require_signer(&ctx, &req)
        .await?
        .map(|s| s.row);
    // Public posts go to anyone, except someone their author blocks; the rest to who may see.
    if row.deleted_at.is_none() && (!open || signer.is_some()) {
        let checked = row.clone();
        let allowed = ctx
            .db
            .run(move |conn| crate::service::visibility::can_fetch(conn, signer.as_ref(), &checked))
            .await?;
        if !allowed {
            return Err(Error::NotFound);
        }
    }
    let context = json!(super::activities::AS_CONTEXT);
    ApStatus::new(row)?.http_response(&context, &ctx).await
}
