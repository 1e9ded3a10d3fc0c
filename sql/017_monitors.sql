-- 017_monitors.sql - the monitors that hold a lock of their own (store_hold_owner).
--
-- A monitor registers here each time it takes its lock (once per database session,
-- before it claims anything), and every other monitor looks at the lock of each
-- registered monitor, not only at those of the owners of running jobs
-- (store_owner_locks): so a monitor killed right after it claimed and launched its
-- first job was already seen holding its lock, and its job is adopted as soon as the
-- lock goes, not when the lease lapses (include/leasewatch.h).  A registration also
-- removes the rows of monitors whose lock is free and that last registered an hour
-- ago or more (a monitor re-registers on its next session, before it claims).
CREATE TABLE monitor (
    owner         text PRIMARY KEY,           -- the lease owner's name (an instance's)
    host          text NOT NULL,              -- where it runs, and since which boot
    boot_id       text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()    -- its latest session's start
);
