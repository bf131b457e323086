"""numba kernel of the DifShell family (:mod:`.difshell`): one step of
every DifShell, DifBuffer and MMPump of one tick, in MOOSE's order.

Each shell k: ``C <- C e^{-B dt} + (A/B)(1 - e^{-B dt})`` (``C + A dt``
when B <= eps), then A <- leak, B <- 0, and its new C goes to its buffers'
activation and, as ``A += g C, B += g``, to the accumulators of the shells
or buffers it reaches by fluxFromIn/fluxFromOut (compressed rows: targets
``ptr[k]..ptr[k+1]``, kind 0 shell / 1 buffer, index, coefficient g
[1/s]).  Then each buffer k: the same step of bFree with
``A + kb bBound`` and ``B + kf activation``, bBound = bTot - bFree, its
accumulators cleared, its bFree sent to its neighbours the same way and
``(kb bBound, kf bFree)`` added to its shells' (A, B).  Then each MMPump
adds ``Vmax / (volume (C + Kd))`` to its shell's B.  Concentrations in
mM, rates in 1/s, dt in s.  First order in dt (exponential Euler with
the neighbours' values of the sweep: a Gauss-Seidel order).
"""

import math

from ..jit import njit


@njit(cache=True, nogil=True)
def dif_step(dt, eps, C, SA, SB, leak, free, bound, act, BA, BB, bTot, kf, kb,
             sa_ptr, sa_idx, sf_ptr, sf_kind, sf_idx, sf_g,
             bf_ptr, bf_kind, bf_idx, bf_g, br_ptr, br_idx,
             p_idx, p_vmax, p_kd, vol):
    for k in range(C.shape[0]):
        b = SB[k]
        if b > eps:
            e = math.exp(-b * dt)
            C[k] = C[k] * e + (SA[k] / b) * (1.0 - e)
        else:
            C[k] = C[k] + SA[k] * dt
        SA[k] = leak[k]
        SB[k] = 0.0
        c = C[k]
        for q in range(sa_ptr[k], sa_ptr[k + 1]):
            act[sa_idx[q]] = c
        for q in range(sf_ptr[k], sf_ptr[k + 1]):
            j = sf_idx[q]
            g = sf_g[q]
            if sf_kind[q] == 0:
                SA[j] += g * c
                SB[j] += g
            else:
                BA[j] += g * c
                BB[j] += g
    for k in range(free.shape[0]):
        a = BA[k] + kb[k] * bound[k]
        b = BB[k] + kf[k] * act[k]
        if b > eps:
            e = math.exp(-b * dt)
            free[k] = free[k] * e + (a / b) * (1.0 - e)
        else:
            free[k] = free[k] + a * dt
        bound[k] = bTot[k] - free[k]
        BA[k] = 0.0
        BB[k] = 0.0
        fr = free[k]
        for q in range(bf_ptr[k], bf_ptr[k + 1]):
            j = bf_idx[q]
            g = bf_g[q]
            if bf_kind[q] == 0:
                SA[j] += g * fr
                SB[j] += g
            else:
                BA[j] += g * fr
                BB[j] += g
        ra = kb[k] * bound[k]
        rb = kf[k] * fr
        for q in range(br_ptr[k], br_ptr[k + 1]):
            j = br_idx[q]
            SA[j] += ra
            SB[j] += rb
    for q in range(p_idx.shape[0]):
        k = p_idx[q]
        SB[k] += p_vmax[q] / vol[k] / (C[k] + p_kd[q])
