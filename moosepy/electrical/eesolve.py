"""Compartments and HHChannels that no HSolve takes, stepped in one kernel
call per chunk instead of one Python call per element per step.

MOOSE steps every scheduled compartment and channel, solved or not: a
cell loaded into ``/library`` (``moose.neuroml``, rdesigneur's
prototypes) and copied into ``/model`` under an HSolve keeps its
unsolved prototype running beside it, by exponential Euler, on ticks 3
and 4.  moosepy's per-element path (:meth:`CompartmentBase._process`,
:meth:`HHChannel._process`) costs ~15 us per element per step, so a
2243-compartment prototype with 4501 channels cost ~0.25 s of Python per
25 us step (100 s for 10 ms of simulation; MOOSE 0.9 s).  Here those
elements are compiled into one group and advanced by
:func:`moosepy.electrical.eekernels.advance`, with the per-element
path's arithmetic in its order, except that gate powers 1-4 are products
(x, x x, x x x, (x x)(x x)) as in MOOSE's HHChannel and the HSolve kernel
(the per-element path takes numpy's pow); results equal that path's to
round-off (exp and pow of numba and numpy may differ in the last bit).

What is taken: every set of scheduled, unsolved ``Compartment`` /
``SymCompartment`` and ``HHChannel`` elements joined by their messages
(axial links, compartment-channel links) that is *closed*: no message of
its elements goes anywhere else, except value requests (a Table's
``requestOut`` to ``getVm``...) from objects on a later tick, which read
after the whole step.  Its compartments must share one tick, its
channels another of the same dt.  Anything else (a PulseGen into a
compartment, a CaConc fed by a channel, a SpikeGen on VmOut, a
Ca-dependent channel fed by a pool, a compartment beside a solved one, a
Table on an earlier tick) leaves that set on the per-element path, as
before.

How: at ``reinit``, the first compartment or channel whose own reinit
the clock calls (after the HSolves have claimed their cells) finds the
sets from the schedule and the messages, once per structure version
(:mod:`moosepy.core.structure`), and every group then does its members'
reinit in bulk (``Group.reset``: what their own ``_reinit`` does); a
reinit with nothing structural changed compiles nothing.  A structure
changed between a reinit and a run is seen when the run starts (the
clock asks ``_batch_role``): the sets are found again and go on from the
values their fields hold.  The fields that the step reads or changes are
views of the group's arrays, so field reads and writes between runs act
on its state directly.  The first compartment of the group is its leader
(role 'solver': advanced in chunks, and Tables reading Vm, Im, Gk, Ik or
gate states are filled by the kernel); the other members are idle.  In a
run that goes step by step (other Python-stepped objects), the leader's
``_process`` advances the whole group one step at its place in the tick
order.  ``ENABLED = False`` turns the path off (for comparisons).

The group's channels are stepped at the compartments' firings (same dt;
nothing outside the group can see in between).  Measured (2-core
machine, CA1 prototype above, 2243 compartments, 4501 channels, 6759
gates): ~135 us per step in the kernel; finding the set and compiling it
~0.3 s, a bulk reinit ~0.03 s.
"""

import sys

import numpy as np

from ..core.structure import version
from .compartment import AXIAL_PORTS, CompartmentBase, Compartment, SymCompartment, \
    _nonfinite_vm, axial_links, sym_coeff, link_ra
from .hsolve_cells import _offsets
from .channels import ChanBase, HHChannel

#: take unsolved compartments and channels into compiled groups (False:
#: each element steps itself in Python, for comparisons)
ENABLED = True
#: groups compiled so far (for tests and benchmarks)
STATS = {'builds': 0}

_COMP_VIEWS = ('Vm', 'Cm', 'Rm', 'Em', 'inject', 'Im', '_chA', '_chB', '_inj', '_vs0', '_vs1',
               'initVm')
_CHAN_VIEWS = ('Gbar', 'Ek', 'Gk', 'Ik', 'modulation', '_Vm', '_conc', 'X', 'Y', 'Z',
               '_xset', '_yset', '_zset')
_PROBE_COMP = {'Vm': 0, 'Im': 1}
_PROBE_CHAN = {'Gk': 2, 'Ik': 3, 'X': 4, 'Y': 5, 'Z': 6}
_KIND = 1 << 32
_AXIAL = frozenset(AXIAL_PORTS) | {'sibling'}
_COMP_CLASSES = (Compartment, SymCompartment)
_TAKEN_CLASSES = frozenset((Compartment, SymCompartment, HHChannel))   # (see _kind)

