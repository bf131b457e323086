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

# ../shared relative to the repository root
REF = Path(__file__).resolve().parents[3] / 'shared' / 'reference' / 'neuron'
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


def test_passive_cable_steady_state_matches_cosh_solution():
    ref = np.load(REF / 'passive_cable_nseg100.npz')
    N, L, d, dt = 100, 1e-3, 1e-6, 25e-6
    dx = L / N
    area = np.pi * d * dx
    moose.Neutral('/cable')
    comps = []
    for i in range(N):
        c = moose.Compartment(f'/cable/c{i}')
        c.Rm, c.Cm, c.Ra = 1.0 / area, 0.01 * area, 1.0 * dx / (np.pi * d * d / 4)
        c.Em = c.initVm = -0.065
        if comps:
            moose.connect(comps[-1], 'axial', c, 'raxial')
        comps.append(c)
    comps[0].inject = 1e-11       # NEURON's x=0 node feeds the first centre
    hs = moose.HSolve('/cable/hsolve')
    hs.dt, hs.target = dt, '/cable/c0'
    for t in range(10):
        moose.setClock(t, dt)
    moose.reinit()
    moose.start(0.2)
    v = np.array([c.Vm for c in comps])
    x = (np.arange(N) + 0.5) * dx
    lam = np.sqrt(1.0 * d / (4 * 1.0))
    rinf = 4 * 1.0 / (np.pi * d * d) * lam
    va = -0.065 + 1e-11 * rinf * np.cosh((L - x) / lam) / np.sinh(L / lam)
    v0 = 1e-11 * rinf / np.tanh(L / lam)
    assert np.max(np.abs(v - va)) / v0 < 5e-5
    # and the same network as NEURON's (its centre nodes)
    assert np.max(np.abs(v - ref['v_V'][1:-1])) < 1e-9


def _axon(N, method, dt=25e-6):
    L, d = 1e-2, 1e-6
    dx = L / N
    area = np.pi * d * dx
    hh_prototypes()
    moose.Neutral('/axon')
    comps = []
    for i in range(N):
        c = moose.Compartment(f'/axon/c{i}')
        c.Rm, c.Cm, c.Ra = 1 / (3.0 * area), 0.01 * area, 0.354 * dx / (np.pi * d * d / 4)
        c.Em, c.initVm = -0.0543, -0.065
        add_hh(c, area)
        if comps:
            moose.connect(comps[-1], 'axial', c, 'raxial')
        comps.append(c)
    pg = moose.PulseGen('/axon/stim')
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 1e-3 + dt, 5e-4, 2e-10, 1e9
    moose.connect(pg, 'output', comps[0], 'injectMsg')
    idx = [int(0.3 * N) - 1, int(0.3 * N), int(0.7 * N) - 1, int(0.7 * N)]
    tabs = []
    for i in idx:
        t = moose.Table(f'/axon/v{i}')
        moose.connect(t, 'requestOut', comps[i], 'getVm')
        tabs.append(t)
    hs = moose.HSolve('/axon/hsolve')
    hs.dt, hs.target, hs.method = dt, '/axon/c0', method
    for t in range(10):
        moose.setClock(t, dt)
    moose.reinit()
    moose.start(0.05)
    ts = [crossings(t.vector, dt)[0] for t in tabs]
    # x = 0.3 L and 0.7 L lie between two centres: mean of their times
    t30, t70 = 0.5 * (ts[0] + ts[1]), 0.5 * (ts[2] + ts[3])
    return 0.4 * L / (t70 - t30)


def test_hh_axon_1000_conduction_velocity():
    ref = np.load(REF / 'hh_cable_notab_nseg1000.npz')
    s = ref['spike_t_ms']
    cv_nrn_be = 0.4 * 10.0 / (s[7] - s[3])        # mm/ms = m/s
    cv = _axon(1000, 'cn')
    assert abs(cv - 0.564) / 0.564 < 0.005
    # backward Euler, NEURON's scheme of the reference run (it gives 0.5586
    # m/s there): the same velocity
    from moosepy.core.shell import reset_tree
    reset_tree()
    assert abs(_axon(1000, 'be') - cv_nrn_be) / cv_nrn_be < 0.005


