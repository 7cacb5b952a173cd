#!/usr/bin/python3
"""serve_measure.py — times edits through the API of a running `covcast
serve`: from sending the edit to the first answer (the quick pass) and to
the full replicate count, over N edits of one key; prints the medians.

    serve_measure.py BASE_URL SCENARIO_FILE SECTION KEY VALUE1,VALUE2,... [N]"""
import json
import statistics
import sys
import time
import urllib.request

base, file, section, key, values = sys.argv[1:6]
n = int(sys.argv[6]) if len(sys.argv) > 6 else 15
values = values.split(",")


def call(path, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"} if body is not None else {})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


sc = call("/api/scenario?file=" + file)
sections = sc["sections"]
sec = next(s for s in sections if s["name"] == section)
first, full = [], []
for i in range(n + 1):
    v = values[i % len(values)]
    ent = next((e for e in sec["entries"] if e[0] == key), None)
    if ent:
        ent[1] = v
    else:
        sec["entries"].append([key, v])
    t0 = time.perf_counter()
    job = call("/api/run", {"client": "bench", "sections": sections, "file": file, "quick": 200})["job"]
    after, t1, t2, reps = 0, None, None, 0
    while True:
        st = call("/api/job?id=%d&after=%d&wait=20000" % (job, after))
        if st["result"] and st["stage"] > after:
            after = st["stage"]
            if t1 is None:
                t1 = time.perf_counter() - t0
        if st["state"] not in ("queued", "running"):
            t2 = time.perf_counter() - t0
            reps = st["result"]["results"]["replicates"] if st["result"].get("results") else 0
            if st["state"] != "done":
                sys.exit("run failed: " + json.dumps(st["result"])[:500])
            break
    if i > 0:   # the first edit warms the file cache
        first.append(t1)
        full.append(t2)
print("%s: %d edits of %s.%s, %d replicates: first answer median %.3f s (min %.3f, max %.3f); "
      "full count median %.3f s (min %.3f, max %.3f)"
      % (file, n, section, key, reps, statistics.median(first), min(first), max(first),
         statistics.median(full), min(full), max(full)))
