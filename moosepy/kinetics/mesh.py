"""Chemical compartments: ``ChemCompt`` (base), ``MeshEntry`` and ``CubeMesh``.

A compartment gives its pools their volume: pools made below a compartment
have one entry per voxel.  Changing the volume keeps the concentrations of
the pools inside (their molecule counts are rescaled), as MOOSE does.

Geometry for diffusion (what Dsolve reads), one interface for every mesh:
:meth:`ChemCompt._diffusion_geometry` returns a :class:`Geometry` with the
voxel volumes [m^3], per-voxel cross-section areas [m^2] and lengths [m],
the parent voxel of each voxel (-1 for a root; tree meshes), and the
diffusive couplings as edges ``(i, j, g)`` with ``g`` = area / distance [m]:
the flux from voxel i to j is ``D * g * (C_i - C_j)`` molecules/s per
(molecules/m^3).  Tree meshes (CylMesh, NeuroMesh) get their edges from the
parent voxel, as MOOSE's Dsolve does: ``g = (A_i + A_p) / (L_i + L_p)``.
"""

import math

import numpy as np

from ..core import structure
from ..core.element import Neutral
from ..core.errors import FieldError, MooseError
from ..core.element import Element
from ..core.fields import Field, LookupField, FieldElementField, Src, Dest, registry


class Geometry:
    """Voxel geometry for diffusion.  ``volume``, ``area`` (cross-section
    [m^2]), ``length`` [m]: per voxel; ``parent``: parent voxel or -1;
    ``edges``: (i, j, g) arrays, g = area / distance [m] (from the parent
    tree when not given); ``midpoints``: (3, n) [m]."""

    def __init__(self, volume, area, length, parent, edges=None, midpoints=None):
        self.volume = np.asarray(volume, dtype=float)
        self.area = np.asarray(area, dtype=float)
        self.length = np.asarray(length, dtype=float)
        self.parent = np.asarray(parent, dtype=np.int64)
        n = len(self.volume)
        if edges is None:
            kid = np.nonzero(self.parent >= 0)[0]
            par = self.parent[kid]
            g = (self.area[kid] + self.area[par]) / (self.length[kid] + self.length[par])
            edges = (kid.astype(np.int64), par.astype(np.int64), g)
        self.edges = tuple(np.asarray(e) for e in edges)
        self.midpoints = (np.zeros((3, n)) if midpoints is None
                          else np.asarray(midpoints, dtype=float).reshape(3, n))

    @property
    def num(self):
        return len(self.volume)

    def neighbours(self, v):
        """(voxels coupled to *v*, their couplings g [m])."""
        i, j, g = self.edges
        a = i == v
        b = j == v
        return (np.concatenate([j[a], i[b]]).astype(np.int64), np.concatenate([g[a], g[b]]))


