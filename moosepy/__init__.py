"""moosepy: a Python re-implementation of MOOSE, the Multiscale
Object-Oriented Simulation Environment.

``import moosepy as moose`` gives MOOSE's scripting surface: class
constructors by path (``moose.Pool('/model/A')``), tree functions
(``element``, ``le``, ``ce``, ``wildcardFind``, ``copy``, ``move``,
``delete``), ``connect``, ``vec``, and scheduling (``setClock``,
``useClock``, ``reinit``, ``start``, ``stop``).  Units are SI, with
concentrations in mM (= mol/m^3).
"""

import logging as _logging

from .core.errors import (MooseError, PathError, FieldError, MessageError,  # noqa: F401
                          SolverError, ModelImportError)
from .core.element import Neutral, Vec as vec  # noqa: F401
from .core import cinfo as _cinfo  # noqa: F401  (declares Cinfo)
from .core.cinfo import Cinfo  # noqa: F401
from .core.clock import (Clock, setClock, useClock, reinit, start, stop)  # noqa: F401
from .core.shell import (element, exists, delete, move, copy, le, ce, pwe,  # noqa: F401
                         wildcardFind, getFieldNames, getFieldTypeDict, showfield,
                         showfields, doc, getCwe, setCwe, getField, setField, isRunning)
from .core.msg import connect, showmsg, listmsg, neighbors, Msg  # noqa: F401
from .core.msgclasses import (SingleMsg, OneToAllMsg, OneToOneMsg,  # noqa: F401
                              OneToOneDataIndexMsg, DiagonalMsg, SparseMsg)
from .core.table import Table, Table2, TableBase  # noqa: F401
from .core.stimtable import StimulusTable  # noqa: F401
from .core.interpol import Interpol, Interpol2D, VectorTable  # noqa: F401
from .core.arith import Arith  # noqa: F401
from .core.adaptor import Adaptor  # noqa: F401
from .core.mstring import Mstring  # noqa: F401
from .core.annotator import Annotator  # noqa: F401
from .core.group import Group  # noqa: F401
from .core.devexamples import Example, Ex  # noqa: F401
from .core.pyrun import PyRun  # noqa: F401
from .core.units import NA, FaradayConst, GasConst, PI  # noqa: F401
from .kinetics.mesh import ChemCompt, CubeMesh, CylMesh, MeshEntry  # noqa: F401
from .kinetics.neuromesh import (NeuroMesh, SpineMesh, PsdMesh, EndoMesh,  # noqa: F401
                                 PresynMesh)
from .kinetics.pool import PoolBase, Pool, BufPool  # noqa: F401
from .kinetics.reac import ReacBase, Reac  # noqa: F401
from .kinetics.enz import EnzBase, Enz, MMenz  # noqa: F401
from .kinetics.concchan import ConcChan  # noqa: F401
from .kinetics.species import Species  # noqa: F401
from .kinetics.function import Function, Variable  # noqa: F401
from .kinetics.stoich import Stoich  # noqa: F401
from .kinetics.ksolve import Ksolve  # noqa: F401
from .kinetics.steadystate import SteadyState  # noqa: F401
from .kinetics.dsolve import Dsolve  # noqa: F401
from .stochastic.gsolve import Gsolve  # noqa: F401
from .electrical.compartment import CompartmentBase, Compartment, SymCompartment  # noqa: F401
from .electrical.channels import (ChanBase, HHChannelBase, HHChannel, HHGate,  # noqa: F401
                                  HHChannel2D, HHGate2D, CaConcBase, CaConc, Nernst)
from .electrical.stimuli import PulseGen, VClamp  # noqa: F401
from .electrical.hsolve import HSolve  # noqa: F401
from .electrical.morphology import Neuron, loadSwc  # noqa: F401
from .electrical.spine import Spine  # noqa: F401
from .electrical.synapse import (SpikeGen, Synapse, SimpleSynHandler, SynChan,  # noqa: F401
                                 SynHandlerBase,
                                 NMDAChan, MgBlock, IntFire, LIF, RandSpike, TimeTable)
from .electrical.plasticity import (STDPSynapse, STDPSynHandler, SeqSynHandler,  # noqa: F401
                                    GraupnerBrunel2012CaPlasticitySynHandler)
