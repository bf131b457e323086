"""rdesigneur cell prototypes from a GENESIS .p file and a NeuroML
morphology, with a passiveDistrib, compared with pymoose 5.0.0: the same
compartments with the same Rm, Ra, Cm."""

import pytest

from side_pymoose import run_both

TUT = '/work/shared/moose-examples/tutorials/Rdesigneur'

CELL = r'''
import sys, json, os
os.chdir(sys.argv[2])
if sys.argv[1] == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose, moosepy.rdesigner as rd
rdes = rd.rdesigneur(verbose=False, cellProto=[[sys.argv[3], 'elec']],
                     passiveDistrib=[['#', 'RM', '1.5', 'CM', '0.012', 'RA', '1 + p*1e3']])
rdes.buildModel()
out = {c.name: [float(c.Rm), float(c.Ra), float(c.Cm), float(c.length), float(c.diameter)]
       for c in moose.wildcardFind('/model/elec/#[ISA=CompartmentBase]')}
print('JSON' + json.dumps(out))
'''


@pytest.mark.parametrize('fname,ncomp', [('./cells/ca1_minimal.p', 36),
                                         ('./cells/CA1.morph.xml', 173)])
def test_cell_prototype_formats_match_pymoose(fname, ncomp):
    r = run_both(CELL, raw=True, args=(TUT, fname))
    m, p = r['moose'], r['moosepy']
    assert len(m) == ncomp
    assert sorted(p) == sorted(m)
    for name in m:
        assert p[name] == pytest.approx(m[name], rel=1e-12, abs=1e-30), name