class ChemCompt(Neutral):
    """Base of chemical compartments (meshes)."""

    volume = Field(1e-15, 'm^3', 'Total volume of the compartment', stored=False)
    numDimensions = Field(3, '', 'Number of spatial dimensions', type='unsigned int', ro=True,
                          stored=False)
    voxelVolume = Field(None, 'm^3', 'Volume of every voxel', type='vector', ro=True,
                        stored=False)
    voxelMidpoint = Field(None, 'm', 'Midpoints of the voxels (x..., y..., z...)',
                          type='vector', ro=True, stored=False)
    isMembraneBound = Field(False, '', 'True for compartments bounded by a membrane',
                            type='bool')
    numVoxels = Field(1, '', 'Number of voxels', type='unsigned int', ro=True, stored=False)
    oneVoxelVolume = LookupField('unsigned int', 'double', 'm^3', 'Volume of one voxel')
    oneVoxelMidpoint = LookupField('unsigned int', 'vector', 'm', 'Midpoint (x, y, z) of one '
                                   'voxel')
    voxelCoords = LookupField('unsigned int', 'vector', 'm', 'Coordinates of one voxel (as '
                              'MeshEntry.Coordinates)')
    stencilIndex = LookupField('unsigned int', 'vector', '', 'Voxels coupled to one voxel by '
                               'diffusion')
    stencilRate = LookupField('unsigned int', 'vector', 'm', 'Coupling (area / distance) to '
                              'each voxel of stencilIndex')

    ports = (Src('voxelVolOut', 'vector', 'Sends voxel volumes when they change'),
             Dest('buildDefaultMesh', 'double,unsigned int', 'Rebuild as (volume, numVoxels)'),
             Dest('resetStencil', 'void', 'Recompute the diffusion stencil'))

    mesh = FieldElementField('MeshEntry', 'One entry per voxel: its volume, coordinates and '
                             'neighbours')

    def __init_obj__(self):
        me = Element('mesh', self._el, registry['MeshEntry'], 0)
        me.is_field_element = True
        me.resize(len(self._voxel_volumes()))

    def _voxel_volumes(self):
        # only a bare ChemCompt gets here (every mesh class has its own):
        # MOOSE refuses to create this abstract base too
        raise MooseError(f'{self.path}: ChemCompt is the abstract base of the chemical '
                         f'compartments and cannot be created (nor can it in MOOSE); make a '
                         f'CubeMesh, CylMesh, NeuroMesh, SpineMesh, PsdMesh, EndoMesh or '
                         f'PresynMesh instead')

    def _get_numDimensions(self):
        return 3

    def _diffusion_geometry(self):
        """The :class:`Geometry` of the voxels (see the module docstring).
        Meshes without a tree give their edges; the default is no
        coupling (one voxel)."""
        vol = np.asarray(self._voxel_volumes(), dtype=float)
        n = len(vol)
        return Geometry(vol, np.zeros(n), np.zeros(n), np.full(n, -1, dtype=np.int64))

    def _voxel_coordinates(self, i):
        """MeshEntry.Coordinates of voxel *i* (class-specific layout) [m]."""
        return np.zeros(0)

    def _get_voxelMidpoint(self):
        return self._diffusion_geometry().midpoints.reshape(-1)

    def _lookup_oneVoxelMidpoint(self, i):
        g = self._diffusion_geometry()
        self._check_voxel(i, len(g.volume), 'oneVoxelMidpoint')
        return g.midpoints[:, int(i)].copy()

    def _lookup_voxelCoords(self, i):
        self._check_voxel(i, len(self._voxel_volumes()), 'voxelCoords')
        return self._voxel_coordinates(int(i))

    def _lookup_stencilIndex(self, i):
        g = self._diffusion_geometry()
        self._check_voxel(i, len(g.volume), 'stencilIndex')
        return g.neighbours(int(i))[0]

    def _lookup_stencilRate(self, i):
        g = self._diffusion_geometry()
        self._check_voxel(i, len(g.volume), 'stencilRate')
        return g.neighbours(int(i))[1]

    def _check_voxel(self, i, n, field):
        if not 0 <= int(i) < n:
            raise FieldError(f'{self.path}.{field}[{i}]: voxel out of range (0..{n - 1})')

    def _get_voxelVolume(self):
        return self._voxel_volumes()

    def _get_numVoxels(self):
        return len(self._voxel_volumes())

    def _lookup_oneVoxelVolume(self, i):
        v = self._voxel_volumes()
        if not 0 <= int(i) < len(v):
            raise FieldError(f'{self.path}.oneVoxelVolume[{i}]: voxel out of range '
                             f'(0..{len(v) - 1})')
        return float(v[int(i)])

    def _get_volume(self):
        return float(np.sum(self._voxel_volumes()))

    def _after_geometry_change(self, old_voxvol):
        """Keep pool concentrations and pool entry counts in step with voxels."""
        from .pool import PoolBase
        self._el.data.pop('_voxvol', None)
        new = self._voxel_volumes()
        me = self._el.children.get('mesh')
        if me is not None and me.num != len(new):
            me.resize(len(new))
        if len(new) != len(old_voxvol):
            structure.changed()       # solvers have another number of voxels
        for el in self._el.walk():
            if not issubclass(el.cls, PoolBase) or _compartment_el(el) is not self._el:
                continue
            if el.num == 1 and len(new) != 1 and el.data.get('solver') is None:
                # as MOOSE: a pool no Stoich has taken yet (that spreads it
                # over the voxels) keeps its one entry and its concentration;
                # a taken one follows the voxels (MOOSE keeps its old count
                # until the system is rebuilt)
                if len(old_voxvol) and old_voxvol[0] > 0:
                    r = new[0] / old_voxvol[0]
                    el.cols['n'][:] = el.cols['n'] * r
                    el.cols['nInit'][:] = el.cols['nInit'] * r
            elif len(new) != el.num:
                resize_pool(el, old_voxvol, new)
            else:
                ratio = new / old_voxvol
                # in place: a solved pool's n is a view of its solver's state
                el.cols['n'][:] = el.cols['n'] * ratio
                el.cols['nInit'][:] = el.cols['nInit'] * ratio
            solver = el.data.get('solver')
            comp = None if solver is None else solver.data.get('compiled')
            if comp is not None and hasattr(comp, 'dirty'):
                comp.dirty = True     # it reads the new volumes before its next step
        # EndoMeshes whose surround this is follow its voxels (kinetics/neuromesh.py)
        for el, i in list(self._el.data.get('endo_meshes', ())):
            if el.alive:
                el.handle(i)._surround_changed(old_voxvol)


