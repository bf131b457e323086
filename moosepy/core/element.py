"""The element tree: :class:`Element` (a node with columns of field values),
light handles (:class:`Neutral` and every class derived from it) and
:class:`Vec` (the whole array of an element).

An Element holds ``num`` entries (MOOSE's ``numData``); a handle is the pair
(element, index).  Field values live in the element's columns, so a vec is
free and a solver can take a field over by replacing the column with a view of
its own state array.  Messages are kept per element (``msg_in``/``msg_out``)
and compiled by the solvers at ``reinit``.
"""

import re
from itertools import chain
from operator import itemgetter

import numpy as np

from .errors import FieldError, PathError, PathIndexError, MooseError, suggest
from .fields import Field, LookupField, declare, registry
from .structure import changed as _structure_changed

_NAME_RE = re.compile(r'^([^/\[\]]+)(?:\[(\d+)\])?$')


def _template(cls):
    """The class's one-entry column template, remade when its fields
    change: (columns, count, numeric groups, object columns, ordered).  A
    numeric group is (names, block): one (k, 1) array per dtype holding the
    k fields' defaults; object columns are (name, field) pairs (a fresh
    list or array per element); *ordered* says one group alone gives the
    class's field order."""
    columns = cls._columns
    tpl = cls.__dict__.get('_one_entry_columns')
    if tpl is None or tpl[0] is not columns or tpl[1] != len(columns):
        groups, other = {}, []
        for n, f in columns.items():
            col = f.new_column(1)
            if col.dtype == object:
                other.append((n, f))
            else:
                groups.setdefault(col.dtype.str, []).append((n, col))
        numeric = [(tuple(n for n, _c in g), np.concatenate([c for _n, c in g]).reshape(-1, 1))
                   for g in groups.values()]
        ordered = not other and len(numeric) <= 1
        tpl = (columns, len(columns), numeric, other, ordered)
        type.__setattr__(cls, '_one_entry_columns', tpl)
    return tpl


def _new_columns(cls, num):
    """The fresh columns of an element of *cls* with *num* entries, each at
    its field's default.  A one-entry element (most of a script's) takes
    views of one copy of the class's template block per dtype: a numpy
    fill per field cost ~1.5 us, a copy per field ~0.5 us, a view ~0.1."""
    if num != 1:
        return {n: f.new_column(num) for n, f in cls._columns.items()}
    # (not _new_columns_many(cls, 1): its block set-up cost a Pool 60 %
    # more, and scripts make most elements one at a time)
    tpl = _template(cls)
    if tpl[4]:
        if not tpl[2]:
            return {}
        names, blk = tpl[2][0]
        return dict(zip(names, list(blk.copy())))
    # (the class's field order first, then the values)
    cols = dict.fromkeys(tpl[0])
    for names, blk in tpl[2]:
        cols.update(zip(names, list(blk.copy())))
    for n, f in tpl[3]:
        cols[n] = f.new_column(1)
    return cols


_item = np.ndarray.item


def _getter(names):
    """A function of a dict giving the tuple of its values at *names*."""
    if len(names) == 1:
        n = names[0]
        return lambda d: (d[n],)
    return itemgetter(*names)


def _lazy_specs(tpl, groups, m):
    """The lazy columns of *m* one-entry elements whose values are rows of
    *groups* ((names, (m, k, 1) block) per dtype): what
    :meth:`Element._materialize` turns into views when the columns are
    first asked for."""
    return [(tpl, groups, i) for i in range(m)]


