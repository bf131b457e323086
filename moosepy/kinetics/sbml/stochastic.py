"""SBML models for the stochastic solver (``readSBML(..., solver='gssa')``).

Gsolve fires MOOSE reactions: a Reac with substrates of multiplicities
m_i fires at ``numKf * prod_i n_i (n_i - 1) ... (n_i - m_i + 1)``.  An SBML
kinetic law is turned into such a reaction by measuring it: the law is
evaluated (by the compiled engine) at several random integer states and
divided by the falling-factorial product; if the ratio is the same
everywhere the law *is* mass action in MOOSE's sense and that ratio is the
rate constant (so the DSMTS dimerisation law ``k1*P*(P-1)/2`` becomes
``numKf = k1/2``).  A reversible law ``kf F(subs) - kb F(prds)`` is split
the same way.  Anything else (Hill terms, Michaelis-Menten, rules, events,
delays, variable compartments) is refused with a SolverError naming the
SBML ids: the stochastic answer would otherwise be silently wrong.

A law that is not mass action (a Hill term, a law written in the products
only) keeps its reactants and products on a Reac whose ``numKf`` a Function
sets to law / prod n(n-1)...: the propensity is then the law itself, and
Gsolve recomputes it whenever the Function's inputs change.
"""

import math

import numpy as np

from ...core.errors import SolverError
from .engine import Engine, species_value


def _falling(n, m):
    out = 1.0
    for k in range(int(m)):
        out *= (n - k)
    return out


def _refuse(src, what):
    raise SolverError(f"{src}: solver 'gssa': {what}; the stochastic solver needs mass-action "
                      f"reactions only (use solver='lsoda')")


def mass_action_terms(S, nscale, rng_seed=12345):
    """[(reaction id, {species: m} reactants, {species: m} products, numKf,
    numKb, boundary species left out)] for every reaction of S, or
    SolverError."""
    src = S.source
    kinds = S.kinds
    if S.events:
        _refuse(src, 'events (' + ', '.join(e.id for e in S.events) + ') are not supported')
    if S.has_delay or len(S.alg_u):
        _refuse(src, 'delays and algebraic rules are not supported')
    for x in S.state_names:
        if not x.startswith('amt:'):
            _refuse(src, f'{x!r} is set by a rate rule')
    # an assignment rule that follows the state would not be updated between
    # firings: refuse it (one of constants only is a constant and is fine)
    for var, reads in S.assign_reads.items():
        moving = sorted(n for n in reads if n == 'time' or kinds.get(n) in ('species',
                                                                           'reaction'))
        if moving:
            _refuse(src, f'the assignment rule for {var!r} reads {", ".join(moving)}, '
                         f'which change during the run')
    eng = Engine(S)
    eng.reset()
    v0 = eng.v.copy()
    reactions = [k for k, kind in kinds.items() if kind == 'reaction']
    rng = np.random.default_rng(rng_seed)
    out = []
    for rid in reactions:
        subs, prds = S.reaction_refs[rid]
        for d in (subs, prds):
            for sp, m in d.items():
                if m != int(m) or m < 0:
                    _refuse(src, f'reaction {rid!r} has stoichiometry {m} for {sp!r} '
                                 f'(whole numbers only)')
        # the state species the law may read: all amount species
        names = [sid for sid, sp in S.species.items() if sp.mode == 'amount']
        samples = []
        for _k in range(6):
            v = v0.copy()
            counts = {}
            for sid in names:
                c = float(rng.integers(3, 60))
                counts[sid] = c
                v[S.slots['amt:' + sid]] = c / nscale
            eng._eval(0.0, v[S.state_slots], v)
            a = v[S.slots[rid]] * nscale          # molecules per second
            samples.append((counts, a))
        A = np.array([a for _, a in samples])
        if not np.all(np.isfinite(A)):
            _refuse(src, f'the kinetic law of {rid!r} is not finite at whole-number states')
        # first with every reactant; then without the boundary ones, whose
        # counts never change and which a law may leave out (0 -> X written
        # as Source -> X with rate Alpha)
        fixed = {sp for sp in list(subs) + list(prds) if S.species[sp].boundary or
                 S.species[sp].constant}
        fit = None
        for drop in (set(), fixed):
            s2 = {sp: m for sp, m in subs.items() if sp not in drop}
            p2 = {sp: m for sp, m in prds.items() if sp not in drop}
            fit = _fit(samples, A, s2, p2)
            if fit is not None:
                out.append((rid, s2, p2) + fit + (drop,))
                break
        if fit is None:
            # any other law: the Reac's numKf is set by a Function so that
            # numKf * prod n(n-1)... equals the law at every state
            text, inputs = _law_text(S, rid, subs, nscale, v0)
            out.append((rid, subs, prds, 0.0, 0.0, set(), text, inputs))
    return out


_BIN = {'+': '+', '-': '-', '*': '*', '/': '/', '^': '^', 'lt': '<', 'le': '<=', 'gt': '>',
        'ge': '>=', 'eq': '==', 'ne': '!=', 'and': '&&', 'or': '||'}
_FUN = {'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'exp', 'log',
        'log10', 'sqrt', 'abs', 'floor', 'ceil'}


