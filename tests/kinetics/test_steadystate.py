"""SteadyState: fixed points of a Ksolve's system with conservation totals
kept, their eigenvalues and MOOSE's stateType codes.  Oracles: the analytic
equilibrium of A <-> B, and pymoose 5.0.0 (side venv) on the bistable
switch of MOOSE's findChemSteadyState / chemDoseResponse snippets.

MOOSE's eigenvalues are those of its finite-difference Jacobian, which
omits the division by the step (1e-6 of the summed var-pool counts);
moosepy reports the Jacobian's eigenvalues in 1/s, so the comparison
multiplies them by that step."""

import numpy as np
import pytest

from side_pymoose import run_both

NA = 6.02214076e23

BISTABLE = '''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/model')
compt = moose.CubeMesh('/model/compartment')
compt.volume = 1e-15
a = moose.Pool('/model/compartment/a')
b = moose.Pool('/model/compartment/b')
c = moose.Pool('/model/compartment/c')
enz1 = moose.Enz('/model/compartment/b/enz1')
enz2 = moose.Enz('/model/compartment/c/enz2')
cplx1 = moose.Pool('/model/compartment/b/enz1/cplx')
cplx2 = moose.Pool('/model/compartment/c/enz2/cplx')
reac = moose.Reac('/model/compartment/reac')
for e, s, p, en, cx in ((enz1, a, b, b, cplx1), (enz2, b, a, c, cplx2)):
    moose.connect(e, 'sub', s, 'reac'); moose.connect(e, 'prd', p, 'reac')
    moose.connect(e, 'enz', en, 'reac'); moose.connect(e, 'cplx', cx, 'reac')
moose.connect(reac, 'sub', a, 'reac'); moose.connect(reac, 'prd', b, 'reac')
a.concInit = 1; b.concInit = 0; c.concInit = 0.01
enz1.kcat = 0.4; enz1.Km = 4; enz2.kcat = 0.6; enz2.Km = 0.01
reac.Kf = 0.001; reac.Kb = 0.01
ks = moose.Ksolve('/model/compartment/ksolve')
st = moose.Stoich('/model/compartment/stoich')
st.compartment = compt; st.ksolve = ks; st.reacSystemPath = '/model/compartment/##'
# A <-> B beside it, in its own compartment and solver
c2 = moose.CubeMesh('/ab'); c2.volume = 1e-18
A = moose.Pool('/ab/A'); B = moose.Pool('/ab/B')
r = moose.Reac('/ab/r'); moose.connect(r, 'sub', A, 'reac'); moose.connect(r, 'prd', B, 'reac')
r.Kf, r.Kb = 0.3, 0.1
A.concInit, B.concInit = 2.0, 0.5
ks2 = moose.Ksolve('/ab/ksolve'); st2 = moose.Stoich('/ab/stoich')
st2.compartment = c2; st2.ksolve = ks2; st2.reacSystemPath = '/ab/##'
ss = moose.SteadyState('/model/compartment/state')
ss2 = moose.SteadyState('/ab/state')
out = {}
for f in ('isInitialized', 'nIter', 'maxIter', 'convergenceCriterion', 'numVarPools',
          'rank', 'stateType', 'solutionStatus', 'status', 'badStoichiometry'):
    out['default_' + f] = getattr(ss, f)
moose.reinit()
ss.stoich = st
ss2.stoich = st2
out['numVarPools'] = ss.numVarPools
out['rank'] = ss.rank
pools = [a, b, c, cplx1, cplx2]
def snap(tag, s, ps, n):
    out[tag + '_conc'] = [p.conc for p in ps]
    for f in ('stateType', 'nNegEigenvalues', 'nPosEigenvalues', 'solutionStatus', 'status'):
        out[tag + '_' + f] = getattr(s, f)
    out[tag + '_eig'] = [s.eigenvalues[i] for i in range(n)]
    out[tag + '_n'] = [p.n for p in ps]
ss2.settle()
snap('ab', ss2, [A, B], 2)
out['ab_total'] = ss2.total[0]
# run into the high-b attractor, then settle there
a.conc, b.conc = 0.3, 0.7
moose.start(300.0)
ss.settle()
snap('stable', ss, pools, 5)
# next to the saddle between the two attractors
for p, v in zip(pools, (0.95324, 0.04676, 0.001762, 0.011143, 0.008238)):
    p.conc = v
ss.settle()
snap('saddle', ss, pools, 5)
print('JSON' + json.dumps(out))
'''


def _moose_scale(n):
    """MOOSE's eigenvalues are the Jacobian's times its step 1e-6 * sum(n)."""
    return 1e-6 * float(np.sum(n))


def _nonzero_sorted(ev, n, scale=1.0):
    ev = np.sort(np.asarray(ev, dtype=float) * scale)
    keep = np.argsort(np.abs(ev))[len(ev) - n:]
    return np.sort(ev[keep])


