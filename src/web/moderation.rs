//! Running a community in a browser: the moderators' page (health, join requests, reports,
//! bans, invites, settings and rules) and the moderation log, through the same services as
//! Guild's community API.

use super::communities::local_community;
use super::posts::acct;
use super::visitor::{Frame, Visitor};
use super::PageError;
use crate::domain::{CommunityVisibility, FollowState, LogAction, MembershipPolicy, PostingPolicy};
use crate::error::Error;
use crate::service::{communities, health, invites, moderation, reports};
use crate::state::Ctx;
use crate::store::{
    accounts::{self, Account},
    communities as community_store, follows as follow_store, moderation as moderation_store,
    statuses::{self, Page},
};
use actix_web::{
    http::StatusCode,
    web::{Form, Path},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;

/// Rows in each list of the moderators' page, and entries on a page of the log.
const LISTED: i64 = 50;

fn when(time: chrono::NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

struct Request {
    id: i64,
    acct: String,
}

struct PageReport {
    id: i64,
    reporter: String,
    target: String,
    status_id: Option<i64>,
    comment: String,
    created: String,
}

struct PageBan {
    account_id: i64,
    acct: String,
    reason: String,
    until: Option<String>,
}

struct PageInvite {
    id: i64,
    uses: String,
    expires: Option<String>,
}

#[derive(Template)]
#[template(path = "moderation.html", config = "src/web/askama.toml")]
struct ModerationPage {
    frame: Frame,
    name: String,
    display_name: String,
    health: health::Health,
    requests: Vec<Request>,
    reports: Vec<PageReport>,
    bans: Vec<PageBan>,
    invites: Vec<PageInvite>,
    /// Id and handle of each moderator.
    moderators: Vec<(i64, String)>,
    /// The link of an invite just made, shown this once.
    new_invite: Option<String>,
    settings: SettingsForm,
    notice: Option<String>,
}

/// The settings form's values.
struct SettingsForm {
    description: String,
    rules: String,
    membership: MembershipPolicy,
    posting: PostingPolicy,
    visibility: CommunityVisibility,
}

impl ModerationPage {
    fn memberships(&self) -> &'static [MembershipPolicy] {
        MembershipPolicy::ALL
    }

    fn postings(&self) -> &'static [PostingPolicy] {
        PostingPolicy::ALL
    }

    fn visibilities(&self) -> &'static [CommunityVisibility] {
        CommunityVisibility::ALL
    }
}

/// Accounts by id, as handles.
fn handles(
    conn: &mut crate::db::DbConn,
    config: &crate::config::Config,
    ids: &[i64],
) -> Result<HashMap<i64, String>, Error> {
    Ok(accounts::by_ids(conn, ids)?
        .iter()
        .map(|a| (a.id, acct(config, a)))
        .collect())
}

