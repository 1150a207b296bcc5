"""`python -m studio.bench jean-audio-emotion`: how much JEAN's audio → lip retrieval gains when
the audio encoder knows the clip's emotion, told (oracle labels) or heard (a summary of the
whole clip's log-mel, raw or minus the speaker's mean). See `studio.bench.jean_audio`."""

from studio.bench.jean_audio import run_emotion as run

__all__ = ["run"]
