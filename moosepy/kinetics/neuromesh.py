"""Chemical meshes on a neuron: ``NeuroMesh`` (the dendrite cut into voxels),
``SpineMesh`` (one voxel per spine head) and ``PsdMesh`` (one voxel per
postsynaptic density).

What this module owns
---------------------
* Turning a cell's electrical compartment tree (``subTree`` or
  ``subTreePath``) into chemical voxels of about ``diffLength``, with MOOSE's
  voxel order, volumes, parent voxels, coordinates and diffusion couplings.
* Picking out spines (``separateSpines``) by MOOSE's naming rule and
  handing them to a SpineMesh (``spineListOut`` -> ``spineList``) and a
  PsdMesh (``psdListOut`` -> ``psdList``).
* The couplings between these meshes (:meth:`SpineMesh._junctions`,
  :meth:`PsdMesh._junctions`, :meth:`NeuroMesh._junctions`), which Dsolve
  uses for dendrite - spine head - PSD exchange.

What it does not own: diffusion itself (:mod:`moosepy.kinetics.dsolve`), the
compartments (:mod:`moosepy.electrical`; this module finds them by class
name so that kinetics does not import electrical) and the shared mesh base
(:mod:`moosepy.kinetics.mesh`).

Geometry (as MOOSE 5.0's NeuroMesh, checked against pymoose 5.0.0)
------------------------------------------------------------------
Every compartment is a node at its end point (``x, y, z``) with its
``diameter`` and ``length``.  The tree comes from the axial messages; the
root is the fattest compartment named ``soma*`` (else the fattest).  The
root, and every child of a branch point, gets a "dummy" parent: the root's
at its own start (``x0, y0, z0``), a branch child's at the end of its parent;
the dummy has the child's diameter.  Those compartments take their length
from the straight line to that point; the others keep their ``length``
field.  A compartment is cut into ``n = max(1, floor(0.5 + L/diffLength))``
voxels; voxel ``j`` spans ``[j/n, (j+1)/n]`` of the line from the parent
node to the node, its radius interpolated linearly from the parent's to its
own (a frustum: volume pi*L/n*(r0^2 + r0 r1 + r1^2)/3).  Voxels are numbered
compartment by compartment in node order: depth first from the soma; with
``separateSpines`` MOOSE keeps the dendrite compartments in creation order
instead (here: tree order, the same for compartments created as siblings).

Coupling between a voxel and its parent voxel, g = area / distance [m], as
MOOSE's Dsolve computes it: (A_i + A_p) / (L_i + L_p), A the cross-section
at the middle of each voxel and L its length (``_diffusion_geometry``).
MOOSE's mesh stencil (``stencilRate``) differs: the cross-section at the
voxel's proximal face over the mean of the two lengths; it is reported, not
used.  The root voxel has parent -1 (MOOSE reports 2^32 - 1 in
``parentVoxel``).

Spines: with ``separateSpines`` a compartment whose name contains
``shaft`` or ``neck`` and that connects to a dendrite compartment is a spine
shaft; the first compartment connected to it whose name contains ``spine``
or ``head`` is its head (names are case-sensitive, as MOOSE's).  Spines are
ordered by their shafts.  Each sits on the dendrite voxel nearest to the
shaft's start (``x0, y0, z0``).  A spine head voxel is the head cylinder
(volume pi*dia^2/4*length of the head); a PSD voxel is a disc of the head's
diameter and ``thickness`` (default 50 nm).

MOOSE quirks kept (so that volumes equal MOOSE's): ``geometryPolicy``
'cylinder' set *before* the tree is built changes nothing (MOOSE gives the
compartments frustum shapes anyway; rdesigneur sets it first); set *after*,
it makes every compartment a cylinder of its own diameter.  Fixed here:
``diffLength`` changed after the build moves the spines to their new
dendrite voxels (MOOSE keeps the old indices), ``separateSpines`` and
``geometryPolicy`` changed after the build rebuild at once (MOOSE waits for
the next ``diffLength`` or ``subTree``), a SpineMesh or PsdMesh connected
after the build is filled at once, ``PsdMesh.thickness`` changes the PSD
volumes at once, and ``MeshEntry.DiffusionArea`` gives the face areas
towards each neighbour (MOOSE indexes them by the neighbour's voxel number).
"""

import logging
import math

import numpy as np

from ..core.element import Neutral, Vec
from ..core.errors import FieldError, SolverError
from ..core.fields import Field, LookupField, Src, Dest
from .mesh import ChemCompt, Geometry

_log = logging.getLogger('moosepy.kinetics')

#: MOOSE's ~0U for "no voxel" in its unsigned parentVoxel fields
_NO_VOXEL = 4294967295

_AXIAL_PORTS = frozenset((
    'axial', 'raxial', 'axialOut', 'raxialOut', 'handleAxial', 'handleRaxial',
    'proximal', 'distal', 'proximalOnly', 'proximalOut', 'distalOut', 'cylinder', 'sphere',
    'cylinderOut', 'raxialSym', 'raxialSphere', 'raxialCylinder', 'sibling', 'sumRaxialOut',
    'sumRaxial'))

_POLICIES = ('default', 'trousers', 'cylinder')


def _is_compartment(cls):
    return any(c.__name__ == 'CompartmentBase' for c in cls.__mro__)


def _is_shaft_name(name):
    return 'shaft' in name or 'neck' in name


def _is_head_name(name):
    return 'spine' in name or 'head' in name


class _Order:
    """Sort key of (element, index): position in the tree, parents first
    (MOOSE sorts by Id, i.e. creation order; the two agree for compartments
    made as siblings, as every loader and script does)."""

    def __init__(self):
        self._pos = {}

    def _child_pos(self, el):
        p = el.parent
        m = self._pos.get(id(p))
        if m is None:
            m = {name: k for k, name in enumerate(p.children)}
            self._pos[id(p)] = m
        return m.get(el.name, -1)

    def __call__(self, key):
        el, idx = key
        parts = []
        e = el
        while e.parent is not None:
            parts.append(self._child_pos(e))
            e = e.parent
        return tuple(reversed(parts)), idx


def _connected(key):
    """Compartments joined to *key* = (element, index) by axial messages,
    either direction."""
    el, idx = key
    out = []
    for m in el.msg_out:
        if m.srcField in _AXIAL_PORTS and _is_compartment(m.el2.cls):
            a, b = m.pairs()
            out.extend((m.el2, int(j)) for j in b[a == idx])
    for m in el.msg_in:
        if m.destField in _AXIAL_PORTS and _is_compartment(m.el1.cls):
            a, b = m.pairs()
            out.extend((m.el1, int(i)) for i in a[b == idx])
    seen, res = set(), []
    for k in out:
        t = (id(k[0]), k[1])
        if t not in seen and k[0].alive and not (k[0] is el and k[1] == idx):
            seen.add(t)
            res.append(k)
    return res


def _handle(key):
    return key[0].handle(key[1])


def _geom(key):
    """Compartment (x0, y0, z0), (x, y, z), diameter, length [m]."""
    el, i = key
    c = el.cols
    start = np.array([c['x0'][i], c['y0'][i], c['z0'][i]], dtype=float)
    end = np.array([c['x'][i], c['y'][i], c['z'][i]], dtype=float)
    return start, end, float(c['diameter'][i]), float(c['length'][i])


