"""One plotting style for the whole course and the figures that recur in it.

Axis labels are lowercase; a title states the finding, not the chart type.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from . import _validate as v

ARM_COLORS = {"A": "#4C72B0", "B": "#DD8452"}
# Group sequential designs (lessons 02 and 08): one colour per family, in every panel; the
# classic constant-shape design solid and thick, its Lan-DeMets spending version dashed and thin
# on top, so that a spending design close to its classic one never hides it.
_OBF, _POCOCK = "#4C72B0", "#DD8452"
DESIGN_STYLES = {
    "O'Brien-Fleming": {"color": _OBF, "ls": "-", "lw": 3.0, "marker": "o", "ms": 8, "zorder": 2},
    "Pocock": {"color": _POCOCK, "ls": "-", "lw": 3.0, "marker": "o", "ms": 8, "zorder": 2},
    "Lan-DeMets O'Brien-Fleming-type": {"color": _OBF, "ls": "--", "lw": 1.5, "marker": "s", "ms": 4,
                                        "mfc": "white", "zorder": 3},
    "Lan-DeMets Pocock-type": {"color": _POCOCK, "ls": "--", "lw": 1.5, "marker": "s", "ms": 4,
                               "mfc": "white", "zorder": 3},
}
# labsupport.sequential's kind names, for labels a reader understands.
DESIGN_LABELS = {"obf": "O'Brien-Fleming", "pocock": "Pocock", "ld-obf": "Lan-DeMets O'Brien-Fleming-type",
                 "ld-pocock": "Lan-DeMets Pocock-type"}


def use_style() -> None:
    """Apply the course style (call once in a notebook's setup cell)."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    plt.rcParams.update({"figure.figsize": (7.0, 4.0), "figure.dpi": 90, "axes.titlesize": 12,
                         "axes.titleweight": "bold", "axes.spines.top": False,
                         "axes.spines.right": False, "legend.frameon": False})


def _axes(ax):
    return ax if ax is not None else plt.subplots()[1]


def lines(x, ys: dict, *, xlabel: str, ylabel: str, title: str, hline=None, ax=None, styles=None,
          legend_loc="best", **kw):
    """One line per entry of ``ys`` (label -> values) against ``x``; optional reference line.

    ``styles`` maps a label to its own plot keywords (e.g. ``DESIGN_STYLES``), on top of ``kw``.
    """
    if not ys:
        raise ValueError("ys must map at least one label to values")
    for label, y in ys.items():
        v.same_length(x=x, **{f"ys[{label!r}]": y})
    styles = styles or {}
    ax = _axes(ax)
    for label, y in ys.items():
        ax.plot(x, y, label=label, **{**kw, **styles.get(label, {})})
    if hline is not None:
        ax.axhline(hline, color="black", lw=1, ls="--")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if len(ys) > 1:
        ax.legend(loc=legend_loc)
    return ax


def estimate_with_band(x, estimate, low, high, *, xlabel: str, ylabel: str, title: str,
                       truth=None, ax=None, label=None):
    """An estimate with a shaded interval, e.g. a Monte Carlo rate with its 95% band."""
    v.same_length(x=x, estimate=estimate, low=low, high=high)
    ax = _axes(ax)
    line, = ax.plot(x, estimate, marker="o", ms=3, label=label)
    ax.fill_between(x, low, high, alpha=0.25, color=line.get_color())
    if truth is not None:
        ax.axhline(truth, color="black", lw=1, ls="--")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return ax


def pvalue_histogram(pvalues, *, title: str, bins: int = 20, ax=None):
    """Histogram of p-values with the flat line expected under the null hypothesis."""
    p = np.ravel(v.probability("pvalues", pvalues))
    bins = v.positive_int("bins", bins)
    ax = _axes(ax)
    heights, _, _ = ax.hist(p, bins=bins, range=(0, 1), color=ARM_COLORS["A"], alpha=0.8)
    ax.axhline(len(p) / bins, color="black", lw=1, ls="--", label="uniform (null true)")
    ax.set(xlabel="p-value", ylabel="experiments", title=title, ylim=(0, 1.3 * heights.max()))
    ax.legend(loc="upper right")  # the headroom above keeps it off the bars and the line
    return ax


def intervals(estimates, lows, highs, truth, *, title: str, max_shown: int = 100, ax=None):
    """Confidence intervals stacked vertically, those missing ``truth`` in red."""
    v.same_length(estimates=estimates, lows=lows, highs=highs)
    max_shown = v.positive_int("max_shown", max_shown)
    ax = _axes(ax)
    est, lo, hi = (np.asarray(a)[:max_shown] for a in (estimates, lows, highs))
    miss = (lo > truth) | (hi < truth)
    rows = np.arange(len(est))
    ax.hlines(rows, lo, hi, colors=np.where(miss, "#C44E52", "#8C8C8C"))
    ax.plot(est, rows, "k.", ms=3)
    ax.axvline(truth, color="black", lw=1)
    ax.set(xlabel="estimate and interval", ylabel="experiment", title=title)
    return ax
