"""08 - A passive cable against Rall's cable theory.

A sealed-end cylinder, L = 1 mm, d = 1 um, Rm = 1 ohm m^2 (specific),
Ra = 1 ohm m, Cm = 0.01 F/m^2, cut into 100 compartments (a vec of 100
Compartments joined by one Diagonal axial message) and solved by HSolve.
A constant 10 pA enters at x = 0 from t = 0.

Theory (Rall): length constant lambda = sqrt(Rm d / (4 Ra)) = 0.5 mm,
tau_m = Rm Cm = 10 ms.  At steady state

    V(x) - Em = I R_inf cosh((L - x)/lambda) / sinh(L/lambda),
    R_inf = 4 Ra lambda / (pi d^2),

so the input resistance is R_inf coth(L/lambda) = 660.4 MOhm.  For sealed
ends the slowest mode of the transient decays with tau_m itself, so
V(0, t) approaches its final value as exp(-t/tau_m) at late times.

Expected: the compartment voltages match the cosh profile to better than
5e-5 of V(0) - Em (the O(dx^2) error of 100 compartments), and the fitted
late time constant is tau_m within 1 %.
Run it with ``python 08_passive_cable.py``; it writes ``08_passive_cable.png``.
"""

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

L, D, N = 1e-3, 1e-6, 100             # m, m, compartments
RM, RA, CM, EM = 1.0, 1.0, 0.01, -0.065   # ohm m^2, ohm m, F/m^2, V
I0, DT = 1e-11, 25e-6                 # A, s


def main():
    dx = L / N
    area = np.pi * D * dx
    moose.Neutral('/cable')
    c = moose.vec(moose.Compartment('/cable/c', N))
    c.Rm, c.Cm = RM / area, CM * area
    c.Ra = RA * dx / (np.pi * D * D / 4)
    c.Em = c.initVm = EM
    moose.connect(c, 'axial', c, 'raxial', 'Diagonal')   # c[i] is the parent of c[i+1]
    c[0].inject = I0
    v0 = moose.Table('/cable/v0')
    moose.connect(v0, 'requestOut', c[0], 'getVm')
    hs = moose.HSolve('/cable/hsolve')
    hs.dt, hs.target = DT, '/cable/c[0]'
    for tick in range(10):
        moose.setClock(tick, DT)
    moose.setClock(8, 1e-4)
    moose.reinit()
    moose.start(0.2)

    lam = np.sqrt(RM * D / (4 * RA))
    rinf = 4 * RA * lam / (np.pi * D * D)
    x = (np.arange(N) + 0.5) * dx
    theory = EM + I0 * rinf * np.cosh((L - x) / lam) / np.sinh(L / lam)
    v = c.Vm
    dv0 = I0 * rinf / np.tanh(L / lam)
    err = np.max(np.abs(v - theory)) / dv0
    print(f'lambda {lam * 1e3:.3f} mm, input resistance {dv0 / I0 / 1e6:.1f} MOhm (theory), '
          f'max deviation from the cosh profile {err:.2e} of V(0) - Em')
    assert err < 5e-5

    t = np.arange(len(v0.vector)) * 1e-4
    gap = v0.vector[-1] - v0.vector          # left to go (200 ms = 20 tau_m: ~done)
    late = (t > 0.03) & (t < 0.08)           # faster modes (tau <= 2.9 ms) have died out
    tau = -1 / np.polyfit(t[late], np.log(gap[late]), 1)[0]
    print(f'late time constant of V(0, t): {tau * 1e3:.3f} ms (tau_m = {RM * CM * 1e3:.1f} ms)')
    assert abs(tau - RM * CM) < 0.01 * RM * CM

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(x * 1e6, (v - EM) * 1e3, 'o', ms=3, label='moosepy, 100 compartments')
    ax[0].plot(x * 1e6, (theory - EM) * 1e3, '-', label='Rall: cosh((L-x)/lambda)')
    ax[0].set_xlabel('x (um)')
    ax[0].set_ylabel('V - Em (mV)')
    ax[0].legend()
    ax[0].set_title('steady state')
    ax[1].semilogy(t[:-1] * 1e3, gap[:-1] * 1e3, label='V(0, 200 ms) - V(0, t)')
    ax[1].semilogy(t * 1e3, gap[late][0] * np.exp(-(t - t[late][0]) / (RM * CM)) * 1e3, ':',
                   label='slope of exp(-t/tau_m)')
    ax[1].set_xlabel('time (ms)')
    ax[1].set_ylabel('mV')
    ax[1].legend()
    ax[1].set_title('approach to steady state')
    fig.tight_layout()
    fig.savefig(out_path('08_passive_cable.png'))


if __name__ == '__main__':
    main()
