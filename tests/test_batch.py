"""moosepy.batch: sweeps and ensembles on a small Dask LocalCluster (two
worker processes, shared by the tests of this module and closed at the
end).  Oracles: first-order decay A0 exp(-k t); the pure-death process
X -> 0 (mean n0 e^-kt, variance n0 e^-kt (1 - e^-kt)); bit-identity of
reruns; the file read back with h5py."""

import json
import time

import numpy as np
import pytest

import moosepy as moose

pytest.importorskip('distributed')
pytest.importorskip('xarray')
h5py = pytest.importorskip('h5py')

from moosepy.batch import run_batch, load, BatchError, make_runs, as_grid  # noqa: E402


# ------------------------------------------------------------ builders
def decay(k=1.0, A0=1.0):
    """A -> B, Kf = k [1/s], in a Ksolve; records A's conc [mM] every 0.1 s."""
    mesh = moose.CubeMesh('/m')
    mesh.volume = 1e-18
    a = moose.Pool('/m/a')
    b = moose.Pool('/m/b')
    a.concInit = A0
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    r.Kf, r.Kb = k, 0.0
    ks = moose.Ksolve('/m/ks')
    st = moose.Stoich('/m/st')
    st.compartment = mesh
    st.ksolve = ks
    st.reacSystemPath = '/m/##'
    t = moose.Table2('/m/t')
    moose.connect(t, 'requestOut', a, 'getConc')
    for tk in range(10, 20):
        moose.setClock(tk, 0.1)
    if k < 0:
        raise ValueError(f'k must be >= 0, got {k}')
    return {'A': t}


NAV = 6.02214076e23 * 1e-18


def death(n0=100, k=1.0):
    """X -> Y in a Gsolve (exact SSA), X(0) = n0 molecules; its seed comes
    from moose.seed (set by the batch runner per run)."""
    mesh = moose.CubeMesh('/m')
    mesh.volume = 1e-18
    x = moose.Pool('/m/x')
    y = moose.Pool('/m/y')
    x.nInit = n0
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', x, 'reac')
    moose.connect(r, 'prd', y, 'reac')
    r.Kf, r.Kb = k, 0.0
    g = moose.Gsolve('/m/gs')
    st = moose.Stoich('/m/st')
    st.compartment = mesh
    st.ksolve = g
    st.reacSystemPath = '/m/##'
    t = moose.Table2('/m/t')
    moose.connect(t, 'requestOut', x, 'getN')
    for tk in range(10, 20):
        moose.setClock(tk, 0.25)
    return {'X': t}


@pytest.fixture(scope='module')
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=':0')
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


# ------------------------------------------------------------ sweeps
def test_grid_sweep_matches_analytic_and_is_written_incrementally(client, tmp_path):
    out = tmp_path / 'sweep.h5'
    ds = run_batch(decay, grid={'k': [0.1, 0.5, 1.0], 'A0': [1.0, 2.0]}, runtime=5.0,
                   scheduler=client, out=out)
    assert ds.sizes['run'] == 6 and ds.sizes['time'] == 51
    assert list(ds.k.values) == [0.1, 0.1, 0.5, 0.5, 1.0, 1.0]
    assert list(ds.A0.values) == [1.0, 2.0] * 3
    t = ds.time.values
    np.testing.assert_allclose(t, 0.1 * np.arange(51))
    exact = ds.A0.values[:, None] * np.exp(-ds.k.values[:, None] * t[None, :])
    np.testing.assert_allclose(ds.A.values, exact, rtol=1e-5)
    assert (ds.error.values == '').all()
    # every run is on disk, with its parameters and seed, and the file reads
    # back to the same dataset
    with h5py.File(out, 'r') as f:
        assert sorted(f['runs']) == [f'{i:06d}' for i in range(6)]
        g = f['runs/000003']
        assert json.loads(g.attrs['params']) == {'k': 0.5, 'A0': 2.0}
        assert int(g.attrs['seed']) == int(ds.seed.values[3])
        prov = json.loads(f.attrs['moosepy_provenance'])
    assert prov['moosepy_version'] == moose.__version__
    assert prov['sweep_model']['name'].endswith('decay')
    assert prov['wall_time_s'] > 0 and prov['host']
    assert json.loads(ds.attrs['provenance'])['seeds']['base_seed'] == 0
    g = as_grid(ds)
    assert g.A.dims == ('time', 'k', 'A0', 'rep')
    np.testing.assert_array_equal(g.A.sel(k=0.5, A0=2.0, rep=0).values, ds.A.values[3])
    assert int(g.seed.sel(k=0.5, A0=2.0, rep=0)) == int(ds.seed.values[3])
    back = load(out)
    np.testing.assert_array_equal(back.A.values, ds.A.values)
    np.testing.assert_array_equal(back.seed.values, ds.seed.values)


