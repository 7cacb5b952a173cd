#!/usr/bin/env python3
"""Build scenarios/data/luc-ngan-2021.csv, the example snapshot of Huyện Lục
Ngạn (Tỉnh Bắc Giang) at the end of June 2021, just before Decision
861/QĐ-TTg took effect (1 July 2021).

Usage:
    /usr/bin/python3 scenarios/data/tools/make_luc_ngan.py [CENSUS_CSV [OUT_CSV]]

CENSUS_CSV defaults to scenarios/data/raw/target_districts_census2019_communes.csv
(an unchanged copy of the GSO Census 2019 extract), OUT_CSV to
scenarios/data/luc-ngan-2021.csv. Standard library only; integer arithmetic
only; the output is deterministic (same input -> same bytes).

The file has one column more than the other snapshots, `qd861`: the number
of people of that commune and group who lose their free (state-paid) card
under Decision 861/QĐ-TTg on 1 July 2021.

Sources and assumptions (see scenarios/data/README.md for the full text):
  * Lục Ngạn District Party Standing Committee, Directive No. 05-CT/HU of
    2 August 2021: coverage above 99% in June 2021; from 1 July 2021 46,106
    people in 14 named communes no longer get free cards (Decision
    861/QĐ-TTg of 4 June 2021); coverage 87.21% on 24 July 2021.
  * Commune populations: GSO Census 1/4/2019, brought to 30/6/2021 with an
    ASSUMED growth of 1.0% a year compounded over 2.25 years (one factor for
    every commune), integers by largest remainder.
  * ASSUMPTIONS: district coverage 99.20% at the end of June 2021; the split
    of the 46,106 over the 14 communes (in proportion to population); group
    shares and group coverages. All stated in the constants below.
"""

import sys

sys.dont_write_bytecode = True   # keep __pycache__ out of the source tree
import census  # noqa: E402  (scenarios/data/tools/census.py)
from census import cov_h, round_half_up, largest_remainder, fmt_cov  # noqa: E402

DEFAULT_IN = census.TARGET_DISTRICTS_CSV
DEFAULT_OUT = census.data_path("luc-ngan-2021.csv")

PROVINCE = "Tỉnh Bắc Giang"
DISTRICT = "Huyện Lục Ngạn"
N_COMMUNES = 30
CENSUS_TOTAL = 226540         # sum of the 30 census populations, 1/4/2019

# ASSUMPTION. Growth from the census (1 April 2019) to the snapshot
# (30 June 2021, 2.25 years): 1.0% a year, compounded. The district total is
# round(CENSUS_TOTAL * (101/100) ** (9/4)), computed exactly in integers.
GROWTH = (101, 100)           # yearly factor as a fraction
YEARS = (9, 4)                # 2.25 years as a fraction
DISTRICT_POP = 231669         # asserted against the computation

# ASSUMPTION. District coverage at the end of June 2021 (hundredths of a
# percent). The document says "above 99%".
DISTRICT_COV_H = 9920

# From the document: 46,106 people in these 14 communes lose their free card
# on 1 July 2021; coverage on 24 July 2021 was 87.21%. The names are the
# document's, except that the document writes "Phì Diền" where the census
# (and the official name) is "Phì Điền".
QD861_TOTAL = 46106
QD861_COMMUNES = ["Biển Động", "Tân Hoa", "Đồng Cốc", "Kim Sơn", "Phì Điền",
                  "Biên Sơn", "Giáp Sơn", "Tân Quang", "Nam Dương", "Tân Lập",
                  "Kiên Thành", "Kiên Lao", "Thanh Hải", "Tân Mộc"]
SPELLING = {"Phì Diền": "Phì Điền"}
AFTER_COV_H = 8721            # 87.21%, 24 July 2021
# The card-keeping probability printed by this script (hundredths), asserted
# so that a change of the inputs that moves it is noticed.
KEEP_H = 40

# ASSUMPTION. Participant groups, in output order: share and coverage (both
# in hundredths of a percent) of the population that is NOT among the
# 46,106 movers; every commune is split this way. In the 14 communes the
# movers (ethnic-minority residents of region-III communes, state-paid until
# 30 June 2021) are then added to the state_full group, so those communes
# have large state_full groups. The household group's insured are the
# district's remaining insured, spread over the communes in proportion to
# their household population (largest remainder), so its coverage is about
# the same everywhere. Not published figures.
GROUPS = [
    # name,        pop share, coverage
    ("employees",   500, 9960),
    ("state_full", 2500, 9990),
    ("near_poor",   500, 9950),
    ("students",   1800, 9950),
    ("agri_avg",    700, 9900),
    ("household",  4000, None),   # coverage absorbs the district remainder
]

HEADER = census.HEADER + ["qd861"]


def read_communes(path):
    names, census_pop = census.read_district_communes(path, PROVINCE, DISTRICT, N_COMMUNES,
                                                      CENSUS_TOTAL)
    assert len(set(QD861_COMMUNES)) == 14
    missing = [n for n in QD861_COMMUNES if n not in names]
    assert not missing, "Decision 861 communes not in the census: %s" % missing
    for doc, cen in SPELLING.items():
        assert doc not in names and cen in names
    return names, census_pop


