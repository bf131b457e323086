"""Dendritic spines as MOOSE's ``Spine``: one entry per spine of a
``Neuron`` (the field element ``<neuron>/spine``, entry *i* is
``<neuron>/spine[i]``), whose geometry fields resize the spine.

What this module owns
---------------------
* :class:`Spine`, the field element (it cannot be created on its own).
* The list of spines of a Neuron (:func:`add_spines`; rdesigner's spine
  placement registers each spine as [shaft, head] compartments, as MOOSE's
  ``Neuron.spineDistribution`` does) and the lookups Neuron offers on it.
* :func:`set_geom_and_elec`, MOOSE's ``CompartmentBase.setGeomAndElec``.
* Carrying a resize over to the chemistry: the SpineMesh and PsdMesh voxels
  that sit on the spine (after ``Neuron.setSpineAndPsdMesh``), their pools,
  the reaction rates and the dendrite - head - PSD diffusion junctions.

Setting a field (sizes clamped to [minimumSize, maximumSize], default
20 nm .. 10 um, as MOOSE):

* ``shaftLength`` / ``shaftDiameter``: the shaft compartment is rescaled
  (``setGeomAndElec``); a longer shaft moves the head out by the change of
  the shaft's end point.  Chemistry: the dendrite - head coupling
  (pi d^2/4 / L of the shaft); no volume changes.
* Under HSolve a new Ra is stored but, as in MOOSE's HSolve (setRa keeps
  its matrix), the cell is not rebuilt for it; Rm, Cm and Gbar take
  effect at once.
* ``headLength`` / ``headDiameter``: the head compartment is rescaled.
  Chemistry: the head voxel becomes a cylinder of the new size
  (pi d^2 L / 4), the PSD a disc of the head's diameter and the PsdMesh's
  thickness; the head - PSD coupling is pi d^2/4 / (L/2).
* ``psdArea`` = pi d^2/4 of the head (sets ``headDiameter``; < 0 sets the
  minimum size); ``headVolume`` scales head length and diameter by the
  cube root of the volume ratio; ``totalLength`` scales shaft and head
  lengths together (ignored if either would leave the allowed range).
* ``angle`` and ``inclination`` read 0 and ignore sets (MOOSE: not
  implemented).  ``minimumSize`` / ``maximumSize`` are one pair per Neuron
  (MOOSE keeps a single Spine object per Neuron).

Pools in a resized voxel follow MOOSE's rule (Stoich::scaleBufsAndRates):
variable pools keep their number of molecules (their concentration
changes), buffered pools keep their concentration (their n follows the
volume) unless a Function sets them; ``concInit`` is kept, so ``nInit``
follows the volume and the next reinit starts from the old concentrations
in the new volumes.  Rates are recomputed for the new volumes.

Deliberate differences from MOOSE 5.0.0 (bugs there):

* MOOSE's SpineMesh keeps reporting the old ``voxelVolume`` (its cached
  vector is not updated; ``oneVoxelVolume`` is), and its spine Dsolve
  restarts head pools from numbers computed with the old volume at the
  first step after a reinit.  Here SpineMesh volumes follow the head, as
  the PsdMesh's do in MOOSE.
* MOOSE skips rescaling the pools when a step changes the volume by less
  than 1 part in 1e6 (it compares with doubleEq) while it does resize the
  compartments and PSD mesh, so its chemical volumes drift from the
  geometry under slow changes; here every change is carried over.
* Copying a Neuron in MOOSE leaves its Spine entries reading the original
  cell (rdesigneur without stealCellFromLibrary then reads 0 for every
  Spine field); here a copy's spines are its own copied compartments.
"""

import logging
import math

import numpy as np

from ..core.element import Element, Neutral
from ..core.errors import FieldError, MooseError
from ..core.fields import Field, FieldElementField, registry
from ..core.units import FaradayConst

log = logging.getLogger('moosepy.electrical')

MIN_SIZE = 20e-9     #: MOOSE's default minimumSize [m]
MAX_SIZE = 10e-6     #: MOOSE's default maximumSize [m]


