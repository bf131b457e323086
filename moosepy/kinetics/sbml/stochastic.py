"""SBML models for the stochastic solver (``readSBML(..., solver='gssa')``).

Gsolve fires MOOSE reactions: a Reac with substrates of multiplicities
m_i fires at ``numKf * prod_i n_i (n_i - 1) ... (n_i - m_i + 1)``.  An SBML
kinetic law is turned into such a reaction by measuring it: the law is
evaluated (by the compiled engine) at several random integer states and
divided by the falling-factorial product; if the ratio is the same
everywhere the law *is* mass action in MOOSE's sense and that ratio is the
rate constant (so the DSMTS dimerisation law ``k1*P*(P-1)/2`` becomes
``numKf = k1/2``).  A reversible law ``kf F(subs) - kb F(prds)`` is split
the same way.

Assignment rules ``y = f(species, constants)`` for a species y become a
Function (inputs: the pools' n, output: y's ``setN``), as on the
deterministic path; Gsolve re-evaluates it after every firing that changes
one of its inputs, so y is exact between firings and a reaction reading y
sees it.

Events without delay become :class:`moosepy.stochastic.events.SsaEvent` on
the Gsolve: a trigger ``time >= T`` (or >, <=, < with the sides swapped)
is a time event (the SSA stops at exactly T); a trigger that compares a
linear combination of species amounts with a constant (``P2 > 30``) is a
state event, checked after every firing that changes one of its species;
assignments must give species whole amounts (linear in species amounts
with whole coefficients, in molecules).

Refused with a SolverError naming the SBML ids (the stochastic answer would
otherwise be silently wrong): delays (of events or in math), algebraic and
rate rules, assignment rules that read time or reaction rates or set a
parameter or compartment from the state, events with a delay, priorities
(when the model has more than one event), triggers that are not one
comparison (and/or/not, equality), that mix time and species, that become
false as time goes on, or that read a parameter that changes or a species set
by a rule; event assignments to parameters, compartments, boundary or
constant species, or with non-whole results; kinetic laws the Function
syntax cannot express; variable compartments.

A law that is not mass action (a Hill term, a law written in the products
only) keeps its reactants and products on a Reac whose ``numKf`` a Function
sets to law / prod n(n-1)...: the propensity is then the law itself, and
Gsolve recomputes it whenever the Function's inputs change.
"""


import numpy as np

from ...core.errors import SolverError
from .engine import Engine, species_value


def _falling(n, m):
    """n (n-1) ... (n-m+1); 0 when a whole count n is below m (the product
    then holds the factor 0), so the loop is never longer than n + 1."""
    if n == int(n) and 0 <= n < m:
        return 0.0
    out = 1.0
    for k in range(int(m)):
        out *= (n - k)
    return out


#: largest reactant stoichiometry the stochastic solver takes: its propensity
#: is a product of that many factors, written out in a Function when the law
#: is not plain mass action
MAX_REACTANT_STOICHIOMETRY = 1000


def _refuse(src, what):
    raise SolverError(f"{src}: solver 'gssa': {what}; the stochastic solver needs mass-action "
                      f"reactions only (use solver='lsoda')")


def mass_action_terms(S, nscale, rng_seed=12345):
    """[(reaction id, {species: m} reactants, {species: m} products, numKf,
    numKb, boundary species left out)] for every reaction of S, or
    SolverError."""
    src = S.source
    kinds = S.kinds
    if S.has_delay or len(S.alg_u):
        _refuse(src, 'delays and algebraic rules are not supported')
    for x in S.state_names:
        if not x.startswith('amt:'):
            _refuse(src, f'{x!r} is set by a rate rule')
    eng = Engine(S)
    eng.reset()
    v0 = eng.v.copy()
    rule_functions(S, nscale, v0)       # refuses what it cannot express
    gssa_events(S, nscale, v0)          # idem
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
                if m > 2.0 ** 53 or (d is subs and m > MAX_REACTANT_STOICHIOMETRY):
                    _refuse(src, f'reaction {rid!r} has stoichiometry {m:g} for {sp!r}; '
                                 f'the stochastic solver takes reactant stoichiometries up '
                                 f'to {MAX_REACTANT_STOICHIOMETRY} and product ones up to '
                                 f'2^53 (exact counts)')
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
            for sid, sp in S.species.items():     # species a rule sets follow
                if sp.mode == 'assigned':
                    counts[sid] = float(species_value(S, v, sid, 'amount')) * nscale
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


