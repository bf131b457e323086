"""readSBML builds MOOSE objects (Pools, Reacs, MMenz, Functions under a
Stoich and Ksolve) where they express the file, as MOOSE 5.0's reader does,
and the whole-SBML engine otherwise (issue 12, item 4).  Compared with
pymoose 5.0.0 (classes, paths, parameters, trajectories), with analytic
solutions, and with the SBML Test Suite."""

import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from side_pymoose import run_both

SHARED = Path(__file__).resolve().parents[3] / 'shared'
KHOL = SHARED / 'models-ref' / 'moose-sbml' / 'Kholodenko_tosbml.xml'
SEMANTIC = SHARED / 'sbml-test-suite' / 'semantic'


def _write(tmp_path, body, name='m.xml'):
    p = tmp_path / name
    p.write_text(body)
    return p


HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="m" substanceUnits="mole" volumeUnits="litre" timeUnits="second" extentUnits="mole">
"""
MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML">'


def _species(sid, comp, conc, extra=''):
    return (f'<species id="{sid}" compartment="{comp}" initialConcentration="{conc}" '
            f'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false" '
            f'{extra}/>')


def _reaction(rid, subs, prds, law, mods=()):
    s = ''.join(f'<speciesReference species="{x}" stoichiometry="1" constant="true"/>'
                for x in subs)
    p = ''.join(f'<speciesReference species="{x}" stoichiometry="1" constant="true"/>'
                for x in prds)
    m = ''.join(f'<modifierSpeciesReference species="{x}"/>' for x in mods)
    return (f'<reaction id="{rid}" reversible="false">'
            + (f'<listOfReactants>{s}</listOfReactants>' if s else '')
            + (f'<listOfProducts>{p}</listOfProducts>' if p else '')
            + (f'<listOfModifiers>{m}</listOfModifiers>' if m else '')
            + f'<kineticLaw>{MATH}{law}</math></kineticLaw></reaction>')


def _model(comps, species, params, reactions, rules='', events=''):
    c = ''.join(f'<compartment id="{cid}" size="{size}" spatialDimensions="3" '
                f'constant="true"/>' for cid, size in comps)
    p = ''.join(f'<parameter id="{k}" value="{v}" constant="{str(const).lower()}"/>'
                for k, v, const in params)
    return (HEAD + f'<listOfCompartments>{c}</listOfCompartments>'
            f'<listOfSpecies>{"".join(species)}</listOfSpecies>'
            + (f'<listOfParameters>{p}</listOfParameters>' if p else '')
            + (f'<listOfRules>{rules}</listOfRules>' if rules else '')
            + f'<listOfReactions>{"".join(reactions)}</listOfReactions>'
            + (f'<listOfEvents>{events}</listOfEvents>' if events else '')
            + '</model></sbml>\n')


def ap(op, *args):
    return f'<apply><{op}/>{"".join(args)}</apply>'


def ci(x):
    return f'<ci>{x}</ci>'


def cn(x):
    return f'<cn>{x}</cn>'


# a first-order decay A -> B, k = 0.5 /s, in 2e-15 L
DECAY = _model([('cyt', 2e-15)], [_species('A', 'cyt', 1e-3), _species('B', 'cyt', 0)],
               [('k', 0.5, True)],
               [_reaction('r1', ['A'], ['B'], ap('times', ci('k'), ci('A'), ci('cyt')))])

# Michaelis-Menten S -> P with enzyme E (a modifier); a lumped-Vmax law
# P -> S without one; a Hill law X -> Q; mass action S + X <-> Q; an
# assignment rule Y = 2 X (a boundary species) and a rate rule p' = 0.1
MIXED = _model(
    [('c', 1e-15)],
    [_species('S', 'c', 1e-6), _species('P', 'c', 0), _species('E', 'c', 1e-7),
     _species('X', 'c', 2e-6), _species('Q', 'c', 0),
     '<species id="Y" compartment="c" initialConcentration="4e-6" hasOnlySubstanceUnits="false" '
     'boundaryCondition="true" constant="false"/>'],
    [('kcat', 2, True), ('Km', 5e-7, True), ('Vm', 3e-8, True), ('Km2', 1e-6, True),
     ('kh', 4e-7, True), ('K', 1e-6, True), ('kf', 2e5, True), ('kb', 0.05, True),
     ('p', 1, False)],
    [_reaction('r1', ['S'], ['P'], ap('divide', ap('times', ci('c'), ci('kcat'), ci('E'), ci('S')),
                                      ap('plus', ci('Km'), ci('S'))), mods=['E']),
     _reaction('r2', ['P'], ['S'], ap('times', ci('c'), ap('divide', ap('times', ci('Vm'), ci('P')),
                                                           ap('plus', ci('Km2'), ci('P'))))),
     _reaction('r3', ['X'], ['Q'],
               ap('divide', ap('times', ci('c'), ci('kh'), ap('power', ci('X'), cn(2))),
                  ap('plus', ap('power', ci('K'), cn(2)), ap('power', ci('X'), cn(2))))),
     _reaction('r4', ['S', 'X'], ['Q'],
               ap('times', ci('c'), ap('minus', ap('times', ci('kf'), ci('S'), ci('X')),
                                       ap('times', ci('kb'), ci('Q')))))],
    rules=(f'<assignmentRule variable="Y">{MATH}{ap("times", cn(2), ci("X"))}</math>'
           f'</assignmentRule><rateRule variable="p">{MATH}{cn(0.1)}</math></rateRule>'))

EVENT = _model([('cyt', 1e-15)], [_species('A', 'cyt', 1e-3), _species('B', 'cyt', 0)],
               [('k', 0.5, True)],
               [_reaction('r1', ['A'], ['B'], ap('times', ci('k'), ci('A'), ci('cyt')))],
               events=('<event id="kick" useValuesFromTriggerTime="true"><trigger initialValue='
                       f'"false" persistent="true">{MATH}<apply><gt/><csymbol encoding="text" '
                       'definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>'
                       '<cn>1</cn></apply></math></trigger><listOfEventAssignments>'
                       f'<eventAssignment variable="A">{MATH}<cn>1e-3</cn></math>'
                       '</eventAssignment></listOfEventAssignments></event>'))


# ------------------------------------------------------------------ pymoose
SIDE = r'''
import sys, json
who = sys.argv[1]
if who == 'moose':
    import moose
else:
    import moosepy as moose
FILE, T, DT, RK5 = %r, %r, %r, %r
moose.readSBML(FILE, '/model', 'gsl')
objs = []
for x in sorted(moose.wildcardFind('/model/##'), key=lambda e: e.path):
    c = x.className
    d = {'cls': c, 'path': x.path.replace('[0]', '')}
    if c == 'Reac':
        d.update(Kf=x.Kf, Kb=x.Kb, numKf=x.numKf, numKb=x.numKb,
                 sub=sorted(p.name for p in x.neighbors['sub']),
                 prd=sorted(p.name for p in x.neighbors['prd']))
    elif c == 'MMenz':
        d.update(Km=x.Km, kcat=x.kcat, sub=sorted(p.name for p in x.neighbors['sub']),
                 prd=sorted(p.name for p in x.neighbors['prd']),
                 enz=[p.name for p in x.neighbors['enzDest']])
    elif c in ('Pool', 'BufPool'):
        d.update(nInit=x.nInit, concInit=x.concInit, volume=x.volume)
    elif c == 'CubeMesh':
        d.update(volume=x.volume)
    objs.append(d)
if who == 'moose' and RK5:
    # MOOSE 5.0's LSODA ignores epsAbs/epsRel: the reference trajectory is
    # MOOSE's model integrated by its rk5 Ksolve at 1e-10
    moose.delete('/model')
    moose.readSBML(FILE, '/model', 'ee')
    comp = moose.wildcardFind('/model/##[ISA=ChemCompt]')[0]
    ks = moose.Ksolve(comp.path + '/ks2')
    ks.method = 'gsl'
    ks.epsRel = 1e-10
    ks.epsAbs = 1e-10
    st = moose.Stoich(comp.path + '/st2')
    st.compartment = comp
    st.ksolve = ks
    st.reacSystemPath = comp.path + '/##'
pools = sorted(moose.wildcardFind('/model/##[ISA=PoolBase]'), key=lambda p: p.path)
tabs = []
for i, p in enumerate(pools):
    t = moose.Table2('/tab%%d' %% i)
    moose.connect(t, 'requestOut', p, 'getN')
    tabs.append(t)
for i in range(10, 19):
    moose.setClock(i, DT)
moose.reinit()
moose.start(T)
print('JSON' + json.dumps({'objs': objs, 'names': [p.path.replace('[0]', '') for p in pools],
                           'n': [list(t.vector) for t in tabs]}))
'''


def _by_path(objs):
    return {o['path']: o for o in objs}


def _same_objects(r):
    m, p = _by_path(r['moose']['objs']), _by_path(r['moosepy']['objs'])
    assert sorted((o['cls'], k) for k, o in m.items()) == \
        sorted((o['cls'], k) for k, o in p.items())
    for k, o in m.items():
        for f, v in o.items():
            if isinstance(v, float):
                assert p[k][f] == pytest.approx(v, rel=1e-9, abs=1e-300), f'{k}.{f}'
            else:
                assert p[k][f] == v, f'{k}.{f}'
    return m


def _trajectories(r, skip=()):
    m, p = r['moose'], r['moosepy']
    assert list(m['names']) == list(p['names'])
    worst = 0.0
    for i, name in enumerate(m['names']):
        if name in skip:
            continue
        a, b = np.asarray(m['n'][i]), np.asarray(p['n'][i])
        assert len(a) == len(b)
        # of the range; of the value for a pool that stays constant
        scale = float(np.ptp(a)) if np.ptp(a) > 1e-9 * np.max(np.abs(a)) else \
            max(float(np.max(np.abs(a))), 1e-300)
        worst = max(worst, float(np.max(np.abs(a - b))) / scale)
    return worst


@pytest.mark.sbml
@pytest.mark.skipif(not KHOL.exists(), reason='models-ref folder absent')
def test_kholodenko_is_what_moose_builds():
    """MOOSE's SBML export of the Kholodenko MAPK oscillator: 15 Pools, 10
    MMenz (under their enzyme pools) and a Reac, with MOOSE's paths, Km,
    kcat, Kf, Kb; 6000 s of every pool within 1e-4 of its range of MOOSE's
    (its model integrated by rk5 at 1e-10; the default moosepy build runs
    LSODA at 1e-9)."""
    r = run_both(SIDE % (str(KHOL), 6000.0, 10.0, True), timeout=300)
    m = _same_objects(r)
    count = {}
    for o in m.values():
        count[o['cls']] = count.get(o['cls'], 0) + 1
    assert count['Pool'] == 15 and count['MMenz'] == 10 and count['Reac'] == 1
    assert 'Function' not in count
    assert _trajectories(r) < 1e-4


@pytest.mark.sbml
def test_mixed_laws_and_rules_are_what_moose_builds(tmp_path):
    """MMenz (modifier enzyme), MMenz under an implied enzyme (lumped Vmax),
    per-species 'dot' Functions for a Hill law, a Reac, an 'assign' Function
    into a BufPool and a parameter pool with a 'rate' Function: the classes,
    paths and parameters of pymoose 5.0.0.  Trajectories against MOOSE's own
    build (its LSODA, whose error here is 1.4e-4 of range: the model without
    the rate rule, integrated by both at 1e-10, agrees to 1e-9, next test);
    p = 1 + 0.1 t and Y = 2 X exactly in moosepy (MOOSE's LSODA-sampled Y
    is not 2 X of the same sample)."""
    f = _write(tmp_path, MIXED)
    r = run_both(SIDE % (str(f), 100.0, 0.5, False))
    m = _same_objects(r)
    assert m['/model/c/_impliedEnz0/r2']['cls'] == 'MMenz'
    assert m['/model/c/E/r1']['cls'] == 'MMenz'
    assert m['/model/c/Q/dot']['cls'] == 'Function'
    assert m['/model/c/r4']['cls'] == 'Reac'
    assert m['/model/c/Y/assign']['cls'] == 'Function'
    assert (m['/model/c/p']['cls'], m['/model/c/p/rate']['cls']) == ('Pool', 'Function')
    assert _trajectories(r, skip={'/model/c/Y'}) < 3e-4
    p = r['moosepy']
    x = np.asarray(p['n'][list(p['names']).index('/model/c/X')])
    y = np.asarray(p['n'][list(p['names']).index('/model/c/Y')])
    np.testing.assert_allclose(y, 2 * x, rtol=1e-12)
    pp = np.asarray(p['n'][list(p['names']).index('/model/c/p')])
    np.testing.assert_allclose(pp, 1 + 0.1 * 0.5 * np.arange(len(pp)), rtol=1e-9)


@pytest.mark.sbml
def test_mixed_laws_trajectories_as_moose_at_tight_tolerance(tmp_path):
    """The same model without the rate rule (MOOSE's rk5 Ksolve fails on
    the one-molecule parameter pool): MOOSE's build integrated by its rk5
    at 1e-10 and moosepy's default build agree to 1e-8 of range, Y too."""
    body = MIXED.replace(f'<rateRule variable="p">{MATH}{cn(0.1)}</math></rateRule>', '')
    assert body != MIXED
    f = _write(tmp_path, body)
    r = run_both(SIDE % (str(f), 100.0, 0.5, True))
    _same_objects(r)
    assert _trajectories(r) < 1e-8