def test_stochastic_ensemble_seeds_independent_reproducible_bit_identical(client):
    n0, k, reps = 100, 1.0, 24
    a = run_batch(death, params=[{'n0': n0, 'k': k}], n_seeds=reps, base_seed=7,
                  runtime=2.0, scheduler=client)
    b = run_batch(death, params=[{'n0': n0, 'k': k}], n_seeds=reps, base_seed=7,
                  runtime=2.0, scheduler=client)
    X = a.X.values
    np.testing.assert_array_equal(X, b.X.values)            # bit-identical rerun
    assert len(set(a.seed.values.tolist())) == reps          # one stream per run
    assert len({tuple(r) for r in X}) == reps                # distinct trajectories
    # the seeds are SeedSequence(7, spawn_key=(set, rep)) children
    assert a.seed.values.tolist() == [r['seed'] for r in make_runs(
        params=[{'n0': n0, 'k': k}], n_seeds=reps, base_seed=7)]
    # mean and variance of the pure-death process at t = 1 s (sample 4)
    p = np.exp(-k * 1.0)
    m, v = n0 * p, n0 * p * (1 - p)
    assert abs(X[:, 4].mean() - m) < 4 * np.sqrt(v / reps)
    assert X[:, 0].tolist() == [n0] * reps
    c = run_batch(death, params=[{'n0': n0, 'k': k}], n_seeds=reps, base_seed=8,
                  runtime=2.0, scheduler=client)
    assert not np.array_equal(c.X.values, X)


def test_a_failing_run_is_recorded_and_the_rest_go_on(client, tmp_path):
    ds = run_batch(decay, params=[{'k': 0.5}, {'k': -1.0}, {'k': 1.0}], runtime=1.0,
                   scheduler=client, out=tmp_path / 'f.h5')
    assert ds.error.values[0] == '' and ds.error.values[2] == ''
    assert ds.error.values[1] == \
        'FieldError: /m[0]/r[0] (Reac).Kf: expected a finite rate >= 0, got -1.0'
    assert np.isnan(ds.A.values[1]).all()
    np.testing.assert_allclose(ds.A.values[2], np.exp(-ds.time.values), rtol=1e-5)
    with h5py.File(tmp_path / 'f.h5', 'r') as f:
        assert 'FieldError' in f['runs/000001'].attrs['traceback']


def test_resume_skips_runs_on_disk(client, tmp_path):
    out = tmp_path / 'r.h5'
    grid = {'k': [0.1, 0.2, 0.3, 0.4]}
    first = run_batch(decay, grid=grid, runtime=1.0, scheduler=client, out=out)
    with h5py.File(out, 'a') as f:       # an interrupted sweep: run 2 missing
        kept = {n: float(f['runs'][n].attrs['wall_s']) for n in f['runs']}
        del f['runs/000002']
    again = run_batch(decay, grid=grid, runtime=1.0, scheduler=client, out=out)
    with h5py.File(out, 'r') as f:
        now = {n: float(f['runs'][n].attrs['wall_s']) for n in f['runs']}
    assert sorted(now) == sorted(kept)
    for n in ('000000', '000001', '000003'):
        assert now[n] == kept[n]            # not run again
    np.testing.assert_array_equal(again.A.values, first.A.values)
    with pytest.raises(BatchError, match='different sweep'):
        run_batch(decay, grid={'k': [0.9]}, runtime=1.0, scheduler=client, out=out)


