"""Only the keeper holds the rights over job accounts.

When the stack runs jobs as a pool of accounts (started as root), each instance starts with
CAP_SETUID, CAP_SETGID, CAP_KILL and CAP_CHOWN: root's rights taken together (a process with
CAP_SETUID may become uid 0; one with CAP_CHOWN may make /etc/shadow its own).  One process of
each instance keeps them, the keeper (its name is `tacitus-keeper`), which reads nothing but the
monitor's fixed requests.  The test asserts, from /proc:

    1. in every instance's process group (master, workers, monitor, keeper) exactly one process
       holds a capability: the keeper, with exactly those four (effective and permitted); every
       other holds none in any set (permitted, effective, inheritable, ambient), the master
       has no_new_privs, and no process of the group is dumpable (its own user may not trace
       it, nor read its memory or descriptors);
    2. a running batch's job shim, started by the keeper, holds no capability once its job
       runs (it kept CAP_SETUID and CAP_SETGID only until then);
    3. the job still works through the keeper: it runs as a pool account, DELETE kills it (the
       keeper signals the group), and its working folder is emptied once it ends;
    4. a server started as root with job accounts is refused.

Without root, or without job accounts, there is nothing to separate and the module is skipped.
"""

import glob
import os
import subprocess
import uuid

import pytest

import tacitus_testlib as tl
from test_privilege import job_row, job_users_or_skip, proc_status, pgrp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSTANCES = int(os.environ.get("TACITUS_INSTANCES", "3"))
CAP_CHOWN, CAP_KILL, CAP_SETGID, CAP_SETUID = 0, 5, 6, 7
KEEPER_CAPS = (1 << CAP_CHOWN) | (1 << CAP_KILL) | (1 << CAP_SETGID) | (1 << CAP_SETUID)
CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapAmb")


def caps(pid):
    """{'CapInh': int, ...} of pid, plus 'Name' and 'NoNewPrivs'; {} when it is gone."""
    st = proc_status(pid)
    if not st:
        return {}
    out = {k: int(st[k][0], 16) for k in CAP_SETS if k in st}
    out["Name"] = " ".join(st.get("Name", []))
    out["NoNewPrivs"] = int(st.get("NoNewPrivs", ["0"])[0])
    out["PPid"] = int(st.get("PPid", ["0"])[0])
    return out


def master_pid(cfg, n):
    with open(os.path.join(cfg.var, "run", f"app-{n}.pid")) as f:
        return int(f.read().split()[0])


def group(pgid):
    """Live pids of process group pgid."""
    return [p for p in tl.processes(lambda cmd: True) if pgrp(p) == pgid]


def test_only_the_keeper_holds_capabilities(cfg):
    job_users_or_skip(cfg)
    for n in range(1, INSTANCES + 1):
        master = master_pid(cfg, n)
        procs = {p: caps(p) for p in group(master)}
        procs = {p: c for p, c in procs.items() if c}
        assert master in procs, f"app-{n}: its master {master} is not in its own group"
        holders = {p: c for p, c in procs.items() if any(c[k] for k in CAP_SETS)}
        keepers = [p for p, c in procs.items() if c["Name"] == "tacitus-keeper"]
        assert len(keepers) == 1, f"app-{n}: {len(keepers)} keepers in group {master}: {procs}"
        keeper = keepers[0]
        assert list(holders) == [keeper], \
            f"app-{n}: processes other than the keeper {keeper} hold capabilities: " \
            f"{ {p: c for p, c in holders.items() if p != keeper} }"
        k = procs[keeper]
        assert k["CapEff"] == KEEPER_CAPS and k["CapPrm"] == KEEPER_CAPS, \
            f"app-{n}: the keeper {keeper} holds {k}, not exactly CHOWN, KILL, SETGID, SETUID"
        assert k["PPid"] == master, f"app-{n}: the keeper {keeper} is not the master's child"
        assert procs[master]["NoNewPrivs"] == 1, f"app-{n}: the master {master} lacks no_new_privs"
        # nothing of the instance may be traced or read by its own user (a worker that anyone's
        # request reaches must not take the monitor's way to the keeper): not dumpable, so
        # the kernel gives /proc/<pid>/mem, environ and fd/ to root
        for p in procs:
            try:
                owner = os.stat(f"/proc/{p}/environ").st_uid
            except OSError:
                continue
            assert owner == 0, f"app-{n}: process {p} ({procs[p]['Name']}) is dumpable: its " \
                               f"/proc/{p}/environ belongs to uid {owner}"
        assert len(procs) >= 3, f"app-{n}: fewer processes than master, keeper, a worker: {procs}"


