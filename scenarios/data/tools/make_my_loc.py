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

import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.normpath(os.path.join(HERE, ".."))
DEFAULT_IN = os.path.join(DATA_DIR, "raw", "target_districts_census2019_communes.csv")
DEFAULT_OUT = os.path.join(DATA_DIR, "my-loc-2023.csv")

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

HEADER = ["commune", "district", "province", "group", "population", "insured"]


def round_half_up(num, den):
    """Nearest integer to num/den (num, den >= 0, den > 0), halves up."""
    return (2 * num + den) // (2 * den)


def cov_h(insured, pop):
    """Coverage in hundredths of a percent, rounded half up (93.80% -> 9380)."""
    return round_half_up(10000 * insured, pop)


def ceil_div(num, den):
    return -((-num) // den)


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
    for n in SINGLED_OUT:
        assert n in names, "singled-out unit not in the census: " + n
    return names, census


def split_groups(pop, insured):
    """Split one commune into the GROUPS; returns [(group, N, I), ...]."""
    shares = [g[1] for g in GROUPS]
    assert sum(shares) == 10000
    gpops = largest_remainder(shares, pop)
    out = []
    used = 0
    for (g, _, cov), n in zip(GROUPS, gpops):
        if cov is None:
            continue
        i = round_half_up(cov * n, 10000)
        out.append((g, n, i))
        used += i
    hh = [k for k, g in enumerate(GROUPS) if g[2] is None]
    assert len(hh) == 1
    k = hh[0]
    out.insert(k, (GROUPS[k][0], gpops[k], insured - used))
    return out


def main(argv):
    src = argv[1] if len(argv) > 1 else DEFAULT_IN
    dst = argv[2] if len(argv) > 2 else DEFAULT_OUT
    names, census = read_communes(src)

    # ---- populations ---------------------------------------------------------
    total = grow(CENSUS_TOTAL, GROWTH[0], GROWTH[1], YEARS[0], YEARS[1])
    assert total == DISTRICT_POP, total
    pops = largest_remainder(census, DISTRICT_POP)
    assert sum(pops) == DISTRICT_POP

    # ---- insured ---------------------------------------------------------------
    district_ins = nearest_insured(DISTRICT_POP, DISTRICT_COV_H)
    ins = [None] * len(names)
    for i, n in enumerate(names):
        if n in SINGLED_OUT:
            ins[i] = round_half_up(SINGLED_OUT[n] * pops[i], 10000)
    rest = [i for i in range(len(names)) if ins[i] is None]
    remaining = district_ins - sum(x for x in ins if x is not None)
    for i, v in zip(rest, largest_remainder([pops[i] for i in rest], remaining)):
        ins[i] = v

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
    rows = []
    gtot = {g[0]: [0, 0] for g in GROUPS}
    for n, N, I in zip(names, pops, ins):
        groups = split_groups(N, I)
        assert [g for g, _, _ in groups] == [g[0] for g in GROUPS]
        assert sum(gn for _, gn, _ in groups) == N
        assert sum(gi for _, _, gi in groups) == I
        for g, gn, gi in groups:
            assert gn > 0 and 0 <= gi <= gn, (n, g, gn, gi)
            rows.append([n, DISTRICT, PROVINCE, g, gn, gi])
            gtot[g][0] += gn
            gtot[g][1] += gi
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

    with open(dst, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)

    # ---- report ----------------------------------------------------------------
    print("wrote %s (%d rows)" % (os.path.relpath(dst), len(rows)))
    print("census 2019 total %d -> 30/9/2023 total %d (0.5%%/year over 4.5 years)"
          % (CENSUS_TOTAL, DISTRICT_POP))
    print("%-20s %7s %7s %7s %8s  %s" % ("commune", "census", "pop", "insured", "coverage", "note"))
    for n, c, N, I in zip(names, census, pops, ins):
        h = cov_h(I, N)
        note = "singled out in the document" if n in SINGLED_OUT else ""
        print("%-20s %7d %7d %7d %5d.%02d%%  %s" % (n, c, N, I, h // 100, h % 100, note))
    h = cov_h(district_ins, DISTRICT_POP)
    print("%-20s %7d %7d %7d %5d.%02d%%" % ("district", CENSUS_TOTAL, DISTRICT_POP,
                                            district_ins, h // 100, h % 100))
    print("%-12s %7s %7s %8s" % ("group", "pop", "insured", "coverage"))
    for g, _, _ in GROUPS:
        gn, gi = gtot[g]
        h = cov_h(gi, gn)
        print("%-12s %7d %7d %5d.%02d%%" % (g, gn, gi, h // 100, h % 100))
    need = max(0, ceil_div(TARGET_H * DISTRICT_POP - 10000 * district_ins, 10000))
    print("cards needed for 95.5%%: %d" % need)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
