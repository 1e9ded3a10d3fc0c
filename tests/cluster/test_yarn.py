"""YARN cluster mode for batches, on a real ResourceManager and NodeManager.

livy.conf says `livy.spark.master = yarn`, `livy.spark.deploy-mode = cluster`, as a Livy
admin writes it.  Each test submits a real PySpark app over the API and checks what the
API shows against what the ResourceManager itself says (its REST API, read here with
requests): the app found by the job's tag, its state, its id and addresses.
"""

import time
import uuid

import requests

import tacitus_testlib as tl

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


def test_failure_on_yarn_is_dead(tac, cfg, rm_url):
    token = uuid.uuid4().hex[:8]
    bid, state, history = tac.run_batch({"file": cfg.job("fail.py"), "args": [token]},
                                        timeout=YARN_TIMEOUT)
    assert state == "dead", (f"a failing app must end dead, batch {bid} ended {state} "
                             f"(states {history}); events:\n{events(tac, bid)}")
    apps = rm_apps(rm_url, yarn_tag(tac, bid))
    assert len(apps) == 1 and apps[0]["finalStatus"] == "FAILED", apps
    assert batch(tac, bid)["appId"] == apps[0]["id"]
    log = "\n".join(tac.full_log(bid))
    assert "YARN diagnostics: User application exited with status 3" in log, log[-2000:]


def test_delete_kills_on_yarn(tac, cfg, rm_url):
    r, bid = tac.create_batch({"file": cfg.job("sleep.py"), "args": [uuid.uuid4().hex[:8]]})
    assert r.status_code == 201, tl.describe(r)
    tl.wait_until(lambda: tac.state(bid) == "running", YARN_TIMEOUT,
                  f"batch {bid} running on YARN")
    tag = yarn_tag(tac, bid)
    app_id = rm_apps(rm_url, tag)[0]["id"]
    r = tac.api.delete(f"/batches/{bid}")
    assert r.status_code == 200, tl.describe(r)

    def killed():
        apps = rm_apps(rm_url, tag)
        return apps and apps[0]["state"] == "KILLED"
    tl.wait_until(killed, 60, f"YARN application {app_id} KILLED after DELETE")
    tl.wait_until(lambda: tac.db.batch_state(bid) == "killed", 60,
                  f"batch {bid} killed in the database")
    assert f"killed: YARN application {app_id} ended KILLED" in events(tac, bid)