_STATE = {'version': None, 'groups': [], 'reinit': None}


# ------------------------------------------------------------ the hooks
def role(el):
    """'solver' (the leader of a group), 'idle' (a member) or None (not
    taken) for a compartment or channel, when a run is planned."""
    _ensure()
    g = el.data.get('ee')
    if g is None or g.released:
        return None
    from ..core.clock import clock
    if not clock.running:
        g.step = clock.current_step
    return 'solver' if g.leader is el else 'idle'


def member(el):
    """The live group that steps *el*, or None."""
    g = el.data.get('ee')
    if g is None or g.released or _STATE['version'] != version():
        return None
    return g


def spec(el, idx, field):
    """(leader, flat probe index, scale) for a field the kernel changes and
    can record, or None."""
    g = member(el)
    if g is None:
        return None
    if issubclass(el.cls, CompartmentBase):
        k = _PROBE_COMP.get(field)
        off = g.coff
    else:
        k = _PROBE_CHAN.get(field)
        off = g.hoff
    if k is None or id(el) not in off:
        return None
    return g.leader, k * _KIND + off[id(el)] + idx, 1.0


def reinit_taken(el):
    """Called first thing by a compartment's or channel's own ``_reinit``:
    at the first such call of a ``reinit``, the groups are found again if
    the structure changed (the message lists the per-element path keeps are
    made for every candidate first) and every group does the reinit of its
    members in bulk.  True when *el* is one of them (its reinit is done)."""
    from ..core.clock import clock
    if not clock.in_reinit:
        return False
    if _STATE['reinit'] != clock.reinit_serial:
        _STATE['reinit'] = clock.reinit_serial
        v = version()
        if _STATE['version'] != v or not ENABLED:
            _release_all()
            # (turned off: found again when turned back on)
            _STATE['version'] = v if ENABLED else None
            if ENABLED:
                _prime(clock.schedule)
                _STATE['groups'] = find_groups(clock.schedule)
        for g in _STATE['groups']:
            g.reset()
            g.reset_serial = clock.reinit_serial
    g = el.data.get('ee')
    return g is not None and not g.released and g.reset_serial == clock.reinit_serial


def _ensure():
    """Groups for the current structure when a run starts (found again, from
    the values the fields hold, when it changed since the last reinit)."""
    v = version()
    if _STATE['version'] == v and ENABLED:
        return
    _release_all()
    _STATE['version'] = v if ENABLED else None
    if not ENABLED:
        return
    from ..core.clock import clock
    _STATE['groups'] = find_groups(clock.schedule)


def sync():
    """When the structure changed since the groups were found: give their
    columns back now (before a reinit's solvers compile, or a run that
    starts with every compartment solved); they are found again when their
    members next reinit or run."""
    if _STATE['groups'] and (_STATE['version'] != version() or not ENABLED):
        _release_all()
        _STATE['version'] = None


def _release_all():
    for g in _STATE['groups']:
        g.release()
    _STATE['groups'] = []


# ------------------------------------------------------------ finding sets
def _kind(el):
    """'comp' or 'chan' for an element this path may take, else None."""
    if not el.alive or el.num < 1 or el.data.get('hsolve') is not None:
        return None
    if el.cls in _COMP_CLASSES:
        return 'comp'
    if el.cls is HHChannel:
        return 'chan'
    return None


def _candidate(el):
    k = _kind(el)
    if k == 'comp':
        return 'axial' in el.data and 'sym_coeff' in el.data
    if k == 'chan':
        net = el.data.get('net')
        return net is not None and bool(net[1])
    return False


def _prime(schedule):
    """The message lists that the objects' own reinit makes (and the
    per-element path steps with), for every element this path may take."""
    for _t, els in schedule:
        for el in els:
            if el.cls not in _TAKEN_CLASSES or el.data.get('hsolve') is not None:
                continue        # (_kind's tests that rule most elements out, inline)
            k = _kind(el)
            if k == 'comp':
                ax = el.data['axial'] = axial_links(el)
                el.data['sym_coeff'] = sym_coeff(el, ax)
            elif k == 'chan' and (el.msg_in or el.msg_out):
                el.data['net'] = (HHChannel.active_gates(el), HHChannel._compartments(el))


