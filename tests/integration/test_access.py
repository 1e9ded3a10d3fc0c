"""Livy's access control, impersonation and CSRF filter, as several real users over HTTPS.

The module restarts the instances with a livy.conf that turns them on, adds users to
nginx's htpasswd, and puts the harness's configuration back at the end.
"""

import http.server
import os
import socket
import shutil
import subprocess
import threading
import time
import uuid

import pytest

import tacitus_testlib as tl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USERS = ["alice", "bob", "victor", "mallory"]
CSRF = {"X-Requested-By": "tests"}
PASSWORDS = {}      # the users' passwords, made by the users fixture


def stack(*args):
    subprocess.run(["sh", os.path.join(ROOT, "app", "stack.sh"), *args], check=True,
                   stdout=subprocess.DEVNULL)


def restart(cfg):
    """Stop and start the stack (livy.conf is read at start), then add the users to nginx's
    htpasswd again (a start writes it anew with the harness's user only)."""
    stack("stop")
    stack("start")
    with open(os.path.join(cfg.var, "nginx", "htpasswd"), "a") as f:
        for u, p in PASSWORDS.items():
            f.write(f"{u}:{tl.ssha(p)}\n")


# spark-blacklist.conf grows past the 32 entries Tacitus once kept (the rest were dropped
# silently): the last of these must still be refused
LONG_BLACKLIST = [f"spark.tacitus.blocked{i}" for i in range(40)]


@pytest.fixture(scope="module")
def users(cfg):
    conf = os.path.join(os.environ["LIVY_CONF_DIR"], "livy.conf")
    blacklist = os.path.join(os.environ["LIVY_CONF_DIR"], "spark-blacklist.conf")
    saved = conf + ".saved"
    shutil.copy(conf, saved)
    shutil.copy(blacklist, blacklist + ".saved")
    with open(blacklist, "a") as f:
        f.write("".join(k + "\n" for k in LONG_BLACKLIST))
    with open(conf, "a") as f:
        f.write("livy.server.access-control.enabled = true\n"
                "livy.server.access-control.allowed-users = alice, bob, tok-user\n"
                "livy.server.access-control.view-users = victor\n"
                f"livy.superusers = {cfg.user}\n"
                "livy.impersonation.enabled = true\n"
                "livy.server.csrf-protection.enabled = true\n")
    PASSWORDS.update({u: uuid.uuid4().hex for u in USERS})
    restart(cfg)
    apis = {u: tl.Api(cfg, auth=(u, p)) for u, p in PASSWORDS.items()}
    apis["root"] = tl.Api(cfg)
    yield apis
    for a in apis.values():
        a.close()
    shutil.move(saved, conf)
    shutil.move(blacklist + ".saved", blacklist)
    stack("stop")
    stack("start")


def post(api, body, headers=None, **kw):
    return api.post("/batches", json=body, headers=dict(CSRF, **(headers or {})), **kw)


def wait_done(api, bid):
    deadline = time.monotonic() + tl.JOB_TIMEOUT
    while time.monotonic() < deadline:
        st = tl.json_body(api.get(f"/batches/{bid}/state"), 200)["state"]
        if st in tl.TERMINAL:
            return st
        time.sleep(tl.POLL_INTERVAL)
    pytest.fail(f"batch {bid} did not finish")


