//! Signing in and out, signing up, and changing one's password in a browser.

use super::visitor::{CsrfOnly, Frame, Visitor};
use super::PageError;
use crate::config::Registrations;
use crate::error::Error;
use crate::service::moves;
use crate::service::web_sessions::{self, SignedUp};
use crate::state::Ctx;
use crate::store::accounts::Account;
use actix_web::{
    http::StatusCode,
    web::{Form, Query},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "sign_in.html", config = "src/web/askama.toml")]
struct SignInPage<'a> {
    frame: Frame,
    next: &'a str,
    username: &'a str,
    sign_up_open: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: a path on this site, never another site.
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local {
        next
    } else {
        "/"
    }
}

fn sign_in_page(
    ctx: &Ctx,
    visitor: &Visitor,
    status: StatusCode,
    (next, username): (&str, &str),
    error: Option<String>,
) -> Result<HttpResponse, Error> {
    visitor.page(
        status,
        &SignInPage {
            frame: visitor.frame(ctx),
            next: local_path(next),
            username,
            sign_up_open: web_sessions::sign_up_open(&ctx.config),
            error,
        },
    )
}

/// `GET /sign-in`
pub async fn sign_in_form(
    ctx: Ctx,
    visitor: Visitor,
    Query(next): Query<Next>,
) -> Result<HttpResponse, PageError> {
    Ok(sign_in_page(
        &ctx,
        &visitor,
        StatusCode::OK,
        (&next.next, ""),
        None,
    )?)
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    username: String,
    password: String,
}

/// `POST /sign-in`
pub async fn sign_in(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<SignIn>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let (login, password) = (form.username.trim().to_string(), form.password);
    let address = visitor.address.clone();
    let result = ctx
        .db
        .run(move |conn| web_sessions::sign_in(conn, (&login, &password), &address))
        .await;
    match result {
        Ok((token, _)) => {
            let target = visitor.see_other(local_path(&form.next));
            Ok(visitor.signed_in_as(target, token))
        }
        Err(Error::Unauthorized(why) | Error::Forbidden(why)) => Ok(sign_in_page(
            &ctx,
            &visitor,
            StatusCode::UNAUTHORIZED,
            (&form.next, form.username.trim()),
            Some(why),
        )?),
        Err(e) => Err(e.into()),
    }
}

/// `POST /sign-out`
pub async fn sign_out(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    if let Some(signed_in) = visitor.signed_in.clone() {
        ctx.db
            .run(move |conn| web_sessions::sign_out(conn, &signed_in))
            .await?;
    }
    Ok(visitor.signed_out(visitor.see_other("/")))
}

#[derive(Template)]
#[template(path = "sign_up.html", config = "src/web/askama.toml")]
struct SignUpPage<'a> {
    frame: Frame,
    domain: &'a str,
    approval: bool,
    username: &'a str,
    email: &'a str,
    error: Option<String>,
}

fn sign_up_page(
    ctx: &Ctx,
    visitor: &Visitor,
    status: StatusCode,
    (username, email): (&str, &str),
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    if !web_sessions::sign_up_open(&ctx.config) {
        return Err(Error::Forbidden(
            "This instance takes no sign-ups. Ask its administrators for an account.".into(),
        )
        .into());
    }
    Ok(visitor.page(
        status,
        &SignUpPage {
            frame: visitor.frame(ctx),
            domain: &ctx.config.domain,
            approval: ctx.config.registrations == Registrations::Approval,
            username,
            email,
            error,
        },
    )?)
}

/// `GET /sign-up`
pub async fn sign_up_form(ctx: Ctx, visitor: Visitor) -> Result<HttpResponse, PageError> {
    sign_up_page(&ctx, &visitor, StatusCode::OK, ("", ""), None)
}

/// The sign-up form, here and on invite pages.
#[derive(Deserialize)]
pub struct SignUp {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) username: String,
    pub(super) email: String,
    pub(super) password: String,
}

