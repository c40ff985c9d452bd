//! The rules of the thesaurus every door calls: only administrators read or change it; what a
//! group may hold; and each change reaches the matching index once it is committed.

use std::sync::Arc;

use super::store::{self, GroupRow, Words};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, Validator, refuse};
use crate::matching;
use crate::pagination::{PageRequest, Rows};
use crate::search::{Changed, LiveIndex};
use crate::viewer::Viewer;

/// At most this many groups: the whole thesaurus is read again at each change.
pub const MAX_GROUPS: i64 = 2000;
/// At most this many words in a group.
pub const MAX_WORDS: usize = 30;
/// A word has at least two and at most this many characters.
pub const MAX_WORD_CHARS: usize = 20;
const MAX_TOPIC_CHARS: usize = 50;

/// Writes the groups shipped with the service at the first start (never again: a group an
/// administrator removed stays removed).
pub async fn seed(db: &Db) -> Result<bool, sqlx::Error> {
    store::seed(db, &matching::bundled_groups()).await
}

/// Admin: the groups in their order; with `word`, those that hold it.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    word: Option<&str>,
    page: PageRequest,
) -> AppResult<Rows<GroupRow>> {
    viewer.require_admin()?;
    let word = word.map(str::trim).filter(|w| !w.is_empty());
    if word.is_some_and(|w| w.chars().nth(MAX_WORD_CHARS).is_some()) {
        // Longer than any word a group may hold.
        return Ok(Rows::Page {
            rows: Vec::new(),
            total: 0,
        });
    }
    Ok(Rows::page(store::list(db, word, page).await?))
}

/// Admin: one group.
pub async fn find(db: &Db, viewer: &Viewer, id: &str) -> AppResult<GroupRow> {
    viewer.require_admin()?;
    store::find(db, id).await?.ok_or(AppError::NotFound)
}

/// What an administrator asks to save: a new group (no `id`) or a change of one.
pub struct GroupInput<'a> {
    pub id: Option<&'a str>,
    /// The version the change was made on; a change needs it.
    pub version: Option<i64>,
    pub topic: &'a str,
    pub words: &'a [String],
}

