"""``moose.fixXreacs``: reactions across chemical compartments split into
proxy pools, as MOOSE's module does.

``fixXreacs(basepath)`` splits every reaction or enzyme whose substrates and
products lie in different chemical compartments: each reactant outside the
reaction's compartment is copied into it as ``<pool>_xfer_<its compartment>``
(diffConst 0, enzymes and Functions on it removed), the reaction's message
moves to the copy, ``numKf``/``numKb``/``numKm`` are kept, and the old
message is recorded in an Annotator ``<copy>/info``.  Each compartment can
then have its own Stoich, Ksolve/Gsolve and Dsolve; the Dsolve junction
between two compartments (``buildMeshJunctions``,
``buildNeuroMeshJunctions``) couples every proxy with its original once per
chemical step (MOOSE's cross-solver transfer; see
:mod:`moosepy.kinetics.dsolve`).  ``restoreXreacs`` undoes the split.

A model solved by one Stoich across its compartments (what moosepy's
``loadModel`` and ``chemUtil.mooseAddChemSolver`` build when a reaction
crosses compartments) needs no split: that Stoich integrates the reaction
exactly.  The split is first order in the chemical step (the proxy follows
its original one exchange behind); ``tests/kinetics/test_xfer.py`` measures
how it converges to the exact single-Stoich answer as the step shrinks.
(In pymoose 5.0.0 the coupling does not happen in MOOSE's own example
``snippets/crossComptSimpleReac.py``: after 100 s a, b, c are 1.0, 1.27,
1.0, where the example says all converge to 2.0.)
"""

import numpy as np

from .core.errors import SolverError
from .kinetics.mesh import voxel_volumes

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


def _drop_reactant_msgs(reac, pool, dup):
    """Drop the messages between *reac* (a Reac or enzyme) and *pool* on
    its 'sub'/'prd' ports, recording each in ``<dup>/info``.notes as MOOSE
    does (``_xMsg_<reac> sub|prd <pool> reac``)."""
    from .core.msg import drop_message
    moose = _moose()
    rel, pel = reac._element(), pool._element()
    info_path = dup.path + '/info'
    info = (moose.element(info_path) if moose.exists(info_path)
            else moose.Annotator(info_path))
    notes = ''
    for m in list(rel.msg_out) + list(rel.msg_in):
        other = m.el2 if m.el1 is rel else m.el1
        port = m.srcField if m.el1 is rel else m.destField
        if other is pel and port in (_SUB, _PRD):
            notes += f'{msgSeparator}{reac.path} {port} {pool.path} reac'
            drop_message(m)
    info.notes = info.notes + notes


def _fit_voxels(dup, pool, mesh):
    """Give the proxy one entry per voxel of its compartment *mesh*, each
    starting at the original's initial concentration (entry by entry where
    the voxel counts agree, else entry 0's), as a copy in MOOSE does.  (The
    first exchange then sets the proxy to the original's molecule count,
    which it mirrors from there on.)"""
    el, src = dup._element(), pool._element()
    vols = np.asarray(mesh._element().handle(0)._voxel_volumes(), dtype=float)
    n = len(vols)
    if el.num != n:
        el.resize(n)
        for k, col in el.cols.items():
            if len(col) > 1:
                col[1:] = col[0]
    svol = np.asarray(voxel_volumes(src), dtype=float)
    for k in ('nInit', 'n'):
        c = np.asarray(src.cols[k], dtype=float) / svol
        el.cols[k][:] = (c if len(c) == n else c[0]) * vols


def _proxify(reac, reacc, port, pool, poolc):
    """Replace *pool* (in compartment *poolc*) as a *port* reactant of
    *reac* by its proxy ``<pool>_xfer_<poolc name>`` in *reacc* (made by
    copying the pool once; diffConst 0, enzymes and Functions on it
    removed)."""
    moose = _moose()
    dupname = f'{pool.name}_xfer_{moose.element(poolc).name}'
    path = f'{reacc}/{dupname}'
    if moose.exists(path):
        dup = moose.element(path)
    else:
        dup = moose.element(moose.copy(pool, moose.element(reacc), dupname))
        _fit_voxels(dup, pool, moose.element(reacc))
    moose.vec(dup).diffConst = 0.0      # it diffuses in its own compartment only
    for kid in moose.wildcardFind(dup.path + '/#'):
        if kid.isA['EnzBase'] or kid.isA['Function']:
            moose.delete(kid)
    _drop_reactant_msgs(reac, pool, dup)
    moose.connect(reac, port, dup, 'reac')


def fixXreacs(basepath):
    """Split every reaction and enzyme under *basepath* whose reactants lie
    in more than one chemical compartment, as MOOSE's ``fixXreacs``: each
    reactant outside the reaction's compartment is replaced by a proxy pool
    ``<pool>_xfer_<its compartment>`` in the reaction's compartment, the
    per-molecule rates (numKf/numKb, numKm) are kept, and the old messages
    are recorded in ``<proxy>/info``.  The Dsolve junction between the two
    compartments (``buildMeshJunctions``) then couples each proxy to its
    original once per chemical step: the proxy's change from its own
    compartment's chemistry is added to the original and the proxy takes
    the original's count (see :mod:`moosepy.kinetics.dsolve`).  Without
    such a junction the proxies are not coupled, as in MOOSE; Dsolve warns
    at reinit about proxies it finds no partner for.

    Returns None (as MOOSE's)."""
    moose = _moose()
    for reacType, keep in (('Reac', ('numKf', 'numKb')), ('EnzBase', ('numKm',))):
        for reac, reacc, subs, subc, prds, prdc in findXreacs(basepath, reacType):
            for port, pools, compts in ((_SUB, subs, subc), (_PRD, prds, prdc)):
                for pool, poolc in zip(pools, compts):
                    if poolc == reacc:
                        continue
                    saved = [getattr(reac, k) for k in keep]
                    _proxify(reac, reacc, port, pool, poolc)
                    for k, v in zip(keep, saved):
                        setattr(reac, k, v)
    return None


def restoreXreacs(basepath):
    """Undo :func:`fixXreacs` under *basepath*: delete every proxy
    ``#_xfer_#`` that has an ``info`` record and make again the messages it
    records, keeping the per-molecule rates of the reactions, as MOOSE's."""
    moose = _moose()
    for info in moose.wildcardFind(f'{basepath}/##/#_xfer_#/info'):
        recs = [r for r in str(info.notes).split(msgSeparator) if r]
        reac = None
        if recs and moose.exists(recs[0].split(' ')[0]):
            reac = moose.element(recs[0].split(' ')[0])
        keep = (() if reac is None else ('numKf', 'numKb') if reac.isA['Reac']
                else ('numKm',) if reac.isA['EnzBase'] else ())
        saved = [getattr(reac, k) for k in keep]
        moose.delete(info.parent)
        for r in recs:
            args = r.split(' ')
            if len(args) != 4:
                raise SolverError(f'restoreXreacs: {info.path}.notes has a message record '
                                  f'{r!r}; expected "<src> <field> <dest> <field>"')
            if moose.exists(args[0]) and moose.exists(args[2]):
                moose.connect(args[0], args[1], args[2], args[3])
        for k, v in zip(keep, saved):
            setattr(reac, k, v)
    return None
