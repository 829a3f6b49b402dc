"""The capstone's feed experiment: simulated data with planted problems, and the few helpers
its analysis needs that other modules do not have (effect by day of exposure, matured cohorts,
per-segment tests, SRM by segment).

``simulate_experiment(Scenario(...), rng)`` returns one experiment's logs. Users arrive over
``n_days`` days; ``assignment.Experiment`` hashes each id to a variant and to a traffic bucket,
and a user enters when that bucket is below the day's ramp share. Planted problems, each a
field of ``Scenario``: a redirect in one browser that loses treatment users from a given day
(an SRM), a novelty effect on daily clicks that fades with the day of exposure, conversions
that arrive after a delay (late cohorts are immature), a latency guardrail, a second
experiment that overlaps in the same layer, and a covariate measured during the experiment.
All random data come from Generator draws and elementwise arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _sps

from . import _validate as v
from .assignment import BUCKETS, Experiment, bucket_many
from .multiple import adjust_pvalues
from .srm import srm_test

VARIANTS = ("control", "treatment")


@dataclass(frozen=True)
class Scenario:
    """What the simulated experiment holds (rates per user; effects are treatment vs control).

    ``ramp``: traffic share on each day (its length is the number of days). ``lift``: the
    lasting relative lift in daily clicks; ``novelty``: the extra relative lift on the first
    day of exposure, fading as exp(-k / novelty_days) on exposure day k. ``redirect_browser``
    loses a share ``redirect_loss`` of its treatment users from ``redirect_day`` on (None: no
    SRM). Conversions happen with probability ``conversion`` (times ``1 + conversion_lift`` in
    treatment) after a delay uniform on [0, 2 delay_days] (``treatment_delay_days`` in treatment:
    a treatment that only speeds conversions up). ``latency_shift``: relative change of latency in treatment (lower is better).
    ``other_days``: the days [first, last] a second experiment in the same layer runs, on the
    buckets below ``other_share`` of the layer; ``other_effect`` is its relative lift in clicks,
    ``in_other`` marks the users in its treatment, and ``interaction`` is the extra lift
    where both treatments meet. ``segment_lift`` maps a
    country to an extra relative lift there.
    """

    name: str = "feed_ranker"
    users_per_day: int = 4000
    ramp: tuple = (0.1, 0.1, 0.5, 0.5) + (1.0,) * 10
    browsers: tuple = ("chrome", "safari", "firefox", "edge")
    browser_shares: tuple = (0.55, 0.25, 0.12, 0.08)
    countries: tuple = ("us", "uk", "de", "fr", "br", "in", "jp", "mx")
    base_clicks: float = 2.0
    lift: float = 0.03
    novelty: float = 0.15
    novelty_days: float = 2.0
    redirect_browser: str | None = "safari"
    redirect_day: int = 5
    redirect_loss: float = 0.3
    conversion: float = 0.08
    conversion_lift: float = 0.0
    delay_days: float = 3.0
    treatment_delay_days: float = 1.5
    latency_ms: float = 300.0
    latency_shift: float = 0.005
    other_days: tuple | None = (7, 13)
    other_share: float = 0.5
    other_effect: float = 0.02
    interaction: float = 0.0
    segment_lift: tuple = ()

    def __post_init__(self):
        v.positive_int("users_per_day", self.users_per_day, minimum=10)
        if len(self.ramp) < 2:
            raise ValueError(f"ramp must list the traffic share of at least two days; got {self.ramp!r}")
        v.probability("ramp", list(self.ramp), open_low=True)
        shares = v.probability("browser_shares", list(self.browser_shares), open_low=True)
        if len(shares) != len(self.browsers) or not np.isclose(shares.sum(), 1.0):
            raise ValueError("browser_shares must give one share per browser and sum to 1")
        if self.redirect_browser is not None and self.redirect_browser not in self.browsers:
            raise ValueError(f"redirect_browser must be one of {self.browsers} or None; "
                             f"got {self.redirect_browser!r}")
        v.probability("redirect_loss", self.redirect_loss)
        v.positive_int("redirect_day", self.redirect_day + 1)
        v.probability("conversion", self.conversion)
        v.probability("conversion * (1 + conversion_lift)", self.conversion * (1 + self.conversion_lift))
        for arg in ("base_clicks", "novelty_days", "delay_days", "treatment_delay_days", "latency_ms"):
            v.positive(arg, getattr(self, arg))
        if self.other_days is not None and not 0 <= self.other_days[0] <= self.other_days[1]:
            raise ValueError(f"other_days must be (first, last) with 0 <= first <= last; got {self.other_days}")
        v.probability("other_share", self.other_share)
        unknown = [c for c, _ in self.segment_lift if c not in self.countries]
        if unknown:
            raise ValueError(f"segment_lift must name countries in {self.countries}; got {unknown}")

    @property
    def n_days(self) -> int:
        return len(self.ramp)


@dataclass(frozen=True)
class ExperimentData:
    """One experiment's logs: ``users`` (one row per exposed user) and ``clicks`` (users x days,
    NaN before the user's first exposure)."""

    scenario: Scenario
    users: pd.DataFrame
    clicks: np.ndarray

    def __repr__(self) -> str:
        counts = self.users.variant.value_counts()
        return (f"ExperimentData({self.scenario.name!r}: {len(self.users)} users over "
                f"{self.scenario.n_days} days; " + ", ".join(f"{k}={counts.get(k, 0)}" for k in VARIANTS) + ")")


