"""Numba kernels of the stochastic chemical solver (Gsolve).

Random numbers
    xoshiro256+ (Blackman and Vigna), one independent stream per voxel (or
    per trajectory of an ensemble): its four 64-bit words live in a row of
    ``rng`` (uint64) and are seeded from (seed, voxel) with splitmix64
    (:func:`seed_streams`).  Nothing depends on numba's or numpy's global
    generators, so a seed gives bit-identical trajectories in every process.
    Uniform doubles take the top 53 bits.

Exact SSA (Gillespie's direct method)
    Per voxel: propensities ``a[r]``, their total ``a0`` and sums over
    blocks of ``BLOCK`` reactions.  The waiting time is ``E/a0`` with E a
    unit exponential drawn by the ziggurat method (:func:`_exp1`);
    the reaction is found by a scan of the block sums, then of one block
    (about ``R/BLOCK + BLOCK`` additions instead of ``R/2``).  After a firing
    only the propensities in the reaction's dependency list (reactions
    having a changed pool among their reactants) are recomputed and the sums
    updated by their differences; ``a0`` and the block sums are recomputed
    from scratch every 2^16 events so round-off cannot build up.  The next
    event time of each voxel is kept between calls (``tnext``), so the
    trajectory does not depend on how the run is cut into intervals.

Propensity types (``ptype``), molecule units, ``k`` per molecule:

===  ==========================================================
0    k                              (no reactant)
1    k*A
2    k*A*B                          (A != B)
3    k*A*(A-1)                      (2A: MOOSE's convention)
4    k*prod_i A_i(A_i-1)...(A_i-m_i+1) (general; CSR rs_*)
5    kcat*E*S/(Km+S)                (MMenz; S the product of substrates)
6    |frate[r]|                     (a Function's rateOut into a pool; fires
                                    with the rate's sign, see below)
7    k*A*(A-1)*(A-2)                (3A)
===  ==========================================================

A Function's rate into a pool may be negative: as in MOOSE
(GssaVoxelPools), its propensity is the rate's magnitude and a firing adds
the pseudo-reaction's change times the rate's sign, a count that would go
below zero staying at zero (:func:`_fire`).

Held reactants (BufPools, Function-assigned pools) are folded into k
(:func:`_fold_held`), so A + 2X with A buffered is type 3.

Events (:mod:`moosepy.stochastic.events`)
    State triggers (a threshold on a linear form of counts) are evaluated at
    the start of each call and after every firing of a reaction flagged 2 in
    ``fdep`` (it changes a pool a trigger reads); a trigger that rose fires
    its assignments at that firing's time (:func:`_ev_cascade`), then
    Functions and all propensities are recomputed.  Reactions without the
    flag take the unchanged fast path, so a model without events pays
    nothing.  Time triggers are the caller's: the run is cut at their times
    and :func:`fire_event_all` applies them between two calls.

Tau-leaping (Cao, Gillespie and Petzold, J Chem Phys 124, 044109, 2006)
    see :mod:`moosepy.stochastic.tau` (no events).
"""

import math

import numpy as np

from ..jit import njit
from ..kinetics.kernels import NA, eval_program, unpack

BLOCK = 16
_LINEAR_MAX = 32
_U11 = np.uint64(11)
_U17 = np.uint64(17)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_TWO53 = 1.0 / 9007199254740992.0

# ---------------------------------------------------------------- seeding
_MASK = (1 << 64) - 1


def _splitmix(x):
    """One splitmix64 step: (new state, output) on Python ints."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return x, z ^ (z >> 31)


def _splitmix_np(x):
    """splitmix64 on a uint64 array (wrapping arithmetic): (state, output)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x, z ^ (z >> np.uint64(31))


def seed_streams(seed, n, first=0):
    """(n, 4) uint64 xoshiro states of streams first..first+n-1 of *seed*:
    stream i starts from splitmix64 of seed ^ (i * 0xD1B54A32D192ED03)."""
    s = np.uint64(int(seed) & _MASK)
    i = np.arange(first, first + n, dtype=np.uint64)
    with np.errstate(over='ignore'):
        x = s ^ (i * np.uint64(0xD1B54A32D192ED03))
        x, _ = _splitmix_np(x)
        out = np.empty((n, 4), dtype=np.uint64)
        for w in range(4):
            x, z = _splitmix_np(x)
            out[:, w] = z
    zero = ~out.any(axis=1)
    out[zero, 0] = 1
    return out


