"""The history in SQL for reporting: schema report, read by the role tacitus_report.

TACITUS_REPORT_PSQL (from `sh app/stack.sh env`) logs in as tacitus_report.  That role reads
the views report.jobs, report.daily, report.running and report.statements and nothing else:
no table, no secret, no write.  The views show real batches and a session's statement as
they ran.  tacitus.history.keep-days (integration.sh sets 36500) purges finished jobs older
than that, logs, events, sessions and statements with them, and nothing younger.
"""

import os
import shlex
import subprocess
import time
import uuid

import pytest

import tacitus_testlib as tl
from test_interactive import STARTUP_TIMEOUT, Sess

KEEP_DAYS = 36500          # integration.sh's tacitus.history.keep-days
PURGE_WAIT = 60            # s: the monitors look every 10 s


def report_psql():
    cmd = os.environ.get("TACITUS_REPORT_PSQL")
    assert cmd, "TACITUS_REPORT_PSQL is not in the environment (sh app/stack.sh env prints it)"
    return shlex.split(cmd)


def as_report(sql):
    """(returncode, stdout, stderr) of one statement run as tacitus_report."""
    p = subprocess.run(report_psql() + ["-Atc", sql], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def report_rows(sql):
    rc, out, err = as_report(sql)
    assert rc == 0, f"tacitus_report could not run {sql!r}: {err}"
    return [line.split("|") for line in out.splitlines()] if out else []


def test_the_report_role_reads_the_views_and_nothing_else():
    for view in ("report.jobs", "report.daily", "report.running", "report.statements"):
        rc, _, err = as_report(f"select count(*) from {view}")
        assert rc == 0, f"tacitus_report cannot read {view}: {err}"
    refused = []
    for sql in ("select count(*) from public.batch", "select count(*) from public.batch_log",
                "select count(*) from public.session", "select count(*) from public.statement",
                "select secret_hash from public.batch limit 1",
                "select count(*) from public.batch_event",
                "delete from public.batch where false",
                "create table report.mine (x int)", "create table public.mine (x int)",
                "select pg_read_file('postgresql.conf')"):
        rc, _, err = as_report(sql)
        if rc == 0 or "permission denied" not in err:
            refused.append((sql, err or "allowed"))
    assert not refused, f"tacitus_report was not refused for lack of rights: {refused}"
    cols = report_rows("select column_name from information_schema.columns "
                       "where table_schema = 'report' and table_name = 'jobs' order by ordinal_position")
    names = [c[0] for c in cols]
    assert names == ["kind", "id", "name", "owner", "proxy_user", "queue", "state", "submitted_at",
                     "started_at", "finished_at", "duration_s", "app_id", "reason",
                     "session_kind"], f"report.jobs columns: {names}"


def test_jobs_daily_and_running_show_real_batches(cfg, tac):
    name = f"report-{uuid.uuid4().hex[:8]}"
    ok = tac.create_batch({"file": cfg.job("quick.py"), "args": [name], "name": name,
                           "queue": "reports"})[1]
    bad = tac.create_batch({"file": cfg.job("fail.py"), "name": name + "-f"})[1]
    slow = tac.create_batch({"file": cfg.job("sleep.py"), "args": [name, "120"],
                             "name": name + "-s"})[1]
    assert None not in (ok, bad, slow), "batches not created"
    try:
        for bid in (ok, bad):
            tac.wait_for_state(bid)
        tac.wait_for_state(slow, wanted={"running"})
        rows = {int(r[1]): r for r in report_rows(
            f"select kind, id, name, owner, queue, state, started_at is not null, "
            f"finished_at is not null, duration_s > 0, reason from report.jobs "
            f"where id in ({ok}, {bad}, {slow}) and kind = 'batch'")}
        assert rows[ok][2:] == [name, cfg.user, "reports", "success", "t", "t", "t",
                                "spark-submit exited with code 0"], f"report.jobs: {rows[ok]}"
        assert rows[bad][5] == "dead" and "exited with code" in rows[bad][9], \
            f"report.jobs for the failed batch: {rows[bad]}"
        assert rows[slow][5] == "running" and rows[slow][7] == "f", f"running: {rows[slow]}"
        running = report_rows(f"select running from report.running "
                              f"where owner = '{cfg.user}' and kind = 'batch'")
        assert running and int(running[0][0]) >= 1, f"report.running: {running}"
        day = report_rows(
            f"select jobs, succeeded, failed, success_rate = 1, "
            f"p50_duration_s > 0 from report.daily where day = (now() at time zone 'UTC')::date "
            f"and owner = '{cfg.user}' and kind = 'batch' and queue = 'reports'")
        assert day == [["1", "1", "0", "t", "t"]], f"report.daily for queue 'reports': {day}"
        all_day = report_rows(
            f"select sum(jobs), sum(succeeded), sum(failed) from report.daily "
            f"where day = (now() at time zone 'UTC')::date and owner = '{cfg.user}'")
        jobs, succeeded, failed = (int(x) for x in all_day[0])
        assert jobs >= 3 and succeeded >= 1 and failed >= 1, f"report.daily today: {all_day}"
    finally:
        tac.delete_quietly(slow)


def test_statements_of_a_session(tac):
    r = tac.api.post("/sessions", json={"kind": "pyspark"})
    s = Sess(tac, r, time.monotonic()).require()
    try:
        s.wait_idle(STARTUP_TIMEOUT)
        n, _ = s.run("1 + 1")
        rows = report_rows(f"select owner, kind, state, code_bytes, output_bytes > 0, "
                           f"duration_s >= 0, completed_at >= submitted_at - interval '1 minute' "
                           f"from report.statements where session_id = {s.id} and id = {n}")
        assert rows == [[tac.cfg.user, "pyspark", "available", "5", "t", "t", "t"]], \
            f"report.statements: {rows}"
        kind = report_rows(f"select session_kind, state from report.jobs "
                           f"where kind = 'session' and id = {s.id}")
        assert kind == [["pyspark", "idle"]], f"report.jobs for session {s.id}: {kind}"
    finally:
        s.delete_quietly()


def wait_purged(db, rows, what):
    """Wait until none of `rows` ("TABLE where CONDITION" each) is left in the table."""
    left = " + ".join(f"(select count(*) from {r})" for r in rows)
    tl.wait_until(lambda: db.query(f"select {left}") == "0", PURGE_WAIT, f"{what} to be purged")


def test_history_older_than_keep_days_is_purged_and_nothing_younger(cfg, tac):
    old = tac.create_batch({"file": cfg.job("quick.py"), "args": ["purge-old"]})[1]
    young = tac.create_batch({"file": cfg.job("quick.py"), "args": ["purge-young"]})[1]
    for bid in (old, young):
        assert bid is not None and tac.wait_for_state(bid)[0] == "success"
    db = tac.db
    assert int(db.query(f"select count(*) from batch_log where batch_id = {old}")) > 0
    db.query(f"update batch set finished_at = now() - interval '{KEEP_DAYS + 1} days', "
             f"created_at = now() - interval '{KEEP_DAYS + 2} days' where id = {old}")
    db.query(f"update batch set finished_at = now() - interval '{KEEP_DAYS - 1} days' "
             f"where id = {young}")
    # the webhook events of their ends (no URL here: over once fanned out)
    db.query(f"update hook_event set created_at = now() - interval '{KEEP_DAYS + 1} days' "
             f"where batch_id = {old}")

    wait_purged(db, [f"batch where id = {old}", f"batch_log where batch_id = {old}",
                     f"batch_event where batch_id = {old}", f"hook_event where batch_id = {old}"],
                f"batch {old}, finished {KEEP_DAYS + 1} days ago, with its log, events and "
                "webhook event")
    left = db.query(f"select count(*) from batch_log where batch_id = {young}")
    assert db.batch_state(young) == "success" and int(left) > 0, \
        f"batch {young}, finished {KEEP_DAYS - 1} days ago, was purged ({left} log lines left)"
    assert db.query(f"select count(*) from hook_event where batch_id = {young}") == "1", \
        f"the webhook event of batch {young}'s end is kept"


def test_a_purged_session_goes_with_its_statements(cfg, tac):
    r = tac.api.post("/sessions", json={"kind": "pyspark"})
    s = Sess(tac, r, time.monotonic()).require()
    s.wait_idle(STARTUP_TIMEOUT)
    s.run("2 + 2")
    did = s.driver()[0]
    s.delete_quietly()
    db = tac.db
    tl.wait_until(lambda: db.query(f"select finished_at is not null from batch where id = {did}")
                  == "t", 60, f"driver {did} of session {s.id} to end once deleted")
    db.query(f"update batch set finished_at = now() - interval '{KEEP_DAYS + 1} days' "
             f"where id = {did}")

    wait_purged(db, [f"session where id = {s.id}", f"statement where session_id = {s.id}",
                     f"batch where id = {did}"],
                f"session {s.id}, its statements and driver {did}")
