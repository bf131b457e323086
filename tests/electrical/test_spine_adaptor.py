"""rdesigneur adaptor from a PSD pool to the spines' psdArea (the 'spine'
geometry of adaptorList, as tutorial ex8.3 uses it) over a run, against
pymoose 5.0.0.

pymoose 5.0.0's rdesigneur cannot build this adaptor (its
``spineFromCompartment[...]`` lookup raises TypeError in the 5.0 Python
bindings), so on the MOOSE side the same Adaptors are wired by hand as its
_buildAdaptor would (Adaptor per PSD voxel: requestOut -> chan_p getN,
output -> Spine setPsdArea).  The chemistry grows the PSD: chan + buf <->
chan_p in the PSD, psdArea = A0 + 0.005 um^2 * n(chan_p) (A0 the built
area, so that the adaptor's output at reinit changes nothing); the spine
head holds only a buffered pool (MOOSE 5.0 restarts variable head pools
from stale volumes; see moosepy.electrical.spine)."""

import numpy as np
import pytest

from side_pymoose import run_both

SCRIPT = r'''
import sys, json
import numpy as np
who = sys.argv[1]
if who == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose
    import moosepy.rdesigner as rd

moose.Neutral('/library')
moose.Neutral('/library/chem')
d = moose.CubeMesh('/library/chem/dend'); d.volume = 1e-18
s = moose.CubeMesh('/library/chem/spine'); s.volume = 1e-19
p = moose.CubeMesh('/library/chem/psd'); p.volume = 1e-20
a = moose.Pool(d.path + '/Ca'); a.concInit = 0.08e-3
b = moose.BufPool(s.path + '/Ca'); b.concInit = 0.08e-3
x = moose.Pool(p.path + '/chan'); x.concInit = 0.1
y = moose.BufPool(p.path + '/buf'); y.concInit = 0.05
z = moose.Pool(p.path + '/chan_p')
r2 = moose.Reac(p.path + '/r2'); r2.Kf = 2.0; r2.Kb = 0.1
moose.connect(r2, 'sub', x, 'reac'); moose.connect(r2, 'sub', y, 'reac')
moose.connect(r2, 'prd', z, 'reac')

# offset: the initial psdArea (0.5 um heads), so that the adaptor's output
# at reinit leaves the spines as built
ADAPT = ['psd/chan_p', 'n', 'spine', 'psdArea', np.pi / 4 * 0.5e-6 ** 2, 0.005e-12]
rdes = rd.rdesigneur(
    elecDt=100e-6, chemDt=0.01, diffDt=0.01, chemPlotDt=0.1,
    stealCellFromLibrary=True,
    cellProto=[['ballAndStick', 'soma', 12e-6, 12e-6, 4e-6, 40e-6, 4]],
    chemProto=[['chem', 'chem']],
    spineProto=[['makeActiveSpine()', 'spine']],
    spineDistrib=[['spine', '#dend#', '10e-6', '-1e-6', '1', '0', '0', '0']],
    chemDistrib=[['dend', '#dend#', 'dend', '1', 2e-6],
                 ['spine', '#dend#', 'spine', '1', 'dend'],
                 ['psd', '#dend#', 'psd', '1', 'dend']],
    adaptorList=[ADAPT] if who == 'moosepy' else [])
rdes.buildModel()
N = moose.element('/model/elec').numSpines
chanp = moose.element('/model/chem/psd/chan_p')
if who == 'moose':
    # as rdesigneur's _buildAdaptor for the 'spine' geometry
    ad = moose.Adaptor(chanp.path + '/adapt', N)
    heads = [h.path for h in moose.element('/model/chem/psd').elecComptList]
    for i, av in enumerate(ad.vec):
        av.inputOffset = 0.0
        av.outputOffset = ADAPT[4]
        av.scale = ADAPT[5]
        k = int(heads[i].split('/head')[-1].split('[')[0])
        moose.connect(av, 'requestOut', chanp.vec[i], 'getN')
        moose.connect(av, 'output', moose.element('/model/elec/spine[%d]' % k), 'setPsdArea')
moose.Neutral('/plots')
tabs = []
for i in range(N):
    t = moose.Table2('/plots/cp%d' % i)
    moose.connect(t, 'requestOut', chanp.vec[i], 'getN')
    tabs.append(t)
moose.reinit()
out = {'numSpines': N}
out['reinit:psdArea'] = [moose.element('/model/elec/spine[%d]' % i).psdArea for i in range(N)]
moose.start(4.0)
out['chan_p'] = [list(t.vector) for t in tabs]
sp = [moose.element('/model/elec/spine[%d]' % i) for i in range(N)]
for f in ('psdArea', 'headDiameter', 'headVolume'):
    out['end:' + f] = [getattr(e, f) for e in sp]
hd = [moose.element('/model/elec/head%d' % i) for i in range(N)]
for f in ('Rm', 'Cm', 'Ra', 'diameter'):
    out['end:head.' + f] = [getattr(h, f) for h in hd]
out['end:glu.Gbar'] = [moose.element(h.path + '/glu').Gbar for h in hd]
pm = moose.element('/model/chem/psd')
out['end:psdVol'] = [pm.oneVoxelVolume[i] for i in range(N)]
for q in ('chan', 'buf', 'chan_p'):
    v = moose.vec('/model/chem/psd/' + q)
    out['end:%s.n' % q] = [float(e) for e in v.n]
    out['end:%s.conc' % q] = [float(e) for e in v.conc]
print('JSON' + json.dumps(out))
'''


