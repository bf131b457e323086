"""Reactions and channels across compartments that each have their own
solver: ``fixXreacs`` proxies (``<pool>_xfer_<compartment>``) and ConcChans
coupled through Dsolve junctions, as MOOSE runs them.

Oracles: the same model under one Stoich across both compartments (no
split: moosepy integrates it exactly, so the split's error must shrink in
proportion to the chemical step), molecule conservation, and pymoose 5.0.0
running the same script (its tables read the solvers one exchange late, so
the two agree to about one step's change)."""

import json

import numpy as np
import pytest

import moosepy as moose
from moosepy import fixXreacs as fx
from side_pymoose import run_both

from test_concchan import MEMBRANE


def _model(dt, split, gssa=False, holder='B', moose_reading=False):
    """a (A, 1 um^3) + b (B, 2 um^3) <-> c (A); b <-> d in B.  Returns the
    tables of a, b, c, d (molecules, every dt) after 10 s."""
    if moose.exists('/xm'):
        moose.delete('/xm')
    moose.Neutral('/xm')
    A = moose.CubeMesh('/xm/A')
    A.x0, A.x1, A.y0, A.y1, A.z0, A.z1, A.dx, A.dy, A.dz = 0, 1e-6, 0, 1e-6, 0, 1e-6, 1e-6, 1e-6, 1e-6
    B = moose.CubeMesh('/xm/B')
    B.x0, B.x1, B.y0, B.y1, B.z0, B.z1, B.dx, B.dy, B.dz = 1e-6, 3e-6, 0, 1e-6, 0, 1e-6, 2e-6, 1e-6, 1e-6
    a, c = moose.Pool('/xm/A/a'), moose.Pool('/xm/A/c')
    b, d = moose.Pool('/xm/B/b'), moose.Pool('/xm/B/d')
    a.concInit, b.concInit = 1e-3, 2e-3
    r = moose.Reac('/xm/A/r')
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'sub', b, 'reac')
    moose.connect(r, 'prd', c, 'reac')
    r.Kf, r.Kb = 100.0, 0.05
    r2 = moose.Reac('/xm/B/r2')
    moose.connect(r2, 'sub', b, 'reac')
    moose.connect(r2, 'prd', d, 'reac')
    r2.Kf, r2.Kb = 0.3, 0.1
    tabs = {}
    for p in (a, b, c, d):
        tabs[p.name] = moose.Table2('/xm/t_' + p.name)
        moose.connect(tabs[p.name], 'requestOut', p, 'getN')
    if not split:
        moose.chemUtil.mooseAddChemSolver('/xm', 'gssa' if gssa else 'gsl')
    else:
        fx.fixXreacs('/xm')
        ds = {}
        for M in (A, B):
            ks = (moose.Gsolve if gssa else moose.Ksolve)(M.path + '/ksolve')
            ds[M.name] = moose.Dsolve(M.path + '/dsolve')
            st = moose.Stoich(M.path + '/stoich')
            st.compartment, st.ksolve, st.dsolve = M, ks, ds[M.name]
            st.reacSystemPath = M.path + '/##'
        other = 'A' if holder == 'B' else 'B'
        ds[holder].buildMeshJunctions(ds[other])
    for k in range(8, 20):
        moose.setClock(k, dt)
    from moosepy.kinetics import dsolve
    keep = dsolve.READ_BEFORE_EXCHANGE
    try:
        # simultaneous readings: the state after the tick's exchanges (with
        # MOOSE's reading, each solver's tables are taken before its
        # exchange, so sums across the junction are not simultaneous)
        dsolve.READ_BEFORE_EXCHANGE = moose_reading
        moose.reinit()
        moose.start(10.0)
    finally:
        dsolve.READ_BEFORE_EXCHANGE = keep
    return {k: t.vector.copy() for k, t in tabs.items()}


def _err(sp, ex):
    return max(np.abs(sp[k] - ex[k]).max() / np.ptp(ex[k]) for k in ex)