def test_access_rules_between_users(cfg, users):
    a, b, v, m, root = (users[u] for u in ("alice", "bob", "victor", "mallory", "root"))
    job = {"file": cfg.job("quick.py"), "args": [f"acl-{uuid.uuid4().hex[:8]}"]}

    # CSRF: a changing request without X-Requested-By is refused and creates nothing
    before = tac_rows(cfg)
    tl.error_msg(a.post("/batches", json=job), 400,
                 exact="Missing Required Header for CSRF protection.")
    assert tac_rows(cfg) == before

    # mallory is not in any list
    tl.error_msg(m.get("/batches"), 403, exact="User not authorised to use Livy.")
    tl.error_msg(post(m, job), 403, exact="User not authorised to use Livy.")
    assert tac_rows(cfg) == before

    r = post(a, job)
    obj = tl.json_body(r, 201)
    bid = obj["id"]
    assert obj["owner"] == "alice" and obj["proxyUser"] == "alice", obj
    # a wait for the end is checked as the GET it is, before it waits: mallory is refused
    # at once while the batch runs on (not held until its end, then answered)
    t0 = time.monotonic()
    tl.error_msg(m.get(f"/batches/{bid}/state", params={"until": "end"}), 403,
                 exact="User not authorised to use Livy.")
    assert time.monotonic() - t0 < 3, "a refused client waited for the end"
    assert wait_done(a, bid) == "success"
    assert tl.json_body(a.get(f"/batches/{bid}"), 200)["log"], "the owner sees the log"

    # a wait (beyond Livy) is checked as the GET it is: mallory is refused at once, and
    # alice's wait comes back to a worker as alice
    t0 = time.monotonic()
    tl.error_msg(m.get(f"/batches/{bid}/state", params={"wait": 5, "since": "success"}), 403,
                 exact="User not authorised to use Livy.")
    assert time.monotonic() - t0 < 3, "a refused client waited"
    assert_waited_as(a, bid)

    # bob: may use the API, sees the batch but not its log, may not delete it
    seen = tl.json_body(b.get(f"/batches/{bid}"), 200)
    assert seen["state"] == "success" and seen["log"] == [], seen
    tl.error_msg(b.get(f"/batches/{bid}/log"), 403)
    tl.error_msg(b.get(f"/batches/{bid}/events", headers={"Accept": "text/event-stream"}), 403)
    tl.error_msg(b.delete(f"/batches/{bid}", headers=CSRF), 403)
    # a header a client forges changes nothing: nginx's REMOTE_USER is the only source
    forged = {"Remote-User": "alice", "X-Remote-User": "alice", "REMOTE_USER": "alice"}
    assert tl.json_body(b.get(f"/batches/{bid}", headers=forged), 200)["log"] == []
    tl.error_msg(b.get(f"/batches/{bid}/log", headers=forged), 403)

    # victor is a view user: the log yes, deleting no
    assert tl.json_body(v.get(f"/batches/{bid}/log?from=0&size=1000"), 200)["log"]
    tl.error_msg(v.delete(f"/batches/{bid}", headers=CSRF), 403)

    # impersonation: alice may not act as bob; the superuser may, by proxyUser or doAs
    tl.error_msg(post(a, dict(job, proxyUser="bob")), 403,
                 exact="User 'alice' not allowed to impersonate 'Some(bob)'.")
    tl.error_msg(a.post("/batches?doAs=bob", json=job, headers=CSRF), 403,
                 exact="User 'alice' not allowed to impersonate 'Some(bob)'.")
    as_bob = tl.json_body(root.post("/batches?doAs=bob", json=job, headers=CSRF), 201)
    assert as_bob["owner"] == cfg.user and as_bob["proxyUser"] == "bob", as_bob
    assert wait_done(root, as_bob["id"]) == "success"
    argv = tl.Psql(cfg.psql).query(f"SELECT argv::text FROM batch WHERE id = {as_bob['id']}")
    assert '"--proxy-user", "bob"' in argv, argv
    # bob is the proxy user of that batch: he sees its log
    assert tl.json_body(b.get(f"/batches/{as_bob['id']}"), 200)["log"]

    # the superuser may delete alice's batch
    assert tl.json_body(root.delete(f"/batches/{bid}", headers=CSRF), 200) == {"msg": "deleted"}
    tl.error_msg(a.get(f"/batches/{bid}"), 404)