class _Node:
    """One node of MOOSE's NeuroMesh tree (a compartment, or a dummy)."""

    __slots__ = ('xyz', 'dia', 'length', 'ndiv', 'parent', 'children', 'start', 'key', 'cyl')

    def __init__(self, key):
        self.key = key
        self.parent = -1
        self.children = []
        self.start = 0
        self.cyl = False
        self.ndiv = 1
        if key is not None:
            _, end, dia, length = _geom(key)
            self.xyz, self.dia, self.length = end, dia, length

    def copy(self):
        n = _Node(None)
        n.key, n.xyz, n.dia, n.length = self.key, self.xyz.copy(), self.dia, self.length
        n.ndiv, n.parent, n.children = self.ndiv, self.parent, list(self.children)
        n.start, n.cyl = self.start, self.cyl
        return n

    @property
    def dummy(self):
        return self.ndiv == 0

    def radius_at(self, pa, frac):
        return 0.5 * (pa.dia * (1.0 - frac) + self.dia * frac)

    def voxel_volume(self, pa, j):
        n = self.ndiv
        if self.cyl:
            return self.length * self.dia ** 2 * math.pi / (4.0 * n)
        r0 = self.radius_at(pa, j / n)
        r1 = self.radius_at(pa, (j + 1) / n)
        return self.length / n * (r0 * r0 + r0 * r1 + r1 * r1) * math.pi / 3.0

    def face_area(self, pa, j):
        """Cross-section at the proximal face of voxel j [m^2]."""
        if self.cyl:
            return math.pi * self.dia ** 2 / 4.0
        r = self.radius_at(pa, j / self.ndiv)
        return math.pi * r * r

    def middle_area(self, pa, j):
        if self.cyl:
            return math.pi * self.dia ** 2 / 4.0
        r = self.radius_at(pa, (j + 0.5) / self.ndiv)
        return math.pi * r * r

    def coordinates(self, pa, j):
        f0, f1 = j / self.ndiv, (j + 1) / self.ndiv
        a = pa.xyz + f0 * (self.xyz - pa.xyz)
        b = pa.xyz + f1 * (self.xyz - pa.xyz)
        return np.concatenate([a, b, [self.radius_at(pa, f0), self.radius_at(pa, f1), 0.0, 0.0]])


class _Voxels:
    """The built NeuroMesh: nodes, per-voxel arrays and the spines found."""

    def __init__(self):
        self.nodes = []
        self.node_of = np.zeros(0, dtype=np.int64)   # voxel -> node
        self.volume = np.zeros(0)
        self.area = np.zeros(0)
        self.length = np.zeros(0)
        self.parent = np.zeros(0, dtype=np.int64)
        self.edges = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        self.mid = np.zeros((3, 0))
        self.shafts, self.heads, self.spine_node = [], [], []
        self.spine_voxel = np.zeros(0, dtype=np.int64)


def _default_voxels(diff_length):
    """MOOSE's unbuilt NeuroMesh: one cylindrical voxel diffLength long and
    wide (MOOSE reports NA*1e-9 m^3 for it, a unit slip; its MeshEntry has
    this volume)."""
    v = _Voxels()
    v.volume = np.array([math.pi / 4 * diff_length ** 3])
    v.area = np.array([math.pi / 4 * diff_length ** 2])
    v.length = np.array([diff_length])
    v.parent = np.array([-1], dtype=np.int64)
    v.node_of = np.array([-1], dtype=np.int64)
    v.mid = np.array([[diff_length / 2], [0.0], [0.0]])
    return v


def _build_tree(keys, order):
    """MOOSE's NeuroNode::buildTree: nodes depth first from the soma."""
    nodes = [_Node(k) for k in keys]
    if len(nodes) <= 1:
        return nodes, [], [], []
    index = {(id(k[0]), k[1]): i for i, k in enumerate(keys)}
    nbrs = []
    for k in keys:
        conn = sorted(_connected(k), key=order)
        nbrs.append([index[(id(c[0]), c[1])] for c in conn if (id(c[0]), c[1]) in index])
    keep = [i for i in range(len(nodes)) if nbrs[i]]
    if not keep:
        return [], [], [], []
    if len(keep) < len(nodes):
        remap = {old: new for new, old in enumerate(keep)}
        nodes = [nodes[i] for i in keep]
        nbrs = [[remap[j] for j in nbrs[i] if j in remap] for i in keep]
    start = _start_node(nodes)
    # depth-first traversal from the start node, children in sorted order
    new_of = {start: 0}
    tree = [nodes[start]]
    tree[0].parent, tree[0].children = -1, []
    stack = [(start, iter(nbrs[start]))]
    while stack:
        old, it = stack[-1]
        for c in it:
            if c not in new_of:
                new_of[c] = len(tree)
                node = nodes[c]
                node.parent, node.children = new_of[old], []
                tree[new_of[old]].children.append(len(tree))
                tree.append(node)
                stack.append((c, iter(nbrs[c])))
                break
        else:
            stack.pop()
    return tree, [], [], []


def _start_node(nodes):
    best, best_dia = -1, 0.0
    for i, n in enumerate(nodes):
        if n.key[0].name[:4].lower() == 'soma' and n.dia > best_dia:
            best, best_dia = i, n.dia
    if best < 0:
        for i, n in enumerate(nodes):
            if n.dia > best_dia:
                best, best_dia = i, n.dia
    return max(best, 0)


def _build_spiny_tree(keys, order):
    """MOOSE's NeuroNode::buildSpinyTree: dendrite nodes in sorted order,
    parents from a depth-first walk; spines (shaft, head, dendrite node)."""
    dend = [k for k in keys if not _is_shaft_name(k[0].name) and not _is_head_name(k[0].name)]
    index = {(id(k[0]), k[1]): i for i, k in enumerate(dend)}
    seen = [False] * len(dend)
    dparent = [-1] * len(dend)
    shafts, heads, spine_parent = [], [], []
    for root in range(len(dend)):
        if seen[root]:
            continue
        seen[root] = True
        stack = [(root, iter(sorted(_connected(dend[root]), key=order)))]
        while stack:
            cur, it = stack[-1]
            for c in it:
                j = index.get((id(c[0]), c[1]))
                if j is not None:
                    if not seen[j]:
                        seen[j] = True
                        dparent[j] = cur
                        stack.append((j, iter(sorted(_connected(dend[j]), key=order))))
                        break
                elif _is_shaft_name(c[0].name):
                    head = None
                    for h in sorted(_connected(c), key=order):
                        if _is_head_name(h[0].name):
                            head = h
                            break
                    shafts.append(c)
                    heads.append(head)
                    spine_parent.append(cur)
            else:
                stack.pop()
    srt = sorted(range(len(shafts)), key=lambda i: order(shafts[i]))
    shafts = [shafts[i] for i in srt]
    heads = [heads[i] for i in srt]
    spine_parent = [spine_parent[i] for i in srt]
    nodes = [_Node(k) for k in dend]
    for i, p in enumerate(dparent):
        if p >= 0:
            nodes[i].parent = p
            nodes[p].children.append(i)
    return nodes, shafts, heads, spine_parent


def _insert_dummies(nodes, cylinder):
    """MOOSE's insertDummyNodes: a dummy parent for each root (at the root
    compartment's start) and for each child of a branch point (at the
    parent's end); the child's length becomes the distance to its dummy."""
    def add(parent, self_i, xyz):
        d = nodes[self_i].copy()
        d.children = [self_i]
        d.ndiv = 0
        d.cyl = cylinder
        d.xyz = np.array(xyz, dtype=float)
        d.parent = parent
        nodes[self_i].parent = len(nodes)
        nodes[self_i].length = float(np.linalg.norm(nodes[self_i].xyz - d.xyz))
        nodes.append(d)
        return len(nodes) - 1

    num = len(nodes)
    for i in range(num):
        if nodes[i].parent == -1:
            add(-1, i, _geom(nodes[i].key)[0])
    i = 0
    while i < len(nodes):
        n = nodes[i]
        if not n.dummy and len(n.children) > 1:
            kids = list(n.children)
            n.children = [add(i, k, n.xyz) for k in kids]
        i += 1


