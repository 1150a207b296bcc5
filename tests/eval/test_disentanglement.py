"""MIG, DCI, SAP and linear-probe leakage on codes whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ortho_group

from studio.errors import StudioError
from studio.eval.disentanglement import (
    dci,
    equal_frequency_bins,
    mig,
    mutual_information,
    probe_leakage,
    sap,
)

N = 2000


@pytest.fixture(scope="module")
def factors() -> np.ndarray:
    """(N, 3) int: three independent discrete factors with 10, 12 and 10 values."""
    rng = np.random.default_rng(0)
    return np.stack([rng.integers(0, 10, N), rng.integers(0, 12, N), rng.integers(0, 10, N)], 1)


@pytest.fixture(scope="module")
def codes(factors: np.ndarray) -> dict[str, np.ndarray]:
    """Perfect (one factor per dimension + 3 noise dimensions), rotated, and random codes."""
    rng = np.random.default_rng(1)
    signal = (factors - factors.mean(0)) / factors.std(0) + 0.05 * rng.standard_normal((N, 3))
    perfect = np.concatenate([signal, rng.standard_normal((N, 3))], axis=1)
    rotated = perfect @ ortho_group.rvs(6, random_state=2)
    return {"perfect": perfect, "rotated": rotated, "random": rng.standard_normal((N, 6))}


def test_mutual_information_matches_sklearn() -> None:
    from sklearn.metrics import mutual_info_score

    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, 500)
    b = (a + rng.integers(0, 3, 500)) % 4
    ours = mutual_information(a[:, None], b[:, None])[0, 0]
    assert ours == pytest.approx(mutual_info_score(a, b), abs=1e-12)


def test_equal_frequency_bins_are_equal() -> None:
    x = np.random.default_rng(4).standard_normal(2000)
    counts = np.bincount(equal_frequency_bins(x, 20))
    assert len(counts) == 20 and counts.min() == counts.max() == 100


def test_mig_perfect_random_rotated(codes: dict, factors: np.ndarray) -> None:
    assert mig(codes["perfect"], factors).score > 0.8
    assert mig(codes["random"], factors).score < 0.1
    assert mig(codes["rotated"], factors).score < 0.2


def test_mig_continuous_factor_is_binned() -> None:
    rng = np.random.default_rng(5)
    v = rng.uniform(-1, 1, N)
    code = np.stack([v, rng.standard_normal(N)], 1)
    result = mig(code, v[:, None])
    assert result.entropy[0] == pytest.approx(np.log(20), abs=1e-6)  # 20 equal-frequency bins
    assert result.score > 0.8


def test_sap_perfect_random_rotated(codes: dict, factors: np.ndarray) -> None:
    assert sap(codes["perfect"], factors).score > 0.8
    assert sap(codes["random"], factors).score < 0.1
    assert sap(codes["rotated"], factors).score < 0.2


@pytest.fixture(scope="module")
def three_class() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Three independent 3-class factors with perfect, rotated and random codes (as `codes`).

    Few classes, so that one linear boundary per class (disentanglement_lib's SAP) can read a
    factor off its dimension: the best gap is then 1 − 1/3 for both variants."""
    rng = np.random.default_rng(9)
    factors = rng.integers(0, 3, (N, 3))
    signal = (factors - factors.mean(0)) / factors.std(0) + 0.05 * rng.standard_normal((N, 3))
    perfect = np.concatenate([signal, rng.standard_normal((N, 3))], axis=1)
    rotated = perfect @ ortho_group.rvs(6, random_state=2)
    return factors, {"perfect": perfect, "rotated": rotated, "random": rng.standard_normal((N, 6))}


@pytest.mark.parametrize("compat", ["studio", "disentanglement_lib"])
def test_sap_both_variants_tell_disentangled_from_entangled(three_class, compat) -> None:
    factors, codes = three_class
    perfect = sap(codes["perfect"], factors, compat=compat)
    assert perfect.compat == compat
    assert perfect.score > 0.55  # of at most 2/3
    assert np.all(perfect.matrix[[0, 1, 2], [0, 1, 2]] > 0.95)
    assert sap(codes["rotated"], factors, compat=compat).score < 0.25
    assert sap(codes["random"], factors, compat=compat).score < 0.05


