"""Clocks and scheduling: tick dts, default ticks, setClock/useClock,
reinit/start semantics, Ctrl-C, notify (PYMOOSE_NOTES.md sections 1 and 7)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import moosepy as moose

#: MOOSE 5.0.0 default dt of each of the 32 ticks (PYMOOSE_NOTES.md, section 7)
MOOSE_DTS = [5e-05] * 8 + [1e-4, 0.0, 0.01] + [0.1] * 7 + [1.0, 1.0, 10.0] + [0.0] * 9 + \
    [1.0, 0.01]


def decay_model(method='rk5', kf=0.1, table=True):
    """A -> 0 (Kf 0.1/s, concInit 1 mM) in 1e-18 m^3 under a Ksolve, with a
    Table2 on a.conc.  Returns (a, table2)."""
    m = moose.CubeMesh('/m')
    m.volume = 1e-18
    a = moose.Pool('/m/a')
    a.concInit = 1.0
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', a, 'reac')
    r.Kf, r.Kb = kf, 0.0
    t = None
    if table:
        t = moose.Table2('/m/t')
        moose.connect(t, 'requestOut', a, 'getConc')
    s = moose.Stoich('/m/s')
    k = moose.Ksolve('/m/k')
    k.method = method
    s.compartment = m
    s.ksolve = k
    s.reacSystemPath = '/m/##'
    return a, t


def current_time():
    return moose.element('/clock').currentTime


# ------------------------------------------------------------ ticks
class TestTicks:
    def test_32_default_dts(self):
        dts = np.asarray(moose.element('/clock').dts, dtype=float)
        assert len(dts) == 32
        np.testing.assert_allclose(dts, MOOSE_DTS, rtol=1e-12, atol=0)

    def test_dts_unchanged_by_reinit(self):
        decay_model()
        moose.reinit()
        np.testing.assert_allclose(moose.element('/clock').dts, MOOSE_DTS, rtol=1e-12,
                                   atol=0)

    def test_num_ticks(self):
        assert moose.element('/clock').numTicks == 32

    @pytest.mark.parametrize('cls,tick', [
        ('Pool', -1), ('BufPool', -1), ('Reac', -1), ('Enz', -1), ('MMenz', -1),
        ('Stoich', -1), ('CubeMesh', -1), ('Neutral', -1),
        ('Ksolve', 16), ('Table2', 18), ('Table', 8), ('Function', 12)])
    def test_class_default_ticks(self, cls, tick):
        moose.Neutral('/x')
        obj = getattr(moose, cls)('/x/o')
        assert obj.tick == tick
        assert moose.element('/clock').defaultTick[cls] == tick

    def test_object_dt_follows_tick(self):
        moose.Neutral('/x')
        assert moose.Table2('/x/t').dt == pytest.approx(1.0, rel=1e-12)
        assert moose.Table('/x/u').dt == pytest.approx(1e-4, rel=1e-12)
        assert moose.Ksolve('/x/k').dt == pytest.approx(0.1, rel=1e-12)
        assert moose.Function('/x/f').dt == pytest.approx(0.1, rel=1e-12)

    def test_setclock_changes_dts(self):
        moose.setClock(18, 0.5)
        moose.setClock(8, 2e-4)
        dts = moose.element('/clock').dts
        assert dts[18] == pytest.approx(0.5, rel=1e-12)
        assert dts[8] == pytest.approx(2e-4, rel=1e-12)
        assert dts[19] == pytest.approx(1.0, rel=1e-12)   # only that tick
        moose.Neutral('/x')
        assert moose.Table2('/x/t').dt == pytest.approx(0.5, rel=1e-12)

    def test_setclock_16_leaves_15(self):
        moose.setClock(16, 0.05)
        dts = moose.element('/clock').dts
        assert dts[16] == pytest.approx(0.05, rel=1e-12)
        assert dts[15] == pytest.approx(0.1, rel=1e-12)

    @pytest.mark.parametrize('tick,dt', [(32, 0.1), (-1, 0.1), (5, -1.0)])
    def test_setclock_bad_args(self, tick, dt):
        with pytest.raises(moose.MooseError):
            moose.setClock(tick, dt)

    def test_setclock_table2_spacing(self):
        a, t = decay_model()
        moose.setClock(18, 0.1)
        moose.reinit()
        moose.start(10)
        v = t.vector
        assert len(v) == 101
        np.testing.assert_allclose(v, np.exp(-0.01 * np.arange(101)), rtol=1e-8, atol=0)

    def test_setclock_table2_half_ksolve_dt(self):
        # Table2 at 0.05 s, Ksolve at 0.1 s: every value repeats twice
        a, t = decay_model()
        moose.setClock(18, 0.05)
        moose.reinit()
        moose.start(1)
        v = t.vector
        assert len(v) == 21
        c = np.exp(-0.1 * 0.1 * np.arange(11))
        expect = c[np.arange(21) // 2]
        np.testing.assert_allclose(v, expect, rtol=1e-8, atol=0)

    def test_useclock_wildcard(self):
        moose.Neutral('/x')
        for i in range(3):
            moose.Table2(f'/x/t{i}')
        p = moose.Pool('/x/p')
        moose.useClock(9, '/x/#[TYPE=Table2]', 'process')
        assert [moose.element(f'/x/t{i}').tick for i in range(3)] == [9, 9, 9]
        assert p.tick == -1
        moose.useClock(17, '/x/t1', 'init')
        assert moose.element('/x/t1').tick == 17

    def test_tick_field_settable(self):
        moose.Neutral('/x')
        t = moose.Table2('/x/t')
        t.tick = 10
        assert t.tick == 10
        assert t.dt == pytest.approx(0.01, rel=1e-12)


# ------------------------------------------------------------ reinit/start
class TestStart:
    def test_reinit_resets_time(self):
        decay_model()
        moose.reinit()
        moose.start(3)
        assert current_time() == pytest.approx(3.0, abs=1e-12)
        moose.reinit()
        assert current_time() == 0.0

    def test_start_continues(self):
        a, t = decay_model()
        moose.reinit()
        moose.start(2)
        moose.start(3)
        assert current_time() == pytest.approx(5.0, abs=1e-12)
        assert len(t.vector) == 6
        assert a.conc == pytest.approx(np.exp(-0.5), rel=1e-8)

    def test_start_twice_equals_start_2t(self):
        a, t = decay_model('rk5')
        moose.reinit()
        moose.start(10)
        once = t.vector.copy()
        conc_once = a.conc
        moose.reinit()
        moose.start(5)
        moose.start(5)
        twice = t.vector
        assert len(once) == len(twice) == 11
        # the adaptive integrator restarts its step at the boundary: agreement
        # to far below the tolerance (epsRel 1e-7), not to the last bit
        np.testing.assert_allclose(twice, once, rtol=0, atol=1e-9)
        assert a.conc == pytest.approx(conc_once, abs=1e-9)

    def test_ten_short_starts(self):
        a, t = decay_model()
        moose.reinit()
        for _ in range(10):
            moose.start(0.1)
        assert current_time() == pytest.approx(1.0, abs=1e-12)
        assert a.conc == pytest.approx(np.exp(-0.1), rel=1e-8)

    @pytest.mark.parametrize('runtime,end', [
        (1.05, 1.1), (0.25, 0.3), (0.45, 0.5), (0.05, 0.1), (0.15, 0.1), (0.35, 0.3),
        (0.65, 0.7), (0.04, 0.0), (0.0, 0.0)])
    def test_start_rounds_to_steps(self, runtime, end):
        # only Ksolve (0.1) and Table2 (1.0) in use: steps of 0.1 s,
        # round-half-up(runtime / 0.1) of them
        decay_model()
        moose.reinit()
        moose.start(runtime)
        assert current_time() == pytest.approx(end, abs=1e-12)

    def test_start_105_state(self):
        a, t = decay_model()
        moose.reinit()
        moose.start(1.05)
        assert current_time() == pytest.approx(1.1, abs=1e-12)
        assert len(t.vector) == 2
        assert a.conc == pytest.approx(np.exp(-0.11), rel=1e-8)
        moose.start(1.05)
        assert current_time() == pytest.approx(2.2, abs=1e-12)

    def test_start_with_table_tick8(self):
        # a Table on tick 8 (1e-4) makes the step 1e-4: start(1.05) is exact
        a, t = decay_model()
        tab = moose.Table('/m/tab')
        moose.connect(tab, 'requestOut', a, 'getConc')
        moose.reinit()
        moose.start(1.05)
        assert current_time() == pytest.approx(1.05, abs=1e-9)
        assert a.conc == pytest.approx(np.exp(-0.1), rel=1e-8)

    def test_negative_runtime_raises(self):
        decay_model()
        moose.reinit()
        with pytest.raises(moose.MooseError):
            moose.start(-1.0)
        assert current_time() == 0.0

    def test_notify_writes_progress(self, capsys):
        decay_model()
        moose.setClock(16, 1e-3)
        moose.setClock(15, 1e-3)
        moose.reinit()
        moose.start(100, notify=True)
        cap = capsys.readouterr()
        assert cap.err.strip() != ''
        assert any(ch.isdigit() for ch in cap.err)
        assert current_time() == pytest.approx(100.0, abs=1e-9)

    def test_no_notify_is_quiet(self, capsys):
        decay_model()
        moose.reinit()
        capsys.readouterr()
        moose.start(10)
        cap = capsys.readouterr()
        assert cap.err == ''

    def test_is_running_false_outside(self):
        assert moose.isRunning() is False
        decay_model()
        moose.reinit()
        moose.start(1)
        assert moose.isRunning() is False


# ------------------------------------------------------------ Ctrl-C
_CHILD = textwrap.dedent('''
    import sys
    import moosepy as moose
    m = moose.CubeMesh('/m')
    m.volume = 1e-18
    a = moose.Pool('/m/a')
    a.concInit = 1.0
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', a, 'reac')
    r.Kf, r.Kb = 0.1, 0.0
    t = moose.Table2('/m/t')
    moose.connect(t, 'requestOut', a, 'getConc')
    s = moose.Stoich('/m/s')
    k = moose.Ksolve('/m/k')
    s.compartment = m
    s.ksolve = k
    s.reacSystemPath = '/m/##'
    moose.setClock(16, 1e-4)
    moose.setClock(18, 1e-4)
    moose.reinit()
    moose.start(1e-3)        # compile (or load) the kernels before the timed part:
    moose.reinit()           # with an empty numba cache that takes ~20 s
    print('READY', flush=True)
    moose.start(1e6)
    print('TIME', repr(float(moose.element('/clock').currentTime)), flush=True)
    print('LEN', len(t.vector), flush=True)
''')


def test_ctrl_c_stops_run_cleanly(tmp_path):
    script = tmp_path / 'child.py'
    script.write_text(_CHILD)
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            cwd=str(tmp_path))
    try:
        line = proc.stdout.readline()        # blocks until the model is built
        assert line.strip() == 'READY', (line, proc.stderr.read() if proc.poll() else '')
        time.sleep(2.0)
        assert proc.poll() is None, 'the run ended before SIGINT'
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        assert time.monotonic() - t0 < 15
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    vals = dict(ln.split(None, 1) for ln in out.strip().splitlines() if ln.strip())
    ct = float(vals['TIME'])
    n = int(vals['LEN'])
    assert 0.0 < ct < 1e6
    assert n == round(ct / 1e-4) + 1
