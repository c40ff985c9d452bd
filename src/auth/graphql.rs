use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::account;
use super::invitations::{self, InvitationRow, InvitationStatus};
use super::managers;
use super::members;
use super::service::{self, JoinedVia, Membership, RegisterInput, Session};
use super::{JwtKeys, Role, Viewer};
use crate::audit::Origin;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, UserError};
use crate::orgs::Organization;
use crate::orgs::graphql::load_organization;
use crate::pagination::{Page, PageRequest};
use crate::taxonomy::{Region, Taxonomy};
use crate::viewer::ClientAddr;

pub use service::UserRow;

/// A person with an account. E-mail is shown to the user themself and to admins only.
#[derive(Clone, Debug)]
pub struct User {
    row: UserRow,
    /// Set where the user is the one asking (sign-in, registration), before any token exists.
    own: bool,
}

impl User {
    pub fn new(row: UserRow) -> Self {
        User { row, own: false }
    }

    /// The user as they see themself.
    pub fn own(row: UserRow) -> Self {
        User { row, own: true }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.row.id.clone())
    }
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        (self.own || service::can_see_email(Viewer::of(ctx), &self.row))
            .then_some(self.row.email.as_str())
    }
    async fn display_name(&self) -> &str {
        &self.row.display_name
    }
    async fn role(&self) -> Role {
        self.row.role()
    }
    async fn email_verified(&self) -> bool {
        self.row.email_verified_at.is_some()
    }
    async fn organization(&self, ctx: &Context<'_>) -> AppResult<Organization> {
        load_organization(ctx, &self.row.organization_id)
            .await?
            .ok_or_else(|| AppError::internal("user without organization"))
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.row.created_at)
    }
    /// Manager, member, or removed from the organization.
    async fn membership(&self) -> Membership {
        self.row.membership()
    }
    /// How the user came into the organization: REGISTRATION marks who registered it.
    async fn joined_via(&self) -> JoinedVia {
        self.row.joined_via()
    }
    async fn removed_at(&self) -> Option<DateTime<Utc>> {
        self.row.removed_at.as_deref().and_then(db::parse_time)
    }
    /// Of a county manager: the region whose scenarios they look after.
    async fn county(&self, ctx: &Context<'_>) -> Option<Region> {
        region_of(ctx, self.row.region_code.as_deref())
    }
}

fn region_of(ctx: &Context<'_>, code: Option<&str>) -> Option<Region> {
    let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
    taxonomy.region(code?).cloned().map(Region)
}

/// An invitation to join an organization, as its manager and admins see it.
pub struct Invitation(pub InvitationRow);

#[Object]
impl Invitation {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The address the invitation was sent to.
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn status(&self) -> InvitationStatus {
        self.0.status()
    }
    async fn organization(&self, ctx: &Context<'_>) -> AppResult<Option<Organization>> {
        load_organization(ctx, &self.0.organization_id).await
    }
    /// Of an appointment of a county manager: the region they will look after.
    async fn county(&self, ctx: &Context<'_>) -> Option<Region> {
        region_of(ctx, self.0.region_code.as_deref())
    }
    async fn invited_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        load_user(ctx, &self.0.invited_by).await
    }
    /// The account the invitation became, once accepted.
    async fn accepted_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        match &self.0.accepted_user_id {
            Some(id) => load_user(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.expires_at)
    }
}

/// Where the request came from (for rate limits and the audit trail); unknown when the door
/// did not say.
fn origin(ctx: &Context<'_>) -> Origin {
    ctx.data_opt::<Origin>().cloned().unwrap_or_default()
}

fn client(ctx: &Context<'_>) -> ClientAddr {
    origin(ctx).client
}

async fn load_user(ctx: &Context<'_>, id: &str) -> AppResult<Option<User>> {
    let row = crate::loaders::load_one::<super::UserLoader>(ctx, id).await?;
    Ok(row.map(User::new))
}

/// The members of organizations and the invitations that bring new ones.
#[derive(Default)]
pub struct MemberQuery;

