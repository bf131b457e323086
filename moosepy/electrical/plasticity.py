"""Plastic synapse handlers: ``STDPSynHandler`` (with its ``STDPSynapse``
field element), ``GraupnerBrunel2012CaPlasticitySynHandler`` and
``SeqSynHandler``.

They share the synapse machinery of :mod:`moosepy.electrical.synapse`
(the ``synapse`` field element, ``numSynapses``, Sparse messages onto
synapses) but keep their own event queues, because their rules need to
know which synapse an event came through.  They are always stepped in
Python on their tick (MOOSE's tick 1); an HSolve never takes them over, but
the SynChan they drive may be solved: their ``activationOut`` reaches it
through the solver's view of the channel (see
:mod:`moosepy.electrical.hsolve_synapses`).

Plasticity state (weights, ``aPlus``, ``aMinus``, the sequence history)
is not reset by ``reinit``, as in MOOSE: weights are both parameters and
learned state.  Event times are compared exactly with the step's time, and
that time is taken as MOOSE's clock has it (a multiple of its 50 us base
step), so ties fall on the same steps as in MOOSE.

Differences from MOOSE 5.0.0 (bugs not copied): its Graupner-Brunel
handler never initialises the time of the last Ca update, so the first
event decays Ca over an undefined interval (measured: Ca is NaN until the
script sets ``Ca`` again), and keeps that time across a reinit (Ca then
grows over a negative interval); here it starts at 0 and is reset at
reinit.  MOOSE's reinit of that handler also pops the wrong queue for
pending delayed Ca events (undefined behaviour); here every queue is
cleared.  pymoose cannot set ``SeqSynHandler.synapseOrder``
(NotImplemented for vector<unsigned int>); moosepy can, and fixes
out-of-range entries as MOOSE's C++ does.  A random ``synapseOrderOption``
> 0 gives MOOSE's order (the same Mersenne Twister draws); option 0 draws
from a generator seeded by ``moose.seed`` that nothing else uses, so it
matches MOOSE only where nothing else drew from MOOSE's global one.

Rules, per step of the handler (time ``t`` [s], step ``dt`` [s]):

STDPSynHandler (Gilra's MOOSE rule)
    pre events due (spike time + delay <= t), in time order: activation +=
    current weight/dt; the synapse's ``aPlus += aPlus0``; its weight
    becomes clip(weight carried by the event + aMinus, weightMin,
    weightMax).  ``activationOut`` is sent.  Then each post spike due
    (``addPostSpike``): ``aMinus += aMinus0`` and every synapse's weight
    becomes clip(weight + aPlus).  Last, forward-Euler decay:
    ``aPlus *= 1 - dt/tauPlus``, ``aMinus -= aMinus·dt/tauMinus``.

GraupnerBrunel2012CaPlasticitySynHandler (Graupner & Brunel 2012, event
driven as in Higgins et al. 2014)
    Ca decays as exp(-dt/tauCa) between events and jumps by CaPre at
    pre-spike + delayD and by CaPost at post spikes; the weight is updated
    only at events, with the exact solution of the weight equation over
    the time Ca spent above thetaP (potentiation+depression), between
    thetaD and thetaP (depression) and below thetaD (the bistable
    potential only).  With ``noisy`` a Gaussian term of SD ``noiseSD``
    scaled as MOOSE scales it is added (moosepy's seeded generator).

SeqSynHandler (Bhalla's sequence-recognising synapse)
    Events (with the weight they carried) are binned per ``seqDt`` into a
    history of ``historyTime`` (row 0: the latest bin, at the synapse's
    position ``synapseOrder[k]``); at each bin boundary every history row i
    is correlated with kernel row i, ``kernelEquation(x, t)`` at x =
    0..kernelWidth-1 and t = i·seqDt, centred on each position; the
    correlations summed over rows give one value c[p] per position, and
    ``seqActivation`` = sequenceScale · sum_p c[p]^sequencePower.  It is
    sent every step until the next boundary, plus baseScale·weight/dt per
    event.  As in MOOSE 5.0.0, ``weightScaleVec`` stays 0, so with
    ``plasticityScale`` > 0 the events add nothing.
"""

