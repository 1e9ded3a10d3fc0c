"""Completion webhooks (beyond Livy): a job's callbackUrl gets its JSON, signed as Standard
Webhooks say, when it ends; a receiver that fails is tried again; nothing is lost when every
instance is killed between the state change and the delivery.

The receiver is a real HTTP server started here on 127.0.0.1 (integration.sh allows that
host and sets the secret: TACITUS_HOOK_SECRET); each test uses a path of its own, and tells
the receiver which statuses to answer there before it answers 200.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import threading
import time
import uuid

import pytest

import tacitus_testlib as tl
from test_recovery import ensure_instances, kill_instance, INSTANCES

SECRET = os.environ.get("TACITUS_HOOK_SECRET", "")
DELIVERY_TIMEOUT = 60


class Receiver:
    """An HTTP server recording every POST (path, headers, body) and answering, per path,
    the statuses queued for it, then 200."""

    def __init__(self):
        self.posts = []
        self.queued = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.posts.append((self.path, dict(self.headers), body))
                    q = receiver.queued.get(self.path)
                    status = q.pop(0) if q else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path, *statuses):
        """Answer these statuses to the next POSTs to path, then 200."""
        with self.lock:
            self.queued[path] = list(statuses)

    def to(self, path):
        with self.lock:
            return [(h, b) for p, h, b in self.posts if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver():
    assert SECRET.startswith("whsec_"), "integration.sh sets TACITUS_HOOK_SECRET"
    r = Receiver()
    yield r
    r.close()


def verify(headers, body, secret=SECRET):
    """Standard Webhooks' check, as a receiver does it: HMAC-SHA256 over id.timestamp.body
    with the secret's key; True when one of the signatures matches."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(sig.split(",", 1)[1], want)
               for sig in headers["webhook-signature"].split())


def wait_posts(receiver, path, n):
    return tl.wait_until(lambda: len(receiver.to(path)) >= n and receiver.to(path),
                         DELIVERY_TIMEOUT, lambda: f"{n} POSTs to {path}; got "
                         f"{len(receiver.to(path))}")


def attempts(db, url):
    out = db.query("SELECT a.status, a.instance, d.delivered_at IS NOT NULL FROM hook_attempt a "
                   "JOIN hook_delivery d ON d.id = a.delivery_id "
                   f"WHERE d.url = '{url}' ORDER BY a.at")
    return [line.split("|") for line in out.splitlines() if "|" in line]


def test_a_batch_end_is_posted_signed(tac, cfg, receiver):
    path = f"/hook/{uuid.uuid4().hex[:8]}"
    name = "hook-" + path[-8:]
    bid, st, _ = tac.run_batch({"file": cfg.job("quick.py"), "args": [name],
                                "name": name, "callbackUrl": receiver.url(path)})
    assert st == "success"
    headers, body = wait_posts(receiver, path, 1)[0]
    assert headers["Content-Type"] == "application/json", headers
    assert headers["webhook-id"].startswith("tacitus-"), headers
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 120, headers
    assert verify(headers, body), f"the signature does not verify: {headers}"
    # a receiver with another secret, or a body changed on the way, rejects it
    other = "whsec_" + base64.b64encode(b"not the secret of this server!!").decode()
    assert not verify(headers, body, other)
    assert not verify(headers, body.replace(b"success", b"dead"))
    event = json.loads(body)
    assert event["type"] == "batch.ended" and event["timestamp"].endswith("Z"), event
    data = event["data"]
    assert (data["kind"], data["id"], data["name"], data["state"], data["exitCode"]) == \
        ("batch", bid, name, "success", 0), data
    assert data["owner"] == cfg.user and data["reason"] == "spark-submit exited with code 0"
    assert [a[0] for a in attempts(tac.db, receiver.url(path))] == ["200"]
    time.sleep(1.5)     # delivered once: no second POST comes
    assert len(receiver.to(path)) == 1


def test_a_failing_receiver_is_tried_again_until_it_answers(tac, cfg, receiver):
    path = f"/hook/{uuid.uuid4().hex[:8]}"
    receiver.answer(path, 500, 503)
    bid, st, _ = tac.run_batch({"file": cfg.job("fail.py"), "callbackUrl": receiver.url(path)})
    assert st == "dead"
    posts = wait_posts(receiver, path, 3)
    ids = {h["webhook-id"] for h, _ in posts}
    assert len(ids) == 1, f"one delivery, the same id on every try: {ids}"
    assert all(verify(h, b) for h, b in posts)
    assert json.loads(posts[0][1])["data"]["state"] == "dead"
    stamps = [int(h["webhook-timestamp"]) for h, _ in posts]
    assert stamps[2] - stamps[0] >= 2, f"backoff 1 s then 2 s: {stamps}"
    tl.wait_until(lambda: [a[0] for a in attempts(tac.db, receiver.url(path))] ==
                  ["500", "503", "200"], 10, "three attempts recorded in SQL")
    assert attempts(tac.db, receiver.url(path))[-1][2] == "t", "delivered"


