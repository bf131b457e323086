"""``Dsolve``: diffusion and motor transport of pools between the voxels of a
mesh, operator-split with the chemistry (Ksolve or Gsolve) as MOOSE does.

Attach it as MOOSE scripts do::

    stoich.compartment = mesh; stoich.ksolve = ksolve; stoich.dsolve = dsolve
    stoich.reacSystemPath = mesh.path + '/##'

Every pool of the Stoich with ``diffConst`` > 0 [m^2/s] or ``motorConst``
!= 0 [m/s] (positive: away from the root voxel, towards the twigs; negative:
towards the root) moves between voxels.  The mesh gives the couplings
(:meth:`ChemCompt._diffusion_geometry`): the flux from voxel i to k is
``D * g_ik * (n_i/V_i - n_k/V_k)`` with ``g`` = area / distance [m]; motor
transport moves a fraction ``|motorConst| / length`` [1/s] of a voxel's
molecules to its parent (or, split by cross-section area, its children).

Scheme (``method``): ``'be'`` backward Euler (MOOSE's; default) or ``'cn'``
Crank-Nicolson, each step factored once per pool and applied in a numba
kernel, O(voxels) per step: on tree meshes (CylMesh, NeuroMesh dendrites,
where a voxel couples only with its parent) by Hines elimination over the
tree (:func:`dkernels.tree_steps`, like MOOSE's Dsolve), on other meshes
(CubeMesh) by a sparse LU (SuperLU, :func:`dkernels.lu_steps`).  Time stepping follows
MOOSE: the Dsolve's tick (10, dt 0.01 s) diffuses, the chemistry's tick
(16, 0.1 s) then integrates the reactions over its dt, and junctions to
other Dsolves (``buildMeshJunctions``) exchange molecules after each
chemical step: pools of the same name diffuse across them (not across a
membrane junction, one built by the Dsolve of a compartment whose
``isMembraneBound`` is True, which carries ConcChans instead), and the
``<pool>_xfer_<compartment>`` proxies of :mod:`moosepy.fixXreacs` take their
originals' counts after adding what their own chemistry changed (MOOSE's
cross-solver transfer).  With a Gsolve, molecules hop as whole numbers
(:func:`moosepy.kinetics.dkernels_rng.hop_steps`).  The Ksolve or Gsolve drives
its Dsolve: diffusion steps are taken, in order, when the chemistry
advances, so a run that ends between two chemical ticks has taken the
diffusion steps up to the last chemical tick (MOOSE's own Dsolve would have
taken those in between too).

Health (issue 15): after the diffusion steps of each chemical tick the
moved counts are checked (:func:`check_diffused`; the LU kernel takes their
smallest value and sum as it writes them back, so this costs nothing
measurable): a NaN or infinite count, or one below zero beyond round-off,
raises a SolverError naming the Dsolve, the pool, the voxel and the
interval, also for pools that only diffuse (no reaction checks them).
Backward Euler never undershoots; Crank-Nicolson keeps counts >= 0 only
while ``dt`` times the largest rate out of a voxel is <= 2 (``D dt / dx^2
<= 1`` on a uniform cylinder), and a one-voxel pulse beyond that goes
negative (a third of its peak at ``D dt / dx^2 = 2``): refused unless the
Stoich's ``allowNegative`` is True.  A sharp step (half the cylinder full)
does not undershoot under either scheme at any ``D dt / dx^2`` measured
(0.5 to 50).  MOOSE's own Dsolve is backward Euler only (pymoose 5.0.0
has no Crank-Nicolson; it keeps the same pulse >= 0).  A diffConst so
large that ``dt`` x rate passes :data:`MAX_STEP_RATE` (the step matrix is
then singular in double precision; SuperLU raised a bare RuntimeError) is
refused at reinit naming the pool.
"""

import logging
import math

import numpy as np

from ..core import structure
from ..core.element import Neutral
from ..core.errors import FieldError, SolverError, MessageError
from ..core.fields import Field, LookupField, Dest
from ..core.health import NEG_REL, first_nonfinite
from ..core.units import NA
from . import dkernels as K     # (numpy and moosepy.jit only: numba loads at a kernel's first call)

log = logging.getLogger('moosepy.kinetics')

METHODS = ('be', 'cn')
#: key of a solver element's data: its place among the solvers joined by
#: Dsolve junctions on one tick.  MOOSE's clock calls the objects of a tick
#: in the order they were created, moosepy's in tree order; a loader that
#: sets solvers up as MOOSE does (kkit) records MOOSE's order here, and
#: :func:`_group` steps the joined chemistries in it.  The order decides
#: what each exchange sees (a solver stepped before or after its
#: neighbour's exchange).
PROCESS_ORDER = '_process_order'
#: largest dt x (rate out of a voxel) an implicit step is built for (see
#: :func:`compile_plan`)
MAX_STEP_RATE = 1e12
#: True (MOOSE's reading): the pools of chemistries joined by Dsolve
#: junctions read (their n and conc fields, so Tables and Adaptors too)
#: each one's state right after its last chemical step, before the junction
#: exchanges of that tick, as MOOSE's pools read its Ksolves' own copies
#: (the exchanged values reach a Ksolve at its next tick; for kkit
#: CaOnly.g that is the state one chemical tick earlier).  The solvers go
#: on from the state after the exchanges (MOOSE's Dsolves' counts, nVec).
#: A pool set or written (an Adaptor) since reads what was written.  False:
#: every reading is the state after the exchanges (sums across a junction
#: are then simultaneous and conserve).
READ_BEFORE_EXCHANGE = True
#: True: tree meshes diffuse by Hines elimination (:func:`dkernels.tree_steps`);
#: False: by the general sparse LU as other meshes (the two agree to rounding;
#: the tree kernel takes a third of the LU's time on a 1000-voxel cylinder)
TREE_KERNEL = True


