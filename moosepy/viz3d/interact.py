"""The interactive viewer: mouse and keys on a VTK window.

:class:`Interaction` attaches its handlers (observers) to a
``vtkRenderWindowInteractor`` of a :class:`~moosepy.viz3d.Viewer`'s window
and replaces VTK's own interactor style, so that everything the user can
do is in the handlers here:

=========================  ====================================================
left drag                  rotate the camera about its focal point: a drag
                           across the whole window width turns it
                           ``ROTATE_DEG`` (180) degrees in azimuth, across the
                           whole height 180 degrees in elevation (the object
                           follows the mouse, as VTK's trackball style)
wheel forward / backward   zoom: the camera's distance to its focal point
                           divided / multiplied by ``ZOOM`` (1.2)
left click (press and      pick the compartment (or voxel) under the mouse and
release within             plot its recorded history with matplotlib (a Table
``CLICK_PX`` = 3 px)       recording the view's field of that object, else the
                           values the viewer kept at each frame)
``p``                      the same pick at the mouse position
``space``                  pause / resume: while paused the clock-driven
                           frame does not return, so the simulation waits
                           (the window still rotates, zooms and picks)
``n``                      step: run to the next frame (one ``moogliDt``) and
                           pause again
``r``                      reset the camera to show every view
``q`` or ``Escape``        quit: resume, ask the run to stop, end ``show()``
=========================  ====================================================

The handlers do not need an event loop: a test builds a viewer on an
off-screen (EGL) window, attaches an interactor that is never started
(``vtkGenericRenderWindowInteractor``), injects events with
``SetEventInformation`` + ``InvokeEvent`` and checks the camera, the pick,
the figure and the clock.  While paused, the viewer waits in a loop that
calls :meth:`Interaction.pump` (by default the interactor's
``ProcessEvents`` and a short sleep); a test replaces ``pump`` on the
instance to inject its events there.  Only ``interactor.Start()`` -- the
operating system's event loop that :meth:`Viewer.show` enters on a real
display -- is left untested (no display on the test machines).
"""

import logging
import time

import numpy as np

log = logging.getLogger('moosepy.viz3d')

_NON_INTERACTIVE_BACKENDS = ('agg', 'pdf', 'pgf', 'ps', 'svg', 'cairo', 'template')