def mix_seed(a, b):
    """A 63-bit seed from two integers (splitmix64 of both)."""
    _, z = _splitmix((int(a) & _MASK) ^ ((int(b) * 0x9E3779B97F4A7C15) & _MASK))
    return z >> 1


# ---------------------------------------------------------------- xoshiro
@njit(cache=True, inline='always')
def _next(s0, s1, s2, s3):
    res = s0 + s3
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    return res, s0, s1, s2, s3


@njit(cache=True, inline='always')
def _u01(res):
    """Uniform in [0, 1)."""
    return np.float64(res >> _U11) * _TWO53


@njit(cache=True, inline='always')
def _u01_open(res):
    """Uniform in (0, 1]."""
    return (np.float64(res >> _U11) + 1.0) * _TWO53


# Ziggurat tables of the unit exponential (Marsaglia and Tsang 2000): 256
# layers of equal area _ZV under exp(-x); layer 0 is the base strip with the
# tail beyond _ZR, where R + Exp(1) is exact by memorylessness.
_ZN = 256
_ZR = 7.69711747013104972
_ZV = (_ZR + 1.0) * math.exp(-_ZR)
_ZX = np.empty(_ZN + 1)
_ZX[0] = _ZV / math.exp(-_ZR)
_ZX[1] = _ZR
for _i in range(2, _ZN):
    _ZX[_i] = -math.log(math.exp(-_ZX[_i - 1]) + _ZV / _ZX[_i - 1])
_ZX[_ZN] = 0.0
_ZF = np.exp(-_ZX)
_U3 = np.uint64(3)
_U255 = np.uint64(255)


@njit(cache=True)
def _exp1(q0, q1, q2, q3):
    """A unit exponential number (ziggurat: one draw and no logarithm in
    about 98.9 % of the calls; the layer from bits 3-10 of the draw, the
    position from its top 53 bits)."""
    while True:
        res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
        i = np.int64((res >> _U3) & _U255)
        z = _u01(res) * _ZX[i]
        if z < _ZX[i + 1]:
            return z, q0, q1, q2, q3
        if i == 0:
            res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
            return _ZR - math.log(_u01_open(res)), q0, q1, q2, q3
        res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
        yy = _ZF[i] + _u01(res) * (_ZF[i + 1] - _ZF[i])
        if yy < math.exp(-z):
            return z, q0, q1, q2, q3


@njit(cache=True)
def exponentials(rng, n):
    """n unit exponentials from stream row 0 of rng (advanced); for tests."""
    q0, q1, q2, q3 = rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3]
    out = np.empty(n)
    for k in range(n):
        e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
        out[k] = e
    rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3] = q0, q1, q2, q3
    return out


@njit(cache=True)
def uniforms(rng, n):
    """n uniforms in [0, 1) from stream row 0 of rng (advanced); for tests."""
    s0, s1, s2, s3 = rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3]
    out = np.empty(n)
    for i in range(n):
        res, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        out[i] = _u01(res)
    rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3] = s0, s1, s2, s3
    return out


# ---------------------------------------------------------------- propensities
@njit(cache=True)
def _prop(r, x, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz):
    """Propensity of reaction r on the voxel state x (x[npools] = 1.0)."""
    p = ptype[r]
    if p <= 2:
        return krow[r] * x[s0[r]] * x[s1[r]]
    if p == 3:
        xx = x[s0[r]]
        v = krow[r] * xx * (xx - 1.0)
        return v if v > 0.0 else 0.0
    if p == 7:
        xx = x[s0[r]]
        v = krow[r] * xx * (xx - 1.0) * (xx - 2.0)
        return v if v > 0.0 else 0.0
    if p == 4:
        v = krow[r]
        for q in range(rs_ptr[r], rs_ptr[r + 1]):
            xx = x[rs_idx[q]]
            for m in range(rs_mult[q]):
                v *= (xx - m)
        return v if v > 0.0 else 0.0
    if p == 5:
        sp = 1.0
        for q in range(rs_ptr[r], rs_ptr[r + 1]):
            xx = x[rs_idx[q]]
            for m in range(rs_mult[q]):
                sp *= xx
        if sp <= 0.0:
            return 0.0
        return krow[r] * x[mm_enz[r]] * sp / (kmrow[r] + sp)
    return abs(frate[r])


