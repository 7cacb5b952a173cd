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
    commune of 30 June 2025 that holds it, matched in the steps (a) to (f)
    written out below: by name within the district (as written, without
    the unit type, without diacritics), through the list of communes merged
    2019-2025 (legacy_alias_ward.csv), in the districts that took the
    census district in (legacy_alias_district.csv,
    legacy_divided_district.csv), in the province, and by stated spelling
    rules. How each unit was matched is in its `how` column; those with no
    match are listed in crosswalk-census2019-review.csv and sent to the
    commune of their district holding most of the district's matched units
    (a stated guess).
 2. covcast regroup (census 2019 -> June 2025 -> July 2025, splits equal).
 3. Scaled to the stated national total: 101,300,000 (GSO: average
    population of 2024, 101.3 million), every cell by the same factor,
    whole people by the largest remainder.
 4. Coverage ASSUMED, not observed: the uninsured of every cell shrink by
    the same factor so that the country is at 93.35% (VSS, end of 2023, the
    latest figure in the project's sources); the group and commune pattern
    is the 2019 file's (itself assumed, see README).
 5. A new commune with no census people (Đặc khu Hoàng Sa) gets a row of 0
    people per group. Then the merger portal's population figures
    (units-2025.csv, its province file) are compared with ours and printed:
    checked, not used (scenarios/data/README.md says why).
"""

import csv
import json
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
#
# Names are compared in steps, each only where the one before found nothing,
# and each must give exactly one commune:
#   a. the name as written (diacritics and the unit type kept; "Phường 05" is
#      "Phường 5"), within the district;
#   b. the name without its type (diacritics kept: Sa Pa and Sa Pả differ),
#      within the district: a xã that became a phường, a thị trấn a xã;
#   c. the same without diacritics, unless that commune is already another
#      census unit's by (a) or (b) (Trực Hùng is not Trực Hưng);
#   d. the list of communes merged 2019-2025 (legacy_alias_ward.csv), by the
#      name with and without its type: one commune in the census district or
#      the districts that took it in (legacy_alias_district.csv,
#      legacy_divided_district.csv);
#   e. (a) to (c) within those districts; then the alias list anywhere in the
#      province; then (a) to (c) within the province (a district renamed or
#      merged that the district lists do not give);
#   f. a spelling variant within the district, if exactly one commune of the
#      district, not another census unit's by name, is one letter away once folded ("La Dal" is "Ia Đal", "Ngọk
#      Lây" is "Ngọc Lây"), or the name without a trailing A/B/I/II (Hải Châu
#      I and II were merged into Hải Châu), or one alias of the list one letter
#      away, not a census name of the district, with its commune in the
#      district ("Tả Giàng Phình" is the list's "tagiangphin"); the district
#      here includes those that took it in (Vĩ Dạ of Huế is Vỹ Dạ of Thuận
#      Hóa). One misspelling further off is in the table MISSPELT below.
# The island districts without communes in June 2025 are their own unit.
# Whatever is left is a guess (step g), listed in crosswalk-census2019-review.csv.

census = {}
for r in read(os.path.join(DATA, "vietnam-census-2019.csv")):
    census.setdefault(r["commune_code"], (r["commune"], r["district"], r["province"]))
G = read(os.path.join(RAW, "danhmuchanhchinh.gso.gov.vn_ward_2025-07-18.csv"))
Gd = read(os.path.join(RAW, "danhmuchanhchinh.gso.gov.vn_district_2025-07-18.csv"))


def unzero(s):
    """'Phường 05' -> 'Phường 5'."""
    return re.sub(r"\b0+(\d)", r"\1", s)


def written(s):
    """The name as written: NFC, lower case, letters and digits only, numbers without leading zeros."""
    s = unzero(unicodedata.normalize("NFC", s).lower().replace("\u0111", "đ"))
    return "".join(c for c in s if c.isalnum())


def typeless(s):
    return written(TYPE.sub("", unicodedata.normalize("NFC", s), count=1))


def foldless(s):
    return fold(unzero(TYPE.sub("", unicodedata.normalize("NFC", s), count=1)))


def district_of(d):
    """A census district without its bracket ("Huyện Bảo Lâm (Tỉnh Cao Bằng)"), folded, no type."""
    return bare(re.sub(r"\s*\(.*\)\s*$", "", d))


KEYS = (("name", written), ("name without its type", typeless), ("name without diacritics", foldless))
idx = {k: defaultdict(list) for k, _ in KEYS}    # (prov, district, key) -> codes
pidx = {k: defaultdict(list) for k, _ in KEYS}   # (prov, key) -> codes
by_dist = defaultdict(list)
gname = {}
for r in G:
    p, d = bare(r["Tỉnh / Thành Phố"]), bare(r["Quận Huyện"])
    for k, f in KEYS:
        idx[k][(p, d, f(r["Tên"]))].append(r["Mã"])
        pidx[k][(p, f(r["Tên"]))].append(r["Mã"])
    by_dist[(p, d)].append(r["Mã"])
    gname[r["Mã"]] = (r["Tên"], r["Quận Huyện"], r["Tỉnh / Thành Phố"], fold(r["Tên"]), fold(r["Quận Huyện"]))
island = {"%03d" % int(r["Mã"]): r for r in Gd}
# the island districts without communes in June 2025, and the census units they held
ISLANDS = {"Huyện Bạch Long Vĩ": "318", "Huyện Cồn Cỏ": "471", "Huyện Côn Đảo": "755", "Huyện Lý Sơn": "536"}
for oc in ISLANDS.values():
    r = island[oc]
    gname[oc] = (r["Tên"], r["Tên"], r["Tỉnh / Thành Phố"], "", "")
# aliases: (province key, alias) -> pre-reform ward (district key, ward key)
alias = defaultdict(set)
for r in read(os.path.join(RAW, "legacy_alias_ward.csv")):
    # a few ward keys keep their diacritics ("xãđôngthành"): they are matched as written
    wk = r["ward_key"] if r["ward_key"].isascii() else unicodedata.normalize("NFC", r["ward_key"])
    alias[(r["province_key"], fold(r["alias_keyword"]))].add((fold(r["district_key"]), wk))
# districts: census district (folded, with type) -> the June 2025 districts that took it
dalias = defaultdict(set)
for r in read(os.path.join(RAW, "legacy_alias_district.csv")):
    dalias[(r["province_key"], fold(r["alias_keyword"]))].add(r["district_key"])
for r in read(os.path.join(RAW, "legacy_divided_district.csv")):
    for kw in json.loads(r["dividedDistrictKeyWords"]):
        dalias[(r["provinceKey"], fold(kw))].add(r["districtKey"])
by_fold = defaultdict(list)
for c, v in gname.items():
    if v[3]:
        by_fold[(fold(v[2]), v[4], v[3])].append(c)
        by_fold[(fold(v[2]), v[4], written(v[0]))].append(c)


def alias_targets(pf, key):
    """The June 2025 communes the alias list gives for a name key in a province."""
    out = set()
    for dist_key, ward_key in alias.get((pf, key), ()):
        out.update(by_fold.get((pf, dist_key, ward_key), []))
    return out
dist_bare = {fold(r["Tên"]): bare(r["Tên"]) for r in Gd}   # "huyenbaolam" -> "baolam"


def one_letter(a, b):
    """Folded names one letter apart (one substituted, added or left out)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    s, t = (a, b) if len(a) < len(b) else (b, a)
    return any(t[:i] + t[i + 1:] == s for i in range(len(t)))


PROVINCE_RENAMED = {"Tỉnh Thừa Thiên Huế": "Thành phố Huế"}   # 2025-01
units = []   # [code, n, d, p(renamed), pb, db]
for code, (n, d, p) in census.items():
    p = PROVINCE_RENAMED.get(p, p)
    units.append([code, n, d, p, bare(p), district_of(d)])
match = {}   # census code -> (june code, how)
claimed = set()


def successors(d, p, db):
    """The census district's bare key and those of the June 2025 districts the district lists give for it."""
    return {db} | {dist_bare.get(x, x) for x in dalias.get((fold(p), fold(re.sub(r"\s*\(.*\)\s*$", "", d))), ())}


def by_names(scope):
    """Steps (a)-(c) in one scope, in passes so that an exact match claims its
    commune before a looser one can take it."""
    for k, f in KEYS:
        for code, n, d, p, pb, db in units:
            if code in match:
                continue
            if scope == "district":
                hit = idx[k].get((pb, db, f(n)), [])
            elif scope == "successors":
                hit = sorted({c for x in successors(d, p, db) - {db} for c in idx[k].get((pb, x, f(n)), [])})
            else:
                hit = pidx[k].get((pb, f(n)), [])
            if k == "name without diacritics":
                hit = [c for c in hit if c not in claimed]
            if len(hit) == 1:
                match[code] = (hit[0], k + {"district": " in the district",
                                            "successors": " in the district that took in the census district",
                                            "province": " in the province (district renamed or merged)"}[scope])
                if k != "name without diacritics":
                    claimed.add(hit[0])


def by_alias(scope):
    """Step (e): the list of communes merged 2019-2025."""
    for code, n, d, p, pb, db in units:
        if code in match:
            continue
        pf = fold(p)
        cands = alias_targets(pf, fold(unzero(n))) | alias_targets(pf, foldless(n))
        if scope == "district":
            succ = successors(d, p, db)
            same_d = [c for c in cands if bare(gname[c][1]) in succ]
            if len(same_d) == 1:
                match[code] = (same_d[0], "merged 2019-2025 (alias list), same district")
        elif len(cands) == 1:
            match[code] = (list(cands)[0], "merged 2019-2025 (alias list)")


for code, n, d, p, pb, db in units:
    if d in ISLANDS:
        match[code] = (ISLANDS[d], "island district without communes in June 2025")
by_names("district")
by_alias("district")
by_names("successors")
by_alias("province")
by_names("province")
# (f) spelling variants within the district
# census names misspelt beyond one letter, each checked by hand against the June 2025 list
MISSPELT = {
    "09.009.0005": ("04117", "the census's Mương Tranh is Xã Mường Chanh of Mai Sơn (the district's fifth "
                             "unit in both lists; no census unit of Mai Sơn is called Mường Chanh)"),
}
census_names = defaultdict(set)   # the census's own names in each district: never read as a misspelling
for code, n, d, p, pb, db in units:
    census_names[(pb, db)].add(foldless(n))
alias_keys = defaultdict(list)   # province key -> alias keywords
for pf, key in alias:
    alias_keys[pf].append(key)
for code, n, d, p, pb, db in units:
    if code in match:
        continue
    key = foldless(n)
    succ = successors(d, p, db)
    near = [c for x in sorted(succ) for c in by_dist.get((pb, x), [])
            if c not in claimed and one_letter(key, foldless(gname[c][0]))]
    if len(near) == 1:
        match[code] = (near[0], "spelling: one letter different, in the district")
        continue
    if code in MISSPELT:
        match[code] = (MISSPELT[code][0], "spelling: " + MISSPELT[code][1])
        continue
    short = re.sub(r"\s+(a|b|i|ii)$", "", unicodedata.normalize("NFC", n), flags=re.I)
    if short != n:
        hit = idx["name without its type"].get((pb, db, typeless(short)), [])
        if len(hit) != 1:
            hit = [c for c in alias_targets(fold(p), foldless(short)) if bare(gname[c][1]) in succ]
        if len(hit) == 1:
            match[code] = (hit[0], "name without its trailing A/B/I/II, in the district")
            continue
    hit = {c for k in alias_keys[fold(p)] if one_letter(key, k) and k not in census_names[(pb, db)]
           for c in alias_targets(fold(p), k) if bare(gname[c][1]) in succ}
    if len(hit) == 1:
        match[code] = (hit.pop(), "spelling: one letter different from a name of the alias list, same district")

rows, how_count = [], Counter()
for code, n, d, p, pb, db in units:
    if code in match:
        hit, how = match[code]
        how_count[how] += 1
        rows.append([code, hit, n, d, census[code][2], how])
    else:
        rows.append([code, None, n, d, census[code][2], "unmatched"])
# (g) the unmatched: to the commune of their district that most matched units went to
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
# Every new commune has rows: one the census puts no one in (Đặc khu Hoàng
# Sa) has a row of 0 people per group, so the scenario knows all 3,321 and a
# commune target says "no people" there instead of leaving it out.
rows_out = [[r["commune_code"], r["commune"], r["province"], r["group"], p, p - u] for r, p, u in zip(cells, pop, U)]
groups = list(dict.fromkeys(r["group"] for r in cells))
order = list(dict.fromkeys(r["new_code"] for r in read(os.path.join(DATA, "crosswalk-2025.csv"))))
have = {r[0] for r in rows_out}
xw_names = {r["new_code"]: (r["new_commune"], r["new_province"]) for r in read(os.path.join(DATA, "crosswalk-2025.csv"))}
empty = [c for c in order if c not in have]
rows_out += [[c, xw_names[c][0], xw_names[c][1], g, 0, 0] for c in empty for g in groups]
rank = {c: i for i, c in enumerate(order)}
rows_out.sort(key=lambda r: rank[r[0]])   # stable: each commune's groups keep their order
assert len({r[0] for r in rows_out}) == len(order) == 3321
out = os.path.join(DATA, "vietnam-2025.csv")
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["commune_code", "commune", "province", "group", "population", "insured"])
    w.writerows(rows_out)
