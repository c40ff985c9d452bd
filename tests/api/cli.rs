//! The binary as an operator runs it.

use std::process::Command;

fn twolists(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twolists"));
    // Nothing of the caller's configuration (a signing key, an SMTP server, …) leaks in.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TWOLISTS_") {
            command.env_remove(name);
        }
    }
    command
        .env_remove("DATABASE_URL")
        .env("TWOLISTS_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn");
    command
}

#[test]
fn export_schema_prints_the_committed_schema() {
    let dir = tempfile::tempdir().unwrap();
    let output = twolists(dir.path()).arg("export-schema").output().unwrap();
    assert!(output.status.success());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/schema.graphql"
    ))
    .unwrap();
    assert!(
        String::from_utf8(output.stdout).unwrap() == committed,
        "export-schema differs from schema/schema.graphql"
    );
}

#[test]
fn migrate_and_create_admin_on_the_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = twolists(dir.path()).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{migrate:?}");
    assert!(dir.path().join("twolists.db").exists());

    let create = |password: &str| {
        twolists(dir.path())
            .args([
                "create-admin",
                "--email",
                "admin@jzcx.gov.cn",
                "--password",
                password,
            ])
            .output()
            .unwrap()
    };
    let weak = create("12345");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("密码至少需要10个字符"));

    let created = create("Jinzhong-Admin-2026");
    assert!(created.status.success(), "{created:?}");
    assert!(String::from_utf8_lossy(&created.stdout).contains("admin@jzcx.gov.cn"));

    let duplicate = create("Jinzhong-Admin-2026");
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("该邮箱已注册"));

    // With --region: the county scenario manager of a known region.
    let manager = |region: &str| {
        twolists(dir.path())
            .args([
                "create-admin",
                "--email",
                &format!("manager{region}@jzcx.gov.cn"),
                "--password",
                "Jinzhong-Manager-2026",
                "--name",
                "榆次区场景经理人",
                "--region",
                region,
            ])
            .output()
            .unwrap()
    };
    let unknown = manager("999999");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("地区代码不存在：999999"));
    let appointed = manager("140702");
    assert!(appointed.status.success(), "{appointed:?}");
    assert!(
        String::from_utf8_lossy(&appointed.stdout)
            .contains("county manager manager140702@jzcx.gov.cn of 140702")
    );
    let url = format!("sqlite://{}", dir.path().join("twolists.db").display());
    let stored: (String, Option<String>, Option<String>) =
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            use sqlx::Connection as _;
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            sqlx::query_as(
                "SELECT role, region_code, email_verified_at FROM users \
                 WHERE email = 'manager140702@jzcx.gov.cn'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap()
        });
    assert_eq!(stored.0, "COUNTY_MANAGER");
    assert_eq!(stored.1.as_deref(), Some("140702"));
    assert!(stored.2.is_some(), "the address counts as verified");

    // The generated signing key is private to the service.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("jwt-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// A seeded database is ready to read: the write-ahead log the bulk load filled is folded into
/// the file (a load benchmark reads only, so nothing else would fold it).
#[test]
fn seeding_leaves_no_write_ahead_log_behind() {
    for args in [
        &["seed", "--demo"][..],
        &[
            "seed",
            "--synthetic",
            "--scenarios",
            "40",
            "--capabilities",
            "40",
        ],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let seeded = twolists(&data).args(args).output().unwrap();
        assert!(seeded.status.success(), "{args:?}: {seeded:?}");
        let database = std::fs::metadata(data.join("twolists.db")).unwrap().len();
        assert!(
            database > 100_000,
            "{args:?}: the data is in the file ({database} bytes)"
        );
        let log = std::fs::metadata(data.join("twolists.db-wal")).map_or(0, |m| m.len());
        assert_eq!(log, 0, "{args:?}: the write-ahead log holds {log} bytes");
    }
}