#[Object]
impl MemberQuery {
    /// The members of an organization, its manager first: for its own members and admins.
    /// `includeRemoved` (admins only) adds the removed members.
    async fn organization_members(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        include_removed: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<User>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = members::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &organization_id,
            include_removed.unwrap_or(false),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, User::new))
    }

    /// Admins: the county scenario managers in office (of one region if asked), by region.
    async fn county_managers(
        &self,
        ctx: &Context<'_>,
        region_code: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<User>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = managers::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            region_code.as_deref().map(str::trim),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, User::new))
    }

    /// The invitations of an organization, newest first: for its manager and admins.
    async fn organization_invitations(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Invitation>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = invitations::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &organization_id,
            page,
        )
        .await?;
        Ok(page.connection_of(rows, Invitation))
    }
}

#[derive(InputObject)]
pub struct InviteMemberInput {
    /// The colleague's e-mail address; the invitation link goes there.
    pub email: String,
    /// Admins name the organization; a manager's own is the default.
    pub organization_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct InvitationPayload {
    pub invitation: Option<Invitation>,
    pub errors: Vec<UserError>,
}

crate::error::outcome_payload!(InvitationPayload {
    invitation: Invitation(InvitationRow)
});

#[derive(InputObject)]
pub struct RevokeInvitationInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The token from the invitation e-mail's link.
    pub token: String,
    pub display_name: String,
    pub password: String,
}

#[derive(InputObject)]
pub struct MemberInput {
    /// The member (a user of the organization).
    pub user_id: ID,
}

#[derive(InputObject)]
pub struct AppointCountyManagerInput {
    /// The manager's e-mail address; the link that sets up the account goes there.
    pub email: String,
    /// The county or district (or 140700, the city level) whose scenarios they will look after.
    pub region_code: String,
}

#[derive(SimpleObject)]
pub struct MemberPayload {
    pub user: Option<User>,
    pub errors: Vec<UserError>,
}

impl From<crate::error::Outcome<service::UserRow>> for MemberPayload {
    fn from(outcome: crate::error::Outcome<service::UserRow>) -> Self {
        match outcome {
            Ok(row) => MemberPayload {
                user: Some(User::new(row)),
                errors: vec![],
            },
            Err(errors) => MemberPayload { user: None, errors },
        }
    }
}

#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// A manager (or an admin) invites a colleague by e-mail. The link in the e-mail opens the
    /// page `/accept-invitation`, works once and for seven days; a new invitation to the same
    /// address replaces the open one. At most 20 invitations of one organization are open.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        input: InviteMemberInput,
    ) -> AppResult<InvitationPayload> {
        let outcome = invitations::invite(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            input.organization_id.as_ref().map(|id| id.as_str()),
            &input.email,
        )
        .await?;
        Ok(InvitationPayload::from(outcome))
    }

    /// Admins appoint a county scenario manager (县级场景经理人) by e-mail: the link (the page
    /// `/accept-invitation`, once, seven days) sets up the account, which looks after the
    /// region's scenarios (README, "County managers"). `revokeInvitation` withdraws it.
    async fn appoint_county_manager(
        &self,
        ctx: &Context<'_>,
        input: AppointCountyManagerInput,
    ) -> AppResult<InvitationPayload> {
        let outcome = managers::appoint(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            Viewer::of(ctx),
            &input.email,
            &input.region_code,
        )
        .await?;
        Ok(InvitationPayload::from(outcome))
    }

    /// Admins end a county manager's appointment: the account is removed and signed out at once;
    /// the region's scenarios waiting for the county's review go to the city if no other manager
    /// of the region is left.
    async fn remove_county_manager(
        &self,
        ctx: &Context<'_>,
        input: MemberInput,
    ) -> AppResult<MemberPayload> {
        let outcome =
            managers::remove(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &input.user_id).await?;
        Ok(MemberPayload::from(outcome))
    }

    /// A manager (or an admin) withdraws an open invitation; its link stops working.
    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        input: RevokeInvitationInput,
    ) -> AppResult<InvitationPayload> {
        let outcome =
            invitations::revoke(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &input.id).await?;
        Ok(InvitationPayload::from(outcome))
    }

    /// Creates the invited colleague's account (no sign-in needed: the token is the proof). The
    /// address counts as verified; sign in afterwards with it and the new password.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> AppResult<MemberPayload> {
        let outcome = invitations::accept(
            ctx.data_unchecked::<Db>(),
            &origin(ctx),
            input.token.trim(),
            &input.display_name,
            &input.password,
        )
        .await?;
        Ok(match outcome {
            Ok(row) => MemberPayload {
                user: Some(User::own(row)),
                errors: vec![],
            },
            Err(errors) => MemberPayload { user: None, errors },
        })
    }

    /// The manager (or an admin) hands the manager role to another member; the former manager
    /// stays a member.
    async fn change_organization_manager(
        &self,
        ctx: &Context<'_>,
        input: MemberInput,
    ) -> AppResult<MemberPayload> {
        let outcome =
            members::change_manager(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &input.user_id)
                .await?;
        Ok(MemberPayload::from(outcome))
    }

    /// The manager (or an admin) removes a member: they cannot sign in any more and their
    /// sessions end at once; what they wrote stays with the organization. The manager is
    /// removed only after handing the role on.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        input: MemberInput,
    ) -> AppResult<MemberPayload> {
        let outcome =
            members::remove(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &input.user_id).await?;
        Ok(MemberPayload::from(outcome))
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user, or null without a token.
    async fn me(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        let Some(claims) = Viewer::of(ctx).claims() else {
            return Ok(None);
        };
        let db = ctx.data_unchecked::<Db>();
        let user = service::find_user(db, &claims.sub)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Some(User::own(user)))
    }
}

