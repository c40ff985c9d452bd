//! Thesaurus groups and their SQL.

use crate::db::{self, Db, Sql, Tx};
use crate::events::{self, NewEvent};
use crate::matching::BundledGroup;
use crate::pagination::PageRequest;

pub const AGGREGATE: &str = "THESAURUS_GROUP";

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct GroupRow {
    pub id: String,
    pub topic: String,
    pub words: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl GroupRow {
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words.split(' ').filter(|w| !w.is_empty())
    }
}

const COLUMNS: &str = "id, topic, words, version, created_at, updated_at";

/// A group's words as stored, and the key under which two groups of the same words are one.
pub struct Words {
    pub text: String,
    pub key: String,
}

impl Words {
    pub fn new(words: &[String]) -> Words {
        let mut key: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        key.sort();
        key.dedup();
        Words {
            text: words.join(" "),
            key: key.join(" "),
        }
    }
}

/// Writes the shipped groups unless a start did so before; whether it wrote them. Several
/// instances starting at once write them once: the seed marker is taken in the same transaction.
pub async fn seed(db: &Db, groups: &[BundledGroup]) -> Result<bool, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let taken = sqlx::query(
        "INSERT INTO thesaurus_seed (id, seeded_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken == 0 {
        return Ok(false);
    }
    // A few hundred short rows: one statement per hundred keeps the first start quick.
    for (chunk_index, chunk) in groups.chunks(100).enumerate() {
        let mut insert = Sql::new(
            "INSERT INTO thesaurus_groups (id, topic, words, word_key, sort_order, version, \
             created_at, updated_at) VALUES ",
        );
        for (i, group) in chunk.iter().enumerate() {
            let words = Words::new(&group.words);
            insert.push(if i == 0 { "(" } else { ", (" });
            insert.bind(db::new_id()).push(", ");
            insert.bind(group.topic.clone()).push(", ");
            insert.bind(words.text).push(", ");
            insert.bind(words.key).push(", ");
            insert
                .bind((chunk_index * 100 + i + 1) as i64)
                .push(", 1, ");
            insert.bind(now.clone()).push(", ");
            insert.bind(now.clone()).push(")");
        }
        insert.push(" ON CONFLICT (word_key) DO NOTHING");
        let (text, args) = insert.build();
        sqlx::query_with(text, args).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub async fn find(db: &Db, id: &str) -> Result<Option<GroupRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM thesaurus_groups WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM thesaurus_groups")
        .fetch_one(db.pool())
        .await
}

/// Groups in their order; with `word`, only the groups that hold that word (any case).
pub async fn list(
    db: &Db,
    word: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<GroupRow>, i64), sqlx::Error> {
    let filter = |sql: &mut Sql| {
        if let Some(word) = word {
            let escaped: String = word
                .to_lowercase()
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            sql.push(" WHERE (' ' || word_key || ' ') LIKE ")
                .bind(format!("% {escaped} %"))
                .push(" ESCAPE '\\'");
        }
    };
    let mut count = Sql::new("SELECT COUNT(*) FROM thesaurus_groups");
    filter(&mut count);
    let (text, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(text, args)
        .fetch_one(db.pool())
        .await?;
    let mut select = Sql::new(&format!("SELECT {COLUMNS} FROM thesaurus_groups"));
    filter(&mut select);
    select.push(" ORDER BY sort_order, id");
    select.push(&page.sql_suffix());
    let (text, args) = select.build();
    let rows = sqlx::query_as_with(text, args).fetch_all(db.pool()).await?;
    Ok((rows, total))
}

/// The words of every group, in order (what the matching index is given).
pub async fn all_words(db: &Db) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT words FROM thesaurus_groups ORDER BY sort_order, id")
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(words,)| words.split(' ').map(str::to_owned).collect())
        .collect())
}

async fn record(
    tx: &mut Tx,
    id: &str,
    action: &str,
    actor_id: &str,
    note: &str,
    at: &str,
) -> Result<(), sqlx::Error> {
    events::record(
        tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: id,
            action,
            from_status: None,
            to_status: None,
            actor_id: Some(actor_id),
            note: Some(note),
        },
        at,
    )
    .await
}

/// Adds a group after the others.
pub async fn insert(
    db: &Db,
    topic: &str,
    words: &Words,
    actor_id: &str,
    note: &str,
) -> Result<GroupRow, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: GroupRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO thesaurus_groups (id, topic, words, word_key, sort_order, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, \
         (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM thesaurus_groups), 1, $5, $5) \
         RETURNING {COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(topic)
    .bind(&words.text)
    .bind(&words.key)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    record(&mut tx, &row.id, "CREATE", actor_id, note, &now).await?;
    tx.commit().await?;
    Ok(row)
}

/// Changes a group if it is still at `version`; `None` when it is not (changed or removed
/// meanwhile).
pub async fn update(
    db: &Db,
    id: &str,
    version: i64,
    topic: &str,
    words: &Words,
    actor_id: &str,
    note: &str,
) -> Result<Option<GroupRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: Option<GroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE thesaurus_groups SET topic = $3, words = $4, word_key = $5, \
         version = version + 1, updated_at = $6 WHERE id = $1 AND version = $2 \
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(version)
    .bind(topic)
    .bind(&words.text)
    .bind(&words.key)
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    record(&mut tx, &row.id, "UPDATE", actor_id, note, &now).await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// Removes a group if it is still at `version`; whether it did.
pub async fn delete(
    db: &Db,
    id: &str,
    version: i64,
    actor_id: &str,
    note: &str,
) -> Result<bool, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let removed = sqlx::query("DELETE FROM thesaurus_groups WHERE id = $1 AND version = $2")
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if !removed {
        return Ok(false);
    }
    record(&mut tx, id, "DELETE", actor_id, note, &now).await?;
    tx.commit().await?;
    Ok(true)
}
