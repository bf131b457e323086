"""HSolve's builder of synapses and spikes (:class:`SynapseBuilder`,
part of the group): SynChans and NMDAChans of solved compartments, the
SimpleSynHandlers that drive only those (an event ring), the SpikeGens on
solved compartments (a spike log for targets outside), and the RandSpike
and TimeTable sources that feed only absorbed synapses; and what moves
events and uniforms between the kernel and Python around each call.
"""

import numpy as np

from ..core.errors import SolverError
from ..core.msg import links
from .compartment import CompartmentBase
from .hsolve_cells import _uniq, _offsets


class _Scope:
    """What the synaptic builders ask while they decide what the kernel
    takes: the solver's dt and the clock's order of objects in a step (the
    kernel keeps the order of the Python path, so an object is absorbed
    only where that order is the one the kernel follows: handler before
    SynChan before solver; SpikeGen before solver)."""

    def __init__(self, group, off, clock):
        self.g, self.off, self.clock, self.dt = group, off, clock, group.dt
        self.synoff, self.syn_handler = {}, {}

    @property
    def place(self):
        """The group's {id(element): (tick, index in its tick)} (asked for
        only where a synaptic object is found)."""
        return self.g._places()

    @property
    def here(self):
        return self.place.get(id(self.g.leader), (-1, -1))

    def same_tick(self, el):
        dt = self.dt
        return el.tick >= 0 and abs(self.clock.dts[el.tick] - dt) <= 1e-9 * dt

    def before(self, a, b):
        place = self.place
        pa, pb = place.get(id(a)), place.get(id(b)) if not isinstance(b, tuple) else b
        return pa is not None and pb is not None and pa < pb

    def single_source(self, el, port, want_port):
        """Node (storage index) of each entry's one solved compartment on
        *port*, or None when some entry has none or several."""
        off = self.off
        node = np.full(el.num, -1, dtype=np.int64)
        for other, oport, m, fwd in links(el, port):
            if not issubclass(other.cls, CompartmentBase) or oport != want_port:
                return None
            if id(other) not in off:
                return None
            a, b = m.pairs()
            mine, theirs = (b, a) if not fwd else (a, b)
            if np.any(node[mine] >= 0) or len(_uniq(mine)) != len(mine):
                return None
            node[mine] = off[id(other)] + theirs
        return node if np.all(node >= 0) else None

    def edges_of(self, el, ports, off0):
        """(source entry, synapse, m) of *el*'s spike ports onto absorbed
        synapses, and the other targets {entry: [(element, entry, port)]}."""
        es, other_t = [], {}
        synoff = self.synoff
        for port in ports:
            for other, oport, m, fwd in links(el, port):
                if not fwd:
                    continue
                a, b = m.pairs()
                if oport == 'addSpike' and id(other) in synoff:
                    mm = 0 if self.before(el, self.syn_handler[id(other)]) else 1
                    es.extend(zip((off0 + a).tolist(), (synoff[id(other)] + b).tolist(),
                                  [mm] * len(a)))
                    continue
                for i, j in zip(a.tolist(), b.tolist()):
                    other_t.setdefault(off0 + i, []).append((other, j, oport))
        return es, other_t


def _csr(n, es):
    """Rows of (source, target, m) edges: (pointers, targets, m)."""
    es.sort()
    ptr = np.zeros(n + 1, dtype=np.int64)
    for e in es:
        ptr[e[0] + 1] += 1
    return (np.cumsum(ptr), np.array([e[1] for e in es], dtype=np.int64),
            np.array([e[2] for e in es], dtype=np.int64))


def _fill(els, offs, total, name, dtype=float, default=0.0):
    """Column *name* of *els* end to end (*default* where an element has
    no such field)."""
    arr = np.full(total, default, dtype=dtype)
    for el in els:
        if name in el.cols:
            o = offs[id(el)]
            arr[o:o + el.num] = el.cols[name]
    return arr


