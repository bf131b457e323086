"""RandSpike's rate with a refractory period, its periodic mode and
hasFired, against pymoose 5.0.0 (side venv) and renewal-process theory.

MOOSE raises the per-step probability to rate dt / (1 - rate refractT) so
that the mean rate stays ``rate`` despite the dead time: inter-spike
intervals are refractT + Exp(rate / (1 - rate refractT)), of mean 1/rate.
Spikes are counted with a SimpleSynHandler into an IntFire that never
fires (tau 1e9 s).
"""

import numpy as np

from side_pymoose import run_both

SCRIPT = '''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.seed(11)
moose.Neutral('/m')
specs = [('poisson', 100.0, 5e-3, False), ('plain', 150.0, 0.0, False),
         ('periodic', 40.0, 3e-3, True)]
tabs = {}
for name, rate, refr, per in specs:
    r = moose.RandSpike('/m/' + name)
    r.refractT = refr
    r.rate = rate
    r.doPeriodic = per
    sh = moose.SimpleSynHandler('/m/sh' + name)
    sh.numSynapses = 1
    sh.synapse[0].weight = 1.0
    sh.synapse[0].delay = 0.0
    f = moose.IntFire('/m/f' + name)
    f.tau = 1e9
    f.thresh = 1e9
    moose.connect(r, 'spikeOut', sh.synapse[0], 'addSpike')
    moose.connect(sh, 'activationOut', f, 'activation')
    t = moose.Table('/m/t' + name)
    moose.connect(t, 'requestOut', f, 'getVm')
    tabs[name] = t
for i in range(10):
    moose.setClock(i, 1e-4)
moose.reinit()
moose.start(20.0)
out = {}
for k, t in tabs.items():
    # IntFire adds the activation (weight/dt) itself, as MOOSE's: one spike each
    v = np.round(np.asarray(t.vector) * 1e-4).astype(int)
    e = np.nonzero(np.diff(v) > 0)[0]
    out[k] = [int(v[-1]), int(len(v))] + list(map(int, np.unique(np.diff(e))))
print('JSON' + json.dumps(out))
'''


def test_rates_and_intervals_as_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    T = 20.0
    # Poisson with dead time: mean rate 100/s; a renewal count has variance
    # N CV^2, CV^2 = (1/r')^2 / (1/rate)^2 with r' = 100 / (1 - 0.5) = 200/s
    n, cv2 = 100.0 * T, (1 / 200.0) ** 2 / (1 / 100.0) ** 2
    sd = np.sqrt(n * cv2)
    for who in (a, b):
        assert abs(who['poisson'][0] - n) < 5 * sd          # uncompensated: 1333
        assert min(who['poisson'][2:]) == 50                # no interval < refractT
        assert abs(who['plain'][0] - 150 * T) < 5 * np.sqrt(150 * T)
    assert a['poisson'][1] == b['poisson'][1] == 200001
    # periodic: every 1/rate = 250 steps, MOOSE's strict '>' making it 251
    # (or 250 where its time grid rounds above)
    assert set(a['periodic'][2:]) <= set(b['periodic'][2:]) == {250, 251}
    assert abs(a['periodic'][0] - b['periodic'][0]) <= 1
