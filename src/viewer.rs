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
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Government => "GOVERNMENT",
            Role::Enterprise => "ENTERPRISE",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "ADMIN" => Some(Role::Admin),
            "GOVERNMENT" => Some(Role::Government),
            "ENTERPRISE" => Some(Role::Enterprise),
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
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Who is making the request, from a verified access token.
#[derive(Clone, Debug, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    User(Claims),
}

static ANONYMOUS: Viewer = Viewer::Anonymous;

impl Viewer {
    /// The viewer of the current request (anonymous when the request carried no token).
    pub fn of<'a>(ctx: &Context<'a>) -> &'a Viewer {
        ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }

    pub fn claims(&self) -> Option<&Claims> {
        match self {
            Viewer::User(claims) => Some(claims),
            Viewer::Anonymous => None,
        }
    }

    pub fn require_user(&self) -> AppResult<&Claims> {
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

    pub fn org_id(&self) -> Option<&str> {
        self.claims().map(|c| c.org.as_str())
    }
}
