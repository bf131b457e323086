"""Lookup tables: ``Interpol`` (1-D, looked up at each tick), ``Interpol2D``
(2-D, looked up on request) and ``VectorTable`` (1-D, looked up through its
lookup fields).

What this module owns: the interpolation rules, which are MOOSE's:

* ``Interpol``: the table ``vector`` spans ``xmin..xmax`` in len-1 equal
  divisions; below xmin the first entry, above xmax the last, linear in
  between.  Each tick it looks up the last x received on ``input`` (0 after
  reinit) into ``y`` and sends y on ``lookupOut``.
* ``Interpol2D``: ``tableVector2D[i][j]`` at x = xmin + i dx, y = ymin + j dy;
  x and y are clamped to their ranges and the value is bilinear.
* ``VectorTable``: ``table`` spans ``xmin..xmax``; ``lookupvalue[x]`` is
  clamped and linear, ``lookupindex[i]`` the entry (the last one for i past
  the end).

Deviations from MOOSE 5.0.0: bad values (xmin == xmax, an empty table,
indices out of range on assignment) raise :class:`FieldError` instead of
printing and carrying on; ``VectorTable`` recomputes ``invdx`` when xmin or
xmax change after the table was set (MOOSE keeps the old one, and a lookup
can then read past the end of the table); ``Interpol.y`` reads 0 before the
first step (MOOSE returns uninitialised memory).
"""

import math

import numpy as np

from .element import Neutral
from .errors import FieldError, MooseError
from .fields import Field, LookupField, Src, Dest, Shared
from .msg import linked_indices
from .table import TableBase


def setter_attr(el, port):
    """The attribute of *el*'s handles that a ``set<Field>`` *port*
    writes (the field with a lower-case first letter, else as written), or
    None when *port* is not a set<Field> port."""
    if not (port.startswith('set') and port[3:4].isupper()):
        return None
    name = port[3].lower() + port[4:]
    return name if name in el.cls._fields else port[3:]


def send_value(el, i, port, value, targets=None):
    """Deliver *value* from entry *i* of *el* through source *port*: to
    ``set<Field>`` ports, to a class's ``_recv_<port>``, or appended to a
    table's ``input``.  *targets*: the (element, index, port) list of
    ``linked_indices(el, i, port)`` when the caller has it already."""
    for o, j, p in (linked_indices(el, i, port) if targets is None else targets):
        h = o.handle(j)
        name = setter_attr(o, p)
        if name is not None:
            setattr(h, name, value)
            continue
        handler = getattr(o.cls, '_recv_' + p, None)
        if handler is not None:
            handler(h, value)
        elif p in ('input', 'spike') and issubclass(o.cls, TableBase):
            st = TableBase._store(o)
            st[j].append(np.array([float(value)]))
        else:
            raise MooseError(f'{el.path} ({el.cls.__name__}).{port}: cannot deliver to '
                             f'{o.path} ({o.cls.__name__}) port {p!r}')


def interpolate(vec, xmin, xmax, x):
    """MOOSE's 1-D lookup of *x* in *vec* spread over xmin..xmax."""
    n = len(vec)
    if n == 0:
        return 0.0
    if n == 1 or x < xmin or xmin >= xmax:
        return float(vec[0])
    if x > xmax:
        return float(vec[-1])
    divs = n - 1
    frac = (x - xmin) / (xmax - xmin)
    j = int(divs * frac)
    if j >= divs:
        return float(vec[-1])
    dx = (xmax - xmin) / divs
    sub = (x - (xmin + j * dx)) / dx
    return float(vec[j] + (vec[j + 1] - vec[j]) * sub)


