"""Rejected requests: status, {"msg": ...} body, and no trace left behind.

Every rejected POST /batches must
  * answer 4xx with a JSON body {"msg": <non-empty string>} (exact Livy text where it matters),
  * add no row to table `batch` and no batch to GET /batches (Livy leaves "ghost" batches; we don't),
  * start no spark-submit (a background /proc scanner watches for one during the whole module).

No real Spark job is meant to start in this module.  If the server wrongly accepts a request,
the created batch is deleted at once and the test fails.
"""

import json
import time
import uuid

import pytest

import tacitus_testlib as tl

FILE_REQUIRED = "Rejected, Reason: requirement failed: File is required."
NOT_ALLOWED = "cannot be added to user sessions."


@pytest.fixture(scope="module", autouse=True)
def spark_watch(cfg):
    w = tl.SparkSubmitWatch(cfg.var).start()
    yield w
    w.stop()


def J(obj):
    return json.dumps(obj).encode()


def _cleanup_if_created(tac, r):
    """A request that should have been rejected was accepted: delete what it created."""
    if 200 <= r.status_code < 300:
        try:
            bid = r.json().get("id")
        except (ValueError, AttributeError):
            bid = None
        if bid is not None:
            tac.delete_quietly(bid)


def expect_rejected(tac, spark_watch, send, status=400, json_msg=True, what="", **msg_checks):
    """Send a request that must be rejected; check status, body, and that nothing was created."""
    before = tac.counts()
    r = send()
    _cleanup_if_created(tac, r)
    msg = None
    if json_msg:
        msg = tl.error_msg(r, status, **msg_checks)
    else:
        assert r.status_code == status, f"expected {status}: {tl.describe(r)}"
    tac.assert_no_new_batch(before, what or tl.describe(r))
    started = spark_watch.new()
    assert not started, f"{what}: a spark-submit was started for a rejected request: {started}"
    return r, msg


def post_raw(tac, data):
    return tac.api.post("/batches", data=data, headers={"Content-Type": "application/json"})


def session_rows(tac):
    return int(tac.db.query("select count(*) from session"))


# --------------------------------------------------------------------------- POST /batches bodies

POST_CASES = [
    # JSON that is not a CreateBatchRequest at all
    pytest.param(lambda c: b'{"file": "' + c.job("ok.py").encode() + b'", "args": [', {},
                 id="malformed-json"),
    pytest.param(lambda c: b"", {}, id="empty-body"),
    pytest.param(lambda c: b"null", {}, id="json-null"),
    pytest.param(lambda c: b"[]", {}, id="json-array"),
    pytest.param(lambda c: b'"x"', {}, id="json-string"),
    pytest.param(lambda c: b"42", {}, id="json-number"),
    # unknown fields (batches have no kind/ttl: unknown too)
    pytest.param(lambda c: J({"file": c.job("ok.py"), "foo": 1}), {"contains": "foo"},
                 id="unknown-field"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "kind": "pyspark"}), {"contains": "kind"},
                 id="session-field-kind"),
    # wrong types
    pytest.param(lambda c: J({"file": c.job("ok.py"), "args": "x"}), {}, id="args-string"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "conf": "x"}), {}, id="conf-string"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "jars": {"a": 1}}), {}, id="jars-object"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "conf": {"spark.executor.memory": {"a": 1}}}), {},
                 id="conf-value-object"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "numExecutors": "abc"}), {},
                 id="numExecutors-abc"),
    # file required
    pytest.param(lambda c: J({"args": ["x"]}), {"exact": FILE_REQUIRED}, id="file-missing"),
    pytest.param(lambda c: J({}), {"exact": FILE_REQUIRED}, id="empty-object"),
    pytest.param(lambda c: J({"file": None}), {"exact": FILE_REQUIRED}, id="file-null"),
    pytest.param(lambda c: J({"file": ""}), {}, id="file-empty-string"),
    # paths and the whitelist
    pytest.param(lambda c: J({"file": "rel/x.py"}),
                 {"exact": "Rejected, Reason: requirement failed: Path 'rel/x.py' is not absolute."},
                 id="file-relative"),
    pytest.param(lambda c: J({"file": "/etc/passwd"}),
                 {"exact": "Rejected, Reason: requirement failed: Local path /etc/passwd "
                           "cannot be added to user sessions."},
                 id="file-outside-whitelist"),
    pytest.param(lambda c: J({"file": "/tmp/tacitus-wl/../../etc/passwd"}), {"contains": NOT_ALLOWED},
                 id="file-dotdot-escape"),
    pytest.param(lambda c: J({"file": "file:///etc/passwd"}), {"contains": NOT_ALLOWED},
                 id="file-uri-outside-whitelist"),
    pytest.param(lambda c: J({"file": "/tmp/tacitus-wl-evil/x.py"}), {"contains": NOT_ALLOWED},
                 id="file-whitelist-prefix-trick"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "jars": ["/etc/passwd"]}),
                 {"exact": "Rejected, Reason: requirement failed: Local path /etc/passwd "
                           "cannot be added to user sessions."},
                 id="jars-outside-whitelist"),
    # configuration
    pytest.param(lambda c: J({"file": c.job("ok.py"), "conf": {"spark.master": "yarn"}}),
                 {"startswith": "Rejected, Reason: Blacklisted configuration values in session config: "
                                "spark.master"},
                 id="conf-blacklisted-spark-master"),
    # names
    pytest.param(lambda c: J({"file": c.job("ok.py"), "name": "12345"}), {"contains": "12345"},
                 id="name-all-digits"),
]

