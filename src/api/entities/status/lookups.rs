//! What rendering statuses reads besides the statuses themselves, a list at a time: the
//! boosted statuses, the people shown, what else each status holds, and what each viewer
//! did to them. Each kind is one query whatever the list's length.

use super::super::account::ShownAccount;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::{
    favourites,
    statuses::{self, Status as StatusRow},
};
use std::collections::{HashMap, HashSet};

/// What every viewer sees alike of the statuses being rendered.
pub(super) struct Lookups {
    pub(super) boosted: HashMap<i64, StatusRow>,
    pub(super) people: People,
    pub(super) extras: Extras,
}

/// What one viewer did to the statuses being rendered; nothing for an anonymous one.
#[derive(Default)]
pub(super) struct Personal {
    pub(super) viewer_id: Option<i64>,
    pub(super) favourited: HashSet<i64>,
    pub(super) reblogged: HashSet<i64>,
    pub(super) bookmarked: HashSet<i64>,
    /// The viewer's keyword filters.
    pub(super) filters: Option<crate::service::filters::Matcher>,
    /// The viewer's choices in each poll; None without a viewer.
    pub(super) own_votes: Option<HashMap<i64, Vec<i32>>>,
}

/// `items` grouped by the status each belongs to, keeping their order: looking a status's
/// share up must not cost a pass over the whole list's, or a long thread renders in
/// quadratic time.
fn by_status<T>(items: Vec<T>, status_of: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for item in items {
        grouped.entry(status_of(&item)).or_default().push(item);
    }
    grouped
}

/// The statuses being rendered and those they boost: what the lookups are asked of.
struct Shown<'a> {
    rows: &'a [StatusRow],
    boosted: HashMap<i64, StatusRow>,
    all_ids: Vec<i64>,
}

