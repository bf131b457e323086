"""Radial diffusion of an ion (calcium) in concentric shells or stacked
slabs: ``DifShell`` (free ion in one shell), ``DifBuffer`` (a diffusible
buffer binding the ion in one shell) and ``MMPump`` (a Michaelis-Menten
pump), as MOOSE's ``biophysics`` DifShell family.

What this module owns: the fields of the three families (with
``DifShellBase`` and ``DifBufferBase`` as their bases), their messages, and
their per-step update on their tick (tick 1 by default, MOOSE's).

The scheme (MOOSE's, measured against pymoose 5.0.0 to round-off): each
shell and each buffer holds its state ``x`` (C [mM] for a shell, free
buffer bFree [mM] for a buffer) and two accumulators, ``A`` [mM/s] and
``B`` [1/s], for ``dx/dt = A - B x``.  Every message that reaches the
object adds to them:

* a neighbour (``fluxFromIn`` / ``fluxFromOut``, value ``(x_n, thickness_n)``):
  ``g = 2 D area / (volume (thickness + thickness_n))``, ``A += g x_n``,
  ``B += g`` (area: the inner or outer area of the receiving shell);
* a buffer on a shell (``reaction``, ``(kf, kb, bFree, bBound)``):
  ``A += kb bBound``, ``B += kf bFree``; a buffer adds its own binding,
  ``A += kb bBound``, ``B += kf activation`` (activation: the shell's C);
* currents [A] (``influx``, ``outflux``, ``fInflux``, ``fOutflux``):
  ``A += ± fraction I / (F valence volume)``; molar fluxes [mmol/s]
  (``storeInflux``, ``storeOutflux``): ``A += ± flux / volume``;
* pumps: ``mmPump (Vmax, Kd)`` ``B += Vmax / (volume (C + Kd))``;
  ``tauPump (kP, Ceq)`` ``A += kP Ceq, B += kP`` (dC/dt = -kP (C - Ceq));
  ``eqTauPump (kP)`` the same with the shell's own Ceq; ``hillPump (Vmax, Kd, n)``
  ``A -= Vmax C^n / (volume (C^n + Kd))``.

A step is exponential Euler with the accumulated terms,
``x <- x e^{-B dt} + (A/B)(1 - e^{-B dt})`` (``x + A dt`` when B <= 1e-10);
the accumulators are then cleared (A to ``leak`` for a shell) and the
object sends its new state to its neighbours (and a shell its C to its
buffers, a buffer its reaction terms to its shell), which use it in their
next update.  Within a tick every DifShell steps first (in tree order),
then every DifBuffer, then every MMPump, which is the order pymoose 5.0.0
has (grouped by class, whatever the creation order).  A neighbour that
steps later in the same step therefore already sees the new value (a
Gauss-Seidel sweep), as in MOOSE; totals of ion plus bound buffer are kept
to O(dt), not exactly (tests/electrical/test_difshell.py measures it).

Geometry (``shapeMode``): 0, an onion shell of outer ``diameter`` and
``thickness`` (a cylinder of ``length``, a sphere when length is 0); 1, a
slab (a disc of ``diameter``, ``thickness`` thick, inner = outer area);
3, user-defined ``volume``, ``innerArea`` and ``outerArea``.  Volume and
areas are recomputed when a geometric field is set and at reinit.

Differences from MOOSE 5.0.0, on purpose (MOOSE bugs): ``outflux``
subtracts the current (MOOSE wires it to ``influx``, so it adds);
``tauPump``/``eqTauPump`` pull C towards Ceq (MOOSE subtracts kP from B,
so its B goes negative, the step turns explicit and C grows by kP Ceq per
second whatever C is); a negative value for a field MOOSE rejects (with a
printed message) raises a FieldError here; a buffer with kb = 0 and
nothing binding at reinit starts all free (MOOSE computes 0/0 and holds
NaN); a shell taking a current with valence 0 is a SolverError at reinit
(MOOSE divides by zero).

Cost: these objects are stepped beside any solver (an HSolve does not
take them over, nor does MOOSE's HSolve): the whole family on one tick is
one network, compiled at reinit into flat arrays that one numba kernel
(:mod:`.difkernels`) sweeps per step; the state columns of the objects
are views into those arrays.  Python still runs once per object per step
(the clock's call).  Measured (20 shells + 20 buffers, 2000 steps, 2
cores shared with other jobs): 1.3-1.5 us per object per step, against
0.26 us in pymoose 5.0.0 (about 5 times slower), plus numba's load on
the first run of a process.  A model with an HSolve and DifShells fed by
its channels (``IkOut -> influx``) runs step by step (the solver sends
the currents after each of its steps).

Units: SI, concentrations in mM (= mol/m^3); F = 96485.33212 C/mol.
"""

