"""``Ksolve``: deterministic integration of a compiled chemical system.

At ``reinit`` the Ksolve compiles its Stoich (:func:`compile_stoich`), makes
the state array ``(voxels, pools)`` in molecules, and points every pool's
``n`` column at its column of that array, so ``pool.conc``/``pool.n`` read
and write the solver.  It advances whole intervals in compiled code: the
embedded Runge-Kutta methods run entirely in a numba kernel; ``lsoda`` is
ODEPACK's LSODA (through scipy's ``odeint``) with the right-hand side and an
analytic Jacobian compiled by numba.

Methods (``Ksolve.method``, case-insensitive):

========  =============================================================
rk5, gsl  Runge-Kutta-Fehlberg 4(5), adaptive (MOOSE's default)
rkck      Cash-Karp 4(5), adaptive
rk2       Heun-Euler 2(1), adaptive
rk4       classical Runge-Kutta 4, adaptive (conservative error estimate)
rk8       Dormand-Prince 8(5,3), adaptive
lsoda     LSODA: switches between Adams (non-stiff) and BDF (stiff)
========  =============================================================

The tick dt (16, 0.1 s by default) is only the interval at which the state
is synchronised with the rest of the model; steps are chosen by the
integrator to keep ``|error_i| <= epsAbs + epsRel * |n_i|`` (in molecules).
In one voxel, and in several voxels when the model has no Functions
(``GSL_ALL_VOXELS``, on by default), rk5 steps as pymoose's GSL drivers (one
per voxel) do, tick by tick (:mod:`moosepy.kinetics.gslrk`: step size and
last derivative kept between ticks, tolerances those of the build), so a
value set from outside between ticks (a StimulusTable, a script, each tick's
diffusion) gives MOOSE's error of about epsRel * n in the next tick.
Several voxels with Functions are stepped together by the generic kernel
(one error control for all voxels).

With a Dsolve, reaction and diffusion are split at every chemical tick
(MOOSE's scheme), and at MOOSE's default tick that splitting, not the
integrator, usually sets the error.  For example, in the spiny chemistry of
``benchmarks/bench_spiny_accuracy.py`` the split is 2.2e-3 mM from a tight
reference, while rk5 at epsRel 1e-7 adds 4e-5.  A cheaper method then loses
nothing: ``method = 'rk2'`` with ``epsRel = epsAbs = 1e-4`` gave the same
error at half the time of rk5.  Compare against a run at a smaller chemical
tick before relying on this for a model.
"""

import logging
import math
import os
import warnings

import numpy as np

from ..core.element import Neutral
from ..core.errors import SolverError, FieldError
from ..core.fields import Field, LookupField, Dest
from ..core.units import NA
from ..core import structure
from ..core.health import first_nonfinite, negative_tolerance, nonfinite_message
from .stoich import compile_stoich, Compiled

log = logging.getLogger('moosepy.kinetics')

METHODS = ('rk5', 'gsl', 'rkck', 'rk2', 'rk4', 'rk8', 'lsoda')
_ALIASES = {'gsl': 'rk5', 'rkf45': 'rk5', 'rk45': 'rk5'}


