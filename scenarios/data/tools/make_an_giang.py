#!/usr/bin/env python3
"""Build scenarios/data/an-giang-2017.csv, the example snapshot of Tỉnh An
Giang (every commune of the province) in September 2017.

Usage:
    /usr/bin/python3 scenarios/data/tools/make_an_giang.py [CENSUS_CSV [DISTRICTS_CSV [OUT_CSV]]]

CENSUS_CSV defaults to
scenarios/data/raw/census2019_population_by_commune_urban_rural.csv and
DISTRICTS_CSV to scenarios/data/raw/an_giang_districts_census2019.csv (both
unchanged copies of GSO Census 2019 tables), OUT_CSV to
scenarios/data/an-giang-2017.csv. Standard library only; integer arithmetic
only; the output is deterministic (same input -> same bytes).

Sources and assumptions (see scenarios/data/README.md for the full text):
  * Province and district figures: An Giang Provincial People's Committee,
    Directive No. 2681/CT-UBND of 8 September 2017: 1,508,000 insured = 70%
    of the population; six districts below 70% (Phú Tân 68.89%, An Phú
    67.59%, Chợ Mới 66.95%, Châu Phú 66.47%, Châu Đốc 66.06%, Tân Châu
    62.92%); 2017 target 76% "= 1,647,000 people".
  * Commune populations: GSO Census 1/4/2019 (commune table), scaled to the
    province total N = round(1,508,000 / 0.70) = 2,154,286: first the
    districts, then the communes within each district, integers by largest
    remainder.
  * ASSUMPTIONS: one common coverage for the five districts the document
    does not name; the spread of communes around their district's figure;
    group shares (by urban/rural population) and group coverages. All
    stated in the constants below.
"""

import csv
import hashlib
import sys

sys.dont_write_bytecode = True   # keep __pycache__ out of the source tree
import census  # noqa: E402  (scenarios/data/tools/census.py)
from census import cov_h, ceil_div, round_half_up, largest_remainder, fmt_cov  # noqa: E402

DEFAULT_IN = census.data_path("raw", "census2019_population_by_commune_urban_rural.csv")
DEFAULT_DISTRICTS = census.data_path("raw", "an_giang_districts_census2019.csv")
DEFAULT_OUT = census.data_path("an-giang-2017.csv")

PROVINCE = "Tỉnh An Giang"
N_DISTRICTS = 11
N_COMMUNES = 156
CENSUS_PROVINCE_TOTAL = 1908352   # GSO Census 1/4/2019, An Giang

# From the document: 1,508,000 insured = 70% of the population. The
# population is taken as round(1,508,000 / 0.70) = 2,154,286 (asserted
# below). The document's "76% = 1,647,000 people" implies a base of
# 1,647,000 / 0.76 = 2,167,105 instead; with 2,154,286 people 76% is
# 1,637,258 people (129,258 more cards, not 139,000).
PROVINCE_INSURED = 1508000
PROVINCE_COV_PCT = 70
PROVINCE_POP = 2154286
TARGET_76_DOC = 1647000

# From the document: districts below 70%, in hundredths of a percent. Each
# district's insured is the integer nearest the figure whose coverage rounds
# (half up, 2 decimals) to it. Census names.
LAGGING = {
    "Huyện Phú Tân": 6889,
    "Huyện An Phú": 6759,
    "Huyện Chợ Mới": 6695,
    "Huyện Châu Phú": 6647,
    "Thành phố Châu Đốc": 6606,
    "Thị xã Tân Châu": 6292,
}
# ASSUMPTION. The other five districts (Long Xuyên, Tịnh Biên, Tri Tôn,
# Châu Thành, Thoại Sơn) share the rest of the province's insured in
# proportion to population: one common rate (about 74.5%), above 70%, as the
# document implies. No source gives their individual figures.

