"""Assignment: deterministic hashing, uniformity, independent salts, ramp-up, layers, holdout, registry."""

import hashlib
from fractions import Fraction
import os
import subprocess
import sys

import numpy as np
import pytest
import statsmodels.formula.api as smf
import pandas as pd
from scipy import stats as sps

from labsupport import assignment as asg
from labsupport.stats import binomial_band

IDS = np.arange(100_000)
AB = {"A": 0.5, "B": 0.5}


def test_bucket_matches_an_independent_computation():
    # SHA-256 hex digest -> first 16 hex digits -> floor(h * buckets / 2**64), computed another way.
    for unit_id, salt, buckets in [(42, "exp1", 10_000), ("user-7", "s", 100), (0, "x", 1)]:
        h = int(hashlib.sha256(f"{salt}:{unit_id}".encode()).hexdigest()[:16], 16)
        assert asg.hash64(unit_id, salt) == h
        assert asg.bucket(unit_id, salt, buckets) == (h * buckets) // 2**64
    assert asg.bucket(42, "s") == asg.bucket("42", "s")
    assert list(asg.bucket_many([3, "u", 5], "s", 77)) == [asg.bucket(u, "s", 77) for u in (3, "u", 5)]


_CHILD = ("from labsupport.assignment import bucket_many; ids = [f'user-{i}' for i in range(500)]; "
          "print(list(bucket_many(ids, 'feed-v2'))); print([hash(i) % 10_000 for i in ids])")