import heapq
import math
import zlib

import numpy as np

from ..core.element import Element
from ..core.errors import FieldError
from ..core.fields import Field, Dest, registry
from ..core.structure import version as _structure_version
from .compartment import deliver
from .synapse import Synapse, SynHandlerBase, _targets


# ------------------------------------------------------------------ helpers
def _positive(cls_name, name, unit='s'):
    """Setter: a finite value >= 1e-15 (MOOSE ignores smaller ones)."""
    def s(self, v):
        if not (math.isfinite(v) and v >= 1e-15):
            raise FieldError(f'{self.path} ({cls_name}).{name}: expected a finite value '
                             f'>= 1e-15 {unit}, got {v}')
        self._el.cols[name][self._idx] = v
    return s


def _send_activation(el, act):
    """activationOut of entry i = act[i], where nonzero (as MOOSE)."""
    tg = _targets(el, 'activationOut')
    if not tg:
        return
    for i in np.nonzero(act)[0].tolist():
        a = float(act[i])
        for other, j, oport in tg.get(i, ()):
            deliver(other, j, oport, a)


def _moose_clock(t, dt):
    """(t, dt) as MOOSE 5.0.0's clock has them: multiples of its base step,
    the smallest dt ever given to a tick (the defaults have 50 us), so
    that exact comparisons with event times and bin boundaries fall on the
    same steps as in MOOSE (0.105 s is 2100 x 5e-5 = 0.10500000000000001
    there, 105 x 1e-3 = 0.105 here)."""
    key = _structure_version()          # setClock with a new dt advances it
    if _BASE[0] != key:
        from ..core.clock import clock
        dts = clock.dts
        pos = dts[dts > 0]
        _BASE[0], _BASE[1] = key, min(5e-5, float(pos.min()) if len(pos) else 5e-5)
    b = _BASE[1]
    return b * float(int(t / b + 0.5)), b * float(int(dt / b + 0.5))


_BASE = [None, 5e-5]



def _clip_as_moose(w, lo, hi):
    """max(lo, min(w, hi)) with C++'s std::min/std::max, as MOOSE clips
    weights: a NaN weight (0/0 when gammaP + gammaD = 0) becomes lo, not
    NaN."""
    m = np.where(hi < w, hi, w)
    return np.where(lo < m, m, lo)

class _PlasticHandler(SynHandlerBase):
    """Handlers that queue (arrival time, seq, flat synapse index, weight)
    events of their own and are never absorbed by an HSolve."""

    _internal = True
    _synapse_class = 'Synapse'

    def __init_obj__(self):
        el = self._el
        se = Element('synapse', el, registry[self._synapse_class], 0)
        se.is_field_element = True

    @staticmethod
    def _push_spike(el, syn, j, t):
        q = el.data.setdefault('pre', [])
        seq = el.data.get('seq', 0)
        el.data['seq'] = seq + 1
        c = syn.cols
        heapq.heappush(q, (t + float(c['delay'][j]), seq, int(j), float(c['weight'][j])))

    def _recv_addPostSpike(self, t):
        el = self._el
        q = el.data.setdefault('post', [])
        seq = el.data.get('seq', 0)
        el.data['seq'] = seq + 1
        heapq.heappush(q, (float(t), seq, self._idx))

    def addPostSpike(self, t):
        """Queue a post-synaptic spike at time *t* [s]."""
        self._recv_addPostSpike(t)

    @classmethod
    def _batch_role(cls, el):
        return 'python'

    @classmethod
    def _reinit(cls, el):
        super()._reinit(el)
        el.data['pre'] = []
        el.data['post'] = []

    @classmethod
    def _on_copy(cls, new, old):
        new.data['pre'] = []
        new.data['post'] = []

    @staticmethod
    def _due(q, t, eps=0.0):
        """Events of heap *q* due by time *t*, in time order.  As MOOSE, the
        comparison is exact (an event at 0.0112000000000002 s waits for the
        step after t = 0.0112 s)."""
        out = []
        while q and q[0][0] <= t + eps:
            out.append(heapq.heappop(q))
        return out


