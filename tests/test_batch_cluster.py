"""``moosepy sweep`` against a Dask scheduler and workers started as
separate processes, the way a cluster runs them (``dask scheduler``,
``dask worker``), and the CLI's error for a scheduler that is not there.
Oracle: A0 exp(-Kf t) for the first-order decay of the model file."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip('distributed')
h5py = pytest.importorskip('h5py')

MODEL = '''RUNTIME = 2.0
def build(moose, path):
    moose.Neutral(path)
    mesh = moose.CubeMesh(path + "/kin"); mesh.volume = 1e-18
    a = moose.Pool(path + "/kin/a"); a.concInit = 1.0
    b = moose.Pool(path + "/kin/b")
    r = moose.Reac(path + "/kin/r"); r.Kf = 1.0; r.Kb = 0.0
    moose.connect(r, "sub", a, "reac"); moose.connect(r, "prd", b, "reac")
    ks = moose.Ksolve(path + "/kin/ks"); st = moose.Stoich(path + "/kin/st")
    st.compartment = mesh; st.ksolve = ks; st.reacSystemPath = path + "/kin/##"
    t = moose.Table2(path + "/t"); moose.connect(t, "requestOut", a, "getConc")
    return {"a": t}
'''


def _stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)     # the group this test started
            p.wait(5)


def test_cli_sweep_on_scheduler_and_workers_started_as_processes(tmp_path):
    model = tmp_path / 'decay.py'
    model.write_text(MODEL)
    sfile = tmp_path / 'scheduler.json'
    env = dict(os.environ)
    sched = subprocess.Popen([sys.executable, '-m', 'distributed.cli.dask_scheduler',
                              '--scheduler-file', str(sfile), '--host', '127.0.0.1',
                              '--port', '0', '--no-dashboard'],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True, env=env)
    worker = None
    try:
        t0 = time.time()
        while not sfile.exists() and time.time() - t0 < 60:
            time.sleep(0.2)
        addr = json.loads(sfile.read_text())['address']
        worker = subprocess.Popen([sys.executable, '-m', 'distributed.cli.dask_worker', addr,
                                   '--nthreads', '1', '--nworkers', '2', '--no-dashboard'],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True, env=env)
        out = tmp_path / 'sweep.h5'
        p = subprocess.run([sys.executable, '-m', 'moosepy.cli', 'sweep', str(model),
                            '--param', 'kin/r.Kf=0.5,1,2', '--seeds', '2', '--out', str(out),
                            '--scheduler', addr], capture_output=True, text=True, timeout=180)
        assert p.returncode == 0, p.stdout + p.stderr[-3000:]
        assert 'runs     : 6 (0 failed)' in p.stdout
        from moosepy.batch import load
        ds = load(out)
        kf = ds['kin/r.Kf'].values
        assert kf.tolist() == [0.5, 0.5, 1, 1, 2, 2]
        np.testing.assert_allclose(ds.a.values, np.exp(-kf[:, None] * ds.time.values),
                                   rtol=1e-5)
        with h5py.File(out, 'r') as f:
            pids = {int(g.attrs['pid']) for g in f['runs'].values()}
        assert os.getpid() not in pids     # the runs ran in the worker processes
    finally:
        if worker is not None:
            _stop(worker)
        _stop(sched)


def test_cli_sweep_unreachable_scheduler(tmp_path, capsys):
    from moosepy import cli
    model = tmp_path / 'decay.py'
    model.write_text(MODEL)
    rc = cli.main(['sweep', str(model), '--param', 'kin/r.Kf=1', '--out',
                   str(tmp_path / 'x.h5'), '--scheduler', 'tcp://127.0.0.1:1', '--timeout', '2'])
    assert rc == 1
    err = capsys.readouterr().err
    assert 'cannot reach the Dask scheduler at tcp://127.0.0.1:1' in err


def test_cli_run_writes_provenance_beside_its_csv(tmp_path, capsys):
    import hashlib
    from moosepy import cli
    model = tmp_path / 'decay.py'
    model.write_text(MODEL)
    out = tmp_path / 'out'
    assert cli.main(['run', str(model), '--out', str(out)]) in (None, 0)
    prov = json.loads((out / 'decay.provenance.json').read_text())
    src = [s for s in prov['model_sources'] if s['name'] == str(model)]
    assert src and src[0]['sha256'] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert prov['runtime_s'] == 2.0 and prov['wall_time_s'] > 0
    assert [s['class'] for s in prov['solvers']] == ['Ksolve', 'Stoich']
    assert prov['solvers'][0]['method'] == 'rk5'
    assert 'decay.provenance.json' in capsys.readouterr().out
