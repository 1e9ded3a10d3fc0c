"""What app/stack.sh does as root cannot be turned on the host by the server's user.

Started as root, the stack runs the server as `tacitus`, who owns `$TACITUS_VAR/run/`
(its sockets).  stack.sh (root) writes the instances' pid files and `run/job-users`
there: a symlink that `tacitus` plants in their place must not make root write through
it (to /etc/passwd, say).  And `make run` does not print the admin's password: it says
where it is kept.  Without root, or when run/ is not the server's, those tests are skipped.

stack.sh also makes folders under /tmp at names anyone can predict (a hash of TACITUS_VAR):
PostgreSQL's when postgres cannot reach TACITUS_VAR, its socket's when the path would be too
long.  A symlink (or a folder of another user) planted there must stop the start, never be
chowned or chmodded through.  Those tests run `stack.sh env` (which makes the folders and
starts nothing) on a TACITUS_VAR of their own, and remove what it made.
"""

import hashlib
import os
import pwd
import shutil
import stat
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


def predicted(kind, var):
    """The /tmp folder stack.sh picks for `var`: tacitus-pg-* or tacitus-sock-*."""
    return f"/tmp/tacitus-{kind}-{hashlib.md5(var.encode()).hexdigest()[:8]}"


def stack_env(var):
    """`stack.sh env` on a stack of its own (folders made, nothing started)."""
    with open(os.path.join(var, "credentials"), "w") as f:
        f.write("someone\nsecret\n")
    env = dict(os.environ, TACITUS_VAR=var)
    return subprocess.run(["sh", STACK, "env"], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60, env=env)


def look(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def refused(var, planted, victim, why):
    before = look(victim)
    p = stack_env(var)
    assert p.returncode != 0, f"stack.sh accepted {planted} ({why}): {p.stdout}"
    assert planted in p.stderr and why in p.stderr, p.stderr[-2000:]
    assert look(victim) == before, f"stack.sh changed {victim} through {planted}"


def remove(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def ours(path):
    """A real folder that stack.sh made: no link, postgres's (the caller's without root),
    written by nobody else."""
    st = os.lstat(path)
    assert stat.S_ISDIR(st.st_mode), f"{path} is not a real folder"
    owner = pwd.getpwuid(st.st_uid).pw_name
    want = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    assert owner == want, f"{path} is {owner}'s, want {want}'s"
    assert not st.st_mode & 0o022, f"{path} is writable by others: {oct(st.st_mode)}"


def test_a_symlink_at_the_socket_folders_name_stops_the_start():
    base = tempfile.mkdtemp(prefix="tacitus-other-")
    os.chmod(base, 0o755)                   # postgres reaches it: no cluster in /tmp
    var = os.path.join(base, "v" * 80)      # but the socket's path would be too long
    os.mkdir(var, 0o755)
    sock = predicted("sock", var)
    victim = tempfile.mkdtemp(prefix="tacitus-victim-")
    try:
        remove(sock)
        os.symlink(victim, sock)            # as any user of the host could
        refused(var, sock, victim, "symbolic link")
        if os.geteuid() == 0:               # a folder of another user at that name
            os.unlink(sock)
            os.mkdir(sock, 0o755)
            os.chown(sock, 65534, 65534)
            refused(var, sock, sock, "belongs to")
        remove(sock)
        p = stack_env(var)                  # the name free: stack.sh makes it itself
        assert p.returncode == 0, p.stderr[-2000:]
        assert f"host={sock}&" in p.stdout, p.stdout
        ours(sock)
        assert stack_env(var).returncode == 0, "a folder stack.sh made must pass next time"
    finally:
        remove(sock)
        shutil.rmtree(base)
        shutil.rmtree(victim)


def test_a_symlink_at_postgres_folders_name_stops_the_start():
    if os.geteuid() != 0:
        pytest.skip("the cluster moves to /tmp only when root starts it")
    base = tempfile.mkdtemp(prefix="tacitus-other-")    # 0700: postgres cannot reach var
    var = os.path.join(base, "var")
    os.mkdir(var)
    alt = predicted("pg", var)
    victim = tempfile.mkdtemp(prefix="tacitus-victim-")
    try:
        remove(alt)
        os.symlink(victim, alt)
        refused(var, alt, victim, "symbolic link")
        assert not os.path.lexists(os.path.join(var, "pg")), "var/pg links to a planted link"
        os.unlink(alt)
        p = stack_env(var)
        assert p.returncode == 0, p.stderr[-2000:]
        assert os.readlink(os.path.join(var, "pg")) == alt
        ours(alt)
        # /tmp emptied (a reboot), and the name planted before the next start
        shutil.rmtree(alt)
        os.symlink(victim, alt)
        refused(var, alt, victim, "symbolic link")
    finally:
        remove(alt)
        shutil.rmtree(base)
        shutil.rmtree(victim)
