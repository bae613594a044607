//! Questions and answers: a community thread asked as a question, and the reply its author or
//! one of the community's moderators accepts as the answer. Accepting travels as a moderation
//! action (`service::moderation`), so the community stays the judge of who may accept.

use super::moderation::Action;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::{
    accounts::Account,
    questions,
    statuses::{self as status_store, Page, Status},
};

/// Ask the new local post `status` as a question: only a titled thread in a community is one.
pub fn ask(conn: &mut DbConn, status: &Status) -> Result<(), Error> {
    match (status.community_id, status.in_reply_to_id, &status.title) {
        (Some(community_id), None, Some(_)) => questions::ask(conn, status.id, community_id),
        _ => Err(Error::Unprocessable(
            "only a thread with a title in a community can be a question".into(),
        )),
    }
}

/// Accepting `answer` as the answer to its thread's question, or (`accepting` false) taking
/// it back.
pub fn answer_action(conn: &mut DbConn, answer: Status, accepting: bool) -> Result<Action, Error> {
    let question = match answer.thread_root_id {
        Some(root) => status_store::by_id(conn, root)?,
        None => None,
    }
    .ok_or_else(|| Error::Unprocessable("an answer is a reply in a question's thread".into()))?;
    Ok(match accepting {
        true => Action::Accept { question, answer },
        false => Action::Unaccept { question, answer },
    })
}

/// A page of `community`'s questions without an accepted answer, newest first, as `viewer`
/// may see them: the page's cursor ids and the questions.
pub fn open(
    conn: &mut DbConn,
    community: &Account,
    viewer: Option<&Account>,
    page: Page,
) -> Result<(Vec<i64>, Vec<Status>), Error> {
    let ids = questions::open_in(conn, community.id, page)?;
    let mut rows: Vec<Status> = status_store::by_ids(conn, &ids)?
        .into_iter()
        .filter(|s| s.deleted_at.is_none() && s.removed_at.is_none())
        .collect();
    rows.sort_by_key(|s| std::cmp::Reverse(s.id));
    Ok((ids, super::visibility::filter_visible(conn, viewer, rows)?))
}

/// The accepted answer of the thread rooted at `root_id`, if it is an answered question.
pub fn accepted_answer(conn: &mut DbConn, root_id: i64) -> Result<Option<i64>, Error> {
    Ok(questions::by_status(conn, root_id)?.and_then(|q| q.answer_id))
}