def _double_eq(x, y):
    """MOOSE's doubleEq: equal to 1e-6 of |x| + |y| (of 1e-6 absolute when
    both are below 1e-12)."""
    denom = abs(x) + abs(y)
    if denom < 1e-12:
        denom = 1e-6
    return abs(x - y) / denom < 1e-6


def _is_comp(el):
    base = registry.get('CompartmentBase')
    return base is not None and issubclass(el.cls, base)


# ------------------------------------------------------------ compartments
def set_geom_and_elec(comp, length, dia):
    """MOOSE's ``setGeomAndElec``: give compartment *comp* the length and
    diameter [m], scaling Rm (1/area), Cm (area), Ra (length/dia^2) and the
    Gbar (area) of the channels under it, resizing its CaConcs (B =
    1/(2 F shell volume)), and moving its end point (x, y, z) along its
    axis.  Done only when length, diameter and the new values are > 0 and
    the length matches the end points (as MOOSE; otherwise nothing
    changes).  Returns True when it was done."""
    from .channels import ChanBase, CaConcBase
    L0, d0 = float(comp.length), float(comp.diameter)
    dx, dy, dz = comp.x - comp.x0, comp.y - comp.y0, comp.z - comp.z0
    span2 = dx * dx + dy * dy + dz * dz
    if not (L0 > 0 and d0 > 0 and length > 0 and dia > 0 and _double_eq(L0 * L0, span2)):
        return False
    comp.Rm = comp.Rm * d0 * L0 / (dia * length)
    comp.Cm = comp.Cm * dia * length / (d0 * L0)
    ra = comp.Ra * length * d0 * d0 / (L0 * dia * dia)
    el = comp._element()
    if el.data.get('hsolve') is not None:
        # as MOOSE's HSolve (setRa stores the value, the matrix is kept):
        # no rebuild of the cell at every resize; a later rebuild reads it
        el.cols['Ra'][comp._idx] = ra
    else:
        comp.Ra = ra
    for kid in list(comp._element().children.values()):
        if issubclass(kid.cls, ChanBase):
            for i in range(kid.num):
                h = kid.handle(i)
                h.Gbar = h.Gbar * length * dia / (L0 * d0)
        elif issubclass(kid.cls, CaConcBase):
            for i in range(kid.num):
                _caconc_size(kid.handle(i), length, dia)
    ratio = length / L0
    comp.x = comp.x0 + ratio * dx
    comp.y = comp.y0 + ratio * dy
    comp.z = comp.z0 + ratio * dz
    comp.length = length
    comp.diameter = dia
    return True


def _caconc_size(conc, length, dia):
    """CaConc length and diameter [m]; B = 1/(2 F vol) of its shell (the
    whole cylinder when thick is 0 or too large), as MOOSE's CaConcBase."""
    conc.length = length
    conc.diameter = dia
    th = float(conc.thick)
    vol = math.pi * dia * dia * length / 4.0
    if 0 < th < dia / 2.0:
        core = dia / 2.0 - th
        vol -= math.pi * core * core * length
    if vol > 0:
        conc.B = 1.0 / (2.0 * FaradayConst * vol)


# ----------------------------------------------------------------- spines
class _SpineFieldElement(FieldElementField):
    """``Neuron.spine``: the vec of Spine entries (made on first use)."""

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        from ..core.element import Vec
        return Vec(spine_element(obj._element()))


def spine_element(neuron_el):
    """The ``spine`` field element of a Neuron element (made on first use)."""
    fe = neuron_el.children.get('spine')
    if fe is None or not issubclass(fe.cls, Spine):
        if fe is not None:
            raise MooseError(f"{neuron_el.path}: a child named 'spine' ({fe.cls.__name__}) "
                             f"is in the way of the Neuron's Spine field element")
        fe = Element('spine', neuron_el, registry['Spine'], 0)
        fe.is_field_element = True
        n = len(neuron_el.data.get('spines', ()))
        if n:
            fe.resize(n)
            fe.cols['_owner'][:] = 0
    return fe


