//! The administrators' page: sign-ups waiting for approval, and the federation policies for
//! other servers' domains, through the same services as the command line.

use super::visitor::{Frame, Visitor};
use super::PageError;
use crate::domain::{DomainPolicy, Role};
use crate::error::Error;
use crate::service::{accounts, policy};
use crate::state::Ctx;
use crate::store::{policies, users};
use actix_web::{
    http::StatusCode,
    web::{Form, Path},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;

/// Sign-ups shown at once.
const PENDING_SHOWN: i64 = 100;

struct Pending {
    username: String,
    email: String,
    since: String,
}

#[derive(Template)]
#[template(path = "admin.html", config = "src/web/askama.toml")]
struct AdminPage {
    frame: Frame,
    pending: Vec<Pending>,
    /// Domain, policy and reason.
    policies: Vec<(String, DomainPolicy, String)>,
    notice: Option<String>,
}

impl AdminPage {
    fn choices(&self) -> &'static [DomainPolicy] {
        DomainPolicy::ALL
    }
}

/// 403 unless an administrator is signed in.
fn require_admin(visitor: &Visitor) -> Result<(), Error> {
    if visitor.person()?.user.role != Role::Admin {
        return Err(Error::Forbidden(
            "Only the instance's administrators may do this.".into(),
        ));
    }
    Ok(())
}

async fn show(
    ctx: &Ctx,
    visitor: &Visitor,
    status: StatusCode,
    notice: Option<String>,
) -> Result<HttpResponse, PageError> {
    require_admin(visitor)?;
    let frame = visitor.frame(ctx);
    let page = ctx
        .db
        .run(move |conn| {
            let pending = users::pending(conn, PENDING_SHOWN)?
                .into_iter()
                .map(|(user, account)| Pending {
                    username: account.profile.username,
                    email: user.email,
                    since: user.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                })
                .collect();
            Ok(AdminPage {
                frame,
                pending,
                policies: policies::list(conn)?,
                notice,
            })
        })
        .await?;
    Ok(visitor.page(status, &page)?)
}

/// `GET /admin`
pub async fn page(ctx: Ctx, visitor: Visitor) -> Result<HttpResponse, PageError> {
    show(&ctx, &visitor, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct AdminForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    domain: String,
    policy: Option<DomainPolicy>,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/{approve,reject,policy,lift}`
pub async fn decide(
    ctx: Ctx,
    visitor: Visitor,
    what: Path<String>,
    Form(form): Form<AdminForm>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    require_admin(&visitor)?;
    let what = what.into_inner();
    let result = ctx
        .db
        .run(move |conn| match what.as_str() {
            "approve" => accounts::approve_user(conn, &form.username)
                .map(|_| format!("{} may sign in now.", form.username)),
            "reject" => accounts::reject_user(conn, &form.username)
                .map(|_| format!("{} was turned away.", form.username)),
            "policy" => {
                let chosen = form.policy.ok_or_else(|| {
                    Error::Unprocessable("Choose what to do with the domain.".into())
                })?;
                policy::set(conn, &form.domain, chosen, form.reason.trim())
                    .map(|_| format!("{} is now {chosen}.", form.domain.trim()))
            }
            "lift" => policy::clear(conn, &form.domain)
                .map(|_| format!("{} has no policy now.", form.domain.trim())),
            _ => Err(Error::NotFound),
        })
        .await;
    match result {
        Ok(notice) => show(&ctx, &visitor, StatusCode::OK, Some(notice)).await,
        Err(Error::Unprocessable(why)) => {
            show(&ctx, &visitor, StatusCode::UNPROCESSABLE_ENTITY, Some(why)).await
        }
        Err(e) => Err(e.into()),
    }
}
