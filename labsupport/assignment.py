"""Deterministic assignment of units to experiments.

A unit's bucket is a SHA-256 hash of ``f"{salt}:{unit_id}"`` mapped to
``[0, buckets)``: the same in every process, on every machine, in every language
that implements SHA-256. Unit ids are compared as text (``42`` and ``"42"`` are the
same unit). On top of the bucket:

``Experiment``  traffic and variant from two independent salted hashes, so raising
                the traffic only adds units, it never moves one to another variant.
``Layer``       a namespace whose own bucket space is split between its experiments:
                they are mutually exclusive; experiments in different layers overlap.
``Holdout``     a global share of units kept out of every experiment.
``Platform``    layers plus a holdout: who sees which experiment and variant.
``Registry``    registered experiments; finds conflicts and units exposed twice in a layer.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from . import _validate as v

# pandas and scipy are imported where they are used: hashing needs numpy only, so a service (or a
# test in a fresh process) that imports this module to assign users starts in a fraction of a second.

BUCKETS = 10_000


def _key(name, unit_id) -> str:
    if isinstance(unit_id, (bool, np.bool_)) or not isinstance(unit_id, (str, numbers.Integral)):
        raise ValueError(f"{name} must be a string or an integer; got {unit_id!r}")
    return str(unit_id)


def _keys(name, unit_ids) -> list:
    """Unit ids as text, validated; fast paths for integer arrays and plain str / int ids."""
    if isinstance(unit_ids, np.ndarray) and unit_ids.dtype.kind in "iu":
        return [str(u) for u in unit_ids.tolist()]
    keys = []
    for u in unit_ids:
        kind = type(u)
        keys.append(u if kind is str else str(u) if kind is int else _key(name, u))
    return keys


def _salt(salt) -> str:
    if not isinstance(salt, str) or not salt:
        raise ValueError(f"salt must be a non-empty string; got {salt!r}")
    return salt


def _buckets(buckets) -> int:
    return v.positive_int("buckets", buckets, minimum=1)


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def hash64(unit_id, salt) -> int:
    """The first 8 bytes of SHA-256(f"{salt}:{unit_id}") as an integer in [0, 2**64)."""
    return _hash64(f"{_salt(salt)}:{_key('unit_id', unit_id)}")


def bucket(unit_id, salt, buckets=BUCKETS) -> int:
    """Deterministic bucket in [0, buckets): floor(hash64 * buckets / 2**64).

    Multiply-shift instead of ``hash64 % buckets``; with 64 bits either way a bucket's
    share is off by less than buckets / 2**64.
    """
    return hash64(unit_id, salt) * _buckets(buckets) >> 64


def bucket_many(unit_ids, salt, buckets=BUCKETS) -> np.ndarray:
    """``bucket`` for a sequence of ids, as an int64 array (one hashlib call per id)."""
    salt, buckets = _salt(salt), _buckets(buckets)
    return _bucket_keys(_keys("unit_ids", unit_ids), salt, buckets)


def _bucket_keys(keys, salt, buckets) -> np.ndarray:
    """Buckets of ids already turned into text (no validation)."""
    prefix, sha, from_bytes = f"{salt}:", hashlib.sha256, int.from_bytes
    return np.fromiter((from_bytes(sha((prefix + k).encode()).digest()[:8], "big") * buckets >> 64 for k in keys),
                       dtype=np.int64, count=len(keys))


def _check_weights(weights) -> dict:
    if not isinstance(weights, Mapping) or len(weights) < 2:
        raise ValueError(f"weights must be a dict of at least two variants -> shares; got {weights!r}")
    for name in weights:
        if not isinstance(name, str) or not name:
            raise ValueError(f"weights must have non-empty string variant names; got {name!r}")
    shares = v.probability("weights", list(weights.values()), open_low=True)
    if not np.isclose(shares.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"weights must sum to 1; they sum to {shares.sum():.6g}")
    return dict(zip(weights, shares.tolist()))


@dataclass(frozen=True)
class Experiment:
    """An experiment: variant shares, a salt (default: the name) and the share of traffic it gets.

    A unit is in traffic when its ``{salt}:traffic`` bucket is below ``traffic * buckets``;
    its variant comes from an independent ``{salt}:variant`` bucket. ``exclude`` lists ids
    kept out; ``overrides`` forces chosen ids into a variant (e.g. the team's own accounts), and
    wins over ``exclude``. Variant k holds the variant buckets [edge_{k-1}, edge_k), edges at the
    cumulative weights times ``buckets``.
    """

    name: str
    weights: dict
    salt: str | None = None
    traffic: float = 1.0
    exclude: frozenset = frozenset()
    overrides: dict = field(default_factory=dict)
    buckets: int = BUCKETS

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string; got {self.name!r}")
        set_ = lambda attr, value: object.__setattr__(self, attr, value)  # noqa: E731 (frozen)
        set_("weights", MappingProxyType(_check_weights(self.weights)))
        set_("salt", _salt(self.name if self.salt is None else self.salt))
        if np.ndim(self.traffic) != 0:
            raise ValueError(f"traffic must be a single number in (0, 1]; got {self.traffic!r}")
        set_("traffic", v.probability("traffic", self.traffic, open_low=True))
        set_("exclude", frozenset(_key("exclude", u) for u in self.exclude))
        overrides = {_key("overrides", u): variant for u, variant in dict(self.overrides).items()}
        unknown = sorted({variant for variant in overrides.values()} - set(self.weights), key=str)
        if unknown:
            raise ValueError(f"overrides name unknown variant(s) {unknown}; "
                             f"the variants are {list(self.weights)}")
        set_("overrides", MappingProxyType(overrides))
        set_("buckets", _buckets(self.buckets))

    @property
    def variants(self) -> tuple:
        return tuple(self.weights)

    def _edges(self) -> np.ndarray:
        # Variant k holds the buckets [edge_{k-1}, edge_k). Rounding to 6 decimals puts an edge that
        # float error moved off a whole bucket (0.01 + 0.13 -> 1400.0000000000002) back on it, so
        # every implementation agrees on the edge buckets; the last edge is the whole bucket space.
        edges = np.round(np.cumsum(list(self.weights.values())) * self.buckets, 6)
        edges[-1] = self.buckets
        return edges

    def assign_many(self, unit_ids) -> np.ndarray:
        """Variant name of each id, or None where the id is not in the experiment (object array)."""
        return self._assign_keys(_keys("unit_ids", unit_ids))

    def _assign_keys(self, keys) -> np.ndarray:
        in_traffic = _bucket_keys(keys, f"{self.salt}:traffic", self.buckets) < self.traffic * self.buckets
        index = np.searchsorted(self._edges(), _bucket_keys(keys, f"{self.salt}:variant", self.buckets),
                                side="right")
        out = np.where(in_traffic, np.array(self.variants, dtype=object)[index], None)
        if self.overrides or self.exclude:
            for i, k in enumerate(keys):
                if k in self.overrides:
                    out[i] = self.overrides[k]
                elif k in self.exclude:
                    out[i] = None
        return out

    def assign(self, unit_id):
        """The unit's variant, or None when it is excluded or not in traffic."""
        return self.assign_many([unit_id])[0]

    def ramped(self, traffic) -> Experiment:
        """The same experiment with another traffic share (units already in keep their variant)."""
        return replace(self, traffic=traffic)

    def __repr__(self) -> str:
        shares = ", ".join(f"{k}={w:g}" for k, w in self.weights.items())
        return f"Experiment({self.name!r}: {shares}; traffic={self.traffic:g}, salt={self.salt!r})"


def _assigned(values: np.ndarray) -> np.ndarray:
    return np.array([x is not None for x in values], dtype=bool)


@dataclass(frozen=True)
class Allocation:
    """An experiment and its range [start, stop) of its layer's buckets."""

    experiment: Experiment
    start: int
    stop: int


@dataclass(frozen=True)
class Layer:
    """A namespace: its bucket space (salt: the layer's name) is split between its experiments.

    A unit falls in one range only, so experiments in one layer never share a unit;
    inside its range an experiment then applies its own traffic and variant hashes.
    """

    name: str
    allocations: tuple = ()
    salt: str | None = None
    buckets: int = BUCKETS

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string; got {self.name!r}")
        object.__setattr__(self, "salt", _salt(self.name if self.salt is None else self.salt))
        object.__setattr__(self, "buckets", _buckets(self.buckets))
        allocations = tuple(sorted(self.allocations, key=lambda a: a.start))
        names = [a.experiment.name for a in allocations]
        if len(set(names)) < len(names):
            raise ValueError(f"allocations must name each experiment once; got {names}")
        for a in allocations:
            if not 0 <= a.start < a.stop <= self.buckets:
                raise ValueError(f"allocations must be ranges with 0 <= start < stop <= {self.buckets}; "
                                 f"{a.experiment.name!r} has [{a.start}, {a.stop})")
        for a, b in zip(allocations, allocations[1:]):
            if b.start < a.stop:
                raise ValueError(f"allocations must not overlap: {a.experiment.name!r} and "
                                 f"{b.experiment.name!r} share buckets")
        object.__setattr__(self, "allocations", allocations)

    @property
    def free(self) -> int:
        """Buckets not yet given to an experiment."""
        return self.buckets - sum(a.stop - a.start for a in self.allocations)

    def add(self, experiment: Experiment, share) -> Layer:
        """A new layer with ``experiment`` given the next ``share`` of the buckets."""
        share = v.probability("share", share, open_low=True)
        start = max((a.stop for a in self.allocations), default=0)
        stop = start + int(round(share * self.buckets))
        if stop > self.buckets or stop == start:
            raise ValueError(f"share must fit in the layer's free buckets ({self.free} of "
                             f"{self.buckets}) and cover at least one; got {share:g}")
        return replace(self, allocations=self.allocations + (Allocation(experiment, start, stop),))

    def assign_many(self, unit_ids) -> tuple[np.ndarray, np.ndarray]:
        """(experiment name or None, variant or None) for each id, as two object arrays."""
        keys = _keys("unit_ids", unit_ids)
        slots = _bucket_keys(keys, self.salt, self.buckets)
        names = np.full(len(keys), None, dtype=object)
        variants = np.full(len(keys), None, dtype=object)
        for a in self.allocations:
            inside = np.flatnonzero((slots >= a.start) & (slots < a.stop))
            got = a.experiment._assign_keys([keys[i] for i in inside])
            names[inside[_assigned(got)]] = a.experiment.name
            variants[inside] = got
        return names, variants

    def assign(self, unit_id):
        """(experiment name, variant) for one unit, or None."""
        names, variants = self.assign_many([unit_id])
        return None if names[0] is None else (names[0], variants[0])


@dataclass(frozen=True)
class Holdout:
    """A global holdout: the units whose ``salt`` bucket is below ``share * buckets`` see no experiment."""

    share: float
    salt: str = "global-holdout"
    buckets: int = BUCKETS

    def __post_init__(self):
        object.__setattr__(self, "share", v.probability("share", self.share, open_high=True))
        object.__setattr__(self, "salt", _salt(self.salt))
        object.__setattr__(self, "buckets", _buckets(self.buckets))

    def contains_many(self, unit_ids) -> np.ndarray:
        return bucket_many(unit_ids, self.salt, self.buckets) < self.share * self.buckets

    def contains(self, unit_id) -> bool:
        return bool(self.contains_many([unit_id])[0])


@dataclass(frozen=True)
class Platform:
    """Layers that overlap each other, and a global holdout taken out of all of them."""

    layers: tuple
    holdout: Holdout | None = None

    def __post_init__(self):
        layers = tuple(self.layers)
        if not layers:
            raise ValueError("layers must hold at least one Layer")
        for label, values in (("names", [layer.name for layer in layers]),
                              ("salts", [layer.salt for layer in layers])):
            if len(set(values)) < len(values):
                raise ValueError(f"layers must have distinct {label} (layers sharing a salt are "
                                 f"not independent); got {values}")
        experiments = [a.experiment.name for layer in layers for a in layer.allocations]
        if len(set(experiments)) < len(experiments):
            raise ValueError(f"layers must not hold the same experiment twice; got {experiments}")
        object.__setattr__(self, "layers", layers)

    def exposures(self, unit_ids) -> pd.DataFrame:
        """One row per unit and experiment it is in: columns unit_id, layer, experiment, variant."""
        import pandas as pd

        ids = pd.Series(list(unit_ids)).to_numpy()  # keeps integer ids as integers
        if self.holdout is not None:
            ids = ids[~self.holdout.contains_many(ids)]
        frames = []
        for layer in self.layers:
            names, variants = layer.assign_many(ids)
            hit = _assigned(names)
            frames.append(pd.DataFrame({"unit_id": ids[hit], "layer": layer.name,
                                        "experiment": names[hit], "variant": variants[hit]}))
        return pd.concat(frames, ignore_index=True)

    def assign(self, unit_id) -> dict:
        """{experiment: variant} for one unit (empty for a held-out unit)."""
        rows = self.exposures([unit_id])
        return dict(zip(rows.experiment, rows.variant))


def _date(name, value) -> _dt.date:
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a date or an ISO string 'YYYY-MM-DD'; got {value!r}") from None


@dataclass(frozen=True)
class Registration:
    """An experiment's entry in the registry: its layer, dates (inclusive), population and buckets.

    ``population`` is a set of segment labels (e.g. {"ios"}) or None for everyone;
    ``bucket_range`` is its [start, stop) in the layer's bucket space.
    """

    experiment: str
    layer: str
    start: _dt.date
    end: _dt.date
    population: frozenset | None = None
    bucket_range: tuple = (0, BUCKETS)

    def __post_init__(self):
        set_ = lambda attr, value: object.__setattr__(self, attr, value)  # noqa: E731 (frozen)
        set_("start", _date("start", self.start))
        set_("end", _date("end", self.end))
        if self.end < self.start:
            raise ValueError(f"end must not be before start; got {self.start} to {self.end}")
        if self.population is not None:
            if isinstance(self.population, str) or not self.population:
                raise ValueError("population must be a non-empty set of segment labels, or None for everyone")
            set_("population", frozenset(self.population))
        try:
            low, high = self.bucket_range
            ok = 0 <= low < high
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"bucket_range must be (start, stop) with 0 <= start < stop; got {self.bucket_range}")
        set_("bucket_range", (int(low), int(high)))

    def overlaps(self, other: Registration) -> bool:
        """Same layer, overlapping dates, populations and bucket ranges."""
        same_people = (self.population is None or other.population is None
                       or bool(self.population & other.population))
        return (self.layer == other.layer and self.start <= other.end and other.start <= self.end
                and same_people and self.bucket_range[0] < other.bucket_range[1]
                and other.bucket_range[0] < self.bucket_range[1])


