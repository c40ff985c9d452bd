-- Fixed-window counters of sensitive requests, shared by every instance: the key names the
-- operation and the client address (`login:203.0.113.7`), with the window's start and its hits.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    hits         BIGINT NOT NULL
);

-- Failed sign-ins per address tried: after a few, each next try must wait longer (never a
-- lock-out: the owner can always sign in after the wait, or reset the password).
CREATE TABLE login_failures (
    email          TEXT PRIMARY KEY,
    failures       BIGINT NOT NULL,
    last_failed_at TEXT NOT NULL
);
