"""The ``moosepy run`` command: the bundled default model, an SBML file, a
cell file (.swc), and a bad path.  Each run writes its CSV and PNG; the
figures printed are checked against what the model must do.  ``moosepy
warmup``: its AOT kernels are used by a new process without numba and give
the same numbers; numba compiles are reported on stderr."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from moosepy import cli

SHARED = Path(__file__).resolve().parents[2] / 'shared' / 'models-ref'
SUITE = Path(__file__).resolve().parents[2] / 'shared' / 'sbml-test-suite' / 'semantic'


def _csv(path):
    with open(path) as f:
        header = f.readline().strip().split(',')
    return header, np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)


def test_default_model(tmp_path, capsys):
    assert cli.main(['run', '--runtime', '20', '--out', str(tmp_path)]) in (None, 0)
    out = capsys.readouterr().out
    assert 'simulated: 20 s' in out and 'mapk_feedback.png' in out
    header, data = _csv(tmp_path / 'mapk_feedback.csv')
    assert header[0] == 'time_s' and all(h.endswith('_mM') for h in header[1:])
    assert data[-1, 0] == pytest.approx(20.0)
    assert (tmp_path / 'mapk_feedback.png').stat().st_size > 1000


@pytest.mark.skipif(not SUITE.is_dir(), reason=f'{SUITE} absent')
def test_sbml_file(tmp_path, capsys):
    """Case 00001 (S1 -> S2 at k = 1 in a unit compartment): the plotted
    concentrations follow the exponential."""
    xml = SUITE / '00001' / '00001-sbml-l3v2.xml'
    assert cli.main(['run', str(xml), '--runtime', '5', '--out', str(tmp_path)]) in (None, 0)
    header, data = _csv(tmp_path / '00001-sbml-l3v2.csv')
    t = data[:, 0]
    s1 = data[:, header.index('S1_mM')]
    s2 = data[:, header.index('S2_mM')]
    assert np.allclose(s1 + s2, s1[0] + s2[0], rtol=1e-6)
    assert np.allclose(s1, s1[0] * np.exp(-t), rtol=1e-4)


@pytest.mark.skipif(not (SHARED / 'swc').is_dir(), reason=f'{SHARED} absent')
def test_cell_file(tmp_path, capsys):
    """An SWC cell: solved by an HSolve, a 0.1 nA step from 10 ms; the soma
    rests at -65 mV, depolarises during the step, and the farthest
    compartment less than the soma."""
    swc = SHARED / 'swc' / '970529c.CNG.swc'
    assert cli.main(['run', str(swc), '--runtime', '0.04', '--out', str(tmp_path)]) in (None, 0)
    out = capsys.readouterr().out
    assert 'mV' in out
    header, data = _csv(tmp_path / '970529c.CNG.csv')
    assert header[1] == 'soma_mV'
    t, soma, far = data[:, 0], data[:, 1], data[:, 2]
    assert np.allclose(soma[t < 0.01], -65.0, atol=1e-6)
    assert soma[-1] > -65.0 + 1.0
    assert 0 < far[-1] + 65.0 < soma[-1] + 65.0


def test_bad_path(tmp_path, capsys):
    rc = cli.main(['run', str(tmp_path / 'nope.swc'), '--out', str(tmp_path)])
    assert rc == 1
    assert 'nope.swc' in capsys.readouterr().err


ROOT = Path(__file__).resolve().parents[1]
CELL_SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT / 'benchmarks')!r})
import numpy as np
import moosepy as moose
from cell_models import build_cell
m = build_cell(moose, 30)
moose.reinit()
moose.start(0.02)
np.save(sys.argv[1], np.array([t.vector for t in m['tables']]))
print('numba loaded' if 'numba' in sys.modules else 'numba not loaded')
"""


def _env(**kw):
    env = dict(os.environ)
    env.pop('MOOSEPY_AOT', None)
    env.update(kw)
    return env


@pytest.mark.skipif(not (shutil.which('cc') or shutil.which('gcc')),
                    reason='AOT compilation needs a C compiler')
def test_warmup_aot_kernels_used_without_numba(tmp_path):
    """``moosepy warmup --only cell`` builds the HSolve kernel's AOT module;
    a new process runs a cell on it without loading numba, with the same
    trace as numba's, bit for bit; when the manifest no longer matches the
    sources (its tag changed), numba runs it again."""
    aot = tmp_path / 'aot'
    r = subprocess.run([sys.executable, '-m', 'moosepy.cli', 'warmup', '--only', 'cell',
                        '--aot-dir', str(aot)], capture_output=True, text=True, env=_env(),
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'aot      : ' in r.stdout and 'total    : ' in r.stdout, r.stdout
    assert '[1/1] cell, HSolve' in r.stderr and 'AOT moosepy.electrical.hkernels' in r.stderr
    man = json.loads((aot / 'manifest.json').read_text())
    group = man['groups']['moosepy.electrical.hkernels']
    assert 'electrical/hkernels.py' in group['files']
    assert group['modules'] and all((aot / f).exists() for f in group['modules'].values())

    script = tmp_path / 'cell.py'
    script.write_text(CELL_SCRIPT)

    def run(name, **env):
        p = subprocess.run([sys.executable, str(script), str(tmp_path / name)],
                           capture_output=True, text=True, env=_env(**env), timeout=600)
        assert p.returncode == 0, p.stderr[-2000:]
        return p.stdout.strip(), np.load(tmp_path / name)

    said, v_aot = run('aot.npy', MOOSEPY_AOT_DIR=str(aot))
    assert said == 'numba not loaded'
    said, v_numba = run('numba.npy', MOOSEPY_AOT='0')
    assert said == 'numba loaded'
    assert v_aot.shape == (3, 801) and np.array_equal(v_aot, v_numba)
    assert v_aot[0].max() > 0.0                  # the soma fired: the kernel ran

    group['tag'] = '0' * 64                      # as if hkernels.py had changed
    (aot / 'manifest.json').write_text(json.dumps(man))
    said, v_stale = run('stale.npy', MOOSEPY_AOT_DIR=str(aot))
    assert said == 'numba loaded' and np.array_equal(v_stale, v_numba)


def test_compile_progress_on_stderr(capsys):
    """What the CLI shows on a cold start: the kernel being compiled and,
    when done, the time it took (here a fresh kernel, so that it compiles)."""
    from moosepy import jit

    def probe_cli_kernel(x):
        return x.sum() * 2.0
    probe_cli_kernel.__module__ = 'moosepy.test_cli_probe'
    k = jit.njit(cache=False)(probe_cli_kernel)
    h = cli.report_progress(interval=0.01)
    try:
        assert k(np.ones(3)) == 6.0
    finally:
        logging.getLogger('moosepy').removeHandler(h)
        jit.report_compiles(None)
    err = capsys.readouterr().err
    assert 'moosepy: compiling moosepy.test_cli_probe.' in err
    assert 'moosepy: compiled moosepy.test_cli_probe.' in err
