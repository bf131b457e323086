"""The chemical ticks of Ksolves joined by Dsolves, run in one compiled call.

:func:`moosepy.kinetics.dsolve.advance_split` advances a group of
deterministic chemical solvers (Ksolves whose Dsolves share junctions, or
one Ksolve with its Dsolve) tick by tick, in MOOSE's order: every Dsolve
diffuses over the tick, then each solver takes its chemical step and
exchanges across the junctions its Dsolve holds.  Driven from Python that
is eight or so kernel calls a tick, each paying numba's dispatch and the
checks around it; :func:`run_ticks` makes the same calls, in the same
order, on the same numbers, from compiled code, so the answers are the
same bit for bit.

The solvers' states (and the GSL drivers' step sizes and last
derivatives, the generic kernel's step size) are copied into one flat
buffer per quantity for the call and back after it; the models, the
diffusion factors and the junctions' pairs are concatenated with offsets
(``*o`` arrays: member i's part is ``X[o[i]:o[i + 1]]``).

Checks: after each diffusion step and each chemical step the kernel looks
at the values it wrote (finite, >= 0 unless the Stoich allows negative
values); when one fails, or an integrator reports an error, it stops and
returns where, so that the Python check raises its error (naming the pool,
voxel and interval) or clips round-off below zero, and the call resumes at
the next stage.

Member kinds (``kind``): 0 no reaction (the time only); 1 MOOSE's GSL
drivers side by side (:func:`moosepy.kinetics.gslrk._together`: several
voxels, no Functions); 6 and 7 the generic embedded Runge-Kutta kernel
without Functions (:mod:`moosepy.kinetics.kernels`, plain and fused rates),
with the tableau passed.  The two families are two kernels (run_ticks,
run_ticks_rk) over one loop (:func:`_loop`, given the chemical step), so
that a model compiles only the integrator it uses.  Models with Functions
and one-voxel GSL drivers stay on the Python loop: each integrator variant
compiled into a kernel costs its first compile 10-20 s.

Units: molecules, seconds.
"""

import math

import numpy as np

from ..jit import njit
from .gslrk import _together_in, together_scratch_sizes
from .kernels import _rk_integrate_nf, _rk_integrate_nf_fz
from .dkernels import tree_steps, junction_exchange_rates

#: stop codes (info[0] after a call of run_ticks or run_ticks_rk)
DONE, DIFFUSION_CHECK, SOLVER_ERROR, STATE_CHECK = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def _chem_gsl(kd, y, t0, t, ends, hc, dy, yl, h, A, B, E, C, order, rtol, atol, st, ri, so, I,
              F, sf, si, sb):
    # a member's chemical step from t0 to t: the GSL drivers side by side
    ends[0] = t
    return _together_in(y, t0, ends, hc, dy, rtol, atol, st, ri, so, I, F, 50_000_000, yl, sf,
                        si, sb)


@njit(cache=True, nogil=True)
def _chem_rk(kd, y, t0, t, ends, hc, dy, yl, h, A, B, E, C, order, rtol, atol, st, ri, so, I,
             F, sf, si, sb):
    # the generic kernel from t0 to t (returns the next step size, or < 0)
    if kd == 6:
        return _rk_integrate_nf(y, t0, t, h, A, B, E, C, order, rtol, atol, st, ri, so, I, F,
                                50_000_000)
    return _rk_integrate_nf_fz(y, t0, t, h, A, B, E, C, order, rtol, atol, st, ri, so, I, F,
                               50_000_000)