# ============================================================== STDP
class STDPSynapse(Synapse):
    """A synapse of an ``STDPSynHandler``: weight, delay and the
    pre-synaptic trace ``aPlus``."""

    aPlus = Field(0.0, '', "Pre-synaptic trace: grows by the handler's aPlus0 at each "
                  "pre spike, decays with tauPlus, added to the weight at each post spike")


class STDPSynHandler(_PlasticHandler):
    """Synapses with spike-timing-dependent plasticity: a pre spike adds
    ``aMinus`` (the post-synaptic trace) to its synapse's weight, a post
    spike (``addPostSpike``) adds each synapse's ``aPlus``; weights are
    clipped to [weightMin, weightMax].  Defaults are MOOSE's (note
    weightMax = 0: set it, or every weight is clipped to 0 at its first
    event)."""

    _synapse_class = 'STDPSynapse'

    aMinus = Field(0.0, '', 'Post-synaptic trace: grows by aMinus0 at each post spike, '
                   'decays with tauMinus, added to a weight at each pre spike')
    aMinus0 = Field(0.0, '', 'Added to aMinus at every post spike')
    tauMinus = Field(1.0, 's', 'Decay time constant of aMinus (>= 1e-15)')
    aPlus0 = Field(0.0, '', "Added to a synapse's aPlus at every pre spike")
    tauPlus = Field(1.0, 's', 'Decay time constant of aPlus (>= 1e-15)')
    weightMax = Field(0.0, '', 'Upper bound of the weights')
    weightMin = Field(0.0, '', 'Lower bound of the weights')

    ports = (Dest('addPostSpike', 'double', 'Receives a post-synaptic spike time [s]'),)

    _set_tauMinus = _positive('STDPSynHandler', 'tauMinus')
    _set_tauPlus = _positive('STDPSynHandler', 'tauPlus')

    @classmethod
    def _process(cls, el, t, dt):
        t, dt = _moose_clock(t, dt)
        c = el.cols
        syn = el.children['synapse']
        s = syn.cols
        owner = s['_owner']
        eps = 0.0
        pre, post = el.data.get('pre'), el.data.get('post')
        if not (pre and pre[0][0] <= t) and not (post and post[0][0] <= t):
            # only the traces decay
            if syn.num:
                s['aPlus'] *= 1.0 - dt / c['tauPlus'][owner]
            c['aMinus'] -= c['aMinus'] / c['tauMinus'] * dt
            return
        act = np.zeros(el.num)
        for _t, _seq, j, w_ev in cls._due(el.data.get('pre', []), t, eps):
            o = owner[j]
            act[o] += s['weight'][j] / dt
            s['aPlus'][j] += c['aPlus0'][o]
            s['weight'][j] = max(c['weightMin'][o], min(w_ev + c['aMinus'][o],
                                                        c['weightMax'][o]))
        _send_activation(el, act)
        for _t, _seq, o in cls._due(el.data.get('post', []), t, eps):
            c['aMinus'][o] += c['aMinus0'][o]
            mine = owner == o
            s['weight'][mine] = _clip_as_moose(s['weight'][mine] + s['aPlus'][mine],
                                               c['weightMin'][o], c['weightMax'][o])
        if syn.num:
            s['aPlus'] *= 1.0 - dt / c['tauPlus'][owner]
        c['aMinus'] -= c['aMinus'] / c['tauMinus'] * dt


