"""Rates of 1e23 /s under the rk5 (GSL) Ksolve: the driver's step size
collapses (at t = 0 no step is too small to advance t, so the error test
and the step cut alternate for ever); it raises a SolverError naming the
solver and the interval within a bounded time (issue 15 item 3; found by
the fuzz suite in cspace mutants)."""

import time

import pytest

import moosepy as moose
from moosepy.core.errors import SolverError
from moosepy.kinetics import ksolve


def _model(nvox):
    m = moose.CubeMesh('/m')
    if nvox > 1:
        m.x1, m.y1, m.z1, m.nx = nvox * 1e-6, 1e-6, 1e-6, nvox
    else:
        m.volume = 1e-18
    a = moose.Pool('/m/a')
    b = moose.Pool('/m/b')
    a.concInit = 1.0
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    r.Kf = r.Kb = 1e23
    s = moose.Stoich('/m/s')
    k = moose.Ksolve('/m/k')
    k.method = 'rk5'
    s.compartment = m
    s.ksolve = k
    s.reacSystemPath = '/m/##'


@pytest.mark.parametrize('nvox', [1, 3])
def test_collapsed_step_raises_in_bounded_time(nvox, monkeypatch):
    monkeypatch.setattr(ksolve, 'GSL_ALL_VOXELS', True)     # the per-voxel drivers
    _model(nvox)
    moose.reinit()
    t0 = time.monotonic()
    with pytest.raises(SolverError, match=r"/m/k: rk5 took more than 1e\+06 steps within one "
                                          r"tick between t = 0 and 1 s"):
        moose.start(1.0)
    # 1e6 steps of a 2-pool model (plus a first compile): seconds, not for ever
    assert time.monotonic() - t0 < 120