def resize_pool(el, old_voxvol, new_voxvol):
    """Give pool element *el* one entry per voxel of *new_voxvol* (its
    compartment's voxel volumes [m^3]; *old_voxvol*: those its entries had),
    as MOOSE does: entries that are kept keep their concentration, new
    entries take entry 0's concentration and other fields."""
    new = np.asarray(new_voxvol, dtype=float)
    n0 = el.num
    ov = np.resize(np.asarray(old_voxvol, dtype=float), n0)
    old = {k: np.asarray(el.cols[k][:n0], dtype=float).copy() for k in ('n', 'nInit')}
    el.resize(len(new))
    keep = min(n0, len(new))
    for k, col in el.cols.items():
        if len(new) > n0 and n0 > 0 and k not in ('n', 'nInit'):
            col[n0:] = col[0]
    for k in ('n', 'nInit'):
        # n * (new volume / old volume): the same count where the volume is
        # the same, bit for bit
        d = np.zeros(len(new))
        if n0:
            d[:] = old[k][0] * (new / ov[0])
            d[:keep] = old[k][:keep] * (new[:keep] / ov[:keep])
        el.cols[k][:] = d


def spread_pool(el):
    """MOOSE's Stoich spreads each pool of one entry over the voxels of its
    compartment when it takes the pool (entry 0's concentration and fields
    in every voxel); returns True if *el* was spread."""
    c = _compartment_el(el)
    if c is None or el.num != 1:
        return False
    new = c.handle(0)._voxel_volumes()
    if len(new) == 1:
        return False
    resize_pool(el, np.full(1, float(new[0])), new)
    return True


def _compartment_el(el):
    """Nearest ancestor element that is a chemical compartment."""
    p = el.parent
    while p is not None:
        if issubclass(p.cls, ChemCompt):
            return p
        p = p.parent
    return None


def compartment_of(el):
    return _compartment_el(el)


#: volume of pools that sit under no compartment [m^3]; MOOSE 5.0 uses 1 m^3
DEFAULT_VOLUME = 1.0


def voxel_volumes(el):
    """Voxel volumes [m^3] seen by the pools/reactions of element *el*."""
    c = _compartment_el(el)
    if c is None:
        return np.full(max(el.num, 1), DEFAULT_VOLUME)
    # kept until the geometry changes (a vec of 1e5 pools sets its entries
    # one by one, each reading these volumes)
    ver = structure.version()
    hit = c.data.get('_voxvol')
    if hit is not None and hit[0] == ver:
        return hit[1]
    v = c.handle(0)._voxel_volumes()
    v.setflags(write=False)
    c.data['_voxvol'] = (ver, v)
    return v


