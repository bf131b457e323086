"""Cell morphologies: the ``Neuron`` container and the SWC and GENESIS ``.p``
readers that turn a morphology file into a tree of compartments.

What this module owns
---------------------
* :class:`Neuron`, the cell container MOOSE's loaders create (fields RM, RA,
  CM, Em, compartment lists and distances from the soma).
* :func:`read_swc` and :func:`read_p` (``moose.loadModel`` dispatches to
  them by extension).  Each reads and validates the whole file into plain
  arrays first; only a file that passed every check is built into the
  element tree, and a failure during the build deletes what was made, so a
  bad file never leaves a half-built cell.

What it does not own: the compartment and channel classes themselves
(:mod:`moosepy.electrical.compartment`, :mod:`.channels`) and the solver.

Geometry conventions (units: SWC and .p files are in micrometres; every
field set on a compartment is SI)
------------------------------------------------------------------------------
SWC, ``length=None`` (MOOSE's reader, one compartment per SWC point):
    each non-root point becomes a cylinder from its parent point to itself,
    of diameter 2·r (its own radius column), area π·d·L,
    Ra = RA·L/(π r²), Rm = RM/area, Cm = CM·area.  A one-point soma becomes a
    cylinder of length and diameter 2·r (along x, ending at the point, as
    MOOSE places it), whose lateral area 4πr² equals the sphere's (NEURON's
    Import3d gives a one-point soma the same cylinder, centred).  Children
    of the soma are measured from the soma centre (MOOSE).  NeuroMorpho's
    3-point soma and chained soma points are merged into the root point
    (MOOSE); a 2-point soma (one soma child without soma grandchildren) is
    a cylinder between its two points, of the distal point's diameter.
    Points closer than 0.01 µm to their parent are merged into it.
    Names follow MOOSE: ``soma``; a neurite starting from a point of another
    type is named ``axon<k>`` (type 2), ``basal<k>`` (type 3; ``dend<k>``
    when the file has no apical dendrites) or ``dend<k>`` (any other type);
    later points of the same unbranched stretch are ``<name>_<j>``; the
    i-th branch leaving the end of stretch ``<b>`` starts ``<b>.<i>_0``.
    Checked against pymoose 5.0.0 (tests/electrical/test_morphology.py):
    identical names, Ra, Rm, Cm, sizes and coordinates.

SWC, ``length=ℓ`` (NEURON's Import3d + ``nseg = ceil(L/ℓ)``):
    unbranched same-type stretches become sections whose 3-D points are the
    SWC points, preceded by the parent point (with the parent's diameter)
    when the parent is not the soma; children of the soma start at their own
    first point and attach to the soma's middle compartment (NEURON's
    ``soma(0.5)``).  Each section is cut into ``ceil(L/ℓ)`` equal pieces.  A
    piece's area is the lateral area of the frustums inside it (diameter
    linear along the arc, slanted area π(r1+r2)·sqrt(h²+(r1-r2)²)), its axial
    resistance the exact integral 4·RA·h/(π d1 d2) of each frustum, split at
    the piece's centre into a proximal and a distal half;
    ``Ra`` = proximal + distal half.  Names ``<section>_<k>`` (``soma_<k>``,
    ``dend<n>_<k>``, ``axon<n>_<k>``, ``apical<n>_<k>``).  The soma (one
    point, NeuroMorpho's 3 points or 2 points as above) is cut like any
    section.  For the granule cell of ../shared/reference/neuron this
    reproduces NEURON's segment areas and seg.ri() to 1e-7 (NEURON keeps
    its 3-D points in single precision).

GENESIS .p (MOOSE's ReadCell): lengths from the parent's end (or from the
    origin for the root) to the given point, cylinders of area π·d·L, a
    zero-length compartment is a sphere of area π·d² and Ra = 8·RA/(π d);
    channel columns copy ``/library/<name>`` into the compartment: channels
    get Gbar = density·area (a negative value is an absolute Gbar), CaConc
    gets B = value/shell volume, SpikeGen gets threshold = value.
"""

import logging
import math
import os
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..core.element import Neutral
from ..core.errors import ModelImportError, MooseError
from ..core.limits import check_text
from ..core.fields import Field, LookupField, Dest, registry
from .spine import _SpineFieldElement

log = logging.getLogger('moosepy.electrical')

UM = 1e-6   # file unit (µm) -> m

#: SWC type codes (NeuroMorpho's standard)
SWC_TYPES = {0: 'undefined', 1: 'soma', 2: 'axon', 3: 'basal', 4: 'apical',
             5: 'fork', 6: 'end', 7: 'custom'}

_ZERO_LEN = 1e-2   # µm: a point this close to its parent is merged into it (MOOSE)


