"""``moose.writeSBML``: a chemical model of the tree as an SBML L3V2 file.

Units are written so that the numbers are MOOSE's: substance in moles,
volume in m^3 (so a species' concentration is in mol/m^3 = mM), time in s.

=====================  ==================================================
moosepy                SBML
=====================  ==================================================
ChemCompt (CubeMesh)   compartment, size = volume [m^3]
Pool / BufPool         species (initialConcentration = concInit [mM];
                       BufPool: boundaryCondition="true")
Reac                   reaction, law ``V (Kf prod(S) - Kb prod(P))``
                       (V: volume of the first substrate's compartment,
                       each species at its own compartment's
                       concentration: MOOSE's conversion of Kf and Kb)
MMenz                  reaction, law ``V kcat E S / (Km + S)``, E a modifier
Enz                    its complex pool as a species and three reactions
                       (E + S -> cplx, cplx -> E + S, cplx -> E + P)
Function to a pool     assignment rule (setConc / setN) or rate rule
                       (increment), inputs as concentrations or amounts
=====================  ==================================================

The MOOSE path of every object is kept in the SBML ``name`` attribute.
Objects that cannot be expressed (a StimulusTable driving a pool, a Function
writing a rate constant) raise :class:`ModelImportError` naming them: a
written model is never silently different from the one in memory.
"""

import re

import libsbml

from ...core.errors import ModelImportError, MooseError
from ...core.msg import links
from ...core.units import NA
from ..mesh import ChemCompt, compartment_of
from ..pool import PoolBase
from ..reac import ReacBase, reactants
from ..enz import EnzBase, Enz
from ..function import Function


def _sid(name, used):
    s = re.sub(r'\W', '_', name)
    if not s or not (s[0].isalpha() or s[0] == '_'):
        s = '_' + s
    base, k = s, 2
    while s in used:
        s = f'{base}_{k}'
        k += 1
    used.add(s)
    return s


def _ok(rc, what):
    if rc != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise MooseError(f'writeSBML: libsbml refused {what} '
                         f'({libsbml.OperationReturnValue_toString(rc)})')


