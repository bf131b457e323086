"""Reading one field of many objects in bulk, for colouring (no VTK).

A :class:`FieldReader` is made once per view for a list of objects (one per
segment) and a field name; ``read()`` returns a float array, one value per
segment, in the field's own units (SI; concentrations in mM) times
``scale``.  It reads the objects' columns (:mod:`moosepy.core.fields`), so
values of solved objects come straight from the solver's state (an HSolve or
a Ksolve owns the columns it takes over): when the columns of the objects
are views of one array (an HSolve's node array, a pool's voxels) the reader
gathers them with one numpy index per frame; otherwise one column access per
element.  The layout is found again after a ``reinit`` or a change of the
model's structure.

``MOOSE_FIELDS`` gives rdesigneur's display scale and unit for the fields
its moogList knows (Vm in mV, Ca in uM, Gk in nS, conc in uM, ...).
"""

import numpy as np

from ..core.errors import FieldError

# field -> (scale from SI/mM to display unit, display unit)  (rdesigneur's)
MOOSE_FIELDS = {
    'Vm': (1e3, 'mV'), 'initVm': (1e3, 'mV'), 'Im': (1e9, 'nA'), 'inject': (1e9, 'nA'),
    'Gbar': (1e9, 'nS'), 'Gk': (1e9, 'nS'), 'Ik': (1e9, 'nA'), 'ICa': (1e9, 'nA'),
    'Ca': (1e3, 'uM'), 'n': (1.0, '#'), 'conc': (1e3, 'uM'), 'volume': (1e18, 'um^3'),
}


def _ptr(a):
    return a.__array_interface__['data'][0]


class FieldReader:
    """Values of *field* of *objects* (handles; ``entries[i]`` overrides
    the entry index of object i, e.g. a pool's voxel), times *scale*."""

    def __init__(self, objects, field, entries=None, scale=1.0):
        self.field = field
        self.scale = float(scale)
        self.n = len(objects)
        if not objects:
            raise FieldError(f"viz3d: no objects to read '{field}' from")
        groups = {}
        for i, o in enumerate(objects):
            el = o._element()
            f = el.cls._fields.get(field)
            if f is None or getattr(f, 'hidden', False):
                valid = ', '.join(sorted(k for k, v in el.cls._fields.items()
                                         if not getattr(v, 'hidden', False)
                                         and np.dtype(_dtype_of(v)).kind in 'fiub'))
                raise FieldError(f"viz3d: {o.path} ({el.cls.__name__}) has no field "
                                 f"'{field}'; numeric fields: {valid}")
            j = o._idx if entries is None else int(entries[i])
            g = groups.setdefault(id(el), [el, f, [], []])
            g[2].append(j)
            g[3].append(i)
        self._groups = [(el, f, np.asarray(js, dtype=np.int64), np.asarray(pos, dtype=np.int64))
                        for el, f, js, pos in groups.values()]
        self._key = None
        self._flat = None

    def _layout_key(self):
        from ..core.clock import clock
        from ..core.structure import version
        return (version(), clock.reinit_serial)

    def _find_flat(self):
        """(base array, index per segment) when every object's column is a
        view of one float64 array; else None."""
        base = None
        idx = np.empty(self.n, dtype=np.int64)
        for el, f, js, pos in self._groups:
            if f.getter is not None:
                return None
            col = el.cols[f.name]
            b = col if col.base is None else col.base
            if not isinstance(b, np.ndarray) or b.dtype != np.float64 or b.ndim != 1 or \
                    col.dtype != np.float64 or col.ndim != 1 or not b.flags.c_contiguous:
                return None
            if base is None:
                base = b
            elif b is not base:
                return None
            off, rem = divmod(_ptr(col) - _ptr(base), 8)
            step = col.strides[0] // 8
            if rem or col.strides[0] % 8:
                return None
            idx[pos] = off + js * step
        if base is None or idx.min() < 0 or idx.max() >= len(base):
            return None
        return base, idx

    def read(self, out=None):
        """Values [field units x scale], one per object, as float64."""
        key = self._layout_key()
        if key != self._key:
            self._key = key
            self._flat = self._find_flat() if len(self._groups) > 1 else None
            self._nvol = {}
            if self._flat is None and self.field == 'conc':
                from ..core.units import NA
                for el, f, js, pos in self._groups:
                    vf = el.cls._fields.get('volume')
                    if 'n' in el.cols and vf is not None:
                        self._nvol[id(el)] = NA * np.asarray(vf.vget(el), dtype=float)[js]
        if out is None:
            out = np.empty(self.n)
        if self._flat is not None:
            base, idx = self._flat
            np.take(base, idx, out=out)
        else:
            for el, f, js, pos in self._groups:
                if f.getter is None:
                    col = el.cols[f.name]
                    if len(js) == 1:
                        out[pos[0]] = col[js[0]]
                    else:
                        out[pos] = np.asarray(col, dtype=float)[js]
                elif f.name == 'conc' and 'n' in el.cols and self._nvol.get(id(el)) is not None:
                    # a pool's conc = n / (NA volume): one division, no getter per entry
                    out[pos] = np.asarray(el.cols['n'], dtype=float)[js] / self._nvol[id(el)]
                else:
                    out[pos] = np.asarray(f.vget(el), dtype=float)[js]
        if self.scale != 1.0:
            out *= self.scale
        return out


def _dtype_of(f):
    return {'double': float, 'float': float, 'int': int, 'unsigned int': int,
            'bool': bool}.get(getattr(f, 'type', 'double'), object)
