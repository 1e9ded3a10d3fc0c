"""Jobs get an explicit environment: an allow-list, never the server's whole environment.

The server runs with PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSFILE (the database and
the file of its password) and TACITUS_* in its environment; none of it may reach a job's code.  A batch
(tests/jobs/env.py prints the names of its environment) and a statement of a session (the
warm pool's driver, app/repl.py) must see neither PG* nor TACITUS_* (but the job's marker
TACITUS_JOB, which the job shim sets), and must still see PATH and SPARK_HOME.  A variable
that livy.conf's tacitus.job.env-allow names passes, one it does not name does not: that
test restarts the stack with an extra livy.conf line and extra variables, and puts both
back whatever happens.
"""

import json
import os
import re
import shutil
import subprocess
import time
import uuid

import tacitus_testlib as tl
from test_interactive import POOL_SQL, STARTUP_TIMEOUT, Sess, text_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKER = "TACITUS_JOB"
NEEDED = ("PATH", "SPARK_HOME")
NEVER = re.compile(r"^(PG|TACITUS_)")
SERVER_ONLY = ("LIVY_CONF_DIR",)     # in the server's environment, of no job's business
ENV_CODE = "import os, json; print(json.dumps(sorted(os.environ)))"


def leaked(names):
    return sorted(n for n in names if (NEVER.match(n) and n != MARKER) or n in SERVER_ONLY)


def check_names(names, where):
    assert isinstance(names, list) and names, f"{where}: no environment names: {names!r}"
    assert not leaked(names), \
        f"{where}: the job got variables of the server's environment: {leaked(names)}"
    missing = [n for n in NEEDED + (MARKER,) if n not in names]
    assert not missing, f"{where}: the job lacks {missing}; it has {names}"


def batch_env(tac, cfg, token, *values):
    """Run env.py as a batch; returns (names, {name: value or None} of `values`)."""
    bid, st, _ = tac.run_batch({"file": cfg.job("env.py"), "args": [token, *values]})
    log = tac.full_log(bid)
    assert st == "success", f"env.py batch {bid} ended {st}: {log[-20:]}"
    lines = [x for x in log if x.startswith(f"TACITUS-ENV {token} ")]
    assert len(lines) == 1, f"batch {bid}: no single TACITUS-ENV line in {log[-20:]}"
    names = json.loads(lines[0][len(f"TACITUS-ENV {token} "):])
    shown = {}
    for line in log:
        if line.startswith(f"TACITUS-ENV-VALUE {token} "):
            rest = line[len(f"TACITUS-ENV-VALUE {token} "):]
            if "=" in rest:
                name, value = rest.split("=", 1)
                shown[name] = value
            else:       # "NAME unset"
                shown[rest.split()[0]] = None
    return bid, names, shown


def test_batch_and_session_get_only_allowed_variables(cfg, tac):
    token = f"env-{uuid.uuid4().hex[:10]}"
    bid, names, _ = batch_env(tac, cfg, token)
    check_names(names, f"batch {bid}")

    tl.wait_until(lambda: int(tac.db.query(POOL_SQL)) >= 1, STARTUP_TIMEOUT,
                  "an idle driver in the warm pool")
    s = Sess(tac, tac.api.post("/sessions", json={"kind": "pyspark"}), time.monotonic())
    try:
        s.require().wait_idle()
        _, out = s.run(ENV_CODE)
        check_names(json.loads(text_of(out, "env statement")), f"session {s.id}")
    finally:
        s.delete_quietly()


def stack(cmd, env=None):
    subprocess.run(["sh", os.path.join(ROOT, "app", "stack.sh"), cmd], check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})}, timeout=240)


def test_admin_allowed_variable_passes(cfg, tac):
    run = uuid.uuid4().hex[:8]
    allowed, other = f"ITENV_OK_{run}", f"ITENV_SECRET_{run}"
    conf = os.path.join(os.environ["LIVY_CONF_DIR"], "livy.conf")
    saved = conf + ".env-saved"
    shutil.copy(conf, saved)
    try:
        with open(conf, "a") as f:
            f.write("tacitus.job.env-allow = ITENV_OK_*, SOME_OTHER_NAME\n")
        stack("stop")
        stack("start", {allowed: "yes-" + run, other: "no-" + run})
        bid, names, shown = batch_env(tac, cfg, f"env-{run}", allowed, other)
        check_names(names, f"batch {bid}")
        assert shown == {allowed: "yes-" + run, other: None}, \
            f"batch {bid}: tacitus.job.env-allow passed {shown} (want only {allowed})"
    finally:
        shutil.move(saved, conf)
        stack("stop")
        stack("start")