# ====================================================================== Neuron
class Neuron(Neutral):
    """A cell: the container that the morphology readers build compartments
    under.  Specific membrane values are kept for reference (the
    compartments hold the absolute values)."""

    RM = Field(1.0, 'ohm*m^2', 'Specific membrane resistance used to build the cell')
    RA = Field(1.0, 'ohm*m', 'Specific axial resistivity used to build the cell')
    CM = Field(0.01, 'F/m^2', 'Specific membrane capacitance used to build the cell')
    Em = Field(-0.065, 'V', 'Resting potential of the cell')
    theta = Field(0.0, 'rad', 'Rotation of the cell about the z axis (display only)')
    phi = Field(0.0, 'rad', 'Rotation of the cell about the y axis (display only)')
    sourceFile = Field('', '', 'File the cell was read from', type='string')
    numCompartments = Field(0, '', 'Number of compartments in the cell', type='unsigned int',
                            ro=True, stored=False)
    numBranches = Field(0, '', 'Number of unbranched stretches (sections) in the cell',
                        type='unsigned int', ro=True, stored=False)
    compartments = Field(None, '', 'Compartments of the cell (parents before children)',
                         type='vector', ro=True, stored=False)
    pathDistanceFromSoma = Field(None, 'm', 'Distance along the tree from the soma centre '
                                 'to each compartment end (order of compartments)',
                                 type='vector', ro=True, stored=False)
    geometricalDistanceFromSoma = Field(None, 'm', 'Straight-line distance from the soma '
                                        'to each compartment end', type='vector', ro=True,
                                        stored=False)
    electrotonicDistanceFromSoma = Field(None, '', 'Electrotonic distance (in length '
                                         'constants) from the soma to each compartment end',
                                         type='vector', ro=True, stored=False)
    compartmentsFromExpression = LookupField('string', 'vector', '', "Compartments selected "
                                             "by 'path expression', e.g. '#dend# p > 50e-6' "
                                             '(variables p g L len dia maxP maxG maxL x y z; '
                                             'moosepy.rdesigner.distrib)')
    valuesFromExpression = LookupField('string', 'vector', '', "For each element 'path "
                                       "expression' finds, 13 numbers as MOOSE: the "
                                       'expression, p, g, L, len, dia, maxP, maxG, maxL, x, y, '
                                       'z, 0 (zeros for non-compartments)')

    def __init_obj__(self):
        # MOOSE's Neuron has its Spine field element from the start
        from .spine import spine_element
        spine_element(self._el)

    numSpines = Field(0, '', 'Number of dendritic spines (Spine entries)', type='unsigned int',
                      ro=True, stored=False)
    spineDistribution = Field(None, '', "Spines to place: lines of 'proto', 'path', 'spacing', "
                              "'expr' [, key, 'expr']... each ended by ''; keys spacingDistrib "
                              '(minimum spacing, m), size, sizeDistrib, angle, angleDistrib; '
                              'setting it places the spines (moosepy.electrical.spine)',
                              type='vector<string>', stored=False)
    passiveDistribution = Field(None, '', "Passive properties to set: lines of '.', 'path', "
                                "'field', 'expr' [, 'field', 'expr']... each ended by ''; "
                                'fields RM, RA, CM (specific, scaled by each compartment), '
                                'Rm, Ra, Cm, Em, initVm; setting it applies it '
                                '(moosepy.rdesigner.distrib)', type='vector<string>',
                                stored=False)
    channelDistribution = Field(None, '', "Channels to place: lines of 'proto', 'path', "
                                "'field', 'expr' [, 'field', 'expr']... each ended by ''; "
                                'copies /library/<proto> where the first expression > 0; '
                                'fields Gbar (S/m^2), Ek; CaConc: tau, CaBasal, thick, B, '
                                'floor, ceiling; setting it applies it '
                                '(moosepy.rdesigner.distrib)', type='vector<string>',
                                stored=False)
    compartmentLengthInLambdas = Field(0.2, '', 'Kept for MOOSE (stored, not used: MOOSE 5.0 '
                                       'does not re-segment the cell either)')
    spine = _SpineFieldElement('Spine', 'One entry per spine: resizes it (moosepy.electrical.'
                               'spine)')
    spineFromCompartment = LookupField('ObjId', 'ObjId', '', 'Spine entry of a spine shaft or '
                                       'head compartment (root if none)')
    spinesOnCompartment = LookupField('ObjId', 'vector', '', 'Compartments of the spines '
                                      'sitting on a dendrite compartment')
    parentCompartmentOfSpine = LookupField('ObjId', 'ObjId', '', 'Dendrite compartment a '
                                           'spine compartment sits on (root if none)')

    ports = (Dest('buildSegmentTree', 'void', 'Rebuild the compartment lists from the '
                  'axial messages'),
             Dest('setSpineAndPsdMesh', 'ObjId,ObjId', 'Joins the Spine entries to the '
                  'voxels of a SpineMesh and PsdMesh, so that resizing a spine resizes them'),
             Dest('setSpineAndPsdDsolve', 'ObjId,ObjId', 'Names the Dsolves of the spine and '
                  'PSD meshes (kept for MOOSE; moosepy finds them from the pools)'))

    # --- spines (moosepy.electrical.spine) -----------------------------------
    def _get_numSpines(self):
        return len(self._element().data.get('spines', ()))

    # --- passive and channel distributions (moosepy.rdesigner.distrib) ----
    def _get_passiveDistribution(self):
        return list(self._element().data.get('passiveDistribution', ()))

    def _set_passiveDistribution(self, value):
        from ..rdesigner.distrib import set_passive_distribution
        set_passive_distribution(self, value)

    def _get_channelDistribution(self):
        return list(self._element().data.get('channelDistribution', ()))

    def _set_channelDistribution(self, value):
        from ..rdesigner.distrib import set_channel_distribution
        set_channel_distribution(self, value)

    def _get_spineDistribution(self):
        return list(self._element().data.get('spineDistribution', ()))

    def _set_spineDistribution(self, value):
        from .spine import set_spine_distribution
        set_spine_distribution(self, value)

    def _lookup_spineFromCompartment(self, comp):
        from .spine import spine_of_compartment, spine_element
        from ..core.element import root
        i = spine_of_compartment(self._element(), comp)
        return root().handle(0) if i is None else spine_element(self._element()).handle(i)

    def _spine_parents(self):
        """[(parent compartment key, spine index)] from the axial messages."""
        from ..core.msg import links
        out = []
        for i, sp in enumerate(self._element().data.get('spines', ())):
            if not sp:
                continue
            e, _ = sp[0]
            par = None
            for port in ('raxial', 'proximal', 'proximalOnly', 'sphere', 'cylinder'):
                for other, _, _, forward in links(e, port):
                    if _is_compartment(other.cls) and all(other is not x for x, _ in sp):
                        par = other
                        break
                if par is not None:
                    break
            out.append((par, i))
        return out

    def _lookup_spinesOnCompartment(self, comp):
        h = getattr(comp, 'me', comp)
        el = h._element()
        sp = self._element().data.get('spines', ())
        return [e.handle(j) for par, i in self._spine_parents() if par is el
                for e, j in sp[i]]

    def _lookup_parentCompartmentOfSpine(self, comp):
        from .spine import spine_of_compartment
        from ..core.element import root
        i = spine_of_compartment(self._element(), comp)
        if i is not None:
            for par, k in self._spine_parents():
                if k == i and par is not None:
                    return par.handle(0)
        return root().handle(0)

    def setSpineAndPsdMesh(self, spineMesh, psdMesh):
        """Map each spine to its voxel of *spineMesh* (SpineMesh) and
        *psdMesh* (PsdMesh), found by head compartment."""
        from .spine import set_spine_and_psd_mesh
        set_spine_and_psd_mesh(self._element(), spineMesh, psdMesh)

    @classmethod
    def _on_copy(cls, new, old):
        from .spine import on_neuron_copy
        new.data.pop('segment_tree', None)     # the copy's tree is built anew, as in MOOSE
        on_neuron_copy(new, old)

    def setSpineAndPsdDsolve(self, spineDsolve, psdDsolve):
        """Kept for MOOSE scripts: moosepy finds the Dsolves of a resized
        spine through its pools' solvers."""
        self._element().data['spine_dsolves'] = (spineDsolve, psdDsolve)

    # --- compartment tree from messages ------------------------------------
    def _tree(self):
        """(compartment handles parents first, parent index array)."""
        from ..core.msg import links
        el = self._element()
        comps = [e for e in el.walk() if e is not el and _is_compartment(e.cls)]
        idx = {id(e): i for i, e in enumerate(comps)}
        succ = [{} for _ in comps]          # dicts: unique edges, insertion order
        indeg = [0] * len(comps)
        for i, e in enumerate(comps):
            for port in ('axial', 'distal'):
                for other, _, _, forward in links(e, port):
                    j = idx.get(id(other))
                    if j is not None and forward and j not in succ[i]:
                        succ[i][j] = None
                        indeg[j] += 1
        order, parent = [], {}
        roots = [n for n in range(len(comps)) if indeg[n] == 0]
        for r in roots:
            edges = _bfs_edges(succ, r)
            for a, b in edges:
                parent[b] = a
            order.extend([r] + [b for _, b in edges])
        seen = set(order)
        order.extend(n for n in range(len(comps)) if n not in seen)
        pos = {n: k for k, n in enumerate(order)}
        pa = np.array([pos[parent[n]] if n in parent else -1 for n in order], dtype=np.int64)
        return [comps[n].handle(0) for n in order], pa

    def _get_numCompartments(self):
        return len([e for e in self._element().walk() if _is_compartment(e.cls)])

    def _get_numBranches(self):
        n = self._element().data.get('numBranches')
        if n is not None:
            return int(n)
        comps, pa = self._tree()
        if not comps:
            return 0
        nkids = np.bincount(pa[pa >= 0], minlength=len(comps))
        roots = int(np.count_nonzero(pa < 0))
        return roots + int(np.count_nonzero(nkids[pa[pa >= 0]] > 1))

    def _get_compartments(self):
        return self._tree()[0]

    def _distances(self):
        comps, pa = self._tree()
        n = len(comps)
        path = np.zeros(n)
        elec = np.zeros(n)
        xyz = np.array([[c.x, c.y, c.z] for c in comps]) if n else np.zeros((0, 3))
        soma = 0
        for k, c in enumerate(comps):
            if 'soma' in c.name.lower():
                soma = k
                break
        for k in range(n):
            c = comps[k]
            L = c.length
            lam = math.sqrt(c.Rm / c.Ra) if c.Ra > 0 and c.Rm > 0 else 0.0
            if pa[k] >= 0:
                path[k] = path[pa[k]] + L
                elec[k] = elec[pa[k]] + (1.0 / lam if lam > 0 else 0.0)
        geo = np.linalg.norm(xyz - xyz[soma], axis=1) if n else np.zeros(0)
        return path, geo, elec

    def _get_pathDistanceFromSoma(self):
        return self._distances()[0]

    def _get_geometricalDistanceFromSoma(self):
        return self._distances()[1]

    def _get_electrotonicDistanceFromSoma(self):
        return self._distances()[2]

    def _lookup_compartmentsFromExpression(self, key):
        from ..rdesigner.distrib import expression_table
        found, rows = expression_table(self, key)
        return [e.handle(0) for e, r in zip(found, rows) if e is not None and r[0] > 0]

    def _lookup_valuesFromExpression(self, key):
        from ..rdesigner.distrib import expression_table
        return expression_table(self, key)[1].ravel()

    def buildSegmentTree(self):
        """Keep the geometry (path, geometric and electrotonic distances
        from the soma) that passive and channel distributions set later
        use, as MOOSE's Neuron does; the compartment lists are always built
        from the current axial messages."""
        from ..rdesigner.distrib import save_segment_tree
        save_segment_tree(self)


def _is_compartment(cls):
    base = registry.get('CompartmentBase') or registry.get('Compartment')
    return base is not None and issubclass(cls, base)


# ======================================================================= SWC
@dataclass
class SwcData:
    """An SWC file as arrays (micrometres), in file order."""
    path: str
    ids: np.ndarray        # int
    types: np.ndarray      # int
    xyz: np.ndarray        # (n, 3) float, µm
    radius: np.ndarray     # float, µm
    parent: np.ndarray     # int: index (not id) of the parent point, -1 for the root
    lines: np.ndarray      # int: line number of each point in the file


