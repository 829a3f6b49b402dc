"""Multi-armed bandits: regret bounds, policies simulated over many runs, and off-policy evaluation.

``simulate`` plays Bernoulli bandits with a loop over time and arrays over runs. Every
policy sees only the statistics of the rounds before its last update: with ``batch=b``
the statistics are refreshed every ``b`` rounds (hourly or daily feedback), and frozen
in between. Conventions (the same in every policy that needs them):

- ``epsilon-greedy`` and ``ucb1`` play arm ``t`` in round ``t`` for the first ``arms``
  rounds (each arm once, as in Auer et al. 2002); afterwards an arm with no observed
  pull is played first; ties are broken uniformly at random.
- ``thompson`` draws one Beta(1 + successes, 1 + failures) sample per run and arm in
  every round and plays the largest (Thompson 1933; Agrawal & Goyal 2012).
- ``uniform`` is the A/B/n test: an arm uniformly at random every round.

Regret is the cumulative pseudo-regret: the sum over rounds of the chosen arm's gap to
the best mean (of that round, if the means change over time).

``simulate_contextual`` plays a linear contextual bandit (LinUCB with disjoint models,
Li et al. 2010) against context-blind policies; ``off_policy_value`` estimates a new
policy's value from an old policy's logs (IPS, self-normalised IPS, direct method,
doubly robust).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _validate as v
from .stats import format_value

POLICIES = ("uniform", "epsilon-greedy", "ucb1", "thompson")
CONTEXTUAL_POLICIES = ("uniform", "thompson", "linucb")
OPE_METHODS = ("ips", "snips", "dm", "dr")
_PARAMS = {"uniform": {"uniform_share"}, "epsilon-greedy": {"epsilon", "decay", "uniform_share"},
           "ucb1": {"uniform_share"}, "thompson": {"uniform_share"}}


# ---- bounds ---------------------------------------------------------------------------

def bernoulli_kl(p, q):
    """Kullback-Leibler divergence KL(Bernoulli(p) || Bernoulli(q)), in nats (0 log 0 = 0)."""
    p, q = np.asarray(v.probability("p", p)), np.asarray(v.probability("q", q))
    with np.errstate(divide="ignore"):
        kl = special.xlogy(p, p) - special.xlogy(p, q) + special.xlogy(1 - p, 1 - p) - special.xlogy(1 - p, 1 - q)
    kl = np.where(p == q, 0.0, kl)
    return float(kl) if kl.ndim == 0 else kl


def _means(means, name="means") -> np.ndarray:
    mu = np.asarray(v.probability(name, means))
    if mu.ndim != 1 or mu.size < 2:
        raise ValueError(f"{name} must be a 1-d sequence of at least 2 arms' means; got shape {mu.shape}")
    return mu


def lai_robbins_constant(means) -> float:
    """C(mu) = sum over suboptimal arms of gap / KL(mean_i, best) for Bernoulli arms (Lai & Robbins 1985).

    No consistent policy has expected regret below (C(mu) - o(1)) log t. An arm whose KL is
    infinite (the best mean is 1) adds nothing: one success tells it apart.
    """
    mu = _means(means)
    best = mu.max()
    sub = mu[mu < best]
    with np.errstate(divide="ignore"):
        kl = np.asarray(bernoulli_kl(sub, np.full(sub.shape, best)), dtype=float)
        terms = np.where(np.isinf(kl), 0.0, (best - sub) / kl)
    return float(terms.sum())


def ucb1_regret_bound(means, t):
    """Auer, Cesa-Bianchi & Fischer (2002), Theorem 1: UCB1's expected regret after t rounds is at most
    8 sum_{gap > 0} ln(t) / gap + (1 + pi^2 / 3) sum gap."""
    mu = _means(means)
    t = np.asarray(v.positive("t", t))
    gaps = mu.max() - mu
    gaps = gaps[gaps > 0]
    bound = 8 * np.log(t) * (1 / gaps).sum() + (1 + np.pi ** 2 / 3) * gaps.sum()
    return float(bound) if bound.ndim == 0 else bound


# ---- simulation -----------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class BanditResult:
    """Simulated bandit runs. Arrays are (n_runs, horizon) unless noted.

    ``means``: the arms' means (for ``simulate_contextual``, the click model's coefficients);
    ``arms``: the arm played; ``rewards``: 0/1; ``pulls``: (n_runs, arms) pulls per arm;
    ``regret``: cumulative pseudo-regret; ``propensities``: the probability with which the
    policy chose the arm it played (None for Thompson sampling, which has no closed form);
    ``uniform_slice``: True where the round belonged to the uniformly allocated slice
    (None without one).
    """

    policy: str
    means: np.ndarray
    batch: int
    arms: np.ndarray
    rewards: np.ndarray
    pulls: np.ndarray
    regret: np.ndarray
    propensities: np.ndarray | None = None
    uniform_slice: np.ndarray | None = None

    @property
    def n_runs(self) -> int:
        return self.arms.shape[0]

    @property
    def horizon(self) -> int:
        return self.arms.shape[1]

    def __repr__(self) -> str:
        final = self.regret[:, -1]
        se = final.std(ddof=1) / np.sqrt(final.size) if final.size > 1 else float("nan")
        return (f"BanditResult(policy={self.policy!r}, runs={self.n_runs:,}, horizon={self.horizon:,}, "
                f"arms={self.pulls.shape[1]}, batch={self.batch}, "
                f"final regret={final.mean():.4g} ± {se:.2g} (SE))")


def _uniform_arms(rng, k, n):
    """n arms uniformly at random from range(k) (floor of k * U[0, 1), exact up to 2**-53)."""
    return (rng.random(n) * k).astype(np.intp)


def _row_sum(a):
    """Sum over the (short) last axis, column by column: much faster than a reduction for few arms."""
    out = a[:, 0].astype(np.int64)
    for j in range(1, a.shape[1]):
        out += a[:, j]
    return out


def _row_max(a):
    out = a[:, 0]
    for j in range(1, a.shape[1]):
        out = np.maximum(out, a[:, j])
    return out


def _argmax_random_ties(values, rng):
    """Row-wise argmax; among tied maxima one is picked uniformly at random. Also the tie count."""
    choice = values.argmax(axis=1)
    tied = values == np.take_along_axis(values, choice[:, None], axis=1)
    n_tied = _row_sum(tied)
    ties = n_tied > 1
    if ties.any():
        u = rng.random((int(ties.sum()), values.shape[1]))
        choice[ties] = np.where(tied[ties], u, -1.0).argmax(axis=1)
    return choice, n_tied


def _policy_params(policy, params):
    unknown = set(params) - _PARAMS[policy]
    if unknown:
        name = sorted(unknown)[0]
        raise ValueError(f"{name} is not a parameter of policy {policy!r}; "
                         f"it takes {sorted(_PARAMS[policy]) or 'none'}")
    share = params.get("uniform_share", 0.0)
    share = v.probability("uniform_share", share, open_high=True)
    epsilon, decay = params.get("epsilon"), params.get("decay")
    if policy == "epsilon-greedy":
        if epsilon is not None and decay is not None:
            raise ValueError("epsilon and decay: give one of them (a fixed rate, or a decaying schedule)")
        if decay is not None:
            decay = v.positive("decay", decay)
        else:
            epsilon = v.probability("epsilon", 0.1 if epsilon is None else epsilon)
    return share, epsilon, decay


def _bernoulli_problem(means, horizon):
    mu = np.asarray(v.probability("means", means))
    if mu.ndim not in (1, 2) or mu.shape[-1] < 2:
        raise ValueError(f"means must hold at least 2 arms along its last axis (shape (arms,) or "
                         f"(horizon, arms)); got shape {mu.shape}")
    if mu.ndim == 2 and mu.shape[0] != horizon:
        raise ValueError(f"means with a row per round must have horizon={horizon} rows; got {mu.shape[0]}")
    return mu


def simulate(policy, means, horizon, n_runs, rng=None, batch=1, **params) -> BanditResult:
    """Run a Bernoulli bandit ``n_runs`` times for ``horizon`` rounds, vectorised over runs.

    policy: ``uniform``, ``epsilon-greedy`` (``epsilon``, default 0.1; or ``decay=c`` for
    epsilon_t = min(1, c * arms / t), Auer et al. 2002's epsilon_n-greedy), ``ucb1``
    (mean + sqrt(2 ln n / n_i), n = observed pulls), ``thompson`` (Beta(1, 1) priors).
    means: (arms,) success probabilities, or (horizon, arms) for means that change over time.
    batch: rounds between policy updates (1 = after every round).
    uniform_share (any policy): share of rounds allocated uniformly at random instead,
    flagged in ``uniform_slice``: an unbiased A/B test inside the bandit.
    """
    policy = v.choice("policy", policy, POLICIES)
    horizon = v.positive_int("horizon", horizon)
    n_runs = v.positive_int("n_runs", n_runs)
    batch = v.positive_int("batch", batch)
    mu = _bernoulli_problem(means, horizon)
    share, epsilon, decay = _policy_params(policy, params)
    rng = v.as_rng(rng)
    k = mu.shape[-1]
    rows = np.arange(n_runs)
    arms = np.empty((horizon, n_runs), dtype=np.intp)
    rewards = np.empty((horizon, n_runs), dtype=np.int8)
    known = policy != "thompson"
    props = np.empty((horizon, n_runs)) if known else None
    sliced = np.empty((horizon, n_runs), dtype=bool) if share > 0 else None
    # live statistics, updated every round; the policy reads `seen`, refreshed every `batch` rounds
    if policy == "thompson":
        live = (np.ones((n_runs, k)), np.ones((n_runs, k)))      # Beta parameters (alpha, beta)
    else:
        live = (np.zeros((n_runs, k)), np.zeros((n_runs, k)))    # pulls, successes
    live_flat = (live[0].reshape(-1), live[1].reshape(-1))
    offsets = rows * k
    seen, observed = live, 0
    eps = 0.0
    for t in range(horizon):
        if batch > 1 and t % batch == 0:
            seen, observed = (live[0].copy(), live[1].copy()), t
        elif batch == 1:
            observed = t
        if policy == "uniform":
            arm = _uniform_arms(rng, k, n_runs)
        elif policy == "thompson":
            arm = rng.beta(seen[0], seen[1]).argmax(axis=1)
        elif t < k:                                              # play each arm once first
            arm = np.full(n_runs, t, dtype=np.intp)
        else:
            n_seen, s_seen = seen
            with np.errstate(divide="ignore", invalid="ignore"):
                index = s_seen / n_seen
                if policy == "ucb1":
                    index = index + np.sqrt(2.0 * math.log(max(observed, 1)) / n_seen)
            index = np.where(n_seen == 0, np.inf, index)         # an arm never observed comes first
            arm, n_tied = _argmax_random_ties(index, rng)
            greedy = arm
            if policy == "epsilon-greedy":
                eps = epsilon if decay is None else min(1.0, decay * k / (t + 1))
                if eps > 0:
                    explore = rng.random(n_runs) < eps
                    arm = np.where(explore, _uniform_arms(rng, k, n_runs), arm)
        if share > 0:
            uniform = rng.random(n_runs) < share
            arm = np.where(uniform, _uniform_arms(rng, k, n_runs), arm)
            sliced[t] = uniform
        if known:                                                # P(policy plays the arm it played)
            if policy == "uniform":
                p_policy = 1.0 / k
            elif t < k:
                p_policy = (arm == t).astype(float)
            else:
                is_top = index.reshape(-1)[offsets + arm] == index.reshape(-1)[offsets + greedy]
                p_policy = eps / k + (1 - eps) * is_top / n_tied
            props[t] = share / k + (1 - share) * p_policy
        p = mu[t] if mu.ndim == 2 else mu
        reward = rng.random(n_runs) < p[arm]
        arms[t], rewards[t] = arm, reward
        cell = offsets + arm                                     # flat index of (run, arm)
        if policy == "thompson":
            live_flat[0][cell] += reward
            live_flat[1][cell] += ~reward
        else:
            live_flat[0][cell] += 1
            live_flat[1][cell] += reward
    pulls = np.zeros((n_runs, k), dtype=np.int64)
    for a in range(k):
        pulls[:, a] = (arms == a).sum(axis=0)
    gaps = mu.max(axis=-1, keepdims=True) - mu
    step_regret = np.take_along_axis(gaps, arms, axis=1) if mu.ndim == 2 else gaps[arms]
    return BanditResult(policy, mu, batch, arms.T, rewards.T, pulls, np.cumsum(step_regret, axis=0).T,
                        None if props is None else props.T, None if sliced is None else sliced.T)



# ---- contextual: a linear click model and LinUCB ---------------------------------------

def _contexts(feature_probs) -> np.ndarray:
    probs = np.asarray(v.probability("feature_probs", feature_probs))
    if probs.ndim != 1:
        raise ValueError(f"feature_probs must be a 1-d sequence, one share per binary feature; got {probs.shape}")
    return probs


def click_probabilities(coefs, x) -> np.ndarray:
    """Each arm's click probability for contexts ``x`` (..., d): sum_j coefs[a, j] * x[..., j].

    Written as an explicit sum over the d features (elementwise arithmetic, no BLAS), so the
    result is the same on every CPU.
    """
    coefs, x = np.asarray(coefs, dtype=float), np.asarray(x, dtype=float)
    out = np.zeros(x.shape[:-1] + (coefs.shape[0],))
    for j in range(coefs.shape[1]):
        out += x[..., j, None] * coefs[:, j]
    return out


def _linear_problem(coefs, feature_probs):
    coefs = v.finite("coefs", coefs)
    probs = _contexts(feature_probs)
    if coefs.ndim != 2 or coefs.shape[0] < 2:
        raise ValueError(f"coefs must be an (arms, features) array with at least 2 arms; got shape {coefs.shape}")
    if coefs.shape[1] != probs.size + 1:
        raise ValueError(f"coefs must have 1 + len(feature_probs) = {probs.size + 1} columns (an intercept, "
                         f"then one per feature); got {coefs.shape[1]}")
    corners = np.array(np.meshgrid(*[[0.0, 1.0]] * probs.size, indexing="ij")).reshape(probs.size, -1).T
    p = click_probabilities(coefs, np.column_stack([np.ones(len(corners)), corners]))
    if (p < 0).any() or (p > 1).any():
        raise ValueError("coefs must give click probabilities in [0, 1] for every combination of features")
    return coefs, probs


def simulate_contextual(policy, coefs, feature_probs, horizon, n_runs, rng=None, batch=1, alpha=1.0
                        ) -> BanditResult:
    """A contextual Bernoulli bandit: each round a user with binary features arrives.

    The user's context is x = (1, f_1, ..., f_m), f_j ~ Bernoulli(feature_probs[j]), and arm a
    is clicked with probability coefs[a] . x. Policies: ``linucb`` (disjoint models, Li et al.
    2010: ridge estimate per arm, index theta_a . x + alpha sqrt(x' A_a^-1 x); A_a and b_a hold
    whole numbers, solved afresh each round by an elementwise Cholesky, so the index does not
    depend on the order the data arrived in), ``thompson`` (Beta-Bernoulli, blind to the context) and
    ``uniform``. Regret is against the best arm for each user.
    """
    policy = v.choice("policy", policy, CONTEXTUAL_POLICIES)
    coefs, probs = _linear_problem(coefs, feature_probs)
    horizon = v.positive_int("horizon", horizon)
    n_runs = v.positive_int("n_runs", n_runs)
    batch = v.positive_int("batch", batch)
    alpha = float(v.positive("alpha", alpha, allow_zero=True))
    rng = v.as_rng(rng)
    k, d = coefs.shape
    rows = np.arange(n_runs)
    arms = np.empty((horizon, n_runs), dtype=np.intp)
    rewards = np.empty((horizon, n_runs), dtype=np.int8)
    regret = np.empty((horizon, n_runs))
    if policy == "linucb":       # A_a = I + sum x x' and b_a = sum r x: whole numbers, kept exactly
        # stored feature-major, (d, d, runs * arms) and (d, runs * arms): each entry a contiguous array
        live = (np.broadcast_to(np.eye(d)[:, :, None], (d, d, n_runs * k)).copy(), np.zeros((d, n_runs * k)))
    else:
        live = (np.ones((n_runs, k)), np.ones((n_runs, k)))
    seen = live
    x = np.ones((n_runs, d))
    offsets = rows * k
    a_cells = (np.arange(d * d) * n_runs * k)[:, None]           # flat offsets of A's entries, of b's
    b_cells = (np.arange(d) * n_runs * k)[:, None]
    for t in range(horizon):
        if batch > 1 and t % batch == 0:
            seen = (live[0].copy(), live[1].copy())
        x[:, 1:] = rng.random((n_runs, d - 1)) < probs
        p = click_probabilities(coefs, x)                         # (n_runs, arms)
        if policy == "uniform":
            arm = _uniform_arms(rng, k, n_runs)
        elif policy == "thompson":
            arm = rng.beta(seen[0], seen[1]).argmax(axis=1)
        else:
            a_mat, b = seen
            xs = np.repeat(x.T, k, axis=1)                        # (d, runs * arms): each run's x per arm
            z = _spd_solve(a_mat, xs)                             # A^-1 x; theta . x = b . A^-1 x
            index = _dot(b, z) + alpha * np.sqrt(_dot(xs, z))
            arm, _ = _argmax_random_ties(index.reshape(n_runs, k), rng)
        cell = offsets + arm                                     # flat index of (run, arm)
        p_arm = p.reshape(-1)[cell]
        reward = rng.random(n_runs) < p_arm
        arms[t], rewards[t] = arm, reward
        regret[t] = _row_max(p) - p_arm
        if policy == "linucb":
            live[0].reshape(-1)[a_cells + cell] += (x.T[:, None, :] * x.T[None, :, :]).reshape(d * d, -1)
            live[1].reshape(-1)[b_cells + cell] += reward * x.T
        else:
            live[0].reshape(-1)[cell] += reward
            live[1].reshape(-1)[cell] += ~reward
    pulls = np.zeros((n_runs, k), dtype=np.int64)
    for a in range(k):
        pulls[:, a] = (arms == a).sum(axis=0)
    return BanditResult(policy, coefs, batch, arms.T, rewards.T, pulls, np.cumsum(regret, axis=0).T)


def _dot(a, b):
    """Sum over the FIRST axis (features), term by term in a fixed order (elementwise arithmetic only)."""
    out = a[0] * b[0]
    for j in range(1, len(a)):
        out = out + a[j] * b[j]
    return out


def _spd_solve(a, r):
    """Solve a z = r, a symmetric positive definite: a (d, d, n), r (d, n), for n systems at once.

    A Cholesky factorisation written out elementwise, in a fixed order: every step is one
    IEEE operation on the same inputs, so the answer is bit-for-bit the same on every CPU,
    and two arms with the same statistics get exactly the same index.
    """
    d = a.shape[0]
    low = {}
    for j in range(d):
        s = a[j, j]
        for m in range(j):
            s = s - low[j, m] * low[j, m]
        low[j, j] = np.sqrt(s)
        for i in range(j + 1, d):
            s = a[i, j]
            for m in range(j):
                s = s - low[i, m] * low[j, m]
            low[i, j] = s / low[j, j]
    y = []
    for i in range(d):                                            # L y = r
        s = r[i]
        for m in range(i):
            s = s - low[i, m] * y[m]
        y.append(s / low[i, i])
    z = [None] * d
    for i in reversed(range(d)):                                  # L' z = y
        s = y[i]
        for m in range(i + 1, d):
            s = s - low[m, i] * z[m]
        z[i] = s / low[i, i]
    return np.stack(z)


# ---- off-policy evaluation ----------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class OffPolicyEstimate:
    """An estimated policy value with its standard error.

    ``effective_sample_size``: (sum w)^2 / sum w^2 of the importance weights w = target / logging;
    ``unsupported_mass``: the target policy's average probability on actions the logging policy
    never takes (no weighting estimator can see their rewards; above 0, IPS-type estimates are biased).
    """

    method: str
    value: float | np.ndarray
    se: float | np.ndarray
    n: int
    effective_sample_size: float | np.ndarray
    unsupported_mass: float | np.ndarray

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        return (f"OffPolicyEstimate({self.method}: value={format_value(self.value)} ± "
                f"{format_value(self.se)} (SE), n={self.n:,}, ESS={format_value(self.effective_sample_size)}, "
                f"unsupported={format_value(self.unsupported_mass)})")


def _policy_table(name, policy, shape, arms=None):
    pol = np.asarray(v.probability(name, policy))
    if pol.ndim == 0 or pol.shape[-1] < 2:
        raise ValueError(f"{name} must give a probability for each of at least 2 arms (last axis)")
    if arms is not None and pol.shape[-1] != arms:
        raise ValueError(f"{name} must have {arms} arms on its last axis, like logging_policy; "
                         f"got {pol.shape[-1]}")
    if not np.allclose(pol.sum(axis=-1), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name} must sum to 1 over arms (within 1e-6) for every record")
    try:
        return np.broadcast_to(pol, shape + pol.shape[-1:])
    except ValueError:
        raise ValueError(f"{name} must have shape (arms,) or (records, arms) matching actions {shape}; "
                         f"got {pol.shape}") from None


def off_policy_value(actions, rewards, logging_policy, target_policy, method="ips", reward_model=None
                     ) -> OffPolicyEstimate:
    """Estimate the value of ``target_policy`` from records logged under ``logging_policy``.

    actions: (..., records) arms taken; rewards: the same shape. Policies: action probabilities,
    (arms,) for every record or (..., records, arms). Methods, with w = target / logging of the
    logged action: ``ips`` mean(w r); ``snips`` sum(w r) / sum(w); ``dm`` mean of sum_a
    target(a) rhat(a); ``dr`` dm + mean(w (r - rhat(logged action))). ``reward_model`` (same
    shapes as a policy) holds rhat for ``dm`` and ``dr``. Leading axes are separate data sets.
    """
    method = v.choice("method", method, OPE_METHODS)
    acts = v.counts("actions", actions)
    if acts.ndim == 0 or acts.shape[-1] < 1:
        raise ValueError("actions must hold at least one record")
    r = v.finite("rewards", rewards)
    if r.shape != acts.shape:
        raise ValueError(f"rewards must have the shape of actions {acts.shape}; got {r.shape}")
    logging = _policy_table("logging_policy", logging_policy, acts.shape)
    k = logging.shape[-1]
    target = _policy_table("target_policy", target_policy, acts.shape, k)
    if (acts >= k).any():
        raise ValueError(f"actions must be arms 0 to {k - 1} (the policies give {k} arms)")
    mu_a = np.take_along_axis(logging, acts[..., None], axis=-1)[..., 0]
    if (mu_a == 0).any():
        raise ValueError("logging_policy gives probability 0 to a logged action: the log and the "
                         "propensities do not belong together")
    w = np.take_along_axis(target, acts[..., None], axis=-1)[..., 0] / mu_a
    n = acts.shape[-1]
    unsupported = np.where(logging == 0, target, 0.0).sum(axis=-1).mean(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = w.sum(axis=-1) ** 2 / (w ** 2).sum(axis=-1)
    if method in ("dm", "dr"):
        if reward_model is None:
            raise ValueError(f"reward_model is required for method {method!r}: the predicted reward of each arm")
        model = v.finite("reward_model", reward_model)
        try:
            model = np.broadcast_to(model, target.shape)
        except ValueError:
            raise ValueError(f"reward_model must have shape (arms,) or (records, arms) like the policies; "
                             f"got {model.shape}") from None
        per_record = (target * model).sum(axis=-1)
        if method == "dr":
            per_record = per_record + w * (r - np.take_along_axis(model, acts[..., None], axis=-1)[..., 0])
    if method == "snips":
        total = w.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = (w * r).sum(axis=-1) / total
            se = np.sqrt((w ** 2 * (r - value[..., None]) ** 2).sum(axis=-1)) / total
    else:
        per_record = w * r if method == "ips" else per_record
        value = per_record.mean(axis=-1)
        se = per_record.std(axis=-1, ddof=1) / np.sqrt(n) if n > 1 else np.full(value.shape, np.nan)

    def out(a):
        a = np.asarray(a, dtype=float)
        return float(a) if a.ndim == 0 else a

    return OffPolicyEstimate(method, out(value), out(se), n, out(ess), out(unsupported))
