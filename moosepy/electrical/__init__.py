"""The electrical layer: compartments, channels, calcium, stimuli, HSolve
(this package), morphology readers and synapses (added by their modules).

Each module lists what it owns; classes register themselves with the class
registry on import, so importing this package makes them available to
``moose.<Class>`` and ``/classes``.
"""

from .compartment import CompartmentBase, Compartment, SymCompartment  # noqa: F401
