-- The match degree (0–100) of a match when it was proposed: the same from either side, unlike
-- the ranking score beside it. Null for matches proposed before it existed or for pairs the
-- engine could not weigh.
ALTER TABLE matches ADD COLUMN match_degree BIGINT;
