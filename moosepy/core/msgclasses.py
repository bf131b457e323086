"""MOOSE's message classes as named classes: ``Msg`` and its kinds
``SingleMsg``, ``OneToAllMsg``, ``OneToOneMsg``, ``OneToOneDataIndexMsg``,
``DiagonalMsg`` and ``SparseMsg``.

What this module owns: the class of each message :func:`moosepy.connect`
makes (a :class:`~moosepy.core.msg.Msg` becomes the class of its kind, so
``isinstance(m, moose.SparseMsg)`` holds), their catalogue entries
(``/classes/SingleMsg``, ``getFieldNames('SparseMsg')``), their
Neutral-like fields (``name``, ``parent``, ``numData``, ``dataIndex``,
``isA``, ``adjacent``, ...), the writable index fields (``i1``, ``i2``,
``stride``), the SparseMsg matrix editing that
:mod:`moosepy.core.msg` does not do (``matrixEntry``, ``clear``,
``unsetEntry``, ``transpose``, ``tripletFill``, ``tripletFill1``), and
finding a message by its path (``/Msgs[0]/singleMsg[12]``).

Messages are not elements of the tree here: ``moose.element(path)`` and
``moose.exists(path)`` find a live message by its path, but ``le('/Msgs')``
lists nothing and a message cannot be made by path (``moose.SingleMsg(path)``
raises; MOOSE makes a message-less SingleMsg object there).  One counter
numbers all messages, so the index in a path is unique across kinds (MOOSE
counts each kind on its own, its own internal messages included).
"""

import re

import numpy as np

from . import msg as _msg
from .cinfo import register_class
from .element import Vec, _IsA
from .errors import FieldError, MessageError, PathError
from .fields import Field, LookupField, registry
from .structure import changed as structure_changed

_PATH_RE = re.compile(r'^/Msgs(?:\[0\])?/(\w+)\[(\d+)\]$')


def _meta(fields):
    out = {}
    for name, f in fields.items():
        f.name = name
        out[name] = f
    return out


_MSG_FIELDS = {
    'e1': Field(None, '', 'Source element (Id)', type='Id', ro=True, stored=False),
    'e2': Field(None, '', 'Destination element (Id)', type='Id', ro=True, stored=False),
    'srcFieldsOnE1': Field(None, '', 'Source fields on e1', type='vector<string>', ro=True,
                           stored=False),
    'destFieldsOnE2': Field(None, '', 'Destination fields on e2', type='vector<string>',
                            ro=True, stored=False),
    'srcFieldsOnE2': Field(None, '', 'Source fields on e2 (shared messages)',
                           type='vector<string>', ro=True, stored=False),
    'destFieldsOnE1': Field(None, '', 'Destination fields on e1 (shared messages)',
                            type='vector<string>', ro=True, stored=False),
    'className': Field('', '', 'Name of the class', type='string', ro=True, stored=False),
    'name': Field('', '', 'Name of the message kind (singleMsg, ...)', type='string', ro=True,
                  stored=False),
    'path': Field('', '', 'Path of the message (/Msgs[0]/<kind>[<serial>])', type='string',
                  ro=True, stored=False),
    'parent': Field(None, '', 'The /Msgs element', type='object', ro=True, stored=False),
    'numData': Field(1, '', 'Live messages of this kind', type='unsigned int', ro=True,
                     stored=False),
    'dataIndex': Field(0, '', 'Serial number of the message', type='unsigned int', ro=True,
                       stored=False),
    'tick': Field(-1, '', 'Messages are not scheduled (-1)', type='int', ro=True,
                  stored=False),
}


class _MsgBase(_msg.Msg):
    """Fields every message kind has (read through the message)."""

    __slots__ = ()
    _kind = ''

    def __new__(cls, *args, **kw):
        # connect makes messages (as a Msg, given its class after); a script
        # calling moose.SingleMsg(path) gets told so
        raise PathError(f'{cls.__name__}: messages are made by moose.connect(src, srcField, '
                        f'dest, destField, msgType), not by path')

    @property
    def name(self):
        return self._kind[0].lower() + self._kind[1:] + 'Msg'

    @property
    def className(self):
        return type(self).__name__

    @property
    def path(self):
        return f'/Msgs[0]/{self.name}[{self.serial}]'

    @property
    def parent(self):
        from .shell import element
        return element('/Msgs')

    @property
    def numData(self):
        cls = type(self)
        return sum(1 for m in list(_msg._LIVE.values()) if type(m) is cls and _alive(m))

    @property
    def dataIndex(self):
        return self.serial

    index = dataIndex

    @property
    def fieldIndex(self):
        return 0

    @property
    def tick(self):
        return -1

    @property
    def isA(self):
        return _IsA(type(self))

    @property
    def me(self):
        return self

    @property
    def msgIn(self):
        return []

    @property
    def msgOut(self):
        return []

    @property
    def adjacent(self):
        """``adjacent[obj]``: the object at the other end of this message
        from *obj* (an entry of e1 or e2), as MOOSE's Msg lookup field."""
        return _Adjacent(self)

    def getField(self, name):
        if name not in type(self)._fields:
            raise FieldError(f"{self.path} ({self.className}) has no field '{name}'; "
                             f"fields: {', '.join(sorted(type(self)._fields))}")
        return getattr(self, name)

    def setField(self, name, value):
        f = type(self)._fields.get(name)
        if f is None or f.ro:
            raise FieldError(f"{self.path} ({self.className}).{name}: not a writable field; "
                             f"writable: {', '.join(sorted(n for n, g in type(self)._fields.items() if not g.ro)) or 'none'}")
        setattr(self, name, value)


