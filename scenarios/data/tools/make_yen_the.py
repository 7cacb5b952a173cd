#!/usr/bin/env python3
"""Build scenarios/data/yen-the-2017.csv, the example snapshot of Huyện Yên
Thế (Tỉnh Bắc Giang) on 30 September 2017.

Usage:
    /usr/bin/python3 scenarios/data/tools/make_yen_the.py [CENSUS_CSV [OUT_CSV]]

CENSUS_CSV defaults to scenarios/data/raw/target_districts_census2019_communes.csv
(an unchanged copy of the GSO Census 2019 extract), OUT_CSV to
scenarios/data/yen-the-2017.csv. Standard library only; integer arithmetic
only; the output is deterministic (same input -> same bytes).

Sources and assumptions (see scenarios/data/README.md for the full text):
  * District totals: 95,026 insured of 100,249 people on 30/9/2017 (94.8%),
    from the Yên Thế District People's Committee news item on its conference
    of 25/10/2017 (one year of Directive 08-CT/TU of the Bắc Giang Provincial
    Party Standing Committee).
  * Commune populations: GSO Census 1/4/2019, scaled proportionally to the
    district total 100,249, integers by largest remainder.
  * Which communes are above the district average: the ten communes the news
    item names as having done well in the peak month are ASSUMED to be above
    it. Their coverage, the others' coverage, the group shares and the group
    coverages are ASSUMPTIONS, stated in the constants below.
"""

import sys

sys.dont_write_bytecode = True   # keep __pycache__ out of the source tree
import census  # noqa: E402  (scenarios/data/tools/census.py)
from census import cov_h, ceil_div, round_half_up, largest_remainder, fmt_cov  # noqa: E402

DEFAULT_IN = census.TARGET_DISTRICTS_CSV
DEFAULT_OUT = census.data_path("yen-the-2017.csv")

PROVINCE = "Tỉnh Bắc Giang"
DISTRICT = "Huyện Yên Thế"
N_COMMUNES = 21
CENSUS_TOTAL = 101135         # sum of the 21 census populations, 1/4/2019

# District totals on 30 September 2017, from the document.
DISTRICT_POP = 100249
DISTRICT_INSURED = 95026
DISTRICT_COV_TENTHS = 948     # the document's 94.8% (one decimal)

# The ten communes the document names as having done well in the 2017 peak
# month ("một số đơn vị đạt kết quả cao"), in the document's order, as
# census names. The document writes "Đồng Kì"; the census writes "Đồng Kỳ"
# (the i/y spelling variants of the same name).
DOC_NAMED = ["Hương Vĩ", "Đông Sơn", "Đồng Kỳ", "Đồng Lạc", "Đồng Tâm",
             "Phồn Xương", "An Thượng", "Tân Hiệp", "Tam Hiệp", "Tân Sỏi"]
SPELLING = {"Đồng Kì": "Đồng Kỳ"}

# ASSUMPTION. The ten named communes are put above the district average at
# this coverage (hundredths of a percent; insured = population x coverage,
# rounded half up). The other eleven units share the rest of the district's
# insured in proportion to population (one common rate, largest remainder),
# which puts them below the average. No source gives commune figures.
NAMED_COV_H = 9560

# ASSUMPTION. Participant groups, in output order: share of the commune's
# population and coverage, both in hundredths of a percent. The household
# group takes the rest of the population, and its coverage absorbs each
# commune's difference so that the commune total is exact. Students are
# below 100% (the 2018 plan aims at 100% of students); the household and
# agri_avg groups carry most of the uninsured. Not published figures.
GROUPS = [
    # name,        pop share, coverage
    ("employees",   600, 9900),
    ("state_full", 3000, 9980),
    ("near_poor",   500, 9700),
    ("students",   2000, 9700),
    ("agri_avg",    800, 8500),
    ("household",  3100, None),   # coverage absorbs the remainder
]

