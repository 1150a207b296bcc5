"""A user's own clip as a NeRF preset: the same folder format as the SynthTalk preset
(`preset.py`), so `fit`, `ship` and the renderer read it unchanged.

What the papers do and what we do here:
- **Camera = inverse head pose.** The tracker's 2D landmarks are matched to MediaPipe's canonical
  mesh (the head frame SynthTalk is built on) with a perspective-n-point solve under the same
  camera as the preset (256², 30° vertical field of view, an assumption: a phone video's lens is
  unknown), then written as the preset's 6-D pose, smoothed over time.
- **Crop**: one fixed box for the whole clip around the median face (the papers crop once per
  video), the face about half the crop's height, 256².
- **Head, torso and background.** AD-NeRF fits a second field for the torso; we have no parser to
  split hair, neck and torso on a CPU, so the field learns the **face** (the tracked face oval,
  feathered, over a flat background) and the rest of each frame is a **plate**: the clip's own
  frame with the face inpainted. A render is composited over the plate of its frame, so the
  neck, torso and background are the clip's own and do not tear while the head follows the
  clip's pose. Turned far from the clip's pose (the novel-view sliders), the face turns while
  the plate's hair and ears stay; the tab says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from studio.errors import StudioError
from studio.face.crop import crop_box
from studio.face.geometry import rotation_to_euler
from studio.face.mesh import FACE_OVAL, canonical_mesh
from studio.face.smoothing import gaussian_smooth
from studio.face.tracker import track_frames
from studio.media import is_silent, read_video, write_video
from studio.media.video import Video, resample_frames
from studio.papers.nerf.preset import ARRAYS, FORMAT, MANIFEST
from studio.provenance import commit
from studio.speech import FPS, SAMPLE_RATE
from studio.synth.renderer import POSE_PIVOT, Camera

SIZE = 256
MIN_SECONDS = 10.0  # less gives the field too few mouth shapes (the issue: 10–60 s)
MAX_SECONDS = 60.0
MAX_MISSING = 0.1  # share of frames the tracker may lose (filled from their neighbours)
CROP_SCALE = 2.2  # crop side / face extent: the face framed as in the SynthTalk preset
HELD_OUT = 0.1  # the clip's last tenth is held out (validation, the bench)
CHUNK_FRAMES = 50  # 2-s "sentences": adjacent-frame pairs never cross a chunk
FEATHER_PX = 3.0  # the face mask's soft edge (σ, pixels of the 256² crop)
PLATES = "plates.mp4"
RIGID_ABOVE_CM = -2.0  # canonical points above the mouth: the PnP solve ignores the jaw
BACKGROUND = (92, 110, 128)  # behind the face in the fit's targets (the SynthTalk preset's)
LABEL = "as recorded"  # a user clip's frames carry no emotion label


def _rigid_points() -> np.ndarray:
    v = canonical_mesh().vertices
    return np.flatnonzero(v[:, 1] > RIGID_ABOVE_CM)


def head_pose6(landmarks: np.ndarray, camera: Camera, guess: tuple | None = None):
    """The preset's 6-D pose of one tracked frame (landmarks in crop pixels), and the raw solve
    to seed the next frame. SynthTalk poses a head point v as R (v − pivot) + pivot + t in the
    world the camera looks at, so the solved head → camera map is turned into that form."""
    idx = _rigid_points()
    obj = canonical_mesh().vertices[idx].astype(np.float64)
    img = landmarks[idx, :2].astype(np.float64)
    k = camera.intrinsics()
    if guess is None:
        ok, rvec, tvec = cv2.solvePnP(obj, img, k, None, flags=cv2.SOLVEPNP_EPNP)
        guess = (rvec, tvec)
    ok, rvec, tvec = cv2.solvePnP(
        obj, img, k, None, guess[0].copy(), guess[1].copy(), True, cv2.SOLVEPNP_ITERATIVE
    )
    if not ok:
        raise StudioError("The head pose of a frame could not be solved from its landmarks")
    head_to_cam = np.eye(4)
    head_to_cam[:3, :3] = cv2.Rodrigues(rvec)[0]
    head_to_cam[:3, 3] = tvec[:, 0]
    head_to_world = np.linalg.inv(camera.extrinsics()) @ head_to_cam
    rotation = head_to_world[:3, :3]
    t = head_to_world[:3, 3] - POSE_PIVOT + rotation @ POSE_PIVOT
    return np.concatenate([rotation_to_euler(rotation), t]).astype(np.float32), (rvec, tvec)


def _fill_missing(values: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Linear interpolation over the frames the tracker lost (edges repeat)."""
    if found.all():
        return values
    t = np.arange(len(found))
    flat = values.reshape(len(found), -1).astype(np.float64)
    out = np.stack([np.interp(t, t[found], flat[found, j]) for j in range(flat.shape[1])], 1)
    return out.reshape(values.shape).astype(values.dtype)


