//! Marks a test build made with `TEST_DATABASE_URL` set, so that the PostgreSQL variants of the
//! database tests run in it and are reported as ignored (not as passed) in a build without it;
//! and one made where Chromium and its WebDriver are installed, so that the browser tests run in
//! it and are reported as ignored elsewhere.

use std::path::Path;

/// Debian's `chromium` and `chromium-driver` (README, "Tests").
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    // Installing the packages changes the folder, which runs this again.
    println!("cargo::rerun-if-changed=/usr/bin");
    let debug = std::env::var("PROFILE").as_deref() == Ok("debug");
    if std::env::var_os("TEST_DATABASE_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    } else if debug {
        // One line before the tests run, so that nobody takes a green run for both databases.
        println!(
            "cargo::warning=TEST_DATABASE_URL is not set: the PostgreSQL tests are skipped \
             (reported as ignored); set it to a PostgreSQL database to run them too"
        );
    }
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        println!("cargo::rustc-cfg=browser_tests");
    } else if debug {
        println!(
            "cargo::warning=Chromium is not installed: the browser tests are skipped (reported as \
             ignored); `apt-get install chromium chromium-driver` to run them too"
        );
    }
}