@njit(cache=True, inline='always')
def _fire(r, x, off, chg_ptr, chg_idx, chg_val, ptype, frate):
    """Apply one firing of reaction r to the counts x[off + pool]: a
    Function-rate term (type 6) whose rate is negative fires backwards,
    a count that would go negative staying at 0 (MOOSE's fireReac)."""
    if ptype[r] == 6 and frate[r] < 0.0:
        for q in range(chg_ptr[r], chg_ptr[r + 1]):
            j = off + chg_idx[q]
            xv = x[j] - chg_val[q]
            x[j] = xv if xv > 0.0 else 0.0
    else:
        for q in range(chg_ptr[r], chg_ptr[r + 1]):
            x[off + chg_idx[q]] += chg_val[q]


@njit(cache=True)
def _func_work(M):
    """Scratch space of :func:`_eval_funcs`: an evaluation stack of 64 and
    the inputs of the widest function."""
    fin_ptr = M[15]
    return np.empty(64 + fin_ptr[fin_ptr.shape[0] - 1] - fin_ptr[0] + 1)


@njit(cache=True)
def _eval_funcs(t, y, v, krow, kk, frate, fr_term, fr_pool, extra, M, work):
    """Functions of voxel v: assign function pools in y, set the rate
    constants they drive in krow (starting from kk[v]) and the rateOut
    propensities (frate of the pseudo-reactions fr_term, fed into the pools
    fr_pool).  Returns -1, or the index of a reaction whose rate constant
    became negative (or a rate term NaN): not a propensity.  A negative
    Function rate into a pool is allowed (it fires backwards).

    The outputs are those of the Ksolve's functions
    (:func:`moosepy.kinetics.kernels._apply_funcs`: pool assignments first,
    then rates and rate constants), evaluated here with the scratch *work*
    (:func:`_func_work`) made once per kernel call: Gsolve calls this after
    every firing that changes a Function input, where allocating would cost
    more than the evaluation."""
    dims = M[0]
    npools, nt, nf = dims[1], dims[2], dims[3]
    for r in range(nt):
        krow[r] = kk[v, r]
    for j in range(extra.shape[0]):
        extra[j] = 0.0
    fcode, fargs, fconsts, fstart = M[11], M[12], M[13], M[14]
    fin_ptr, fin_idx, fin_kind = M[15], M[16], M[17]
    fout_kind, fout_target = M[18], M[19]
    order = M[20]
    navol = NA * M[21][v]
    base = v * npools
    stack = work[:64]
    xbuf = work[64:]
    for ps in range(2):
        for f in range(nf):
            kind = fout_kind[f]
            if (ps == 0) != (kind <= 1):
                continue
            a, b = fin_ptr[f], fin_ptr[f + 1]
            for q in range(a, b):
                j = fin_idx[q]
                if j < 0:
                    xbuf[q - a] = 0.0
                elif fin_kind[q] == 1:
                    xbuf[q - a] = y[base + j] / navol
                else:
                    xbuf[q - a] = y[base + j]
            val = eval_program(fcode, fargs, fconsts, xbuf[: b - a + 1], t, stack,
                               fstart[f], fstart[f + 1])
            tgt = fout_target[f]
            # assigned as computed: a NaN or a negative value is named by
            # the solver's check after the call (clipping hid them)
            if kind == 0:
                y[base + tgt] = val
            elif kind == 1:
                y[base + tgt] = val * navol
            elif kind == 2:
                extra[tgt] += val
            elif kind == 3:
                krow[tgt] = val
            else:
                krow[tgt] = val * navol ** (1.0 - order[tgt])
    for r in range(nt):
        if not krow[r] >= 0.0:
            return r
    for q in range(fr_term.shape[0]):
        r = fr_term[q]
        val = extra[fr_pool[q]]
        frate[r] = val
        if val != val:
            return r
    return -1


