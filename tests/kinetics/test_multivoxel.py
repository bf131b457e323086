"""Multi-voxel readiness: a CubeMesh of several voxels gives pools one entry
per voxel, the Ksolve state is (voxels, pools), and voxels without
diffusion evolve independently."""

import numpy as np
import pytest

import moosepy as moose


@pytest.mark.parametrize('method', ['rk5', 'lsoda'])
def test_three_voxels_decay_independently(method):
    mesh = moose.CubeMesh('/m')
    mesh.x1, mesh.y1, mesh.z1 = 3e-6, 1e-6, 1e-6
    mesh.nx = 3
    a = moose.Pool('/m/a')
    assert a.numData == 3
    np.testing.assert_allclose(mesh.voxelVolume, [1e-18] * 3, rtol=1e-12)
    moose.vec('/m/a').concInit = np.array([1.0, 2.0, 3.0])
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', a, 'reac')
    r.Kf, r.Kb = 0.2, 0.0
    k = moose.Ksolve('/m/k')
    k.method = method
    s = moose.Stoich('/m/s')
    s.compartment, s.ksolve, s.reacSystemPath = mesh, k, '/m/##'
    moose.reinit()
    assert k.numAllVoxels == 3
    assert k.nVec[1][0] == pytest.approx(2.0 * moose.NA * 1e-18, rel=1e-12)
    moose.start(5)
    got = moose.vec('/m/a').conc
    np.testing.assert_allclose(got, np.array([1.0, 2.0, 3.0]) * np.exp(-1.0), rtol=1e-6)
