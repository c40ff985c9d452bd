-- Saved searches and their alerts (src/alerts).

-- A user's saved search of one list, with the list's filter as JSON (as the API takes it).
CREATE TABLE saved_searches (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    list       TEXT NOT NULL,
    name       TEXT NOT NULL,
    filter     TEXT NOT NULL,
    frequency  TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX saved_searches_user ON saved_searches (user_id, created_at, id);
CREATE INDEX saved_searches_list ON saved_searches (list);

-- Items newly published, written in the publishing transaction; the alerts job checks them
-- against the saved searches and removes them.
CREATE TABLE alert_queue (
    item_type TEXT NOT NULL,
    item_id   TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    PRIMARY KEY (item_type, item_id)
);

-- What a saved search found; digest_id once it went out in a daily digest.
CREATE TABLE saved_search_hits (
    saved_search_id TEXT NOT NULL REFERENCES saved_searches (id),
    item_type       TEXT NOT NULL,
    item_id         TEXT NOT NULL,
    found_at        TEXT NOT NULL,
    digest_id       TEXT,
    PRIMARY KEY (saved_search_id, item_id)
);
CREATE INDEX saved_search_hits_pending ON saved_search_hits (digest_id, saved_search_id);

-- The digests sent: at most one per user, kind and period (a day, or a week), whichever instance
-- runs the job and however often.
CREATE TABLE digests (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind    TEXT NOT NULL,
    period  TEXT NOT NULL,
    items   BIGINT NOT NULL,
    sent_at TEXT NOT NULL,
    UNIQUE (user_id, kind, period)
);

-- Unsubscribe links used (SHA-256 of the token): each works once.
CREATE TABLE used_links (
    token_hash TEXT PRIMARY KEY,
    used_at    TEXT NOT NULL
);
