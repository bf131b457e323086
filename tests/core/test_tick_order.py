"""Order of classes within one clock tick, as pymoose 5.0.0 runs them.

Oracle: pymoose in the side venv (skipped when absent).  A Table on the
same tick as the object it reads records either the value after this
step (the object steps first) or the previous step's value (the Table
first); the same Table on a later tick always records the value after the
step.  A PulseGen read only by a Table (no ``output`` target) still steps.
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

def make(cls, table_first):
    moose.Neutral('/o')
    if table_first:
        t = moose.Table('/o/t')
    p = moose.PulseGen('/o/p')
    p.delay[0] = 0.03; p.width[0] = 0.05; p.level[0] = 1.0; p.delay[1] = 1e9
    if cls == 'PulseGen':
        x, f = p, 'getOutputValue'
    elif cls == 'StimulusTable':
        x = moose.StimulusTable('/o/x'); x.vector = np.arange(20.0)
        x.startTime = 0; x.stopTime = 0.19; x.stepSize = 0.01; f = 'getOutputValue'
    elif cls == 'Function':
        x = moose.Function('/o/x'); x.expr = 't'; f = 'getValue'
    elif cls == 'Compartment':
        x = moose.Compartment('/o/x'); x.inject = 1e-9; x.Rm = 1e9; x.Cm = 1e-11; f = 'getVm'
    elif cls == 'RC':
        x = moose.RC('/o/x'); x.R = 1.0; x.C = 0.02
        moose.connect(p, 'output', x, 'injectIn'); f = 'getState'
    elif cls == 'Arith':
        x = moose.Arith('/o/x'); moose.connect(p, 'output', x, 'arg1'); f = 'getOutputValue'
    if not table_first:
        t = moose.Table('/o/t')
    moose.connect(t, 'requestOut', x, f)
    return t, x, p

out = {}
for cls in ['PulseGen', 'StimulusTable', 'Function', 'Compartment', 'RC', 'Arith']:
    for table_first in (False, True):
        for i in range(32):
            moose.setClock(i, 0.01)
        t, x, p = make(cls, table_first)
        if p is not x:
            moose.useClock(0, p.path, 'process')
        moose.useClock(1, x.path, 'process')
        moose.useClock(1, t.path, 'process')
        moose.reinit()
        moose.start(0.12)
        out[cls + str(table_first)] = list(map(float, t.vector))
        moose.delete('/o')
print('JSON' + json.dumps(out))
'''


def test_tables_read_as_pymoose_within_a_tick():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    assert set(a) == set(b)
    for k in b:
        assert len(a[k]) == len(b[k]) == 13, k
        np.testing.assert_allclose(a[k], b[k], rtol=1e-9, atol=1e-15, err_msg=k)
    # the pymoose trace shows the lag this tests: the PulseGen's pulse
    # (0.03 s .. 0.08 s) is recorded one sample late
    assert np.nonzero(b['PulseGenFalse'])[0][0] == 4
