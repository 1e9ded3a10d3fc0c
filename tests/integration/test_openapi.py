"""The OpenAPI description nginx serves, checked against the running stack by schemathesis.

Runs last (conftest.py's pytest_collection_modifyitems puts it there): schemathesis
deletes batches with the ids it makes up, which may be those of other tests.  The
session routes that would start Spark drivers (POST /sessions, statements, completion)
or stop the sessions of other tests (DELETE /sessions/{id}) are described but not
generated, nor are the event streams (they answer for as long as their job lives).  Two
of its checks are left out on purpose: negative_data_rejection (Livy, and so Tacitus,
ignores query parameters it does not know: clients such as Airflow send extra ones) and
positive_data_acceptance (a schema cannot say which local files are whitelisted, so a
schema-valid body may rightly get a 400).
"""

import glob
import json
import os
import re
import subprocess

import tacitus_testlib as tl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# what a master logs when a worker or monitor of its died: "worker 123 exited (signal 11)"
CHILD_DIED = re.compile(r" (worker|monitor|webhook sender|publisher) \d+ exited \(")


def child_deaths(cfg):
    """Every line of the app logs in which a master reports a dead worker or monitor."""
    deaths = []
    for path in sorted(glob.glob(os.path.join(cfg.var, "log", "app-*.log"))):
        with open(path, errors="replace") as f:
            deaths += [line.rstrip("\n") for line in f if CHILD_DIED.search(line)]
    return deaths


def test_openapi_description_is_served(api):
    served = tl.json_body(api.get("/openapi.json"), 200)
    with open(os.path.join(ROOT, "nginx", "openapi.json")) as f:
        assert served == json.load(f), "nginx serves another description than the repository's"
    assert served["openapi"].startswith("3.")
    assert {"/version", "/batches", "/batches/{batchId}", "/batches/{batchId}/state",
            "/batches/{batchId}/log", "/sessions", "/sessions/{sessionId}",
            "/sessions/{sessionId}/statements"} <= set(served["paths"])
    assert api.post("/openapi.json", data="{}").status_code in (403, 405), "read-only"


def test_schemathesis_finds_no_5xx_and_no_contradiction(cfg):
    died_before = set(child_deaths(cfg))
    p = subprocess.run(
        [os.path.join(ROOT, ".venv", "bin", "schemathesis"), "run",
         os.path.join(ROOT, "nginx", "openapi.json"), "--url", cfg.url,
         "--auth", f"{cfg.user}:{cfg.password}", "--tls-verify", cfg.ca,
         "--checks", "all", "--exclude-checks", "negative_data_rejection,positive_data_acceptance",
         # each would start a Spark driver or stop a session of the other tests
         "--exclude-operation-id", "createSession", "--exclude-operation-id", "deleteSession",
         "--exclude-operation-id", "createStatement", "--exclude-operation-id", "completeCode",
         # a stream answers for as long as its job lives
         "--exclude-operation-id", "streamBatchEvents",
         "--exclude-operation-id", "streamSessionEvents",
         "--max-examples", "40", "--seed", "20261125", "--no-color"],
        capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"schemathesis found failures:\n{out[-6000:]}"
    assert " passed" in out and "generated" in out, out[-2000:]
    # A worker that dies in the middle of a GET goes unseen by schemathesis: nginx asks
    # another instance (fastcgi_next_upstream) and the client gets its answer.
    died = [line for line in child_deaths(cfg) if line not in died_before]
    assert not died, "a worker or monitor died during the run:\n" + "\n".join(died)
