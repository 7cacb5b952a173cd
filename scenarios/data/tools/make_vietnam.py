#!/usr/bin/env python3
"""Build scenarios/data/vietnam-census-2019.csv, the national example
snapshot: every commune of Vietnam at the 2019 census, split into the six
participant groups, insured as at the end of 2019.

Usage:
    /usr/bin/python3 scenarios/data/tools/make_vietnam.py [CENSUS_CSV [OUT_CSV]]

CENSUS_CSV defaults to
scenarios/data/raw/census2019_population_by_commune_urban_rural.csv (an
unchanged copy of the GSO Census 2019 commune table), OUT_CSV to
scenarios/data/vietnam-census-2019.csv. Standard library only; integer
arithmetic only; the output is deterministic (same input -> same bytes).

Sources and assumptions (see scenarios/data/README.md for the full text):
  * Populations: GSO Census 1/4/2019, commune table (total, urban, rural),
    used as they are (no scaling); national total 96,208,984.
  * National coverage: Vietnam Social Security (VSS) reported 90% (85.39
    million people insured) at the end of 2019. The census population is
    not the base VSS used (85.39 / 0.90 = 94.9 million), so the insured here
    are set to exactly 90.00% of the census population, rounded:
    86,588,086 people. That figure is ours, not a published one.
  * commune_code P.D.C is MADE UP from the order of the census file
    (province, district within the province, commune within the district);
    it is not a GSO code.
  * ASSUMPTIONS, not published figures: the group shares (different in the
    urban and the rural part of a commune), the group coverages, the
    commune-to-commune spread of household coverage. All stated in the
    constants below.
"""

import csv
import hashlib
import os
import sys
import unicodedata

sys.dont_write_bytecode = True   # keep __pycache__ out of the source tree
import census  # noqa: E402  (scenarios/data/tools/census.py)
from census import cov_h, round_half_up, largest_remainder, fmt_cov  # noqa: E402

DEFAULT_IN = census.data_path("raw", "census2019_population_by_commune_urban_rural.csv")
DEFAULT_OUT = census.data_path("vietnam-census-2019.csv")

# What the census file holds (asserted). The national row and the province
# and district "(Tổng số)" rows are the file's own totals; every commune row
# is checked against them.
NATIONAL_TOTAL = (96208984, 33122548, 63086436)   # total, urban, rural
N_PROVINCES = 63
N_DISTRICTS = 712          # 709 with a "(Tổng số)" row + 3 island districts
N_UNITS = 11165            # commune-level rows (11,162 communes + 3 islands)
# Island districts without communes: the file has no "(Tổng số)" row for
# them, and their only row repeats the district's name in the commune
# column. Each is kept as one commune-level unit named after the district.
ISLAND_DISTRICTS = ["Huyện Bạch Long Vĩ", "Huyện Cồn Cỏ", "Huyện Côn Đảo"]

# National coverage: VSS, end of 2019, 90% (85.39 million insured; source
# URL in the README). Here: exactly 90.00% of the census population, rounded
# half up to a whole person (asserted: 86,588,086).
NATIONAL_COV_PCT = 90
NATIONAL_INSURED = 86588086

# ASSUMPTION. Participant groups, in output order: share of the population
# (hundredths of a percent) in the urban and in the rural part of a commune
# (census urban/rural split), and coverage (hundredths of a percent) of the
# first five groups. A commune's group populations are its population split
# in proportion to urban x urban share + rural x rural share (largest
# remainder, ties to the earlier group). With the census's 34.4% urban
# population the national shares come out near employees 17%, state_full
# 30%, near_poor 2%, students 16%, agri_avg 5%, household 30%. Not published
# figures: no source at hand gives the 2019 split of the population or the
# insured by group, nationally or by commune.
GROUPS = [
    # name,       urban, rural, coverage
    ("employees",  2800,  1100, 9700),
    ("state_full", 2500,  3300, 9900),
    ("near_poor",   100,   250, 9000),
    ("students",   1600,  1600, 9200),
    ("agri_avg",    100,   700, 7000),
    ("household",  2900,  3050, None),  # takes the rest of the national insured
]

# ASSUMPTION. Spread of communes: the household insured left over nationally
# are shared among the communes' household groups in proportion to household
# population x (100 + s) / 100, where s is a made-up, deterministic offset
# between -SPREAD and +SPREAD percent derived from the commune code:
# s = int(first 8 hex digits of SHA-256(UTF-8 code), 16) mod (2 SPREAD + 1)
#     - SPREAD.
# It stands for local differences that no source gives. Provinces therefore
# differ only through their urban/rural composition and this noise, not
# through any provincial coverage figure.
SPREAD = 20