def find_groups(schedule):
    """Compile the closed sets of unsolved compartments and channels of the
    *schedule* into groups (one per pair of ticks)."""
    from ..core.clock import clock
    cand = {}
    for _t, els in schedule:
        for el in els:
            if el.cls in _TAKEN_CLASSES and el.data.get('hsolve') is None and \
                    _candidate(el):
                cand[id(el)] = el
    if not cand:
        return []
    up = {k: k for k in cand}

    def find(k):
        while up[k] != k:
            up[k] = up[up[k]]
            k = up[k]
        return k

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            up[rb] = ra

    bad = set()
    readers = {}
    for k, el in cand.items():
        is_comp = el.cls in _COMP_CLASSES
        for m in el.msg_out + el.msg_in:
            if m.el1 is el:
                other, mine, theirs = m.el2, m.srcField, m.destField
            else:
                other, mine, theirs = m.el1, m.destField, m.srcField
            ko = id(other)
            if ko in cand:
                o_comp = other.cls in _COMP_CLASSES
                if is_comp and o_comp:
                    ok = mine in _AXIAL and theirs in _AXIAL
                elif is_comp != o_comp:
                    ok = mine == 'channel' and theirs == 'channel'
                else:
                    ok = False
                if ok:
                    union(k, ko)
                else:
                    bad.add(k)
            elif m.el1 is other and theirs == 'requestOut' and mine.startswith('get'):
                readers.setdefault(k, []).append(other)
            else:
                bad.add(k)
        # the lists the per-element path steps with (made at reinit)
        if is_comp:
            for other, *_ in el.data['axial']:
                if id(other) in cand:
                    union(k, id(other))
                else:
                    bad.add(k)
        else:
            for comp, *_ in el.data['net'][1]:
                if id(comp) in cand and comp.cls in _COMP_CLASSES:
                    union(k, id(comp))
                else:
                    bad.add(k)
    sets = {}
    for k in cand:
        sets.setdefault(find(k), []).append(cand[k])
    out = {}
    for root, els in sets.items():
        if any(id(e) in bad for e in els):
            continue
        comps = [e for e in els if e.cls in _COMP_CLASSES]
        chans = [e for e in els if e.cls is HHChannel]
        tc = {e.tick for e in comps}
        th = {e.tick for e in chans}
        if len(tc) != 1 or len(th) > 1:
            continue
        tc = tc.pop()
        th = th.pop() if th else None
        if th is not None and (th == tc or clock.strides.get(th) != clock.strides.get(tc)):
            continue
        last = max(tc, th if th is not None else tc)
        rd = [o for e in els for o in readers.get(id(e), ())]
        if any(0 <= o.tick < len(clock.dts) and clock.dts[o.tick] > 0 and o.tick <= last
               for o in rd):
            continue
        if not all(_gates_ok(e) for e in chans):
            continue
        key = (tc, th)
        c, h = out.setdefault(key, ([], []))
        c.extend(comps)
        h.extend(chans)
    groups = []
    order = {}
    for _t, els in schedule:
        for i, el in enumerate(els):
            order[id(el)] = (_t, i)
    for (tc, th), (comps, chans) in out.items():
        comps.sort(key=lambda e: order[id(e)])
        chans.sort(key=lambda e: order[id(e)])
        groups.append(Group(comps, chans, tc, th))
    return groups


def _gates_ok(el):
    gates = el.data['net'][0]
    for g, d, pw in gates:
        A, B = d['A'], d['B']
        if len(A) < 2 or len(B) != len(A) or not d['max'] > d['min'] or len(pw) != el.num:
            return False
    return True


def _power(s, p):
    """s ** p as MOOSE's channels (and the kernel) take it: x, x x, x x x,
    (x x)(x x) for the powers 1 to 4, pow otherwise, 1 where p is 0."""
    with np.errstate(invalid='ignore', over='ignore'):
        out = np.where(p > 0, s ** np.where(p > 0, p, 1.0), 1.0)
    for q, v in ((1.0, s), (2.0, s * s), (3.0, s * s * s), (4.0, (s * s) * (s * s))):
        out = np.where(p == q, v, out)
    return out


