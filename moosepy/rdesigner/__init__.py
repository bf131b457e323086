"""moosepy.rdesigner: one-call builds of multiscale neuron models (MOOSE's
rdesigneur), with typed, validated specs.

``import moosepy.rdesigner as rd`` gives what ``import rdesigneur as rd``
gives MOOSE scripts: :class:`rdesigneur` (``buildModel``, ``display``,
``displayMoogli``), the helper classes :class:`rplot`, :class:`rmoog`,
:class:`rstim`, :class:`rfile`, the built-in prototype functions, the
helpers ``buildCompt``, ``buildSyn``, ``transformNMDAR`` and the constants.

Modules: :mod:`.specs` (typed specs, the one internal form of every list
entry), :mod:`.geometry` (the expression language and the cell's
distances), :mod:`.prototypes` (built-ins), :mod:`.builder` (the build),
:mod:`.spines`, :mod:`.chem` (meshes, solvers, adaptors), :mod:`.io`
(stimuli, plots, files, display).
"""

from .specs import (SpecError, rplot, rmoog, rstim, rfile, CellProto, ChanProto,  # noqa: F401
                    SpineProto, ChemProto, PassiveDistrib, ChanDistrib, SpineDistrib,
                    ChemDistrib, AdaptorSpec)
from .geometry import Expr, ExprError, CellGeometry  # noqa: F401
from .prototypes import *  # noqa: F401,F403
from .prototypes import (EREST_ACT, EREST_ACT_HH, ECA, EK, SOMA_A, per_ms, PI,  # noqa: F401
                         FaradayConst, CA_SCALE, BUILTINS, buildCompt, buildComptWrapper,
                         buildSyn, transformNMDAR, addSpineProto)
from .builder import rdesigneur, BuildError, dummyBuildFunction  # noqa: F401
from .document import load, json_schema, to_document  # noqa: F401

BuildError = SpecError

# the modules every build uses, loaded with the package (as MOOSE's
# rdesigneur import loads its whole module) rather than inside the first
# buildModel
from . import chem, distrib, io, spines  # noqa: F401,E402
