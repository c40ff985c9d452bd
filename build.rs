//! Marks a test build made with `TEST_DATABASE_URL` set, so that the PostgreSQL variants of the
//! database tests run in it and are reported as ignored (not as passed) in a build without it.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("TEST_DATABASE_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    } else if std::env::var("PROFILE").as_deref() == Ok("debug") {
        // One line before the tests run, so that nobody takes a green run for both databases.
        println!(
            "cargo::warning=TEST_DATABASE_URL is not set: the PostgreSQL tests are skipped \
             (reported as ignored); set it to a PostgreSQL database to run them too"
        );
    }
}
