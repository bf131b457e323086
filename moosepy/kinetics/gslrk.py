"""MOOSE's default Ksolve integrator as pymoose 5.0.0 runs it (method
'rk5'/'gsl'): GSL's Runge-Kutta-Fehlberg 4(5) driver, one driver per voxel
(its own step size and error test), called once per tick of the solver.

What this reproduces (behaviour of GSL 2.x's odeiv2 driver, evolve and
standard control, as MOOSE sets them up; code written here):

* the driver keeps its step size h between ticks; at reinit h is dt/10 and
  the evolve counter is reset;
* each step starts from the derivative at the end of the previous step
  (first-same-as-last), computed afresh only for the first step after a
  reinit.  A value changed between ticks from outside the integration (a
  StimulusTable or Function setting a buffered pool, a script setting
  conc) therefore starts the next tick from a stale derivative: the error
  estimate rejects the step, h shrinks until the estimate passes with the
  same stale first stage, so the tick ends with an error of the order of
  epsRel * n.  pymoose's tables carry that error (about 4e-6 of n per
  change at epsRel 1e-7); so do these;
* the error test: max_i |err_i| / (epsRel |y_i| + epsAbs) over the new
  state; above 1.1 the step is redone with h * max(0.2, 0.9 r^(-1/5));
  below 0.5 the next h is h * min(5, max(1, 0.9 r^(-1/6))); a step cut to
  end on the tick does not change h;
* the last step of a tick is backed off (one ulp at a time) so that
  t + h does not pass the tick's end;
* after each tick, counts of variable pools below zero are set to 0.

Several voxels without Functions: the voxels' drivers are advanced side by
side (:func:`_ticks_together`, one variant), the same numbers as one driver
after the other (:func:`_ticks`, which one voxel and models with Functions
use).

State: molecules (#) per voxel, time in s, rates in #/s.
"""

import math

import numpy as np

from ..jit import njit
from .kernels import (unpack, work_buffer, _work_parts, _rhs_fused, _rhs_general,
                      _rhs_gather, _assign_m, gather_form, _slot_rates_general)

# Fehlberg's 4(5) pair: stage times, stage weights, 5th-order weights and
# the 5th-minus-4th-order error weights
_A2 = 1.0 / 4.0
_A3 = (3.0 / 32.0, 9.0 / 32.0)
_A4 = (1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0)
_A5 = (8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0)
_A6 = (-6080.0 / 20520.0, 41040.0 / 20520.0, -28352.0 / 20520.0, 9295.0 / 20520.0,
       -5643.0 / 20520.0)
_C = (1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0)
_B = (902880.0 / 7618050.0, 3953664.0 / 7618050.0, 3855735.0 / 7618050.0,
      -1371249.0 / 7618050.0, 277020.0 / 7618050.0)
_E = (1.0 / 360.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0)
_TINY = 2.2250738585072014e-308        # DBL_MIN: the error ratio's floor
# error ratios beyond which the step factor is clipped anyway (0.2 below
# 1845.3, 5 above 3.40e-5, with margins of 1e-4 and 3 %): no power to take
_RMAX_CUT = 1846.0
_RMIN_CUT = 3.3e-5


#: most steps one voxel's driver may take within one tick of the solver:
#: beyond it the step size has collapsed (rates far too large for an
#: explicit method, e.g. 1e23 /s) and the run raises instead of spinning
#: (~1 s of steps for a small model)
TICK_MAX_STEPS = 1_000_000

#: fewest voxels stepping whose fused rates are taken flux by flux across
#: voxels (:func:`_slot_rates`); fewer go voxel by voxel
SLOT_RATES_MIN = 4


@njit(cache=True, nogil=True, inline='always')
def _f(t, y, out, M, W, G, v, afuncs, rfuncs, fused):
    # as MOOSE's rate function: the Functions that assign pools write them
    # into the very state being evaluated, then the rates.  Fused: voxel
    # v's gather form G (y then holds 1.0 and 0.0 after its pools)
    # (the general rates called directly: kernels._rhs would compile the
    # scattered fused form into every variant beside them)
    if fused:
        _rhs_gather(y, out, G[0][v], G[1][v], G[2], G[3], G[4], G[5], G[6], G[7], G[8], G[9])
    else:
        if afuncs:
            _assign_m(t, y, M, W)
        _rhs_general(t, y, out, M, W, rfuncs, W[0], W[1], W[2], W[3], W[4], W[5])


@njit(cache=True, nogil=True, inline='always')
def _voxel(M, v, dims1):
    """The packed model restricted to voxel v (one voxel's rates, volume);
    dims1: M's dims with one voxel."""
    return (dims1, M[1][v:v + 1], M[2][v:v + 1]) + M[3:21] + (M[21][v:v + 1],) + M[22:]


