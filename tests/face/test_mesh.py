import numpy as np

from studio.face.mesh import (
    INNER_LIP_LOOP,
    LEFT_EYE_LOOP,
    LOWER_INNER_LIP,
    NOSE_TIP,
    RIGHT_EYE_LOOP,
    UPPER_INNER_LIP,
    canonical_mesh,
    parse_mesh3d,
)


def test_canonical_mesh_matches_the_measured_facts():
    mesh = canonical_mesh()
    assert mesh.vertices.shape == (468, 3) and mesh.triangles.shape == (898, 3)
    assert mesh.uvs.shape == (468, 2) and (mesh.uvs >= 0).all() and (mesh.uvs <= 1).all()
    width = np.ptp(mesh.vertices[:, 0])
    height = np.ptp(mesh.vertices[:, 1])
    assert 15.0 < width < 16.0 and 17.0 < height < 18.2  # centimetres
    assert mesh.vertices[NOSE_TIP, 2] > 7.0  # +z toward the camera
    assert mesh.uvs[10, 1] < 0.2 < 0.9 < mesh.uvs[152, 1]  # v grows downward: forehead -> chin
    gap = mesh.vertices[UPPER_INNER_LIP, 1] - mesh.vertices[LOWER_INNER_LIP, 1]
    assert 0.5 < gap < 0.6  # the rest mouth is slightly open


def test_mouth_and_eyes_are_filled_and_can_be_cut_out():
    mesh = canonical_mesh()
    assert len(mesh.triangles_inside(INNER_LIP_LOOP)) == 18
    assert len(mesh.triangles_inside(LEFT_EYE_LOOP)) == 14
    assert len(mesh.triangles_inside(RIGHT_EYE_LOOP)) == 14
    assert len(mesh.open_triangles()) == 898 - 46


def test_triangles_face_the_camera():
    mesh = canonical_mesh()
    v = mesh.vertices[mesh.triangles]
    normals = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    assert (normals[:, 2] > 0).mean() > 0.95  # counter-clockwise seen from +z


def test_packed_and_unpacked_encodings_parse_alike():
    import struct

    floats = [1.0, 2.0, 3.0, 0.25, 0.75]
    unpacked = b"".join(b"\x1d" + struct.pack("<f", f) for f in floats)  # field 3, wire 5
    unpacked += b"".join(bytes([0x20, i]) for i in (0, 0, 0))  # field 4, varint
    packed = b"\x1a\x14" + struct.pack("<5f", *floats) + b"\x22\x03\x00\x00\x00"
    a, b = parse_mesh3d(unpacked), parse_mesh3d(packed)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.triangles, b.triangles)
    assert a.uvs.tolist() == [[0.25, 0.75]]
