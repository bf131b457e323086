"""Pools of molecules: ``PoolBase``, ``Pool`` and ``BufPool``.

A pool keeps its molecule counts (``n``, ``nInit``) in columns; ``conc`` and
``concInit`` [mM] are derived through the voxel volume of its compartment
(:func:`moosepy.core.units.n_to_conc`, the one conversion).  When a Ksolve
owns the pool, the ``n`` column is a view of the solver's state, so reading
or writing ``conc``/``n`` reads or writes the solver.  As in MOOSE 5.0, a
Pool no solver owns is never stepped and keeps n = nInit: sets of its n or
conc are accepted and change nothing (see :func:`holds_own_n`); a BufPool's
n and nInit follow each other.
"""

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, Src, Dest, Shared
from ..core.units import conc_to_n, n_to_conc
from .mesh import voxel_volumes


class PoolBase(Neutral):
    """Base class of molecule pools."""

    n = Field(0.0, '#', 'Number of molecules')
    nInit = Field(0.0, '#', 'Initial number of molecules')
    conc = Field(0.0, 'mM', 'Concentration', stored=False)
    concInit = Field(0.0, 'mM', 'Initial concentration', stored=False)
    diffConst = Field(0.0, 'm^2/s', 'Diffusion constant')
    motorConst = Field(0.0, 'm/s', 'Motor transport rate')
    volume = Field(1e-15, 'm^3', 'Volume of the voxel holding this entry (set it on the '
                   'compartment)', ro=True, stored=False)
    isBuffered = Field(False, '', 'True for pools held at their initial value', type='bool',
                       ro=True, stored=False)
    speciesId = Field(0, '', 'Species identifier', type='unsigned int')
    compartment = Field(None, '', 'Chemical compartment holding the pool', type='object',
                        ro=True, stored=False)
    coords = Field(None, 'm', "Coordinates of this entry's voxel, its compartment's "
                   "voxelCoords (layout of the mesh class); [] outside a compartment",
                   type='vector', ro=True, stored=False)
    midPoint = Field(None, 'm', "Middle (x, y, z) of this entry's voxel, its compartment's "
                     "oneVoxelMidpoint; [] outside a compartment", type='vector', ro=True,
                     stored=False)

    ports = (Shared('reac', 'reac', 'pool', 'Joins a reaction or enzyme (sub/prd/enz/cplx)'),
             Src('nOut', 'double', 'Sends n [#] every tick of the solver'),
             Dest('increment', 'double', 'Adds to n at rate [#/s] (from a Function rateOut)'),
             Dest('decrement', 'double', 'Subtracts from n [#]'),
             Dest('nIn', 'double', 'Sets n [#]'),
             Shared('species', 'species', 'pool', 'Link to a Species object'))

    #: unchanged over a quiet run of the clock (core.clock._skip_quiet):
    #: pools are not on the clock, and what writes them there (a solver, an
    #: Adaptor) is not quiet, or is on a slower tick that ends the quiet run
    _quiet_fields = ('n', 'conc', 'nInit', 'concInit', 'volume')

    # (a new pool has one entry, in a compartment of any number of voxels,
    # as in MOOSE: the Stoich that takes it spreads it over the voxels,
    # entry 0's values in each; kinetics.mesh.spread_pool)

    def _vol(self):
        v = voxel_volumes(self._el)
        return float(v[self._idx] if self._idx < len(v) else v[0])

    def _get_volume(self):
        return self._vol()

    def _get_n(self):
        return _moose_reading(self._el, self._idx, float(self._el.cols['n'][self._idx]))

    def _get_conc(self):
        return n_to_conc(self._get_n(), self._vol())

    # vec-wide reads (vec.n, vec.conc) in one go: the same values as entry
    # by entry
    @classmethod
    def _vget_n(cls, el):
        return _moose_readings(el, el.cols['n'][:el.num].astype(float))

    @classmethod
    def _vget_conc(cls, el):
        vv = np.resize(voxel_volumes(el), el.num)
        return n_to_conc(cls._vget_n(el), vv)

    def _set_conc(self, v):
        self._check_nonneg('conc', v)
        self.n = conc_to_n(v, self._vol())

    @classmethod
    def _adaptor_writer(cls, el, idx, name):
        """For an Adaptor's ``output`` to setConc or setN of entry *idx*: a
        function of the value that calls the class's own setter (``_set_conc``
        or ``_set_n``) without the outer descriptor's conversion (the value is
        a float already); the plain setattr while the element has hooks
        (they are told of the change).  None for other fields."""
        if name not in ('conc', 'n'):
            return None
        h = el.handle(idx)
        setter = h._set_conc if name == 'conc' else h._set_n

        def write(v):
            if el.hooks or not el.alive:
                setattr(h, name, v)
            else:
                setter(float(v))
        return write

    def _get_concInit(self):
        return n_to_conc(float(self._el.cols['nInit'][self._idx]), self._vol())

    def _set_concInit(self, v):
        self._check_nonneg('concInit', v)
        self.nInit = conc_to_n(v, self._vol())

    def _set_n(self, v):
        self._check_nonneg('n', v)
        if not holds_own_n(self._el):
            self._el.cols['n'][self._idx] = v

    def _set_nInit(self, v):
        self._check_nonneg('nInit', v)
        self._el.cols['nInit'][self._idx] = v
        if self._el.data.get('solver') is None:
            # as MOOSE: an unsolved pool takes its initial value at once
            self._el.cols['n'][self._idx] = v

    # vec-wide sets in one go (vec.concInit = array): same checks and
    # result as setting the entries one by one
    @classmethod
    def _vset_many(cls, el, name, values):
        import numpy as np
        v = np.asarray(values, dtype=float)
        bad = np.nonzero(~(v >= 0.0) | (v == np.inf))[0]
        if len(bad):
            el.handle(int(bad[0]))._check_nonneg(name, float(v[bad[0]]))
        if name == 'concInit':
            from ..core.units import conc_to_n
            v = conc_to_n(v, np.resize(voxel_volumes(el), el.num))
        el.cols['nInit'][:] = v
        if issubclass(cls, BufPool) or el.data.get('solver') is None:
            el.cols['n'][:] = v
        if el.hooks:
            el.notify(name)

    @classmethod
    def _vset_concInit(cls, el, values):
        cls._vset_many(el, 'concInit', values)

    @classmethod
    def _vset_nInit(cls, el, values):
        cls._vset_many(el, 'nInit', values)

    def _set_diffConst(self, v):
        v = float(v)
        if not (v >= 0.0) or v == float('inf'):
            raise FieldError(f'{self.path} ({self.className}).diffConst: expected a finite '
                             f'diffusion constant >= 0 [m^2/s], got {v}')
        self._el.cols['diffConst'][self._idx] = v

    def _set_motorConst(self, v):
        v = float(v)
        if v != v or abs(v) == float('inf'):
            raise FieldError(f'{self.path} ({self.className}).motorConst: expected a finite '
                             f'speed [m/s] (> 0 away from the root voxel, < 0 towards it), '
                             f'got {v}')
        self._el.cols['motorConst'][self._idx] = v

    def _check_nonneg(self, name, v):
        if not (v >= 0.0) or v == float('inf'):
            raise FieldError(f'{self.path} ({self.className}).{name}: expected a finite '
                             f'value >= 0, got {v}')

    def _get_isBuffered(self):
        return False

    # messages from objects stepped in Python (an Adaptor, a Function not
    # absorbed by a solver): they change n where it lives (the solver's state)
    # (a decrement stops at 0, as MOOSE's; a NaN or infinite change raises
    # instead of being hidden: max(0.0, nan) is 0.0)
    # (as MOOSE 5.0, a pool no solver owns ignores increment and decrement)
    def _recv_increment(self, v):
        dn = self._finite_change('increment', v)
        if self._el.data.get('solver') is not None:
            self._el.cols['n'][self._idx] = max(0.0, self._el.cols['n'][self._idx] + dn)

    def _recv_decrement(self, v):
        dn = self._finite_change('decrement', v)
        if self._el.data.get('solver') is not None:
            self._el.cols['n'][self._idx] = max(0.0, self._el.cols['n'][self._idx] - dn)

    def _finite_change(self, port, v):
        v = float(v)
        if v - v != 0.0:        # NaN or infinite
            from ..core.errors import SolverError
            from ..core.clock import clock
            raise SolverError(f'{self.path} ({self.className}): {port} by {v!r} at t = '
                              f'{clock.current_time:g} s; a count of molecules must stay '
                              f'finite (check the Function or Adaptor that sends it)')
        return v

    def _recv_nIn(self, v):
        self._set_n(float(v))

    def _get_compartment(self):
        from .mesh import compartment_of
        c = compartment_of(self._el)
        return None if c is None else c.handle(0)

    def _get_coords(self):
        from .mesh import compartment_of
        c = compartment_of(self._el)
        if c is None:
            return np.zeros(0)          # MOOSE 5.0: an empty vector
        return np.asarray(c.handle(0)._lookup_voxelCoords(self._idx), dtype=float)

    def _get_midPoint(self):
        from .mesh import compartment_of
        c = compartment_of(self._el)
        if c is None:
            return np.zeros(0)
        return np.asarray(c.handle(0)._lookup_oneVoxelMidpoint(self._idx), dtype=float)

    @classmethod
    def _solver_spec(cls, el, idx, field):
        """(solver element, flat state index, scale) for solver-owned fields."""
        solver = el.data.get('solver')
        if solver is None or not solver.alive or field not in ('n', 'conc'):
            return None
        own = getattr(solver.cls, '_pool_spec', None)
        if own is not None:      # a solver with its own state layout (SbmlSolver)
            return own(solver, el, idx, field)
        sol = solver.data.get('compiled')
        if sol is None:
            return None
        j = el.data['solver_index']
        flat = idx * sol.npools + j
        # the pool's own volume (a Stoich may span pools of several compartments)
        vv = voxel_volumes(el)
        scale = 1.0 if field == 'n' else n_to_conc(1.0, float(vv[idx] if idx < len(vv)
                                                              else vv[0]))
        return solver, flat, scale


