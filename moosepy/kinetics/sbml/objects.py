"""SBML chemistry as MOOSE objects: Pools, Reacs, MMenz and Functions run by
a Stoich with a Ksolve, as MOOSE 5.0's reader builds them.

``readSBML`` builds this object model whenever it can express the file, and
falls back to the whole-SBML engine (:mod:`.engine`, an ``SbmlSolver``)
otherwise; the choice is logged on ``moosepy.sbml`` with the features that
forced it and can be forced with ``readSBML(..., build='objects'|'engine')``.

What the file becomes (SBML ids name the objects):

=========================  ==============================================
SBML                       objects
=========================  ==============================================
compartment C              ``root/C`` (CubeMesh, volume = size in m^3)
species S in C             ``root/C/S``: BufPool when constant, boundary or
                           set by an assignment rule (unless a rate rule
                           sets it), else Pool
mass-action law            ``root/C/R`` Reac (C: the compartment of the
``kf*prod(S) - kb*prod(P)``  smallest volume among its reactants); a
                           species the law multiplies in beyond the
                           reactants (a catalyst) is wired as substrate and
                           product
``kcat*E*S/(Km + S)``      ``root/C/E/R`` MMenz under the enzyme pool E (a
                           species the law reads besides S and the
                           products); ``V*S/(Km + S)`` with no enzyme gets
                           a BufPool ``_impliedEnz0`` at the concentration
                           that gives the law's Vmax
any other law              per changed species ``S/dot``: a Function whose
                           valueOut is the species' rate [#/s] into its
                           ``increment`` (net stoichiometry x law)
assignment rule for S      ``S/assign``: Function -> ``setN``
rate rule for S            ``S/rate``: Function -> ``increment``
parameter set by a rule    a proxy pool ``root/C0/p`` (C0 the first
                           compartment) whose n is the value: BufPool with
                           ``p/assign`` or Pool with ``p/rate``
solver                     ``C/stoich`` + ``C/ksolve`` per compartment
                           (one Stoich over the whole model, in the largest
                           compartment, when a reaction or Function joins
                           compartments); method 'lsoda' for 'gsl'/'lsoda'
=========================  ==============================================

A law is recognised by evaluating it (the kinetic law with function
definitions and assignment rules inlined and constants folded) at random
positive states and fitting the form exactly (relative residual below
1e-8 at every point, on two sets of states); a law that reads time or a
value a rule changes is not a constant-coefficient form and becomes a
Function.  A reaction's id in math is its law, inlined.  A constant
conversion factor c multiplies numKf, numKb and kcat when the species the
reaction changes share it (else the reaction becomes Functions, each
species' term times its own c).  Units: the law is
in substance/time; with n = amount x ``nscale`` (molecules per substance
unit) and a species' value in the law v = n / f (f = nscale for
hasOnlySubstanceUnits, nscale x compartment size otherwise),
numKf = c nscale kf / prod f^m, kcat = c nscale a / f_E and
Km = b f_S / (NA V_S) [mM].

The object model cannot express (the engine is used; these are the
reasons logged): events, algebraic rules, fast reactions, ``delay``,
``rateOf``, compartments whose size changes or is not a positive number,
conversion factors that change, stoichiometries that change, rules on
compartments or species references, non-finite or negative initial
values, and expressions nested deeper than ``moosepy.limits`` allows a
Function.
"""

import logging
import math

import numpy as np

from ...core.errors import ModelImportError
from ...core.units import NA
from . import mathc as M
from .engine import Engine, species_value

log = logging.getLogger('moosepy.sbml')

BUILDS = ('auto', 'objects', 'engine')


#: largest stoichiometry built as Reac/MMenz messages (one message per unit)
MAX_OBJECT_STOICHIOMETRY = 1000


class NotExpressible(Exception):
    """The object model cannot express a feature of the file (the message
    names it)."""


