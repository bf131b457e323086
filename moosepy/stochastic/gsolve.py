"""``Gsolve``: exact stochastic chemistry (Gillespie SSA) on the model a
Stoich compiles, as a drop-in for ``Ksolve``::

    stoich.ksolve = moose.Gsolve(mesh.path + '/gsolve')

At ``reinit`` the Gsolve compiles its Stoich (the same
:func:`~moosepy.kinetics.stoich.compile_stoich` the Ksolve uses), makes the
state ``(voxels, pools)`` in molecules and points every pool's ``n`` column
at it, so ``pool.n`` (whole numbers while solved), ``pool.conc`` and the
tables read the solver.  Every voxel is an independent SSA with its own
random stream (ready for operator-split diffusion).

Propensities follow MOOSE for objects made with the MOOSE API (a Reac
``2X -> ...`` with numKf k fires at ``k*X*(X-1)``; MMenz ``kcat*E*S/(numKm +
S)``; Enz as its three mass-action steps); an SBML kinetic law is read as
written (the DSMTS law ``k1*P*(P-1)/2`` becomes numKf = k1/2).  Details in
:mod:`moosepy.stochastic.model`.  ``numFire[voxel]`` counts the firings of
each reaction, in the order of ``rateLabels``.

Methods (``Gsolve.method``): ``'ssa'`` (default; aliases ``'gssa'``,
``'gillespie'``, ``'direct'``): Gillespie's direct method, exact; ``'tau'``:
tau-leaping with Cao-Gillespie-Petzold step selection (see
:mod:`moosepy.stochastic.tau`), approximate, for systems with large counts.

Seeds: ``Gsolve.seed`` (>= 0) fixes the seed: every ``reinit`` then
restarts the same trajectories.  Left at -1, the seed comes from
``moose.seed(n)`` (mixed with the solver's path, so two solvers do not share
a stream; as in MOOSE each reinit after ``moose.seed(n)`` restarts the same
trajectories), or, if ``moose.seed`` was never called with a number, from
fresh entropy.  ``usedSeed`` and ``method`` are the record of a run: the
same (usedSeed, method, model, sampling) gives bit-identical trajectories in
any process (xoshiro256+ streams, no global generator).  ``Table.xplot``
and ``Table.plainPlot`` of a table fed by a Gsolve write them into the file
(a ``/comment`` line, a ``#`` header line); ``Table.outfile`` is not
written by moosepy; for other files write ``gsolve.usedSeed`` and
``gsolve.method`` next to the data (see ``examples/07_gsolve.py``).

Initial counts: as MOOSE, variable pools with non-integer ``nInit`` are
rounded at reinit: with ``useRandInit`` (default True) up with probability
equal to the fraction (the mean is kept), else to the nearest integer.
Buffered pools keep their value.  Values written into the state between
runs (``pool.n``, ``nVec``) are rounded to the nearest integer as MOOSE's
``setNvec`` does.

Functions whose inputs are pools are re-evaluated after each event that
changes an input; functions of time ``t`` are re-evaluated at the start of
every solver interval (tick) only, as MOOSE's ``useClockedUpdate``.

Events (not in MOOSE; what SBML events become): a list of
:class:`~moosepy.stochastic.events.SsaEvent` kept on the Gsolve
(``events.set_events(gsolve, [...])``, compiled at reinit): time triggers
stop the SSA at exactly their time, state triggers (a threshold on counts)
are checked after every firing that changes a pool they read, and their
assignments set whole counts.  See :mod:`moosepy.stochastic.events`.
"""

import logging
import zlib

import numpy as np

from ..core.element import Neutral
from ..core.errors import SolverError, FieldError
from ..core.fields import Field, LookupField, Dest
from ..core import structure

log = logging.getLogger('moosepy.stochastic')

METHODS = ('ssa', 'tau', 'nsm')
_ALIASES = {'gssa': 'ssa', 'gillespie': 'ssa', 'direct': 'ssa', 'tauleap': 'tau',
            'tau-leaping': 'tau', 'tau_leaping': 'tau', 'next-subvolume': 'nsm',
            'spatial': 'nsm'}


