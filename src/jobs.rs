//! Scheduled jobs, leased in the database (`scheduled_jobs`): each job has one row holding when
//! it is next due and who holds it. An instance that finds a job due takes a lease on it with one
//! guarded `UPDATE` (only one instance can), runs it, and writes the next due time; so several
//! instances on one PostgreSQL run each job once. A service that was down finds its jobs overdue
//! at start and runs each once; what a job sends it records in the same transaction as the
//! e-mail, so that a run repeated after a crash (the lease ran out) sends nothing twice.
//!
//! Slots are read on the clock of China (Asia/Shanghai, UTC+8): a daily job at 8 runs at 08:00
//! in Jinzhong.

use chrono::{DateTime, Datelike as _, Duration, NaiveTime, TimeZone as _, Utc, Weekday};

use crate::clock::china;
use crate::db::{self, Db};

/// When a job is due.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Every so long, counted from the end of the last run.
    Every(Duration),
    /// Every day at the hour (0–23, China time).
    Daily { hour: u32 },
    /// Every week on the day at the hour (China time).
    Weekly { weekday: Weekday, hour: u32 },
}

impl Schedule {
    /// The first time strictly after `t` that the job is due again.
    pub fn next_after(self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Schedule::Every(every) => t + every.max(Duration::seconds(1)),
            Schedule::Daily { hour } => next_slot(t, hour, |_| true),
            Schedule::Weekly { weekday, hour } => next_slot(t, hour, |d| d.weekday() == weekday),
        }
    }

    /// When a job new to the database is first due: at once for a periodic job, at the next slot
    /// for a daily or weekly one.
    pub fn first_due(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Schedule::Every(_) => now,
            _ => self.next_after(now),
        }
    }
}

/// The first `hour`:00 in China strictly after `t` on a day `day_fits`.
fn next_slot(
    t: DateTime<Utc>,
    hour: u32,
    day_fits: impl Fn(chrono::NaiveDate) -> bool,
) -> DateTime<Utc> {
    let local = t.with_timezone(&china());
    let at = NaiveTime::from_hms_opt(hour.min(23), 0, 0).expect("a valid hour");
    let mut day = local.date_naive();
    loop {
        let slot = china()
            .from_local_datetime(&day.and_time(at))
            .single()
            .expect("China has no daylight saving")
            .to_utc();
        if slot > t && day_fits(day) {
            return slot;
        }
        day = day.succ_opt().expect("a date before the end of time");
    }
}

/// A lease on a job, held while it runs.
#[derive(Clone, Debug)]
pub struct Claim {
    pub job: &'static str,
    /// When the run was due: the slot it is for (a day's digest is the day of its slot).
    pub due_at: DateTime<Utc>,
    holder: String,
}

/// Takes the lease on `job` when it is due at `now` and nobody holds it, for `lease`; `None`
/// otherwise. A job new to the database is first written with its first due time.
pub async fn claim(
    db: &Db,
    job: &'static str,
    schedule: Schedule,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<Claim>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO scheduled_jobs (name, next_run_at) VALUES ($1, $2) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(job)
    .bind(db::format_time(schedule.first_due(now)))
    .execute(db.pool())
    .await?;
    let holder = db::new_id();
    let due: Option<String> = sqlx::query_scalar(
        "UPDATE scheduled_jobs SET holder = $1, leased_until = $2 \
         WHERE name = $3 AND next_run_at <= $4 AND (leased_until IS NULL OR leased_until < $4) \
         RETURNING next_run_at",
    )
    .bind(&holder)
    .bind(db::format_time(now + lease))
    .bind(job)
    .bind(db::format_time(now))
    .fetch_optional(db.pool())
    .await?;
    Ok(due.map(|due| Claim {
        job,
        due_at: db::parse_time(&due).unwrap_or(now),
        holder,
    }))
}

/// Ends a run: the job is next due by its schedule after `now`. False when the lease had run out
/// and another instance holds the job now (it then writes the next time itself).
pub async fn finish(
    db: &Db,
    claim: &Claim,
    schedule: Schedule,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let next = schedule.next_after(now.max(claim.due_at));
    let done = sqlx::query(
        "UPDATE scheduled_jobs SET next_run_at = $1, last_run_at = $2, holder = NULL, \
         leased_until = NULL WHERE name = $3 AND holder = $4",
    )
    .bind(db::format_time(next))
    .bind(db::format_time(now))
    .bind(claim.job)
    .bind(&claim.holder)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a failed run's lease back: the job stays due and is tried again at the next look.
pub async fn release(db: &Db, claim: &Claim) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE scheduled_jobs SET holder = NULL, leased_until = NULL \
         WHERE name = $1 AND holder = $2",
    )
    .bind(claim.job)
    .bind(&claim.holder)
    .execute(db.pool())
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn daily_slots_are_read_in_china() {
        let daily = Schedule::Daily { hour: 8 };
        // 23:30 UTC on 1 December is 07:30 on 2 December in Jinzhong.
        assert_eq!(
            daily.next_after(at("2026-12-01T23:30:00Z")),
            at("2026-12-02T00:00:00Z")
        );
        // At the slot itself, the next one is a day later.
        assert_eq!(
            daily.next_after(at("2026-12-02T00:00:00Z")),
            at("2026-12-03T00:00:00Z")
        );
        assert_eq!(
            daily.first_due(at("2026-12-02T03:00:00Z")),
            at("2026-12-03T00:00:00Z")
        );
    }

    #[test]
    fn weekly_slots_fall_on_their_weekday() {
        let weekly = Schedule::Weekly {
            weekday: Weekday::Mon,
            hour: 9,
        };
        // 2 December 2026 is a Wednesday; the next Monday is the 7th, 09:00 in China.
        assert_eq!(
            weekly.next_after(at("2026-12-02T12:00:00Z")),
            at("2026-12-07T01:00:00Z")
        );
        assert_eq!(
            weekly.next_after(at("2026-12-07T01:00:00Z")),
            at("2026-12-14T01:00:00Z")
        );
    }

    #[test]
    fn a_periodic_job_is_due_at_once_then_every_period() {
        let every = Schedule::Every(Duration::minutes(10));
        let now = at("2026-12-02T12:00:00Z");
        assert_eq!(every.first_due(now), now);
        assert_eq!(every.next_after(now), at("2026-12-02T12:10:00Z"));
    }
}
