"""``HSolve``: the Hines solver of branched cells.

``hs = moose.HSolve('/cell/hsolve'); hs.dt = 25e-6; hs.target = '/cell/soma'``
before ``reinit``.  At reinit the solver walks the axial messages from the
target (the cell is the connected tree of compartments), and takes over the
compartments, their HHChannels (with gates) and the CaConcs those channels
feed or read, plus the PulseGens that drive its compartments (free-running,
only into solved compartments).  Their fields become views of the solver's
state: ``Compartment.Vm/Em/Rm/Cm/inject``, ``HHChannel.Gk/Ik/Gbar/Ek/X/Y/Z``,
``CaConc.Ca``; tables recording them are filled by the solver.

Numerics (see :mod:`moosepy.electrical.hkernels`):

* tree: compartments in Hines order (networkx depth-first preorder from the
  target), O(compartments) elimination per step;
* axial resistance as MOOSE's HSolve reads it: every compartment is two Ra/2
  halves; a parent with one child is joined by Ra_p/2 + Ra_c/2; a parent with
  several children meets them at a star junction of its Ra_p/2 arm and their
  Ra_c/2 arms (an explicit zero-capacitance node, exactly the star);
* ``method`` = ``'cn'`` (Crank-Nicolson, MOOSE's only scheme; default) or
  ``'be'`` (backward Euler, NEURON's default fixed step);
* gate states staggered half a step with a trapezoidal update, rates from
  each gate's own tables (min, max, divs) with linear interpolation;
* Ca pools and Ca-dependent (useConcentration) Z gates inside the kernel.

All HSolves of a model on the same tick are stepped together by one kernel
call over whole chunks (the first one in the schedule leads; the others are
idle).

Spikes and synapses are inside the kernel too.  As in MOOSE, the solver
checks the ``SpikeGen`` that read a solved compartment's Vm right after its
own step, on the new Vm (whatever the SpikeGen's tick), so a threshold
crossing in a step is a spike at the end of that step.  The group also takes
over the ``SynChan``/``NMDAChan`` of its compartments and the
``SimpleSynHandler`` entries that drive only those (on ticks of the
solver's dt, handler before SynChan before solver, as MOOSE's defaults);
an NMDA receptor's Ca current into a CaConc of the cell (``ICaOut ->
current``) and the pool's concentration back (``concOut -> assignIntCa``)
stay inside the kernel too.  A spike from such a
generator to such a synapse goes into an event ring (one slot per step, per
handler entry, as long as the longest delay); a spike to anything else (a
Table, an IntFire's handler) is logged by the kernel and delivered from
Python after the call, with its time.  ``RandSpike`` and ``TimeTable``
sources whose every target is an absorbed synapse are stepped by the kernel
as well (RandSpike with the uniforms its own seeded generator would draw on
the clock, TimeTable on the steps of its own tick); other Python-stepped
sources that queue events on an absorbed handler have them moved into the
ring before each call.  The kernel keeps the clock's order within a step
(sources, handlers, SynChans, then the voltage), and takes over an object
only where the schedule has that order (an event of zero delay is taken in
the same step when its source steps before the handler, as on the clock).  A network of cells joined by synapses therefore
runs in one kernel call per chunk, with no Python per step; the timing is
exactly that of the objects stepped on their ticks (MOOSE's order: handler,
SynChan, then the solver and its SpikeGens), which ``ABSORB_SYNAPSES =
False`` restores for comparison (tests/electrical/test_hsolve_synapse.py;
the SpikeGens stay with the solver either way).

Solved objects keep their value messages, as MOOSE's HSolve does after
each step: a compartment's ``VmOut``, a CaConc's ``concOut`` and a
channel's ``IkOut`` still reach the targets the kernel does not serve (a
Table's ``input``, a Nernst, a Python-stepped object), and currents that
Python-stepped objects send to a solved CaConc enter its next step (a group
with such messages runs step by step).

``HHChannel2D`` on solved compartments is stepped in the kernel too, with
the exponential Euler it uses on its own tick (MOOSE's HSolve leaves it to
its tick), when its concentrations come from Ca pools of the cell.

Objects that the kernel does not handle (VClamp, MgBlock,
triggered PulseGens, SynChans sending IkOut...) stay Python-stepped: they
read ``Vm`` from the solver's state and add their currents and conductances
to the compartment (``injectMsg``, the ``channel`` message) for the next
solver step; the run then goes step by step.

Changing Ra, or the messages, needs a new reinit; Rm, Cm, Em, inject, Gbar,
Ek and gate states can be changed between ``start`` calls.
"""

import logging
from operator import itemgetter

import numpy as np

from ..core.element import Neutral
from ..core.errors import SolverError, FieldError
from ..core.fields import Field
from ..core.msg import links
from .compartment import CompartmentBase

log = logging.getLogger('moosepy.electrical')

METHODS = ('cn', 'be')
_ALIASES = {'crank-nicolson': 'cn', 'cranknicolson': 'cn', 'backward-euler': 'be',
            'backwardeuler': 'be', 'euler': 'be'}
_KIND = 1 << 32
_GEN = {'sched': None, 'gen': 0}     # reinit generation (cells of older ones are stale)
_NO_STEPS = np.zeros(0, dtype=np.int64)      # no samples asked (the kernel only reads)
_NO_REC = np.zeros((0, 0))
_FIELD_KIND = {'Vm': 0, 'Gk': 1, 'Ik': 2, 'Ca': 3, 'X': 4, 'Y': 5, 'Z': 6, 'Im': 7}
#: HSolve takes over SynChans, their handlers and their RandSpike/TimeTable
#: inputs, and HHChannel2Ds (False: they stay Python-stepped; for comparisons
#: of the two paths)
ABSORB_SYNAPSES = True
#: how often groups were compiled and kept at a reinit (for tests and
#: benchmarks: a sweep of runs should compile once)
STATS = {'builds': 0, 'keeps': 0}


