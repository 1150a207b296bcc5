"""Talk: make a person speak — audio or text in, an mp4 with sound out (`python -m studio talk`,
the Talk tab, or `studio.talk.talk` from Python)."""
