"""Shared helpers for the make_*.py scripts that build the example snapshots
in scenarios/data/ (see scenarios/data/README.md).

Not a script: each make_*.py imports it (`import census`) from this folder.
Standard library only; integer arithmetic only, so that every script's output
is deterministic (same input -> same bytes).

Contents:
  * paths: DATA_DIR, RAW_DIR, TARGET_DISTRICTS_CSV (the census extract),
    data_path(), args();
  * integer arithmetic: round_half_up, cov_h, ceil_div, iroot, grow;
  * largest-remainder rounding: largest_remainder, largest_remainder_detail,
    share_rest (fixed values plus a proportional share of the rest);
  * coverage targets: feasible_insured, nearest_insured;
  * the census extract: short_name, read_district_communes;
  * participant groups: split_groups, group_rows, group_totals;
  * output: write_csv, fmt_cov, print_group_table.
"""

import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.normpath(os.path.join(HERE, ".."))
RAW_DIR = os.path.join(DATA_DIR, "raw")
# An unchanged copy of the GSO Census 2019 extract (four districts).
TARGET_DISTRICTS_CSV = os.path.join(RAW_DIR, "target_districts_census2019_communes.csv")

HEADER = ["commune", "district", "province", "group", "population", "insured"]


def data_path(*parts):
    """Path of a file in scenarios/data/ (parts joined as by os.path.join)."""
    return os.path.join(DATA_DIR, *parts)


def args(argv, *defaults):
    """The positional arguments argv[1:], each replaced by its default where
    absent (one default per argument)."""
    return [argv[k + 1] if len(argv) > k + 1 else d for k, d in enumerate(defaults)]


# ---- integer arithmetic ------------------------------------------------------

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


# ---- largest remainder ---------------------------------------------------------

def largest_remainder_detail(weights, total):
    """Integers proportional to weights summing to total. Ties in the
    remainder go to the earlier item. Returns (values, remainders, rounded_up)
    where remainders[i] = weights[i] * total mod sum(weights) and rounded_up
    is the set of indices that were rounded up."""
    wsum = sum(weights)
    floors = [w * total // wsum for w in weights]
    rems = [w * total % wsum for w in weights]
    k = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-rems[i], i))
    up = set(order[:k])
    vals = [f + (1 if i in up else 0) for i, f in enumerate(floors)]
    return vals, rems, up


def largest_remainder(weights, total):
    """Integers proportional to weights summing to total. Ties in the
    remainder go to the earlier item."""
    return largest_remainder_detail(weights, total)[0]


def share_rest(fixed, weights, total):
    """fixed: a list with a value or None per item. The items that are None
    share total minus the fixed values in proportion to their weights (one
    common rate, largest remainder, in list order). Returns the completed
    list (a new list; fixed is not changed)."""
    out = list(fixed)
    rest = [i for i, x in enumerate(out) if x is None]
    remaining = total - sum(x for x in out if x is not None)
    for i, v in zip(rest, largest_remainder([weights[i] for i in rest], remaining)):
        out[i] = v
    return out


# ---- coverage targets ----------------------------------------------------------

