//! How a community is doing: who takes part and whether questions get answers, not who
//! logged in.

use crate::db::DbConn;
use crate::error::Error;
use crate::store::accounts::Account;

/// The figures over the last 30 days.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Health {
    pub period_days: i64,
    /// People who posted or commented.
    pub active_members: usize,
    pub threads_per_week: f64,
    pub replies_per_week: f64,
    /// Share (0 to 1) of the period's threads that got a reply from someone else.
    pub replied_share: Option<f64>,
    /// Median time from a thread to its first reply by someone else.
    pub median_first_reply_seconds: Option<i64>,
}

const HEALTH_DAYS: i64 = 30;

pub fn health(conn: &mut DbConn, community: &Account) -> Result<Health, Error> {
    let mut one = healths(conn, &[community.id])?;
    Ok(one.remove(&community.id).unwrap_or_else(|| health_of(&[])))
}

/// The health of several communities, from one query.
pub fn healths(
    conn: &mut DbConn,
    community_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Health>, Error> {
    let since = crate::time::now() - chrono::Duration::days(HEALTH_DAYS);
    let mut posts: std::collections::HashMap<i64, Vec<crate::store::stats::CommunityPost>> =
        community_ids.iter().map(|id| (*id, Vec::new())).collect();
    for (community, post) in crate::store::stats::community_posts_since(conn, community_ids, since)?
    {
        posts.entry(community).or_default().push(post);
    }
    Ok(posts
        .into_iter()
        .map(|(id, posts)| (id, health_of(&posts)))
        .collect())
}

fn health_of(posts: &[crate::store::stats::CommunityPost]) -> Health {
    let weeks = HEALTH_DAYS as f64 / 7.0;
    let mut authors: Vec<i64> = posts.iter().map(|p| p.account_id).collect();
    authors.sort();
    authors.dedup();
    let threads: Vec<_> = posts
        .iter()
        .filter(|p| p.thread_root_id.is_none())
        .collect();
    let replies = posts.len() - threads.len();
    // Posts come oldest first, so the first reply seen for a thread is its first reply.
    let started: std::collections::HashMap<i64, &crate::store::stats::CommunityPost> =
        threads.iter().map(|t| (t.id, *t)).collect();
    let mut first_reply = std::collections::HashMap::new();
    for reply in posts {
        let Some(thread) = reply.thread_root_id.and_then(|root| started.get(&root)) else {
            continue;
        };
        if reply.account_id != thread.account_id {
            first_reply
                .entry(thread.id)
                .or_insert((reply.created_at - thread.created_at).num_seconds());
        }
    }
    let mut waits: Vec<i64> = first_reply.into_values().collect();
    waits.sort();
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Health {
        period_days: HEALTH_DAYS,
        active_members: authors.len(),
        threads_per_week: round(threads.len() as f64 / weeks),
        replies_per_week: round(replies as f64 / weeks),
        replied_share: (!threads.is_empty())
            .then(|| round(waits.len() as f64 / threads.len() as f64)),
        median_first_reply_seconds: (!waits.is_empty()).then(|| waits[waits.len() / 2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stats::CommunityPost;

    fn post(id: i64, author: i64, root: Option<i64>, minute: i64) -> CommunityPost {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        CommunityPost {
            id,
            account_id: author,
            thread_root_id: root,
            created_at: start + chrono::Duration::minutes(minute),
        }
    }

    #[test]
    fn health_counts_answers_by_others() {
        let posts = [
            post(1, 10, None, 0),
            post(2, 10, Some(1), 1), // the author's own follow-up is no answer
            post(3, 11, Some(1), 30),
            post(4, 12, None, 40),
            post(5, 10, Some(4), 50),
            post(6, 13, None, 60), // unanswered
        ];
        let health = health_of(&posts);
        assert_eq!(health.active_members, 4);
        assert_eq!(health.replied_share, Some(0.67));
        assert_eq!(health.median_first_reply_seconds, Some(30 * 60));
        assert_eq!(health.threads_per_week, 0.7);
        assert_eq!(health.replies_per_week, 0.7);
    }
}
