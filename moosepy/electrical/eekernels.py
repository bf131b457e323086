"""numba kernel of the compiled exponential-Euler path
(:mod:`moosepy.electrical.eesolve`): compartments and HHChannels that no
HSolve takes, stepped as their own ``_process`` steps them
(:meth:`CompartmentBase._process`, :meth:`HHChannel._process`), many
steps per call.

One firing of the compartments' tick, for every compartment entry i
(neighbours read from the buffer of the previous firing, so the order of
the entries does not matter)::

    A = chA + inject + inj + Em/Rm + sum_links Vn g      B = chB + 1/Rm + sum_links g
    Vm <- A/B + (Vm - A/B) exp(-B dt / Cm)               Im = Cm (Vm - Vm_old) / dt

then chA, chB, inj are cleared.  One firing of the channels' tick, for
every channel entry in schedule order: Vm of its compartment, each gate
``s <- s e^{-B dt} + A/B (1 - e^{-B dt})`` (``s + (A - B s) dt`` when
B <= 1e-15; A/B for an ``instant`` gate) with A, B from the gate's tables
at Vm (or the concentration for a Ca-dependent Z gate), then
``Gk = Gbar modulation prod s^p``, ``Ik = Gk (Ek - Vm)`` and Gk, Gk Ek added
to the compartment's chA, chB for its next firing.  The arithmetic is the
Python path's, operation for operation, except the gate powers 1-4, taken
as products as MOOSE does (x, x x, x x x, (x x)(x x)).

Units: V, S, A, F, ohm, s, mM.
"""

import math

from ..jit import njit


@njit(cache=True, error_model='numpy')
def advance(nf, parity, comps_first, dtc, dth,
            Vm, Cm, Rm, Em, injc, Im, chA, chB, inj, vs0, vs1, lp, ln, lg,
            Gbar, Ek, Gk, Ik, modul, hVm, conc, X, Y, Z, cp, cc,
            gp, gw, gtab, gn, glo, ghi, gscale, ginterp, gpow, ginst, gconc, tabA, tabB,
            rec_at, kind, idx, rec):
    """*nf* firings.  Returns (firings done, first compartment entry whose
    Vm is not finite or -1, rows of *rec* filled): *rec* row r gets the
    probes (kind, idx) after rec_at[r] firings (kind 0 Vm, 1 Im, 2 Gk,
    3 Ik, 4-6 X, Y, Z)."""
    nc = Vm.shape[0]
    nh = Gbar.shape[0]
    nr = rec_at.shape[0]
    r = 0
    while r < nr and rec_at[r] == 0:
        _record(r, Vm, Im, Gk, Ik, X, Y, Z, kind, idx, rec)
        r += 1
    for f in range(nf):
        for half in range(2):
            if (half == 0) == (comps_first != 0):
                even = parity[f] == 0
                for i in range(nc):
                    A = chA[i] + injc[i] + inj[i] + Em[i] / Rm[i]
                    B = chB[i] + 1.0 / Rm[i]
                    for k in range(lp[i], lp[i + 1]):
                        j = ln[k]
                        vn = vs1[j] if even else vs0[j]
                        A += vn * lg[k]
                        B += lg[k]
                    x = math.exp(-B * dtc / Cm[i])
                    vinf = A / B
                    vold = Vm[i]
                    v = vinf + (vold - vinf) * x
                    Vm[i] = v
                    Im[i] = Cm[i] * (v - vold) / dtc
                    if even:
                        vs0[i] = v
                    else:
                        vs1[i] = v
                    chA[i] = 0.0
                    chB[i] = 0.0
                    inj[i] = 0.0
                for i in range(nc):
                    if not math.isfinite(Vm[i]):
                        return f, i, r
            else:
                for h in range(nh):
                    c0 = cp[h]
                    c1 = cp[h + 1]
                    if c1 > c0:
                        hVm[h] = Vm[cc[c1 - 1]]
                    v = hVm[h]
                    for k in range(gp[h], gp[h + 1]):
                        w = gw[k]
                        s = X[h] if w == 0 else (Y[h] if w == 1 else Z[h])
                        xin = conc[h] if gconc[k] else v
                        lo = glo[k]
                        hi = ghi[k]
                        if xin < lo:
                            xin = lo
                        elif xin > hi:
                            xin = hi
                        u = (xin - lo) * gscale[k]
                        n = gn[k]
                        o = gtab[k]
                        if ginterp[k]:
                            ii = int(u)
                            if ii > n - 1:
                                ii = n - 1
                            elif ii < 0:            # (only a NaN input)
                                ii = 0
                            fr = u - ii
                            a = tabA[o + ii] + fr * (tabA[o + ii + 1] - tabA[o + ii])
                            b = tabB[o + ii] + fr * (tabB[o + ii + 1] - tabB[o + ii])
                        else:
                            ii = int(u)
                            if ii > n:
                                ii = n
                            elif ii < 0:
                                ii = 0
                            a = tabA[o + ii]
                            b = tabB[o + ii]
                        ss = a / b
                        if ginst[k]:
                            s = ss
                        elif b > 1e-15:
                            e = math.exp(-b * dth)
                            s = s * e + ss * (1.0 - e)
                        else:
                            s = s + (a - b * s) * dth
                        if w == 0:
                            X[h] = s
                        elif w == 1:
                            Y[h] = s
                        else:
                            Z[h] = s
                    g = Gbar[h] * modul[h]
                    for k in range(gp[h], gp[h + 1]):
                        w = gw[k]
                        p = gpow[k]
                        if p > 0.0:
                            s = X[h] if w == 0 else (Y[h] if w == 1 else Z[h])
                            if p == 1.0:
                                g = g * s
                            elif p == 2.0:
                                g = g * (s * s)
                            elif p == 3.0:
                                g = g * (s * s * s)
                            elif p == 4.0:
                                g = g * ((s * s) * (s * s))
                            else:
                                g = g * s ** p
                    Gk[h] = g
                    ek = Ek[h]
                    for q in range(c0, c1):
                        c = cc[q]
                        chA[c] += g * ek
                        chB[c] += g
                    Ik[h] = g * (ek - v)
        while r < nr and rec_at[r] == f + 1:
            _record(r, Vm, Im, Gk, Ik, X, Y, Z, kind, idx, rec)
            r += 1
    return nf, -1, r


@njit(cache=True, inline='always')
def _record(r, Vm, Im, Gk, Ik, X, Y, Z, kind, idx, rec):
    for c in range(kind.shape[0]):
        k = kind[c]
        i = idx[c]
        if k == 0:
            rec[r, c] = Vm[i]
        elif k == 1:
            rec[r, c] = Im[i]
        elif k == 2:
            rec[r, c] = Gk[i]
        elif k == 3:
            rec[r, c] = Ik[i]
        elif k == 4:
            rec[r, c] = X[i]
        elif k == 5:
            rec[r, c] = Y[i]
        else:
            rec[r, c] = Z[i]
