"""``HSolve``: the Hines solver of branched cells.

``hs = moose.HSolve('/cell/hsolve'); hs.dt = 25e-6; hs.target = '/cell/soma'``
before ``reinit``.  At reinit the solver walks the axial messages from the
target (the cell is the connected tree of compartments), and takes over the
compartments, their HHChannels (with gates) and the CaConcs those channels
feed or read, plus the PulseGens that drive its compartments (free-running,
only into solved compartments).  What the kernel changes becomes a view of
the solver's state (``Compartment.Vm/Im``, ``HHChannel.Gk/Ik/X/Y/Z``, the
CaConc's fields); values only the user sets (``Compartment.Rm/Cm/Em/
inject/initVm``, ``HHChannel.Gbar/Ek/modulation``) reach the solver's arrays
through an element hook when set; tables recording them are filled by the
solver.

Compiling and keeping.  ``clock.reinit`` asks the HSolves first
(``_prepare_reinit``), before any object's own reinit:

* when nothing structural changed since the last reinit
  (:mod:`moosepy.core.structure`: objects, messages, ticks and dts, and the
  structural fields: gate powers, ``instant``, ``useConcentration``, gate
  tables, ``Ra``, the HSolve's ``dt``/``method``/``target``) the compiled
  group is kept and reset in bulk from the current field values (a second
  reinit of a 4000-compartment cell costs ~5 ms; a parameter sweep compiles
  once; ``STATS`` counts builds and keeps).  Groups with synaptic objects
  or 2-D channels are compiled again at every reinit (still in bulk);
* otherwise the cell is compiled again: its compartments' messages are
  read once each, the tree is built with array operations, field columns
  are read in one pass per element (:mod:`.hsolve_cells`), channels and
  gates, Ca pools and pulses (:mod:`.hsolve_channels`) and synapses and
  spikes (:mod:`.hsolve_synapses`) are added by their builders, and the
  solver object that steps them is :class:`~.hsolve_group.Group`.

Either way the solver does the reinit of its compartments, channels and Ca
pools itself (Vm = initVm, gates at their steady state unless set by the
user, Ca = CaBasal), so there is no Python per object.  Deliveries that the
channels' own reinit used to make to their compartments are not counted
(they were counted twice in the first solved step before, 4e-4 V off
pymoose on a 100-compartment cell; now equal to 5e-13 V).

Numerics (see :mod:`moosepy.electrical.hkernels`):

* tree: compartments in Hines order (depth-first preorder from the root,
  children in index order), O(compartments) elimination per step;
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
an NMDA receptor's Ca current into a CaConc the solver takes (``ICaOut ->
current``) and the pool's concentration back (``concOut -> assignIntCa``)
stay inside the kernel too.  As MOOSE's HSolve, the solver takes only the
pools that its HHChannels feed or read: a pool fed only by NMDA receptors
(rdesigneur's spine heads) steps as on its own tick (CaConc's exponential
Euler on the current of the step before), inside the kernel when the
receptors are (hsolve_cells._ca_pools), else on its tick.  A
pool it takes gets B from its length, diameter and thick, as MOOSE's
(CaConcBase._geometry_B; inf for a pool of no volume, with a warning),
unless B was set after the HSolve's target.  A spike from such a
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
triggered PulseGens, SynChans sending IkOut, channels of classes other than
HHChannel and HHChannel2D such as HHChannelF, HHChannelF2D and
MarkovChannel, as in MOOSE...) stay Python-stepped: they
read ``Vm`` from the solver's state and add their currents and conductances
to the compartment (``injectMsg``, the ``channel`` message) for the next
solver step; the run then goes step by step.

Structural changes take effect at the next reinit; Rm, Cm, Em, inject,
Gbar, Ek and gate states can also be changed between ``start`` calls.
"""

import logging

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field
from ..core.msg import links
from .compartment import CompartmentBase
from .hsolve_cells import _GEN, compile_cell
from .hsolve_channels import _pg_absorbable
from .hsolve_group import Group, STATS, _KIND  # noqa: F401  (STATS: see hsolve_group)

log = logging.getLogger('moosepy.electrical')

METHODS = ('cn', 'be')
_ALIASES = {'crank-nicolson': 'cn', 'cranknicolson': 'cn', 'backward-euler': 'be',
            'backwardeuler': 'be', 'euler': 'be'}
