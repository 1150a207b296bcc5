"""t-SNE of code sets, fast enough for a tab: PCA first, cached on disk by content hash."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.paths import CACHE

log = logging.getLogger(__name__)
CACHE_DIR = CACHE / "tsne"
PCA_DIMS = 30
MAX_ITER = 400
ANGLE = 0.6  # Barnes-Hut trade-off (sklearn's default 0.5): faster, visually the same


def content_key(x: np.ndarray, **params) -> str:
    h = hashlib.sha1(np.ascontiguousarray(x, np.float32).tobytes())
    h.update(repr(sorted(params.items())).encode())
    return h.hexdigest()[:20]


def embed(
    x: np.ndarray,
    perplexity: float = 30.0,
    seed: int = 0,
    cache: bool = True,
    cache_dir: str | Path | None = None,
) -> np.ndarray:
    """(N, D) codes → (N, 2) t-SNE coordinates (PCA to 30 dims, Barnes-Hut θ 0.6, 400 iterations).

    The result is cached under cache/tsne/<sha1 of the codes and parameters>.npy, so moving
    the perplexity slider back to a value seen before is instant.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    x = np.asarray(x, np.float32)
    if x.ndim != 2 or len(x) < 5:
        raise StudioError(f"t-SNE needs at least 5 codes, got {x.shape[0] if x.ndim else 0}")
    perplexity = float(min(perplexity, (len(x) - 1) / 3))
    folder = Path(cache_dir or CACHE_DIR)
    key = content_key(x, perplexity=perplexity, seed=seed, it=MAX_ITER, angle=ANGLE)
    path = folder / f"{key}.npy"
    if cache and path.exists():
        return np.load(path)
    z = x - x.mean(0)
    if x.shape[1] > PCA_DIMS and len(x) > PCA_DIMS:
        z = PCA(PCA_DIMS, random_state=seed).fit_transform(z)
    y = TSNE(
        2,
        perplexity=perplexity,
        init="pca",
        learning_rate="auto",
        max_iter=MAX_ITER,
        angle=ANGLE,
        random_state=seed,
        n_jobs=2,
    ).fit_transform(z)
    y = y.astype(np.float32)
    if cache:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{path.stem}.tmp.npy"
        np.save(tmp, y)
        tmp.replace(path)
    return y


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
    return (
        f"#{i} {clip} frame {frame}<br>"
        f"{labels['emotion'][i]} {labels['intensity'][i]}, identity {labels['identity'][i]}"
    )


def scatter_figure(xy: np.ndarray, labels: dict, colour_by: str, title: str = ""):
    """Plotly scatter of t-SNE points, one trace per colour class; hover names the point
    (#index, clip, frame, emotion, intensity, identity); customdata = the point's index."""
    import plotly.graph_objects as go

    colour = np.asarray(labels[colour_by]).astype(str)
    idx = np.arange(len(xy))
    hover = np.array([describe_point(labels, i) for i in idx])
    fig = go.Figure()
    for n, cls in enumerate(sorted(set(colour), key=lambda s: (len(s), s))):
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
        margin=dict(l=20, r=20, t=40, b=20),
        xaxis=dict(showticklabels=False),
        yaxis=dict(showticklabels=False),
    )
    return fig
