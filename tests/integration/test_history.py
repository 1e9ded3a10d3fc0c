"""GET /history and GET /history/{batches|sessions}/{id}: the read API over the whole history.

The history here is made cheaply: 130 finished batches and a session (with its driver row)
are written by SQL, submitted three days ago, so that all of them are past the retain
window (integration.sh: 600 s) and gone from Livy's routes; one real batch of a job that
fails fast is submitted through the API for a timeline the monitors wrote.  Access control
between users is tested in test_access.py (its module runs the stack with it on).
"""

import uuid

import pytest

import tacitus_testlib as tl

N = 130                     # more than Livy's UI would ever show (100)


@pytest.fixture(scope="module")
def hist(tac):
    """The tag in the names of this module's jobs, its two owners, and the session's id."""
    tag = "hist-" + uuid.uuid4().hex[:8]
    tac.db.query(
        "WITH b AS (INSERT INTO batch (name, owner, state, request, argv, created_at, "
        "launched_at, finished_at) "
        f"SELECT '{tag}-' || i, '{tag}-' || CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END, "
        "CASE WHEN i % 3 = 0 THEN 'dead' ELSE 'success' END, '{}', '[]', "
        "now() - interval '3 days' + i * interval '1 second', "
        "now() - interval '3 days' + i * interval '1 second', "
        "now() - interval '3 days' + i * interval '1 second' + interval '1 second' "
        f"FROM generate_series(1, {N}) i RETURNING id, state, created_at) "
        "INSERT INTO batch_event (batch_id, at, from_state, to_state, reason) "
        "SELECT id, created_at, NULL, 'starting', 'submitted' FROM b UNION ALL "
        "SELECT id, created_at + interval '1 second', 'starting', state, 'test history' FROM b")
    sid = tac.db.query(
        "WITH d AS (INSERT INTO batch (id, owner, state, request, argv, created_at, "
        "launched_at, finished_at) VALUES (-nextval('driver_id_seq'), "
        f"'{tag}-odd', 'killed', '{{}}', '[]', now() - interval '2 days', "
        "now() - interval '2 days', now() - interval '2 days' + interval '5 seconds') "
        "RETURNING id, created_at), "
        "e AS (INSERT INTO batch_event (batch_id, at, from_state, to_state, reason) "
        "SELECT id, created_at, NULL, 'starting', 'session driver' FROM d UNION ALL "
        "SELECT id, created_at + interval '5 seconds', 'starting', 'killed', 'deleted' FROM d) "
        "INSERT INTO session (name, owner, kind, request, driver_id, created_at, deleted_at) "
        f"SELECT '{tag}-session', '{tag}-odd', 'pyspark', '{{}}', id, created_at, "
        "created_at + interval '5 seconds' FROM d RETURNING id")
    return tag, int(sid.splitlines()[0])   # then psql's "INSERT 0 1"


def page(api, **params):
    return tl.json_body(api.get("/history", params=params), 200)


def test_pages_to_the_oldest_of_more_than_100(api, hist):
    tag, _ = hist
    first = page(api, q=tag, kind="batch", size=50)
    assert first["from"] == 0 and first["total"] == N, {k: first[k] for k in ("from", "total")}
    names, offset = [], 0
    while offset < N:
        p = page(api, q=tag, kind="batch", size=50, **{"from": offset})
        assert p["total"] == N and p["from"] == offset
        names += [j["name"] for j in p["jobs"]]
        offset += 50
    assert names == [f"{tag}-{i}" for i in range(N, 0, -1)], "newest first, to the oldest"
    last = page(api, q=tag, kind="batch", size=50, **{"from": 100})["jobs"]
    assert len(last) == N - 100 and last[-1]["name"] == f"{tag}-1"
    assert set(last[-1]) == {"kind", "id", "name", "owner", "proxyUser", "state",
                             "submitted", "finished", "appId"}
    assert last[-1]["kind"] == "batch" and last[-1]["owner"] == f"{tag}-odd"
    assert last[-1]["submitted"].endswith("Z") and last[-1]["finished"].endswith("Z")
    # past the end: an empty page, the total still said
    beyond = page(api, q=tag, **{"from": 1000})
    assert beyond["jobs"] == [] and beyond["total"] == N + 1


