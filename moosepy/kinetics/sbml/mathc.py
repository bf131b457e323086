"""SBML math: libsbml ASTs to expression trees to op-code programs.

libsbml parses MathML into an ``ASTNode`` tree; :func:`from_ast` turns it
into a small tuple tree that the model builder can inspect (names used,
``delay`` and ``rateOf`` calls) and rewrite (function definitions inlined,
local parameters renamed).  :func:`compile_tree` turns a tuple tree into the
postfix op codes of :mod:`moosepy.kinetics.expr`, which the numba evaluator
runs; names become slots of the model's value vector.

Tuple tree nodes::

    ('c', value)            number
    ('v', name)             symbol (SBML id, or an internal slot name)
    ('t',)                  simulation time
    ('op', name, [args])    operator or function (names below)
    ('delay', expr, tau)    value of expr at t - tau
    ('rateof', name)        time derivative of a symbol
"""

import math

import libsbml

from ...core.errors import ModelImportError
from .. import expr as E

A = libsbml

_UNARY = {
    A.AST_FUNCTION_ABS: 'abs', A.AST_FUNCTION_ARCCOS: 'acos', A.AST_FUNCTION_ARCSIN: 'asin',
    A.AST_FUNCTION_ARCTAN: 'atan', A.AST_FUNCTION_CEILING: 'ceil', A.AST_FUNCTION_COS: 'cos',
    A.AST_FUNCTION_COSH: 'cosh', A.AST_FUNCTION_EXP: 'exp', A.AST_FUNCTION_FLOOR: 'floor',
    A.AST_FUNCTION_LN: 'log', A.AST_FUNCTION_SIN: 'sin', A.AST_FUNCTION_SINH: 'sinh',
    A.AST_FUNCTION_TAN: 'tan', A.AST_FUNCTION_TANH: 'tanh', A.AST_FUNCTION_FACTORIAL: 'fact',
    A.AST_LOGICAL_NOT: 'not',
}
_REL = {A.AST_RELATIONAL_EQ: 'eq', A.AST_RELATIONAL_NEQ: 'ne', A.AST_RELATIONAL_LT: 'lt',
        A.AST_RELATIONAL_LEQ: 'le', A.AST_RELATIONAL_GT: 'gt', A.AST_RELATIONAL_GEQ: 'ge'}


def C(x):
    return ('c', float(x))


def op(name, *args):
    return ('op', name, list(args))


class MathError(ModelImportError):
    pass