@njit(cache=True, nogil=True, inline='always')
def _drive(y, t, t1, hc, dydt, M, W, G, v, y0, ytmp, k1, k2, k3, k4, k5, k6, kout, yerr,
           rtol, atol, cap, afuncs, rfuncs, fused):
    """One call of the driver: advance one voxel's y from t to t1; hc =
    [h, evolve count].  Returns (status, steps taken); status -1.0 when
    more than *cap* steps were taken (y then holds the last attempt).

    The rate function has one call site, in a loop over the stages: every
    call site of an inlined function is a copy of it, and seven copies made
    numba take minutes per variant to compile."""
    n = y.shape[0]
    a31, a32 = _A3
    a41, a42, a43 = _A4
    a51, a52, a53, a54 = _A5
    a61, a62, a63, a64, a65 = _A6
    c2, c3, c4, c5, c6 = _C
    b1, b3, b4, b5, b6 = _B
    e1, e3, e4, e5, e6 = _E
    h = hc[0]
    count = hc[1]
    steps = 0
    status = 0.0
    # (one exit only: early returns made numba count references of every
    # array view on every call, several times slower here)
    while t < t1 and status == 0.0:
        # one call of the evolve step: keep y, take the first stage (the
        # derivative at y is computed only after a reset: stage -1 below)
        for i in range(n):
            y0[i] = y[i]
            k1[i] = dydt[i]
        first = -1 if count == 0 else 0
        rem = t1 - t
        h0 = h
        while True:
            final = False
            if h0 >= rem:
                h0 = rem
                final = True
                while t + h0 > t1:
                    h0 = np.nextafter(h0, 0.0)
            for s in range(first, 6):
                if s == -1:
                    for i in range(n):
                        ytmp[i] = y0[i]
                    ts = t
                    k = k1
                elif s == 0:
                    for i in range(n):
                        ytmp[i] = y0[i] + c2 * h0 * k1[i]
                    ts = t + c2 * h0
                    k = k2
                elif s == 1:
                    for i in range(n):
                        ytmp[i] = y0[i] + h0 * (a31 * k1[i] + a32 * k2[i])
                    ts = t + c3 * h0
                    k = k3
                elif s == 2:
                    for i in range(n):
                        ytmp[i] = y0[i] + h0 * (a41 * k1[i] + a42 * k2[i] + a43 * k3[i])
                    ts = t + c4 * h0
                    k = k4
                elif s == 3:
                    for i in range(n):
                        ytmp[i] = y0[i] + h0 * (a51 * k1[i] + a52 * k2[i] + a53 * k3[i] +
                                                a54 * k4[i])
                    ts = t + c5 * h0
                    k = k5
                elif s == 4:
                    for i in range(n):
                        ytmp[i] = y0[i] + h0 * (a61 * k1[i] + a62 * k2[i] + a63 * k3[i] +
                                                a64 * k4[i] + a65 * k5[i])
                    ts = t + c6 * h0
                    k = k6
                else:
                    # the new state, and the derivative there (kept for the
                    # next step: first same as last)
                    for i in range(n):
                        ytmp[i] = y0[i] + h0 * (b1 * k1[i] + b3 * k3[i] + b4 * k4[i] +
                                                b5 * k5[i] + b6 * k6[i])
                    ts = t + h0
                    k = kout
                _f(ts, ytmp, k, M, W, G, v, afuncs, rfuncs, fused)
                if s == -1:
                    # Functions that assign pools wrote them into the state
                    for i in range(n):
                        y0[i] = ytmp[i]
                        y[i] = ytmp[i]
                        dydt[i] = k1[i]
            first = 0
            for i in range(n):
                y[i] = ytmp[i]
                dydt[i] = kout[i]
            for i in range(n):
                yerr[i] = h0 * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] +
                                e6 * k6[i])
            count += 1
            steps += 1
            if steps > cap:
                status = -1.0
                break
            tn = t1 if final else t + h0
            rmax = _TINY
            finite = True
            for i in range(n):
                if not math.isfinite(y[i]):
                    finite = False
                r = abs(yerr[i]) / abs(rtol * abs(y[i]) + atol)
                if r > rmax:
                    rmax = r
            if not finite:
                status = -2.0
                break
            if rmax > 1.1:
                r = 0.9 / rmax ** 0.2
                if r < 0.2:
                    r = 0.2
                hn = r * h0
                if abs(hn) < abs(h0) and tn + hn != tn:
                    for i in range(n):
                        y[i] = y0[i]
                    h0 = hn
                    continue
                status = -3.0
                break
            if rmax < 0.5:
                r = 0.9 / rmax ** (1.0 / 6.0)
                if r > 5.0:
                    r = 5.0
                if r < 1.0:
                    r = 1.0
                h0 = r * h0
            t = tn
            if not final:
                h = h0
            break
    hc[0] = h
    hc[1] = count
    return status, steps


