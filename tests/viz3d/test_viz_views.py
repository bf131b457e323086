"""viz3d views and outputs not covered elsewhere (issue 14 items 1, 3, 6, 7):
EndoMesh and PresynMesh voxels, fields of objects under the compartments
(Ca of a CaConc, Gk of a channel), the automatic colour range, merged
views, the Ogg Theora fallback for MP4, the notebook video, to_pyvista
without pyvista, bad input refused before any window opens (and item 2:
a pool's values read from the Ksolve's state; a frame changes only the
value array)."""

import importlib.util
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import FieldError, MooseError, PathError
from moosepy.viz3d import geometry as geo

sys.path.insert(0, str(Path(__file__).parent))
import _vizcell as cell  # noqa: E402

W, H = 320, 240
needs_vtk = pytest.mark.skipif(importlib.util.find_spec('vtkmodules') is None,
                               reason='vtk is not installed')


def test_endo_and_presyn_voxels_are_spheres_of_their_volumes():
    soma, dends = cell.build(chem=True, spines=False)
    nm = moose.element('/model/chem/dend')
    er = moose.EndoMesh('/model/chem/er')
    er.surround = nm
    s = geo.mesh_segments(er)
    assert len(s) == nm.numDiffCompts and np.all(s.kind == geo.ENDO_VOXEL)
    assert np.array_equal(s.p0, s.p1)                                   # spheres
    assert np.allclose(s.p0.T, np.reshape(nm.voxelMidpoint, (3, -1)))   # in their voxels
    assert np.allclose(4 / 3 * math.pi * s.radius ** 3, er.voxelVolume, rtol=1e-9)
    pr = moose.PresynMesh('/model/chem/pr')
    pr.buildOnDendrites([dends[0], dends[1]], 4e-6)
    pr.setRadiusStats(0.3e-6, 0.0)
    s = geo.mesh_segments(pr)
    assert len(s) == pr.numBoutons == 6 and np.all(s.kind == geo.PRESYN_VOXEL)
    assert np.allclose(s.p0.T, np.reshape(pr.voxelMidpoint, (3, -1)))
    assert np.allclose(s.radius, 0.3e-6, rtol=1e-9)                    # the bouton radius



def _viewer(views, **kw):
    from moosepy import viz3d
    kw.setdefault('size', (W, H))
    kw.setdefault('background', (0, 0, 0))
    kw.setdefault('offscreen', True)
    return viz3d.Viewer(views, **kw)


@needs_vtk
@pytest.mark.vtk
def test_fields_under_compartments_and_automatic_range():
    from moosepy import viz3d
    soma, dends = cell.build(spines=False)
    cas = []
    for k, d in enumerate(dends[:2]):
        ca = moose.CaConc(d.path + '/Ca_conc')
        ca.Ca = 1e-4 * (k + 1)              # mM
        cas.append(ca)
    v = viz3d.View('/model/elec/#', 'Ca', relpath='Ca_conc')
    # only the compartments with a Ca_conc, Ca in uM
    assert v.seg.labels == [dends[0].path, dends[1].path] and v.unit == 'uM'
    assert np.allclose(v.read(), [0.1, 0.2])
    assert v.range() == pytest.approx((0.1, 0.2))                      # automatic
    k = moose.HHChannel(dends[2].path + '/K')
    k.Gk = 2.5e-9
    g = viz3d.View('/model/elec/#', 'Gk', relpath='K', vmin=0.0)
    assert g.unit == 'nS' and np.allclose(g.read(), [2.5])
    assert g.range() == pytest.approx((0.0, 2.5))                      # vmin fixed, vmax auto
    w = _viewer([v, g])
    w.update(0.0)
    assert w.panels[0].mapper.GetScalarRange() == pytest.approx((0.1, 0.2))
    cas[1].Ca = 4e-4
    w.update(1e-3)                                                       # follows the values
    assert w.panels[0].mapper.GetScalarRange() == pytest.approx((0.1, 0.4))
    w.finalize()


