"""Multi-voxel readiness: a CubeMesh of several voxels gives pools one entry
per voxel once a Stoich takes them (as MOOSE), the Ksolve state is (voxels, pools), and voxels without
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
    assert a.numData == 1          # as MOOSE: one entry until a Stoich takes it
    np.testing.assert_allclose(mesh.voxelVolume, [1e-18] * 3, rtol=1e-12)
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', a, 'reac')
    r.Kf, r.Kb = 0.2, 0.0
    k = moose.Ksolve('/m/k')
    k.method = method
    s = moose.Stoich('/m/s')
    s.compartment, s.ksolve, s.reacSystemPath = mesh, k, '/m/##'
    assert a.numData == 3
    moose.vec('/m/a').concInit = np.array([1.0, 2.0, 3.0])
    moose.reinit()
    assert k.numAllVoxels == 3
    assert k.nVec[1][0] == pytest.approx(2.0 * moose.NA * 1e-18, rel=1e-12)
    moose.start(5)
    got = moose.vec('/m/a').conc
    np.testing.assert_allclose(got, np.array([1.0, 2.0, 3.0]) * np.exp(-1.0), rtol=1e-6)


def _fd_jacobian(f, y, h_rel=1e-3):
    """Central differences: exact up to round-off for rates that are at most
    quadratic in each variable (mass action of order <= 2)."""
    J = np.empty((len(y), len(y)))
    for c in range(len(y)):
        h = h_rel * max(abs(y[c]), 1.0)
        yp, ym = y.copy(), y.copy()
        yp[c] += h
        ym[c] -= h
        J[:, c] = (f(yp) - f(ym)) / (2 * h)
    return J


def test_analytic_jacobian_matches_finite_differences_dense_and_banded():
    """The lsoda Jacobian (mass action, MMenz, explicit Enz) against central
    finite differences of the right-hand side, in dense and band storage."""
    import sys, os
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))
    from benchmarks.kin_models import build_kin_small
    from moosepy.kinetics import kernels
    m = build_kin_small(moose)
    mesh = m['mesh']
    e = moose.Enz(mesh.path + '/A/enz')
    cplx = moose.Pool(e.path + '/cplx')
    moose.connect(e, 'enz', m['pools']['A'], 'reac')
    moose.connect(e, 'sub', m['pools']['B'], 'reac')
    moose.connect(e, 'prd', m['pools']['P'], 'reac')
    moose.connect(e, 'cplx', cplx, 'reac')
    moose.reinit()
    comp = m['ksolve']._el.data['compiled']
    y = comp.state.reshape(-1) * 1.3 + 1000.0
    J = kernels.jac_odeint(y, 0.0, comp.I, comp.F)
    Jfd = _fd_jacobian(lambda v: kernels.rhs_odeint(v, 0.0, comp.I, comp.F), y)
    np.testing.assert_allclose(J, Jfd, rtol=1e-5, atol=1e-7)
    band = kernels.jac_banded_odeint(y, 0.0, comp.I, comp.F)
    n = comp.npools
    for r in range(n):
        for c in range(n):
            assert band[n - 1 + r - c, c] == pytest.approx(J[r, c], rel=1e-12, abs=1e-300)
