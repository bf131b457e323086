"""Passive membrane elements: ``Leakage`` (a constant conductance) and
``GapJunction`` (an ohmic coupling between two compartments).

What this module owns: their step on tick 4 (MOOSE's channel tick).  Both
read the Vm of their compartments and add ``Gk``, ``Ek`` to the
compartment's channel sums, which the compartment uses on its next step
(exponential Euler for unsolved compartments; the HSolve's external
current for solved ones), exactly as MOOSE's messages do: a Leakage sends
its Gk, Ek at reinit too (it acts from the first step), a GapJunction
only from its first step on (it acts from the second step).

Next to an HSolve: the HSolve kernel does not take these objects over.
They are stepped in Python on their tick beside it, read Vm from the
solver's state and add their conductances to the solver's external
``_chA``/``_chB`` sums (the ``channel`` path MgBlock uses), so they work
on solved compartments; the run then goes step by step (one Python call
per object per step).  Measured: a 100-compartment cable under HSolve runs
4000 steps in 0.016 s alone, 0.28 s with one Leakage and 0.37 s with one
GapJunction to another compartment (about 65-90 us per step, nearly all
of it the step-by-step loop).  The results equal pymoose's to rounding
(tests/electrical/test_passive.py).
"""

import math

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, Src, Dest, Shared
from ..core.msg import links
from .channels import ChanBase
from .compartment import CompartmentBase

class Leakage(ChanBase):
    """Passive leak channel: ``Gk = Gbar·modulation`` [S] toward ``Ek`` [V],
    ``Ik = Gk (Ek - Vm)`` [A] (positive inward).  Connect its ``channel`` to
    a compartment's ``channel``."""

    @classmethod
    def _batch_role(cls, el):
        return 'python' if (links(el, 'channel') or links(el, 'IkOut')) else 'idle'

    def _set_Gbar(self, v):
        if not math.isfinite(v):
            raise FieldError(f'{self.path} (Leakage).Gbar: expected a finite value [S], '
                             f'got {v}')
        c, i = self._el.cols, self._idx
        c['Gbar'][i] = v
        c['Gk'][i] = v * c['modulation'][i]          # as MOOSE: Gk follows at once

    @classmethod
    def _step(cls, el, comps):
        c = el.cols
        vm = cls._read_vm(el, el.data['comps'])
        gk = c['Gbar'] * c['modulation']
        c['Gk'][:] = gk
        cls._send_current(el, comps, gk, vm)

    @classmethod
    def _reinit(cls, el):
        comps = el.data['comps'] = cls._compartments(el)
        # As MOOSE, Gk, Ek go out at reinit too: an unsolved compartment
        # (tick 3, before this tick 4) uses them for its first step.  An
        # HSolve (tick 6, after) drops what its compartments received
        # during the reinit, as MOOSE's does, and takes this tick's values
        # of each step.
        cls._step(el, comps)

    @classmethod
    def _process(cls, el, t, dt):
        if 'comps' not in el.data:
            el.data['comps'] = cls._compartments(el)
        cls._step(el, el.data['comps'])


class GapJunction(Neutral):
    """Gap junction: a conductance ``Gk`` [S] between two compartments.
    ``channel1`` joins compartment 1's ``channel``, ``channel2`` compartment
    2's; each step compartment 1 gets (Gk, Ek = Vm2) and compartment 2 gets
    (Gk, Ek = Vm1), i.e. a current Gk (Vm2 - Vm1) into 1 and its negative
    into 2, with both Vm read after the compartments' step (so, as MOOSE,
    the coupling is explicit: it enters their next step)."""

    default_tick = 4

    Gk = Field(1e-9, 'S', 'Conductance of the junction (>= 0)')
    _V1 = Field(0.0, 'V', hidden=True)
    _V2 = Field(0.0, 'V', hidden=True)

    ports = (Shared('channel1', 'channel', 'chan',
                    'Joins compartment 1 (its "channel"): Vm1 in; Gk, Vm2 out'),
             Shared('channel2', 'channel', 'chan',
                    'Joins compartment 2 (its "channel"): Vm2 in; Gk, Vm1 out'),
             Src('channel1Out', 'double2', 'Sends Gk [S] and Vm2 [V] to compartment 1 '
                 '(part of channel1)'),
             Src('channel2Out', 'double2', 'Sends Gk [S] and Vm1 [V] to compartment 2 '
                 '(part of channel2)'),
             Dest('Vm1', 'double', 'Receives Vm [V] of compartment 1 (part of channel1)'),
             Dest('Vm2', 'double', 'Receives Vm [V] of compartment 2 (part of channel2)'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _set_Gk(self, v):
        if not (math.isfinite(v) and v >= 0):
            raise FieldError(f'{self.path} (GapJunction).Gk: expected a finite value >= 0 S, '
                             f'got {v}')
        self._el.cols['Gk'][self._idx] = v

    def _recv_Vm1(self, v):
        self._el.cols['_V1'][self._idx] = v

    def _recv_Vm2(self, v):
        self._el.cols['_V2'][self._idx] = v

    @staticmethod
    def _ends(el, port):
        out = []
        for other, oport, m, fwd in links(el, port):
            if not issubclass(other.cls, CompartmentBase):
                continue
            a, b = m.pairs()
            mine, theirs = (a, b) if fwd else (b, a)
            out.append((other, np.asarray(mine, dtype=np.int64),
                        np.asarray(theirs, dtype=np.int64)))
        return out

    @classmethod
    def _batch_role(cls, el):
        return 'python' if (links(el, 'channel1') or links(el, 'channel2')) else 'idle'

    @classmethod
    def _reinit(cls, el):
        el.cols['_V1'][:] = 0.0
        el.cols['_V2'][:] = 0.0
        el.data['ends'] = (cls._ends(el, 'channel1'), cls._ends(el, 'channel2'))

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        ends = el.data.get('ends')
        if ends is None:
            cls._reinit(el)
            ends = el.data['ends']
        # Vm of each side, as the compartments sent it after their step
        for (side, col) in ((ends[0], '_V1'), (ends[1], '_V2')):
            for comp, mine, theirs in side:
                c[col][mine] = comp.cols['Vm'][theirs]
        gk = c['Gk']
        for side, other in ((ends[0], c['_V2']), (ends[1], c['_V1'])):
            for comp, mine, theirs in side:
                np.add.at(comp.cols['_chA'], theirs, gk[mine] * other[mine])
                np.add.at(comp.cols['_chB'], theirs, gk[mine])


__all__ = ['Leakage', 'GapJunction']