def add_spines(neuron, spines):
    """Register *spines* on *neuron* (a Neuron): each a list of its
    compartments, shaft first, then head (MOOSE's order: the prototype's
    compartments in creation order).  Returns the number of spines."""
    el = neuron._element()
    lst = el.data.setdefault('spines', [])
    for sp in spines:
        lst.append([(c._element(), c._idx) for c in sp])
    fe = spine_element(el)
    fe.resize(len(lst))
    fe.cols['_owner'][:] = 0
    return len(lst)


#: keys a spineDistribution line may carry, with MOOSE's defaults for the
#: ones left out (Neuron.cpp's findArg); those after angleDistrib are
#: accepted and, as in MOOSE, not used for placement
SPINE_LINE_DEFAULTS = {
    'spacing': '1.0e-6', 'spacingDistrib': '0', 'size': '1', 'sizeDistrib': '0',
    'angle': '0', 'angleDistrib': '6.283185307', 'rotation': '0',
    'rotationDistrib': '6.283185307', 'shaftLen': '1.0e-6', 'shaftDia': '0.2e-6',
    'headLen': '0.5e-6', 'headDia': '0.5e-6', 'theta': '0', 'phi': '1.5707963268'}


def parse_spine_distribution(neuron, value):
    """Check a ``Neuron.spineDistribution`` value and return its lines as
    SpineDistrib specs (moosepy.rdesigner.specs), building nothing.

    The value is a list of strings; each line is ``proto path key expr
    [key expr]...`` followed by an empty string.  As in MOOSE the fourth
    entry (the first key's expression, normally ``spacing``) selects where
    spines go and how far apart (m; <= 0: none); the others are looked up
    by key (first occurrence), with MOOSE's defaults for missing keys:
    spacingDistrib (the minimum spacing, m) 0, size 1, sizeDistrib 0,
    angle 0, angleDistrib 2 pi.  Raises FieldError (MOOSE prints a warning
    and does nothing) for: a line with fewer than 4 entries or an odd
    number, entries after the last empty string, an unknown key
    ('minSpacing', named in MOOSE's documentation, is not read by MOOSE
    5.0: use 'spacingDistrib'), a prototype missing from /library, a bad
    expression."""
    from ..core.shell import exists
    from ..rdesigner.geometry import Expr
    from ..rdesigner.specs import SpineDistrib
    from ..rdesigner.distrib import split_lines
    where = f'{neuron.path} (Neuron).spineDistribution'
    items, lines = split_lines(where, value, 'proto',
                               'proto, path, spacing, expression [, key, expression]...')
    specs = []
    for i, ln in enumerate(lines):
        lw = f'{where} line {i}'
        keys = ln[2::2]
        for key in keys:
            if key not in SPINE_LINE_DEFAULTS:
                hint = ("; MOOSE 5.0 reads the minimum spacing from 'spacingDistrib' (it "
                        "ignores 'minSpacing')" if key == 'minSpacing' else '')
                raise FieldError(f"{lw}: unknown key {key!r}{hint}; valid: "
                                 f"{', '.join(SPINE_LINE_DEFAULTS)}")
        if not exists('/library/' + ln[0]):
            raise FieldError(f"{lw}: no spine prototype '/library/{ln[0]}'")

        def arg(key):
            for k in range(2, len(ln), 2):
                if ln[k] == key:
                    return ln[k + 1]
            return SPINE_LINE_DEFAULTS[key]

        ex = [Expr(ln[3], where=f"{lw} '{ln[2]}' expression")]
        for key in ('spacingDistrib', 'size', 'sizeDistrib', 'angle', 'angleDistrib'):
            ex.append(Expr(arg(key), where=f"{lw} '{key}' expression"))
        specs.append(SpineDistrib(ln[0], ln[1], *ex))
    return items, specs


