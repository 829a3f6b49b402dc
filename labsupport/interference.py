"""Interference between units (SUTVA violations): social graphs, spillover, cluster designs, switchbacks.

A unit's outcome may depend on the treatment of its neighbours. Two outcome models:

``linear_outcomes``       y_i = base_i + direct z_i + spill e_i, with e_i the share of i's
                          neighbours treated; spill > 0 amplifies (a shared feed),
                          spill < 0 competes.
``marketplace_outcomes``  units share a scarce inventory with their neighbourhood:
                          y_i = base_i (1 + lift z_i) / (1 + scarcity lift c_i), with c_i
                          the treated share of i's closed neighbourhood (i and its neighbours).

Assignments are boolean matrices ``Z`` of shape (n_reps, n_nodes), one row per
simulated experiment; exposures and estimates are computed for all rows at once
with a sparse adjacency matrix. The **global treatment effect** compares everyone
treated with nobody treated.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import signal, sparse
from scipy import stats as _sps

from . import _validate as v
from .stats import ComparisonResult


@dataclass(frozen=True)
class SocialGraph:
    """An undirected graph as a sparse 0/1 adjacency matrix, with its planted communities."""

    adjacency: sparse.csr_array
    communities: np.ndarray

    @property
    def n_nodes(self) -> int:
        return self.adjacency.shape[0]

    @property
    def degree(self) -> np.ndarray:
        return np.asarray(self.adjacency.sum(axis=1)).ravel()

    def to_networkx(self) -> nx.Graph:
        return nx.from_scipy_sparse_array(self.adjacency)

    def __repr__(self) -> str:
        return (f"SocialGraph({self.n_nodes:,} nodes, {int(self.adjacency.sum()) // 2:,} edges, "
                f"{len(np.unique(self.communities))} communities, mean degree {self.degree.mean():.1f})")


def _nx_seed(rng) -> int:
    return int(v.as_rng(rng).integers(2**31 - 1))


def social_graph(n_nodes, n_communities, p_in, p_out, rng) -> SocialGraph:
    """A stochastic block model: ``n_communities`` near-equal groups, edge probability ``p_in``
    within a group and ``p_out`` between groups."""
    n_nodes = v.positive_int("n_nodes", n_nodes, minimum=2)
    n_communities = v.positive_int("n_communities", n_communities)
    if n_communities > n_nodes:
        raise ValueError(f"n_communities must be <= n_nodes ({n_nodes}); got {n_communities}")
    p_in, p_out = v.probability("p_in", p_in), v.probability("p_out", p_out)
    sizes = [len(part) for part in np.array_split(np.arange(n_nodes), n_communities)]
    probs = np.full((n_communities, n_communities), p_out)
    np.fill_diagonal(probs, p_in)
    g = nx.stochastic_block_model(sizes, probs.tolist(), seed=_nx_seed(rng), sparse=True)
    labels = np.repeat(np.arange(n_communities), sizes)
    return SocialGraph(nx.to_scipy_sparse_array(g, nodelist=range(n_nodes), format="csr"), labels)


def from_networkx(graph: nx.Graph) -> SocialGraph:
    """A :class:`SocialGraph` from a networkx graph (nodes in ``graph.nodes`` order, one community)."""
    if not isinstance(graph, nx.Graph) or graph.number_of_nodes() == 0:
        raise ValueError("graph must be a networkx graph with at least one node")
    adj = nx.to_scipy_sparse_array(graph, format="csr", weight=None)
    return SocialGraph(adj, np.zeros(adj.shape[0], dtype=int))


def _graph(graph) -> SocialGraph:
    if isinstance(graph, nx.Graph):
        return from_networkx(graph)
    if not isinstance(graph, SocialGraph) or graph.n_nodes == 0:
        raise ValueError("graph must be a SocialGraph or a networkx graph with at least one node")
    return graph


def find_communities(graph, rng, resolution=1.0) -> np.ndarray:
    """Cluster labels (0..K-1, one per node) from Louvain modularity maximisation (networkx)."""
    graph = _graph(graph)
    resolution = v.positive("resolution", resolution)
    parts = nx.community.louvain_communities(graph.to_networkx(), resolution=resolution,
                                             seed=_nx_seed(rng))
    labels = np.empty(graph.n_nodes, dtype=int)
    for k, part in enumerate(sorted(parts, key=min)):
        labels[list(part)] = k
    return labels


def _labels(name, clusters, n_nodes=None) -> np.ndarray:
    labels = v.counts(name, clusters)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"{name} must be a 1-d array of cluster labels, one per node")
    if n_nodes is not None and labels.size != n_nodes:
        raise ValueError(f"{name} must have one label per node ({n_nodes}); got {labels.size}")
    return np.unique(labels, return_inverse=True)[1]


# --- assignment -----------------------------------------------------------------

def bernoulli_assignment(n_nodes, n_reps, p, rng) -> np.ndarray:
    """User-level randomisation: each node treated independently with probability ``p``."""
    n_nodes, n_reps = v.positive_int("n_nodes", n_nodes), v.positive_int("n_reps", n_reps)
    p = v.probability("p", p)
    return v.as_rng(rng).random((n_reps, n_nodes)) < p


def cluster_assignment(clusters, n_reps, p, rng, design="complete") -> np.ndarray:
    """Cluster randomisation: whole clusters go to treatment together.

    ``design="complete"`` treats exactly round(p K) of the K clusters in every
    replication, halves rounded up (p = 0.5 with 5 clusters treats 3); ``"bernoulli"``
    treats each cluster independently with probability ``p``.
    """
    labels = _labels("clusters", clusters)
    n_reps, p = v.positive_int("n_reps", n_reps), v.probability("p", p)
    v.choice("design", design, ("complete", "bernoulli"))
    rng, k = v.as_rng(rng), labels.max() + 1
    if design == "bernoulli":
        treated = rng.random((n_reps, k)) < p
    else:
        n_treated = int(np.floor(p * k + 0.5))  # not round(): Python rounds halves to even
        if not 1 <= n_treated <= k - 1:
            raise ValueError(f"p must leave at least one cluster in each arm; {k} clusters and p={p} "
                             f"treat {n_treated}")
        treated = np.argsort(rng.random((n_reps, k)), axis=1) < n_treated
    return treated[:, labels]


# --- exposure and outcomes ------------------------------------------------------

def _assignments(graph, Z) -> np.ndarray:
    Z = np.asarray(Z)
    if Z.ndim not in (1, 2) or Z.shape[-1] != graph.n_nodes:
        raise ValueError(f"Z must have shape (n_nodes,) or (n_reps, n_nodes) with n_nodes={graph.n_nodes}; "
                         f"got {Z.shape}")
    if not np.isin(Z, (0, 1)).all():
        raise ValueError("Z must hold 0/1 (or boolean) treatment indicators")
    return Z.astype(float)


def exposure(graph, Z, closed=False) -> np.ndarray:
    """Share of each node's neighbours treated (``closed=True``: the node counts too).

    Isolated nodes have exposure 0 (or their own treatment when ``closed``).
    """
    graph = _graph(graph)
    Zf = _assignments(graph, Z)
    treated_neighbours = (graph.adjacency @ Zf.T).T
    if closed:
        return (treated_neighbours + Zf) / (graph.degree + 1)
    return treated_neighbours / np.maximum(graph.degree, 1)


def linear_outcomes(graph, Z, base, direct, spill) -> np.ndarray:
    """y = base + direct z + spill (share of neighbours treated), for every row of ``Z``."""
    direct, spill = v.finite("direct", direct), v.finite("spill", spill)
    e = exposure(graph, Z)
    return np.asarray(base, dtype=float) + direct * np.asarray(Z, dtype=float) + spill * e


def marketplace_outcomes(graph, Z, base, lift, scarcity) -> np.ndarray:
    """Competition for a shared inventory: treated units win demand from their neighbourhood.

    y = base (1 + lift z) / (1 + scarcity lift c), c = treated share of the closed
    neighbourhood. ``scarcity`` = 0: no competition; 1: fixed inventory, so treating
    everyone changes nothing.
    """
    lift = v.positive("lift", lift, allow_zero=True)
    scarcity = v.probability("scarcity", scarcity)
    c = exposure(graph, Z, closed=True)
    return np.asarray(base, dtype=float) * (1 + lift * np.asarray(Z, dtype=float)) / (1 + scarcity * lift * c)


def global_effect(outcomes, graph, base, **params) -> float:
    """Mean outcome with every node treated minus mean outcome with none treated."""
    graph = _graph(graph)
    ones, zeros = np.ones(graph.n_nodes, dtype=bool), np.zeros(graph.n_nodes, dtype=bool)
    return float(np.mean(outcomes(graph, ones, base, **params) - outcomes(graph, zeros, base, **params)))


def baseline(graph, rng, *, mean=10.0, sd_community=1.0, sd_unit=3.0, n_reps=None) -> np.ndarray:
    """Untreated outcomes: a random effect per planted community plus unit noise.

    Their intraclass correlation within communities is sd_community^2 / (sd_community^2 + sd_unit^2).
    ``n_reps`` draws a fresh population per replication (shape (n_reps, n_nodes)).
    """
    graph, rng = _graph(graph), v.as_rng(rng)
    sd_c = v.positive("sd_community", sd_community, allow_zero=True)
    sd_u = v.positive("sd_unit", sd_unit, allow_zero=True)
    shape = () if n_reps is None else (v.positive_int("n_reps", n_reps),)
    labels = _labels("communities", graph.communities)
    effects = rng.normal(0.0, sd_c, shape + (labels.max() + 1,))
    return mean + effects[..., labels] + rng.normal(0.0, sd_u, shape + (graph.n_nodes,))


# --- estimators -----------------------------------------------------------------

def difference_in_means(Y, Z, keep=None) -> np.ndarray | float:
    """Mean of treated minus mean of control along the last axis, among ``keep`` units.

    NaN where an arm has no kept unit.
    """
    Y, Z = np.asarray(Y, dtype=float), np.asarray(Z, dtype=bool)
    keep = np.ones(Z.shape, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    Y, Z, keep = np.broadcast_arrays(Y, Z, keep)
    t, c = Z & keep, ~Z & keep
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = (Y * t).sum(-1) / t.sum(-1) - (Y * c).sum(-1) / c.sum(-1)
    return float(diff) if np.ndim(diff) == 0 else diff


def exposure_conditions(graph, Z, threshold=1.0) -> tuple[np.ndarray, np.ndarray]:
    """Ego-network exposure: (treated units with share >= threshold of neighbours treated,
    control units with share >= threshold of neighbours in control). Isolated nodes are excluded."""
    graph = _graph(graph)
    threshold = v.probability("threshold", threshold, open_low=True)
    e = exposure(graph, Z)
    Z = np.asarray(Z, dtype=bool)
    has_friends = graph.degree > 0
    return Z & (e >= threshold) & has_friends, ~Z & (1 - e >= threshold) & has_friends


def ego_estimate(graph, Y, Z, threshold=1.0) -> np.ndarray | float:
    """Difference in means between the two exposure conditions of :func:`exposure_conditions`."""
    treated, control = exposure_conditions(graph, Z, threshold)
    return difference_in_means(Y, Z, keep=treated | control)


def cluster_ttest(Y, Z, clusters, alpha=0.05) -> ComparisonResult:
    """Welch t test on cluster means (one observation per cluster), for every row of ``Y``.

    ``Z`` must be constant within each cluster; each arm needs at least two clusters.
    """
    alpha = v.unit_open("alpha", alpha)
    Y, Z = np.atleast_2d(np.asarray(Y, dtype=float)), np.atleast_2d(np.asarray(Z, dtype=float))
    labels = _labels("clusters", clusters, Y.shape[-1])
    if Z.shape[-1] != labels.size:
        raise ValueError(f"Z must have one entry per node ({labels.size}); got {Z.shape[-1]}")
    k = labels.max() + 1
    sizes = np.bincount(labels)
    member = sparse.csr_array((1.0 / sizes[labels], (np.arange(labels.size), labels)), shape=(labels.size, k))
    ybar, zbar = Y @ member, Z @ member
    if not np.all((zbar < 1e-9) | (zbar > 1 - 1e-9)):
        raise ValueError("Z must be constant within each cluster (assign whole clusters)")
    t = zbar > 0.5
    t, ybar = np.broadcast_arrays(t, ybar)
    n1, n0 = t.sum(-1), (~t).sum(-1)
    if (n1 < 2).any() or (n0 < 2).any():
        raise ValueError("Z must put at least two clusters in each arm")
    m1 = np.where(t, ybar, 0).sum(-1) / n1
    m0 = np.where(t, 0, ybar).sum(-1) / n0
    v1 = np.where(t, (ybar - m1[:, None]) ** 2, 0).sum(-1) / (n1 - 1) / n1
    v0 = np.where(t, 0, (ybar - m0[:, None]) ** 2).sum(-1) / (n0 - 1) / n0
    diff, se = m1 - m0, np.sqrt(v1 + v0)
    df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1))
    stat = diff / se
    half = _sps.t.ppf(1 - alpha / 2, df) * se
    squeeze = (lambda a: float(a[0])) if Y.shape[0] == 1 else (lambda a: a)
    return ComparisonResult("cluster-level Welch t test", squeeze(diff), squeeze(diff - half),
                            squeeze(diff + half), squeeze(stat),
                            squeeze(2 * _sps.t.sf(np.abs(stat), df)), alpha)


# --- design effect --------------------------------------------------------------

def icc_anova(y, clusters) -> float:
    """One-way ANOVA estimate of the intraclass correlation: (MSB - MSW) / (MSB + (n0 - 1) MSW).

    For clusters of unequal sizes n_j, n0 = (n - sum n_j^2 / n) / (k - 1) (Donner 1986), the
    size for which E[MSB] = var_within + n0 var_between. The estimate can be negative,
    down to -1/(n0 - 1).
    """
    y = v.samples("y", y)
    if y.ndim != 1:
        raise ValueError("y must be a 1-d array of outcomes")
    labels = _labels("clusters", clusters, y.size)
    sizes, k, n = np.bincount(labels), labels.max() + 1, y.size
    if k < 2 or k >= n:
        raise ValueError("clusters must define at least two clusters and fewer clusters than units")
    means = np.bincount(labels, weights=y) / sizes
    msb = np.sum(sizes * (means - y.mean()) ** 2) / (k - 1)
    msw = np.sum((y - means[labels]) ** 2) / (n - k)
    n0 = (n - np.sum(sizes**2) / n) / (k - 1)
    return float((msb - msw) / (msb + (n0 - 1) * msw))


def kish_design_effect(mean_cluster_size, icc) -> float:
    """Kish (1965): variance inflation of cluster sampling, 1 + (m - 1) ICC.

    ``icc`` may be negative (units of a cluster less alike than units at random), down
    to -1/(m - 1), where the design effect is 0; :func:`icc_anova` returns such values
    when the clusters' means vary less than chance alone would make them.
    """
    m = v.positive("mean_cluster_size", mean_cluster_size)
    if np.ndim(m) or np.ndim(icc):
        raise ValueError("mean_cluster_size and icc must be single numbers")
    if m < 1:
        raise ValueError(f"mean_cluster_size must be >= 1; got {mean_cluster_size!r}")
    icc = float(v.finite("icc", icc))
    low = -1.0 if m < 2 else max(-1.0, -1 / (m - 1))
    if not low - 1e-12 <= icc <= 1:
        raise ValueError(f"icc must be in [{low:.4g}, 1] (at -1/(m - 1) the design effect is 0) "
                         f"for clusters of mean size {m:g}; got {icc!r}")
    return float(max(0.0, 1 + (m - 1) * icc))


# --- switchback -----------------------------------------------------------------

def simulate_switchback(n_reps, n_periods, window, carryover, effect, rng, *, burn_in=0,
                        noise_sd=1.0, shock_sd=1.0, shock_rho=0.9) -> np.ndarray:
    """Difference-in-means estimates of ``n_reps`` simulated switchback experiments.

    Time is cut into windows of ``window`` periods; half of the windows (chosen at
    random) run the treatment. A period's outcome is
    ``effect x (share of the last carryover + 1 periods treated) + shock + noise``,
    with a demand shock shared by both arms that follows an AR(1) process (autoregressive
    of order 1: shock_t = shock_rho shock_(t-1) + new noise, sd ``shock_sd``). So the global
    effect is ``effect``; the first ``burn_in`` periods of each window are dropped.
    """
    rng = v.as_rng(rng)
    n_reps, n_periods = v.positive_int("n_reps", n_reps), v.positive_int("n_periods", n_periods)
    window = v.positive_int("window", window)
    carryover = v.positive_int("carryover", carryover, minimum=0)
    burn_in = v.positive_int("burn_in", burn_in, minimum=0)
    if burn_in >= window:
        raise ValueError(f"burn_in must be < window ({window}); got {burn_in}")
    if 2 * window > n_periods:
        raise ValueError(f"window must be <= n_periods / 2 ({n_periods // 2}) to give two windows; got {window}")
    n_windows = -(-n_periods // window)
    noise_sd = v.positive("noise_sd", noise_sd, allow_zero=True)
    shock_sd = v.positive("shock_sd", shock_sd, allow_zero=True)
    shock_rho = v.probability("shock_rho", shock_rho, open_high=True)

    treated_windows = np.argsort(rng.random((n_reps, n_windows)), axis=1) < n_windows // 2
    z = treated_windows[:, np.arange(n_periods) // window]
    csum = np.concatenate([np.zeros((n_reps, 1)), np.cumsum(z, axis=1)], axis=1)
    start = np.maximum(np.arange(n_periods) - carryover, 0)
    dose = (csum[:, 1:] - csum[:, start]) / (carryover + 1)  # periods before the start count as control
    innovations = rng.normal(0.0, shock_sd, (n_reps, n_periods))
    innovations[:, 1:] *= np.sqrt(1 - shock_rho**2)  # stationary AR(1) with sd shock_sd
    shock = signal.lfilter([1.0], [1.0, -shock_rho], innovations, axis=1)
    y = effect * dose + shock + rng.normal(0.0, noise_sd, (n_reps, n_periods))
    keep = (np.arange(n_periods) % window) >= burn_in
    return difference_in_means(y, z, keep=keep)


@dataclass(frozen=True)
class EstimatorSummary:
    """Monte Carlo behaviour of an estimator against the truth."""

    name: str
    truth: float
    mean: float
    bias: float
    se: float
    rmse: float
    n_reps: int

    @property
    def bias_se(self) -> float:
        """Monte Carlo standard error of the bias."""
        return self.se / np.sqrt(self.n_reps)

    def __repr__(self) -> str:
        return (f"{self.name}: bias {self.bias:+.4f} ± {self.bias_se:.4f}, SE {self.se:.4f}, "
                f"RMSE {self.rmse:.4f} (truth {self.truth:.4f}, {self.n_reps:,} replications)")


def summarise(estimates, truth, name="estimator") -> EstimatorSummary:
    """Bias, standard error (SD over replications) and RMSE of simulated estimates."""
    est = np.asarray(estimates, dtype=float).ravel()
    if est.size < 2 or np.isnan(est).any():
        raise ValueError("estimates must hold at least two replications and no NaN")
    truth = float(truth)
    return EstimatorSummary(name, truth, float(est.mean()), float(est.mean() - truth),
                            float(est.std(ddof=1)), float(np.sqrt(np.mean((est - truth) ** 2))), est.size)