def simulate_experiment(scenario: Scenario, rng) -> ExperimentData:
    """Simulate the experiment described by ``scenario`` (see its docstring)."""
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario must be a Scenario; got {type(scenario).__name__}")
    rng, s = v.as_rng(rng), scenario
    days, per_day = s.n_days, s.users_per_day
    ids = np.array([f"u{d:02d}{i:05d}" for d in range(days) for i in range(per_day)])
    arrival = np.repeat(np.arange(days), per_day)
    exp = Experiment(s.name, {"control": 0.5, "treatment": 0.5})
    variant = exp.assign_many(ids).astype(str)
    in_traffic = bucket_many(ids, f"{exp.salt}:traffic") < np.asarray(s.ramp)[arrival] * BUCKETS
    n = ids.size
    browser = np.asarray(s.browsers)[np.searchsorted(np.cumsum(s.browser_shares), rng.random(n), side="right")
                                     .clip(max=len(s.browsers) - 1)]
    country = np.asarray(s.countries)[rng.integers(len(s.countries), size=n)]
    # the redirect loses treatment users of one browser from redirect_day on: they never log an exposure
    lost = ((variant == "treatment") & (browser == s.redirect_browser) & (arrival >= s.redirect_day)
            & (rng.random(n) < s.redirect_loss))
    propensity = s.base_clicks * rng.gamma(4.0, 0.25, size=n)
    pre_clicks = rng.poisson(14 * propensity) / 14
    treated = variant == "treatment"
    in_other = np.zeros(n, dtype=bool)
    if s.other_days is not None:
        in_other = bucket_many(ids, "other_experiment:layer") < s.other_share * BUCKETS
    day = np.arange(days)  # in_other: the users in the second experiment's treatment
    k = day[None, :] - arrival[:, None]
    other_on = in_other[:, None] & (day[None, :] >= (s.other_days or (days, 0))[0]) \
        & (day[None, :] <= (s.other_days or (0, -1))[1])
    country_lift = np.zeros(n)
    for c, extra in s.segment_lift:
        country_lift[country == c] = extra
    rel = 1 + treated[:, None] * (s.lift + country_lift[:, None] + s.novelty * np.exp(-np.maximum(k, 0) / s.novelty_days))
    rel = rel * (1 + other_on * (s.other_effect + s.interaction * treated[:, None]))
    clicks = rng.poisson(propensity[:, None] * rel).astype(float)
    clicks[k < 0] = np.nan
    converts = rng.random(n) < s.conversion * np.where(treated, 1 + s.conversion_lift, 1.0)
    delay = 2 * rng.random(n) * np.where(treated, s.treatment_delay_days, s.delay_days)
    conversion_time = np.where(converts, arrival + delay, np.inf)
    conversion_time[conversion_time >= days] = np.inf  # not observed by the end of the last day
    latency = s.latency_ms * np.exp(0.3 * rng.standard_normal(n)) * np.where(treated, 1 + s.latency_shift, 1.0)
    # a "covariate" logged during the experiment: clicks in the first exposure day plus noise (it
    # carries the treatment effect; CUPED on it is leakage)
    first_day = clicks[np.arange(n), arrival]
    during = first_day + rng.poisson(7 * propensity) / 7
    keep = in_traffic & ~lost
    users = pd.DataFrame({
        "user_id": ids, "variant": variant, "browser": browser, "country": country,
        "enroll_day": arrival, "pre_clicks": pre_clicks, "during_clicks": during,
        "conversion_time": conversion_time, "latency_ms": latency, "in_other": in_other,
    })[keep].reset_index(drop=True)
    return ExperimentData(s, users, clicks[keep])


