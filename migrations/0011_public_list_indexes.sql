-- The public lists' default order, newest first, each served by a partial index over the
-- statuses the list shows by default (the queries name them as literals, in this order, so
-- that both databases see that the index applies).
CREATE INDEX scenarios_open_newest ON scenarios (published_at DESC, id DESC)
    WHERE status IN ('MATCHING', 'PUBLISHED');
CREATE INDEX capabilities_public_newest ON capabilities (listed_at DESC, id DESC)
    WHERE status IN ('FEATURED', 'LISTED');
