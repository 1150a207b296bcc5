"""Head geometry: the canonical face made into a whole head.

The canonical mesh is a mask with its mouth and eyes filled. We cut those fills out and add what
turns the mask into a head that holds up from ±45° yaw: a skull/hair shell joined to the face
oval, ears, a neck, eyeballs with sockets behind the eye openings, and a mouth bag with teeth and
a tongue behind the lips. Every added vertex carries what the rig needs to move it: an `anchor`
(a face vertex whose rig displacement it follows, scaled by `anchor_weight`), a jaw weight and a
pose weight (the neck bends instead of turning rigidly with the head).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.face.mesh import (
    FACE_OVAL,
    INNER_LIP_LOOP,
    LEFT_EYE_LOOP,
    RIGHT_EYE_LOOP,
    canonical_mesh,
)
from studio.synth.atlas import to_atlas
from studio.synth.look import FaceLook

EYE_RADIUS = 1.2  # cm
IRIS_RADIUS = 0.58  # cm, on the eyeball surface
# The jaw turns about an axis below and behind the condyle: the mandible also slides forward as
# it opens, so its effective centre of rotation sits low. An axis at (0.2, -3) swung the chin
# back more than down; the tracker then under-read jawOpen, worst at ±40° yaw (SynthTalk v4).
JAW_PIVOT = np.array([0.0, -0.8, -5.0])
# Head ellipsoid the shell follows: centre and radii (x, y above centre, y below, z).
SKULL_CENTRE = np.array([0.0, 1.0, -4.6])
SKULL_RADII = (8.1, 11.6, 9.4, 9.6)
SHELL_RINGS = (0.04, 0.1, 0.18, 0.28, 0.4, 0.53, 0.66, 0.79, 0.9)
NECK_CENTRE = np.array([0.0, 0.0, -4.9])  # x, unused y, z of the neck axis
NECK_RADII = (5.0, 5.4)
NECK_RINGS = ((-3.0, 1.0), (-7.0, 0.85), (-11.0, 0.55), (-15.0, 0.3), (-20.0, 0.12), (-28.0, 0.0))
# Eye loops split into (upper lid, lower lid); the loops list corner, lower lid, corner, upper.
EYES = {
    "left": (LEFT_EYE_LOOP[9:], LEFT_EYE_LOOP[1:8], (LEFT_EYE_LOOP[0], LEFT_EYE_LOOP[8])),
    "right": (RIGHT_EYE_LOOP[9:], RIGHT_EYE_LOOP[1:8], (RIGHT_EYE_LOOP[0], RIGHT_EYE_LOOP[8])),
}
UPPER_INNER_LIP = INNER_LIP_LOOP[1:10]
LOWER_INNER_LIP = INNER_LIP_LOOP[11:]
LIP_CORNERS = (INNER_LIP_LOOP[0], INNER_LIP_LOOP[10])


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


@dataclass
class HeadMesh:
    """All geometry of one identity at rest (cm, canonical frame).

    vertices (N, 3); uvs (N, 2) atlas UV; triangles (T, 3); two_sided (T,) bool;
    anchor (N,) face vertex index each vertex follows (-1: none) with anchor_weight (N,);
    jaw_weight (N,) share of the jaw rotation; pose_weight (N,) share of the head pose;
    parts: name -> vertex index range; eye_centres: name -> (3,) eyeball centre.
    """

    vertices: np.ndarray
    uvs: np.ndarray
    triangles: np.ndarray
    two_sided: np.ndarray
    anchor: np.ndarray
    anchor_weight: np.ndarray
    jaw_weight: np.ndarray
    pose_weight: np.ndarray
    parts: dict[str, range] = field(default_factory=dict)
    eye_centres: dict[str, np.ndarray] = field(default_factory=dict)
    twins: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    # (P, 2) vertex pairs at the same place with different UVs (the face/shell seam): they
    # share one normal so the seam does not show in the shading.

    @property
    def n_face(self) -> int:
        return len(self.parts["face"])


class _Builder:
    """Accumulates parts into one mesh; triangles use global vertex indices."""

    def __init__(self) -> None:
        self.chunks: dict[str, list[np.ndarray]] = {
            k: [] for k in ("v", "uv", "anchor", "aw", "jaw", "pose")
        }
        self.tris: list[np.ndarray] = []
        self.sided: list[np.ndarray] = []
        self.parts: dict[str, range] = {}
        self.count = 0
        self.twins: list[tuple[int, int]] = []

    def add_vertices(
        self, name, vertices, uvs, anchor=None, anchor_weight=None, jaw=None, pose=None
    ):
        n = len(vertices)
        start = self.count
        self.chunks["v"].append(np.asarray(vertices, np.float64))
        self.chunks["uv"].append(np.asarray(uvs, np.float32))
        self.chunks["anchor"].append(np.full(n, -1) if anchor is None else np.asarray(anchor))
        self.chunks["aw"].append(
            np.zeros(n) if anchor_weight is None else np.asarray(anchor_weight)
        )
        self.chunks["jaw"].append(np.zeros(n) if jaw is None else np.broadcast_to(jaw, (n,)))
        self.chunks["pose"].append(np.ones(n) if pose is None else np.broadcast_to(pose, (n,)))
        self.count += n
        self.parts[name] = range(start, self.count)
        return start

    def add_triangles(self, tris: np.ndarray, two_sided: bool) -> None:
        tris = np.asarray(tris, np.int32).reshape(-1, 3)
        self.tris.append(tris)
        self.sided.append(np.full(len(tris), two_sided))

    def build(self, eye_centres: dict[str, np.ndarray]) -> HeadMesh:
        cat = {k: np.concatenate(v) for k, v in self.chunks.items()}
        return HeadMesh(
            vertices=cat["v"].astype(np.float32),
            uvs=cat["uv"].astype(np.float32),
            triangles=np.concatenate(self.tris).astype(np.int32),
            two_sided=np.concatenate(self.sided),
            anchor=cat["anchor"].astype(np.int64),
            anchor_weight=cat["aw"].astype(np.float32),
            jaw_weight=cat["jaw"].astype(np.float32),
            pose_weight=cat["pose"].astype(np.float32),
            parts=self.parts,
            eye_centres=eye_centres,
            twins=np.asarray(self.twins, np.int64).reshape(-1, 2),
        )


def orient_outward(tris: np.ndarray, vertices: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Flip triangles so their CCW normal points away from `inside` ((3,) or (T, 3))."""
    p = vertices[tris]
    normal = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    away = (normal * (p.mean(1) - inside)).sum(1) >= 0
    out = tris.copy()
    out[~away] = out[~away][:, ::-1]
    return out