def _changing(S, name):
    """True if the parameter/compartment *name* can change during a run."""
    return name in S.ev_targets or name in S.assign_reads


def _emitter(S, nscale, v0, what, refuse):
    """(emit, inputs): emit(tree) is the Function-syntax text of *tree* in
    which species read the pools' n (x_k, k the index of the species in
    *inputs*, filled as they are met); *what* names the math in errors."""
    inputs = []

    def xname(sid):
        if sid not in inputs:
            inputs.append(sid)
        return f'x{inputs.index(sid)}'

    def emit(t):
        # the text goes through the recursive-descent Function parser, and
        # this writer recurses too: bounded nesting (moosepy.limits)
        _check_depth(t, what, refuse)
        return _emit(t)

    def _emit(t):
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
                if sp.mode not in ('amount', 'assigned'):
                    refuse(f'{what} reads {name!r}, which a rule sets')
                amt = f'({xname(name)} / {nscale!r})'
                if sp.hosu:
                    return amt
                return f'({amt} / {float(v0[S.slots[sp.comp]])!r})'
            if kind in ('parameter', 'compartment', 'local', 'specref') and \
                    not _changing(S, name):
                return repr(float(v0[S.slots[name]]))
            refuse(f'{what} reads {name!r}, which changes during the run other than '
                   f'through reactions')
        if k == 'op':
            name, args = t[1], [_emit(a) for a in t[2]]
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
        refuse(f'{what} uses {t[0]!r} {t[1] if len(t) > 1 else ""}, which the stochastic '
               f'solver cannot evaluate')
    return emit, inputs


def _law_text(S, rid, subs, nscale, v0):
    """The numKf expression (Function syntax, inputs x_k = pool n) whose
    value times the falling-factorial product of *subs* is the law in
    molecules/s; and the species read, in x order."""
    src = S.source
    law = S.laws.get(rid)
    if law is None:
        _refuse(src, f'reaction {rid!r} has no kinetic law')
    emit, inputs = _emitter(S, nscale, v0, f'the law of {rid!r}', lambda w: _refuse(src, w))
    body = emit(law)
    xname = {}
    for sp in subs:
        if sp not in inputs:
            inputs.append(sp)
        xname[sp] = f'x{inputs.index(sp)}'
    falling = ' * '.join(f'({xname[sp]} - {k})' if k else xname[sp]
                         for sp, m in subs.items() for k in range(int(m)))
    rate = f'({body}) * {nscale!r}'
    if not falling:
        return rate, inputs
    return f'(({falling}) > 0 ? {rate} / ({falling}) : 0)', inputs


def rule_functions(S, nscale, v0):
    """[(species id, Function expression of its count, species read in x
    order)] for the assignment rules that follow the state; refuses those
    the stochastic solver cannot keep exact (SolverError naming the rule)."""
    src = S.source
    out = []
    for var, reads in S.assign_reads.items():
        moving = sorted(n for n in reads if n == 'time' or S.kinds.get(n) in (
            'species', 'reaction') or (n in S.kinds and _changing(S, n)))
        if not moving:
            continue            # a rule of constants is a constant
        bad = sorted(n for n in moving if n == 'time' or S.kinds.get(n) == 'reaction'
                     or (S.kinds.get(n) == 'species' and S.species[n].mode != 'amount')
                     or (S.kinds.get(n) != 'species' and n != 'time'))
        if bad or S.kinds.get(var) != 'species':
            why = (f'reads {", ".join(bad)}, which Gsolve cannot follow exactly (only '
                   f'species changed by reactions and events)' if bad else
                   f'sets {S.kinds.get(var)} {var!r} from {", ".join(moving)}, which change '
                   f'during the run (only species can follow the state)')
            _refuse(src, f'the assignment rule for {var!r} {why}')
        sp = S.species[var]

        def refuse(w, var=var):
            _refuse(src, w)
        emit, inputs = _emitter(S, nscale, v0, f'the assignment rule for {var!r}', refuse)
        body = emit(S.assign_trees[var])
        scale = nscale if sp.hosu else nscale * float(v0[S.slots[sp.comp]])
        out.append((var, f'({body}) * {scale!r}', inputs))
    return out


# ---------------------------------------------------------------- events
class _NotLinear(Exception):
    pass


