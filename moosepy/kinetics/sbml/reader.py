"""``moose.readSBML``: an SBML file as a MOOSE model tree with its solver.

Two builds (``readSBML(..., build=)``; 'auto', the default, takes the
first that expresses the file and logs the choice on ``moosepy.sbml``, the
engine with the features that forced it):

* **objects** (:mod:`.objects`), what MOOSE 5.0's reader builds: Pools and
  BufPools, a Reac for each mass-action law, an MMenz for each
  Michaelis-Menten law, Functions for rules and for other laws, parameters
  that rules change as pools, and a Stoich with a Ksolve (or Gsolve) per
  compartment.  The model is then like any other MOOSE model: its fields
  can be edited (``Reac.Kf``), its Stoich given another solver, its
  compartments meshed.
* **engine**: the pools and one ``modelpath/sbml_solver`` (SbmlSolver) that
  compiles the whole SBML model (rules, events with delays and priorities,
  algebraic rules, fast reactions, ``delay``, ``rateOf``, variable
  compartments) with :mod:`.system` and integrates it with :mod:`.engine`;
  pools mirror its species after every run, and reactions, parameters and
  species references are values of the solver (``solver.getValue(id)``).

How SBML ids map to paths (``modelpath`` defaults to ``/model``):

=====================  ==================================================
SBML                   moosepy
=====================  ==================================================
model                  ``modelpath`` (Neutral)
compartment C          ``modelpath/C`` (CubeMesh, volume = size in litres
                       x 1e-3 m^3; on the engine path a size that is not
                       positive or not set gives the CubeMesh 1e-15 m^3
                       and leaves the SBML size to the solver)
species S in C         ``modelpath/C/S`` (Pool; BufPool when
                       boundaryCondition or constant, and on the objects
                       path when an assignment rule sets it)
reaction R             objects: ``modelpath/C/R`` (Reac) or
                       ``modelpath/C/E/R`` (MMenz under its enzyme E)
=====================  ==================================================

Substance is taken in moles and size in litres, SBML's base units, when
the model does not say otherwise (n = amount x NA; conc [mM] = amount /
(size x 1e-3 m^3)).  On the engine path tables connected to a species'
``getConc``/``getN`` are filled from the solver's state.  ``solver='gssa'``
builds Reacs under a Gsolve (:mod:`.stochastic`).
"""

import logging
import math

import numpy as np

from ...core.element import Neutral
from ...core.errors import ModelImportError, FieldError, SolverError
from ...core.fields import Field, LookupField, Dest
from ...core.units import NA
from ..mesh import CubeMesh
from ..pool import Pool, BufPool
from .system import read_document, build as build_system
from .engine import Engine, species_value, _METHODS

SOLVER_NAME = 'sbml_solver'
# readSBML solver names that the object build runs with a Ksolve method
_KSOLVE_METHODS = {'gsl': 'lsoda', 'lsoda': 'lsoda', '': 'lsoda', 'ee': 'lsoda', 'rk5': 'rk5',
                   'rk45': 'rk5', 'rk4': 'rk4', 'rk2': 'rk2', 'rkck': 'rkck', 'rk8': 'rk8'}
log = logging.getLogger('moosepy.sbml')


