//! Saved searches, the queue of newly published items, the finds and the digests sent.

use crate::db::{self, Db, Sql, Tx};
use crate::pagination::PageRequest;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct SavedSearchRow {
    pub id: String,
    pub user_id: String,
    pub list: String,
    pub name: String,
    /// The list's filter as JSON, as the API took it.
    pub filter: String,
    pub frequency: String,
    pub created_at: String,
}

const COLUMNS: &str = "id, user_id, list, name, filter, frequency, created_at";

pub async fn insert(tx: &mut Tx, row: &SavedSearchRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO saved_searches (id, user_id, list, name, filter, frequency, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.list)
    .bind(&row.name)
    .bind(&row.filter)
    .bind(&row.frequency)
    .bind(&row.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<SavedSearchRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM saved_searches WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(row)
}

/// A user's saved searches, newest first.
pub async fn of_user(
    db: &Db,
    user_id: &str,
    page: PageRequest,
) -> Result<(Vec<SavedSearchRow>, i64), sqlx::Error> {
    let mut select = Sql::new(&format!(
        "SELECT {COLUMNS} FROM saved_searches WHERE user_id = "
    ));
    select.bind(user_id.to_owned());
    select.push(" ORDER BY created_at DESC, id DESC");
    select.push(&page.sql_suffix());
    let count = page.count.then(|| {
        let mut count = Sql::new("SELECT COUNT(*) FROM saved_searches WHERE user_id = ");
        count.bind(user_id.to_owned());
        count
    });
    db.page_and_total(select, count).await
}

/// How many saved searches a user has, counted in `tx` (under the write lock on SQLite).
pub async fn count_of_user(tx: &mut Tx, user_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM saved_searches WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await
}

pub async fn update(
    tx: &mut Tx,
    id: &str,
    name: &str,
    frequency: &str,
) -> Result<Option<SavedSearchRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE saved_searches SET name = $2, frequency = $3 WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(name)
    .bind(frequency)
    .fetch_optional(&mut **tx)
    .await
}

/// Deletes a saved search and what it found.
pub async fn delete(tx: &mut Tx, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM saved_search_hits WHERE saved_search_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("DELETE FROM saved_searches WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The saved searches of a list whose users may still sign in.
pub async fn of_list(db: &Db, list: &str) -> Result<Vec<SavedSearchRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM saved_searches s JOIN users u ON u.id = s.user_id \
         WHERE s.list = $1 AND u.membership <> 'REMOVED' ORDER BY s.created_at, s.id",
        COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
    .bind(list)
    .fetch_all(&mut *reader)
    .await;
    reader.done(rows)
}

// ---- The queue of newly published items --------------------------------------------------------

/// Queues a newly published item, in its publishing transaction.
pub async fn enqueue(tx: &mut Tx, item_type: &str, item_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO alert_queue (item_type, item_id, queued_at) VALUES ($1, $2, $3) \
         ON CONFLICT (item_type, item_id) DO NOTHING",
    )
    .bind(item_type)
    .bind(item_id)
    .bind(db::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The oldest queued items: (type, id).
pub async fn queued(db: &Db, limit: i64) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as(
        "SELECT item_type, item_id FROM alert_queue ORDER BY queued_at, item_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *reader)
    .await;
    reader.done(rows)
}

pub async fn dequeue(tx: &mut Tx, item_type: &str, item_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM alert_queue WHERE item_type = $1 AND item_id = $2")
        .bind(item_type)
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records that a saved search found an item; false when it had already.
pub async fn insert_hit(
    tx: &mut Tx,
    saved_search_id: &str,
    item_type: &str,
    item_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO saved_search_hits (saved_search_id, item_type, item_id, found_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (saved_search_id, item_id) DO NOTHING",
    )
    .bind(saved_search_id)
    .bind(item_type)
    .bind(item_id)
    .bind(db::now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- Digests ------------------------------------------------------------------------------------

/// The users with finds no digest has carried yet.
pub async fn users_with_pending_hits(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let rows = sqlx::query_scalar(
        "SELECT DISTINCT s.user_id FROM saved_search_hits h \
         JOIN saved_searches s ON s.id = h.saved_search_id \
         JOIN users u ON u.id = s.user_id \
         WHERE h.digest_id IS NULL AND u.membership <> 'REMOVED' ORDER BY s.user_id",
    )
    .fetch_all(&mut *reader)
    .await;
    reader.done(rows)
}

/// One find a digest carries.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Find {
    pub search_name: String,
    pub frequency: String,
    pub item_type: String,
    pub item_id: String,
    pub title: String,
    pub code: Option<String>,
    pub status: String,
    pub summary: String,
}

/// Gives a user's pending finds to `digest_id` and returns them, by saved search and then in the
/// order found.
pub async fn take_pending_hits(
    tx: &mut Tx,
    user_id: &str,
    digest_id: &str,
) -> Result<Vec<Find>, sqlx::Error> {
    sqlx::query(
        "UPDATE saved_search_hits SET digest_id = $1 WHERE digest_id IS NULL \
         AND saved_search_id IN (SELECT id FROM saved_searches WHERE user_id = $2)",
    )
    .bind(digest_id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query_as(
        "SELECT s.name AS search_name, s.frequency, h.item_type, h.item_id, \
         COALESCE(sc.title, c.title) AS title, COALESCE(sc.code, c.code) AS code, \
         COALESCE(sc.status, c.status) AS status, COALESCE(sc.summary, c.summary) AS summary \
         FROM saved_search_hits h JOIN saved_searches s ON s.id = h.saved_search_id \
         LEFT JOIN scenarios sc ON h.item_type = 'SCENARIO' AND sc.id = h.item_id \
         LEFT JOIN capabilities c ON h.item_type = 'CAPABILITY' AND c.id = h.item_id \
         WHERE h.digest_id = $1 ORDER BY s.created_at, s.id, h.found_at, h.item_id",
    )
    .bind(digest_id)
    .fetch_all(&mut **tx)
    .await
}

/// Writes that `user_id` got the digest of `kind` for `period`; false when they had already
/// (another instance, or a run repeated after a restart, sent it).
pub async fn record_digest(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    kind: &str,
    period: &str,
    items: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO digests (id, user_id, kind, period, items, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, kind, period) DO NOTHING",
    )
    .bind(id)
    .bind(user_id)
    .bind(kind)
    .bind(period)
    .bind(items)
    .bind(db::now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A member who may hear of recommendations to their organization.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub organization_id: String,
}

/// The members of the organizations, in order.
pub async fn members_of(db: &Db, orgs: &[String]) -> Result<Vec<Member>, sqlx::Error> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT id, email, display_name, organization_id FROM users \
         WHERE membership <> 'REMOVED' AND organization_id IN (",
    );
    sql.bind_list(orgs);
    sql.push(") ORDER BY organization_id, created_at, id");
    let (text, args) = sql.build();
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    reader.done(rows)
}

/// The user's address and name, in `tx`.
pub async fn addressee(
    tx: &mut Tx,
    user_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT email, display_name FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await
}

/// Records the use of a single-use link (its hash); false when it was used before.
pub async fn use_link(tx: &mut Tx, token_hash: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO used_links (token_hash, used_at) VALUES ($1, $2) \
         ON CONFLICT (token_hash) DO NOTHING",
    )
    .bind(token_hash)
    .bind(db::now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
