-- Full-text search over tickets: title, description and public replies
-- (internal notes stay out, since requesters search too), in
-- an FTS5 table whose rowid is the ticket id, kept current by triggers.
-- SQLite has no French stemmer: words match whole, accents folded
-- (remove_diacritics), and the last word of a query as a prefix.

CREATE VIRTUAL TABLE ticket_search USING fts5(
    title,
    body,
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
    UPDATE ticket_search
    SET title = new.title,
        body = new.description || ' ' || COALESCE((SELECT group_concat(c.body, ' ') FROM ticket_comments c WHERE c.ticket_id = new.id AND c.public = 1), '')
    WHERE rowid = new.id;
END;

CREATE TRIGGER ticket_search_comment AFTER INSERT ON ticket_comments WHEN new.public = 1 BEGIN
    UPDATE ticket_search SET body = body || ' ' || new.body WHERE rowid = new.ticket_id;
END;