class CubeMesh(ChemCompt):
    """Chemical compartment on a cuboid grid.  Default: a 10 um cube with one
    voxel (1e-15 m^3)."""

    x0 = Field(0.0, 'm', 'Low x corner')
    y0 = Field(0.0, 'm', 'Low y corner')
    z0 = Field(0.0, 'm', 'Low z corner')
    x1 = Field(10e-6, 'm', 'High x corner')
    y1 = Field(10e-6, 'm', 'High y corner')
    z1 = Field(10e-6, 'm', 'High z corner')
    nx = Field(1, '', 'Voxels along x', type='unsigned int')
    ny = Field(1, '', 'Voxels along y', type='unsigned int')
    nz = Field(1, '', 'Voxels along z', type='unsigned int')
    dx = Field(10e-6, 'm', 'Voxel size along x', stored=False)
    dy = Field(10e-6, 'm', 'Voxel size along y', stored=False)
    dz = Field(10e-6, 'm', 'Voxel size along z', stored=False)
    isToroid = Field(False, '', 'Wrap around at the edges', type='bool')
    preserveNumEntries = Field(True, '', 'Keep nx, ny, nz when the size changes', type='bool')
    coords = Field(None, 'm', '[x0 y0 z0 x1 y1 z1 dx dy dz]', type='vector', stored=False)
    meshToSpace = Field(None, '', 'Grid index of each voxel (x fastest); moosepy cubes are '
                        'full boxes, so 0..n-1', type='vector', stored=False)
    spaceToMesh = Field(None, '', 'Voxel of each grid index; 0..n-1 for a full box',
                        type='vector', stored=False)
    surface = Field(None, '', 'Voxels on the faces of the box (an index 0 or n-1 along '
                    'some axis), ascending', type='vector', stored=False)
    # voxel sizes as given in coords (MOOSE keeps them: a voxel's volume is
    # dx*dy*dz, which may differ from span/n in the last bit); NaN: span/n
    _dx = Field(float('nan'), hidden=True)
    _dy = Field(float('nan'), hidden=True)
    _dz = Field(float('nan'), hidden=True)

    def _voxel_volumes(self):
        i = self._idx
        c = self._el.cols
        nv = int(c['nx'][i] * c['ny'][i] * c['nz'][i])
        d = (c['_dx'][i], c['_dy'][i], c['_dz'][i])
        if all(np.isfinite(d)):
            return np.full(nv, float(d[0] * d[1] * d[2]))
        vol = abs((c['x1'][i] - c['x0'][i]) * (c['y1'][i] - c['y0'][i])
                  * (c['z1'][i] - c['z0'][i]))
        return np.full(nv, vol / nv)

    def _get_meshToSpace(self):
        return np.arange(len(self._voxel_volumes()), dtype=np.int64)

    _get_spaceToMesh = _get_meshToSpace

    def _full_box_only(self, name, v):
        if not np.array_equal(np.asarray(v, dtype=np.int64).ravel(), self._get_meshToSpace()):
            raise FieldError(f'{self.path} (CubeMesh).{name}: moosepy makes full boxes only; '
                             f'valid: 0..{len(self._voxel_volumes()) - 1} in order (sparse '
                             f'cube meshes are not supported)')

    def _set_meshToSpace(self, v):
        self._full_box_only('meshToSpace', v)

    def _set_spaceToMesh(self, v):
        self._full_box_only('spaceToMesh', v)

    def _get_surface(self):
        c, i = self._el.cols, self._idx
        n = [int(c['nx'][i]), int(c['ny'][i]), int(c['nz'][i])]
        iz, iy, ix = np.meshgrid(*(np.arange(k) for k in n[::-1]), indexing='ij')
        edge = np.zeros(ix.shape, dtype=bool)
        for a, k in ((ix, n[0]), (iy, n[1]), (iz, n[2])):
            edge |= (a == 0) | (a == k - 1)
        return np.flatnonzero(edge.reshape(-1)).astype(np.int64)

    def _set_surface(self, v):
        if not np.array_equal(np.asarray(v, dtype=np.int64).ravel(), self._get_surface()):
            raise FieldError(f'{self.path} (CubeMesh).surface: moosepy makes full boxes only; '
                             f'the surface follows from nx, ny, nz')

    def _forget_d(self):
        for a in 'xyz':
            self._el.cols['_d' + a][self._idx] = float('nan')

    def _grid(self):
        c, i = self._el.cols, self._idx
        lo = np.array([c['x0'][i], c['y0'][i], c['z0'][i]], dtype=float)
        hi = np.array([c['x1'][i], c['y1'][i], c['z1'][i]], dtype=float)
        n = np.array([c['nx'][i], c['ny'][i], c['nz'][i]], dtype=np.int64)
        return lo, hi, n

    def _diffusion_geometry(self):
        """Face neighbours of the grid (x fastest: voxel = ix + nx*(iy + ny*iz));
        g = face area / centre distance; wrapped at the edges if isToroid."""
        lo, hi, n = self._grid()
        d = (hi - lo) / n
        nv = int(np.prod(n))
        vol = np.full(nv, float(np.prod(d)))
        idx = np.arange(nv, dtype=np.int64).reshape(n[2], n[1], n[0])
        ii, jj, gg = [], [], []
        toroid = bool(self._el.cols['isToroid'][self._idx])
        for ax, arr_ax in ((0, 2), (1, 1), (2, 0)):
            if n[ax] < 2:
                continue
            face = float(np.prod(np.delete(d, ax)))
            a = np.take(idx, np.arange(n[ax] - 1), axis=arr_ax).reshape(-1)
            b = np.take(idx, np.arange(1, n[ax]), axis=arr_ax).reshape(-1)
            if toroid and n[ax] > 2:
                a = np.concatenate([a, np.take(idx, [n[ax] - 1], axis=arr_ax).reshape(-1)])
                b = np.concatenate([b, np.take(idx, [0], axis=arr_ax).reshape(-1)])
            ii.append(a)
            jj.append(b)
            gg.append(np.full(len(a), face / d[ax]))
        if ii:
            edges = (np.concatenate(ii), np.concatenate(jj), np.concatenate(gg))
        else:
            edges = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        iz, iy, ix = np.unravel_index(np.arange(nv), (n[2], n[1], n[0]))
        mid = np.stack([lo[0] + (ix + 0.5) * d[0], lo[1] + (iy + 0.5) * d[1],
                        lo[2] + (iz + 0.5) * d[2]])
        area = np.full(nv, d[1] * d[2])
        return Geometry(vol, area, np.full(nv, d[0]), np.full(nv, -1), edges, mid)

    def _voxel_coordinates(self, v):
        lo, hi, n = self._grid()
        d = (hi - lo) / n
        iz, iy, ix = np.unravel_index(v, (n[2], n[1], n[0]))
        a = lo + np.array([ix, iy, iz]) * d
        return np.concatenate([a, a + d])

    def _set_geometry(self, _keep_d=None, **kv):
        old = self._voxel_volumes()
        for k, v in kv.items():
            self._el.cols[k][self._idx] = v
        self._check()
        self._forget_d()
        if _keep_d is not None:
            for a, d in zip('xyz', _keep_d):
                self._el.cols['_d' + a][self._idx] = d
        self._after_geometry_change(old)

    def _check(self):
        c, i = self._el.cols, self._idx
        for a in 'xyz':
            if not c[a + '1'][i] > c[a + '0'][i]:
                raise FieldError(f'{self.path}: {a}1 must exceed {a}0')
            if c['n' + a][i] < 1:
                raise FieldError(f'{self.path}: n{a} must be >= 1')

    def _set_volume(self, v):
        if not v > 0:
            raise FieldError(f'{self.path} ({self.className}).volume: expected a volume > 0 '
                             f'[m^3], got {v}')
        old = self._voxel_volumes()
        c, i = self._el.cols, self._idx
        scale = (v / old.sum()) ** (1.0 / 3.0)
        for a in 'xyz':
            c[a + '1'][i] = c[a + '0'][i] + (c[a + '1'][i] - c[a + '0'][i]) * scale
        self._forget_d()
        self._after_geometry_change(old)