@needs_vtk
@pytest.mark.vtk
def test_merged_views_share_one_scene_with_a_bar_each():
    from moosepy import viz3d
    soma, dends = cell.build(spines=False)
    a = viz3d.View('/model/elec/soma', 'Vm', title='soma')
    b = viz3d.View('/model/elec/dend#', 'Vm', title='dendrites', colormap='viridis')
    w = _viewer([a, b], merge=True, time_label=False)
    assert len(w.renderers) == 1
    ren = w.renderers[0]
    assert ren.GetActors().GetNumberOfItems() == 2
    bars = [p.bar for p in w.panels]
    assert bars[0].GetPositionCoordinate().GetValue()[0] != \
        bars[1].GetPositionCoordinate().GetValue()[0]                   # side by side
    w.update(0.0)
    w.render()
    img = w.snapshot()

    def px(xyz):
        ren.SetWorldPoint(*xyz, 1.0)
        ren.WorldToDisplay()
        x, y, _ = ren.GetDisplayPoint()
        return int(round(H - 1 - y)), int(round(x))
    assert img[px((5e-6, 0, 0))].sum() > 0 and img[px((25e-6, 0, 0))].sum() > 0
    w.finalize()


@needs_vtk
@pytest.mark.vtk
def test_mp4_falls_back_to_ogg_theora_without_imageio_ffmpeg(tmp_path, monkeypatch, caplog):
    iio = pytest.importorskip('imageio_ffmpeg')
    from moosepy import viz3d
    cell.build(spines=False)
    monkeypatch.setitem(sys.modules, 'imageio_ffmpeg', None)          # import fails
    w = _viewer([viz3d.View('/model/elec/#', 'Vm')], movie=str(tmp_path / 'run.mp4'))
    for k in range(4):
        w.frame(k * 1e-3)
    out = w.finalize()
    assert out == str(tmp_path / 'run.ogv') and 'Ogg Theora' in caplog.text
    monkeypatch.setitem(sys.modules, 'imageio_ffmpeg', iio)
    gen = iio.read_frames(out)                                         # ffmpeg decodes it
    meta = next(gen)
    assert tuple(meta['size']) == (W, H)
    assert sum(1 for _ in gen) == 4


@needs_vtk
@pytest.mark.vtk
def test_notebook_video_and_pyvista_export(tmp_path):
    pytest.importorskip('imageio_ffmpeg')
    pytest.importorskip('IPython')
    from moosepy import viz3d
    cell.build(spines=False)
    w = _viewer([viz3d.View('/model/elec/#', 'Vm')], movie=str(tmp_path / 'nb.mp4'))
    with pytest.raises(MooseError, match='no movie written'):
        w.video()
    for k in range(3):
        w.frame(k * 1e-3)
    w.close()
    vid = w.video()
    html = vid._repr_html_()
    assert 'data:video/mp4;base64' in html            # embedded: no server, no file link
    try:
        import pyvista  # noqa: F401
    except ImportError:
        with pytest.raises(MooseError, match='pyvista is not installed'):
            w.to_pyvista()
    else:                                               # pragma: no cover (not installed here)
        pd = w.to_pyvista()
        assert pd.n_cells == w.panels[0].poly.GetNumberOfCells()
    w.finalize()


@needs_vtk
@pytest.mark.vtk
def test_bad_input_refused_before_any_window(tmp_path, monkeypatch):
    from moosepy import viz3d
    from moosepy.viz3d import scene
    cell.build(spines=False)
    opened = []
    real = scene.make_window
    monkeypatch.setattr(scene, 'make_window', lambda *a: opened.append(a) or real(*a))
    with pytest.raises(PathError, match='matches no compartment'):
        viz3d.display([viz3d.View('/model/elec/nothing#', 'Vm')], runtime=1e-3, dt=1e-3)
    with pytest.raises(FieldError, match="no field 'Vmm'"):
        viz3d.display([viz3d.View('/model/elec/#', 'Vmm')], runtime=1e-3, dt=1e-3)
    with pytest.raises(MooseError, match='cannot write the movie'):
        viz3d.display([viz3d.View('/model/elec/#', 'Vm')], runtime=1e-3, dt=1e-3,
                      movie=str(tmp_path / 'no' / 'such' / 'dir' / 'run.mp4'))
    with pytest.raises(PathError, match='matches no compartment'):
        viz3d.moogli_display([['nothing#', '1', '.', 'Vm']], moogliDt=1e-3, runtime=1e-3)
    moose.Neutral('/flat')
    a = moose.Compartment('/flat/a')
    a.diameter = 1e-6
    with pytest.raises(FieldError, match='no coordinates'):
        viz3d.display([viz3d.View('/flat/#', 'Vm')], runtime=1e-3, dt=1e-3)
    assert opened == []
    assert not moose.exists('/moosepy_viz')                     # nothing scheduled either


