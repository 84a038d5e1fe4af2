-- The full-text index holds which tickets hold each word, and nothing
-- more: the searches ask only for words (each one quoted, the last as a
-- prefix), never for phrases, columns or an order by relevance, and never
-- read the indexed text back (the tickets and comments tables hold it).
-- So the index keeps no copy of the text (contentless, rows deleted by
-- rowid) and no word positions (detail=none), which makes writing a long
-- description or reply several times cheaper. A public reply re-indexes
-- its ticket from the tables (there is no old text to take out).

DROP TRIGGER ticket_search_insert;
DROP TRIGGER ticket_search_update;
DROP TRIGGER ticket_search_comment;
DROP TABLE ticket_search;

CREATE VIRTUAL TABLE ticket_search USING fts5(
    title,
    body,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO ticket_search (rowid, title, body)
SELECT t.id, t.title,
       t.description || ' ' || COALESCE((SELECT group_concat(c.body, ' ') FROM ticket_comments c WHERE c.ticket_id = t.id AND c.public = 1), '')
FROM tickets t;

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, title, body) VALUES (new.id, new.title, new.description);
END;

CREATE TRIGGER ticket_search_update AFTER UPDATE OF title, description ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = new.id;
    INSERT INTO ticket_search (rowid, title, body)
    SELECT new.id, new.title,
           new.description || ' ' || COALESCE((SELECT group_concat(c.body, ' ') FROM ticket_comments c WHERE c.ticket_id = new.id AND c.public = 1), '');
END;

CREATE TRIGGER ticket_search_comment AFTER INSERT ON ticket_comments WHEN new.public = 1 BEGIN
    DELETE FROM ticket_search WHERE rowid = new.ticket_id;
    INSERT INTO ticket_search (rowid, title, body)
    SELECT t.id, t.title,
           t.description || ' ' || COALESCE((SELECT group_concat(c.body, ' ') FROM ticket_comments c WHERE c.ticket_id = t.id AND c.public = 1), '')
    FROM tickets t WHERE t.id = new.ticket_id;
END;
