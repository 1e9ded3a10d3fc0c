"""Spark standalone in client mode: `livy.spark.deploy-mode = client`.  The driver is a
local spark-submit as on a local master (so Python batches run), its executors run on
the cluster's worker; the batch ends as its spark-submit does."""

import os
import uuid

import pytest
import requests

import tacitus_testlib as tl
from test_recovery import client_deploy_mode
from test_standalone import SA_TIMEOUT, events, master_ui


@pytest.fixture(scope="module", autouse=True)
def client_mode(cfg):
    with client_deploy_mode(cfg):
        yield


def apps():
    """The applications the master has run or runs, by id."""
    body = requests.get(f"{master_ui()}/json/", timeout=30).json()
    return {a["id"]: a for a in body.get("activeapps", []) + body.get("completedapps", [])}


def test_python_batch_in_client_mode_runs_on_the_cluster(tac, cfg):
    before = set(apps())
    token = uuid.uuid4().hex[:8]
    bid, state, history = tac.run_batch({"file": cfg.job("ok.py"), "args": ["2", token]},
                                        timeout=SA_TIMEOUT)
    assert state == "success", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    log = tac.full_log(bid)
    # the driver ran here: its lines are spark-submit's own output
    assert [x for x in log if x.startswith(f"TACITUS-LINE {token} ")] == \
        [f"TACITUS-LINE {token} {i}" for i in range(2)], log[-30:]
    assert "TACITUS-OK 1000" in log, log[-30:]
    # ... and its work ran on the cluster: the master ran one more application, of that name
    new = [a for i, a in apps().items() if i not in before]
    assert [a["name"] for a in new] == ["tacitus-ok"], new
    assert new[0]["state"] == "FINISHED", new[0]
