"""Accuracy against NEURON 9.0.2 reference traces (../shared/reference/neuron,
its README gives every model's parameters in SI).

Model ports follow ../shared/moose-api/ELECTRICAL.md: HH gates tabulated
from the exact rates (3000 divisions over -0.1..0.05 V, linear
interpolation); the stimulus's firstDelay is NEURON's delay + dt (MOOSE
evaluates a PulseGen at the end of each step)."""

from pathlib import Path

import numpy as np
import pytest

import moosepy as moose

REF = Path(__file__).resolve().parents[3] / 'shared' / 'reference' / 'neuron'
if not REF.is_dir():
    REF = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'reference' / 'neuron'
pytestmark = pytest.mark.skipif(not REF.is_dir(), reason='../shared/reference/neuron absent')


def hh_rates(v):
    """NEURON hh.mod rates (exact, 6.3 degC) at v [V] -> [(alpha, beta)] in 1/s
    for m, h, n."""
    vm = np.asarray(v) * 1e3
    with np.errstate(all='ignore'):
        am = np.where(np.abs(vm + 40) < 1e-6, 1.0, 0.1 * (vm + 40) / (1 - np.exp(-(vm + 40) / 10)))
        an = np.where(np.abs(vm + 55) < 1e-6, 0.1,
                      0.01 * (vm + 55) / (1 - np.exp(-(vm + 55) / 10)))
    bm = 4 * np.exp(-(vm + 65) / 18)
    ah = 0.07 * np.exp(-(vm + 65) / 20)
    bh = 1 / (1 + np.exp(-(vm + 35) / 10))
    bn = 0.125 * np.exp(-(vm + 65) / 80)
    return [(am * 1e3, bm * 1e3), (ah * 1e3, bh * 1e3), (an * 1e3, bn * 1e3)]


def hh_prototypes(lib='/library'):
    """Na and K prototypes in *lib* with tables from the exact rates."""
    moose.Neutral(lib)
    v = np.linspace(-0.1, 0.05, 3001)
    (am, bm), (ah, bh), (an, bn) = hh_rates(v)
    na = moose.HHChannel(lib + '/Na')
    na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
    k = moose.HHChannel(lib + '/K')
    k.Xpower, k.Ek = 4, -0.077
    for path, (a, b) in ((lib + '/Na/gateX', (am, bm)), (lib + '/Na/gateY', (ah, bh)),
                         (lib + '/K/gateX', (an, bn))):
        g = moose.element(path)
        g.min, g.max = -0.1, 0.05
        g.tableA, g.tableB = a, a + b
        g.useInterpolation = True
    return na, k


def add_hh(comp, area, lib='/library'):
    """Copies of the prototypes on *comp*, squid densities over *area* [m^2]."""
    na = moose.element(moose.copy(lib + '/Na', comp, 'Na'))
    k = moose.element(moose.copy(lib + '/K', comp, 'K'))
    na.Gbar = 1200.0 * area
    k.Gbar = 360.0 * area
    moose.connect(na, 'channel', comp, 'channel')
    moose.connect(k, 'channel', comp, 'channel')


def crossings(v, dt, thr=0.0):
    v = np.asarray(v)
    i = np.nonzero((v[:-1] < thr) & (v[1:] >= thr))[0]
    return (i + (thr - v[i]) / (v[i + 1] - v[i])) * dt


def run_squid(method, dt=25e-6):
    hh_prototypes()
    moose.Neutral('/model')
    c = moose.Compartment('/model/soma')
    area = 1e-9
    c.Cm, c.Rm, c.Em, c.initVm = 0.01 * area, 1 / (3.0 * area), -0.0543, -0.065
    add_hh(c, area)
    pg = moose.PulseGen('/model/stim')
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 0.010 + dt, 0.080, 1e-10, 1e9
    moose.connect(pg, 'output', c, 'injectMsg')
    tab = moose.Table('/model/vm')
    moose.connect(tab, 'requestOut', c, 'getVm')
    hs = moose.HSolve('/model/hsolve')
    hs.dt, hs.target, hs.method = dt, '/model/soma', method
    for t in range(10):
        moose.setClock(t, dt)
    moose.reinit()
    moose.start(0.1)
    return crossings(tab.vector, dt) * 1e3


def test_squid_crank_nicolson_within_20us_of_cvode():
    truth = np.load(REF / 'hh_squid_notab_cvode.npz')['spike_times_ms']
    sp = run_squid('cn')
    assert len(sp) == len(truth) == 6
    assert np.max(np.abs(sp - truth)) < 0.02


def test_squid_backward_euler_within_04ms_of_cvode_and_close_to_neuron_be():
    truth = np.load(REF / 'hh_squid_notab_cvode.npz')['spike_times_ms']
    nrn_be = np.load(REF / 'hh_squid_notab_dt0.025.npz')['spike_times_ms']
    sp = run_squid('be')
    assert len(sp) == 6
    assert np.max(np.abs(sp - truth)) < 0.4
    # same scheme as NEURON's default: same drift, within 0.02 ms
    assert np.max(np.abs(sp - nrn_be)) < 0.02
