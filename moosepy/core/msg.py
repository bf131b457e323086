"""Messages: MOOSE's typed connections between element ports.

A message joins a port of one element (``e1``) to a port of another
(``e2``) with an index mapping: ``Single`` (one entry to one entry),
``OneToAll``, ``OneToOne``, ``Diagonal`` (entry i to entry i + stride) and
``Sparse`` (an explicit list of (i, j) pairs, kept as index arrays).  Messages
are validated when connected and compiled into arrays by the solvers at
``reinit``; nothing walks them per time step on a solved model.
"""

import itertools

import numpy as np

from .element import Neutral, Vec
from .errors import FieldError, MessageError, PathError, suggest
from .structure import changed as structure_changed

MSG_TYPES = ('Single', 'OneToAll', 'OneToOne', 'OneToOneDataIndex', 'Diagonal', 'Sparse')

#: serial numbers of messages (MOOSE's Msg paths /Msgs[0]/...Msg[serial]); no
#: list of all messages is kept, so deleted models are freed with their messages
_serials = itertools.count()
#: live messages by serial, so that a /Msgs path finds its message (a
#: message leaves it when dropped: drop_message, drop_messages, which every
#: delete goes through); and message type -> class (SingleMsg, ...), filled
#: by moosepy.core.msgclasses
_LIVE = {}
_CLASS_OF = {}
#: the index arrays of a message that is not Sparse (shared, read-only:
#: a Sparse message's are always replaced, never written into)
_NO_INDEX = np.zeros(0, dtype=np.int64)
_NO_INDEX.flags.writeable = False


