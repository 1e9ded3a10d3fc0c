"""Real Livy clients, installed pinned from PyPI and driven unchanged, against Tacitus.

`livy` 0.8.0 (acroz/pylivy): LivyBatch.create/wait/log/kill and LivyClient's batch calls;
LivySession (pyspark and sql) with run/download/upload/download_sql/close.

`sparkmagic` 0.23.0: its client library (sparkmagic.livyclientlib), driven the way its Jupyter
kernel does: credentials from its configuration -> initialize_auth -> Endpoint ->
SparkController.add_session (LivySession.start: POST with heartbeatTimeoutInSecond 60, wait for
idle, run `spark`), Command / SQLQuery .execute, cancel (the kernel's interrupt path and
LivyReliableHttpClient.cancel_statement), LivySession.delete.

Sessions are few (each one but the first needs a new Spark driver, ~6-10 s here): one pyspark and
one sql session for pylivy, one pyspark session for sparkmagic.
"""

import base64
import builtins
import signal
import threading
import time

import pandas
import pytest
from livy import LivyBatch, LivySession, SessionKind, SessionState, SparkRuntimeError
from livy.client import LivyClient
from livy.models import OutputStatus, StatementKind, StatementState

import tacitus_testlib as tl

SESSION_START_TIMEOUT = 120.0   # seconds for a session to leave not_started/starting

# sparkmagic's widgets pass traitlets arguments it deprecates; nothing to do with the server
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing unrecognized arguments to super:DeprecationWarning")


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


# --------------------------------------------------------------------------- helpers

STATEMENT_TIMEOUT = 120.0       # seconds for one statement (pylivy and sparkmagic poll forever)
# A Spark job of ~120 s (one task sleeping 0.5 s per row): long enough to be cancelled while
# it runs; its job group is what Livy cancels.
LONG_CODE = ("import time\n"
             "sc.parallelize(range(240), 1).map(lambda x: time.sleep(0.5) or x).sum()  # {}")


def within(seconds, fn, *args, **kwargs):
    """fn(*args, **kwargs) in a daemon thread: its result or its exception, or a test failure
    after `seconds` (pylivy's wait() and run() poll without a time limit)."""
    box = {}

    def run():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: B902 - handed to the caller as is
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"{getattr(fn, '__qualname__', fn)}{args!r} still running after "
                    f"{seconds:.0f} s", pytrace=False)
    if "error" in box:
        raise box["error"]
    return box["value"]