_FIELD_KIND = {'Vm': 0, 'Gk': 1, 'Ik': 2, 'Ca': 3, 'X': 4, 'Y': 5, 'Z': 6, 'Im': 7}
#: HSolve takes over SynChans, their handlers and their RandSpike/TimeTable
#: inputs, and HHChannel2Ds (False: they stay Python-stepped; for comparisons
#: of the two paths)
ABSORB_SYNAPSES = True


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
        from .channels import B_STAMPS
        self._el.data['target_set_at'] = next(B_STAMPS)   # CaConcBase._geometry_B
        # MOOSE takes the cell when the target is set, so a cell renamed or
        # moved afterwards stays solved: keep the element, not only its path
        from ..core.shell import exists, element
        self._el.data.pop('hsolve_target', None)
        if v and exists(str(v)):
            t = element(str(v))._element()
            self._el.data['hsolve_target'] = (t, t.parent)

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
                g.version_seen = None
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
        kept = el.data.get('hsolve_target')
        # the target followed when its cell (its parent) was renamed or moved
        # with it; a compartment taken out of its cell is not followed
        if kept is not None and kept[0].alive and kept[0].parent is kept[1] and \
                el.cols['target'][0]:
            el.cols['target'][0] = kept[0].path
        target = el.cols['target'][0]
        if not target:
            return ()
        from ..core.shell import exists
        if not exists(target) and el.data.get('hsolve_target') is None:
            # as MOOSE (HSolve::setPath): a path that names nothing resolves
            # to the root, and the solver takes the cell of the first free
            # compartment of a depth-first search from there
            seed = _search_from_root(el)
            if seed is None:
                log.warning('%s (HSolve).target %r: no such element and no unsolved '
                            'compartment in the model; this HSolve solves nothing',
                            el.path, target)
                el.data['no_target'] = True
                return ()
            log.warning('%s (HSolve).target %r: no such element; as MOOSE does, it solves '
                        'the cell of %s, the first compartment of a search from the root',
                        el.path, target, seed.path)
            target = seed.path
        el.data.pop('no_target', None)
        cell = compile_cell(el, target)
        cell.gen = _GEN['gen']
        el.data['cell'] = cell
        # the compartments' own reinit, in bulk where it matters: the solver
        # reads initVm; Python-stepped objects deliver currents from zero
        for e in cell.comp_els:
            c = e.cols
            if e.num == 1:          # (element reads and writes: a third of slices')
                c['Vm'][0] = c['initVm'][0]
                c['_chA'][0] = c['_chB'][0] = c['_inj'][0] = c['Im'][0] = 0.0
                continue
            c['Vm'][:] = c['initVm']
            for k in ('_chA', '_chB', '_inj', 'Im'):
                c[k][:] = 0.0
        # as MOOSE's HSolve when it takes a pool over (once per HSolve): B
        # from the pool's length, diameter and thick, unless B was set after
        # the target (MOOSE takes the pools then)
        for e in cell.ca_els:
            if id(e) not in cell.ca_own and e.data.get('hsolve_B') is not el:
                e.data['hsolve_B'] = el
                e.cls._geometry_B(e, el.data.get('target_set_at', -1))
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


def _search_from_root(hs):
    """MOOSE's HSolve::deepSearchForCompartment from the root: depth first,
    the last child of each element first; the first compartment not taken by
    another HSolve of this reinit, or None."""
    from ..core.element import root
    from .compartment import CompartmentBase
    stack = [root()]
    while stack:
        e = stack.pop()
        if issubclass(e.cls, CompartmentBase):
            other = e.data.get('hsolve')
            if other is None or other is hs or not other.alive or \
                    other.data.get('cell') is None:
                return e
            continue
        stack.extend(e.children.values())
    return None


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
    from ..core.clock import clock
    g = el.data.get('group')
    if g is None or g.released:
        cell = el.data.get('cell')
        if cell is None or cell.gen != _GEN['gen']:
            return None
        g = _build_group(el)
    elif not clock.in_reinit and _moved_on(g):
        # the structure changed between starts (a gate table, a compartment,
        # a message...): the cells are compiled again and the run goes on
        # from the values the fields hold, never with the old layout
        for hs in g.hsolves:
            if hs.alive and hs.cols['target'][0]:
                cell = compile_cell(hs, hs.cols['target'][0])
                cell.gen = _GEN['gen']
                hs.data['cell'] = cell
        g = _build_group(el)
    return g


def _moved_on(g):
    """True when the structure changed since *g* was compiled (or kept)."""
    from ..core.clock import clock
    from ..core.structure import version
    if g.version_seen is None:
        g.version_seen = clock.reinit_version if g.kept_serial == clock.reinit_serial \
            else g.version
    return version() != g.version_seen


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
    if field == 'inject' and issubclass(el.cls, CompartmentBase):
        # (Functions of t the kernel evaluates change it within a call)
        readers = [o for o, _p, _m, fwd in links(el, 'getInject') if not fwd]
        pk = g.fn_probe_kind(el, readers)
        if pk is None:
            return None
        return g.leader, pk * _KIND + g.off[id(el)] + idx, 1.0
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


def invalidate(hs):
    g = hs.data.get('group')
    if g is not None:
        g.release()


# what the modules of the objects ask of the solver, through the HSolve
# element that owns an object (they never import this module)
HSolve.solver_spec = staticmethod(solver_spec)
HSolve.absorbed = staticmethod(absorbed)
HSolve.release_element = staticmethod(_release_el)
HSolve.invalidate = staticmethod(invalidate)


__all__ = ['HSolve', 'METHODS']
