"""moose.chemUtil, moose.fixXreacs and moose.SBML on moosepy.

Oracles: pymoose 5.0.0 running the same calls in the side venv (solver
set-up and its return values, the recorded tables, cross-compartment
reactions found and split, SBML read), and plain facts (an SBML file
written and read back).  How the split proxies run is tested in
tests/kinetics/test_xfer.py.
"""

import numpy as np
import pytest

from side_pymoose import run_both

HEAD = '''
import json, sys, warnings
warnings.simplefilter('ignore')
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
cu = moose.chemUtil
fx = moose.fixXreacs
def P(x):
    return x.path.replace('[0]', '')
out = {}
'''
TAIL = '''
print('JSON' + json.dumps(out))
'''

MODEL = '''
moose.Neutral('/model')
c = moose.CubeMesh('/model/kinetics')
c.volume = 1e-18
a = moose.Pool('/model/kinetics/a'); a.concInit = 1e-3
b = moose.Pool('/model/kinetics/b')
r = moose.Reac('/model/kinetics/r'); r.Kf = 2.0; r.Kb = 1.0
moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'sub', a, 'reac')
moose.connect(r, 'prd', b, 'reac')
moose.Neutral('/data')
t = moose.Table2('/data/b')
moose.connect(t, 'requestOut', b, 'getConc')
'''


def test_add_and_delete_chem_solver_as_pymoose():
    body = MODEL + '''
out['std'] = [cu.stdSolvertype(s) for s in ('LSODA', 'Gillespie', 'gsolve', 'rk', 'RK5',
                                             'deterministic', 'ee', 'Neutral', 'xyz')]
out['add1'] = cu.mooseAddChemSolver('/model', 'gsl')
out['has1'] = [moose.exists('/model/kinetics/stoich'), moose.exists('/model/kinetics/ksolve')]
out['add2'] = cu.mooseAddChemSolver('/model', 'rk5')      # same solver: nothing done
moose.reinit(); moose.start(20.0)
out['gsl'] = list(map(float, t.vector))
out['add3'] = cu.mooseAddChemSolver('/model', 'gssa')
out['has3'] = [moose.exists('/model/kinetics/ksolve'), moose.exists('/model/kinetics/gsolve')]
out['del'] = cu.mooseDeleteChemSolver('/model')
out['has4'] = [moose.exists('/model/kinetics/stoich'), moose.exists('/model/kinetics/gsolve')]
out['add5'] = cu.mooseAddChemSolver('/model', 'ee')
out['has5'] = moose.exists('/model/kinetics/stoich')
out['comp'] = P(cu.findCompartment('/model/kinetics/a'))
out['root'] = P(cu.findCompartment('/data/b'))
out['isinst'] = [cu.mooseIsInstance(r, ['Reac']), cu.mooseIsInstance(r, ['ReacBase'])]
u, n = cu.countitems(r, 'sub')
out['count'] = sorted((P(moose.element(k)), v) for k, v in n.items())
moose.Neutral('/empty')
out['none'] = cu.mooseAddChemSolver('/empty', 'gsl')
'''
    r = run_both(HEAD + body + TAIL)
    a, b = r['moosepy'], r['moose']
    for k in ('std', 'add1', 'has1', 'add2', 'add3', 'has3', 'del', 'has4', 'add5', 'has5',
              'comp', 'root', 'isinst', 'none'):
        assert np.all(np.asarray(a[k]) == np.asarray(b[k])), (k, a[k], b[k])
    for who in (a, b):
        assert [(str(p), int(n)) for p, n in who['count']] == [('/model/kinetics/a', 2)]
    assert len(a['gsl']) == len(b['gsl']) == 21
    assert np.max(np.abs(a['gsl'] - b['gsl'])) <= 1e-4 * np.max(np.abs(b['gsl']))


