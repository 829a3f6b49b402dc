"""Checks for lesson 14, interview prep: the find-the-bug tasks (solutions/14_interview_prep_exercises.ipynb).

Each task shows a widely copied buggy snippet; the learner writes the fixed function. A check
calls it on several cases, compares with a reference and, when the answer is off, says which
known wrong fix it matches (the buggy snippet itself, the neighbouring convention, ...).
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy import stats as _sps

from .. import cuped as _cuped
from .. import multiple as _mt
from .. import sequential as _seq
from .. import stats as _stats
from . import BAND_LEVEL, call, describe, expect_array, expect_int, expect_real, fail, task


def _diagnose(got, reference, mistakes, close, what):
    """Stop with the hint of the first known mistake ``got`` matches, or a generic one if it matches none."""
    if close(got, reference):
        return
    for value, hint in mistakes:
        try:
            if close(got, value):
                fail(f"{what}: {hint}")
        except (TypeError, ValueError):
            continue
    fail(f"{what} is off, and it matches none of the usual wrong fixes; re-read the buggy snippet line by line.")


def _num_close(rel=1e-6, abs_tol=0.0):
    def close(a, b):
        return bool(np.isclose(float(a), float(b), rtol=rel, atol=abs_tol))
    return close


def _bool_close(a, b):
    return bool(np.array_equal(np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)))


def _pair(value, what):
    """``value`` is a pair (a tuple or list of two items); returns it."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail(f"{what} should be a pair (two values in a tuple); your function returned {describe(value)}.")
    return value


# ---------------------------------------------------------------------------- task 1: hash()
def _sha_int(text):
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _bucket_ok(unit_id, salt, buckets):
    h = _sha_int(f"{salt}:{unit_id}")
    return {h * buckets >> 64, h % buckets}          # multiply-shift (lesson 05) or modulo: both fine


HASH_CASES = [("user-17", "ranker-v2", 100), ("user-90210", "ranker-v2", 1000), (4242, "button", 10_000),
              ("user-17", "button", 10_000), ("u-3", "feed", 997)]


def _md5_int(text):
    return int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "big")


def _hash_mistakes(unit_id, salt, buckets):
    key = f"{salt}:{unit_id}"
    return [
        ({hash(key) % buckets, hash(key) * buckets >> 64}, "that is Python's built-in hash(): it is salted per "
         "process, so a restart reshuffles every user. Use a cryptographic hash (hashlib.sha256)."),
        (_bucket_ok(salt, unit_id, buckets), "salt and id are swapped: hash the text f\"{salt}:{unit_id}\"."),
        (_bucket_ok(unit_id, "", buckets) | {_sha_int(str(unit_id)) % buckets, _sha_int(str(unit_id)) * buckets >> 64},
         "the salt is missing: without it every experiment splits users the same way."),
        ({_md5_int(key) % buckets, _md5_int(key) * buckets >> 64}, "that is MD5; the course's recipe (lesson 05) "
                                                                    "uses SHA-256."),
        ({int(hashlib.sha256(key.encode()).hexdigest(), 16) % buckets},
         "you took the whole digest; the recipe uses its first 8 bytes (big-endian)."),
    ]


@task("task 1")
def task1(fn):
    got = []
    for unit_id, salt, buckets in HASH_CASES:
        value = call(fn, unit_id, salt, buckets)
        if isinstance(value, np.integer):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            fail(f"the bucket should be a whole number (int); your function returned {describe(value)}.")
        if not 0 <= value < buckets:
            fail(f"bucket({unit_id!r}, {salt!r}, {buckets}) is {value}, outside [0, {buckets}).")
        got.append(value)
    if all(g in _bucket_ok(*case) for g, case in zip(got, HASH_CASES)):
        return "a salted SHA-256 bucket is the same in every process, language and year."
    # a wrong fix is named only when it matches on every case, so a chance coincidence cannot mislead the hint
    per_case = [_hash_mistakes(*case) for case in HASH_CASES]
    for k, (_, hint) in enumerate(per_case[0]):
        if all(g in mistakes[k][0] for g, mistakes in zip(got, per_case)):
            fail(hint)
    fail("your buckets are not the SHA-256 buckets of f\"{salt}:{unit_id}\" (first 8 bytes, big-endian).")


# ---------------------------------------------------------------------------- task 2: ramp-up
RAMP_IDS = [f"user-{i}" for i in range(20_000)]