# ------------------------------------------------------------------ model level
def engine_reasons(S, model):
    """Features of the model that only the whole-SBML engine expresses, as
    short phrases naming the SBML ids (empty: the object model may do)."""
    out = []
    if S.events:
        out.append(f'events ({", ".join(ev.id or "?" for ev in S.events[:5])})')
    if len(S.alg_vars) and not S.fast_species:
        out.append('algebraic rules')
    fast = [r.getId() for r in model.getListOfReactions() if r.isSetFast() and r.getFast()]
    if fast or S.fast_species:
        out.append(f'fast reactions ({", ".join(fast[:5])})')
    if S.has_delay:
        out.append('delay()')
    if any(str(n).startswith('rateof:') for n in S.slots):
        out.append('rateOf()')
    rate_vars = [x for x in S.state_names if not x.startswith('amt:')]
    for cid, kind in S.kinds.items():
        if kind != 'compartment':
            continue
        if cid in S.assign_trees or cid in rate_vars or cid in S.ev_targets:
            out.append(f'compartment {cid!r} changes size')
    for name, kind in S.kinds.items():
        if kind == 'specref' and (name in S.assign_trees or name in rate_vars):
            out.append(f'species reference {name!r} set by a rule')
    changing = set(S.assign_trees) | set(rate_vars) | set(S.ev_targets) | set(S.alg_vars)
    cf = sorted({sp.cf for sp in S.species.values() if sp.cf and sp.cf in changing})
    if cf:
        out.append(f'conversion factors that change ({", ".join(cf[:5])})')
    varst = []
    for r in model.getListOfReactions():
        for sr in list(r.getListOfReactants()) + list(r.getListOfProducts()):
            if (model.getLevel() < 3 and sr.isSetStoichiometryMath()) or \
                    (sr.isSetId() and sr.getId() in changing):
                varst.append(r.getId())
                break
    if varst:
        out.append(f'variable stoichiometry ({", ".join(varst[:5])})')
    return out


# ------------------------------------------------------------------ math
# Trees ('c', x) / ('v', name) / ('t',) / ('op', name, [args]) /
# ('delay', e, tau) / ('rateof', name) / ('call', f, [args]) of :mod:`.mathc`,
# walked without recursion (files may nest math deeply).

def _kids(t):
    k = t[0]
    if k == 'op' or k == 'call':
        return t[2]
    if k == 'delay':
        return (t[1], t[2])
    return ()


def _postorder(tree):
    """Distinct nodes of *tree*, children before parents (iterative)."""
    out = []
    seen = set()
    stack = [(tree, False)]
    while stack:
        t, done = stack.pop()
        ks = _kids(t)
        if not ks or done:
            out.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        for x in reversed(ks):
            stack.append((x, False))
    return out


def _depth(tree):
    d = {}
    for t in _postorder(tree):
        ks = _kids(t)
        d[id(t)] = 1 + max((d[id(x)] for x in ks), default=0)
    return d[id(tree)]


def _rebuild(tree, leaf, post):
    """*tree* with leaves through leaf(t) and inner nodes, rebuilt from
    their new children, through post(t)."""
    new = {}
    for t in _postorder(tree):
        ks = _kids(t)
        if not ks:
            new[id(t)] = leaf(t)
            continue
        kids = [new[id(x)] for x in ks]
        if t[0] == 'delay':
            r = ('delay', kids[0], kids[1])
        else:
            r = (t[0], t[1], kids)
        new[id(t)] = post(r)
    return new[id(tree)]


def _max_function_depth():
    try:
        from ...core.limits import limits
    except ImportError:              # a build without moosepy.limits
        return None
    return getattr(limits, 'max_expr_depth', None)


class _Resolver:
    """Kinetic laws and rules with assignment rules inlined and constants
    folded: leaves are ('c', x), ('t',), ('v', species id) and ('v', proxy
    parameter id)."""

    def __init__(self, S, v0, proxies, inline_species=True):
        self.S = S
        self.v0 = v0
        self.proxies = proxies          # rate-ruled parameters: read from a pool
        self.inline_species = inline_species    # else a ruled species is read
        self.memo = {}
        self._active = set()

    def __call__(self, tree, what):
        S = self.S

        def leaf(t):
            k = t[0]
            if k == 'c' or k == 't':
                return t
            if k == 'rateof' or k == 'delay_slot':
                raise NotExpressible(f'{what} uses rateOf()')
            if k != 'v':
                raise NotExpressible(f'{what} uses {k!r}')
            name = t[1]
            if name in S.assign_trees and (self.inline_species or
                                           S.kinds.get(name) != 'species'):
                r = self.memo.get(name)
                if r is None:
                    if name in self._active:
                        raise NotExpressible(f'assignment rules for {name!r} form a loop')
                    self._active.add(name)
                    r = self(S.assign_trees[name], f'the assignment rule for {name!r}')
                    self._active.discard(name)
                    self.memo[name] = r
                return r
            kind = S.kinds.get(name)
            if kind == 'species':
                return t
            if name in self.proxies:
                return t
            if kind == 'reaction':
                # a reaction's rate is its kinetic law
                key = ('reaction', name)
                r = self.memo.get(key)
                if r is None:
                    if key in self._active:
                        raise NotExpressible(f'the rate of reaction {name!r} reads itself')
                    law = S.laws.get(name)
                    self._active.add(key)
                    r = ('c', 0.0) if law is None else self(law, f'the kinetic law of {name!r}')
                    self._active.discard(key)
                    self.memo[key] = r
                return r
            if kind in ('parameter', 'compartment', 'local', 'specref'):
                val = float(self.v0[S.slots[name]])
                if not math.isfinite(val):
                    raise NotExpressible(f'{what} reads {name!r}, which is {val}')
                return ('c', val)
            raise NotExpressible(f'{what} reads {name!r}, which is not a model symbol')

        def post(t):
            if t[0] == 'delay':
                raise NotExpressible(f'{what} uses delay()')
            return t
        return _rebuild(tree, leaf, post)


