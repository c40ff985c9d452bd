use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use twolists::telemetry::LogFormat;
use twolists::{AppState, Config, auth, db, db::Db, graphql};

/// A request allocates and frees many small objects on several threads (rows, resolver
/// futures, the response); glibc's allocator spent a quarter of a list request in malloc and
/// free, much of it consolidating its free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator's options, set before the first allocation: the runtime allocates before `main`,
/// and an option that shapes mimalloc's arenas counts only when the first is reserved. The loader
/// runs this after mimalloc's own constructor (priority 101) and before the Rust runtime starts.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static CONFIGURE_ALLOCATOR: extern "C" fn() = {
    extern "C" fn configure() {
        twolists::memory::configure_allocator();
    }
    configure
};

/// 晋中市场景创新“两张清单”平台
#[derive(Parser)]
#[command(name = "twolists", version, about)]
struct Cli {
    /// Folder for the embedded database, the signing key and outgoing mail.
    #[arg(
        long,
        global = true,
        env = "TWOLISTS_DATA_DIR",
        default_value = "./data"
    )]
    data_dir: PathBuf,
    /// postgres://… to run on PostgreSQL; the embedded SQLite file in the data folder otherwise.
    #[arg(long, global = true, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Word vectors for matching, in the format of tools/export_vectors.py; the bundled ones
    /// (THIRD_PARTY.md) by default.
    #[arg(long, global = true, env = "TWOLISTS_VECTORS")]
    vectors: Option<PathBuf>,
    /// Log lines as `text`, or as `json` (one object per line, with the request's id).
    #[arg(
        long,
        global = true,
        env = "TWOLISTS_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// An XLSX or CSV file as in the template (GET /exports/templates/scenarios.xlsx) into new
    /// DISCOVERED scenarios of a government unit. Nothing is written unless every row is valid;
    /// rows whose title the unit already has are skipped.
    Scenarios {
        file: PathBuf,
        /// The unit: its id or unified social credit code.
        #[arg(long)]
        unit: String,
        /// The administrator (e-mail) recorded as importing; the first one created by default.
        #[arg(long)]
        by: Option<String>,
    },
}