def poll(what, fn, done, timeout=STATEMENT_TIMEOUT, interval=0.3):
    """fn() until done(value); the last value, or a failure after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still {value!r} after {timeout:.0f} s", pytrace=False)
        time.sleep(interval)


# --------------------------------------------------------------------------- pylivy sessions

def started(cfg, kind, **kwargs):
    """LivySession.create + wait() (bounded); the session is closed if it does not start."""
    session = LivySession.create(cfg.url, kind=kind, auth=(cfg.user, cfg.password),
                                 verify=cfg.ca, **kwargs)
    try:
        within(SESSION_START_TIMEOUT, session.wait)
        state = session.state
        assert state == SessionState.IDLE, f"session {session.session_id}: wait() ended {state}"
    except BaseException:
        session.close()
        raise
    return session


def test_pylivy_pyspark_session_runs_downloads_and_closes(cfg, client):
    session = started(cfg, SessionKind.PYSPARK)
    sid = session.session_id
    with session:   # __enter__ waits again (at once), __exit__ closes: DELETE must answer JSON
        listed = {s.session_id: s for s in client.list_sessions()}
        assert sid in listed, "list_sessions() does not show the session"
        assert listed[sid].kind == SessionKind.PYSPARK and listed[sid].proxy_user is None

        out = within(STATEMENT_TIMEOUT, session.run, "spark.range(100).count()")
        assert (out.status, out.text) == (OutputStatus.OK, "100")

        with pytest.raises(SparkRuntimeError) as err:
            within(STATEMENT_TIMEOUT, session.run, "1 / 0")
        e = err.value
        assert (e.ename, e.evalue) == ("ZeroDivisionError", "division by zero"), repr(e)
        assert isinstance(e.traceback, list) and all(isinstance(t, str) for t in e.traceback)
        assert e.traceback and e.traceback[-1].startswith("ZeroDivisionError"), e.traceback

        # a DataFrame defined with run() comes back through download() (toJSON, line by line)
        within(STATEMENT_TIMEOUT, session.run,
               "df = spark.createDataFrame([(1, 'a'), (2, 'b'), (3, 'c')], 'n int, s string')")
        got = within(STATEMENT_TIMEOUT, session.download, "df")
        assert got.to_dict("records") == [{"n": 1, "s": "a"}, {"n": 2, "s": "b"},
                                          {"n": 3, "s": "c"}]

        # and a pandas DataFrame goes up through upload()
        within(STATEMENT_TIMEOUT, session.upload, "up",
               pandas.DataFrame({"k": [10, 20], "v": ["p", "q"]}))
        out = within(STATEMENT_TIMEOUT, session.run, "up.selectExpr('sum(k)').first()[0]")
        assert out.text == "30"

        # a statement of kind sql in a pyspark session (LivyClient.create_statement)
        st = client.create_statement(sid, "select 2 as c", kind=StatementKind.SQL)
        st = poll(f"sql statement {st.statement_id}",
                  lambda: client.get_statement(sid, st.statement_id),
                  lambda s: s.state not in (StatementState.WAITING, StatementState.RUNNING))
        assert st.state == StatementState.AVAILABLE and st.output.status == OutputStatus.OK, st
        assert [f["name"] for f in st.output.json["schema"]["fields"]] == ["c"]
        assert st.output.json["data"] == [[2]]
    assert client.get_session(sid) is None, "a closed session must be 404 (None)"


def test_pylivy_sql_session_downloads_sql_and_closes(cfg, client):
    session = started(cfg, SessionKind.SQL)
    sid = session.session_id
    try:
        listed = {s.session_id: s for s in client.list_sessions()}
        assert sid in listed and listed[sid].kind == SessionKind.SQL

        got = within(STATEMENT_TIMEOUT, session.download_sql, "select 1 as a, 'x' as b")
        assert list(got.columns) == ["a", "b"]
        assert got.values.tolist() == [[1, "x"]]

        with pytest.raises(SparkRuntimeError) as err:
            within(STATEMENT_TIMEOUT, session.download_sql, "select * from tacitus_no_such_table")
        assert err.value.ename and "tacitus_no_such_table" in (err.value.evalue or ""), \
            repr(err.value)
    finally:
        session.close()     # DELETE: must answer JSON, or pylivy raises
    assert client.get_session(sid) is None, "a closed session must be 404 (None)"


# --------------------------------------------------------------------------- sparkmagic

SPARKMAGIC_SESSION = "tacitus-it"


@pytest.fixture(scope="module")
def smlib(cfg, tmp_path_factory):
    """sparkmagic's modules, configured as a user's ~/.sparkmagic/config.json would do it.

    Its configuration directory (and so its log file) is a scratch one; it checks TLS with
    requests' defaults, so REQUESTS_CA_BUNDLE names the stack's CA.
    """
    conf_dir = tmp_path_factory.mktemp("sparkmagic")
    mp = pytest.MonkeyPatch()
    mp.setenv("SPARKMAGIC_CONF_DIR", str(conf_dir))
    mp.setenv("REQUESTS_CA_BUNDLE", cfg.ca)
    try:
        import sparkmagic.utils.configuration as conf
        from hdijupyterutils.ipythondisplay import IpythonDisplay
        from sparkmagic.livyclientlib import exceptions
        from sparkmagic.livyclientlib.command import Command
        from sparkmagic.livyclientlib.endpoint import Endpoint
        from sparkmagic.livyclientlib.sparkcontroller import SparkController
        from sparkmagic.livyclientlib.sqlquery import SQLQuery
        from sparkmagic.utils.utils import Namespace, initialize_auth

        conf.override_all({
            "kernel_python_credentials": {
                "username": cfg.user,
                "base64_password": base64.b64encode(cfg.password.encode()).decode(),
                "url": cfg.url,
                "auth": "Basic_Access",
            },
            # sparkmagic's defaults, spelled out: what the server must meet
            "ignore_ssl_errors": False,
            "livy_session_startup_timeout_seconds": 60,
            "wait_for_idle_timeout_seconds": 15,
            "livy_server_heartbeat_timeout_seconds": 60,
            # its heartbeat thread GETs /sessions/{id} every 30 s, and delete() joins that
            # thread: 5 s makes it beat during these tests and delete() return sooner
            "heartbeat_refresh_seconds": 5,
        })
        yield type("Sparkmagic", (), dict(
            conf=conf, IpythonDisplay=IpythonDisplay, exceptions=exceptions, Command=Command,
            Endpoint=Endpoint, SparkController=SparkController, SQLQuery=SQLQuery,
            Namespace=Namespace, initialize_auth=initialize_auth, logs=conf_dir / "logs"))
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def sm_session(smlib):
    """A pyspark session started as sparkmagic's kernel starts one (refresh_configuration, then
    SparkController.add_session); deleted at the end unless a test did it."""
    sm = smlib
    creds = sm.conf.base64_kernel_python_credentials()      # KernelMagics.refresh_configuration
    auth = sm.initialize_auth(sm.Namespace(auth=creds["auth"], user=creds["username"],
                                           password=creds["password"], url=creds["url"]))
    endpoint = sm.Endpoint(creds["url"], auth)
    controller = sm.SparkController(sm.IpythonDisplay())
    properties = sm.conf.get_session_properties("python")   # KernelMagics._do_not_call_start_session
    assert properties == {"kind": "pyspark"}
    within(SESSION_START_TIMEOUT, controller.add_session, SPARKMAGIC_SESSION, endpoint, False,
           properties)
    session = controller.get_session_by_name_or_default(SPARKMAGIC_SESSION)
    yield session
    if session.id >= 0:
        session.delete()


def test_sparkmagic_starts_a_session_like_its_kernel(api, sm_session):
    s = sm_session
    assert (s.kind, s.status, s.sql_context_variable_name) == ("pyspark", "idle", "spark")
    body = api.get(f"/sessions/{s.id}").json()
    assert body.get("heartbeatTimeoutInSecond") == 60, \
        "the heartbeatTimeoutInSecond sparkmagic sends is not kept"
    # what %%info shows: appId, appInfo.sparkUiUrl / driverLogUrl, proxyUser or owner
    assert str(s).startswith(f"Session id: {s.id}\tYARN id: {body['appId']}\t"), str(s)
    assert f"\tSpark UI: {body['appInfo']['sparkUiUrl']}\n" in str(s), str(s)
    assert s.get_user() == body["proxyUser"], (s.get_user(), body["proxyUser"])
    # what it prints when a session dies: GET /sessions/{id}/log?from=0
    assert s.get_logs().startswith(tl.LOG_HEAD), s.get_logs()[:200]


def test_sparkmagic_command_runs(smlib, sm_session):
    got = within(STATEMENT_TIMEOUT, smlib.Command("spark.range(5).count()").execute,
                 sm_session)
    assert got == (True, "5", "text/plain")


def test_sparkmagic_sqlquery_returns_a_dataframe(smlib, sm_session):
    df = within(STATEMENT_TIMEOUT, smlib.SQLQuery("select 1 as a, 'x' as b").execute,
                sm_session)
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == ["a", "b"]
    assert df.to_dict("records") == [{"a": 1, "b": "x"}]


def test_sparkmagic_failing_code_reports_the_error(smlib, sm_session):
    success, text, mimetype = within(STATEMENT_TIMEOUT, smlib.Command("1 / 0").execute,
                                     sm_session)
    assert (success, mimetype) == (False, "text/plain")
    assert text.startswith("division by zero\n") and "ZeroDivisionError" in text, text
    # SQLQuery turns a failed query into BadUserDataException with the error text
    with pytest.raises(smlib.exceptions.BadUserDataException) as err:
        within(STATEMENT_TIMEOUT,
               smlib.SQLQuery("select * from tacitus_no_such_table").execute, sm_session)
    assert "tacitus_no_such_table" in str(err.value)


def test_sparkmagic_cancels_a_statement_through_its_http_client(smlib, sm_session):
    s, http = sm_session, sm_session.http_client
    within(30, s.wait_for_idle)
    code = LONG_CODE.format("cancel through the http client")
    sid = http.post_statement(s.id, {"code": code})["id"]
    poll(f"statement {sid}", lambda: http.get_statement(s.id, sid)["state"],
         lambda state: state != "waiting", timeout=60)
    reply = http.cancel_statement(s.id, sid)            # 200 or HttpClientException
    assert reply == {"msg": "canceled"}, reply
    st = poll(f"statement {sid}", lambda: http.get_statement(s.id, sid),
              lambda st: st["state"] in ("available", "error", "cancelled"), timeout=60)
    assert st["state"] == "cancelled", st
    within(30, s.wait_for_idle)                          # sparkmagic's 15 s
    got = within(STATEMENT_TIMEOUT, smlib.Command("1 + 1").execute, s)
    assert got == (True, "2", "text/plain"), "the session does not run code after a cancel"


def test_sparkmagic_cancels_a_statement_on_kernel_interrupt(smlib, api, sm_session,
                                                           monkeypatch):
    """A Jupyter interrupt is a SIGINT: Command.execute catches the KeyboardInterrupt, POSTs
    .../cancel, waits (15 s) for idle and raises SparkStatementCancelledException.

    That exception patches the kernel's IPython shell (the builtin get_ipython() of a kernel)
    so as not to print its traceback: a stand-in shell takes the patch here.
    """
    shell = type("Shell", (), {"_showtraceback": staticmethod(lambda *a: None)})()
    monkeypatch.setattr(builtins, "get_ipython", lambda: shell, raising=False)
    s = sm_session
    code = LONG_CODE.format("cancel on interrupt")
    main = threading.main_thread().ident
    seen, done = {}, threading.Event()

    def interrupt_once_running():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done.is_set():
            for st in api.get(f"/sessions/{s.id}/statements").json().get("statements", []):
                if st.get("code") == code and st.get("state") == "running" and not done.is_set():
                    seen.update(st)
                    signal.pthread_kill(main, signal.SIGINT)
                    return
            time.sleep(0.3)

    watcher = threading.Thread(target=interrupt_once_running, daemon=True)
    watcher.start()
    try:
        outcome = smlib.Command(code).execute(s)        # in the main thread: SIGINT lands here
    except KeyboardInterrupt as e:  # sparkmagic's Cancelled and CancellationFailed both are
        outcome = e
    finally:
        done.set()
    watcher.join(5)
    assert seen, "the statement was never seen running"
    # SparkStatementCancellationFailedException: the cancel failed, or no idle within 15 s
    assert isinstance(outcome, smlib.exceptions.SparkStatementCancelledException), repr(outcome)
    st = api.get(f"/sessions/{s.id}/statements/{seen['id']}").json()
    assert st["state"] == "cancelled", st
    assert s.status == "idle"


def test_sparkmagic_deletes_its_session(smlib, api, sm_session):
    s = sm_session
    sid = s.id
    assert api.get(f"/sessions/{sid}").status_code == 200
    s.delete()                                          # DELETE: 200 (or 404) only
    assert (s.status, s.id) == ("dead", -1)
    r = api.get(f"/sessions/{sid}")
    assert r.status_code == 404, f"GET /sessions/{sid} after DELETE: {r.status_code} {r.text}"
    assert sid not in [x["id"] for x in api.get("/sessions").json()["sessions"]]
    # its heartbeat thread (GET /sessions/{id} every 5 s here) logs what went wrong, no more
    errors = [line for f in smlib.logs.glob("*.log") for line in f.read_text().splitlines()
              if "\tERROR\t" in line]
    assert not errors, "sparkmagic logged errors:\n" + "\n".join(errors)