/// Admin: adds a group or changes one, then applies the thesaurus to the index.
pub async fn save(
    db: &Db,
    index: &Arc<LiveIndex>,
    viewer: &Viewer,
    input: GroupInput<'_>,
) -> AppResult<Outcome<GroupRow>> {
    let admin = viewer.require_admin()?;
    let existing = match input.id {
        Some(id) => Some(store::find(db, id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    let words = match checked(input.topic, input.words) {
        Ok(words) => words,
        Err(errors) => return Ok(Err(errors)),
    };
    let topic = input.topic.trim();
    let stored = Words::new(&words);
    let saved = match &existing {
        Some(old) => {
            let Some(version) = input.version else {
                return Ok(refuse(
                    &["version"],
                    ErrorCode::Required,
                    "修改词组需要提供版本号（version）",
                ));
            };
            if version != old.version {
                return Err(AppError::Conflict);
            }
            let note = change_note(old, topic, &words);
            if note.is_empty() {
                return Ok(Ok(old.clone()));
            }
            let updated = store::update(db, &old.id, version, topic, &stored, &admin.sub, &note);
            match updated.await {
                Ok(Some(row)) => Ok(row),
                Ok(None) => return Err(AppError::Conflict),
                Err(e) => Err(e),
            }
        }
        None => {
            if store::count(db).await? >= MAX_GROUPS {
                return Ok(refuse(
                    &[],
                    ErrorCode::LimitReached,
                    format!("词组已达上限{MAX_GROUPS}组，请先合并或删除不用的词组"),
                ));
            }
            let note = format!("新增词组：{}", words.join("、"));
            store::insert(db, topic, &stored, &admin.sub, &note).await
        }
    };
    match saved {
        Ok(row) => {
            apply(index).await;
            Ok(Ok(row))
        }
        Err(e) if db::is_unique_violation(&e, "thesaurus_groups", "word_key") => Ok(refuse(
            &["words"],
            ErrorCode::Duplicate,
            "已有由这些词组成的词组",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Admin: removes a group, then applies the thesaurus to the index; the removed group's id.
pub async fn delete(
    db: &Db,
    index: &Arc<LiveIndex>,
    viewer: &Viewer,
    id: &str,
    version: i64,
) -> AppResult<String> {
    let admin = viewer.require_admin()?;
    let group = store::find(db, id).await?.ok_or(AppError::NotFound)?;
    if group.version != version {
        return Err(AppError::Conflict);
    }
    let note = format!("删除词组：{}", group.words().collect::<Vec<_>>().join("、"));
    if !store::delete(db, id, version, &admin.sub, &note).await? {
        return Err(AppError::Conflict);
    }
    apply(index).await;
    Ok(group.id)
}

/// Applies the committed thesaurus to this instance's index (other instances hear of it through
/// the change feed). A rebuild goes on even when the request that asked for it is abandoned.
async fn apply(index: &Arc<LiveIndex>) {
    let index = index.clone();
    let applying = tokio::spawn(async move { index.changed(Changed::Thesaurus, "").await });
    if let Err(e) = applying.await {
        tracing::warn!(error = %e, "applying the thesaurus to the matching index failed");
    }
}

/// The group's words, trimmed and without repeats (any case), or what is wrong with the input.
fn checked(topic: &str, words: &[String]) -> Result<Vec<String>, Vec<UserError>> {
    let mut v = Validator::default();
    v.text(&["topic"], "主题", topic, MAX_TOPIC_CHARS);
    if words.len() > MAX_WORDS {
        v.push(
            &["words"],
            ErrorCode::OutOfRange,
            format!("一个词组最多{MAX_WORDS}个词"),
        );
        return Err(v.into_errors());
    }
    let mut kept: Vec<String> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let word = word.trim();
        let at = i.to_string();
        let field = ["words", at.as_str()];
        let chars = word.chars().count();
        if word.is_empty() {
            v.push(&field, ErrorCode::Required, "词不能为空");
        } else if !word.chars().all(char::is_alphanumeric) {
            v.push(
                &field,
                ErrorCode::Invalid,
                format!("“{word}”不是一个词：只能由汉字、字母和数字组成，不含空格和标点"),
            );
        } else if chars < 2 {
            v.push(
                &field,
                ErrorCode::Invalid,
                format!("“{word}”太短：每个词至少两个字"),
            );
        } else if chars > MAX_WORD_CHARS {
            v.push(
                &field,
                ErrorCode::TooLong,
                format!("“{word}”太长：每个词最多{MAX_WORD_CHARS}个字"),
            );
        } else if !kept.iter().any(|k| k.to_lowercase() == word.to_lowercase()) {
            kept.push(word.to_owned());
        }
    }
    if v.is_empty() && kept.len() < 2 {
        v.push(
            &["words"],
            ErrorCode::Required,
            "一个词组至少要有两个不同的词",
        );
    }
    v.finish().map(|()| kept)
}

/// What a change does to a group, for its timeline; empty when it changes nothing.
fn change_note(old: &GroupRow, topic: &str, words: &[String]) -> String {
    let before: Vec<&str> = old.words().collect();
    let added: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !before.contains(w))
        .collect();
    let removed: Vec<&str> = before
        .iter()
        .copied()
        .filter(|w| !words.iter().any(|n| n == w))
        .collect();
    let mut parts = Vec::new();
    if old.topic != topic {
        parts.push(format!("主题：{}→{}", old.topic, topic));
    }
    if !added.is_empty() {
        parts.push(format!("增加：{}", added.join("、")));
    }
    if !removed.is_empty() {
        parts.push(format!("去掉：{}", removed.join("、")));
    }
    if parts.is_empty() && before != words.iter().map(String::as_str).collect::<Vec<_>>() {
        parts.push("调整词序".to_owned());
    }
    parts.join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn words_are_trimmed_and_kept_once_in_any_case() {
        let kept = checked("常用简称", &words(&[" 文旅 ", "文化旅游", "AR", "ar"])).unwrap();
        assert_eq!(kept, words(&["文旅", "文化旅游", "AR"]));
    }

    #[test]
    fn bad_words_are_refused_by_position() {
        let errors = checked("", &words(&["文旅", "文 旅", "文", ""])).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.clone().unwrap()).collect();
        assert_eq!(
            fields,
            [
                words(&["topic"]),
                words(&["words", "1"]),
                words(&["words", "2"]),
                words(&["words", "3"])
            ]
        );
        let one = checked("文旅", &words(&["文旅", "文旅"])).unwrap_err();
        assert_eq!(one[0].code, ErrorCode::Required);
        let many = checked("文旅", &vec!["文旅".to_owned(); MAX_WORDS + 1]).unwrap_err();
        assert_eq!(many[0].code, ErrorCode::OutOfRange);
    }

    #[test]
    fn a_change_note_says_what_changed() {
        let old = GroupRow {
            id: "g".into(),
            topic: "文旅".into(),
            words: "文旅 文化旅游".into(),
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert_eq!(change_note(&old, "文旅", &words(&["文旅", "文化旅游"])), "");
        assert_eq!(
            change_note(&old, "文化旅游", &words(&["文旅", "旅游"])),
            "主题：文旅→文化旅游；增加：旅游；去掉：文化旅游"
        );
        assert_eq!(
            change_note(&old, "文旅", &words(&["文化旅游", "文旅"])),
            "调整词序"
        );
    }
}