# ------------------------------------------------------------------ analytic
def test_decay_is_a_reac_that_can_be_edited(tmp_path, caplog):
    f = _write(tmp_path, DECAY)
    with caplog.at_level(logging.INFO, logger='moosepy.sbml'):
        moose.readSBML(str(f), '/model')
    assert any('built as MOOSE objects' in r.getMessage() for r in caplog.records)
    assert not moose.exists('/model/sbml_solver')
    r = moose.element('/model/cyt/r1')
    assert r.className == 'Reac'
    assert r.Kf == pytest.approx(0.5, rel=1e-12) and r.Kb == 0.0
    assert moose.element('/model/cyt/ksolve').className == 'Ksolve'
    assert moose.element('/model/cyt/stoich').className == 'Stoich'
    a = moose.element('/model/cyt/A')
    assert a.concInit == pytest.approx(1.0, rel=1e-12)      # 1e-3 M = 1 mM
    r.Kf = 1.0
    moose.reinit()
    moose.start(3.0)
    assert a.conc == pytest.approx(math.exp(-3.0), rel=1e-7)
    assert a.conc + moose.element('/model/cyt/B').conc == pytest.approx(1.0, rel=1e-9)


def test_mmenz_follows_the_integrated_michaelis_menten_law(tmp_path):
    """S -> P by enzyme E: Km ln(S0/S) + (S0 - S) = kcat E t."""
    body = _model([('c', 1e-15)], [_species('S', 'c', 1e-5), _species('P', 'c', 0),
                                   _species('E', 'c', 1e-7)],
                  [('kcat', 3.0, True), ('Km', 2e-6, True)],
                  [_reaction('r', ['S'], ['P'],
                             ap('times', ci('c'), ap('divide', ap('times', ci('kcat'), ci('E'),
                                                                  ci('S')),
                                                     ap('plus', ci('Km'), ci('S')))), ['E'])])
    moose.readSBML(str(_write(tmp_path, body)), '/model')
    e = moose.element('/model/c/E/r')
    assert e.className == 'MMenz'
    assert e.Km == pytest.approx(2e-3, rel=1e-9)           # 2e-6 M = 2e-3 mM
    assert e.kcat == pytest.approx(3.0, rel=1e-9)
    s = moose.element('/model/c/S')
    tab = moose.Table2('/model/ts')
    moose.connect(tab, 'requestOut', s, 'getConc')
    moose.setClock(18, 1.0)
    moose.reinit()
    moose.start(40.0)
    S = tab.vector[1:]
    t = np.arange(1, len(S) + 1) * 1.0
    Km, S0, vmax = 2e-3, 1e-2, 3.0 * 1e-4
    np.testing.assert_allclose(Km * np.log(S0 / S) + (S0 - S), vmax * t, rtol=1e-6)