def _uses(tree):
    """(species and proxies read, reads time)."""
    names = set()
    t_used = False
    for t in _postorder(tree):
        if t[0] == 'v':
            names.add(t[1])
        elif t[0] == 't':
            t_used = True
    return names, t_used


_NP_BIN = {'+': np.add, '-': np.subtract, '*': np.multiply, '/': np.divide,
           '^': np.power, 'lt': np.less, 'le': np.less_equal, 'gt': np.greater,
           'ge': np.greater_equal, 'eq': np.equal, 'ne': np.not_equal,
           'and': np.logical_and, 'or': np.logical_or, 'min': np.minimum,
           'max': np.maximum, 'atan2': np.arctan2, 'fmod': np.fmod}
_NP_UN = {'neg': np.negative, 'not': np.logical_not, 'sin': np.sin, 'cos': np.cos,
          'tan': np.tan, 'exp': np.exp, 'log': np.log, 'ln': np.log, 'log10': np.log10,
          'log2': np.log2, 'sqrt': np.sqrt, 'abs': np.abs, 'fabs': np.abs,
          'asin': np.arcsin, 'acos': np.arccos, 'atan': np.arctan, 'sinh': np.sinh,
          'cosh': np.cosh, 'tanh': np.tanh, 'floor': np.floor, 'ceil': np.ceil,
          'sgn': np.sign, 'round': np.round}


def _evaluate(tree, env, n):
    """Value of a resolved tree at *n* sample points (env: name -> array)."""
    vals = {}
    for t in _postorder(tree):
        k = t[0]
        if k == 'c':
            r = np.full(n, float(t[1]))
        elif k == 'v':
            r = env[t[1]]
        elif k == 't':
            r = env.get('#t', np.zeros(n))   # '#t' is no SBML id
        else:
            a = [vals[id(x)] for x in t[2]]
            name = t[1]
            if name == 'if':
                r = np.where(a[0] != 0, a[1], a[2])
            elif name in _NP_BIN:
                r = _NP_BIN[name](a[0], a[1]).astype(float)
            elif name in _NP_UN:
                r = _NP_UN[name](a[0]).astype(float)
            elif name == 'fact':
                from scipy.special import gamma
                r = gamma(a[0] + 1.0)
            else:
                raise NotExpressible(f'operator {name!r}')
        vals[id(t)] = r
    return vals[id(tree)]


# Function syntax of the tree operators
_TXT_BIN = {'+': '+', '-': '-', '*': '*', '/': '/', '^': '^', 'lt': '<', 'le': '<=',
            'gt': '>', 'ge': '>=', 'eq': '==', 'ne': '!=', 'and': '&&', 'or': '||'}
_TXT_FUN2 = ('min', 'max', 'atan2', 'fmod')


class _Writer:
    """Function text of resolved trees; species and proxies read as inputs
    x0, x1, ... (the pools' n), in the order first met."""

    def __init__(self, species_scale):
        self.species_scale = species_scale      # sid -> 1/f (n -> value), proxies 1
        self.inputs = []

    def x(self, name):
        if name not in self.inputs:
            self.inputs.append(name)
        return f'x{self.inputs.index(name)}'

    def text(self, tree, what):
        cap = _max_function_depth()
        if cap is not None and _depth(tree) > cap - 8:
            raise NotExpressible(f'{what} is nested {_depth(tree)} deep (a Function takes '
                                 f'up to moosepy.limits.max_expr_depth - 8 = {cap - 8})')
        out = {}
        for t in _postorder(tree):
            k = t[0]
            if k == 'c':
                x = float(t[1])
                if not math.isfinite(x):
                    raise NotExpressible(f'{what} has the constant {x}')
                s = repr(x)
                out[id(t)] = f'({s})' if x < 0 else s
            elif k == 't':
                out[id(t)] = 't'
            elif k == 'v':
                sc = self.species_scale[t[1]]
                out[id(t)] = self.x(t[1]) if sc == 1.0 else f'({self.x(t[1])} * {sc!r})'
            else:
                name, a = t[1], [out[id(x)] for x in t[2]]
                if name in _TXT_BIN:
                    s = f'({a[0]} {_TXT_BIN[name]} {a[1]})'
                elif name == 'neg':
                    s = f'(-{a[0]})'
                elif name == 'not':
                    s = f'(!{a[0]})'
                elif name == 'if':
                    s = f'({a[0]} ? {a[1]} : {a[2]})'
                elif name == 'fact':
                    raise NotExpressible(f'{what} uses factorial(), which a Function '
                                         f'does not have')
                elif name in _TXT_FUN2:
                    s = f'{name}({a[0]}, {a[1]})'
                elif name in _NP_UN:
                    s = f'{name}({a[0]})'
                else:
                    raise NotExpressible(f'{what} uses {name!r}, which a Function does not '
                                         f'have')
                out[id(t)] = s
        return out[id(tree)]


