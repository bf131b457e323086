"""An SBML model compiled for simulation: value slots, ordered statements,
integrated states, algebraic unknowns and events.

Every SBML symbol (compartment, species, parameter, species reference,
reaction) owns a slot of the value vector ``v``.  A species' slot holds the
value its id has in math: its concentration (amount / compartment size)
unless ``hasOnlySubstanceUnits``, else its amount.  Species changed by
reactions are integrated as amounts (slot ``amt:S``), so a compartment whose
size changes dilutes them as SBML requires; a species set by a rate rule is
integrated in the units of its symbol.

Statements, in dependency order, fill the slots that are functions of
others: species symbols from amounts, assignment rules, reaction rates
(kinetic laws, local parameters renamed), derivatives, ``rateOf`` values,
delayed values and algebraic residuals.  Events have their own statements
(triggers, priorities, delays, assignment values).  All programs are op-code
arrays run by the numba kernels in :mod:`.kernels`.
"""

import math

import networkx as nx
import numpy as np
import libsbml

from ...core.errors import ModelImportError
from ...core.limits import check_xml
from . import mathc as M
from .mathc import C, op


class Event:
    __slots__ = ('id', 'trig', 'prio', 'delay', 'assign', 'persistent', 'initial',
                 'from_trigger', 'index')


class Species:
    __slots__ = ('id', 'comp', 'hosu', 'boundary', 'constant', 'mode', 'cf')


class System:
    """The compiled model; see the module docstring."""

    def __init__(self, source):
        self.source = source
        self.slots = {}
        self.slot_names = []
        self.code = M.Code()
        self.unsupported = []

    def slot(self, name):
        i = self.slots.get(name)
        if i is None:
            i = len(self.slot_names)
            self.slots[name] = i
            self.slot_names.append(name)
        return i


def _err(src, where, msg):
    raise ModelImportError(f'{src}: {where}: {msg}')


def _err_line(src, x, msg):
    """ModelImportError naming the file and the line of SBML element *x*."""
    ln = x.getLine() if hasattr(x, 'getLine') else 0
    raise ModelImportError(f'{src}, line {ln}: {msg}' if ln else f'{src}: {msg}')


