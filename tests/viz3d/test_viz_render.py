"""viz3d rendering headless (Mesa through EGL): what a user would check in
the image -- the cell where its coordinates say, a compartment at the top of
the colour range in the colour map's top colour at its projected position,
the colour bar and time label present, pixels changing with the values,
pictures of the right size, picking, and movies with the frames asked for."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('vtkmodules.vtkRenderingCore')
pytestmark = pytest.mark.vtk

import moosepy as moose  # noqa: E402
from moosepy import viz3d  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import _vizcell as cell  # noqa: E402

BG = (0.0, 0.0, 0.0)
W, H = 320, 240


def _viewer(views, **kw):
    kw.setdefault('size', (W, H))
    kw.setdefault('background', BG)
    kw.setdefault('offscreen', True)
    return viz3d.Viewer(views, **kw)


def _project(w, xyz, k=0):
    """Window pixel (column, row from the top) of a world point [m]."""
    ren = w.renderers[k]
    ren.SetWorldPoint(*map(float, xyz), 1.0)
    ren.WorldToDisplay()
    x, y, _ = ren.GetDisplayPoint()
    return int(round(x)), int(round(H - 1 - y))


def _flat_view(vmin=-70.0, vmax=40.0, path='/model/elec/#'):
    return viz3d.View(path, 'Vm', vmin=vmin, vmax=vmax, colormap='viridis')


def test_png_size_and_pixels_follow_values(tmp_path):
    cell.build(spines=False)
    w = _viewer([_flat_view()])
    a = tmp_path / 'a.png'
    w.save_png(a, t=0.0)
    from PIL import Image
    img = np.asarray(Image.open(a))
    assert img.shape[:2] == (H, W) and a.stat().st_size > 1000
    assert (img[..., :3].sum(axis=2) > 0).sum() > 500           # something drawn
    moose.element('/model/elec/dend2').Vm = 0.04
    w.save_png(tmp_path / 'b.png')
    img2 = np.asarray(Image.open(tmp_path / 'b.png'))
    assert np.any(img2 != img)
    w.finalize()


def test_cell_where_its_coordinates_say_and_top_colour():
    """Looking down z with no shading, the drawn pixels fill the projected
    box of the segments, and dend2 (set to vmax) has the colour map's top
    colour at its projected middle, dend0 (vmin) its bottom colour."""
    soma, dends = cell.build(spines=False)
    for c in [soma] + dends:
        c.Vm = -0.07
    dends[2].Vm = 0.04
    v = viz3d.View('/model/elec/dend#', 'Vm', vmin=-70.0, vmax=40.0, colormap='viridis')
    w = _viewer([v], lighting=False, colorbar=False, time_label=False)
    w.render()
    img = w.snapshot().astype(int)
    assert img.shape == (H, W, 3)
    # projected box of the three dendrites (x 10..40 um, radius 1 um)
    c0 = _project(w, (10e-6, -1e-6, 0))
    c1 = _project(w, (40e-6, 1e-6, 0))
    cols, rows = np.nonzero(img.sum(axis=2).T > 0)
    assert abs(cols.min() - min(c0[0], c1[0])) <= 2 and abs(cols.max() - max(c0[0], c1[0])) <= 2
    assert abs(rows.min() - min(c0[1], c1[1])) <= 2 and abs(rows.max() - max(c0[1], c1[1])) <= 2
    import matplotlib
    cm = matplotlib.colormaps['viridis']
    x, y = _project(w, (35e-6, 0, 0))
    top = np.round(np.array(cm(1.0)[:3]) * 255)
    assert np.abs(img[y, x] - top).max() <= 2, (img[y, x], top)
    x, y = _project(w, (15e-6, 0, 0))
    bottom = np.round(np.array(cm(0.0)[:3]) * 255)
    assert np.abs(img[y, x] - bottom).max() <= 2, (img[y, x], bottom)
    # picking the pixel finds the compartment
    hit = w.pick(*_project(w, (35e-6, 0, 0))[:1], H - 1 - _project(w, (35e-6, 0, 0))[1])
    assert hit is not None and 'dend2' in hit[2]
    s, path = w.pick_point((15e-6, 0.5e-6, 0))
    assert 'dend0' in path
    w.finalize()


def test_colour_bar_and_time_label_appear():
    cell.build(spines=False)
    plain = _viewer([_flat_view()], colorbar=False, time_label=False)
    plain.update(0.0)
    plain.render()
    a = plain.snapshot().astype(int)
    full = _viewer([_flat_view()])
    full.update(0.0)
    full.render()
    b = full.snapshot().astype(int)
    right = (slice(None), slice(int(0.86 * W), None))
    corner = (slice(int(0.85 * H), None), slice(0, int(0.3 * W)))
    assert a[right].sum() == 0 and b[right].sum() > 0           # the colour bar
    assert a[corner].sum() == 0 and b[corner].sum() > 0         # 't = 0 s'
    full.update(0.125)
    full.render()
    c = full.snapshot().astype(int)
    assert np.any(c[corner] != b[corner])                        # the label follows t
    plain.finalize()
    full.finalize()


def test_side_by_side_views_share_the_window():
    cell.build(chem=True)
    pool = moose.element('/model/chem/dend/Ca')
    moose.vec(pool).concInit = np.linspace(1e-4, 1e-3, pool.vec.num)
    ve = viz3d.View('/model/elec/#', 'Vm', title='Vm')
    vc = viz3d.View(mesh='/model/chem/dend', pool='Ca', field='conc', title='Ca')
    assert vc.unit == 'uM'
    assert np.allclose(vc.read(), np.linspace(1e-4, 1e-3, pool.vec.num) * 1e3)
    w = _viewer([ve, vc], time_label=False, colorbar=False)
    w.update(0.0)
    w.render()
    img = w.snapshot()
    assert img[:, :W // 2].sum() > 0 and img[:, W // 2:].sum() > 0
    w.finalize()


def _hsolve_cell():
    soma, dends = cell.build()
    soma.inject = 2e-10
    hs = moose.HSolve('/model/elec/hsolve')
    hs.dt = 50e-6
    hs.target = soma.path
    for tick in range(10):
        moose.setClock(tick, 50e-6)
    return soma


def test_movie_mp4_frames_and_size(tmp_path):
    iio = pytest.importorskip('imageio_ffmpeg')
    _hsolve_cell()
    v = viz3d.View('/model/elec/#', 'Vm', vmin=-70, vmax=40)
    out = tmp_path / 'run.mp4'
    w = viz3d.display([v], runtime=0.01, dt=1e-3, movie=str(out), size=(W, H), offscreen=True,
                      rotation=0.05, frames=str(tmp_path / 'png'))
    # a frame at reinit, then one each ms
    assert w.nframes == 11
    gen = iio.read_frames(str(out))
    meta = gen.__next__()
    assert tuple(meta['size']) == (W, H)
    n = sum(1 for _ in gen)
    assert n == 11
    pngs = sorted((tmp_path / 'png').glob('*.png'))
    assert len(pngs) == 11
    # the run drove the model: the soma depolarised, the last frame differs
    assert v.values.max() > -60
    assert pngs[0].read_bytes() != pngs[-1].read_bytes()
    assert moose.element('/moosepy_viz').numData == 1 and not moose.wildcardFind(
        '/moosepy_viz/#')                                       # the updater is gone


def test_gif_movie(tmp_path):
    _hsolve_cell()
    v = viz3d.View('/model/elec/#', 'Vm')
    out = tmp_path / 'run.gif'
    viz3d.display([v], runtime=0.004, dt=1e-3, movie=str(out), size=(W, H), offscreen=True)
    from PIL import Image
    im = Image.open(out)
    assert im.size == (W, H) and im.n_frames == 5


def test_camera_path_rotation_history_and_notebook_png():
    cell.build(spines=False)
    seen = []

    def path(k, t, cam):
        seen.append((k, t))
        cam.Azimuth(10.0 * k)
    w = _viewer([_flat_view()], camera_path=path, history=True, time_label=False)
    imgs = []
    for k in range(3):
        moose.element('/model/elec/dend0').Vm = -0.07 + 0.01 * k
        w.frame(k * 1e-3)
        imgs.append(w.snapshot())
    assert seen == [(0, 0.0), (1, 1e-3), (2, 2e-3)]
    assert np.any(imgs[1] != imgs[2])
    ax = w.plot_history(0, 1)                       # dend0: the values recorded, mV
    assert np.allclose(ax.lines[0].get_ydata(), [-70.0, -60.0, -50.0])
    png = w._repr_png_()
    from PIL import Image
    import io
    assert png[:4] == b'\x89PNG' and Image.open(io.BytesIO(png)).size == (W, H)
    # a camera given as a list of places, one per frame
    w2 = _viewer([_flat_view()], camera_path=[{'position': (20e-6, 0, 1e-4)},
                                              {'position': (20e-6, 0, 2e-4)}])
    w2.frame(0.0)
    a = w2.snapshot()
    w2.frame(1e-3)
    assert w2.camera.GetPosition()[2] == pytest.approx(2e-4)
    assert np.any(a != w2.snapshot())
    w.finalize()
    w2.finalize()


_RENDER_SCRIPT = r'''
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import moosepy as moose
from moosepy import viz3d
import _vizcell as cell
cell.build(spines=True)
moose.element('/model/elec/dend2').Vm = 0.01
w = viz3d.Viewer([viz3d.View('/model/elec/#', 'Vm', vmin=-70.0, vmax=40.0,
                             colormap='viridis')],
                 size=(320, 240), background=(0.0, 0.0, 0.0), offscreen=True)
w.save_png(sys.argv[2], t=0.0)
print(w.win.GetClassName())
'''


def test_renders_are_bit_identical_across_processes(tmp_path):
    """The same scene rendered by two fresh processes gives the same pixels
    bit for bit (Mesa's software rasteriser is deterministic), which is what
    lets the image tests here use exact colours.  Only EGL can be run on
    this machine (no libOSMesa, no Xvfb), so the comparison is EGL with
    EGL; the window class each process used is checked to be EGL's."""
    import subprocess
    from PIL import Image
    env = {k: v for k, v in os.environ.items() if k != 'DISPLAY'}
    imgs = []
    for k in range(2):
        out = tmp_path / f'r{k}.png'
        p = subprocess.run([sys.executable, '-c', _RENDER_SCRIPT, str(Path(__file__).parent),
                            str(out)], capture_output=True, text=True, timeout=120, env=env)
        assert p.returncode == 0, p.stderr[-2000:]
        assert 'EGL' in p.stdout, p.stdout
        imgs.append(np.asarray(Image.open(out)))
    assert imgs[0].shape[:2] == (H, W)
    assert (imgs[0][..., :3].sum(axis=2) > 0).sum() > 500
    assert np.array_equal(imgs[0], imgs[1])