@njit(cache=True)
def _refresh(x, a, bsum, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz):
    """All propensities, block sums and their total a0."""
    R = a.shape[0]
    a0 = 0.0
    for b in range(bsum.shape[0]):
        bsum[b] = 0.0
    for r in range(R):
        # the common shapes inline (a call per reaction costs more than the
        # propensity; this runs after every firing that changes a Function
        # input or fires an event)
        pt = ptype[r]
        if pt <= 2:
            v = krow[r] * x[s0[r]] * x[s1[r]]
        elif pt == 3:
            xx = x[s0[r]]
            v = krow[r] * xx * (xx - 1.0)
            if v < 0.0:
                v = 0.0
        else:
            v = _prop(r, x, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult,
                      mm_enz)
        a[r] = v
        bsum[r // BLOCK] += v
    for b in range(bsum.shape[0]):
        a0 += bsum[b]
    return a0


@njit(cache=True)
def round_init(y, npools, var, rng, randomly):
    """Round the variable pools (var[j] = 1) of every voxel to integers:
    with ``randomly``, up with probability equal to the fraction (MOOSE's
    useRandInit; the mean is kept), else to the nearest integer (halves
    up)."""
    nvox = y.shape[0] // npools
    for v in range(nvox):
        s0, s1, s2, s3 = rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3]
        for j in range(npools):
            if var[j] == 0:
                continue
            x = y[v * npools + j]
            b = math.floor(x)
            f = x - b
            if randomly:
                if f > 0.0:
                    res, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                    if _u01(res) < f:
                        b += 1.0
            elif f >= 0.5:
                b += 1.0
            y[v * npools + j] = b
        rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3] = s0, s1, s2, s3


@njit(cache=True)
def _fold_held(krow, x, hf_ptr, hf_idx, hf_mult):
    """Multiply each rate constant by the (falling-factorial) counts of its
    held reactants (BufPools, Function-assigned pools): no event changes
    them, so they are constants between Function evaluations."""
    for r in range(hf_ptr.shape[0] - 1):
        for q in range(hf_ptr[r], hf_ptr[r + 1]):
            xx = x[hf_idx[q]]
            for m in range(hf_mult[q]):
                krow[r] *= max(xx - m, 0.0)


# ---------------------------------------------------------------- direct method
#: ssa_run stops when more firings than this remain in one voxel's call
#: (propensity x time left, checked every 2^20 firings): at 1e7 firings/s
#: that is about three hours of one call; a model with propensities of
#: 1e300 is stopped after ~1e6 firings instead of spinning.  It returns
#: -(STALL + voxel), the time reached in tnext[voxel].  A long run of a
#: busy model can be split into several start() calls.
MAX_EVENTS_LEFT = 1e11
STALL = 1 << 60


