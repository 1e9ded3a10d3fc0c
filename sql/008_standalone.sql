-- 008_standalone.sql - jobs that a Spark standalone master runs (livy.spark.master =
-- spark://... with livy.spark.deploy-mode = cluster): no process here; the driver is
-- submitted through the master's REST submission server and tracked by its id (kept in
-- app_id), its log read from its worker (driver_log_url, am_out_offset, am_err_offset).
--
-- submit_tried_at is set, under the job's lease, before the submission is sent and
-- cleared when no master can have received it.  A job that has it but no driver id was
-- being submitted when its monitor died, or a master took the request without
-- answering: whether a driver exists is unknown, and the job is never submitted again.
ALTER TABLE batch
    DROP CONSTRAINT IF EXISTS batch_tracker_check,
    ADD CONSTRAINT batch_tracker_check CHECK (tracker IN ('local', 'yarn', 'standalone')),
    ADD COLUMN submit_tried_at timestamptz;
