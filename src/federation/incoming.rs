//! What each inbound activity does, once its signature has been verified: the activity's
//! kind picks the service that acts on it.

use super::actors::ApAccount;
use super::objects::ApStatus;
use crate::error::Error;
use crate::protocol::{
    activity::Kind,
    actor::ApActor,
    id_of,
    remote_post::{ApPost, POST_TYPES},
};
use crate::service::follows;
use crate::service::{blocks, communities, interactions, moderation, moves, received, reports};
use crate::state::AppState;
use crate::store::accounts as account_store;
use crate::store::accounts::Account;
use crate::store::communities as community_store;
use crate::store::statuses::Status;
use activitypub_federation::{config::Data, fetch::object_id::ObjectId, traits::Object};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// An inbound activity: the envelope the inbox verifies, with the object left as JSON and
/// read according to `type`.
#[derive(Clone, Debug, Deserialize)]
pub struct Incoming {
    id: Url,
    #[serde(rename = "type")]
    kind: Kind,
    actor: ObjectId<ApAccount>,
    #[serde(default)]
    object: Value,
    /// Everything else, so a community can pass the activity on unchanged.
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

impl Incoming {
    fn object_id(&self) -> Result<&str, Error> {
        id_of(&self.object)
            .ok_or_else(|| Error::BadRequest(format!("{} without object id", self.kind.as_str())))
    }

    /// A local account named by URL, or 404.
    async fn local_account(&self, id: &str, data: &Data<AppState>) -> Result<ApAccount, Error> {
        let target: ObjectId<ApAccount> = ObjectId::parse(id)?;
        if !target.is_local(data) {
            return Err(Error::BadRequest(format!(
                "{id} is not an actor of this instance"
            )));
        }
        target.dereference_local(data).await
    }
}

impl Incoming {
    pub fn id(&self) -> &Url {
        &self.id
    }

    pub fn actor(&self) -> &Url {
        self.actor.inner()
    }

    /// Act on a verified activity.
    pub async fn handle(self, data: &Data<AppState>) -> Result<(), Error> {
        self.check()?;
        self.receive(data).await
    }

    fn check(&self) -> Result<(), Error> {
        self.object_id()?;
        // An Undo may only withdraw the sender's own activity.
        if self.kind == Kind::Undo {
            if let Some(inner_actor) = self.object["actor"].as_str() {
                if inner_actor != self.actor.inner().as_str() {
                    return Err(Error::Forbidden("Undo of another actor's activity".into()));
                }
            }
        }
        Ok(())
    }

