"""The HSolve group: the solver object that all HSolves of one tick share
(:class:`Group`): it is compiled by its builders (cells, channels and
gates, calcium and pulses, synapses and spikes; one module each), reset in
bulk at a reinit that keeps it, advanced by one kernel call per chunk
(:mod:`moosepy.electrical.hkernels`), and released when the model changes.
"""

import logging

import numpy as np

from ..core.errors import SolverError
from ..core.msg import links
from .compartment import CompartmentBase
from .channels import HHChannel, CaConcBase
from .hsolve_cells import NodesBuilder, _uniq, _offsets
from .hsolve_channels import ChannelBuilder, _pg_absorbable
from .hsolve_synapses import SynapseBuilder
from .hsolve_functions import FunctionBuilder

log = logging.getLogger('moosepy.electrical')

_KIND = 1 << 32                              # probe kinds: kind * _KIND + index
_NO_STEPS = np.zeros(0, dtype=np.int64)      # no samples asked (the kernel only reads)
_NO_REC = np.zeros((0, 0))
#: how often groups were compiled and kept at a reinit (for tests and
#: benchmarks: a sweep of runs should compile once)
STATS = {'builds': 0, 'keeps': 0}


def _given_back(cur, mine):
    """The column an element gets back when a group lets it go: its own
    array, kept when the group made *cur* (a view of the group's state)
    its column, now holding *cur*'s values; a copy of *cur* where its own
    no longer fits (or was none)."""
    if type(mine) is np.ndarray and mine.shape == cur.shape and mine.dtype == cur.dtype \
            and mine.flags.writeable and mine is not cur:
        mine[...] = cur
        return mine
    return np.array(cur)