def _copy_one_entry_many(cls, srcs):
    """Columns of *cls* for copies of the one-entry elements *srcs* (all
    with the class's columns), one block per dtype holding their values:
    a source's own block rows where its columns were never asked for (one
    numpy gather per batch), else a Python number from each column.  Lazy
    columns (see :class:`Element`) where the class has no object columns,
    else dicts of views whose object columns are the sources' own, for the
    caller to copy deeply.  None when a numeric column does not hold one
    number (then copy each column)."""
    tpl = _template(cls)
    m = len(srcs)
    # the sources still lazy, by the batch they were made in
    batches, eager = {}, []
    for i, e in enumerate(srcs):
        lz = e._lazy
        if lz is not None and lz[0] is tpl:
            b = batches.get(id(lz[1]))
            if b is None:
                b = batches[id(lz[1])] = (lz[1], [], [])
            b[1].append(i)
            b[2].append(lz[2])
        else:
            eager.append(i)
    groups = []
    for gi, (names, blk) in enumerate(tpl[2]):
        a = np.empty((m,) + blk.shape, dtype=blk.dtype)
        for src_groups, idx, rows in batches.values():
            a[idx] = src_groups[gi][1][rows]
        if eager:
            get = _getter(names)
            # (a Python number from each: concatenating m * k one-entry
            # arrays cost twice as much)
            try:
                vals = list(map(_item, chain.from_iterable(get(srcs[i].cols) for i in eager)))
            except (ValueError, TypeError):
                return None     # (a column of other than one entry)
            a[eager] = np.array(vals, dtype=blk.dtype).reshape(len(eager), len(names), 1)
        groups.append((names, a))
    if not tpl[3]:
        return _lazy_specs(tpl, groups, m)
    out = [{} for _ in range(m)] if tpl[4] else [dict.fromkeys(tpl[0]) for _ in range(m)]
    for names, a in groups:
        # (one list of all the views: ~0.1 us a view, against ~0.5 us
        # through each element's rows)
        views = iter(list(a.reshape(-1, 1)))
        for d in out:
            d.update(zip(names, views))
    for n, _f in tpl[3]:
        for d, src in zip(out, srcs):
            d[n] = src.cols[n]
    return out


def _new_columns_many(cls, m, values=None):
    """Columns of *cls* for *m* new one-entry elements, one block per dtype
    for them all, at the fields' defaults or, for the fields named in
    *values* ({name: m numbers}), at those (stored as they are: the caller
    has checked them): lazy ones (see :class:`Element`) where the class has
    no object columns, else dicts of views of the blocks."""
    tpl = _template(cls)
    values = values or {}
    groups = []
    for names, blk in tpl[2]:
        a = np.empty((m,) + blk.shape, dtype=blk.dtype)
        a[:] = blk
        for j, n in enumerate(names):
            v = values.get(n)
            if v is not None:
                a[:, j, 0] = v
        groups.append((names, a))
    if not tpl[3]:
        return _lazy_specs(tpl, groups, m)
    out = [{} for _ in range(m)] if tpl[4] else [dict.fromkeys(tpl[0]) for _ in range(m)]
    for names, a in groups:
        views = iter(list(a.reshape(-1, 1)))
        for d in out:
            d.update(zip(names, views))
    for n, f in tpl[3]:
        for d in out:
            d[n] = f.new_column(1)
    return out


def one_entry_table(els, names):
    """The fields *names* of the elements *els* as an (m, k) float array
    (an element of several entries gives its first's), read without making
    the columns of elements whose columns were never asked for."""
    m, k = len(els), len(names)
    out = np.empty((m, k), dtype=float)
    batches, eager = {}, []
    for i, e in enumerate(els):
        lz = e._lazy
        if lz is not None:
            b = batches.get(id(lz[1]))
            if b is None:
                b = batches[id(lz[1])] = (lz, [], [])
            b[1].append(i)
            b[2].append(lz[2])
        else:
            eager.append(i)
    for lz, idx, rows in batches.values():
        where = {n: (gi, j) for gi, (gn, _b) in enumerate(lz[1]) for j, n in enumerate(gn)}
        if not all(n in where for n in names):
            eager.extend(idx)       # (a field not in its blocks: read the columns)
            continue
        for c, n in enumerate(names):
            gi, j = where[n]
            out[idx, c] = lz[1][gi][1][rows, j, 0]
    if eager:
        get = itemgetter(*names) if k > 1 else (lambda d: (d[names[0]],))
        try:
            vals = [tuple(map(_item, get(els[i].cols))) for i in eager]
        except ValueError:      # (an element of several entries: the first's)
            vals = [tuple(float(a[0]) for a in get(els[i].cols)) for i in eager]
        out[eager] = np.array(vals, dtype=float).reshape(len(eager), k)
    return out


