"""The interactive viewer without a display: the handlers of
moosepy.viz3d.interact on an off-screen (EGL) window with a
vtkGenericRenderWindowInteractor that is never started; events injected
with SetEventInformation + InvokeEvent.  Checked: a drag turns the camera by
the documented angle about the right axis, the wheel changes its distance
by the documented factor, a click at a compartment's projected position
picks it and gives a matplotlib Figure of its recorded Vm (a Table's
samples, or the viewer's frames), space pauses the clock-driven frames and
'n' advances exactly one frame interval.  interactor.Start() (the OS event
loop of Viewer.show) is the one part not run here."""

import logging
import math
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('vtkmodules.vtkRenderingCore')
pytestmark = pytest.mark.vtk

import moosepy as moose  # noqa: E402
from moosepy import viz3d  # noqa: E402
from moosepy.core.errors import MooseError  # noqa: E402
from moosepy.viz3d.interact import Interaction  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import _vizcell as cell  # noqa: E402

W, H = 320, 240


def _interactive(views, **kw):
    from vtkmodules.vtkRenderingUI import vtkGenericRenderWindowInteractor
    kw.setdefault('size', (W, H))
    kw.setdefault('background', (0, 0, 0))
    w = viz3d.Viewer(views, offscreen=True, time_label=False, colorbar=False, **kw)
    inter = w.interact(vtkGenericRenderWindowInteractor())
    return w, inter


def _event(iren, name, x=0, y=0, key=None):
    if key is None:
        iren.SetEventInformation(int(x), int(y), 0, 0, '\0', 0, None)
    else:
        iren.SetEventInformation(int(x), int(y), 0, 0, key if len(key) == 1 else '\0', 0, key)
    iren.InvokeEvent(name)


def _key(iren, key):
    _event(iren, 'KeyPressEvent', key=key)


def _project(w, xyz):
    """Display pixel (x, y from the bottom) of a world point [m]."""
    ren = w.renderers[0]
    ren.SetWorldPoint(*map(float, xyz), 1.0)
    ren.WorldToDisplay()
    x, y, _ = ren.GetDisplayPoint()
    return int(round(x)), int(round(y))