@njit(cache=True)
def ssa_run(y, npools, kk, km, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz,
            hf_ptr, hf_idx, hf_mult, chg_ptr, chg_idx, chg_val, dep_ptr, dep_idx, fdep,
            fr_term, fr_pool, I, F, nfunc,
            rng, tnext, fires, t0, t1, times, rec_ptr, rec_pool, rec_col, out,
            E, ev_prev, ev_count):
    """Exact SSA of every voxel from t0 to t1 (direct method).

    y: flat state (voxel-major, molecules), changed in place.  kk, km:
    (nvox, R) rate constants and numKm.  rng: (nvox, 4) streams; tnext:
    (nvox,) pending event time of each voxel (< t0 or NaN: draw anew).
    fires: (nvox, R) firing counts, incremented.  Samples: for each time in
    the sorted ``times`` the state (after every event at or before it) of
    pool rec_pool[q] goes to out[time, rec_col[q]], q in
    rec_ptr[v]..rec_ptr[v+1].  E, ev_prev, ev_count: the state-triggered
    events (:class:`moosepy.stochastic.events.CompiledEvents`), their
    trigger values (nvox, nev) and firing counts; triggers are checked at the
    start and after every firing of a reaction flagged 2 in ``fdep`` (one
    that changes a pool a trigger reads; time events are the caller's, see
    :func:`moosepy.stochastic.events.run_ssa`).  Returns the number of
    events, or -(1 + r) if a Function made the rate of reaction r negative
    (not a propensity), or -(1 + R + c) for an event error c (see
    :func:`_ev_cascade`)."""
    nvox = kk.shape[0]
    R = kk.shape[1]
    P = npools
    nb = (R + BLOCK - 1) // BLOCK
    a = np.zeros(R)
    bsum = np.zeros(nb)
    krow = np.empty(R)
    frate = np.zeros(R)
    extra = np.zeros(P)
    x = np.empty(P + 1)
    M = _unpack(I, F, nfunc)
    fwork = _func_work(M)
    ns = times.shape[0]
    total = 0
    linear = R <= _LINEAR_MAX
    nsev = 0
    for e in range(E[0].shape[0]):
        if E[0][e] == 1:
            nsev += 1
    pend = np.zeros(E[0].shape[0], dtype=np.int64)
    etmp = np.zeros(E[8].shape[0] + 1)
    for v in range(nvox):
        base = v * P
        kmrow = km[v]
        if nfunc > 0:
            bad = _eval_funcs(t0, y, v, krow, kk, frate, fr_term, fr_pool, extra, M, fwork)
            if bad >= 0:
                return -(1 + bad)
        else:
            for r in range(R):
                krow[r] = kk[v, r]
        for j in range(P):
            x[j] = y[base + j]
        x[P] = 1.0
        if nsev > 0:
            # triggers that rose since the last call (t = 0, counts written
            # from outside, a time event)
            k = _ev_cascade(x, E, ev_prev, ev_count, v, pend, etmp)
            if k < 0:
                return -(1 + R - 1 - k)
            if k > 0:
                for j in range(P):
                    y[base + j] = x[j]
                if nfunc > 0:
                    bad = _eval_funcs(t0, y, v, krow, kk, frate, fr_term, fr_pool, extra, M, fwork)
                    if bad >= 0:
                        return -(1 + bad)
                    for j in range(P):
                        x[j] = y[base + j]
                tnext[v] = -np.inf
        _fold_held(krow, x, hf_ptr, hf_idx, hf_mult)
        a0 = _refresh(x, a, bsum, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult,
                      mm_enz)
        q0, q1, q2, q3 = rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3]
        tn = tnext[v]
        if not (tn >= t0):
            if a0 > 0.0:
                e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                tn = t0 + e / a0
            else:
                tn = np.inf
        si = 0
        nev = 0
        tcheck = -np.inf
        r0, r1 = rec_ptr[v], rec_ptr[v + 1]
        while True:
            while si < ns and times[si] < tn:
                for q in range(r0, r1):
                    out[si, rec_col[q]] = x[rec_pool[q]]
                si += 1
            if tn > t1:
                break
            t = tn
            res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
            target = _u01(res) * a0
            r = -1
            acc = 0.0
            if linear:
                for k in range(R):
                    acc += a[k]
                    if acc > target:
                        r = k
                        break
            else:
                for b in range(nb):
                    nacc = acc + bsum[b]
                    if nacc > target:
                        hi = min(R, (b + 1) * BLOCK)
                        for k in range(b * BLOCK, hi):
                            acc += a[k]
                            if acc > target:
                                r = k
                                break
                        if r < 0:
                            # round-off at the block edge: last positive one
                            for k in range(hi - 1, b * BLOCK - 1, -1):
                                if a[k] > 0.0:
                                    r = k
                                    break
                        break
                    acc = nacc
            if r < 0:
                for k in range(R - 1, -1, -1):
                    if a[k] > 0.0:
                        r = k
                        break
            if r < 0:
                # nothing can fire: a0 was round-off; recompute and redraw
                a0 = _refresh(x, a, bsum, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx,
                              rs_mult, mm_enz)
                if a0 > 0.0:
                    e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                    tn = t + e / a0
                else:
                    tn = np.inf
                continue
            _fire(r, x, 0, chg_ptr, chg_idx, chg_val, ptype, frate)
            fires[v, r] += 1
            nev += 1
            if fdep[r] != 0:
                fd = fdep[r]
                if fd & 1:
                    # a Function input changed: all functions and propensities
                    for j in range(P):
                        y[base + j] = x[j]
                    bad = _eval_funcs(t, y, v, krow, kk, frate, fr_term, fr_pool, extra, M, fwork)
                    if bad >= 0:
                        return -(1 + bad)
                    for j in range(P):
                        x[j] = y[base + j]
                    _fold_held(krow, x, hf_ptr, hf_idx, hf_mult)
                    a0 = _refresh(x, a, bsum, krow, kmrow, frate, ptype, s0, s1, rs_ptr,
                                  rs_idx, rs_mult, mm_enz)
                else:
                    a0 = _dep_update(r, x, a, bsum, a0, krow, kmrow, frate, ptype, s0, s1,
                                     rs_ptr, rs_idx, rs_mult, mm_enz, dep_ptr, dep_idx)
                    if (nev & 0xFFFF) == 0 or a0 <= 0.0:
                        a0 = _refresh(x, a, bsum, krow, kmrow, frate, ptype, s0, s1, rs_ptr,
                                      rs_idx, rs_mult, mm_enz)
                if fd & 2:
                    # a pool a trigger reads changed: events at this instant
                    k = _ev_cascade(x, E, ev_prev, ev_count, v, pend, etmp)
                    if k < 0:
                        return -(1 + R - 1 - k)
                    if k > 0:
                        for j in range(P):
                            y[base + j] = x[j]
                        if nfunc > 0:
                            bad = _eval_funcs(t, y, v, krow, kk, frate, fr_term, fr_pool,
                                              extra, M, fwork)
                            if bad >= 0:
                                return -(1 + bad)
                            for j in range(P):
                                x[j] = y[base + j]
                        else:
                            for rr in range(R):
                                krow[rr] = kk[v, rr]
                        _fold_held(krow, x, hf_ptr, hf_idx, hf_mult)
                        a0 = _refresh(x, a, bsum, krow, kmrow, frate, ptype, s0, s1, rs_ptr,
                                      rs_idx, rs_mult, mm_enz)
            else:
                for q in range(dep_ptr[r], dep_ptr[r + 1]):
                    d = dep_idx[q]
                    # the common shapes inline, order <= 2 branch-free (x[P]
                    # = 1.0 for a missing reactant): a call to _prop, or
                    # numba's inline='always' of it, is 3x slower here
                    pt = ptype[d]
                    if pt <= 2:
                        nv = krow[d] * x[s0[d]] * x[s1[d]]
                    elif pt == 3:
                        xx = x[s0[d]]
                        nv = krow[d] * xx * (xx - 1.0)
                        if nv < 0.0:
                            nv = 0.0
                    elif pt == 7:
                        xx = x[s0[d]]
                        nv = krow[d] * xx * (xx - 1.0) * (xx - 2.0)
                        if nv < 0.0:
                            nv = 0.0
                    elif pt == 4:
                        nv = krow[d]
                        for qq in range(rs_ptr[d], rs_ptr[d + 1]):
                            xx = x[rs_idx[qq]]
                            for mm in range(rs_mult[qq]):
                                nv *= (xx - mm)
                        if nv < 0.0:
                            nv = 0.0
                    else:
                        nv = _prop(d, x, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx,
                                   rs_mult, mm_enz)
                    dv = nv - a[d]
                    a[d] = nv
                    bsum[d // BLOCK] += dv
                    a0 += dv
                if (nev & 0xFFFF) == 0 or a0 <= 0.0:
                    a0 = _refresh(x, a, bsum, krow, kmrow, frate, ptype, s0, s1, rs_ptr,
                                  rs_idx, rs_mult, mm_enz)
            if a0 > 0.0:
                e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                tn = t + e / a0
            else:
                tn = np.inf
            if (nev & 0xFFFFF) == 0:
                # every 2^20 firings: a run that cannot finish (propensities
                # of 1e300; time no longer advancing) stops with a code
                if a0 * (t1 - t) > MAX_EVENTS_LEFT or not (t > tcheck):
                    for j in range(P):
                        y[base + j] = x[j]
                    tnext[v] = t
                    rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3] = q0, q1, q2, q3
                    return -(STALL + v)
                tcheck = t
        for j in range(P):
            y[base + j] = x[j]
        tnext[v] = tn
        rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3] = q0, q1, q2, q3
        total += nev
    return total


