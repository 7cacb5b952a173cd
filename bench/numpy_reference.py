#!/usr/bin/python3
"""NumPy reference benchmark for covcast: the same synthetic province as the C
benchmark, simulated with a straightforward vectorised NumPy implementation.

Synthetic province (the C benchmark must reproduce this exactly; integer
arithmetic, '%' and '//' on non-negative ints, c = commune 0..C-1, g = group 0..G-1):

    N        = 500 + (c*7919 + g*104729) % 3000          population
    I0       = N * (60 + (c+g) % 35) // 100              insured at month 0
    p_enroll = 0.005 + 0.002*g                           monthly P(uninsured -> insured)
    p_lapse  = 0.004 + 0.001*(g % 4)                     monthly P(insured -> uninsured)

Cells are ordered commune-major: cell = c*G + g.

One month (shared/MODEL.md "One month"; no events, no uncertainty):
    U = N - I;  E ~ Binomial(U, p_enroll);  L ~ Binomial(I, p_lapse);  I <- I + E - L

Statistics per month (after that month's update), over replicates:
    coverage_r = sum_cells I / sum_cells N   (district coverage of replicate r)
    mean, and the 5/50/95% quantiles (np.quantile, default linear method).

Output: one machine-readable line on stdout
    numpy_reference draws=<D> seconds=<wall> ns_per_draw=<ns> threads=1
with D = replicates*communes*groups*months*2; the per-month table goes to stderr.
"""
import os

# Single-threaded: set before numpy is imported. (Binomial sampling does not
# use BLAS; OPENBLAS_CORETYPE, if set on this machine, is left alone.)
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import sys
import time

try:
    import numpy as np
except ImportError:
    print("numpy_reference: numpy not available, skipped", file=sys.stderr)
    sys.exit(0)


def province(communes, groups):
    """Return N, I0 (int64) and p_enroll, p_lapse (float64), each shaped (cells,)."""
    c, g = np.meshgrid(np.arange(communes, dtype=np.int64),
                       np.arange(groups, dtype=np.int64), indexing="ij")
    n = 500 + (c * 7919 + g * 104729) % 3000
    i0 = n * (60 + (c + g) % 35) // 100
    p_enroll = 0.005 + 0.002 * g
    p_lapse = 0.004 + 0.001 * (g % 4) + 0.0 * c
    return (n.ravel(), i0.ravel(),
            p_enroll.ravel().astype(np.float64), p_lapse.ravel().astype(np.float64))


def simulate(n, i0, p_enroll, p_lapse, months, replicates, seed, chunk):
    """Return coverage[replicate, month] (float64)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    total_n = n.sum()
    coverage = np.empty((replicates, months))
    for start in range(0, replicates, chunk):
        stop = min(start + chunk, replicates)
        # State: insured count per (replicate, cell), int64.
        insured = np.broadcast_to(i0, (stop - start, i0.size)).copy()
        for m in range(months):
            # Both draws use the state at the start of the month.
            enrolled = rng.binomial(n - insured, p_enroll)   # p broadcasts over rows
            lapsed = rng.binomial(insured, p_lapse)
            insured += enrolled
            insured -= lapsed
            coverage[start:stop, m] = insured.sum(axis=1) / total_n
    return coverage


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--communes", type=int, default=200)
    ap.add_argument("--groups", type=int, default=6)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--replicates", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--chunk", type=int, default=1000,
                    help="replicates simulated at once (bounds memory)")
    a = ap.parse_args()

    n, i0, p_enroll, p_lapse = province(a.communes, a.groups)

    t0 = time.perf_counter()
    coverage = simulate(n, i0, p_enroll, p_lapse, a.months, a.replicates, a.seed, a.chunk)
    mean = coverage.mean(axis=0)
    q05, q50, q95 = np.quantile(coverage, [0.05, 0.50, 0.95], axis=0)
    seconds = time.perf_counter() - t0

    print("month mean q05 q50 q95", file=sys.stderr)
    for m in range(a.months):
        print(f"{m + 1} {mean[m]:.6f} {q05[m]:.6f} {q50[m]:.6f} {q95[m]:.6f}",
              file=sys.stderr)

    draws = a.replicates * a.communes * a.groups * a.months * 2
    print(f"numpy_reference draws={draws} seconds={seconds:.3f} "
          f"ns_per_draw={seconds * 1e9 / draws:.2f} threads=1")


if __name__ == "__main__":
    main()
