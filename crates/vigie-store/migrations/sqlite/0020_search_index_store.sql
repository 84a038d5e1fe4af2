-- The full-text index of a new ticket, and of a ticket that gets a public
-- reply, is written by the store, with each whitespace-separated piece of
-- the text once: the index keeps which tickets hold each word and nothing
-- else, so repeated words add nothing to it (see vigie-store's
-- search_index). An edit of the title or the description still re-indexes
-- its ticket by trigger.

DROP TRIGGER ticket_search_insert;
DROP TRIGGER ticket_search_comment;