class Interaction:
    """Mouse and key handlers of a viewer on *interactor* (a
    ``vtkRenderWindowInteractor``; None: the platform's, for a window on a
    display).

    Attributes a caller may read: ``paused``, ``picked`` (view index,
    segment index, path of the last pick, or None), ``figure`` (the
    matplotlib Figure of the last pick), ``quit_requested``.
    """

    ROTATE_DEG = 180.0   # degrees per window width (azimuth) / height (elevation)
    ZOOM = 1.2           # distance factor per wheel notch
    CLICK_PX = 3         # press-release within this many pixels: a click
    IDLE_S = 0.02        # sleep between event polls while paused [s]

    def __init__(self, viewer, interactor=None):
        if interactor is None:
            import vtkmodules.vtkRenderingUI  # noqa: F401  (the platform's interactor)
            from vtkmodules.vtkRenderingCore import vtkRenderWindowInteractor
            interactor = vtkRenderWindowInteractor()
        self.viewer = viewer
        self.iren = interactor
        if interactor.GetRenderWindow() is not viewer.win:
            interactor.SetRenderWindow(viewer.win)
        # no VTK interactor style: these handlers are the whole behaviour
        interactor.SetInteractorStyle(None)
        self.paused = False
        self.quit_requested = False
        self.picked = None
        self.figure = None
        self._step = False
        self._down = None
        self._last = None
        self._dragging = False
        self._tags = [interactor.AddObserver(ev, fn) for ev, fn in (
            ('LeftButtonPressEvent', self.on_left_press),
            ('MouseMoveEvent', self.on_mouse_move),
            ('LeftButtonReleaseEvent', self.on_left_release),
            ('MouseWheelForwardEvent', self.on_wheel_forward),
            ('MouseWheelBackwardEvent', self.on_wheel_backward),
            ('KeyPressEvent', self.on_key))]

    # ------------------------------------------------------------ mouse
    def on_left_press(self, obj, ev):
        self._down = self._last = tuple(obj.GetEventPosition())
        self._dragging = False

    def on_mouse_move(self, obj, ev):
        if self._down is None:
            return
        x, y = obj.GetEventPosition()
        if not self._dragging:
            if max(abs(x - self._down[0]), abs(y - self._down[1])) <= self.CLICK_PX:
                return
            self._dragging = True
        lx, ly = self._last
        self._last = (x, y)
        self.rotate(x - lx, y - ly)

    def on_left_release(self, obj, ev):
        if self._down is None:
            return
        x, y = obj.GetEventPosition()
        if self._dragging:
            lx, ly = self._last
            if (x, y) != (lx, ly):
                self.rotate(x - lx, y - ly)
        else:
            self.pick(x, y)
        self._down = self._last = None
        self._dragging = False

    def on_wheel_forward(self, obj, ev):
        self.zoom(self.ZOOM)

    def on_wheel_backward(self, obj, ev):
        self.zoom(1.0 / self.ZOOM)

    # ------------------------------------------------------------ keys
    def on_key(self, obj, ev):
        key = obj.GetKeySym()
        if key == 'space':
            self.paused = not self.paused
            if not self.paused:
                self._step = False
            log.info('viz3d: %s at t = %g s', 'paused' if self.paused else 'running',
                     self.viewer.t)
        elif key == 'n':
            self._step = True
            self.paused = False
        elif key == 'p':
            self.pick(*obj.GetEventPosition())
        elif key == 'r':
            v = self.viewer
            v.renderers[0].ResetCamera(v.bounds())
            self._changed()
        elif key in ('q', 'Escape'):
            self.quit()

    # ------------------------------------------------------------ actions
    def rotate(self, dx, dy):
        """Turn the camera for a drag of (dx, dy) window pixels."""
        w, h = self.viewer.win.GetSize()
        cam = self.viewer.camera
        cam.Azimuth(-self.ROTATE_DEG * dx / max(1, w))
        cam.Elevation(-self.ROTATE_DEG * dy / max(1, h))
        cam.OrthogonalizeViewUp()
        self._changed()

    def zoom(self, factor):
        """Divide the camera's distance to its focal point by *factor*."""
        self.viewer.camera.Dolly(float(factor))
        self._changed()

    def pick(self, x, y):
        """Pick at window pixel (x, y) (origin bottom left); on a hit, plot
        the picked object's recorded history (``self.figure``)."""
        hit = self.viewer.pick(x, y)
        self.picked = hit
        if hit is None:
            log.info('viz3d: nothing under (%d, %d)', x, y)
            return None
        log.info('viz3d: picked %s', hit[2])
        self.figure = self.viewer.plot_recorded(hit[0], hit[1])
        _show_figure(self.figure)
        return hit

    def quit(self):
        from ..core.clock import stop
        self.quit_requested = True
        self.paused = False
        self._step = False
        stop()
        self.iren.TerminateApp()

    def _changed(self):
        for r in self.viewer.renderers:
            r.ResetCameraClippingRange()
        self.viewer.render()

    # ------------------------------------------------------------ the clock
    def pump(self):
        """Handle the window's pending events (replaceable per instance)."""
        self.iren.ProcessEvents()
        if self.paused:
            time.sleep(self.IDLE_S)

    def after_frame(self):
        """Called by the viewer after each clock-driven frame: handle events,
        and while paused wait here (the simulation with it)."""
        if self._step:
            self._step = False
            self.paused = True
        self.pump()
        while self.paused and not self.quit_requested:
            self.pump()

    def close(self):
        for tag in self._tags:
            self.iren.RemoveObserver(tag)
        self._tags = []
        self.iren.TerminateApp()


def _show_figure(fig):
    import matplotlib
    backend = matplotlib.get_backend().lower()
    if fig.canvas.manager is None or backend in _NON_INTERACTIVE_BACKENDS or \
            'inline' in backend:
        return
    try:
        fig.show()
    except Exception as exc:                    # pragma: no cover (GUI toolkits)
        log.warning('viz3d: cannot show the plot (%s)', exc)


def history_figure(t, y, title, xlabel, ylabel, source):
    """A matplotlib Figure of one recorded trace (pyplot's, so that it can
    be shown on an interactive backend)."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot(np.asarray(t, dtype=float), np.asarray(y, dtype=float))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.text(0.01, 0.01, source, fontsize=7, color='0.4')
    return fig
