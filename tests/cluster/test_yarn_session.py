"""Interactive sessions on YARN in cluster mode: the session's REPL driver runs in YARN's
application master and syncs with the instances over HTTPS (the front door's URL, its CA
shipped with the application); statements run there, DELETE ends the YARN application,
and appId is YARN's."""

import ast
import glob
import hashlib
import os
import re
import uuid

import requests
from livy import LivySession, SessionKind, SessionState

import tacitus_testlib as tl
from test_recovery import orphaned_on_a_gone_host
from test_yarn import YARN_TIMEOUT, rm_apps

FINAL = ("available", "error", "cancelled")


def session_get(tac, sid):
    return tl.json_body(tac.api.get(f"/sessions/{sid}"), 200)


def yarn_pages(rm_url, app_id):
    """What YARN shows of the application, by where: the RM's answer, the AM container's
    launch_container.sh (from its NodeManager) and the Spark UI's environment page
    (through the RM's proxy)."""
    app = requests.get(f"{rm_url}/ws/v1/cluster/apps/{app_id}", timeout=30)
    pages = {f"RM /apps/{app_id}": app.text}
    info = app.json()["app"]
    nm, container = info["amContainerLogs"].split("/node/containerlogs/")
    container = container.split("/")[0]
    r = requests.get(f"{nm}/ws/v1/node/containerlogs/{container}/launch_container.sh",
                     timeout=30)
    if r.status_code == 200:
        pages[f"{container}/launch_container.sh"] = r.text
    r = requests.get(info["trackingUrl"].rstrip("/") + "/environment/", timeout=30)
    if r.status_code == 200:
        pages["Spark UI /environment/"] = r.text
    return pages


def new_session(tac):
    r = tac.api.post("/sessions", json={"kind": "pyspark"})
    assert r.status_code == 201, tl.describe(r)
    sid = r.json()["id"]
    tl.wait_until(lambda: session_get(tac, sid)["state"] in ("idle", "dead", "error", "killed"),
                  YARN_TIMEOUT, f"session {sid} idle")
    assert session_get(tac, sid)["state"] == "idle", session_get(tac, sid)
    return sid


def driver_of(tac, sid):
    return int(tac.db.query("SELECT driver_id FROM session WHERE id = %d" % sid))


def run(tac, sid, code):
    return wait(tac, sid, post(tac, sid, code))


def post(tac, sid, code):
    r = tac.api.post(f"/sessions/{sid}/statements", json={"code": code})
    assert r.status_code == 201, tl.describe(r)
    return r.json()["id"]


def wait(tac, sid, n):
    def done():
        s = tl.json_body(tac.api.get(f"/sessions/{sid}/statements/{n}"), 200)
        return s if s["state"] in FINAL else None
    s = tl.wait_until(done, 120, f"statement {n} of session {sid}")
    assert s["state"] == "available" and s["output"]["status"] == "ok", s
    return s["output"]["data"]["text/plain"]


def test_pyspark_session_in_the_application_master(tac, cfg, rm_url):
    name = f"yarn-sess-{uuid.uuid4().hex[:8]}"
    r = tac.api.post("/sessions", json={"kind": "pyspark", "name": name})
    assert r.status_code == 201, tl.describe(r)
    sid = r.json()["id"]
    try:
        tl.wait_until(lambda: session_get(tac, sid)["state"] in ("idle", "dead", "error",
                                                                   "killed"),
                      YARN_TIMEOUT, f"session {sid} idle")
        s = session_get(tac, sid)
        log = tl.json_body(tac.api.get(f"/sessions/{sid}/log", params={"size": -1}), 200)["log"]
        assert s["state"] == "idle", f"session {sid} is {s['state']}: {log[-40:]}"
        app_id = s["appId"]
        assert app_id and app_id.startswith("application_"), s
        # the driver runs in YARN's container, not here: its master is YARN's, and its
        # host's working folder is YARN's container folder
        assert run(tac, sid, "1 + 41") == "42"
        assert run(tac, sid, "spark.sparkContext.master + ' ' + "
                             "str(spark.range(1000).count())") == "'yarn 1000'"
        cwd = run(tac, sid, "import os; os.getcwd()")
        assert "container_" in cwd, cwd
        # the secret travelled with the application and is gone from its folder
        assert run(tac, sid, "os.path.exists('driver.secret')") == "False"
        # copies may lie in YARN's caches on the node (each container of the application
        # is given one, where other applications of the same user can read it): none opens
        # anything, the driver replaced its secret at its first sync
        found = run(tac, sid, "import glob; sorted(set(open(p).read().strip() for p in "
                              "glob.glob(os.path.join(os.getcwd(), '..', '..', '..', '**', "
                              "'driver.secret'), recursive=True) if os.path.isfile(p)))")
        copies = set(ast.literal_eval(found))
        # ... and the one spark-submit staged for YARN in the job's folder (fs.defaultFS
        # is file:/// here), which is there until the application ends: at least that
        # copy of the secret handed over is tried
        driver = driver_of(tac, sid)
        job_dir = tac.db.query(f"SELECT job_dir FROM batch WHERE id = {driver}")
        for p in glob.glob(os.path.join(job_dir, "work", ".sparkStaging", "*", "driver.secret")):
            with open(p) as f:
                copies.add(f.read().strip())
        assert copies, f"premise: no copy of the secret handed over found (job folder {job_dir})"
        assert all(len(c) == 64 for c in copies), copies
        for c in copies:
            r = tac.api.post("/driver/sync", headers={"X-Tacitus-Secret": c},
                             json={"state": "idle"})
            assert r.status_code == 403, f"a cached copy of the secret opens a sync: {tl.describe(r)}"
        # neither the secret handed over nor the one in use shows in what YARN shows:
        # the RM's answer, the AM's launch_container.sh, the Spark UI's environment page
        pages = yarn_pages(rm_url, app_id)
        assert any("launch_container.sh" in where for where in pages), sorted(pages)
        hashes = set(tac.db.query("SELECT encode(secret_hash, 'hex') FROM batch "
                                  "WHERE secret_hash IS NOT NULL").split())
        for where, text in pages.items():
            for token in set(re.findall(r"[0-9a-f]{64}", text)):
                assert token not in copies and \
                    hashlib.sha256(token.encode()).hexdigest() not in hashes, \
                    f"a driver's secret in {where}"
        tag = tac.db.query(f"SELECT yarn_tag FROM batch WHERE id = {driver}")
        apps = rm_apps(rm_url, tag)
        assert [a["id"] for a in apps] == [app_id] and apps[0]["state"] == "RUNNING", apps
    finally:
        r = tac.api.delete(f"/sessions/{sid}")
    assert r.status_code == 200, tl.describe(r)

    def ended():
        a = rm_apps(rm_url, tag)[0]
        return a if a["state"] in ("KILLED", "FINISHED", "FAILED") else None
    a = tl.wait_until(ended, 90, f"YARN application {app_id} ended after DELETE")
    assert a["state"] in ("KILLED", "FINISHED"), a