# --- helpers for the analysis -------------------------------------------------------------


@dataclass(frozen=True)
class GroupEffects:
    """Welch tests of treatment minus control within groups (exposure days or segments)."""

    labels: tuple
    estimate: np.ndarray
    se: np.ndarray
    p_value: np.ndarray
    n_control: np.ndarray
    n_treatment: np.ndarray

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": self.estimate, "se": self.se, "p_value": self.p_value,
                             "n_control": self.n_control, "n_treatment": self.n_treatment},
                            index=pd.Index(self.labels, name="group")).round(6)

    def __repr__(self) -> str:
        rows = ", ".join(f"{lab}: {e:.4g} (se {s:.2g})" for lab, e, s in zip(self.labels, self.estimate, self.se))
        return f"GroupEffects({rows})"


def welch_by_group(y, treated, masks):
    """Welch t test of mean(y | treated) - mean(y | control) inside each mask, along the last axis.

    ``y`` (..., n), ``treated`` (..., n) bool, ``masks`` (groups, ..., n) bool; NaN in ``y`` is
    excluded. Returns (estimate, se, p_value, n_control, n_treatment), each (groups, ...).
    Vectorised over leading axes, so one call tests many simulated experiments.
    """
    y = np.asarray(y, dtype=float)
    treated = np.asarray(treated, dtype=bool)
    masks = np.asarray(masks, dtype=bool)
    if treated.shape != y.shape or masks.shape[1:] != y.shape:
        raise ValueError(f"treated must have the shape of y {y.shape} and masks (groups,) + that shape; "
                         f"got {treated.shape} and {masks.shape}")
    ok = masks & ~np.isnan(y)
    y0 = np.where(np.isnan(y), 0.0, y)
    out = []
    for arm in (~treated, treated):
        m = ok & arm
        n = m.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (y0 * m).sum(axis=-1) / n
            var = (((y0 - mean[..., None]) ** 2) * m).sum(axis=-1) / (n - 1)
        out.append((n, mean, var))
    (n_a, m_a, v_a), (n_b, m_b, v_b) = out
    if (n_a < 2).any() or (n_b < 2).any():
        raise ValueError("masks must leave at least two users per arm in every group")
    va, vb = v_a / n_a, v_b / n_b
    se = np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    p = 2 * _sps.t.sf(np.abs((m_b - m_a) / se), df)
    return m_b - m_a, se, p, n_a, n_b


