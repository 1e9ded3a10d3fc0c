"""YARN cluster mode for batches, on a real ResourceManager and NodeManager.

livy.conf says `livy.spark.master = yarn`, `livy.spark.deploy-mode = cluster`, as a Livy
admin writes it.  Each test submits a real PySpark app over the API and checks what the
API shows against what the ResourceManager itself says (its REST API, read here with
requests): the app found by the job's tag, its state, its id and addresses.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import requests

import tacitus_testlib as tl
from test_recovery import backends, orphaned_on_a_gone_host, INSTANCES

LOOKUP_TIMEOUT = 45        # livy.server.yarn.app-lookup-timeout of the harness's livy.conf

YARN_TIMEOUT = 240.0       # submit -> FINISHED took ~20 s alone; two apps share 2 cores


def rm_apps(rm_url, tag):
    r = requests.get(f"{rm_url}/ws/v1/cluster/apps", params={"applicationTags": tag}, timeout=30)
    assert r.status_code == 200, f"the RM answered {r.status_code}: {r.text[:300]}"
    return (r.json().get("apps") or {}).get("app") or []


def yarn_tag(tac, bid):
    return tac.db.query(f"SELECT yarn_tag FROM batch WHERE id = {int(bid)}").strip()


def batch(tac, bid):
    return tl.json_body(tac.api.get(f"/batches/{bid}"), 200)


def events(tac, bid):
    return tac.db.query(f"SELECT to_state || ': ' || reason FROM batch_event "
                        f"WHERE batch_id = {int(bid)} ORDER BY at")


def test_success_on_yarn(tac, cfg, rm_url):
    token = uuid.uuid4().hex[:8]
    bid, state, history = tac.run_batch({"file": cfg.job("ok.py"), "args": ["3", token]},
                                        timeout=YARN_TIMEOUT)
    b = batch(tac, bid)
    assert state == "success", (f"batch {bid} ended {state} (states {history}); events:\n"
                                f"{events(tac, bid)}\nlog tail {tac.log_tail(bid)!r}")
    # starting until YARN runs the app, then running: never success straight from submit
    assert "running" in history or events(tac, bid).count("running:") == 1, history
    tag = yarn_tag(tac, bid)
    assert tag.startswith(f"livy-batch-{bid}-"), f"tag {tag!r}"
    apps = rm_apps(rm_url, tag)
    assert len(apps) == 1, f"YARN has {len(apps)} apps tagged {tag}: {apps}"
    app = apps[0]
    assert (app["state"], app["finalStatus"]) == ("FINISHED", "SUCCEEDED"), app
    assert b["appId"] == app["id"], f"appId {b['appId']!r}, YARN's {app['id']!r}"
    assert b["appInfo"]["sparkUiUrl"] == app["trackingUrl"], b["appInfo"]
    assert b["appInfo"]["driverLogUrl"] == app["amContainerLogs"], b["appInfo"]
    ev = events(tac, bid)
    assert f"success: YARN application {app['id']} ended FINISHED/SUCCEEDED" in ev, ev
    # the driver's own output, from the application master's container: whole, in order
    log = tac.full_log(bid)
    lines = [f"TACITUS-LINE {token} {i}" for i in range(3)]
    got = [x for x in log if x.startswith(f"TACITUS-LINE {token} ")]
    assert got == lines, f"the driver's lines in /log: {got}, want {lines}"
    assert "TACITUS-OK 1000" in log, log[-40:]
    assert any(x.startswith(f"tacitus: the driver's log on YARN ({app['id']}") for x in log), log


def test_failure_on_yarn_is_dead(tac, cfg, rm_url):
    token = uuid.uuid4().hex[:8]
    bid, state, history = tac.run_batch({"file": cfg.job("raise.py"), "args": [token]},
                                        timeout=YARN_TIMEOUT)
    assert state == "dead", (f"a failing app must end dead, batch {bid} ended {state} "
                             f"(states {history}); events:\n{events(tac, bid)}")
    apps = rm_apps(rm_url, yarn_tag(tac, bid))
    assert len(apps) == 1 and apps[0]["finalStatus"] == "FAILED", apps
    assert batch(tac, bid)["appId"] == apps[0]["id"]
    log = "\n".join(tac.full_log(bid))
    assert "YARN diagnostics: User application exited with status 1" in log, log[-2000:]
    # the Python traceback, from the driver's own log on YARN
    assert f"TACITUS-RAISE {token}" in log, log[-3000:]
    assert "Traceback (most recent call last)" in log, log[-3000:]
    assert f"ValueError: TACITUS-TRACEBACK {token}" in log, log[-3000:]


def am_log_answer(app, name):
    """The NodeManager's answer to GET /ws/v1/node/containerlogs/{container}/{name} of
    app's application master, not followed when it redirects."""
    nm, _, rest = app["amContainerLogs"].partition("/node/containerlogs/")
    container = rest.split("/")[0]
    return requests.get(f"{nm}/ws/v1/node/containerlogs/{container}/{name}",
                        allow_redirects=False, timeout=30)


