"""HDF5DataWriter, NSDFWriter, NSDFWriter2 and Streamer.

Oracles: files written by pymoose 5.0.0 from the same script (layout and
values, through tests/side_pymoose.py), analytic first-order decays for a
long batched run, and an NSDF reader written here from the format's
description (Ray et al. 2016, Neuroinformatics 14:147: uniform data are
2-D source x time datasets under /data/uniform/<population>/<variable>
whose dimension 0 carries a dimension scale naming the sources, with
attributes dt and tstart; event data are 1-D datasets of times per source
under /data/event/<population>/<variable>/, listed with references in the
compound /map/event/<population>/<variable>; static data under
/data/static), applied to both pymoose's and moosepy's files.
"""

import json
import os

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import MooseError

h5py = pytest.importorskip('h5py')

from side_pymoose import run_both  # noqa: E402


# ------------------------------------------------------- independent reader
def _s(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def read_nsdf(path):
    """{'uniform': {(pop, var): (sources, times, data)},
        'event': {(pop, var): {source: times}},
        'static': {(pop, var): (sources, data)}} from an NSDF file, going
    only by the format's description (dimension scales and references)."""
    out = {'uniform': {}, 'event': {}, 'static': {}}
    with h5py.File(path, 'r') as f:
        for kind in ('uniform', 'static'):
            base = f.get(f'data/{kind}')
            if base is None:
                continue
            found = []
            base.visititems(lambda name, obj: found.append((name, obj))
                            if isinstance(obj, h5py.Dataset) else None)
            for name, d in found:
                pop, var = name.rsplit('/', 1) if '/' in name else ('', name)
                if len(d.dims[0]):
                    smap = d.dims[0][0]
                else:
                    # MOOSE 5.0 leaves static data's scale unattached: the
                    # map is then found by its path
                    smap = f.get(f'map/{kind}/{pop}/{var}') or f[f'map/{kind}/{pop}']
                sources = [_s(x) for x in smap[()]]
                data = d[()]
                assert data.shape[0] == len(sources)
                if kind == 'uniform':
                    t = float(d.attrs['tstart']) + float(d.attrs['dt']) * \
                        np.arange(data.shape[1])
                    out[kind][(pop, var)] = (sources, t, data)
                else:
                    out[kind][(pop, var)] = (sources, data)
        emap = f.get('map/event')
        if emap is not None:
            for pop in emap:
                for var, m in emap[pop].items():
                    got = {}
                    for row in m[()]:
                        src, ref = _s(row['source']), row['data']
                        got[src] = f[ref][()]
                    out['event'][(pop, var)] = got
    return out


def provenance(path):
    with h5py.File(path, 'r') as f:
        return json.loads(_s(f.attrs['moosepy_provenance']))


# ------------------------------------------------------------ against MOOSE
HDF_SCRIPT = r'''
import sys, json, os
who = sys.argv[1]
moose = __import__('moose' if who == 'moose' else 'moosepy')
fn = os.path.join(%(tmp)r, who + '.h5')
moose.Neutral('/model')
comp = moose.Compartment('/model/c')
comp.Rm = 1e9; comp.Cm = 1e-10
w = moose.HDF5DataWriter('/model/h')
w.mode = 2
moose.connect(w, 'requestOut', comp, 'getVm')
moose.connect(w, 'requestOut', comp, 'getInitVm')
w.filename = fn
w.flushLimit = 100
w.stringAttr['note'] = 'hello'
w.doubleAttr['model[0]/c[0]/vm/scale'] = 2.5
for k in (0, 1, 2):
    moose.setClock(k, 1e-3)
moose.useClock(0, '/model/c', 'init')
moose.useClock(1, '/model/c', 'process')
moose.useClock(2, '/model/h', 'process')
moose.reinit()
comp.inject = 1e-10
moose.start(0.5)
moose.start(0.25)
w.close()
print('JSON' + json.dumps({'fn': fn}))
'''


def test_hdf5datawriter_matches_pymoose(tmp_path):
    res = run_both(HDF_SCRIPT % {'tmp': str(tmp_path)})
    with h5py.File(res['moose']['fn'], 'r') as a, h5py.File(res['moosepy']['fn'], 'r') as b:
        names_a, names_b = [], []
        a.visit(names_a.append)
        b.visit(names_b.append)
        assert sorted(names_a) == sorted(names_b) == \
            ['model[0]', 'model[0]/c[0]', 'model[0]/c[0]/initVm', 'model[0]/c[0]/vm']
        va, vb = a['model[0]/c[0]/vm'][()], b['model[0]/c[0]/vm'][()]
        assert va.shape == vb.shape == (750,)          # one sample per step, none at reinit
        np.testing.assert_allclose(vb, va, rtol=1e-10, atol=1e-13)
        np.testing.assert_array_equal(b['model[0]/c[0]/initVm'][()],
                                      a['model[0]/c[0]/initVm'][()])
        assert _s(b.attrs['note']) == _s(a.attrs['note']) == 'hello'
        assert float(b['model[0]/c[0]/vm'].attrs['scale']) == 2.5
    p = provenance(res['moosepy']['fn'])
    assert p['moosepy_version'] == moose.__version__
    assert p['wall_time_s'] >= 0 and p['host'] and p['start_time']


NSDF_SCRIPT = r'''
import sys, json, os
who = sys.argv[1]
moose = __import__('moose' if who == 'moose' else 'moosepy')
fn = os.path.join(%(tmp)r, who + '.nsdf.h5')
moose.Neutral('/model')
pulse = moose.PulseGen('/model/pulse')
pulse.level[0] = 1.0
pulse.delay[0] = 1.0
pulse.width[0] = 2.0
lead = moose.SpikeGen('/model/t_lead')
lead.threshold = 0.5
moose.connect(pulse, 'output', lead, 'Vm')
comps = moose.vec('/model/c', 3, dtype='Compartment')
nsdf = moose.NSDFWriter('/model/writer')
nsdf.filename = fn
nsdf.mode = 2
nsdf.flushLimit = 7
if who == 'moosepy':
    # MOOSE 5.0 puts the rows of a writer recording several classes in
    # the wrong datasets (measured: the PulseGen's dataset gets c[0]'s Vm);
    # moosepy's rows are checked against the pulse's shape instead
    moose.connect(nsdf, 'requestOut', pulse, 'getOutputValue')
for i, c in enumerate(comps):
    c.Rm = 1e9; c.Cm = 1e-10; c.inject = 1e-10 * (1 + i)
    moose.connect(nsdf, 'requestOut', c, 'getVm')
nsdf.eventInput.num = 1
moose.connect(lead, 'spikeOut', nsdf.eventInput[0], 'input')
for k in range(32):
    moose.setClock(k, 1e-2)
moose.reinit()
moose.start(10.0)
nsdf.close()
print('JSON' + json.dumps({'fn': fn}))
'''


def test_nsdfwriter_matches_pymoose_through_an_independent_reader(tmp_path):
    res = run_both(NSDF_SCRIPT % {'tmp': str(tmp_path)})
    a, b = read_nsdf(res['moose']['fn']), read_nsdf(res['moosepy']['fn'])
    assert set(a['uniform']) == {('Compartment', 'vm')}
    assert set(b['uniform']) == {('PulseGen', 'outputValue'), ('Compartment', 'vm')}
    _s0, tp, pulse = b['uniform'][('PulseGen', 'outputValue')]
    # level 1 from delay 1 s for width 2 s, repeating every 3 s (MOOSE's
    # PulseGen period: delay + width)
    on = ((tp + 1e-9) % 3.0 >= 1.0) & (tp > 0.5)
    np.testing.assert_array_equal(pulse[0][5:-5], on.astype(float)[5:-5])
    for key in a['uniform']:
        sa, ta, da = a['uniform'][key]
        sb, tb, db = b['uniform'][key]
        assert sa == sb
        assert da.shape == db.shape == (len(sa), 1000)
        np.testing.assert_allclose(db, da, rtol=1e-9, atol=1e-12)
        # MOOSE writes tstart 0 although its first sample is at dt; ours is dt
        np.testing.assert_allclose(tb, ta + 1e-2)
    assert a['uniform'][('Compartment', 'vm')][0] == ['/model[0]/c[0]', '/model[0]/c[1]',
                                                      '/model[0]/c[2]']
    ea, eb = a['event'][('SpikeGen', 'spikeOut')], b['event'][('SpikeGen', 'spikeOut')]
    assert list(ea) == list(eb) == ['/model[0]/t_lead[0]']
    np.testing.assert_allclose(eb['/model[0]/t_lead[0]'], ea['/model[0]/t_lead[0]'])
    np.testing.assert_allclose(eb['/model[0]/t_lead[0]'], [1.0, 4.0, 7.0, 10.0])
    # static: the compartments' coordinates
    srcs, coords = b['static'][('Compartment', 'coords')]
    assert srcs == ['/model[0]/c[0]', '/model[0]/c[1]', '/model[0]/c[2]']
    assert coords.shape == (3, 7)
    with h5py.File(res['moosepy']['fn'], 'r') as f:
        assert _s(f.attrs['nsdf_version']) == '1.0'
        assert {'tstart', 'tend', 'created', 'software', 'method'} <= set(f.attrs)
        assert _s(f['model/modeltree/model/pulse'].attrs['uid']) == '/model/pulse'
        assert _s(f['data/uniform/Compartment/vm'].attrs['unit']) == 'V'


# ------------------------------------------------- long batched runs, flat
def _decay_model(n, dt):
    mesh = moose.CubeMesh('/m')
    mesh.volume = 1e-18
    ks = np.linspace(1e-3, 5e-3, n)
    pools = []
    for i in range(n):
        a = moose.Pool(f'/m/a{i}')
        b = moose.Pool(f'/m/b{i}')
        a.concInit = 1.0 + i * 0.01
        r = moose.Reac(f'/m/r{i}')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
        r.Kf, r.Kb = ks[i], 0.0
        pools.append(a)
    ksolve = moose.Ksolve('/m/ksolve')
    st = moose.Stoich('/m/stoich')
    st.compartment = mesh
    st.ksolve = ksolve
    st.reacSystemPath = '/m/##'
    for t in list(range(10, 20)) + [30]:
        moose.setClock(t, dt)
    return pools, ks


def test_long_run_streams_every_sample_in_blocks_without_per_step_python(tmp_path,
                                                                         monkeypatch):
    """10^5 steps x 100 variables (a scaled version of the 10^6-step run in
    benchmarks/bench_writers.py): all samples on disk, equal to the analytic
    decays, written in bounded blocks, with the writer fed by the Ksolve in
    batches (no per-step Python: its _process never runs)."""
    import moosepy.core.nsdf as nsdf_mod
    monkeypatch.setattr(nsdf_mod, 'MAX_BUFFER_VALUES', 1 << 18)
    n, dt, steps = 100, 0.01, 100_000
    pools, ks = _decay_model(n, dt)
    w = moose.NSDFWriter('/m/writer')
    w.filename = str(tmp_path / 'long.nsdf')
    w.mode = 2
    w.compression = 0
    for p in pools:
        moose.connect(w, 'requestOut', p, 'getConc')
    calls = {'process': 0, 'flush_rows': []}
    orig_flush = nsdf_mod._Stream.flush

    def counting_flush(self, *a, **k):
        calls['flush_rows'].append(self.nbuf)
        return orig_flush(self, *a, **k)

    def no_process(cls, el, t, dt_):
        calls['process'] += 1
    monkeypatch.setattr(nsdf_mod._Stream, 'flush', counting_flush)
    monkeypatch.setattr(nsdf_mod.HDF5DataWriter, '_process', classmethod(no_process))
    moose.reinit()
    assert nsdf_mod.NSDFWriter._batch_role(w._el) == 'sampler'
    moose.start(steps * dt)
    assert calls['process'] == 0
    cap = (1 << 18) // n
    big = [r for r in calls['flush_rows'] if r]
    # (how many blocks depends on the machine's speed: the clock sizes its
    # chunks by wall time; 4 were seen on a fast moment of the 2-core machine)
    assert sum(big) == steps and len(big) >= 3
    # a block is at most the cap plus one solver chunk (the clock sizes
    # chunks to ~0.25 s of wall time), never the whole run
    assert max(big) < cap + 40_000
    got = read_nsdf(w.filename)['uniform'][('Pool', 'conc')]
    sources, t, data = got
    assert data.shape == (n, steps)
    assert sources[:2] == ['/m[0]/a0[0]', '/m[0]/a1[0]']
    a0 = 1.0 + 0.01 * np.arange(n)
    exact = a0[:, None] * np.exp(-ks[:, None] * t[None, :])
    np.testing.assert_allclose(data, exact, rtol=2e-5, atol=1e-9)
    w.close()


def test_python_stepped_sources(tmp_path):
    """Sources from no solver (Python-stepped compartments) make the
    writer read them at its tick; it still has every sample."""
    c = moose.Compartment('/c')
    c.Rm, c.Cm, c.Em, c.initVm = 1e8, 1e-10, -0.07, -0.07
    c.inject = 1e-10
    w = moose.HDF5DataWriter('/w')
    w.filename = str(tmp_path / 'mixed.h5')
    moose.connect(w, 'requestOut', c, 'getVm')
    for k in range(8):
        moose.setClock(k, 1e-4)
    moose.setClock(30, 1e-3)
    moose.reinit()
    moose.start(0.1)
    with h5py.File(w.filename, 'r') as f:      # readable before close
        v = f['c[0]/vm'][()]
    assert v.shape == (100,)
    tau = 1e8 * 1e-10
    t = 1e-3 * np.arange(1, 101)
    # exponential Euler is exact for a constant input
    np.testing.assert_allclose(v, -0.07 + 1e-2 * (1 - np.exp(-t / tau)), rtol=1e-9)


def test_hsolve_feeds_the_writer_in_batches(tmp_path):
    """A writer on HSolve-owned Vm is a batch sampler (stride 4 of the
    solver's dt) and holds the same samples as a Table on its tick, less
    the Table's sample at reinit."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'benchmarks'))
    import cell_models
    c = cell_models.build_cell(moose, 21)
    w = moose.HDF5DataWriter('/w')
    w.filename = str(tmp_path / 'hs.h5')
    for comp in (c['soma'], c['comps'][-1]):
        moose.connect(w, 'requestOut', comp, 'getVm')
    t = moose.Table('/tt')
    moose.connect(t, 'requestOut', c['comps'][-1], 'getVm')
    moose.setClock(30, 1e-4)
    moose.setClock(8, 1e-4)
    moose.reinit()
    assert moose.HDF5DataWriter._batch_role(w._el) == 'sampler'
    moose.start(0.02)
    with h5py.File(w.filename, 'r') as f:
        far = f[c['comps'][-1].path.lstrip('/') + '/vm'][()]
        soma = f['cell[0]/soma[0]/vm'][()]
    assert far.shape == soma.shape == (200,)
    np.testing.assert_array_equal(far, t.vector[1:])
    assert soma.max() > 0.0          # the soma fired: the samples are live


# ----------------------------------------------------------- NSDFWriter2
def test_nsdfwriter2_blocks_and_append_mode(tmp_path):
    comps = moose.vec('/cells', 4, dtype='Compartment')
    for c in comps:
        c.Rm, c.Cm, c.Em, c.initVm = 1e8, 1e-10, -0.07, -0.07
    w = moose.NSDFWriter2('/w')
    w.filename = str(tmp_path / 'b.nsdf')
    w.blocks = ['/cells[0].Vm', '/cells[2].Vm']
    w.mode = 2
    for k in range(8):
        moose.setClock(k, 1e-3)
    moose.setClock(30, 1e-3)
    moose.reinit()
    moose.start(0.05)
    w.close()
    got = read_nsdf(w.filename)['uniform'][('Compartment', 'vm')]
    assert got[0] == ['/cells[0]', '/cells[2]']
    assert got[2].shape == (2, 50)
    w.mode = 1        # append
    moose.reinit()
    moose.start(0.02)
    w.close()
    got = read_nsdf(w.filename)['uniform'][('Compartment', 'vm')]
    assert got[2].shape == (2, 70)
    with pytest.raises(moose.FieldError, match="expected 'path.field'"):
        w.blocks = ['/cells']
    w.blocks = ['/cells[0].noSuchField']
    with pytest.raises(moose.FieldError, match="no field 'noSuchField'"):
        moose.reinit()


# ------------------------------------------------------------ bad input
def test_bad_files_raise_naming_writer_and_file(tmp_path, caplog):
    c = moose.Compartment('/c')
    w = moose.HDF5DataWriter('/w')
    moose.connect(w, 'requestOut', c, 'getVm')
    w.filename = str(tmp_path / 'no' / 'such' / 'dir' / 'x.h5')
    with pytest.raises(MooseError, match=r"/w\[0\] \(HDF5DataWriter\): cannot open .*x\.h5"):
        moose.reinit()
    existing = tmp_path / 'exists.h5'
    existing.write_bytes(b'')
    w.filename = str(existing)
    w.mode = 4
    with pytest.raises(MooseError, match='exists and mode is 4'):
        moose.reinit()
    w.mode = 3
    with pytest.raises(MooseError, match=r'mode: expected 1 \(append\)'):
        moose.reinit()
    w.filename = ''
    w.mode = 2
    moose.reinit()
    assert 'filename is empty' in caplog.text
    moose.start(1.0)
    assert not w.isOpen


def test_failed_write_leaves_earlier_blocks_readable(tmp_path, monkeypatch):
    """A write that fails (a full disk) raises naming the writer, the file
    and the samples already safe, and the file still reads them back."""
    c = moose.Compartment('/c')
    w = moose.HDF5DataWriter('/w')
    w.filename = str(tmp_path / 'full.h5')
    w.mode = 2
    w.flushLimit = 10
    moose.connect(w, 'requestOut', c, 'getVm')
    for k in range(8):
        moose.setClock(k, 1e-3)
    moose.setClock(30, 1e-3)
    moose.reinit()
    moose.start(0.03)
    import moosepy.core.nsdf as nsdf_mod
    real = nsdf_mod._Stream._stamp

    def full(self):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(nsdf_mod._Stream, '_stamp', full)
    with pytest.raises(MooseError, match=r'full\.h5.*failed after \d+ samples.*No space'):
        moose.start(0.02)
    monkeypatch.setattr(nsdf_mod._Stream, '_stamp', real)
    w.close()
    with h5py.File(w.filename, 'r') as f:
        assert f['c[0]/vm'].shape[0] >= 30


# -------------------------------------------------------------- Streamer
STREAM_SCRIPT = r'''
import sys, json, os
who = sys.argv[1]
moose = __import__('moose' if who == 'moose' else 'moosepy')
fn = os.path.join(%(tmp)r, who + '.csv')
c = moose.Compartment('/c'); c.inject = 1e-9; c.Rm = 1e9; c.Cm = 1e-9
t = moose.Table('/t'); moose.connect(t, 'requestOut', c, 'getVm')
t2 = moose.Table('/u'); moose.connect(t2, 'requestOut', c, 'getInitVm')
s = moose.Streamer('/s'); s.outfile = fn; s.addTable(t); s.addTable(t2)
for k in range(9):
    moose.setClock(k, 0.1)
moose.reinit(); moose.start(25.05)
print('JSON' + json.dumps({'fn': fn, 'left': len(t.vector), 'n': s.numTables}))
'''


def test_streamer_csv_matches_pymoose(tmp_path):
    res = run_both(STREAM_SCRIPT % {'tmp': str(tmp_path)})
    a = np.loadtxt(res['moose']['fn'], skiprows=1)
    b = np.loadtxt(res['moosepy']['fn'], comments='#', skiprows=2)
    with open(res['moosepy']['fn']) as fh:
        first, header = fh.readline(), fh.readline()
    with open(res['moose']['fn']) as fh:
        assert fh.readline().split() == header.split() == ['time', 't', 'u']
    assert first.startswith('# moosepy {')
    assert json.loads(first[len('# moosepy '):])['moosepy_version'] == moose.__version__
    assert a.shape == b.shape == (252, 3)
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)
    assert res['moosepy']['left'] == res['moose']['left'] == 0
    assert res['moosepy']['n'] == 2


@pytest.mark.parametrize('fmt', ['npy', 'hdf5'])
def test_streamer_npy_and_hdf5(tmp_path, fmt):
    c = moose.Compartment('/c')
    c.inject, c.Rm, c.Cm = 1e-9, 1e9, 1e-9
    t = moose.Table('/t')
    moose.connect(t, 'requestOut', c, 'getVm')
    ref = moose.Table('/ref')
    moose.connect(ref, 'requestOut', c, 'getVm')
    s = moose.Streamer('/s')
    s.outfile = str(tmp_path / ('out.' + ('npy' if fmt == 'npy' else 'h5')))
    assert s.format == fmt
    s.addTable(t)
    for k in range(9):
        moose.setClock(k, 0.1)
    moose.reinit()
    moose.start(25.05)
    expect = ref.vector
    if fmt == 'npy':
        got = np.load(s.outfile)
        vals, times = got['t'], got['time']
        prov = json.load(open(s.outfile + '.provenance.json'))
    else:
        with h5py.File(s.outfile, 'r') as f:
            vals, times = f['t'][()], f['time'][()]
        prov = provenance(s.outfile)
    assert prov['moosepy_version'] == moose.__version__
    np.testing.assert_array_equal(vals, expect)
    np.testing.assert_allclose(times, 0.1 * np.arange(len(expect)), atol=1e-12)
    assert len(t.vector) == 0


NSDF2_SCRIPT = r'''
import sys, json, os
who = sys.argv[1]
moose = __import__('moose' if who == 'moose' else 'moosepy')
fn = os.path.join(%(tmp)r, who + '.n2.h5')
moose.Neutral('/model')
moose.Neuron('/model/elec')
for i, n in enumerate(('soma', 'dend')):
    c = moose.Compartment('/model/elec/' + n)
    c.Rm = 1e9; c.Cm = 1e-10; c.inject = 1e-10 * (i + 1)
moose.CubeMesh('/model/chem')
p = moose.Pool('/model/chem/A'); p.concInit = 0.5
w = moose.NSDFWriter2('/model/w')
w.filename = fn; w.mode = 2; w.modelRoot = ''
w.blocks = ['/model/elec/#[ISA=Compartment].Vm', '/model/chem/A.conc']
for k in range(32):
    moose.setClock(k, 1e-3)
moose.reinit(); moose.start(0.05); w.close()
print('JSON' + json.dumps({'fn': fn}))
'''


def test_nsdfwriter2_block_layout_matches_pymoose(tmp_path):
    res = run_both(NSDF2_SCRIPT % {'tmp': str(tmp_path)})
    a, b = read_nsdf(res['moose']['fn']), read_nsdf(res['moosepy']['fn'])
    keys = {('%elec/#[ISA=Compartment]', 'Vm'), ('%chem/A', 'conc')}
    assert set(a['uniform']) == set(b['uniform']) == keys
    for k in keys:
        sa, _ta, da = a['uniform'][k]
        sb, _tb, db = b['uniform'][k]
        assert sa == sb
        assert da.shape == db.shape
        np.testing.assert_allclose(db, da, rtol=1e-9, atol=1e-12)
    assert b['uniform'][('%elec/#[ISA=Compartment]', 'Vm')][0] == \
        ['/model[0]/elec[0]/soma[0]', '/model[0]/elec[0]/dend[0]']
    assert b['uniform'][('%elec/#[ISA=Compartment]', 'Vm')][2].shape == (2, 50)
    sa, ca = a['static'][('%elec/#[ISA=Compartment]', 'coords')]
    sb, cb = b['static'][('%elec/#[ISA=Compartment]', 'coords')]
    assert sa == sb and ca.shape == cb.shape == (2, 7)
    with h5py.File(res['moosepy']['fn'], 'r') as f:
        assert len(f.get('model/modeltree', {})) == 0      # modelRoot '': no tree


def test_streamer_beside_a_batched_solver_fires_only_at_its_tick(tmp_path, monkeypatch):
    """Tables of a Ksolve streamed to CSV: the Streamer runs at its tick
    (dt 10 s) and at the end of start(), the solver in chunks between; the
    file holds every sample, equal to the analytic decay."""
    from moosepy.core import streamer as st_mod
    pools, ks = _decay_model(3, 0.1)
    tabs = []
    for i, p in enumerate(pools):
        t = moose.Table2(f'/m/t{i}')
        moose.connect(t, 'requestOut', p, 'getConc')
        tabs.append(t)
    moose.setClock(18, 0.1)
    s = moose.Streamer('/m/s')
    s.outfile = str(tmp_path / 'chem.csv')
    s.addTables(tabs)
    calls = []
    real = st_mod.Streamer._process.__func__

    def counting(cls, el, t, dt):
        calls.append(t)
        return real(cls, el, t, dt)
    monkeypatch.setattr(st_mod.Streamer, '_process', classmethod(counting))
    moose.reinit()
    moose.start(1000.0)
    assert len(calls) == 100
    data = np.loadtxt(s.outfile, comments='#', skiprows=2)
    assert data.shape == (10001, 4)
    t = data[:, 0]
    np.testing.assert_allclose(t, 0.1 * np.arange(10001), atol=1e-9)
    a0 = 1.0 + 0.01 * np.arange(3)
    np.testing.assert_allclose(data[:, 1:], a0 * np.exp(-np.outer(t, ks)), rtol=2e-5)
    assert all(len(tb.vector) == 0 for tb in tabs)