/// Under the usual umask the data folder was 0755 and the database, its journal files and the
/// outbox 0644: a local user read a reset link. Everything is private after start, and an
/// existing folder is tightened with a log line.
#[cfg(unix)]
#[test]
fn the_data_folder_and_its_files_are_private_to_the_service() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let set = |path: &std::path::Path, m: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap()
    };

    // A new folder.
    let fresh = tempfile::tempdir().unwrap();
    let data = fresh.path().join("data");
    let seeded = twolists(&data).arg("seed").output().unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    assert_eq!(mode(&data), 0o700);
    for file in ["twolists.db", "jwt-secret"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }

    // A folder left readable by an older version, with a database, its journal and an e-mail.
    let old = tempfile::tempdir().unwrap();
    let data = old.path().join("data");
    let migrated = twolists(&data).arg("migrate").output().unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    std::fs::create_dir_all(data.join("outbox")).unwrap();
    std::fs::write(data.join("outbox/old.eml"), "Subject: 重置密码").unwrap();
    std::fs::write(data.join("twolists.db-wal"), "").unwrap();
    for (path, m) in [
        (data.clone(), 0o755),
        (data.join("outbox"), 0o755),
        (data.join("outbox/old.eml"), 0o644),
        (data.join("twolists.db"), 0o644),
        (data.join("twolists.db-wal"), 0o644),
    ] {
        set(&path, m);
    }
    let seeded = twolists(&data).arg("seed").output().unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    let log = String::from_utf8_lossy(&seeded.stderr).into_owned()
        + &String::from_utf8_lossy(&seeded.stdout);
    assert!(log.contains("made private to the service's user"), "{log}");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("outbox")), 0o700);
    for file in [
        "twolists.db",
        "twolists.db-wal",
        "outbox/old.eml",
        "jwt-secret",
    ] {
        let path = data.join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
}

#[test]
fn match_eval_scores_a_set_with_known_answers() {
    let dir = tempfile::tempdir().unwrap();
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny_eval.json");
    let output = twolists(dir.path())
        .args(["match-eval", set])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.lines().last().unwrap(),
        "nDCG@10 1.0000  MRR 1.0000  recall@20 1.0000",
        "{stdout}"
    );
    assert!(
        !dir.path().join("twolists.db").exists(),
        "no database needed"
    );

    // The plain BM25 baseline finds each scenario's best capability first too, but ranks the
    // related-domain one (grade 1) below an unrelated one: the engine's lead, in one command.
    let baseline = twolists(dir.path())
        .args(["match-eval", "--baseline", "bm25", set])
        .output()
        .unwrap();
    assert!(baseline.status.success(), "{baseline:?}");
    let stdout = String::from_utf8(baseline.stdout).unwrap();
    let line = stdout.lines().last().unwrap();
    assert!(line.ends_with("MRR 1.0000  recall@20 1.0000"), "{stdout}");
    let ndcg: f64 = line["nDCG@10 ".len().."nDCG@10 ".len() + 6]
        .parse()
        .unwrap();
    assert!(ndcg < 1.0, "{stdout}");

    let missing = twolists(dir.path())
        .args(["match-eval", "/no/such/file.json"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
fn match_eval_ablates_signals_and_refuses_a_file_that_is_not_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny_eval.json");
    let output = twolists(dir.path())
        .args(["match-eval", "--ablate", set])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    for row in [
        "| engine | 1.0000 | 1.0000 | 1.0000 |",
        "| without meaning (word vectors) |",
        "| without text |",
        "| meaning weight 1 |",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(row)),
            "{row}: {stdout}"
        );
    }

    // --vectors names a file the service must be able to read as word vectors.
    let not_vectors = dir.path().join("not-vectors.bin");
    std::fs::write(&not_vectors, "word 0.1 0.2\n").unwrap();
    for (file, says) in [
        (not_vectors.as_path(), "not a word-vector file"),
        (
            std::path::Path::new("/no/such/vectors.vec"),
            "reading word vectors",
        ),
    ] {
        let output = twolists(dir.path())
            .args(["match-eval", "--vectors"])
            .arg(file)
            .arg(set)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// The README's table for the repository's own labelled set is what the two commands it names
/// print: anyone can reproduce it.
#[test]
fn the_readme_quality_table_is_what_match_eval_prints_for_the_shipped_set() {
    let dir = tempfile::tempdir().unwrap();
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/jinzhong.json");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for (args, row) in [
        (vec!["match-eval", set], "this engine"),
        (
            vec!["match-eval", "--baseline", "bm25", set],
            "BM25 baseline",
        ),
    ] {
        let output = twolists(dir.path()).args(&args).output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let figures: Vec<&str> = stdout
            .lines()
            .last()
            .unwrap()
            .split_whitespace()
            .skip(1)
            .step_by(2)
            .collect();
        assert_eq!(figures.len(), 3, "{stdout}");
        let expected = format!("| {row} | {} |", figures.join(" | "));
        let table = &readme[readme
            .find("| ranking on `eval/jinzhong.json` |")
            .expect("the README's table for eval/jinzhong.json")..];
        assert!(
            table.lines().take(4).any(|line| line == expected),
            "README.md should have the row {expected}"
        );
    }
}