def read_communes(path):
    names, census_pop = census.read_district_communes(path, PROVINCE, DISTRICT, N_COMMUNES,
                                                      CENSUS_TOTAL)
    # "Xã Bố Hạ" and "Thị trấn Bố Hạ" are two units; without the "Xã "
    # prefix they are "Bố Hạ" and "Thị trấn Bố Hạ", still distinct
    assert "Bố Hạ" in names and "Thị trấn Bố Hạ" in names
    for n in DOC_NAMED:
        assert n in names, "named commune not in the census: " + n
    for doc, cen in SPELLING.items():
        assert doc not in names and cen in names
    return names, census_pop


def main(argv):
    src, dst = census.args(argv, DEFAULT_IN, DEFAULT_OUT)
    names, census_pop = read_communes(src)

    # ---- populations and insured by commune ----------------------------------
    pops = largest_remainder(census_pop, DISTRICT_POP)
    ins = [round_half_up(NAMED_COV_H * N, 10000) if n in DOC_NAMED else None
           for n, N in zip(names, pops)]
    ins = census.share_rest(ins, pops, DISTRICT_INSURED)

    # ---- commune-level checks --------------------------------------------------
    assert sum(pops) == DISTRICT_POP
    assert sum(ins) == DISTRICT_INSURED
    assert round_half_up(1000 * DISTRICT_INSURED, DISTRICT_POP) == DISTRICT_COV_TENTHS
    for n, N, I in zip(names, pops, ins):
        assert 0 < N and 0 <= I <= N
        above = I * DISTRICT_POP > DISTRICT_INSURED * N   # exact comparison
        if n in DOC_NAMED:
            # insured is the nearest whole person to N x the assumed coverage
            assert above and abs(10000 * I - NAMED_COV_H * N) <= 5000, (n, N, I)
        else:
            assert not above, (n, N, I)

    # ---- group split -------------------------------------------------------------
    rows = census.group_rows(GROUPS, names, pops, ins, DISTRICT, PROVINCE)
    # students below 100% in every commune
    for r in rows:
        if r[3] == "students":
            assert r[5] < r[4], (r[0], (r[3], r[4], r[5]))
    assert len(rows) == N_COMMUNES * len(GROUPS)
    assert sum(r[4] for r in rows) == DISTRICT_POP
    assert sum(r[5] for r in rows) == DISTRICT_INSURED
    gtot = census.group_totals(rows, [g[0] for g in GROUPS])
    gdict = {g: (gn, gi) for g, gn, gi in gtot}
    # district: students below 100% (about 97%); household + agri_avg hold
    # most (over two thirds) of the uninsured
    sn, si = gdict["students"]
    assert si < sn and abs(cov_h(si, sn) - 9700) <= 5, (sn, si)
    unins = DISTRICT_POP - DISTRICT_INSURED
    hh_agri = sum(gdict[g][0] - gdict[g][1] for g in ("household", "agri_avg"))
    assert 3 * hh_agri > 2 * unins, (hh_agri, unins)

    census.write_csv(dst, rows)

    # ---- report ----------------------------------------------------------------
    print("census 2019 total %d scaled to the document's 30/9/2017 total %d"
          % (CENSUS_TOTAL, DISTRICT_POP))
    print("%-20s %7s %7s %7s %8s  %s" % ("commune", "census", "pop", "insured", "coverage", "note"))
    for n, c, N, I in zip(names, census_pop, pops, ins):
        note = "named in the document (peak month)" if n in DOC_NAMED else ""
        print("%-20s %7d %7d %7d %s  %s" % (n, c, N, I, fmt_cov(cov_h(I, N)), note))
    print("%-20s %7d %7d %7d %s" % ("district", CENSUS_TOTAL, DISTRICT_POP, DISTRICT_INSURED,
                                    fmt_cov(cov_h(DISTRICT_INSURED, DISTRICT_POP))))
    census.print_group_table(gtot, uninsured=True)
    print("uninsured %d, of which household + agri_avg %d" % (unins, hh_agri))
    for t in (9800,):
        need = max(0, ceil_div(t * DISTRICT_POP - 10000 * DISTRICT_INSURED, 10000))
        print("cards needed for %d%%: %d" % (t // 100, need))
    print("cards needed for 100%% of students: %d" % (sn - si))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
