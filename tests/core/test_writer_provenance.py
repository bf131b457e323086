"""Provenance in the writers' files (issue 16 item 2): the model's source
files with their SHA-256 (hashlib here is the oracle), each solver's
method and tolerances, the seeds, start and wall time, host and version,
in an NSDFWriter's file and in a Streamer's HDF5 and NPY outputs."""

import hashlib
import json
import os
import socket

import numpy as np
import pytest

import moosepy as moose

h5py = pytest.importorskip('h5py')


def _model(tmp_path):
    """A -> B in a Ksolve (rk5, tolerances set here) and X -> Y in a
    Gsolve with its own seed, described by a model file beside them."""
    src = tmp_path / 'decays.g'
    src.write_text('// the model these files record: A -> B (Ksolve), X -> Y (Gsolve)\n')
    moose.seed(4321)
    out = {}
    for name, solver in (('k', 'Ksolve'), ('g', 'Gsolve')):
        mesh = moose.CubeMesh(f'/{name}')
        mesh.volume = 1e-18
        a = moose.Pool(f'/{name}/a')
        b = moose.Pool(f'/{name}/b')
        a.nInit = 100
        r = moose.Reac(f'/{name}/r')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
        r.Kf, r.Kb = 1.0, 0.0
        s = getattr(moose, solver)(f'/{name}/solver')
        if solver == 'Ksolve':
            s.method = 'rk5'
            s.epsAbs, s.epsRel = 1e-9, 1e-7
        else:
            s.seed = 99
        st = moose.Stoich(f'/{name}/stoich')
        st.compartment = mesh
        st.ksolve = s
        st.reacSystemPath = f'/{name}/##'
        out[name] = a
    for t in list(range(10, 20)) + [30]:
        moose.setClock(t, 0.1)
    return src, out


def _check(prov, src=None):
    assert prov['moosepy_version'] == moose.__version__
    assert prov['host'] == socket.gethostname()
    assert prov['start_time'] and prov['wall_time_s'] >= 0
    assert prov['global_seed'] == 4321
    by_class = {s['class']: s for s in prov['solvers']}
    assert by_class['Ksolve']['method'] == 'rk5'
    assert by_class['Ksolve']['epsAbs'] == 1e-9 and by_class['Ksolve']['epsRel'] == 1e-7
    assert by_class['Gsolve']['seed'] == 99
    if src is not None:
        want = {'kind': 'file', 'name': os.path.abspath(src),
                'sha256': hashlib.sha256(src.read_bytes()).hexdigest()}
        assert want in prov['model_sources']


def test_nsdf_file_records_sources_solvers_seeds(tmp_path):
    src, pools = _model(tmp_path)
    w = moose.NSDFWriter('/w')
    w.filename = str(tmp_path / 'out.nsdf')
    w.mode = 2
    w.modelFileNames = str(src)
    for a in pools.values():
        moose.connect(w, 'requestOut', a, 'getN')
    moose.reinit()
    moose.start(1.0)
    w.close()
    with h5py.File(w.filename, 'r') as f:
        prov = json.loads(f.attrs['moosepy_provenance'])
        methods = [m.decode() if isinstance(m, bytes) else str(m) for m in f.attrs['method']]
    _check(prov, src)
    assert 'Ksolve rk5' in methods


@pytest.mark.parametrize('fmt', ['h5', 'npy'])
def test_streamer_outputs_record_solvers_seeds(tmp_path, fmt):
    _, pools = _model(tmp_path)
    t = moose.Table2('/t')
    moose.connect(t, 'requestOut', pools['g'], 'getN')
    s = moose.Streamer('/s')
    s.outfile = str(tmp_path / f'out.{fmt}')
    s.addTable(t)
    moose.reinit()
    moose.start(1.0)
    if fmt == 'npy':
        assert len(np.load(s.outfile)['t']) > 0
        prov = json.load(open(s.outfile + '.provenance.json'))
    else:
        with h5py.File(s.outfile, 'r') as f:
            prov = json.loads(f.attrs['moosepy_provenance'])
    _check(prov)
