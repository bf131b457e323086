"""Morphology readers against independent computations from the raw files
(numpy) and against NEURON's segment table of the granule cell."""

import math
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.electrical.morphology import read_swc, read_p, segment_table, Neuron
from moosepy.core.msg import links

SHARED = Path(__file__).resolve().parents[2].parent / 'shared'
SWC = SHARED / 'models-ref' / 'swc'
GP = SHARED / 'models-ref' / 'genesis-p'
NRN = SHARED / 'reference' / 'neuron' / 'branched_notab_seglen10.npz'

pytestmark = pytest.mark.skipif(not SWC.is_dir(), reason='../shared/models-ref absent')

# the original files only (never files a tool may have written beside them)
SWC_FILES = sorted(p for p in SWC.glob('*.swc') if p.name.count('.') == 2)


def _raw(path):
    a = np.loadtxt(path, comments='#', ndmin=2)
    ids = a[:, 0].astype(int)
    pos = {i: k for k, i in enumerate(ids)}
    par = np.array([pos.get(int(p), -1) for p in a[:, 6]])
    return a[:, 1].astype(int), a[:, 2:5], a[:, 5], par


def _parent_comp(c):
    """The compartment linked to c's 'raxial' port (its parent), or None."""
    for other, _, _, forward in links(c._el, 'raxial'):
        return other
    return None


def _moose_convention_totals(path):
    """Total area and length of MOOSE's one-compartment-per-point reading,
    straight from the file: soma = cylinder 2r x 2r; every other point a
    cylinder of its own radius from its parent (soma points merged into the
    root point)."""
    t, xyz, r, par = _raw(path)
    root = int(np.nonzero(par < 0)[0][0])
    area = 4 * math.pi * r[root] ** 2
    length = 2 * r[root]
    for k in range(len(t)):
        if k == root or t[k] == 1:
            continue
        p = par[k]
        if t[p] == 1:
            p = root
        L = np.linalg.norm(xyz[k] - xyz[p])
        if L < 1e-2:
            continue
        area += 2 * math.pi * r[k] * L
        length += L
    return area * 1e-12, length * 1e-6


def _frustum_totals(path, RA):
    """NEURON's geometry: frustums along every parent->child edge whose
    parent is not the soma, plus the soma's 4 pi r^2; total axial
    resistance sum 4 RA h / (pi d1 d2)."""
    t, xyz, r, par = _raw(path)
    root = int(np.nonzero(par < 0)[0][0])
    area = 4 * math.pi * r[root] ** 2
    ra = 0.0
    for k in range(len(t)):
        p = par[k]
        if k == root or t[k] == 1 or t[p] == 1:
            continue
        h = np.linalg.norm(xyz[k] - xyz[p])
        area += math.pi * (r[k] + r[p]) * math.sqrt(h * h + (r[k] - r[p]) ** 2)
        ra += 4 * RA * h * 1e-6 / (math.pi * 4 * r[k] * r[p] * 1e-12)
    return area * 1e-12, ra


@pytest.mark.parametrize('path', SWC_FILES, ids=lambda p: p.name)
def test_swc_area_length_and_passive_values(path):
    RM, RA, CM = 2.0, 1.5, 0.012
    cell = read_swc(path, '/cell', RM=RM, RA=RA, CM=CM)
    assert isinstance(cell, Neuron) and cell.className == 'Neuron'
    comps = cell.compartments
    area = np.array([math.pi * c.diameter * c.length for c in comps])
    A, L = _moose_convention_totals(path)
    assert area.sum() == pytest.approx(A, rel=1e-9)
    assert sum(c.length for c in comps) == pytest.approx(L, rel=1e-9)
    for c, a in zip(comps, area):
        assert c.Rm == pytest.approx(RM / a, rel=1e-12)
        assert c.Cm == pytest.approx(CM * a, rel=1e-12)
        assert c.Ra == pytest.approx(RA * c.length / (math.pi * (c.diameter / 2) ** 2), rel=1e-12)
        assert c.length == pytest.approx(math.dist((c.x0, c.y0, c.z0), (c.x, c.y, c.z)),
                                         rel=1e-9)
    assert comps[0].name == 'soma'
    assert cell.numCompartments == len(comps)


