"""Formula-gated Hodgkin-Huxley channels (new in MOOSE 5.0): ``HHGateF``
with ``HHChannelF``, and ``HHGateF2D`` with ``HHChannelF2D``.

A formula gate holds no table: its rates are expressions (ExprTk syntax,
as in MOOSE) evaluated at the gate's input every step.  A gate is given
either ``alphaExpr`` and ``betaExpr`` (rates [1/s]) or ``tauExpr`` [s] and
``infExpr``; then ``A = alpha``, ``B = alpha + beta`` or ``A = inf/tau``,
``B = 1/tau``, and the state steps by exponential Euler as an HHChannel's,
``X <- X e^{-B dt} + (A/B)(1 - e^{-B dt})`` on the channel's tick (4).

Variables: ``v`` is the gate's input (Vm [V], or the concentration [mM]
received on ``concen`` for an HHChannelF Z gate with useConcentration);
for the 2-D gates ``v`` and ``c`` are the two inputs named by the
channel's ``Xindex``/``Yindex``/``Zindex`` (``c1``, ``c2`` are aliases).
``alpha``, ``beta``, ``tau``, ``inf`` and names introduced with ``:=``
(``~(alpha := ..., alpha < 3.8 ? 3.8 : alpha)`` or ``var a := ...; ...``)
are local variables.

Like MOOSE, a gate keeps two expression slots and a mode: setting
``alphaExpr``/``betaExpr`` selects the alpha/beta form, ``tauExpr``/
``infExpr`` the tau/inf form, and the fields of the other form then read
empty.  Unlike MOOSE, an expression that does not parse raises
``FieldError`` (MOOSE prints an error and keeps the old one).

How it runs: each expression is parsed once (by the project's expression
parser, :mod:`moosepy.kinetics.expr`) into postfix programs; at reinit a
channel element lays its gates' programs end to end and each step one numba
kernel call (:mod:`.fkernels`, the compiled evaluator of kinetics.expr)
evaluates the rates and steps the gates of all its entries.  Measured on a
squid soma (two HHChannelF, 20000 steps): the kernel takes 2-4 us per call,
the whole run about 2.3 s against 0.03 s in pymoose 5.0.0 (most of ours is
the per-object Python step of the compartment and channels, as for every
Python-stepped object).  ``A[v]``/``B[v]`` evaluate the programs with
numpy.  HSolve does not take these channels over (as
MOOSE's, which absorbs only HHChannel): beside a solver they read the
solved Vm and add their conductance to the compartment's next step.  At
reinit they start at their steady state at the compartment's initVm;
MOOSE's HSolve sends them no Vm at reinit, so there they start from their
steady state at 0 V (or at the last run's Vm) unless X, Y, Z are set before
reinit; with the states set, the traces equal pymoose's
(tests/electrical/test_formula_gates.py).
"""

import math
import re

import numpy as np

from ..core.element import Element, Neutral
from ..core.errors import FieldError, SolverError
from ..core.fields import Field, FieldElementField, LookupField, Dest, registry
from ..core.msg import links
from ..kinetics import expr as _expr
from .channels import ChanBase, HHChannelBase, _GATES, _INDEX, index_setter

# ------------------------------------------------------------- expressions
_NAME = re.compile(r'[A-Za-z_][A-Za-z_0-9]*')
_RESERVED = {'and', 'or', 'not', 'pi'}
_ASSIGN = re.compile(r'^\s*(?:var\s+)?([A-Za-z_][A-Za-z_0-9]*)\s*:=(.*)$', re.S)


