"""YARN in client mode: `livy.spark.deploy-mode = client`.  The driver is a local process
(spark-submit runs it here, its output is the job's own), the application master and the
executors run on YARN; the batch's appId and how it ended come from the ResourceManager,
and a driver that fails ends the batch dead whatever YARN's final status says."""

import uuid

import pytest

import tacitus_testlib as tl
from test_recovery import client_deploy_mode
from test_yarn import YARN_TIMEOUT, batch, events, rm_apps, yarn_tag


@pytest.fixture(scope="module", autouse=True)
def client_mode(cfg):
    with client_deploy_mode(cfg):
        yield


def test_client_mode_success(tac, cfg, rm_url):
    token = uuid.uuid4().hex[:8]
    bid, state, history = tac.run_batch({"file": cfg.job("ok.py"), "args": ["2", token]},
                                        timeout=YARN_TIMEOUT)
    assert state == "success", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    apps = rm_apps(rm_url, yarn_tag(tac, bid))
    assert len(apps) == 1 and apps[0]["finalStatus"] == "SUCCEEDED", apps
    assert batch(tac, bid)["appId"] == apps[0]["id"]
    log = tac.full_log(bid)
    # the driver ran here: its lines are spark-submit's own output
    assert [x for x in log if x.startswith(f"TACITUS-LINE {token} ")] == \
        [f"TACITUS-LINE {token} {i}" for i in range(2)], log[-30:]


def test_client_mode_failure_is_dead(tac, cfg, rm_url):
    token = uuid.uuid4().hex[:8]
    bid, state, history = tac.run_batch({"file": cfg.job("fail.py"), "args": [token]},
                                        timeout=YARN_TIMEOUT)
    assert state == "dead", f"batch {bid} ended {state} ({history}):\n{events(tac, bid)}"
    assert len(rm_apps(rm_url, yarn_tag(tac, bid))) == 1
    assert f"TACITUS-FAIL {token}" in tac.full_log(bid)
