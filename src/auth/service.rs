//! Registration, sign-in, session rotation and password changes. Each write is one transaction;
//! a refused input writes nothing.

use async_graphql::InputObject;
use chrono::Utc;
use tokio::sync::OnceCell;

use super::limits::{self, Operation};
use super::password;
use super::tokens::{self, JwtKeys, REFRESH_TTL};
pub use super::users::{
    JoinedVia, Membership, NewUser, USER_COLUMNS, UserRow, find_user, find_user_by_email,
    find_users, insert_user, normalize_email,
};
use super::{Claims, Role, Viewer};
use crate::audit::{self, Origin};
use crate::db::{self, Db, Tx};
use crate::error::{AppError, AppResult, ErrorCode, UserError, Validator};
use crate::events::{self, NewEvent};
use crate::orgs::{self, NewOrganization, OrganizationKind, OrganizationRow, OrganizationStatus};
use crate::taxonomy::Taxonomy;
use crate::viewer::{Bar, ClientAddr};

/// A user's e-mail address is shown to the user themself and to admins only.
pub fn can_see_email(viewer: &Viewer, user: &UserRow) -> bool {
    viewer.is_admin() || viewer.claims().is_some_and(|c| c.sub == user.id)
}

#[derive(InputObject, Clone, Debug)]
pub struct RegisterOrganizationInput {
    pub name: String,
    pub kind: OrganizationKind,
    /// 统一社会信用代码; required for ENTERPRISE and RESEARCH.
    pub credit_code: Option<String>,
    pub region_code: String,
}

#[derive(InputObject, Clone, Debug)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// The organization the new user registers and belongs to.
    pub organization: RegisterOrganizationInput,
}

/// What a valid registration did. The caller answers both alike, so that nobody learns from
/// the answer whether an address has an account.
pub enum Registered {
    /// A new account and its (PENDING) organization.
    Created {
        user: Box<UserRow>,
        organization: Box<OrganizationRow>,
    },
    /// The address already had an account: nothing was created, and its owner was told by
    /// e-mail.
    AddressTaken,
}

/// The checked and normalized parts of a registration.
struct ValidRegistration {
    email: String,
    credit_code: Option<String>,
}

fn validate_registration(
    input: &RegisterInput,
    taxonomy: &Taxonomy,
) -> Result<ValidRegistration, Vec<UserError>> {
    let mut v = Validator::default();
    let email = normalize_email(&input.email);
    if input.email.trim().is_empty() {
        v.push(&["email"], ErrorCode::Required, "请填写邮箱");
    } else if email.is_none() {
        v.push(&["email"], ErrorCode::Invalid, "邮箱格式不正确");
    }
    if let Some(reason) = password::weakness(&input.password) {
        v.push(&["password"], ErrorCode::PasswordTooWeak, reason);
    }
    v.text(&["displayName"], "姓名", &input.display_name, 40);
    let org = &input.organization;
    v.text(&["organization", "name"], "组织名称", &org.name, 100);
    if org.kind == OrganizationKind::Operator {
        v.push(
            &["organization", "kind"],
            ErrorCode::Invalid,
            "不能注册平台运营方组织",
        );
    }
    let credit_code = match org.credit_code.as_deref().map(str::trim) {
        None | Some("") => {
            if org.kind.requires_credit_code() {
                v.push(
                    &["organization", "creditCode"],
                    ErrorCode::Required,
                    "企业和科研院所须填写统一社会信用代码",
                );
            }
            None
        }
        Some(code) => {
            let normalized = orgs::credit_code::normalize(code);
            if normalized.is_none() {
                v.push(
                    &["organization", "creditCode"],
                    ErrorCode::InvalidCreditCode,
                    "统一社会信用代码无效，请核对后重新填写",
                );
            }
            normalized
        }
    };
    if taxonomy.region(org.region_code.trim()).is_none() {
        v.push(
            &["organization", "regionCode"],
            ErrorCode::UnknownRegion,
            "所在地区不存在",
        );
    }
    v.finish()?;
    Ok(ValidRegistration {
        email: email.expect("checked above"),
        credit_code,
    })
}