@dataclass
class Segment:
    """One compartment to build (SI units)."""
    name: str
    parent: int            # index into the list of segments, -1 for the root
    swc_type: int
    x0: tuple
    x1: tuple
    diameter: float        # m (mean diameter for frustum pieces: area/(pi L))
    length: float          # m
    area: float            # m^2
    ra_prox: float         # ohm: proximal end -> centre
    ra_dist: float         # ohm: centre -> distal end
    section: int = -1
    extra: dict = field(default_factory=dict)

    @property
    def Ra(self):
        return self.ra_prox + self.ra_dist


def _swc_error(path, line, what, valid=''):
    loc = f'{path}, line {line}' if line else f'{path}'
    msg = f'{loc}: {what}'
    if valid:
        msg += f'; {valid}'
    return ModelImportError(msg)


def parse_swc(path):
    """Read and validate an SWC file.  Returns :class:`SwcData`.

    Raises :class:`ModelImportError` naming the file and line for: a line
    without exactly 7 columns, a non-numeric or non-finite field, a
    non-integer id/type/parent, a duplicate id, a radius <= 0, a parent id
    that is not in the file, a cycle, more than one root, or no points.
    """
    path = os.fspath(path)
    if os.path.isfile(path):
        check_text(path)        # size, line length, lines (moosepy.limits)
    try:
        with open(path, 'r', errors='replace') as fh:
            text = fh.read()
    except OSError as exc:
        raise ModelImportError(f'{path}: cannot read SWC file ({exc.strerror or exc})') from None
    fmt = ('an SWC data line has 7 whitespace-separated columns: id type x y z radius '
           'parent (id, type, parent integers; x, y, z, radius in µm; parent -1 for the root)')
    # a valid file is read in bulk (numpy); any problem sends it through
    # the line-by-line loop below, which names the first bad line
    fast = _swc_table_fast(path, text)
    rows, lines = [], []
    for ln, raw in (enumerate(text.splitlines(), start=1) if fast is None else ()):
        s = raw.strip()
        if not s or s.startswith('#'):
            continue
        parts = s.split()
        if len(parts) != 7:
            raise _swc_error(path, ln, f'expected 7 columns, found {len(parts)} '
                             f'({s[:60]!r})', fmt)
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not _is_float(p))
            raise _swc_error(path, ln, f'non-numeric field {bad!r}', fmt) from None
        if not all(math.isfinite(v) for v in vals):
            raise _swc_error(path, ln, 'non-finite number (nan or inf)', fmt)
        for k, nm in ((0, 'id'), (1, 'type'), (6, 'parent')):
            if vals[k] != int(vals[k]):
                raise _swc_error(path, ln, f'{nm} {parts[k]!r} is not an integer', fmt)
        if vals[0] < 0:
            raise _swc_error(path, ln, f'id {parts[0]} is negative', 'ids are integers >= 0')
        if vals[5] <= 0:
            raise _swc_error(path, ln, f'radius {parts[5]} must be > 0 µm',
                             'give each point a positive radius')
        rows.append(vals)
        lines.append(ln)
    if fast is not None:
        a, lines = fast
    else:
        if not rows:
            raise _swc_error(path, 0, 'no data lines', fmt)
        a = np.array(rows, dtype=float)
        lines = np.array(lines, dtype=np.int64)
    big = np.nonzero((np.abs(a[:, [0, 6]]) > 2.0 ** 53).any(axis=1))[0]
    if len(big):
        raise _swc_error(path, lines[big[0]], 'id or parent beyond 2^53 (not exact as a '
                         'number)', 'ids are integers >= 0, parents such an id or -1')
    from ..core.limits import limits
    size = limits.max_morph_size_um
    if size is not None:
        big = np.nonzero((np.abs(a[:, 2:6]) > size).any(axis=1))[0]
        if len(big):
            k = big[0]
            raise _swc_error(path, lines[k], f'a coordinate or radius of '
                             f'{np.abs(a[k, 2:6]).max():g} µm is beyond '
                             f'moosepy.limits.max_morph_size_um = {size:g} µm',
                             'SWC sizes are in µm; for a larger model raise the bound '
                             '(moose.limits.max_morph_size_um = ...)')
    ids = a[:, 0].astype(np.int64)
    pid = a[:, 6].astype(np.int64)
    # ids and parents resolved in bulk (sort + searchsorted): linear-log in
    # the number of points, no Python loop per point
    order = np.argsort(ids, kind='stable')
    sid = ids[order]
    dup = np.nonzero(sid[1:] == sid[:-1])[0]
    if len(dup):
        k = int(order[dup + 1].min())
        first = int(np.argmax(ids == ids[k]))
        raise _swc_error(path, lines[k], f'duplicate id {ids[k]} (first on line '
                         f'{lines[first]})', 'ids must be unique')
    pos = np.clip(np.searchsorted(sid, pid), 0, len(sid) - 1)
    found = sid[pos] == pid
    bad = (pid >= 0) & ((pid == ids) | ~found)
    if bad.any():
        k = int(np.argmax(bad))
        if pid[k] == ids[k]:
            raise _swc_error(path, lines[k], f'point {ids[k]} is its own parent (a cycle)',
                             'the parent must be another point, or -1 for the root')
        raise _swc_error(path, lines[k], f'parent {pid[k]} of point {ids[k]} is not in the '
                         f'file', 'a parent must be the id of a point in the file, or -1 '
                         f'for the root')
    parent = np.where(pid >= 0, order[pos], -1).astype(np.int64)
    roots = [int(k) for k in np.nonzero(pid < 0)[0]]
    # cycles: the parent links must form a forest
    cyc = _parent_cycle(parent)
    if cyc:
        j = min(cyc, key=lambda c: lines[c])
        ln = ', '.join(str(lines[c]) for c in sorted(cyc, key=lambda c: lines[c])[:6])
        pts = ', '.join(str(ids[c]) for c in sorted(cyc, key=lambda c: lines[c])[:6])
        raise _swc_error(path, lines[j], f'points {pts} form a cycle (lines {ln})',
                         'the parent links must form a tree rooted at a point with parent -1')
    if len(roots) == 0:  # pragma: no cover (a finite parent graph without roots has a cycle)
        raise _swc_error(path, 0, 'no root point (parent -1)')
    if len(roots) > 1:
        ln = ', '.join(str(lines[r]) for r in roots[:8])
        raise _swc_error(path, lines[roots[1]], f'{len(roots)} root points (parent -1) on '
                         f'lines {ln}', 'one connected tree with a single root is required')
    return SwcData(path, ids, a[:, 1].astype(np.int64), a[:, 2:5].copy(), a[:, 5].copy(),
                   parent, lines)


def _swc_table_fast(path, text):
    """(values [n x 7], line numbers) of an SWC file whose data lines are
    all valid, read in bulk by numpy's C reader; None if any line is not
    (the caller then walks the lines one by one to name the first bad one)."""
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            # (the text already read: by its path numpy's loader looks for
            # compressed variants, importing their modules, ~1 ms)
            a = np.loadtxt(text.splitlines(), comments='#', ndmin=2, dtype=float)
    except (ValueError, UnicodeDecodeError):
        return None
    if a.shape[0] == 0 or a.shape[1] != 7:
        return None
    # line numbers of the data lines: lines that start with neither '#' nor
    # a line end (a line with leading blanks: counted the slow way)
    raw = np.frombuffer(text.encode('utf-8', 'replace'), dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(raw == 10) + 1))
    starts = starts[starts < len(raw)]
    first = raw[starts]
    if ((first == 32) | (first == 9)).any():
        lns = [ln for ln, r in enumerate(text.splitlines(), 1)
               if r.strip() and not r.strip().startswith('#')]
    else:
        lns = np.flatnonzero((first != 35) & (first != 10) & (first != 13)) + 1
    if len(lns) != a.shape[0] or not np.isfinite(a).all():
        return None
    ints = a[:, [0, 1, 6]]
    if (ints != np.trunc(ints)).any() or (a[:, 0] < 0).any() or (a[:, 5] <= 0).any():
        return None
    return a, np.asarray(lns, dtype=np.int64)


def _parent_cycle(parent):
    """Indices of one cycle of the parent links, or [] if they form a
    forest.  Pointer doubling in numpy (O(n log n), no recursion): after
    ceil(log2 n) + 1 doublings every point whose chain ends at a root
    points to -1; from any other point the parent chain runs into a cycle."""
    n = len(parent)
    reach = parent.copy()
    for _ in range(max(1, int(n).bit_length()) + 1):
        live = reach >= 0
        if not live.any():
            return []
        reach[live] = reach[reach[live]]
    stuck = np.nonzero(reach >= 0)[0]
    if len(stuck) == 0:
        return []
    seen = {}
    k = int(stuck[0])
    while k not in seen:
        seen[k] = len(seen)
        k = int(parent[k])
    order = list(seen)
    return order[seen[k]:]