def disentanglement_lib_score_matrix(mus, ys, mus_test, ys_test, continuous_factors):
    """disentanglement_lib's `sap_score.compute_score_matrix`, as published (mus (D, N))."""
    from sklearn import svm

    num_latents, num_factors = mus.shape[0], ys.shape[0]
    score_matrix = np.zeros([num_latents, num_factors])
    for i in range(num_latents):
        for j in range(num_factors):
            mu_i = mus[i, :]
            y_j = ys[j, :]
            if continuous_factors:
                cov_mu_i_y_j = np.cov(mu_i, y_j, ddof=1)
                cov_mu_y = cov_mu_i_y_j[0, 1] ** 2
                var_mu = cov_mu_i_y_j[0, 0]
                var_y = cov_mu_i_y_j[1, 1]
                score_matrix[i, j] = cov_mu_y * 1.0 / (var_mu * var_y) if var_mu > 1e-12 else 0.0
            else:
                mu_i_test = mus_test[i, :]
                y_j_test = ys_test[j, :]
                classifier = svm.LinearSVC(C=0.01, class_weight="balanced")
                classifier.fit(mu_i[:, np.newaxis], y_j)
                pred = classifier.predict(mu_i_test[:, np.newaxis])
                score_matrix[i, j] = np.mean(pred == y_j_test)
    return score_matrix


def test_sap_disentanglement_lib_variant_is_the_published_one(three_class) -> None:
    factors, codes = three_class
    rng = np.random.default_rng(10)
    # Unbalanced and many-class discrete factors, on raw (unstandardised, offset) codes.
    mixed = np.stack([factors[:, 0], (factors[:, 1] + 3 * factors[:, 2]) % 7], 1)
    mixed[rng.random(N) < 0.5, 0] = 0
    x = codes["rotated"][:, :4] * [0.2, 1.0, 5.0, 30.0] + 3.0
    train = np.arange(N) < 1500
    ours = sap(x, mixed, split=train, compat="disentanglement_lib")
    reference = disentanglement_lib_score_matrix(
        x[train].T, mixed[train].T, x[~train].T, mixed[~train].T, continuous_factors=False
    )
    np.testing.assert_allclose(ours.matrix, reference, atol=1e-12)
    top = np.sort(reference, axis=0)
    assert ours.score == pytest.approx(np.mean(top[-1] - top[-2]), abs=1e-12)
    # Continuous factors: R² on the training split only.
    v = x[:, :2] @ [[1.0, 0.3], [0.5, -2.0]] + rng.standard_normal((N, 2))
    v[~train] = rng.standard_normal((N - 1500, 2))  # the held-out part carries no signal
    ours = sap(x, v, split=train, compat="disentanglement_lib")
    reference = disentanglement_lib_score_matrix(x[train].T, v[train].T, None, None, True)
    np.testing.assert_allclose(ours.matrix, reference, rtol=1e-9, atol=1e-12)
    assert not np.allclose(sap(x, v, split=train).matrix, reference)  # studio: all samples


def test_sap_variants_differ_where_one_linear_boundary_cannot_read_a_dimension() -> None:
    rng = np.random.default_rng(11)
    z = rng.standard_normal((N, 3))
    ten_classes = equal_frequency_bins(z[:, 0], 10)  # ordered along dimension 0
    band = (np.abs(z[:, 1]) > 0.67).astype(int)  # both tails of dimension 1 vs the middle
    factors = np.stack([ten_classes, band], 1)
    studio = sap(z, factors)
    published = sap(z, factors, compat="disentanglement_lib")
    # Thresholds (the tree) read both factors off their dimension...
    assert studio.matrix[0, 0] > 0.95 and studio.matrix[1, 1] > 0.95
    assert studio.score > 0.4
    # ...one LinearSVC boundary per class cannot: 10 ordered classes, or a band.
    assert published.matrix[0, 0] < 0.5 and published.matrix[1, 1] < 0.75
    assert published.score < studio.score - 0.3


def test_sap_rejects_an_unknown_variant(codes: dict, factors: np.ndarray) -> None:
    with pytest.raises(StudioError, match="compat"):
        sap(codes["perfect"], factors, compat="kumar")


def test_sap_continuous_uses_r2() -> None:
    rng = np.random.default_rng(6)
    v = rng.standard_normal(N)
    code = np.stack([2 * v + 1, rng.standard_normal(N)], 1)
    result = sap(code, v[:, None])
    assert result.matrix[0, 0] == pytest.approx(1.0, abs=1e-9)
    assert result.score > 0.95


