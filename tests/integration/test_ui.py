"""The web UI at /ui/, driven in a real browser: Debian's chromium under Playwright (pinned in
tests/requirements.txt), over HTTPS with basic auth through the stack's own front door.

The history is made as in test_history.py: 130 finished batches written by SQL three days
ago (past the retain window, so only the history shows them), plus, through the API, one
real batch whose log holds a known line, one real session with a statement, and one batch
that runs while its page is open.  Every page is checked for script errors (uncaught
exceptions, console errors, CSP refusals) and screenshotted into the artifact folder
($TACITUS_ARTIFACTS, else build/test-artifacts; never committed).
"""

import os
import re
import time
import uuid

import pytest

import tacitus_testlib as tl
from playwright import sync_api

N = 130
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 20000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(os.environ.get("TACITUS_ARTIFACTS") or
                         os.path.join(ROOT, "build", "test-artifacts"), "ui")



@pytest.fixture(scope="module")
def hist(tac, cfg):
    """The tag in this module's job names; ids of its real batch and session."""
    tag = "ui-" + uuid.uuid4().hex[:8]
    tac.db.query(
        "WITH b AS (INSERT INTO batch (name, owner, state, request, argv, created_at, "
        "launched_at, finished_at) "
        f"SELECT '{tag}-' || i, '{cfg.user}', "
        "CASE WHEN i % 3 = 0 THEN 'dead' ELSE 'success' END, '{}', '[]', "
        "now() - interval '3 days' + i * interval '1 second', "
        "now() - interval '3 days' + i * interval '1 second', "
        "now() - interval '3 days' + i * interval '1 second' + interval '2 seconds' "
        f"FROM generate_series(1, {N}) i RETURNING id, state, created_at) "
        "INSERT INTO batch_event (batch_id, at, from_state, to_state, reason) "
        "SELECT id, created_at, NULL, 'starting', 'submitted' FROM b UNION ALL "
        "SELECT id, created_at + interval '2 seconds', 'starting', state, 'ui history' FROM b")
    bid, st, _ = tac.run_batch({"file": cfg.job("ok.py"), "args": ["3", tag],
                                "name": f"{tag}-real"})
    assert st == "success", f"batch {bid} ended {st}: {tac.log_tail(bid)!r}"

    r = tac.api.post("/sessions", json={"kind": "pyspark", "name": f"{tag}-session"})
    sid = tl.json_body(r, 201)["id"]
    try:
        tl.wait_until(lambda: tac.api.get(f"/sessions/{sid}/state").json().get("state")
                      in ("idle", "error", "dead"), tl.JOB_TIMEOUT, f"session {sid} idle")
        r = tac.api.post(f"/sessions/{sid}/statements",
                         json={"code": f"print('answer-' + '{tag}')"})
        n = tl.json_body(r, 201)["id"]
        tl.wait_until(lambda: tac.api.get(f"/sessions/{sid}/statements/{n}").json()
                      .get("state") == "available", 60, f"statement {n} of session {sid}")
        yield tag, bid, sid
    finally:
        tac.api.delete(f"/sessions/{sid}")


@pytest.fixture(scope="module")
def browser():
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing (Debian's chromium: stack.sh deps)"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture()
def page(browser, cfg, request):
    """A fresh page logged in by basic auth; fails the test on any script error and leaves
    a screenshot named after the test."""
    ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900},
                              http_credentials={"username": cfg.user, "password": cfg.password},
                              accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors = []
    pg.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    pg.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
          if m.type == "error" else None)
    pg.tac_errors = errors
    yield pg
    os.makedirs(ARTIFACTS, exist_ok=True)
    try:
        pg.screenshot(path=os.path.join(ARTIFACTS, request.node.name + ".png"), full_page=True)
    finally:
        ctx.close()
    assert errors == [], f"script errors on {pg.url}: {errors}"


def loaded(pg, since=0):
    """Wait until the page's script finished a load newer than since; returns its stamp."""
    # (not wait_for_function: the page's CSP rightly forbids the eval it needs)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        stamp = pg.get_attribute("body", "data-loaded")
        if stamp and int(stamp) > since:
            return int(stamp)
        assert time.monotonic() < deadline, f"{pg.url} never finished loading"
        pg.wait_for_timeout(50)


def open_ui(pg, cfg, path="/ui/"):
    pg.goto(cfg.url + path)
    return loaded(pg)


def search(pg, text):
    before = loaded(pg)
    pg.fill("input[type=search]", text)
    pg.press("input[type=search]", "Enter")
    return loaded(pg, before)


def names(pg):
    return pg.locator("#rows td.name").all_inner_texts()


