"""Fellegi-Sunter model: EM, u sampling, labels, scoring, tf, explanation, persistence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import models.gammas as gammas_module
from linker.columns import MATCH_PROBABILITY, MATCH_WEIGHT, gamma_column
from linker.errors import ConfigError, DataContractError, TrainingError
from models import (
    COUNT,
    LOG2_BAYES_FACTOR,
    M_PROBABILITY,
    PRIOR_WEIGHT,
    U_PROBABILITY,
    Comparison,
    ComparisonLevel,
    FellegiSunterModel,
    bf_column,
    pattern_counts,
)

L = ComparisonLevel


def _comparison(name: str, k: int, *, tf: bool = False) -> Comparison:
    similar = tuple(L(f"{name}_{i}", tf_adjusted=tf and i == k - 1) for i in range(k - 1, 0, -1))
    return Comparison(
        name,
        (L("null", is_null=True), *similar, L("else")),
        tf_column=f"{name}_col" if tf else None,
    )


COMPARISONS = (
    _comparison("a", 3),
    _comparison("b", 4, tf=True),
    _comparison("c", 3),
    _comparison("d", 4),
)
# m and u by gamma (index 0 = "else"); m rises and u falls with similarity.
M_TRUE = {
    "a": np.array([0.05, 0.15, 0.80]),
    "b": np.array([0.05, 0.10, 0.25, 0.60]),
    "c": np.array([0.10, 0.20, 0.70]),
    "d": np.array([0.02, 0.08, 0.20, 0.70]),
}
U_TRUE = {
    "a": np.array([0.90, 0.08, 0.02]),
    "b": np.array([0.70, 0.20, 0.07, 0.03]),
    "c": np.array([0.85, 0.10, 0.05]),
    "d": np.array([0.80, 0.15, 0.04, 0.01]),
}
NULL_RATE = {"a": 0.0, "b": 0.1, "c": 0.2, "d": 0.05}
LAMBDA = 0.1


def simulate(n: int, lam: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Pairs drawn from the model itself: match with probability lam, then levels from m/u."""
    rng = np.random.default_rng(seed)
    is_match = rng.random(n) < lam
    columns = {}
    for c in COMPARISONS:
        k = c.num_levels
        from_m = rng.choice(k, n, p=M_TRUE[c.name])
        from_u = rng.choice(k, n, p=U_TRUE[c.name])
        g = np.where(is_match, from_m, from_u).astype(np.int8)
        g[rng.random(n) < NULL_RATE[c.name]] = -1
        columns[c.gamma_column] = g
    return pd.DataFrame(columns), is_match


@pytest.fixture(scope="module")
def pairs() -> tuple[pd.DataFrame, np.ndarray]:
    return simulate(200_000, LAMBDA, seed=1)


@pytest.fixture(scope="module")
def true_model() -> FellegiSunterModel:
    return FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)


@pytest.fixture(scope="module")
def u_from_random_pairs() -> FellegiSunterModel:
    random_pairs, _ = simulate(200_000, 0.0, seed=2)
    return FellegiSunterModel.initial(COMPARISONS).estimate_u_random_sampling(random_pairs)


def random_gammas(draw: st.DrawFn, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c.gamma_column: np.array(
                draw(st.lists(st.integers(-1, c.num_levels - 1), min_size=n, max_size=n)),
                dtype=np.int8,
            )
            for c in COMPARISONS
        }
    )


gamma_frames = st.integers(0, 25).flatmap(lambda n: st.composite(lambda d: random_gammas(d, n))())


# --- u by random sampling ------------------------------------------------------------------


def test_u_from_random_sampling_is_level_frequency(u_from_random_pairs: FellegiSunterModel) -> None:
    for name, u in U_TRUE.items():
        np.testing.assert_allclose(u_from_random_pairs.u[name], u, atol=0.005)
        assert u_from_random_pairs.u[name].sum() == pytest.approx(1.0)


