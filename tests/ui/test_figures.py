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


def test_talk_motion_figure_leaves_out_the_mouth_a_renderer_does_not_read():
    from studio.media.audio import Audio
    from studio.papers.rhythmic.talk import TalkResult
    from studio.ui.talk_tab import motion_figure

    n = 30
    result = TalkResult(
        frames=np.zeros((n, 8, 8, 3), np.uint8),
        audio=Audio(np.zeros(n * 640, np.float32), 16000, 16000, 1),
        fps=25.0,
        blendshapes=np.zeros((n, 52), np.float32),
        pose6=np.zeros((n, 6), np.float32),
        mouth=np.zeros((n, 14), np.float32),
        identity=32,
    )
    assert [t.name for t in motion_figure(result).data][-1] == "jawOpen × 20"
    without = motion_figure(result, with_mouth=False)
    assert [t.name for t in without.data] == ["yaw (°)", "pitch (°)", "roll (°)"]
    assert "mouth" not in without.layout.title.text


def test_a_map_with_more_classes_than_colours_drops_the_legend_and_says_so():
    from studio.eval.tsne import PALETTE, scatter_figure

    rng = np.random.default_rng(0)
    n = 200
    labels = {
        "emotion": np.array(["happy", "sad"] * (n // 2)),
        "identity": np.arange(n) % (len(PALETTE) + 8),  # more people than colours
        "intensity": np.ones(n, int),
        "clip_id": np.array([f"c{i % 10}" for i in range(n)]),
        "frame": np.arange(n),
        "source": np.array(["bank"] * n),
    }
    xy = rng.normal(size=(n, 2))
    by_emotion = scatter_figure(xy, labels, "emotion", "map")
    assert by_emotion.layout.showlegend is not False and len(by_emotion.data) == 2
    by_identity = scatter_figure(xy, labels, "identity", "map")
    assert len(by_identity.data) == len(PALETTE) + 8
    assert by_identity.layout.showlegend is False
    assert "colours repeat" in by_identity.layout.title.text