/// `POST /sign-up`: the new person is signed in at once where registrations are open.
pub async fn sign_up(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<SignUp>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let (username, email) = (form.username.trim(), form.email.trim());
    let config = ctx.config.clone();
    let (name, address, password) = (username.to_string(), email.to_string(), form.password);
    let result = ctx
        .db
        .run(move |conn| web_sessions::sign_up(conn, &config, &name, &address, &password))
        .await;
    match result {
        Ok(SignedUp::SignedIn(token)) => Ok(visitor.signed_in_as(visitor.see_other("/"), token)),
        Ok(SignedUp::AwaitingApproval) => Ok(super::message(
            &ctx,
            &visitor,
            StatusCode::OK,
            "Welcome",
            "Your account is created. An administrator will approve it; then sign in here or \
             in any Mastodon-compatible app.",
        )?),
        Err(Error::Unprocessable(why)) => sign_up_page(
            &ctx,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            (username, email),
            Some(why),
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "password.html", config = "src/web/askama.toml")]
struct PasswordPage {
    frame: Frame,
    /// The files a person can download.
    exports: [crate::service::export::File; 6],
    changed: bool,
    error: Option<String>,
    /// Why closing the account was refused.
    delete_error: Option<String>,
    /// What became of an alias, a move or an import asked for: done (`Ok`) or why not.
    outcome: Option<Result<String, String>>,
}

/// `GET /settings/password`
pub async fn password_form(ctx: Ctx, visitor: Visitor) -> Result<HttpResponse, PageError> {
    visitor.person()?;
    let page = PasswordPage {
        exports: crate::service::export::File::ALL,
        frame: visitor.frame(&ctx),
        changed: false,
        error: None,
        delete_error: None,
        outcome: None,
    };
    Ok(visitor.ok(&page)?)
}

#[derive(Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    csrf: String,
    current: String,
    new: String,
}

/// `POST /settings/password`
pub async fn change_password(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<PasswordChange>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let signed_in = visitor.person()?.clone();
    let result = ctx
        .db
        .run(move |conn| web_sessions::change_password(conn, &signed_in, &form.current, &form.new))
        .await;
    let (status, error) = match result {
        Ok(()) => (StatusCode::OK, None),
        Err(Error::Unprocessable(why)) => (StatusCode::UNPROCESSABLE_ENTITY, Some(why)),
        Err(e) => return Err(e.into()),
    };
    let page = PasswordPage {
        exports: crate::service::export::File::ALL,
        frame: visitor.frame(&ctx),
        changed: error.is_none(),
        error,
        delete_error: None,
        outcome: None,
    };
    Ok(visitor.page(status, &page)?)
}

