//! The test harness keeps its own promises: what a PostgreSQL test creates goes away with it.

use crate::util::{
    Backend, TestApp, drop_old_test_schemas, fresh_pg_schema, test_database_url,
    test_schemas_before,
};

async fn schema_exists(name: &str) -> bool {
    let day_ahead = chrono::Utc::now() + chrono::Duration::days(1);
    test_schemas_before(&test_database_url(), day_ahead)
        .await
        .iter()
        .any(|s| s == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL variant: build and run with TEST_DATABASE_URL set"
)]
async fn a_test_schema_is_dropped_with_its_test_and_old_leftovers_are_swept() {
    let app = TestApp::new(Backend::Postgres).await;
    app.admin().await;
    let name = app.pg_schema().unwrap().to_owned();
    assert!(schema_exists(&name).await);
    drop(app);
    assert!(!schema_exists(&name).await, "{name} outlived its test");

    // A schema left two days ago by a test that was killed, and one of a test running now.
    use sqlx::Connection as _;
    let base = test_database_url();
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2)).timestamp() as u64;
    let old = format!(
        "t_{}",
        uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, two_days_ago, 0)).simple()
    );
    let mut conn = sqlx::AnyConnection::connect(&base).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {old}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let running = fresh_pg_schema(&base).await;
    drop_old_test_schemas(&base).await;
    assert!(!schema_exists(&old).await, "the old leftover is swept");
    assert!(
        schema_exists(&running.name).await,
        "a running test's schema stays"
    );
}