def test_steadystate_matches_pymoose():
    r = run_both(BISTABLE)
    a, b = r['moosepy'], r['moose']
    for k in ('default_isInitialized', 'default_nIter', 'default_maxIter',
              'default_convergenceCriterion', 'default_numVarPools', 'default_rank',
              'default_stateType', 'default_solutionStatus', 'default_status',
              'default_badStoichiometry', 'numVarPools', 'rank'):
        assert a[k] == b[k], k
    assert (b['numVarPools'], b['rank']) == (5, 3)
    for tag, nz, state in (('ab', 1, 0), ('stable', 3, 0), ('saddle', 3, 2)):
        assert b[tag + '_solutionStatus'] == 0 and b[tag + '_status'] == 'success', tag
        assert a[tag + '_solutionStatus'] == 0 and a[tag + '_status'] == 'success', tag
        np.testing.assert_allclose(a[tag + '_conc'], b[tag + '_conc'], rtol=1e-6, atol=1e-12,
                                   err_msg=tag)
        for f in ('stateType', 'nNegEigenvalues', 'nPosEigenvalues'):
            assert a[tag + '_' + f] == b[tag + '_' + f], (tag, f)
        assert b[tag + '_stateType'] == state
        scale = _moose_scale(b[tag + '_n'])
        np.testing.assert_allclose(_nonzero_sorted(a[tag + '_eig'], nz, scale),
                                   _nonzero_sorted(b[tag + '_eig'], nz), rtol=2e-3,
                                   err_msg=tag)
    assert a['saddle_nPosEigenvalues'] == 1
    assert a['ab_total'] == pytest.approx(b['ab_total'], rel=1e-12)


def _ab(kf=0.3, kb=0.1, a0=2.0, b0=0.5, vol=1e-18):
    import moosepy as moose
    c = moose.CubeMesh('/ab')
    c.volume = vol
    A, B = moose.Pool('/ab/A'), moose.Pool('/ab/B')
    r = moose.Reac('/ab/r')
    moose.connect(r, 'sub', A, 'reac')
    moose.connect(r, 'prd', B, 'reac')
    r.Kf, r.Kb = kf, kb
    A.concInit, B.concInit = a0, b0
    ks, st = moose.Ksolve('/ab/ksolve'), moose.Stoich('/ab/stoich')
    st.compartment, st.ksolve, st.reacSystemPath = c, ks, '/ab/##'
    ss = moose.SteadyState('/ab/state')
    return moose, A, B, ks, st, ss


def test_a_b_equilibrium_and_eigenvalue_analytic():
    kf, kb, a0, b0, vol = 0.3, 0.1, 2.0, 0.5, 1e-18
    moose, A, B, ks, st, ss = _ab(kf, kb, a0, b0, vol)
    moose.reinit()
    ss.stoich = st
    assert (ss.numVarPools, ss.rank) == (2, 1)
    ss.settle()
    tot = a0 + b0
    assert ss.solutionStatus == 0 and ss.status == 'success'
    assert A.conc == pytest.approx(tot * kb / (kf + kb), rel=1e-10)
    assert B.conc == pytest.approx(tot * kf / (kf + kb), rel=1e-10)
    assert ss.total[0] == pytest.approx(tot * vol * NA, rel=1e-12)
    ev = sorted(ss.eigenvalues[i] for i in range(2))
    assert ev[0] == pytest.approx(-(kf + kb), rel=1e-9) and ev[1] == 0.0
    assert (ss.stateType, ss.nNegEigenvalues, ss.nPosEigenvalues) == (0, 1, 0)
    # a new total is kept by the next settle
    ss.total[0] = ss.total[0] * 2
    ss.settle()
    assert A.conc + B.conc == pytest.approx(2 * tot, rel=1e-10)
    assert B.conc / A.conc == pytest.approx(kf / kb, rel=1e-10)
    # the solver goes on from the steady state: nothing moves
    moose.start(10.0)
    assert B.conc / A.conc == pytest.approx(kf / kb, rel=1e-7)


def test_random_init_keeps_totals_and_is_seeded():
    moose, A, B, ks, st, ss = _ab()
    moose.reinit()
    ss.stoich = st
    draws = []
    for _ in range(2):
        moose.seed(7)
        ss.randomInit()
        n = np.array(ks.nVec[0])
        assert (n >= 0).all()
        assert n.sum() == pytest.approx((2.0 + 0.5) * 1e-18 * NA, rel=1e-12)
        draws.append(n)
    # same draws; the totals are recomputed from the previous state, which
    # can differ from the first one's in the last bit
    np.testing.assert_allclose(draws[0], draws[1], rtol=1e-13)
    moose.seed(8)
    ss.randomInit()
    assert not np.array_equal(np.array(ks.nVec[0]), draws[0])


def test_bad_input_names_the_object():
    moose, A, B, ks, st, ss = _ab()
    with pytest.raises(moose.SolverError, match='no stoich'):
        ss.settle()
    with pytest.raises(moose.FieldError, match='expected a Stoich'):
        ss.stoich = A
    ss.stoich = st
    assert (ss.numVarPools, ss.rank) == (2, 1)     # known before reinit
    with pytest.raises(moose.SolverError, match='reinit'):
        ss.settle()
    moose.reinit()
    ss.settle()
    with pytest.raises(moose.FieldError, match='valid 0..0'):
        ss.total[1]
    with pytest.raises(moose.FieldError, match='convergenceCriterion'):
        ss.convergenceCriterion = 0.0
