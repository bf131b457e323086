"""Issue 15 (loaders the open issues add): moosepy.batch.load of an HDF5
file that is not a sweep file moosepy wrote (not HDF5 at all, missing,
another program's HDF5, a sweep file with a broken attribute) raises a
BatchError (a MooseError) naming the file; it raised h5py's OSError,
FileNotFoundError or KeyError, or json's JSONDecodeError, before."""

import pytest

import moosepy as moose
from moosepy.batch import BatchError, load

h5py = pytest.importorskip('h5py')


def _write(path, attrs):
    with h5py.File(path, 'w') as f:
        for k, v in attrs.items():
            f.attrs[k] = v
        f.create_group('runs')


@pytest.mark.parametrize('kind, words', [
    ('text', 'OSError'),
    ('missing', 'FileNotFoundError'),
    ('other_hdf5', "KeyError"),
    ('bad_json', 'JSONDecodeError'),
    ('bad_runs', 'TypeError'),
])
def test_not_a_sweep_file_is_a_batch_error(tmp_path, kind, words):
    f = tmp_path / 'sweep.h5'
    if kind == 'text':
        f.write_text('not HDF5')
    elif kind == 'other_hdf5':
        _write(f, {'x': 1})
    elif kind == 'bad_json':
        _write(f, {'moosepy_sweep': '{"runs": [', 'moosepy_provenance': '{}'})
    elif kind == 'bad_runs':
        _write(f, {'moosepy_sweep': '{"runs": 5}', 'moosepy_provenance': '{}'})
    with pytest.raises(BatchError) as ei:
        load(f)
    assert isinstance(ei.value, moose.MooseError)
    msg = str(ei.value)
    assert msg.startswith(f'{f}: not a sweep file moosepy can read') and words in msg, msg