def _assignment(fn, traffic, salt="feed-ranker"):
    got = call(fn, RAMP_IDS, salt, traffic)
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        fail(f"return an array of -1 (not in the test), 0 (A) or 1 (B) per user; yours is {describe(got)}.")
    if arr.shape != (len(RAMP_IDS),):
        fail(f"return one value per user: shape ({len(RAMP_IDS)},); yours has shape {arr.shape}.")
    if not np.isin(arr, (-1, 0, 1)).all():
        fail("every value must be -1 (not in the test), 0 (A) or 1 (B).")
    return arr.astype(int)


@task("task 2")
def task2(fn):
    n = len(RAMP_IDS)
    low, high = _assignment(fn, 0.1), _assignment(fn, 0.5)
    if not np.array_equal(low, _assignment(fn, 0.1)):
        fail("two calls with the same ids gave different assignments: derive everything from a hash of the id, "
             "never from a random draw.")
    for traffic, arr in ((0.1, low), (0.5, high)):
        lo, hi = _stats.binomial_band(traffic, n, BAND_LEVEL)
        share = np.mean(arr >= 0)
        if not lo <= share <= hi:
            fail(f"at traffic {traffic} {share:.1%} of the users are in the test; expected about {traffic:.0%}. "
                 "Is the traffic argument used?")
        exposed = arr >= 0
        lo, hi = _stats.binomial_band(0.5, int(exposed.sum()), BAND_LEVEL)
        if not lo <= np.mean(arr[exposed] == 1) <= hi:
            fail(f"at traffic {traffic} the exposed users are not split 50/50: the variant seems to use the same "
                 "hash as the traffic gate. Use a second, independent hash (another salt) for the variant.")
    if np.any((low >= 0) & (high < 0)):
        fail("raising traffic from 10% to 50% removed users from the test: ramp-up must only add users.")
    both = (low >= 0) & (high >= 0)
    moved = np.mean(low[both] != high[both])
    if moved > 0:
        fail(f"raising traffic from 10% to 50% switched {moved:.0%} of the already exposed users to the other "
             "variant: the variant must not depend on the traffic level (no `bucket / traffic`).")
    if np.array_equal(high, _assignment(fn, 0.5, salt="another-test")):
        fail("a different salt gave the same assignment: the salt is ignored, so every experiment would split "
             "users the same way.")
    return "ramp-up now only adds users; nobody already exposed changes variant."


# ---------------------------------------------------------------------------- task 3: alpha / sqrt(looks)
LEVEL_CASES = [(3, 0.05), (5, 0.05), (2, 0.01), (4, 0.1)]


@task("task 3")
def task3(fn):
    for looks, alpha in LEVEL_CASES:
        got = expect_real(call(fn, looks, alpha), f"the per-look level for {looks} looks")
        reference = float(2 * _sps.norm.sf(_seq.group_sequential_bounds(looks, alpha, "pocock")[0]))
        mistakes = [
            (alpha / np.sqrt(looks), "that is alpha / sqrt(looks), the buggy rule: it lets the overall level "
                                     "grow above alpha."),
            (alpha / looks, "that is Bonferroni: it holds alpha but is conservative, because the looks are "
                            "correlated; solve for the exact Pocock level instead."),
            (1 - (1 - alpha) ** (1 / looks), "that is a Sidak level: it treats the looks as independent and "
                                             "falls short of alpha overall."),
            (alpha, "that is no correction at all."),
            (reference / 2, "that is a one-sided level; the per-look level asked for is two-sided."),
        ]
        _diagnose(got, reference, mistakes, _num_close(rel=1e-3), f"for {looks} looks at alpha = {alpha}, "
                  "your level")
    return "a constant per-look level that holds the overall alpha exactly is Pocock's."


# ---------------------------------------------------------------------------- task 4: z_beta = 1.28
SIZE_CASES = [(0.10, 0.11, 0.05, 0.8), (0.10, 0.11, 0.05, 0.9), (0.05, 0.055, 0.01, 0.8), (0.30, 0.33, 0.1, 0.95)]


def _n_unpooled(p_a, p_b, z_a, z_b, rounding=np.ceil):
    return int(rounding((z_a + z_b) ** 2 * (p_a * (1 - p_a) + p_b * (1 - p_b)) / (p_b - p_a) ** 2))


