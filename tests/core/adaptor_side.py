# Run under pymoose 5.0.0 and moosepy by test_adaptor.py (argv[1] says which).
import json
import sys

if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose


def run():
    # electrical side: a passive compartment driven by a current pulse
    moose.Neutral('/model')
    c = moose.Compartment('/model/soma')
    c.Cm, c.Rm, c.Em, c.initVm, c.Ra = 1e-11, 1e9, -0.065, -0.065, 1e6
    if PULSE:  # noqa: F821 (set by the caller)
        pg = moose.PulseGen('/model/pg')
        pg.delay[0], pg.width[0], pg.level[0], pg.delay[1] = 0.05, 0.1, 5e-11, 1e9
        moose.connect(pg, 'output', c, 'injectMsg')
    else:
        c.initVm = -0.030
    # chemical side: A -> B in a Ksolve; the adaptor sets A from Vm
    m = moose.CubeMesh('/model/chem')
    m.volume = 1e-18
    a = moose.Pool('/model/chem/A')
    b = moose.Pool('/model/chem/B')
    r = moose.Reac('/model/chem/r')
    r.Kf, r.Kb = 2.0, 0.5
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    st = moose.Stoich('/model/chem/st')
    ks = moose.Ksolve('/model/chem/ks')
    ks.epsAbs = TOL  # noqa: F821 (set by the caller)
    ks.epsRel = TOL  # noqa: F821
    st.compartment = m
    st.ksolve = ks
    st.reacSystemPath = '/model/chem/##'
    ad = moose.Adaptor('/model/ad')
    moose.connect(ad, 'requestOut', c, 'getVm')
    moose.connect(ad, 'output', a, 'setConc')
    ad.inputOffset = -0.065
    ad.scale = 0.05          # mM per V above rest
    ad.outputOffset = 1e-3
    # and back: B's concentration modulates a leak through a second adaptor
    ad2 = moose.Adaptor('/model/ad2')
    moose.connect(ad2, 'requestOut', b, 'getConc')
    moose.connect(ad2, 'output', c, 'setInject')
    ad2.scale = 1e-8         # A per mM
    if HSOLVE:  # noqa: F821 (set by the caller)
        hs = moose.HSolve('/model/hsolve')
        hs.dt = 5e-5
        hs.target = '/model/soma'
    tv = moose.Table('/model/tv')
    moose.connect(tv, 'requestOut', c, 'getVm')
    tb = moose.Table2('/model/tb')
    moose.connect(tb, 'requestOut', b, 'getConc')
    ta = moose.Table2('/model/ta')
    moose.connect(ta, 'requestOut', a, 'getConc')
    for k in (11, 16, 18):
        moose.setClock(k, 0.01)
    moose.reinit()
    moose.start(0.5)
    out = {'vm': list(map(float, tv.vector)), 'b': list(map(float, tb.vector)),
           'a': list(map(float, ta.vector)), 'ad': [float(ad.outputValue)],
           'ad2': [float(ad2.outputValue)]}
    print('JSON' + json.dumps(out))