def test_u_level_never_seen_gets_half_an_observation() -> None:
    model = FellegiSunterModel.initial(COMPARISONS)
    gammas = pd.DataFrame({c.gamma_column: np.zeros(1000, dtype=np.int8) for c in COMPARISONS})
    u = model.estimate_u_random_sampling(gammas).u["a"]
    assert np.all(u > 0)
    assert u[2] == pytest.approx(0.5 / 1001, rel=1e-9)
    assert u.sum() == pytest.approx(1.0)


# --- EM ----------------------------------------------------------------------------------------


def _perturbed_start() -> FellegiSunterModel:
    rng = np.random.default_rng(3)
    m = {k: v * rng.uniform(0.6, 1.4, len(v)) for k, v in M_TRUE.items()}
    m = {k: v / v.sum() for k, v in m.items()}
    return FellegiSunterModel(COMPARISONS, m, U_TRUE, prior=0.3)


@pytest.mark.parametrize("start", ["initial", "perturbed"])
def test_em_recovers_known_m_and_lambda(
    pairs: tuple[pd.DataFrame, np.ndarray], u_from_random_pairs: FellegiSunterModel, start: str
) -> None:
    gammas, _ = pairs
    if start == "initial":
        model = u_from_random_pairs
    else:
        model = _perturbed_start()
        model = FellegiSunterModel(COMPARISONS, model.m, u_from_random_pairs.u, model.prior)
    result = model.fit_em(pattern_counts(gammas), fix_u=True)
    assert result.converged
    for name, m in M_TRUE.items():
        np.testing.assert_allclose(result.model.m[name], m, atol=0.02)
        np.testing.assert_array_equal(result.model.u[name], u_from_random_pairs.u[name])
    assert result.model.prior == pytest.approx(LAMBDA, rel=0.10)


def test_em_log_likelihood_never_decreases(
    pairs: tuple[pd.DataFrame, np.ndarray], u_from_random_pairs: FellegiSunterModel
) -> None:
    result = u_from_random_pairs.fit_em(pattern_counts(pairs[0]), fix_u=False, tol=1e-9)
    ll = result.history["log_likelihood"].to_numpy()
    assert len(ll) > 2
    assert np.all(np.diff(ll) >= -1e-6 * np.abs(ll[:-1]))
    assert result.model.prior == pytest.approx(LAMBDA, rel=0.25)


def test_em_over_patterns_equals_em_over_pairs() -> None:
    gammas, _ = simulate(3000, 0.2, seed=4)
    start = FellegiSunterModel.initial(COMPARISONS)
    by_pattern = start.fit_em(pattern_counts(gammas), max_iter=20, tol=0.0)
    one_per_pair = gammas.assign(**{COUNT: 1})
    by_pair = start.fit_em(one_per_pair, max_iter=20, tol=0.0)
    assert not by_pattern.converged and len(by_pattern.history) == 20
    assert by_pattern.model.prior == pytest.approx(by_pair.model.prior, rel=1e-9)
    for name in M_TRUE:
        np.testing.assert_allclose(by_pattern.model.m[name], by_pair.model.m[name], rtol=1e-9)


def test_em_leaves_untrained_comparisons_and_lambda_alone(
    pairs: tuple[pd.DataFrame, np.ndarray],
) -> None:
    start = FellegiSunterModel.initial(COMPARISONS)
    result = start.fit_em(
        pattern_counts(pairs[0]), comparisons_to_train=["a", "c"], train_prior=False
    )
    np.testing.assert_array_equal(result.model.m["b"], start.m["b"])
    np.testing.assert_array_equal(result.model.m["d"], start.m["d"])
    assert result.model.prior == start.prior
    assert not np.allclose(result.model.m["a"], start.m["a"])


def test_em_m_never_reaches_zero() -> None:
    gammas, _ = simulate(5000, 0.2, seed=5)
    gammas[gamma_column("a")] = np.int8(0)  # level 1 and 2 of "a" never occur
    result = FellegiSunterModel.initial(COMPARISONS).fit_em(pattern_counts(gammas))
    assert np.all(result.model.m["a"] >= 1e-7)
    assert np.all(np.isfinite(result.model.score(gammas)[MATCH_WEIGHT]))


