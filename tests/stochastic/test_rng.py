"""The kernels' generator is xoshiro256+ (checked against a plain-Python
transcription of the published algorithm), its doubles are uniform, and
streams of different voxels differ."""

import numpy as np
from scipy import stats

from moosepy.stochastic import kernels

MASK = (1 << 64) - 1


def xoshiro256plus(s, n):
    """Blackman & Vigna's xoshiro256+ on Python ints; top 53 bits / 2^53."""
    s = [int(v) for v in s]
    out = []
    for _ in range(n):
        res = (s[0] + s[3]) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & MASK
        out.append((res >> 11) / 2.0 ** 53)
    return out


def test_generator_is_xoshiro256plus():
    st = kernels.seed_streams(2026, 1)
    ref = xoshiro256plus(st[0], 1000)
    got = kernels.uniforms(st, 1000)
    assert np.array_equal(got, ref)


def test_uniform_and_independent_streams():
    st = kernels.seed_streams(7, 3)
    u = kernels.uniforms(st[0:1].copy(), 100_000)
    assert stats.kstest(u, 'uniform').pvalue > 1e-3
    v = kernels.uniforms(st[1:2].copy(), 100_000)
    assert abs(np.corrcoef(u, v)[0, 1]) < 4 / np.sqrt(100_000)
    assert len({tuple(r) for r in kernels.seed_streams(7, 1000).tolist()}) == 1000


def test_ziggurat_exponentials():
    """Waiting times: unit exponentials by the ziggurat, against the exact
    law (KS), its moments and both tails (the base-strip tail beyond 7.697
    is drawn separately)."""
    n = 1_000_000
    e = kernels.exponentials(kernels.seed_streams(11, 1), n)
    assert stats.kstest(e, 'expon').pvalue > 1e-3
    assert abs(e.mean() - 1) < 4 / np.sqrt(n)
    assert abs(e.var() - 1) < 4 * np.sqrt(8 / n)
    for x in (0.01, 1.0, 5.0, 7.697, 9.0):
        p = np.exp(-x)
        assert abs(np.mean(e > x) - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-6, x
    assert e.min() >= 0