def _layout(nodes, diff_length):
    """MOOSE's updateCoords and buildStencil: voxel arrays of the tree
    (vectorised over voxels; the per-node work is the parent lookup)."""
    v = _Voxels()
    v.nodes = nodes
    start = 0
    real = []
    for k, n in enumerate(nodes):
        if not n.dummy:
            n.ndiv = max(1, int(math.floor(0.5 + n.length / diff_length)))
            n.start = start
            start += n.ndiv
            real.append(k)
    nv = start
    nr = len(real)
    ndiv = np.empty(nr, dtype=np.int64)
    length = np.empty(nr)
    dia, pdia = np.empty(nr), np.empty(nr)
    xyz, pxyz = np.empty((nr, 3)), np.empty((nr, 3))
    cyl = np.empty(nr, dtype=bool)
    first_parent = np.full(nr, -1, dtype=np.int64)    # parent voxel of each first voxel
    first_L2 = np.zeros(nr)
    for r, k in enumerate(real):
        n = nodes[k]
        pa = nodes[n.parent]
        ndiv[r], length[r], dia[r], pdia[r], cyl[r] = n.ndiv, n.length, n.dia, pa.dia, n.cyl
        xyz[r], pxyz[r] = n.xyz, pa.xyz
        # MOOSE's getAdx for the first voxel of a node
        rp = pa
        if pa.dummy:
            if pa.parent == -1:
                continue
            rp = nodes[pa.parent]
            if rp.dummy:
                first_parent[r] = n.start - 1     # as MOOSE: named, not coupled
                first_L2[r] = np.nan
                continue
        first_parent[r] = rp.start + rp.ndiv - 1
        first_L2[r] = rp.length / rp.ndiv
    node_idx = np.repeat(np.arange(nr), ndiv)
    starts = np.cumsum(ndiv) - ndiv
    j = np.arange(nv) - starts[node_idx]
    n_v = ndiv[node_idx].astype(float)
    f0, f1, fm = j / n_v, (j + 1) / n_v, (j + 0.5) / n_v
    d, pd = dia[node_idx], pdia[node_idx]
    r0 = 0.5 * (pd * (1 - f0) + d * f0)
    r1 = 0.5 * (pd * (1 - f1) + d * f1)
    rm = 0.5 * (pd * (1 - fm) + d * fm)
    L1 = length[node_idx] / n_v
    c = cyl[node_idx]
    cyl_area = math.pi * d * d / 4.0
    vol = np.where(c, L1 * cyl_area, L1 * (r0 * r0 + r0 * r1 + r1 * r1) * math.pi / 3.0)
    area = np.where(c, cyl_area, math.pi * rm * rm)
    face = np.where(c, cyl_area, math.pi * r0 * r0)
    a = pxyz[node_idx] + f0[:, None] * (xyz - pxyz)[node_idx]
    b = pxyz[node_idx] + f1[:, None] * (xyz - pxyz)[node_idx]
    parent = np.arange(nv, dtype=np.int64) - 1
    L2 = L1.copy()
    parent[starts] = first_parent
    L2[starts] = first_L2
    coupled = (parent >= 0) & ~np.isnan(L2)
    i = np.nonzero(coupled)[0]
    v.node_of = np.asarray(real, dtype=np.int64)[node_idx]
    v.volume, v.area, v.length, v.parent = vol, area, L1, parent
    v.mid = (0.5 * (a + b)).T.copy()
    v.edges = (i.astype(np.int64), parent[i], face[i] / (0.5 * (L1[i] + L2[i])))
    return v


def _spine_voxels(v, shafts, spine_node):
    """MOOSE's updateShaftParents: the dendrite voxel nearest to each shaft's
    start, along the axis of the compartment it joins.  The fraction along
    the axis is computed in MOOSE's order (scalar products summed x, y, z;
    divided by the squared square root of the squared length): a spine
    whose start lies on a voxel boundary (spines every 4 um on voxels of
    1 um) goes to the voxel MOOSE picks, which the rounding of any other
    order can move by one."""
    out = np.zeros(len(shafts), dtype=np.int64)
    for s, (shaft, k) in enumerate(zip(shafts, spine_node)):
        nn = v.nodes[k]
        pn = v.nodes[nn.parent]
        c = _geom(shaft)[0]
        ax, ay, az = (float(x) for x in pn.xyz)
        bx, by, bz = (float(x) for x in nn.xyz)
        cx, cy, cz = (float(x) for x in c)
        ux, uy, uz = bx - ax, by - ay, bz - az
        dist = math.sqrt(ux * ux + uy * uy + uz * uz)
        f = ux * (cx - ax) + uy * (cy - ay) + uz * (cz - az)
        f = f / (dist * dist) if dist > 0 else 0.0
        if f < 0:
            idx = 0
        elif f > 1:
            idx = nn.ndiv - 1
        else:
            idx = min(int(f * nn.ndiv), nn.ndiv - 1)
        out[s] = nn.start + idx
    return out


def _warn_orphan_spines(keys, shafts, heads, where):
    """Spine compartments given in the subtree but on no dendrite of it are
    left out (as MOOSE, which says nothing); say which."""
    placed = {(id(k[0]), k[1]) for k in shafts} | {(id(k[0]), k[1]) for k in heads
                                                   if k is not None}
    orphans = [_handle(k).path for k in keys
               if (_is_shaft_name(k[0].name) or _is_head_name(k[0].name))
               and (id(k[0]), k[1]) not in placed]
    if orphans:
        _log.warning('%s: %d spine compartment(s) not joined to any dendrite compartment of '
                     'the subtree are left out: %s', where, len(orphans),
                     ', '.join(orphans[:5]) + (' ...' if len(orphans) > 5 else ''))


def _as_keys(obj, where):
    """(element, index) pairs of the compartments in *obj* (list of objects,
    vecs or paths)."""
    from ..core.shell import element as _element_of
    if isinstance(obj, (str, Neutral, Vec)):
        obj = [obj]
    keys = []
    for o in obj:
        if isinstance(o, str):
            o = _element_of(o)
        if isinstance(o, Vec):
            el = o._element()
            keys.extend((el, i) for i in range(el.num))
        elif isinstance(o, Neutral):
            keys.append((o._element(), o._idx))
        else:
            raise FieldError(f'{where}: expected compartments (objects, vecs or paths), got '
                             f'{o!r}')
    return keys