def test_pattern_counts_matches_groupby(pairs: tuple[pd.DataFrame, np.ndarray]) -> None:
    gammas = pairs[0]
    counts = pattern_counts(gammas)
    oracle = gammas.groupby(list(gammas.columns)).size()
    assert counts[COUNT].sum() == len(gammas)
    assert len(counts) == len(oracle)
    got = counts.set_index(list(gammas.columns))[COUNT]
    pd.testing.assert_series_equal(got.sort_index(), oracle.sort_index(), check_names=False)
    assert all(counts[c].dtype == np.int8 for c in gammas.columns)


@pytest.mark.parametrize(("bincount_limit", "block"), [(1 << 24, 1 << 18), (0, 3)])
@given(data=st.data())
def test_pattern_counts_is_sorted_and_exact_on_every_path(
    bincount_limit: int, block: int, data: st.DataObject
) -> None:
    # Tallied by bincount or hashed, codes built in one block or in many: the vectors
    # sorted, each counted once, whatever the levels (null -1 included).
    levels = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    rows = data.draw(
        st.lists(st.tuples(*(st.integers(-1, k - 1) for k in levels)), min_size=1, max_size=25)
    )
    columns = [f"gamma_{i}" for i in range(len(levels))]
    gammas = pd.DataFrame(rows, columns=columns).astype(np.int8)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gammas_module, "_BINCOUNT_LIMIT", bincount_limit)
        patch.setattr(gammas_module, "_CODE_BLOCK", block)
        counts = pattern_counts(gammas)
    oracle = gammas.groupby(columns).size()  # sorted by the vector
    vectors = list(map(tuple, counts[columns].to_numpy().tolist()))
    assert vectors == list(oracle.index.map(lambda v: v if isinstance(v, tuple) else (v,)))
    assert counts[COUNT].tolist() == oracle.tolist()


def test_pattern_counts_reads_dicts_and_missing_values_as_null() -> None:
    gammas = {
        "gamma_x": pd.Series([1, None, 1], dtype="Int8"),
        "gamma_y": np.array([0.0, 1, np.nan]),
    }
    counts = pattern_counts(gammas)
    assert sorted(map(tuple, counts.to_numpy().tolist())) == [(-1, 1, 1), (1, -1, 1), (1, 0, 1)]


# --- learning from labels ----------------------------------------------------------------------


def test_fit_from_labels_recovers_m(pairs: tuple[pd.DataFrame, np.ndarray]) -> None:
    gammas, is_match = pairs
    model = FellegiSunterModel.initial(COMPARISONS).fit_from_labels(gammas, is_match)
    for name, m in M_TRUE.items():
        np.testing.assert_allclose(model.m[name], m, atol=0.01)
    np.testing.assert_array_equal(model.u["a"], FellegiSunterModel.initial(COMPARISONS).u["a"])


def test_fit_from_labels_can_estimate_u(pairs: tuple[pd.DataFrame, np.ndarray]) -> None:
    gammas, is_match = pairs
    model = FellegiSunterModel.initial(COMPARISONS)
    model = model.fit_from_labels(gammas, is_match, estimate_u=True)
    for name, u in U_TRUE.items():
        np.testing.assert_allclose(model.u[name], u, atol=0.01)


def test_fit_from_labels_blends_with_current_m() -> None:
    start = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    gammas = pd.DataFrame({c.gamma_column: np.full(3, 0, dtype=np.int8) for c in COMPARISONS})
    labels = np.ones(3, dtype=bool)
    nudged = start.fit_from_labels(gammas, labels, prior_weight=1000.0)
    assert nudged.m["a"][0] > M_TRUE["a"][0]  # moved towards "else"...
    np.testing.assert_allclose(nudged.m["a"], M_TRUE["a"], atol=0.01)  # ...but only a little
    raw = start.fit_from_labels(gammas, labels, prior_weight=0.0, smoothing=0.0)
    assert raw.m["a"][0] == pytest.approx(1.0, abs=1e-5)  # pure counts, floored


