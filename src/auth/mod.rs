//! Accounts and sessions: registration, sign-in, access and refresh tokens, roles, and the viewer
//! every resolver asks "who is this?".

pub mod account;
pub mod graphql;
pub mod invitations;
pub mod limits;
mod loader;
pub mod managers;
pub mod members;
pub mod password;
mod service;
pub mod tokens;
mod users;

pub use crate::viewer::{Claims, Role, Viewer};

pub use graphql::{AuthMutation, AuthQuery, MemberMutation, MemberQuery, User};
pub use loader::UserLoader;
pub use service::{
    JoinedVia, Membership, NewUser, RegisterInput, RegisterOrganizationInput, Registered, Session,
    UserRow, acting_admin, create_admin, create_staff, find_user_by_email, insert_user, login,
    normalize_email, open_session, register, standing, warm_up,
};
pub use tokens::JwtKeys;