@task("task 4")
def task4(fn):
    for p_a, p_b, alpha, power in SIZE_CASES:
        got = call(fn, p_a, p_b, alpha, power)
        if isinstance(got, (float, np.floating)) and float(got).is_integer():
            got = int(got)
        z_a, z_b = _sps.norm.isf(alpha / 2), _sps.norm.ppf(power)
        reference = _n_unpooled(p_a, p_b, z_a, z_b)
        what = f"n per arm for {p_a} -> {p_b} at alpha = {alpha}, power = {power}"
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            fail(f"{what} should be a whole number (int); your function returned {describe(got)}.")
        got = int(got)
        if got == reference:
            continue
        mistakes = [
            (_n_unpooled(p_a, p_b, z_a, 1.28), "z_beta is still 1.28, which is 90% power; take z_beta from "
                                               "the power argument (norm.ppf(power))."),
            (_n_unpooled(p_a, p_b, z_a, 0.84), "z_beta is hard-coded at 0.84 (80% power): use the power argument."),
            (_n_unpooled(p_a, p_b, 1.96, z_b), "z_alpha is hard-coded at 1.96: use the alpha argument."),
            (_n_unpooled(p_a, p_b, _sps.norm.isf(alpha), z_b), "that z_alpha is one-sided; the test is two-sided "
                                                               "(alpha / 2 in each tail)."),
            (_n_unpooled(p_a, p_b, z_a, z_b, np.floor), "round UP: a fractional user rounds to one more user."),
        ]
        for value, hint in mistakes:
            if got == value:
                fail(f"{what}: {hint}")
        expect_int(got, reference, what=what, hint="use the unpooled formula of the snippet, rounded up.")
    return "z_beta = norm.ppf(power): 0.84 for 80%, 1.28 for 90%."


# ---------------------------------------------------------------------------- task 5: BH with strict <
BH_CASES = [([0.05, 0.0125, 0.2, 0.025], 0.05),        # p-values on their thresholds k q / m (exact in floats)
            ([0.045, 0.01, 0.04], 0.05),                 # step-up: 0.04 is above its own threshold but rejected
            ([0.3, 0.001, 0.02, 0.6, 0.011, 0.04, 0.9, 0.2], 0.1),
            ([0.5, 0.5, 0.5, 0.5], 0.05), ([0.0125, 0.025, 0.0375, 0.05], 0.05)]


def _bh(p, alpha, strict=False, step_up=True):
    p = np.asarray(p, dtype=float)
    m, order = len(p), np.argsort(p, kind="stable")
    below = p[order] < alpha * np.arange(1, m + 1) / m if strict else p[order] <= alpha * np.arange(1, m + 1) / m
    reject = np.zeros(m, bool)
    if step_up:
        if below.any():
            reject[order[: np.flatnonzero(below).max() + 1]] = True
    else:
        reject[order] = below
    return reject


def _task5_body(fn):
    got = []
    for p, alpha in BH_CASES:
        value = call(fn, np.array(p), alpha)
        try:
            arr = np.asarray(value, dtype=bool)
        except (TypeError, ValueError):
            fail(f"return one True/False per p-value; your function returned {describe(value)}.")
        if arr.shape != (len(p),):
            fail(f"return one True/False per p-value: shape ({len(p)},); yours has shape {arr.shape}.")
        got.append(arr)
    reference = [_bh(p, a) for p, a in BH_CASES]
    if all(map(_bool_close, got, reference)):
        return "BH rejects p_(k) <= k q / m, up to the LARGEST such k."
    mistakes = [
        ([_bh(p, a, strict=True) for p, a in BH_CASES], "a p-value exactly on its threshold k q / m must be "
                                                        "rejected: use <=, not <."),
        ([_bh(p, a, step_up=False) for p, a in BH_CASES], "BH is step-up: reject everything up to the LARGEST k "
                                                          "with p_(k) <= k q / m, even p-values above their own "
                                                          "threshold."),
        ([np.asarray(p) <= a / len(p) for p, a in BH_CASES], "that is Bonferroni, not BH."),
        ([np.asarray(p) <= a * np.arange(1, len(p) + 1) / len(p) for p, a in BH_CASES],
         "compare the SORTED p-values with k q / m, then map back to the input order."),
    ]
    for values, hint in mistakes:
        if all(map(_bool_close, got, values)):
            fail(hint)
    (p, a), = [case for case, g, r in zip(BH_CASES, got, reference) if not _bool_close(g, r)][:1]
    fail(f"for p = {p}, alpha = {a} your rejections differ from BH's: return one True/False per p-value, "
         "in the input order.")