def writeSBML(modelpath, filepath):
    """Write the chemical model under *modelpath* to *filepath* (SBML L3V2).
    Returns True; raises on objects that SBML cannot express."""
    from ...core.shell import resolve, wildcard_elements
    root = resolve(modelpath)[0]
    base = root.path
    found = [root] + wildcard_elements(base + '/##')
    comps = [e for e in found if issubclass(e.cls, ChemCompt)]
    pools = [e for e in found if issubclass(e.cls, PoolBase)]
    reacs = [e for e in found if issubclass(e.cls, ReacBase)]
    enzs = [e for e in found if issubclass(e.cls, EnzBase)]
    funcs = [e for e in found if issubclass(e.cls, Function)]
    if not comps:
        raise ModelImportError(f'writeSBML: no chemical compartment under {base}')

    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    used = set()
    _ok(model.setId(_sid(root.name, used)), 'the model id')
    model.setName(base)
    ud = model.createUnitDefinition()
    ud.setId('volume_m3')
    u = ud.createUnit()
    u.setKind(libsbml.UNIT_KIND_METRE)
    u.setExponent(3)
    u.setScale(0)
    u.setMultiplier(1.0)
    for attr, val in (('setSubstanceUnits', 'mole'), ('setVolumeUnits', 'volume_m3'),
                      ('setTimeUnits', 'second'), ('setExtentUnits', 'mole')):
        getattr(model, attr)(val)

    cid = {}
    for c in comps:
        h = c.handle(0)
        if h.numVoxels != 1:
            raise ModelImportError(f'writeSBML: {c.path} has {h.numVoxels} voxels; only '
                                   f'single-voxel compartments can be written')
        comp = model.createCompartment()
        cid[id(c)] = _sid(c.name, used)
        comp.setId(cid[id(c)])
        comp.setName(c.path)
        comp.setSpatialDimensions(3)
        comp.setSize(h.volume)
        comp.setUnits('volume_m3')
        comp.setConstant(True)

    sid = {}

    def add_species(p):
        c = compartment_of(p)
        if c is None or id(c) not in cid:
            raise ModelImportError(f'writeSBML: pool {p.path} is not inside a compartment '
                                   f'under {base}')
        s = model.createSpecies()
        sid[id(p)] = _sid(p.name, used)
        s.setId(sid[id(p)])
        s.setName(p.path)
        s.setCompartment(cid[id(c)])
        s.setInitialConcentration(p.handle(0).concInit)
        s.setHasOnlySubstanceUnits(False)
        s.setBoundaryCondition(bool(p.handle(0).isBuffered))
        s.setConstant(False)
        s.setSubstanceUnits('mole')

    for p in pools:
        add_species(p)

    def vol_id(p):
        return cid[id(compartment_of(p))]

    def conc_product(plist, vref):
        """SBML terms of prod(amount_i) / vref^(n-1)... as concentration
        products when the pools share the reference volume."""
        terms = []
        for p in plist:
            if id(p) not in sid:
                raise ModelImportError(f'writeSBML: {p.path} is not under {base}')
            if vol_id(p) == vref:
                terms.append(sid[id(p)])
            else:
                terms.append(f'({sid[id(p)]} * {vol_id(p)} / {vref})')
        return terms

    def law(klist, order_terms, vref):
        return ' * '.join([vref] + klist + order_terms) if order_terms else \
            ' * '.join([vref] + klist)

    def add_reaction(rid, name, subs, prds, formula, params, modifiers=()):
        r = model.createReaction()
        r.setId(rid)
        r.setName(name)
        r.setReversible(False)
        counts = {}
        for p in subs:
            counts[('s', id(p))] = counts.get(('s', id(p)), 0) + 1
        for p in prds:
            counts[('p', id(p))] = counts.get(('p', id(p)), 0) + 1
        seen = set()
        for role, plist in (('s', subs), ('p', prds)):
            for p in plist:
                if (role, id(p)) in seen:
                    continue
                seen.add((role, id(p)))
                sr = r.createReactant() if role == 's' else r.createProduct()
                sr.setSpecies(sid[id(p)])
                sr.setStoichiometry(counts[(role, id(p))])
                sr.setConstant(True)
        for m in modifiers:
            mr = r.createModifier()
            mr.setSpecies(sid[id(m)])
        kl = r.createKineticLaw()
        for k, v in params:
            lp = kl.createLocalParameter()
            lp.setId(k)
            lp.setValue(float(v))
        ast = libsbml.parseL3Formula(formula)
        if ast is None:
            raise ModelImportError(f'writeSBML: internal formula {formula!r} for {name}: '
                                   f'{libsbml.getLastParseL3Error()}')
        kl.setMath(ast)

    # rate constants set by Functions: global parameters with assignment rules
    driven = {}
    for f in funcs:
        for o, _j, port in f.handle(0).output_targets('valueOut'):
            if issubclass(o.cls, ReacBase) and port in ('setNumKf', 'setKf', 'setNumKb',
                                                        'setKb'):
                pid = _sid(f'{o.name}_{port[3:]}', used)
                par = model.createParameter()
                par.setId(pid)
                par.setName(f'{o.path}.{port[3:]} set by {f.path}')
                par.setConstant(False)
                par.setValue(0.0)
                rule = model.createAssignmentRule()
                rule.setVariable(pid)
                rule.setMath(_function_math(f, sid, vol_id))
                driven[(id(o), port[-1])] = (pid, 'Num' in port)

    def term(rel, d, plist, vref):
        k = driven.get((id(rel), d))
        name = 'K' + d
        # MOOSE's conversion of Kf and Kb (reac.py): in molecules
        # numKf prod(n_sub) = Kf V_sub1 prod(c_sub) NA and numKb prod(n_prd) =
        # Kb V_sub1 prod(c_prd) NA, each species at its own compartment's
        # concentration, so the law is V_sub1 * K * prod(species)
        own = [sid[id(p)] for p in plist]
        if k is None:
            return law([name], own, vref) if plist else f'{vref} * {name}'
        pid, num = k
        if not num:
            return law([pid], own, vref) if plist else f'{vref} * {pid}'
        # numK in molecule units: rate [mol/s] = numK NA^(n-1) prod(amounts)
        amts = [f'{sid[id(p)]} * {vol_id(p)}' for p in plist]
        return ' * '.join([pid, f'{_NA}^{len(plist) - 1}'] + amts) if plist else \
            f'{pid} / {_NA}'

    for rel in reacs:
        h = rel.handle(0)
        subs, prds = reactants(rel, 'sub'), reactants(rel, 'prd')
        if not subs and not prds:
            continue
        ref = subs[0] if subs else prds[0]
        vref = vol_id(ref)
        fwd = term(rel, 'f', subs, vref)
        # MOOSE converts Kb with the first substrate's volume too
        bwd = term(rel, 'b', prds, vref)
        add_reaction(_sid(rel.name, used), rel.path, subs, prds, f'{fwd} - ({bwd})',
                     [('Kf', h.Kf), ('Kb', h.Kb)])
        model.getReaction(model.getNumReactions() - 1).setReversible(True)

    for e in enzs:
        h = e.handle(0)
        subs, prds = reactants(e, 'sub'), reactants(e, 'prd')
        if not subs:
            raise ModelImportError(f'writeSBML: enzyme {e.path} has no substrate')
        vref = vol_id(subs[0])
        if issubclass(e.cls, Enz):
            enz = reactants(e, 'enz')
            cplx = reactants(e, 'cplx')
            if len(enz) != 1 or len(cplx) != 1:
                raise ModelImportError(f'writeSBML: Enz {e.path} needs one enzyme and one '
                                       f'complex pool')
            E, X = enz[0], cplx[0]
            if id(X) not in sid:
                add_species(X)
            base_id = _sid(e.name, used)
            k1 = (h.k2 + h.k3) / h.Km
            add_reaction(base_id + '_k1', e.path + ':k1', [E] + subs, [X],
                         law(['k1'], conc_product([E] + subs, vref), vref), [('k1', k1)])
            add_reaction(base_id + '_k2', e.path + ':k2', [X], [E] + subs,
                         law(['k2'], conc_product([X], vref), vref), [('k2', h.k2)])
            add_reaction(base_id + '_k3', e.path + ':k3', [X], [E] + prds,
                         law(['k3'], conc_product([X], vref), vref), [('k3', h.k3)])
        else:
            srcs = [o for o, _p, _m, _f in links(e, 'enzDest')
                    if issubclass(o.cls, PoolBase)]
            if len(srcs) != 1:
                raise ModelImportError(f'writeSBML: MMenz {e.path} needs exactly one enzyme '
                                       f'pool')
            E = srcs[0]
            S = ' * '.join(conc_product(subs, vref))
            Eterm = conc_product([E], vref)[0]
            add_reaction(_sid(e.name, used), e.path, subs, prds,
                         f'{vref} * kcat * {Eterm} * {S} / (Km + {S})',
                         [('kcat', h.kcat), ('Km', h.Km)], modifiers=[E])

    for f in funcs:
        _write_function(model, f, sid, vol_id, base)

    for p in pools:
        for o, _p, _m, _f in links(p, 'nIn') + links(p, 'setConc') + links(p, 'setN') + \
                links(p, 'increment'):
            if not issubclass(o.cls, Function):
                raise ModelImportError(f'writeSBML: {o.path} ({o.cls.__name__}) drives pool '
                                       f'{p.path}; SBML cannot express it')

    errs = doc.checkInternalConsistency()
    if errs:
        msgs = '; '.join(doc.getError(i).getMessage().strip()
                         for i in range(doc.getNumErrors())
                         if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR)
        if msgs:
            raise ModelImportError(f'writeSBML: the document is inconsistent: {msgs}')
    if not libsbml.writeSBMLToFile(doc, str(filepath)):
        raise ModelImportError(f'writeSBML: cannot write {filepath}')
    return True


