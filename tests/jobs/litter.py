"""Tacitus integration-test job that leaves things behind in the host's shared places.

Usage: litter.py TOKEN

Without starting Spark, creates (0600, its own account's) /tmp/litter-TOKEN (a file),
/tmp/litter-TOKEN.d/deep/er (a folder tree), /var/tmp/litter-TOKEN, /dev/shm/litter-TOKEN,
/run/lock/litter-TOKEN (where those folders exist and are writable) and a System V shared
memory segment, semaphore set and message queue, then prints one line per thing made,
"LITTER <kind> <name or id>", and exits 0.  The next job of the account must find none of it.
"""
import ctypes
import os
import sys

IPC_CREAT, IPC_PRIVATE = 0o1000, 0


def make_file(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"secret of the last job\n")
    os.close(fd)


def main(argv):
    token = argv[1]
    for place in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        path = os.path.join(place, f"litter-{token}")
        try:
            make_file(path)
            print(f"LITTER file {path}", flush=True)
        except OSError as e:
            print(f"NOLITTER {path} {e}", flush=True)
    tree = f"/tmp/litter-{token}.d"
    os.makedirs(os.path.join(tree, "deep", "er"), 0o700)
    make_file(os.path.join(tree, "deep", "er", "f"))
    os.chmod(os.path.join(tree, "deep"), 0)        # locked: the sweep must open it up
    print(f"LITTER file {tree}", flush=True)
    libc = ctypes.CDLL(None, use_errno=True)
    shm = libc.shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600)
    sem = libc.semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600)
    msg = libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
    for kind, ident in (("shm", shm), ("sem", sem), ("msg", msg)):
        assert ident >= 0, f"{kind}get failed: errno {ctypes.get_errno()}"
        print(f"LITTER {kind} {ident}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
