-- Matches (对接): a scenario × capability pair carried from proposal to a landed case.

CREATE TABLE matches (
    id               TEXT PRIMARY KEY,
    scenario_id      TEXT NOT NULL REFERENCES scenarios (id),
    capability_id    TEXT NOT NULL REFERENCES capabilities (id),
    origin           TEXT NOT NULL,   -- APPLICATION | INVITATION | RECOMMENDATION
    initiator_org_id TEXT NOT NULL REFERENCES organizations (id),
    initiator_id     TEXT NOT NULL REFERENCES users (id),
    status           TEXT NOT NULL,
    -- 1 while the match is live (PROPOSED … LANDED); one live match per pair.
    live             BIGINT NOT NULL,
    score            DOUBLE PRECISION NOT NULL,
    reasons          TEXT NOT NULL,   -- JSON: the engine's reasons when it was proposed
    pitch            TEXT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX matches_one_live_per_pair ON matches (scenario_id, capability_id) WHERE live = 1;
CREATE INDEX matches_scenario ON matches (scenario_id, status);
CREATE INDEX matches_capability ON matches (capability_id, status);

CREATE TABLE match_messages (
    id         TEXT PRIMARY KEY,
    match_id   TEXT NOT NULL REFERENCES matches (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX match_messages_match ON match_messages (match_id, created_at);

ALTER TABLE scenarios ADD COLUMN outcome_summary TEXT;
ALTER TABLE scenarios ADD COLUMN outcome_investment BIGINT;
ALTER TABLE scenarios ADD COLUMN completed_on TEXT;