task5 = task("task 5")(_task5_body)


# ---------------------------------------------------------------------------- task 6: guardrail direction
GUARD_CASES = [  # (ci_low, ci_high, tolerance, higher_is_better)
    (-0.030, -0.010, 0.005, True),    # a clear drop of a higher-is-better metric: violated
    (0.010, 0.030, 0.005, True),      # a clear rise of a higher-is-better metric: fine
    (0.010, 0.030, 0.005, False),     # a clear rise of latency: violated
    (-0.030, -0.010, 0.005, False),   # latency down: fine
    (-0.012, -0.002, 0.005, True),    # the drop may be within tolerance: not (yet) a violation
    (-0.020, -0.006, 0.005, True),    # the whole drop is beyond tolerance: violated
    (0.003, 0.004, 0.005, False),     # a rise within tolerance: fine
    (0.006, 0.008, 0.005, False),     # a rise beyond tolerance: violated
    (-0.004, 0.002, 0.005, True),     # no clear change: fine
]


def _violated(low, high, tol, hib):
    return (-high > tol) if hib else (low > tol)


@task("task 6")
def task6(fn):
    got = []
    for low, high, tol, hib in GUARD_CASES:
        value = call(fn, low, high, tol, hib)
        if not isinstance(value, (bool, np.bool_)):
            fail(f"return True (violated) or False; your function returned {describe(value)}.")
        got.append(bool(value))
    reference = [_violated(*c) for c in GUARD_CASES]
    if got == reference:
        return "a guardrail has a direction: harm is a drop for add-to-cart and a rise for latency."
    mistakes = [
        ([c[0] > c[2] for c in GUARD_CASES], "your check only flags increases: a higher-is-better guardrail "
                                             "(add-to-cart) is harmed by a DROP."),
        ([(c[0] > c[2]) or (c[1] < -c[2]) for c in GUARD_CASES], "your check flags any significant change, "
                                                                 "including improvements: flag harm only, in "
                                                                 "the metric's bad direction."),
        ([(c[1] < c[2]) if c[3] else (c[0] > c[2]) for c in GUARD_CASES], "for a higher-is-better metric the "
                                                                         "tolerated drop is -tolerance: compare "
                                                                         "ci_high with -tolerance."),
        ([(-c[0] > c[2]) if c[3] else (c[1] > c[2]) for c in GUARD_CASES], "you flag a violation when only PART "
                                                                           "of the interval lies beyond the "
                                                                           "tolerance; ask for the whole interval."),
    ]
    for value, hint in mistakes:
        if got == value:
            fail(hint)
    wrong = [c for c, g, r in zip(GUARD_CASES, got, reference) if g != r]
    fail(f"{len(wrong)} of {len(GUARD_CASES)} cases are wrong, e.g. ci = [{wrong[0][0]}, {wrong[0][1]}], "
         f"tolerance {wrong[0][2]}, higher_is_better={wrong[0][3]}.")


# ---------------------------------------------------------------------------- task 7: Thompson update
THOMPSON_CASES = [(np.array([1.0, 1.0]), np.array([1.0, 1.0]), 1, 0.45),
                  (np.array([3.5, 2.0, 1.0]), np.array([4.0, 1.5, 1.0]), 0, 0.8),
                  (np.array([2.0, 2.0]), np.array([5.0, 1.0]), 1, 1.0),
                  (np.array([2.0, 2.0]), np.array([5.0, 1.0]), 0, 0.0)]


