//! Password rules and hashing. Hashes are argon2id (m = 19 MiB, t = 2, p = 1) in PHC string form,
//! computed off the async runtime.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 128;

/// Passwords that meet the length rule yet appear at the top of every leaked-password list, and
/// the local favourites of the same kind. Compared case-insensitively.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "a123456789",
    "0123456789",
    "9876543210",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "qwertyuiop123",
    "asdfghjkl;",
    "zxcvbnm123",
    "password12",
    "password123",
    "password1234",
    "password!23",
    "passw0rd123",
    "p@ssw0rd123",
    "administrator",
    "admin12345",
    "admin123456",
    "abc1234567",
    "abcd123456",
    "abcdefghij",
    "iloveyou123",
    "qazwsxedcrfv",
    "woaini1314",
    "woaini520",
    "5201314520",
    "1314520520",
    "aa12345678",
    "qq123456789",
    "11223344556",
    "1122334455",
    "1234qwer!@#$",
    "welcome123",
    "letmein123",
    "football123",
    "baseball123",
    "sunshine123",
    "princess123",
    "dragon12345",
    "monkey12345",
    "changeme123",
    "zaq12wsxcde",
    "jinzhong123",
    "jinzhong2026",
    "twolists123",
];

/// Why a password is refused, in the words shown to the user; `None` when it is acceptable.
pub fn weakness(password: &str) -> Option<String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Some(format!("密码至少需要{MIN_LEN}个字符"));
    }
    if len > MAX_LEN {
        return Some(format!("密码不能超过{MAX_LEN}个字符"));
    }
    if password.chars().any(char::is_control)
        || crate::error::text_problem(password, true).is_some()
    {
        return Some("密码不能包含控制字符、换行或制表符".into());
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Some("密码过于常见，请换一个更难猜的密码".into());
    }
    let chars: Vec<char> = lower.chars().collect();
    if chars.iter().all(|&c| c == chars[0]) {
        return Some("密码不能由同一个字符重复组成".into());
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| w[1] as i64 - w[0] as i64)
        .collect();
    if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1) {
        return Some("密码不能是连续的字符序列".into());
    }
    if guessable(password) {
        return Some(
            "密码太容易被猜到（如常见单词加数字、年份或键盘排列），请换一个更长、更随机的密码，\
             例如几个不相关的词用符号连接"
                .into(),
        );
    }
    None
}

/// Words of this platform that make a password easy to guess here.
const CONTEXT: &[&str] = &[
    "jinzhong", "shanxi", "twolists", "jzcx", "admin", "晋中", "山西",
];

/// The least zxcvbn score accepted: 3, "safely unguessable: moderate protection from offline
/// slow-hash scenarios (10^10 guesses)".
const MIN_SCORE: u8 = 3;

/// Whether zxcvbn estimates the password guessable (dictionary words with digits, dates, keyboard
/// walks, the platform's own words). Only the first 64 characters are scored: what follows adds
/// strength, and scoring time grows with length.
fn guessable(password: &str) -> bool {
    let scored: String = password.chars().take(64).collect();
    u8::from(zxcvbn::zxcvbn(&scored, CONTEXT).score()) < MIN_SCORE
}

/// Loads zxcvbn's dictionaries, so that the first registration is not slower than the others.
pub fn warm_up() {
    guessable("warm-up-password");
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` on the blocking pool.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| AppError::internal(format!("hashing task: {e}")))?
}

/// Checks `password` against a stored PHC string on the blocking pool. A malformed hash counts as
/// a mismatch (and is logged), never as a success.
pub async fn verify(password: String, phc: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        match hasher().verify_password(password.as_bytes(), &*phc) {
            Ok(()) => true,
            Err(argon2::password_hash::Error::PasswordInvalid) => false,
            Err(e) => {
                tracing::error!(error = %e, "stored password hash cannot be checked");
                false
            }
        }
    })
    .await
    .map_err(|e| AppError::internal(format!("verifying task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_weak() {
        assert!(weakness("abc").is_some());
        assert!(weakness("Xk9#mP2q!").is_some(), "nine characters");
        assert!(weakness("Xk9#mP2q!w").is_none(), "ten characters");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Ten Chinese characters are 30 bytes but ten characters: accepted.
        assert!(weakness("晋中太行山下平遥古城醋").is_none());
        assert!(weakness("晋中平遥古城醋香").is_some());
    }

    #[test]
    fn common_and_patterned_passwords_are_weak() {
        assert!(weakness("1234567890").is_some());
        assert!(weakness("PASSWORD123").is_some(), "case-insensitive");
        assert!(weakness("aaaaaaaaaaaa").is_some());
        assert!(weakness("abcdefghijklm").is_some());
        assert!(weakness("9876543210").is_some());
        assert!(weakness("zyxwvutsrqpo").is_some());
    }

    #[test]
    fn guessable_passwords_are_refused_and_passphrases_accepted() {
        // Accepted before, refused now.
        for weak in [
            "Password1!",
            "qwerty1234",
            "1qaz2wsx3e",
            "Jinzhong@2026",
            "admin@1234",
            "          a",
            "Shanxi@123456",
            "abc123abc123",
        ] {
            assert!(weakness(weak).is_some(), "{weak}");
        }
        for strong in [
            "Taihang-Mountains-2026",
            "Fenhe-River-Valley-2027",
            "correct horse battery",
            "晋中太行山下平遥古城醋",
        ] {
            assert_eq!(weakness(strong), None, "{strong}");
        }
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in [
            "\0\0\0\0\0\0\0\0\0a",
            "Taihang-\u{7}-2026",
            "Taihang\n-Mountains",
            "晋中\u{202E}太行山下平遥古城",
        ] {
            assert_eq!(
                weakness(bad).as_deref(),
                Some("密码不能包含控制字符、换行或制表符"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn overlong_passwords_are_refused() {
        assert!(weakness(&"aB3$".repeat(40)).is_some());
    }

    #[tokio::test]
    async fn hash_verifies_and_uses_argon2id_with_required_cost() {
        let phc = hash("平遥古城-Pingyao-1997".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            verify("平遥古城-Pingyao-1997".into(), phc.clone())
                .await
                .unwrap()
        );
        assert!(!verify("平遥古城-Pingyao-1998".into(), phc).await.unwrap());
        assert!(
            !verify("anything".into(), "not-a-hash".into())
                .await
                .unwrap()
        );
    }
}