# conf keys outside Spark's key syntax: spark-submit splits "--conf k=v" at the first "=",
# so {"spark.yarn.jars=X": ""} would set the blacklisted spark.yarn.jars
POST_CASES += [
    pytest.param(lambda c: J({"file": c.job("ok.py"), "conf": {"spark.yarn.jars=X": ""}}),
                 {"startswith": "Rejected, Reason: Invalid configuration key",
                  "contains": '"spark.yarn.jars=X"'}, id="conf-key-with-equals"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "conf": {"spark.master ": "yarn"}}),
                 {"contains": '"spark.master "'}, id="conf-key-with-space"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "conf": {"spark.x\ny": "1"}}),
                 {"contains": "Invalid configuration key"}, id="conf-key-with-newline"),
]

# local: names a file on the nodes, this host among them: the whitelist applies to it as to
# file: and plain paths
POST_CASES += [
    pytest.param(lambda c: J({"file": "local:/etc/passwd"}),
                 {"exact": "Rejected, Reason: requirement failed: Local path /etc/passwd "
                           "cannot be added to user sessions."}, id="file-local-uri-outside-whitelist"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "jars": ["local:///etc/passwd"]}),
                 {"contains": NOT_ALLOWED}, id="jars-local-uri-outside-whitelist"),
    pytest.param(lambda c: J({"file": c.job("ok.py"), "conf": {"spark.files": "LOCAL:/etc/passwd"}}),
                 {"contains": NOT_ALLOWED}, id="conf-files-local-uri-outside-whitelist"),
]


@pytest.mark.parametrize("make_body,checks", POST_CASES)
def test_bad_post_is_rejected_without_trace(cfg, tac, spark_watch, make_body, checks):
    data = make_body(cfg)
    expect_rejected(tac, spark_watch, lambda: post_raw(tac, data), 400,
                    what=f"POST /batches {data[:120]!r}", **checks)


# --------------------------------------------------------------------------- JSON that only a lenient parser takes

def _lenient(ok):
    """Bodies that json-c's lenient mode accepts and PostgreSQL's jsonb refuses (their
    well-formed twin is an accepted request): 400, never 503 "database unavailable"."""
    return [
        pytest.param(b"{'" + ok[2:-1].replace(b'"', b"'") + b"}", id="single-quotes"),
        pytest.param(ok[:-1] + b",}", id="trailing-comma"),
        pytest.param(ok[:-1] + b', "name": "caf\xe9"}', id="invalid-utf8"),
        pytest.param(ok[:-1] + b', "conf": {"spark.a\\u0000b": "x"}}', id="nul-escape-in-a-key"),
        pytest.param(ok[:-1] + b', "conf": {"spark.a": NaN}}', id="nan"),
    ]


@pytest.mark.parametrize("body", _lenient(b'{"file": "@OK@"}'))
def test_lenient_json_batch_is_400(cfg, tac, spark_watch, body):
    data = body.replace(b"@OK@", cfg.job("ok.py").encode())
    expect_rejected(tac, spark_watch, lambda: post_raw(tac, data), 400,
                    what=f"POST /batches {data!r}", startswith="Malformed JSON")


@pytest.mark.parametrize("body", _lenient(b'{"kind": "pyspark"}'))
def test_lenient_json_session_is_400(tac, body):
    before = session_rows(tac)
    r = tac.api.post("/sessions", data=body, headers={"Content-Type": "application/json"})
    if r.status_code == 201:
        tac.api.delete(f"/sessions/{r.json()['id']}")
    tl.error_msg(r, 400, startswith="Malformed JSON")
    assert session_rows(tac) == before, "a refused POST /sessions wrote a session"


# --------------------------------------------------------------------------- Content-Type

