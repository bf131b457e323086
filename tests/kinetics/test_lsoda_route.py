"""Ksolve's lsoda calls scipy's ODEPACK extension directly (importing
scipy.integrate costs ~0.5 s of CPU per process); the result must be
that of the public scipy.integrate.odeint, bit for bit, and an lsoda run
must not import scipy.integrate."""

import subprocess
import sys

import numpy as np

import moosepy as moose
from moosepy.kinetics import ksolve


def _decay(y, t, k):
    return -k * y * y + np.array([0.0, 1.0, -2.0]) * y[0]


def _jac(y, t, k):
    J = np.diag(-2 * k * y)
    J[1, 0] += 1.0
    J[2, 0] += -2.0
    return J


def test_direct_odepack_equals_public_odeint():
    from scipy.integrate import odeint
    assert ksolve._odepack() is not None          # the direct route is taken here
    y0 = np.array([1.0, 0.5, 2.0])
    grid = np.linspace(0, 3, 31)
    k = np.array([0.7, 1.3, 0.2])
    sol, info = ksolve._odeint(_decay, y0, grid, (k,), _jac, -1, -1, 1e-9, 1e-12, 100000)
    ref, rinfo = odeint(_decay, y0, grid, args=(k,), Dfun=_jac, rtol=1e-9, atol=1e-12,
                        full_output=True, mxstep=100000)
    assert info['message'] == rinfo['message'] == 'Integration successful.'
    assert np.array_equal(sol, ref)
    assert np.array_equal(info['hu'], rinfo['hu'])
    # inputs untouched, and the public route still works afterwards
    assert np.array_equal(y0, [1.0, 0.5, 2.0]) and np.array_equal(grid, np.linspace(0, 3, 31))
    again = odeint(_decay, y0, grid, args=(k,), Dfun=_jac, rtol=1e-9, atol=1e-12,
                   full_output=True, mxstep=100000)
    assert again[1]['message'] == 'Integration successful.'
    assert np.array_equal(again[0], ref)
    # too few steps allowed: a stop, said in words
    sol, info = ksolve._odeint(_decay, y0, grid, (k,), _jac, -1, -1, 1e-9, 1e-12, 2)
    assert info['message'].startswith('LSODA stopped: too many steps')


def test_an_lsoda_run_does_not_import_scipy_integrate():
    code = '''
import sys
import moosepy as moose
mesh = moose.CubeMesh('/m'); mesh.volume = 1e-18
a = moose.Pool('/m/a'); a.concInit = 1.0
b = moose.Pool('/m/b')
r = moose.Reac('/m/r'); r.Kf, r.Kb = 0.1, 0.05
moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'prd', b, 'reac')
s = moose.Stoich('/m/stoich'); k = moose.Ksolve('/m/ksolve'); k.method = 'lsoda'
s.compartment, s.ksolve, s.reacSystemPath = mesh, k, '/m/##'
moose.reinit(); moose.start(100)
print(round(b.conc, 6), 'scipy.integrate' in sys.modules)
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    conc, imported = out.stdout.split()
    assert abs(float(conc) - 2 / 3) < 1e-4          # Kf / (Kf + Kb)
    assert imported == 'False'
