-- SQLite's full-text index moves from triggers to the store (see the
-- SQLite migration of the same name). PostgreSQL's tsvectors are still
-- kept by trigger; nothing changes here.

SELECT 1;
