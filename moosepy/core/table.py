"""Recording: ``Table`` (tick 8, electrical plots) and ``Table2`` (tick 18,
chemical plots).

A table pulls the value of any readable field through a ``requestOut ->
get<Field>`` message at its tick, or receives values pushed to its
``input``.  ``vector`` is a numpy array.  When the source is owned by a
compiled solver the table is filled by that solver in batches (see
:mod:`moosepy.core.clock`): the values are the same as a tick-by-tick read.

``spike`` (from a SpikeGen's ``spikeOut``) appends every spike time it is
sent.  Deliberate deviation from MOOSE 5.0.0, measured with pymoose: its
Table keeps only the first spike (it waits for the received value, a time,
to fall below ``threshold``, which never happens) and stamps it with the
table's previous tick instead of the spike's time.
"""

import weakref

import numpy as np

from .element import Neutral
from .errors import FieldError, MooseError
from .fields import Field, Src, Dest
from .msg import linked_indices, links  # noqa: F401

_SOURCES = weakref.WeakKeyDictionary()   # element -> (message key, sources per entry)


def write_xplot(fname, plotname, values, comment=''):
    """Append *values* to the xplot file *fname* as a ``/newplot`` block
    named *plotname* (a ``/comment`` line first when *comment* is given)."""
    with open(fname, 'a') as fh:
        fh.write(f'/newplot\n/plotname {plotname}\n')
        if comment:
            fh.write(f'/comment {comment}\n')
        for v in values:
            fh.write(f'{float(v)!r}\n')
        fh.write('\n')


def plot_dump_args(obj, v):
    """(filename, plotname) of a ``plotDump`` value "filename plotname"."""
    parts = v.split()
    if len(parts) != 2:
        raise FieldError(f'{obj.path} ({obj.className}).plotDump: expected "filename '
                         f'plotname", got {v!r}')
    return parts[0], parts[1]


