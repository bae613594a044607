//! Uploads: `POST /api/v2/media` (and v1), `GET` and `PUT /api/v1/media/{id}`. Uploads are
//! processed before the answer, so v2 answers 200 with the attachment ready.

use super::auth::Auth;
use super::entities::media::attachment_json;
use super::params::{parse_id, Params, WithFiles};
use crate::error::Error;
use crate::service::media::{self, Details};
use crate::state::Ctx;
use actix_web::{web::Path, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct MediaForm {
    description: Option<String>,
    focus: Option<String>,
}

impl MediaForm {
    fn details(self) -> Details {
        Details {
            description: self.description,
            focus: self.focus,
        }
    }
}

/// `POST /api/v2/media` and `POST /api/v1/media`
pub async fn upload(
    ctx: Ctx,
    auth: Auth,
    WithFiles(form, mut files): WithFiles<MediaForm>,
) -> Result<HttpResponse, Error> {
    let (_, account) = auth.user("write:media")?;
    let file = files.take("file").ok_or_else(|| {
        Error::Unprocessable("file is missing: send it as the `file` part".into())
    })?;
    let upload = (file.bytes, file.content_type);
    let attachment = media::upload(
        (&ctx.db, &ctx.config, &ctx.files),
        account,
        upload,
        form.details(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(attachment_json(&attachment, &ctx.config.base_url())))
}

/// `GET /api/v1/media/{id}`: one's own upload, while no post has it yet.
pub async fn show(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let (_, account) = auth.user("write:media")?;
    let (account, id) = (account.clone(), parse_id(&id)?);
    let attachment = ctx
        .db
        .run(move |conn| media::unattached_of(conn, &account, id))
        .await?;
    Ok(HttpResponse::Ok().json(attachment_json(&attachment, &ctx.config.base_url())))
}

/// `PUT /api/v1/media/{id}`: alt text and focal point of one's own upload.
pub async fn update(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<MediaForm>,
) -> Result<HttpResponse, Error> {
    let (_, account) = auth.user("write:media")?;
    let (account, id) = (account.clone(), parse_id(&id)?);
    let attachment = ctx
        .db
        .run(move |conn| media::update(conn, &account, id, form.details()))
        .await?;
    Ok(HttpResponse::Ok().json(attachment_json(&attachment, &ctx.config.base_url())))
}