@pytest.mark.parametrize(
    ("labels", "error"),
    [
        (np.zeros(3, dtype=bool), TrainingError),  # no match to learn m from
        (np.array([1, 0, 1]), DataContractError),  # not boolean
        (np.ones(2, dtype=bool), DataContractError),  # wrong length
        (pd.Series([True, None, False], dtype="boolean"), DataContractError),  # unsure left in
    ],
)
def test_fit_from_labels_rejects_useless_labels(labels: object, error: type) -> None:
    gammas = pd.DataFrame({c.gamma_column: np.zeros(3, dtype=np.int8) for c in COMPARISONS})
    with pytest.raises(error):
        FellegiSunterModel.initial(COMPARISONS).fit_from_labels(gammas, labels)


# --- scoring, explanation ----------------------------------------------------------------------


@st.composite
def increments(draw: st.DrawFn) -> tuple[pd.DataFrame, str]:
    frame = random_gammas(draw, draw(st.integers(1, 20)))
    return frame, draw(st.sampled_from([c.name for c in COMPARISONS]))


@given(increments())
def test_score_is_monotone_in_each_gamma(case: tuple[pd.DataFrame, str]) -> None:
    model = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    gammas, name = case
    column = gamma_column(name)
    can_rise = (gammas[column] >= 0) & (gammas[column] < model.comparison(name).num_levels - 1)
    raised = gammas.copy()
    raised.loc[can_rise, column] = (raised.loc[can_rise, column] + 1).astype(np.int8)
    before, after = model.score(gammas), model.score(raised)
    assert np.all(after[MATCH_WEIGHT][can_rise] > before[MATCH_WEIGHT][can_rise])
    assert np.all(after[MATCH_PROBABILITY][can_rise] >= before[MATCH_PROBABILITY][can_rise])
    assert np.array_equal(after[MATCH_WEIGHT][~can_rise], before[MATCH_WEIGHT][~can_rise])


@given(gamma_frames)
def test_explain_sums_exactly_to_match_weight(gammas: pd.DataFrame) -> None:
    model = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    tf = {"b": np.linspace(0.0001, 0.2, len(gammas))}
    explained = model.explain(gammas, tf=tf)
    total = explained[PRIOR_WEIGHT].to_numpy()
    for c in COMPARISONS:
        total = total + explained[bf_column(c.name)].to_numpy()
    assert np.array_equal(total, explained[MATCH_WEIGHT].to_numpy())
    assert np.array_equal(explained[MATCH_WEIGHT], model.score(gammas, tf=tf)[MATCH_WEIGHT])
    for c in COMPARISONS:
        null = gammas[c.gamma_column].to_numpy() == -1
        assert np.all(explained[bf_column(c.name)].to_numpy()[null] == 0.0)


def test_score_values_and_index() -> None:
    model = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    gammas = pd.DataFrame(
        {c.gamma_column: np.array([c.num_levels - 1, -1], dtype=np.int8) for c in COMPARISONS},
        index=[10, 20],
    )
    scored = model.score(gammas)
    expected = np.log2(LAMBDA / (1 - LAMBDA)) + sum(
        np.log2(M_TRUE[k][-1] / U_TRUE[k][-1]) for k in M_TRUE
    )
    assert list(scored.index) == [10, 20]
    assert scored[MATCH_WEIGHT].iloc[0] == pytest.approx(expected)
    assert scored[MATCH_WEIGHT].iloc[1] == pytest.approx(model.prior_weight)  # all null
    assert scored[MATCH_PROBABILITY].iloc[1] == pytest.approx(LAMBDA)
    as_dict = model.score({c.gamma_column: gammas[c.gamma_column].to_numpy() for c in COMPARISONS})
    np.testing.assert_array_equal(as_dict[MATCH_WEIGHT], scored[MATCH_WEIGHT])


