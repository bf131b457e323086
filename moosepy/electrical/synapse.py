"""Spikes and synapses: ``SpikeGen``, ``Synapse``/``SimpleSynHandler``,
``SynChan``, ``NMDAChan``, ``MgBlock``, ``IntFire``, ``LIF``,
``RandSpike`` and ``TimeTable``.

Events
------
A spike is a time [s].  Sources (``SpikeGen``, ``RandSpike``,
``TimeTable``, ``IntFire``, ``LIF``) send it through ``spikeOut`` (TimeTable:
``eventOut``) to a synapse's ``addSpike`` (or a Table's ``spike``).  A
synapse puts (spike time + its delay, its weight) into its handler's
priority queue (a heap).  At every tick the handler takes out every event
due by the current time and sends ``activationOut`` = sum(weight)/dt, so a
delta synapse delivers its weight over exactly one step.  As in MOOSE,
"due" is ``spike time + delay <= t`` compared without tolerance, with the
step times on MOOSE's grid (see :mod:`moosepy.core.clock`), so a delay of
a whole number of steps arrives one step later where the sum rounds up
(21·50e-6 + 1e-4 > 23·50e-6), exactly where pymoose's does.  A RandSpike
steps before the handlers of its tick (MOOSE's order, whatever the creation
order): a spike with delay 0 drives the SynChan in the step it is made.
TimeTable and RandSpike compare their times exactly too.

Without an HSolve everything here is stepped in Python on its tick
(MOOSE's ticks: handlers and RandSpike 1, IntFire/LIF 2, SynChan 4,
SpikeGen 5, TimeTable 8).  An HSolve takes over the SynChans (and
NMDAChans) of its compartments, the SimpleSynHandlers that drive only
those, and the RandSpikes and TimeTables that feed only those handlers, and
steps them inside its kernel with the same timing; and, as MOOSE's HSolve,
it checks the SpikeGens on its compartments' Vm right after its own step
(see :mod:`moosepy.electrical.hsolve`).  Their fields are then views of the
solver's state.

Numerics
--------
* SynChan: MOOSE's exact dual-exponential update
  ``X <- a·tau1(1-e^{-dt/tau1}) + X e^{-dt/tau1}``,
  ``Y <- X·tau2(1-e^{-dt/tau2}) + Y e^{-dt/tau2}``, ``Gk = norm·Y``, with
  ``norm`` making the peak of a single weight-1 event equal ``Gbar``
  (alpha function when tau1 == tau2).
* IntFire steps as MOOSE's: activation is added, then it fires when
  ``Vm > thresh`` and ``t - lastSpike > refractoryPeriod`` (exact
  comparisons; Vm is not held while refractory, so input during the period
  fires at its end), resetting Vm to -1e-7; otherwise Vm decays.  Spike
  steps equal pymoose's (tests/electrical/test_intfire_refractory_input.py).
  As MOOSE's, IntFire adds the activation itself: a handler sends w/dt for
  an event of weight w, so one event raises Vm by w/dt (a dimensionless
  potential; MOOSE's scripts choose their weights for that), and Vm decays
  by ``1 - dt/tau`` per step.  (LIF and the IntFireBase family add
  ``activation·dt``, as MOOSE's do.)  The SynChan conductance matches
  pymoose exactly (same update, same step of arrival).
* LIF is a compartment: exponential Euler of
  ``Cm dVm/dt = (Em-Vm)/Rm + inject + channels``; ``Vm > thresh`` at the
  start of a step fires a spike and resets to ``vReset``, where Vm stays
  while ``t < spike time + refractoryPeriod`` (MOOSE's order of checks;
  compared exactly as MOOSE does, so a period of whole steps may last one
  step more where the sum rounds up).
"""

import heapq
import logging
import math

import numpy as np

from ..core.element import Element, Neutral, Vec
from ..core.errors import FieldError, MooseError
from ..core.fields import Field, FieldElementField, Src, Dest, registry
from ..core.msg import links
from .compartment import Compartment, CompartmentBase, deliver
from .channels import ChanBase


# ------------------------------------------------------------------ helpers
def _tick_dt(el):
    from ..core.clock import clock
    t = el.tick
    return float(clock.dts[t]) if t >= 0 else 0.0


def _targets(el, port):
    """{source index: [(element, index, port), ...]} for *port* of *el*,
    compiled from the messages (cached until the next reinit)."""
    cache = el.data.setdefault('_targets', {})
    mo = el.msg_out
    key = (port, len(mo), id(mo[-1]) if mo else 0)
    tg = cache.get(key)
    if tg is None:
        tg = {}
        for other, oport, m, forward in links(el, port):
            if not forward:
                continue
            a, b = m.pairs()
            for i, j in zip(a.tolist(), b.tolist()):
                tg.setdefault(i, []).append((other, j, oport))
        cache[key] = tg
    return tg


def emit_spikes(el, port, indices, t):
    """Send spike time *t* [s] from entries *indices* of *el* through *port*."""
    tg = _targets(el, port)
    if not tg:
        return
    for i in np.atleast_1d(indices).tolist():
        for other, j, oport in tg.get(i, ()):
            if oport == 'addSpike' and issubclass(other.cls, Synapse):
                Synapse._queue_spike(other, j, t)
            else:
                deliver(other, j, oport, t)


def _send_each(el, port, values, mask=None):
    """Deliver values[i] through *port* for each entry i (where mask)."""
    tg = _targets(el, port)
    if not tg:
        return
    for i, lst in tg.items():
        if mask is not None and not mask[i]:
            continue
        v = values[i]
        for other, j, oport in lst:
            deliver(other, j, oport, v)


def _absorbed(el):
    """True when an HSolve steps *el* inside its kernel (see hsolve.absorbed)."""
    hs = el.data.get('hsolve')
    return hs is not None and hs.cls.absorbed(el)


def _release_solver(el):
    """Give *el* back from the HSolve group that holds it (before a reinit
    of its own state, or a change the group cannot follow)."""
    g = el.data.get('hsolve_group')
    if g is not None:
        g.release()


def _changed(cls, el, msg=None):
    """A message to or from *el* was made, or *el* is deleted: an HSolve
    group that steps it lets go, and takes the model again (with the change)
    at the next start."""
    _release_solver(el)


def _pull_vm(el, port='Vm'):
    """Vm [V] of the compartments feeding *el* through VmOut -> *port*
    (read straight from their columns, so solved compartments work too)."""
    for other, oport, m, forward in links(el, port):
        if forward or not issubclass(other.cls, CompartmentBase):
            continue
        a, b = m.pairs()
        el.cols['_V'][b] = other.cols['Vm'][a]


