"""Safe arithmetic expressions for ``Function`` (MOOSE/ExprTk syntax).

The text is tokenised and parsed by a small recursive-descent parser (its
nesting bounded by ``moosepy.limits.max_expr_depth``) into a
postfix program of numeric op codes; nothing is ever handed to ``eval``.
The program runs in a numba kernel (:func:`eval_program`) inside the
solvers, or in the same kernel from Python for an unsolved Function.

Syntax: numbers (``1``, ``2.5e-3``), variables ``x0..xN``, ``y0..yN``,
``t`` (time), the constant ``pi`` and any name given with ``c['name']``;
operators ``+ - * / % ^`` (also ``**``), comparisons ``< <= > >= == != =``,
logic ``&& || !`` (also ``and or not``), ``cond ? a : b`` and ``if(c, a, b)``;
functions sin cos tan asin acos atan sinh cosh tanh exp log (natural) ln
log10 log2 sqrt abs floor ceil round sgn, pow atan2 fmod, variadic min max
sum avg, and rand() / rand2(a, b) (uniform random numbers; inside a Ksolve
they make the right-hand side noisy, as in MOOSE).
"""

import math
import re

import numpy as np

from ..core.errors import FieldError


# op codes
CONST, VAR, TIME = 0, 1, 2
ADD, SUB, MUL, DIV, POW, MOD, NEG = 3, 4, 5, 6, 7, 8, 9
LT, LE, GT, GE, EQ, NE, AND, OR, NOT = 10, 11, 12, 13, 14, 15, 16, 17, 18
IF = 19
FACT = 39   # factorial (SBML), via gamma(x + 1)
RAND, RAND2 = 40, 55
UNARY = {'sin': 20, 'cos': 21, 'tan': 22, 'exp': 23, 'log': 24, 'ln': 24, 'log10': 25,
         'sqrt': 26, 'abs': 27, 'fabs': 27, 'asin': 28, 'acos': 29, 'atan': 30, 'sinh': 31,
         'cosh': 32, 'tanh': 33, 'floor': 34, 'ceil': 35, 'sgn': 36, 'round': 37, 'log2': 38}