def _read_copy(el):
    """(flat state index of entry 0, pools per voxel, post-exchange state,
    reading) of pool *el* when its solver keeps MOOSE's reading of the
    last chemical tick (see moosepy.kinetics.dsolve.READ_BEFORE_EXCHANGE)
    and it is current, else None."""
    solver = el.data.get('solver')
    if solver is None:
        return None
    rc = solver.data.get('_read_copy')
    if rc is None:
        return None
    comp, t, post, snap = rc
    sol = solver.data.get('compiled')
    if sol is not comp or sol.t != t:
        return None
    j = el.data.get('solver_index')
    if j is None:
        return None
    return j, sol.npools, post, snap


def _moose_reading(el, idx, v):
    """The value MOOSE shows for n of entry *idx* of pool *el* whose state
    holds *v*: for a chemistry joined to others by Dsolve junctions, its
    Ksolve's own copy, taken right after its chemical step and before the
    tick's junction exchanges (unless the pool was written since then);
    else *v* itself."""
    rc = _read_copy(el)
    if rc is None:
        return v
    j, npools, post, snap = rc
    flat = idx * npools + j
    if flat >= len(post) or post[flat] != v:
        return v            # written since the tick (a set, an Adaptor)
    return float(snap[flat])


def _moose_readings(el, v):
    """_moose_reading for every entry (array *v* of the state's n)."""
    rc = _read_copy(el)
    if rc is None:
        return v
    j, npools, post, snap = rc
    flats = np.arange(len(v)) * npools + j
    ok = flats < len(post)
    f = flats[ok]
    same = post[f] == v[ok]
    idx = np.nonzero(ok)[0][same]
    v[idx] = snap[f[same]]
    return v


def holds_own_n(el):
    """True for a pool whose n cannot be set: a Pool (not a BufPool) that no
    solver owns.  As in MOOSE 5.0, such a pool is never integrated and its
    n always equals nInit (conc = concInit): setting n or conc, and the
    setN/nIn/increment/decrement messages (a Function's valueOut, an
    Adaptor), are accepted when valid and change nothing (pymoose 5.0.0,
    tested).  Set concInit/nInit, or give the pool a solver."""
    return el.data.get('solver') is None and not issubclass(el.cls, BufPool)


class Pool(PoolBase):
    """A pool of molecules of one species (one entry per voxel)."""


class BufPool(PoolBase):
    """A buffered pool: held at its initial value (setting concInit or nInit
    also sets conc and n, and the other way round)."""

    def _get_isBuffered(self):
        return True

    def _set_nInit(self, v):
        self._check_nonneg('nInit', v)
        self._el.cols['nInit'][self._idx] = v
        self._el.cols['n'][self._idx] = v

    def _set_n(self, v):
        self._check_nonneg('n', v)
        self._el.cols['nInit'][self._idx] = v
        self._el.cols['n'][self._idx] = v

