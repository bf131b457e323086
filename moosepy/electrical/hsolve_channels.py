"""HSolve's builders of channels and gates, calcium pools and pulse
generators (:class:`ChannelBuilder`, part of the group): gate instances
in blocks with tables shared by identity, the Ca pools the channels feed
and read, free-running PulseGens into solved compartments, and
HHChannel2Ds stepped in the kernel.
"""

import numpy as np

from ..core.errors import SolverError
from ..core.msg import links
from .compartment import CompartmentBase
from .hsolve_cells import _pairs, _columns, _gather, _offsets


def _pg_absorbable(el, off):
    from .stimuli import FREE_RUN
    if np.any(el.cols['trigMode'] != FREE_RUN):
        return False
    ls = links(el, 'output')
    if not ls:
        return False
    for other, oport, m, fwd in ls:
        if not fwd or oport != 'injectMsg' or id(other) not in off:
            return False
    return True


def _usable(A, B, lo, hi):
    """Whether gate tables A, B over [lo, hi] can be looked up."""
    return len(A) >= 2 and len(B) == len(A) and hi > lo


def _gate_reads(chan_els, cols, el_start, nums):
    """The gates the channels use, each read once, for each channel element
    k (with entries) and gate j (0-2 for X, Y, Z) with a power > 0 on its
    first entry, in gate order, then element order: columns (k, j, data,
    A, B, min, max, usable) as lists; data, A and B are None where the
    gate is missing."""
    K, J, D, As, Bs, LO, HI, OK = [], [], [], [], [], [], [], []
    has = nums > 0
    for j, g in enumerate('XYZ'):
        pw0 = np.zeros(len(chan_els))
        pw0[has] = cols[g + 'power'][el_start[has]]
        name = 'gate' + g
        ks = np.nonzero(pw0 > 0)[0].tolist()
        K.extend(ks)
        J.extend([j] * len(ks))
        for k in ks:
            ge = chan_els[k].children.get(name)
            if ge is None:
                D.append(None)
                As.append(None)
                Bs.append(None)
                LO.append(0.0)
                HI.append(0.0)
                OK.append(False)
                continue
            d = ge.data
            A, B, lo, hi = d['A'], d['B'], d['min'], d['max']
            D.append(d)
            As.append(A)
            Bs.append(B)
            LO.append(lo)
            HI.append(hi)
            OK.append(_usable(A, B, lo, hi))
    return K, J, D, As, Bs, LO, HI, OK


def _cell_grids(cells, reads, conc_el):
    """(per read gate: index of its grid, [grids]) from the gates *reads* of
    :func:`_gate_reads`, a grid per cell and kind: MOOSE's HSolve looks
    every gate of a cell up in one table per kind (voltage; concentration
    for a Z gate with useConcentration), spanning the smallest min to the
    largest max of the cell's gates of that kind with their smallest step:
    divisions int(span / step + 0.5), a grid (min, max, divisions); None
    where the cell has no usable gate of the kind.  The channel elements
    are the cells' chan_els laid end to end; *conc_el* says which use a
    concentration."""
    K, J, _D, As, _Bs, LO, HI, OK = reads
    cell_of = np.repeat(np.arange(len(cells)), [len(c.chan_els) for c in cells])
    k = np.array(K, dtype=np.int64)
    kind = (np.array(J, dtype=np.int64) == 2) & conc_el[k]
    which = cell_of[k] * 2 + kind
    ok = np.array(OK, dtype=bool)
    lo, hi = np.array(LO, dtype=float)[ok], np.array(HI, dtype=float)[ok]
    n = np.array([len(A) for A, y in zip(As, OK) if y], dtype=float)
    ng = 2 * len(cells)
    gmin, gmax, gdx = np.full(ng, np.inf), np.full(ng, -np.inf), np.full(ng, np.inf)
    w = which[ok]
    np.minimum.at(gmin, w, lo)
    np.maximum.at(gmax, w, hi)
    np.minimum.at(gdx, w, (hi - lo) / (n - 1))
    grids = [(float(a), float(b), int((b - a) / dx + 0.5)) if np.isfinite(dx) else None
             for a, b, dx in zip(gmin.tolist(), gmax.tolist(), gdx.tolist())]
    return which, grids