@njit(cache=True, nogil=True, inline='always')
def _ticks(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
           afuncs, rfuncs, fused):
    M = unpack(I, F)
    nvox = M[0][0]
    npools = M[0][1]
    held = M[10]
    dims1 = M[0].copy()
    dims1[0] = 1
    M0 = _voxel(M, 0, dims1)
    W = _work_parts(M0, work_buffer(M0))
    G = gather_form(M, fused)
    y0 = np.empty(npools)
    # (a stage's state, then the 1.0 and 0.0 the gather form reads; the
    # derivatives with the spare slot it writes)
    ytmp = np.empty(npools + 2)
    ytmp[npools] = 1.0
    ytmp[npools + 1] = 0.0
    k1 = np.empty(npools + 1)
    k2 = np.empty(npools + 1)
    k3 = np.empty(npools + 1)
    k4 = np.empty(npools + 1)
    k5 = np.empty(npools + 1)
    k6 = np.empty(npools + 1)
    kout = np.empty(npools + 1)
    yerr = np.empty(npools)
    ns = sample_t.shape[0]
    si = 0
    t = t0
    while si < ns and sample_t[si] <= t + 1e-12 * max(1.0, abs(t)):
        for q in range(rec_idx.shape[0]):
            out[si, q] = y[rec_idx[q]]
        si += 1
    steps = 0
    status = 0.0
    for ti in range(ends.shape[0]):
        if status != 0.0:
            break
        t1 = ends[ti]
        # as MOOSE: each voxel has a driver of its own, called once per tick
        for v in range(nvox):
            a = v * npools
            b = a + npools
            # (one call site: each is a copy of the inlined driver)
            cap = max_steps - steps
            if cap > TICK_MAX_STEPS:
                cap = TICK_MAX_STEPS
            st, taken = _drive(y[a:b], t, t1, hc[v], dydt[a:b], _voxel(M, v, dims1), W, G, v,
                               y0, ytmp, k1, k2, k3, k4, k5, k6, kout, yerr, rtol, atol, cap,
                               afuncs, rfuncs, fused)
            steps += taken
            if st == -1.0 and cap == TICK_MAX_STEPS:
                st = -4.0           # the step size collapsed within one tick
            if st < 0.0:
                status = st
                break
            if steps > max_steps:
                status = -1.0
                break
            # MOOSE clears negative counts of its variable pools after each
            # tick (not of buffered or Function-assigned ones: a Function
            # that forces a pool below zero is reported after the interval)
            for i in range(a, b):
                if held[i - a] == 0 and (y[i] < 0.0 or (y[i] == 0.0 and
                                                        math.copysign(1.0, y[i]) < 0.0)):
                    y[i] = 0.0
        t = t1
        while si < ns and sample_t[si] <= t1 + 1e-12 * max(1.0, abs(t1)):
            for q in range(rec_idx.shape[0]):
                out[si, q] = y[rec_idx[q]]
            si += 1
    while si < ns and status == 0.0:
        for q in range(rec_idx.shape[0]):
            out[si, q] = y[rec_idx[q]]
        si += 1
    return status


