"""Stats and SpikeStats against pymoose 5.0.0 (tests/side_pymoose.py):
running and windowed mean, sdev and sum of values pulled through
requestOut and pushed on input; spike rates from addSpike events and from
threshold crossings on Vm; window resizing and reinit.  Plus the formulas
on a known sample (analytic)."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import FieldError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from side_pymoose import run_both  # noqa: E402

SCRIPT = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
dt = 1e-3
for t in range(20):
    moose.setClock(t, dt)
moose.Neutral('/m')
pg = moose.PulseGen('/m/pg')
pg.firstLevel, pg.firstWidth, pg.firstDelay = 3.0, 0.004, 0.002
pg.secondLevel, pg.secondWidth, pg.secondDelay = -1.5, 0.003, 0.001
pg.baseLevel = 0.25
st = moose.Stats('/m/st')
st.windowLength = 7
moose.connect(st, 'requestOut', pg, 'getOutputValue')
st2 = moose.Stats('/m/st2')          # fed by messages only
moose.connect(pg, 'output', st2, 'input')
ss = moose.SpikeStats('/m/ss')
ss.windowLength = 5
ss.threshold = 1.0
moose.connect(pg, 'output', ss, 'Vm')
tt = moose.TimeTable('/m/tt')
tt.vector = [0.0031, 0.0052, 0.0105, 0.014, 0.0161, 0.0182, 0.022]
moose.connect(tt, 'eventOut', ss, 'addSpike')
tabs = {}
def rec(name, obj, field):
    t = moose.Table('/m/t_' + name)
    moose.connect(t, 'requestOut', obj, field)
    tabs[name] = t
for o, n in ((st, 'st'), (st2, 'st2'), (ss, 'ss')):
    for f in ('Mean', 'Sdev', 'Sum', 'Wmean', 'Wsdev', 'Wsum'):
        rec(n + f, o, 'get' + f)
moose.reinit()
moose.start(0.025)
out = {k: list(v.vector) for k, v in tabs.items()}
out['fields'] = [st.mean, st.sdev, st.sum, st.num, st.wmean, st.wsdev, st.wsum, st.wnum,
                 st.windowLength, ss.threshold, ss.windowLength]
st.windowLength = 3
out['w3'] = [st.wmean, st.wsdev, st.wsum, st.wnum]
moose.reinit()
out['after_reinit'] = [st.mean, st.num, st.wmean, st.wnum, ss.num]
print('JSON' + json.dumps(out))
'''


def test_stats_and_spikestats_equal_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moose'], r['moosepy']
    assert set(a) == set(b)
    for k in a:
        x, y = np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float)
        assert x.shape == y.shape, k
        assert np.max(np.abs(x - y), initial=0.0) <= 1e-12 * max(1.0, np.max(np.abs(x))), k
    assert b['ssSum'][-1] > 0 and b['stWsum'][-1] > 0


def test_stats_formulas_on_a_known_sample():
    for t in range(20):
        moose.setClock(t, 0.1)
    s = moose.Stats('/s')
    s.windowLength = 4
    moose.reinit()
    xs = [3.0, -1.0, 4.0, 1.0, 5.0, 9.0, 2.0]
    for x in xs:
        s.vec[0]._recv_input(x)
    assert s.num == 7 and s.sum == sum(xs)
    assert s.mean == pytest.approx(np.mean(xs), rel=1e-14)
    assert s.sdev == pytest.approx(np.std(xs), rel=1e-14)
    last = xs[-4:]
    assert s.wnum == 4 and s.wsum == pytest.approx(sum(last))
    assert s.wmean == pytest.approx(np.mean(last)) and s.wsdev == pytest.approx(np.std(last))
    # a constant signal whose rounded variance is negative (-3.5e-18 for
    # three samples of 0.1): sdev 0, where MOOSE's square root gives NaN
    c = moose.Stats('/c')
    for _ in range(3):
        c.vec[0]._recv_input(0.1)
    assert c.sdev == 0.0 and not math.isnan(c.sdev)
    with pytest.raises(FieldError, match='windowLength'):
        s.windowLength = -1


def test_spikestats_rate_of_a_regular_train():
    """A TimeTable at 50 Hz into addSpike: mean rate over the run = 50/s."""
    dt = 1e-3
    for t in range(20):
        moose.setClock(t, dt)
    ss = moose.SpikeStats('/ss')
    tt = moose.TimeTable('/tt')
    tt.vector = np.arange(1, 51) * 0.02 - 0.0105   # the last counted before t = 1 s
    moose.connect(tt, 'eventOut', ss, 'addSpike')
    moose.reinit()
    moose.start(1.0)
    assert ss.num == 1000
    assert ss.sum == pytest.approx(50 / dt)
    assert ss.mean == pytest.approx(50.0)