# ------------------------------------------------------------------ fitting
def _samples(names, rng, lo, hi, n=16):
    return {s: np.exp(rng.uniform(np.log(lo), np.log(hi), n)) for s in sorted(names)}


def _lstsq(cols, rhs):
    """Least squares with the columns scaled to unit norm first (the terms
    of a law may differ by many decades)."""
    A = np.column_stack(cols)
    with np.errstate(all='ignore'):
        nrm = np.linalg.norm(A, axis=0)
        nrm[nrm == 0] = 1.0
        B = A / nrm
    if not (np.all(np.isfinite(B)) and np.all(np.isfinite(rhs))):
        return np.full(A.shape[1], np.nan)      # overflowing terms: no fit
    try:
        return np.linalg.lstsq(B, rhs, rcond=None)[0] / nrm
    except np.linalg.LinAlgError:
        return np.full(A.shape[1], np.nan)


def _agree(L, fit, size, tol=1e-8):
    """Pointwise |L - fit| <= tol * size (size: the magnitudes of the
    fitted terms at each point)."""
    return bool(np.all(np.abs(L - fit) <= tol * np.maximum(size, 1e-300)))


def _mono(env, d):
    out = 1.0
    with np.errstate(over='ignore', invalid='ignore'):
        for s, m in d.items():
            out = out * env[s] ** m
    return out


def fit_mass_action(law, subs, prds, rng, species):
    """(kf, kb, catalysts) with law = kf F - kb B at random states, F the
    reactants' and B the products' power product, each times the catalysts
    (species the law reads that are neither); None if the law is not so."""
    names, t_used = _uses(law)
    if t_used or not names or not names <= species:
        return None
    if not subs or any(m != int(m) or m <= 0 for m in list(subs.values()) +
                       list(prds.values())):
        return None
    if any(s not in names for s in subs):
        return None
    cats = names - set(subs) - set(prds)
    sets = []
    for lo, hi in ((0.05, 20.0), (1e-3, 1e3)):
        env = _samples(names | set(prds), rng, lo, hi)
        with np.errstate(all='ignore'):
            L = _evaluate(law, env, 16)
        if not np.all(np.isfinite(L)):
            return None
        C = _mono(env, {c: 1 for c in cats})
        F = _mono(env, subs) * C
        B = _mono(env, prds) * C if prds else np.zeros(16)
        sets.append((L, F, B))
    L, F, B = sets[0]
    if prds:
        kf, kb = (float(x) for x in _lstsq([F, -B], L))
        # exact values where one side can be switched off: products (that
        # are not also reactants) at 0 leave kf F, and the reverse
        for side, off, sign in ((subs, set(prds) - set(subs), 1.0),
                                (prds, set(subs) - set(prds), -1.0)):
            if not off:
                continue
            env = _samples(names | set(prds), rng, 0.05, 20.0)
            for x in off:
                env[x] = np.zeros(16)
            with np.errstate(all='ignore'):
                L0 = _evaluate(law, env, 16)
            M0 = _mono(env, side) * _mono(env, {c: 1 for c in cats})
            k = sign * L0 / M0
            if np.all(np.isfinite(k)) and np.ptp(k) <= 1e-12 * np.max(np.abs(k)):
                if sign > 0:
                    kf = float(np.median(k))
                else:
                    kb = float(np.median(k))
    else:
        kf, kb = float(_lstsq([F], L)[0]), 0.0
        k = L / F
        if np.ptp(k) <= 1e-12 * np.max(np.abs(k)):
            kf = float(np.median(k))
    for L, F, B in sets:
        if abs(kb) * np.max(B) <= 1e-13 * abs(kf) * np.max(F):
            kb = 0.0
        if kf < 0 or kb < 0 or not _agree(L, kf * F - kb * B, kf * F + kb * B):
            return None
    return kf, kb, sorted(cats)


