"""Every PSD mesh rdesigneur builds holds a pool 'dummy', as in pymoose
5.0.0 (whose test for "a PSD without pools" never matches), so the model
trees and the pools a script can read are the same."""

from side_pymoose import run_both

PSD = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose, moosepy.rdesigner as rd
moose.Neutral('/library')
moose.Neutral('/library/chm')
for m in ('DEND', 'SPINE', 'PSD'):
    moose.CubeMesh('/library/chm/' + m)
    a = moose.Pool('/library/chm/%s/Ca' % m)
    a.concInit = 0.08e-3
    a.diffConst = 1e-12
rdes = rd.rdesigneur(verbose=False, turnOffElec=True,
    cellProto=[['ballAndStick', 'elec', 10e-6, 10e-6, 2e-6, 20e-6, 2]],
    spineProto=[['makePassiveSpine()', 'spine']],
    spineDistrib=[['spine', '#dend#', '10e-6', '-1e-6']],
    chemProto=[['chm', 'chm']],
    chemDistrib=[['DEND', '#', 'dend', '1', 2e-6], ['SPINE', '#', 'spine', '1', 'DEND'],
                 ['PSD', '#', 'psd', '1', 'DEND']])
rdes.buildModel()
pools = sorted(p.path for p in moose.wildcardFind('/model/chem/##[ISA=PoolBase]'))
print('JSON' + json.dumps({'pools': pools,
                           'dummy': len(moose.vec('/model/chem/PSD/dummy'))}))
'''


def test_psd_mesh_has_the_dummy_pool_as_pymoose():
    r = run_both(PSD, raw=True)
    m, p = r['moose'], r['moosepy']
    assert any('/PSD[0]/dummy[' in x for x in m['pools'])
    assert p['pools'] == m['pools']
    assert p['dummy'] == m['dummy'] >= 2
