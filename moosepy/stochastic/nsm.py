"""Exact spatial SSA: the next-subvolume method (Elf & Ehrenberg 2004).

``Gsolve.method = 'nsm'`` with a Dsolve: reactions in every voxel and the
hops of single molecules between voxels are events of one Markov chain,
simulated exactly (no operator splitting, no Dsolve time step).  Each voxel
v has the total rate ``T_v = sum_r a_r(v) + sum_j n_j(v) k_j(v)`` (its
reaction propensities plus, for every moving pool j, its count times the
pool's total hop rate out of v, from the Dsolve's transport matrix: D g / V
per neighbour, and motor rates); the voxels' next event times sit in an
indexed binary heap; the earliest fires (a reaction chosen by propensity, or
one molecule hopping to a neighbour chosen by rate), the voxels it changed
get new rates and fresh exponential waits (exact, by memorylessness).

Cost: O(log voxels + reactions) per event.  What it takes: the mass-action,
MM and higher-order propensities of the Gsolve's compiled model, buffered
pools; not Functions or events (a SolverError says so: use 'ssa').  The
split mode ('ssa' with a Dsolve) hops molecules in binomial batches every
Dsolve tick instead; see tests/stochastic/test_nsm.py for how the two
compare on a birth-death process with diffusion.
"""

import numpy as np

from ..jit import njit
from .kernels import _refresh, _fold_held, _fire, _next, _u01, _exp1, BLOCK, MAX_EVENTS_LEFT


@njit(cache=True)
def _sift(heap, pos, key, i):
    """Restore the heap property around heap slot i (up or down)."""
    n = heap.shape[0]
    while i > 0:
        p = (i - 1) // 2
        if key[heap[i]] < key[heap[p]]:
            a, b = heap[i], heap[p]
            heap[i], heap[p] = b, a
            pos[b], pos[a] = i, p
            i = p
        else:
            break
    while True:
        l = 2 * i + 1
        if l >= n:
            break
        c = l
        if l + 1 < n and key[heap[l + 1]] < key[heap[l]]:
            c = l + 1
        if key[heap[c]] < key[heap[i]]:
            a, b = heap[i], heap[c]
            heap[i], heap[c] = b, a
            pos[b], pos[a] = i, c
            i = c
        else:
            break


@njit(cache=True)
def _rates(v, y, P, x, a, bsum, krows, kk, kmrow, ptype, s0, s1, rs_ptr, rs_idx, rs_mult,
           mm_enz, hf_ptr, hf_idx, hf_mult, frate, cols, kout, A, Dh):
    """Recompute the reaction propensities a[v] and the hop total of voxel v."""
    base = v * P
    for j in range(P):
        x[j] = y[base + j]
    x[P] = 1.0
    krow = krows[v]
    for r in range(krow.shape[0]):
        krow[r] = kk[v, r]
    _fold_held(krow, x, hf_ptr, hf_idx, hf_mult)
    A[v] = _refresh(x, a[v], bsum, krow, kmrow, frate, ptype, s0, s1, rs_ptr, rs_idx,
                    rs_mult, mm_enz)
    d = 0.0
    for q in range(cols.shape[0]):
        d += y[base + cols[q]] * kout[q, v]
    Dh[v] = d


