"""pytest fixtures for the Tacitus black-box integration tests.

The harness exports TACITUS_URL, TACITUS_USER, TACITUS_PASSWORD, TACITUS_CA, TACITUS_JOBS,
TACITUS_VAR and TACITUS_PSQL (see tacitus_testlib.py) after starting a real stack.  Without
them every test errors out with a clear message instead of being silently skipped.

Helpers (HTTP client, psql, batch waiting, /proc scanning) live in tacitus_testlib.py, which
the test modules import; this directory is put on sys.path here so that the import works in
every pytest import mode.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tacitus_testlib as tl  # noqa: E402


# schemathesis deletes batches with the ids it makes up, which may be those of the other
# tests: its module runs after all of them, whatever the file names say.
LAST_MODULES = ("test_openapi.py",)


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.path.name in LAST_MODULES)  # stable: the rest keep their order


def pytest_report_header(config):
    c, err = tl.load_config()
    if c is None:
        return f"tacitus: {err}"
    return f"tacitus: {c.url} as {c.user!r}, jobs in {c.jobs}"


@pytest.fixture(scope="session")
def cfg():
    """The stack's Config (URL, credentials, CA, jobs dir, psql command)."""
    c, err = tl.load_config()
    if c is None:
        pytest.fail(err, pytrace=False)
    assert os.path.isabs(c.jobs), f"TACITUS_JOBS must be absolute, got {c.jobs!r}"
    for job in ("ok.py", "fail.py", "sleep.py"):
        assert os.path.isfile(c.job(job)), f"job script {c.job(job)} is missing"
    assert os.path.isfile(c.ca), f"TACITUS_CA {c.ca!r} is not a file"
    return c


@pytest.fixture(scope="session")
def tac(cfg):
    """Tacitus helper: .api (authenticated session), .db (psql), batch helpers."""
    t = tl.Tacitus(cfg)
    yield t
    t.close()


@pytest.fixture(scope="session")
def base_url(cfg):
    return cfg.url


@pytest.fixture(scope="session")
def api(tac):
    """requests.Session wrapper with basic auth and verify=TACITUS_CA; paths are relative."""
    return tac.api


@pytest.fixture(scope="session")
def psql(tac):
    """psql helper: .query(sql) -> str, .batch_count(), .batch_state(id)."""
    return tac.db


@pytest.fixture()
def unauth_api(cfg):
    """Same CA, no credentials."""
    a = tl.Api(cfg, auth=None)
    yield a
    a.close()
