DROP TABLE thread_activity;