# ------------------------------------------------------------ the group
class Group:
    """The compiled state of one closed set: arrays handed to the kernel,
    and the views the elements' columns are."""

    def __init__(self, comps, chans, tc, th):
        from ..core.clock import clock
        STATS['builds'] += 1
        self.released = False
        self.comps, self.chans = comps, chans
        self.tc, self.th = tc, th
        self.leader = comps[0]
        self.step = clock.current_step
        self.reset_serial = None
        self.coff, nc = _offsets(comps)
        self.hoff, nh = _offsets(chans)
        self._views = []
        self.carr = self._view(comps, _COMP_VIEWS, nc)
        self.harr = self._view(chans, _CHAN_VIEWS, nh)
        self._links(comps, nc)
        self._gates(chans, nh)
        for el in comps + chans:
            el.data['ee'] = self

    def _view(self, els, names, n):
        arrs = {}
        single = all(el.num == 1 for el in els)
        for name in names:
            if els:
                arr = np.concatenate([el.cols[name] for el in els]).astype(
                    bool if name.endswith('set') else float)
            else:
                arr = np.zeros(0)
            arrs[name] = arr
            if single:
                for el, v in zip(els, arr.reshape(-1, 1)):
                    el.cols[name] = v
            else:
                off = 0
                for el in els:
                    el.cols[name] = arr[off:off + el.num]
                    off += el.num
        self._views.append((els, arrs))
        return arrs

    def _links(self, comps, nc):
        """Axial conductances as the per-element step computes them (Ra is
        structure: fixed while the group lives), rows in its order."""
        rows, nbs, ras = [], [], []
        coff = self.coff
        for el in comps:
            o = coff[id(el)]
            c = el.cols
            coeff = el.data['sym_coeff']
            for other, mine, theirs, parent_side, sym in el.data['axial']:
                oo = coff[id(other)]
                ra = link_ra(c['Ra'], other, mine, theirs, parent_side, sym, coeff)
                if len(mine) == 1:
                    rows.append(o + int(mine[0]))
                    nbs.append(oo + int(theirs[0]))
                    ras.append(float(ra[0]))
                else:
                    rows.extend((o + np.asarray(mine, dtype=np.int64)).tolist())
                    nbs.extend((oo + np.asarray(theirs, dtype=np.int64)).tolist())
                    ras.extend(np.broadcast_to(ra, np.shape(mine)).tolist())
        r = np.asarray(rows, dtype=np.int64)
        ra = np.asarray(ras, dtype=float)
        with np.errstate(over='ignore', divide='ignore'):
            g = np.where(ra > 0, 1.0 / np.where(ra > 0, ra, 1.0), 0.0)
        srt = np.argsort(r, kind='stable')
        self.ln = np.asarray(nbs, dtype=np.int64)[srt]
        self.lg = np.ascontiguousarray(g[srt])
        self.lp = np.searchsorted(r[srt], np.arange(nc + 1)).astype(np.int64)

    def _gates(self, chans, nh):
        """Compartment entries and gates of every channel entry; the gate
        tables once each (copies of a channel share them)."""
        rows, cs = [], []
        g_rows, gw, gtab, gn, glo, ghi, gsc, gint, gpow, ginst, gconc = ([] for _ in range(11))
        tabs = {}
        ta, tb = [], []
        ntab = 0
        for el in chans:
            o = self.hoff[id(el)]
            gates, comps = el.data['net']
            for comp, mine, theirs in comps:
                rows.append(o + np.asarray(mine, dtype=np.int64))
                cs.append(self.coff[id(comp)] + np.asarray(theirs, dtype=np.int64))
            inst = el.cols['instant']
            usec = el.cols['useConcentration']
            for i in range(el.num):
                for g, d, pw in gates:
                    A, B = d['A'], d['B']
                    key = (id(A), id(B))
                    if key not in tabs:
                        tabs[key] = ntab
                        ta.append(np.asarray(A, dtype=float))
                        tb.append(np.asarray(B, dtype=float))
                        ntab += len(A)
                    n = len(A) - 1
                    lo, hi = d['min'], d['max']
                    w = 'XYZ'.index(g)
                    g_rows.append(o + i)
                    gw.append(w)
                    gtab.append(tabs[key])
                    gn.append(n)
                    glo.append(lo)
                    ghi.append(hi)
                    gsc.append(n / (hi - lo))
                    gint.append(bool(d['interp']))
                    gpow.append(float(pw[i]))
                    ginst.append((int(inst[i]) & (1 << w)) != 0)
                    gconc.append(g == 'Z' and usec[i] != 0)
        if rows:
            r = np.concatenate(rows)
            srt = np.argsort(r, kind='stable')
            self.cc = np.concatenate(cs)[srt]
            r = r[srt]
        else:
            r = np.zeros(0, dtype=np.int64)
            self.cc = np.zeros(0, dtype=np.int64)
        self.cp = np.searchsorted(r, np.arange(nh + 1)).astype(np.int64)
        gr = np.asarray(g_rows, dtype=np.int64)
        self.gp = np.searchsorted(gr, np.arange(nh + 1)).astype(np.int64)
        self.gw = np.asarray(gw, dtype=np.int64)
        self.gtab = np.asarray(gtab, dtype=np.int64)
        self.gn = np.asarray(gn, dtype=np.int64)
        self.glo = np.asarray(glo, dtype=float)
        self.ghi = np.asarray(ghi, dtype=float)
        self.gsc = np.asarray(gsc, dtype=float)
        self.gint = np.asarray(gint, dtype=np.bool_)
        self.gpow = np.asarray(gpow, dtype=float)
        self.ginst = np.asarray(ginst, dtype=np.bool_)
        self.gconc = np.asarray(gconc, dtype=np.bool_)
        self.tabA = np.concatenate(ta) if ta else np.zeros(1)
        self.tabB = np.concatenate(tb) if tb else np.zeros(1)

    # -------------------------------------------------------- reinit
    def reset(self):
        """The members' own reinit, in bulk, in their tick order:
        compartments Vm = initVm with the currents cleared; channels with
        their gates at the steady state at their compartment's Vm (or the
        concentration) unless set by the user, Gk, Ik, and Gk, Gk Ek
        delivered for the compartments' first step."""
        from ..core.clock import clock
        if self.th is None or self.tc < self.th:
            self._reset_comps()
            self._reset_chans()
        else:
            self._reset_chans()
            self._reset_comps()
        self.step = clock.current_step

    def _reset_comps(self):
        c = self.carr
        for k in ('Vm', '_vs0', '_vs1'):
            c[k][:] = c['initVm']
        for k in ('_chA', '_chB', '_inj', 'Im'):
            c[k][:] = 0.0

    def _reset_chans(self):
        h, c = self.harr, self.carr
        nh = len(h['Gbar'])
        if not nh:
            return
        vm = h['_Vm']
        has = self.cp[1:] > self.cp[:-1]
        vm[has] = c['Vm'][self.cc[self.cp[1:][has] - 1]]
        state = (h['X'], h['Y'], h['Z'])
        keep = (h['_xset'], h['_yset'], h['_zset'])
        ng = np.diff(self.gp)
        gk = h['Gbar'] * h['modulation']
        for j in range(int(ng.max()) if len(ng) else 0):
            chs = np.nonzero(ng > j)[0]
            k = self.gp[chs] + j
            w = self.gw[k]
            x = np.where(self.gconc[k], h['_conc'][chs], vm[chs])
            A, B = self._lookup(k, x)
            with np.errstate(divide='ignore', invalid='ignore'):
                ss = np.where(B != 0, A / np.where(B != 0, B, 1.0), 0.0)
            for wi in range(3):
                m = w == wi
                if m.any():
                    i = chs[m]
                    state[wi][i] = np.where(keep[wi][i], state[wi][i], ss[m])
        for j in range(int(ng.max()) if len(ng) else 0):
            chs = np.nonzero(ng > j)[0]
            k = self.gp[chs] + j
            w = self.gw[k]
            s = np.choose(w, [state[0][chs], state[1][chs], state[2][chs]])
            gk[chs] = gk[chs] * _power(s, self.gpow[k])
        h['Gk'][:] = gk
        rows = np.repeat(np.arange(nh), np.diff(self.cp))
        np.add.at(c['_chA'], self.cc, gk[rows] * h['Ek'][rows])
        np.add.at(c['_chB'], self.cc, gk[rows])
        h['Ik'][:] = gk * (h['Ek'] - vm)

    def _lookup(self, k, x):
        """A, B of gates *k* at *x*, as channels.gate_lookup."""
        lo, hi, n, o = self.glo[k], self.ghi[k], self.gn[k], self.gtab[k]
        u = (np.clip(x, lo, hi) - lo) * self.gsc[k]
        i = u.astype(np.int64)
        interp = self.gint[k]
        i = np.where(interp, np.minimum(i, n - 1), np.minimum(i, n))
        f = u - i
        j = np.where(interp, i + 1, i)
        A, B = self.tabA, self.tabB
        return (np.where(interp, A[o + i] + f * (A[o + j] - A[o + i]), A[o + i]),
                np.where(interp, B[o + i] + f * (B[o + j] - B[o + i]), B[o + i]))

    # -------------------------------------------------------- running
    def advance_to(self, t_end, requests):
        """Step the group to the clock's step at *t_end* [s], filling the
        *requests* of the tables that read it (see core.clock)."""
        from ..core.clock import clock, step_times
        from . import eekernels
        base = clock.base_dt
        s_end = int(round(t_end / base))
        k = clock.strides.get(self.tc, 1)
        first = (self.step // k + 1) * k
        fires = np.arange(first, s_end + 1, k, dtype=np.int64)
        nf = len(fires)
        if s_end <= self.step:
            nf = 0
            fires = fires[:0]
        s0 = self.step
        times = step_times(s0, max(0, s_end - s0))
        tf = times[fires - s0 - 1] if nf else np.zeros(0)
        dtc = float(clock.dts[self.tc])
        dth = float(clock.dts[self.th]) if self.th is not None else dtc
        parity = (np.rint(tf / dtc).astype(np.int64) % 2) if nf else np.zeros(0, np.int64)
        if requests:
            cnts, flats = [], []
            for _tab, _st, state_t, specs in requests:
                sl = np.rint(np.asarray(state_t) / base).astype(np.int64)
                cnts.append(np.searchsorted(fires, sl, side='right'))
                flats.extend(f for f, _ in specs)
            rows = np.unique(np.concatenate(cnts))
            flats = np.unique(np.asarray(flats, dtype=np.int64))
            kind = (flats // _KIND).astype(np.int64)
            idx = (flats % _KIND).astype(np.int64)
            rec = np.zeros((len(rows), len(flats)))
        else:
            rows = kind = idx = np.zeros(0, dtype=np.int64)
            rec = np.zeros((0, 0))
        c, h = self.carr, self.harr
        done, bad, _r = eekernels.advance(
            nf, parity, int(self.th is None or self.tc < self.th), dtc, dth,
            c['Vm'], c['Cm'], c['Rm'], c['Em'], c['inject'], c['Im'], c['_chA'], c['_chB'],
            c['_inj'], c['_vs0'], c['_vs1'], self.lp, self.ln, self.lg,
            h['Gbar'], h['Ek'], h['Gk'], h['Ik'], h['modulation'], h['_Vm'], h['_conc'],
            h['X'], h['Y'], h['Z'], self.cp, self.cc,
            self.gp, self.gw, self.gtab, self.gn, self.glo, self.ghi, self.gsc, self.gint,
            self.gpow, self.ginst, self.gconc, self.tabA, self.tabB,
            rows, kind, idx, rec)
        if bad >= 0:
            self.step = int(fires[done])
            for el in self.comps:
                o = self.coff[id(el)]
                if o <= bad < o + el.num:
                    _nonfinite_vm(el, el.cols['Vm'], float(tf[done]), dtc)
        self.step = max(self.step, s_end)
        for tab, st, state_t, specs in requests:
            sl = np.rint(np.asarray(state_t) / base).astype(np.int64)
            rr = np.searchsorted(rows, np.searchsorted(fires, sl, side='right'))
            vals = np.empty((len(st), len(specs)))
            for col, (flat, scale) in enumerate(specs):
                vals[:, col] = rec[rr, np.searchsorted(flats, flat)] * scale
            tab.cls._record_batch(tab, st, vals)

    def release(self):
        """Give every element its own columns back (values kept)."""
        if self.released:
            return
        self.released = True
        for els, arrs in self._views:
            for name, arr in arrs.items():
                for el in els:
                    col = el.cols.get(name)
                    if col is not None and col.base is arr:
                        el.cols[name] = np.array(col)
        for el in self.comps + self.chans:
            if el.data.get('ee') is self:
                del el.data['ee']


# the classes reach this module through these hooks (they never import it)
CompartmentBase.unsolved = sys.modules[__name__]
ChanBase.unsolved = CompartmentBase.unsolved

__all__ = ['ENABLED', 'STATS', 'role', 'member', 'spec', 'reinit_taken', 'sync',
           'find_groups', 'Group']