class Ksolve(Neutral):
    """Deterministic solver of the chemical system of a Stoich (all voxels)."""

    default_tick = 16

    method = Field('rk5', '', 'Integration method: ' + ', '.join(METHODS), type='string',
                   stored=False)
    epsAbs = Field(1e-7, '#', 'Absolute error tolerance, in molecules... scaled as MOOSE: '
                   'relative to molecule counts')
    epsRel = Field(1e-7, '', 'Relative error tolerance')
    numPools = Field(0, '', 'Pools in the solver', type='unsigned int', ro=True, stored=False)
    numAllVoxels = Field(0, '', 'Voxels in the solver', type='unsigned int', ro=True,
                         stored=False)
    numLocalVoxels = Field(0, '', 'Voxels handled here', type='unsigned int', ro=True,
                           stored=False)
    numThreads = Field(1, '', 'Threads (voxels are integrated together here)',
                       type='unsigned int')
    estimatedDt = Field(0.0, 's', 'Last step size chosen by the integrator', ro=True,
                        stored=False)
    stoich = Field(None, '', 'The Stoich that drives this solver', type='object', ro=True,
                   stored=False)
    compartment = Field(None, '', 'Compartment of the Stoich', type='object', ro=True,
                        stored=False)
    _method = Field('rk5', type='string', hidden=True)
    nVec = LookupField('unsigned int', 'vector', '#', 'Molecule counts of all pools in a voxel')

    ports = (Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'),
             Dest('voxelVol', 'vector', 'Receives new voxel volumes'))

    def _set_epsAbs(self, v):
        self._tolerance('epsAbs', v)

    def _set_epsRel(self, v):
        self._tolerance('epsRel', v)

    def _tolerance(self, name, v):
        v = float(v)
        if not (v >= 0.0) or v == float('inf'):
            raise FieldError(f'{self.path} (Ksolve).{name}: expected a finite tolerance >= 0, '
                             f'got {v}')
        el = self._el
        if 'ode_tol' not in el.data and _built(el):
            # as MOOSE 5.0: its GSL driver takes the tolerances when the
            # Stoich builds the system (reacSystemPath set with this Ksolve);
            # a later set is stored and read back but not used by the rk5
            # driver (kept for the other methods, whose integrators are not
            # MOOSE's: tighter tolerances bring them closer to it)
            el.data['ode_tol'] = (float(el.cols['epsRel'][0]), float(el.cols['epsAbs'][0]))
        el.cols[name][self._idx] = v

    def _get_method(self):
        return self._el.cols['_method'][self._idx]

    def _set_method(self, v):
        m = str(v).lower()
        m = _ALIASES.get(m, m)
        if m not in METHODS:
            raise FieldError(f"{self.path} (Ksolve).method: unknown method {v!r}; valid: "
                             f"{', '.join(METHODS)}")
        self._el.cols['_method'][self._idx] = m
        c = self._el.data.get('compiled')
        if c is not None:
            c.h = 0.0

    def _comp(self):
        return self._el.data.get('compiled')

    def _get_numPools(self):
        c = self._comp()
        return 0 if c is None else c.npools

    def _get_numAllVoxels(self):
        c = self._comp()
        return 0 if c is None else c.nvox

    _get_numLocalVoxels = _get_numAllVoxels

    def _get_estimatedDt(self):
        c = self._comp()
        return 0.0 if c is None else float(c.h)

    def _get_stoich(self):
        s = self._el.data.get('stoich')
        return None if s is None or not s.alive else s.handle(0)

    def _get_compartment(self):
        s = self._get_stoich()
        return None if s is None else s.compartment

    def _lookup_nVec(self, voxel):
        c = self._comp()
        if c is None:
            raise SolverError(f'{self.path}: not compiled yet (call moose.reinit())')
        return c.state[int(voxel)].copy()

    def _lookupset_nVec(self, voxel, values):
        c = self._comp()
        if c is None:
            raise SolverError(f'{self.path}: not compiled yet (call moose.reinit())')
        c.state[int(voxel)] = np.asarray(values, dtype=float)

    # ------------------------------------------------------------ clock
    @classmethod
    def _reinit(cls, el):
        stoich = el.data.get('stoich')
        if stoich is None or not stoich.alive:
            el.data['compiled'] = None
            log.warning('%s: no Stoich uses this Ksolve; it does nothing', el.path)
            return
        if not stoich.handle(0).reacSystemPath:
            # as MOOSE 5.0 ("Ksolve::reinit: Reaction system not initialized"):
            # a Stoich whose system was never set builds nothing to solve
            old = el.data.get('compiled')
            if old is not None:
                _release(old)
            el.data['compiled'] = None
            log.warning('%s: its Stoich %s has no reacSystemPath: the reaction system is not '
                        'built and this Ksolve does nothing', el.path, stoich.path)
            return
        old = el.data.get('compiled')
        comp = compile_stoich(stoich)      # raises before anything is changed
        if old is not None and old.layout is comp.layout and _holds(el, old):
            # same structure: keep the state array the pools point at
            _take_over(el, old, comp)
        else:
            if old is not None:
                _release(old)
            _own(el, comp)
            _pack(comp)
        comp.state[:] = initial_state(comp)
        el.data['compiled'] = comp

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
        batch_advance(el, t_end, requests, advance)

    @classmethod
    def _chem_step(cls, el, comp, t_end):
        """The chemistry alone to t_end (a joined solver steps it)."""
        _advance_chem(el, comp, t_end, np.zeros(0), np.zeros(0, dtype=np.int64))

    @classmethod
    def _process(cls, el, t, dt):
        comp = el.data.get('compiled')
        if comp is not None:
            # to the clock's time, as the batched path does (summing dt drifts)
            advance(el, comp, max(t, comp.t), np.zeros(0), np.zeros(0, dtype=np.int64))