#[derive(SimpleObject)]
pub struct RegisterPayload {
    /// True when the registration was accepted: a verification e-mail is on its way. The answer
    /// is the same when the address already has an account (its owner is told by e-mail), so it
    /// tells nobody which addresses are registered. Sign in with `login` afterwards.
    pub ok: bool,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// The tokens of a session, shared by sign-in and renewal.
#[derive(SimpleObject, Default)]
pub struct SessionFields {
    /// Bearer token for the `Authorization` header, valid for 15 minutes.
    pub access_token: Option<String>,
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// Single-use token for `refreshSession`, valid for 30 days.
    pub refresh_token: Option<String>,
    pub user: Option<User>,
}

impl From<Session> for SessionFields {
    fn from(session: Session) -> Self {
        SessionFields {
            access_token: Some(session.access_token),
            access_token_expires_at: Some(session.access_token_expires_at),
            refresh_token: Some(session.refresh_token),
            user: Some(User::own(session.user)),
        }
    }
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    #[graphql(flatten)]
    pub session: SessionFields,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RefreshSessionInput {
    pub refresh_token: String,
}

#[derive(SimpleObject)]
pub struct RefreshSessionPayload {
    #[graphql(flatten)]
    pub session: SessionFields,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct LogoutInput {
    pub refresh_token: String,
}

#[derive(SimpleObject)]
pub struct LogoutPayload {
    pub ok: bool,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
}

#[derive(SimpleObject)]
pub struct ChangePasswordPayload {
    pub user: Option<User>,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct VerifyEmailInput {
    /// The token from the verification e-mail's link.
    pub token: String,
}

#[derive(SimpleObject)]
pub struct VerifyEmailPayload {
    pub user: Option<User>,
    pub errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ResendVerificationEmailPayload {
    /// True when a new link was sent.
    pub ok: bool,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    pub email: String,
}

#[derive(SimpleObject)]
pub struct RequestPasswordResetPayload {
    /// Always true: the answer does not tell whether the address has an account.
    pub ok: bool,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The token from the reset e-mail's link.
    pub token: String,
    pub new_password: String,
}

#[derive(SimpleObject)]
pub struct ResetPasswordPayload {
    pub user: Option<User>,
    pub errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account and its organization, which waits for an admin's verification. The
    /// answer does not say whether the address already had an account.
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> AppResult<RegisterPayload> {
        let db = ctx.data_unchecked::<Db>();
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        Ok(
            match service::register(db, client(ctx), taxonomy, input).await? {
                Ok(_) => RegisterPayload {
                    ok: true,
                    errors: vec![],
                },
                Err(errors) => RegisterPayload { ok: false, errors },
            },
        )
    }

