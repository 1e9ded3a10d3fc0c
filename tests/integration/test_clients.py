"""Real Livy clients, installed pinned from PyPI and driven unchanged, against Tacitus.

`livy` 0.8.0 (acroz/pylivy): LivyBatch.create/wait/log/kill and LivyClient's batch calls.
"""

import pytest
from livy import LivyBatch, SessionState
from livy.client import LivyClient


@pytest.fixture(scope="module")
def client(cfg):
    c = LivyClient(cfg.url, auth=(cfg.user, cfg.password), verify=cfg.ca)
    yield c
    c.close()


def test_pylivy_reads_the_server_version(client):
    version = client.server_version()
    assert not client.legacy_server(), f"pylivy takes {version} for a legacy (< 0.5) server"


def test_pylivy_batch_runs_to_success_with_its_log(cfg, client):
    batch = LivyBatch.create(cfg.url, cfg.job("ok.py"), auth=(cfg.user, cfg.password),
                             verify=cfg.ca, args=["3", "pylivy"], name="pylivy-ok",
                             num_executors=1, spark_conf={"spark.ui.enabled": "false"})
    state = batch.wait()
    assert state == SessionState.SUCCESS, f"pylivy's wait() ended in {state}"
    lines = batch.log(from_=0, size=10000)
    assert "TACITUS-LINE pylivy 2" in lines, "the job's stdout is not in the log pylivy reads"
    assert "TACITUS-OK 1000" in lines

    listed = {b.batch_id: b for b in client.list_batches()}
    assert batch.batch_id in listed, "list_batches() does not show the batch"
    assert listed[batch.batch_id].state == SessionState.SUCCESS
    got = client.get_batch(batch.batch_id)
    assert got is not None and got.state == SessionState.SUCCESS and got.app_id is None

    batch.kill()            # DELETE: must answer JSON, or pylivy raises
    assert client.get_batch(batch.batch_id) is None, "a deleted batch must be 404 (None)"
    assert client.get_batch_log(batch.batch_id) is None
