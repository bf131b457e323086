"""moose.writeKkit (kkit .g writing): a model of pools, a buffered pool, a
second-order Reac, a Reac in a group, a mass-action Enz and an MMenz,
with plots, is written and read back: the parameters and the 20 s
trajectories equal the original model's; pymoose 5.0.0 reads the same
file to the same trajectories (complex initially empty: MOOSE 5.0's
reader takes a kenz's nComplexInit as molecules in 1e-15 m^3, whatever
the enzyme's volume, so a non-zero one reads differently there)."""

import json
import subprocess
import sys

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import MooseError
from side_pymoose import pymoose_python

SCRIPT = r'''
import sys, json
if sys.argv[1]=='moose':
    import moose
else:
    import moosepy as moose
mode = sys.argv[2]   # 'write' (moosepy only) or 'read'
fname = sys.argv[3]
if mode in ('write', 'original'):
    moose.Neutral('/model')
    k = moose.CubeMesh('/model/kinetics'); k.volume = 2e-18
    g = moose.Neutral('/model/kinetics/grp')
    a = moose.Pool('/model/kinetics/a'); b = moose.Pool('/model/kinetics/b')
    c = moose.Pool('/model/kinetics/grp/c'); e = moose.Pool('/model/kinetics/e')
    buf = moose.BufPool('/model/kinetics/buf')
    a.concInit, b.concInit, c.concInit, e.concInit, buf.concInit = 1e-3, 0.2e-3, 0, 0.05e-3, 0.3e-3
    r = moose.Reac('/model/kinetics/r')
    for x in (a, a): moose.connect(r, 'sub', x, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    r.Kf, r.Kb = 2000.0, 0.5
    r2 = moose.Reac('/model/kinetics/grp/r2')
    moose.connect(r2, 'sub', b, 'reac'); moose.connect(r2, 'sub', buf, 'reac'); moose.connect(r2, 'prd', c, 'reac')
    r2.Kf, r2.Kb = 300.0, 0.1
    enz = moose.Enz('/model/kinetics/e/enz')
    cplx = moose.Pool('/model/kinetics/e/enz/enz_cplx')
    moose.connect(enz, 'cplx', cplx, 'reac'); moose.connect(enz, 'enz', e, 'reac')
    moose.connect(enz, 'sub', c, 'reac'); moose.connect(enz, 'prd', a, 'reac')
    enz.Km, enz.kcat, enz.k2 = 0.1e-3, 2.0, 8.0
    cplx.concInit = float(sys.argv[4]) if len(sys.argv) > 4 else 0.01e-3
    mm = moose.MMenz('/model/kinetics/b/mm')
    moose.connect(b, 'nOut', mm, 'enzDest'); moose.connect(mm, 'sub', a, 'reac'); moose.connect(mm, 'prd', c, 'reac')
    mm.Km, mm.kcat = 0.5e-3, 0.3
    moose.Neutral('/model/graphs')
    for n, p, port in (('a', a, 'getConc'), ('b', b, 'getConc'), ('c', c, 'getConc'), ('en', e, 'getN')):
        t = moose.Table2('/model/graphs/' + n); moose.connect(t, 'requestOut', p, port)
    moose.setClock(11, 0.01); moose.setClock(18, 0.5)
    if mode == 'write':
        moose.writeKkit('/model', fname)
        moose.delete('/model')
if mode == 'original':
    ks = moose.Ksolve('/model/kinetics/ksolve')
    st = moose.Stoich('/model/kinetics/stoich')
    st.compartment = moose.element('/model/kinetics'); st.ksolve = ks
    st.reacSystemPath = '/model/kinetics/##'
else:
    moose.loadModel(fname, '/model', 'gsl')
    ks = moose.element('/model/kinetics/ksolve')
ks.epsAbs = 1e-12; ks.epsRel = 1e-10
moose.reinit(); moose.start(20.0)
out = {t.path.replace('[0]', ''): list(t.vector) for t in moose.wildcardFind('/model/graphs/##[ISA=Table2]')}
out['params'] = json.dumps(sorted([x.path.replace('[0]', ''), x.className] + (
    [x.concInit] if x.isA['PoolBase'] else [x.Kf, x.Kb] if x.isA['Reac'] else [x.Km, x.kcat])
    for x in moose.wildcardFind('/model/kinetics/##[ISA=PoolBase],/model/kinetics/##[ISA=Reac],/model/kinetics/##[ISA=EnzBase]')))
print('JSON' + json.dumps(out))
'''


def _run(exe, *args):
    p = subprocess.run([exe, '-c', SCRIPT, *args], capture_output=True, text=True,
                       timeout=300)
    line = [x for x in p.stdout.splitlines() if x.startswith('JSON')]
    assert line, p.stderr[-2000:]
    return json.loads(line[0][4:])


def _same(a, b, rtol):
    assert sorted(a) == sorted(b)
    for k in b:
        if k == 'params':
            pa, pb = json.loads(a[k]), json.loads(b[k])
            assert [x[:2] for x in pa] == [y[:2] for y in pb]
            for x, y in zip(pa, pb):
                np.testing.assert_allclose(x[2:], y[2:], rtol=1e-9, err_msg=x[0])
            continue
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.shape == y.shape == (41,), k
        assert np.abs(x - y).max() <= rtol * np.abs(y).max(), k


@pytest.mark.parametrize('cplx0', ['0', '1e-5'])
def test_round_trip_same_trajectories(tmp_path, cplx0):
    """Original model (run in place) against the model written and read
    back (both moosepy; the Ksolve's tolerances set after loading are not
    used by the rk5 driver, as in MOOSE)."""
    f = str(tmp_path / 'm.g')
    written = _run(sys.executable, 'moosepy', 'write', f, cplx0)
    again = _run(sys.executable, 'moosepy', 'read', f)
    _same(again, written, 1e-9)
    original = _run(sys.executable, 'moosepy', 'original', f, cplx0)
    for k in original:
        if k != 'params':
            x, y = np.asarray(original[k]), np.asarray(written['/model/graphs/conc1/'
                                                               + k.rsplit('/', 1)[1]])
            # (as MOOSE 5.0, the rk5 driver keeps the tolerances of its build,
            # epsRel 1e-7: the epsRel set after loading is not used)
            assert np.abs(x - y).max() <= 1e-6 * np.abs(y).max(), k


def test_pymoose_reads_the_written_file(tmp_path):
    side = pymoose_python()
    if side is None:
        pytest.skip('pymoose side venv absent')
    f = str(tmp_path / 'm.g')
    mine = _run(sys.executable, 'moosepy', 'write', f, '0')
    p = subprocess.run([side, '-c', SCRIPT, 'moose', 'read', f], capture_output=True,
                       text=True, timeout=300)
    line = [x for x in p.stdout.splitlines() if x.startswith('JSON')]
    if not line:
        pytest.skip(f'pymoose did not run: {p.stderr[-300:]}')
    _same(mine, json.loads(line[0][4:]), 1e-6)


def test_refuses_what_kkit_cannot_hold(tmp_path):
    moose.Neutral('/model')
    moose.CubeMesh('/model/kinetics')
    moose.Function('/model/kinetics/f')
    with pytest.raises(MooseError, match=r'f(\[0\])? is a Function'):
        moose.writeKkit('/model', str(tmp_path / 'x.g'))
    moose.delete('/model/kinetics/f')
    moose.CubeMesh('/model/other')
    with pytest.raises(MooseError, match='2 chemical compartments'):
        moose.mooseWriteKkit('/model', str(tmp_path / 'x.g'))