print(f"wrote {os.path.relpath(out)}: {len(rows_out)} rows, {len({r[0] for r in rows_out})} communes "
      f"({len(empty)} without people: {', '.join(xw_names[c][0] for c in empty)}), "
      f"{len({r[2] for r in rows_out})} provinces; census carried {total:,} -> scaled to {NATIONAL:,} "
      f"(x{NATIONAL / total:.5f}); insured {NATIONAL - target_unins:,} ({100 * (NATIONAL - target_unins) / NATIONAL:.2f}%); "
      f"uninsured factor {k:.4f}")

# --- the check against the merger portal's figures -----------------------
#
# The portal (sapnhap.bando.com.vn: units-2025.csv's population_portal, and
# its province file) gives populations of unstated date and definition.
# Printed, not used: its totals against ours, and against ours with every
# split commune counted in full in each of its pieces (what adding up the old
# communes that each new one lists would give).

units = {r["new_code"]: r for r in read(os.path.join(DATA, "units-2025.csv"))}
ours = Counter()
for r, p in zip(cells, pop):
    ours[r["commune_code"]] += p
june_pop = Counter()
for r in read(june):
    june_pop[r["commune_code"]] += int(r["population"])
xw25 = read(os.path.join(DATA, "crosswalk-2025.csv"))
pieces = Counter(r["old_code"] for r in xw25)
has_split = {r["new_code"] for r in xw25 if pieces[r["old_code"]] > 1}
full = Counter()
for r in xw25:
    full[r["new_code"]] += june_pop[r["old_code"]] * NATIONAL / total