class HSolve(Neutral):
    """Hines solver for one cell (the compartment tree around ``target``)."""

    default_tick = 6

    dt = Field(5e-5, 's', 'Integration step (the tick of the HSolve sets how often it '
               'runs; keep them equal)', stored=True, structural=True)
    target = Field('', '', 'Path of one compartment of the cell (or of the cell: its '
                   'first compartment)', type='string', structural=True)
    method = Field('cn', '', "Scheme: 'cn' (Crank-Nicolson, MOOSE's) or 'be' (backward "
                   "Euler)", type='string', structural=True)
    vDiv = Field(3000, '', 'Voltage table divisions (gates keep their own grids)', type='int')
    vMin = Field(-0.1, 'V', 'Voltage table minimum (informational)')
    vMax = Field(0.05, 'V', 'Voltage table maximum (informational)')
    caDiv = Field(3000, '', 'Ca table divisions (informational)', type='int')
    caMin = Field(0.0, 'mM', 'Ca table minimum (informational)')
    caMax = Field(1000.0, 'mM', 'Ca table maximum (informational)')
    caAdvance = Field(1, '', 'Ca pools advance in the solver (always on)', type='int')
    seed = Field(None, '', 'Compartment the walk starts from (as target)', type='object',
                 stored=False)
    numCompartments = Field(0, '', 'Compartments in the cell', type='unsigned int', ro=True,
                            stored=False)

    # ------------------------------------------------------------ fields
    def _get_dt(self):
        return float(self._el.cols['dt'][self._idx])

    def _set_dt(self, v):
        if not v > 0:
            raise FieldError(f'{self.path} (HSolve).dt: expected a time > 0, got {v}')
        self._el.cols['dt'][self._idx] = v

    def _set_method(self, v):
        m = str(v).lower()
        m = _ALIASES.get(m, m)
        if m not in METHODS:
            raise FieldError(f"{self.path} (HSolve).method: unknown scheme {v!r}; valid: "
                             f"'cn' (Crank-Nicolson), 'be' (backward Euler)")
        self._el.cols['method'][self._idx] = m

    def _set_target(self, v):
        if isinstance(v, Neutral):
            v = v.path
        self._el.cols['target'][self._idx] = str(v)

    def _get_seed(self):
        from ..core.shell import element
        t = self._el.cols['target'][self._idx]
        return element(t) if t else None

    def _set_seed(self, v):
        self._set_target(v)

    def _get_numCompartments(self):
        cell = self._el.data.get('cell')
        return 0 if cell is None else len(cell.nodes)

    # ------------------------------------------------------------ clock
    @classmethod
    def _prepare_reinit(cls, el):
        """Before any object's reinit: keep the compiled group when nothing
        structural changed since the last reinit, else compile the cell
        again.  Returns the elements whose reinit the solver does itself, in
        bulk (its compartments, channels and Ca pools)."""
        from ..core.clock import clock
        if _GEN['sched'] is not clock.schedule:     # first HSolve of a reinit
            _GEN['sched'] = clock.schedule
            _GEN['gen'] += 1
        g = el.data.get('group')
        cell = el.data.get('cell')
        if g is not None and _keeps(g) and cell is not None:
            if g.kept_serial != clock.reinit_serial:
                STATS['keeps'] += 1
                g.kept_serial = clock.reinit_serial
                g.schedule = clock.schedule
                g.prepare()
            cell.gen = _GEN['gen']
            el.data['keep'] = True
            return cell.comp_els + cell.chan_els + cell.ca_els
        el.data.pop('keep', None)
        if g is not None:
            g.release()
        el.data['group'] = None
        el.data['cell'] = None
        target = el.cols['target'][0]
        if not target:
            return ()
        cell = compile_cell(el, target)
        cell.gen = _GEN['gen']
        el.data['cell'] = cell
        # the compartments' own reinit, in bulk where it matters: the solver
        # reads initVm; Python-stepped objects deliver currents from zero
        for e in cell.comp_els:
            c = e.cols
            c['Vm'][:] = c['initVm']
            for k in ('_chA', '_chB', '_inj', 'Im'):
                c[k][:] = 0.0
        # mark what the solver will own (compartments, channels and pools go
        # idle); the group that holds the state is built at the HSolve's tick
        for e in cell.comp_els + cell.chan_els + cell.ca_els:
            e.data['hsolve'] = el
        return cell.comp_els + cell.chan_els + cell.ca_els

    @classmethod
    def _reinit(cls, el):
        from ..core.clock import clock
        if el.data.pop('keep', False):
            g = el.data['group']
            if g.leader is el:
                g.reset()
            return
        if el.data.get('cell') is None:
            if not el.cols['target'][0]:
                log.warning('%s: HSolve without a target does nothing', el.path)
            return
        # the last HSolve of the tick builds the group now, so that the run
        # itself starts at once and fields read after reinit come from it
        last = None
        for t, els in clock.schedule:
            if t == el.tick:
                for e in els:
                    if issubclass(e.cls, HSolve) and e.alive and e.cols['target'][0]:
                        last = e
        if last is el:
            g = _build_group(el, fresh=True)
            if g is not None:
                g.kept_serial = clock.reinit_serial

    @classmethod
    def _on_delete(cls, el):
        g = el.data.get('group')
        if g is not None:
            g.release()

    @classmethod
    def _batch_role(cls, el):
        g = _group(el)
        if g is None or g.leader is not el:
            return 'idle'
        # value messages to Python-side targets need every step's values
        return 'python' if g.outputs else 'solver'

    @classmethod
    def _batch_advance(cls, el, t_end, requests):
        g = _group(el)
        if g is None or g.leader is not el:
            return
        g.advance_to(t_end, requests)

    @classmethod
    def _process(cls, el, t, dt):
        g = _group(el)
        if g is None or g.leader is not el:
            return
        g.advance_to(t, [])


# ====================================================================== cells
class Cell:
    """What one HSolve owns: its elements and the tree (arrays), compiled
    into a Group with the other HSolves of the tick."""

    def __init__(self, owner):
        self.owner = owner
        self.gen = -1
        self.comp_els = []       # compartment elements, entries numbered in order
        self.ncomp = 0
        self.njunc = 0
        self.order = None        # tree node ids (comps 0..ncomp-1, then junctions), preorder
        self.parent = None       # parent node id of each tree node (-1 root)
        self.gpar = None         # conductance to the parent [S]
        self.chan_els = []
        self.ca_els = []
        self.pg_els = []

    @property
    def nodes(self):
        return range(self.ncomp)


def _scan(el, ports):
    """{port: [(other element, other port, msg, el is e1)]} of *el*'s messages
    on *ports*, in one pass over its message lists."""
    out = {}
    for m in el.msg_out:
        if m.srcField in ports:
            out.setdefault(m.srcField, []).append((m.el2, m.destField, m, True))
    for m in el.msg_in:
        if m.destField in ports:
            out.setdefault(m.destField, []).append((m.el1, m.srcField, m, False))
    return out


def _pairs(m):
    """(i on e1, j on e2) of a message, without arrays for a Single one."""
    if m.msgType == 'Single':
        return (m.i1,), (m.i2,)
    return m.pairs()