    /// Signs in with e-mail and password. A wrong e-mail and a wrong password give the same answer.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> AppResult<LoginPayload> {
        let db = ctx.data_unchecked::<Db>();
        let jwt = ctx.data_unchecked::<Arc<JwtKeys>>();
        Ok(
            match service::login(db, &origin(ctx), jwt, &input.email, &input.password).await? {
                Ok(session) => LoginPayload {
                    session: session.into(),
                    errors: vec![],
                },
                Err(errors) => LoginPayload {
                    session: SessionFields::default(),
                    errors,
                },
            },
        )
    }

    /// Exchanges a refresh token for new tokens. Each refresh token works once; a reused one ends
    /// the session (top-level UNAUTHENTICATED).
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        input: RefreshSessionInput,
    ) -> AppResult<RefreshSessionPayload> {
        let db = ctx.data_unchecked::<Db>();
        let jwt = ctx.data_unchecked::<Arc<JwtKeys>>();
        let session = service::refresh(db, jwt, &input.refresh_token).await?;
        Ok(RefreshSessionPayload {
            session: session.into(),
            errors: vec![],
        })
    }

    /// Ends the session the refresh token belongs to.
    async fn logout(&self, ctx: &Context<'_>, input: LogoutInput) -> AppResult<LogoutPayload> {
        let db = ctx.data_unchecked::<Db>();
        service::logout(db, &input.refresh_token).await?;
        Ok(LogoutPayload {
            ok: true,
            errors: vec![],
        })
    }

    /// Changes the signed-in user's password and ends all of their sessions.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> AppResult<ChangePasswordPayload> {
        let claims = Viewer::of(ctx).require_signed_in()?;
        let db = ctx.data_unchecked::<Db>();
        Ok(
            match service::change_password(
                db,
                &claims.sub,
                &input.current_password,
                &input.new_password,
            )
            .await?
            {
                Ok(user) => ChangePasswordPayload {
                    user: Some(User::own(user)),
                    errors: vec![],
                },
                Err(errors) => ChangePasswordPayload { user: None, errors },
            },
        )
    }

    /// Confirms the e-mail address with the token from the verification e-mail.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        input: VerifyEmailInput,
    ) -> AppResult<VerifyEmailPayload> {
        let db = ctx.data_unchecked::<Db>();
        Ok(
            match account::verify_email(db, client(ctx), input.token.trim()).await? {
                Ok(user) => VerifyEmailPayload {
                    user: Some(User::own(user)),
                    errors: vec![],
                },
                Err(errors) => VerifyEmailPayload { user: None, errors },
            },
        )
    }

    /// E-mails the signed-in user a new verification link (valid for 24 hours), unless the
    /// address is verified already. At most three in ten minutes per account.
    async fn resend_verification_email(
        &self,
        ctx: &Context<'_>,
    ) -> AppResult<ResendVerificationEmailPayload> {
        let db = ctx.data_unchecked::<Db>();
        let outcome = account::resend_verification(db, Viewer::of(ctx)).await?;
        Ok(ResendVerificationEmailPayload {
            ok: outcome.is_ok(),
            errors: outcome.err().unwrap_or_default(),
        })
    }

    /// E-mails a password-reset link (valid for one hour) if the address has an account. The
    /// answer is the same whether or not it does.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        input: RequestPasswordResetInput,
    ) -> AppResult<RequestPasswordResetPayload> {
        account::request_password_reset(ctx.data_unchecked::<Db>(), client(ctx), &input.email)
            .await?;
        Ok(RequestPasswordResetPayload {
            ok: true,
            errors: vec![],
        })
    }

    /// Sets a new password with the token from the reset e-mail; every session of the user ends.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> AppResult<ResetPasswordPayload> {
        let db = ctx.data_unchecked::<Db>();
        Ok(
            match account::reset_password(db, client(ctx), input.token.trim(), &input.new_password)
                .await?
            {
                Ok(user) => ResetPasswordPayload {
                    user: Some(User::own(user)),
                    errors: vec![],
                },
                Err(errors) => ResetPasswordPayload { user: None, errors },
            },
        )
    }
}