@pytest.mark.parametrize('path', SWC_FILES[:3], ids=lambda p: p.name)
@pytest.mark.parametrize('seglen', [5e-6, 20e-6])
def test_swc_compartmentalised_totals(path, seglen):
    RA = 1.2
    cell = read_swc(path, '/cell', RM=1.0, RA=RA, CM=0.01, length=seglen)
    segs = segment_table(cell)
    A, R = _frustum_totals(path, RA)
    assert sum(s.area for s in segs) == pytest.approx(A, rel=1e-9)
    soma_ra = sum(s.Ra for s in segs if s.swc_type == 1)
    assert sum(s.Ra for s in segs) - soma_ra == pytest.approx(R, rel=1e-9)
    comps = {c.name: c for c in cell.compartments}
    assert len(comps) == len(segs)
    for s in segs:
        c = comps[s.name]
        assert c.Ra == pytest.approx(s.Ra, rel=1e-12) and c.length <= seglen * (1 + 1e-9)


def test_swc_parent_structure_follows_file():
    path = SWC / 'h10.CNG.swc'
    cell = read_swc(path, '/cell')
    t, xyz, r, par = _raw(path)
    segs = segment_table(cell)
    byname = {c.name: c for c in cell.compartments}
    comps = [byname[s.name] for s in segs]
    # compartment k ends on SWC point swc_id; its parent compartment ends on
    # the SWC parent point (soma points count as the soma)
    by_id = {s.extra['swc_id']: c for s, c in zip(segs, comps)}
    root = int(np.nonzero(par < 0)[0][0])
    checked = 0
    for k in range(len(t)):
        if t[k] == 1:
            continue
        c = by_id[k + 1]
        p = par[k]
        want = by_id[root + 1] if t[p] == 1 else by_id[p + 1]
        assert _parent_comp(c) is want._el
        assert np.allclose([c.x, c.y, c.z], xyz[k] * 1e-6)
        checked += 1
    assert checked == len(comps) - 1
    assert _parent_comp(comps[0]) is None


def test_loadmodel_dispatches_swc():
    cell = moose.loadModel(str(SWC / 'mp_ma_40984_gc2.CNG.swc'), '/gc')
    assert moose.element('/gc').className == 'Neuron'
    assert len(moose.wildcardFind('/gc/##[ISA=Compartment]')) == 353
    assert cell.compartmentsFromExpression['dend0#'][0].name == 'dend0'