def test_split_converges_to_the_unsplit_answer_in_proportion_to_the_step():
    errs = {}
    for dt in (0.1, 0.01, 0.001):
        errs[dt] = _err(_model(dt, True), _model(dt, False))
    # first order: a tenth of the step, a tenth of the error
    assert 8 < errs[0.1] / errs[0.01] < 12
    assert 8 < errs[0.01] / errs[0.001] < 12
    assert errs[0.001] < 5e-4
    # the junction's holder does not matter beyond that order
    assert _err(_model(0.001, True, holder="A"), _model(0.001, False)) < 5e-4


def test_split_conserves_and_builds_what_moose_builds():
    tabs = _model(0.01, True)
    a, b, c, d = (tabs[k] for k in 'abcd')
    # a + c and b + c + d are conserved by the reactions; the proxy is not counted
    assert np.ptp(a + c) <= 1e-9 * a[0]
    assert np.ptp(b + c + d) <= 1e-9 * b[0]
    r = moose.element('/xm/A/r')
    assert sorted(p.name for p in r.neighbors['sub']) == ['a', 'b_xfer_B']
    x = moose.element('/xm/A/b_xfer_B')
    assert x.diffConst == 0.0
    assert moose.element('/xm/A/b_xfer_B/info').notes == \
        '_xMsg_/xm[0]/A[0]/r[0] sub /xm[0]/B[0]/b[0] reac'
    kf = r.numKf
    fx.restoreXreacs('/xm')
    assert not moose.exists('/xm/A/b_xfer_B')
    assert sorted(p.name for p in r.neighbors['sub']) == ['a', 'b']
    assert r.numKf == pytest.approx(kf, rel=1e-14)


def test_split_with_gsolve_keeps_whole_molecules_and_totals():
    moose.seed(7)
    tabs = _model(0.01, True, gssa=True)
    a, b, c, d = (tabs[k] for k in 'abcd')
    for v in (a, b, c, d):
        assert np.all(v == np.round(v)) and v.min() >= 0
    assert np.ptp(a + c) == 0 and np.ptp(b + c + d) == 0
    assert c[-1] > 100      # the reaction ran across the junction


SPLIT = r'''
import sys, json
who = sys.argv[1]
if who == 'moose':
    import moose, moose.fixXreacs as fx
else:
    import moosepy as moose
    from moosepy import fixXreacs as fx
dt = float(sys.argv[2]) if len(sys.argv) > 2 else 0.01
moose.Neutral('/m')
A = moose.CubeMesh('/m/A'); A.x0, A.x1, A.y0, A.y1, A.z0, A.z1 = 0, 1e-6, 0, 1e-6, 0, 1e-6
A.dx, A.dy, A.dz = 1e-6, 1e-6, 1e-6
B = moose.CubeMesh('/m/B'); B.x0, B.x1, B.y0, B.y1, B.z0, B.z1 = 1e-6, 3e-6, 0, 1e-6, 0, 1e-6
B.dx, B.dy, B.dz = 2e-6, 1e-6, 1e-6
a = moose.Pool('/m/A/a'); c = moose.Pool('/m/A/c'); b = moose.Pool('/m/B/b')
d = moose.Pool('/m/B/d')
a.concInit = 1e-3; b.concInit = 2e-3
r = moose.Reac('/m/A/r'); moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'sub', b, 'reac')
moose.connect(r, 'prd', c, 'reac'); r.Kf = 100.0; r.Kb = 0.05
r2 = moose.Reac('/m/B/r2'); moose.connect(r2, 'sub', b, 'reac')
moose.connect(r2, 'prd', d, 'reac'); r2.Kf = 0.3; r2.Kb = 0.1
out = {'numKf': r.numKf, 'numKb': r.numKb}
fx.fixXreacs('/m')
out['after'] = [r.numKf, r.numKb]
px = moose.element('/m/A/b_xfer_B')
out['xInit'] = px.nInit
out['notes'] = moose.element('/m/A/b_xfer_B/info').notes
for M in (A, B):
    ks = moose.Ksolve(M.path + '/ksolve'); ks.method = 'rk5'
    dd = moose.Dsolve(M.path + '/dsolve'); st = moose.Stoich(M.path + '/stoich')
    st.compartment = M; st.ksolve = ks; st.dsolve = dd; st.reacSystemPath = M.path + '/##'
moose.element('/m/B/dsolve').buildMeshJunctions(moose.element('/m/A/dsolve'))
for k in range(8, 20):
    moose.setClock(k, dt)
moose.reinit()
for k in 'abcd':
    out[k] = []
for i in range(21):
    for k, p in zip('abcd', (a, b, c, d)):
        out[k].append(p.n)
    moose.start(0.5)
print('JSON' + json.dumps(out))
'''


