"""Tacitus session driver: the Python REPL that runs inside a Spark driver (started by
spark-submit) for one Livy-style interactive session.  It builds the SparkSession, then pulls
statements, cancels, completions and stop requests from Tacitus and pushes results back, all
through `POST <callback>/sync` as described in app/DRIVER-PROTOCOL.md; it never listens for
commands, only for UDP wake-up hints.  Statements (kinds `pyspark`, `sql` and `spark`, the last
through a Scala interpreter reached over py4j) run one at a time in the main thread, so that a
cancel can interrupt them; a daemon thread does all the HTTP work.  Outputs follow Apache Livy's
REPL (https://livy.apache.org/docs/latest/rest-api.html, "Statement Output")."""

import argparse
import ast
import base64
import datetime
import decimal
import http.client
import io
import json
import math
import os
import re
import rlcompleter
import select
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import warnings

REAL_STDOUT, REAL_STDERR = sys.stdout, sys.stderr
MAX_ROWS = 1000
MAX_OUTPUT = 16 << 20     # bytes of one statement's output JSON (a sync body is at most 64 MiB)
MAX_SYNC = 32 << 20       # bytes of results in one sync; the rest go in the next ones
WAKE_GAP = 0.01           # seconds between two syncs that datagrams woke (a flood: 100/s)

SCALA_PRELUDE = ("val spark = org.apache.spark.sql.SparkSession.builder.getOrCreate()\n"
                 "val sc = spark.sparkContext\n"
                 "import spark.implicits._\nimport spark.sql\n"
                 "import org.apache.spark.sql.functions._\n")


def log(message):
    print("tacitus-repl: " + message, file=REAL_STDERR, flush=True)


def now_ms():
    return int(time.time() * 1000)


def ok_output(sid, data):
    return {"status": "ok", "execution_count": sid, "data": data}


