"""numba kernels of the Adaptor-paced run (:mod:`moosepy.core.paced`).

One call takes a model of an HSolve, Adaptors and a joined group of
chemical solvers through whole Adaptor intervals ("stops"), each as the
clock's hybrid loop (:func:`moosepy.core.clock._run_hybrid`) takes it:

0. the HSolve's steps up to and including the Adaptors' step
   (:func:`moosepy.electrical.hkernels.advance`, one call of the interval's
   steps, as :meth:`HSolveGroup.advance_to` makes it);
1. every Adaptor entry in the clock's order: the mean of its reads (a
   compartment's Vm, a CaConc's Ca, a pool's n or conc as MOOSE reads it:
   the copy its solver took after its last chemical step when the state
   holds the value left after that tick's exchanges) and what ``input``
   had delivered (the first stop), ``outputOffset + scale * (mean -
   inputOffset)`` written to pools' conc or n and channels' Gbar or
   modulation;
2. the chemical tick (:func:`moosepy.kinetics.dloop._loop`, one tick);
3. the tables on ticks after the chemistry's, at the interval's end, read
   as Table._process reads (the HSolve's tables on ticks before the
   Adaptors' are recorded inside its kernel, as the hybrid loop's chunks
   record them).

The same functions on the same numbers, in the same order: the answers
equal the hybrid loop's bit for bit.  A value the Python field would
refuse (a negative or infinite Gbar, conc or n), a non-finite Vm or a
chemical check stops the call where it happened (``res``: code, stop,
phase, entry, write) so that Python raises the field's or solver's error,
or makes the chemical check and resumes.

Units: those of the fields (V, mM, S, molecules, s).
"""

import math

import numpy as np

from ..jit import njit
from ..electrical.hkernels import advance
from ..kinetics.dloop import _loop, _chem_gsl, _chem_rk, scratch

#: stop codes (res[0])
DONE, HSOLVE_NONFINITE, ADAPTOR_CHECK, CHEM_CHECK, FUNCTION_CHECK = 0, 1, 2, 3, 4

#: read kinds: a node's V (storage index), a CaConc's Ca (pool index), a
#: chemical state entry as n or as conc (flat index into the states)
R_V, R_CA, R_N, R_CONC = 0, 1, 2, 3
#: write kinds: a pool's conc or n (flat index), a channel's Gbar or
#: modulation (channel index)
W_CONC, W_N, W_GBAR, W_MOD = 0, 1, 2, 3
#: a pool's nInit from conc or n (a Pool's under a solver: its column only,
#: w_last): the value checked as W_CONC / W_N, not written to the state
W_INIT_CONC, W_INIT_N = 4, 5


@njit(cache=True, nogil=True, inline='always')
def _read(kd, i, nav, mem, V, ca, Y, post, last, rcv):
    # a field as Python reads it: Vm, Ca, or a pool's n (MOOSE's reading:
    # the copy after the chemical step while the state holds what the tick
    # left) or conc (n / (NA volume))
    if kd == R_V:
        return V[i]
    if kd == R_CA:
        return ca[i]
    v = Y[i]
    if rcv[mem] != 0 and post[i] == v:
        v = last[i]
    if kd == R_CONC:
        v = v / nav
    return v


