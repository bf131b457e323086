"""Ion channels and calcium: ``ChanBase``, ``HHChannelBase``, ``HHChannel``
with its ``HHGate`` s, ``HHChannel2D``/``HHGate2D``, ``CaConcBase``/``CaConc``
and ``Nernst``.

Hodgkin-Huxley channel: ``Gk = Gbar * modulation * X^Xpower * Y^Ypower *
Z^Zpower`` [S], ``Ik = Gk (Ek - Vm)`` [A] (positive = inward, as MOOSE).  Each
gate obeys ``dX/dt = A(v) - B(v) X`` with the gate tables ``tableA = alpha``
and ``tableB = alpha + beta`` [1/s] over ``min..max`` in ``divs`` steps (V in
volts, or concentration in mM for a Z gate with ``useConcentration``).

Without HSolve a channel steps on its tick (4) by exponential Euler,
``X <- X e^{-B dt} + (A/B)(1 - e^{-B dt})`` with A, B at the compartment's Vm
of this step; exact for constant Vm, first order in dt otherwise.  An HSolve
takes gates and Ca pools over and advances them in its kernel.

Gate tables are shared by copies of a channel (MOOSE's prototypes in
/library): tables are never modified in place, only replaced.
"""

import itertools
import logging
import math
import re

import numpy as np

from ..core.element import Element, Neutral
from ..core.errors import FieldError, SolverError
from ..core.fields import Field, FieldElementField, LookupField, Src, Dest, Shared, registry
from ..core.msg import links
from ..core.structure import changed as structure_changed
from ..core.units import FaradayConst, GasConst
from .compartment import CompartmentBase, _double_eq, deliver, send_values

_GATES = ('X', 'Y', 'Z')