def test_dci_perfect_random_rotated(codes: dict, factors: np.ndarray) -> None:
    perfect = dci(codes["perfect"], factors)
    rotated = dci(codes["rotated"], factors)
    random = dci(codes["random"], factors)
    assert perfect.disentanglement > 0.8 and perfect.completeness > 0.8
    assert perfect.informativeness > 0.95
    assert random.disentanglement < 0.1 and random.informativeness < 0.2
    # Entangled: everything is still linearly decodable, but no dimension belongs to a factor.
    assert rotated.disentanglement < 0.3 and rotated.completeness < 0.3
    assert rotated.informativeness > 0.95
    assert perfect.importance.shape == (6, 3)


def test_dci_gbt_on_a_small_set(codes: dict, factors: np.ndarray) -> None:
    result = dci(codes["perfect"][:300], factors[:300, :2] % 3, model="gbt")
    assert result.disentanglement > 0.8 and result.informativeness > 0.9


def test_dci_accepts_a_train_mask(codes: dict, factors: np.ndarray) -> None:
    mask = np.arange(N) < N // 2
    assert dci(codes["perfect"], factors, split=mask).informativeness > 0.95
    with pytest.raises(StudioError):
        dci(codes["perfect"], factors, split=np.ones(N, dtype=bool))


def test_probe_leakage_is_chance_for_unrelated_factors() -> None:
    rng = np.random.default_rng(7)
    n = 1500
    emotion = rng.integers(0, 4, n)
    speaker = rng.integers(0, 3, n)
    loudness = rng.standard_normal(n)
    codes = {
        "emotion_code": np.stack([emotion, emotion**2], 1) + 0.1 * rng.standard_normal((n, 2)),
        "speaker_code": np.concatenate(
            [speaker[:, None] + 0.1 * rng.standard_normal((n, 1)), rng.standard_normal((n, 3))],
            1,
        ),
    }
    factors = {"emotion": emotion, "speaker": speaker, "loudness": loudness}
    train = rng.random(n) < 0.7
    table = probe_leakage(codes, factors, train)
    assert table.matrix.shape == (2, 3)
    assert table.metric == ["accuracy", "accuracy", "r2"]
    emo, spk, loud = 0, 1, 2
    assert table.matrix[0, emo] > 0.95 and table.matrix[1, spk] > 0.95
    # Unrelated: within a few points of the majority-class rate, R² near 0.
    assert abs(table.matrix[0, spk] - table.chance[spk]) < 0.06
    assert abs(table.matrix[1, emo] - table.chance[emo]) < 0.06
    assert np.all(np.abs(table.matrix[:, loud]) < 0.05)
    assert 0.2 < table.chance[emo] < 0.35
    md = table.to_markdown()
    assert "| emotion_code |" in md and "speaker (acc)" in md and "loudness (R²)" in md


def test_probe_leakage_chance_rules() -> None:
    # Training labels are mostly 0; the small test set has no 0 at all and mostly 2.
    label = np.array([0] * 60 + [1] * 20 + [2] * 20 + [1] * 3 + [2] * 7)
    train = np.arange(len(label)) < 100
    code = {"noise": np.random.default_rng(0).standard_normal((len(label), 2))}
    by_train = probe_leakage(code, {"label": label}, train)
    by_test = probe_leakage(code, {"label": label}, train, chance="test_majority")
    assert by_train.chance[0] == 0.0  # the training majority never occurs in the test set
    assert by_test.chance[0] == pytest.approx(0.7)
    with pytest.raises(StudioError):
        probe_leakage(code, {"label": label}, train, chance="uniform")


def test_dci_continuous_factors_use_lasso_r2() -> None:
    rng = np.random.default_rng(8)
    v = rng.standard_normal((N, 2))
    code = np.concatenate([v[:, ::-1] * [3.0, 0.5], rng.standard_normal((N, 2))], 1)
    result = dci(code, v)
    assert result.informativeness > 0.95  # R² on the held-out 20 %
    assert result.importance[1, 0] > 0.9 * result.importance[:, 0].sum()
    assert result.importance[0, 1] > 0.9 * result.importance[:, 1].sum()
    assert result.disentanglement > 0.9
    assert dci(rng.standard_normal((N, 4)), v).informativeness < 0.05
