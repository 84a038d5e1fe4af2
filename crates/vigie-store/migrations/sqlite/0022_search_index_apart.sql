-- The full-text index moves to a database file of its own, written by a
-- connection of its own beside the main writer (see search_index.rs): a
-- transaction that makes or changes a ticket's text only notes the ticket
-- here, and the index catches up from these rows. The ids only grow
-- (AUTOINCREMENT), so the index file's mark of the last row it holds
-- stays true after rows are cleared. The new index file is built from
-- every ticket when the store opens.

DROP TABLE main.ticket_search;

CREATE TABLE search_pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL
);