def test_cross_compartment_reaction_one_stoich(tmp_path):
    """A in c1 (1 fL) -> B in c2 (2 fL), law c1 k A: a Reac in the smaller
    compartment, one Stoich over both; amounts: A = A0 exp(-k t), A + B
    constant."""
    body = _model([('c1', 1e-15), ('c2', 2e-15)], [_species('A', 'c1', 1e-3),
                                                    _species('B', 'c2', 0)],
                  [('k', 0.2, True)],
                  [_reaction('r', ['A'], ['B'], ap('times', ci('c1'), ci('k'), ci('A')))])
    moose.readSBML(str(_write(tmp_path, body)), '/model')
    assert moose.element('/model/c1/r').className == 'Reac'
    assert len(moose.wildcardFind('/model/##[ISA=Stoich]')) == 1
    a, b = moose.element('/model/c1/A'), moose.element('/model/c2/B')
    n0 = a.nInit
    moose.reinit()
    moose.start(5.0)
    assert a.n == pytest.approx(n0 * math.exp(-1.0), rel=1e-7)
    assert a.n + b.n == pytest.approx(n0, rel=1e-9)
    assert b.conc == pytest.approx((n0 - a.n) / (moose.NA * 2e-18), rel=1e-9)


@pytest.mark.stochastic
def test_objects_switch_to_gsolve_through_the_stoich(tmp_path):
    """The Stoich of an SBML model takes a Gsolve like any other: 602
    molecules decay at 0.5 /s as whole numbers, A + B conserved exactly,
    A(2 s) within 6 sd of its binomial mean (602 e^-1, sd 11.8)."""
    body = DECAY.replace('size="2e-15"', 'size="1e-18"')
    moose.readSBML(str(_write(tmp_path, body)), '/model')
    moose.delete('/model/cyt/ksolve')
    g = moose.Gsolve('/model/cyt/gsolve')
    moose.element('/model/cyt/stoich').ksolve = g
    moose.seed(11)
    a, b = moose.element('/model/cyt/A'), moose.element('/model/cyt/B')
    n0 = round(a.nInit)
    a.nInit = n0
    moose.reinit()
    moose.start(2.0)
    assert a.n == int(a.n) and a.n + b.n == n0
    p = math.exp(-1.0)
    assert abs(a.n - n0 * p) < 6 * math.sqrt(n0 * p * (1 - p))