def build(doc, source):
    """Compile a libsbml document (already checked) into a :class:`System`."""
    model = doc.getModel()
    if model is None:
        raise ModelImportError(f'{source}: the document has no <model>')
    S = System(source)
    level = doc.getLevel()
    S.level = level
    where = lambda x: f'{x.getElementName()} {x.getId()!r}'   # noqa: E731

    # ---------------------------------------------------------- symbols
    funcs = {}
    for fd in model.getListOfFunctionDefinitions():
        lam = fd.getMath()
        if lam is None:
            continue      # L3V2 allows it; a call of it is then an error
        tree = M.from_ast(lam, f'{source}: {where(fd)}')
        if tree[0] != 'lambda':
            _err(source, where(fd), 'function definition math is not a lambda')
        funcs[fd.getId()] = (tree[1], tree[2])
    funcs = M.resolve_functions(funcs, f'{source}: functionDefinitions')

    def math_of(node, w, local=None):
        tree = M.from_ast(node, f'{source}: {w}')
        tree = M.inline_calls(tree, funcs, f'{source}: {w}')
        if local:
            tree = M.substitute(tree, local)
        return tree

    init = {}            # symbol -> initial value (attribute) or None
    const = {}           # symbol -> constant flag
    kinds = {}           # symbol -> 'compartment' | 'species' | 'parameter' | 'specref' | 'reaction'
    comps = {}
    for c in model.getListOfCompartments():
        cid = c.getId()
        kinds[cid] = 'compartment'
        dims = c.getSpatialDimensions() if c.isSetSpatialDimensions() else 3.0
        if c.isSetSize():
            init[cid] = c.getSize()
            if not (math.isfinite(init[cid]) and init[cid] >= 0):
                _err_line(source, c, f'compartment {cid!r} has size {init[cid]!r}; a size '
                          f'must be finite and >= 0 (a negative or infinite volume is not '
                          f'physical)')
        elif level < 3 and dims != 0:
            init[cid] = 1.0            # L1/L2 default size
        else:
            init[cid] = math.nan
        const[cid] = c.getConstant()
        comps[cid] = dims
    species = {}
    for s in model.getListOfSpecies():
        sid = s.getId()
        kinds[sid] = 'species'
        sp = Species()
        sp.id = sid
        sp.comp = s.getCompartment()
        if sp.comp not in comps:
            _err(source, where(s), f'compartment {sp.comp!r} is not defined')
        sp.hosu = s.getHasOnlySubstanceUnits()
        if comps[sp.comp] == 0:
            sp.hosu = True
        sp.boundary = s.getBoundaryCondition()
        sp.constant = s.getConstant()
        sp.cf = s.getConversionFactor() if s.isSetConversionFactor() else (
            model.getConversionFactor() if model.isSetConversionFactor() else None)
        const[sid] = sp.constant
        if s.isSetInitialAmount():
            init[sid] = ('amount', s.getInitialAmount())
        elif s.isSetInitialConcentration():
            init[sid] = ('conc', s.getInitialConcentration())
        else:
            init[sid] = None
        if init[sid] is not None and not (math.isfinite(init[sid][1]) and init[sid][1] >= 0):
            what = 'initialAmount' if init[sid][0] == 'amount' else 'initialConcentration'
            _err_line(source, s, f'species {sid!r} has {what} {init[sid][1]!r}; it must be '
                      f'finite and >= 0 (SBML parameters may be negative, amounts may not)')
        species[sid] = sp
    for p in model.getListOfParameters():
        pid = p.getId()
        kinds[pid] = 'parameter'
        init[pid] = p.getValue() if p.isSetValue() else math.nan
        const[pid] = p.getConstant()
    reactions = []
    for r in model.getListOfReactions():
        rid = r.getId()
        kinds[rid] = 'reaction'
        const[rid] = False
        refs = []
        for sign, lst in ((-1, r.getListOfReactants()), (1, r.getListOfProducts())):
            for sr in lst:
                spid = sr.getSpecies()
                if spid not in species:
                    _err(source, where(r), f'species {spid!r} is not defined')
                if level < 3 and sr.isSetStoichiometryMath():
                    sm = sr.getStoichiometryMath()
                    refs.append((sign, spid, ('math', math_of(sm.getMath(),
                                                              where(r) + ' stoichiometryMath'))))
                    continue
                stv = sr.getStoichiometry() if sr.isSetStoichiometry() else (
                    1.0 if level < 3 else math.nan)
                if level < 3 and getattr(sr, 'isSetDenominator', lambda: False)() and \
                        sr.getDenominator() != 1:
                    stv = stv / sr.getDenominator()
                if sr.isSetId() and sr.getId():
                    fid = sr.getId()
                    kinds[fid] = 'specref'
                    init[fid] = stv
                    const[fid] = sr.getConstant() if level >= 3 else True
                    refs.append((sign, spid, ('sym', fid)))
                else:
                    refs.append((sign, spid, ('num', stv)))
        kl = r.getKineticLaw()
        if kl is None or kl.getMath() is None:
            law = None
        else:
            local = {}
            lps = list(kl.getListOfLocalParameters()) if level >= 3 else []
            lps += list(kl.getListOfParameters())
            for lp in lps:
                name = f'lp:{rid}:{lp.getId()}'
                local[lp.getId()] = ('v', name)
                kinds[name] = 'local'
                init[name] = lp.getValue() if lp.isSetValue() else math.nan
                const[name] = True
            law = math_of(kl.getMath(), where(r) + ' kineticLaw', local)
        reactions.append((rid, refs, law, r.getFast() if r.isSetFast() else False, r))

    # numeric stoichiometry per reaction (for the stochastic solver); NaN
    # where it is a variable
    S.laws = {rid: law for rid, refs, law, fast, r in reactions}
    S.reaction_refs = {}
    for rid, refs, law, fast, r in reactions:
        d = ({}, {})
        for sign, spid, st in refs:
            if st[0] == 'num':
                val = st[1]
            elif st[0] == 'sym' and const.get(st[1], False):
                val = init[st[1]]
            else:
                val = math.nan
            side = d[0] if sign < 0 else d[1]
            side[spid] = side.get(spid, 0.0) + val
        S.reaction_refs[rid] = d

    # ---------------------------------------------------------- rules
    assign, rate, alg = {}, {}, []
    for rule in model.getListOfRules():
        if rule.getMath() is None:
            S.unsupported.append(f'a rule without math (for {rule.getVariable() or "?"!r}) '
                                 f'has no effect')
            continue
        if rule.isAlgebraic():
            alg.append(math_of(rule.getMath(), 'algebraicRule'))
            continue
        var = rule.getVariable()
        if var not in kinds:
            _err(source, f'rule for {var!r}', 'variable is not a compartment, species, '
                 'parameter or species reference of the model')
        w = f"{'assignmentRule' if rule.isAssignment() else 'rateRule'} for {var!r}"
        tree = math_of(rule.getMath(), w)
        (assign if rule.isAssignment() else rate)[var] = tree
    S.assign_reads = {var: {n for n in M.names(tree) if isinstance(n, str)} |
                      ({'time'} if _uses_time(tree) else set())
                      for var, tree in assign.items()}
    inits = {}
    for ia in model.getListOfInitialAssignments():
        sym = ia.getSymbol()
        if sym not in kinds:
            _err(source, f'initialAssignment for {sym!r}', 'symbol is not defined')
        if ia.getMath() is None:
            continue      # L3V2: an initial assignment without math does nothing
        inits[sym] = math_of(ia.getMath(), f'initialAssignment for {sym!r}')

    # which symbols the events change
    ev_targets = set()
    for e in model.getListOfEvents():
        for ea in e.getListOfEventAssignments():
            ev_targets.add(ea.getVariable())

    # ---------------------------------------------------------- species modes
    reacted = set()
    for rid, refs, law, fast, r in reactions:
        for sign, spid, st in refs:
            if not species[spid].boundary:
                reacted.add(spid)
    for sid, sp in species.items():
        if sid in assign:
            sp.mode = 'assigned'
        elif sid in rate:
            sp.mode = 'rate'
        else:
            sp.mode = 'amount'          # integrated (if reacted) or held as amount
    # algebraic unknowns: non-constant symbols not otherwise determined
    determined = set(assign) | set(rate) | {s for s in reacted if species[s].mode == 'amount'}
    alg_vars = []
    if alg:
        g = nx.Graph()
        for k, tree in enumerate(alg):
            g.add_node(('r', k))
            # sorted: the matching must not depend on set order (hash seed)
            for nm in sorted(n for n in M.names(tree) if isinstance(n, str)):
                if nm in kinds and kinds[nm] in (
                        'compartment', 'species', 'parameter', 'specref') \
                        and not const.get(nm, False) and nm not in determined:
                    # prefer a variable with no initial value, then one that
                    # no event sets, then a species that is not a boundary
                    # condition: that is the one the rule is there for
                    iv = init.get(nm)
                    undefined = iv is None or (isinstance(iv, float) and math.isnan(iv))
                    free_sp = nm in species and not species[nm].boundary
                    g.add_edge(('r', k), ('x', nm),
                               weight=1 + 8 * undefined + 4 * (nm not in ev_targets) +
                               2 * free_sp)
        pairs = nx.max_weight_matching(g, maxcardinality=True)
        match = {}
        for a, b in pairs:
            if a[0] == 'r':
                match[a] = b
            else:
                match[b] = a
        for k in range(len(alg)):
            m = match.get(('r', k))
            if m is None:
                _err(source, f'algebraicRule {k + 1}', 'no free variable left for it to '
                     'determine (over-determined model)')
            alg_vars.append(m[1])
        for x in alg_vars:
            if x in species:
                species[x].mode = 'alg'

    # ---------------------------------------------------------- slots
    for name in kinds:
        S.slot(name)
    for sid, sp in species.items():
        if sp.mode == 'amount':
            S.slot('amt:' + sid)
    S.species = species
    S.kinds = kinds

    def vol(sp):
        return ('v', sp.comp)

    # runtime statements: (target, tree) or (target, ('delaystmt', x, tau))
    stmts = {}
    for sid, sp in species.items():
        if sp.mode == 'amount':
            a = ('v', 'amt:' + sid)
            stmts[sid] = a if sp.hosu else op('/', a, vol(sp))
    for var, tree in assign.items():
        stmts[var] = tree
    for rid, refs, law, fast, r in reactions:
        if law is not None:
            stmts[rid] = law
        else:
            stmts[rid] = C(0.0)
            S.unsupported.append(f'reaction {rid!r} has no kinetic law: its rate is 0')
        for k, (sign, spid, st) in enumerate(refs):
            if st[0] == 'math':
                stmts[f'sm:{rid}:{k}'] = st[1]
    # derivatives
    states = []
    deriv = {}
    # fast reactions (rapid equilibrium): their species' amounts become
    # algebraic unknowns fixed by law = 0 and by the conserved combinations
    # w = L x (L spans the left null space of the fast stoichiometry), which
    # are integrated with the slow reactions only
    fast_species, fast_w = _fast_subsystem(source, reactions, species, S, init,
                                           set(inits) | set(assign) | set(rate) | ev_targets)
    slow_d = {}
    # each species' references, gathered once (a loop over all reactions per
    # species is quadratic in the size of the model)
    refs_of = {}
    for rid, refs, law, fast, r in reactions:
        for k, (sign, spid, st) in enumerate(refs):
            refs_of.setdefault(spid, []).append((rid, fast, k, sign, st))
    for sid, sp in species.items():
        if sp.mode == 'amount' and sid in reacted and not sp.constant:
            terms = []
            for rid, fast, k, sign, st in refs_of.get(sid, ()):
                if fast and sid in fast_species:
                    continue
                if st[0] == 'num':
                    coef = C(sign * st[1])
                elif st[0] == 'sym':
                    coef = ('v', st[1]) if sign > 0 else op('neg', ('v', st[1]))
                else:
                    coef = ('v', f'sm:{rid}:{k}')
                    coef = coef if sign > 0 else op('neg', coef)
                terms.append(op('*', coef, ('v', rid)))
            d = M._chain('+', terms) if terms else C(0.0)
            if sp.cf:
                d = op('*', d, ('v', sp.cf))
            if sid in fast_species:
                slow_d[sid] = d
                continue
            states.append('amt:' + sid)
            deriv['amt:' + sid] = d
        elif sp.mode == 'amount' and sid in reacted and sp.constant:
            pass
    for var, tree in rate.items():
        if kinds[var] == 'species' and species[var].constant or \
                kinds[var] != 'species' and const.get(var, False):
            _err(source, f'rateRule for {var!r}', 'the variable is constant')
        states.append(var)
        deriv[var] = tree
    for k, row in enumerate(fast_w):
        terms = [op('*', C(c), slow_d.get(sid, C(0.0))) for sid, c in row]
        deriv[f'w:{k}'] = M._chain('+', terms)
        S.slot(f'w:{k}')
        states.append(f'w:{k}')
        alg.append(op('-', M._chain('+', [op('*', C(c), ('v', 'amt:' + sid))
                                          for sid, c in row]), ('v', f'w:{k}')))
    for rid, refs, law, fast, r in reactions:
        if fast and any(spid in fast_species for _s, spid, _t in refs):
            alg.append(('v', rid))
    for sid in sorted(fast_species):
        alg_vars.append(sid)
    for x, tree in deriv.items():
        stmts['d:' + x] = tree
    # algebraic residuals
    for k, tree in enumerate(alg):
        stmts[f'res:{k}'] = tree

    # rateOf and delay nodes become slots
    extra = {}

    def rateof_tree(x):
        if x in deriv:
            return ('v', 'd:' + x)
        if x in species and species[x].mode == 'amount' and 'amt:' + x in deriv:
            sp = species[x]
            dA = ('v', 'd:amt:' + x)
            if sp.hosu:
                return dA
            t1 = op('/', dA, vol(sp))
            if sp.comp in deriv:
                t1 = op('-', t1, op('*', ('v', x), op('/', ('v', 'd:' + sp.comp), vol(sp))))
            return t1
        if x in species and species[x].mode == 'amount' and sp_comp_rate(x):
            sp = species[x]
            return op('neg', op('*', ('v', x), op('/', ('v', 'd:' + sp.comp), vol(sp))))
        if x in assign or x in alg_vars:
            S.unsupported.append(f'rateOf({x}) of a symbol set by an assignment or algebraic '
                                 f'rule is taken as 0')
            return C(0.0)
        return C(0.0)

    def sp_comp_rate(x):
        return species[x].comp in deriv

    def hoist_leaf(t):
        if t[0] == 'rateof':
            name = 'rateof:' + t[1]
            if name not in extra:
                extra[name] = None
                extra[name] = hoist(rateof_tree(t[1]))
            return ('v', name)
        return t

    def hoist_post(t):
        if t[0] == 'delay':
            name = f'delay:{len(extra)}'
            extra[name] = ('delaystmt', t[1], t[2])
            return ('v', name)
        return t

    def hoist(tree):
        # iterative (mathc.transform): trees may be far deeper than Python's
        # recursion limit
        return M.transform(tree, leaf=hoist_leaf, post=hoist_post)

    for tgt in list(stmts):
        stmts[tgt] = hoist(stmts[tgt])
    stmts.update(extra)

    # ---------------------------------------------------------- events
    events = []
    ev_trees = {}
    for k, e in enumerate(model.getListOfEvents()):
        ev = Event()
        ev.index = k
        ev.id = e.getId() if e.isSetId() else f'event{k}'
        tr = e.getTrigger()
        if tr is None or tr.getMath() is None:
            S.unsupported.append(f'event {ev.id!r} has no trigger math: it never fires')
            continue
        ev_trees[f'trig:{k}'] = hoist(math_of(tr.getMath(), f'event {ev.id!r} trigger'))
        ev.trig = f'trig:{k}'
        if level >= 3:
            ev.persistent = tr.getPersistent()
            ev.initial = tr.getInitialValue()
        else:
            ev.persistent = True
            ev.initial = True
        ev.from_trigger = e.getUseValuesFromTriggerTime() if (
            e.isSetUseValuesFromTriggerTime() or level >= 3) else True
        if e.isSetDelay() and e.getDelay().getMath() is not None:
            ev_trees[f'edelay:{k}'] = hoist(math_of(e.getDelay().getMath(),
                                                    f'event {ev.id!r} delay'))
            ev.delay = f'edelay:{k}'
        else:
            ev.delay = None
        if level >= 3 and e.isSetPriority() and e.getPriority().getMath() is not None:
            ev_trees[f'prio:{k}'] = hoist(math_of(e.getPriority().getMath(),
                                                  f'event {ev.id!r} priority'))
            ev.prio = f'prio:{k}'
        else:
            ev.prio = None
        ev.assign = []
        for i, ea in enumerate(e.getListOfEventAssignments()):
            var = ea.getVariable()
            if var not in kinds or kinds[var] in ('reaction', 'local'):
                _err(source, f'event {ev.id!r}', f'assignment to {var!r}, which is not a '
                     'compartment, species, parameter or species reference')
            if ea.getMath() is None:
                continue
            name = f'ea:{k}:{i}'
            ev_trees[name] = hoist(math_of(ea.getMath(), f'event {ev.id!r} assignment to '
                                                         f'{var!r}'))
            ev.assign.append((var, name))
        events.append(ev)
    S.events = events
    S.ev_targets = ev_targets
    S.ev_trees = ev_trees           # the trees, for the stochastic path
    S.assign_trees = dict(assign)
    stmts.update({k: v for k, v in extra.items() if k not in stmts})
    S.has_delay = any(isinstance(t, tuple) and t[0] == 'delaystmt' for t in stmts.values())

    # ---------------------------------------------------------- ordering
    def deps(tree):
        if isinstance(tree, tuple) and tree[0] == 'delaystmt':
            return {n for n in M.names(tree[2]) if isinstance(n, str)}
        return {n for n in M.names(tree) if isinstance(n, str)}

    def order(st, what):
        g = nx.DiGraph()
        for tgt, tree in st.items():
            g.add_node(tgt)
            for d in deps(tree):
                if d in st and d != tgt:
                    g.add_edge(d, tgt)
                elif d == tgt and not (isinstance(tree, tuple) and tree[0] == 'delaystmt'):
                    _err(source, what, f'{_pretty(tgt)} depends on itself')
        try:
            return list(nx.topological_sort(g))
        except nx.NetworkXUnfeasible:
            cyc = nx.find_cycle(g)
            _err(source, what, 'circular dependency among ' +
                 ', '.join(_pretty(a) for a, b in cyc))

    # rateOf inside initial assignments reads the same slots as at run time;
    # a delayed value at the start is the current one
    for sym in list(inits):
        inits[sym] = hoist(_strip_delay(inits[sym]))
    stmts.update({k: v for k, v in extra.items() if k not in stmts})
    for name in list(stmts) + list(ev_trees):
        S.slot(name)
    # check all names resolve
    for tgt, tree in list(stmts.items()) + list(ev_trees.items()):
        trees = tree[1:] if tree[0] == 'delaystmt' else (tree,)
        for tr in trees:
            for n in M.names(tr):
                if isinstance(n, str) and n not in S.slots:
                    _err(source, _pretty(tgt), f'unknown identifier {n!r} in math')

    run_order = order(stmts, 'rules and kinetic laws')

    # ---------------------------------------------------------- initial values
    S.v0 = np.full(len(S.slot_names), math.nan)
    init_st = {}
    for name, val in init.items():
        if kinds.get(name) == 'species':
            continue
        S.v0[S.slots[name]] = val
    for sid, sp in species.items():
        iv = init[sid]
        if sid in inits or sid in assign:
            if sp.mode == 'amount':
                init_st['amt:' + sid] = ('v', sid) if sp.hosu else op('*', ('v', sid),
                                                                     vol(sp))
            continue
        if iv is None:
            if sp.mode == 'alg':
                S.v0[S.slots[sid]] = 0.0
                continue
            if sp.mode == 'rate':
                S.v0[S.slots[sid]] = math.nan
                continue
            S.v0[S.slots[sid]] = math.nan
            if sp.mode == 'amount':
                S.v0[S.slots['amt:' + sid]] = math.nan
            continue
        kind, x = iv
        target_sym = sid
        if kind == 'amount':
            if sp.mode == 'amount':
                S.v0[S.slots['amt:' + sid]] = x
                init_st[sid] = ('v', 'amt:' + sid) if sp.hosu else op(
                    '/', ('v', 'amt:' + sid), vol(sp))
            else:
                init_st[target_sym] = C(x) if sp.hosu else op('/', C(x), vol(sp))
        else:
            if sp.mode == 'amount':
                init_st['amt:' + sid] = op('*', C(x), vol(sp))
                init_st[sid] = ('v', 'amt:' + sid) if sp.hosu else C(x)
            else:
                init_st[target_sym] = op('*', C(x), vol(sp)) if sp.hosu else C(x)
    for tgt, tree in stmts.items():
        if tgt in init_st or tgt in inits:
            continue
        if tgt in species and species[tgt].mode == 'amount' and tgt in init_st:
            continue
        init_st[tgt] = tree
    for k, row in enumerate(fast_w):
        init_st[f'w:{k}'] = M._chain('+', [op('*', C(c), ('v', 'amt:' + sid))
                                           for sid, c in row])
    for sym, tree in inits.items():
        if sym in assign:
            continue     # an assignment rule wins (SBML forbids both)
        init_st[sym] = tree
    for name in init_st:
        S.slot(name)
    if len(S.v0) < len(S.slot_names):
        S.v0 = np.concatenate([S.v0, np.full(len(S.slot_names) - len(S.v0), math.nan)])
    init_order = order(init_st, 'initial assignments')

    # ---------------------------------------------------------- compile
    S.state_names = states
    S.state_slots = np.array([S.slots[x] for x in states], dtype=np.int64)
    S.deriv_slots = np.array([S.slots['d:' + x] for x in states], dtype=np.int64)
    S.alg_vars = alg_vars
    S.alg_u = np.array([S.slots[x] if not (x in species and species[x].mode == 'amount')
                        else S.slots['amt:' + x] for x in alg_vars], dtype=np.int64)
    S.alg_r = np.array([S.slots[f'res:{k}'] for k in range(len(alg))], dtype=np.int64)
    if len(S.alg_r) != len(S.alg_u):
        _err(source, 'fast reactions and algebraic rules', f'{len(S.alg_r)} equations for '
             f'{len(S.alg_u)} unknowns (dependent fast reactions are not supported)')
    S.fast_species = sorted(fast_species)
    S.fast_rates = [rid for rid, refs, law, f, r in reactions
                    if f and any(spid in fast_species for _s, spid, _t in refs)]
    S.fast_N = np.zeros((len(S.fast_species), len(S.fast_rates)))
    for j, rid in enumerate(S.fast_rates):
        for sign, spid, st in next(x[1] for x in reactions if x[0] == rid):
            if spid in fast_species:
                val = st[1] if st[0] == 'num' else init[st[1]]
                if species[spid].cf:
                    val = val * init.get(species[spid].cf, 1.0)
                S.fast_N[S.fast_species.index(spid), j] += sign * val
    S.alg_nonneg = np.array([1 if x in fast_species else 0 for x in alg_vars],
                            dtype=np.int64)
    S.main = _compile(S, run_order, stmts)
    S.init = _compile(S, init_order, init_st)
    S.evs = _compile(S, list(ev_trees), ev_trees)
    S.alg_vars_init_nan = [x for x in alg_vars if math.isnan(S.v0[S.slots[x]])]
    return S


