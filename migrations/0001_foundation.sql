-- Portable DDL: runs unchanged on SQLite and PostgreSQL.
-- Ids are UUID v7 text, timestamps are UTC RFC 3339 text with fixed width (sortable as text),
-- flags and counters are BIGINT.

CREATE TABLE regions (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    region_group TEXT,
    cluster      TEXT,
    sort_order   BIGINT NOT NULL
);

CREATE TABLE industries (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES industries (code),
    sort_order  BIGINT NOT NULL
);

CREATE TABLE scenario_categories (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    about      TEXT NOT NULL,
    sort_order BIGINT NOT NULL
);

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    credit_code TEXT UNIQUE,
    region_code TEXT NOT NULL REFERENCES regions (code),
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    verified_at TEXT
);
CREATE INDEX organizations_status_created ON organizations (status, created_at);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    role              TEXT NOT NULL,
    organization_id   TEXT NOT NULL REFERENCES organizations (id),
    email_verified_at TEXT,
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX users_organization ON users (organization_id);

-- Refresh tokens are stored only as SHA-256 hashes. A family is one sign-in: every rotation adds a
-- row to the family, and presenting a used token revokes the whole family.
CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    family_id  TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Every state change of every aggregate: who, when, from, to, note. Timelines read from here.
CREATE TABLE events (
    id             TEXT PRIMARY KEY,
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    action         TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT,
    actor_id       TEXT REFERENCES users (id),
    note           TEXT,
    at             TEXT NOT NULL
);
CREATE INDEX events_aggregate ON events (aggregate_type, aggregate_id, at);