def test_buckets_identical_across_processes_while_builtin_hash_is_not():
    children = [subprocess.Popen([sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONHASHSEED": str(seed)}) for seed in (1, 2)]
    first, second = (child.communicate(timeout=120)[0].splitlines() for child in children)
    assert all(child.returncode == 0 for child in children)
    here = str(list(asg.bucket_many([f"user-{i}" for i in range(500)], "feed-v2")))
    assert first[0] == second[0] == here
    assert first[1] != second[1]  # Python's hash() of a str is salted per process


def test_buckets_are_uniform_on_100k_ids():
    counts = np.bincount(asg.bucket_many(IDS, "uniformity"), minlength=asg.BUCKETS)
    assert sps.chisquare(counts).pvalue > 0.001
    coarse = np.bincount(asg.bucket_many(IDS, "uniformity", 7), minlength=7)
    assert sps.chisquare(coarse).pvalue > 0.001


def test_two_salts_are_independent_and_one_salt_is_not():
    first = asg.bucket_many(IDS, "exp-1", 20)
    table = pd.crosstab(first, asg.bucket_many(IDS, "exp-2", 20)).to_numpy()
    assert table.shape == (20, 20) and sps.chi2_contingency(table).pvalue > 0.001
    same = pd.crosstab(first, asg.bucket_many(IDS, "exp-1", 20)).to_numpy()
    assert sps.chi2_contingency(same).pvalue < 1e-100
    assert np.count_nonzero(same) == 20  # all mass on the diagonal


def test_variant_shares_follow_weights():
    weights = {"control": 0.2, "b": 0.3, "c": 0.5}
    got = asg.Experiment("three", weights).assign_many(IDS)
    counts = [np.sum(got == k) for k in weights]
    assert sum(counts) == IDS.size
    assert sps.chisquare(counts, IDS.size * np.array(list(weights.values()))).pvalue > 0.001


def test_ramp_up_from_10_to_50_percent_moves_no_unit():
    low = asg.Experiment("ramp", AB, traffic=0.1)
    before, after = low.assign_many(IDS), low.ramped(0.5).assign_many(IDS)
    exposed = before != None  # noqa: E711 (elementwise)
    assert np.array_equal(before[exposed], after[exposed])
    for share, got in ((0.1, before), (0.5, after)):
        lo, hi = binomial_band(share, IDS.size)
        assert lo <= np.mean(got != None) <= hi  # noqa: E711


def test_exclusions_and_overrides():
    exp = asg.Experiment("e", AB, exclude={5, "6"}, overrides={7: "B", "8": "A"})
    assert exp.assign(5) is None and exp.assign("6") is None
    assert exp.assign("7") == "B" and exp.assign(8) == "A"
    assert exp.assign(9) == asg.Experiment("e", AB).assign(9)


def test_layer_exclusivity_and_independence_on_100k_ids():
    ranking = (asg.Layer("ranking").add(asg.Experiment("r1", AB), 0.3)
               .add(asg.Experiment("r2", AB, traffic=0.5), 0.2))
    ui = asg.Layer("ui").add(asg.Experiment("u1", AB), 0.5)
    platform = asg.Platform((ranking, ui), asg.Holdout(0.05))
    log = platform.exposures(IDS)
    assert log.groupby(["unit_id", "layer"]).size().max() == 1
    in_r1 = np.isin(IDS, log.unit_id[log.experiment == "r1"])
    in_r2 = np.isin(IDS, log.unit_id[log.experiment == "r2"])
    in_u1 = np.isin(IDS, log.unit_id[log.experiment == "u1"])
    held = platform.holdout.contains_many(IDS)
    assert not (in_r1 & in_r2).any() and not (held & (in_r1 | in_r2 | in_u1)).any()
    for share, flags in ((0.05, held), (0.95 * 0.3, in_r1), (0.95 * 0.2 * 0.5, in_r2), (0.95 * 0.5, in_u1)):
        lo, hi = binomial_band(share, IDS.size)
        assert lo <= flags.mean() <= hi
    rest = ~held
    assert sps.chi2_contingency(pd.crosstab(in_r1[rest], in_u1[rest])).pvalue > 0.001
    assert platform.assign(int(IDS[held][0])) == {}


def test_registry_finds_the_planted_conflicts_only():
    reg = asg.Registration
    registry = asg.Registry((
        reg("ranker-v2", "ranking", "2026-03-01", "2026-03-14"),
        reg("ranker-v3", "ranking", "2026-03-10", "2026-03-24"),            # planted: overlaps v2
        reg("ranker-ios", "ranking", "2026-03-01", "2026-03-05", {"ios"}),  # planted: overlaps v2
        reg("ranker-old", "ranking", "2026-02-01", "2026-02-28"),           # earlier dates
        reg("button", "ui", "2026-03-01", "2026-03-31"),                    # another layer
        reg("web-only", "ui2", "2026-03-01", "2026-03-31", {"web"}),
        reg("ios-only", "ui2", "2026-03-01", "2026-03-31", {"ios"}),        # disjoint population
        reg("half-1", "ui3", "2026-03-01", "2026-03-31", bucket_range=(0, 5000)),
        reg("half-2", "ui3", "2026-03-01", "2026-03-31", bucket_range=(5000, 10_000)),
    ))
    found = {frozenset((c.first, c.second)) for c in registry.conflicts()}
    assert found == {frozenset(("ranker-v2", "ranker-v3")), frozenset(("ranker-v2", "ranker-ios"))}


def test_registry_finds_units_exposed_twice_in_a_layer():
    registry = asg.Registry((asg.Registration("r1", "ranking", "2026-03-01", "2026-03-14"),
                             asg.Registration("r2", "ranking", "2026-03-01", "2026-03-14"),
                             asg.Registration("u1", "ui", "2026-03-01", "2026-03-14")))
    units = [1, 1, 1, 2, 2, 3, 3, 4]
    experiments = ["r1", "r1", "r2", "r1", "u1", "r2", "r1", "u1"]
    found = registry.double_exposures(units, experiments)
    assert found.unit_id.tolist() == [1, 3]
    assert found.experiments.tolist() == [("r1", "r2"), ("r1", "r2")]
    assert registry.double_exposures([1, 2], ["r1", "u1"]).empty


def test_interaction_test_matches_statsmodels_ols():
    rng = np.random.default_rng(5)
    n = 400
    a, b = rng.random(n) < 0.5, rng.random(n) < 0.4
    y = 1 + 0.3 * a + 0.2 * b + 0.25 * (a & b) + rng.normal(size=n)
    fit = smf.ols("y ~ a * b", data=pd.DataFrame({"y": y, "a": a.astype(int), "b": b.astype(int)})).fit()
    res = asg.interaction_test(y, a, b)
    low, high = fit.conf_int().loc["a:b"]
    np.testing.assert_allclose([res.estimate, res.statistic, res.p_value, res.ci_low, res.ci_high],
                               [fit.params["a:b"], fit.tvalues["a:b"], fit.pvalues["a:b"], low, high],
                               rtol=1e-9)


def test_interaction_test_calibration():
    rng = np.random.default_rng(11)
    n_sims, n = 20_000, 100
    a, b = rng.random((n_sims, n)) < 0.5, rng.random((n_sims, n)) < 0.5
    y = 0.5 * a + 0.3 * b + rng.normal(size=(n_sims, n))  # main effects, no interaction
    rate = asg.interaction_test(y, a, b).reject.mean()
    lo, hi = binomial_band(0.05, n_sims)
    assert lo <= rate <= hi


def test_aa_tests_on_hashed_assignment_are_calibrated():
    n_sims, n = 20_000, 50
    ids = np.arange(n)
    in_b = np.stack([asg.bucket_many(ids, f"aa-{k}", 2) == 1 for k in range(n_sims)])
    y = np.random.default_rng(3).normal(size=(n_sims, n))
    nb = in_b.sum(axis=1)
    na = n - nb
    mb, ma = (y * in_b).sum(axis=1) / nb, (y * ~in_b).sum(axis=1) / na
    sse = ((y - np.where(in_b, mb[:, None], ma[:, None])) ** 2).sum(axis=1)
    t = (mb - ma) / np.sqrt(sse / (n - 2) * (1 / na + 1 / nb))
    rate = np.mean(2 * sps.t.sf(np.abs(t), n - 2) < 0.05)
    lo, hi = binomial_band(0.05, n_sims)
    assert lo <= rate <= hi


@pytest.mark.parametrize("make, name", [
    (lambda: asg.bucket(1, "s", buckets=0), "buckets"),
    (lambda: asg.bucket(1, "s", buckets=2.5), "buckets"),
    (lambda: asg.bucket(1, ""), "salt"),
    (lambda: asg.bucket(1.5, "s"), "unit_id"),
    (lambda: asg.bucket_many([1, None], "s"), "unit_ids"),
    (lambda: asg.Experiment("e", {"A": 0.5, "B": 0.4}), "weights"),
    (lambda: asg.Experiment("e", {"A": 1.0}), "weights"),
    (lambda: asg.Experiment("e", {"A": 1.2, "B": -0.2}), "weights"),
    (lambda: asg.Experiment("e", AB, traffic=0), "traffic"),
    (lambda: asg.Experiment("e", AB, traffic=1.5), "traffic"),
    (lambda: asg.Experiment("e", AB, overrides={1: "C"}), "unknown variant"),
    (lambda: asg.Experiment("e", AB, buckets=0), "buckets"),
    (lambda: asg.Experiment("", AB), "name"),
    (lambda: asg.Layer("l").add(asg.Experiment("e", AB), 0.6).add(asg.Experiment("f", AB), 0.6), "share"),
    (lambda: asg.Layer("l", (asg.Allocation(asg.Experiment("e", AB), 0, 600),
                             asg.Allocation(asg.Experiment("f", AB), 500, 900))), "allocations"),
    (lambda: asg.Layer("l", (asg.Allocation(asg.Experiment("e", AB), 0, 20_000),)), "allocations"),
    (lambda: asg.Platform((asg.Layer("a", salt="s"), asg.Layer("b", salt="s"))), "layers"),
    (lambda: asg.Platform(()), "layers"),
    (lambda: asg.Holdout(1.0), "share"),
    (lambda: asg.Registration("e", "l", "2026-03-01", "2026-03-02", bucket_range=(5,)), "bucket_range"),
    (lambda: asg.Registration("e", "l", "2026-03-10", "2026-03-01"), "end"),
    (lambda: asg.Registration("e", "l", "March 1", "2026-03-01"), "start"),
    (lambda: asg.Registration("e", "l", "2026-03-01", "2026-03-02", population=set()), "population"),
    (lambda: asg.Registration("e", "l", "2026-03-01", "2026-03-02", bucket_range=(5, 5)), "bucket_range"),
    (lambda: asg.Registry((asg.Registration("e", "l", "2026-03-01", "2026-03-02"),) * 2), "registrations"),
    (lambda: asg.Registry().double_exposures([1], ["nope"]), "experiments"),
    (lambda: asg.Registry().double_exposures([1, 2], ["nope"]), "same length"),
    (lambda: asg.interaction_test(np.zeros(10), np.ones(9), np.ones(10)), "in_a"),
    (lambda: asg.interaction_test(np.arange(10.0), np.ones(10), np.arange(10) < 5), "cells"),
    (lambda: asg.interaction_test(np.arange(12.0), np.arange(12) % 2, np.arange(12) % 3 == 0, alpha=1), "alpha"),
])
def test_bad_input_raises_value_error_naming_the_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make()


# ---- exact assignment against an independent implementation (hashlib + exact fractions) -------

def _ref_bucket(unit_id, salt, buckets=10_000):
    return int(hashlib.sha256(f"{salt}:{unit_id}".encode()).hexdigest()[:16], 16) * buckets // 2**64


def _ref_variant(b, weights, buckets=10_000):
    """The variant whose range [edge_{k-1}, edge_k) of exact decimal edges holds bucket ``b``."""
    edge = Fraction(0)
    for name, w in weights.items():
        edge += Fraction(str(w)) * buckets
        if b < edge:
            return name
    return list(weights)[-1]


REF_IDS = list(range(30_000))


@pytest.mark.parametrize("weights, traffic", [
    (AB, 0.1), (AB, 1.0),
    ({"a": 0.7, "b": 0.2, "c": 0.1}, 0.35),      # float cumsum ends at 0.9999999999999999
    ({"a": 0.01, "b": 0.13, "c": 0.86}, 0.5),    # float edge 1400.0000000000002 for the exact 1400
])
def test_experiment_assignment_equals_an_independent_implementation(weights, traffic):
    exp = asg.Experiment("edge-test", weights, traffic=traffic)
    got = exp.assign_many(REF_IDS)
    t_buckets = [_ref_bucket(u, "edge-test:traffic") for u in REF_IDS]
    v_buckets = [_ref_bucket(u, "edge-test:variant") for u in REF_IDS]
    expected = [None if tb >= Fraction(str(traffic)) * 10_000 else _ref_variant(vb, weights)
                for tb, vb in zip(t_buckets, v_buckets)]
    assert got.tolist() == expected
    # the ids include units exactly on the traffic boundary and on a variant edge
    assert traffic == 1.0 or int(traffic * 10_000) in t_buckets
    edges = np.cumsum([Fraction(str(w)) for w in weights.values()])[:-1] * 10_000
    assert {int(e) for e in edges} & set(v_buckets)


def test_two_experiments_at_low_traffic_get_independent_users_and_variants():
    # Each experiment's salt enters both hashes: at 10% traffic two experiments share about
    # 1% of the users (not 10%), and their variants agree about half the time.
    first = asg.Experiment("search", AB, traffic=0.1).assign_many(IDS)
    second = asg.Experiment("checkout", AB, traffic=0.1).assign_many(IDS)
    both = (first != None) & (second != None)  # noqa: E711
    lo, hi = binomial_band(0.01, IDS.size)
    assert lo <= both.mean() <= hi
    full = [asg.Experiment(name, AB).assign_many(IDS) for name in ("search", "checkout")]
    lo, hi = binomial_band(0.5, IDS.size)
    assert lo <= np.mean(full[0] == full[1]) <= hi


def test_traffic_and_variant_buckets_are_independent():
    # Users in traffic at 10% are split 50/50 (one bucket for both would put them all in A).
    got = asg.Experiment("one-hash?", AB, traffic=0.1).assign_many(IDS)
    exposed = got[got != None]  # noqa: E711
    lo, hi = binomial_band(0.5, exposed.size)
    assert lo <= np.mean(exposed == "B") <= hi


def test_override_wins_over_exclude():
    exp = asg.Experiment("e", AB, exclude={7}, overrides={7: "B"})
    assert exp.assign(7) == "B"


def test_layer_assignment_equals_an_independent_implementation():
    layer = (asg.Layer("ranking").add(asg.Experiment("r1", AB), 0.3)
             .add(asg.Experiment("r2", AB, traffic=0.5), 0.2))     # buckets 5000-9999 are free
    names, variants = layer.assign_many(REF_IDS)
    slots = [_ref_bucket(u, "ranking") for u in REF_IDS]
    for u, slot, name, variant in zip(REF_IDS, slots, names, variants):
        if slot < 3000:
            want = ("r1", _ref_variant(_ref_bucket(u, "r1:variant"), AB))
        elif slot < 5000 and _ref_bucket(u, "r2:traffic") < 5000:
            want = ("r2", _ref_variant(_ref_bucket(u, "r2:variant"), AB))
        else:
            want = (None, None)
        assert (name, variant) == want, (u, slot)
    assert {3000, 5000} <= set(slots)       # units on both range ends are among the ids


def test_layer_share_is_rounded_to_whole_buckets():
    layer = asg.Layer("l").add(asg.Experiment("e", AB), 0.57)   # 0.57 * 10_000 = 5699.999999999999
    assert (layer.allocations[0].start, layer.allocations[0].stop) == (0, 5700)
    assert layer.free == 4300


def test_holdout_equals_an_independent_implementation():
    held = asg.Holdout(0.05).contains_many(REF_IDS)
    buckets = [_ref_bucket(u, "global-holdout") for u in REF_IDS]
    assert held.tolist() == [b < 500 for b in buckets] and 500 in buckets


def test_registrations_overlap_when_one_ends_the_day_the_other_starts():
    # Dates are inclusive: both experiments run on 2026-03-14.
    first = asg.Registration("a", "l", "2026-03-01", "2026-03-14")
    assert first.overlaps(asg.Registration("b", "l", "2026-03-14", "2026-03-20"))
    assert not first.overlaps(asg.Registration("c", "l", "2026-03-15", "2026-03-20"))


def test_weights_that_sum_to_one_within_rounding_cover_every_bucket():
    # Accepted weights may sum to 1 within 1e-9; the last variant still ends at the last bucket.
    weights = {"A": 0.5, "B": 0.4999999995}
    got = asg.Experiment("nearly-one", weights).assign_many(REF_IDS)
    assert all(g in ("A", "B") for g in got)
    assert 9999 in [_ref_bucket(u, "nearly-one:variant") for u in REF_IDS]
    # with a huge bucket space the shortfall (1e-9 of it) would hold buckets no variant covers
    assert asg.Experiment("huge", weights, buckets=10**12)._edges()[-1] == 10**12


def test_integer_arrays_hash_like_their_text_and_other_arrays_are_rejected():
    ids = np.array([42, 7, 0], dtype=np.int64)
    assert asg.bucket_many(ids, "s").tolist() == [asg.bucket(str(u), "s") for u in ("42", "7", "0")]
    assert asg.bucket_many(np.array([42], dtype=np.uint32), "s")[0] == asg.bucket("42", "s")
    for bad in (np.array([1.0, 2.0]), np.array([True, False]), [np.float64(3.0)], [True]):
        with pytest.raises(ValueError, match="unit_ids"):
            asg.bucket_many(bad, "s")


def _instances():
    exp = asg.Experiment("e", AB)
    layer = asg.Layer("l").add(exp, 0.5)
    reg = asg.Registration("e", "l", "2026-03-01", "2026-03-14")
    return [exp, layer.allocations[0], layer, asg.Holdout(0.05), asg.Platform([layer]), reg,
            asg.Conflict("a", "b", "l"), asg.Registry((reg,))]


@pytest.mark.parametrize("obj", _instances(), ids=lambda o: type(o).__name__)
def test_results_are_frozen(obj):
    import dataclasses
    field = dataclasses.fields(obj)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, field, getattr(obj, field))


def test_free_buckets_count_every_allocation():
    layer = asg.Layer("l").add(asg.Experiment("a", AB), 0.3).add(asg.Experiment("b", AB), 0.2)
    assert [(a.start, a.stop) for a in layer.allocations] == [(0, 3000), (3000, 5000)]
    assert layer.free == 5000


def test_single_unit_lookups_agree_with_the_vectorised_ones():
    layer = asg.Layer("ranking").add(asg.Experiment("r1", AB), 0.3).add(asg.Experiment("r2", AB, traffic=0.5), 0.2)
    names, variants = layer.assign_many(REF_IDS)
    for u, name, variant in zip(REF_IDS[:3000], names, variants):
        assert layer.assign(u) == (None if name is None else (name, variant))
    holdout = asg.Holdout(0.05)
    assert [holdout.contains(u) for u in REF_IDS[:3000]] == holdout.contains_many(REF_IDS[:3000]).tolist()
    platform = asg.Platform([layer, asg.Layer("ui").add(asg.Experiment("u1", AB), 1.0)], holdout=holdout)
    rows = platform.exposures(REF_IDS)
    assert list(rows.index) == list(range(len(rows)))            # one clean row index
    for u in REF_IDS[:50]:
        mine = rows[rows.unit_id == u]
        assert platform.assign(u) == dict(zip(mine.experiment, mine.variant))


def test_registry_register_adds_and_bucket_ranges_are_half_open():
    first = asg.Registration("a", "l", "2026-03-01", "2026-03-14", bucket_range=(0, 5000))
    registry = asg.Registry().register(first)
    assert registry.registrations == (first,)
    touching = asg.Registration("b", "l", "2026-03-01", "2026-03-14", bucket_range=(5000, 10_000))
    sharing = asg.Registration("c", "l", "2026-03-01", "2026-03-14", bucket_range=(4999, 10_000))
    assert not first.overlaps(touching) and not touching.overlaps(first)      # [0, 5000) and [5000, 10000)
    assert first.overlaps(sharing) and sharing.overlaps(first)                # bucket 4999 in both
    everyone = asg.Registration("d", "l", "2026-03-14", "2026-03-20")           # default: every bucket
    assert everyone.overlaps(asg.Registration("e", "l", "2026-03-01", "2026-03-14", bucket_range=(0, 1)))
    assert asg.Registration("f", "l", "2026-03-14", "2026-03-20").overlaps(first)   # starts on first's last day
    assert registry.register(sharing).conflicts() == [asg.Conflict("a", "c", "l")]


def test_interaction_test_at_its_smallest_sample_and_weights_with_an_empty_variant():
    """Two users per cell is the smallest fit; fewer than five users is rejected before the cells are counted."""
    y = np.array([1.0, 1.4, 2.0, 2.6, 0.5, 0.9, 3.0, 3.3])
    a, b = np.array([0, 0, 1, 1, 0, 0, 1, 1], bool), np.array([0, 0, 0, 0, 1, 1, 1, 1], bool)
    fit = smf.ols("y ~ a * b", data=pd.DataFrame({"y": y, "a": a.astype(int), "b": b.astype(int)})).fit()
    res = asg.interaction_test(y, a, b)
    np.testing.assert_allclose([res.estimate, res.p_value], [fit.params["a:b"], fit.pvalues["a:b"]], rtol=1e-9)
    assert asg.interaction_test(y, a.astype(int), b.astype(int)) == res     # 0/1 flags mean the same
    with pytest.raises(ValueError, match="y must hold at least 5"):
        asg.interaction_test(y[:4], a[:4], b[:4])
    with pytest.raises(ValueError, match="weights"):                  # a variant nobody can get
        asg.Experiment("e", {"A": 1.0, "B": 0.0})