def _object_columns(cls):
    """Names of the columns of *cls* that hold Python objects (dtype
    object), not numbers: the ones a copy must copy deeply."""
    return [n for n, _f in _template(cls)[3]]


class Element:
    """A node of the tree: name, parent, ordered children, class, ``num``
    entries and one column per stored field."""

    __slots__ = ('name', 'parent', 'children', 'cls', 'num', '_cols', '_lazy', 'msg_in',
                 'msg_out', 'tick', 'alive', 'hooks', 'data', '__weakref__',
                 'is_field_element')

    def __init__(self, name, parent, cls, num=1, cols=None):
        self.name = name
        self.parent = parent
        self.children = {}
        self.cls = cls
        self.num = int(num)
        # *cols*: the columns ready made (a copy's), lazy ones (a tuple, see
        # `cols`), else fresh defaults
        if type(cols) is tuple:
            self._cols, self._lazy = None, cols
        else:
            self._cols = _new_columns(cls, self.num) if cols is None else cols
            self._lazy = None
        self.msg_in = []
        self.msg_out = []
        self.tick = cls.default_tick
        self.alive = True
        self.hooks = []
        self.data = {}  # per-element private state of the class (not fields)
        self.is_field_element = False
        if parent is not None:
            parent.children[name] = self
        _structure_changed()

    @property
    def cols(self):
        """{field name: column} (one numpy array of ``num`` values per stored
        field).  One-entry elements made or copied together (a cell's
        compartments) start *lazy*: their values are a row of a block shared
        by the batch, (template, ((names, block) per dtype), row), and their
        columns, views of that row, are made when first asked for (a
        view cost ~0.1 us and ~110 bytes, and most of a prototype's are
        never read one by one)."""
        c = self._cols
        if c is None:
            c = self._materialize()
        return c

    @cols.setter
    def cols(self, value):
        self._cols = value
        self._lazy = None

    def _materialize(self):
        tpl, groups, row = self._lazy
        cols = {} if tpl[4] else dict.fromkeys(tpl[0])
        for names, blk in groups:
            cols.update(zip(names, list(blk[row])))
        if tpl[1] != len(self.cls._columns):        # (a field declared since)
            for n, f in self.cls._columns.items():
                if cols.get(n) is None:
                    cols[n] = f.new_column(1)
        self._cols = cols
        self._lazy = None
        return cols

    def has_class_columns(self):
        """Whether the columns are the class's, one per stored field."""
        c = self._cols
        return c is None or c.keys() == self.cls._columns.keys()

    # ---- identity / paths -------------------------------------------------
    @property
    def path(self):
        """Path without indices, e.g. '/model/A'."""
        if self.parent is None:
            return '/'
        parts = []
        e = self
        while e.parent is not None:
            parts.append(e.name)
            e = e.parent
        return '/' + '/'.join(reversed(parts))

    def indexed_path(self, idx):
        """MOOSE's ObjId path, with an index on every level: '/m[0]/A[0]'."""
        if self.parent is None:
            return '/'
        pidx, fidx = 0, idx
        own = self.cols.get('_owner') if self.is_field_element else None
        if own is not None and 0 <= idx < len(own):
            # a field element laid out flat over its parent's entries (the
            # synapses of a vec of handlers): '/h[entry]/synapse[k-th of it]'
            pidx = int(own[idx])
            fidx = int((own[:idx] == pidx).sum())
        parts = [f'{self.name}[{fidx}]']
        e = self.parent
        while e.parent is not None:
            parts.append(f'{e.name}[{pidx}]')
            pidx = 0
            e = e.parent
        return '/' + '/'.join(reversed(parts))

    def handle(self, idx=0, cls=None):
        obj = object.__new__(cls or self.cls)
        object.__setattr__(obj, '_el', self)
        object.__setattr__(obj, '_idx', idx)
        return obj

    def notify(self, fieldname):
        for h in self.hooks:
            h(self, fieldname)

    def resize(self, num):
        """Change the number of entries, keeping existing values."""
        num = int(num)
        if num < 0:
            raise FieldError(f'{self.path}.numData: expected >= 0, got {num}')
        for name, col in list(self.cols.items()):
            f = self.cls._columns[name]
            if num <= len(col):
                self.cols[name] = col[:num].copy()
            else:
                new = f.new_column(num)
                new[:len(col)] = col
                self.cols[name] = new
        self.num = num
        _structure_changed()

    def walk(self):
        """This element and all its descendants, depth first, parents first."""
        stack = [self]
        while stack:
            e = stack.pop()
            yield e
            stack.extend(reversed(list(e.children.values())))

    def __repr__(self):
        return f'<Element {self.path} ({self.cls.__name__}) x{self.num}>'


