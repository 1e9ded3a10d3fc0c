-- 006_yarn.sql - jobs tracked by a cluster manager (YARN) rather than by their local process.
--
-- `tracker` is chosen when the job is accepted (from livy.spark.master) and kept for its
-- whole life, so that a job keeps the tracker it was launched with after livy.conf
-- changes, and an instance that adopts it uses the same one.  A YARN job carries the
-- application tag it was submitted with (Livy's form: livy-batch-<id>-<random>), given
-- when it is claimed, before spark-submit runs, so that its application can always be
-- found again by tag (after a crash, by another instance).  For such a job exit_code is
-- spark-submit's, recorded when it exits (the job itself ends when YARN says so).

ALTER TABLE batch
    ADD COLUMN tracker  text NOT NULL DEFAULT 'local' CHECK (tracker IN ('local', 'yarn')),
    ADD COLUMN yarn_tag text;