def test_every_change_when_the_job_asks(tac, cfg, receiver):
    path = f"/hook/{uuid.uuid4().hex[:8]}"
    bid, st, _ = tac.run_batch({"file": cfg.job("quick.py"), "callbackUrl": receiver.url(path),
                                "callbackEvents": "all"})
    assert st == "success"
    tl.wait_until(lambda: any(json.loads(b)["type"] == "batch.ended"
                              for _, b in receiver.to(path)), DELIVERY_TIMEOUT,
                  f"the end of batch {bid} at {path}")
    events = sorted((json.loads(b) for h, b in receiver.to(path) if verify(h, b)),
                    key=lambda e: e["timestamp"])
    seen = [(e["type"], e["data"]["from"], e["data"]["state"]) for e in events]
    assert seen[-1] == ("batch.ended", "running", "success"), seen
    assert ("batch.changed", "starting", "running") in seen, seen
    assert all(e["data"]["id"] == bid for e in events)
    assert len({h["webhook-id"] for h, _ in receiver.to(path)}) == len(seen), "one id per event"
    # the default: the end only
    path2 = f"/hook/{uuid.uuid4().hex[:8]}"
    tac.run_batch({"file": cfg.job("quick.py"), "callbackUrl": receiver.url(path2)})
    wait_posts(receiver, path2, 1)
    time.sleep(1)
    assert [json.loads(b)["type"] for _, b in receiver.to(path2)] == ["batch.ended"]


@pytest.mark.parametrize("body, words", [
    ({"callbackEvents": "all"}, "needs a callbackUrl"),
    ({"callbackEvents": "some", "callbackUrl": "http://127.0.0.1/x"}, "\"ended\" or \"all\""),
    ({"callbackEvents": 3, "callbackUrl": "http://127.0.0.1/x"}, "callbackEvents"),
])
def test_callback_events_are_checked(tac, cfg, body, words):
    before = tac.counts()
    msg = tl.error_msg(tac.api.post("/batches", json=dict(body, file=cfg.job("quick.py"))), 400)
    assert words in msg, msg
    tac.assert_no_new_batch(before, "refused callbackEvents")


@pytest.mark.parametrize("url, words", [
    ("http://192.0.2.1/hook", "allowed-hosts"),
    ("ftp://127.0.0.1/hook", "http or https"),
    ("http://user:pw@127.0.0.1/hook", "user or a password"),
    ("not a url", "not a URL"),
])
def test_a_callback_url_the_admin_did_not_allow_is_400(tac, cfg, url, words):
    before = tac.counts()
    for route, body in (("/batches", {"file": cfg.job("quick.py")}),
                        ("/sessions", {"kind": "pyspark"})):
        msg = tl.error_msg(tac.api.post(route, json=dict(body, callbackUrl=url)), 400)
        assert words in msg, msg
    msg = tl.error_msg(tac.api.post("/batches", json={"file": cfg.job("quick.py"),
                                                      "callbackUrl": 7}), 400)
    assert "callbackUrl" in msg, msg
    tac.assert_no_new_batch(before, "a refused callbackUrl")


def test_livy_clients_see_livys_unknown_field_message(tac, cfg):
    msg = tl.error_msg(tac.api.post("/batches", json={"file": cfg.job("quick.py"), "x": 1}), 400)
    assert "callbackUrl" not in msg and "(16 known properties" in msg, msg


def test_a_session_end_is_posted(tac, receiver):
    path = f"/hook/{uuid.uuid4().hex[:8]}"
    r = tac.api.post("/sessions", json={"kind": "pyspark", "callbackUrl": receiver.url(path)})
    sid = tl.json_body(r, 201)["id"]
    tl.wait_until(lambda: tac.api.get(f"/sessions/{sid}/state").json().get("state")
                  in ("idle", "error", "dead"), tl.JOB_TIMEOUT, f"session {sid} to start")
    assert tac.api.delete(f"/sessions/{sid}").status_code == 200
    headers, body = wait_posts(receiver, path, 1)[0]
    event = json.loads(body)
    assert event["type"] == "session.ended" and verify(headers, body), event
    assert (event["data"]["kind"], event["data"]["id"], event["data"]["state"]) == \
        ("session", sid, "killed"), event


def test_every_instance_killed_before_the_delivery_loses_nothing(tac, cfg, receiver):
    """The state change commits with its event; every instance is then killed -9 while the
    receiver still refuses; once they are back and it answers, the event is delivered."""
    assert INSTANCES >= 2
    path = f"/hook/{uuid.uuid4().hex[:8]}"
    receiver.answer(path, *([503] * 1000))
    bid, st, _ = tac.run_batch({"file": cfg.job("quick.py"), "callbackUrl": receiver.url(path)})
    assert st == "success"
    wait_posts(receiver, path, 1)
    for n in range(1, INSTANCES + 1):
        kill_instance(cfg, n)
    tried = len(receiver.to(path))
    receiver.answer(path)           # from now on: 200
    try:
        time.sleep(2)
        assert len(receiver.to(path)) == tried, "nobody left to send"
    finally:
        ensure_instances(cfg)
    tl.wait_until(lambda: attempts(tac.db, receiver.url(path))[-1:] and
                  attempts(tac.db, receiver.url(path))[-1][0] == "200", DELIVERY_TIMEOUT,
                  "the delivery after the restart")
    rows = attempts(tac.db, receiver.url(path))
    assert [a[0] for a in rows].count("200") == 1 and rows[-1][2] == "t", rows
    posts = receiver.to(path)
    assert len({h["webhook-id"] for h, _ in posts}) == 1 and verify(*posts[-1])
    assert json.loads(posts[-1][1])["data"]["id"] == bid