def _preorder(parent, root):
    """Depth-first preorder of the tree given by *parent* (-1: root) from
    *root*, children in increasing index (networkx's order for the same
    edges); nodes not reached are left out."""
    n = len(parent)
    kids = np.nonzero(parent >= 0)[0]
    srt = kids[np.argsort(parent[kids], kind='stable')]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, parent[kids] + 1, 1)
    ptr = np.cumsum(ptr)
    ptr_l, srt_l = ptr.tolist(), srt.tolist()
    out = []
    stack = [root]
    while stack:
        p = stack.pop()
        out.append(p)
        a, b = ptr_l[p], ptr_l[p + 1]
        if b > a:
            stack.extend(reversed(srt_l[a:b]))
    return np.array(out, dtype=np.int64)


def compile_cell(hs, target):
    """Collect the cell around *target* and its tree; raise SolverError on
    anything the solver cannot take (not a compartment, a loop, two parents,
    zero Ra, part of a vec).  Messages are read once per element from its
    message lists; the tree is built with array operations."""
    from ..core.shell import resolve
    from ..core.errors import PathError
    from .compartment import AXIAL_PORTS
    from .channels import HHChannel, CaConcBase
    from .stimuli import PulseGen
    from .synapse import NMDAChan
    try:
        tel, tidx = resolve(target)
    except PathError as exc:
        raise SolverError(f'{hs.path} (HSolve).target: {exc}') from None
    if not issubclass(tel.cls, CompartmentBase):
        comps = [e for e in tel.walk() if issubclass(e.cls, CompartmentBase)]
        if not comps:
            raise SolverError(f'{hs.path} (HSolve).target {target!r} is a '
                              f'{tel.cls.__name__} with no compartment under it')
        tel, tidx = comps[0], 0
    # elements joined by axial messages; on the way, what hangs off them
    ports = set(AXIAL_PORTS) | {'channel', 'injectMsg', 'randInject', 'handleChannel', 'VmOut'}
    ext = set()         # compartments that Python-stepped objects may deliver to
    chan_other = set()  # ... with channels other than HHChannels (SynChan, 2-D...)
    vm_out = set()      # ... that send VmOut
    els = [tel]
    seen = {id(tel)}
    msgs = {}
    chans, nmdas, pgs = [], [], []
    seen_o = set()
    k = 0
    while k < len(els):
        el = els[k]
        k += 1
        for port, ls in _scan(el, ports).items():
            if port in AXIAL_PORTS:
                for other, oport, m, fwd in ls:
                    if oport not in AXIAL_PORTS or not issubclass(other.cls, CompartmentBase):
                        continue
                    msgs[id(m)] = m
                    if id(other) not in seen:
                        seen.add(id(other))
                        els.append(other)
                continue
            if port == 'VmOut':
                vm_out.add(id(el))
                continue
            for other, oport, m, fwd in ls:
                if port != 'channel' or not issubclass(other.cls, HHChannel):
                    ext.add(id(el))
                    if port == 'channel':
                        chan_other.add(id(el))
                if id(other) in seen_o:
                    continue
                if port == 'channel':
                    if issubclass(other.cls, HHChannel):
                        seen_o.add(id(other))
                        chans.append(other)
                    elif issubclass(other.cls, NMDAChan):
                        seen_o.add(id(other))
                        nmdas.append(other)
                elif issubclass(other.cls, PulseGen):
                    seen_o.add(id(other))
                    pgs.append(other)
    base = {}
    n = 0
    for el in els:
        base[id(el)] = n
        n += el.num
    names = _namer(els, base)
    pl, cl = [], []
    for m in msgs.values():
        a, b = _pairs(m)
        o1, o2 = base[id(m.el1)], base[id(m.el2)]
        if AXIAL_PORTS[m.srcField]:
            pl.extend(o1 + i for i in a)
            cl.extend(o2 + j for j in b)
        else:
            pl.extend(o2 + j for j in b)
            cl.extend(o1 + i for i in a)
    pg_ = np.array(pl, dtype=np.int64)
    cg = np.array(cl, dtype=np.int64)
    if np.any(pg_ == cg):
        q = int(cg[pg_ == cg][0])
        raise SolverError(f'{hs.path} (HSolve): {names(q)} is joined to itself')
    # one parent per compartment (a pair given twice is one link)
    if len(cg):
        # (np.unique would import numpy.ma, 0.1 s, on the first call)
        key = np.sort(cg * (n + 1) + pg_)
        key = key[np.r_[True, key[1:] != key[:-1]]]
        cg, pg_ = key // (n + 1), key % (n + 1)
        dup = np.nonzero(cg[1:] == cg[:-1])[0]
        if len(dup):
            q = int(dup[0])
            raise SolverError(f'{hs.path} (HSolve): {names(int(cg[q]))} has two parents '
                              f'({names(int(pg_[q]))} and {names(int(pg_[q + 1]))}); a '
                              f'cell must be a tree')
    par = np.full(n, -1, dtype=np.int64)
    par[cg] = pg_
    kids = np.nonzero(par >= 0)[0]
    roots = np.nonzero(par < 0)[0]
    reach = np.zeros(n, dtype=bool)
    for r in roots.tolist():
        reach[_preorder(par, r)] = True
    if not reach.all():
        import networkx as nx
        graph = nx.Graph()
        graph.add_edges_from(zip(par[kids].tolist(), kids.tolist()))
        cyc = nx.find_cycle(graph, int(np.nonzero(~reach)[0][0]))
        raise SolverError(f'{hs.path} (HSolve): the compartments form a loop ('
                          + ' -> '.join(names(a) for a, _ in cyc)
                          + '); a cell must be a tree')
    t0 = base[id(tel)] + tidx
    r0 = t0
    while par[r0] >= 0:
        r0 = int(par[r0])
    if len(roots) > 1:
        mine = np.zeros(n, dtype=bool)
        mine[_preorder(par, r0)] = True
        missing = int(np.nonzero(~mine)[0][0])
        raise SolverError(f'{hs.path} (HSolve): {names(missing)} is in an element of the '
                          f'cell of {target!r} but not joined to it; a vec of compartments '
                          f'must belong to one cell (give each cell its own elements)')
    for el in els:
        other = el.data.get('hsolve')
        if other is not None and other is not hs and other.alive and \
                other.data.get('cell') is not None and other.data['cell'].gen == _GEN['gen']:
            raise SolverError(f'{hs.path} (HSolve): {el.path} is already solved by '
                              f'{other.path}')
    # electrical tree with MOOSE's Ra halves; a junction node per branch point
    ra = np.concatenate([el.cols['Ra'] for el in els]).astype(float)
    nkids = np.bincount(par[kids], minlength=n)
    branch = np.nonzero(nkids > 1)[0]
    junc = np.full(n, -1, dtype=np.int64)
    junc[branch] = n + np.arange(len(branch))
    ntot = n + len(branch)
    tpar = np.full(ntot, -1, dtype=np.int64)
    gpar = np.zeros(ntot)
    single = kids[nkids[par[kids]] == 1]
    multi = kids[nkids[par[kids]] > 1]
    r = 0.5 * (ra[par[single]] + ra[single])
    arms = np.concatenate([ra[branch], ra[multi]])
    if np.any(~(r > 0)) or np.any(~(arms > 0)):
        bad = np.concatenate([single[~(r > 0)], branch[~(ra[branch] > 0)],
                              multi[~(ra[multi] > 0)]])
        raise SolverError(f'{hs.path} (HSolve): zero axial resistance at {names(int(bad[0]))};'
                          f' HSolve splits each Ra in two halves, so Ra must be > 0')
    tpar[single] = par[single]
    gpar[single] = 1.0 / r
    tpar[junc[branch]] = branch
    gpar[junc[branch]] = 2.0 / ra[branch]
    tpar[multi] = junc[par[multi]]
    gpar[multi] = 2.0 / ra[multi]
    root = int(roots[0])
    order = _preorder(tpar, root)
    cell = Cell(hs)
    cell.comp_els = els
    cell.ext = ext
    cell.chan_other = chan_other
    cell.vm_out = vm_out
    cell.ncomp = n
    cell.njunc = len(branch)
    cell.order = order
    cell.parent = tpar
    cell.gpar = gpar
    # channels (gates checked), Ca pools they feed or read, and the pools
    # fed by the cell's NMDA receptors (ICaOut -> current)
    cell.chan_els = chans               # (their gates are checked by the group)
    cas, seen_ca = [], set()
    for c in chans:
        for port, ls in _scan(c, ('IkOut', 'concen')).items():
            for other, oport, m, fwd in ls:
                if issubclass(other.cls, CaConcBase) and id(other) not in seen_ca:
                    seen_ca.add(id(other))
                    cas.append(other)
    for nm in nmdas:
        for other, op2, m2, fwd2 in links(nm, 'ICaOut'):
            if issubclass(other.cls, CaConcBase) and id(other) not in seen_ca:
                seen_ca.add(id(other))
                cas.append(other)
    cell.ca_els = cas
    cell.pg_els = pgs
    return cell


