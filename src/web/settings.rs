//! The account settings page: the password, moving to another server, the person's data
//! to take away or bring in, and closing the account.

use super::visitor::{Frame, Visitor};
use super::PageError;
use crate::error::Error;
use crate::service::export::File;
use crate::service::{moves, web_sessions};
use crate::state::Ctx;
use crate::store::accounts::Account;
use actix_web::{http::StatusCode, web::Form, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password.html", config = "src/web/askama.toml")]
struct SettingsPage {
    frame: Frame,
    /// The files a person can download.
    exports: &'static [File],
    changed: bool,
    error: Option<String>,
    /// Why closing the account was refused.
    delete_error: Option<String>,
    /// What became of an alias, a move or an import asked for: done (`Ok`) or why not.
    outcome: Option<Result<String, String>>,
    /// Signing in again through the identity provider, which confirms a deletion or a move
    /// instead of the password.
    provider: Option<super::account::ProviderLink>,
}

impl SettingsPage {
    fn new(ctx: &Ctx, visitor: &Visitor) -> SettingsPage {
        SettingsPage {
            frame: visitor.frame(ctx),
            exports: &File::ALL,
            changed: false,
            error: None,
            delete_error: None,
            outcome: None,
            provider: super::account::sign_in_choices(ctx, "/settings/password").provider,
        }
    }
}

/// The settings page after a move, an alias or an import: what was done, or why not (422).
fn answer(
    ctx: &Ctx,
    visitor: &Visitor,
    result: Result<String, Error>,
) -> Result<HttpResponse, PageError> {
    let (status, outcome) = match result {
        Ok(done) => (StatusCode::OK, Ok(done)),
        Err(Error::Unprocessable(why)) | Err(Error::Upstream(why)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Err(why))
        }
        Err(e) => return Err(e.into()),
    };
    let page = SettingsPage {
        outcome: Some(outcome),
        ..SettingsPage::new(ctx, visitor)
    };
    Ok(visitor.page(status, &page)?)
}

/// `GET /settings/password`
pub async fn password_form(ctx: Ctx, visitor: Visitor) -> Result<HttpResponse, PageError> {
    visitor.person()?;
    Ok(visitor.ok(&SettingsPage::new(&ctx, &visitor))?)
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
    let page = SettingsPage {
        changed: error.is_none(),
        error,
        ..SettingsPage::new(&ctx, &visitor)
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
            web_sessions::confirm(conn, &signed_in, &form.password)?;
            crate::service::accounts::delete(conn, &config, &signed_in.account)
        })
        .await;
    match result {
        Ok(()) => Ok(visitor.signed_out(visitor.see_other("/"))),
        Err(Error::Unprocessable(why)) => {
            let page = SettingsPage {
                delete_error: Some(why),
                ..SettingsPage::new(&ctx, &visitor)
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
    let file = File::parse(&name).ok_or(Error::NotFound)?;
    let signed_in = visitor.person()?.clone();
    let config = ctx.config.clone();
    let body = ctx
        .db
        .run(move |conn| crate::service::export::export(conn, &config, &signed_in.account, file))
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
    let result = result.map_err(|e| match e {
        Error::NotFound => {
            Error::Unprocessable(format!("No account {} was found.", form.handle.trim()))
        }
        other => other,
    });
    answer(&ctx, &visitor, result)
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
    let confirming = signed_in.clone();
    ctx.db
        .run(move |conn| web_sessions::confirm(conn, &confirming, &password))
        .await?;
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
    answer(&ctx, &visitor, result)
}

async fn import_lines(ctx: &Ctx, me: &Account, file: &str, data: &str) -> Result<String, Error> {
    use crate::service::import::{self, Kind};
    let kind = Kind::parse(file)?;
    let (mut done, mut missed) = (0, Vec::new());
    for line in import::lines(kind, data)? {
        let applied = match kind {
            Kind::Bookmarks | Kind::BookmarkNotes => import_bookmark(ctx, me, &line).await,
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
    let (config, me, line) = (ctx.config.clone(), me.clone(), line.clone());
    ctx.db
        .run(move |conn| {
            crate::service::import::apply_to_account(conn, &config, &me, (kind, &line), &target)
        })
        .await
}

async fn import_bookmark(
    ctx: &Ctx,
    me: &Account,
    line: &crate::service::import::Line,
) -> Result<(), Error> {
    use activitypub_federation::fetch::object_id::ObjectId;
    let id = ObjectId::<crate::federation::objects::ApStatus>::parse(&line.target)?;
    let status = id.dereference(ctx).await?.row;
    let (me, line) = (me.clone(), line.clone());
    ctx.db
        .run(move |conn| crate::service::import::bookmark(conn, &me, &status, &line))
        .await
}
