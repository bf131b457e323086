"""moosepy.batch writing to a Zarr store (``out='x.zarr'`` or
``out_format='zarr'``), on a small Dask LocalCluster (two worker processes,
shared by this module's tests).  Oracles: first-order decay A0 exp(-k t);
the same sweep written to HDF5 (what the HDF5 path stores); bit-identity
of reruns; counts of the runs that executed (marker files the builder
writes in the worker); a disk that fills, simulated in zarr's own file
writer."""

import errno
import json
import os
import time

import numpy as np
import pytest

import moosepy as moose

pytest.importorskip('distributed')
xr = pytest.importorskip('xarray')
zarr = pytest.importorskip('zarr')
h5py = pytest.importorskip('h5py')

from moosepy.batch import run_batch, load, BatchError, make_runs  # noqa: E402


# ------------------------------------------------------------ builders
# the Ksolve decay and Gsolve death builders of test_batch.py (k < 0 makes
# decay raise moosepy's FieldError inside the run)
from test_batch import decay, death  # noqa: E402,F401


def counted(k=1.0):
    """decay(k), leaving a marker file in $MOOSEPY_TEST_MARKS each time it
    executes."""
    marks = os.environ['MOOSEPY_TEST_MARKS']
    with open(os.path.join(marks, f'{k}-{os.getpid()}-{time.time_ns()}'), 'w'):
        pass
    return decay(k)


def _setenv(name, value):
    os.environ[name] = value


def set_marks(client, folder):
    """Make *folder* the workers' marker folder; returns a counter of the
    executions so far."""
    os.mkdir(folder)
    client.run(_setenv, 'MOOSEPY_TEST_MARKS', str(folder))
    return lambda: len(os.listdir(folder))


def ramp(n=3):
    """No simulation: y = 0, 1, ..., n-1 (a recording whose length is the
    parameter) and the scalar s = n; marks each execution."""
    marks = os.environ.get('MOOSEPY_TEST_MARKS')
    if marks:
        with open(os.path.join(marks, f'{n}-{os.getpid()}-{time.time_ns()}'), 'w'):
            pass
    return {'y': np.arange(n, dtype=float), 's': float(n)}


@pytest.fixture(scope='module')
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=':0')
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def info(path):
    """runs/info of a store: {run: record} for the complete runs."""
    g = zarr.open_group(str(path), mode='r', use_consolidated=False)
    return {i: json.loads(str(s)) for i, s in enumerate(g['runs/info'][...]) if s}


PARAMS = [{'k': 0.5, 'A0': 1.0}, {'k': -1.0, 'A0': 1.0}, {'k': 1.0, 'A0': 2.0},
          {'k': 2.0, 'A0': 0.5}]
ERR1 = 'FieldError: /m[0]/r[0] (Reac).Kf: expected a finite rate >= 0, got -1.0'


# ------------------------------------------------------------ the store
def test_zarr_store_is_the_dataset_and_holds_what_hdf5_holds(client, tmp_path,
                                                             monkeypatch):
    zpath, hpath = tmp_path / 'sweep.zarr', tmp_path / 'sweep.h5'
    import moosepy.batch as B
    real, seen = B._ZarrStore.write, []

    def write(self, spec, res):
        # incremental: when a run arrives, every run before it is on disk
        # already, read back by another reader
        seen.append(len(info(zpath)))
        real(self, spec, res)
        seen.append(len(info(zpath)))
    monkeypatch.setattr(B._ZarrStore, 'write', write)
    ds = run_batch(decay, params=PARAMS, runtime=2.0, scheduler=client, out=zpath)
    assert seen == [0, 1, 1, 2, 2, 3, 3, 4]
    dh = run_batch(decay, params=PARAMS, runtime=2.0, scheduler=client, out=hpath)
    z = xr.open_zarr(zpath)               # what a user of xarray/Dask opens
    assert z.A.dims == ('run', 'time') and z.sizes['time'] == 21
    assert z.A.chunks[0] == (1, 1, 1, 1)   # one run per chunk
    t = z.time.values
    np.testing.assert_allclose(t, 0.1 * np.arange(21))
    ok = np.array([0, 2, 3])
    exact = z.A0.values[ok, None] * np.exp(-z.k.values[ok, None] * t)
    np.testing.assert_allclose(z.A.values[ok], exact, rtol=1e-5)
    # the failing run: recorded with its error, its row NaN, the rest went on
    assert z.error.values.tolist() == ['', ERR1, '', '']
    assert np.isnan(z.A.values[1]).all()
    rec = info(zpath)
    assert sorted(rec) == [0, 1, 2, 3]
    assert 'FieldError' in rec[1]['traceback'] and rec[1]['error'] == ERR1
    assert rec[2]['params'] == {'k': 1.0, 'A0': 2.0}
    assert rec[2]['seed'] == int(z.seed.values[2])
    # the same data as the HDF5 path (wall_s: each execution's own time)
    h = load(hpath)
    xr.testing.assert_equal(z.drop_vars('wall_s').compute(), h.drop_vars('wall_s'))
    xr.testing.assert_equal(load(zpath), ds)          # what run_batch returned
    assert load(zpath).attrs.keys() == dh.attrs.keys() == {'provenance', 'parameters'}
    # the same provenance attributes as the HDF5 file, at the store's root
    with h5py.File(hpath, 'r') as f:
        h5attrs = set(f.attrs)
    assert h5attrs <= set(z.attrs)
    prov = json.loads(z.attrs['moosepy_provenance'])
    assert prov == json.loads(z.attrs['provenance'])
    assert z.attrs['moosepy_version'] == prov['moosepy_version'] == moose.__version__
    assert prov['sweep_model']['name'].endswith('decay')
    assert prov['wall_time_s'] > 0 and prov['host'] and prov['start_time']
    assert prov['run_seeds'] == {str(r['run']): r['seed'] for r in make_runs(params=PARAMS)}
    assert z.attrs['moosepy_sweep_key'] == h5py.File(hpath, 'r').attrs['moosepy_sweep_key']