def fit_michaelis_menten(law, subs, prds, rng, species):
    """(kcat_val, Km_val, enzyme id or None) with law = a E S / (b + S) at
    random states (a, b > 0; E the one species the law reads besides the
    substrate S, or none: a lumped Vmax); None if the law is not so.  The
    substrate is sampled over 24 decades so that any Km in (1e-15, 1e9)
    has points on both sides."""
    names, t_used = _uses(law)
    if t_used or len(subs) != 1 or not prds or not names <= species:
        return None
    (S_, m), = subs.items()
    if m != 1 or S_ not in names:
        return None
    others = names - {S_}
    if others & set(prds) or len(others) > 1:
        return None
    E = next(iter(others)) if others else None
    sets = []
    for _ in range(2):
        env = _samples(names, rng, 0.05, 20.0, 48)
        env[S_] = np.exp(rng.uniform(np.log(1e-15), np.log(1e9), 48))
        with np.errstate(all='ignore'):
            L = _evaluate(law, env, 48)
        if not np.all(np.isfinite(L)) or not np.all(L > 0):
            return None
        Ev = env[E] if E is not None else np.ones(48)
        sets.append((L, env[S_], Ev))
    # L (b + S) = a E S, divided by L S: b / S + 1 = a E / L
    L, Sv, Ev = sets[0]
    b, a = (float(x) for x in _lstsq([1.0 / Sv, -Ev / L], -np.ones(48)))
    for _ in range(2):          # reweighted: every row of order one
        if not (b > 0):
            break
        w = 1.0 / (b / Sv + 1.0)
        b, a = (float(x) for x in _lstsq([w / Sv, -w * Ev / L], -w))
    if not (a > 0 and b > 0):
        return None
    for L, Sv, Ev in sets:
        if not _agree(L, a * Ev * Sv / (b + Sv), L):
            return None
    return a, b, E


def _stoichiometry(S, model, v0):
    """{reaction id: ({reactant: total stoichiometry}, {product: ...})}
    with species reference ids read at their initial values (an initial
    assignment may set them)."""
    level = model.getLevel()
    out = {}
    for r in model.getListOfReactions():
        sides = ({}, {})
        for side, lst in ((sides[0], r.getListOfReactants()), (sides[1], r.getListOfProducts())):
            for sr in lst:
                if sr.isSetId() and sr.getId() and sr.getId() in S.slots:
                    st = float(v0[S.slots[sr.getId()]])
                elif sr.isSetStoichiometry():
                    st = sr.getStoichiometry()
                    if level < 3 and getattr(sr, 'isSetDenominator', lambda: False)() and \
                            sr.getDenominator() != 1:
                        st = st / sr.getDenominator()
                else:
                    st = 1.0 if level < 3 else math.nan
                sp = sr.getSpecies()
                side[sp] = side.get(sp, 0.0) + st
        out[r.getId()] = sides
    return out


def _rate_trees(S, model):
    """{variable: tree} of the rate rules, function definitions inlined (as
    :mod:`.system` reads them)."""
    src = S.source
    funcs = {}
    for fd in model.getListOfFunctionDefinitions():
        if fd.getMath() is None:
            continue
        tree = M.from_ast(fd.getMath(), f'{src}: functionDefinition {fd.getId()!r}')
        if tree[0] == 'lambda':
            funcs[fd.getId()] = (tree[1], tree[2])
    if hasattr(M, 'resolve_functions'):
        funcs = M.resolve_functions(funcs, f'{src}: functionDefinitions')
    out = {}
    for rule in model.getListOfRules():
        if rule.isRate() and rule.getMath() is not None:
            w = f'{src}: rateRule for {rule.getVariable()!r}'
            out[rule.getVariable()] = M.inline_calls(M.from_ast(rule.getMath(), w), funcs, w)
    return out


# ------------------------------------------------------------------ plan
class Plan:
    """What the file becomes; made before anything is built."""

    def __init__(self):
        self.pools = []          # (sid, class name, n0)
        self.proxies = []        # (pid, class name, value)
        self.reacs = []          # (rid, home comp, subs, prds, numKf, numKb, cats)
        self.mmenz = []          # (rid, enzyme, sub, prd dict, kcat, Km)
        self.implied = []        # (eid, comp, concInit)
        self.dots = {}           # sid -> [(net stoich, law text, inputs)] per reaction
        self.rules = []          # (target, 'assign'|'rate', text, inputs, is_proxy)
        self.functions = []      # built in order: (target, name, port, text, inputs)
        self.notes = []


