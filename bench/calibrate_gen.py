#!/usr/bin/python3
"""calibrate_gen.py — a large totals-only history for timing `covcast
calibrate --population`: C communes (each with a commune_code; every 50th
name is shared by 4 communes, as "Xã Bình Minh" is on the 2025 map) over M
months, and a population file of the same communes in the 6 groups of
models/bhyt.ini. Deterministic (seeded). With --groups, also
history-groups.csv: the same communes reported per group (a group column,
no population file needed).

    /usr/bin/python3 bench/calibrate_gen.py DIR [COMMUNES] [MONTHS] [--groups]
    /usr/bin/time -f "%e %U" ./covcast calibrate DIR/history.csv \\
        --model models/bhyt.ini --population DIR/population.csv --out DIR/fitted.ini
"""
import os
import sys

import numpy as np

GROUPS = ["employees", "state_full", "near_poor", "students", "agri_avg", "household"]


def main():
    groups = "--groups" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--groups"]
    out = args[0]
    C = int(args[1]) if len(args) > 1 else 10000
    M = int(args[2]) if len(args) > 2 else 12
    rng = np.random.default_rng(20250701)
    os.makedirs(out, exist_ok=True)
    names = [f"Xã Bình Minh {c // 200}" if c % 50 == 0 else f"Xã Số {c}" for c in range(C)]
    codes = [f"{10000 + 7 * c:05d}" for c in range(C)]
    N = rng.integers(200, 3000, size=(C, len(GROUPS)))
    cov = np.clip(rng.normal([0.97, 0.99, 0.88, 0.9, 0.55, 0.75], 0.04, size=(C, len(GROUPS))), 0.05, 0.995)
    with open(os.path.join(out, "population.csv"), "w", encoding="utf-8") as f:
        f.write("commune,commune_code,group,population,insured\n")
        for c in range(C):
            for g, name in enumerate(GROUPS):
                f.write(f"{names[c]},{codes[c]},{name},{N[c, g]},{int(N[c, g] * cov[c, g])}\n")
    tot = N.sum(axis=1).astype(float)
    ins = (N * cov).sum(axis=1)
    with open(os.path.join(out, "history.csv"), "w", encoding="utf-8") as f:
        f.write("commune,commune_code,month,population,insured\n")
        for m in range(M):
            tot = tot * (1 + rng.normal(0.001, 0.003, size=C))
            c_now = np.clip(ins / tot + rng.normal(0.002, 0.004, size=C), 0.01, 0.999)
            ins = c_now * tot
            month = f"{2024 + m // 12}-{m % 12 + 1:02d}"
            for c in range(C):
                f.write(f"{names[c]},{codes[c]},{month},{int(tot[c])},{int(ins[c])}\n")
    if not groups:
        return
    tot, ins = N.astype(float), N * cov   # each group on its own course
    with open(os.path.join(out, "history-groups.csv"), "w", encoding="utf-8") as f:
        f.write("commune,commune_code,group,month,population,insured\n")
        for m in range(M):
            tot = tot * (1 + rng.normal(0.001, 0.003, size=tot.shape))
            ins = np.clip(ins / tot + rng.normal(0.002, 0.004, size=tot.shape), 0.01, 0.999) * tot
            month = f"{2024 + m // 12}-{m % 12 + 1:02d}"
            for c in range(C):
                for g, name in enumerate(GROUPS):
                    f.write(f"{names[c]},{codes[c]},{name},{month},{int(tot[c, g])},{int(ins[c, g])}\n")

if __name__ == "__main__":
    main()
