#!/usr/bin/env python3
"""Build scenarios/data/vietnam-2025.csv, the national example on the map
of 1 July 2025 (34 provinces, 3,321 communes), and the crosswalk that
carries the 2019 census units to the communes of 30 June 2025.

Usage:
    /usr/bin/python3 scenarios/data/tools/make_vietnam_2025.py [COVCAST [RAW_DIR]]

COVCAST is the covcast binary (default ./covcast), RAW_DIR the raw 2025
files (default ../shared/data/raw/admin2025). Steps:

 1. crosswalk-census2019.csv: each of the 11,165 units of
    vietnam-census-2019.csv (the 2019 census, codes made up there) -> the
    commune of 30 June 2025 that holds it, matched by name within district
    and province; communes merged between 2019 and 2025 through the alias
    list (legacy_alias_ward.csv), districts renamed or merged through
    legacy_alias_district.csv / legacy_divided_district.csv, a type change
    (xã -> phường) by the bare name. How each unit was matched is in its
    `how` column; those with no match are listed in
    crosswalk-census2019-review.csv and sent to the commune of their
    district holding most of the district's matched units (a stated guess).
 2. covcast regroup (census 2019 -> June 2025 -> July 2025, splits equal).
 3. Scaled to the stated national total: 101,300,000 (GSO: average
    population of 2024, 101.3 million), every cell by the same factor,
    whole people by the largest remainder.
 4. Coverage ASSUMED, not observed: the uninsured of every cell shrink by
    the same factor so that the country is at 93.35% (VSS, end of 2023, the
    latest figure in the project's sources); the group and commune pattern
    is the 2019 file's (itself assumed, see README).
"""

import csv
import os
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict, Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
COVCAST = sys.argv[1] if len(sys.argv) > 1 else "./covcast"
RAW = sys.argv[2] if len(sys.argv) > 2 else os.path.join(DATA, "..", "..", "..", "shared", "data", "raw", "admin2025")
NATIONAL = 101_300_000
COVERAGE = (9335, 10000)   # 93.35%


def fold(s):
    s = unicodedata.normalize("NFD", s.replace("Đ", "D").replace("đ", "d"))
    s = "".join(c for c in s if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^a-z0-9]", "", s)


TYPE = re.compile(r"^\s*(thành phố|thủ đô|thị xã|thị trấn|đặc khu|phường|huyện|quận|tỉnh|xã)\s+", re.I)


def bare(s):
    return fold(TYPE.sub("", unicodedata.normalize("NFC", s), count=1))


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --- 1. census 2019 units -> communes of June 2025 ------------------------

census = {}
for r in read(os.path.join(DATA, "vietnam-census-2019.csv")):
    census.setdefault(r["commune_code"], (r["commune"], r["district"], r["province"]))
G = read(os.path.join(RAW, "danhmuchanhchinh.gso.gov.vn_ward_2025-07-18.csv"))
Gd = read(os.path.join(RAW, "danhmuchanhchinh.gso.gov.vn_district_2025-07-18.csv"))
by_full = defaultdict(list)   # (prov, district, name) bare -> codes
by_dist = defaultdict(list)   # (prov, district) -> codes
by_prov = defaultdict(list)   # (prov, name) -> codes
gname = {}
for r in G:
    p, d, n = bare(r["Tỉnh / Thành Phố"]), bare(r["Quận Huyện"]), bare(r["Tên"])
    by_full[(p, d, n)].append(r["Mã"])
    by_dist[(p, d)].append(r["Mã"])
    by_prov[(p, n)].append(r["Mã"])
    gname[r["Mã"]] = (r["Tên"], r["Quận Huyện"], r["Tỉnh / Thành Phố"], fold(r["Tên"]), fold(r["Quận Huyện"]))
island = {"%03d" % int(r["Mã"]): r for r in Gd}
for oc in ("318", "471", "755"):   # the census's island districts without communes: their own unit
    r = island[oc]
    gname[oc] = (r["Tên"], r["Tên"], r["Tỉnh / Thành Phố"], "", "")
