"""``moose.SBML.readSBML.mooseReadSBML`` on moosepy's SBML reader."""

import os

from ..core.errors import ModelImportError

#: MOOSE solver names -> the solver moosepy's SBML reader attaches
#: (moosepy always integrates a model it reads; 'ee' and 'gsl' run LSODA,
#: as moosepy's ``loadModel`` does for SBML)
_SOLVERS = {'ee': 'lsoda', 'gsl': 'lsoda', 'lsoda': 'lsoda', 'rk5': 'rk5'}


def mooseReadSBML(filepath, loadpath, solver='ee', validate='on'):
    """Read an SBML file (Level 2 or 3) into *loadpath*.

    Parameters
    ----------
    filepath : str
        The SBML file.
    loadpath : str
        Path of the model element to create ('/model').
    solver : str
        MOOSE's solver name ('ee', 'gsl', 'lsoda', 'rk5', 'gssa').
    validate : 'on' or 'off'
        'on' checks the document with libSBML first.

    Returns
    -------
    (model element, str)
        The model and a message string ('' when all went well), as MOOSE's
        ``mooseReadSBML`` returns them.

    MOOSE prints a message and returns the root for a missing file; moosepy
    raises :class:`~moosepy.core.errors.ModelImportError` naming the file,
    and leaves nothing in the tree, as for any other unreadable file.
    """
    if not os.path.isfile(str(filepath)):
        raise ModelImportError(f'mooseReadSBML: {filepath}: no such file')
    from ..loaders import readSBML
    loadpath = '/' + str(loadpath).lstrip('/')
    s = str(solver).lower()
    model = readSBML(filepath, loadpath, _SOLVERS.get(s, s),
                     validate not in ('off', False, 'False', 0))
    return model, ''