def batch_advance(el, t_end, requests, advance_fn):
    """Advance a Stoich solver (Ksolve, Gsolve) to t_end with
    ``advance_fn(el, comp, t_end, times, flats)``, and fill the tables in
    *requests* with the states at their times:
    [(table, tick times, state times, [(flat, scale)])]."""
    if el.data.pop('_group_done', False):
        return      # advanced, tables filled, by the solver it is joined to
    comp = el.data['compiled']
    if not requests:
        advance_fn(el, comp, t_end, np.zeros(0), np.zeros(0, dtype=np.int64))
        return
    times = np.unique(np.concatenate([r[2] for r in requests]))
    flats = np.unique(np.array([f for r in requests for f, _ in r[3]], dtype=np.int64))
    rec = advance_fn(el, comp, t_end, times, flats)
    for tab, _ticks, st, specs in requests:
        if not len(st):
            continue        # no sample of this table falls in this chunk
        rows = np.searchsorted(times, st)
        vals = np.empty((len(st), len(specs)))
        for k, (flat, scale) in enumerate(specs):
            vals[:, k] = rec[rows, np.searchsorted(flats, flat)] * scale
        tab.cls._record_batch(tab, st, vals)


def initial_state(comp):
    """Initial molecule counts (voxels, pools) of the compiled pools."""
    nv = comp.nvox
    if not comp.npools:
        return np.zeros((nv, 0))
    return np.stack([p.cols['nInit'][:nv] for p in comp.pool_els], axis=1)


def _holds(el, comp):
    """The pools of *comp* still read their n from its state (no other
    solver took them since)."""
    st = comp.state
    return all(p.data.get('solver') is el and p.cols['n'].base is st for p in comp.pool_els)


def _mark_dirty(el):
    """The hook a solver leaves on its reactions, enzymes and Functions: a
    field set on them mid-run makes the solver read the values again."""
    def mark(_el, _name):
        c = el.data.get('compiled')
        if c is not None:
            c.dirty = True
    return mark


def _own(el, comp, state=None):
    """Make the solver state (*state*, else zeros) and point the pools' n
    columns at it."""
    if state is None:
        state = np.zeros((comp.nvox, comp.npools))
    for j, p in enumerate(comp.pool_els):
        p.cols['n'] = state[:, j]
        p.data['solver'] = el
        p.data['solver_index'] = j
    comp.state = state
    comp.t = 0.0
    comp.h = 0.0
    for f in comp.func_els:
        f.data['absorbed'] = True
    comp.owner = el
    comp.hook = _mark_dirty(el)
    for e in comp.reac_els + comp.enz_els + comp.func_els:
        e.hooks.append(comp.hook)


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


def _take_over(el, old, comp):
    """Give *comp* (same layout as *old*) the state, pools and hooks of
    *old*; only the values are new."""
    comp.state, comp.owner, comp.hook = old.state, el, old.hook
    if all(comp.arrays[k] is old.arrays[k] for k in ('kk', 'km', 'fconsts', 'voxvol')):
        comp.I, comp.F = old.I, old.F     # the same values: the kernels only read them
    else:
        _pack(comp)


def _pack(comp):
    from . import kernels
    comp.I, comp.F = kernels.pack(comp.arrays)


def _refresh(el, comp):
    """Read the values again after fields changed mid-run, and the
    structure if it changed: a new layout takes over with the current
    counts (new pools start from their own n).  Returns the compiled model
    to go on with."""
    fresh = compile_stoich(el.data['stoich'])
    if fresh.layout is comp.layout or same_layout(fresh.layout, comp.layout):
        _take_over(el, comp, fresh)
        fresh.h = comp.h
        if getattr(comp, 'gsl', None) is not None:
            fresh.gsl = comp.gsl      # MOOSE's driver goes on (new rates, same memory)
    else:
        nv = fresh.nvox
        state = np.empty((nv, fresh.npools))
        for j, p in enumerate(fresh.pool_els):
            state[:, j] = p.cols['n'][:nv]
        _release(comp)
        _own(el, fresh, state)
        _pack(fresh)
        log.info('%s: the reaction system changed since reinit; compiled again at '
                 't = %g s', el.path, comp.t)
    fresh.t = comp.t
    el.data['compiled'] = fresh
    return fresh


def same_layout(a, b):
    """Two layouts compile the same system (the same pool, reaction, enzyme
    and Function elements, equal arrays)."""
    if a.npools != b.npools or a.nterms != b.nterms or a.nvox != b.nvox:
        return False
    for x, y in ((a.pools, b.pools), (a.reacs, b.reacs), (a.enzs, b.enzs),
                 (a.absorbed, b.absorbed)):
        if len(x) != len(y) or any(p is not q for p, q in zip(x, y)):
            return False
    if a.arrays.keys() != b.arrays.keys():
        return False
    return all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays) and \
        all(np.array_equal(getattr(a, k), getattr(b, k))
            for k in ('rkind', 'robj', 'kexp', 'kmexp', 'tref'))


def advance(el, comp, t_end, times, flats):
    """Integrate the state to t_end; return the states at *times* (rows) for
    the flat indices *flats* (columns).  With a Dsolve, diffusion and
    chemistry are split per chemical tick (:func:`dsolve.advance_split`)."""
    from .dsolve import dsolve_of, advance_split
    if dsolve_of(el) is not None:
        return advance_split(el, comp, t_end, times, flats, _advance_chem, False)
    return _advance_chem(el, comp, t_end, times, flats)


