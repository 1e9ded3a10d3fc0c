"""pytest fixtures for the cluster tests: a real stack whose livy.conf points at a real
cluster that tests/integration.sh started (tests/cluster/yarn.sh).  The fixtures `cfg`
and `tac` and the helpers are the integration tests' (tests/integration/conftest.py and
tacitus_testlib.py); the harness exports, beside the stack's variables, TACITUS_RM_URL
(the ResourceManager's web address)."""

import importlib.util
import os
import sys

import pytest

_INTEGRATION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration")
sys.path.insert(0, _INTEGRATION)

_spec = importlib.util.spec_from_file_location("integration_conftest",
                                               os.path.join(_INTEGRATION, "conftest.py"))
_integration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_integration)
cfg = _integration.cfg
tac = _integration.tac


@pytest.fixture(scope="session")
def rm_url():
    url = os.environ.get("TACITUS_RM_URL")
    if not url:
        pytest.fail("TACITUS_RM_URL is not set: run the cluster tests through "
                    "`sh tests/integration.sh yarn`", pytrace=False)
    return url.rstrip("/")
