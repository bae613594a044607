//! Reports of posts to a community's moderators: made here, or received as `Flag` from a
//! member's instance (Lemmy's shape) or from Mastodon (a list of the account and posts).

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::domain::LogAction;
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::activity;
use crate::store::{
    accounts::{self as account_store, Account},
    moderation::{self as moderation_store, LogEntry, Report},
    statuses::Status,
};

const MAX_COMMENT: usize = 1000;

/// A moderator marks a report about their community dealt with; the log says who did.
pub fn resolve(
    conn: &mut DbConn,
    moderator: &Account,
    community: &Account,
    report_id: i64,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        super::moderation::require_moderator(conn, community, moderator)?;
        let now = crate::time::now();
        let report = moderation_store::reports_by_ids(conn, &[report_id])?
            .pop()
            .filter(|r| r.community_id == community.id)
            .ok_or(Error::NotFound)?;
        moderation_store::resolve_report(conn, report.id, moderator.id, now)?;
        let entry = LogEntry::new(community.id, Some(moderator.id), LogAction::ResolveReport);
        moderation_store::insert_log(conn, &entry)
    })
}

/// `reporter` reports `status` (which they can see) to the moderators of its community. A
/// remote community is sent a `Flag`; the report is kept here either way.
pub fn report(
    conn: &mut DbConn,
    config: &Config,
    reporter: &Account,
    status: &Status,
    comment: &str,
) -> Result<Report, Error> {
    if comment.chars().count() > MAX_COMMENT {
        return Err(Error::Unprocessable(format!(
            "comment is longer than {MAX_COMMENT} characters"
        )));
    }
    let community_id = status.community_id.ok_or_else(|| {
        Error::Unprocessable(
            "the post is not in a community; there are no moderators to tell".into(),
        )
    })?;
    crate::db::transaction(conn, |conn| {
        let community = account_store::by_id(conn, community_id)?.ok_or(Error::NotFound)?;
        let id = next_id();
        let ap_id = (!community.is_local()).then(|| activity::activity_id(config, id));
        let report = Report {
            id,
            community_id,
            reporter_id: reporter.id,
            target_account_id: status.account_id,
            status_id: Some(status.id),
            comment: comment.to_string(),
            ap_id: ap_id.clone(),
            resolved_at: None,
            created_at: crate::time::now(),
            assigned_account_id: None,
            resolved_by_id: None,
        };
        moderation_store::insert_report(conn, &report)?;
        if community.is_local() {
            crate::service::notifications::notify_report(
                conn,
                community_id,
                reporter.id,
                report.id,
            )?;
        }
        if let Some(ap_id) = ap_id {
            let flag = activity::flag(
                &ap_id,
                &reporter.ap_id,
                &community.ap_id,
                &status.ap_id,
                comment,
            );
            delivery::enqueue(
                conn,
                config,
                reporter,
                &flag,
                &[community.inbox_url.as_str()],
            )?;
        }
        Ok(report)
    })
}

/// A `Flag` from another server: each reported post in a local community becomes a report
/// to its moderators. Mastodon sends reports to the author's server, so a post of ours in a
/// remote community is reported on to that community, in a `Flag` from our instance actor.
/// Returns how many reports were filed or passed on; a repeated Flag does nothing.
pub fn receive_flag(
    conn: &mut DbConn,
    config: &Config,
    reporter: &Account,
    flag_id: &str,
    reported: &[Status],
    comment: &str,
) -> Result<usize, Error> {
    crate::db::transaction(conn, |conn| {
        if moderation_store::report_by_ap_id(conn, flag_id)?.is_some() {
            return Ok(0);
        }
        let comment: String = comment.chars().take(MAX_COMMENT).collect();
        let mut filed = 0;
        for status in reported {
            let Some(community) = status.community_id else {
                continue;
            };
            let Some(community) = account_store::by_id(conn, community)? else {
                continue;
            };
            // One Flag may name several posts; only the first report carries its id.
            let mut ap_id = (filed == 0).then(|| flag_id.to_string());
            if !community.is_local() {
                if !status.local || reporter.domain == community.domain {
                    continue; // not ours to pass on, or the community's own server reported it
                }
                let instance = crate::service::accounts::ensure_instance_actor(conn, config)?;
                let id = activity::activity_id(config, next_id());
                let flag = activity::flag(
                    &id,
                    &instance.ap_id,
                    &community.ap_id,
                    &status.ap_id,
                    &comment,
                );
                delivery::enqueue(
                    conn,
                    config,
                    &instance,
                    &flag,
                    &[community.inbox_url.as_str()],
                )?;
                ap_id = ap_id.or(Some(id));
            }
            let report = Report {
                id: next_id(),
                community_id: community.id,
                reporter_id: reporter.id,
                target_account_id: status.account_id,
                status_id: Some(status.id),
                comment: comment.clone(),
                ap_id,
                resolved_at: None,
                created_at: crate::time::now(),
                assigned_account_id: None,
                resolved_by_id: None,
            };
            moderation_store::insert_report(conn, &report)?;
            if community.is_local() {
                let notify = crate::service::notifications::notify_report;
                notify(conn, community.id, reporter.id, report.id)?;
            }
            filed += 1;
        }
        Ok(filed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{logged, Fixture};

    #[test]
    fn a_moderator_resolves_a_report_once_and_the_log_says_so() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob) = (f.person(conn, "ann"), f.person(conn, "bob"));
        let practice = f.community(conn, "practice", &ann);
        f.follow(conn, &bob, &practice);
        let post = f.post(conn, &bob, "a post", Some(&practice), Some("A thread"));
        let filed = report(conn, &f.config, &ann, &post, "off topic").unwrap();
        let refused = resolve(conn, &bob, &practice, filed.id);
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
        resolve(conn, &ann, &practice, filed.id).unwrap();
        assert_eq!(logged(conn, &practice), [LogAction::ResolveReport]);
        let unknown = resolve(conn, &ann, &practice, filed.id + 1);
        assert!(matches!(unknown, Err(Error::NotFound)), "{unknown:?}");
        assert_eq!(
            logged(conn, &practice).len(),
            1,
            "nothing logged for a failure"
        );
    }
}
