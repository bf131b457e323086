"""``Function``: an arithmetic expression of inputs ``x0..xn`` and time ``t``.

Inputs arrive on the field element ``x`` (``pool 'nOut' -> func.x[i]
'input'``); the function's ``requestOut -> get<Field>`` messages fill
``y0``, ``y1``, ... in connection order, pulled at each step (as MOOSE).
``derivative`` is d expr / d ``independent`` at the current inputs and
``rate`` the change of the value over the last step.  The value goes
out through ``valueOut`` (to ``setN``, ``setConc``, ``setNumKf``, ...) and the
time derivative of the expression through ``rateOut`` (to a pool's
``increment``).  A Function whose inputs and outputs all lie in a Stoich's
model is compiled into that Ksolve (its expression runs inside the ODE
right-hand side); otherwise it runs on its own tick (12) in Python.
"""

import re

import numpy as np

from ..core.element import Element, Neutral
from ..core import structure
from ..core.errors import FieldError, SolverError
from ..core.fields import Field, LookupField, FieldElementField, Src, Dest, registry
from ..core.msg import linked_indices, links
from . import expr as _expr
from .mesh import voxel_volumes
from .pool import holds_own_n


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
    derivative = Field(0.0, '', 'Derivative of the expression with respect to '
                       "'independent' at the current inputs (five-point stencil, step 1e-8, "
                       "as MOOSE's exprtk); NaN before an expression is given", ro=True)
    rate = Field(0.0, '', 'Time derivative of the value: (value - last value) / dt at the '
                 'last step [unit/s]', ro=True, stored=False)
    mode = Field(1, '', 'Output mode: 1 value, 2 derivative, 3 rate', type='unsigned int')
    numVars = Field(0, '', 'Number of x inputs', type='unsigned int', stored=False)
    useTrigger = Field(False, '', 'Evaluate only when triggered', type='bool')
    doEvalAtReinit = Field(False, '', 'Evaluate and send the value at reinit', type='bool')
    allowUnknownVariable = Field(False, '', 'Accept unknown names as constants (value 0, '
                                 'settable with c[name])', type='bool')
    independent = Field('t', '', 'Name of the independent variable', type='string')
    _expr = Field('0', type='string', hidden=True)
    # an expression has been given (MOOSE: derivative is NaN until then)
    _exprGiven = Field(False, type='bool', hidden=True)

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
        self._el.cols['_exprGiven'][self._idx] = True
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
        # the column 'derivative' holds the rate of the last step
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
        return out

    def y_sources(self):
        """(element, index, field) of each y input, in connection order:
        as MOOSE, ``requestOut -> get<Field>`` messages feed y0, y1, ..."""
        return [(o, j, _get_field(o, port))
                for o, j, port in linked_indices(self._el, self._idx, 'requestOut')]

    def _ys(self):
        ys = self._el.data.setdefault('ys', {})
        return ys.setdefault(self._idx, np.zeros(0))

    def _eval_now(self, xv=None, ys=None, t=None):
        """The expression at the current inputs (x values, the y values
        pulled at the last step, the time of the last step)."""
        if xv is None:
            xv = self._el.children['x'].cols['value']
        if ys is None:
            ys = self._ys()
        if t is None:
            t = self._el.data.get('t_last', {}).get(self._idx, 0.0)
        prog, vals = _with_ys(self._program(), xv, ys)
        return _expr.evaluate(prog, vals, t)

    def _get_derivative(self):
        """d expr / d independent at the current inputs (exprtk's
        five-point stencil, h = 1e-8, as MOOSE); NaN before an expression
        is given (as MOOSE 5.0)."""
        if not self._el.cols['_exprGiven'][self._idx]:
            return float('nan')
        name = str(self._el.cols['independent'][self._idx])
        xv = np.array(self._el.children['x'].cols['value'], dtype=float)
        ys = np.array(self._ys(), dtype=float)
        t = _last_eval_time(self)
        m = re.fullmatch(r'([xy])(\d+)', name)
        if name == 't':
            def f(v):
                return self._eval_now(xv, ys, v)
            v0 = t
        elif m:
            arr = xv if m.group(1) == 'x' else ys
            k = int(m.group(2))
            if k >= len(arr):
                grown = np.zeros(k + 1)
                grown[:len(arr)] = arr
                arr = grown
                if m.group(1) == 'x':
                    xv = arr
                else:
                    ys = arr
            v0 = float(arr[k])

            def f(v):
                arr[k] = v
                return self._eval_now(xv, ys, t)
        else:
            return float('nan')     # not a variable of the expression (exprtk: NaN)
        h = 1e-8
        y0, y1, y2, y3 = f(v0 + 2 * h), f(v0 + h), f(v0 - h), f(v0 - 2 * h)
        f(v0)
        return (-y0 + 8.0 * (y1 - y2) + y3) / (12.0 * h)

    def output_targets(self, port='valueOut'):
        """(element, index, port) of each destination of *port*, in
        connection order (resolved once per structure version)."""
        return list(_wiring(self._el, self._idx).targets(port))

    # --- Python-mode clock interface ----------------------------------------
    @classmethod
    def _batch_role(cls, el):
        return 'idle' if el.data.get('absorbed') or _hsolved(el) else 'python'

    @classmethod
    def _reinit(cls, el):
        el.data['last'] = [None] * el.num     # no step yet (rate: from 0, as MOOSE)
        el.data['ys'] = {}
        el.data['t_last'] = {}
        el.cols['value'][:] = 0.0
        el.cols['derivative'][:] = 0.0
        if el.data.get('absorbed'):
            return
        from .takeover import unscheduled
        if unscheduled(el):
            return      # a Stoich took it off the clock (MOOSE: no reinit call)
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
            w = _wiring(el, i)
            for port, modes in (('valueOut', (0, 1)), ('derivativeOut', (0, 2)),
                                ('rateOut', (0, 3))):
                if mode in modes:
                    _deliver(w.plan(port), lambda p: 0.0, None, 0.0, 0.0)

    @classmethod
    def _process(cls, el, t, dt):
        if el.data.get('absorbed') or _hsolved(el):
            return
        for i in range(el.num):
            cls._eval_and_send(el, i, t, dt)

    # quiet steps (see core.clock._skip_quiet): a Function whose every step
    # would change nothing -- no t or rand() in the expression, inputs read
    # from unsolved pools that already gave the stored x/y values, the value
    # and a zero rate already stored, and every valueOut target a pool whose
    # n (and nInit for a BufPool) already holds what it would be sent --
    # can be moved over many steps at once.
    _quiet_fields = ('value', 'evalResult', 'derivative', 'rate')

    @classmethod
    def _quiet_steps(cls, el, s0, most, dt):
        if el.data.get('absorbed') or _hsolved(el):
            return most
        for i in range(el.num):
            if not _entry_quiet(el, i):
                return 0
        return most

    @classmethod
    def _skip_steps(cls, el, s0, n, dt):
        if el.data.get('absorbed') or _hsolved(el):
            return
        from ..core.clock import step_time
        t = step_time(s0 + n)
        tl = el.data.setdefault('t_last', {})
        for i in range(el.num):
            tl[i] = t

    @classmethod
    def _eval_and_send(cls, el, i, t, dt):
        h = el.handle(i)
        w = _wiring(el, i)
        srcs = w.srcs
        xe = el.children['x']
        xv = xe.cols['value'].copy() if xe.num else np.zeros(0)
        if len(xv) < len(srcs):
            xv = np.resize(xv, len(srcs))
        for k, s in enumerate(srcs):
            if s:
                o, j, f = s[-1]
                if _unsolved_pool(o):
                    # as MOOSE 5.0: a pool no solver owns never sends nOut,
                    # the input keeps its value
                    continue
                xv[k] = float(getattr(o.handle(j), f))
        if xe.num:
            xe.cols['value'][:] = xv[:xe.num]
        # the y inputs (requestOut -> get<Field>) are pulled at each step,
        # then the value computed (pymoose 5.0.0's order: tested)
        ys = np.array([float(getattr(o.handle(j), f)) for o, j, f in w.ysrc], dtype=float)
        if len(ys) or h._el.data.get('ys', {}).get(i) is not None:
            el.data.setdefault('ys', {})[i] = ys
        el.data.setdefault('t_last', {})[i] = t
        val = h._eval_now(xv, ys, t)
        last = el.data['last'][i]
        last = 0.0 if last is None else last
        deriv = 0.0 if dt <= 0 else (val - last) / dt
        el.data['last'][i] = val
        el.cols['value'][i] = val
        el.cols['derivative'][i] = deriv
        me = (el, i, h)         # named (path, expr) only when a value is refused
        try:
            _deliver(w.plan('valueOut'), lambda p: val, me, t, dt)
            _deliver(w.plan('rateOut'),
                     lambda p: deriv if p != 'increment' else val, me, t, dt)
            dplan = w.plan('derivativeOut')
            if dplan:
                dval = h._get_derivative()      # d/d independent, as MOOSE sends
                _deliver(dplan, lambda p: dval, me, t, dt)
        except FieldError as e:
            # a value a pool refuses (below zero): the run stops here, named
            raise SolverError(f'{_me_name(me)[0]} (Function) at t = {t:g} s: {e}') from None