impl<'a> Shown<'a> {
    fn load(conn: &mut DbConn, rows: &'a [StatusRow]) -> Result<Shown<'a>, Error> {
        let boosted_ids: Vec<i64> = rows.iter().filter_map(|s| s.reblog_of_id).collect();
        let boosted: HashMap<i64, StatusRow> = statuses::by_ids(conn, &boosted_ids)?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let all_ids = rows.iter().chain(boosted.values()).map(|s| s.id).collect();
        Ok(Shown {
            rows,
            boosted,
            all_ids,
        })
    }

    fn each(&self) -> impl Iterator<Item = &StatusRow> {
        self.rows.iter().chain(self.boosted.values())
    }
}

/// The people the statuses show.
pub(super) struct People {
    /// The statuses' authors and the accounts they mention.
    pub(super) accounts: HashMap<i64, ShownAccount>,
    /// Each status's mentioned accounts.
    pub(super) mentions: HashMap<i64, Vec<i64>>,
}

impl People {
    fn load(conn: &mut DbConn, base_url: &str, shown: &Shown) -> Result<People, Error> {
        let mentions = crate::store::mentions::of_statuses(conn, &shown.all_ids)?;
        let mut account_ids: Vec<i64> = shown
            .each()
            .map(|s| s.account_id)
            .chain(mentions.iter().map(|(_, a)| *a))
            .collect();
        account_ids.sort_unstable();
        account_ids.dedup();
        Ok(People {
            accounts: ShownAccount::of_ids(conn, base_url, &account_ids)?,
            mentions: by_status(mentions, |(status, _)| *status)
                .into_iter()
                .map(|(status, m)| (status, m.into_iter().map(|(_, a)| a).collect()))
                .collect(),
        })
    }
}

/// What else the statuses hold, asked by their ids.
pub(super) struct Extras {
    /// Each status's tags.
    pub(super) tags: HashMap<i64, Vec<String>>,
    /// Each status's attachments, in order.
    pub(super) media: HashMap<i64, Vec<crate::store::media::Attachment>>,
    pub(super) polls: HashMap<i64, crate::store::polls::Poll>,
    pub(super) poll_options: HashMap<i64, Vec<crate::store::polls::PollOption>>,
    /// Each status's link, and the fetched cards of the links' URLs.
    pub(super) links: HashMap<i64, crate::store::cards::Link>,
    pub(super) cards: Vec<crate::store::cards::Card>,
    /// The questions among the statuses and their threads, by root id.
    pub(super) questions: HashMap<i64, crate::store::questions::Question>,
}

impl Extras {
    fn load(conn: &mut DbConn, shown: &Shown) -> Result<Extras, Error> {
        let all_ids = &shown.all_ids;
        let tags = crate::store::tags::of_statuses(conn, all_ids)?;
        let media = crate::store::media::of_statuses(conn, all_ids)?;
        let polls = crate::store::polls::of_statuses(conn, all_ids)?;
        let poll_ids: Vec<i64> = polls.iter().map(|p| p.status_id).collect();
        let poll_options = crate::store::polls::options_of(conn, &poll_ids)?;
        let (links, cards) = crate::store::cards::of_statuses(conn, all_ids)?;
        // Questions are titled threads: a reply asks after its root, a thread after itself.
        let mut threads: Vec<i64> = shown
            .each()
            .filter_map(|s| s.thread_root_id.or(s.title.as_ref().map(|_| s.id)))
            .collect();
        threads.sort_unstable();
        threads.dedup();
        let questions = crate::store::questions::among(conn, &threads)?;
        Ok(Extras {
            tags: by_status(tags, |(status, _)| *status)
                .into_iter()
                .map(|(status, tags)| (status, tags.into_iter().map(|(_, t)| t).collect()))
                .collect(),
            media: by_status(media, |a| a.status_id.unwrap_or_default()),
            polls: polls.into_iter().map(|p| (p.status_id, p)).collect(),
            poll_options: by_status(poll_options, |o| o.status_id),
            links: links.into_iter().map(|l| (l.status_id, l)).collect(),
            cards,
            questions: questions.into_iter().map(|q| (q.status_id, q)).collect(),
        })
    }
}

impl Lookups {
    /// What everyone sees of `rows`, and what each of `viewers` did to them. Each lookup is
    /// asked only of the statuses that can have an answer (the store skips the query when
    /// none can): a thread's context renders a thousand statuses, and each lookup costs a
    /// query over all of their ids. With `spare`, the extras and the viewers' part are read
    /// on it at once with the people here.
    pub(super) fn load(
        conn: &mut DbConn,
        spare: Option<&mut DbConn>,
        base_url: &str,
        rows: &[StatusRow],
        viewers: &[i64],
    ) -> Result<(Lookups, Vec<Personal>), Error> {
        let shown = Shown::load(conn, rows)?;
        let rest = |conn: &mut DbConn| -> Result<(Extras, Vec<Personal>), Error> {
            let extras = Extras::load(conn, &shown)?;
            let personal = Personal::load_each(conn, &shown, &extras.polls, viewers)?;
            Ok((extras, personal))
        };
        let (people, (extras, personal)) = match spare {
            None => (People::load(conn, base_url, &shown)?, rest(conn)?),
            Some(spare) => std::thread::scope(|scope| {
                let elsewhere = scope.spawn(|| rest(spare));
                let people = People::load(conn, base_url, &shown);
                let rest = elsewhere
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                Ok::<_, Error>((people?, rest?))
            })?,
        };
        let lookups = Lookups {
            boosted: shown.boosted,
            people,
            extras,
        };
        Ok((lookups, personal))
    }
}

impl Personal {
    /// What each of `viewers` did to the statuses of `lookups`, in their order. Bookmarks and
    /// filters are read for all of them at once; favourites, boosts and votes viewer by viewer,
    /// and only for statuses that someone has favourited or boosted or that hold a poll.
    fn load_each(
        conn: &mut DbConn,
        shown: &Shown,
        polls: &HashMap<i64, crate::store::polls::Poll>,
        viewers: &[i64],
    ) -> Result<Vec<Personal>, Error> {
        if viewers.is_empty() {
            return Ok(Vec::new());
        }
        // Only a status someone has favourited (or boosted) can be one the viewer has.
        let counted = |count: fn(&StatusRow) -> i32| -> Vec<i64> {
            let each = shown.each();
            each.filter(|s| count(s) > 0).map(|s| s.id).collect()
        };
        let (liked, boosted) = (
            counted(|s| s.favourites_count),
            counted(|s| s.reblogs_count),
        );
        let poll_ids: Vec<i64> = polls.keys().copied().collect();
        let mut bookmarked: HashMap<i64, HashSet<i64>> = HashMap::new();
        for (viewer, status) in crate::store::bookmarks::of_each(conn, viewers, &shown.all_ids)? {
            bookmarked.entry(viewer).or_default().insert(status);
        }
        let mut filters = crate::service::filters::Matcher::load_each(conn, viewers)?;
        let mut each = Vec::with_capacity(viewers.len());
        for &viewer in viewers {
            let votes = crate::store::polls::votes_of(conn, viewer, &poll_ids)?;
            each.push(Personal {
                viewer_id: Some(viewer),
                favourited: favourites::favourited_among(conn, viewer, &liked)?,
                reblogged: crate::store::boosts::reblogged_among(conn, viewer, &boosted)?,
                bookmarked: bookmarked.remove(&viewer).unwrap_or_default(),
                filters: Some(filters.remove(&viewer).unwrap_or_default()),
                own_votes: Some(
                    by_status(votes, |(status, _)| *status)
                        .into_iter()
                        .map(|(status, v)| (status, v.into_iter().map(|(_, c)| c).collect()))
                        .collect(),
                ),
            });
        }
        Ok(each)
    }
}
