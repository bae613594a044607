//! Posts as the federation library sees them: served at their ids, fetched from their
//! origin and kept through the status service.

use super::actors::ApAccount;
use crate::error::Error;
use crate::protocol::{
    is_web,
    remote_post::{ApPost, POST_TYPES},
    require_same_origin,
};
use crate::service::received::{self, RemotePost};
use crate::state::{AppState, Ctx};
use crate::store::{
    accounts as account_store,
    statuses::{self as status_store, Status},
};
use activitypub_federation::{config::Data, fetch::object_id::ObjectId, traits::Object};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde_json::Value;
use url::Url;

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

    /// Its origin says it is gone.
    async fn delete(&self, data: &Data<AppState>) -> Result<(), Error> {
        let (author_id, ap_id) = (self.row.account_id, self.row.ap_id.clone());
        data.db
            .run(move |conn| {
                let author = account_store::by_id(conn, author_id)?.ok_or(Error::NotFound)?;
                received::delete_remote(conn, &author, &ap_id).map(|_| ())
            })
            .await
    }

    fn is_deleted(&self) -> bool {
        self.row.deleted_at.is_some()
    }

    async fn into_json(self, data: &Data<AppState>) -> Result<ApPost, Error> {
        let json = data
            .db
            .run(move |conn| crate::service::documents::document(conn, &self.row))
            .await?;
        Ok(serde_json::from_value(json)?)
    }

    async fn verify(json: &ApPost, expected_domain: &Url, _: &Data<AppState>) -> Result<(), Error> {
        require_same_origin(&json.id, expected_domain)?;
        require_same_origin(&json.id, &json.author()?)?;
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
                    tracing::info!("parent {id} of {} unavailable: {e}", json.id);
                    None
                }
            },
            None => None,
        };
        let community = community_of(&json, data).await?;
        let (domain, config) = (
            author.domain.clone().unwrap_or_default(),
            data.config.clone(),
        );
        let decision = data
            .db
            .run(move |conn| crate::policy::decide(conn, &config, &domain))
            .await?;
        // A domain whose media are refused has its posts kept without their files (and
        // without a link thread's thumbnail).
        let rejects_media = decision == crate::policy::Decision::RejectMedia;
        let attachments = match rejects_media {
            true => Vec::new(),
            false => json.attachments(),
        };
        let visibility = json.visibility(
            author.followers_url.as_deref(),
            community.as_ref().and_then(|c| c.followers_url.as_deref()),
        );
        let post = RemotePost {
            ap_id: json.id.to_string(),
            url: json
                .url
                .as_ref()
                .filter(|u| is_web(u) && !json.url_is_link())
                .map(Url::to_string),
            title: json.name.clone().filter(|_| json.kind != "Note"),
            content: json.content.clone().unwrap_or_default(),
            spoiler_text: json.summary.clone().unwrap_or_default(),
            sensitive: json.sensitive.unwrap_or(false),
            visibility,
            published: json.published.map(|t| t.naive_utc()),
            updated: json.updated.map(|t| t.naive_utc()),
            tags: json.hashtags(),
            attachments,
            poll: json.poll(),
            asks: json.asks(),
            accepted_answer: json.accepted_answer(),
            link: json
                .link()
                .map(|(url, image_url)| crate::service::cards::Given {
                    url: url.to_string(),
                    title: json.name.clone().unwrap_or_default(),
                    image_url: image_url.filter(|_| !rejects_media),
                }),
        };
        let mentions = json.mentions();
        let row = data
            .db
            .run(move |conn| {
                let mentioned: Vec<i64> = account_store::by_ap_ids(conn, &mentions)?
                    .iter()
                    .map(|a| a.id)
                    .collect();
                received::store_remote(
                    conn,
                    &author,
                    parent.as_ref(),
                    community.as_ref(),
                    &post,
                    &mentioned,
                )
            })
            .await?;
        ApStatus::new(row)
    }
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
    let context = Value::from(crate::protocol::AS_CONTEXT);
    ApStatus::new(row)?.http_response(&context, &ctx).await
}