def _fast_subsystem(source, reactions, species, S, init, changed):
    """Species of fast reactions and the rows of L (conserved combinations)."""
    from scipy.linalg import null_space
    fast = [(rid, refs) for rid, refs, law, f, r in reactions if f]
    if not fast:
        return set(), []
    names = sorted({spid for _rid, refs in fast for _s, spid, _t in refs
                    if not species[spid].boundary and not species[spid].constant})
    if not names:
        return set(), []
    idx = {n: i for i, n in enumerate(names)}
    N = np.zeros((len(names), len(fast)))
    for j, (rid, refs) in enumerate(fast):
        for sign, spid, st in refs:
            if spid not in idx:
                continue
            if st[0] == 'sym' and st[1] not in changed:
                val = init[st[1]]
            elif st[0] == 'num':
                val = st[1]
            else:
                _err(source, f'reaction {rid!r}', 'a fast reaction with variable '
                     'stoichiometry is not supported')
            cf = species[spid].cf
            if cf:
                val = val * init.get(cf, 1.0)
            N[idx[spid], j] += sign * val
    for n in names:
        if species[n].mode != 'amount' or species[n].cf:
            if species[n].mode != 'amount':
                _err(source, f'species {n!r}', 'a species of a fast reaction set by a rule '
                     'is not supported')
    Lm = null_space(N.T).T if N.size else np.eye(len(names))
    rows = []
    for r in Lm:
        r = np.where(np.abs(r) < 1e-12, 0.0, r)
        rows.append([(names[i], float(c)) for i, c in enumerate(r) if c != 0.0])
    return set(names), rows


