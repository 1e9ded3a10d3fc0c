"""Job code cannot reach what is not its own: hostile code in a batch and in a statement.

When the stack is started as root, every job (a batch, a session's driver) runs as one of a pool
of unprivileged users `tacitus-job-1` .. `tacitus-job-N` (each with a group of its own), never as
root, never as the server's user `tacitus` and never as another running job's user; the stack
then writes `$TACITUS_VAR/run/job-users` ("<prefix> <N>": the accounts <prefix>1 .. <prefix>N).  Without root, or without that file,
there is no separation and this module is skipped.

The test starts a victim (a long tests/jobs/sleep.py batch) and waits for a warm-pool driver,
then runs tests/jobs/attack.py twice: as a batch (while the victim and the pooled driver run)
and as the code of a statement in a pyspark session (which takes the pooled driver; the victim
still runs).  Both times it is told (as arguments) where the stack's secrets, sockets, processes
and the other jobs' folders are; it tries:

    1. reading $VAR/credentials, nginx/htpasswd, nginx/server.key, secrets/pgpass
    2. PostgreSQL: connect to its Unix socket, to 127.0.0.1:<port>, psql -w as tacitus, postgres
    3. connecting to the app's FastCGI sockets $VAR/run/app-*.sock (then GET /batches as admin)
    4. kill(0), SIGCONT and reading /proc/<pid>/environ of the server's, nginx's and
       PostgreSQL's processes
    5. listing $VAR/jobs, making a folder in it; reading and appending to another job's stdout,
       making a file in its folder, listing and making a file in its `work` folder; opening
       livy.conf, spark-blacklist.conf, app/repl.py and a whitelisted job script for writing
    6. kill(0), SIGCONT, /proc/<pid>/environ and /proc/<pid>/mem of the other jobs' processes

and reports each as a line `ATTACK <name> <ok|blocked|gone|error|info> <detail>`.  The test
asserts that every attack line says `blocked` (the assertion names each one that did not, with
where it ran), that both reports are complete, and that the job's identity (7.) is a pool user:
uid not 0, name `<prefix><k>` with 1 <= k <= N, neither the uid nor (among its groups) the
gid of the server's, nginx's workers' or PostgreSQL's processes, nor group root, and a uid unlike
the victims' (and unlike the other attacker's: the batch ran while the session's driver waited
in the pool).  The victims themselves must not run as root or as a server's user.  An attempt
on a process that was gone by then (`gone`) proves nothing and is not counted, but each report
must have found some server process and some other job's process to attack.
"""

import glob
import json
import os
import re
import time
import uuid

import pytest

import tacitus_testlib as tl
from test_interactive import POOL_SQL, STARTUP_TIMEOUT, STATEMENT_TIMEOUT, Sess, text_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINE = re.compile(r'^ATTACK (\S+) (\S+) (".*")$')
IDENTITY = re.compile(r"uid=(\d+) gid=(\d+) groups=([\d,]*) user=(\S+) euid=(\d+)")
SECRETS = ("credentials", "nginx/htpasswd", "nginx/server.key", "secrets/pgpass",
           "nginx/client-ca.key")
IDLE_POOL_DRIVERS = ("select id, job_dir, pid from batch where pool is not null and "
                     "state = 'running' and deleted_at is null and repl_state = 'idle' "
                     "and job_dir is not null and pid is not null order by id")


# --------------------------------------------------------------------------- the stack

def job_users_or_skip(cfg):
    """(prefix, N) of the pool of job users; skips the test when there is no separation."""
    if os.geteuid() != 0:
        pytest.skip("not root: the stack cannot run jobs as other users, so there is no "
                    "privilege separation between jobs and the server to test")
    path = os.path.join(cfg.var, "run", "job-users")
    if not os.path.exists(path):
        pytest.skip(f"privilege separation is off: the stack wrote no {path} "
                    "(it does when it runs jobs as its pool of job users)")
    with open(path) as f:
        words = f.read().split()
    prefix = words[0] if words else "tacitus-job-"
    count = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
    return prefix, count


