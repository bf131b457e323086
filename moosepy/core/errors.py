"""The one exception hierarchy of moosepy.

Every error a user can provoke is raised as a subclass of :class:`MooseError`;
its message names the element path (or file and line), the field or port, what
was expected and what is valid.  Nothing in the library prints an error and
returns a sentinel.
"""

import difflib


class MooseError(RuntimeError):
    """Base class of every moosepy error.

    A RuntimeError, as most errors pymoose raises from MOOSE's C++ core, so a
    script's ``except RuntimeError`` catches it on moosepy too."""


class PathError(MooseError, KeyError, ValueError):
    """A path that does not name an element, or names one that is in the way.
    Also a ValueError: MOOSE raises ValueError for an object that does not
    exist (``element``, ``delete``, ``connect``, ``copy``)."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ''


class PathIndexError(PathError, IndexError):
    """An index past the end of a vec (``vec[i]``); MOOSE raises IndexError."""


class FieldError(MooseError, AttributeError):
    """Unknown field, read-only field, or a bad value for a field."""


class MessageError(MooseError):
    """A message that cannot be connected (unknown port, wrong direction, types)."""


class SolverError(MooseError):
    """A solver that cannot be built or run with the model it was given."""


class ModelImportError(MooseError):
    """A model file that cannot be read; names the file and line or id."""


def suggest(name, valid):
    """Return "; did you mean 'x'?" when *name* is close to one of *valid*."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ''