def feasible_insured(pop, target_h):
    """Integers I in [0, pop] with cov_h(I, pop) == target_h."""
    lo = max(0, (target_h * pop) // 10000 - 2)
    hi = min(pop, (target_h * pop) // 10000 + 2)
    return [i for i in range(lo, hi + 1) if cov_h(i, pop) == target_h]


def nearest_insured(pop, target_h):
    """The feasible insured count (see feasible_insured) nearest the exact
    pop x target_h / 10000; ties to the smaller."""
    cands = feasible_insured(pop, target_h)
    assert cands, ("no integer insured gives", pop, target_h)
    exact = target_h * pop                 # 10000 * exact target count
    return min(cands, key=lambda c: (abs(10000 * c - exact), c))


# ---- the census extract (raw/target_districts_census2019_communes.csv) --------

def short_name(census_name):
    """The census name without a leading "Xã "."""
    if census_name.startswith("Xã "):
        return census_name[len("Xã "):]
    return census_name


def read_district_communes(path, province, district, n_communes, census_total=None):
    """The communes of one district of the census extract, in file order.
    Returns (names, census): short names (unique, asserted) and the census
    populations (pop_total). Asserts the number of communes, the province and,
    unless census_total is None, the district's census total."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["district"] == district]
    assert len(rows) == n_communes, "expected %d communes of %s, got %d" % (
        n_communes, district, len(rows))
    for r in rows:
        assert r["province"] == province, r
    names = [short_name(r["commune"]) for r in rows]
    census = [int(r["pop_total"]) for r in rows]
    assert len(set(names)) == len(names)
    if census_total is not None:
        assert sum(census) == census_total
    return names, census


# ---- participant groups ----------------------------------------------------------

def split_groups(groups, pop, insured):
    """Split one commune into groups, a list of (name, pop share, coverage)
    with shares and coverages in hundredths of a percent, exactly one coverage
    None. Group populations are pop split by the shares (largest remainder);
    insured are population x coverage rounded half up, and the group with
    coverage None takes the rest of the commune's insured.
    Returns [(group, N, I), ...] in the order of groups."""
    shares = [g[1] for g in groups]
    assert sum(shares) == 10000
    gpops = largest_remainder(shares, pop)
    out = []
    used = 0
    for (g, _, cov), n in zip(groups, gpops):
        if cov is None:
            continue
        i = round_half_up(cov * n, 10000)
        out.append((g, n, i))
        used += i
    hh = [k for k, g in enumerate(groups) if g[2] is None]
    assert len(hh) == 1
    k = hh[0]
    out.insert(k, (groups[k][0], gpops[k], insured - used))
    return out


def group_rows(groups, names, pops, ins, district, province):
    """Output rows [commune, district, province, group, N, I] for every
    commune split by split_groups, communes in the given order. Asserts that
    the groups come in order, add up to the commune's population and insured,
    and that every row has N > 0 and 0 <= I <= N."""
    rows = []
    for n, N, I in zip(names, pops, ins):
        split = split_groups(groups, N, I)
        assert [g for g, _, _ in split] == [g[0] for g in groups]
        assert sum(gn for _, gn, _ in split) == N
        assert sum(gi for _, _, gi in split) == I
        for g, gn, gi in split:
            assert gn > 0 and 0 <= gi <= gn, (n, g, gn, gi)
            rows.append([n, district, province, g, gn, gi])
    return rows


def group_totals(rows, gnames):
    """[(group, population, insured)] summed over rows, in the order gnames."""
    tot = {g: [0, 0] for g in gnames}
    for r in rows:
        tot[r[3]][0] += r[4]
        tot[r[3]][1] += r[5]
    return [(g, tot[g][0], tot[g][1]) for g in gnames]


# ---- output ------------------------------------------------------------------------

def write_csv(dst, rows, header=HEADER):
    """Write the snapshot (UTF-8, no BOM, LF line ends) and print
    "wrote PATH (N rows)"."""
    with open(dst, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print("wrote %s (%d rows)" % (os.path.relpath(dst), len(rows)))


def fmt_cov(h):
    """Coverage in hundredths of a percent for the tables: 9380 -> '   93.80%'."""
    return "%5d.%02d%%" % (h // 100, h % 100)


def print_group_table(totals, width=7, uninsured=False):
    """Print the group totals [(group, population, insured)]: population,
    insured, coverage and, if asked, the number uninsured."""
    head = "%%-12s %%%ds %%%ds %%8s" % (width, width)
    line = "%%-12s %%%dd %%%dd %%s" % (width, width)
    if uninsured:
        print((head + " %9s") % ("group", "pop", "insured", "coverage", "uninsured"))
    else:
        print(head % ("group", "pop", "insured", "coverage"))
    for g, gn, gi in totals:
        if uninsured:
            print((line + " %9d") % (g, gn, gi, fmt_cov(cov_h(gi, gn)), gn - gi))
        else:
            print(line % (g, gn, gi, fmt_cov(cov_h(gi, gn))))
