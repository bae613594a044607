DROP INDEX accounts_suspended;
