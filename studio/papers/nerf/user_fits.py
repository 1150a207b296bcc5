"""Fits of users' own clips: each in one folder, `runs/nerf-clips/<name>/` (or under
`$STUDIO_NERF_FITS`), holding the clip as a
preset (`preset/`), the resumable fit (`run/`, preview.png as it goes) and the shipped fit
(`nerf.safetensors` + `nerf.json` + the clip's plates), which the Novel-view tab and
`python -m studio.nerf view|orbit --checkpoints <folder>` load.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from studio.errors import StudioError
from studio.media.video import Video
from studio.nn.loop import StopTraining
from studio.papers.nerf.clip import MIN_SECONDS, PLATES, build_clip_preset
from studio.papers.nerf.export import ship
from studio.papers.nerf.fit import FitOptions, fit
from studio.papers.nerf.preset import MANIFEST, load_preset
from studio.papers.nerf.render import NerfRenderer, load_fitted
from studio.paths import NERF_FITS

FITS = NERF_FITS
MINUTES_PER_STEP = 0.5 / 60  # measured on the 2-core machine (docs/NERF.md), for estimates


class FitStopped(StudioError, StopTraining):
    """The user stopped a fit; its state is saved and the next fit of the folder resumes it."""


def fit_name(name: str) -> str:
    """A folder-safe name for a fit ("My clip.mp4" → "my-clip")."""
    slug = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")
    return slug[:40] or "my-clip"


def fitted_folders(root: Path = FITS) -> list[Path]:
    """Folders of shipped user fits, newest first."""
    found = [p.parent for p in Path(root).glob(f"*/{'nerf.json'}")]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def fit_user_clip(
    video: Video,
    folder: str | Path,
    steps: int = 2000,
    progress: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    min_seconds: float = MIN_SECONDS,
    val_every: int = 100,
    quick: bool = False,
) -> Path:
    """Track `video`, fit the field to it and ship the fit into `folder` (by default
    `FITS / fit_name(...)`); returns the folder. A folder already holding a preset and a run
    resumes where it stopped. `should_stop()` is asked at every log row; True ends the fit
    with FitStopped."""
    folder = Path(folder)
    say = progress or (lambda _msg: None)
    preset_dir = folder / "preset"
    if not (preset_dir / MANIFEST).exists():
        build_clip_preset(video, preset_dir, say, min_seconds)
    preset = load_preset(preset_dir)
    held = preset.manifest["config"]["source"]
    if held != Path(video.path or "your clip").name:
        raise StudioError(
            f"The fit '{folder.name}' already holds another clip ('{held}'): give this one "
            "another name"
        )

    def row(step: int, row_: dict) -> None:
        psnr = f", held-out PSNR {row_['val/psnr256']:.1f} dB" if "val/psnr256" in row_ else ""
        say(f"fitting: step {step}/{steps}{psnr}, {row_['seconds'] / 60:.1f} min")
        if should_stop is not None and should_stop():
            raise FitStopped(
                f"Stopped at step {step} of {steps}; the run is kept in {folder}/run — fit "
                "again to resume"
            )

    options = FitOptions(steps=steps, val_every=val_every)
    fit(preset, options, folder / "run", resume=True, progress=row)
    say("shipping: the occupancy grid and the clip's codes")
    ship(
        preset, folder / "run", name="nerf", directory=folder, quick=quick,
        command=f"python -m studio.nerf fit {video.path or 'CLIP'} --out {folder}",
    )  # fmt: skip
    shutil.copyfile(preset_dir / PLATES, folder / PLATES)
    say(f"done: {folder}")
    return folder


def renderer_of(folder: str | Path) -> NerfRenderer:
    """The renderer of a shipped user fit, loaded once per version of its card."""
    card = Path(folder) / "nerf.json"
    if not card.exists():
        raise StudioError(f"No fitted clip in {folder} — fit one first")
    return _renderer(str(Path(folder).resolve()), card.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _renderer(folder: str, _version: int) -> NerfRenderer:
    return NerfRenderer(load_fitted(directory=folder))