def test_driver_log_read_from_aggregated_logs(tac, cfg, rm_url):
    """Log aggregation is on (tests/cluster/yarn.sh): about a second after the application
    ends, its NodeManager drops its copy of the driver's log and redirects to its log
    server (an ApplicationHistoryServer).  Every monitor is held (SIGSTOP, for less than
    the time a monitor counts against a lease) until then, so that the end is read after
    the drop: the driver's stdout line and its traceback (printed last) still reach the
    batch's log, whole and once."""
    token = uuid.uuid4().hex[:8]
    r, bid = tac.create_batch({"file": cfg.job("raise.py"), "args": [token]})
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", YARN_TIMEOUT, f"batch {bid} running")
    tag = yarn_tag(tac, bid)
    monitors = set().union(*(backends(tac.db, n, "monitor") for n in range(1, INSTANCES + 1)))
    assert len(monitors) == INSTANCES, monitors
    for pid in monitors:
        os.kill(pid, signal.SIGSTOP)
    try:
        def ended():
            apps = rm_apps(rm_url, tag)
            return apps and apps[0]["state"] in ("FINISHED", "FAILED", "KILLED") and apps[0]
        app = tl.wait_until(ended, YARN_TIMEOUT, f"the application of batch {bid} ended")

        def dropped():
            return all(am_log_answer(app, f).status_code == 307 for f in ("stdout", "stderr"))
        tl.wait_until(dropped, 60, "the NodeManager drops the driver's log and redirects")
    finally:
        for pid in monitors:
            os.kill(pid, signal.SIGCONT)
    state, history = tac.wait_for_state(bid, timeout=YARN_TIMEOUT)
    assert state == "dead", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    log = tac.full_log(bid)
    assert log.count(f"TACITUS-RAISE {token}") == 1, log[-60:]
    assert log.count(f"ValueError: TACITUS-TRACEBACK {token}") == 1, log[-60:]
    tb = log.index("Traceback (most recent call last):")
    assert tb < log.index(f"ValueError: TACITUS-TRACEBACK {token}"), log[-60:]
    assert not any(x.startswith("tacitus: the rest of the driver's log") for x in log), log[-60:]


def test_delete_kills_on_yarn(tac, cfg, rm_url):
    r, bid = tac.create_batch({"file": cfg.job("sleep.py"), "args": [uuid.uuid4().hex[:8]]})
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", YARN_TIMEOUT,
                  f"batch {bid} running on YARN")
    tag = yarn_tag(tac, bid)
    app_id = rm_apps(rm_url, tag)[0]["id"]
    # the driver's log is read while the application runs, not only at its end
    tl.wait_until(lambda: any(x.startswith("SLEEPING pid=") for x in tac.full_log(bid)), 60,
                  f"the running driver's first line in the log of batch {bid}")
    r = tac.api.delete(f"/batches/{bid}")
    assert r.status_code == 200, tl.describe(r)

    def killed():
        apps = rm_apps(rm_url, tag)
        return apps and apps[0]["state"] == "KILLED"
    tl.wait_until(killed, 60, f"YARN application {app_id} KILLED after DELETE")
    tl.wait_until(lambda: tac.db.batch_state(bid) == "killed", 60,
                  f"batch {bid} killed in the database")
    assert f"killed: YARN application {app_id} ended KILLED" in events(tac, bid)


