"""``Example`` and ``Ex``: MOOSE's two example classes for developers
(how a class declares fields, ports and a process step), kept so that
every class of MOOSE 5.0's catalogue exists.

``Example`` sends ``x + y`` on ``output`` every step (MOOSE also prints
it to stdout; moosepy's library does not print).  ``Ex`` holds ``n``,
``x`` and ten ``value`` entries (all 0) that each step adds 1 to; its
reinit empties them (as MOOSE: reading ``value[i]`` after a reinit is then
an error), and it never sends on ``output``.  Both on tick 0 (MOOSE's
fallback for classes missing from its default-tick table).
"""

import numpy as np

from .element import Neutral
from .errors import FieldError
from .fields import Field, LookupField, Src, Dest


class Example(Neutral):
    """Developer example: ``output`` = x + y every step."""

    default_tick = 0

    x = Field(0.0, '', 'First input')
    y = Field(0.0, '', 'Second input')

    fieldNeighbors = LookupField('string', 'vector', doc='Objects connected through a port')
    ports = (Src('output', 'double', 'Sends x + y every step'),
             Dest('handleX', 'double', 'Sets x'),
             Dest('handleY', 'double', 'Sets y'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _recv_handleX(self, v):
        self._el.cols['x'][self._idx] = v

    def _recv_handleY(self, v):
        self._el.cols['y'][self._idx] = v

    def _lookup_fieldNeighbors(self, port):
        return self.neighbors[port]

    @classmethod
    def _reinit(cls, el):
        pass

    @classmethod
    def _process(cls, el, t, dt):
        from ..electrical.compartment import send_values
        send_values(el, 'output', el.cols['x'] + el.cols['y'])


class Ex(Neutral):
    """Developer example: ``n``, ``x`` and a vector of ``value`` s that
    each step increments."""

    default_tick = 0

    n = Field(0, '', 'An integer', type='int')
    x = Field(0.0, '', 'A number')
    value = LookupField('unsigned int', 'double', doc='Ten values at creation (0), each '
                        'step adds 1; emptied at reinit')
    _values = Field(None, '', hidden=True, type='object')

    ports = (Src('output', 'double', 'Declared; nothing is sent on it (as MOOSE)'),
             Dest('handleX', 'double', 'Sets x'),
             Dest('handleN', 'int', 'Sets n'),
             Dest('handleValues', 'uint,double', 'Sets value[index]'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def __init_obj__(self):
        c = self._el.cols['_values']
        for i in range(self._el.num):
            c[i] = np.zeros(10)

    def _vals(self):
        return self._el.cols['_values'][self._idx]

    def _check(self, i):
        v = self._vals()
        if not 0 <= int(i) < len(v):
            raise FieldError(f'{self.path} (Ex).value[{i}]: index out of range; valid: '
                             f'0..{len(v) - 1}' if len(v) else
                             f'{self.path} (Ex).value[{i}]: no values (reinit empties them)')
        return v

    def _lookup_value(self, i):
        return float(self._check(i)[int(i)])

    def _lookupset_value(self, i, v):
        self._check(i)[int(i)] = float(v)

    def _recv_handleX(self, v):
        self._el.cols['x'][self._idx] = v

    def _recv_handleN(self, v):
        self._el.cols['n'][self._idx] = int(v)

    def _recv_handleValues(self, v):
        self._lookupset_value(v[0], v[1])

    @classmethod
    def _reinit(cls, el):
        c = el.cols['_values']
        for i in range(el.num):
            c[i] = np.zeros(0)

    @classmethod
    def _process(cls, el, t, dt):
        for v in el.cols['_values']:
            v += 1.0