def exposure_day_effects(clicks, enroll_day, treated, max_day=None) -> GroupEffects:
    """Effect on daily clicks by day of exposure k = calendar day - enrolment day (k = 0 first).

    A novelty effect shows as an effect that shrinks with k; the calendar-day view mixes
    users at different k and hides it.
    """
    clicks = np.asarray(clicks, dtype=float)
    if clicks.ndim != 2 or np.isinf(clicks).any():
        raise ValueError(f"clicks must be a 2-d array (users x days) without inf; got shape {clicks.shape}")
    enroll = v.counts("enroll_day", enroll_day)
    treated = np.asarray(treated, dtype=bool)
    v.same_length(clicks=clicks, enroll_day=enroll, treated=treated)
    days = clicks.shape[1]
    max_day = days - 1 if max_day is None else v.positive_int("max_day", max_day + 1) - 1
    ks = np.arange(max_day + 1)
    # y[k, i]: user i's clicks on calendar day enroll_i + k (NaN when that day is after the end)
    col = enroll[None, :] + ks[:, None]
    y = np.take_along_axis(clicks.T, np.minimum(col, days - 1), axis=0)
    y[col >= days] = np.nan
    est, se, p, na, nb = (a[0] for a in welch_by_group(y, np.broadcast_to(treated, y.shape),
                                                       np.ones((1,) + y.shape, dtype=bool)))
    return GroupEffects(tuple(int(j) for j in ks), est, se, p, na, nb)


def segment_effects(y, treated, segment, method="holm", alpha=0.05):
    """Welch test in each segment level and ``method``-adjusted p-values across all levels.

    Returns (GroupEffects, adjusted p-values). Testing many segments and reporting the
    best one is fishing: only the adjusted p-values control the chance of a false finding.
    """
    y = v.finite("y", y)
    segment = np.asarray(segment)
    treated = np.asarray(treated, dtype=bool)
    v.same_length(y=y, treated=treated, segment=segment)
    labels = tuple(sorted(pd.unique(segment).tolist()))
    if len(labels) < 2:
        raise ValueError("segment must have at least two levels")
    masks = np.stack([segment == lab for lab in labels])
    est, se, p, na, nb = welch_by_group(y, treated, masks)
    effects = GroupEffects(labels, est, se, p, na, nb)
    return effects, adjust_pvalues(p, method, alpha).adjusted


def srm_by(users: pd.DataFrame, column: str, weights=(0.5, 0.5), threshold=0.001) -> pd.DataFrame:
    """SRM test of the control/treatment counts within each level of ``column`` (a DataFrame
    with columns control, treatment, treatment_share, p_value, mismatch)."""
    if not isinstance(users, pd.DataFrame) or "variant" not in users or column not in users:
        raise ValueError(f"users must be a DataFrame with columns 'variant' and {column!r}")
    counts = (pd.crosstab(users[column], users["variant"]).reindex(columns=list(VARIANTS), fill_value=0))
    res = srm_test(counts.to_numpy(), weights, threshold)
    out = counts.copy()
    out["treatment_share"] = (counts["treatment"] / counts.sum(axis=1)).round(4)
    out["p_value"] = np.atleast_1d(res.p_value)
    out["mismatch"] = np.atleast_1d(res.mismatch)
    return out


def matured(enroll_day, n_days, window):
    """True for users whose ``window``-day conversion window closed by the end of day ``n_days - 1``
    (enroll_day + window <= n_days): only their conversion within the window is fully observed."""
    enroll = v.counts("enroll_day", enroll_day)
    n_days = v.positive_int("n_days", n_days)
    window = v.positive("window", window)
    return enroll + window <= n_days


def converted_within(enroll_day, conversion_time, window):
    """True where the conversion came within ``window`` days of enrolment (inf = not converted)."""
    enroll = v.counts("enroll_day", enroll_day)
    t = np.asarray(conversion_time, dtype=float)
    if np.isnan(t).any():
        raise ValueError("conversion_time must not contain NaN (use inf for no conversion)")
    v.same_length(enroll_day=enroll, conversion_time=t)
    return t - enroll <= v.positive("window", window)
