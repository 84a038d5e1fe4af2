-- SQLite's full-text index merge setting (see the SQLite migration of
-- the same name); nothing changes here.

SELECT 1;