def test_history_shows_each_user_what_livy_lets_them_view(cfg, users):
    """GET /history lists only the jobs the caller may view (owner, proxy user, view,
    modify and superusers); a job's page is 403 for the others.  Rows written by SQL."""
    a, b, v, m, root = (users[u] for u in ("alice", "bob", "victor", "mallory", "root"))
    tag = "hacl-" + uuid.uuid4().hex[:8]
    rows = tl.Psql(cfg.psql).query(
        "INSERT INTO batch (name, owner, proxy_user, state, request, argv, finished_at) "
        f"VALUES ('{tag}-a', 'alice', 'alice', 'success', '{{}}', '[]', now()), "
        f"('{tag}-b', 'bob', 'bob', 'success', '{{}}', '[]', now()), "
        f"('{tag}-ab', 'alice', 'bob', 'dead', '{{}}', '[]', now()) RETURNING name, id")
    ids = dict(line.split("|") for line in rows.splitlines() if "|" in line)

    def names(api, **params):
        body = tl.json_body(api.get("/history", params=dict(params, q=tag)), 200)
        assert body["total"] == len(body["jobs"]), body
        return sorted(j["name"] for j in body["jobs"])

    assert names(a) == [f"{tag}-a", f"{tag}-ab"]
    assert names(b) == [f"{tag}-ab", f"{tag}-b"]            # the proxy user of -ab
    assert names(v) == names(root) == sorted(f"{tag}-{k}" for k in ("a", "ab", "b"))
    tl.error_msg(m.get("/history"), 403, exact="User not authorised to use Livy.")
    assert tl.json_body(a.get(f"/history/batches/{ids[tag + '-a']}"), 200)["owner"] == "alice"
    tl.error_msg(b.get(f"/history/batches/{ids[tag + '-a']}"), 403)
    tl.error_msg(b.get(f"/history/batches/{ids[tag + '-a']}/log"), 403)
    assert tl.json_body(a.get(f"/history/batches/{ids[tag + '-a']}/log"), 200)["total"] == 2
    assert tl.json_body(v.get(f"/history/batches/{ids[tag + '-b']}/log"), 200)["total"] == 2
    assert tl.json_body(b.get(f"/history/batches/{ids[tag + '-ab']}"), 200)["proxyUser"] == "bob"
    assert tl.json_body(v.get(f"/history/batches/{ids[tag + '-b']}"), 200)["owner"] == "bob"
    # doAs: the superuser acting as alice sees what alice sees
    assert names(root, doAs="alice") == [f"{tag}-a", f"{tag}-ab"]


def test_only_superusers_read_the_metrics(users):
    """GET /metrics shows what every user does: allowed users and view users get a 403,
    the superuser a scrape, and not when acting as a user who is not one."""
    for u in ("alice", "bob", "victor"):
        tl.error_msg(users[u].get("/metrics"), 403, contains=[f"'{u}'", "livy.superusers"])
    tl.error_msg(users["mallory"].get("/metrics"), 403, exact="User not authorised to use Livy.")
    r = users["root"].get("/metrics")
    assert r.status_code == 200 and "tacitus_http_requests_total" in r.text, tl.describe(r)
    tl.error_msg(users["root"].get("/metrics?doAs=alice"), 403, contains="'alice'")


def test_max_per_user_limits_one_user_only(cfg, users):
    """tacitus.session.max-per-user (beyond Livy): a user with that many batches and sessions
    starting or running is refused another with a 400 that writes nothing; other users are
    not, and a job that ended frees the slot."""
    a, b = users["alice"], users["bob"]
    conf = os.path.join(os.environ["LIVY_CONF_DIR"], "livy.conf")
    with open(conf) as f:
        original = f.read()
    token = f"cap-{uuid.uuid4().hex[:8]}"
    sleeper = {"file": cfg.job("sleep.py"), "args": [token, "120"]}
    quick = {"file": cfg.job("quick.py"), "args": [token]}
    limit = "Rejected, user 'alice' already has 1 batches and sessions starting or running " \
            "(tacitus.session.max-per-user)"
    held = []
    try:
        with open(conf, "a") as f:
            f.write("tacitus.session.max-per-user = 1\n")
        restart(cfg)
        held.append(tl.json_body(post(a, sleeper), 201)["id"])
        db = tl.Psql(cfg.psql)
        sessions = "SELECT count(*) FROM session"
        before, before_sessions = tac_rows(cfg), db.query(sessions)
        tl.error_msg(post(a, quick), 400, exact=limit)
        r = a.post("/sessions", json={"kind": "pyspark"}, headers=CSRF)
        tl.error_msg(r, 400, exact=limit)
        assert tac_rows(cfg) == before, "a refused POST /batches wrote a batch"
        assert db.query(sessions) == before_sessions, "a refused POST /sessions wrote a session"
        other = tl.json_body(post(b, quick), 201)["id"]       # bob is not limited by alice
        assert wait_done(b, other) == "success"
        assert tl.json_body(a.delete(f"/batches/{held[0]}", headers=CSRF), 200)
        tl.wait_until(lambda: db.query(f"SELECT state FROM batch WHERE id = {held[0]}")
                      == "killed", 60, "alice's sleeper to be killed")
        again = tl.json_body(post(a, quick), 201)["id"]       # her slot is free again
        held.append(again)
        assert wait_done(a, again) == "success"
    finally:
        for bid in held:
            a.delete(f"/batches/{bid}", headers=CSRF)
        with open(conf, "w") as f:
            f.write(original)
        restart(cfg)


