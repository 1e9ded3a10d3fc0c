"""GET /metrics: every instance's counts in Prometheus's text format, parsed by
prometheus_client's parser (pinned in tests/requirements.txt).

A scrape through nginx shows the series of every instance (label `instance`), whichever
instance answers; the counts move when requests are made and jobs run (each master adds
what its processes counted once a second: a few seconds at most).  Only superusers
(livy.superusers) may scrape, access control on or off: the harness lists its user there, and
a user of nginx's htpasswd that is not listed gets a 403.
"""

import os
import time
import uuid

import pytest

from prometheus_client.parser import text_string_to_metric_families

import tacitus_testlib as tl

STALE = 15                 # s: a count shows within this


@pytest.fixture()
def plain(cfg):
    """An authenticated user that livy.superusers does not list (nginx reads its htpasswd
    on each request: no restart), gone from the htpasswd afterwards."""
    htpasswd = os.path.join(cfg.var, "nginx", "htpasswd")
    with open(htpasswd) as f:
        original = f.read()
    name, password = f"plain-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with open(htpasswd, "a") as f:
        f.write(f"{name}:{tl.ssha(password)}\n")
    api = tl.Api(cfg, auth=(name, password))
    try:
        yield name, api
    finally:
        api.close()
        with open(htpasswd, "w") as f:
            f.write(original)


def scrape(tac):
    r = tac.api.get("/metrics")
    assert r.status_code == 200, tl.describe(r)
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    return families


def total(families, family, sample, **labels):
    """Sum of the values of `sample` in `family` whose labels include `labels`."""
    f = families.get(family)
    if not f:
        return 0.0
    return sum(s.value for s in f.samples
               if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()))


def wait_total(tac, family, sample, at_least, **labels):
    def moved():
        v = total(scrape(tac), family, sample, **labels)
        return v if v >= at_least else None
    return tl.wait_until(moved, STALE, lambda: f"{sample}{labels} to reach {at_least}: "
                         f"{total(scrape(tac), family, sample, **labels)}", interval=0.5)


def test_the_scrape_parses_and_shows_every_instance(tac):
    assert tac.api.get("/batches").status_code == 200
    tl.wait_until(lambda: "tacitus_http_requests" in scrape(tac), STALE,
                  "the first requests to show in a scrape")
    families = scrape(tac)
    types = {name: f.type for name, f in families.items()}
    for name, kind in (("tacitus_http_requests", "counter"),
                       ("tacitus_http_request_duration_seconds", "histogram"),
                       ("tacitus_monitor_cycle_seconds", "histogram"),
                       ("tacitus_jobs", "gauge"), ("tacitus_warm_pool_drivers", "gauge")):
        assert types.get(name) == kind, f"family {name}: {types.get(name)!r}, want {kind}"

    def every_instance():
        cycles = scrape(tac)["tacitus_monitor_cycle_seconds"].samples
        seen = {s.labels.get("instance") for s in cycles if s.name.endswith("_count")}
        return seen if {"app-1", "app-2", "app-3"} <= seen else None
    tl.wait_until(every_instance, STALE, "monitor cycles of app-1, app-2 and app-3 in one scrape")
    states = {(s.labels["kind"], s.labels["state"]) for s in families["tacitus_jobs"].samples}
    assert {("batch", "starting"), ("batch", "running"), ("session", "idle")} <= states, \
        f"tacitus_jobs has no series (0 included) for {states}"


def test_only_a_superuser_scrapes(tac, plain):
    name, api = plain
    assert api.get("/batches").status_code == 200, "premise: the user may use the API"
    for method in ("GET", "HEAD"):
        r = api.request(method, "/metrics")
        assert r.status_code == 403, tl.describe(r)
    msg = tl.error_msg(api.get("/metrics"), 403, contains=[f"'{name}'", "livy.superusers"])
    assert "tacitus_" not in msg
    assert scrape(tac), "the harness's user, a superuser, scrapes"


def test_requests_are_counted_by_route_and_status(tac):
    before = total(scrape(tac), "tacitus_http_requests", "tacitus_http_requests_total",
                   route="/batches", status="200")
    n = 12
    for _ in range(n):
        assert tac.api.get("/batches").status_code == 200
    wait_total(tac, "tacitus_http_requests", "tacitus_http_requests_total", before + n,
               route="/batches", status="200")
    missing = total(scrape(tac), "tacitus_http_requests", "tacitus_http_requests_total",
                    route="/batches/{id}", status="404")
    assert tac.api.get("/batches/987654321").status_code == 404
    wait_total(tac, "tacitus_http_requests", "tacitus_http_requests_total", missing + 1,
               route="/batches/{id}", status="404")
    hist = total(scrape(tac), "tacitus_http_request_duration_seconds",
                 "tacitus_http_request_duration_seconds_count", route="/batches")
    assert hist >= before + n, f"latency histogram of /batches counts {hist} requests"


def test_a_batch_moves_launches_log_lines_and_ends(cfg, tac):
    f = scrape(tac)
    launches = total(f, "tacitus_launches", "tacitus_launches_total")
    lines = total(f, "tacitus_log_lines_stored", "tacitus_log_lines_stored_total")
    ended = total(f, "tacitus_jobs_ended", "tacitus_jobs_ended_total", kind="batch",
                  state="success")
    r, bid = tac.create_batch({"file": cfg.job("quick.py"), "args": ["metrics"]})
    assert bid is not None, tl.describe(r)
    state, _ = tac.wait_for_state(bid)
    assert state == "success"
    wait_total(tac, "tacitus_launches", "tacitus_launches_total", launches + 1)
    wait_total(tac, "tacitus_log_lines_stored", "tacitus_log_lines_stored_total", lines + 1)
    wait_total(tac, "tacitus_jobs_ended", "tacitus_jobs_ended_total", ended + 1,
               kind="batch", state="success")
