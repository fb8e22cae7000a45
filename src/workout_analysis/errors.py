"""Errors that are the user's to fix: the CLI prints them as one line, without a traceback."""


class WorkoutError(Exception):
    """A problem with the user's input (file, arguments, model bundle). Message names the file and the fix."""

    exit_code = 2


class NoPersonError(WorkoutError):
    """The input was readable but no person was found in any frame."""

    exit_code = 3