# aliases: (province key, alias) -> pre-reform ward (province, district, ward keys)
alias = defaultdict(set)
for r in read(os.path.join(RAW, "legacy_alias_ward.csv")):
    alias[(r["province_key"], r["alias_keyword"])].add((r["district_key"], r["ward_key"]))
dalias = defaultdict(set)
for r in read(os.path.join(RAW, "legacy_alias_district.csv")):
    dalias[(r["province_key"], r["alias_keyword"])].add(r["district_key"])
by_fold = defaultdict(list)
for c, v in gname.items():
    if v[3]:
        by_fold[(fold(v[2]), v[4], v[3])].append(c)

rows, review, how_count = [], [], Counter()
PROVINCE_RENAMED = {"Tỉnh Thừa Thiên Huế": "Thành phố Huế"}   # 2025-01
for code, (n, d, p) in census.items():
    p = PROVINCE_RENAMED.get(p, p)
    pb, db, nb = bare(p), bare(d), bare(n)
    hit, how = None, ""
    island_code = {"Huyện Bạch Long Vĩ": "318", "Huyện Cồn Cỏ": "471", "Huyện Côn Đảo": "755"}.get(d)
    if island_code and n == d:
        hit, how = [island_code], "island district"
    elif len(by_full[(pb, db, nb)]) == 1:
        hit, how = by_full[(pb, db, nb)], "name"
    elif len(by_prov[(pb, nb)]) == 1:
        hit, how = by_prov[(pb, nb)], "name in the province (district renamed or merged)"
    else:
        pf, nf, df = fold(p), fold(n), fold(d)
        cands = set()
        for dist_key, ward_key in alias.get((pf, nf), ()):
            cands.update(by_fold.get((pf, dist_key, ward_key), []))
        same_d = [c for c in cands if gname[c][4] == df]
        if len(same_d) == 1:
            hit, how = same_d, "merged 2019-2025 (alias list), same district"
        elif len(cands) == 1:
            hit, how = list(cands), "merged 2019-2025 (alias list)"
    if not hit:
        # the district's commune that took in most of its matched units: a guess, listed
        review.append([code, n, d, p])
        rows.append([code, None, n, d, p, "unmatched"])
        continue
    how_count[how] += 1
    rows.append([code, hit[0], n, d, p, how])
# the unmatched: to the commune of their district that most matched units went to
dist_dest = defaultdict(Counter)
for r in rows:
    if r[1]:
        dist_dest[(r[4], r[3])][r[1]] += 1
prov_dest = defaultdict(Counter)
for r in rows:
    if r[1]:
        prov_dest[PROVINCE_RENAMED.get(r[4], r[4])][r[1]] += 1
out_review = []
for r in rows:
    if r[1]:
        continue
    c = dist_dest[(r[4], r[3])].most_common(1) or prov_dest[PROVINCE_RENAMED.get(r[4], r[4])].most_common(1)
    r[1] = c[0][0]
    r[5] = "no match: sent to the commune of its district that most of the district's units went to (a guess)"
    out_review.append([r[0], r[2], r[3], r[4], r[1], gname[r[1]][0], gname[r[1]][1]])
how_count["unmatched (guess)"] = len(out_review)
with open(os.path.join(DATA, "crosswalk-census2019.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["old_code", "new_code", "old_commune", "old_district", "old_province", "new_commune", "new_district",
                "new_province", "how"])
    for r in rows:
        g = gname[r[1]]
        w.writerow([r[0], r[1], r[2], r[3], r[4], g[0], g[1], g[2], r[5]])
with open(os.path.join(DATA, "crosswalk-census2019-review.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["census_code", "census_commune", "census_district", "census_province", "sent_to_code",
                "sent_to_commune", "sent_to_district"])
    w.writerows(out_review)
print("census 2019 -> June 2025:", dict(how_count))

