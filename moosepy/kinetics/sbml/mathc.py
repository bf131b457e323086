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
    error messages.  Iterative (post-order over an explicit stack): no
    Python recursion, whatever the nesting depth."""
    if node is None:
        raise MathError(f'{where}: missing math')
    out = []
    stack = [(node, False)]
    while stack:
        nd, done = stack.pop()
        n = nd.getNumChildren()
        if done:
            kids = out[len(out) - n:] if n else []
            if n:
                del out[len(out) - n:]
            out.append(_convert(nd, nd.getType(), n, kids, where))
            continue
        stack.append((nd, True))
        for i in range(n - 1, -1, -1):
            stack.append((nd.getChild(i), False))
    return out[0]


def _convert(node, t, n, kids, where):
    """One AST node of type *t* with *n* children already converted (*kids*)."""
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
# All walks are iterative (explicit stacks): a tree may be 10^5 deep (a
# <plus> of 10^5 terms becomes a left-leaning chain) and Python's recursion
# limit is 1000.  Shared subtrees (function arguments used twice) are
# visited once (memo by id), so walks cost the size of the DAG.
_INNER = ('op', 'call', 'delay')


def _kids(t):
    k = t[0]
    if k == 'op' or k == 'call':
        return t[2]
    if k == 'delay':
        return (t[1], t[2])
    return ()


def transform(tree, leaf=None, post=None):
    """Rebuild *tree* bottom-up: leaves through ``leaf(t)`` (default: kept),
    inner nodes rebuilt from their new children and then passed through
    ``post(node)``.  A subtree shared in the input is rebuilt once."""
    memo = {}
    out = []
    stack = [(tree, False)]
    while stack:
        t, done = stack.pop()
        if t[0] not in _INNER:
            out.append(leaf(t) if leaf is not None else t)
            continue
        if done:
            n = len(_kids(t))
            new = out[len(out) - n:] if n else []
            if n:
                del out[len(out) - n:]
            k = t[0]
            r = ('delay', new[0], new[1]) if k == 'delay' else (k, t[1], new)
            if post is not None:
                r = post(r)
            memo[id(t)] = r
            out.append(r)
            continue
        m = memo.get(id(t))
        if m is not None:
            out.append(m)
            continue
        stack.append((t, True))
        ks = _kids(t)
        for i in range(len(ks) - 1, -1, -1):
            stack.append((ks[i], False))
    return out[0]


def nodes(tree):
    """Each distinct node of *tree* once (iterative, shared subtrees once)."""
    seen = set()
    stack = [tree]
    while stack:
        t = stack.pop()
        if t[0] in _INNER:
            if id(t) in seen:
                continue
            seen.add(id(t))
            stack.extend(_kids(t))
        yield t


def names(tree, out=None):
    """Set of symbol names read by *tree* (not inside delay's first argument
    is not distinguished: delay reads the history of those names)."""
    if out is None:
        out = set()
    for t in nodes(tree):
        k = t[0]
        if k == 'v':
            out.add(t[1])
        elif k == 'rateof':
            out.add(('rateof', t[1]))
    return out


def expanded_size(tree):
    """Number of nodes of *tree* written out as a tree (shared subtrees
    counted each time they occur); computed on the DAG, linear in it."""
    size = {}
    stack = [(tree, False)]
    while stack:
        t, done = stack.pop()
        if t[0] not in _INNER:
            continue
        if done:
            size[id(t)] = 1 + sum(size.get(id(c), 1) for c in _kids(t))
            continue
        if id(t) in size:
            continue
        stack.append((t, True))
        stack.extend((c, False) for c in _kids(t))
    return size.get(id(tree), 1)


def depth(tree):
    """Nesting depth of *tree* (a leaf is 1); iterative, linear in the DAG."""
    d = {}
    stack = [(tree, False)]
    while stack:
        t, done = stack.pop()
        if t[0] not in _INNER:
            continue
        if done:
            d[id(t)] = 1 + max((d.get(id(c), 1) for c in _kids(t)), default=0)
            continue
        if id(t) in d:
            continue
        stack.append((t, True))
        stack.extend((c, False) for c in _kids(t))
    return d.get(id(tree), 1)


def substitute(tree, mapping):
    """Replace ('v', name) leaves by mapping[name] (trees)."""
    def leaf(t):
        if t[0] == 'v':
            return mapping.get(t[1], t)
        if t[0] == 'rateof' and t[1] in mapping:
            m = mapping[t[1]]
            if m[0] == 'v':
                return ('rateof', m[1])
        return t
    return transform(tree, leaf=leaf)


class _Resolved(dict):
    """Function definitions whose bodies hold no calls."""


def resolve_functions(funcs, where):
    """SBML function definitions with the calls in their bodies inlined, in
    dependency order (iterative); a function that calls itself, directly or
    through others, is an error naming the cycle."""
    import networkx as nx
    g = nx.DiGraph()
    g.add_nodes_from(funcs)
    for f, (_params, body) in funcs.items():
        for t in nodes(body):
            if t[0] == 'call':
                if t[1] == f:
                    raise MathError(f'{where}: function {f!r} calls itself (recursion)')
                if t[1] in funcs:
                    g.add_edge(t[1], f)
    try:
        order = list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible:
        cyc = ' -> '.join(a for a, _b in nx.find_cycle(g))
        raise MathError(f'{where}: function definitions call each other in a cycle '
                        f'({cyc}) (recursion)') from None
    done = _Resolved()
    for f in order:
        params, body = funcs[f]
        done[f] = (params, inline_calls(body, done, f'{where}: function {f!r}',
                                        _partial=funcs))
    return done


def inline_calls(tree, funcs, where, depth=0, _partial=None):
    """Inline calls of SBML function definitions (*funcs*: id -> (args,
    body), bodies already free of calls, see :func:`resolve_functions`;
    unresolved definitions are resolved first).  The result may share
    subtrees; its written-out size is bounded by
    ``moosepy.limits.max_expr_nodes``."""
    from ...core.limits import limits
    if _partial is None and not isinstance(funcs, _Resolved):
        funcs = resolve_functions(funcs, where)

    def post(r):
        if r[0] != 'call':
            return r
        name = r[1]
        if name not in funcs:
            known = _partial if _partial is not None else funcs
            if name in known:      # defined but later in the order: a cycle
                raise MathError(f'{where}: function {name!r} calls itself (recursion)')
            raise MathError(f'{where}: call of unknown function {name!r}; defined: '
                            f'{", ".join(sorted(known)) or "none"}')
        params, body = funcs[name]
        args = r[2]
        if len(args) != len(params):
            raise MathError(f'{where}: function {name!r} takes {len(params)} argument(s), '
                            f'got {len(args)}')
        return substitute(body, dict(zip(params, args)))
    out = transform(tree, post=post)
    cap = limits.max_expr_nodes
    if cap is not None:
        n = expanded_size(out)
        if n > cap:
            raise MathError(f'{where}: the expression has {n} nodes once function '
                            f'definitions are inlined, which exceeds the bound '
                            f'max_expr_nodes = {cap} (moosepy.limits.max_expr_nodes); for a '
                            f'trusted file raise it with moosepy.limits.max_expr_nodes = N')
    return out


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
        """Postfix code of *tree* with *sp* values already on the stack;
        returns the highest stack reached.  Iterative."""
        top = sp
        stack = [(tree, sp, False)]
        code, args = self.code, self.args
        while stack:
            t, sp, done = stack.pop()
            k = t[0]
            if done:
                name = t[1]
                if name == 'if':
                    code.append(E.IF)
                elif name in _BIN:
                    code.append(_BIN[name])
                elif name in _UN:
                    code.append(_UN[name])
                else:
                    raise ModelImportError(f'internal: unknown operator {name!r}')
                args.append(0)
                top = max(top, sp + len(t[2]))
                continue
            if k == 'c':
                code.append(E.CONST)
                args.append(self.const(t[1]))
            elif k == 'v':
                code.append(E.VAR)
                args.append(slot_of(t[1]))
            elif k == 't':
                code.append(E.TIME)
                args.append(0)
            elif k in ('rateof', 'delay_slot'):
                code.append(E.VAR)
                args.append(slot_of(t))
            elif k == 'op':
                stack.append((t, sp, True))
                kids = t[2]
                for i in range(len(kids) - 1, -1, -1):
                    stack.append((kids[i], sp + i, False))
                continue
            else:
                raise ModelImportError(f'internal: cannot compile node {t!r}')
            top = max(top, sp + 1)
        return top