@task("task 7")
def task7(fn):
    for alpha, beta, arm, reward in THOMPSON_CASES:
        got = _pair(call(fn, alpha.copy(), beta.copy(), arm, reward), "the updated (alpha, beta)")
        ref_a, ref_b = alpha.copy(), beta.copy()
        ref_a[arm] += reward
        ref_b[arm] += 1 - reward
        what = f"after reward {reward} on arm {arm}, your (alpha, beta)"
        for k, (value, ref) in enumerate(((got[0], ref_a), (got[1], ref_b))):
            try:
                arr = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                fail(f"{what}: return two arrays of numbers.")
            if arr.shape != ref.shape:
                fail(f"{what}: each should have shape {ref.shape} (one entry per arm); yours has {arr.shape}.")
        got_a, got_b = (np.asarray(g, dtype=float) for g in got)
        if np.allclose(got_a, ref_a) and np.allclose(got_b, ref_b):
            continue
        others = np.arange(len(alpha)) != arm
        if not (np.allclose(got_a[others], alpha[others]) and np.allclose(got_b[others], beta[others])):
            fail(f"{what}: only the arm that was played is updated.")
        if np.isclose(got_a[arm] - alpha[arm], round(reward)) and not np.isclose(got_a[arm] - alpha[arm], reward):
            fail(f"{what}: the reward was rounded to a click; keep the fraction (or draw a Bernoulli pseudo-click "
                 "from rng, which this deterministic check cannot follow).")
        if np.isclose(got_b[arm] - beta[arm], 1.0) and 0 < reward < 1:
            fail(f"{what}: a fractional reward still adds a WHOLE failure to beta; the posterior mean then drifts "
                 "to r / (r + 1).")
        fail(f"{what} is off: alpha should gain the reward and beta the rest of one trial.")
    return "alpha += r, beta += 1 - r: the posterior mean tracks the mean reward."


# ---------------------------------------------------------------------------- tasks 8 and 9: CUPED
def _cuped_data(seed, n=4_000, effect=0.3, leak=0.5, imbalance=0.0):
    rng = np.random.default_rng(seed)
    pre = rng.gamma(2.0, 1.0, size=(2, n))
    pre[1] += imbalance
    y = 1.0 + 0.8 * pre + rng.normal(0, 1, size=(2, n))
    y[1] += effect
    during = 0.9 * pre + 0.3 * rng.normal(0, 1, size=(2, n))
    during[1] += leak                                    # the treatment moves the in-experiment covariate
    return y[0], pre[0], during[0], y[1], pre[1], during[1]


def _cuped_refs(y_a, x_a, y_b, x_b):
    return [float(_cuped.cuped_effect(y_a, x_a, y_b, x_b, method=m).estimate) for m in ("pooled", "ols", "lin")]


def _theta(y, x):
    return np.cov(y, x)[0, 1] / np.var(x, ddof=1)


def _cuped_wrong(y_a, x_a, y_b, x_b):
    y, x = np.concatenate([y_a, y_b]), np.concatenate([x_a, x_b])
    theta, mean = _theta(y, x), x.mean()
    inverse = np.cov(y, x)[0, 1] / np.var(y, ddof=1)
    return [
        (y_b.mean() - y_a.mean(), "your estimate equals the plain difference in means: with each arm centred at "
                                  "its own mean the adjustment cancels. Centre both arms at the POOLED mean."),
        ((y_b - inverse * (x_b - mean)).mean() - (y_a - inverse * (x_a - mean)).mean(),
         "theta is inverted: it is cov(y, x) / var(x), the slope of y on x."),
        ((y_b + theta * (x_b - mean)).mean() - (y_a + theta * (x_a - mean)).mean(),
         "the sign is flipped: CUPED SUBTRACTS theta (x - mean)."),
    ]


def _close_to_any(got, references, rel=2e-3):
    return any(np.isclose(got, r, rtol=rel, atol=1e-4) for r in references)


@task("task 8")
def task8(fn):
    for seed, leak in ((1, 0.5), (2, 0.8), (3, -0.4)):
        y_a, pre_a, dur_a, y_b, pre_b, dur_b = _cuped_data(seed, leak=leak)
        got = expect_real(call(fn, y_a, pre_a, dur_a, y_b, pre_b, dur_b), "the adjusted effect")
        if _close_to_any(got, _cuped_refs(y_a, pre_a, y_b, pre_b)):
            continue
        if _close_to_any(got, _cuped_refs(y_a, dur_a, y_b, dur_b)):
            fail("you still adjust with the in-experiment covariate: the treatment moved it, so CUPED subtracts "
                 "part of the effect. Use the pre-experiment covariate.")
        if _close_to_any(got, [y_b.mean() - y_a.mean()]):
            fail("that is the unadjusted difference: it is unbiased, but the task is CUPED with the pre-period "
                 "covariate (less variance).")
        for value, hint in _cuped_wrong(y_a, pre_a, y_b, pre_b)[1:]:
            if _close_to_any(got, [value]):
                fail(hint)
        fail("your adjusted effect is off; adjust y with the pre-experiment covariate, one theta for both arms.")
    return "only covariates measured before exposure: the treatment cannot move them."


