"""The electrical layer: compartments, channels, calcium, stimuli, HSolve
(this package), morphology readers and synapses (added by their modules).

Each module lists what it owns; classes register themselves with the class
registry on import, so importing this package makes them available to
``moose.<Class>`` and ``/classes``.
"""

from .compartment import CompartmentBase, Compartment, SymCompartment  # noqa: F401
from .morphology import Neuron, read_swc, read_p  # noqa: F401,E402
from .synapse import (SpikeGen, Synapse, SimpleSynHandler, SynChan, NMDAChan,  # noqa: F401,E402
                      MgBlock, IntFire, LIF, RandSpike, TimeTable)
from .channels import (ChanBase, HHChannelBase, HHChannel, HHGate, HHChannel2D,  # noqa: F401
                       HHGate2D, CaConcBase, CaConc, Nernst)
from .stimuli import PulseGen, VClamp  # noqa: F401
from .hsolve import HSolve  # noqa: F401
from . import eesolve  # noqa: F401,E402  (compiled path of unsolved compartments)
from .intfire import (IntFireBase, ExIF, AdExIF, AdThreshIF, QIF, IzhIF,  # noqa: F401
                      IzhikevichNrn)
from .passive import Leakage, GapJunction  # noqa: F401
from .devices import DiffAmp, RC, PIDController  # noqa: F401
