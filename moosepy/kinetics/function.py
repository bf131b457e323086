"""``Function``: an arithmetic expression of inputs ``x0..xn`` and time ``t``.

Inputs arrive on the field element ``x`` (``pool 'nOut' -> func.x[i]
'input'``, or the function's ``requestOut -> get<Field>``).  The value goes
out through ``valueOut`` (to ``setN``, ``setConc``, ``setNumKf``, ...) and the
time derivative of the expression through ``rateOut`` (to a pool's
``increment``).  A Function whose inputs and outputs all lie in a Stoich's
model is compiled into that Ksolve (its expression runs inside the ODE
right-hand side); otherwise it runs on its own tick (12) in Python.
"""

import numpy as np

from ..core.element import Element, Neutral
from ..core import structure
from ..core.errors import FieldError, SolverError
from ..core.fields import Field, LookupField, FieldElementField, Src, Dest, registry
from ..core.msg import linked_indices, links
from . import expr as _expr


class Variable(Neutral):
    """An input slot of a Function (entries of ``Function.x``)."""

    value = Field(0.0, '', 'Current input value (unit of the source field)')
    ports = (Dest('input', 'double', 'Receives the input value'),)

    def _recv_input(self, v):
        # a value sent by a Python-stepped source (StimulusTable, PulseGen)
        self.value = v