def proc_args(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return []


def proc_status(pid):
    """{'Uid': [real, effective, ...], 'Gid': [...], 'Groups': [...], 'PPid': [..]} or {}."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.split()
    except OSError:
        pass
    return out


def pgrp(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        return int(stat[stat.rindex(")") + 2:].split()[2])
    except (OSError, ValueError, IndexError):
        return None


def live():
    """pids of live (non-zombie) processes but this one."""
    return set(tl.processes(lambda cmd: True))


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def server_processes(cfg, host, port):
    """{pid: what} of the stack's own processes: the app instances (tacitus serve with this
    VAR, and the pids of run/app-*.pid), nginx (master and workers), PostgreSQL's postmaster."""
    var = cfg.var.rstrip("/")
    pids = live()
    found = {}
    for pid in pids:
        args = proc_args(pid)
        for i, a in enumerate(args[:-1]):
            if os.path.basename(a).startswith("tacitus") and args[i + 1] == "serve" \
                    and any(var in x for x in args):
                found[pid] = "tacitus serve"
    for f in glob.glob(os.path.join(var, "run", "app-*.pid")):
        pid = read_pid(f)
        if pid in pids:
            found.setdefault(pid, "tacitus serve")
    master = read_pid(os.path.join(var, "nginx", "nginx.pid"))
    if master in pids:
        found[master] = "nginx master"
        for pid in pids:
            if proc_status(pid).get("PPid") == [str(master)]:
                found[pid] = "nginx worker"
    # the postmaster's pid is the first line of its socket's lock file (and of postmaster.pid)
    for lock in (os.path.join(host, f".s.PGSQL.{port}.lock"),
                 os.path.join(var, "pg", "data", "postmaster.pid")):
        pid = read_pid(lock)
        if pid in pids:
            found[pid] = "postgres"
            break
    return found


def job_processes(shim_pid, job_dir):
    """pids of a job's processes: its process group (the shim leads it), or a cwd in its folder."""
    real = os.path.realpath(job_dir).rstrip("/")
    out = set()
    for pid in live():
        cwd = tl.cwd_of(pid)
        if pgrp(pid) == shim_pid or cwd == real or cwd.startswith(real + "/"):
            out.add(pid)
    return out


def uid_of(pid):
    return int(proc_status(pid).get("Uid", ["-1"])[0])


def gids_of(pid):
    """Real and effective gid (supplementary groups of the server are its own business)."""
    return {int(g) for g in proc_status(pid).get("Gid", [])[:2]}


def job_row(tac, batch_id):
    row = tac.db.query("select coalesce(job_dir, ''), coalesce(pid::text, '') from batch "
                       f"where id = {int(batch_id)}")
    assert row, f"batch {batch_id} has no row in table batch"
    job_dir, pid = row.split("|")
    assert job_dir and pid, f"batch {batch_id} has no job folder or shim pid yet: {row!r}"
    return job_dir, int(pid)


# --------------------------------------------------------------------------- reports

def parse(lines, where):
    """[(name, result, detail)] of the ATTACK lines; asserts that the report is complete."""
    out = []
    for line in lines:
        line = line.strip()
        if not line.startswith("ATTACK "):
            continue
        m = LINE.match(line)
        assert m, f"{where}: malformed report line {line!r}"
        out.append((m.group(1), m.group(2), json.loads(m.group(3))))
    assert out, f"{where}: no ATTACK line at all"
    assert out[-1][:2] == ("done", "info") and out[-1][2] == str(len(out) - 1), \
        f"{where}: the report is cut short (no final 'done' line): last lines {out[-3:]}"
    return out[:-1]


def check_identity(report, where, prefix, count, forbidden_uids, forbidden_gids, problems):
    """Appends to problems what is wrong with the job's identity; returns its uid (or None)."""
    ids = [d for n, r, d in report if n == "identity"]
    m = IDENTITY.search(ids[0]) if ids else None
    if m is None:
        problems.append(f"{where}: no identity line (got {ids!r})")
        return None
    uid, gid, euid = int(m.group(1)), int(m.group(2)), int(m.group(5))
    groups = {int(g) for g in m.group(3).split(",") if g} | {gid}
    user = m.group(4)
    if uid == 0 or euid == 0:
        problems.append(f"{where}: the job runs as root ({ids[0]})")
    um = re.fullmatch(re.escape(prefix) + r"(\d+)", user)
    if um is None or (count is not None and not 1 <= int(um.group(1)) <= count):
        problems.append(f"{where}: the job's user {user!r} is not one of {prefix}1.."
                        f"{prefix}{count if count is not None else 'N'} ({ids[0]})")
    same = [what for what, uids in forbidden_uids.items() if uid in uids or euid in uids]
    if same:
        problems.append(f"{where}: the job's uid {uid} is also that of {', '.join(same)}")
    shared = [f"{what} {sorted(groups & gids)}" for what, gids in forbidden_gids.items()
              if groups & gids]
    if shared:
        problems.append(f"{where}: the job's groups {sorted(groups)} include the group of "
                        + ", ".join(shared))
    return uid


