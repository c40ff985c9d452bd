-- Timelines read the events of items by id alone (ids are unique across aggregates): an index
-- that leads with the id, in the timeline's order. Without it each timeline scanned the events.
CREATE INDEX events_by_aggregate_id ON events (aggregate_id, at, id);