def test_score_empty_frame() -> None:
    model = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    empty = pd.DataFrame({c.gamma_column: np.zeros(0, dtype=np.int8) for c in COMPARISONS})
    assert model.score(empty).shape == (0, 2)


def test_probability_saturates_without_overflow_warnings() -> None:
    comparisons = (_comparison("a", 2),)
    model = FellegiSunterModel(
        comparisons, {"a": np.array([1e-300, 1.0])}, {"a": np.array([1.0, 1e-300])}, 1e-300
    )
    scored = model.score(pd.DataFrame({"gamma_a": np.array([0, 1], dtype=np.int8)}))
    assert scored[MATCH_WEIGHT].iloc[0] < -1900  # beyond what 2**w can hold
    assert scored[MATCH_PROBABILITY].tolist() == [0.0, 0.5]  # 2**1993 overflows quietly
    flipped = FellegiSunterModel(
        comparisons, {"a": np.array([1e-300, 1.0])}, {"a": np.array([1.0, 1e-300])}, 0.5
    )
    scored = flipped.score(pd.DataFrame({"gamma_a": np.array([0, 1], dtype=np.int8)}))
    assert scored[MATCH_PROBABILITY].iloc[1] == 1.0
    assert scored[MATCH_PROBABILITY].iloc[0] == pytest.approx(1e-300, rel=1e-9)


@pytest.mark.parametrize(
    ("gammas", "message"),
    [
        ({"gamma_a": [0]}, "missing column 'gamma_b'"),
        ({"gamma_a": [3], "gamma_b": [0], "gamma_c": [0], "gamma_d": [0]}, "allows -1..2"),
        ({"gamma_a": [-2], "gamma_b": [0], "gamma_c": [0], "gamma_d": [0]}, "allows -1..2"),
        ({"gamma_a": ["x"], "gamma_b": [0], "gamma_c": [0], "gamma_d": [0]}, "integers"),
        ({"gamma_a": [0.5], "gamma_b": [0], "gamma_c": [0], "gamma_d": [0]}, "whole numbers"),
        ({"gamma_a": [0, 0], "gamma_b": [0], "gamma_c": [0], "gamma_d": [0]}, "lengths"),
    ],
)
def test_score_rejects_gammas_that_do_not_fit(gammas: dict, message: str) -> None:
    model = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    frame = {k: np.array(v) for k, v in gammas.items()}
    with pytest.raises(DataContractError, match=message):
        model.score(frame)


# --- term-frequency adjustment -------------------------------------------------------------------


def test_tf_rare_value_outweighs_common_value() -> None:
    model = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    exact_b = model.comparison("b").tf_gammas[0]
    gammas = pd.DataFrame(
        {c.gamma_column: np.full(4, c.num_levels - 1, dtype=np.int8) for c in COMPARISONS}
    )
    tf = {"b": np.array([0.0001, 0.2, np.nan, 0.0])}  # rare, common, unknown, clipped
    weight = model.explain(gammas, tf=tf)[bf_column("b")].to_numpy()
    base = np.log2(M_TRUE["b"][exact_b] / U_TRUE["b"][exact_b])
    assert weight[0] > base > weight[1]
    assert weight[0] == pytest.approx(np.log2(M_TRUE["b"][exact_b] / 0.0001))
    plain = model.explain(gammas)[bf_column("b")].to_numpy()
    assert weight[2] == plain[2] == pytest.approx(base)  # NaN: no adjustment
    assert weight[3] == pytest.approx(np.log2(M_TRUE["b"][exact_b] / model.settings.tf_minimum_u))


def test_tf_only_touches_the_flagged_level() -> None:
    model = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    gammas = pd.DataFrame(
        {c.gamma_column: np.array([0, 1, -1], dtype=np.int8) for c in COMPARISONS}
    )
    with_tf = model.score(gammas, tf={"b": np.array([1e-4, 1e-4, 1e-4])})
    np.testing.assert_array_equal(with_tf[MATCH_WEIGHT], model.score(gammas)[MATCH_WEIGHT])