def _fresh(model, name):
    k, out = 2, name
    while model.getElementBySId(out) is not None:
        out = f'{name}_{k}'
        k += 1
    return out


#: moosepy's Avogadro constant written as a number (SBML's csymbol avogadro
#: is fixed at 6.02214179e23, which would change amounts by 1.7e-7)
_NA = repr(NA)

_NAME = re.compile(r'[A-Za-z_][A-Za-z_0-9]*')


def _function_math(f, sid, vol_id, inputs=None):
    """The SBML math of a Function's expression, inputs substituted."""
    h = f.handle(0)
    srcs = h.input_sources()
    subst = {}
    if inputs is None:
        inputs = []
    for k, s in enumerate(srcs):
        if not s:
            continue
        o, _j, fld = s[-1]
        if not issubclass(o.cls, PoolBase) or id(o) not in sid or fld not in ('n', 'conc'):
            raise ModelImportError(f'writeSBML: Function {f.path} input x{k} reads '
                                   f'{o.path}.{fld}; only pool n/conc inputs can be written')
        v = vol_id(o)
        inputs.append(sid[id(o)])
        subst[f'x{k}'] = f'({sid[id(o)]})' if fld == 'conc' else \
            f'({sid[id(o)]} * {v} * {_NA})'
    consts = {name: h.c[name] for name in h._program().cnames}
    subst['t'] = 'time'

    def repl(m):
        n = m.group(0)
        if n in subst:
            return subst[n]
        if n in consts:
            return repr(consts[n])
        return n
    text = _NAME.sub(repl, h.expr)
    settings = libsbml.L3ParserSettings()
    settings.setParseLog(libsbml.L3P_PARSE_LOG_AS_LN)
    ast = libsbml.parseL3FormulaWithSettings(text, settings)
    if ast is None:
        raise ModelImportError(f'writeSBML: Function {f.path} expression {h.expr!r} cannot '
                               f'be written as SBML math: {libsbml.getLastParseL3Error()}')
    return ast


