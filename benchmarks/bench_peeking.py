"""How fast is ``sequential.simulate_peeking``? Run: ``python benchmarks/bench_peeking.py``.

Compares, per simulated A/A experiment (30 looks of 100 users per arm):

- a plain loop written the way popular tutorials write it: Python lists extended
  look by look and a scipy t test at every look, one experiment at a time;
- ``simulate_peeking``, vectorised over experiments;
- the floor: drawing the same binomial counts alone, with nothing computed on them.

Targets: at least 1000 times faster than the loop, within 2 times of the floor.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import stats

from labsupport import sequential

LOOKS, N_PER_LOOK, P, ALPHA = 30, 100, 0.10, 0.05


def loop_peeking(n_sims, rng):
    """The tutorial version: one experiment at a time, lists and a t test per look."""
    false_positives = 0
    for _ in range(n_sims):
        a, b = [], []
        for _ in range(LOOKS):
            a.extend(rng.binomial(1, P, N_PER_LOOK).tolist())
            b.extend(rng.binomial(1, P, N_PER_LOOK).tolist())
            if stats.ttest_ind(a, b).pvalue < ALPHA:
                false_positives += 1
                break
    return false_positives / n_sims


def draws_only(n_sims, rng):
    """The random numbers simulate_peeking needs, and nothing else."""
    rng.binomial(N_PER_LOOK, P, size=(n_sims, LOOKS))
    rng.binomial(N_PER_LOOK, P, size=(n_sims, LOOKS))


def per_sim_seconds(fn, n_sims, repeats):
    best = np.inf
    for seed in range(repeats):
        rng = np.random.default_rng(seed)
        start = time.perf_counter()
        fn(n_sims, rng)
        best = min(best, time.perf_counter() - start)
    return best / n_sims


def main():
    n_vec = 200_000
    loop = per_sim_seconds(loop_peeking, 200, 1)
    vec = per_sim_seconds(lambda n, rng: sequential.simulate_peeking(n, LOOKS, N_PER_LOOK, P, ALPHA, rng),
                          n_vec, 5)
    floor = per_sim_seconds(draws_only, n_vec, 5)
    print(f"A/A peeking, {LOOKS} looks of {N_PER_LOOK} users per arm; microseconds per simulated experiment")
    print(f"{'method':<40}{'us / sim':>12}{'vs vectorised':>16}")
    for name, t in (("plain loop (lists + scipy t test)", loop),
                    ("simulate_peeking (vectorised)", vec),
                    ("random draws alone (floor)", floor)):
        print(f"{name:<40}{1e6 * t:>12.3f}{t / vec:>15.2f}x")
    print(f"\nspeed-up over the loop: {loop / vec:,.0f}x (target >= 1000x)")
    print(f"cost over the random-number floor: {vec / floor:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
