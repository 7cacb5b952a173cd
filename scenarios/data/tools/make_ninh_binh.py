#!/usr/bin/env python3
"""make_ninh_binh.py — the worked example of a merged province: Ninh Bình,
formed on 1 July 2025 from Hà Nam, Nam Định and Ninh Bình
(Resolution 202/2025/QH15).

Usage (from the repository root, after `make`):
    /usr/bin/python3 scenarios/data/tools/make_ninh_binh.py [COVCAST]

COVCAST is the covcast binary (default ./covcast). Writes, under
scenarios/data/:

 1. ninh-binh-crosswalk-2025.csv — the 404 rows of crosswalk-2025.csv whose
    new commune is in Ninh Bình: 398 old communes of the three provinces ->
    129 new communes (6 old communes split). Every old commune of Hà Nam,
    Nam Định and Ninh Bình goes to Ninh Bình (checked).
 2. ninh-binh-2025.csv — the province's rows of vietnam-2025.csv: its new
    communes by group (2019 census carried through the crosswalks and
    scaled; coverage ASSUMED, see README "The 2025 map").
 3. ninh-binh-world-2024.csv — the start of a SIMULATED province (January
    2024): one row per piece (a crosswalk row: the part of an old commune
    lying in one new commune) and group. The old communes' people are the
    2019 census units summed into the communes of June 2025
    (crosswalk-census2019.csv), scaled by 101,300,000 / 96,208,984 as
    vietnam-2025.csv is; their uninsured scaled by one factor so that the
    three provinces are at the coverage vietnam-2025.csv gives Ninh Bình
    (an assumption, as there). A split old commune's people are divided
    equally between its pieces (whole people, largest remainder; insured in
    the same proportions): the rule `covcast regroup --split equal` applies.
    Every old commune holds people (crosswalk-census2019.csv puts at least
    one census unit in each; checked).
 4. ninh-binh-reports.csv — SIMULATED monthly reports, what a provincial
    office holds: `covcast run tools/ninh-binh-world.ini` (stated rates in
    tools/ninh-binh-world-rates.ini), one group at a time, replicate 1;
    January 2024 to June 2025 on the old communes (old codes, old names,
    old province and district), July to December 2025 on the new ones (new
    codes). A few reports are missing (GAPS below).
 5. ninh-binh-history-2025.csv — `covcast regroup` of the reports onto the
    new communes (--split equal).
 6. ninh-binh-fitted.ini — `covcast calibrate` of that history, started
    from models/bhyt.ini.

Uses only the standard library; running it twice gives the same bytes (for
the same covcast).
"""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(DATA))
COVCAST = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "covcast"))
PROVINCE = "Tỉnh Ninh Bình"
OLD_PROVINCES = ("Tỉnh Hà Nam", "Tỉnh Nam Định", "Tỉnh Ninh Bình")
SCALE = (101_300_000, 96_208_984)   # as make_vietnam_2025.py: GSO 2024 average population / census 2019
GROUPS = ("employees", "state_full", "near_poor", "students", "agri_avg", "household")
REFORM = "2025-07"
# Missing reports: (commune code, first month, last month). Old codes before
# the reform, new codes after it. A missing old report leaves its new
# commune's month out of the regrouped history (regroup never writes a
# partial sum); a missing new report is a gap in the new commune's series.
GAPS = [("13342", "2024-08", "2024-08"),    # old code: Phường Duy Hải (Hà Nam)
        ("13900", "2025-02", "2025-03"),    # old code: Xã Đồng Thịnh (Nam Định)
        ("14407", "2024-12", "2024-12"),    # old code: Xã Phú Sơn (Ninh Bình)
        ("14362", "2025-09", "2025-10")]    # new code: Phường Tam Điệp


def rel(p):
    return os.path.relpath(p, ROOT)


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def apportion(total, weights, cap=None):
    """Whole parts of total in proportion to weights, largest remainder
    (ties: the lower index), a part never above cap[j]: cov_apportion."""
    W = sum(weights)
    k = len(weights)
    quota = [total * w / W for w in weights]
    out = [int(q) for q in quota]
    if cap:
        out = [min(o, c) for o, c in zip(out, cap)]
    left = total - sum(out)
    order = sorted(range(k), key=lambda j: (-(quota[j] - int(quota[j])), j))
    while left > 0:
        for j in order:
            if left and (not cap or out[j] < cap[j]):
                out[j] += 1
                left -= 1
    return out


