//! Moderation of a community by its moderators: removing and restoring posts, locking and
//! pinning threads, appointing moderators and banning people. Every action is written to
//! the community's public log and federated in the shapes Lemmy uses, whether it comes from
//! a local moderator, a remote moderator's instance, or the community's own announcement.

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::domain::LogAction;
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::{
    activity::{self, community_audience},
    actor::featured_of,
    moderators_collection,
};
use crate::service::{communities, follows};
use crate::store::{
    accounts::Account,
    communities as community_store,
    moderation::{self as moderation_store, Ban, LogEntry},
    statuses::{self as status_store, Status},
};
use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};

/// What a moderator does.
#[derive(Clone, Debug)]
pub enum Action {
    Remove {
        status: Status,
        reason: String,
    },
    Restore {
        status: Status,
    },
    Lock {
        status: Status,
    },
    Unlock {
        status: Status,
    },
    Pin {
        status: Status,
    },
    Unpin {
        status: Status,
    },
    AddModerator {
        account: Account,
    },
    RemoveModerator {
        account: Account,
    },
    Ban(BanOrder),
    Unban {
        account: Account,
    },
    /// A reply accepted as the answer to its thread's question, or no longer.
    Accept {
        question: Status,
        answer: Status,
    },
    Unaccept {
        question: Status,
        answer: Status,
    },
}

/// A ban: of whom, why, until when (None: for good), and whether their posts in the
/// community are removed too.
#[derive(Clone, Debug)]
pub struct BanOrder {
    pub account: Account,
    pub reason: String,
    pub expires_at: Option<NaiveDateTime>,
    pub remove_content: bool,
}

impl Action {
    /// The name in the moderation log.
    pub fn name(&self) -> LogAction {
        match self {
            Action::Remove { .. } => LogAction::RemoveStatus,
            Action::Restore { .. } => LogAction::RestoreStatus,
            Action::Lock { .. } => LogAction::LockThread,
            Action::Unlock { .. } => LogAction::UnlockThread,
            Action::Pin { .. } => LogAction::PinThread,
            Action::Unpin { .. } => LogAction::UnpinThread,
            Action::AddModerator { .. } => LogAction::AddModerator,
            Action::RemoveModerator { .. } => LogAction::RemoveModerator,
            Action::Ban(_) => LogAction::Ban,
            Action::Unban { .. } => LogAction::Unban,
            Action::Accept { .. } => LogAction::AcceptAnswer,
            Action::Unaccept { .. } => LogAction::UnacceptAnswer,
        }
    }

    pub fn status(&self) -> Option<&Status> {
        match self {
            Action::Remove { status, .. }
            | Action::Restore { status }
            | Action::Lock { status }
            | Action::Unlock { status }
            | Action::Pin { status }
            | Action::Unpin { status } => Some(status),
            Action::Accept { answer, .. } | Action::Unaccept { answer, .. } => Some(answer),
            _ => None,
        }
    }

    pub fn account(&self) -> Option<&Account> {
        match self {
            Action::AddModerator { account }
            | Action::RemoveModerator { account }
            | Action::Unban { account } => Some(account),
            Action::Ban(order) => Some(&order.account),
            _ => None,
        }
    }

    fn reason(&self) -> &str {
        match self {
            Action::Remove { reason, .. } => reason,
            Action::Ban(order) => &order.reason,
            _ => "",
        }
    }
}

/// The action on a post that `verb` names, as the client API and the web name them.
pub fn status_action(
    conn: &mut DbConn,
    verb: &str,
    status: Status,
    reason: String,
) -> Result<Action, Error> {
    Ok(match verb {
        "remove" => Action::Remove { status, reason },
        "restore" => Action::Restore { status },
        "lock" => Action::Lock { status },
        "unlock" => Action::Unlock { status },
        "pin" => Action::Pin { status },
        "unpin" => Action::Unpin { status },
        "accept" => super::questions::answer_action(conn, status, true)?,
        "unaccept" => super::questions::answer_action(conn, status, false)?,
        _ => return Err(Error::NotFound),
    })
}

pub fn require_moderator(
    conn: &mut DbConn,
    community: &Account,
    account: &Account,
) -> Result<(), Error> {
    if community_store::is_moderator(conn, community.id, account.id)? {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "only moderators of {} may do this",
            community.username
        )))
    }
}

/// Whether `actor` may take the action: moderators may take any; a question's author may
/// also accept (or take back) its answer.
fn require_allowed(
    conn: &mut DbConn,
    community: &Account,
    actor: &Account,
    action: &Action,
) -> Result<(), Error> {
    match action {
        Action::Accept { question, .. } | Action::Unaccept { question, .. } => {
            let moderates = community_store::is_moderator(conn, community.id, actor.id)?;
            match question.account_id == actor.id || moderates {
                true => Ok(()),
                false => Err(Error::Forbidden(format!(
                    "only the question's author or a moderator of {} may accept its answer",
                    community.username
                ))),
            }
        }
        _ => require_moderator(conn, community, actor),
    }
}

