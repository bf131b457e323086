"""Checks of a solver's state after it advanced (issue 15, item 3 and 4).

A solver whose state becomes NaN or infinite, or whose pools are forced
below zero, raises one :class:`~moosepy.core.errors.SolverError` that names
the solver, the time and the first offending object and field; the values a
user reads are then never a stale or zero mirror of a broken state.

The checks run once per advanced interval (a clock tick's chunk or an
output step), over the whole state vector, not per integration step:
:func:`first_nonfinite` costs one ``np.add.reduce`` (no temporary array)
when everything is finite, which it nearly always is.

This module owns the two decisions shared by the solvers: what counts as
non-finite, and how far below zero a molecule count may fall before it is
no longer round-off (:func:`negative_tolerance`).
"""

import math

import numpy as np

#: relative part of the tolerance for negative molecule counts (see
#: :func:`negative_tolerance`)
NEG_REL = 1e-6
#: multiple of the integrator's absolute tolerance allowed below zero
NEG_ABS = 100.0


def first_nonfinite(a):
    """Flat index of the first NaN or infinite entry of array *a*, or -1.

    One reduction when all is finite (the sum of finite values is finite
    unless it overflows, and then the full test below decides)."""
    a = np.asarray(a)
    if a.size == 0:
        return -1
    s = float(np.add.reduce(a, axis=None))
    if math.isfinite(s):
        return -1
    bad = np.flatnonzero(~np.isfinite(a))
    return int(bad[0]) if len(bad) else -1


def negative_tolerance(a, atol):
    """How far below zero an entry of the molecule counts *a* may fall and
    still be round-off [molecules]: ``NEG_ABS * atol + NEG_REL * max|a|``.

    Why this bound: an adaptive integrator keeps each step's local error of
    pool i within ``atol + rtol |n_i|``; a pool that should be 0 is then off
    by a few ``atol`` (LSODA's global error near zero stays within about ten
    local tolerances).  A Function's expression loses at most ~1e-16 of its
    largest operand in a subtraction; the fluxes into a pool that starts at
    zero scale with the system's largest counts, not with the pool itself,
    so the relative part is taken of the largest count in the state (its
    scale), with 1e-6 leaving ten orders of margin over double round-off.
    A value below ``-tolerance`` is not round-off: a Function assigned it, or
    an integrator was driven through zero by a rate no pool limits."""
    a = np.asarray(a)
    big = float(np.max(np.abs(a))) if a.size else 0.0
    return NEG_ABS * float(atol) + NEG_REL * (big if math.isfinite(big) else 0.0)


def nonfinite_message(solver_path, what, field, value, t0, t1):
    """The words of a non-finite-state SolverError."""
    when = f't = {t1:g} s' if t0 is None or t0 == t1 else f'between t = {t0:g} and {t1:g} s'
    return (f'{solver_path}: the state became non-finite ({what}.{field} = {value!r}) '
            f'{when}; the values cannot be trusted after this time (check rate '
            f'constants, Functions, volumes, Rm/Cm/Ra and injected currents)')
