"""The server's and nginx's log files never grow without bound.

Every process of an instance writes its log lines to a pipe read by `tacitus log-writer`,
the only process that opens the log file, and nginx writes its error and access logs to
pipes read the same way (app/stack.sh, include/logfile.h): at its size limit the file is
renamed FILE.1 (FILE.1 to FILE.2 ...; the oldest beyond the kept number goes) and a new
FILE begins.  Checked on the writer itself with a small limit, and on the running stack:
its logs are written by writers, not by the processes themselves.
"""

import os
import subprocess

import tacitus_testlib as tl

BIN = os.environ.get("TACITUS_BIN", "build/asan/tacitus")


def test_log_writer_rotates_by_size_and_keeps_a_bounded_number_of_files(tmp_path):
    path = tmp_path / "x.log"
    lines = [f"line {i:04d} {'x' * 40}\n" for i in range(200)]   # 50 bytes each, 10,000 in all
    p = subprocess.Popen([BIN, "log-writer", str(path), "1000", "3"], stdin=subprocess.PIPE)
    for line in lines:
        p.stdin.write(line.encode())
        p.stdin.flush()                 # one line per read, as the instances write them
    p.stdin.close()
    assert p.wait(timeout=30) == 0, "log-writer failed"
    names = sorted(os.listdir(tmp_path))
    assert names == ["x.log", "x.log.1", "x.log.2", "x.log.3"], \
        f"want the file and 3 rotated ones, got {names}"
    for name in names:
        size = os.path.getsize(tmp_path / name)
        assert 0 < size <= 1000, f"{name} holds {size} bytes, past the 1000-byte limit"
    # the newest lines, in order, whole, across the files kept (oldest first)
    text = "".join((tmp_path / n).read_text() for n in ["x.log.3", "x.log.2", "x.log.1", "x.log"])
    assert text == "".join(lines[-len(text.splitlines()):]), \
        "the kept files do not hold the newest lines, whole and in order"


def test_the_stacks_logs_are_written_by_log_writers(cfg):
    """Each instance's log and nginx's two logs have a log-writer: no process of the stack
    appends to them itself (which would keep a rotated file growing)."""
    writers = [cmd.split()[2] for cmd in
               tl.processes(lambda cmd: cmd.split()[1:2] == ["log-writer"]).values()]
    want = [os.path.join(cfg.var, "log", f"app-{n}.log") for n in (1, 2, 3)] + \
           [os.path.join(cfg.var, "nginx", "logs", f"{n}.log") for n in ("error", "access")]
    missing = [w for w in want if w not in writers]
    assert not missing, f"no log-writer for {missing}; writers: {writers}"
    access = os.path.join(cfg.var, "nginx", "logs", "access.log")
    before = os.path.getsize(access)
    tl.Api(cfg).get("/version")
    tl.wait_until(lambda: os.path.getsize(access) > before, 10,
                  "nginx's access log to get the line of a GET through its writer")
