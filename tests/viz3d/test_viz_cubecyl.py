"""CubeMesh and CylMesh voxels drawn (headless, Mesa through EGL): boxes at
their grid places and a tapered tube cut into voxels, each coloured by its
pool's value.  Checked as the other image tests: the drawn pixels fill the
projected box of the mesh's coordinates, a voxel set to the top of the
colour range shows the colour map's top colour at its projected middle (and
one at the bottom the bottom colour), the taper shows in the drawn width,
and a pixel pick finds the voxel."""

import importlib.util

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import PathError
from moosepy.viz3d import geometry as geo

W, H = 320, 240
needs_vtk = pytest.mark.skipif(importlib.util.find_spec('vtkmodules') is None,
                               reason='vtk is not installed')


def _cube():
    moose.Neutral('/m')
    c = moose.CubeMesh('/m/cube')
    c.x0, c.y0, c.z0 = 0.0, 0.0, 0.0
    c.x1, c.y1, c.z1 = 30e-6, 20e-6, 10e-6
    c.nx, c.ny, c.nz = 3, 2, 1
    # one entry per voxel (a pool no Stoich spreads keeps the count it is
    # made with, as in MOOSE)
    moose.Pool('/m/cube/a', 6)
    return c


def _cyl():
    moose.Neutral('/m')
    c = moose.CylMesh('/m/cyl')
    c.x0, c.y0, c.z0 = 0.0, 0.0, 0.0
    c.x1, c.y1, c.z1 = 50e-6, 0.0, 0.0
    c.r0, c.r1 = 2e-6, 1e-6
    c.diffLength = 10e-6
    moose.Pool('/m/cyl/b', c.numDiffCompts)
    return c


def test_cube_and_cyl_segments_match_mesh_entries():
    """The voxels drawn are those MeshEntry.Coordinates gives (no VTK)."""
    c = _cube()
    seg = geo.mesh_segments(c)
    assert len(seg) == 6 and np.all(seg.kind == geo.CUBE_VOXEL)
    for i in range(6):
        co = moose.element(f'/m/cube/mesh[{i}]').Coordinates
        assert np.allclose(seg.p0[i], co[0:3]) and np.allclose(seg.p1[i], co[3:6])
    assert np.allclose(seg.bounds, (0, 30e-6, 0, 20e-6, 0, 10e-6), atol=1e-18)
    y = _cyl()
    seg = geo.mesh_segments(y)
    assert len(seg) == 5 and np.all(seg.kind == geo.CYL_VOXEL)
    for i in range(5):
        co = moose.element(f'/m/cyl/mesh[{i}]').Coordinates
        assert np.allclose(seg.p0[i], co[0:3]) and np.allclose(seg.p1[i], co[3:6])
        assert seg.radius[i] == pytest.approx(co[6]) and seg.radius1[i] == pytest.approx(co[7])
    # the bounding box: the thick end (r0 = 2 um) sets y and z
    assert np.allclose(seg.bounds, (0, 50e-6, -2e-6, 2e-6, -2e-6, 2e-6), atol=1e-18)
    assert np.allclose(geo.mesh_segments(y, diaScale=2.0).bounds,
                       (0, 50e-6, -4e-6, 4e-6, -4e-6, 4e-6), atol=1e-18)



def _flat(view):
    from moosepy import viz3d
    return viz3d.Viewer([view], size=(W, H), background=(0, 0, 0), offscreen=True,
                        lighting=False, colorbar=False, time_label=False)


def _project(w, xyz):
    """(column, row from the top) of a world point [m]."""
    ren = w.renderers[0]
    ren.SetWorldPoint(*map(float, xyz), 1.0)
    ren.WorldToDisplay()
    x, y, _ = ren.GetDisplayPoint()
    return int(round(x)), int(round(H - 1 - y))


def _drawn_box(img):
    cols, rows = np.nonzero(img.sum(axis=2).T > 0)
    return cols.min(), cols.max(), rows.min(), rows.max()


def _colour(name, f):
    import matplotlib
    return np.round(np.array(matplotlib.colormaps[name](f)[:3]) * 255)