fn moderation_page(
    conn: &mut crate::db::DbConn,
    config: &crate::config::Config,
    frame: Frame,
    community: &Account,
    (new_invite, notice): (Option<String>, Option<String>),
) -> Result<ModerationPage, Error> {
    let first = Page {
        max_id: None,
        since_id: None,
        min_id: None,
        limit: LISTED,
    };
    let requests =
        follow_store::page_account_ids(conn, community.id, true, FollowState::Pending, first)?;
    let open_reports = moderation_store::reports(conn, community.id, false, None, LISTED)?;
    let bans = moderation_store::bans(conn, community.id, crate::time::now())?;
    let moderator_ids: Vec<i64> = community_store::moderators_of(conn, &[community.id])?
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let mut ids: Vec<i64> = requests.iter().map(|(_, a)| *a).collect();
    ids.extend(&moderator_ids);
    ids.extend(
        open_reports
            .iter()
            .flat_map(|r| [r.reporter_id, r.target_account_id]),
    );
    ids.extend(bans.iter().map(|b| b.account_id));
    let names = handles(conn, config, &ids)?;
    let name = |id: &i64| names.get(id).cloned().unwrap_or_else(|| "someone".into());
    let settings = community_store::by_account(conn, community.id)?.ok_or(Error::NotFound)?;
    let rules: Vec<String> = serde_json::from_str(&settings.rules).unwrap_or_default();
    let invites = moderation_store::invites(conn, community.id)?
        .into_iter()
        .map(|i| PageInvite {
            id: i.id,
            uses: match i.max_uses {
                Some(max) => format!("{} of {max}", i.uses),
                None => i.uses.to_string(),
            },
            expires: i.expires_at.map(when),
        })
        .collect();
    Ok(ModerationPage {
        frame,
        name: community.username.clone(),
        display_name: community.display_name.clone(),
        health: health::health(conn, community)?,
        requests: requests
            .iter()
            .map(|(_, id)| Request {
                id: *id,
                acct: name(id),
            })
            .collect(),
        reports: open_reports
            .iter()
            .map(|r| PageReport {
                id: r.id,
                reporter: name(&r.reporter_id),
                target: name(&r.target_account_id),
                status_id: r.status_id,
                comment: r.comment.clone(),
                created: when(r.created_at),
            })
            .collect(),
        bans: bans
            .iter()
            .map(|b| PageBan {
                account_id: b.account_id,
                acct: name(&b.account_id),
                reason: b.reason.clone(),
                until: b.expires_at.map(when),
            })
            .collect(),
        invites,
        moderators: moderator_ids.iter().map(|id| (*id, name(id))).collect(),
        new_invite,
        settings: SettingsForm {
            description: crate::service::text::plain(&community.note),
            rules: rules.join("\n"),
            membership: settings.membership_policy,
            posting: settings.posting_policy,
            visibility: settings.visibility,
        },
        notice,
    })
}

/// `GET /c/{name}/moderation` (moderators)
pub async fn page(
    ctx: Ctx,
    visitor: Visitor,
    name: Path<String>,
) -> Result<HttpResponse, PageError> {
    show(&ctx, &visitor, name.into_inner(), (None, None)).await
}

async fn show(
    ctx: &Ctx,
    visitor: &Visitor,
    name: String,
    messages: (Option<String>, Option<String>),
) -> Result<HttpResponse, PageError> {
    let config = ctx.config.clone();
    let frame = visitor.frame(ctx);
    let signed_in = visitor.person()?.clone();
    let page = ctx
        .db
        .run(move |conn| {
            let community = local_community(conn, &name)?;
            moderation::require_moderator(conn, &community, &signed_in.account)?;
            moderation_page(conn, &config, frame, &community, messages)
        })
        .await?;
    Ok(visitor.ok(&page)?)
}

/// `GET /c/{name}/export`: for moderators, the community's threads as Markdown files in a
/// zip archive.
pub async fn export(
    ctx: Ctx,
    visitor: Visitor,
    name: Path<String>,
) -> Result<HttpResponse, PageError> {
    let signed_in = visitor.person()?.clone();
    let config = ctx.config.clone();
    let (name, body) = ctx
        .db
        .run(move |conn| {
            let community = local_community(conn, &name)?;
            let archive = crate::service::export::community_archive(
                conn,
                &config,
                &signed_in.account,
                &community,
            )?;
            Ok((community.profile.username, archive))
        })
        .await?;
    Ok(crate::api::communities::moderation::archive_response(
        &name, body,
    ))
}

#[derive(Deserialize)]
pub struct DecisionPath {
    name: String,
    what: String,
    /// The person, report or invite decided on, where there is one.
    #[serde(default)]
    id: Option<i64>,
}

#[derive(Deserialize)]
pub struct Decision {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    remove_content: Option<String>,
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rules: String,
    membership: Option<MembershipPolicy>,
    posting: Option<PostingPolicy>,
    visibility: Option<CommunityVisibility>,
}

/// A whole number of days from now, if one was given.
fn days_from_now(days: &str) -> Result<Option<chrono::NaiveDateTime>, Error> {
    match days.trim() {
        "" => Ok(None),
        days => match days.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => {
                Ok(Some(crate::time::now() + chrono::Duration::days(n)))
            }
            _ => Err(Error::Unprocessable(
                "Give the days as a whole number from 1 to 3650, or leave it empty.".into(),
            )),
        },
    }
}