def test_a_long_blacklist_is_honoured_to_its_last_key(cfg, users):
    before = tac_rows(cfg)
    for key in (LONG_BLACKLIST[0], LONG_BLACKLIST[-1]):
        tl.error_msg(post(users["alice"], {"file": cfg.job("quick.py"), "conf": {key: "x"}}), 400,
                     exact="Rejected, Reason: Blacklisted configuration values in session "
                           f"config: {key}")
    assert tac_rows(cfg) == before


def test_idempotency_key_counts_who_is_acted_as(cfg, users):
    """The same key from the same user acting as two users is two requests; each one
    replays its own batch."""
    root = users["root"]
    job = {"file": cfg.job("quick.py"), "args": [f"idem-{uuid.uuid4().hex[:8]}"]}
    headers = dict(CSRF, **{"Idempotency-Key": f"k-{uuid.uuid4().hex}"})
    as_alice = tl.json_body(root.post("/batches?doAs=alice", json=job, headers=headers), 201)
    as_bob = tl.json_body(root.post("/batches?doAs=bob", json=job, headers=headers), 201)
    try:
        assert as_alice["proxyUser"] == "alice", as_alice
        assert as_bob["proxyUser"] == "bob" and as_bob["id"] != as_alice["id"], \
            f"acting as bob replayed the batch made acting as alice: {as_bob}"
        again = tl.json_body(root.post("/batches?doAs=bob", json=job, headers=headers), 201)
        assert again["id"] == as_bob["id"], f"the retry as bob is not a replay: {again}"
        again = tl.json_body(root.post("/batches?doAs=alice", json=job, headers=headers), 201)
        assert again["id"] == as_alice["id"], f"the retry as alice is not a replay: {again}"
    finally:
        for b in (as_alice, as_bob):
            wait_done(root, b["id"])


