"""The SynthTalk face rig, written in ARKit blendshape names (MediaPipe order).

Every channel is a displacement field in canonical space (cm) built from Gaussian bumps at
landmarks, restricted to the upper or lower lip / lid where a field must not tear the mouth or
eye open; channels combine additively. Two things are rotations, because blending positions
would shrink the arc they travel: the jaw (jawOpen, and mouthClose as a lips-only counter
rotation) turns about an x axis through `JAW_PIVOT` by an angle blended per vertex, and the
eyeballs turn about their centres for the eyeLook channels.

"Left" is the subject's left (+x), as the MediaPipe tracker reads it.
Channels that are no-ops: `_neutral` (by definition). All other 51 move the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.face.geometry import euler_to_rotation
from studio.face.records import BLENDSHAPE_INDEX, BLENDSHAPE_NAMES
from studio.synth.head import (
    EYE_RADIUS,
    EYES,
    IRIS_RADIUS,
    JAW_PIVOT,
    LOWER_INNER_LIP,
    UPPER_INNER_LIP,
    HeadMesh,
    lid_regions,
    lip_regions,
    spread,
)

JAW_DEGREES = 22.0  # jawOpen = 1
GAZE_YAW_DEGREES = 28.0
GAZE_PITCH_DEGREES = 22.0
SIDES = {"Left": 1.0, "Right": -1.0}
N_CHANNELS = len(BLENDSHAPE_NAMES)


class _Fields:
    """Builders of displacement fields (468, 3) on the rest face."""

    def __init__(self, face: np.ndarray, mouth_y: float) -> None:
        self.face = face
        self.mouth_y = mouth_y
        self.upper_lip, self.lower_lip = lip_regions(face, mouth_y)

    def at(self, indices, side: float = 1.0) -> np.ndarray:
        """Mean position of landmarks (given on the left side), mirrored to `side`."""
        idx = [indices] if isinstance(indices, int) else list(indices)
        return self.face[idx].mean(0) * [side, 1.0, 1.0]

    def bump(
        self,
        centre: np.ndarray,
        sigma: float,
        move,
        side: float = 1.0,
        region: np.ndarray | None = None,
    ) -> np.ndarray:
        w = np.exp(-((self.face - centre) ** 2).sum(1) / (2 * sigma**2))
        if region is not None:
            w = w * region
        return w[:, None] * (np.asarray(move, dtype=np.float64) * [side, 1.0, 1.0])

    def blink(self, eye: str, side: float) -> np.ndarray:
        """Upper lid down onto the lower lid line (slightly past it), lower lid up a little."""
        upper, lower, _ = EYES[eye]
        above, below = lid_regions(self.face, eye)
        up_pts, low_pts = self.face[list(upper)], self.face[list(lower)]
        order = np.argsort(low_pts[:, 0])
        low_y = np.interp(up_pts[:, 0], low_pts[order, 0], low_pts[order, 1])
        gap = up_pts[:, 1] - low_y
        d_up = np.stack([np.zeros_like(gap), -0.92 * gap, np.full_like(gap, 0.1)], 1)
        order = np.argsort(up_pts[:, 0])
        up_y = np.interp(low_pts[:, 0], up_pts[order, 0], up_pts[order, 1])
        d_low = np.stack(
            [np.zeros(len(lower)), 0.15 * (up_y - low_pts[:, 1]), np.full(len(lower), 0.03)], 1
        )
        return spread(self.face, upper, d_up, above, 0.5) + spread(
            self.face, lower, d_low, below, 0.35
        )

    def lids(self, eye: str, up: float, low: float) -> np.ndarray:
        """Raise (+) or lower (-) the upper and lower lids by fixed amounts (cm)."""
        upper, lower, _ = EYES[eye]
        above, below = lid_regions(self.face, eye)
        out = np.zeros_like(self.face)
        for lid, region, dy in ((upper, above, up), (lower, below, low)):
            if dy:
                delta = np.tile([0.0, dy, 0.02 * abs(dy) / max(abs(dy), 1e-9)], (len(lid), 1))
                out += spread(self.face, lid, delta, region, 0.45)
        return out


def _face_channels(f: _Fields) -> dict[str, np.ndarray]:
    """All face-deforming channels, each (468, 3) cm at coefficient 1."""
    up, low = f.upper_lip, f.lower_lip
    mouth = 0.5 * (f.at(0) + f.at(17))
    ch: dict[str, np.ndarray] = {}
    for name, s in SIDES.items():
        eye = name.lower()
        corner = f.at(291, s)
        cheek = f.at(425, s)
        ch[f"mouthSmile{name}"] = f.bump(corner, 1.0, (0.6, 0.8, -0.3), s) + f.bump(
            cheek, 1.5, (0.05, 0.28, 0.12), s
        )
        ch[f"mouthFrown{name}"] = f.bump(corner, 1.0, (0.2, -1.05, -0.05), s)
        ch[f"mouthStretch{name}"] = f.bump(corner, 1.1, (0.75, -0.25, -0.25), s)
        ch[f"mouthDimple{name}"] = f.bump(corner, 0.8, (0.22, 0.05, -0.35), s)
        press = 0.5 * (corner + f.at(0) * [0, 1, 1]) * [1, 0, 1] + [0, f.mouth_y, 0]
        ch[f"mouthPress{name}"] = f.bump(press, 1.0, (0, -0.12, -0.05), s, up) + f.bump(
            press, 1.0, (0, 0.12, -0.05), s, low
        )
        ch[f"mouthLowerDown{name}"] = f.bump(
            f.at((317, 402, 314, 405), s), 1.0, (0, -0.5, 0.05), s, low
        )
        ch[f"mouthUpperUp{name}"] = f.bump(
            f.at((312, 311, 267, 269), s), 1.0, (0, 0.65, 0.1), s, up
        )
        ch[f"cheekSquint{name}"] = f.bump(0.5 * (cheek + f.at(374, s)), 1.3, (0, 0.3, 0.1), s)
        ch[f"browDown{name}"] = f.bump(
            f.at((276, 283, 282, 295, 285, 300, 293, 334, 296, 336), s),
            1.4,
            (-0.2, -0.9, 0.15),
            s,
        ) + f.bump(f.at((285, 336), s), 1.0, (-0.4, -0.2, 0.0), s)
        ch[f"browOuterUp{name}"] = f.bump(f.at((276, 300), s), 1.2, (0, 0.7, 0), s)
        # AU9: nostril wings and upper lip pulled up, cheeks pushed up (reads only if strong).
        ch[f"noseSneer{name}"] = (
            f.bump(f.at((327, 358), s), 0.8, (0.1, 0.45, 0.05), s)
            + f.bump(f.at((267, 269), s), 1.0, (0, 0.3, 0.05), s, up)
            + f.bump(cheek, 1.2, (0, 0.2, 0.1), s)
        )
        ch[f"eyeBlink{name}"] = f.blink(eye, s)
        ch[f"eyeWide{name}"] = f.lids(eye, 0.5, -0.1)
        ch[f"eyeSquint{name}"] = f.lids(eye, -0.06, 0.18)
    corners = f.at(291)
    ch["mouthFunnel"] = (
        f.bump(f.at(0), 1.2, (0, 0.25, 0.35), region=up)
        + f.bump(f.at(17), 1.2, (0, -0.25, 0.35), region=low)
        + sum(f.bump(corners * [s, 1, 1], 0.8, (-0.3, 0, 0.1), s) for s in SIDES.values())
    )
    ch["mouthPucker"] = f.bump(mouth, 1.3, (0, 0, 0.45)) + sum(
        f.bump(corners * [s, 1, 1], 1.0, (-0.55, 0, 0.2), s) for s in SIDES.values()
    )
    ch["mouthRollLower"] = f.bump(f.at(17), 0.7, (0, 0.2, -0.35), region=low)
    ch["mouthRollUpper"] = f.bump(f.at(0), 0.7, (0, -0.2, -0.35), region=up)
    ch["mouthShrugLower"] = f.bump(f.at(17) - [0, 0.4, 0], 1.4, (0, 0.3, 0.1), region=low) + f.bump(
        f.at(152), 2.0, (0, 0.15, 0.15)
    )
    ch["mouthShrugUpper"] = f.bump(f.at(0), 1.2, (0, 0.22, 0.05), region=up)
    ch["mouthLeft"] = f.bump(mouth, 1.5, (0.5, 0, 0))
    ch["mouthRight"] = f.bump(mouth, 1.5, (-0.5, 0, 0))
    ch["mouthClose"] = f.bump(f.at(13), 0.9, (0, -0.12, 0), region=up)
    ch["cheekPuff"] = sum(
        f.bump(0.5 * (f.at(425, s) + f.at(291, s)), 1.5, (0.45, 0, 0.2), s) for s in SIDES.values()
    )
    ch["browInnerUp"] = sum(
        f.bump(f.at((285, 336), s), 1.0, (0, 0.4, 0), s) for s in SIDES.values()
    )
    return ch


@dataclass
class Rig:
    """Deforms one identity's rest head. basis (52, N, 3) cm per unit coefficient."""

    rest: np.ndarray
    basis: np.ndarray
    jaw_weight: np.ndarray  # (N,) share of the jaw rotation
    close_weight: np.ndarray  # (N,) share of the mouthClose counter-rotation
    eyes: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (vertex indices, centre)

    def deform(self, blendshapes: np.ndarray) -> np.ndarray:
        """(52,) coefficients -> (N, 3) deformed vertices (cm, canonical frame)."""
        coeffs = np.asarray(blendshapes, dtype=np.float32)
        active = np.flatnonzero(np.abs(coeffs) > 1e-6)
        verts = self.rest.astype(np.float64)
        if len(active):
            verts = verts + np.tensordot(coeffs[active], self.basis[active], axes=1)
        angle = np.radians(JAW_DEGREES) * (
            coeffs[BLENDSHAPE_INDEX["jawOpen"]] * self.jaw_weight
            - coeffs[BLENDSHAPE_INDEX["mouthClose"]] * self.close_weight
        )
        moving = np.flatnonzero(angle != 0)
        if len(moving):
            rel = verts[moving] - JAW_PIVOT
            c, s = np.cos(angle[moving]), np.sin(angle[moving])
            y = rel[:, 1] * c - rel[:, 2] * s
            z = rel[:, 1] * s + rel[:, 2] * c
            verts[moving, 1], verts[moving, 2] = y + JAW_PIVOT[1], z + JAW_PIVOT[2]
        for name, (indices, centre) in self.eyes.items():
            rotation = gaze_rotation(coeffs, name)
            verts[indices] = (verts[indices] - centre) @ rotation.T + centre
        return verts

    def iris_points(self, blendshapes: np.ndarray) -> np.ndarray:
        """(10, 3) iris landmarks in MediaPipe order: right eye (centre + 4), then left eye.

        The 4 rim points go: subject's left (+x), up, subject's right, down — as MediaPipe's
        469..472 do for the image of a frontal face (image right, up, left, down).
        """
        coeffs = np.asarray(blendshapes, dtype=np.float32)
        depth = np.sqrt(EYE_RADIUS**2 - IRIS_RADIUS**2)
        local = np.array(
            [
                [0, 0, EYE_RADIUS],
                [IRIS_RADIUS, 0, depth],
                [0, IRIS_RADIUS, depth],
                [-IRIS_RADIUS, 0, depth],
                [0, -IRIS_RADIUS, depth],
            ]
        )
        out = [
            local @ gaze_rotation(coeffs, name).T + self.eyes[name][1] for name in ("right", "left")
        ]
        return np.concatenate(out)


