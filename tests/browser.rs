//! The public pages in a real browser: headless Chromium driven over WebDriver (chromedriver)
//! against the real server on a loopback port, with the demo data. A visitor opens the home page,
//! types a Chinese query, applies a filter, opens a scenario, downloads an edition and opens the
//! statistics; screenshots at a phone's and a desktop's width go to `target/screenshots/`.
//!
//! Runs where Debian's `chromium` and `chromium-driver` are installed (`.ci/run` installs them);
//! elsewhere it is reported as ignored, with the reason, never as passed.

#[path = "api/util.rs"]
#[allow(dead_code, unused_imports)]
mod util;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use util::{Backend, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Longest wait for the browser to load a page or a download to land.
const PATIENCE: Duration = Duration::from_secs(20);

/// chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver and waits until it takes connections.
async fn driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(started.elapsed() < PATIENCE, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    driver
}

/// A headless Chromium session that saves downloads into `downloads`.
async fn browser(driver: &Driver, profile: &Path, downloads: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,900", "--lang=zh-CN",
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves the page at a phone's and a desktop's width.
async fn shoot(client: &Client, name: &str) {
    for (label, width, height) in [("phone", 390, 844), ("desktop", 1280, 900)] {
        client.set_window_size(width, height).await.unwrap();
        let png = client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(screenshots().join(format!("{name}-{label}.png")), png).unwrap();
    }
    client.set_window_size(1280, 900).await.unwrap();
}

/// Waits until the browser's address satisfies `ready`.
async fn wait_for_url(client: &Client, ready: impl Fn(&url::Url) -> bool) -> url::Url {
    let started = Instant::now();
    loop {
        let url = client.current_url().await.unwrap();
        if ready(&url) {
            return url;
        }
        assert!(started.elapsed() < PATIENCE, "still at {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn visit(app_addr: std::net::SocketAddr, client: &Client) {
    let site = format!("http://{app_addr}");

    // The home page: figures, the newest scenarios, featured solutions.
    client.goto(&format!("{site}/")).await.unwrap();
    assert!(client.title().await.unwrap().starts_with("首页 · "));
    assert!(text_of(client, "h1").await.contains("两张清单"));
    assert!(
        !client
            .find_all(Locator::Css(".figures li"))
            .await
            .unwrap()
            .is_empty()
    );
    shoot(client, "home").await;

    // A Chinese query from the home page's search box: the matched words are marked.
    let search = client
        .find(Locator::Css("form.search input[name=q]"))
        .await
        .unwrap();
    search.send_keys("煤矿巡检").await.unwrap();
    client
        .find(Locator::Css("form.search button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = wait_for_url(client, |u| u.path() == "/opportunities").await;
    assert!(url.query().unwrap_or_default().contains("q="), "{url}");
    let marks = client.find_all(Locator::Css(".card mark")).await.unwrap();
    assert!(!marks.is_empty(), "the matched words are marked");
    let marked = marks[0].text().await.unwrap();
    assert!(
        ["煤矿", "巡检", "煤矿巡检"].contains(&marked.as_str()),
        "{marked}"
    );
    shoot(client, "search").await;

    // A filter, chosen in the form: the address carries it, and every item shown meets it.
    client.goto(&format!("{site}/opportunities")).await.unwrap();
    let all = text_of(client, ".count").await;
    client
        .find(Locator::Css("select#category"))
        .await
        .unwrap()
        .select_by_value("CITY")
        .await
        .unwrap();
    client
        .find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = wait_for_url(client, |u| {
        u.query().is_some_and(|q| q.contains("category=CITY"))
    })
    .await;
    let filtered = text_of(client, ".count").await;
    assert_ne!(all, filtered, "{url}: the filter narrows the list");
    let selected = client
        .find(Locator::Css("select#category option[selected]"))
        .await
        .unwrap();
    assert_eq!(
        selected.attr("value").await.unwrap().as_deref(),
        Some("CITY")
    );

    // A scenario's page, from the list.
    let first = client.find(Locator::Css(".card h3 a")).await.unwrap();
    let title = first.text().await.unwrap();
    first.click().await.unwrap();
    let url = wait_for_url(client, |u| u.path().starts_with("/opportunities/JZ-JH-")).await;
    assert_eq!(text_of(client, "h1").await, title, "{url}");
    assert!(text_of(client, ".cta").await.contains("如何申报"));
    shoot(client, "scenario").await;
}

async fn download_and_statistics(
    app_addr: std::net::SocketAddr,
    client: &Client,
    downloads: &Path,
) {
    let site = format!("http://{app_addr}");
    // An edition, downloaded as the reader would: the file lands in the download folder.
    client.goto(&format!("{site}/editions")).await.unwrap();
    client
        .find(Locator::Css("table.list tbody a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(client, |u| u.path().starts_with("/editions/")).await;
    let heading = text_of(client, "h1").await;
    assert!(heading.contains("清单"), "{heading}");
    client
        .find(Locator::Css("p.downloads a[href$='.csv']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let started = Instant::now();
    let file = loop {
        let done: Vec<PathBuf> = std::fs::read_dir(downloads)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        if let Some(file) = done.into_iter().next() {
            break file;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "no download in {}",
            downloads.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let bytes = std::fs::read(&file).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("JZ-"), "the edition's entries: {text}");

    // The statistics: charts drawn on the server, each with its table.
    client.goto(&format!("{site}/")).await.unwrap();
    client
        .find(Locator::LinkText("数据统计"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(client, |u| u.path() == "/stats").await;
    let charts = client
        .find_all(Locator::Css("section.chart svg"))
        .await
        .unwrap();
    assert!(charts.len() >= 4, "{} charts", charts.len());
    let bars = client
        .find_all(Locator::Css("section.chart svg rect"))
        .await
        .unwrap();
    assert!(!bars.is_empty());
    shoot(client, "stats").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(browser_tests),
    ignore = "browser test: needs Debian's chromium and chromium-driver (`.ci/run` installs them)"
)]
async fn a_visitor_searches_filters_reads_downloads_and_sees_the_statistics() {
    let app = TestApp::new(Backend::Sqlite).await;
    twolists::demo::load(&app.state.db, &app.state.taxonomy)
        .await
        .unwrap()
        .expect("the demo data loads into a new database");
    app.state.index.reload().await.unwrap();
    let addr = app.serve().await;

    let driver = driver().await;
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path(), downloads.path()).await;
    visit(addr, &client).await;
    download_and_statistics(addr, &client, downloads.path()).await;
    client.close().await.unwrap();
}
