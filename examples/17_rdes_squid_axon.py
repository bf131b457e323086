"""17 - A squid axon built by rdesigner: an action potential that travels.

One call to ``moosepy.rdesigner.rdesigneur`` builds a 20 um soma and a
2 mm unbranched axon (diameter 2 um, 200 compartments of 10 um) with the
built-in squid Hodgkin-Huxley channels (Na 1200 S/m^2, K 360 S/m^2, as
Hodgkin and Huxley measured) everywhere, a 0.5 nA current step into the
soma, and plots of Vm at the soma and four points along the axon.

Physics stated and checked: the spike starts at the soma and reaches each
point later the farther it is (all-or-none: every point peaks above
0 mV); the arrival time grows linearly with distance (a constant
conduction velocity, linear fit r > 0.999), and the velocity lies between
0.3 and 3 m/s: an HH cable's velocity scales as sqrt(d), so this 2 um axon
conducts sqrt(476/2) = 15 times slower than the 476 um squid giant axon
(about 12 m/s with these 6.3 C kinetics), i.e. near 0.8 m/s.
Run it with ``python 17_rdes_squid_axon.py``; it writes ``17_rdes_squid_axon.png``.
"""

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose
import moosepy.rdesigner as rd

N, DX = 200, 10e-6                     # axon compartments, their length [m]
rdes = rd.rdesigneur(
    verbose=False, elecDt=2e-5, elecPlotDt=2e-5,
    cellProto=[['ballAndStick', 'axon', 20e-6, 20e-6, 2e-6, N * DX, N]],
    chanProto=[['make_HH_Na()', 'Na'], ['make_HH_K()', 'K']],
    passiveDistrib=[['#', 'RM', '0.3333', 'RA', '0.354', 'CM', '0.01', 'Em', '-0.0544',
                     'initVm', '-0.065']],
    chanDistrib=[['Na', '#', 'Gbar', '1200'], ['K', '#', 'Gbar', '360']],
    stimList=[['soma', '1', '.', 'inject', '(t > 1e-3 && t < 3e-3) * 0.5e-9']],
    plotList=[['soma,dend40,dend80,dend120,dend160', '1', '.', 'Vm', 'Vm along the axon']],
)
rdes.buildModel()
res = rdes.run(0.012)[0]
t, v = res['t'], res['data']               # s, V (rows: soma, dend40, ...)
x = np.array([0.0, 41, 81, 121, 161]) * DX + 10e-6   # distal ends from the soma end [m]

peaks = v.max(axis=1)


def crossing(row):
    """Time [s] at which Vm first rises through 0 mV (linear interpolation)."""
    k = int(np.argmax(row > 0.0))
    return t[k - 1] + (t[k] - t[k - 1]) * (0.0 - row[k - 1]) / (row[k] - row[k - 1])


arrive = np.array([crossing(row) for row in v])
assert (peaks > 0.0).all(), peaks
assert np.all(np.diff(arrive) > 0), arrive
slope, icpt = np.polyfit(x[1:], arrive[1:], 1)
r = np.corrcoef(x[1:], arrive[1:])[0, 1]
velocity = 1 / slope
print(f'peaks (mV): {np.round(peaks * 1e3, 1)}; arrival (ms): {np.round(arrive * 1e3, 3)}')
print(f'conduction velocity {velocity:.2f} m/s (linear fit r = {r:.5f})')
assert r > 0.999 and 0.3 < velocity < 3.0

for row, xi in zip(v, x):
    plt.plot(t * 1e3, row * 1e3, label=f'{xi * 1e6:.0f} um')
plt.xlabel('time (ms)')
plt.ylabel('Vm (mV)')
plt.title(f'rdesigner squid axon: {velocity:.2f} m/s')
plt.legend()
plt.savefig(out_path('17_rdes_squid_axon.png'))
