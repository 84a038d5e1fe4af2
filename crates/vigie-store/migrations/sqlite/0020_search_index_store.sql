-- The full-text index is written by the store: a new ticket's row, and
-- the row of a ticket whose text changed (a public reply, an edit of its
-- title or description) written anew from the tables, each
-- whitespace-separated piece of the text once. The index keeps which
-- tickets hold each word and nothing else, so repeated words add nothing
-- to it (see vigie-store's search_index).

DROP TRIGGER ticket_search_insert;
DROP TRIGGER ticket_search_update;
DROP TRIGGER ticket_search_comment;