/// What keeps slow or idle clients from exhausting the server (SECURITY.md).
#[derive(clap::Args)]
struct LimitArgs {
    /// Most connections served at a time; more wait in the kernel's backlog.
    #[arg(long, env = "TWOLISTS_MAX_CONNECTIONS", default_value_t = 512)]
    max_connections: usize,
    /// Seconds a connection may take to send a request head, or stay idle between requests.
    #[arg(long, env = "TWOLISTS_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
    /// Seconds a request may take, body included, before it is answered 408.
    #[arg(long, env = "TWOLISTS_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
    /// Behind a reverse proxy: take the client's address (for rate limits and the audit trail)
    /// from the last X-Forwarded-For entry. Only when every request comes through the proxy.
    #[arg(long, env = "TWOLISTS_TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    trust_forwarded_for: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the GraphQL service (applies migrations and loads reference data first).
    Serve {
        #[arg(long, env = "TWOLISTS_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Serve the developer tools: GraphiQL at GET /graphql, introspection and field
        /// suggestions in error messages. `false` in production turns all three off.
        #[arg(long, env = "TWOLISTS_EXPLORER", default_value_t = true, action = clap::ArgAction::Set)]
        explorer: bool,
        /// Load the Jinzhong demo data when the database is empty.
        #[arg(long)]
        demo: bool,
        /// Browser origins allowed to call the API from another site (CORS), comma-separated,
        /// e.g. https://portal.jzcx.cn; none by default.
        #[arg(long, env = "TWOLISTS_CORS_ORIGINS", value_delimiter = ',')]
        cors_origins: Vec<String>,
        #[command(flatten)]
        mail: MailArgs,
        #[command(flatten)]
        limits: LimitArgs,
        /// Days before a scenario's deadline that its unit and its partners in 对接 are reminded.
        #[arg(long, env = "TWOLISTS_DEADLINE_REMINDER_DAYS", default_value_t = 3)]
        deadline_reminder_days: u32,
        /// The hour (0–23, China time) of the daily digest of saved searches, and on Mondays of
        /// the weekly recommendations.
        #[arg(long, env = "TWOLISTS_DIGEST_HOUR", default_value_t = 8,
              value_parser = clap::value_parser!(u32).range(0..24))]
        digest_hour: u32,
    },
    /// Applies migrations and loads reference data; with --demo also the Jinzhong demo data,
    /// with --synthetic a synthetic city for load benchmarks.
    Seed {
        #[arg(long, conflicts_with = "synthetic")]
        demo: bool,
        /// Writes a synthetic city for load benchmarks instead (its accounts sign in with
        /// the password in the README), into a database without organizations.
        #[arg(long)]
        synthetic: bool,
        /// Scenarios of the synthetic city.
        #[arg(long, default_value_t = 10_000, requires = "synthetic")]
        scenarios: usize,
        /// Capabilities of the synthetic city.
        #[arg(long, default_value_t = 50_000, requires = "synthetic")]
        capabilities: usize,
    },
    /// Applies pending database migrations and exits.
    Migrate,
    /// Writes a consistent copy of the embedded database to a new file, also while the service
    /// runs. On PostgreSQL use pg_dump (README, Backups).
    Backup {
        /// The new file (an existing one is never overwritten).
        #[arg(long)]
        to: PathBuf,
    },
    /// Imports a file of collected scenarios (README, "Import").
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Creates an administrator account in the operator organization.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, env = "TWOLISTS_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "平台管理员")]
        name: String,
        /// Creates the county scenario manager of this region (e.g. 140702) instead of an admin.
        #[arg(long)]
        region: Option<String>,
    },
    /// Prints the GraphQL schema (SDL).
    ExportSchema,
    /// Ranks every capability for every scenario of a labelled set (eval format) and prints
    /// nDCG@10, MRR and recall@20. Needs no database.
    MatchEval {
        file: PathBuf,
        /// Rank with a baseline instead of the engine: `bm25` (plain BM25 over jieba tokens).
        #[arg(long, value_enum)]
        baseline: Option<Baseline>,
        /// Also print the engine with each signal left out, and the meaning signal at several
        /// weights.
        #[arg(long, conflicts_with = "baseline")]
        ablate: bool,
        /// Also print how the match degree agrees with the set's grades, and the model a fit on
        /// this set would give.
        #[arg(long, conflicts_with = "baseline")]
        degree: bool,
    },
    /// Runs the free-text queries of a labelled search set (eval/search.json) over its corpus
    /// and prints nDCG@5, how often the first hit is right, precision@10 and recall, with the
    /// engine's parts left out in turn. Needs no database.
    SearchEval {
        file: PathBuf,
        /// Also print each query's first ten hits with their grades (2, 1, or - for none) and
        /// the relevant items it missed.
        #[arg(long)]
        hits: bool,
    },
    /// Measures the matching engine on a synthetic city: index build time, memory, and the
    /// latency of one ranking (top 20). Run it in a release build.
    BenchMatch {
        #[arg(long, default_value_t = 100_000)]
        capabilities: usize,
        #[arg(long, default_value_t = 10_000)]
        scenarios: usize,
        #[arg(long, default_value_t = 500)]
        queries: usize,
    },
}

/// A baseline ranking for `match-eval`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Baseline {
    /// Plain BM25 over jieba tokens of title, summary, description and tags.
    Bm25,
}

/// Outgoing e-mail.
#[derive(clap::Args)]
struct MailArgs {
    /// smtp://host:port (plain), smtp://host:port?tls=required (STARTTLS) or smtps://host:port
    /// (TLS), with user:password@ for credentials. Without it, e-mails are written as .eml files
    /// into <data-dir>/outbox/.
    #[arg(long, env = "TWOLISTS_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    #[arg(
        long,
        env = "TWOLISTS_MAIL_FROM",
        default_value = "晋中市场景创新平台 <noreply@jzcx.cn>"
    )]
    mail_from: String,
    /// The address users reach the site at; links in e-mails start with it.
    #[arg(
        long,
        env = "TWOLISTS_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    public_url: String,
    /// Milliseconds before the first retry of a failed e-mail (doubling with each attempt).
    #[arg(long, env = "TWOLISTS_MAIL_RETRY_BASE_MS", default_value_t = 30_000)]
    mail_retry_base_ms: u64,
    /// Attempts before an e-mail is marked failed.
    #[arg(long, env = "TWOLISTS_MAIL_MAX_ATTEMPTS", default_value_t = 8)]
    mail_max_attempts: i64,
    /// Milliseconds between looks at the outbox.
    #[arg(long, env = "TWOLISTS_MAIL_POLL_MS", default_value_t = 1_000)]
    mail_poll_ms: u64,
}

