"""Nothing of a job outlives it.

A job's files in the host's shared places (/tmp, /var/tmp, /dev/shm, /run/lock; JVMs leave
/tmp/hsperfdata_<account>) and its System V IPC objects survived the job and were readable by
the next job of the same account.  When an account is released (its job's shim gone) and before
it serves another job, everything it owns there is removed, as the account, by descriptor (a
locked folder is opened up, a symlink never followed).  The test runs tests/jobs/litter.py,
which leaves one of each, as a batch and asserts that once the batch has ended none is left.
Without job accounts (the stack not started as root) jobs run as the server's user, whose
files are never swept, and the module is skipped.
"""

import os
import re
import uuid

import tacitus_testlib as tl
from test_privilege import job_users_or_skip

IPC_TABLES = {"shm": "/proc/sysvipc/shm", "sem": "/proc/sysvipc/sem", "msg": "/proc/sysvipc/msg"}


def ipc_ids(kind):
    """ids of the System V objects of a kind (second column of /proc/sysvipc/<kind>)."""
    with open(IPC_TABLES[kind]) as f:
        next(f)
        return {int(line.split()[1]) for line in f if line.strip()}


def test_a_jobs_leftovers_go_with_it(cfg, tac):
    job_users_or_skip(cfg)
    token = uuid.uuid4().hex[:12]
    bid, state, _ = tac.run_batch({"file": cfg.job("litter.py"), "args": [token],
                                   "name": f"litter-{token}"})
    log = tac.full_log(bid)
    assert state == "success", f"batch {bid} ended {state}: {log[-20:]!r}"
    made = [m.groups() for m in (re.match(r"LITTER (\w+) (\S+)", line) for line in log) if m]
    files = [v for k, v in made if k == "file"]
    ipc = [(k, int(v)) for k, v in made if k in IPC_TABLES]
    assert "/tmp/litter-" + token in files and len(ipc) == 3, \
        f"batch {bid} did not leave what it should have: {log[-20:]!r}"

    def left():
        return [f for f in files if os.path.lexists(f)] + \
               [f"{k} {i}" for k, i in ipc if i in ipc_ids(k)]
    tl.wait_until(lambda: not left(), 30,
                  lambda: f"what batch {bid} left to be removed once it ended; left: {left()}")