class Msg:
    """One message (read-only view): ``e1``, ``e2``, ``srcFieldsOnE1``,
    ``destFieldsOnE2``, ``className``."""

    __slots__ = ('el1', 'el2', 'srcField', 'destField', 'msgType', 'i1', 'i2', 'stride',
                 'rows', 'cols', 'serial', '_prob', '_vals', '__weakref__')

    def __init__(self, e1, srcField, e2, destField, msgType, i1=0, i2=0):
        self.el1, self.el2 = e1, e2
        self.srcField, self.destField = srcField, destField
        self.msgType = 'OneToOne' if msgType == 'OneToOneDataIndex' else msgType
        self.i1, self.i2 = i1, i2
        self.stride = 1
        self.rows = self.cols = _NO_INDEX
        self.serial = serial = next(_serials)
        self._prob = 0.0
        self._vals = None           # SparseMsg entry values when set one by one
        cls = _CLASS_OF.get(self.msgType)
        if cls is not None:
            self.__class__ = cls
        _LIVE[serial] = self
        e1.msg_out.append(self)
        e2.msg_in.append(self)
        structure_changed()

    # MOOSE-style read-only fields
    @property
    def e1(self):
        """Source element (as a vec)."""
        return Vec(self.el1)

    @property
    def e2(self):
        """Destination element (as a vec)."""
        return Vec(self.el2)

    @property
    def className(self):
        return self.msgType + 'Msg'

    @property
    def path(self):
        return f'/Msgs[0]/{self.msgType[0].lower() + self.msgType[1:]}Msg[{self.serial}]'

    @property
    def srcFieldsOnE1(self):
        return [self.srcField]

    @property
    def destFieldsOnE2(self):
        return [self.destField]

    @property
    def srcFieldsOnE2(self):
        return [self.destField] if self._shared() else []

    @property
    def destFieldsOnE1(self):
        return [self.srcField] if self._shared() else []

    def _shared(self):
        return self.el1.cls._ports[self.srcField].kind == 'sharedFinfo'

    @property
    def src(self):
        return Vec(self.el1)

    @property
    def dest(self):
        return Vec(self.el2)

    def pairs(self):
        """Index pairs (i on e1, j on e2) as two int arrays."""
        n1, n2 = self.el1.num, self.el2.num
        t = self.msgType
        if t == 'Single':
            return np.array([self.i1]), np.array([self.i2])
        if t == 'OneToAll':
            return np.full(n2, self.i1), np.arange(n2)
        if t == 'OneToOne':
            n = min(n1, n2)
            return np.arange(n), np.arange(n)
        if t == 'Diagonal':
            i = np.arange(n1)
            j = i + self.stride
            ok = (j >= 0) & (j < n2)
            return i[ok], j[ok]
        return self.rows.copy(), self.cols.copy()

    def targets(self, i):
        """Indices on e2 reached from entry i of e1."""
        a, b = self.pairs()
        return b[a == i]

    # Sparse message editing, as MOOSE's SparseMsg.  A destination class may
    # define _sparse_columns(el) (how many columns the matrix has, e.g. the
    # data entries owning a field element) and _on_sparse_fill(msg, start,
    # field_index) (turn the new entries' columns into its own indices).
    def _filled(self, start, field_index=None):
        structure_changed()
        hook = getattr(self.el2.cls, '_on_sparse_fill', None)
        if hook is not None:
            hook(self, start, field_index)

    def setEntry(self, row, col, value=0):
        self._sparse_only()
        structure_changed()
        start = len(self.rows)
        self.rows = np.append(self.rows, int(row))
        self.cols = np.append(self.cols, int(col))
        self._filled(start, int(value))

    def setRandomConnectivity(self, probability, seed):
        self._sparse_only()
        self._prob = float(probability)
        rng = np.random.default_rng(int(seed))
        ncols = getattr(self.el2.cls, '_sparse_columns', lambda el: el.num)(self.el2)
        mask = rng.random((self.el1.num, ncols)) < probability
        self.rows, self.cols = (a.astype(np.int64) for a in np.nonzero(mask))
        self._filled(0)

    def pairFill(self, src, dest):
        self._sparse_only()
        self.rows = np.asarray(src, dtype=np.int64)
        self.cols = np.asarray(dest, dtype=np.int64)
        self._filled(0)

    # SparseMsg's read-only fields, as MOOSE reports them: the matrix in
    # compressed-row form (rows = e1 entries, columns = e2 entries)
    def _sparse_field(self, name):
        if self.msgType != 'Sparse':
            raise FieldError(f"{self.path} ({self.className}) has no field '{name}' "
                             f"(only SparseMsg has it)")
        return np.lexsort((self.cols, self.rows))     # by row, then column

    @property
    def numRows(self):
        self._sparse_field('numRows')
        return self.el1.num

    @property
    def numColumns(self):
        self._sparse_field('numColumns')
        return getattr(self.el2.cls, '_sparse_columns', lambda el: el.num)(self.el2)

    @property
    def numEntries(self):
        self._sparse_field('numEntries')
        return len(self.rows)

    @property
    def rowStart(self):
        """Index in columnIndex of each row's first entry (numRows + 1 values)."""
        order = self._sparse_field('rowStart')
        return np.searchsorted(self.rows[order], np.arange(self.el1.num + 1)).astype(np.int64)

    @property
    def columnIndex(self):
        """Column of each entry, row by row."""
        return self.cols[self._sparse_field('columnIndex')].copy()

    @property
    def connectionList(self):
        """The rows of the entries (row by row), then their columns."""
        order = self._sparse_field('connectionList')
        return np.concatenate([self.rows[order], self.cols[order]])

    @property
    def probability(self):
        """The probability of the last setRandomConnectivity (0 before)."""
        self._sparse_field('probability')
        return self._prob

    @property
    def seed(self):
        """0, as MOOSE 5.0 reads it (setRandomConnectivity does not keep it)."""
        self._sparse_field('seed')
        return 0

    def _sparse_only(self):
        if self.msgType != 'Sparse':
            raise MessageError(f'{self.path}: only Sparse messages have entries')

    def __repr__(self):
        return (f'<{self.className} {self.el1.path}.{self.srcField} -> '
                f'{self.el2.path}.{self.destField}>')


def _handle_and_el(x, which):
    if isinstance(x, Neutral):
        return x._element(), x._idx
    if isinstance(x, Vec):
        return x._element(), None
    if isinstance(x, str):
        from .shell import resolve
        el, idx = resolve(x)
        return el, idx
    raise MessageError(f'connect: {which} must be an object, vec or path, got {x!r}')


#: (class 1, source port, class 2, destination port) -> the two ports, of
#: connections found valid (ports are fixed per class)
_VALID = {}


