//! Reading moderators' actions from the activities other servers send, in the shapes Lemmy
//! uses: `Delete` of another's post (removal) and its `Undo` (restore), `Lock`/`Undo`,
//! `Add`/`Remove` on the featured collection (pins) or the moderators collection, `Block`
//! with the community as `target` (a ban) and its `Undo`; and Guild's extension, `Add`/`Remove`
//! of a reply with its thread's root as `target` (an accepted answer to a question).

use super::actors::ApAccount;
use crate::error::Error;
use crate::protocol::{activity::Kind, actor::featured_of, id_of, moderators_collection};
use crate::service::moderation::{Action, BanOrder};
use crate::state::AppState;
use crate::store::{accounts as account_store, accounts::Account, communities, statuses};
use activitypub_federation::{config::Data, fetch::object_id::ObjectId};
use serde_json::Value;

/// Whether `activity` is a moderator's action: a moderation type, a `Delete` of a post by
/// someone other than its author, or an `Undo` of one of those.
pub async fn is_moderation(data: &Data<AppState>, activity: &Value) -> Result<bool, Error> {
    let (kind, inner) = match activity["type"].as_str() {
        Some("Undo") => (activity["object"]["type"].as_str(), &activity["object"]),
        kind => (kind, activity),
    };
    match kind {
        Some(kind) if Kind::parse(kind).is_some_and(Kind::is_moderation) => Ok(true),
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
    let (status, root, named) = data
        .db
        .run(move |conn| {
            let status = statuses::by_ap_id(conn, &lookup)?;
            // A reply's thread, which an accepted answer is added to.
            let root = match status.as_ref().and_then(|s| s.thread_root_id) {
                Some(id) => statuses::by_id(conn, id)?,
                None => None,
            };
            // The first candidate, in order, that is a community we know.
            let known = account_store::by_ap_ids(conn, &candidates)?;
            let named = candidates.iter().find_map(|id| {
                known
                    .iter()
                    .find(|a| a.is_group() && a.ap_id == *id)
                    .cloned()
            });
            Ok((status, root, named))
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
        ("Add" | "Remove", Some(answer))
            if root
                .as_ref()
                .is_some_and(|r| target.as_deref() == Some(&r.ap_id)) =>
        {
            let question = root.expect("matched above");
            if adds {
                Action::Accept { question, answer }
            } else {
                Action::Unaccept { question, answer }
            }
        }
        ("Add" | "Remove", Some(status)) if target.as_deref() == Some(&featured_of(&community)) => {
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
    Ok(stored.unwrap_or_else(|| moderators_collection(&community.ap_id)))
}

async fn person(data: &Data<AppState>, id: &str) -> Result<Account, Error> {
    Ok(ObjectId::<ApAccount>::parse(id)?
        .dereference(data)
        .await?
        .row)
}
