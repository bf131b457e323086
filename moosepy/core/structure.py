"""The structure version: one counter that every change to a model's
structure advances, so that a solver can keep what it compiled at ``reinit``
and know for certain when it must compile again.

Structure means what a compiled layout depends on: which objects exist and
where (created, deleted, moved, renamed, resized), the messages between them
(made, deleted, sparse entries edited), the schedule (``setClock``,
``useClock``, a tick changed) and the fields that change the shape of a
solver's arrays (declared ``Field(..., structural=True)``, e.g. a channel's
``Xpower``, or written by a class that calls :func:`changed` itself, e.g. a
gate's tables).  Field values (``Gbar``, ``inject``, ``concInit``, ``Kf``...)
are not structure: solvers read them again at every reinit.

The counter is global: a change anywhere makes every solver compile again at
its next reinit.  That is conservative (never stale) and costs nothing while
a script only sets values between runs, which is what sweeps do.
"""

_version = [0]


def changed():
    """Record that the structure of the model changed."""
    _version[0] += 1


def version():
    """The current structure version (an int that only grows)."""
    return _version[0]
