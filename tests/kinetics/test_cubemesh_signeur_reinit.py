"""What objects read at reinit before the solvers' own reinit, as in MOOSE
(corpus snippets/cubeMeshSigNeur.py): a Stoich takes its pools when
reacSystemPath is set (they read 0, BufPools nInit, until the Ksolve's
reinit on tick 16) and takes the Functions that set them off the clock; an
Adaptor (tick 11) pulling a pool's conc at reinit reads that 0 and keeps
inputs sent before its own reinit; an HSolve leaves a channel's Gk at its
old value (0 at first, else its last step's) until its first step.  Every expected value comes
from pymoose 5.0.0 through side_pymoose.run_both."""

import numpy as np

from side_pymoose import run_both

SCRIPT = r'''
import sys, json, math
who = sys.argv[1]
if who == 'moose':
    import moose
else:
    import moosepy as moose
out = {}

# --- pools and Functions taken at reacSystemPath (Ksolve and Gsolve)
for solver in ('Ksolve', 'Gsolve'):
    base = '/t' + solver
    m = moose.CubeMesh(base)
    m.volume = 1e-18
    a = moose.Pool(base + '/a'); a.concInit = 1e-3
    b = moose.BufPool(base + '/b'); b.concInit = 2e-3
    c = moose.Pool(base + '/c'); c.concInit = 3e-3
    y = moose.BufPool(base + '/y'); y.nInit = 500
    f = moose.Function(base + '/y/f')
    f.expr = 'x0 * 2'
    f.doEvalAtReinit = True
    moose.connect(a, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', y, 'setN')
    ks = getattr(moose, solver)(base + '/ks')
    st = moose.Stoich(base + '/st')
    st.compartment = m
    st.ksolve = ks
    st.reacSystemPath = base + '/##'
    out[solver + '_taken'] = [a.n, b.n, c.n, y.n, a.nInit, b.nInit]
    c.n = 7
    a.concInit = 1.5e-3
    out[solver + '_set'] = [c.n, a.n, a.nInit]
    moose.delete(base)

# --- Table (tick 8) and Adaptor (tick 11) at reinit, Function at reinit
m = moose.CubeMesh('/k')
m.volume = 1e-18
a = moose.Pool('/k/a'); a.concInit = 1e-3
r = moose.Reac('/k/r'); r.Kf = 1.0; r.Kb = 0.0
moose.connect(r, 'sub', a, 'reac')
y = moose.BufPool('/k/y'); y.nInit = 500
f = moose.Function('/k/y/f')
f.expr = 'x0 * 2'
f.doEvalAtReinit = True
moose.connect(a, 'nOut', f.x[0], 'input')
moose.connect(f, 'valueOut', y, 'setN')
ks = moose.Ksolve('/k/ks')
st = moose.Stoich('/k/st')
st.compartment = m
st.ksolve = ks
st.reacSystemPath = '/k/##'
tab = moose.Table('/k/tab')
moose.connect(tab, 'requestOut', a, 'getConc')
tabY = moose.Table2('/k/tabY')
moose.connect(tabY, 'requestOut', y, 'getN')

moose.Neutral('/cell')
comp = moose.Compartment('/cell/c')
comp.Em = comp.initVm = -0.06
comp.Cm, comp.Rm, comp.Ra = 1e-11, 1e9, 1e6
kc = moose.HHChannel('/cell/c/K')
kc.Xpower = 1
kc.Gbar = 1e-8
kc.Ek = -0.09
g = moose.HHGate(kc.path + '/gateX')
g.setupAlpha([1e3, 0, 0, 0.06, -0.01, 1e3, 0, 0, 0.06, 0.01, 100, -0.1, 0.05])
moose.connect(kc, 'channel', comp, 'channel')
ca = moose.CaConc('/cell/c/ca')
ca.CaBasal = 1e-4
ca.tau = 0.01
ca.B = 1e9
adK = moose.Adaptor('/k/adK')
moose.connect(adK, 'requestOut', a, 'getConc', 'OneToAll')
moose.connect(adK, 'output', kc, 'setGbar', 'OneToAll')
adK.scale = 1e-5
adCa = moose.Adaptor('/k/adCa')
moose.connect(ca, 'concOut', adCa, 'input', 'OneToAll')
adCa.scale = 2.0
adCa.outputOffset = 1.0
tGk = moose.Table('/k/tGk')
moose.connect(tGk, 'requestOut', kc, 'getGk')
tIk = moose.Table('/k/tIk')
moose.connect(tIk, 'requestOut', kc, 'getIk')
tVm = moose.Table('/k/tVm')
moose.connect(tVm, 'requestOut', comp, 'getVm')
hs = moose.HSolve('/cell/hs')
hs.dt = 5e-5
hs.target = '/cell/c'
# a second cell whose HSolve also takes a SynChan (moosepy compiles such a
# cell again at each reinit; MOOSE keeps the channel's last Gk all the same)
moose.Neutral('/cell2')
comp2 = moose.Compartment('/cell2/c')
comp2.Em = comp2.initVm = -0.06
comp2.Cm, comp2.Rm, comp2.Ra = 1e-11, 1e9, 1e6
kc2 = moose.HHChannel('/cell2/c/K')
kc2.Xpower = 1
kc2.Gbar = 1e-8
kc2.Ek = -0.09
g2 = moose.HHGate(kc2.path + '/gateX')
g2.setupAlpha([1e3, 0, 0, 0.06, -0.01, 1e3, 0, 0, 0.06, 0.01, 100, -0.1, 0.05])
moose.connect(kc2, 'channel', comp2, 'channel')
syn = moose.SynChan('/cell2/c/syn')
syn.Gbar = 1e-9
syn.tau1 = syn.tau2 = 1e-3
moose.connect(comp2, 'channel', syn, 'channel')
hs2 = moose.HSolve('/cell2/hs')
hs2.dt = 5e-5
hs2.target = '/cell2/c'
moose.reinit()
out['reinit1'] = [tab.vector[0], tabY.vector[0], a.conc, y.n, kc.Gbar, kc.Gk, kc.Ik,
                  adK.outputValue, adCa.outputValue, kc2.Gk]
moose.start(0.3)
out['run1'] = {'tab': list(tab.vector), 'tabY': list(tabY.vector), 'Gk': list(tGk.vector),
               'Ik': list(tIk.vector), 'Vm': list(tVm.vector)}
out['end1'] = [a.conc, kc.Gbar, kc.Gk, kc2.Gk]
moose.reinit()
out['reinit2'] = [tab.vector[0], a.conc, kc.Gbar, kc.Gk, kc.Ik, adK.outputValue,
                  adCa.outputValue, kc2.Gk, kc2.Ik]
print('JSON' + json.dumps(out))
'''


