"""``Arith``: adds its inputs each tick and sends the sum.

What this module owns: MOOSE's Arith.  ``arg1`` and ``arg2`` keep the last
value received; ``arg3`` sums what it receives during a tick and is cleared
after the tick.  Each tick ``outputValue = arg1 + arg2 + arg3`` is sent on
``output``; ``arg1x2`` (a, b) sets ``outputValue = a·b`` until the next
tick.  ``reinit`` zeroes the arguments and the output (and sends nothing).

``function`` names the operation.  MOOSE 5.0.0 stores the string and always
adds; moosepy accepts only ``'sum'`` and raises :class:`FieldError` for any
other name rather than pretend to compute it.
"""

from .element import Neutral
from .errors import FieldError
from .fields import Field, LookupField, Src, Dest
from .interpol import send_value


class Arith(Neutral):
    """Adds its three arguments each tick: ``output = arg1 + arg2 + arg3``
    (arg1, arg2 hold their last value; arg3 sums the tick's inputs and is
    cleared after the tick)."""

    default_tick = 12

    function = Field('sum', '', "Operation: only 'sum' (what MOOSE 5.0.0 computes)",
                     type='string')
    outputValue = Field(0.0, '', 'Output computed at the last tick')
    arg1Value = Field(0.0, '', 'Value of arg1', ro=True, stored=False)
    anyValue = LookupField('unsigned int', 'double', '',
                           'output (0), arg1 (1), arg2 (2) or arg3 (3)')
    _a1 = Field(0.0, '', hidden=True)
    _a2 = Field(0.0, '', hidden=True)
    _a3 = Field(0.0, '', hidden=True)

    ports = (Src('output', 'double', 'Sends the output every tick'),
             Dest('arg1', 'double', 'Sets argument 1'),
             Dest('arg2', 'double', 'Sets argument 2'),
             Dest('arg3', 'double', 'Adds to argument 3 (cleared after each tick)'),
             Dest('arg1x2', 'double2', 'Sets the output to the product of the two values'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _set_function(self, v):
        if v != 'sum':
            raise FieldError(f"{self.path} (Arith).function: only 'sum' is supported, got "
                             f"{v!r} (MOOSE 5.0.0 stores the name but always adds)")
        self._el.cols['function'][self._idx] = v

    def _get_arg1Value(self):
        return float(self._el.cols['_a1'][self._idx])

    _SLOTS = ('outputValue', '_a1', '_a2', '_a3')

    def _slot(self, i):
        i = int(i)
        if not 0 <= i <= 3:
            raise FieldError(f'{self.path} (Arith).anyValue[{i}]: index must be 0 (output), '
                             f'1, 2 or 3 (arguments)')
        return self._SLOTS[i]

    def _lookup_anyValue(self, i):
        return float(self._el.cols[self._slot(i)][self._idx])

    def _lookupset_anyValue(self, i, v):
        self._el.cols[self._slot(i)][self._idx] = float(v)

    def _recv_arg1(self, v):
        self._el.cols['_a1'][self._idx] = v

    def _recv_arg2(self, v):
        self._el.cols['_a2'][self._idx] = v

    def _recv_arg3(self, v):
        self._el.cols['_a3'][self._idx] += v

    def _recv_arg1x2(self, v):
        self._el.cols['outputValue'][self._idx] = v[0] * v[1]

    @classmethod
    def _batch_role(cls, el):
        return 'python' if (el.msg_in or el.msg_out) else 'idle'

    @classmethod
    def _reinit(cls, el):
        for k in cls._SLOTS:
            el.cols[k][:] = 0.0

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        c['outputValue'][:] = c['_a1'] + c['_a2'] + c['_a3']
        for i in range(el.num):
            send_value(el, i, 'output', float(c['outputValue'][i]))
        c['_a3'][:] = 0.0


__all__ = ['Arith']
