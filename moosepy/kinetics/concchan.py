"""``ConcChan``: a permeability-driven flux of a pool across a membrane.

A ConcChan joins an inner pool (its ``in`` message) and an outer pool
(``out``) and moves molecules between them at

    flux [#/s] = permeability * N * (c_out - c_in)

into the inner pool, c in mM (so ``permeability`` is in 1/(mM s)) and N the
number of channel molecules: the ``n`` of the channel pool that sends
``nOut`` to the ConcChan's ``setNumChan`` (in MOOSE's kinetics the ConcChan
sits under that pool, like an Enz under its enzyme pool), or, with no such
pool, the ``numChan`` field.  The units are those of MOOSE's code (its
Dsolve divides the permeability times N by Avogadro's number and multiplies
by molecules per m^3), not the "#/vol" of its field documentation.

Solved: a :class:`~moosepy.kinetics.stoich.Stoich` compiles each ConcChan
into two mass-action terms, out -> in at ``permeability / (NA * V_out)``
per channel molecule and in -> out at ``permeability / (NA * V_in)`` (the
channel pool a catalyst of both), so Ksolve integrates the exact flux and
Gsolve moves whole molecules, with no Python per step.  With all three pools
in that Stoich's reacSystemPath (one Stoich may span several single-voxel
compartments, as the kkit loader makes them) moosepy runs it whether or not
MOOSE would.  A ConcChan whose 'in' and 'out' pools lie in two Stoichs, each
with a Dsolve, is left to the Dsolve junction between them, as in MOOSE: it
runs across a junction built by the Dsolve of a compartment whose
``isMembraneBound`` was True at that call (MOOSE's two half steps per
chemical step, the channel pool on either side), and not across any other.

Differences from MOOSE 5.0, stated: MOOSE computes ConcChans only in its
Dsolve, operator-split once per solver step, and only (a) across such a
membrane junction or (b) with both pools in one compartment that has a
Dsolve; anywhere else (no Dsolve, a plain junction, a ConcChan with no
channel pool) it silently moves nothing, which is why a ConcChan in a plain
Ksolve model, and the kkit channels of CICRspineDend.g as MOOSE loads them,
are inert there.  moosepy runs every ConcChan solved inside one Stoich.
Unsolved, a ConcChan does nothing, as in MOOSE (it has no clock tick);
its ``flux`` field then reports the flux the pools' present values imply
(MOOSE's always reads 0).
"""

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, Shared
from ..core.msg import links
from ..core.units import n_to_conc


def chan_pools(el):
    """(inner pools, outer pools, channel pools) of a ConcChan element, as
    lists of pool elements (each should have one)."""
    from .pool import PoolBase

    def pools(port):
        return [o for o, _p, _m, _f in links(el, port) if issubclass(o.cls, PoolBase)]
    return pools('in'), pools('out'), pools('setNumChan')


class ConcChan(Neutral):
    """Channel moving molecules of a pool across a membrane at
    permeability * N * (c_out - c_in) [#/s] (into the inner pool)."""

    permeability = Field(0.1, '1/(mM s)', 'Flux per channel molecule per mM of '
                         'concentration difference: flux [#/s] = permeability * N * '
                         '(c_out - c_in)')
    numChan = Field(0.0, '#', 'Number of channel molecules N: the n of the channel pool '
                    'sending nOut to setNumChan if there is one, else this value',
                    stored=False)
    flux = Field(0.0, '#/s', 'Flux into the inner pool at the present pool values',
                 ro=True, stored=False)
    _numChan = Field(0.0, hidden=True)

    ports = (Shared('in', 'reac', 'reaction', 'Inner pool (connect to its reac)'),
             Shared('out', 'reac', 'reaction', 'Outer pool (connect to its reac)'))

    def _set_permeability(self, v):
        if not v >= 0.0 or v == float('inf'):
            raise FieldError(f'{self.path} (ConcChan).permeability: expected a finite '
                             f'value >= 0 [1/(mM s)], got {v}')
        self._el.cols['permeability'][self._idx] = v

    def _get_numChan(self):
        chan = chan_pools(self._el)[2]
        if chan:
            p = chan[0]
            return float(p.cols['n'][min(self._idx, p.num - 1)])
        return float(self._el.cols['_numChan'][self._idx])

    def _set_numChan(self, v):
        if not v >= 0.0 or v == float('inf'):
            raise FieldError(f'{self.path} (ConcChan).numChan: expected a finite number '
                             f'of channels >= 0, got {v}')
        self._el.cols['_numChan'][self._idx] = v

    def _get_flux(self):
        ins, outs, _chan = chan_pools(self._el)
        if len(ins) != 1 or len(outs) != 1:
            return 0.0
        c = []
        for p in (ins[0], outs[0]):
            h = p.handle(min(self._idx, p.num - 1))
            c.append(n_to_conc(h.n, h.volume))
        return float(self._el.cols['permeability'][self._idx]) * self._get_numChan() * \
            (c[1] - c[0])
