#!/usr/bin/env python3
"""Build the crosswalks of the 2025 reorganisation that covcast ships:

  scenarios/data/crosswalk-2025.csv          the 10,035 communes in force on
      30 June 2025 (GSO codes) -> the 3,321 communes in force from 1 July
      2025 (GSO codes of Decision 19/2025/QĐ-TTg), one row per old -> new pair
  scenarios/data/crosswalk-2025-review.csv   the old communes on which the two
      sources disagree, both answers, the evidence and the choice made
  scenarios/data/units-2025.csv              the 3,321 new communes: code,
      name, province, area, and the population the merger portal publishes
  scenarios/data/crosswalk-census2019.csv    the 11,165 units of the 2019
      census (codes of vietnam-census-2019.csv) -> the communes of 30 June
      2025, matched by name within district and province
  scenarios/data/crosswalk-census2019-review.csv  how each census unit
      that has no exact name match was matched (alias, type change, ...)

Usage:
    /usr/bin/python3 scenarios/data/tools/make_admin2025.py [RAW_DIR]

RAW_DIR is the folder of the raw 2025 files (default
../shared/data/raw/admin2025 beside the project); the raw files are not
needed afterwards. Standard library only; the output is deterministic.

Sources (scenarios/data/README.md, "The 2025 map"):
  A  convert_legacy_2025_simple.csv, tranngocminhhieu/vietnamadminunits
     (commit 780c279, MIT): old commune -> new commune, area of the new one.
  B  dvhcvn-20250701-splits.json, dvhcvn/20250701 (commit dd94887, MIT):
     extracted from the 34 resolutions, checked by hand.
  G  danhmuchanhchinh.gso.gov.vn_ward_2025-07-18.csv: GSO list of the
     10,035 communes in force before the reform.
  S  sapnhap.bando.com.vn_ward_2025-07-17.csv: the official merger portal,
     each new commune with the text "formed from ..." (truocsapnhap), its
     area and a population figure of unstated date.
  L  legacy_alias_ward.csv, legacy_alias_district.csv,
     legacy_divided_district.csv (same repository as A): names of communes
     and districts merged or renamed between 2019 and 2025.

Choice where A and B disagree on an old commune: the destinations whose
portal text (S) names the old commune (by name, within the new province).
When S names none, or names one outside both answers, B is kept (it was
checked by hand against the resolutions) and the row says so.
"""

import csv
import json
import os
import re
import sys
import unicodedata
from collections import defaultdict, OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
RAW = sys.argv[1] if len(sys.argv) > 1 else os.path.join(DATA, "..", "..", "..", "shared", "data", "raw", "admin2025")


def fold(s):
    """Lower case, no diacritics, đ -> d, letters and digits only (the keys of L)."""
    s = unicodedata.normalize("NFD", s.replace("Đ", "D").replace("đ", "d"))
    s = "".join(c for c in s if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^a-z0-9]", "", s)


TYPE = re.compile(r"^\s*(thành phố|thủ đô|thị xã|thị trấn|đặc khu|phường|huyện|quận|tỉnh|xã)\s+", re.I)


def bare(s):
    """fold() without the unit type in front (Xã, Phường, Thị trấn, Huyện, ...):
    the type is a word of the name as written, never a prefix of the folded key
    ("Phường Phương Liệt" -> phuongliet, "Tĩnh Túc" stays tinhtuc)."""
    s = unicodedata.normalize("NFC", s)
    return fold(TYPE.sub("", s, count=1))


