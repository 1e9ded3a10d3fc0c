"""Interactive sessions on YARN in cluster mode: the session's REPL driver runs in YARN's
application master and syncs with the instances over HTTPS (the front door's URL, its CA
shipped with the application); statements run there, DELETE ends the YARN application,
and appId is YARN's."""

import uuid

import tacitus_testlib as tl
from test_yarn import YARN_TIMEOUT, rm_apps

FINAL = ("available", "error", "cancelled")


def session_get(tac, sid):
    return tl.json_body(tac.api.get(f"/sessions/{sid}"), 200)


def run(tac, sid, code):
    r = tac.api.post(f"/sessions/{sid}/statements", json={"code": code})
    assert r.status_code == 201, tl.describe(r)
    n = r.json()["id"]

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
        assert run(tac, sid, "spark.sparkContext.master + ' ' + "
                             "str(spark.range(1000).count())") == "'yarn 1000'"
        cwd = run(tac, sid, "import os; os.getcwd()")
        assert "container_" in cwd, cwd
        # the secret travelled with the application and is gone from its folder
        assert run(tac, sid, "os.path.exists('driver.secret')") == "False"
        driver = tac.db.query("SELECT driver_id FROM session WHERE id = %d" % sid)
        tag = tac.db.query(f"SELECT yarn_tag FROM batch WHERE id = {int(driver)}")
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