/// The README's match-degree table for the repository's own labelled set is what
/// `match-eval --degree` prints.
#[test]
fn the_readme_degree_table_is_what_match_eval_prints_for_the_shipped_set() {
    let dir = tempfile::tempdir().unwrap();
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/jinzhong.json");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let output = twolists(dir.path())
        .args(["match-eval", "--degree", set])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("| ") || l.starts_with("match degree:"))
        .collect();
    assert_eq!(
        lines.len(),
        8,
        "a summary, a header and six bands: {stdout}"
    );
    for line in lines {
        assert!(
            readme.lines().any(|l| l.contains(line)),
            "README.md should have {line}"
        );
    }
}

/// The README's free-text table is what `search-eval` prints for the shipped query set.
#[test]
fn the_readme_search_table_is_what_search_eval_prints() {
    let dir = tempfile::tempdir().unwrap();
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/search.json");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let output = twolists(dir.path())
        .args(["search-eval", "--hits", set])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    // With --hits, each query's hits follow, graded as the set grades them.
    let queries: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(set).unwrap()).unwrap();
    for query in queries["queries"].as_array().unwrap() {
        let heading = format!("\n{} (", query["query"].as_str().unwrap());
        assert!(stdout.contains(&heading), "{heading} in {stdout}");
    }
    assert!(stdout.contains("\n  2 "), "a grade-2 hit: {stdout}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 8, "a header and seven variants: {stdout}");
    for row in rows {
        assert!(
            readme.lines().any(|line| line == row),
            "README.md should have the row {row}"
        );
    }
}

#[test]
fn serve_demo_on_a_database_with_content_says_it_loaded_nothing() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let seeded = twolists(dir.path())
        .args(["seed", "--demo"])
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{seeded:?}");

    let mut server = twolists(dir.path())
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut said = None;
    while let Ok(line) =
        receiver.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
    {
        if line.contains("--demo") {
            said = Some(line);
            break;
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let said = said.expect("serve --demo says why it loaded nothing");
    assert!(said.contains("demo data was not loaded"), "{said}");
}

/// `backup` while a writer is in the middle of a transaction: the copy holds what was committed
/// and nothing of the open transaction, is private to the user, and never replaces a file.
#[cfg(unix)]
#[test]
fn backup_copies_what_is_committed_while_a_write_is_in_progress() {
    use sqlx::Connection as _;
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let created = twolists(&data)
        .args([
            "create-admin",
            "--email",
            "backup@jzcx.gov.cn",
            "--password",
            "Jinzhong-Backup-2026",
        ])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let copy = dir.path().join("copy.db");
    let backup = || {
        twolists(&data)
            .args(["backup", "--to", copy.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let names = |url: String| async move {
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        let names: Vec<(String, String)> =
            sqlx::query_as("SELECT email, display_name FROM users ORDER BY email")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        names
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let database = format!("sqlite://{}", data.join("twolists.db").display());
        let committed = names(database.clone()).await;
        assert_eq!(committed.len(), 1, "{committed:?}");
        let mut writer = sqlx::AnyConnection::connect(&database).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut writer)
            .await
            .unwrap();
        sqlx::query("UPDATE users SET display_name = 'uncommitted'")
            .execute(&mut writer)
            .await
            .unwrap();

        let made = backup();
        assert!(made.status.success(), "{made:?}");
        assert!(String::from_utf8_lossy(&made.stdout).contains("已备份到"));
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the copy is private");
        assert_eq!(
            names(format!("sqlite://{}", copy.display())).await,
            committed,
            "the copy holds the committed rows and nothing of the open transaction"
        );
        sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();
    });

    // A second backup to the same file is refused and leaves the first copy as it was.
    let before = std::fs::read(&copy).unwrap();
    let again = backup();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("备份文件已存在"),
        "{again:?}"
    );
    assert_eq!(std::fs::read(&copy).unwrap(), before);

    // PostgreSQL is pg_dump's: refused before any connection is tried.
    let postgres = twolists(&data)
        .args([
            "backup",
            "--to",
            dir.path().join("pg.db").to_str().unwrap(),
            "--database-url",
            "postgres://postgres@127.0.0.1:1/none",
        ])
        .output()
        .unwrap();
    assert!(!postgres.status.success());
    assert!(
        String::from_utf8_lossy(&postgres.stderr).contains("pg_dump"),
        "{postgres:?}"
    );
    assert!(!dir.path().join("pg.db").exists());

    // An empty data folder has nothing to copy, and gets no database made up for it.
    let empty = dir.path().join("empty");
    let nothing = twolists(&empty)
        .args([
            "backup",
            "--to",
            dir.path().join("none.db").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("没有数据库"));
    assert!(!empty.join("twolists.db").exists());
    assert!(!dir.path().join("none.db").exists());
}

/// `serve` with `TWOLISTS_LOG_FORMAT=json`: one JSON object per line, and the line of a request
/// carries the id the response returned.
#[test]
fn json_log_lines_carry_the_request_id() {
    use std::io::{BufRead as _, Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let mut server = twolists(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("TWOLISTS_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let (sender, lines) = std::sync::mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let parsed = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
            if sender.send(parsed).is_err() {
                break;
            }
        }
    });
    let next_line = |what: &str, test: &dyn Fn(&serde_json::Value) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if test(&line) => return line,
                Ok(_) => {}
                Err(_) => panic!("no log line {what}"),
            }
        }
    };
    let serving = next_line("that tells the address", &|line| {
        line["fields"]["message"] == "serving GraphQL at /graphql"
    });
    let addr = serving["fields"]["addr"].as_str().unwrap().to_owned();

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .write_all(
            b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nx-request-id: ops-log-7\r\n\
              Connection: close\r\n\r\n",
        )
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-request-id: ops-log-7\r\n"),
        "{response}"
    );

    let answered = next_line("for the request", &|line| {
        line["fields"]["message"] == "answered"
    });
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(answered["span"]["request_id"], "ops-log-7", "{answered}");
    assert_eq!(answered["span"]["path"], "/healthz", "{answered}");
    assert_eq!(answered["fields"]["status"], 200, "{answered}");
    assert_eq!(answered["level"], "INFO", "{answered}");
}