def gaze_rotation(coeffs: np.ndarray, eye: str) -> np.ndarray:
    """Eyeball rotation from the eyeLook channels (+yaw toward +x, +pitch down)."""
    side = "Left" if eye == "left" else "Right"

    def c(name: str) -> float:
        return float(coeffs[BLENDSHAPE_INDEX[name + side]])

    toward_plus_x = (
        c("eyeLookOut") - c("eyeLookIn") if eye == "left" else c("eyeLookIn") - c("eyeLookOut")
    )
    yaw = GAZE_YAW_DEGREES * toward_plus_x
    pitch = GAZE_PITCH_DEGREES * (c("eyeLookDown") - c("eyeLookUp"))
    return euler_to_rotation(yaw, pitch, 0.0).astype(np.float64)


def build_rig(head: HeadMesh) -> Rig:
    """Precompute every channel's displacement over all head vertices."""
    n_face = head.n_face
    face = head.vertices[:n_face].astype(np.float64)
    mouth_y = float(face[list(UPPER_INNER_LIP) + list(LOWER_INNER_LIP), 1].mean())
    fields = _Fields(face, mouth_y)
    face_channels = _face_channels(fields)
    basis = np.zeros((N_CHANNELS, len(head.vertices), 3), np.float32)
    has_anchor = head.anchor >= 0
    for name, disp in face_channels.items():
        full = np.zeros((len(head.vertices), 3))
        full[has_anchor] = disp[head.anchor[has_anchor]] * head.anchor_weight[has_anchor, None]
        basis[BLENDSHAPE_INDEX[name]] = full
    jaw = head.jaw_weight.astype(np.float64)
    for name, move in (
        ("jawLeft", (0.5, 0, 0)),
        ("jawRight", (-0.5, 0, 0)),
        ("jawForward", (0, 0, 0.45)),
    ):
        basis[BLENDSHAPE_INDEX[name]] = jaw[:, None] * np.asarray(move)
    # mouthClose turns the lower lip back up against the jaw, not the chin.
    lip_centre = face[14]
    lipness = np.exp(-((head.vertices - lip_centre) ** 2).sum(1) / (2 * 1.0**2))
    close = jaw * lipness
    close[list(LOWER_INNER_LIP)] = 1.0
    eyes = {
        name: (np.asarray(head.parts[f"eye_{name}"]), head.eye_centres[name].astype(np.float64))
        for name in ("left", "right")
    }
    return Rig(rest=head.vertices, basis=basis, jaw_weight=jaw, close_weight=close, eyes=eyes)
