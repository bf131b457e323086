"""Compartments of a neuron: ``CompartmentBase``, ``Compartment`` and
``SymCompartment``.

A compartment is an RC membrane patch joined to its neighbours through axial
resistances::

    Cm dVm/dt = (Em - Vm)/Rm + sum_ch Gk (Ek - Vm) + I_axial + inject + I_msgs

All values are absolute (SI): Rm, Ra in ohm, Cm in F, Vm/Em/initVm in V,
currents in A, lengths in m.

Two ways to advance it, as in MOOSE:

* **Unsolved (message passing)**: each compartment steps on its tick (3) with
  MOOSE's *exponential Euler*: with A = sum of current sources and B = sum of
  conductances collected over the step (leak, channels, axial neighbours held
  at their potential at the start of the step),
  ``Vm <- Vm x + (A/B)(1 - x)``, ``x = exp(-B dt / Cm)``.  Step-size error:
  exact for a single compartment with constant conductances; with HH
  channels (stepped one tick later at the new Vm, so gates and Vm are
  staggered) the squid's spike times drift from the converged solution as
  dt^2 (4th spike +0.004, +0.016, +0.062, +0.245 ms at dt 12.5, 25, 50,
  100 us; tests/electrical/test_channels.py).  In cables the axial
  coupling is explicit (neighbours held at their start-of-step Vm): first
  order and only conditionally consistent, so a cable of compartments with
  short time constants Cm*Ra reaches a dt-dependent steady state (MOOSE does
  the same: see ../shared/moose-api/ELECTRICAL.md).
  Use
  :class:`~moosepy.electrical.hsolve.HSolve` for multi-compartment cells.
  Unsolved compartments and HHChannels joined only to each other (and read
  by Tables) are stepped this way by one compiled kernel, not element by
  element (:mod:`moosepy.electrical.eesolve`).
  The asymmetric message-passing reading of Ra is MOOSE's: the child's Ra is
  the resistance between the child and its parent.
* **HSolve**: the solver takes the compartments of a cell over at reinit
  (``Vm``, ``Em``, ``Rm``, ``Cm``, ``inject`` become views of its state) and
  steps them implicitly; there every compartment is two Ra/2 halves.

Messages: ``axial`` (parent) <-> ``raxial`` (child); ``channel`` <-> a
channel's ``channel``; ``injectMsg`` (current [A], e.g. from a PulseGen
``output``); ``VmOut`` (Vm [V] to SpikeGen ``Vm``, Table ``input``...).
"""

import math

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError, MessageError
from ..core.fields import Field, Src, Dest, Shared
from ..core.msg import links, linked_indices

#: ports whose messages join compartments: port -> True when this side is
#: the parent (proximal) end.  A SymCompartment's 'sphere' (a soma) or
#: 'cylinder' (a dendrite) holds children joined by their 'proximalOnly'
AXIAL_PORTS = {'axial': True, 'raxial': False, 'distal': True, 'proximal': False,
               'sphere': True, 'cylinder': True, 'proximalOnly': False}
#: how a link by these ports couples, as MOOSE's SymCompartment messages
#: (key: my port, the other's port): the axial resistance [Ohm] is
#: (Ra_mine * a + Ra_other * b + c) / 2.  The other end sends its Ra
#: ('sphere': distalOut, 'proximalOnly': proximalOut) or 1e-6 Ohm
#: ('cylinder': cylinderOut); 'cylinder' receives it at raxialCylinder
#: (R = sent/2), 'sphere' and 'proximalOnly' at raxialSphere
#: (R = (sent + Ra)/2).  MOOSE pairs any two of the three ports.
_ONLY_LINKS = {(mine, other): (0.0 if mine == 'cylinder' else 1.0,
                               0.0 if other == 'cylinder' else 1.0,
                               1e-6 if other == 'cylinder' else 0.0)
               for mine in ('sphere', 'cylinder', 'proximalOnly')
               for other in ('sphere', 'cylinder', 'proximalOnly')}


def _double_eq(a, b):
    """MOOSE's doubleEq: relative difference below 1e-6 (denominator 1e-6
    when |a| + |b| < 1e-12)."""
    den = abs(a) + abs(b)
    if den < 1e-12:
        den = 1e-6
    return abs(a - b) / den < 1e-6