@pytest.mark.parametrize(
    ("tf", "message"),
    [
        ({"a": np.array([0.1])}, "no tf_adjusted level"),
        ({"zzz": np.array([0.1])}, "no tf_adjusted level"),
        ({"b": np.array([0.1, 0.2])}, "shape"),
        ({"b": np.array([-0.1])}, "negative"),
    ],
)
def test_tf_rejects_bad_frequencies(tf: dict, message: str) -> None:
    model = FellegiSunterModel(COMPARISONS, M_TRUE, U_TRUE, LAMBDA)
    gammas = pd.DataFrame({c.gamma_column: np.array([1], dtype=np.int8) for c in COMPARISONS})
    with pytest.raises(DataContractError, match=message):
        model.score(gammas, tf=tf)


# --- persistence and chart data ------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(
    pairs: tuple[pd.DataFrame, np.ndarray], u_from_random_pairs: FellegiSunterModel
) -> FellegiSunterModel:
    return u_from_random_pairs.fit_em(pattern_counts(pairs[0])).model


@given(gamma_frames)
def test_json_round_trip_scores_identically(
    trained: FellegiSunterModel, gammas: pd.DataFrame
) -> None:
    back = FellegiSunterModel.from_json(json.loads(json.dumps(trained.to_json())))
    tf = {"b": np.geomspace(1e-6, 0.5, len(gammas))}
    pd.testing.assert_frame_equal(
        back.score(gammas, tf=tf), trained.score(gammas, tf=tf), rtol=0, atol=0
    )
    assert back.prior == trained.prior
    assert back.comparisons == trained.comparisons


def test_save_and_load_file(trained: FellegiSunterModel, tmp_path: Path, pairs: tuple) -> None:
    path = tmp_path / "model.json"
    trained.save(path)
    back = FellegiSunterModel.load(path)
    gammas = pairs[0].head(5000)
    np.testing.assert_array_equal(
        back.score(gammas)[MATCH_WEIGHT], trained.score(gammas)[MATCH_WEIGHT]
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    exact_a = data["comparisons"][0]["levels"][1]  # spec order: null, most similar, ...
    assert exact_a[M_PROBABILITY] == trained.m["a"][2]
    assert M_PROBABILITY not in data["comparisons"][0]["levels"][0]  # null level: no m/u


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(version=99), "'version' must be 1"),
        (lambda d: d.update(prior=1.5), "strictly between 0 and 1"),
        (lambda d: d["comparisons"][0]["levels"][1].update(m_probability=0.99), "sum to 1"),
        (lambda d: d["comparisons"][0]["levels"][1].pop("u_probability"), "'u_probability' must"),
        (lambda d: d["comparisons"][0]["levels"][0].update(m_probability=0.1), "null level has no"),
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d["settings"].update(m_floor=0.5), "m_floor"),
        (lambda d: d["settings"].update(u_floor="tiny"), "u_floor must be a number"),
    ],
)
def test_from_json_rejects_broken_models(
    trained: FellegiSunterModel, edit: object, message: str
) -> None:
    data = json.loads(json.dumps(trained.to_json()))
    edit(data)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message):
        FellegiSunterModel.from_json(data)


def test_load_names_the_file_on_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="model.json: not valid JSON"):
        FellegiSunterModel.load(path)


def test_match_weight_chart_data(trained: FellegiSunterModel) -> None:
    chart = trained.match_weight_chart_data()
    assert len(chart) == sum(c.num_levels for c in COMPARISONS)
    first = chart.iloc[0]
    assert (first["comparison"], first["gamma"], first["label"]) == ("a", 2, "a_2")
    np.testing.assert_allclose(
        chart[LOG2_BAYES_FACTOR], np.log2(chart[M_PROBABILITY] / chart[U_PROBABILITY])
    )
    assert chart.loc[chart["comparison"] == "b", "tf_adjusted"].tolist() == [
        True,
        False,
        False,
        False,
    ]


