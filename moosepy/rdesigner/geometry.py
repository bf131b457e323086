"""Geometry expressions and the cell's segment tree, for rdesigner's
distributions (passiveDistrib, chanDistrib, spineDistrib), selections
(plots, stimuli, chemical meshes) and stimulus expressions.

What this module owns
---------------------
* :class:`Expr`: a parsed expression of MOOSE's ExprTk-style language
  (numbers, variables, ``+ - * / % ^``, comparisons, ``&& || !``, the C
  ternary ``c ? a : b``, ``if(c, a, b)``, the functions below and ``H(x)``,
  the Heaviside step).  Text is tokenised and parsed by a small
  recursive-descent parser into a tree of tuples, then evaluated with numpy
  over all compartments at once.  Nothing is handed to Python's ``eval``.
  An unknown variable or function, or a syntax error, raises
  :class:`ExprError` naming the expression, the place and what is valid.
* :class:`CellGeometry`: the variables of a cell's compartments as MOOSE's
  ``Neuron`` computes them at ``buildSegmentTree`` (its first compartment is
  the root of the distance tree; see the docstring).
* :func:`select`: compartments of a cell matching a wildcard path and an
  expression (MOOSE's ``compartmentsFromExpression``).

Units: lengths in metres, L in length constants.
"""

import math
import re

import numpy as np

from ..core.element import one_entry_table
from ..core.errors import MooseError


def suggest(name, valid):
    """"; did you mean 'x'?" for a close name (looser than difflib's default
    for the short names of specs: 'RN' -> 'RM')."""
    import difflib
    valid = [str(v) for v in valid]
    low = {v.lower(): v for v in valid}
    if str(name).lower() in low:
        return f"; did you mean '{low[str(name).lower()]}'?"
    close = difflib.get_close_matches(str(name), valid, n=5, cutoff=0.5)
    if not close:
        return ''
    # among close names prefer one with the same first letter ('Vn' -> 'Vm')
    same = [c for c in close if c[:1] == str(name)[:1]]
    return f"; did you mean '{(same or close)[0]}'?"


#: the variables of a geometry expression, in MOOSE's order
GEOM_VARS = ('p', 'g', 'L', 'len', 'dia', 'maxP', 'maxG', 'maxL', 'x', 'y', 'z', 'oldVal')
CONSTANTS = {'pi': math.pi, 'epsilon': np.finfo(float).eps, 'inf': math.inf}

_UNARY = {'sin': np.sin, 'cos': np.cos, 'tan': np.tan, 'asin': np.arcsin, 'acos': np.arccos,
          'atan': np.arctan, 'sinh': np.sinh, 'cosh': np.cosh, 'tanh': np.tanh, 'exp': np.exp,
          'log': np.log, 'ln': np.log, 'log10': np.log10, 'log2': np.log2, 'sqrt': np.sqrt,
          'abs': np.abs, 'fabs': np.abs, 'floor': np.floor, 'ceil': np.ceil, 'sgn': np.sign,
          'round': np.round, 'H': lambda a: (a > 0).astype(float)}
