"""The background warm-up a process starts as it exits when kernels ran on
numba for want of AOT modules (moosepy.jit.auto_warmup): when it starts,
when it does not, what it runs, and its lock."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from moosepy import cli, jit
import moosepy.electrical.hkernels  # noqa: F401  (declares a kernel group)

GROUP = 'moosepy.electrical.hkernels'


class FakeProc:
    def __init__(self, pid):
        self.pid = pid


class FakePopen:
    def __init__(self, pid):
        self.calls = []
        self.pid = pid

    def __call__(self, cmd, **kw):
        self.calls.append((cmd, kw))
        return FakeProc(self.pid)


def dead_pid():
    p = subprocess.Popen([sys.executable, '-c', 'pass'])
    p.wait()
    return p.pid


@pytest.fixture
def aot_here(tmp_path, monkeypatch):
    monkeypatch.setenv('MOOSEPY_AOT_DIR', str(tmp_path))
    monkeypatch.delenv('MOOSEPY_AUTO_WARMUP', raising=False)
    monkeypatch.delenv('MOOSEPY_AOT', raising=False)
    monkeypatch.setattr(jit, '_c_compiler', lambda: True)
    return tmp_path


def test_starts_once_per_set_of_sources(aot_here, capsys):
    fake = FakePopen(os.getpid())
    proc = jit.auto_warmup({GROUP}, popen=fake)
    assert proc is not None and len(fake.calls) == 1
    cmd, kw = fake.calls[0]
    assert cmd[:3] == [sys.executable, '-m', 'moosepy.cli']
    assert cmd[3:] == ['warmup', '--background', '--aot-dir', str(aot_here)]
    assert kw['env']['MOOSEPY_AUTO_WARMUP'] == '0'      # the child starts none itself
    assert (aot_here / jit.AUTO_LOCK).read_text().split()[0] == str(os.getpid())
    rec = json.loads((aot_here / jit.AUTO_RECORD).read_text())
    assert rec['tags'][GROUP] == jit._group_tags({GROUP})[GROUP]
    assert rec['environment'] == jit.environment()
    err = capsys.readouterr().err
    assert 'in the background' in err and 'MOOSEPY_AUTO_WARMUP=0' in err
    # the same sources again: not a second time, lock or not
    (aot_here / jit.AUTO_LOCK).unlink()
    assert jit.auto_warmup({GROUP}, popen=fake) is None
    assert 'was started' in jit.auto_warmup_reason({GROUP})
    assert len(fake.calls) == 1


def test_sources_changed_and_the_lock(aot_here):
    fake = FakePopen(12345)
    rec = {'environment': jit.environment(), 'tags': {GROUP: 'older sources'}}
    (aot_here / jit.AUTO_RECORD).write_text(json.dumps(rec))
    assert jit.auto_warmup_reason({GROUP}) is None          # sources changed
    # another warm-up running (a live pid holds the lock): none started
    (aot_here / jit.AUTO_LOCK).write_text(f'{os.getpid()}\n')
    assert jit.auto_warmup({GROUP}, popen=fake) is None and not fake.calls
    # a lock left by a process that is gone: taken over
    (aot_here / jit.AUTO_LOCK).write_text(f'{dead_pid()}\n')
    assert jit.auto_warmup({GROUP}, popen=fake) is not None and len(fake.calls) == 1
    assert (aot_here / jit.AUTO_LOCK).read_text().split()[0] == '12345'


@pytest.mark.parametrize('case', ['switch', 'aot_off', 'nothing_missing', 'no_compiler',
                                  'environment'])
def test_reasons_not_to_start(aot_here, monkeypatch, case):
    groups = {GROUP}
    if case == 'switch':
        monkeypatch.setenv('MOOSEPY_AUTO_WARMUP', '0')
    elif case == 'aot_off':
        monkeypatch.setenv('MOOSEPY_AOT', '0')
    elif case == 'nothing_missing':
        groups = set()
    elif case == 'no_compiler':
        monkeypatch.setattr(jit, '_c_compiler', lambda: False)
    elif case == 'environment':
        # a record from another numba/numpy/Python does not count as tried
        rec = {'environment': {'numba': 'another'}, 'tags': jit._group_tags(groups)}
        (aot_here / jit.AUTO_RECORD).write_text(json.dumps(rec))
        assert jit.auto_warmup_reason(groups) is None
        return
    fake = FakePopen(os.getpid())
    assert jit.auto_warmup_reason(groups) is not None
    assert jit.auto_warmup(groups, popen=fake) is None and not fake.calls
    assert not (aot_here / jit.AUTO_LOCK).exists()


def test_background_warmup_drops_only_its_own_lock(tmp_path):
    lock = tmp_path / jit.AUTO_LOCK
    lock.write_text(f'{os.getpid()}\n')
    cli._drop_lock(str(tmp_path))
    assert not lock.exists()
    lock.write_text('1\n')                   # another process's lock stays
    cli._drop_lock(str(tmp_path))
    assert lock.exists()


def test_a_numba_run_starts_it_at_exit(tmp_path):
    """End to end in a new process with no AOT modules: a kernel runs on
    numba, and at exit the warm-up is started (Popen replaced by a stub
    that writes what it was asked to run)."""
    script = textwrap.dedent(f"""
        import json, os, subprocess
        class P:
            pid = os.getpid()
        def fake(cmd, **kw):
            open({str(tmp_path / 'cmd.json')!r}, 'w').write(json.dumps(cmd))
            return P()
        subprocess.Popen = fake
        import moosepy as moose
        from moosepy import jit
        jit._c_compiler = lambda: True
        mesh = moose.CubeMesh('/m'); mesh.volume = 1e-18
        a = moose.Pool('/m/a'); a.concInit = 1.0
        b = moose.Pool('/m/b')
        r = moose.Reac('/m/r'); r.Kf = 1.0
        moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'prd', b, 'reac')
        s = moose.Stoich('/m/s'); k = moose.Ksolve('/m/k')
        s.compartment, s.ksolve, s.reacSystemPath = mesh, k, '/m/##'
        moose.reinit(); moose.start(1.0)
        print('MISSING', sorted(jit._missing))
    """)
    env = dict(os.environ, MOOSEPY_AOT_DIR=str(tmp_path / 'aot'))
    env.pop('MOOSEPY_AUTO_WARMUP', None)
    env.pop('MOOSEPY_AOT', None)
    out = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    missing = [line for line in out.stdout.splitlines() if line.startswith('MISSING')]
    assert missing and 'moosepy.kinetics.gslrk' in missing[0]   # the default rk5
    cmd = json.loads((tmp_path / 'cmd.json').read_text())
    assert cmd[3:5] == ['warmup', '--background']
    assert 'in the background' in out.stderr
    # with the switch off, the same run starts nothing
    (tmp_path / 'cmd.json').unlink()
    env['MOOSEPY_AUTO_WARMUP'] = '0'
    env['MOOSEPY_AOT_DIR'] = str(tmp_path / 'aot2')
    out = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert not (tmp_path / 'cmd.json').exists()
    assert 'in the background' not in out.stderr


def test_a_foreground_warmup_starts_none_at_exit(monkeypatch):
    from moosepy import warmup
    monkeypatch.setattr(jit, '_missing', {GROUP})
    warmup.warmup(aot=False, names=['no exercise has this label'])
    assert not jit._missing
    assert jit.auto_warmup_reason() == 'MOOSEPY_AUTO_WARMUP=0'   # set by conftest
    monkeypatch.delenv('MOOSEPY_AUTO_WARMUP')
    assert jit.auto_warmup_reason() == 'every kernel called ran from its AOT module'


def test_warmup_exercises_a_function_on_its_own_tick():
    """The warm-up's exercise models cover the Function kernel Python calls
    for a Function outside any solver (rdesigneur's models use one); one the
    AOT step would otherwise never build.  In a new process: the record of
    Python's calls sees only a kernel's first call in a process."""
    script = textwrap.dedent("""
        from moosepy import jit, warmup
        jit.use_numba()
        with warmup.python_calls() as called:
            done = warmup.exercise(['own tick'])
        print('DONE', [lab for lab, _ in done])
        print('KEYS', sorted(k for g in warmup.specialisations(called).values() for k in g))
    """)
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "DONE ['a Function stepped on its own tick']" in out.stdout
    keys = [ln for ln in out.stdout.splitlines() if ln.startswith('KEYS')][0]
    assert 'moosepy.kinetics.kernels:_eval_impl' in keys
