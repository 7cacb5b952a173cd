#!/usr/bin/env python3
"""Build scenarios/data/my-loc-2023.csv, the example snapshot of Huyện Mỹ Lộc
(Tỉnh Nam Định) at the end of September 2023.

Usage:
    /usr/bin/python3 scenarios/data/tools/make_my_loc.py [CENSUS_CSV [OUT_CSV]]

CENSUS_CSV defaults to scenarios/data/raw/target_districts_census2019_communes.csv
(an unchanged copy of the GSO Census 2019 extract), OUT_CSV to
scenarios/data/my-loc-2023.csv. Standard library only; integer arithmetic
only; the output is deterministic (same input -> same bytes).

Sources and assumptions (see scenarios/data/README.md for the full text):
  * Commune populations: GSO Census 1/4/2019, brought to 30/9/2023 with an
    ASSUMED growth of 0.5% a year compounded over 4.5 years (one factor for
    every commune), integers by largest remainder.
  * The four units singled out (Mỹ Tân, Mỹ Phúc, Mỹ Thắng, Thị trấn Mỹ Lộc):
    Mỹ Lộc District People's Committee, follow-up to document
    No. 4111/UBND-YT of 11/10/2023 (target: coverage above 95.5% in 2023).
  * The document gives NO coverage figure. District coverage 93.80%, the
    coverage of each commune, the group shares and the group coverages are
    ASSUMPTIONS, stated in the constants below.
"""

import sys

sys.dont_write_bytecode = True   # keep __pycache__ out of the source tree
import census  # noqa: E402  (scenarios/data/tools/census.py)
from census import cov_h, ceil_div, round_half_up, largest_remainder, fmt_cov  # noqa: E402

DEFAULT_IN = census.TARGET_DISTRICTS_CSV
DEFAULT_OUT = census.data_path("my-loc-2023.csv")

PROVINCE = "Tỉnh Nam Định"
DISTRICT = "Huyện Mỹ Lộc"
N_COMMUNES = 11
CENSUS_TOTAL = 72514          # sum of the 11 census populations, 1/4/2019

# ASSUMPTION. Growth from the census (1 April 2019) to the snapshot
# (30 September 2023, 4.5 years): 0.5% a year, compounded. The district total
# is round(CENSUS_TOTAL * (201/200) ** (9/2)), computed exactly in integers.
GROWTH = (201, 200)           # yearly factor as a fraction
YEARS = (9, 2)                # 4.5 years as a fraction
DISTRICT_POP = 74160          # asserted against the computation

# ASSUMPTION. District coverage at the end of September 2023, in hundredths of
# a percent. The document gives no figure; it says coverage is "rising very
# slowly" and asks for more than 95.5%. 93.80% is a plausible value below
# the target.
DISTRICT_COV_H = 9380
TARGET_H = 9550               # the document's target, 95.5%

# ASSUMPTION. Coverage (hundredths of a percent) of the four units the
# document singles out; each commune's insured is population x coverage,
# rounded half up to a whole person (with a few thousand people not every
# hundredth of a percent is reachable, so the printed coverage may differ
# from the value here by 0.01 or 0.02 point). The
# other seven
# communes share the rest of the district's insured in proportion to
# population (one common rate, largest remainder).
SINGLED_OUT = {
    "Thị trấn Mỹ Lộc": 9160,
    "Mỹ Tân": 9190,
    "Mỹ Phúc": 9220,
    "Mỹ Thắng": 9240,
}
SINGLED_LO_H, SINGLED_HI_H = 9150, 9250

# ASSUMPTION. Participant groups, in output order: share of the commune's
# population and coverage, both in hundredths of a percent. The household
# group takes the rest of the population, and its coverage absorbs each
# commune's difference so that the commune total is exact. Not published
# figures.
GROUPS = [
    # name,        pop share, coverage
    ("employees",  1000, 9900),
    ("state_full", 2200, 9950),
    ("near_poor",   300, 9600),
    ("students",   2000, 9800),
    ("agri_avg",    400, 8500),
    ("household",  4100, None),   # coverage absorbs the remainder
]