def set_spine_distribution(neuron, value):
    """``Neuron.spineDistribution = value``: place the spines of each line
    (see :func:`parse_spine_distribution`) on the Neuron's compartments
    as MOOSE's Neuron does (moosepy.rdesigner.spines.place_spines: the
    same random draws after ``moose.seed``), and register them as Spine
    entries.  The segment tree is the Neuron's compartments without the
    spines already registered on it; a later line does not put spines on
    earlier spines.  Differences from MOOSE: the tree is taken as it is at
    the set (MOOSE uses the one from the last ``buildSegmentTree`` and
    places no spines without one); spines from earlier sets are kept (so
    does MOOSE)."""
    from ..rdesigner.geometry import CellGeometry
    from ..rdesigner.spines import place_spines
    items, specs = parse_spine_distribution(neuron, value)
    el = neuron._element()
    el.data['spineDistribution'] = items
    for spec in specs:
        done = [e for sp in el.data.get('spines', ()) for e, _ in sp]
        geom = CellGeometry(neuron, exclude=done)
        add_spines(neuron, place_spines(neuron, geom, spec, first=len(el.data.get('spines', ()))))


def on_neuron_copy(new, old):
    """A copied Neuron's spines are its own copied compartments (found by
    their path below the Neuron); a spine whose compartments were not
    copied with it is dropped.  The mesh mapping is not copied (call
    setSpineAndPsdMesh on the copy)."""
    spines = old.data.get('spines')
    new.data.pop('spine_chem', None)
    new.data.pop('spine_dsolves', None)
    if not spines:
        return
    base = old.path.rstrip('/') + '/'
    out = []
    for sp in spines:
        keys = []
        for e, j in sp:
            if not e.path.startswith(base):
                break
            node = new
            for part in e.path[len(base):].split('/'):
                node = node.children.get(part)
                if node is None:
                    break
            if node is None:
                break
            keys.append((node, j))
        else:
            out.append(keys)
    new.data['spines'] = out
    fe = new.children.get('spine')
    if fe is not None and issubclass(fe.cls, Spine):
        fe.resize(len(out))
        fe.cols['_owner'][:] = 0


def spines_of(neuron_el):
    """[[(element, index) of shaft, of head, ...], ...] of a Neuron element."""
    return [sp for sp in neuron_el.data.get('spines', ())]


def _key(obj):
    h = obj
    if isinstance(h, str):
        from ..core.shell import element
        h = element(h)
    h = getattr(h, 'me', h)
    return h._element(), h._idx


def spine_of_compartment(neuron_el, comp):
    """Index of the spine that has compartment *comp*, or None."""
    k = _key(comp)
    for i, sp in enumerate(neuron_el.data.get('spines', ())):
        for e, j in sp:
            if e is k[0] and j == k[1]:
                return i
    return None


def set_spine_and_psd_mesh(neuron_el, spine_mesh, psd_mesh):
    """Neuron.setSpineAndPsdMesh: map each spine to the SpineMesh and
    PsdMesh voxel on its head (found through the meshes' elecComptList)."""
    sm, pm = _key(spine_mesh), _key(psd_mesh)
    where = f'{neuron_el.path}.setSpineAndPsdMesh'
    if not issubclass(sm[0].cls, registry['SpineMesh']):
        raise MooseError(f"{where}: '{sm[0].path}' is a {sm[0].cls.__name__}; expected a "
                         f"SpineMesh")
    if not issubclass(pm[0].cls, registry['PsdMesh']):
        raise MooseError(f"{where}: '{pm[0].path}' is a {pm[0].cls.__name__}; expected a "
                         f"PsdMesh")
    heads = list(sm[0].handle(sm[1]).elecComptList)
    pheads = list(pm[0].handle(pm[1]).elecComptList)
    if len(heads) != len(pheads):
        raise MooseError(f'{where}: {sm[0].path} has {len(heads)} spine heads but '
                         f'{pm[0].path} has {len(pheads)} PSDs; fill both from the same '
                         f'NeuroMesh')
    index = {}
    for i, sp in enumerate(neuron_el.data.get('spines', ())):
        if len(sp) > 1:
            index[(id(sp[1][0]), sp[1][1])] = i
    chem = neuron_el.data.setdefault('spine_chem', {})
    for v, h in enumerate(heads):
        i = index.get((id(h._element()), h._idx))
        if i is None:
            raise MooseError(f"{where}: spine head '{h.path}' of {sm[0].path} is not a spine "
                             f"of {neuron_el.path} ({len(index)} spines registered)")
        chem[i] = (sm, pm, v)


