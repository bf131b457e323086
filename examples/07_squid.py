"""07 - The Hodgkin-Huxley squid axon: current clamp and voltage clamp.

One compartment of squid membrane (area 1000 um^2 = 1e-9 m^2, cm 1 uF/cm^2,
gNa 120, gK 36, gleak 0.3 mS/cm^2, ENa +50, EK -77, Eleak -54.3 mV, 6.3 degC)
with Na and K HHChannels whose gates are filled by ``setupAlpha`` from the
HH 1952 rate functions (the generic form (A + B V)/(C + exp((V + D)/F)),
V in volts, rates in 1/s).

* Current clamp (HSolve, Crank-Nicolson, dt 25 us): a PulseGen injects
  0.1 nA (10 uA/cm^2) from 10 to 90 ms: the axon fires repetitively,
  6 spikes (NEURON's converged answer: 11.90, 26.81, ... 85.31 ms).
* Voltage clamp (message passing, exponential Euler, dt 20 us): a VClamp
  steps the membrane from -65 mV to 0 mV at 2 ms.  The Na current is a
  transient inward current (it activates, then inactivates); the K current
  rises with a delay to its steady state gK n_inf(0)^4 (0 - EK), checked
  here against the rate functions.

Run it with ``python 07_squid.py``; it writes ``07_squid.png``.
"""

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

AREA = 1e-9                       # m^2
GNA, GK, GL = 1200.0 * AREA, 360.0 * AREA, 3.0 * AREA     # S
ENA, EK, EL = 0.050, -0.077, -0.0543                       # V

# (A, B, C, D, F) of alpha and beta, for m, h, n
M = [-4e3, -1e5, -1.0, 0.04, -0.01], [4e3, 0.0, 0.0, 0.065, 0.018]
H = [70.0, 0.0, 0.0, 0.065, 0.02], [1e3, 0.0, 1.0, 0.035, -0.01]
N = [-550.0, -1e4, -1.0, 0.055, -0.01], [125.0, 0.0, 0.0, 0.065, 0.08]
GRID = [3000, -0.1, 0.05]


def squid(path):
    c = moose.Compartment(path)
    c.Cm, c.Rm, c.Em, c.initVm = 0.01 * AREA, 1 / GL, EL, -0.065
    na = moose.HHChannel(path + '/Na')
    na.Xpower, na.Ypower, na.Gbar, na.Ek = 3, 1, GNA, ENA
    k = moose.HHChannel(path + '/K')
    k.Xpower, k.Gbar, k.Ek = 4, GK, EK
    for gate, (a, b) in ((na.gateX[0], M), (na.gateY[0], H), (k.gateX[0], N)):
        gate.setupAlpha(a + b + GRID)
        gate.useInterpolation = True
    moose.connect(na, 'channel', c, 'channel')
    moose.connect(k, 'channel', c, 'channel')
    return c, na, k


def record(path, obj, field):
    t = moose.Table(path)
    moose.connect(t, 'requestOut', obj, 'get' + field)
    return t


def current_clamp(dt=25e-6):
    moose.Neutral('/cc')
    c, na, k = squid('/cc/axon')
    pg = moose.PulseGen('/cc/stim')
    # MOOSE evaluates a PulseGen at the end of each step: delay + dt gives
    # NEURON's IClamp timing
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 0.010 + dt, 0.080, 1e-10, 1e9
    moose.connect(pg, 'output', c, 'injectMsg')
    vm = record('/cc/vm', c, 'Vm')
    hs = moose.HSolve('/cc/hsolve')
    hs.dt, hs.target = dt, c.path
    for tick in range(10):
        moose.setClock(tick, dt)
    moose.reinit()
    moose.start(0.1)
    v = vm.vector
    i = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    spikes = (i + (0 - v[i]) / (v[i + 1] - v[i])) * dt
    return np.arange(len(v)) * dt, v, spikes


def voltage_clamp(dt=2e-5):
    moose.Neutral('/vc')
    c, na, k = squid('/vc/axon')
    clamp = moose.VClamp('/vc/clamp')
    moose.connect(clamp, 'currentOut', c, 'injectMsg')
    moose.connect(c, 'VmOut', clamp, 'sensedIn')
    step = moose.PulseGen('/vc/command')
    step.baseLevel, step.firstLevel = -0.065, 0.0
    step.firstDelay, step.firstWidth, step.secondDelay = 0.002, 1.0, 1e9
    moose.connect(step, 'output', clamp, 'commandIn')
    tabs = [record('/vc/vm', c, 'Vm'), record('/vc/ina', na, 'Ik'), record('/vc/ik', k, 'Ik')]
    for tick in range(10):
        moose.setClock(tick, dt)
    moose.reinit()
    moose.start(0.012)
    return [np.arange(len(tabs[0].vector)) * dt] + [t.vector for t in tabs]


def main():
    t, v, spikes = current_clamp()
    print('current clamp: spikes at', np.round(spikes * 1e3, 2), 'ms')
    truth = np.array([11.9006, 26.8075, 41.4426, 56.0657, 70.6878, 85.3099]) * 1e-3
    assert len(spikes) == 6 and np.max(np.abs(spikes - truth)) < 2e-5

    tv, vv, ina, ik = voltage_clamp()
    an = 1e4 * 0.055 / (1 - np.exp(-0.055 / 0.01))       # alpha_n(0), 1/s
    bn = 125.0 * np.exp(-0.065 / 0.08)
    ik_ss = -GK * (an / (an + bn)) ** 4 * (0.0 - EK)    # Ik = Gk (Ek - V), inward > 0
    print(f'voltage clamp at 0 mV: Vm {vv[-1] * 1e3:.2f} mV, peak INa {ina.max() * 1e9:.2f} nA '
          f'(inward), IK at 10 ms {ik[-1] * 1e9:.2f} nA, expected {ik_ss * 1e9:.2f} nA')
    assert abs(vv[-1]) < 1e-3
    assert abs(ik[-1] - ik_ss) < 0.02 * abs(ik_ss)
    assert ina.max() > 0 and ina[-1] < 0.2 * ina.max()    # transient: inactivates

    fig, ax = plt.subplots(2, 1, figsize=(7, 6))
    ax[0].plot(t * 1e3, v * 1e3)
    ax[0].plot(spikes * 1e3, np.zeros_like(spikes), 'r.')
    ax[0].set_ylabel('Vm (mV)')
    ax[0].set_title('current clamp, 0.1 nA from 10 to 90 ms (HSolve)')
    ax[1].plot(tv * 1e3, ina * 1e9, label='INa')
    ax[1].plot(tv * 1e3, ik * 1e9, label='IK')
    ax[1].axhline(ik_ss * 1e9, ls=':', c='k', label='IK steady state (theory)')
    ax[1].set_xlabel('time (ms)')
    ax[1].set_ylabel('channel current (nA, inward > 0)')
    ax[1].set_title('voltage clamp -65 -> 0 mV at 2 ms')
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(out_path('07_squid.png'))


if __name__ == '__main__':
    main()