def test_filters_by_state_owner_and_kind(api, hist):
    tag, sid = hist
    dead = page(api, q=tag, state="dead", size=1000)
    assert dead["total"] == N // 3 and {j["state"] for j in dead["jobs"]} == {"dead"}
    even = page(api, owner=f"{tag}-even", size=1000)
    assert even["total"] == N // 2 and {j["owner"] for j in even["jobs"]} == {f"{tag}-even"}
    odd_dead = page(api, owner=f"{tag}-odd", state="dead", size=1000)
    assert odd_dead["total"] == len([i for i in range(1, N + 1) if i % 2 and i % 3 == 0])
    sessions = page(api, q=tag, kind="session")
    assert sessions["total"] == 1, sessions
    s = sessions["jobs"][0]
    assert (s["kind"], s["id"], s["name"], s["state"]) == ("session", sid, f"{tag}-session",
                                                           "killed"), s
    assert page(api, q=tag, kind="batch")["total"] == N
    assert page(api, q=tag)["total"] == N + 1


def test_search_finds_a_job_by_name_or_id(api, tac, hist):
    tag, sid = hist
    one = page(api, q=f"{tag}-77")
    assert [j["name"] for j in one["jobs"]] == [f"{tag}-77"], one
    assert page(api, q=f"{tag}-77".upper())["total"] == 1, "case-insensitive"
    # LIKE's wildcards are searched for, not obeyed
    assert page(api, q=tag.replace("-", "_"))["total"] == 0
    assert page(api, q=tag[:5] + "%" + tag[6:])["total"] == 0
    bid = int(tac.db.query(f"SELECT id FROM batch WHERE name = '{tag}-5'"))
    found = page(api, q=str(bid), size=1000)["jobs"]
    assert any(j["kind"] == "batch" and j["id"] == bid and j["name"] == f"{tag}-5"
               for j in found), found
    found = page(api, q=str(sid), kind="session", size=1000)["jobs"]
    assert any(j["id"] == sid for j in found), found


def test_a_job_past_the_retain_window_with_its_timeline(api, tac, hist):
    tag, sid = hist
    bid = int(tac.db.query(f"SELECT id FROM batch WHERE name = '{tag}-6'"))
    tl.error_msg(api.get(f"/batches/{bid}"), 404)       # Livy's route: gone
    job = tl.json_body(api.get(f"/history/batches/{bid}"), 200)
    assert (job["kind"], job["id"], job["name"], job["state"]) == ("batch", bid, f"{tag}-6",
                                                                   "dead")
    assert [(e["from"], e["to"], e["reason"]) for e in job["events"]] == [
        (None, "starting", "submitted"), ("starting", "dead", "test history")]
    assert all(e["at"].endswith("Z") for e in job["events"])
    tl.error_msg(api.get(f"/sessions/{sid}"), 404)
    s = tl.json_body(api.get(f"/history/sessions/{sid}"), 200)
    assert s["kind"] == "session" and s["name"] == f"{tag}-session"
    assert [e["to"] for e in s["events"]] == ["starting", "killed"], s["events"]


def test_a_real_batch_shows_with_the_monitors_timeline(api, tac, cfg):
    name = "hist-real-" + uuid.uuid4().hex[:8]
    bid, st, _ = tac.run_batch({"file": cfg.job("fail.py"), "name": name})
    assert st == "dead"
    jobs = page(api, q=name)["jobs"]
    assert [(j["kind"], j["id"], j["state"]) for j in jobs] == [("batch", bid, "dead")], jobs
    job = tl.json_body(api.get(f"/history/batches/{bid}"), 200)
    tos = [e["to"] for e in job["events"]]
    assert tos[0] == "starting" and tos[-1] == "dead", job["events"]
    assert all(e["reason"] for e in job["events"]), job["events"]
    # the newest first: it is newer than everything the fixture wrote
    assert page(api, size=1)["jobs"][0]["submitted"] >= job["submitted"]