import math

import numpy as np

from ..core import clock as _clockmod
from ..core import structure as _structure
from ..core.element import Neutral
from ..core.errors import FieldError, SolverError
from ..core.fields import Field, Src, Dest, Shared
from ..core.msg import links
from ..core.units import FaradayConst as F

_EPS = 1e-10           # below this B a step is explicit (x + A dt)
_SHAPES = (0, 1, 3)


def _geometry(mode, d, th, length):
    """(volume, outerArea, innerArea) [m^3, m^2, m^2] of a shell."""
    if mode == 0:
        ro = d / 2.0
        ri = max(ro - th, 0.0)
        if length == 0.0:
            return (4.0 / 3.0 * math.pi * (ro ** 3 - ri ** 3), 4 * math.pi * ro * ro,
                    4 * math.pi * ri * ri)
        return math.pi * length * (ro * ro - ri * ri), 2 * math.pi * ro * length, \
            2 * math.pi * ri * length
    if mode == 1:
        a = math.pi * d * d / 4.0
        return a * th, a, a
    return None


def _integrate(x, dt, a, b):
    if b > _EPS:
        e = math.exp(-b * dt)
        return x * e + (a / b) * (1.0 - e)
    return x + a * dt


class _Geometry:
    """Shared setters of the geometric fields (mixed into both bases)."""

    def _nonneg(self, name, v):
        if not v >= 0.0:
            raise FieldError(f'{self.path} ({self.className}).{name}: expected a value >= 0, '
                             f'got {v}')

    def _recalc(self):
        c, i = self._el.cols, self._idx
        g = _geometry(int(c['shapeMode'][i]), float(c['diameter'][i]),
                      float(c['thickness'][i]), float(c['length'][i]))
        if g is not None:
            c['volume'][i], c['outerArea'][i], c['innerArea'][i] = g

    def _geo_setter(name):
        def s(self, v):
            self._nonneg(name, v)
            self._el.cols[name][self._idx] = v
            self._recalc()
        return s

    _set_length = _geo_setter('length')
    _set_diameter = _geo_setter('diameter')
    _set_thickness = _geo_setter('thickness')
    del _geo_setter

    def _set_shapeMode(self, v):
        if v not in _SHAPES:
            raise FieldError(f'{self.path} ({self.className}).shapeMode: expected 0 (onion '
                             f'shell), 1 (slab) or 3 (user-defined), got {v}')
        self._el.cols['shapeMode'][self._idx] = v
        self._recalc()

    def _user_setter(name):
        def s(self, v):
            # MOOSE warns when shapeMode is not 3 and stores it anyway (until
            # the next geometric change or reinit recomputes it)
            self._nonneg(name, v)
            self._el.cols[name][self._idx] = v
        return s

    _set_volume = _user_setter('volume')
    _set_outerArea = _user_setter('outerArea')
    _set_innerArea = _user_setter('innerArea')
    del _user_setter

    @staticmethod
    def _recalc_all(el):
        c = el.cols
        for i in range(el.num):
            g = _geometry(int(c['shapeMode'][i]), float(c['diameter'][i]),
                          float(c['thickness'][i]), float(c['length'][i]))
            if g is not None:
                c['volume'][i], c['outerArea'][i], c['innerArea'][i] = g


def _flux_coef(c, i, area_col, th_n):
    v = c['volume'][i]
    return 2.0 * c['D'][i] / v * c[area_col][i] / (th_n + c['thickness'][i])