def check_ports(el1, srcField, el2, destField):
    """Validate a connection; return the two ports."""
    c1, c2 = el1.cls, el2.cls
    key = (c1, srcField, c2, destField)
    ok = _VALID.get(key)
    if ok is not None:
        return ok
    p1, p2 = _check_ports(el1, srcField, el2, destField)
    _VALID[key] = (p1, p2)
    return p1, p2


def _check_ports(el1, srcField, el2, destField):
    c1, c2 = el1.cls, el2.cls
    p1 = c1._ports.get(srcField)
    if p1 is None:
        srcs = sorted(n for n, p in c1._ports.items() if p.kind in ('srcFinfo', 'sharedFinfo'))
        raise MessageError(f"connect: {el1.path} ({c1.__name__}) has no source port "
                           f"'{srcField}'{suggest(srcField, srcs)} valid: {', '.join(srcs)}")
    p2 = c2._ports.get(destField)
    if p2 is None:
        dests = sorted(n for n, p in c2._ports.items()
                       if p.kind in ('destFinfo', 'sharedFinfo')
                       and not (p.name[:3] in ('get', 'set') and p.name[3:4].isupper()))
        raise MessageError(f"connect: {el2.path} ({c2.__name__}) has no destination port "
                           f"'{destField}'{suggest(destField, list(c2._ports))} valid: "
                           f"{', '.join(dests)} and get<Field>/set<Field>")
    if p1.kind == 'sharedFinfo':
        if p2.kind == 'sharedFinfo' and p1.protocol == p2.protocol and \
                (p1.role != p2.role or p1.role == 'peer'):
            return p1, p2
    elif p1.kind == 'srcFinfo' and p2.kind == 'destFinfo' and p1.sig == p2.sig:
        return p1, p2
    # what is wrong with it (the message names both ends)
    where = (f"connect({el1.path} ({c1.__name__}) '{srcField}' -> {el2.path} "
             f"({c2.__name__}) '{destField}')")
    if p1.kind == 'destFinfo':
        raise MessageError(f"{where}: '{srcField}' is a destination of {c1.__name__}, not a "
                           f"source (wrong direction?); valid sources: {_valid_src(c1)}")
    if p2.kind == 'srcFinfo':
        raise MessageError(f"{where}: '{destField}' is a source of {c2.__name__}, not a "
                           f"destination (wrong direction?); valid destinations: "
                           f"{_valid_dest(c2)}")
    if (p1.kind == 'sharedFinfo') != (p2.kind == 'sharedFinfo'):
        raise MessageError(f"{where}: a shared port connects only to a shared port of the "
                           f"same kind; valid partners of '{srcField}': "
                           f"{_partners(p1, c2) if p1.kind == 'sharedFinfo' else _sig_ok(p1, c2)}")
    if p1.kind == 'sharedFinfo':
        if p1.protocol != p2.protocol or (p1.role == p2.role and p1.role != 'peer'):
            raise MessageError(
                f"{where}: '{srcField}' speaks '{p1.protocol}' as {p1.role} and "
                f"'{destField}' speaks '{p2.protocol}' as {p2.role}; they do not pair; valid "
                f"partners on {c2.__name__}: {_partners(p1, c2)}")
    elif p1.sig != p2.sig:
        raise MessageError(f"{where}: '{srcField}' sends '{p1.sig}' but '{destField}' takes "
                           f"'{p2.sig}'; valid destinations on {c2.__name__}: "
                           f"{_sig_ok(p1, c2)}")
    return p1, p2


def _valid_src(c):
    return ', '.join(sorted(n for n, p in c._ports.items()
                            if p.kind in ('srcFinfo', 'sharedFinfo'))) or 'none'


def _valid_dest(c):
    return ', '.join(sorted(n for n, p in c._ports.items()
                            if p.kind in ('destFinfo', 'sharedFinfo')
                            and not (n[:3] in ('get', 'set') and n[3:4].isupper()))) \
        + ' and get<Field>/set<Field>'


def _partners(p1, c2):
    ok = [n for n, p in c2._ports.items() if p.kind == 'sharedFinfo'
          and getattr(p, 'protocol', None) == p1.protocol
          and (p.role != p1.role or p.role == 'peer')]
    return ', '.join(sorted(ok)) or 'none'


