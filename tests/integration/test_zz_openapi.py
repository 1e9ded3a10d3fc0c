"""The OpenAPI description nginx serves, checked against the running stack by schemathesis.

Runs last: schemathesis deletes batches with the ids it makes up.  The session routes
that would start Spark drivers (POST /sessions, statements, completion) or stop the
sessions of other tests (DELETE /sessions/{id}) are described but not generated.  Two of its checks
are left out on purpose: negative_data_rejection (Livy, and so Tacitus, ignores query
parameters it does not know: clients such as Airflow send extra ones) and
positive_data_acceptance (a schema cannot say which local files are whitelisted, so a
schema-valid body may rightly get a 400).
"""

import json
import os
import subprocess

import tacitus_testlib as tl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_openapi_description_is_served(api):
    served = tl.json_body(api.get("/openapi.json"), 200)
    with open(os.path.join(ROOT, "nginx", "openapi.json")) as f:
        assert served == json.load(f), "nginx serves another description than the repository's"
    assert served["openapi"].startswith("3.")
    assert {"/version", "/batches", "/batches/{batchId}", "/batches/{batchId}/state",
            "/batches/{batchId}/log", "/sessions", "/sessions/{sessionId}",
            "/sessions/{sessionId}/statements"} <= set(served["paths"])
    assert api.post("/openapi.json", data="{}").status_code in (403, 405), "read-only"


def test_schemathesis_finds_no_5xx_and_no_contradiction(cfg, tac):
    rows = tac.db.batch_count()
    p = subprocess.run(
        [os.path.join(ROOT, ".venv", "bin", "schemathesis"), "run",
         os.path.join(ROOT, "nginx", "openapi.json"), "--url", cfg.url,
         "--auth", f"{cfg.user}:{cfg.password}", "--tls-verify", cfg.ca,
         "--checks", "all", "--exclude-checks", "negative_data_rejection,positive_data_acceptance",
         # each would start a Spark driver or stop a session of the other tests
         "--exclude-operation-id", "createSession", "--exclude-operation-id", "deleteSession",
         "--exclude-operation-id", "createStatement", "--exclude-operation-id", "completeCode",
         "--max-examples", "40", "--seed", "20261125", "--no-color"],
        capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"schemathesis found failures:\n{out[-6000:]}"
    assert " passed" in out and "generated" in out, out[-2000:]
    assert tac.db.batch_count() >= rows, "a request removed a row from the database"