def _make_corner_setter(name):
    def setter(self, v):
        old = self._voxel_volumes()
        prev = self._el.cols[name][self._idx]
        self._el.cols[name][self._idx] = v
        try:
            self._check()
        except FieldError:
            self._el.cols[name][self._idx] = prev
            raise
        self._forget_d()
        self._after_geometry_change(old)
    return setter


for _n in ('x0', 'y0', 'z0', 'x1', 'y1', 'z1', 'nx', 'ny', 'nz'):
    CubeMesh._fields[_n].setter = _make_corner_setter(_n)


def _dgetter(axis):
    def g(self):
        c, i = self._el.cols, self._idx
        d = c['_d' + axis][i]
        if np.isfinite(d):
            return float(d)
        return float((c[axis + '1'][i] - c[axis + '0'][i]) / c['n' + axis][i])
    return g


def _dsetter(axis):
    def s(self, v):
        c, i = self._el.cols, self._idx
        if not v > 0:
            raise FieldError(f'{self.path}.d{axis}: expected > 0 [m], got {v}')
        n = max(1, int(round((c[axis + '1'][i] - c[axis + '0'][i]) / v)))
        self._set_geometry(**{'n' + axis: n})
    return s


for _a in 'xyz':
    CubeMesh._fields['d' + _a].getter = _dgetter(_a)
    CubeMesh._fields['d' + _a].setter = _dsetter(_a)