class _Wiring:
    """The resolved inputs and outputs of one Function entry: x sources,
    y sources and, per output port, the destinations in connection order
    with a delivery plan (consecutive destinations on the same element and
    port that the plan can write in one go).  Kept while
    :func:`moosepy.core.structure.version` stays the same: every message
    made or deleted and every element created, deleted or resized advances
    it."""

    __slots__ = ('srcs', 'ysrc', '_el', '_idx', '_targets', '_plans')

    def __init__(self, el, idx):
        h = el.handle(idx)
        self._el, self._idx = el, idx
        self.srcs = h.input_sources()
        self.ysrc = h.y_sources()
        self._targets = {}
        self._plans = {}

    def targets(self, port):
        t = self._targets.get(port)
        if t is None:
            t = self._targets[port] = [(o, j, p) for o, j, p in
                                       linked_indices(self._el, self._idx, port)]
        return t

    def plan(self, port):
        pl = self._plans.get(port)
        if pl is None:
            pl = self._plans[port] = _make_plan(self.targets(port))
        return pl


def _wiring(el, i):
    """The :class:`_Wiring` of entry *i* of Function element *el* at the
    current structure version (made again after any structural change)."""
    ver = structure.version()
    w = el.data.get('_wiring')
    if w is None or w[0] != ver or len(w[1]) != el.num:
        w = (ver, [None] * el.num)
        el.data['_wiring'] = w
    ent = w[1][i]
    if ent is None:
        ent = w[1][i] = _Wiring(el, i)
    return ent