class CompartmentBase(Neutral):
    """Base of compartments: an RC membrane patch with an axial resistance."""

    default_tick = 3
    #: what a solver of cells (HSolve) takes of a compartment, gathered in
    #: bulk when it compiles: the state it changes (its fields become views
    #: of the solver's arrays), values only the user sets (read at compile,
    #: then passed on by a hook when set) and the accumulators into which
    #: Python-stepped objects deliver currents and conductances
    solver_columns = {'state': ('Vm', 'Im'),
                      'values': ('Cm', 'Rm', 'Em', 'inject', 'initVm'),
                      'delivered': ('_chA', '_chB', '_inj')}

    Vm = Field(-0.06, 'V', 'Membrane potential')
    Cm = Field(1.0, 'F', 'Membrane capacitance (> 0)')
    Em = Field(-0.06, 'V', 'Resting potential (reversal of the leak through Rm)')
    Rm = Field(1.0, 'ohm', 'Membrane (leak) resistance (> 0)')
    Ra = Field(1.0, 'ohm', 'Axial resistance (>= 0); without HSolve the resistance from '
               'this compartment to its parent, under HSolve split in two halves',
               structural=True)
    initVm = Field(-0.06, 'V', 'Vm given at reinit')
    inject = Field(0.0, 'A', 'Constant current injected into the compartment')
    Im = Field(0.0, 'A', 'Net current into the compartment over the last step '
               '(membrane, channels, axial and injected), = Cm dVm/dt', ro=True)
    diameter = Field(0.0, 'm', 'Diameter')
    length = Field(0.0, 'm', 'Length')
    x0 = Field(0.0, 'm', 'x of the proximal end')
    y0 = Field(0.0, 'm', 'y of the proximal end')
    z0 = Field(0.0, 'm', 'z of the proximal end')
    x = Field(0.0, 'm', 'x of the distal end')
    y = Field(0.0, 'm', 'y of the distal end')
    z = Field(0.0, 'm', 'z of the distal end')
    coords = Field(None, 'm', 'x0, y0, z0, x, y, z, diameter', type='vector', stored=False)

    # message-passing accumulators (hidden columns, copied with the element)
    _chA = Field(0.0, 'A', hidden=True)     # sum Gk*Ek from channels
    _chB = Field(0.0, 'S', hidden=True)     # sum Gk from channels
    _inj = Field(0.0, 'A', hidden=True)     # injectMsg inputs of this step
    _vs0 = Field(-0.06, 'V', hidden=True)   # Vm sent axially, even steps
    _vs1 = Field(-0.06, 'V', hidden=True)   # Vm sent axially, odd steps

    ports = (Shared('axial', 'axial', 'parent',
                    'Parent side of an axial link: connect parent "axial" -> child "raxial"'),
             Shared('raxial', 'axial', 'child', 'Child side of an axial link'),
             Shared('channel', 'channel', 'compartment',
                    'Joins a channel (Vm to the channel; Gk, Ek back)'),
             Src('VmOut', 'double', 'Sends Vm [V] every step'),
             Src('axialOut', 'double', 'Sends Vm [V] to the children (part of axial)'),
             Src('raxialOut', 'double2', 'Sends Ra [ohm] and Vm [V] to the parent '
                 '(part of raxial)'),
             Dest('injectMsg', 'double', 'Adds a current [A] for this step'),
             Dest('randInject', 'double2', 'Adds a random current: probability, amplitude '
                  '[A]'),
             Dest('cable', 'void', 'Marks the compartment as part of a cable (no-op)'),
             Dest('displace', 'double3', 'Moves the compartment by dx, dy, dz [m]'),
             Dest('handleAxial', 'double', 'Receives the parent Vm (part of raxial)'),
             Dest('handleRaxial', 'double2', 'Receives a child Ra and Vm (part of axial)'),
             Dest('handleChannel', 'double2', 'Receives Gk [S] and Ek [V] (part of channel)'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'),
             Dest('initProc', 'proc', 'First phase of a tick (axial exchange)'),
             Dest('initReinit', 'proc', 'First phase of reinit'))

    # ------------------------------------------------------------ validation
    def _check(self, name, v, strict):
        if not math.isfinite(v) or (v <= 0 if strict else v < 0):
            need = '> 0' if strict else '>= 0'
            raise FieldError(f'{self.path} ({self.className}).{name}: expected a finite '
                             f'value {need}, got {v}')

    def _set_Cm(self, v):
        self._check('Cm', v, True)
        self._el.cols['Cm'][self._idx] = v

    def _set_Rm(self, v):
        self._check('Rm', v, True)
        self._el.cols['Rm'][self._idx] = v

    def _set_Ra(self, v):
        self._check('Ra', v, False)
        self._el.cols['Ra'][self._idx] = v

    # geometry cannot be negative or NaN (0: not given, MOOSE's default);
    # potentials and currents may be negative but not NaN or infinite
    def _set_diameter(self, v):
        self._check('diameter', float(v), False)
        self._el.cols['diameter'][self._idx] = v

    def _set_length(self, v):
        """MOOSE's setLength: a length given while the stored one matches the
        coordinates (to 1e-6) moves the distal end along the axis to it
        (buildCompt sets the ends, then the length: x = x0 + dx can round
        to 7.999999999999999e-05 where MOOSE's end reads 8e-05, and a
        NeuroMesh voxel boundary there moves spines by one voxel)."""
        v = float(v)
        self._check('length', v, False)
        c = self._el.cols
        i = self._idx
        old = float(c['length'][i])
        if v > 0 and old > 0:
            dx = float(c['x'][i]) - float(c['x0'][i])
            dy = float(c['y'][i]) - float(c['y0'][i])
            dz = float(c['z'][i]) - float(c['z0'][i])
            if _double_eq(old * old, dx * dx + dy * dy + dz * dz):
                r = v / old
                c['x'][i] = float(c['x0'][i]) + r * dx
                c['y'][i] = float(c['y0'][i]) + r * dy
                c['z'][i] = float(c['z0'][i]) + r * dz
        c['length'][i] = v

    def _coord_setter(name):
        def setter(self, v):
            """MOOSE's coordinate set: the length follows the coordinates."""
            c = self._el.cols
            i = self._idx
            c[name][i] = v
            dx = float(c['x'][i]) - float(c['x0'][i])
            dy = float(c['y'][i]) - float(c['y0'][i])
            dz = float(c['z'][i]) - float(c['z0'][i])
            c['length'][i] = math.sqrt(dx * dx + dy * dy + dz * dz)
        return setter

    _set_x0 = _coord_setter('x0')
    _set_y0 = _coord_setter('y0')
    _set_z0 = _coord_setter('z0')
    _set_x = _coord_setter('x')
    _set_y = _coord_setter('y')
    _set_z = _coord_setter('z')
    del _coord_setter

    def _finite(self, name, v):
        v = float(v)
        if not math.isfinite(v):
            raise FieldError(f'{self.path} ({self.className}).{name}: expected a finite '
                             f'value, got {v}')
        self._el.cols[name][self._idx] = v

    def _set_initVm(self, v):
        self._finite('initVm', v)

    def _set_Em(self, v):
        self._finite('Em', v)

    def _set_inject(self, v):
        self._finite('inject', v)

    def _get_coords(self):
        c = self._el.cols
        i = self._idx
        return np.array([c[k][i] for k in ('x0', 'y0', 'z0', 'x', 'y', 'z', 'diameter')])

    def _set_coords(self, v):
        v = np.asarray(v, dtype=float).ravel()
        names = ('x0', 'y0', 'z0', 'x', 'y', 'z', 'diameter')
        if len(v) < 6:
            raise FieldError(f'{self.path}.coords: expected at least 6 values '
                             f'(x0 y0 z0 x y z [diameter]), got {len(v)}')
        for k, val in zip(names, v):
            self._el.cols[k][self._idx] = val

    # ------------------------------------------------------------ messages
    def _recv_injectMsg(self, value):
        self._el.cols['_inj'][self._idx] += value

    def _recv_randInject(self, value):
        prob, amp = value
        from .. import rand
        if rand() < prob:
            self._el.cols['_inj'][self._idx] += amp

    def _recv_handleChannel(self, value):
        gk, ek = value
        self._el.cols['_chA'][self._idx] += gk * ek
        self._el.cols['_chB'][self._idx] += gk

    def _recv_displace(self, value):
        dx, dy, dz = value
        c, i = self._el.cols, self._idx
        for k, d in (('x0', dx), ('x', dx), ('y0', dy), ('y', dy), ('z0', dz), ('z', dz)):
            c[k][i] += d

    def _recv_cable(self, value=None):
        return None

    # ------------------------------------------------------------ solver hooks
    #: the compiled path of unsolved compartments and channels
    #: (:mod:`moosepy.electrical.eesolve` sets it; None: every element steps
    #: itself in Python)
    unsolved = None

    @classmethod
    def _solver_spec(cls, el, idx, field):
        """(solver element, flat state index, scale) when an HSolve (or the
        compiled unsolved path) owns *field*."""
        hs = el.data.get('hsolve')
        # (the solver is reached through the element that owns it; this
        # module does not import it)
        if hs is None:
            ee = CompartmentBase.unsolved
            return None if ee is None or 'ee' not in el.data else ee.spec(el, idx, field)
        return hs.cls.solver_spec(el, idx, field)

    @classmethod
    def _batch_role(cls, el):
        ee = CompartmentBase.unsolved
        if el.data.get('hsolve') is not None:
            if ee is not None:
                ee.sync()
            return 'idle'
        return (ee is not None and ee.role(el)) or 'python'

    # (the hook below does not depend on the element: the clock calls it
    # once per class at a reinit)
    _prepare_reinit_once = True

    @classmethod
    def _prepare_reinit(cls, el):
        # before any solver compiles: compiled sets of a changed structure
        # give their columns back
        ee = CompartmentBase.unsolved
        if ee is not None:
            ee.sync()
        return ()

    @classmethod
    def _batch_advance(cls, el, t_end, requests):
        # the leader of a compiled group of unsolved compartments
        el.data['ee'].advance_to(t_end, requests)

    @classmethod
    def _on_copy(cls, new, old):
        new.data.pop('hsolve', None)
        new.data.pop('axial', None)
        new.data.pop('ee', None)

    @classmethod
    def _on_delete(cls, el):
        hs = el.data.get('hsolve')
        if hs is not None:
            hs.cls.invalidate(hs)

    # ------------------------------------------------------------ clock
    @classmethod
    def _reinit(cls, el):
        ee = CompartmentBase.unsolved
        if ee is not None and ee.reinit_taken(el):
            return                      # done in bulk by its compiled group
        c = el.cols
        hs = el.data.get('hsolve')
        if hs is not None:
            # a solver held it after the last reinit: give the columns back;
            # the HSolve (tick 6) takes them again if it still targets them
            hs.cls.release_element(el)
        c['Vm'][:] = c['initVm']
        c['_vs0'][:] = c['initVm']
        c['_vs1'][:] = c['initVm']
        c['_chA'][:] = 0.0
        c['_chB'][:] = 0.0
        c['_inj'][:] = 0.0
        c['Im'][:] = 0.0
        el.data['axial'] = axial_links(el)
        el.data['sym_coeff'] = sym_coeff(el, el.data['axial'])

    @classmethod
    def _process(cls, el, t, dt):
        """Exponential Euler step of every entry (MOOSE's message-passing
        scheme); neighbours are read at their potential at the start of the
        step (double buffer by step parity, so the order in which elements
        are processed does not matter)."""
        if el.data.get('hsolve') is not None:
            return
        g = el.data.get('ee')
        if g is not None and not g.released:
            if g.leader is el:          # a compiled group: one step of all of it
                g.advance_to(t, [])
            return
        c = el.cols
        s = int(round(t / dt)) if dt > 0 else 0
        old = c['_vs1'] if s % 2 == 0 else c['_vs0']
        new = c['_vs0'] if s % 2 == 0 else c['_vs1']
        V = c['Vm']
        A = c['_chA'] + c['inject'] + c['_inj'] + c['Em'] / c['Rm']
        B = c['_chB'] + 1.0 / c['Rm']
        axial = el.data.get('axial')
        if axial is None:
            axial = el.data['axial'] = axial_links(el)
            el.data['sym_coeff'] = sym_coeff(el, axial)
        coeff = el.data.get('sym_coeff')
        for other, mine, theirs, parent_side, sym in axial:
            vn = (other.cols['_vs1'] if s % 2 == 0 else other.cols['_vs0'])[theirs]
            if other.data.get('hsolve') is not None:
                vn = other.cols['Vm'][theirs]
            ra = link_ra(c['Ra'], other, mine, theirs, parent_side, sym, coeff)
            g = np.where(ra > 0, 1.0 / np.where(ra > 0, ra, 1.0), 0.0)
            np.add.at(A, mine, vn * g)
            np.add.at(B, mine, g)
        x = np.exp(-B * dt / c['Cm'])
        vinf = A / B
        vold = V.copy()
        V[:] = vinf + (V - vinf) * x
        if not math.isfinite(float(np.add.reduce(V))):
            _nonfinite_vm(el, V, t, dt)
        c['Im'][:] = c['Cm'] * (V - vold) / dt if dt > 0 else 0.0
        new[:] = V
        del old
        c['_chA'][:] = 0.0
        c['_chB'][:] = 0.0
        c['_inj'][:] = 0.0
        send_values(el, 'VmOut', V)


class Compartment(CompartmentBase):
    """Compartment object, for branching neuron models: an RC membrane patch
    with an axial resistance Ra to its parent."""


class SymCompartment(Compartment):
    """Symmetric compartment: Ra is split between both ends.  Connect parent
    ``distal`` -> child ``proximal`` (or the asymmetric ``axial``/``raxial``).
    Under HSolve every compartment is symmetric; without it, as MOOSE's
    message passing, a neighbour n (proximal, distal or ``sibling``) reaches
    this compartment through ``Ra_n * (1 + sum_k Ra/Ra_k) / 2`` (sum over
    all such neighbours k; (Ra_parent + Ra_child)/2 for a single link)."""

    ports = (Shared('proximal', 'sym', 'child', 'Link to the parent (its "distal")'),
             Shared('distal', 'sym', 'parent', 'Link to a child (its "proximal")'),
             Shared('sibling', 'sibling', 'peer',
                    'Link to a sibling sharing the same parent (topology only)'),
             Shared('sphere', 'only', 'peer',
                    "A soma's link to evenly spaced children (their 'proximalOnly'): "
                    "resistance (Ra + Ra_child)/2, no sibling links"),
             Shared('cylinder', 'only', 'peer',
                    "A dendrite's link to spines on its surface (their 'proximalOnly'): "
                    "resistance Ra_child/2"),
             Shared('proximalOnly', 'only', 'peer',
                    "Link to a parent's 'sphere' or 'cylinder'"),
             Src('proximalOut', 'double2', 'Sends Ra and Vm proximally'),
             Src('distalOut', 'double2', 'Sends Ra and Vm distally'),
             Src('cylinderOut', 'double2', 'Sends Ra and Vm to a sphere'),
             Src('sumRaxialOut', 'double', 'Sends 1/Ra summed over siblings'),
             Dest('raxialSym', 'double2', 'Receives Ra and Vm (symmetric)'),
             Dest('raxialSphere', 'double2', 'Receives Ra and Vm from a sphere'),
             Dest('raxialCylinder', 'double2', 'Receives Ra and Vm from a cylinder'),
             Dest('sumRaxial', 'double', 'Receives summed 1/Ra of siblings'))


# ---------------------------------------------------------------- helpers
def _nonfinite_vm(el, V, t, dt):
    """A Python-stepped compartment's Vm became NaN or infinite in the step
    ending at t + dt: raise, naming the entry and the time (one sum per
    step and element is the whole cost while Vm is finite)."""
    from ..core.errors import SolverError
    bad = np.flatnonzero(~np.isfinite(V))
    if not len(bad):
        return          # the sum overflowed, the values are finite
    i = int(bad[0])
    name = el.path if el.num == 1 else f'{el.path}[{i}]'
    raise SolverError(f'{name} ({el.cls.__name__}).Vm became {float(V[i])!r} in the step '
                      f'ending at t = {t + dt:g} s; the values cannot be trusted after this '
                      f'time; check Rm, Cm, Ra, injected currents and channels')


def link_ra(my_ra, other, mine, theirs, parent_side, sym, coeff):
    """The axial resistance [ohm] of the links (*mine* entries of this
    element, whose Ra column is *my_ra*, to *theirs* of element *other*),
    as MOOSE takes it: a sphere/cylinder <-> proximalOnly link (*sym* a
    tuple, see _ONLY_LINKS) averages the two; a symmetric link
    (raxialSym) is the sender's Ra times this end's star-mesh factor
    *coeff* ((Ra + Ra_n)/2 for a single neighbour); otherwise the parent
    side's Ra."""
    if isinstance(sym, tuple):
        fa, fb, fc = sym
        return 0.5 * (fa * my_ra[mine] + fb * other.cols['Ra'][theirs] + fc)
    if sym:
        return other.cols['Ra'][theirs] * coeff[mine]
    if parent_side:
        return other.cols['Ra'][theirs]
    return my_ra[mine]


def axial_links(el):
    """Axial neighbours of every entry of *el*: list of (other element, my
    indices, their indices, this side is parent, symmetric link: True for
    proximal/distal/sibling, False for axial/raxial, the factors of
    :data:`_ONLY_LINKS` for sphere/cylinder <-> proximalOnly).  A
    SymCompartment's ``sibling`` links count as symmetric links (MOOSE sends
    Ra and Vm over them as over ``distal``)."""
    out = []
    for port, parent_side in list(AXIAL_PORTS.items()) + [('sibling', False)]:
        for other, oport, m, forward in links(el, port):
            if not issubclass(other.cls, CompartmentBase):
                continue
            a, b = m.pairs()
            mine, theirs = (a, b) if forward else (b, a)
            sym = port in ('distal', 'proximal', 'sibling')
            if (port, oport) in _ONLY_LINKS:
                sym = _ONLY_LINKS[(port, oport)]
            out.append((other, np.asarray(mine, dtype=np.int64),
                        np.asarray(theirs, dtype=np.int64), parent_side, sym))
    return out


def sym_coeff(el, axial):
    """MOOSE's star-mesh factor of each entry of a SymCompartment *el*:
    ``(1 + sum Ra/Ra_n) / 2`` over its proximal, distal and sibling
    neighbours n (what its ``sumRaxial`` collects at reinit); a neighbour's
    Vm then reaches it through ``Ra_n * coeff``."""
    ra = el.cols['Ra']
    tot = np.zeros(el.num)
    for other, mine, theirs, parent_side, sym in axial:
        if sym is True:
            rn = other.cols['Ra'][theirs]
            np.add.at(tot, mine, np.where(rn > 0, ra[mine] / np.where(rn > 0, rn, 1.0), 0.0))
    return 0.5 * (1.0 + tot)


def parent_links(el):
    """(parent element, parent index, child index) pairs in which an entry of
    *el* is the child, for the HSolve's tree walk."""
    res = []
    for port, parent_side in AXIAL_PORTS.items():
        if parent_side:
            continue
        for other, oport, m, forward in links(el, port):
            if not issubclass(other.cls, CompartmentBase):
                continue
            a, b = m.pairs()
            mine, theirs = (a, b) if forward else (b, a)
            res.extend((other, int(j), int(i)) for i, j in zip(mine, theirs))
    return res


def send_values(el, port, values):
    """Deliver per-entry *values* through source *port* of *el* (Python path).

    Destinations ``set<Field>`` get the field assigned; others are handled by
    the destination class's ``_recv_<port>(handle, value)``; ``Table.input``
    appends.  Ports with no messages cost one list scan.
    """
    ls = links(el, port)
    if not ls:
        return
    for i in range(el.num):
        for other, j, oport in linked_indices(el, i, port):
            deliver(other, j, oport, values[i] if np.ndim(values) else values)


def deliver(el, idx, port, value):
    """Deliver one value to destination *port* of entry *idx* of *el*."""
    h = el.handle(idx)
    if port.startswith('set') and port[3:4].isupper():
        name = port[3].lower() + port[4:]
        if name not in el.cls._fields:
            name = port[3:]
        setattr(h, name, value)
        return
    handler = getattr(el.cls, '_recv_' + port, None)
    if handler is not None:
        handler(h, value)
        return
    if port in ('input', 'spike') and 'vec' in el.data:
        st = el.data['vec']
        while len(st) <= idx:
            st.append([])
        st[idx].append(np.array([float(value)]))
        return
    raise MessageError(f'{el.path} ({el.cls.__name__}): cannot deliver to port {port!r} '
                       f'from a Python-stepped object')
