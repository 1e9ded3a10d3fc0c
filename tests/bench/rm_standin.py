"""rm_standin.py - a STAND-IN for YARN's ResourceManager, for the tracking benchmark
(tests/bench/track.sh) alone: it answers GET /ws/v1/cluster/apps with RUNNING
applications in the shape of a real RM's answer (tests/cluster/recorded/
rm-apps-finished.json), one per tag of TAGS_FILE, plus OTHERS applications of
other users, and honours the filters applicationTags (any of), startedTimeBegin and
applicationTypes.  Like a real RM (Hadoop's HttpServer2: Jetty with
hadoop.http.max.request.header.size = 64 KiB) it refuses a request whose request
line and headers pass 64 KiB (HTTP 414).  Each request is logged on stdout:
    REQ <epoch ms> <status> <path bytes> <apps answered> <answer bytes> <ms taken>

    python3 rm_standin.py PORT TAGS_FILE [OTHERS]
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HEADER_MAX = 64 * 1024
RECORDED = __file__.rsplit("/", 3)[0] + "/tests/cluster/recorded/rm-apps-finished.json"


def app_json(shape, n, tag, started, kind, user):
    a = dict(shape)
    a.update(id="application_1796524281584_%06d" % n, user=user, state="RUNNING",
             finalStatus="UNDEFINED", progress=10.0, trackingUI="ApplicationMaster",
             trackingUrl="http://localhost:18088/proxy/application_1796524281584_%06d/" % n,
             applicationType=kind, applicationTags=tag, startedTime=started,
             launchTime=started + 700, finishedTime=0, elapsedTime=1000,
             amContainerLogs="")    # no NodeManager: the monitor reads no driver log
    return a


def load(tags_file, others):
    shape = json.load(open(RECORDED))["apps"]["app"][0]
    tags = [t.strip() for t in open(tags_file) if t.strip()]
    now = int(time.time() * 1000)
    apps = [app_json(shape, i + 1, t, now - 1000, "SPARK", "bench") for i, t in enumerate(tags)]
    # other users' applications, started long before (a look by start time skips them)
    apps += [app_json(shape, len(tags) + i + 1, "team-b", now - 86400000,
                      "MAPREDUCE" if i % 2 else "SPARK", "other") for i in range(others)]
    return [(a, json.dumps(a, separators=(",", ":"))) for a in apps]


class RM(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    apps = []

    def log_message(self, *args):
        pass

    def answer(self, status, body, napps, t0):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        print("REQ %d %d %d %d %d %.1f" % (t0 * 1000, status, len(self.path), napps, len(data),
                                           (time.time() - t0) * 1000), flush=True)

    def send_error(self, code, message=None, explain=None):
        # http.server's own refusal of a request line over 64 KiB lands here
        super().send_error(code, message, explain)
        print("REQ %d %d %d 0 0 0.0" % (time.time() * 1000, code, len(self.raw_requestline)),
              flush=True)

    def do_GET(self):
        t0 = time.time()
        size = len(self.requestline) + 2 + sum(len(k) + len(v) + 4 for k, v in self.headers.items())
        if size > HEADER_MAX:
            self.answer(414, "", 0, t0)
            return
        url = urlsplit(self.path)
        if url.path != "/ws/v1/cluster/apps":
            self.answer(404, '{"RemoteException":{}}', 0, t0)
            return
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        tags = set(q["applicationTags"].split(",")) if "applicationTags" in q else None
        since = int(q.get("startedTimeBegin", "0"))
        kinds = {k.upper() for k in q["applicationTypes"].split(",")} if "applicationTypes" in q else None
        out = [s for a, s in self.apps
               if a["startedTime"] >= since
               and (kinds is None or a["applicationType"].upper() in kinds)
               and (tags is None or tags & set(a["applicationTags"].split(",")))]
        body = '{"apps":{"app":[' + ",".join(out) + "]}}" if out else '{"apps":null}'
        self.answer(200, body, len(out), t0)


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    port, tags_file = int(sys.argv[1]), sys.argv[2]
    others = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    RM.apps = load(tags_file, others)
    print("*** rm_standin: a STAND-IN for YARN's ResourceManager (recorded-shape answers, "
          "%d RUNNING applications), NOT a real one: benchmark use only ***" % len(RM.apps),
          flush=True)
    Server(("127.0.0.1", port), RM).serve_forever()


if __name__ == "__main__":
    main()
