-- The two lists: scenarios (机会清单), capabilities (能力清单), their public codes and the numbered
-- editions in which they are published.

-- Public codes JZ-JH-<year>-<seq> and JZ-NL-<year>-<seq>: one counter per prefix and year, bumped
-- inside the approving transaction, so codes are gapless in order of approval and never reused.
CREATE TABLE code_counters (
    prefix TEXT NOT NULL,
    year   BIGINT NOT NULL,
    last   BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE scenarios (
    id                TEXT PRIMARY KEY,
    code              TEXT UNIQUE,
    org_id            TEXT NOT NULL REFERENCES organizations (id),
    created_by        TEXT NOT NULL REFERENCES users (id),
    title             TEXT NOT NULL,
    summary           TEXT NOT NULL,
    description       TEXT NOT NULL,
    category          TEXT NOT NULL,
    industry_codes    TEXT NOT NULL,   -- comma-separated, in the owner's order
    tags              TEXT NOT NULL,   -- JSON array of strings
    region_code       TEXT NOT NULL REFERENCES regions (code),
    budget_min        BIGINT,
    budget_max        BIGINT,
    cooperation_modes TEXT NOT NULL,   -- comma-separated
    maturity_required BIGINT,
    deadline          TEXT,            -- YYYY-MM-DD
    contact_name      TEXT,
    contact_phone     TEXT,
    contact_email     TEXT,
    status            TEXT NOT NULL,
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    submitted_at      TEXT,
    published_at      TEXT
);
CREATE INDEX scenarios_status_published ON scenarios (status, published_at);
CREATE INDEX scenarios_status_submitted ON scenarios (status, submitted_at);
CREATE INDEX scenarios_org ON scenarios (org_id, updated_at);

-- Industry filters ("MT" matches MT01…MT06) read this table; the row keeps the list for display.
CREATE TABLE scenario_industries (
    scenario_id   TEXT NOT NULL REFERENCES scenarios (id),
    industry_code TEXT NOT NULL REFERENCES industries (code),
    PRIMARY KEY (scenario_id, industry_code)
);
CREATE INDEX scenario_industries_code ON scenario_industries (industry_code);

CREATE TABLE capabilities (
    id                   TEXT PRIMARY KEY,
    code                 TEXT UNIQUE,
    org_id               TEXT NOT NULL REFERENCES organizations (id),
    created_by           TEXT NOT NULL REFERENCES users (id),
    title                TEXT NOT NULL,
    summary              TEXT NOT NULL,
    description          TEXT NOT NULL,
    industry_codes       TEXT NOT NULL,
    tags                 TEXT NOT NULL,
    maturity             BIGINT NOT NULL,
    price_min            BIGINT,
    price_max            BIGINT,
    service_region_codes TEXT NOT NULL, -- comma-separated; 140700 = the whole city
    cases                TEXT NOT NULL, -- JSON array of {title, client, year, summary}
    certifications       TEXT NOT NULL, -- JSON array of strings
    contact_name         TEXT,
    contact_phone        TEXT,
    contact_email        TEXT,
    status               TEXT NOT NULL,
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    submitted_at         TEXT,
    listed_at            TEXT
);
CREATE INDEX capabilities_status_listed ON capabilities (status, listed_at);
CREATE INDEX capabilities_status_submitted ON capabilities (status, submitted_at);
CREATE INDEX capabilities_org ON capabilities (org_id, updated_at);

CREATE TABLE capability_industries (
    capability_id TEXT NOT NULL REFERENCES capabilities (id),
    industry_code TEXT NOT NULL REFERENCES industries (code),
    PRIMARY KEY (capability_id, industry_code)
);
CREATE INDEX capability_industries_code ON capability_industries (industry_code);

CREATE TABLE capability_regions (
    capability_id TEXT NOT NULL REFERENCES capabilities (id),
    region_code   TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (capability_id, region_code)
);
CREATE INDEX capability_regions_code ON capability_regions (region_code);

CREATE TABLE editions (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,  -- OPPORTUNITY | CAPABILITY
    year         BIGINT NOT NULL,
    batch        BIGINT NOT NULL,
    title        TEXT NOT NULL,
    status       TEXT NOT NULL,  -- DRAFT | PUBLISHED
    version      BIGINT NOT NULL DEFAULT 1,
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    published_at TEXT,
    UNIQUE (kind, year, batch)
);

-- Membership and order; frozen (with the item's code and title as published) once the edition is.
CREATE TABLE edition_items (
    edition_id TEXT NOT NULL REFERENCES editions (id),
    item_id    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    code       TEXT,
    title      TEXT,
    PRIMARY KEY (edition_id, item_id)
);
CREATE INDEX edition_items_seq ON edition_items (edition_id, seq);
