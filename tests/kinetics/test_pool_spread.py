"""Pools in a compartment of many voxels, as MOOSE has them: one entry when
made (whatever the mesh), spread over the voxels by the Stoich that takes
them (entry 0's concentration and fields in every voxel); and the Dsolve's
``nVec[pool]`` (per voxel).  Expected values from pymoose 5.0.0, run beside
moosepy on the same script."""

import numpy as np
import pytest

import moosepy as moose
from side_pymoose import run_both

_SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
m = moose.CylMesh('/c')
a = moose.Pool('/c/a'); a.concInit = 1e-3
out['n_new_in_100_voxels'] = a.numData
m.x1 = 5e-6; m.diffLength = 1e-6; m.r0 = m.r1 = 0.5e-6
out['n_after_mesh_change'] = a.numData
out['conc_after_mesh_change'] = a.concInit
a.diffConst = 1e-12
b = moose.Pool('/c/b'); b.concInit = 2e-3
z = moose.BufPool('/c/z'); z.concInit = 3e-3
r = moose.Reac('/c/r'); r.Kf = 0.3; r.Kb = 0.1
moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'prd', b, 'reac')
ks = moose.Ksolve('/c/ks'); ds = moose.Dsolve('/c/ds'); st = moose.Stoich('/c/st')
st.compartment = m; st.ksolve = ks; st.dsolve = ds
out['n_before_path'] = [a.numData, z.numData]
st.reacSystemPath = '/c/##'
out['n_after_path'] = [a.numData, b.numData, z.numData, r.numData]
out['a_concInit'] = list(a.vec.concInit)
out['z_concInit'] = list(z.vec.concInit)
out['a_diffConst'] = list(a.vec.diffConst)
q = moose.Pool('/c/q')
out['n_made_after_path'] = q.numData
moose.delete(q)
moose.reinit()
out['nvec'] = [list(ds.nVec[i]) for i in range(3)]
ds.nVec[0] = [1.0, 2.0, 3.0, 4.0, 5.0]
out['nvec_set'] = list(ds.nVec[0])
moose.start(0.5)
out['a_n'] = list(a.vec.n)
out['b_n'] = list(b.vec.n)
print('JSON' + json.dumps(out))
'''


def test_pools_spread_as_moose_and_dsolve_nvec():
    r = run_both(_SCRIPT)
    m, p = r['moose'], r['moosepy']
    assert set(m) == set(p)
    for k in ('n_new_in_100_voxels', 'n_after_mesh_change', 'n_before_path', 'n_after_path',
              'n_made_after_path'):
        assert np.array_equal(p[k], m[k]), (k, p[k], m[k])
    # the counts MOOSE shows: one entry until the Stoich takes the pool
    assert int(m['n_new_in_100_voxels']) == 1 and list(m['n_after_path']) == [5, 5, 5, 1]
    for k in ('conc_after_mesh_change', 'a_concInit', 'z_concInit', 'a_diffConst', 'nvec',
              'nvec_set'):
        assert np.allclose(p[k], m[k], rtol=1e-12, atol=0), (k, p[k], m[k])
    # after the set through the Dsolve and 0.5 s of diffusion and reaction
    # (default rk5 and backward Euler diffusion on both sides; 1e-5 apart
    # where moosepy's several-voxel Ksolve steps all voxels under one error
    # control, 1e-12 with MOOSE's per-voxel drivers)
    for k in ('a_n', 'b_n'):
        assert np.allclose(p[k], m[k], rtol=1e-4, atol=1e-9), (k, p[k], m[k])


def test_nvec_pool_index_out_of_range_is_an_error():
    """MOOSE prints a warning and returns []; moosepy names the field and
    the valid range."""
    moose.CylMesh('/c2').x1 = 3e-6
    m = moose.element('/c2')
    m.diffLength = 1e-6
    a = moose.Pool('/c2/a')
    a.diffConst = 1e-12
    ks, ds, st = moose.Ksolve('/c2/ks'), moose.Dsolve('/c2/ds'), moose.Stoich('/c2/st')
    st.compartment, st.ksolve, st.dsolve = m, ks, ds
    st.reacSystemPath = '/c2/##'
    moose.reinit()
    assert len(ds.nVec[0]) == 3
    with pytest.raises(moose.FieldError, match=r'nVec\[1\].*0\.\.0'):
        ds.nVec[1]
    with pytest.raises(moose.FieldError, match='one per voxel'):
        ds.nVec[0] = [1.0, 2.0]
