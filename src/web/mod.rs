//! Server-rendered pages: GraphiQL from the binary (`graphiql`), and the account pages that
//! e-mails link to: confirming an address, setting a new password, accepting an invitation to
//! join an organization, and unsubscribing from a digest. They work without JavaScript, speak
//! Chinese, and call the same functions as the `verifyEmail`, `resetPassword` and
//! `acceptInvitation` mutations (and the saved searches' service), so the same rules apply.
//!
//! Opening a link changes nothing: mail scanners that fetch links ahead of the reader would
//! otherwise use up a single-use token. The page asks for one click (a form POST), which does.

use axum::Extension;
use axum::Router;
use axum::extract::{FromRef, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub mod graphiql;
pub mod portal;

use std::sync::Arc;

use crate::alerts::service::{self as alerts, LinkRefusal};
use crate::audit::Origin;
use crate::auth::{JwtKeys, account, invitations};
use crate::db::Db;
use crate::error::{AppResult, UserError};
use crate::mail::templates::escape_html;
use crate::viewer::ClientAddr;

const SITE: &str = portal::SITE_NAME;

/// The account pages, the public pages and GraphiQL's assets, for any router state that holds
/// the database and can lend the public pages what they read.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Db: FromRef<S>,
    Arc<JwtKeys>: FromRef<S>,
    portal::Portal: FromRef<S>,
{
    Router::new()
        .route("/unsubscribe", get(unsubscribe_form).post(unsubscribe))
        .route("/verify-email", get(verify_form).post(verify))
        .route("/reset-password", get(reset_form).post(reset))
        .route(
            "/accept-invitation",
            get(invitation_form).post(accept_invitation),
        )
        .merge(graphiql::routes())
        .merge(portal::routes())
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct InvitationForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn verify_form(Query(query): Query<TokenQuery>) -> Response {
    if query.token.trim().is_empty() {
        return page(StatusCode::OK, "验证邮箱", &no_token());
    }
    let body = format!(
        "<p>请点击下方按钮，确认这是您注册时填写的邮箱。</p>\n\
         <form method=\"post\" action=\"/verify-email\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
         <button type=\"submit\">确认验证邮箱</button>\n</form>",
        escape_html(query.token.trim())
    );
    page(StatusCode::OK, "验证邮箱", &body)
}

async fn verify(
    State(db): State<Db>,
    client: Option<Extension<ClientAddr>>,
    axum::Form(form): axum::Form<TokenQuery>,
) -> Response {
    answer(
        account::verify_email(&db, client_of(client), form.token.trim()).await,
        "验证邮箱",
        "<p>邮箱已验证。现在可以关闭此页，回到平台继续使用。</p>",
        None,
    )
}

async fn reset_form(Query(query): Query<TokenQuery>) -> Response {
    if query.token.trim().is_empty() {
        return page(StatusCode::OK, "重置密码", &no_token());
    }
    page(
        StatusCode::OK,
        "重置密码",
        &reset_fields(query.token.trim(), None),
    )
}

async fn reset(
    State(db): State<Db>,
    client: Option<Extension<ClientAddr>>,
    axum::Form(form): axum::Form<ResetForm>,
) -> Response {
    let token = form.token.trim();
    if form.password != form.confirm {
        let errors = "<p class=\"error\">两次输入的新密码不一致，请重新输入。</p>";
        return page(
            StatusCode::BAD_REQUEST,
            "重置密码",
            &reset_fields(token, Some(errors)),
        );
    }
    answer(
        account::reset_password(&db, client_of(client), token, &form.password).await,
        "重置密码",
        "<p>密码已重置，所有已登录的设备均已退出。请使用新密码登录。</p>",
        Some(&|errors| reset_fields(token, Some(errors))),
    )
}

const UNSUBSCRIBE: &str = "退订邮件";

async fn unsubscribe_form(Query(query): Query<TokenQuery>) -> Response {
    if query.token.trim().is_empty() {
        return page(StatusCode::OK, UNSUBSCRIBE, &no_token());
    }
    let body = format!(
        "<p>请点击下方按钮，确认不再接收这类汇总邮件。站内通知不受影响。</p>\n\
         <form method=\"post\" action=\"/unsubscribe\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
         <button type=\"submit\">确认退订</button>\n</form>",
        escape_html(query.token.trim())
    );
    page(StatusCode::OK, UNSUBSCRIBE, &body)
}

async fn unsubscribe(
    State(db): State<Db>,
    State(jwt): State<Arc<JwtKeys>>,
    axum::Form(form): axum::Form<TokenQuery>,
) -> Response {
    match alerts::unsubscribe(&db, &jwt, &form.token).await {
        Ok(Ok(done)) => page(
            StatusCode::OK,
            UNSUBSCRIBE,
            &format!(
                "<p>已为 {} 关闭「{}」邮件。站内通知不受影响；如需恢复，可登录平台在“通知设置”中重新开启。</p>",
                escape_html(&done.email),
                escape_html(done.kind.label())
            ),
        ),
        Ok(Err(LinkRefusal::Used)) => page(
            StatusCode::GONE,
            UNSUBSCRIBE,
            "<p class=\"error\">此退订链接已使用过，未做任何更改。如需调整，请登录平台在“通知设置”中操作。</p>",
        ),
        Ok(Err(LinkRefusal::Invalid)) => page(
            StatusCode::BAD_REQUEST,
            UNSUBSCRIBE,
            "<p class=\"error\">退订链接无效或已过期，未做任何更改。请登录平台在“通知设置”中关闭邮件。</p>",
        ),
        Err(err) => failed(UNSUBSCRIBE, err),
    }
}

const INVITATION: &str = "接受邀请";

async fn invitation_form(State(db): State<Db>, Query(query): Query<TokenQuery>) -> Response {
    let token = query.token.trim();
    if token.is_empty() {
        return page(StatusCode::OK, INVITATION, &no_token());
    }
    invitation_page(&db, token, "", None, StatusCode::OK).await
}

async fn accept_invitation(
    State(db): State<Db>,
    client: Option<Extension<ClientAddr>>,
    headers: axum::http::HeaderMap,
    axum::Form(form): axum::Form<InvitationForm>,
) -> Response {
    let token = form.token.trim();
    if form.password != form.confirm {
        let errors = "<p class=\"error\">两次输入的密码不一致，请重新输入。</p>";
        return invitation_page(
            &db,
            token,
            &form.display_name,
            Some(errors),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    // Described before it is used up, for the page that says where the colleague now belongs.
    let pending = match invitations::describe(&db, token).await {
        Ok(pending) => pending,
        Err(err) => return failed(INVITATION, err),
    };
    let done = match &pending {
        Some(p) => format!(
            "<p>您已加入「{}」。请使用邮箱 {} 和刚设置的密码登录平台。</p>",
            escape_html(&joining(p)),
            escape_html(&p.email)
        ),
        None => String::new(),
    };
    let origin = Origin::new(
        client_of(client),
        headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    );
    let result = invitations::accept(&db, &origin, token, &form.display_name, &form.password).await;
    let fields = pending.map(|p| invitation_fields(&p, token, &form.display_name));
    let retry = |errors: &str| match &fields {
        Some(fields) => format!("{errors}{fields}"),
        None => errors.to_owned(),
    };
    answer(result, INVITATION, &done, Some(&retry))
}

/// The invitation form with what it invites to, or the refusal when the token does not work.
async fn invitation_page(
    db: &Db,
    token: &str,
    name: &str,
    errors: Option<&str>,
    status: StatusCode,
) -> Response {
    match invitations::describe(db, token).await {
        Ok(Some(pending)) => {
            let body = format!(
                "{}{}",
                errors.unwrap_or_default(),
                invitation_fields(&pending, token, name)
            );
            page(status, INVITATION, &body)
        }
        Ok(None) => page(
            StatusCode::BAD_REQUEST,
            INVITATION,
            "<p class=\"error\">邀请链接无效、已被使用或已过期，请联系单位管理员重新邀请。</p>",
        ),
        Err(err) => failed(INVITATION, err),
    }
}

/// What the invitation joins: the organization, or for an appointment the county's managers.
fn joining(pending: &invitations::Pending) -> String {
    match &pending.county {
        Some(county) => format!("{}·{county}场景经理人", pending.organization.name),
        None => pending.organization.name.clone(),
    }
}

fn invitation_fields(pending: &invitations::Pending, token: &str, name: &str) -> String {
    format!(
        "<p>您受邀加入「{org}」，账号邮箱为 {email}。请填写姓名并设置密码：至少10个字符，\
         不能是常见密码。</p>\n\
         <form method=\"post\" action=\"/accept-invitation\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
         <label>姓名 <input type=\"text\" name=\"display_name\" value=\"{name}\" required \
         maxlength=\"40\" autocomplete=\"name\"></label>\n\
         <label>密码 <input type=\"password\" name=\"password\" autocomplete=\"new-password\" \
         required minlength=\"10\"></label>\n\
         <label>再次输入 <input type=\"password\" name=\"confirm\" autocomplete=\"new-password\" \
         required minlength=\"10\"></label>\n\
         <button type=\"submit\">加入单位</button>\n</form>",
        org = escape_html(&joining(pending)),
        email = escape_html(&pending.email),
        token = escape_html(token),
        name = escape_html(name),
    )
}

/// The new-password form, with the errors of the last try above it.
fn reset_fields(token: &str, errors: Option<&str>) -> String {
    format!(
        "{}<p>请设置新密码：至少10个字符，不能是常见密码。</p>\n\
         <form method=\"post\" action=\"/reset-password\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
         <label>新密码 <input type=\"password\" name=\"password\" autocomplete=\"new-password\" \
         required minlength=\"10\"></label>\n\
         <label>再次输入 <input type=\"password\" name=\"confirm\" autocomplete=\"new-password\" \
         required minlength=\"10\"></label>\n\
         <button type=\"submit\">重置密码</button>\n</form>",
        errors.unwrap_or_default(),
        escape_html(token)
    )
}

/// The page after a POST: `done` on success; otherwise the refusal, and for a form refused
/// before its token was used (`retry`), the form again under the messages.
fn answer<T>(
    result: AppResult<Result<T, Vec<UserError>>>,
    title: &str,
    done: &str,
    retry: Option<&dyn Fn(&str) -> String>,
) -> Response {
    match result {
        Ok(Ok(_)) => page(StatusCode::OK, title, done),
        Ok(Err(errors)) => {
            let messages: String = errors
                .iter()
                .map(|e| format!("<p class=\"error\">{}</p>\n", escape_html(&e.message)))
                .collect();
            let token_used_up = errors
                .iter()
                .any(|e| e.code == crate::error::ErrorCode::InvalidToken);
            let body = match retry {
                Some(retry) if !token_used_up => retry(&messages),
                _ => format!("{messages}<p>请回到平台重新获取链接。</p>"),
            };
            page(StatusCode::BAD_REQUEST, title, &body)
        }
        Err(err) => failed(title, err),
    }
}

/// A failure that is not the reader's: logged, with a generic message on the page.
fn failed(title: &str, err: crate::error::AppError) -> Response {
    err.log();
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        title,
        &format!("<p class=\"error\">{}</p>", err.public_message()),
    )
}

/// The address the server saw the request come from (for rate limits).
fn client_of(client: Option<Extension<ClientAddr>>) -> ClientAddr {
    client.map(|Extension(addr)| addr).unwrap_or_default()
}

fn no_token() -> String {
    "<p class=\"error\">链接不完整：请从邮件中打开完整的链接。</p>".to_owned()
}

/// A whole page. Tokens travel in these pages' addresses, so nothing is cached and no address is
/// sent on to another site.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · {SITE}</title>\n<style>\n\
         body {{ font-family: sans-serif; line-height: 1.6; color: #222; margin: 0; }}\n\
         main {{ max-width: 32rem; margin: 3rem auto; padding: 0 1rem; }}\n\
         h1 {{ font-size: 1.4rem; }} .error {{ color: #b8342b; }}\n\
         label {{ display: block; margin: .8rem 0; }} input {{ display: block; width: 100%; \
         padding: .4rem; font-size: 1rem; }}\n\
         button {{ margin-top: 1rem; padding: .5rem 1.2rem; font-size: 1rem; }}\n\
         </style>\n</head>\n<body>\n<main>\n<p>{SITE}</p>\n<h1>{title}</h1>\n{body}\n</main>\n\
         </body>\n</html>\n",
        title = escape_html(title)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}
