"""t-SNE of code sets, fast enough for a tab: PCA first, cached on disk by content hash."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.paths import ASSETS, CACHE

log = logging.getLogger(__name__)
CACHE_DIR = CACHE / "tsne"
SHIPPED_DIR = ASSETS / "tsne"  # maps of the shipped code bank, so the tab opens with one
PCA_DIMS = 30
MAX_ITER = 400
ANGLE = 0.6  # Barnes-Hut trade-off (sklearn's default 0.5): faster, visually the same


def content_key(x: np.ndarray, **params) -> str:
    h = hashlib.sha1(np.ascontiguousarray(x, np.float32).tobytes())
    h.update(repr(sorted(params.items())).encode())
    return h.hexdigest()[:20]


BACKENDS = ("opentsne", "sklearn")
# measured side by side on the bank (docs/JEAN.md, "t-SNE maps"): the same time and quality
# at the same 400 iterations, so scikit-learn's fit stays (its cached maps stay valid);
# openTSNE places a user's frames into that map (`place`)
BACKEND = "sklearn"


def reduce(x: np.ndarray, seed: int = 0):
    """Centre and PCA to PCA_DIMS (when wider): (z, transform) — `transform` maps new codes
    into the same space, so they can be placed into a map fitted on x."""
    from sklearn.decomposition import PCA

    mean = x.mean(0)
    if x.shape[1] > PCA_DIMS and len(x) > PCA_DIMS:
        pca = PCA(PCA_DIMS, random_state=seed).fit(x - mean)
        return pca.transform(x - mean), lambda new: pca.transform(np.asarray(new) - mean)
    return x - mean, lambda new: np.asarray(new) - mean


def embed(
    x: np.ndarray,
    perplexity: float = 30.0,
    seed: int = 0,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    backend: str = BACKEND,
) -> np.ndarray:
    """(N, D) codes → (N, 2) t-SNE coordinates (PCA to 30 dims first), by scikit-learn
    (Barnes-Hut θ 0.6) or openTSNE (FFT gradients), 400 iterations each.

    The result is cached under cache/tsne/<sha1 of the codes and parameters>.npy (read also from
    the shipped maps in assets/tsne/), so moving the perplexity slider back to a value seen
    before is instant.
    """
    x = np.asarray(x, np.float32)
    if x.ndim != 2 or len(x) < 5:
        raise StudioError(f"t-SNE needs at least 5 codes, got {x.shape[0] if x.ndim else 0}")
    if backend not in BACKENDS:
        raise StudioError(f"t-SNE backend is one of {', '.join(BACKENDS)}, not '{backend}'")
    perplexity = float(min(perplexity, (len(x) - 1) / 3))
    path = map_path(x, perplexity, seed, backend, Path(cache_dir or CACHE_DIR))
    for known in (path, SHIPPED_DIR / path.name):
        if cache and known.exists():
            return np.load(known)
    z, _ = reduce(x, seed)
    y = _fit(z, perplexity, seed, backend).astype(np.float32)
    if cache:
        _save(y, path)
    return y


def map_path(x: np.ndarray, perplexity: float, seed: int, backend: str, folder: Path) -> Path:
    """Where the map of codes x with these parameters is cached (its content key)."""
    params = dict(perplexity=perplexity, seed=seed, it=MAX_ITER, angle=ANGLE)
    if backend != "sklearn":  # keys of maps cached before openTSNE stay valid
        params["backend"] = backend
    return folder / f"{content_key(np.asarray(x, np.float32), **params)}.npy"


def write_map(x: np.ndarray, perplexity: float, folder: Path) -> Path:
    """Fit (or read from the cache) x's map at the default seed and backend and write it into
    `folder` under its content key, where `embed` will find it (e.g. the shipped maps)."""
    x = np.asarray(x, np.float32)
    perplexity = float(min(perplexity, (len(x) - 1) / 3))
    path = map_path(x, perplexity, 0, BACKEND, Path(folder))
    _save(embed(x, perplexity=perplexity), path)
    return path


def _save(y: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.stem}.tmp.npy"
    np.save(tmp, y)
    tmp.replace(path)


def _fit(z: np.ndarray, perplexity: float, seed: int, backend: str) -> np.ndarray:
    if backend == "opentsne":
        from openTSNE import TSNE as OpenTSNE

        early = 250  # openTSNE's early-exaggeration phase; the total matches scikit-learn's
        fit = OpenTSNE(
            perplexity=perplexity,
            n_jobs=2,
            random_state=seed,
            early_exaggeration_iter=early,
            n_iter=MAX_ITER - early,
        ).fit(z)
        return np.asarray(fit, np.float32)
    from sklearn.manifold import TSNE

    return TSNE(
        2,
        perplexity=perplexity,
        init="pca",
        learning_rate="auto",
        max_iter=MAX_ITER,
        angle=ANGLE,
        random_state=seed,
        n_jobs=2,
    ).fit_transform(z)


def place(
    x: np.ndarray, xy: np.ndarray, new: np.ndarray, perplexity: float = 30.0, seed: int = 0
) -> np.ndarray:
    """(M, 2) positions of new codes (M, D) in the map `xy` (N, 2) of codes x (N, D), the map
    left as it is (openTSNE's `transform`: each new point starts at the median of its nearest
    map points and is optimised against the fixed map)."""
    from openTSNE import TSNEEmbedding, affinity

    x, new = np.asarray(x, np.float32), np.asarray(new, np.float32)
    if len(new) == 0:
        return np.zeros((0, 2), np.float32)
    if not np.isfinite(new).all():
        raise StudioError("Codes with NaN cannot be placed on a map")
    z, to_map_space = reduce(x, seed)
    perplexity = float(min(perplexity, (len(x) - 1) / 3))
    aff = affinity.PerplexityBasedNN(z, perplexity=perplexity, n_jobs=2, random_state=seed)
    fixed = TSNEEmbedding(np.asarray(xy, np.float64), aff, random_state=seed)
    return np.asarray(fixed.transform(to_map_space(new)), np.float32)


# Hues that stay apart (the 8 emotions first: sad / happy and fear / disgusted must not pair up)
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f",
    "#ff9da7", "#bab0ac", "#17becf", "#7f3c8d",
)  # fmt: skip


def describe_point(labels: dict, i: int) -> str:
    """One point in words (the hover text): its clip, frame and labels."""
    clip, frame = str(labels["clip_id"][i]), labels["frame"][i]
    if str(labels["source"][i]) == "user":
        text = f"#{i} your clip '{clip.removeprefix('user:')}', frame {frame}"
        novelty = labels.get("novelty")
        if novelty is not None and np.isfinite(novelty[i]):
            text += f"<br>novelty: {novelty[i]:.0f}th percentile of the bank's own"
            if novelty[i] > 99:
                text += " — unlike any training face"
        return text
    if clip.startswith("irfd:"):  # an image of IRFD's set: person, emotion and head turn
        return (
            f"#{i} IRFD person {labels['identity'][i]}, image {frame}<br>"
            f"{labels['emotion'][i]} {labels['intensity'][i]}, {labels['yaw'][i]}"
        )
    return (
        f"#{i} {clip} frame {frame}<br>"
        f"{labels['emotion'][i]} {labels['intensity'][i]}, identity {labels['identity'][i]}"
    )


def scatter_figure(xy: np.ndarray, labels: dict, colour_by: str, title: str = ""):
    """Plotly scatter of t-SNE points, one trace per colour class; hover names the point
    (#index, clip, frame, emotion, intensity, identity); customdata = the point's index. With
    more classes than colours (IRFD's 100 people) the colours repeat, so the legend is left
    out and the title says to hover instead."""
    import plotly.graph_objects as go

    colour = np.asarray(labels[colour_by]).astype(str)
    idx = np.arange(len(xy))
    hover = np.array([describe_point(labels, i) for i in idx])
    classes = sorted(set(colour), key=lambda s: (len(s), s))
    repeat = len(classes) > len(PALETTE)
    if repeat:
        title += f" — {len(classes)} {colour_by} classes, colours repeat: hover a point"
    fig = go.Figure()
    for n, cls in enumerate(classes):
        sel = colour == cls
        user = np.asarray(labels["source"])[sel] == "user"
        fig.add_scattergl(
            x=xy[sel, 0],
            y=xy[sel, 1],
            mode="markers",
            name=cls,
            customdata=idx[sel],
            hovertext=hover[sel],
            hoverinfo="text",
            marker=dict(
                size=np.where(user, 10, 6),
                symbol=np.where(user, "diamond", "circle"),
                color=PALETTE[n % len(PALETTE)],
                opacity=0.8,
            ),
        )
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=560,
        legend_title=colour_by,
        showlegend=not repeat,
        margin=dict(l=20, r=20, t=40, b=20),
        xaxis=dict(showticklabels=False),
        yaxis=dict(showticklabels=False),
    )
    return fig