from .core.stats import Stats, SpikeStats  # noqa: F401
from .core.nsdf import (HDF5WriterBase, HDF5DataWriter, NSDFWriter,  # noqa: F401
                        NSDFWriter2, InputVariable)
from .core.streamer import Streamer  # noqa: F401
from .core.socketstreamer import SocketStreamer  # noqa: F401
from .electrical.intfire import (IntFireBase, ExIF, AdExIF, AdThreshIF, QIF,  # noqa: F401
                                 IzhIF, IzhikevichNrn)
from .electrical.passive import Leakage, GapJunction  # noqa: F401
from .electrical.devices import DiffAmp, RC, PIDController  # noqa: F401
from .electrical.formula_gates import HHGateF, HHChannelF, HHGateF2D, HHChannelF2D  # noqa: F401,E501
from .electrical.markov import (MarkovChannel, MarkovRateTable, MarkovSolverBase,  # noqa: F401
                               MarkovSolver, MarkovOdeSolver)
from .electrical.difshell import (DifShellBase, DifShell, DifBufferBase,  # noqa: F401
                                 DifBuffer, MMPump)
from .electrical.cell import Cell  # noqa: F401
from .loaders import loadModel, readSBML, writeSBML  # noqa: F401
from .kinetics.kkit_write import writeKkit, mooseWriteKkit  # noqa: F401
from .core.limits import limits  # noqa: F401  (bounds on model files)
from .core import shell as _shell

__version__ = '5.0.0'
VERSION = __version__

_logging.getLogger('moosepy').addHandler(_logging.NullHandler())
_shell._init_root()

_rng = {'seed': None}


def seed(value=None):
    """Seed moosepy's random generators (stochastic solvers, rand, spine
    placement); *value* None seeds from the OS.  MOOSE's global stream
    (moosepy.core.randnum: rand, spines) is seeded with value mod 2^32."""
    import numpy as np
    from .core.randnum import mtseed
    if value is not None and int(value) < 0:
        value = int(value) & 0xFFFFFFFF     # as MOOSE's cast to unsigned int
    _rng['seed'] = value
    _rng['gen'] = np.random.default_rng(value)
    mtseed(value)


def rand(a=0.0, b=1.0):
    """A uniform random number in [a, b) from MOOSE's global stream
    (the same numbers as pymoose's moose.rand after the same moose.seed)."""
    from .core.randnum import mtrand
    return (b - a) * mtrand() + a


def about():
    return {'name': 'moosepy', 'version': __version__}


def version():
    return __version__


# MOOSE's helper modules, imported on first use so ``import moosepy`` stays
# light: moose.utils, moose.fixXreacs, moose.chemUtil, moose.SBML
_HELPER_MODULES = ('utils', 'fixXreacs', 'chemUtil', 'SBML')


# MOOSE 5.0 classes (shared/moose-api/classes.txt) moosepy leaves out, and why
_NOT_PROVIDED = dict.fromkeys(('ZombieCaConc', 'ZombieCompartment', 'ZombieHHChannel'),
                              "a Zombie class is how MOOSE's solvers take an object over; "
                              "moosepy's solvers take objects over and leave their class as "
                              "it is")
_NOT_PROVIDED.update(dict.fromkeys(('Shell', 'PostMaster', 'Finfo', 'testSched'),
                                   "a MOOSE internal; moosepy's root '/' is a Neutral"))


def __getattr__(name):
    if name in _HELPER_MODULES:
        import importlib
        return importlib.import_module('.' + name, __name__)
    if name in ('mooseReadSBML', 'mooseWriteSBML'):
        from . import SBML
        return getattr(SBML, name)
    if name in ('addChemSolver', 'deleteChemSolver'):
        from . import chemUtil
        return getattr(chemUtil, 'moose' + name[0].upper() + name[1:])
    if name in _NOT_PROVIDED:
        raise AttributeError(f"module 'moosepy' has no attribute {name!r}: {name} is a MOOSE 5.0 "
                             f"class that moosepy does not provide ({_NOT_PROVIDED[name]})")
    raise AttributeError(f"module 'moosepy' has no attribute {name!r}")
