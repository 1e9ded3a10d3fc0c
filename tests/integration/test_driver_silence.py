"""A session whose driver stops syncing (SIGSTOPped, hung) is not idle for ever.

The driver syncs at least once a second while it runs; its last sync is kept
(batch.seen_at).  A driver silent for longer than tacitus.session.driver-silence (120 s by
default; 5 s in this module, which restarts the instances with it) has its session
stopped: its driver is killed and the session reads dead, with the reason in its events.
"""

import os
import signal

import pytest

import tacitus_testlib as tl
from test_interactive import POOL_SQL, STARTUP_TIMEOUT
from test_recovery import livy_conf_changed

SILENCE = 5


@pytest.fixture(scope="module", autouse=True)
def short_silence(cfg):
    with livy_conf_changed(cfg, lambda t: t + f"tacitus.session.driver-silence = {SILENCE}s\n"):
        yield


def repl_processes(shim):
    return [pid for pid, cmd in tl.processes(lambda cmd: "repl.py" in cmd).items()
            if os.getpgid(pid) == shim and "python" in cmd.split()[0]]


def test_a_stopped_driver_ends_its_session_dead(tac):
    tl.wait_until(lambda: int(tac.db.query(POOL_SQL)) >= 1, STARTUP_TIMEOUT, "a warm driver")
    r = tac.api.post("/sessions", json={"kind": "pyspark"})
    sid = tl.json_body(r, 201)["id"]
    tl.wait_until(lambda: tac.api.get(f"/sessions/{sid}/state").json()["state"] == "idle",
                  STARTUP_TIMEOUT, f"session {sid} idle")
    driver, shim = tac.db.query(f"SELECT b.id || ' ' || b.pid FROM session s JOIN batch b "
                                f"ON b.id = s.driver_id WHERE s.id = {int(sid)}").split()
    pids = repl_processes(int(shim))
    assert pids, f"no python process of app/repl.py in the driver's group {shim}"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        tl.wait_until(lambda: tac.api.get(f"/sessions/{sid}/state").json()["state"] == "dead",
                      SILENCE + 40, f"session {sid} dead once its driver is silent")
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
    events = tac.db.query(f"SELECT reason FROM batch_event WHERE batch_id = {int(driver)} "
                          f"ORDER BY at")
    assert f"its driver has not synced for {SILENCE} s" in events, events
