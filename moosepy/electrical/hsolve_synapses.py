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
        from .synapse import SynChan, NMDAChan, SimpleSynHandler, SpikeGen
        dt = self.dt

        def same_tick(el):
            return el.tick >= 0 and abs(clock.dts[el.tick] - dt) <= 1e-9 * dt

        # place of each element in a clock step (tick, then schedule order):
        # the kernel keeps the order of the Python path, so an object is
        # absorbed only where that order is the one the kernel follows
        # (handler before SynChan before solver; SpikeGen before solver)
        place = self._places()
        here = place.get(id(self.leader), (-1, -1))

        def before(a, b):
            pa, pb = place.get(id(a)), place.get(id(b)) if not isinstance(b, tuple) else b
            return pa is not None and pb is not None and pa < pb

        def single_source(el, port, want_port):
            """Node (storage index) of each entry's one solved compartment on
            *port*, or None when some entry has none or several."""
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

        # --- synaptic channels
        sc_els, sc_nodes, seen = [], [], set()
        from .hsolve import ABSORB_SYNAPSES
        for el in (comp_els if ABSORB_SYNAPSES else ()):
            for other, oport, m, fwd in links(el, 'channel'):
                if not issubclass(other.cls, SynChan) or id(other) in seen:
                    continue
                seen.add(id(other))
                if not same_tick(other) or links(other, 'IkOut') or \
                        links(other, 'channelOut') or not before(other, here):
                    continue
                if issubclass(other.cls, NMDAChan) and not (
                        all(fw and op == 'current' and id(o) in self.caoff
                            for o, op, _m, fw in links(other, 'ICaOut')) and
                        all(not fw and op == 'concOut' and id(o) in self.caoff
                            for o, op, _m, fw in links(other, 'assignIntCa'))):
                    continue            # its Ca current meets Python-side objects
                nd = single_source(other, 'channel', 'channel')
                if nd is None:
                    continue
                sc_els.append(other)
                sc_nodes.append(nd)
        scoff, nsc = _offsets(sc_els)
        # --- handlers that drive only absorbed channels
        h_els, seen = [], set()
        for el in sc_els:
            for other, oport, m, fwd in links(el, 'activation'):
                if fwd or id(other) in seen or other.cls is not SimpleSynHandler:
                    continue
                seen.add(id(other))
                outs = links(other, 'activationOut')
                if same_tick(other) and outs and all(
                        fw and id(o) in scoff and op == 'activation' and before(other, o)
                        for o, op, _m, fw in outs):
                    h_els.append(other)
        hoff, nh = _offsets(h_els)
        edges = []
        for el in h_els:
            for other, oport, m, fwd in links(el, 'activationOut'):
                a, b = m.pairs()
                edges.extend(zip((hoff[id(el)] + a).tolist(), (scoff[id(other)] + b).tolist()))
        edges.sort()
        h_ptr = np.zeros(nh + 1, dtype=np.int64)
        for hh, _c in edges:
            h_ptr[hh + 1] += 1
        h_ptr = np.cumsum(h_ptr)
        h_chan = np.array([c for _h, c in edges], dtype=np.int64)
        # --- their synapses
        syn_els = [el.children['synapse'] for el in h_els]
        synoff, nsyn = _offsets(syn_els)
        syn_owner = np.zeros(nsyn, dtype=np.int64)
        for el in syn_els:
            o = synoff[id(el)]
            syn_owner[o:o + el.num] = hoff[id(el.parent)] + el.cols['_owner']
        # --- spike generators on solved compartments: as MOOSE's HSolve, the
        # solver checks them right after its step, whatever their own tick
        sg_els, sg_nodes, seen = [], [], set()
        for el in vm_els:
            for other, oport, m, fwd in links(el, 'VmOut'):
                if not issubclass(other.cls, SpikeGen) or id(other) in seen:
                    continue
                seen.add(id(other))
                nd = single_source(other, 'Vm', 'VmOut')
                if nd is not None:
                    sg_els.append(other)
                    sg_nodes.append(nd)
        sgoff, nsg = _offsets(sg_els)
        syn_handler = {}               # synapse element -> its handler
        for el in syn_els:
            syn_handler[id(el)] = el.parent

        def edges_of(el, ports, off0):
            """(source entry, synapse, m) of *el*'s spike ports onto absorbed
            synapses, and the other targets {entry: [(element, entry, port)]}."""
            es, other_t = [], {}
            for port in ports:
                for other, oport, m, fwd in links(el, port):
                    if not fwd:
                        continue
                    a, b = m.pairs()
                    if oport == 'addSpike' and id(other) in synoff:
                        mm = 0 if before(el, syn_handler[id(other)]) else 1
                        es.extend(zip((off0 + a).tolist(), (synoff[id(other)] + b).tolist(),
                                      [mm] * len(a)))
                        continue
                    for i, j in zip(a.tolist(), b.tolist()):
                        other_t.setdefault(off0 + i, []).append((other, j, oport))
            return es, other_t

        def csr(n, es):
            es.sort()
            ptr = np.zeros(n + 1, dtype=np.int64)
            for e in es:
                ptr[e[0] + 1] += 1
            return (np.cumsum(ptr), np.array([e[1] for e in es], dtype=np.int64),
                    np.array([e[2] for e in es], dtype=np.int64))

        sg_edges = []
        sg_log = np.zeros(nsg, dtype=np.bool_)
        self.sg_targets = {}          # global generator -> [(element, entry, port)]
        for el in sg_els:
            es, other_t = edges_of(el, ('spikeOut',), sgoff[id(el)])
            # a spike made after the solver's step meets the handlers in the
            # next step at the earliest (they step before the solver)
            sg_edges.extend((g, sy, 1) for g, sy, _m in es)
            for g in other_t:
                sg_log[g] = True
            self.sg_targets.update(other_t)
        sg_ptr, sg_syn, sg_m = csr(nsg, sg_edges)
        self.sgoff = sgoff
        # --- RandSpikes and TimeTables that feed only absorbed synapses
        from .synapse import RandSpike, TimeTable
        rs_els, tt_els, seen = [], [], set()
        for el in syn_els:
            for other, oport, m, fwd in links(el, 'addSpike'):
                if fwd or id(other) in seen:
                    continue
                seen.add(id(other))
                if other.cls is RandSpike and same_tick(other):
                    es, other_t = edges_of(other, ('spikeOut',), 0)
                    if not other_t:
                        rs_els.append(other)
                elif other.cls is TimeTable and other.tick >= 0:
                    r = clock.dts[other.tick] / dt
                    if abs(r - round(r)) <= 1e-9 * r and round(r) >= 1:
                        es, other_t = edges_of(other, ('eventOut', 'spikeOut'), 0)
                        if not other_t:
                            tt_els.append(other)
        rsoff, nrs = _offsets(rs_els)
        rs_edges = []
        for el in rs_els:
            rs_edges.extend(edges_of(el, ('spikeOut',), rsoff[id(el)])[0])
        rs_ptr, rs_syn, rs_m = csr(nrs, rs_edges)
        ttoff, ntt = _offsets(tt_els)
        tt_edges, times, tt_ptr, tt_next = [], [], [0], []
        tt_stride = np.ones(ntt, dtype=np.int64)
        for el in tt_els:
            o = ttoff[id(el)]
            tt_edges.extend(edges_of(el, ('eventOut', 'spikeOut'), o)[0])
            st = el.handle(0)._store()
            tt_stride[o:o + el.num] = int(round(clock.dts[el.tick] / dt))
            for i in range(el.num):
                tt_next.append(tt_ptr[-1] + int(st['pos'][i]))
                times.append(np.asarray(st['times'][i], dtype=float))
                tt_ptr.append(tt_ptr[-1] + len(times[-1]))
        tt_eptr, tt_syn, tt_m = csr(ntt, tt_edges)
        self.rs_els, self.rsoff, self.tt_els, self.ttoff = rs_els, rsoff, tt_els, ttoff
        self.has_syn = bool(nsc or nsg)

        # --- arrays; the elements' fields become views of them
        def gather(els, offs, total, name, dtype=float, default=0.0):
            arr = np.full(total, default, dtype=dtype)
            for el in els:
                if name in el.cols:
                    o = offs[id(el)]
                    arr[o:o + el.num] = el.cols[name]
            return arr

        sc = {name: gather(sc_els, scoff, nsc, name)
              for name in ('Ek', 'modulation', '_norm', '_X', '_Yv', '_act', '_mod', 'Gk',
                           'Ik', 'tau1', 'tau2')}
        sc_kA = gather(sc_els, scoff, nsc, 'KMg_A', default=1.0)
        sc_kB = gather(sc_els, scoff, nsc, 'KMg_B', default=1.0)
        sc_cmg = gather(sc_els, scoff, nsc, 'CMg', default=0.0)
        sc_ica = gather(sc_els, scoff, nsc, 'ICa')
        sc_cin = gather(sc_els, scoff, nsc, 'intCa', default=1.0)
        sc_cout = gather(sc_els, scoff, nsc, 'extCa', default=1.0)
        sc_cf = gather(sc_els, scoff, nsc, 'condFraction')
        from ..core.units import FaradayConst, GasConst
        sc_zfrt = 2.0 * FaradayConst / (GasConst * gather(sc_els, scoff, nsc, 'temperature',
                                                          default=300.0))
        sc_cascale = gather(sc_els, scoff, nsc, 'intCaScale', default=1.0)
        sc_caoffs = gather(sc_els, scoff, nsc, 'intCaOffset')
        sc_cain = np.full(nsc, -1, dtype=np.int64)
        ica_c, ica_pool = [], []
        for el in sc_els:
            if not issubclass(el.cls, NMDAChan):
                continue
            o = scoff[id(el)]
            for other, oport, m, fwd in links(el, 'assignIntCa'):
                a, b = m.pairs()
                sc_cain[o + np.asarray(b)] = self.caoff[id(other)] + np.asarray(a)
            for other, oport, m, fwd in links(el, 'ICaOut'):
                a, b = m.pairs()
                ica_c.extend((o + np.asarray(a)).tolist())
                ica_pool.extend((self.caoff[id(other)] + np.asarray(b)).tolist())
        sc_mg = np.zeros(nsc, dtype=np.bool_)
        for el in sc_els:
            if issubclass(el.cls, NMDAChan):
                sc_mg[scoff[id(el)]:scoff[id(el)] + el.num] = True
        t1, t2 = sc['tau1'], sc['tau2']
        if nsc and (np.any(~(t1 > 0)) or np.any(~(t2 > 0))):
            raise SolverError(f'{self.leader.path}: a SynChan has tau1 or tau2 <= 0')
        with np.errstate(divide='ignore', invalid='ignore'):
            x2 = np.exp(-dt / t1)
            y2 = np.exp(-dt / t2)
        sc_node = posof[np.concatenate(sc_nodes)] if sc_nodes else np.zeros(0, dtype=np.int64)
        sg_node = posof[np.concatenate(sg_nodes)] if sg_nodes else np.zeros(0, dtype=np.int64)
        sg = {name: gather(sg_els, sgoff, nsg, name) for name in
              ('threshold', 'refractT', 'lastSpikeTime', '_V')}
        for name in ('edgeTriggered', '_above', 'hasFired'):
            sg[name] = gather(sg_els, sgoff, nsg, name, dtype=np.bool_, default=False)
        rs = {name: gather(rs_els, rsoff, nrs, name) for name in ('rate', 'refractT',
                                                                   'lastEventT')}
        for name in ('doPeriodic', 'hasFired'):
            rs[name] = gather(rs_els, rsoff, nrs, name, dtype=np.bool_, default=False)
        tt_state = gather(tt_els, ttoff, ntt, 'state')
        self.tt_next = np.array(tt_next, dtype=np.int64)
        self.tt_ptr = np.array(tt_ptr, dtype=np.int64)
        self.rs_U = np.zeros((0, nrs))
        syn_w = gather(syn_els, synoff, nsyn, 'weight')
        self.syn_els, self.synoff, self.h_els, self.hoff = syn_els, synoff, h_els, hoff
        self.syn_delay_dirty = True
        self.syn_dk = np.ones(nsyn, dtype=np.int64)
        self.syn_dkf = np.ones(nsyn)
        self.ring = np.zeros((nh, 2))
        self.kbase = np.zeros(1, dtype=np.int64)
        cap = int(min(max(64 * int(sg_log.sum()), 1024), 1 << 20)) if sg_log.any() else 1
        self.log_g = np.zeros(cap, dtype=np.int64)
        self.log_k = np.zeros(cap, dtype=np.int64)
        self.sc_parts = (sc_node, sc['Ek'], sc['modulation'], sc['_norm'], t1 * (1 - x2), x2,
                         t2 * (1 - y2), y2, sc['_X'], sc['_Yv'], sc['_act'], sc['_mod'],
                         sc['Gk'], sc['Ik'], sc_mg, sc_kA, sc_kB, sc_cmg,
                         sc_ica, sc_cin, sc_cout, sc_zfrt, sc_cf, sc_cain, sc_cascale,
                         sc_caoffs, np.array(ica_c, dtype=np.int64),
                         np.array(ica_pool, dtype=np.int64), np.zeros(len(self.ca[0])))
        self.sg_parts = (sg_node, sg['threshold'], sg['refractT'], sg['edgeTriggered'],
                         sg['lastSpikeTime'], sg['_above'], sg['hasFired'], sg['_V'],
                         sg_ptr, sg_syn, sg_m, sg_log, self.log_g, self.log_k)
        self.rs_parts = (rs['rate'], rs['refractT'], rs['doPeriodic'], rs['lastEventT'],
                         rs['hasFired'], rs_ptr, rs_syn, rs_m)
        tt_times = np.concatenate(times) if times else np.zeros(0)
        self.gstep0 = int(round(clock.current_time / dt)) if dt > 0 else 0
        self.tt_parts = (tt_times, self.tt_ptr, self.tt_next, tt_stride, tt_state, tt_eptr,
                         tt_syn, tt_m, self.gstep0)
        self.h_parts = (h_ptr, h_chan, syn_w, syn_owner)
        self._set_syn_args()
        self.scoff = scoff
        # views and ownership (the HSolve that solves the first compartment)
        lead = self.leader
        for els, offs, cols, names in (
                (sc_els, scoff, dict(sc, ICa=sc_ica, intCa=sc_cin, intCaScale=sc_cascale,
                                     intCaOffset=sc_caoffs),
                 ('Ek', 'modulation', '_norm', '_X', '_Yv', '_act', '_mod', 'Gk', 'Ik', 'ICa',
                  'intCa', 'intCaScale', 'intCaOffset')),
                (sg_els, sgoff, sg, ('threshold', 'refractT', 'lastSpikeTime', '_V',
                                     'edgeTriggered', '_above', 'hasFired')),
                (syn_els, synoff, {'weight': syn_w}, ('weight',)),
                (rs_els, rsoff, rs, ('rate', 'refractT', 'lastEventT', 'doPeriodic',
                                     'hasFired')),
                (tt_els, ttoff, {'state': tt_state}, ('state',))):
            for el in els:
                o = offs[id(el)]
                for name in names:
                    if name in el.cols:
                        el.cols[name] = cols[name][o:o + el.num]
                el.data['hsolve_group'] = self
                el.data['hsolve'] = lead
                el.data['hsolve_syn'] = True
                self.owned.append(el)
        for el in h_els:
            el.data['hsolve_group'] = self
            el.data['hsolve'] = lead
            el.data['hsolve_syn'] = True
            self.owned.append(el)

    def _set_syn_args(self):
        h_ptr, h_chan, syn_w, syn_owner = self.h_parts
        self.syn_args = (self.sc_parts + (self.ring, self.kbase, h_ptr, h_chan, syn_w,
                                          self.syn_dk, self.syn_dkf, syn_owner)
                         + self.sg_parts + (self.rs_U,) + self.rs_parts + self.tt_parts)
        self._args = None

    def _sync_syn(self):
        """Before a kernel call: delays in steps (after a change), the ring
        long enough for them, and the events Python-stepped sources queued
        on absorbed handlers moved into the ring."""
        import heapq
        dt = self.dt
        if self.syn_delay_dirty and self.syn_els:
            dk, dkf = self.syn_dk, self.syn_dkf
            for el in self.syn_els:
                o = self.synoff[id(el)]
                dkf[o:o + el.num] = el.cols['delay'] / dt
                dk[o:o + el.num] = np.maximum(0, np.ceil(dkf[o:o + el.num] - 1e-9))
            self.syn_delay_dirty = False
            self._grow_ring(int(dk.max()) + 2)
        for el in self.h_els:
            q = el.data.get('queue')
            if not q:
                continue
            o = self.hoff[id(el)]
            while q:
                t_ev, _seq, owner, w = heapq.heappop(q)
                k = max(1, int(np.ceil((t_ev - self.t) / dt - 1e-9)))
                if k >= self.ring.shape[1]:
                    self._grow_ring(k + 1)
                L = self.ring.shape[1]
                self.ring[o + owner, (self.kbase[0] + k) % L] += w / dt

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
                U[m:, o:o + el.num] = rng.random((n - m, el.num))
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

    def _emit_spikes(self, nlog, t0):
        """Deliver the logged spikes to targets outside the solver."""
        from .synapse import Synapse
        from .compartment import deliver
        for g, k in zip(self.log_g[:nlog].tolist(), self.log_k[:nlog].tolist()):
            t = t0 + k * self.dt
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
        for el in self.h_els:
            o = self.hoff[id(el)]
            q = el.data.setdefault('queue', [])
            for j in range(1, L):
                col = ring[o:o + el.num, (kb + j) % L]
                for i in np.nonzero(col)[0].tolist():
                    seq = el.data.get('seq', 0)
                    el.data['seq'] = seq + 1
                    heapq.heappush(q, (self.t + j * self.dt, seq, i, float(col[i]) * self.dt))
        ring[:] = 0.0
