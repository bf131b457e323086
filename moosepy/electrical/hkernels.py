"""numba kernels of the Hines solver (:mod:`moosepy.electrical.hsolve`).

One call advances every cell of a group of HSolves (a forest of compartment
trees, concatenated) over many steps; nothing in Python runs per step.  Per
step t -> t + dt:

1. PulseGen values at t + dt (MOOSE's timing) are added to their nodes.
   Synapses: the events due this step (the ring slot of the step, filled
   by spikes with weight/dt at the first step whose time is >= spike time
   + delay, compared exactly as MOOSE; the next step at the earliest for
   a source that steps after the handlers) and what
   Python-stepped sources delivered drive each SynChan's exact
   dual-exponential cascade; its conductance (NMDA: times the Mg2+
   unblocked fraction at the step-start V) joins the channels of its node.
   RandSpike and TimeTable inputs put their events into the ring.
2. Gates: dX/dt = A - B X with A, B linearly interpolated from the gate
   tables at the node's V (or the Ca pool's concentration); the step is the
   trapezoidal rule ``X <- (X (1 - dt B/2) + dt A) / (1 + dt B/2)`` at the
   current V: states live half a step after V (staggered), second order.
   ``instant`` gates take A/B.  Gk = Gbar modulation X^p Y^q Z^r.
3. Voltage: with h = dt/2 (Crank-Nicolson) or h = dt (backward Euler) solve
   ``(Cm/h + Gm + sum Gk + axial) V* = Cm/h V + Em Gm + sum Gk Ek + I`` by
   Hines elimination over the tree (O(nodes)), then ``V <- 2 V* - V`` (CN)
   or ``V <- V*`` (BE).  CN is second order in dt, BE first order.
   SpikeGens compare the new V with their threshold (refractory period,
   edge triggering), as MOOSE's HSolve does after its step, and put spikes
   into the ring, or into the log for targets outside the kernel (the call
   returns early when it fills).
4. Ik = Gk (Ek - V) at the new V; the Ca pools as MOOSE's HSolve steps
   them: their channels' current at the mid-step V (the Crank-Nicolson V*;
   the new V under backward Euler) and, for the excess c over Ca_base,
   ``c <- c (2 - dt/tau)/(2 + dt/tau) + 2 B I dt/(2 + dt/tau)`` (the
   trapezoidal rule; a Python-stepped CaConc uses exponential Euler, as
   MOOSE's CaConc does outside HSolve).
5. Currents and conductances that Python-stepped objects (SynChan,
   VClamp, triggered PulseGen...) delivered to a compartment before the call
   (external A = sum G E + I, B = sum G) enter the first step of the call
   and are consumed; in a run with such objects every call is one step.

The kernel works in tree (Hines) order: V is gathered at the start of a call
and scattered back at its end; the matrix rows are built inside the
elimination (leaves first) and the substitution updates V, two passes over
the tree per step.

Units: V, S, A, F, s, mM.
"""

import numpy as np

from ..jit import njit
from ..kinetics.kernels import eval_program


@njit(cache=True, inline='always')
def _pulse(t, base, L, W, D, cnt, prev):
    period = W[0] + D[0] if cnt > 0 else 0.0
    for i in range(1, cnt):
        if W[i] > 0.0 or D[i] > 0.0:
            inc = D[i] + W[i] - W[i - 1]
            if inc > 0.0:
                period += inc
    if period <= 0.0:
        return base
    phase = np.fmod(t, period)          # C's fmod, exact, as MOOSE
    if phase >= period:
        return base
    for i in range(cnt):
        if phase < D[i]:
            return base
        if phase < D[i] + W[i]:
            return L[i]
        phase -= D[i]
    return prev


@njit(cache=True, inline='always')
def _step_t(j, t0, dt, tg, tgm, ts0):
    """The clock's time of step *j* of this call (see advance)."""
    if tgm > 0:
        return tg * ((ts0 + j) * tgm)
    return t0 + j * dt