def _advance_chem(el, comp, t_end, times, flats):
    if comp.dirty or comp.layout.version != structure.version():
        comp = _refresh(el, comp)
    c = el.cols             # (Ksolve.method, epsRel, epsAbs of entry 0, read directly)
    method = c['_method'][0]
    rtol, atol = float(c['epsRel'][0]), float(c['epsAbs'][0])
    y = comp.state.reshape(-1)
    out = np.zeros((len(times), len(flats)))
    t0 = comp.t
    if t_end < t0:
        t_end = t0
    if method == 'lsoda':
        _lsoda(comp, y, t0, t_end, times, flats, out, rtol, atol)
    elif method == 'rk5' and t_end > t0 and (fn := _gsl_kernel(comp)) is not None:
        # MOOSE's GSL driver keeps the tolerances it was built with
        rtol, atol = el.data.get('ode_tol') or (rtol, atol)
        _advance_gsl(el, comp, y, t0, t_end, times, flats, out, rtol, atol, fn)
    else:
        from . import kernels
        A, B, E, C, order = kernels.tableau(method)
        hnew = kernels.rk_integrate(y, t0, t_end, comp.h, A, B, E, C, float(order), rtol, atol,
                                    np.ascontiguousarray(times, dtype=np.float64), flats, out,
                                    comp.I, comp.F, 50_000_000)
        if hnew < 0.0:
            rk_failed(el, comp, y, method, hnew, t0, t_end, atol)
        comp.h = hnew
    check_state(el, comp, t0, t_end, atol)
    comp.t = t_end
    return out


def rk_failed(el, comp, y, method, hnew, t0, t_end, atol):
    """Raise the SolverError of the generic RK kernel's status *hnew* (< 0)."""
    check_state(el, comp, t0, t_end, atol, pre=True)
    if hnew == -1.0:
        raise SolverError(f'{el.path}: {method} took more than 5e7 steps between '
                          f't = {t0:g} and {t_end:g} s; the system is probably stiff: use '
                          f"method = 'lsoda'")
    if hnew == -3.0:
        raise SolverError(f'{el.path}: {method} cannot advance between t = {t0:g} and '
                          f'{t_end:g} s: its step size fell below 1e-14 of the time '
                          f'(rates too large for an explicit method, e.g. 1e300); check '
                          f"the rate constants, or use method = 'lsoda'")
    if hnew == -2.0:
        _nonfinite_rate(el, comp, y, t0, t_end)


def _built(el):
    """True once a Stoich has built its system with Ksolve element *el*."""
    st = el.data.get('stoich')
    return st is not None and st.alive and bool(st.handle(0).reacSystemPath)


#: method rk5 (MOOSE's 'gsl') steps as pymoose's GSL drivers do, one per
#: voxel (kinetics.gslrk); False: the generic embedded-RK kernel
USE_GSL_DRIVER = True
#: also in Ksolves of several voxels without Functions, whose voxels'
#: drivers are advanced side by side (gslrk._ticks_together).  They give
#: pymoose's numbers (corpus TuringOneDim 2.4e-2 -> 1.5e-12,
#: reacDiffBranchingNeuron 4.4e-2 -> 1.5e-11, cylinderDiffusion 2.9e-5 ->
#: 5e-14 max rel against the generic kernel): each tick's diffusion makes a
#: driver near a front start from a stale derivative and redo its step up
#: to ~15 times, as MOOSE's does, while most voxels end the tick in one step
#: or are at rest.  Stepping only the voxels still short of the tick's end
#: and skipping those at rest, bench_dsolve 'reac' (1000 voxels) runs in
#: about the generic kernel's time (warm 0.018-0.020 s, MOOSE 0.034-0.040 s
#: in the same runs; it took 0.17 s when every voxel was evaluated in every
#: round).  False: the generic kernel for several voxels.  With Functions
#: the generic kernel is kept: their drivers, one voxel after the other
#: (gslrk._ticks), took 25x its time (200 voxels with an assigning
#: Function: 1.33 s against 0.054 s)
GSL_ALL_VOXELS = True


_CLOCK = [None]         # moosepy.core.clock.clock, once imported