def make_plan(S, model, nscale, vscale):
    """A :class:`Plan` for the file, or NotExpressible naming what the
    object model cannot express."""
    reasons = engine_reasons(S, model)
    if reasons:
        raise NotExpressible('; '.join(reasons))
    eng = Engine(S)
    eng.reset()
    v0 = eng.v.copy()
    P = Plan()
    rate_vars = [x for x in S.state_names if not x.startswith('amt:')]
    rate_trees = _rate_trees(S, model) if rate_vars else {}
    for x in rate_vars:
        if S.kinds.get(x) not in ('species', 'parameter'):
            raise NotExpressible(f'a rate rule for {S.kinds.get(x)} {x!r}')
    for x in S.assign_trees:
        if S.kinds.get(x) not in ('species', 'parameter'):
            raise NotExpressible(f'an assignment rule for {S.kinds.get(x)} {x!r}')
    if not any(k == 'compartment' for k in S.kinds.values()):
        raise NotExpressible('a model without compartments (MOOSE objects live in one)')
    size = {}
    for cid, kind in S.kinds.items():
        if kind == 'compartment':
            sz = float(v0[S.slots[cid]])
            if not (sz > 0 and math.isfinite(sz)):
                if any(sp.comp == cid for sp in S.species.values()):
                    raise NotExpressible(f'compartment {cid!r} has size {sz}')
            size[cid] = sz
    P.size = size
    P.vscale = vscale
    proxies = {x for x in rate_vars if S.kinds[x] == 'parameter'}
    R = _Resolver(S, v0, proxies)
    Rfit = _Resolver(S, v0, proxies, inline_species=False)
    scale = {}                   # n -> value of each species / proxy
    fval = {}
    for sid, sp in S.species.items():
        f = nscale if sp.hosu else nscale * size[sp.comp]
        fval[sid] = f
        scale[sid] = 1.0 / f
    for p in proxies:
        scale[p] = 1.0
    # pools
    for sid, sp in S.species.items():
        amt = species_value(S, v0, sid, 'amount')
        if not (math.isfinite(amt) and amt >= 0):
            raise NotExpressible(f'species {sid!r} starts at {amt} (a pool holds a finite '
                                 f'amount >= 0)')
        held = sp.constant or sp.boundary or sid in S.assign_trees
        cls = 'BufPool' if held and sid not in rate_vars else 'Pool'
        P.pools.append((sid, cls, amt * nscale))
    pool_cls = {sid: c for sid, c, _ in P.pools}
    for pid, kind in S.kinds.items():
        if kind != 'parameter':
            continue
        if pid in proxies:
            P.proxies.append((pid, 'Pool', float(v0[S.slots[pid]])))
        elif pid in S.assign_trees:
            P.proxies.append((pid, 'BufPool', float(v0[S.slots[pid]])))
    for pid, _c, val in P.proxies:
        if not (math.isfinite(val) and val >= 0):
            raise NotExpressible(f'parameter {pid!r}, set by a rule, starts at {val} (its pool '
                                 f'holds a finite value >= 0)')
    # conversion factors (constant): a species changes by cf x stoichiometry x law
    cfval = {}
    for sid, sp in S.species.items():
        c = float(v0[S.slots[sp.cf]]) if sp.cf else 1.0
        if not math.isfinite(c):
            raise NotExpressible(f'the conversion factor of {sid!r} is {c}')
        cfval[sid] = c

    def common_cf(species):
        vals = {cfval[x] for x in species if not (S.species[x].boundary or
                                                  S.species[x].constant)}
        return vals.pop() if len(vals) == 1 else (1.0 if not vals else None)
    # reactions
    rng = np.random.default_rng(20240713)
    stoich = _stoichiometry(S, model, v0)
    comp_of = {sid: sp.comp for sid, sp in S.species.items()}
    vol = {cid: sz * vscale for cid, sz in size.items()}
    for r in model.getListOfReactions():
        rid = r.getId()
        law_raw = S.laws.get(rid)
        subs, prds = stoich[rid]
        if any(not math.isfinite(m) for m in list(subs.values()) + list(prds.values())):
            raise NotExpressible(f'reaction {rid!r} has a stoichiometry that is not a number')
        if any(abs(m) > MAX_OBJECT_STOICHIOMETRY
               for m in list(subs.values()) + list(prds.values())):
            # a Reac takes stoichiometry m as m messages (1e308 never finished building)
            raise NotExpressible(f'reaction {rid!r} has a stoichiometry above '
                                 f'{MAX_OBJECT_STOICHIOMETRY} (a Reac takes one message each)')
        subs = {s: m for s, m in subs.items() if m != 0}
        prds = {s: m for s, m in prds.items() if m != 0}
        what = f'the kinetic law of {rid!r}'
        if law_raw is None:
            P.notes.append(f'reaction {rid!r} has no kinetic law: not built')
            continue
        law = R(law_raw, what)
        law_fit = Rfit(law_raw, what)
        # a species the reactions must not change but a Reac would: a
        # boundary species integrated by a rate rule
        moving_boundary = any(S.species[s].boundary and pool_cls[s] == 'Pool'
                              for s in list(subs) + list(prds))
        native = None
        if not moving_boundary:
            cfr = common_cf(list(subs) + list(prds))
            ma = fit_mass_action(law_fit, subs, prds, rng, set(S.species)) \
                if cfr is not None else None
            if ma is not None:
                kf, kb, cats = ma
                parts = set(subs) | set(prds) | set(cats)
                comps = {comp_of[s] for s in parts}
                home = min(comps, key=lambda c: (vol[c], c))
                numkf = nscale * kf * cfr
                numkb = nscale * kb * cfr
                try:
                    for s, m in subs.items():
                        numkf /= fval[s] ** m
                    for s, m in prds.items():
                        numkb /= fval[s] ** m
                except OverflowError:       # stoichiometry 0x1F, 1e300: float ** overflows
                    raise NotExpressible(f'reaction {rid!r}: its rate constants in numbers '
                                         'overflow (a stoichiometry or scale too large)') from None
                for c in cats:
                    numkf /= fval[c]
                    numkb /= fval[c]
                P.reacs.append((rid, home, subs, prds, numkf, numkb, cats))
                native = 'Reac'
            else:
                mm = fit_michaelis_menten(law_fit, subs, prds, rng, set(S.species)) \
                    if cfr is not None else None
                if mm is not None:
                    a, b, E = mm
                    (s0, _m), = subs.items()
                    comps = {comp_of[s] for s in list(subs) + list(prds)}
                    if E is not None:
                        comps.add(comp_of[E])
                    if len(comps) == 1:
                        home = comps.pop()
                        if E is None:
                            E = '_impliedEnz%d' % len(P.implied)
                            while E in S.kinds:
                                E += '_'
                            # a constant enzyme whose value in the law is 1
                            fval[E] = nscale * size[home]
                            P.implied.append((E, home, fval[E] / (NA * vol[home])))
                        kcat = nscale * a * cfr / fval[E]
                        km = b * fval[s0] / (NA * vol[home])
                        P.mmenz.append((rid, E, s0, prds, kcat, km))
                        native = 'MMenz'
        if native is None:
            net = {}
            for s, m in subs.items():
                net[s] = net.get(s, 0.0) - m
            for s, m in prds.items():
                net[s] = net.get(s, 0.0) + m
            for s, ns in net.items():
                if ns == 0.0 or S.species[s].boundary or S.species[s].constant:
                    continue
                P.dots.setdefault(s, []).append((ns * cfval[s], law, rid))
    # Functions: reaction remainders, then rules
    for sid, terms in P.dots.items():
        w = _Writer(scale)
        body = ' + '.join(f'{ns!r} * {w.text(law, f"the kinetic law of {rid!r}")}'
                          for ns, law, rid in terms)
        P.functions.append((sid, 'dot', 'increment', f'{nscale!r} * ({body})', w.inputs))
    for var, tree in S.assign_trees.items():
        w = _Writer(scale)
        t = w.text(R(tree, f'the assignment rule for {var!r}'),
                   f'the assignment rule for {var!r}')
        k = 1.0 if S.kinds[var] == 'parameter' else fval[var]
        P.functions.append((var, 'assign', 'setN', t if k == 1.0 else f'{k!r} * ({t})',
                            w.inputs))
    for var in rate_vars:
        w = _Writer(scale)
        t = w.text(R(rate_trees[var], f'the rate rule for {var!r}'),
                   f'the rate rule for {var!r}')
        k = 1.0 if S.kinds[var] == 'parameter' else fval[var]
        P.functions.append((var, 'rate', 'increment', t if k == 1.0 else f'{k!r} * ({t})',
                            w.inputs))
    # compartments a reaction or Function joins
    where = dict(comp_of)
    first = next(c for c, k in S.kinds.items() if k == 'compartment')
    for pid, _c, _v in P.proxies:
        where[pid] = first
    for E, home, _c in P.implied:
        where[E] = home
    joined = False
    for rid, home, subs, prds, *_rest, cats in P.reacs:
        joined |= len({where[s] for s in list(subs) + list(prds) + list(cats)}) > 1
    for target, _n, _p, _t, inputs in P.functions:
        joined |= len({where[s] for s in list(inputs) + [target]}) > 1
    P.joined = joined
    P.where = where
    P.first = first
    return P