def _namer(els, base):
    starts = np.array([base[id(e)] for e in els])

    def name(q):
        k = int(np.searchsorted(starts, q, side='right') - 1)
        return els[k].indexed_path(int(q - starts[k]))
    return name


# ===================================================================== groups
class Group:
    """The concatenated state of all HSolves of one tick: arrays handed to
    the kernel, and the views the model's fields point at."""

    def __init__(self, hsolves, schedule):
        self.hsolves = hsolves
        self.leader = hsolves[0]
        self.schedule = schedule
        self.t = 0.0
        self.owned = []          # elements whose columns are views of the group's
        self._viewed = []        # [(elements, field names)] made views by _view
        self._hooked = {}        # field -> group array, kept up by _on_set
        self._hooked_els = []
        self.released = False
        self.kept_serial = None  # the reinit that built (or kept) it

    # ------------------------------------------------------------ build
    # compartments and channels: state the kernel changes is a view of its
    # arrays; values only the user sets reach them through a hook (a view
    # per field and element costs ~2 us: the columns are scattered in memory)
    _COMP_FIELDS = ('Vm', 'Cm', 'Rm', 'Em', 'inject', '_chA', '_chB', '_inj', 'Im', 'initVm')
    _COMP_HOOKED = ('Cm', 'Rm', 'Em', 'inject', 'initVm')
    _COMP_EXT = ('_chA', '_chB', '_inj')          # views where objects deliver
    _CHAN_FIELDS = ('Gbar', 'Ek', 'modulation', 'Gk', 'Ik')
    _CHAN_HOOKED = ('Gbar', 'Ek', 'modulation')
    _CA_VIEWS = ('Ca', '_act', 'Ca_base', 'tau', 'B', 'ceiling', 'floor')

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
        off, n = _offsets(comp_els)
        self._build_nodes(cells, comp_els, n, fresh)
        chan_els = [el for c in cells for el in c.chan_els]
        ca_els = list({id(el): el for c in cells for el in c.ca_els}.values())
        self.chan_els, self.ca_els, self.comp_els = chan_els, ca_els, comp_els
        self.off = off
        self._build_ca(ca_els)
        self._build_channels(chan_els, off, fresh)
        pg_els = list({id(el): el for c in cells for el in c.pg_els
                       if _pg_absorbable(el, off)}.values())
        self.pg_els = pg_els
        self._build_pg(pg_els, off)
        ntot = len(self.nodes[0])
        nca, nch = len(self.ca[0]), len(self.chan[0])
        self.work = tuple(np.zeros(ntot) for _ in range(10)) + (np.zeros(nca), np.zeros(nch),
                                                                  np.zeros(ntot))
        posof = self.posof
        # (only the compartments that have such objects are looked at)
        other_els = [el for c in cells for el in c.comp_els if id(el) in c.chan_other]
        vm_els = [el for c in cells for el in c.comp_els if id(el) in c.vm_out]
        self.c2 = self._build_2d(other_els, off, posof, clock)
        self._build_syn(other_els, vm_els, off, posof, clock)
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
        """Make *arrays* ({field: group array}) the columns of *els*."""
        if els and all(el.num == 1 for el in els) and \
                all(offs[id(el)] == k for k, el in enumerate(els)):
            # one entry each, in order: the views come from iterating rows
            for name, arr in arrays.items():
                for el, v in zip(els, arr[:len(els)].reshape(-1, 1)):
                    el.cols[name] = v
        else:
            for el in els:
                o = offs[id(el)]
                e = o + el.num
                cols = el.cols
                for name, arr in arrays.items():
                    cols[name] = arr[o:e]
        for el in els:
            el.data['hsolve_group'] = self
        self._viewed.append((els, tuple(arrays)))

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

    def _build_nodes(self, cells, comp_els, n, fresh):
        """Node arrays (element blocks, then junctions), the tree in Hines
        positions of all cells, and the compartments' fields as views."""
        njunc = sum(c.njunc for c in cells)
        ntot = n + njunc
        arrs = {}
        ext_els = [el for c in cells for el in c.comp_els if id(el) in c.ext]
        got = _columns(comp_els, self._COMP_HOOKED + (() if fresh else ('Vm', 'Im')))
        offs, _n = _offsets(comp_els)
        for name in self._COMP_FIELDS:
            col = got[name] if name in got else np.zeros(n)
            if name in self._COMP_EXT:
                for el in ext_els:
                    o = offs[id(el)]
                    col[o:o + el.num] = el.cols[name]
            arrs[name] = np.concatenate([col, np.zeros(njunc)])
        arrs['Cm'][n:] = 0.0      # junctions: no membrane (see the kernel)
        arrs['Rm'][n:] = np.inf
        sidx = np.zeros(ntot, dtype=np.int64)
        par = np.full(ntot, -1, dtype=np.int64)
        gpar = np.zeros(ntot)
        gsum = np.zeros(ntot)
        pos0 = cbase = 0
        jbase = n
        for c in cells:
            m = c.ncomp + c.njunc
            store = np.empty(m, dtype=np.int64)
            store[:c.ncomp] = cbase + np.arange(c.ncomp)
            store[c.ncomp:] = jbase + np.arange(c.njunc)
            posof = np.empty(m, dtype=np.int64)
            posof[c.order] = pos0 + np.arange(m)
            sidx[pos0:pos0 + m] = store[c.order]
            tp = c.parent[c.order]
            has = tp >= 0
            pp = np.full(m, -1, dtype=np.int64)
            pp[has] = posof[tp[has]]
            par[pos0:pos0 + m] = pp
            g = c.gpar[c.order]
            gpar[pos0:pos0 + m] = g
            gsum[pos0:pos0 + m] += g
            np.add.at(gsum, pp[has], g[has])
            pos0 += m
            cbase += c.ncomp
            jbase += c.njunc
        posof = np.empty(ntot, dtype=np.int64)
        posof[sidx] = np.arange(ntot)
        self.posof = posof
        self.initVm = arrs['initVm']
        self.nodes = tuple(arrs[k] for k in self._COMP_FIELDS[:-1])
        self.tree = (sidx, par, gpar, gsum)
        self.ncomp = n
        self._view(comp_els, offs, {'Vm': arrs['Vm'], 'Im': arrs['Im']})
        self._view(ext_els, offs, {k: arrs[k] for k in self._COMP_EXT})
        self._hooked.update({k: arrs[k] for k in self._COMP_HOOKED})
        self._hook(comp_els)

    def _build_ca(self, ca_els):
        self.caoff, nca = _offsets(ca_els)
        arrs = _columns(ca_els, self._CA_VIEWS)
        self.ca_arrays = arrs
        self._ca_in = ([], [])
        self._view(ca_els, self.caoff, arrs)

    def _build_channels(self, chan_els, off, fresh):
        """HHChannels: the compartment of each entry, the Ca pool of its
        concentration gate, currents into pools, gate instances in blocks,
        gate tables shared by identity."""
        from .channels import HHChannel
        choff, nch = _offsets(chan_els)
        self.choff = choff
        ch_node = np.full(nch, -1, dtype=np.int64)
        ca_in_ch, ca_in_pool = [], []
        conc_src = np.full(nch, -1, dtype=np.int64)
        caoff = self.caoff
        for el in chan_els:
            o = choff[id(el)]
            for port, ls in _scan(el, ('channel', 'concen', 'IkOut')).items():
                for other, oport, m, fwd in ls:
                    if port == 'channel':
                        if not issubclass(other.cls, CompartmentBase):
                            continue
                        if id(other) not in off:
                            raise SolverError(f'{el.path}: channel joined to {other.path}, '
                                              f'which is not in the cell of its other '
                                              f'compartments')
                        a, b = _pairs(m)
                        mine, theirs = (a, b) if fwd else (b, a)
                        ch_node[[o + i for i in mine]] = [off[id(other)] + j for j in theirs]
                    elif id(other) in caoff and (port == 'concen' or oport == 'current'):
                        a, b = _pairs(m)
                        mine, theirs = (a, b) if fwd else (b, a)
                        if port == 'concen':
                            conc_src[[o + i for i in mine]] = [caoff[id(other)] + j
                                                               for j in theirs]
                        else:
                            ca_in_ch.extend(o + i for i in mine)
                            ca_in_pool.extend(caoff[id(other)] + j for j in theirs)
        if np.any(ch_node < 0):
            q = int(np.nonzero(ch_node < 0)[0][0])
            el = next(e for e in chan_els if choff[id(e)] <= q < choff[id(e)] + e.num)
            raise SolverError(f'{el.path} ({el.cls.__name__}): entry {q - choff[id(el)]} '
                              f'has no compartment')
        # (at a fresh build Gk and Ik are computed, not read)
        need = [k for k in self._CHAN_FIELDS if not (fresh and k in ('Gk', 'Ik'))]
        cols = _columns(chan_els, need + ['useConcentration', 'instant', 'Xpower', 'Ypower',
                                          'Zpower', '_xset', '_yset', '_zset'])
        arrs = {k: cols[k] if k in cols else np.zeros(nch) for k in self._CHAN_FIELDS}
        usec = cols['useConcentration'] != 0
        inst_bits = cols['instant'].astype(np.int64)
        # gate instances: for each channel element, the entries of its X,
        # then Y, then Z gate; tables shared by identity
        nel = len(chan_els)
        nums = np.array([el.num for el in chan_els], dtype=np.int64)
        el_start = np.concatenate([[0], np.cumsum(nums)[:-1]]).astype(np.int64)
        ent_el = np.repeat(np.arange(nel), nums)
        tabs = {}
        tA, tB, toff, tn, tmin, tinv, tmax = [], [], [], [], [], [], []
        total = 0
        Cs, Js, Ts, Ps, Ss, Ks = [], [], [], [], [], []
        for j, g in enumerate('XYZ'):
            pw = cols[g + 'power']
            has = pw > 0
            if not has.any():
                continue
            anyp = np.logical_or.reduceat(has, el_start)
            allp = np.logical_and.reduceat(has, el_start)
            if np.any(anyp & ~allp):
                el = chan_els[int(np.nonzero(anyp & ~allp)[0][0])]
                raise SolverError(f'{el.path}: gate {g} has a power on some entries only; '
                                  f'give all entries the same gates')
            tid_el = np.full(nel, -1, dtype=np.int64)
            for k in np.nonzero(anyp)[0].tolist():
                el = chan_els[k]
                ge = el.children.get('gate' + g)
                d = ge.data if ge is not None else None
                key = (id(d['A']), id(d['B']), d['min'], d['max']) if d is not None else None
                tid = tabs.get(key)
                if tid is None:
                    if d is None or len(d['A']) < 2 or len(d['B']) != len(d['A']) or \
                            not d['max'] > d['min']:
                        raise SolverError(
                            f'{el.path} ({el.cls.__name__}): {g}power = {pw[el_start[k]]} but '
                            f'gate{g} has no usable tables (need tableA and tableB of equal '
                            f'length >= 2 and max > min; use setupAlpha, setupTau, '
                            f'tableA/tableB or fillFromExpr)')
                    a = np.asarray(d['A'], dtype=float)
                    b = np.asarray(d['B'], dtype=float)
                    tid = tabs[key] = len(toff)
                    tA.append(a)
                    tB.append(b)
                    toff.append(total)
                    tn.append(len(a) - 1)
                    tmin.append(d['min'])
                    tinv.append((len(a) - 1) / (d['max'] - d['min']))
                    tmax.append(d['max'])
                    total += len(a)
                tid_el[k] = tid
            c = np.nonzero(has)[0]
            Cs.append(c)
            Js.append(np.full(len(c), j))
            Ts.append(tid_el[ent_el[c]])
            Ps.append(pw[c])
            kp = cols['_' + g.lower() + 'set'][c] != 0
            Ks.append(kp)
            # states: read where kept (set by the user), or on a rebuild
            Ss.append(_gather(chan_els, g)[c] if (not fresh or kp.any()) else np.zeros(len(c)))
        if Cs:
            C, J = np.concatenate(Cs), np.concatenate(Js)
            order = np.lexsort((C, J, ent_el[C]))
            gi_ch, gi_j = C[order].astype(np.int64), J[order]
            gi_tab = np.concatenate(Ts)[order].astype(np.int64)
            gi_pow = np.concatenate(Ps)[order].astype(float)
            S = np.concatenate(Ss)[order].astype(float)
            keep = np.concatenate(Ks)[order].astype(np.bool_)
        else:
            gi_ch = gi_j = gi_tab = np.zeros(0, dtype=np.int64)
            gi_pow = S = np.zeros(0)
            keep = np.zeros(0, dtype=np.bool_)
        ngi = len(gi_ch)
        gi_inst = (inst_bits[gi_ch] & (1 << gi_j)) != 0
        zc = (gi_j == 2) & usec[gi_ch]
        if np.any(zc & (conc_src[gi_ch] < 0)):
            el = chan_els[int(ent_el[gi_ch[np.nonzero(zc & (conc_src[gi_ch] < 0))[0][0]]])]
            raise SolverError(f'{el.path} ({el.cls.__name__}): useConcentration is set but no '
                              f'CaConc sends "concOut" to its "concen"')
        gi_src = np.where(zc, conc_src[gi_ch], -1).astype(np.int64)
        # the first instance of each (channel element, gate)
        firsts = np.nonzero(np.r_[True, (ent_el[gi_ch[1:]] != ent_el[gi_ch[:-1]]) |
                                  (gi_j[1:] != gi_j[:-1])])[0] if ngi else np.zeros(0, int)
        gateoff, gate_views = {}, []
        for go, k, j in zip(firsts.tolist(), ent_el[gi_ch[firsts]].tolist(),
                            gi_j[firsts].tolist()):
            el = chan_els[k]
            gateoff[(id(el), j)] = go
            gate_views.append((el, 'XYZ'[j], go))
        # blocks: runs of consecutive gate instances of equal table, power,
        # instant flag and source kind over consecutive channels
        if ngi:
            new = np.ones(ngi, dtype=bool)
            new[1:] = ((gi_tab[1:] != gi_tab[:-1]) | (gi_pow[1:] != gi_pow[:-1]) |
                       (gi_inst[1:] != gi_inst[:-1]) | ((gi_src[1:] >= 0) != (gi_src[:-1] >= 0))
                       | (gi_ch[1:] != gi_ch[:-1] + 1))
            for el, g, go in gate_views:
                new[go] = True
            starts = np.nonzero(new)[0]
        else:
            starts = np.zeros(0, dtype=np.int64)
        self.gateoff = gateoff
        self.gates = (gi_ch, gi_tab, gi_pow, gi_src, keep)
        tabA = np.concatenate(tA) if tA else np.zeros(1)
        tabB = np.concatenate(tB) if tB else np.zeros(1)
        self.chan = (self.posof[ch_node], arrs['Gbar'], arrs['Ek'], arrs['modulation'],
                     arrs['Gk'], arrs['Ik'], S, gi_src,
                     np.r_[starts, ngi].astype(np.int64), gi_ch[starts].astype(np.int64),
                     gi_tab[starts].astype(np.int64), gi_pow[starts].astype(float),
                     gi_inst[starts].astype(np.bool_), (gi_src[starts] >= 0).astype(np.bool_))
        self.ch_store = ch_node
        self.tabs = (tabA, tabB, np.array(toff, dtype=np.int64), np.array(tn, dtype=np.int64),
                     np.array(tmin, dtype=float), np.array(tinv, dtype=float))
        self.tmax = np.array(tmax, dtype=float)
        ca = self.ca_arrays
        self.ca = (ca['Ca'], ca['Ca_base'], ca['tau'], ca['B'], ca['ceiling'], ca['floor'],
                   np.array(ca_in_ch, dtype=np.int64), np.array(ca_in_pool, dtype=np.int64),
                   ca['_act'])
        self._view(chan_els, choff, {'Gk': arrs['Gk'], 'Ik': arrs['Ik']})
        self._hooked.update({k: arrs[k] for k in self._CHAN_HOOKED})
        self._hooked.update(X=keep, Y=keep, Z=keep)
        self._hook(chan_els)
        # gate states as views
        for el, g, go in gate_views:
            el.cols[g] = S[go:go + el.num]
        self._viewed.append((gate_views, None))

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

    # ------------------------------------------------------------ reset
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
        ca = self.ca_arrays
        if np.any(~(ca['tau'] > 0)):
            q = int(np.nonzero(~(ca['tau'] > 0))[0][0])
            el = next(e for e in self.ca_els
                      if self.caoff[id(e)] <= q < self.caoff[id(e)] + e.num)
            raise SolverError(f'{el.path} ({el.cls.__name__}): tau must be > 0 (got '
                              f'{ca["tau"][q]})')
        ca['Ca'][:] = ca['Ca_base']
        ca['_act'][:] = 0.0
        gi_ch, gi_tab, gi_pow, gi_src, keep = self.gates
        ch_node, gbar, ek, modul, gk, ik, S = self.chan[:7]
        x = V[self.ch_store[gi_ch]]
        cs = gi_src >= 0
        x[cs] = ca['Ca'][gi_src[cs]]
        A, B = self._lookup(gi_tab, x)
        with np.errstate(divide='ignore', invalid='ignore'):
            S[:] = np.where(keep, S, A / B)
        g0 = gbar * modul
        np.multiply.at(g0, gi_ch, S ** gi_pow)
        gk[:] = g0
        ik[:] = g0 * (ek - V[self.ch_store])
        for el in self.pg_els:
            el.cls._reinit(el)
        self._read_pg()
        for w in self.work:
            w[:] = 0.0
        self.t = self.t_origin = clock.current_time
        self.nstep = 0           # steps taken since the build: t = t_origin + nstep dt
        # what the pools' and channels' own reinit sends to targets outside
        # the kernel (their next values go after each step)
        if self.outputs:
            self._send_outputs(('Ca', 'Ik'))

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
        clock step, which the kernel keeps."""
        place = {}
        for tk, els in self.schedule:
            for i, e in enumerate(els):
                place[id(e)] = (tk, i)
        return place

    # ------------------------------------------------------------ 2-D channels
    def _build_2d(self, comp_els, off, posof, clock):
        """Take the HHChannel2D of solved compartments into the kernel (same
        exponential Euler as on their tick), when they step at the solver's
        dt before it, their concentrations come from Ca pools of the group,
        and nothing reads their IkOut."""
        from .channels import HHChannel2D
        dt = self.dt
        place = self._places()
        here = place.get(id(self.leader))
        els, seen = [], set()
        for ce in (comp_els if ABSORB_SYNAPSES else ()):
            for other, oport, m, fwd in links(ce, 'channel'):
                if not issubclass(other.cls, HHChannel2D) or id(other) in seen:
                    continue
                seen.add(id(other))
                if other.tick < 0 or abs(clock.dts[other.tick] - dt) > 1e-9 * dt or \
                        place.get(id(other)) is None or here is None or \
                        not place[id(other)] < here or links(other, 'IkOut'):
                    continue
                node = np.full(other.num, -1, dtype=np.int64)
                ok = True
                for comp, mine, theirs in HHChannel2D._compartments(other):
                    if id(comp) not in off or np.any(node[mine] >= 0):
                        ok = False
                        break
                    node[mine] = off[id(comp)] + theirs
                srcs = {}
                for port in ('concen', 'concen2'):
                    src = np.full(other.num, -1, dtype=np.int64)
                    for o2, op2, m2, fw2 in links(other, port):
                        if fw2 or op2 != 'concOut' or id(o2) not in self.caoff:
                            ok = False
                            break
                        a, b = m2.pairs()
                        src[np.asarray(b)] = self.caoff[id(o2)] + np.asarray(a)
                    srcs[port] = src
                if not ok or np.any(node < 0):
                    continue
                names = [other.cols[g + 'index'][0].replace('_INDEX', '').split('_')
                         for g in 'XYZ']
                need = {n for g, nm in zip('XYZ', names) if np.any(other.cols[g + 'power'] > 0)
                        for n in nm}
                if ('C1' in need and np.any(srcs['concen'] < 0)) or \
                        ('C2' in need and np.any(srcs['concen2'] < 0)):
                    continue
                HHChannel2D._gates(other)          # raises for gates without tables
                els.append((other, node, srcs, names))
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

    # ------------------------------------------------------------ outputs
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

    # ------------------------------------------------------------ synapses
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

    # ------------------------------------------------------------ run
    def _kernel_args(self):
        args = getattr(self, '_args', None)
        if args is None:
            args = self._args = (self.nodes + self.tree + self.chan + self.tabs + self.ca
                                 + self.pg + self.c2, self.syn_args, self.work)
        return args

    def advance_to(self, t_end, requests):
        """Step every cell of the group to *t_end* [s]; *requests* are the
        tables fed from the solver's state (see core.clock)."""
        from . import hkernels
        nsteps = int(round((t_end - self.t) / self.dt))
        if nsteps < 0:
            nsteps = 0
        if self.has_syn:
            self._sync_syn()
        head, syn_args, work = self._kernel_args()
        if not requests:
            steps, kind, idx, rec = _NO_STEPS, _NO_STEPS, _NO_STEPS, _NO_REC
        else:
            steps_all = []
            flats = []
            for tab, _ticks, st, specs in requests:
                k = np.rint((np.asarray(st) - self.t) / self.dt).astype(np.int64)
                steps_all.append(np.clip(k, 0, nsteps))
                flats.extend(f for f, _ in specs)
            steps = _uniq(np.concatenate(steps_all))
            flats = _uniq(np.array(flats, dtype=np.int64))
            kind = (flats // _KIND).astype(np.int64)
            idx = (flats % _KIND).astype(np.int64)
            node = (kind == 0) | (kind == 7)
            idx[node] = self.posof[idx[node]]
            rec = np.zeros((len(steps), len(flats)))
        t0 = self.t
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
            if done:
                st_, rec_ = steps[r:] - done, rec[r:]
            else:
                st_, rec_ = steps, rec
            k, dr, nlog, ok = hkernels.advance(n, t0 + done * self.dt, self.dt, self.cn,
                                               *head, st_, kind, idx, rec_, *syn_args, *work)
            finite = finite and ok
            if nlog:
                self._emit_spikes(nlog, t0 + done * self.dt)
            done += k
            r += dr
            if nrs and k < n:
                self._undraw_uniforms(n - k)
            if done >= nsteps:
                break
        if self.has_syn and self.tt_els:
            self._tt_positions_back()
        if self.outputs:
            self._send_outputs()
        self.nstep += nsteps
        self.t = self.t_origin + self.nstep * self.dt
        if not finite:
            self._check_finite()
        if not requests:
            return
        for tab, _ticks, st, specs in requests:
            kk = np.clip(np.rint((np.asarray(st) - t0) / self.dt).astype(np.int64), 0, nsteps)
            rows = np.searchsorted(steps, kk)
            vals = np.empty((len(st), len(specs)))
            for c, (flat, scale) in enumerate(specs):
                vals[:, c] = rec[rows, np.searchsorted(flats, flat)] * scale
            tab.cls._record_batch(tab, st, vals)

    def _check_finite(self):
        V = self.nodes[0]
        if not np.isfinite(V.sum()):
            bad = int(np.nonzero(~np.isfinite(V))[0][0])
            raise SolverError(f'{self.leader.path}: Vm became non-finite (node {bad}) by '
                              f't = {self.t:g} s; check Rm, Cm, Ra and channel tables')

    # ------------------------------------------------------------ release
    def release(self):
        """Give every owned element its own columns back (values kept)."""
        if self.released:
            return
        self.released = True
        from ..core.clock import clock
        if clock.schedule is self.schedule:       # mid-run (not a new reinit)
            self._ring_to_queues()
        for els, names in self._viewed:
            if names is None:               # gate states: (element, gate, offset)
                for el, g, _go in els:
                    el.cols[g] = np.array(el.cols[g])
                continue
            for el in els:
                cols = el.cols
                for name in names:
                    cols[name] = np.array(cols[name])
                if el.data.get('hsolve_group') is self:
                    el.data.pop('hsolve_group', None)
                    el.data.pop('hsolve', None)
                el.data.pop('hsolve_pg', None)
        f = self._on_set
        for el in self._hooked_els:
            if f in el.hooks:
                el.hooks.remove(f)
        for el in self.owned:
            for name, col in list(el.cols.items()):
                if isinstance(col, np.ndarray) and col.base is not None:
                    el.cols[name] = np.array(col)
            if el.data.get('hsolve_group') is self:
                el.data.pop('hsolve_group', None)
                if not el.data.get('hsolve_syn'):
                    # (synaptic objects keep their HSolve: absorbed() asks it
                    # to rebuild the group before they would step themselves)
                    el.data.pop('hsolve', None)
            if el.data.get('hsolve_pg') is self:
                el.data.pop('hsolve_pg', None)
        for hs in self.hsolves:
            if hs.data.get('group') is self:
                hs.data['group'] = None


def _uniq(a):
    """Sorted distinct values of *a* (np.unique imports numpy.ma, 0.1 s, at
    its first call in a process)."""
    a = np.sort(np.asarray(a).ravel())
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _columns(els, names):
    """{name: float array of that column of *els* laid end to end}, read in
    one pass over the elements (their columns are scattered in memory)."""
    names = tuple(names)
    if not els or not names:
        return {n: np.zeros(0) for n in names}
    if all(el.num == 1 for el in els):
        get = itemgetter(*names) if len(names) > 1 else (lambda c: (c[names[0]],))
        rows = [[a[0] for a in get(el.cols)] for el in els]
        A = np.array(rows, dtype=float).reshape(len(els), len(names))
        return {n: np.ascontiguousarray(A[:, k]) for k, n in enumerate(names)}
    return {n: _gather(els, n) for n in names}


def _gather(els, name):
    """Column *name* of *els* laid end to end (one float array)."""
    if not els:
        return np.zeros(0)
    return np.concatenate([el.cols[name] for el in els]).astype(float)


def _offsets(els):
    """({id(element): first flat index}, total entries) of *els* laid end to end."""
    off, n = {}, 0
    for el in els:
        off[id(el)] = n
        n += el.num
    return off, n


def _gate_list(el):
    out = []
    for g in 'XYZ':
        pw = el.cols[g + 'power']
        ge = el.children.get('gate' + g)
        if np.any(pw > 0) and ge is not None:
            out.append((g, ge.data, pw))
        else:
            out.append((g, None, pw))
    return out


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


def _build_group(el, fresh=False):
    """(Re)build the group of HSolves on *el*'s tick, taking over their cells
    (*fresh*: at reinit, from the initial state)."""
    from ..core.clock import clock
    hss = [e for t, els in clock.schedule if t == el.tick for e in els
           if e.alive and issubclass(e.cls, HSolve) and e.data.get('cell') is not None
           and e.data['cell'].gen == _GEN['gen']]
    if el not in hss and el.alive and el.data.get('cell') is not None and \
            el.data['cell'].gen == _GEN['gen']:
        hss.append(el)          # (off the schedule: a tick without dt)
    for e in hss:
        g = e.data.get('group')
        if g is not None:
            g.release()
    if not hss:
        return None
    g = Group(hss, clock.schedule)
    try:
        g.build(fresh)
    except BaseException:
        g.release()
        raise
    return g


def _keeps(g):
    """True when group *g*, compiled at the last reinit, is still the model:
    nothing structural changed since (see core.structure) and its
    PulseGens still run free."""
    from ..core.clock import clock
    from ..core.structure import version
    if g.released or not g.keepable or g.kept_serial is None:
        return False
    if g.kept_serial not in (clock.reinit_serial, clock.reinit_serial - 1):
        return False
    if g.kept_serial == clock.reinit_serial - 1 and clock.reinit_version != version():
        return False
    pgs = [e for c in g.cells for e in c.pg_els if _pg_absorbable(e, g.off)]
    return [id(e) for e in pgs] == [id(e) for e in g.pg_els]


def _group(el):
    g = el.data.get('group')
    if g is None or g.released:
        cell = el.data.get('cell')
        if cell is None or cell.gen != _GEN['gen']:
            return None
        g = _build_group(el)
    return g


# ================================================================== hooks
def solver_spec(el, idx, field):
    """(leader HSolve element, flat probe index, scale) for a solved field."""
    hs = el.data.get('hsolve')
    if hs is None or not hs.alive:
        return None
    g = el.data.get('hsolve_group')
    if g is None or g.released:
        g = _group(hs)
        if g is None or el.data.get('hsolve_group') is not g:
            return None
    kind = _FIELD_KIND.get(field)
    if kind is None:
        return None
    if issubclass(el.cls, CompartmentBase):
        if field not in ('Vm', 'Im'):
            return None
        return g.leader, kind * _KIND + g.off[id(el)] + idx, 1.0
    if 'Ca' in el.cols and field == 'Ca':
        return g.leader, kind * _KIND + g.caoff[id(el)] + idx, 1.0
    if id(el) in getattr(g, 'c2off', ()) and field in ('Gk', 'Ik'):
        return g.leader, (10 if field == 'Gk' else 11) * _KIND + g.c2off[id(el)] + idx, 1.0
    if id(el) in getattr(g, 'scoff', ()) and field in ('Gk', 'Ik'):
        return g.leader, (8 if field == 'Gk' else 9) * _KIND + g.scoff[id(el)] + idx, 1.0
    if id(el) in g.choff and field in ('Gk', 'Ik'):
        return g.leader, kind * _KIND + g.choff[id(el)] + idx, 1.0
    if id(el) in g.choff and field in ('X', 'Y', 'Z'):
        go = g.gateoff.get((id(el), 'XYZ'.index(field)))
        if go is None:
            return None
        return g.leader, 4 * _KIND + go + idx, 1.0
    return None


def absorbed(el):
    """True when a live HSolve group steps *el* (a SynChan, SpikeGen or
    synapse handler) inside its kernel; (re)builds the group if needed."""
    hs = el.data.get('hsolve')
    if hs is None or not hs.alive:
        return False
    g = _group(hs)
    return g is not None and el.data.get('hsolve_group') is g


def _release_el(el):
    g = el.data.get('hsolve_group')
    if g is not None:
        g.release()
    el.data.pop('hsolve', None)
    el.data.pop('hsolve_group', None)


release_compartment = release_channel = release_caconc = _release_el


def invalidate(hs):
    g = hs.data.get('group')
    if g is not None:
        g.release()


__all__ = ['HSolve', 'METHODS']
