"""An SBML file as rdesigneur's chemProto (issue 13 item 2: chemistry from
kkit, SBML and Python), put on a dendrite's NeuroMesh by chemDistrib.

pymoose 5.0.0's rdesigneur crashes (SIGSEGV in buildModel) on this file, so
the reference is pymoose's plain ``readSBML`` of the same file in its own
compartment: with every voxel starting at the model's concentrations the
diffusion has nothing to do, and each voxel must follow that trajectory."""

import os

import numpy as np
import pytest

from side_pymoose import run_both

SBML = '/work/shared/models-ref/moose-sbml/Kholodenko_tosbml.xml'
if not os.path.exists(SBML):
    SBML = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'models-ref',
                        'moose-sbml', 'Kholodenko_tosbml.xml')

SCRIPT = r'''
import sys, json
fname = sys.argv[2]
if sys.argv[1] == 'moose':
    import moose
    # a tight reference: MOOSE's readSBML gives lsoda whatever the solver
    # named, and its lsoda runs at rtol 1e-3 whatever epsRel says (1.5e-4
    # off here), so the model is read bare and given a GSL Ksolve at 1e-9
    moose.readSBML(fname, '/k', 'ee')
    comp = moose.wildcardFind('/k/##[ISA=ChemCompt]')[0]
    ks = moose.Ksolve(comp.path + '/ksolve')
    ks.method = 'gsl'
    ks.epsRel = 1e-9
    ks.epsAbs = 1e-12
    st = moose.Stoich(comp.path + '/stoich')
    st.compartment = comp
    st.ksolve = ks
    st.reacSystemPath = comp.path + '/##'
    t = moose.Table2('/k/plot')
    moose.connect(t, 'requestOut', moose.element(comp.path + '/MAPK_PP_508_0_'), 'getConc')
    moose.setClock(t.tick, 1.0)
    moose.reinit()
    moose.start(100)
    pools = moose.wildcardFind('/k/##[ISA=PoolBase]')
    out = {p.name: [float(p.conc)] for p in pools}
    out['_plot'] = [[float(x) for x in t.vector]]
    out['_classes'] = sorted(e.className for e in moose.wildcardFind('/k/##')
                             if e.className in ('Reac', 'Enz', 'MMenz'))
else:
    import moosepy as moose, moosepy.rdesigner as rd
    rdes = rd.rdesigneur(verbose=False, turnOffElec=True, chemDt=0.1, diffDt=0.1,
        cellProto=[['ballAndStick', 'elec', 10e-6, 10e-6, 2e-6, 60e-6, 3]],
        chemProto=[[fname, 'chem']],
        chemDistrib=[['kinetics_449_0_', '#dend#', 'dend', '1', 10e-6]],
        plotList=[['#dend#', '1', 'kinetics_449_0_/MAPK_PP_508_0_', 'conc', 'MAPK-PP']])
    rdes.buildModel()
    moose.reinit()
    moose.start(100)
    pools = moose.wildcardFind('/model/chem/##[ISA=PoolBase]')
    out = {p.name: [float(x) for x in moose.vec(p).conc] for p in pools}
    tabs = moose.vec('/model/graphs/plot0')
    out['_plot'] = [[float(x) for x in moose.element(t).vector] for t in tabs]
    out['_classes'] = sorted(e.className for e in moose.wildcardFind('/model/chem/##')
                             if e.className in ('Reac', 'Enz', 'MMenz'))
print('JSON' + json.dumps(out))
'''


@pytest.mark.skipif(not os.path.exists(SBML), reason='models-ref (shared) absent')
def test_sbml_chem_proto_on_a_dendrite_follows_the_sbml_model():
    r = run_both(SCRIPT, args=(SBML,), timeout=300)
    m, p = r['moose'], r['moosepy']
    # the SBML model became MOOSE objects on the mesh (10 MMenz, 1 Reac)
    assert list(p['_classes']) == list(m['_classes'])
    assert len(m['_classes']) == 11
    names = sorted(k for k in m if not k.startswith('_'))
    assert names == sorted(k for k in p if not k.startswith('_')) and len(names) == 15
    nvox = len(p[names[0]])
    assert nvox == 6                        # 60 um of dendrite in 10-um voxels
    ref_plot = m['_plot'][0]
    assert len(ref_plot) == 101
    scale = np.ptp(ref_plot)
    assert scale > 1e-5                     # MAPK-PP moves over the run
    for k in names:
        ref = m[k][0]
        np.testing.assert_allclose(p[k], np.full(nvox, ref), rtol=1e-4, atol=1e-10, err_msg=k)
    assert p['_plot'].shape == (nvox, 101)
    for row in p['_plot']:
        assert np.max(np.abs(row - ref_plot)) <= 1e-4 * scale