class Gsolve(Neutral):
    """Stochastic (Gillespie SSA) solver of the chemical system of a Stoich,
    one independent SSA per voxel."""

    default_tick = 16

    method = Field('ssa', '', "Method: 'ssa' (exact direct method per voxel, default; with "
                   "a Dsolve, molecules hop at its ticks, as MOOSE), 'tau' (tau-leaping) or "
                   "'nsm' (exact spatial SSA: reactions and single-molecule hops as one "
                   "chain, next-subvolume method)", type='string', stored=False)
    _method = Field('ssa', type='string', hidden=True)
    seed = Field(-1, '', 'Seed of the random streams; -1: from moose.seed() or entropy',
                 type='int')
    usedSeed = Field(-1, '', 'Seed of the current run (the record of its randomness)',
                     type='int', ro=True, stored=False)
    useRandInit = Field(True, '', 'Round non-integer initial counts up with probability '
                        'equal to the fraction (else to the nearest integer)', type='bool')
    useClockedUpdate = Field(False, '', 'Accepted for MOOSE scripts: time-dependent '
                             'Functions are re-evaluated every tick either way', type='bool')
    epsilon = Field(0.03, '', "Tau-leaping error control: relative change of a propensity "
                    "allowed in one leap (method 'tau')")
    nCritical = Field(10, '', "Tau-leaping: reactions within this many firings of "
                      "exhausting a reactant are fired one by one (method 'tau')",
                      type='int')
    numThreads = Field(1, '', 'Threads (voxels are advanced one after another here)',
                       type='unsigned int')
    numPools = Field(0, '', 'Pools in the solver', type='unsigned int', ro=True, stored=False)
    numAllVoxels = Field(0, '', 'Voxels in the solver', type='unsigned int', ro=True,
                         stored=False)
    numLocalVoxels = Field(0, '', 'Voxels handled here', type='unsigned int', ro=True,
                           stored=False)
    numEvents = Field(0, '', 'Reaction events fired since reinit (all voxels)', type='int',
                      ro=True, stored=False)
    rateLabels = Field(None, '', "Reaction of each numFire entry: 'path:f', 'path:b' "
                       "(Reac), 'path:k1/k2/k3' (Enz), 'path' (MMenz)", type='vector',
                       ro=True, stored=False)
    stoich = Field(None, '', 'The Stoich that drives this solver', type='object', ro=True,
                   stored=False)
    compartment = Field(None, '', 'Compartment of the Stoich', type='object', ro=True,
                        stored=False)
    nVec = LookupField('unsigned int', 'vector', '#', 'Molecule counts of all pools in a voxel')
    numFire = LookupField('unsigned int', 'vector', '', 'Firings of every reaction in a '
                          'voxel since reinit, in the order of rateLabels')

    ports = (Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'),
             Dest('voxelVol', 'vector', 'Receives new voxel volumes'))

    # ------------------------------------------------------------ fields
    def _get_method(self):
        return self._el.cols['_method'][self._idx]

    def _set_method(self, v):
        m = str(v).lower()
        m = _ALIASES.get(m, m)
        if m not in METHODS:
            alias = ', '.join(k for k, a in _ALIASES.items() if a == 'ssa')
            raise FieldError(f"{self.path} (Gsolve).method: unknown method {v!r}; valid: "
                             f"'ssa' (aliases {alias}), 'tau', 'nsm' (exact spatial)")
        self._el.cols['_method'][self._idx] = m

    def _comp(self):
        return self._el.data.get('compiled')

    def _need(self):
        c = self._comp()
        if c is None:
            raise SolverError(f'{self.path} (Gsolve): not compiled yet (call moose.reinit())')
        return c

    def _get_numPools(self):
        c = self._comp()
        return 0 if c is None else c.npools

    def _get_numAllVoxels(self):
        c = self._comp()
        return 0 if c is None else c.nvox

    _get_numLocalVoxels = _get_numAllVoxels

    def _get_usedSeed(self):
        c = self._comp()
        return -1 if c is None else int(c.used_seed)

    def _get_numEvents(self):
        c = self._comp()
        return 0 if c is None else int(c.fires.sum())

    def _get_rateLabels(self):
        c = self._comp()
        return [] if c is None else list(c.ssa.labels)

    def _get_stoich(self):
        s = self._el.data.get('stoich')
        return None if s is None or not s.alive else s.handle(0)

    def _get_compartment(self):
        s = self._get_stoich()
        return None if s is None else s.compartment

    def _voxel(self, c, voxel):
        v = int(voxel)
        if not 0 <= v < c.nvox:
            raise FieldError(f'{self.path} (Gsolve): voxel {voxel} out of range '
                             f'(0..{c.nvox - 1})')
        return v

    def _lookup_nVec(self, voxel):
        c = self._need()
        return c.state[self._voxel(c, voxel)].copy()

    def _lookupset_nVec(self, voxel, values):
        c = self._need()
        v = self._voxel(c, voxel)
        vals = np.asarray(values, dtype=float).ravel()
        if vals.shape != (c.npools,):
            raise FieldError(f'{self.path} (Gsolve).nVec[{v}]: expected {c.npools} values, '
                             f'got {vals.size}')
        bad = np.nonzero(~(vals >= 0) | ~np.isfinite(vals))[0]
        if len(bad):
            raise SolverError(f'{c.pool_els[bad[0]].path}: count {vals[bad[0]]!r} for '
                              f'Gsolve {self.path} voxel {v} is not a finite value >= 0')
        c.state[v] = vals

    def _lookup_numFire(self, voxel):
        c = self._need()
        return c.fires[self._voxel(c, voxel)].copy()

    # ------------------------------------------------------------ clock
    @classmethod
    def _reinit(cls, el):
        stoich = el.data.get('stoich')
        if stoich is None or not stoich.alive:
            el.data['compiled'] = None
            log.warning('%s: no Stoich uses this Gsolve; it does nothing', el.path)
            return
        from ..kinetics.stoich import compile_stoich
        from .model import SsaModel
        from .events import compile_events
        h = el.handle(0)
        comp = compile_stoich(stoich)       # raises before anything is changed
        ev = compile_events(h, comp.pool_els)   # idem
        nin = np.array([p.cols['nInit'][:comp.nvox] for p in comp.pool_els]).reshape(
            comp.npools, comp.nvox)
        old = el.data.get('compiled')
        trig = tuple(sorted(int(j) for j in ev.trig_pools))
        if (old is not None and old.layout is comp.layout
                and getattr(old, 'ssa_at_reinit', False)
                and all(comp.arrays[k] is old.arrays[k] for k in ('kk', 'km', 'fconsts',
                                                                  'voxvol'))
                and old.trig == trig and np.array_equal(old.nin, nin)):
            # the same structure, values and initial counts: the same kernel
            # arrays (reaction order included) as a new build would make
            ssa = old.ssa
        else:
            ssa = SsaModel(comp, y0=nin[:, 0] if comp.nvox else None,
                           event_pools=ev.trig_pools)   # idem
        comp.ssa_at_reinit, comp.trig, comp.nin = True, trig, nin
        ev.check_held(h, ssa.held, _func_pools(comp))
        bad = np.argwhere(~(nin >= 0) | ~np.isfinite(nin))
        if len(bad):
            j, v = bad[0]
            raise SolverError(f'{comp.pool_els[j].path}: initial count {nin[j, v]!r} in voxel '
                              f'{v} is not a finite value >= 0; Gsolve counts molecules')
        comp.ssa = ssa
        comp.ev = ev
        from ..kinetics.ksolve import _holds
        if old is not None and old.layout is comp.layout and _holds(el, old):
            # same structure: keep the state array the pools point at
            comp.state, comp.owner, comp.hook = old.state, el, old.hook
            comp.state[:] = nin.T
        else:
            if old is not None:
                _release(old)
            _own(el, comp)
        el.data['compiled'] = comp
        comp.used_seed = _choose_seed(el, int(h.seed))
        from . import kernels
        comp.rng = kernels.seed_streams(comp.used_seed, comp.nvox)
        from ..kinetics.dsolve import dsolve_of
        if dsolve_of(el) is not None:
            from ..kinetics import dkernels_rng
            dkernels_rng.seed(int(comp.used_seed) % (2 ** 32))   # molecules hopping
        y = comp.state.reshape(-1)
        if ssa.nfunc:
            from ..kinetics import kernels as kk_mod
            kk_mod.assign(0.0, y, ssa.I, ssa.F)
        kernels.round_init(y, comp.npools, ssa.var, comp.rng, bool(h.useRandInit))
        comp.tnext = np.full(comp.nvox, -np.inf)
        comp.fires = np.zeros((comp.nvox, ssa.R), dtype=np.int64)
        comp.ev_state = ev.state(comp.nvox)
        comp.snap = comp.state.copy()

    @classmethod
    def _provenance(cls, el):
        """The record of the current run, written by Table.xplot/plainPlot."""
        c = el.data.get('compiled')
        if c is None:
            return ''
        h = el.handle(0)
        return f'moosepy Gsolve {el.path} method={h.method} seed={int(c.used_seed)}'

    @classmethod
    def _on_delete(cls, el):
        c = el.data.get('compiled')
        if c is not None:
            _release(c)
            el.data['compiled'] = None

    @classmethod
    def _batch_role(cls, el):
        return 'solver' if el.data.get('compiled') is not None else 'idle'

    @classmethod
    def _batch_advance(cls, el, t_end, requests):
        from ..kinetics.ksolve import batch_advance
        batch_advance(el, t_end, requests, advance)

    @classmethod
    def _chem_step(cls, el, comp, t_end):
        """The SSA alone to t_end (a joined solver steps it)."""
        _advance_chem(el, comp, t_end, np.zeros(0), np.zeros(0, dtype=np.int64))

    @classmethod
    def _process(cls, el, t, dt):
        comp = el.data.get('compiled')
        if comp is not None:
            # to the clock's time (step x base dt), as the batched path does:
            # summing dt would drift off a time event's instant
            advance(el, comp, max(t, comp.t), np.zeros(0), np.zeros(0, dtype=np.int64))