def test_objects_diffuse_on_a_meshed_compartment(tmp_path):
    """The SBML decay A -> B put on 10 voxels of its CubeMesh with a Dsolve,
    A diffusing from voxel 0: the total of A follows 1000 exp(-0.5 t) (a
    uniform first-order decay commutes with diffusion), A + B is conserved
    and A has spread along the line."""
    moose.readSBML(str(_write(tmp_path, DECAY)), '/model')
    mesh = moose.element('/model/cyt')
    side = mesh.volume ** (1.0 / 3.0)
    mesh.x1 = 10 * side
    mesh.nx = 10
    a = moose.element('/model/cyt/A')
    assert len(moose.vec(a)) == 10
    a.diffConst = 1e-12
    moose.element('/model/cyt/stoich').dsolve = moose.Dsolve('/model/cyt/dsolve')
    va, vb = moose.vec(a), moose.vec(moose.element('/model/cyt/B'))
    ni = np.zeros(10)
    ni[0] = 1000.0
    va.nInit = ni
    moose.reinit()
    moose.start(4.0)
    na, nb = np.asarray(va.n), np.asarray(vb.n)
    assert na.sum() == pytest.approx(1000.0 * math.exp(-2.0), rel=1e-6)
    assert na.sum() + nb.sum() == pytest.approx(1000.0, rel=1e-9)
    assert na[0] < 0.5 * na.sum() and na[3] > 1e-2 * na[0]
    assert np.all(np.diff(na) < 0)                   # spreading from voxel 0