def _split_top(text, seps):
    """Split *text* at the characters *seps* that are outside brackets."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
        if depth == 0 and ch in seps:
            out.append(''.join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append(''.join(cur))
    return [s for s in out if s.strip()]


def _statements(text):
    t = text.strip().rstrip(';').strip()
    if t.startswith('~'):
        body = t[1:].strip()
        if body[:1] in '({' and _closing(body) == len(body) - 1:
            return _split_top(body[1:-1], ',;')
    return _split_top(t, ';')


def _closing(s):
    depth = 0
    for k, ch in enumerate(s):
        if ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
            if depth == 0:
                return k
    return -1


class GateFormula:
    """One compiled gate expression: a list of (slot or None, program);
    the value is the last statement's.  Slots: 0 = v, 1 = c, 2..5 = alpha,
    beta, tau, inf, then local names."""

    BASE = ('v', 'c', 'alpha', 'beta', 'tau', 'inf')

    def __init__(self, text, where, aliases=None):
        self.text = text
        slots = {n: k for k, n in enumerate(self.BASE)}
        for a, b in (aliases or {}).items():
            slots[a] = slots[b]
        self.steps = []
        stmts = _statements(text)
        if not stmts:
            raise FieldError(f'{where}: empty expression')
        for st in stmts:
            m = _ASSIGN.match(st)
            target, body = (m.group(1), m.group(2)) if m else (None, st)
            if target is not None and target not in slots:
                slots[target] = len(slots)
            prog = _expr.parse(self._rename(body, slots, where, text), where)
            self.steps.append((None if target is None else slots[target], prog))
        self.nslots = max(slots.values()) + 1

    @staticmethod
    def _rename(body, slots, where, text):
        out, pos = [], 0
        for m in _NAME.finditer(body):
            name = m.group(0)
            # a name inside a number (1e5) or a function call is not a variable
            prev = body[m.start() - 1] if m.start() else ''
            if prev.isdigit() or prev == '.':
                continue
            rest = body[m.end():].lstrip()
            if rest.startswith('(') or name in _RESERVED:
                continue
            if name not in slots:
                valid = ', '.join(sorted(slots))
                raise FieldError(f'{where}: unknown variable {name!r} in {text!r}; valid: '
                                 f'{valid} (and names assigned with :=)')
            out.append(body[pos:m.start()])
            out.append(f'x{slots[name]}')
            pos = m.end()
        out.append(body[pos:])
        return ''.join(out)

    def __call__(self, v, c=0.0):
        """Value at inputs *v* and *c* (arrays of one shape, or scalars)."""
        v = np.asarray(v, dtype=float)
        shape = np.broadcast(v, np.asarray(c)).shape
        xs = [np.zeros(shape) for _ in range(self.nslots)]
        xs[0] = np.broadcast_to(v, shape).astype(float)
        xs[1] = np.broadcast_to(np.asarray(c, dtype=float), shape).astype(float)
        val = np.zeros(shape)
        with np.errstate(all='ignore'):
            for slot, prog in self.steps:
                val = _run(prog, xs, shape)
                if slot is not None:
                    xs[slot] = val
        return val


_UNARY_NP = {20: np.sin, 21: np.cos, 22: np.tan, 23: np.exp, 24: np.log, 25: np.log10,
             26: np.sqrt, 27: np.abs, 28: np.arcsin, 29: np.arccos, 30: np.arctan,
             31: np.sinh, 32: np.cosh, 33: np.tanh, 34: np.floor, 35: np.ceil,
             36: np.sign, 37: lambda x: np.floor(x + 0.5), 38: np.log2}
_BINARY_NP = {3: np.add, 4: np.subtract, 5: np.multiply, 6: np.divide, 7: np.power,
              8: np.fmod, 54: np.fmod, 51: np.minimum, 52: np.maximum, 53: np.arctan2,
              10: np.less, 11: np.less_equal, 12: np.greater, 13: np.greater_equal,
              14: np.equal, 15: np.not_equal}


def _run(prog, xs, shape):
    """Evaluate a postfix :class:`~moosepy.kinetics.expr.Program` with numpy
    arrays (one value per channel entry) instead of scalars."""
    st = []
    code, args, consts = prog.code, prog.args, prog.consts
    for k in range(len(code)):
        op = int(code[k])
        if op == 0:
            st.append(np.full(shape, consts[args[k]]))
        elif op == 1:
            st.append(xs[int(args[k])] if args[k] < len(xs) else np.zeros(shape))
        elif op == 2:
            st.append(np.zeros(shape))           # no time in a gate
        elif op == 9:
            st[-1] = -st[-1]
        elif op == 18:
            st[-1] = (st[-1] == 0.0).astype(float)
        elif op == 19:
            b = st.pop()
            a = st.pop()
            st[-1] = np.where(st[-1] != 0.0, a, b)
        elif op == 16 or op == 17:
            b = st.pop()
            a = st[-1]
            r = ((a != 0) & (b != 0)) if op == 16 else ((a != 0) | (b != 0))
            st[-1] = r.astype(float)
        elif op == 39:
            from scipy.special import gamma
            st[-1] = gamma(st[-1] + 1.0)
        elif op == 40:
            st.append(np.random.random(shape))
        elif op == 55:
            b = st.pop()
            a = st[-1]
            st[-1] = a + (b - a) * np.random.random(shape)
        elif op in _UNARY_NP:
            st[-1] = _UNARY_NP[op](st[-1])
        else:
            b = st.pop()
            st[-1] = np.asarray(_BINARY_NP[op](st[-1], b), dtype=float)
    return np.asarray(st[-1], dtype=float) if st else np.zeros(shape)


def gate_rates(d, v, c=0.0):
    """A, B [1/s] of a formula gate (its data dict) at inputs v (and c)."""
    f1, f2 = d['f1'], d['f2']
    if f1 is None or f2 is None:
        return None
    a, b = f1(v, c), f2(v, c)
    if d['tauinf']:
        with np.errstate(all='ignore'):
            return b / a, 1.0 / a
    return a, a + b


# ================================================================== gates
class HHGateF(Neutral):
    """Gate of an HHChannelF: rates from expressions in ``v`` (no table).
    Give ``alphaExpr`` and ``betaExpr`` [1/s], or ``tauExpr`` [s] and
    ``infExpr``; ``A[v]`` and ``B[v]`` read the rates at a value."""

    _aliases = {}

    alphaExpr = Field('', '', 'Forward rate alpha(v) [1/s] (with betaExpr)', type='string',
                      stored=False)
    betaExpr = Field('', '', 'Backward rate beta(v) [1/s] (with alphaExpr)', type='string',
                     stored=False)
    tauExpr = Field('', '', 'Time constant tau(v) [s] (with infExpr)', type='string',
                    stored=False)
    infExpr = Field('', '', 'Steady state inf(v) (with tauExpr)', type='string',
                    stored=False)
    A = LookupField('double', 'double', '1/s', 'alpha (or inf/tau) at a value of v')
    B = LookupField('double', 'double', '1/s', 'alpha + beta (or 1/tau) at a value of v')

    def __init_obj__(self):
        self._el.data.update(s1='', s2='', f1=None, f2=None, tauinf=False)

    @classmethod
    def _on_copy(cls, new, old):
        new.data.update({k: old.data[k] for k in ('s1', 's2', 'f1', 'f2', 'tauinf')
                         if k in old.data})

    def _slot(which, tauinf):
        key = 's1' if which == 1 else 's2'
        fkey = 'f1' if which == 1 else 'f2'

        def g(self):
            d = self._el.data
            return d[key] if d['tauinf'] == tauinf else ''

        def s(self, text):
            text = str(text)
            f = GateFormula(text, f'{self.path} ({self.className})', self._aliases) \
                if text.strip() else None
            d = self._el.data
            d[key], d[fkey], d['tauinf'] = text, f, tauinf
        return g, s

    _get_alphaExpr, _set_alphaExpr = _slot(1, False)
    _get_betaExpr, _set_betaExpr = _slot(2, False)
    _get_tauExpr, _set_tauExpr = _slot(1, True)
    _get_infExpr, _set_infExpr = _slot(2, True)
    del _slot

    def _rates(self, key):
        v = np.atleast_1d(np.asarray(key, dtype=float))
        r = gate_rates(self._el.data, v[0], v[1] if len(v) > 1 else 0.0)
        if r is None:
            raise FieldError(f'{self.path} ({self.className}): set alphaExpr and betaExpr, '
                             f'or tauExpr and infExpr, before reading A or B')
        return r

    def _lookup_A(self, v):
        return float(self._rates(v)[0])

    def _lookup_B(self, v):
        return float(self._rates(v)[1])


class HHGateF2D(HHGateF):
    """Gate of an HHChannelF2D: expressions in ``v`` and ``c`` (``c1``,
    ``c2`` are aliases); ``A[[v, c]]``, ``B[[v, c]]`` read the rates."""

    _aliases = {'c1': 'v', 'c2': 'c'}

    A = LookupField('vector<double>', 'double', '1/s', 'alpha (or inf/tau) at [v, c]')
    B = LookupField('vector<double>', 'double', '1/s', 'alpha + beta (or 1/tau) at [v, c]')


# =============================================================== channels
def _active(el, gclass):
    """[(letter, gate data, power column)] of the gates in use."""
    out = []
    for g in _GATES:
        pw = el.cols[g + 'power']
        if not np.any(pw > 0):
            continue
        ge = el.children.get('gate' + g)
        d = ge.data if ge is not None else None
        if d is None or d.get('f1') is None or d.get('f2') is None:
            raise SolverError(
                f'{el.path} ({el.cls.__name__}): {g}power = {pw.max()} but gate{g} has no '
                f'expressions (set alphaExpr and betaExpr, or tauExpr and infExpr, on '
                f'{el.path}/gate{g})')
        out.append((g, d, pw))
    return out


def _pack(gates):
    """The gates' expressions laid end to end for :func:`.fkernels.formula_step`."""
    code, args, consts = [], [], []
    st_start, st_end, st_slot, blk_first, blk_last = [], [], [], [], []
    nslots, depth = 6, 1
    for g, d, pw in gates:
        for f in (d['f1'], d['f2']):
            blk_first.append(len(st_start))
            nslots = max(nslots, f.nslots)
            for slot, prog in f.steps:
                c = np.asarray(prog.code, dtype=np.int64)
                a = np.asarray(prog.args, dtype=np.int64)
                # constants are addressed by index: shift into the joint table
                a = np.where(c == 0, a + len(consts), a)
                st_start.append(len(code))
                code.extend(c.tolist())
                args.extend(a.tolist())
                consts.extend(np.asarray(prog.consts, dtype=float).tolist())
                st_end.append(len(code))
                st_slot.append(-1 if slot is None else slot)
                depth = max(depth, prog.depth)
            blk_last.append(len(st_start))
    i64 = np.int64
    return dict(code=np.array(code, dtype=i64), args=np.array(args, dtype=i64),
                consts=np.array(consts, dtype=float), st_start=np.array(st_start, dtype=i64),
                st_end=np.array(st_end, dtype=i64), st_slot=np.array(st_slot, dtype=i64),
                blk_first=np.array(blk_first, dtype=i64),
                blk_last=np.array(blk_last, dtype=i64),
                tauinf=np.array([d['tauinf'] for g, d, pw in gates], dtype=np.bool_),
                xbuf=np.zeros(nslots), stack=np.zeros(depth + 2))