def test_statement_across_kill_9_of_every_instance(tac, cfg, rm_url):
    """kill -9 of every instance while a statement runs in the application master, its
    owner made an instance of a host gone for good; a restart: another instance adopts
    the driver, the statement completes and its output is kept, and YARN has one
    application under the driver's tag."""
    sid = new_session(tac)
    try:
        assert run(tac, sid, "x = 41; x") == "41"
        n = post(tac, sid, "import time; time.sleep(15); x + 1")
        tl.wait_until(lambda: tl.json_body(tac.api.get(f"/sessions/{sid}/statements/{n}"),
                                           200)["state"] == "running", 60,
                      f"statement {n} running")
        driver = driver_of(tac, sid)
        orphaned_on_a_gone_host(cfg, tac.db, driver)
        assert wait(tac, sid, n) == "42"
        tl.wait_until(lambda: tac.db.query(f"SELECT lease_owner FROM batch WHERE id = {driver}")
                      .startswith("app-"), 60, f"driver {driver} adopted")
        tag = tac.db.query(f"SELECT yarn_tag FROM batch WHERE id = {driver}")
        assert len(rm_apps(rm_url, tag)) == 1
        assert session_get(tac, sid)["state"] == "idle"
    finally:
        tac.api.delete(f"/sessions/{sid}")


def test_driver_that_dies_is_dead_with_yarns_words(tac, cfg, rm_url):
    """The REPL's process exits in the application master: one attempt (a second would
    be a new REPL without the session's state), the session is dead, and its log has
    YARN's diagnostics."""
    sid = new_session(tac)
    post(tac, sid, "import os; os._exit(3)")
    tl.wait_until(lambda: session_get(tac, sid)["state"] in ("dead", "killed", "error"), 120,
                  f"session {sid} dead after its driver exited")
    assert session_get(tac, sid)["state"] == "dead", session_get(tac, sid)
    driver = driver_of(tac, sid)
    tag = tac.db.query(f"SELECT yarn_tag FROM batch WHERE id = {driver}")
    apps = rm_apps(rm_url, tag)
    assert len(apps) == 1 and apps[0]["finalStatus"] == "FAILED", apps
    log = tl.json_body(tac.api.get(f"/sessions/{sid}/log", params={"size": -1}), 200)["log"]
    assert any(x.startswith("YARN diagnostics: ") for x in log), log[-20:]


def test_pylivy_session_on_yarn(tac, cfg, rm_url):
    """The Python `livy` client, as a user would point it at a Tacitus on YARN: the
    session starts, runs `1 + 41`, downloads a DataFrame, and its close ends the YARN
    application."""
    session = LivySession.create(cfg.url, kind=SessionKind.PYSPARK,
                                 auth=(cfg.user, cfg.password), verify=cfg.ca)
    sid = session.session_id
    try:
        session.wait()
        assert session.state == SessionState.IDLE, session.state
        assert session.run("1 + 41").text == "42"
        session.run("df = spark.createDataFrame([(1, 'a'), (2, 'b')], 'n int, s string')")
        assert session.download("df").to_dict("records") == [{"n": 1, "s": "a"},
                                                             {"n": 2, "s": "b"}]
        app_id = session_get(tac, sid)["appId"]
        assert app_id.startswith("application_"), app_id
    finally:
        session.close()

    def ended():
        r = requests.get(f"{rm_url}/ws/v1/cluster/apps/{app_id}", timeout=30).json()["app"]
        return r if r["state"] in ("KILLED", "FINISHED", "FAILED") else None
    a = tl.wait_until(ended, 90, f"YARN application {app_id} ended after close()")
    assert a["state"] in ("KILLED", "FINISHED"), a