def _is_float(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def _children(parent):
    kids = [[] for _ in range(len(parent))]
    # (Python ints: a numpy scalar per point cost ~0.2 us a step)
    for k, p in enumerate(parent.tolist() if isinstance(parent, np.ndarray) else parent):
        if p >= 0:
            kids[p].append(k)
    return kids


def _clean_tree(d):
    """MOOSE's clean-up: merge multi-point somas into the root (unless a
    2-point soma) and zero-length points into their parents.

    Returns (parent array with merged points removed from the tree, alive
    mask, index of the 2-point soma's distal point or -1)."""
    n = len(d.ids)
    parent = d.parent.copy()
    alive = np.ones(n, dtype=bool)
    root = int(np.nonzero(parent < 0)[0][0])
    kids = _children(parent)
    distal_soma = -1
    if d.types[root] == 1:
        soma_kids = [k for k in kids[root] if d.types[k] == 1]
        if len(soma_kids) == 1 and not any(d.types[g] == 1 for g in kids[soma_kids[0]]):
            distal_soma = soma_kids[0]
        elif soma_kids:
            todo = list(soma_kids)
            while todo:
                k = todo.pop()
                alive[k] = False
                for g in kids[k]:
                    if d.types[g] == 1:
                        todo.append(g)
                    else:
                        parent[g] = root
            kids = _children(np.where(alive, parent, -2))
    # zero-length points: merged into their parent, their children move up
    # (walked parents first, so chains of coincident points collapse)
    kids = _children(np.where(alive, parent, -2))
    order = _bfs(kids, root)
    xyz = d.xyz.tolist()
    par = parent.tolist()
    dead = []
    for k in order:
        if k == root or k == distal_soma:
            continue
        p = par[k]
        if _dist(xyz[p], xyz[k]) < _ZERO_LEN:
            dead.append(k)
            for g in kids[k]:
                par[g] = p
            kids[p].extend(kids[k])
            kids[k] = []
    alive[dead] = False
    return np.array(par, dtype=parent.dtype), alive, distal_soma, root


def _bfs_edges(succ, root):
    """Edges (u, v) breadth-first from *root* over the successor lists
    *succ* (each node once, successors in their order): the order of
    networkx.bfs_edges, without importing networkx (0.1-0.5 s of a
    cell's build)."""
    seen = {root}
    queue = deque([root])
    out = []
    while queue:
        u = queue.popleft()
        for v in succ[u]:
            if v not in seen:
                seen.add(v)
                out.append((u, v))
                queue.append(v)
    return out


def _bfs(kids, root):
    """Points in breadth-first order from *root*."""
    return [root] + [v for _, v in _bfs_edges(kids, root)]


def swc_segments_moose(d, RM, RA, CM):
    """One compartment per SWC point, MOOSE's geometry and names
    (see the module docstring).  Returns a list of :class:`Segment`."""
    parent, alive, distal_soma, root = _clean_tree(d)
    kids = _children(np.where(alive, parent, -2))
    n = len(d.ids)
    types = d.types
    # MOOSE names type-3 neurites 'basal' unless there is no type 4
    only_basal = (np.any((types == 3) & alive) and not np.any((types == 4) & alive))
    basal = 'dend' if only_basal else 'basal'
    # branches: end points are the root, forks and leaves; walk up to a fork
    # (Python ints and bools from here: numpy scalars cost ~0.1 us an access)
    parent = parent.tolist()
    al = alive.tolist()
    is_end = [al[k] and (k == root or len(kids[k]) != 1) for k in range(n)]
    branches = []          # list of lists of points (proximal first)
    branch_of_end = {}
    for k in range(n):
        if not is_end[k]:
            continue
        cable = [k]
        if k != root:
            j = parent[k]
            while j != root and len(kids[j]) == 1:
                cable.append(j)
                j = parent[j]
        cable.reverse()
        branch_of_end[k] = len(branches)
        branches.append(cable)
    bparent = []
    for cable in branches:
        p = parent[cable[0]]
        bparent.append(branch_of_end.get(p, -1) if p >= 0 else -1)
    # MOOSE walks branches in the file order of their last points, which is
    # parents-first when every parent precedes its children in the file;
    # otherwise take the smallest-index branch whose parent is done (Kahn)
    import heapq
    bkids = {}
    for bi, bp in enumerate(bparent):
        bkids.setdefault(bp, []).append(bi)
    ready = list(bkids.get(-1, []))
    heapq.heapify(ready)
    border = []
    while ready:
        bi = heapq.heappop(ready)
        border.append(bi)
        for kb in bkids.get(bi, []):
            heapq.heappush(ready, kb)
    segs, seg_of_point = [], {}
    counters = {'axon': 0, 'basal': 0, 'dend': 0}
    n_on_parent = {}
    # (Python floats and ints: numpy scalars cost ~0.1 us an access)
    r = d.radius.tolist()
    xyz = d.xyz.tolist()
    types = types.tolist()
    ids = d.ids.tolist()
    for bi in border:
        cable = branches[bi]
        my_idx = n_on_parent.get(bparent[bi], 0)
        n_on_parent[bparent[bi]] = my_idx + 1
        for j, k in enumerate(cable):
            if k == root:
                if distal_soma >= 0:
                    seg = _cyl('soma', -1, 1, xyz[root], xyz[distal_soma],
                               r[distal_soma], RM, RA, CM)
                    seg_of_point[distal_soma] = len(segs)
                else:
                    # MOOSE: from x - 2r to the point along x
                    c = xyz[root]
                    seg = _cyl('soma', -1, int(types[root]), (c[0] - 2 * r[root], c[1], c[2]),
                               c, r[root], RM, RA, CM)
                seg_of_point[root] = len(segs)
                segs.append(seg)
                continue
            if k == distal_soma:
                continue
            p = parent[k]
            if types[p] != types[k]:
                kind = {2: 'axon', 3: 'basal'}.get(int(types[k]), 'dend')
                name = f"{basal if kind == 'basal' else kind}{counters[kind]}"
                counters[kind] += 1
            else:
                pname = segs[seg_of_point[p]].name
                stem = pname[:pname.rfind('_')] if '_' in pname else pname
                name = f'{stem}.{my_idx}_0' if j == 0 else f'{stem}_{j}'
            seg = _cyl(name, seg_of_point[p], types[k], xyz[p], xyz[k], r[k],
                       RM, RA, CM)
            seg.extra['swc_id'] = ids[k]
            seg_of_point[k] = len(segs)
            segs.append(seg)
    segs[0].extra['swc_id'] = int(d.ids[root])
    return _parents_first(segs)


def _dist(p0, p1):
    """|p1 - p0| of two points (sequences of 3 floats) in Python floats:
    sqrt(dx*dx + dy*dy + dz*dz), as MOOSE's C++ (numpy's norm of a 3-vector
    cost ~3 us a call and rounds differently in the last bit: 140 of h10's
    202 lengths were an ulp off pymoose's; now none)."""
    dx = p1[0] - p0[0]
    dy = p1[1] - p0[1]
    dz = p1[2] - p0[2]
    return math.sqrt(dx * dx + dy * dy + dz * dz)


def _cyl(name, parent, swc_type, p0, p1, r_um, RM, RA, CM):
    """A cylinder from point p0 to p1 (µm, sequences of 3 floats) of
    radius r_um [µm]."""
    a = (p0[0] * UM, p0[1] * UM, p0[2] * UM)
    b = (p1[0] * UM, p1[1] * UM, p1[2] * UM)
    # as near to pymoose's values as found (h10: all 202 lengths, 157 Rm
    # and 100 Ra of 201 bit for bit; the rest one ulp off): the length from
    # the metre coordinates, Rm and Ra from the length in um
    L = _dist(a, b)
    Le = _dist(p0, p1) * UM
    dia = 2.0 * float(r_um) * UM
    area = math.pi * dia * Le
    ra = RA * Le / (math.pi * (dia / 2) ** 2)
    return Segment(name, parent, swc_type, a, b, dia, L, area, ra / 2, ra / 2)


def _parents_first(segs):
    """Order segments so that every parent comes before its children
    (stable for trees built in branch order)."""
    n = len(segs)
    kids = [[] for _ in range(n)]
    roots = []
    for i, s in enumerate(segs):
        (kids[s.parent] if s.parent >= 0 else roots).append(i)
    order = []
    stack = list(reversed(roots))
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(reversed(kids[i]))
    if order == list(range(n)):
        return segs
    pos = {old: new for new, old in enumerate(order)}
    out = []
    for old in order:
        s = segs[old]
        s.parent = pos[s.parent] if s.parent >= 0 else -1
        out.append(s)
    return out


def _sections(d, parent, alive, root, distal_soma):
    """Unbranched same-type stretches (NEURON's sections).

    Returns a list of dicts: points (indices, proximal first), the section
    the first point attaches to ('soma' for the soma, index, or None), and
    whether the parent point starts the section's 3-D points."""
    kids = _children(np.where(alive, parent, -2))
    types = d.types
    soma_pts = {root} | ({distal_soma} if distal_soma >= 0 else set())
    soma_is_point = types[root] == 1
    secs = []
    sec_of_last = {}

    def start(k, p):
        pts = [k]
        while len(kids[pts[-1]]) == 1 and types[kids[pts[-1]][0]] == types[k] \
                and kids[pts[-1]][0] not in soma_pts:
            pts.append(kids[pts[-1]][0])
        return pts

    q = []
    for k in kids[root]:
        if k != distal_soma:
            q.append(k)
    if distal_soma >= 0:
        q.extend(kids[distal_soma])
    while q:
        k = q.pop(0)
        p = parent[k]
        pts = start(k, p)
        if p in soma_pts and soma_is_point:
            att, with_parent_pt = 'soma', False
        elif p in soma_pts:     # root is not a soma: sections start at the root point
            att, with_parent_pt = ('root', True)
        else:
            att, with_parent_pt = sec_of_last[p], True
        secs.append({'points': pts, 'attach': att, 'with_parent': with_parent_pt,
                     'type': int(types[k])})
        sec_of_last[pts[-1]] = len(secs) - 1
        q.extend(kids[pts[-1]])
    return secs


def swc_segments_neuron(d, RM, RA, CM, seglen):
    """NEURON-style discretisation (Import3d sections, nseg = ceil(L/seglen),
    frustum integration).  Returns a list of :class:`Segment`."""
    parent, alive, distal_soma, root = _clean_tree(d)
    secs = _sections(d, parent, alive, root, distal_soma)
    segs = []
    r = d.radius
    # the soma section
    soma_first = soma_mid = -1
    if d.types[root] == 1:
        if distal_soma >= 0:
            pts = np.array([d.xyz[root], d.xyz[distal_soma]])
            diams = np.array([2 * r[distal_soma], 2 * r[distal_soma]])
        else:
            c = d.xyz[root]
            off = np.array([r[root], 0.0, 0.0])
            pts = np.array([c - off, c, c + off])
            diams = np.full(3, 2 * r[root])
        pieces = _cut(pts, diams, seglen, RA)
        soma_first = len(segs)
        for k, pc in enumerate(pieces):
            segs.append(_piece_segment(f'soma_{k}' if len(pieces) > 1 else 'soma',
                                       len(segs) - 1 if k else -1, 1, pc, RM, CM, 0))
        soma_mid = soma_first + len(pieces) // 2
    names = {}
    sec_last = {}
    root_first = -1
    for si, sec in enumerate(secs, start=1):
        pts_idx = sec['points']
        p = parent[pts_idx[0]]
        coords = [d.xyz[k] for k in pts_idx]
        diams = [2 * r[k] for k in pts_idx]
        if sec['with_parent']:
            coords.insert(0, d.xyz[p])
            diams.insert(0, 2 * r[p])
        kind = {1: 'soma', 2: 'axon', 3: 'dend', 4: 'apical'}.get(sec['type'], 'dend')
        names[kind] = names.get(kind, -1) + 1
        sname = f'{kind}{names[kind]}'
        att = sec['attach']
        if att == 'soma':
            par = soma_mid
        elif att == 'root':
            par = root_first
        else:
            par = sec_last[att]
        pieces = _cut(np.array(coords), np.array(diams), seglen, RA)
        for k, pc in enumerate(pieces):
            segs.append(_piece_segment(f'{sname}_{k}', par if k == 0 else len(segs) - 1,
                                       sec['type'], pc, RM, CM, si))
        if att == 'root' and root_first < 0:
            root_first = len(segs) - len(pieces)
        sec_last[si - 1] = len(segs) - 1
    return _parents_first(segs)


def _piece_segment(name, parent, swc_type, pc, RM, CM, section):
    area = pc['area']
    L = pc['length']
    dia = area / (math.pi * L) if L > 0 else 0.0
    s = Segment(name, parent, swc_type, tuple(pc['x0']), tuple(pc['x1']), dia, L, area,
                pc['ra_prox'], pc['ra_dist'], section)
    return s


def _cut(pts_um, diams_um, seglen, RA):
    """Cut a polyline of frustums into ceil(L/seglen) equal pieces.

    pts_um: (m, 3) µm, diams_um: (m,) µm, seglen in m.  Returns one dict per
    piece (SI): x0, x1, length, area, ra_prox, ra_dist."""
    pts = np.asarray(pts_um, dtype=float) * UM
    dia = np.asarray(diams_um, dtype=float) * UM
    h = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(h)])
    L = s[-1]
    nseg = max(1, int(math.ceil(L / seglen - 1e-9))) if L > 0 else 1
    edges = np.linspace(0.0, L, nseg + 1)
    out = []
    for k in range(nseg):
        a, b = edges[k], edges[k + 1]
        m = 0.5 * (a + b)
        out.append({'x0': _at(s, pts, a), 'x1': _at(s, pts, b), 'length': b - a,
                    'area': _area(s, dia, a, b),
                    'ra_prox': _ri(s, dia, a, m, RA), 'ra_dist': _ri(s, dia, m, b, RA)})
    return out


