"""One round of tests/bench/waiters.sh: N clients, each on a connection of its own, wait
on a batch's state (GET /batches/{id}/state?wait=W&since=STATE), spread over the batches
given; once every request is sent and none is answered for SETTLE seconds, the file PARKED
is written ("parked N"); when the file GO appears, UPDATE (SQL, through TACITUS_PSQL)
changes the batches' state, its transaction noting clock_timestamp() just before its end
(t0, PostgreSQL's clock: the same host's); each waiter's time is from t0 to its whole
answer read (this process's clock).  Prints one line of key=value: the count answered
with the state NEW, the others, and p50/p90/p99/max in ms; --dump writes every waiter's
time.

Over TLS 1.3 with the stack's CA (TACITUS_CA) and basic auth (TACITUS_USER/PASSWORD)
to TACITUS_URL; or, with --unix SOCK, in plain HTTP straight to nginx's internal pub/sub
server (its /_wait/W/<channel>/<route>, the batch ids given as ID:PUSH_SEQ): the
publisher's and nchan's part of a wake-up alone, no worker, no TLS.  Stdlib only.
"""
import argparse
import asyncio
import base64
import os
import resource
import ssl
import subprocess
import sys
import time
import urllib.parse


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


async def read_answer(reader):
    """An HTTP/1.1 answer: (status, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdr = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdr[k.strip().lower()] = v.strip()
    if "content-length" in hdr:
        body = await reader.readexactly(int(hdr["content-length"]))
    elif hdr.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.read()
    return status, body


class Round:
    def __init__(self, a):
        self.a = a
        self.sent = 0
        self.answered = 0
        self.early = 0          # answered before the change: not parked
        self.errors = {}
        self.results = []       # (time answered, status, body)
        self.go_at = None
        self.ctx = None
        if not a.unix:
            u = urllib.parse.urlsplit(os.environ["TACITUS_URL"])
            self.host, self.port = u.hostname, u.port
            self.ctx = ssl.create_default_context(cafile=os.environ["TACITUS_CA"])
            self.ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            cred = f"{os.environ['TACITUS_USER']}:{os.environ['TACITUS_PASSWORD']}"
            self.auth = base64.b64encode(cred.encode()).decode()

    def request(self, i):
        a = self.a
        target = a.ids[i % len(a.ids)]
        if a.unix:
            bid, seq = target.split(":")
            path = f"/_wait/{a.wait}/j{bid}.{seq}/batches/{bid}/state"
            return (f"GET {path} HTTP/1.1\r\nHost: push\r\nConnection: close\r\n\r\n").encode()
        path = f"/batches/{target}/state?wait={a.wait}&since={a.since}"
        return (f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Basic {self.auth}\r\n"
                f"Connection: close\r\n\r\n").encode()

    async def waiter(self, i, sem):
        try:
            async with sem:
                if self.a.unix:
                    r, w = await asyncio.open_unix_connection(self.a.unix)
                else:
                    r, w = await asyncio.open_connection(self.host, self.port, ssl=self.ctx,
                                                         server_hostname=self.host)
                w.write(self.request(i))
                await w.drain()
                self.sent += 1
            status, body = await read_answer(r)
            t = time.time()
            self.answered += 1
            if self.go_at is None:
                self.early += 1
            self.results.append((t, status, body))
            w.close()
        except Exception as e:     # counted, not raised: one failed waiter is a figure
            k = type(e).__name__
            self.errors[k] = self.errors.get(k, 0) + 1

    async def run(self):
        a = self.a
        sem = asyncio.Semaphore(a.connect_at_once)
        t_start = time.monotonic()
        tasks = [asyncio.create_task(self.waiter(i, sem)) for i in range(a.n)]
        # every request sent, then none answered for SETTLE seconds
        while self.sent + sum(self.errors.values()) < a.n:
            await asyncio.sleep(0.05)
        connect_s = time.monotonic() - t_start
        await asyncio.sleep(a.settle)
        with open(a.parked + ".tmp", "w") as f:
            f.write(f"parked {self.sent - self.answered} sent {self.sent} answered {self.answered} "
                    f"errors {sum(self.errors.values())} connect_s {connect_s:.1f}\n")
        os.rename(a.parked + ".tmp", a.parked)
        while not os.path.exists(a.go):
            await asyncio.sleep(0.05)
        self.go_at = time.time()
        ru = resource.getrusage(resource.RUSAGE_SELF)
        cpu0 = ru.ru_utime + ru.ru_stime
        # the change: t0 is PostgreSQL's clock just before the end of its transaction
        proc = await asyncio.create_subprocess_exec(
            *os.environ["TACITUS_PSQL"].split(), "-Atq", "-v", "ON_ERROR_STOP=1", "-c",
            f"{a.update}; SELECT extract(epoch FROM clock_timestamp())",
            stdout=subprocess.PIPE)
        out, _ = await proc.communicate()
        committed = time.time()
        t0 = float(out.decode().split()[-1])
        await asyncio.wait(tasks, timeout=a.timeout)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu_ms = (ru.ru_utime + ru.ru_stime - cpu0) * 1000
        return t0, committed

    def report(self, t0, committed):
        a = self.a
        ms = []
        new = other = 0
        statuses = {}
        for t, status, body in self.results:
            statuses[status] = statuses.get(status, 0) + 1
            ok = status == 200 and (a.unix or f'"state":"{a.new}"' in body.decode().replace(" ", ""))
            if ok:
                new += 1
            else:
                other += 1
            ms.append((t - t0) * 1000)
        if a.dump:
            with open(a.dump, "w") as f:
                f.write("\n".join(f"{x:.2f}" for x in sorted(ms)) + "\n")
        first = min(ms) if ms else float("nan")
        print(f"n={a.n} sent={self.sent} early={self.early} new={new} other={other} "
              f"unanswered={a.n - self.answered} "
              f"errors={','.join(f'{k}:{v}' for k, v in self.errors.items()) or 0} "
              f"statuses={','.join(f'{k}:{v}' for k, v in sorted(statuses.items()))} "
              f"commit_ms={(committed - t0) * 1000:.1f} first={first:.1f} "
              f"p50={pct(ms, 50):.1f} p90={pct(ms, 90):.1f} p99={pct(ms, 99):.1f} "
              f"max={max(ms) if ms else float('nan'):.1f} client_cpu_ms={self.cpu_ms:.0f}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--ids", required=True, help="comma-separated batch ids (ID:SEQ with --unix)")
    p.add_argument("--wait", type=int, default=300)
    p.add_argument("--since", default="running")
    p.add_argument("--new", default="success")
    p.add_argument("--update", required=True, help="the SQL that changes the state")
    p.add_argument("--parked", required=True)
    p.add_argument("--go", required=True)
    p.add_argument("--settle", type=float, default=3)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--connect-at-once", type=int, default=64)
    p.add_argument("--unix")
    p.add_argument("--dump")
    a = p.parse_args()
    a.ids = a.ids.split(",")
    r = Round(a)
    t0, committed = asyncio.run(r.run())
    r.report(t0, committed)


if __name__ == "__main__":
    sys.exit(main())