def _write_function(model, f, sid, vol_id, base):
    h = f.handle(0)
    outs = [x for x in h.output_targets('valueOut')
            if not (issubclass(x[0].cls, ReacBase) and x[2] in ('setNumKf', 'setKf',
                                                                'setNumKb', 'setKb'))]
    outs += [(o, j, 'rate:' + p) for o, j, p in h.output_targets('rateOut')]
    if not outs:
        return
    inputs = []
    ast = _function_math(f, sid, vol_id, inputs)
    for o, _j, port in outs:
        if not issubclass(o.cls, PoolBase) or id(o) not in sid:
            raise ModelImportError(f'writeSBML: Function {f.path} writes to {o.path} '
                                   f'({port}); only pools under {base} can be written')
        v = vol_id(o)
        s = sid[id(o)]
        if port in ('setConc',):
            rule = model.createAssignmentRule()
            rule.setVariable(s)
            rule.setMath(ast.deepCopy())
        elif port in ('setN', 'nIn'):
            rule = model.createAssignmentRule()
            rule.setVariable(s)
            rule.setMath(libsbml.parseL3Formula(f'({libsbml.formulaToL3String(ast)}) / '
                                                f'({v} * {_NA})'))
        elif port in ('increment', 'rate:increment'):
            # a source reaction (0 -> pool), so that it adds to the pool's
            # other reactions as MOOSE's increment does; the value is in #/s
            r = model.createReaction()
            r.setId(_fresh(model, s + '_increment'))
            r.setName(f.path)
            r.setReversible(False)
            sr = r.createProduct()
            sr.setSpecies(s)
            sr.setStoichiometry(1)
            sr.setConstant(True)
            for m in dict.fromkeys(inputs):
                r.createModifier().setSpecies(m)
            kl = r.createKineticLaw()
            kl.setMath(libsbml.parseL3Formula(f'({libsbml.formulaToL3String(ast)}) / '
                                              f'{_NA}'))
            continue
        else:
            raise ModelImportError(f'writeSBML: Function {f.path} output {port} to {o.path} '
                                   f'cannot be written to SBML')
        sp = model.getSpecies(s)
        sp.setConstant(False)
        sp.setBoundaryCondition(True)
