"""rdesigneur's built-in prototypes (RDESIGNEUR.md 3.5: 13 channel makers,
the three spine makers, the chemical oscillator, diffusive and motor pools)
and its three cell shapes build what pymoose 5.0.0's rdesigneur builds:
the same elements under /library and /model, of the same classes, with the
same field values and gate tables."""

import numpy as np
import pytest

from side_pymoose import run_both

CHANS = ['make_HH_Na', 'make_HH_K', 'make_Na', 'make_K_DR', 'make_K_A', 'make_Ca', 'make_LCa',
         'make_Ca_conc', 'make_K_AHP', 'make_K_C', 'make_glu', 'make_NMDA', 'make_GABA']
SPINES = ['makePassiveSpine', 'makeExcSpine', 'makeActiveSpine']
CHEM = ['makeChemOscillator', 'makeDiffusivePool', 'makeMotorPool']

DUMP = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose, moosepy.rdesigner as rd
FIELDS = ['Gbar', 'Ek', 'Xpower', 'Ypower', 'Zpower', 'instant', 'useConcentration', 'tau1',
          'tau2', 'CaBasal', 'tau', 'B', 'thick', 'ceiling', 'floor', 'diffConst', 'concInit',
          'nInit', 'motorConst', 'Kf', 'Kb', 'Km', 'kcat', 'Rm', 'Cm', 'Ra', 'Em', 'initVm',
          'length', 'diameter', 'KMg_A', 'KMg_B', 'CMg', 'condFraction', 'temperature', 'extCa',
          'intCa', 'min', 'max', 'divs', 'xmin', 'xmax', 'xdivs', 'numSynapses', 'rate',
          'refractT', 'volume', 'x0', 'x1', 'y0', 'y1', 'z0', 'z1', 'x', 'y', 'z']
shape, chans, spines, chem = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
cell = {'somaProto': ['somaProto', 'soma', 12e-6, 14e-6],
        'ballAndStick': ['ballAndStick', 'soma', 10e-6, 12e-6, 3e-6, 120e-6, 4],
        'branchedCell': ['branchedCell', 'soma', 10e-6, 12e-6, 3e-6, 100e-6, 3, 2e-6, 60e-6,
                         2]}[shape]
rdes = rd.rdesigneur(verbose=False, cellProto=[cell],
                     chanProto=[[n + '()', n] for n in chans.split(',') if n],
                     spineProto=[[n + '()', n] for n in spines.split(',') if n],
                     chemProto=[[n + '()', n] for n in chem.split(',') if n])
rdes.buildModel()
out = {}
for root in ('/library', '/model'):
    for el in moose.wildcardFind(root + '/##'):
        el = moose.element(el)
        nm = el.name
        if nm in ('gateX', 'gateY', 'gateZ'):
            # (pymoose crashes reading a gate whose power is 0)
            if float(getattr(moose.element(el.parent), nm[-1] + 'power')) == 0:
                continue
        d = {'class': el.className}
        for f in FIELDS:
            try:
                v = getattr(el, f)
            except Exception:
                continue
            if isinstance(v, (int, float, bool)):
                d[f] = float(v)
        for g in ('tableA', 'tableB'):
            try:
                d[g] = [float(x) for x in getattr(el, g)]
            except Exception:
                pass
        out[el.path.replace('[0]', '')] = d
print('JSON' + json.dumps(out))
'''

# MOOSE's CaConcBase leaves length and diameter uninitialised (garbage reads)
UNINITIALISED = {('CaConc', 'length'), ('CaConc', 'diameter')}


def _compare(m, p):
    # moosepy's one addition: the model's spec document (issue 13 item 3)
    assert p.pop('/model/rdesigner_spec')['class'] == 'Mstring'
    assert sorted(m) == sorted(p)
    nfields = 0
    for path in sorted(m):
        a, b = m[path], p[path]
        # moosepy's solvers leave a class as it is (MOOSE's HSolve turns
        # Compartment into ZombieCompartment, ...): moosepy/__init__.py
        assert a['class'].replace('Zombie', '', 1) == b['class'], path
        for f, va in a.items():
            if f == 'class' or (a['class'], f) in UNINITIALISED:
                continue
            assert f in b, (path, f)
            va, vb = np.asarray(va, dtype=float), np.asarray(b[f], dtype=float)
            assert va.shape == vb.shape, (path, f, va.shape, vb.shape)
            if f == 'tableB':
                # README, deliberate differences: at a grid point where the
                # beta formula is 0/0 MOOSE stores 2 beta in tableB (a spike
                # in the table); moosepy the limit (alpha + beta, smooth)
                off = np.flatnonzero(~np.isclose(vb, va, rtol=1e-9, atol=1e-300))
                assert len(off) <= 1, (path, off)
                for i in off:
                    assert 0 < i < len(vb) - 1
                    assert min(vb[i - 1], vb[i + 1]) <= vb[i] <= max(vb[i - 1], vb[i + 1])
                    assert not min(va[i - 1], va[i + 1]) <= va[i] <= max(va[i - 1], va[i + 1])
                    va[i] = vb[i]
            np.testing.assert_allclose(vb, va, rtol=1e-9, atol=1e-300, err_msg=f'{path}.{f}')
            nfields += 1
    return nfields


def test_builtin_prototypes_match_pymoose():
    r = run_both(DUMP, args=('somaProto', ','.join(CHANS), ','.join(SPINES), ','.join(CHEM)),
                 raw=True)
    m, p = r['moose'], r['moosepy']
    for n in CHANS + SPINES + CHEM:
        assert '/library/' + n in m, n
    assert m['/library/make_K_AHP']['useConcentration'] == 1.0
    assert len(m['/library/make_HH_Na/gateX']['tableA']) > 1000
    nfields = _compare(m, p)
    assert nfields > 400, nfields


@pytest.mark.parametrize('shape', ['ballAndStick', 'branchedCell'])
def test_cell_shapes_match_pymoose(shape):
    r = run_both(DUMP, args=(shape, 'make_HH_Na,make_HH_K', 'makeActiveSpine', ''), raw=True)
    m, p = r['moose'], r['moosepy']
    comps = [k for k, v in m.items() if k.startswith('/model/elec/') and
             v['class'].endswith('Compartment')]
    assert len(comps) >= 5, sorted(m)
    _compare(m, p)
