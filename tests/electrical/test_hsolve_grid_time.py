"""HSolve's steps on the clock's time grid: a free-running PulseGen into a
solved compartment switches on the same steps as in pymoose 5.0.0 (its
time is MOOSE's dt * step and its phase C's fmod), and a SpikeGen on the
solved compartment drives a SynChan outside the solver with pymoose's
timing.  Oracle: pymoose (side venv)."""

import numpy as np

from side_pymoose import run_both

SCRIPT = '''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
moose.Neutral('/m')
moose.Neutral('/m/cell')
c = moose.Compartment('/m/cell/c')
c.Rm = 1e8; c.Cm = 1e-11; c.Em = -0.07; c.initVm = -0.07; c.Ra = 1e6
d = moose.Compartment('/m/cell/d')
d.Rm = 1e8; d.Cm = 1e-11; d.Em = -0.07; d.initVm = -0.07; d.Ra = 1e6
pg = moose.PulseGen('/m/pg')
pg.delay[0] = 0.002; pg.width[0] = 0.0005; pg.level[0] = 1e-9
pg.delay[1] = 0.003; pg.width[1] = 0.0005; pg.level[1] = 1e-9
moose.connect(pg, 'output', c, 'injectMsg')
sg = moose.SpikeGen('/m/cell/c/sg')
sg.threshold = -0.05; sg.refractT = 0.001; sg.edgeTriggered = 1
moose.connect(c, 'VmOut', sg, 'Vm')
syn = moose.SynChan('/m/cell/d/syn')
syn.Gbar = 1e-9; syn.tau1 = 1e-3; syn.tau2 = 2e-3; syn.Ek = 0.0
moose.connect(d, 'channel', syn, 'channel')
sh = moose.SimpleSynHandler('/m/cell/d/syn/sh')
sh.numSynapses = 1
sh.synapse[0].weight = 1.0; sh.synapse[0].delay = 0.0
moose.connect(sg, 'spikeOut', sh.synapse[0], 'addSpike')
moose.connect(sh, 'activationOut', syn, 'activation')
t = moose.Table('/m/t'); moose.connect(t, 'requestOut', syn, 'getGk')
v = moose.Table('/m/v'); moose.connect(v, 'requestOut', c, 'getVm')
for i in range(10):
    moose.setClock(i, 1e-4)
h = moose.HSolve('/m/hsolve'); h.dt = 1e-4; h.target = '/m/cell/c'
moose.reinit()
moose.start(0.03)
print('JSON' + json.dumps({'gk': list(map(float, t.vector)), 'vm': list(map(float, v.vector))}))
'''


def test_pulses_and_spikes_on_pymoose_steps():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    assert len(a['vm']) == len(b['vm']) == 301
    np.testing.assert_allclose(a['vm'], b['vm'], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a['gk'], b['gk'], rtol=1e-9, atol=1e-18)
    assert np.count_nonzero(np.diff(b['vm']) > 5e-3) >= 5      # several pulses
