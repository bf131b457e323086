"""The Adaptor-paced run: an HSolve, Adaptors and chemistry in one compiled call.

A multiscale model couples an HSolve (electrical, every 50 us) and a group
of chemical solvers (Ksolves joined by Dsolves, every chemical tick) through
Adaptors on their own tick.  The clock's hybrid loop
(:func:`moosepy.core.clock._run_hybrid`) takes each Adaptor interval as
Python calls: the HSolve's kernel over the interval, each Adaptor's
exchange, the chemical tick.  The kernels run whole intervals, but with a
100 Hz Adaptor that is ~150 us of Python per 10 ms of model time; MOOSE's
bridge benchmark (benchmarks/bench_multiscale.py, ``bridge``) spends half
its time there.

Here the clock hands such a run to one kernel call
(:func:`moosepy.core.pkernels.run_paced`) that makes the same kernel calls
and the same Adaptor arithmetic in the same order (the answers equal the
hybrid loop's bit for bit), when the model is exactly that:

* the Python-stepped objects are Adaptors, all on one tick whose stride K
  (base steps) the chemical solvers share, and tables (below); the
  Adaptors read Compartment Vm, CaConc Ca (in the HSolve) and pools' conc
  or n (in the chemical group), and write pools' conc, n, concInit or
  nInit (Pool, BufPool) and HHChannels' Gbar or modulation (in the
  HSolve);
* the solvers are one HSolve group on a tick before the Adaptors', taking
  a whole number of its steps per interval (synapses, RandSpikes,
  TimeTables and Functions it holds are welcome; spikes for targets
  outside it or values messaged to Python-stepped objects are not), and
  one joined group of Ksolves that the compiled tick loop can run
  (:class:`moosepy.kinetics.dsolve.LoopCall`: not lsoda, no Functions in
  the chemistry), on ticks after the Adaptors';
* the tables (Table, Table2) read the HSolve on a tick before the
  Adaptors' (recorded in the HSolve's kernel, as the chunks do), or
  anything the Adaptors may read, on a tick after the chemistry's that
  fires with the Adaptors or every few of their intervals (read at the
  interval's end, as Table._process).

Anything else runs as before: rdesigneur's models (lsoda) and scripts that
step objects in Python every base step among them.  Runs start at an
interval boundary; the steps before the first and after the last whole
interval take the hybrid loop.  ``PACED = False`` (MOOSEPY_PACED=0) turns
this off; tests/kinetics/test_bridge.py compares both bit for bit.

Units: those of the fields the Adaptors join.
"""

import os

import numpy as np

from .errors import SolverError
from .units import NA

#: hand runs of Adaptor-paced models to one compiled call (see the module
#: docstring); False (or MOOSEPY_PACED=0 in the environment): the clock's
#: hybrid loop, Python between intervals
PACED = os.environ.get('MOOSEPY_PACED', '1') != '0'
#: fewest whole Adaptor intervals in a run for the paced call
MIN_STOPS = 2


def _addr(a):
    return a.__array_interface__['data'][0]


def _locate(col, j, base):
    """Flat index into C-contiguous float64 array *base* of entry *j* of
    column *col* (a view into it), or None."""
    if not isinstance(col, np.ndarray) or col.dtype != np.float64 or col.ndim != 1 or \
            not 0 <= j < col.shape[0] or base.dtype != np.float64 or \
            not base.flags.c_contiguous:
        return None
    off = _addr(col) + j * col.strides[0] - _addr(base)
    if off < 0 or off % 8 or off // 8 >= base.size:
        return None
    return off // 8


class Plan:
    """What a paced run needs that stays for one start(): the HSolve group,
    the chemical driver, the Adaptors' reads and writes as index arrays.
    Made by :func:`plan`."""


