"""Tau-leaping (``Gsolve.method = 'tau'``): an approximate, much faster
alternative to the exact SSA when molecule counts are large.

When to use it
    When every reacting species has hundreds of molecules or more and many
    events happen per unit time (large volumes, high concentrations), so the
    exact SSA spends its time firing events one by one that barely change
    the propensities.  A leap of length tau fires ``Poisson(a_j tau)`` events
    of each reaction at once; the step is chosen so that no propensity
    changes by more than a fraction ``epsilon`` (default 0.03) of itself in
    one leap.  It is *not* exact, and the error is that of an explicit
    method: a species decaying at rate k has its mean off by about
    ``k t epsilon / 2`` (relative) after time t, and near a steady state,
    where the mean bound does not limit the leap, variances come out too
    large by about ``k tau / 2`` (measured: +25 % for birth-death at 1000
    molecules with the default epsilon, +3 % with epsilon = 0.01).  For
    small counts, rare events, or whenever statistics are asserted, use the
    default ``'ssa'``.  With small counts the method falls back to exact SSA
    steps by itself (below), so it is then not faster either.  Measured on
    birth-death with 1000 molecules: 25x fewer CPU-seconds than the SSA; on
    the dimerisation and Schloegl benchmarks (a few hundred molecules,
    third-order terms) it is slower than the SSA.

The method (Cao, Gillespie and Petzold, J Chem Phys 124, 044109, 2006)
    1. A reaction is *critical* when it is within ``nCritical`` (default
       10) firings of exhausting one of its reactants.
    2. The leap of the non-critical reactions: for every reactant species
       i, with mu_i and sigma2_i the mean and variance of its change per
       unit time from the non-critical reactions and g_i from the highest
       order of the reactions consuming it,
       ``tau1 = min_i(max(eps x_i/g_i, 1)/|mu_i|, max(eps x_i/g_i, 1)^2/sigma2_i)``.
    3. If tau1 < 10/a0 a leap would not pay: 100 exact SSA steps are taken
       instead.
    4. Else tau2 ~ Exp(sum of critical propensities); the leap is min(tau1,
       tau2), with the non-critical reactions fired as Poisson numbers and,
       if tau2 is the smaller, one critical reaction chosen by its
       propensity.  A leap that would make any count negative is undone and
       retried with tau1 halved: counts never go negative.
    Leaps end exactly at the sampling times and at the end of each solver
    interval.

Poisson numbers: inversion for means below 10, Hoermann's transformed
rejection with squeeze (PTRS, 1993) above, from the same xoshiro256+ stream
as the SSA.
"""

import math

import numpy as np

from ..jit import njit
from .kernels import (_next, _u01, _u01_open, _exp1, _prop, _fold_held, _eval_funcs,
                      _unpack, _func_work, _fire, MAX_EVENTS_LEFT, STALL)

_SSA_STEPS = 100
_N1 = 10.0


@njit(cache=True)
def _poisson(lam, q0, q1, q2, q3):
    """A Poisson(lam) number and the advanced generator state."""
    if lam <= 0.0:
        return 0, q0, q1, q2, q3
    if not (lam < 1e15):
        # NaN, inf or beyond exact counts: the sampler below would not end
        # (NaN) or overflow; the caller stops the run (-(STALL + voxel))
        return -1, q0, q1, q2, q3
    if lam < 10.0:
        res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
        u = _u01(res)
        p = math.exp(-lam)
        c = p
        k = 0
        while u > c and k < 1000:
            k += 1
            p *= lam / k
            c += p
        return k, q0, q1, q2, q3
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
        U = _u01(res) - 0.5
        res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
        V = _u01_open(res)
        us = 0.5 - abs(U)
        k = math.floor((2.0 * a / us + b) * U + lam + 0.43)
        if us >= 0.07 and V <= vr:
            return int(k), q0, q1, q2, q3
        if k < 0.0 or (us < 0.013 and V > us):
            continue
        if (math.log(V) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                <= -lam + k * loglam - math.lgamma(k + 1.0)):
            return int(k), q0, q1, q2, q3


@njit(cache=True)
def poisson_samples(lam, n, rng):
    """n Poisson(lam) numbers from stream row 0 of rng; for tests."""
    q0, q1, q2, q3 = rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        k, q0, q1, q2, q3 = _poisson(lam, q0, q1, q2, q3)
        out[i] = k
    rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3] = q0, q1, q2, q3
    return out


@njit(cache=True)
def _all_props(x, a, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz):
    a0 = 0.0
    for r in range(a.shape[0]):
        v = _prop(r, x, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz)
        a[r] = v
        a0 += v
    return a0


