"""Power, sample size, minimum detectable effect and duration for two-arm tests.

All tests are two-sided at level ``alpha``. ``ratio`` is n_treatment / n_control;
sample sizes are returned for the control arm (the treatment arm gets
``ceil(ratio * n)``), so with the default ``ratio=1`` they are per arm.

Three conventions for proportions, which give different answers:

``pooled``    R's ``power.prop.test``: pooled variance under H0, unpooled under H1.
``unpooled``  unpooled variance under both hypotheses (the simple Wald formula).
``arcsine``   Cohen's h = 2 asin(sqrt p_t) - 2 asin(sqrt p_c), as statsmodels'
              ``NormalIndPower`` with ``proportion_effectsize``.

Power counts both rejection tails (R's ``strict=TRUE``, statsmodels). Sample
sizes use the closed form that ignores the far tail (R's default ``strict=FALSE``);
the far tail is negligible at any power worth planning for.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from . import _validate as v

METHODS = ("pooled", "unpooled", "arcsine")


def _z(alpha, power=None):
    za = stats.norm.ppf(1 - alpha / 2)
    return za if power is None else (za, stats.norm.ppf(power))


def _check_pair(p_control, p_treatment):
    pc = v.probability("p_control", p_control, open_low=True, open_high=True)
    pt = v.probability("p_treatment", p_treatment, open_low=True, open_high=True)
    if np.ndim(pc) or np.ndim(pt):
        raise ValueError("p_control and p_treatment must be single numbers")
    if pc == pt:
        raise ValueError("p_treatment must differ from p_control: there is no effect to detect")
    return pc, pt


def _noise_terms(pc, pt, ratio, method):
    """(null_sd, alt_sd, effect) such that power = Phi((sqrt(n) * effect - z_a * null_sd) / alt_sd)."""
    k = ratio
    if method == "arcsine":
        h = abs(2 * math.asin(math.sqrt(pt)) - 2 * math.asin(math.sqrt(pc)))
        sd = math.sqrt(1 + 1 / k)
        return sd, sd, h
    alt_sd = math.sqrt(pc * (1 - pc) + pt * (1 - pt) / k)
    if method == "unpooled":
        return alt_sd, alt_sd, abs(pt - pc)
    pbar = (pc + k * pt) / (1 + k)
    return math.sqrt(pbar * (1 - pbar) * (1 + 1 / k)), alt_sd, abs(pt - pc)


def sample_size_proportions(p_control, p_treatment, alpha=0.05, power=0.8, ratio=1.0,
                            method="pooled") -> int:
    """Control-arm n (rounded up) for a two-sided two-proportion test to reach ``power``."""
    pc, pt = _check_pair(p_control, p_treatment)
    za, zb = _z(v.unit_open("alpha", alpha), v.unit_open("power", power))
    ratio = v.positive("ratio", ratio)
    null_sd, alt_sd, effect = _noise_terms(pc, pt, ratio, v.choice("method", method, METHODS))
    n = ((za * null_sd + zb * alt_sd) / effect) ** 2
    return math.ceil(n - 1e-9)


def power_proportions(p_control, p_treatment, n_per_arm, alpha=0.05, method="pooled",
                      ratio=1.0) -> float:
    """Power of the two-sided two-proportion test with ``n_per_arm`` in the control arm."""
    pc, pt = _check_pair(p_control, p_treatment)
    za = _z(v.unit_open("alpha", alpha))
    n = v.positive("n_per_arm", n_per_arm)
    ratio = v.positive("ratio", ratio)
    null_sd, alt_sd, effect = _noise_terms(pc, pt, ratio, v.choice("method", method, METHODS))
    shift = np.sqrt(n) * effect
    return float(stats.norm.cdf((shift - za * null_sd) / alt_sd)
                 + stats.norm.cdf((-shift - za * null_sd) / alt_sd))


def sample_size_means(delta, sd, alpha=0.05, power=0.8, ratio=1.0) -> int:
    """Control-arm n for a two-sided z test of a difference in means ``delta`` (normal approximation)."""
    delta, sd = v.positive("abs(delta)", abs(delta)), v.positive("sd", sd)
    za, zb = _z(v.unit_open("alpha", alpha), v.unit_open("power", power))
    ratio = v.positive("ratio", ratio)
    n = (za + zb) ** 2 * sd**2 * (1 + 1 / ratio) / delta**2
    return math.ceil(n - 1e-9)


def mde_means(sd, n_per_arm, alpha=0.05, power=0.8, ratio=1.0) -> float:
    """Smallest difference in means detected with ``power`` at ``n_per_arm`` (control arm)."""
    sd, n = v.positive("sd", sd), v.positive("n_per_arm", n_per_arm)
    za, zb = _z(v.unit_open("alpha", alpha), v.unit_open("power", power))
    ratio = v.positive("ratio", ratio)
    return float((za + zb) * sd * math.sqrt((1 + 1 / ratio) / n))


def mde_proportions(p_control, n_per_arm, alpha=0.05, power=0.8, method="pooled",
                    ratio=1.0) -> float:
    """Smallest absolute increase p_t - p_c detected with ``power`` at ``n_per_arm``."""
    pc = v.probability("p_control", p_control, open_low=True, open_high=True)
    v.positive("n_per_arm", n_per_arm)
    v.unit_open("power", power)
    def gap(pt):
        return power_proportions(pc, pt, n_per_arm, alpha, method, ratio) - power
    hi = 1 - 1e-12
    if gap(hi) < 0:
        raise ValueError("n_per_arm is too small: even p_treatment = 1 is not detected with that power")
    return float(optimize.brentq(gap, pc + 1e-12, hi, xtol=1e-12) - pc)


def duration_days(n_per_arm, daily_users, arms=2, traffic=1.0) -> int:
    """Days needed to enrol ``n_per_arm`` units in each of ``arms`` arms.

    ``daily_users`` counts new eligible units per day (returning users do not add
    sample), ``traffic`` the share of them that enters the experiment.
    """
    n = v.positive("n_per_arm", n_per_arm)
    daily = v.positive("daily_users", daily_users)
    arms = v.positive_int("arms", arms, minimum=2)
    traffic = v.probability("traffic", traffic, open_low=True)
    return math.ceil(n * arms / (daily * traffic) - 1e-9)