def _resample(d, grid):
    """Gate tables *d* at the points min + i·(max - min)/divs of *grid*, as
    MOOSE's HSolve fills its table: the gate's own interpolated lookup
    (the end values outside its range)."""
    lo, hi, n = grid
    A, B = np.asarray(d['A'], dtype=float), np.asarray(d['B'], dtype=float)
    x = lo + ((hi - lo) / n) * np.arange(n + 1)
    gmin, gmax = d['min'], d['max']
    inv = (len(A) - 1) / (gmax - gmin)
    inside = (x > gmin) & (x < gmax)
    xi = np.where(inside, x, gmin)
    i = np.minimum(((xi - gmin) * inv).astype(np.int64), len(A) - 2)
    f = (xi - gmin - i / inv) * inv
    a = A[i] * (1 - f) + A[i + 1] * f
    b = B[i] * (1 - f) + B[i + 1] * f
    a = np.where(inside, a, np.where(x <= gmin, A[0], A[-1]))
    b = np.where(inside, b, np.where(x <= gmin, B[0], B[-1]))
    return a, b, lo, hi


class _Tables:
    """Gate tables laid end to end, each once (copies of a channel share
    their prototype's tables by identity).  As MOOSE's HSolve, a gate whose
    grid is not its cell's common grid of its kind (see _cell_grids) is
    resampled onto that grid, so both interpolate the same points."""

    def __init__(self):
        self.ids = {}
        self.A, self.B, self.off, self.n, self.min, self.inv, self.max = \
            [], [], [], [], [], [], []
        self.total = 0

    def id(self, el, g, d, power, grid):
        """Table id of gate *g* (data *d*, None when missing) of channel
        element *el* on *grid* (its cell's grid of the gate's kind); raises
        for a gate with a power but no usable tables."""
        key = None
        if d is not None:
            A, B, lo, hi = d['A'], d['B'], d['min'], d['max']
            if grid is not None and grid == (lo, hi, len(A) - 1):
                grid = None                  # MOOSE takes the gate's own table
            key = (id(A), id(B), lo, hi, grid)
        tid = self.ids.get(key)
        if tid is not None:
            return tid
        if d is None or not _usable(A, B, lo, hi):
            raise SolverError(
                f'{el.path} ({el.cls.__name__}): {g}power = {power} but gate{g} has no '
                f'usable tables (need tableA and tableB of equal length >= 2 and max > '
                f'min; use setupAlpha, setupTau, tableA/tableB or fillFromExpr)')
        if grid is None:
            a, b = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
        else:
            a, b, lo, hi = _resample(d, grid)
        tid = self.ids[key] = len(self.off)
        self.A.append(a)
        self.B.append(b)
        self.off.append(self.total)
        self.n.append(len(a) - 1)
        self.min.append(lo)
        self.inv.append((len(a) - 1) / (hi - lo))
        self.max.append(hi)
        self.total += len(a)
        return tid

    def arrays(self):
        """(tabA, tabB, offsets, divisions, min, 1/step) for the kernel, and
        the maxima."""
        return ((np.concatenate(self.A) if self.A else np.zeros(1),
                 np.concatenate(self.B) if self.B else np.zeros(1),
                 np.array(self.off, dtype=np.int64), np.array(self.n, dtype=np.int64),
                 np.array(self.min, dtype=float), np.array(self.inv, dtype=float)),
                np.array(self.max, dtype=float))