/// Creates the user and its new (PENDING) organization, or returns every validation failure and
/// writes nothing. An address that already has an account is not refused: the answer must not
/// tell which addresses are registered, so its owner is told by e-mail instead.
pub async fn register(
    db: &Db,
    client: ClientAddr,
    taxonomy: &Taxonomy,
    input: RegisterInput,
) -> AppResult<Result<Registered, Vec<UserError>>> {
    limits::count(db, Operation::Register, client).await?;
    let ValidRegistration { email, credit_code } = match validate_registration(&input, taxonomy) {
        Ok(valid) => valid,
        Err(errors) => return Ok(Err(errors)),
    };
    let org = &input.organization;
    let password_hash = password::hash(input.password.clone()).await?;
    let role = match org.kind {
        OrganizationKind::Government => Role::Government,
        _ => Role::Enterprise,
    };
    let mut tx = db.begin().await?;
    let organization = match orgs::insert(
        &mut tx,
        NewOrganization {
            name: org.name.trim(),
            kind: org.kind,
            status: OrganizationStatus::Pending,
            credit_code: credit_code.as_deref(),
            region_code: org.region_code.trim(),
        },
    )
    .await
    {
        Ok(row) => row,
        Err(e) if db::is_unique_violation(&e, "organizations", "credit_code") => {
            return Ok(Err(vec![UserError::new(
                &["organization", "creditCode"],
                ErrorCode::Duplicate,
                "该统一社会信用代码已注册：请联系本单位管理员在平台上邀请您加入",
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    let user = match insert_user(
        &mut tx,
        NewUser {
            email: &email,
            password_hash: &password_hash,
            display_name: input.display_name.trim(),
            role,
            organization_id: &organization.id,
            joined_via: JoinedVia::Registration,
            email_verified: false,
            region_code: None,
        },
    )
    .await
    {
        Ok(row) => row,
        Err(e) if db::is_unique_violation(&e, "users", "email") => {
            // Nothing of the registration is kept; the owner of the address hears of it.
            drop(tx);
            let owner = find_user_by_email(db, &email).await?;
            if let Some(owner) = owner {
                let mut tx = db.begin().await?;
                let notice =
                    crate::mail::templates::registration_attempt(&owner.email, &owner.display_name);
                crate::mail::enqueue(&mut tx, &notice).await?;
                tx.commit().await?;
            }
            return Ok(Ok(Registered::AddressTaken));
        }
        Err(e) => return Err(e.into()),
    };
    events::record(
        &mut tx,
        NewEvent {
            aggregate_type: "ORGANIZATION",
            aggregate_id: &organization.id,
            action: "REGISTER",
            from_status: None,
            to_status: Some(OrganizationStatus::Pending.as_str()),
            actor_id: Some(&user.id),
            note: None,
        },
        &user.created_at,
    )
    .await?;
    super::account::queue_verification(&mut tx, &user).await?;
    tx.commit().await?;
    Ok(Ok(Registered::Created {
        user: Box::new(user),
        organization: Box::new(organization),
    }))
}

/// The viewer a verified access token speaks for, as the database stands now: the token ends
/// with its session (sign-out, password change or reset, a reused refresh token), a removed
/// member is signed out at once, and the member of a suspended or rejected organization may read
/// but not act. One indexed lookup per signed-in request.
pub async fn standing(db: &Db, mut claims: Claims) -> AppResult<Viewer> {
    let row: Option<(String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT u.membership, o.status, \
         (SELECT COUNT(*) FROM refresh_tokens t WHERE t.family_id = $2 AND t.user_id = u.id \
          AND t.revoked_at IS NULL), u.region_code \
         FROM users u JOIN organizations o ON o.id = u.organization_id WHERE u.id = $1",
    )
    .bind(&claims.sub)
    .bind(&claims.sid)
    .fetch_optional(db.pool())
    .await?;
    let Some((membership, org_status, live, region)) = row else {
        return Err(AppError::Unauthenticated);
    };
    if live == 0 || Membership::parse(&membership) == Some(Membership::Removed) {
        return Err(AppError::Unauthenticated);
    }
    claims.county = region.filter(|_| claims.role == Role::CountyManager);
    Ok(match OrganizationStatus::parse(&org_status) {
        Some(OrganizationStatus::Suspended) => Viewer::Barred(claims, Bar::Suspended),
        Some(OrganizationStatus::Rejected) => Viewer::Barred(claims, Bar::Rejected),
        _ => Viewer::User(claims),
    })
}

/// A signed-in session: a short-lived access token and the refresh token that renews it.
pub struct Session {
    pub access_token: String,
    pub access_token_expires_at: chrono::DateTime<Utc>,
    pub refresh_token: String,
    pub user: UserRow,
}

/// A hash to check passwords against when the e-mail is unknown, so that a wrong e-mail takes as
/// long as a wrong password.
static DUMMY_HASH: OnceCell<String> = OnceCell::const_new();

async fn dummy_hash() -> AppResult<&'static String> {
    DUMMY_HASH
        .get_or_try_init(|| password::hash(tokens::random_token(16)))
        .await
}

/// Prepares what sign-in needs, so that the first failed sign-in is not slower than the others.
pub async fn warm_up() -> AppResult<()> {
    tokio::task::spawn_blocking(password::warm_up)
        .await
        .map_err(AppError::internal)?;
    dummy_hash().await.map(|_| ())
}

fn invalid_credentials() -> Vec<UserError> {
    vec![UserError::new(
        &[],
        ErrorCode::InvalidCredentials,
        "邮箱或密码错误",
    )]
}

/// Signs in. Counted per client address, and slowed down per address tried after a few wrong
/// passwords ([`limits`]); the count of an address is kept whether or not it has an account, so
/// the slowdown tells nothing either.
pub async fn login(
    db: &Db,
    origin: &Origin,
    jwt: &JwtKeys,
    email: &str,
    password: &str,
) -> AppResult<Result<Session, Vec<UserError>>> {
    limits::count(db, Operation::Login, origin.client).await?;
    let normalized = normalize_email(email);
    let tried = normalized
        .clone()
        .unwrap_or_else(|| email.trim().to_lowercase());
    limits::login_allowed(db, &tried).await?;
    let user = match &normalized {
        Some(email) => find_user_by_email(db, email).await?,
        None => None,
    };
    let stored_hash = match &user {
        Some(user) => user.password_hash.clone(),
        None => dummy_hash().await?.clone(),
    };
    let matches = password::verify(password.to_owned(), stored_hash).await?;
    let Some(user) = user.filter(|_| matches) else {
        limits::login_failed(db, &tried).await?;
        let entry = audit::Entry {
            actor_id: None,
            action: "login",
            target_type: Some("USER"),
            target_id: None,
            outcome: "REFUSED",
            detail: Some(&tried),
        };
        audit::record(db, origin, entry).await;
        return Ok(Err(invalid_credentials()));
    };
    limits::login_succeeded(db, &tried).await?;
    let entry = audit::Entry {
        actor_id: Some(&user.id),
        action: "login",
        target_type: Some("USER"),
        target_id: Some(&user.id),
        outcome: if user.membership() == Membership::Removed {
            "REFUSED"
        } else {
            "DONE"
        },
        detail: None,
    };
    audit::record(db, origin, entry).await;
    if user.membership() == Membership::Removed {
        return Ok(Err(vec![UserError::new(
            &[],
            ErrorCode::MemberRemoved,
            "该账号已被移出所在单位，不能再登录；如需恢复，请联系单位管理员重新邀请",
        )]));
    }
    Ok(Ok(open_session(db, jwt, user).await?))
}

/// A new session (refresh-token family) for a user whose identity is established: what sign-in
/// gives after checking the password.
pub async fn open_session(db: &Db, jwt: &JwtKeys, user: UserRow) -> AppResult<Session> {
    let family = db::new_id();
    let mut tx = db.begin().await?;
    let refresh_token = insert_refresh_token(&mut tx, &user.id, &family).await?;
    tx.commit().await?;
    Ok(start_session(jwt, user, &family, refresh_token))
}

fn start_session(jwt: &JwtKeys, user: UserRow, family: &str, refresh_token: String) -> Session {
    let (access_token, access_token_expires_at) = jwt.issue(
        &user.id,
        &user.organization_id,
        user.role(),
        family,
        Utc::now(),
    );
    Session {
        access_token,
        access_token_expires_at,
        refresh_token,
        user,
    }
}

async fn insert_refresh_token(
    tx: &mut Tx,
    user_id: &str,
    family_id: &str,
) -> Result<String, sqlx::Error> {
    let token = tokens::random_token(32);
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(db::new_id())
    .bind(user_id)
    .bind(family_id)
    .bind(tokens::token_hash(&token))
    .bind(db::format_time(now))
    .bind(db::format_time(now + REFRESH_TTL))
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Ends every session of a user: each refresh-token family, and so the access tokens issued in
/// it (see [`standing`]).
pub(super) async fn end_sessions(tx: &mut Tx, user_id: &str, now: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn revoke_family(tx: &mut Tx, family_id: &str, now: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
    )
    .bind(family_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RefreshTokenRow {
    id: String,
    user_id: String,
    family_id: String,
    expires_at: String,
    used_at: Option<String>,
    revoked_at: Option<String>,
}

/// Exchanges a refresh token for a new session. The presented token is used up; presenting a
/// used token again means it was stolen or replayed, and ends its whole family.
pub async fn refresh(db: &Db, jwt: &JwtKeys, refresh_token: &str) -> AppResult<Session> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: Option<RefreshTokenRow> = sqlx::query_as(
        "SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens \
         WHERE token_hash = $1",
    )
    .bind(tokens::token_hash(refresh_token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(AppError::Unauthenticated);
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(AppError::Unauthenticated);
    }
    let claimed = if row.used_at.is_none() {
        sqlx::query(
            "UPDATE refresh_tokens SET used_at = $2 \
             WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(&row.id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1
    } else {
        false
    };
    if !claimed {
        tracing::warn!(family = %row.family_id, "refresh token reused; revoking its family");
        revoke_family(&mut tx, &row.family_id, &now).await?;
        tx.commit().await?;
        return Err(AppError::Unauthenticated);
    }
    let user: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND membership <> 'REMOVED'"
    )))
    .bind(&row.user_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::Unauthenticated)?;
    let next = insert_refresh_token(&mut tx, &user.id, &row.family_id).await?;
    tx.commit().await?;
    Ok(start_session(jwt, user, &row.family_id, next))
}

/// Ends the session the refresh token belongs to. Unknown tokens are ignored, so the answer says
/// nothing about which tokens exist.
pub async fn logout(db: &Db, refresh_token: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let family: Option<String> =
        sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(tokens::token_hash(refresh_token))
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(family) = family {
        revoke_family(&mut tx, &family, &db::now()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Changes the password after checking the current one, and ends every session of the user.
pub async fn change_password(
    db: &Db,
    user_id: &str,
    current_password: &str,
    new_password: &str,
) -> AppResult<Result<UserRow, Vec<UserError>>> {
    let user = find_user(db, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !password::verify(current_password.to_owned(), user.password_hash.clone()).await? {
        return Ok(Err(vec![UserError::new(
            &["currentPassword"],
            ErrorCode::InvalidCredentials,
            "当前密码错误",
        )]));
    }
    if let Some(reason) = password::weakness(new_password) {
        return Ok(Err(vec![UserError::new(
            &["newPassword"],
            ErrorCode::PasswordTooWeak,
            reason,
        )]));
    }
    if new_password == current_password {
        return Ok(Err(vec![UserError::new(
            &["newPassword"],
            ErrorCode::Invalid,
            "新密码不能与当前密码相同",
        )]));
    }
    let new_hash = password::hash(new_password.to_owned()).await?;
    let now = db::now();
    let mut tx = db.begin().await?;
    let updated: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE users SET password_hash = $2, updated_at = $3, version = version + 1 \
         WHERE id = $1 AND version = $4 RETURNING {USER_COLUMNS}"
    )))
    .bind(&user.id)
    .bind(&new_hash)
    .bind(&now)
    .bind(user.version)
    .fetch_optional(&mut *tx)
    .await?;
    let updated = updated.ok_or(AppError::Conflict)?;
    end_sessions(&mut tx, &user.id, &now).await?;
    tx.commit().await?;
    Ok(Ok(updated))
}

/// The administrator a command-line step acts as: the one with `email`, or the first one
/// created. Someone who may run the command may act as any administrator.
pub async fn acting_admin(db: &Db, email: Option<&str>) -> anyhow::Result<UserRow> {
    let row: Option<UserRow> = match email {
        Some(email) => {
            let email = normalize_email(email).ok_or_else(|| anyhow::anyhow!("邮箱格式不正确"))?;
            find_user_by_email(db, &email)
                .await?
                .filter(|u| u.role() == Role::Admin && u.membership() != Membership::Removed)
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE role = $1 AND membership <> $2 \
                 ORDER BY created_at, id LIMIT 1"
            )))
            .bind(Role::Admin.as_str())
            .bind(Membership::Removed.as_str())
            .fetch_optional(db.pool())
            .await?
        }
    };
    row.ok_or_else(|| match email {
        Some(email) => anyhow::anyhow!("{email} 不是平台管理员账号"),
        None => anyhow::anyhow!("还没有管理员账号：请先运行 twolists create-admin"),
    })
}

/// Creates an administrator in the operator organization (the command-line `create-admin`).
pub async fn create_admin(
    db: &Db,
    email: &str,
    password: &str,
    display_name: &str,
) -> anyhow::Result<UserRow> {
    create_staff(db, email, password, display_name, None).await
}

/// Creates a member of the operator: an administrator, or with `region` the county manager of
/// that region (the command-line `create-admin [--region CODE]`).
pub async fn create_staff(
    db: &Db,
    email: &str,
    password: &str,
    display_name: &str,
    region: Option<&str>,
) -> anyhow::Result<UserRow> {
    if let Some(region) = region {
        let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM regions WHERE code = $1")
            .bind(region)
            .fetch_optional(db.pool())
            .await?;
        anyhow::ensure!(known.is_some(), "地区代码不存在：{region}");
    }
    let email = normalize_email(email).ok_or_else(|| anyhow::anyhow!("邮箱格式不正确"))?;
    if let Some(reason) = password::weakness(password) {
        anyhow::bail!("{reason}");
    }
    let display_name = display_name.trim();
    anyhow::ensure!(!display_name.is_empty(), "请填写姓名");
    let password_hash = password::hash(password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let operator = orgs::ensure_operator(&mut tx).await?;
    let user = insert_user(
        &mut tx,
        NewUser {
            email: &email,
            password_hash: &password_hash,
            display_name,
            role: if region.is_some() {
                Role::CountyManager
            } else {
                Role::Admin
            },
            organization_id: &operator.id,
            joined_via: JoinedVia::CommandLine,
            // Whoever runs the command vouches for the address.
            email_verified: true,
            region_code: region,
        },
    )
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e, "users", "email") {
            anyhow::anyhow!("该邮箱已注册")
        } else {
            e.into()
        }
    })?;
    tx.commit().await?;
    let entry = audit::Entry {
        actor_id: None,
        action: if region.is_some() {
            "createCountyManager"
        } else {
            "createAdmin"
        },
        target_type: Some("USER"),
        target_id: Some(&user.id),
        outcome: "DONE",
        detail: Some("命令行"),
    };
    audit::record(db, &Origin::default(), entry).await;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email("  Zhang.San@Example.COM ").as_deref(),
            Some("zhang.san@example.com")
        );
        assert_eq!(
            normalize_email("张三@晋中.中国").as_deref(),
            Some("张三@晋中.中国")
        );
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@c.com",
            "a@b..com",
            "a@@b.com",
            "a@-b.com",
            ".a@b.com",
        ] {
            assert!(normalize_email(bad).is_none(), "{bad}");
        }
    }
}