def _angle(a, b):
    a, b = np.asarray(a), np.asarray(b)
    c = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def test_drag_rotates_wheel_zooms():
    cell.build(spines=False)
    w, inter = _interactive([viz3d.View('/model/elec/#', 'Vm')])
    iren = inter.iren
    cam = w.camera
    fp = np.array(cam.GetFocalPoint())
    pos0 = np.array(cam.GetPosition()) - fp
    up0 = np.array(cam.GetViewUp())
    # a horizontal drag of a quarter window: 45 degrees about the view-up
    # axis through the focal point (ROTATE_DEG = 180 per window width)
    _event(iren, 'LeftButtonPressEvent', 100, 120)
    _event(iren, 'MouseMoveEvent', 140, 120)
    _event(iren, 'LeftButtonReleaseEvent', 100 + W // 4, 120)
    pos1 = np.array(cam.GetPosition()) - fp
    assert np.allclose(cam.GetFocalPoint(), fp)
    assert _angle(pos0, pos1) == pytest.approx(45.0, abs=1e-6)
    assert np.dot(pos1, up0) == pytest.approx(np.dot(pos0, up0), abs=1e-12)
    # dragging right turns the camera to the left of the object (azimuth < 0)
    right0 = np.cross(-pos0, up0)
    assert np.dot(pos1, right0) < 0
    assert inter.picked is None                    # a drag is no click
    # a vertical drag of a sixth of the height: 30 degrees of elevation,
    # about the camera's right axis (its component along it unchanged)
    right = np.cross(-pos1, np.array(cam.GetViewUp()))
    right /= np.linalg.norm(right)
    _event(iren, 'LeftButtonPressEvent', 160, 100)
    _event(iren, 'MouseMoveEvent', 160, 100 + H // 6)
    _event(iren, 'LeftButtonReleaseEvent', 160, 100 + H // 6)
    pos2 = np.array(cam.GetPosition()) - fp
    assert _angle(pos1, pos2) == pytest.approx(30.0, abs=1e-6)
    assert np.dot(pos2, right) == pytest.approx(np.dot(pos1, right), abs=1e-12)
    assert np.dot(cam.GetViewUp(), pos2) == pytest.approx(0.0, abs=1e-9)   # orthogonal
    # mouse moves without a button held do nothing
    _event(iren, 'MouseMoveEvent', 10, 10)
    assert np.allclose(np.array(cam.GetPosition()) - fp, pos2)
    # the wheel: distance / 1.2 forward, x 1.2 backward
    d0 = cam.GetDistance()
    _event(iren, 'MouseWheelForwardEvent', 160, 120)
    assert cam.GetDistance() == pytest.approx(d0 / 1.2, rel=1e-9)
    _event(iren, 'MouseWheelBackwardEvent', 160, 120)
    _event(iren, 'MouseWheelBackwardEvent', 160, 120)
    assert cam.GetDistance() == pytest.approx(d0 * 1.2, rel=1e-9)
    # 'r' shows everything again: the camera looks at the middle of the cell
    _key(iren, 'r')
    b = w.bounds()
    assert np.allclose(cam.GetFocalPoint(), [(b[0] + b[1]) / 2, (b[2] + b[3]) / 2,
                                             (b[4] + b[5]) / 2], atol=1e-12)
    w.finalize()


def _run_cell_with_table():
    soma, dends = cell.build(spines=False)
    soma.inject = 3e-10
    for tick in range(10):
        moose.setClock(tick, 50e-6)
    moose.Neutral('/data')
    tab = moose.Table('/data/dend2Vm')
    moose.connect(tab, 'requestOut', dends[2], 'getVm')
    return soma, dends, tab


def test_click_picks_compartment_and_plots_its_recorded_vm():
    import matplotlib
    from matplotlib.figure import Figure
    matplotlib.use('Agg')
    soma, dends, tab = _run_cell_with_table()
    w, inter = _interactive([viz3d.View('/model/elec/#', 'Vm')])
    w.run(0.005, 1e-3)
    assert w.nframes == 6 and len(tab.vector) == 101
    iren = inter.iren
    # a click (press and release at one place) on dend2's projected middle
    x, y = _project(w, (35e-6, 0, 0))
    _event(iren, 'LeftButtonPressEvent', x, y)
    _event(iren, 'LeftButtonReleaseEvent', x, y)
    assert inter.picked is not None and inter.picked[2] == dends[2].path
    fig = inter.figure
    assert isinstance(fig, Figure)
    line = fig.axes[0].lines[0]
    # the Table's samples, in mV, at its dt: real recorded values
    assert np.array_equal(line.get_ydata(), np.asarray(tab.vector) * 1e3)
    assert np.allclose(line.get_xdata(), np.arange(101) * 50e-6)
    assert line.get_ydata().max() > line.get_ydata()[0] + 1.0     # it depolarised
    assert fig.axes[0].get_title() == dends[2].path and 'mV' in fig.axes[0].get_ylabel()
    # dend0 has no Table: its plot is the viewer's frames, which a Table of
    # dend0 sampling every step would have seen at the frame times
    x0, y0 = _project(w, (15e-6, 0, 0))
    _event(iren, 'MouseMoveEvent', x0, y0)
    _event(iren, 'KeyPressEvent', x0, y0, key='p')      # keys carry the mouse position
    assert inter.picked[2] == dends[0].path
    line0 = inter.figure.axes[0].lines[0]
    assert np.allclose(line0.get_xdata(), np.arange(6) * 1e-3)
    import matplotlib.pyplot as plt
    plt.close('all')
    w.finalize()


def test_frames_history_equal_a_table_of_the_same_compartment():
    """The viewer's kept values (the fallback of a pick) are the model's
    Vm at each frame: equal to a Table of the compartment at those times."""
    soma, dends, tab = _run_cell_with_table()
    tab0 = moose.Table('/data/dend0Vm')
    moose.connect(tab0, 'requestOut', dends[0], 'getVm')
    w = viz3d.Viewer([viz3d.View('/model/elec/#', 'Vm')], offscreen=True, size=(W, H),
                     history=True)
    w.run(0.005, 1e-3)
    seg = w.panels[0].seg.labels.index(dends[0].path)
    t, y, src = w.recorded(0, seg)                  # a Table exists: its samples
    assert 'dend0Vm' in src
    assert np.array_equal(y, np.asarray(tab0.vector) * 1e3)
    frames = np.array([h[0][seg] for h in w.history])
    assert np.allclose(frames, np.asarray(tab0.vector)[::20] * 1e3, rtol=0, atol=1e-9)
    w.finalize()


def test_pick_empty_space_and_unrecorded_object():
    soma, dends = cell.build(spines=False)
    w, inter = _interactive([viz3d.View('/model/elec/#', 'Vm')], history=False)
    w.history = None
    _event(inter.iren, 'LeftButtonPressEvent', 2, 2)
    _event(inter.iren, 'LeftButtonReleaseEvent', 2, 2)
    assert inter.picked is None and inter.figure is None
    with pytest.raises(MooseError, match=r"dend0\[0\]\.Vm.*requestOut.*getVm"):
        w.plot_recorded(0, w.panels[0].seg.labels.index(dends[0].path))
    w.finalize()


def test_pause_holds_the_clock_and_step_advances_one_frame():
    """space while running pauses: the clock-driven frame waits (the
    simulation with it) while events are handled; 'n' runs exactly one
    frame interval and pauses again; space resumes."""
    soma, dends, tab = _run_cell_with_table()
    w, inter = _interactive([viz3d.View('/model/elec/#', 'Vm')])
    iren = inter.iren
    seen = []
    script = {2: 'space', 5: 'n', 7: 'space'}
    calls = [0]

    def pump():
        k = calls[0]
        calls[0] += 1
        seen.append((k, w.t, w.nframes, inter.paused, len(tab.vector)))
        if k in script:
            _key(iren, script[k])
        if k > 50:
            raise AssertionError('the viewer never resumed')
    inter.pump = pump
    w.run(0.006, 1e-3)
    # frames at 0, 1, ..., 6 ms
    assert w.nframes == 7 and np.allclose(w.times, np.arange(7) * 1e-3)
    by_call = {k: (t, n, p, ns) for k, t, n, p, ns in seen}
    # calls 0, 1, 2: after the frames at 0, 1, 2 ms (running)
    assert [by_call[k][0] for k in (0, 1, 2)] == pytest.approx([0.0, 1e-3, 2e-3])
    # after space at call 2: calls 3, 4, 5 while paused at the 2 ms frame:
    # no frame drawn, the Table (sampling every 50 us) took no sample
    for k in (3, 4, 5):
        t, n, p, ns = by_call[k]
        assert p and t == pytest.approx(2e-3) and n == 3 and ns == by_call[2][3]
    # 'n' at call 5: exactly one frame interval later, paused again
    t, n, p, ns = by_call[6]
    assert p and t == pytest.approx(3e-3) and n == 4
    assert ns - by_call[5][3] == 20                 # 1 ms of 50 us steps
    t, n, p, ns = by_call[7]
    assert p and t == pytest.approx(3e-3) and n == 4
    # space at call 7 resumes: the rest of the run, one call per frame
    assert [by_call[k][0] for k in range(8, len(seen))] == pytest.approx([4e-3, 5e-3, 6e-3])
    assert not inter.paused
    w.finalize()


def test_quit_key_stops_the_run():
    _run_cell_with_table()
    w, inter = _interactive([viz3d.View('/model/elec/#', 'Vm')])

    def pump():
        if w.t >= 2e-3 - 1e-12:
            _key(inter.iren, 'q')
    inter.pump = pump
    w.run(0.01, 1e-3)
    assert inter.quit_requested
    assert w.times[-1] < 0.005
    w.finalize()


def test_interactive_without_display_falls_back_headless(monkeypatch, caplog, tmp_path):
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    cell.build(spines=False)
    with caplog.at_level(logging.WARNING, logger='moosepy.viz3d'):
        w = viz3d.Viewer([viz3d.View('/model/elec/#', 'Vm')], interactive=True, size=(W, H),
                         frames=str(tmp_path / 'f'))
    assert 'no display' in caplog.text and w.offscreen and w.interaction is None
    with pytest.raises(MooseError, match='no display'):
        w.show()
    w.frame(0.0)
    assert len(list((tmp_path / 'f').glob('*.png'))) == 1          # headless output works
    w.finalize()


def test_interaction_handlers_are_the_only_style():
    """VTK's own interactor style is removed, so a drag is handled once."""
    cell.build(spines=False)
    w, inter = _interactive([viz3d.View('/model/elec/#', 'Vm')])
    assert inter.iren.GetInteractorStyle() is None
    assert isinstance(w.interaction, Interaction)
    w.finalize()


def test_click_in_the_right_panel_picks_a_voxel_and_plots_its_table():
    """Side by side: a click in the chemistry panel picks the NeuroMesh
    voxel under it (not a compartment of the left panel) and plots the
    Table2 recording that voxel's conc (uM)."""
    import matplotlib.pyplot as plt
    cell.build(chem=True, spines=False)
    pool = moose.element('/model/chem/dend/Ca')
    n = pool.vec.num
    moose.vec(pool).concInit = np.linspace(1e-4, 1e-3, n)
    moose.Neutral('/data')
    k = n - 2                                       # a voxel of dend2
    tab = moose.Table2('/data/caVoxel')
    moose.connect(tab, 'requestOut', moose.vec(pool)[k], 'getConc')
    moose.setClock(18, 1e-3)
    ve = viz3d.View('/model/elec/#', 'Vm')
    vc = viz3d.View(mesh='/model/chem/dend', pool='Ca', field='conc')
    w, inter = _interactive([ve, vc])
    w.run(0.004, 1e-3)
    assert len(tab.vector) == 5
    mid = 0.5 * (vc.seg.p0[k] + vc.seg.p1[k])
    ren = w.renderers[1]
    ren.SetWorldPoint(*mid, 1.0)
    ren.WorldToDisplay()
    x, y, _ = ren.GetDisplayPoint()
    assert x > W / 2                                # in the right half
    _event(inter.iren, 'LeftButtonPressEvent', x, y)
    _event(inter.iren, 'LeftButtonReleaseEvent', x, y)
    assert inter.picked[:2] == (1, k)
    assert inter.picked[2] == moose.element('/model/chem/dend').path + f'/mesh[{k}]'
    line = inter.figure.axes[0].lines[0]
    assert np.array_equal(line.get_ydata(), np.asarray(tab.vector) * 1e3)
    assert np.allclose(line.get_ydata(), np.linspace(1e-4, 1e-3, n)[k] * 1e3)   # no reactions
    assert 'uM' in inter.figure.axes[0].get_ylabel()
    plt.close('all')
    w.finalize()
