"""Exact spatial SSA (Gsolve.method = 'nsm', next-subvolume method) and the
operator-split mode (MOOSE's: 'ssa' with a Dsolve) on a birth-death process
with diffusion: at steady state the counts are independent Poisson (product
form), so the per-voxel variance equals the mean.  Tolerances from the
sample sizes (200 voxels x 5 snapshots 2 s apart)."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import FieldError


def _model(method, nvox=200, D=1e-12, n0=100.0):
    moose.seed(11)
    m = moose.CylMesh('/cyl')
    m.x1 = nvox * 1e-6
    m.diffLength = 1e-6
    m.r0 = m.r1 = 0.5e-6
    src = moose.BufPool('/cyl/src')
    a = moose.Pool('/cyl/A')
    a.diffConst = D
    make = moose.Reac('/cyl/make')         # src -> src + A, 100 /s per voxel
    make.numKf, make.numKb = 100.0, 0.0
    moose.connect(make, 'sub', src, 'reac')
    moose.connect(make, 'prd', src, 'reac')
    moose.connect(make, 'prd', a, 'reac')
    decay = moose.Reac('/cyl/decay')       # A -> nothing, 1 /s
    decay.numKf, decay.numKb = 1.0, 0.0
    moose.connect(decay, 'sub', a, 'reac')
    st = moose.Stoich('/cyl/st')
    gs = moose.Gsolve('/cyl/gs')
    gs.method = method
    st.compartment = m
    st.ksolve = gs
    st.dsolve = moose.Dsolve('/cyl/ds')
    st.reacSystemPath = '/cyl/##'
    moose.vec('/cyl/A').nInit = np.full(nvox, n0)
    moose.vec('/cyl/src').nInit = np.ones(nvox)
    return moose.vec('/cyl/A')


@pytest.mark.parametrize('method', ['nsm', 'ssa'])
def test_birth_death_with_hopping_is_poisson(method):
    v = _model(method)
    moose.reinit()
    moose.start(5.0)
    ratios, means = [], []
    for _ in range(5):
        moose.start(2.0)
        s = np.array(v.n)
        assert np.all(s == np.round(s)) and s.min() >= 0
        ratios.append(s.var(ddof=1) / s.mean())
        means.append(s.mean())
    # per snapshot: SE of var/mean ~ sqrt(2/199) = 0.10; of the mean ~ 0.7
    assert abs(np.mean(ratios) - 1.0) < 0.2
    assert abs(np.mean(means) - 100.0) < 2.0


def test_nsm_mean_relaxes_as_the_analytic_birth_death():
    v = _model('nsm', n0=0.0)
    moose.reinit()
    moose.start(1.0)
    m = np.array(v.n).mean()
    # E[A](t) = 100 (1 - e^-t); SE over 200 voxels ~ sqrt(63/200) = 0.56
    assert abs(m - 100 * (1 - np.exp(-1.0))) < 3.0


def test_nsm_hops_are_an_exact_random_walk():
    """No reactions: molecules start in the middle voxel and hop; the
    spread's variance is 2 D t (the lattice walk), total exact."""
    moose.seed(3)
    m = moose.CylMesh('/cyl')
    m.x1 = 200e-6
    m.diffLength = 1e-6
    m.r0 = m.r1 = 0.5e-6
    a = moose.Pool('/cyl/A')
    a.diffConst = 1e-12
    st = moose.Stoich('/cyl/st')
    gs = moose.Gsolve('/cyl/gs')
    gs.method = 'nsm'
    st.compartment = m
    st.ksolve = gs
    st.dsolve = moose.Dsolve('/cyl/ds')
    st.reacSystemPath = '/cyl/##'
    n0 = np.zeros(200)
    n0[100] = 20000
    moose.vec('/cyl/A').nInit = n0
    moose.reinit()
    moose.start(20.0)
    n = np.array(moose.vec('/cyl/A').n)
    assert n.sum() == 20000
    x = np.arange(200) * 1e-6
    mu = (n * x).sum() / n.sum()
    var = (n * (x - mu) ** 2).sum() / n.sum()
    expect = 2 * 1e-12 * 20.0
    assert abs(var - expect) < 5 * expect * np.sqrt(2.0 / 20000)


def test_nsm_refuses_functions_and_unknown_methods():
    with pytest.raises(FieldError, match="'nsm'"):
        moose.Gsolve('/g').method = 'bogus'
