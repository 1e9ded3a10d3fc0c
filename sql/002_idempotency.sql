-- 002_idempotency.sql - Idempotency-Key on POST /batches: the same key from the same
-- user within 24 hours returns the batch created the first time.
ALTER TABLE batch ADD COLUMN idempotency_key text;
CREATE INDEX batch_idempotency ON batch (idempotency_key, created_at)
    WHERE idempotency_key IS NOT NULL;