class Group(NodesBuilder, ChannelBuilder, SynapseBuilder, FunctionBuilder):
    """The concatenated state of all HSolves of one tick: arrays handed to
    the kernel, and the views the model's fields point at."""

    def __init__(self, hsolves, schedule):
        self.hsolves = hsolves
        self.leader = hsolves[0]
        self.schedule = schedule
        self.t = 0.0
        self.owned = []          # elements whose columns are views of the group's
        self._viewed = []        # [(elements, field names, their own columns)] (see _view)
        self._hooked = {}        # field -> group array, kept up by _on_set
        self._hooked_els = []
        self.released = False
        self.kept_serial = None  # the reinit that built (or kept) it
        self.version_seen = None  # structure version it stands for (see hsolve._moved_on)
        self._gate_firsts, self._gateoff = ([], [], []), None   # (see gateoff)
        self._place_of = None    # (schedule, _places' map) of the last ask

    # compartments and channels: state the kernel changes is a view of its
    # arrays; values only the user sets reach them through a hook (a view
    # per field and element costs ~2 us: the columns are scattered in memory)
    # (what each class contributes is declared on the class: solver_columns)
    _COMP_FIELDS = ('Vm', 'Cm', 'Rm', 'Em', 'inject', '_chA', '_chB', '_inj', 'Im',
                    'initVm')                     # the kernel's order of node arrays
    _COMP_HOOKED = CompartmentBase.solver_columns['values']
    _COMP_EXT = CompartmentBase.solver_columns['delivered']
    _CHAN_HOOKED = HHChannel.solver_columns['values']
    _CHAN_FIELDS = _CHAN_HOOKED + HHChannel.solver_columns['state']
    _CA_VIEWS = CaConcBase.solver_columns['state'] + CaConcBase.solver_columns['values']

    def build(self, fresh=True):
        """Compile the group.  *fresh* (at reinit): the objects start from
        their initial state; otherwise (a rebuild between starts) they go on
        from the values their fields hold."""
        from ..core.clock import clock
        from ..core.structure import version
        STATS['builds'] += 1
        lead = self.leader
        self.dt = float(lead.cols['dt'][0])
        tick_dt = clock.dts[lead.tick] if lead.tick >= 0 else 0.0
        if tick_dt > 0 and abs(tick_dt - self.dt) > 1e-9 * self.dt:
            log.warning('%s: HSolve.dt = %g s but its tick %d runs every %g s; the solver '
                        'steps with the tick dt', lead.path, self.dt, lead.tick, tick_dt)
            self.dt = float(tick_dt)
        methods = {hs.cols['method'][0] for hs in self.hsolves}
        if len(methods) > 1:
            raise SolverError(f'{lead.path}: HSolves on one tick must use the same method; '
                              f'got {sorted(methods)}')
        self.cn = methods.pop() == 'cn'
        cells = [hs.data['cell'] for hs in self.hsolves]
        self.cells = cells
        comp_els = [el for c in cells for el in c.comp_els]
        self.comp_els = comp_els
        off, n = _offsets(comp_els)
        self._build_nodes(cells, comp_els, n, fresh)
        chan_els = [el for c in cells for el in c.chan_els]
        ca_els = list({id(el): el for c in cells for el in c.ca_els}.values())
        self.ca_els = ca_els
        self.off = off
        self._build_ca(ca_els, {i for c in cells for i in getattr(c, 'ca_own', ())})
        self._build_channels(chan_els, off, fresh)
        pg_els = list({id(el): el for c in cells for el in c.pg_els
                       if _pg_absorbable(el, off)}.values())
        self.pg_els = pg_els
        self._build_pg(pg_els, off)
        ntot = len(self.nodes[0])
        nca, nch = len(self.ca[0]), len(self.chan[0])
        self.work = tuple(np.zeros(ntot) for _ in range(10)) + (np.zeros(nca), np.zeros(nch),
                                                                  np.zeros(ntot),
                                                                  np.zeros(ntot, np.int64),
                                                                  np.zeros(ntot))
        posof = self.posof
        # (only the compartments that have such objects are looked at)
        other_els = [el for c in cells for el in c.comp_els if id(el) in c.chan_other]
        vm_els = [el for c in cells for el in c.comp_els if id(el) in c.vm_out]
        self.c2 = self._build_2d(other_els, off, posof, clock)
        self._build_syn(other_els, vm_els, off, posof, clock)
        self._build_fn(clock)
        self._find_outputs(vm_els, chan_els, ca_els)
        for hs, c in zip(self.hsolves, cells):
            hs.data['group'] = self
            for e in c.comp_els + c.chan_els + c.ca_els:
                e.data['hsolve'] = hs
        if fresh:
            self.reset()
        else:
            self._read_pg()
            self.t = self.t_origin = clock.current_time
            self.nstep = 0
        # a later reinit keeps this layout while the structure is unchanged
        # (compartments, HHChannels, Ca pools and free-running PulseGens;
        # synaptic objects and 2-D channels are compiled again)
        self.version = version()
        self.keepable = not (self.has_syn or len(self.c2_els))

    def _view(self, els, offs, arrays):
        """Make *arrays* ({field: group array}) the columns of *els*.  The
        elements' own columns are kept, to be given back at release (see
        _given_back): dropping them here cost ~0.5 us each, a third of
        making the views."""
        cs = [el.cols for el in els]
        own = [[c.get(name) for c in cs] for name in arrays]
        if els and all(el.num == 1 for el in els) and \
                all(offs[id(el)] == k for k, el in enumerate(els)):
            # one entry each, in order: the views come from iterating rows
            for name, arr in arrays.items():
                for c, v in zip(cs, arr[:len(els)].reshape(-1, 1)):
                    c[name] = v
        else:
            for el, cols in zip(els, cs):
                o = offs[id(el)]
                e = o + el.num
                for name, arr in arrays.items():
                    cols[name] = arr[o:e]
        for el in els:
            el.data['hsolve_group'] = self
        self._viewed.append((els, tuple(arrays), own))

    def _on_set(self, el, name):
        """Hook on solved compartments and channels: a value set between
        runs (initVm, Rm, Gbar, ...) goes into the solver's arrays; a gate
        state set by the user is kept at the next reinit."""
        arr = self._hooked.get(name)
        if arr is None:
            return
        if name in ('X', 'Y', 'Z'):
            go = self.gateoff.get((id(el), 'XYZ'.index(name)))
            if go is not None:
                arr[go:go + el.num] = el.cols['_' + name.lower() + 'set']
            return
        o = (self.off if name in self._COMP_HOOKED else self.choff).get(id(el))
        if o is not None:
            arr[o:o + el.num] = el.cols[name]

    def _hook(self, els):
        f = self._on_set
        for el in els:
            el.hooks.append(f)
        self._hooked_els.extend(els)

    def reset(self):
        """Initial state of every compartment, channel, pool and pulse, in
        bulk, from the current field values (what the objects' own reinit
        does): Vm = initVm, gates at their steady state at initVm (or the
        pool's Ca) unless set by the user, Ca = Ca_base; time to the clock's."""
        from ..core.clock import clock
        V = self.nodes[0]
        n = self.ncomp
        if not np.all(np.isfinite(self.initVm[:n])):
            raise SolverError(f'{self.leader.path}: a compartment has a non-finite Vm/initVm')
        V[:n] = self.initVm[:n]
        V[n:] = 0.0
        # as MOOSE's HSolve at its reinit: currents and conductances that
        # objects delivered to its compartments during their reinit are
        # dropped (the objects deliver again at their first step)
        for a in self.nodes[5:]:          # extA, extB, extI, Im
            a[:] = 0.0
        ca = self.ca_arrays
        if np.any(~(ca['tau'] > 0)):
            q = int(np.nonzero(~(ca['tau'] > 0))[0][0])
            el = next(e for e in self.ca_els
                      if self.caoff[id(e)] <= q < self.caoff[id(e)] + e.num)
            raise SolverError(f'{el.path} ({el.cls.__name__}): tau must be > 0 (got '
                              f'{ca["tau"][q]})')
        ca['Ca'][:] = ca['Ca_base']
        ca['_act'][:] = 0.0
        self.ca[10][:] = 0.0          # current carried to own-tick pools
        gi_ch, gi_tab, gi_pow, gi_src, keep = self.gates
        ch_node, gbar, ek, modul, gk, ik, S = self.chan[:7]
        x = V[self.ch_store[gi_ch]]
        cs = gi_src >= 0
        x[cs] = ca['Ca'][gi_src[cs]]
        A, B = self._lookup(gi_tab, x)
        with np.errstate(divide='ignore', invalid='ignore'):
            S[:] = np.where(keep, S, A / B)
        # as MOOSE's HSolve reinit: the gates only; a channel's Gk stays what
        # it was (0 when the solver has just taken it, else its last step's)
        # until the first step, and Ik is that Gk at the reset Vm
        ik[:] = gk * (ek - V[self.ch_store])
        for el in self.pg_els:
            el.cls._reinit(el)
        self._read_pg()
        self.t = self.t_origin = clock.current_time
        self.nstep = 0           # steps taken since the build: t = t_origin + nstep dt
        # what the pools' and channels' own reinit sends to targets outside
        # the kernel (their next values go after each step)
        if self.outputs:
            self._send_outputs(('Ca', 'Ik'))

    def prepare(self):
        """Before the objects' reinit, on a kept layout: the compartments'
        own reinit in bulk (Vm = initVm; the currents and conductances that
        Python-stepped objects deliver start from zero)."""
        V, Cm, Rm, Em, inj, extA, extB, extI, Im = self.nodes
        n = self.ncomp
        V[:n] = self.initVm[:n]
        for a in (extA, extB, extI, Im):
            a[:] = 0.0

    def _places(self):
        """{id(element): (tick, index in its tick)}: the order of objects in a
        clock step, which the kernel keeps (made once per schedule: the
        builders of one compile each ask for it)."""
        kept = self._place_of
        if kept is not None and kept[0] is self.schedule:
            return kept[1]
        place = {}
        for tk, els in self.schedule:
            place.update(zip(map(id, els), zip([tk] * len(els), range(len(els)))))
        self._place_of = (self.schedule, place)
        return place

    def _find_outputs(self, comp_els, chan_els, ca_els):
        """Value messages that solved objects must still send (as MOOSE's
        HSolve does after each step): VmOut, concOut and IkOut to targets
        the kernel does not serve itself (a Table's input, a Nernst, a
        Python-stepped object).  A group with any runs step by step."""
        outs = []
        sgoff = getattr(self, 'sgoff', {})
        for els, port, field, served in (
                (comp_els, 'VmOut', 'Vm', lambda o, op: id(o) in sgoff),
                (ca_els, 'concOut', 'Ca',
                 lambda o, op: (id(o) in self.choff and op == 'concen') or
                 (id(o) in self.scoff and op == 'assignIntCa') or
                 (id(o) in self.c2off and op in ('concen', 'concen2'))),
                (chan_els, 'IkOut', 'Ik', lambda o, op: id(o) in self.caoff)):
            for el in els:
                tg = []
                for other, oport, m, fwd in links(el, port):
                    if fwd and not served(other, oport):
                        a, b = m.pairs()
                        tg.append((other, oport, list(zip(np.asarray(a).tolist(),
                                                          np.asarray(b).tolist()))))
                if tg:
                    outs.append((el, field, tg))
        self.outputs = outs

    def _send_outputs(self, fields=None):
        from .compartment import deliver
        for el, field, tg in self.outputs:
            if fields is not None and field not in fields:
                continue
            vals = el.cols[field]
            for other, oport, pairs in tg:
                for i, j in pairs:
                    deliver(other, j, oport, float(vals[i]))

    def _kernel_args(self):
        args = getattr(self, '_args', None)
        if args is None:
            args = self._args = (self.nodes + self.tree + self.chan + self.tabs + self.ca
                                 + self.pg + self.c2 + self.fn, self.syn_args, self.work)
        return args

    def _grid(self, t0):
        """(grid dt, solver steps in grid steps, solver step at *t0*): the
        kernel's step times on the clock's grid (MOOSE's dt_ * step), or
        multiple 0 when the solver's dt is not a whole number of grid
        steps."""
        from ..core.clock import clock
        g = clock.grid_dt
        r = self.dt / g if g > 0 else 0.0
        m = int(round(r))
        if m < 1 or abs(r - m) > 1e-6 * r:
            return 0.0, 0, 0
        return g, m, int(round(t0 / self.dt))

    def _probe_columns(self, requests):
        """(flats, kinds, indices) of the values *requests* read: the
        distinct probe keys, sorted, and the kernel's kind and index of
        each.  The clock hands the same spec lists chunk after chunk, so the
        last answer is kept while the lists are the same objects (and the
        node positions the same array)."""
        specs = tuple(r[3] for r in requests)
        kept = getattr(self, '_probes', None)
        if (kept is not None and kept[1] is self.posof and len(kept[0]) == len(specs)
                and all(a is b for a, b in zip(kept[0], specs))):
            return kept[2]
        flats = _uniq(np.array([f for sp in specs for f, _ in sp], dtype=np.int64))
        kind = (flats // _KIND).astype(np.int64)
        idx = (flats % _KIND).astype(np.int64)
        node = (kind == 0) | (kind == 7)
        idx[node] = self.posof[idx[node]]
        self._probes = (specs, self.posof, (flats, kind, idx))
        return flats, kind, idx

    def advance_to(self, t_end, requests):
        """Step every cell of the group to *t_end* [s]; *requests* are the
        tables fed from the solver's state (see core.clock)."""
        from . import hkernels
        nsteps = int(round((t_end - self.t) / self.dt))
        if nsteps < 0:
            nsteps = 0
        if self.has_syn:
            self._sync_syn()
        js0 = int(round(self.t / self.dt))     # the solver's step on the clock
        self._fn_before_call(js0)
        fn_js0 = self.fn[14]
        head, syn_args, work = self._kernel_args()
        if not requests:
            steps, kind, idx, rec = _NO_STEPS, _NO_STEPS, _NO_STEPS, _NO_REC
        else:
            steps_all = []
            for tab, _ticks, st, specs in requests:
                k = np.rint((np.asarray(st) - self.t) / self.dt).astype(np.int64)
                steps_all.append(np.minimum(np.maximum(k, 0), nsteps))
            steps = _uniq(np.concatenate(steps_all))
            flats, kind, idx = self._probe_columns(requests)
            rec = np.zeros((len(steps), len(flats)))
        t0 = self.t
        tg, tgm, ts0 = self._grid(t0)
        done = 0
        r = 0
        finite = True
        nrs = self.rs_U.shape[1] if self.has_syn else 0
        most = max(1, 2_000_000 // nrs) if nrs else nsteps
        while True:
            # one kernel call normally; more when the log of spikes for
            # targets outside the solver fills (they are delivered between),
            # or to bound the RandSpikes' uniforms drawn for a call
            n = min(nsteps - done, most)
            if nrs:
                syn_args = self._draw_uniforms(n)
            fn_js0[0] = js0 + done
            if done:
                st_, rec_ = steps[r:] - done, rec[r:]
            else:
                st_, rec_ = steps, rec
            try:
                k, dr, nlog, ok = hkernels.advance(n, t0 + done * self.dt, self.dt, self.cn,
                                                   tg, tgm, ts0 + done, *head, st_, kind,
                                                   idx, rec_, *syn_args, *work)
            except ZeroDivisionError:
                # the kernel is compiled with numpy's error model (inf or nan,
                # then the finite check below); an ahead-of-time build
                # (numba.pycc) has the Python one, which raises (a cell of
                # sizes beyond double range: 1e17 m)
                self._check_finite(t0)
                raise SolverError(f'{self.leader.path}: a division by zero between t = '
                                  f'{t0:g} and {t0 + nsteps * self.dt:g} s; the values '
                                  f'cannot be trusted after this time; check Rm, Cm, Ra, '
                                  f'the compartment sizes and the channel tables') from None
            finite = finite and ok
            if nlog:
                self._emit_spikes(nlog, t0 + done * self.dt, (tg, tgm, ts0 + done))
            done += k
            r += dr
            if nrs and k < n:
                self._undraw_uniforms(n - k)
            if done >= nsteps:
                break
        if self.has_syn and self.tt_els:
            self._tt_positions_back()
        self._fn_after_call()
        if self.outputs:
            self._send_outputs()
        self.nstep += nsteps
        self.t = self.t_origin + self.nstep * self.dt
        if not finite:
            self._check_finite(t0)
        if not requests:
            return
        for tab, _ticks, st, specs in requests:
            kk = np.rint((np.asarray(st) - t0) / self.dt).astype(np.int64)
            kk = np.minimum(np.maximum(kk, 0), nsteps)
            rows = np.searchsorted(steps, kk)
            vals = np.empty((len(st), len(specs)))
            for c, (flat, scale) in enumerate(specs):
                vals[:, c] = rec[rows, np.searchsorted(flats, flat)] * scale
            tab.cls._record_batch(tab, st, vals)

    def _check_finite(self, t0=None):
        """The kernel found a non-finite Vm: raise, naming the compartment
        (the first non-finite node) and the interval."""
        V = self.nodes[0]
        if not np.isfinite(V.sum()):
            bad = int(np.nonzero(~np.isfinite(V))[0][0])
            where = f'node {bad}'
            flat = np.nonzero(np.asarray(self.posof) == bad)[0]
            if len(flat):
                f = int(flat[0])
                for el in self.comp_els:
                    o = self.off[id(el)]
                    if o <= f < o + el.num:
                        where = el.path if el.num == 1 else f'{el.path}[{f - o}]'
                        break
            when = f'by t = {self.t:g} s' if t0 is None else \
                f'between t = {t0:g} and {self.t:g} s'
            raise SolverError(f'{self.leader.path}: {where}.Vm became {float(V[bad])!r} '
                              f'{when}; the values cannot be trusted after this time; check '
                              f'Rm, Cm, Ra, injected currents and channel tables')

    def release(self):
        """Give every owned element its own columns back (values kept)."""
        if self.released:
            return
        self.released = True
        from ..core.clock import clock
        if clock.schedule is self.schedule:       # mid-run (not a new reinit)
            self._ring_to_queues()
        for els, names, own in self._viewed:
            if names is None:               # gate states: (elements, gates)
                for el, g, mine in zip(*els, own):
                    cols = el.cols
                    cols[g] = _given_back(cols[g], mine)
                continue
            for i, el in enumerate(els):
                cols = el.cols
                for name, mine in zip(names, own):
                    cols[name] = _given_back(cols[name], mine[i])
                if el.data.get('hsolve_group') is self:
                    el.data.pop('hsolve_group', None)
                    el.data.pop('hsolve', None)
                el.data.pop('hsolve_pg', None)
        for f in (self._on_set, getattr(self, '_fn_dirty', None)):
            for el in self._hooked_els:
                if f in el.hooks:
                    el.hooks.remove(f)
        for el in self.owned:
            for name, col in list(el.cols.items()):
                if isinstance(col, np.ndarray) and col.base is not None:
                    el.cols[name] = np.array(col)
            if el.data.get('hsolve_group') is self:
                el.data.pop('hsolve_group', None)
                if not el.data.get('hsolve_syn') and not el.data.get('hsolve_fn'):
                    # (synaptic objects keep their HSolve: absorbed() asks it
                    # to rebuild the group before they would step themselves)
                    el.data.pop('hsolve', None)
            if el.data.get('hsolve_pg') is self:
                el.data.pop('hsolve_pg', None)
        for hs in self.hsolves:
            if hs.data.get('group') is self:
                hs.data['group'] = None
