"""moosepy.batch on a disk that really fills: a 1 MiB tmpfs mounted for the
test (root only; skipped where mounting is not allowed), written to as
HDF5 and as Zarr.  Oracle: each run's data are numpy's
default_rng(i).random(n), computed here; counts of the runs that executed
(marker files the builder writes in the worker)."""

import os
import subprocess
import time

import numpy as np
import pytest

pytest.importorskip('distributed')
pytest.importorskip('xarray')
pytest.importorskip('h5py')

from moosepy.batch import run_batch, load, BatchError  # noqa: E402

N = 20000           # 160 kB of incompressible samples a run; 12 runs do not fit 1 MiB


def noise(i=0):
    """Run i: N uniform samples of default_rng(i); marks each execution."""
    marks = os.environ.get('MOOSEPY_TEST_MARKS')
    if marks:
        with open(os.path.join(marks, f'{i}-{os.getpid()}-{time.time_ns()}'), 'w'):
            pass
    return {'y': np.random.default_rng(i).random(N)}


def _wait_idle(client, timeout=60.0):
    """Until the cluster runs no task (a run already executing when the
    sweep failed finishes; the queued ones were cancelled)."""
    end = time.time() + timeout
    while time.time() < end:
        if not any(client.processing().values()):
            return
        time.sleep(0.05)
    raise AssertionError('the cluster is still running tasks of the failed sweep')


def _setenv(name, value):
    os.environ[name] = value


@pytest.fixture(scope='module')
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                           dashboard_address=':0')
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / 'disk'
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip('mounting a tmpfs needs root')
    p = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(mnt)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f'cannot mount a tmpfs here: {p.stderr.strip()}')
    try:
        yield mnt
    finally:
        if subprocess.run(['umount', str(mnt)]).returncode != 0:
            subprocess.run(['umount', '-l', str(mnt)])


@pytest.mark.parametrize('suffix', ['h5', 'zarr'])
def test_a_disk_that_fills(client, small_disk, tmp_path, suffix):
    if suffix == 'zarr':
        pytest.importorskip('zarr')
    marks = tmp_path / 'marks'
    marks.mkdir()
    client.run(_setenv, 'MOOSEPY_TEST_MARKS', str(marks))
    out = small_disk / f'sweep.{suffix}'
    grid = {'i': list(range(12))}
    with pytest.raises(BatchError, match=r"run \d+ \(params \{'i': \d+\}, seed \d+\): "
                       r"storing its results in .*sweep\." + suffix + r"' failed: "
                       r"(?s:.*)No space left on device"):
        run_batch(noise, grid=grid, scheduler=client, out=out)
    _wait_idle(client)      # the runs the failed sweep cancelled, or was running, end
    ds = load(out)                      # readable, every run stored before intact
    done = [i for i in range(12) if ds.error.values[i] == '']
    assert 2 <= len(done) < 12
    for i in done:
        np.testing.assert_array_equal(ds.y.values[i], np.random.default_rng(i).random(N))
    assert all(ds.error.values[i] == 'not run' for i in range(12) if i not in done)
    # room again: the sweep resumes and runs only what is missing
    subprocess.run(['mount', '-o', 'remount,size=8m', str(small_disk)], check=True)
    n0 = len(os.listdir(marks))
    ds = run_batch(noise, grid=grid, scheduler=client, out=out)
    assert len(os.listdir(marks)) - n0 == 12 - len(done)
    assert (ds.error.values == '').all()
    for i in range(12):
        np.testing.assert_array_equal(ds.y.values[i], np.random.default_rng(i).random(N))
    np.testing.assert_array_equal(load(out).y.values, ds.y.values)
