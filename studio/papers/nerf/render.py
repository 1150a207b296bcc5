"""The fast renderer of a fitted Talking NeRF, and the fitted person as the studio ships it.

Speed comes from four things (the brief: CPU, live sliders):
- empty-space skipping: a 48³ occupancy grid, computed once per fit, drops the samples in empty
  space before the field runs (the MLPs then see a fraction of the 32 per ray);
- a 32² feature map lifted by the conv upsampler, rather than one ray per output pixel;
- batched inference: a frame's rays go through the field as one batch;
- cached conditioning: the projected per-frame codes of the fitted clip are computed once.
While a slider moves, `Quality.DRAFT` (16 samples, 128²) keeps frames coming; `Quality.FULL`
(32 samples, 256²) renders when it stops, as the nerfstudio viewer does.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from studio.errors import StudioError
from studio.nn.checkpoints import load_checkpoint
from studio.papers.nerf.clip import BACKGROUND, read_plates
from studio.papers.nerf.field import NerfConfig, TalkingNerf
from studio.papers.nerf.rays import BOX_MAX, BOX_MIN, camera_in_head, pixel_directions, rays
from studio.render.camera import Camera

NAME = "nerf"
FIT_BACKGROUND = np.asarray(BACKGROUND, np.float32) / 255.0  # behind a user clip's face
CLIP_KEYS = ("clip_audio_codes", "clip_expression_codes", "clip_pose6", "clip_audio", "occupancy")


class Quality(enum.Enum):
    DRAFT = (16, 128)  # samples per ray, output side: while a slider moves
    SHARP_128 = (32, 128)  # every sample, the 128² head
    FULL = (32, 256)


@dataclass
class View:
    """Where the camera is: an orbit around the head (degrees, cm), on top of the head pose
    of the frame (`pose6`, zeros for a still, frontal head)."""

    yaw: float = 0.0
    pitch: float = 0.0
    distance_cm: float = 72.0
    pose6: np.ndarray | None = None


@dataclass
class FittedNerf:
    """A field fitted to one clip, with what the tabs need of that clip: its per-frame codes,
    head poses and audio (16 kHz int16), the emotion of each frame, and the occupancy grid."""

    nerf: TalkingNerf
    card: dict
    audio_codes: np.ndarray  # (T, 64)
    expression_codes: np.ndarray  # (T, 64)
    pose6: np.ndarray  # (T, 6)
    audio: np.ndarray  # (n,) float32
    occupancy: torch.Tensor  # (R, R, R) bool
    emotions: list[str]
    plates: np.ndarray | None = None  # (T, 256, 256, 3) a user clip's frames, face inpainted

    @property
    def is_user_clip(self) -> bool:
        return self.plates is not None

    def plate(self, t: int) -> np.ndarray | None:
        """The plate a render of frame t is composited over (None: the field's background)."""
        if self.plates is None:
            return None
        return self.plates[int(t) % len(self.plates)]

    @property
    def n_frames(self) -> int:
        return len(self.pose6)

    def emotion_code(self, emotion: str) -> np.ndarray:
        """The mean expression code of the clip's frames in `emotion` (the field's own
        training distribution)."""
        idx = [i for i, e in enumerate(self.emotions) if e == emotion]
        if not idx:
            raise StudioError(
                f"The fitted clip has no '{emotion}' frames; it has "
                + ", ".join(sorted(set(self.emotions)))
            )
        return self.expression_codes[idx].mean(0)


def load_fitted(name: str = NAME, directory=None) -> FittedNerf:
    """A shipped fit; a user's fit folder (`directory`) also holds its clip's plates."""
    state, card = load_checkpoint(name, directory)
    clip = {k: state.pop(k) for k in CLIP_KEYS}
    nerf = TalkingNerf(NerfConfig(**card["config"]))
    nerf.load_state_dict(state)
    return FittedNerf(
        nerf=nerf.eval(),
        card=card,
        audio_codes=clip["clip_audio_codes"].numpy(),
        expression_codes=clip["clip_expression_codes"].numpy(),
        pose6=clip["clip_pose6"].numpy(),
        audio=clip["clip_audio"].numpy().astype(np.float32) / 32767.0,
        occupancy=clip["occupancy"].bool(),
        emotions=list(card["data"]["frame_emotions"]),
        plates=None if directory is None else read_plates(directory),
    )


class NerfRenderer:
    """Renders views of a fitted person; one instance per person (it caches ray directions)."""

    def __init__(self, fitted: FittedNerf):
        self.fitted = fitted
        self.nerf = fitted.nerf
        self._dirs: dict[tuple[int, float], np.ndarray] = {}
        res = fitted.occupancy.shape[0]
        self._occ = fitted.occupancy.reshape(-1)
        self._res = res
        self._lo, self._hi = torch.as_tensor(BOX_MIN), torch.as_tensor(BOX_MAX)

    def _directions(self, camera: Camera) -> np.ndarray:
        key = (camera.size, camera.fov_y_deg)
        if key not in self._dirs:
            grid = self.nerf.config.feature_res
            self._dirs[key] = pixel_directions(camera.intrinsics(), camera.size, grid)
        return self._dirs[key]

    def _keep(self, points: torch.Tensor) -> torch.Tensor:
        cell = ((points - self._lo) / (self._hi - self._lo) * self._res).long()
        inside = ((cell >= 0) & (cell < self._res)).all(-1)
        cell = cell.clamp(0, self._res - 1)
        flat = (cell[..., 0] * self._res + cell[..., 1]) * self._res + cell[..., 2]
        return inside & self._occ[flat]

    @torch.no_grad()
    def render(
        self,
        view: View,
        audio_code: np.ndarray,
        expression_code: np.ndarray,
        quality: Quality = Quality.FULL,
        plate: np.ndarray | None = None,
    ) -> np.ndarray:
        """One (S, S, 3) uint8 frame; S = 128 for DRAFT, 256 for FULL. With a `plate` (a user
        clip's frame, face inpainted) the field's face is composited over it by its opacity."""
        samples, size = quality.value
        camera = Camera(
            size=size, yaw_deg=view.yaw, pitch_deg=view.pitch, distance_cm=view.distance_cm
        )
        pose6 = np.zeros(6) if view.pose6 is None else np.asarray(view.pose6, np.float64)
        origins, dirs = rays(camera_in_head(pose6, camera.extrinsics()), self._directions(camera))
        saved = self.nerf.config.samples
        self.nerf.config.samples = samples
        try:
            n = len(origins)
            out = self.nerf.render_rays(
                origins,
                dirs,
                torch.as_tensor(audio_code, dtype=torch.float32).expand(n, -1),
                torch.as_tensor(expression_code, dtype=torch.float32).expand(n, -1),
                keep=self._keep,
            )
        finally:
            self.nerf.config.samples = saved
        g = self.nerf.config.feature_res
        fmap = out["feature"].view(1, g, g, -1).permute(0, 3, 1, 2)
        rgb = self.nerf.to_image(fmap, size)[0].permute(1, 2, 0).numpy().clip(0, 1)
        if plate is not None:  # "over": the field's own flat background swapped for the plate
            alpha = cv2.resize(out["alpha"].view(g, g).numpy(), (size, size))[..., None]
            back = cv2.resize(plate, (size, size), interpolation=cv2.INTER_AREA) / 255.0
            rgb = (rgb + (1 - alpha) * (back - FIT_BACKGROUND)).clip(0, 1)
        return (rgb * 255 + 0.5).astype(np.uint8)

    def frame(self, t: int, view: View, quality: Quality = Quality.FULL) -> np.ndarray:
        """Frame t of the fitted clip (its codes), seen from `view`."""
        f = self.fitted
        if not 0 <= t < f.n_frames:
            raise StudioError(f"frame {t} is outside the fitted clip (0…{f.n_frames - 1})")
        return self.render(view, f.audio_codes[t], f.expression_codes[t], quality, f.plate(t))


@functools.lru_cache(maxsize=1)
def shipped_renderer() -> NerfRenderer:
    """The renderer of the shipped fit (checkpoints/nerf.*), loaded once per process."""
    return NerfRenderer(load_fitted())