def _choose_seed(el, seed):
    if seed >= 0:
        return seed
    from .. import _rng
    from .kernels import mix_seed
    g = _rng.get('seed')
    if g is not None:
        return mix_seed(int(g), zlib.crc32(el.path.encode()))
    return int(np.random.SeedSequence().entropy % (2 ** 63))


def _func_pools(comp):
    """Pools a Function assigns (n or conc)."""
    A = comp.arrays
    return {int(t) for k, t in zip(A['fout_kind'], A['fout_target']) if k <= 1}


def _own(el, comp):
    """Make the solver state and point the pools' n columns at it."""
    from ..kinetics.ksolve import _own as own, initial_state
    own(el, comp)
    comp.state[:] = initial_state(comp)


def _release(comp):
    """Give the pools their own columns back (values kept)."""
    for p in comp.pool_els:
        if p.data.get('solver') is comp.owner:
            p.cols['n'] = np.array(p.cols['n'], dtype=float)
            p.data.pop('solver', None)
            p.data.pop('solver_index', None)
    for e in comp.reac_els + comp.enz_els + comp.func_els:
        if comp.hook in e.hooks:
            e.hooks.remove(comp.hook)
    for f in comp.func_els:
        f.data.pop('absorbed', None)


def _refresh_rates(el, comp):
    """Re-read rate constants and functions after fields changed mid-run."""
    from ..kinetics.stoich import compile_stoich
    from ..kinetics.ksolve import same_layout
    fresh = compile_stoich(el.data['stoich'])
    if fresh.layout is not comp.layout and not same_layout(fresh.layout, comp.layout):
        raise SolverError(f'{el.path} (Gsolve): the reaction system changed since reinit '
                          f'(objects or messages added, deleted or moved); call '
                          f'moose.reinit()')
    comp.layout = fresh.layout
    comp.arrays = fresh.arrays
    from .model import SsaModel
    comp.ssa = SsaModel(fresh, order=comp.ssa.order, event_pools=comp.ev.trig_pools)
    comp.ssa_at_reinit = False      # its reaction order is not the one reinit would choose
    comp.dirty = False