@njit(cache=True)
def _unpack(I, F, nfunc):
    return unpack(I, F)


@njit(cache=True)
def _dep_update(r, x, a, bsum, a0, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx,
                rs_mult, mm_enz, dep_ptr, dep_idx):
    """The propensities that depend on reaction r, after it fired (the slow
    path's copy of the inline update in :func:`ssa_run`); returns a0."""
    for q in range(dep_ptr[r], dep_ptr[r + 1]):
        d = dep_idx[q]
        nv = _prop(d, x, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz)
        dv = nv - a[d]
        a[d] = nv
        bsum[d // BLOCK] += dv
        a0 += dv
    return a0


# ---------------------------------------------------------------- events
MAX_CASCADE = 10000


@njit(cache=True)
def _ev_trigger(e, x, E):
    """Value of the state trigger of event e on counts x."""
    strict, tr_ptr, tr_idx, tr_coef, tr_const = E[1], E[3], E[4], E[5], E[6]
    s = tr_const[e]
    for q in range(tr_ptr[e], tr_ptr[e + 1]):
        s += tr_coef[q] * x[tr_idx[q]]
    if strict[e] != 0:
        return s > 0.0
    return s >= 0.0


@njit(cache=True)
def _ev_fire(e, x, E, tmp):
    """The assignments of event e on counts x (all values computed before
    any is written); False (x unchanged) if one would be negative."""
    as_ptr, as_tgt, as_const, as_cptr, as_idx, as_coef = E[7], E[8], E[9], E[10], E[11], E[12]
    a0, a1 = as_ptr[e], as_ptr[e + 1]
    for a in range(a0, a1):
        val = as_const[a]
        for q in range(as_cptr[a], as_cptr[a + 1]):
            val += as_coef[q] * x[as_idx[q]]
        if not val >= 0.0:
            return False
        tmp[a - a0] = val
    for a in range(a0, a1):
        x[as_tgt[a]] = tmp[a - a0]
    return True


@njit(cache=True)
def _ev_cascade(x, E, prev, count, v, pend, tmp):
    """Fire the state events of voxel v whose trigger rose (prev[v, e] false,
    now true) on counts x, in index order, then again for triggers their
    assignments made rise, until none rises.  prev is updated; count[v, e]
    counts firings.  Returns the number fired, or -(1 + e) if event e would
    make a count negative, or -(1 + n + e) after MAX_CASCADE firings (events
    that trigger each other without end)."""
    kind, persist = E[0], E[2]
    n = kind.shape[0]
    nfired = 0
    while True:
        rising = False
        for e in range(n):
            if kind[e] == 1:
                now = 1 if _ev_trigger(e, x, E) else 0
                if now == 1 and prev[v, e] == 0:
                    pend[e] = 1
                    rising = True
                prev[v, e] = now
        if not rising:
            return nfired
        for e in range(n):
            if pend[e] == 0:
                continue
            pend[e] = 0
            if persist[e] == 0 and not _ev_trigger(e, x, E):
                continue
            if not _ev_fire(e, x, E, tmp):
                return -(1 + e)
            count[v, e] += 1
            nfired += 1
            if nfired > MAX_CASCADE:
                return -(1 + n + e)


@njit(cache=True)
def fire_event_all(y, npools, E, e, count):
    """Fire event e (a time event) in every voxel of the flat state y;
    returns 0, or -1 if an assignment would make a count negative."""
    nvox = y.shape[0] // npools
    tmp = np.zeros(E[8].shape[0] + 1)
    for v in range(nvox):
        x = y[v * npools:(v + 1) * npools]
        if not _ev_fire(e, x, E, tmp):
            return -1
        count[v, e] += 1
    return 0