# ------------------------------------------------------------------ choice
def test_engine_taken_for_events_and_said(tmp_path, caplog):
    f = _write(tmp_path, EVENT)
    with caplog.at_level(logging.WARNING, logger='moosepy.sbml'):
        moose.readSBML(str(f), '/model')
    msgs = [r.getMessage() for r in caplog.records]
    assert any('engine' in m and 'events (kick)' in m for m in msgs), msgs
    assert moose.element('/model/sbml_solver').className == 'SbmlSolver'
    assert moose.element('/model')._el.data['sbml_build'][0] == 'engine'


def test_build_can_be_forced_either_way(tmp_path):
    f = _write(tmp_path, EVENT)
    with pytest.raises(moose.ModelImportError, match=r"build='objects'.*events \(kick\)"):
        moose.readSBML(str(f), '/model', build='objects')
    assert not moose.exists('/model')
    g = _write(tmp_path, DECAY, 'd.xml')
    moose.readSBML(str(g), '/model', build='engine')
    assert moose.exists('/model/sbml_solver') and not moose.exists('/model/cyt/r1')
    moose.readSBML(str(g), '/m2', build='objects')
    assert moose.element('/m2/cyt/r1').className == 'Reac'
    with pytest.raises(moose.ModelImportError, match='unknown build .*auto, objects, engine'):
        moose.readSBML(str(g), '/m3', build='fast')
    assert not moose.exists('/m3')


