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

import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.normpath(os.path.join(HERE, ".."))
DEFAULT_IN = os.path.join(DATA_DIR, "raw", "target_districts_census2019_communes.csv")
DEFAULT_OUT = os.path.join(DATA_DIR, "luc-ngan-2021.csv")

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

HEADER = ["commune", "district", "province", "group", "population", "insured", "qd861"]


def round_half_up(num, den):
    """Nearest integer to num/den (num, den >= 0, den > 0), halves up."""
    return (2 * num + den) // (2 * den)


def cov_h(insured, pop):
    """Coverage in hundredths of a percent, rounded half up (93.80% -> 9380)."""
    return round_half_up(10000 * insured, pop)


def iroot(y, q):
    """floor(y ** (1/q)) for integers y >= 0, q >= 1."""
    lo, hi = 0, 1
    while hi ** q <= y:
        hi *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid ** q <= y:
            lo = mid
        else:
            hi = mid
    return lo


def grow(c, num, den, p, q):
    """round(c * (num/den) ** (p/q)), halves up, exactly in integers.
    With x the exact value, X = 2x satisfies X**q = 2**q c**q num**p / den**p,
    and round(x) = floor((X + 1) / 2) = (floor(X) + 1) // 2."""
    y = (2 ** q) * (c ** q) * (num ** p) // (den ** p)
    return (iroot(y, q) + 1) // 2


def largest_remainder(weights, total):
    """Integers proportional to weights summing to total. Ties in the
    remainder go to the earlier item."""
    wsum = sum(weights)
    floors = [w * total // wsum for w in weights]
    rems = [w * total % wsum for w in weights]
    k = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-rems[i], i))
    up = set(order[:k])
    return [f + (1 if i in up else 0) for i, f in enumerate(floors)]


def feasible_insured(pop, target_h):
    """Integers I in [0, pop] with cov_h(I, pop) == target_h."""
    lo = max(0, (target_h * pop) // 10000 - 2)
    hi = min(pop, (target_h * pop) // 10000 + 2)
    return [i for i in range(lo, hi + 1) if cov_h(i, pop) == target_h]


def nearest_insured(pop, target_h):
    cands = feasible_insured(pop, target_h)
    assert cands, ("no integer insured gives", pop, target_h)
    exact = target_h * pop                 # 10000 * exact target count
    return min(cands, key=lambda c: (abs(10000 * c - exact), c))


def short_name(census_name):
    if census_name.startswith("Xã "):
        return census_name[len("Xã "):]
    return census_name


def read_communes(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["district"] == DISTRICT]
    assert len(rows) == N_COMMUNES, "expected %d communes of %s, got %d" % (
        N_COMMUNES, DISTRICT, len(rows))
    for r in rows:
        assert r["province"] == PROVINCE, r
    names = [short_name(r["commune"]) for r in rows]
    census = [int(r["pop_total"]) for r in rows]
    assert len(set(names)) == len(names)
    assert sum(census) == CENSUS_TOTAL
    assert len(set(QD861_COMMUNES)) == 14
    missing = [n for n in QD861_COMMUNES if n not in names]
    assert not missing, "Decision 861 communes not in the census: %s" % missing
    for doc, cen in SPELLING.items():
        assert doc not in names and cen in names
    return names, census


def main(argv):
    src = argv[1] if len(argv) > 1 else DEFAULT_IN
    dst = argv[2] if len(argv) > 2 else DEFAULT_OUT
    names, census = read_communes(src)
    shares = [g[1] for g in GROUPS]
    assert sum(shares) == 10000
    gnames = [g[0] for g in GROUPS]
    SF = gnames.index("state_full")
    HH = gnames.index("household")

    # ---- populations -----------------------------------------------------------
    total = grow(CENSUS_TOTAL, GROWTH[0], GROWTH[1], YEARS[0], YEARS[1])
    assert total == DISTRICT_POP, total
    pops = largest_remainder(census, DISTRICT_POP)

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
    ins_before = nearest_insured(DISTRICT_POP, DISTRICT_COV_H)
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
    for k, g in enumerate(gnames):
        gn = sum(gp[k] for gp in gpop)
        gi = sum(x[k] for x in gins)
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

    with open(dst, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)

    # ---- report ----------------------------------------------------------------
    print("wrote %s (%d rows)" % (os.path.relpath(dst), len(rows)))
    print("census 2019 total %d -> 30/6/2021 total %d (1.0%%/year over 2.25 years)"
          % (CENSUS_TOTAL, DISTRICT_POP))
    print("%-18s %7s %7s %7s %8s %7s %7s" % ("commune", "census", "pop", "insured",
                                           "coverage", "sf_pop", "qd861"))
    for c, n in enumerate(names):
        N = pops[c]
        I = sum(gins[c])
        h = cov_h(I, N)
        print("%-18s %7d %7d %7d %5d.%02d%% %7d %7d" % (n, census[c], N, I, h // 100,
                                                      h % 100, gpop[c][SF], movers[c]))
    h = cov_h(ins_before, DISTRICT_POP)
    print("%-18s %7d %7d %7d %5d.%02d%% %7d %7d" % (
        "district", CENSUS_TOTAL, DISTRICT_POP, ins_before, h // 100, h % 100,
        sum(gp[SF] for gp in gpop), QD861_TOTAL))
    print("%-12s %7s %7s %8s" % ("group", "pop", "insured", "coverage"))
    for k, g in enumerate(gnames):
        gn = sum(gp[k] for gp in gpop)
        gi = sum(x[k] for x in gins)
        h = cov_h(gi, gn)
        print("%-12s %7d %7d %5d.%02d%%" % (g, gn, gi, h // 100, h % 100))
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