def plan(solvers, samplers, python, strides, base):
    """The :class:`Plan` of a run with these scheduled objects ((tick,
    element) lists, as clock._plan gives them), or None where the paced
    run does not apply (see the module docstring)."""
    if not PACED or not python or not solvers:
        return None
    from . import clock as clock_mod
    if not clock_mod.FOLD_FIRING_STEP:
        return None
    from .adaptor import Adaptor
    from .table import TableBase

    def plain_table(tab):
        return (tab.cls._process.__func__ is TableBase.__dict__['_process'].__func__
                and tab.cls._record_batch.__func__ is
                TableBase.__dict__['_record_batch'].__func__ and tab.alive)
    ads = [(t, el) for t, el in python if el.cls is Adaptor]
    ticks = {t for t, _ in ads}
    if len(ticks) != 1 or any(not el.alive for _, el in ads):
        return None
    P = ticks.pop()
    K = strides[P]
    from ..electrical.hsolve import HSolve, _group as hs_group
    from ..kinetics.ksolve import Ksolve
    hs = [(t, el) for t, el in solvers if el.cls is HSolve]
    ks = [(t, el) for t, el in solvers if el.cls is Ksolve]
    if len(hs) != 1 or len(hs) + len(ks) != len(solvers) or not ks:
        return None
    htick, hel = hs[0]
    g = hs_group(hel)
    if (g is None or g.leader is not hel or htick >= P or K % strides[htick]
            or g.outputs):
        return None
    if g.has_syn and g.sg_parts[-3].any():
        return None         # (spikes for targets outside the solver: Python delivers them)
    hn = int(round(K * base / g.dt))
    if hn < 1 or abs(hn * g.dt - K * base) > 1e-9 * g.dt:
        return None
    if any(t <= P or strides[t] != K for t, _ in ks):
        return None
    # tables: the HSolve's on ticks before the Adaptors' (recorded in its
    # kernel, as the hybrid loop's chunks do), or any on a tick after the
    # chemistry's that fires with the Adaptors, every interval or every
    # few (read at the interval's end, as Table._process reads)
    kmax = max(t for t, _ in ks)
    chunk_tabs, stop_tabs = [], []
    for t, tab in samplers + [(t, el) for t, el in python if el.cls is not Adaptor]:
        if not issubclass(tab.cls, TableBase) or not plain_table(tab):
            return None
        src = tab.cls._sample_source(tab) if tab.cls._batch_role(tab) == 'sampler' else None
        if src is not None and src[0] is hel and t < P:
            chunk_tabs.append((t, tab, src[1]))
        elif t > kmax and strides[t] % K == 0:
            stop_tabs.append((t, tab))
        else:
            return None
    from ..kinetics.dsolve import dsolve_of, _group as chem_group
    kel = ks[0][1]
    group = chem_group(kel)
    ds = dsolve_of(kel)
    if {id(m) for m in group} != {id(el) for _, el in ks} or ds is None:
        return None
    p = Plan()
    p.K, p.base, p.hs, p.hel, p.hn, p.htick = K, base, g, hel, hn, htick
    p.kel = kel
    p.adaptors = [el for _, el in ads]
    p.chunk_tabs, p.stop_tabs = chunk_tabs, stop_tabs
    from .clock import clock
    p.dstride = strides.get(ds.tick) if clock.dts[ds.tick] > 0 else None
    head = g._kernel_args()[0]
    nn = len(g.nodes) + len(g.tree)
    p.AH = (g.nodes[0], g.ca[0], g.chan[1], g.chan[3])
    assert head[0] is p.AH[0] and head[nn + 1] is p.AH[2]
    return p