_BINARY = {'pow': np.power, 'atan2': np.arctan2, 'fmod': np.fmod}
_VARIADIC = {'min': np.minimum, 'max': np.maximum}
FUNCTIONS = tuple(sorted(list(_UNARY) + list(_BINARY) + list(_VARIADIC) + ['if']))

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?) |
    (?P<name>[A-Za-z_][A-Za-z_0-9]*) |
    (?P<op>\*\*|&&|\|\||<=|>=|==|!=|[-+*/%^()<>=!?:,])
)""", re.VERBOSE)
_MAX_DEPTH = 200


_POW10 = [float('1e%d' % k) for k in range(309)]     # C's literals 1.0E+k (exact rounding)


def _exprtk_pow10(d, e):
    """d·10^e the way ExprTK's compute_pow10 does it (one multiplication or
    division by a correctly rounded power of ten)."""
    if e >= -307:
        if abs(e) < len(_POW10):
            return d * _POW10[e] if e > 0 else d / _POW10[-e]
        return d * 10.0 ** (10.0 * e)
    return (d / _POW10[307]) / _POW10[-e - 307]


def exprtk_number(text):
    """The double that MOOSE's expression parser (ExprTK's string_to_real)
    makes of an unsigned decimal literal *text*: the digits before the
    point accumulated as d·10 + digit, the digits after it accumulated the
    same way into an integer n and added as n / 10^(number of digits), then
    the whole scaled by the exponent with one multiplication or division
    by 10^|e|.  This is not always the correctly rounded value that
    Python's float() gives: '0.1e-6' is 0.1 / 1e6 = 1.0000000000000001e-07,
    not 1e-07, and MOOSE's spine placement (a bin count from length /
    minSpacing) depends on that last bit.  Returns None for a literal
    ExprTK refuses (an exponent, or a count of digits after the point,
    beyond ±308)."""
    mant, _, ex = text.lower().partition('e')
    ip, _, fp = mant.partition('.')
    d = 0.0
    for ch in ip:
        d = d * 10.0 + (ord(ch) - 48)
    if len(fp) > 308:
        return None
    if fp:
        t = 0.0
        for ch in fp:
            t = t * 10.0 + (ord(ch) - 48)
        d += _exprtk_pow10(t, -len(fp))
    if ex:
        e = int(ex)
        if abs(e) > 308:
            return None
        if e:
            d = _exprtk_pow10(d, e)
    return d


class ExprError(MooseError, ValueError):
    """An expression that cannot be parsed or names something unknown."""


class Expr:
    """A parsed expression.

    Parameters
    ----------
    text : str or number
        The expression; a number is taken as a constant expression.
    variables : sequence of str
        The names it may use (default: the geometry variables).
    where : str
        Said in error messages (e.g. ``"chanDistrib[2] 'Gbar' expression"``).
    """

    def __init__(self, text, variables=GEOM_VARS, where='expression'):
        if isinstance(text, bool) or not isinstance(text, (str, int, float, np.number)):
            raise ExprError(f'{where}: expected an expression (a string or a number), got '
                            f'{type(text).__name__} {text!r}')
        self.text = str(text) if isinstance(text, str) else repr(float(text))
        # a number given as a number keeps its exact value; a number
        # written in the text is read as MOOSE's parser (ExprTK) reads it
        self._exact = not isinstance(text, str)
        self.variables = tuple(variables)
        self.where = where
        self.used = set()
        self._toks = self._tokenise(self.text)
        self._pos = 0
        self._depth = 0
        if not self._toks:
            self._error('empty expression')
        self.tree = self._ternary()
        if self._pos != len(self._toks):
            self._error(f"unexpected '{self._toks[self._pos][1]}' after a complete expression")

    # ---------------------------------------------------------------- parsing
    def _error(self, msg):
        raise ExprError(f'{self.where}: cannot parse {self.text!r}: {msg}')

    def _tokenise(self, text):
        toks, pos = [], 0
        text = text.strip().rstrip(';')
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if not text[pos:].strip():
                    break
                self._error(f'unexpected character {text[pos]!r} at position {pos}')
            toks.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
        return toks

    def _peek(self):
        return self._toks[self._pos][1] if self._pos < len(self._toks) else None

    def _take(self, want=None):
        if self._pos >= len(self._toks):
            self._error('unexpected end of expression' + (f" (expected '{want}')" if want else ''))
        tok = self._toks[self._pos]
        if want is not None and tok[1] != want:
            self._error(f"expected '{want}', found '{tok[1]}'")
        self._pos += 1
        return tok

    def _enter(self):
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            self._error(f'nested deeper than {_MAX_DEPTH} levels')

    def _ternary(self):
        self._enter()
        c = self._or()
        if self._peek() == '?':
            self._take('?')
            a = self._ternary()
            self._take(':')
            b = self._ternary()
            c = ('if', c, a, b)
        self._depth -= 1
        return c

    def _or(self):
        a = self._and()
        while self._peek() in ('||', 'or'):
            self._take()
            a = ('or', a, self._and())
        return a

    def _and(self):
        a = self._cmp()
        while self._peek() in ('&&', 'and'):
            self._take()
            a = ('and', a, self._cmp())
        return a

    def _cmp(self):
        a = self._add()
        while self._peek() in ('<', '<=', '>', '>=', '==', '!=', '='):
            op = self._take()[1]
            a = ('==' if op == '=' else op, a, self._add())
        return a

    def _add(self):
        a = self._mul()
        while self._peek() in ('+', '-'):
            op = self._take()[1]
            a = (op, a, self._mul())
        return a

    def _mul(self):
        a = self._unary()
        while self._peek() in ('*', '/', '%'):
            op = self._take()[1]
            a = (op, a, self._unary())
        return a

    def _unary(self):
        op = self._peek()
        if op in ('-', '+', '!', 'not'):
            self._take()
            self._enter()
            a = self._unary()
            self._depth -= 1
            return a if op == '+' else (('neg' if op == '-' else 'not'), a)
        return self._power()

    def _power(self):
        a = self._primary()
        if self._peek() in ('^', '**'):
            self._take()
            self._enter()
            b = self._unary()       # right associative
            self._depth -= 1
            a = ('^', a, b)
        return a

    def _primary(self):
        kind, val = self._take()
        if kind == 'num':
            if self._exact:
                return ('const', float(val))
            v = exprtk_number(val)
            if v is None:
                self._error(f'invalid number {val!r} (exponent beyond ±308)')
            return ('const', v)
        if val == '(':
            a = self._ternary()
            self._take(')')
            return a
        if kind == 'name':
            if self._peek() == '(':
                return self._call(val)
            if val in self.variables:
                self.used.add(val)
                return ('var', val)
            if val in CONSTANTS:
                return ('const', CONSTANTS[val])
            valid = ', '.join(list(self.variables) + list(CONSTANTS))
            self._error(f"unknown variable '{val}'{suggest(val, self.variables)}; valid "
                        f"variables: {valid}")
        self._error(f"unexpected '{val}'")

    def _call(self, fname):
        self._take('(')
        args = []
        if self._peek() != ')':
            args.append(self._ternary())
            while self._peek() == ',':
                self._take(',')
                args.append(self._ternary())
        self._take(')')
        n = len(args)
        if fname in _UNARY:
            if n != 1:
                self._error(f'{fname}() takes 1 argument, got {n}')
            return ('f1', fname, args[0])
        if fname in _BINARY:
            if n != 2:
                self._error(f'{fname}() takes 2 arguments, got {n}')
            return ('f2', fname, args[0], args[1])
        if fname in _VARIADIC:
            if n < 1:
                self._error(f'{fname}() needs at least 1 argument')
            return ('fn', fname, args)
        if fname == 'if':
            if n != 3:
                self._error(f'if() takes 3 arguments, got {n}')
            return ('if', args[0], args[1], args[2])
        self._error(f"unknown function '{fname}'{suggest(fname, FUNCTIONS)}; valid: "
                    f"{', '.join(FUNCTIONS)}")

    # ------------------------------------------------------------- evaluation
    def __call__(self, values=None, n=None):
        """Evaluate over arrays.  *values* maps variable names to arrays (or
        scalars); the result is a float array broadcast over them (length
        *n* when given)."""
        values = values or {}
        with np.errstate(all='ignore'):
            out = self._eval(self.tree, values)
        out = np.asarray(out, dtype=float)
        if n is not None:
            out = np.broadcast_to(out, (n,)).astype(float)
        return out

    def scalar(self, **values):
        return float(self(values))

    @staticmethod
    def _children(node):
        op = node[0]
        if op in ('neg', 'not'):
            return (node[1],)
        if op == 'if':
            return node[1:4]
        if op == 'f1':
            return (node[2],)
        if op == 'f2':
            return node[2:4]
        if op == 'fn':
            return node[2]
        return node[1:3]

    def _eval(self, root, v):
        """The tree's value, post-order with an explicit stack: a chain of
        n binary operators ('1+1+...', which the parser reads in a loop) is
        a tree n deep, so recursion would stop at Python's limit."""
        stack, out = [(root, False)], []
        while stack:
            node, ready = stack.pop()
            op = node[0]
            if op == 'const':
                out.append(node[1])
            elif op == 'var':
                out.append(np.asarray(v.get(node[1], 0.0), dtype=float))
            elif not ready:
                stack.append((node, True))
                stack.extend((c, False) for c in reversed(self._children(node)))
            else:
                k = len(self._children(node))
                args = out[-k:]
                del out[-k:]
                out.append(self._apply(node, args))
        return out[0]

    @staticmethod
    def _apply(node, args):
        """One node's value from its children's values *args*."""
        op = node[0]
        if op == 'neg':
            return -args[0]
        if op == 'not':
            # (np.asarray: a constant operand is a Python float, whose
            # comparison is a bool without astype)
            return (np.asarray(args[0]) == 0).astype(float)
        if op == 'if':
            return np.where(np.asarray(args[0]) != 0, args[1], args[2])
        if op == 'f1':
            return _UNARY[node[1]](np.asarray(args[0], dtype=float))
        if op == 'f2':
            return _BINARY[node[1]](args[0], args[1])
        if op == 'fn':
            out = np.asarray(args[0], dtype=float)
            for b in args[1:]:
                out = _VARIADIC[node[1]](out, b)
            return out
        a = np.asarray(args[0], dtype=float)
        b = np.asarray(args[1], dtype=float)
        if op == '+':
            return a + b
        if op == '-':
            return a - b
        if op == '*':
            return a * b
        if op == '/':
            return a / b
        if op == '%':
            return np.fmod(a, b)
        if op == '^':
            return np.power(a, b)
        if op == 'and':
            return ((a != 0) & (b != 0)).astype(float)
        if op == 'or':
            return ((a != 0) | (b != 0)).astype(float)
        return {'<': np.less, '<=': np.less_equal, '>': np.greater, '>=': np.greater_equal,
                '==': np.equal, '!=': np.not_equal}[op](a, b).astype(float)

    def __repr__(self):
        return f'Expr({self.text!r})'