# --------------------------------------------------------- chemistry side
def _func_targets(pool_el):
    """Entries of *pool_el* set by a Function (MOOSE leaves their n)."""
    from ..core.msg import links
    for port in ('setN', 'setConc', 'nIn', 'setNInit', 'setConcInit'):
        for other, _, _, forward in links(pool_el, port):
            if not forward and other.cls.__name__ == 'Function':
                return True
    return False


def _rescale_pools(mesh_el, voxel, ratio):
    """Pools of *mesh_el* in *voxel*: concInit kept (nInit *= ratio);
    variable pools keep n, buffered pools (not set by Functions) take n =
    nInit.  Returns the solver elements of these pools."""
    from ..kinetics.pool import PoolBase, BufPool
    from ..kinetics.mesh import compartment_of
    solvers = {}
    for el in mesh_el.walk():
        if not issubclass(el.cls, PoolBase) or compartment_of(el) is not mesh_el:
            continue
        if voxel >= el.num:
            continue
        el.cols['nInit'][voxel] *= ratio
        if issubclass(el.cls, BufPool) and not _func_targets(el):
            el.cols['n'][voxel] = el.cols['nInit'][voxel]
        s = el.data.get('solver')
        if s is not None:
            solvers[id(s)] = s
    return list(solvers.values())


def _refresh_solvers(solvers, meshes):
    """After a resize: the solvers of the meshes read the new volumes and
    junctions before their next step."""
    from ..kinetics.dsolve import dsolve_of, _group, _mesh_of, _mesh_pairs
    group = {}
    for s in solvers:
        for m in (_group(s) if s.data.get('compiled') is not None else [s]):
            group[id(m)] = m
    touched = {id(m) for m in meshes}
    for m in group.values():
        ds = dsolve_of(m)
        if ds is not None:
            for j in ds.data.get('junctions', []):
                if not j.other.alive:
                    continue
                ma, mb = _mesh_of(ds), _mesh_of(j.other)
                if id(ma) not in touched and id(mb) not in touched:
                    continue
                pairs = _mesh_pairs(ma, mb)
                if pairs is None:
                    continue
                mine, theirs, g = pairs
                j.mine = np.asarray(mine, dtype=np.int64)
                j.theirs = np.asarray(theirs, dtype=np.int64)
                j.g = np.asarray(g, dtype=float)
                j.vol_mine = np.asarray(ma.handle(0)._voxel_volumes(), float)[j.mine]
                j.vol_other = np.asarray(mb.handle(0)._voxel_volumes(), float)[j.theirs]
        if any(m is s for s in solvers):
            c = m.data.get('compiled')
            if c is not None and hasattr(c, 'dirty'):
                c.dirty = True      # re-reads volumes (rates) before its next step
        m.data.pop('_split_setup', None)    # junction exchanges and plans again


def _resize_chem(neuron_el, i):
    """Carry spine *i*'s new compartment sizes over to its SpineMesh and
    PsdMesh voxels (if Neuron.setSpineAndPsdMesh mapped it)."""
    chem = neuron_el.data.get('spine_chem', {}).get(i)
    if chem is None:
        return
    (sm, si), (pm, pi_), v = chem
    if not (sm.alive and pm.alive):
        return
    solvers = []
    old, new = sm.handle(si)._refresh_spine(v)
    if old > 0 and new != old:
        solvers += _rescale_pools(sm, v, new / old)
    pold, pnew = pm.handle(pi_)._refresh_psd(v)
    if pold > 0 and pnew != pold:
        solvers += _rescale_pools(pm, v, pnew / pold)
    if not solvers:
        for mesh in (sm, pm):
            for el in mesh.walk():
                s = el.data.get('solver')
                if s is not None:
                    solvers.append(s)
                    break
    _refresh_solvers(solvers, (sm, pm))


