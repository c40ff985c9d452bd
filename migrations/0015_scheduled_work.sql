-- Scheduled work: one row per job, leased by the instance that runs it (jobs.rs).
CREATE TABLE scheduled_jobs (
    name         TEXT PRIMARY KEY,
    next_run_at  TEXT NOT NULL,
    holder       TEXT,
    leased_until TEXT,
    last_run_at  TEXT
);

-- The deadline reminders sent: at most one per scenario and deadline (an extended deadline is
-- reminded of again).
CREATE TABLE deadline_reminders (
    scenario_id TEXT NOT NULL REFERENCES scenarios (id),
    deadline    TEXT NOT NULL,
    sent_at     TEXT NOT NULL,
    PRIMARY KEY (scenario_id, deadline)
);