def test_session_access_rules_between_users(cfg, users):
    """Sessions follow the rules of batches: the owner and view users see the log and the
    statements, only the owner (and superusers) run code, cancel or delete."""
    a, b, v, m, root = (users[u] for u in ("alice", "bob", "victor", "mallory", "root"))
    db = tl.Psql(cfg.psql)
    tl.error_msg(a.post("/sessions", json={"kind": "pyspark"}), 400,
                 exact="Missing Required Header for CSRF protection.")
    tl.error_msg(m.post("/sessions", json={"kind": "pyspark"}, headers=CSRF), 403,
                 exact="User not authorised to use Livy.")
    secret_conf = {"spark.hadoop.fs.s3a.secret.key": "alice-" + uuid.uuid4().hex}
    s = tl.json_body(a.post("/sessions", json={"kind": "pyspark", "conf": secret_conf,
                                               "heartbeatTimeoutInSecond": 3600},
                            headers=CSRF), 201)
    sid = s["id"]
    assert s["owner"] == "alice" and s["proxyUser"] == "alice", s
    try:
        # alice's driver runs as her (--proxy-user) and runs her code
        argv = db.query(f"SELECT b.argv::text FROM batch b JOIN session s ON b.id = s.driver_id "
                        f"WHERE s.id = {sid}")
        assert '"--proxy-user", "alice"' in argv, argv
        deadline = time.monotonic() + tl.JOB_TIMEOUT
        while tl.json_body(a.get(f"/sessions/{sid}/state"), 200)["state"] != "idle":
            assert time.monotonic() < deadline, f"session {sid} did not become idle"
            time.sleep(tl.POLL_INTERVAL)
        st = tl.json_body(a.post(f"/sessions/{sid}/statements", json={"code": "6 * 7"},
                                 headers=CSRF), 201)
        while st["state"] != "available":
            assert time.monotonic() < deadline, f"statement {st} did not finish"
            time.sleep(0.1)
            st = tl.json_body(a.get(f"/sessions/{sid}/statements/{st['id']}"), 200)
        assert st["output"]["data"]["text/plain"] == "42", st
        assert tl.json_body(a.get(f"/sessions/{sid}"), 200)["log"], "premise: alice sees a log"

        # now there is something to see and to change
        tl.error_msg(m.get(f"/sessions/{sid}"), 403, exact="User not authorised to use Livy.")
        # bob sees that the session exists, nothing of what runs in it (nor its conf, which
        # may hold credentials), and changes nothing, not even its heartbeat
        assert tl.json_body(a.get(f"/sessions/{sid}"), 200)["conf"] == secret_conf
        assert tl.json_body(v.get(f"/sessions/{sid}"), 200)["conf"] == secret_conf
        beat = db.query(f"SELECT heartbeat_at FROM session WHERE id = {sid}")
        seen = tl.json_body(b.get(f"/sessions/{sid}"), 200)
        assert seen["log"] == [] and seen["conf"] == {}, \
            f"bob, who may not view alice's session, sees its log or conf: {seen}"
        listed = [x for x in tl.json_body(b.get("/sessions"), 200)["sessions"] if x["id"] == sid]
        assert listed and listed[0]["conf"] == {}, f"GET /sessions shows bob alice's conf: {listed}"
        assert db.query(f"SELECT heartbeat_at FROM session WHERE id = {sid}") == beat, \
            "bob's GET, who may not view the session, renewed its heartbeat"
        tl.error_msg(b.get(f"/sessions/{sid}/log"), 403)
        tl.error_msg(b.get(f"/sessions/{sid}/statements"), 403)
        tl.error_msg(b.get(f"/sessions/{sid}/statements/{st['id']}"), 403)
        before = db.query("SELECT count(*) FROM statement")
        tl.error_msg(b.post(f"/sessions/{sid}/statements", json={"code": "1"}, headers=CSRF), 403)
        tl.error_msg(b.post(f"/sessions/{sid}/statements/{st['id']}/cancel", headers=CSRF), 403)
        tl.error_msg(b.post(f"/sessions/{sid}/completion", json={"code": "sp", "kind": "pyspark",
                                                                 "cursor": 2}, headers=CSRF), 403)
        tl.error_msg(b.delete(f"/sessions/{sid}", headers=CSRF), 403)
        # victor may view, not change
        assert tl.json_body(v.get(f"/sessions/{sid}/statements/{st['id']}"), 200)["output"] == \
            st["output"], "a view user reads the same result"
        assert tl.json_body(v.get(f"/sessions/{sid}/log"), 200)["log"]
        tl.error_msg(v.post(f"/sessions/{sid}/statements", json={"code": "1"}, headers=CSRF), 403)
        tl.error_msg(v.delete(f"/sessions/{sid}", headers=CSRF), 403)
        assert db.query("SELECT count(*) FROM statement") == before, "a refused POST wrote a row"
        assert tl.json_body(a.get(f"/sessions/{sid}/state"), 200)["state"] == "idle", \
            "a refused DELETE stopped the session"
    finally:
        # the superuser may delete alice's session
        deleted = root.delete(f"/sessions/{sid}", headers=CSRF)
    assert tl.json_body(deleted, 200) == {"msg": "deleted"}
    tl.error_msg(a.get(f"/sessions/{sid}"), 404)


def settle(api, path, status, timeout=10.0):
    """nginx -s reload returns before the new workers serve: wait for the new rules."""
    deadline = time.monotonic() + timeout
    while True:
        r = api.get(path)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def assert_waited_as(api, bid):
    """api's client waits 2 s on a finished batch and is answered by a worker that still
    knows who asks (a worker that lost the user would answer 401 or 403)."""
    t0 = time.monotonic()
    r = api.get(f"/batches/{bid}/state", params={"wait": 2, "since": "success"})
    assert tl.json_body(r, 200)["state"] == "success"
    assert time.monotonic() - t0 >= 1.9, "the wait did not wait"