def _coords_get(self):
    c, i = self._el.cols, self._idx
    vals = [c[k][i] for k in ('x0', 'y0', 'z0', 'x1', 'y1', 'z1')]
    return np.array(vals + [getattr(self, 'd' + a) for a in 'xyz'])


def _coords_set(self, v):
    v = list(v)
    if len(v) < 6:
        raise FieldError(f'{self.path}.coords: expected at least 6 numbers, got {len(v)}')
    kv = dict(zip(('x0', 'y0', 'z0', 'x1', 'y1', 'z1'), v[:6]))
    keep = None
    if len(v) >= 9:
        for a, d in zip('xyz', v[6:9]):
            kv['n' + a] = max(1, int(round((kv[a + '1'] - kv[a + '0']) / d)))
        # as MOOSE: the given sizes are kept when they tile the span
        keep = tuple(float(d) for d in v[6:9])
        if not all(math.isclose(kv['n' + a] * d, kv[a + '1'] - kv[a + '0'], rel_tol=1e-9)
                   for a, d in zip('xyz', keep)):
            keep = None
    self._set_geometry(_keep_d=keep, **kv)


CubeMesh._fields['coords'].getter = _coords_get
CubeMesh._fields['coords'].setter = _coords_set


class MeshEntry(Neutral):
    """One voxel of a chemical compartment: the field element ``mesh`` of
    every mesh (``/model/compartment/mesh[i]``), one entry per voxel."""

    volume = Field(0.0, 'm^3', 'Volume of the voxel', ro=True, stored=False)
    dimensions = Field(3, '', 'Spatial dimensions of the mesh', type='unsigned int', ro=True,
                       stored=False)
    meshType = Field(0, '', "Kind of mesh, MOOSE's numbers: 1 CubeMesh, 2 CylMesh, NeuroMesh "
                     'and SpineMesh, 9 PsdMesh, 10 EndoMesh, 11 PresynMesh', type='unsigned int',
                     ro=True, stored=False)
    Coordinates = Field(None, 'm', 'Coordinates of the voxel (layout depends on the mesh)',
                        type='vector', ro=True, stored=False)
    neighbors = Field(None, '', 'Voxels coupled to this one by diffusion',
                      type='vector<unsigned int>', ro=True, stored=False)
    DiffusionArea = Field(None, 'm^2', 'Cross-section area towards each neighbour',
                          type='vector', ro=True, stored=False)
    DiffusionScaling = Field(None, '', 'Scale factor of diffusion towards each neighbour',
                             type='vector', ro=True, stored=False)

    ports = (Src('remeshOut', 'double,unsigned int,unsigned int,vector,vector',
                 'Announces a change of the mesh'),
             Src('remeshReacsOut', 'void', 'Announces a change of the mesh to reactions'))

    def _mesh(self):
        return self._el.parent.handle(0)

    def _get_volume(self):
        return float(self._mesh()._voxel_volumes()[self._idx])

    def _get_dimensions(self):
        return int(self._mesh().numDimensions)

    def _get_meshType(self):
        return int(getattr(self._el.parent.cls, 'mesh_type', 0))

    def _get_Coordinates(self):
        return self._mesh()._voxel_coordinates(self._idx)

    def _get_neighbors(self):
        return self._mesh()._diffusion_geometry().neighbours(self._idx)[0]

    def _get_DiffusionArea(self):
        m = self._mesh()
        g = m._diffusion_geometry()
        nb, gg = g.neighbours(self._idx)
        return m._face_areas(self._idx, nb, gg, g)

    def _get_DiffusionScaling(self):
        return np.ones(len(self._get_neighbors()))