/// `import scenarios` as an operator runs it: a unit named by its credit code, a summary on
/// success, the same file again skipped, and a bad file refused with its rows and columns named
/// and nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_scenarios_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seeded = twolists(&data).args(["seed", "--demo"]).output().unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    let db = twolists::db::Db::connect(&twolists::db::Db::sqlite_url(&data))
        .await
        .unwrap();
    let (unit, code): (String, String) = sqlx::query_as(
        "SELECT name, credit_code FROM organizations WHERE kind = 'GOVERNMENT' \
         AND credit_code IS NOT NULL ORDER BY name LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM scenarios")
            .fetch_one(db.pool())
            .await
            .unwrap()
    };
    let before = count().await;

    let file = dir.path().join("征集表.csv");
    std::fs::write(
        &file,
        "场景名称*,场景简介*,场景描述*,场景类别*,所属产业*,预算上限（万元）\r\n\
         智慧停车诱导,老城区停车难,建设停车诱导系统,智慧城市场景,CS,300\r\n\
         农产品冷链溯源,冷链全程溯源,建设溯源平台,INDUSTRIAL,NY,\r\n",
    )
    .unwrap();
    let import = |file: &std::path::Path| {
        twolists(&data)
            .args(["import", "scenarios"])
            .arg(file)
            .args(["--unit", &code])
            .output()
            .unwrap()
    };
    let first = import(&file);
    assert!(first.status.success(), "{first:?}");
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        format!("已为「{unit}」导入2个场景（挖掘）\n")
    );
    assert_eq!(count().await, before + 2);

    let again = import(&file);
    assert!(again.status.success(), "{again:?}");
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        format!("已为「{unit}」导入0个场景（挖掘）\n跳过2行：该单位已有同名场景（第2、3行）\n")
    );
    assert_eq!(count().await, before + 2);

    let bad = dir.path().join("有错.csv");
    std::fs::write(
        &bad,
        "场景名称,场景简介,场景描述,场景类别,所属产业,预算上限（万元）\r\n\
         新场景甲,简介,描述,智慧城市场景,CS,三百\r\n\
         新场景乙,简介,描述,智慧农业,NY,\r\n",
    )
    .unwrap();
    let refused = import(&bad);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("第2行「预算上限（万元）」：「三百」不是整数"),
        "{stderr}"
    );
    assert!(
        stderr.contains("第3行「场景类别」：「智慧农业」不是代码表中的场景类别"),
        "{stderr}"
    );
    assert!(stderr.contains("文件有2处问题，未导入任何场景"), "{stderr}");
    assert_eq!(count().await, before + 2);

    let unknown = twolists(&data)
        .args(["import", "scenarios"])
        .arg(&file)
        .args(["--unit", "no-such-unit"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("没有 id 或统一社会信用代码为 no-such-unit 的单位")
    );
    db.close().await;
}
