# Run under pymoose 5.0.0 and moosepy by test_dsolve.py (argv[1] says which).
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
def run():
    a = moose.CubeMesh('/A'); a.x0 = 0.0; a.x1 = 2e-6; a.y1 = a.z1 = 1e-6
    b = moose.CubeMesh('/B'); b.x0 = 2e-6; b.x1 = 3e-6; b.y1 = 1e-6; b.z1 = 1e-6
    ds = []
    for mesh in (a, b):
        p = moose.Pool(mesh.path + '/x'); p.diffConst = 1e-12
        st = moose.Stoich(mesh.path + '/st'); ks = moose.Ksolve(mesh.path + '/ks'); d = moose.Dsolve(mesh.path + '/ds')
        st.compartment = mesh; st.ksolve = ks; st.dsolve = d; st.reacSystemPath = mesh.path + '/x'
        ds.append(d)
    ds[0].buildMeshJunctions(ds[1])
    moose.element('/A/x').concInit = 1.0
    t = moose.Table2('/tb'); moose.connect(t, 'requestOut', moose.element('/B/x'), 'getConc')
    t2 = moose.Table2('/ta'); moose.connect(t2, 'requestOut', moose.element('/A/x'), 'getConc')
    moose.reinit(); moose.start(5.0)
    print('JSON' + json.dumps({'b': list(map(float, t.vector)), 'a': list(map(float, t2.vector)), 'vols': [float(a.volume), float(b.volume)]}))