def _check_state(el, comp):
    """Counts written from outside (pool.n, nVec, diffusion): whole, >= 0."""
    st = comp.state
    if np.array_equal(st, comp.snap):
        return False
    var = comp.ssa.var.astype(bool)
    sub = st[:, var]
    bad = np.argwhere(~(sub >= 0) | ~np.isfinite(sub))
    if len(bad):
        v, jj = bad[0]
        j = np.nonzero(var)[0][jj]
        raise SolverError(f'{comp.pool_els[j].path}: count {st[v, j]!r} in voxel {v} is not '
                          f'a finite value >= 0; Gsolve {el.path} counts molecules')
    st[:, var] = np.floor(sub + 0.5)
    return True


def advance(el, comp, t_end, times, flats):
    """Run the SSA of every voxel to t_end; return the states at *times*
    (rows) for the flat indices *flats* (columns).  With a Dsolve, whole
    molecules hop between voxels at its ticks (:func:`dsolve.advance_split`)."""
    from ..kinetics.dsolve import dsolve_of, advance_split
    if el.cols['_method'][0] == 'nsm':
        from . import nsm
        changed = _check_state(el, comp)
        if comp.dirty or comp.layout.version != structure.version():
            _refresh_rates(el, comp)
        del changed
        return nsm.advance(el, comp, t_end, times, flats)
    if dsolve_of(el) is not None:
        return advance_split(el, comp, t_end, times, flats, _advance_chem, True)
    return _advance_chem(el, comp, t_end, times, flats)