class _Root:
    element = None
    cwe = None


def root():
    return _Root.element


class Neutral:
    """Plain container object: the base of every moosepy class.

    ``moose.Neutral(path)`` creates the element at *path* (its parent must
    exist) or wraps an existing one.  ``moose.X(path, n)`` makes an array of
    *n* entries (see :func:`moosepy.vec`).
    """

    default_tick = -1
    ports = ()

    name = Field('', '', 'Name of the element', type='string', stored=False)
    path = Field('', '', 'Full path of this object', type='string', ro=True, stored=False)
    parent = Field(None, '', 'Parent object', type='object', ro=True, stored=False)
    children = Field(None, '', 'Child elements (as vecs)', type='vector', ro=True, stored=False)
    className = Field('', '', 'Name of the class', type='string', ro=True, stored=False)
    numData = Field(1, '', 'Number of entries in the element', type='unsigned int', stored=False)
    numField = Field(1, '', 'Number of field entries (for field elements)', type='unsigned int',
                     ro=True, stored=False)
    tick = Field(-1, '', 'Clock tick this element is scheduled on (-1: none)', type='int',
                 stored=False)
    dt = Field(0.0, 's', 'Time step of the tick this element is scheduled on', ro=True,
               stored=False)
    msgIn = Field(None, '', 'Incoming messages', type='vector', ro=True, stored=False)
    msgOut = Field(None, '', 'Outgoing messages', type='vector', ro=True, stored=False)
    dataIndex = Field(0, '', 'Index of this entry in its element', type='unsigned int', ro=True,
                      stored=False)
    index = Field(0, '', 'Index of this entry in its element (dataIndex; MOOSE has both)',
                  type='unsigned int', ro=True, stored=False)
    fieldIndex = Field(0, '', "Index of a field entry among its parent entry's (0 for an "
                       'ordinary element)', type='unsigned int', ro=True, stored=False)
    me = Field(None, '', 'This object', type='object', ro=True, stored=False)
    neighbors = LookupField('string', 'vector', doc='Objects connected through a port')

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        declare(cls)
        from .cinfo import register_class
        register_class(cls)

    # ---- construction ----------------------------------------------------
    def __new__(cls, path=None, n=1, g=0, dtype=None, **fields):
        from . import shell
        if isinstance(path, Neutral):
            el, idx = path._element(), path._idx
            if not issubclass(el.cls, cls):
                raise PathError(f'{el.path} is a {el.cls.__name__}, not a {cls.__name__}')
            return el.handle(idx, cls)
        if isinstance(path, Vec):
            el = path._el
            if not issubclass(el.cls, cls):
                raise PathError(f'{el.path} is a {el.cls.__name__}, not a {cls.__name__}')
            return el.handle(0, cls)
        if path is None:
            raise PathError(f'{cls.__name__}(): a path is required')
        obj = shell.create(cls, path, n)
        for k, v in fields.items():
            setattr(obj, k, v)
        return obj

    def __init__(self, *args, **kw):
        pass

    def __init_obj__(self):
        """Called once when a new element of this class is made."""

    # ---- handle plumbing ---------------------------------------------------
    def _element(self):
        el = self._el
        if not el.alive:
            raise PathError(f'{el.path}: element was deleted')
        return el

    def __setattr__(self, name, value):
        cls = type(self)
        f = cls._fields.get(name)
        if f is None:
            f = cls._lookups.get(name) or cls._felems.get(name)
            if f is None:
                raise self._field_error(name)
        f.__set__(self, value)

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        port = type(self)._ports.get(name)
        if port is not None and port.kind == 'destFinfo':
            return _DestCall(self, name)
        raise self._field_error(name)

    def _field_error(self, name):
        cls = type(self)
        valid = sorted(set(cls._fields) | set(cls._lookups) | set(cls._felems))
        return FieldError(
            f"{self._el.path} ({cls.__name__}) has no field '{name}'"
            f"{suggest(name, valid)} fields: {', '.join(valid)}")

    def __eq__(self, other):
        return (isinstance(other, Neutral) and other._el is self._el
                and other._idx == self._idx)

    def __hash__(self):
        return hash((id(self._el), self._idx))

    def __repr__(self):
        return (f"<moose.{type(self).__name__}: id={id(self._el)}, dataIndex={self._idx}, "
                f"path={self.path}>")

    __str__ = __repr__

    # ---- Neutral field getters -------------------------------------------
    def _get_name(self):
        return self._el.name

    def _set_name(self, v):
        from .shell import rename
        rename(self._el, v)

    def _get_path(self):
        return self._el.indexed_path(self._idx)

    def _get_parent(self):
        p = self._el.parent
        if p is None:
            return None
        return p.handle(0)

    def _get_children(self):
        return [Vec(c) for c in self._el.children.values()]

    def _get_className(self):
        return self._el.cls.__name__

    def _get_numData(self):
        return self._el.num

    def _set_numData(self, v):
        self._el.resize(v)

    def _get_numField(self):
        return self._el.num if self._el.is_field_element else 1

    def _get_tick(self):
        return self._el.tick

    def _set_tick(self, v):
        self._el.tick = int(v)
        _structure_changed()

    def _get_dt(self):
        from .clock import clock
        t = self._el.tick
        return clock.dts[t] if t >= 0 else 0.0

    def _get_msgIn(self):
        return list(self._el.msg_in)

    def _get_msgOut(self):
        # as MOOSE: a shared message (axial/raxial, sub/reac) sends both
        # ways, so its second end lists it among its outgoing messages too
        el = self._el
        return list(el.msg_out) + [m for m in el.msg_in
                                   if m.el1 is not el and m._shared()]

    def _get_dataIndex(self):
        return self._idx

    def _get_index(self):
        return self._idx

    def _get_fieldIndex(self):
        el = self._el
        own = el.cols.get('_owner') if el.is_field_element else None
        if own is None:
            return 0
        return int((own[:self._idx] == own[self._idx]).sum())

    def _get_me(self):
        return self

    def _lookup_neighbors(self, port):
        from .msg import neighbors
        return neighbors(self, port)

    # ---- MOOSE-style methods ----------------------------------------------
    @property
    def vec(self):
        """The whole element as a :class:`Vec`."""
        return Vec(self._element())

    @property
    def id(self):
        return Vec(self._element())

    @property
    def isA(self):
        return _IsA(self._el.cls)

    def getField(self, name):
        if name in type(self)._fields:
            return getattr(self, name)
        raise self._field_error(name)

    def setField(self, name, value):
        setattr(self, name, value)

    def getFieldNames(self, finfoType='valueFinfo'):
        from .shell import getFieldNames
        return getFieldNames(type(self).__name__, finfoType)

    def connect(self, srcField, dest, destField, msgType='Single'):
        from .msg import connect
        return connect(self, srcField, dest, destField, msgType)

    def showfield(self, field='*', showtype=False):
        from .shell import showfield
        return showfield(self, field, showtype)

    showfields = showfield