def _pool_kind(el, port):
    """How a value on *port* of pool element *el* is stored, when it can be
    written to many entries at once exactly as the field setters do one by
    one: 'n' (Pool.n), 'conc' (Pool.conc: n = conc * NA * voxel volume),
    with '+init' where the setter also writes nInit (BufPool); else None."""
    from .pool import PoolBase, BufPool
    if not isinstance(el.cls, type) or not issubclass(el.cls, PoolBase):
        return None
    if port in ('setN', 'nIn'):
        kind = 'n'
    elif port == 'setConc':
        kind = 'conc'
        f = el.cls._fields.get('conc')
        if f is None or f.setter is not PoolBase._set_conc or f.ro or f.structural:
            return None
    else:
        return None
    f = el.cls._fields.get('n')
    if f is None or f.ro or f.structural or f.type != 'double':
        return None
    if f.setter is PoolBase._set_n:
        return kind
    if f.setter is BufPool._set_n:
        return kind + '+init'
    return None


def _make_plan(targets):
    """Delivery plan for *targets*: a list of runs of consecutive targets
    on one element and port, each (element, port, indices, largest index,
    kind, targets of the run); kind None sends entry by entry."""
    plan = []
    k = 0
    n = len(targets)
    while k < n:
        o, _j, p = targets[k]
        m = k + 1
        while m < n and targets[m][0] is o and targets[m][2] == p:
            m += 1
        run = targets[k:m]
        idx = np.array([j for _o, j, _p in run], dtype=np.int64)
        plan.append((o, p, idx, int(idx.max()), _pool_kind(o, p), run))
        k = m
    return plan


def _deliver(plan, value_of, me, t, dt):
    """Send along a plan: value_of(port) is the value for a port.  A run
    of pool entries is written as one column assignment (the same n the
    setter stores entry by entry, the same solver state: a solved pool's n
    column is a view of it); a value the setter would refuse, a hooked or
    deleted element, goes entry by entry so that the same error is raised
    at the same entry."""
    from ..core.units import NA
    for o, p, idx, imax, kind, run in plan:
        v = value_of(p)
        if kind is not None and not o.hooks and o.alive and v >= 0.0 and v != _INF:
            if kind[0] == 'c':
                # the volume of each entry's voxel (the first where an
                # entry lies past the mesh, as PoolBase._vol)
                vv = voxel_volumes(o)
                vi = idx if imax < len(vv) else np.where(idx < len(vv), idx, 0)
                nv = v * (NA * vv[vi])
                if not np.all((nv >= 0.0) & (nv != _INF)):
                    nv = None       # n refused: entry by entry, same error
            else:
                nv = v
            if nv is not None:
                if kind.endswith('+init'):
                    o.cols['nInit'][idx] = nv
                elif holds_own_n(o):
                    continue        # an unsolved Pool keeps n = nInit (MOOSE 5.0)
                o.cols['n'][idx] = nv
                continue
        for o2, j, port in run:
            if me is not None:
                _send(o2, j, port, _counted(me, o2, j, port, v, t), dt)
            else:
                _send(o2, j, port, v, dt)


_INF = float('inf')


def _unsolved_pool(o):
    """True for a pool element no solver owns: it sends no nOut (MOOSE 5.0
    steps no pool itself), and between the steps of a quiet run nothing
    changes its n."""
    from .pool import PoolBase
    return (isinstance(o.cls, type) and issubclass(o.cls, PoolBase)
            and o.data.get('solver') is None)


