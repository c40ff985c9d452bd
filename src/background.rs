//! The work the service does by itself, on a schedule (README, "Scheduled work"): each job is
//! leased in the database (`jobs`), so that several instances on one PostgreSQL run it once, and
//! it runs on the service's [`Clock`], which tests set and move on.
//!
//! | job | when | what |
//! |---|---|---|
//! | `deadlines` | every ten minutes | closes published scenarios past their deadline; reminds units and partners of deadlines near; closes the registration of events past their registration deadline |
//! | `housekeeping` | every ten minutes | forgets spent rate-limit counters; refreshes the query planner's statistics |
//! | `alerts` | every minute | checks newly published items against the saved searches |
//! | `daily-digest` | daily at the digest hour | each user's digest of what their saved searches found |
//! | `weekly-recommendations` | Mondays at the digest hour | each enterprise's digest of new scenarios recommending its capabilities |

use std::sync::Arc;

use chrono::Duration;
use tokio::sync::watch;

use crate::auth::JwtKeys;
use crate::clock::Clock;
use crate::db::Db;
use crate::jobs::{self, Schedule};
use crate::search::LiveIndex;
use crate::taxonomy::Taxonomy;
use crate::{activities, alerts, auth, scenarios};

/// How long a run keeps other instances off a job: longer than any run takes. A run cut short
/// (the process died) leaves the job to the next instance that looks after this long.
const LEASE: Duration = Duration::minutes(15);

/// What the scheduled work needs to know of the configuration.
#[derive(Clone, Debug)]
pub struct ScheduleSettings {
    /// Days before a scenario's deadline that its unit and partners are reminded.
    pub reminder_days: u32,
    /// How often an instance looks for due jobs.
    pub poll_interval: std::time::Duration,
    /// The hour (China time) of the daily digest, and on Mondays of the weekly one.
    pub digest_hour: u32,
}

/// The jobs, by name.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Job {
    Deadlines,
    Housekeeping,
    Alerts,
    DailyDigest,
    WeeklyRecommendations,
}

impl Job {
    /// In the order they run when several are due: the finds before the digest that carries
    /// them.
    const ALL: [Job; 5] = [
        Job::Deadlines,
        Job::Housekeeping,
        Job::Alerts,
        Job::DailyDigest,
        Job::WeeklyRecommendations,
    ];

    fn name(self) -> &'static str {
        match self {
            Job::Deadlines => "deadlines",
            Job::Housekeeping => "housekeeping",
            Job::Alerts => "alerts",
            Job::DailyDigest => "daily-digest",
            Job::WeeklyRecommendations => "weekly-recommendations",
        }
    }

    fn schedule(self, settings: &ScheduleSettings) -> Schedule {
        match self {
            Job::Deadlines | Job::Housekeeping => Schedule::Every(Duration::minutes(10)),
            Job::Alerts => Schedule::Every(Duration::minutes(1)),
            Job::DailyDigest => Schedule::Daily {
                hour: settings.digest_hour,
            },
            Job::WeeklyRecommendations => Schedule::Weekly {
                weekday: chrono::Weekday::Mon,
                hour: settings.digest_hour,
            },
        }
    }
}

/// Runs the scheduled jobs.
#[derive(Clone)]
pub struct Scheduler {
    db: Db,
    index: Arc<LiveIndex>,
    taxonomy: Arc<Taxonomy>,
    jwt: Arc<JwtKeys>,
    clock: Clock,
    settings: ScheduleSettings,
}

/// What the jobs work with.
pub struct Resources {
    pub db: Db,
    pub index: Arc<LiveIndex>,
    pub taxonomy: Arc<Taxonomy>,
    pub jwt: Arc<JwtKeys>,
}

impl Scheduler {
    pub fn new(resources: Resources, clock: Clock, settings: ScheduleSettings) -> Self {
        Scheduler {
            db: resources.db,
            index: resources.index,
            taxonomy: resources.taxonomy,
            jwt: resources.jwt,
            clock,
            settings,
        }
    }

    /// The clock the jobs run on.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Runs every job that is due now and that no other instance holds; the names of those that
    /// ran and finished.
    pub async fn run_due(&self) -> Vec<&'static str> {
        let mut ran = Vec::new();
        for job in Job::ALL {
            let now = self.clock.now();
            let schedule = job.schedule(&self.settings);
            let claim = match jobs::claim(&self.db, job.name(), schedule, now, LEASE).await {
                Ok(Some(claim)) => claim,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, job = job.name(), "taking a scheduled job failed");
                    continue;
                }
            };
            match self.run(job, &claim).await {
                Ok(()) => match jobs::finish(&self.db, &claim, schedule, self.clock.now()).await {
                    Ok(true) => ran.push(job.name()),
                    Ok(false) => {
                        tracing::warn!(job = job.name(), "a scheduled job outlived its lease");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, job = job.name(), "ending a scheduled job failed");
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, job = job.name(), "a scheduled job failed");
                    if let Err(e) = jobs::release(&self.db, &claim).await {
                        tracing::warn!(error = %e, job = job.name(), "releasing a scheduled job failed");
                    }
                }
            }
        }
        ran
    }

    async fn run(&self, job: Job, claim: &jobs::Claim) -> anyhow::Result<()> {
        match job {
            Job::Deadlines => {
                let today = self.clock.today_in_china();
                let closed =
                    scenarios::service::close_expired(&self.db, &self.index, today).await?;
                if !closed.is_empty() {
                    tracing::info!(
                        closed = closed.len(),
                        "closed scenarios past their deadline"
                    );
                }
                let reminded = scenarios::service::remind_deadlines(
                    &self.db,
                    today,
                    self.settings.reminder_days,
                )
                .await?;
                if reminded > 0 {
                    tracing::info!(reminded, "reminded of deadlines near");
                }
                let events =
                    activities::service::close_past_registration(&self.db, self.clock.now())
                        .await?;
                if events > 0 {
                    tracing::info!(
                        events,
                        "closed the registration of events at their deadline"
                    );
                }
            }
            Job::Housekeeping => {
                auth::limits::sweep(&self.db).await?;
                self.db.refresh_statistics().await?;
            }
            Job::Alerts => {
                let found =
                    alerts::service::check_new_items(&self.db, &self.taxonomy, &self.index).await?;
                if found > 0 {
                    tracing::info!(found, "saved searches found newly published items");
                }
            }
            Job::DailyDigest => {
                // The day of the slot, also when it runs late: a run after downtime sends that
                // day's digest, once.
                let day = claim
                    .due_at
                    .with_timezone(&crate::clock::china())
                    .date_naive()
                    .to_string();
                let sent = alerts::service::send_daily_digests(
                    &self.db,
                    &self.jwt,
                    &day,
                    self.clock.now(),
                )
                .await?;
                tracing::info!(sent, day, "sent the daily digests of saved searches");
            }
            Job::WeeklyRecommendations => {
                let week = alerts::service::week_of(claim.due_at);
                let sent = alerts::service::send_weekly_recommendations(
                    &self.db,
                    &self.index,
                    &self.jwt,
                    claim.due_at - Duration::days(7),
                    &week,
                    self.clock.now(),
                )
                .await?;
                tracing::info!(sent, week, "sent the weekly recommendations");
            }
        }
        Ok(())
    }

    /// Looks for due jobs at start and then every poll interval, until `stop` turns true.
    pub async fn run_until_stopped(self, mut stop: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(self.settings.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
            self.run_due().await;
        }
    }
}
