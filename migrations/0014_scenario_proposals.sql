-- Scenarios proposed by enterprises (反向挖掘): what problem, where, which unit it concerns if
-- known, and why the proposer's capability fits. The addressee (the unit, else the county
-- managers of the region, else the city) adopts it into a DISCOVERED scenario or declines it.
CREATE TABLE scenario_proposals (
    id              TEXT PRIMARY KEY,
    proposer_org_id TEXT NOT NULL REFERENCES organizations (id),
    proposed_by     TEXT NOT NULL REFERENCES users (id),
    capability_id   TEXT NOT NULL REFERENCES capabilities (id),
    title           TEXT NOT NULL,
    problem         TEXT NOT NULL,
    region_code     TEXT NOT NULL REFERENCES regions (code),
    unit_id         TEXT REFERENCES organizations (id),
    rationale       TEXT NOT NULL,
    status          TEXT NOT NULL,
    decision_note   TEXT,
    decided_by      TEXT REFERENCES users (id),
    decided_at      TEXT,
    scenario_id     TEXT REFERENCES scenarios (id),
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX scenario_proposals_proposer ON scenario_proposals (proposer_org_id, created_at);
CREATE INDEX scenario_proposals_unit ON scenario_proposals (unit_id, created_at);
CREATE INDEX scenario_proposals_region ON scenario_proposals (region_code, created_at);
CREATE UNIQUE INDEX scenario_proposals_scenario ON scenario_proposals (scenario_id);