def test_root_leads_to_the_ui_and_files_say_their_type(api):
    r = api.get("/", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/ui/"), r.headers
    for path, kind in (("/ui/", "text/html"), ("/ui/list.js", "text/javascript"),
                       ("/ui/job.js", "text/javascript"), ("/ui/ui.css", "text/css")):
        r = api.get(path)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(kind), \
            (path, r.status_code, r.headers.get("Content-Type"))
        assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert api.post("/ui/", data="x").status_code in (403, 405)


def test_the_ui_needs_a_login(unauth_api):
    assert unauth_api.get("/ui/").status_code == 401


def test_list_pages_through_more_than_100_jobs_to_the_oldest(page, cfg, hist):
    tag, _, _ = hist
    open_ui(page, cfg)
    search(page, tag)
    total = N + 2                                      # the real batch and the session
    assert page.inner_text("#range") == f"1–50 of {total}"
    assert len(names(page)) == 50
    assert names(page)[0] == f"{tag}-session", "newest first"
    before = loaded(page)
    page.click("#older")
    loaded(page, before)
    assert page.inner_text("#range") == f"51–100 of {total}"
    before = loaded(page)
    page.click("#oldest")
    loaded(page, before)
    assert page.inner_text("#range") == f"101–{total} of {total}"
    assert names(page)[-1] == f"{tag}-1", "the oldest job is on the last page"
    assert page.is_disabled("#older") and page.is_disabled("#oldest")
    assert "from=100" in page.url, "the address keeps the page"
    # filters narrow the server's count
    before = loaded(page)
    page.select_option("#state", "dead")
    loaded(page, before)
    assert page.inner_text("#range") == f"1–{N // 3} of {N // 3}"
    assert set(page.locator("#rows .state").all_inner_texts()) == {"dead"}


def test_search_opens_a_batch_and_reads_its_log(page, cfg, hist):
    tag, bid, _ = hist
    open_ui(page, cfg)
    search(page, f"{tag}-real")
    assert names(page) == [f"{tag}-real"]
    before = loaded(page)
    page.click(f"#rows a:text-is('{tag}-real')")
    page.wait_for_url(re.compile(r"job\.html\?kind=batch&id=%d$" % bid))
    loaded(page, before)
    assert page.inner_text("#title") == f"Batch {bid} · {tag}-real"
    assert page.inner_text("#state") == "success"
    log = page.inner_text("#log")
    assert f"TACITUS-LINE {tag} 2" in log and "TACITUS-OK 1000" in log, log[-2000:]
    events = page.locator("#events tr").all_inner_texts()
    assert "starting" in events[0] and "success" in events[-1], events
    assert page.inner_text("dd[data-field='Why it ended']").strip(), "the reason it ended"
    with page.expect_download() as dl:
        page.click("#download")
    text = open(dl.value.path(), encoding="utf-8").read()
    assert dl.value.suggested_filename == f"batch-{bid}.log"
    whole = tac_log(cfg, bid)
    assert text.rstrip("\n").split("\n") == "\n".join(whole).split("\n"), "the whole log, in order"


def tac_log(cfg, bid):
    a = tl.Api(cfg)
    try:
        page = tl.json_body(a.get(f"/history/batches/{bid}/log", params={"size": 10000}), 200)
        assert page["total"] == len(page["log"]), "a test log fits one page"
        return page["log"]
    finally:
        a.close()


def test_a_session_page_shows_its_statement_output(page, cfg, hist):
    tag, _, sid = hist
    open_ui(page, cfg, f"/ui/?kind=session&q={tag}")
    assert names(page) == [f"{tag}-session"]
    before = loaded(page)
    page.click(f"#rows a:text-is('{tag}-session')")
    loaded(page, before)
    assert page.inner_text("#title") == f"Session {sid} · {tag}-session"
    st = page.locator("[data-statement='0']")
    assert f"print('answer-' + '{tag}')" in st.locator("pre.code").inner_text()
    assert st.locator("pre.out").inner_text().strip() == f"answer-{tag}"
    assert st.locator(".state").inner_text() == "available"
    assert "pyspark" in page.inner_text("dd[data-field='Kind']")


def test_a_running_job_updates_by_itself(page, cfg, tac):
    """The page follows a job through its event stream: lines printed while it is open
    appear, and the end, without a reload."""
    token = "ui-live-" + uuid.uuid4().hex[:6]
    r, bid = tac.create_batch({"file": cfg.job("lines.py"), "args": ["utf8", token, "4"]})
    assert r.status_code == 201, tl.describe(r)
    streams = []
    page.on("request", lambda q: streams.append(q.url) if q.url.endswith(
        f"/batches/{bid}/events") else None)
    try:
        tl.wait_until(lambda: tac.state(bid) == "running", tl.JOB_TIMEOUT, f"batch {bid} to run")
        open_ui(page, cfg, f"/ui/job.html?kind=batch&id={bid}")
        assert page.is_visible("#live")
        # no reload: the page follows the job: its last line, then its end
        page.wait_for_selector(f"#log >> text=TACITUS-LINES {token} after 9", timeout=120000)
        page.wait_for_selector("#state .state-success", timeout=120000)
        assert not page.is_visible("#live")
        assert "success" in page.locator("#events tr").last.inner_text()
        assert streams, "the page did not open the job's event stream"
    finally:
        tac.delete_quietly(bid)


def test_unknown_job_says_so(page, cfg):
    open_ui(page, cfg, "/ui/job.html?kind=batch&id=999999999999")
    assert "not found" in page.inner_text("#error").lower() or \
        "999999999999" in page.inner_text("#error")
    page.tac_errors[:] = [e for e in page.tac_errors if "404" not in e]   # the fetch's own line