@njit(cache=True, nogil=True, inline='always')
def _paced(chem, j0, phase0, stage0, nstops, HP, HH, HSa, U, HSb, HW, AH, AD, TB, KP, ST, CH, DF,
           JN, RC, info, res):
    hn, t_first, t_origin, dt, cn, tg, tgm, nstep0, fn_js0, fn_bad = HP
    V, ca, gbar, modul = AH
    (a_sum, a_cnt, a_scale, a_io, a_oo, a_out, r_ptr, r_kind, r_idx, r_nav, r_mem,
     w_ptr, w_kind, w_idx, w_nav, w_last, post, rcv, joined) = AD
    rs_steps, rs_ptr, pr_kind, pr_idx, REC, sv_kind, sv_idx, sv_nav, sv_mem, STV = TB
    s, s_first, nt, kstride, dstride, base = KP
    Y = ST[0]
    last = RC[7]
    SC = scratch(ST[4], CH[4], CH[5])
    nad = a_scale.shape[0]
    M = rcv.shape[0]
    inf = math.inf
    for j in range(j0, nstops):
        ph = phase0 if j == j0 else 0
        if ph == 0:
            # 0. the HSolve over the interval, as one advance_to call
            if j == 0:
                t0 = t_first
            else:
                t0 = t_origin + (nstep0 + j * hn) * dt
            js = int(np.rint(t0 / dt))
            fn_js0[0] = js
            ts0 = js if tgm > 0 else 0
            # (the tables it feeds: their rows of this interval)
            lo = rs_ptr[j]
            hi = rs_ptr[j + 1]
            # (the RandSpikes' uniforms of the interval: rows of U)
            _k, _dr, _nlog, ok = advance(hn, t0, dt, cn, tg, tgm, ts0, *HH, rs_steps[lo:hi],
                                         pr_kind, pr_idx, REC[lo:hi], *HSa,
                                         U[j * hn:(j + 1) * hn], *HSb, *HW)
            if fn_bad[1] >= 0:
                res[0] = FUNCTION_CHECK
                res[1] = j
                return
            if not ok:
                res[0] = HSOLVE_NONFINITE
                res[1] = j
                return
            ph = 1
        if ph == 1:
            # 1. the Adaptors, entry by entry
            for a in range(nad):
                sm = a_sum[a]
                cnt = a_cnt[a]
                a_sum[a] = 0.0
                a_cnt[a] = 0
                for r in range(r_ptr[a], r_ptr[a + 1]):
                    sm += _read(r_kind[r], r_idx[r], r_nav[r], r_mem[r], V, ca, Y, post, last,
                                rcv)
                n = cnt + (r_ptr[a + 1] - r_ptr[a])
                if n != 0:
                    out = a_oo[a] + a_scale[a] * (sm / n - a_io[a])
                else:
                    out = a_oo[a]
                a_out[a] = out
                for w in range(w_ptr[a], w_ptr[a + 1]):
                    kd = w_kind[w]
                    i = w_idx[w]
                    # the checks of the field's setter (Gbar: finite, >= 0;
                    # conc and n: >= 0, not inf, the n from a conc too)
                    nv = out
                    if kd == W_GBAR:
                        ok = out >= 0.0 and math.isfinite(out)
                    elif kd == W_MOD:
                        ok = True
                    else:
                        ok = out >= 0.0 and out != inf
                        if ok and (kd == W_CONC or kd == W_INIT_CONC):
                            nv = out * w_nav[w]
                            ok = nv >= 0.0 and nv != inf
                    if not ok:
                        res[0] = ADAPTOR_CHECK
                        res[1] = j
                        res[2] = a
                        res[3] = w
                        return
                    if kd == W_GBAR:
                        gbar[i] = out
                    elif kd == W_MOD:
                        modul[i] = out
                    else:
                        w_last[w] = nv
                        if i >= 0:
                            Y[i] = nv
            ph = 2
        # 2. the chemical tick (tick j of the loop's nt)
        g0 = stage0 if (j == j0 and phase0 == 2) else 0
        _loop(chem, s, s_first, nt, kstride, dstride, base, j, g0, ST, CH, DF, JN, RC, info,
              j + 1, SC)
        if info[0] != 0.0:
            res[0] = CHEM_CHECK
            res[1] = j
            return
        # the pools' reading for the next stop's Adaptors: the copy after
        # the chemical step (last) while the state holds what the tick left
        for q in range(Y.shape[0]):
            post[q] = Y[q]
        for m in range(M):
            rcv[m] = joined
        # 3. the tables on ticks after the chemistry's, read as they read
        for c in range(sv_kind.shape[0]):
            STV[j, c] = _read(sv_kind[c], sv_idx[c], sv_nav[c], sv_mem[c], V, ca, Y, post, last,
                              rcv)
    res[0] = DONE
    res[1] = nstops


@njit(cache=True, nogil=True)
def run_paced(j0, phase0, stage0, nstops, HP, HH, HSa, U, HSb, HW, AH, AD, TB, KP, ST, CH, DF,
              JN, RC, info, res):
    """:func:`_paced` with MOOSE's GSL drivers for the chemistry."""
    _paced(_chem_gsl, j0, phase0, stage0, nstops, HP, HH, HSa, U, HSb, HW, AH, AD, TB, KP, ST,
           CH, DF, JN, RC, info, res)


@njit(cache=True, nogil=True)
def run_paced_rk(j0, phase0, stage0, nstops, HP, HH, HSa, U, HSb, HW, AH, AD, TB, KP, ST, CH,
                 DF, JN, RC, info, res):
    """:func:`_paced` with the generic Runge-Kutta kernel for the chemistry."""
    _paced(_chem_rk, j0, phase0, stage0, nstops, HP, HH, HSa, U, HSb, HW, AH, AD, TB, KP, ST,
           CH, DF, JN, RC, info, res)