def _close(p, m, what, rtol=1e-9, atol=0.0):
    np.testing.assert_allclose(np.asarray(p, float), np.asarray(m, float), rtol=rtol,
                               atol=atol, err_msg=what)


def test_objects_at_reinit_read_what_pymoose_reads():
    r = run_both(SCRIPT, raw=True)
    m, p = r['moose'], r['moosepy']
    # pymoose: a taken Pool reads 0, a BufPool its nInit; n set afterwards
    # holds, concInit set afterwards leaves n alone
    assert m['Ksolve_taken'][0] == 0.0 and m['Ksolve_taken'][1] > 0
    for solver in ('Ksolve', 'Gsolve'):
        _close(p[solver + '_taken'], m[solver + '_taken'], solver + ' taken')
        _close(p[solver + '_set'], m[solver + '_set'], solver + ' set after')
    # first reinit: the Table on tick 8 and the Adaptor read the pool's 0,
    # so Gbar is set to 0; the doEvalAtReinit Function sent nothing (y at
    # nInit); the HSolve's Gk is 0; the Adaptor had CaConc's concOut
    assert m['reinit1'][0] == 0.0 and m['reinit1'][4] == 0.0 and m['reinit1'][5] == 0.0
    _close(p['reinit1'], m['reinit1'], 'first reinit')
    for k, v in m['run1'].items():
        # the Ksolve's rk5 to its tolerance; the rest (Gbar stepped at 0.1 s
        # by the Adaptor, Gk, Ik, Vm of the HSolve) as pymoose
        _close(p['run1'][k], v, 'run1 ' + k, rtol=1e-6, atol=1e-6 * np.max(np.abs(v)))
    _close(p['end1'], m['end1'], 'end of run', rtol=1e-6)
    # second reinit: the Table records the last value, Gk stays the last
    # step's, the Adaptor reads it (the solver is reset at tick 16 only)
    assert m['reinit2'][0] > 0 and m['reinit2'][3] > 0 and m['reinit2'][7] > 0
    _close(p['reinit2'], m['reinit2'], 'second reinit', rtol=1e-6)