# ====================================================================== gates
class HHGate(Neutral):
    """Gate of an HH channel: rate tables A = alpha and B = alpha + beta
    [1/s] over ``min..max`` (V in volts, or mM for concentration gates)."""

    min = Field(0.0, 'V', 'Lower end of the tables (mM for a concentration gate)',
                stored=False)
    max = Field(1.0, 'V', 'Upper end of the tables (mM for a concentration gate)',
                stored=False)
    divs = Field(0, '', 'Number of divisions (tables hold divs+1 entries)',
                 type='unsigned int', stored=False)
    tableA = Field(None, '1/s', 'alpha at each table point', type='vector', stored=False)
    tableB = Field(None, '1/s', 'alpha + beta at each table point', type='vector',
                   stored=False)
    alpha = Field(None, '1/s', 'alpha (= tableA)', type='vector', ro=True, stored=False)
    beta = Field(None, '1/s', 'beta (= tableB - tableA)', type='vector', ro=True,
                 stored=False)
    tau = Field(None, 's', 'Time constant 1/tableB', type='vector', ro=True, stored=False)
    mInfinity = Field(None, '', 'Steady state tableA/tableB', type='vector', ro=True,
                      stored=False)
    inf = Field(None, '', 'Steady state tableA/tableB', type='vector', ro=True, stored=False)
    useInterpolation = Field(False, '', 'Interpolate linearly between table points '
                             '(HSolve always does)', type='bool', stored=False)
    alphaParms = Field(None, '', 'The 13 parameters of the last setupAlpha', type='vector',
                       stored=False)
    alphaExpr = Field('', '', 'Expression of alpha in v [V] (or c [mM]), 1/s',
                      type='string', stored=False)
    betaExpr = Field('', '', 'Expression of beta in v [V], 1/s', type='string', stored=False)
    tauExpr = Field('', '', 'Expression of tau in v [V], s', type='string', stored=False)
    infExpr = Field('', '', 'Expression of the steady state in v [V]', type='string',
                    stored=False)
    A = LookupField('double', 'double', '1/s', 'tableA at a voltage (or conc)')
    B = LookupField('double', 'double', '1/s', 'tableB at a voltage (or conc)')

    ports = (Dest('setupAlpha', 'vector', 'Fill tables from alpha/beta parameters'),
             Dest('setupTau', 'vector', 'Fill tables from tau/inf parameters'),
             Dest('setupGate', 'vector', 'Fill tableA or tableB from parameters'),
             Dest('tweakAlpha', 'void', 'Turn tables of alpha, beta into A, A+B'),
             Dest('tweakTau', 'void', 'Turn tables of tau, inf into A, A+B'),
             Dest('fillFromExpr', 'void', 'Fill tables from the expressions'))

    def __init_obj__(self):
        d = self._el.data
        # as MOOSE: min 0, max 1, one table entry (divs 0)
        d.update(A=np.zeros(1), B=np.zeros(1), min=0.0, max=1.0, interp=False,
                 parms=np.zeros(0), exprs={'alpha': '', 'beta': '', 'tau': '', 'inf': ''})

    @classmethod
    def _on_copy(cls, new, old):
        # share the (immutable) tables with the prototype
        new.data['A'] = old.data['A']
        new.data['B'] = old.data['B']

    def _d(self):
        return self._el.data

    def _w(self):
        """The gate's data, about to be written: tables are structure (a
        solver compiles them), so solvers compile again at the next reinit."""
        structure_changed()
        return self._el.data

    # --- plain fields ---------------------------------------------------------
    def _get_min(self):
        return self._d()['min']

    def _set_min(self, v):
        self._w()['min'] = float(v)

    def _get_max(self):
        return self._d()['max']

    def _set_max(self, v):
        self._w()['max'] = float(v)

    def _get_divs(self):
        return max(0, len(self._d()['A']) - 1)

    def _set_divs(self, n):
        n = int(n)
        d = self._w()
        # as MOOSE: resizing resamples nothing; tables get n+1 entries
        d['A'] = _resize(d['A'], n + 1)
        d['B'] = _resize(d['B'], n + 1)

    def _get_tableA(self):
        return self._d()['A'].copy()

    def _set_tableA(self, v):
        self._w()['A'] = np.array(v, dtype=float).ravel()

    def _get_tableB(self):
        return self._d()['B'].copy()

    def _set_tableB(self, v):
        self._w()['B'] = np.array(v, dtype=float).ravel()

    def _get_alpha(self):
        return self._d()['A'].copy()

    def _get_beta(self):
        d = self._d()
        return d['B'] - d['A']

    def _get_tau(self):
        with np.errstate(divide='ignore'):
            return 1.0 / self._d()['B']

    def _get_mInfinity(self):
        d = self._d()
        with np.errstate(divide='ignore', invalid='ignore'):
            return d['A'] / d['B']

    _get_inf = _get_mInfinity

    def _get_useInterpolation(self):
        return self._d()['interp']

    def _set_useInterpolation(self, v):
        self._w()['interp'] = bool(v)

    def _get_alphaParms(self):
        return self._d()['parms'].copy()

    def _set_alphaParms(self, v):
        self.setupAlpha(v)

    def _expr_get(name):
        def g(self):
            return self._d()['exprs'][name]

        def s(self, v):
            self._w()['exprs'][name] = str(v)
        return g, s

    _get_alphaExpr, _set_alphaExpr = _expr_get('alpha')
    _get_betaExpr, _set_betaExpr = _expr_get('beta')
    _get_tauExpr, _set_tauExpr = _expr_get('tau')
    _get_infExpr, _set_infExpr = _expr_get('inf')
    del _expr_get

    def _lookup_A(self, v):
        return float(gate_lookup(self._d(), np.array([float(v)]))[0][0])

    def _lookup_B(self, v):
        return float(gate_lookup(self._d(), np.array([float(v)]))[1][0])

    # --- table builders -------------------------------------------------------
    def _grid(self, n, lo, hi):
        if n < 1 or not hi > lo:
            raise FieldError(f'{self.path} (HHGate): need divs >= 1 and max > min, got '
                             f'divs={n}, min={lo}, max={hi}')
        return np.linspace(lo, hi, n + 1)

    def _two_forms(self, parms, what, tau):
        """Tables of setupAlpha (*tau* False) or setupTau (*tau* True) from
        parms: 10 rate parameters, then optionally divs, min, max."""
        p = np.asarray(parms, dtype=float).ravel()
        if len(p) not in (10, 13):
            raise FieldError(f'{self.path} (HHGate).{what}: expected 13 values (10 '
                             f'rate parameters, divs, min, max), got {len(p)}')
        d = self._w()
        if len(p) == 13:
            n, lo, hi = int(p[10]), p[11], p[12]
        else:
            n, lo, hi = self._get_divs(), d['min'], d['max']
        self._grid(n, lo, hi)               # validates
        d['min'], d['max'] = lo, hi
        d['parms'] = p.copy()
        d['A'], d['B'] = _form_tables(p, n, lo, hi, tau)

    def setupAlpha(self, parms):
        """Fill the tables from alpha = (A_A + A_B v)/(A_C + exp((v + A_D)/A_F))
        and beta of the same form: parms = [A_A, A_B, A_C, A_D, A_F, B_A, B_B,
        B_C, B_D, B_F, divs, min, max] (v in V, rates in 1/s).  Computed as
        MOOSE 5.0 does (see ``_form_tables``), the same floats except where
        the beta formula is 0/0 on the grid (MOOSE stores 2 beta there)."""
        self._two_forms(parms, 'setupAlpha', False)

    def setupTau(self, parms):
        """As setupAlpha, but the two forms give tau [s] and the steady state;
        tables become A = inf/tau, B = 1/tau (where |tau| < 1e-6 s the
        previous entries are repeated, 0 at the first, as MOOSE)."""
        self._two_forms(parms, 'setupTau', True)

    def setupGate(self, parms):
        """GENESIS setupgate: parms = [A, B, C, D, F, divs, min, max, isBeta]
        fills tableA (isBeta 0) or tableB (isBeta 1) with (A+Bv)/(C+exp((v+D)/F))."""
        p = np.asarray(parms, dtype=float).ravel()
        if len(p) != 9:
            raise FieldError(f'{self.path} (HHGate).setupGate: expected 9 values, got '
                             f'{len(p)}')
        d = self._w()
        n, lo, hi = int(p[5]), p[6], p[7]
        d['min'], d['max'] = lo, hi
        v = self._grid(n, lo, hi)
        r = _generic_rate(v, *p[0:5])
        if p[8]:
            d['B'] = r
            if len(d['A']) != len(r):
                d['A'] = np.zeros_like(r)
        else:
            d['A'] = r
            if len(d['B']) != len(r):
                d['B'] = np.zeros_like(r)

    def tweakAlpha(self):
        """Tables hold alpha and beta: make them A = alpha, B = alpha + beta."""
        d = self._w()
        d['B'] = d['A'] + d['B']

    def tweakTau(self):
        """Tables hold tau and inf: make them A = inf/tau, B = 1/tau."""
        d = self._w()
        tau, inf = d['A'], d['B']
        d['A'], d['B'] = inf / tau, 1.0 / tau

    def fillFromExpr(self):
        """Fill the tables from alphaExpr/betaExpr or tauExpr/infExpr, evaluated
        at the divs+1 points of min..max (variable ``v`` [V] or ``c`` [mM])."""
        d = self._w()
        ex = d['exprs']
        n = self._get_divs()
        v = self._grid(n, d['min'], d['max'])
        if ex['alpha'] and ex['beta']:
            a = _eval_expr(ex['alpha'], v, self.path)
            b = _eval_expr(ex['beta'], v, self.path)
            d['A'], d['B'] = a, a + b
        elif ex['tau'] and ex['inf']:
            tau = _eval_expr(ex['tau'], v, self.path)
            inf = _eval_expr(ex['inf'], v, self.path)
            d['A'], d['B'] = inf / tau, 1.0 / tau
        else:
            raise FieldError(f'{self.path} (HHGate).fillFromExpr: set alphaExpr and '
                             f'betaExpr, or tauExpr and infExpr')


def _resize(a, n):
    out = np.zeros(n)
    k = min(n, len(a))
    out[:k] = a[:k]
    return out


def _generic_rate(v, A, B, C, D, F):
    """(A + B v)/(C + exp((v + D)/F)); at a removable singularity (0/0) the
    limit, taken as the mean of the values just either side (MOOSE's
    setupGate repeats the previous table point instead)."""
    with np.errstate(over='ignore', divide='ignore', invalid='ignore'):
        if F == 0:
            den = C + np.where(v + D > 0, np.inf, 0.0)
        else:
            den = C + np.exp((v + D) / F)
        out = (A + B * v) / den
    bad = ~np.isfinite(out) | (np.abs(den) < 1e-6 * max(1.0, abs(C)))
    if bad.any() and F != 0:
        dv = (v[1] - v[0]) if len(v) > 1 else 1e-6
        for k in np.nonzero(bad)[0]:
            vl, vr = v[k] - 1e-4 * dv, v[k] + 1e-4 * dv
            left = (A + B * vl) / (C + math.exp((vl + D) / F))
            right = (A + B * vr) / (C + math.exp((vr + D) / F))
            out[k] = 0.5 * (left + right)
    return out