def _adaptor_arrays(p, lc):
    """The Adaptors' reads and writes as index arrays (AD of the kernel),
    or None where one of them reads or writes something else."""
    from .adaptor import _per_entry
    from .table import _getter_attr
    from .interpol import setter_attr
    from ..kinetics.pool import PoolBase, Pool, BufPool
    from . import pkernels as PK
    V, ca, gbar, modul = p.AH
    g = p.hs
    Y, yo = lc.ST[0], lc.yo
    pos = {id(m): i for i, m in enumerate(lc.group)}

    def chem_flat(o, j):
        sol = o.data.get('solver')
        if sol is None or id(sol) not in pos:
            return None
        i = pos[id(sol)]
        st = lc.comps[i].state
        f = _locate(o.cols.get('n'), j, st)
        if f is None:
            return None
        return i, int(yo[i] + f)

    def read(o, j, port):
        """(kind, index, NA volume, member) of a get<Field> read, or None."""
        name = _getter_attr(o, port)
        if issubclass(o.cls, PoolBase) and name in ('n', 'conc'):
            got = chem_flat(o, j)
            if got is None:
                return None
            if name == 'conc':
                return PK.R_CONC, got[1], NA * o.handle(j)._vol(), got[0]
            return PK.R_N, got[1], 1.0, got[0]
        f = o.cls._fields.get(name)
        if getattr(f, 'getter', 1) is not None or name not in o.cols:
            return None
        col = o.cols[name]
        for kind, arr in ((PK.R_V, V), (PK.R_CA, ca)):
            q = _locate(col, j, arr)
            if q is not None:
                return kind, q, 1.0, 0
        return None

    sums, cnts, scales, ios, oos = [], [], [], [], []
    p.cols = []         # (channel, entry, field, group array, index): columns to update
    p.init_cols = []    # (pool, entry, write): nInit columns the writes set
    r_ptr, r_kind, r_idx, r_nav, r_mem = [0], [], [], [], []
    w_ptr, w_kind, w_idx, w_nav = [0], [], [], []
    for el in p.adaptors:
        c = el.cols
        reads = _per_entry(el, 'requestOut')
        sends = _per_entry(el, 'output')
        for i in range(el.num):
            sums.append(float(c['_sum'][i]))
            cnts.append(int(c['_count'][i]))
            scales.append(float(c['scale'][i]))
            ios.append(float(c['inputOffset'][i]))
            oos.append(float(c['outputOffset'][i]))
            for o, j, port in reads[i]:
                got = read(o, j, port)
                if got is None:
                    return None
                r_kind.append(got[0])
                r_idx.append(got[1])
                r_nav.append(got[2])
                r_mem.append(got[3])
            r_ptr.append(len(r_kind))
            for o, j, port in sends[i]:
                name = setter_attr(o, port)
                if name is None or not o.alive:
                    return None
                if issubclass(o.cls, PoolBase) and name in ('n', 'conc', 'nInit',
                                                              'concInit'):
                    # a Pool's conc/n: its state; its concInit/nInit: the
                    # column only (it has a solver); a BufPool's any of
                    # them: the state and nInit (BufPool's setters)
                    if o.cls not in (Pool, BufPool) or o.hooks:
                        return None
                    got = chem_flat(o, j)
                    if got is None:
                        return None
                    init = name in ('nInit', 'concInit')
                    conc = name in ('conc', 'concInit')
                    if o.cls is Pool and init:
                        w_kind.append(PK.W_INIT_CONC if conc else PK.W_INIT_N)
                        w_idx.append(-1)
                    else:
                        w_kind.append(PK.W_CONC if conc else PK.W_N)
                        w_idx.append(got[1])
                    w_nav.append(NA * o.handle(j)._vol() if conc else 1.0)
                    if init or o.cls is BufPool:
                        p.init_cols.append((o, j, len(w_kind) - 1))
                    continue
                if name not in ('Gbar', 'modulation'):
                    return None
                f = o.cls._fields.get(name)
                if f is None or f.ro or f.structural or \
                        any(h != g._on_set for h in o.hooks):
                    return None
                # (a channel's Gbar and modulation columns are its own; its
                # hook copies a set value into the group's array)
                arr = gbar if name == 'Gbar' else modul
                if id(o) not in g.choff or g._hooked.get(name) is not arr or \
                        not 0 <= j < o.num:
                    return None
                if name == 'Gbar' and getattr(o.cls, '_set_Gbar', None) is None:
                    return None
                q = g.choff[id(o)] + j
                p.cols.append((o, j, name, arr, q))
                w_kind.append(PK.W_GBAR if name == 'Gbar' else PK.W_MOD)
                w_idx.append(q)
                w_nav.append(1.0)
            w_ptr.append(len(w_kind))
    # the tables read at the intervals' ends: one value per entry
    sv = []
    for _t, tab in p.stop_tabs:
        for i in range(tab.num):
            srcs = tab.cls._sources(tab, i)
            if len(srcs) != 1:
                return None
            got = read(*srcs[0])
            if got is None:
                return None
            sv.append(got)
    p.sv = sv
    i64 = np.int64
    M = len(lc.group)
    # the pools' reading at the first stop: the solvers' copies kept by the
    # last call (pool._read_copy) where still current
    post = Y.copy()
    rcv = np.zeros(M, i64)
    for m_i, m in enumerate(lc.group):
        rc = m.data.get('_read_copy')
        mc = lc.comps[m_i]
        if rc is not None and rc[0] is mc and rc[1] == mc.t:
            a, b = int(yo[m_i]), int(yo[m_i + 1])
            post[a:b] = rc[2]
            lc.last[a:b] = rc[3]
            rcv[m_i] = 1
    return (np.array(sums), np.array(cnts, i64), np.array(scales), np.array(ios),
            np.array(oos), np.zeros(len(sums)), np.array(r_ptr, i64), np.array(r_kind, i64),
            np.array(r_idx, i64), np.array(r_nav), np.array(r_mem, i64),
            np.array(w_ptr, i64), np.array(w_kind, i64), np.array(w_idx, i64),
            np.array(w_nav), np.full(len(w_kind), np.nan), post, rcv,
            i64(1 if lc.joined else 0))


