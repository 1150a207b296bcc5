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
    phonemes = next(d for d in fig.data if d.name == "phonemes")
    assert list(phonemes.text) == [p.symbol for p in speech.phonemes]
    assert np.allclose(phonemes.x, [(p.start + p.end) / 2 for p in speech.phonemes])
    t = np.asarray(fig.data[0].x)
    assert 0 <= t.min() and t.max() <= len(speech.samples) / 16000


def test_talk_motion_figure_draws_one_line_per_audio_beat():
    from studio.eval.motion import audio_beats
    from studio.media.audio import Audio
    from studio.papers.rhythmic.talk import TalkResult
    from studio.ui.talk_tab import motion_figure

    speech = synthesize("One, two, three. Four, five, six.")
    n = int(len(speech.samples) / 16000 * 25)
    result = TalkResult(
        frames=np.zeros((n, 8, 8, 3), np.uint8),
        audio=Audio(speech.samples, 16000, 16000, 1),
        fps=25.0,
        blendshapes=np.zeros((n, 52), np.float32),
        pose6=np.zeros((n, 6), np.float32),
        mouth=np.zeros((n, 14), np.float32),
        identity=32,
    )
    beats = audio_beats(speech.samples, n)
    fig = motion_figure(result)
    assert len(beats) > 2 and len(fig.layout.shapes) == len(beats)
    assert np.allclose(sorted(s.x0 for s in fig.layout.shapes), np.sort(beats) / 25.0)
    assert {s.yref for s in fig.layout.shapes} == {"y domain"}