@njit(cache=True, nogil=True, inline='always')
def scratch(kind, II, io):
    """Room for the GSL drivers of the members of kind 1 (float, int and
    bool arrays, then each one's offsets: member i's part is
    ``Sf[sfo[i]:sfo[i + 1]]``), made once per call of the loop rather
    than at every tick."""
    M = kind.shape[0]
    sfo = np.zeros(M + 1, dtype=np.int64)
    sio = np.zeros(M + 1, dtype=np.int64)
    sbo = np.zeros(M + 1, dtype=np.int64)
    for i in range(M):
        nf, ni, nb = 0, 0, 0
        if kind[i] == 1:
            nf, ni, nb = together_scratch_sizes(II[io[i]:io[i + 1]])
        sfo[i + 1] = sfo[i] + nf
        sio[i + 1] = sio[i] + ni
        sbo[i + 1] = sbo[i] + nb
    return (np.empty(sfo[M]), np.empty(sio[M], dtype=np.int64),
            np.empty(sbo[M], dtype=np.bool_), sfo, sio, sbo)


@njit(cache=True, nogil=True)
def run_ticks(s, s_first, nt, kstride, dstride, base, k0, stage0, ST, CH, DF, JN, RC, info,
              k_end):
    """:func:`_loop` with MOOSE's GSL drivers (member kinds 0 and 1)."""
    _loop(_chem_gsl, s, s_first, nt, kstride, dstride, base, k0, stage0, ST, CH, DF, JN, RC,
          info, k_end, scratch(ST[4], CH[4], CH[5]))


@njit(cache=True, nogil=True)
def run_ticks_rk(s, s_first, nt, kstride, dstride, base, k0, stage0, ST, CH, DF, JN, RC, info,
                 k_end):
    """:func:`_loop` with the generic Runge-Kutta kernel (member kinds 0, 6
    and 7)."""
    _loop(_chem_rk, s, s_first, nt, kstride, dstride, base, k0, stage0, ST, CH, DF, JN, RC,
          info, k_end, scratch(ST[4], CH[4], CH[5]))