@njit(cache=True)
def tau_run(y, npools, kk, km, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz,
            hf_ptr, hf_idx, hf_mult, chg_ptr, chg_idx, chg_val, dep_ptr, dep_idx, fdep,
            fr_term, fr_pool, I, F, nfunc, rng, tnext, fires, t0, t1, times, rec_ptr,
            rec_pool, rec_col, out, eps, ncrit):
    """Tau-leaping of every voxel from t0 to t1; arguments and return value
    as :func:`moosepy.stochastic.kernels.ssa_run`, plus eps (epsilon) and
    ncrit (nCritical).  Returns the number of reaction events fired."""
    nvox = kk.shape[0]
    R = kk.shape[1]
    P = npools
    a = np.zeros(R)
    krow = np.empty(R)
    frate = np.zeros(R)
    extra = np.zeros(P)
    x = np.empty(P + 1)
    xs = np.empty(P + 1)
    crit = np.zeros(R, dtype=np.bool_)
    kf = np.zeros(R, dtype=np.int64)
    mu = np.zeros(P)
    s2 = np.zeros(P)
    M = _unpack(I, F, nfunc)
    fwork = _func_work(M)
    ns = times.shape[0]
    # highest order of the reactions consuming each species, and the most
    # molecules of it that such a reaction takes (for g_i)
    hor = np.zeros(P, dtype=np.int64)
    hmul = np.zeros(P, dtype=np.int64)
    for r in range(R):
        order = 0
        for q in range(rs_ptr[r], rs_ptr[r + 1]):
            order += rs_mult[q]
        if ptype[r] == 5:
            order = 1
        for q in range(rs_ptr[r], rs_ptr[r + 1]):
            i = rs_idx[q]
            m = rs_mult[q] if ptype[r] != 5 else 1
            if order > hor[i]:
                hor[i] = order
                hmul[i] = m
            elif order == hor[i] and m > hmul[i]:
                hmul[i] = m
    total = 0
    for v in range(nvox):
        base = v * P
        kmrow = km[v]
        for j in range(P):
            x[j] = y[base + j]
        x[P] = 1.0
        q0, q1, q2, q3 = rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3]
        t = t0
        si = 0
        while si < ns and times[si] <= t:
            for q in range(rec_ptr[v], rec_ptr[v + 1]):
                out[si, rec_col[q]] = x[rec_pool[q]]
            si += 1
        nev = 0
        refresh_k = True
        nit = 0
        tcheck = t
        while t < t1:
            nit += 1
            if (nit & 0xFFFFF) == 0:
                # every 2^20 leaps: more than MAX_EVENTS_LEFT leaps left at
                # this pace (propensities of 1e300), or no progress: stop
                if not (t > tcheck) or (t1 - t) / (t - tcheck) * 1048576.0 > MAX_EVENTS_LEFT:
                    for j in range(P):
                        y[base + j] = x[j]
                    tnext[v] = t
                    rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3] = q0, q1, q2, q3
                    return -(STALL + v)
                tcheck = t
            if refresh_k:
                if nfunc > 0:
                    for j in range(P):
                        y[base + j] = x[j]
                    bad = _eval_funcs(t, y, v, krow, kk, frate, fr_term, fr_pool, extra, M, fwork)
                    if bad >= 0:
                        return -(1 + bad)
                    for j in range(P):
                        x[j] = y[base + j]
                else:
                    for r in range(R):
                        krow[r] = kk[v, r]
                _fold_held(krow, x, hf_ptr, hf_idx, hf_mult)
                refresh_k = False
            t_stop = t1
            if si < ns and times[si] < t_stop:
                t_stop = times[si]
            a0 = _all_props(x, a, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx,
                            rs_mult, mm_enz)
            if a0 <= 0.0:
                t = t_stop
            else:
                # critical reactions and the non-critical leap tau1
                for i in range(P):
                    mu[i] = 0.0
                    s2[i] = 0.0
                a0c = 0.0
                for r in range(R):
                    crit[r] = False
                    if a[r] <= 0.0:
                        continue
                    L = 1e300
                    # a Function's negative rate into a pool fires backwards
                    sg = -1.0 if (ptype[r] == 6 and frate[r] < 0.0) else 1.0
                    for q in range(chg_ptr[r], chg_ptr[r + 1]):
                        c = chg_val[q] * sg
                        if c < 0.0:
                            li = math.floor(x[chg_idx[q]] / (-c))
                            if li < L:
                                L = li
                    if L < ncrit:
                        crit[r] = True
                        a0c += a[r]
                    else:
                        for q in range(chg_ptr[r], chg_ptr[r + 1]):
                            c = chg_val[q] * sg
                            mu[chg_idx[q]] += c * a[r]
                            s2[chg_idx[q]] += c * c * a[r]
                tau1 = np.inf
                for i in range(P):
                    if hor[i] == 0 or (mu[i] == 0.0 and s2[i] == 0.0):
                        continue
                    xi = x[i]
                    h = hor[i]
                    m = hmul[i]
                    if h == 1 or m == 1:
                        g = float(h)
                    elif xi <= 2.0:
                        g = float(h) + 2.0
                    elif h == 2:
                        g = 2.0 + 1.0 / (xi - 1.0)
                    elif h == 3 and m == 2:
                        g = 1.5 * (2.0 + 1.0 / (xi - 1.0))
                    elif h == 3:
                        g = 3.0 + 1.0 / (xi - 1.0) + 2.0 / (xi - 2.0)
                    else:
                        g = float(h) + float(m)
                    bnd = eps * xi / g
                    if bnd < 1.0:
                        bnd = 1.0
                    if mu[i] != 0.0:
                        tt = bnd / abs(mu[i])
                        if tt < tau1:
                            tau1 = tt
                    if s2[i] > 0.0:
                        tt = bnd * bnd / s2[i]
                        if tt < tau1:
                            tau1 = tt
                if tau1 < _N1 / a0:
                    # a leap would not pay: exact SSA steps
                    for k in range(_SSA_STEPS):
                        if k > 0:
                            a0 = _all_props(x, a, krow, kmrow, frate, ptype, s0, s1, rs_ptr,
                                            rs_idx, rs_mult, mm_enz)
                        if a0 <= 0.0:
                            t = t_stop
                            break
                        e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                        tn = t + e / a0
                        if tn > t_stop:
                            t = t_stop      # memoryless: nothing fires before t_stop
                            break
                        res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
                        target = _u01(res) * a0
                        acc = 0.0
                        r = -1
                        for kk2 in range(R):
                            acc += a[kk2]
                            if acc > target:
                                r = kk2
                                break
                        if r < 0:
                            for kk2 in range(R - 1, -1, -1):
                                if a[kk2] > 0.0:
                                    r = kk2
                                    break
                        t = tn
                        _fire(r, x, 0, chg_ptr, chg_idx, chg_val, ptype, frate)
                        fires[v, r] += 1
                        nev += 1
                        if fdep[r] != 0:
                            refresh_k = True
                            break
                else:
                    if a0c > 0.0:
                        e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                        tau2 = e / a0c
                    else:
                        tau2 = np.inf
                    while True:
                        fire_crit = tau2 <= tau1
                        tau = tau2 if fire_crit else tau1
                        if t + tau >= t_stop:
                            tau = t_stop - t
                            fire_crit = False
                        for j in range(P + 1):
                            xs[j] = x[j]
                        any_f = False
                        for r in range(R):
                            kf[r] = 0
                            if crit[r] or a[r] <= 0.0:
                                continue
                            n, q0, q1, q2, q3 = _poisson(a[r] * tau, q0, q1, q2, q3)
                            if n < 0:
                                for j in range(P):
                                    y[base + j] = xs[j]
                                tnext[v] = t
                                rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3] = q0, q1, q2, q3
                                return -(STALL + v)
                            kf[r] = n
                        if fire_crit:
                            res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
                            target = _u01(res) * a0c
                            acc = 0.0
                            rc = -1
                            for r in range(R):
                                if crit[r]:
                                    acc += a[r]
                                    rc = r
                                    if acc > target:
                                        break
                            kf[rc] += 1
                        neg = False
                        for r in range(R):
                            n = kf[r]
                            if n == 0:
                                continue
                            if fdep[r] != 0:
                                any_f = True
                            sg = -1.0 if (ptype[r] == 6 and frate[r] < 0.0) else 1.0
                            for q in range(chg_ptr[r], chg_ptr[r + 1]):
                                j = chg_idx[q]
                                x[j] += chg_val[q] * n * sg
                                if x[j] < 0.0:
                                    neg = True
                        if neg:
                            for j in range(P + 1):
                                x[j] = xs[j]
                            tau1 *= 0.5
                            continue
                        for r in range(R):
                            if kf[r] != 0:
                                fires[v, r] += kf[r]
                                nev += kf[r]
                        t = t + tau
                        if any_f:
                            refresh_k = True
                        break
            if t >= t_stop - 1e-15 * max(1.0, abs(t_stop)):
                t = t_stop
                while si < ns and times[si] <= t:
                    for q in range(rec_ptr[v], rec_ptr[v + 1]):
                        out[si, rec_col[q]] = x[rec_pool[q]]
                    si += 1
        while si < ns:
            for q in range(rec_ptr[v], rec_ptr[v + 1]):
                out[si, rec_col[q]] = x[rec_pool[q]]
            si += 1
        for j in range(P):
            y[base + j] = x[j]
        tnext[v] = -np.inf
        rng[v, 0], rng[v, 1], rng[v, 2], rng[v, 3] = q0, q1, q2, q3
        total += nev
    return total