# What a cross-site HTML form can send without a CORS preflight, and other non-JSON types
NOT_JSON_TYPES = [None, "text/plain", "application/x-www-form-urlencoded",
                  "multipart/form-data; boundary=x", "text/json", "application/jsonx"]


@pytest.mark.parametrize("ctype", NOT_JSON_TYPES, ids=lambda t: str(t))
def test_post_batches_needs_a_json_content_type(cfg, tac, spark_watch, ctype):
    data = J({"file": cfg.job("ok.py")})
    headers = {"Content-Type": ctype} if ctype else {}
    expect_rejected(tac, spark_watch, lambda: tac.api.post("/batches", data=data, headers=headers),
                    415, what=f"POST /batches as {ctype}", contains="application/json")


def test_post_sessions_statements_completion_need_a_json_content_type(tac):
    before = session_rows(tac)
    r = tac.api.post("/sessions", data=J({"kind": "pyspark"}), headers={"Content-Type": "text/plain"})
    if r.status_code == 201:
        tac.api.delete(f"/sessions/{r.json()['id']}")
    tl.error_msg(r, 415, contains="application/json")
    assert session_rows(tac) == before, "a text/plain POST /sessions created a session"
    for path in ("/sessions/99999999/statements", "/sessions/99999999/completion"):
        r = tac.api.post(path, data=J({"code": "1"}), headers={"Content-Type": "text/plain"})
        tl.error_msg(r, 415, contains="application/json")


@pytest.mark.parametrize("method,path", [("POST", "/sessions/99999999/stop"),
                                         ("POST", "/sessions/99999999/statements/0/cancel"),
                                         ("DELETE", "/batches/99999999"),
                                         ("POST", "/batches")])
def test_a_page_of_another_origin_changes_nothing(cfg, tac, spark_watch, method, path):
    """A browser names the page a request came from in Origin: a request from another
    origin's page that would change something is refused before it is routed, body or
    not (a form's text/plain POST to .../stop has no JSON to refuse).  The API's own
    origin, and clients that send no Origin (curl, sparkmagic, Airflow), go on."""
    before = tac.counts()
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    tl.error_msg(tac.api.request(method, path, data="x", headers=evil), 403,
                 contains="another origin")
    assert tac.counts() == before
    own = {"Origin": cfg.url}
    r = tac.api.request(method, path, headers=own)
    assert r.status_code != 403, f"{method} {path} from the API's own origin: {tl.describe(r)}"
    r = tac.api.request(method, path)
    assert r.status_code != 403, f"{method} {path} without Origin: {tl.describe(r)}"
    assert tac.counts() == before


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "Application/JSON;charset=UTF-8",
                                   "application/json ; charset=utf-8"])
def test_json_content_type_with_parameters_is_read(tac, spark_watch, ctype):
    # the body is read (and refused for what it says), not refused for its type
    data = J({"file": "/etc/passwd"})
    expect_rejected(tac, spark_watch, lambda: tac.api.post("/batches", data=data,
                                                           headers={"Content-Type": ctype}),
                    400, what=f"POST /batches as {ctype}", contains=NOT_ALLOWED)


# --------------------------------------------------------------------------- GET with bad parameters / ids

@pytest.mark.parametrize("params", [{"from": "abc"}, {"size": "abc"}, {"from": "0", "size": "abc"}],
                         ids=["from", "size", "size-with-from"])
def test_list_rejects_non_numeric_params(tac, params):
    r = tac.api.get("/batches", params=params)
    tl.error_msg(r, 400, exact='For input string: "abc"')


def test_long_query_values_are_refused_not_cut(tac):
    """A value is never cut to fit a buffer and then used: 70 zeros and an "x" are not 0, and a
    doAs of 300 bytes does not act as its first 255; Java's leading zeros still parse."""
    bad = "0" * 70 + "x"
    tl.error_msg(tac.api.get("/batches", params={"from": bad}), 400,
                 exact=f'For input string: "{bad}"')
    tl.error_msg(tac.api.get("/batches", params={"size": "0" * 2000}), 400,
                 contains="longer than")
    tl.error_msg(tac.api.get("/batches", params={"doAs": "u" * 300}), 400,
                 contains="doAs is longer than")
    page = tl.json_body(tac.api.get("/batches", params={"from": "0" * 70 + "1", "size": "1"}), 200)
    assert page["from"] == 1, page


@pytest.mark.parametrize("method,suffix", [("GET", ""), ("GET", "/state"), ("GET", "/log"), ("DELETE", "")],
                         ids=["get", "state", "log", "delete"])
def test_unknown_id_is_404(tac, method, suffix):
    r = tac.api.request(method, f"/batches/999999{suffix}")
    tl.error_msg(r, 404, exact="Session '999999' not found.")