@pytest.fixture(scope='module')
def both():
    return run_both(SCRIPT, timeout=600)


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)))


def test_psd_grows(both):
    """The oracle moves: chan_p rises from 0 and the PSD grows (pymoose)."""
    mo = both['moose']
    cp = np.asarray(mo['chan_p'])
    assert cp[:, 0].max() == 0.0 and cp[:, -1].min() > 100
    assert np.all(np.asarray(mo['end:psdArea']) > 2 * np.asarray(mo['reinit:psdArea']))


def test_reinit_output(both):
    mo, mp = both['moose'], both['moosepy']
    assert _rel(mp['reinit:psdArea'], mo['reinit:psdArea']) < 1e-12


def _exact(t):
    """chan_p [#] of chan + buf <-> chan_p with the buffer held at its
    concentration: dn/dt = Kf c_buf (N - n) - Kb n, whatever the PSD volume
    (the rule of MOOSE's scaleBufsAndRates: chan and chan_p keep their
    numbers, buf its concentration)."""
    N = 0.1 * 1.2369245982665227e-20 * 6.02214076e23     # chan at reinit (mM = mol/m^3)
    kf, kb = 2.0 * 0.05, 0.1
    return kf * N / (kf + kb) * (1.0 - np.exp(-(kf + kb) * t))


def test_trace_exact(both):
    """moosepy's chan_p over 4 s (41 samples per spine) equals the exact
    solution to 2e-5 while the PSDs grow 6-fold."""
    cp = np.asarray(both['moosepy']['chan_p'])
    t = 0.1 * np.arange(cp.shape[1])
    ref = np.tile(_exact(t), (cp.shape[0], 1))
    assert _rel(cp[:, 1:], ref[:, 1:]) < 2e-5


def test_trace_matches_pymoose(both):
    """chan_p and the end state (psdArea, head size, Rm, Cm, Ra, glu Gbar,
    PSD volumes, pools) against pymoose 5.0.0: to 1e-3.  MOOSE's own run
    is 6e-4 off the exact solution by 4 s (0.2% below it), while moosepy's
    is within 2e-5 (test_trace_exact); its PSD Dsolve keeps copies of the
    pools that the resizes do not update."""
    mo, mp = both['moose'], both['moosepy']
    cm = np.asarray(mo['chan_p'])
    t = 0.1 * np.arange(cm.shape[1])
    moose_err = _rel(cm[:, 1:], np.tile(_exact(t), (cm.shape[0], 1))[:, 1:])
    assert 1e-4 < moose_err < 1e-3         # the difference documented above
    assert _rel(mp['chan_p'], mo['chan_p']) < 1e-3
    for k in mo:
        if k.startswith('end:'):
            assert _rel(mp[k], mo[k]) < 1e-3, k


def test_end_state_is_consistent(both):
    """moosepy's end state hangs together: psdArea = offset + scale * n of
    the adaptor's last tick (n grows by 0.34 per 10 ms tick at 4 s), head
    diameter from psdArea, PSD volume = thickness * psdArea, and the
    buffered pool at its concentration."""
    mp = both['moosepy']
    n = np.asarray(mp['end:chan_p.n'])
    area = np.asarray(mp['end:psdArea'])
    want = np.pi / 4 * 0.5e-6 ** 2 + 0.005e-12 * n
    assert np.all(area < want) and np.all(area > want - 0.005e-12 * 0.5)
    assert _rel(np.pi / 4 * np.asarray(mp['end:headDiameter']) ** 2, area) < 1e-12
    vol = np.asarray(mp['end:psdVol'])
    thick = 1.2369245982665227e-20 / (np.pi / 4 * 0.5e-6 ** 2)      # as built
    assert _rel(vol, thick * area) < 1e-12
    assert _rel(mp['end:buf.conc'], np.full(len(vol), 0.05)) < 1e-12