# ================================================================== Interpol
class Interpol(TableBase):
    """1-D interpolation table: ``vector`` over ``xmin..xmax``; each tick the
    value received on ``input`` is looked up into ``y`` and sent on
    ``lookupOut`` (x below xmin gives the first entry, above xmax the last)."""

    default_tick = 0

    xmin = Field(0.0, '', 'x of the first entry (unit of the input)')
    xmax = Field(1.0, '', 'x of the last entry (unit of the input)')
    y = Field(0.0, '', 'Value looked up at the last tick (unit of the table)', ro=True)
    _x = Field(0.0, '', hidden=True)

    ports = (Src('lookupOut', 'double', 'Sends y every tick'),
             Dest('input', 'double', 'Sets the x to look up at the next tick'),
             Dest('linearTransform', 'double2', 'Scales then offsets the table'))

    @classmethod
    def _on_copy(cls, new, old):
        # the table is configuration: every copy of an entry gets it
        k = new.num // max(1, old.num)
        tabs = [old.handle(i)._get_vector() for i in range(old.num)]
        new.data['vec'] = [[t.copy()] for _ in range(k) for t in tabs]

    def _set_xmin(self, v):
        if math.isclose(v, self._el.cols['xmax'][self._idx], rel_tol=1e-12, abs_tol=0.0):
            raise FieldError(f'{self.path} (Interpol).xmin: must differ from xmax ({v})')
        self._el.cols['xmin'][self._idx] = v

    def _set_xmax(self, v):
        if math.isclose(v, self._el.cols['xmin'][self._idx], rel_tol=1e-12, abs_tol=0.0):
            raise FieldError(f'{self.path} (Interpol).xmax: must differ from xmin ({v})')
        self._el.cols['xmax'][self._idx] = v

    def _recv_input(self, v):
        self._el.cols['_x'][self._idx] = v

    def linearTransform(self, scale, offset):
        """Replace every entry v by v·scale + offset."""
        self.vector = self.vector * float(scale) + float(offset)

    def _recv_linearTransform(self, v):
        self.linearTransform(*v)

    def lookup(self, x):
        """The table's value at *x* (MOOSE's rule), without changing y."""
        c = self._el.cols
        return interpolate(self.vector, c['xmin'][self._idx], c['xmax'][self._idx], float(x))

    @classmethod
    def _batch_role(cls, el):
        return 'python' if (el.msg_in or el.msg_out) else 'idle'

    @classmethod
    def _reinit(cls, el):
        el.cols['_x'][:] = 0.0          # the table itself is kept

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        for i in range(el.num):
            h = el.handle(i)
            c['y'][i] = interpolate(h._get_vector(), c['xmin'][i], c['xmax'][i], c['_x'][i])
            send_value(el, i, 'lookupOut', float(c['y'][i]))


