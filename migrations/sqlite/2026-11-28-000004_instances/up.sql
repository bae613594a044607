-- Delivery health of other instances: since when deliveries to a domain keep failing.
CREATE TABLE instances (
    domain TEXT PRIMARY KEY,
    failing_since TIMESTAMP,
    last_success_at TIMESTAMP
);
