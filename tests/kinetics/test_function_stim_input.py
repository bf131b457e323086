"""A StimulusTable's ``output`` into a Function's ``x[0].input`` (Python
path, no solver): the Function evaluates on the table's values.  Oracle:
pymoose 5.0.0 (side venv)."""

import numpy as np

from side_pymoose import run_both

SCRIPT = '''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/model')
f = moose.Function('/model/f')
f.c['c0'] = 2.0
f.expr = 'c0 * x0 * x0 + 1'
s = moose.StimulusTable('/model/s')
s.vector = np.linspace(0.0, 1.0, 50)
s.startTime = 0.0
s.stopTime = 0.05
s.stepPosition = 0.0
moose.connect(s, 'output', f.x[0], 'input')
t = moose.Table('/model/t')
moose.connect(t, 'requestOut', f, 'getValue')
for i in range(32):
    moose.setClock(i, 1e-3)
moose.reinit()
moose.start(0.06)
print('JSON' + json.dumps({'v': list(map(float, t.vector))}))
'''


def test_stimulus_table_feeds_function_as_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy']['v'], r['moose']['v']
    assert len(a) == len(b) == 61
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert b.max() > 2.5                # the input reached the function


REINIT = '''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
a = moose.CubeMesh('/cube')
a.volume = 1
ca = moose.BufPool('/cube/ca')
ca.concInit = 1.0
f = moose.Function('/cube/ca/func')
f.expr = 't > 0.0025 ? 25e-3 : 0.5'
moose.connect(f, 'valueOut', ca, 'setConc')
tab = moose.Table2('/cube/ca/table')
moose.connect(tab, 'requestOut', ca, 'getConc')
for i in range(10, 16):
    moose.setClock(i, 0.001)
moose.reinit()
moose.start(0.01)
print('JSON' + json.dumps({'v': list(map(float, tab.vector))}))
'''


def test_function_sends_zero_at_reinit_as_pymoose():
    r = run_both(REINIT)
    a, b = r['moosepy']['v'], r['moose']['v']
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    assert b[0] == 0.0                  # what the comparison covers