# ================================================================ Interpol2D
class Interpol2D(Neutral):
    """2-D interpolation table: ``tableVector2D[i][j]`` at x = xmin + i dx,
    y = ymin + j dy; ``z[x, y]`` (or a ``lookup`` message, answered on
    ``lookupOut``) gives the bilinear value, x and y clamped to their
    ranges."""

    xmin = Field(0.0, '', 'x of the first row', stored=False)
    xmax = Field(1.0, '', 'x of the last row', stored=False)
    xdivs = Field(1, '', 'Divisions along x (rows - 1); resizing keeps entries, new ones 0',
                  type='unsigned int', stored=False)
    dx = Field(1.0, '', 'Row spacing; setting it sets xdivs = round(|xmax - xmin|/dx)',
               stored=False)
    ymin = Field(0.0, '', 'y of the first column', stored=False)
    ymax = Field(1.0, '', 'y of the last column', stored=False)
    ydivs = Field(1, '', 'Divisions along y (columns - 1)', type='unsigned int',
                  stored=False)
    dy = Field(1.0, '', 'Column spacing; setting it sets ydivs', stored=False)
    tableVector2D = Field(None, '', 'The whole table, rows of equal length', type='vector',
                          stored=False)
    table = LookupField('vector<unsigned int>', 'double', '', 'Entry [i, j] of the table')
    z = LookupField('vector<double>', 'double', '', 'Bilinear value at [x, y]')

    ports = (Shared('lookupReturn2D', 'lookupReturn2D', 'table',
                    'Receives x, y on "lookup"; answers z on "lookupOut"'),
             Dest('lookup', 'double2', 'Looks up (x, y) and sends z on lookupOut'),
             Src('lookupOut', 'double', 'Sends a looked-up z'))

    def __init_obj__(self):
        self._el.data['t'] = [dict(tab=np.zeros((2, 2)), xmin=0.0, xmax=1.0, ymin=0.0,
                                   ymax=1.0) for _ in range(self._el.num)]

    @classmethod
    def _on_copy(cls, new, old):
        src = old.data.get('t', [])
        k = new.num // max(1, old.num)
        new.data['t'] = [dict(d, tab=d['tab'].copy()) for _ in range(k) for d in src]

    def _d(self):
        t = self._el.data.setdefault('t', [])
        while len(t) < self._el.num:
            t.append(dict(tab=np.zeros((2, 2)), xmin=0.0, xmax=1.0, ymin=0.0, ymax=1.0))
        return t[self._idx]

    def _limit(axis, end):
        other = 'max' if end == 'min' else 'min'

        def g(self):
            return self._d()[axis + end]

        def s(self, v):
            d = self._d()
            if math.isclose(v, d[axis + other], rel_tol=1e-9, abs_tol=1e-300):
                raise FieldError(f'{self.path} (Interpol2D).{axis}{end}: must differ from '
                                 f'{axis}{other} ({v})')
            d[axis + end] = float(v)
        return g, s

    _get_xmin, _set_xmin = _limit('x', 'min')
    _get_xmax, _set_xmax = _limit('x', 'max')
    _get_ymin, _set_ymin = _limit('y', 'min')
    _get_ymax, _set_ymax = _limit('y', 'max')
    del _limit

    def _resize(self, nx=None, ny=None):
        d = self._d()
        old = d['tab']
        nx = old.shape[0] if nx is None else nx
        ny = old.shape[1] if ny is None else ny
        new = np.zeros((nx, ny))
        kx, ky = min(nx, old.shape[0]), min(ny, old.shape[1])
        new[:kx, :ky] = old[:kx, :ky]
        d['tab'] = new

    def _get_xdivs(self):
        return self._d()['tab'].shape[0] - 1

    def _set_xdivs(self, n):
        if n < 1:
            raise FieldError(f'{self.path} (Interpol2D).xdivs: expected >= 1, got {n}')
        self._resize(nx=int(n) + 1)

    def _get_ydivs(self):
        return self._d()['tab'].shape[1] - 1

    def _set_ydivs(self, n):
        if n < 1:
            raise FieldError(f'{self.path} (Interpol2D).ydivs: expected >= 1, got {n}')
        self._resize(ny=int(n) + 1)

    def _spacing(axis):
        def g(self):
            d = self._d()
            n = self._get_xdivs() if axis == 'x' else self._get_ydivs()
            return (d[axis + 'max'] - d[axis + 'min']) / n if n else 0.0

        def s(self, v):
            d = self._d()
            if not (math.isfinite(v) and v != 0):
                raise FieldError(f'{self.path} (Interpol2D).d{axis}: expected a finite '
                                 f'nonzero value, got {v}')
            n = int(0.5 + abs(d[axis + 'max'] - d[axis + 'min']) / abs(v))
            if n < 1:
                raise FieldError(f'{self.path} (Interpol2D).d{axis}: {v} gives {n} '
                                 f'divisions over {axis}min..{axis}max')
            if axis == 'x':
                self._set_xdivs(n)
            else:
                self._set_ydivs(n)
        return g, s

    _get_dx, _set_dx = _spacing('x')
    _get_dy, _set_dy = _spacing('y')
    del _spacing

    def _get_tableVector2D(self):
        return self._d()['tab'].tolist()

    def _set_tableVector2D(self, rows):
        try:
            a = np.array([np.asarray(r, dtype=float).ravel() for r in rows], dtype=float)
        except (TypeError, ValueError):
            raise FieldError(f'{self.path} (Interpol2D).tableVector2D: expected rows of '
                             f'numbers of equal length') from None
        if a.ndim != 2 or a.shape[0] < 2 or a.shape[1] < 2:
            raise FieldError(f'{self.path} (Interpol2D).tableVector2D: expected at least '
                             f'2 rows of at least 2 values, got shape {a.shape}')
        self._d()['tab'] = a

    def _lookup_table(self, key):
        i, j = (int(k) for k in key)
        tab = self._d()['tab']
        return float(tab[min(i, tab.shape[0] - 1), min(j, tab.shape[1] - 1)])

    def _lookupset_table(self, key, value):
        i, j = (int(k) for k in key)
        tab = self._d()['tab']
        if not (0 <= i < tab.shape[0] and 0 <= j < tab.shape[1]):
            raise FieldError(f'{self.path} (Interpol2D).table[{i}, {j}]: out of range '
                             f'({tab.shape[0]} x {tab.shape[1]})')
        tab[i, j] = float(value)

    def lookup(self, x, y):
        """Bilinear value at (x, y), both clamped to their ranges."""
        d = self._d()
        tab = d['tab']
        x = min(max(float(x), d['xmin']), d['xmax'])
        y = min(max(float(y), d['ymin']), d['ymax'])
        nx, ny = tab.shape
        xv = (x - d['xmin']) * (nx - 1) / (d['xmax'] - d['xmin'])
        yv = (y - d['ymin']) * (ny - 1) / (d['ymax'] - d['ymin'])
        i = min(int(xv), nx - 1)
        j = min(int(yv), ny - 1)
        fx, fy = xv - i, yv - j
        i1, j1 = min(i + 1, nx - 1), min(j + 1, ny - 1)
        # an edge has no neighbour beyond it (its fraction is 0 there)
        z10 = tab[i1, j] if i1 != i else 0.0
        z01 = tab[i, j1] if j1 != j else 0.0
        z11 = tab[i1, j1] if (i1 != i and j1 != j) else 0.0
        return float(tab[i, j] * (1 - fx) * (1 - fy) + z10 * fx * (1 - fy)
                     + z01 * (1 - fx) * fy + z11 * fx * fy)

    def _lookup_z(self, key):
        k = list(key)
        if len(k) < 2:
            d = self._d()
            return self.lookup(d['xmin'], d['ymin'])
        return self.lookup(k[0], k[1])

    def _recv_lookup(self, v):
        send_value(self._el, self._idx, 'lookupOut', self.lookup(v[0], v[1]))


