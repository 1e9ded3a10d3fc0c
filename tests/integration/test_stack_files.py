"""What app/stack.sh does as root cannot be turned on the host by the server's user.

Started as root, the stack runs the server as `tacitus`, who owns `$TACITUS_VAR/run/`
(its sockets).  stack.sh (root) writes the instances' pid files and `run/job-users`
there: a symlink that `tacitus` plants in their place must not make root write through
it (to /etc/passwd, say).  And `make run` does not print the admin's password: it says
where it is kept.  Without root, or when run/ is not the server's, this module is skipped.
"""

import os
import pwd
import subprocess
import tempfile

import pytest

import tacitus_testlib as tl
from test_recovery import STACK, ensure_instances, kill_instance, pid_file


def run_dir_or_skip(cfg):
    run = os.path.join(cfg.var, "run")
    if os.geteuid() != 0:
        pytest.skip("the stack runs as its own users only when started as root")
    try:
        owner = pwd.getpwuid(os.stat(run).st_uid).pw_name
    except KeyError:
        owner = "?"
    if owner != "tacitus":
        pytest.skip(f"{run} is {owner}'s, not the server's: nobody else writes there")
    return run


def test_root_does_not_write_through_a_symlink_in_the_servers_run_folder(cfg):
    run = run_dir_or_skip(cfg)
    fd, victim = tempfile.mkstemp(prefix="tacitus-victim-")
    os.write(fd, b"keep\n")
    os.close(fd)
    try:
        kill_instance(cfg, 1)
        for name in ("app-1.pid", "job-users"):
            path = os.path.join(run, name)
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(victim, path)       # as tacitus could: the folder is its own
        ensure_instances(cfg)
        with open(victim) as f:
            assert f.read() == "keep\n", "stack.sh wrote through a symlink the server could plant"
        for name in ("app-1.pid", "job-users"):
            path = os.path.join(run, name)
            assert not os.path.islink(path), f"{path} is still the planted symlink"
        assert open(pid_file(cfg, 1)).read().strip().isdigit()
    finally:
        os.unlink(victim)
        ensure_instances(cfg)


def test_start_does_not_print_the_password(cfg):
    p = subprocess.run(["sh", STACK, "start"], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=240, env=os.environ.copy())
    assert p.returncode == 0, p.stderr[-2000:]
    out = p.stdout + p.stderr
    assert cfg.password not in out, "stack.sh start printed the admin's password"
    assert os.path.join(cfg.var, "credentials") in out, \
        "stack.sh start must say where the password is kept"