def _branched_from_table(method, dt=25e-6):
    """NEURON's network of the granule cell from its segment table, mapped
    exactly (ELECTRICAL.md): every segment centre is a compartment with a
    negligible Ra, and every axial resistance seg.ri() / ri1 a 'resistor'
    compartment (Ra = ri, Cm 4e-17 F, Rm 1e24 ohm); a section's x=1 node
    is the distal star of its ri1 resistor."""
    r = np.load(REF / 'branched_notab_seglen10.npz')
    hh_prototypes()
    moose.Neutral('/cell')
    names = list(r['sec_name'])
    par = list(r['sec_parent'])
    px = r['sec_parent_x']
    seg_sec, seg_x = r['seg_sec'], r['seg_x']
    area = r['seg_area_um2'] * 1e-12
    ri = r['seg_ri_MOhm'] * 1e6
    ri1 = r['sec_ri1_MOhm'] * 1e6
    segs = {s: sorted(np.nonzero(seg_sec == s)[0], key=lambda k: seg_x[k])
            for s in range(len(names))}
    cent, end = {}, {}

    def resistor(name, ra, parent):
        c = moose.Compartment('/cell/' + name)
        c.Ra, c.Cm, c.Rm, c.Em, c.initVm = ra, 4e-17, 1e24, -0.065, -0.065
        moose.connect(parent, 'axial', c, 'raxial')
        return c

    for k in range(len(seg_sec)):
        c = moose.Compartment(f'/cell/seg{k}')
        a = area[k]
        c.Cm, c.Ra, c.initVm = 0.01 * a, 1e-2, -0.065
        if seg_sec[k] == 0:       # soma: pas + hh leak as one Thevenin leak
            c.Rm, c.Em = 1 / (3.5 * a), (0.5 * -0.065 + 3.0 * -0.0543) / 3.5
            add_hh(c, a)
        else:
            c.Rm, c.Em = 1 / (0.5 * a), -0.065
        cent[k] = c
    queue = [names.index(n) for n, p in zip(names, par) if p == '']
    while queue:
        s = queue.pop(0)
        for j, k in enumerate(segs[s]):
            if j == 0:
                if par[s] == '':
                    continue
                p = names.index(par[s])
                if px[s] == 1.0:
                    if p not in end:
                        end[p] = resistor(f'end{p}', ri1[p], cent[segs[p][-1]])
                    pnode = end[p]
                else:
                    pnode = cent[min(segs[p], key=lambda q: abs(seg_x[q] - px[s]))]
            else:
                pnode = cent[segs[s][j - 1]]
            moose.connect(resistor(f'ri{k}', ri[k], pnode), 'axial', cent[k], 'raxial')
        queue += [c for c in range(len(names)) if par[c] == names[s]]
    soma = cent[min(segs[0], key=lambda q: abs(seg_x[q] - 0.5))]
    pg = moose.PulseGen('/cell/stim')
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 0.010 + dt, 0.080, 3e-10, 1e9
    moose.connect(pg, 'output', soma, 'injectMsg')
    tab = moose.Table('/cell/vsoma')
    moose.connect(tab, 'requestOut', soma, 'getVm')
    hs = moose.HSolve('/cell/hsolve')
    hs.dt, hs.target, hs.method = dt, soma.path, method
    for t in range(10):
        moose.setClock(t, dt)
    moose.reinit()
    moose.start(0.1)
    return crossings(tab.vector, dt) * 1e3, r['spike_times_ms']


def test_branched_granule_cell_from_segment_table():
    sp, nrn = _branched_from_table('be')      # NEURON's run: BE, dt 25 us
    assert len(sp) == len(nrn)
    assert abs(sp[0] - nrn[0]) < 0.05