@task("task 9")
def task9(fn):
    for seed, imbalance in ((4, 0.15), (5, -0.2), (6, 0.1)):
        y_a, x_a, _, y_b, x_b, _ = _cuped_data(seed, leak=0.0, imbalance=imbalance)
        got = expect_real(call(fn, y_a, x_a, y_b, x_b), "the adjusted effect")
        if _close_to_any(got, _cuped_refs(y_a, x_a, y_b, x_b)):
            continue
        for value, hint in _cuped_wrong(y_a, x_a, y_b, x_b):
            if _close_to_any(got, [value]):
                fail(hint)
        fail("your adjusted effect is off; one theta from both arms, the covariate centred at the pooled mean.")
    return "centred at the pooled mean, the adjustment removes the chance imbalance in x."


# ---------------------------------------------------------------------------- task 10: running minimum
def _lambda_paths():
    rng = np.random.default_rng(14)
    return np.exp(np.cumsum(rng.normal(-0.05, 0.6, size=(6, 40)), axis=1))


@task("task 10")
def task10(fn):
    lam = _lambda_paths()
    reference = np.minimum.accumulate(np.minimum(1.0, 1.0 / lam), axis=1)
    for case in (lam, lam[2]):
        ref = reference if case.ndim == 2 else reference[2]
        got = call(fn, case.copy())
        try:
            arr = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.shape == ref.shape and not np.allclose(arr, ref):
            mistakes = [
                (np.minimum(1.0, 1.0 / case), "your p-value can rise again after a rejection: it must be the "
                                              "RUNNING minimum over looks (np.minimum.accumulate)."),
                (np.minimum.accumulate(1.0 / case, axis=-1), "your p-value exceeds 1 at the start: clip 1 / Lambda "
                                                             "at 1."),
                (np.minimum.accumulate(np.minimum(1.0, 1.0 / case), axis=0), "the running minimum goes across runs; "
                                                                             "take it over looks (the last axis)."),
                (np.minimum(1.0, 1.0 / np.minimum.accumulate(case, axis=-1)), "that is 1 / (running minimum of "
                                                                              "Lambda); the p-value uses its running "
                                                                              "MAXIMUM."),
            ]
            for value, hint in mistakes:
                if value.shape == arr.shape and np.allclose(arr, value):
                    fail(hint)
        expect_array(got, ref, what=f"your p-values for Lambda of shape {case.shape}",
                     hint="return one p-value per look, the same shape as the input.")
    return "a running minimum never rises again, so it agrees with the sequential test."


# ---------------------------------------------------------------------------- task 11: team draft
TD_CASES = [  # rankings of the same items, and the coins (True: A picks first in that round)
    (["a", "b", "c", "d", "e", "f"], ["b", "a", "d", "c", "f", "e"], [True, False, False]),
    (["a", "b", "c", "d", "e", "f"], ["b", "a", "d", "c", "f", "e"], [False, True, True]),
    (["a", "b", "c", "d", "e"], ["e", "d", "c", "b", "a"], [True, True, False]),
    (["x", "y", "z", "w"], ["x", "y", "w", "z"], [False, False]),
    (["p", "q", "r", "s", "t", "u", "v"], ["q", "p", "s", "r", "v", "u", "t"], [True, False, True, True]),
]


def _team_draft(a, b, coins, per_pick=False, lose_turn=False, alternate=False):
    items, teams, shown, ptr, count = [], [], set(), {"A": 0, "B": 0}, {"A": 0, "B": 0}
    rank = {"A": a, "B": b}
    coin_iter, turn = iter(coins), None
    length = len(set(a) | set(b))
    guard = 0
    while len(items) < length and guard < 100:
        guard += 1
        if alternate:
            team = ("A" if coins[0] else "B") if turn is None else ("B" if turn == "A" else "A")
        elif per_pick:
            team = "A" if next(coin_iter, True) else "B"
        elif count["A"] != count["B"]:
            team = "A" if count["A"] < count["B"] else "B"
        else:
            team = "A" if next(coin_iter, True) else "B"
        turn = team
        r = rank[team]
        while ptr[team] < len(r) and r[ptr[team]] in shown:
            if lose_turn:
                break
            ptr[team] += 1
        if lose_turn and ptr[team] < len(r) and r[ptr[team]] in shown:
            ptr[team] += 1
            count[team] += 1
            continue
        if ptr[team] >= len(r):
            break
        item = r[ptr[team]]
        items.append(item)
        teams.append(team)
        shown.add(item)
        count[team] += 1
    return items, teams


