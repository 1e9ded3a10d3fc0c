"""Tenants walled off from each other's drivers.

Every job on a host shares its network: a driver's Spark UI (ports 4040 and up, on every
interface) let one session read another's SQL text (/api/v1/applications/<id>/sql) and kill
its running stages (/stages/stage/kill/), and its RPC ports listened with spark.authenticate
off.  Now every application gets spark.authenticate=true (Spark makes the application's own
secret), spark.ui.killEnabled=false, and no UI where the driver runs on the instance's host;
users may not set these (400, Livy's blacklist message).  The test runs a batch that sleeps
and asserts, from outside: its spark-submit and driver were started with those settings, and
no port its processes listen on answers Spark's REST API; a batch asking for its UI back is
refused and changes nothing.
"""

import json
import os
import re
import socket
import subprocess
import time
import uuid

import pytest
import requests

import tacitus_testlib as tl
from test_interactive import STARTUP_TIMEOUT, STATEMENT_TIMEOUT, Sess
from test_privilege import job_row, pgrp, proc_args

WALLS = ("spark.authenticate=true", "spark.ui.killEnabled=false", "spark.ui.enabled=false")


def listening_ports(pids):
    """TCP ports on which any of pids listens (from ss)."""
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    ports = set()
    for line in out.splitlines():
        owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if owners & set(pids):
            ports.add(int(line.split()[3].rsplit(":", 1)[1]))
    return ports


def test_a_driver_has_no_ui_and_authenticates_its_rpc(cfg, tac):
    run = uuid.uuid4().hex[:10]
    bid = None
    try:
        bid = tac.sleeping_batch(cfg.job("sleep.py"), f"{run}-wall")
        _, shim = job_row(tac, bid)
        group = [p for p in tl.processes(lambda cmd: True) if pgrp(p) == shim]
        java = [p for p in group if any(a.endswith("java") for a in proc_args(p)[:1])]
        assert java, f"batch {bid}: no JVM in its process group {shim}: " \
                     f"{ {p: proc_args(p)[:3] for p in group} }"
        for p in java:
            args = proc_args(p)
            missing = [w for w in WALLS if not any(w in a for a in args)]
            assert not missing, f"batch {bid}: JVM {p} was started without {missing}: {args}"
        ports = listening_ports(group)
        for port in sorted(ports):
            try:
                a = requests.get(f"http://127.0.0.1:{port}/api/v1/applications", timeout=3)
            except requests.RequestException:
                continue
            assert not (a.status_code == 200 and "attempts" in a.text), \
                f"batch {bid}: port {port} of its driver serves Spark's UI to anyone: {a.text[:200]}"
        assert tac.api.get(f"/batches/{bid}").json()["appInfo"]["sparkUiUrl"] is None, \
            f"batch {bid} shows a Spark UI address though its driver has none"
    finally:
        if bid is not None:
            tac.delete_quietly(bid)


@pytest.mark.parametrize("conf", [{"spark.ui.enabled": "true"}, {"spark.authenticate": "false"},
                                  {"spark.ui.killEnabled": "true"},
                                  {"spark.authenticate.secret": "known"}])
def test_the_walls_are_not_the_users_to_lower(cfg, tac, conf):
    name = f"wall-refused-{uuid.uuid4().hex[:10]}"
    r, bid = tac.create_batch({"file": cfg.job("ok.py"), "conf": conf, "name": name})
    assert r.status_code == 400 and bid is None, \
        f"POST /batches with conf {conf}: want 400, got {tl.describe(r)}"
    msg = r.json().get("msg", "")
    assert "Blacklisted configuration values" in msg and list(conf)[0] in msg, \
        f"POST /batches with conf {conf}: message {msg!r}"
    assert tac.db.query(f"select count(*) from batch where name = '{name}'") == "0", \
        f"a refused POST with conf {conf} stored a batch"


def syncs(tac):
    return tl.metric_sum(tac.api, r'tacitus_http_requests_total\{route="/driver/sync"[^}]*')


def test_wake_datagrams_of_strangers_wake_no_driver(cfg, tac):
    """Any process of the host may send to a driver's wake-up port (it shows in /proc/net/udp):
    a flood of datagrams without the driver's token must not make it sync more than it does
    idle; the server's own wake-up (a statement) still works at once."""
    r = tac.api.post("/sessions", json={"kind": "pyspark", "name": f"wake-{uuid.uuid4().hex[:8]}"})
    s = Sess(tac, r, time.monotonic()).require()
    try:
        s.wait_idle(STARTUP_TIMEOUT)
        did, _, _, _ = s.driver()
        addr = tac.db.query(f"select coalesce(wake_addr, '') from batch where id = {did}")
        assert re.fullmatch(r"[0-9.]+:\d+/[0-9a-f]{32}", addr), \
            f"session {s.id}: its driver's wake-up address {addr!r} carries no token"
        host, port = addr.split("/")[0].rsplit(":", 1)
        time.sleep(1)
        t0, quiet0 = time.monotonic(), syncs(tac)
        time.sleep(3)
        quiet = (syncs(tac) - quiet0) / (time.monotonic() - t0)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t0, flood0, sent = time.monotonic(), syncs(tac), 0
        while time.monotonic() - t0 < 3:
            for payload in (b"w", b"x" * 32, os.urandom(16).hex().encode()):
                sock.sendto(payload, (host, int(port)))
                sent += 1
            time.sleep(0.001)
        flood = (syncs(tac) - flood0) / (time.monotonic() - t0)
        sock.close()
        assert flood <= quiet * 2 + 2, \
            f"session {s.id}: {sent} datagrams without its token made its driver sync " \
            f"{flood:.1f}/s (idle: {quiet:.1f}/s)"
        # the server's wake-up still works
        out = s.run("1 + 1", timeout=STATEMENT_TIMEOUT)
        assert "2" in json.dumps(out), f"session {s.id}: statement output {out!r}"
    finally:
        s.delete_quietly()


def test_a_jobs_output_sets_no_app_id_nor_ui_address(cfg, tac):
    """appId and appInfo.sparkUiUrl are shown to every user (the web UI makes the address a
    link): a job that runs here prints what it likes, so neither comes from its output."""
    token = uuid.uuid4().hex[:10]
    bid, state, _ = tac.run_batch({"file": cfg.job("forge.py"), "args": [token]})
    log = tac.full_log(bid)
    assert state == "success" and any(f"FORGED {token}" in line for line in log), \
        f"batch {bid} ended {state}: {log[-10:]!r}"
    body = tac.api.get(f"/batches/{bid}").json()
    assert body["appId"] is None and body["appInfo"]["sparkUiUrl"] is None, \
        f"batch {bid}'s own output set appId {body['appId']!r} / sparkUiUrl " \
        f"{body['appInfo']['sparkUiUrl']!r}"
