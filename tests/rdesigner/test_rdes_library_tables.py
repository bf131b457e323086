"""Tables left in /library by prototypes record during the run, as in
pymoose 5.0.0 (a kkit prototype's graphs there are dumped by scripts and
by run_corpus; their values are the prototype's unchanging pools)."""

import numpy as np

from side_pymoose import run_both

LIB = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose, moosepy.rdesigner as rd
moose.Neutral('/library')
moose.Neutral('/library/chm')
m = moose.CubeMesh('/library/chm/dend')
a = moose.Pool('/library/chm/dend/a')
a.concInit = 0.25
a.diffConst = 1e-12
moose.Neutral('/library/chm/graphs')
t = moose.Table2('/library/chm/graphs/a')
moose.connect(t, 'requestOut', a, 'getConc')
rdes = rd.rdesigneur(verbose=False, turnOffElec=True, chemPlotDt=0.5,
    cellProto=[['ballAndStick', 'elec', 10e-6, 10e-6, 2e-6, 20e-6, 2]],
    chemProto=[['chm', 'chm']],
    chemDistrib=[['dend', '#', 'dend', '1', 2e-6]])
rdes.buildModel()
moose.reinit()
moose.start(3.0)
print('JSON' + json.dumps({'lib': [float(x) for x in t.vector],
                           'model': [float(x) for x in moose.vec('/model/chem/dend/a').conc]}))
'''


def test_library_tables_record_as_pymoose():
    r = run_both(LIB)
    m, p = r['moose'], r['moosepy']
    assert len(m['lib']) > 2                       # MOOSE ran it
    assert p['lib'].shape == m['lib'].shape
    np.testing.assert_allclose(p['lib'], m['lib'], rtol=1e-12)
    np.testing.assert_allclose(p['model'], m['model'], rtol=1e-9)
