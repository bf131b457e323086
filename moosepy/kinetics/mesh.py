"""Chemical compartments: ``ChemCompt`` (base) and ``CubeMesh``.

A compartment gives its pools their volume: pools made below a compartment
have one entry per voxel.  Changing the volume keeps the concentrations of
the pools inside (their molecule counts are rescaled), as MOOSE does.
"""

import numpy as np

from ..core import structure
from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, LookupField, Src, Dest


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

    ports = (Src('voxelVolOut', 'vector', 'Sends voxel volumes when they change'),
             Dest('buildDefaultMesh', 'double,unsigned int', 'Rebuild as (volume, numVoxels)'),
             Dest('resetStencil', 'void', 'Recompute the diffusion stencil'))

    def _voxel_volumes(self):
        raise NotImplementedError

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
        new = self._voxel_volumes()
        if len(new) != len(old_voxvol):
            structure.changed()       # solvers have another number of voxels
        for el in self._el.walk():
            if not issubclass(el.cls, PoolBase) or _compartment_el(el) is not self._el:
                continue
            if len(new) != el.num:
                el.resize(len(new))
                old = np.resize(old_voxvol, len(new))
            else:
                old = old_voxvol
            ratio = new / old
            # in place: a solved pool's n is a view of its solver's state
            el.cols['n'][:] = el.cols['n'] * ratio
            el.cols['nInit'][:] = el.cols['nInit'] * ratio
            solver = el.data.get('solver')
            comp = None if solver is None else solver.data.get('compiled')
            if comp is not None and hasattr(comp, 'dirty'):
                comp.dirty = True     # it reads the new volumes before its next step


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
    return c.handle(0)._voxel_volumes()


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

    def _voxel_volumes(self):
        i = self._idx
        c = self._el.cols
        vol = abs((c['x1'][i] - c['x0'][i]) * (c['y1'][i] - c['y0'][i])
                  * (c['z1'][i] - c['z0'][i]))
        nv = int(c['nx'][i] * c['ny'][i] * c['nz'][i])
        return np.full(nv, vol / nv)

    def _set_geometry(self, **kv):
        old = self._voxel_volumes()
        for k, v in kv.items():
            self._el.cols[k][self._idx] = v
        self._check()
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
        self._after_geometry_change(old)
    return setter


for _n in ('x0', 'y0', 'z0', 'x1', 'y1', 'z1', 'nx', 'ny', 'nz'):
    CubeMesh._fields[_n].setter = _make_corner_setter(_n)


def _dgetter(axis):
    def g(self):
        c, i = self._el.cols, self._idx
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
    if len(v) >= 9:
        for a, d in zip('xyz', v[6:9]):
            kv['n' + a] = max(1, int(round((kv[a + '1'] - kv[a + '0']) / d)))
    self._set_geometry(**kv)


CubeMesh._fields['coords'].getter = _coords_get
CubeMesh._fields['coords'].setter = _coords_set