def scrub(value):
    """A copy of an output without NUL characters (PostgreSQL's text cannot hold them)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    return value


def error_output(sid, ename, evalue, tb):
    return {"status": "error", "execution_count": sid, "ename": ename, "evalue": evalue,
            "traceback": tb}


def exception_output(sid, exc, with_frames=True):
    """Livy's error output: the frames up to and including the `<stdin>` module frame are
    dropped (the first line, "Traceback (most recent call last):", is kept)."""
    lines = traceback.format_exception_only(type(exc), exc)
    if with_frames:
        frames = traceback.format_exception(type(exc), exc, exc.__traceback__, chain=False)
        top = [i for i, line in enumerate(frames)
               if line.startswith('  File "<stdin>"') and "in <module>" in line]
        lines = frames[:1] + frames[top[0] + 1:] if top else lines
    return error_output(sid, type(exc).__name__, str(exc), lines)


# ---- JSON conversion of user values -------------------------------------------------------

def json_value(value):
    """A JSON-safe copy of a value from Spark or Python (dates and odd floats become strings)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return json_value(float(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return str(value)
    if is_dataframe(value):
        return [json.loads(row) for row in value.toJSON().take(MAX_ROWS)]
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def is_dataframe(value):
    return type(value).__name__ == "DataFrame" and hasattr(value, "toJSON")


TABLE_TYPES = {type(None): "NULL_TYPE", bool: "BOOLEAN_TYPE", int: "INT_TYPE",
               float: "DOUBLE_TYPE", str: "STRING_TYPE", datetime.date: "DATE_TYPE",
               datetime.datetime: "TIMESTAMP_TYPE", decimal.Decimal: "DECIMAL_TYPE"}


def table_cell(value):
    """(Livy table type, JSON value) of one `%table` cell; unknown types become strings."""
    if isinstance(value, (list, tuple)) and type(value).__name__ != "Row":
        cells = [table_cell(v) for v in value]
        if len({t for t, _ in cells}) > 1:
            raise ValueError("value has inconsistent types")
        return "ARRAY_TYPE", [v for _, v in cells]
    if isinstance(value, dict):
        cells = {str(k): table_cell(v) for k, v in value.items()}
        if len({t for t, _ in cells.values()}) > 1:
            raise ValueError("value has inconsistent types")
        return "MAP_TYPE", {k: v for k, (_, v) in cells.items()}
    kind = TABLE_TYPES.get(type(value), "STRING_TYPE")
    return kind, json_value(value) if kind != "STRING_TYPE" else str(value)


def magic_table(value):
    if is_dataframe(value):
        value = value.take(MAX_ROWS)
    if not isinstance(value, (list, tuple)):
        value = [value]
    headers, data = {}, []
    for row in value:
        if type(row).__name__ == "Row":
            row = row.asDict()
        if not isinstance(row, (list, tuple, dict)):
            row = [row]
        cols = []
        for name, col in (sorted(row.items()) if isinstance(row, dict) else enumerate(row)):
            col_type, col = table_cell(col)
            header = headers.setdefault(name, {"name": str(name), "type": col_type})
            if header["type"] == "NULL_TYPE":
                header["type"] = col_type
            elif col_type not in ("NULL_TYPE", header["type"]):
                raise ValueError("table rows have different types")
            cols.append(col)
        data.append(cols)
    return {"application/vnd.livy.table.v1+json":
            {"headers": [h for _, h in sorted(headers.items())], "data": data}}


def magic_matplot(value):
    image = io.BytesIO()
    value.gcf().savefig(image, format="png")
    return {"image/png": base64.b64encode(image.getvalue()).decode(), "text/plain": ""}


MAGICS = {"json": lambda value: {"application/json": json_value(value)},
          "table": magic_table, "matplot": magic_matplot}


class UnknownMagic(Exception):
    pass


# ---- interpreters --------------------------------------------------------------------------

class PythonRepl:
    """Runs Python code as Livy's fake_shell does, in one namespace shared by all statements."""

    def __init__(self, namespace):
        self.namespace = namespace

    def parse(self, code):
        """[("code", ast.Module) | ("magic", name, rest)]; magic lines start with `%`."""
        try:
            return [("code", ast.parse(code, "<stdin>"))]
        except SyntaxError:
            pass
        chunks, normal = [], []
        for line in code.rstrip().split("\n"):
            if line.startswith("%"):
                if normal:
                    chunks.append(("code", ast.parse("\n".join(normal), "<stdin>")))
                    normal = []
                name, _, rest = line[1:].partition(" ")
                chunks.append(("magic", name, rest.strip()))
            else:
                normal.append(line)
        if normal:
            chunks.append(("code", ast.parse("\n".join(normal), "<stdin>")))
        return chunks

    def run_tree(self, tree):
        """All statements in exec mode but the last, which runs in 'single' mode (echo)."""
        for node in tree.body[:-1]:
            exec(compile(ast.Module([node], []), "<stdin>", "exec"), self.namespace)
        for node in tree.body[-1:]:
            exec(compile(ast.Interactive([node]), "<stdin>", "single"), self.namespace)

    def run_magic(self, name, rest):
        if name not in MAGICS:
            raise UnknownMagic("unknown magic command '%s'" % name if name
                               else "magic command not specified")
        return MAGICS[name](self.namespace[rest])

    def execute(self, sid, code):
        try:
            chunks = self.parse(code)
        except SyntaxError as exc:
            return exception_output(sid, exc, with_frames=False)
        out, err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = out, err
        try:
            data = {}
            for chunk in chunks:
                if chunk[0] == "code":
                    self.run_tree(chunk[1])
                    data = {}
                else:
                    try:
                        data = self.run_magic(chunk[1], chunk[2])
                    except Exception as exc:
                        return exception_output(sid, exc, with_frames=False)
        except BaseException as exc:
            return exception_output(sid, exc)
        finally:
            sys.stdout, sys.stderr = REAL_STDOUT, REAL_STDERR
        text = (data.pop("text/plain", "") + out.getvalue() + err.getvalue()).rstrip()
        if text or not data:
            data["text/plain"] = text
        return ok_output(sid, data)

    def complete(self, code, cursor):
        word = re.search(r"[\w.]*$", code[:cursor]).group(0)
        if not word:
            return []
        completer, found = rlcompleter.Completer(self.namespace), []
        for state in range(1000):
            candidate = completer.complete(word, state)
            if candidate is None:
                break
            if candidate not in found:
                found.append(candidate)
        return found


def sql_output(spark, sid, code):
    try:
        frame = spark.sql(code)
        rows = [[json_value(v) for v in row] for row in frame.take(MAX_ROWS)]
        return ok_output(sid, {"application/json": {"schema": json.loads(frame.schema.json()),
                                                    "data": rows}})
    except Exception as exc:
        stack = getattr(exc, "stackTrace", "") or ""
        frames = [line.strip()[3:] + "\n" for line in stack.splitlines()
                  if line.startswith("\tat ")]
        return error_output(sid, "Error", getattr(exc, "desc", None) or str(exc), frames)


class ScalaRepl:
    """Scala's IMain in the driver JVM, driven over py4j; echo and Console.out go to one buffer."""

    def __init__(self, spark):
        self.jvm = jvm = spark._jvm
        outdir = os.path.abspath(spark.conf.get("spark.repl.class.outputDir", "repl-classes"))
        os.makedirs(outdir, exist_ok=True)
        settings = jvm.scala.tools.nsc.Settings()
        settings.processArgumentString("-usejavacp -Yrepl-class-based")
        getattr(settings.Yreploutdir(), "value_$eq")(outdir)
        self.buffer = jvm.java.io.ByteArrayOutputStream()
        self.intp = jvm.scala.tools.nsc.interpreter.IMain(
            settings, jvm.java.io.PrintWriter(self.buffer, True))
        self.intp.initializeSynchronous()
        self.console = jvm.java.lang.Class.forName("scala.Console$").getField("MODULE$").get(None)
        self.stream = jvm.java.io.PrintStream(self.buffer, True, "UTF-8")
        self.completer = jvm.scala.tools.nsc.interpreter.PresentationCompilerCompleter(self.intp)
        self.lock = threading.Lock()   # the compiler is not thread-safe: completion or statement
        status, text = self.interpret(SCALA_PRELUDE)
        if status != "Success":
            raise RuntimeError(text)

    def interpret(self, code):
        with self.lock:
            self.buffer.reset()
            saved = self.console.out()
            self.console.setOutDirect(self.stream)
            try:
                status = self.intp.interpret(code).toString()
            finally:
                self.console.setOutDirect(saved)
            return status, self.buffer.toString("UTF-8")

    def execute(self, sid, code):
        status, text = self.interpret(code)
        if status == "Success":
            return ok_output(sid, {"text/plain": text})
        if status == "Incomplete":
            return error_output(sid, "Error", "incomplete statement", [])
        lines = text.splitlines(True) or ["unknown error"]
        return error_output(sid, "Error", lines[0].strip(), lines[1:])

    def complete(self, code, cursor):
        """Candidates at `cursor`, or [] while a Scala statement is being interpreted."""
        if not self.lock.acquire(blocking=False):
            return []
        try:
            found = self.completer.complete(code, cursor).candidates()
            return list(self.jvm.scala.collection.JavaConverters.seqAsJavaList(found))
        finally:
            self.lock.release()


# ---- the driver ----------------------------------------------------------------------------

class Link:
    """One kept-alive HTTP(S) connection to `<callback>/sync`."""

    def __init__(self, url, cafile, secret):
        # the secret handed over (a file that may have copies: YARN's cache of the
        # application's files) serves until the first answered sync, which replaces it
        # by one made here and never written anywhere
        self.secret, self.rekey = secret, os.urandom(32).hex()
        parts = urllib.parse.urlsplit(url)
        self.path = parts.path.rstrip("/") + "/sync"
        # wake-ups come from the server's side: from this host only when it is local
        self.wake_host = "127.0.0.1" if parts.hostname in ("127.0.0.1", "localhost") else "0.0.0.0"
        self.headers = {"Content-Type": "application/json"}
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=cafile or None)
            self.connect = lambda: http.client.HTTPSConnection(
                parts.hostname, parts.port or 443, timeout=30, context=context)
        else:
            self.connect = lambda: http.client.HTTPConnection(
                parts.hostname, parts.port or 80, timeout=30)
        self.conn = None

    def post(self, body):
        """(status, answer or None); raises OSError/HTTPException after closing the connection.
        Until a sync was answered, each asks for the new secret (rekey); a 403 then may
        mean that one was, its answer lost: the new secret is tried once."""
        if self.rekey is None:
            return self.send(body, self.secret)
        body = dict(body, rekey=self.rekey)
        status, answer = self.send(body, self.secret)
        if status == 403:
            status, answer = self.send(body, self.rekey)
        if status == 200:
            self.secret, self.rekey = self.rekey, None
        return status, answer

    def send(self, body, secret):
        try:
            if self.conn is None:
                self.conn = self.connect()
            self.conn.request("POST", self.path, json.dumps(body).encode(),
                              dict(self.headers, **{"X-Tacitus-Secret": secret}))
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        return response.status, json.loads(payload) if response.status == 200 else None


class Driver:
    def __init__(self, spark, link, server_timeout):
        self.spark, self.sc, self.link = spark, spark.sparkContext, link
        self.server_timeout = server_timeout
        namespace = {"__name__": "__main__", "__builtins__": __builtins__,
                     "spark": spark, "sc": self.sc}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pyspark.sql import SQLContext
            namespace["sqlContext"] = SQLContext(self.sc, spark)
        self.python = PythonRepl(namespace)
        self.scala = None
        self.cond = threading.Condition()
        self.queue = {}          # id -> statement, received and not started
        self.next_id = 0
        self.running = None      # the statement now running, or None
        self.started = 0
        self.cancelled = set()   # ids of running statements the user cancelled
        self.interruptible = False
        self.outbox = {}         # id -> (final result not yet acknowledged, its JSON size)
        self.answers = []        # completion answers not yet acknowledged
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((link.wake_host, 0))
        # any process of the host may send to the port: only a datagram that carries
        # this token (known to the server alone, from the sync) wakes the driver
        self.wake_token = os.urandom(16).hex()
        self.last_wake = 0.0
        self.wake_r, self.wake_w = socket.socketpair()
        for sock in (self.udp, self.wake_r, self.wake_w):
            sock.setblocking(False)
        self.main_ident = threading.get_ident()
        signal.signal(signal.SIGINT, self.on_sigint)

    def on_sigint(self, _signum, _frame):
        if self.interruptible:
            raise KeyboardInterrupt

    def poke(self):
        try:
            self.wake_w.send(b"x")
        except BlockingIOError:
            pass

    # -- main thread: statements --

    def serve(self):
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
                statement = self.queue.pop(min(self.queue))
                self.running, self.started = statement["id"], now_ms()
            self.poke()
            self.execute(statement)

    def execute(self, statement):
        sid, kind = statement["id"], statement.get("kind", "pyspark")
        log("statement %d (%s) started" % (sid, kind))
        output, size = None, 0
        try:
            self.sc.setJobGroup(str(sid), "statement %d" % sid, True)
            self.interruptible = kind == "pyspark"
            output = self.run(sid, kind, statement.get("code", ""))
            self.interruptible = False
            output = scrub(output)
            size = len(json.dumps(output, allow_nan=False))
            if size > MAX_OUTPUT:
                output = error_output(sid, "OutputTooLarge", "the output has %d bytes of JSON; "
                                      "at most %d are kept" % (size, MAX_OUTPUT), [])
                size = len(json.dumps(output))
        except KeyboardInterrupt:
            pass
        except Exception as exc:
            output = error_output(sid, "InternalError", str(exc), [])
            size = len(json.dumps(output))
        finally:
            self.interruptible = False
        with self.cond:
            cancelled = sid in self.cancelled
            self.cancelled.discard(sid)
            if cancelled:
                self.finish(sid, "cancelled", self.started)
            else:
                self.finish(sid, "available", self.started, output, size)
            self.running = None
        self.poke()
        log("statement %d %s" % (sid, "cancelled" if cancelled else "done"))

    def run(self, sid, kind, code):
        if kind == "pyspark":
            return self.python.execute(sid, code)
        if kind == "sql":
            return sql_output(self.spark, sid, code)
        if kind == "spark":
            if self.scala is None:
                try:
                    self.scala = ScalaRepl(self.spark)
                except Exception as exc:
                    return error_output(sid, "InterpreterError", "Fail to start interpreter",
                                        [line + "\n" for line in str(exc).splitlines()])
            return self.scala.execute(sid, code)
        return error_output(sid, "InterpreterError", "Unknown kind: %s" % kind, [])

    # -- communication thread --

    def communicate(self):
        last_ok, failures = time.monotonic(), 0
        while True:
            try:
                again = self.sync()
                if failures:
                    log("sync works again")
                last_ok, failures = time.monotonic(), 0
            except Exception as exc:
                if not failures:
                    log("sync failed, retrying: %s" % exc)
                if time.monotonic() - last_ok > self.server_timeout:
                    log("no successful sync for %d s, exiting" % self.server_timeout)
                    os._exit(1)
                time.sleep(min(0.1 * 2 ** failures, 1.0))
                failures += 1
                self.drain()
                continue
            if not again:
                self.wait(0.5 if self.running is not None else 1.0)

    def wait(self, timeout):
        """Sleep until the server or the main thread wakes us, or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select([self.udp, self.wake_r], [], [], left)
            poked, woken = self.drain()
            if poked:
                return
            if woken:
                # a flood of genuine wake-ups costs a sync per WAKE_GAP at most
                gap = self.last_wake + WAKE_GAP - time.monotonic()
                if gap > 0:
                    time.sleep(min(gap, max(deadline - time.monotonic(), 0)))
                self.last_wake = time.monotonic()
                return
            if not readable:
                return

    def drain(self):
        """(poked by the main thread, woken by a datagram with our token)."""
        poked = woken = False
        token = self.wake_token.encode()
        for sock in (self.udp, self.wake_r):
            try:
                while True:
                    data = sock.recv(4096)
                    if not data:
                        break
                    if sock is self.wake_r:
                        poked = True
                    elif data == token:
                        woken = True
            except BlockingIOError:
                pass
        return poked, woken

    def sync(self):
        """One POST /sync; True when completions were answered and must go out at once."""
        body = self.sync_body()
        status, answer = self.link.post(body)
        if status == 403:
            log("secret refused (403), exiting")
            os._exit(1)
        if status != 200:
            raise OSError("HTTP status %d" % status)
        with self.cond:
            for result in body["results"]:
                if self.outbox.get(result["id"], (None,))[0] is result:
                    del self.outbox[result["id"]]
            self.answers = [a for a in self.answers if a not in body["completions"]]
        if answer.get("stop"):
            self.stop()
        self.take(answer.get("statements") or [], answer.get("cancel") or [])
        return self.complete(answer.get("completions") or [])

    def sync_body(self):
        running = self.running
        progress = self.progress(running) if running is not None else 0.0
        with self.cond:
            results, size = [], 0
            for sid in sorted(self.outbox):     # a sync body stays well under 64 MiB
                result, result_size = self.outbox[sid]
                size += result_size
                if results and size > MAX_SYNC:
                    break
                results.append(result)
            if self.running is not None and running == self.running:
                results.append({"id": running, "state": "running", "progress": progress,
                                "started": self.started})
            pending = sorted(self.queue) + ([self.running] if self.running is not None else [])
            return {"state": "busy" if pending else "idle",
                    "wake_port": self.udp.getsockname()[1], "wake_token": self.wake_token,
                    "next": self.next_id,
                    "pending": pending, "results": results, "completions": list(self.answers)}

    def progress(self, sid):
        try:
            tracker, done, total = self.sc.statusTracker(), 0, 0
            for job in tracker.getJobIdsForGroup(str(sid)):
                info = tracker.getJobInfo(job)
                for stage in (info.stageIds if info else []):
                    stage_info = tracker.getStageInfo(stage)
                    if stage_info:
                        done += stage_info.numCompletedTasks
                        total += stage_info.numTasks
            return done / total if total else 0.0
        except Exception:
            return 0.0

    def take(self, statements, cancels):
        with self.cond:
            for statement in statements:
                if statement["id"] >= self.next_id and statement["id"] not in self.queue:
                    self.queue[statement["id"]] = statement
            if self.queue:
                self.next_id = max(self.next_id, max(self.queue) + 1)
            for sid in cancels:
                self.cancel(sid)
            self.cond.notify()

    def finish(self, sid, state, started, output=None, output_size=0):
        """Called with the lock held: a statement's final result, kept until a sync carried it."""
        result = {"id": sid, "state": state, "progress": 1.0, "started": started,
                  "completed": now_ms(), "output": output}
        self.outbox[sid] = (result, output_size + 200)

    def cancel(self, sid):
        """Called with the lock held: drop a queued statement or start cancelling a running one."""
        if sid in self.queue:
            del self.queue[sid]
            self.finish(sid, "cancelled", 0)
            self.poke()
            log("statement %d cancelled before it started" % sid)
        elif sid == self.running and sid not in self.cancelled:
            self.cancelled.add(sid)
            threading.Thread(target=self.cancel_running, args=(sid,), daemon=True).start()
            log("cancelling statement %d" % sid)

    def cancel_running(self, sid):
        """cancelJobGroup every 100 ms; SIGINT for Python code still running after 300 ms."""
        start, next_interrupt = time.monotonic(), 0.3
        while self.running == sid:
            try:
                self.sc.cancelJobGroup(str(sid))
            except Exception as exc:
                log("cancelJobGroup failed: %s" % exc)
            elapsed = time.monotonic() - start
            with self.cond:
                if elapsed >= next_interrupt and self.running == sid and self.interruptible:
                    signal.pthread_kill(self.main_ident, signal.SIGINT)
                    next_interrupt = elapsed + 1.0
            time.sleep(0.1)

    def complete(self, requests):
        pending = {a["id"] for a in self.answers}
        answers = []
        for request in requests:
            if request["id"] not in pending:
                answers.append({"id": request["id"], "candidates": scrub(self.candidates(request))})
        with self.cond:
            self.answers.extend(answers)
        return bool(answers)

    def candidates(self, request):
        code, cursor = request.get("code", ""), request.get("cursor", 0)
        try:
            if request.get("kind") == "pyspark":
                return self.python.complete(code, cursor)
            if request.get("kind") == "spark" and self.scala is not None:
                return self.scala.complete(code, cursor)
        except Exception as exc:
            log("completion failed: %s" % exc)
        return []

    def stop(self):
        log("stop requested")
        try:
            self.sc.cancelAllJobs()
            self.spark.stop()
        finally:
            os._exit(0)


def parse_args():
    parser = argparse.ArgumentParser(description="Tacitus session driver (see DRIVER-PROTOCOL.md)")
    parser.add_argument("--callback", required=True)
    parser.add_argument("--cafile", default="")
    parser.add_argument("--secret-file", required=True)
    parser.add_argument("--server-timeout", type=float, default=600)
    return parser.parse_args()


def read_secret(path):
    """The secret, read once; the file goes.  In YARN's container the file is a link to
    the node's copy of the application's files: that copy goes too (best effort), so
    that no later statement, here or in another container, finds it."""
    real = os.path.realpath(path)
    with open(path) as f:
        secret = f.readline().strip()
    os.unlink(path)
    if real != os.path.abspath(path):
        try:
            os.unlink(real)
        except OSError as e:
            log("cannot remove the node's copy of the secret file: %s" % e)
    return secret


def main():
    args = parse_args()
    link = Link(args.callback, args.cafile, read_secret(args.secret_file))
    sys.stdin = io.StringIO()
    from pyspark import SparkConf
    from pyspark.sql import SparkSession
    builder = SparkSession.builder
    if not SparkConf().contains("spark.repl.class.outputDir"):
        # where the Scala interpreter writes the classes executors load (closures)
        builder = builder.config("spark.repl.class.outputDir", os.path.abspath("repl-classes"))
    spark = builder.getOrCreate()
    driver = Driver(spark, link, args.server_timeout)
    log("SparkSession ready (%s), wake port %d" % (spark.sparkContext.applicationId,
                                                     driver.udp.getsockname()[1]))
    threading.Thread(target=driver.communicate, name="tacitus-sync", daemon=True).start()
    driver.serve()


if __name__ == "__main__":
    main()