_BIT = {'X': 1, 'Y': 2, 'Z': 4}


def _key(gates):
    return tuple((g, id(d['f1']), id(d['f2']), d['tauinf']) for g, d, pw in gates)


class _FormulaChannel:
    """What HHChannelF and HHChannelF2D share: stepping with formula gates
    (one kernel call per channel element and step)."""

    @classmethod
    def _batch_role(cls, el):
        if not (links(el, 'channel') or links(el, 'Vm') or links(el, 'IkOut')):
            return 'idle'
        return 'python'

    @classmethod
    def _on_copy(cls, new, old):
        new.data.pop('net', None)
        for k in ('Gk', 'Ik', 'Gbar', 'Ek', 'X', 'Y', 'Z'):
            if k in new.cols:
                new.cols[k] = np.array(new.cols[k], dtype=float)

    @classmethod
    def _conc_at_reinit(cls, el):
        for port, col in (('concen', '_conc'), ('concen2', '_conc2')):
            if col not in el.cols:
                continue
            for other, oport, m, forward in links(el, port):
                a, b = m.pairs()
                mine, theirs = (a, b) if forward else (b, a)
                if 'Ca' in other.cols:
                    el.cols[col][mine] = other.cols['Ca'][theirs]

    @classmethod
    def _step(cls, el, vm, dt, reinit):
        """Gate states and Gk of every entry (one kernel call)."""
        from .fkernels import formula_step
        gates, comps, pack = el.data['net']
        n = el.num
        if not gates:
            gk = el.cols['Gbar'] * el.cols['modulation']
            el.cols['Gk'][:] = gk
            return gk
        if pack is None or pack[0] != _key(gates):
            pack = (_key(gates), _pack(gates))
            el.data['net'] = (gates, comps, pack)
        pk = pack[1]
        ng = len(gates)
        if pk.get('n') != n:
            pk.update(n=n, vin=np.empty((ng, n)), cin=np.empty((ng, n)),
                      state=np.empty((ng, n)), power=np.empty((ng, n)),
                      steady=np.empty((ng, n), dtype=np.bool_), gk=np.empty(n))
        vin, cin, state, power, steady, gk = (pk[k] for k in ('vin', 'cin', 'state', 'power',
                                                              'steady', 'gk'))
        inst = el.cols['instant'] if 'instant' in el.cols else None
        for q, (g, d, pw) in enumerate(gates):
            vin[q], cin[q] = cls._gate_inputs(el, g, vm)
            state[q] = el.cols[g]
            power[q] = pw
            if reinit:
                steady[q] = ~el.cols['_' + g.lower() + 'set']
            elif inst is None:
                steady[q] = False
            else:
                steady[q] = (inst & _BIT[g]) != 0
        g0 = el.cols['Gbar'] * el.cols['modulation']
        formula_step(pk['code'], pk['args'], pk['consts'], pk['st_start'], pk['st_end'],
                     pk['st_slot'], pk['blk_first'], pk['blk_last'], pk['tauinf'], vin, cin,
                     state, power, steady, g0, float(dt), pk['xbuf'], pk['stack'], gk)
        for q, (g, d, pw) in enumerate(gates):
            el.cols[g][:] = state[q]
        el.cols['Gk'][:] = gk
        return el.cols['Gk']

    @classmethod
    def _reinit(cls, el):
        gates = _active(el, None)
        comps = cls._compartments(el)
        el.data['net'] = (gates, comps, None)
        vm = cls._read_vm(el, comps)
        cls._conc_at_reinit(el)
        gk = cls._step(el, vm, 0.0, True)
        cls._send_current(el, comps, gk, vm)

    @classmethod
    def _process(cls, el, t, dt):
        if el.data.get('net') is None:
            cls._reinit(el)
        comps = el.data['net'][1]
        vm = cls._read_vm(el, comps)
        gk = cls._step(el, vm, dt, False)
        cls._send_current(el, comps, gk, vm)


