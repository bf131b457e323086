"""Step times on MOOSE's grid: MOOSE's Clock keeps one dt (50 us, lowered
by any smaller dt given to setClock) and a step's time is that dt times
the step count, so times are the floats pymoose computes (5e-5 * 164000,
not 0.01 * 820), and comparisons in PulseGen, RandSpike and TimeTable
round the same way.  Oracle: pymoose 5.0.0 (side venv)."""

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
pg = moose.PulseGen('/pg')
pg.count = 5
for i in range(5):
    pg.level[i] = i + 1
    pg.width[i] = 0.1
    pg.delay[i] = 0.5 * (i + 1)
tab = moose.Table('/tab')
moose.connect(tab, 'requestOut', pg, 'getOutputValue')
moose.setClock(0, 0.01)
moose.useClock(0, '/pg,/tab', 'process')
moose.reinit()
times = []
for step in (8.2, 0.01, 3.33, 8.46):
    moose.start(step)
    times.append(moose.element('/clock').currentTime)
out['times'] = [float.hex(x) for x in times]
out['pulse'] = list(map(float, tab.vector))
print('JSON' + json.dumps(out))
'''


def test_step_times_and_pulses_as_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    assert list(a['times']) == list(b['times'])
    np.testing.assert_array_equal(a['pulse'], b['pulse'])
    # the case this guards: at 8.2 s (= 7.6 + 0.6) the fmod of MOOSE's time
    # lands past the end of pulse 0, of 0.01 * 820 before it
    assert float.fromhex(b['times'][0]) == 5e-5 * 164000 != 0.01 * 820
