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

import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.normpath(os.path.join(HERE, ".."))
DEFAULT_IN = os.path.join(DATA_DIR, "raw", "target_districts_census2019_communes.csv")
DEFAULT_OUT = os.path.join(DATA_DIR, "yen-the-2017.csv")

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

HEADER = ["commune", "district", "province", "group", "population", "insured"]


def round_half_up(num, den):
    """Nearest integer to num/den (num, den >= 0, den > 0), halves up."""
    return (2 * num + den) // (2 * den)


def cov_h(insured, pop):
    """Coverage in hundredths of a percent, rounded half up (93.80% -> 9380)."""
    return round_half_up(10000 * insured, pop)


def ceil_div(num, den):
    return -((-num) // den)


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
    # "Xã Bố Hạ" and "Thị trấn Bố Hạ" are two units; without the "Xã "
    # prefix they are "Bố Hạ" and "Thị trấn Bố Hạ", still distinct
    assert len(set(names)) == len(names)
    assert "Bố Hạ" in names and "Thị trấn Bố Hạ" in names
    assert sum(census) == CENSUS_TOTAL
    for n in DOC_NAMED:
        assert n in names, "named commune not in the census: " + n
    for doc, cen in SPELLING.items():
        assert doc not in names and cen in names
    return names, census


def main(argv):
    src = argv[1] if len(argv) > 1 else DEFAULT_IN
    dst = argv[2] if len(argv) > 2 else DEFAULT_OUT
    names, census = read_communes(src)

    # ---- populations and insured by commune ----------------------------------
    pops = largest_remainder(census, DISTRICT_POP)
    ins = [None] * len(names)
    for i, n in enumerate(names):
        if n in DOC_NAMED:
            ins[i] = round_half_up(NAMED_COV_H * pops[i], 10000)
    rest = [i for i in range(len(names)) if ins[i] is None]
    remaining = DISTRICT_INSURED - sum(x for x in ins if x is not None)
    for i, v in zip(rest, largest_remainder([pops[i] for i in rest], remaining)):
        ins[i] = v

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
        # students below 100% in every commune
        st = [x for x in groups if x[0] == "students"][0]
        assert st[2] < st[1], (n, st)
    assert len(rows) == N_COMMUNES * len(GROUPS)
    assert sum(r[4] for r in rows) == DISTRICT_POP
    assert sum(r[5] for r in rows) == DISTRICT_INSURED
    # district: students below 100% (about 97%); household + agri_avg hold
    # most (over two thirds) of the uninsured
    sn, si = gtot["students"]
    assert si < sn and abs(cov_h(si, sn) - 9700) <= 5, (sn, si)
    unins = DISTRICT_POP - DISTRICT_INSURED
    hh_agri = sum(gtot[g][0] - gtot[g][1] for g in ("household", "agri_avg"))
    assert 3 * hh_agri > 2 * unins, (hh_agri, unins)

    with open(dst, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)

    # ---- report ----------------------------------------------------------------
    print("wrote %s (%d rows)" % (os.path.relpath(dst), len(rows)))
    print("census 2019 total %d scaled to the document's 30/9/2017 total %d"
          % (CENSUS_TOTAL, DISTRICT_POP))
    print("%-20s %7s %7s %7s %8s  %s" % ("commune", "census", "pop", "insured", "coverage", "note"))
    for n, c, N, I in zip(names, census, pops, ins):
        h = cov_h(I, N)
        note = "named in the document (peak month)" if n in DOC_NAMED else ""
        print("%-20s %7d %7d %7d %5d.%02d%%  %s" % (n, c, N, I, h // 100, h % 100, note))
    h = cov_h(DISTRICT_INSURED, DISTRICT_POP)
    print("%-20s %7d %7d %7d %5d.%02d%%" % ("district", CENSUS_TOTAL, DISTRICT_POP,
                                            DISTRICT_INSURED, h // 100, h % 100))
    print("%-12s %7s %7s %8s %9s" % ("group", "pop", "insured", "coverage", "uninsured"))
    for g, _, _ in GROUPS:
        gn, gi = gtot[g]
        h = cov_h(gi, gn)
        print("%-12s %7d %7d %5d.%02d%% %9d" % (g, gn, gi, h // 100, h % 100, gn - gi))
    print("uninsured %d, of which household + agri_avg %d" % (unins, hh_agri))
    for t in (9800,):
        need = max(0, ceil_div(t * DISTRICT_POP - 10000 * DISTRICT_INSURED, 10000))
        print("cards needed for %d%%: %d" % (t // 100, need))
    print("cards needed for 100%% of students: %d" % (sn - si))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
