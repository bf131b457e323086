"""``moose.fixXreacs``: cross-compartment reactions, as MOOSE's module finds
them.

MOOSE's ``fixXreacs(basepath)`` splits every reaction or enzyme whose
substrates and products lie in different chemical compartments: it copies
each remote pool into the reaction's compartment as ``<pool>_xfer_<compt>``
(diffConst 0, enzymes and Functions removed), moves the reaction's
messages to the copy, keeps ``numKf``/``numKb``/``numKm``, and records the
old messages in an Annotator ``<copy>/info``.  MOOSE's solvers are then to
couple each ``_xfer_`` copy to its original across compartments (the
cross-solver transfer of Ksolve/Dsolve, with junctions from
``Dsolve.buildMeshJunctions``); ``restoreXreacs`` undoes the split.  (In
pymoose 5.0.0 that coupling does not happen in MOOSE's own example
``snippets/crossComptSimpleReac.py``: after 100 s a, b, c are 1.0, 1.27,
1.0, where the example says all converge to 2.0.)

moosepy solves cross-compartment reactions exactly without that split: one
Stoich spanning the compartments (what ``loadModel`` and
:func:`moosepy.chemUtil.mooseAddChemSolver` build) integrates the reaction
across them.  moosepy has no cross-solver transfer, so split-off copies would
run uncoupled from their originals and give wrong numbers without a word.
Hence, here:

* :func:`findXreacs`, :func:`findCompt` and :func:`checkEqual` are MOOSE's;
* :func:`fixXreacs` does nothing on a model without cross-compartment
  reactions or enzymes (as in MOOSE) and raises
  :class:`~moosepy.core.errors.SolverError` naming them on one that has
  them, instead of building proxies no solver would couple;
* :func:`restoreXreacs` does nothing when no ``_xfer_`` proxies exist (as in
  MOOSE, and always the case for a model fixed by this module), and raises
  when it finds proxies it cannot undo.
"""

from .core.errors import SolverError

#: separator of the message records MOOSE keeps in ``<proxy>/info``.notes
msgSeparator = '_xMsg_'

# reactant ports of reactions and enzymes (MOOSE's subOut/prdOut sides)
_SUB, _PRD = 'sub', 'prd'


def _moose():
    import moosepy
    return moosepy


def findCompt(elm):
    """Path of the nearest ChemCompt above *elm* (object or path), or '/'
    when there is none (MOOSE prints an error then; moosepy logs it)."""
    moose = _moose()
    pa = moose.element(elm).parent
    while pa.path not in ('/', '/[0]'):
        if pa.isA['ChemCompt']:
            return pa.path
        pa = pa.parent
    import logging
    logging.getLogger('moosepy.fixXreacs').error(
        'No compartment parent found for %s', moose.element(elm).path)
    return '/'


def checkEqual(lst):
    """True if all items of *lst* are equal (or it is empty)."""
    return not lst or lst.count(lst[0]) == len(lst)


def findXreacs(basepath, reacType):
    """Reactions (``reacType`` 'Reac') or enzymes ('EnzBase') under
    *basepath* whose substrates, products (and, for an enzyme, the enzyme
    itself) are not all in one compartment.

    Returns
    -------
    list of ``[reac, reac_compt, subs, sub_compts, prds, prd_compts]``
        reac: the object; reac_compt: path of its compartment; subs/prds:
        the reactant pools (once per message, so a stoichiometry of 2
        appears twice); sub_compts/prd_compts: their compartments' paths.
    """
    moose = _moose()
    ret = []
    for r in moose.wildcardFind(f'{basepath}/##[ISA={reacType}]'):
        reacc = findCompt(r)
        subs = [moose.element(v) for v in r.neighbors[_SUB]]
        prds = [moose.element(v) for v in r.neighbors[_PRD]]
        subc = [findCompt(p) for p in subs]
        prdc = [findCompt(p) for p in prds]
        enzc = [reacc] if reacType == 'EnzBase' else []
        if not checkEqual(subc + prdc + enzc):
            ret.append([r, reacc, subs, subc, prds, prdc])
    return ret


def fixXreacs(basepath):
    """MOOSE's cross-compartment split; see the module docstring.

    Returns None when *basepath* holds no reaction or enzyme across
    compartments (MOOSE then changes nothing either).  Otherwise raises
    :class:`SolverError` naming the reactions: moosepy integrates them
    across compartments with one Stoich (``moose.loadModel`` or
    ``moosepy.chemUtil.mooseAddChemSolver`` set that up), and cannot couple
    the ``_xfer_`` proxies MOOSE's split would make (no cross-solver transfer).
    """
    found = findXreacs(basepath, 'Reac') + findXreacs(basepath, 'EnzBase')
    if not found:
        return None
    names = ', '.join(f'{x[0].path} ({", ".join(sorted(set(x[3] + x[5] + [x[1]])))})'
                      for x in found)
    raise SolverError(
        f'fixXreacs({basepath}): {len(found)} reaction(s) cross compartments: {names}. '
        'MOOSE would split them into _xfer_ proxy pools coupled by cross-solver transfer '
        '(Ksolve/Dsolve), which moosepy does not have; moosepy solves them unsplit with one '
        'Stoich across '
        'the compartments, as moose.loadModel(..., solver) or '
        "moosepy.chemUtil.mooseAddChemSolver(path, 'gsl') set it up")


def restoreXreacs(basepath):
    """Undo :func:`fixXreacs`.  With no ``_xfer_`` proxy pools under
    *basepath* (always so after moosepy's fixXreacs) this does nothing, as
    MOOSE's does; proxies made elsewhere (their ``info`` message records)
    raise :class:`SolverError` naming them."""
    moose = _moose()
    proxies = moose.wildcardFind(f'{basepath}/##[ISA=PoolBase]')
    proxies = [p for p in proxies if '_xfer_' in p.name and moose.exists(p.path + '/info')]
    if proxies:
        raise SolverError(f'restoreXreacs({basepath}): cannot undo the _xfer_ proxies '
                          f'{", ".join(p.path for p in proxies)} (moosepy does not make '
                          'or restore them)')
    return None