def grid_triangles(rows: int, cols: int, closed: bool) -> np.ndarray:
    """Quads between consecutive rows of a (rows, cols) vertex grid, as triangles."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols if closed else cols - 1), indexing="ij")
    a = r * cols + c
    b = r * cols + (c + 1) % cols
    quads = np.stack([a, b, b + cols, a + cols], axis=-1).reshape(-1, 4)
    return np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])


def unit_sphere(n_lon: int = 16, n_lat: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Points on a unit sphere (poles included) and outward triangles."""
    lat = np.linspace(0, np.pi, n_lat + 1)[1:-1]
    lon = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    ring = np.stack([np.sin(la) * np.cos(lo), np.cos(la), np.sin(la) * np.sin(lo)], -1)
    points = np.concatenate([[[0, 1, 0]], ring.reshape(-1, 3), [[0, -1, 0]]])
    body = grid_triangles(len(lat), n_lon, closed=True) + 1
    south = len(points) - 1
    cap_n = np.stack(
        [np.zeros(n_lon, int), 1 + (np.arange(n_lon) + 1) % n_lon, 1 + np.arange(n_lon)], 1
    )
    last = 1 + (len(lat) - 1) * n_lon
    cap_s = np.stack(
        [np.full(n_lon, south), last + np.arange(n_lon), last + (np.arange(n_lon) + 1) % n_lon], 1
    )
    tris = np.concatenate([cap_n, body, cap_s])
    return points, orient_outward(tris, points, np.zeros(3))


def jaw_field(points: np.ndarray, mouth_y: float) -> np.ndarray:
    """Share of the jaw rotation at rest positions: 0 above the lip line, 1 on the chin.

    The transition widens toward the ears and fades behind the jaw hinge, so the cheeks
    stretch instead of tearing.
    """
    ax = np.abs(points[:, 0])
    band = 0.45 + 0.4 * ax
    below = smoothstep((mouth_y + 0.2 - points[:, 1]) / band)
    behind = smoothstep((points[:, 2] + 6.0) / 4.0)
    return below * behind