def read_communes(path):
    names, census_pop = census.read_district_communes(path, PROVINCE, DISTRICT, N_COMMUNES,
                                                      CENSUS_TOTAL)
    for n in SINGLED_OUT:
        assert n in names, "singled-out unit not in the census: " + n
    return names, census_pop


def main(argv):
    src, dst = census.args(argv, DEFAULT_IN, DEFAULT_OUT)
    names, census_pop = read_communes(src)

    # ---- populations ---------------------------------------------------------
    total = census.grow(CENSUS_TOTAL, GROWTH[0], GROWTH[1], YEARS[0], YEARS[1])
    assert total == DISTRICT_POP, total
    pops = largest_remainder(census_pop, DISTRICT_POP)
    assert sum(pops) == DISTRICT_POP

    # ---- insured ---------------------------------------------------------------
    district_ins = census.nearest_insured(DISTRICT_POP, DISTRICT_COV_H)
    ins = [round_half_up(SINGLED_OUT[n] * N, 10000) if n in SINGLED_OUT else None
           for n, N in zip(names, pops)]
    ins = census.share_rest(ins, pops, district_ins)

    # ---- commune-level checks --------------------------------------------------
    assert sum(ins) == district_ins
    assert cov_h(district_ins, DISTRICT_POP) == DISTRICT_COV_H
    for n, N, I in zip(names, pops, ins):
        assert 0 < N and 0 <= I <= N
        below = I * DISTRICT_POP < district_ins * N      # exact comparison
        if n in SINGLED_OUT:
            # the nearest whole person to N x the assumed coverage
            assert abs(10000 * I - SINGLED_OUT[n] * N) <= 5000, (n, N, I)
            assert SINGLED_LO_H <= cov_h(I, N) <= SINGLED_HI_H, (n, N, I)
            assert below, n
        else:
            assert not below and cov_h(I, N) > DISTRICT_COV_H, (n, N, I)
        # every unit is below the 95.5% target (coverage "rising very slowly")
        assert 10000 * I < TARGET_H * N, (n, N, I)

    # ---- group split -------------------------------------------------------------
    rows = census.group_rows(GROUPS, names, pops, ins, DISTRICT, PROVINCE)
    assert len(rows) == N_COMMUNES * len(GROUPS)
    assert sum(r[4] for r in rows) == DISTRICT_POP
    assert sum(r[5] for r in rows) == district_ins
    # in every commune the household group is below the commune's coverage,
    # and it holds most of the commune's uninsured
    for k in range(0, len(rows), len(GROUPS)):
        block = rows[k:k + len(GROUPS)]
        hh = [r for r in block if r[3] == "household"][0]
        cn = sum(r[4] for r in block)
        ci = sum(r[5] for r in block)
        assert hh[5] * cn < ci * hh[4], hh
        assert 2 * (hh[4] - hh[5]) > cn - ci, hh

    census.write_csv(dst, rows)

    # ---- report ----------------------------------------------------------------
    print("census 2019 total %d -> 30/9/2023 total %d (0.5%%/year over 4.5 years)"
          % (CENSUS_TOTAL, DISTRICT_POP))
    print("%-20s %7s %7s %7s %8s  %s" % ("commune", "census", "pop", "insured", "coverage", "note"))
    for n, c, N, I in zip(names, census_pop, pops, ins):
        note = "singled out in the document" if n in SINGLED_OUT else ""
        print("%-20s %7d %7d %7d %s  %s" % (n, c, N, I, fmt_cov(cov_h(I, N)), note))
    print("%-20s %7d %7d %7d %s" % ("district", CENSUS_TOTAL, DISTRICT_POP, district_ins,
                                    fmt_cov(cov_h(district_ins, DISTRICT_POP))))
    census.print_group_table(census.group_totals(rows, [g[0] for g in GROUPS]))
    need = max(0, ceil_div(TARGET_H * DISTRICT_POP - 10000 * district_ins, 10000))
    print("cards needed for 95.5%%: %d" % need)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