def _at(s, v, x):
    if v.ndim == 1:
        return float(np.interp(x, s, v))
    return np.array([np.interp(x, s, v[:, c]) for c in range(v.shape[1])])


def _breaks(s, a, b):
    inner = s[(s > a) & (s < b)]
    return np.concatenate([[a], inner, [b]])


def _area(s, dia, a, b):
    xs = _breaks(s, a, b)
    d = np.array([_at(s, dia, x) for x in xs])
    hh = np.diff(xs)
    r1, r2 = d[:-1] / 2, d[1:] / 2
    return float(np.sum(math.pi * (r1 + r2) * np.sqrt(hh ** 2 + (r1 - r2) ** 2)))


def _ri(s, dia, a, b, RA):
    xs = _breaks(s, a, b)
    d = np.array([_at(s, dia, x) for x in xs])
    hh = np.diff(xs)
    return float(np.sum(4.0 * RA * hh / (math.pi * d[:-1] * d[1:])))


# ================================================================= building
def _check_cellpath(cellpath, fname):
    from ..core import shell
    if not isinstance(cellpath, str) or cellpath.strip('/') == '':
        raise ModelImportError(f'{fname}: cell path must name a new element, got {cellpath!r}')
    if shell.exists(cellpath):
        raise ModelImportError(f'{fname}: cannot load into {cellpath!r}: an element is '
                               f'already there (delete it or choose another path)')
    head = cellpath.rstrip('/').rpartition('/')[0]
    if head and not shell.exists(head):
        raise ModelImportError(f'{fname}: cannot load into {cellpath!r}: parent {head!r} '
                               f'does not exist')


def _comp_class(symmetric=False):
    name = 'SymCompartment' if symmetric else 'Compartment'
    cls = registry.get(name)
    if cls is None:
        raise ModelImportError(f'{name} class is not available (moosepy.electrical.compartment '
                               f'not importable)')
    return cls