BINARY = {'pow': POW, 'min': 51, 'max': 52, 'atan2': 53, 'fmod': 54}
CONSTANTS = {'pi': math.pi}   # as in MOOSE, 'e' is not a constant (use exp(1))

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?) |
    (?P<name>[A-Za-z_][A-Za-z_0-9]*) |
    (?P<op>\*\*|&&|\|\||<=|>=|==|!=|[-+*/%^()<>=!?:,])
)""", re.VERBOSE)


class Program:
    """A parsed expression: op codes, arguments, constants, and the names it
    reads.  ``nvars`` is 1 + the highest x index used."""

    def __init__(self, text, code, args, consts, xs, ys, uses_t, cnames, depth):
        self.text = text
        self.code = np.asarray(code, dtype=np.int64)
        self.args = np.asarray(args, dtype=np.int64)
        self.consts = np.asarray(consts, dtype=np.float64)
        self.xs = xs
        self.ys = ys
        self.uses_t = uses_t
        self.cnames = cnames     # names of c[] constants, in the order of their slots
        self.depth = depth

    @property
    def nvars(self):
        return (max(self.xs) + 1) if self.xs else 0


class _Parser:
    def __init__(self, text, where, known_consts, allow_unknown):
        self.text = text
        self.where = where
        self.known = known_consts
        self.allow_unknown = allow_unknown
        self.toks = self._tokenise(text)
        self.pos = 0
        self.code, self.args, self.consts = [], [], []
        self.xs, self.ys, self.cnames = set(), set(), []
        self.uses_t = False
        self.depth = 0
        self.maxdepth = 0
        self.nest = 0
        from ..core.limits import limits
        self.max_nest = limits.max_expr_depth

    def error(self, msg):
        text = self.text if len(self.text) <= 200 else (
            f'{self.text[:100]}...({len(self.text)} characters)')
        raise FieldError(f"{self.where}: cannot parse expression {text!r}: {msg}")

    def _tokenise(self, text):
        toks, pos = [], 0
        text = text.rstrip().rstrip(';')
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == '':
                    break
                self.error(f"unexpected character {text[pos]!r} at {pos}")
            kind = m.lastgroup
            toks.append((kind, m.group(kind)))
            pos = m.end()
        return toks

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None:
            self.error('unexpected end of expression')
        if value is not None and tok[1] != value:
            self.error(f"expected '{value}', found '{tok[1]}'")
        self.pos += 1
        return tok

    def emit(self, op, arg=0, push=1):
        self.code.append(op)
        self.args.append(arg)
        self.depth += push
        self.maxdepth = max(self.maxdepth, self.depth)

    # grammar: ternary > or > and > cmp > add > mul > unary > power > atom
    def parse(self):
        if not self.toks:
            self.error('empty expression')
        self.ternary()
        if self.pos != len(self.toks):
            self.error(f"unexpected '{self.peek()[1]}'")
        return Program(self.text, self.code, self.args, self.consts, sorted(self.xs),
                       sorted(self.ys), self.uses_t, self.cnames, self.maxdepth)

    def enter(self):
        # the parser is recursive-descent: bound the nesting (each level of
        # parentheses costs ~10 Python frames) so that a pathological text
        # is an error, not a RecursionError
        self.nest += 1
        if self.max_nest is not None and self.nest > self.max_nest:
            self.error(f'nested more than {self.max_nest} deep (parentheses, function '
                       f'arguments, ?: branches, prefix operators and powers count); the '
                       f'bound is moosepy.limits.max_expr_depth, raise it with '
                       f'moosepy.limits.max_expr_depth = N')

    def ternary(self):
        self.enter()
        self.logic_or()
        if self.peek()[1] == '?':
            self.take('?')
            self.ternary()
            self.take(':')
            self.ternary()
            self.emit(IF, 0, -2)
        self.nest -= 1

    def logic_or(self):
        self.logic_and()
        while self.peek()[1] in ('||', 'or'):
            self.take()
            self.logic_and()
            self.emit(OR, 0, -1)

    def logic_and(self):
        self.compare()
        while self.peek()[1] in ('&&', 'and'):
            self.take()
            self.compare()
            self.emit(AND, 0, -1)

    _CMP = {'<': LT, '<=': LE, '>': GT, '>=': GE, '==': EQ, '=': EQ, '!=': NE}

    def compare(self):
        self.additive()
        while self.peek()[1] in self._CMP:
            op = self._CMP[self.take()[1]]
            self.additive()
            self.emit(op, 0, -1)

    def additive(self):
        self.multiplicative()
        while self.peek()[1] in ('+', '-'):
            op = ADD if self.take()[1] == '+' else SUB
            self.multiplicative()
            self.emit(op, 0, -1)

    def multiplicative(self):
        self.unary()
        while self.peek()[1] in ('*', '/', '%'):
            op = {'*': MUL, '/': DIV, '%': MOD}[self.take()[1]]
            self.unary()
            self.emit(op, 0, -1)

    def unary(self):
        t = self.peek()[1]
        if t in ('-', '+', '!', 'not'):
            self.enter()
            self._unary(t)
            self.nest -= 1
        else:
            self.power()

    def _unary(self, t):
        if t == '-':
            self.take()
            self.unary()
            self.emit(NEG, 0, 0)
        elif t == '+':
            self.take()
            self.unary()
        elif t in ('!', 'not'):
            self.take()
            self.unary()
            self.emit(NOT, 0, 0)
        else:
            self.power()

    def power(self):
        self.atom()
        if self.peek()[1] in ('^', '**'):
            self.take()
            self.enter()
            self.unary()        # right associative, binds tighter than unary minus on left
            self.nest -= 1
            self.emit(POW, 0, -1)

    def atom(self):
        kind, val = self.take()
        if kind == 'num':
            self.consts.append(float(val))
            self.emit(CONST, len(self.consts) - 1)
            return
        if val == '(':
            self.ternary()
            self.take(')')
            return
        if kind != 'name':
            self.error(f"unexpected '{val}'")
        if self.peek()[1] == '(':
            self.call(val)
            return
        self.name(val)

    def call(self, fname):
        self.take('(')
        nargs = 0
        if self.peek()[1] != ')':
            while True:
                self.ternary()
                nargs += 1
                if self.peek()[1] == ',':
                    self.take(',')
                    continue
                break
        self.take(')')
        if fname in UNARY:
            if nargs != 1:
                self.error(f'{fname}() takes 1 argument, got {nargs}')
            self.emit(UNARY[fname], 0, 0)
        elif fname in ('min', 'max') and nargs >= 2:
            for _ in range(nargs - 1):
                self.emit(BINARY[fname], 0, -1)
        elif fname in BINARY:
            if nargs != 2:
                self.error(f'{fname}() takes 2 arguments, got {nargs}')
            self.emit(BINARY[fname], 0, -1)
        elif fname == 'if':
            if nargs != 3:
                self.error(f'if() takes 3 arguments, got {nargs}')
            self.emit(IF, 0, -2)
        elif fname in ('sum', 'avg'):
            if nargs < 1:
                self.error(f'{fname}() needs at least one argument')
            for _ in range(nargs - 1):
                self.emit(ADD, 0, -1)
            if fname == 'avg':
                self.consts.append(float(nargs))
                self.emit(CONST, len(self.consts) - 1)
                self.emit(DIV, 0, -1)
        elif fname == 'rand':
            if nargs != 0:
                self.error(f'rand() takes no arguments, got {nargs}')
            self.emit(RAND, 0, 1)
        elif fname == 'rand2':
            if nargs != 2:
                self.error(f'rand2() takes 2 arguments, got {nargs}')
            self.emit(RAND2, 0, -1)
        else:
            valid = sorted(list(UNARY) + list(BINARY) + ['if', 'sum', 'avg', 'rand',
                                                          'rand2'])
            self.error(f"unknown function '{fname}'; valid: {', '.join(valid)}")

    def name(self, val):
        # x<digits> or y<digits> (string tests: a regex compiled at first
        # use cost ~0.3 ms of a script's first Function)
        if len(val) > 1 and val[0] in 'xy' and val[1:].isdecimal():
            i = int(val[1:])
            if val[0] == 'x':
                self.xs.add(i)
                self.emit(VAR, i)
            else:
                self.ys.add(i)
                self.emit(VAR, 100000 + i)
            return
        if val == 't':
            self.uses_t = True
            self.emit(TIME)
            return
        if val in self.known:
            if val not in self.cnames:
                self.cnames.append(val)
            # constants from c[] are read at compile time into a slot
            self.consts.append(float(self.known[val]))
            self.emit(CONST, len(self.consts) - 1)
            return
        if val in CONSTANTS:
            self.consts.append(CONSTANTS[val])
            self.emit(CONST, len(self.consts) - 1)
            return
        if self.allow_unknown:
            # an unknown name becomes a constant slot of value 0, settable via c[]
            self.cnames.append(val)
            self.known[val] = 0.0
            self.consts.append(0.0)
            self.emit(CONST, len(self.consts) - 1)
            return
        self.error(f"unknown variable '{val}'; valid names: x0, x1, ... (inputs), t (time), "
                   f"pi, e, and constants set with c['name']"
                   + (f" ({', '.join(sorted(self.known))})" if self.known else ''))


def parse(text, where='Function', constants=None, allow_unknown=False):
    """Parse *text* into a :class:`Program`; raise FieldError naming *where*."""
    if not isinstance(text, str):
        raise FieldError(f'{where}: expression must be a string, got {text!r}')
    try:
        return _Parser(text, where, dict(constants or {}), allow_unknown).parse()
    except RecursionError:
        # the nesting bound keeps well below the limit; a caller already deep
        # in the stack may still reach it
        raise FieldError(f'{where}: cannot parse expression {text[:80]!r}...: nested too '
                         f'deep for the recursive-descent parser (lower '
                         f'moosepy.limits.max_expr_depth or simplify it)') from None


def _eval_py(code, args, consts, xvals, t, stack):
    return _eval_impl(code, args, consts, xvals, t, stack, 0, len(code))


def _eval_impl(code, args, consts, xvals, t, stack, start, end):
    """Run ops code[start:end] with x values *xvals*; returns the result."""
    sp = 0
    for k in range(start, end):
        op = code[k]
        if op == 0:
            stack[sp] = consts[args[k]]
            sp += 1
        elif op == 1:
            a = args[k]
            stack[sp] = xvals[a] if a < len(xvals) else 0.0
            sp += 1
        elif op == 2:
            stack[sp] = t
            sp += 1
        elif op == 40:
            stack[sp] = np.random.random()
            sp += 1
        elif op == 9:
            stack[sp - 1] = -stack[sp - 1]
        elif op == 18:
            stack[sp - 1] = 1.0 if stack[sp - 1] == 0.0 else 0.0
        elif op == 19:
            c = stack[sp - 3]
            stack[sp - 3] = stack[sp - 2] if c != 0.0 else stack[sp - 1]
            sp -= 2
        elif op >= 20 and op < 50:
            x = stack[sp - 1]
            if op == 20:
                r = math.sin(x)
            elif op == 21:
                r = math.cos(x)
            elif op == 22:
                r = math.tan(x)
            elif op == 23:
                r = math.exp(x)
            elif op == 24:
                r = math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
            elif op == 25:
                r = math.log10(x) if x > 0 else (-math.inf if x == 0 else math.nan)
            elif op == 26:
                r = math.sqrt(x) if x >= 0 else math.nan
            elif op == 27:
                r = abs(x)
            elif op == 28:
                r = math.asin(x) if -1.0 <= x <= 1.0 else math.nan
            elif op == 29:
                r = math.acos(x) if -1.0 <= x <= 1.0 else math.nan
            elif op == 30:
                r = math.atan(x)
            elif op == 31:
                r = math.sinh(x)
            elif op == 32:
                r = math.cosh(x)
            elif op == 33:
                r = math.tanh(x)
            elif op == 34:
                r = math.floor(x)
            elif op == 35:
                r = math.ceil(x)
            elif op == 36:
                r = 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
            elif op == 37:
                r = math.floor(x + 0.5)
            elif op == 39:
                r = math.gamma(x + 1.0) if x >= 0.0 else math.nan
            else:
                r = math.log2(x) if x > 0 else (-math.inf if x == 0 else math.nan)
            stack[sp - 1] = r
        else:
            b = stack[sp - 1]
            a = stack[sp - 2]
            sp -= 1
            if op == 3:
                r = a + b
            elif op == 4:
                r = a - b
            elif op == 5:
                r = a * b
            elif op == 6:
                r = a / b if b != 0.0 else (math.nan if a == 0.0 else math.copysign(math.inf, a))
            elif op == 7:
                r = a ** b if (a > 0 or b == math.floor(b)) else math.nan
            elif op == 8 or op == 54:
                if b != 0.0:
                    q = a / b
                    q = math.floor(q) if q >= 0.0 else math.ceil(q)
                    r = a - b * q
                else:
                    r = math.nan
            elif op == 10:
                r = 1.0 if a < b else 0.0
            elif op == 11:
                r = 1.0 if a <= b else 0.0
            elif op == 12:
                r = 1.0 if a > b else 0.0
            elif op == 13:
                r = 1.0 if a >= b else 0.0
            elif op == 14:
                r = 1.0 if a == b else 0.0
            elif op == 15:
                r = 1.0 if a != b else 0.0
            elif op == 16:
                r = 1.0 if (a != 0.0 and b != 0.0) else 0.0
            elif op == 17:
                r = 1.0 if (a != 0.0 or b != 0.0) else 0.0
            elif op == 51:
                r = a if a < b else b
            elif op == 52:
                r = a if a > b else b
            elif op == 55:
                r = a + (b - a) * np.random.random()
            else:
                r = math.atan2(a, b)
            stack[sp - 1] = r
    return stack[0] if sp > 0 else 0.0


def _compiled_eval():
    """The numba-compiled evaluator (compiled on first use, cached on disk)."""
    global _EVAL
    if _EVAL is None:
        from .kernels import eval_program
        _EVAL = eval_program
    return _EVAL


_EVAL = None


def evaluate(prog, xvals, t=0.0):
    """Evaluate a :class:`Program` from Python (for unsolved Functions)."""
    stack = np.zeros(max(prog.depth, 1) + 2)
    return float(_compiled_eval()(prog.code, prog.args, prog.consts,
                              np.asarray(xvals, dtype=np.float64), float(t), stack, 0,
                              len(prog.code)))