# ------------------------------------------------------------------ build
def build_objects(P, S, root, model, solver, method):
    """Create the planned objects under *root* (a Neutral just made) with
    their solvers; returns {sid: pool}.  *solver*: 'ksolve', 'gsolve' or
    'ee'."""
    from ...core.msg import connect
    from ..mesh import CubeMesh
    from ..pool import Pool, BufPool
    from ..reac import Reac
    from ..enz import MMenz
    from ..function import Function
    from ..stoich import Stoich
    from ..ksolve import Ksolve
    classes = {'Pool': Pool, 'BufPool': BufPool}
    meshes = {}
    for c in model.getListOfCompartments():
        cid = c.getId()
        mesh = CubeMesh(f'{root.path}/{cid}')
        sz = P.size.get(cid, math.nan)
        mesh.volume = sz * P.vscale if (sz > 0 and math.isfinite(sz)) else 1e-15
        meshes[cid] = mesh
    pools = {}
    for sid, cls, n0 in P.pools:
        p = classes[cls](f'{meshes[S.species[sid].comp].path}/{sid}')
        p.nInit = n0
        p._el.data['sbml_id'] = sid
        pools[sid] = p
    for pid, cls, val in P.proxies:
        p = classes[cls](f'{meshes[P.first].path}/{pid}')
        p.nInit = val
        p._el.data['sbml_id'] = pid
        pools[pid] = p
    for eid, home, conc in P.implied:
        p = BufPool(f'{meshes[home].path}/{eid}')
        p.concInit = conc
        pools[eid] = p
    for rid, home, subs, prds, numkf, numkb, cats in P.reacs:
        r = Reac(f'{meshes[home].path}/{rid}')
        for d, port in ((subs, 'sub'), (prds, 'prd')):
            for s, m in d.items():
                for _ in range(int(m)):
                    connect(r, port, pools[s], 'reac')
        for c in cats:
            connect(r, 'sub', pools[c], 'reac')
            connect(r, 'prd', pools[c], 'reac')
        r.numKf = numkf
        if numkb:
            r.numKb = numkb
        else:
            r.Kb = 0.0
    for rid, E, s0, prds, kcat, km in P.mmenz:
        e = MMenz(f'{pools[E].path}/{rid}')
        connect(pools[E], 'nOut', e, 'enzDest')
        connect(e, 'sub', pools[s0], 'reac')
        for s, m in prds.items():
            for _ in range(int(m)):
                connect(e, 'prd', pools[s], 'reac')
        e.Km = km
        e.kcat = kcat
    for target, name, port, text, inputs in P.functions:
        f = Function(f'{pools[target].path}/{name}')
        f.expr = text
        if name == 'assign':
            f.doEvalAtReinit = True     # an assignment rule holds at t = 0 too
        for k, s in enumerate(inputs):
            connect(pools[s], 'nOut', f.x[k], 'input')
        connect(f, 'valueOut', pools[target], port)
    if solver == 'ee':
        return pools
    if P.joined:
        main = max(meshes.values(), key=lambda m: m.volume)
        groups = [(main, f'{root.path}/##')]
    else:
        used = {P.where[s] for s in pools}
        groups = [(meshes[c], f'{meshes[c].path}/##') for c in meshes if c in used]
    for mesh, path in groups:
        if solver == 'gsolve':
            from ...core.fields import registry
            ks = registry['Gsolve'](f'{mesh.path}/ksolve')
        else:
            ks = Ksolve(f'{mesh.path}/ksolve')
            ks.method = method
            # SBML files are judged to their own tolerances: tighter than
            # MOOSE's defaults (1e-7), which cost little with LSODA
            ks.epsRel = 1e-9
            ks.epsAbs = 1e-9
        st = Stoich(f'{mesh.path}/stoich')
        st.compartment = mesh
        st.ksolve = ks
        st.allowNegative = True       # SBML values may be negative (rules)
        st.reacSystemPath = path
    return pools


def describe(P):
    """One line: counts of what was built."""
    return (f'{len(P.pools)} pools, {len(P.reacs)} Reac, {len(P.mmenz)} MMenz, '
            f'{len(P.functions)} Functions ({sum(1 for f in P.functions if f[1] == "dot")} '
            f'for other rate laws), {len(P.proxies)} parameter pools')


def check_build_name(build):
    b = str(build).lower()
    if b not in BUILDS:
        raise ModelImportError(f'readSBML: unknown build {build!r}; valid: '
                               f'{", ".join(BUILDS)}')
    return b