def read_csv(name):
    with open(os.path.join(RAW, name), encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(name, header, rows):
    path = os.path.join(DATA, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {os.path.relpath(path)}: {len(rows)} rows")


# --- the units of 30 June 2025 (G) and the new units (A) -------------------

G = read_csv("danhmuchanhchinh.gso.gov.vn_ward_2025-07-18.csv")
old = OrderedDict((r["Mã"], r) for r in G)
assert len(old) == 10035, len(old)

A = read_csv("convert_legacy_2025_simple.csv")
new = OrderedDict()          # new code -> (name, province, province code, area)
a_dest = defaultdict(list)   # old code -> [new codes] (source A)
island = {}                  # old district code -> row, for the 5 districts without communes
for r in A:
    nc = r["newWardCode"]
    if nc not in new:
        new[nc] = (r["newWard"], r["newProvince"], r["newProvinceCode"], r["newWardAreaKm2"])
    if r["wardCode"]:
        oc = "%05d" % int(float(r["wardCode"]))
    else:                    # an island district that had no communes: keyed by its district code
        oc = "%03d" % int(r["districtCode"])
        island[oc] = r
    if nc not in a_dest[oc]:
        a_dest[oc].append(nc)
assert len(new) == 3321, len(new)
provinces = sorted({v[1] for v in new.values()})
assert len(provinces) == 34, len(provinces)

with open(os.path.join(RAW, "dvhcvn-20250701-splits.json"), encoding="utf-8") as f:
    B = json.load(f)["data"]
b_dest = {}
b_extra = []                 # codes of B that G does not have
for p in B:
    for l3 in p["level3s"]:
        dests = []
        for s in l3["splits"]:
            if s["new_id"] not in dests:
                dests.append(s["new_id"])
        if l3["level3_id"] in old:
            b_dest[l3["level3_id"]] = dests
        else:
            b_extra.append((l3["level3_id"], l3["name"], p["name"]))

# --- the merger portal (S): which new unit's text names an old commune -----

S = read_csv("sapnhap.bando.com.vn_ward_2025-07-17.csv")
prov_by_fold = {bare(p): p for p in provinces}
s_by_new = {}


def utype(name):
    m = TYPE.match(unicodedata.normalize("NFC", name))
    return fold(m.group(1)) if m else ""


new_by_pname = {(v[1], utype(v[0]), bare(v[0])): c for c, v in new.items()}
s_left = []
for r in S:
    prov = prov_by_fold.get(bare(r["tentinh"]))
    c = new_by_pname.get((prov, fold(r["loai"]), bare(r["tenhc"])))
    if c and c not in s_by_new:
        s_by_new[c] = r
    else:
        s_left.append((prov, r))
# a few names are spelt differently (Ba Tơ / Ba Tô, Lộc Thạnh / Lộc Thành):
# the one unmatched unit of the same type in the province whose folded name
# differs by the diacritics only


def loose(s):
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFD", s.lower().replace("đ", "d"))
                  .encode("ascii", "ignore").decode())


for prov, r in s_left:
    cands = [c for c, v in new.items() if c not in s_by_new and v[1] == prov
             and loose(TYPE.sub("", v[0], count=1)) == loose(r["tenhc"])]
    if len(cands) > 1:
        cands = [c for c in cands if utype(new[c][0]) == fold(r["loai"])]
    assert len(cands) == 1, (prov, r["tenhc"], cands)
    if utype(new[cands[0]][0]) != fold(r["loai"]):
        print(f"  note: {cands[0]} is {new[cands[0]][0]} in source A, a {r['loai']} on the portal")
    s_by_new[cands[0]] = r
assert len(s_by_new) == 3321, len(s_by_new)


ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10"}


def portal_items(c):
    """The old communes the portal text of new unit c lists: (name, district)
    pairs, folded without type; district is "" unless the text adds one in
    brackets ("Phường 3 (thành phố Tây Ninh)", "Xã Ia Băng (huyện Đak Đoa)").
    Roman numerals are read as numbers (Phường IV = Phường 4)."""
    out = []
    for item in re.split(r",|;| và ", s_by_new[c]["truocsapnhap"]):
        m = re.match(r"\s*([^()]*?)\s*(?:\(([^)]*)\))?\s*$", item)
        if not m or not m.group(1):
            continue
        name, qual = bare(m.group(1)), m.group(2) or ""
        name = ROMAN.get(name, name)
        qual = bare(qual) if re.match(r"\s*(huyện|thành phố|thị xã|quận)\s", qual, re.I) else ""
        out.append((name, qual))
    return out


def agreed(c):
    """The old communes both sources send to c."""
    return [oc for oc in old if oc in b_dest and sorted(a_dest.get(oc, [])) == sorted(b_dest[oc]) and c in b_dest[oc]]


agreed_at = defaultdict(list)
for oc in old:
    if oc in b_dest and sorted(a_dest.get(oc, [])) == sorted(b_dest[oc]):
        for c in b_dest[oc]:
            agreed_at[c].append(oc)


def portal_names(c, oc):
    """Does the portal text of new unit c name old commune oc? By name, and by
    district when the text gives one. A bare name does not count when another
    old commune of that name goes to c by both sources, or by source B while
    B does not send oc there (same-named communes of merged provinces)."""
    name, dist = bare(old[oc]["Tên"]), bare(old[oc]["Quận Huyện"])
    for nm, qual in portal_items(c):
        if nm != name:
            continue
        if qual:
            if qual == dist:
                return True
            continue
        if any(bare(old[o]["Tên"]) == name and o != oc for o in agreed_at[c]):
            continue
        # two old communes of that name in provinces merged together: the
        # mention is the one's that source B sends to c, if only one is
        if c not in (b_dest.get(oc) or []) and any(
                bare(r["Tên"]) == name and o != oc and c in b_dest.get(o, []) for o, r in old.items()):
            continue
        return True
    return False


# --- the crosswalk: agreements, and the choice where A and B disagree ------

review = []
dest = OrderedDict()
for oc, r in old.items():
    a, b = a_dest.get(oc, []), b_dest.get(oc)
    if b is not None and sorted(a) == sorted(b):
        dest[oc] = a
        continue
    cands = list(OrderedDict.fromkeys(a + (b or [])))
    named = [c for c in cands if c in new and portal_names(c, oc)]
    unknown = [c for c in cands if c not in new]
    if named:
        choice, why = named, "the merger portal lists it under " + " and ".join(new[c][0] for c in named)
    elif b and not unknown:
        choice, why = b, "the portal text names it under none of them: kept source B (checked by hand)"
    else:
        choice, why = a, "the portal text names it under none of them and source B gives a code that is no new commune: kept source A"
    if unknown:
        why += "; source B's " + " ".join(unknown) + " is no code of the new communes"
    dest[oc] = choice
    fmt = lambda ds: "; ".join(f"{c} {new[c][0]}" if c in new else f"{c} (no such new code)" for c in ds) if ds else "(none)"
    review.append([oc, r["Tên"], r["Quận Huyện"], r["Tỉnh / Thành Phố"], fmt(a), fmt(b),
                   fmt(choice), why])
for oc, r in island.items():
    dest[oc] = a_dest[oc]

# main destination of a split: the new unit that keeps the old name, else the largest
def main_of(oc, ds):
    nm = bare(old[oc]["Tên"]) if oc in old else bare(island[oc]["district"])
    for c in ds:
        if bare(new[c][0]) == nm:
            return c
    return max(ds, key=lambda c: (float(new[c][3] or 0), c))


rows = []
for oc, ds in dest.items():
    if oc in old:
        r = old[oc]
        on, od, op = r["Tên"], r["Quận Huyện"], r["Tỉnh / Thành Phố"]
    else:
        r = island[oc]
        on, od, op = r["district"], r["district"], r["province"]
    m = main_of(oc, ds)
    for c in ds:
        nm, np_, npc, area = new[c]
        rows.append([oc, c, on, od, op, nm, np_, npc, area, "1" if c == m else "0"])
hit = {c for ds in dest.values() for c in ds}
assert hit == set(new), set(new) - hit
write_csv("crosswalk-2025.csv",
          ["old_code", "new_code", "old_commune", "old_district", "old_province", "new_commune",
           "new_province", "new_province_code", "new_area_km2", "main"], rows)
write_csv("crosswalk-2025-review.csv",
          ["old_code", "old_commune", "old_district", "old_province", "source_a", "source_b", "chosen", "why"],
          review)
splits = sum(1 for ds in dest.values() if len(ds) > 1)
print(f"  {len(dest)} old units ({len(old)} communes + {len(island)} island districts without communes) "
      f"-> {len(new)} new communes in {len(provinces)} provinces; {splits} old communes split; "
      f"{len(review)} disagreements reviewed; {len(b_extra)} codes of source B not in the GSO list ignored")


# --- the new units, with the portal's population -------------------------

def vn_int(s):
    s = s.strip().replace(".", "")
    return s if s.isdigit() else ""


urows = []
for c, (nm, np_, npc, area) in new.items():
    s = s_by_new[c]
    urows.append([c, nm, np_, npc, area, vn_int(s["dansonguoi"]), sum(1 for ds in dest.values() if c in ds)])
write_csv("units-2025.csv", ["new_code", "new_commune", "new_province", "new_province_code", "area_km2",
                             "population_portal", "old_units"], urows)
