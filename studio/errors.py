"""The one user-facing exception type.

Anything a person can fix (a bad file, no face, audio that is too long) raises `StudioError`
with a message that says what to do. The UI shows it as a warning, the CLI prints it and exits
with status 2. Any other exception is a bug.
"""


class StudioError(Exception):
    """An error caused by the user's input, with a message a person can act on."""