class NeuroMesh(ChemCompt):
    """Chemical compartment on a neuron: the compartments of ``subTree`` (or
    ``subTreePath``) cut into voxels of about ``diffLength``.  With
    ``separateSpines`` the spines go to a SpineMesh and PsdMesh joined by
    ``spineListOut`` -> ``spineList`` and ``psdListOut`` -> ``psdList``.
    See the module docstring for the geometry."""

    mesh_type = 2     # MOOSE's MeshEntry meshType: CYL

    subTree = Field(None, '', 'Compartments in which to embed the chemistry (list of '
                    'objects); reads back elecComptList', type='vector', stored=False)
    subTreePath = Field('Undefined', '', 'Wildcard path of the compartments to embed',
                        type='string')
    separateSpines = Field(False, '', "Put compartments named *shaft*/*neck* and "
                           "*spine*/*head* into the SpineMesh and PsdMesh", type='bool')
    numSegments = Field(1, '', 'Number of electrical compartments in the mesh',
                        type='unsigned int', ro=True, stored=False)
    numDiffCompts = Field(1, '', 'Number of voxels', type='unsigned int', ro=True,
                          stored=False)
    parentVoxel = Field(None, '', 'Parent voxel of each voxel (4294967295 for a root, as '
                        'MOOSE)', type='vector<unsigned int>', ro=True, stored=False)
    elecComptList = Field(None, '', 'Electrical compartments in node order', type='vector',
                          ro=True, stored=False)
    elecComptMap = Field(None, '', 'Electrical compartment of each voxel', type='vector',
                         ro=True, stored=False)
    startVoxelInCompt = Field(None, '', 'First voxel of each compartment of elecComptList',
                              type='vector<unsigned int>', ro=True, stored=False)
    endVoxelInCompt = Field(None, '', 'One past the last voxel of each compartment',
                            type='vector<unsigned int>', ro=True, stored=False)
    spineVoxelOnDendVoxel = Field(None, '', 'Spine index on each dendrite voxel, -1 if none',
                                  type='vector<int>', ro=True, stored=False)
    diffLength = Field(1e-6, 'm', 'Target voxel length (each compartment gets a whole '
                       'number of voxels)')
    geometryPolicy = Field('default', '', "'default', 'trousers' or 'cylinder' (see the "
                           'module docstring)', type='string')
    dendVoxelsOnCompartment = LookupField('object', 'vector<unsigned int>', '',
                                          'Voxels on one dendrite compartment')
    spineVoxelsOnCompartment = LookupField('object', 'vector<unsigned int>', '',
                                           'Spine voxels of one spine shaft or head '
                                           'compartment')

    ports = (Src('spineListOut', 'vector<Id>,vector<Id>,vector<unsigned int>',
                 'Sends spine shafts, heads and their dendrite voxels to a SpineMesh'),
             Src('psdListOut', 'vector,vector<Id>,vector<unsigned int>',
                 'Sends PSD discs (8 numbers each), heads and spine indices to a PsdMesh'))

    # ------------------------------------------------------------ state
    def _state(self):
        st = self._el.data.setdefault('neuromesh', {})
        v = st.get(self._idx)
        if v is None:
            v = _default_voxels(float(self._el.cols['diffLength'][self._idx]))
            v.built = False
            st[self._idx] = v
        return v

    def _voxel_volumes(self):
        return self._state().volume

    def _diffusion_geometry(self):
        """Couplings from the parent voxels, g = (A_i + A_p) / (L_i + L_p)
        with the voxels' middle cross-sections: what MOOSE's Dsolve uses
        (FastMatrixElim::buildForDiffusion), not the mesh's stencil."""
        v = self._state()
        return Geometry(v.volume, v.area, v.length, v.parent, None, v.mid)

    def _voxel_coordinates(self, i):
        v = self._state()
        if not v.built:
            d = float(self._el.cols['diffLength'][self._idx])
            return np.array([0, 0, 0, d, 0, 0, d / 2, d / 2, 0, 0], dtype=float)
        n = v.nodes[v.node_of[i]]
        return n.coordinates(v.nodes[n.parent], i - n.start)

    def _face_areas(self, vox, nb, g, geom):
        """Cross-section [m^2] between voxel *vox* and each neighbour: the
        mean of the two voxels' middle cross-sections (g times the mean of
        the two voxel lengths)."""
        return g * 0.5 * (geom.length[vox] + geom.length[nb])

    def _lookup_stencilIndex(self, i):
        return self._stencil(i)[0]

    def _lookup_stencilRate(self, i):
        return self._stencil(i)[1]

    def _stencil(self, i):
        """MOOSE's NeuroMesh stencil: g = proximal face area / mean voxel
        length (reported by stencilRate; MOOSE's Dsolve does not use it)."""
        v = self._state()
        self._check_voxel(i, len(v.volume), 'stencilRate')
        g = Geometry(v.volume, v.area, v.length, v.parent, v.edges, v.mid)
        nb, gg = g.neighbours(int(i))
        o = np.argsort(nb, kind='stable')     # MOOSE's rows are sorted by column
        return nb[o], gg[o]

    # ------------------------------------------------------------ build
    def _compartment_keys(self, obj, where):
        keys = [k for k in _as_keys(obj, where) if _is_compartment(k[0].cls)]
        order = _Order()
        uniq = {}
        for k in keys:
            uniq.setdefault((id(k[0]), k[1]), k)
        return sorted(uniq.values(), key=order), order

    def _build(self, keys, order):
        """Build from sorted compartment keys; send the spines on."""
        c, i = self._el.cols, self._idx
        where = f'{self.path} (NeuroMesh).subTree'
        if not keys:
            raise FieldError(f'{where}: no compartments given (expected objects derived '
                             f'from CompartmentBase)')
        spiny = bool(c['separateSpines'][i])
        if spiny:
            nodes, shafts, heads, spine_node = _build_spiny_tree(keys, order)
            if not nodes:
                raise FieldError(f'{where}: only spine compartments (names with shaft, neck, '
                                 f'spine or head) were given; no dendrite to build on')
            _warn_orphan_spines(keys, shafts, heads, where)
            for s, h in zip(shafts, heads):
                if h is None:
                    raise FieldError(f'{where}: spine shaft {_handle(s).path} has no head '
                                     f'(a connected compartment named *spine* or *head*)')
        else:
            nodes, shafts, heads, spine_node = _build_tree(keys, order)
            if not nodes:
                raise FieldError(f'{where}: none of the {len(keys)} compartments is joined to '
                                 f'another by an axial message; no tree to build')
        _insert_dummies(nodes, str(c['geometryPolicy'][i]) == 'cylinder')
        self._relayout(nodes, shafts, heads, spine_node)

    def _relayout(self, nodes, shafts, heads, spine_node):
        c, i = self._el.cols, self._idx
        dl = float(c['diffLength'][i])
        old = self._voxel_volumes().copy()
        v = _layout(nodes, dl)
        v.built = True
        v.shafts, v.heads, v.spine_node = shafts, heads, spine_node
        v.spine_voxel = _spine_voxels(v, shafts, spine_node)
        self._el.data.setdefault('neuromesh', {})[self._idx] = v
        self._after_geometry_change(old)
        self._transmit()

    def _transmit(self):
        """Send the spines to the SpineMeshes and PsdMeshes connected to
        spineListOut and psdListOut (only with separateSpines, as MOOSE)."""
        v = self._state()
        if not v.built or not bool(self._el.cols['separateSpines'][self._idx]):
            return
        for m in self._el.msg_out:
            if m.srcField == 'spineListOut':
                for j in m.targets(self._idx):
                    m.el2.handle(int(j))._spine_list(v.shafts, v.heads, v.spine_voxel, self)
            elif m.srcField == 'psdListOut':
                for j in m.targets(self._idx):
                    m.el2.handle(int(j))._psd_list(v.shafts, v.heads, self)

    @classmethod
    def _on_connect(cls, el, msg):
        if msg.el1 is el and msg.srcField in ('spineListOut', 'psdListOut'):
            a, _ = msg.pairs()
            for i in set(int(x) for x in a):
                el.handle(i)._transmit()

    def _set_subTree(self, v):
        keys, order = self._compartment_keys(v, f'{self.path} (NeuroMesh).subTree')
        self._build(keys, order)
        self._el.cols['subTreePath'][self._idx] = 'Undefined: subTree set as a compartment list'
        self._el.data.setdefault('neuromesh_keys', {})[self._idx] = keys

    def _get_subTree(self):
        return self._get_elecComptList()

    def _set_subTreePath(self, path):
        from ..core.shell import wildcardFind
        found = wildcardFind(path)
        keys, order = self._compartment_keys(found, f'{self.path} (NeuroMesh).subTreePath')
        if not keys:
            raise FieldError(f"{self.path} (NeuroMesh).subTreePath: '{path}' finds no "
                             f"compartments (found {len(found)} objects)")
        self._build(keys, order)
        self._el.cols['subTreePath'][self._idx] = path
        self._el.data.setdefault('neuromesh_keys', {})[self._idx] = keys

    def _rebuild(self):
        keys = self._el.data.get('neuromesh_keys', {}).get(self._idx)
        if keys is not None:
            keys = [k for k in keys if k[0].alive]
            order = _Order()
            self._build(sorted(keys, key=order), order)

    def _set_separateSpines(self, v):
        c, i = self._el.cols, self._idx
        if bool(v) != bool(c['separateSpines'][i]):
            c['separateSpines'][i] = bool(v)
            self._rebuild()

    def _set_diffLength(self, v):
        if not (v > 0 and math.isfinite(v)):
            raise FieldError(f'{self.path} (NeuroMesh).diffLength: expected a length > 0 [m], '
                             f'got {v}')
        self._el.cols['diffLength'][self._idx] = v
        st = self._state()
        if st.built:
            self._relayout(st.nodes, st.shafts, st.heads, st.spine_node)
        else:
            old = st.volume.copy()
            self._el.data['neuromesh'].pop(self._idx, None)
            self._after_geometry_change(old)

    def _set_geometryPolicy(self, v):
        p = str(v).lower()
        if p not in _POLICIES:
            raise FieldError(f"{self.path} (NeuroMesh).geometryPolicy: unknown policy {v!r}; "
                             f"valid: {', '.join(_POLICIES)}")
        c, i = self._el.cols, self._idx
        if p == c['geometryPolicy'][i]:
            return
        c['geometryPolicy'][i] = p
        st = self._state()
        if st.built:
            for n in st.nodes:
                n.cyl = p == 'cylinder'
            self._relayout(st.nodes, st.shafts, st.heads, st.spine_node)

    def _set_volume(self, v):
        raise FieldError(f'{self.path} (NeuroMesh).volume: set by the cell geometry '
                         f'(subTree, diffLength); it cannot be assigned')

    # ------------------------------------------------------------ fields
    def _get_numSegments(self):
        v = self._state()
        return sum(1 for n in v.nodes if not n.dummy) if v.built else 1

    def _get_numDiffCompts(self):
        return len(self._state().volume)

    def _get_parentVoxel(self):
        p = self._state().parent
        return np.where(p < 0, _NO_VOXEL, p).astype(np.int64)

    def _real_nodes(self):
        v = self._state()
        return [n for n in v.nodes if not n.dummy] if v.built else []

    def _get_elecComptList(self):
        return [_handle(n.key) for n in self._real_nodes()]

    def _get_elecComptMap(self):
        v = self._state()
        if not v.built:
            return []
        return [_handle(v.nodes[k].key) for k in v.node_of]

    def _get_startVoxelInCompt(self):
        return np.array([n.start for n in self._real_nodes()], dtype=np.int64)

    def _get_endVoxelInCompt(self):
        return np.array([n.start + n.ndiv for n in self._real_nodes()], dtype=np.int64)

    def _get_spineVoxelOnDendVoxel(self):
        v = self._state()
        out = np.full(len(v.volume), -1, dtype=np.int64)
        out[v.spine_voxel] = np.arange(len(v.spine_voxel))
        return out

    def _key_of(self, obj, field):
        keys = _as_keys(obj, f'{self.path} (NeuroMesh).{field}')
        if len(keys) != 1:
            raise FieldError(f'{self.path} (NeuroMesh).{field}: expected one compartment, '
                             f'got {len(keys)}')
        return keys[0]

    def _lookup_dendVoxelsOnCompartment(self, obj):
        el, i = self._key_of(obj, 'dendVoxelsOnCompartment')
        out = []
        for n in self._real_nodes():
            if n.key[0] is el and n.key[1] == i:
                out.extend(range(n.start, n.start + n.ndiv))
        return np.array(out, dtype=np.int64)

    def _lookup_spineVoxelsOnCompartment(self, obj):
        el, i = self._key_of(obj, 'spineVoxelsOnCompartment')
        v = self._state()
        out = [s for s, (a, b) in enumerate(zip(v.shafts, v.heads))
               if (a[0] is el and a[1] == i) or (b is not None and b[0] is el and b[1] == i)]
        return np.array(out, dtype=np.int64)

    # ------------------------------------------------------------ junctions
    def _junctions(self, other):
        """Couplings to *other* (a SpineMesh filled by this NeuroMesh):
        (my voxels, other voxels, g [m]); see :meth:`SpineMesh._junctions`.
        None for other kinds of mesh (Dsolve then asks the other side)."""
        if isinstance(other, SpineMesh):
            a, b, g = other._junctions(self)
            return b, a, g
        return None