def _gate_instances(chan_els, cols, cells, fresh):
    """Gate instances, ordered by channel element, then gate (X, Y, Z),
    then entry: (channel entry, gate 0-2, table id, power, state, kept by
    the user), and the gate tables (:class:`_Tables`).  Each gate is read
    once (:func:`_gate_reads`); states are read only where kept, or on a
    rebuild."""
    nums = np.array([el.num for el in chan_els], dtype=np.int64)
    el_start = np.concatenate([[0], np.cumsum(nums)[:-1]]).astype(np.int64)
    ent_el = np.repeat(np.arange(len(chan_els)), nums)
    has_ent = nums > 0
    conc_el = np.zeros(len(chan_els), dtype=bool)
    if 'useConcentration' in cols:
        conc_el[has_ent] = cols['useConcentration'][el_start[has_ent]] != 0
    for g in 'XYZ':
        has = cols[g + 'power'] > 0
        if not has.any():
            continue
        anyp = np.logical_or.reduceat(has, el_start)
        allp = np.logical_and.reduceat(has, el_start)
        bad = has_ent & anyp & ~allp
        if np.any(bad):
            el = chan_els[int(np.nonzero(bad)[0][0])]
            raise SolverError(f'{el.path}: gate {g} has a power on some entries only; '
                              f'give all entries the same gates')
    reads = _gate_reads(chan_els, cols, el_start, nums)
    which, grids = _cell_grids(cells, reads, conc_el)
    tables = _Tables()
    tid_el = np.full((3, len(chan_els)), -1, dtype=np.int64)
    K, J, D, As, Bs, LO, HI, OK = reads
    if K:
        # the gates grouped by (tables, min, max, cell and kind) with array
        # operations; _Tables.id is asked once per group, in the order of
        # the groups' first gates (so the table ids are those of asking it
        # gate by gate: most gates are copies of a few prototypes' tables)
        nr = len(K)
        miss = [i for i, d in enumerate(D) if d is None]
        idA = np.fromiter(map(id, As), dtype=np.int64, count=nr)
        idB = np.fromiter(map(id, Bs), dtype=np.int64, count=nr)
        lo, hi = np.array(LO, dtype=float), np.array(HI, dtype=float)
        idA[miss] = -1 - np.arange(len(miss))      # (a missing gate: its own group)
        order = np.lexsort((which, hi, lo, idB, idA))
        key = np.stack([idA[order], idB[order], lo[order].view(np.int64),
                        hi[order].view(np.int64), which[order]])
        new = np.ones(nr, dtype=bool)
        new[1:] = (key[:, 1:] != key[:, :-1]).any(axis=0)
        grp = np.empty(nr, dtype=np.int64)
        grp[order] = np.cumsum(new) - 1
        firsts = np.sort(order[new])
        gtid = np.empty(len(firsts), dtype=np.int64)
        for i in firsts.tolist():
            k, g = K[i], 'XYZ'[J[i]]
            gtid[grp[i]] = tables.id(chan_els[k], g, D[i], cols[g + 'power'][el_start[k]],
                                     grids[which[i]])
        tid_el[J, K] = gtid[grp]
    Cs, Js, Ts, Ps, Ss, Ks = [], [], [], [], [], []
    for j, g in enumerate('XYZ'):
        pw = cols[g + 'power']
        c = np.nonzero(pw > 0)[0]
        if not len(c):
            continue
        kp = cols['_' + g.lower() + 'set'][c] != 0
        Cs.append(c)
        Js.append(np.full(len(c), j))
        Ts.append(tid_el[j][ent_el[c]])
        Ps.append(pw[c])
        Ks.append(kp)
        Ss.append(_gather(chan_els, g)[c] if (not fresh or kp.any()) else np.zeros(len(c)))
    if not Cs:
        z = np.zeros(0, dtype=np.int64)
        return (z, z, z, np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.bool_)), tables
    C, J = np.concatenate(Cs), np.concatenate(Js)
    order = np.lexsort((C, J, ent_el[C]))
    return (C[order].astype(np.int64), J[order], np.concatenate(Ts)[order].astype(np.int64),
            np.concatenate(Ps)[order].astype(float), np.concatenate(Ss)[order].astype(float),
            np.concatenate(Ks)[order].astype(np.bool_)), tables


