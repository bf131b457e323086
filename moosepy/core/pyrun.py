"""``PyRun``: runs Python statements from inside a simulation (MOOSE's
class of that name).

What this module owns: MOOSE 5.0's PyRun.  At ``reinit`` the object
compiles ``initString`` and ``runString`` (later edits take effect at the
next reinit, as in MOOSE), runs ``initString`` once, and from then on runs
``runString``:

* at each tick of its clock (default tick 30, dt 1 s) when ``mode`` is 0
  (the default) or 2;
* when a value arrives on ``trigger`` when ``mode`` is 1 or 2; the value is
  first stored in the variable named by ``inputVar`` (``input_``).

Code runs with the ``__main__`` module's dictionary as globals and a
namespace of its own as locals: names the statements assign stay in that
namespace (kept across reinits), and names of the script (``moose``, its
objects) are visible.  After each run, if the namespace holds the variable
named by ``outputVar`` (``output``) its value is sent on ``output`` and read
by ``outputValue``; reading ``outputValue`` before the statements have set
it raises :class:`PyRunOutputError` (a ``RuntimeError``, as MOOSE raises).
The ``run`` destination runs a given string once in the same namespace and
sends the output.  An exception in the statements propagates out of
``start``/``trigger``, as pymoose 5.0.0 lets it.

Where moosepy differs: with ``evalOnReinit`` set, MOOSE 5.0.0 runs
``initString`` a second time at reinit, although its documentation says the
flag runs ``runString``; moosepy does what the documentation says (runs
``runString`` once after ``initString``, sending nothing at reinit).
"""

import sys

from .element import Neutral
from .errors import FieldError, MooseError
from .fields import Field, Src, Dest
from .interpol import send_value


class PyRunOutputError(MooseError, RuntimeError):
    """``outputValue`` read before the statements set the output variable."""


class PyRun(Neutral):
    """Runs ``runString`` at its tick or on ``trigger`` (see ``mode``),
    ``initString`` at reinit; sends the ``outputVar`` variable on
    ``output``."""

    default_tick = 30

    runString = Field('', '', 'Statements run at each tick and/or trigger (see mode)',
                      type='string')
    initString = Field('', '', 'Statements run at reinit', type='string')
    mode = Field(0, '', 'When runString runs: 0 at each tick only, 1 on trigger only, '
                        '2 both', type='int')
    inputVar = Field('input_', '', 'Name of the variable that receives a trigger value',
                     type='string')
    outputVar = Field('output', '', 'Name of the variable sent on output after each run',
                      type='string')
    evalOnReinit = Field(False, '', 'Also run runString once at reinit', type='bool')
    outputValue = Field(0.0, '', 'Value of the output variable (outputVar)', ro=True,
                        stored=False)
    _ns = Field(None, '', hidden=True, type='object')        # locals of the statements
    _code = Field(None, '', hidden=True, type='object')      # compiled runString

    ports = (Src('output', 'double', 'Sends the output variable after each run'),
             Dest('trigger', 'double', 'Stores the value in inputVar and runs runString '
                                       '(mode 1 or 2)'),
             Dest('run', 'string', 'Runs the given statements once in the namespace'),
             Dest('process', 'proc', 'Handles a clock tick: runs runString (mode 0 or 2)'),
             Dest('reinit', 'proc', 'Handles reinit: compiles, runs initString'))

    def _set_mode(self, v):
        if v not in (0, 1, 2):
            raise FieldError(f'{self.path} (PyRun).mode: expected 0 (tick), 1 (trigger) '
                             f'or 2 (both), got {v!r}')
        self._el.cols['mode'][self._idx] = v

    # --- the namespace -------------------------------------------------------
    @staticmethod
    def _globals():
        main = sys.modules.get('__main__')
        return main.__dict__ if main is not None else {}

    def _namespace(self):
        col = self._el.cols['_ns']
        if col[self._idx] is None:
            col[self._idx] = {}
        return col[self._idx]

    def _output(self):
        ns = self._namespace()
        name = self._el.cols['outputVar'][self._idx]
        if name not in ns:
            raise PyRunOutputError(f'{self.path} (PyRun).outputValue: output variable '
                                   f'{name!r} (outputVar) not set in the Python statements')
        try:
            return float(ns[name])
        except (TypeError, ValueError):
            raise PyRunOutputError(f'{self.path} (PyRun).outputValue: output variable '
                                   f'{name!r} holds {ns[name]!r}, not a number') from None

    def _get_outputValue(self):
        return self._output()

    def _exec(self, code, send=True):
        ns = self._namespace()
        exec(code, self._globals(), ns)
        if send and self._el.cols['outputVar'][self._idx] in ns:
            send_value(self._el, self._idx, 'output', self._output())

    def _compile(self, field):
        src = self._el.cols[field][self._idx]
        try:
            return compile(src, f'{self.path}.{field}', 'exec')
        except SyntaxError as e:
            raise FieldError(f'{self.path} (PyRun).{field}: not valid Python: {e.msg} '
                             f'(line {e.lineno})') from None

    # --- messages ------------------------------------------------------------
    def _recv_trigger(self, v):
        code = self._el.cols['_code'][self._idx]
        if code is None or self._el.cols['mode'][self._idx] == 0:
            return
        self._namespace()[self._el.cols['inputVar'][self._idx]] = float(v)
        self._exec(code)

    def _recv_run(self, statements):
        if not isinstance(statements, str):
            raise FieldError(f'{self.path} (PyRun).run: expected a string of statements, '
                             f'got {statements!r}')
        self._exec(compile(statements, f'{self.path}.run', 'exec'))

    @classmethod
    def _batch_role(cls, el):
        return 'python'

    @classmethod
    def _reinit(cls, el):
        for i in range(el.num):
            h = el.handle(i)
            init = h._compile('initString')
            code = h._compile('runString')
            el.cols['_code'][i] = code
            h._exec(init, send=False)
            if el.cols['evalOnReinit'][i]:
                h._exec(code, send=False)

    @classmethod
    def _process(cls, el, t, dt):
        for i in range(el.num):
            code = el.cols['_code'][i]
            if code is not None and el.cols['mode'][i] != 1:
                el.handle(i)._exec(code)


__all__ = ['PyRun', 'PyRunOutputError']