def tac_rows(cfg):
    # batches only: session drivers (negative ids) come and go with the warm pool
    return int(tl.Psql(cfg.psql).query("SELECT count(*) FROM batch WHERE id >= 0"))


def test_client_certificates_name_the_user(cfg, users):
    env = dict(os.environ, TACITUS_AUTH="cert")
    subprocess.run(["sh", os.path.join(ROOT, "app", "stack.sh"), "start"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    try:
        out = subprocess.run(["sh", os.path.join(ROOT, "app", "stack.sh"), "client-cert", "alice"],
                             env=env, check=True, capture_output=True, text=True).stdout.split()
        alice = tl.Api(cfg, auth=None)
        alice.s.cert = (out[0], out[1])
        nobody = tl.Api(cfg, auth=None)
        try:
            tl.json_body(settle(alice, "/batches", 200), 200)
            r = nobody.get("/batches")
            assert r.status_code == 401 and r.json()["msg"], tl.describe(r)
            # basic credentials are no way in when certificates are asked for
            tl.error_msg(users["root"].get("/batches"), 401)
            job = {"file": cfg.job("quick.py"), "args": ["cert"]}
            forged = {"Remote-User": "bob", "X-Remote-User": "bob"}
            obj = tl.json_body(post(alice, job, headers=forged), 201)
            assert obj["owner"] == "alice" and obj["proxyUser"] == "alice", obj
            assert wait_done(alice, obj["id"]) == "success"
            assert_waited_as(alice, obj["id"])
        finally:
            alice.close()
            nobody.close()
    finally:
        stack("start")          # back to basic auth (TACITUS_AUTH of the harness)
    tl.json_body(settle(users["root"], "/batches", 200), 200)


def test_client_certificate_without_a_cn_is_401(cfg, users):
    """A certificate the client CA signed but that names nobody (no CN) is no user."""
    env = dict(os.environ, TACITUS_AUTH="cert")
    subprocess.run(["sh", os.path.join(ROOT, "app", "stack.sh"), "start"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    d = os.path.join(cfg.var, "nginx", "clients")
    crt, key = os.path.join(d, "no-cn.crt"), os.path.join(d, "no-cn.key")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=Tacitus tests",
                    "-keyout", key, "-out", crt + ".csr"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", crt + ".csr",
                    "-CA", os.path.join(cfg.var, "nginx", "client-ca.crt"),
                    "-CAkey", os.path.join(cfg.var, "nginx", "client-ca.key"),
                    "-CAcreateserial", "-days", "1", "-out", crt], check=True, capture_output=True)
    out = subprocess.run(["sh", os.path.join(ROOT, "app", "stack.sh"), "client-cert", "alice"],
                         env=env, check=True, capture_output=True, text=True).stdout.split()
    alice = tl.Api(cfg, auth=None)
    alice.s.cert = (out[0], out[1])
    nobody = tl.Api(cfg, auth=None)
    nobody.s.cert = (crt, key)
    try:
        tl.json_body(settle(alice, "/batches", 200), 200)     # certificates are asked for now
        before = tac_rows(cfg)
        r = settle(nobody, "/batches", 401)
        tl.error_msg(r, 401)
        tl.error_msg(post(nobody, {"file": cfg.job("quick.py")}), 401)
        assert tac_rows(cfg) == before, "a certificate without a CN created a batch"
    finally:
        alice.close()
        nobody.close()
        stack("start")
    tl.json_body(settle(users["root"], "/batches", 200), 200)


class _TokenService(http.server.BaseHTTPRequestHandler):
    """An external authentication service: one good token, for user tok-user; one that it
    takes (2xx) without naming a user, as a misconfigured service would."""

    def do_GET(self):
        if self.headers.get("Authorization") == "Bearer good-token":
            self.send_response(204)
            self.send_header("X-Auth-User", "tok-user")
        elif self.headers.get("Authorization") == "Bearer no-user-token":
            self.send_response(200)
        else:
            self.send_response(401)
        self.end_headers()

    def log_message(self, *args):
        pass


def start_token_service():
    """The token service of _TokenService on a free port, and the stack restarted in
    auth_request mode against it; the caller shuts the service down and restarts the stack."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    service = http.server.HTTPServer(("127.0.0.1", port), _TokenService)
    threading.Thread(target=service.serve_forever, daemon=True).start()
    env = dict(os.environ, TACITUS_AUTH="request", TACITUS_AUTH_URL=f"http://127.0.0.1:{port}/auth")
    subprocess.run(["sh", os.path.join(ROOT, "app", "stack.sh"), "start"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return service


def test_auth_request_asks_an_external_service(cfg, users):
    service = start_token_service()
    good = tl.Api(cfg, auth=None)
    good.s.headers["Authorization"] = "Bearer good-token"
    bad = tl.Api(cfg, auth=None)
    bad.s.headers["Authorization"] = "Bearer forged"
    try:
        tl.json_body(settle(good, "/batches", 200), 200)
        r = bad.get("/batches")
        assert r.status_code == 401 and r.json()["msg"], tl.describe(r)
        # the service's user is the owner; what the client claims is not
        body = {"file": cfg.job("quick.py"), "args": ["token"]}
        obj = tl.json_body(post(good, body, headers={"Remote-User": "root"}), 201)
        assert obj["owner"] == "tok-user", obj
        assert wait_done(good, obj["id"]) == "success"
        assert_waited_as(good, obj["id"])
    finally:
        good.close()
        bad.close()
        # closed, not only stopped: an old nginx worker that still has the token rules
        # for a moment after the reload is refused at once instead of waiting out its
        # time-out, and settle below sees the new rules in time
        service.shutdown()
        service.server_close()
        stack("start")
    tl.json_body(settle(users["root"], "/batches", 200), 200)


def test_auth_request_without_a_user_is_401(cfg, users):
    """A token service that answers 2xx without X-Auth-User authenticated nobody: 401, and
    nothing is read, created or done as anybody."""
    service = start_token_service()
    good = tl.Api(cfg, auth=None)
    good.s.headers["Authorization"] = "Bearer good-token"
    nouser = tl.Api(cfg, auth=None)
    nouser.s.headers["Authorization"] = "Bearer no-user-token"
    try:
        tl.json_body(settle(good, "/batches", 200), 200)
        before = tac_rows(cfg)
        sessions = tl.Psql(cfg.psql).query("SELECT count(*) FROM session")
        for path in ("/batches", "/sessions", "/version"):
            tl.error_msg(nouser.get(path), 401)
        job = {"file": cfg.job("quick.py"), "args": ["no-user"]}
        tl.error_msg(post(nouser, job), 401)
        tl.error_msg(nouser.post("/batches?doAs=bob", json=job, headers=CSRF), 401)
        tl.error_msg(nouser.post("/sessions", json={"kind": "pyspark"}, headers=CSRF), 401)
        assert tac_rows(cfg) == before, "a request without a user created a batch"
        assert tl.Psql(cfg.psql).query("SELECT count(*) FROM session") == sessions
    finally:
        good.close()
        nouser.close()
        # closed, not only stopped: an old nginx worker that still has the token rules
        # for a moment after the reload is refused at once instead of waiting out its
        # time-out, and settle below sees the new rules in time
        service.shutdown()
        service.server_close()
        stack("start")
    tl.json_body(settle(users["root"], "/batches", 200), 200)


def test_security_headers_and_no_version(api):
    r = api.get("/version")
    h = r.headers
    assert h.get("X-Content-Type-Options") == "nosniff", h
    assert h.get("X-Frame-Options") == "SAMEORIGIN", h
    assert h.get("X-XSS-Protection") == "1; mode=block", h
    assert "default-src 'self'" in h.get("Content-Security-Policy", ""), h
    assert h.get("Strict-Transport-Security", "").startswith("max-age="), h
    assert h.get("Server") == "nginx", f"the server version leaks: {h.get('Server')!r}"
    assert h["Content-Type"].startswith("application/json"), h