def _check_depth(tree, what, refuse):
    from ...core.limits import limits
    from .mathc import depth
    cap = limits.max_expr_depth
    if cap is not None:
        d = depth(tree)
        # the written law wraps the tree in up to 8 more levels
        if d > cap - 8:
            refuse(f'{what} is nested {d} deep; the stochastic solver takes expressions '
                   f'nested up to moosepy.limits.max_expr_depth - 8 = {cap - 8} (raise it '
                   f'with moosepy.limits.max_expr_depth = N)')


def _linear(S, tree, nscale, v0, refuse, what):
    _check_depth(tree, what, refuse)
    return _linear_(S, tree, nscale, v0, refuse, what)


def _linear_(S, tree, nscale, v0, refuse, what):
    """({species: coefficient on its count [1/#]}, time coefficient,
    constant) of a tree linear in species amounts and time; _NotLinear
    otherwise."""
    k = tree[0]
    if k == 'c':
        return {}, 0.0, float(tree[1])
    if k == 't':
        return {}, 1.0, 0.0
    if k == 'v':
        name = tree[1]
        kind = S.kinds.get(name)
        if kind == 'species':
            sp = S.species[name]
            if sp.mode != 'amount':
                refuse(f'{what} reads {name!r}, which a rule sets (not a count the '
                       f'solver changes)')
            if not sp.hosu and _changing(S, sp.comp):
                refuse(f'{what} reads {name!r}, whose compartment changes size')
            scale = 1.0 / nscale if sp.hosu else 1.0 / (nscale * float(v0[S.slots[sp.comp]]))
            return {name: scale}, 0.0, 0.0
        if kind in ('parameter', 'compartment', 'specref') and not _changing(S, name):
            return {}, 0.0, float(v0[S.slots[name]])
        refuse(f'{what} reads {name!r}, which is not a species amount, time or a constant')
    if k == 'op':
        name, args = tree[1], tree[2]
        if name in ('+', '-') and len(args) == 2:
            (ca, ta, ka), (cb, tb, kb) = (_linear_(S, a, nscale, v0, refuse, what)
                                          for a in args)
            sg = 1.0 if name == '+' else -1.0
            c = dict(ca)
            for sid, x in cb.items():
                c[sid] = c.get(sid, 0.0) + sg * x
            return c, ta + sg * tb, ka + sg * kb
        if name == 'neg':
            c, tt, kk = _linear_(S, args[0], nscale, v0, refuse, what)
            return {s_: -x for s_, x in c.items()}, -tt, -kk
        if name in ('*', '/') and len(args) == 2:
            (ca, ta, ka), (cb, tb, kb) = (_linear_(S, a, nscale, v0, refuse, what)
                                          for a in args)
            if name == '/':
                if cb or tb or kb == 0:
                    raise _NotLinear
                return {s_: x / kb for s_, x in ca.items()}, ta / kb, ka / kb
            if not (cb or tb):
                return {s_: x * kb for s_, x in ca.items()}, ta * kb, ka * kb
            if not (ca or ta):
                return {s_: x * ka for s_, x in cb.items()}, tb * ka, kb * ka
    raise _NotLinear


def _whole(x):
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