# --- 2. covcast regroup, twice --------------------------------------------

tmp = os.path.join(DATA, ".vietnam-2025-build")
os.makedirs(tmp, exist_ok=True)
june = os.path.join(tmp, "june-2025.csv")
july = os.path.join(tmp, "july-2025.csv")
for src, xw, dst in ((os.path.join(DATA, "vietnam-census-2019.csv"), "crosswalk-census2019.csv", june),
                     (june, "crosswalk-2025.csv", july)):
    if os.path.exists(dst):
        os.remove(dst)
    r = subprocess.run([COVCAST, "regroup", src, "--crosswalk", os.path.join(DATA, xw), "--split", "equal",
                        "--out", dst], capture_output=True, text=True)
    print("\n".join(l for l in r.stdout.splitlines() if not l.startswith("  ") or "conserved" in l or "split" in l))
    if r.returncode:
        sys.exit(r.stderr)

# --- 3. scaled to the national total; 4. coverage assumed -----------------

cells = read(july)
total = sum(int(r["population"]) for r in cells)
quota = [int(r["population"]) * NATIONAL for r in cells]          # / total
pop = [q // total for q in quota]
left = NATIONAL - sum(pop)
for i in sorted(range(len(cells)), key=lambda i: (-(quota[i] % total), i))[:left]:
    pop[i] += 1
assert sum(pop) == NATIONAL
# uninsured of every cell times one factor k, so that the insured make COVERAGE
unins = [int(r["population"]) - int(r["insured"]) for r in cells]
target_unins = NATIONAL - NATIONAL * COVERAGE[0] // COVERAGE[1]
scaled_unins = [u * p for u, p in zip(unins, pop)]                  # / population: uninsured at the new size, x k
base = [su / int(r["population"]) if int(r["population"]) else 0 for su, r in zip(scaled_unins, cells)]
k = target_unins / sum(base)
raw = [b * k for b in base]
U = [min(p, int(x)) for p, x in zip(pop, raw)]
left = target_unins - sum(U)
for i in sorted(range(len(cells)), key=lambda i: (-(raw[i] - int(raw[i])), i)):
    if left == 0:
        break
    if U[i] < pop[i]:
        U[i] += 1
        left -= 1
assert sum(U) == target_unins
out = os.path.join(DATA, "vietnam-2025.csv")
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["commune_code", "commune", "province", "group", "population", "insured"])
    for r, p, u in zip(cells, pop, U):
        w.writerow([r["commune_code"], r["commune"], r["province"], r["group"], p, p - u])
print(f"wrote {os.path.relpath(out)}: {len(cells)} rows, {len({r['commune_code'] for r in cells})} communes, "
      f"{len({r['province'] for r in cells})} provinces; census carried {total:,} -> scaled to {NATIONAL:,} "
      f"(x{NATIONAL / total:.5f}); insured {NATIONAL - target_unins:,} ({100 * (NATIONAL - target_unins) / NATIONAL:.2f}%); "
      f"uninsured factor {k:.4f}")

import shutil
shutil.rmtree(tmp)

# --- the check against the merger portal's figures -----------------------

units = {r["new_code"]: r for r in read(os.path.join(DATA, "units-2025.csv"))}
ours = Counter()
for r, p in zip(cells, pop):
    ours[r["commune_code"]] += p
ratios = sorted(int(units[c]["population_portal"]) / v for c, v in ours.items()
                if units[c]["population_portal"] and v)
portal_sum = sum(int(u["population_portal"]) for u in units.values() if u["population_portal"])
ours_given = sum(v for c, v in ours.items() if units[c]["population_portal"])
print(f"portal / ours per commune (the {len(ratios)} with a portal figure): median {ratios[len(ratios) // 2]:.3f}, "
      f"10% {ratios[len(ratios) // 10]:.3f}, 90% {ratios[9 * len(ratios) // 10]:.3f}; "
      f"sum portal {portal_sum:,} against ours {ours_given:,} over the same communes")