@njit(cache=True, nogil=True, inline='always')
def _slot_rates(yt, k, nact, npools, kr, fa, fi, fc):
    """dn/dt of the fused form for the packed slots (slot j's pools at
    yt[j*npools:], its rate constants kr[j]): kernels._rhs_fused's
    products, sums and order, bit for bit, without its per-voxel copies.
    Its constant reactant slots (npools: 1.0, npools + 1: 0.0) become
    constants, its scatters into the never-read slot npools + 2 are left
    out.  Flux by flux over blocks of slots, so that neighbouring voxels'
    sums (each a chain through memory) run side by side.  *yt* has two
    entries beyond the last slot (read only under a branch)."""
    nflux = fa.shape[0]
    kb_at = 8 * nflux
    for i in range(nact * npools):
        k[i] = 0.0
    blk = max(1, 4096 // npools)
    for j0 in range(0, nact, blk):
        j1 = min(j0 + blk, nact)
        for g in range(nflux):
            r = 8 * g
            c = 4 * g
            ia = fa[g]
            ib = fi[kb_at + g]
            i0, i1, i2, i3 = fi[r], fi[r + 1], fi[r + 2], fi[r + 3]
            u0, u1, u2, u3 = i0 < npools, i1 < npools, i2 < npools, i3 < npools
            w0 = 1.0 if i0 == npools else 0.0
            w1 = 1.0 if i1 == npools else 0.0
            w2 = 1.0 if i2 == npools else 0.0
            w3 = 1.0 if i3 == npools else 0.0
            o0, o1, o2, o3 = fi[r + 4], fi[r + 5], fi[r + 6], fi[r + 7]
            f0, f1, f2, f3 = fc[c], fc[c + 1], fc[c + 2], fc[c + 3]
            for j in range(j0, j1):
                b = j * npools
                x0 = yt[b + i0] if u0 else w0
                x1 = yt[b + i1] if u1 else w1
                x2 = yt[b + i2] if u2 else w2
                x3 = yt[b + i3] if u3 else w3
                f = kr[j, ia] * x0 * x1 - kr[j, ib] * x2 * x3
                if o0 < npools:
                    k[b + o0] += f0 * f
                if o1 < npools:
                    k[b + o1] += f1 * f
                if o2 < npools:
                    k[b + o2] += f2 * f
                if o3 < npools:
                    k[b + o3] += f3 * f


# The parts of the side-by-side drivers that do not depend on the model's
# variant are functions of their own (not inlined): compiled once for every
# variant, called once per tick or round
@njit(cache=True, nogil=True, inline='always')
def _round_steps(tv, h0, final, active, hp, t1, npools, nact):
    """Each slot's step for the next round: h, cut to end on the tick
    (backed off one ulp at a time so that t + h does not pass it), into hp
    for each of its pools."""
    for j in range(nact):
        rem = t1 - tv[j]
        final[j] = False
        active[j] = True
        if h0[j] >= rem:
            h0[j] = rem
            final[j] = True
            while tv[j] + h0[j] > t1:
                h0[j] = np.nextafter(h0[j], 0.0)
        hv = h0[j]
        for i in range(j * npools, (j + 1) * npools):
            hp[i] = hv


@njit(cache=True, nogil=True, inline='always')
def _pack_slots(act, tv, h0, y0, k1, active, kk, km, voxvol, kkc, kmc, volc, npools, nact,
                packed):
    """Move the slots still stepping to the front, in voxel order (the
    order the one-after-another drivers have), with their rate constants
    (all of them when the slots were not packed before).  Returns their
    count."""
    nterms = kk.shape[1]
    w = 0
    for j in range(nact):
        if not active[j]:
            continue
        v = act[j]
        if w != j:
            act[w] = v
            tv[w] = tv[j]
            h0[w] = h0[j]
            for i in range(npools):
                y0[w * npools + i] = y0[j * npools + i]
                k1[w * npools + i] = k1[j * npools + i]
        if w != j or not packed:
            for c in range(nterms):
                kkc[w, c] = kk[v, c]
                kmc[w, c] = km[v, c]
            volc[w] = voxvol[v]
        w += 1
    return w


@njit(cache=True, nogil=True)
def _tick_slots(y, dydt, ylast, hc, t, t1, npools, act, tv, h0, y0, k1, final, active, hp,
                kk, km, voxvol, kkc, kmc, volc):
    """A tick's start: slot v = voxel v (its state, last derivative, h,
    time t), the voxels at rest taken out, the first round's steps set.

    A voxel is at rest when its state is bit for bit the one its last
    derivative was taken at (ylast) and that derivative is exactly zero,
    the state finite and without -0.0: every stage of its steps is then its
    state (y + h * 0 is y) and every error 0 (the ratio's floor, _TINY, is
    the maximum: the step is taken and h grows 5x), so its driver's count,
    h and time are advanced here as its steps would be; its state and
    derivative stay.  (The rates are pure functions of a voxel's state and
    rate constants: ksolve forgets ylast when those change.)  Not in a tick
    where a driver was reset (its first round takes the derivative at
    every state, slot v = voxel v).

    Returns (slots stepping, first, steps taken at rest, packed): first is
    -1 when a driver was reset (stage -1 in the first round), else 0."""
    nvox = act.shape[0]
    first = 0
    nq = 0
    n = nvox * npools
    y0n = y0[:n]
    k1n = k1[:n]
    for i in range(n):
        y0n[i] = y[i]
        k1n[i] = dydt[i]
    Y = y[:n].reshape((nvox, npools))
    DY = dydt[:n].reshape((nvox, npools))
    YL = ylast[:n].reshape((nvox, npools))
    for v in range(nvox):
        if hc[v, 1] == 0.0:
            first = -1
        act[v] = v
        tv[v] = t
        h0[v] = hc[v, 0]
        rest = True
        for p in range(npools):
            yv = Y[v, p]
            if (DY[v, p] != 0.0 or yv != YL[v, p] or not math.isfinite(yv) or
                    (yv == 0.0 and math.copysign(1.0, yv) < 0.0)):
                rest = False
        active[v] = not rest
        if rest:
            nq += 1
    if t >= t1:
        return 0, first, 0, False
    nact = nvox
    packed = False
    steps = 0
    if first == 0 and nq > 0:
        for v in range(nvox):
            if active[v]:
                continue
            tq = t
            hq = hc[v, 0]
            hlast = hq
            cnt = 0
            ok = False
            while cnt < 200:
                cnt += 1
                if hq >= t1 - tq:
                    ok = True
                    break
                tq = tq + hq
                hq = 5.0 * hq
                hlast = hq
            if not ok:
                active[v] = True    # (h of 0 or subnormal: the rounds)
                continue
            hc[v, 0] = hlast
            hc[v, 1] += cnt
            steps += cnt
        nact = _pack_slots(act, tv, h0, y0, k1, active, kk, km, voxvol, kkc, kmc, volc,
                           npools, nvox, False)
        packed = True
    _round_steps(tv, h0, final, active, hp, t1, npools, nact)
    return nact, first, steps, packed


@njit(cache=True, nogil=True, inline='always')
def _all_end(ytmp, ratio, final, m, nact):
    """Whether every slot's attempt ends the tick and passes the error
    test: all final, no error ratio over 1.1 (NaN ratios pass, as in
    :func:`_settle`'s maximum), every entry finite."""
    for j in range(nact):
        if not final[j]:
            return False
    bad = False
    for i in range(m):
        x = ytmp[i]
        bad |= ratio[i] > 1.1 or x - x != 0.0      # (x - x: NaN at inf and NaN)
    return not bad


@njit(cache=True, nogil=True)
def _settle(y, dydt, ylast, hc, ytmp, kout, ratio, y0, k1, act, h0, tv, final, active, hp, kk,
            km, voxvol, kkc, kmc, volc, t1, npools, nact, packed):
    """The error test of the attempts of one round (slot j's error ratios
    in *ratio*), in voxel order, as each voxel's driver takes it: a step
    accepted moves the voxel on (its state into y and ylast, its
    derivative into dydt, h grown unless it ended the tick), a step
    rejected shrinks h.
    Then the slots still stepping are packed and their next steps set.
    Returns (status, attempts taken, slots left, packed): status -2.0 at a
    non-finite state (written into y), -3.0 when h cannot shrink, else 0.0;
    the voxels after such a one are not tried."""
    if nact > 0 and _all_end(ytmp, ratio, final, nact * npools, nact):
        # the usual round: every slot's step ends the tick and is
        # accepted (no ratio over 1.1, every entry finite); the same
        # writes as the loop below, as flat copies where slot j is voxel j
        m = nact * npools
        if packed:
            for j in range(nact):
                v = act[j]
                hc[v, 1] += 1.0
                for p in range(npools):
                    x = ytmp[j * npools + p]
                    y[v * npools + p] = x
                    ylast[v * npools + p] = x
                    dydt[v * npools + p] = kout[j * npools + p]
        else:
            for v in range(nact):
                hc[v, 1] += 1.0
            yv = y[:m]
            yl = ylast[:m]
            dv = dydt[:m]
            for i in range(m):
                x = ytmp[i]
                yv[i] = x
                yl[i] = x
                dv[i] = kout[i]
        for j in range(nact):
            tv[j] = t1
            active[j] = False
        return 0.0, nact, 0, True
    status = 0.0
    taken = 0
    done = 0
    for j in range(nact):
        v = act[j]
        hv = h0[j]
        hc[v, 1] += 1.0
        taken += 1
        tn = t1 if final[j] else tv[j] + hv
        rmax = _TINY
        finite = True
        b = j * npools
        for i in range(b, b + npools):
            if not math.isfinite(ytmp[i]):
                finite = False
            r = ratio[i]
            if r > rmax:
                rmax = r
        if not finite:
            for p in range(npools):
                y[v * npools + p] = ytmp[b + p]
            status = -2.0
            break
        if rmax > 1.1:
            r = 0.2 if rmax > _RMAX_CUT else 0.9 / rmax ** 0.2
            if r < 0.2:
                r = 0.2
            hn = r * hv
            if abs(hn) < abs(hv) and tn + hn != tn:
                h0[j] = hn              # redo from the same start
                continue
            status = -3.0
            break
        if rmax < 0.5 and not final[j]:
            # (a tick's last step keeps h: no growth to compute)
            r = 5.0 if rmax < _RMIN_CUT else 0.9 / rmax ** (1.0 / 6.0)
            if r > 5.0:
                r = 5.0
            if r < 1.0:
                r = 1.0
            hv = r * hv
        # accepted: the next step starts here, from this derivative
        for p in range(npools):
            y[v * npools + p] = ytmp[b + p]
            ylast[v * npools + p] = ytmp[b + p]
            dydt[v * npools + p] = kout[b + p]
        for i in range(b, b + npools):
            y0[i] = ytmp[i]
            k1[i] = kout[i]
        tv[j] = tn
        if final[j]:
            active[j] = False
            done += 1
        else:
            hc[v, 0] = hv
            h0[j] = hv
    if status == 0.0:
        if done > 0:
            nact = _pack_slots(act, tv, h0, y0, k1, active, kk, km, voxvol, kkc, kmc, volc,
                               npools, nact, packed)
            packed = True
        _round_steps(tv, h0, final, active, hp, t1, npools, nact)
    return status, taken, nact, packed


@njit(cache=True, nogil=True)
def _clear_negative(y, held, npools):
    """MOOSE clears negative counts of its variable pools after each tick
    (not of buffered or Function-assigned ones); -0.0 becomes 0.0 too, NaN
    stays (y <= 0.0 is false for it)."""
    for v in range(y.shape[0] // npools):
        for p in range(npools):
            i = v * npools + p
            if held[p] == 0 and y[i] <= 0.0:
                y[i] = 0.0


@njit(cache=True, nogil=True, inline='always')
def _ticks_together(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F,
                    max_steps, ylast, rfuncs, fused, Sf, Si, Sb):
    """:func:`_ticks` for a model without Functions, every voxel's driver
    advanced attempt by attempt side by side: each stage evaluates the
    rates of the voxels still short of the tick's end at once (voxels are
    independent in the rate function and no rate depends on t), each voxel
    keeping its own step size, error test, acceptance and time.  The same
    numbers as one driver after the other, in far fewer calls.

    The voxels still stepping are kept packed at the front of the stage
    arrays (slot j holds voxel act[j]; their rate constants are copied to
    kkc/kmc rows j): after each tick's diffusion most voxels end the tick in
    one step while a few redo theirs many times (MOOSE's stale first
    derivative), and evaluating every voxel in every round until the last
    one was done cost 14x the work (bench_dsolve 'reac': 1718 rounds of
    1000 voxels for 123,924 voxel attempts).  Voxels at rest (derivative
    exactly zero at their unchanged state, kept in *ylast*) skip their
    stages (:func:`_tick_slots`).  Fused rates: :func:`_slot_rates`.

    *Sf*, *Si*, *Sb*: room for the stage arrays (float, int and bool
    entries, :func:`together_scratch_sizes`), so that a caller that steps
    the same model tick after tick (kinetics.dloop) allocates them once
    per call of its own instead of twenty-odd arrays per tick (spiny's
    1000 compiled ticks, the two taken in turn: 0.040-0.041 s against
    0.042-0.044 s allocating per tick, 4-7 % faster)."""
    M = unpack(I, F)
    W = _work_parts(M, work_buffer(M))
    nvox = M[0][0]
    npools = M[0][1]
    nterms = M[0][2]
    held = M[10]
    kk, km, voxvol = M[1], M[2], M[21]
    fa, fi, fc = M[28], M[33], M[34]
    n = nvox * npools
    a31, a32 = _A3
    a41, a42, a43 = _A4
    a51, a52, a53, a54 = _A5
    a61, a62, a63, a64, a65 = _A6
    c2, c3, c4, c5, c6 = _C
    b1, b3, b4, b5, b6 = _B
    e1, e3, e4, e5, e6 = _E
    # slot arrays: slot j (entries j*npools ...) holds voxel act[j]; rows
    # of the room
    rows = Sf[:9 * n].reshape((9, n))
    y0, k1, k2, k3, k4, k5, k6, kout, hp = (rows[0], rows[1], rows[2], rows[3], rows[4],
                                            rows[5], rows[6], rows[7], rows[8])
    o = 9 * n
    ytmp = Sf[o:o + n + 2]
    o += n + 2
    ytmp[n] = ytmp[n + 1] = 0.0
    h0 = Sf[o:o + nvox]
    o += nvox
    tv = Sf[o:o + nvox]
    o += nvox
    final = Sb[:nvox]
    active = Sb[nvox:2 * nvox]
    for v in range(2 * nvox):
        Sb[v] = False
    act = Si[:nvox]
    # the model restricted to the packed voxels: the same types as M, so
    # that one call site of the rates serves both
    nd = M[0].shape[0]
    dimsc = Si[nvox:nvox + nd]
    for q in range(nd):
        dimsc[q] = M[0][q]
    kkc = Sf[o:o + nvox * nterms].reshape((nvox, nterms))
    o += nvox * nterms
    kmc = Sf[o:o + nvox * nterms].reshape((nvox, nterms))
    o += nvox * nterms
    volc = Sf[o:o + nvox]
    o += nvox
    Mc = (dimsc, kkc, kmc) + M[3:21] + (volc,) + M[22:]
    R = Sf[o:o + (nterms + 1 + npools) * nvox]
    ns = sample_t.shape[0]
    si = 0
    t = t0
    while si < ns and sample_t[si] <= t + 1e-12 * max(1.0, abs(t)):
        for q in range(rec_idx.shape[0]):
            out[si, q] = y[rec_idx[q]]
        si += 1
    steps = 0
    status = 0.0
    for ti in range(ends.shape[0]):
        if status != 0.0:
            break
        t1 = ends[ti]
        tick0 = steps
        # every voxel is at t: all step or none does.  Slot v = voxel v
        # (the model M itself) until voxels drop out (those at rest at
        # once); voxels whose driver was reset take the derivative at their
        # state first (stage -1)
        nact, first, taken, packed = _tick_slots(y, dydt, ylast, hc, t, t1, npools, act, tv,
                                                 h0, y0, k1, final, active, hp, kk, km, voxvol,
                                                 kkc, kmc, volc)
        steps += taken
        if steps > max_steps:
            status = -1.0
        while nact > 0 and status == 0.0:
            m = nact * npools
            # the stages; the error ratios with the new state.  One call
            # site of each rate function (each call site of an inlined
            # function is a copy of it)
            for s in range(first, 6):
                if s == -1:
                    for i in range(m):
                        ytmp[i] = y0[i]
                    k = kout
                elif s == 0:
                    for i in range(m):
                        ytmp[i] = y0[i] + c2 * hp[i] * k1[i]
                    k = k2
                elif s == 1:
                    for i in range(m):
                        ytmp[i] = y0[i] + hp[i] * (a31 * k1[i] + a32 * k2[i])
                    k = k3
                elif s == 2:
                    for i in range(m):
                        ytmp[i] = y0[i] + hp[i] * (a41 * k1[i] + a42 * k2[i] + a43 * k3[i])
                    k = k4
                elif s == 3:
                    for i in range(m):
                        ytmp[i] = y0[i] + hp[i] * (a51 * k1[i] + a52 * k2[i] + a53 * k3[i] +
                                                   a54 * k4[i])
                    k = k5
                elif s == 4:
                    for i in range(m):
                        ytmp[i] = y0[i] + hp[i] * (a61 * k1[i] + a62 * k2[i] + a63 * k3[i] +
                                                   a64 * k4[i] + a65 * k5[i])
                    k = k6
                else:
                    # the new state, and each entry's error over its
                    # tolerance into k2 (free now)
                    for i in range(m):
                        yn = y0[i] + hp[i] * (b1 * k1[i] + b3 * k3[i] + b4 * k4[i] +
                                              b5 * k5[i] + b6 * k6[i])
                        ytmp[i] = yn
                        err = hp[i] * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] +
                                       e6 * k6[i])
                        k2[i] = abs(err) / abs(rtol * abs(yn) + atol)
                    k = kout
                if fused:
                    # (a few voxels: voxel by voxel, the flux loop's set-up
                    # once per voxel and flux is not worth it)
                    if nact >= SLOT_RATES_MIN:
                        _slot_rates(ytmp, k, nact, npools, kkc if packed else kk, fa, fi, fc)
                    else:
                        _rhs_fused(ytmp, k, nact, npools, kkc if packed else kk, fa, fi, fc,
                                   W[0], W[7])
                elif not rfuncs and nact >= SLOT_RATES_MIN:
                    _slot_rates_general(ytmp, k, nact, npools, kkc if packed else kk,
                                        kmc if packed else km, M, R)
                else:
                    dimsc[0] = nact
                    _rhs_general(t, ytmp, k, Mc if packed else M, W, rfuncs, W[0], W[1], W[2],
                                 W[3], W[4], W[5])
                if s == -1:
                    # (first round of a tick: slot j is voxel j)
                    for v in range(nvox):
                        if hc[v, 1] == 0.0:
                            for i in range(v * npools, (v + 1) * npools):
                                dydt[i] = kout[i]
                                k1[i] = kout[i]
                                ylast[i] = y0[i]
            first = 0
            status, taken, nact, packed = _settle(y, dydt, ylast, hc, ytmp, kout, k2, y0, k1,
                                                  act, h0, tv, final, active, hp, kk, km,
                                                  voxvol, kkc, kmc, volc, t1, npools, nact,
                                                  packed)
            steps += taken
            if steps > max_steps and status == 0.0:
                status = -1.0
            if steps - tick0 > TICK_MAX_STEPS * nvox and status == 0.0:
                status = -4.0
        if status != 0.0:
            break
        _clear_negative(y, held, npools)
        t = t1
        while si < ns and sample_t[si] <= t1 + 1e-12 * max(1.0, abs(t1)):
            for q in range(rec_idx.shape[0]):
                out[si, q] = y[rec_idx[q]]
            si += 1
    while si < ns and status == 0.0:
        for q in range(rec_idx.shape[0]):
            out[si, q] = y[rec_idx[q]]
        si += 1
    return status