@dataclass(frozen=True)
class Conflict:
    """Two registrations that would share units in one layer at the same time."""

    first: str
    second: str
    layer: str

    def __repr__(self) -> str:
        return f"Conflict({self.first!r} and {self.second!r} in layer {self.layer!r})"


@dataclass(frozen=True)
class Registry:
    """The experiments a team has registered."""

    registrations: tuple = ()

    def __post_init__(self):
        regs = tuple(self.registrations)
        names = [r.experiment for r in regs]
        if len(set(names)) < len(names):
            raise ValueError(f"registrations must name each experiment once; got {names}")
        object.__setattr__(self, "registrations", regs)

    def register(self, registration: Registration) -> Registry:
        return Registry(self.registrations + (registration,))

    def conflicts(self) -> list[Conflict]:
        """Every pair of registrations that overlap (same layer, dates, population, buckets)."""
        regs = self.registrations
        return [Conflict(a.experiment, b.experiment, a.layer)
                for i, a in enumerate(regs) for b in regs[i + 1:] if a.overlaps(b)]

    def double_exposures(self, unit_ids, experiments) -> pd.DataFrame:
        """Units logged in more than one experiment of a layer: columns unit_id, layer, experiments."""
        import pandas as pd

        v.same_length(unit_ids=unit_ids, experiments=experiments)
        layer_of = {r.experiment: r.layer for r in self.registrations}
        unknown = sorted(set(experiments) - set(layer_of), key=str)
        if unknown:
            raise ValueError(f"experiments must be registered; unknown: {unknown}")
        log = pd.DataFrame({"unit_id": list(unit_ids), "experiment": list(experiments)}).drop_duplicates()
        log["layer"] = log.experiment.map(layer_of)
        grouped = log.groupby(["unit_id", "layer"]).experiment.agg(lambda s: tuple(sorted(s)))
        return grouped[grouped.map(len) > 1].rename("experiments").reset_index()