/// Whether the action fits the community: its own posts (threads, for locks and pins), a
/// person to appoint or ban, and always one moderator left.
fn check(conn: &mut DbConn, community: &Account, action: &Action) -> Result<(), Error> {
    if let Some(status) = action.status() {
        if status.community_id != Some(community.id) || status.deleted_at.is_some() {
            return Err(Error::Unprocessable(format!(
                "the post is not in {}",
                community.username
            )));
        }
        let thread_action = matches!(
            action,
            Action::Lock { .. } | Action::Unlock { .. } | Action::Pin { .. } | Action::Unpin { .. }
        );
        if thread_action && status.in_reply_to_id.is_some() {
            return Err(Error::Unprocessable(
                "only threads (not comments) are locked or pinned".into(),
            ));
        }
    }
    if let Some(account) = action.account() {
        if account.is_group() || account.id == community.id {
            return Err(Error::Unprocessable(
                "moderators and bans concern people".into(),
            ));
        }
    }
    match action {
        Action::Accept { question, answer } | Action::Unaccept { question, answer } => {
            check_answer(
                conn,
                question,
                answer,
                matches!(action, Action::Unaccept { .. }),
            )?
        }
        Action::RemoveModerator { account } => {
            let moderators = community_store::moderator_ids(conn, community.id)?;
            if moderators == [account.id] {
                return Err(Error::Unprocessable(
                    "a community keeps at least one moderator".into(),
                ));
            }
        }
        Action::Ban(order)
            if community_store::is_moderator(conn, community.id, order.account.id)? =>
        {
            return Err(Error::Unprocessable(
                "remove them as a moderator before banning them".into(),
            ));
        }
        _ => {}
    }
    Ok(())
}

/// An answer is a standing reply in the question's thread; only the accepted one can be
/// taken back.
fn check_answer(
    conn: &mut DbConn,
    question: &Status,
    answer: &Status,
    taking_back: bool,
) -> Result<(), Error> {
    let Some(asked) = crate::store::questions::by_status(conn, question.id)? else {
        return Err(Error::Unprocessable("the thread is not a question".into()));
    };
    if answer.thread_root_id != Some(question.id) || question.deleted_at.is_some() {
        return Err(Error::Unprocessable(
            "an answer is a reply in the question's thread".into(),
        ));
    }
    if answer.removed_at.is_some() {
        return Err(Error::Unprocessable("the reply was removed".into()));
    }
    if taking_back && asked.answer_id != Some(answer.id) {
        return Err(Error::Unprocessable(
            "the reply is not the accepted answer".into(),
        ));
    }
    Ok(())
}

/// Change what the action changes, and write it to the log.
fn apply(
    conn: &mut DbConn,
    community: &Account,
    moderator: Option<&Account>,
    action: &Action,
) -> Result<(), Error> {
    let now = crate::time::now();
    match action {
        Action::Remove { status, .. } => status_store::set_removed(conn, status.id, Some(now))?,
        Action::Restore { status } => status_store::set_removed(conn, status.id, None)?,
        Action::Lock { status } => status_store::set_locked(conn, status.id, true)?,
        Action::Unlock { status } => status_store::set_locked(conn, status.id, false)?,
        Action::Pin { status } => status_store::set_pinned(conn, status.id, Some(now))?,
        Action::Unpin { status } => status_store::set_pinned(conn, status.id, None)?,
        Action::AddModerator { account } => {
            if !community_store::is_moderator(conn, community.id, account.id)? {
                community_store::add_moderator(conn, community.id, account.id)?;
            }
        }
        Action::RemoveModerator { account } => {
            community_store::remove_moderator(conn, community.id, account.id)?;
        }
        Action::Ban(order) => {
            let ban = Ban {
                community_id: community.id,
                account_id: order.account.id,
                reason: order.reason.clone(),
                expires_at: order.expires_at,
                created_at: now,
            };
            moderation_store::insert_ban(conn, &ban)?;
            follows::drop_follow(conn, &order.account, community)?;
            if order.remove_content {
                for status in
                    status_store::standing_in_community(conn, community.id, order.account.id)?
                {
                    status_store::set_removed(conn, status.id, Some(now))?;
                }
            }
        }
        Action::Unban { account } => {
            moderation_store::delete_ban(conn, community.id, account.id)?;
        }
        Action::Accept { question, answer } => {
            crate::store::questions::set_answer(conn, question.id, Some(answer.id), now)?
        }
        Action::Unaccept { question, .. } => {
            crate::store::questions::set_answer(conn, question.id, None, now)?
        }
    }
    let entry = LogEntry {
        target_account_id: action
            .account()
            .map(|a| a.id)
            .or(action.status().map(|s| s.account_id)),
        target_status_id: action.status().map(|s| s.id),
        reason: action.reason().to_string(),
        expires_at: match action {
            Action::Ban(order) => order.expires_at,
            _ => None,
        },
        ..LogEntry::new(community.id, moderator.map(|m| m.id), action.name())
    };
    moderation_store::insert_log(conn, &entry)
}