def _uses_time(tree):
    return any(t[0] in ('t', 'delay') for t in M.nodes(tree))


def _strip_delay(tree):
    return M.transform(tree, post=lambda t: t[1] if t[0] == 'delay' else t)


def _pretty(name):
    if name.startswith('amt:'):
        return f'amount of {name[4:]!r}'
    if name.startswith('d:'):
        return f'rate of change of {name[2:]!r}'
    if name.startswith('res:'):
        return f'algebraic rule {int(name[4:]) + 1}'
    return repr(name)


class Program:
    """Statements compiled into arrays for :func:`kernels.run_statements`."""

    def __init__(self, n):
        self.kind = np.zeros(n, dtype=np.int64)
        self.target = np.zeros(n, dtype=np.int64)
        self.a0 = np.zeros(n, dtype=np.int64)
        self.a1 = np.zeros(n, dtype=np.int64)
        self.b0 = np.zeros(n, dtype=np.int64)
        self.b1 = np.zeros(n, dtype=np.int64)
        self.n = n
        self.depth = 1


def _compile(S, order, st):
    P = Program(len(order))
    slot = S.slots.__getitem__
    for i, tgt in enumerate(order):
        tree = st[tgt]
        P.target[i] = slot(tgt)
        if isinstance(tree, tuple) and tree[0] == 'delaystmt':
            P.kind[i] = 1
            a0, a1, d1 = S.code.add(tree[1], slot)
            b0, b1, d2 = S.code.add(tree[2], slot)
            P.a0[i], P.a1[i], P.b0[i], P.b1[i] = a0, a1, b0, b1
            P.depth = max(P.depth, d1, d2)
        else:
            a0, a1, d = S.code.add(tree, slot)
            P.a0[i], P.a1[i] = a0, a1
            P.depth = max(P.depth, d)
    return P


