"""The Dsolve's health checks (issue 15, items 3 and 4): pools that only
diffuse (the chemistry has no reaction, so no chemical step checks them)
and Crank-Nicolson undershoot.

Oracles: the Crank-Nicolson and backward Euler steps of the same closed
cylinder written out as dense matrices with numpy (independent of the
Dsolve's sparse LU kernel); the positivity bound of Crank-Nicolson
(dt x rate out <= 2, i.e. D dt / dx^2 <= 1 on a uniform cylinder)."""

import re

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import SolverError

N = 100            # voxels
DX = 1e-6          # m
DT = 0.01          # s, Dsolve and chemistry ticks


@pytest.fixture(autouse=True)
def _clean():
    if moose.exists('/cyl'):
        moose.delete('/cyl')
    yield
    if moose.exists('/cyl'):
        moose.delete('/cyl')


def _cyl(r, method, shape, allow_negative=False):
    """A closed cylinder of N voxels, one pool with D = r dx^2 / dt, no
    reaction; every tick at DT so the state is checked after each step."""
    m = moose.CylMesh('/cyl')
    m.x1 = N * DX
    m.diffLength = DX
    m.r0 = m.r1 = 1e-6
    a = moose.Pool('/cyl/a')
    a.diffConst = r * DX * DX / DT
    st = moose.Stoich('/cyl/st')
    ks = moose.Ksolve('/cyl/ks')
    ds = moose.Dsolve('/cyl/ds')
    ds.method = method
    st.compartment = m
    st.ksolve = ks
    st.dsolve = ds
    if allow_negative:
        st.allowNegative = True
    st.reacSystemPath = '/cyl/##'
    for t in range(20):
        moose.setClock(t, DT)
    c0 = np.zeros(N)
    if shape == 'pulse':
        c0[N // 2] = 1e-3          # 1 uM in one voxel
    else:
        c0[:N // 2] = 1e-3         # a sharp step: half the cylinder full
    moose.vec('/cyl/a').concInit = c0
    moose.reinit()
    return moose.vec('/cyl/a')


def _dense_steps(n0, r, method, nsteps):
    """The states after each step of the scheme on the uniform closed
    cylinder (Neumann ends), from dense matrices."""
    L = -2.0 * np.eye(N) + np.eye(N, k=1) + np.eye(N, k=-1)
    L[0, 0] = L[-1, -1] = -1.0
    if method == 'cn':
        step = np.linalg.solve(np.eye(N) - 0.5 * r * L, np.eye(N) + 0.5 * r * L)
    else:
        step = np.linalg.inv(np.eye(N) - r * L)
    out, x = [], np.array(n0, float)
    for _ in range(nsteps):
        x = step @ x
        out.append(x)
    return np.array(out)


def test_cn_pulse_beyond_the_positivity_bound_names_dsolve_pool_voxel_time():
    """D dt / dx^2 = 2: dt x rate out = 4 > 2.  The first step takes the
    pulse's own voxel below zero (the explicit half gives 1 - 2r = -3)."""
    v = _cyl(2.0, 'cn', 'pulse')
    n0 = np.array(v.n)
    ref = _dense_steps(n0, 2.0, 'cn', 1)[0]
    assert ref.min() < -0.1 * n0.max()           # the scheme does undershoot
    k = int(np.argmin(ref))
    with pytest.raises(SolverError) as e:
        moose.start(0.1)
    msg = str(e.value)
    assert re.search(r'/cyl/ds\S* \(Dsolve\): pool /cyl/a\S* in voxel (\d+) was driven to '
                     r'n = (\S+) molecules', msg), msg
    voxel, n = re.search(r'in voxel (\d+) was driven to n = (\S+) ', msg).groups()
    assert int(voxel) == k
    assert float(n) == pytest.approx(ref[k], rel=1e-5)
    assert 'between t = 0 and 0.01 s' in msg
    assert 'Crank-Nicolson' in msg and 'it is 4 ' in msg and "method = 'be'" in msg


def test_cn_pulse_with_allow_negative_keeps_the_schemes_values():
    v = _cyl(2.0, 'cn', 'pulse', allow_negative=True)
    n0 = np.array(v.n)
    ref = _dense_steps(n0, 2.0, 'cn', 10)
    moose.start(DT)
    got = np.array(v.n)
    assert got.min() < -0.1 * n0.max()            # kept, not clipped
    assert np.allclose(got, ref[0], rtol=0, atol=1e-9 * n0.max())
    moose.start(9 * DT)
    assert np.allclose(np.array(v.n), ref[-1], rtol=0, atol=1e-9 * n0.max())


@pytest.mark.parametrize('r', [0.5, 1.0])
def test_cn_pulse_within_the_bound_runs(r):
    """dt x rate out <= 2: Crank-Nicolson keeps counts >= 0 (the diagonal
    of its explicit half is 1 - r >= 0 and its implicit half has a
    non-negative inverse)."""
    v = _cyl(r, 'cn', 'pulse')
    n0 = np.array(v.n)
    ref = _dense_steps(n0, r, 'cn', 50)
    assert ref.min() >= -1e-12 * n0.max()
    moose.start(50 * DT)
    assert np.allclose(np.array(v.n), ref[-1], rtol=0, atol=1e-9 * n0.max())


@pytest.mark.parametrize('r', [0.5, 2.0, 50.0])
def test_cn_sharp_step_does_not_trip(r):
    """A sharp step (half the cylinder full) under Crank-Nicolson: the dense
    oracle's every step stays >= 0 within round-off, at any D dt / dx^2
    here, and the run raises nothing."""
    v = _cyl(r, 'cn', 'step')
    n0 = np.array(v.n)
    ref = _dense_steps(n0, r, 'cn', 100)
    assert ref.min() >= -1e-9 * n0.max()
    moose.start(100 * DT)
    got = np.array(v.n)
    assert got.min() >= 0.0
    assert np.allclose(got, ref[-1], rtol=0, atol=1e-6 * n0.max())
    assert got.sum() == pytest.approx(n0.sum(), rel=1e-12)


@pytest.mark.parametrize('r', [2.0, 50.0])
def test_backward_euler_pulse_never_undershoots(r):
    v = _cyl(r, 'be', 'pulse')
    n0 = np.array(v.n)
    ref = _dense_steps(n0, r, 'be', 20)
    moose.start(20 * DT)
    got = np.array(v.n)
    assert got.min() >= 0.0
    assert np.allclose(got, ref[-1], rtol=0, atol=1e-9 * n0.max())


def test_nan_after_diffusion_names_dsolve_pool_voxel_time():
    """A NaN in the state of a pool that only diffuses (put there as a
    broken chemical step would leave it; no setter takes NaN) is named by
    the Dsolve's check at the next tick, not carried on silently."""
    v = _cyl(0.5, 'be', 'step')
    moose.start(DT)
    comp = moose.element('/cyl/ks')._el.data['compiled']
    comp.state[7, 0] = np.nan
    with pytest.raises(SolverError, match=r'/cyl/ds\S* \(Dsolve\): pool /cyl/a\S* in voxel '
                       r'\d+ became nan molecules by diffusion between t = 0.01 and 0.02 s'):
        moose.start(DT)
    assert np.isnan(np.array(v.n)).any()       # the broken state is what users read


@pytest.mark.parametrize('D', [1e150, 1e5])
def test_absurd_diffconst_is_a_solver_error_not_a_superlu_runtime_error(D):
    """D = 1e5 m^2/s on 1 µm voxels: dt x rate = 2e15, the implicit step is
    singular in double precision (SuperLU raised a bare RuntimeError)."""
    m = moose.CylMesh('/cyl')
    m.x1 = 10 * DX
    m.diffLength = DX
    m.r0 = m.r1 = 1e-6
    a = moose.Pool('/cyl/a')
    a.diffConst = D
    st = moose.Stoich('/cyl/st')
    st.compartment = m
    st.ksolve = moose.Ksolve('/cyl/ks')
    st.dsolve = moose.Dsolve('/cyl/ds')
    st.reacSystemPath = '/cyl/##'
    with pytest.raises(SolverError, match=r'/cyl/ds\S* \(Dsolve\): pool /cyl/a\S* \(diffConst '
                       r'.* beyond 1e\+12'):
        moose.reinit()
        moose.start(0.1)
