-- The outcome of a landed scenario: when it was recorded, and who delivered it as they were at
-- landing (the capability's id, code and title, and its organization), kept as history the way a
-- published edition keeps its items.

ALTER TABLE scenarios ADD COLUMN outcome_recorded_at TEXT;
ALTER TABLE scenarios ADD COLUMN outcome_capability_id TEXT REFERENCES capabilities (id);
ALTER TABLE scenarios ADD COLUMN outcome_capability_code TEXT;
ALTER TABLE scenarios ADD COLUMN outcome_capability_title TEXT;
ALTER TABLE scenarios ADD COLUMN outcome_org_id TEXT REFERENCES organizations (id);