# variants compiled with constant flags (as kernels.rk_integrate's): a
# branch for Functions or the fused rates left in the hot loop, even when
# not taken, made every rate evaluation several times slower
@njit(cache=True, nogil=True)
def _ticks_plain(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                 ylast):
    return _ticks(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                  False, False, False)


@njit(cache=True, nogil=True)
def _ticks_fused(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                 ylast):
    return _ticks(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                  False, False, True)


@njit(cache=True, nogil=True)
def _ticks_assign(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                  ylast):
    return _ticks(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                  True, False, False)


@njit(cache=True, nogil=True)
def _ticks_rate(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                ylast):
    return _ticks(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                  True, True, False)


# one variant side by side, fused or not as the model is (measured: the
# flag at run time costs no time there, unlike in the one-voxel drivers
# above, where it made kin_small 2x and EGFR_MAPK_58 3.6x slower; a
# variant less saves ~8 s of the first compile)
@njit(cache=True, nogil=True)
def _together_in(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
                 ylast, Sf, Si, Sb):
    fused = I[I[32] + 5] != 0           # rk_info[5]: the fused rates (no Functions here)
    return _ticks_together(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F,
                           max_steps, ylast, False, fused, Sf, Si, Sb)


@njit(cache=True, nogil=True, inline='always')
def together_scratch_sizes(I):
    """The room :func:`_ticks_together` takes for packed model *I*: (float,
    int, bool) entries."""
    dims = I[I[0]:I[1]]
    nvox, npools, nterms = dims[0], dims[1], dims[2]
    n = nvox * npools
    return (10 * n + 2 + 3 * nvox + 2 * nvox * nterms + (nterms + 1 + npools) * nvox,
            nvox + dims.shape[0], 2 * nvox)