def spread(
    points: np.ndarray,
    loop: tuple[int, ...],
    deltas: np.ndarray,
    region: np.ndarray,
    falloff: float = 0.5,
) -> np.ndarray:
    """Spread per-loop-vertex displacements to nearby `region` vertices; loop vertices exact.

    Weights are normalised Gaussians of the distance to each loop vertex (so neighbours follow
    a blend of the nearest loop deltas), faded by the distance to the loop.
    """
    anchors = points[list(loop)]
    dist = np.linalg.norm(points[:, None, :] - anchors[None], axis=2)  # (N, L)
    weights = np.exp(-(dist**2) / (2 * 0.3**2)) + 1e-12
    blended = weights @ deltas / weights.sum(1, keepdims=True)
    fade = np.exp(-(dist.min(1) ** 2) / (2 * falloff**2)) * region
    out = blended * fade[:, None]
    out[list(loop)] = deltas
    return out


def lid_regions(points: np.ndarray, eye: str) -> tuple[np.ndarray, np.ndarray]:
    """(upper, lower) boolean masks: vertices above / below the line through the eye corners."""
    _, _, (c0, c1) = EYES[eye]
    a, b = points[c0], points[c1]
    t = np.clip((points[:, 0] - a[0]) / (b[0] - a[0]), 0, 1)
    line_y = a[1] + t * (b[1] - a[1])
    near = np.abs(points[:, 0] - 0.5 * (a[0] + b[0])) < 0.5 * abs(b[0] - a[0]) + 1.5
    return near & (points[:, 1] > line_y), near & (points[:, 1] < line_y)


def lip_regions(points: np.ndarray, mouth_y: float) -> tuple[np.ndarray, np.ndarray]:
    """(upper, lower) masks of the mouth area split at the lip line."""
    lower = jaw_field(points, mouth_y) > 0.5
    return ~lower, lower


def open_rest_face(face: np.ndarray) -> np.ndarray:
    """Rest correctives: close the lips (the canonical mouth rests 0.55 cm open, which reads as
    jawOpen) and open the eyes a little (its 0.67 cm fissure reads as a squint)."""
    out = face.astype(np.float64).copy()
    upper_idx, lower_idx = UPPER_INNER_LIP, LOWER_INNER_LIP[::-1]  # paired right to left
    meet = 0.5 * (out[list(upper_idx), 1] + out[list(lower_idx), 1])
    upper, lower = lip_regions(out, float(meet.mean()))
    for idx, region in ((upper_idx, upper), (lower_idx, lower)):
        delta = np.zeros((len(idx), 3))
        delta[:, 1] = meet - out[list(idx), 1]
        out += spread(face, idx, delta, region, falloff=0.35)
    for eye, (upper_lid, lower_lid, _) in EYES.items():
        above, below = lid_regions(face, eye)
        for lid, region, lift in ((upper_lid, above, 0.24), (lower_lid, below, -0.06)):
            delta = np.zeros((len(lid), 3))
            delta[:, 1] = lift
            out += spread(face, lid, delta, region, falloff=0.4)
    return out


