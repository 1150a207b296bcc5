"""Disentanglement of learned codes against ground-truth factors (DESIGN §7).

SynthTalk knows the true identity, emotion, viseme and pose of every frame, so a model's codes
can be scored directly: does each factor live in one code dimension (MIG, SAP, DCI), and can a
code that should not know a factor predict it anyway (`probe_leakage`)?

Inputs are `codes (N, D)` float and `factors (N, K)`. A factor column is *discrete* (class
labels) when the array has an integer, bool or string dtype, and *continuous* when it is float;
pass `discrete=` to say otherwise. Where a metric needs classes, a continuous factor is cut into
`n_bins` (20) equal-frequency bins: the bin edges are its quantiles, so every bin holds about
N / 20 samples (ties may merge bins).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from studio.errors import StudioError

log = logging.getLogger(__name__)

N_BINS = 20
# Inverse L2 strengths of the logistic models. Weak regularisation, because a single code
# dimension must carve many narrow class intervals (C = 1 caps a 12-class factor near 75 %).
LOGISTIC_C_DCI = 100.0
LOGISTIC_C_PROBE = 10.0
# disentanglement_lib's SAP classifier: sklearn.svm.LinearSVC(C=0.01, class_weight="balanced").
SAP_COMPAT_SVC_C = 0.01
SAP_VARIANTS = ("studio", "disentanglement_lib")


# ---------------------------------------------------------------------------------------------
# shared helpers


def _as_codes(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[0] < 2:
        raise StudioError(f"codes must be an (N, D) array with N >= 2, got shape {codes.shape}")
    if not np.all(np.isfinite(codes)):
        raise StudioError("codes contain NaN or inf — drop those samples before scoring")
    return codes


def _is_discrete(column: np.ndarray) -> bool:
    return column.dtype.kind in "biuUSO"


def _as_factors(
    factors: np.ndarray, n: int, discrete: bool | Sequence[bool] | None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Split factors into K columns and say which are discrete (K,) bool."""
    factors = np.asarray(factors)
    if factors.ndim == 1:
        factors = factors[:, None]
    if factors.ndim != 2 or factors.shape[0] != n:
        raise StudioError(f"factors must be an ({n}, K) array, got shape {factors.shape}")
    columns = [factors[:, k] for k in range(factors.shape[1])]
    if discrete is None:
        kinds = np.array([_is_discrete(c) for c in columns])
    elif isinstance(discrete, bool):
        kinds = np.full(len(columns), discrete)
    else:
        kinds = np.asarray(discrete, dtype=bool)
        if kinds.shape != (len(columns),):
            raise StudioError(f"discrete= needs one flag per factor ({len(columns)})")
    return columns, kinds


def labels(column: np.ndarray) -> np.ndarray:
    """(N,) int class index 0..L-1 of a discrete column (any hashable label type)."""
    return np.unique(np.asarray(column), return_inverse=True)[1].reshape(-1)