# =============================================================== VectorTable
class VectorTable(Neutral):
    """1-D lookup table: ``table`` spans ``xmin..xmax`` (xdivs = len - 1);
    ``lookupvalue[x]`` interpolates linearly (clamped to the ends),
    ``lookupindex[i]`` returns entry i (the last one past the end)."""

    xdivs = Field(0, '', 'Divisions (len(table) - 1 once a table is set)',
                  type='unsigned int')
    xmin = Field(0.0, '', 'x of the first entry')
    xmax = Field(0.0, '', 'x of the last entry')
    invdx = Field(-1.0, '', 'xdivs / (xmax - xmin) (-1 before a table is set)', ro=True,
                  stored=False)
    table = Field(None, '', 'The entries', type='vector', stored=False)
    lookupvalue = LookupField('double', 'double', '', 'Linear value at x')
    lookupindex = LookupField('unsigned int', 'double', '', 'Entry at an index')

    def __init_obj__(self):
        self._el.data['tab'] = [np.zeros(0) for _ in range(self._el.num)]

    @classmethod
    def _on_copy(cls, new, old):
        k = new.num // max(1, old.num)
        new.data['tab'] = [t.copy() for _ in range(k) for t in old.data.get('tab', [])]

    def _tab(self):
        t = self._el.data.setdefault('tab', [])
        while len(t) < self._el.num:
            t.append(np.zeros(0))
        return t[self._idx]

    def _get_table(self):
        return self._tab().copy()

    def _set_table(self, v):
        a = np.asarray(v, dtype=float).ravel()
        c, i = self._el.cols, self._idx
        if a.size == 0:
            raise FieldError(f'{self.path} (VectorTable).table: cannot set an empty table')
        if a.size > 1 and c['xmin'][i] == c['xmax'][i]:
            raise FieldError(f'{self.path} (VectorTable).table: set xmin and xmax (they are '
                             f'equal, {c["xmin"][i]}) before a table of {a.size} entries')
        self._el.data['tab'][self._idx] = a
        c['xdivs'][i] = a.size - 1

    def _get_invdx(self):
        a = self._tab()
        if a.size == 0:
            return -1.0
        if a.size == 1:
            return 0.0
        c, i = self._el.cols, self._idx
        return (a.size - 1) / (c['xmax'][i] - c['xmin'][i])

    def _lookup_lookupvalue(self, x):
        a = self._tab()
        if a.size == 0:
            raise FieldError(f'{self.path} (VectorTable).lookupvalue: the table is empty')
        if a.size == 1:
            return float(a[0])
        c, i = self._el.cols, self._idx
        lo, hi = c['xmin'][i], c['xmax'][i]
        x = float(x)
        if x <= lo or math.isclose(x, lo, rel_tol=1e-12, abs_tol=1e-300):
            return float(a[0])
        if x >= hi or math.isclose(x, hi, rel_tol=1e-12, abs_tol=1e-300):
            return float(a[-1])
        inv = (a.size - 1) / (hi - lo)
        k = min(int((x - lo) * inv), a.size - 2)
        frac = (x - lo - k / inv) * inv
        return float(a[k] * (1 - frac) + a[k + 1] * frac)

    def _lookup_lookupindex(self, k):
        a = self._tab()
        if a.size == 0:
            return 0.0
        return float(a[min(int(k), a.size - 1)])


__all__ = ['Interpol', 'Interpol2D', 'VectorTable', 'interpolate', 'send_value']