/// How long shutdown waits for the e-mail batch in progress.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    twolists::telemetry::init_logging(cli.log_format);
    let mut config = Config::new(cli.data_dir);
    config.database_url = cli.database_url;
    config.vectors_file = cli.vectors;
    config.jwt_secret = std::env::var("TWOLISTS_JWT_SECRET")
        .ok()
        .filter(|s| !s.is_empty());
    config.metrics_token = std::env::var("TWOLISTS_METRICS_TOKEN")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());

    match cli.command {
        Command::Serve {
            addr,
            explorer,
            demo,
            cors_origins,
            mail,
            limits,
            deadline_reminder_days,
            digest_hour,
        } => {
            config.deadline_reminder_days = deadline_reminder_days;
            config.digest_hour = digest_hour;
            config.request_timeout =
                std::time::Duration::from_secs(limits.request_timeout_secs.max(1));
            config.explorer = explorer;
            config.cors_origins = cors_origins
                .into_iter()
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect();
            config.smtp_url = mail.smtp_url.filter(|s| !s.is_empty());
            config.mail_from = mail.mail_from;
            config.public_url = mail.public_url;
            config.mail_retry_base = std::time::Duration::from_millis(mail.mail_retry_base_ms);
            config.mail_max_attempts = mail.mail_max_attempts.max(1);
            config.mail_poll_interval = std::time::Duration::from_millis(mail.mail_poll_ms.max(10));
            let state = AppState::start(&config).await?;
            if demo {
                match twolists::demo::load_into_empty(&state.db, &state.taxonomy).await? {
                    Some(loaded) => {
                        state.index.reload().await?;
                        tracing::info!(?loaded, "loaded the demo data");
                    }
                    None => {
                        // Never silently: the operator asked for demo data and gets none.
                        tracing::warn!(
                            "--demo: the database already holds content; demo data not loaded"
                        );
                        eprintln!(
                            "--demo: the database already holds organizations, so the demo data \
                             was not loaded (use an empty data folder or database for the demo)"
                        );
                    }
                }
            }
            let background = state.spawn_background()?;
            twolists::memory::start_serving();
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            // The bound address, which tells the port when `--addr` asked for port 0.
            let addr = listener.local_addr()?;
            tracing::info!(%addr, backend = ?state.db.backend(), "serving GraphQL at /graphql");
            // On SIGTERM or Ctrl-C: stop accepting, end subscriptions, finish the requests in
            // flight and the e-mail batch in progress, then close the database.
            let stopping = state.clone();
            let server_limits = twolists::server::ServerLimits {
                max_connections: limits.max_connections.max(1),
                header_timeout: std::time::Duration::from_secs(limits.header_timeout_secs.max(1)),
                trust_forwarded_for: limits.trust_forwarded_for,
            };
            twolists::server::serve(listener, state.router(), server_limits, async move {
                shutdown_signal().await;
                tracing::info!("shutting down");
                stopping.begin_shutdown();
            })
            .await;
            background.stop(SHUTDOWN_GRACE).await;
            state.db.close().await;
            tracing::info!("stopped");
        }
        Command::Seed {
            demo,
            synthetic,
            scenarios,
            capabilities,
        } => {
            let state = AppState::start(&config).await?;
            println!("reference data loaded");
            if synthetic {
                let size = twolists::synthetic::Size {
                    scenarios,
                    capabilities,
                };
                let started = std::time::Instant::now();
                match twolists::synthetic::load(&state.db, &state.taxonomy, size).await? {
                    Some(seeded) => println!(
                        "synthetic city written in {:.1?}: {} organizations, {} scenarios, \
                         {} capabilities, {} matches, {} events",
                        started.elapsed(),
                        seeded.organizations,
                        seeded.scenarios,
                        seeded.capabilities,
                        seeded.matches,
                        seeded.events
                    ),
                    None => anyhow::bail!(
                        "the database already holds organizations: a synthetic city needs an empty one"
                    ),
                }
            }
            if demo {
                match twolists::demo::load(&state.db, &state.taxonomy).await? {
                    Some(loaded) => println!(
                        "demo data loaded: {} organizations, {} scenarios, {} capabilities, \
                         {} matches, {} editions",
                        loaded.organizations,
                        loaded.scenarios,
                        loaded.capabilities,
                        loaded.matches,
                        loaded.editions
                    ),
                    None => println!("demo data already present"),
                }
            }
        }
        Command::Backup { to } => {
            let url = config.database_url();
            if db::Backend::of_url(&url) == Some(db::Backend::Postgres) {
                anyhow::bail!(db::BackupError::Postgres);
            }
            if config.database_url.is_none() && !Db::sqlite_path(&config.data_dir).exists() {
                anyhow::bail!(
                    "数据目录 {} 中没有数据库，没有可备份的内容",
                    config.data_dir.display()
                );
            }
            let db = Db::connect(&url).await?;
            let size = db.backup_to(&to).await;
            db.close().await;
            println!("已备份到 {}（{} 字节）", to.display(), size?);
        }
        Command::Migrate => {
            twolists::app::prepare_data_dir(&config)?;
            let db = Db::connect(&config.database_url()).await?;
            db.migrate().await?;
            println!("migrations applied");
        }
        Command::Import {
            what: ImportCommand::Scenarios { file, unit, by },
        } => {
            let state = AppState::start(&config).await?;
            let result = twolists::import::command::scenarios(
                &state.db,
                &state.taxonomy,
                &file,
                &unit,
                by.as_deref(),
            )
            .await;
            state.db.close().await;
            result?;
        }
        Command::CreateAdmin {
            email,
            password,
            name,
            region,
        } => {
            let state = AppState::start(&config).await?;
            let region = region.as_deref().map(str::trim);
            let user = auth::create_staff(&state.db, &email, &password, &name, region).await?;
            match region {
                Some(region) => println!(
                    "created county manager {} of {region} ({})",
                    user.email, user.id
                ),
                None => println!("created admin {} ({})", user.email, user.id),
            }
        }
        Command::ExportSchema => print!("{}", graphql::sdl()),
        Command::BenchMatch {
            capabilities,
            scenarios,
            queries,
        } => bench_match(capabilities, scenarios, queries)?,
        Command::SearchEval { file, hits } => search_eval(&config, &file, hits)?,
        Command::MatchEval {
            file,
            baseline,
            ablate,
            degree,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let set: twolists::matching::eval::EvalSet =
                serde_json::from_str(&text).context("parsing the evaluation set")?;
            let started = std::time::Instant::now();
            let metrics = match baseline {
                None => twolists::matching::eval::evaluate(
                    &set,
                    twolists::taxonomy::Taxonomy::bundled().matching_world(),
                    Some(config.word_vectors()?),
                ),
                Some(Baseline::Bm25) => twolists::matching::eval::evaluate_bm25(&set),
            };
            println!(
                "{}: {} scenarios, {} capabilities, {} judgments, {:.1?}",
                set.name.as_deref().unwrap_or("set"),
                set.scenarios.len(),
                set.capabilities.len(),
                set.judgments.len(),
                started.elapsed()
            );
            println!("{metrics}");
            if ablate {
                let world = twolists::taxonomy::Taxonomy::bundled().matching_world();
                println!("\n| ranking | nDCG@10 | MRR | recall@20 |\n|---|---|---|---|");
                let vectors = Some(config.word_vectors()?);
                for (what, m) in twolists::matching::eval::ablation(&set, world, vectors) {
                    println!(
                        "| {what} | {:.4} | {:.4} | {:.4} |",
                        m.ndcg10, m.mrr, m.recall20
                    );
                }
            }
            if degree {
                print_degree(&config, &set)?;
            }
        }
    }
    Ok(())
}