class Dsolve(Neutral):
    """Diffusion solver of the pools of a Stoich across the voxels of its
    compartment (see the module docstring)."""

    default_tick = 10

    stoich = Field(None, '', 'The Stoich whose pools diffuse', type='object', stored=False)
    compartment = Field(None, '', 'Mesh of the Stoich', type='object', ro=True, stored=False)
    stoichPath = Field('', '', 'Path of the Stoich', type='string', ro=True, stored=False)
    numVoxels = Field(0, '', 'Voxels of the mesh', type='unsigned int', ro=True, stored=False)
    numAllVoxels = Field(0, '', 'Voxels of the mesh', type='unsigned int', ro=True,
                         stored=False)
    numPools = Field(0, '', 'Pools handled (all pools of the Stoich)', type='unsigned int',
                     ro=True, stored=False)
    numDiffPools = Field(0, '', 'Pools that move (diffConst > 0 or motorConst != 0)',
                         type='unsigned int', ro=True, stored=False)
    method = Field('be', '', "Scheme: 'be' backward Euler (MOOSE's), 'cn' Crank-Nicolson",
                   type='string', stored=False)
    _method = Field('be', type='string', hidden=True)
    nVec = LookupField('unsigned int', 'vector', '#', 'Molecule counts of one pool (by its '
                       'index) in every voxel')
    diffVol1 = LookupField('unsigned int', 'double', 'm^3', 'Volume of this side of junction '
                           'pair i')
    diffVol2 = LookupField('unsigned int', 'double', 'm^3', 'Volume of the other side of '
                           'junction pair i')
    diffScale = LookupField('unsigned int', 'double', 'm', 'Coupling (area / distance) of '
                            'junction pair i')

    ports = (Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'),
             Dest('buildMeshJunctions', 'ObjId', 'Join to the Dsolve of an adjoining mesh'),
             Dest('buildNeuroMeshJunctions', 'ObjId,ObjId', 'Join this (NeuroMesh) Dsolve to '
                  'the spine and PSD Dsolves'))

    # ------------------------------------------------------------ fields
    def _stoich_el(self):
        s = self._el.data.get('stoich')
        return s if s is not None and s.alive else None

    def _get_stoich(self):
        s = self._stoich_el()
        return None if s is None else s.handle(0)

    def _set_stoich(self, v):
        from .stoich import Stoich
        el = v._element() if hasattr(v, '_element') else None
        if el is None or not issubclass(el.cls, Stoich):
            raise FieldError(f'{self.path} (Dsolve).stoich: expected a Stoich, got {v!r}')
        el.handle(0).dsolve = self

    def _get_stoichPath(self):
        s = self._stoich_el()
        return '' if s is None else s.path

    def _get_compartment(self):
        s = self._get_stoich()
        return None if s is None else s.compartment

    def _get_numVoxels(self):
        c = self._get_compartment()
        return 0 if c is None else int(c.numVoxels)

    _get_numAllVoxels = _get_numVoxels

    def _chem(self):
        """The compiled chemistry this Dsolve moves (None before reinit)."""
        s = self._stoich_el()
        ks = None if s is None else s.data.get('_ksolve')
        return None if ks is None else ks.data.get('compiled')

    def _get_numPools(self):
        s = self._stoich_el()
        return 0 if s is None else int(s.handle(0).numAllPools)

    def _get_numDiffPools(self):
        p = self._el.data.get('plan')
        return 0 if p is None else len(p.cols)

    def _get_method(self):
        return self._el.cols['_method'][self._idx]

    def _set_method(self, v):
        m = str(v).lower()
        if m not in METHODS:
            raise FieldError(f"{self.path} (Dsolve).method: unknown scheme {v!r}; valid: "
                             f"'be' (backward Euler), 'cn' (Crank-Nicolson)")
        self._el.cols['_method'][self._idx] = m
        self._el.data.pop('plan', None)

    def _nvec_pool(self, pool, what):
        c = self._chem()
        if c is None:
            raise SolverError(f'{self.path}: not compiled yet (call moose.reinit())')
        n = c.state.shape[1]
        try:
            k = int(pool)
        except (TypeError, ValueError):
            k = -1
        if not 0 <= k < n:
            raise FieldError(f'{self.path} (Dsolve).nVec[{pool!r}]: a pool index is expected, '
                             f'0..{n - 1} (the Stoich\'s pool order); {what}')
        return c, k

    def _lookup_nVec(self, pool):
        """Molecule counts [#] of pool number *pool* (the Stoich's order, as
        the Ksolve's nVec entries) in every voxel, as MOOSE's
        Dsolve.nVec[pool]."""
        c, k = self._nvec_pool(pool, 'MOOSE prints a warning and returns []')
        return c.state[:, k].copy()

    def _lookupset_nVec(self, pool, values):
        """Set pool number *pool*'s molecule counts [#] in every voxel (one
        value per voxel).  moosepy keeps one state, so the pool's ``n``
        reads the new values at once (MOOSE's Ksolve takes them at its
        next tick)."""
        c, k = self._nvec_pool(pool, 'MOOSE prints a warning and ignores the set')
        v = np.asarray(values, dtype=float).ravel()
        if v.shape[0] != c.state.shape[0] or not np.isfinite(v).all():
            raise FieldError(f'{self.path} (Dsolve).nVec[{k}]: expected {c.state.shape[0]} '
                             f'finite counts (one per voxel), got {values!r}')
        c.state[:, k] = v

    def _junction_field(self, i, what):
        js = self._el.data.get('junctions', [])
        pairs = [(j, k) for j in js for k in range(len(j.mine))]
        if not 0 <= int(i) < len(pairs):
            raise FieldError(f'{self.path} (Dsolve): junction pair {i} out of range '
                             f'(0..{len(pairs) - 1})')
        j, k = pairs[int(i)]
        return float(getattr(j, what)[k])

    def _lookup_diffVol1(self, i):
        return self._junction_field(i, 'vol_mine')

    def _lookup_diffVol2(self, i):
        return self._junction_field(i, 'vol_other')

    def _lookup_diffScale(self, i):
        return self._junction_field(i, 'g')

    # ------------------------------------------------------------ junctions
    def buildMeshJunctions(self, other):
        """Join this Dsolve to *other* (the Dsolve of an adjoining mesh):
        pools of the same name exchange molecules across the voxels where
        the meshes touch."""
        oel = _dsolve_el(other, f'{self.path}.buildMeshJunctions')
        mine, theirs = _mesh_of(self._el), _mesh_of(oel)
        pairs = _mesh_pairs(mine, theirs)
        if pairs is None:
            raise MessageError(f'{self.path}.buildMeshJunctions({oel.path}): moosepy cannot '
                               f'find where {mine.path} ({mine.cls.__name__}) touches '
                               f'{theirs.path} ({theirs.cls.__name__}); junctions are built '
                               f'between CubeMeshes that share a face and between meshes '
                               f'that define them (NeuroMesh, SpineMesh, PsdMesh)')
        _add_junction(self._el, oel, *pairs)

    def buildNeuroMeshJunctions(self, spine, psd):
        """Join this Dsolve (of a NeuroMesh) to the Dsolves of its SpineMesh
        (*spine*) and PsdMesh (*psd*): dendrite <-> spine head <-> PSD."""
        sel = _dsolve_el(spine, f'{self.path}.buildNeuroMeshJunctions')
        pel = _dsolve_el(psd, f'{self.path}.buildNeuroMeshJunctions')
        # as MOOSE: the spine Dsolve holds the spine-dendrite junction, the
        # PSD Dsolve the PSD-spine one (the side that holds it relaxes first)
        sel.handle(0).buildMeshJunctions(self)
        pel.handle(0).buildMeshJunctions(sel.handle(0))

    # ------------------------------------------------------------ clock
    @classmethod
    def _reinit(cls, el):
        if el.data.get('stoich') is None:
            log.warning('%s: no Stoich uses this Dsolve (set stoich.dsolve); it does nothing',
                        el.path)

    @classmethod
    def _batch_role(cls, el):
        return 'idle'       # its Ksolve/Gsolve takes its steps

    @classmethod
    def _on_delete(cls, el):
        el.data.pop('plan', None)
        for j in el.data.get('junctions', []):
            o = j.other
            if o.alive:
                o.data['junctions'] = [x for x in o.data.get('junctions', [])
                                       if x.other is not el]


def _dsolve_el(v, where):
    el = v._element() if hasattr(v, '_element') else None
    if el is None or not issubclass(el.cls, Dsolve):
        raise MessageError(f'{where}: expected a Dsolve, got {v!r}')
    return el


def _mesh_of(dsolve_el):
    s = dsolve_el.data.get('stoich')
    c = None if s is None else s.handle(0).compartment
    if c is None:
        raise MessageError(f'{dsolve_el.path} (Dsolve): it has no Stoich with a compartment '
                           f'yet; set stoich.compartment and stoich.dsolve first')
    return c._element()


class _Junction:
    """Voxel pairs joining this Dsolve's mesh to another's: mine[p] <->
    other_vox[p] with coupling g[p] = area / distance [m]."""

    def __init__(self, other, mine, theirs, g, vol_mine, vol_other, membrane=False):
        self.other = other
        #: the holder's mesh was isMembraneBound when the junction was built:
        #: as in MOOSE, ConcChans cross it and same-named pools do not
        self.membrane = bool(membrane)
        self.mine = np.asarray(mine, dtype=np.int64)
        self.theirs = np.asarray(theirs, dtype=np.int64)
        self.g = np.asarray(g, dtype=float)
        self.vol_mine = np.asarray(vol_mine, dtype=float)
        self.vol_other = np.asarray(vol_other, dtype=float)


def _add_junction(el, oel, mine, theirs, g):
    ma, mb = _mesh_of(el), _mesh_of(oel)
    va = ma.handle(0)._voxel_volumes()
    vb = mb.handle(0)._voxel_volumes()
    mine = np.asarray(mine, dtype=np.int64)
    theirs = np.asarray(theirs, dtype=np.int64)
    membrane = bool(getattr(ma.handle(0), 'isMembraneBound', False))
    if not membrane:
        _warn_unmatched(el, oel, ma, mb)
    j = _Junction(oel, mine, theirs, g, va[mine], vb[theirs], membrane)
    js = [x for x in el.data.get('junctions', []) if x.other is not oel]
    js.append(j)
    el.data['junctions'] = js
    peers = [x for x in oel.data.get('junction_peers', []) if x is not el and x.alive]
    oel.data['junction_peers'] = peers + [el]
    structure.changed()


def _warn_unmatched(el, oel, ma, mb):
    """Diffusing pools of either mesh with no pool of the same name on the
    other side stay where they are, as in MOOSE; say which."""
    from .pool import PoolBase

    def diffusing(mesh):
        out = {}
        for e in mesh.walk():
            if issubclass(e.cls, PoolBase) and e.cols['diffConst'][0] > 0:
                out.setdefault(e.name, e.path)
        return out
    da, db = diffusing(ma), diffusing(mb)
    alone = sorted(set(da) ^ set(db))
    if alone:
        paths = [da.get(n) or db.get(n) for n in alone]
        log.warning('%s <-> %s: diffusing pools with no pool of the same name across the '
                    'junction do not cross it: %s%s', el.path, oel.path,
                    ', '.join(paths[:6]), ' ...' if len(paths) > 6 else '')


def _mesh_pairs(a, b):
    """(voxels of a, voxels of b, g) where meshes a and b touch, or None."""
    ha, hb = a.handle(0), b.handle(0)
    f = getattr(ha, '_junctions', None)
    if f is not None:
        r = f(hb)
        if r is not None:
            return r
    f = getattr(hb, '_junctions', None)
    if f is not None:
        r = f(ha)
        if r is not None:
            return r[1], r[0], r[2]
    from .mesh import CubeMesh
    if issubclass(a.cls, CubeMesh) and issubclass(b.cls, CubeMesh):
        return _cube_faces(ha, hb)
    return None


def _cube_faces(a, b):
    """Voxel pairs of two CubeMeshes whose faces touch (within 1e-3 of a
    voxel); g = shared face area / distance between the voxel centres."""
    ga, gb = a._diffusion_geometry(), b._diffusion_geometry()
    lo_a, hi_a, n_a = a._grid()
    lo_b, hi_b, n_b = b._grid()
    da, db = (hi_a - lo_a) / n_a, (hi_b - lo_b) / n_b
    ca, cb = ga.midpoints.T, gb.midpoints.T
    tol = 1e-3 * min(da.min(), db.min())
    mine, theirs, gs = [], [], []
    for ax in range(3):
        for sa, sb in ((hi_a, lo_b), (lo_a, hi_b)):
            if abs(sa[ax] - sb[ax]) > tol:
                continue
            # voxels of a and b on that plane
            ia = np.nonzero(np.abs(ca[:, ax] + (0.5 if sa is hi_a else -0.5) * da[ax]
                                   - sa[ax]) < tol)[0]
            ib = np.nonzero(np.abs(cb[:, ax] + (-0.5 if sa is hi_a else 0.5) * db[ax]
                                   - sb[ax]) < tol)[0]
            other = [k for k in range(3) if k != ax]
            for i in ia:
                lo1 = ca[i, other] - da[other] / 2
                hi1 = ca[i, other] + da[other] / 2
                lo2 = cb[ib][:, other] - db[other] / 2
                hi2 = cb[ib][:, other] + db[other] / 2
                ov = np.clip(np.minimum(hi1, hi2) - np.maximum(lo1, lo2), 0, None)
                area = ov[:, 0] * ov[:, 1]
                hit = area > 0
                for k, ar in zip(ib[hit], area[hit]):
                    mine.append(i)
                    theirs.append(k)
                    gs.append(ar / ((da[ax] + db[ax]) / 2))
    if not mine:
        return None
    return np.array(mine), np.array(theirs), np.array(gs)