class _SpineState:
    def __init__(self):
        self.built = False
        self.source = None             # (element, index) of the NeuroMesh
        self.shafts, self.heads = [], []
        self.neuron_voxel = np.zeros(1, dtype=np.int64)
        # MOOSE's default spine: shaft 1 um from the origin along x, head 1 um on
        self.root = np.zeros((1, 3))
        self.shaft_end = np.array([[1e-6, 0, 0]])
        self.head_end = np.array([[2e-6, 0, 0]])
        self.shaft_dia = np.array([1e-6])
        self.shaft_len = np.array([1e-6])
        self.head_dia = np.array([1e-6])
        self.head_len = np.array([1e-6])


def _spine_arrays(shafts, heads):
    n = len(shafts)
    st = _SpineState()
    st.root, st.shaft_end, st.head_end = np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3))
    st.shaft_dia, st.shaft_len = np.zeros(n), np.zeros(n)
    st.head_dia, st.head_len = np.zeros(n), np.zeros(n)
    for s, (a, b) in enumerate(zip(shafts, heads)):
        st.root[s], st.shaft_end[s], st.shaft_dia[s], st.shaft_len[s] = _geom(a)
        _, st.head_end[s], st.head_dia[s], st.head_len[s] = _geom(b)
    st.shafts, st.heads = list(shafts), list(heads)
    st.built = True
    return st


class SpineMesh(ChemCompt):
    """One voxel per spine head, filled by a NeuroMesh through
    ``spineListOut`` -> ``spineList``.  A voxel is the head as a cylinder
    (its compartment's diameter and length); voxels are not coupled to each
    other.  Default before filling: one spine of 1 um (1e-18 m^3), as MOOSE."""

    mesh_type = 2     # CYL

    parentVoxel = Field(None, '', 'Parent voxel inside this mesh: none (4294967295) for '
                        'each spine, as MOOSE', type='vector<unsigned int>', ro=True,
                        stored=False)
    neuronVoxel = Field(None, '', 'NeuroMesh voxel each spine sits on',
                        type='vector<unsigned int>', ro=True, stored=False)
    elecComptMap = Field(None, '', 'Head compartment of each voxel', type='vector', ro=True,
                         stored=False)
    elecComptList = Field(None, '', 'Head compartments (as elecComptMap)', type='vector',
                          ro=True, stored=False)
    startVoxelInCompt = Field(None, '', 'First voxel of each head: 0, 1, 2, ...',
                              type='vector<unsigned int>', ro=True, stored=False)
    endVoxelInCompt = Field(None, '', 'One past the voxel of each head: 1, 2, 3, ...',
                            type='vector<unsigned int>', ro=True, stored=False)

    ports = (Dest('spineList', 'vector<Id>,vector<Id>,vector<unsigned int>',
                  'Receives spine shafts, heads and their NeuroMesh voxels'),)

    def _sstate(self):
        st = self._el.data.setdefault('spinemesh', {})
        s = st.get(self._idx)
        if s is None:
            s = st[self._idx] = _SpineState()
        return s

    def _spine_list(self, shafts, heads, neuron_voxel, source):
        old = self._voxel_volumes().copy()
        s = _spine_arrays(shafts, heads)
        s.neuron_voxel = np.asarray(neuron_voxel, dtype=np.int64).copy()
        s.source = (source._el, source._idx)
        self._el.data.setdefault('spinemesh', {})[self._idx] = s
        self._after_geometry_change(old)

    def _voxel_volumes(self):
        s = self._sstate()
        if not s.built:
            return np.array([1e-18])      # MOOSE's voxelVolume before filling
        return s.head_len * s.head_dia ** 2 * math.pi / 4.0

    def _diffusion_geometry(self):
        s = self._sstate()
        n = len(s.head_dia)
        mid = (0.5 * (s.shaft_end + s.head_end)).T
        none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return Geometry(self._voxel_volumes(), math.pi / 4 * s.shaft_dia ** 2, s.shaft_len.copy(),
                        np.full(n, -1, dtype=np.int64), none, mid)

    def _voxel_coordinates(self, i):
        """head xyz, shaft end xyz, shaft start xyz, head dia, shaft dia [m]."""
        s = self._sstate()
        return np.concatenate([s.head_end[i], s.shaft_end[i], s.root[i],
                               [s.head_dia[i], s.shaft_dia[i]]])

    def _face_areas(self, v, nb, g, geom):
        return np.zeros(0)

    def _get_parentVoxel(self):
        return np.full(len(self._sstate().head_dia), _NO_VOXEL, dtype=np.int64)

    def _get_neuronVoxel(self):
        s = self._sstate()
        return s.neuron_voxel.copy() if s.built else np.zeros(1, dtype=np.int64)

    def _get_elecComptMap(self):
        s = self._sstate()
        if not s.built:
            from ..core.element import root
            return [root().handle(0)]      # MOOSE's default spine has no compartment
        return [_handle(h) for h in s.heads]

    def _get_elecComptList(self):
        return self._get_elecComptMap()

    def _get_startVoxelInCompt(self):
        return np.arange(len(self._sstate().heads), dtype=np.int64)

    def _get_endVoxelInCompt(self):
        return np.arange(1, len(self._sstate().heads) + 1, dtype=np.int64)

    def _set_volume(self, v):
        raise FieldError(f'{self.path} (SpineMesh).volume: set by the spine heads; it cannot '
                         f'be assigned')

    def _refresh_spine(self, v):
        """Read spine *v*'s shaft and head compartments again (a Spine
        field resized them; moosepy.electrical.spine).  Returns the head
        voxel's (old, new) volume [m^3]; the pools are the caller's."""
        s = self._sstate()
        if not s.built or not 0 <= v < len(s.heads):
            return 0.0, 0.0
        old = float(self._voxel_volumes()[v])
        s.root[v], s.shaft_end[v], s.shaft_dia[v], s.shaft_len[v] = _geom(s.shafts[v])
        _, s.head_end[v], s.head_dia[v], s.head_len[v] = _geom(s.heads[v])
        self._el.data.pop('_voxvol', None)
        return old, float(self._voxel_volumes()[v])

    def _junctions(self, other):
        """Couplings between spine heads and another mesh, as arrays
        (my voxels, other voxels, g [m]); the flux from mine to theirs is
        D * g * (C_mine - C_other).

        * with the NeuroMesh that filled this mesh: head i <-> its dendrite
          voxel ``neuronVoxel[i]``, g = neck cross-section / neck length =
          (pi * shaft_dia^2 / 4) / shaft ``length`` (MOOSE's
          SpineMesh::matchNeuroMeshEntries);
        * with a PsdMesh filled from the same NeuroMesh: head i <-> PSD i,
          g as :meth:`PsdMesh._junctions`;
        * None for other kinds of mesh (Dsolve then asks the other side).

        A NeuroMesh or PsdMesh that was not joined to this mesh through the
        same NeuroMesh raises :class:`SolverError` (the meshes do not touch).
        """
        s = self._sstate()
        if isinstance(other, NeuroMesh):
            if s.source is None or s.source[0] is not other._el or s.source[1] != other._idx:
                raise SolverError(self._not_joined(other, 'spineListOut -> spineList'))
            n = len(s.heads)
            g = (math.pi / 4 * s.shaft_dia ** 2) / s.shaft_len
            return np.arange(n, dtype=np.int64), s.neuron_voxel.copy(), g
        if isinstance(other, PsdMesh):
            a, b, g = other._junctions(self)
            return b, a, g
        return None

    def _not_joined(self, other, how):
        return (f'{self.path} ({self.className}) and {other.path} ({other.className}) do not '
                f'touch: {self.path} was not filled by {other.path} (connect {how} and set '
                f'its subTree)')