class Function(Neutral):
    """General function of inputs x0..xn and time t, in MOOSE/ExprTk syntax
    (see :mod:`moosepy.kinetics.expr`)."""

    default_tick = 12

    expr = Field('0', '', 'Expression text', type='string', stored=False)
    value = Field(0.0, '', 'Result of the last evaluation', ro=True)
    evalResult = Field(0.0, '', 'Alias of value', ro=True, stored=False)
    derivative = Field(0.0, '', 'Time derivative of the result [unit/s]', ro=True)
    rate = Field(0.0, '', 'Alias of derivative [unit/s]', ro=True, stored=False)
    mode = Field(1, '', 'Output mode: 1 value, 2 derivative, 3 rate', type='unsigned int')
    numVars = Field(0, '', 'Number of x inputs', type='unsigned int', stored=False)
    useTrigger = Field(False, '', 'Evaluate only when triggered', type='bool')
    doEvalAtReinit = Field(False, '', 'Evaluate and send the value at reinit', type='bool')
    allowUnknownVariable = Field(False, '', 'Accept unknown names as constants (value 0, '
                                 'settable with c[name])', type='bool')
    independent = Field('t', '', 'Name of the independent variable', type='string')
    _expr = Field('0', type='string', hidden=True)

    c = LookupField('string', 'double', '', 'Named constants used by the expression')
    xindex = LookupField('string', 'unsigned int', '', 'Index of a variable by name')
    x = FieldElementField('Variable', 'Input variables x0..xn')

    ports = (Src('valueOut', 'double', 'Sends the value'),
             Src('derivativeOut', 'double', 'Sends the time derivative of the value'),
             Src('rateOut', 'double', 'Sends the derivative (for pool increment)'),
             Src('requestOut', 'request', 'Pulls input values from get<Field> ports'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def __init_obj__(self):
        el = self._el
        xe = Element('x', el, registry['Variable'], 0)
        xe.is_field_element = True
        el.data['consts'] = [dict() for _ in range(el.num)]
        el.data['prog'] = [None] * el.num
        el.data['last'] = [None] * el.num

    @classmethod
    def _on_copy(cls, new, old):
        new.data['consts'] = [dict(d) for d in old.data['consts']] * (new.num // old.num)
        new.data['prog'] = list(old.data['prog']) * (new.num // old.num)
        new.data['last'] = [None] * new.num

    # --- expression ---------------------------------------------------------
    def _program(self):
        prog = self._el.data['prog'][self._idx]
        if prog is None:
            prog = self._compile(self._el.cols['_expr'][self._idx])
        return prog

    def _compile(self, text):
        consts = self._el.data['consts'][self._idx]
        prog = _expr.parse(text, f'{self.path} (Function).expr', consts,
                           bool(self._el.cols['allowUnknownVariable'][self._idx]))
        for name in prog.cnames:
            consts.setdefault(name, 0.0)
        return prog

    def _get_expr(self):
        return self._el.cols['_expr'][self._idx]

    def _set_expr(self, text):
        prog = self._compile(text)          # raises before anything changes
        self._el.cols['_expr'][self._idx] = text
        self._el.data['prog'][self._idx] = prog
        structure.changed()       # a solver's compiled programs have another shape
        xe = self._el.children['x']
        if prog.nvars > xe.num:
            xe.resize(prog.nvars)

    def _get_numVars(self):
        return self._el.children['x'].num

    def _set_numVars(self, v):
        self._el.children['x'].resize(v)

    def _get_evalResult(self):
        return float(self._el.cols['value'][self._idx])

    def _get_rate(self):
        return float(self._el.cols['derivative'][self._idx])

    def _lookup_c(self, name):
        consts = self._el.data['consts'][self._idx]
        if name not in consts:
            raise FieldError(f"{self.path}.c: no constant '{name}'; defined: "
                             f"{', '.join(sorted(consts)) or 'none'}")
        return consts[name]

    def _lookupset_c(self, name, value):
        self._el.data['consts'][self._idx][str(name)] = float(value)
        self._el.data['prog'][self._idx] = None   # re-read constants on next use
        self._el.notify('c')

    def _lookup_xindex(self, name):
        if isinstance(name, str) and name.startswith('x') and name[1:].isdigit():
            return int(name[1:])
        raise FieldError(f"{self.path}.xindex: no variable '{name}'")

    def evaluate(self, xvals=None, t=0.0):
        """Evaluate the expression for the given inputs (default: current x)."""
        if xvals is None:
            xvals = self._el.children['x'].cols['value']
        return _expr.evaluate(self._program(), xvals, t)

    # --- wiring helpers used by the Stoich and the Python process -----------
    def input_sources(self):
        """For each x index: list of (element, index, field) feeding it."""
        out = []
        xe = self._el.children['x']
        for i in range(xe.num):
            srcs = []
            for o, j, port in linked_indices(xe, i, 'input'):
                srcs.append((o, j, _out_field(o, port)))
            out.append(srcs)
        # requestOut -> get<Field>: assigned to x in connection order
        k = 0
        for o, j, port in linked_indices(self._el, self._idx, 'requestOut'):
            while k < len(out) and out[k]:
                k += 1
            if k >= len(out):
                out.append([])
            out[k].append((o, j, port[3].lower() + port[4:]))
            k += 1
        return out

    def output_targets(self, port='valueOut'):
        return [(o, j, p) for o, j, p in linked_indices(self._el, self._idx, port)]

    # --- Python-mode clock interface ----------------------------------------
    @classmethod
    def _batch_role(cls, el):
        return 'idle' if el.data.get('absorbed') or _hsolved(el) else 'python'

    @classmethod
    def _reinit(cls, el):
        el.data['last'] = [None] * el.num
        el.cols['value'][:] = 0.0
        el.cols['derivative'][:] = 0.0
        if el.data.get('absorbed'):
            return
        for i in range(el.num):
            h = el.handle(i)
            if h.doEvalAtReinit:
                cls._eval_and_send(el, i, 0.0, 0.0)
                continue
            # as MOOSE: reinit sends 0 on the outputs of its mode (a pool
            # set by valueOut reads 0 until the first step).  A Function a
            # Stoich takes over is off the clock in MOOSE (no such send);
            # here it is taken over only at the solver's reinit, later
            if _under_stoich(el):
                break
            mode = int(el.cols['mode'][i])
            for port, modes in (('valueOut', (0, 1)), ('derivativeOut', (0, 2)),
                                ('rateOut', (0, 3))):
                if mode in modes:
                    for o, j, p in h.output_targets(port):
                        _send(o, j, p, 0.0, 0.0)

    @classmethod
    def _process(cls, el, t, dt):
        if el.data.get('absorbed') or _hsolved(el):
            return
        for i in range(el.num):
            cls._eval_and_send(el, i, t, dt)

    @classmethod
    def _eval_and_send(cls, el, i, t, dt):
        h = el.handle(i)
        srcs = h.input_sources()
        xe = el.children['x']
        xv = xe.cols['value'].copy() if xe.num else np.zeros(0)
        if len(xv) < len(srcs):
            xv = np.resize(xv, len(srcs))
        for k, s in enumerate(srcs):
            if s:
                o, j, f = s[-1]
                xv[k] = float(getattr(o.handle(j), f))
        if xe.num:
            xe.cols['value'][:] = xv[:xe.num]
        val = _expr.evaluate(h._program(), xv, t)
        last = el.data['last'][i]
        deriv = 0.0 if last is None or dt <= 0 else (val - last) / dt
        el.data['last'][i] = val
        el.cols['value'][i] = val
        el.cols['derivative'][i] = deriv
        me = (el.path if el.num == 1 else f'{el.path}[{i}]', h.expr)
        try:
            for o, j, port in h.output_targets('valueOut'):
                _send(o, j, port, _counted(me, o, j, port, val, t), dt)
            for o, j, port in h.output_targets('rateOut'):
                v = deriv if port != 'increment' else val
                _send(o, j, port, _counted(me, o, j, port, v, t), dt)
            for o, j, port in h.output_targets('derivativeOut'):
                _send(o, j, port, _counted(me, o, j, port, deriv, t), dt)
        except FieldError as e:
            # a value a pool refuses (below zero): the run stops here, named
            raise SolverError(f'{me[0]} (Function) at t = {t:g} s: {e}') from None


def _counted(me, o, j, port, v, t):
    """*v* on its way to port *port* of entry j of *o*: a NaN or infinite
    value sent to a pool (a count of molecules) raises instead of being
    clipped to 0."""
    if v - v != 0.0 and 'nInit' in o.cls._fields:
        name = o.path if o.num == 1 else f'{o.path}[{j}]'
        raise SolverError(f'{me[0]} (Function): its expression gave {v!r} at t = {t:g} s, '
                          f'sent to {name}.{port}; a count of molecules must stay finite '
                          f'(check the expression {me[1]!r} and its inputs)')
    return v


def _hsolved(el):
    """True when an HSolve evaluates *el* inside its kernel (a Function of
    t into solved fields; see electrical.hsolve_functions)."""
    hs = el.data.get('hsolve')
    return hs is not None and bool(el.data.get('hsolve_fn')) and hs.cls.absorbed(el)


def _under_stoich(el):
    """True when a Stoich with a reaction system sits beside an ancestor
    of *el* (the usual mesh/stoich layout): its solver will take *el* over."""
    e = el.parent
    while e is not None:
        for c in e.children.values():
            if c.cls.__name__ == 'Stoich' and c.alive and \
                    c.cols.get('reacSystemPath') is not None and c.cols['reacSystemPath'][0]:
                return True
        e = e.parent
    return False


def _out_field(el, port):
    """Field that a source port sends (nOut -> n, concOut -> conc, ...)."""
    if port == 'nOut':
        return 'n'
    if port == 'output' and 'outputValue' in el.cls._fields:
        return 'outputValue'            # StimulusTable, PulseGen, DiffAmp, ...
    if port.endswith('Out'):
        base = port[:-3]
        if base in el.cls._fields:
            return base
        if base == 'value' or base == 'output':
            return 'value' if 'value' in el.cls._fields else 'outputValue'
    return port


def _send(el, idx, port, value, dt):
    """Deliver a value to a destination port from Python."""
    h = el.handle(idx)
    if port.startswith('set') and port[3:4].isupper():
        name = port[3].lower() + port[4:]
        if name not in el.cls._fields:
            name = port[3:]
        setattr(h, name, value)
    elif port == 'increment':
        h.n = max(0.0, h.n + value * dt)
    elif port == 'decrement':
        h.n = max(0.0, h.n - value * dt)
    elif port == 'nIn':
        h.n = value
    elif port == 'input' and 'value' in el.cls._fields:
        h.value = value
    else:
        handler = getattr(el.cls, '_recv_' + port, None)
        if handler is None:
            raise FieldError(f'{el.path}: cannot deliver to port {port!r} from Python')
        handler(h, value)


del links
