"""Gsolve with a Function's rate into a pool ('valueOut' -> 'increment')
that is negative: MOOSE (GssaVoxelPools) takes |rate| as the propensity and
fires the pseudo-reaction with the rate's sign, a count stopping at zero.

Oracles: the pure death process (rate -k n: n(t) is binomial with
p = exp(-k t), mean n0 p, variance n0 p (1 - p)); a constant negative rate
from a few molecules ends at zero; pymoose 5.0.0 runs the same model (side
venv) and decays at the same rate.
"""

import numpy as np
import pytest

import moosepy as moose
from side_pymoose import run_both

N0, K, DT, T = 1000, 0.5, 0.1, 4.0


def _model(expr, n0, method='ssa', seed=7):
    for p in ('/c',):
        if moose.exists(p):
            moose.delete(p)
    cm = moose.CubeMesh('/c')
    cm.volume = 1e-18
    a = moose.Pool('/c/a')
    a.nInit = n0
    f = moose.Function('/c/a/f')
    f.expr = expr
    f.x.num = 1
    moose.connect(a, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', a, 'increment')
    g = moose.Gsolve('/c/gs')
    g.method = method
    g.seed = seed
    st = moose.Stoich('/c/st')
    st.compartment = cm
    st.ksolve = g
    st.reacSystemPath = '/c/##'
    t = moose.Table2('/c/t')
    moose.connect(t, 'requestOut', a, 'getN')
    moose.setClock(t.tick, DT)
    return a, t


@pytest.mark.parametrize('method', ['ssa', 'tau'])
def test_negative_rate_is_a_death_process(method):
    a, t = _model(f'-{K}*x0', N0, method)
    moose.reinit()
    moose.start(T)
    v = np.asarray(t.vector)
    times = np.arange(len(v)) * DT
    assert len(v) == int(round(T / DT)) + 1
    p = np.exp(-K * times)
    mean, sd = N0 * p, np.sqrt(N0 * p * (1 - p))
    # one trajectory: every sample within 5 sd of the binomial law (the
    # whole path has ~40 samples; 5 sd leaves a < 1e-4 chance of a miss)
    assert np.all(np.abs(v - mean) <= 5 * sd + 1e-9)
    assert np.all(np.diff(v) <= 0)                 # only deaths
    assert v[-1] < N0 * np.exp(-K * T) + 5 * sd[-1]


def test_constant_negative_rate_stops_at_zero():
    a, t = _model('-20 + 0*x0', 5)
    moose.reinit()
    moose.start(3.0)
    v = np.asarray(t.vector)
    assert v[0] == 5 and v[-1] == 0 and np.all(v >= 0)
    assert a.n == 0


def test_as_pymoose():
    script = '''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
cm = moose.CubeMesh('/c')
cm.volume = 1e-18
a = moose.Pool('/c/a')
a.nInit = 1000
f = moose.Function('/c/a/f')
f.expr = '-0.5*x0'
f.x.num = 1
moose.connect(a, 'nOut', f.x[0], 'input')
moose.connect(f, 'valueOut', a, 'increment')
g = moose.Gsolve('/c/gs')
st = moose.Stoich('/c/st')
st.compartment = cm
st.ksolve = g
st.reacSystemPath = '/c/##'
t = moose.Table2('/c/t')
moose.connect(t, 'requestOut', a, 'getN')
moose.setClock(t.tick, 0.1)
moose.reinit()
moose.start(4.0)
print('JSON' + json.dumps({'n': list(map(float, t.vector))}))
'''
    r = run_both(script)
    a, b = r['moosepy']['n'], r['moose']['n']
    assert len(a) == len(b) == 41
    # both are death processes at 0.5/s: at t = 2 s and 4 s each is within
    # 5 sd of the binomial mean, so they differ by at most 10 sd
    for i in (20, 40):
        p = np.exp(-0.5 * i * 0.1)
        sd = np.sqrt(1000 * p * (1 - p))
        assert abs(b[i] - 1000 * p) <= 5 * sd
        assert abs(a[i] - b[i]) <= 10 * sd