def _shell_point(oval: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points of the skull shell: from each oval point (t=0) over the ellipsoid to the back pole."""
    cx, ry_up, ry_down, rz = SKULL_RADII[0], SKULL_RADII[1], SKULL_RADII[2], SKULL_RADII[3]
    rel = oval - SKULL_CENTRE
    ry = np.where(rel[:, 1] >= 0, ry_up, ry_down)
    u = rel / np.stack([np.full(len(rel), cx), ry, np.full(len(rel), rz)], 1)
    r0 = np.linalg.norm(u, axis=1)
    d = u / r0[:, None]
    theta0 = np.arccos(np.clip(d[:, 2], -1, 1))
    phi = np.arctan2(d[:, 1], d[:, 0])
    t = np.asarray(t)[:, None]
    theta = theta0 + (np.pi - theta0) * t
    r = 1 + (r0 - 1) * (1 - t) ** 3
    sy = np.sin(theta) * np.sin(phi)
    ry_t = np.where(sy >= 0, ry_up, ry_down)
    x = cx * r * np.sin(theta) * np.cos(phi)
    y = ry_t * r * sy
    z = rz * r * np.cos(theta)
    return np.stack([x, y, z], -1) + SKULL_CENTRE  # (rings, n_oval, 3)


def hair_amount(points: np.ndarray, style: str) -> np.ndarray:
    """0..1 hair cover at rest points on the shell, by style (a smooth hairline)."""
    front = {"receding": 10.2, "buzz": 9.2}.get(style, 8.9)
    nape = {"short": -3.0, "buzz": -2.0, "receding": -3.0, "medium": -6.5, "long": -10.0}[style]
    side = {"long": -5.0, "medium": 1.5}.get(style, 3.4)
    z = points[:, 2]
    hairline = np.interp(
        -z, [-4.0, 0.0, 3.0, 7.0, 11.0, 14.0], [front, front - 1.2, side + 1.2, side, nape, nape]
    )
    return smoothstep((points[:, 1] - hairline) / 0.9 + 0.5)


def _add_face(b: _Builder, face: np.ndarray, mouth_y: float) -> None:
    mesh = canonical_mesh()
    jaw = jaw_field(face, mouth_y)
    jaw[list(UPPER_INNER_LIP)] = 0.0
    jaw[list(LOWER_INNER_LIP)] = 1.0
    jaw[list(LIP_CORNERS)] = 0.5
    b.add_vertices(
        "face", face, to_atlas("face", mesh.uvs), np.arange(len(face)), np.ones(len(face)), jaw
    )
    b.add_triangles(mesh.open_triangles(), two_sided=False)


def _add_shell(b: _Builder, face: np.ndarray, look: FaceLook, mouth_y: float) -> np.ndarray:
    oval = face[list(FACE_OVAL)]
    rings = _shell_point(oval, np.array(SHELL_RINGS))  # (R, 36, 3)
    style = look.hair_style_name
    flat = rings.reshape(-1, 3)
    volume = 0.12 if style == "buzz" else look.hair_volume
    normal = flat - SKULL_CENTRE
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    flat = (
        flat
        + normal
        * (volume * hair_amount(flat, style))[:, None]
        * np.repeat(smoothstep(np.array(SHELL_RINGS) / 0.25), len(oval))[:, None]
    )
    pole = _shell_point(oval[:1], np.array([1.0]))[0]
    n_oval = len(oval)
    # Ring 0 duplicates the oval with shell UVs, so no triangle spans two atlas regions.
    rings_t = np.concatenate([[0.0], SHELL_RINGS])
    n_ring = len(rings_t)
    verts = np.concatenate([oval, flat, pole])
    # Shell UV: u = distance around the oval from the top (mirrored), v = ring parameter.
    around = np.abs(((np.arange(n_oval) + n_oval / 2) % n_oval) - n_oval / 2) / (n_oval / 2)
    uv = np.stack([np.tile(around, n_ring), np.repeat(rings_t, n_oval)], 1)
    uv = np.concatenate([uv, [[0.5, 1.0]]])
    anchor = np.tile(np.array(FACE_OVAL), n_ring).tolist() + [-1]
    aw = np.concatenate([np.repeat(np.exp(-rings_t / 0.12), n_oval), [0.0]])
    jaw = jaw_field(verts, mouth_y)
    jaw[:n_oval] = np.concatenate(b.chunks["jaw"])[list(FACE_OVAL)]
    start = b.add_vertices("shell", verts, to_atlas("shell", uv), anchor, aw, jaw)
    b.twins.extend((int(f), start + k) for k, f in enumerate(FACE_OVAL))
    grid = start + np.arange(n_ring * n_oval).reshape(n_ring, n_oval)
    quads = grid_triangles(n_ring, n_oval, closed=True)
    tris = grid.reshape(-1)[quads]
    last = grid[-1]
    cap = np.stack([last, np.roll(last, -1), np.full(n_oval, start + len(verts) - 1)], 1)
    tris = np.concatenate([tris, cap])
    all_v = np.concatenate(b.chunks["v"])
    b.add_triangles(orient_outward(tris, all_v, SKULL_CENTRE), two_sided=False)
    return verts


def _add_sphere(
    b: _Builder,
    name: str,
    centre,
    radii,
    region: str,
    jaw: float = 0.0,
    rotate_y_deg: float = 0.0,
    n_lon: int = 16,
    n_lat: int = 10,
) -> None:
    """An ellipsoid part with planar front-projected UVs (no seam)."""
    unit, tris = unit_sphere(n_lon, n_lat)
    uv = np.stack([0.5 + 0.5 * unit[:, 0], 0.5 - 0.5 * unit[:, 1]], 1)
    a = np.radians(rotate_y_deg)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    verts = (unit * np.asarray(radii)) @ rot.T + np.asarray(centre)
    start = b.add_vertices(name, verts, to_atlas(region, uv), jaw=jaw)
    b.add_triangles(tris + start, two_sided=False)


def _eye_centre(face: np.ndarray, loop: tuple[int, ...]) -> np.ndarray:
    """Eyeball centre behind the eye opening, pushed back until the lids clear the ball."""
    pts = face[list(loop)]
    centre = pts.mean(0)
    margin = EYE_RADIUS + 0.04
    dxy = np.linalg.norm(pts[:, :2] - centre[:2], axis=1)
    need = pts[:, 2] - np.sqrt(np.maximum(margin**2 - dxy**2, 0.0))
    return np.array([centre[0], centre[1], min(need.min(), centre[2] - 0.3)])


def _add_bag(
    b: _Builder,
    name: str,
    face: np.ndarray,
    loop: tuple[int, ...],
    region: str,
    rings: tuple[tuple[float, float, float, float], ...],
    jaw: np.ndarray | None,
    open_shape: np.ndarray | None = None,
) -> None:
    """A closed cavity behind a loop: rings (scale x, scale y, depth cm, anchor weight)."""
    loop_pts = face[list(loop)] if open_shape is None else open_shape
    centre = loop_pts.mean(0)
    verts, uvs, anchors, aws, jaws = [], [], [], [], []
    loop_jaw = np.zeros(len(loop)) if jaw is None else jaw
    for k, (sx, sy, depth, aw) in enumerate(rings):
        ring = centre + (loop_pts - centre) * [sx, sy, 0.3] - [0, 0, depth]
        if k == 0:
            ring = face[list(loop)]
        verts.append(ring)
        angle = np.linspace(0, 2 * np.pi, len(loop), endpoint=False)
        radius = 0.45 * (1 - k / len(rings))
        uvs.append(np.stack([0.5 + radius * np.cos(angle), 0.5 + radius * np.sin(angle)], 1))
        anchors.append(np.array(loop))
        aws.append(np.full(len(loop), aw))
        jaws.append(loop_jaw * (1 - 0.4 * k / len(rings)) + 0.5 * 0.4 * k / len(rings))
    cap = centre - [0, 0, rings[-1][2] + 0.4]
    verts.append(cap[None])
    uvs.append(np.array([[0.5, 0.5]]))
    anchors.append(np.array([-1]))
    aws.append(np.zeros(1))
    jaws.append(np.array([0.5 if jaw is not None else 0.0]))
    start = b.add_vertices(
        name,
        np.concatenate(verts),
        to_atlas(region, np.concatenate(uvs)),
        np.concatenate(anchors),
        np.concatenate(aws),
        np.concatenate(jaws),
    )
    n = len(loop)
    tris = grid_triangles(len(rings), n, closed=True) + start
    last = start + (len(rings) - 1) * n + np.arange(n)
    fan = np.stack([last, np.roll(last, -1), np.full(n, start + len(rings) * n)], 1)
    b.add_triangles(np.concatenate([tris, fan]), two_sided=True)


def _add_teeth(
    b: _Builder,
    name: str,
    front: np.ndarray,
    top: float,
    bottom: float,
    jaw: float,
    uv_rows: tuple[float, float],
) -> None:
    """A curved strip of teeth following a parabolic arch behind the lips."""
    xs = np.linspace(-2.3, 2.3, 15)
    z = front[2] - 0.33 * xs**2
    x = xs * 1.0 + front[0]
    rows = [
        np.stack([x, np.full_like(x, y), z - 0.05 * (j)], 1) for j, y in enumerate((top, bottom))
    ]
    verts = np.concatenate(rows)
    uv = np.stack([np.tile((xs + 2.3) / 4.6, 2), np.repeat(uv_rows, len(xs))], 1)
    start = b.add_vertices(name, verts, to_atlas("teeth", uv), jaw=jaw)
    b.add_triangles(grid_triangles(2, len(xs), closed=False) + start, two_sided=True)


def _add_neck(b: _Builder) -> None:
    n = 20
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rings, uvs, pose = [], [], []
    for y, weight in NECK_RINGS:
        rings.append(
            np.stack(
                [
                    NECK_CENTRE[0] + NECK_RADII[0] * np.cos(angle),
                    np.full(n, y),
                    NECK_CENTRE[2] + NECK_RADII[1] * np.sin(angle),
                ],
                1,
            )
        )
        uvs.append(np.stack([angle / (2 * np.pi), np.full(n, (y + 3) / -25)], 1))
        pose.append(np.full(n, weight))
    verts = np.concatenate(rings)
    start = b.add_vertices(
        "neck", verts, to_atlas("skin", np.concatenate(uvs)), pose=np.concatenate(pose)
    )
    tris = grid_triangles(len(NECK_RINGS), n, closed=True)
    axis = np.stack(
        [
            np.full(len(tris), NECK_CENTRE[0]),
            verts[tris].mean(1)[:, 1],
            np.full(len(tris), NECK_CENTRE[2]),
        ],
        1,
    )
    b.add_triangles(orient_outward(tris, verts, axis) + start, two_sided=False)


def build_head(look: FaceLook) -> HeadMesh:
    """Assemble the rest-pose head of one identity."""
    shaped = look.face_vertices().astype(np.float64)
    face = open_rest_face(shaped)
    mouth_y = float(face[list(UPPER_INNER_LIP) + list(LOWER_INNER_LIP), 1].mean())
    b = _Builder()
    _add_face(b, face, mouth_y)
    _add_shell(b, face, look, mouth_y)
    eye_centres = {}
    for name, loop in (("left", LEFT_EYE_LOOP), ("right", RIGHT_EYE_LOOP)):
        centre = _eye_centre(face, loop)
        eye_centres[name] = centre
        _add_sphere(b, f"eye_{name}", centre, (EYE_RADIUS,) * 3, "eye", n_lon=20, n_lat=14)
        _add_bag(
            b,
            f"socket_{name}",
            face,
            loop,
            "socket",
            ((1, 1, 0, 1), (0.8, 0.7, 0.5, 0.6), (0.45, 0.4, 1.4, 0.2)),
            None,
        )
    open_lips = shaped[list(INNER_LIP_LOOP)].copy()
    open_lips[:, 1] = open_lips[:, 1].mean() + (open_lips[:, 1] - open_lips[:, 1].mean()) * 3.0
    lip_jaw = np.array([0.5] + [0.0] * 9 + [0.5] + [1.0] * 9)
    _add_bag(
        b,
        "mouth",
        face,
        INNER_LIP_LOOP,
        "mouth",
        ((1, 1, 0, 1), (1.05, 1.4, 0.7, 0.6), (0.95, 1.6, 1.8, 0.25), (0.6, 1.1, 3.0, 0.0)),
        lip_jaw,
        open_shape=open_lips,
    )
    upper_mid, lower_mid = face[13], face[14]
    front = np.array([0.0, 0.0, min(upper_mid[2], lower_mid[2]) - 0.45])
    _add_teeth(b, "teeth_upper", front, mouth_y + 0.75, mouth_y - 0.02, 0.0, (0.02, 0.48))
    _add_teeth(
        b, "teeth_lower", front - [0, 0, 0.12], mouth_y - 0.05, mouth_y - 0.75, 1.0, (0.52, 0.98)
    )
    _add_sphere(
        b, "tongue", (0.0, mouth_y - 0.75, front[2] - 1.5), (1.7, 0.45, 1.7), "tongue", jaw=1.0
    )
    if look.hair_style_name != "long":
        for side in (1.0, -1.0):
            centre = np.array([side * (SKULL_RADII[0] + 0.2), 0.3, -5.6])
            _add_sphere(
                b,
                f"ear_{'left' if side > 0 else 'right'}",
                centre,
                (0.55, 3.0, 1.6),
                "ear",
                rotate_y_deg=-side * 18.0,
                n_lon=12,
                n_lat=8,
            )
    _add_neck(b)
    return b.build(eye_centres)
