"""How fast is ``bandits.simulate("thompson", ...)``? Run: ``python benchmarks/bench_bandits.py``.

Compares, per simulated run of 10,000 rounds on the lesson's four feed layouts:

- a per-run loop written the way popular tutorials write it: a class holding its Beta
  parameters in dicts, ``np.random.beta`` once per arm per round, one run at a time;
- ``bandits.simulate("thompson", ...)`` over 1,000 runs, vectorised over runs;
- the floor: drawing the same Beta samples alone (one (runs, arms) array per round, with the
  parameters each run had in that round), nothing else computed.

Targets: within 1.5 times of the floor (the Beta draws are most of the work), and at least
10 times faster per run than the loop.
"""

from __future__ import annotations

import time

import numpy as np

from labsupport import bandits

MEANS = (0.30, 0.35, 0.40, 0.45)
HORIZON, N_RUNS = 10_000, 1_000


class TutorialThompson:
    """The tutorial version: dicts of successes and failures, one arm chosen per call."""

    def __init__(self, n_arms):
        self.alpha = {arm: 1 for arm in range(n_arms)}
        self.beta = {arm: 1 for arm in range(n_arms)}

    def select_arm(self):
        samples = {arm: np.random.beta(self.alpha[arm], self.beta[arm]) for arm in self.alpha}
        return max(samples, key=samples.get)

    def update(self, arm, reward):
        self.alpha[arm] += reward
        self.beta[arm] += 1 - reward


def loop_run(means, horizon):
    agent, best, regret = TutorialThompson(len(means)), max(means), 0.0
    for _ in range(horizon):
        arm = agent.select_arm()
        reward = int(np.random.random() < means[arm])
        agent.update(arm, reward)
        regret += best - means[arm]
    return regret


def draws_only(res, chunk=500):
    """Seconds to draw the Beta samples the bandit drew: each round, one (runs, arms) array with the
    parameters the runs had in that round (rebuilt from the logged arms and rewards; only the draws
    are timed)."""
    k = res.pulls.shape[1]
    rng = np.random.default_rng(1)
    alpha, beta = np.ones((res.n_runs, k)), np.ones((res.n_runs, k))
    seconds = 0.0
    for start in range(0, res.horizon, chunk):
        played = res.arms[:, start:start + chunk, None] == np.arange(k)        # (runs, chunk, arms)
        wins = played & (res.rewards[:, start:start + chunk, None] == 1)
        a = alpha[:, None, :] + np.cumsum(wins, axis=1) - wins                  # before each round
        b = beta[:, None, :] + np.cumsum(played & ~wins, axis=1) - (played & ~wins)
        a, b = np.ascontiguousarray(a.transpose(1, 0, 2)), np.ascontiguousarray(b.transpose(1, 0, 2))
        tic = time.perf_counter()
        for t in range(a.shape[0]):
            rng.beta(a[t], b[t])
        seconds += time.perf_counter() - tic
        alpha, beta = a[-1] + wins[:, -1], b[-1] + (played & ~wins)[:, -1]
    return seconds


def best_of(fn, repeats):
    best = np.inf
    for seed in range(repeats):
        start = time.perf_counter()
        fn(seed)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    loop_runs = 3
    loop = best_of(lambda seed: [loop_run(MEANS, HORIZON) for _ in range(loop_runs)], 1) / loop_runs
    result = {}

    def vectorised(seed):
        result["last"] = bandits.simulate("thompson", MEANS, HORIZON, N_RUNS, rng=seed)

    vec = best_of(vectorised, 3) / N_RUNS
    res = result["last"]
    floor = draws_only(res) / N_RUNS
    print(f"Thompson sampling, {len(MEANS)} arms, {HORIZON:,} rounds; milliseconds per simulated run "
          f"(vectorised: {N_RUNS:,} runs at once)")
    print(f"{'method':<46}{'ms / run':>10}{'vs vectorised':>16}")
    for name, t in (("tutorial loop (dict state, np.random.beta)", loop),
                    ("bandits.simulate('thompson') (vectorised)", vec),
                    ("the same Beta draws alone (floor)", floor)):
        print(f"{name:<46}{1e3 * t:>10.3f}{t / vec:>15.2f}x")
    print(f"\nspeed-up over the loop: {loop / vec:,.0f}x (target >= 10x)")
    print(f"cost over the Beta-sampling floor: {vec / floor:.2f}x (target <= 1.5x)")
    print(f"mean final regret: vectorised {res.regret[:, -1].mean():.1f}")


if __name__ == "__main__":
    main()