def build_segments(segs, cellpath, fname, RM, RA, CM, Em=-0.065, initVm=None):
    """Create a :class:`Neuron` at *cellpath* holding one compartment per
    segment, joined parent 'axial' -> child 'raxial'.  On any error the
    partly built cell is deleted."""
    from ..core import shell
    from ..core.msg import connect_ends
    _check_cellpath(cellpath, fname)
    Comp = _comp_class()
    initVm = Em if initVm is None else initVm
    cell = Neuron(cellpath)
    try:
        cell.RM, cell.RA, cell.CM, cell.Em = RM, RA, CM, Em
        cell.sourceFile = os.fspath(fname)
        used = set()
        for s in segs:
            if s.name in used:
                raise ModelImportError(f'{fname}: two compartments named {s.name!r}')
            used.add(s.name)
        names = ('diameter', 'length', 'x0', 'y0', 'z0', 'x', 'y', 'z', 'Rm', 'Cm', 'Ra',
                 'Em', 'initVm', 'Vm')
        table = [(float(s.diameter), float(s.length), float(s.x0[0]), float(s.x0[1]),
                  float(s.x0[2]), float(s.x1[0]), float(s.x1[1]), float(s.x1[2]),
                  RM / s.area, CM * s.area, float(s.Ra), float(Em), float(initVm),
                  float(initVm)) for s in segs]
        a = np.array(table, dtype=float).reshape(len(segs), len(names))
        valid = (np.isfinite(a).all() and (a[:, [0, 1, 10]] >= 0).all() and
                 (a[:, [8, 9]] > 0).all())
        # valid (the setters' own checks): stored as the new elements'
        # values, 14 field sets' Python spared per compartment
        made = shell.create_children(cell._el, Comp, [s.name for s in segs],
                                     values=dict(zip(names, a.T)) if valid else None)
        if not valid:
            for c, vals in zip(made, table):
                for k, v in zip(names, vals):
                    setattr(c, k, v)        # the field's own error
        els = [c._el for c in made]
        connect_ends([(els[s.parent], 0, e, 0) for s, e in zip(segs, els) if s.parent >= 0],
                     'axial', 'raxial')
        cell._el.data['segments'] = segs
        cell._el.data['numBranches'] = len({s.section for s in segs}) if any(
            s.section >= 0 for s in segs) else _count_branches(segs)
    except BaseException:
        shell.delete(cell)
        raise
    return cell


def _count_branches(segs):
    nkids = np.zeros(len(segs), dtype=int)
    for s in segs:
        if s.parent >= 0:
            nkids[s.parent] += 1
    # a branch starts at the root and at every child of a fork
    return 1 + sum(1 for s in segs if s.parent >= 0 and nkids[s.parent] > 1)