def test_model_file_parameters_by_path(client, tmp_path):
    model = tmp_path / 'm.py'
    model.write_text(
        'RUNTIME = 2.0\n'
        'def build(moose, path):\n'
        '    moose.Neutral(path)\n'
        '    mesh = moose.CubeMesh(path + "/kin"); mesh.volume = 1e-18\n'
        '    a = moose.Pool(path + "/kin/a"); a.concInit = 1.0\n'
        '    b = moose.Pool(path + "/kin/b")\n'
        '    r = moose.Reac(path + "/kin/r"); r.Kf = 1.0; r.Kb = 0.0\n'
        '    moose.connect(r, "sub", a, "reac"); moose.connect(r, "prd", b, "reac")\n'
        '    ks = moose.Ksolve(path + "/kin/ks"); st = moose.Stoich(path + "/kin/st")\n'
        '    st.compartment = mesh; st.ksolve = ks; st.reacSystemPath = path + "/kin/##"\n'
        '    t = moose.Table2(path + "/t"); moose.connect(t, "requestOut", a, "getConc")\n'
        '    return {"a": t}\n')
    ds = run_batch(str(model), grid={'kin/r.Kf': [0.5, 2.0]}, scheduler=client)
    t = ds.time.values
    np.testing.assert_allclose(ds.a.values, np.exp(-ds['kin/r.Kf'].values[:, None] * t),
                               rtol=1e-5)
    prov = json.loads(ds.attrs['provenance'])
    assert prov['sweep_model']['kind'] == 'file' and len(prov['sweep_model']['sha256']) == 64
    bad = run_batch(str(model), params=[{'kin/nothere.Kf': 1.0}, {'kin/r.kf': 1.0}],
                    scheduler=client)
    assert bad.error.values[0] == \
        "MooseError: parameter 'kin/nothere.Kf': the model has no object /model/kin/nothere"
    assert "has no field 'kf'" in bad.error.values[1]


# ------------------------------------------------------------ bad input
def test_unknown_parameter_unwritable_path_unreachable_scheduler(tmp_path):
    with pytest.raises(BatchError, match=r"run 0 .*parameter 'kk' is not a parameter of "
                       r"the builder decay; its parameters: k, A0"):
        run_batch(decay, grid={'kk': [1.0]}, runtime=1.0)
    with pytest.raises(BatchError, match=r"cannot write results to .*no such folder"):
        run_batch(decay, grid={'k': [1.0]}, runtime=1.0, out=tmp_path / 'no' / 'x.h5')
    t0 = time.perf_counter()
    with pytest.raises(BatchError, match=r'cannot reach the Dask scheduler at '
                       r'tcp://127.0.0.1:1'):
        run_batch(decay, grid={'k': [1.0]}, runtime=1.0, scheduler='tcp://127.0.0.1:1',
                  timeout=1.0)
    assert time.perf_counter() - t0 < 10


def test_file_stays_readable_when_storing_fails(client, tmp_path, monkeypatch):
    out = tmp_path / 'full.h5'
    import moosepy.batch as B
    real = B._Store.write
    calls = {'n': 0}

    def failing(self, spec, res):
        calls['n'] += 1
        if calls['n'] == 3:
            raise BatchError(f'run {spec["run"]}: storing its results in {self.path!r} '
                             f'failed: [Errno 28] No space left on device')
        return real(self, spec, res)
    monkeypatch.setattr(B._Store, 'write', failing)
    with pytest.raises(BatchError, match=r'run \d+: storing .*No space left'):
        run_batch(decay, grid={'k': [0.1, 0.2, 0.3, 0.4]}, runtime=1.0, scheduler=client,
                  out=out)
    with h5py.File(out, 'r') as f:
        assert len(f['runs']) == 2
        assert 'moosepy_provenance' in f.attrs


def test_default_local_cluster_leaves_no_process_behind():
    """With no scheduler, run_batch makes a LocalCluster and closes it:
    once it returns, none of the processes it started is still running."""
    import psutil
    me = psutil.Process()

    def kids():
        out = set()
        for k in me.children(recursive=True):
            try:
                if k.is_running() and k.status() != psutil.STATUS_ZOMBIE and \
                        'resource_tracker' not in ' '.join(k.cmdline()):
                    out.add(k.pid)
            except psutil.NoSuchProcess:
                pass
        return out
    before = kids()
    ds = run_batch(decay, grid={'k': [0.5, 1.0]}, runtime=1.0, n_workers=1)
    assert ds.error.values.tolist() == ['', '']
    np.testing.assert_allclose(ds.A.values[1], np.exp(-ds.time.values), rtol=1e-5)
    assert kids() - before == set()