def read_document(path):
    """Read and check an SBML file with libsbml; flatten comp models.
    Raises ModelImportError listing libsbml's errors with line numbers."""
    import os
    if not os.path.exists(path):
        raise ModelImportError(f'{path}: no such file')
    # bounded before parsed: libsbml crashes or takes quadratic time on
    # deep nesting, and must never see entity declarations
    check_xml(path)
    reader = libsbml.SBMLReader()
    doc = reader.readSBMLFromFile(str(path))
    _check(doc, path, fatal_only=False)
    if doc.getPlugin('comp') is not None and doc.isPackageEnabled('comp'):
        # before the consistency check, which opens the external files too
        _check_external_models(doc, path)
    # libsbml's semantic validation (identifiers, references, math, ...);
    # unit consistency and modelling-practice advice are not errors here
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, False)
    doc.checkConsistency()
    _check(doc, path, fatal_only=False)
    if doc.getPlugin('comp') is not None and doc.isPackageEnabled('comp'):
        props = libsbml.ConversionProperties()
        props.addOption('flatten comp', True)
        props.addOption('leavePorts', False)
        before = doc.getNumErrors()
        rc = doc.convert(props)
        if rc != libsbml.LIBSBML_OPERATION_SUCCESS:
            errs = [doc.getError(i) for i in range(before, doc.getNumErrors())]
            msg = '; '.join(f'line {e.getLine()}: {e.getMessage().strip()}' for e in errs)
            raise ModelImportError(f'{path}: cannot flatten the comp model: '
                                   f'{msg or "libsbml conversion failed"}')
    return doc