# ========================================================== the segment tree
_COMPT_BASE = []


def _is_compartment(el):
    if not _COMPT_BASE:
        from ..electrical.compartment import CompartmentBase
        _COMPT_BASE.append(CompartmentBase)
    return issubclass(el.cls, _COMPT_BASE[0])


def comp_parent_map(comps):
    """{id(child element): parent element} from the axial messages among
    *comps* (elements)."""
    ids = {id(e) for e in comps}
    parent = {}
    for e in comps:
        # (the messages e sends: links(e, port) less its lists)
        outs = e.msg_out
        for port in ('axial', 'distal'):
            for m in outs:
                if m.srcField == port:
                    k = id(m.el2)
                    if k in ids and k not in parent:
                        parent[k] = e
    return parent


class CellGeometry:
    """The geometry variables of a cell's compartments, as MOOSE's Neuron
    computes them when its segment tree is built.

    The compartments are the cell's direct children of a compartment class,
    in creation order.  The soma is the last one whose name contains
    'soma', 'Soma' or 'SOMA' (else the first of largest diameter).  As in
    MOOSE the distances run from the *first* compartment (normally the
    soma): ``g`` is the straight distance between distal ends; ``p`` adds,
    for each child, the distance between its distal end and its parent's;
    ``L`` adds sqrt(Ra/Rm) of each child.  A compartment added later (a
    spine) has g = |x0 - soma x0| (proximal ends), p = g and L = 2000 g.
    *exclude*: compartment elements left out of the tree (the spines a
    Neuron placed after its segment tree was built).
    """

    def __init__(self, cell, exclude=()):
        from ..core.shell import element
        self.cell = element(cell)
        el = self.cell._element()
        skip = {id(e) for e in exclude}
        comps = [c for c in el.children.values() if _is_compartment(c) and id(c) not in skip]
        self.comps = comps
        self.index = {id(c): k for k, c in enumerate(comps)}
        n = len(comps)
        self.soma = None
        # each compartment's fields as Python floats, read once (numpy
        # per compartment cost ~1.5 us a step)
        tab = one_entry_table(comps, ('diameter', 'length', 'Rm', 'Ra', 'x', 'y', 'z')).tolist()
        fat, maxdia = None, 0.0
        for c, t in zip(comps, tab):
            nm = c.name
            if 'soma' in nm or 'Soma' in nm or 'SOMA' in nm:
                self.soma = c
            if t[0] > maxdia:
                maxdia, fat = t[0], c
        if self.soma is None:
            self.soma = fat
        xyz = [t[4:] for t in tab]
        self.xyz = np.array(xyz, dtype=float).reshape(n, 3)
        self.seglen = np.zeros(n)
        self.g = np.linalg.norm(self.xyz - self.xyz[0], axis=1) if n else np.zeros(0)
        pmap = comp_parent_map(comps)
        kids = [[] for _ in range(n)]
        for k, c in enumerate(comps):
            pa = pmap.get(id(c))
            if pa is not None:
                kids[self.index[id(pa)]].append(k)
        p = [0.0] * n
        L = [0.0] * n
        seglen = [0.0] * n
        if n:
            dia, ln = tab[0][:2]
            seglen[0] = max(ln, dia)
            stack = [0]
            seen = {0}
            while stack:
                k = stack.pop()
                xk = xyz[k]
                for j in kids[k]:
                    if j in seen:
                        continue
                    seen.add(j)
                    xj = xyz[j]
                    dx, dy, dz = xj[0] - xk[0], xj[1] - xk[1], xj[2] - xk[2]
                    d = math.sqrt(dx * dx + dy * dy + dz * dz)    # as MOOSE's Vec
                    seglen[j] = d
                    p[j] = p[k] + d
                    rm, ra = tab[j][2:4]
                    L[j] = L[k] + (math.sqrt(ra / rm) if rm > 0 else 0.0)
                    stack.append(j)
        self.p = np.array(p, dtype=float)
        self.L = np.array(L, dtype=float)
        self.seglen = np.array(seglen, dtype=float)
        self.maxP = float(self.p.max()) if n else 0.0
        self.maxG = float(self.g.max()) if n else 0.0
        self.maxL = float(self.L.max()) if n else 0.0

    def copied_to(self, cell):
        """This geometry for *cell*, a copy (or the moved original) of the
        cell it was made for, made just now (a copy keeps every field and
        axial message): the same compartments by name and class, in the same
        order.  None when they differ (then make a new one)."""
        from ..core.shell import element
        el = element(cell)._element()
        kids = [c for c in el.children.values() if _is_compartment(c)]
        if len(kids) != len(self.comps) or any(
                k.name != c.name or k.cls is not c.cls for k, c in zip(kids, self.comps)):
            return None
        new = object.__new__(CellGeometry)
        new.__dict__.update(self.__dict__)
        new.cell = element(cell)
        new.comps = kids
        new.index = {id(c): k for k, c in enumerate(kids)}
        new.soma = kids[self.index[id(self.soma)]] if self.soma is not None else None
        for name in ('xyz', 'p', 'L', 'g', 'seglen'):
            setattr(new, name, getattr(self, name).copy())
        return new

    def values(self, elems):
        """Dict of variable arrays for compartment elements *elems*."""
        m = len(elems)
        out = {}
        t = one_entry_table(elems, ('length', 'diameter', 'x', 'y', 'z', 'x0', 'y0', 'z0'))
        ks = [self.index.get(id(e), -1) for e in elems]
        kk = np.array(ks, dtype=np.int64)
        known = kk >= 0
        p, g, L = np.zeros(m), np.zeros(m), np.zeros(m)
        p[known], g[known], L[known] = self.p[kk[known]], self.g[kk[known]], self.L[kk[known]]
        if not known.all():
            # added after the tree (spines): from the soma's proximal end
            sx0 = np.array([float(self.soma.cols[f][0]) for f in ('x0', 'y0', 'z0')]) \
                if self.soma is not None else np.zeros(3)
            for i in np.nonzero(~known)[0]:
                d = float(np.linalg.norm(sx0 - t[i, 5:8]))
                p[i], g[i], L[i] = d, d, d * 2e3
        out['p'], out['g'], out['L'] = p, g, L
        out['len'], out['dia'] = t[:, 0].copy(), t[:, 1].copy()
        out['x'], out['y'], out['z'] = t[:, 2].copy(), t[:, 3].copy(), t[:, 4].copy()
        out['maxP'] = np.full(m, self.maxP)
        out['maxG'] = np.full(m, self.maxG)
        out['maxL'] = np.full(m, self.maxL)
        out['oldVal'] = np.zeros(m)
        return {k: out[k] for k in GEOM_VARS}