def _sig_ok(p1, c2):
    ok = [n for n, p in c2._ports.items() if p.kind == 'destFinfo' and p.sig == p1.sig]
    if len(ok) > 12:
        ok = ok[:12] + ['...']
    return ', '.join(sorted(ok)) or 'none'


def connect(src, srcField, dest, destField, msgType='Single'):
    """Connect ``src.srcField`` to ``dest.destField``; returns the :class:`Msg`.

    Raises :class:`MessageError` when a port is unknown, the direction is
    wrong, the types do not pair, or the message type is unknown.
    """
    if msgType not in MSG_TYPES:
        raise MessageError(f"connect: unknown msgType '{msgType}'; valid: "
                           f"{', '.join(MSG_TYPES)}")
    el1, i1 = _handle_and_el(src, 'source')
    el2, i2 = _handle_and_el(dest, 'destination')
    check_ports(el1, srcField, el2, destField)
    if msgType == 'Single':
        m = Msg(el1, srcField, el2, destField, 'Single', i1 or 0, i2 or 0)
    elif msgType in ('OneToOne', 'OneToOneDataIndex'):
        # as MOOSE: entries i -> i for i below the smaller count (no error
        # when the counts differ)
        m = Msg(el1, srcField, el2, destField, msgType)
    elif msgType == 'OneToAll':
        m = Msg(el1, srcField, el2, destField, msgType, i1 or 0, 0)
    else:
        m = Msg(el1, srcField, el2, destField, msgType)
    for el in (el1, el2):
        hook = getattr(el.cls, '_on_connect', None)
        if hook is not None:
            hook(el, m)
    return m


def connect_pairs(pairs, srcField, destField):
    """Single messages from ``src.srcField`` to ``dest.destField`` for each
    (src, dest) pair of handles (what ``connect`` does for each, the ports
    checked once per pair of classes); returns the messages.  Every pair is
    checked before any message is made."""
    ends = []
    for src, dest in pairs:
        el1, i1 = _handle_and_el(src, 'source')
        el2, i2 = _handle_and_el(dest, 'destination')
        ends.append((el1, i1 or 0, el2, i2 or 0))
    return connect_ends(ends, srcField, destField)


def connect_ends(ends, srcField, destField):
    """:func:`connect_pairs` for (element 1, index 1, element 2, index 2)
    tuples: every pair of classes is checked first, then the messages are
    made; returns them."""
    checked = set()
    for el1, _i1, el2, _i2 in ends:
        key = (el1.cls, el2.cls)
        if key not in checked:
            check_ports(el1, srcField, el2, destField)
            checked.add(key)
    hooks = {}
    made = []
    for el1, i1, el2, i2 in ends:
        m = Msg(el1, srcField, el2, destField, 'Single', i1, i2)
        for el in (el1, el2):
            c = el.cls
            hook = hooks.get(c, hooks)
            if hook is hooks:
                hook = hooks[c] = getattr(c, '_on_connect', None)
            if hook is not None:
                hook(el, m)
        made.append(m)
    return made


def links(el, port):
    """Messages attached to *port* of *el*, seen from *el*: list of
    (other element, other port, msg, el_is_e1)."""
    out = []
    for m in el.msg_out:
        if m.srcField == port:
            out.append((m.el2, m.destField, m, True))
    for m in el.msg_in:
        if m.destField == port:
            out.append((m.el1, m.srcField, m, False))
    return out


def linked_indices(el, idx, port):
    """(other element, other index, other port) reached from entry *idx*."""
    res = []
    for other, oport, m, forward in links(el, port):
        a, b = m.pairs()
        if forward:
            res.extend((other, int(j), oport) for j in b[a == idx])
        else:
            res.extend((other, int(i), oport) for i in a[b == idx])
    return res


def neighbors(obj, port='*', msgType=None, direction=None):
    """Vecs connected to *obj* through *port* ('*' for any)."""
    el = obj._element() if isinstance(obj, (Neutral, Vec)) else _handle_and_el(obj, 'obj')[0]
    out = []
    for m in el.msg_out:
        if (port in ('*', m.srcField)) and direction in (None, 'output', 'out') and \
                (msgType is None or m.msgType == msgType):
            out.append(Vec(m.el2))
    for m in el.msg_in:
        if (port in ('*', m.destField)) and direction in (None, 'input', 'in') and \
                (msgType is None or m.msgType == msgType):
            out.append(Vec(m.el1))
    return out


