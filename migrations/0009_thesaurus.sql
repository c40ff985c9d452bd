-- The domain thesaurus that matching and free-text search use: groups of words that name the
-- same need or the same kind of solution (巡检 点检 智能巡检). Administrators edit it; the
-- groups shipped with the service are written once, at the first start (thesaurus_seed).
CREATE TABLE thesaurus_groups (
    id         TEXT PRIMARY KEY,
    -- The heading an administrator files the group under, e.g. 煤矿智能化、洗选.
    topic      TEXT NOT NULL,
    -- The words as entered, separated by single spaces.
    words      TEXT NOT NULL,
    -- The words in lower case, sorted: two groups of the same words are one group.
    word_key   TEXT NOT NULL UNIQUE,
    sort_order BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX thesaurus_groups_order ON thesaurus_groups (sort_order, id);

-- One row once the shipped groups are in: a removed shipped group stays removed.
CREATE TABLE thesaurus_seed (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    seeded_at TEXT NOT NULL
);
