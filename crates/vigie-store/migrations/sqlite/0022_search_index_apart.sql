-- The full-text index moves to a database file of its own, written by a
-- connection of its own beside the main writer (see search_index.rs): a
-- transaction that makes or changes a ticket's indexed text (a new ticket,
-- a new title or description, a public reply) only notes the ticket here,
-- by the triggers below, and the index catches up from these rows. The
-- ids only grow (AUTOINCREMENT), so the index file's mark of the last row
-- it holds stays true after rows are cleared. The new index file is built
-- from every ticket when the store opens.

DROP TABLE main.ticket_search;

CREATE TABLE search_pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL
);

CREATE TRIGGER search_pending_ticket AFTER INSERT ON tickets BEGIN
    INSERT INTO search_pending (ticket_id) VALUES (new.id);
END;

CREATE TRIGGER search_pending_text AFTER UPDATE OF title, description ON tickets
WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
    INSERT INTO search_pending (ticket_id) VALUES (new.id);
END;

CREATE TRIGGER search_pending_reply AFTER INSERT ON ticket_comments WHEN new.public = 1 BEGIN
    INSERT INTO search_pending (ticket_id) VALUES (new.ticket_id);
END;
