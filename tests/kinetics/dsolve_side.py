# Script run under pymoose 5.0.0 and under moosepy by test_dsolve.py
# (argv[1] says which); prints its results on a JSON line.
import json
import sys

import numpy as np

if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose


def run():
    m = moose.CylMesh('/cyl')
    m.x1 = 20e-6
    m.diffLength = 1e-6
    m.r0 = 1e-6
    m.r1 = 2.5e-6
    a = moose.Pool('/cyl/a')
    a.diffConst = 2e-12
    b = moose.Pool('/cyl/b')
    c = moose.Pool('/cyl/c')
    c.diffConst = 0.5e-12
    c.motorConst = 0.2e-6
    r = moose.Reac('/cyl/r')
    r.Kf = 0.5
    r.Kb = 0.2
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    st = moose.Stoich('/cyl/st')
    ks = moose.Ksolve('/cyl/ks')
    ds = moose.Dsolve('/cyl/ds')
    if TIGHT:  # noqa: F821 (set by the test)
        ks.epsAbs = 1e-12
        ks.epsRel = 1e-12
    st.compartment = m
    st.ksolve = ks
    st.dsolve = ds
    st.reacSystemPath = '/cyl/##'
    n = m.numDiffCompts
    ci = np.zeros(n)
    ci[2] = 1.0
    moose.vec('/cyl/a').concInit = ci
    cc = np.zeros(n)
    cc[0] = 2.0
    moose.vec('/cyl/c').concInit = cc
    tabs = []
    for name, k in (('a', 2), ('a', 10), ('b', 2), ('c', 5), ('c', n - 1)):
        t = moose.Table2('/t%s%d' % (name, k))
        moose.connect(t, 'requestOut', moose.element('/cyl/%s[%d]' % (name, k)), 'getConc')
        tabs.append(t)
    moose.reinit()
    moose.start(20)
    out = {'n': [int(n)], 'vol': list(map(float, m.voxelVolume))}
    for p in 'abc':
        out[p] = list(map(float, moose.vec('/cyl/' + p).conc))
    for t in tabs:
        out[t.name] = list(map(float, t.vector))
    print('JSON' + json.dumps(out))