class DifShellBase(_Geometry, Neutral):
    """DifShell: one shell (or slab) of a cell, iso-concentration for an
    ion (usually Ca).  Neighbouring shells exchange the ion by diffusion;
    buffers, pumps and channel currents change its concentration through
    messages.  See the module's docstring for the equations and the
    order of updates."""

    default_tick = 1

    C = Field(0.0, 'mM', 'Concentration of the ion (also set by Ceq)')
    Ceq = Field(0.0, 'mM', 'Resting concentration: C at reinit, and eqTauPump target')
    D = Field(0.0, 'm^2/s', 'Diffusion constant of the ion')
    valence = Field(0.0, '', 'Charge of the ion (for influx of a current)')
    leak = Field(0.0, 'mM/s', 'Constant rate of change of C')
    shapeMode = Field(0, '', 'Geometry: 0 onion shell, 1 slab, 3 user-defined',
                      type='unsigned int')
    length = Field(0.0, 'm', 'Length of the shell (onion: 0 = sphere)')
    diameter = Field(0.0, 'm', 'Outer diameter of the shell')
    thickness = Field(0.0, 'm', 'Thickness of the shell')
    volume = Field(0.0, 'm^3', 'Volume (computed unless shapeMode is 3)')
    outerArea = Field(0.0, 'm^2', 'Outer area (computed unless shapeMode is 3)')
    innerArea = Field(0.0, 'm^2', 'Inner area (computed unless shapeMode is 3)')
    _A = Field(0.0, 'mM/s', hidden=True)
    _B = Field(0.0, '1/s', hidden=True)

    # (declare() reads setters from the class's own namespace)
    _set_length, _set_diameter, _set_thickness, _set_shapeMode = (
        _Geometry._set_length, _Geometry._set_diameter, _Geometry._set_thickness,
        _Geometry._set_shapeMode)
    _set_volume, _set_outerArea, _set_innerArea = (
        _Geometry._set_volume, _Geometry._set_outerArea, _Geometry._set_innerArea)

    ports = (Src('concentrationOut', 'double', 'Sends C [mM] every step (to buffers)'),
             Src('innerDifSourceOut', 'double2', 'Sends (C [mM], thickness [m]) to the '
                 'outer neighbour (its fluxFromIn)'),
             Src('outerDifSourceOut', 'double2', 'Sends (C [mM], thickness [m]) to the '
                 'inner neighbour (its fluxFromOut)'),
             Dest('reaction', 'double4', 'Receives a buffer\'s (kf [1/(mM s)], kb [1/s], '
                  'bFree [mM], bBound [mM])'),
             Dest('fluxFromOut', 'double2', 'Receives the outer neighbour\'s (C, thickness)'),
             Dest('fluxFromIn', 'double2', 'Receives the inner neighbour\'s (C, thickness)'),
             Dest('influx', 'double', 'Adds a current [A] carried by the ion into the shell'),
             Dest('outflux', 'double', 'Removes a current [A] carried by the ion'),
             Dest('fInflux', 'double2', 'Adds (I [A], fraction carried by the ion)'),
             Dest('fOutflux', 'double2', 'Removes (I [A], fraction carried by the ion)'),
             Dest('storeInflux', 'double', 'Adds a molar flux [mmol/s] (mol/m^3 m^3/s)'),
             Dest('storeOutflux', 'double', 'Removes a molar flux [mmol/s]'),
             Dest('tauPump', 'double2', 'Pump towards Ceq: (kP [1/s], Ceq [mM])'),
             Dest('eqTauPump', 'double', 'Pump towards this shell\'s Ceq: kP [1/s]'),
             Dest('mmPump', 'double2', 'Michaelis-Menten pump: (Vmax [mmol/s], Kd [mM])'),
             Dest('hillPump', 'double,double,uint', 'Hill pump: (Vmax [mmol/s], Kd [mM^n], '
                  'n)'),
             Shared('buffer', 'difbuffer', 'shell', 'Joins a DifBuffer\'s "buffer": '
                    'concentrationOut and reaction'),
             Shared('innerDif', 'difshell', 'inner', 'Joins the outer neighbour\'s '
                    '"outerDif": innerDifSourceOut and fluxFromOut'),
             Shared('outerDif', 'difshell', 'outer', 'Joins the inner neighbour\'s '
                    '"innerDif": outerDifSourceOut and fluxFromIn'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _set_C(self, v):
        self._nonneg('C', v)
        self._el.cols['C'][self._idx] = v

    def _set_Ceq(self, v):
        self._nonneg('Ceq', v)
        self._el.cols['Ceq'][self._idx] = v
        self._el.cols['C'][self._idx] = v

    def _set_D(self, v):
        self._nonneg('D', v)
        self._el.cols['D'][self._idx] = v

    def _set_valence(self, v):
        self._nonneg('valence', v)
        self._el.cols['valence'][self._idx] = v

    # ---- messages from objects outside the network (Python-stepped
    # senders, solvers); each adds to the accumulators of the next step
    def _add(self, a=0.0, b=0.0):
        c, i = self._el.cols, self._idx
        c['_A'][i] += a
        c['_B'][i] += b

    def _per_charge(self):
        c, i = self._el.cols, self._idx
        with np.errstate(divide='ignore', invalid='ignore'):
            return float(np.float64(1.0) / (F * c['valence'][i] * c['volume'][i]))

    def _per_volume(self):
        with np.errstate(divide='ignore', invalid='ignore'):
            return float(np.float64(1.0) / self._el.cols['volume'][self._idx])

    def _recv_influx(self, v):
        self._add(a=float(v) * self._per_charge())

    def _recv_outflux(self, v):
        self._add(a=-float(v) * self._per_charge())

    def _recv_fInflux(self, v):
        self._add(a=float(v[1]) * float(v[0]) * self._per_charge())

    def _recv_fOutflux(self, v):
        self._add(a=-float(v[1]) * float(v[0]) * self._per_charge())

    def _recv_storeInflux(self, v):
        self._add(a=v * self._per_volume())

    def _recv_storeOutflux(self, v):
        self._add(a=-v * self._per_volume())

    def _recv_tauPump(self, v):
        self._add(a=v[0] * v[1], b=v[0])

    def _recv_eqTauPump(self, v):
        self._add(a=v * float(self._el.cols['Ceq'][self._idx]), b=v)

    def _recv_mmPump(self, v):
        c, i = self._el.cols, self._idx
        self._add(b=v[0] * self._per_volume() / (float(c['C'][i]) + v[1]))

    def _recv_hillPump(self, v):
        ch = float(self._el.cols['C'][self._idx]) ** int(v[2])
        self._add(a=-v[0] * self._per_volume() * ch / (ch + v[1]))

    def _recv_reaction(self, v):
        kf, kb, bfree, bbound = v
        self._add(a=kb * bbound, b=kf * bfree)

    def _recv_fluxFromOut(self, v):
        g = _flux_coef(self._el.cols, self._idx, 'outerArea', v[1])
        self._add(a=g * v[0], b=g)

    def _recv_fluxFromIn(self, v):
        g = _flux_coef(self._el.cols, self._idx, 'innerArea', v[1])
        self._add(a=g * v[0], b=g)

    @classmethod
    def _reinit(cls, el):
        _network(el).reinit_once()

    @classmethod
    def _process(cls, el, t, dt):
        _network(el).step_once(t, dt)


class DifShell(DifShellBase):
    """DifShell: radial diffusion of an ion (typically Ca) in one shell of
    a compartment, with buffers, pumps and channel currents acting on it
    (see :mod:`moosepy.electrical.difshell` for the scheme)."""


class DifBufferBase(_Geometry, Neutral):
    """DifBuffer: a buffer of fixed total concentration bTot in one shell,
    binding the shell's ion (``Ca + B <-> CaB``, kf, kb) and diffusing
    between shells (D).  Coupled to its DifShell by ``concentration``
    (the shell's C, kept as ``activation``) and ``reactionOut``."""

    default_tick = 1

    activation = Field(0.0, 'mM', 'Ion concentration last received (concentration)')
    bFree = Field(0.0, 'mM', 'Free buffer concentration')
    bBound = Field(0.0, 'mM', 'Bound buffer concentration')
    bTot = Field(0.0, 'mM', 'Total buffer concentration (setting it frees all)')
    kf = Field(0.0, '1/(mM s)', 'Forward (binding) rate constant')
    kb = Field(0.0, '1/s', 'Backward (unbinding) rate constant')
    D = Field(0.0, 'm^2/s', 'Diffusion constant of the buffer')
    shapeMode = Field(0, '', 'Geometry: 0 onion shell, 1 slab, 3 user-defined',
                      type='unsigned int')
    length = Field(0.0, 'm', 'Length of the shell (onion: 0 = sphere)')
    diameter = Field(0.0, 'm', 'Outer diameter of the shell')
    thickness = Field(0.0, 'm', 'Thickness of the shell')
    volume = Field(0.0, 'm^3', 'Volume (computed unless shapeMode is 3)')
    outerArea = Field(0.0, 'm^2', 'Outer area (computed unless shapeMode is 3)')
    innerArea = Field(0.0, 'm^2', 'Inner area (computed unless shapeMode is 3)')
    _A = Field(0.0, 'mM/s', hidden=True)
    _B = Field(0.0, '1/s', hidden=True)

    # (declare() reads setters from the class's own namespace)
    _set_length, _set_diameter, _set_thickness, _set_shapeMode = (
        _Geometry._set_length, _Geometry._set_diameter, _Geometry._set_thickness,
        _Geometry._set_shapeMode)
    _set_volume, _set_outerArea, _set_innerArea = (
        _Geometry._set_volume, _Geometry._set_outerArea, _Geometry._set_innerArea)

    ports = (Src('innerDifSourceOut', 'double2', 'Sends (bFree [mM], thickness [m]) to '
                 'the outer neighbour'),
             Src('outerDifSourceOut', 'double2', 'Sends (bFree [mM], thickness [m]) to '
                 'the inner neighbour'),
             Src('reactionOut', 'double4', 'Sends (kf, kb, bFree, bBound) to the shell '
                 '(its reaction) every step'),
             Dest('concentration', 'double', 'Receives the shell\'s C [mM] (activation)'),
             Dest('fluxFromOut', 'double2', 'Receives the outer neighbour\'s (bFree, '
                  'thickness)'),
             Dest('fluxFromIn', 'double2', 'Receives the inner neighbour\'s (bFree, '
                  'thickness)'),
             Shared('buffer', 'difbuffer', 'buffer', 'Joins a DifShell\'s "buffer": '
                    'concentration and reactionOut'),
             Shared('innerDif', 'difshell', 'inner', 'Joins the outer neighbour\'s '
                    '"outerDif"'),
             Shared('outerDif', 'difshell', 'outer', 'Joins the inner neighbour\'s '
                    '"innerDif"'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _checked(self, name, v):
        self._nonneg(name, v)
        return v

    def _set_activation(self, v):
        self._el.cols['activation'][self._idx] = self._checked('activation', v)

    def _set_kf(self, v):
        self._el.cols['kf'][self._idx] = self._checked('kf', v)

    def _set_kb(self, v):
        self._el.cols['kb'][self._idx] = self._checked('kb', v)

    def _set_D(self, v):
        self._el.cols['D'][self._idx] = self._checked('D', v)

    def _set_bTot(self, v):
        c, i = self._el.cols, self._idx
        c['bTot'][i] = self._checked('bTot', v)
        c['bFree'][i] = v
        c['bBound'][i] = 0.0

    def _set_part(name, other):
        def s(self, v):
            c, i = self._el.cols, self._idx
            self._nonneg(name, v)
            if v > c['bTot'][i]:
                raise FieldError(f'{self.path} ({self.className}).{name}: expected a value '
                                 f'<= bTot ({c["bTot"][i]}), got {v}')
            c[name][i] = v
            c[other][i] = c['bTot'][i] - v
        return s

    _set_bFree = _set_part('bFree', 'bBound')
    _set_bBound = _set_part('bBound', 'bFree')
    del _set_part

    def _recv_concentration(self, v):
        self._el.cols['activation'][self._idx] = v

    def _recv_fluxFromOut(self, v):
        c, i = self._el.cols, self._idx
        g = _flux_coef(c, i, 'outerArea', v[1])
        c['_A'][i] += g * v[0]
        c['_B'][i] += g

    def _recv_fluxFromIn(self, v):
        c, i = self._el.cols, self._idx
        g = _flux_coef(c, i, 'innerArea', v[1])
        c['_A'][i] += g * v[0]
        c['_B'][i] += g

    @classmethod
    def _reinit(cls, el):
        _network(el).reinit_once()

    @classmethod
    def _process(cls, el, t, dt):
        _network(el).step_once(t, dt)


class DifBuffer(DifBufferBase):
    """DifBuffer: a diffusible buffer of constant total concentration in
    one shell, coupled to its DifShell (see
    :mod:`moosepy.electrical.difshell` for the scheme)."""


class MMPump(Neutral):
    """MMPump: a Michaelis-Menten pump removing the ion of the DifShell it
    drives (``PumpOut -> mmPump``): flux ``Vmax C / (Kd + C)`` [mmol/s]."""

    default_tick = 1

    Vmax = Field(0.0, 'mmol/s', 'Maximal pump flux (per pump, scaled by membrane area)')
    Kd = Field(0.0, 'mM', 'Half-maximal concentration')

    ports = (Src('PumpOut', 'double2', 'Sends (Vmax, Kd) to a DifShell\'s mmPump every step'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _nonneg_setter(name):
        def s(self, v):
            if not v >= 0.0:
                raise FieldError(f'{self.path} (MMPump).{name}: expected a value >= 0, '
                                 f'got {v}')
            self._el.cols[name][self._idx] = v
        return s

    _set_Vmax = _nonneg_setter('Vmax')
    _set_Kd = _nonneg_setter('Kd')
    del _nonneg_setter

    @classmethod
    def _reinit(cls, el):
        _network(el).reinit_once()

    @classmethod
    def _process(cls, el, t, dt):
        _network(el).step_once(t, dt)


# ---------------------------------------------------------------------------
# The network: every DifShell, DifBuffer and MMPump on one tick, stepped
# together in MOOSE's order.

_FAMILY = (DifShellBase, DifBufferBase, MMPump)
# the parts of the shared ports: shared -> (its source part, partner's
# destination part for that source)
_SHARED_SRC = {
    (DifShellBase, 'buffer'): ('concentrationOut', 'concentration'),
    (DifBufferBase, 'buffer'): ('reactionOut', 'reaction'),
    (DifShellBase, 'innerDif'): ('innerDifSourceOut', 'fluxFromIn'),
    (DifShellBase, 'outerDif'): ('outerDifSourceOut', 'fluxFromOut'),
    (DifBufferBase, 'innerDif'): ('innerDifSourceOut', 'fluxFromIn'),
    (DifBufferBase, 'outerDif'): ('outerDifSourceOut', 'fluxFromOut'),
}
_SOURCES = {DifShellBase: ('concentrationOut', 'innerDifSourceOut', 'outerDifSourceOut'),
            DifBufferBase: ('innerDifSourceOut', 'outerDifSourceOut', 'reactionOut'),
            MMPump: ('PumpOut',)}

_NETS = {}


def _family(cls):
    for f in _FAMILY:
        if issubclass(cls, f):
            return f
    return None


def _targets(el, src):
    """[(other element, other port, [(i, j), ...])] reached from source
    part *src* of *el*: its own messages and those of the shared port
    holding it."""
    out = []
    fam = _family(el.cls)
    for other, oport, m, fwd in links(el, src):
        if fwd:
            a, b = m.pairs()
            out.append((other, oport, list(zip(np.asarray(a).tolist(),
                                               np.asarray(b).tolist()))))
    for (f, shared), (part, partner_dest) in _SHARED_SRC.items():
        if f is not fam or part != src:
            continue
        for other, oport, m, fwd in links(el, shared):
            a, b = m.pairs()
            a, b = np.asarray(a).tolist(), np.asarray(b).tolist()
            pairs = list(zip(a, b)) if fwd else list(zip(b, a))
            out.append((other, partner_dest, pairs))
    return out


def _param_hook(el, name):
    """A field of a family object was set: networks read parameters again."""
    _PARAMS[0] += 1


_PARAMS = [0]


def _network(el):
    net = _NETS.get(el.tick)
    if net is None or net.version != (_structure.version(), _clockmod.clock.reinit_serial):
        net = _NETS[el.tick] = _Network(el.tick, (_structure.version(),
                                                  _clockmod.clock.reinit_serial))
    return net


_INSIDE_PORTS = ('concentration', 'fluxFromIn', 'fluxFromOut', 'reaction', 'mmPump')
_S_STATE = ('C', '_A', '_B')
_B_STATE = ('bFree', 'bBound', 'activation', '_A', '_B')


def _csr(rows, n):
    """Compressed rows of [(row, *values)]: (ptr, column arrays)."""
    rows = sorted(rows, key=lambda r: r[0])
    ptr = np.zeros(n + 1, dtype=np.int64)
    for r in rows:
        ptr[r[0] + 1] += 1
    ptr = np.cumsum(ptr)
    return ptr, list(zip(*[r[1:] for r in rows])) if rows else []


class _Network:
    """The DifShell family on one tick, compiled at reinit.  The state
    columns of its shells and buffers become views into flat arrays that
    the kernel (:func:`.difkernels.dif_step`) steps in place, so fields,
    tables and messages from outside read and write the network's state
    directly; parameters and flux coefficients are read again after any
    field of the family is set.  Messages to objects outside the network
    are delivered after the sweep (their values are final by then)."""

    def __init__(self, tick, ver):
        self.version = ver
        self.reinited = False
        self.t_done = None
        self.params_at = None
        els = [e for t, es in _clockmod.clock.schedule if t == tick for e in es
               if _family(e.cls) is not None and e.alive]
        self.shell_els = [e for e in els if _family(e.cls) is DifShellBase]
        self.buf_els = [e for e in els if _family(e.cls) is DifBufferBase]
        self.pump_els = [e for e in els if _family(e.cls) is MMPump]
        self.offset = {}
        n = 0
        for e in self.shell_els:
            self.offset[id(e)] = ('s', n)
            n += e.num
        self.ns = n
        n = 0
        for e in self.buf_els:
            self.offset[id(e)] = ('b', n)
            n += e.num
        self.nb = n
        for e in els:
            if _param_hook not in e.hooks:
                e.hooks.append(_param_hook)
        self.st = {}
        for els_, names in ((self.shell_els, _S_STATE), (self.buf_els, _B_STATE)):
            for name in names:
                key = ('s' if els_ is self.shell_els else 'b') + name
                arr = (np.concatenate([e.cols[name] for e in els_]).astype(np.float64)
                       if els_ else np.zeros(0))
                self.st[key] = arr
                k = 0
                for e in els_:
                    e.cols[name] = arr[k:k + e.num]
                    k += e.num
        self.C, self.SA, self.SB = self.st['sC'], self.st['s_A'], self.st['s_B']
        self.free, self.bound, self.act = (self.st['bbFree'], self.st['bbBound'],
                                           self.st['bactivation'])
        self.BA, self.BB = self.st['b_A'], self.st['b_B']
        self._compiled = False

    # ---- compiling ---------------------------------------------------------
    def _compile(self):
        """What each source reaches: in-network targets as (kind, index,
        port), outside ones as (element, index, port)."""
        def split(el, src):
            inside, outside = [], []
            for other, oport, pairs in _targets(el, src):
                where = self.offset.get(id(other))
                for i, j in pairs:
                    if where is not None and oport in _INSIDE_PORTS:
                        inside.append((i, where[0], where[1] + j, oport))
                    else:
                        outside.append((i, other, j, oport))
            return inside, outside

        def collect(els, fam):
            ins, ext = [], []
            for el in els:
                base = self.offset[id(el)][1]
                for src in _SOURCES[fam]:
                    inside, outside = split(el, src)
                    ins.extend((base + i, kind, k, port) for i, kind, k, port in inside)
                    ext.extend((base + i, other, j, port, src)
                               for i, other, j, port in outside)
            return ins, ext

        self.s_in, self.s_ext = collect(self.shell_els, DifShellBase)
        self.b_in, self.b_ext = collect(self.buf_els, DifBufferBase)
        self.p_in, self.p_ext = [], []
        for el in self.pump_els:
            inside, outside = split(el, 'PumpOut')
            for i, kind, k, port in inside:
                if kind != 's' or port != 'mmPump':
                    raise SolverError(f'{el.path}[{i}] (MMPump): PumpOut reaches {port!r}; '
                                      f"valid: a DifShell's mmPump")
                self.p_in.append((el, i, k))
            for i, other, j, port in outside:
                self.p_ext.append((el, i, other, j, port))
        for els in (self.shell_els, self.buf_els):
            self._check_volumes(els)
        for el in self.shell_els:
            fed = [p for p in ('influx', 'outflux', 'fInflux', 'fOutflux') if links(el, p)]
            zero = [i for i in range(el.num) if el.cols['valence'][i] == 0]
            if fed and zero:
                raise SolverError(
                    f'{el.path}[{zero[0]}] (DifShell): valence is 0 but it takes a current '
                    f'({fed[0]}); set valence (2 for Ca) so that I / (valence F volume) is '
                    f'defined')
        self._compiled = True
        self.params_at = None

    def _check_volumes(self, els):
        for el in els:
            vol = el.cols['volume']
            for i in range(el.num):
                if vol[i] <= 0 and (links(el, 'fluxFromIn') or links(el, 'fluxFromOut')
                                    or links(el, 'innerDif') or links(el, 'outerDif')):
                    raise SolverError(
                        f'{el.path}[{i}] ({el.cls.__name__}): volume is {vol[i]} m^3 but it '
                        f'exchanges with neighbours; set diameter and thickness (and length) '
                        f'with shapeMode 0 or 1, or volume and areas with shapeMode 3')

    @staticmethod
    def _cat(els, name):
        if not els:
            return np.zeros(0)
        return np.concatenate([e.cols[name] for e in els]).astype(np.float64)

    def _params(self):
        """Read the parameters and the coefficient of every flux."""
        cat = self._cat
        S = {n: cat(self.shell_els, n) for n in ('leak', 'D', 'thickness', 'volume',
                                                 'outerArea', 'innerArea')}
        Bu = {n: cat(self.buf_els, n) for n in ('bTot', 'kf', 'kb', 'D', 'thickness',
                                                'volume', 'outerArea', 'innerArea')}
        self.leak, self.bTot, self.kf, self.kb = S['leak'], Bu['bTot'], Bu['kf'], Bu['kb']
        self.s_th, self.b_th, self.s_vol = S['thickness'], Bu['thickness'], S['volume']

        def g_of(kind, j, port, th_src):
            st = S if kind == 's' else Bu
            area = st['outerArea'][j] if port == 'fluxFromOut' else st['innerArea'][j]
            with np.errstate(divide='ignore', invalid='ignore'):
                return float(np.float64(2.0) * st['D'][j] / st['volume'][j] * area /
                             (th_src + st['thickness'][j]))

        def fluxes(ins, th, n):
            rows = [(k, 0 if kind == 's' else 1, j, g_of(kind, j, port, float(th[k])))
                    for k, kind, j, port in ins if port in ('fluxFromIn', 'fluxFromOut')]
            ptr, cols = _csr(rows, n)
            if not cols:
                return ptr, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
            return (ptr, np.array(cols[0], np.int64), np.array(cols[1], np.int64),
                    np.array(cols[2], np.float64))

        def simple(ins, port_name, n):
            ptr, cols = _csr([(k, j) for k, kind, j, port in ins if port == port_name], n)
            return ptr, (np.array(cols[0], np.int64) if cols else np.zeros(0, np.int64))

        self.sa = simple(self.s_in, 'concentration', self.ns)
        self.sf = fluxes(self.s_in, S['thickness'], self.ns)
        self.bf = fluxes(self.b_in, Bu['thickness'], self.nb)
        self.br = simple(self.b_in, 'reaction', self.nb)
        self.p_idx = np.array([k for el, i, k in self.p_in], dtype=np.int64)
        self.p_vmax = np.array([el.cols['Vmax'][i] for el, i, k in self.p_in], dtype=np.float64)
        self.p_kd = np.array([el.cols['Kd'][i] for el, i, k in self.p_in], dtype=np.float64)
        self.params_at = _PARAMS[0]

    # ---- sending (reinit, and to objects outside the network) --------------------
    def _shell_send(self, k):
        c = float(self.C[k])
        ptr, idx = self.sa
        for q in range(ptr[k], ptr[k + 1]):
            self.act[idx[q]] = c
        ptr, kind, idx, g = self.sf
        for q in range(ptr[k], ptr[k + 1]):
            A, B = (self.SA, self.SB) if kind[q] == 0 else (self.BA, self.BB)
            A[idx[q]] += g[q] * c
            B[idx[q]] += g[q]

    def _buf_send(self, k):
        free = float(self.free[k])
        ptr, kind, idx, g = self.bf
        for q in range(ptr[k], ptr[k + 1]):
            A, B = (self.SA, self.SB) if kind[q] == 0 else (self.BA, self.BB)
            A[idx[q]] += g[q] * free
            B[idx[q]] += g[q]

    def _send_outside(self, react=True):
        from .compartment import deliver
        for k, other, j, port, src in self.s_ext:
            c = float(self.C[k])
            deliver(other, j, port, c if src == 'concentrationOut' else (c, float(self.s_th[k])))
        for k, other, j, port, src in self.b_ext:
            free, bound = float(self.free[k]), float(self.bound[k])
            if src == 'reactionOut':
                if react:
                    deliver(other, j, port, (float(self.kf[k]), float(self.kb[k]), free, bound))
            else:
                deliver(other, j, port, (free, float(self.b_th[k])))
        if react:
            for el, i, other, j, port in self.p_ext:
                deliver(other, j, port, (float(el.cols['Vmax'][i]), float(el.cols['Kd'][i])))

    # ---- reinit and step -----------------------------------------------------------
    def reinit_once(self):
        if self.reinited:
            return
        self.reinited = True
        for e in self.shell_els + self.buf_els:
            _Geometry._recalc_all(e)
        if not self._compiled:
            self._compile()
        self._params()
        Ceq = self._cat(self.shell_els, 'Ceq')
        # shells first (in order), each cleared then sending, so a neighbour
        # later in the order loses what it was sent (as in MOOSE)
        for k in range(self.ns):
            self.SA[k] = self.leak[k]
            self.SB[k] = 0.0
            self.C[k] = Ceq[k]
            self._shell_send(k)
        with np.errstate(divide='ignore', invalid='ignore'):
            for k in range(self.nb):
                self.BA[k] = 0.0
                self.BB[k] = 0.0
                if self.kb[k] == 0 and self.act[k] * self.kf[k] == 0:
                    free = self.bTot[k]       # nothing binds (MOOSE: 0/0, NaN)
                else:
                    free = self.bTot[k] / (1.0 + self.act[k] * self.kf[k] / self.kb[k])
                self.free[k] = free
                self.bound[k] = self.bTot[k] - free
                self._buf_send(k)
        self._send_outside(react=False)

    def step_once(self, t, dt):
        if self.t_done == t:
            return
        self.t_done = t
        if not self._compiled:
            self._compile()
        if self.params_at != _PARAMS[0]:
            self._params()
        from .difkernels import dif_step
        sa, sf, bf, br = self.sa, self.sf, self.bf, self.br
        dif_step(float(dt), _EPS, self.C, self.SA, self.SB, self.leak, self.free, self.bound,
                 self.act, self.BA, self.BB, self.bTot, self.kf, self.kb,
                 sa[0], sa[1], sf[0], sf[1], sf[2], sf[3], bf[0], bf[1], bf[2], bf[3],
                 br[0], br[1], self.p_idx, self.p_vmax, self.p_kd, self.s_vol)
        if self.s_ext or self.b_ext or self.p_ext:
            self._send_outside()