def _alive(m):
    return m in m.el1.msg_out and m.el1.alive and m.el2.alive


class _Adjacent:
    __slots__ = ('m',)

    def __init__(self, m):
        self.m = m

    def __getitem__(self, obj):
        from .element import Neutral
        m = self.m
        if isinstance(obj, Vec):
            el, idx = obj._el, 0
        elif isinstance(obj, Neutral):
            el, idx = obj._element(), obj._idx
        else:
            raise FieldError(f'{m.path}.adjacent[{obj!r}]: expected an object')
        a, b = m.pairs()
        if el is m.el1:
            hit = b[a == idx]
            if len(hit):
                return m.el2.handle(int(hit[0]))
        if el is m.el2:
            hit = a[b == idx]
            if len(hit):
                return m.el1.handle(int(hit[0]))
        raise FieldError(f'{m.path}.adjacent: {el.path}[{idx}] is not an end of this message '
                         f'({m.el1.path} -> {m.el2.path})')


def _index_property(name, kind):
    slot = getattr(_msg.Msg, name)

    def get(self):
        return slot.__get__(self)

    def set(self, value):
        if isinstance(value, bool) or int(value) != value or (kind == 'unsigned' and value < 0):
            raise FieldError(f'{self.path} ({self.className}).{name}: expected '
                             f'{"a whole number >= 0" if kind == "unsigned" else "a whole number"}'
                             f', got {value!r}')
        slot.__set__(self, int(value))
        structure_changed()
    return property(get, set, doc=f'{name} of the message (writable)')


class SingleMsg(_MsgBase):
    """A message from one entry (i1) of e1 to one entry (i2) of e2."""

    __slots__ = ()
    _kind = 'Single'
    i1 = _index_property('i1', 'unsigned')
    i2 = _index_property('i2', 'unsigned')


class OneToAllMsg(_MsgBase):
    """A message from one entry (i1) of e1 to every entry of e2."""

    __slots__ = ()
    _kind = 'OneToAll'
    i1 = _index_property('i1', 'unsigned')


class OneToOneMsg(_MsgBase):
    """A message from entry i of e1 to entry i of e2."""

    __slots__ = ()
    _kind = 'OneToOne'


class OneToOneDataIndexMsg(OneToOneMsg):
    """MOOSE's OneToOne message between data entries (moosepy's
    ``connect(..., 'OneToOneDataIndex')`` makes a OneToOneMsg)."""

    __slots__ = ()
    _kind = 'OneToOneDataIndex'


class DiagonalMsg(_MsgBase):
    """A message from entry i of e1 to entry i + stride of e2."""

    __slots__ = ()
    _kind = 'Diagonal'
    stride = _index_property('stride', 'int')


class SparseMsg(_MsgBase):
    """A message given by a sparse matrix: rows are entries of e1, columns
    entries of e2; each entry carries a value (``matrixEntry``: the field
    index on the target, e.g. which synapse)."""

    __slots__ = ()
    _kind = 'Sparse'

    def _values(self):
        """Entry values in insertion order: the ones given one by one, or
        the count of earlier entries to the same column (MOOSE's pairFill
        and setRandomConnectivity)."""
        n = len(self.rows)
        if self._vals is not None and len(self._vals) == n:
            return self._vals
        out = np.zeros(n, dtype=np.int64)
        seen = {}
        for k, c in enumerate(self.cols.tolist()):
            out[k] = seen.get(c, 0)
            seen[c] = out[k] + 1
        return out

    @property
    def matrixEntry(self):
        """The value of each entry, row by row (as columnIndex)."""
        order = self._sparse_field('matrixEntry')
        return self._values()[order].copy()

    def setEntry(self, row, col, value=0):
        vals = self._values()
        super().setEntry(row, col, value)
        self._vals = np.append(vals, int(value))

    def pairFill(self, src, dest):
        self._vals = None
        super().pairFill(src, dest)

    def setRandomConnectivity(self, probability, seed):
        self._vals = None
        super().setRandomConnectivity(probability, seed)

    def clear(self):
        """Remove every entry."""
        structure_changed()
        self.rows = np.zeros(0, dtype=np.int64)
        self.cols = np.zeros(0, dtype=np.int64)
        self._vals = None

    def _plain(self, what):
        if getattr(self.el2.cls, '_on_sparse_fill', None) is not None:
            raise MessageError(f'{self.path}: {what} is not available on a message to '
                               f'{self.el2.path} ({self.el2.cls.__name__}), whose columns '
                               f'are field entries; use clear and setEntry')

    def unsetEntry(self, row, col):
        """Remove the entry (row, col) if there is one."""
        self._plain('unsetEntry')
        keep = ~((self.rows == int(row)) & (self.cols == int(col)))
        if keep.all():
            return
        vals = self._values()[keep]
        self.rows, self.cols = self.rows[keep], self.cols[keep]
        self._vals = vals
        structure_changed()

    def transpose(self):
        """Swap rows and columns."""
        self._plain('transpose')
        self.rows, self.cols = self.cols.copy(), self.rows.copy()
        self._vals = None if self._vals is None else self._vals.copy()
        structure_changed()

    def tripletFill(self, src, destDataIndex, destFieldIndex):
        """Replace the matrix by the entries (src[k], destDataIndex[k]) with
        values destFieldIndex[k]."""
        src, dd, df = (np.asarray(x, dtype=np.int64).ravel()
                       for x in (src, destDataIndex, destFieldIndex))
        if not len(src) == len(dd) == len(df):
            raise MessageError(f'{self.path}.tripletFill: the three lists differ in length '
                               f'({len(src)}, {len(dd)}, {len(df)})')
        self.clear()
        for r, c, v in zip(src.tolist(), dd.tolist(), df.tolist()):
            self.setEntry(r, c, v)

    def tripletFill1(self, v):
        """tripletFill from one list: sources, then destinations, then
        field indices (a third each)."""
        v = np.asarray(v, dtype=np.int64).ravel()
        if len(v) % 3:
            raise MessageError(f'{self.path}.tripletFill1: expected 3n values, got {len(v)}')
        n = len(v) // 3
        self.tripletFill(v[:n], v[n:2 * n], v[2 * n:])


