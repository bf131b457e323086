"""Views (what to draw, coloured by what) and the Viewer (window, frames,
outputs, clock).

A :class:`View` selects segments (compartments by wildcard path, or the
voxels of a chemical mesh, optionally only those on selected compartments)
and the field that colours them; a :class:`Viewer` lays views side by side
(or merged into one scene), keeps one shared camera, and on each
:meth:`Viewer.frame` reads the values in bulk, writes them into the colour
arrays, moves the camera, renders, and hands the pixels to its outputs (PNG
frames, a movie).  :meth:`Viewer.run` drives frames from the clock every
``dt`` through a small Python-stepped object (:class:`VizUpdater`) on its
own tick, so the compiled solvers still advance in whole chunks between
frames, and returns when the run ends.
"""

import logging
import os

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError, MooseError, PathError
from ..core.fields import Dest
from . import geometry as geo
from .values import MOOSE_FIELDS, FieldReader

log = logging.getLogger('moosepy.viz3d')


def _handle(x):
    from ..core.shell import element
    return element(x) if isinstance(x, str) else x


class View:
    """One panel: segments and the field that colours them.

    Parameters
    ----------
    path : str or list, optional
        Wildcard path of compartments (or a list of compartment handles).
    field : str
        Field read from each drawn object ('Vm', 'Ca', 'Gk', 'conc', 'n', ...).
    relpath : str
        Object under each compartment that has the field ('.' = the
        compartment itself; e.g. 'Ca_conc', 'NMDA'); compartments without it
        are not drawn.
    mesh : str or handle, optional
        A NeuroMesh/SpineMesh/PsdMesh/EndoMesh/PresynMesh/CubeMesh/CylMesh:
        its voxels are drawn instead (those on the compartments of *path*
        when both given; CubeMesh and CylMesh voxels lie on no compartment).
    pool : str or handle, optional
        With *mesh*: the pool (name under the mesh, or path) whose *field* per
        voxel colours the voxels.
    vmin, vmax : float, optional
        Colour range in display units; None: the current values' range
        (automatic, each frame).
    scale, unit, label : optional
        Display scale from the field's units (SI, mM) and its unit name;
        defaults: rdesigneur's for known fields (Vm in mV, Ca and conc in
        uM, Gk in nS, ...), else 1 and the field's unit.
    colormap : str
        Any matplotlib colour map name ('jet', 'viridis', 'plasma', ...).
    diaScale : float
        Diameters drawn times this.
    style : 'tubes' or 'lines'
    """

    def __init__(self, path=None, field='Vm', relpath='.', mesh=None, pool=None,
                 title='', vmin=None, vmax=None, scale=None, unit=None, label=None,
                 colormap='jet', diaScale=1.0, style='tubes', sides=8):
        self.field = field
        self.title = title
        self.vmin, self.vmax = vmin, vmax
        self.colormap = colormap
        self.style, self.sides = style, sides
        if path is None and mesh is None:
            raise PathError('viz3d.View: give a compartment path, a mesh, or both')
        comps = None
        if path is not None:
            comps = geo.find_compartments(path) if isinstance(path, str) else list(path)
        if mesh is not None:
            mesh = _handle(mesh)
            seg = geo.mesh_segments(mesh, diaScale)
            vox = seg.voxels
            nvox = len(seg)
            if comps is not None:
                if len(seg) and seg.kind[0] in (geo.CUBE_VOXEL, geo.CYL_VOXEL):
                    raise PathError(f'viz3d.View: the voxels of {mesh.path} '
                                    f'({type(mesh).__name__}) lie on no compartment; give '
                                    'mesh= without a compartment path')
                keep = self._voxels_on(mesh, comps)
                if not len(keep):
                    raise PathError(f'viz3d.View: no voxel of {mesh.path} lies on the '
                                    f'compartments of {path!r}')
                seg = _subset(seg, keep)
                vox = vox[keep]
            if pool is None:
                raise PathError(f'viz3d.View: give the pool whose {field!r} colours the '
                                f'voxels of {mesh.path}')
            pool = self._find_pool(mesh, pool)
            if pool._element().num != nvox:
                raise FieldError(f'viz3d.View: {pool.path} has {pool._element().num} entries '
                                 f'but {mesh.path} has {nvox} voxels')
            objects = [pool] * len(vox)
            entries = vox
            self.source = pool.path
        else:
            seg = geo.compartment_segments(comps, diaScale)
            entries = None
            if relpath in ('.', '', None):
                objects = list(comps)
            else:
                from ..core.shell import exists, element
                keep, objects = [], []
                for i, c in enumerate(comps):
                    p = c.path + '/' + relpath
                    if exists(p):
                        keep.append(i)
                        objects.append(element(p))
                if not keep:
                    raise PathError(f"viz3d.View: no compartment of {path!r} has a "
                                    f"'{relpath}' under it")
                seg = _subset(seg, np.asarray(keep))
            self.source = path if isinstance(path, str) else f'{len(comps)} compartments'
        self.seg = seg
        self.objects = objects
        self.entries = entries
        known = MOOSE_FIELDS.get(field)
        if scale is None:
            scale = known[0] if known else 1.0
        if unit is None:
            if known:
                unit = known[1]
            else:
                f = objects[0]._element().cls._fields.get(field)
                unit = getattr(f, 'unit', '') if f is not None else ''
        self.scale, self.unit = scale, unit
        self.label = label if label is not None else field
        self.reader = FieldReader(objects, field, entries, scale)
        self.values = np.zeros(len(seg))

    @staticmethod
    def _voxels_on(mesh, comps):
        ids = {(id(c._element()), c._idx) for c in comps}
        ecm = mesh.elecComptMap
        return np.array([i for i, c in enumerate(ecm)
                         if (id(c._element()), c._idx) in ids], dtype=np.int64)

    @staticmethod
    def _find_pool(mesh, pool):
        from ..core.shell import exists, element
        if not isinstance(pool, str):
            return pool
        for p in (pool, f'{mesh.path}/{pool}'):
            if p.startswith('/') and exists(p):
                return element(p)
        raise PathError(f"viz3d.View: no pool '{pool}' (tried '{pool}' and "
                        f"'{mesh.path}/{pool}')")

    def read(self):
        self.reader.read(self.values)
        return self.values

    def range(self):
        """(lo, hi) of the colour map in display units."""
        v = self.values
        lo, hi = self.vmin, self.vmax
        if lo is None or hi is None:
            fin = v[np.isfinite(v)]
            if lo is None:
                lo = float(fin.min()) if len(fin) else 0.0
            if hi is None:
                hi = float(fin.max()) if len(fin) else 1.0
        return lo, hi


