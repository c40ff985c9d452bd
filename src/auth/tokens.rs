//! Access tokens (JWT, HS256, 15 minutes) and refresh tokens (random, stored hashed, 30 days).

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub use crate::viewer::Claims;
use crate::viewer::Role;

pub const ISSUER: &str = "twolists";
pub const AUDIENCE: &str = "twolists-api";
pub const ACCESS_TTL: Duration = Duration::minutes(15);
pub const REFRESH_TTL: Duration = Duration::days(30);
/// Clock skew tolerated between instances when checking `exp`.
const LEEWAY_SECONDS: u64 = 5;
const MIN_SECRET_BYTES: usize = 32;
const SECRET_FILE: &str = "jwt-secret";

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys { .. }")
    }
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> anyhow::Result<JwtKeys> {
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_BYTES,
            "the JWT secret must be at least {MIN_SECRET_BYTES} bytes"
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        })
    }

    /// The key from `TWOLISTS_JWT_SECRET` when given (every instance of a deployment must share
    /// it), otherwise the one kept in `<data_dir>/jwt-secret`, generated on first use with mode 0600.
    pub fn load(secret: Option<&str>, data_dir: &Path) -> anyhow::Result<JwtKeys> {
        if let Some(secret) = secret {
            return JwtKeys::from_secret(secret.as_bytes());
        }
        let path = data_dir.join(SECRET_FILE);
        match std::fs::read_to_string(&path) {
            Ok(existing) => JwtKeys::from_secret(existing.trim().as_bytes()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = random_token(48);
                write_private(&path, &secret)
                    .with_context(|| format!("writing {}", path.display()))?;
                tracing::info!(path = %path.display(), "generated a new token signing key");
                JwtKeys::from_secret(secret.as_bytes())
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Signs an access token for the user in the session `sid` (a refresh-token family), valid
    /// from `now` for [`ACCESS_TTL`] or until the session ends, whichever is first.
    pub fn issue(
        &self,
        user_id: &str,
        org_id: &str,
        role: Role,
        sid: &str,
        now: DateTime<Utc>,
    ) -> (String, DateTime<Utc>) {
        let expires_at = now + ACCESS_TTL;
        let claims = Claims {
            sub: user_id.to_owned(),
            org: org_id.to_owned(),
            role,
            sid: sid.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            county: None,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail with a valid key");
        (token, expires_at)
    }

    /// The claims of a valid token: right signature and algorithm, issuer, audience, not expired.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .ok()
    }

    /// Signs a link that acts for `user_id` without signing in (an unsubscribe link): `what` it
    /// does, valid from `now` for [`LINK_TTL`]. Its audience is not the API's, so it is never an
    /// access token; each carries a random id, so that its use can be recorded.
    pub fn sign_link(&self, user_id: &str, what: &str, now: DateTime<Utc>) -> String {
        let claims = LinkClaims {
            sub: user_id.to_owned(),
            what: what.to_owned(),
            jti: random_token(12),
            iss: ISSUER.to_owned(),
            aud: LINK_AUDIENCE.to_owned(),
            exp: (now + LINK_TTL).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail with a valid key")
    }

    /// (user id, what) of a link this service signed and that has not expired.
    pub fn verify_link(&self, token: &str) -> Option<(String, String)> {
        let mut validation = self.validation.clone();
        validation.set_audience(&[LINK_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &validation)
            .map(|data| (data.claims.sub, data.claims.what))
            .ok()
    }
}

/// The audience of signed links (never the API's).
const LINK_AUDIENCE: &str = "twolists-link";
/// How long a signed link in an e-mail works.
pub const LINK_TTL: Duration = Duration::days(180);

#[derive(serde::Serialize, serde::Deserialize)]
struct LinkClaims {
    sub: String,
    what: String,
    jti: String,
    iss: String,
    aud: String,
    exp: i64,
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// `bytes` random bytes from the operating system, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The form in which a bearer secret (refresh token, e-mail token) is stored: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::from_secret(&[7u8; 32]).unwrap()
    }

    #[test]
    fn issued_token_verifies_with_its_claims() {
        let now = Utc::now();
        let (token, exp) = keys().issue("u1", "o1", Role::Government, "s1", now);
        let claims = keys().verify(&token).expect("valid");
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.org, "o1");
        assert_eq!(claims.role, Role::Government);
        assert_eq!(claims.exp, exp.timestamp());
        assert_eq!(exp - now, Duration::minutes(15));
    }

    #[test]
    fn expired_token_is_refused() {
        let (token, _) = keys().issue(
            "u1",
            "o1",
            Role::Admin,
            "s1",
            Utc::now() - Duration::minutes(16),
        );
        assert!(keys().verify(&token).is_none());
    }

    #[test]
    fn token_from_another_key_is_refused() {
        let other = JwtKeys::from_secret(&[8u8; 32]).unwrap();
        let (token, _) = other.issue("u1", "o1", Role::Admin, "s1", Utc::now());
        assert!(keys().verify(&token).is_none());
    }

    #[test]
    fn tampered_payload_is_refused() {
        let (token, _) = keys().issue("u1", "o1", Role::Enterprise, "s1", Utc::now());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["role"] = "ADMIN".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert!(keys().verify(&parts.join(".")).is_none());
    }

    #[test]
    fn unsigned_and_other_algorithms_are_refused() {
        let (token, _) = keys().issue("u1", "o1", Role::Admin, "s1", Utc::now());
        let payload = token.split('.').nth(1).unwrap();
        for alg in ["none", "HS512"] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            assert!(
                keys().verify(&format!("{header}.{payload}.")).is_none(),
                "{alg}"
            );
        }
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &keys().verify(&token).unwrap(),
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert!(keys().verify(&hs512).is_none());
    }

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        let mut claims = keys()
            .verify(&keys().issue("u1", "o1", Role::Admin, "s1", Utc::now()).0)
            .unwrap();
        claims.aud = "another-service".into();
        let enc = EncodingKey::from_secret(&[7u8; 32]);
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &enc).unwrap();
        assert!(keys().verify(&token).is_none());
        claims.aud = AUDIENCE.into();
        claims.iss = "someone-else".into();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &enc).unwrap();
        assert!(keys().verify(&token).is_none());
    }

    #[test]
    fn signed_links_are_no_access_tokens_and_access_tokens_no_links() {
        let now = Utc::now();
        let link = keys().sign_link("u1", "SAVED_SEARCH_DIGEST", now);
        assert_eq!(
            keys().verify_link(&link),
            Some(("u1".to_owned(), "SAVED_SEARCH_DIGEST".to_owned()))
        );
        assert!(keys().verify(&link).is_none(), "a link is no access token");
        let (access, _) = keys().issue("u1", "o1", Role::Admin, "s1", now);
        assert!(
            keys().verify_link(&access).is_none(),
            "an access token is no link"
        );
        let other = JwtKeys::from_secret(&[8u8; 32]).unwrap();
        assert!(
            keys()
                .verify_link(&other.sign_link("u1", "X", now))
                .is_none()
        );
        let stale = keys().sign_link("u1", "X", now - LINK_TTL - Duration::minutes(1));
        assert!(keys().verify_link(&stale).is_none(), "expired");
        assert_ne!(link, keys().sign_link("u1", "SAVED_SEARCH_DIGEST", now));
    }

    #[test]
    fn short_secret_is_refused() {
        assert!(JwtKeys::from_secret(b"too short").is_err());
    }

    #[test]
    fn generated_secret_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (token, _) = JwtKeys::load(None, dir.path()).unwrap().issue(
            "u1",
            "o1",
            Role::Admin,
            "s1",
            Utc::now(),
        );
        assert!(
            JwtKeys::load(None, dir.path())
                .unwrap()
                .verify(&token)
                .is_some()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn random_tokens_differ_and_hash_to_hex() {
        let a = random_token(32);
        assert_ne!(a, random_token(32));
        assert_eq!(a.len(), 43);
        let h = token_hash(&a);
        assert_eq!(h.len(), 64);
        assert_eq!(h, token_hash(&a));
    }
}