# ================================================== Graupner-Brunel 2012
class GraupnerBrunel2012CaPlasticitySynHandler(_PlasticHandler):
    """Synapses with calcium-based plasticity (Graupner & Brunel 2012,
    PNAS 109:3991; event-driven form of Higgins, Graupner & Brunel 2014).
    ``Ca`` is one post-synaptic variable per handler entry, shared by its
    synapses; it is updated only at events (pre spike, pre spike +
    ``delayD``, post spike), so read it as valid at those times only.
    Defaults are MOOSE's (weightMax = 0: set the bounds)."""

    Ca = Field(0.0, '', 'Calcium proxy (dimensionless), updated at events')
    CaInit = Field(0.0, '', 'Ca at reinit')
    tauCa = Field(1.0, 's', 'Decay time constant of Ca (>= 1e-15)')
    tauSyn = Field(1.0, 's', 'Time constant of the weight dynamics (>= 1e-15)')
    CaPre = Field(0.0, '', 'Added to Ca delayD after each pre spike')
    CaPost = Field(0.0, '', 'Added to Ca at each post spike')
    delayD = Field(0.0, 's', 'Delay from a pre spike to its Ca jump (NMDA rise time)')
    thetaP = Field(0.0, '', 'Potentiation threshold of Ca (keep thetaP > thetaD)')
    thetaD = Field(0.0, '', 'Depression threshold of Ca')
    gammaP = Field(0.0, '', 'Potentiation rate factor (while Ca > thetaP)')
    gammaD = Field(0.0, '', 'Depression rate factor (while Ca > thetaD)')
    weightMax = Field(0.0, '', 'Upper bound of the weights')
    weightMin = Field(0.0, '', 'Lower bound of the weights')
    weightScale = Field(1.0, '', 'Activation per event is weight·weightScale/dt')
    noisy = Field(False, '', 'Add the Gaussian noise term of SD noiseSD to weight updates',
                  type='bool')
    noiseSD = Field(0.0, '', 'Standard deviation of the weight noise')
    bistable = Field(True, '', 'Apply the bistable (double-well) weight potential',
                     type='bool')
    _lastT = Field(0.0, 's', hidden=True)

    ports = (Dest('addPostSpike', 'double', 'Receives a post-synaptic spike time [s]'),)

    _set_tauCa = _positive('GraupnerBrunel2012CaPlasticitySynHandler', 'tauCa')
    _set_tauSyn = _positive('GraupnerBrunel2012CaPlasticitySynHandler', 'tauSyn')

    @staticmethod
    def _push_spike(el, syn, j, t):
        _PlasticHandler._push_spike(el, syn, j, t)
        o = int(syn.cols['_owner'][j])
        q = el.data.setdefault('preD', [])
        seq = el.data.get('seq', 0)
        el.data['seq'] = seq + 1
        heapq.heappush(q, (t + float(syn.cols['delay'][j]) + float(el.cols['delayD'][o]),
                           seq, o))

    @classmethod
    def _reinit(cls, el):
        super()._reinit(el)
        el.data['preD'] = []
        c = el.cols
        c['Ca'][:] = c['CaInit']
        # MOOSE 5.0.0 keeps the time of the last Ca update across reinits,
        # so after a second reinit Ca grows (negative elapsed time): not copied
        c['_lastT'][:] = 0.0
        from .. import _rng
        g = _rng.get('seed')
        seed = None if g is None else [int(g), zlib.crc32(el.path.encode())]
        el.data['rng'] = np.random.default_rng(seed)

    @classmethod
    def _on_copy(cls, new, old):
        super()._on_copy(new, old)
        new.data['preD'] = []

    @classmethod
    def _factors(cls, el, o, t):
        """Decay Ca of entry *o* to time *t* and return the weight-update
        factors for the elapsed interval (MOOSE's updateCaWeightFactors)."""
        c = el.cols
        tauCa, thD, thP = c['tauCa'][o], c['thetaD'][o], c['thetaP'][o]
        ca0 = c['Ca'][o]
        dT = t - c['_lastT'][o]
        ca = ca0 * math.exp(-dT / tauCa)
        c['Ca'][o] = ca
        c['_lastT'][o] = t
        tP = tD = 0.0
        if ca0 <= thD:
            pass
        elif ca0 <= thP:
            tD = tauCa * math.log(ca0 / thD) if ca <= thD else dT
        else:
            if ca <= thD:
                tP = tauCa * math.log(ca0 / thP)
                tD = tauCa * math.log(thP / thD)
            elif ca <= thP:
                tP = tauCa * math.log(ca0 / thP)
                tD = dT - tP
            else:
                tP = dT
        f = {'tP': tP, 'tD': tD, 't0': dT - tP - tD, 'A': 0.0, 'B': 0.0, 'C': 0.0,
             'D': 0.0, 'E': 0.0}
        gP, gD, tauSyn, sd = c['gammaP'][o], c['gammaD'][o], c['tauSyn'][o], c['noiseSD'][o]
        rng = el.data.get('rng')
        if rng is None:
            rng = el.data['rng'] = np.random.default_rng()
        if tP > 0:
            g = gP + gD
            f['B'] = math.exp(-tP * g / tauSyn)
            f['A'] = gP / g * (1.0 - f['B'])
            if c['noisy'][o]:
                f['C'] = sd * rng.standard_normal() * math.sqrt(
                    (1.0 - math.exp(-2 * g * tP / tauSyn)) / g)
        if tD > 0:
            f['D'] = math.exp(-tD * gD / tauSyn)
            if c['noisy'][o]:
                f['E'] = sd * rng.standard_normal() * math.sqrt(
                    (1.0 - math.exp(-2 * gD * tD / tauSyn)) / 2.0 / gD)
        return f

    @classmethod
    def _update_weights(cls, el, o, f):
        c = el.cols
        s = el.children['synapse'].cols
        mine = s['_owner'] == o
        w = s['weight'][mine]
        if f['tP'] > 0:
            w = f['A'] + f['B'] * w + f['C']
        if f['tD'] > 0:
            w = f['D'] * w + f['E']
        if c['bistable'][o]:
            with np.errstate(divide='ignore', invalid='ignore'):
                chi0 = (w - 0.5) ** 2 / (w * (w - 1.0))
                dev = 0.5 * np.sqrt(1.0 + 1.0 / (chi0 * math.exp(f['t0'] / 2.0 /
                                                               c['tauSyn'][o]) - 1.0))
            w = np.where(w < 0.5, 0.5 - dev, 0.5 + dev)
        s['weight'][mine] = _clip_as_moose(w, c['weightMin'][o], c['weightMax'][o])

    #: fields no step changes between events (see core.clock._skip_quiet)
    _quiet_fields = tuple(n for n in (
        'Ca', 'CaInit', 'tauCa', 'tauSyn', 'CaPre', 'CaPost', 'delayD', 'thetaP', 'thetaD',
        'gammaP', 'gammaD', 'weightMax', 'weightMin', 'weightScale', 'noisy', 'noiseSD',
        'bistable', 'numSynapses'))

    @classmethod
    def _quiet_steps(cls, el, s0, most, dt):
        """Steps before the first one at which an event is due (the handler
        does nothing on the others; see _process)."""
        from ..core.clock import step_times
        d = el.data
        tops = [q[0][0] for q in (d.get('pre'), d.get('preD'), d.get('post')) if q]
        if not tops or most <= 0:
            return most
        t = step_times(s0, most)
        _moose_clock(0.0, dt)                   # (brings its base step up to date)
        b = _BASE[1]
        tm = b * np.floor(t / b + 0.5)          # _moose_clock's t, for every step
        return int(np.searchsorted(tm, min(tops), side='left'))

    @classmethod
    def _skip_steps(cls, el, s0, n, dt):
        """Nothing happens between events."""

    @classmethod
    def _process(cls, el, t, dt):
        t, dt = _moose_clock(t, dt)
        d = el.data
        if not any(q and q[0][0] <= t for q in (d.get('pre'), d.get('preD'), d.get('post'))):
            return                      # nothing happens between events
        c = el.cols
        s = el.children['synapse'].cols
        owner = s['_owner']
        eps = 0.0
        act = np.zeros(el.num)
        facs = {}

        def touch(o):
            if o not in facs:
                facs[o] = cls._factors(el, o, t)

        for _t, _seq, j, _w in cls._due(el.data.get('pre', []), t, eps):
            o = int(owner[j])
            act[o] += s['weight'][j] * c['weightScale'][o] / dt
            touch(o)
        _send_activation(el, act)
        for _t, _seq, o in cls._due(el.data.get('preD', []), t, eps):
            touch(o)
            c['Ca'][o] += c['CaPre'][o]
        for _t, _seq, o in cls._due(el.data.get('post', []), t, eps):
            touch(o)
            c['Ca'][o] += c['CaPost'][o]
        for o, f in facs.items():
            cls._update_weights(el, o, f)