XMODEL = '''
moose.Neutral('/model')
A = moose.CubeMesh('/model/A'); A.volume = 1e-18
B = moose.CubeMesh('/model/B'); B.volume = 2e-18
x = moose.Pool('/model/A/x'); y = moose.Pool('/model/B/y'); z = moose.Pool('/model/A/z')
w = moose.Pool('/model/B/w')
r = moose.Reac('/model/A/r')
moose.connect(r, 'sub', x, 'reac'); moose.connect(r, 'prd', y, 'reac')
r2 = moose.Reac('/model/B/r2')
moose.connect(r2, 'sub', y, 'reac'); moose.connect(r2, 'prd', w, 'reac')
e = moose.MMenz('/model/A/z/e')
moose.connect(z, 'nOut', e, 'enzDest')
moose.connect(e, 'sub', x, 'reac'); moose.connect(e, 'prd', w, 'reac')
e2 = moose.MMenz('/model/A/z/e2')
moose.connect(z, 'nOut', e2, 'enzDest')
moose.connect(e2, 'sub', x, 'reac'); moose.connect(e2, 'prd', z, 'reac')
'''


def test_findXreacs_as_pymoose_and_fix_on_uncrossed_model():
    body = XMODEL + '''
def rows(t):
    return [[P(i[0]), i[1].replace('[0]', ''), [P(p) for p in i[2]],
             [s.replace('[0]', '') for s in i[3]], [P(p) for p in i[4]],
             [s.replace('[0]', '') for s in i[5]]] for i in fx.findXreacs('/model', t)]
out['reac'] = json.dumps(rows('Reac'))       # ragged: kept as text
out['enz'] = json.dumps(rows('EnzBase'))
out['compt'] = fx.findCompt('/model/A/z/e').replace('[0]', '')
out['eq'] = [fx.checkEqual([]), fx.checkEqual([1, 1]), fx.checkEqual([1, 2])]
# a model whose reactions stay in one compartment: fixXreacs changes nothing
moose.Neutral('/one')
k = moose.CubeMesh('/one/k')
p = moose.Pool('/one/k/p'); q = moose.Pool('/one/k/q'); rr = moose.Reac('/one/k/rr')
moose.connect(rr, 'sub', p, 'reac'); moose.connect(rr, 'prd', q, 'reac')
before = sorted(P(o) for o in moose.wildcardFind('/one/##'))
out['ret'] = [fx.fixXreacs('/one'), fx.restoreXreacs('/one'), fx.restoreXreacs('/model')]
out['same'] = before == sorted(P(o) for o in moose.wildcardFind('/one/##'))
out['msgs'] = len(rr.neighbors['sub']) + len(rr.neighbors['prd'])
'''
    r = run_both(HEAD + body + TAIL)
    a, b = r['moosepy'], r['moose']
    import json
    assert json.loads(a['reac']) == json.loads(b['reac']) == [
        ['/model/A/r', '/model/A', ['/model/A/x'], ['/model/A'], ['/model/B/y'], ['/model/B']]]
    assert json.loads(a['enz']) == json.loads(b['enz'])
    assert [row[0] for row in json.loads(a['enz'])] == ['/model/A/z/e']
    assert a['compt'] == b['compt'] == '/model/A'
    assert a['eq'].tolist() == b['eq'].tolist() == [True, True, False]
    assert a['ret'].tolist() == b['ret'].tolist() == [None, None, None]
    assert a['same'] and b['same']
    assert a['msgs'] == b['msgs'] == 2


def test_fixXreacs_splits_as_pymoose_and_restoreXreacs_undoes_it():
    body = XMODEL + """
r.Kf = 0.5; r.Kb = 0.25; e.Km = 0.01
before = [r.numKf, r.numKb, e.numKm]
fx.fixXreacs('/model')
out['pools'] = sorted(P(p) for p in moose.wildcardFind('/model/##[ISA=PoolBase]'))
out['subs_r'] = sorted(P(p) for p in r.neighbors['sub'])
out['prds_r'] = sorted(P(p) for p in r.neighbors['prd'])
out['prds_e'] = sorted(P(p) for p in e.neighbors['prd'])
out['rates'] = [r.numKf, r.numKb, e.numKm]
out['same_rates'] = [abs(x - y) <= 1e-12 * abs(y) for x, y in zip(out['rates'], before)]
out['notes'] = [moose.element(p.path + '/info').notes for p in
                sorted(moose.wildcardFind('/model/##/#_xfer_#'), key=lambda q: q.path)]
out['diff'] = [p.diffConst for p in moose.wildcardFind('/model/##/#_xfer_#')]
fx.restoreXreacs('/model')
out['pools2'] = sorted(P(p) for p in moose.wildcardFind('/model/##[ISA=PoolBase]'))
out['prds_r2'] = sorted(P(p) for p in r.neighbors['prd'])
out['rates2'] = [r.numKf, r.numKb, e.numKm]
"""
    r = run_both(HEAD + body + TAIL)
    a, b = r['moosepy'], r['moose']
    for k in ('pools', 'subs_r', 'prds_r', 'prds_e', 'notes', 'pools2', 'prds_r2'):
        assert list(a[k]) == list(b[k]), k
    assert '/model/A/y_xfer_B' in list(a['pools'])
    assert np.allclose(a['rates'], b['rates'], rtol=1e-12)
    assert np.allclose(a['rates2'], b['rates2'], rtol=1e-12)
    assert a['same_rates'].all() and b['same_rates'].all()
    assert np.all(a['diff'] == 0) and np.all(b['diff'] == 0)