def _row_grids(tabs, ch_pos, n, gi_ch, gi_tab, gi_src, starts, qc):
    """(blk_row, node_gmin, node_ginv, node_gn) for the kernel: each node's
    voltage grid (that of the first voltage gate at the node; MOOSE's HSolve
    puts every voltage gate of a cell on one grid, see _cell_grids) and,
    per block, whether all its gates use their node's grid (then the
    kernel finds each node's table row once per step, not once per gate:
    the same arithmetic, so the same values)."""
    _tabA, _tabB, _toff, tn, tmin, tinv = tabs
    gmin = np.zeros(n)
    ginv = np.zeros(n)
    gn = np.zeros(n, dtype=np.int64)
    nblk = len(starts)
    row = np.zeros(nblk, dtype=np.bool_)
    volt = np.nonzero(gi_src < 0)[0]
    if len(volt):
        node = ch_pos[gi_ch[volt]]
        first = np.unique(node, return_index=True)[1]
        tab = gi_tab[volt][first]
        nd = node[first]
        gmin[nd], ginv[nd], gn[nd] = tmin[tab], tinv[tab], tn[tab]
        ends = np.r_[starts[1:], len(gi_ch)]
        for bk in range(nblk):
            q = qc[0, starts[bk]:ends[bk]]
            if (gi_src[q] >= 0).any():
                continue
            t = gi_tab[q[0]]
            nq = ch_pos[gi_ch[q]]
            row[bk] = bool((gmin[nq] == tmin[t]).all() and (ginv[nq] == tinv[t]).all()
                           and (gn[nq] == tn[t]).all())
    return row, gmin, ginv, gn


def _blocks(gi_ch, gi_j, gi_tab, gi_pow, gi_inst, gi_src):
    """The kernel's blocks of gate instances: (starts, (2, n) array of the
    instances' indices and their channels in block order).  A block holds
    every instance of one gate (X, Y, Z) with equal table, power, instant
    flag and source kind, over all channel elements (a cell built one
    element per compartment has as many Na elements as compartments: one
    block each made the kernel's per-block work the cost of every gate).
    Blocks go in gate order, X before Y before Z, so each channel's
    conductance is multiplied by its gates in the same order as before."""
    n = len(gi_ch)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros((2, 0), dtype=np.int64)
    src = (gi_src >= 0).astype(np.int64)
    order = np.lexsort((np.arange(n), src, gi_inst.astype(np.int64), gi_pow, gi_tab, gi_j))
    key = np.stack([gi_j[order], gi_tab[order], gi_pow[order],
                    gi_inst[order].astype(float), src[order]])
    new = np.ones(n, dtype=bool)
    new[1:] = (key[:, 1:] != key[:, :-1]).any(axis=0)
    qc = np.stack([order, gi_ch[order]]).astype(np.int64)
    return np.nonzero(new)[0], qc