class HHChannelF(_FormulaChannel, HHChannelBase):
    """Hodgkin-Huxley channel whose gates (``HHGateF``) evaluate rate
    formulas instead of looking up tables: ``Gk = Gbar modulation X^Xpower
    Y^Ypower Z^Zpower`` [S], each gate stepped by exponential Euler.  The Z
    gate reads the concentration [mM] received on ``concen`` when
    ``useConcentration`` is set."""

    gateX = FieldElementField('HHGateF', 'The X gate (made when Xpower > 0)')
    gateY = FieldElementField('HHGateF', 'The Y gate (made when Ypower > 0)')
    gateZ = FieldElementField('HHGateF', 'The Z gate (made when Zpower > 0)')

    def _gate_class(self):
        return registry['HHGateF']

    @classmethod
    def _gate_inputs(cls, el, g, vm):
        x = vm
        if g == 'Z' and np.any(el.cols['useConcentration'] != 0):
            x = np.where(el.cols['useConcentration'] != 0, el.cols['_conc'], vm)
        return x, 0.0


class HHChannelF2D(_FormulaChannel, ChanBase):
    """Hodgkin-Huxley channel with formula gates of two inputs
    (``HHGateF2D``); ``Xindex``/``Yindex``/``Zindex`` say which inputs
    become ``v`` and ``c``: VOLT_INDEX (v = Vm), C1_INDEX (v = concen),
    C2_INDEX (v = concen2), VOLT_C1_INDEX (v = Vm, c = concen),
    VOLT_C2_INDEX (v = Vm, c = concen2), C1_C2_INDEX (v = concen,
    c = concen2).  Unlike HHChannelF it has no X/Y/Z fields (as MOOSE's)."""

    Xpower = Field(0.0, '', 'Power of the X gate (> 0 creates gateX)', structural=True)
    Ypower = Field(0.0, '', 'Power of the Y gate (> 0 creates gateY)', structural=True)
    Zpower = Field(0.0, '', 'Power of the Z gate (> 0 creates gateZ)', structural=True)
    Xindex = Field('', '', 'Inputs of the X gate (see the class doc)', type='string')
    Yindex = Field('', '', 'Inputs of the Y gate', type='string')
    Zindex = Field('', '', 'Inputs of the Z gate', type='string')
    X = Field(0.0, '', hidden=True)
    Y = Field(0.0, '', hidden=True)
    Z = Field(0.0, '', hidden=True)
    _conc = Field(0.0, 'mM', hidden=True)
    _conc2 = Field(0.0, 'mM', hidden=True)
    _xset = Field(False, '', type='bool', hidden=True)
    _yset = Field(False, '', type='bool', hidden=True)
    _zset = Field(False, '', type='bool', hidden=True)
    gateX = FieldElementField('HHGateF2D', 'The X gate')
    gateY = FieldElementField('HHGateF2D', 'The Y gate')
    gateZ = FieldElementField('HHGateF2D', 'The Z gate')

    ports = (Dest('concen', 'double', 'Receives the first concentration [mM]'),
             Dest('concen2', 'double', 'Receives the second concentration [mM]'))

    def __init_obj__(self):
        # as MOOSE: the three gates exist from the start
        for g in _GATES:
            name = 'gate' + g
            if name not in self._el.children:
                ge = Element(name, self._el, registry['HHGateF2D'], 1)
                ge.is_field_element = True
                ge.handle(0).__init_obj__()

    def _recv_concen(self, v):
        self._el.cols['_conc'][self._idx] = v

    def _recv_concen2(self, v):
        self._el.cols['_conc2'][self._idx] = v

    def _power_setter(g):
        def s(self, v):
            if v < 0 or not math.isfinite(v):
                raise FieldError(f'{self.path} (HHChannelF2D).{g}power: expected a finite '
                                 f'value >= 0, got {v}')
            self._el.cols[g + 'power'][self._idx] = v
        return s

    _set_Xpower = _power_setter('X')
    _set_Ypower = _power_setter('Y')
    _set_Zpower = _power_setter('Z')
    del _power_setter

    _set_Xindex = index_setter('X')
    _set_Yindex = index_setter('Y')
    _set_Zindex = index_setter('Z')

    @classmethod
    def _gate_inputs(cls, el, g, vm):
        idx = el.cols[g + 'index']
        zero = np.zeros_like(vm)
        src = {'VOLT': vm, 'C1': el.cols['_conc'], 'C2': el.cols['_conc2']}
        v = np.zeros_like(vm)
        c = np.zeros_like(vm)
        for mode in set(idx.tolist()):
            names = (mode or 'VOLT_INDEX').replace('_INDEX', '').split('_')
            # one input (VOLT, C1 or C2) is v, as pymoose 5.0.0 binds it
            # (its documentation says c for C1/C2); c is then 0
            first = src[names[0]]
            second = src[names[1]] if len(names) == 2 else zero
            m = idx == mode
            v[m], c[m] = first[m], second[m]
        return v, c


__all__ = ['HHGateF', 'HHChannelF', 'HHGateF2D', 'HHChannelF2D', 'GateFormula',
           'gate_rates']
