//! Editions (numbered batches of the published lists) and their SQL.

use crate::db::{self, Db, Sql};
use crate::events::{self, NewEvent};
use crate::pagination::PageRequest;

pub const AGGREGATE: &str = "EDITION";

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EditionRow {
    pub id: String,
    pub kind: String,
    pub year: i64,
    pub batch: i64,
    pub title: String,
    pub status: String,
    pub version: i64,
    pub created_at: String,
    pub published_at: Option<String>,
}

const COLUMNS: &str = "id, kind, year, batch, title, status, version, created_at, published_at";

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EditionItemRow {
    pub edition_id: String,
    pub item_id: String,
    pub seq: i64,
    pub code: Option<String>,
    pub title: Option<String>,
}

pub async fn insert(
    db: &Db,
    kind: &str,
    year: i64,
    batch: i64,
    title: &str,
    actor_id: &str,
) -> Result<EditionRow, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: EditionRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO editions (id, kind, year, batch, title, status, version, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, 'DRAFT', 1, $6, $7) RETURNING {COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(kind)
    .bind(year)
    .bind(batch)
    .bind(title)
    .bind(actor_id)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    events::record(
        &mut tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &row.id,
            action: "CREATE",
            from_status: None,
            to_status: Some("DRAFT"),
            actor_id: Some(actor_id),
            note: None,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn find(db: &Db, id: &str) -> Result<Option<EditionRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM editions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// Appends the items (in the given order, after those already there) to a DRAFT edition; items
/// already in it are skipped. `None` when the edition is no longer a draft.
pub async fn add_items(
    db: &Db,
    edition_id: &str,
    item_ids: &[String],
) -> Result<Option<EditionRow>, sqlx::Error> {
    let mut tx = db.begin().await?;
    // Bumping the version first locks the edition row against a concurrent publish.
    let edition: Option<EditionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE editions SET version = version + 1 WHERE id = $1 AND status = 'DRAFT' \
         RETURNING {COLUMNS}"
    )))
    .bind(edition_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(edition) = edition else {
        return Ok(None);
    };
    let mut next: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM edition_items WHERE edition_id = $1")
            .bind(edition_id)
            .fetch_one(&mut *tx)
            .await?;
    for item_id in item_ids {
        next += 1;
        sqlx::query(
            "INSERT INTO edition_items (edition_id, item_id, seq) VALUES ($1, $2, $3) \
             ON CONFLICT (edition_id, item_id) DO NOTHING",
        )
        .bind(edition_id)
        .bind(item_id)
        .bind(next)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Some(edition))
}

/// Removes an item from a DRAFT edition. `None` when the edition is no longer a draft.
pub async fn remove_item(
    db: &Db,
    edition_id: &str,
    item_id: &str,
) -> Result<Option<(EditionRow, bool)>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let edition: Option<EditionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE editions SET version = version + 1 WHERE id = $1 AND status = 'DRAFT' \
         RETURNING {COLUMNS}"
    )))
    .bind(edition_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(edition) = edition else {
        return Ok(None);
    };
    let removed = sqlx::query("DELETE FROM edition_items WHERE edition_id = $1 AND item_id = $2")
        .bind(edition_id)
        .bind(item_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if !removed {
        // Nothing changed: give the version back by not committing.
        return Ok(Some((edition, false)));
    }
    tx.commit().await?;
    Ok(Some((edition, true)))
}

/// The code and title of each item, as they stand when the edition is published.
pub struct Snapshot {
    pub item_id: String,
    pub code: Option<String>,
    pub title: String,
}

/// Freezes a DRAFT edition: numbers its items 1..n in their order, records their code and title,
/// and publishes it. `None` when it is no longer a draft.
pub async fn publish(
    db: &Db,
    edition: &EditionRow,
    snapshots: &[Snapshot],
    actor_id: &str,
) -> Result<Option<EditionRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: Option<EditionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE editions SET status = 'PUBLISHED', published_at = $2, version = version + 1 \
         WHERE id = $1 AND status = 'DRAFT' AND version = $3 RETURNING {COLUMNS}"
    )))
    .bind(&edition.id)
    .bind(&now)
    .bind(edition.version)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    for (i, snapshot) in snapshots.iter().enumerate() {
        sqlx::query(
            "UPDATE edition_items SET seq = $3, code = $4, title = $5 \
             WHERE edition_id = $1 AND item_id = $2",
        )
        .bind(&edition.id)
        .bind(&snapshot.item_id)
        .bind(i as i64 + 1)
        .bind(&snapshot.code)
        .bind(&snapshot.title)
        .execute(&mut *tx)
        .await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &row.id,
            action: "PUBLISH",
            from_status: Some("DRAFT"),
            to_status: Some("PUBLISHED"),
            actor_id: Some(actor_id),
            note: None,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// Every item of an edition in order (for publishing and export).
pub async fn all_items(db: &Db, edition_id: &str) -> Result<Vec<EditionItemRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT edition_id, item_id, seq, code, title FROM edition_items \
         WHERE edition_id = $1 ORDER BY seq, item_id",
    )
    .bind(edition_id)
    .fetch_all(db.pool())
    .await
}

pub async fn items_page(
    db: &Db,
    edition_id: &str,
    page: PageRequest,
) -> Result<(Vec<EditionItemRow>, i64), sqlx::Error> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM edition_items WHERE edition_id = $1")
        .bind(edition_id)
        .fetch_one(db.pool())
        .await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT edition_id, item_id, seq, code, title FROM edition_items \
         WHERE edition_id = $1 ORDER BY seq, item_id{}",
        page.sql_suffix()
    )))
    .bind(edition_id)
    .fetch_all(db.pool())
    .await?;
    Ok((rows, total))
}

pub async fn list(
    db: &Db,
    kind: Option<&str>,
    year: Option<i64>,
    include_drafts: bool,
    page: PageRequest,
) -> Result<(Vec<EditionRow>, i64), sqlx::Error> {
    let filter = |sql: &mut Sql| {
        sql.push(" WHERE 1 = 1");
        if let Some(kind) = kind {
            sql.push(" AND kind = ").bind(kind.to_owned());
        }
        if let Some(year) = year {
            sql.push(" AND year = ").bind(year);
        }
        if !include_drafts {
            sql.push(" AND status = 'PUBLISHED'");
        }
    };
    let mut count = Sql::new("SELECT COUNT(*) FROM editions");
    filter(&mut count);
    let (text, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(text, args)
        .fetch_one(db.pool())
        .await?;
    let mut select = Sql::new(&format!("SELECT {COLUMNS} FROM editions"));
    filter(&mut select);
    select.push(" ORDER BY year DESC, batch DESC, kind");
    select.push(&page.sql_suffix());
    let (text, args) = select.build();
    let rows = sqlx::query_as_with(text, args).fetch_all(db.pool()).await?;
    Ok((rows, total))
}