def match_path(cell, path):
    """Elements under *cell* matching a MOOSE wildcard *path* relative to
    the cell (',' joins alternatives), in creation order."""
    from ..core.shell import wildcardFind, getCwe, setCwe
    el = cell._element()
    pats = [q.strip() for q in str(path).split(',') if q.strip()]
    simple = all('/' not in q and '[' not in q and '##' not in q for q in pats)
    if simple:
        kids = el.children
        if '#' in pats or '##' in pats:
            return list(kids.values())
        if not any(ch in q for q in pats for ch in '#*?'):
            # plain names: looked up, not matched against every child
            want = {q for q in pats if q in kids}
            return [c for nm, c in kids.items() if nm in want]
        if not any('?' in q for q in pats):
            from ..core.shell import star_match
            return [c for nm, c in kids.items() if any(star_match(nm, q) for q in pats)]
        import fnmatch
        import re
        rx = re.compile('|'.join(fnmatch.translate(q.replace('#', '*')) for q in pats))
        return [c for nm, c in kids.items() if rx.match(nm)]
    old = getCwe()
    setCwe(cell)
    try:
        found = {id(h._element()): h._element() for h in wildcardFind(str(path))}
    finally:
        setCwe(old)
    order = {id(e): k for k, e in enumerate(el.walk())}
    return sorted(found.values(), key=lambda e: order.get(id(e), 1 << 60))


def select(geom, path, expr, where='selection', with_values=True):
    """(compartment elements, values, variable dict) of the compartments of
    the cell matching *path* where *expr* (an :class:`Expr` or text) > 0.
    *with_values* False: the variable dict is empty, and not computed when
    *expr* uses no variable (a plot's or stimulus's '1')."""
    if not isinstance(expr, Expr):
        expr = Expr(expr, where=where)
    elems = [e for e in match_path(geom.cell, path) if _is_compartment(e)]
    if not with_values and not expr.used:
        v = expr(None, n=len(elems))
        keep = v > 0
        return [e for e, k in zip(elems, keep) if k], v[keep], {}
    vals = geom.values(elems)
    v = expr(vals, n=len(elems))
    keep = v > 0
    sel = [e for e, k in zip(elems, keep) if k]
    return sel, v[keep], {k: a[keep] for k, a in vals.items()}