def test_unknown_name_is_404(tac):
    name = f"nm-missing-{uuid.uuid4().hex[:10]}"
    tl.error_msg(tac.api.get(f"/batches/{name}"), 404, exact=f"Session '{name}' not found.")
    tl.error_msg(tac.api.get(f"/batches/{name}/state"), 404, exact=f"Session '{name}' not found.")


def test_negative_id_is_looked_up_as_a_name(tac):
    # "-1" is not all digits, so (like Livy) it is a name, and no batch has that name.
    tl.error_msg(tac.api.get("/batches/-1"), 404, exact="Session '-1' not found.")


@pytest.mark.parametrize("path", ["/batches/%FF", "/batches/%FF/state", "/sessions/%FF/state",
                                  "/sessions/a%C0%AF/statements", "/batches/%ED%A0%80/log"])
def test_path_that_is_not_utf8_is_404_and_no_database_error(tac, path):
    """nginx decodes %XX: a name that is not UTF-8 (PostgreSQL refuses it in a query) is a
    404, not a 503 with an ERROR in the log and a database error counted."""
    before = tl.metric_sum(tac.api, "tacitus_database_errors_total")
    tl.error_msg(tac.api.get(path), 404, contains="not UTF-8")
    assert tl.metric_sum(tac.api, "tacitus_database_errors_total") == before, "a path that is not UTF-8 reached the database"


def test_doas_that_is_not_utf8_is_400(tac):
    tl.error_msg(tac.api.get("/batches?doAs=%FF"), 400, contains="doAs is not UTF-8")


def test_id_overflowing_int_is_400(tac):
    big = "99999999999999999999"
    tl.error_msg(tac.api.get(f"/batches/{big}"), 400, exact=f'For input string: "{big}"')


# --------------------------------------------------------------------------- method, size, auth

def test_wrong_method_is_405_with_allow(cfg, tac, spark_watch):
    r, _ = expect_rejected(
        tac, spark_watch,
        lambda: tac.api.put("/batches", data=J({"file": cfg.job("ok.py")}),
                            headers={"Content-Type": "application/json"}),
        405, json_msg=False, what="PUT /batches")
    allow = r.headers.get("Allow")
    assert allow, f"405 without an Allow header: {tl.describe(r)}"
    methods = {m.strip().upper() for m in allow.split(",")}
    assert {"GET", "POST"} <= methods, f"Allow {allow!r} should list GET and POST"
    assert "PUT" not in methods, f"Allow {allow!r} lists the method it refused"


def test_oversized_body_is_413(cfg, tac, spark_watch):
    data = J({"file": cfg.job("ok.py"), "args": ["x" * (2 * 1024 * 1024)]})
    assert len(data) > 2 * 1024 * 1024
    r, _ = expect_rejected(tac, spark_watch, lambda: post_raw(tac, data), 413, json_msg=False,
                           what="2 MiB POST /batches")
    if r.headers.get("Content-Type", "").lower().startswith("application/json"):
        tl.error_msg(r, 413)


def _check_401(r):
    assert r.status_code == 401, f"expected 401: {tl.describe(r)}"
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), \
        f"a 401 must carry 'WWW-Authenticate: Basic ...': {r.headers.get('WWW-Authenticate')!r}"


def test_no_credentials_is_401(tac, unauth_api):
    for path in ("/batches", "/batches/999999", "/batches/999999/log"):
        _check_401(unauth_api.get(path))


def test_wrong_password_is_401(cfg):
    bad = tl.Api(cfg, auth=(cfg.user, cfg.password + "-wrong"))
    try:
        _check_401(bad.get("/batches"))
        _check_401(bad.get("/batches/999999/state"))
    finally:
        bad.close()


def test_unknown_user_is_401(cfg):
    bad = tl.Api(cfg, auth=(f"nobody-{uuid.uuid4().hex[:6]}", cfg.password))
    try:
        _check_401(bad.get("/batches"))
    finally:
        bad.close()


def test_post_without_credentials_creates_nothing(cfg, tac, spark_watch, unauth_api):
    body = J({"file": cfg.job("ok.py")})
    r, _ = expect_rejected(
        tac, spark_watch,
        lambda: unauth_api.post("/batches", data=body, headers={"Content-Type": "application/json"}),
        401, json_msg=False, what="unauthenticated POST /batches")
    _check_401(r)


# --------------------------------------------------------------------------- keep last

def test_no_spark_submit_was_started_by_this_module(spark_watch):
    time.sleep(2.0)  # give a late, asynchronous launcher the chance to show up
    started = spark_watch.new()
    assert not started, f"rejected requests started spark-submit processes: {started}"
