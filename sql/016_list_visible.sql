-- 016_list_visible.sql - the batches GET /batches shows, found from indexes alone.
--
-- A batch is shown while it is not deleted and either unfinished or finished within
-- the retain time (livy.server.session.state-retain.sec).  The list finds the
-- unfinished ones by batch_active (001) and the recently finished ones by this index:
-- both give the ids without reading a row (index-only scans), so counting what is
-- shown and choosing a page costs what is shown, not the history, and reads no
-- batch's wide columns (request, argv, log tail) until the page's own are fetched.
CREATE INDEX batch_recent ON batch (finished_at) INCLUDE (id)
    WHERE deleted_at IS NULL AND id >= 0;