def equal_frequency_bins(values: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """(N,) int bin of each value: edges at the 1/n_bins, ..., (n_bins-1)/n_bins quantiles."""
    values = np.asarray(values, dtype=np.float64)
    inner = np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    return labels(np.searchsorted(np.unique(inner), values, side="right"))


def _factor_classes(column: np.ndarray, is_discrete: bool, n_bins: int) -> np.ndarray:
    return labels(column) if is_discrete else equal_frequency_bins(column, n_bins)


def _histogram_bins(codes: np.ndarray, n_bins: int) -> np.ndarray:
    """(N, D) int: each code dimension cut into n_bins equal-width bins over its range.

    As disentanglement_lib's `_histogram_discretize` (np.histogram edges, np.digitize).
    """
    lo, hi = codes.min(axis=0), codes.max(axis=0)
    width = np.where(hi > lo, (hi - lo) / n_bins, 1.0)
    return np.clip(np.floor((codes - lo) / width), 0, n_bins - 1).astype(np.int64)


def _entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats of (unnormalised) non-negative weights along axis."""
    p = p / np.maximum(p.sum(axis=axis, keepdims=True), 1e-300)
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=axis)


def mutual_information(code_bins: np.ndarray, factor_classes: np.ndarray) -> np.ndarray:
    """(D, K) discrete mutual information in nats between binned codes and factor classes.

    One `bincount` per factor gives the joint histograms of all D code dimensions at once.
    """
    n, d = code_bins.shape
    n_code = int(code_bins.max()) + 1
    offsets = (np.arange(d) * n_code)[None, :]
    mi = np.zeros((d, factor_classes.shape[1]))
    for j in range(factor_classes.shape[1]):
        classes = factor_classes[:, j]
        n_class = int(classes.max()) + 1
        flat = ((code_bins + offsets) * n_class + classes[:, None]).ravel()
        joint = np.bincount(flat, minlength=d * n_code * n_class).reshape(d, n_code, n_class)
        joint = joint / n
        pc = joint.sum(axis=2, keepdims=True)
        pf = joint.sum(axis=1, keepdims=True)
        ratio = np.where(joint > 0, joint / np.maximum(pc * pf, 1e-300), 1.0)
        mi[:, j] = np.sum(joint * np.log(ratio), axis=(1, 2))
    return np.maximum(mi, 0.0)


def _split_mask(n: int, split: float | np.ndarray, seed: int) -> np.ndarray:
    """(N,) bool train mask: a given mask, or a seeded random fraction of the samples."""
    if isinstance(split, np.ndarray):
        mask = np.asarray(split, dtype=bool)
        if mask.shape != (n,):
            raise StudioError(f"train mask must have shape ({n},), got {mask.shape}")
    else:
        if not 0.0 < float(split) < 1.0:
            raise StudioError(f"split must be a fraction in (0, 1), got {split}")
        mask = np.zeros(n, dtype=bool)
        mask[np.random.default_rng(seed).permutation(n)[: int(round(float(split) * n))]] = True
    if mask.all() or not mask.any():
        raise StudioError("the split leaves no training or no test samples")
    return mask


# ---------------------------------------------------------------------------------------------
# MIG


@dataclass
class MigResult:
    """Mutual Information Gap. score = mean of per_factor (factors with zero entropy are NaN
    and left out); mutual_info (D, K) in nats; entropy (K,) of each factor in nats."""

    score: float
    per_factor: np.ndarray
    mutual_info: np.ndarray
    entropy: np.ndarray


def mig(
    codes: np.ndarray,
    factors: np.ndarray,
    discrete: bool | Sequence[bool] | None = None,
    n_bins: int = N_BINS,
) -> MigResult:
    """Mutual Information Gap (Chen et al. 2018, "Isolating Sources of Disentanglement in VAEs").

    MIG = 1/K Σ_k (I(z_a; v_k) − I(z_b; v_k)) / H(v_k), where z_a, z_b are the code dimensions
    with the largest and second-largest mutual information with factor v_k. As in
    disentanglement_lib, each code dimension is discretised into `n_bins` equal-width histogram
    bins and MI is the plug-in estimate on the joint histogram; continuous factors are cut into
    `n_bins` equal-frequency bins. 1 = each factor is captured by exactly one dimension.
    """
    codes = _as_codes(codes)
    if codes.shape[1] < 2:
        raise StudioError("MIG needs at least two code dimensions")
    columns, kinds = _as_factors(factors, len(codes), discrete)
    classes = np.stack(
        [_factor_classes(c, d, n_bins) for c, d in zip(columns, kinds, strict=True)], axis=1
    )
    mi = mutual_information(_histogram_bins(codes, n_bins), classes)
    entropy = np.array([_entropy(np.bincount(classes[:, k])) for k in range(classes.shape[1])])
    top = -np.sort(-mi, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_factor = np.where(entropy > 0, (top[0] - top[1]) / entropy, np.nan)
    if np.isnan(per_factor).any():
        log.warning("MIG: %d constant factor(s) left out", int(np.isnan(per_factor).sum()))
    score = float(np.nanmean(per_factor)) if np.isfinite(per_factor).any() else float("nan")
    return MigResult(score, per_factor, mi, entropy)


# ---------------------------------------------------------------------------------------------
# DCI


@dataclass
class DciResult:
    """Eastwood & Williams' three scores and what they are computed from.

    importance (D, K): relative importance of code dimension d for predicting factor k.
    informativeness_per_factor (K,): test accuracy (discrete) or test R² (continuous).
    """

    disentanglement: float
    completeness: float
    informativeness: float
    importance: np.ndarray
    informativeness_per_factor: np.ndarray


def _fit_importance(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    is_discrete: bool,
    model: str,
    seed: int,
) -> tuple[np.ndarray, float]:
    """(D,) importance and the held-out score of one predictor of one factor."""
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.linear_model import LassoCV, LogisticRegression

    if model == "gbt":
        est = (GradientBoostingClassifier if is_discrete else GradientBoostingRegressor)(
            n_estimators=50, max_depth=3, random_state=seed
        )
        est.fit(x_train, y_train)
        return est.feature_importances_, float(est.score(x_test, y_test))
    mu, sd = x_train.mean(axis=0), x_train.std(axis=0) + 1e-12
    x_train, x_test = (x_train - mu) / sd, (x_test - mu) / sd
    if is_discrete:
        est = LogisticRegression(C=LOGISTIC_C_DCI, max_iter=5000).fit(x_train, y_train)
        return np.abs(est.coef_).mean(axis=0), float(est.score(x_test, y_test))
    y_mu, y_sd = y_train.mean(), y_train.std() + 1e-12
    est = LassoCV(alphas=8, cv=3, random_state=seed).fit(x_train, (y_train - y_mu) / y_sd)
    score = float(est.score(x_test, (y_test - y_mu) / y_sd))
    return np.abs(est.coef_), score


def dci(
    codes: np.ndarray,
    factors: np.ndarray,
    split: float | np.ndarray = 0.8,
    discrete: bool | Sequence[bool] | None = None,
    model: str = "linear",
    seed: int = 0,
) -> DciResult:
    """Disentanglement, Completeness, Informativeness (Eastwood & Williams, ICLR 2018).

    One predictor per factor gives a column of the importance matrix R (D, K):
    - model="linear" (default, fast): codes standardised on the training split; multinomial
      logistic regression (C = 100) for discrete factors with importance = mean |coef| over
      classes, and LassoCV (as in the paper) for continuous factors with importance = |coef|;
    - model="gbt": sklearn gradient-boosted trees (50 trees, depth 3) with impurity
      importances, as disentanglement_lib (which keeps sklearn's 100 trees; slower, but
      catches non-linear codes).
    Then, with P_dk = R_dk / Σ_k R_dk and entropies in base K (resp. D):
    D = Σ_d ρ_d (1 − H_K(P_d·)), ρ_d = Σ_k R_dk / Σ R (dimensions weighted by importance);
    C = Σ_k ρ_k (1 − H_D(P̃_·k)), P̃_dk = R_dk / Σ_d R_dk, ρ_k = Σ_d R_dk / Σ R
    (disentanglement_lib's weighting); I = mean held-out accuracy (discrete) or R²
    (continuous, where the paper reports an error instead).
    `split` is the training fraction (seeded random) or a boolean train mask (N,).
    """
    if model not in ("linear", "gbt"):
        raise StudioError(f"model must be 'linear' or 'gbt', got {model!r}")
    codes = _as_codes(codes)
    columns, kinds = _as_factors(factors, len(codes), discrete)
    train = _split_mask(len(codes), split, seed)
    n_dims, n_factors = codes.shape[1], len(columns)
    importance = np.zeros((n_dims, n_factors))
    info = np.zeros(n_factors)
    for k, (column, is_discrete) in enumerate(zip(columns, kinds, strict=True)):
        y = labels(column) if is_discrete else np.asarray(column, dtype=np.float64)
        importance[:, k], info[k] = _fit_importance(
            codes[train], y[train], codes[~train], y[~train], bool(is_discrete), model, seed
        )
    total = importance.sum()
    if total <= 0:
        return DciResult(0.0, 0.0, float(info.mean()), importance, info)
    # Disentanglement: per code dimension, how concentrated its importance is on one factor.
    d_per_dim = 1.0 - _entropy(importance, axis=1) / np.log(n_factors) if n_factors > 1 else 1.0
    dis = float(np.sum(d_per_dim * importance.sum(axis=1) / total))
    # Completeness: per factor, how concentrated its importance is on one dimension.
    c_per_factor = 1.0 - _entropy(importance, axis=0) / np.log(n_dims) if n_dims > 1 else 1.0
    comp = float(np.sum(c_per_factor * importance.sum(axis=0) / total))
    return DciResult(dis, comp, float(info.mean()), importance, info)


# ---------------------------------------------------------------------------------------------
# SAP


@dataclass
class SapResult:
    """Separated Attribute Predictability. matrix (D, K): score of each single dimension;
    compat: the variant that computed it ("studio" or "disentanglement_lib", see `sap`)."""

    score: float
    per_factor: np.ndarray
    matrix: np.ndarray
    compat: str = "studio"


def _one_dim_accuracy(codes: np.ndarray, y: np.ndarray, train: np.ndarray, seed: int) -> np.ndarray:
    """(D,) held-out accuracy of a 1-D threshold classifier per code dimension.

    The classifier is a decision tree on that one dimension with at most 2·L leaves (L =
    number of classes), i.e. up to 2·L − 1 thresholds chosen to separate the classes.
    """
    from sklearn.tree import DecisionTreeClassifier

    n_leaves = int(min(64, max(2, 2 * (int(y.max()) + 1))))
    accuracy = np.zeros(codes.shape[1])
    for d in range(codes.shape[1]):
        tree = DecisionTreeClassifier(max_leaf_nodes=n_leaves, random_state=seed)
        tree.fit(codes[train, d : d + 1], y[train])
        accuracy[d] = tree.score(codes[~train, d : d + 1], y[~train])
    return accuracy


def _one_dim_svc_accuracy(codes: np.ndarray, y: np.ndarray, train: np.ndarray) -> np.ndarray:
    """(D,) held-out accuracy of disentanglement_lib's SAP classifier per code dimension:
    `LinearSVC(C=0.01, class_weight="balanced")` (one-vs-rest for L > 2 classes) fitted on that
    raw, unstandardised dimension alone; plain accuracy of its predictions."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    accuracy = np.zeros(codes.shape[1])
    y_train, y_test = y[train], y[~train]
    if len(np.unique(y_train)) < 2:  # LinearSVC refuses one class; any classifier says it
        accuracy[:] = np.mean(y_test == y_train[0])
        return accuracy
    unconverged = 0
    for d in range(codes.shape[1]):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            svc = LinearSVC(C=SAP_COMPAT_SVC_C, class_weight="balanced")
            svc.fit(codes[train, d : d + 1], y_train)
        unconverged += any(issubclass(w.category, ConvergenceWarning) for w in caught)
        accuracy[d] = np.mean(svc.predict(codes[~train, d : d + 1]) == y_test)
    if unconverged:
        log.info("SAP (disentanglement_lib): %d LinearSVC fit(s) did not converge", unconverged)
    return accuracy


def _r2_one_dim(codes: np.ndarray, y: np.ndarray, min_code_var: float = 0.0) -> np.ndarray:
    """(D,) R² of a 1-D linear fit of y on each code dimension = squared Pearson correlation;
    0 for a dimension whose variance (ddof 1) is not above `min_code_var`, or a constant y."""
    centred = codes - codes.mean(axis=0)
    y = np.asarray(y, dtype=np.float64)
    y = y - y.mean()
    cov = centred.T @ y
    code_ss = (centred**2).sum(axis=0)
    var = code_ss * (y**2).sum()
    ok = (var > 0) & (code_ss / max(len(y) - 1, 1) > min_code_var)
    return np.where(ok, cov**2 / np.maximum(var, 1e-300), 0.0)


def sap(
    codes: np.ndarray,
    factors: np.ndarray,
    split: float | np.ndarray = 0.8,
    discrete: bool | Sequence[bool] | None = None,
    seed: int = 0,
    compat: str = "studio",
) -> SapResult:
    """Separated Attribute Predictability (Kumar et al., ICLR 2018, "Variational Inference of
    Disentangled Latent Concepts from Unlabeled Observations").

    For each factor, score every code dimension alone, then take the gap between the best and
    second-best dimension; SAP is the mean gap over factors. `split` is the training fraction
    (seeded random) or a boolean train mask (N,). Two variants score a dimension:

    compat="studio" (default):
    - continuous factor: R² of a 1-D linear regression = squared Pearson correlation (all
      samples), as in the paper;
    - discrete factor: held-out accuracy of a 1-D threshold classifier (a decision tree on
      that dimension alone with at most 2·L leaves for L classes, fitted on the training
      split). Several thresholds let one dimension separate a many-class factor, which a
      single linear boundary cannot: with 10 classes even a perfect code would score low.

    compat="disentanglement_lib": the published implementation (disentanglement_lib's
    `sap_score.compute_score_matrix`), for numbers comparable with papers that report it:
    - discrete factor: for each factor and each single code dimension, train
      `sklearn.svm.LinearSVC(C=0.01, class_weight="balanced")` on that raw dimension alone
      (one-vs-rest for more than two classes) on the training split, and score its plain
      accuracy on the held-out split;
    - continuous factor: R² of a 1-D linear fit (squared correlation) on the training split,
      as in the paper.
    Then, as in both: gap between the top two dimensions per factor, averaged over factors.
    (disentanglement_lib treats all factors as discrete or all as continuous; here each
    factor follows `discrete=` / its dtype.)
    """
    if compat not in SAP_VARIANTS:
        raise StudioError(f"compat must be one of {', '.join(SAP_VARIANTS)}, not {compat!r}")
    codes = _as_codes(codes)
    if codes.shape[1] < 2:
        raise StudioError("SAP needs at least two code dimensions")
    columns, kinds = _as_factors(factors, len(codes), discrete)
    train = _split_mask(len(codes), split, seed)
    matrix = np.zeros((codes.shape[1], len(columns)))
    for k, (column, is_discrete) in enumerate(zip(columns, kinds, strict=True)):
        if is_discrete and compat == "studio":
            matrix[:, k] = _one_dim_accuracy(codes, labels(column), train, seed)
        elif is_discrete:
            matrix[:, k] = _one_dim_svc_accuracy(codes, labels(column), train)
        elif compat == "studio":
            matrix[:, k] = _r2_one_dim(codes, column)
        else:
            # disentanglement_lib: np.cov on the training codes, 0 where var(code) <= 1e-12.
            matrix[:, k] = _r2_one_dim(codes[train], np.asarray(column)[train], 1e-12)
    top = -np.sort(-matrix, axis=0)
    per_factor = top[0] - top[1]
    return SapResult(float(per_factor.mean()), per_factor, matrix, compat)


# ---------------------------------------------------------------------------------------------
# linear probes (leakage)


@dataclass
class LeakageTable:
    """How well each code predicts each factor with a linear probe, on held-out samples.

    matrix (C, F): accuracy for discrete factors, R² for continuous ones (rows = `codes`,
    columns = `factors`, in the dict orders). chance (F,): for discrete factors the accuracy of
    a constant guess (see `probe_leakage`'s `chance`), 0 for R². metric (F,): "accuracy" or
    "r2". A code is free of a factor when its entry is near chance.
    """

    codes: list[str]
    factors: list[str]
    matrix: np.ndarray
    chance: np.ndarray
    metric: list[str]
    n_train: int
    n_test: int

    def above_chance(self) -> np.ndarray:
        """(C, F) score minus chance: the information a code carries beyond guessing."""
        return self.matrix - self.chance[None, :]

    def to_markdown(self) -> str:
        """A markdown table, one row per code, cells "score (chance)" for accuracies."""
        head = ["code \\ factor"] + [
            f"{f} ({'acc' if m == 'accuracy' else 'R²'})"
            for f, m in zip(self.factors, self.metric, strict=True)
        ]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for i, code in enumerate(self.codes):
            cells = [code]
            for j, m in enumerate(self.metric):
                value = self.matrix[i, j]
                cells.append(
                    f"{value:.3f} ({self.chance[j]:.3f})" if m == "accuracy" else f"{value:.3f}"
                )
            lines.append("| " + " | ".join(cells) + " |")
        lines.append(
            f"\nLinear probes fitted on {self.n_train} samples, scored on {self.n_test}; "
            "accuracy cells show (chance = majority-class rate)."
        )
        return "\n".join(lines)


def probe_leakage(
    codes: Mapping[str, np.ndarray],
    factors: Mapping[str, np.ndarray],
    train_mask: np.ndarray,
    discrete: Mapping[str, bool] | None = None,
    c: float = LOGISTIC_C_PROBE,
    chance: str = "train_majority",
) -> LeakageTable:
    """Linear probe of every factor from every code: what does each code know?

    Codes are standardised on the training samples; discrete factors (integer, bool or string
    labels) are probed with multinomial logistic regression (inverse L2 strength `c`, default
    `LOGISTIC_C_PROBE` = 10) and scored by held-out accuracy, continuous (float) factors with
    ridge regression (α = 1) and scored by held-out R². `discrete={"name": True}` overrides the
    dtype rule per factor.

    `chance` is the constant guess a probe must beat: "train_majority" (the training set's most
    frequent class, scored on the test set: what a probe that ignores its input learns) or
    "test_majority" (the test set's most frequent class: the best any constant can score; use
    it when the test set is small, e.g. one sentence, and may lack the training majority).
    """
    if chance not in ("train_majority", "test_majority"):
        raise StudioError(f"chance must be 'train_majority' or 'test_majority', not {chance!r}")
    from sklearn.linear_model import LogisticRegression, Ridge

    if not codes or not factors:
        raise StudioError("probe_leakage needs at least one code and one factor")
    train = np.asarray(train_mask, dtype=bool)
    n = len(train)
    code_arrays = {}
    for name, code in codes.items():
        code = np.asarray(code, dtype=np.float64)
        code = code[:, None] if code.ndim == 1 else code
        if code.shape[0] != n:
            raise StudioError(f"code {name!r} has {code.shape[0]} samples, the mask has {n}")
        code_arrays[name] = _as_codes(code)
    _split_mask(n, train, 0)  # validates the mask
    discrete = dict(discrete or {})
    names = list(factors)
    metric, chance_rates, targets = [], [], []
    for name in names:
        column = np.asarray(factors[name]).reshape(-1)
        if column.shape != (n,):
            raise StudioError(f"factor {name!r} has shape {column.shape}, expected ({n},)")
        if discrete.get(name, _is_discrete(column)):
            y = labels(column)
            if chance == "train_majority":
                rate = float(np.mean(y[~train] == np.bincount(y[train]).argmax()))
            else:
                rate = float(np.bincount(y[~train]).max() / max(1, (~train).sum()))
            metric.append("accuracy")
            chance_rates.append(rate)
        else:
            y = column.astype(np.float64)
            metric.append("r2")
            chance_rates.append(0.0)
        targets.append(y)
    matrix = np.zeros((len(code_arrays), len(names)))
    for i, x in enumerate(code_arrays.values()):
        mu, sd = x[train].mean(axis=0), x[train].std(axis=0) + 1e-12
        x = (x - mu) / sd
        for j, y in enumerate(targets):
            if metric[j] == "accuracy":
                if len(np.unique(y[train])) < 2:
                    matrix[i, j] = chance_rates[j]
                    continue
                probe = LogisticRegression(C=c, max_iter=5000)
            else:
                probe = Ridge(alpha=1.0)
            probe.fit(x[train], y[train])
            matrix[i, j] = probe.score(x[~train], y[~train])
    return LeakageTable(
        codes=list(code_arrays),
        factors=names,
        matrix=matrix,
        chance=np.asarray(chance_rates),
        metric=metric,
        n_train=int(train.sum()),
        n_test=int((~train).sum()),
    )