# ================================================================= SpikeGen
class SpikeGen(Neutral):
    """Spike generator: sends a spike time on ``spikeOut`` when Vm exceeds
    ``threshold``, at most once per ``refractT`` (and, when edgeTriggered,
    only on an upward crossing)."""

    default_tick = 5

    threshold = Field(0.0, 'V', 'Spike threshold')
    refractT = Field(0.0, 's', 'Refractory period between spikes')
    abs_refract = Field(0.0, 's', 'Alias of refractT', stored=False)
    hasFired = Field(False, '', 'True if a spike was sent on the last step', type='bool',
                     ro=True)
    edgeTriggered = Field(True, '', 'Fire only when Vm crosses the threshold upwards',
                          type='bool')
    lastSpikeTime = Field(0.0, 's', 'Time of the last spike', ro=True)
    _V = Field(0.0, 'V', hidden=True)
    _above = Field(False, '', type='bool', hidden=True)

    ports = (Dest('Vm', 'double', 'Receives Vm [V] (from a compartment VmOut)'),
             Src('spikeOut', 'double', 'Sends the spike time [s]'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _get_abs_refract(self):
        return self.refractT

    def _set_abs_refract(self, v):
        self.refractT = v

    def _recv_Vm(self, v):
        self._el.cols['_V'][self._idx] = v

    @classmethod
    def _batch_role(cls, el):
        return 'idle' if _absorbed(el) else 'python'

    @classmethod
    def _reinit(cls, el):
        _release_solver(el)
        c = el.cols
        c['lastSpikeTime'][:] = -c['refractT']
        c['hasFired'][:] = False
        c['_above'][:] = False
        el.data.pop('_targets', None)
        _pull_vm(el)

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        _pull_vm(el)
        above = c['_V'] > c['threshold']
        ready = (t + 0.5 * dt) >= (c['lastSpikeTime'] + c['refractT'])
        fire = above & ready & ~(c['edgeTriggered'] & c['_above'])
        # as MOOSE: once fired, an edge-triggered generator re-arms only
        # after Vm drops below threshold
        c['_above'][:] = above & (c['_above'] | fire)
        c['hasFired'][:] = fire
        if fire.any():
            idx = np.nonzero(fire)[0]
            c['lastSpikeTime'][idx] = t
            emit_spikes(el, 'spikeOut', idx, t)


# ================================================================= synapses
class Synapse(Neutral):
    """One synapse of a handler (entries of ``SimpleSynHandler.synapse``):
    a weight and a delay.  Receives spike times on ``addSpike``."""

    #: fields no step changes while its handler is quiet (see
    #: core.clock._skip_quiet: a Table reading them records them in bulk)
    _quiet_fields = ('weight', 'delay', 'spikeTime')

    weight = Field(1.0, '', 'Weight of an event (dimensionless; the SynChan scales it)')
    delay = Field(0.0, 's', 'Delay between the spike and its arrival')
    spikeTime = Field(0.0, 's', "Setting it adds a spike at that time (as addSpike); "
                      "reading it gives the arrival time of the handler's next queued "
                      "event (0 when none), as MOOSE", stored=False)
    _owner = Field(0, '', type='int', hidden=True)

    ports = (Dest('addSpike', 'double', 'Receives a spike time [s]'),)

    def _set_delay(self, v):
        if not (math.isfinite(v) and v >= 0):
            raise FieldError(f'{self.path} (Synapse).delay: expected a finite value >= 0 s, '
                             f'got {v}')
        self._el.cols['delay'][self._idx] = v
        g = self._el.data.get('hsolve_group')
        if g is not None:
            g.syn_delay_dirty = True

    @classmethod
    def _on_copy(cls, new, old):
        # copy k of the handler's entries owns copy k of the synapses
        k = new.num // old.num if old.num else 1
        nh = old.parent.num
        new.cols['_owner'] = (np.tile(old.cols['_owner'], k)
                              + np.repeat(np.arange(k, dtype=np.int64) * nh, old.num))

    @staticmethod
    def _queue_spike(el, j, t):
        handler = el.parent
        push = getattr(handler.cls, '_push_spike', None)
        if push is not None:            # handlers with their own queues (plasticity)
            push(handler, el, j, t)
            return
        q = handler.data.setdefault('queue', [])
        seq = handler.data.get('seq', 0)
        handler.data['seq'] = seq + 1
        c = el.cols
        heapq.heappush(q, (t + float(c['delay'][j]), seq, int(c['_owner'][j]),
                           float(c['weight'][j])))

    def _recv_addSpike(self, t):
        Synapse._queue_spike(self._el, self._idx, float(t))

    def addSpike(self, t):
        """Queue a spike at time *t* [s] on this synapse."""
        self._recv_addSpike(t)

    def _set_spikeTime(self, t):
        self._recv_addSpike(t)

    def _get_spikeTime(self):
        d = self._el.parent.data
        q = d.get('pre') if 'pre' in d else d.get('queue')
        return float(q[0][0]) if q else 0.0

    # Sparse messages onto the synapse vec follow MOOSE: the matrix columns
    # are the handler's data entries, and each new (source, entry) pair gets
    # the entry's next synapse (or synapse `field_index` for setEntry)
    @staticmethod
    def _sparse_columns(el):
        return el.parent.num

    @staticmethod
    def _on_sparse_fill(msg, start, field_index=None):
        syn = msg.el2
        nh = syn.parent.num
        cols = msg.cols[start:]
        if len(cols) and (cols.min() < 0 or cols.max() >= nh):
            raise MooseError(f'{msg}: column {int(cols.max())} out of range: the columns of a '
                             f'Sparse message to {syn.path} are entries of {syn.parent.path} '
                             f'(0..{nh - 1})')
        counts = np.bincount(syn.cols['_owner'], minlength=nh)[:nh].astype(np.int64)
        cols = cols.copy()
        msg.cols = msg.cols[:start].copy()     # the old entries are flat indices already
        if field_index is not None and len(cols) == 1:
            j = int(cols[0])
            counts[j] = max(counts[j], field_index + 1)
            relayout(syn, counts)
            flat = np.nonzero(syn.cols['_owner'] == j)[0][field_index:field_index + 1]
        else:
            before = counts.copy()
            counts = before + np.bincount(cols, minlength=nh)[:nh]
            relayout(syn, counts)
            nxt = np.concatenate([[0], np.cumsum(counts)[:-1]]) + before
            flat = np.empty(len(cols), dtype=np.int64)
            for k, j in enumerate(cols.tolist()):
                flat[k] = nxt[j]
                nxt[j] += 1
        msg.cols = np.concatenate([msg.cols, flat]).astype(np.int64)


def relayout(syn, counts):
    """Lay the flat synapse element out again with *counts[i]* synapses for
    handler entry i (blocks in entry order; an entry keeps its first
    synapses, new ones get the defaults) and renumber the messages that
    reach synapses.  Dropping a synapse that has a message is an error."""
    _release_solver(syn)
    own = syn.cols['_owner']
    counts = np.asarray(counts, dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    new_index = np.full(syn.num, -1, dtype=np.int64)
    rank = np.zeros(syn.num, dtype=np.int64)
    seen = {}
    for k, o in enumerate(own.tolist()):
        r = seen.get(o, 0)
        seen[o] = r + 1
        rank[k] = r
        if o < len(counts) and r < counts[o]:
            new_index[k] = start[o] + r
    for m in syn.msg_in:
        used = np.array([m.i2]) if m.msgType == 'Single' else m.cols
        if m.msgType in ('Single', 'Sparse') and len(used) and np.any(new_index[used] < 0):
            raise MooseError(f'{syn.path}: cannot remove synapses that have messages '
                             f'(from {m.el1.path}); set the number of synapses first')
    total = int(counts.sum())
    newcols = {}
    keep = new_index >= 0
    for name, col in syn.cols.items():
        nc = syn.cls._columns[name].new_column(total)
        nc[new_index[keep]] = col[keep]
        newcols[name] = nc
    newcols['_owner'][:] = np.repeat(np.arange(len(counts)), counts)
    syn.cols = newcols
    syn.num = total
    for m in syn.msg_in:
        if m.msgType == 'Single':
            m.i2 = int(new_index[m.i2])
        elif m.msgType == 'Sparse':
            m.cols = new_index[m.cols]
    for e in (syn.parent,):
        e.data.pop('_targets', None)


class _SynapseView:
    """``handler.synapse`` for one handler entry: indexing, ``len``,
    ``num`` and vectorised ``weight``/``delay`` over that entry's synapses."""

    __slots__ = ('_h',)

    def __init__(self, h):
        object.__setattr__(self, '_h', h)

    def _block(self):
        h = self._h
        syn = h._el.children['synapse']
        return syn, np.nonzero(syn.cols['_owner'] == h._idx)[0]

    def __len__(self):
        return len(self._block()[1])

    @property
    def num(self):
        return len(self)

    @property
    def numField(self):
        return len(self)

    @property
    def path(self):
        return self._h._el.children['synapse'].path

    @property
    def vec(self):
        return Vec(self._h._el.children['synapse'])

    def __getitem__(self, k):
        syn, idx = self._block()
        if isinstance(k, slice):
            return [syn.handle(int(i)) for i in idx[k]]
        k = int(k)
        if k < 0:
            k += len(idx)
        if not 0 <= k < len(idx):
            raise MooseError(f'{syn.path}[{k}]: index out of range ({len(idx)} synapses; set '
                             f'numSynapses or synapse.num first)')
        return syn.handle(int(idx[k]))

    def __iter__(self):
        syn, idx = self._block()
        return (syn.handle(int(i)) for i in idx)

    def __getattr__(self, name):
        syn, idx = self._block()
        if name in syn.cls._fields and not syn.cls._fields[name].hidden:
            f = syn.cls._fields[name]
            if f.stored and f.getter is None:
                return syn.cols[name][idx].copy()
            return np.array([getattr(syn.handle(int(i)), name) for i in idx])
        names = ', '.join(n for n in syn.cls._fields if n not in Neutral._fields)
        raise FieldError(f"{syn.path} ({syn.cls.__name__}) has no field '{name}'; "
                         f"fields: {names}")

    def __setattr__(self, name, value):
        if name == 'num':
            SimpleSynHandler._resize(self._h, int(value))
            return
        syn, idx = self._block()
        f = syn.cls._fields.get(name)
        if f is None or f.ro or f.hidden or name in Neutral._fields:
            names = ', '.join(n for n, g in syn.cls._fields.items()
                              if not g.ro and n not in Neutral._fields)
            raise FieldError(f"{syn.path} ({syn.cls.__name__}): cannot set '{name}'; "
                             f"fields: {names}")
        vals = np.broadcast_to(np.asarray(value, dtype=float), idx.shape)
        for i, v in zip(idx, vals):
            setattr(syn.handle(int(i)), name, float(v))

    def __repr__(self):
        return f'<synapses of {self._h.path}: {len(self)}>'


class _SynapseField(FieldElementField):
    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        obj._element()
        return _SynapseView(obj)


class SynHandlerBase(Neutral):
    """Base of synapse handlers: a set of synapses and the event queue.

    As in MOOSE an abstract base: one can be made and its synapses set,
    but a bare SynHandlerBase cannot run (reinit raises, naming the
    handlers that can; pymoose 5.0.0 exits at reinit, or on reading
    numSynapses)."""

    default_tick = 1

    numSynapses = Field(0, '', 'Number of synapses of this entry', type='unsigned int',
                        stored=False)
    synapse = _SynapseField('Synapse', 'The synapses (weight, delay)')

    ports = (Src('activationOut', 'double', 'Sends the activation (sum of weights / dt) '
                 'of the events due this step'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def __init_obj__(self):
        el = self._el
        se = Element('synapse', el, registry['Synapse'], 0)
        se.is_field_element = True

    def _get_numSynapses(self):
        return len(_SynapseView(self))

    def _set_numSynapses(self, n):
        self._resize(self, int(n))

    @staticmethod
    def _resize(h, n):
        """Give entry *h* exactly *n* synapses."""
        if n < 0:
            raise FieldError(f'{h.path}.numSynapses: expected >= 0, got {n}')
        syn = h._el.children['synapse']
        counts = np.bincount(syn.cols['_owner'], minlength=h._el.num)[:h._el.num]
        if counts[h._idx] == n:
            return
        counts[h._idx] = n
        relayout(syn, counts)

    @classmethod
    def _batch_role(cls, el):
        return 'idle' if _absorbed(el) else 'python'

    @classmethod
    def _reinit(cls, el):
        if cls is SynHandlerBase:
            raise MooseError(f'{el.path}: SynHandlerBase is the abstract base of synapse '
                             f'handlers and cannot run; make a SimpleSynHandler, '
                             f'STDPSynHandler, SeqSynHandler or '
                             f'GraupnerBrunel2012CaPlasticitySynHandler instead')
        _release_solver(el)
        el.data['queue'] = []
        el.data['seq'] = 0
        el.data.pop('_targets', None)
        el.data['_n'] = 0

    @classmethod
    def _on_copy(cls, new, old):
        new.data['queue'] = []

    @classmethod
    def _process(cls, el, t, dt):
        q = el.data.get('queue')
        if not q:
            return
        act = {}
        # as MOOSE: (spike time + delay) <= the step's time, compared
        # exactly (times on MOOSE's grid, so they round as MOOSE's)
        while q and q[0][0] <= t:
            _, _, owner, w = heapq.heappop(q)
            act[owner] = act.get(owner, 0.0) + w / dt
        if act:
            tg = _targets(el, 'activationOut')
            for i, a in act.items():
                for other, j, oport in tg.get(i, ()):
                    deliver(other, j, oport, a)


class SimpleSynHandler(SynHandlerBase):
    """Synapse handler without plasticity: events arrive after their delay
    and are summed into ``activationOut`` (to a SynChan or IntFire
    ``activation``)."""


# ================================================================== SynChan
class SynChan(ChanBase):
    """Synaptic channel: dual-exponential conductance driven by
    ``activation`` (from a SimpleSynHandler).  A single event of weight w
    gives ``Gk(t) = w·Gbar·(e^{-t/tau1} - e^{-t/tau2})/peak`` (alpha
    function ``w·Gbar·(t/tau)e^{1-t/tau}`` when tau1 == tau2)."""

    tau1 = Field(1e-3, 's', 'Rise (first) time constant (> 0)')
    tau2 = Field(1e-3, 's', 'Decay (second) time constant (> 0)')
    normalizeWeights = Field(False, '', 'Divide the response by the number of synapses '
                             'of the handlers feeding it', type='bool')
    bufferTime = Field(0.0, 's', 'Kept for MOOSE compatibility (unused)')
    _act = Field(0.0, '1/s', hidden=True)
    _mod = Field(1.0, '', hidden=True)
    _X = Field(0.0, '', hidden=True)
    _Yv = Field(0.0, 's', hidden=True)
    _norm = Field(0.0, 'S/s', hidden=True)

    ports = (Dest('activation', 'double', 'Receives activation [1/s] (weights / dt)'),
             Dest('modulator', 'double', 'Multiplies the next activation'))

    def _tau_setter(name):
        def s(self, v):
            if not (math.isfinite(v) and v > 0):
                raise FieldError(f'{self.path} ({self.className}).{name}: expected a finite '
                                 f'value > 0 s, got {v}')
            self._el.cols[name][self._idx] = v
        return s

    _set_tau1 = _tau_setter('tau1')
    _set_tau2 = _tau_setter('tau2')
    del _tau_setter

    def _recv_activation(self, v):
        self._el.cols['_act'][self._idx] += v

    @classmethod
    def _batch_role(cls, el):
        # stepped by an HSolve (see hsolve._build_syn), else in Python; idle
        # also when nothing drives it and nothing reads it
        if _absorbed(el):
            return 'idle'
        if links(el, 'activation') or links(el, 'channel') or el.msg_in or el.msg_out:
            return 'python'
        return 'idle'

    def _recv_modulator(self, v):
        self._el.cols['_mod'][self._idx] *= v

    @staticmethod
    def peak_norm(tau1, tau2):
        """1 / peak of (e^{-t/tau1} - e^{-t/tau2})·tau1 tau2/(tau1 - tau2), the
        response Y of the X, Y cascade to a unit event."""
        if tau1 == tau2:
            return math.e / tau1
        tp = tau1 * tau2 * math.log(tau1 / tau2) / (tau1 - tau2)
        return (tau1 - tau2) / (tau1 * tau2 * (math.exp(-tp / tau1) - math.exp(-tp / tau2)))

    @classmethod
    def _reinit(cls, el):
        _release_solver(el)
        c = el.cols
        dt = _tick_dt(el)
        for k in ('_act', '_X', '_Yv', 'Gk', 'Ik'):
            c[k][:] = 0.0
        c['_mod'][:] = 1.0
        nsyn = cls._num_inputs(el)
        for i in range(el.num):
            n = cls.peak_norm(float(c['tau1'][i]), float(c['tau2'][i])) * float(c['Gbar'][i])
            if c['normalizeWeights'][i] and nsyn[i] > 0:
                n /= nsyn[i]
            c['_norm'][i] = n
        t1, t2 = c['tau1'], c['tau2']
        el.data['xc'] = (t1 * (1 - np.exp(-dt / t1)), np.exp(-dt / t1),
                         t2 * (1 - np.exp(-dt / t2)), np.exp(-dt / t2))
        el.data['comps'] = cls._compartments(el)
        el.data.pop('_targets', None)
        cls._read_vm(el, el.data['comps'])

    @staticmethod
    def _num_inputs(el):
        n = np.zeros(el.num)
        for other, oport, m, forward in links(el, 'activation'):
            if forward or not issubclass(other.cls, SynHandlerBase):
                continue
            a, b = m.pairs()
            syn = other.children['synapse']
            for i, j in zip(a.tolist(), b.tolist()):
                n[j] += np.count_nonzero(syn.cols['_owner'] == i)
        return n

    @classmethod
    def _conductance(cls, el, vm):
        """Gk before any voltage dependence (NMDAChan overrides)."""
        c = el.cols
        return c['_Yv'] * c['_norm'] * c['modulation']

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        if 'xc' not in el.data:
            cls._reinit(el)
        x1, x2, y1, y2 = el.data['xc']
        c['_X'][:] = c['_mod'] * c['_act'] * x1 + c['_X'] * x2
        c['_Yv'][:] = c['_X'] * y1 + c['_Yv'] * y2
        c['_act'][:] = 0.0
        c['_mod'][:] = 1.0
        comps = el.data['comps']
        vm = cls._read_vm(el, comps)
        gk = cls._conductance(el, vm)
        c['Gk'][:] = gk
        cls._send_current(el, comps, gk, vm)
        _send_each(el, 'channelOut', list(zip(gk.tolist(), c['Ek'].tolist())))


def mg_block(vm, KMg_A, KMg_B, CMg):
    """Fraction of NMDA conductance not blocked by Mg2+ (Jahr & Stevens
    1990): 1 / (1 + CMg/KMg_A · exp(-Vm/KMg_B)); CMg, KMg_A in mM, Vm and
    KMg_B in V."""
    return 1.0 / (1.0 + (CMg / KMg_A) * np.exp(-np.asarray(vm) / KMg_B))


def ghk_ca_current(gk, vm, cin, cout, temperature, cond_fraction):
    """Ca part [A] of an NMDA receptor's current, MOOSE's way: the channel's
    conductance gk [S] turned into a Ca permeability at the Ca Nernst
    potential and put into the Goldman-Hodgkin-Katz flux for z = 2 at vm [V],
    times the fraction of the conductance carried by Ca.  cin, cout in mM,
    temperature in K.  Positive = inward, as MOOSE's channel currents
    (Ik = Gk (Ek - Vm)): a CaConc with B > 0 fed on ``current`` rises.
    Near vm = 0 the GHK factor
    x/(1 - e^-x) is taken as 1/(1 - x/2) (MOOSE 5.0.0's expansion drops the
    1/x and goes to 0 within 0.13 uV of 0 V: a bug not copied)."""
    from ..core.units import FaradayConst, GasConst
    gk, vm, cin, cout = (np.asarray(a, dtype=float) for a in (gk, vm, cin, cout))
    k = 2.0 * FaradayConst / (GasConst * np.asarray(temperature, dtype=float))
    x = k * vm
    e = np.exp(-x)
    with np.errstate(divide='ignore', invalid='ignore'):
        # ln(cout/cin)/(cin - cout) -> -1/cin as cout -> cin
        same = np.isclose(cin, cout, rtol=1e-12, atol=0.0)
        ratio = np.where(same, -1.0 / cin, np.log(cout / cin) / np.where(same, 1.0, cin - cout))
        small = np.abs(x) < 1e-5
        ghk = np.where(small, 1.0 / (1.0 - 0.5 * x), x / np.where(small, 1.0, 1.0 - e))
    return gk * ratio / k * ghk * (cin - cout * e) * cond_fraction


class NMDAChan(SynChan):
    """NMDA receptor channel: a SynChan whose conductance is multiplied by the
    Mg2+ unblocked fraction 1/(1 + CMg/KMg_A·exp(-Vm/KMg_B)), and whose Ca
    part ``ICa`` (Goldman-Hodgkin-Katz, see :func:`ghk_ca_current`) is sent
    on ``ICaOut`` every step (to a CaConc ``current``).  ``intCa`` follows
    ``assignIntCa`` (value·intCaScale + intCaOffset, e.g. from a CaConc's
    concOut).  Defaults are MOOSE's (KMg_A = KMg_B = CMg = 1); Jahr &
    Stevens' values are KMg_A = 3.57 mM, KMg_B = 1/62 V with CMg = 1.2 mM."""

    KMg_A = Field(1.0, 'mM', 'Mg2+ dissociation constant at 0 V (Jahr & Stevens: 3.57; > 0)')
    KMg_B = Field(1.0, 'V', 'Voltage scale of the Mg2+ block (Jahr & Stevens: 1/62; > 0)')
    CMg = Field(1.0, 'mM', 'Extracellular Mg2+ concentration (> 0)')
    ICa = Field(0.0, 'A', 'Calcium part of the current (GHK; positive = inward, as Ik)',
                ro=True)
    condFraction = Field(0.02, '', 'Fraction of the conductance carried by Ca ions')
    extCa = Field(1.5, 'mM', 'Extracellular Ca (> 0)')
    intCa = Field(0.0008, 'mM', 'Intracellular Ca (> 0); set by assignIntCa')
    intCaScale = Field(1.0, '', 'Scale applied to values received on assignIntCa')
    intCaOffset = Field(0.0, 'mM', 'Offset added after the scale to assignIntCa values')
    temperature = Field(300.0, 'K', 'Temperature (> 0)')
    permeability = Field(0.0, 'S', 'Alias of Gbar (as MOOSE)', stored=False)

    ports = (Dest('assignIntCa', 'double', 'Sets intCa = value·intCaScale + intCaOffset'),
             Src('ICaOut', 'double', 'Sends ICa [A] every step'))

    def _positive(name):
        def s(self, v):
            if not (math.isfinite(v) and v > 0):
                raise FieldError(f'{self.path} (NMDAChan).{name}: expected a finite value '
                                 f'> 0, got {v}')
            self._el.cols[name][self._idx] = v
        return s

    _set_KMg_A = _positive('KMg_A')
    _set_KMg_B = _positive('KMg_B')
    _set_CMg = _positive('CMg')
    _set_extCa = _positive('extCa')
    _set_intCa = _positive('intCa')
    _set_temperature = _positive('temperature')
    del _positive

    def _get_permeability(self):
        return self.Gbar

    def _set_permeability(self, v):
        self.Gbar = v

    def _recv_assignIntCa(self, v):
        c = self._el.cols
        i = self._idx
        c['intCa'][i] = v * c['intCaScale'][i] + c['intCaOffset'][i]

    @classmethod
    def _conductance(cls, el, vm):
        c = el.cols
        return super()._conductance(el, vm) * mg_block(vm, c['KMg_A'], c['KMg_B'], c['CMg'])

    @classmethod
    def _reinit(cls, el):
        super()._reinit(el)
        el.cols['ICa'][:] = 0.0

    @classmethod
    def _process(cls, el, t, dt):
        super()._process(el, t, dt)
        c = el.cols
        c['ICa'][:] = ghk_ca_current(c['Gk'], c['_Vm'], c['intCa'], c['extCa'],
                                     c['temperature'], c['condFraction'])
        _send_each(el, 'ICaOut', c['ICa'])


class MgBlock(ChanBase):
    """Mg2+ block placed between a channel and its compartment: receives the
    channel's Gk, Ek on ``origChannel`` and sends ``Gk·KMg/(KMg + CMg)``,
    ``KMg = KMg_A·exp(Vm/KMg_B)`` to the compartment (MOOSE's form of Jahr &
    Stevens: KMg_A = 3.57 mM, KMg_B = 1/62 V for NMDA receptors)."""

    default_tick = 1

    KMg_A = Field(1.0, 'mM', 'Mg2+ dissociation constant at 0 V (> 0)')
    KMg_B = Field(1.0, 'V', 'Voltage scale of the block (> 0)')
    CMg = Field(1.0, 'mM', 'Extracellular Mg2+ concentration')
    Zk = Field(0.0, '', 'Charge of the blocking ion (kept for MOOSE compatibility)')
    _Gorig = Field(0.0, 'S', hidden=True)

    ports = (Dest('origChannel', 'double2', 'Receives Gk [S], Ek [V] of the blocked channel'),)

    @classmethod
    def _batch_role(cls, el):
        return 'python' if (el.msg_in or el.msg_out) else 'idle'

    def _recv_origChannel(self, v):
        gk, ek = v
        self._el.cols['_Gorig'][self._idx] = gk
        self._el.cols['Ek'][self._idx] = ek

    @classmethod
    def _reinit(cls, el):
        el.cols['_Gorig'][:] = 0.0
        el.cols['Gk'][:] = 0.0
        el.data['comps'] = cls._compartments(el)

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        comps = el.data.get('comps')
        if comps is None:
            comps = el.data['comps'] = cls._compartments(el)
        vm = cls._read_vm(el, comps)
        kmg = c['KMg_A'] * np.exp(vm / c['KMg_B'])
        gk = c['_Gorig'] * kmg / (kmg + c['CMg'])
        c['Gk'][:] = gk
        cls._send_current(el, comps, gk, vm)


# ======================================================= integrate and fire
class IntFire(Neutral):
    """Integrate-and-fire point neuron (dimensionless potential).  Each
    step, as MOOSE: the activation received (w/dt per event of weight w
    from a synapse handler) is added to Vm as it is; the neuron fires when
    then ``Vm > thresh`` and ``t - lastSpike > refractoryPeriod`` (both
    compared exactly, no tolerance), which sets Vm to -1e-7 (MOOSE's reset
    value); otherwise Vm is multiplied by ``1 - dt/tau``.  Vm is not held while refractory: input
    keeps adding, and a Vm above thresh fires at the first step after the
    period.  As MOOSE, reinit leaves lastSpike alone (a second run starts
    refractory after a late spike of the first) and setting
    refractoryPeriod sets lastSpike to -refractoryPeriod."""

    default_tick = 2

    Vm = Field(0.0, 'V', 'Membrane potential (arbitrary units in MOOSE)')
    tau = Field(1.0, 's', 'Membrane time constant (> 0)')
    thresh = Field(0.0, 'V', 'Firing threshold')
    refractoryPeriod = Field(0.1, 's', 'Refractory period after a spike (setting it '
                             'sets lastSpike to -refractoryPeriod, as MOOSE)')
    lastSpike = Field(-0.1, 's', 'Time of the last spike (kept over reinit, as MOOSE)',
                      ro=True)
    hasFired = Field(False, '', 'True if the neuron fired on the last step', type='bool',
                     ro=True)
    _act = Field(0.0, 'V/s', hidden=True)

    ports = (Dest('activation', 'double', 'Added to Vm at the next step, as it is (an '
                  'event of weight w from a handler adds w/dt, as in MOOSE)'),
             Src('spikeOut', 'double', 'Sends the spike time [s]'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    #: Vm after a spike (MOOSE's IntFire)
    V_RESET = -1.0e-7

    def _set_tau(self, v):
        if not (math.isfinite(v) and v > 0):
            raise FieldError(f'{self.path} (IntFire).tau: expected a finite value > 0 s, got {v}')
        self._el.cols['tau'][self._idx] = v

    def _set_refractoryPeriod(self, v):
        if not math.isfinite(v):
            raise FieldError(f'{self.path} (IntFire).refractoryPeriod: expected a finite '
                             f'value [s], got {v}')
        c = self._el.cols
        c['refractoryPeriod'][self._idx] = v
        c['lastSpike'][self._idx] = -v

    def _recv_activation(self, v):
        self._el.cols['_act'][self._idx] += v

    @classmethod
    def _reinit(cls, el):
        c = el.cols
        c['Vm'][:] = 0.0
        c['_act'][:] = 0.0
        c['hasFired'][:] = False
        el.data.pop('_targets', None)

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        V = c['Vm']
        V += c['_act']
        c['_act'][:] = 0.0
        # MOOSE's test: the difference, strictly greater, no tolerance
        fire = (V > c['thresh']) & ((t - c['lastSpike']) > c['refractoryPeriod'])
        V *= np.where(fire, 1.0, 1.0 - dt / c['tau'])
        c['hasFired'][:] = fire
        if fire.any():
            idx = np.nonzero(fire)[0]
            V[idx] = cls.V_RESET
            c['lastSpike'][idx] = t
            emit_spikes(el, 'spikeOut', idx, t)


class LIF(Compartment):
    """Leaky integrate-and-fire neuron: a compartment (Vm, Em, Rm, Cm,
    inject, channels) that fires when Vm > thresh, then sits at vReset for
    refractoryPeriod.  Constant input I gives the interspike interval
    ``refractoryPeriod + Rm Cm ln((Em + I Rm - vReset)/(Em + I Rm - thresh))``
    (to within two steps: MOOSE checks the threshold at the start of a step).
    Activation arriving while refractory is summed and added, as
    activation·dt, on the first step after the period (as MOOSE)."""

    default_tick = 2

    thresh = Field(0.0, 'V', 'Firing threshold')
    vReset = Field(0.0, 'V', 'Potential after a spike')
    refractoryPeriod = Field(0.0, 's', 'Time held at vReset after a spike')
    lastEventTime = Field(0.0, 's', 'Time of the last spike', ro=True)
    hasFired = Field(False, '', 'True if the neuron fired on the last step', type='bool',
                     ro=True)
    _act = Field(0.0, 'V/s', hidden=True)

    ports = (Dest('activation', 'double', 'Adds activation·dt to Vm [V/s]'),
             Src('spikeOut', 'double', 'Sends the spike time [s]'))

    def _recv_activation(self, v):
        self._el.cols['_act'][self._idx] += v

    @classmethod
    def _batch_role(cls, el):
        return 'python'

    @classmethod
    def _reinit(cls, el):
        super()._reinit(el)
        c = el.cols
        c['_act'][:] = 0.0
        c['lastEventTime'][:] = -c['refractoryPeriod']
        c['hasFired'][:] = False
        el.data.pop('_targets', None)

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        V = c['Vm']
        refr = t < c['lastEventTime'] + c['refractoryPeriod']     # exact, as MOOSE
        # activation arriving in the refractory period is kept and added at
        # its first step out of it, as MOOSE
        V += np.where(refr, 0.0, c['_act'] * dt)
        c['_act'][:] = np.where(refr, c['_act'], 0.0)
        fire = ~refr & (V > c['thresh'])
        A = c['_chA'] + c['inject'] + c['_inj'] + c['Em'] / c['Rm']
        B = c['_chB'] + 1.0 / c['Rm']
        vinf = A / B
        vstep = vinf + (V - vinf) * np.exp(-B * dt / c['Cm'])
        V[:] = np.where(refr | fire, c['vReset'], vstep)
        for k in ('_chA', '_chB', '_inj'):
            c[k][:] = 0.0
        c['hasFired'][:] = fire
        if fire.any():
            idx = np.nonzero(fire)[0]
            c['lastEventTime'][idx] = t
            emit_spikes(el, 'spikeOut', idx, t)
        from .compartment import send_values
        send_values(el, 'VmOut', V)

    # ---- quiet steps (core.clock._skip_quiet): between input events and
    # its own spikes a LIF only relaxes; the steps are taken by a kernel
    #: fields unchanged over quiet steps (Vm moves: tables take it from VmOut)
    _quiet_fields = ('thresh', 'vReset', 'refractoryPeriod', 'lastEventTime', 'Em', 'Rm',
                     'Cm', 'inject', 'initVm')

    @staticmethod
    def _quiet_links(el):
        """The VmOut targets [(entry, table, index)] when the LIF's only
        messages are activation in, spikes out, VmOut to Tables' input and
        Tables reading quiet fields; else None.  Kept until the messages
        change."""
        from ..core.structure import version
        key = (version(), len(el.msg_in), len(el.msg_out))
        hit = el.data.get('_quietlinks')
        if hit is not None and hit[0] == key:
            return hit[1]
        res = []
        for m in el.msg_in:
            if m.destField == 'activation' or m.destField.startswith('get'):
                continue
            res = None
            break
        if res is not None:
            for m in el.msg_out:
                if m.srcField == 'spikeOut':
                    continue
                if m.srcField == 'VmOut' and m.destField == 'input' and \
                        m.el2.cls.__name__ == 'Table' and 'vec' in m.el2.data:
                    a, b = m.pairs()
                    res.extend((int(i), m.el2, int(j)) for i, j in
                               zip(np.asarray(a).tolist(), np.asarray(b).tolist()))
                    continue
                res = None
                break
        el.data['_quietlinks'] = (key, res)
        return res

    @classmethod
    def _quiet_steps(cls, el, s0, most, dt):
        """Steps before the first one at which an entry fires, when no
        current or channel input is pending (the membrane followed by
        ifkernels.lif_window, with activation kept from a refractory
        period added as _process adds it)."""
        from ..core.clock import step_times
        from .ifkernels import lif_window
        el.data.pop('_quietwin', None)
        if most <= 0 or cls._quiet_links(el) is None:
            return 0
        c = el.cols
        if any(np.any(c[k] != 0.0) for k in ('_chA', '_chB', '_inj')):
            return 0
        until = c['lastEventTime'] + c['refractoryPeriod']
        act = np.array(c['_act'], dtype=float)     # kept from a refractory period
        A = c['_chA'] + c['inject'] + c['_inj'] + c['Em'] / c['Rm']
        B = c['_chB'] + 1.0 / c['Rm']
        vinf = A / B
        E = np.exp(-B * dt / c['Cm'])
        out = np.empty((most, el.num))
        t = step_times(s0, most)
        q = int(lif_window(np.array(c['Vm'], dtype=float), t, until,
                           np.asarray(c['thresh'], dtype=float), vinf, E,
                           np.asarray(c['vReset'], dtype=float), act, float(dt), out))
        el.data['_quietwin'] = (s0, q, out, t)
        return q

    @classmethod
    def _skip_steps(cls, el, s0, n, dt):
        win = el.data.pop('_quietwin', None)
        if win is None or win[0] != s0 or win[1] < n:
            cls._quiet_steps(el, s0, n, dt)
            win = el.data.pop('_quietwin')
        out = win[2][:n]
        c = el.cols
        c['Vm'][:] = out[n - 1]
        # kept activation was added at the first step out of the refractory period
        c['_act'][:] = np.where(win[3][n - 1] < c['lastEventTime'] + c['refractoryPeriod'],
                                c['_act'], 0.0)
        c['hasFired'][:] = False
        for i, tab, j in cls._quiet_links(el):
            st = tab.data['vec']
            while len(st) <= j:
                st.append([])
            st[j].append(out[:, i].copy())


# ============================================================ spike sources
class RandSpike(Neutral):
    """Poisson spike source firing at ``rate`` on average (or, with
    doPeriodic, once 1/rate has passed since the last spike), never within
    refractT of the last spike.  As in MOOSE, the Poisson probability per
    step is raised to ``rate dt / (1 - rate refractT)`` so that the mean
    rate stays ``rate`` despite the dead time (plain ``rate dt`` when
    ``rate refractT >= 1``); reinit puts the last spike at a random time
    ``ln(u) / rate`` before 0 (a random phase); inside the refractory
    period ``hasFired`` keeps its value.  MOOSE computes the raised rate
    when ``rate`` is set, with the refractT of that moment; moosepy uses
    the current refractT, so the order of the two assignments does not
    matter.  Seeded by ``moose.seed``."""

    default_tick = 1

    rate = Field(0.0, '1/s', 'Mean firing rate (>= 0)')
    refractT = Field(0.0, 's', 'Refractory period')
    abs_refract = Field(0.0, 's', 'Alias of refractT', stored=False)
    doPeriodic = Field(False, '', 'Fire regularly at rate instead of randomly', type='bool')
    hasFired = Field(False, '', 'True if it fired on the last step', type='bool', ro=True)
    lastEventT = Field(0.0, 's', 'Time of the last spike', ro=True)

    ports = (Src('spikeOut', 'double', 'Sends the spike time [s]'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _set_rate(self, v):
        if not math.isfinite(v):
            raise FieldError(f'{self.path} (RandSpike).rate: expected a finite value >= 0 Hz, '
                             f'got {v}')
        if v < 0:
            # as MOOSE: a negative rate (e.g. a sine from a StimulusTable on
            # setRate) is taken as 0, with a warning
            logging.getLogger('moosepy.electrical').warning(
                '%s (RandSpike).rate: %g < 0 taken as 0', self.path, v)
            v = 0.0
        self._el.cols['rate'][self._idx] = v

    def _get_abs_refract(self):
        return self.refractT

    def _set_abs_refract(self, v):
        self.refractT = v

    @classmethod
    def _batch_role(cls, el):
        return 'idle' if _absorbed(el) else 'python'

    @classmethod
    def _reinit(cls, el):
        _release_solver(el)
        import zlib
        from .. import _rng
        g = _rng.get('seed')
        seed = None if g is None else [int(g), zlib.crc32(el.path.encode())]
        rng = el.data['rng'] = np.random.default_rng(seed)
        el.data['seed'] = seed
        el.data.pop('spareU', None)
        c = el.cols
        rate = c['rate']
        # MOOSE: the last spike at ln(u)/rate (a random phase), 0 for rate 0
        u = 1.0 - rng.random(el.num)
        with np.errstate(divide='ignore'):
            c['lastEventT'][:] = np.where(rate > 0, np.log(u) / np.where(rate > 0, rate, 1.0),
                                          0.0)
        c['hasFired'][:] = False
        el.data.pop('_targets', None)

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        rng = el.data.get('rng')
        if rng is None:
            cls._reinit(el)
            rng = el.data['rng']
        since = t - c['lastEventT']
        rate = c['rate']
        refr = c['refractT']
        live = (since >= refr) & (rate > 0)        # exact, as MOOSE
        per = c['doPeriodic']
        safe = np.where(rate > 0, rate, 1.0)
        dead = 1.0 - rate * refr
        real = np.where(dead > 0, rate / np.where(dead > 0, dead, 1.0), rate)
        spare = el.data.get('spareU')
        if spare is not None and len(spare) and spare.shape[1] == el.num:
            u = spare[0]                        # drawn ahead (see _quiet_steps)
            el.data['spareU'] = spare[1:]
        else:
            u = rng.random(el.num)
        fire_rand = u < real * dt
        fire_per = since > 1.0 / safe          # strict, on the time grid, as MOOSE
        fire = live & np.where(per, fire_per, fire_rand)
        c['hasFired'][:] = np.where(live, fire, c['hasFired'])
        if fire.any():
            idx = np.nonzero(fire)[0]
            c['lastEventT'][idx] = t
            emit_spikes(el, 'spikeOut', idx, t)

    #: fields unchanged while it does not fire (hasFired may fall)
    _quiet_fields = ('rate', 'refractT', 'abs_refract', 'doPeriodic', 'lastEventT')

    @classmethod
    def _window(cls, el, s0, n, dt):
        """(live, fire) of the next *n* steps from the state now, with the
        uniforms of those steps drawn ahead from the element's generator
        (the same numbers, in the same order, as step by step)."""
        from ..core.clock import step_times
        rng = el.data.get('rng')
        if rng is None:
            cls._reinit(el)
            rng = el.data['rng']
        spare = el.data.get('spareU')
        if spare is None or spare.shape[1] != el.num:
            spare = np.zeros((0, el.num))
        if len(spare) < n:
            spare = np.concatenate([spare, rng.random((n - len(spare), el.num))])
        el.data['spareU'] = spare
        c = el.cols
        t = step_times(s0, n)[:, None]
        since = t - c['lastEventT']
        rate = c['rate']
        refr = c['refractT']
        live = (since >= refr) & (rate > 0)
        per = c['doPeriodic']
        safe = np.where(rate > 0, rate, 1.0)
        dead = 1.0 - rate * refr
        real = np.where(dead > 0, rate / np.where(dead > 0, dead, 1.0), rate)
        fire = live & np.where(per, since > 1.0 / safe, spare[:n] < real * dt)
        return live, fire

    @classmethod
    def _quiet_steps(cls, el, s0, most, dt):
        """How many of the next *most* steps pass without a spike."""
        if most <= 0 or el.num == 0:
            return most
        live, fire = cls._window(el, s0, most, dt)
        busy = np.nonzero(fire.any(axis=1))[0]
        return int(busy[0]) if len(busy) else most

    @classmethod
    def _skip_steps(cls, el, s0, n, dt):
        """*n* steps without a spike: their uniforms used, hasFired falls
        where the generator was live."""
        live, _fire = cls._window(el, s0, n, dt)
        c = el.cols
        c['hasFired'][:] = np.where(live.any(axis=0), False, c['hasFired'])
        el.data['spareU'] = el.data['spareU'][n:]


class TimeTable(Neutral):
    """Sends the spike times of ``vector`` [s] as events (``eventOut``): on
    each tick the next time that is due (at or before the tick's time), at
    most one a tick as in MOOSE, so times closer than dt go out on
    successive ticks; the event carries the table's time."""

    default_tick = 8

    vector = Field(None, 's', 'Spike times, ascending', type='vector', stored=False)
    filename = Field('', '', 'File of spike times (one a line) to load', type='string',
                     stored=False)
    method = Field(4, '', 'Kept for MOOSE compatibility (4: times from file)', type='int')
    state = Field(0.0, '', '1 on a step with an event, else 0', ro=True)
    size = Field(0, '', 'Number of times', type='unsigned int', ro=True, stored=False)
    outputValue = Field(0.0, '', 'Result of the last compareVec (MOOSE: a TableBase '
                        'field the TimeTable itself never sets)', ro=True)
    plotDump = Field('plot.Dump', '', 'Write the times as an xplot: "filename plotname"',
                     type='string', stored=False)

    ports = (Src('eventOut', 'double', 'Sends the event time [s]'),
             Src('spikeOut', 'double', 'Sends the event time [s] (alias of eventOut)'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def __init_obj__(self):
        self._el.data['times'] = [np.zeros(0) for _ in range(self._el.num)]
        self._el.data['pos'] = [0] * self._el.num
        self._el.data['files'] = [''] * self._el.num

    @classmethod
    def _on_copy(cls, new, old):
        k = new.num // old.num if old.num else 1
        d = old.data
        new.data['times'] = [np.array(t) for t in d.get('times', [])] * k
        new.data['files'] = list(d.get('files', [])) * k
        new.data['pos'] = [0] * new.num

    def _store(self):
        d = self._el.data
        while len(d['times']) < self._el.num:
            d['times'].append(np.zeros(0))
            d['pos'].append(0)
            d['files'].append('')
        return d

    def _get_vector(self):
        return self._store()['times'][self._idx].copy()

    def _set_vector(self, v):
        a = np.asarray(v, dtype=float).ravel()
        if a.size and (not np.all(np.isfinite(a)) or np.any(np.diff(a) < 0)):
            raise FieldError(f'{self.path} (TimeTable).vector: expected finite times in '
                             f'ascending order')
        self._store()['times'][self._idx] = a
        _release_solver(self._el)          # an HSolve holding it reads the new times

    def _get_size(self):
        return len(self._store()['times'][self._idx])

    def _get_plotDump(self):
        return 'plot.Dump'      # what MOOSE's getter always gives

    def _set_plotDump(self, v):
        from ..core.table import write_xplot, plot_dump_args
        write_xplot(*plot_dump_args(self, v), self._get_vector())

    def compareVec(self, other, op='rmsd'):
        """RMS difference or ratio of the times and *other* (as a table's);
        stored in ``outputValue``."""
        from ..core.table import TableBase
        return TableBase.compareVec(self, other, op)

    def _get_filename(self):
        return self._store()['files'][self._idx]

    def _set_filename(self, fname):
        try:
            a = np.loadtxt(fname, ndmin=1)
        except (OSError, ValueError) as exc:
            raise FieldError(f'{self.path} (TimeTable).filename: cannot read spike times '
                             f'from {fname!r} ({exc})') from None
        self._set_vector(np.sort(a.ravel()))
        self._store()['files'][self._idx] = fname

    @classmethod
    def _batch_role(cls, el):
        return 'idle' if _absorbed(el) else 'python'

    @classmethod
    def _reinit(cls, el):
        _release_solver(el)
        el.handle(0)._store()
        el.data['pos'] = [0] * el.num
        el.cols['state'][:] = 0.0
        el.data.pop('_targets', None)

    @classmethod
    def _process(cls, el, t, dt):
        d = el.data
        st = el.cols['state']
        st[:] = 0.0
        for i in range(el.num):
            times = d['times'][i]
            p = d['pos'][i]
            if p < len(times) and times[p] <= t:       # exact, as MOOSE
                st[i] = 1.0
                for port in ('eventOut', 'spikeOut'):
                    emit_spikes(el, port, [i], float(times[p]))
                p += 1
            d['pos'][i] = p


for _cls in (SpikeGen, Synapse, SynHandlerBase, SynChan, RandSpike, TimeTable):
    _cls._on_connect = classmethod(_changed)
    _cls._on_delete = classmethod(_changed)
del _cls

__all__ = ['SpikeGen', 'Synapse', 'SynHandlerBase', 'SimpleSynHandler', 'SynChan', 'NMDAChan',
           'MgBlock', 'IntFire', 'LIF', 'RandSpike', 'TimeTable', 'mg_block', 'ghk_ca_current',
           'emit_spikes']