def interaction_test(y, in_a, in_b, alpha=0.05) -> ComparisonResult:
    """t test of the interaction of two overlapping experiments, along the last axis.

    The estimate is (mean_AB - mean_A) - (mean_B - mean_none), the effect of A when B is on
    minus its effect when B is off: the ``a:b`` coefficient of the OLS fit y ~ a + b + a:b,
    with its usual (pooled-variance) t test on n - 4 degrees of freedom.
    """
    from scipy import stats as _sps

    from .stats import ComparisonResult

    alpha = v.unit_open("alpha", alpha)
    y = v.samples("y", y, min_size=5)
    a, b = np.asarray(in_a, dtype=bool), np.asarray(in_b, dtype=bool)
    if a.shape != y.shape or b.shape != y.shape:
        raise ValueError(f"in_a and in_b must have the shape of y {y.shape}; got {a.shape} and {b.shape}")
    cells = [(a & b), (a & ~b), (~a & b), (~a & ~b)]
    n = [c.sum(axis=-1) for c in cells]
    if any((k < 2).any() for k in n):
        raise ValueError("in_a and in_b must give each of the four cells at least two units")
    means = [np.where(c, y, 0).sum(axis=-1) / k for c, k in zip(cells, n)]
    sse = sum(np.where(c, (y - m[..., None]) ** 2, 0).sum(axis=-1) for c, m in zip(cells, means))
    df = y.shape[-1] - 4
    se = np.sqrt(sse / df * sum(1 / k for k in n))
    est = means[0] - means[1] - means[2] + means[3]
    t = est / se
    half = _sps.t.ppf(1 - alpha / 2, df) * se
    scalar = lambda x: float(x) if np.ndim(x) == 0 else x  # noqa: E731
    return ComparisonResult("interaction t test", scalar(est), scalar(est - half), scalar(est + half),
                            scalar(t), scalar(2 * _sps.t.sf(np.abs(t), df)), alpha)
