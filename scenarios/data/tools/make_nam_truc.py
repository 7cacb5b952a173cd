#!/usr/bin/env python3
"""Build scenarios/data/nam-truc-2018.csv, the example snapshot of Huyện Nam
Trực (Tỉnh Nam Định) at the end of May 2018.

Usage:
    /usr/bin/python3 scenarios/data/tools/make_nam_truc.py [CENSUS_CSV [OUT_CSV]]

CENSUS_CSV defaults to scenarios/data/raw/target_districts_census2019_communes.csv
(an unchanged copy of the GSO Census 2019 extract), OUT_CSV to
scenarios/data/nam-truc-2018.csv. Standard library only; integer arithmetic
only; the output is deterministic (same input -> same bytes).

Sources and assumptions (see scenarios/data/README.md for the full text):
  * Commune populations: GSO Census 1/4/2019, scaled proportionally so that
    the district total is DISTRICT_POP, integers by largest remainder.
  * District totals and the seven named communes' coverage: Nam Trực district
    document No. 674-CV/HU of 4 June 2018 (end of May 2018).
  * Everything else (which three further communes are below average, the
    other communes' coverage, the group shares and group coverages) is an
    assumption, stated in the constants below.
"""

import sys

sys.dont_write_bytecode = True   # keep __pycache__ out of the source tree
import census  # noqa: E402  (scenarios/data/tools/census.py)
from census import (cov_h, ceil_div, largest_remainder,  # noqa: E402
                    largest_remainder_detail, feasible_insured, fmt_cov)

DEFAULT_IN = census.TARGET_DISTRICTS_CSV
DEFAULT_OUT = census.data_path("nam-truc-2018.csv")

PROVINCE = "Tỉnh Nam Định"
DISTRICT = "Huyện Nam Trực"

# District totals at the end of May 2018. Chosen so that the document's
# figures come out exactly: 160613/193766 = 82.89% (rounded), and
# ceil(0.852 * 193766 - 160613) = 4476 cards for 85.2%.
DISTRICT_POP = 193766
DISTRICT_INSURED = 160613

# Coverage of the seven communes named in document 674-CV/HU, in hundredths
# of a percent (79.96% -> 7996). Each commune's insured/population must round
# (half up) to this value at 2 decimals.
NAMED = {
    "Đồng Sơn": 7996,
    "Hồng Quang": 7839,
    "Nam Thái": 7534,
    "Nam Lợi": 8010,
    "Nam Hoa": 8014,
    "Nam Thanh": 8176,
    "Nam Mỹ": 8165,
}

# ASSUMPTION. The document says ten communes are below the district average
# but names only seven. These three further communes are put slightly below
# the average (hundredths of a percent); as for the named communes, the
# insured count is the one nearest the target whose coverage rounds to it.
# The choice of communes and values is arbitrary; no source gives them.
EXTRA_BELOW = {
    "Nam Toàn": 8220,
    "Nam Hải": 8230,
    "Nam Hùng": 8270,
}
# The remaining ten communes share the rest of the district's insured in
# proportion to population (one common coverage rate, largest remainder),
# which puts all of them above the district average.

# ASSUMPTION. Participant groups, in output order: share of the commune's
# population and coverage, both in hundredths of a percent. The household
# group takes the rest of the population, and its coverage absorbs each
# commune's difference so that the commune total is exact. Not published
# figures.
GROUPS = [
    # name,        pop share, coverage
    ("employees",   800, 9800),
    ("state_full", 2500, 9900),
    ("near_poor",   300, 9000),
    ("students",   2000, 9200),
    ("agri_avg",    400, 6000),
    ("household",  4000, None),   # coverage absorbs the remainder
]

def read_communes(path):
    names, census_pop = census.read_district_communes(path, PROVINCE, DISTRICT, 20)
    assert "Thị trấn Nam Giang" in names
    for n in list(NAMED) + list(EXTRA_BELOW):
        assert n in names, n
    assert not set(NAMED) & set(EXTRA_BELOW)
    return names, census_pop


