-- SQLite's full-text index is rebuilt to hold only which tickets hold
-- each word (see the SQLite migration of the same name). PostgreSQL's
-- tsvectors already hold no copy of the text; nothing changes here.

SELECT 1;