def run(p, s0, nstops):
    """Take *nstops* whole Adaptor intervals from base step *s0* (a
    multiple of the Adaptors' stride) in compiled calls.  Returns the
    number taken: 0, having changed nothing, where the paced run cannot
    take them (the hybrid loop then does); all of them otherwise, or an
    error raised as the hybrid loop would raise it."""
    from ..kinetics import dsolve
    from . import pkernels as PK
    g, base, K = p.hs, p.base, p.K
    kel = p.kel
    comp = kel.data.get('compiled')
    if comp is None or not p.hel.alive or not kel.alive:
        return 0
    fb = float(base)
    if int(round(float(comp.t) / fb)) != s0 or int(round(g.t / fb)) != s0:
        return 0
    for j in (0, nstops - 1):
        t_a = g.t_origin + (g.nstep + j * p.hn) * g.dt if j else g.t
        if int(round(((s0 + (j + 1) * K) * base - t_a) / g.dt)) != p.hn:
            return 0
    ds = dsolve.dsolve_of(kel)
    setup = dsolve._split_setup(kel, comp, ds, p.dstride, base, False)
    group, _plans, jns = setup
    joined = dsolve.READ_BEFORE_EXCHANGE and len(group) > 1 and bool(jns)
    if not dsolve.COMPILED_TICKS or not (joined or len(group) == 1):
        return 0
    lc = dsolve.LoopCall.make(kel, comp, setup, s0, nstops, K, p.dstride, base, np.zeros(0),
                              np.zeros(0, np.int64), np.zeros((0, 0)), [])
    if lc is None or lc.s_first != s0 + K:
        return 0
    lc.joined = joined
    AD = _adaptor_arrays(p, lc)
    if AD is None:
        return 0
    nrs = g.rs_U.shape[1] if g.has_syn else 0
    if nrs and p.hn > max(1, 2_000_000 // nrs):
        return 0            # (advance_to bounds a call's uniforms: more calls)
    TB, tabs = _table_arrays(p, s0, nstops)
    # as before each of advance_to's calls (nothing else runs between them
    # here): the synapses' delays and queued events, the Functions' last
    # values; the RandSpikes' uniforms of every interval drawn at once (the
    # same numbers: each generator's draws follow one another)
    if g.has_syn:
        g._sync_syn()
    g._fn_before_call(int(round(g.t / g.dt)))
    head, syn_args, work = g._kernel_args()
    if nrs:
        syn_args = g._draw_uniforms(nstops * p.hn)
    iU = next(i for i, a in enumerate(syn_args) if a is g.rs_U)
    HSa, U, HSb = syn_args[:iU], syn_args[iU], syn_args[iU + 1:]
    tg, tgm, _ts0 = g._grid(g.t)
    HP = (np.int64(p.hn), float(g.t), float(g.t_origin), float(g.dt), bool(g.cn), float(tg),
          np.int64(tgm), np.int64(g.nstep), g.fn[14], g.fn[16])
    KP = (np.int64(lc.s), np.int64(lc.s_first), np.int64(lc.nt), np.int64(lc.kstride),
          np.int64(lc.dstride), float(lc.base))
    kernel = PK.run_paced if lc.run.__name__ == 'run_ticks' else PK.run_paced_rk
    res = np.zeros(4, np.int64)
    j0, phase0, stage0 = 0, 0, 0
    try:
        while True:
            kernel(np.int64(j0), np.int64(phase0), np.int64(stage0), np.int64(nstops), HP,
                   head, HSa, U, HSb, work, p.AH, AD, TB, KP, lc.ST, lc.CH, lc.DF, lc.JN,
                   lc.RC, lc.info, res)
            code, j = int(res[0]), int(res[1])
            if code != PK.CHEM_CHECK:
                break
            # a chemical check: made in Python (it raises, or clips
            # round-off below zero), then the stop goes on from the next stage
            lc.back()
            k, gst = lc.resolve()
            j0, phase0, stage0 = k, 2, gst
    finally:
        code, j = int(res[0]), int(res[1])
        # where the call got to: stops 0..j-1 whole; stop j to its phase
        ran = j * p.hn + (p.hn if code != PK.DONE else 0)      # the HSolve's steps run
        hs_steps = ran - (p.hn if code == PK.FUNCTION_CHECK else 0)   # ... and counted
        _settle(p, lc, AD, hs_steps, joined)
        if nrs and ran < len(U):
            # uniforms of intervals not run: first in the next draw
            rest = getattr(g, '_spare_U', None)
            g._spare_U = U[ran:].copy() if rest is None or not len(rest) else \
                np.concatenate([U[ran:], rest])
        # the tables: the HSolve's rows of the intervals it finished, the
        # others' of the intervals done whole
        _fill_tables(p, TB, tabs, hs_steps // p.hn, j if code != PK.DONE else nstops, s0)
        if code != PK.DONE:
            # where the hybrid loop's clock stands when it raises: at the
            # chunk's start for the HSolve's checks, else the step before the
            # Adaptors' (the HSolve has taken that step)
            _set_clock(s0 + j * K + (0 if code in (PK.HSOLVE_NONFINITE, PK.FUNCTION_CHECK)
                                     else K - 1))
        if g.has_syn and g.tt_els:
            g._tt_positions_back()
        # the Functions' values back (it raises for a refused output: the
        # kernel stopped after that interval, FUNCTION_CHECK)
        g._fn_after_call()
    if code == PK.HSOLVE_NONFINITE:
        t0 = g.t_origin + (g.nstep - p.hn) * g.dt
        g._check_finite(t0)
        raise SolverError(f'{p.hel.path}: a non-finite Vm between t = {t0:g} and '
                          f'{g.t:g} s')
    if code == PK.FUNCTION_CHECK:
        raise SolverError(f'{p.hel.path}: a Function set a refused value by t = {g.t:g} s')
    if code == PK.ADAPTOR_CHECK:
        _adaptor_error(p, AD, int(res[2]), int(res[3]), float(AD[5][int(res[2])]))
    return nstops


def _table_arrays(p, s0, nstops):
    """TB of the kernel for *nstops* intervals from base step *s0*: the
    HSolve's record steps (relative to each interval's first step, rows
    by interval: rs_ptr), its probes and their rows (REC), as
    HSolveGroup.advance_to makes them for the requests the clock's chunks
    would give (clock._advance_chunk, the firing step folded); and the
    reads of the tables at the intervals' ends (STV, a row per interval).
    Also what :func:`_fill_tables` needs."""
    from .clock import _fire_steps, clock
    from ..electrical.hsolve_group import _KIND
    from ..electrical.hsolve_cells import _uniq
    g, K, hn, base = p.hs, p.K, p.hn, p.base
    i64 = np.int64
    strides = clock.strides
    ks = strides[p.htick]
    jt = np.arange(nstops, dtype=i64)
    t0 = g.t_origin + (g.nstep + jt * hn) * g.dt
    t0[0] = g.t
    keys, per = [], []
    for t, tab, specs in p.chunk_tabs:
        steps = _fire_steps(s0, nstops * K, strides[t])
        jj = (steps - s0 - 1) // K
        if p.htick <= t:
            last = (steps // ks) * ks
        else:
            last = ((steps - 1) // ks) * ks
        k = np.rint((last * base - t0[jj]) / g.dt).astype(i64)
        k = np.minimum(np.maximum(k, 0), hn)
        key = jj * (hn + 1) + k
        keys.append(key)
        per.append((tab, specs, steps, jj, key))
    if per:
        ukeys = np.unique(np.concatenate(keys))
        flats = _uniq(np.array([f for _t, _tab, sp in p.chunk_tabs for f, _ in sp], dtype=i64))
        kind = (flats // _KIND).astype(i64)
        idx = (flats % _KIND).astype(i64)
        node = (kind == 0) | (kind == 7)
        idx[node] = np.asarray(g.posof)[idx[node]]
    else:
        ukeys, flats = np.zeros(0, i64), np.zeros(0, i64)
        kind, idx = np.zeros(0, i64), np.zeros(0, i64)
    rs_steps = (ukeys % (hn + 1)).astype(i64)
    rs_ptr = np.searchsorted(ukeys, np.arange(nstops + 1, dtype=i64) * (hn + 1)).astype(i64)
    REC = np.zeros((len(ukeys), len(flats)))
    sv = p.sv
    STV = np.zeros((nstops, len(sv)))
    TB = (rs_steps, rs_ptr, kind, idx, REC,
          np.array([x[0] for x in sv], i64), np.array([x[1] for x in sv], i64),
          np.array([x[2] for x in sv], np.float64), np.array([x[3] for x in sv], i64), STV)
    return TB, (per, ukeys, flats)


def _fill_tables(p, TB, tabs, n_hs, n_all, s0):
    """Append to the tables what the kernel recorded: the HSolve's of its
    first *n_hs* intervals, the intervals' end reads of the first *n_all*
    (of those at which each table's tick fires; the call's first interval
    begins at base step *s0*)."""
    per, ukeys, flats = tabs
    REC, STV = TB[4], TB[9]
    for tab, specs, steps, jj, key in per:
        ok = jj < n_hs
        if not ok.any():
            continue
        rows = np.searchsorted(ukeys, key[ok])
        vals = np.empty((len(rows), len(specs)))
        for c, (flat, scale) in enumerate(specs):
            vals[:, c] = REC[rows, np.searchsorted(flats, flat)] * scale
        tab.cls._record_batch(tab, steps[ok] * p.base, vals)
    if n_all <= 0:
        return
    from .clock import clock
    ends = s0 + (np.arange(n_all, dtype=np.int64) + 1) * p.K
    c0 = 0
    for t, tab in p.stop_tabs:
        fire = ends % clock.strides[t] == 0
        if fire.any():
            vals = STV[:n_all][fire, c0:c0 + tab.num]
            tab.cls._record_batch(tab, ends[fire] * p.base, np.ascontiguousarray(vals))
        c0 += tab.num


def _set_clock(s):
    from .clock import clock, step_time
    clock.current_step = s
    clock.current_time = step_time(s)


def _settle(p, lc, AD, hs_steps, joined):
    """After a call: the HSolve's step count and time, the states and times
    of the chemical solvers and their pools' reading, the Adaptors'
    outputValue and emptied inputs."""
    g = p.hs
    g.nstep += hs_steps
    g.t = g.t_origin + g.nstep * g.dt
    lc.back()
    for i, m in enumerate(lc.group):
        mc = lc.comps[i]
        a, b = int(lc.yo[i]), int(lc.yo[i + 1])
        if joined and AD[17][i]:
            m.data['_read_copy'] = (mc, mc.t, mc.state.reshape(-1).copy(),
                                    lc.last[a:b].copy())
        elif not joined:
            m.data.pop('_read_copy', None)
    for o, j, name, arr, q in p.cols:
        o.cols[name][j] = arr[q]
    w_last = AD[15]
    for o, j, w in p.init_cols:
        if not np.isnan(w_last[w]):
            o.cols['nInit'][j] = w_last[w]
    q = 0
    for el in p.adaptors:
        c = el.cols
        for i in range(el.num):
            c['outputValue'][i] = AD[5][q]
            c['_sum'][i] = AD[0][q]
            c['_count'][i] = AD[1][q]
            q += 1


def _adaptor_error(p, AD, a, w, value):
    """Raise the error the field raises for write *w* of Adaptor entry *a*
    (the kernel stopped before it): the write made as the hybrid loop
    makes it."""
    from .adaptor import _per_entry
    from .interpol import setter_attr
    q = 0
    for el in p.adaptors:
        sends = _per_entry(el, 'output')
        for i in range(el.num):
            if q == a:
                o, j, port = sends[i][w - int(AD[11][a])]
                setattr(o.handle(j), setter_attr(o, port), value)
                raise SolverError(f'{el.path}: the value {value!r} it sent on output was '
                                  f'refused by {o.path}')
            q += 1