def commune_populations(names, census_pop):
    """Census populations scaled to DISTRICT_POP by largest remainder.

    A named commune whose scaled population admits no integer insured count
    that rounds to its published coverage is moved to the nearest population
    that does (by whole persons); the persons are taken from / given to the
    communes not named in the document, following the largest-remainder
    order. Returns (pops, adjustments) where adjustments lists
    (commune, from, to) for every changed commune."""
    pops, rems, up = largest_remainder_detail(census_pop, DISTRICT_POP)
    wsum = sum(census_pop)
    adjustments = []
    unnamed = [i for i, n in enumerate(names) if n not in NAMED]
    for i, n in enumerate(names):
        if n not in NAMED or feasible_insured(pops[i], NAMED[n]):
            continue
        # exact quota = census*DISTRICT_POP/wsum; pick the feasible population
        # closest to it (ties: the smaller one)
        best = None
        for d in range(1, 50):
            for cand in (pops[i] - d, pops[i] + d):
                if cand > 0 and feasible_insured(cand, NAMED[n]):
                    dist = abs(cand * wsum - census_pop[i] * DISTRICT_POP)
                    if best is None or (dist, cand) < best:
                        best = (dist, cand)
            if best is not None:
                break
        assert best is not None, "no feasible population for " + n
        new = best[1]
        delta = new - pops[i]
        adjustments.append((n, pops[i], new))
        pops[i] = new
        if delta < 0:
            # give the freed persons to the unnamed communes next in line
            # for rounding up (largest remainder, not yet rounded up)
            cands = sorted((j for j in unnamed if j not in up), key=lambda j: (-rems[j], j))
            for j in cands[:-delta]:
                adjustments.append((names[j], pops[j], pops[j] + 1))
                pops[j] += 1
                up.add(j)
        else:
            # take them from the unnamed communes rounded up with the
            # smallest remainder
            cands = sorted((j for j in unnamed if j in up), key=lambda j: (rems[j], j))
            for j in cands[:delta]:
                adjustments.append((names[j], pops[j], pops[j] - 1))
                pops[j] -= 1
                up.discard(j)
    assert sum(pops) == DISTRICT_POP
    return pops, adjustments


def commune_insured(names, pops):
    """The named and the EXTRA_BELOW communes: the insured count nearest their
    coverage that rounds to it; the others share the rest of the district's
    insured in proportion to population (largest remainder)."""
    ins = [None] * len(names)
    for i, n in enumerate(names):
        if n in NAMED:
            ins[i] = census.nearest_insured(pops[i], NAMED[n])
        elif n in EXTRA_BELOW:
            assert feasible_insured(pops[i], EXTRA_BELOW[n]), "pick another coverage for " + n
            ins[i] = census.nearest_insured(pops[i], EXTRA_BELOW[n])
    return census.share_rest(ins, pops, DISTRICT_INSURED)


def main(argv):
    src, dst = census.args(argv, DEFAULT_IN, DEFAULT_OUT)
    names, census_pop = read_communes(src)
    pops, adjustments = commune_populations(names, census_pop)
    ins = commune_insured(names, pops)

    # ---- commune-level checks --------------------------------------------
    assert sum(pops) == DISTRICT_POP
    assert sum(ins) == DISTRICT_INSURED
    assert cov_h(DISTRICT_INSURED, DISTRICT_POP) == 8289
    assert ceil_div(852 * DISTRICT_POP - 1000 * DISTRICT_INSURED, 1000) == 4476
    assert ceil_div(910 * DISTRICT_POP - 1000 * DISTRICT_INSURED, 1000) == 15715
    below = []
    for n, N, I in zip(names, pops, ins):
        assert 0 < N and 0 <= I <= N
        # exact comparison with the district average 160613/193766
        is_below = I * DISTRICT_POP < DISTRICT_INSURED * N
        if n in NAMED:
            assert cov_h(I, N) == NAMED[n], (n, N, I)
            assert is_below
        elif n in EXTRA_BELOW:
            assert cov_h(I, N) == EXTRA_BELOW[n], (n, N, I)
            assert is_below and cov_h(I, N) < 8289, (n, N, I)
        else:
            assert not is_below and cov_h(I, N) > 8289, (n, N, I)
        if is_below:
            below.append(n)
    assert len(below) == 10, below
    # only the documented one-person adjustment may differ from plain
    # largest-remainder scaling
    lr = largest_remainder(census_pop, DISTRICT_POP)
    assert sum(abs(a - b) for a, b in zip(lr, pops)) <= 2 * len(NAMED)

    # ---- group split -------------------------------------------------------
    rows = census.group_rows(GROUPS, names, pops, ins, DISTRICT, PROVINCE)
    assert len(rows) == 20 * len(GROUPS)
    assert sum(r[4] for r in rows) == DISTRICT_POP
    assert sum(r[5] for r in rows) == DISTRICT_INSURED

    census.write_csv(dst, rows)

    # ---- report --------------------------------------------------------------
    for n, a, b in adjustments:
        print("population adjusted: %s %d -> %d" % (n, a, b))
    print("%-20s %7s %7s %8s  %s" % ("commune", "pop", "insured", "coverage", "note"))
    for n, N, I in zip(names, pops, ins):
        note = "named in 674-CV/HU" if n in NAMED else (
            "assumed below average" if n in EXTRA_BELOW else "")
        print("%-20s %7d %7d %s  %s" % (n, N, I, fmt_cov(cov_h(I, N)), note))
    print("%-20s %7d %7d %s" % ("district", DISTRICT_POP, DISTRICT_INSURED,
                                fmt_cov(cov_h(DISTRICT_INSURED, DISTRICT_POP))))
    for t in (852, 910):
        need = max(0, ceil_div(t * DISTRICT_POP - 1000 * DISTRICT_INSURED, 1000))
        print("cards needed for %d.%d%%: %d" % (t // 10, t % 10, need))
    print("below district average (%d): %s" % (len(below), ", ".join(below)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
