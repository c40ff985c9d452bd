-- 对接活动: matchmaking events (release meetings, roadshows, matchmaking sessions), their agenda
-- of scenarios, and the registrations of enterprises (src/activities).

CREATE TABLE matchmaking_events (
    id                    TEXT PRIMARY KEY,
    title                 TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    description           TEXT NOT NULL,
    starts_at             TEXT NOT NULL,
    ends_at               TEXT NOT NULL,
    place                 TEXT,
    online_url            TEXT,
    region_code           TEXT NOT NULL REFERENCES regions (code),
    capacity              BIGINT NOT NULL,
    -- Registrations accepted now: the guard of the capacity (UPDATE … WHERE accepted < capacity).
    accepted              BIGINT NOT NULL DEFAULT 0,
    registration_deadline TEXT NOT NULL,
    status                TEXT NOT NULL,
    organizer_id          TEXT NOT NULL REFERENCES users (id),
    version               BIGINT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX matchmaking_events_list ON matchmaking_events (status, starts_at, id);

CREATE TABLE event_agenda (
    event_id    TEXT NOT NULL REFERENCES matchmaking_events (id),
    scenario_id TEXT NOT NULL REFERENCES scenarios (id),
    position    BIGINT NOT NULL,
    PRIMARY KEY (event_id, scenario_id)
);

CREATE TABLE event_registrations (
    id            TEXT PRIMARY KEY,
    event_id      TEXT NOT NULL REFERENCES matchmaking_events (id),
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    registered_by TEXT NOT NULL REFERENCES users (id),
    capability_id TEXT NOT NULL REFERENCES capabilities (id),
    -- The agenda scenarios the enterprise comes for, as a JSON array of ids.
    scenario_ids  TEXT NOT NULL,
    note          TEXT NOT NULL,
    status        TEXT NOT NULL,
    -- When it was put on the waiting list: the order of promotion.
    waitlisted_at TEXT,
    decision_note TEXT,
    version       BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- One live registration per organization and event, also under concurrent requests.
CREATE UNIQUE INDEX event_registrations_live ON event_registrations (event_id, org_id)
    WHERE status IN ('PENDING', 'ACCEPTED', 'WAITLISTED');
CREATE INDEX event_registrations_event ON event_registrations (event_id, created_at, id);