def months(first, last):
    y, m = map(int, first.split("-"))
    out = []
    while True:
        s = "%04d-%02d" % (y, m)
        out.append(s)
        if s == last:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def run(args, **kw):
    r = subprocess.run([COVCAST] + args, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit("covcast %s failed (%d):\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


# --- 1. the province's crosswalk -------------------------------------------

xw_all = read(os.path.join(DATA, "crosswalk-2025.csv"))
header = list(xw_all[0].keys())
xw = [r for r in xw_all if r["new_province"] == PROVINCE]
old_codes = {r["old_code"] for r in xw}
assert {r["old_province"] for r in xw} == set(OLD_PROVINCES)
assert all(r["new_province"] == PROVINCE for r in xw_all if r["old_code"] in old_codes)
assert all(r["old_code"] in old_codes for r in xw_all if r["old_province"] in OLD_PROVINCES)
write(os.path.join(DATA, "ninh-binh-crosswalk-2025.csv"), header, [[r[h] for h in header] for r in xw])
new_name = {r["new_code"]: r["new_commune"] for r in xw}
dest = defaultdict(list)          # old code -> its crosswalk rows, in file order
for r in xw:
    dest[r["old_code"]].append(r)
split = [c for c in dest if len(dest[c]) > 1]
print(f"{rel(os.path.join(DATA, 'ninh-binh-crosswalk-2025.csv'))}: {len(xw)} rows, {len(old_codes)} old communes "
      f"-> {len(new_name)} new, {len(split)} split")

# --- 2. the new communes of the national file --------------------------------

nat = [r for r in read(os.path.join(DATA, "vietnam-2025.csv")) if r["province"] == PROVINCE]
nat_header = ["commune_code", "commune", "province", "group", "population", "insured"]
write(os.path.join(DATA, "ninh-binh-2025.csv"), nat_header, [[r[h] for h in nat_header] for r in nat])
nat_N = sum(int(r["population"]) for r in nat)
nat_I = sum(int(r["insured"]) for r in nat)
print(f"scenarios/data/ninh-binh-2025.csv: {len({r['commune_code'] for r in nat})} communes, {nat_N:,} people, "
      f"{nat_I:,} insured ({100 * nat_I / nat_N:.2f}%, assumed)")

# --- 3. the simulated province's start: pieces of old communes ---------------

to_june = {r["old_code"]: r["new_code"] for r in read(os.path.join(DATA, "crosswalk-census2019.csv"))}
cells = defaultdict(lambda: [0, 0])   # (old code, group) -> [people, insured], census 2019
for r in read(os.path.join(DATA, "vietnam-census-2019.csv")):
    oc = to_june[r["commune_code"]]
    if oc in old_codes:
        c = cells[(oc, r["group"])]
        c[0] += int(r["population"])
        c[1] += int(r["insured"])
keys = sorted(cells)
census_N = sum(cells[k][0] for k in keys)
target_N = (census_N * SCALE[0] + SCALE[1] // 2) // SCALE[1]
pop = apportion(target_N, [cells[k][0] for k in keys])
# uninsured of every cell times one factor: the three provinces at vietnam-2025.csv's coverage of Ninh Bình
target_U = target_N - (target_N * nat_I + nat_N // 2) // nat_N
base = [(cells[k][0] - cells[k][1]) * p / cells[k][0] if cells[k][0] else 0 for k, p in zip(keys, pop)]
unins = apportion(target_U, base, cap=pop)
start = {k: (p, p - u) for k, p, u in zip(keys, pop, unins)}
pieces = []   # [piece code, piece name, old code, new code, group, N, I]
for oc in sorted(dest):
    rows = dest[oc]
    for g in GROUPS:
        N, I = start.get((oc, g), (0, 0))
        if not N:
            continue
        pn = apportion(N, [1] * len(rows))
        pi = apportion(I, pn, cap=pn)
        for r, n, i in zip(rows, pn, pi):
            if not n:
                continue
            name = r["old_commune"] if len(rows) == 1 else f"{r['old_commune']} (phần về {r['new_commune']})"
            pieces.append([f"{oc}-{r['new_code']}", name, oc, r["new_code"], g, n, i])
assert {p[2] for p in pieces} == old_codes, sorted(old_codes - {p[2] for p in pieces})
world = os.path.join(DATA, "ninh-binh-world-2024.csv")
write(world, ["commune_code", "commune", "old_code", "new_code", "group", "population", "insured"], pieces)
wN = sum(p[5] for p in pieces)
wI = sum(p[6] for p in pieces)
print(f"{rel(world)}: {len({p[0] for p in pieces})} pieces of {len({p[2] for p in pieces})} old communes "
      f"({len(old_codes) - len({p[2] for p in pieces})} hold nobody), {wN:,} people, {wI:,} insured "
      f"({100 * wI / wN:.2f}%); census {census_N:,} x {SCALE[0]:,}/{SCALE[1]:,}")

# --- 4. the simulated reports -------------------------------------------------

old_info = {r["old_code"]: (r["old_commune"], r["old_district"], r["old_province"]) for r in xw}
tmp = tempfile.mkdtemp(prefix="ninh-binh-")
scenario = os.path.join(HERE, "ninh-binh-world.ini")
series = {}   # (level, code, group, month) -> (N, I)
try:
    for g in GROUPS:
        gpop = os.path.join(tmp, f"world-{g}.csv")
        write(gpop, ["commune_code", "commune", "old_code", "new_code", "group", "population", "insured"],
              [p for p in pieces if p[4] == g])
        out = os.path.join(tmp, f"run-{g}")
        run(["run", scenario, "--set", f"run.population={gpop}", "--keep-replicates", "--out", out, "-q"])
        for r in read(os.path.join(out, "replicates.csv")):
            if r["level"] in ("old_code", "new_code") and r["replicate"] == "1":
                series[(r["level"], r["unit"], g, r["month"])] = (int(r["population"]), int(r["insured"]))
    # the claim of tools/ninh-binh-world.ini: one run of every group gives the same totals
    whole = os.path.join(tmp, "run-all")
    run(["run", scenario, "--keep-replicates", "--out", whole, "-q"])
    for r in read(os.path.join(whole, "replicates.csv")):
        if r["level"] == "new_code":
            parts = [series[("new_code", r["unit"], g, r["month"])] for g in GROUPS
                     if ("new_code", r["unit"], g, r["month"]) in series]
            assert (sum(p[0] for p in parts), sum(p[1] for p in parts)) == (int(r["population"]), int(r["insured"]))
finally:
    shutil.rmtree(tmp)

missing = {(c, m) for c, a, b in GAPS for m in months(a, b)}
reports, left_out = [], []
for m in months("2024-01", "2025-12"):
    level = "old_code" if m < REFORM else "new_code"
    codes = sorted({k[1] for k in series if k[0] == level})
    for c in codes:
        if (c, m) in missing:
            left_out.append((c, m))
            continue
        name, district, province = old_info[c] if level == "old_code" else (new_name[c], "", PROVINCE)
        for g in GROUPS:
            if (level, c, g, m) in series:
                N, I = series[(level, c, g, m)]
                reports.append([c, name, district, province, m, g, N, I])
assert len(left_out) == len(missing)
rep_path = os.path.join(DATA, "ninh-binh-reports.csv")
write(rep_path, ["commune_code", "commune", "district", "province", "month", "group", "population", "insured"], reports)
print(f"{rel(rep_path)}: {len(reports)} rows, 2024-01..2025-12; missing reports: "
      + "; ".join(f"{c} {old_info[c][0] if c in old_info and m < REFORM else new_name[c]} {m}" for c, m in left_out))

# --- 5. regroup, 6. calibrate -------------------------------------------------

hist = os.path.join(DATA, "ninh-binh-history-2025.csv")
if os.path.exists(hist):
    os.remove(hist)
r = run(["regroup", rel(rep_path), "--crosswalk", rel(os.path.join(DATA, "ninh-binh-crosswalk-2025.csv")),
         "--split", "equal", "--out", rel(hist)], cwd=ROOT)
print(r.stdout, end="")
fitted = os.path.join(DATA, "ninh-binh-fitted.ini")
if os.path.exists(fitted):
    os.remove(fitted)
r = run(["calibrate", rel(hist), "--model", "models/bhyt.ini", "--out", rel(fitted)], cwd=ROOT)
print(r.stdout, end="")
