"""Exceptions raised by unspin.

Every error a user can cause carries a one-line message that says what is
wrong and what to do; the CLI prints that line and exits with code 1.
"""

from __future__ import annotations


def file_problem(exc: OSError) -> str | None:
    """How a file that could not be opened is named in a one-line message ("no such file", "is a
    directory, not a file", "permission denied"); ``None`` for other errors, which the caller raises."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return None


class UnspinError(Exception):
    """Base class of every error unspin raises on purpose."""


class InputError(UnspinError, ValueError):
    """The input cannot be judged: empty, binary, too large or undecodable."""


class EmptyInputError(InputError):
    """The input holds no text (nothing, or only whitespace)."""


class BinaryInputError(InputError):
    """The input looks like a binary file rather than text."""


class InputTooLargeError(InputError):
    """The input is larger than the configured limit."""


class EncodingError(InputError):
    """The input bytes are not valid in the expected encoding."""


class CheckTimeout(UnspinError, TimeoutError):
    """A check ran past the deadline its caller gave it."""


class ResourceError(UnspinError, RuntimeError):
    """An offline resource (thesaurus, language model, counts) is missing or broken."""


class IndexCorruptError(UnspinError, RuntimeError):
    """The corpus index is missing, corrupt or of an unknown version."""