def _advance_chem(el, comp, t_end, times, flats):
    changed = _check_state(el, comp)
    if comp.dirty or comp.layout.version != structure.version():
        _refresh_rates(el, comp)
        changed = True
    if changed:
        comp.tnext[:] = -np.inf     # propensities changed: draw the waits anew
    ssa = comp.ssa
    t0 = comp.t
    if t_end < t0:
        t_end = t0
    P = comp.npools
    flats = np.asarray(flats, dtype=np.int64)
    vox = flats // P
    order = np.argsort(vox, kind='stable')
    rec_ptr = np.searchsorted(vox[order], np.arange(comp.nvox + 1)).astype(np.int64)
    rec_pool = (flats[order] % P).astype(np.int64)
    rec_col = order.astype(np.int64)
    out = np.zeros((len(times), len(flats)))
    times = np.ascontiguousarray(times, dtype=np.float64)
    y = comp.state.reshape(-1)
    h = el.handle(0)
    if h.method == 'tau':
        if comp.ev.n:
            raise SolverError(f"{el.path} (Gsolve): events ({', '.join(comp.ev.ids)}) need "
                              f"the exact method 'ssa', not 'tau'")
        from . import tau
        res = tau.tau_run(y, P, ssa.kk, ssa.km, *ssa.kernel_args(), comp.rng, comp.tnext,
                          comp.fires, t0, t_end, times, rec_ptr, rec_pool, rec_col, out,
                          float(h.epsilon), int(h.nCritical))
        if res < 0:
            from .events import _decode
            if -res >= kernels_stall():
                _decode(res, ssa, comp.ev, f'Gsolve {el.path} (tau)', t0, t_end, comp.tnext)
            r = -res - 1
            raise SolverError(f'{ssa.labels[r]}: a Function made its rate negative near '
                              f't = {t0:g}..{t_end:g} s; a propensity must be >= 0 (Gsolve '
                              f'{el.path})')
    else:
        from .events import run_ssa
        run_ssa(ssa, comp.ev, comp.ev_state, y, P, comp.rng, comp.tnext, comp.fires, t0,
                t_end, times, rec_ptr, rec_pool, rec_col, out, f'Gsolve {el.path}')
    _check_after(el, comp, t0, t_end)
    comp.t = t_end
    comp.snap = comp.state.copy()
    return out


def kernels_stall():
    from .kernels import STALL
    return STALL


def _check_after(el, comp, t0, t1):
    """After a call: a NaN or infinite count (a Function assigned it)
    raises, naming the pool and the interval; so does a count below zero
    beyond round-off (a Function assigned it; reactions cannot), with the
    tolerance of :func:`moosepy.core.health.negative_tolerance` for an
    absolute tolerance of 1e-8 molecules (assigned values are computed in
    floating point, whole counts are exact).  One reduction when finite."""
    from ..core.health import first_nonfinite, nonfinite_message, negative_tolerance
    from ..kinetics.ksolve import _pool_name
    y = comp.state.reshape(-1)
    k = first_nonfinite(y)
    if k >= 0:
        raise SolverError(nonfinite_message(f'{el.path} (Gsolve)', _pool_name(comp, k), 'n',
                                            float(y[k]), t0, t1))
    if not y.size:
        return
    m = float(y.min())
    if m >= 0.0:
        return
    tol = negative_tolerance(y, 1e-8)
    if m < -tol:
        k = int(np.argmin(y))
        raise SolverError(f'{el.path} (Gsolve): pool {_pool_name(comp, k)} was set to n = '
                          f'{m:.6g} molecules by t = {t1:g} s (interval from {t0:g} s): a '
                          f'Function assigns it a value below zero; a count of molecules '
                          f'cannot be negative')
    np.maximum(y, 0.0, out=y)
