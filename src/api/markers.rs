//! `/api/v1/markers`: where a person stopped reading their home timeline and notifications,
//! shared by all their apps.

use super::auth::Auth;
use super::params::{Params, Query};
use crate::error::Error;
use crate::service::markers::{self, TIMELINES};
use crate::state::Ctx;
use actix_web::HttpResponse;
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn markers_json(markers: &[crate::store::markers::Marker]) -> Value {
    let mut body = Map::new();
    for m in markers {
        body.insert(
            m.timeline.clone(),
            json!({
                "last_read_id": m.last_read_id,
                "version": m.version,
                "updated_at": crate::api::entities::time(m.updated_at),
            }),
        );
    }
    Value::Object(body)
}

#[derive(Deserialize)]
pub struct MarkerQuery {
    #[serde(default, deserialize_with = "crate::api::params::string_list")]
    timeline: Vec<String>,
}

/// `GET /api/v1/markers?timeline[]=home`: read positions, shared by a person's apps.
pub async fn markers(
    ctx: Ctx,
    auth: Auth,
    Query(query): Query<MarkerQuery>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("read:statuses")?.1.id;
    let timelines = if query.timeline.is_empty() {
        TIMELINES.iter().map(|t| t.to_string()).collect()
    } else {
        query.timeline
    };
    let found = ctx
        .db
        .run(move |conn| crate::store::markers::of(conn, me, &timelines))
        .await?;
    Ok(HttpResponse::Ok().json(markers_json(&found)))
}

/// `POST /api/v1/markers`: `{"home": {"last_read_id": "…"}}` or `home[last_read_id]=…`.
pub async fn save_markers(
    ctx: Ctx,
    auth: Auth,
    Params(body): Params<Map<String, Value>>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:statuses")?.1.id;
    let mut moves = Vec::new();
    for timeline in TIMELINES {
        let flat = format!("{timeline}[last_read_id]");
        let id = body
            .get(timeline)
            .and_then(|t| t.get("last_read_id"))
            .or_else(|| body.get(&flat))
            .and_then(Value::as_str);
        if let Some(id) = id {
            moves.push((timeline.to_string(), id.to_string()));
        }
    }
    if moves.is_empty() {
        return Err(Error::Unprocessable(
            "give home[last_read_id] or notifications[last_read_id]".into(),
        ));
    }
    let found = ctx
        .db
        .run(move |conn| markers::save(conn, me, &moves))
        .await?;
    Ok(HttpResponse::Ok().json(markers_json(&found)))
}