def test_engine_and_objects_agree(tmp_path):
    """The mixed model without its rate rule run both ways: pools within
    1e-8 of range.  (With the rate rule the engine's integrator stalls on
    this model, amounts of 1e-21 mol beside a parameter of order one; the
    objects run it.)"""
    body = MIXED.replace(f'<rateRule variable="p">{MATH}{cn(0.1)}</math></rateRule>', '')
    f = _write(tmp_path, body)
    tabs = {}
    for how in ('engine', 'objects'):
        moose.readSBML(str(f), f'/{how}', build=how)
        for name in 'SPEXQY':
            t = moose.Table2(f'/{how}/t_{name}')
            moose.connect(t, 'requestOut', moose.element(f'/{how}/c/{name}'), 'getN')
            tabs[how, name] = t
    moose.reinit()
    moose.start(50.0)
    for name in 'SPEXQY':
        a = np.asarray(tabs['engine', name].vector)
        b = np.asarray(tabs['objects', name].vector)
        assert len(a) == len(b) == 51
        assert np.max(np.abs(a - b)) <= 1e-8 * max(np.ptp(a), 1e-9 * np.max(a)), name


# ------------------------------------------------------------------ suite
def _timecourse_cases():
    if not SEMANTIC.is_dir():
        return []
    from moosepy.kinetics.sbml.testsuite import case_files, case_type
    return [c.name for c in sorted(SEMANTIC.iterdir())
            if case_type(case_files(c)[3]) == 'TimeCourse']


@pytest.mark.sbml
@pytest.mark.parametrize('case', _timecourse_cases() or ['none'])
def test_suite_case_through_objects(case):
    """Every semantic case the object build takes passes the suite's own
    rule; the others are left to the engine (their reason is the skip)."""
    if case == 'none':
        pytest.skip('SBML Test Suite folder is absent')
    from moosepy.kinetics.sbml.testsuite import run_case_objects
    status, msg = run_case_objects(SEMANTIC / case)
    if status == 'engine':
        pytest.skip(f'engine: {msg}')
    assert status == 'pass', f'{case}: {msg}'


ENGINE_ONLY_CORE = ('has size nan', 'without compartments', 'fast reactions', 'factorial')


@pytest.mark.sbml
def test_core_cases_go_through_objects():
    """The suite's cases made of compartments, species, reactions and
    parameters only are built as objects, except where the object model
    truly lacks the feature (a compartment without a size, no compartment,
    a fast reaction, factorial() in a law)."""
    if not SEMANTIC.is_dir():
        pytest.skip('SBML Test Suite folder is absent')
    import re
    from moosepy.kinetics.sbml import objects as O
    from moosepy.kinetics.sbml.reader import _unit_scales
    from moosepy.kinetics.sbml.system import read_document, build
    from moosepy.kinetics.sbml.testsuite import case_files, case_type
    pure = {'Compartment', 'Species', 'Reaction', 'Parameter'}
    n = objects = 0
    for d in sorted(SEMANTIC.iterdir()):
        stf, csv, xml, text = case_files(d)
        m = re.search(r'componentTags:\s*(.*)', text)
        tags = {t.strip() for t in m.group(1).split(',') if t.strip()} if m else set()
        if not tags or not tags <= pure or case_type(text) != 'TimeCourse':
            continue
        n += 1
        doc = read_document(str(xml))
        S = build(doc, str(xml))
        try:
            O.make_plan(S, doc.getModel(), *_unit_scales(doc.getModel()))
            objects += 1
        except O.NotExpressible as e:
            assert any(w in str(e) for w in ENGINE_ONLY_CORE), f'{d.name}: {e}'
    assert n >= 300 and objects >= 0.85 * n, (objects, n)
