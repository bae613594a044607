//! Moderators' actions as activities, in the shapes Lemmy sends and reads: `Delete` of
//! another's post (removal) and its `Undo` (restore), `Lock`/`Undo`, `Add`/`Remove` on the
//! featured collection (pins) or the moderators collection, `Block` with the community as
//! `target` (a ban) and its `Undo`.

use super::activities::{self, community_audience};
use super::actors::ApAccount;
use crate::config::Config;
use crate::error::Error;
use crate::ids::next_id;
use crate::service::moderation::{Action, BanOrder};
use crate::state::AppState;
use crate::store::{accounts as account_store, accounts::Account, communities, statuses};
use activitypub_federation::{config::Data, fetch::object_id::ObjectId};
use serde_json::{json, Map, Value};

/// Activity types that carry moderation (besides `Delete` and `Undo`, which may).
pub const KINDS: &[&str] = &["Lock", "Add", "Remove", "Block"];

fn moderators_url(community: &Account) -> String {
    format!("{}/moderators", community.ap_id)
}

fn featured_url(community: &Account) -> String {
    community
        .featured_url
        .clone()
        .unwrap_or_else(|| format!("{}/featured", community.ap_id))
}

/// The activity for a moderator's action; undoing actions are `Undo`s of what they undo.
pub fn activity(
    config: &Config,
    community: &Account,
    moderator: &Account,
    action: &Action,
    members_only: bool,
) -> Value {
    let followers = community.followers_url.clone().unwrap_or_default();
    let (to, _) = community_audience(&followers, members_only);
    let build = |kind: &str, object: &str, extra: Map<String, Value>| {
        activities::moderation(
            config,
            next_id(),
            kind,
            &moderator.ap_id,
            (&community.ap_id, to.clone()),
            Value::from(object),
            extra,
        )
    };
    let target = |url: String| Map::from_iter([("target".to_string(), Value::from(url))]);
    let undo = |inner: Value| {
        let mut undo = activities::undo(config, next_id(), &moderator.ap_id, inner);
        undo["to"] = to.clone();
        undo["cc"] = json!([community.ap_id]);
        undo["audience"] = Value::from(community.ap_id.clone());
        undo
    };
    match action {
        Action::Remove { status, reason } => build(
            "Delete",
            &status.ap_id,
            Map::from_iter([("summary".to_string(), Value::from(reason.clone()))]),
        ),
        Action::Restore { status } => undo(build("Delete", &status.ap_id, Map::new())),
        Action::Lock { status } => build("Lock", &status.ap_id, Map::new()),
        Action::Unlock { status } => undo(build("Lock", &status.ap_id, Map::new())),
        Action::Pin { status } => build("Add", &status.ap_id, target(featured_url(community))),
        Action::Unpin { status } => build("Remove", &status.ap_id, target(featured_url(community))),
        Action::AddModerator { account } => {
            build("Add", &account.ap_id, target(moderators_url(community)))
        }
        Action::RemoveModerator { account } => {
            build("Remove", &account.ap_id, target(moderators_url(community)))
        }
        Action::Ban(order) => build("Block", &order.account.ap_id, ban_fields(community, order)),
        Action::Unban { account } => undo(build(
            "Block",
            &account.ap_id,
            target(community.ap_id.clone()),
        )),
    }
}

fn ban_fields(community: &Account, order: &BanOrder) -> Map<String, Value> {
    let mut fields = Map::from_iter([
        ("target".to_string(), Value::from(community.ap_id.clone())),
        ("summary".to_string(), Value::from(order.reason.clone())),
        ("removeData".to_string(), Value::from(order.remove_content)),
    ]);
    if let Some(expires) = order.expires_at {
        fields.insert(
            "expires".to_string(),
            Value::from(crate::time::rfc3339(expires)),
        );
    }
    fields
}

fn id_of(value: &Value) -> Option<&str> {
    value.as_str().or_else(|| value["id"].as_str())
}

/// Whether `activity` is a moderator's action: a moderation type, a `Delete` of a post by
/// someone other than its author, or an `Undo` of one of those.
pub async fn is_moderation(data: &Data<AppState>, activity: &Value) -> Result<bool, Error> {
    let (kind, inner) = match activity["type"].as_str() {
        Some("Undo") => (activity["object"]["type"].as_str(), &activity["object"]),
        kind => (kind, activity),
    };
    match kind {
        Some(kind) if KINDS.contains(&kind) => Ok(true),
        Some("Delete") => {
            let (Some(actor), Some(object)) = (id_of(&inner["actor"]), id_of(&inner["object"]))
            else {
                return Ok(false);
            };
            let (actor, object) = (actor.to_string(), object.to_string());
            data.db
                .run(move |conn| {
                    let Some(status) = statuses::by_ap_id(conn, &object)? else {
                        return Ok(false);
                    };
                    let author = account_store::by_id(conn, status.account_id)?;
                    Ok(author.is_some_and(|a| a.ap_id != actor))
                })
                .await
        }
        _ => Ok(false),
    }
}