def not_blocked(report, where):
    """What worked (or could not be judged) in a report, one line per kind of attack and
    result, e.g. "batch 3: kill0-server ok: 812(tacitus), 815(tacitus) (signal 0 delivered)".
    A target process that was gone by then (`gone`) proves nothing either way; but some
    server process and some other job's process must have been there to attack."""
    groups = {}
    for name, result, detail in report:
        if result not in ("blocked", "info", "gone"):
            kind, _, target = name.partition(":")
            groups.setdefault((kind, result), []).append((target, detail))
    out = []
    for (kind, result), items in groups.items():
        if len({d for _, d in items}) == 1:
            text = ", ".join(t for t, _ in items) + f" ({items[0][1]})"
        else:
            text = "; ".join(f"{t} ({d})" for t, d in items)
        out.append(f"{where}: {kind} {result}: {text}")
    for kind in ("server", "victim"):
        tried = [r for n, r, _ in report if n.startswith(f"kill0-{kind}:")]
        if not tried or all(r == "gone" for r in tried):
            out.append(f"{where}: no {kind} process was there to attack ({tried})")
    return out


# --------------------------------------------------------------------------- the test

def test_job_code_cannot_reach_the_server_or_other_jobs(cfg, tac):
    prefix, count = job_users_or_skip(cfg)
    pg = tl.psql_env(cfg)
    host, port = pg["PGHOST"], pg["PGPORT"]
    var = cfg.var.rstrip("/")
    attack = cfg.job("attack.py")
    assert os.path.isfile(attack), f"{attack} is missing"
    run = uuid.uuid4().hex[:10]

    secrets = [p for p in (os.path.join(var, s) for s in SECRETS) if os.path.exists(p)]
    assert os.path.join(var, "credentials") in secrets, f"{var}/credentials is missing"
    fcgi = sorted(glob.glob(os.path.join(var, "run", "app-*.sock")))
    assert fcgi, f"no FastCGI socket {var}/run/app-*.sock"
    conf_dir = os.environ.get("LIVY_CONF_DIR") or os.path.join(var, "conf")
    tamper = [p for p in (os.path.join(conf_dir, "livy.conf"),
                          os.path.join(conf_dir, "spark-blacklist.conf"),
                          os.path.join(ROOT, "app", "repl.py"), cfg.job("ok.py"))
              if os.path.isfile(p)]

    victim_id = sess = None
    try:
        # the victim: a batch of another user that sleeps; its driver prints its pid
        r, victim_id = tac.create_batch({"file": cfg.job("sleep.py"),
                                         "args": [f"{run}-victim", "900"],
                                         "name": f"attack-victim-{run}"})
        assert r.status_code == 201 and victim_id is not None, \
            f"the victim batch was not created: {tl.describe(r)}"
        pat = re.compile(rf"SLEEPING pid=(\d+) token={run}-victim\b")

        def sleeping():
            st = tac.state(victim_id)
            assert st in ("starting", "running"), \
                f"the victim batch {victim_id} ended {st}: {tac.log_tail(victim_id)!r}"
            for line in tac.full_log(victim_id):
                m = pat.search(line)
                if m:
                    return int(m.group(1))
            return None
        victim_py = tl.wait_until(sleeping, tl.JOB_TIMEOUT,
                                  lambda: f"the victim batch {victim_id} to print SLEEPING; "
                                  f"log {tac.log_tail(victim_id)!r}", interval=0.5)
        victim_dir, victim_shim = job_row(tac, victim_id)
        victim_pids = job_processes(victim_shim, victim_dir) | {victim_py}
        victims = {f"batch {victim_id}": uid_of(victim_py)}

        # the warm-pool driver: another job user's process, which a session will take later
        tl.wait_until(lambda: int(tac.db.query(POOL_SQL)) >= 1, STARTUP_TIMEOUT,
                      "an idle driver in the warm pool")
        pool_rows = [row.split("|") for row in tac.db.query(IDLE_POOL_DRIVERS).splitlines()]
        assert pool_rows, "the warm pool's idle driver went away"
        pool_dirs, pool_pids = [], set()
        for did, jdir, shim in pool_rows:
            procs = job_processes(int(shim), jdir)
            pool_dirs.append(jdir)
            pool_pids |= procs
            pys = [p for p in procs if "repl.py" in " ".join(proc_args(p))
                   and not tl.is_spark_submit(" ".join(proc_args(p)))]
            victims[f"pooled driver {did}"] = uid_of(pys[0]) if pys else uid_of(int(shim))

        services = server_processes(cfg, host, port)
        assert any(w == "tacitus serve" for w in services.values()), \
            f"no `tacitus serve` process of {var} found in /proc"
        forbidden_uids = {}
        forbidden_gids = {"root": {0}}
        for pid, what in services.items():
            st = proc_status(pid)
            if what != "nginx master":      # nginx's master runs as root: its workers count
                forbidden_uids.setdefault(what, set()).update(int(u) for u in st.get("Uid", [])[:2])
                forbidden_gids.setdefault(what, set()).update(gids_of(pid))
        for what, uid in victims.items():
            forbidden_uids[f"the running job {what}"] = {uid}

        problems = []
        for what, uid in victims.items():
            if uid == 0 or any(uid in forbidden_uids[s] for s in set(services.values())
                               if s in forbidden_uids):
                problems.append(f"the victim {what} runs as uid {uid}: root or a server's user")

        targets = dict(victim_dirs=[victim_dir] + pool_dirs,
                       victim_pids=sorted(victim_pids | pool_pids),
                       server_pids=sorted(services), secrets=secrets, fcgi_sockets=fcgi,
                       tamper=tamper)

        # attacker 1: a batch
        args = [var, host, port]
        for key, flag in (("victim_dirs", "--victim-dir"), ("victim_pids", "--victim-pid"),
                          ("server_pids", "--server-pid"), ("secrets", "--secret"),
                          ("fcgi_sockets", "--fcgi"), ("tamper", "--tamper")):
            for v in targets[key]:
                args += [flag, str(v)]
        bid, st, _ = tac.run_batch({"file": attack, "args": args, "name": f"attack-{run}"})
        log, _, _ = tac.airflow_log(bid)
        assert any(x.strip().startswith("ATTACK ") for x in log), \
            f"attack batch {bid} ended {st} without a report: {log[-30:]}"
        where = f"batch {bid}"
        report = parse(log, where)
        problems += not_blocked(report, where)
        batch_uid = check_identity(report, where, prefix, count, forbidden_uids,
                                   forbidden_gids, problems)

        # attacker 2: a statement of a session (which takes the pooled driver)
        sess = Sess(tac, tac.api.post("/sessions", json={"kind": "pyspark",
                                                         "name": f"attack-{run}"}),
                    time.monotonic())
        sess.require().wait_idle()
        own_id, own_dir, own_shim, _ = sess.driver()
        own = job_processes(own_shim, own_dir) if own_shim else set()
        s_dirs = [victim_dir] + [d for d in pool_dirs if d != own_dir]
        s_pids = victim_pids | pool_pids
        for row in tac.db.query(IDLE_POOL_DRIVERS).splitlines():
            _, jdir, shim = row.split("|")
            if jdir != own_dir and jdir not in s_dirs:    # a refilled pool's driver, if warm
                s_dirs.append(jdir)
                s_pids |= job_processes(int(shim), jdir)
        s_targets = dict(targets, victim_dirs=s_dirs, victim_pids=sorted(s_pids - own))
        s_forbidden = {k: v for k, v in forbidden_uids.items()
                       if k != f"the running job pooled driver {own_id}"}
        if batch_uid is not None and own_id in {int(row[0]) for row in pool_rows}:
            s_forbidden["the attack batch (which ran while this driver waited in the pool)"] = \
                {batch_uid}
        with open(attack) as f:
            source = f.read()
        code = ("_attack = {'__name__': 'tacitus_attack'}\n"
                f"exec(compile({source!r}, 'attack.py', 'exec'), _attack)\n"
                f"print('\\n'.join(_attack['run']({var!r}, {host!r}, {port!r}, **{s_targets!r})))")
        _, out = sess.run(code, timeout=STATEMENT_TIMEOUT)
        where = f"session {sess.id} (statement)"
        report = parse(text_of(out, where).splitlines(), where)
        problems += not_blocked(report, where)
        check_identity(report, where, prefix, count, s_forbidden, forbidden_gids, problems)

        if problems:
            pytest.fail("job code reached what is not its own (every attack must be refused "
                        "by the OS):\n  " + "\n  ".join(problems), pytrace=False)
    finally:
        if sess is not None:
            sess.delete_quietly()
        if victim_id is not None:
            tac.delete_quietly(victim_id)