@njit(cache=True, inline='always')
def _arrival(te, jmin, jguess, t0, dt, tg, tgm, ts0):
    """The first step j >= jmin of this call whose clock time is >= *te*
    (an event's spike time + delay), compared without tolerance as MOOSE's
    handler does; *jguess* is a nearby step to start from."""
    j = jguess
    if j < jmin:
        j = jmin
    while j > jmin and _step_t(j - 1, t0, dt, tg, tgm, ts0) >= te:
        j -= 1
    while _step_t(j, t0, dt, tg, tgm, ts0) < te:
        j += 1
    return j


@njit(cache=True, inline='always')
def _to_ring(ring, e0, e1, syn, m, syn_dk, syn_del, syn_w, syn_owner, kb, k, ts,
             t0, dt, tg, tgm, ts0):
    """A spike at time *ts* [s] made in step *k* onto synapses syn[e0:e1]:
    weight/dt into each handler entry's slot of the step it arrives at (the
    first step, k + m[e] at the earliest, whose time is >= ts + delay)."""
    L = ring.shape[1]
    for e in range(e0, e1):
        s = syn[e]
        j = _arrival(ts + syn_del[s], k + m[e], k + syn_dk[s], t0, dt, tg, tgm, ts0)
        ring[syn_owner[s], (kb + j) % L] += syn_w[s] / dt


@njit(cache=True, inline='always')
def _ghk_ica(g, v, cin, cout, k, cf):
    """NMDA Ca current [A] (see synapse.ghk_ca_current; k = 2F/RT)."""
    x = k * v
    e = np.exp(-x)
    if cin == cout:
        ratio = -1.0 / cin
    else:
        ratio = np.log(cout / cin) / (cin - cout)
    if abs(x) < 1e-5:
        ghk = 1.0 / (1.0 - 0.5 * x)
    else:
        ghk = x / (1.0 - e)
    return g * ratio / k * ghk * (cin - cout * e) * cf


@njit(cache=True, inline='always')
def _lookup2(T, off, nx, ny, lim, x, y):
    """Bilinear interpolation in a 2-D table (nx+1 by ny+1, row-major from
    T[off]) over [xmin, xmax] x [ymin, ymax] = lim, clipped at the edges, as
    channels.lookup2d."""
    i = 0
    fx = 0.0
    if nx >= 1 and lim[1] > lim[0]:
        u = (min(max(x, lim[0]), lim[1]) - lim[0]) * (nx / (lim[1] - lim[0]))
        i = min(int(u), nx - 1)
        fx = u - i
    j = 0
    fy = 0.0
    if ny >= 1 and lim[3] > lim[2]:
        u = (min(max(y, lim[2]), lim[3]) - lim[2]) * (ny / (lim[3] - lim[2]))
        j = min(int(u), ny - 1)
        fy = u - j
    i1 = min(i + 1, nx)
    j1 = min(j + 1, ny)
    w = ny + 1
    return (T[off + i * w + j] * (1 - fx) * (1 - fy) + T[off + i1 * w + j] * fx * (1 - fy)
            + T[off + i * w + j1] * (1 - fx) * fy + T[off + i1 * w + j1] * fx * fy)


@njit(cache=True, inline='always')
def _ipow(x, p):
    if p == 1.0:
        return x
    if p == 2.0:
        return x * x
    if p == 3.0:
        return x * x * x
    if p == 4.0:
        return (x * x) * (x * x)
    return x ** p


