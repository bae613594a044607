//! Endpoints every app calls at start-up for features Guild does not have yet. Each answers
//! an honest empty value in the right shape; docs/CLIENT-API.md lists them.

use super::auth::Auth;
use crate::error::Error;
use actix_web::HttpResponse;
use serde_json::json;

/// Custom emojis, filters, lists, followed tags, announcements: none exist.
pub async fn empty_list() -> HttpResponse {
    HttpResponse::Ok().json(json!([]))
}

/// `GET /api/v1/preferences`: Guild's defaults; per-person preferences are not kept yet.
pub async fn preferences(auth: Auth) -> Result<HttpResponse, Error> {
    auth.user("read:accounts")?;
    Ok(HttpResponse::Ok().json(json!({
        "posting:default:visibility": "public",
        "posting:default:sensitive": false,
        "posting:default:language": null,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}