def _subset(seg, keep):
    return seg.subset(keep)


class VizUpdater(Neutral):
    """Draws a frame of a moosepy.viz3d Viewer at each of its ticks (the
    clock's moogliDt); made by :meth:`Viewer.attach`."""

    ports = (Dest('process', 'proc', 'Handles a clock tick: one frame'),
             Dest('reinit', 'proc', 'Handles reinit: the frame at t = 0'))

    @classmethod
    def _batch_role(cls, el):
        return 'python' if el.data.get('viewer') is not None else 'idle'

    @classmethod
    def _process(cls, el, t, dt):
        v = el.data.get('viewer')
        if v is not None:
            v.frame(t)

    @classmethod
    def _reinit(cls, el):
        v = el.data.get('viewer')
        if v is not None:
            v.frame(0.0)


class VTKMissing(MooseError, ImportError):
    """VTK is not installed: a MooseError (the CLI reports it) and an
    ImportError (callers that run without the 3-D view catch it)."""


def _has_display():
    return bool(os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))


class Viewer:
    """A window (on screen, or off screen when headless) of views.

    Parameters
    ----------
    views : list of View
    size : (width, height) in pixels
    merge : bool
        All views in one scene (one colour bar each) instead of side by side.
    movie : str, optional
        '.mp4' (imageio-ffmpeg; VTK's Ogg Theora writer as the fallback,
        written as '.ogv' beside it), '.gif' (Pillow) or '.ogv'.
    frames : str, optional
        PNG series: a folder, or a pattern with one ``%d``-style field.
    fps : frames per second of the movie.
    rotation : camera azimuth step per frame [rad] (rdesigneur's ``rotation``).
    azim, elev : initial camera azimuth and elevation [rad].
    camera : dict, optional
        ``position``, ``focal_point``, ``view_up`` [m], ``zoom``.
    camera_path : callable or list, optional
        ``f(frame_index, t, camera)`` called before each render, or a list of
        camera dicts, one per frame (the last one kept after the list ends).
    offscreen : bool, optional
        Default: True unless a display exists.
    interactive : bool
        With a display: a window with mouse and keys (drag rotates, wheel
        zooms, a click picks the compartment under the mouse and plots its
        recorded history with matplotlib, space pauses, 'n' steps one
        frame; see :mod:`moosepy.viz3d.interact`).  Without a display
        (``DISPLAY``/``WAYLAND_DISPLAY`` unset, CI) there is no window: the
        viewer logs a warning and works headless (frames, movie, PNG) as if
        *interactive* were False, and :meth:`show` raises MooseError.
        :meth:`interact` attaches the same handlers to any interactor (an
        off-screen window's, for tests).
    history : bool, optional
        Keep every frame's values (for picking plots); default: True when
        interactive.
    lighting : bool
        False: no shading, every segment in its exact colour-map colour.
    """

    def __init__(self, views, size=(800, 600), merge=False, movie=None, frames=None, fps=20,
                 rotation=0.0, azim=0.0, elev=0.0, camera=None, camera_path=None,
                 background=(0.08, 0.08, 0.12), offscreen=None, interactive=False,
                 time_label=True, history=None, colorbar=True, lighting=True):
        # bad outputs are refused before any window opens
        self._check_outputs(movie, frames)
        try:
            from . import scene
        except ImportError as exc:
            raise VTKMissing(f'viz3d: drawing needs VTK ({exc}); install it with '
                             "pip install 'moosepy[viz]' (vtk, imageio-ffmpeg)") from None
        self._scene = scene
        if isinstance(views, View):
            views = [views]
        self.views = list(views)
        if not self.views:
            raise MooseError('viz3d.Viewer: no views')
        self.size = (int(size[0]), int(size[1]))
        if offscreen is None:
            offscreen = not _has_display()
        self.offscreen = offscreen
        self.rotation = float(rotation)
        self.camera_path = camera_path
        if interactive and offscreen:
            log.warning('viz3d: interactive=True but %s: no window; the viewer works '
                        'headless (movie=, frames=, save_png)',
                        'no display (DISPLAY unset)' if not _has_display()
                        else 'offscreen=True')
            interactive = False
        if history is None:
            history = bool(interactive)
        self.history = [] if history else None
        self.times = []
        self.nframes = 0
        self.fps = fps
        self.t = 0.0
        self.movie_path, self.frames_pattern = movie, frames
        self._movie = None
        self.win = scene.make_window(self.size[0], self.size[1], offscreen)
        self.renderers = []
        n = len(self.views)
        self.panels = []
        if merge:
            ren = scene.vtkRenderer()
            ren.SetBackground(*background)
            self.win.AddRenderer(ren)
            self.renderers.append(ren)
        for i, v in enumerate(self.views):
            if merge:
                ren = self.renderers[0]
            else:
                ren = scene.vtkRenderer()
                ren.SetViewport(i / n, 0.0, (i + 1) / n, 1.0)
                ren.SetBackground(*background)
                self.win.AddRenderer(ren)
                self.renderers.append(ren)
            p = scene.Panel(ren, v.seg, v.colormap, v.title, v.label, v.unit, v.sides,
                            v.style, colorbar, lighting)
            if merge and p.bar is not None and i:
                p.bar.GetPositionCoordinate().SetValue(0.86 - 0.14 * i, 0.1)
            self.panels.append(p)
        cam = self.renderers[0].GetActiveCamera()
        for r in self.renderers[1:]:
            r.SetActiveCamera(cam)
        self.camera = cam
        self.renderers[0].ResetCamera(self.bounds())
        if azim:
            cam.Azimuth(np.degrees(azim))
        if elev:
            cam.Elevation(np.degrees(elev))
        if camera:
            self.set_camera(**camera)
        for r in self.renderers:
            r.ResetCameraClippingRange()
        self.time_actor = None
        if time_label:
            ta = scene.vtkTextActor()
            ta.GetTextProperty().SetFontSize(16)
            ta.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
            ta.GetPositionCoordinate().SetValue(0.02, 0.02)
            self.renderers[-1].AddViewProp(ta)
            self.time_actor = ta
        self.interaction = None
        self.update()           # the current values, so a fresh viewer shows the model
        if interactive:
            self.interact().iren.Initialize()

    # ------------------------------------------------------------ checks
    @staticmethod
    def _check_outputs(movie, frames):
        for what, p in (('movie', movie), ('frames', frames)):
            if p is None:
                continue
            p = str(p)
            d = os.path.dirname(os.path.abspath(p if what == 'movie' or '%' in p
                                                else os.path.join(p, 'x')))
            if what == 'frames' and '%' not in p:
                try:
                    os.makedirs(p, exist_ok=True)
                except OSError as exc:
                    raise MooseError(f'viz3d: cannot make the frames folder {p!r}: {exc}') \
                        from None
            if not os.path.isdir(d) or not os.access(d, os.W_OK):
                raise MooseError(f'viz3d: cannot write the {what} {p!r}: folder {d!r} does not '
                                 'exist or is not writable')
            if what == 'movie' and os.path.splitext(p)[1].lower() not in ('.mp4', '.gif',
                                                                          '.ogv'):
                raise MooseError(f"viz3d: movie {p!r}: expected a name ending in .mp4, .gif "
                                 "or .ogv")

    # ------------------------------------------------------------ camera
    def bounds(self):
        b = np.array([p.seg.bounds for p in self.panels if len(p.seg)])
        return (b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(),
                b[:, 4].min(), b[:, 5].max())

    def set_camera(self, position=None, focal_point=None, view_up=None, zoom=None,
                   azimuth=None, elevation=None):
        """Place the shared camera (lengths in m, angles in degrees)."""
        c = self.camera
        if position is not None:
            c.SetPosition(*map(float, position))
        if focal_point is not None:
            c.SetFocalPoint(*map(float, focal_point))
        if view_up is not None:
            c.SetViewUp(*map(float, view_up))
        if azimuth:
            c.Azimuth(float(azimuth))
        if elevation:
            c.Elevation(float(elevation))
        if zoom:
            c.Zoom(float(zoom))
        for r in self.renderers:
            r.ResetCameraClippingRange()

    # ------------------------------------------------------------ frames
    def update(self, t=None):
        """Read every view's values, colour the segments, set the time label."""
        for v, p in zip(self.views, self.panels):
            vals = v.read()
            p.set_values(vals)
            p.set_range(*v.range())
        if t is not None:
            if self.history is not None:
                self.history.append([v.values.copy() for v in self.views])
            self.t = t
            self.times.append(t)
            if self.time_actor is not None:
                self.time_actor.SetInput(f't = {t:.4g} s')

    def render(self):
        self.win.Render()

    def snapshot(self):
        """The current image as an (height, width, 3) uint8 array."""
        return self._scene.read_pixels(self.win)

    def frame(self, t):
        """One frame at time *t* [s]: values, camera, render, outputs."""
        self.update(t)
        k = self.nframes
        if self.camera_path is not None:
            if callable(self.camera_path):
                self.camera_path(k, t, self.camera)
            elif len(self.camera_path):
                self.set_camera(**self.camera_path[min(k, len(self.camera_path) - 1)])
        if self.rotation and k:
            self.camera.Azimuth(np.degrees(self.rotation))
            for r in self.renderers:
                r.ResetCameraClippingRange()
        self.render()
        if self.movie_path or self.frames_pattern:
            img = self.snapshot()
            if self.frames_pattern:
                self._write_png(img, self._frame_name(k))
            if self.movie_path:
                if self._movie is None:
                    from .movie import MovieWriter
                    self._movie = MovieWriter(self.movie_path, self.size, self.fps)
                self._movie.add(img)
        self.nframes += 1
        if self.interaction is not None:
            self.interaction.after_frame()      # events; waits here while paused

    def _frame_name(self, k):
        p = str(self.frames_pattern)
        if '%' in p:
            return p % k
        return os.path.join(p, f'frame_{k:05d}.png')

    @staticmethod
    def _write_png(img, path):
        from .movie import write_png
        write_png(img, path)

    def save_png(self, path, t=None):
        """Update, render and write one PNG; returns the path."""
        d = os.path.dirname(os.path.abspath(str(path)))
        if not os.path.isdir(d) or not os.access(d, os.W_OK):
            raise MooseError(f'viz3d: cannot write {path!r}: folder {d!r} does not exist or '
                             'is not writable')
        self.update(t)
        self.render()
        self._write_png(self.snapshot(), str(path))
        return str(path)

    def close(self):
        """Finish the movie (if any); returns its path."""
        out = None
        if self._movie is not None:
            out = self._movie.close()
            self._movie = None
        return out

    def finalize(self):
        """Close outputs and release the window."""
        out = self.close()
        if self.interaction is not None:
            self.interaction.close()
            self.interaction = None
        self.win.Finalize()
        return out

    # ------------------------------------------------------------ clock
    def attach(self, dt, tick=None, path='/moosepy_viz'):
        """Schedule a frame every *dt* [s] on the clock (a VizUpdater on
        *tick*, by default the highest tick that nothing else uses)."""
        from ..core.clock import clock, setClock, useClock
        from ..core.shell import exists, element
        if not dt > 0:
            raise MooseError(f'viz3d: the frame interval (moogliDt) must be > 0 s, got {dt!r}')
        if tick is None:
            from ..core.element import root
            used = {el.tick for el in root().walk()
                    if not issubclass(el.cls, VizUpdater)}
            free = [k for k in range(31, 9, -1) if k not in used]
            if not free:
                raise MooseError('viz3d: no free clock tick for the viewer; pass tick=')
            tick = free[0]
        if not exists(path):
            Neutral(path)
        k = 0
        while exists(f'{path}/view{k}'):
            k += 1
        up = VizUpdater(f'{path}/view{k}')
        up._el.data['viewer'] = self
        setClock(tick, dt)
        useClock(tick, up.path, 'process')
        self.updater = up
        self.tick = tick
        return up

    def detach(self):
        from ..core.shell import delete
        up = getattr(self, 'updater', None)
        if up is not None and up._el.alive:
            up._el.data.pop('viewer', None)
            delete(up)
        self.updater = None

    def run(self, runtime, dt, reinit=True, tick=None, close=True):
        """Reinit (unless told not to), run *runtime* [s] drawing a frame
        every *dt* [s] and, with *close*, finish the movie; returns self when
        the run ends.  Runs that continue a movie pass ``reinit=False`` and
        all but the last ``close=False``."""
        from ..core.clock import reinit as _reinit, start
        self.attach(dt, tick)
        try:
            if reinit:
                _reinit()
            else:
                from ..core.clock import clock
                now = clock.current_time
                # the frame at the start, unless drawn already; at step 0
                # start() reinits (the updater is new structure) and the
                # updater draws it then
                if clock.current_step > 0 and (not self.times or abs(self.times[-1] - now) >
                                               1e-12 * max(1.0, now)):
                    self.frame(now)
            start(runtime)
        finally:
            self.detach()
            if close:
                self.close()
        return self

    # ------------------------------------------------------------ picking
    def pick(self, x, y):
        """(view index, segment index, path) under the window pixel (x, y)
        (origin bottom left), or None."""
        sc = self._scene
        for i, p in enumerate(self.panels):
            r = self.renderers[0] if len(self.renderers) == 1 else self.renderers[i]
            if len(self.renderers) > 1 and not r.IsInViewport(int(x), int(y)):
                continue
            picker = sc.vtkCellPicker()
            picker.SetTolerance(0.002)
            picker.AddLocator(p.locator())
            picker.PickFromListOn()
            picker.AddPickList(p.actor)
            if picker.Pick(float(x), float(y), 0.0, r) and picker.GetCellId() >= 0:
                s = int(p.segcell[picker.GetCellId()])
                return i, s, p.seg.labels[s]
        return None

    def pick_point(self, xyz, view=0):
        """(segment index, path) nearest the point *xyz* [m] in a view."""
        p = self.panels[view]
        s = p.pick_point(xyz)
        return (s, p.seg.labels[s]) if s is not None else None

    def recorded(self, view, segment):
        """The recorded history of the value drawn for a segment, in the
        view's display units: ``(t [s], values, source)``.

        From a Table (or Table2) that records the view's field of the
        segment's object (its ``requestOut`` to ``get<Field>`` of the
        compartment, or of the pool's voxel), at the table's own dt; else
        from the values the viewer kept at each frame (``history``).
        Raises MooseError when neither exists."""
        from ..core.msg import linked_indices
        from ..core.table import TableBase
        v = self.views[view]
        obj = v.objects[segment]
        el = obj._element()
        idx = obj._idx if v.entries is None else int(v.entries[segment])
        f = v.field
        for port in dict.fromkeys(('get' + f[:1].upper() + f[1:], 'get' + f)):
            for other, j, _ in linked_indices(el, idx, port):
                if issubclass(other.cls, TableBase):
                    tab = other.handle(j)
                    y = np.asarray(tab.vector, dtype=float) * v.scale
                    t = np.arange(len(y)) * float(tab.dt)
                    return t, y, f'{tab.path} ({port})'
        if self.history:
            y = np.array([h[view][segment] for h in self.history])
            t = np.asarray(self.times[-len(y):], dtype=float)
            return t, y, f'viewer frames ({len(y)})'
        where = f'{obj.path} (voxel {idx})' if v.entries is not None else obj.path
        raise MooseError(f'viz3d: no recorded values of {where}.{f}: record it with a Table '
                         f"(connect its 'requestOut' to 'get{f[:1].upper() + f[1:]}') or make "
                         'the viewer with history=True')

    def plot_recorded(self, view, segment):
        """A matplotlib Figure of a segment's recorded history
        (:meth:`recorded`), titled with its path."""
        from .interact import history_figure
        t, y, source = self.recorded(view, segment)
        v = self.views[view]
        return history_figure(t, y, self.panels[view].seg.labels[segment], 'time (s)',
                              f'{v.label} ({v.unit})' if v.unit else v.label, source)

    def plot_history(self, view, segment, ax=None):
        """matplotlib plot of a segment's values kept at each frame
        (history=True); returns the Axes."""
        import matplotlib.pyplot as plt
        if not self.history:
            raise MooseError('viz3d: no history recorded (Viewer(..., history=True))')
        v = self.views[view]
        y = [h[view][segment] for h in self.history]
        t = self.times[-len(y):]
        if ax is None:
            _, ax = plt.subplots()
        ax.plot(t, y)
        ax.set_xlabel('time (s)')
        ax.set_ylabel(f'{v.label} ({v.unit})')
        ax.set_title(v.seg.labels[segment])
        return ax

    # ------------------------------------------------------------ interaction
    def interact(self, interactor=None):
        """Attach the mouse and key handlers (:class:`~moosepy.viz3d.
        interact.Interaction`) to *interactor* (None: the platform's
        ``vtkRenderWindowInteractor``); returns the Interaction.  From then
        on every clock-driven frame handles the window's events and waits
        while paused."""
        from .interact import Interaction
        if self.interaction is not None:
            self.interaction.close()
        self.interaction = Interaction(self, interactor)
        if self.history is None:
            self.history = []
        return self.interaction

    @property
    def paused(self):
        return self.interaction is not None and self.interaction.paused

    def show(self):
        """On screen: hand control to the window's event loop
        (``interactor.Start()``) until it is closed or 'q' is pressed.  This
        loop is the one part of the interactive viewer that the tests do not
        run (it needs a display)."""
        if self.interaction is None or self.offscreen:
            raise MooseError('viz3d: no interactive window: ' +
                             ('no display (DISPLAY unset); headless, write frames or a movie '
                              '(movie=, frames=, save_png)' if not _has_display() else
                              'make the Viewer with interactive=True and offscreen=False'))
        self.render()
        self.interaction.iren.Start()

    # ------------------------------------------------------------ notebooks
    def _repr_png_(self):
        from .movie import png_bytes
        self.render()
        return png_bytes(self.snapshot())

    def video(self):
        """The movie written, as an IPython Video embedded in the notebook
        (no server)."""
        if not self.movie_path or not os.path.exists(str(self.movie_path)):
            raise MooseError('viz3d: no movie written (Viewer(..., movie=...), then run)')
        from IPython.display import Video
        return Video(str(self.movie_path), embed=True)

    def to_pyvista(self, view=0):
        """The view's polydata (with its 'values' cell array) as a pyvista
        PolyData, for users who have pyvista."""
        try:
            import pyvista
        except ImportError:
            raise MooseError('viz3d.to_pyvista: pyvista is not installed') from None
        return pyvista.wrap(self.panels[view].poly)
