"""Render→track calibration curves: the sweep reads the tracker, the maps invert each other."""

import json

import numpy as np

from studio.synth.calibrate import SWEEP, rig_to_tracked, sweep_channel, tracked_to_rig
from studio.synth.identity import sample_identity
from studio.synth.renderer import Camera, HeadRenderer


def test_jaw_sweep_rises_with_the_rig():
    renderer = HeadRenderer(sample_identity(0, 0).look, size=128)
    curve = sweep_channel(renderer, "jawOpen", Camera(size=128))
    assert np.isfinite(curve).all() and len(curve) == len(SWEEP)
    assert curve[-1] - curve[0] > 0.3 and np.corrcoef(SWEEP, curve)[0, 1] > 0.9


def test_maps_are_monotone_and_invert_each_other(tmp_path):
    path = tmp_path / "curves.json"
    tracked = [0.0, 0.01, 0.05, 0.2, 0.35, 0.5, 0.6, 0.58, 0.7]  # one dip, as real sweeps have
    path.write_text(
        json.dumps({"curves": {"mouthSmileLeft": {"rig": SWEEP.tolist(), "tracked": tracked}}})
    )
    rig = np.linspace(0, 1, 21)
    forward = rig_to_tracked("mouthSmileLeft", rig, path)
    assert np.all(np.diff(forward) >= 0)
    back = tracked_to_rig("mouthSmileLeft", forward, path)
    # Where the tracker responds (and the monotone curve is not flat), the inverse recovers rig.
    rising = (np.diff(forward, prepend=-1.0) > 1e-3) & (np.diff(forward, append=2.0) > 1e-3)
    steep = (forward > 0.06) & rising
    assert steep.sum() >= 10
    np.testing.assert_allclose(back[steep], rig[steep], atol=0.07)