def read_swc(path, cellpath, RM=1.0, RA=1.0, CM=0.01, length=None, Em=-0.065,
             initVm=None, **options):
    """Build a cell from an SWC morphology.

    Parameters
    ----------
    path : str
        SWC file (columns id type x y z radius parent; µm).
    cellpath : str
        Path of the new :class:`Neuron`; its parent must exist, it must not.
    RM, RA, CM : float
        Specific membrane resistance [ohm*m^2], axial resistivity [ohm*m]
        and membrane capacitance [F/m^2] (MOOSE's defaults 1, 1, 0.01).
    length : float or None
        None: one compartment per SWC point (MOOSE's reader).  A length [m]:
        NEURON's discretisation, every unbranched section cut into
        ``ceil(L/length)`` equal compartments.
    Em, initVm : float
        Leak reversal and initial potential [V] of every compartment.

    Returns the :class:`Neuron`.  Raises :class:`ModelImportError` on a bad
    file (naming the file and line) before anything is created.
    """
    if options:
        raise ModelImportError(f'read_swc({path}): unknown option(s) '
                               f'{", ".join(sorted(options))}; valid: RM, RA, CM, length, '
                               f'Em, initVm')
    for nm, v in (('RM', RM), ('RA', RA), ('CM', CM)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ModelImportError(f'read_swc({path}): {nm} must be a positive number, got {v!r}')
    if length is not None and not (math.isfinite(length) and length > 0):
        raise ModelImportError(f'read_swc({path}): length must be None or > 0 m, got {length!r}')
    d = parse_swc(path)
    with np.errstate(over='ignore', invalid='ignore'):
        if length is None:
            segs = swc_segments_moose(d, RM, RA, CM)
        else:
            segs = swc_segments_neuron(d, RM, RA, CM, float(length))
    ar = np.array([(s.area, s.ra_prox + s.ra_dist) for s in segs], dtype=float).reshape(-1, 2)
    with np.errstate(all='ignore'):
        ok = (np.isfinite(ar).all() and (ar > 0).all() and np.isfinite(RM / ar[:, 0]).all()
              and (RM / ar[:, 0] > 0).all() and np.isfinite(CM * ar[:, 0]).all()
              and (CM * ar[:, 0] > 0).all())
    line_of = {} if ok else dict(zip(d.ids.tolist(), d.lines.tolist()))
    for s in () if ok else segs:
        vals = (s.area, s.Ra, RM / s.area if s.area > 0 else 0.0, CM * s.area)
        if not all(math.isfinite(v) and v > 0 for v in vals):
            sid = s.extra.get('swc_id')
            where = f', line {line_of[sid]} (point {sid})' if sid in line_of else ''
            raise ModelImportError(
                f'{path}{where}: compartment {s.name} would have area {s.area:g} m^2 and '
                f'axial resistance {s.Ra:g} ohm (length {s.length:g} m, diameter '
                f'{s.diameter:g} m); coordinates and radii must give finite, nonzero sizes')
    return build_segments(segs, cellpath, path, RM, RA, CM, Em, initVm)


def _lambda_factor(RM, RA, CM, f):
    """lambda [um] = factor * sqrt(diameter [um]) for a cylinder (DC, or AC
    at frequency f [Hz])."""
    dc = math.sqrt(RM / (4.0 * RA)) * 1e3
    if f == 0:
        return dc
    w = 2.0 * math.pi * f * RM * CM
    return dc * math.sqrt(2.0 / (1.0 + math.sqrt(1.0 + w * w)))


def condense_swc(d, RM=1.0, RA=1.0, CM=0.01, max_len=0.1, f=0.0, rad_diff=0.1):
    """Merge electrotonically short, similar-radius SWC segments (the
    reduction MOOSE 5's ``loadSwc`` applies, after Hendrickson et al. 2011).

    Along each unbranched same-type chain, consecutive segments are grouped
    greedily while the group's electrotonic length (sum of L/lambda, lambda
    = factor*sqrt(d)) stays below *max_len* and each radius is within
    *rad_diff* (fraction) of the group's first.  A group becomes one
    cylinder with the same membrane area S and electrotonic length Lt:
    d = (S/(pi Lt factor))^(2/3), length S/(pi d), pointing along the sum of
    the group's segments.  Soma points are kept.  Coordinates and radii are
    rounded to 1e-4 um (MOOSE writes and re-reads the condensed file).
    Returns a new :class:`SwcData` (lines refer to the original points).
    """
    lf = _lambda_factor(RM, RA, CM, f)
    n = len(d.ids)
    kids = _children(d.parent)
    root = int(np.nonzero(d.parent < 0)[0][0])
    out = []      # (type, x, y, z, r, parent_new, line)

    def emit(t, x, y, z, r, pa, line):
        out.append((t, round(x, 4), round(y, 4), round(z, 4), round(r, 4), pa, line))
        return len(out) - 1

    def elec(length, dia):
        return length / (lf * math.sqrt(dia)) if length > 0 and dia > 0 else 0.0

    stack = [(root, -1, d.xyz[root])]
    while stack:
        k, pa_new, prox = stack.pop()
        if d.types[k] == 1:
            me = emit(1, *d.xyz[k], d.radius[k], pa_new, d.lines[k])
            for c in reversed(kids[k]):
                stack.append((c, me, d.xyz[k]))
            continue
        chain = [k]
        while len(kids[chain[-1]]) == 1 and d.types[kids[chain[-1]][0]] == d.types[k]:
            chain.append(kids[chain[-1]][0])
        groups, cur, Lt = [], [], 0.0
        for j in chain:
            pp = d.parent[j] if d.parent[j] >= 0 else j
            L = elec(float(np.linalg.norm(d.xyz[j] - d.xyz[pp])), 2 * d.radius[j])
            if cur and (abs(d.radius[cur[0]] - d.radius[j]) / d.radius[cur[0]] > rad_diff
                        or Lt + L >= max_len):
                groups.append(cur)
                cur, Lt = [], 0.0
            cur.append(j)
            Lt += L
        if cur:
            groups.append(cur)
        pos = np.array(prox, dtype=float)
        me = pa_new
        for g in groups:
            disp = np.zeros(3)
            S = Lt = 0.0
            for j in g:
                pp = d.parent[j] if d.parent[j] >= 0 else j
                v = d.xyz[j] - d.xyz[pp]
                length = float(np.linalg.norm(v))
                dia = 2 * d.radius[j]
                disp += v
                S += math.pi * dia * length
                Lt += elec(length, dia)
            if Lt > 0 and S > 0:
                dia = (S / (Lt * math.pi * lf)) ** (2.0 / 3.0)
                ln = S / (math.pi * dia)
                mag = float(np.linalg.norm(disp))
                step = disp / mag * ln if mag > 0 else np.array([ln, 0.0, 0.0])
                r = dia / 2
            else:
                step = d.xyz[g[-1]] - pos
                r = d.radius[g[-1]]
            pos = pos + step
            me = emit(int(d.types[g[0]]), *pos, r, me, d.lines[g[-1]])
        for c in reversed(kids[chain[-1]]):
            stack.append((c, me, pos.copy()))
    m = len(out)
    if m == 0 or n == 0:  # pragma: no cover
        raise ModelImportError(f'{d.path}: nothing to condense')
    arr = np.array([o[:5] for o in out], dtype=float)
    return SwcData(d.path, np.arange(1, m + 1), arr[:, 0].astype(np.int64), arr[:, 1:4].copy(),
                   arr[:, 4].copy(), np.array([o[5] for o in out], dtype=np.int64),
                   np.array([o[6] for o in out], dtype=np.int64))


def loadSwc(filename, modelpath, RM=1.0, RA=1.0, CM=0.01, max_len=0.1, f=0.0, rad_diff=0.1):
    """MOOSE 5's ``moose.loadSwc``: read an SWC file, condense it
    (:func:`condense_swc`; ``max_len=None`` skips that) and build it with
    MOOSE's one-compartment-per-point reader.  Returns the :class:`Neuron`."""
    if max_len is None:
        return read_swc(filename, modelpath, RM=RM, RA=RA, CM=CM)
    for nm, v in (('RM', RM), ('RA', RA), ('CM', CM), ('max_len', max_len)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ModelImportError(f'loadSwc({filename}): {nm} must be a positive number, '
                                   f'got {v!r}')
    d = condense_swc(parse_swc(filename), RM, RA, CM, max_len, f, rad_diff)
    with np.errstate(over='ignore', invalid='ignore'):
        segs = swc_segments_moose(d, RM, RA, CM)
    for sg in segs:
        if not (math.isfinite(sg.area) and sg.area > 0 and math.isfinite(sg.Ra) and sg.Ra > 0):
            raise ModelImportError(f'{filename}: compartment {sg.name} has no size after '
                                   f'condensing (area {sg.area:g} m^2)')
    return build_segments(segs, modelpath, filename, RM, RA, CM)


def segment_table(cell):
    """The geometry the cell was built from: list of :class:`Segment`
    (parents first, same order as the compartments created)."""
    el = cell._element() if isinstance(cell, Neutral) else cell
    try:
        return el.data['segments']
    except KeyError:
        raise MooseError(f'{el.path} was not built by a morphology reader') from None


# ================================================================ GENESIS .p
_P_FLAGS = ('*cartesian', '*polar', '*relative', '*absolute', '*symmetric', '*asymmetric',
            '*double_endpoint', '*double_endpoint_off', '*makeproto', '*lambda_warn',
            '*lambda_unwarn')
_P_ARGS = ('*set_global', '*set_compt_param', '*compt', '*origin', '*start_cell')
_P_PARAMS = ('RM', 'RA', 'CM', 'EREST_ACT', 'ELEAK')
_P_SPECIAL = ('RA', 'RM', 'CM', 'Ra', 'Rm', 'Cm')


@dataclass
class PCompt:
    name: str
    parent: int
    line: int
    x0: tuple
    x1: tuple
    dia: float
    length: float
    RM: float
    RA: float
    CM: float
    Em: float
    erest: float
    symmetric: bool
    proto: str
    chans: list


def parse_p(path):
    """Read and validate a GENESIS .p cell file into a list of
    :class:`PCompt` (SI).  Raises :class:`ModelImportError` with file and line."""
    path = os.fspath(path)
    if os.path.isfile(path):
        check_text(path)        # size, line length, lines (moosepy.limits)
    try:
        with open(path, 'r', errors='replace') as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise ModelImportError(f'{path}: cannot read .p file ({exc.strerror or exc})') from None
    st = dict(polar=False, relative=False, symmetric=False, double=False,
              RM=10.0, RA=1.0, CM=0.01, EREST_ACT=-0.065, ELEAK=-0.065,
              erest_set=False, eleak_set=False, origin=(0.0, 0.0, 0.0), proto='')
    comps, byname = [], {}
    in_comment = False
    datafmt = ('a compartment line is: name parent x y z d [channel density ...] '
               '(x, y, z, d in µm; parent a compartment name, "." for the previous one, '
               'or "none")')

    def err(ln, what, valid=''):
        return _swc_error(path, ln, what, valid)

    from ..core.limits import limits
    bound = limits.max_morph_size_um

    def check_size(ln, what, value_m):
        # a size beyond the bound is almost surely a unit error, and the
        # cable arithmetic (areas, Ra) of such numbers overflows
        if bound is not None and abs(value_m) / UM > bound:
            raise err(ln, f'{what} of {abs(value_m) / UM:g} µm is beyond '
                      f'moosepy.limits.max_morph_size_um = {bound:g} µm',
                      '.p coordinates and diameters are in µm; for a larger model raise the '
                      'bound (moose.limits.max_morph_size_um = ...)')

    def num(tok, ln, what):
        try:
            v = float(tok)
        except ValueError:
            raise err(ln, f'{what}: {tok!r} is not a number', datafmt) from None
        if not math.isfinite(v):
            raise err(ln, f'{what}: {tok!r} is not finite', datafmt)
        return v

    for ln, raw in enumerate(lines, start=1):
        s = raw.strip()
        if in_comment:
            end = s.find('*/')
            if end < 0:
                continue
            s = s[end + 2:].strip()
            in_comment = False
        if '//' in s:
            s = s[:s.index('//')].strip()
        while '/*' in s:
            a = s.index('/*')
            b = s.find('*/', a + 2)
            if b < 0:
                s = s[:a].strip()
                in_comment = True
                break
            s = (s[:a] + ' ' + s[b + 2:]).strip()
        if not s:
            continue
        tok = s.split()
        if tok[0].startswith('*'):
            kw = tok[0]
            if kw in _P_FLAGS:
                if len(tok) != 1:
                    raise err(ln, f'{kw} takes no arguments, got {" ".join(tok[1:])!r}')
                if kw == '*cartesian':
                    st['polar'] = False
                elif kw == '*polar':
                    st['polar'] = True
                elif kw == '*relative':
                    st['relative'] = True
                elif kw == '*absolute':
                    st['relative'] = False
                elif kw == '*symmetric':
                    st['symmetric'] = True
                elif kw == '*asymmetric':
                    st['symmetric'] = False
                elif kw == '*double_endpoint':
                    st['double'] = True
                elif kw == '*double_endpoint_off':
                    st['double'] = False
                continue
            if kw in ('*set_global', '*set_compt_param'):
                if len(tok) != 3:
                    raise err(ln, f'{kw} needs a name and a value',
                              f'names: {", ".join(_P_PARAMS)}')
                if tok[1] not in _P_PARAMS:
                    raise err(ln, f'{kw}: unknown parameter {tok[1]!r}',
                              f'valid: {", ".join(_P_PARAMS)}')
                v = num(tok[2], ln, f'{kw} {tok[1]}')
                st[tok[1]] = v
                if tok[1] == 'EREST_ACT':
                    st['erest_set'] = True
                if tok[1] == 'ELEAK':
                    st['eleak_set'] = True
                if tok[1] in ('RM', 'RA', 'CM') and v <= 0:
                    raise err(ln, f'{tok[1]} must be > 0, got {v}')
                continue
            if kw == '*compt':
                if len(tok) != 2:
                    raise err(ln, '*compt needs one prototype path')
                from ..core import shell
                if not shell.exists(tok[1]):
                    raise err(ln, f'*compt: prototype {tok[1]!r} does not exist',
                              'create the prototype compartment (e.g. under /library) first')
                st['proto'] = tok[1]
                continue
            if kw == '*origin':
                if len(tok) != 4:
                    raise err(ln, '*origin needs x y z (µm)')
                st['origin'] = tuple(num(t, ln, '*origin') * UM for t in tok[1:])
                continue
            if kw == '*start_cell':
                raise err(ln, '*start_cell (grafting cells) is not supported',
                          f'supported keywords: {", ".join(_P_FLAGS + _P_ARGS[:-1])}')
            raise err(ln, f'unknown keyword {kw!r}',
                      f'valid: {", ".join(_P_FLAGS + _P_ARGS[:-1])}')
        # data line
        off = 3 if st['double'] else 0
        if len(tok) < 6 + off:
            raise err(ln, f'expected at least {6 + off} fields, found {len(tok)}', datafmt)
        if (len(tok) - 6 - off) % 2:
            raise err(ln, 'channel list must be name/value pairs, found an odd number '
                      f'of fields after the diameter ({" ".join(tok[6 + off:])!r})', datafmt)
        name, pname = tok[0], tok[1]
        if name in byname:
            raise err(ln, f'duplicate compartment name {name!r} (first on line '
                      f'{comps[byname[name]].line})')
        if '/' in name or '[' in name or ']' in name:
            raise err(ln, f'bad compartment name {name!r}', "names may not contain '/', '[' or ']'")
        if pname == '.':
            if not comps:
                raise err(ln, "parent '.' (previous compartment) on the first compartment")
            par = len(comps) - 1
        elif pname in ('none', 'nil'):
            par = -1
        else:
            par = byname.get(pname)
            if par is None:
                raise err(ln, f'parent {pname!r} of {name!r} is not defined above',
                          f'defined: {", ".join(list(byname)[-8:]) or "none"}, ".", "none"')

        def point(a, b, c):
            a = num(a, ln, 'coordinate')
            b = num(b, ln, 'coordinate')
            c = num(c, ln, 'coordinate')
            if st['polar']:
                r, th, ph = a * UM, math.radians(b), math.radians(c)
                return np.array([r * math.sin(ph) * math.cos(th), r * math.sin(ph) * math.sin(th),
                                 r * math.cos(ph)])
            return np.array([a, b, c]) * UM

        p1 = point(*tok[2 + off:5 + off])
        p0 = point(*tok[2:5]) if st['double'] else None
        dia = num(tok[5 + off], ln, 'diameter') * UM
        if dia <= 0:
            raise err(ln, f'diameter {tok[5 + off]} must be > 0 µm', datafmt)
        if par >= 0:
            pe = np.array(comps[par].x1)
            if st['relative']:
                p1 = p1 + pe
                if p0 is not None:
                    p0 = p0 + pe
            if p0 is None:
                p0 = pe
            length = float(np.linalg.norm(p1 - p0))
        else:
            org = np.array(st['origin'])
            if not st['relative']:
                p1 = p1 + org if np.any(org) else p1
            length = float(np.linalg.norm(p1 - (p0 if p0 is not None else org)))
            if p0 is None:
                p0 = org
        check_size(ln, 'a diameter', dia)
        check_size(ln, 'a coordinate', max(np.max(np.abs(p0)), np.max(np.abs(p1))))
        check_size(ln, 'a length', length)
        chans = []
        for k in range(6 + off, len(tok), 2):
            chans.append((tok[k], num(tok[k + 1], ln, f'value of {tok[k]}')))
        eleak = st['EREST_ACT'] if (st['erest_set'] and not st['eleak_set']) else st['ELEAK']
        erest = st['ELEAK'] if (st['eleak_set'] and not st['erest_set']) else st['EREST_ACT']
        comps.append(PCompt(name, par, ln, tuple(p0), tuple(p1), dia, length, st['RM'],
                            st['RA'], st['CM'], eleak, erest, st['symmetric'], st['proto'],
                            chans))
        byname[name] = len(comps) - 1
    if in_comment:
        raise err(len(lines), 'unterminated /* comment')
    if not comps:
        raise err(0, 'no compartments', datafmt)
    return comps


def _p_surface(length, dia):
    return math.pi * dia * dia if length == 0 else math.pi * dia * length


def read_p(path, cellpath, **options):
    """Build a cell from a GENESIS ``.p`` file (MOOSE's ReadCell rules, see
    the module docstring).  Channel columns copy prototypes from
    ``/library``.  Returns the :class:`Neuron`."""
    from ..core import shell
    from ..core.msg import connect
    if options:
        raise ModelImportError(f'read_p({path}): unknown option(s) '
                               f'{", ".join(sorted(options))}; read_p takes no options')
    comps = parse_p(path)
    # every channel name must be a special word or a prototype in /library
    lib = shell.resolve('/library', must=False)[0]
    libnames = sorted(lib.children) if lib is not None else []
    for c in comps:
        for ch, _ in c.chans:
            if ch in _P_SPECIAL or ch in ('kinModel', 'm2c', 'c2m'):
                if ch in ('kinModel', 'm2c', 'c2m'):
                    raise _swc_error(path, c.line, f'{ch!r} columns are not supported')
                continue
            if ch not in libnames:
                where = ('/library has ' + ', '.join(libnames)) if lib is not None else \
                    'there is no /library'
                raise _swc_error(path, c.line, f'channel {ch!r} on {c.name!r} is not a prototype '
                                 f'in /library', f'{where}; also valid: {", ".join(_P_SPECIAL)}')
    _check_cellpath(cellpath, path)
    cell = Neuron(cellpath)
    try:
        cell.sourceFile = os.fspath(path)
        cell.RM, cell.RA, cell.CM, cell.Em = comps[0].RM, comps[0].RA, comps[0].CM, comps[0].Em
        made = []
        for c in comps:
            if c.proto:
                v = shell.copy(c.proto, cell, c.name)
                m = v[0]
            else:
                m = _comp_class(c.symmetric)(f'{cell.path}/{c.name}')
            area = _p_surface(c.length, c.dia)
            m.x0, m.y0, m.z0 = c.x0
            m.x, m.y, m.z = c.x1
            m.diameter = c.dia
            m.length = c.length
            m.Rm = c.RM / area
            m.Cm = c.CM * area
            m.Ra = (c.RA * c.length * 4.0 / (c.dia * c.dia * math.pi) if c.length > 0
                    else c.RA * 8.0 / (c.dia * math.pi))
            m.initVm = c.erest
            m.Em = c.Em
            m.Vm = c.erest
            if c.parent >= 0:
                pa = made[c.parent]
                if c.symmetric:
                    # MOOSE also joins siblings 'sibling' <-> 'sibling'; that
                    # link carries topology only, and moosepy's solvers find
                    # siblings from the shared parent, so it is not made
                    connect(pa, 'distal', m, 'proximal')
                else:
                    connect(pa, 'axial', m, 'raxial')
            made.append(m)
            for ch, val in c.chans:
                _p_channel(path, c, m, ch, val, area)
        cell._el.data['numBranches'] = None
    except BaseException:
        if shell.exists(cell.path):
            shell.delete(cell)
        raise
    return cell


def _p_channel(path, c, m, ch, val, area):
    from ..core import shell
    from ..core.msg import connect
    if ch == 'RA':
        m.Ra = (8.0 * val / (c.dia * math.pi) if c.length == 0
                else 4.0 * val * c.length / (c.dia * c.dia * math.pi))
        return
    if ch == 'RM':
        m.Rm = val / area
        return
    if ch == 'CM':
        m.Cm = val * area
        return
    if ch in ('Rm', 'Ra', 'Cm'):
        setattr(m, ch, val)
        return
    proto = shell.element('/library/' + ch)
    new = shell.copy(proto, m, '')[0]
    cname = new.className
    isa = new.isA
    if cname in ('HHChannel', 'HHChannel2D', 'SynChan', 'NMDAChan') or isa['ChanBase']:
        connect(m, 'channel', new, 'channel')
        new.Gbar = val * area if val > 0 else -val
    elif cname == 'SpikeGen':
        connect(m, 'VmOut', new, 'Vm')
        new.threshold = val
    elif isa['CaConcBase'] or cname == 'CaConc':
        thick = float(getattr(new, 'thick', 0.0))
        dia, L = c.dia, c.length
        if thick > dia / 2:
            thick = 0.0
        if val > 0:
            if L > 0:
                vol = (math.pi * L * (dia - thick) * thick if thick > 0
                       else dia * dia * math.pi * L / 4)
            else:
                inner = dia - 2 * thick
                vol = (math.pi * (dia ** 3 - inner ** 3) / 6 if thick > 0
                       else math.pi * dia ** 3 / 6)
            new.B = val / vol if vol > 0 else val
        else:
            new.B = -val
    _addmsgs(new)


def _addmsgs(chan):
    """GENESIS-style extra messages stored on a prototype as children named
    'addmsg*' whose string field 'value' reads 'src srcField dest destField'
    (paths relative to the channel)."""
    from ..core import shell
    from ..core.msg import connect
    for child in list(chan._el.children.values()):
        if not child.name.startswith('addmsg') or 'value' not in child.cls._fields:
            continue
        spec = str(child.handle(0).value).split()
        if len(spec) != 4:
            raise ModelImportError(f'{child.path}: addmsg value must be "src srcField dest '
                                   f'destField", got {" ".join(spec)!r}')
        old = shell.getCwe()
        shell.setCwe(chan)
        try:
            if not (shell.exists(spec[0]) and shell.exists(spec[2])):
                continue   # as MOOSE: messages whose ends are absent are skipped
            connect(shell.element(spec[0]), spec[1], shell.element(spec[2]), spec[3])
        finally:
            shell.setCwe(old)


__all__ = ['Neuron', 'read_swc', 'read_p', 'loadSwc', 'condense_swc', 'parse_swc', 'parse_p',
           'segment_table',
           'SwcData', 'Segment']