# ---------------------------------------------------------------- compiling
class Plan:
    """A Dsolve compiled against the chemistry it moves: the state columns
    of the moving pools and their factored step matrices (or, for whole
    molecules, their out-rates)."""

    def __init__(self, key, cols, n, dt, arrays, whole, cn=False, el=None, rate_out=None):
        self.cn = cn
        self.el = el                    # the Dsolve element (its path in errors)
        # per moving pool: the largest rate out of a voxel [1/s]; CN keeps
        # counts >= 0 while dt * rate_out <= 2
        self.rate_out = rate_out
        self.key = key
        self.cols = np.asarray(cols, dtype=np.int64)
        self.n = n
        self.dt = dt
        self.arrays = arrays
        self.whole = whole


class _Entries:
    """A transport matrix as its distinct entries (row, col, data; sorted
    by row, then column), for the tree kernel's plan, which reads only
    entries and the diagonal: what scipy.sparse's CSR gives, without
    importing scipy.sparse (0.2 s of a first run).  Made only where each
    entry sums at most two terms (a + b = b + a: the same number in any
    order, as scipy sums its duplicates after an unstable sort)."""

    def __init__(self, n, row, col, data):
        self.shape = (n, n)
        self.row, self.col, self.data = row, col, data
        self._keys = row * n + col

    def tocoo(self):
        return self

    def tocsr(self):
        return self

    def diagonal(self):
        d = np.zeros(self.shape[0])
        on = self.row == self.col
        d[self.row[on]] = self.data[on]
        return d

    def __getitem__(self, key):
        """Entries (rows[i], cols[i]), 0.0 where absent."""
        rows, cols = key
        q = np.asarray(rows, np.int64) * self.shape[0] + np.asarray(cols, np.int64)
        i = np.minimum(np.searchsorted(self._keys, q), max(len(self._keys) - 1, 0))
        if not len(self._keys):
            return np.zeros(len(q))
        return np.where(self._keys[i] == q, self.data[i], 0.0)

    def scipy(self):
        from scipy import sparse
        n = self.shape[0]
        return sparse.csr_matrix((self.data, (self.row, self.col)), shape=(n, n))


#: build the tree kernel's transport matrices as :class:`_Entries` where
#: they are the same numbers (False: scipy.sparse for every mesh)
LIGHT_MATRICES = True


def _as_scipy(A):
    return A.scipy() if isinstance(A, _Entries) else A


