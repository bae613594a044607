-- Which of a list's authors are suspended is asked for every page shown: few accounts
-- are, so a search of this small index per author replaces one of the whole primary key.
CREATE INDEX accounts_suspended ON accounts (id) WHERE suspended;
