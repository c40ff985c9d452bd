-- The outcome of a landed scenario: when it was recorded and which capability delivered it.

ALTER TABLE scenarios ADD COLUMN outcome_recorded_at TEXT;
ALTER TABLE scenarios ADD COLUMN outcome_capability_id TEXT REFERENCES capabilities (id);
