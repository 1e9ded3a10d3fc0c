"""Tacitus integration-test job: hostile code that tries to reach what is not its own.

Usage (a batch):
    attack.py VAR PSQL_HOST PSQL_PORT [--victim-dir DIR]... [--victim-pid PID]...
              [--server-pid PID]... [--secret FILE]... [--fcgi SOCKET]... [--tamper FILE]...

or, in a session statement, exec this file's source in a namespace whose __name__ is not
"__main__" and call run(var, psql_host, psql_port, ...) with the same lists as keyword
arguments: it returns the report lines.

Every attempt prints one line

    ATTACK <name> <result> <detail as a JSON string>

where result is `ok` (the attack worked: the job reached it), `blocked` (refused by the OS),
`gone` (the target process no longer exists: nothing was tested), `error` (the attempt itself
broke) or `info` (no attack: what the job is, what was skipped).  The last line is
`ATTACK done info "<number of lines before it>"`, so a report cut short shows.

Nothing here harms a target: files are opened and closed without writing, a probe file is
removed at once, the signals are 0 and SIGCONT, a FastCGI request is a GET, no secret's
content is ever printed.  Needs no SparkSession.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import uuid

SECRETS = ("credentials", "nginx/htpasswd", "nginx/server.key", "secrets/pgpass")
PSQL_TIMEOUT = 10.0     # seconds one psql run may take
SOCKET_TIMEOUT = 5.0    # seconds a connect or a FastCGI answer may take


class Report:
    def __init__(self):
        self.lines = []

    def add(self, name, result, detail=""):
        name = "".join(c if c.isprintable() and not c.isspace() else "_" for c in str(name))
        detail = " ".join(str(detail).split())[:400]
        self.lines.append(f"ATTACK {name} {result} {json.dumps(detail)}")

    def attempt(self, name, fn, blocked=(OSError, subprocess.SubprocessError)):
        """ok if fn() returns (its value is the detail), blocked if it raises `blocked`."""
        try:
            detail = fn()
        except blocked as e:
            self.add(name, "blocked", why(e))
        except Exception as e:  # the attempt itself broke: not evidence either way
            self.add(name, "error", why(e))
        else:
            self.add(name, "ok", detail if detail is not None else "succeeded")


def why(e):
    return f"{type(e).__name__}: {e}"


def label(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f"{pid}({f.read().strip()})"
    except OSError:
        return str(pid)


# --------------------------------------------------------------------------- 1. secrets

def read_secret(path):
    with open(path, "rb") as f:
        n = len(f.read(4096))
    return f"read {n} bytes"     # never the content


# --------------------------------------------------------------------------- 2. PostgreSQL

def unix_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(SOCKET_TIMEOUT)
    try:
        s.connect(path)
    except BaseException:
        s.close()
        raise
    return s


def connect_only(path):
    unix_connect(path).close()
    return "connected"


def tcp_connect(port):
    with socket.create_connection(("127.0.0.1", int(port)), timeout=SOCKET_TIMEOUT):
        return "connected"


class Failed(subprocess.SubprocessError):
    pass


def psql(exe, host, port, user):
    env = dict(os.environ, PGCONNECT_TIMEOUT="5")
    p = subprocess.run([exe, "-X", "-w", "-h", str(host), "-p", str(port), "-U", user,
                        "-d", "tacitus", "-Atc", "select 1"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=PSQL_TIMEOUT, env=env)
    if p.returncode != 0:
        raise Failed(f"psql exit {p.returncode}: {p.stderr.strip()[-200:]}")
    return f"select 1 answered {p.stdout.strip()!r}"


# --------------------------------------------------------------------------- 3. FastCGI

def fcgi_record(rtype, content, rid=1):
    return struct.pack("!BBHHBx", 1, rtype, rid, len(content), 0) + content


def fcgi_pair(k, v):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    k, v = k.encode(), v.encode()
    return length(len(k)) + length(len(v)) + k + v


def fcgi_get(path, uri="/batches", user="admin"):
    """Connect; if that works, ask GET uri as `user` straight from the worker (no nginx, no
    password) and describe the answer's status."""
    s = unix_connect(path)
    try:
        params = {"REQUEST_METHOD": "GET", "REQUEST_URI": uri, "DOCUMENT_URI": uri,
                  "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_LENGTH": "0",
                  "CONTENT_TYPE": "", "REMOTE_ADDR": "127.0.0.1", "REMOTE_USER": user}
        body = b"".join(fcgi_pair(k, v) for k, v in params.items())
        s.sendall(fcgi_record(1, struct.pack("!HB5x", 1, 0)) + fcgi_record(4, body)
                  + fcgi_record(4, b"") + fcgi_record(5, b""))
        buf, out, ended = b"", b"", False
        try:
            while not ended:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 8 and not ended:
                    _, rtype, _, clen, plen = struct.unpack("!BBHHB", buf[:7])
                    if len(buf) < 8 + clen + plen:
                        break
                    if rtype == 6:      # FCGI_STDOUT
                        out += buf[8:8 + clen]
                    ended = rtype == 3  # FCGI_END_REQUEST
                    buf = buf[8 + clen + plen:]
        except socket.timeout:
            pass
        first = out.split(b"\r\n", 1)[0].decode("utf-8", "replace")
        return f"connected; GET {uri} as {user}: {first or 'no answer'} ({len(out)} bytes)"
    finally:
        s.close()