#: MOOSE's HHGate SINGULARITY: a denominator (or F, or tau) below it is 0
_SINGULAR = 1e-6


def _c_exp(t):
    """exp of each entry as the C library computes it (inf on overflow)."""
    t = t.tolist()
    try:
        return np.fromiter(map(math.exp, t), float, len(t))
    except OverflowError:
        def one(u):
            try:
                return math.exp(u)
            except OverflowError:
                return math.inf
        return np.array([one(u) for u in t])


def _form_values(x, dx, A, B, C, D, F):
    """(A + B x)/(C + exp((x + D)/F)) at the grid points *x*, as MOOSE 5.0's
    HHGate::setupTables: 0 everywhere if |F| < 1e-6; where the denominator
    is below 1e-6 in size, the mean of the formula at x +- dx/10.  exp is
    the C library's (math.exp; numpy's differs in the last bit on some
    arguments), the arithmetic in MOOSE's order, so the floats are MOOSE's."""
    if abs(F) < _SINGULAR:
        return np.zeros(len(x))
    ex = _c_exp
    den = C + ex((x + D) / F)
    with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
        out = (A + B * x) / den
    bad = np.abs(den) < _SINGULAR
    if bad.any():
        xb = x[bad]
        xr, xl = xb + dx / 10.0, xb - dx / 10.0
        with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
            v = (A + B * xr) / (C + ex((xr + D) / F))
            v = v + (A + B * xl) / (C + ex((xl + D) / F))
        out[bad] = v / 2.0
    return out


def _form_tables(p, n, lo, hi, tau):
    """Tables A, B of setupAlpha/setupTau on MOOSE's grid: x starts at *lo*
    and grows by dx = (hi - lo)/n a point (a running sum, so the points are
    MOOSE's floats, not lo + i dx).  setupAlpha: A = alpha, B = alpha +
    beta; MOOSE 5.0 stores 2 beta (and no alpha) at a point where the beta
    formula's denominator is below 1e-6 (a MOOSE bug: it adds the last
    value computed, which there is beta's; moosepy adds alpha, a deliberate
    difference).  setupTau: A = inf/tau, B = 1/tau, and where |tau| < 1e-6
    the previous point's A and B (0 and 0 at the first point)."""
    dx = (hi - lo) / n
    x = np.add.accumulate(np.concatenate(([lo], np.full(n, dx))))
    first = _form_values(x, dx, *p[0:5])
    second = _form_values(x, dx, *p[5:10])
    if not tau:
        return first, second + first
    A, B = np.empty(n + 1), np.empty(n + 1)
    pa = pb = 0.0
    for i, (t, f) in enumerate(zip(first.tolist(), second.tolist())):
        if abs(t) >= _SINGULAR:
            pa, pb = f / t, 1.0 / t
        A[i], B[i] = pa, pb
    return A, B


_EXPR_OK = re.compile(r'^[\s0-9eE+\-*/().,a-zA-Z_]*$')
_EXPR_NAMES = {'exp': np.exp, 'log': np.log, 'log10': np.log10, 'sqrt': np.sqrt,
               'abs': np.abs, 'fabs': np.abs, 'pow': np.power, 'tanh': np.tanh,
               'sinh': np.sinh, 'cosh': np.cosh, 'sin': np.sin, 'cos': np.cos,
               'pi': np.pi, 'e': np.e}


def _eval_expr(text, v, where):
    if not _EXPR_OK.match(text) or '__' in text:
        raise FieldError(f'{where} (HHGate): expression {text!r} has characters not '
                         f'allowed (use numbers, v or c, + - * / ( ) and exp/log/sqrt/pow)')
    ns = dict(_EXPR_NAMES, v=v, V=v, c=v)
    try:
        with np.errstate(all='ignore'):
            out = eval(compile(text.replace('^', '**'), '<gate expr>', 'eval'),
                       {'__builtins__': {}}, ns)
    except Exception as exc:
        raise FieldError(f'{where} (HHGate): cannot evaluate {text!r}: {exc}') from None
    out = np.broadcast_to(np.asarray(out, dtype=float), v.shape).copy()
    bad = ~np.isfinite(out)
    if bad.any():
        good = np.nonzero(~bad)[0]
        if len(good) == 0:
            raise FieldError(f'{where} (HHGate): {text!r} is not finite anywhere')
        out[bad] = np.interp(np.nonzero(bad)[0], good, out[good])
    return out


def gate_lookup(d, v):
    """A, B of a gate's tables (dict with A, B, min, max, interp) at values v."""
    A, B = d['A'], d['B']
    n = len(A) - 1
    if n < 1:
        return np.full(len(v), A[0] if len(A) else 0.0), \
            np.full(len(v), B[0] if len(B) else 0.0)
    lo, hi = d['min'], d['max']
    x = (np.clip(v, lo, hi) - lo) * (n / (hi - lo))
    if d['interp']:
        i = np.minimum(x.astype(np.int64), n - 1)
        f = x - i
        return A[i] + f * (A[i + 1] - A[i]), B[i] + f * (B[i + 1] - B[i])
    i = np.minimum(x.astype(np.int64), n)
    return A[i], B[i]