/// `POST /c/{name}/moderation/{what}` and `.../{what}/{id}`: a moderator's decision, after
/// which the moderators' page shows again.
pub async fn decide(
    ctx: Ctx,
    visitor: Visitor,
    path: Path<DecisionPath>,
    Form(form): Form<Decision>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let DecisionPath { name, what, id } = path.into_inner();
    let signed = visitor.person()?.clone();
    // Only moderators get further, before anything is looked up on other servers.
    let (me, wanted) = (signed.account.clone(), name.clone());
    let community = ctx
        .db
        .run(move |conn| {
            let community = local_community(conn, &wanted)?;
            moderation::require_moderator(conn, &community, &me)?;
            Ok(community)
        })
        .await?;
    // A ban or an appointment names a person by handle, who may be on another server.
    let named = match what.as_str() {
        "ban" | "appoint" => {
            let handle = form.handle.trim().to_string();
            let found = crate::federation::resolve::account(&ctx, &handle).await;
            Some(found.map_err(|_| {
                Error::Unprocessable(format!("No account {handle:?} could be found."))
            }))
        }
        _ => None,
    };
    let config = ctx.config.clone();
    let page_name = name.clone();
    let new_invite = ctx
        .db
        .run(move |conn| {
            let me = &signed.account;
            let target = |conn: &mut crate::db::DbConn| {
                let id = id.ok_or(Error::NotFound)?;
                accounts::by_id(conn, id)?.ok_or(Error::NotFound)
            };
            let act = |conn: &mut crate::db::DbConn, action| {
                moderation::act(conn, &config, &community, me, &action)
            };
            match what.as_str() {
                "approve" | "reject" => {
                    let requester = target(conn)?;
                    let accept = what == "approve";
                    communities::decide_join(conn, &config, me, &community, &requester, accept)?;
                }
                "resolve" => {
                    reports::resolve(conn, me, &community, id.ok_or(Error::NotFound)?)?;
                }
                "ban" => {
                    let order = moderation::BanOrder {
                        account: named.ok_or(Error::NotFound)??,
                        reason: form.reason.trim().to_string(),
                        expires_at: days_from_now(&form.days)?,
                        remove_content: form.remove_content.is_some(),
                    };
                    act(conn, moderation::Action::Ban(order))?;
                }
                "appoint" => {
                    let account = named.ok_or(Error::NotFound)??;
                    act(conn, moderation::Action::AddModerator { account })?;
                }
                "dismiss" => {
                    let account = target(conn)?;
                    act(conn, moderation::Action::RemoveModerator { account })?;
                }
                "unban" => {
                    let account = target(conn)?;
                    act(conn, moderation::Action::Unban { account })?;
                }
                "invite" => {
                    let max_uses = match form.max_uses.trim() {
                        "" => None,
                        n => Some(n.parse::<i32>().map_err(|_| {
                            Error::Unprocessable("Give the uses as a whole number.".into())
                        })?),
                    };
                    let expires = days_from_now(&form.days)?;
                    let (_, token) = invites::create(conn, me, &community, max_uses, expires)?;
                    return Ok(Some(format!("{}/invite/{token}", config.base_url())));
                }
                "revoke" => {
                    let invite = id.ok_or(Error::NotFound)?;
                    invites::revoke(conn, me, &community, invite)?;
                }
                "settings" => {
                    let change = communities::SettingsChange {
                        description: Some(form.description),
                        rules: Some(
                            form.rules
                                .lines()
                                .map(str::trim)
                                .filter(|r| !r.is_empty())
                                .map(str::to_string)
                                .collect(),
                        ),
                        membership_policy: form.membership,
                        posting_policy: form.posting,
                        visibility: form.visibility,
                        ..Default::default()
                    };
                    communities::update(conn, &config, Some(me), &community, change)?;
                }
                _ => return Err(Error::NotFound),
            }
            Ok(None)
        })
        .await;
    match new_invite {
        Ok(link) => {
            let notice = Some("Done.".to_string());
            show(&ctx, &visitor, page_name, (link, notice)).await
        }
        // A refusal of what the form asked is shown on the page, with the forms as they were.
        Err(Error::Unprocessable(why) | Error::Forbidden(why)) => {
            let page = show(&ctx, &visitor, page_name, (None, Some(why))).await?;
            Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

fn with_status(mut response: HttpResponse, status: StatusCode) -> HttpResponse {
    *response.status_mut() = status;
    response
}

struct PageLogEntry {
    when: String,
    moderator: String,
    action: &'static str,
    target: Option<String>,
    status_id: Option<i64>,
    /// A removal a moderator may undo from here.
    restorable: bool,
    reason: String,
    until: Option<String>,
}

#[derive(Template)]
#[template(path = "moderation_log.html", config = "src/web/askama.toml")]
struct LogPage {
    frame: Frame,
    name: String,
    display_name: String,
    entries: Vec<PageLogEntry>,
    older: Option<String>,
}

fn described(action: LogAction) -> &'static str {
    match action {
        LogAction::RemoveStatus => "removed a post",
        LogAction::RestoreStatus => "restored a post",
        LogAction::LockThread => "locked a thread",
        LogAction::UnlockThread => "unlocked a thread",
        LogAction::PinThread => "pinned a thread",
        LogAction::UnpinThread => "unpinned a thread",
        LogAction::AddModerator => "appointed a moderator",
        LogAction::RemoveModerator => "removed a moderator",
        LogAction::Ban => "banned",
        LogAction::Unban => "lifted the ban of",
        LogAction::ApproveMember => "let in",
        LogAction::RejectMember => "turned away",
        LogAction::UpdateSettings => "changed the settings",
        LogAction::CreateInvite => "made an invite",
        LogAction::RevokeInvite => "revoked an invite",
        LogAction::InviteUsed => "admitted by invite",
        LogAction::ResolveReport => "resolved a report",
        LogAction::AcceptAnswer => "accepted an answer by",
        LogAction::UnacceptAnswer => "took back the accepted answer by",
    }
}

/// `GET /c/{name}/log`: the community's moderation log, for everyone who sees inside it.
pub async fn log(
    ctx: Ctx,
    visitor: Visitor,
    name: Path<String>,
    actix_web::web::Query(paging): actix_web::web::Query<super::Older>,
) -> Result<HttpResponse, PageError> {
    let reader = visitor.signed_in.as_ref().map(|s| s.account.clone());
    let (config, frame) = (ctx.config.clone(), visitor.frame(&ctx));
    let page = ctx
        .db
        .run(move |conn| {
            let community = local_community(conn, &name)?;
            if !communities::sees_inside(conn, community.id, reader.as_ref())? {
                return Err(Error::NotFound);
            }
            let moderates = match &reader {
                Some(r) => community_store::is_moderator(conn, community.id, r.id)?,
                None => false,
            };
            let page = Page {
                max_id: paging.max_id,
                since_id: None,
                min_id: None,
                limit: LISTED,
            };
            let rows = moderation_store::log(conn, community.id, page)?;
            let mut ids: Vec<i64> = rows.iter().filter_map(|e| e.moderator_id).collect();
            ids.extend(rows.iter().filter_map(|e| e.target_account_id));
            let names = handles(conn, &config, &ids)?;
            let removed_ids: Vec<i64> = rows.iter().filter_map(|e| e.target_status_id).collect();
            let still_removed: Vec<i64> = statuses::by_ids(conn, &removed_ids)?
                .into_iter()
                .filter(|s| s.removed_at.is_some() && s.deleted_at.is_none())
                .map(|s| s.id)
                .collect();
            let older = (rows.len() as i64 == LISTED)
                .then(|| {
                    rows.last()
                        .map(|e| format!("/c/{}/log?max_id={}", name, e.id))
                })
                .flatten();
            let entries = rows
                .into_iter()
                .map(|e| PageLogEntry {
                    when: when(e.created_at),
                    moderator: e
                        .moderator_id
                        .and_then(|id| names.get(&id).cloned())
                        .unwrap_or_else(|| "a moderator".into()),
                    action: described(e.action),
                    target: e.target_account_id.and_then(|id| names.get(&id).cloned()),
                    status_id: e.target_status_id,
                    restorable: moderates
                        && e.action == LogAction::RemoveStatus
                        && e.target_status_id
                            .is_some_and(|id| still_removed.contains(&id)),
                    reason: e.reason,
                    until: e.expires_at.map(when),
                })
                .collect();
            Ok(LogPage {
                frame,
                name: community.username.clone(),
                display_name: community.display_name.clone(),
                entries,
                older,
            })
        })
        .await?;
    Ok(visitor.ok(&page)?)
}
