"""``moose.chemUtil``: MOOSE's helpers for chemical models.

What scripts import from it: adding, replacing and deleting the solvers of
a chemical model (:func:`mooseAddChemSolver`, :func:`mooseDeleteChemSolver`,
:func:`setCompartmentSolver`, :func:`stdSolvertype`, in
``moose.chemUtil.add_Delete_ChemicalSolver``) and small tree queries
(:func:`findCompartment`, :func:`mooseIsInstance`, :func:`countitems`, in
``moose.chemUtil.chemConnectUtil``).  The GUI's layout and colour helpers
(``setupMeshObj``, ``autoCoordinates``, ``getColor``, ...) raise
:class:`moosepy.utils.HelperNotSupported` naming them.
"""

from .add_Delete_ChemicalSolver import (mooseAddChemSolver, mooseDeleteChemSolver,  # noqa: F401
                                        setCompartmentSolver, stdSolvertype)
from .chemConnectUtil import countitems, findCompartment, mooseIsInstance  # noqa: F401
from ..fixXreacs import fixXreacs  # noqa: F401  (MOOSE's chemUtil has the function)

__all__ = ['mooseAddChemSolver', 'mooseDeleteChemSolver', 'setCompartmentSolver',
           'stdSolvertype', 'countitems', 'findCompartment', 'mooseIsInstance', 'fixXreacs']

_GUI = ('positionCompt', 'getRandColor', 'getColor', 'colorCheck', 'validColorcheck',
        'xyPosition', 'setupMeshObj', 'getxyCord', 'setupItem', 'autoCoordinates',
        'find_index')


def __getattr__(name):
    if name in _GUI:
        from ..utils import HelperNotSupported
        raise HelperNotSupported(f'moose.chemUtil.{name} is not supported by moosepy: it '
                                 'lays out or colours the MOOSE GUI\'s reaction diagram')
    raise AttributeError(f"module 'moosepy.chemUtil' has no attribute {name!r}")