# =========================================================== SeqSynHandler
class SeqSynHandler(_PlasticHandler):
    """Synapses that recognise a sequence of inputs ordered in space (the
    synapse index, remapped by ``synapseOrder``) and time (bins of
    ``seqDt`` over ``historyTime``): the binned input history is matched
    against ``kernel`` (from ``kernelEquation`` in x and t, or set
    directly) at each bin boundary, giving ``seqActivation``, sent on
    ``activationOut`` every step with baseScale·weight/dt per event."""

    kernelEquation = Field('', '', 'Kernel as an expression in x (synapse position, '
                           '0..kernelWidth-1) and t (time of the history row [s])',
                           type='string', stored=False)
    kernelWidth = Field(5, '', 'Number of synapses the kernel spans', type='unsigned int',
                        stored=False)
    seqDt = Field(1.0, 's', 'Bin width of the history: time for the sequence to advance',
                  stored=False)
    historyTime = Field(2.0, 's', 'Duration of the input history kept', stored=False)
    baseScale = Field(0.0, '', 'Scale of the plain synaptic activation (weight/dt per event)')
    sequenceScale = Field(1.0, '', 'Scale of the sequence activation')
    plasticityScale = Field(0.0, '', 'Scale of the per-synapse weight scaling (> 0 uses '
                            'weightScaleVec, which stays 0 in MOOSE 5.0.0)')
    sequencePower = Field(1.0, '', 'Exponent applied to each history row match')
    seqActivation = Field(0.0, '1/s', 'Sequence activation sent every step', ro=True)
    synapseOrder = Field(None, '', 'Position of each synapse on the linear array',
                         type='vector', stored=False)
    synapseOrderOption = Field(-1, '', '-2: user order, -1: sequential, 0: random, '
                               '>0: random with this seed', type='int', stored=False)
    weightScaleVec = Field(None, '', 'Weight scaling of each synapse', type='vector',
                           ro=True, stored=False)
    kernel = Field(None, '', 'The kernel, numHistory rows of kernelWidth entries, row by '
                   'row', type='vector', stored=False)
    history = Field(None, '', 'The input history, numHistory rows of numSynapses entries '
                    '(row 0: the latest bin)', type='vector', ro=True, stored=False)

    def __init_obj__(self):
        super().__init_obj__()
        self._el.data['seqcfg'] = [self._fresh_cfg() for _ in range(self._el.num)]

    @staticmethod
    def _fresh_cfg():
        return {'eq': '', 'width': 5, 'seqDt': 1.0, 'histT': 2.0, 'order': [],
                'option': -1, 'kernel': None, 'history': np.zeros((2, 0)),
                'latest': np.zeros(0)}

    def _cfg(self):
        lst = self._el.data.setdefault('seqcfg', [])
        while len(lst) < self._el.num:
            lst.append(self._fresh_cfg())
        return lst[self._idx]

    @classmethod
    def _on_copy(cls, new, old):
        super()._on_copy(new, old)
        import copy
        k = new.num // old.num if old.num else 1
        new.data['seqcfg'] = [copy.deepcopy(d) for d in old.data.get('seqcfg', [])] * k

    @staticmethod
    def _num_history(cfg):
        return int(1.0 + math.floor(cfg['histT'] * (1.0 - 1e-6) / cfg['seqDt']))

    def _nsyn(self):
        s = self._el.children['synapse'].cols['_owner']
        return int(np.count_nonzero(s == self._idx))

    def _update_kernel(self):
        cfg = self._cfg()
        if cfg['eq'] == '' or cfg['seqDt'] < 1e-9 or cfg['histT'] < 1e-9:
            return
        from ..kinetics.expr import parse, evaluate
        import re
        text = re.sub(r'\bx\b', 'x0', cfg['eq'])
        prog = parse(text, where=f'{self.path} (SeqSynHandler).kernelEquation')
        nh = self._num_history(cfg)
        k = np.empty((nh, cfg['width']))
        for i in range(nh):
            for j in range(cfg['width']):
                k[i, j] = evaluate(prog, [float(j)], i * cfg['seqDt'])
        cfg['kernel'] = k

    def _resize_history(self):
        cfg = self._cfg()
        nh, n = self._num_history(cfg), self._nsyn()
        h = cfg['history']
        new = np.zeros((nh, n))
        r, m = min(nh, h.shape[0]), min(n, h.shape[1])
        new[:r, :m] = h[:r, :m]
        cfg['history'] = new

    # --- fields ------------------------------------------------------------
    def _get_kernelEquation(self):
        return self._cfg()['eq']

    def _set_kernelEquation(self, v):
        self._cfg()['eq'] = v
        self._update_kernel()

    def _get_kernelWidth(self):
        return self._cfg()['width']

    def _set_kernelWidth(self, v):
        self._cfg()['width'] = int(v)
        self._update_kernel()

    def _get_seqDt(self):
        return self._cfg()['seqDt']

    def _set_seqDt(self, v):
        if not (math.isfinite(v) and v > 0):
            raise FieldError(f'{self.path} (SeqSynHandler).seqDt: expected a finite value '
                             f'> 0 s, got {v}')
        self._cfg()['seqDt'] = v
        self._update_kernel()
        self._resize_history()

    def _get_historyTime(self):
        return self._cfg()['histT']

    def _set_historyTime(self, v):
        if not (math.isfinite(v) and v >= 0):
            raise FieldError(f'{self.path} (SeqSynHandler).historyTime: expected a finite '
                             f'value >= 0 s, got {v}')
        self._cfg()['histT'] = v
        self._resize_history()
        self._update_kernel()

    def _get_kernel(self):
        k = self._cfg()['kernel']
        return np.zeros(0) if k is None else k.ravel().copy()

    def _set_kernel(self, v):
        cfg = self._cfg()
        a = np.asarray(v, dtype=float).ravel()
        nh = self._num_history(cfg)
        if a.size != nh * cfg['width']:
            raise FieldError(f'{self.path} (SeqSynHandler).kernel: expected numHistory x '
                             f'kernelWidth = {nh} x {cfg["width"]} = {nh * cfg["width"]} '
                             f'values, got {a.size}')
        cfg['kernel'] = a.reshape(nh, cfg['width']).copy()

    def _get_history(self):
        self._sync_size()
        return self._cfg()['history'].ravel().copy()

    def _get_weightScaleVec(self):
        return np.zeros(self._nsyn())

    def _get_synapseOrder(self):
        self._sync_size()
        return np.array(self._cfg()['order'], dtype=np.int64)

    def _set_synapseOrder(self, v):
        cfg = self._cfg()
        cfg['order'] = [int(x) for x in np.asarray(v).ravel()]
        self._fix_order()
        cfg['option'] = -2

    def _get_synapseOrderOption(self):
        return self._cfg()['option']

    def _set_synapseOrderOption(self, v):
        cfg = self._cfg()
        cfg['option'] = int(v)
        self._refill_order(len(cfg['order']))

    def _fix_order(self):
        """Entries >= the size are replaced by the unused positions, in order
        (as MOOSE)."""
        order = self._cfg()['order']
        sz = len(order)
        used = {o for o in order if o < sz}
        free = iter([i for i in range(sz) if i not in used])
        for i, o in enumerate(order):
            if o >= sz:
                order[i] = next(free)

    def _refill_order(self, n):
        cfg = self._cfg()
        opt = cfg['option']
        if opt <= -2:
            cfg['order'] = (cfg['order'] + [n] * n)[:n]
            self._fix_order()
        elif opt == -1:
            cfg['order'] = list(range(n))
        else:
            # random order: n uniforms from MOOSE's generator (reseeded with
            # the option when > 0), sorted; the same order as MOOSE
            cfg['order'] = np.argsort(_mt_uniforms(opt if opt > 0 else None, n),
                                      kind='stable').tolist()

    def _sync_size(self):
        """Follow the number of synapses (MOOSE resizes at numSynapses)."""
        cfg = self._cfg()
        n = self._nsyn()
        if len(cfg['order']) != n:
            self._refill_order(n)
        if cfg['history'].shape[1] != n or cfg['history'].shape[0] != \
                self._num_history(cfg):
            self._resize_history()
        if len(cfg['latest']) != n:
            lat = np.zeros(n)
            m = min(n, len(cfg['latest']))
            lat[:m] = cfg['latest'][:m]
            cfg['latest'] = lat

    def _set_numSynapses(self, n):
        super()._set_numSynapses(n)
        self._sync_size()
        self._update_kernel()

    @classmethod
    def _reinit(cls, el):
        super()._reinit(el)
        for i in range(el.num):
            el.handle(i)._sync_size()

    @classmethod
    def _process(cls, el, t, dt):
        t, dt = _moose_clock(t, dt)
        c = el.cols
        syn = el.children['synapse']
        owner = syn.cols['_owner']
        first = {}
        eps = 0.0
        events = {}
        for i in range(el.num):
            h = el.handle(i)
            cfg = h._cfg()
            if len(cfg['latest']) != h._nsyn():
                h._sync_size()
        for _t, _seq, j, w in cls._due(el.data.get('pre', []), t, eps):
            o = int(owner[j])
            if o not in first:
                first[o] = int(np.nonzero(owner == o)[0][0])
            k = j - first[o]
            cfg = el.handle(o)._cfg()
            cfg['latest'][cfg['order'][k]] += w
            events.setdefault(o, []).append((k, w))
        act = np.zeros(el.num)
        for i in range(el.num):
            cfg = el.handle(i)._cfg()
            kern = cfg['kernel']
            nh = cls._num_history(cfg)
            sd = cfg['seqDt']
            if nh > 0 and kern is not None and len(kern) > 0 and \
                    int(t / sd) > int((t - dt) / sd):
                hist = cfg['history']
                hist[1:] = hist[:-1].copy()
                hist[0] = cfg['latest']
                cfg['latest'] = np.zeros(hist.shape[1])
                corr = np.zeros(hist.shape[1])
                for r in range(min(nh, len(kern))):
                    corr += _correl(hist[r], kern[r])
                if c['sequenceScale'][i] > 0.0:
                    with np.errstate(invalid='ignore'):
                        c['seqActivation'][i] = c['sequenceScale'][i] * float(
                            np.sum(np.power(corr, c['sequencePower'][i])))
                # MOOSE 5.0.0 computes no weightScaleVec (it stays 0): the
                # short-term plasticity term is not implemented there either
            a = c['seqActivation'][i]
            if c['plasticityScale'][i] <= 0.0:    # else scaled by weightScaleVec = 0
                for _k, w in events.get(i, ()):
                    a += c['baseScale'][i] * w / dt
            act[i] = a
        _send_activation(el, act)


def _mt_uniforms(seed, n):
    """*n* uniforms in [0, 1) as MOOSE's SeqSynHandler draws them: from
    MOOSE's global stream (moose::mtrand, seeded by ``moose.seed``) when
    *seed* is None, else from a stream of its own seeded with *seed*
    (moosepy.core.randnum)."""
    from ..core.randnum import mtrand, seeded_uniforms
    return mtrand(n) if seed is None else seeded_uniforms(seed, n)


def _correl(row, kern):
    """MOOSE 5.0.0's match of one history row with one kernel row: for each
    synapse position p, sum_i kern[i]·row[p + i - width//2] over the
    positions inside the row (the kernel centred on p)."""
    n, k = len(row), len(kern)
    half = k // 2
    out = np.zeros(n)
    for i in range(k):
        sh = i - half           # out[p] += kern[i] * row[p + sh]
        lo, hi = max(0, -sh), min(n, n - sh)
        if lo < hi:
            out[lo:hi] += kern[i] * row[lo + sh:hi + sh]
    return out


__all__ = ['STDPSynapse', 'STDPSynHandler', 'GraupnerBrunel2012CaPlasticitySynHandler',
           'SeqSynHandler']
