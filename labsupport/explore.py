"""Interactive explorers: sliders over the lessons' formulas, redrawn while you drag.

Each explorer pairs a plain function (tested, fast: well under 100 ms) with a widget that
calls it and redraws a figure::

    from labsupport import explore
    explore.sample_size_explorer()        # lesson 01: baseline, lift, alpha, power -> n and days
    explore.peeking_explorer()            # lesson 02: looks and design -> false positives, bounds
    explore.fwer_explorer()               # lesson 03: tests and correlation -> FWER per procedure
    explore.confidence_sequence_explorer()  # lesson 08: tau^2 -> confidence-sequence width

The widgets need a running kernel (JupyterLab); each lesson keeps its static figure too.

Headless runs (``make test``, ``python -m labsupport execute``) set ``LABSUPPORT_STATIC_EXPLORERS=1``:
an explorer then draws its figure once, at the sliders' starting values, and makes no widget.
nbclient, which executes notebooks without a browser, intermittently hangs on a cell that opens
widget comms (jupyter/nbclient#312; here about 1 run in 30); the static figure is also what a
reader of the committed notebook sees.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps

from . import _validate as v
from . import always_valid, multiple, sequential
from . import power as _power

DESIGNS = ("naive", "pocock", "obf", "ld-obf", "ld-pocock")
PROCEDURES = ("none", "bonferroni", "holm", "hochberg", "bh")
_FWER_SIMS, _FWER_SEED = 4_000, 20261201
STATIC_ENV = "LABSUPPORT_STATIC_EXPLORERS"


@dataclass(frozen=True)
class SamplePlan:
    """Users per arm and days for a two-proportion test (pooled convention, R's power.prop.test)."""

    n_per_arm: int
    days: int
    absolute_lift: float

    def __repr__(self) -> str:
        return f"SamplePlan(n_per_arm={self.n_per_arm:,}, days={self.days}, absolute_lift={self.absolute_lift:.4g})"


def sample_size_plan(baseline, relative_lift, alpha=0.05, power=0.8, daily_users=20_000) -> SamplePlan:
    """Users per arm to detect ``relative_lift`` on ``baseline`` with ``power``, and the days it takes."""
    baseline = v.probability("baseline", baseline, open_low=True, open_high=True)
    lift = float(v.finite("relative_lift", relative_lift))
    if lift == 0 or not 0 < baseline * (1 + lift) < 1:
        raise ValueError(f"relative_lift must be non-zero and keep baseline * (1 + lift) in (0, 1); got {lift}")
    n = _power.sample_size_proportions(baseline, baseline * (1 + lift), alpha, power)
    return SamplePlan(n, _power.duration_days(n, daily_users), baseline * lift)


@dataclass(frozen=True)
class PeekingPlan:
    """A monitoring plan: its z bounds per look and its exact overall false-positive rate."""

    design: str
    bounds: np.ndarray
    false_positive_rate: float

    def __repr__(self) -> str:
        shown = ", ".join(f"{b:.3f}" for b in self.bounds)
        return f"PeekingPlan({self.design}: bounds [{shown}], false_positive_rate={self.false_positive_rate:.4f})"


def peeking_plan(looks, design="naive", alpha=0.05) -> PeekingPlan:
    """Bounds at ``looks`` equally spaced looks and the exact overall false-positive rate.

    ``naive`` tests at the fixed-sample bound every look (Armitage, McPherson & Rowe 1969);
    the group sequential designs are lesson 02's (``sequential.group_sequential_bounds``).
    """
    looks = v.positive_int("looks", looks)
    alpha = v.unit_open("alpha", alpha)
    v.choice("design", design, DESIGNS)
    if design == "naive":
        bounds = np.full(looks, _sps.norm.isf(alpha / 2))
    else:
        bounds = sequential.group_sequential_bounds(looks, alpha, design)
    up, low = sequential.crossing_probabilities(bounds)
    return PeekingPlan(design, bounds, float(up.sum() + low.sum()))


def fwer_by_procedure(m, rho, alpha=0.05) -> dict:
    """Family-wise error rate of each procedure over ``m`` null tests with pairwise correlation ``rho``.

    ``none``, ``bonferroni`` and ``holm`` are exact (one-dimensional integral; under the global
    null Holm rejects exactly when Bonferroni does). ``hochberg`` and ``bh`` are simulated on
    4,000 families from one fixed seed (standard error at most 0.008), so the same sliders
    always show the same numbers.
    """
    m = v.positive_int("m", m)
    rho = float(v.probability("rho", rho))
    alpha = v.unit_open("alpha", alpha)
    exact_bonferroni = _any_rejects(m, rho, alpha / m)
    rates = {"none": _any_rejects(m, rho, alpha), "bonferroni": exact_bonferroni, "holm": exact_bonferroni}
    p = np.sort(multiple.two_sided_pvalues(multiple.equicorrelated_z(_FWER_SIMS, m, rho, _FWER_SEED)), axis=1)
    i = np.arange(1, m + 1)
    rates["hochberg"] = float((p <= alpha / (m - i + 1)).any(axis=1).mean())
    rates["bh"] = float((p <= i * alpha / m).any(axis=1).mean())
    return rates


_U = np.linspace(-10.0, 10.0, 8001)  # a fixed Simpson grid for the common factor
_SIMPSON = np.where(np.arange(_U.size) % 2 == 1, 4.0, 2.0)
_SIMPSON[[0, -1]] = 1.0
_SIMPSON *= (_U[1] - _U[0]) / 3 * _sps.norm.pdf(_U)


def _any_rejects(m, rho, level):
    """P(some |z_i| > z_{level/2}) for m equicorrelated nulls: ``multiple.familywise_error_correlated``
    on a fixed grid, fast enough for a slider (agrees to 1e-9)."""
    if rho == 1:
        return level
    c, s, r = _sps.norm.isf(level / 2), np.sqrt(rho), np.sqrt(1 - rho)
    inside = _sps.norm.cdf((c - s * _U) / r) - _sps.norm.cdf((-c - s * _U) / r)
    return float(1 - _SIMPSON @ inside**m)


def confidence_sequence_width(tau2, sigma2=1.0, alpha=0.05, n_max=10_000, points=200):
    """Half-widths against n: (ns, always-valid confidence sequence, fixed-n confidence interval).

    The sequence is lesson 08's normal mixture (``always_valid.confidence_sequence``) for a
    difference of two means, ``sigma2`` per observation in each arm; the fixed interval is
    z_{alpha/2} sqrt(2 sigma2 / n), valid only at one pre-set n.
    """
    tau2, sigma2 = v.positive("tau2", tau2), v.positive("sigma2", sigma2)
    alpha = v.unit_open("alpha", alpha)
    n_max = v.positive_int("n_max", n_max, minimum=2)
    ns = np.unique(np.geomspace(1, n_max, v.positive_int("points", points, minimum=2)).round()).astype(float)
    low, high = always_valid.confidence_sequence(np.zeros_like(ns), ns, sigma2, tau2, alpha, running=False)
    fixed = _sps.norm.isf(alpha / 2) * np.sqrt(2 * sigma2 / ns)
    return ns, (high - low) / 2, fixed


# --- the widgets: each calls one function above and draws one figure -------------------------

def static() -> bool:
    """True when explorers draw one static figure instead of widgets (headless runs)."""
    return os.environ.get(STATIC_ENV, "") not in ("", "0")


def _interactive(draw, **controls):
    """Widgets over ``draw``, one per control: a dropdown if it has options, else a float or int slider."""
    if static():
        draw(**{name: c["value"] for name, c in controls.items()})
        return None
    import ipywidgets as widgets

    def widget(c):
        kind = widgets.Dropdown if "options" in c else widgets.FloatSlider if isinstance(c["value"], float) \
            else widgets.IntSlider
        return kind(**c)

    return widgets.interactive(draw, **{name: widget(c) for name, c in controls.items()})


def sample_size_explorer(daily_users=20_000):
    """Sliders: baseline, relative lift, alpha, power -> users per arm and days; n against the lift."""
    import matplotlib.pyplot as plt

    def draw(baseline, relative_lift, alpha, power):
        plan = sample_size_plan(baseline, relative_lift, alpha, power, daily_users)
        lifts = np.linspace(0.01, 0.30, 60)
        ns = [sample_size_plan(baseline, lift, alpha, power, daily_users).n_per_arm for lift in lifts]
        fig, ax = plt.subplots(figsize=(7, 3.6))
        ax.plot(lifts * 100, ns, color="0.3")
        ax.plot(relative_lift * 100, plan.n_per_arm, "o", color="C1")
        ax.set(xlabel="relative lift to detect (%)", ylabel="users per arm", yscale="log",
               title=f"{plan.n_per_arm:,} users per arm, {plan.days} days at {daily_users:,} users/day: "
                     "halving the lift quadruples n")
        plt.show()

    return _interactive(draw, baseline=dict(value=0.10, min=0.01, max=0.5, step=0.01, description="baseline"),
                        relative_lift=dict(value=0.05, min=0.01, max=0.30, step=0.01, description="rel. lift"),
                        alpha=dict(value=0.05, min=0.01, max=0.20, step=0.01, description="alpha"),
                        power=dict(value=0.80, min=0.50, max=0.99, step=0.01, description="power"))


def peeking_explorer(alpha=0.05):
    """Sliders: number of looks and design -> the bounds per look and the overall false-positive rate."""
    import matplotlib.pyplot as plt

    def draw(looks, design):
        plan = peeking_plan(looks, design, alpha)
        fig, ax = plt.subplots(figsize=(7, 3.6))
        k = np.arange(1, looks + 1)
        ax.plot(k, plan.bounds, "o-", color="C1", label=f"{design} bound")
        ax.axhline(_sps.norm.isf(alpha / 2), color="0.5", ls="--", label="fixed-sample bound")
        ax.set(xlabel="look", ylabel="|z| needed to stop", ylim=(0, max(5.0, plan.bounds.max() * 1.1)),
               title=f"overall false-positive rate {plan.false_positive_rate:.3f} (alpha = {alpha})")
        ax.legend(loc="upper right", frameon=False)
        plt.show()

    return _interactive(draw, looks=dict(value=5, min=1, max=20, description="looks"),
                        design=dict(options=DESIGNS, value="naive", description="design"))


def fwer_explorer(alpha=0.05):
    """Sliders: number of tests and their correlation -> the family-wise error rate of each procedure."""
    import matplotlib.pyplot as plt

    def draw(m, rho):
        rates = fwer_by_procedure(m, rho, alpha)
        fig, ax = plt.subplots(figsize=(7, 3.6))
        ax.bar(list(rates), list(rates.values()), color=["C3"] + ["C0"] * (len(rates) - 1))
        ax.axhline(alpha, color="0.3", ls="--")
        ax.set(ylabel="family-wise error rate", ylim=(0, 1),
               title=f"{m} null tests, correlation {rho:.2f}: uncorrected {rates['none']:.2f}, "
                     f"corrected <= {alpha}")
        plt.show()

    return _interactive(draw, m=dict(value=10, min=1, max=50, description="tests"),
                        rho=dict(value=0.0, min=0.0, max=0.95, step=0.05, description="correlation"))


def confidence_sequence_explorer(sigma2=1.0, alpha=0.05):
    """Slider: log10 tau^2 -> the confidence sequence's half-width against n, beside the fixed-n interval."""
    import matplotlib.pyplot as plt

    def draw(log10_tau2):
        tau2 = 10.0 ** log10_tau2
        ns, cs, fixed = confidence_sequence_width(tau2, sigma2, alpha)
        best = always_valid.tau2_for_horizon(ns[-1], sigma2, alpha)
        fig, ax = plt.subplots(figsize=(7, 3.6))
        ax.plot(ns, cs, color="C1", label=f"confidence sequence, tau^2 = {tau2:.2g}")
        ax.plot(ns, fixed, color="0.4", ls="--", label="fixed-n interval (one look only)")
        ax.set(xscale="log", yscale="log", xlabel="users per arm", ylabel="half-width",
               title=f"ratio to the fixed-n width at n = {int(ns[-1]):,}: {cs[-1] / fixed[-1]:.2f} "
                     f"(narrowest there at tau^2 = {best:.2g})")
        ax.legend(loc="upper right", frameon=False)
        plt.show()

    return _interactive(draw, log10_tau2=dict(value=-2.0, min=-5.0, max=1.0, step=0.25, description="log10 tau²"))