_SPARSE_FIELDS = {
    'numRows': Field(0, '', 'Rows of the matrix (entries of e1)', type='unsigned int', ro=True,
                     stored=False),
    'numColumns': Field(0, '', 'Columns of the matrix (entries of e2)', type='unsigned int',
                        ro=True, stored=False),
    'numEntries': Field(0, '', 'Entries of the matrix', type='unsigned int', ro=True,
                        stored=False),
    'rowStart': Field(None, '', 'Start of each row in columnIndex', type='vector<unsigned int>',
                      ro=True, stored=False),
    'columnIndex': Field(None, '', 'Column of each entry, row by row',
                         type='vector<unsigned int>', ro=True, stored=False),
    'matrixEntry': Field(None, '', 'Value of each entry, row by row',
                         type='vector<unsigned int>', ro=True, stored=False),
    'connectionList': Field(None, '', 'Rows of the entries, then their columns',
                            type='vector<unsigned int>', stored=False),
    'probability': Field(0.0, '', 'Probability of the last setRandomConnectivity',
                         stored=False),
    'seed': Field(0, '', 'Seed (reads 0, as MOOSE 5.0)', type='int', stored=False),
}


def _declare(cls, extra, doc_base=None):
    fields = dict(_MSG_FIELDS)
    fields.update(extra)
    cls._fields = _meta({k: Field(**_args(f)) for k, f in fields.items()})
    cls._hidden = {}
    cls._columns = {}
    cls._lookups = {'adjacent': LookupField('ObjId', 'ObjId', doc='The object at the other '
                                            'end from a given end')}
    cls._lookups['adjacent'].name = 'adjacent'
    cls._felems = {}
    cls._ports = {}
    cls.default_tick = -1
    registry[cls.__name__] = cls
    register_class(cls)


def _args(f):
    return dict(default=f.default, unit=f.unit, doc=f.doc, type=f.type, ro=f.ro,
                stored=False)


_declare(_msg.Msg, {})
_declare(SingleMsg, {'i1': Field(0, '', 'Entry of e1', type='unsigned int', stored=False),
                     'i2': Field(0, '', 'Entry of e2', type='unsigned int', stored=False)})
_declare(OneToAllMsg, {'i1': Field(0, '', 'Entry of e1', type='unsigned int', stored=False)})
_declare(OneToOneMsg, {})
_declare(OneToOneDataIndexMsg, {})
_declare(DiagonalMsg, {'stride': Field(1, '', 'Offset from entry i of e1 to its entry of e2',
                                       type='int', stored=False)})
_declare(SparseMsg, _SPARSE_FIELDS)
_msg._CLASS_OF.update({'Single': SingleMsg, 'OneToAll': OneToAllMsg, 'OneToOne': OneToOneMsg,
                       'Diagonal': DiagonalMsg, 'Sparse': SparseMsg})
# the base Msg's own docs for /classes/Msg
_msg.Msg.__doc__ = ((_msg.Msg.__doc__ or '').rstrip() + '\n\n    Base of the message '
                    'classes: SingleMsg, OneToAllMsg, OneToOneMsg, DiagonalMsg, SparseMsg.')


def msg_at(path):
    """The live message whose path is *path*, or None."""
    m = _PATH_RE.match(path)
    if m is None:
        return None
    msg = _msg._LIVE.get(int(m.group(2)))
    if msg is None or not _alive(msg) or msg.name != m.group(1):
        return None
    return msg
