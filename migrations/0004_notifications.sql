-- Notifications: in-app rows and outgoing e-mail, both written in the transaction of the event
-- that causes them; one-time account tokens; e-mail preferences.

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    read_at      TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
-- The single-process feed reads what was written after its watermark.
CREATE INDEX notifications_created ON notifications (created_at);

-- The transactional outbox. A worker leases due rows (FOR UPDATE SKIP LOCKED on PostgreSQL), sends
-- them and marks them SENT; failures are retried with exponential back-off until FAILED.
CREATE TABLE email_outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_id        TEXT,
    leased_until    TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);

-- E-mail verification and password reset: random tokens stored as SHA-256 hashes, single use.
CREATE TABLE account_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);

-- Which kinds of notification a user also wants by e-mail; no row means yes.
CREATE TABLE email_preferences (
    user_id TEXT NOT NULL REFERENCES users (id),
    kind    TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
