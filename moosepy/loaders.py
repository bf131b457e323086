"""``moose.loadModel``, ``moose.readSBML`` and ``moose.writeSBML``: model
files into the element tree, dispatched on the file's extension as MOOSE
does.

=================  ==========================================================
extension          reader
=================  ==========================================================
.xml, .sbml        SBML (:func:`moosepy.kinetics.sbml.reader.readSBML`)
.g                 GENESIS kinetikit (:func:`moosepy.kinetics.kkit.read_kkit`)
.swc               SWC morphology (:func:`moosepy.electrical.morphology.read_swc`)
.p                 GENESIS cell (:func:`moosepy.electrical.morphology.read_p`)
.cspace            CSPACE string (:func:`moosepy.kinetics.cspace.read_cspace`)
=================  ==========================================================
"""

import os

from .core.errors import ModelImportError

_KINDS = {'.xml': 'sbml', '.sbml': 'sbml', '.g': 'kkit', '.swc': 'swc', '.p': 'p',
          '.cspace': 'cspace'}


def readSBML(filepath, loadpath='/model', solver='lsoda', validate=True, build='auto'):
    """Read an SBML file (Level 2 or 3) into *loadpath* with its solver
    attached; returns the model element.  *build*: 'objects' (Pools, Reacs,
    MMenz, Functions under a Stoich and Ksolve, as MOOSE), 'engine' (one
    SbmlSolver for the whole SBML model) or 'auto' (objects when they
    express the file; the choice is logged).  See
    :mod:`moosepy.kinetics.sbml.reader` and :mod:`moosepy.kinetics.sbml.objects`."""
    from .kinetics.sbml.reader import readSBML as _read
    return _read(filepath, loadpath, solver, validate, build)


def writeSBML(modelpath, filepath):
    """Write the chemical model under *modelpath* to an SBML L3V2 file."""
    from .kinetics.sbml.writer import writeSBML as _write
    return _write(modelpath, filepath)


def loadModel(filepath, modelpath='/model', solverclass='gsl'):
    """Load a model file into *modelpath* (dispatch on the extension, as
    MOOSE's ``loadModel``).  *solverclass*: 'gsl'/'rk5', 'lsoda', 'gssa',
    'ee' (no solver) for chemical models."""
    path = str(filepath)
    ext = os.path.splitext(path)[1].lower()
    kind = _KINDS.get(ext)
    if kind is None:
        raise ModelImportError(f'{path}: unknown model file type {ext or "(none)"!r}; valid: '
                               f'{", ".join(sorted(_KINDS))}')
    if not os.path.exists(path):
        raise ModelImportError(f'{path}: no such file')
    if not os.path.isfile(path):
        raise ModelImportError(f'{path}: not a regular file (a directory?); loadModel reads '
                               'one model file')
    if ext == '.xml':
        with open(path, 'rb') as fh:
            head = fh.read(8192)
        if b'http://morphml.org/' in head and b'<sbml' not in head:
            # pymoose 5.0.0 passes it to its NeuroML 2 reader, which builds nothing
            raise ModelImportError(f'{path}: a NeuroML 1.x file, which loadModel does not '
                                   'read; use moose.neuroml.NeuroML().readNeuroMLFromFile'
                                   '(path) (cells go to /library/<cell name>)')
    if kind == 'sbml':
        solver = {'gsl': 'lsoda', 'rk5': 'rk5', 'ee': 'lsoda'}.get(str(solverclass).lower(),
                                                                  solverclass)
        return readSBML(path, modelpath, solver)
    if kind == 'kkit':
        from .kinetics.kkit import read_kkit
        return read_kkit(path, modelpath, solverclass)
    if kind == 'cspace':
        from .kinetics.cspace import read_cspace
        return read_cspace(path, modelpath, solverclass)
    from .electrical import morphology
    if kind == 'swc':
        return morphology.read_swc(path, modelpath)
    return morphology.read_p(path, modelpath)