@njit(cache=True)
def nsm_run(y, P, kk, km, ptype, s0, s1, rs_ptr, rs_idx, rs_mult, mm_enz, hf_ptr, hf_idx,
            hf_mult, chg_ptr, chg_idx, chg_val, cols, Op, Oi, Ox, Oo, rng, fires, t0, t1,
            times, flats, out):
    """Advance y (voxels x P counts, flat) from t0 to t1 by the
    next-subvolume method; out[k] = y[flats] just before the first event
    after times[k].  Returns (reaction events, hops)."""
    nvox = kk.shape[0]
    R = kk.shape[1]
    nq = cols.shape[0]
    a = np.zeros((nvox, R))
    bsum = np.zeros((R + BLOCK - 1) // BLOCK + 1)
    krows = np.empty((nvox, R))
    frate = np.zeros(R)
    x = np.empty(P + 1)
    A = np.zeros(nvox)
    Dh = np.zeros(nvox)
    # total hop rate of each moving pool out of each voxel
    kout = np.zeros((nq, nvox))
    for q in range(nq):
        rp = q * (nvox + 1)
        for v in range(nvox):
            s = 0.0
            for k in range(Op[rp + v], Op[rp + v + 1]):
                s += Ox[Oo[q] + k]
            kout[q, v] = s
    q0, q1, q2, q3 = rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3]
    tau = np.empty(nvox)
    for v in range(nvox):
        _rates(v, y, P, x, a, bsum, krows, kk, km[v], ptype, s0, s1, rs_ptr, rs_idx,
               rs_mult, mm_enz, hf_ptr, hf_idx, hf_mult, frate, cols, kout, A, Dh)
        T = A[v] + Dh[v]
        if T > 0.0:
            e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
            tau[v] = t0 + e / T
        else:
            tau[v] = np.inf
    heap = np.arange(nvox)
    pos = np.arange(nvox)
    for i in range(nvox // 2, -1, -1):
        if i < nvox:
            _sift(heap, pos, tau, i)
    si = 0
    ns = times.shape[0]
    nreac = 0
    nhop = 0
    nit = 0
    tcheck = t0
    while True:
        v = heap[0]
        t = tau[v]
        nit += 1
        if (nit & 0xFFFFF) == 0:
            # every 2^20 events: more than MAX_EVENTS_LEFT left at this pace
            # (propensities of 1e300), or time not advancing: stop
            if t <= t1 and (not (t > tcheck) or
                            (t1 - t) / (t - tcheck) * 1048576.0 > MAX_EVENTS_LEFT):
                rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3] = q0, q1, q2, q3
                return -1, -1
            tcheck = t
        while si < ns and times[si] < t:
            for k in range(flats.shape[0]):
                out[si, k] = y[flats[k]]
            si += 1
        if t > t1:
            break
        res, q0, q1, q2, q3 = _next(q0, q1, q2, q3)
        u = _u01(res) * (A[v] + Dh[v])
        base = v * P
        other = -1
        if u < A[v]:
            r = -1
            acc = 0.0
            for k in range(R):
                acc += a[v, k]
                if acc > u:
                    r = k
                    break
            if r < 0:
                for k in range(R - 1, -1, -1):
                    if a[v, k] > 0.0:
                        r = k
                        break
            if r >= 0:
                _fire(r, y, base, chg_ptr, chg_idx, chg_val, ptype, frate)
                fires[v, r] += 1
                nreac += 1
        else:
            u -= A[v]
            acc = 0.0
            qs = -1
            for q in range(nq):
                acc += y[base + cols[q]] * kout[q, v]
                if acc > u:
                    qs = q
                    u -= acc - y[base + cols[q]] * kout[q, v]
                    break
            if qs >= 0:
                # the destination, by rate (u now lies in n * rates of qs)
                n = y[base + cols[qs]]
                w = u / n if n > 0.0 else 0.0
                rp = qs * (nvox + 1)
                acc = 0.0
                dest = -1
                for k in range(Op[rp + v], Op[rp + v + 1]):
                    acc += Ox[Oo[qs] + k]
                    dest = Oi[Oo[qs] + k]
                    if acc > w:
                        break
                if dest >= 0 and n >= 1.0:
                    y[base + cols[qs]] -= 1.0
                    y[dest * P + cols[qs]] += 1.0
                    other = dest
                    nhop += 1
        _rates(v, y, P, x, a, bsum, krows, kk, km[v], ptype, s0, s1, rs_ptr, rs_idx,
               rs_mult, mm_enz, hf_ptr, hf_idx, hf_mult, frate, cols, kout, A, Dh)
        T = A[v] + Dh[v]
        if T > 0.0:
            e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
            tau[v] = t + e / T
        else:
            tau[v] = np.inf
        _sift(heap, pos, tau, pos[v])
        if other >= 0:
            _rates(other, y, P, x, a, bsum, krows, kk, km[other], ptype, s0, s1, rs_ptr,
                   rs_idx, rs_mult, mm_enz, hf_ptr, hf_idx, hf_mult, frate, cols, kout, A,
                   Dh)
            T = A[other] + Dh[other]
            if T > 0.0:
                e, q0, q1, q2, q3 = _exp1(q0, q1, q2, q3)
                tau[other] = t + e / T
            else:
                tau[other] = np.inf
            _sift(heap, pos, tau, pos[other])
    while si < ns:
        for k in range(flats.shape[0]):
            out[si, k] = y[flats[k]]
        si += 1
    rng[0, 0], rng[0, 1], rng[0, 2], rng[0, 3] = q0, q1, q2, q3
    return nreac, nhop


def advance(el, comp, t_end, times, flats):
    """Gsolve.advance for method 'nsm' (see the module docstring)."""
    from ..core.errors import SolverError
    from ..kinetics.dsolve import dsolve_of, compile_plan
    ssa = comp.ssa
    if ssa.nfunc or comp.ev.n:
        raise SolverError(f"{el.path} (Gsolve): method 'nsm' takes reactions and "
                          f"diffusion only; this model has Functions or events: use 'ssa'")
    ds = dsolve_of(el)
    if ds is not None:
        plan = compile_plan(ds, comp, 1.0, True)
        if plan.arrays is not None and len(plan.cols):
            Op, Oi, Ox, Oo = plan.arrays
            cols = plan.cols
        else:
            cols = np.zeros(0, np.int64)
            Op = np.zeros(1, np.int64)
            Oi = Op
            Ox = np.zeros(1)
            Oo = np.zeros(1, np.int64)
    else:
        cols = np.zeros(0, np.int64)
        Op, Oi, Ox, Oo = (np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1),
                          np.zeros(1, np.int64))
    t0 = comp.t
    if t_end < t0:
        t_end = t0
    flats = np.asarray(flats, dtype=np.int64)
    times = np.ascontiguousarray(times, dtype=np.float64)
    out = np.zeros((len(times), len(flats)))
    y = comp.state.reshape(-1)
    P = comp.npools
    nreac, nhop = nsm_run(y, P, ssa.kk, ssa.km, ssa.ptype, ssa.s0, ssa.s1, ssa.rs_ptr,
                          ssa.rs_idx, ssa.rs_mult, ssa.mm_enz, ssa.hf_ptr, ssa.hf_idx,
                          ssa.hf_mult, ssa.chg_ptr, ssa.chg_idx, ssa.chg_val, cols, Op, Oi,
                          Ox, Oo, comp.rng, comp.fires, t0, t_end, times, flats, out)
    if nreac < 0:
        from .kernels import MAX_EVENTS_LEFT
        raise SolverError(f'Gsolve {el.path} (nsm): cannot finish between t = {t0:g} and '
                          f'{t_end:g} s: at its pace more than {MAX_EVENTS_LEFT:.0e} events '
                          f'remain (propensities of the order 1e300, or time no longer '
                          f'advances); check the rate constants, use a deterministic solver, '
                          f'or split a long run into several start() calls')
    comp.hops = getattr(comp, 'hops', 0) + int(nhop)
    comp.t = t_end
    comp.snap = comp.state.copy()
    return out