def _transport_matrix(geom, D, motor):
    """A [1/s] with dn/dt = A n for one pool (columns sum to 0): an
    :class:`_Entries` where it holds the same numbers, else a scipy CSR."""
    n = geom.num
    V = geom.volume
    i, k, g = geom.edges
    rows, cols, vals = [], [], []
    if D > 0 and len(i):
        w = D * g
        rows += [i, k, i, k]
        cols += [i, k, k, i]
        with np.errstate(over='ignore'):    # an absurd D: compile_plan names it
            vals += [-w / V[i], -w / V[k], w / V[k], w / V[i]]
    if motor != 0:
        par = geom.parent
        kid = np.nonzero(par >= 0)[0]
        if motor < 0:       # towards the root: child -> parent
            r = -motor / geom.length[kid]
            rows += [kid, par[kid]]
            cols += [kid, kid]
            vals += [-r, r]
        else:               # towards the twigs: parent -> children, by area
            p = par[kid]
            tot = np.zeros(n)
            np.add.at(tot, p, geom.area[kid])
            share = geom.area[kid] / tot[p]
            r = motor / geom.length[p]
            has_kids = np.zeros(n, dtype=bool)
            has_kids[p] = True
            src = np.nonzero(has_kids)[0]
            rows += [src, kid]
            cols += [src, p]
            vals += [-motor / geom.length[src], r * share]
    if not rows:
        if LIGHT_MATRICES:
            e = np.zeros(0, np.int64)
            return _Entries(n, e, e, np.zeros(0))
        from scipy import sparse
        return sparse.csr_matrix((n, n))
    r = np.concatenate(rows).astype(np.int64)
    c = np.concatenate(cols).astype(np.int64)
    v = np.concatenate(vals)
    if LIGHT_MATRICES:
        order = np.argsort(r * n + c, kind='stable')
        keys = (r * n + c)[order]
        first = np.concatenate([[True], keys[1:] != keys[:-1]])
        starts = np.nonzero(first)[0]
        counts = np.diff(np.append(starts, len(keys)))
        if len(keys) and counts.max() <= 2:
            vs = v[order]
            data = vs[starts].copy()
            two = counts == 2
            with np.errstate(over='ignore', invalid='ignore'):    # (as above)
                data[two] = vs[starts[two]] + vs[starts[two] + 1]
            ks = keys[starts]
            return _Entries(n, ks // n, ks % n, data)
    from scipy import sparse
    A = sparse.coo_matrix((v, (r, c)), shape=(n, n))
    return A.tocsr()


def _split_diag(T):
    """(strictly triangular part of CSR matrix T, 1 / its diagonal)."""
    from scipy import sparse
    d = T.diagonal()
    S = (T - sparse.diags(d)).tocsr()
    S.eliminate_zeros()
    S.sort_indices()
    return S, 1.0 / d


def _factor(A, dt, method):
    """(L, U, perm_r, perm_c, B) of one implicit step of dn/dt = A n."""
    from scipy import sparse
    from scipy.sparse.linalg import splu
    n = A.shape[0]
    I = sparse.identity(n, format='csc')
    theta = 1.0 if method == 'be' else 0.5
    M = (I - theta * dt * A).tocsc()
    lu = splu(M, permc_spec='MMD_AT_PLUS_A', diag_pivot_thresh=0.0,
              options={'SymmetricMode': True})
    B = None if method == 'be' else (I + 0.5 * dt * A).tocsr()
    return lu.L.tocsr(), lu.U.tocsr(), lu.perm_r, lu.perm_c, B


def _tree_order(geom, mats):
    """(order, ppos) for :func:`dkernels.tree_steps` when every matrix in
    *mats* couples a voxel only with its parent voxel (CylMesh, NeuroMesh
    dendrites), else None.  *order*: the voxels with every child before
    its parent; ppos[k]: the position of order[k]'s parent in *order*
    (-1 for a root)."""
    par = geom.parent
    n = geom.num
    if len(par) != n or not (par >= 0).any():
        return None
    for A in mats:
        C = A.tocoo()
        r, c = C.row, C.col
        ok = (r == c) | (par[r] == c) | (par[c] == r)
        if not ok.all():
            return None
    if (par < np.arange(n)).all():
        # each parent has a lower index than its children: n-1..0 puts every
        # child before its parent
        order = np.arange(n - 1, -1, -1, dtype=np.int64)
    else:
        kids = [[] for _ in range(n)]
        roots = []
        for v in range(n):
            (kids[par[v]] if par[v] >= 0 else roots).append(v)
        seen = []
        todo = list(roots)
        while todo:
            v = todo.pop()
            seen.append(v)
            todo.extend(kids[v])
        if len(seen) != n:          # a cycle in the parents: not a tree
            return None
        order = np.array(seen[::-1], dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    pv = par[order]
    ppos = np.where(pv >= 0, pos[np.maximum(pv, 0)], -1).astype(np.int64)
    return order, ppos


def _tree_arrays(tree, mats, dt, method):
    """The tree kernel's arrays for the step matrices of *mats*: ('tree',
    order, ppos, inv, f, up, bd, bup, bdown, chain), per pool at offset q*n
    (chain: True when the tree is one unbranched chain in order)."""
    order, ppos = tree
    n = len(order)
    kid = np.nonzero(ppos >= 0)[0]
    v = order[kid]
    pv = order[ppos[kid]]
    theta = 1.0 if method == 'be' else 0.5
    parts = {k: [] for k in ('inv', 'f', 'up', 'bd', 'bup', 'bdown')}
    for A in mats:
        A = A.tocsr()
        diag = A.diagonal()[order]
        a_up = np.zeros(n)
        a_down = np.zeros(n)
        a_up[kid] = np.asarray(A[v, pv]).ravel()           # A[v, parent]
        a_down[kid] = np.asarray(A[pv, v]).ravel()         # A[parent, v]
        inv, f = K.tree_factor(n, order, ppos, 1.0 - theta * dt * diag,
                               -theta * dt * a_up, -theta * dt * a_down)
        parts['inv'].append(inv)
        parts['f'].append(f)
        parts['up'].append(-theta * dt * a_up * inv)
        if method == 'cn':
            parts['bd'].append(1.0 + 0.5 * dt * diag)
            parts['bup'].append(0.5 * dt * a_up)
            parts['bdown'].append(0.5 * dt * a_down)
    cat = {k: (np.concatenate(x) if x else np.zeros(1)) for k, x in parts.items()}
    chain = bool(n > 1 and ppos[-1] < 0 and (ppos[:-1] == np.arange(1, n)).all())
    return ('tree', order, ppos, cat['inv'], cat['f'], cat['up'], cat['bd'], cat['bup'],
            cat['bdown'], chain)


def _pack(mats, n):
    """Concatenate CSR matrices: pointers (q*(n+1)), indices, values, offsets."""
    ptr = np.concatenate([m.indptr for m in mats]).astype(np.int64)
    idx = np.concatenate([m.indices for m in mats]).astype(np.int64)
    val = np.concatenate([m.data for m in mats]).astype(float)
    off = np.cumsum([0] + [m.nnz for m in mats[:-1]]).astype(np.int64)
    return ptr, idx, val, off


def compile_plan(dsolve_el, comp, dt, whole):
    """The Plan of *dsolve_el* for compiled chemistry *comp* stepping by dt
    [s]; kept while the structure, the pools' diffConst/motorConst, dt and
    the scheme are unchanged."""
    mesh = _mesh_of(dsolve_el)
    h = dsolve_el.handle(0)
    method = h.method
    D = np.array([float(p.cols['diffConst'][0]) for p in comp.pool_els])
    M = np.array([float(p.cols['motorConst'][0]) for p in comp.pool_els])
    bad = np.nonzero(~np.isfinite(D) | (D < 0) | ~np.isfinite(M))[0]
    if len(bad):
        p = comp.pool_els[bad[0]]
        raise SolverError(f'{p.path}: diffConst {D[bad[0]]!r} m^2/s / motorConst '
                          f'{M[bad[0]]!r} m/s; expected finite values, diffConst >= 0')
    held = comp.arrays['held']       # buffered and Function-set pools do not move
    moving = [j for j in range(comp.npools) if not held[j] and (D[j] > 0 or M[j] != 0)]
    geom = mesh.handle(0)._diffusion_geometry()
    if len(geom.edges[0]) == 0 and not (geom.parent >= 0).any():
        # voxels not coupled to each other (SpineMesh, PsdMesh): the plan
        # does not depend on their sizes (a resized spine keeps it), and
        # nothing moves inside the mesh (only across its junctions)
        shape = ('isolated', geom.num)
        moving = []
    else:
        shape = hash((geom.volume.tobytes(), geom.area.tobytes(), geom.length.tobytes(),
                      geom.edges[2].tobytes()))
    key = (structure.version(), tuple(D[moving]), tuple(M[moving]), dt, method, whole,
           id(comp.layout), shape)
    old = dsolve_el.data.get('plan')
    if old is not None and old.key == key:
        return old
    n = geom.num
    if n != comp.nvox:
        raise SolverError(f'{dsolve_el.path} (Dsolve): its mesh {mesh.path} has {n} voxels '
                          f'but the chemistry has {comp.nvox}')
    if any(M[j] != 0 for j in moving) and not (geom.parent >= 0).any() and n > 1:
        log.warning('%s: motor transport needs a tree mesh (CylMesh, NeuroMesh); %s has '
                    'none, so motorConst is ignored', dsolve_el.path, mesh.path)
    mats = [_transport_matrix(geom, D[j], M[j]) for j in moving]
    rate_out = np.array([float(np.max(-A.diagonal(), initial=0.0)) for A in mats])
    for q, j in enumerate(moving):
        # a rate that overflowed, or a step dt x rate so large that the 1
        # of I - dt A is lost to rounding (the matrix is then singular in
        # double precision; 1e12 is nine orders beyond any cell's D dt/dx^2)
        r = rate_out[q]
        if not math.isfinite(r) or (not whole and dt * r > MAX_STEP_RATE):
            p = comp.pool_els[j]
            raise SolverError(
                f'{dsolve_el.path} (Dsolve): pool {p.path} (diffConst {D[j]:g} m^2/s, '
                f'motorConst {M[j]:g} m/s) leaves a voxel of {mesh.path} at a rate of {r:g} '
                f'/s; with dt {dt:g} s the step dt x rate is {dt * r:g}, beyond '
                f'{MAX_STEP_RATE:g} (the implicit step is singular in double precision); '
                'diffConst is in m^2/s (1e-12 is typical of a protein in cytoplasm)')
    if whole:
        outs = []
        for A in map(_as_scipy, mats):
            O = A.tocsc().copy()
            O.setdiag(0.0)
            O.eliminate_zeros()
            # column i of A: rates out of voxel i; as CSR by source voxel
            outs.append(O.T.tocsr())
        arrays = _pack(outs, n) if outs else None
    elif TREE_KERNEL and mats and (tree := _tree_order(geom, mats)) is not None:
        arrays = _tree_arrays(tree, mats, dt, method)
    else:
        facs = []
        for j, A in zip(moving, map(_as_scipy, mats)):
            try:
                facs.append(_factor(A, dt, method))
            except RuntimeError as exc:       # SuperLU: a singular factor
                raise SolverError(f'{dsolve_el.path} (Dsolve): the diffusion step of pool '
                                  f'{comp.pool_els[j].path} cannot be factored ({exc}); '
                                  'check its diffConst/motorConst and the mesh\'s voxel '
                                  'sizes') from None
        if facs:
            Ls = [_split_diag(f[0]) for f in facs]
            Us = [_split_diag(f[1]) for f in facs]
            L = _pack([x[0] for x in Ls], n) + (np.concatenate([x[1] for x in Ls]),)
            U = _pack([x[0] for x in Us], n) + (np.concatenate([x[1] for x in Us]),)
            pr = np.concatenate([f[2] for f in facs]).astype(np.int64)
            pc = np.concatenate([f[3] for f in facs]).astype(np.int64)
            if method == 'cn':
                B = _pack([f[4] for f in facs], n)
            else:
                z = np.zeros(1, dtype=np.int64)
                B = (z, z, np.zeros(1), z)
            arrays = (L, U, pr, pc, B)
        else:
            arrays = None
    plan = Plan(key, moving, n, dt, arrays, whole, method == 'cn', dsolve_el, rate_out)
    dsolve_el.data['plan'] = plan
    return plan


def diffuse(plan, state, nsteps):
    """Take *nsteps* transport steps of the plan on *state* (voxels, pools).
    Returns (smallest count, sum of the counts) of the columns moved when
    the kernel gives them (:func:`check_diffused` reads them), else None."""
    if nsteps <= 0 or plan.arrays is None or not len(plan.cols):
        return None
    if plan.whole:
        from .dkernels_rng import hop_steps
        Op, Oi, Ox, Oo = plan.arrays
        hop_steps(state, plan.cols, nsteps, plan.dt, plan.n, Op, Oi, Ox, Oo)
        return None
    if plan.arrays[0] == 'tree':
        _k, order, ppos, inv, f, up, bd, bup, bdown, chain = plan.arrays
        return K.tree_steps(state, plan.cols, nsteps, plan.n, order, ppos, inv, f, up, bd, bup,
                            bdown, plan.cn, chain)
    (Lp, Li, Lx, Lo, Ld), (Up, Ui, Ux, Uo, Ud), pr, pc, (Bp, Bi, Bx, Bo) = plan.arrays
    return K.lu_steps(state, plan.cols, nsteps, plan.n, Lp, Li, Lx, Lo, Ld, Up, Ui, Ux, Uo,
                      Ud, pr, pc, Bp, Bi, Bx, Bo, plan.cn)


# ---------------------------------------------------------------- stepping
def check_diffused(plan, comp, t0, t1, seen=None):
    """After the diffusion steps of one chemical tick (issue 15): a NaN or
    infinite count raises a SolverError naming the Dsolve, the pool, the
    voxel and the interval; so does a count below zero beyond round-off
    (``moosepy.core.health.NEG_REL`` of that pool's largest count: the
    step's linear algebra is exact up to rounding, there is no integrator
    tolerance), unless the Stoich's allowNegative is True.  Counts within
    round-off below zero are set to 0, as the Ksolve's check does.

    Backward Euler keeps every count >= 0 (its step matrix has a
    non-negative inverse).  Crank-Nicolson does so only while dt times the
    largest rate out of a voxel is <= 2 (``D dt / dx^2 <= 1`` on a uniform
    cylinder: the diagonal of its explicit half stays >= 0); beyond that a
    one-voxel pulse undershoots by a third of its peak at D dt / dx^2 = 2
    (measured), and the error says so.  Pools that only diffuse (no
    reaction, so no chemical step checks them) are checked here too.

    Cost: none over the state in the usual case: *seen*, the (smallest
    count, sum) the LU kernel took of the columns it wrote, shows them
    finite and >= 0 (the other columns did not move); else (whole-molecule
    hops, or a value to name) one sum and one min over the state."""
    if seen is not None and math.isfinite(seen[1]) and (
            seen[0] >= 0.0 or getattr(comp, 'allow_negative', False)):
        return
    y = comp.state.reshape(-1)
    k = first_nonfinite(y)
    if k >= 0:
        v, j = divmod(k, comp.npools)
        raise SolverError(
            f'{plan.el.path} (Dsolve): pool {comp.pool_els[j].path} in voxel {v} became '
            f'{float(y[k])!r} molecules by diffusion between t = {t0:g} and {t1:g} s; the '
            'values cannot be trusted after this time (check diffConst, motorConst and the '
            'mesh\'s voxel volumes)')
    if getattr(comp, 'allow_negative', False) or not y.size or float(y.min()) >= 0.0:
        return
    S = comp.state
    tol = NEG_REL * np.max(np.abs(S), axis=0)
    low = S.min(axis=0)
    bad = np.nonzero(low < -tol)[0]
    if len(bad):
        j = int(bad[0])
        v = int(np.argmin(S[:, j]))
        n = float(S[v, j])
        vol = comp.voxvol[v] if len(comp.voxvol) > v else 1.0
        why = ''
        cols = list(plan.cols)
        if plan.cn and j in cols and plan.rate_out is not None:
            r = plan.dt * plan.rate_out[cols.index(j)]
            why = (f"; Crank-Nicolson keeps counts >= 0 only while dt x (largest rate out of "
                   f"a voxel) <= 2, and for this pool it is {r:.3g} (dt {plan.dt:g} s): use "
                   f"method = 'be' (MOOSE's scheme) or a smaller Dsolve dt")
        raise SolverError(
            f'{plan.el.path} (Dsolve): pool {comp.pool_els[j].path} in voxel {v} was driven '
            f'to n = {n:.6g} molecules (conc {n / (NA * vol):.6g} mM) by diffusion between '
            f't = {t0:g} and {t1:g} s; a count below zero beyond round-off '
            f'({float(tol[j]):.3g}) is not physical{why} (set the Stoich\'s allowNegative = '
            'True to keep such values)')
    np.maximum(S, 0.0, out=S)


def dsolve_of(solver_el):
    """The Dsolve element driven by a Ksolve/Gsolve element, or None."""
    st = solver_el.data.get('stoich')
    if st is None or not st.alive:
        return None
    ds = st.data.get('_dsolve')
    return ds if ds is not None and ds.alive else None


def _ticks(el):
    """(stride of the chemistry's tick, stride of the Dsolve's tick, base dt)
    from the clock; strides in base steps."""
    from ..core.clock import clock
    base = clock.base_dt
    ks = clock.strides.get(el.tick)
    return base, ks


def advance_split(el, comp, t_end, times, flats, chem_advance, whole):
    """Advance chemistry *comp* of solver *el* (driving Dsolve *ds*) to
    t_end as MOOSE does: per chemical tick, the Dsolve's steps up to it,
    then the chemistry over the tick, then the junctions.  Returns the
    states at *times* (rows) for *flats* (columns), read after each tick."""
    clock = _CLOCK[0]
    if clock is None:           # (an import in the function costs 0.6 us a call)
        from ..core.clock import clock
        _CLOCK[0] = clock
    ds = dsolve_of(el)
    base = clock.base_dt
    kstride = clock.strides.get(el.tick)
    dstride = clock.strides.get(ds.tick) if clock.dts[ds.tick] > 0 else None
    if not base or not kstride:
        # not scheduled through the clock: one chemical step, no diffusion
        return chem_advance(el, comp, t_end, times, flats)
    fb = float(base)            # (round() of a numpy float costs 1.4 us, of a float 0.2)
    s = int(round(float(comp.t) / fb))
    s_end = int(round(float(t_end) / fb))
    if s_end <= s and not len(times) and _idle_call(el, comp, dstride, base, whole):
        return np.zeros((0, len(flats)))
    out = np.zeros((len(times), len(flats)))
    y = comp.state.reshape(-1)
    pre = times <= comp.t + 1e-12 * max(1.0, abs(comp.t))
    if pre.any():
        out[pre] = y[flats]
    setup = _split_setup(el, comp, ds, dstride, base, whole)
    group, plans, jns = setup
    # the joined solvers' tables: filled here, from the states after each tick
    recs = []
    for m in group:
        if m is el:
            continue
        reqs = m.data.get('_requests')
        if reqs is None:
            continue
        mt = np.unique(np.concatenate([r[2] for r in reqs])) if reqs else np.zeros(0)
        mf = (np.unique(np.array([f for r in reqs for f, _ in r[3]], dtype=np.int64))
              if reqs else np.zeros(0, np.int64))
        mo = np.zeros((len(mt), len(mf)))
        my = m.data['compiled'].state.reshape(-1)
        mpre = mt <= comp.t + 1e-9 * base
        if mpre.any():
            mo[mpre] = my[mf]
        recs.append((m, reqs, mt, mf, mo))
    xsrc = {id(x[0]) for js in jns.values() for j in js for x in j.xfers}
    prev = {}
    for m in group:
        if id(m) in xsrc:
            mc = m.data['compiled']
            kept = m.data.get('_xfer_prev')
            # the state before the last chemical step, kept between calls
            # while nothing else has moved the solver (a reinit starts anew)
            prev[id(m)] = (kept[1] if kept is not None and kept[0] == mc.t
                           and kept[1].shape == mc.state.shape else mc.state.copy())
    joined = READ_BEFORE_EXCHANGE and len(group) > 1 and bool(jns)
    snap = {}
    if COMPILED_TICKS and not whole and not xsrc and (joined or len(group) == 1):
        done = _compiled_ticks(el, comp, setup, s, s_end, kstride, dstride, base, times,
                               flats, out, recs)
        if done is not None:
            s, last = done
            comp = el.data['compiled']
            if joined:
                snap = last
    while s < s_end:
        s_next = (s // kstride + 1) * kstride
        if s_next > s_end:
            break
        t = s_next * base
        # the tables of this tick: read as MOOSE's read its Ksolves' own
        # copies, right after each solver's chemical step and before the
        # junction exchanges of the tick (READ_BEFORE_EXCHANGE)
        hit = np.abs(times - t) <= 1e-9 * base
        hits = [np.abs(mt - t) <= 1e-9 * base if len(mt) else None
                for _m, _r, mt, _f, _o in recs]
        need = ()
        if joined:
            if s_next + kstride > s_end:
                need = set(map(id, group))        # the last tick: the read copies
            else:
                need = {id(m) for (m, *_r), mh in zip(recs, hits)
                        if mh is not None and mh.any()}
                if hit.any():
                    need.add(id(el))
        snap = {}
        # as MOOSE's ticks: every Dsolve diffuses, then each chemical solver
        # steps and exchanges across the junctions its Dsolve holds
        for m in group:
            mplan = plans.get(id(m))
            if mplan is not None:
                nst = s_next // dstride - s // dstride
                if nst > 0 and mplan.arrays is not None and len(mplan.cols):
                    mc = m.data['compiled']
                    seen = diffuse(mplan, mc.state, nst)
                    check_diffused(mplan, mc, s * base, s_next * base, seen)
        for m in group:
            mc = m.data['compiled']
            if id(m) in prev:
                prev[id(m)][:] = mc.state
            if _inert(mc):
                mc.t = s_next * base        # no reaction or Function: nothing to integrate
            elif m is el:
                chem_advance(el, comp, s_next * base, np.zeros(0), np.zeros(0, np.int64))
                comp = el.data['compiled']
            else:
                m.cls._chem_step(m, mc, s_next * base)
            if id(m) in need:
                snap[id(m)] = m.data['compiled'].state.reshape(-1).copy()
            for jn in jns.get(id(m), ()):
                jn.exchange(kstride * base, whole, prev)
        s = s_next
        if hit.any():
            y = snap.get(id(el))
            if y is None:
                y = el.data['compiled'].state.reshape(-1)
            out[hit] = y[flats]
        for (m, reqs, mt, mf, mo), mh in zip(recs, hits):
            if mh is not None and mh.any():
                y = snap.get(id(m))
                if y is None:
                    y = m.data['compiled'].state.reshape(-1)
                mo[mh] = y[mf]
    for m, reqs, mt, mf, mo in recs:
        for tab, _ticks, st, specs in reqs:
            if not len(st):
                continue
            rows = np.searchsorted(mt, st)
            vals = np.empty((len(st), len(specs)))
            for k, (flat, scale) in enumerate(specs):
                vals[:, k] = mo[rows, np.searchsorted(mf, flat)] * scale
            tab.cls._record_batch(tab, st, vals)
        m.data['_group_done'] = True
    for m in group:
        if id(m) in prev:
            m.data['_xfer_prev'] = (m.data['compiled'].t, prev[id(m)])
        # MOOSE's reading of the pools (pool.py _moose_reading): the state
        # after the last chemical step, before that tick's exchanges
        mc = m.data['compiled']
        if joined and id(m) in snap:
            m.data['_read_copy'] = (mc, mc.t, mc.state.reshape(-1).copy(), snap[id(m)])
        elif not joined:
            m.data.pop('_read_copy', None)
    return out


_CLOCK = [None]         # moosepy.core.clock.clock, once imported

#: run the chemical ticks of a call of advance_split in one compiled call
#: (:mod:`moosepy.kinetics.dloop`) where the joined solvers are Ksolves
#: (any method but lsoda), their Dsolves' plans tree kernels and their
#: junctions same-named pools only (no ConcChans, no cross-compartment
#: proxies): the same numbers as the Python loop below it, without ~8
#: kernel calls and their checks a tick.  False: the Python loop.
COMPILED_TICKS = True
#: fewest chemical ticks in a call for which the compiled loop is used
#: (its per-call set-up, the states and the tables' rows packed, is about
#: one tick of the Python loop)
COMPILED_MIN_TICKS = 2


def _member_kind(m, mc):
    """(kind for dloop.run_ticks, (rtol, atol), GSL driver or generic
    method name) of joined solver *m* with compiled chemistry *mc*, or
    None where the loop cannot step it (not a Ksolve, lsoda, Functions, its
    chemistry to be recompiled).  Read at every call: a script may change
    the method between runs."""
    from .ksolve import Ksolve, _gsl_kernel
    if m.cls is not Ksolve or mc.dirty or mc.layout.version != structure.version():
        return None
    if _inert(mc):
        return 0, (0.0, 0.0), None
    c = m.cols
    method = c['_method'][0]
    tol = (float(c['epsRel'][0]), float(c['epsAbs'][0]))
    if method == 'lsoda':
        return None
    if method == 'rk5' and (fn := _gsl_kernel(mc)) is not None:
        if getattr(fn, '__name__', '') != '_together':
            return None     # (one voxel, or Functions: the Python loop)
        return 1, m.data.get('ode_tol') or tol, fn
    info = mc.I[mc.I[32]:mc.I[33]]
    if info[2] + info[3] + info[4] > 0:
        return None         # (Functions: the Python loop)
    return (7 if info[5] != 0 else 6), tol, method


def _offsets(parts):
    return np.cumsum([0] + [len(p) for p in parts]).astype(np.int64)


def _cat(parts, dtype):
    return (np.concatenate(parts).astype(dtype, copy=False) if parts
            else np.zeros(0, dtype=dtype))


class _LoopPlan:
    """What dloop's kernels need of a joined group that stays while its
    split set-up (:func:`_split_setup`) is kept: the states' layout, the
    packed models (I), the diffusion plans (DF) and the junctions (JN,
    less their step), as arrays concatenated with offsets (member i's part
    of X is ``X[o[i]:o[i + 1]]``)."""

    def __init__(self, comps, dparts, jl):
        ys = [c.state.reshape(-1) for c in comps]
        self.yo = _offsets(ys)
        self.nvox = np.array([c.nvox for c in comps], np.int64)
        self.npools = np.array([c.npools for c in comps], np.int64)
        self.hco = np.cumsum([0] + [c.nvox for c in comps]).astype(np.int64)
        self.II = _cat([c.I for c in comps], np.int64)
        self.io = _offsets([c.I for c in comps])
        self.dparts = dparts
        e_i, e_f = np.zeros(0, np.int64), np.zeros(0)
        dcl = [p.cols if p is not None else e_i for p in dparts]
        dor = [p.arrays[1] if p is not None else e_i for p in dparts]
        dpp = [p.arrays[2] if p is not None else e_i for p in dparts]
        # inv, f, up, bd, bup, bdown (the last three one 0.0 under backward
        # Euler: padded to the member's factors)
        fparts = [[p.arrays[k] if p is not None else e_f for p in dparts] for k in range(3, 9)]
        for k in (3, 4, 5):
            for i, p in enumerate(dparts):
                if p is not None and len(fparts[k][i]) != len(fparts[0][i]):
                    fparts[k][i] = np.zeros(len(fparts[0][i]))
        self.DF = (np.array([p.n if p is not None else 0 for p in dparts], np.int64),
                   np.array([int(p is not None and p.cn) for p in dparts], np.int64),
                   np.array([int(p is not None and p.arrays[9]) for p in dparts], np.int64),
                   _cat(dcl, np.int64), _offsets(dcl), _cat(dor, np.int64),
                   _cat(dpp, np.int64), _offsets(dor),
                   *(_cat(f, np.float64) for f in fparts), _offsets(fparts[0]))
        # junction j: held by member jhold[j], with member jother[j]; pool
        # columns, voxel pairs, volumes and couplings as junction_exchange's
        cols = [[x[k] for x in jl] for k in range(2, 9)]
        # the per-molecule rates kk / pa and kk / pb of entry m * npairs + p
        # (IEEE quotients: numpy's equal junction_step's)
        ra = [np.asarray(x[8], np.float64) / np.tile(np.asarray(x[6], np.float64), len(x[2]))
              for x in jl]
        rb = [np.asarray(x[8], np.float64) / np.tile(np.asarray(x[7], np.float64), len(x[2]))
              for x in jl]
        self.JN = (np.array([x[0] for x in jl], np.int64), np.array([x[1] for x in jl], np.int64),
                   _cat(cols[0], np.int64), _cat(cols[1], np.int64), _offsets(cols[0]),
                   _cat(cols[2], np.int64), _cat(cols[3], np.int64),
                   _cat(cols[4], np.float64), _cat(cols[5], np.float64), _offsets(cols[2]),
                   _cat(cols[6], np.float64), _offsets(cols[6]), _cat(ra, np.float64),
                   _cat(rb, np.float64))


def _loop_members(group, plans, jns, comps, dstride):
    """(each member's tree diffusion plan or None, the junctions as
    (holder, other, junction_exchange's arrays)) of a joined group, or None
    where the loop cannot run it."""
    dparts = []
    for m in group:
        p = plans.get(id(m))
        if p is None or p.arrays is None or not len(p.cols) or dstride is None:
            dparts.append(None)
        elif p.whole or p.arrays[0] != 'tree':
            return None
        else:
            dparts.append(p)
    pos = {id(m): i for i, m in enumerate(group)}
    jl = []
    for m in group:
        for jn in jns.get(id(m), ()):
            if jn.chans or jn.xfers:
                return None
            if jn.diff is None:
                continue
            b = next((k for k, c in enumerate(comps) if c.state is jn.diff[1]), None)
            if comps[pos[id(m)]].state is not jn.diff[0] or b is None:
                return None
            jl.append((pos[id(m)], b) + tuple(jn.diff[2:]))
    return dparts, jl


def _loop_plan(el, setup, comps, dstride):
    """The :class:`_LoopPlan` of the group of *setup* (group, plans,
    junction exchanges), kept on *el* while the set-up and the members'
    packed models are the same; None where the loop cannot run the group
    (a plan that is not a tree, ConcChans or proxies across a junction)."""
    kept = el.data.get('_loop_plan')
    if kept is not None and kept[0] is setup and len(kept[1]) == len(comps) and \
            all(a is c.I for a, c in zip(kept[1], comps)):
        return kept[2]
    parts = _loop_members(*setup, comps, dstride)
    plan = _LoopPlan(comps, *parts) if parts is not None else None
    el.data['_loop_plan'] = (setup, [c.I for c in comps], plan)
    return plan


def _compiled_ticks(el, comp, setup, s, s_end, kstride, dstride, base, times, flats, out,
                    recs):
    """Run the whole chemical ticks of advance_split's call in one compiled
    call (dloop.run_ticks) where the group allows (see COMPILED_TICKS).
    Returns (base step reached, {id(member): its state after its last
    chemical step}) or None, having changed nothing, where the Python loop
    must run."""
    s_first = (s // kstride + 1) * kstride
    nt = (s_end - s_first) // kstride + 1 if s_first <= s_end else 0
    if nt < COMPILED_MIN_TICKS:
        return None
    lc = LoopCall.make(el, comp, setup, s, nt, kstride, dstride, base, times, flats, out,
                       recs)
    if lc is None:
        return None
    from . import dloop
    k0, g0 = 0, 0
    while True:
        lc.run(lc.s, lc.s_first, lc.nt, lc.kstride, lc.dstride, lc.base, k0, g0, lc.ST,
               lc.CH, lc.DF, lc.JN, lc.RC, lc.info, nt)
        lc.back()
        if int(lc.info[0]) == dloop.DONE:
            break
        k0, g0 = lc.resolve()
    return lc.finish()


class LoopCall:
    """The arrays of one compiled run of a joined group's chemical ticks
    (:mod:`moosepy.kinetics.dloop`): ticks 0 .. nt-1, tick k ending at base
    step ``s_first + k * kstride``, the first beginning at base step *s*.
    Made by :meth:`make`; ``run`` is the dloop kernel to call with
    (s, s_first, nt, kstride, dstride, base, k0, stage0, ST, CH, DF, JN, RC,
    info, k_end); :meth:`back` gives the states, the integrators' memory
    and the times back to the solvers after a call, :meth:`resolve` makes
    the Python check a stopped call asks for, :meth:`finish` fills the
    tables.  The Adaptor-paced run (:mod:`moosepy.core.paced`) drives the
    same arrays one tick at a time from its own kernel."""

    @classmethod
    def make(cls, el, comp, setup, s, nt, kstride, dstride, base, times, flats, out, recs):
        """None, having changed nothing, where the loop cannot run the group
        (see COMPILED_TICKS)."""
        from . import dloop
        from .ksolve import gsl_memory
        group = setup[0]
        s_first = (s // kstride + 1) * kstride
        t_first = s_first * base
        kinds, tols, comps, fns, generic = [], [], [], [], None
        for m in group:
            mc = comp if m is el else m.data['compiled']
            mk = _member_kind(m, mc)
            if mk is None or not mc.t < t_first:
                return None
            if mk[0] >= 6:
                if generic is not None and generic != mk[2]:
                    return None         # (one tableau for the call)
                generic = mk[2]
            kinds.append(mk[0])
            tols.append(mk[1])
            comps.append(mc)
            fns.append(mk[2] if mk[0] == 1 else None)
        if generic is None:
            run = dloop.run_ticks
        elif 1 not in kinds:
            run = dloop.run_ticks_rk
        else:
            return None         # (GSL drivers and the generic kernel: one kernel each)
        lp = _loop_plan(el, setup, comps, dstride)
        if lp is None:
            return None
        self = cls()
        self.el, self.group, self.comps, self.kinds, self.tols = el, group, comps, kinds, tols
        self.generic, self.run, self.lp = generic, run, lp
        self.s, self.s_first, self.nt, self.kstride = s, s_first, nt, kstride
        self.dstride, self.base = dstride or 0, float(base)
        M = len(group)
        self.yo = yo = lp.yo
        self.ys = ys = [c.state.reshape(-1) for c in comps]
        Y = np.concatenate(ys)
        self.gmem = gmem = [gsl_memory(m, c, y, fn) if fn is not None else None
                            for m, c, y, fn in zip(group, comps, ys, fns)]
        HC = np.concatenate([g[0] if g is not None else np.zeros((c.nvox, 2))
                             for g, c in zip(gmem, comps)])
        DY = np.concatenate([g[1] if g is not None else np.zeros(len(y))
                             for g, y in zip(gmem, ys)])
        YL = np.concatenate([g[2] if g is not None else np.zeros(len(y))
                             for g, y in zip(gmem, ys)])
        if generic is not None:
            from . import kernels
            A, B, E, C, order = kernels.tableau(generic)
            order = float(order)
        else:
            A, B, E, C, order = np.zeros((1, 1)), np.zeros(1), np.zeros(1), np.zeros(1), 0.0
        tdone = np.array([float(c.t) for c in comps])
        H = np.array([float(c.h) if k >= 6 else 0.0 for c, k in zip(comps, kinds)])
        self.ST = (Y, yo, lp.nvox, lp.npools, np.array(kinds, np.int64),
                   np.array([bool(getattr(c, 'allow_negative', False)) for c in comps]), tdone,
                   np.array(tols, dtype=np.float64).reshape(M, 2), H)
        # (F: the rate constants, which a script may set between runs)
        self.CH = (HC, lp.hco, DY, YL, lp.II, lp.io, _cat([c.F for c in comps], np.float64),
                   _offsets([c.F for c in comps]), A, B, E, C, order)
        self.DF = lp.DF
        self.JN = lp.JN + (float(kstride * base),)
        # tables: rows by tick
        pos = {id(m): i for i, m in enumerate(group)}
        members_rec = [None] * M
        members_rec[pos[id(el)]] = (times, flats, out)
        for m, _reqs, mt, mf, mo in recs:
            members_rec[pos[id(m)]] = (mt, mf, mo)
        self.members_rec = members_rec = [
            r if r is not None and len(r[0]) and len(r[1]) else None for r in members_rec]
        self.last = last = np.empty_like(Y)
        if any(r is not None for r in members_rec):
            tk = (s_first + np.arange(nt, dtype=np.int64) * kstride) * base
            tolb = 1e-9 * base
            rlo = np.zeros(M * nt, np.int64)
            rhi = np.zeros(M * nt, np.int64)
            rfl, blocks = [], []
            for i, r in enumerate(members_rec):
                if r is None:
                    rfl.append(np.zeros(0, np.int64))
                    blocks.append(np.zeros(0))
                    continue
                mt, mf, mo = r
                rlo[i * nt:(i + 1) * nt] = np.searchsorted(mt, tk - tolb, 'left')
                rhi[i * nt:(i + 1) * nt] = np.searchsorted(mt, tk + tolb, 'right')
                rfl.append(np.asarray(mf, np.int64) + yo[i])
                blocks.append(np.ascontiguousarray(mo, dtype=np.float64).reshape(-1))
            rout, roo = _cat(blocks, np.float64), _offsets(blocks)
            self.RC = (True, rlo, rhi, _cat(rfl, np.int64), _offsets(rfl), rout, roo, last)
        else:
            z = np.zeros(1, np.int64)
            self.RC = (False, z, z, z, z, np.zeros(1), z, last)
        self.info = np.zeros(6)
        return self

    def back(self):
        """The states, the drivers' memory and the times back to the
        solvers (after every kernel call)."""
        Y, tdone, H = self.ST[0], self.ST[6], self.ST[8]
        HC, DY, YL = self.CH[0], self.CH[2], self.CH[3]
        yo, hco = self.yo, self.lp.hco
        for i, c in enumerate(self.comps):
            c.state.reshape(-1)[:] = Y[yo[i]:yo[i + 1]]
            c.t = float(tdone[i])
            g = self.gmem[i]
            if g is not None:
                g[0][:] = HC[hco[i]:hco[i + 1]]
                g[1][:] = DY[yo[i]:yo[i + 1]]
                g[2][:] = YL[yo[i]:yo[i + 1]]
            elif self.kinds[i] >= 6:
                c.h = float(H[i])

    def resolve(self):
        """The check a stopped call asks for (info[0] != DONE), made in
        Python: it raises, or clips round-off below zero and the states go
        back into the call's buffer.  Returns (tick, stage) to resume at."""
        from . import dloop
        from .ksolve import gsl_failed, rk_failed, check_state
        info, M, base = self.info, len(self.group), self.base
        code = int(info[0])
        k, g = int(info[1]), int(info[2])
        s_next = self.s_first + k * self.kstride
        s_prev = self.s if k == 0 else s_next - self.kstride
        t0, t1 = s_prev * base, s_next * base
        if code == dloop.DIFFUSION_CHECK:
            check_diffused(self.lp.dparts[g], self.comps[g], t0, t1, (info[4], info[5]))
        else:
            i = (g - M) // 2
            m, mc = self.group[i], self.comps[i]
            atol = self.tols[i][1]
            if code == dloop.SOLVER_ERROR:
                if self.kinds[i] == 1:
                    gsl_failed(m, mc, self.ys[i], float(info[3]), t0, t1, atol)
                else:
                    rk_failed(m, mc, self.ys[i], self.generic, float(info[3]), t0, t1, atol)
            check_state(m, mc, t0, t1, atol)
            mc.t = t1
            self.ST[6][i] = t1
        Y, yo = self.ST[0], self.yo
        for i, c in enumerate(self.comps):
            Y[yo[i]:yo[i + 1]] = c.state.reshape(-1)
        return k, g + 1

    def finish(self):
        """Fill the tables; returns (base step of the last tick, {id(member):
        its state after its last chemical step})."""
        RC = self.RC
        for i, r in enumerate(self.members_rec):
            if r is not None:
                r[2][...] = RC[5][RC[6][i]:RC[6][i + 1]].reshape(r[2].shape)
        yo, last = self.yo, self.last
        lasts = {id(m): last[yo[i]:yo[i + 1]].copy() for i, m in enumerate(self.group)}
        return self.s_first + (self.nt - 1) * self.kstride, lasts


def _idle_call(el, comp, dstride, base, whole):
    """A call of :func:`advance_split` in which no chemical tick ends and
    no table of *el* reads (the clock's chunks between an Adaptor's
    firings: ex13.1 made 60,000 of them, each paying the plan check of
    :func:`_split_setup`): do what the full call would do and nothing
    else, without the check, when the joined solvers kept from the last
    call are still the ones (same structure, steps and compiled
    chemistries) and none of them has a table sample in this interval.
    Returns False, having changed nothing, where the full call is
    needed."""
    kept = el.data.get('_split_setup')
    if kept is None or kept[0] != (structure.version(), dstride, base, whole):
        return False
    idle = el.data.get('_idle_plan')
    if idle is None or idle[0] is not kept:
        group, comps, _sig, (_g, _plans, jns) = kept[1:]
        xsrc = {id(x[0]) for js in jns.values() for j in js for x in j.xfers}
        idle = el.data['_idle_plan'] = (
            kept, [(m.data, c, st) for m, (c, st) in zip(group, comps)],
            [m.data for m in group if m is not el],
            [m.data for m in group if id(m) in xsrc],
            READ_BEFORE_EXCHANGE and len(group) > 1 and bool(jns))
    _kept, comps, others, xdata, joined = idle
    for d, c, st in comps:
        if d.get('compiled') is not c or c.state is not st:
            return False
    members = []
    for d in others:
        reqs = d.get('_requests')
        if reqs is None:
            continue
        for r in reqs:
            if len(r[2]):
                return False
        members.append(d)
    # as the full call: the members are done, the exchanges' "state before
    # the last chemical step" kept (or taken now), read copies as they were
    for d in members:
        d['_group_done'] = True
    for d in xdata:
        mc = d['compiled']
        k = d.get('_xfer_prev')
        if not (k is not None and k[0] == mc.t and k[1].shape == mc.state.shape):
            d['_xfer_prev'] = (mc.t, mc.state.copy())
    if not joined:
        for d, _c, _st in comps:
            d.pop('_read_copy', None)
    return True


def _value_sig(group):
    """What the plans and junction exchanges read from field values that a
    set changes without a structural change: every joined pool's diffConst
    and motorConst, and the permeability and numChan of ConcChans that
    cross between the solvers."""
    vals = []
    for m in group:
        c = m.data['compiled']
        for p in c.pool_els:
            cols = p.cols
            vals.append(cols['diffConst'][0])
            vals.append(cols['motorConst'][0])
        for ch in getattr(c.layout, 'cross_chans', ()):
            vals.append(ch.cols['permeability'][0])
            vals.append(ch.cols['_numChan'][0])
    return vals


def _split_setup(el, comp, ds, dstride, base, whole):
    """(joined solvers in clock order, their Plans by id, their junction
    exchanges by id) for advance_split; kept on the solver between calls
    (a run of many short chunks calls it at each) while the structure, the
    steps, the compiled chemistries and the values in :func:`_value_sig`
    are unchanged."""
    key = (structure.version(), dstride, base, whole)
    kept = el.data.get('_split_setup')
    if kept is not None and kept[0] == key:
        group, comps, sig, setup = kept[1:]
        if (all(m.data.get('compiled') is c and c.state is st
                for m, (c, st) in zip(group, comps))
                and _value_sig(group) == sig):
            return setup
    group = _group(el)
    plans = {}
    for m in group:
        mds = dsolve_of(m)
        if dstride and mds is not None:
            plans[id(m)] = compile_plan(mds, comp if m is el else m.data['compiled'],
                                        dstride * base, whole)
    jns = {id(m): _junction_arrays(m) for m in group} if len(group) > 1 else {}
    _warn_idle_chans(group if len(group) > 1 else [el])
    setup = (group, plans, jns)
    el.data['_split_setup'] = (key, group,
                               [(m.data['compiled'], m.data['compiled'].state) for m in group],
                               _value_sig(group), setup)
    return setup


def _inert(comp):
    """A compiled chemistry with no reaction term and no Function (pools
    that only diffuse), unchanged since it was compiled."""
    return (comp.nterms == 0 and not comp.arrays['dims'][3] and not comp.dirty
            and comp.layout.version == structure.version())


def _group(el):
    """Solvers joined to *el* through Dsolve junctions (either side holding
    them), in the clock's order of processing (by tick; within a tick by
    :data:`PROCESS_ORDER` where a loader recorded it, else tree order)."""
    ds = dsolve_of(el)
    if ds is None:
        return [el]
    found = {id(el): el}
    todo = [ds]
    done = {id(ds)}
    while todo:
        d = todo.pop()
        links = [j.other for j in d.data.get('junctions', [])]
        links += [o for o in d.data.get('junction_peers', [])]
        for o in links:
            if id(o) in done or not o.alive:
                continue
            done.add(id(o))
            todo.append(o)
            st = o.data.get('stoich')
            ks = None if st is None else st.data.get('_ksolve')
            if ks is not None and ks.data.get('compiled') is not None:
                found[id(ks)] = ks
    if len(found) == 1:
        return [el]
    from ..core.clock import clock
    order = {id(e): (k, i) for k, (_, els) in enumerate(clock.schedule)
             for i, e in enumerate(els)}

    def key(e):
        tick, pos = order.get(id(e), (0, 0))
        return tick, e.data.get(PROCESS_ORDER, math.inf), pos
    return sorted(found.values(), key=key)


class _JnExchange:
    """What one junction exchanges at each chemical step, as kernel
    arguments: same-named diffusing pools (``diff``), ConcChans across a
    membrane junction (``chans``) and cross-compartment proxies
    (``xfers``: source solver, source state, destination state, columns,
    voxels).  The order is MOOSE's (its Dsolve::calcJunction): half the
    diffusion and channel flux, the transfers, the other half."""

    def __init__(self):
        self.diff = None
        self.chans = []
        self.xfers = []

    def exchange(self, dt, whole, prev):
        if whole:       # (whole molecules: one step of dt, numba's RNG stream)
            step, chan, halves, h = _junction_step_whole, _chan_step_whole, 1, dt
        else:
            step, chan, halves, h = K.junction_step, K.chan_step, 2, 0.5 * dt
        if not self.chans and not self.xfers:
            if self.diff is not None:
                if whole:
                    step(*self.diff, dt)
                else:
                    K.junction_exchange(*self.diff, dt)
            return
        for half in range(halves):
            if self.diff is not None:
                step(*self.diff, h)
            for args in self.chans:
                chan(*args, h)
            if half == 0:
                for src, Ss, Sd, cs, cd, vs, vd in self.xfers:
                    K.xfer_step(Ss, Sd, prev[id(src)], cs, cd, vs, vd)


def _junction_step_whole(Sa, Sb, ca, cb, va, vb, pa, pb, kk, dt):
    """dkernels.junction_step for whole molecules (the pairs from the
    compiled kernel, the draws from numba's seeded stream)."""
    from .dkernels_rng import pairs_whole
    pairs_whole(Sa, Sb, *K.junction_pairs(ca, cb, va, vb, pa, pb, kk), dt)


def _chan_step_whole(Sa, Sb, ja, jb, jc, nfix, va, vb, pa, pb, perm, dt):
    """dkernels.chan_step for whole molecules (as _junction_step_whole)."""
    from .dkernels_rng import pairs_whole
    pairs_whole(Sa, Sb, *K.chan_pairs(Sa, ja, jb, jc, nfix, va, vb, pa, pb, perm), dt)


def _warn_idle_chans(group):
    """Say once per compiled layout which ConcChans across two Stoichs no
    membrane junction runs (MOOSE leaves them inert without a word)."""
    for m in group:
        L = m.data['compiled'].layout
        cross = getattr(L, 'cross_chans', ())
        if not cross or getattr(L, '_idle_chans_said', False):
            continue
        run = getattr(L, '_chans_run', set())
        idle = [c.path for c in cross if id(c) not in run]
        if idle:
            log.warning('%s: ConcChan(s) %s join pools of two solvers but no membrane junction '
                        '(buildMeshJunctions called on the Dsolve of a compartment with '
                        'isMembraneBound = True) carries them; they move nothing, as in MOOSE',
                        m.path, ', '.join(idle[:6]))
        L._idle_chans_said = True


def _junction_arrays(m):
    """The exchanges of the junctions solver *m*'s Dsolve holds (a list of
    :class:`_JnExchange`; fixed while the structure and diffusion constants
    are)."""
    out = []
    ds = dsolve_of(m)
    for j in ds.data.get('junctions', []) if ds is not None else ():
        o = j.other
        st = o.data.get('stoich')
        ks = None if st is None else st.data.get('_ksolve')
        oc = None if ks is None else ks.data.get('compiled')
        if oc is None:
            continue
        mc = m.data['compiled']
        jn = _JnExchange()
        if not j.membrane:
            jn.diff = _diff_pairs(mc, oc, j)
        else:
            jn.chans = (_chan_pairs(mc, oc, j.mine, j.theirs, j.vol_mine, j.vol_other)
                        + _chan_pairs(oc, mc, j.theirs, j.mine, j.vol_other, j.vol_mine))
        mmesh, omesh = _mesh_of(ds).name, _mesh_of(o).name
        jn.xfers = [x for x in (_xfer_pairs(m, mc, oc, omesh, j.mine, j.theirs),
                                _xfer_pairs(ks, oc, mc, mmesh, j.theirs, j.mine)) if x]
        if jn.diff is not None or jn.chans or jn.xfers:
            out.append(jn)
    return out


def _diff_pairs(mc, oc, j):
    """junction_exchange's arguments for the same-named diffusing pools of
    compiled chemistries mc (the holder's) and oc, or None."""
    oheld, mheld = oc.arrays['held'], mc.arrays['held']
    names = {p.name: k for k, p in enumerate(oc.pool_els) if not oheld[k]}
    ca, cb, kk = [], [], []
    for a, p in enumerate(mc.pool_els):
        b = names.get(p.name)
        if b is None or mheld[a]:
            continue
        Da = float(p.cols['diffConst'][0])
        Db = float(oc.pool_els[b].cols['diffConst'][0])
        if Da <= 0 or Db <= 0:
            continue
        ca.append(a)
        cb.append(b)
        kk.append(np.sqrt(Da * Db) * j.g)     # MOOSE's geometric mean of D
    if not ca:
        return None
    return (mc.state, oc.state, np.array(ca, np.int64), np.array(cb, np.int64),
            j.mine, j.theirs, j.vol_mine, j.vol_other, np.concatenate(kk))


def _chan_pairs(ac, bc, va, vb, pa, pb):
    """chan_step's arguments for each ConcChan that compiled chemistry ac
    left to its junctions (one pool, and the channel pool, in ac; the other
    pool in bc), for voxel pairs va/vb with volumes pa/pb."""
    from .concchan import chan_pools
    out = []
    ai = {id(p): k for k, p in enumerate(ac.pool_els)}
    bi = {id(p): k for k, p in enumerate(bc.pool_els)}
    for el in getattr(ac.layout, 'cross_chans', ()):
        ins, outs, chan = chan_pools(el)
        a_pool, b_pool = (ins[0], outs[0]) if id(ins[0]) in ai else (outs[0], ins[0])
        if id(a_pool) not in ai or id(b_pool) not in bi:
            continue
        jc = ai.get(id(chan[0]), -2) if chan else -1
        if jc == -2:
            continue        # a channel pool outside both: MOOSE leaves it out too
        ac.layout.__dict__.setdefault('_chans_run', set()).add(id(el))
        out.append((ac.state, bc.state, ai[id(a_pool)], bi[id(b_pool)], jc,
                    float(el.cols['_numChan'][0]), va, vb, pa, pb,
                    float(el.cols['permeability'][0])))
    return out


def _xfer_pairs(src, sc, dc, dest_mesh, vs, vd):
    """xfer_step's arguments for the proxies ``<pool>_xfer_<dest_mesh>`` of
    compiled chemistry sc (solver *src*) whose original ``<pool>`` is in dc,
    or None (MOOSE's Dsolve::mapXfersBetweenDsolves)."""
    tail = '_xfer_' + dest_mesh
    names = {p.name: k for k, p in enumerate(dc.pool_els)}
    cs, cd = [], []
    for a, p in enumerate(sc.pool_els):
        if p.name.endswith(tail) and len(p.name) > len(tail):
            b = names.get(p.name[:-len(tail)])
            if b is not None:
                cs.append(a)
                cd.append(b)
    if not cs:
        return None
    return (src, sc.state, dc.state, np.array(cs, np.int64), np.array(cd, np.int64),
            np.asarray(vs, np.int64), np.asarray(vd, np.int64))