# Census names that are not written in the standard form. These two are the
# only names changed (capitalisation only); every other name is the census
# name without a leading "Xã ".
NAME_FIXES = {
    "Thị Trấn Long Bình": "Thị trấn Long Bình",
    "Thị Trấn óc Eo": "Thị trấn Óc Eo",
}

# ASSUMPTION. Participant groups, in output order: share of the population
# (hundredths of a percent) in the urban and in the rural part of a commune
# (census urban/rural split), and coverage (hundredths of a percent) of the
# first five groups. A commune's group populations are its population split
# in proportion to urban x urban share + rural x rural share (largest
# remainder). The household group's insured are the district's remaining
# insured. Not published figures.
GROUPS = [
    # name,       urban, rural, coverage
    ("employees",  1600,   600, 9700),
    ("state_full", 1800,  2000, 9800),
    ("near_poor",   300,   500, 8000),
    ("students",   2000,  1900, 8200),
    ("agri_avg",    100,   800, 3500),
    ("household",  4200,  4200, None),  # coverage absorbs the district remainder
]

# ASSUMPTION. Spread of communes around their district: the household
# insured of a district are shared among its communes in proportion to
# household population x (100 + s) / 100, where s is a made-up, deterministic
# offset between -SPREAD and +SPREAD percent derived from the commune name:
# s = int(first 8 hex digits of SHA-256(UTF-8 name), 16) mod (2 SPREAD + 1)
#     - SPREAD.
# It stands for local differences that no source gives; it does not depend
# on the order of the file or on other communes.
SPREAD = 10

def spread(name):
    h = hashlib.sha256(name.encode("utf-8")).hexdigest()
    return int(h[:8], 16) % (2 * SPREAD + 1) - SPREAD


def short_name(census_name):
    n = NAME_FIXES.get(census_name, census_name)
    if n.startswith("Xã "):
        return census.short_name(n)
    assert n.startswith("Thị trấn ") or n.startswith("Phường "), n
    return n


TOTAL_SUFFIX = " (Tổng số)"


