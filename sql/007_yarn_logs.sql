-- 007_yarn_logs.sql - how much of a YARN job's driver log is stored: the bytes of its
-- application master container's stdout and stderr, read through the NodeManager, kept
-- beside spark-submit's own output (out_offset, err_offset) in batch_log.
ALTER TABLE batch
    ADD COLUMN am_out_offset bigint NOT NULL DEFAULT 0,
    ADD COLUMN am_err_offset bigint NOT NULL DEFAULT 0;
