"""Rays in the head's frame: the camera is the inverse head pose (AD-NeRF, AE-NeRF and
Disentangling Head NeRF all fix the head and move the camera).

SynthTalk poses a head point v as R (v − pivot) + pivot + t (`studio.synth.renderer`), and a
camera maps world points by its extrinsics [E_R | E_t]. So a camera ray (origin 0, direction d)
is, in the head's frame, origin R^T (c − pivot − t) + pivot with c = −E_R^T E_t, and direction
R^T E_R^T d.
"""

from __future__ import annotations

import numpy as np
import torch

from studio.face.geometry import euler_to_rotation
from studio.synth.renderer import POSE_PIVOT

# The head's box in its own frame (cm): skull, face, ears and the upper neck.
BOX_MIN = np.array([-11.0, -26.0, -16.5], np.float32)
BOX_MAX = np.array([11.0, 15.5, 8.0], np.float32)


def head_to_world(pose6: np.ndarray) -> np.ndarray:
    """(4, 4) head frame → world, for one 6-D pose (yaw, pitch, roll deg, t cm)."""
    pose6 = np.asarray(pose6, np.float64)
    rotation = euler_to_rotation(*pose6[:3]).astype(np.float64)
    out = np.eye(4)
    out[:3, :3] = rotation
    out[:3, 3] = POSE_PIVOT - rotation @ POSE_PIVOT + pose6[3:]
    return out


def camera_in_head(pose6: np.ndarray, extrinsics: np.ndarray) -> np.ndarray:
    """(4, 4) camera → head frame (the camera-to-world matrix NeRFs use)."""
    world_to_cam = np.asarray(extrinsics, np.float64)
    head_to_cam = world_to_cam @ head_to_world(pose6)
    return np.linalg.inv(head_to_cam)


def pixel_directions(intrinsics: np.ndarray, image_size: int, grid: int) -> np.ndarray:
    """(grid², 3) unit camera-frame directions through the centres of a grid × grid map that
    covers an image of `image_size` pixels (OpenCV axes, z forward)."""
    k = np.asarray(intrinsics, np.float64)
    step = image_size / grid
    centres = (np.arange(grid) + 0.5) * step
    u, v = np.meshgrid(centres, centres)
    d = np.stack([(u - k[0, 2]) / k[0, 0], (v - k[1, 2]) / k[1, 1], np.ones_like(u)], -1)
    d = d.reshape(-1, 3)
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def rays(cam_to_head: np.ndarray, directions: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Origins (N, 3) and unit directions (N, 3) in the head frame, float32 tensors."""
    m = torch.as_tensor(np.asarray(cam_to_head), dtype=torch.float32)
    d = torch.as_tensor(np.asarray(directions), dtype=torch.float32) @ m[:3, :3].T
    o = m[:3, 3].expand_as(d)
    return o.contiguous(), d.contiguous()


def box_bounds(origins: torch.Tensor, dirs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Near and far distances (N,) where each ray enters and leaves the head box
    (near ≥ far where it misses)."""
    lo = torch.as_tensor(BOX_MIN)
    hi = torch.as_tensor(BOX_MAX)
    inv = 1.0 / torch.where(dirs.abs() < 1e-9, torch.full_like(dirs, 1e-9), dirs)
    t0, t1 = (lo - origins) * inv, (hi - origins) * inv
    near = torch.minimum(t0, t1).amax(-1).clamp_min(0.0)
    far = torch.maximum(t0, t1).amin(-1)
    return near, far


def frame_rays(
    pose6: np.ndarray, extrinsics: np.ndarray, intrinsics: np.ndarray, image_size: int, grid: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The grid × grid rays of one view in the head frame."""
    return rays(camera_in_head(pose6, extrinsics), pixel_directions(intrinsics, image_size, grid))
