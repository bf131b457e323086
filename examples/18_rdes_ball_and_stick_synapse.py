"""18 - A ball-and-stick neuron with synaptic input, built by rdesigner.

A 10 um soma and a 200 um dendrite (2 um, 10 compartments), passive (RM
1 ohm m^2, CM 0.01 F/m^2, RA 1 ohm m), with the built-in glutamate
synapse (SynChan, tau1 2 ms, tau2 9 ms, Ek 0) on the distal compartment,
driven by periodic input at 40 Hz for 100 ms (rdesigner's
'periodicsyn' stimulus).

Physics stated and checked: every input spike gives an EPSP (4 input
spikes in the window -> 4 EPSP peaks in the dendrite); the EPSP is larger
where it is made than at the soma (cable attenuation: peak depolarisation
at dend9 > at the soma > 0); the soma's rise lags the dendrite's; and after
the input stops Vm returns to rest within 1 mV by the end (tau_m = 10 ms).
Run it with ``python 18_rdes_ball_and_stick_synapse.py``; it writes
``18_rdes_ball_and_stick_synapse.png``.
"""

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy.rdesigner as rd

rdes = rd.rdesigneur(
    verbose=False,
    cellProto=[['ballAndStick', 'cell', 10e-6, 10e-6, 2e-6, 200e-6, 10]],
    chanProto=[['make_glu()', 'glu']],
    passiveDistrib=[['#', 'RM', '1', 'CM', '0.01', 'RA', '1', 'Em', '-0.065']],
    chanDistrib=[['glu', 'dend9', 'Gbar', '20']],
    stimList=[['dend9', '1', 'glu', 'periodicsyn', '40 * (t > 0.005 && t < 0.105)']],
    plotList=[['soma,dend9', '1', '.', 'Vm', 'Vm'], ['dend9', '1', 'glu', 'Gk', 'glu Gk']],
)
rdes.buildModel()
vm, gk = rdes.run(0.2)
t = vm['t']
soma, dend = vm['data'] - (-0.065)          # depolarisation [V]
g = gk['data'][0]

# EPSPs: local maxima of the synaptic conductance during the input
peaks = [k for k in range(1, len(g) - 1) if g[k] > g[k - 1] and g[k] >= g[k + 1]
         and g[k] > 0.05 * g.max()]
print(f'{len(peaks)} EPSPs; peak depolarisation dend9 {dend.max() * 1e3:.2f} mV, '
      f'soma {soma.max() * 1e3:.2f} mV; end {soma[-1] * 1e3:.3f} mV')
assert len(peaks) == 4, peaks
assert dend.max() > soma.max() > 0.0
assert np.argmax(soma > 0.5 * soma.max()) >= np.argmax(dend > 0.5 * dend.max())
assert abs(soma[-1]) < 1e-3 and abs(dend[-1]) < 1e-3

plt.plot(t * 1e3, dend * 1e3 - 65, label='dend9')
plt.plot(t * 1e3, soma * 1e3 - 65, label='soma')
plt.xlabel('time (ms)')
plt.ylabel('Vm (mV)')
plt.title('rdesigner ball-and-stick, 40 Hz synaptic input')
plt.legend()
plt.savefig(out_path('18_rdes_ball_and_stick_synapse.png'))