#[derive(Deserialize)]
pub struct AccountDeletion {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// `POST /settings/delete`: a person closes their account for good, with their password.
/// Their session ends with their login; they land on the front page, signed out.
pub async fn delete_account(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<AccountDeletion>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let signed_in = visitor.person()?.clone();
    let config = ctx.config.clone();
    let result = ctx
        .db
        .run(move |conn| {
            let (user, account) = (&signed_in.user, &signed_in.account);
            crate::service::accounts::delete_own(conn, &config, user, account, &form.password)
        })
        .await;
    match result {
        Ok(()) => Ok(visitor.signed_out(visitor.see_other("/"))),
        Err(Error::Unprocessable(why)) => {
            let page = PasswordPage {
                exports: crate::service::export::File::ALL,
                frame: visitor.frame(&ctx),
                changed: false,
                error: None,
                delete_error: Some(why),
                outcome: None,
            };
            Ok(visitor.page(StatusCode::UNPROCESSABLE_ENTITY, &page)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /settings/export/{file}`: one of the person's files to take elsewhere, as a download.
pub async fn export(
    ctx: Ctx,
    visitor: Visitor,
    name: actix_web::web::Path<String>,
) -> Result<HttpResponse, PageError> {
    use crate::service::export::{self, File};
    let file = File::parse(&name).ok_or(Error::NotFound)?;
    let signed_in = visitor.person()?.clone();
    let config = ctx.config.clone();
    let body = ctx
        .db
        .run(move |conn| export::export(conn, &config, &signed_in.account, file))
        .await?;
    let disposition = format!("attachment; filename=\"{}\"", file.name());
    Ok(HttpResponse::Ok()
        .content_type(file.media_type())
        .insert_header(("Content-Disposition", disposition))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(body))
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    password: String,
}

/// `POST /settings/{aliases|move}`: name another account as also one's own, or move this
/// account to one that names it (with the password).
pub async fn moving(
    ctx: Ctx,
    visitor: Visitor,
    what: actix_web::web::Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let signed_in = visitor.person()?.clone();
    let result = match what.as_str() {
        "aliases" => add_alias(&ctx, signed_in, form.handle.trim()).await,
        "move" => move_account(&ctx, signed_in, form.handle.trim(), form.password).await,
        _ => return Err(Error::NotFound.into()),
    };
    let (status, outcome) = match result {
        Ok(done) => (StatusCode::OK, Ok(done)),
        Err(Error::Unprocessable(why)) | Err(Error::Upstream(why)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Err(why))
        }
        Err(Error::NotFound) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Err(format!("No account {} was found.", form.handle.trim())),
        ),
        Err(e) => return Err(e.into()),
    };
    let page = PasswordPage {
        exports: crate::service::export::File::ALL,
        frame: visitor.frame(&ctx),
        changed: false,
        error: None,
        delete_error: None,
        outcome: Some(outcome),
    };
    Ok(visitor.page(status, &page)?)
}

async fn add_alias(
    ctx: &Ctx,
    signed_in: web_sessions::SignedIn,
    handle: &str,
) -> Result<String, Error> {
    let alias = crate::federation::resolve::account(ctx, handle).await?;
    let (config, acct) = (ctx.config.clone(), alias.acct());
    ctx.db
        .run(move |conn| moves::add_alias(conn, &config, &signed_in.account, &alias))
        .await?;
    Ok(format!(
        "{acct} is named as also yours. You can now move it here from its server."
    ))
}

async fn move_account(
    ctx: &Ctx,
    signed_in: web_sessions::SignedIn,
    handle: &str,
    password: String,
) -> Result<String, Error> {
    if !crate::crypto::verify_password(&password, &signed_in.user.password_hash) {
        return Err(Error::Unprocessable("the password is not right".into()));
    }
    let target = crate::federation::resolve::account(ctx, handle).await?;
    let aliases = crate::federation::resolve::aliases(ctx, &target).await?;
    let (config, acct) = (ctx.config.clone(), target.acct());
    ctx.db
        .run(move |conn| moves::move_to(conn, &config, &signed_in.account, &target, &aliases))
        .await?;
    Ok(format!(
        "This account now points to {acct}, and your followers are moving there."
    ))
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    data: String,
}

/// `POST /settings/import`: the pasted contents of a file Mastodon (or Guild) exported.
/// Each line is looked up, on its server if need be, and applied; what could not be is
/// named on the page.
pub async fn import(
    ctx: Ctx,
    visitor: Visitor,
    Form(form): Form<ImportForm>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let signed_in = visitor.person()?.clone();
    let result = import_lines(&ctx, &signed_in.account, &form.file, &form.data).await;
    let (status, outcome) = match result {
        Ok(done) => (StatusCode::OK, Ok(done)),
        Err(Error::Unprocessable(why)) => (StatusCode::UNPROCESSABLE_ENTITY, Err(why)),
        Err(e) => return Err(e.into()),
    };
    let page = PasswordPage {
        exports: crate::service::export::File::ALL,
        frame: visitor.frame(&ctx),
        changed: false,
        error: None,
        delete_error: None,
        outcome: Some(outcome),
    };
    Ok(visitor.page(status, &page)?)
}

async fn import_lines(ctx: &Ctx, me: &Account, file: &str, data: &str) -> Result<String, Error> {
    use crate::service::import::{self, Kind};
    let kind = Kind::parse(file)?;
    let (mut done, mut missed) = (0, Vec::new());
    for line in import::lines(data)? {
        let applied = match kind {
            Kind::Bookmarks => import_bookmark(ctx, me, &line.target).await,
            _ => import_account(ctx, me, kind, &line).await,
        };
        match applied {
            Ok(()) => done += 1,
            Err(e) => {
                tracing::info!("import of {}: {e}", line.target);
                missed.push(line.target);
            }
        }
    }
    let mut notice = format!("Imported {done} from {file}.");
    if !missed.is_empty() {
        notice.push_str(&format!(" Not found or refused: {}.", missed.join(", ")));
    }
    Ok(notice)
}

async fn import_account(
    ctx: &Ctx,
    me: &Account,
    kind: crate::service::import::Kind,
    line: &crate::service::import::Line,
) -> Result<(), Error> {
    let target = crate::federation::resolve::account(ctx, &line.target).await?;
    let (config, me, flag) = (ctx.config.clone(), me.clone(), line.flag);
    ctx.db
        .run(move |conn| {
            crate::service::import::apply_to_account(conn, &config, &me, kind, &target, flag)
        })
        .await
}

async fn import_bookmark(ctx: &Ctx, me: &Account, url: &str) -> Result<(), Error> {
    use activitypub_federation::fetch::object_id::ObjectId;
    let id = ObjectId::<crate::federation::objects::ApStatus>::parse(url)?;
    let status = id.dereference(ctx).await?.row;
    let me = me.clone();
    ctx.db
        .run(move |conn| crate::service::import::bookmark(conn, &me, &status))
        .await
}