class SbmlSolver(Neutral):
    """Integrates a model read from SBML (all rules, events and kinetic laws
    compiled to array code).  Reads and writes the Pools of the model."""

    default_tick = 16

    method = Field('lsoda', '', 'Integrator: ' + ', '.join(sorted(_METHODS)), type='string')
    epsRel = Field(1e-10, '', 'Relative error tolerance')
    epsAbs = Field(1e-14, '(SBML units)', 'Absolute error tolerance of the states')
    source = Field('', '', 'SBML file the model came from', type='string', ro=True,
                   stored=False)
    numStates = Field(0, '', 'Integrated variables', type='unsigned int', ro=True,
                      stored=False)
    ids = Field(None, '', 'SBML ids with values (species, compartments, parameters, '
                'reactions, species references)', type='vector', ro=True, stored=False)
    unsupported = Field(None, '', 'Constructs of the file handled approximately, by id',
                        type='vector', ro=True, stored=False)
    value = LookupField('string', 'double', '(SBML units)',
                        'Current value of an SBML id: species in their math units '
                        '(concentration unless hasOnlySubstanceUnits), compartment size, '
                        'parameter value, reaction rate')

    ports = (Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _sys(self):
        return self._el.data['system']

    def _get_source(self):
        return self._sys().source

    def _get_numStates(self):
        return len(self._sys().state_slots)

    def _get_ids(self):
        S = self._sys()
        return [n for n, k in S.kinds.items() if k != 'local']

    def _get_unsupported(self):
        return list(self._sys().unsupported)

    def _lookup_value(self, sid):
        return self.getValue(sid)

    def getValue(self, sid):
        """Current value of an SBML id (see ``value``)."""
        S = self._sys()
        eng = self._el.data.get('engine')
        if sid not in S.slots or S.kinds.get(sid) in (None, 'local'):
            raise FieldError(f"{self.path} (SbmlSolver).value: no SBML id {sid!r}; valid: "
                             f"{', '.join(self._get_ids())}")
        v = eng.v if eng is not None else S.v0
        return float(v[S.slots[sid]])

    # ------------------------------------------------------------ clock
    @classmethod
    def _reinit(cls, el):
        S = el.data['system']
        h = el.handle(0)
        from ... import _rng            # moose.seed(): events of equal priority
        eng = Engine(S, method=h.method, rtol=h.epsRel, atol=h.epsAbs,
                     seed=_rng.get('seed'))
        # initial amounts set by the user on the pools win over the file
        for sid, pel in el.data['pools'].items():
            sp = S.species[sid]
            n0 = float(pel.cols['nInit'][0])
            if abs(n0 - el.data['n0_file'][sid]) > 1e-9 * max(abs(n0), 1.0):
                _set_initial_amount(S, sid, n0 / el.data['nscale'])
        pools = el.data['pools']
        eng.name_of = lambda sid: (f'pool {pools[sid].path} (species {sid!r})' if sid in pools
                                   else f'species {sid!r}')
        eng.name_of = _prefixed(el.path, eng.name_of)
        eng.reset()
        el.data['engine'] = eng
        _sync(el)

    @classmethod
    def _batch_role(cls, el):
        return 'solver' if el.data.get('engine') is not None else 'idle'

    @classmethod
    def _batch_advance(cls, el, t_end, requests):
        eng = el.data['engine']
        S = eng.S
        times = sorted({float(t) for r in requests for t in r[2]})
        rec = {}
        specs = sorted({s for r in requests for s, _ in r[3]})

        def record(t, v):
            rec[t] = [(_pool_value(el, v, s)) for s in specs]
        _advance(el, eng, t_end, times, record)
        idx = {s: i for i, s in enumerate(specs)}
        for tab, _ticks, st, sp in requests:
            vals = np.empty((len(st), len(sp)))
            for i, t in enumerate(st):
                row = rec.get(float(t))
                if row is None:       # the state at reinit (t = 0)
                    row = [_pool_value(el, eng.v, s) for s in specs]
                for k, (s, scale) in enumerate(sp):
                    vals[i, k] = row[idx[s]] * scale
            tab.cls._record_batch(tab, st, vals)

    @classmethod
    def _process(cls, el, t, dt):
        eng = el.data.get('engine')
        if eng is not None:
            _advance(el, eng, eng.t + dt, [], lambda t, v: None)

    @classmethod
    def _pool_spec(cls, el, pool_el, idx, field):
        if field not in ('n', 'conc'):
            return None
        sid = pool_el.data.get('sbml_id')
        return el, (sid, field), 1.0


def _advance(el, eng, t_end, times, record):
    """Advance the engine and mirror its species into the pools; when it
    raises, the pools show the broken state (NaN), not the last good one."""
    try:
        eng.advance(t_end, times, record)
    except SolverError:
        _sync(el, strict=False)
        raise
    _sync(el)


def _prefixed(path, name_of):
    """Engine errors name the solver element first."""
    return lambda sid: f'{path}: {name_of(sid)}'


def _pool_value(el, v, spec):
    sid, field = spec
    S = el.data['system']
    amt = species_value(S, v, sid, 'amount')
    n = amt * el.data['nscale']
    if field == 'n':
        return n
    vol = _vol_m3(el, S, v, sid)
    return n / (NA * vol)


def _vol_m3(el, S, v, sid):
    sp = S.species[sid]
    size = v[S.slots[sp.comp]]
    if not (size > 0) or math.isinf(size):
        return el.data['comp_vol'][sp.comp]
    return size * el.data['vscale']


def _sync(el, strict=True):
    """Copy the solver's species into the pools' n columns (a NaN as NaN:
    with *strict*, the first non-finite one raises)."""
    eng = el.data['engine']
    for sid, pel in el.data['pools'].items():
        amt = species_value(eng.S, eng.v, sid, 'amount')
        if strict and not np.isfinite(amt):
            # (a NaN used to be mirrored as 0.0: the broken state was hidden)
            raise SolverError(f'{el.path}: pool {pel.path} (species {sid!r} of '
                              f'{eng.S.source}) has amount {amt!r} at t = {eng.t:g} s; its '
                              f'value cannot be trusted (check the compartment size and the '
                              f'rules and initial assignments that reach it)')
        pel.cols['n'][0] = amt * el.data['nscale']


def _set_initial_amount(S, sid, amount):
    sp = S.species[sid]
    if sp.mode == 'amount':
        S.v0[S.slots['amt:' + sid]] = amount
    S.init_override = getattr(S, 'init_override', {})
    S.init_override[sid] = amount


def _unit_scales(model):
    """(molecules per substance unit, m^3 per volume unit) from the model's
    units; moles and litres unless declared."""
    import libsbml
    nscale = NA
    vscale = 1e-3
    sub = model.getSubstanceUnits() if model.isSetSubstanceUnits() else (
        'substance' if model.getLevel() < 3 else '')
    if sub == 'item':
        nscale = 1.0
    elif sub and model.getUnitDefinition(sub) is not None:
        ud = model.getUnitDefinition(sub)
        if ud.getNumUnits() == 1:
            u = ud.getUnit(0)
            f = u.getMultiplier() * 10 ** u.getScale()
            if u.getKind() == libsbml.UNIT_KIND_MOLE:
                nscale = NA * f
            elif u.getKind() == libsbml.UNIT_KIND_ITEM:
                nscale = f
    vol = model.getVolumeUnits() if model.isSetVolumeUnits() else (
        'volume' if model.getLevel() < 3 else '')
    if vol and model.getUnitDefinition(vol) is not None:
        ud = model.getUnitDefinition(vol)
        if ud.getNumUnits() == 1:
            u = ud.getUnit(0)
            f = (u.getMultiplier() * 10 ** u.getScale()) ** u.getExponent()
            if u.getKind() == libsbml.UNIT_KIND_LITRE:
                vscale = 1e-3 * f
            elif u.getKind() == libsbml.UNIT_KIND_METRE:
                vscale = f
    return nscale, vscale


def readSBML(filepath, loadpath='/model', solver='lsoda', validate=True, build='auto'):
    """Read an SBML file into ``loadpath``; returns the model element.
    Nothing is added to the tree if the file cannot be read.

    ``build``: 'objects' makes MOOSE objects (Pools, Reacs, MMenz, Functions,
    a Stoich and a Ksolve per compartment; see :mod:`.objects`), 'engine' the
    pools and one :class:`SbmlSolver` that integrates the whole SBML model,
    'auto' (default) objects when they express the file, else the engine;
    the choice and its reason are logged on ``moosepy.sbml``.

    ``solver``: 'gsl' or 'lsoda' (default; the Ksolve's method is then
    'lsoda', as MOOSE's reader sets it), another Ksolve method (rk5, rk4,
    rk2, rkck, rk8), 'ee' (objects without a solver; the engine runs LSODA),
    bdf or radau (engine integrators: the engine is used), or 'gssa' for the
    stochastic solver (mass-action reactions become Reacs under a Gsolve,
    see :mod:`.stochastic`)."""
    from ...core import shell
    from ...core.element import Neutral as _N
    from . import objects as O
    how = O.check_build_name(build)
    path = str(filepath)
    doc = read_document(path)
    S = build_system(doc, path)
    for what in S.unsupported:          # approximations are said, by id
        log.warning('%s: %s', path, what)
    m = str(solver).lower()
    stochastic = m in ('gssa', 'gillespie', 'stochastic', 'gsolve')
    if stochastic and how == 'engine':
        raise SolverError(f"{path}: solver {solver!r} builds Reacs under a Gsolve; "
                          f"build='engine' integrates deterministically (use solver='lsoda' "
                          f"with build='engine', or build='auto' with 'gssa')")
    if stochastic:
        from .stochastic import mass_action_terms
        # checked before anything is built: refused models leave no trace
        mass_action_terms(S, _unit_scales(doc.getModel())[0])
        m = 'lsoda'
    plan = None
    why = "build='engine' was asked for" if how == 'engine' else ''
    if not stochastic and how != 'engine':
        kmethod = _KSOLVE_METHODS.get(m)
        try:
            if kmethod is None and m not in _METHODS:
                valid = sorted((set(_METHODS) | set(_KSOLVE_METHODS) | {'gssa'}) - {''})
                raise SolverError(f'{path}: unknown solver {solver!r}; valid: '
                                  f'{", ".join(valid)}')
            if kmethod is None:
                raise O.NotExpressible(f'solver {solver!r} is an engine integrator')
            nscale, vscale = _unit_scales(doc.getModel())
            plan = O.make_plan(S, doc.getModel(), nscale, vscale)
        except O.NotExpressible as e:
            if how == 'objects':
                raise ModelImportError(f"{path}: build='objects': the MOOSE object model cannot "
                                       f"express {e}; use build='engine' or 'auto'") from None
            why = str(e)
            log.warning("%s: the whole-SBML engine (SbmlSolver) runs this model: the MOOSE object "
                     "model cannot express %s", path, e)
    if m in ('ee', ''):
        m = 'lsoda'
    if plan is None and m not in _METHODS:
        raise SolverError(f'{path}: unknown solver {solver!r}; valid: lsoda, '
                          f'{", ".join(sorted(_METHODS))}')
    if shell.exists(loadpath):
        raise ModelImportError(f'{path}: cannot load into {loadpath!r}: it exists already '
                               f'(delete it or choose another path)')
    model = doc.getModel()
    nscale, vscale = _unit_scales(model)
    created = []
    if plan is not None:
        try:
            root = _N(loadpath)
            created.append(root)
            O.build_objects(plan, S, root, model, 'ee' if str(solver).lower() == 'ee'
                            else 'ksolve', _KSOLVE_METHODS[str(solver).lower()])
            root._el.data['sbml_build'] = ('objects', '')
        except Exception:
            for x in created:
                if x._el.alive:
                    shell.delete(x)
            raise
        log.info('%s: built as MOOSE objects (%s)', path, O.describe(plan))
        return root
    try:
        root = _N(loadpath)
        created.append(root)
        comp_vol = {}
        for c in model.getListOfCompartments():
            cid = c.getId()
            size = S.v0[S.slots[cid]]
            mesh = CubeMesh(f'{root.path}/{cid}')
            vol = size * vscale if (size > 0 and math.isfinite(size)) else 1e-15
            mesh.volume = vol
            comp_vol[cid] = vol
        v = S.v0.copy()
        eng = Engine(S, method=m)
        eng.reset()
        v = eng.v
        pools = {}
        n0 = {}
        for s in model.getListOfSpecies():
            sid = s.getId()
            cls = BufPool if (s.getBoundaryCondition() or s.getConstant()) else Pool
            p = cls(f'{root.path}/{s.getCompartment()}/{sid}')
            amt = species_value(S, v, sid, 'amount')
            n = amt * nscale if math.isfinite(amt) and amt >= 0 else 0.0
            p.nInit = n
            p.n = n
            p._el.data['sbml_id'] = sid
            pools[sid] = p._el
            n0[sid] = n
        if stochastic:
            from .stochastic import build_gssa
            root._el.data['sbml_build'] = ('gssa objects', '')
            build_gssa(S, root, model, nscale,
                       {c.getId(): f'{root.path}/{c.getId()}'
                        for c in model.getListOfCompartments()}, pools)
            return root
        sol = SbmlSolver(f'{root.path}/{SOLVER_NAME}')
        sol.method = m
        root._el.data['sbml_build'] = ('engine', why)
        el = sol._el
        el.data.update(system=S, pools=pools, nscale=nscale, vscale=vscale,
                       comp_vol=comp_vol, n0_file=n0)
        for pel in pools.values():
            pel.data['solver'] = el
    except Exception:
        for x in created:
            if x._el.alive:
                shell.delete(x)
        raise
    return root
