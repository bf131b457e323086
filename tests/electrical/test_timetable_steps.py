"""TimeTable sends at most one event per step, as MOOSE: times closer
than dt go out on successive steps.  Oracle: pymoose 5.0.0 (side venv),
counting events with a SimpleSynHandler into an IntFire that never fires,
and the TimeTable's ``state``."""

import numpy as np

from side_pymoose import run_both

SCRIPT = '''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/m')
tt = moose.TimeTable('/m/tt')
tt.vector = [0.0021, 0.00215, 0.0022, 0.0051, 0.0080, 0.0080]
sh = moose.SimpleSynHandler('/m/sh')
sh.numSynapses = 1
sh.synapse[0].weight = 1.0
sh.synapse[0].delay = 0.0
f = moose.IntFire('/m/f')
f.tau = 1e9
f.thresh = 1e9
moose.connect(tt, 'eventOut', sh.synapse[0], 'addSpike')
moose.connect(sh, 'activationOut', f, 'activation')
t = moose.Table('/m/t')
moose.connect(t, 'requestOut', f, 'getVm')
s = moose.Table('/m/s')
moose.connect(s, 'requestOut', tt, 'getState')
for i in range(10):
    moose.setClock(i, 1e-3)
moose.reinit()
moose.start(0.015)
# IntFire adds weight/dt per event (as MOOSE): count the events
sc = 1e-3
print('JSON' + json.dumps({'n': list(np.round(np.asarray(t.vector) * sc, 6)),
                           'state': list(map(float, s.vector))}))
'''


def test_one_event_per_step_as_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    np.testing.assert_array_equal(a['n'], b['n'])
    np.testing.assert_array_equal(a['state'], b['state'])
    # three times within one step come out on three steps
    assert list(np.diff(b['n'])[3:7]) == [1, 1, 1, 1]
    assert b['n'][-1] == 6
