"""PyRun: statements run at reinit (initString), at each tick or on
trigger (runString, by mode), in a namespace of their own with the
script's globals visible; output sent on 'output'.  Oracle: pymoose 5.0.0
(side venv)."""

import pytest

from side_pymoose import run_both

SCRIPT = '''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
scale = 3.0
p = moose.PyRun('/p')
for f in ('mode', 'inputVar', 'outputVar', 'evalOnReinit', 'runString', 'initString', 'tick'):
    out['default_' + f] = getattr(p, f)
try:
    p.outputValue
    out['unset'] = 'no error'
except RuntimeError:
    out['unset'] = 'RuntimeError'
p.initString = 'count = 0'
p.runString = 'count += 1\\noutput = count * scale + (input_ if "input_" in dir() else 0.0)'
q = moose.PyRun('/q')
q.initString = 'mine = "q"'
q.runString = 'output = float("count" in dir()) + 10 * float("scale" in dir())'
t = moose.Table('/t')
moose.connect(p, 'output', t, 'input')
u = moose.Table('/u')
moose.connect(q, 'output', u, 'input')
p.trigger(100.0)               # before reinit: nothing compiled, nothing runs
moose.reinit()
out['main_sees_count'] = 'count' in globals()
moose.start(3.0)
out['t1'] = list(t.vector)
out['u1'] = list(u.vector)
p.trigger(100.0)               # mode 0: ticks only
out['t2'] = list(t.vector)
p.mode = 1
moose.start(2.0)               # mode 1: no ticks
p.trigger(0.5)
out['t3'] = list(t.vector)
p.mode = 2
moose.start(1.0)
p.trigger(0.25)
out['t4'] = list(t.vector)
out['outputValue'] = p.outputValue
p.runString = 'output = -1.0'  # takes effect at the next reinit
p.trigger(0.0)
out['t5'] = list(t.vector)
p.run('output = count + 1000.0')
out['t6'] = list(t.vector)
p.inputVar = 'u_in'
p.outputVar = 'y'
try:
    p.outputValue
    out['unset2'] = 'no error'
except RuntimeError:
    out['unset2'] = 'RuntimeError'
moose.reinit()
p.trigger(7.0)
out['t7'] = list(t.vector)
print('JSON' + json.dumps(out))
'''


def test_pyrun_matches_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    assert set(a) == set(b)
    for k in b:
        if hasattr(b[k], 'shape'):
            assert a[k].shape == b[k].shape and (a[k] == b[k]).all(), (k, a[k], b[k])
        else:
            assert a[k] == b[k], k
    assert b['default_tick'] == 30 and list(b['t1']) == [3.0, 6.0, 9.0]


def test_pyrun_eval_on_reinit_runs_runstring_once():
    # MOOSE's documented meaning (5.0.0 runs initString twice instead)
    import moosepy as moose
    p = moose.PyRun('/p')
    p.initString = 'n = 0'
    p.runString = 'n += 1\noutput = n'
    p.evalOnReinit = True
    p.mode = 1
    moose.reinit()
    assert p.outputValue == 1.0


def test_pyrun_bad_input():
    import moosepy as moose
    p = moose.PyRun('/p')
    with pytest.raises(moose.FieldError, match='mode'):
        p.mode = 3
    p.runString = 'output = ('
    with pytest.raises(moose.FieldError, match='runString'):
        moose.reinit()
    p.runString = 'output = "x"'
    p.mode = 1
    moose.reinit()
    with pytest.raises(RuntimeError, match='not a number'):
        p.trigger(1.0)          # the value cannot be sent
    with pytest.raises(RuntimeError, match='not a number'):
        p.outputValue
    p.runString = 'output = undefined_name'
    moose.reinit()
    with pytest.raises(NameError):
        p.trigger(1.0)
