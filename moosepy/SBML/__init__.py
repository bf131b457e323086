"""``moose.SBML``: MOOSE's module path for SBML reading and writing.

``from moose.SBML import mooseReadSBML, mooseWriteSBML`` (and the
submodules ``moose.SBML.readSBML`` / ``moose.SBML.writeSBML``) work with
``import moosepy as moose``.  Both functions keep MOOSE's call signatures
and return values and read/write through moosepy's own SBML reader and
writer (:mod:`moosepy.kinetics.sbml`); this package adds nothing else.
"""

from .readSBML import mooseReadSBML
from .writeSBML import mooseWriteSBML

__all__ = ['mooseWriteSBML', 'mooseReadSBML']