    async fn receive(self, data: &Data<AppState>) -> Result<(), Error> {
        let sender = self.actor.dereference(data).await?.row;
        let config = data.config.clone();
        if super::moderation::is_moderation(data, &self.raw()).await? {
            self.receive_moderation(data, sender).await?;
            return Ok(());
        }
        match self.kind {
            Kind::Follow => {
                let target = self.local_account(self.object_id()?, data).await?.row;
                let follow_id = self.id.to_string();
                data.db
                    .run(move |conn| {
                        follows::receive_follow(conn, &config, &sender, &target, &follow_id)
                    })
                    .await?;
            }
            Kind::Accept | Kind::Reject => {
                let follow_id = self.object_id()?.to_string();
                let follower = id_of(&self.object["actor"]).map(str::to_string);
                let accept = self.kind == Kind::Accept;
                data.db
                    .run(move |conn| {
                        let follower = follower.as_deref();
                        follows::receive_answer(conn, &follow_id, follower, &sender, accept)
                    })
                    .await?;
            }
            Kind::Update if self.object_id()? == self.actor.inner().as_str() => {
                self.update_actor(data).await?
            }
            Kind::Create if self.is_vote() && self.receive_vote(data, &sender).await? => {}
            Kind::Create | Kind::Update => {
                if let Some(status) = self.store_post(data).await? {
                    self.relay_if_local_community(data, status).await?;
                }
            }
            // The actor moved to another account, which must name it as also its own.
            Kind::Move if self.object_id()? == self.actor.inner().as_str() => {
                let target = self
                    .rest
                    .get("target")
                    .and_then(id_of)
                    .ok_or_else(|| Error::BadRequest("Move without target".into()))?;
                let new = ObjectId::<ApAccount>::parse(target)?
                    .dereference(data)
                    .await?
                    .row;
                let new_aliases = super::resolve::aliases(data, &new).await?;
                data.db
                    .run(move |conn| {
                        moves::receive_move(conn, &config, &sender, &new, &new_aliases)
                    })
                    .await?;
            }
            Kind::Move => return Err(Error::BadRequest("only an account can move itself".into())),
            // The actor closed its own account: drop it and what it posted.
            Kind::Delete if self.object_id()? == self.actor.inner().as_str() => {
                let config = data.config.clone();
                data.db
                    .run(move |conn| crate::service::accounts::delete(conn, &config, &sender))
                    .await?;
            }
            Kind::Delete => {
                let id = self.object_id()?.to_string();
                let deleted = data
                    .db
                    .run(move |conn| received::delete_remote(conn, &sender, &id))
                    .await?;
                if let Some(status) = deleted {
                    self.relay_if_local_community(data, status).await?;
                }
            }
            Kind::Announce if sender.is_group() => {
                self.receive_community_announce(data, sender).await?
            }
            Kind::Announce | Kind::Like => {
                let status = ObjectId::<ApStatus>::parse(self.object_id()?)?
                    .dereference(data)
                    .await?
                    .row;
                let (id, boost) = (self.id.to_string(), self.kind == Kind::Announce);
                data.db
                    .run(move |conn| match boost {
                        true => interactions::receive_boost(conn, &sender, &status, &id),
                        false => interactions::receive_like(conn, &sender, &status, &id),
                    })
                    .await?;
            }
            Kind::Undo if matches!(self.object["type"].as_str(), Some("Like" | "Announce")) => {
                let id = self.object_id()?.to_string();
                let liked = (self.object["type"] == "Like")
                    .then(|| id_of(&self.object["object"]).map(str::to_string))
                    .flatten();
                data.db
                    .run(move |conn| {
                        interactions::receive_undo(conn, &sender, &id, liked.as_deref())
                    })
                    .await?;
            }
            Kind::Undo if self.object["type"] == "Follow" => {
                let Some(target_id) = id_of(&self.object["object"]).map(str::to_string) else {
                    return Err(Error::BadRequest(
                        "Undo(Follow) without the followed actor".into(),
                    ));
                };
                data.db
                    .run(
                        move |conn| match account_store::by_ap_id(conn, &target_id)? {
                            Some(target) if target.is_local() => {
                                follows::drop_follow(conn, &sender, &target)
                            }
                            _ => Ok(()),
                        },
                    )
                    .await?;
            }
            Kind::Flag => self.receive_flag(data, sender).await?,
            // Moderation kinds were handled above; an Undo of anything else changes nothing.
            Kind::Undo | Kind::Lock | Kind::Add | Kind::Remove | Kind::Block => {}
        }
        Ok(())
    }
}

impl Incoming {
    /// A moderator's action sent to a local community, which applies it if they moderate
    /// it; or a remote community's action sent to us directly (Lemmy sends bans to the
    /// banned person's instance as well).
    async fn receive_moderation(
        &self,
        data: &Data<AppState>,
        sender: Account,
    ) -> Result<(), Error> {
        let raw = self.raw();
        let Some((community, action)) = super::moderation::parse(data, &raw).await? else {
            return self.receive_person_block(data, sender).await;
        };
        let config = data.config.clone();
        if community.is_local() {
            data.db
                .run(move |conn| {
                    moderation::receive(conn, &config, &community, &sender, &action, &raw)
                })
                .await
        } else if community.id == sender.id {
            data.db
                .run(move |conn| moderation::receive_announced(conn, &community, None, &action))
                .await
        } else {
            Ok(()) // only the community itself tells us what its moderators did
        }
    }