def from_ast(node, where):
    """Tuple tree of a libsbml ASTNode; *where* names the SBML element for
    error messages."""
    if node is None:
        raise MathError(f'{where}: missing math')
    t = node.getType()
    n = node.getNumChildren()
    kids = [from_ast(node.getChild(i), where) for i in range(n)]
    if t in (A.AST_INTEGER,):
        return C(node.getInteger())
    if t in (A.AST_REAL, A.AST_REAL_E, A.AST_RATIONAL):
        return C(node.getReal())
    if t == A.AST_CONSTANT_E:
        return C(math.e)
    if t == A.AST_CONSTANT_PI:
        return C(math.pi)
    if t == A.AST_CONSTANT_TRUE:
        return C(1.0)
    if t == A.AST_CONSTANT_FALSE:
        return C(0.0)
    if t == A.AST_NAME_TIME:
        return ('t',)
    if t == A.AST_NAME_AVOGADRO:
        return C(6.02214179e23)   # the value SBML L3 fixes for csymbol avogadro
    if t == A.AST_NAME:
        return ('v', node.getName())
    if t == A.AST_PLUS:
        if n == 0:
            return C(0)
        return _chain('+', kids)
    if t == A.AST_TIMES:
        if n == 0:
            return C(1)
        return _chain('*', kids)
    if t == A.AST_MINUS:
        if n == 1:
            return op('neg', kids[0])
        _need(n, 2, node, where)
        return op('-', *kids)
    if t == A.AST_DIVIDE:
        _need(n, 2, node, where)
        return op('/', *kids)
    if t in (A.AST_POWER, A.AST_FUNCTION_POWER):
        _need(n, 2, node, where)
        return op('^', *kids)
    if t == A.AST_FUNCTION_ROOT:
        if n == 1:
            return op('sqrt', kids[0])
        _need(n, 2, node, where)
        deg, x = kids
        if deg == C(2):
            return op('sqrt', x)
        return op('^', x, op('/', C(1), deg))
    if t == A.AST_FUNCTION_LOG:
        if n == 1:
            return op('log10', kids[0])
        _need(n, 2, node, where)
        base, x = kids
        if base == C(10):
            return op('log10', x)
        return op('/', op('log', x), op('log', base))
    if t in _UNARY:
        _need(n, 1, node, where)
        return op(_UNARY[t], kids[0])
    if t == A.AST_FUNCTION_SEC:
        return op('/', C(1), op('cos', *kids))
    if t == A.AST_FUNCTION_CSC:
        return op('/', C(1), op('sin', *kids))
    if t == A.AST_FUNCTION_COT:
        return op('/', op('cos', *kids), op('sin', *kids))
    if t == A.AST_FUNCTION_SECH:
        return op('/', C(1), op('cosh', *kids))
    if t == A.AST_FUNCTION_CSCH:
        return op('/', C(1), op('sinh', *kids))
    if t == A.AST_FUNCTION_COTH:
        return op('/', op('cosh', *kids), op('sinh', *kids))
    if t == A.AST_FUNCTION_ARCSEC:
        return op('acos', op('/', C(1), *kids))
    if t == A.AST_FUNCTION_ARCCSC:
        return op('asin', op('/', C(1), *kids))
    if t == A.AST_FUNCTION_ARCCOT:
        return op('atan', op('/', C(1), *kids))
    if t == A.AST_FUNCTION_ARCSINH:
        x = kids[0]
        return op('log', op('+', x, op('sqrt', op('+', op('*', x, x), C(1)))))
    if t == A.AST_FUNCTION_ARCCOSH:
        x = kids[0]
        return op('log', op('+', x, op('sqrt', op('-', op('*', x, x), C(1)))))
    if t == A.AST_FUNCTION_ARCTANH:
        x = kids[0]
        return op('*', C(0.5), op('log', op('/', op('+', C(1), x), op('-', C(1), x))))
    if t == A.AST_FUNCTION_ARCCOTH:
        x = kids[0]
        return op('*', C(0.5), op('log', op('/', op('+', x, C(1)), op('-', x, C(1)))))
    if t == A.AST_FUNCTION_ARCSECH:
        x = kids[0]
        return op('log', op('/', op('+', C(1), op('sqrt', op('-', C(1), op('*', x, x)))), x))
    if t == A.AST_FUNCTION_ARCCSCH:
        x = kids[0]
        return op('log', op('+', op('/', C(1), x),
                             op('sqrt', op('+', C(1), op('/', C(1), op('*', x, x))))))
    if t == A.AST_FUNCTION_QUOTIENT:
        _need(n, 2, node, where)
        q = op('/', *kids)
        return op('if', op('ge', q, C(0)), op('floor', q), op('ceil', q))
    if t == A.AST_FUNCTION_REM:
        _need(n, 2, node, where)
        return op('fmod', *kids)
    if t in (A.AST_FUNCTION_MAX, A.AST_FUNCTION_MIN):
        if n == 0:
            raise MathError(f'{where}: max/min need at least one argument')
        return _chain('max' if t == A.AST_FUNCTION_MAX else 'min', kids)
    if t in _REL:
        if n < 2:
            return C(1)
        pairs = [op(_REL[t], kids[i], kids[i + 1]) for i in range(n - 1)]
        return _chain('and', pairs)
    if t == A.AST_LOGICAL_AND:
        return C(1) if n == 0 else _chain('and', [_bool(k) for k in kids])
    if t == A.AST_LOGICAL_OR:
        return C(0) if n == 0 else _chain('or', [_bool(k) for k in kids])
    if t == A.AST_LOGICAL_XOR:
        if n == 0:
            return C(0)
        acc = _bool(kids[0])
        for k in kids[1:]:
            acc = op('ne', acc, _bool(k))
        return acc
    if t == A.AST_LOGICAL_IMPLIES:
        _need(n, 2, node, where)
        return op('or', op('not', kids[0]), kids[1])
    if t == A.AST_FUNCTION_PIECEWISE:
        if n % 2 == 1:
            acc = kids[-1]
            pairs = kids[:-1]
        else:
            acc = C(math.nan)
            pairs = kids
        for i in range(len(pairs) - 2, -1, -2):
            acc = op('if', pairs[i + 1], pairs[i], acc)
        return acc
    if t == A.AST_FUNCTION_DELAY:
        _need(n, 2, node, where)
        return ('delay', kids[0], kids[1])
    if t == A.AST_FUNCTION_RATE_OF:
        _need(n, 1, node, where)
        if kids[0][0] != 'v':
            raise MathError(f'{where}: rateOf() takes a symbol, got '
                            f'{libsbml.formulaToL3String(node)!r}')
        return ('rateof', kids[0][1])
    if t == A.AST_FUNCTION:
        return ('call', node.getName(), kids)
    if t == A.AST_LAMBDA:
        return ('lambda', [node.getChild(i).getName() for i in range(n - 1)], kids[-1])
    raise MathError(f'{where}: unsupported MathML construct '
                    f'{libsbml.formulaToL3String(node)!r} (AST type {t}); supported: '
                    f'arithmetic, relational and logical operators, piecewise, the '
                    f'elementary functions, delay, rateOf, time, avogadro')


def _bool(x):
    return x


def _need(n, k, node, where):
    if n != k:
        raise MathError(f'{where}: {libsbml.formulaToL3String(node)!r} needs {k} '
                        f'argument(s), got {n}')