def showmsg(obj):
    """Print (and return) the messages into and out of an object."""
    el = obj._element() if isinstance(obj, (Neutral, Vec)) else _handle_and_el(obj, 'obj')[0]
    lines = ['INCOMING:']
    for m in el.msg_in:
        lines.append(f'{m.el2.path} <- {m.el1.path} via {m.className} '
                     f'({m.srcField} -> {m.destField})')
    lines.append('OUTGOING:')
    for m in el.msg_out:
        lines.append(f'{m.el1.path} -> {m.el2.path} via {m.className} '
                     f'({m.srcField} -> {m.destField})')
    text = '\n'.join(lines)
    print(text)
    return text


def listmsg(obj):
    el = obj._element() if isinstance(obj, (Neutral, Vec)) else _handle_and_el(obj, 'obj')[0]
    return list(el.msg_in) + list(el.msg_out)


def drop_message(m):
    """Remove one message (``moose.delete(msg)``); a message already gone is
    an error naming it, as deleting a deleted element."""
    if m not in m.el1.msg_out and m not in m.el2.msg_in:
        raise PathError(f'delete: message {m.path} ({m.el1.path}.{m.srcField} -> '
                        f'{m.el2.path}.{m.destField}) does not exist (already deleted)')
    structure_changed()
    _LIVE.pop(m.serial, None)
    if m in m.el1.msg_out:
        m.el1.msg_out.remove(m)
    if m in m.el2.msg_in:
        m.el2.msg_in.remove(m)
    for e in (m.el1, m.el2):
        hook = getattr(e.cls, '_on_disconnect', None)
        if hook is not None:
            hook(e, m)


def drop_messages(el):
    """Remove every message touching *el* (used by delete)."""
    structure_changed()
    for m in list(el.msg_out) + list(el.msg_in):
        _LIVE.pop(m.serial, None)
        if m in m.el1.msg_out:
            m.el1.msg_out.remove(m)
        if m in m.el2.msg_in:
            m.el2.msg_in.remove(m)
        for e in (m.el1, m.el2):
            hook = getattr(e.cls, '_on_disconnect', None)
            if hook is not None and e is not el:
                hook(e, m)


def copy_messages(mapping, num, copy_ext):
    """Re-create messages for a copied subtree (*mapping*: old -> new element)."""
    done = set()
    for old in mapping:
        for m in (*old.msg_out, *old.msg_in):
            if m in done:
                continue
            done.add(m)
            in1, in2 = m.el1 in mapping, m.el2 in mapping
            if not (in1 and in2) and not copy_ext:
                continue
            n1 = mapping.get(m.el1, m.el1)
            n2 = mapping.get(m.el2, m.el2)
            if num == 1 or m.msgType != 'Single':
                nm = Msg(n1, m.srcField, n2, m.destField, m.msgType, m.i1, m.i2)
                nm.stride = m.stride
                if m.rows is not _NO_INDEX:
                    nm.rows = m.rows.copy()
                if m.cols is not _NO_INDEX:
                    nm.cols = m.cols.copy()
            elif in1 and in2:
                nm = Msg(n1, m.srcField, n2, m.destField, 'Sparse')
                k = np.arange(num)
                nm.rows = m.i1 + k * m.el1.num
                nm.cols = m.i2 + k * m.el2.num
            else:
                nm = Msg(n1, m.srcField, n2, m.destField, 'Single', m.i1, m.i2)


def msg_graph():
    """A networkx MultiDiGraph of all live messages between element paths
    (built on demand, for analysis and drawing)."""
    import networkx as nx
    from .element import root
    g = nx.MultiDiGraph()
    for el in root().walk():
        for m in el.msg_out:
            if not (m.el1.alive and m.el2.alive):
                continue
            g.add_edge(m.el1.path, m.el2.path, src=m.srcField, dest=m.destField,
                       type=m.msgType)
    return g