/// The match degree on a labelled set: its bands against the share of pairs that fit, and the
/// model a fit on this set gives.
fn print_degree(config: &Config, set: &twolists::matching::eval::EvalSet) -> anyhow::Result<()> {
    use twolists::matching::degree::{CALIBRATION, Calibration, reliability};
    let world = twolists::taxonomy::Taxonomy::bundled().matching_world();
    let samples =
        twolists::matching::eval::degree_samples(set, world, Some(config.word_vectors()?));
    let fits = samples.iter().filter(|(_, fits)| *fits).count();
    let (bands, brier) = reliability(&samples, &CALIBRATION);
    println!(
        "\nmatch degree: {} pairs, {fits} of them fit (grade 2 or 3); Brier score {brier:.4}",
        samples.len()
    );
    println!("\n| degree | pairs | mean degree | pairs that fit |\n|---|---|---|---|");
    for band in bands {
        if band.pairs == 0 {
            println!("| {}–{} | 0 | | |", band.low, band.high);
        } else {
            println!(
                "| {}–{} | {} | {:.0} | {:.0}% |",
                band.low, band.high, band.pairs, band.mean_degree, band.fit_percent
            );
        }
    }
    let fitted = Calibration::fit(&samples);
    let (_, fitted_brier) = reliability(&samples, &fitted);
    println!(
        "\nfitted on this set (Brier score {fitted_brier:.4}): intercept {:.2}, text {:.2}, \
         meaning {:.2}, fit {:.2}",
        fitted.intercept, fitted.text, fitted.meaning, fitted.fit
    );
    Ok(())
}

