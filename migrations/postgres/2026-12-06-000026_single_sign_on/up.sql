-- Which person of the organisation's identity provider (issuer and subject) each local login
-- is: sign-in through the provider finds the account by these, never by name or email.
CREATE TABLE sso_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_sign_in_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- Sign-ins sent to the provider and not back yet: the PKCE verifier and nonce that the answer
-- must match, the browser that started it, and where to go after. Kept for minutes.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    next TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
