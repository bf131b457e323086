"""``moose.chemUtil.add_Delete_ChemicalSolver``: put a solver on a chemical
model, change it, or take it off, as MOOSE's ``mooseAddChemSolver`` /
``mooseDeleteChemSolver`` (also reached as ``moose.addChemSolver`` /
``moose.deleteChemSolver`` in MOOSE).

Where moosepy differs: MOOSE remembers the solver in an Annotator
``<first compartment>/info`` (``solver`` field); moosepy reads it from the
model itself (the class of the solver its Stoich points to, 'ee' with no
Stoich), which gives the same answers.  For several compartments MOOSE
splits cross-compartment reactions (``fixXreacs``) and adds a Dsolve per
compartment; moosepy builds what its ``loadModel`` builds for such a model:
one Stoich spanning the compartments when a reaction crosses them (exact
coupling), else one per compartment with a Dsolve each, joined across the
faces where the compartments abut (see :mod:`moosepy.kinetics.kkit`).

A model that moosepy's SBML reader runs on its compiled engine (an
``SbmlSolver`` under the model, no Reac objects) keeps that engine:
'gsl'/'rk5' and 'lsoda' (and 'ee', which moosepy's ``readSBML`` also maps
to LSODA) set its integration method and return True, as MOOSE's call
returns after replacing the solver; 'gssa' raises a
:class:`~moosepy.core.errors.SolverError` saying to read the file with
``moose.readSBML(file, path, 'gssa')``.  ``mooseDeleteChemSolver`` leaves
the engine in place (it deletes Stoichs, as MOOSE's does).
"""

from ..core.errors import SolverError
from ..fixXreacs import fixXreacs  # noqa: F401  (MOOSE's module namespace has it)

__all__ = ['stdSolvertype', 'mooseDeleteChemSolver', 'setCompartmentSolver',
           'mooseAddChemSolver', 'fixXreacs']


def _moose():
    import moosepy
    return moosepy


_SOLVABLE = ('CubeMesh', 'CylMesh')


def stdSolvertype(solverName):
    """MOOSE's canonical solver name: 'lsoda'; 'gssa' (gssa, gillespie,
    stochastic, gsolve); 'gsl' (gsl, runge kutta, deterministic, ksolve,
    rungekutta, rk5, rkf, rk); 'ee' for anything else."""
    s = str(solverName).lower()
    if s == 'lsoda':
        return 'lsoda'
    if s in ('gssa', 'gillespie', 'stochastic', 'gsolve'):
        return 'gssa'
    if s in ('gsl', 'runge kutta', 'deterministic', 'ksolve', 'rungekutta', 'rk5', 'rkf', 'rk'):
        return 'gsl'
    return 'ee'


def _compts(modelRoot):
    return _moose().wildcardFind(modelRoot + '/##[ISA=ChemCompt]')


def _not_solvable(compts, what):
    bad = sorted({c.className for c in compts} - set(_SOLVABLE))
    return (f'{what} is only for adding Chemical Model which has to be `CubeMesh` or '
            '`CylMesh` found ', bad)


def _current_solver(compts):
    """'gssa', 'lsoda', 'gsl' or 'ee' from the Stoich(s) of *compts*."""
    moose = _moose()
    for c in compts:
        if moose.exists(c.path + '/stoich'):
            ks = moose.element(c.path + '/stoich').ksolve
            if ks is None:
                continue
            if ks.isA['Gsolve']:
                return 'gssa'
            return 'lsoda' if str(ks.method).lower() == 'lsoda' else 'gsl'
    return 'ee'


def mooseDeleteChemSolver(modelRoot):
    """Delete the Stoich of every compartment under *modelRoot* and the
    Ksolve/Gsolve (and Dsolve) it points to; the model then runs with
    exponential Euler.  Returns None, or MOOSE's ``(message, [classes])``
    tuple when a compartment is not a CubeMesh or CylMesh."""
    moose = _moose()
    compts = _compts(modelRoot)
    if not all(c.className in _SOLVABLE for c in compts):
        return _not_solvable(compts, 'mooseDeleteChemSolver')
    for c in compts:
        if not moose.exists(c.path + '/stoich'):
            continue
        st = moose.element(c.path + '/stoich')
        solvers = [s for s in (st.ksolve, getattr(st, 'dsolve', None)) if s is not None]
        moose.delete(st)
        for s in solvers:
            if moose.exists(s.path) and s.path not in ('/', '/[0]'):
                moose.delete(s)
    return None


def setCompartmentSolver(modelRoot, solver):
    """Attach *solver* ('gsl', 'lsoda', 'gssa'; 'ee' attaches nothing) to the
    compartments under *modelRoot*: a Stoich ``<compt>/stoich`` with a
    Ksolve ``<compt>/ksolve`` or Gsolve ``<compt>/gsolve`` per compartment,
    or one spanning all of them in the largest when a reaction crosses
    compartments (see the module docstring).  'gsl' integrates with rk5
    and 'lsoda' with LSODA."""
    moose = _moose()
    s = stdSolvertype(solver) if str(solver).lower() not in (
        'gsl', 'lsoda', 'gssa', 'ee') else str(solver).lower()
    if s == 'ee':
        return None
    from ..kinetics.kkit import _add_solvers, _solver_kind
    kind, method = _solver_kind(s)
    _add_solvers(moose, modelRoot if modelRoot.startswith('/') else '/' + modelRoot,
                 kind, method)
    return None


def mooseAddChemSolver(modelRoot, solver):
    """Put *solver* (any name :func:`stdSolvertype` knows) on the chemical
    model under *modelRoot*, replacing a different one.

    Returns, as MOOSE: True when a solver was set up; None when the same
    solver is already there; the string ``'Atleast one compartment is
    required '`` with no compartment; a warning tuple with more than 3
    compartments; ``(message, [classes])`` when a compartment is not a
    CubeMesh or CylMesh.
    """
    moose = _moose()
    compts = _compts(modelRoot)
    if not all(c.className in _SOLVABLE for c in compts):
        return _not_solvable(compts, 'mooseAddChemSolver')
    if not compts:
        return 'Atleast one compartment is required '
    if len(compts) > 3:
        return ('Warning: setSolverOnCompt Cannot handle ', len(compts),
                ' chemical compartments\n')
    current = stdSolvertype(solver)
    engines = moose.wildcardFind(modelRoot + '/##[ISA=SbmlSolver]')
    if engines:
        return _set_engine(engines, current, modelRoot)
    previous = _current_solver(compts)
    has_stoich = moose.exists(compts[0].path + '/stoich')
    if previous != current:
        if has_stoich:
            mooseDeleteChemSolver(modelRoot)
        setCompartmentSolver(modelRoot, current)
        return True
    if not has_stoich:
        setCompartmentSolver(modelRoot, current)
        return True
    return None


def _set_engine(engines, current, modelRoot):
    if current == 'gssa':
        raise SolverError(
            f"mooseAddChemSolver({modelRoot}, 'gssa'): {engines[0].path} runs this SBML model "
            "on moosepy's deterministic engine, which cannot be switched to a stochastic "
            "solver afterwards; read the file with moose.readSBML(file, path, 'gssa')")
    for e in engines:
        e.method = 'rk5' if current == 'gsl' else 'lsoda'
    return True
