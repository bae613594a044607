-- The account a person moved to, set on the account they left.
ALTER TABLE accounts ADD COLUMN moved_to_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL;

-- Other accounts a local person says are also theirs (actor ids): other servers believe a
-- Move from one of them to this account only when this account names it.
CREATE TABLE account_aliases (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    PRIMARY KEY (account_id, alias)
);
