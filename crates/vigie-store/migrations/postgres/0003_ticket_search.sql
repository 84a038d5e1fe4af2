-- Full-text search over tickets: title, description and public replies
-- (internal notes stay out, since requesters search too), as a
-- tsvector per ticket stemmed both in French and in English, kept current
-- by triggers, with a GIN index.

CREATE TABLE ticket_search (
    ticket_id  BIGINT   PRIMARY KEY REFERENCES tickets (id),
    doc        tsvector NOT NULL
);
CREATE INDEX ticket_search_doc ON ticket_search USING GIN (doc);

CREATE FUNCTION ticket_search_doc(ticket BIGINT) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('french', t.title), 'A') || setweight(to_tsvector('english', t.title), 'A')
        || to_tsvector('french', t.description || ' ' || COALESCE(string_agg(c.body, ' '), ''))
        || to_tsvector('english', t.description || ' ' || COALESCE(string_agg(c.body, ' '), ''))
    FROM tickets t LEFT JOIN ticket_comments c ON c.ticket_id = t.id AND c.public
    WHERE t.id = ticket
    GROUP BY t.id, t.title, t.description
$$;

INSERT INTO ticket_search (ticket_id, doc) SELECT id, ticket_search_doc(id) FROM tickets;

CREATE FUNCTION ticket_search_store(ticket BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ticket_search (ticket_id, doc) VALUES (ticket, ticket_search_doc(ticket))
    ON CONFLICT (ticket_id) DO UPDATE SET doc = EXCLUDED.doc
$$;

CREATE FUNCTION ticket_search_from_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_search_store(NEW.id);
    RETURN NULL;
END
$$;

CREATE FUNCTION ticket_search_from_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_search_store(NEW.ticket_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_search_from_ticket();
CREATE TRIGGER ticket_search_update AFTER UPDATE OF title, description ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_search_from_ticket();
CREATE TRIGGER ticket_search_comment AFTER INSERT ON ticket_comments
    FOR EACH ROW WHEN (NEW.public) EXECUTE FUNCTION ticket_search_from_comment();
