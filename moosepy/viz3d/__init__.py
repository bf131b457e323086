"""moosepy.viz3d: a VTK 3D view of neurons and their chemistry, on screen,
headless (PNG frames, MP4/GIF movies) and in notebooks.

What it owns: turning compartments (by wildcard path) and chemical mesh
voxels (NeuroMesh, SpineMesh, PsdMesh, EndoMesh, PresynMesh, CubeMesh,
CylMesh) into tubes, spheres and boxes with their true sizes, colouring
them by any field read in bulk
from the model's columns (so from the solvers' state), and driving frames
from the clock.  What it does not own: the model (it only reads public
fields), or building rdesigneur models (``moosepy.rdesigner`` calls
:func:`moogli_display` here).

VTK is needed only for drawing and is imported lazily: ``import
moosepy.viz3d`` loads no VTK; the first :class:`Viewer` loads the few
``vtkmodules`` it uses.  Headless (``DISPLAY`` unset) it renders through EGL
(``VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow``, off screen, no
multisampling).  Install with ``pip install moosepy[viz]`` (``vtk``,
``imageio-ffmpeg`` for MP4).

Examples
--------
>>> from moosepy import viz3d
>>> v = viz3d.View('/model/elec/##[ISA=CompartmentBase]', 'Vm', vmin=-70, vmax=40)
>>> w = viz3d.Viewer([v], movie='run.mp4')
>>> w.run(0.1, dt=1e-3)          # reinit, start(0.1): a frame every ms; returns at the end
>>> w.save_png('last.png')

Or in one call: ``viz3d.display([v], runtime=0.1, dt=1e-3, movie='run.mp4')``.

On a display, ``Viewer(..., interactive=True)`` opens a window: drag
rotates, the wheel zooms, a click picks a compartment (or voxel) and plots
its recorded history with matplotlib (a Table recording it, else the
values kept at each frame), space pauses the run, 'n' steps one frame,
'r' resets the camera, 'q' quits; ``w.show()`` keeps the window after the
run (see :mod:`moosepy.viz3d.interact`).  Without a display,
``interactive=True`` logs a warning and the viewer works headless (frames,
movie, PNG); ``show()`` then raises MooseError.

rdesigneur's moogList
---------------------
:func:`moogli_display` takes rdesigneur's moogList entries, each a list
``[elecpath, geom_expr, relpath, field, title, ymin, ymax, show, diaScale]``
(or an object/dict with those attributes, e.g. ``rmoog``), and does what
``rdes.displayMoogli(moogliDt, runtime, rotation, ..., mergeDisplays,
colormap, ...)`` does, headless-safe and returning at the end of the run:

- ``elecpath`` is relative to the cell (``'/model/elec/'`` prepended unless
  absolute; ``'#'`` becomes all compartments); ``geom_expr`` selects
  compartments through a callable ``select(compartments, geom_expr)``
  supplied by the caller (rdesigner's geometry-expression evaluator); '1'
  keeps all;
- ``relpath`` '.' is the compartment, a name is the object under each
  compartment ('Ca_conc', 'NMDA'), and for the chemical fields (``conc``,
  ``n``, ``concInit``, ``nInit``, ``volume``) ``'mesh/pool'`` names a pool
  in ``/model/chem/<mesh>/<pool>`` whose voxels on the selected compartments
  are drawn (a bare ``pool`` means ``dend/pool``);
- ``ymin``/``ymax`` are in MOOSE's display units (Vm in mV, Ca and conc in
  uM, Gk in nS, currents in nA); equal means automatic;
- ``show`` False leaves the entry out; ``diaScale`` scales diameters.

Functions
---------
View, Viewer, display, moogli_views, moogli_display, render_cell
"""

__all__ = ['View', 'Viewer', 'VizUpdater', 'display', 'moogli_views', 'moogli_display',
           'render_cell', 'MOOSE_FIELDS']

from .values import MOOSE_FIELDS, FieldReader  # noqa: F401  (numpy only)


def __getattr__(name):
    if name in ('View', 'Viewer', 'VizUpdater'):
        from . import viewer
        return getattr(viewer, name)
    if name in ('display', 'moogli_views', 'moogli_display', 'render_cell'):
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'moosepy.viz3d' has no attribute {name!r}")