    /// A person's `Block` of one of ours (not a community's ban), or its `Undo`.
    async fn receive_person_block(
        &self,
        data: &Data<AppState>,
        sender: Account,
    ) -> Result<(), Error> {
        let (undo, block) = match self.kind {
            Kind::Block => (false, self.raw()),
            Kind::Undo if self.object["type"] == "Block" => (true, self.object.clone()),
            _ => return Ok(()),
        };
        // A Block with a target is a ban from somewhere (a site, a community we do not
        // know), not one person blocking another.
        if !block["target"].is_null() {
            return Ok(());
        }
        let Some(target) = id_of(&block["object"]) else {
            return Ok(());
        };
        let target = self.local_account(target, data).await?.row;
        let block_id = id_of(&block["id"]).unwrap_or_default().to_string();
        data.db
            .run(move |conn| match undo {
                true => blocks::receive_unblock(conn, &sender, &target),
                false => blocks::receive_block(conn, &sender, &target, &block_id),
            })
            .await
    }

    /// A report: Lemmy names one post, Mastodon a list of the account and its posts.
    async fn receive_flag(&self, data: &Data<AppState>, sender: Account) -> Result<(), Error> {
        let ids: Vec<String> = match &self.object {
            Value::Array(items) => items.iter().filter_map(id_of).map(String::from).collect(),
            single => id_of(single).map(String::from).into_iter().collect(),
        };
        let comment = self
            .rest
            .get("content")
            .or(self.rest.get("summary"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let (flag_id, config) = (self.id.to_string(), data.config.clone());
        data.db
            .run(move |conn| {
                let reported = crate::store::statuses::by_ap_ids(conn, &ids)?;
                reports::receive_flag(conn, &config, &sender, &flag_id, &reported, &comment)
            })
            .await?;
        Ok(())
    }

    /// The raw activity, as received, for relaying.
    fn raw(&self) -> Value {
        let mut raw = Value::Object(self.rest.clone());
        raw["id"] = Value::from(self.id.to_string());
        raw["type"] = Value::from(self.kind.as_str());
        raw["actor"] = Value::from(self.actor.inner().to_string());
        raw["object"] = self.object.clone();
        raw
    }

    /// The sender's new profile, applied at once: the request is signed by the actor it
    /// describes. Without an embedded document, the actor is fetched again from its origin.
    async fn update_actor(&self, data: &Data<AppState>) -> Result<(), Error> {
        if self.object.is_object() {
            let document: ApActor = serde_json::from_value(self.object.clone())
                .map_err(|e| Error::BadRequest(format!("unreadable actor in Update: {e}")))?;
            ApAccount::verify(&document, self.actor.inner(), data).await?;
            ApAccount::from_json(document, data).await?;
        } else {
            self.actor.dereference_forced(data).await?;
        }
        Ok(())
    }

    /// Whether this Create is a vote in a poll, as Mastodon sends one: a Note with the option
    /// chosen as its `name`, in reply to the poll, with no content.
    fn is_vote(&self) -> bool {
        let note = &self.object;
        note["type"] == "Note"
            && note["name"].is_string()
            && note["inReplyTo"].is_string()
            && note["content"].as_str().is_none_or(|c| c.trim().is_empty())
    }

    /// Count a vote in a local poll; false when the Note answers no local poll (then it is
    /// a post like any other).
    async fn receive_vote(&self, data: &Data<AppState>, voter: &Account) -> Result<bool, Error> {
        let note = &self.object;
        if id_of(&note["attributedTo"]) != Some(self.actor.inner().as_str()) {
            return Err(Error::BadRequest("a vote must be the sender's own".into()));
        }
        let poll = note["inReplyTo"].as_str().unwrap_or_default().to_string();
        let option = note["name"].as_str().unwrap_or_default().to_string();
        let note_id = id_of(note).unwrap_or(self.id.as_str()).to_string();
        let voter = voter.clone();
        data.db
            .run(move |conn| {
                crate::service::polls::receive_vote(conn, &voter, (&poll, &option), &note_id)
            })
            .await
    }

    /// Store the post a Create or Update carries. A copy from the sender's own origin is
    /// taken as sent; anything else is fetched from where it lives.
    async fn store_post(&self, data: &Data<AppState>) -> Result<Option<Status>, Error> {
        let id = Url::parse(self.object_id()?)?;
        let embedded_type = self.object["type"].as_str();
        if embedded_type.is_some_and(|t| !POST_TYPES.contains(&t)) {
            return Ok(None); // not a post: accepted and ignored
        }
        let same_origin = id.origin() == self.actor.inner().origin();
        let status = if same_origin && embedded_type.is_some() {
            let post: ApPost = serde_json::from_value(self.object.clone()).map_err(|e| {
                Error::BadRequest(format!("unreadable {}: {e}", self.kind.as_str()))
            })?;
            ApStatus::verify(&post, self.actor.inner(), data).await?;
            ApStatus::from_json(post, data).await?
        } else {
            ObjectId::<ApStatus>::from(id)
                .dereference_forced(data)
                .await?
        };
        Ok(Some(status.row))
    }

    /// A local community passes on what its remote members do in it.
    async fn relay_if_local_community(
        &self,
        data: &Data<AppState>,
        status: Status,
    ) -> Result<(), Error> {
        let Some(community_id) = status.community_id else {
            return Ok(());
        };
        let (raw, config) = (self.raw(), data.config.clone());
        data.db
            .run(
                move |conn| match account_store::by_id(conn, community_id)? {
                    Some(community) if community.is_local() => {
                        communities::relay(conn, &config, &community, &raw, &status)
                    }
                    _ => Ok(()),
                },
            )
            .await
    }

    /// A remote community passed on an activity of one of its members. The activity is not
    /// signed by its author, so the post is fetched from its origin rather than trusted.
    async fn receive_community_announce(
        &self,
        data: &Data<AppState>,
        community: Account,
    ) -> Result<(), Error> {
        if super::moderation::is_moderation(data, &self.object).await? {
            return self.receive_announced_moderation(data, community).await;
        }
        let inner_kind = self.object["type"].as_str().unwrap_or_default();
        let Some(target) = (match inner_kind {
            "Create" | "Update" | "Delete" => id_of(&self.object["object"]),
            _ if self.object.is_string() || POST_TYPES.contains(&inner_kind) => id_of(&self.object),
            _ => None,
        }) else {
            return Ok(());
        };
        let target: ObjectId<ApStatus> = ObjectId::parse(target)?;
        match target.dereference_forced(data).await {
            // A new post passed on (not an edit, which would bring an old post back up).
            Ok(post) if !matches!(inner_kind, "Update" | "Delete") => {
                let announce_id = self.id.to_string();
                data.db
                    .run(move |conn| {
                        interactions::record_community_boost(
                            conn,
                            &community,
                            &post.row,
                            &announce_id,
                        )
                    })
                    .await
            }
            Ok(_) => Ok(()),
            Err(Error::Gone) => {
                let id = target.inner().to_string();
                let row = data
                    .db
                    .run(move |conn| crate::store::statuses::by_ap_id(conn, &id))
                    .await?;
                match row {
                    Some(row) => ApStatus::new(row)?.delete(data).await,
                    None => Ok(()),
                }
            }
            Err(e) => Err(e),
        }
    }
}

impl Incoming {
    /// A remote community announced what one of its moderators did in it.
    async fn receive_announced_moderation(
        &self,
        data: &Data<AppState>,
        community: Account,
    ) -> Result<(), Error> {
        let Some((concerned, action)) = super::moderation::parse(data, &self.object).await? else {
            return Ok(());
        };
        if concerned.id != community.id {
            return Err(Error::Forbidden(
                "a community may only announce moderation of its own content".into(),
            ));
        }
        let moderator = match id_of(&self.object["actor"]) {
            Some(id) => ObjectId::<ApAccount>::parse(id)?
                .dereference(data)
                .await
                .ok()
                .map(|a| a.row),
            None => None,
        };
        data.db
            .run(move |conn| {
                // The log names the actor only if we know them as a moderator.
                let moderator = match moderator {
                    Some(m) if community_store::is_moderator(conn, community.id, m.id)? => Some(m),
                    _ => None,
                };
                moderation::receive_announced(conn, &community, moderator.as_ref(), &action)
            })
            .await
    }
}