class PsdMesh(ChemCompt):
    """One voxel per postsynaptic density, filled by a NeuroMesh through
    ``psdListOut`` -> ``psdList``: a disc of the spine head's diameter and
    ``thickness``, centred midway along the head.  Default before filling:
    one disc of 5e-21 m^3, as MOOSE."""

    mesh_type = 9     # MOOSE's MeshEntry meshType: DISK

    thickness = Field(50e-9, 'm', 'Thickness of each PSD; a voxel is area * thickness')
    neuronVoxel = Field(None, '', 'Spine (SpineMesh voxel) under each PSD (MOOSE names it '
                        'neuronVoxel)', type='vector<unsigned int>', ro=True, stored=False)
    elecComptMap = Field(None, '', 'Head compartment of each voxel', type='vector', ro=True,
                         stored=False)
    elecComptList = Field(None, '', 'Head compartments (as elecComptMap)', type='vector',
                          ro=True, stored=False)
    startVoxelInCompt = Field(None, '', 'First voxel of each head: 0, 1, 2, ...',
                              type='vector<unsigned int>', ro=True, stored=False)
    endVoxelInCompt = Field(None, '', 'One past the voxel of each head: 1, 2, 3, ...',
                            type='vector<unsigned int>', ro=True, stored=False)

    ports = (Dest('psdList', 'vector,vector<Id>,vector<unsigned int>',
                  'Receives PSD discs (centre xyz, normal xyz, diameter, distance to the '
                  'head middle), head compartments and spine indices'),)

    def _pstate(self):
        st = self._el.data.setdefault('psdmesh', {})
        p = st.get(self._idx)
        if p is None:
            p = st[self._idx] = {'built': False, 'centre': np.zeros((1, 3)),
                                 'normal': np.zeros((1, 3)), 'dia': np.array([2 * math.sqrt(
                                     1e-13 / math.pi)]), 'dist': np.array([1e-6]),
                                 'spine': np.zeros(1, dtype=np.int64), 'heads': [],
                                 'source': None}
        return p

    def _psd_list(self, shafts, heads, source):
        old = self._voxel_volumes().copy()
        s = _spine_arrays(shafts, heads)
        centre = 0.5 * (s.shaft_end + s.head_end)
        normal = s.head_end - centre
        self._el.data.setdefault('psdmesh', {})[self._idx] = {
            'built': True, 'centre': centre, 'normal': normal, 'dia': s.head_dia.copy(),
            'dist': np.linalg.norm(normal, axis=1), 'spine': np.arange(len(heads),
                                                                       dtype=np.int64),
            'heads': list(heads), 'source': (source._el, source._idx)}
        self._after_geometry_change(old)

    def _areas(self):
        return math.pi / 4 * self._pstate()['dia'] ** 2

    def _voxel_volumes(self):
        p = self._pstate()
        if not p['built']:
            return np.array([5e-21])
        return self._areas() * float(self._el.cols['thickness'][self._idx])

    def _get_numDimensions(self):
        return 2

    def _diffusion_geometry(self):
        p = self._pstate()
        n = len(p['dia'])
        none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        # MOOSE's midpoint: halfway between the disc centre and its "parent"
        # point, one normal length below the centre
        mid = (p['centre'] - 0.5 * p['normal']).T
        return Geometry(self._voxel_volumes(), self._areas(), p['dist'].copy(),
                        np.full(n, -1, dtype=np.int64), none, mid)

    def _voxel_coordinates(self, i):
        """centre xyz, normal xyz, diameter [m]."""
        p = self._pstate()
        return np.concatenate([p['centre'][i], p['normal'][i], [p['dia'][i]]])

    def _face_areas(self, v, nb, g, geom):
        return np.array([self._areas()[v]])

    def _set_thickness(self, v):
        if not (v > 0 and math.isfinite(v)):
            raise FieldError(f'{self.path} (PsdMesh).thickness: expected a thickness > 0 [m], '
                             f'got {v}')
        old = self._voxel_volumes().copy()
        self._el.cols['thickness'][self._idx] = v
        if self._pstate()['built']:
            self._after_geometry_change(old)

    def _get_neuronVoxel(self):
        return self._pstate()['spine'].copy()

    def _get_elecComptMap(self):
        return [_handle(h) for h in self._pstate()['heads']]

    def _get_elecComptList(self):
        return self._get_elecComptMap()

    def _get_startVoxelInCompt(self):
        return np.arange(len(self._pstate()['heads']), dtype=np.int64)

    def _get_endVoxelInCompt(self):
        return np.arange(1, len(self._pstate()['heads']) + 1, dtype=np.int64)

    def _set_volume(self, v):
        raise FieldError(f'{self.path} (PsdMesh).volume: set by the spine heads and '
                         f'thickness; it cannot be assigned')

    def _refresh_psd(self, v):
        """Read PSD *v*'s head compartment again (a Spine field resized it):
        the disc takes the head's diameter, centred midway along the head.
        Returns its (old, new) volume [m^3]; the pools are the caller's."""
        p = self._pstate()
        if not p['built'] or not 0 <= v < len(p['heads']):
            return 0.0, 0.0
        old = float(self._voxel_volumes()[v])
        start, end, dia, _ = _geom(p['heads'][v])
        p['centre'][v] = 0.5 * (start + end)
        p['normal'][v] = end - p['centre'][v]
        p['dist'][v] = float(np.linalg.norm(p['normal'][v]))
        p['dia'][v] = dia
        self._el.data.pop('_voxvol', None)
        return old, float(self._voxel_volumes()[v])

    def _junctions(self, other):
        """Couplings between PSDs and the SpineMesh filled by the same
        NeuroMesh: (my voxels, spine voxels, g [m]); PSD i <-> head i,
        g = disc area / distance = (pi * head_dia^2 / 4) / d, d = half the
        distance from the shaft's end to the head's end (MOOSE's
        PsdMesh::matchSpineMeshEntries).  None for other kinds of mesh;
        :class:`SolverError` for a SpineMesh filled by another NeuroMesh."""
        p = self._pstate()
        if isinstance(other, SpineMesh):
            src = other._sstate().source
            if p['source'] is None or src is None or p['source'][0] is not src[0] \
                    or p['source'][1] != src[1]:
                raise SolverError(
                    f'{self.path} (PsdMesh) and {other.path} (SpineMesh) do not touch: they '
                    f'were not filled by the same NeuroMesh (psdListOut -> psdList, '
                    f'spineListOut -> spineList)')
            n = len(p['dia'])
            return np.arange(n, dtype=np.int64), p['spine'].copy(), self._areas() / p['dist']
        return None