@njit(cache=True, nogil=True)
def _together(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F, max_steps,
              ylast):
    nf, ni, nb = together_scratch_sizes(I)
    return _together_in(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F,
                        max_steps, ylast, np.empty(nf), np.empty(ni, dtype=np.int64),
                        np.empty(nb, dtype=np.bool_))


#: step the voxels of a model without Functions side by side
#: (:func:`_ticks_together`); False: one voxel after the other
TOGETHER = True


def flags(I):
    """(afuncs, rfuncs, fused) of a packed model, as kernels.rk_integrate
    chooses its variant."""
    info = I[I[32]:I[33]]
    rfuncs = bool(info[3] + info[4] > 0)
    fused = bool(info[5] != 0) and not rfuncs
    return bool(info[2] > 0), rfuncs, fused


def kernel_for(I, nvox):
    """The driver variant for packed model *I* with *nvox* voxels (constant
    flags: see above)."""
    afuncs, rfuncs, fused = flags(I)
    nfuncs = I[I[0]:I[1]][3]
    if TOGETHER and nfuncs == 0 and nvox > 1:
        return _together
    if rfuncs:
        return _ticks_rate
    if afuncs:
        return _ticks_assign
    return _ticks_fused if fused else _ticks_plain


def integrate_ticks(y, t0, ends, hc, dydt, rtol, atol, sample_t, rec_idx, out, I, F,
                    max_steps, fn=None, ylast=None):
    """Advance state *y* (voxel-major, molecules; in place) over the
    solver's ticks ending at *ends* [s], from *t0*; *hc* (voxels x [h,
    evolve count]) and *dydt* (the last derivative) carry each voxel's
    driver memory from call to call, and *ylast* (the state each voxel's
    last derivative was taken at; NaN: unknown) lets the side-by-side
    drivers pass over voxels at rest: keep it with *dydt* and fill it with
    NaN when the rate constants change.  Records ``y[rec_idx]`` after the
    tick at or just after each of the sorted *sample_t* into the rows of
    *out*.  *fn*: :func:`kernel_for` of the model, if known.  Returns 0.0,
    or -1.0 (more than *max_steps* steps), -4.0 (more than TICK_MAX_STEPS
    steps of one voxel within one tick), -2.0 (non-finite state), -3.0 (the
    step cannot be made smaller and the error test still fails)."""
    if fn is None:
        fn = kernel_for(I, hc.shape[0])
    if ylast is None:
        ylast = np.full(y.shape[0], np.nan)
    return fn(y, float(t0), ends, hc, dydt, float(rtol), float(atol), sample_t, rec_idx, out,
              I, F, max_steps, ylast)
