"""Chemistry with no solver, as MOOSE 5.0 runs it.

pymoose 5.0.0 has no exponential-Euler path for kinetics any more: a Pool,
Reac or Enz that no Ksolve/Gsolve owns is never stepped, an unsolved Pool's
n is always nInit (conc = concInit) and setting n or conc -- directly or by
a Function's valueOut, an Adaptor, increment/decrement -- changes nothing; a
BufPool follows a set of n/conc (it sets nInit/concInit).  Checked here
against pymoose (side venv), and a Function stepped on a fast tick whose
steps change nothing is moved over them in bulk (core.clock._skip_quiet)
with the same tables as step by step.
"""

import numpy as np
import pytest

import moosepy as moose
from moosepy.core import clock as _clock
from moosepy.kinetics.function import Function

from side_pymoose import run_both

_SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/m')
c = moose.CubeMesh('/m/c')
c.volume = 1e-15
a, b, e = (moose.Pool('/m/c/' + x) for x in 'abe')
enz = moose.Enz('/m/c/e/enz')
cx = moose.Pool('/m/c/e/enz/cplx')
r = moose.Reac('/m/c/r')
moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'prd', b, 'reac')
moose.connect(enz, 'sub', a, 'reac'); moose.connect(enz, 'prd', b, 'reac')
moose.connect(enz, 'enz', e, 'reac'); moose.connect(enz, 'cplx', cx, 'reac')
a.concInit, b.concInit, e.concInit = 1.0, 0.0, 0.01
r.Kf, r.Kb = 0.1, 0.01
buf = moose.BufPool('/m/c/buf')
buf.concInit = 0.2
# a Function into an unsolved Pool (setN, increment) and into a BufPool
f = moose.Function('/m/c/f')
f.expr = 'x0 * 2 + 7'
moose.connect(a, 'nOut', f.x[0], 'input')
moose.connect(f, 'valueOut', b, 'setN')
g = moose.Function('/m/c/g')
g.expr = '1000'
moose.connect(g, 'valueOut', e, 'increment')
h = moose.Function('/m/c/h')
h.expr = '602.214076'
moose.connect(h, 'valueOut', buf, 'setN')
# an unsolved pool sends no nOut: k's input stays 0
k = moose.Function('/m/c/k')
k.expr = 'x0 + 1'
moose.connect(buf, 'nOut', k.x[0], 'input')
for i in (11, 12, 13, 14):
    moose.setClock(i, 0.01)
tabs = {}
for p in (a, b, e, cx, buf):
    t = moose.Table2('/m/t' + p.name)
    moose.connect(t, 'requestOut', p, 'getConc')
    tabs[p.name] = t
moose.reinit()
moose.start(2.0)
a.conc = 0.1
b.n = 5000.0
moose.vec('/m/c/e').n = [3.0]
buf.conc = 0.7
mid = [a.conc, b.conc, e.n, buf.conc, buf.concInit, f.value]
moose.start(2.0)
a.concInit = 0.5
moose.start(1.0)
c.volume = 2e-15
out = {k: list(t.vector) for k, t in tabs.items()}
out['mid'] = mid
out['end'] = [a.conc, a.n, b.conc, e.n, buf.conc, buf.n, f.value, k.value]
print('JSON' + json.dumps(out))
'''


def test_unsolved_chemistry_as_pymoose():
    out = run_both(_SCRIPT)
    ref, got = out['moose'], out['moosepy']
    assert set(ref) == set(got)
    for k in ref:
        r, g = np.asarray(ref[k], float), np.asarray(got[k], float)
        assert r.shape == g.shape, k
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-300, err_msg=k)
    # what pymoose did (so that the comparison above is not of two no-ops):
    # the BufPool took 0 from its Function at reinit, then 1e-6 mM at each
    # step, and the set conc; a never moved off concInit; the Functions'
    # x inputs from unsolved pools stayed 0
    assert ref['a'][0] == 1.0 and ref['a'][-1] == 0.5
    assert ref['buf'][0] == 0.0 and ref['buf'][1] == pytest.approx(1e-6, rel=1e-9)
    assert ref['mid'][3] == pytest.approx(0.7) and ref['mid'][5] == 7.0
    assert ref['end'][-1] == 1.0


def _fast_function_model():
    """Two Functions on a 1 ms tick pull the n of unsolved pools
    (requestOut -> y) and set a Pool (no effect) and a BufPool (an
    idempotent set after the first step); tables on a 0.5 s tick."""
    moose.Neutral('/q')
    c = moose.CubeMesh('/q/c')
    c.volume = 1e-18
    x = moose.BufPool('/q/c/x')
    x.concInit = 0.3
    y = moose.Pool('/q/c/y')
    y.concInit = 0.1
    z = moose.Pool('/q/c/z')
    w = moose.BufPool('/q/c/w')
    f = moose.Function('/q/c/z/f')
    f.expr = 'y0 + y1'
    moose.connect(f, 'requestOut', x, 'getN')
    moose.connect(f, 'requestOut', y, 'getN')
    moose.connect(f, 'valueOut', z, 'setN')
    g = moose.Function('/q/c/w/g')
    g.expr = 'y0 * 0.5'
    moose.connect(g, 'requestOut', x, 'getN')
    moose.connect(g, 'valueOut', w, 'setN')
    moose.setClock(12, 1e-3)
    moose.setClock(18, 0.5)
    tabs = []
    for p, fld in ((x, 'getConc'), (z, 'getN'), (w, 'getN')):
        t = moose.Table2('/q/t' + p.name)
        moose.connect(t, 'requestOut', p, fld)
        tabs.append(t)
    tv = moose.Table2('/q/tv')
    moose.connect(tv, 'requestOut', f, 'getValue')
    tabs.append(tv)
    return x, f, g, tabs


def _run_fast_model(quiet):
    x, f, g, tabs = _fast_function_model()
    calls = []
    orig = Function._process.__func__

    def counting(cls, el, t, dt):
        calls.append(t)
        orig(cls, el, t, dt)
    saved_cap = _clock._quiet_capable
    try:
        Function._process = classmethod(counting)
        if not quiet:
            _clock._quiet_capable = lambda sched, strides: False
        moose.reinit()
        moose.start(20.0)
        x.concInit = 0.9            # between runs: the Functions see a new input
        moose.start(10.5)
        vals = [np.array(t.vector) for t in tabs] + [np.array([f.value, g.value, f.rate])]
    finally:
        Function._process = classmethod(orig)
        _clock._quiet_capable = saved_cap
    moose.delete('/q')
    return vals, len(calls)


def test_quiet_functions_same_tables_as_step_by_step():
    step, n_step = _run_fast_model(quiet=False)
    quiet, n_quiet = _run_fast_model(quiet=True)
    for a, b in zip(step, quiet):
        assert np.array_equal(a, b)
    assert n_step == 2 * 30500          # two Functions, 30.5 s at 1 ms
    assert n_quiet < n_step / 50        # the quiet steps were taken in bulk
    # the BufPool followed g (0.5 x.n), the unsolved Pool z kept nInit = 0
    x_n = 0.9 * 6.02214076e23 * 1e-18 * 1e-3 * 1e3
    assert step[2][-1] == pytest.approx(0.5 * x_n, rel=1e-12)
    assert np.all(step[1] == 0.0)
    y_n = 0.1 * 6.02214076e23 * 1e-18
    assert step[3][-1] == pytest.approx(x_n + y_n, rel=1e-12)   # f's value