@njit(cache=True, nogil=True, inline='always')
def _loop(chem, s, s_first, nt, kstride, dstride, base, k0, stage0, ST, CH, DF, JN, RC, info,
          k_end, SC):
    """Run chemical ticks k0 .. k_end-1 (of nt) of a joined group of M solvers (tick
    k ends at base step s_first + k * kstride; the first begins at base
    step *s*), from stage *stage0* of tick k0.  Stages of a tick: 0..M-1
    member i's diffusion steps (its Dsolve's ticks within the chemical
    tick, ``dstride`` base steps each; dn[i] = 0: none), then per member
    2i + M its chemical step to the tick's end and 2i + M + 1 its table
    rows (``rec``: rows rlo..rhi of its block of *rout*, columns the flat
    state indices rflat) and the exchanges of the junctions it holds (in
    order; each over *dt_x* s).  On the last tick of the call (k_end - 1)
    each member's state after its chemical step is copied to *last* (the
    pools' reading).  (k_end < nt: the Adaptor-paced run,
    :mod:`moosepy.core.paced`, takes the ticks one at a time.)

    The arrays come in five tuples, unpacked below: the states (ST), the
    chemistry (CH), the diffusion (DF), the junctions (JN) and the tables
    (RC).  (A call of more than 30 arguments is one Python makes by packing
    them, and numba cannot inline such a call.)

    *SC*: the GSL drivers' room (:func:`scratch`).

    Returns nothing; info[0] = stop code (DONE or the check that stopped),
    info[1] = tick, info[2] = stage, info[3] = the integrator's status,
    info[4], info[5] = the diffusion step's smallest count and sum."""
    Y, yo, nvox, npools, kind, allow_neg, tdone, tol, H = ST
    HC, hco, DY, YL, II, io, FF, fo, A, B, E, C, order = CH
    dn, dcn, dchain, dcols, dco, dord, dpp, dao, dinv, df, dup, dbd, dbup, dbdown, dfo = DF
    jhold, jother, jca, jcb, jco, jva, jvb, jpa, jpb, jpo, jkk, jko, jra, jrb, dt_x = JN
    rec, rlo, rhi, rflat, rfo, rout, roo, last = RC
    Xf, Xi, Xb, xfo, xio, xbo = SC
    M = yo.shape[0] - 1
    ends = np.empty(1)
    st = np.empty(0)
    ri = np.empty(0, dtype=np.int64)
    so = np.empty((0, 0))
    nstages = 3 * M
    info[0] = 0.0
    for k in range(k0, k_end):
        s_next = s_first + k * kstride
        s_prev = s if k == 0 else s_next - kstride
        t = s_next * base
        g = stage0 if k == k0 else 0
        while g < nstages:
            if g < M:
                i = g
                if dn[i] > 0 and dstride > 0:
                    nst = s_next // dstride - s_prev // dstride
                    if nst > 0:
                        n = dn[i]
                        S = Y[yo[i]:yo[i + 1]].reshape((nvox[i], npools[i]))
                        a0, a1 = dao[i], dao[i + 1]
                        f0, f1 = dfo[i], dfo[i + 1]
                        lowest, total = tree_steps(
                            S, dcols[dco[i]:dco[i + 1]], nst, n, dord[a0:a1], dpp[a0:a1],
                            dinv[f0:f1], df[f0:f1],
                            dup[f0:f1], dbd[f0:f1], dbup[f0:f1], dbdown[f0:f1], dcn[i] != 0,
                            dchain[i] != 0)
                        if not (math.isfinite(total) and (lowest >= 0.0 or allow_neg[i])):
                            info[0] = 1.0
                            info[1] = k
                            info[2] = g
                            info[4] = lowest
                            info[5] = total
                            return
            elif (g - M) % 2 == 0:
                i = (g - M) // 2
                kd = kind[i]
                if kd > 0:
                    y = Y[yo[i]:yo[i + 1]]
                    I = II[io[i]:io[i + 1]]
                    F = FF[fo[i]:fo[i + 1]]
                    stt = chem(kd, y, tdone[i], t, ends, HC[hco[i]:hco[i + 1]],
                               DY[yo[i]:yo[i + 1]], YL[yo[i]:yo[i + 1]], H[i], A, B, E, C,
                               order, tol[i, 0], tol[i, 1], st, ri, so, I, F,
                               Xf[xfo[i]:xfo[i + 1]], Xi[xio[i]:xio[i + 1]],
                               Xb[xbo[i]:xbo[i + 1]])
                    bad = stt < 0.0
                    if kd >= 6 and not bad:
                        H[i] = stt
                    if bad:
                        info[0] = 2.0
                        info[1] = k
                        info[2] = g
                        info[3] = stt
                        return
                    ok = True
                    for q in range(y.shape[0]):
                        v = y[q]
                        if not (math.isfinite(v) and (v >= 0.0 or allow_neg[i])):
                            ok = False
                            break
                    if not ok:
                        info[0] = 3.0
                        info[1] = k
                        info[2] = g
                        return
                tdone[i] = t
            else:
                i = (g - M - 1) // 2
                if rec:
                    lo = rlo[i * nt + k]
                    hi = rhi[i * nt + k]
                    if hi > lo:
                        c0, c1 = rfo[i], rfo[i + 1]
                        nc = c1 - c0
                        for r in range(lo, hi):
                            for c in range(nc):
                                rout[roo[i] + r * nc + c] = Y[rflat[c0 + c]]
                if k == k_end - 1:
                    for q in range(yo[i], yo[i + 1]):
                        last[q] = Y[q]
                for j in range(jhold.shape[0]):
                    if jhold[j] != i:
                        continue
                    a = i
                    b = jother[j]
                    Sa = Y[yo[a]:yo[a + 1]].reshape((nvox[a], npools[a]))
                    Sb = Y[yo[b]:yo[b + 1]].reshape((nvox[b], npools[b]))
                    k0_, k1_ = jko[j], jko[j + 1]
                    junction_exchange_rates(Sa, Sb, jca[jco[j]:jco[j + 1]],
                                            jcb[jco[j]:jco[j + 1]], jva[jpo[j]:jpo[j + 1]],
                                            jvb[jpo[j]:jpo[j + 1]], jkk[k0_:k1_], jra[k0_:k1_],
                                            jrb[k0_:k1_], dt_x)
            g += 1