# --------------------------------------------------------------------------- 4, 6. processes

def signal_attacks(rep, kind, pid, mem=False):
    name = f"{kind}:{label(pid)}"

    for what, sig in (("kill0", 0), ("sigcont", signal.SIGCONT)):
        try:
            os.kill(pid, sig)   # 0: only "may I?"; SIGCONT: harmless to a running process
        except PermissionError as e:
            rep.add(f"{what}-{name}", "blocked", why(e))
        except ProcessLookupError as e:
            rep.add(f"{what}-{name}", "gone", why(e))
        except Exception as e:
            rep.add(f"{what}-{name}", "error", why(e))
        else:
            rep.add(f"{what}-{name}", "ok", f"signal {int(sig)} delivered")

    def open_proc(entry):
        def go():
            with open(f"/proc/{pid}/{entry}", "rb", buffering=0) as f:
                if entry == "environ":
                    f.read(65536)
                    return "read its environment"
                return f"opened /proc/<pid>/{entry}"
        return go

    rep.attempt(f"environ-{name}", open_proc("environ"))
    if mem:
        rep.attempt(f"mem-{name}", open_proc("mem"))


def scan_servers(var):
    """Server processes this job can see: `tacitus serve ... VAR ...` and the pid files."""
    found = set()
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        pids = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        for i, a in enumerate(args[:-1]):
            if os.path.basename(a).startswith("tacitus") and args[i + 1] == "serve" \
                    and any(var in x for x in args):
                found.add(pid)
    for pidfile in glob.glob(os.path.join(var, "run", "app-*.pid")) + \
            [os.path.join(var, "nginx", "nginx.pid")]:
        try:
            with open(pidfile) as f:
                found.add(int(f.read().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
    return found


# --------------------------------------------------------------------------- 5. job folders

def probe_create(folder):
    path = os.path.join(folder, f".attack-{uuid.uuid4().hex[:8]}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.unlink(path)
    return "created (and removed) a file"


def probe_mkdir(folder):
    path = os.path.join(folder, f".attack-{uuid.uuid4().hex[:8]}")
    os.mkdir(path, 0o700)
    os.rmdir(path)
    return "made (and removed) a folder"


def open_append(path):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)     # no O_CREAT, nothing written
    os.close(fd)
    return "opened for writing"


def listing(folder):
    return f"listed {len(os.listdir(folder))} entries"


def read_some(path):
    with open(path, "rb") as f:
        return f"read {len(f.read(4096))} bytes"


# --------------------------------------------------------------------------- 7. identity

def identity():
    uid, gid = os.getuid(), os.getgid()
    try:
        import pwd
        user = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        user = "?"
    groups = ",".join(str(g) for g in sorted(set(os.getgroups()) | {gid}))
    return (f"uid={uid} gid={gid} groups={groups} user={user} euid={os.geteuid()} "
            f"egid={os.getegid()} pid={os.getpid()} cwd={os.getcwd()}")


# --------------------------------------------------------------------------- all of it

def run(var, psql_host, psql_port, victim_dirs=(), victim_pids=(), server_pids=(),
        secrets=None, fcgi_sockets=None, tamper=()):
    """Try every attack; returns the report lines (the last one is `ATTACK done ...`)."""
    rep = Report()
    var = str(var).rstrip("/")
    try:
        rep.add("identity", "info", identity())
    except Exception as e:
        rep.add("identity", "error", why(e))

    # 1. credentials and keys
    for path in secrets if secrets is not None else [os.path.join(var, s) for s in SECRETS]:
        rep.attempt(f"read-secret:{path}", lambda p=path: read_secret(p))

    # 2. the database: its Unix socket, TCP on the same port, psql as two users
    sock = os.path.join(str(psql_host), f".s.PGSQL.{psql_port}")
    rep.attempt(f"pg-socket:{sock}", lambda: connect_only(sock))
    rep.attempt(f"pg-tcp:127.0.0.1:{psql_port}", lambda: tcp_connect(psql_port))
    exe = shutil.which("psql")
    if exe is None:
        rep.add("psql:-", "info", "psql is not on PATH: not tried")
    else:
        for user in ("tacitus", "postgres"):
            rep.attempt(f"psql:as-{user}", lambda u=user: psql(exe, psql_host, psql_port, u))

    # 3. the app's FastCGI sockets (nginx's side of the authentication)
    if fcgi_sockets is None:
        fcgi_sockets = sorted(glob.glob(os.path.join(var, "run", "app-*.sock"))) or \
            [os.path.join(var, "run", f"app-{i}.sock") for i in (1, 2)]
    for path in fcgi_sockets:
        rep.attempt(f"fcgi:{path}", lambda p=path: fcgi_get(p))

    # 4. the server's processes (and nginx's, PostgreSQL's)
    for pid in sorted(set(int(p) for p in server_pids) | scan_servers(var)):
        if pid != os.getpid():
            signal_attacks(rep, "server", pid)

    # 5. job folders: the list of them, a new one, and the victims'
    jobs = os.path.join(var, "jobs")
    rep.attempt(f"list:{jobs}", lambda: listing(jobs))
    rep.attempt(f"mkdir-in:{jobs}", lambda: probe_mkdir(jobs))
    for d in victim_dirs:
        d = str(d).rstrip("/")
        n = os.path.basename(d)
        work = os.path.join(d, "work")
        rep.attempt(f"read-stdout:{n}", lambda: read_some(os.path.join(d, "stdout")))
        rep.attempt(f"append-stdout:{n}", lambda: open_append(os.path.join(d, "stdout")))
        rep.attempt(f"create-in:{n}", lambda: probe_create(d))
        rep.attempt(f"list-work:{n}", lambda: listing(work))
        rep.attempt(f"create-in-work:{n}", lambda: probe_create(work))

    # files every later job or start trusts: configuration, the driver script
    for path in tamper:
        rep.attempt(f"write:{path}", lambda p=path: open_append(p))

    # 6. another user's job processes (a running batch, a warm-pool driver)
    for pid in victim_pids:
        signal_attacks(rep, "victim", int(pid), mem=True)

    rep.add("done", "info", str(len(rep.lines)))
    return rep.lines


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("var")
    ap.add_argument("psql_host")
    ap.add_argument("psql_port")
    ap.add_argument("--victim-dir", action="append", default=[])
    ap.add_argument("--victim-pid", action="append", type=int, default=[])
    ap.add_argument("--server-pid", action="append", type=int, default=[])
    ap.add_argument("--secret", action="append", default=None)
    ap.add_argument("--fcgi", action="append", default=None)
    ap.add_argument("--tamper", action="append", default=[])
    a = ap.parse_args(argv[1:])
    for line in run(a.var, a.psql_host, a.psql_port, a.victim_dir, a.victim_pid, a.server_pid,
                    a.secret, a.fcgi, a.tamper):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
