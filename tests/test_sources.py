"""Loading sources as the UI does: images, clips, audio, speech, and the bad ones."""

import numpy as np
import pytest
import soundfile as sf

from studio.errors import StudioError
from studio.sources import load_audio_source, load_face_source, speak_source


def test_portrait_source(portrait_path):
    source = load_face_source(portrait_path)
    assert source.is_image and source.track.found.all() and not source.notes
    assert source.overlay(0).shape == source.frames[0].shape


def test_video_source_keeps_frames_track_and_audio(portrait_clip):
    source = load_face_source(portrait_clip, role="pose source")
    assert len(source.frames) == 25 and source.fps == 25.0
    assert source.track.found.all()
    assert source.audio is not None and abs(source.audio.duration - 1.0) < 0.05


def test_two_faces_are_noted(tmp_path, two_faces):
    import cv2

    path = tmp_path / "two.png"
    cv2.imwrite(str(path), two_faces[:, :, ::-1])
    source = load_face_source(path)
    assert any("2 faces" in note for note in source.notes)


def test_rgba_and_grayscale_portraits_are_tracked(tmp_path, portrait):
    import cv2

    rgba = np.dstack([portrait[:, :, ::-1], np.full(portrait.shape[:2], 255, np.uint8)])
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    cv2.imwrite(str(tmp_path / "gray.png"), cv2.cvtColor(portrait, cv2.COLOR_RGB2GRAY))
    for name in ("rgba.png", "gray.png"):
        source = load_face_source(tmp_path / name)
        assert source.frames.shape[-1] == 3 and source.track.found.all()


def test_cat_is_refused(tmp_path, cat):
    import cv2

    cv2.imwrite(str(tmp_path / "cat.jpg"), cat[:, :, ::-1])
    with pytest.raises(StudioError, match="No face found in the identity 'cat.jpg'"):
        load_face_source(tmp_path / "cat.jpg")


def test_audio_sources(tmp_path):
    rate = 48000
    t = np.arange(rate) / rate
    stereo = np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)], 1) * 0.3
    sf.write(tmp_path / "stereo48k.wav", stereo.astype(np.float32), rate)
    source = load_audio_source(tmp_path / "stereo48k.wav")
    assert source.audio.sample_rate == 16000 and source.audio.samples.ndim == 1
    assert source.mel.shape == (101, 80)
    assert source.notes == [
        "'stereo48k.wav' was converted from 48 kHz stereo to 16 kHz mono, the audio the models "
        "read."
    ]
    sf.write(tmp_path / "blip.wav", (0.3 * np.sin(np.arange(800) / 5)).astype(np.float32), 16000)
    blip = load_audio_source(tmp_path / "blip.wav")  # 50 ms: loaded, with a note
    assert len(blip.notes) == 1 and "50 ms" in blip.notes[0]
    sf.write(tmp_path / "silent.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(StudioError, match="silent"):
        load_audio_source(tmp_path / "silent.wav")


def test_speak_source_carries_phonemes():
    source = speak_source("Good morning.")
    assert source.speech is not None and len(source.speech.phonemes) > 5
    assert source.mel.shape[1] == 80


def test_a_video_browsers_cannot_play_gets_a_playable_copy(mp4v_clip, portrait_clip):
    """OpenCV's default codec (mp4v) is tracked like any video, but a browser shows "Video not
    playable": the upload box gets an H.264 copy of the loaded frames. An H.264 upload and an
    image need none."""
    from studio.media import read_video
    from studio.media.ffmpeg import probe
    from studio.sources import playable_preview

    assert probe(mp4v_clip).video_codec == "mpeg4"
    source = load_face_source(mp4v_clip, role="pose source")
    copy = playable_preview(mp4v_clip, source)
    assert copy is not None and probe(copy).video_codec == "h264"
    assert len(read_video(copy).frames) == len(source.frames)
    assert playable_preview(portrait_clip, load_face_source(portrait_clip)) is None
