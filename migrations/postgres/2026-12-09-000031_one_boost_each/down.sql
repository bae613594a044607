DROP INDEX statuses_one_boost;