def test_a_job_shim_gives_up_its_capabilities(cfg, tac):
    prefix, _ = job_users_or_skip(cfg)
    run = uuid.uuid4().hex[:10]
    bid = None
    try:
        bid = tac.sleeping_batch(cfg.job("sleep.py"), f"{run}-caps")
        job_dir, shim = job_row(tac, bid)
        c = caps(shim)
        assert c, f"batch {bid}: its shim {shim} is gone while the job runs"
        held = {k: hex(c[k]) for k in CAP_SETS if c[k]}
        assert not held, f"batch {bid}: its shim {shim} still holds capabilities {held}"
        parent = caps(c["PPid"])
        assert parent.get("Name") == "tacitus-keeper", \
            f"batch {bid}: its shim {shim} was started by {parent} (pid {c['PPid']}), " \
            f"not by a keeper"
        # the job runs as a pool account, and holds nothing either
        jobs = [p for p in group(shim) if p != shim]
        assert jobs, f"batch {bid}: no process in its group {shim} but the shim"
        for p in jobs:
            st = proc_status(p)
            if not st:
                continue
            assert int(st["Uid"][0]) != 0 and int(st["Uid"][0]) != os.stat(job_dir).st_uid, \
                f"batch {bid}: process {p} runs as uid {st['Uid'][0]}, not a job account"
            assert not any(int(st[k][0], 16) for k in CAP_SETS), \
                f"batch {bid}: job process {p} holds capabilities {st}"
        # DELETE goes through the keeper (the group runs as another account)
        d = tac.api.delete(f"/batches/{bid}")
        assert d.status_code == 200, f"DELETE /batches/{bid}: {tl.describe(d)}"
        tl.wait_until(lambda: not any(tl.pid_alive(p) for p in jobs + [shim]), 30,
                      lambda: f"batch {bid}'s processes to be killed after DELETE")
        tl.wait_until(lambda: not os.path.exists(job_dir), 30,
                      lambda: f"batch {bid}'s folder {job_dir} to be removed once it ended "
                      f"(left: {sorted(os.listdir(job_dir)) if os.path.isdir(job_dir) else '?'})")
    finally:
        if bid is not None:
            tac.delete_quietly(bid)


def test_a_root_server_with_job_accounts_is_refused(cfg, tmp_path):
    """Root keeps an owner's rights over root's files whatever its capabilities: a server that
    runs jobs as accounts must run as a user of its own (app/stack.sh starts it as tacitus)."""
    prefix, count = job_users_or_skip(cfg)
    binary = os.environ.get("TACITUS_BIN", os.path.join(ROOT, "build", "tacitus"))
    spark_home = os.environ.get("SPARK_HOME") or \
        (glob.glob(os.path.join(ROOT, ".venv", "lib", "python3*", "site-packages", "pyspark")) +
         [""])[0]
    env = {"PATH": "/usr/bin:/bin", "LIVY_CONF_DIR": os.environ["LIVY_CONF_DIR"],
           "SPARK_HOME": spark_home, "ASAN_OPTIONS": "detect_leaks=0"}
    locks = tmp_path / "locks"
    locks.mkdir()
    r = subprocess.run([binary, "serve", "--instance", "root-test", "--socket",
                        str(tmp_path / "s.sock"), "--var", str(tmp_path), "--sql",
                        os.path.join(ROOT, "sql"), "--job-users", f"{prefix}:{count or 1}",
                        "--job-locks", str(locks)],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, f"a root server with --job-users started: {r.stdout} {r.stderr}"
    assert "must not run as root" in r.stderr, f"refused without saying why: {r.stderr!r}"
    assert not (tmp_path / "s.sock").exists(), "the refused server made its socket"