class SynapseBuilder:
    """Part of the group: synaptic channels, handlers, spike sources."""

    def _build_syn(self, comp_els, vm_els, off, posof, clock):
        """Absorb the SynChans (and NMDAChans) of solved compartments, the
        SimpleSynHandlers that drive only those, and the SpikeGens that read
        a solved compartment's Vm, when their ticks run at the solver's dt.
        Spikes from an absorbed SpikeGen to a synapse of an absorbed handler
        go through the kernel's event ring; spikes to anything else (a
        Table, an IntFire, a handler outside) are logged by the kernel and
        delivered from Python after the call.  What is not absorbed stays
        Python-stepped and meets the solver through messages, as before."""
        sc = _Scope(self, off, clock)
        sc_els, sc_nodes = self._find_synchans(sc, comp_els)
        self.scoff, nsc = _offsets(sc_els)
        h_els, h_ptr, h_chan = self._find_handlers(sc, sc_els)
        # their synapses
        syn_els = [el.children['synapse'] for el in h_els]
        synoff, nsyn = _offsets(syn_els)
        syn_owner = np.zeros(nsyn, dtype=np.int64)
        for el in syn_els:
            o = synoff[id(el)]
            syn_owner[o:o + el.num] = self.hoff[id(el.parent)] + el.cols['_owner']
            sc.syn_handler[id(el)] = el.parent
        sc.synoff = synoff
        sg_els, sg_nodes = self._find_spikegens(sc, vm_els)
        sg_edges = self._spikegen_edges(sc, sg_els)
        self._find_sources(sc, syn_els)
        self.has_syn = bool(nsc or len(sg_els))
        self._synchan_arrays(sc, sc_els, posof[np.concatenate(sc_nodes)] if sc_nodes
                             else np.zeros(0, dtype=np.int64))
        self._source_arrays(sc, sg_els, posof[np.concatenate(sg_nodes)] if sg_nodes
                            else np.zeros(0, dtype=np.int64), sg_edges)
        self.syn_els, self.synoff, self.h_els = syn_els, synoff, h_els
        syn_w = _fill(syn_els, synoff, nsyn, 'weight')
        self.syn_delay_dirty = True
        self.syn_dk = np.ones(nsyn, dtype=np.int64)
        self.syn_del = np.zeros(nsyn)
        self.ring = np.zeros((len(h_ptr) - 1, 2))
        self.kbase = np.zeros(1, dtype=np.int64)
        self.h_parts = (h_ptr, h_chan, syn_w, syn_owner)
        self._set_syn_args()
        self._own_syn(((syn_els, synoff, {'weight': syn_w}, ('weight',)),), h_els)

    def _own_syn(self, groups, h_els=()):
        """The fields of absorbed synaptic objects become views of the
        group's arrays; they are marked as stepped by the leader."""
        lead = self.leader
        for els, offs, cols, names in groups:
            for el in els:
                o = offs[id(el)]
                for name in names:
                    if name in el.cols:
                        el.cols[name] = cols[name][o:o + el.num]
        for els in [g[0] for g in groups] + [h_els]:
            for el in els:
                el.data['hsolve_group'] = self
                el.data['hsolve'] = lead
                el.data['hsolve_syn'] = True
                self.owned.append(el)

    def _find_synchans(self, sc, comp_els):
        """SynChans/NMDAChans of solved compartments on the solver's tick,
        before it in a step, whose outputs the kernel serves."""
        from .synapse import SynChan, NMDAChan
        from .hsolve import ABSORB_SYNAPSES
        sc_els, sc_nodes, seen = [], [], set()
        for el in (comp_els if ABSORB_SYNAPSES else ()):
            for other, oport, m, fwd in links(el, 'channel'):
                if not issubclass(other.cls, SynChan) or id(other) in seen:
                    continue
                seen.add(id(other))
                if not sc.same_tick(other) or links(other, 'IkOut') or \
                        links(other, 'channelOut') or not sc.before(other, sc.here):
                    continue
                if issubclass(other.cls, NMDAChan) and not (
                        all(fw and op == 'current' and id(o) in self.caoff
                            for o, op, _m, fw in links(other, 'ICaOut')) and
                        all(not fw and op == 'concOut' and id(o) in self.caoff
                            for o, op, _m, fw in links(other, 'assignIntCa'))):
                    continue            # its Ca current meets Python-side objects
                nd = sc.single_source(other, 'channel', 'channel')
                if nd is None:
                    continue
                sc_els.append(other)
                sc_nodes.append(nd)
        return sc_els, sc_nodes

    def _find_handlers(self, sc, sc_els):
        """SimpleSynHandlers that drive only absorbed channels, and their
        handler entry -> channel rows."""
        from .synapse import SimpleSynHandler
        scoff = self.scoff
        h_els, seen = [], set()
        for el in sc_els:
            for other, oport, m, fwd in links(el, 'activation'):
                if fwd or id(other) in seen or other.cls is not SimpleSynHandler:
                    continue
                seen.add(id(other))
                outs = links(other, 'activationOut')
                if sc.same_tick(other) and outs and all(
                        fw and id(o) in scoff and op == 'activation' and sc.before(other, o)
                        for o, op, _m, fw in outs):
                    h_els.append(other)
        self.hoff, nh = _offsets(h_els)
        edges = []
        for el in h_els:
            for other, oport, m, fwd in links(el, 'activationOut'):
                a, b = m.pairs()
                edges.extend(zip((self.hoff[id(el)] + a).tolist(),
                                 (scoff[id(other)] + b).tolist()))
        edges.sort()
        h_ptr = np.zeros(nh + 1, dtype=np.int64)
        for hh, _c in edges:
            h_ptr[hh + 1] += 1
        return h_els, np.cumsum(h_ptr), np.array([c for _h, c in edges], dtype=np.int64)

    def _find_spikegens(self, sc, vm_els):
        """SpikeGens reading a solved compartment's Vm: as MOOSE's HSolve,
        the solver checks them right after its step, whatever their tick."""
        from .synapse import SpikeGen
        sg_els, sg_nodes, seen = [], [], set()
        for el in vm_els:
            for other, oport, m, fwd in links(el, 'VmOut'):
                if not issubclass(other.cls, SpikeGen) or id(other) in seen:
                    continue
                seen.add(id(other))
                nd = sc.single_source(other, 'Vm', 'VmOut')
                if nd is not None:
                    sg_els.append(other)
                    sg_nodes.append(nd)
        self.sgoff, nsg = _offsets(sg_els)
        return sg_els, sg_nodes

    def _spikegen_edges(self, sc, sg_els):
        """The generators' edges onto absorbed synapses, and the spike log
        for their other targets (delivered from Python after each call)."""
        nsg = len(self.sgoff) and sum(el.num for el in sg_els)
        sg_edges = []
        sg_log = np.zeros(nsg, dtype=np.bool_)
        self.sg_targets = {}          # global generator -> [(element, entry, port)]
        for el in sg_els:
            es, other_t = sc.edges_of(el, ('spikeOut',), self.sgoff[id(el)])
            # a spike made after the solver's step meets the handlers in the
            # next step at the earliest (they step before the solver)
            sg_edges.extend((g, sy, 1) for g, sy, _m in es)
            for g in other_t:
                sg_log[g] = True
            self.sg_targets.update(other_t)
        cap = int(min(max(64 * int(sg_log.sum()), 1024), 1 << 20)) if sg_log.any() else 1
        self.log_g = np.zeros(cap, dtype=np.int64)
        self.log_k = np.zeros(cap, dtype=np.int64)
        return _csr(nsg, sg_edges) + (sg_log,)

    def _find_sources(self, sc, syn_els):
        """RandSpikes (on the solver's tick) and TimeTables (on a tick a
        whole number of steps long) whose every target is an absorbed
        synapse; their edges and TimeTables' spike times."""
        from .synapse import RandSpike, TimeTable
        clock, dt = sc.clock, sc.dt
        rs_els, tt_els, seen = [], [], set()
        for el in syn_els:
            for other, oport, m, fwd in links(el, 'addSpike'):
                if fwd or id(other) in seen:
                    continue
                seen.add(id(other))
                if other.cls is RandSpike and sc.same_tick(other):
                    if not sc.edges_of(other, ('spikeOut',), 0)[1]:
                        rs_els.append(other)
                elif other.cls is TimeTable and other.tick >= 0:
                    r = clock.dts[other.tick] / dt
                    if abs(r - round(r)) <= 1e-9 * r and round(r) >= 1:
                        if not sc.edges_of(other, ('eventOut', 'spikeOut'), 0)[1]:
                            tt_els.append(other)
        rsoff, nrs = _offsets(rs_els)
        rs_edges = []
        for el in rs_els:
            rs_edges.extend(sc.edges_of(el, ('spikeOut',), rsoff[id(el)])[0])
        self.rs_csr = _csr(nrs, rs_edges)
        ttoff, ntt = _offsets(tt_els)
        tt_edges, times, tt_ptr, tt_next = [], [], [0], []
        tt_stride = np.ones(ntt, dtype=np.int64)
        for el in tt_els:
            o = ttoff[id(el)]
            tt_edges.extend(sc.edges_of(el, ('eventOut', 'spikeOut'), o)[0])
            st = el.handle(0)._store()
            tt_stride[o:o + el.num] = int(round(clock.dts[el.tick] / dt))
            for i in range(el.num):
                tt_next.append(tt_ptr[-1] + int(st['pos'][i]))
                times.append(np.asarray(st['times'][i], dtype=float))
                tt_ptr.append(tt_ptr[-1] + len(times[-1]))
        self.tt_csr = _csr(ntt, tt_edges)
        self.tt_times = np.concatenate(times) if times else np.zeros(0)
        self.tt_next = np.array(tt_next, dtype=np.int64)
        self.tt_ptr = np.array(tt_ptr, dtype=np.int64)
        self.tt_stride = tt_stride
        self.rs_els, self.rsoff, self.tt_els, self.ttoff = rs_els, rsoff, tt_els, ttoff

    def _synchan_arrays(self, sc, sc_els, sc_node):
        """The synaptic channels' arrays (dual-exponential factors, Mg block
        and NMDA Ca terms); their fields become views."""
        from .synapse import NMDAChan
        from ..core.units import FaradayConst, GasConst
        scoff, nsc, dt = self.scoff, len(sc_node), sc.dt
        c = {name: _fill(sc_els, scoff, nsc, name)
             for name in ('Ek', 'modulation', '_norm', '_X', '_Yv', '_act', '_mod', 'Gk',
                          'Ik', 'tau1', 'tau2', 'ICa', 'condFraction', 'intCaOffset')}
        for name, d in (('KMg_A', 1.0), ('KMg_B', 1.0), ('CMg', 0.0), ('intCa', 1.0),
                        ('extCa', 1.0), ('temperature', 300.0), ('intCaScale', 1.0)):
            c[name] = _fill(sc_els, scoff, nsc, name, default=d)
        zfrt = 2.0 * FaradayConst / (GasConst * c['temperature'])
        cain = np.full(nsc, -1, dtype=np.int64)
        mg = np.zeros(nsc, dtype=np.bool_)
        ica_c, ica_pool = [], []
        for el in sc_els:
            if not issubclass(el.cls, NMDAChan):
                continue
            o = scoff[id(el)]
            mg[o:o + el.num] = True
            for other, oport, m, fwd in links(el, 'assignIntCa'):
                a, b = m.pairs()
                cain[o + np.asarray(b)] = self.caoff[id(other)] + np.asarray(a)
            for other, oport, m, fwd in links(el, 'ICaOut'):
                a, b = m.pairs()
                ica_c.extend((o + np.asarray(a)).tolist())
                ica_pool.extend((self.caoff[id(other)] + np.asarray(b)).tolist())
        t1, t2 = c['tau1'], c['tau2']
        if nsc and (np.any(~(t1 > 0)) or np.any(~(t2 > 0))):
            raise SolverError(f'{self.leader.path}: a SynChan has tau1 or tau2 <= 0')
        with np.errstate(divide='ignore', invalid='ignore'):
            x2 = np.exp(-dt / t1)
            y2 = np.exp(-dt / t2)
        self.sc_parts = (sc_node, c['Ek'], c['modulation'], c['_norm'], t1 * (1 - x2), x2,
                         t2 * (1 - y2), y2, c['_X'], c['_Yv'], c['_act'], c['_mod'],
                         c['Gk'], c['Ik'], mg, c['KMg_A'], c['KMg_B'], c['CMg'],
                         c['ICa'], c['intCa'], c['extCa'], zfrt, c['condFraction'], cain,
                         c['intCaScale'], c['intCaOffset'], np.array(ica_c, dtype=np.int64),
                         np.array(ica_pool, dtype=np.int64), np.zeros(len(self.ca[0])))
        self._own_syn(((sc_els, scoff, c, ('Ek', 'modulation', '_norm', '_X', '_Yv', '_act',
                                           '_mod', 'Gk', 'Ik', 'ICa', 'intCa', 'intCaScale',
                                           'intCaOffset')),))

    def _source_arrays(self, sc, sg_els, sg_node, sg_edges):
        """SpikeGens', RandSpikes' and TimeTables' arrays; their fields
        become views."""
        sgoff, nsg = self.sgoff, len(sg_node)
        sg = {name: _fill(sg_els, sgoff, nsg, name) for name in
              ('threshold', 'refractT', 'lastSpikeTime', '_V')}
        for name in ('edgeTriggered', '_above', 'hasFired'):
            sg[name] = _fill(sg_els, sgoff, nsg, name, dtype=np.bool_, default=False)
        rs_els, rsoff = self.rs_els, self.rsoff
        nrs = sum(el.num for el in rs_els)
        rs = {name: _fill(rs_els, rsoff, nrs, name) for name in ('rate', 'refractT',
                                                                  'lastEventT')}
        for name in ('doPeriodic', 'hasFired'):
            rs[name] = _fill(rs_els, rsoff, nrs, name, dtype=np.bool_, default=False)
        tt_els, ttoff = self.tt_els, self.ttoff
        tt_state = _fill(tt_els, ttoff, sum(el.num for el in tt_els), 'state')
        self.rs_U = np.zeros((0, nrs))
        sg_ptr, sg_syn, sg_m, sg_log = sg_edges
        self.sg_parts = (sg_node, sg['threshold'], sg['refractT'], sg['edgeTriggered'],
                         sg['lastSpikeTime'], sg['_above'], sg['hasFired'], sg['_V'],
                         sg_ptr, sg_syn, sg_m, sg_log, self.log_g, self.log_k)
        self.rs_parts = (rs['rate'], rs['refractT'], rs['doPeriodic'], rs['lastEventT'],
                         rs['hasFired']) + self.rs_csr
        dt = sc.dt
        self.gstep0 = int(round(sc.clock.current_time / dt)) if dt > 0 else 0
        tt_eptr, tt_syn, tt_m = self.tt_csr
        self.tt_parts = (self.tt_times, self.tt_ptr, self.tt_next, self.tt_stride, tt_state,
                         tt_eptr, tt_syn, tt_m, self.gstep0)
        self._own_syn((
            (sg_els, sgoff, sg, ('threshold', 'refractT', 'lastSpikeTime', '_V',
                                 'edgeTriggered', '_above', 'hasFired')),
            (rs_els, rsoff, rs, ('rate', 'refractT', 'lastEventT', 'doPeriodic', 'hasFired')),
            (tt_els, ttoff, {'state': tt_state}, ('state',))))

    def _set_syn_args(self):
        h_ptr, h_chan, syn_w, syn_owner = self.h_parts
        self.syn_args = (self.sc_parts + (self.ring, self.kbase, h_ptr, h_chan, syn_w,
                                          self.syn_dk, self.syn_del, syn_owner)
                         + self.sg_parts + (self.rs_U,) + self.rs_parts + self.tt_parts)
        self._args = None

    def _sync_syn(self):
        """Before a kernel call: delays in steps (after a change), the ring
        long enough for them, and the events Python-stepped sources queued
        on absorbed handlers moved into the ring."""
        import heapq
        dt = self.dt
        if self.syn_delay_dirty and self.syn_els:
            dk, sd = self.syn_dk, self.syn_del
            for el in self.syn_els:
                o = self.synoff[id(el)]
                sd[o:o + el.num] = el.cols['delay']
                dk[o:o + el.num] = np.maximum(0, np.ceil(sd[o:o + el.num] / dt - 1e-9))
            self.syn_delay_dirty = False
            # an event arrives at most ceil(delay/dt) + 1 steps after its
            # spike (the sum spike time + delay rounds up past a step)
            self._grow_ring(int(dk.max()) + 3)
        step_t = self._step_time_fn()
        for el in self.h_els:
            q = el.data.get('queue')
            if not q:
                continue
            o = self.hoff[id(el)]
            while q:
                t_ev, _seq, owner, w = heapq.heappop(q)
                # the first step of the call whose time is >= the event's
                # (exact, as the handler's own test)
                k = max(1, int(np.ceil((t_ev - self.t) / dt)) - 1)
                while k > 1 and step_t(k - 1) >= t_ev:
                    k -= 1
                while step_t(k) < t_ev:
                    k += 1
                if k >= self.ring.shape[1]:
                    self._grow_ring(k + 1)
                L = self.ring.shape[1]
                self.ring[o + owner, (self.kbase[0] + k) % L] += w / dt

    def _step_time_fn(self):
        """Time [s] of step j after self.t, as the kernel computes it (on
        the clock's grid when the solver's dt is a whole number of grid
        steps, as MOOSE's dt_ * step)."""
        tg, tgm, ts0 = self._grid(self.t)
        t0, dt = self.t, self.dt
        if tgm > 0:
            return lambda j: tg * ((ts0 + j) * tgm)
        return lambda j: t0 + j * dt

    def _draw_uniforms(self, n):
        """The RandSpikes' uniforms for the next *n* steps, drawn from each
        element's generator as its Python step would (one per entry per
        step, in order), so both paths give the same spikes."""
        U = np.empty((n, self.rs_U.shape[1]))
        spare = getattr(self, '_spare_U', None)
        m = 0
        if spare is not None and len(spare):
            m = min(n, len(spare))
            U[:m] = spare[:m]
            self._spare_U = spare[m:]
        if n > m:
            for el in self.rs_els:
                rng = el.data.get('rng')
                if rng is None:
                    el.cls._reinit(el)
                    rng = el.data['rng']
                o = self.rsoff[id(el)]
                # uniforms the element drew ahead while stepped in Python
                # (core.clock._skip_quiet) come first
                sp = el.data.pop('spareU', None)
                k = 0
                if sp is not None and sp.shape[1] == el.num and len(sp):
                    k = min(n - m, len(sp))
                    U[m:m + k, o:o + el.num] = sp[:k]
                    if len(sp) > k:
                        el.data['spareU'] = sp[k:]
                U[m + k:, o:o + el.num] = rng.random((n - m - k, el.num))
        self.rs_U = U
        self._set_syn_args()
        return self._kernel_args()[1]

    def _undraw_uniforms(self, n_unused):
        """A call that stopped early leaves its last rows unused: put them
        back in front of the next draw by keeping them (see _draw_uniforms)."""
        # numpy generators cannot rewind; keep the unused rows for the next
        # call instead
        rest = getattr(self, '_spare_U', None)
        rows = self.rs_U[-n_unused:]
        self._spare_U = rows.copy() if rest is None or not len(rest) else \
            np.concatenate([rows, rest])

    def _tt_positions_back(self):
        for el in self.tt_els:
            o = self.ttoff[id(el)]
            st = el.handle(0)._store()
            for i in range(el.num):
                st['pos'][i] = int(self.tt_next[o + i] - self.tt_ptr[o + i])

    def _grow_ring(self, L2):
        ring = self.ring
        L = ring.shape[1]
        if L2 <= L:
            return
        if ring.shape[0] * L2 > 50_000_000:
            raise SolverError(f'{self.leader.path}: synaptic delays of {L2 - 1} steps on '
                              f'{ring.shape[0]} handler entries need more than 5e7 queue '
                              f'slots; use a larger dt or shorter delays')
        kb = int(self.kbase[0])
        new = np.zeros((ring.shape[0], L2))
        for j in range(1, L):
            new[:, (kb + j) % L2] = ring[:, (kb + j) % L]
        self.ring = new
        self._set_syn_args()

    def _emit_spikes(self, nlog, t0, grid=(0.0, 0, 0)):
        """Deliver the logged spikes to targets outside the solver, with
        the time of their step (on the clock's grid, as the kernel)."""
        from .synapse import Synapse
        from .compartment import deliver
        tg, tgm, ts0 = grid
        for g, k in zip(self.log_g[:nlog].tolist(), self.log_k[:nlog].tolist()):
            t = tg * ((ts0 + k) * tgm) if tgm > 0 else t0 + k * self.dt
            for other, j, oport in self.sg_targets.get(g, ()):
                if oport == 'addSpike' and issubclass(other.cls, Synapse):
                    Synapse._queue_spike(other, j, t)
                else:
                    deliver(other, j, oport, t)

    def _ring_to_queues(self):
        """Pending events of the ring back to their handlers' queues (when
        the group is released mid-run), at their arrival times."""
        import heapq
        ring = getattr(self, 'ring', None)
        if ring is None or not ring.any():
            return
        L = ring.shape[1]
        kb = int(self.kbase[0])
        step_t = self._step_time_fn()
        for el in self.h_els:
            o = self.hoff[id(el)]
            q = el.data.setdefault('queue', [])
            for j in range(1, L):
                col = ring[o:o + el.num, (kb + j) % L]
                for i in np.nonzero(col)[0].tolist():
                    seq = el.data.get('seq', 0)
                    el.data['seq'] = seq + 1
                    heapq.heappush(q, (step_t(j), seq, i, float(col[i]) * self.dt))
        ring[:] = 0.0