def main(argv):
    src, dst = census.args(argv, DEFAULT_IN, DEFAULT_OUT)
    names, census_pop = read_communes(src)
    shares = [g[1] for g in GROUPS]
    assert sum(shares) == 10000
    gnames = [g[0] for g in GROUPS]
    SF = gnames.index("state_full")
    HH = gnames.index("household")

    # ---- populations -----------------------------------------------------------
    total = census.grow(CENSUS_TOTAL, GROWTH[0], GROWTH[1], YEARS[0], YEARS[1])
    assert total == DISTRICT_POP, total
    pops = largest_remainder(census_pop, DISTRICT_POP)

    # ---- the 46,106 movers, in proportion to commune population ---------------
    idx861 = [names.index(n) for n in QD861_COMMUNES]
    idx861.sort()
    movers = [0] * len(names)
    for i, v in zip(idx861, largest_remainder([pops[i] for i in idx861], QD861_TOTAL)):
        movers[i] = v
    assert sum(movers) == QD861_TOTAL

    # ---- group populations and the insured of the fixed-coverage groups --------
    gpop = []        # per commune: list of group populations
    gins = []        # per commune: list of insured (household filled below)
    for N, M in zip(pops, movers):
        gp = largest_remainder(shares, N - M)
        gp[SF] += M
        gi = [None if cov is None else round_half_up(cov * n, 10000)
              for (_, _, cov), n in zip(GROUPS, gp)]
        gpop.append(gp)
        gins.append(gi)

    # ---- household insured: the district remainder ------------------------------
    ins_before = census.nearest_insured(DISTRICT_POP, DISTRICT_COV_H)
    fixed = sum(x for gi in gins for x in gi if x is not None)
    hh_total = ins_before - fixed
    hh_pops = [gp[HH] for gp in gpop]
    for gi, v in zip(gins, largest_remainder(hh_pops, hh_total)):
        gi[HH] = v

    # ---- rows and checks -----------------------------------------------------------
    rows = []
    for c, n in enumerate(names):
        assert sum(gpop[c]) == pops[c]
        for k, g in enumerate(gnames):
            N, I = gpop[c][k], gins[c][k]
            q = movers[c] if k == SF else 0
            assert N > 0 and 0 <= I <= N, (n, g, N, I)
            assert 0 <= q <= N and q <= I, (n, g, N, I, q)
            rows.append([n, DISTRICT, PROVINCE, g, N, I, q])
    assert len(rows) == N_COMMUNES * len(GROUPS)
    N_tot = sum(r[4] for r in rows)
    I_tot = sum(r[5] for r in rows)
    assert N_tot == DISTRICT_POP and I_tot == ins_before
    assert cov_h(I_tot, N_tot) == DISTRICT_COV_H
    assert 100 * I_tot > 99 * N_tot                      # "above 99%"
    assert sum(r[6] for r in rows) == QD861_TOTAL
    nz = [(r[0], r[3]) for r in rows if r[6] != 0]
    assert sorted(nz) == sorted((n, "state_full") for n in QD861_COMMUNES), nz
    # every group is near full (>= 98%) over the district
    gtot = census.group_totals(rows, gnames)
    for g, gn, gi in gtot:
        assert 100 * gi >= 98 * gn, (g, gn, gi)

    # ---- the card-keeping probability ----------------------------------------------
    # All 46,106 movers are insured before the event (asserted above: qd861 <=
    # insured); a share `keep` of them keep a valid card. Coverage right after
    # the event is 87.21% when
    #   I_before - (1 - keep) * 46106 = 0.8721 * N
    #   keep = 1 - (I_before - 0.8721 N) / 46106.
    lost_x10000 = 10000 * ins_before - AFTER_COV_H * DISTRICT_POP   # 10000 x lost cards
    assert 0 < lost_x10000 < 10000 * QD861_TOTAL
    den = 10000 * QD861_TOTAL
    keep_h = round_half_up(100 * (den - lost_x10000), den)    # hundredths
    keep_e6 = round_half_up(1000000 * (den - lost_x10000), den)
    assert keep_h == KEEP_H, keep_h
    assert 35 <= keep_h <= 45                                 # "near 0.4"
    lost_at_keep = round_half_up((100 - keep_h) * QD861_TOTAL, 100)
    after = ins_before - lost_at_keep
    after_h = cov_h(after, DISTRICT_POP)
    assert abs(after_h - AFTER_COV_H) <= 10, after_h

    census.write_csv(dst, rows, HEADER)

    # ---- report ----------------------------------------------------------------
    print("census 2019 total %d -> 30/6/2021 total %d (1.0%%/year over 2.25 years)"
          % (CENSUS_TOTAL, DISTRICT_POP))
    print("%-18s %7s %7s %7s %8s %7s %7s" % ("commune", "census", "pop", "insured",
                                           "coverage", "sf_pop", "qd861"))
    for c, n in enumerate(names):
        N = pops[c]
        I = sum(gins[c])
        print("%-18s %7d %7d %7d %s %7d %7d" % (n, census_pop[c], N, I, fmt_cov(cov_h(I, N)),
                                              gpop[c][SF], movers[c]))
    print("%-18s %7d %7d %7d %s %7d %7d" % (
        "district", CENSUS_TOTAL, DISTRICT_POP, ins_before,
        fmt_cov(cov_h(ins_before, DISTRICT_POP)), sum(gp[SF] for gp in gpop), QD861_TOTAL))
    census.print_group_table(gtot)
    print("I_before = %d, N = %d, 0.8721 N = %d.%04d, lost = I_before - 0.8721 N = %d.%04d"
          % (ins_before, DISTRICT_POP, AFTER_COV_H * DISTRICT_POP // 10000,
             AFTER_COV_H * DISTRICT_POP % 10000, lost_x10000 // 10000, lost_x10000 % 10000))
    print("keep = 1 - lost / 46106 = %d.%06d -> %d.%02d"
          % (keep_e6 // 1000000, keep_e6 % 1000000, keep_h // 100, keep_h % 100))
    print("check: with keep = %d.%02d, %d movers lose their card; coverage after "
          "the event %d / %d = %d.%02d%% (document: 87.21%%)"
          % (keep_h // 100, keep_h % 100, lost_at_keep, after, DISTRICT_POP,
             after_h // 100, after_h % 100))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