@needs_vtk
@pytest.mark.vtk
def test_cube_mesh_voxels_drawn_at_grid_places_in_their_colours():
    from moosepy import viz3d
    _cube()
    pool = moose.vec('/m/cube/a')
    conc = np.full(6, 1e-4)             # mM: 0.1 uM, the bottom of the range
    conc[4] = 1e-3                      # voxel 4 (ix 1, iy 1): 1 uM, the top
    pool.concInit = conc                # an unsolved pool holds its init (as MOOSE 5.0)
    v = viz3d.View(mesh='/m/cube', pool='a', field='conc', vmin=0.1, vmax=1.0,
                   colormap='viridis')
    assert v.unit == 'uM'
    w = _flat(v)
    w.render()
    img = w.snapshot().astype(int)
    # the drawn pixels fill the projection of the mesh's 8 corners
    corners = [(x, y, z) for x in (0, 30e-6) for y in (0, 20e-6) for z in (0, 10e-6)]
    pc = np.array([_project(w, p) for p in corners])
    c0, c1, r0, r1 = _drawn_box(img)
    assert abs(c0 - pc[:, 0].min()) <= 2 and abs(c1 - pc[:, 0].max()) <= 2
    assert abs(r0 - pc[:, 1].min()) <= 2 and abs(r1 - pc[:, 1].max()) <= 2
    # voxel 4's top face middle in the top colour, voxel 0's in the bottom one
    x, y = _project(w, (15e-6, 15e-6, 10e-6))
    assert np.abs(img[y, x] - _colour('viridis', 1.0)).max() <= 2, img[y, x]
    x, y = _project(w, (5e-6, 5e-6, 10e-6))
    assert np.abs(img[y, x] - _colour('viridis', 0.0)).max() <= 2, img[y, x]
    # a pixel pick finds the voxel
    x, y = _project(w, (25e-6, 5e-6, 10e-6))
    hit = w.pick(x, H - 1 - y)
    assert hit is not None and hit[2] == moose.element('/m/cube').path + '/mesh[2]'
    w.finalize()


@needs_vtk
@pytest.mark.vtk
def test_cyl_mesh_tapered_tube_in_voxels():
    from moosepy import viz3d
    _cyl()
    pool = moose.vec('/m/cyl/b')
    pool.nInit = np.array([0.0, 0.0, 0.0, 100.0, 0.0])  # voxel 3 at the top (unsolved: n = nInit)
    v = viz3d.View(mesh='/m/cyl', pool='b', field='n', vmin=0.0, vmax=100.0,
                   colormap='plasma')
    w = _flat(v)
    w.render()
    img = w.snapshot().astype(int)
    # the silhouette of a tapered tube is bounded by its two end circles
    # (x = 0, radius 2 um; x = 50 um, radius 1 um): their projections give
    # the drawn box (perspective included)
    th = np.linspace(0, 2 * np.pi, 73)
    ends = [(x, r * np.cos(a), r * np.sin(a)) for x, r in ((0.0, 2e-6), (50e-6, 1e-6))
            for a in th]
    pe = np.array([_project(w, p) for p in ends])
    c0, c1, r0, r1 = _drawn_box(img)
    assert abs(c0 - pe[:, 0].min()) <= 2 and abs(c1 - pe[:, 0].max()) <= 2
    assert abs(r0 - pe[:, 1].min()) <= 2 and abs(r1 - pe[:, 1].max()) <= 2
    # the taper: the drawn height at x follows 2 r(x), r from 2 um to 1 um
    for xm in (5e-6, 25e-6, 45e-6):
        r = 2e-6 + (1e-6 - 2e-6) * xm / 50e-6
        col = _project(w, (xm, 0, 0))[0]
        drawn = int((img[:, col].sum(axis=1) > 0).sum())
        ring = np.array([_project(w, (xm, r * np.cos(a), r * np.sin(a))) for a in th])
        want = ring[:, 1].max() - ring[:, 1].min() + 1
        assert abs(drawn - want) <= 2, (xm, drawn, want)
    # voxel 3 (30-40 um) in the top colour, voxel 1 in the bottom colour
    x, y = _project(w, (35e-6, 0, 0))
    assert np.abs(img[y, x] - _colour('plasma', 1.0)).max() <= 2, img[y, x]
    x, y = _project(w, (15e-6, 0, 0))
    assert np.abs(img[y, x] - _colour('plasma', 0.0)).max() <= 2, img[y, x]
    x, y = _project(w, (35e-6, 0, 0))
    hit = w.pick(x, H - 1 - y)
    assert hit is not None and hit[2] == moose.element('/m/cyl').path + '/mesh[3]'
    w.finalize()


@needs_vtk
@pytest.mark.vtk
def test_cube_mesh_as_lines_and_bad_selection():
    from moosepy import viz3d
    _cube()
    v = viz3d.View(mesh='/m/cube', pool='a', field='conc', style='lines')
    w = _flat(v)
    assert w.panels[0].poly.GetNumberOfCells() == 6 * 12        # every box's edges
    w.render()
    assert w.snapshot().sum() > 0
    w.finalize()
    cell = moose.Compartment('/m/soma')
    cell.x, cell.diameter = 10e-6, 1e-6
    with pytest.raises(PathError, match='lie on no compartment'):
        viz3d.View('/m/soma', mesh='/m/cube', pool='a', field='conc')