@pytest.mark.skipif(not NRN.exists(), reason='NEURON reference absent')
def test_granule_cell_matches_neuron_segment_table():
    """Built from the SWC with NEURON's parameters (Ra 100 ohm cm = 1 ohm m,
    cm 1 uF/cm2, g_pas 5e-5 S/cm2 -> RM 2 ohm m2, 10 um segments): every
    compartment's area and axial resistance halves equal NEURON's segment
    area and seg.ri() (this node -> parent node), and the tree is NEURON's.
    Tolerance 1e-6 relative: NEURON stores its 3-D points in single
    precision (eps 6e-8; the largest differences seen are 8e-8)."""
    ref = np.load(NRN)
    cell = read_swc(SWC / 'mp_ma_40984_gc2.CNG.swc', '/gc', RM=2.0, RA=1.0, CM=0.01,
                    length=10e-6)
    segs = segment_table(cell)
    byname = {c.name: c for c in cell.compartments}
    comps = [byname[s.name] for s in segs]
    assert len(comps) == len(ref['seg_area_um2']) == 192
    name_of = {c._el: c.name for c in comps}
    index = {c.name: k for k, c in enumerate(comps)}
    ps, sec_of = ref['pt3d_sec'], ref['seg_sec']
    # NEURON section -> my compartments, matched by the section's last point
    ends = {}
    for k, s in enumerate(segs):
        ends.setdefault(s.section, []).append(k)
    by_end = {tuple(np.round(np.array(segs[v[-1]].x1) * 1e6, 3)): sec for sec, v in ends.items()}
    mine_of_sec = {}
    for s in range(len(ref['sec_name'])):
        m = ps == s
        last = (ref['pt3d_x'][m][-1], ref['pt3d_y'][m][-1], ref['pt3d_z'][m][-1])
        mine_of_sec[s] = ends[0 if s == 0 else by_end[tuple(np.round(last, 3))]]
    for s, idx in mine_of_sec.items():
        rs = np.nonzero(sec_of == s)[0]
        assert len(idx) == len(rs) == ref['sec_nseg'][s]
        area = np.array([segs[i].area for i in idx]) * 1e12
        assert np.allclose(area, ref['seg_area_um2'][rs], rtol=1e-6, atol=0)
        assert np.allclose([comps[i].Rm for i in idx], 2.0 / (area * 1e-12), rtol=1e-6)
        prox = np.array([segs[i].ra_prox for i in idx])
        dist = np.array([segs[i].ra_dist for i in idx])
        ri = np.r_[prox[0], dist[:-1] + prox[1:]] / 1e6
        assert np.allclose(ri, ref['seg_ri_MOhm'][rs], rtol=1e-6, atol=0)
        assert dist[-1] / 1e6 == pytest.approx(ref['sec_ri1_MOhm'][s], rel=1e-6)
        assert np.allclose([comps[i].Ra for i in idx], prox + dist, rtol=1e-12)
        # tree: first compartment hangs on the parent section's x=1 end, or
        # on soma(0.5) (the middle soma compartment)
        if s == 0:
            assert _parent_comp(comps[idx[0]]) is None
            continue
        psec = list(ref['sec_name']).index(ref['sec_parent'][s])
        pidx = mine_of_sec[psec]
        want = pidx[len(pidx) // 2] if ref['sec_parent_x'][s] == 0.5 else pidx[-1]
        assert name_of[_parent_comp(comps[idx[0]])] == comps[want].name
        for a, b in zip(idx[:-1], idx[1:]):
            assert _parent_comp(comps[b]) is comps[a]._el
    assert index['soma_1'] == 1


# ------------------------------------------------------------------ .p files
def _p_oracle(path):
    """name -> (length, dia) from a *relative *cartesian .p file (µm)."""
    ends, out, last = {}, {}, None
    for line in open(path):
        s = line.split('//')[0].strip()
        if not s or s.startswith('*'):
            continue
        tok = s.split()
        name, parent = tok[0], tok[1]
        x, y, z, d = map(float, tok[2:6])
        if parent == '.':
            parent = last
        base = np.zeros(3) if parent == 'none' else ends[parent]
        ends[name] = base + [x, y, z]
        out[name] = (math.sqrt(x * x + y * y + z * z) * 1e-6, d * 1e-6)
        last = name
    return out


@pytest.mark.parametrize('fname', ['branching.p', 'ca1_minimal.p'])
def test_p_file_geometry_and_passive_values(fname):
    cell = read_p(GP / fname, '/cell')
    ora = _p_oracle(GP / fname)
    comps = {c.name: c for c in cell.compartments}
    assert set(comps) == set(ora)
    RM, RA, CM = 1.0, 1.0, 0.03      # both files' *set_global values
    for name, (L, d) in ora.items():
        c = comps[name]
        assert c.length == pytest.approx(L, rel=1e-12)
        assert c.diameter == pytest.approx(d, rel=1e-12)
        a = math.pi * d * L
        assert c.Rm == pytest.approx(RM / a, rel=1e-12)
        assert c.Cm == pytest.approx(CM * a, rel=1e-12)
        assert c.Ra == pytest.approx(4 * RA * L / (math.pi * d * d), rel=1e-12)
        assert c.Em == -0.06 and c.initVm == -0.06
    # ca1: dend_3 is the root, '.' chains to the previous line
    if fname == 'ca1_minimal.p':
        assert _parent_comp(comps['dend_5']) is comps['dend_3']._el
        assert _parent_comp(comps['soma']) is comps['dend_8']._el
        assert _parent_comp(comps['apical_14_2']) is comps['apical_14_1']._el


def test_p_symmetric_and_compt_params():
    cell = read_p(GP / 'symcomp.p', '/cell')
    d1 = moose.element('/cell/d1')
    assert d1.className == 'SymCompartment'
    L, d = 50e-6, 10e-6
    a = math.pi * d * L
    assert d1.Rm == pytest.approx(0.15707963267948968 / a)
    assert d1.Ra == pytest.approx(4 * 15.707963267948967 * L / (math.pi * d * d))
    assert d1.Cm == pytest.approx(0.06366197723675814 * a)
    assert [o.name for o, _, _, fwd in links(d1._el, 'proximal')] == ['soma']
    assert cell.numCompartments == 3


def test_p_channels_from_library():
    from moosepy.electrical.channels import HHChannel, CaConc
    moose.Neutral('/library')
    for ch in ('Na', 'Ca', 'K_DR', 'K_A'):
        c = HHChannel('/library/' + ch)
        c.Xpower = 1
    CaConc('/library/Ca_conc').thick = 0.0
    read_p(GP / 'soma.p', '/cell')
    soma = moose.element('/cell/soma')
    L = d = 12e-6
    area = math.pi * d * L
    for ch, dens in (('Na', 300), ('Ca', 50), ('K_DR', 250), ('K_A', 200)):
        c = moose.element('/cell/soma/' + ch)
        assert c.Gbar == pytest.approx(dens * area, rel=1e-12)
        assert [o.name for o, _, _, _ in links(c._el, 'channel')] == ['soma']
    assert moose.element('/cell/soma/Ca_conc').B == pytest.approx(1e13)
    assert soma.Rm == pytest.approx(1.0 / area)


def _hh_rates(v):
    """NEURON's hh.mod rates (exact, 6.3 degC) at v [V]: (alpha, beta) in
    1/s for m, h, n."""
    vm = np.asarray(v) * 1e3
    with np.errstate(all='ignore'):
        am = np.where(np.abs(vm + 40) < 1e-6, 1.0, 0.1 * (vm + 40) / (1 - np.exp(-(vm + 40) / 10)))
        an = np.where(np.abs(vm + 55) < 1e-6, 0.1,
                      0.01 * (vm + 55) / (1 - np.exp(-(vm + 55) / 10)))
    bm = 4 * np.exp(-(vm + 65) / 18)
    ah = 0.07 * np.exp(-(vm + 65) / 20)
    bh = 1 / (1 + np.exp(-(vm + 35) / 10))
    bn = 0.125 * np.exp(-(vm + 65) / 80)
    return [(am * 1e3, bm * 1e3), (ah * 1e3, bh * 1e3), (an * 1e3, bn * 1e3)]


@pytest.mark.skipif(not NRN.exists(), reason='NEURON reference absent')
def test_granule_cell_from_swc_spikes_as_neuron():
    """The branched model of ../shared/reference/neuron/README.md built from
    its SWC (10 um segments, HH on the soma, pas everywhere, 0.3 nA at
    soma(0.5) from 10 to 90 ms), backward Euler at dt 25 us as NEURON's run:
    same spike count and first spike within 0.05 ms (NEURON's circuit joins
    children at exact nodes, ours through each compartment's Ra/2 halves, a
    2e-3 DC difference; seen: 4 us)."""
    from moosepy.electrical.channels import HHChannel
    ref = np.load(NRN)
    dt = 25e-6
    moose.Neutral('/library')
    v = np.linspace(-0.1, 0.05, 3001)
    (am, bm), (ah, bh), (an, bn) = _hh_rates(v)
    na = HHChannel('/library/Na')
    na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
    k = HHChannel('/library/K')
    k.Xpower, k.Ek = 4, -0.077
    for path, (a, b) in (('/library/Na/gateX', (am, bm)), ('/library/Na/gateY', (ah, bh)),
                         ('/library/K/gateX', (an, bn))):
        g = moose.element(path)
        g.min, g.max = -0.1, 0.05
        g.tableA, g.tableB = a, a + b
    cell = read_swc(SWC / 'mp_ma_40984_gc2.CNG.swc', '/gc', RM=2.0, RA=1.0, CM=0.01,
                    length=10e-6, Em=-0.065)
    for s in segment_table(cell):
        if s.swc_type != 1:
            continue
        c = moose.element('/gc/' + s.name)
        gl = 0.5 + 3.0                     # pas + hh leak [S/m^2], merged (Thevenin)
        c.Rm = 1.0 / (gl * s.area)
        c.Em = (0.5 * -0.065 + 3.0 * -0.0543) / gl
        for name, dens in (('Na', 1200.0), ('K', 360.0)):
            ch = moose.element(moose.copy('/library/' + name, c, name))
            ch.Gbar = dens * s.area
            moose.connect(ch, 'channel', c, 'channel')
    soma = moose.element('/gc/soma_1')               # soma(0.5)
    pg = moose.PulseGen('/gc/stim')
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 0.010 + dt, 0.080, 3e-10, 1e9
    moose.connect(pg, 'output', soma, 'injectMsg')
    tab = moose.Table('/gc/vm')
    moose.connect(tab, 'requestOut', soma, 'getVm')
    hs = moose.HSolve('/gc/hsolve')
    hs.dt, hs.target, hs.method = dt, '/gc/soma_1', 'be'
    for t in range(10):
        moose.setClock(t, dt)
    moose.reinit()
    moose.start(0.1)
    vv = tab.vector
    i = np.nonzero((vv[:-1] < 0) & (vv[1:] >= 0))[0]
    spikes = (i + (0 - vv[i]) / (vv[i + 1] - vv[i])) * dt * 1e3
    truth = ref['spike_times_ms']
    assert len(spikes) == len(truth) == 6
    assert abs(spikes[0] - truth[0]) < 0.05


def test_p_polar_absolute_double_endpoint_and_sphere(tmp_path):
    """GENESIS coordinate modes against hand-computed geometry."""
    text = """*absolute
*cartesian
*set_compt_param RM 2.0
*set_compt_param RA 0.5
*set_compt_param CM 0.02
soma none 0 0 0 20
a soma 30 40 0 2
*relative
*polar
b a 10 90 90 1
*double_endpoint
*cartesian
c b 5 0 0 5 12 0 1
"""
    p = tmp_path / 'modes.p'
    p.write_text(text)
    read_p(p, '/cell')
    soma, a, b, c = (moose.element('/cell/' + n) for n in ('soma', 'a', 'b', 'c'))
    # zero-length root: a sphere of area pi d^2, Ra = 8 RA/(pi d)
    d = 20e-6
    assert soma.length == 0.0
    assert soma.Rm == pytest.approx(2.0 / (math.pi * d * d))
    assert soma.Ra == pytest.approx(8 * 0.5 / (math.pi * d))
    # absolute: from the soma end (origin) to (30, 40, 0) um: 50 um
    assert a.length == pytest.approx(50e-6)
    assert a.Ra == pytest.approx(0.5 * 4 * 50e-6 / (math.pi * (2e-6) ** 2))
    # relative polar r=10, theta=90, phi=90 -> +10 um along y from a's end
    assert (b.x, b.y, b.z) == pytest.approx((30e-6, 50e-6, 0.0), abs=1e-15)
    assert b.length == pytest.approx(10e-6)
    # double endpoint, relative to b's end: (35,50,0) -> (35,62,0)
    assert (c.x0, c.y0, c.x, c.y) == pytest.approx((35e-6, 50e-6, 35e-6, 62e-6), abs=1e-15)
    assert c.length == pytest.approx(12e-6)
    cell = moose.element('/cell')
    assert cell.numBranches == 1 and cell.numCompartments == 4
    assert cell.pathDistanceFromSoma == pytest.approx([0.0, 50e-6, 60e-6, 72e-6])


def test_p_compt_prototype(tmp_path):
    moose.Neutral('/library')
    proto = moose.Compartment('/library/proto')
    proto.initVm = -0.07
    moose.Neutral('/library/proto/tag')
    p = tmp_path / 'proto.p'
    p.write_text('*compt /library/proto\n*set_global RM 1\nsoma none 10 0 0 10\n'
                 'dend soma 20 0 0 2\n')
    cell = read_p(p, '/cell')
    assert moose.exists('/cell/dend/tag') and moose.exists('/cell/soma/tag')
    # default *absolute: from the soma's end (10,0,0) to (20,0,0): 10 um
    assert moose.element('/cell/dend').Rm == pytest.approx(1.0 / (math.pi * 2e-6 * 10e-6))
    assert cell.numBranches == 1
    b = read_p(GP / 'branching.p', '/br')
    assert b.numBranches == 15          # soma+dend1 and 14 daughter branches


SIDE = Path('/work/sidevenv/bin/python')
_MOOSE_DUMP = r'''
import json, sys, moose
out = {}
for f, p in json.loads(sys.argv[1]):
    if p.startswith('/lswc'):
        moose.loadSwc(f, p, RM=2.0, RA=1.5, CM=0.01)
    else:
        moose.loadModel(f, p)
    out[p] = {c.name: [c.Ra, c.Rm, c.Cm, c.length, c.diameter, c.x0, c.y0, c.z0, c.x, c.y, c.z]
              for c in moose.wildcardFind(p + '/##[ISA=CompartmentBase]')}
print('JSON' + json.dumps(out))
'''


@pytest.mark.skipif(not SIDE.exists(), reason='pymoose side venv /work/sidevenv absent')
def test_same_cells_as_pymoose(tmp_path):
    """MOOSE 5.0.0 itself (pymoose in the side venv) loads the same files:
    same compartment names, Ra, Rm, Cm, length, diameter and coordinates
    (loadModel, and loadSwc with its condensation)."""
    import json
    import subprocess
    import shutil
    # pymoose's loadSwc writes a '.condensed.swc' beside its input: give it
    # copies in a temporary folder, never the shared originals
    for f in ('mp_ma_40984_gc2.CNG.swc', '970529c.CNG.swc'):
        shutil.copy(SWC / f, tmp_path / f)
    files = [(str(SWC / 'h10.CNG.swc'), '/h10'), (str(SWC / 'mp_ma_40984_gc2.CNG.swc'), '/gc'),
             (str(GP / 'ca1_minimal.p'), '/ca1'), (str(GP / 'branching.p'), '/br'),
             (str(tmp_path / 'mp_ma_40984_gc2.CNG.swc'), '/lswc_gc'),
             (str(tmp_path / '970529c.CNG.swc'), '/lswc_c9')]
    proc = subprocess.run([str(SIDE), '-c', _MOOSE_DUMP, json.dumps(files)],
                          capture_output=True, text=True, timeout=120)
    line = [x for x in proc.stdout.splitlines() if x.startswith('JSON')]
    if proc.returncode != 0 or not line:
        pytest.skip(f'pymoose did not run: {proc.stderr[-300:]}')
    ref = json.loads(line[0][4:])
    for f, p in files:
        if p.startswith('/lswc'):     # moose.loadSwc: condensed (max_len 0.1)
            cell = moose.loadSwc(f, p, RM=2.0, RA=1.5, CM=0.01)
        else:
            cell = read_swc(f, p) if f.endswith('.swc') else read_p(f, p)
        mine = {c.name: [c.Ra, c.Rm, c.Cm, c.length, c.diameter, c.x0, c.y0, c.z0,
                         c.x, c.y, c.z] for c in cell.compartments}
        assert set(mine) == set(ref[p])
        a = np.array([mine[k] for k in sorted(mine)])
        b = np.array([ref[p][k] for k in sorted(mine)])
        assert np.allclose(a, b, rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize('length', [None, 5e-6])
def test_multipoint_somas(tmp_path, length):
    """NeuroMorpho's 3-point soma is one sphere-equivalent cylinder (area
    4 pi r^2, as NEURON and MOOSE); a 2-point soma is the cylinder between
    its points (MOOSE, Arbor); dendrites keep their own geometry."""
    three = ('1 1 0 0 0 5 -1\n2 1 0 -5 0 5 1\n3 1 0 5 0 5 1\n'
             '4 3 20 0 0 1 1\n5 3 40 0 0 1 4\n')
    two = '1 1 0 0 0 5 -1\n2 1 0 20 0 4 1\n3 3 0 30 0 1 2\n4 3 0 50 0 1 3\n'
    p3 = tmp_path / 'three.swc'
    p3.write_text(three)
    p2 = tmp_path / 'two.swc'
    p2.write_text(two)
    c3 = read_swc(p3, '/c3', length=length)
    c2 = read_swc(p2, '/c2', length=length)
    a3 = sum(s.area for s in segment_table(c3))
    a2 = sum(s.area for s in segment_table(c2))
    um2 = 1e-12
    if length is None:     # MOOSE: dendrite cylinders measured from the soma point
        assert a3 == pytest.approx((4 * math.pi * 25 + 2 * math.pi * 1 * 40) * um2)
        assert a2 == pytest.approx((math.pi * 8 * 20 + 2 * math.pi * 1 * 30) * um2)
    else:                  # NEURON: dendrites start at their first point
        assert a3 == pytest.approx((4 * math.pi * 25 + 2 * math.pi * 1 * 20) * um2)
        assert a2 == pytest.approx((math.pi * 8 * 20 + 2 * math.pi * 1 * 20) * um2)
    names3 = {c.name for c in c3.compartments}
    assert len([n for n in names3 if n.startswith('soma')]) == (1 if length is None else 2)


@pytest.mark.parametrize('max_len', [0.1, 0.02])
def test_loadswc_condensing_keeps_area_and_electrotonic_length(max_len):
    """moose.loadSwc merges short same-radius segments into cylinders of the
    same membrane area and electrotonic length (Hendrickson 2011): totals
    over the cell equal the raw file's (to the 1e-4 um rounding of the
    condensed coordinates, ~1e-3 relative on 0.1 um radii)."""
    path = SWC / '970529c.CNG.swc'
    RM, RA = 2.0, 1.5
    cell = moose.loadSwc(str(path), '/c', RM=RM, RA=RA, CM=0.01, max_len=max_len)
    t, xyz, r, par = _raw(path)
    root = int(np.nonzero(par < 0)[0][0])
    lam = math.sqrt(RM / (4 * RA)) * 1e3          # lambda [um] = lam sqrt(d [um])
    A = L = 0.0
    for k in range(len(t)):
        if k == root or t[k] == 1:
            continue
        h = np.linalg.norm(xyz[k] - xyz[par[k]])
        A += math.pi * 2 * r[k] * h
        L += h / (lam * math.sqrt(2 * r[k]))
    comps = [c for c in cell.compartments if c.name != 'soma']
    area = sum(math.pi * c.diameter * c.length for c in comps) * 1e12
    elec = sum(c.length * 1e6 / (lam * math.sqrt(c.diameter * 1e6)) for c in comps)
    assert area == pytest.approx(A, rel=2e-3)
    assert elec == pytest.approx(L, rel=2e-3)
    # every merged compartment is electrotonically short
    raw_n = int(np.sum(t != 1))
    assert len(comps) < raw_n
    assert max(c.length * 1e6 / (lam * math.sqrt(c.diameter * 1e6)) for c in comps) < \
        max(max_len, max(np.linalg.norm(xyz[k] - xyz[par[k]]) / (lam * math.sqrt(2 * r[k]))
                         for k in range(len(t)) if k != root and t[k] != 1)) * 1.01


def test_neuron_expressions_select_by_distance():
    """compartmentsFromExpression / valuesFromExpression as MOOSE's Neuron:
    p is the path distance from the soma to each compartment's end."""
    cell = read_p(GP / 'branching.p', '/cell')
    # hand geometry of branching.p (um): soma root, dend1 20 long, then
    # dend11/12 of sqrt(200), 111..122 of 10 or 10, 1111.. of sqrt(50)
    sel = cell.compartmentsFromExpression['# p > 40e-6']
    names = sorted(c.name for c in sel)
    assert names == sorted(['dend111', 'dend112', 'dend121', 'dend122'] +
                           [f'dend1{a}{b}{c}' for a in '12' for b in '12' for c in '12'])
    # MOOSE's layout: 13 numbers per element found (expression, p, g, L,
    # len, dia, maxP, maxG, maxL, x, y, z, 0)
    vals = cell.valuesFromExpression['dend1 p']
    assert len(vals) == 13 and vals[0] == pytest.approx(20e-6) and vals[1] == vals[0]
    d = cell.valuesFromExpression['dend11#,dend12# dia * (p < maxP)'].reshape(-1, 13)[:, 0]
    d = d[d > 0]                  # the rows of the farthest compartments are 0
    assert sorted(d) == pytest.approx(sorted([3e-6, 3e-6, 2.12e-6, 2.12e-6, 2.12e-6, 2.12e-6]))
    assert [c.name for c in cell.compartmentsFromExpression['soma']] == ['soma']
    with pytest.raises(moose.FieldError):
        cell.compartmentsFromExpression['# q > 1']