@njit(cache=True, error_model='numpy')
def advance(
nsteps, t0, dt, cn, tg, tgm, ts0,
            # nodes (storage order; views of the model's fields)
            V, Cm, Rm, Em, inj, extA, extB, extI, Im,
            # tree in Hines order (parents before children)
            sidx, par, gpar, gsum,
            # channels (ch_node: tree position of the channel's compartment)
            ch_node, gbar, ek, modul, gk, ik,
            # gate instances (state, Ca pool or -1), in blocks of equal gate,
            # table, power, instant flag and source kind (blk_qc[:, k]: the
            # instance at block position k and its channel), X blocks first
            S, gi_src, blk_start, blk_qc, blk_tab, blk_pow, blk_inst, blk_src,
            # blocks whose voltage gates look up on their nodes' grid (blk_row),
            # each node's voltage grid (min, 1/step, divisions; MOOSE's HSolve
            # has one per cell): the table row is found once per node and step
            blk_row, node_gmin, node_ginv, node_gn,
            # gate tables
            tabA, tabB, toff, tn, tmin, tinv,
            # calcium pools
            ca, ca_base, ca_tau, ca_B, ca_ceil, ca_floor, ca_in_ch, ca_in_pool,
            # currents Python-stepped objects sent to the pools [A] (first
            # step); pools on their own tick (not MOOSE's HSolve's: fed only
            # by NMDA receptors) and the current [A] carried to their next step
            ca_ext, ca_own, ca_carry,
            # pulse generators (targets as tree positions)
            pg_base, pg_L, pg_W, pg_D, pg_cnt, pg_out, pg_tgt_pg, pg_tgt_node,
            # HHChannel2D entries (node: tree position; gates j = X, Y, Z in
            # rows: state, power (0: none), table, x and y sources: -1 V,
            # -2 none (y = 0), >= 0 a Ca pool), their 2-D tables
            c2_node, c2_gbar, c2_ek, c2_mod, c2_gk, c2_ik, c2_inst, c2_S, c2_pow, c2_tab,
            c2_xs, c2_ys, t2_A, t2_B, t2_off, t2_nx, t2_ny, t2_lim,
            # Functions of t taken over (see hsolve_functions): programs
            # (code slices), firing every fn_every solver steps counted from
            # the clock's step 0 (fn_js0[0]: the solver step before this
            # call), before (1) or after (0) the solver in a step; their last
            # value, derivative, whether they fired, tick dt; outputs
            # (fo_fn, kind: 0 inject, 1 Em of node storage index fo_i and
            # tree position fo_p; 2 Gbar, 3 Ek, 4 modulation of channel
            # fo_i; 5 rate of RandSpike fo_i), fn_bad: count of clamped
            # negative rates, first non-finite or negative Gbar output
            fn_code, fn_args, fn_consts, fn_start, fn_every, fn_before, fn_val, fn_der,
            fn_has, fn_dt, fo_ptr, fo_kind, fo_i, fo_p, fn_js0, fn_stack, fn_bad,
            # probes (kinds 0 and 7 index tree positions)
            rec_steps, pr_kind, pr_idx, rec,
            # synaptic channels (SynChan, NMDAChan; sc_node: tree positions)
            sc_node, sc_ek, sc_mod, sc_norm, sc_x1, sc_x2, sc_y1, sc_y2, sc_X, sc_Y,
            sc_act, sc_min, sc_gk, sc_ik, sc_mg, sc_kA, sc_kB, sc_cmg,
            # NMDA Ca part: ICa, intCa, extCa [mM], 2F/RT [1/V], condFraction
            sc_ica, sc_cin, sc_cout, sc_zfrt, sc_cf,
            # intCa from a pool (-1: none) as ca * scale + offset; ICaOut into
            # pools (channel, pool), their sum per pool for this step
            sc_cain, sc_cascale, sc_caoffs, ica_c, ica_pool, ca_syn,
            # synapse handlers: event ring (entry, absolute step mod L) [1/s],
            # the absolute step before this call, handler entry -> channels
            ring, kbase, h_ptr, h_chan,
            # synapses: weight, delay in steps (ceil(delay/dt), >= 0: where
            # to start looking for the arrival step) and in s, handler entry
            syn_w, syn_dk, syn_del, syn_owner,
            # spike generators (sg_node: tree positions), their synapses, and
            # the log of spikes for targets outside the solver
            sg_node, sg_thr, sg_refr, sg_edge, sg_last, sg_above, sg_fired, sg_V,
            sg_ptr, sg_syn, sg_m, sg_log, log_g, log_k,
            # RandSpikes: uniforms drawn for this call (step, source), state,
            # synapses (each edge: 0 when the source steps before the handler)
            rs_U, rs_rate, rs_refr, rs_per, rs_last, rs_fired, rs_ptr, rs_syn, rs_m,
            # TimeTables: spike times (entry slices), next index, tick stride
            # (in steps, counted from the clock's step 0 = gstep0), state
            tt_times, tt_ptr, tt_next, tt_stride, tt_state, tt_eptr, tt_syn, tt_m, gstep0,
            # work arrays (tree positions)
            Vp, d0, r0, cmh, d, rhs, gch, ich, dext, rext, ca_I, gbm, xs, rowi, rowf):
    n = V.shape[0]
    nch = ch_node.shape[0]
    nblk = blk_tab.shape[0]
    nrow = 0
    for bk in range(nblk):
        if blk_row[bk]:
            nrow += 1
    nca = ca.shape[0]
    npg = pg_base.shape[0]
    h = 0.5 * dt if cn else dt
    nrec = rec_steps.shape[0]
    nsc = sc_node.shape[0]
    nh = h_ptr.shape[0] - 1
    nsg = sg_node.shape[0]
    nrs = rs_rate.shape[0]
    ntt = tt_next.shape[0]
    L = ring.shape[1]
    kb = kbase[0]
    nlog = 0
    nlogsg = 0
    for g in range(nsg):
        if sg_log[g]:
            nlogsg += 1
    cap = log_g.shape[0]
    # gather into tree order; constant terms of this call
    for p in range(n):
        i = sidx[p]
        Vp[p] = V[i]
        gm = 1.0 / Rm[i]
        cmh[p] = Cm[i] / h
        d0[p] = cmh[p] + gm + gsum[p]
        r0[p] = Em[i] * gm + inj[i]
        # currents/conductances that Python-stepped objects delivered for
        # this step (message injection, external channels)
        dext[p] = extB[i]
        rext[p] = extA[i] + extI[i]
        extA[i] = 0.0
        extB[i] = 0.0
        extI[i] = 0.0
    for c in range(nch):
        gbm[c] = gbar[c] * modul[c]
    ca_k1 = np.empty(nca)
    ca_k2 = np.empty(nca)
    for m in range(nca):
        den = 2.0 + dt / ca_tau[m]
        ca_k1[m] = 4.0 / den - 1.0
        ca_k2[m] = 2.0 * ca_B[m] * dt / den
    r = 0
    while r < nrec and rec_steps[r] == 0:
        _record(r, Vp, gk, ik, ca, S, Im, sidx, sc_gk, sc_ik, c2_gk, c2_ik, pr_kind, pr_idx, rec,
                inj)
        r += 1
    # d and rhs are accumulators of the children's eliminated terms; gch and
    # ich of the channels': all start at zero and are zeroed as consumed
    for p in range(n):
        gch[p] = 0.0
        ich[p] = 0.0
        d[p] = dext[p]
        rhs[p] = rext[p]
    done = 0
    nfn = fn_every.shape[0]
    js0 = fn_js0[0]
    for k in range(1, nsteps + 1):
        # the clock's time of this step: on MOOSE's grid (tg * base steps,
        # the float MOOSE computes) when tgm > 0, else t0 + k dt
        if tgm > 0:
            t = tg * ((ts0 + k) * tgm)
        else:
            t = t0 + k * dt
        # 0. Functions of t that step before the solver set their targets
        if nfn > 0:
            _functions(1, js0 + k, t, fn_code, fn_args, fn_consts, fn_start, fn_every,
                       fn_before, fn_val, fn_der, fn_has, fn_dt, fo_ptr, fo_kind, fo_i,
                       fo_p, fn_stack, fn_bad, inj, Em, Rm, r0, gbar, ek, modul, gbm,
                       rs_rate)
        # 1. pulses (value at the end of the step, as MOOSE)
        for g in range(npg):
            pg_out[g] = _pulse(t, pg_base[g], pg_L[g], pg_W[g], pg_D[g], pg_cnt[g],
                               pg_out[g])
        for q in range(pg_tgt_pg.shape[0]):
            ich[pg_tgt_node[q]] += pg_out[pg_tgt_pg[q]]
        # 1b. spike sources stepped before the handlers (an event due this
        # step is taken this step when its source steps before the handler,
        # as on the clock)
        # RandSpikes (as RandSpike._process): inside the refractory period
        # nothing changes; else Poisson at the rate raised for the dead
        # time (u < rate dt / (1 - rate refractT)) or periodic
        for g in range(nrs):
            rate = rs_rate[g]
            since = t - rs_last[g]
            if rate <= 0.0 or since < rs_refr[g]:      # exact, as MOOSE
                continue
            if rs_per[g]:
                fire = since > 1.0 / rate
            else:
                dead = 1.0 - rate * rs_refr[g]
                real = rate / dead if dead > 0.0 else rate
                fire = rs_U[k - 1, g] < real * dt
            rs_fired[g] = fire
            if fire:
                rs_last[g] = t
                _to_ring(ring, rs_ptr[g], rs_ptr[g + 1], rs_syn, rs_m, syn_dk, syn_del,
                         syn_w, syn_owner, kb, k, t, t0, dt, tg, tgm, ts0)
        # TimeTables: at most one event per step (as MOOSE), the next time
        # due by t, on the steps of their tick; the event carries the
        # table's time
        for g in range(ntt):
            tt_state[g] = 0.0
            if (gstep0 + kb + k) % tt_stride[g] != 0:
                continue
            p = tt_next[g]
            if p < tt_ptr[g + 1] and tt_times[p] <= t:     # exact, as MOOSE
                tt_state[g] = 1.0
                _to_ring(ring, tt_eptr[g], tt_eptr[g + 1], tt_syn, tt_m, syn_dk, syn_del,
                         syn_w, syn_owner, kb, k, tt_times[p], t0, dt, tg, tgm, ts0)
                p += 1
            tt_next[g] = p
        # 1b'. pools on their own tick (tick 1, before the receptors that
        # feed them): CaConc's exponential Euler on the current of the step
        # before, as on the clock
        for m in range(nca):
            if ca_own[m]:
                x = np.exp(-dt / ca_tau[m])
                c2 = ca_base[m] + (ca[m] - ca_base[m]) * x + \
                    ca_B[m] * ca_carry[m] * ca_tau[m] * (1.0 - x)
                if ca_ceil[m] > 0.0 and c2 > ca_ceil[m]:
                    c2 = ca_ceil[m]
                elif c2 < ca_floor[m]:
                    c2 = ca_floor[m]
                ca[m] = c2
                ca_carry[m] = 0.0
        # 1c. synapses: the events due this step (their ring slot) and what
        # Python-stepped sources delivered drive each SynChan's X, Y cascade
        # (MOOSE's exact dual-exponential update); the conductance enters
        # this step's matrix, NMDA blocked by Mg2+ at the V of the step start
        if nsc > 0:
            slot = (kb + k) % L
            for hh in range(nh):
                a = ring[hh, slot]
                if a != 0.0:
                    ring[hh, slot] = 0.0
                    for e in range(h_ptr[hh], h_ptr[hh + 1]):
                        sc_act[h_chan[e]] += a
            for c in range(nsc):
                x = sc_min[c] * sc_act[c] * sc_x1[c] + sc_X[c] * sc_x2[c]
                y = x * sc_y1[c] + sc_Y[c] * sc_y2[c]
                sc_X[c] = x
                sc_Y[c] = y
                sc_act[c] = 0.0
                sc_min[c] = 1.0
                node = sc_node[c]
                v = Vp[node]
                gs = y * sc_norm[c] * sc_mod[c]
                if sc_mg[c]:
                    gs = gs / (1.0 + sc_cmg[c] / sc_kA[c] * np.exp(-v / sc_kB[c]))
                    if sc_cain[c] >= 0:
                        sc_cin[c] = ca[sc_cain[c]] * sc_cascale[c] + sc_caoffs[c]
                    sc_ica[c] = _ghk_ica(gs, v, sc_cin[c], sc_cout[c], sc_zfrt[c], sc_cf[c])
                sc_gk[c] = gs
                sc_ik[c] = gs * (sc_ek[c] - v)
                gch[node] += gs
                ich[node] += gs * sc_ek[c]
            for q in range(ica_c.shape[0]):
                ca_syn[ica_pool[q]] += sc_ica[ica_c[q]]
        # 1d. HHChannel2D: exponential Euler at the step-start V and Ca, as
        # the channel does on its own tick (MOOSE's HSolve leaves it so)
        for c in range(c2_node.shape[0]):
            node = c2_node[c]
            v = Vp[node]
            gs = c2_gbar[c] * c2_mod[c]
            for j in range(3):
                pw = c2_pow[j, c]
                if pw <= 0.0:
                    continue
                xsrc = c2_xs[j, c]
                ysrc = c2_ys[j, c]
                xv = v if xsrc < 0 else ca[xsrc]
                yv = 0.0 if ysrc == -2 else (v if ysrc == -1 else ca[ysrc])
                tb = c2_tab[j, c]
                a = _lookup2(t2_A, t2_off[tb], t2_nx[tb], t2_ny[tb], t2_lim[tb], xv, yv)
                b = _lookup2(t2_B, t2_off[tb], t2_nx[tb], t2_ny[tb], t2_lim[tb], xv, yv)
                st2 = c2_S[j, c]
                if (c2_inst[c] >> j) & 1:
                    st2 = a / b
                elif b > 1e-15:
                    ex2 = np.exp(-b * dt)
                    st2 = st2 * ex2 + (a / b) * (1.0 - ex2)
                else:
                    st2 = st2 + (a - b * st2) * dt
                c2_S[j, c] = st2
                gs *= st2 ** pw
            c2_gk[c] = gs
            c2_ik[c] = gs * (c2_ek[c] - v)
            gch[node] += gs
            ich[node] += gs * c2_ek[c]
        # 2. gates (trapezoidal, at the current V) and conductances
        for c in range(nch):
            gk[c] = gbm[c]
        hdt = 0.5 * dt
        if nrow:
            # each node's row in its voltage grid: -1 below, nt above, else
            # the row and the fraction (the same arithmetic as per gate)
            for p in range(n):
                u = (Vp[p] - node_gmin[p]) * node_ginv[p]
                if u <= 0.0:
                    rowi[p] = -1
                elif u >= node_gn[p]:
                    rowi[p] = node_gn[p]
                else:
                    ii = int(u)
                    rowi[p] = ii
                    rowf[p] = u - ii
        for bk in range(nblk):
            tb = blk_tab[bk]
            row = blk_row[bk]
            xmin = tmin[tb]
            inv = tinv[tb]
            nt = tn[tb]
            o0 = toff[tb]
            pw = blk_pow[bk]
            ins = blk_inst[bk]
            usrc = blk_src[bk]
            for kq in range(blk_start[bk], blk_start[bk + 1]):
                # unsigned indices: numba adds no negative-index wraparound
                # to reads through them
                q = np.uint64(blk_qc[0, kq])
                c = np.uint64(blk_qc[1, kq])
                # the table row (-1 below, nt above) and fraction: the node's,
                # found once this step, or the gate's own lookup
                f = 0.0
                if row:
                    node = np.uint64(ch_node[c])
                    ii = rowi[node]
                    if 0 <= ii < nt:
                        f = rowf[node]
                else:
                    if usrc:
                        x = ca[np.uint64(gi_src[q])]
                    else:
                        x = Vp[np.uint64(ch_node[c])]
                    u = (x - xmin) * inv
                    if u <= 0.0:
                        ii = -1
                    elif u >= nt:
                        ii = nt
                    else:
                        ii = int(u)
                        f = u - ii
                if ii < 0:
                    a = tabA[o0]
                    b = tabB[o0]
                elif ii >= nt:
                    a = tabA[o0 + nt]
                    b = tabB[o0 + nt]
                else:
                    o = np.uint64(o0 + ii)
                    o1 = o + np.uint64(1)
                    a = tabA[o] + f * (tabA[o1] - tabA[o])
                    b = tabB[o] + f * (tabB[o1] - tabB[o])
                if ins:
                    s = a / b
                else:
                    hb = hdt * b
                    s = (S[q] * (1.0 - hb) + dt * a) / (1.0 + hb)
                S[q] = s
                gk[c] *= _ipow(s, pw)
        for c in range(nch):
            node = np.uint64(ch_node[c])
            gch[node] += gk[c]
            ich[node] += gk[c] * ek[c]
        # 3. voltage: matrix rows built during the elimination (leaves first;
        # d[p] becomes 1/d), then substitution and the V update together
        # (a child at p + 1 of p, as along an unbranched cable, hands its
        # eliminated terms on in registers, not through d and rhs: the same
        # operations in the same order, without a store and reload on the
        # chain of dependent steps)
        cd = 0.0
        cr = 0.0
        for p in range(n - 1, -1, -1):
            dp = d0[p] + gch[p] + (d[p] - cd)
            rp = cmh[p] * Vp[p] + r0[p] + ich[p] + (rhs[p] + cr)
            gch[p] = 0.0
            ich[p] = 0.0
            inv = 1.0 / dp
            d[p] = inv
            rhs[p] = rp
            q = par[p]
            cd = 0.0
            cr = 0.0
            if q >= 0:
                f = gpar[p] * inv
                if q == p - 1:
                    cd = f * gpar[p]
                    cr = f * rp
                else:
                    uq = np.uint64(q)
                    d[uq] -= f * gpar[p]
                    rhs[uq] += f * rp
        last = k == nsteps or (r < nrec and rec_steps[r] == k)
        x = 0.0
        for p in range(n):
            q = par[p]
            if q >= 0:
                if q == p - 1:
                    x = (rhs[p] + gpar[p] * x) * d[p]
                else:
                    x = (rhs[p] + gpar[p] * xs[np.uint64(q)]) * d[p]
            else:
                x = rhs[p] * d[p]
            xs[p] = x
            d[p] = 0.0
            rhs[p] = 0.0
            if cn:
                vn = 2.0 * x - Vp[p]
            else:
                vn = x
            if last:
                Im[np.uint64(sidx[p])] = cmh[p] * h * (vn - Vp[p]) / dt
            Vp[p] = vn
        # 3b. spike detection on the new V, as MOOSE's HSolve does (it
        # processes the SpikeGens of its compartments right after its step):
        # a crossing in this step is a spike at t; it reaches its synapses'
        # handlers after the delay, the next step at the earliest
        for g in range(nsg):
            v = Vp[sg_node[g]]
            sg_V[g] = v
            above = v > sg_thr[g]
            ready = t + 0.5 * dt >= sg_last[g] + sg_refr[g]
            fire = above and ready and not (sg_edge[g] and sg_above[g])
            sg_above[g] = above and (sg_above[g] or fire)
            sg_fired[g] = fire
            if fire:
                sg_last[g] = t
                _to_ring(ring, sg_ptr[g], sg_ptr[g + 1], sg_syn, sg_m, syn_dk, syn_del,
                         syn_w, syn_owner, kb, k, t, t0, dt, tg, tgm, ts0)
                if sg_log[g]:
                    log_g[nlog] = g
                    log_k[nlog] = k
                    nlog += 1
        # 4. channel currents and calcium
        # (Ik is output only: read at the steps that are recorded and the last)
        if last:
            for c in range(nch):
                ik[c] = gk[c] * (ek[c] - Vp[np.uint64(ch_node[c])])
        if nca > 0:
            for m in range(nca):
                ca_I[m] = ca_syn[m]
                ca_syn[m] = 0.0
                if k == 1:
                    ca_I[m] += ca_ext[m]
                    ca_ext[m] = 0.0
            # as MOOSE's HSolve: the current at the V of mid-step (the
            # Crank-Nicolson V*, kept in xs; the new V under backward Euler)
            for q in range(ca_in_ch.shape[0]):
                cq = ca_in_ch[q]
                ca_I[ca_in_pool[q]] += gk[cq] * (ek[cq] - xs[ch_node[cq]])
            for m in range(nca):
                if ca_own[m]:               # for its next step (1b')
                    ca_carry[m] = ca_I[m]
                    continue
                # MOOSE's HSolve pool step (trapezoidal in the excess over
                # Ca_base): c <- c (2 - dt/tau)/(2 + dt/tau) + 2 B I dt/(2 + dt/tau)
                # (the factors of the call: ca_k1 = 4/den - 1, ca_k2 = 2 B dt/den
                # with den = 2 + dt/tau, the same numbers computed once)
                c2 = ca_base[m] + (ca[m] - ca_base[m]) * ca_k1[m] + ca_k2[m] * ca_I[m]
                if ca_ceil[m] > 0.0 and c2 > ca_ceil[m]:
                    c2 = ca_ceil[m]
                if c2 < ca_floor[m]:
                    c2 = ca_floor[m]
                ca[m] = c2
        while r < nrec and rec_steps[r] == k:
            _record(r, Vp, gk, ik, ca, S, Im, sidx, sc_gk, sc_ik, c2_gk, c2_ik, pr_kind, pr_idx, rec,
                    inj)
            r += 1
        # 5. Functions of t that step after the solver: for the next step
        # (probes of kind 13 read inject after them)
        if nfn > 0:
            _functions(0, js0 + k, t, fn_code, fn_args, fn_consts, fn_start, fn_every,
                       fn_before, fn_val, fn_der, fn_has, fn_dt, fo_ptr, fo_kind, fo_i,
                       fo_p, fn_stack, fn_bad, inj, Em, Rm, r0, gbar, ek, modul, gbm,
                       rs_rate)
            rr = r - 1
            while rr >= 0 and rec_steps[rr] == k:
                for q in range(pr_kind.shape[0]):
                    if pr_kind[q] == 13:
                        rec[rr, q] = inj[pr_idx[q]]
                rr -= 1
        done = k
        if nlogsg > 0 and nlog + nlogsg > cap:
            break           # the spike log is full: Python delivers, then resumes
    if done < nsteps:
        # (stopped early for the spike log: Ik of the step reached)
        for c in range(nch):
            ik[c] = gk[c] * (ek[c] - Vp[np.uint64(ch_node[c])])
    tot = 0.0
    for p in range(n):
        V[sidx[p]] = Vp[p]
        tot += Vp[p]
    kbase[0] = kb + done
    return done, r, nlog, np.isfinite(tot)


