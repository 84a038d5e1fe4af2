-- SQLite's full-text index moves to a file of its own (see the SQLite
-- migration of the same name); PostgreSQL keeps its index by trigger, in
-- the transaction, and nothing changes here.

SELECT 1;
