"""The plotly figures are real figures with the data they claim to show."""

import numpy as np
import plotly.graph_objects as go

from studio.face import track_image
from studio.face.records import FaceTrack
from studio.speech import log_mel, synthesize
from studio.ui.figures import audio_figure, blendshape_bars, pose_over_time


def test_blendshape_bars_show_51_named_coefficients(portrait):
    frame = track_image(portrait)
    fig = blendshape_bars(frame.blendshapes)
    assert isinstance(fig, go.Figure)
    bar = fig.data[0]
    assert len(bar.y) == 51 and "jawOpen" in bar.y and "_neutral" not in bar.y
    assert np.allclose(bar.x, frame.blendshapes[1:])


def test_pose_figure_for_a_clip_and_for_a_still(portrait):
    frames = [track_image(np.roll(portrait, s, axis=1)) for s in range(0, 20, 5)]
    clip = FaceTrack.stack(
        frames, fps=25.0, image_size=portrait.shape[:2], backend="mediapipe", provides=()
    )
    fig = pose_over_time(clip, current=1)
    assert len(fig.data) == 6 and np.allclose(fig.data[0].x, np.arange(4) / 25)
    still = FaceTrack.stack(frames[:1], 25.0, portrait.shape[:2], "mediapipe", ())
    bars = pose_over_time(still)
    assert [list(d.x) for d in bars.data] == [["yaw", "pitch", "roll"], ["tx", "ty", "tz"]]


def test_audio_figure_has_waveform_mel_and_phonemes():
    speech = synthesize("Plots help.")
    mel = log_mel(speech.samples)
    fig = audio_figure(speech.samples, mel, speech)
    assert fig.data[1].z.shape == (80, len(mel))
    labels = {a.text for a in fig.layout.annotations}
    assert {p.symbol for p in speech.phonemes} <= labels
    t = np.asarray(fig.data[0].x)
    assert 0 <= t.min() and t.max() <= len(speech.samples) / 16000
