"""``Species``: what a chemical species is apart from where it is (MOOSE
keeps only its molecular weight), linked to its pools by the shared
``pool`` <-> ``species`` message.

What this module owns: the Species class, its field and its message port.
MOOSE 5.0 has no field on a pool that the weight feeds (the pool asks for
it with ``requestMolWt`` and takes it with ``handleMolWt``, and keeps
nothing), so the link is descriptive: a pool's species is found with
:func:`species_of`.  Species are not scheduled (tick -1).
"""

import math

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, Src, Dest, Shared
from ..core.msg import links


class Species(Neutral):
    """A chemical species: molecular weight shared by the pools linked to
    it (``moose.connect(species, 'pool', pool, 'species')``)."""

    molWt = Field(1.0, 'g/mol', 'Molecular weight (Da)')

    ports = (Shared('pool', 'species', 'species', "Joins a pool's 'species': molWtOut to "
                    'its handleMolWt, its requestMolWt to handleMolWtRequest'),
             Src('molWtOut', 'double', 'Sends molWt [g/mol] (part of pool)'),
             Dest('handleMolWtRequest', 'void', 'Answers a request for molWt (part of pool)'))

    def _set_molWt(self, v):
        # MOOSE stores any number; a weight must be finite
        if not math.isfinite(v):
            raise FieldError(f'{self.path} (Species).molWt: expected a finite value [g/mol], '
                             f'got {v}')
        self._el.cols['molWt'][self._idx] = v


def species_of(pool):
    """The Species linked to *pool* (a Pool handle) by a pool <-> species
    message, or None."""
    el = pool._element()
    for other, oport, m, fwd in links(el, 'species'):
        if issubclass(other.cls, Species):
            return other.handle(0)
    return None
