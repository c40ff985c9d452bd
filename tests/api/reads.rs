//! The read connections of `Db::reader`: kept from one statement to the next, closed when a
//! statement was abandoned or failed in a way that may have broken them, and bounded in number
//! (README, Load benchmark: four on SQLite, eight on PostgreSQL).

use futures_util::FutureExt as _;
use twolists::db::{Db, Reader};

use crate::util::{Backend, TestApp};
use crate::{backend_test, db_test};

/// A database handle of its own on the test's database, so that no background task of the
/// application takes a read connection between two steps of a test.
async fn own_db(app: &TestApp) -> Db {
    Db::connect(app.state.database_url()).await.unwrap()
}

/// Marks the reader's connection with a temporary table, which only that connection sees.
async fn mark(mut reader: Reader) {
    let created = sqlx::query("CREATE TEMP TABLE reader_mark (x INTEGER)")
        .execute(&mut *reader)
        .await;
    reader.done(created).unwrap();
}

/// Whether the next read connection is the marked one.
async fn next_is_marked(db: &Db) -> bool {
    let mut reader = db.reader().await.unwrap();
    let seen = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM reader_mark")
        .fetch_one(&mut *reader)
        .await;
    reader.done(seen).is_ok()
}

db_test!(a_read_connection_is_kept_for_the_next_statement, |app| {
    let db = own_db(&app).await;
    mark(db.reader().await.unwrap()).await;
    assert!(next_is_marked(&db).await, "the same connection again");
    db.close().await;
});

db_test!(a_refused_statement_keeps_its_connection, |app| {
    let db = own_db(&app).await;
    mark(db.reader().await.unwrap()).await;
    let mut reader = db.reader().await.unwrap();
    let refused = sqlx::query("SELECT no_such_column FROM reader_mark")
        .execute(&mut *reader)
        .await;
    assert!(reader.done(refused).is_err(), "the database refuses it");
    assert!(
        next_is_marked(&db).await,
        "a refusal leaves the connection usable"
    );
    db.close().await;
});

db_test!(an_abandoned_read_connection_is_closed, |app| {
    let db = own_db(&app).await;
    mark(db.reader().await.unwrap()).await;
    // Taken and dropped without `done`, as when a request is cancelled mid-statement.
    drop(db.reader().await.unwrap());
    assert!(
        !next_is_marked(&db).await,
        "a new connection, not the abandoned one"
    );
    db.close().await;
});

backend_test!(reads_wait_for_a_free_connection, |backend| {
    let app = TestApp::new(backend).await;
    let db = own_db(&app).await;
    let expected = match backend {
        Backend::Sqlite => 4,
        Backend::Postgres => 8,
    };
    assert_eq!(db.reads_available(), expected);
    let mut held = Vec::new();
    for _ in 0..expected {
        held.push(db.reader().await.unwrap());
    }
    assert_eq!(db.reads_available(), 0);
    assert!(
        db.reader().now_or_never().is_none(),
        "one more waits while {expected} are in use"
    );
    let waiting = tokio::spawn({
        let db = db.clone();
        async move { db.reader().await.map(|reader| reader.done(Ok(()))) }
    });
    let freed = held.pop().unwrap();
    freed.done(Ok(())).unwrap();
    waiting.await.unwrap().unwrap().unwrap();
    drop(held);
    db.close().await;
    assert!(
        matches!(db.reader().await, Err(sqlx::Error::PoolClosed)),
        "no reads after close"
    );
});