fn search_eval(config: &Config, file: &std::path::Path, show_hits: bool) -> anyhow::Result<()> {
    use twolists::matching::search_eval;
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    };
    let set: search_eval::SearchSet =
        serde_json::from_str(&read(file)?).context("parsing the search set")?;
    let corpus_path = file
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(&set.corpus);
    let corpus: search_eval::Corpus =
        serde_json::from_str(&read(&corpus_path)?).context("parsing the corpus")?;
    println!(
        "{}: {} queries over {} scenarios and {} capabilities",
        set.name.as_deref().unwrap_or("set"),
        set.queries.len(),
        corpus.scenarios.len(),
        corpus.capabilities.len()
    );
    println!(
        "\n| search | nDCG@5 | first hit right | precision@10 | recall |\n|---|---|---|---|---|"
    );
    let world = twolists::taxonomy::Taxonomy::bundled().matching_world();
    let vectors = Some(config.word_vectors()?);
    for (what, m) in search_eval::ablation(&set, &corpus, world.clone(), vectors.clone()) {
        println!(
            "| {what} | {:.4} | {:.4} | {:.4} | {:.4} |",
            m.ndcg5, m.first_right, m.precision10, m.recall
        );
    }
    if show_hits {
        for q in search_eval::hits(&set, &corpus, world, vectors, 1000) {
            println!("\n{} ({:?})", q.query.query, q.query.list);
            for (title, grade, score) in q.hits.iter().take(10) {
                let grade = if *grade > 0 {
                    grade.to_string()
                } else {
                    "-".into()
                };
                println!("  {grade} {score:>6.3} {title}");
            }
            let mut missed: Vec<&String> = q
                .query
                .relevant
                .keys()
                .filter(|title| !q.hits.iter().any(|(t, _, _)| t == *title))
                .collect();
            missed.sort();
            for title in missed {
                println!("  missed: {title}");
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Resident memory of this process in bytes (Linux), for the benchmark's memory figure.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn bench_match(capabilities: usize, scenarios: usize, queries: usize) -> anyhow::Result<()> {
    use twolists::matching::bench;
    let taxonomy = twolists::taxonomy::Taxonomy::bundled();
    let corpus = twolists::demo::corpus()?;
    let before = resident_bytes();
    let report = bench::run(
        taxonomy.matching_world(),
        &corpus,
        capabilities,
        scenarios,
        queries,
    );
    let after = resident_bytes();
    println!(
        "synthetic city: {} capabilities, {} scenarios",
        report.capabilities, report.scenarios
    );
    println!(
        "index build: {:.2?} (meaning vectors {:.2?} of it)",
        report.build, report.meaning_build
    );
    println!(
        "index memory: {:.0} MiB (estimated; {:.0} MiB of it meaning vectors, besides {:.0} MiB of word vectors){}",
        report.index_bytes as f64 / 1_048_576.0,
        report.meaning_bytes as f64 / 1_048_576.0,
        report.vector_bytes as f64 / 1_048_576.0,
        match (before, after) {
            (Some(b), Some(a)) => format!(
                ", process resident {:.0} MiB",
                a.max(b) as f64 / 1_048_576.0
            ),
            _ => String::new(),
        }
    );
    println!(
        "rank capabilities for a scenario, top 20, {} queries: p50 {:.2?}  p95 {:.2?}  max {:.2?}",
        report.queries, report.p50, report.p95, report.max
    );
    println!(
        "rank scenarios for a capability, top 20: p50 {:.2?}  p95 {:.2?}",
        report.reverse_p50, report.reverse_p95
    );
    println!(
        "rank capabilities without the meaning signal: p50 {:.2?}  p95 {:.2?}",
        report.plain_p50, report.plain_p95
    );
    println!(
        "free-text search over the capabilities, all hits: p50 {:.2?}  p95 {:.2?}",
        report.search_p50, report.search_p95
    );
    println!(
        "free-text search for words no capability contains (neighbour words and meaning): p50 {:.2?}  p95 {:.2?}",
        report.meaning_search_p50, report.meaning_search_p95
    );
    Ok(())
}