def face_mask(landmarks: np.ndarray, size: int = SIZE) -> np.ndarray:
    """(size, size) uint8: the tracked face oval, filled and feathered."""
    oval = np.round(landmarks[list(FACE_OVAL), :2]).astype(np.int32)
    mask = np.zeros((size, size), np.float32)
    cv2.fillPoly(mask, [oval], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), FEATHER_PX)
    return (mask * 255 + 0.5).astype(np.uint8)


def face_only(frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The fit's target: the face over a flat background (the field's own, learned)."""
    m = mask[..., None].astype(np.float32) / 255.0
    return (frame * m + np.asarray(BACKGROUND, np.float32) * (1 - m) + 0.5).astype(np.uint8)


def plate(frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The frame with its face inpainted: what shows around and under a rendered face."""
    hole = (mask > 8).astype(np.uint8)  # the feathered edge reaches past the oval already
    return cv2.inpaint(frame, hole, 5, cv2.INPAINT_TELEA)


def read_clip(path: str | Path) -> Video:
    """A user's video at the studio's 25 fps, with its sound (up to MAX_SECONDS)."""
    return read_video(path, max_seconds=MAX_SECONDS, max_side=720, fps=FPS)


def build_clip_preset(
    video: Video,
    out: str | Path,
    progress: Callable[[str], None] | None = None,
    min_seconds: float = MIN_SECONDS,
) -> Path:
    """Track a user's talking clip (`read_clip`, or a Sources-tab video) and write it as a
    preset folder in `out` (arrays.npz + preset.json + plates.mp4). Raises StudioError on a
    clip the fit cannot use."""
    out = Path(out)
    name = Path(video.path or "your clip").name
    say = progress or (lambda _msg: None)
    if abs(video.fps - FPS) > 1e-3:
        video = Video(resample_frames(video.frames, video.fps, FPS), FPS, video.audio, video.path)
    seconds = len(video.frames) / FPS
    if seconds < min_seconds:
        raise StudioError(
            f"'{name}' is {seconds:.1f} s long; a NeRF needs at least {min_seconds:.0f} s of "
            "the person talking"
        )
    if video.audio is None or is_silent(video.audio.samples):
        raise StudioError(
            f"'{name}' has no sound: the field is driven by the clip's speech — use a video "
            "with its audio track"
        )
    n = len(video.frames)
    say(f"tracking {n} frames")
    track = track_frames(
        iter(video.frames), fps=FPS, progress=lambda i: i % 50 == 0 and say(f"tracked {i}/{n}")
    )
    found = track.found & np.isfinite(track.blendshapes).all(1)
    if found.mean() < 1 - MAX_MISSING:
        raise StudioError(
            f"A face was found in {found.mean():.0%} of the frames of '{name}'; the "
            f"fit needs one face in at least {1 - MAX_MISSING:.0%} of them"
        )
    several = int((track.n_faces > 1).sum())
    landmarks = _fill_missing(track.landmarks, found)
    blendshapes = _fill_missing(track.blendshapes, found)
    box = np.median(np.stack([crop_box(landmarks[t], CROP_SCALE) for t in range(n)]), 0)
    scale = SIZE / float(box[2] - box[0])
    affine = np.array([[scale, 0, -box[0] * scale], [0, scale, -box[1] * scale]], np.float32)
    camera = Camera(size=SIZE)
    frames = np.empty((n, SIZE, SIZE, 3), np.uint8)
    masks = np.empty((n, SIZE, SIZE), np.uint8)
    plates = np.empty_like(frames)
    crop_landmarks = landmarks.copy()
    crop_landmarks[..., :2] = landmarks[..., :2] * scale - box[:2] * scale
    crop_landmarks[..., 2] *= scale
    pose6 = np.empty((n, 6), np.float32)
    guess = None
    for t in range(n):
        crop = cv2.warpAffine(
            video.frames[t], affine, (SIZE, SIZE), flags=cv2.INTER_AREA,
            borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
        masks[t] = face_mask(crop_landmarks[t])
        plates[t] = plate(crop, masks[t])
        frames[t] = face_only(crop, masks[t])
        pose6[t], guess = head_pose6(crop_landmarks[t], camera, guess)
        if t % 50 == 0:
            say(f"cropped and posed {t}/{n} frames")
    pose6 = gaussian_smooth(pose6, np.ones(n, bool), 1.0).astype(np.float32)
    held_out = np.zeros(n, bool)
    held_out[int(round(n * (1 - HELD_OUT))) :] = True
    sentence = np.arange(n) // CHUNK_FRAMES + held_out * 100_000  # no pair crosses the split
    audio = video.audio.samples.astype(np.float32)[: int(n * SAMPLE_RATE / FPS)]
    out.mkdir(parents=True, exist_ok=True)
    np.savez(
        out / ARRAYS,
        frames=frames,
        masks=masks,
        landmarks=crop_landmarks.astype(np.float32),
        intrinsics=camera.intrinsics().astype(np.float32),
        extrinsics=camera.extrinsics().astype(np.float32),
        pose6=pose6,
        blendshapes=blendshapes.astype(np.float32),
        audio=audio,
        sentence=sentence.astype(np.int32),
        held_out=held_out,
        emotion=np.array([LABEL] * n),
    )
    write_video(out / PLATES, plates, fps=FPS)
    manifest = {
        "format": FORMAT,
        "kind": "user clip",
        "tracked": True,  # blendshapes from the tracker: codes go through the tracked encoder
        "config": {
            "name": Path(name).stem,
            "source": name,
            "size": SIZE,
            "crop_box": [round(float(v), 1) for v in box],
            "fov_y_deg": camera.fov_y_deg,
        },
        "frames": n,
        "seconds": n / FPS,
        "train_frames": int((~held_out).sum()),
        "held_out_frames": int(held_out.sum()),
        "tracker_lost_frames": int((~found).sum()),
        "frames_with_several_faces": several,
        "yaw_range_deg": [float(pose6[:, 0].min()), float(pose6[:, 0].max())],
        "pitch_range_deg": [float(pose6[:, 1].min()), float(pose6[:, 1].max())],
        "commit": commit(),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    say(f"clip ready: {n} frames, yaw {manifest['yaw_range_deg'][0]:+.0f}…"
        f"{manifest['yaw_range_deg'][1]:+.0f}°")  # fmt: skip
    return out


def read_plates(folder: str | Path) -> np.ndarray | None:
    """(T, 256, 256, 3) plates of a user-clip preset (None for a SynthTalk preset)."""
    path = Path(folder) / PLATES
    if not path.exists():
        return None
    return read_video(path, max_seconds=MAX_SECONDS + 1, max_side=SIZE).frames