def test_rm_unreachable_for_30_s(tac, cfg, rm_url):
    """The RM frozen (SIGSTOP) for 30 s while a job runs: the job is unharmed, nothing is
    ended for want of an answer, the outage shows in /metrics, and the job ends right."""
    token = uuid.uuid4().hex[:8]
    r, bid = tac.create_batch({"file": cfg.job("sleep.py"), "args": [token, "40"]})
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", YARN_TIMEOUT, f"batch {bid} running")
    with open(os.path.join(cfg.var, "yarn", "run", "rm.pid")) as f:
        rm_pid = int(f.read())
    tl.frozen_while_running(tac, bid, rm_pid, 30, "tacitus_yarn_look_errors_total", "the RM")
    state, history = tac.wait_for_state(bid, timeout=YARN_TIMEOUT)
    assert state == "success", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    assert len(rm_apps(rm_url, yarn_tag(tac, bid))) == 1


def test_app_that_never_appears_ends_dead(tac, cfg, rm_url):
    """spark-submit that cannot reach YARN (its client pointed at a dead port): no
    application appears under the tag, and the batch ends dead after the look-up time-out."""
    r, bid = tac.create_batch({"file": cfg.job("ok.py"), "conf": {
        "spark.hadoop.yarn.resourcemanager.address": "127.0.0.1:1"}})
    assert r.status_code == 201, tl.describe(r)
    t0 = time.monotonic()
    state, history = tac.wait_for_state(bid, timeout=LOOKUP_TIMEOUT + 60)
    took = time.monotonic() - t0
    ev = events(tac, bid)
    assert state == "dead", f"batch {bid} ended {state} ({history}):\n{ev}"
    assert took >= LOOKUP_TIMEOUT - 1, f"ended after {took:.0f} s, before the look-up time-out"
    assert f"appeared within {LOOKUP_TIMEOUT} s" in ev, ev
    tag = yarn_tag(tac, bid)
    assert rm_apps(rm_url, tag) == []

    # an application that appears under its tag later (a spark-submit that went on
    # elsewhere, here a bare one) leaked: it is killed (Livy's app-leakage check)
    import pyspark
    home = tempfile.mkdtemp(prefix="tacitus-leak-")
    try:
        p = subprocess.run(
            [os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit"),
             "--master", "yarn", "--deploy-mode", "cluster",
             "--conf", "spark.yarn.submit.waitAppCompletion=false",
             "--conf", f"spark.yarn.tags={tag}", cfg.job("sleep.py"), "leak", "300"],
            env={**os.environ, "HOME": home}, capture_output=True, text=True, timeout=120)
        # the check may kill it while spark-submit still waits for YARN to accept it (then
        # spark-submit fails with that reason): either way the application must end KILLED
        killed_early = "was killed by user" in p.stderr
        assert p.returncode == 0 or killed_early, \
            f"the bare spark-submit failed: {p.stderr[-2000:]}"

        def killed():
            apps = rm_apps(rm_url, tag)
            return len(apps) == 1 and apps[0]["state"] == "KILLED" and apps[0]
        app = tl.wait_until(killed, 90, f"the leaked application under {tag} killed")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert any(x.startswith(f"tacitus: YARN application {app['id']} appeared under tag {tag}")
               for x in tac.full_log(bid)), "the leak is said in the job's log"


def test_every_instance_killed_then_adopted_from_any_host(tac, cfg, rm_url):
    """kill -9 of every instance while a YARN job runs, its owner an instance of a host
    that is gone for good; a restart: another instance adopts the job (a YARN job is not
    tied to a host), it ends right, and YARN has one application under its tag: none
    submitted twice."""
    token = uuid.uuid4().hex[:8]
    r, bid = tac.create_batch({"file": cfg.job("sleep.py"), "args": [token, "30"]})
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", YARN_TIMEOUT, f"batch {bid} running")
    orphaned_on_a_gone_host(cfg, tac.db, bid)
    state, history = tac.wait_for_state(bid, timeout=YARN_TIMEOUT)
    assert state == "success", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    owner = tac.db.query(f"SELECT lease_owner FROM batch WHERE id = {int(bid)}")
    assert owner.startswith("app-"), f"batch {bid} was not adopted: its owner is {owner!r}"
    assert len(rm_apps(rm_url, yarn_tag(tac, bid))) == 1
    log = tac.full_log(bid)
    assert any(x.startswith(f"tacitus: adopted by {owner} ") and "gone-host.invalid" in x
               for x in log), log[-20:]
    assert any(x.startswith("SLEEPING pid=") for x in log), "the driver's log, read after adoption"