class _IsA:
    def __init__(self, cls):
        self.cls = cls

    def __getitem__(self, name):
        c = registry.get(name)
        return c is not None and issubclass(self.cls, c)


class Vec:
    """An element seen as an array: ``len``, indexing, and vectorised field
    access (``vec.concInit = array`` sets every entry)."""

    __slots__ = ('_el',)

    def __init__(self, path, n=1, g=0, dtype='Neutral'):
        from . import shell
        if isinstance(path, Vec):
            el = path._el
        elif isinstance(path, Neutral):
            el = path._element()
        elif isinstance(path, Element):
            el = path
        elif isinstance(path, str):
            if shell.exists(path):
                el = shell.resolve(path)[0]
            else:
                cls = registry.get(dtype) if isinstance(dtype, str) else dtype
                if cls is None:
                    raise MooseError(f"vec({path!r}): unknown class {dtype!r}")
                el = shell.create(cls, path, n)._el
        else:
            raise PathError(f'vec(): cannot make a vec from {path!r}')
        object.__setattr__(self, '_el', el)

    def _element(self):
        if not self._el.alive:
            raise PathError(f'{self._el.path}: element was deleted')
        return self._el

    def __len__(self):
        return self._element().num

    def __iter__(self):
        el = self._element()
        return (el.handle(i) for i in range(el.num))

    def __getitem__(self, i):
        el = self._element()
        if isinstance(i, slice):
            return [el.handle(k) for k in range(*i.indices(el.num))]
        i = int(i)
        if i < 0:
            i += el.num
        if not 0 <= i < el.num:
            raise PathIndexError(f'{el.path}: index {i} out of range (numData {el.num})')
        return el.handle(i)

    @property
    def path(self):
        """Path of the element's first entry, '/p[0]/name[0]' (as MOOSE)."""
        return self._element().indexed_path(0)

    @property
    def name(self):
        return self._element().name

    @property
    def className(self):
        return self._element().cls.__name__

    @property
    def numData(self):
        return self._element().num

    @property
    def num(self):
        return self._element().num

    @property
    def value(self):
        return id(self._el)

    @property
    def parent(self):
        p = self._element().parent
        return None if p is None else p.handle(0)

    @property
    def children(self):
        return [Vec(c) for c in self._element().children.values()]

    @property
    def vec(self):
        return self

    def __getattr__(self, name):
        el = self._element()
        f = el.cls._fields.get(name)
        if f is None:
            if name in el.cls._lookups or name in el.cls._felems:
                return getattr(el.handle(0), name)
            h = el.handle(0)
            return getattr(h, name)  # methods, or a FieldError naming the valid fields
        return f.vget(el)

    def __setattr__(self, name, value):
        el = self._element()
        if name == 'num':
            el.resize(value)
            return
        f = el.cls._fields.get(name)
        if f is None:
            raise el.handle(0)._field_error(name)
        f.vset(el, value)

    def __eq__(self, other):
        return isinstance(other, Vec) and other._el is self._el

    def __hash__(self):
        return hash(id(self._el))

    def __repr__(self):
        return f'<moose.vec: class={self._el.cls.__name__}, path={self._el.path}, ' \
               f'numData={self._el.num}>'


__all__ = ['Element', 'Neutral', 'Vec', 'root']


declare(Neutral)


class _DestCall:
    """A destination port called as a method, as pymoose allows
    (``spikegen.Vm(0.0)``, ``adaptor.input(1.0)``, ``pool.setConc(0.1)``):
    the value is delivered as a message would deliver it."""

    __slots__ = ('h', 'name')

    def __init__(self, h, name):
        self.h = h
        self.name = name

    def __call__(self, *args):
        h, name = self.h, self.name
        cls = type(h)
        if name[:3] in ('set', 'get') and name[3:4].isupper():
            field = name[3].lower() + name[4:]
            if field not in cls._fields:
                field = name[3:]
            if name.startswith('get'):
                return getattr(h, field)
            if len(args) != 1:
                raise FieldError(f'{h.path} ({cls.__name__}).{name}: takes one value, got '
                                 f'{len(args)}')
            setattr(h, field, args[0])
            return None
        fn = getattr(cls, '_recv_' + name, None)
        if fn is None:
            raise FieldError(f"{h.path} ({cls.__name__}).{name}: this destination is "
                             f"handled by messages only in moosepy, not called directly")
        return fn(h, *args)

    def __repr__(self):
        return f'<destination {self.name} of {self.h.path}>'