def test_model_parameters_are_read_only(trained: FellegiSunterModel) -> None:
    with pytest.raises(ValueError):
        trained.m["a"][0] = 0.5


# --- training errors that teach ------------------------------------------------------------


def test_em_on_no_pairs_raises_training_error() -> None:
    empty = pd.DataFrame({c.gamma_column: np.zeros(0, dtype=np.int8) for c in COMPARISONS})
    with pytest.raises(TrainingError, match="no candidate pairs"):
        FellegiSunterModel.initial(COMPARISONS).fit_em(pattern_counts(empty))


def test_em_on_an_all_null_comparison_names_it() -> None:
    gammas, _ = simulate(1000, 0.2, seed=6)
    gammas[gamma_column("c")] = np.int8(-1)
    model = FellegiSunterModel.initial(COMPARISONS)
    with pytest.raises(TrainingError, match=r"cannot train \['c'\].*comparisons_to_train"):
        model.fit_em(pattern_counts(gammas))
    trained = model.fit_em(pattern_counts(gammas), comparisons_to_train=["a", "b", "d"])
    assert trained.converged


def test_u_sampling_errors() -> None:
    model = FellegiSunterModel.initial(COMPARISONS)
    empty = pd.DataFrame({c.gamma_column: np.zeros(0, dtype=np.int8) for c in COMPARISONS})
    with pytest.raises(TrainingError, match="no random pairs"):
        model.estimate_u_random_sampling(empty)
    nulls = pd.DataFrame({c.gamma_column: np.array([-1, 0], dtype=np.int8) for c in COMPARISONS})
    nulls["gamma_a"] = np.int8(-1)
    nulls["gamma_d"] = np.int8(-1)
    with pytest.raises(TrainingError, match=r"\['a', 'd'\]"):
        model.estimate_u_random_sampling(nulls)


def test_em_input_contract_errors() -> None:
    model = FellegiSunterModel.initial(COMPARISONS)
    gammas, _ = simulate(100, 0.2, seed=7)
    with pytest.raises(DataContractError, match="pattern_counts"):
        model.fit_em(gammas)  # forgot pattern_counts
    with pytest.raises(ConfigError, match="'zzz'"):
        model.fit_em(pattern_counts(gammas), comparisons_to_train=["a", "zzz"])
    with pytest.raises(DataContractError, match="non-negative"):
        model.fit_em(pattern_counts(gammas).assign(**{COUNT: -1}))


def test_tf_baseline_stays_the_random_pair_u_when_em_learns_u(
    pairs: tuple[pd.DataFrame, np.ndarray], u_from_random_pairs: FellegiSunterModel
) -> None:
    # With u learned among candidates, the tf adjustment still compares a value's
    # frequency with the population average (random pairs), and that survives JSON.
    free = u_from_random_pairs.fit_em(
        pattern_counts(pairs[0]), fix_u=False, u_prior_weight=1000.0
    ).model
    assert free.u_random is not None
    assert not np.allclose(free.u["a"], free.u_random["a"])
    back = FellegiSunterModel.from_json(json.loads(json.dumps(free.to_json())))
    np.testing.assert_array_equal(back.u_random["a"], free.u_random["a"])
    gammas = pairs[0].head(2000)
    tf = {"b": np.full(len(gammas), 1e-4)}
    pd.testing.assert_frame_equal(back.score(gammas, tf=tf), free.score(gammas, tf=tf))


def test_labelled_non_matches_stay_non_matches_in_em(
    pairs: tuple[pd.DataFrame, np.ndarray], u_from_random_pairs: FellegiSunterModel
) -> None:
    counts = pattern_counts(pairs[0])
    counts["known"] = 0.0  # every pattern declared a known non-match
    model = u_from_random_pairs.fit_em(counts, fix_u=False, labels="known").model
    assert model.prior < 0.01
