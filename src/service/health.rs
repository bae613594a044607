//! How a community is doing: who takes part and whether questions get answers, not who
//! logged in.

use crate::db::DbConn;
use crate::error::Error;
use crate::store::accounts::Account;
use std::collections::HashMap;

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
    /// The period's threads asked as questions.
    pub questions: usize,
    /// Share (0 to 1) of those questions with an accepted answer.
    pub answered_share: Option<f64>,
    /// Median time from a question to its first answer (a reply by someone else).
    pub median_first_answer_seconds: Option<i64>,
}

const HEALTH_DAYS: i64 = 30;

pub fn health(conn: &mut DbConn, community: &Account) -> Result<Health, Error> {
    let mut one = healths(conn, &[community.id])?;
    Ok(one
        .remove(&community.id)
        .unwrap_or_else(|| health_of(&[], &HashMap::new())))
}

/// The health of several communities, from one query.
pub fn healths(conn: &mut DbConn, community_ids: &[i64]) -> Result<HashMap<i64, Health>, Error> {
    let since = crate::time::now() - chrono::Duration::days(HEALTH_DAYS);
    let mut posts: HashMap<i64, Vec<crate::store::stats::CommunityPost>> =
        community_ids.iter().map(|id| (*id, Vec::new())).collect();
    for (community, post) in crate::store::stats::community_posts_since(conn, community_ids, since)?
    {
        posts.entry(community).or_default().push(post);
    }
    let threads: Vec<i64> = posts
        .values()
        .flatten()
        .filter(|p| p.thread_root_id.is_none())
        .map(|p| p.id)
        .collect();
    let asked: HashMap<i64, bool> = crate::store::questions::among(conn, &threads)?
        .into_iter()
        .map(|q| (q.status_id, q.answer_id.is_some()))
        .collect();
    Ok(posts
        .into_iter()
        .map(|(id, posts)| (id, health_of(&posts, &asked)))
        .collect())
}

/// The figures of one community's posts; `asked` says which threads are questions and
/// whether each has an accepted answer.
fn health_of(posts: &[crate::store::stats::CommunityPost], asked: &HashMap<i64, bool>) -> Health {
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
    let started: HashMap<i64, &crate::store::stats::CommunityPost> =
        threads.iter().map(|t| (t.id, *t)).collect();
    let mut first_reply = HashMap::new();
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
    let median = |mut waits: Vec<i64>| {
        waits.sort();
        waits.get(waits.len() / 2).copied()
    };
    let questions: Vec<i64> = threads
        .iter()
        .map(|t| t.id)
        .filter(|id| asked.contains_key(id))
        .collect();
    let answered = questions.iter().filter(|id| asked[id]).count();
    let answer_waits: Vec<i64> = questions
        .iter()
        .filter_map(|id| first_reply.get(id).copied())
        .collect();
    let waits: Vec<i64> = first_reply.into_values().collect();
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Health {
        period_days: HEALTH_DAYS,
        active_members: authors.len(),
        threads_per_week: round(threads.len() as f64 / weeks),
        replies_per_week: round(replies as f64 / weeks),
        replied_share: (!threads.is_empty())
            .then(|| round(waits.len() as f64 / threads.len() as f64)),
        median_first_reply_seconds: median(waits),
        questions: questions.len(),
        answered_share: (!questions.is_empty())
            .then(|| round(answered as f64 / questions.len() as f64)),
        median_first_answer_seconds: median(answer_waits),
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
        // Threads 4 and 6 are questions; 4 has an accepted answer.
        let asked = HashMap::from([(4, true), (6, false)]);
        let health = health_of(&posts, &asked);
        assert_eq!(health.active_members, 4);
        assert_eq!(health.replied_share, Some(0.67));
        assert_eq!(health.median_first_reply_seconds, Some(30 * 60));
        assert_eq!(health.threads_per_week, 0.7);
        assert_eq!(health.replies_per_week, 0.7);
        assert_eq!(health.questions, 2);
        assert_eq!(health.answered_share, Some(0.5));
        assert_eq!(health.median_first_answer_seconds, Some(10 * 60));
    }
}