def test_a_past_job_keeps_its_details_log_and_statements(api, tac, hist):
    """The job page's fields, its whole log in Livy's pages and a deleted session's
    statements, all past the retain window (written by SQL here; test_ui.py reads real
    ones through the browser)."""
    tag, sid = hist
    bid = int(tac.db.query(f"SELECT id FROM batch WHERE name = '{tag}-7'"))
    tac.db.query(
        "WITH l AS (INSERT INTO batch_log_chunk (batch_id, first_line, line_count, lines) "
        f"SELECT {bid}, 0, count(*), string_agg('line ' || i, E'\\n' ORDER BY i) "
        "FROM generate_series(0, 2) i RETURNING line_count) "
        f"UPDATE batch SET log_lines = (SELECT line_count FROM l) WHERE id = {bid}")
    job = tl.json_body(api.get(f"/history/batches/{bid}"), 200)
    assert job["logLines"] == 3 and job["durationS"] == 1.0, job
    assert job["started"] == job["submitted"] and job["reason"] == "test history", job
    assert job["appInfo"] == {"driverLogUrl": None, "sparkUiUrl": None} and job["queue"] is None
    assert "sessionKind" not in job
    log = tl.json_body(api.get(f"/history/batches/{bid}/log", params={"from": 0}), 200)
    assert log == {"id": bid, "from": 0, "total": 5,
                   "log": ["stdout: ", "line 0", "line 1", "line 2", "\nstderr: "]}, log
    two = tl.json_body(api.get(f"/history/batches/{bid}/log", params={"from": 2, "size": 2}), 200)
    assert two["log"] == ["line 1", "line 2"], two
    tl.error_msg(api.get(f"/batches/{bid}/log"), 404)       # Livy's route: gone

    tac.db.query(
        "WITH st AS (INSERT INTO statement (session_id, id, code, kind, state, output, "
        f"progress, started_ms, completed_ms) VALUES ({sid}, 0, 'print(42)', 'pyspark', "
        "'available', '{\"status\": \"ok\", \"execution_count\": 0, "
        "\"data\": {\"text/plain\": \"42\"}}', 1, 1000, 1250) RETURNING 1) "
        f"UPDATE session SET next_statement = 1 WHERE id = {sid}")
    s = tl.json_body(api.get(f"/history/sessions/{sid}"), 200)
    assert s["sessionKind"] == "pyspark" and s["logLines"] == 0, s
    sts = tl.json_body(api.get(f"/history/sessions/{sid}/statements"), 200)
    assert sts["total_statements"] == 1, sts
    st = sts["statements"][0]
    assert (st["id"], st["code"], st["state"], st["output"]["data"]["text/plain"],
            st["completed"] - st["started"]) == (0, "print(42)", "available", "42", 250), st
    assert tl.json_body(api.get(f"/history/sessions/{sid}/log"), 200)["total"] == 2
    tl.error_msg(api.get(f"/history/batches/{bid}/statements"), 404)
    tl.error_msg(api.get(f"/history/batches/{bid}/nothing"), 404)
    tl.error_msg(api.get(f"/history/batches/{bid}/log", params={"from": "x"}), 400)


@pytest.mark.parametrize("query, words", [
    ("kind=driver", "kind"), ("state=bogus", "state"), ("from=-1", "negative"),
    ("size=-5", "negative"), ("size=abc", "abc"), ("owner=%FF", "UTF-8"),
    ("q=" + "x" * 201, "q"),
])
def test_bad_parameters_are_400(api, query, words):
    msg = tl.error_msg(api.get(f"/history?{query}"), 400)
    assert words in msg, msg


def test_unknown_jobs_and_routes(api):
    tl.error_msg(api.get("/history/batches/999999999999"), 404)
    tl.error_msg(api.get("/history/sessions/999999999999"), 404)
    tl.error_msg(api.get("/history/batches/abc"), 404)
    tl.error_msg(api.get("/history/drivers/1"), 404)
    tl.error_msg(api.get("/history/batches"), 404)
    assert api.post("/history", json={}).status_code == 405
