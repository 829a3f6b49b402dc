"""Input checks shared by the public functions.

Each raises ``ValueError`` that names the argument and the allowed range.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_rng(rng) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, an int seed or None."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be a numpy.random.Generator, an int seed or None; got {type(rng).__name__}")


def _array(name, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric; got {value!r}") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    return arr


def finite(name, value) -> np.ndarray:
    """Finite numbers of any sign (no NaN or inf), as a float array."""
    arr = _array(name, value)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite numbers (no NaN or inf)")
    return arr


def broadcastable(**arrays) -> None:
    """The named arrays broadcast against each other."""
    try:
        np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        desc = ", ".join(f"{n} has shape {np.shape(a)}" for n, a in arrays.items())
        raise ValueError(f"{', '.join(arrays)} must have broadcastable shapes; {desc}") from None


def probability(name, value, *, open_low=False, open_high=False):
    """Values in [0, 1] (bounds excluded on request); returns a float or an array."""
    arr = _array(name, value)
    low_bad = arr <= 0 if open_low else arr < 0
    high_bad = arr >= 1 if open_high else arr > 1
    if (low_bad | high_bad).any():
        lo, hi = "(" if open_low else "[", ")" if open_high else "]"
        raise ValueError(f"{name} must be in {lo}0, 1{hi}; got {value!r}")
    return float(arr) if arr.ndim == 0 else arr


def unit_open(name, value) -> float:
    """A scalar strictly inside (0, 1), such as alpha or power."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{name} must be a number in (0, 1); got {value!r}")
    return probability(name, value, open_low=True, open_high=True)


def positive(name, value, *, allow_zero=False):
    """Values > 0 (or >= 0); returns a float or an array."""
    arr = _array(name, value)
    bad = arr < 0 if allow_zero else arr <= 0
    if bad.any() or np.isinf(arr).any():
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}; got {value!r}")
    return float(arr) if arr.ndim == 0 else arr


def counts(name, value, *, minimum=0):
    """Whole numbers >= minimum; returns an int64 array (0-d for scalars)."""
    arr = _array(name, value)
    if (arr < minimum).any() or (arr != np.round(arr)).any() or np.isinf(arr).any():
        raise ValueError(f"{name} must be whole numbers >= {minimum}; got {value!r}")
    return arr.astype(np.int64)


def positive_int(name, value, *, minimum=1) -> int:
    """A single integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def choice(name, value, allowed):
    """One of a fixed set of strings."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}; got {value!r}")
    return value


def samples(name, value, *, min_size=2) -> np.ndarray:
    """A numeric array whose last axis holds at least ``min_size`` observations."""
    arr = _array(name, value)
    if arr.ndim == 0 or arr.shape[-1] < min_size:
        raise ValueError(f"{name} must hold at least {min_size} observations along its last axis")
    return arr


def same_length(**arrays) -> None:
    """All named sequences have the same length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        raise ValueError(f"{' and '.join(lengths)} must have the same length; {desc}")
