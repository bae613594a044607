-- Failed sign-ins, counted per name tried and per client address, so that guessing passwords
-- gets slower with each failure, on every node alike. A success clears the name's count.
CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at TIMESTAMP NOT NULL
);
-- Lapsed counts are swept by age.
CREATE INDEX sign_in_failures_age ON sign_in_failures (last_at);
