"""One-call entry points: display(), rdesigneur's moogList (moogli_views,
moogli_display) and render_cell() (``moosepy view cell.swc``)."""

import math

from ..core.errors import FieldError, PathError
from .viewer import View, Viewer

CHEM_FIELDS = ('conc', 'n', 'concInit', 'nInit', 'volume')
MOOG_FIELDS = ('Vm', 'initVm', 'Im', 'inject', 'Gbar', 'Gk', 'Ik', 'ICa', 'Ca', 'n',
               'conc', 'volume', 'concInit', 'nInit')


def display(views, runtime, dt, reinit=True, **viewer_kw):
    """Run the model for *runtime* [s] drawing a frame every *dt* [s]
    (headless: to ``movie=``/``frames=``); returns the Viewer when the run
    ends (in a notebook it shows as the last frame's image)."""
    w = Viewer(views, **viewer_kw)
    return w.run(runtime, dt, reinit=reinit)


_MOOG_KEYS = ('elecpath', 'geom_expr', 'relpath', 'field', 'title', 'ymin', 'ymax', 'show',
              'diaScale')
_MOOG_DEFAULTS = ('soma', '1', '.', 'Vm', 'Membrane potential', 0.0, 0.0, True, 1.0)


def _moog_entry(e, k):
    if isinstance(e, dict):
        d = dict(zip(_MOOG_KEYS, _MOOG_DEFAULTS))
        unknown = set(e) - set(_MOOG_KEYS)
        if unknown:
            raise FieldError(f'moogList[{k}]: unknown keys {sorted(unknown)}; valid: '
                             f'{", ".join(_MOOG_KEYS)}')
        d.update(e)
    elif isinstance(e, (list, tuple)):
        if len(e) > len(_MOOG_KEYS):
            raise FieldError(f'moogList[{k}]: {len(e)} items; at most {len(_MOOG_KEYS)}: '
                             f'{", ".join(_MOOG_KEYS)}')
        d = dict(zip(_MOOG_KEYS, _MOOG_DEFAULTS))
        d.update(zip(_MOOG_KEYS, e))
    else:
        d = {key: getattr(e, key, dv) for key, dv in zip(_MOOG_KEYS, _MOOG_DEFAULTS)}
    if d['field'] not in MOOG_FIELDS:
        raise FieldError(f"moogList[{k}]: field {d['field']!r} is not one rdesigneur shows; "
                         f"valid: {', '.join(MOOG_FIELDS)}")
    return d


def _elec_path(p, model):
    p = str(p)
    if p.startswith('/'):
        base = p
    else:
        base = f'{model}/elec/{p}'
    if '[' not in base.rsplit('/', 1)[-1]:
        base += '[ISA=CompartmentBase]'
    return base


def moogli_views(moogList, model='/model', select=None, colormap='jet', style='tubes'):
    """Views for rdesigneur moogList entries (see the package docstring).

    *select*: callable ``(compartments, geom_expr) -> compartments`` for
    geometry expressions other than '1' (rdesigner supplies its evaluator);
    without it, an expression other than '1' raises FieldError."""
    from .geometry import find_compartments
    views = []
    for k, e in enumerate(moogList):
        d = _moog_entry(e, k)
        if not d['show']:
            continue
        path = _elec_path(d['elecpath'], model)
        comps = find_compartments(path)
        ge = str(d['geom_expr']).strip()
        if ge not in ('1', '', 'True'):
            if select is None:
                raise FieldError(f"moogList[{k}]: geom_expr {ge!r} needs a selector "
                                 "(moogli_views(..., select=fn))")
            comps = list(select(comps, ge))
            if not comps:
                raise PathError(f"moogList[{k}]: geom_expr {ge!r} selects no compartment "
                                f"of {path!r}")
        lo, hi = float(d['ymin']), float(d['ymax'])
        vmin, vmax = (None, None) if lo == hi else (lo, hi)
        field, rel = d['field'], d['relpath'] or '.'
        common = dict(title=d['title'], vmin=vmin, vmax=vmax, colormap=colormap,
                      diaScale=float(d['diaScale']), style=style)
        if field in CHEM_FIELDS:
            mesh_name, _, pool = rel.rpartition('/')
            mesh_name = mesh_name or 'dend'
            views.append(View(comps, field, mesh=f'{model}/chem/{mesh_name}', pool=pool,
                              **common))
        else:
            views.append(View(comps, field, relpath=rel, **common))
    if not views:
        raise PathError('moogList: no entry to show')
    return views


def moogli_display(moogList, moogliDt, runtime, rotation=math.pi / 500, azim=0.0, elev=0.0,
                   mergeDisplays=False, colormap='jet', model='/model', select=None,
                   movie=None, frames=None, size=(800, 600), fps=20, reinit=True,
                   **viewer_kw):
    """rdesigneur's ``displayMoogli``: reinit, run *runtime* [s] drawing a
    frame every *moogliDt* [s], return the Viewer when the run ends."""
    views = moogli_views(moogList, model, select, colormap)
    w = Viewer(views, size=size, merge=mergeDisplays, rotation=rotation, azim=azim, elev=elev,
               movie=movie, frames=frames, fps=fps, **viewer_kw)
    return w.run(runtime, moogliDt, reinit=reinit)


def render_cell(path, out=None, field='Vm', size=(800, 600), model='/model', colormap='jet',
                diaScale=1.0, window=False):
    """Load a cell file (.swc, .p) under *model* and write one PNG of it
    coloured by *field* (headless); returns the PNG path.  With *window*,
    then open the interactive window until it is closed (``moosepy view
    --window``; MooseError, before anything is loaded, without a display)."""
    import os
    from ..core.errors import MooseError
    from ..core.shell import exists
    from .. import loaders
    from .viewer import _has_display
    if not os.path.exists(path):
        from ..core.errors import ModelImportError
        raise ModelImportError(f'{path}: no such file')
    if window and not _has_display():
        raise MooseError('viz3d: the interactive window needs a display (DISPLAY unset); '
                         'without --window the cell is drawn to a PNG headless')
    if out is None:
        out = os.path.splitext(os.path.basename(path))[0] + '.png'
    if not exists(model):
        loaders.loadModel(str(path), model)
    v = View(f'{model}/##[ISA=CompartmentBase]', field, colormap=colormap, diaScale=diaScale,
             title=os.path.basename(path))
    w = Viewer([v], size=size, offscreen=not window, interactive=window)
    w.save_png(out)
    if window:
        w.show()
    w.finalize()
    return out