@njit(cache=True)
def _functions(before, js, t, fn_code, fn_args, fn_consts, fn_start, fn_every, fn_before,
               fn_val, fn_der, fn_has, fn_dt, fo_ptr, fo_kind, fo_i, fo_p, stack, bad,
               inj, Em, Rm, r0, gbar, ek, modul, gbm, rs_rate):
    """The Functions of t (taken over by the solver) that fire at solver
    step *js* (time *t*) on this side of the solver: evaluated with the
    evaluator of unsolved Functions, their value set into the solver's
    arrays as the field setters do (Function._eval_and_send)."""
    for f in range(fn_every.shape[0]):
        if fn_before[f] != before or js % fn_every[f] != 0:
            continue
        val = eval_program(fn_code, fn_args, fn_consts, stack[:0], t, stack,
                           fn_start[f], fn_start[f + 1])
        # the rate over the tick, from 0 before the first value (as
        # Function._eval_and_send; fn_val is 0 then)
        fn_der[f] = (val - fn_val[f]) / fn_dt[f]
        fn_val[f] = val
        fn_has[f] = 1
        for o in range(fo_ptr[f], fo_ptr[f + 1]):
            kd = fo_kind[o]
            i = fo_i[o]
            if kd <= 1:
                if kd == 0:
                    inj[i] = val
                else:
                    Em[i] = val
                gm = 1.0 / Rm[i]
                r0[fo_p[o]] = Em[i] * gm + inj[i]
            elif kd <= 4:
                if kd == 2:
                    if not (val >= 0.0 and np.isfinite(val)):
                        if bad[1] < 0:
                            bad[1] = o
                            bad[2] = f
                        continue
                    gbar[i] = val
                elif kd == 3:
                    ek[i] = val
                else:
                    modul[i] = val
                gbm[i] = gbar[i] * modul[i]
            else:
                if not np.isfinite(val):
                    if bad[1] < 0:
                        bad[1] = o
                        bad[2] = f
                    continue
                if val < 0.0:
                    bad[0] += 1
                    rs_rate[i] = 0.0
                else:
                    rs_rate[i] = val


@njit(cache=True)
def _record(r, Vp, gk, ik, ca, S, Im, sidx, sc_gk, sc_ik, c2_gk, c2_ik, kind, idx, rec, inj):
    for k in range(kind.shape[0]):
        kd = kind[k]
        i = idx[k]
        if kd == 0:
            rec[r, k] = Vp[i]
        elif kd == 1:
            rec[r, k] = gk[i]
        elif kd == 2:
            rec[r, k] = ik[i]
        elif kd == 3:
            rec[r, k] = ca[i]
        elif kd == 4:
            rec[r, k] = S[i]
        elif kd == 7:
            rec[r, k] = Im[sidx[i]]
        elif kd == 8:
            rec[r, k] = sc_gk[i]
        elif kd == 9:
            rec[r, k] = sc_ik[i]
        elif kd == 10:
            rec[r, k] = c2_gk[i]
        elif kd == 11:
            rec[r, k] = c2_ik[i]
        elif kd == 12 or kd == 13:
            rec[r, k] = inj[i]
