"""``StimulusTable``: plays a table of values out through ``output``.

The table (``vector``) spans ``startTime`` .. ``stopTime``; at each tick the
output is the table linearly interpolated at the current position, which is
the simulated time (``stepSize == 0``) or advances by ``stepSize`` per tick.
Before ``startTime`` the output is the first entry, after ``stopTime`` the
last.  With ``doLoop`` the position wraps back by ``loopTime`` once it has
gone past ``startTime + loopTime``.  As in MOOSE, ``reinit`` sets the
position to 0 and sends the value there.

Used by kkit stimulus tables (``xtab`` in loop or once mode, driving a pool's
``setNInit``/``setConcInit``) and by electrical users (``output ->
injectMsg``/``setX``).  It runs in Python on its tick (0 by default, 11 in
kkit models), so a model holding one is stepped tick by tick.
"""

import math

import numpy as np

from .errors import FieldError
from .fields import Field, Src
from .table import TableBase


class StimulusTable(TableBase):
    """Table of values played out in time through ``output``."""

    default_tick = 0

    startTime = Field(0.0, 's', 'Time (or position) of the first table entry')
    stopTime = Field(1.0, 's', 'Time (or position) of the last table entry', stored=False)
    loopTime = Field(1.0, 's', 'Period of the loop when doLoop is set', stored=False)
    stepSize = Field(0.0, 's', 'Advance of the position per tick; 0: the position is the '
                     'simulated time')
    stepPosition = Field(0.0, 's', 'Current position in the table')
    doLoop = Field(False, '', 'Wrap around after startTime + loopTime', type='bool',
                   stored=False)
    outputValue = Field(0.0, '', 'Last value sent (unit of the table)', ro=True)
    _stop = Field(1.0, hidden=True)
    _loop = Field(1.0, hidden=True)
    _doLoop = Field(False, type='bool', hidden=True)

    ports = (Src('output', 'double', 'Sends the current table value to a set<Field> port'),)

    # --- fields with MOOSE's couplings ----------------------------------------
    def _get_stopTime(self):
        return float(self._el.cols['_stop'][self._idx])

    def _set_stopTime(self, v):
        c, i = self._el.cols, self._idx
        # as MOOSE: a loop spanning the whole table keeps spanning it
        if c['_doLoop'][i] and math.isclose(c['_loop'][i], c['_stop'][i] - c['startTime'][i]):
            c['_loop'][i] = v - c['startTime'][i]
        c['_stop'][i] = v

    def _get_loopTime(self):
        return float(self._el.cols['_loop'][self._idx])

    def _set_loopTime(self, v):
        if not v > 0:
            raise FieldError(f'{self.path} (StimulusTable).loopTime: expected > 0 [s], got {v}')
        self._el.cols['_loop'][self._idx] = v

    def _get_doLoop(self):
        return bool(self._el.cols['_doLoop'][self._idx])

    def _set_doLoop(self, v):
        c, i = self._el.cols, self._idx
        c['_doLoop'][i] = bool(v)
        if c['_loop'][i] == 0:
            c['_loop'][i] = c['_stop'][i] - c['startTime'][i]

    # --- evaluation -------------------------------------------------------------
    def lookup(self, position):
        """Table value at *position* (linear interpolation, clamped)."""
        vec = self.vector
        if len(vec) == 0:
            return 0.0
        c, i = self._el.cols, self._idx
        start, stop = float(c['startTime'][i]), float(c['_stop'][i])
        if position <= start or len(vec) == 1 or stop <= start:
            return float(vec[0]) if position <= start or stop <= start else float(vec[-1])
        if position >= stop:
            return float(vec[-1])
        x = (position - start) / (stop - start) * (len(vec) - 1)
        k = min(int(math.floor(x)), len(vec) - 2)
        f = x - k
        return float(vec[k] * (1.0 - f) + vec[k + 1] * f)

    def _position(self):
        c, i = self._el.cols, self._idx
        pos = float(c['stepPosition'][i])
        start, loop = float(c['startTime'][i]), float(c['_loop'][i])
        if c['_doLoop'][i] and loop > 0 and pos > start + loop:
            pos -= loop * math.floor((pos - start) / loop)
        return pos

    # --- clock interface --------------------------------------------------------
    @classmethod
    def _batch_role(cls, el):
        return 'python'

    @classmethod
    def _reinit(cls, el):
        el.cols['stepPosition'][:] = 0.0
        for i in range(el.num):
            cls._emit(el, i)

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        for i in range(el.num):
            if c['stepSize'][i] > 0:
                c['stepPosition'][i] += c['stepSize'][i]
            else:
                c['stepPosition'][i] = t
            cls._emit(el, i)

    @classmethod
    def _emit(cls, el, i):
        from .msg import linked_indices
        h = el.handle(i)
        val = h.lookup(h._position())
        el.cols['outputValue'][i] = val
        for o, j, port in linked_indices(el, i, 'output'):
            _send(o, j, port, val)


def _send(el, idx, port, value):
    """Deliver *value* to a ``set<Field>`` port (or a class's ``_recv_<port>``)."""
    h = el.handle(idx)
    if port.startswith('set') and port[3:4].isupper():
        name = port[3].lower() + port[4:]
        if name not in el.cls._fields:
            name = port[3:]
        setattr(h, name, value)
        return
    handler = getattr(el.cls, '_recv_' + port, None)
    if handler is None:
        raise FieldError(f'{el.path}: cannot deliver a StimulusTable output to port {port!r}')
    handler(h, value)


del np
