"""Reactions: ``Reac`` (mass action, any order, repeated substrates).

As in MOOSE, the concentration-unit constants (``Kf``, ``Kb`` in
(1/mM)^(order-1)/s) are what is stored; ``numKf``/``numKb`` (per molecule)
are converted from them with the reaction's order (its number of substrate
or product messages, counting repeats) and the voxel volume of its first
reactant, when read or set.  A change of compartment volume keeps Kf.
"""

import math

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, Shared, Dest
from ..core.msg import links
from ..core.units import NA
from .mesh import voxel_volumes


def reactants(el, port):
    """Pool elements attached to *port* ('sub'/'prd'/...), with repeats."""
    from .pool import PoolBase
    return [o for o, _p, _m, _f in links(el, port) if issubclass(o.cls, PoolBase)]


def _vol_at(obj, idx):
    """Voxel volume [m^3] of *obj*'s compartment at entry idx (entry 0 past
    its end)."""
    v = voxel_volumes(obj)
    return float(v[idx] if idx < len(v) else v[0])


def reaction_volume(el, idx, port='sub'):
    """Voxel volume [m^3] used to convert rates: the first reactant's, else
    the reaction's own compartment's."""
    pools = reactants(el, port)
    return _vol_at(pools[0] if pools else el, idx)


def _rate_fields(direction, port):
    """Getters/setters of (Kx, numKx).  As in MOOSE the concentration-unit
    constant is stored; numKx is converted with the order and volume at the
    moment it is read or set."""
    hid = '_k' + direction

    def get_conc(self):
        return float(self._el.cols[hid][self._idx])

    def conv(self):
        """MOOSE's factor K / numK: the product of NA * volume over the
        reactants of this direction, divided by NA * volume of the first
        substrate ((NA V)^(order-1) when all share one volume; across
        compartments, numKf = Kf / (NA V_2 ... NA V_n) and
        numKb = Kb * NA V_sub1 / (NA V_prd1 ... NA V_prdm))."""
        el, i = self._el, self._idx
        pools = reactants(el, port)
        if not pools:
            return 1.0
        vols = [_vol_at(p, i) for p in pools]
        if len(set(vols)) == 1 and port == 'sub':
            try:
                return (NA * vols[0]) ** (len(vols) - 1)
            except OverflowError:       # a float power raises where a product gives inf
                return math.inf
        subs = pools if port == 'sub' else reactants(el, 'sub')
        ref = _vol_at(subs[0], i) if subs else vols[0]
        f = 1.0
        for v in vols:
            f *= NA * v
        return f / (NA * ref)

    def get_num(self):
        return get_conc(self) / conv(self)

    def check(self, name, v):
        if not v >= 0.0 or v == float('inf'):
            raise FieldError(f'{self.path} ({self.className}).{name}: expected a finite '
                             f'rate >= 0, got {v}')

    def set_conc(self, v):
        check(self, 'K' + direction, v)
        self._el.cols[hid][self._idx] = v

    def set_num(self, v):
        check(self, 'numK' + direction, v)
        k = v * conv(self) if v else 0.0
        if not math.isfinite(k):
            raise FieldError(f'{self.path} ({self.className}).numK{direction} = {v}: its '
                             f'concentration-unit rate K{direction} = numK{direction} x '
                             f'(NA x volume) per reactant beyond the first overflows '
                             f'({len(reactants(self._el, port))} reactants); check the '
                             f'number of {port} messages and the volumes')
        self._el.cols[hid][self._idx] = k
    return get_conc, get_num, set_conc, set_num


class Reactants(Neutral):
    """What reactions and enzymes share: substrate and product ports and
    their counts.  Internal: not a MOOSE class, not listed in /classes."""

    _internal = True

    numSubstrates = Field(0, '', 'Number of substrate messages (with repeats)',
                          type='unsigned int', ro=True, stored=False)
    numProducts = Field(0, '', 'Number of product messages (with repeats)',
                        type='unsigned int', ro=True, stored=False)
    compartment = Field(None, '', 'Chemical compartment (nearest ancestor mesh) holding '
                        "the reaction; the root '/' when there is none (as MOOSE)",
                        type='object', ro=True, stored=False)

    ports = (Shared('sub', 'reac', 'reaction', 'Substrate (connect once per molecule)'),
             Shared('prd', 'reac', 'reaction', 'Product (connect once per molecule)'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _get_compartment(self):
        from .mesh import compartment_of
        from ..core.element import root
        c = compartment_of(self._el)
        return root().handle(0) if c is None else c.handle(0)

    def _get_numSubstrates(self):
        return len(reactants(self._el, 'sub'))

    def _get_numProducts(self):
        return len(reactants(self._el, 'prd'))


class ReacBase(Reactants):
    """Base of mass-action reactions."""

    Kf = Field(0.1, '(1/mM)^(order-1)/s', 'Forward rate constant, concentration units',
               stored=False)
    Kb = Field(0.2, '(1/mM)^(order-1)/s', 'Backward rate constant, concentration units',
               stored=False)
    numKf = Field(0.1, '1/(#^(order-1) s)', 'Forward rate constant per molecule', stored=False)
    numKb = Field(0.2, '1/(#^(order-1) s)', 'Backward rate constant per molecule',
                  stored=False)
    _kf = Field(0.1, hidden=True)
    _kb = Field(0.2, hidden=True)


for _d, _p in (('f', 'sub'), ('b', 'prd')):
    _g, _gn, _s, _sn = _rate_fields(_d, _p)
    ReacBase._fields['K' + _d].getter, ReacBase._fields['K' + _d].setter = _g, _s
    ReacBase._fields['numK' + _d].getter, ReacBase._fields['numK' + _d].setter = _gn, _sn


class Reac(ReacBase):
    """Mass-action reaction sub... <-> prd... with rates Kf and Kb."""