def test_gui_helpers_of_chemUtil_raise():
    import moosepy as moose
    with pytest.raises(moose.MooseError, match='autoCoordinates'):
        moose.chemUtil.autoCoordinates
    assert moose.deleteChemSolver is moose.chemUtil.mooseDeleteChemSolver


SBML = '/work/shared/moose-examples/genesis/00001-sbml-l3v1.xml'


def test_mooseReadSBML_as_pymoose():
    import os
    if not os.path.exists(SBML):
        pytest.skip('moose-examples corpus absent')
    body = f'''
if sys.argv[1] == 'moose':
    from moose.SBML import mooseReadSBML
else:
    from moosepy.SBML import mooseReadSBML
m, err = mooseReadSBML({SBML!r}, '/sb', 'ee')
out['ret'] = [P(m), err]
pools = moose.wildcardFind('/sb/##[ISA=PoolBase]')
out['pools'] = sorted([p.name, p.concInit] for p in pools)
'''
    r = run_both(HEAD + body + TAIL)
    a, b = r['moosepy'], r['moose']
    assert a['ret'].tolist() == b['ret'].tolist() == ['/sb', '']
    assert [p[0] for p in a['pools']] == [p[0] for p in b['pools']]
    np.testing.assert_allclose([float(p[1]) for p in a['pools']],
                               [float(p[1]) for p in b['pools']], rtol=1e-9)


def test_mooseWriteSBML_round_trip(tmp_path, monkeypatch):
    import moosepy as moose
    from moosepy.SBML import mooseReadSBML, mooseWriteSBML
    exec(MODEL, {'moose': moose})
    monkeypatch.chdir(tmp_path)
    ok, msg, path = mooseWriteSBML('/model', 'round.trip.g')
    assert (ok, msg) == (True, '') and path == str(tmp_path / 'round.xml')
    assert mooseWriteSBML('/nowhere', 'x.xml') == (False, "Path doesn't exist")
    m, err = mooseReadSBML(path, 'back', 'gsl')
    assert (m.path.replace('[0]', ''), err) == ('/back', '')
    got = {p.name: p.concInit for p in moose.wildcardFind('/back/##[ISA=PoolBase]')}
    assert got == pytest.approx({'a': 1e-3, 'b': 0.0}, rel=1e-12)
    with pytest.raises(moose.ModelImportError, match='nofile.xml'):
        mooseReadSBML(str(tmp_path / 'nofile.xml'), '/x')
    assert moose.mooseReadSBML is mooseReadSBML


def test_addChemSolver_on_a_read_sbml_model_as_pymoose():
    import os
    if not os.path.exists(SBML):
        pytest.skip('moose-examples corpus absent')
    body = f'''
m = moose.readSBML({SBML!r}, '/sbml')
t = moose.Table2('/sbml/t')
moose.connect(t, 'requestOut', moose.element('/sbml/compartment/S1'), 'getConc')
out['ret'] = moose.addChemSolver(m.path, 'gsl')
moose.reinit()
moose.start(20)
out['s1'] = list(map(float, t.vector))
'''
    r = run_both(HEAD + body + TAIL)
    a, b = r['moosepy'], r['moose']
    assert bool(a['ret']) is bool(b['ret']) is True
    assert len(a['s1']) == len(b['s1']) == 21
    assert b['s1'][-1] < 1e-8 * b['s1'][0]          # S1 decays in MOOSE
    assert np.max(np.abs(a['s1'] - b['s1'])) <= 1e-4 * np.max(np.abs(b['s1']))
