-- FTS5 merges a level's segments once `automerge` of them pile up (4 by
-- default); merging at 8 rewrites each word's list of tickets half as
-- often, for a few more segments read by a search.
INSERT INTO ticket_search (ticket_search, rank) VALUES ('automerge', 8);
