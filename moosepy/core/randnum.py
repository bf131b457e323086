"""MOOSE's global uniform random stream (``moose::mtrand``), reproduced.

MOOSE 5.0 keeps one process-wide generator that ``moose.seed(n)`` seeds
and that several classes draw from in a fixed order (spine placement by
``Neuron.spineDistribution``, ``moose.rand``, steady-state random starts,
...).  To give the same spines and numbers for the same seed, moosepy
draws those numbers from the same kind of stream:

* a 32-bit Mersenne Twister (MT19937) seeded the standard way
  (``x[0] = seed mod 2^32``, Knuth's linear recurrence for the rest of the
  state), which is what numpy's legacy ``MT19937`` seeding does;
* each double in [0, 1) made from two consecutive 32-bit words a, b as
  ``(a + b·2^32) / 2^64`` (libstdc++'s ``uniform_real_distribution<double>``
  over a 32-bit engine), with a result that rounds up to 1 replaced by
  the largest double below 1.

Checked against pymoose 5.0.0 (``moose.seed(5); moose.rand(0, 1)``) in
tests/rdesigner/test_rdes_spines_seeded.py (the rand stream for four seeds).

Seeding differences, on purpose: MOOSE seeds from the OS when the seed is
0; here 0 is a seed like any other (a given seed always gives the same
model).  ``None`` (or never seeding) draws the seed from the OS.  Seeds are
taken modulo 2^32, as MOOSE's cast to ``unsigned int`` does for negative
values.
"""

import numpy as np

_TWO32 = 4294967296.0
_TWO64 = 18446744073709551616.0
_BELOW_ONE = float(np.nextafter(1.0, 0.0))

_state = {'bg': None, 'seed': None}


def mtseed(seed=None):
    """Seed the global stream with an integer *seed* (taken mod 2^32), or
    from the OS when *seed* is None.  Returns the 32-bit seed used."""
    if seed is None:
        s = int(np.random.SeedSequence().generate_state(1, np.uint32)[0])
    else:
        s = int(seed) & 0xFFFFFFFF
    bg = np.random.MT19937()
    bg._legacy_seeding(s)
    _state['bg'], _state['seed'] = bg, s
    return s


def mtseed_value():
    """The 32-bit seed of the global stream (seeding it from the OS first
    if it was never seeded)."""
    if _state['bg'] is None:
        mtseed(None)
    return _state['seed']


def mtrand(n=None):
    """Uniform doubles in [0, 1) from the global stream: one float when *n*
    is None, else a numpy array of *n* (the same numbers, in order, as *n*
    single calls)."""
    if _state['bg'] is None:
        mtseed(None)
    k = 1 if n is None else int(n)
    u = _doubles(_state['bg'], k)
    return float(u[0]) if n is None else u


def _doubles(bg, k):
    """*k* doubles in [0, 1) from the MT19937 bit generator *bg*, two
    words each, as MOOSE makes them."""
    if k <= 0:
        return np.zeros(0)
    raw = bg.random_raw(2 * k).astype(np.float64)
    u = (raw[0::2] + raw[1::2] * _TWO32) / _TWO64
    u[u >= 1.0] = _BELOW_ONE
    return u


def seeded_uniforms(seed, n):
    """*n* doubles in [0, 1) from a fresh stream seeded with *seed* (mod
    2^32), as a MOOSE object with its own ``std::mt19937(seed)`` draws
    them; the global stream is not touched."""
    bg = np.random.MT19937()
    bg._legacy_seeding(int(seed) & 0xFFFFFFFF)
    return _doubles(bg, int(n))