def _chain(name, kids):
    acc = kids[0]
    for k in kids[1:]:
        acc = op(name, acc, k)
    return acc


# ---------------------------------------------------------------- rewriting
def names(tree, out=None):
    """Set of symbol names read by *tree* (not inside delay's first argument
    is not distinguished: delay reads the history of those names)."""
    if out is None:
        out = set()
    k = tree[0]
    if k == 'v':
        out.add(tree[1])
    elif k == 'op':
        for a in tree[2]:
            names(a, out)
    elif k == 'delay':
        names(tree[1], out)
        names(tree[2], out)
    elif k == 'rateof':
        out.add(('rateof', tree[1]))
    elif k == 'call':
        for a in tree[2]:
            names(a, out)
    return out


def substitute(tree, mapping):
    """Replace ('v', name) leaves by mapping[name] (trees)."""
    k = tree[0]
    if k == 'v':
        return mapping.get(tree[1], tree)
    if k == 'op':
        return ('op', tree[1], [substitute(a, mapping) for a in tree[2]])
    if k == 'delay':
        return ('delay', substitute(tree[1], mapping), substitute(tree[2], mapping))
    if k == 'call':
        return ('call', tree[1], [substitute(a, mapping) for a in tree[2]])
    if k == 'rateof' and tree[1] in mapping:
        m = mapping[tree[1]]
        if m[0] == 'v':
            return ('rateof', m[1])
    return tree


def inline_calls(tree, funcs, where, depth=0):
    """Inline calls of SBML function definitions (*funcs*: id -> (args, body))."""
    k = tree[0]
    if k == 'call':
        name = tree[1]
        if name not in funcs:
            raise MathError(f'{where}: call of unknown function {name!r}; defined: '
                            f'{", ".join(sorted(funcs)) or "none"}')
        if depth > 50:
            raise MathError(f'{where}: function {name!r} calls itself (recursion)')
        params, body = funcs[name]
        args = [inline_calls(a, funcs, where, depth) for a in tree[2]]
        if len(args) != len(params):
            raise MathError(f'{where}: function {name!r} takes {len(params)} argument(s), '
                            f'got {len(args)}')
        body = substitute(body, dict(zip(params, args)))
        return inline_calls(body, funcs, where, depth + 1)
    if k == 'op':
        return ('op', tree[1], [inline_calls(a, funcs, where, depth) for a in tree[2]])
    if k == 'delay':
        return ('delay', inline_calls(tree[1], funcs, where, depth),
                inline_calls(tree[2], funcs, where, depth))
    return tree


# ---------------------------------------------------------------- compiling
_BIN = {'+': E.ADD, '-': E.SUB, '*': E.MUL, '/': E.DIV, '^': E.POW, 'lt': E.LT, 'le': E.LE,
        'gt': E.GT, 'ge': E.GE, 'eq': E.EQ, 'ne': E.NE, 'and': E.AND, 'or': E.OR,
        'min': 51, 'max': 52, 'atan2': 53, 'fmod': 54}
_UN = dict(E.UNARY)
_UN['fact'] = E.FACT
_UN['neg'] = E.NEG
_UN['not'] = E.NOT


class Code:
    """Accumulates op-code programs in shared arrays."""

    def __init__(self):
        self.code, self.args, self.consts = [], [], []
        self._cidx = {}

    def const(self, x):
        key = repr(float(x))
        i = self._cidx.get(key)
        if i is None:
            i = len(self.consts)
            self.consts.append(float(x))
            self._cidx[key] = i
        return i

    def add(self, tree, slot_of):
        """Append the program of *tree*; return (start, end, max stack depth).
        *slot_of(name)* gives the value slot of a symbol or of an internal
        node ('rateof', name) / ('delay', k)."""
        start = len(self.code)
        depth = self._emit(tree, slot_of, 0)
        return start, len(self.code), depth

    def _emit(self, tree, slot_of, sp):
        k = tree[0]
        if k == 'c':
            self.code.append(E.CONST)
            self.args.append(self.const(tree[1]))
            return sp + 1
        if k == 'v':
            self.code.append(E.VAR)
            self.args.append(slot_of(tree[1]))
            return sp + 1
        if k == 't':
            self.code.append(E.TIME)
            self.args.append(0)
            return sp + 1
        if k in ('rateof', 'delay_slot'):
            self.code.append(E.VAR)
            self.args.append(slot_of(tree))
            return sp + 1
        if k == 'op':
            name, kids = tree[1], tree[2]
            m = sp
            for i, a in enumerate(kids):
                m = max(m, self._emit(a, slot_of, sp + i))
            if name == 'if':
                self.code.append(E.IF)
            elif name in _BIN:
                self.code.append(_BIN[name])
            elif name in _UN:
                self.code.append(_UN[name])
            else:
                raise ModelImportError(f'internal: unknown operator {name!r}')
            self.args.append(0)
            return max(m, sp + len(kids))
        raise ModelImportError(f'internal: cannot compile node {tree!r}')