def test_split_matches_pymoose():
    """MOOSE's proxy starts at the original's concentration in its own
    compartment and its tables read b before the last exchange; with that,
    the two agree to less than one step's change of any pool (max about
    6 molecules of b here, 3e-3 of its range)."""
    r = run_both(SPLIT)
    m, p = r['moose'], r['moosepy']
    # rate constants across compartments converted as MOOSE does
    assert p['numKf'] == pytest.approx(m['numKf'], rel=1e-12)
    assert p['numKb'] == pytest.approx(m['numKb'], rel=1e-12)
    assert np.allclose(p['after'], m['after'], rtol=1e-12)
    assert p['xInit'] == pytest.approx(m['xInit'], rel=1e-12)
    assert p['notes'] == m['notes']
    for k, tol in (('a', 3e-4), ('b', 1e-3), ('c', 3e-4), ('d', 1e-4)):
        assert np.abs(p[k] - m[k]).max() <= tol * np.ptp(m[k]), k


RATES = r'''
import sys, json
who = sys.argv[1]
if who == 'moose':
    import moose
else:
    import moosepy as moose
A = moose.CubeMesh('/A'); A.volume = 1e-18
B = moose.CubeMesh('/B'); B.volume = 2e-18
C = moose.CubeMesh('/C'); C.volume = 5e-18
a = moose.Pool('/A/a'); b = moose.Pool('/B/b'); c = moose.Pool('/C/c')
out = {}
def reac(name, subs, prds):
    r = moose.Reac('/A/' + name)
    for s in subs:
        moose.connect(r, 'sub', s, 'reac')
    for s in prds:
        moose.connect(r, 'prd', s, 'reac')
    r.Kf = 1.0; r.Kb = 1.0
    vals = [r.numKf, r.numKb]
    r.numKf = 3.0; r.numKb = 2.0
    out[name] = vals + [r.Kf, r.Kb]
reac('ab', [a], [b])
reac('abca', [a, b], [c, a])
reac('cbab', [c, b, a], [b])
reac('ba', [b, a], [])
print('JSON' + json.dumps(out))
'''


def test_rate_conversion_across_compartments_as_pymoose():
    """MOOSE converts Kf with the volumes of every substrate but the first,
    and Kb with those of the products over the first substrate's."""
    r = run_both(RATES)
    for k in ('ab', 'abca', 'cbab', 'ba'):
        assert np.allclose(r['moosepy'][k], r['moose'][k], rtol=1e-12, atol=0), k


def test_membrane_channel_between_two_dsolves_as_pymoose():
    """A ConcChan whose pools lie in two compartments with their own
    Stoich and Dsolve runs across the junction that the membrane-bound
    compartment's Dsolve holds, with MOOSE's two half steps: the same
    numbers as pymoose's."""
    both = MEMBRANE.replace("if who == 'moose':\n    # MOOSE", "if True:\n    # MOOSE")
    assert both != MEMBRANE
    r = run_both(both)
    # the other side's pool: the same numbers
    m, p = r['moose']['sout'], r['moosepy']['sout']
    assert np.abs(p - m).max() <= 1e-9 * np.ptp(m)
    # the holder's pool: MOOSE's table reads its Ksolve, which takes the
    # junction's last exchange only at its next step; moosepy's pools read
    # the same (dsolve.READ_BEFORE_EXCHANGE): the same numbers too (read
    # after the exchange they led by that one step, dt = 1 ms, a hundredth
    # of each 0.1 s sample interval)
    m, p = r['moose']['sin'], r['moosepy']['sin']
    assert np.abs(p - m).max() <= 1e-9 * np.ptp(m)
    si, so = r['moosepy']['sin'], r['moosepy']['sout']
    assert si[-1] > si[0] + 100         # molecules came in