HEADER = ["commune_code", "commune", "district", "province", "group", "population", "insured"]
TOTAL_SUFFIX = " (Tổng số)"
PREFIXES = ["Xã ", "Phường ", "Thị trấn ", "Huyện "]      # commune-level units
# every unit type of the file, for clean_name
TYPES = PREFIXES + ["Quận ", "Thị xã ", "Thành phố ", "Tỉnh "]


# ---- the commune spread and the names ------------------------------------------

def spread(code):
    h = hashlib.sha256(code.encode("utf-8")).hexdigest()
    return int(h[:8], 16) % (2 * SPREAD + 1) - SPREAD


def clean_name(raw):
    """The census name with its whitespace and capitalisation made regular,
    nothing else: surrounding spaces removed, runs of spaces collapsed, the
    unit type written as in TYPES ("Thị trấn ", "Xã "; the file also has
    "Thị Trấn ", "thị trấn ", "xã "), and the first letter of every word
    after the type upper case (the export lower-cases syllables that
    begin with an accented vowel: "Xã Đại áng", "Huyện ứng Hòa", "Phường ỷ
    La"). Letters after the first of a word are left alone ("Đạ M'ri")."""
    s = " ".join(raw.split())
    for p in TYPES:
        if s.lower().startswith(p.lower()):
            head, rest = p, s[len(p):]
            break
    else:
        assert False, raw
    rest = " ".join(w[:1].upper() + w[1:] for w in rest.split(" "))
    out = head + rest
    assert out.lower() == s.lower(), (raw, out)   # case and spaces only
    return out


# ---- the census file ----------------------------------------------------------