@task("task 11")
def task11(fn):
    got = []
    for a, b, coins in TD_CASES:
        pair = _pair(call(fn, list(a), list(b), list(coins)), "the (items, teams) pair")
        items, teams = (list(g) if isinstance(g, (list, tuple, np.ndarray)) else g for g in pair)
        if not isinstance(items, list) or not isinstance(teams, list):
            fail("return (items, teams): two lists.")
        got.append((items, teams))
    reference = [_team_draft(a, b, coins) for a, b, coins in TD_CASES]
    if got == reference:
        return "a fair coin each round, and a skipped duplicate never costs a turn."
    mistakes = [
        (dict(alternate=True), "you flip one coin and then alternate strictly; team-draft flips a new coin at the "
                               "start of EVERY round."),
        (dict(lose_turn=True), "a team whose next item was already shown lost its turn; it must skip to its next "
                               "unshown item."),
        (dict(per_pick=True), "you used one coin per pick; a coin decides only who picks FIRST in a round, then "
                              "the other team picks."),
    ]
    for options, hint in mistakes:
        if got == [_team_draft(a, b, coins, **options) for a, b, coins in TD_CASES]:
            fail(hint)
    k = next(i for i, (g, r) in enumerate(zip(got, reference)) if g != r)
    a, b, coins = TD_CASES[k]
    if len(got[k][0]) != len(reference[k][0]) or len(got[k][1]) != len(got[k][0]):
        fail(f"for rankings {a} and {b}: the interleaved list should hold every item once "
             f"({len(reference[k][0])} items), with one team per position.")
    fail(f"for rankings {a} and {b} with coins {coins}: your list or its teams differ from team-draft's.")


# ---------------------------------------------------------------------------- task 12: SRM check, goal only
SRM_CASES = [([50_120, 49_880], (0.5, 0.5)), ([821_588, 815_482], (0.5, 0.5)), ([20_150, 9_850], (2 / 3, 1 / 3)),
             ([10_240, 10_010, 9_750], (1 / 3, 1 / 3, 1 / 3)), ([9_800, 30_400, 10_000], (0.2, 0.6, 0.2))]


def _srm_p(counts, weights, df=None, correction=0.0):
    counts = np.asarray(counts, dtype=float)
    expected = counts.sum() * np.asarray(weights, dtype=float)
    chi2 = (np.maximum(np.abs(counts - expected) - correction, 0) ** 2 / expected).sum()
    return float(_sps.chi2.sf(chi2, len(counts) - 1 if df is None else df))


@task("task 12")
def task12(fn):
    for counts, weights in SRM_CASES:
        got = expect_real(call(fn, list(counts), weights), f"the SRM p-value for {counts}")
        shares = np.asarray(counts, dtype=float) / sum(counts)
        k = len(counts)
        mistakes = [
            (_srm_p(100 * shares, weights), "you tested percentages: the chi-square needs the COUNTS, whose size "
                                            "is the evidence."),
            (_srm_p(shares, weights), "you tested shares: the chi-square needs the COUNTS."),
            (_srm_p(counts, np.full(k, 1 / k)), "the expected counts must use the PLANNED weights, not an equal split."),
            (_srm_p(counts, weights, df=k), "check the degrees of freedom: number of arms minus one."),
            (_srm_p(counts, weights, correction=0.5), "that is Yates' continuity correction; use Pearson's statistic."),
            (1 - _srm_p(counts, weights), "that is the lower tail; the p-value is the upper tail."),
        ]
        _diagnose(got, _srm_p(counts, weights), mistakes, _num_close(rel=1e-6, abs_tol=1e-12),
                  f"for counts {counts} and weights {tuple(round(w, 3) for w in weights)}, your p-value")
    return "counts, planned weights, k - 1 degrees of freedom: 821,588 vs 815,482 is an SRM; 5,020 vs 4,980 is not."