def _face_areas(self, v, nb, g, geom):
    """Cross-section areas [m^2] between voxel *v* and its neighbours *nb*
    (couplings *g*); the default: g times the mean voxel length."""
    return g * 0.5 * (geom.length[v] + geom.length[nb])


ChemCompt._face_areas = _face_areas
CubeMesh.mesh_type = 1


class CylMesh(ChemCompt):
    """A cylinder (tapered when r0 != r1) from (x0, y0, z0) to (x1, y1, z1),
    cut into ``numDiffCompts`` voxels of length ``diffLength`` along its
    axis.  Default: radius 1 um, length 100 um, 100 voxels, as MOOSE.

    Voxel volumes follow MOOSE's linearised taper (voxel i has radius
    r0 + (i + 1/2)(r1 - r0)/n at its middle).  Differences from MOOSE 5.0,
    on purpose: ``voxelMidpoint`` gives the middle of each voxel (MOOSE
    gives its start), and ``coords`` reads back the radii it was given
    (MOOSE reads back twice the radii)."""

    mesh_type = 2
    x0 = Field(0.0, 'm', 'Start of the axis, x')
    y0 = Field(0.0, 'm', 'Start of the axis, y')
    z0 = Field(0.0, 'm', 'Start of the axis, z')
    x1 = Field(100e-6, 'm', 'End of the axis, x')
    y1 = Field(0.0, 'm', 'End of the axis, y')
    z1 = Field(0.0, 'm', 'End of the axis, z')
    r0 = Field(1e-6, 'm', 'Radius at the start')
    r1 = Field(1e-6, 'm', 'Radius at the end')
    diffLength = Field(1e-6, 'm', 'Length of one voxel (rounded so a whole number fit)')
    numDiffCompts = Field(100, '', 'Number of voxels', type='unsigned int', ro=True)
    totLength = Field(100e-6, 'm', 'Length of the axis', ro=True, stored=False)
    isToroid = Field(False, '', 'Join the last voxel to the first', type='bool')
    coords = Field(None, 'm', '[x0 y0 z0 x1 y1 z1 r0 r1 diffLength]', type='vector',
                   stored=False)

    def _axis(self):
        c, i = self._el.cols, self._idx
        p0 = np.array([c['x0'][i], c['y0'][i], c['z0'][i]], dtype=float)
        p1 = np.array([c['x1'][i], c['y1'][i], c['z1'][i]], dtype=float)
        return p0, p1

    def _get_totLength(self):
        p0, p1 = self._axis()
        return float(np.linalg.norm(p1 - p0))

    def _shape(self):
        c, i = self._el.cols, self._idx
        return (float(c['r0'][i]), float(c['r1'][i]), int(c['numDiffCompts'][i]),
                self._get_totLength())

    def _voxel_volumes(self):
        r0, r1, n, tot = self._shape()
        dl = tot / n
        k = np.arange(n) + 0.5
        rs = (r1 - r0) / n
        len0 = dl * 2 * r0 / (r0 + r1)
        lslope = dl * rs * 2 / (r0 + r1)
        return (len0 + k * lslope) * np.pi * (r0 + k * rs) ** 2

    def _diffusion_geometry(self):
        r0, r1, n, tot = self._shape()
        frac = (np.arange(n) + 0.5) / n
        r = r0 * (1 - frac) + r1 * frac
        parent = np.arange(-1, n - 1, dtype=np.int64)
        p0, p1 = self._axis()
        mid = p0[:, None] + (p1 - p0)[:, None] * frac[None, :]
        area = np.pi * r * r
        length = np.full(n, tot / n)
        geom = Geometry(self._voxel_volumes(), area, length, parent, midpoints=mid)
        if bool(self._el.cols['isToroid'][self._idx]) and n > 2:
            i, j, g = geom.edges
            gw = (area[0] + area[-1]) / (2 * length[0])
            geom.edges = (np.append(i, n - 1), np.append(j, 0), np.append(g, gw))
        return geom

    def _face_areas(self, v, nb, g, geom):
        r0, r1, n, tot = self._shape()
        rs = (r1 - r0) / n
        faces = np.where(nb < v, r0 + v * rs, r0 + (v + 1) * rs)
        return np.pi * faces ** 2

    def _lookup_stencilRate(self, v):
        g = self._diffusion_geometry()
        self._check_voxel(v, g.num, 'stencilRate')
        nb, gg = g.neighbours(int(v))
        r0, r1, n, tot = self._shape()
        return self._face_areas(int(v), nb, gg, g) / (tot / n)    # as MOOSE's stencil

    def _voxel_coordinates(self, v):
        r0, r1, n, tot = self._shape()
        p0, p1 = self._axis()
        rs = (r1 - r0) / n
        a = p0 + (p1 - p0) * v / n
        b = p0 + (p1 - p0) * (v + 1) / n
        return np.concatenate([a, b, [r0 + v * rs, r0 + (v + 1) * rs, 0.0, 0.0]])

    def _renumber(self, **kv):
        """Set geometry fields and recount the voxels: n = round(length /
        diffLength), at least 1; diffLength becomes length / n."""
        c, i = self._el.cols, self._idx
        old = self._voxel_volumes()
        prev = {k: c[k][i] for k in kv}
        for k, v in kv.items():
            c[k][i] = v
        try:
            for k in ('r0', 'r1', 'diffLength'):
                if not c[k][i] > 0 or not np.isfinite(c[k][i]):
                    raise FieldError(f'{self.path} (CylMesh).{k}: expected a finite value > 0 '
                                     f'[m], got {c[k][i]}')
            tot = self._get_totLength()
            if not tot > 0 or not np.isfinite(tot):
                raise FieldError(f'{self.path} (CylMesh): the axis (x0,y0,z0)-(x1,y1,z1) has '
                                 f'length {tot}; expected > 0')
        except FieldError:
            for k, v in prev.items():
                c[k][i] = v
            raise
        n = max(1, int(np.floor(tot / c['diffLength'][i] + 0.5)))   # halves up, as MOOSE
        c['numDiffCompts'][i] = n
        c['diffLength'][i] = tot / n
        self._after_geometry_change(old)

    def _get_coords(self):
        c, i = self._el.cols, self._idx
        return np.array([c[k][i] for k in ('x0', 'y0', 'z0', 'x1', 'y1', 'z1', 'r0', 'r1',
                                           'diffLength')], dtype=float)

    def _set_coords(self, v):
        v = [float(x) for x in v]
        if len(v) < 9:
            raise FieldError(f'{self.path} (CylMesh).coords: expected 9 numbers [x0 y0 z0 x1 '
                             f'y1 z1 r0 r1 diffLength], got {len(v)}')
        self._renumber(**dict(zip(('x0', 'y0', 'z0', 'x1', 'y1', 'z1', 'r0', 'r1',
                                   'diffLength'), v[:9])))

    def _set_volume(self, v):
        if not v > 0:
            raise FieldError(f'{self.path} (CylMesh).volume: expected a volume > 0 [m^3], '
                             f'got {v}')
        s = (float(v) / float(np.sum(self._voxel_volumes()))) ** (1.0 / 3.0)
        c, i = self._el.cols, self._idx
        p0, p1 = self._axis()
        p1 = p0 + (p1 - p0) * s
        self._renumber(x1=p1[0], y1=p1[1], z1=p1[2], r0=c['r0'][i] * s, r1=c['r1'][i] * s,
                       diffLength=c['diffLength'][i] * s)


def _cyl_setter(name):
    def setter(self, v):
        self._renumber(**{name: float(v)})
    return setter


for _n in ('x0', 'y0', 'z0', 'x1', 'y1', 'z1', 'r0', 'r1', 'diffLength'):
    CylMesh._fields[_n].setter = _cyl_setter(_n)
