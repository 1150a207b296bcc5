"""Checks on a user's file before any decoder sees it.

A missing, empty or directory path should give a plain message naming the file, not whatever
error a codec library happens to raise for it.
"""

from __future__ import annotations

from pathlib import Path

from studio.errors import StudioError


def check_input_file(path: str | Path, kind: str) -> Path:
    """Return `path` as a Path if it names a non-empty regular file; else raise StudioError.

    `kind` ("image", "audio", "video") words the message: "Could not read 'x.png' as an image".
    """
    path = Path(path)
    article = "an" if kind[:1] in "aeiou" else "a"
    prefix = f"Could not read '{path.name}' as {article} {kind}"
    if not path.exists():
        raise StudioError(f"{prefix}: the file does not exist ({path}).")
    if not path.is_file():
        raise StudioError(f"{prefix}: it is a folder, not a file.")
    if path.stat().st_size == 0:
        raise StudioError(f"{prefix}: the file is empty.")
    return path
