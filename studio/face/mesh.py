"""The MediaPipe canonical face mesh: 468 vertices (cm), UVs and 898 triangles.

Read from `geometry_pipeline_metadata_landmarks.binarypb` inside the Face Landmarker bundle.
Facts that matter (see shared/notes/canonical-mesh-facts.md):
- units are centimetres; +x is the subject's left, +y up, +z toward the camera;
- UV v grows downward, so a texture is sampled at tex[v * H, u * W] without a flip;
- the repeated fields are *unpacked* (one tag per value), so we parse the wire format here
  rather than depend on generated protobuf classes;
- the mouth and eyes are filled with triangles: `MOUTH_FILL` and `EYE_FILL` list them so a
  renderer can cut them out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from studio.face.bundle import read_bundle_member

METADATA_MEMBER = "geometry_pipeline_metadata_landmarks.binarypb"
N_MESH_VERTICES = 468

# Landmark loops in MediaPipe topology (indices into the 468 canonical vertices).
INNER_LIP_LOOP = (
    78,
    191,
    80,
    81,
    82,
    13,
    312,
    311,
    310,
    415,
    308,
    324,
    318,
    402,
    317,
    14,
    87,
    178,
    88,
    95,
)
OUTER_LIP_LOOP = (
    61,
    185,
    40,
    39,
    37,
    0,
    267,
    269,
    270,
    409,
    291,
    375,
    321,
    405,
    314,
    17,
    84,
    181,
    91,
    146,
)
LEFT_EYE_LOOP = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_EYE_LOOP = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)
LEFT_BROW = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
RIGHT_BROW = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
NOSE_TIP = 1
UPPER_INNER_LIP = 13
LOWER_INNER_LIP = 14
# Iris points appended by the landmarker after the 468 mesh vertices (478 in all).
LEFT_IRIS = (473, 474, 475, 476, 477)
RIGHT_IRIS = (468, 469, 470, 471, 472)


@dataclass(frozen=True)
class CanonicalMesh:
    """The canonical mesh. vertices (468, 3) cm, uvs (468, 2) in [0, 1], triangles (898, 3)."""

    vertices: np.ndarray
    uvs: np.ndarray
    triangles: np.ndarray

    def triangles_inside(self, loop: tuple[int, ...]) -> np.ndarray:
        """Indices of the triangles whose three vertices all lie on `loop` (the fill of a hole)."""
        on_loop = np.zeros(N_MESH_VERTICES, dtype=bool)
        on_loop[list(loop)] = True
        return np.flatnonzero(on_loop[self.triangles].all(axis=1))

    def open_triangles(self) -> np.ndarray:
        """Triangles with the mouth and both eyes cut out, as a renderer needs them."""
        fill = np.concatenate(
            [
                self.triangles_inside(loop)
                for loop in (INNER_LIP_LOOP, LEFT_EYE_LOOP, RIGHT_EYE_LOOP)
            ]
        )
        keep = np.ones(len(self.triangles), dtype=bool)
        keep[fill] = False
        return self.triangles[keep]


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def proto_fields(data: bytes) -> list[tuple[int, int, object]]:
    """Decode one protobuf message level into (field number, wire type, value) triples."""
    out: list[tuple[int, int, object]] = []
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((number, wire, value))
    return out


def parse_mesh3d(message: bytes) -> CanonicalMesh:
    """Parse a `Mesh3d` message: field 3 = vertex buffer (x, y, z, u, v per vertex), 4 = indices."""
    floats: list[float] = []
    indices: list[int] = []
    for number, wire, value in proto_fields(message):
        if number == 3 and wire == 5:
            floats.append(struct.unpack("<f", value)[0])
        elif number == 3 and wire == 2:  # packed, in case a future bundle packs it
            floats.extend(struct.unpack(f"<{len(value) // 4}f", value))
        elif number == 4 and wire == 0:
            indices.append(int(value))
        elif number == 4 and wire == 2:
            pos = 0
            while pos < len(value):
                index, pos = _read_varint(value, pos)
                indices.append(index)
    buffer = np.asarray(floats, dtype=np.float32).reshape(-1, 5)
    triangles = np.asarray(indices, dtype=np.int32).reshape(-1, 3)
    return CanonicalMesh(
        vertices=buffer[:, :3].copy(), uvs=buffer[:, 3:].copy(), triangles=triangles
    )


@lru_cache(maxsize=1)
def canonical_mesh() -> CanonicalMesh:
    """Load the canonical mesh from the bundled Face Landmarker (cached per process)."""
    top = proto_fields(read_bundle_member(METADATA_MEMBER))
    mesh_message = next(value for number, wire, value in top if number == 1 and wire == 2)
    mesh = parse_mesh3d(mesh_message)  # type: ignore[arg-type]
    if mesh.vertices.shape != (N_MESH_VERTICES, 3):
        raise ValueError(f"unexpected canonical mesh with {len(mesh.vertices)} vertices")
    return mesh
