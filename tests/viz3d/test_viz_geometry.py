"""viz3d geometry and bulk values, without VTK: segments where the
compartments' coordinates say, radii = diameter * diaScale / 2, spines
recognised by name, NeuroMesh/SpineMesh/PsdMesh voxels, colour values equal
to the fields (times rdesigneur's display scale), bad input refused."""

import sys
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import FieldError, MooseError, PathError
from moosepy.viz3d import geometry as geo
from moosepy.viz3d.values import FieldReader

sys.path.insert(0, str(Path(__file__).parent))
import _vizcell as cell  # noqa: E402


def test_import_moosepy_does_not_import_vtk():
    import subprocess
    code = ('import sys, moosepy, moosepy.viz3d; '
            'print(any(m == "vtk" or m.startswith("vtkmodules") for m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'False'


def test_compartment_segments_coordinates_radii_kinds():
    soma, dends = cell.build()
    seg = geo.compartment_segments('/model/elec/#[ISA=CompartmentBase]', diaScale=2.0)
    assert len(seg) == 1 + cell.NDEND + 4
    by = dict(zip([p.rsplit('/', 1)[-1].split('[')[0] for p in seg.labels], range(len(seg))))
    i = by['dend1']
    assert np.allclose(seg.p0[i], [20e-6, 0, 0]) and np.allclose(seg.p1[i], [30e-6, 0, 0])
    assert seg.radius[i] == pytest.approx(2e-6)          # 2 um x diaScale 2 / 2
    assert seg.radius[by['head0']] == pytest.approx(0.5e-6)
    assert np.allclose(seg.p0[by['head1']], [35e-6, 2e-6, 0])
    assert seg.kind[by['shaft0']] == geo.NECK and seg.kind[by['head1']] == geo.HEAD
    assert seg.kind[by['soma']] == geo.SOMA and seg.kind[i] == geo.DEND
    xmin, xmax, ymin, ymax, _, _ = seg.bounds
    assert xmin == pytest.approx(0.0) and xmax == pytest.approx(40e-6)
    assert ymin == pytest.approx(-10e-6)                  # the soma's radius x diaScale
    # a wildcard selects: only the dendrites
    assert len(geo.compartment_segments('/model/elec/dend#')) == cell.NDEND


def test_neuromesh_spine_psd_voxels():
    cell.build(chem=True)
    moose.element('/model/chem/dend').geometryPolicy = 'cylinder'
    nm = geo.mesh_segments('/model/chem/dend')
    # soma 10 um long in 2 voxels of radius 5 um; 3 dendrites of 10 um in
    # 5 um voxels of radius 1 um
    assert len(nm) == 2 + cell.NDEND * 2
    assert np.allclose(np.sort(nm.radius), [1e-6] * 6 + [5e-6] * 2, rtol=1e-12)
    lengths = np.linalg.norm(nm.p1 - nm.p0, axis=1)
    assert np.allclose(lengths, cell.DL)
    assert np.allclose(np.sort(np.r_[nm.p0[:, 0], nm.p1[:, 0]])[[0, -1]], [0, 40e-6])
    assert np.all(nm.kind == geo.VOXEL)
    assert len(nm) == int(moose.element('/model/chem/dend').numDiffCompts)
    sp = geo.mesh_segments('/model/chem/spine')
    assert len(sp) == 2 and np.allclose(sp.radius, 0.25e-6)
    assert np.all(sp.kind == geo.SPINE_VOXEL)
    # heads end where their compartments end
    assert np.allclose(sorted(sp.p1[:, 0]), [25e-6, 35e-6])
    assert np.allclose(sp.p1[:, 1], 2.5e-6)
    psd = geo.mesh_segments('/model/chem/psd')
    assert len(psd) == 2 and np.all(psd.kind == geo.PSD_VOXEL)
    with pytest.raises(FieldError, match='is a Neutral; voxels are drawn for NeuroMesh.*CylMesh'):
        geo.mesh_segments(moose.Neutral('/model/chem/notamesh'))


def test_reader_equals_fields_scaled():
    soma, dends = cell.build()
    comps = geo.find_compartments('/model/elec/#')
    want = -0.07 + 0.01 * np.arange(len(comps))
    for c, v in zip(comps, want):
        c.Vm = v
    r = FieldReader(comps, 'Vm', scale=1e3)
    assert np.array_equal(r.read(), want * 1e3)
    comps[2].Vm = 0.5
    assert r.read()[2] == 500.0


def test_reader_pool_conc_per_voxel():
    cell.build(chem=True)
    pool = moose.element('/model/chem/dend/Ca')
    n = pool.vec.num
    conc = np.linspace(0.001, 0.002, n)
    moose.vec(pool).concInit = conc     # unsolved: conc follows concInit (MOOSE 5.0)
    r = FieldReader([pool] * n, 'conc', entries=np.arange(n)[::-1], scale=1e3)
    assert np.allclose(r.read(), conc[::-1] * 1e3, rtol=1e-12)
    assert np.allclose(FieldReader([pool] * n, 'n', entries=np.arange(n)).read(),
                       moose.vec(pool).n)


def test_reader_solved_cell_reads_solver_state():
    """Vm of an HSolve-solved cell comes from the solver (the columns are
    views of its state): after a run the reader equals each compartment's Vm."""
    soma, dends = cell.build()
    soma.inject = 1e-10
    hs = moose.HSolve('/model/elec/hsolve')
    hs.dt = 50e-6
    hs.target = soma.path
    moose.reinit()
    moose.start(0.005)
    comps = geo.find_compartments('/model/elec/#')
    r = FieldReader(comps, 'Vm')
    got = r.read()
    assert np.array_equal(got, [c.Vm for c in comps])
    assert got.max() > -0.065 + 1e-3          # the current did something


def test_bad_input():
    cell.build()
    with pytest.raises(PathError, match='matches no compartment'):
        geo.find_compartments('/model/elec/nothing#')
    comps = geo.find_compartments('/model/elec/#')
    with pytest.raises(FieldError, match="no field 'Vmm'.*Vm"):
        FieldReader(comps, 'Vmm')
    moose.Neutral('/flat')
    a = moose.Compartment('/flat/a')
    a.diameter = 1e-6
    with pytest.raises(FieldError, match='no coordinates'):
        geo.compartment_segments([a])
    from moosepy.viz3d.viewer import Viewer
    with pytest.raises(MooseError, match='cannot write the movie'):
        Viewer._check_outputs('/nonexistent_dir_viz/run.mp4', None)
    with pytest.raises(MooseError, match='.mp4, .gif'):
        Viewer._check_outputs('/tmp/run.avi', None)