given = [c for c in ours if units[c]["population_portal"]]
portal_sum = sum(int(units[c]["population_portal"]) for c in given)
ratios = sorted(int(units[c]["population_portal"]) / ours[c] for c in given)
whole = sorted(int(units[c]["population_portal"]) / ours[c] for c in given if c not in has_split)
q = lambda v, f: v[min(len(v) - 1, int(f * len(v)))]
with_fig = [c for c in units if units[c]["population_portal"]]
print(f"portal: {len(with_fig)} of {len(units)} new communes with a figure, "
      f"{sum(int(units[c]['population_portal']) for c in with_fig):,} people; over the {len(given)} of them that "
      f"hold people here, portal {portal_sum:,}, ours {sum(ours[c] for c in given):,}")
print(f"portal / ours per commune: all {len(ratios)}: median {q(ratios, .5):.3f}, 10% {q(ratios, .1):.3f}, "
      f"90% {q(ratios, .9):.3f}; the {len(whole)} formed without split pieces: median {q(whole, .5):.3f}, "
      f"10% {q(whole, .1):.3f}, 90% {q(whole, .9):.3f}")
prov_of = {c: u["new_province"] for c, u in units.items()}
P = read(os.path.join(RAW, "sapnhap.bando.com.vn_province_2025-07-17.csv"))
portal_prov = {bare(r["tentinh"]): int(r["dansonguoi"].replace(".", "")) for r in P}
ours_prov, full_prov = Counter(), Counter()
for c in units:
    ours_prov[bare(prov_of[c])] += ours[c]
    full_prov[bare(prov_of[c])] += full[c]
assert set(portal_prov) == set(ours_prov), set(portal_prov) ^ set(ours_prov)
pr = sorted(portal_prov[k] / ours_prov[k] for k in portal_prov)
print(f"portal provinces: {sum(portal_prov.values()):,} people; ours {sum(ours_prov.values()):,}; ours with split "
      f"communes counted in full in each piece {round(sum(full_prov.values())):,}; portal / ours by province "
      f"{pr[0]:.3f} to {pr[-1]:.3f}")
no_people = [c for c in units if not ours[c]]
print("new communes without people: " + "; ".join(f"{c} {units[c]['new_commune']} ({units[c]['new_province']}, "
                                                   f"portal {units[c]['population_portal'] or 'none'})" for c in no_people))

import shutil
shutil.rmtree(tmp)