def read_census(path):
    """Parse the census commune table: col A province, col B district, col C
    commune, D total, E urban, F rural, after three heading rows and the
    national total row; a blank province or district cell means "same as the
    row above"; names ending in " (Tổng số)" are total rows (a province row,
    then one per district). Returns (national, provinces) with provinces a
    list of dicts {name, total, districts: [{name, total, units:
    [(raw_name, total, urban, rural, line)]}]} in file order; total is
    (total, urban, rural), None for the island districts."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[2][3:6] == ["Tổng số", "1. Thành thị", "2. Nông thôn"], rows[2]
    assert rows[3][0] == "Tổng số", rows[3]

    def num(s):
        s = s.strip()
        assert s == "" or s.isdigit(), s
        return int(s) if s else 0

    national = tuple(num(x) for x in rows[3][3:6])
    provinces = []
    prov = dist = None
    for line, r in enumerate(rows[4:], 5):
        assert len(r) == 6, (line, r)
        a, b, c = r[0].strip(), r[1].strip(), r[2].strip()
        vals = tuple(num(x) for x in r[3:6])
        assert vals[0] == vals[1] + vals[2], (line, r)
        if a.endswith(TOTAL_SUFFIX):                   # province total row
            assert not b and not c, (line, r)
            prov = {"name": a[:-len(TOTAL_SUFFIX)], "total": vals, "districts": []}
            provinces.append(prov)
            dist = None
            continue
        assert prov is not None, (line, r)
        if a:
            assert a == prov["name"], (line, a, prov["name"])
        if b.endswith(TOTAL_SUFFIX):                   # district total row
            assert not c, (line, r)
            dist = {"name": b[:-len(TOTAL_SUFFIX)], "total": vals, "units": []}
            prov["districts"].append(dist)
            continue
        assert c, (line, r)
        if b and (dist is None or b != dist["name"]):
            # a district without a total row: the island districts, whose
            # single row repeats the district's name as the commune
            assert b in ISLAND_DISTRICTS and c == b, (line, r)
            dist = {"name": b, "total": None, "units": []}
            prov["districts"].append(dist)
        assert dist is not None, (line, r)
        dist["units"].append((c, vals[0], vals[1], vals[2], line))
    return national, provinces


def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def check_census(national, provinces):
    """Every total the file states is the sum of the rows below it."""
    assert national == NATIONAL_TOTAL, national
    assert len(provinces) == N_PROVINCES, len(provinces)
    assert len(set(p["name"] for p in provinces)) == N_PROVINCES
    n_dist = n_units = 0
    islands = []
    s_nat = (0, 0, 0)
    for p in provinces:
        s_prov = (0, 0, 0)
        dnames = [d["name"] for d in p["districts"]]
        assert len(set(dnames)) == len(dnames), p["name"]
        for d in p["districts"]:
            assert d["units"], (p["name"], d["name"])
            s = (0, 0, 0)
            for u in d["units"]:
                s = add(s, u[1:4])
            if d["total"] is None:
                islands.append(d["name"])
                assert len(d["units"]) == 1
            else:
                assert s == d["total"], (p["name"], d["name"], s, d["total"])
            s_prov = add(s_prov, s)
            n_dist += 1
            n_units += len(d["units"])
        assert s_prov == p["total"], (p["name"], s_prov, p["total"])
        s_nat = add(s_nat, s_prov)
    assert s_nat == national, (s_nat, national)
    assert sorted(islands) == sorted(ISLAND_DISTRICTS), islands
    assert n_dist == N_DISTRICTS, n_dist
    assert n_units == N_UNITS, n_units


def main(argv):
    src, dst = census.args(argv, DEFAULT_IN, DEFAULT_OUT)

    # ---- census: parse and cross-check ------------------------------------------
    national, provinces = read_census(src)
    check_census(national, provinces)

    # District names repeat across provinces (ten "Huyện Châu Thành"); the
    # engine keys the units of a level by name, so such districts get the
    # province in brackets: "Huyện Châu Thành (Tỉnh An Giang)".
    dcount = {}
    for p in provinces:
        for d in p["districts"]:
            k = clean_name(d["name"])
            dcount[k] = dcount.get(k, 0) + 1
    ambiguous = sorted(k for k, v in dcount.items() if v > 1)

    units = []        # (code, commune, district, province, total, urban, rural)
    renamed = []      # (raw name, clean name) where they differ
    zero = []
    for pi, p in enumerate(provinces, 1):
        pname = clean_name(p["name"])
        assert pname == p["name"].strip(), p["name"]   # province names are regular
        for di, d in enumerate(p["districts"], 1):
            dname = clean_name(d["name"])
            if dname != d["name"].strip():
                renamed.append((d["name"].strip(), dname))
            if dname in ambiguous:
                dname = "%s (%s)" % (dname, pname)
            cnames = []
            for ci, (raw, tot, urb, rur, line) in enumerate(d["units"], 1):
                assert pi < 100 and di < 1000 and ci < 10000
                code = "%02d.%03d.%04d" % (pi, di, ci)
                name = clean_name(raw)
                if name != raw.strip():
                    renamed.append((raw.strip(), name))
                assert any(name.startswith(x) for x in PREFIXES), (line, name)
                assert name.startswith("Huyện ") == (raw.strip() in ISLAND_DISTRICTS), name
                cnames.append(name)
                if tot == 0:
                    zero.append((code, name, dname, pname))
                    continue
                units.append((code, name, dname, pname, tot, urb, rur))
            # full names (with their prefix) are unique within a district
            assert len(set(cnames)) == len(cnames), (pname, dname)
    for x in units:
        for s in x[:4]:
            assert s and "," not in s and '"' not in s and s == s.strip(), x
            assert unicodedata.is_normalized("NFC", s), x
    assert len(set(x[0] for x in units)) == len(units)
    # district names unique nationally after the brackets
    dkeys = set((x[3], x[2]) for x in units)
    assert len(set(k[1] for k in dkeys)) == len(dkeys) == N_DISTRICTS

    # ---- groups ------------------------------------------------------------------
    gnames = [g[0] for g in GROUPS]
    assert sum(g[1] for g in GROUPS) == 10000 and sum(g[2] for g in GROUPS) == 10000
    HH = gnames.index("household")
    gpop, gins = [], []
    for code, name, dname, pname, tot, urb, rur in units:
        weights = [urb * g[1] + rur * g[2] for g in GROUPS]
        gp = largest_remainder(weights, tot)
        gi = [None if g[3] is None else round_half_up(g[3] * n, 10000)
              for g, n in zip(GROUPS, gp)]
        gpop.append(gp)
        gins.append(gi)

    pop_total = sum(x[4] for x in units)
    assert pop_total == NATIONAL_TOTAL[0]
    assert NATIONAL_INSURED == round_half_up(NATIONAL_COV_PCT * pop_total, 100)
    assert cov_h(NATIONAL_INSURED, pop_total) == 100 * NATIONAL_COV_PCT
    fixed = sum(gi[k] for gi in gins for k in range(len(GROUPS)) if k != HH)
    hh_total = NATIONAL_INSURED - fixed
    weights = [gp[HH] * (100 + spread(x[0])) for gp, x in zip(gpop, units)]
    for gi, v in zip(gins, largest_remainder(weights, hh_total)):
        gi[HH] = v

    # ---- rows and checks -----------------------------------------------------------
    rows = []
    empty_groups = []
    for x, gp, gi in zip(units, gpop, gins):
        assert sum(gp) == x[4]
        assert 0 <= sum(gi) <= x[4]
        for k, g in enumerate(gnames):
            N, I = gp[k], gi[k]
            assert 0 <= I <= N, (x, g, N, I)
            if N == 0:          # no one in the group: no row (README: no row = no one)
                assert I == 0
                empty_groups.append((x[0], x[1], g))
                continue
            rows.append([x[0], x[1], x[2], x[3], g, N, I])
    assert sum(r[5] for r in rows) == pop_total
    assert sum(r[6] for r in rows) == NATIONAL_INSURED
    for r in rows:
        assert r[5] > 0 and 0 <= r[6] <= r[5], r
    gtot = [(g, sum(gp[k] for gp in gpop), sum(gi[k] for gi in gins))
            for k, g in enumerate(gnames)]
    # the fixed coverages hold nationally, up to the rounding of many small
    # cells (near_poor has a few dozen people per commune): within 0.05 point
    for (g, n, i), grp in zip(gtot, GROUPS):
        if grp[3] is not None:
            assert abs(cov_h(i, n) - grp[3]) <= 5, (g, n, i)
    hh_h = cov_h(gtot[HH][2], gtot[HH][1])
    assert 7000 <= hh_h <= 8500, hh_h       # the household group is the main gap
    ptot = {}
    for x, gi in zip(units, gins):
        t = ptot.setdefault(x[3], [0, 0, 0])
        t[0] += x[4]
        t[1] += sum(gi)
        t[2] += x[5]
    for p in provinces:
        assert ptot[p["name"].strip()][0] == p["total"][0]

    with open(dst, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)

    # ---- report ----------------------------------------------------------------------
    n_islands = len(ISLAND_DISTRICTS)
    print("wrote %s (%d rows, %d bytes)" % (os.path.relpath(dst), len(rows),
                                            os.path.getsize(dst)))
    print("census 2019: %d provinces, %d districts (%d of them island districts without "
          "communes, kept as one unit each), %d commune-level units (%d communes + %d), "
          "%d people (%d urban, %d rural); every province and district total row "
          "matches its rows" % (N_PROVINCES, N_DISTRICTS, n_islands, N_UNITS,
                                N_UNITS - n_islands, n_islands, national[0], national[1],
                                national[2]))
    print("communes with 0 people (dropped): %d%s" % (
        len(zero), "".join("\n  %s %s, %s, %s" % z for z in zero)))
    print("group rows with 0 people (left out): %d%s" % (
        len(empty_groups), "".join("\n  %s %s: %s" % e for e in empty_groups)))
    print("names with whitespace/capitalisation made regular: %d" % len(renamed))
    for a, b in renamed:
        print("  %r -> %s" % (a, b))
    print("district names shared by several provinces (province added in brackets): %s"
          % ", ".join("%s x%d" % (k, dcount[k]) for k in ambiguous))
    print()
    print("%-12s %9s %9s %9s" % ("group", "pop", "insured", "coverage"))
    for g, n, i in gtot:
        print("%-12s %9d %9d %s  share %s" % (g, n, i, fmt_cov(cov_h(i, n)),
                                               fmt_cov(cov_h(n, pop_total))))
    print("%-12s %9d %9d %s" % ("total", pop_total, NATIONAL_INSURED,
                                fmt_cov(cov_h(NATIONAL_INSURED, pop_total))))
    print()
    print("%-32s %9s %9s %9s %7s" % ("province", "pop", "insured", "coverage", "urban"))
    for p in provinces:
        n, i, u = ptot[p["name"].strip()]
        print("%-32s %9d %9d %s %s" % (p["name"].strip(), n, i, fmt_cov(cov_h(i, n)),
                                        fmt_cov(cov_h(u, n))))
    cc = sorted((cov_h(sum(gi), x[4]), x[0], x[1], x[2], x[3]) for x, gi in zip(units, gins))
    print()
    print("commune coverage: min %s (%s %s, %s, %s), median %s, max %s (%s %s, %s, %s)" % (
        fmt_cov(cc[0][0]).strip(), cc[0][1], cc[0][2], cc[0][3], cc[0][4],
        fmt_cov(cc[len(cc) // 2][0]).strip(),
        fmt_cov(cc[-1][0]).strip(), cc[-1][1], cc[-1][2], cc[-1][3], cc[-1][4]))
    hc = sorted(cov_h(gi[HH], gp[HH]) for gp, gi in zip(gpop, gins) if gp[HH] > 0)
    print("household coverage by commune: min %s, max %s; national %s" % (
        fmt_cov(hc[0]).strip(), fmt_cov(hc[-1]).strip(), fmt_cov(hh_h).strip()))
    print("VSS reported 85.39 million insured = 90%% (base about %d people); census "
          "population %d, insured here %d = 90.00%%" % (
              round_half_up(8539 * 10 ** 4 * 100, 90), pop_total, NATIONAL_INSURED))
    need95 = sum(max(0, -((-(95 * x[4] - 100 * sum(gi))) // 100))
                 for x, gi in zip(units, gins))
    nat95 = -((-(95 * pop_total - 100 * NATIONAL_INSURED)) // 100)
    print("cards needed for 95%%: %d nationally; %d summed over communes below 95%%"
          % (nat95, need95))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