def test_pool_on_cylmesh_read_from_the_ksolve_state():
    """Item 2: the values drawn come from the solver: a pool decaying
    A -> B (kf) in every voxel of a CylMesh, solved by a Ksolve, reads
    c0 exp(-kf t) per voxel through the view after a run."""
    from moosepy import viz3d
    moose.Neutral('/m')
    cyl = moose.CylMesh('/m/cyl')
    cyl.x1, cyl.r0, cyl.r1, cyl.diffLength = 20e-6, 1e-6, 1e-6, 5e-6
    a = moose.Pool('/m/cyl/a')
    b = moose.Pool('/m/cyl/b')
    r = moose.Reac('/m/cyl/r')
    r.Kf, r.Kb = 2.0, 0.0
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    c0 = np.array([1e-3, 2e-3, 3e-3, 4e-3])          # mM per voxel
    ks = moose.Ksolve('/m/cyl/ksolve')
    st = moose.Stoich('/m/cyl/stoich')
    st.compartment = cyl
    st.ksolve = ks
    st.reacSystemPath = '/m/cyl/##'
    moose.vec(a).concInit = c0          # (one entry per voxel once the Stoich has it)
    v = viz3d.View(mesh=cyl, pool='a', field='conc')
    moose.reinit()
    moose.start(0.5)
    want = c0 * np.exp(-2.0 * 0.5) * 1e3               # uM
    assert np.allclose(v.read(), want, rtol=1e-4)
    assert np.allclose(v.read(), np.asarray(moose.vec(a).conc) * 1e3, rtol=1e-12)


@needs_vtk
@pytest.mark.vtk
def test_frames_change_only_the_value_array():
    """Item 2: a frame writes the value array; points and cells stay."""
    from moosepy import viz3d
    soma, dends = cell.build(spines=False)
    w = _viewer([viz3d.View('/model/elec/#', 'Vm')])
    poly = w.panels[0].poly
    pts, polys = poly.GetPoints(), poly.GetPolys()
    t_pts, t_polys = pts.GetMTime(), polys.GetMTime()
    scal = poly.GetPointData().GetScalars()
    t_sc = scal.GetMTime()
    dends[1].Vm = 0.03
    w.frame(1e-3)
    assert poly.GetPoints() is pts and poly.GetPolys() is polys
    assert pts.GetMTime() == t_pts and polys.GetMTime() == t_polys
    assert poly.GetPointData().GetScalars() is scal and scal.GetMTime() > t_sc
    seg = w.panels[0].seg.labels.index(dends[1].path)
    from vtkmodules.util.numpy_support import vtk_to_numpy
    vals = vtk_to_numpy(scal)
    assert np.allclose(vals[w.panels[0].segpoint == seg], 30.0)
    w.finalize()


@needs_vtk
@pytest.mark.vtk
def test_viewer_loads_only_the_vtkmodules_it_needs():
    """Item 4: ``import moosepy.viz3d`` loads no VTK; a Viewer loads a
    few vtkmodules (rendering, annotation, fonts, picking), never the whole
    ``vtk`` package (about 1 s)."""
    import subprocess
    code = '\n'.join([
        'import sys, os',
        'os.environ.pop("DISPLAY", None)',
        'import moosepy as moose',
        'from moosepy import viz3d',
        'before = [m for m in sys.modules if m == "vtk" or m.startswith("vtkmodules")]',
        'moose.Neutral("/c")',
        'c = moose.Compartment("/c/a"); c.x = 1e-5; c.diameter = 1e-6',
        'w = viz3d.Viewer([viz3d.View("/c/#", "Vm")], size=(64, 48), offscreen=True)',
        'w.render(); w.finalize()',
        'after = sorted(m for m in sys.modules if m.startswith("vtkmodules.vtk"))',
        'print(len(before), "vtk" in sys.modules, len(after), " ".join(after))'])
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    n_before, whole, n_after, *mods = out.stdout.split()
    assert n_before == '0' and whole == 'False'
    import vtkmodules
    available = [f for f in os.listdir(os.path.dirname(vtkmodules.__file__))
                 if f.startswith('vtk') and f.endswith('.so')]
    assert int(n_after) <= 25 < len(available), mods
