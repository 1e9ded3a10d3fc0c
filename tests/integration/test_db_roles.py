"""Least privilege in PostgreSQL: what the role tacitus_report cannot do to the server.

The server's locks (admission, migrations, an instance's name) are advisory locks, and in
the database tacitus only the role tacitus may call the advisory-lock functions (every
variant), pg_notify, or make temporary tables.  tacitus_report's statements, lock waits
and idle transactions are cut short.  The server's own connections wait at most 5 s for
a lock: a request that would wait longer answers 503 instead of hanging.
"""

import subprocess
import time

import tacitus_testlib as tl
from test_report import as_report, report_psql

ADMISSION_LOCK = 7420002    # app/store_conn.c
MIGRATION_LOCK = 7420001    # app/store_migrate.c
SERVER_LOCK_TIMEOUT = 5     # s, app/store_conn.c
QUICK_POST = 2.0            # s: a POST /batches that waited for nobody, on a busy test box


def refused(sql):
    """Why tacitus_report was not refused `sql` for lack of rights, or None."""
    rc, _, err = as_report(sql)
    return None if rc != 0 and "permission denied" in err else (err or "allowed")


def test_the_report_role_cannot_take_the_servers_locks():
    locks = (f"select pg_advisory_lock({ADMISSION_LOCK})",
             f"select pg_advisory_xact_lock({ADMISSION_LOCK})",
             f"select pg_advisory_lock_shared({ADMISSION_LOCK})",
             f"select pg_try_advisory_lock({ADMISSION_LOCK})",
             f"select pg_advisory_lock({MIGRATION_LOCK})",
             f"select pg_try_advisory_xact_lock({MIGRATION_LOCK})",
             "select pg_try_advisory_lock(hashtextextended('tacitus instance x', 0))",
             "select pg_advisory_lock(0, 7420002)",
             "select pg_try_advisory_xact_lock_shared(0, 7420002)",
             f"select pg_advisory_unlock({ADMISSION_LOCK})",
             "select pg_advisory_unlock_all()")
    allowed = [(sql, why) for sql in locks if (why := refused(sql))]
    assert not allowed, f"tacitus_report may take or drop advisory locks: {allowed}"


def test_the_report_role_cannot_notify_or_make_temporary_tables():
    allowed = [(sql, why) for sql in ("select pg_notify('tacitus_batch', 'x')",
                                      "create temp table mine (x int)",
                                      "create function pg_temp.f() returns int "
                                      "language sql as 'select 1'")
               if (why := refused(sql))]
    assert not allowed, f"tacitus_report was not refused: {allowed}"


def test_the_report_roles_statements_and_waits_are_cut_short():
    rc, out, err = as_report("select current_setting('statement_timeout'), "
                             "current_setting('lock_timeout'), "
                             "current_setting('idle_in_transaction_session_timeout')")
    assert rc == 0, err
    assert out.split("|") == ["30s", "5s", "1min"], f"tacitus_report's time-outs: {out!r}"


def test_the_report_views_still_read():
    for view in ("report.jobs", "report.daily", "report.running", "report.statements"):
        rc, _, err = as_report(f"select count(*) from {view}")
        assert rc == 0, f"tacitus_report cannot read {view}: {err}"


def hold(argv, lock, seconds):
    """A psql that tries to hold advisory lock `lock` for `seconds` (whether it got it
    or not, it stays connected that long); started once its lock statement ran."""
    p = subprocess.Popen(list(argv) + ["-At", "-c", f"select pg_advisory_lock({lock})",
                                 "-c", f"select pg_sleep({seconds})"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    assert p.poll() is None, f"psql ended early: {p.communicate()}"
    return p


def timed_post(tac, cfg):
    started = time.monotonic()
    r, bid = tac.create_batch({"file": cfg.job("quick.py"), "args": ["db-roles"]})
    return r, bid, time.monotonic() - started


def test_a_post_answers_at_once_while_the_report_role_tries_the_admission_lock(cfg, tac):
    p = hold(report_psql(), ADMISSION_LOCK, 6)
    try:
        r, bid, took = timed_post(tac, cfg)
    finally:
        _, err = p.communicate(timeout=30)
    try:
        assert r.status_code == 201, tl.describe(r)
        assert took < QUICK_POST, f"POST /batches took {took:.2f} s while tacitus_report " \
                                  f"held (or tried) the admission lock"
        assert "permission denied" in err, f"tacitus_report's lock was not refused: {err!r}"
    finally:
        if bid is not None:
            tac.delete_quietly(bid)


def test_a_request_waiting_too_long_for_a_lock_answers_503(cfg, tac):
    # the server's own role holds the admission lock (as a stuck instance would)
    p = hold(cfg.psql, ADMISSION_LOCK, SERVER_LOCK_TIMEOUT + 4)
    try:
        r, bid, took = timed_post(tac, cfg)
    finally:
        p.communicate(timeout=60)
    if bid is not None:
        tac.delete_quietly(bid)
    tl.error_msg(r, 503)
    assert r.headers.get("Retry-After"), f"a 503 without Retry-After: {tl.describe(r)}"
    assert took < 2 * SERVER_LOCK_TIMEOUT, f"the 503 came after {took:.2f} s"
    # the worker's connection is fine afterwards
    r, bid, _ = timed_post(tac, cfg)
    assert r.status_code == 201, tl.describe(r)
    tac.delete_quietly(bid)
