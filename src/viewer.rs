//! Who is acting: the role and the verified claims of a request's user, and the viewer every
//! door asks "who is this?". Below every slice, so that each can take an actor without knowing
//! how a session is made (that is `auth`).

use async_graphql::{Context, Enum};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// The platform operator (the city's scenario-promotion centre).
    Admin,
    /// A member of a government unit.
    Government,
    /// A member of an enterprise or research institute.
    Enterprise,
    /// 县级场景经理人: a member of the operator who looks after the scenarios of one region (a
    /// county, or the city level): reviews them first, and acts on them as an admin would.
    CountyManager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Government => "GOVERNMENT",
            Role::Enterprise => "ENTERPRISE",
            Role::CountyManager => "COUNTY_MANAGER",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "ADMIN" => Some(Role::Admin),
            "GOVERNMENT" => Some(Role::Government),
            "ENTERPRISE" => Some(Role::Enterprise),
            "COUNTY_MANAGER" => Some(Role::CountyManager),
            _ => None,
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Organization id.
    pub org: String,
    pub role: Role,
    /// The session (refresh-token family) the token was issued in: when it ends (sign-out,
    /// password change, removal), so does the token.
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// Of a county manager: the region they look after. Never in the token: read from the
    /// database with the session on every request, so an appointment's end takes effect at once.
    #[serde(skip)]
    pub county: Option<String>,
}

/// The network address a request came from, as the server saw it (the peer of the connection;
/// behind a proxy, the proxy's). Rate limits count per address; a call without one comes from
/// inside the process (the command line, the demo loader, tests' fixtures) and is not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

/// Why a signed-in user's organization may not act for now. Not in the token: read from the
/// database on every request, so that a suspension takes effect at once.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Bar {
    /// A verified organization an admin suspended.
    Suspended,
    /// A registration an admin rejected.
    Rejected,
}

/// Who is making the request, from a verified access token.
#[derive(Clone, Debug, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    User(Claims),
    /// A member of an organization that may not act: may sign in and read, not change anything.
    Barred(Claims, Bar),
}

static ANONYMOUS: Viewer = Viewer::Anonymous;

impl Viewer {
    /// The viewer of the current request (anonymous when the request carried no token).
    pub fn of<'a>(ctx: &Context<'a>) -> &'a Viewer {
        ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }

    pub fn claims(&self) -> Option<&Claims> {
        match self {
            Viewer::User(claims) | Viewer::Barred(claims, _) => Some(claims),
            Viewer::Anonymous => None,
        }
    }

    /// A signed-in user who may act: UNAUTHENTICATED without a session, and a refusal naming the
    /// reason when their organization is suspended or was rejected.
    pub fn require_user(&self) -> AppResult<&Claims> {
        match self {
            Viewer::User(claims) => Ok(claims),
            Viewer::Barred(_, Bar::Suspended) => Err(AppError::OrganizationInactive {
                code: "ORGANIZATION_SUSPENDED",
                message: "本单位已被平台暂停，暂时不能进行此操作；恢复后即可继续，如有疑问请联系平台管理员",
            }),
            Viewer::Barred(_, Bar::Rejected) => Err(AppError::OrganizationInactive {
                code: "ORGANIZATION_REJECTED",
                message: "本单位的注册未通过平台认证，不能进行此操作；请按通知中的原因联系平台管理员",
            }),
            Viewer::Anonymous => Err(AppError::Unauthenticated),
        }
    }

    /// A signed-in user, whether or not their organization may act: for reading what is theirs.
    pub fn require_signed_in(&self) -> AppResult<&Claims> {
        self.claims().ok_or(AppError::Unauthenticated)
    }

    pub fn require_admin(&self) -> AppResult<&Claims> {
        let claims = self.require_user()?;
        if claims.role == Role::Admin {
            Ok(claims)
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn is_admin(&self) -> bool {
        self.claims().is_some_and(|c| c.role == Role::Admin)
    }

    /// The region a county manager looks after (None for everyone else).
    pub fn county(&self) -> Option<&str> {
        self.claims()
            .filter(|c| c.role == Role::CountyManager)
            .and_then(|c| c.county.as_deref())
    }

    /// A county manager asking about their own region alone (`regions` is a filter's region
    /// codes, with no region group beside them): they may then see every stage, as an admin.
    pub fn asks_for_own_county(&self, regions: Option<&[String]>, group: bool) -> bool {
        !group
            && self
                .county()
                .is_some_and(|county| regions.is_some_and(|r| r.len() == 1 && r[0] == county))
    }

    /// The viewer looks after the scenarios of `region`: an admin, or its county manager.
    pub fn looks_after(&self, region: &str) -> bool {
        self.is_admin() || self.county() == Some(region)
    }

    pub fn org_id(&self) -> Option<&str> {
        self.claims().map(|c| c.org.as_str())
    }
}