class TableBase(Neutral):
    """Base of tables: a growable vector of doubles."""

    vector = Field(None, '', 'Recorded values (unit of the recorded field)', type='vector',
                   stored=False)
    size = Field(0, '', 'Number of recorded values', type='unsigned int', ro=True, stored=False)
    y = Field(None, '', 'Alias of vector', type='vector', stored=False)
    outfile = Field('', '', 'File to write the vector to when the run ends', type='string')
    format = Field('csv', '', "Format of outfile: 'csv' or 'npy'", type='string')
    plotDump = Field('plot.Dump', '', 'Write the vector as an xplot: "filename plotname"',
                     type='string', stored=False)
    outputValue = Field(0.0, '', 'Result of the last compareVec (a StimulusTable: the last '
                        'value it sent)', ro=True)

    ports = (Src('requestOut', 'request', 'Asks a get<Field> destination for its value'),
             Dest('input', 'double', 'Receives a value to append'),
             Dest('spike', 'double', 'Receives a spike time to append'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def __init_obj__(self):
        self._el.data['vec'] = [[] for _ in range(self._el.num)]

    @classmethod
    def _on_copy(cls, new, old):
        # the copy's own lists of chunks (the element copy shares them)
        st = old.data.get('vec', [])
        one = [st[i] if i < len(st) else [] for i in range(old.num)]
        k = new.num // old.num if old.num else 1
        new.data['vec'] = [list(c) for c in one * k]

    # --- storage (list of numpy chunks per entry) ---------------------------
    @staticmethod
    def _store(el):
        st = el.data.setdefault('vec', [])
        while len(st) < el.num:
            st.append([])
        return st

    def _get_vector(self):
        chunks = self._store(self._el)[self._idx]
        if not chunks:
            return np.zeros(0)
        if len(chunks) > 1:
            arr = np.concatenate([np.atleast_1d(np.asarray(c, dtype=float)) for c in chunks])
            chunks[:] = [arr]
        return np.array(chunks[0], dtype=float)

    def _set_vector(self, v):
        self._store(self._el)[self._idx] = [np.asarray(v, dtype=float).ravel()]

    _get_y = _get_vector
    _set_y = _set_vector

    def _get_size(self):
        return sum(np.size(c) for c in self._store(self._el)[self._idx])

    def _set_plotDump(self, v):
        self.xplot(*plot_dump_args(self, v))

    def _get_plotDump(self):
        return 'plot.Dump'      # what MOOSE's getter always gives

    def compareVec(self, other, op='rmsd'):
        """RMS difference ('rmsd') or RMS ratio ('rmsr') of the table and
        *other*, over their common length; stored in ``outputValue``."""
        a = self.vector
        b = np.asarray(other, dtype=float).ravel()
        n = min(len(a), len(b))
        if n == 0:
            res = -1.0
        elif op == 'rmsd':
            res = float(np.sqrt(np.mean((a[:n] - b[:n]) ** 2)))
        elif op == 'rmsr':
            den = np.sqrt(np.mean(a[:n] ** 2)) + np.sqrt(np.mean(b[:n] ** 2))
            res = float(np.sqrt(np.mean((a[:n] - b[:n]) ** 2)) / den) if den > 0 else -1.0
        else:
            raise FieldError(f"{self.path} ({self.className}).compareVec: unknown operation "
                             f"{op!r}; valid: 'rmsd', 'rmsr'")
        self._el.cols['outputValue'][self._idx] = res
        return res

    def clearVec(self):
        """Empty the vector."""
        self._store(self._el)[self._idx] = []

    def _provenance(self):
        """What a stochastic solver feeding this table records of its run
        (method, seed), or ''."""
        for o, j, port in self._sources(self._el, self._idx):
            spec = _solver_spec(o, j, port)
            fn = getattr(spec[0].cls, '_provenance', None) if spec else None
            if fn is not None:
                return fn(spec[0])
        return ''

    def plainPlot(self, fname):
        """Write the vector, one value a line (a '#' header line records a
        stochastic solver's method and seed)."""
        np.savetxt(fname, self.vector, header=self._provenance())

    def xplot(self, fname, plotname):
        """Append the vector to an xplot file (``/newplot`` block; a
        ``/comment`` line records a stochastic solver's method and seed)."""
        write_xplot(fname, plotname, self.vector, self._provenance())

    def loadCSV(self, fname, startLine=0, colNum=0, separator=','):
        data = np.loadtxt(fname, delimiter=separator, skiprows=startLine, ndmin=2)
        self.vector = data[:, colNum]

    def loadXplot(self, fname, plotname):
        vals, on = [], False
        with open(fname) as fh:
            for line in fh:
                line = line.strip()
                if line.startswith('/plotname'):
                    on = line.split(None, 1)[1] == plotname
                elif line.startswith('/'):
                    continue
                elif on and line:
                    vals.append(float(line.split()[-1]))
        if not vals:
            raise MooseError(f'{fname}: no plot named {plotname!r}')
        self.vector = vals

    # --- clock interface ------------------------------------------------------
    @staticmethod
    def _sources(el, idx):
        # all entries' sources in one pass over the messages, cached until
        # the messages change (a vec of n tables has n messages: asking each
        # entry separately costs n^2 per sample)
        from .structure import version
        key = (version(), len(el.msg_out), len(el.msg_in))
        hit = _SOURCES.get(el)
        if hit is None or hit[0] != key:
            per = [[] for _ in range(el.num)]
            for other, oport, m, forward in links(el, 'requestOut'):
                a, b = m.pairs()
                if not forward:
                    a, b = b, a
                for i, j in zip(a.tolist(), b.tolist()):
                    if 0 <= i < el.num:
                        per[i].append((other, int(j), oport))
            hit = _SOURCES[el] = (key, per)
        return list(hit[1][idx])

    @classmethod
    def _reinit(cls, el):
        # as MOOSE: cleared, then one sample of the source at reinit (objects
        # on earlier ticks are already reinitialised, later ones not yet)
        st = cls._store(el)
        for i in range(el.num):
            st[i] = [np.array([_read(o, j, p)]) for o, j, p in cls._sources(el, i)][:1]

    @classmethod
    def _batch_role(cls, el):
        srcs = [cls._sources(el, i) for i in range(el.num)]
        if not any(srcs):
            return 'idle'
        solver = None
        for s in srcs:
            if len(s) != 1:
                return 'python'
            o, j, port = s[0]
            spec = _solver_spec(o, j, port)
            if spec is None or (solver is not None and spec[0] is not solver):
                return 'python'
            solver = spec[0]
        return 'sampler'

    @classmethod
    def _sample_source(cls, el):
        specs = []
        solver = None
        for i in range(el.num):
            o, j, port = cls._sources(el, i)[0]
            solver, flat, scale = _solver_spec(o, j, port)
            specs.append((flat, scale))
        return solver, specs

    @classmethod
    def _record_batch(cls, el, times, values):
        """Append sampled *values* (n_samples x entries) to the vectors."""
        if values is None:
            return
        st = cls._store(el)
        for i in range(el.num):
            st[i].append(values[:, i].copy())

    @classmethod
    def _process(cls, el, t, dt):
        st = cls._store(el)
        for i in range(el.num):
            for o, j, port in cls._sources(el, i):
                st[i].append(np.array([_read(o, j, port)]))

    @classmethod
    def _quiet_steps(cls, el, s0, most, dt):
        """Steps the table can take in one go (see clock._skip_quiet): all
        when every field it reads is one its owner keeps unchanged while
        the owner is quiet (the owner's class lists it in
        ``_quiet_fields``), else none (also for subclasses that step
        otherwise: StimulusTable, Interpol)."""
        if cls._process.__func__ is not TableBase.__dict__['_process'].__func__:
            return 0
        for i in range(el.num):
            for o, j, port in cls._sources(el, i):
                name = _getter_field(port)
                if name not in o.cls._fields:
                    name = port[3:]
                if name not in getattr(o.cls, '_quiet_fields', ()):
                    return 0
        return most

    @classmethod
    def _skip_steps(cls, el, s0, n, dt):
        """*n* samples of the unchanged fields at once."""
        st = cls._store(el)
        for i in range(el.num):
            for o, j, port in cls._sources(el, i):
                st[i].append(np.full(n, _read(o, j, port)))


def _getter_field(port):
    if port.startswith('get') and len(port) > 3:
        return port[3].lower() + port[4:]
    return None


def _getter_attr(el, port):
    """The attribute of *el*'s handles that ``get<Field>`` *port* reads:
    the field with a lower-case first letter, else as written (Vm, Gk, Ik,
    ...)."""
    name = _getter_field(port)
    return name if name in el.cls._fields else port[3:]


def _read(el, idx, port):
    return float(getattr(el.handle(idx), _getter_attr(el, port)))


def _solver_spec(el, idx, port):
    """(solver element, flat state index, scale) when a compiled solver owns
    the field that *port* reads, else None."""
    fn = getattr(el.cls, '_solver_spec', None)
    if fn is None:
        return None
    return fn(el, idx, _getter_attr(el, port))


def _empty_on_copy(cls, new, old):
    # MOOSE: a copied Table or Table2 starts with an empty vector (a
    # StimulusTable or Interpol keeps its values)
    new.data['vec'] = [[] for _ in range(new.num)]


class Table(TableBase):
    """Records a field at its tick (default tick 8, dt 0.1 ms).  A copy
    starts empty (MOOSE)."""
    default_tick = 8
    _on_copy = classmethod(_empty_on_copy)

    threshold = Field(0.0, '', 'Threshold for spike mode', type='double')
    useSpikeMode = Field(False, '', 'Record only threshold crossings (times)', type='bool')
    columnName = Field('', '', "The table's name in streamed output (SocketStreamer); "
                       "'' for its path", type='string')

    # Spike mode (MOOSE's Table::spike): the samples are kept as recorded and
    # read back as the times [s] of the samples that rose above threshold
    # after having fallen below it (the sample at reinit is at t = 0, the
    # k-th after it at k dt).
    def _get_vector(self):
        v = TableBase._get_vector(self)
        c, i = self._el.cols, self._idx
        if not bool(c['useSpikeMode'][i]) or not v.size or \
                not linked_indices(self._el, i, 'requestOut'):
            return v
        thr = float(c['threshold'][i])
        above = v > thr
        below = v < thr
        times, fired = [], False
        dt = float(self.dt)
        for k in range(v.size):
            if fired:
                if below[k]:
                    fired = False
            elif above[k]:
                fired = True
                times.append(k * dt)
        return np.array(times)

    _get_y = _get_vector

    def _get_size(self):
        return int(self._get_vector().size)


class Table2(TableBase):
    """Records a field at its tick (default tick 18, dt 1 s): chemical plots.
    A copy starts empty (MOOSE)."""
    default_tick = 18
    _on_copy = classmethod(_empty_on_copy)

    threshold = Field(0.0, '', 'Threshold for spike mode', type='double')
    useSpikeMode = Field(False, '', 'Record only threshold crossings (times)', type='bool')

    # spike mode as Table's (MOOSE's Table2 is the same C++ class on tick 18)
    _get_vector = Table._get_vector
    _get_y = Table._get_vector
    _get_size = Table._get_size

    columnName = Field('', '', "The table's name in streamed output (SocketStreamer); "
                       "'' for its path", type='string')