# ================================================================== channels
class ChanBase(Neutral):
    """Base of ion channels: Gbar, Ek, Gk, Ik and the ``channel`` message to a
    compartment (Vm in; Gk, Ek out)."""

    default_tick = 4

    Gbar = Field(0.0, 'S', 'Maximal conductance')
    Ek = Field(0.0, 'V', 'Reversal potential')
    Gk = Field(0.0, 'S', 'Conductance')
    Ik = Field(0.0, 'A', 'Current Gk (Ek - Vm) (positive inward)', ro=True)
    modulation = Field(1.0, '', 'Factor on the conductance')
    _Vm = Field(-0.06, 'V', hidden=True)

    ports = (Shared('channel', 'channel', 'chan', 'Joins a compartment (its "channel")'),
             Shared('ghk', 'ghk', 'chan', 'Joins a GHK object'),
             Src('IkOut', 'double', 'Sends Ik [A] every step (e.g. to CaConc current)'),
             Src('channelOut', 'double2', 'Sends Gk [S] and Ek [V] (part of channel)'),
             Src('permeabilityOut', 'double', 'Sends the permeability (part of ghk)'),
             Dest('Vm', 'double', 'Receives Vm [V] (part of channel)'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _recv_Vm(self, v):
        self._el.cols['_Vm'][self._idx] = v

    @classmethod
    def _on_copy(cls, new, old):
        new.data.pop('hsolve', None)
        new.data.pop('net', None)
        new.data.pop('ee', None)
        for k in ('Gk', 'Ik', 'Gbar', 'Ek', 'X', 'Y', 'Z'):
            if k in new.cols:
                new.cols[k] = np.array(new.cols[k], dtype=float)

    @classmethod
    def _batch_role(cls, el):
        # solved, or a prototype joined to nothing (e.g. in /library): idle
        if el.data.get('hsolve') is not None:
            return 'idle'
        ee = CompartmentBase.unsolved          # a compiled unsolved group steps it
        r = ee is not None and ee.role(el)
        if r:
            return r
        if not (links(el, 'channel') or links(el, 'Vm') or links(el, 'concen')):
            return 'idle'
        return 'python'

    @classmethod
    def _solver_spec(cls, el, idx, field):
        hs = el.data.get('hsolve')
        # (the solver is reached through the element that owns it; this
        # module does not import it)
        if hs is None:
            ee = CompartmentBase.unsolved
            return None if ee is None or 'ee' not in el.data else ee.spec(el, idx, field)
        return hs.cls.solver_spec(el, idx, field)

    @staticmethod
    def _compartments(el):
        """Compartment of each entry: list of (comp element, my idx, its idx)."""
        out = []
        for other, oport, m, forward in links(el, 'channel'):
            if not issubclass(other.cls, CompartmentBase):
                continue
            a, b = m.pairs()
            mine, theirs = (a, b) if forward else (b, a)
            out.append((other, np.asarray(mine, dtype=np.int64),
                        np.asarray(theirs, dtype=np.int64)))
        return out

    @classmethod
    def _read_vm(cls, el, comps):
        vm = el.cols['_Vm']
        for comp, mine, theirs in comps:
            vm[mine] = comp.cols['Vm'][theirs]
        return vm

    @classmethod
    def _send_current(cls, el, comps, gk, vm):
        """Gk, Ek to the compartments (for their next step), Ik to IkOut."""
        ek = el.cols['Ek']
        for comp, mine, theirs in comps:
            np.add.at(comp.cols['_chA'], theirs, gk[mine] * ek[mine])
            np.add.at(comp.cols['_chB'], theirs, gk[mine])
        el.cols['Ik'][:] = gk * (ek - vm)
        send_values(el, 'IkOut', el.cols['Ik'])


class HHChannelBase(ChanBase):
    """Base of Hodgkin-Huxley channels."""

    Xpower = Field(0.0, '', 'Power of the X gate (> 0 creates gateX)', structural=True)
    Ypower = Field(0.0, '', 'Power of the Y gate (> 0 creates gateY)', structural=True)
    Zpower = Field(0.0, '', 'Power of the Z gate (> 0 creates gateZ)', structural=True)
    X = Field(0.0, '', 'State of the X gate')
    Y = Field(0.0, '', 'State of the Y gate')
    Z = Field(0.0, '', 'State of the Z gate')
    instant = Field(0, '', 'Bitmask of gates at steady state at once (1 X, 2 Y, 4 Z)',
                    type='int', structural=True)
    useConcentration = Field(0, '', 'Nonzero: the Z gate is a function of the '
                             'concentration [mM] received on "concen" (set to 1 '
                             'when Zpower changes, as in MOOSE)', type='int',
                             structural=True)
    _conc = Field(0.0, 'mM', hidden=True)
    _xset = Field(False, '', type='bool', hidden=True)
    _yset = Field(False, '', type='bool', hidden=True)
    _zset = Field(False, '', type='bool', hidden=True)

    ports = (Dest('concen', 'double', 'Receives a concentration [mM] for the Z gate'),
             Dest('createGate', 'string', 'Creates gateX/gateY/gateZ'))

    def _recv_concen(self, v):
        self._el.cols['_conc'][self._idx] = v

    def _gate_class(self):
        return registry['HHGate']

    def _make_gate(self, g):
        name = 'gate' + g
        el = self._el
        if name not in el.children:
            ge = Element(name, el, self._gate_class(), 1)
            ge.is_field_element = True
            ge.handle(0).__init_obj__()

    def createGate(self, which):
        g = str(which).upper()[-1:]
        if g not in _GATES:
            raise FieldError(f"{self.path}.createGate: expected 'x', 'y' or 'z', got "
                             f"{which!r}")
        self._make_gate(g)

    _recv_createGate = createGate

    def _power_setter(g):
        def s(self, v):
            if v < 0 or not math.isfinite(v):
                raise FieldError(f'{self.path} ({self.className}).{g}power: expected a '
                                 f'finite value >= 0, got {v}')
            col = self._el.cols[g + 'power']
            if g == 'Z' and not _double_eq(float(col[self._idx]), float(v)):
                # MOOSE (and GENESIS): a Z power that changes makes the Z gate
                # read the concentration (a channel that wants Vm sets
                # useConcentration 0 afterwards); proto22's K_AHP relies on it
                self._el.cols['useConcentration'][self._idx] = 1
            col[self._idx] = v
            if v > 0:
                self._make_gate(g)
        return s

    _set_Xpower = _power_setter('X')
    _set_Ypower = _power_setter('Y')
    _set_Zpower = _power_setter('Z')
    del _power_setter

    def _state_setter(g):
        def s(self, v):
            self._el.cols[g][self._idx] = v
            self._el.cols['_' + g.lower() + 'set'][self._idx] = True
        return s

    _set_X = _state_setter('X')
    _set_Y = _state_setter('Y')
    _set_Z = _state_setter('Z')
    del _state_setter

    def _set_Gbar(self, v):
        if v < 0 or not math.isfinite(v):
            raise FieldError(f'{self.path} ({self.className}).Gbar: expected a finite value '
                             f'>= 0, got {v}')
        self._el.cols['Gbar'][self._idx] = v


class HHChannel(HHChannelBase):
    """Hodgkin-Huxley type voltage-gated ion channel (GENESIS tabchannel):
    up to three gates X, Y, Z with table lookups."""

    #: what HSolve takes of an HHChannel (see CompartmentBase.solver_columns;
    #: the gate states X, Y, Z are views too, and these fields are structure:
    #: X/Y/Zpower, instant, useConcentration, the gates' tables)
    solver_columns = {'state': ('Gk', 'Ik'), 'values': ('Gbar', 'Ek', 'modulation')}

    gateX = FieldElementField('HHGate', 'The X gate (made when Xpower > 0)')
    gateY = FieldElementField('HHGate', 'The Y gate (made when Ypower > 0)')
    gateZ = FieldElementField('HHGate', 'The Z gate (made when Zpower > 0)')

    @classmethod
    def active_gates(cls, el):
        """[(letter, gate data dict, power column)] of the gates in use; raises
        SolverError for a gate with a power but no tables."""
        out = []
        for g in _GATES:
            pw = el.cols[g + 'power']
            if not np.any(pw > 0):
                continue
            ge = el.children.get('gate' + g)
            d = ge.data if ge is not None else None
            if d is None or len(d['A']) < 2 or len(d['B']) != len(d['A']) or \
                    not d['max'] > d['min']:
                raise SolverError(
                    f'{el.path} ({el.cls.__name__}): {g}power = {pw.max()} but gate{g} has '
                    f'no usable tables (need tableA and tableB of equal length >= 2 and '
                    f'max > min; use setupAlpha, setupTau, tableA/tableB or fillFromExpr)')
            out.append((g, d, pw))
        return out

    @classmethod
    def _gate_input(cls, el, g, vm):
        if g == 'Z' and np.any(el.cols['useConcentration'] != 0):
            return np.where(el.cols['useConcentration'] != 0, el.cols['_conc'], vm)
        return vm

    @classmethod
    def _reinit(cls, el):
        ee = CompartmentBase.unsolved
        if ee is not None and ee.reinit_taken(el):
            return                      # done in bulk by its compiled group
        hs = el.data.get('hsolve')
        if hs is not None:
            hs.cls.release_element(el)
        gates = cls.active_gates(el)
        comps = cls._compartments(el)
        el.data['net'] = (gates, comps)
        vm = cls._read_vm(el, comps)
        # concentrations at reinit: read the pools connected to 'concen'
        for other, oport, m, forward in links(el, 'concen'):
            a, b = m.pairs()
            mine, theirs = (b, a) if not forward else (a, b)
            if 'Ca' in other.cols:
                el.cols['_conc'][mine] = other.cols['Ca'][theirs]
        for g, d, pw in gates:
            A, B = gate_lookup(d, cls._gate_input(el, g, vm))
            with np.errstate(divide='ignore', invalid='ignore'):
                ss = np.where(B != 0, A / np.where(B != 0, B, 1.0), 0.0)
            keep = el.cols['_' + g.lower() + 'set']
            el.cols[g][:] = np.where(keep, el.cols[g], ss)
        gk = cls._conductance(el, gates)
        el.cols['Gk'][:] = gk
        cls._send_current(el, comps, gk, vm)

    @classmethod
    def _conductance(cls, el, gates):
        gk = el.cols['Gbar'] * el.cols['modulation']
        for g, d, pw in gates:
            gk = gk * np.where(pw > 0, el.cols[g] ** pw, 1.0)
        return gk

    @classmethod
    def _process(cls, el, t, dt):
        if el.data.get('hsolve') is not None:
            return
        g = el.data.get('ee')
        if g is not None and not g.released:
            return                      # stepped by its compiled group
        net = el.data.get('net')
        if net is None:
            cls._reinit(el)
            net = el.data['net']
        gates, comps = net
        vm = cls._read_vm(el, comps)
        inst = el.cols['instant']
        for k, (g, d, pw) in enumerate(gates):
            bit = {'X': 1, 'Y': 2, 'Z': 4}[g]
            A, B = gate_lookup(d, cls._gate_input(el, g, vm))
            s = el.cols[g]
            with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
                ss = A / B
                x = np.exp(-B * dt)
                ee = np.where(B > 1e-15, s * x + ss * (1.0 - x), s + (A - B * s) * dt)
            s[:] = np.where((inst & bit) != 0, ss, ee)
        gk = cls._conductance(el, gates)
        el.cols['Gk'][:] = gk
        cls._send_current(el, comps, gk, vm)


# ----------------------------------------------------------------- 2-D gates
class HHGate2D(Neutral):
    """Gate whose rates depend on two variables (V and a concentration, or
    two concentrations): 2-D tables tableA[x][y], tableB[x][y]."""

    xmin = Field(0.0, '', 'Lower end of the first index (V or mM)')
    xmax = Field(1.0, '', 'Upper end of the first index')
    xdivs = Field(1, '', 'Divisions of the first index: rows of the tables - 1; setting it '
                  'resizes both tables (entries kept, new ones 0), as MOOSE',
                  type='unsigned int', stored=False)
    ymin = Field(0.0, '', 'Lower end of the second index')
    ymax = Field(1.0, '', 'Upper end of the second index')
    ydivs = Field(1, '', 'Divisions of the second index: columns - 1 (resizes as xdivs)',
                  type='unsigned int', stored=False)
    tableA = Field(None, '1/s', 'alpha over (x, y)', type='vector', stored=False)
    tableB = Field(None, '1/s', 'alpha + beta over (x, y)', type='vector', stored=False)
    A = LookupField('vector', 'double', '1/s', 'tableA at [x, y]')
    B = LookupField('vector', 'double', '1/s', 'tableB at [x, y]')
    # pymoose 5.0.0 keeps two expression slots and the form that names them
    # (alpha/beta or tau/inf) but fills no table from them (the tables are
    # set directly): the same here
    alphaExpr = Field('', '', "Expression of alpha: the first slot when form is 1, else ''"
                      " (kept, not used to fill the tables, as in MOOSE 5.0); setting it "
                      "makes form 1", type='string', stored=False)
    betaExpr = Field('', '', "Expression of beta: the second slot when form is 1 (as "
                     "alphaExpr)", type='string', stored=False)
    tauExpr = Field('', '', "Expression of tau: the first slot when form is 2, else ''; "
                    "setting it makes form 2", type='string', stored=False)
    infExpr = Field('', '', "Expression of the steady state: the second slot when form is "
                    "2 (as tauExpr)", type='string', stored=False)
    form = Field(0, '', 'Which pair the expression slots hold: 0 none, 1 alpha/beta, '
                 '2 tau/inf', type='unsigned int', ro=True, stored=False)

    def _exprs(self):
        return self._el.data.setdefault('exprs', {'form': 0, 'slots': ['', '']})

    def _get_form(self):
        return self._exprs()['form']

    def _expr(self, slot, form):
        d = self._exprs()
        return d['slots'][slot] if d['form'] == form else ''

    def _set_expr(self, slot, form, v):
        d = self._exprs()
        d['form'] = form
        d['slots'][slot] = v

    def _get_alphaExpr(self):
        return self._expr(0, 1)

    def _set_alphaExpr(self, v):
        self._set_expr(0, 1, v)

    def _get_betaExpr(self):
        return self._expr(1, 1)

    def _set_betaExpr(self, v):
        self._set_expr(1, 1, v)

    def _get_tauExpr(self):
        return self._expr(0, 2)

    def _set_tauExpr(self, v):
        self._set_expr(0, 2, v)

    def _get_infExpr(self):
        return self._expr(1, 2)

    def _set_infExpr(self, v):
        self._set_expr(1, 2, v)

    def __init_obj__(self):
        # MOOSE's empty 2-D table: 2 x 2 zeros over [0, 1] x [0, 1]
        self._el.data.update(A=np.zeros((2, 2)), B=np.zeros((2, 2)))

    def _resize(self, nx, ny):
        for k in ('A', 'B'):
            old = self._el.data[k]
            new = np.zeros((nx, ny))
            mx, my = min(nx, old.shape[0]), min(ny, old.shape[1])
            new[:mx, :my] = old[:mx, :my]
            self._el.data[k] = new

    def _get_xdivs(self):
        return max(0, self._el.data['A'].shape[0] - 1)

    def _set_xdivs(self, n):
        self._resize(int(n) + 1, self._el.data['A'].shape[1])

    def _get_ydivs(self):
        return max(0, self._el.data['A'].shape[1] - 1)

    def _set_ydivs(self, n):
        self._resize(self._el.data['A'].shape[0], int(n) + 1)

    @classmethod
    def _on_copy(cls, new, old):
        new.data['A'] = old.data['A']
        new.data['B'] = old.data['B']
        d = old.data.get('exprs', {'form': 0, 'slots': ['', '']})
        new.data['exprs'] = {'form': d['form'], 'slots': list(d['slots'])}

    def _get_tableA(self):
        return self._el.data['A'].copy()

    def _set_tableA(self, v):
        self._el.data['A'] = np.array(v, dtype=float, ndmin=2)

    def _get_tableB(self):
        return self._el.data['B'].copy()

    def _set_tableB(self, v):
        self._el.data['B'] = np.array(v, dtype=float, ndmin=2)

    def _lookup_A(self, xy):
        return float(lookup2d(self._el, self._el.data['A'], np.array([xy[0]]),
                              np.array([xy[1]]))[0])

    def _lookup_B(self, xy):
        return float(lookup2d(self._el, self._el.data['B'], np.array([xy[0]]),
                              np.array([xy[1]]))[0])


def lookup2d(gel, T, x, y):
    """Bilinear interpolation of table T over the gate's x/y ranges."""
    c = gel.cols
    nx, ny = T.shape[0] - 1, T.shape[1] - 1

    def frac(v, lo, hi, n):
        if n < 1 or not hi > lo:
            return np.zeros(len(v), dtype=np.int64), np.zeros(len(v))
        u = (np.clip(v, lo, hi) - lo) * (n / (hi - lo))
        i = np.minimum(u.astype(np.int64), n - 1)
        return i, u - i
    i, fx = frac(x, c['xmin'][0], c['xmax'][0], nx)
    j, fy = frac(y, c['ymin'][0], c['ymax'][0], ny)
    i1 = np.minimum(i + 1, nx)
    j1 = np.minimum(j + 1, ny)
    return (T[i, j] * (1 - fx) * (1 - fy) + T[i1, j] * fx * (1 - fy)
            + T[i, j1] * (1 - fx) * fy + T[i1, j1] * fx * fy)


_INDEX = ('VOLT_INDEX', 'C1_INDEX', 'C2_INDEX', 'VOLT_C1_INDEX', 'VOLT_C2_INDEX',
          'C1_C2_INDEX')


def index_setter(g):
    """Setter of a 2-D channel's ``<g>index`` field (one of ``_INDEX``)."""
    def s(self, v):
        if v not in _INDEX:
            raise FieldError(f'{self.path} ({type(self).__name__}).{g}index: expected one '
                             f'of {", ".join(_INDEX)}, got {v!r}')
        self._el.cols[g + 'index'][self._idx] = v
    return s


class HHChannel2D(HHChannelBase):
    """HH channel whose gates look up two variables; ``Xindex`` etc. name them
    (VOLT_INDEX, C1_INDEX, C2_INDEX, VOLT_C1_INDEX, VOLT_C2_INDEX,
    C1_C2_INDEX).  Stepped by exponential Euler on its tick; on a solved
    compartment the HSolve steps it inside its kernel the same way (when
    its concentrations come from Ca pools of the cell and nothing reads its
    IkOut), else it reads the solved Vm and feeds the solver's next step."""

    Xindex = Field('', '', "Variables of the X gate ('' until set: looked up at (0, 0), "
                   "as MOOSE)", type='string')
    Yindex = Field('', '', "Variables of the Y gate ('' until set)", type='string')
    Zindex = Field('', '', "Variables of the Z gate ('' until set)", type='string')
    _conc2 = Field(0.0, 'mM', hidden=True)
    gateX = FieldElementField('HHGate2D', 'The X gate')
    gateY = FieldElementField('HHGate2D', 'The Y gate')
    gateZ = FieldElementField('HHGate2D', 'The Z gate')

    ports = (Dest('concen2', 'double', 'Receives the second concentration [mM]'),)

    def _recv_concen2(self, v):
        self._el.cols['_conc2'][self._idx] = v

    @classmethod
    def _batch_role(cls, el):
        hs = el.data.get('hsolve')
        if hs is not None:
            if hs.cls.absorbed(el):
                return 'idle'           # stepped inside the HSolve kernel
        if not (links(el, 'channel') or links(el, 'Vm') or links(el, 'concen')):
            return 'idle'
        return 'python'

    def _gate_class(self):
        return registry['HHGate2D']

    _set_Xindex = index_setter('X')
    _set_Yindex = index_setter('Y')
    _set_Zindex = index_setter('Z')

    @classmethod
    def _rates(cls, el, g, vm):
        ge = el.children['gate' + g]
        idx = el.cols[g + 'index'][0]
        src = {'VOLT': vm, 'C1': el.cols['_conc'], 'C2': el.cols['_conc2']}
        if not idx:
            # never set: MOOSE looks the gate up at (0, 0)
            x = np.zeros(el.num)
            y = np.zeros(el.num)
        else:
            names = idx.replace('_INDEX', '').split('_')
            x = src[names[0]]
            y = src[names[1]] if len(names) > 1 else np.zeros_like(x)
        A = lookup2d(ge, ge.data['A'], x, y)
        B = lookup2d(ge, ge.data['B'], x, y)
        return A, B

    @classmethod
    def _gates(cls, el):
        out = []
        for g in _GATES:
            pw = el.cols[g + 'power']
            if np.any(pw > 0):
                ge = el.children.get('gate' + g)
                if ge is None or ge.data['A'].size < 1 or ge.data['B'].shape != \
                        ge.data['A'].shape:
                    raise SolverError(f'{el.path} (HHChannel2D): gate{g} has no tables')
                out.append((g, pw))
        return out

    @classmethod
    def _reinit(cls, el):
        g = el.data.get('hsolve_group')
        if g is not None:
            g.release()                 # the HSolve takes it again at its reinit
        gates = cls._gates(el)
        comps = cls._compartments(el)
        el.data['net'] = (gates, comps)
        vm = cls._read_vm(el, comps)
        for g, pw in gates:
            A, B = cls._rates(el, g, vm)
            keep = el.cols['_' + g.lower() + 'set']
            with np.errstate(divide='ignore', invalid='ignore'):
                el.cols[g][:] = np.where(keep, el.cols[g], A / B)
        gk = el.cols['Gbar'] * el.cols['modulation']
        for g, pw in gates:
            gk = gk * el.cols[g] ** pw
        el.cols['Gk'][:] = gk
        cls._send_current(el, comps, gk, vm)

    @classmethod
    def _process(cls, el, t, dt):
        g = el.data.get('hsolve_group')
        if g is not None and not g.released:
            return                      # stepped inside the HSolve kernel
        net = el.data.get('net')
        if net is None:
            cls._reinit(el)
            net = el.data['net']
        gates, comps = net
        vm = cls._read_vm(el, comps)
        inst = el.cols['instant']
        gk = el.cols['Gbar'] * el.cols['modulation']
        for g, pw in gates:
            A, B = cls._rates(el, g, vm)
            s = el.cols[g]
            bit = {'X': 1, 'Y': 2, 'Z': 4}[g]
            with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
                x = np.exp(-B * dt)
                ee = np.where(B > 1e-15, s * x + (A / B) * (1 - x), s + (A - B * s) * dt)
                s[:] = np.where((inst & bit) != 0, A / B, ee)
            gk = gk * s ** pw
        el.cols['Gk'][:] = gk
        cls._send_current(el, comps, gk, vm)


# ==================================================================== calcium
#: order of B writes and HSolve target settings (CaConcBase._geometry_B)
B_STAMPS = itertools.count()


def shell_volume(d, ln, th):
    """Volume [m^3] of a Ca pool's shell, as MOOSE's CaConcBase: the
    cylinder pi d^2 L / 4 (diameter d, length L [m]) less its core of radius
    d/2 - th when 0 < th < d/2 (th 0 or >= d/2: the whole cylinder).
    Scalars or arrays."""
    vol = math.pi * d * d * ln * 0.25
    core = d / 2.0 - th
    shell = (th > 0) & (th < d / 2.0)
    return np.where(shell, vol - math.pi * core * core * ln, vol)


def shell_B(d, ln, th):
    """B = 1/(2 F vol) [mM/(A s)] of a shell (see shell_volume); inf for a
    zero volume, as MOOSE.  A float for scalars."""
    vol = shell_volume(d, ln, th)
    with np.errstate(divide='ignore'):
        B = 1.0 / (2 * FaradayConst * vol)
    return float(B) if np.ndim(B) == 0 else B


class CaConcBase(Neutral):
    """Base of calcium pools: a single shell whose concentration relaxes to
    CaBasal with time constant tau and rises with the current received:
    ``dCa/dt = B I - (Ca - CaBasal)/tau`` [mM/s], B in mM/(A s).  As in
    MOOSE, setting length, diameter or thick sets B = 1/(2 F vol) of the
    shell (see shell_volume; inf while the volume is 0, e.g. after length
    alone); B set afterwards is kept until the next geometry set."""

    default_tick = 1
    #: what HSolve takes of a Ca pool (all views of its arrays)
    solver_columns = {'state': ('Ca', '_act'),
                      'values': ('Ca_base', 'tau', 'B', 'ceiling', 'floor')}

    Ca = Field(0.0, 'mM', 'Calcium concentration')
    CaBasal = Field(0.0, 'mM', 'Resting concentration', stored=False)
    Ca_base = Field(0.0, 'mM', 'Resting concentration (alias of CaBasal)')
    tau = Field(1.0, 's', 'Decay time constant (> 0)')
    B = Field(1.0, 'mM/(A s)', 'Concentration change per unit charge: 1/(z F volume)')
    thick = Field(0.0, 'm', 'Shell thickness (setting it recomputes B)')
    diameter = Field(0.0, 'm', 'Diameter of the compartment (setting it recomputes B)')
    length = Field(0.0, 'm', 'Length of the compartment (setting it recomputes B)')
    ceiling = Field(1e9, 'mM', 'Upper bound of Ca (<= 0: none)')
    floor = Field(0.0, 'mM', 'Lower bound of Ca')
    _act = Field(0.0, 'A', hidden=True)

    ports = (Src('concOut', 'double', 'Sends Ca [mM] every step'),
             Dest('current', 'double', 'Receives a current [A] (e.g. a channel IkOut)'),
             Dest('currentFraction', 'double2', 'Receives a current [A] and the fraction '
                  'of it carried by Ca'),
             Dest('increase', 'double', 'Adds |I| [A]'),
             Dest('decrease', 'double', 'Subtracts |I| [A]'),
             Dest('basal', 'double', 'Sets CaBasal [mM]'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _get_CaBasal(self):
        return float(self._el.cols['Ca_base'][self._idx])

    def _set_CaBasal(self, v):
        self._nonneg('CaBasal', v)
        self._el.cols['Ca_base'][self._idx] = v

    def _set_Ca_base(self, v):
        self._nonneg('Ca_base', v)
        self._el.cols['Ca_base'][self._idx] = v

    # concentrations and geometry cannot be negative or NaN (issue 15)
    def _nonneg(self, name, v):
        if not (v >= 0.0) or v == float('inf'):
            raise FieldError(f'{self.path} ({self.className}).{name}: expected a finite '
                             f'value >= 0, got {v}')

    # as MOOSE's CaConcBase, setting any of the three recomputes B from the
    # shell's volume (also outside HSolve; a B set later wins until the next)
    def _set_geometry(self, name, v):
        self._nonneg(name, v)
        c, i = self._el.cols, self._idx
        c[name][i] = v
        c['B'][i] = shell_B(c['diameter'][i], c['length'][i], c['thick'][i])

    def _set_thick(self, v):
        self._set_geometry('thick', v)

    def _set_diameter(self, v):
        self._set_geometry('diameter', v)

    def _set_length(self, v):
        self._set_geometry('length', v)

    def _set_B(self, v):
        self._el.cols['B'][self._idx] = v
        self._el.data['B_set_at'] = next(B_STAMPS)     # see _geometry_B

    def _set_tau(self, v):
        if not v > 0 or not math.isfinite(v):
            raise FieldError(f'{self.path} ({self.className}).tau: expected a finite value '
                             f'> 0, got {v}')
        self._el.cols['tau'][self._idx] = v

    def _recv_current(self, v):
        self._el.cols['_act'][self._idx] += v

    def _recv_currentFraction(self, v):
        self._el.cols['_act'][self._idx] += v[0] * v[1]

    def _recv_increase(self, v):
        self._el.cols['_act'][self._idx] += abs(v)

    def _recv_decrease(self, v):
        self._el.cols['_act'][self._idx] -= abs(v)

    def _recv_basal(self, v):
        self._el.cols['Ca_base'][self._idx] = v

    @classmethod
    def _on_copy(cls, new, old):
        new.data.pop('hsolve', None)
        new.data.pop('hsolve_B', None)
        new.cols['Ca'] = np.array(new.cols['Ca'], dtype=float)

    @classmethod
    def _geometry_B(cls, el, since):
        """Set B [mM/(A s)] of every entry from its length, diameter and
        thick [m], as MOOSE's CaConcBase does when an HSolve takes the pool
        over (it sets the three fields again, and each set recomputes B, as
        the setters here do): B = 1/(2 F vol), vol the cylinder pi d^2 L / 4
        less its core of radius d/2 - thick when 0 < thick < d/2 (thick 0:
        the whole cylinder).  A pool of zero volume (length or diameter 0, as when
        only B was set) gets B = inf, as in MOOSE; a warning names it.
        MOOSE takes the pool when the HSolve's target is set (stamp
        *since*, from B_STAMPS), moosepy at the reinit after: a B set in
        between is kept, as MOOSE keeps it."""
        if el.data.get('B_set_at', -1) > since:
            return
        c = el.cols
        d, ln, th = (np.asarray(c[k], dtype=float) for k in ('diameter', 'length', 'thick'))
        vol = shell_volume(d, ln, th)
        B = shell_B(d, ln, th)
        if np.any(vol <= 0):
            i = int(np.nonzero(vol <= 0)[0][0])
            logging.getLogger(__name__).warning(
                '%s (%s): taken over by an HSolve with length %g m, diameter %g m: zero '
                'volume, so B = inf, as MOOSE\'s HSolve sets it (B was %g); set length and '
                'diameter > 0 (and thick) for B = 1/(2 F volume)',
                el.path if el.num == 1 else el.indexed_path(i),
                el.cls.__name__, ln[i], d[i], float(c['B'][i]))
        c['B'][:] = B

    @classmethod
    def _batch_role(cls, el):
        return 'idle' if el.data.get('hsolve') is not None else 'python'

    @classmethod
    def _solver_spec(cls, el, idx, field):
        hs = el.data.get('hsolve')
        # (the solver is reached through the element that owns it; this
        # module does not import it)
        return None if hs is None else hs.cls.solver_spec(el, idx, field)

    @classmethod
    def _reinit(cls, el):
        hs = el.data.get('hsolve')
        if hs is not None:
            hs.cls.release_element(el)
        c = el.cols
        bad = ~(c['tau'] > 0)
        if bad.any():
            raise SolverError(f'{el.path} ({el.cls.__name__}): tau must be > 0 (got '
                              f'{c["tau"][bad][0]})')
        c['Ca'][:] = c['Ca_base']
        c['_act'][:] = 0.0
        send_values(el, 'concOut', c['Ca'])

    @classmethod
    def _process(cls, el, t, dt):
        """Exponential Euler, as MOOSE: c = Ca - CaBasal decays with tau and
        is driven by B I (exact for a constant current over the step)."""
        if el.data.get('hsolve') is not None:
            return
        c = el.cols
        x = np.exp(-dt / c['tau'])
        ex = (c['Ca'] - c['Ca_base']) * x + c['B'] * c['_act'] * c['tau'] * (1.0 - x)
        ca = c['Ca_base'] + ex
        ceil = c['ceiling']
        ca = np.where((ceil > 0) & (ca > ceil), ceil, ca)
        ca = np.maximum(ca, c['floor'])
        c['Ca'][:] = ca
        c['_act'][:] = 0.0
        send_values(el, 'concOut', ca)


class CaConc(CaConcBase):
    """Calcium concentration pool fed by channel currents (``current``) that
    decays to CaBasal with time constant tau; sends ``concOut`` [mM]."""


# ===================================================================== Nernst
class Nernst(Neutral):
    """Nernst potential E = scale (R T / (valence F)) ln(Cout/Cin) [V],
    recomputed and sent (``Eout``) whenever Cin or Cout arrives."""

    Cin = Field(1.0, 'mM', 'Inside concentration')
    Cout = Field(1.0, 'mM', 'Outside concentration')
    Temperature = Field(295.0, 'K', 'Temperature')
    valence = Field(1, '', 'Valence of the ion', type='int')
    scale = Field(1.0, '', 'Factor on E')
    E = Field(0.0, 'V', 'Nernst potential', ro=True, stored=False)

    ports = (Src('Eout', 'double', 'Sends E [V] when an input arrives'),
             Dest('ci', 'double', 'Receives Cin [mM]'),
             Dest('co', 'double', 'Receives Cout [mM]'))

    def _get_E(self):
        c, i = self._el.cols, self._idx
        z = c['valence'][i]
        if z == 0 or not c['Cin'][i] > 0 or not c['Cout'][i] > 0:
            return 0.0
        return float(c['scale'][i] * GasConst * c['Temperature'][i] / (z * FaradayConst)
                     * math.log(c['Cout'][i] / c['Cin'][i]))

    def _set_valence(self, v):
        self._el.cols['valence'][self._idx] = int(v)

    def _emit(self):
        e = self._get_E()
        from ..core.msg import linked_indices
        for other, j, port in linked_indices(self._el, self._idx, 'Eout'):
            deliver(other, j, port, e)

    def _recv_ci(self, v):
        self._el.cols['Cin'][self._idx] = v
        self._emit()

    def _recv_co(self, v):
        self._el.cols['Cout'][self._idx] = v
        self._emit()


__all__ = ['ChanBase', 'HHChannelBase', 'HHChannel', 'HHGate', 'HHChannel2D', 'HHGate2D',
           'CaConcBase', 'CaConc', 'Nernst', 'gate_lookup']