class ChannelBuilder:
    """Part of the group: channels, gates, Ca pools, pulses, 2-D channels."""

    def _find_2d(self, comp_els, off, clock):
        """[(HHChannel2D element, compartment node of each entry, Ca pool of
        each concentration input, gate input names)] the kernel can take."""
        from .channels import HHChannel2D
        from .hsolve import ABSORB_SYNAPSES
        dt = self.dt
        place = here = None
        els, seen = [], set()
        for ce in (comp_els if ABSORB_SYNAPSES else ()):
            for other, oport, m, fwd in links(ce, 'channel'):
                if not issubclass(other.cls, HHChannel2D) or id(other) in seen:
                    continue
                seen.add(id(other))
                if place is None:       # (made only for a cell with 2-D channels)
                    place = self._places()
                    here = place.get(id(self.leader))
                if other.tick < 0 or abs(clock.dts[other.tick] - dt) > 1e-9 * dt or \
                        place.get(id(other)) is None or here is None or \
                        not place[id(other)] < here or links(other, 'IkOut'):
                    continue
                found = self._take_2d(other, off)
                if found is not None:
                    els.append(found)
        return els

    def _take_2d(self, el, off):
        """(el, nodes, sources, names) when every entry sits on one solved
        compartment and the concentrations its gates use come from pools of
        the group; else None."""
        from .channels import HHChannel2D
        node = np.full(el.num, -1, dtype=np.int64)
        for comp, mine, theirs in HHChannel2D._compartments(el):
            if id(comp) not in off or np.any(node[mine] >= 0):
                return None
            node[mine] = off[id(comp)] + theirs
        srcs = {}
        for port in ('concen', 'concen2'):
            src = np.full(el.num, -1, dtype=np.int64)
            for o2, op2, m2, fw2 in links(el, port):
                if fw2 or op2 != 'concOut' or id(o2) not in self.caoff:
                    return None
                a, b = m2.pairs()
                src[np.asarray(b)] = self.caoff[id(o2)] + np.asarray(a)
            srcs[port] = src
        if np.any(node < 0):
            return None
        if any(not el.cols[g + 'index'][0] and np.any(el.cols[g + 'power'] > 0)
               for g in 'XYZ'):
            return None         # an index never set: stepped in Python (looked up at 0, 0)
        names = [el.cols[g + 'index'][0].replace('_INDEX', '').split('_') for g in 'XYZ']
        need = {n for g, nm in zip('XYZ', names) if np.any(el.cols[g + 'power'] > 0)
                for n in nm}
        if ('C1' in need and np.any(srcs['concen'] < 0)) or \
                ('C2' in need and np.any(srcs['concen2'] < 0)):
            return None
        HHChannel2D._gates(el)          # raises for gates without tables
        return el, node, srcs, names

    def _build_ca(self, ca_els, own_ids=()):
        self.caoff, nca = _offsets(ca_els)
        # pools on their own tick (hsolve_cells._ca_pools), per entry
        own = np.zeros(nca, dtype=np.bool_)
        for el in ca_els:
            if id(el) in own_ids:
                own[self.caoff[id(el)]:self.caoff[id(el)] + el.num] = True
        self.ca_own = own
        arrs = _columns(ca_els, self._CA_VIEWS)
        self.ca_arrays = arrs
        self._view(ca_els, self.caoff, arrs)

    def _build_channels(self, chan_els, off, fresh):
        """HHChannels: the compartment of each entry, the Ca pool of its
        concentration gate, currents into pools, gate instances in blocks,
        gate tables shared by identity."""
        self.choff, nch = _offsets(chan_els)
        ch_node, conc_src, ca_in_ch, ca_in_pool = self._channel_links(chan_els, off)
        # (at a fresh build Gk and Ik start from 0, as MOOSE's HSolve setup;
        # a channel this HSolve solved before keeps its last Gk, as MOOSE's
        # HSolve, built once, keeps it over reinits)
        from .channels import HHChannel
        state = HHChannel.solver_columns['state']
        need = [k for k in self._CHAN_FIELDS if not (fresh and k in state)]
        cols = _columns(chan_els, need + ['useConcentration', 'instant', 'Xpower', 'Ypower',
                                          'Zpower', '_xset', '_yset', '_zset'])
        arrs = {k: cols[k] if k in cols else np.zeros(nch) for k in self._CHAN_FIELDS}
        if fresh:
            for el in chan_els:
                hs = el.data.get('hsolve')
                if hs is not None and el.data.get('hsolve_gk_of') is hs:
                    o = self.choff[id(el)]
                    arrs['Gk'][o:o + el.num] = el.cols['Gk']
                el.data['hsolve_gk_of'] = hs
        (gi_ch, gi_j, gi_tab, gi_pow, S, keep), tables = _gate_instances(chan_els, cols,
                                                                          self.cells, fresh)
        ent_el = np.repeat(np.arange(len(chan_els)), [el.num for el in chan_els])
        gi_inst = (cols['instant'].astype(np.int64)[gi_ch] & (1 << gi_j)) != 0
        zc = (gi_j == 2) & (cols['useConcentration'] != 0)[gi_ch]
        if np.any(zc & (conc_src[gi_ch] < 0)):
            el = chan_els[int(ent_el[gi_ch[np.nonzero(zc & (conc_src[gi_ch] < 0))[0][0]]])]
            raise SolverError(f'{el.path} ({el.cls.__name__}): useConcentration is set but no '
                              f'CaConc sends "concOut" to its "concen"')
        gi_src = np.where(zc, conc_src[gi_ch], -1).astype(np.int64)
        # the first instance of each (channel element, gate)
        ngi = len(gi_ch)
        firsts = np.nonzero(np.r_[True, (ent_el[gi_ch[1:]] != ent_el[gi_ch[:-1]]) |
                                  (gi_j[1:] != gi_j[:-1])])[0] if ngi else np.zeros(0, int)
        fk, fj, fo = ent_el[gi_ch[firsts]].tolist(), gi_j[firsts].tolist(), firsts.tolist()
        fel = [chan_els[k] for k in fk]
        gch = ['XYZ'[j] for j in fj]
        starts, qc = _blocks(gi_ch, gi_j, gi_tab, gi_pow, gi_inst, gi_src)
        bq = qc[0][starts]
        self._gate_firsts = (fel, fj, fo)
        self._gateoff = None
        self.gates = (gi_ch, gi_tab, gi_pow, gi_src, keep)
        self.chan = (self.posof[ch_node], arrs['Gbar'], arrs['Ek'], arrs['modulation'],
                     arrs['Gk'], arrs['Ik'], S, gi_src,
                     np.r_[starts, ngi].astype(np.int64), qc,
                     gi_tab[bq].astype(np.int64), gi_pow[bq].astype(float),
                     gi_inst[bq].astype(np.bool_), (gi_src[bq] >= 0).astype(np.bool_))
        self.ch_store = ch_node
        self.tabs, self.tmax = tables.arrays()
        self.chan += _row_grids(self.tabs, self.posof[ch_node], len(self.posof), gi_ch,
                                gi_tab, gi_src, starts, qc)
        ca = self.ca_arrays
        self.ca = (ca['Ca'], ca['Ca_base'], ca['tau'], ca['B'], ca['ceiling'], ca['floor'],
                   np.array(ca_in_ch, dtype=np.int64), np.array(ca_in_pool, dtype=np.int64),
                   ca['_act'], self.ca_own, np.zeros(len(ca['Ca'])))
        self._view(chan_els, self.choff, {k: arrs[k] for k in state})
        self._hooked.update({k: arrs[k] for k in self._CHAN_HOOKED})
        self._hooked.update(X=keep, Y=keep, Z=keep)
        self._hook(chan_els)
        # gate states as views (the elements' own columns kept, as _view)
        cs = [el.cols for el in fel]
        own = [c.get(g) for c, g in zip(cs, gch)]
        if all(el.num == 1 for el in fel):
            rows = list(S.reshape(-1, 1))        # (~0.1 us a view, against 0.3 sliced)
            for c, g, go in zip(cs, gch, fo):
                c[g] = rows[go]
        else:
            for el, c, g, go in zip(fel, cs, gch, fo):
                c[g] = S[go:go + el.num]
        self._viewed.append(((fel, gch), None, own))

    @property
    def gateoff(self):
        """{(id(channel element), gate 0-2): its first gate instance}, made
        at the first ask (a gate state set between runs, a Table reading
        one): 12,000 keys for a 4000-compartment HH cell that most runs
        never look at."""
        d = self._gateoff
        if d is None:
            fel, fj, fo = self._gate_firsts
            d = self._gateoff = dict(zip(zip(map(id, fel), fj), fo))
        return d

    def _channel_links(self, chan_els, off):
        """(compartment node of each channel entry, Ca pool of its
        concentration or -1, and the (channel, pool) pairs of currents into
        pools), read from each channel's messages once (the entries and
        nodes gathered in lists, put in arrays once)."""
        choff, caoff = self.choff, self.caoff
        nch = sum(el.num for el in chan_els)
        ch_node = np.full(nch, -1, dtype=np.int64)
        conc_src = np.full(nch, -1, dtype=np.int64)
        node_i, node_v, conc_i, conc_v = [], [], [], []
        ca_in_ch, ca_in_pool = [], []
        ports = ('channel', 'concen', 'IkOut')
        for el in chan_els:
            o = choff[id(el)]
            # (without _scan's dict: out, then in; the order within a port
            # is _scan's)
            ls = [(m.srcField, m.el2, m.destField, m, True) for m in el.msg_out
                  if m.srcField in ports]
            ls += [(m.destField, m.el1, m.srcField, m, False) for m in el.msg_in
                   if m.destField in ports]
            for port, other, oport, m, fwd in ls:
                if port == 'channel':
                    if not issubclass(other.cls, CompartmentBase):
                        continue
                    oo = off.get(id(other))
                    if oo is None:
                        raise SolverError(f'{el.path}: channel joined to {other.path}, '
                                          f'which is not in the cell of its other '
                                          f'compartments')
                    if m.msgType == 'Single':
                        node_i.append(o + (m.i1 if fwd else m.i2))
                        node_v.append(oo + (m.i2 if fwd else m.i1))
                        continue
                    a, b = m.pairs()
                    mine, theirs = (a, b) if fwd else (b, a)
                    node_i.extend(o + i for i in mine)
                    node_v.extend(oo + j for j in theirs)
                elif id(other) in caoff and (port == 'concen' or oport == 'current'):
                    a, b = _pairs(m)
                    mine, theirs = (a, b) if fwd else (b, a)
                    if port == 'concen':
                        conc_i.extend(o + i for i in mine)
                        conc_v.extend(caoff[id(other)] + j for j in theirs)
                    else:
                        ca_in_ch.extend(o + i for i in mine)
                        ca_in_pool.extend(caoff[id(other)] + j for j in theirs)
        # (in message order: where an entry has two, the last one counts)
        ch_node[np.array(node_i, dtype=np.int64)] = np.array(node_v, dtype=np.int64)
        conc_src[np.array(conc_i, dtype=np.int64)] = np.array(conc_v, dtype=np.int64)
        if np.any(ch_node < 0):
            q = int(np.nonzero(ch_node < 0)[0][0])
            el = next(e for e in chan_els if choff[id(e)] <= q < choff[id(e)] + e.num)
            raise SolverError(f'{el.path} ({el.cls.__name__}): entry {q - choff[id(el)]} '
                              f'has no compartment')
        return ch_node, conc_src, ca_in_ch, ca_in_pool

    def _build_pg(self, pg_els, off):
        """Free-running PulseGens into solved compartments (evaluated by the
        kernel); their pulse tables are read again at every reset."""
        self.pgoff, npg = _offsets(pg_els)
        tg_pg, tg_node = [], []
        for el in pg_els:
            o = self.pgoff[id(el)]
            for other, oport, m, fwd in links(el, 'output'):
                a, b = m.pairs()
                tg_pg.extend(o + a)
                tg_node.extend(off[id(other)] + b)
        self._pg_targets = (np.array(tg_pg, dtype=np.int64),
                            self.posof[np.array(tg_node, dtype=np.int64)])
        self._pg_out = _gather(pg_els, 'outputValue')
        self._view(pg_els, self.pgoff, {'outputValue': self._pg_out})
        for el in pg_els:
            el.data['hsolve_pg'] = self
            el.data.pop('hsolve_group', None)

    def _read_pg(self):
        """The PulseGens' levels, widths, delays and base levels (values the
        user may change between runs)."""
        pg_els = self.pg_els
        npg = len(self._pg_out)
        cmax = max([el.data['p']['L'].shape[1] for el in pg_els] + [1])
        pg_base = np.zeros(npg)
        pg_L = np.zeros((npg, cmax))
        pg_W = np.zeros((npg, cmax))
        pg_D = np.zeros((npg, cmax))
        pg_cnt = np.zeros(npg, dtype=np.int64)
        for el in pg_els:
            o = self.pgoff[id(el)]
            sl = slice(o, o + el.num)
            p = el.data['p']
            k = p['L'].shape[1]
            pg_L[sl, :k] = p['L'][:el.num]
            pg_W[sl, :k] = p['W'][:el.num]
            pg_D[sl, :k] = p['D'][:el.num]
            pg_cnt[sl] = k
            pg_base[sl] = el.cols['baseLevel']
        self.pg = (pg_base, pg_L, pg_W, pg_D, pg_cnt, self._pg_out) + self._pg_targets
        self._args = None

    def _lookup(self, tid, v):
        """A, B of gate tables *tid* at *v*, interpolated (as gate_lookup
        with interpolation, for many tables at once)."""
        tabA, tabB, toff, tn, tmin, tinv = self.tabs
        if len(tid) == 0:
            return np.zeros(0), np.zeros(0)
        n = tn[tid]
        lo = tmin[tid]
        x = (np.clip(v, lo, self.tmax[tid]) - lo) * tinv[tid]
        i = np.minimum(x.astype(np.int64), n - 1)
        f = x - i
        k = toff[tid] + i
        return tabA[k] + f * (tabA[k + 1] - tabA[k]), tabB[k] + f * (tabB[k + 1] - tabB[k])

    def _build_2d(self, comp_els, off, posof, clock):
        """Take the HHChannel2D of solved compartments into the kernel (same
        exponential Euler as on their tick), when they step at the solver's
        dt before it, their concentrations come from Ca pools of the group,
        and nothing reads their IkOut."""
        els = self._find_2d(comp_els, off, clock)
        c2off, n2 = _offsets([e for e, _n, _s, _nm in els])
        node = np.zeros(n2, dtype=np.int64)
        S = np.zeros((3, n2))
        pw = np.zeros((3, n2))
        tab = np.zeros((3, n2), dtype=np.int64)
        xs = np.full((3, n2), -1, dtype=np.int64)
        ys = np.full((3, n2), -2, dtype=np.int64)
        cols = {k: np.zeros(n2) for k in ('Gbar', 'Ek', 'modulation', 'Gk', 'Ik')}
        inst = np.zeros(n2, dtype=np.int64)
        tA, tB, toff, tnx, tny, tlim = [], [], [], [], [], []
        tids = {}
        total = 0
        for el, nd, srcs, names in els:
            o = c2off[id(el)]
            sl = slice(o, o + el.num)
            node[sl] = posof[nd]
            for k in cols:
                cols[k][sl] = el.cols[k]
            inst[sl] = el.cols['instant']
            for j, g in enumerate('XYZ'):
                p = el.cols[g + 'power']
                if not np.any(p > 0):
                    continue
                ge = el.children['gate' + g]
                key = id(ge)
                if key not in tids:
                    A = np.asarray(ge.data['A'], dtype=float)
                    B = np.asarray(ge.data['B'], dtype=float)
                    c = ge.cols
                    tids[key] = len(toff)
                    tA.append(A.ravel())
                    tB.append(B.ravel())
                    toff.append(total)
                    tnx.append(A.shape[0] - 1)
                    tny.append(A.shape[1] - 1)
                    tlim.append([c['xmin'][0], c['xmax'][0], c['ymin'][0], c['ymax'][0]])
                    total += A.size
                S[j, sl] = el.cols[g]
                pw[j, sl] = p
                tab[j, sl] = tids[key]
                src = {'VOLT': -1, 'C1': srcs['concen'], 'C2': srcs['concen2']}
                xs[j, sl] = src[names[j][0]]
                ys[j, sl] = src[names[j][1]] if len(names[j]) > 1 else -2
        self.c2off = c2off
        for el, _nd, _s, _nm in els:
            o = c2off[id(el)]
            for k in cols:
                el.cols[k] = cols[k][o:o + el.num]
            for j, g in enumerate('XYZ'):
                el.cols[g] = S[j, o:o + el.num]
            el.data['hsolve_group'] = self
            el.data['hsolve'] = self.leader
            el.data['hsolve_syn'] = True
            self.owned.append(el)
        self.c2_els = [e for e, _n, _s, _nm in els]
        return (node, cols['Gbar'], cols['Ek'], cols['modulation'], cols['Gk'], cols['Ik'],
                inst, S, pw, tab, xs, ys,
                np.concatenate(tA) if tA else np.zeros(1),
                np.concatenate(tB) if tB else np.zeros(1),
                np.array(toff, dtype=np.int64), np.array(tnx, dtype=np.int64),
                np.array(tny, dtype=np.int64),
                np.array(tlim, dtype=float).reshape(-1, 4))