def read_census(path):
    """Parse the census commune table: col A province, col B district, col C
    commune, D total, E urban, F rural; a blank province or district cell
    means "same as the row above"; names ending in " (Tổng số)" are total
    rows. Returns (province_total_row, district_totals, communes) for
    PROVINCE, where district_totals is [(district, total, urban, rural)] in
    file order and communes is [(district, census_name, total, urban, rural)]."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[2][3:6] == ["Tổng số", "1. Thành thị", "2. Nông thôn"], rows[2]
    assert rows[3][0] == "Tổng số", rows[3]

    def num(s):
        return int(s) if s.strip() else 0

    prov = dist = None
    prov_total = None
    dist_totals = []
    communes = []
    for r in rows[4:]:
        assert len(r) == 6, r
        a, b, c = r[0].strip(), r[1].strip(), r[2].strip()
        vals = (num(r[3]), num(r[4]), num(r[5]))
        if a.endswith(TOTAL_SUFFIX):               # province total row
            assert not b and not c, r
            prov, dist = a[:-len(TOTAL_SUFFIX)], None
            if prov == PROVINCE:
                prov_total = vals
            continue
        if a:
            assert a == prov, (a, prov)
        if b.endswith(TOTAL_SUFFIX):               # district total row
            assert not c, r
            dist = b[:-len(TOTAL_SUFFIX)]
            if prov == PROVINCE:
                dist_totals.append((dist,) + vals)
            continue
        if b:
            # the first commune of a district repeats the district's name;
            # elsewhere in the country a district without communes (Huyện
            # Bạch Long Vĩ) has no total row, but every An Giang district has
            if b != dist:
                assert prov != PROVINCE, (b, dist)
                dist = b
        assert c, r
        if prov == PROVINCE:
            communes.append((dist, c) + vals)
    return prov_total, dist_totals, communes


def read_districts(path):
    with open(path, encoding="utf-8", newline="") as f:
        return [(r["district"], int(r["pop_total"]), int(r["pop_urban"]),
                 int(r["pop_rural"])) for r in csv.DictReader(f)
                if r["province"] == PROVINCE]


def main(argv):
    src, dsrc, dst = census.args(argv, DEFAULT_IN, DEFAULT_DISTRICTS, DEFAULT_OUT)

    # ---- census: parse and cross-check ----------------------------------------
    prov_total, dist_totals, communes = read_census(src)
    assert prov_total is not None and prov_total[0] == CENSUS_PROVINCE_TOTAL, prov_total
    assert len(dist_totals) == N_DISTRICTS and len(communes) == N_COMMUNES
    dnames = [d[0] for d in dist_totals]
    assert len(set(dnames)) == N_DISTRICTS
    for d, t, u, ru in dist_totals:
        cs = [x for x in communes if x[0] == d]
        assert cs, d
        assert sum(x[2] for x in cs) == t, d     # communes add up to the
        assert sum(x[3] for x in cs) == u, d     # district total row
        assert sum(x[4] for x in cs) == ru, d
    for x in communes:
        assert x[2] == x[3] + x[4] and x[2] > 0, x
    assert sum(d[1] for d in dist_totals) == CENSUS_PROVINCE_TOTAL
    assert (sum(d[2] for d in dist_totals), sum(d[3] for d in dist_totals)) == prov_total[1:]
    assert read_districts(dsrc) == [tuple(d) for d in dist_totals], "district table differs"
    for d in LAGGING:
        assert d in dnames, d
    fixed_names = [x[1] for x in communes if x[1] in NAME_FIXES]
    assert sorted(fixed_names) == sorted(NAME_FIXES), fixed_names
    names = [short_name(x[1]) for x in communes]
    # no two communes share a name, so no commune_code column is needed
    assert len(set(names)) == len(names)

    # ---- populations -------------------------------------------------------------
    assert PROVINCE_POP == round_half_up(100 * PROVINCE_INSURED, PROVINCE_COV_PCT)
    assert cov_h(PROVINCE_INSURED, PROVINCE_POP) == 100 * PROVINCE_COV_PCT
    dpop = dict(zip(dnames, largest_remainder([d[1] for d in dist_totals], PROVINCE_POP)))
    cpop = [None] * N_COMMUNES
    for d in dnames:
        idx = [i for i, x in enumerate(communes) if x[0] == d]
        for i, v in zip(idx, largest_remainder([communes[i][2] for i in idx], dpop[d])):
            cpop[i] = v
    assert sum(cpop) == PROVINCE_POP

    # ---- district insured ------------------------------------------------------------
    dins = [census.nearest_insured(dpop[d], LAGGING[d]) if d in LAGGING else None
            for d in dnames]
    dins = dict(zip(dnames, census.share_rest(dins, [dpop[d] for d in dnames],
                                              PROVINCE_INSURED)))
    assert sum(dins.values()) == PROVINCE_INSURED
    for d in dnames:
        if d in LAGGING:
            assert cov_h(dins[d], dpop[d]) == LAGGING[d], d
            assert 100 * dins[d] < 70 * dpop[d], d
        else:
            assert 100 * dins[d] > 70 * dpop[d] and cov_h(dins[d], dpop[d]) > 7000, d

    # ---- groups ------------------------------------------------------------------------
    gnames = [g[0] for g in GROUPS]
    assert sum(g[1] for g in GROUPS) == 10000 and sum(g[2] for g in GROUPS) == 10000
    HH = gnames.index("household")
    gpop, gins = [], []
    for i, x in enumerate(communes):
        urban, rural = x[3], x[4]
        weights = [urban * g[1] + rural * g[2] for g in GROUPS]
        gp = largest_remainder(weights, cpop[i])
        gi = [None if g[3] is None else round_half_up(g[3] * n, 10000)
              for g, n in zip(GROUPS, gp)]
        gpop.append(gp)
        gins.append(gi)
    for d in dnames:
        idx = [i for i, x in enumerate(communes) if x[0] == d]
        hh_total = dins[d] - sum(gins[i][k] for i in idx for k in range(len(GROUPS)) if k != HH)
        weights = [gpop[i][HH] * (100 + spread(names[i])) for i in idx]
        for i, v in zip(idx, largest_remainder(weights, hh_total)):
            gins[i][HH] = v

    # ---- rows and checks ---------------------------------------------------------------------
    rows = []
    for i, x in enumerate(communes):
        assert sum(gpop[i]) == cpop[i]
        for k, g in enumerate(gnames):
            N, I = gpop[i][k], gins[i][k]
            assert N > 0 and 0 <= I <= N, (names[i], g, N, I)
            rows.append([names[i], x[0], PROVINCE, g, N, I])
    assert len(rows) == N_COMMUNES * len(GROUPS)
    assert sum(r[4] for r in rows) == PROVINCE_POP
    assert sum(r[5] for r in rows) == PROVINCE_INSURED
    for d in dnames:
        assert sum(r[4] for r in rows if r[1] == d) == dpop[d]
        assert sum(r[5] for r in rows if r[1] == d) == dins[d]
    # household is the least covered group except agri_avg, in every commune
    for k in range(0, len(rows), len(GROUPS)):
        block = rows[k:k + len(GROUPS)]
        hh = block[HH]
        for r in block:
            if r[3] not in ("household", "agri_avg"):
                assert hh[5] * r[4] < r[5] * hh[4], (r, hh)
    need76 = ceil_div(76 * PROVINCE_POP - 100 * PROVINCE_INSURED, 100)

    census.write_csv(dst, rows)

    # ---- report ----------------------------------------------------------------
    print("census 2019: %d communes in %d districts, total %d (matches the district "
          "table and the province row)" % (N_COMMUNES, N_DISTRICTS, CENSUS_PROVINCE_TOTAL))
    print("%-22s %-22s %7s %7s %7s %8s %4s" % ("district", "commune", "census", "pop",
                                             "insured", "coverage", "s"))
    for i, x in enumerate(communes):
        I = sum(gins[i])
        print("%-22s %-22s %7d %7d %7d %s %4d" % (x[0], names[i], x[2], cpop[i], I,
                                                fmt_cov(cov_h(I, cpop[i])), spread(names[i])))
    print()
    print("%-22s %8s %8s %8s %8s  %s" % ("district", "census", "pop", "insured", "coverage",
                                         "communes min-max / note"))
    for d, t, _, _ in dist_totals:
        idx = [i for i, x in enumerate(communes) if x[0] == d]
        cs = [cov_h(sum(gins[i]), cpop[i]) for i in idx]
        note = "document" if d in LAGGING else "assumed"
        print("%-22s %8d %8d %8d %s  %d.%02d-%d.%02d%%  %s" % (
            d, t, dpop[d], dins[d], fmt_cov(cov_h(dins[d], dpop[d])),
            min(cs) // 100, min(cs) % 100, max(cs) // 100, max(cs) % 100, note))
    print("%-22s %8d %8d %8d %s" % ("province", CENSUS_PROVINCE_TOTAL, PROVINCE_POP,
                                    PROVINCE_INSURED, fmt_cov(cov_h(PROVINCE_INSURED,
                                                                    PROVINCE_POP))))
    census.print_group_table(census.group_totals(rows, gnames), width=8)
    print("cards needed for 76%%: %d (document: %d - %d = %d; its 76%% = %d people "
          "implies a base of %d)" % (need76, TARGET_76_DOC, PROVINCE_INSURED,
                                     TARGET_76_DOC - PROVINCE_INSURED, TARGET_76_DOC,
                                     round_half_up(100 * TARGET_76_DOC, 76)))
    print("name fixes: %s" % ", ".join("%s -> %s" % kv for kv in sorted(NAME_FIXES.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