def gssa_events(S, nscale, v0):
    """The SBML events as specs for :class:`moosepy.stochastic.events.SsaEvent`:
    [(id, at, (coefs, const, strict) or None, [(species, {species: coef},
    const)] in molecules, initial, persistent)]; SolverError naming the event
    for what the stochastic solver cannot express (see the module
    docstring)."""
    src = S.source
    out = []
    for ev in S.events:
        def refuse(w, eid=ev.id):
            raise SolverError(f"{src}: solver 'gssa': event {eid!r}: {w}; the stochastic "
                              f"solver takes events without delay whose trigger compares "
                              f"time, or species amounts, with a constant and whose "
                              f"assignments give species whole amounts (use "
                              f"solver='lsoda')")
        if ev.delay is not None:
            refuse('it has a delay')
        if ev.prio is not None and len(S.events) > 1:
            refuse('it has a priority (the order of simultaneous events is not '
                   'implemented)')
        trig = S.ev_trees[ev.trig]
        rels = {'gt': (1.0, True), 'ge': (1.0, False), 'lt': (-1.0, True),
                'le': (-1.0, False)}
        if trig[0] != 'op' or trig[1] not in rels or len(trig[2]) != 2:
            refuse('its trigger is not one comparison (<, <=, >, >=)')
        sign, strict = rels[trig[1]]
        try:
            (ca, ta, ka), (cb, tb, kb) = (_linear(S, a, nscale, v0, refuse, 'its trigger')
                                          for a in trig[2])
        except _NotLinear:
            refuse('its trigger is not linear in species amounts and time')
        coefs = {sid: sign * (ca.get(sid, 0.0) - cb.get(sid, 0.0)) for sid in set(ca) | set(cb)}
        coefs = {sid: c for sid, c in coefs.items() if c != 0.0}
        tc, const = sign * (ta - tb), sign * (ka - kb)
        initial = bool(ev.initial)
        if coefs and tc:
            refuse('its trigger mixes time and species amounts')
        if not coefs and not tc:
            refuse('its trigger reads neither time nor a species amount')
        at = when = None
        if tc:
            if tc < 0:
                refuse('its trigger becomes false as time goes on')
            at = -const / tc
            if strict and at == 0.0:
                initial = False     # time > 0 is false at t = 0 and rises at once
        else:
            when = (coefs, const, strict)
        assigns = []
        for var, name in ev.assign:
            what = f'its assignment to {var!r}'
            if S.kinds.get(var) != 'species':
                refuse(f'it assigns {S.kinds.get(var)} {var!r} (only species amounts can '
                       f'change in the stochastic solver)')
            sp = S.species[var]
            if sp.mode != 'amount' or sp.boundary or sp.constant:
                refuse(f'it assigns {var!r}, which is a boundary or constant species or set '
                       f'by a rule')
            if not sp.hosu and _changing(S, sp.comp):
                refuse(f'it assigns {var!r}, whose compartment changes size')
            try:
                c, tt, kk = _linear(S, S.ev_trees[name], nscale, v0, refuse, what)
            except _NotLinear:
                refuse(f'{what} is not linear in species amounts')
            if tt:
                refuse(f'{what} reads time (its result would not be a whole amount)')
            scale = nscale if sp.hosu else nscale * float(v0[S.slots[sp.comp]])
            c = {sid: x * scale for sid, x in c.items() if x != 0.0}
            kk *= scale
            bad = [x for x in list(c.values()) + [kk] if not _whole(x)]
            if bad:
                refuse(f'{what} does not give a whole number of molecules (term {bad[0]:g}); '
                       f'assignments set counts')
            assigns.append((var, {sid: float(round(x)) for sid, x in c.items()},
                            float(round(kk))))
        out.append((ev.id, at, when, assigns, initial, bool(ev.persistent)))
    return out


def _fit(samples, A, subs, prds):
    """(kf, kb) with A = kf F(subs) - kb F(prds) at every sample, or None."""
    Fs = np.array([np.prod([_falling(c[sp], m) for sp, m in subs.items()])
                   for c, _ in samples])
    Fp = np.array([np.prod([_falling(c[sp], m) for sp, m in prds.items()])
                   for c, _ in samples])
    if not (np.all(np.isfinite(Fs)) and np.all(np.isfinite(Fp))):
        return None           # products of 1000 counts overflow: not a fit
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
    eng = Engine(S)
    eng.reset()
    v0 = eng.v.copy()
    for var, text, inputs in rule_functions(S, nscale, v0):
        f = Function(f'{first}/{var}_rule')
        f.expr = text
        for k, sp in enumerate(inputs):
            connect(pool_els[sp].handle(0), 'nOut', f.x[k], 'input')
        connect(f, 'valueOut', pool_els[var].handle(0), 'setN')
    st = Stoich(f'{first}/stoich')
    g = Gsolve(f'{first}/gsolve')
    st.compartment = first
    st.ksolve = g
    st.reacSystemPath = f'{root.path}/##'
    from ...stochastic.events import SsaEvent, Threshold, Assignment, set_events
    evs = []
    for eid, at, when, assigns, initial, persistent in gssa_events(S, nscale, v0):
        path = {sid: pool_els[sid].path for sid in S.species}
        th = None if when is None else Threshold({path[s]: c for s, c in when[0].items()},
                                                 when[1], when[2])
        evs.append(SsaEvent(eid, at=at, when=th, initial=initial, persistent=persistent,
                            assign=tuple(Assignment(path[v], {path[s]: c
                                                              for s, c in cs.items()}, k)
                                         for v, cs, k in assigns)))
    if evs:
        set_events(g, evs)
    return g