def _check_external_models(doc, path):
    """The files a comp model pulls in (externalModelDefinition sources,
    and theirs in turn) get the same bounds before libsbml flattens them;
    only local files are allowed."""
    import os
    seen = {os.path.realpath(path)}
    todo = [(doc, path)]
    while todo:
        d, src = todo.pop()
        plug = d.getPlugin('comp')
        if plug is None:
            continue
        for emd in plug.getListOfExternalModelDefinitions():
            ref = emd.getSource()
            local = ref[len('file:'):] if ref.startswith('file:') else ref
            if '://' in ref or (':' in ref.split('/')[0] and not ref.startswith('file:')):
                raise ModelImportError(f'{src}: externalModelDefinition '
                                       f'{emd.getId()!r} names {ref!r}, which is not a local '
                                       f'file; refused (a model is read from local files only)')
            full = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(src)),
                                                 local))
            if full in seen:
                continue
            seen.add(full)
            if not os.path.isfile(full):
                continue        # libsbml reports the missing file with its line
            check_xml(full)
            sub = libsbml.SBMLReader().readSBMLFromFile(full)
            todo.append((sub, full))


#: libsbml errors about unit declarations only: they do not change the
#: numbers (moosepy reads values in the model's units), so they are not fatal
_UNIT_ONLY = {10311, 10313}


def _check(doc, path, fatal_only):
    errs = []
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR and e.getErrorId() not in _UNIT_ONLY:
            errs.append(e)
    if errs:
        lines = '; '.join(f'line {e.getLine()}: {e.getMessage().strip()}' for e in errs[:5])
        more = f' (and {len(errs) - 5} more)' if len(errs) > 5 else ''
        raise ModelImportError(f'{path}: invalid SBML: {lines}{more}')