class EndoMesh(ChemCompt):
    """Organelle (e.g. ER) inside another compartment, its ``surround``: one
    voxel per surround voxel, of volume ``vScale * V^vPower`` and membrane
    area ``aScale * V^aPower`` (V the surround voxel's volume), at the same
    midpoints.  ``rScale`` sets ``vScale = rScale^(1/rPower)``, as MOOSE.
    Voxels are coupled along the surround's tree only with
    ``doAxialDiffusion``.  Without a surround: MOOSE's default (one 10 um
    cube of 1e-15 m^3).

    Difference from MOOSE 5.0, on purpose: the voxel lengths used for axial
    diffusion are the surround's (MOOSE returns the endo volumes as
    lengths)."""

    mesh_type = 10    # MOOSE's MeshEntry meshType: ENDO

    rPower = Field(1.0 / 3.0, '', 'rEndo = rScale * V^rPower (V: surround voxel volume)')
    rScale = Field(0.5, '', 'rEndo = rScale * V^rPower; also sets vScale = rScale^(1/rPower)')
    aPower = Field(0.5, '', 'Area of an endo voxel = aScale * V^aPower')
    aScale = Field(0.25, '', 'Area of an endo voxel = aScale * V^aPower')
    vPower = Field(1.0, '', 'Volume of an endo voxel = vScale * V^vPower')
    vScale = Field(0.125, '', 'Volume of an endo voxel = vScale * V^vPower')
    surround = Field(None, '', 'The compartment (ChemCompt) this one sits in', type='object',
                     stored=False)
    doAxialDiffusion = Field(False, '', 'Couple the endo voxels along the surround\'s tree '
                             '(CylMesh, NeuroMesh)', type='bool')
    elecComptMap = Field(None, '', "Electrical compartment of each voxel (the surround's)",
                         type='vector', ro=True, stored=False)

    def _surround_handle(self):
        s = self._el.data.get('surround', {}).get(self._idx)
        if s is None or not s[0].alive:
            return None
        return s[0].handle(s[1])

    def _surround_volumes(self):
        s = self._surround_handle()
        return np.array([1e-15]) if s is None else np.asarray(s._voxel_volumes(), dtype=float)

    def _scaled(self, vs):
        c, i = self._el.cols, self._idx
        return float(c['vScale'][i]) * vs ** float(c['vPower'][i])

    def _voxel_volumes(self):
        return self._scaled(self._surround_volumes())

    def _diffusion_geometry(self):
        c, i = self._el.cols, self._idx
        s = self._surround_handle()
        vs = self._surround_volumes()
        n = len(vs)
        area = float(c['aScale'][i]) * vs ** float(c['aPower'][i])
        if s is None:
            length, parent, mid = np.full(n, 10e-6), np.full(n, -1), np.full((3, n), 5e-6)
        else:
            g = s._diffusion_geometry()
            length, mid = g.length, g.midpoints
            parent = g.parent if bool(c['doAxialDiffusion'][i]) else np.full(n, -1)
        edges = None if bool(c['doAxialDiffusion'][i]) and s is not None else \
            (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return Geometry(self._scaled(vs), area, length, parent, edges, mid)

    def _voxel_coordinates(self, v):
        """Middle of the surround voxel and the diameter of a sphere of the
        endo voxel's volume [m] (empty when the surround gives no ends)."""
        s = self._surround_handle()
        if s is None:
            return np.zeros(0)
        t = np.asarray(s._voxel_coordinates(v), dtype=float)
        if len(t) <= 6:
            return np.zeros(0)
        vol = self._voxel_volumes()[v]
        return np.concatenate([0.5 * (t[0:3] + t[3:6]), [2.0 * (vol * 3.0 / (4.0 * math.pi))
                                                          ** (1.0 / 3.0)]])

    def _face_areas(self, v, nb, g, geom):
        return g * 0.5 * (geom.length[v] + geom.length[nb])

    def _get_surround(self):
        return self._surround_handle()

    def _set_surround(self, v):
        from ..core.shell import element as _element_of
        h = _element_of(v) if isinstance(v, str) else v
        if isinstance(h, Vec):
            h = h._element().handle(0)
        if not isinstance(h, ChemCompt):
            raise FieldError(f'{self.path} (EndoMesh).surround: expected a chemical '
                             f'compartment (ChemCompt), got {getattr(h, "path", h)!r} '
                             f'({getattr(h, "className", type(h).__name__)})')
        if h._el is self._el:
            raise FieldError(f'{self.path} (EndoMesh).surround: a compartment cannot surround '
                             f'itself')
        old = self._voxel_volumes().copy()
        prev = self._el.data.get('surround', {}).get(self._idx)
        if prev is not None and prev[0].alive:
            lst = prev[0].data.get('endo_meshes', [])
            prev[0].data['endo_meshes'] = [x for x in lst if not (x[0] is self._el
                                                                   and x[1] == self._idx)]
        self._el.data.setdefault('surround', {})[self._idx] = (h._el, h._idx)
        h._el.data.setdefault('endo_meshes', []).append((self._el, self._idx))
        self._after_geometry_change(old)

    def _surround_changed(self, old_surround_volumes):
        self._after_geometry_change(self._scaled(np.asarray(old_surround_volumes, dtype=float)))

    def _set_scale(self, name, v):
        old = self._voxel_volumes().copy()
        self._el.cols[name][self._idx] = v
        if name == 'rScale':
            rp = float(self._el.cols['rPower'][self._idx])
            self._el.cols['vScale'][self._idx] = v ** (1.0 / rp)
        self._after_geometry_change(old)

    def _set_rScale(self, v):
        self._set_scale('rScale', v)

    def _set_vScale(self, v):
        self._set_scale('vScale', v)

    def _set_vPower(self, v):
        self._set_scale('vPower', v)

    def _set_doAxialDiffusion(self, v):
        from ..core import structure
        self._el.cols['doAxialDiffusion'][self._idx] = bool(v)
        structure.changed()

    def _get_elecComptMap(self):
        s = self._surround_handle()
        if s is None or 'elecComptMap' not in type(s)._fields:
            return []
        return s.elecComptMap

    def _set_volume(self, v):
        raise FieldError(f'{self.path} (EndoMesh).volume: follows the surround (vScale, '
                         f'vPower); it cannot be assigned')

    def _junctions(self, other):
        """Coupling to the surround, voxel i <-> surround voxel i, g =
        2 * area_i / r_i [m], r_i = sqrt(V_i / (pi L_i)) the radius of the
        surround voxel as a cylinder (MOOSE's EndoMesh::matchMeshEntries;
        MOOSE's Dsolve uses it across the membrane, through ConcChans, as
        an EndoMesh is membrane-bound).  None for other meshes."""
        s = self._surround_handle()
        if s is None or other._el is not s._el or other._idx != s._idx:
            return None
        c, i = self._el.cols, self._idx
        gs = s._diffusion_geometry()
        vs = np.asarray(gs.volume, dtype=float)
        area = float(c['aScale'][i]) * vs ** float(c['aPower'][i])
        r = np.sqrt(vs / (gs.length * math.pi))
        idx = np.arange(len(vs), dtype=np.int64)
        return idx, idx.copy(), 2.0 * area / r


#: MOOSE's volume of a bouton before setRadiusStats [m^3]
DEFAULT_BOUTON_VOLUME = 5e-20


class PresynMesh(ChemCompt):
    """Presynaptic boutons, one voxel each, placed on spine heads
    (``buildOnSpineHeads``) or along dendrites every ``spacing``
    (``buildOnDendrites``); no diffusion between them.  Empty (no voxels)
    until built, as MOOSE."""

    mesh_type = 11    # MOOSE's MeshEntry meshType: PRESYN

    postsynCompts = Field(None, '', 'Postsynaptic compartment of each bouton', type='vector',
                          ro=True, stored=False)
    elecComptMap = Field(None, '', 'Postsynaptic compartment of each bouton', type='vector',
                         ro=True, stored=False)
    elecComptList = Field(None, '', 'Postsynaptic compartment of each bouton', type='vector',
                          ro=True, stored=False)
    startVoxelInCompt = Field(None, '', 'First bouton on the compartment of each bouton',
                              type='vector<unsigned int>', ro=True, stored=False)
    endVoxelInCompt = Field(None, '', 'One past the last bouton on the compartment of each '
                            'bouton (as MOOSE)', type='vector<unsigned int>', ro=True,
                            stored=False)
    boutonSpacing = Field(100e-6, 'm', 'Spacing of boutons along dendrites (0 on spines)',
                          ro=True)
    numBoutons = Field(0, '', 'Number of boutons', type='unsigned int', ro=True, stored=False)
    isOnSpines = Field(False, '', 'Boutons sit on spine heads (one each)', type='bool',
                       ro=True)
    startBoutonIndexFromCompartment = LookupField('object', 'int', '', 'First bouton on a '
                                                  'compartment, -1 if none')
    numBoutonsOnCompartment = LookupField('object', 'int', '', 'Boutons on a compartment')

    ports = (Dest('buildOnSpineHeads', 'vector<ObjId>', 'Put one bouton on each spine head'),
             Dest('buildOnDendrites', 'vector<ObjId>,double', 'Put boutons along dendrite '
                  'compartments every spacing [m]'),
             Dest('setRadiusStats', 'double,double', 'Bouton radius [m] (on dendrites) or '
                  'scale (on spines), and its standard deviation (unused, as MOOSE)'))

    def _bstate(self):
        st = self._el.data.setdefault('presyn', {})
        b = st.get(self._idx)
        if b is None:
            b = st[self._idx] = {'keys': [], 'xyz': np.zeros((0, 3)), 'dir': np.zeros((0, 3)),
                                 'vol': np.zeros(0)}
        return b

    def _set_boutons(self, keys, xyz, direction, vol):
        old = self._voxel_volumes().copy()
        self._el.data.setdefault('presyn', {})[self._idx] = {
            'keys': keys, 'xyz': np.asarray(xyz, dtype=float).reshape(-1, 3),
            'dir': np.asarray(direction, dtype=float).reshape(-1, 3),
            'vol': np.asarray(vol, dtype=float)}
        self._after_geometry_change(old)

    def _compartments(self, objs, where):
        keys = _as_keys(objs, where)
        for k in keys:
            if not _is_compartment(k[0].cls):
                raise FieldError(f'{where}: {_handle(k).path} is a {k[0].cls.__name__}, not a '
                                 f'compartment (CompartmentBase)')
        return keys

    def buildOnSpineHeads(self, heads):
        """One bouton 20 nm beyond the end of each head compartment, facing
        it; volume = the head's cylinder."""
        keys = self._compartments(heads, f'{self.path} (PresynMesh).buildOnSpineHeads')
        xyz, dirs, vols = [], [], []
        for k in keys:
            start, end, dia, length = _geom(k)
            d = (start - end) / length if length > 0 else np.zeros(3)
            xyz.append(end - d * 20e-9)
            dirs.append(d)
            vols.append(length * dia * dia * 0.25 * math.pi)
        self._el.cols['isOnSpines'][self._idx] = True
        self._el.cols['boutonSpacing'][self._idx] = 0.0
        self._set_boutons(keys, xyz, dirs, vols)

    def buildOnDendrites(self, compts, spacing):
        """Boutons at spacing/2, 3 spacing/2, ... along each compartment,
        20 nm off its surface on one side (MOOSE's orthogonal axis);
        volume 5e-20 m^3 each until setRadiusStats."""
        where = f'{self.path} (PresynMesh).buildOnDendrites'
        if not (spacing > 0 and math.isfinite(spacing)):
            raise FieldError(f'{where}: expected a spacing > 0 [m], got {spacing}')
        keys = self._compartments(compts, where)
        bk, xyz, dirs = [], [], []
        for k in keys:
            start, end, dia, length = _geom(k)
            radial = _orthogonal_axis(end - start)
            r = 0.5 * spacing
            while r < length:
                d = -radial
                xyz.append(start + (r / length) * (end - start) - (dia / 2 + 20e-9) * d)
                dirs.append(d)
                bk.append(k)
                r += spacing
        self._el.cols['isOnSpines'][self._idx] = False
        self._el.cols['boutonSpacing'][self._idx] = float(spacing)
        self._set_boutons(bk, xyz, dirs, np.full(len(bk), DEFAULT_BOUTON_VOLUME))

    def setRadiusStats(self, r, sdev=0.0):
        """On spines: scale each bouton's volume by r^3; on dendrites: every
        bouton a hemisphere of radius r [m].  sdev is not used (MOOSE)."""
        b = self._bstate()
        if bool(self._el.cols['isOnSpines'][self._idx]):
            vol = b['vol'] * r ** 3
        else:
            vol = np.full(len(b['vol']), r ** 3 * math.pi * 2.0 / 3.0)
        self._set_boutons(b['keys'], b['xyz'], b['dir'], vol)

    def _voxel_volumes(self):
        return self._bstate()['vol'].copy()

    def _diffusion_geometry(self):
        b = self._bstate()
        n = len(b['vol'])
        none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return Geometry(b['vol'], b['vol'] ** (2.0 / 3.0), b['vol'] ** (1.0 / 3.0),
                        np.full(n, -1, dtype=np.int64), none, b['xyz'].T.copy())

    def _voxel_coordinates(self, i):
        """bouton xyz, direction xyz, diameter of the hemisphere [m]."""
        b = self._bstate()
        return np.concatenate([b['xyz'][i], b['dir'][i],
                               [2.0 * (b['vol'][i] * 1.5 / math.pi) ** (1.0 / 3.0)]])

    def _face_areas(self, v, nb, g, geom):
        return np.zeros(0)

    def _get_postsynCompts(self):
        return [_handle(k) for k in self._bstate()['keys']]

    def _get_elecComptMap(self):
        return self._get_postsynCompts()

    def _get_elecComptList(self):
        return self._get_postsynCompts()

    def _get_numBoutons(self):
        return len(self._bstate()['keys'])

    def _runs(self):
        keys = self._bstate()['keys']
        ident = [(id(k[0]), k[1]) for k in keys]
        start = np.zeros(len(keys), dtype=np.int64)
        for i in range(1, len(keys)):
            start[i] = start[i - 1] if ident[i] == ident[i - 1] else i
        return start

    def _get_startVoxelInCompt(self):
        return self._runs()

    def _get_endVoxelInCompt(self):
        # MOOSE's: entry i - 1 gets the start of the run holding bouton i
        start = self._runs()
        n = len(start)
        out = np.zeros(n, dtype=np.int64)
        if n:
            out[:-1] = start[1:]
            out[-1] = n
        return out

    def _match(self, obj, field):
        keys = _as_keys(obj, f'{self.path} (PresynMesh).{field}')
        if len(keys) != 1:
            raise FieldError(f'{self.path} (PresynMesh).{field}: expected one compartment')
        el, i = keys[0]
        return [j for j, k in enumerate(self._bstate()['keys']) if k[0] is el and k[1] == i]

    def _lookup_startBoutonIndexFromCompartment(self, obj):
        m = self._match(obj, 'startBoutonIndexFromCompartment')
        return m[0] if m else -1

    def _lookup_numBoutonsOnCompartment(self, obj):
        return len(self._match(obj, 'numBoutonsOnCompartment'))

    def _set_volume(self, v):
        raise FieldError(f'{self.path} (PresynMesh).volume: set by its boutons; it cannot be '
                         f'assigned')

    def _junctions(self, other):
        return None       # boutons exchange nothing by diffusion (MOOSE)


def _orthogonal_axis(a):
    """MOOSE's Vec::orthogonalAxes, first axis: a unit vector normal to *a*."""
    a0, a1, a2 = (float(x) for x in a)
    if abs(a1) < 1e-9 and abs(a2) < 1e-9:
        o = (a0, a1, a2 - a0)
    else:
        o = (a0 + a1 + a2, a1, a2)
    u = np.cross(np.array([a0, a1, a2]), np.array(o))
    return u / np.linalg.norm(u)
