"""Enzymes: ``Enz`` (explicit enzyme-substrate complex) and ``MMenz``
(Michaelis-Menten).

``Enz`` models E + S <-> E.S -> E + P with rates k1 (E + S -> E.S), k2
(E.S -> E + S) and k3 = kcat (E.S -> E + P).  As in MOOSE, ``Km`` [mM] is the
primary parameter and k1 is subordinate to it: changing k2, k3 (kcat) or
ratio (= k2/k3) changes k1 and keeps Km; setting k1 or concK1 changes Km.
``MMenz`` has the rate kcat * E * S / (Km + S) with E the enzyme pool sending
``nOut`` to ``enzDest``.
"""

import math

from ..core.errors import FieldError
from ..core.fields import Field, Shared, Dest, Src
from ..core.units import NA
from .reac import Reactants, reactants, reaction_volume


class EnzBase(Reactants):
    """Base class of enzymes."""

    Km = Field(0.005, 'mM', 'Michaelis constant', stored=False)
    numKm = Field(0.0, '#', 'Michaelis constant in molecules (per voxel volume)', stored=False)
    kcat = Field(1.0, '1/s', 'Catalytic rate (k3)', stored=False)
    _Km = Field(0.005, hidden=True)
    _k3 = Field(1.0, hidden=True)

    ports = (Dest('enzDest', 'double', 'Enzyme amount [#] from the enzyme pool nOut'),)

    def _get_Km(self):
        return float(self._el.cols['_Km'][self._idx])

    def _set_Km(self, v):
        if not v > 0:
            raise FieldError(f'{self.path} ({self.className}).Km: expected > 0 [mM], got {v}')
        self._el.cols['_Km'][self._idx] = v

    def _num_scale(self):
        """(NA * voxel volume) ** numSubstrates: converts Km [mM^nsub] to #."""
        nsub = len(reactants(self._el, 'sub'))
        if nsub == 0:
            return 1.0
        try:
            return (NA * reaction_volume(self._el, self._idx, 'sub')) ** nsub
        except OverflowError:       # a float power raises where a product gives inf
            return math.inf

    def _get_numKm(self):
        return self._get_Km() * self._num_scale()

    def _set_numKm(self, v):
        self._set_Km(v / self._num_scale())

    def _get_kcat(self):
        return float(self._el.cols['_k3'][self._idx])

    def _set_kcat(self, v):
        if not v >= 0:
            raise FieldError(f'{self.path} ({self.className}).kcat: expected >= 0 [1/s], '
                             f'got {v}')
        self._el.cols['_k3'][self._idx] = v


class MMenz(EnzBase):
    """Michaelis-Menten enzyme: rate = kcat * E * S / (Km + S)."""


class Enz(EnzBase):
    """Mass-action enzyme with an explicit complex pool (connected to 'cplx')."""

    k1 = Field(0.0, '1/(#^nsub s)', 'E + S -> E.S rate per molecule (follows Km)',
               stored=False)
    concK1 = Field(1000.0, '(1/mM)^nsub/s', 'E + S -> E.S rate, concentration units',
                   stored=False)
    k2 = Field(4.0, '1/s', 'E.S -> E + S rate', stored=False)
    k3 = Field(1.0, '1/s', 'E.S -> E + P rate (= kcat)', stored=False)
    ratio = Field(4.0, '', 'k2 / k3', stored=False)
    _k2 = Field(4.0, hidden=True)

    ports = (Shared('enz', 'reac', 'reaction', 'The enzyme pool'),
             Shared('cplx', 'reac', 'reaction', 'The enzyme-substrate complex pool'))

    def _get_concK1(self):
        i = self._idx
        c = self._el.cols
        return float((c['_k2'][i] + c['_k3'][i]) / c['_Km'][i])

    def _set_concK1(self, v):
        if not (v > 0 and math.isfinite(v)):
            raise FieldError(f'{self.path} (Enz).concK1: expected a finite value > 0, got {v}')
        c, i = self._el.cols, self._idx
        c['_Km'][i] = (c['_k2'][i] + c['_k3'][i]) / v

    def _get_k1(self):
        return self._get_concK1() / self._num_scale()

    def _set_k1(self, v):
        if not v > 0:
            raise FieldError(f'{self.path} (Enz).k1: expected > 0, got {v}')
        k = v * self._num_scale()
        if not math.isfinite(k):
            raise FieldError(f'{self.path} (Enz).k1 = {v}: concK1 = k1 x (NA x volume)^nsub '
                             f'overflows ({len(reactants(self._el, "sub"))} substrates); check '
                             f'the number of sub messages and the volume')
        self._set_concK1(k)

    def _get_k2(self):
        return float(self._el.cols['_k2'][self._idx])

    def _set_k2(self, v):
        if not v >= 0:
            raise FieldError(f'{self.path} (Enz).k2: expected >= 0 [1/s], got {v}')
        self._el.cols['_k2'][self._idx] = v

    _get_k3 = EnzBase._get_kcat

    def _set_k3(self, v):
        # as MOOSE: a new kcat keeps the ratio k2/k3 and Km (k2 and k1 follow)
        c, i = self._el.cols, self._idx
        ratio = c['_k2'][i] / c['_k3'][i] if c['_k3'][i] else 4.0
        EnzBase._set_kcat(self, v)
        c['_k2'][i] = ratio * v

    _set_kcat = _set_k3

    def _get_ratio(self):
        c, i = self._el.cols, self._idx
        return float(c['_k2'][i] / c['_k3'][i]) if c['_k3'][i] else float('inf')

    def _set_ratio(self, v):
        if not v >= 0:
            raise FieldError(f'{self.path} (Enz).ratio: expected >= 0, got {v}')
        c, i = self._el.cols, self._idx
        c['_k2'][i] = v * c['_k3'][i]


del Src