def _tick_ends(el, t0, t_end):
    """Ends of the solver's ticks between t0 and t_end [s]: MOOSE calls its
    GSL driver once per tick (the last end is t_end itself)."""
    clock = _CLOCK[0]
    if clock is None:           # (an import in the function costs 0.6 us a call)
        from ..core.clock import clock
        _CLOCK[0] = clock
    tick = getattr(el, 'tick', -1)
    dt = float(clock.dts[tick]) if 0 <= tick < len(clock.dts) else 0.0
    span = t_end - t0
    if dt <= 0.0:
        return np.array([t_end])
    n = int(round(span / dt))
    whole = n >= 1 and abs(n * dt - span) <= 1e-9 * max(dt, span)
    if not whole:
        n = max(1, int(math.ceil(span / dt - 1e-9)))
    if n == 1:
        return np.array([t_end])        # (the usual call: one tick)
    ends = _grid_ends(clock, tick, t0, t_end)
    if ends is not None:
        return ends
    if whole:
        ends = t0 + span * np.arange(1, n + 1) / n
    else:
        ends = np.minimum(t0 + dt * np.arange(1, n + 1), t_end)
    ends[-1] = t_end
    return ends


def _grid_ends(clock, tick, t0, t_end):
    """The tick ends as the clock's step times (MOOSE's currTime at each of
    the solver's ticks: core.clock.step_time) when t0 and t_end are step
    times, else None.  Ends computed from t0 (t0 + span * k / n) depended
    on where the clock split a run into chunks, which it sizes by wall
    time: kin_small's rk5 state differed in the last bits between a run
    that compiled its kernels and one that loaded them."""
    base = clock.base_dt
    stride = clock.strides.get(tick) if base > 0 else None
    if not stride:
        return None
    s0 = int(round(t0 / base))
    s1 = int(round(t_end / base))
    m = clock.grid_mult
    if s1 <= s0 or (clock.grid_dt * (s0 * m) if m else s0 * base) != t0 or \
            (clock.grid_dt * (s1 * m) if m else s1 * base) != t_end:
        return None
    ks = np.arange((s0 // stride + 1) * stride, s1 + 1, stride, dtype=np.int64)
    if not len(ks) or ks[-1] != s1:
        ks = np.append(ks, s1)
    # (core.clock.step_time of each)
    return clock.grid_dt * (ks * m) if m else ks * base


_GSLRK = [None]         # moosepy.kinetics.gslrk, once imported


def _gsl_kernel(comp):
    """The GSL driver variant (gslrk.kernel_for) that steps *comp* under
    rk5, or None where the generic kernel does; kept on *comp* while its
    packed model and the module flags stay."""
    gslrk = _GSLRK[0]
    if gslrk is None:
        from . import gslrk
        _GSLRK[0] = gslrk
    flags = (USE_GSL_DRIVER, GSL_ALL_VOXELS, gslrk.TOGETHER)
    k = getattr(comp, 'gsl_kernel', None)
    if k is None or k[0] is not comp.I or k[1] != flags:
        fn = None
        if USE_GSL_DRIVER and (comp.nvox == 1 or (GSL_ALL_VOXELS and
                                                  not comp.I[comp.I[0]:comp.I[1]][3])):
            fn = gslrk.kernel_for(comp.I, comp.nvox)
        k = comp.gsl_kernel = (comp.I, flags, fn)
    return k[2]


def _advance_gsl(el, comp, y, t0, t_end, times, flats, out, rtol, atol, fn):
    """MOOSE's GSL Runge-Kutta-Fehlberg drivers (one per voxel), tick by
    tick (their step sizes and last derivatives kept on *comp* from call to
    call, reset at reinit: h = dt/10); *fn*: :func:`_gsl_kernel`."""
    g = gsl_memory(el, comp, y, fn)
    ends = _tick_ends(el, t0, t_end)
    if not (isinstance(times, np.ndarray) and times.dtype == np.float64 and
            times.flags.c_contiguous):
        times = np.ascontiguousarray(times, dtype=np.float64)
    st = fn(y, float(t0), ends, g[0], g[1], float(rtol), float(atol), times, flats, out,
            comp.I, comp.F, 50_000_000, g[2])
    if st < 0.0:
        gsl_failed(el, comp, y, st, t0, t_end, atol)


def gsl_memory(el, comp, y, fn):
    """[h and evolve count per voxel, last derivative, state it was taken
    at, F, fn]: the GSL drivers' memory kept on *comp* (made at the first
    call after a reinit, h = dt/10; the last derivatives forgotten when the
    rate constants or the driver change)."""
    g = getattr(comp, 'gsl', None)
    if g is None or g[1].shape[0] != y.shape[0]:
        from ..core.clock import clock
        tick = getattr(el, 'tick', -1)
        dt = float(clock.dts[tick]) if 0 <= tick < len(clock.dts) else 0.1
        hc = np.zeros((comp.nvox, 2))
        hc[:, 0] = dt / 10.0
        g = comp.gsl = [hc, np.zeros(y.shape[0]), np.full(y.shape[0], np.nan), None]
    if g[3] is not comp.F or g[4:] != [fn]:
        # the state each voxel's last derivative was taken at holds only
        # for the rate constants and the driver it was taken with
        g[2].fill(np.nan)
        g[3:] = [comp.F, fn]
    return g


def gsl_failed(el, comp, y, st, t0, t_end, atol):
    """Raise the SolverError of GSL driver status *st* (< 0)."""
    check_state(el, comp, t0, t_end, atol, pre=True)
    if st == -1.0:
        raise SolverError(f'{el.path}: rk5 took more than 5e7 steps between t = {t0:g} and '
                          f'{t_end:g} s; the system is probably stiff: use method = \'lsoda\'')
    if st == -4.0:
        from .gslrk import TICK_MAX_STEPS
        raise SolverError(f'{el.path}: rk5 took more than {TICK_MAX_STEPS:.0e} steps within one '
                          f'tick between t = {t0:g} and {t_end:g} s: its step size collapsed '
                          f'(rates too large for an explicit method, e.g. 1e23 /s); check the '
                          f"rate constants, or use method = 'lsoda'")
    if st == -3.0:
        raise SolverError(f'{el.path}: rk5 cannot advance between t = {t0:g} and {t_end:g} s: '
                          f'its error test fails at the smallest step size (rates too large '
                          f"for an explicit method, e.g. 1e300); check the rate constants, or "
                          f"use method = 'lsoda'")
    if st == -2.0:
        _nonfinite_rate(el, comp, y, t0, t_end)


def _pool_name(comp, k):
    """The pool (and voxel) of flat state index *k*."""
    v, j = divmod(int(k), comp.npools)
    p = comp.pool_els[j].path
    return p if comp.nvox == 1 else f'{p}[{v}]'


def check_state(el, comp, t0, t1, atol, pre=False):
    """After an interval: a NaN or infinite count raises a SolverError
    naming the solver, the interval and the first such pool; so does a
    count below zero beyond round-off (:func:`moosepy.core.health.
    negative_tolerance`) unless the Stoich allows negative values; counts
    within round-off below zero are set to 0.  One reduction over the state
    when it is finite (two when a value is below zero).  *pre*: called
    before another error is reported (only a forced negative or a NaN is
    named then; nothing is clipped)."""
    y = comp.state.reshape(-1)
    k = first_nonfinite(y)
    if k >= 0:
        raise SolverError(nonfinite_message(el.path, _pool_name(comp, k), 'n', float(y[k]),
                                            t0, t1))
    if comp.allow_negative or not y.size:
        return
    m = float(y.min())
    if m >= 0.0:
        return
    tol = negative_tolerance(y, atol)
    if m < -tol:
        k = int(np.argmin(y))
        raise SolverError(
            f'{el.path}: pool {_pool_name(comp, k)} was driven to n = {m:.6g} molecules '
            f'(conc {_conc(comp, k, m):.6g} mM) by t = {t1:g} s (interval from {t0:g} s); a '
            f'count below zero beyond round-off ({tol:.3g}) is not physical: a Function '
            f'assigns it a negative value, or a rate no pool limits drives it through zero '
            f'(set the Stoich\'s allowNegative = True if the model means it)')
    if not pre:
        np.maximum(y, 0.0, out=y)


def _conc(comp, k, n):
    v, _j = divmod(int(k), comp.npools)
    vol = comp.arrays['voxvol'][v] if len(comp.arrays['voxvol']) > v else 1.0
    return n / (NA * vol)


def _nonfinite_rate(el, comp, y, t0, t1):
    """The rk kernel stopped at a non-finite step: name the pool whose
    count or rate is not finite at the last good state."""
    from . import kernels
    k = first_nonfinite(y)
    field, val = 'n', None
    if k < 0:
        with np.errstate(all='ignore'):
            dy = kernels.rhs_odeint(y.copy(), float(t0), comp.I, comp.F)
        k = first_nonfinite(dy)
        field = 'rate dn/dt'
        val = float(dy[k]) if k >= 0 else None
    else:
        val = float(y[k])
    if k < 0:
        raise SolverError(f'{el.path}: the state became non-finite between t = {t0:g} and '
                          f'{t1:g} s; check rate constants and Functions')
    raise SolverError(nonfinite_message(el.path, _pool_name(comp, k), field, val, t0, t1))


class _BlasThreads:
    """Get and set the thread count of the BLAS/LAPACK that scipy's LSODA
    calls (for its LU factorisations), found once: the OpenBLAS bundled
    with scipy's wheels, else any library threadpoolctl knows, else none.

    Why: OpenBLAS runs the LU of a few-hundred-pool Jacobian on all cores
    and its worker threads then busy-wait between calls.  On an idle
    machine that doubles the CPU time of a run for a little less wall time;
    on a loaded one (more busy threads than cores) a factorisation waits
    for a descheduled worker, and runs of identical work took 0.04 to 1.8 s
    (kin_large, lsoda).  One thread costs the same every run."""

    def __init__(self):
        self.get = self.set = None
        import ctypes
        import glob
        import os
        import scipy
        libs = os.path.join(os.path.dirname(os.path.dirname(scipy.__file__)), 'scipy.libs')
        for path in sorted(glob.glob(os.path.join(libs, '*openblas*.so*'))):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for pre in ('scipy_openblas', 'openblas'):
                g = getattr(lib, pre + '_get_num_threads', None)
                s = getattr(lib, pre + '_set_num_threads', None)
                if g is not None and s is not None:
                    g.restype, s.argtypes = ctypes.c_int, (ctypes.c_int,)
                    self.get, self.set = g, s
                    return
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        self.limits = threadpool_limits


_blas = []


class _one_blas_thread:
    """Context in which scipy's BLAS/LAPACK runs on one thread."""

    def __enter__(self):
        if not _blas:
            _blas.append(_BlasThreads())
        b = _blas[0]
        self.restore = None
        if b.get is not None:
            n = b.get()
            if n != 1:
                b.set(1)
                self.restore = lambda: b.set(n)
        elif hasattr(b, 'limits'):
            lim = b.limits(limits=1, user_api='blas')
            self.restore = lim.restore_original_limits
        return self

    def __exit__(self, *exc):
        if self.restore is not None:
            self.restore()
        return False


_LSODA_STOPS = {-1: 'too many steps', -2: 'tolerances too small for the precision',
                -3: 'illegal input', -4: 'repeated error-test failures',
                -5: 'repeated convergence failures (bad Jacobian or tolerances?)',
                -6: 'an error weight became zero', -7: 'workspace too small'}
_ODEPACK = []


def _odepack():
    """scipy's ODEPACK extension module, loaded on its own: ``import
    scipy.integrate`` imports some 350 scipy modules (0.45-0.55 s of CPU in
    every process that runs lsoda), while the extension alone loads in
    0.02 s.  None when it cannot be found or loaded (then scipy.integrate's
    ``odeint`` is used; both call the same LSODA with the same arguments)."""
    if not _ODEPACK:
        mod = None
        try:
            import importlib.machinery
            import importlib.util
            import sys
            mod = sys.modules.get('scipy.integrate._odepack')
            if mod is None:
                spec = importlib.util.find_spec('scipy')
                d = os.path.join(os.path.dirname(spec.origin), 'integrate')
                for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                    path = os.path.join(d, '_odepack' + suffix)
                    if os.path.exists(path):
                        s = importlib.util.spec_from_file_location('scipy.integrate._odepack',
                                                                   path)
                        mod = importlib.util.module_from_spec(s)
                        s.loader.exec_module(mod)
                        # one instance only: scipy.integrate, when imported
                        # later, takes this one (LSODA's state is shared)
                        sys.modules['scipy.integrate._odepack'] = mod
                        break
        except Exception:           # any trouble: the public route
            mod = None
        _ODEPACK.append(mod if mod is not None and hasattr(mod, 'odeint') else None)
    return _ODEPACK[0]


def _odeint(func, y0, grid, args, Dfun, ml, mu, rtol, atol, mxstep, col_deriv=0, dargs=None):
    """LSODA over *grid*: (states at the grid points, info with 'message'
    and 'hu'), as scipy.integrate.odeint(..., full_output=True) returns.
    *dargs*: Dfun's extra arguments where they differ from func's (*args*);
    *col_deriv*: Dfun returns the Jacobian transposed."""
    if dargs is not None:
        dfun = Dfun
        Dfun = lambda y, t, *_: dfun(y, t, *dargs)      # noqa: E731
    mod = _odepack()
    if mod is not None:
        try:
            # (ODEPACK writes into its inputs: give it copies, as odeint does)
            sol, info, istate = mod.odeint(func, np.array(y0, dtype=float),
                                           np.array(grid, dtype=float), args, Dfun,
                                           col_deriv, ml, mu, 1, rtol,
                                           atol, None, 0.0, 0.0, 0.0, 0, mxstep, 0, 12, 5, 0)
        except TypeError:           # another scipy's signature: the public route
            _ODEPACK[0] = None
        else:
            info['message'] = 'Integration successful.' if istate >= 0 else \
                f'LSODA stopped: {_LSODA_STOPS.get(istate, "istate " + str(istate))}'
            return sol, info
    from scipy.integrate import odeint
    return odeint(func, y0, grid, args=args, Dfun=Dfun, col_deriv=col_deriv,
                  ml=None if ml < 0 else ml, mu=None if mu < 0 else mu, rtol=rtol, atol=atol,
                  full_output=True, mxstep=mxstep)


def _lsoda_arrays(comp):
    """What the one-voxel lsoda callbacks of *comp* reuse from call to call,
    kept on it while its packed model stays: (I, F, the Jacobian's array,
    by columns, and for a model of plain terms without Functions the
    arguments of kernels.rhs_gather_odeint, else None).  Measured on
    kin_large (200 pools, 1447 right-hand sides and 40 Jacobians per 100
    s): the general right-hand side cost 3.7 us a call through numba's
    dispatcher and 1.8 us of arithmetic; a Jacobian made, zeroed and
    transposed a new 200 x 200 array."""
    from . import kernels
    k = getattr(comp, 'lsoda_arrays', None)
    if k is not None and k[0] is comp.I and k[1] is comp.F:
        return k
    n = comp.npools
    JT = np.zeros((n, n))
    g = None
    info = comp.I[comp.I[32]:comp.I[33]]
    if info[5] != 0 and comp.I[comp.I[0]:comp.I[1]][3] == 0:
        kf, kb, ridx, xg, xc, ftab, bstart, bk, bpool, bidx = \
            kernels.gather_form(kernels.unpack(comp.I, comp.F), True)
        nflux, nx, nb = kf.shape[1], xg.shape[0], bk.shape[0]
        Gi = np.concatenate([np.array([n, nflux, nx, nb], dtype=np.uint32)] +
                            [a.astype(np.uint32) for a in (ridx, xg, bpool, bk, bstart, bidx)])
        ys = np.zeros(n + 2)
        ys[n] = 1.0
        Gf = np.concatenate([kf[0], kb[0], xc, ftab, ys, np.zeros(n + 1)])
        g = (Gi, Gf, np.empty(n))
    k = comp.lsoda_arrays = (comp.I, comp.F, JT, g)
    return k


def _lsoda(comp, y, t0, t_end, times, flats, out, rtol, atol):
    from . import kernels
    tl = times[times > t0]
    grid = np.concatenate([[t0], tl, [t_end]]) if t_end > t0 else np.array([t0])
    if len(grid) > 1 and grid[-2] >= t_end:
        grid = grid[:-1]
    pre = times <= t0
    if pre.any():
        out[pre] = y[flats]
    if len(grid) < 2:
        return
    npools, nvox = comp.npools, comp.nvox
    func, args, cols, dargs = kernels.rhs_odeint, (comp.I, comp.F), 0, None
    if nvox > 1:
        dfun, ml, mu = kernels.jac_banded_odeint, npools - 1, npools - 1
    else:
        dfun, ml, mu = kernels.jac_odeint_cols, -1, -1
        fast = _lsoda_arrays(comp)
        cols, dargs = 1, (comp.I, comp.F, fast[2])
        if fast[3] is not None:
            func, args = kernels.rhs_gather_odeint, fast[3]
    with warnings.catch_warnings(), _one_blas_thread():
        warnings.simplefilter('ignore')
        sol, info = _odeint(func, y.copy(), grid, args, dfun, ml, mu, rtol, atol, 10_000_000,
                            cols, dargs)
    if info['message'] != 'Integration successful.' or first_nonfinite(sol[-1]) >= 0:
        _lsoda_bad(comp, sol, grid, atol)
    if info['message'] != 'Integration successful.':
        raise SolverError(f'{comp.owner.path}: lsoda failed between t = {t0:g} and '
                          f'{t_end:g} s: {info["message"]}')
    if not comp.allow_negative:
        m = float(sol[1:].min())      # (row 0: the start, as given)
        if m < 0.0:
            if m < -negative_tolerance(sol[1:], atol):
                _lsoda_bad(comp, sol, grid, atol)
            np.maximum(sol, 0.0, out=sol)
    if comp.arrays['dims'][3]:
        for k in range(1, len(grid)):
            kernels.assign(grid[k], sol[k], comp.I, comp.F)
    if len(tl):
        rows = sol[1:1 + len(tl)]
        out[~pre] = rows[:, flats]
    y[:] = sol[-1]
    comp.h = float(info['hu'][-1]) if len(info['hu']) else comp.h


def _lsoda_bad(comp, sol, grid, atol):
    """The first output row of LSODA's solution that is not finite or
    below zero beyond round-off raises, naming its pool and time."""
    fin = sol[1:][np.isfinite(sol[1:])]
    tol = np.inf if comp.allow_negative else negative_tolerance(fin, atol)
    for r in range(1, len(grid)):
        row = sol[r]
        if first_nonfinite(row) >= 0 or row.min() < -tol:
            comp.state.reshape(-1)[:] = row     # what users read: the broken state
            check_state(comp.owner, comp, grid[r - 1], grid[r], atol, pre=True)


del Compiled