def _law_text(S, rid, subs, nscale, v0):
    """The numKf expression (Function syntax, inputs x_k = pool n) whose
    value times the falling-factorial product of *subs* is the law in
    molecules/s; and the species read, in x order."""
    src = S.source
    law = S.laws.get(rid)
    if law is None:
        _refuse(src, f'reaction {rid!r} has no kinetic law')
    inputs = []

    def xname(sid):
        if sid not in inputs:
            inputs.append(sid)
        return f'x{inputs.index(sid)}'

    def emit(t):
        k = t[0]
        if k == 'c':
            return repr(float(t[1]))
        if k == 't':
            return 't'
        if k == 'v':
            name = t[1]
            kind = S.kinds.get(name)
            if kind == 'species':
                sp = S.species[name]
                if sp.mode != 'amount':
                    _refuse(src, f'the law of {rid!r} reads {name!r}, which a rule sets')
                amt = f'({xname(name)} / {nscale!r})'
                if sp.hosu:
                    return amt
                return f'({amt} / {float(v0[S.slots[sp.comp]])!r})'
            if kind in ('parameter', 'compartment', 'local', 'specref') and \
                    name not in S.ev_targets and name not in S.assign_reads:
                return repr(float(v0[S.slots[name]]))
            _refuse(src, f'the law of {rid!r} reads {name!r}, which changes during the run '
                         f'other than through reactions')
        if k == 'op':
            name, args = t[1], [emit(a) for a in t[2]]
            if name in _BIN:
                return f'({args[0]} {_BIN[name]} {args[1]})'
            if name == 'neg':
                return f'(-{args[0]})'
            if name == 'not':
                return f'(!{args[0]})'
            if name == 'if':
                return f'({args[0]} ? {args[1]} : {args[2]})'
            if name in _FUN:
                return f'{name}({args[0]})'
            if name in ('min', 'max', 'fmod', 'atan2'):
                return f'{name}({args[0]}, {args[1]})'
        _refuse(src, f'the law of {rid!r} uses {t[0]!r} {t[1] if len(t) > 1 else ""}, which '
                     f'the stochastic solver cannot evaluate')
    body = emit(law)
    falling = ' * '.join(f'({xname(sp)} - {k})' if k else xname(sp)
                         for sp, m in subs.items() for k in range(int(m)))
    rate = f'({body}) * {nscale!r}'
    if not falling:
        return rate, inputs
    return f'(({falling}) > 0 ? {rate} / ({falling}) : 0)', inputs


def _fit(samples, A, subs, prds):
    """(kf, kb) with A = kf F(subs) - kb F(prds) at every sample, or None."""
    Fs = np.array([np.prod([_falling(c[sp], m) for sp, m in subs.items()])
                   for c, _ in samples])
    Fp = np.array([np.prod([_falling(c[sp], m) for sp, m in prds.items()])
                   for c, _ in samples])
    kf = A / Fs
    if np.allclose(kf, kf[0], rtol=1e-9, atol=0):
        return float(kf[0]), 0.0
    M = np.column_stack([Fs, -Fp])
    sol, *_ = np.linalg.lstsq(M, A, rcond=None)
    if np.allclose(M @ sol, A, rtol=1e-9, atol=1e-12 * np.max(np.abs(A))) and \
            sol[0] >= 0 and sol[1] >= 0:
        return float(sol[0]), float(sol[1])
    return None


def build_gssa(S, root, model, nscale, comp_paths, pool_els):
    """Make Reacs, a Stoich and a Gsolve under *root* for the SBML system."""
    from ...core.fields import registry
    Gsolve = registry.get('Gsolve')
    if Gsolve is None:
        raise SolverError(f"{S.source}: solver 'gssa' needs moosepy.stochastic (Gsolve), "
                          f"which is not available")
    from ..reac import Reac
    from ..stoich import Stoich
    from ...core.msg import connect
    terms = mass_action_terms(S, nscale)
    first = next(iter(comp_paths.values()))
    from ..function import Function
    for term in terms:
        rid, subs, prds, kf, kb, _dropped = term[:6]
        r = Reac(f'{first}/{rid}')
        for sp, m in subs.items():
            for _ in range(int(m)):
                connect(r, 'sub', pool_els[sp].handle(0), 'reac')
        for sp, m in prds.items():
            for _ in range(int(m)):
                connect(r, 'prd', pool_els[sp].handle(0), 'reac')
        if not subs:
            r._el.data['allow_zero_order'] = True
        r.numKf = kf
        if kb:
            r.numKb = kb
        else:
            r.Kb = 0.0      # no conversion: a product side of order 100 overflows
        if len(term) > 6:                    # a law that is not mass action
            text, inputs = term[6], term[7]
            f = Function(f'{first}/{rid}_rate')
            f.expr = text
            for k, sp in enumerate(inputs):
                connect(pool_els[sp].handle(0), 'nOut', f.x[k], 'input')
            connect(f, 'valueOut', r, 'setNumKf')
    st = Stoich(f'{first}/stoich')
    g = Gsolve(f'{first}/gsolve')
    st.compartment = first
    st.ksolve = g
    st.reacSystemPath = f'{root.path}/##'
    return g