class Spine(Neutral):
    """One dendritic spine of a Neuron (a field element: ``<neuron>/spine[i]``,
    made by the Neuron; one made by hand, as MOOSE allows, has no spine:
    its fields read 0 and sets do nothing).  Its fields read and resize the
    spine's shaft and head compartments and, once
    ``Neuron.setSpineAndPsdMesh`` joined them, its SpineMesh and PsdMesh
    voxels (see the module docstring)."""

    _owner = Field(0, '', type='int', hidden=True)
    shaft = Field(None, '', 'Shaft compartment (root when the spine has none)', type='object',
                  ro=True, stored=False)
    head = Field(None, '', 'Head compartment (root when the spine has none)', type='object',
                 ro=True, stored=False)
    shaftLength = Field(0.0, 'm', 'Length of the shaft', stored=False)
    shaftDiameter = Field(0.0, 'm', 'Diameter of the shaft', stored=False)
    headLength = Field(0.0, 'm', 'Length of the head', stored=False)
    headDiameter = Field(0.0, 'm', 'Diameter of the head, and of the PSD', stored=False)
    psdArea = Field(0.0, 'm^2', 'Area of the PSD: the cross-section pi d^2/4 of the head '
                    '(sets headDiameter)', stored=False)
    headVolume = Field(0.0, 'm^3', 'Volume of the head as a cylinder; set: length and '
                       'diameter scale by the cube root of the ratio', stored=False)
    totalLength = Field(0.0, 'm', 'Shaft plus head length; set: both scale together',
                        stored=False)
    angle = Field(0.0, 'rad', 'Angle about the dendrite (not implemented, as MOOSE: reads 0)',
                  stored=False)
    inclination = Field(0.0, 'rad', 'Inclination to the dendrite (not implemented, as '
                        'MOOSE: reads 0)', stored=False)
    minimumSize = Field(MIN_SIZE, 'm', 'Smallest length or diameter a set may give (one '
                        'value per Neuron)', stored=False)
    maximumSize = Field(MAX_SIZE, 'm', 'Largest length or diameter a set may give (one value '
                        'per Neuron)', stored=False)

    # ---- lookups ----------------------------------------------------------
    def _neuron(self):
        return self._el.parent

    def _ids(self):
        sp = self._neuron().data.get('spines', ())
        return sp[self._idx] if 0 <= self._idx < len(sp) else []

    def _comp(self, k):
        ids = self._ids()
        if len(ids) > k and _is_comp(ids[k][0]):
            return ids[k][0].handle(ids[k][1])
        return None

    def _can_set(self):
        """MOOSE sets only spines with two compartments, the first one a
        compartment."""
        ids = self._ids()
        return len(ids) > 1 and _is_comp(ids[0][0])

    def _sizes(self):
        d = self._neuron().data
        return d.get('spine_min', MIN_SIZE), d.get('spine_max', MAX_SIZE)

    def _clamp(self, name, v):
        v = float(v)
        if math.isnan(v):
            raise FieldError(f'{self.path} (Spine).{name}: expected a size [m], got nan')
        lo, hi = self._sizes()
        return lo if v < lo else hi if v > hi else v

    # ---- getters ----------------------------------------------------------
    def _get_shaft(self):
        from ..core.element import root
        c = self._comp(0)
        return c if c is not None else root().handle(0)

    def _get_head(self):
        from ..core.element import root
        c = self._comp(1)
        return c if c is not None else root().handle(0)

    def _get_shaftLength(self):
        c = self._comp(0)
        return float(c.length) if c is not None else 0.0

    def _get_shaftDiameter(self):
        c = self._comp(0)
        return float(c.diameter) if c is not None else 0.0

    def _get_headLength(self):
        c = self._comp(1)
        return float(c.length) if c is not None else 0.0

    def _get_headDiameter(self):
        c = self._comp(1)
        return float(c.diameter) if c is not None else 0.0

    def _get_psdArea(self):
        d = self._get_headDiameter()
        return d * d * math.pi / 4.0

    def _get_headVolume(self):
        d = self._get_headDiameter()
        return self._get_headLength() * d * d * math.pi / 4.0

    def _get_totalLength(self):
        return self._get_headLength() + self._get_shaftLength()

    def _get_angle(self):
        return 0.0

    def _set_angle(self, v):
        pass

    def _get_inclination(self):
        return 0.0

    def _set_inclination(self, v):
        pass

    def _get_minimumSize(self):
        return float(self._sizes()[0])

    def _set_minimumSize(self, v):
        self._neuron().data['spine_min'] = float(v)

    def _get_maximumSize(self):
        return float(self._sizes()[1])

    def _set_maximumSize(self, v):
        self._neuron().data['spine_max'] = float(v)

    # ---- setters ----------------------------------------------------------
    def _set_shaftLength(self, v):
        length = self._clamp('shaftLength', v)
        if not self._can_set():
            return
        shaft, head = self._comp(0), self._ids()[1]
        x, y, z = shaft.x, shaft.y, shaft.z
        set_geom_and_elec(shaft, length, float(shaft.diameter))
        dx, dy, dz = shaft.x - x, shaft.y - y, shaft.z - z
        h = head[0].handle(head[1])
        if _is_comp(head[0]) and (dx or dy or dz):
            for a, b in (('x0', dx), ('y0', dy), ('z0', dz), ('x', dx), ('y', dy), ('z', dz)):
                setattr(h, a, getattr(h, a) + b)
        _resize_chem(self._neuron(), self._idx)

    def _set_shaftDiameter(self, v):
        dia = self._clamp('shaftDiameter', v)
        if not self._can_set():
            return
        shaft = self._comp(0)
        set_geom_and_elec(shaft, float(shaft.length), dia)
        _resize_chem(self._neuron(), self._idx)

    def _set_headLength(self, v):
        length = self._clamp('headLength', v)
        head = self._comp(1)
        if head is None or len(self._ids()) < 2:
            return
        set_geom_and_elec(head, length, float(head.diameter))
        _resize_chem(self._neuron(), self._idx)

    def _set_headDiameter(self, v):
        dia = self._clamp('headDiameter', v)
        if not self._can_set() or self._comp(1) is None:
            return
        head = self._comp(1)
        set_geom_and_elec(head, float(head.length), dia)
        _resize_chem(self._neuron(), self._idx)

    def _set_psdArea(self, v):
        v = float(v)
        if math.isnan(v):
            raise FieldError(f'{self.path} (Spine).psdArea: expected an area [m^2], got nan')
        if v < 0:
            self._set_headDiameter(self._sizes()[0])
        else:
            self._set_headDiameter(2.0 * math.sqrt(v / math.pi))

    def _set_headVolume(self, v):
        v = float(v)
        if math.isnan(v):
            raise FieldError(f'{self.path} (Spine).headVolume: expected a volume [m^3], '
                             f'got nan')
        v = max(v, 0.0)
        lo, hi = self._sizes()
        dia = (v * 4.0 / math.pi) ** (1.0 / 3.0)
        if dia < lo:
            v = lo ** 3 * math.pi / 4.0
        elif dia > hi:
            v = hi ** 3 * math.pi / 4.0
        if not self._can_set() or self._comp(1) is None:
            return
        head = self._comp(1)
        L0, d0 = float(head.length), float(head.diameter)
        old = L0 * d0 * d0 * math.pi / 4.0
        if not old > 0:
            return
        r = (v / old) ** (1.0 / 3.0)
        set_geom_and_elec(head, L0 * r, d0 * r)
        _resize_chem(self._neuron(), self._idx)

    def _set_totalLength(self, v):
        v = float(v)
        s, h = self._get_shaftLength(), self._get_headLength()
        tot = s + h
        if not tot > 0:
            return
        s *= v / tot
        h *= v / tot
        lo, hi = self._sizes()
        if s < lo or s > hi or h < lo or h > hi:
            return
        self._set_shaftLength(s)
        self._set_headLength(h)


__all__ = ['Spine', 'set_geom_and_elec', 'add_spines', 'on_neuron_copy', 'spine_element', 'spines_of',
           'spine_of_compartment', 'set_spine_and_psd_mesh']