def _entry_quiet(el, i):
    """True when a step of Function entry *i* would leave every value as it
    is (see Function._quiet_steps): what _eval_and_send would compute is
    computed here without storing or sending anything, and compared
    bit for bit with what is stored."""
    h = el.handle(i)
    prog = h._program()
    if prog.uses_t or np.any((prog.code == _expr.RAND) | (prog.code == _expr.RAND2)):
        return False
    last = el.data.get('last')
    if not last or i >= len(last) or last[i] is None:
        return False
    w = _wiring(el, i)
    if w.plan('rateOut') or w.plan('derivativeOut'):
        return False
    xe = el.children['x']
    xv = xe.cols['value'].copy() if xe.num else np.zeros(0)
    if len(xv) < len(w.srcs):
        xv = np.resize(xv, len(w.srcs))
    for s in w.srcs:
        if s and not _unsolved_pool(s[-1][0]):
            return False
    # (an unsolved pool sends no nOut: the x values stay as stored)
    for o, _j, _f in w.ysrc:
        if not _unsolved_pool(o):
            return False
    ys = np.array([float(getattr(o.handle(j), f)) for o, j, f in w.ysrc], dtype=float)
    stored = el.data.get('ys', {}).get(i)
    if len(ys) and (stored is None or not np.array_equal(stored, ys)):
        return False
    val = h._eval_now(xv, ys)
    if not (val == last[i] and val == el.cols['value'][i] and el.cols['derivative'][i] == 0.0):
        return False
    from ..core.units import NA
    for o, p, idx, imax, kind, run in w.plan('valueOut'):
        if kind is None or o.hooks or not o.alive or not (val >= 0.0) or val == _INF:
            return False
        if kind[0] == 'c':
            vv = voxel_volumes(o)
            vi = idx if imax < len(vv) else np.where(idx < len(vv), idx, 0)
            nv = val * (NA * vv[vi])
        else:
            nv = np.full(len(idx), val)
        if holds_own_n(o):
            continue        # a send changes nothing (see pool.holds_own_n)
        if not np.array_equal(o.cols['n'][idx], nv):
            return False
        if kind.endswith('+init') and not np.array_equal(o.cols['nInit'][idx], nv):
            return False
    return True


def _me_name(me):
    """(path, expr) of the Function entry (el, i, handle) *me*."""
    el, i, h = me
    return (el.path if el.num == 1 else f'{el.path}[{i}]', h.expr)


def _counted(me, o, j, port, v, t):
    """*v* on its way to port *port* of entry j of *o*: a NaN or infinite
    value sent to a pool (a count of molecules) raises instead of being
    clipped to 0."""
    if v - v != 0.0 and 'nInit' in o.cls._fields:
        me = _me_name(me)
        name = o.path if o.num == 1 else f'{o.path}[{j}]'
        raise SolverError(f'{me[0]} (Function): its expression gave {v!r} at t = {t:g} s, '
                          f'sent to {name}.{port}; a count of molecules must stay finite '
                          f'(check the expression {me[1]!r} and its inputs)')
    return v


def _with_ys(prog, xv, ys):
    """(program, values) for the evaluator: y_i (coded as variable
    100000 + i) read from *ys* placed after the x values."""
    if not prog.ys:
        return prog, xv
    nx = max(len(xv), prog.nvars)
    cache = getattr(prog, '_yprog', None)
    if cache is None or cache[0] != nx:
        import copy
        p2 = copy.copy(prog)
        args = prog.args.copy()
        var = prog.code == _expr.VAR
        big = var & (args >= 100000)
        args[big] = args[big] - 100000 + nx
        p2.args = args
        prog._yprog = cache = (nx, p2)
    vals = np.zeros(nx + max(prog.ys) + 1)
    vals[:len(xv)] = xv
    ny = min(len(ys), max(prog.ys) + 1)
    vals[nx:nx + ny] = ys[:ny]
    return cache[1], vals


def _last_eval_time(h):
    """Time of the Function's last evaluation [s]: kept by the Python path;
    for one an HSolve or Stoich evaluates, the last step of its tick."""
    el = h._el
    if not (el.data.get('absorbed') or _hsolved(el)):
        return el.data.get('t_last', {}).get(h._idx, 0.0)
    from ..core.clock import clock, step_time
    tick = getattr(el, 'tick', -1)
    stride = clock.strides.get(tick) if getattr(clock, 'strides', None) else None
    if not stride:
        return float(clock.current_time)
    return float(step_time((clock.current_step // stride) * stride))


def _get_field(el, port):
    """Field a get<Field> port reads ('getOutputValue' -> 'outputValue')."""
    name = port[3:] if port.startswith('get') else port
    low = name[:1].lower() + name[1:]
    return low if low in el.cls._fields else name


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