/// Who hears of an action besides the members: a banned person's server, since the ban ends
/// their membership.
fn told(action: &Action) -> Option<&Account> {
    match action {
        Action::Ban(order) => Some(&order.account),
        Action::Unban { account } => Some(account),
        _ => None,
    }
}

/// A local moderator acts. A local community applies it and passes it on to its members; a
/// remote one is sent the action, and we apply it when the community announces it back, so
/// that the community stays the judge of who moderates it.
pub fn act(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    moderator: &Account,
    action: &Action,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        require_allowed(conn, community, moderator, action)?;
        check(conn, community, action)?;
        let members_only = communities::is_members_only(conn, community.id)?;
        let activity = activity_for(config, community, moderator, action, members_only);
        if community.is_local() {
            apply(conn, community, Some(moderator), action)?;
            // Kept in the outbox, so that members' instances can fetch it by id.
            delivery::enqueue(conn, config, moderator, &activity, &[])?;
            communities::relay_activity(conn, config, community, &activity, told(action))
        } else {
            delivery::enqueue(
                conn,
                config,
                moderator,
                &activity,
                &[community.inbox_url.as_str()],
            )
        }
    })
}

/// A remote moderator's action reached a local community: applied if they moderate it, and
/// passed on to the members unchanged.
pub fn receive(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    moderator: &Account,
    action: &Action,
    activity: &Value,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        require_allowed(conn, community, moderator, action)?;
        check(conn, community, action)?;
        apply(conn, community, Some(moderator), action)?;
        communities::relay_activity(conn, config, community, activity, told(action))
    })
}

/// A remote community announced a moderator's action in it. The community speaks for its own
/// content, so the action is applied as announced.
pub fn receive_announced(
    conn: &mut DbConn,
    community: &Account,
    moderator: Option<&Account>,
    action: &Action,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        if let Err(e) = check(conn, community, action) {
            tracing::info!("announced {} not applied: {e}", action.name());
            return Ok(());
        }
        apply(conn, community, moderator, action)
    })
}

/// The activity for a moderator's action; undoing actions are `Undo`s of what they undo.
fn activity_for(
    config: &Config,
    community: &Account,
    moderator: &Account,
    action: &Action,
    members_only: bool,
) -> Value {
    let followers = community.followers_url.clone().unwrap_or_default();
    let (to, _) = community_audience(&followers, members_only);
    let build = |kind: &str, object: &str, extra: Map<String, Value>| {
        activity::moderation(
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
        let mut undo = activity::undo(config, next_id(), &moderator.ap_id, inner);
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
        // The `summary` marks the undone Delete as a moderator's removal, as Lemmy needs.
        Action::Restore { status } => undo(build(
            "Delete",
            &status.ap_id,
            Map::from_iter([("summary".to_string(), Value::from(""))]),
        )),
        Action::Lock { status } => build("Lock", &status.ap_id, Map::new()),
        Action::Unlock { status } => undo(build("Lock", &status.ap_id, Map::new())),
        Action::Pin { status } => build("Add", &status.ap_id, target(featured_of(community))),
        Action::Unpin { status } => build("Remove", &status.ap_id, target(featured_of(community))),
        Action::AddModerator { account } => build(
            "Add",
            &account.ap_id,
            target(moderators_collection(&community.ap_id)),
        ),
        Action::RemoveModerator { account } => build(
            "Remove",
            &account.ap_id,
            target(moderators_collection(&community.ap_id)),
        ),
        Action::Ban(order) => build("Block", &order.account.ap_id, ban_fields(community, order)),
        Action::Unban { account } => undo(build(
            "Block",
            &account.ap_id,
            target(community.ap_id.clone()),
        )),
        // Guild's extension: the answer added to (or removed from) its question.
        Action::Accept { question, answer } => {
            build("Add", &answer.ap_id, target(question.ap_id.clone()))
        }
        Action::Unaccept { question, answer } => {
            build("Remove", &answer.ap_id, target(question.ap_id.clone()))
        }
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