/// Read a moderator's action: the community it concerns and what it does. `None` for what
/// Guild does not know (a post it never saw, a person's own featured collection, as
/// Mastodon's pins are).
pub async fn parse(
    data: &Data<AppState>,
    activity: &Value,
) -> Result<Option<(Account, Action)>, Error> {
    let (undo, inner) = match activity["type"].as_str() {
        Some("Undo") => (true, &activity["object"]),
        _ => (false, activity),
    };
    let kind = inner["type"].as_str().unwrap_or_default().to_string();
    let object = id_of(&inner["object"])
        .ok_or_else(|| Error::BadRequest(format!("{kind} without object")))?
        .to_string();
    let target = id_of(&inner["target"]).map(str::to_string);
    // The community: named by `target` (bans), `audience` or the recipients; a post's own
    // community otherwise.
    let mut candidates: Vec<String> = Vec::new();
    for key in ["target", "audience", "to", "cc"] {
        match &inner[key] {
            Value::Array(items) => {
                candidates.extend(items.iter().filter_map(id_of).map(String::from))
            }
            value => candidates.extend(id_of(value).map(String::from)),
        }
    }
    let lookup = object.clone();
    let (status, named) = data
        .db
        .run(move |conn| {
            let status = statuses::by_ap_id(conn, &lookup)?;
            // The first candidate, in order, that is a community we know.
            let known = account_store::by_ap_ids(conn, &candidates)?;
            let named = candidates.iter().find_map(|id| {
                known
                    .iter()
                    .find(|a| a.is_group() && a.ap_id == *id)
                    .cloned()
            });
            Ok((status, named))
        })
        .await?;
    let community_id = status
        .as_ref()
        .and_then(|s| s.community_id)
        .or(named.as_ref().map(|c| c.id));
    let Some(community_id) = community_id else {
        return Ok(None);
    };
    let community = data
        .db
        .run(move |conn| account_store::by_id(conn, community_id))
        .await?
        .ok_or(Error::NotFound)?;
    // Undoing an Add is a Remove, and the other way round.
    let adds = (kind == "Add") != undo;
    let action = match (kind.as_str(), status) {
        ("Delete", Some(status)) if undo => Action::Restore { status },
        ("Delete", Some(status)) => Action::Remove {
            status,
            reason: inner["summary"].as_str().unwrap_or_default().to_string(),
        },
        ("Lock", Some(status)) if undo => Action::Unlock { status },
        ("Lock", Some(status)) => Action::Lock { status },
        ("Add" | "Remove", Some(status))
            if target.as_deref() == Some(&featured_url(&community)) =>
        {
            if adds {
                Action::Pin { status }
            } else {
                Action::Unpin { status }
            }
        }
        ("Add" | "Remove", _)
            if target.as_deref() == Some(&moderators_url_of(data, &community).await?) =>
        {
            let account = person(data, &object).await?;
            if adds {
                Action::AddModerator { account }
            } else {
                Action::RemoveModerator { account }
            }
        }
        ("Block", _) if target.as_deref() == Some(&community.ap_id) => {
            let account = person(data, &object).await?;
            if undo {
                Action::Unban { account }
            } else {
                Action::Ban(BanOrder {
                    account,
                    reason: inner["summary"].as_str().unwrap_or_default().to_string(),
                    expires_at: inner["expires"]
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.naive_utc()),
                    remove_content: inner["removeData"].as_bool().unwrap_or(false),
                })
            }
        }
        _ => return Ok(None),
    };
    Ok(Some((community, action)))
}

/// Where a community lists its moderators: as it told us, or Guild's own path.
async fn moderators_url_of(data: &Data<AppState>, community: &Account) -> Result<String, Error> {
    let id = community.id;
    let stored = data
        .db
        .run(move |conn| communities::by_account(conn, id))
        .await?
        .and_then(|c| c.moderators_url);
    Ok(stored.unwrap_or_else(|| moderators_url(community)))
}

async fn person(data: &Data<AppState>, id: &str) -> Result<Account, Error> {
    Ok(ObjectId::<ApAccount>::parse(id)?
        .dereference(data)
        .await?
        .row)
}