def test_explicit_format_and_names_with_slashes(client, tmp_path):
    """out_format='zarr' on a path without the suffix; a model file's
    'relative/path.field' parameter (a '/' in a name: '|' in the store)."""
    model = tmp_path / 'm.py'
    model.write_text(
        'RUNTIME = 1.0\n'
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
        '    return {"a/conc": t}\n')
    out = tmp_path / 'store'
    ds = run_batch(str(model), grid={'kin/r.Kf': [0.5, 2.0]}, scheduler=client, out=out,
                   out_format='zarr')
    assert (out / 'zarr.json').exists()
    z = xr.open_zarr(out)
    assert set(z.coords) >= {'kin|r.Kf'} and 'a|conc' in z
    back = load(out)
    xr.testing.assert_equal(back, ds)
    kf = back['kin/r.Kf'].values
    np.testing.assert_allclose(back['a/conc'].values, np.exp(-kf[:, None] * back.time.values),
                               rtol=1e-5)
    with pytest.raises(BatchError, match="out_format: expected 'hdf5' or 'zarr', got 'npz'"):
        run_batch(decay, grid={'k': [1.0]}, runtime=1.0, out=tmp_path / 'x', out_format='npz')


def test_cli_sweep_writes_zarr(client, tmp_path, capsys):
    from moosepy import cli
    model = tmp_path / 'decay.py'
    model.write_text(
        'RUNTIME = 1.0\n'
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
    addr = client.scheduler.address
    for out, fmt in ((tmp_path / 's.zarr', []), (tmp_path / 'plain', ['--format', 'zarr'])):
        rc = cli.main(['sweep', str(model), '--param', 'kin/r.Kf=0.5,2', '--seeds', '2',
                       '--out', str(out), '--scheduler', addr] + fmt)
        assert rc == 0
        cap = capsys.readouterr()
        assert f'wrote    : {out}' in cap.out
        bars = cap.err.split('\r')                             # the progress bar
        assert 'moosepy sweep: [' + '#' * 30 + '] 4/4 runs done' in bars[-1]
        assert any('[' + '#' * 15 + '.' * 15 + '] 2/4 runs done' in b for b in bars)
        z = xr.open_zarr(out)
        kf = z['kin|r.Kf'].values
        assert kf.tolist() == [0.5, 0.5, 2, 2]
        np.testing.assert_allclose(z.a.values, np.exp(-kf[:, None] * z.time.values),
                                   rtol=1e-5)


def test_seeded_ensemble_to_zarr_is_bit_identical(client, tmp_path):
    reps = 12
    kw = dict(params=[{'n0': 100, 'k': 1.0}], n_seeds=reps, base_seed=7, runtime=2.0,
              scheduler=client)
    run_batch(death, out=tmp_path / 'a.zarr', **kw)
    run_batch(death, out=tmp_path / 'b.zarr', **kw)
    run_batch(death, out=tmp_path / 'c.h5', **kw)
    a, b = xr.open_zarr(tmp_path / 'a.zarr'), xr.open_zarr(tmp_path / 'b.zarr')
    Xa = a.X.values
    assert Xa.shape == (reps, 9)
    assert np.array_equal(Xa, b.X.values)                  # bit-identical
    assert a.seed.values.tolist() == b.seed.values.tolist()
    assert len({tuple(r) for r in Xa}) == reps              # independent streams
    assert Xa[:, 0].tolist() == [100] * reps
    assert np.array_equal(Xa, load(tmp_path / 'c.h5').X.values)   # = the HDF5 path


def test_resume_runs_only_what_is_not_in_the_store(client, tmp_path):
    n_marks = set_marks(client, tmp_path / 'marks')
    out = tmp_path / 'r.zarr'
    grid = {'k': [0.1, 0.2, 0.3, 0.4, 0.5]}
    first = run_batch(counted, grid=grid, runtime=1.0, scheduler=client, out=out)
    assert n_marks() == 5
    before = info(out)
    # an interrupted sweep: runs 1 and 3 never finished storing
    g = zarr.open_group(str(out), mode='r+', use_consolidated=False)
    g['runs/info'][1] = ''
    g['runs/info'][3] = ''
    again = run_batch(counted, grid=grid, runtime=1.0, scheduler=client, out=out)
    assert n_marks() == 5 + 2                   # only runs 1 and 3 executed
    now = info(out)
    for i in (0, 2, 4):
        assert now[i] == before[i]              # untouched: same wall time, pid
    assert sorted(now) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(again.A.values, first.A.values)
    np.testing.assert_array_equal(xr.open_zarr(out).A.values, first.A.values)
    # complete: nothing runs
    run_batch(counted, grid=grid, runtime=1.0, scheduler=client, out=out)
    assert n_marks() == 7
    # resume=False writes it anew
    run_batch(counted, grid=grid, runtime=1.0, scheduler=client, out=out, resume=False)
    assert n_marks() == 12
    with pytest.raises(BatchError, match='different sweep'):
        run_batch(counted, grid={'k': [0.9]}, runtime=1.0, scheduler=client, out=out)


# ------------------------------------------------------------ bad input
def test_unwritable_paths(tmp_path):
    with pytest.raises(BatchError, match=r"cannot write results to .*no such folder"):
        run_batch(decay, grid={'k': [1.0]}, runtime=1.0, out=tmp_path / 'no' / 'x.zarr')
    (tmp_path / 'f.zarr').write_text('not a store')
    with pytest.raises(BatchError, match=r"f\.zarr': it is a file, not a Zarr store"):
        run_batch(decay, grid={'k': [1.0]}, runtime=1.0, out=tmp_path / 'f.zarr')
    other = tmp_path / 'mine.zarr'
    other.mkdir()
    (other / 'notes.txt').write_text('keep me')
    with pytest.raises(BatchError, match=r'the folder exists and is not a Zarr store'):
        run_batch(decay, grid={'k': [1.0]}, runtime=1.0, out=other, resume=False)
    assert os.listdir(other) == ['notes.txt']
    plain = tmp_path / 'plain.zarr'             # a Zarr store moosepy did not write
    xr.Dataset({'v': ('x', [1.0])}).to_zarr(plain, consolidated=False)
    with pytest.raises(BatchError, match='not a moosepy sweep store'):
        run_batch(decay, grid={'k': [1.0]}, runtime=1.0, out=plain)
    with pytest.raises(BatchError, match='not one written by moosepy.batch'):
        load(plain)


def test_store_stays_readable_when_the_disk_fills(client, tmp_path, monkeypatch):
    """From the third run's storing on, every file zarr writes fails with
    ENOSPC after its first one (a run half stored): a clear error naming
    the run; the two runs stored before read back whole; a resumed sweep
    runs only the rest."""
    n_marks = set_marks(client, tmp_path / 'marks')
    import moosepy.batch as B
    import zarr.storage._local as L
    out = tmp_path / 'full.zarr'
    real_put, real_write = L._put, B._ZarrStore.write
    state = {'writes': 0, 'puts': 0}

    def put(path, value, exclusive=False):
        if state['writes'] >= 3:
            state['puts'] += 1
            if state['puts'] > 1:
                raise OSError(errno.ENOSPC, 'No space left on device', str(path))
        return real_put(path, value, exclusive=exclusive)

    def write(self, spec, res):
        state['writes'] += 1
        return real_write(self, spec, res)
    monkeypatch.setattr(L, '_put', put)
    monkeypatch.setattr(B._ZarrStore, 'write', write)
    grid = {'k': [0.1, 0.2, 0.3, 0.4]}
    with pytest.raises(BatchError, match=r"run \d \(params \{'k': 0\.\d\}, seed \d+\): "
                       r"storing its results in .*full\.zarr' failed: OSError: .*"
                       r"No space left on device.*; the runs stored before are intact"):
        run_batch(counted, grid=grid, runtime=1.0, scheduler=client, out=out)
    monkeypatch.setattr(L, '_put', real_put)
    done = info(out)
    assert len(done) == 2
    z = xr.open_zarr(out)                       # as a user opens it
    for i in done:
        np.testing.assert_allclose(z.A.values[i], np.exp(-z.k.values[i] * z.time.values),
                                   rtol=1e-5)
        assert z.error.values[i] == ''
    rest = [i for i in range(4) if i not in done]
    assert [z.error.values[i] for i in rest] == ['not run', 'not run']
    assert json.loads(z.attrs['moosepy_provenance'])['moosepy_version'] == moose.__version__
    n0 = n_marks()
    ds = run_batch(counted, grid=grid, runtime=1.0, scheduler=client, out=out)
    assert n_marks() == n0 + 2
    assert (ds.error.values == '').all()
    np.testing.assert_allclose(ds.A.values, np.exp(-ds.k.values[:, None] * ds.time.values),
                               rtol=1e-5)
    xr.testing.assert_equal(load(out), ds)


def test_runs_of_different_lengths_and_an_interrupted_rewrite(client, tmp_path):
    """Recordings of different lengths (the arrays grow as longer runs
    arrive, whatever their order) are stored padded with NaN, as the HDF5
    path gives them; a store whose root was being written anew when the
    sweep stopped (layout_ok false) has every run executed again."""
    n_marks = set_marks(client, tmp_path / 'marks')
    ns = [3, 5, 2, 4]
    out = tmp_path / 'len.zarr'
    ds = run_batch(ramp, grid={'n': ns}, scheduler=client, out=out)
    h = run_batch(ramp, grid={'n': ns}, scheduler=client, out=tmp_path / 'len.h5')
    assert n_marks() == 8
    z = xr.open_zarr(out)
    want = np.full((4, 5), np.nan)
    for i, n in enumerate(ns):
        want[i, :n] = np.arange(n)
    np.testing.assert_array_equal(z.y.values, want)
    np.testing.assert_array_equal(z.s.values, ns)
    assert z.y.dims == ('run', 'time') and z.time.attrs['units'] == 'sample'
    xr.testing.assert_equal(z.drop_vars('wall_s').compute(), load(tmp_path / 'len.h5')
                            .drop_vars('wall_s'))
    xr.testing.assert_equal(load(out), ds)
    assert all(r['shapes'] == {'y': [n], 's': []} for r, n in
               zip((info(out)[i] for i in range(4)), ns))
    xr.testing.assert_equal(h.drop_vars('wall_s'), ds.drop_vars('wall_s'))
    g = zarr.open_group(str(out), mode='r+', use_consolidated=False)
    g['runs'].attrs['layout_ok'] = False
    again = run_batch(ramp, grid={'n': ns}, scheduler=client, out=out)
    assert n_marks() == 12
    xr.testing.assert_equal(again.drop_vars('wall_s'), ds.drop_vars('wall_s'))
    xr.testing.assert_equal(load(out), again)


def test_store_grows_when_a_longer_run_arrives(tmp_path, monkeypatch):
    """The store alone, runs arriving in the order 3, 5, 2 samples: the root
    is written anew for the first run and for the longer one, not for the
    shorter; each state reads back as the HDF5 path's dataset would."""
    import moosepy.batch as B
    from moosepy.core.provenance import collect
    rewrites = []
    real = B._ZarrStore._rewrite
    monkeypatch.setattr(B._ZarrStore, '_rewrite',
                        lambda self, key: (rewrites.append(key), real(self, key)))
    runs = make_runs(grid={'n': [3, 5, 2]})
    out = tmp_path / 'grow.zarr'
    st = B._ZarrStore(out, {'test': 1}, collect(), True, runs)
    got = []
    for i in (0, 1, 2):
        n = runs[i]['params']['n']
        res = {'run': i, 'values': {'y': np.arange(n, dtype=float)}, 'dt': {'y': 0.0},
               'error': '', 'wall_s': 0.5, 'host': 'h', 'pid': 1}
        st.write(runs[i], res)
        got.append(len(rewrites))
        z = xr.open_zarr(out)
        assert z.y.shape == (3, 3 if i == 0 else 5)
        np.testing.assert_array_equal(z.y.values[i, :n], np.arange(n))
    assert got == [1, 2, 2]
    st.close(collect())
    y = load(out).y.values
    np.testing.assert_array_equal(y[0], [0, 1, 2, np.nan, np.nan])
    np.testing.assert_array_equal(y[2], [0, 1, np.nan, np.nan, np.nan])
