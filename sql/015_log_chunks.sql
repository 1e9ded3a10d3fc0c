-- 015_log_chunks.sql - a job's log lines stored in chunks: one row holds many
-- consecutive lines (app/logchunk.c cuts them: one append's lines, at most 2000 lines
-- and 256 KiB a row), so that a loud job's output costs PostgreSQL a row, an index
-- entry and WAL per chunk, not per line.  batch_log stays, a view with one row per
-- line as before, for SQL over the history.

CREATE TABLE batch_log_chunk (
    batch_id   bigint NOT NULL REFERENCES batch (id),
    first_line int NOT NULL,                  -- the line_no of its first line
    line_count int NOT NULL CHECK (line_count > 0),
    lines      text NOT NULL,                 -- its lines joined by \n (none holds one)
    PRIMARY KEY (batch_id, first_line)
);
-- a chunk of more than 2 KB is compressed: with lz4 where the server has it, at several
-- times the speed of pglz, PostgreSQL's default (most of its work on a loud job's log)
DO $$
BEGIN
    ALTER TABLE batch_log_chunk ALTER COLUMN lines SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END $$;

-- the lines stored so far, in chunks of consecutive lines (a purge may have left gaps)
INSERT INTO batch_log_chunk (batch_id, first_line, line_count, lines)
SELECT batch_id, min(line_no), count(*), string_agg(line, E'\n' ORDER BY line_no)
  FROM (SELECT batch_id, line_no, line, run,
               (row_number() OVER (PARTITION BY batch_id, run ORDER BY line_no) - 1) / 2000
                   AS part
          FROM (SELECT batch_id, line_no, line,
                       line_no - row_number() OVER (PARTITION BY batch_id ORDER BY line_no)
                           AS run
                  FROM batch_log) r) g
 GROUP BY batch_id, run, part;

DROP TABLE batch_log;

-- One row per stored line, as the table was (a chunk of one empty line is one empty
-- line: string_to_array('', ...) would be none).
CREATE VIEW batch_log AS
SELECT c.batch_id, (c.first_line + o.i - 1)::int AS line_no, o.line
  FROM batch_log_chunk c,
       unnest(CASE WHEN c.line_count = 1 THEN ARRAY[c.lines]
                   ELSE string_to_array(c.lines, E'\n') END) WITH ORDINALITY o(line, i);
