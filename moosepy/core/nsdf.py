"""Streaming writers to HDF5: ``HDF5DataWriter``, ``NSDFWriter`` and
``NSDFWriter2`` (MOOSE's names, fields and messages), through h5py.

What this module owns: the writers' fields, how they find their sources,
their on-disk layouts, and flushing.  What it does not: reading files back
(h5py does), the Streamer (:mod:`moosepy.core.streamer`), provenance
(:mod:`moosepy.core.provenance`).

Sources are attached as in MOOSE: ``connect(writer, 'requestOut', obj,
'getVm')`` for sampled values (uniform data), and for NSDFWriter spike
times through ``eventInput``: ``writer.eventInput.num = n;
connect(spikegen, 'spikeOut', writer.eventInput[k], 'input')``.
``NSDFWriter2.blocks`` also takes ``'wildcard.field'`` strings; a block
below a Neuron or ChemCompt goes, as in MOOSE, to
``/data/uniform/<container parts>/<rest of the path>/<field>`` with '%'
joining parts (``'/model/elec/#[ISA=Compartment].Vm'`` ->
``/data/uniform/%elec/#[ISA=Compartment]/Vm``), its map and static
coordinates mirrored under ``/map`` and ``/data/static``;
``modelRoot = ''`` stores no model tree.

A writer samples at its tick (30, dt 1 s by default) after every other
tick, like MOOSE: the first sample is taken at t = dt (none at reinit).
When all of a writer's sources are owned by one compiled solver it is fed
by that solver in batches, as tables are (see :mod:`moosepy.core.clock`),
so it costs no Python per step.  Samples are buffered and written in
blocks: after ``flushLimit`` samples, when the buffer reaches
:data:`MAX_BUFFER_VALUES` values whatever flushLimit says (so memory stays
flat in long runs with many sources), at the end of every ``start()``, and
on ``flush()``/``close()``.  Datasets are chunked and resizable; the file
is flushed after every block, so it stays readable if the process dies.

Layouts
-------
HDF5DataWriter (as MOOSE): one 1-D dataset per source,
``/<source path without the leading />/<field, first letter in lower
case>``, e.g. ``/model[0]/c[0]/vm``, ``.../initVm``.

NSDF (Ray et al. 2016, Neuroinformatics 14:147), as MOOSE 5.0 lays it out:

* ``/data/uniform/<class>/<field>``: 2-D (source x sample), attributes
  ``dt``, ``tstart`` (time of the first sample), ``tunit``, ``unit``,
  ``field``; dimension 0 carries the dimension scale
  ``/map/uniform/<class>/<field>`` (the source paths).
* ``/data/event/<class>/<port>/<source>``: 1-D event times per source
  (attributes ``source``, ``field``, ``unit``), listed in
  ``/map/event/<class>/<port>`` (compound: source path, object reference).
* ``/data/static/<class>/coords``: (source x 7: x0 y0 z0 x y z diameter) of
  the uniform sources that have coordinates, with its map.
* ``/model/modeltree`` (a group per element, attribute ``uid``: its path),
  ``/model/modelfile`` (the text of each file in ``modelFileNames``), and
  the root attributes ``nsdf_version``, ``created``, ``tstart``, ``tend``,
  ``software``, ``method`` and moosepy's provenance.

Deliberate deviations from MOOSE 5.0.0: an empty ``filename`` makes the
writer idle with a warning (MOOSE raises in reinit); ``tstart`` is the time
of the first sample (MOOSE writes 0 although its first sample is at dt);
uniform datasets carry the field's unit; a writer recording several
classes puts each class's rows in its own dataset (MOOSE 5.0 shifts them
between the datasets, measured); bad files and modes raise
:class:`MooseError` naming the writer, the file and the cause.
"""

import atexit
import logging
import os
import time
import weakref

import numpy as np

from .element import Element, Neutral
from .errors import FieldError, MooseError
from .fields import Field, LookupField, FieldElementField, Src, Dest, registry
from .msg import links, linked_indices
from .table import _read, _solver_spec, _getter_field

log = logging.getLogger('moosepy.core')

#: the most values (samples x sources) a writer buffers before writing
MAX_BUFFER_VALUES = 1 << 20

_MODES = {1: 'a', 2: 'w', 4: 'w-'}
_MODE_NAMES = {1: 'append', 2: 'truncate', 4: 'fail if the file exists'}
_LIVE = weakref.WeakSet()     # open streams, closed at interpreter exit
_EXIT = {'registered': False}


def h5py():
    """Import h5py on first use (``import moosepy`` does not load it)."""
    try:
        import h5py as _h5
    except ImportError as exc:       # pragma: no cover - a dependency
        raise MooseError('writing HDF5/NSDF needs h5py (pip install h5py)') from exc
    if not _EXIT['registered']:
        # after h5py's own exit handler is registered, so that ours (run in
        # reverse order) closes the files while h5py still works
        atexit.register(_close_all)
        _EXIT['registered'] = True
    return _h5


def _field_of(o, port):
    name = _getter_field(port)
    if name not in o.cls._fields:
        name = port[3:]
    return name


class _Stream:
    """An open output file of one writer entry, and its buffers."""

    def __init__(self, el, idx, sources, nsdf):
        self.el, self.idx, self.nsdf = el, idx, nsdf
        self.sources = sources           # [(element, index, port)]
        self.buf = []                    # arrays (samples x sources)
        self.nbuf = 0
        self.written = 0
        self.events = {}                 # eventInput index -> [times]
        self.nevents = 0
        self.event_ds = {}
        self.file = None
        self.dsets = []                  # HDF5DataWriter: per source; NSDF: per group
        self.groups = []                 # NSDF: (dataset, source columns)
        self.wall0 = time.time()
        self.start_iso = None

    # ------------------------------------------------------------- opening
    def open(self, filename, mode):
        h5 = h5py()
        h = self.el.handle(self.idx)
        m = _MODES.get(int(mode))
        if m is None:
            raise MooseError(f'{h.path} ({self.el.cls.__name__}).mode: expected 1 (append), '
                             f'2 (truncate) or 4 (fail if the file exists), got {mode}')
        if m == 'w-' and os.path.exists(filename):
            raise MooseError(f'{h.path} ({self.el.cls.__name__}): file {filename!r} exists and '
                             f'mode is 4 (fail if the file exists); set mode = 2 to overwrite '
                             f'it or 1 to append')
        try:
            self.file = h5.File(filename, m)
        except (OSError, ValueError) as exc:
            raise MooseError(f'{h.path} ({self.el.cls.__name__}): cannot open {filename!r} '
                             f'for writing (mode {mode}: {_MODE_NAMES[int(mode)]}): '
                             f'{exc}') from None
        _LIVE.add(self)
        from .provenance import now_iso
        self.start_iso = now_iso()
        try:
            self._layout()
        except Exception:
            self.file.close()
            self.file = None
            raise

    def _dset(self, parent, name, shape, maxshape, chunks):
        h = self.el.handle(self.idx)
        c = self.el.cols
        comp = str(c['compressor'][self.idx]).lower()
        level = int(c['compression'][self.idx])
        kw = {}
        if comp in ('zlib', 'gzip') and level > 0:
            kw = {'compression': 'gzip', 'compression_opts': min(level, 9)}
        if name in parent:
            d = parent[name]
            if d.ndim != len(shape) or (len(shape) == 2 and d.shape[0] != shape[0]):
                raise MooseError(f'{h.path}: cannot append to {parent.name}/{name} in '
                                 f'{self.file.filename!r}: it has shape {d.shape}, the writer '
                                 f'writes {len(shape)}-D data of {shape[0]} rows')
            return d
        return parent.create_dataset(name, shape=shape, maxshape=maxshape, chunks=chunks,
                                     dtype='f8', **kw)

    def _layout(self):
        chunk = max(1, int(self.el.cols['chunkSize'][self.idx]))
        f = self.file
        if not self.nsdf:
            for o, j, port in self.sources:
                grp = f.require_group(o.indexed_path(j).lstrip('/'))
                name = _getter_field(port)      # as MOOSE: 'getVm' -> 'vm'
                self.dsets.append(self._dset(grp, name, (0,), (None,), (chunk,)))
            return
        h5 = h5py()
        from .clock import clock
        dt = float(clock.dts[self.el.tick]) if self.el.tick >= 0 else 0.0
        f.attrs['nsdf_version'] = '1.0'
        f.attrs.setdefault('created', self.start_iso)
        f.attrs['tstart'] = self.start_iso
        from .. import __version__
        f.attrs['software'] = ['python', f'moosepy {__version__}']
        groups = {}
        labels = self.el.data.get('labels', {}).get(self.idx, {})
        for col, (o, j, port) in enumerate(self.sources):
            lab = labels.get(col)
            if lab is None:
                # as MOOSE: the variable is named from the port ('getVm' -> 'vm')
                lab = (o.cls.__name__, _getter_field(port))
            groups.setdefault(lab, []).append(col)
        for (cname, fname), cols in groups.items():
            g = f.require_group(f'data/uniform/{cname}')
            # chunks of about 1 MiB spanning all rows (no padding rows)
            rows = min(len(cols), max(1, (1 << 17) // chunk))
            d = self._dset(g, fname, (len(cols), 0), (len(cols), None), (rows, chunk))
            o0, _j, p0 = self.sources[cols[0]]
            fd = o0.cls._fields.get(_field_of(o0, p0))
            d.attrs['field'] = fname
            d.attrs['dt'] = dt
            d.attrs['tstart'] = dt
            d.attrs['tunit'] = 's'
            d.attrs['unit'] = getattr(fd, 'unit', '') or ''
            mg = f.require_group(f'map/uniform/{cname}')
            if fname not in mg:
                names = [self.sources[c][0].indexed_path(self.sources[c][1]) for c in cols]
                m = mg.create_dataset(fname, data=np.array(names, dtype=object),
                                      dtype=h5.string_dtype())
                m.make_scale('source')
                d.dims[0].attach_scale(m)
                d.dims[0].label = 'source'
            self.groups.append((d, np.array(cols, dtype=np.int64)))
        self._static(groups)
        self._events_layout()
        self._model()

    def _static(self, groups):
        h5 = h5py()
        keys = ('x0', 'y0', 'z0', 'x', 'y', 'z', 'diameter')
        by_cls = {}
        for (cname, _f), cols in groups.items():
            for c in cols:
                o, j, _p = self.sources[c]
                if all(k in o.cls._fields for k in keys):
                    lst = by_cls.setdefault(cname, [])
                    if (o, j) not in lst:
                        lst.append((o, j))
        for cname, objs in by_cls.items():
            g = self.file.require_group(f'data/static/{cname}')
            if 'coords' in g:
                continue
            vals = np.array([[float(getattr(o.handle(j), k)) for k in keys] for o, j in objs])
            d = g.create_dataset('coords', data=vals)
            d.attrs['unit'] = 'm'
            d.attrs['columns'] = list(keys)
            mg = self.file.require_group(f'map/static/{cname}')
            m = mg.create_dataset('coords', data=np.array([o.indexed_path(j) for o, j in objs],
                                                          dtype=object),
                                  dtype=h5.string_dtype())
            m.make_scale('source')
            d.dims[0].attach_scale(m)

    def _events_layout(self):
        h5 = h5py()
        ev = self.el.children.get('eventInput')
        if ev is None or ev.num == 0:
            return
        per = {}
        for j in range(ev.num):
            src = None
            for other, oport, m, forward in links(ev, 'input'):
                a, b = m.pairs()
                if forward:
                    continue
                hit = a[b == j]
                if len(hit):
                    src = (other, int(hit[0]), oport)
                    break
            if src is None:
                src = (ev, j, 'input')
            o, i, port = src
            path = o.indexed_path(i)
            name = path.lstrip('/').replace('/', '_')
            g = self.file.require_group(f'data/event/{o.cls.__name__}/{port}')
            if name in g:
                d = g[name]
            else:
                d = g.create_dataset(name, shape=(0,), maxshape=(None,), chunks=(1024,),
                                     dtype='f8')
                d.attrs['source'] = path
                d.attrs['field'] = port
                d.attrs['unit'] = 's'
            self.event_ds[j] = d
            per.setdefault((o.cls.__name__, port), []).append((path, d))
        dt = np.dtype([('source', h5.string_dtype()), ('data', h5.ref_dtype)])
        for (cname, port), lst in per.items():
            mg = self.file.require_group(f'map/event/{cname}')
            if port in mg:
                continue
            arr = np.empty(len(lst), dtype=dt)
            for k, (path, d) in enumerate(lst):
                arr[k] = (path, d.ref)
            mg.create_dataset(port, data=arr)

    def _model(self):
        from .element import _Root
        f = self.file
        root = _Root.element
        rpath = '/'
        mr = self.el.cols.get('modelRoot')
        if mr is not None and mr[self.idx] == '':
            root = None         # NSDFWriter2: '' stores no tree (as MOOSE)
        elif mr is not None and mr[self.idx] != '/':
            from .shell import resolve
            root, _ = resolve(str(mr[self.idx]))
            rpath = root.path
        tree = f.require_group('model/modeltree')
        skip = {'classes', 'clock', 'Msgs'}
        for el in (root.walk() if root is not None else ()):
            if el is root or (el.parent is _Root.element and el.name in skip):
                continue
            p = el.path
            if any(p == '/' + s or p.startswith('/' + s + '/') for s in skip):
                continue
            rel = p[len(rpath):].lstrip('/') if rpath != '/' else p.lstrip('/')
            g = tree.require_group(rel)
            g.attrs['uid'] = p
        mf = f.require_group('model/modelfile')
        names = str(self.el.cols['modelFileNames'][self.idx]) \
            if 'modelFileNames' in self.el.cols else ''
        for fn in [n.strip() for n in names.split(',') if n.strip()]:
            try:
                with open(fn, errors='replace') as fh:
                    mf.attrs[os.path.basename(fn)] = fh.read()
            except OSError as exc:
                log.warning('%s: modelFileNames: cannot read %r (%s)',
                            self.el.indexed_path(self.idx), fn, exc)

    # ------------------------------------------------------------- data
    def append(self, rows):
        self.buf.append(rows)
        self.nbuf += len(rows)
        limit = max(1, int(self.el.cols['flushLimit'][self.idx]))
        cap = max(1, MAX_BUFFER_VALUES // max(1, len(self.sources)))
        if self.nbuf >= min(limit, cap):
            self.flush(stamp=False)

    def event(self, j, t):
        self.events.setdefault(j, []).append(float(t))
        self.nevents += 1
        if self.nevents >= MAX_BUFFER_VALUES:
            self.flush(stamp=False)

    def flush(self, stamp=True):
        """Write the buffered blocks; *stamp*: also the provenance and end
        time (at the end of a run, flush() and close(); blocks written
        during a run skip it: it walks the tree)."""
        if self.file is None:
            return
        h = self.el.indexed_path(self.idx)
        try:
            if self.nbuf:
                block = np.concatenate(self.buf, axis=0) if len(self.buf) > 1 else self.buf[0]
                n = len(block)
                if self.nsdf:
                    for d, cols in self.groups:
                        m = d.shape[1]
                        d.resize((d.shape[0], m + n))
                        d[:, m:m + n] = block[:, cols].T
                else:
                    for k, d in enumerate(self.dsets):
                        m = d.shape[0]
                        d.resize((m + n,))
                        d[m:m + n] = block[:, k]
                self.written += n
                self.buf, self.nbuf = [], 0
            for j, lst in self.events.items():
                d = self.event_ds.get(j)
                if d is None or not lst:
                    continue
                m = d.shape[0]
                d.resize((m + len(lst),))
                d[m:] = lst
            self.events = {}
            self.nevents = 0
            if stamp:
                self._stamp()
            self.file.flush()
        except (OSError, RuntimeError, ValueError) as exc:
            raise MooseError(f'{h} ({self.el.cls.__name__}): writing to '
                             f'{self.file.filename!r} failed after {self.written} samples: '
                             f'{exc}') from exc

    def _stamp(self):
        from .provenance import collect, write_h5_attrs, now_iso
        f = self.file
        names = str(self.el.cols['modelFileNames'][self.idx]) \
            if 'modelFileNames' in self.el.cols else ''
        srcs = [n.strip() for n in names.split(',') if n.strip()]
        prov = collect(srcs, start_time=self.start_iso, wall_time=time.time() - self.wall0)
        write_h5_attrs(f, prov)
        if self.nsdf:
            f.attrs['tend'] = now_iso()
            f.attrs['method'] = [f"{s['class']} {s.get('method', '')}".strip()
                                 for s in prov['solvers']] or ['']

    def close(self):
        if self.file is None:
            return
        try:
            self.flush()
            self._user_attrs()
        finally:
            try:
                self.file.close()
            finally:
                self.file = None
                _LIVE.discard(self)

    def _user_attrs(self):
        attrs = self.el.data.get('attrs', {}).get(self.idx, {})
        f = self.file
        for key, (kind, value) in attrs.items():
            obj, name = f, key
            if '/' in key.strip('/'):
                where, name = key.strip('/').rsplit('/', 1)
                if where not in f:
                    log.warning('%s: attribute %r: no object %r in %s',
                                self.el.indexed_path(self.idx), key, where, f.filename)
                    continue
                obj = f[where]
            else:
                name = key.strip('/')
            if kind == 'string':
                obj.attrs[name] = str(value)
            elif kind == 'stringvec':
                obj.attrs[name] = [str(v) for v in value]
            elif kind in ('double', 'long'):
                obj.attrs[name] = float(value) if kind == 'double' else int(value)
            else:
                obj.attrs[name] = np.asarray(value, dtype=float if kind == 'doublevec'
                                             else np.int64)


def _close_all():
    for s in list(_LIVE):
        try:
            s.close()
        except Exception as exc:     # noqa: BLE001 - best effort at exit
            log.warning('closing %s: %s', getattr(s.file, 'filename', '?'), exc)


class HDF5WriterBase(Neutral):
    """Base of the HDF5 writers: the file, its mode, chunking, compression,
    and attributes to write (``stringAttr['path/to/object/name'] = v``; a key
    without '/' is an attribute of the file)."""

    filename = Field('', '', 'HDF5 file to write', type='string')
    mode = Field(4, '', 'What to do with an existing file: 1 append, 2 truncate, '
                 '4 fail (default, as MOOSE)', type='unsigned int')
    chunkSize = Field(1024, '', 'Samples per HDF5 chunk', type='unsigned int')
    compressor = Field('zlib', '', "'zlib' (deflate) or '' for none", type='string')
    compression = Field(6, '', 'Deflate level 0-9 (0: none)', type='unsigned int')
    isOpen = Field(False, '', 'True while the file is open', type='bool', ro=True,
                   stored=False)

    stringAttr = LookupField('string', 'string', '', 'String attribute to write at close')
    doubleAttr = LookupField('string', 'double', '', 'Double attribute to write at close')
    longAttr = LookupField('string', 'long', '', 'Integer attribute to write at close')
    stringVecAttr = LookupField('string', 'vector<string>', '', 'String vector attribute')
    doubleVecAttr = LookupField('string', 'vector<double>', '', 'Double vector attribute')
    longVecAttr = LookupField('string', 'vector<long>', '', 'Integer vector attribute')

    ports = (Dest('close', 'void', 'Write what is buffered and close the file'),
             Dest('flush', 'void', 'Write what is buffered'))

    def _streams(self):
        return self._el.data.setdefault('streams', {})

    def _get_isOpen(self):
        s = self._streams().get(self._idx)
        return s is not None and s.file is not None

    def _set_attr(self, kind, key, value):
        if not isinstance(key, str) or not key.strip('/'):
            raise FieldError(f'{self.path}.{kind}Attr: the key must be a non-empty name or '
                             f"'path/to/object/name', got {key!r}")
        self._el.data.setdefault('attrs', {}).setdefault(self._idx, {})[key] = (kind, value)

    def _get_attr(self, kind, key):
        hit = self._el.data.get('attrs', {}).get(self._idx, {}).get(key)
        if hit is None or hit[0] != kind:
            raise FieldError(f'{self.path}: no {kind} attribute {key!r} set')
        return hit[1]

    def _lookup_stringAttr(self, k):
        return self._get_attr('string', k)

    def _lookupset_stringAttr(self, k, v):
        self._set_attr('string', k, str(v))

    def _lookup_doubleAttr(self, k):
        return self._get_attr('double', k)

    def _lookupset_doubleAttr(self, k, v):
        self._set_attr('double', k, float(v))

    def _lookup_longAttr(self, k):
        return self._get_attr('long', k)

    def _lookupset_longAttr(self, k, v):
        self._set_attr('long', k, int(v))

    def _lookup_stringVecAttr(self, k):
        return self._get_attr('stringvec', k)

    def _lookupset_stringVecAttr(self, k, v):
        self._set_attr('stringvec', k, [str(x) for x in v])

    def _lookup_doubleVecAttr(self, k):
        return self._get_attr('doublevec', k)

    def _lookupset_doubleVecAttr(self, k, v):
        self._set_attr('doublevec', k, [float(x) for x in v])

    def _lookup_longVecAttr(self, k):
        return self._get_attr('longvec', k)

    def _lookupset_longVecAttr(self, k, v):
        self._set_attr('longvec', k, [int(x) for x in v])

    def flush(self):
        """Write what is buffered to the file."""
        s = self._streams().get(self._idx)
        if s is not None:
            s.flush()

    def close(self):
        """Write what is buffered, the attributes, and close the file."""
        s = self._streams().pop(self._idx, None)
        if s is not None:
            s.close()


class HDF5DataWriter(HDF5WriterBase):
    """Writes the values of the fields it requests (``requestOut`` ->
    ``get<Field>``) at its tick (30, dt 1 s) into one dataset per source:
    ``/<source path>/<field, first letter in lower case>``."""

    default_tick = 30
    _nsdf = False

    flushLimit = Field(4194304, '', 'Samples buffered before they are written (memory is '
                       'also capped at MAX_BUFFER_VALUES values)', type='unsigned int')

    ports = (Src('requestOut', 'request', 'Asks get<Field> destinations for their values'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    # --- sources ------------------------------------------------------------
    @classmethod
    def _find_sources(cls, el, idx):
        return list(linked_indices(el, idx, 'requestOut'))

    # --- clock interface ----------------------------------------------------
    @classmethod
    def _reinit(cls, el):
        streams = el.data.setdefault('streams', {})
        for idx in range(el.num):
            old = streams.pop(idx, None)
            if old is not None:
                old.close()
            sources = cls._find_sources(el, idx)
            ev = el.children.get('eventInput')
            fn = str(el.cols['filename'][idx])
            if not fn:
                if sources or (ev is not None and ev.num):
                    log.warning('%s (%s): filename is empty: nothing will be written',
                                el.indexed_path(idx), cls.__name__)
                continue
            s = _Stream(el, idx, sources, cls._nsdf)
            s.open(fn, int(el.cols['mode'][idx]))
            streams[idx] = s

    @classmethod
    def _batch_role(cls, el):
        streams = el.data.get('streams', {})
        if not streams:
            return 'idle'
        if el.num != 1 or 0 not in streams:
            return 'python'
        srcs = streams[0].sources
        if not srcs:
            return 'idle'
        solver = None
        for o, j, port in srcs:
            spec = _solver_spec(o, j, port)
            if spec is None or (solver is not None and spec[0] is not solver):
                return 'python'
            solver = spec[0]
        return 'sampler'

    @classmethod
    def _sample_source(cls, el):
        s = el.data['streams'][0]
        solver, specs = None, []
        for o, j, port in s.sources:
            solver, flat, scale = _solver_spec(o, j, port)
            specs.append((flat, scale))
        return solver, specs

    @classmethod
    def _record_batch(cls, el, times, values):
        if values is None or not len(values):
            return
        s = el.data['streams'][0]
        s.append(np.array(values, dtype=float, copy=True))

    @classmethod
    def _process(cls, el, t, dt):
        for idx, s in el.data.get('streams', {}).items():
            if s.sources:
                s.append(np.array([[_read(o, j, p) for o, j, p in s.sources]]))

    @classmethod
    def _after_run(cls, el):
        for s in el.data.get('streams', {}).values():
            s.flush()


class InputVariable(Neutral):
    """An event input of an NSDF writer (entries of ``eventInput``): every
    value received on ``input`` (a spike time [s]) is recorded."""

    value = Field(0.0, '', 'Last value received')
    ports = (Dest('input', 'double', 'Receives an event time [s]'),)

    def _recv_input(self, v):
        el = self._el
        el.cols['value'][self._idx] = float(v)
        owner = el.parent
        s = owner.data.get('streams', {}).get(0) if owner is not None else None
        if s is not None and s.file is not None:
            s.event(self._idx, v)


class NSDFWriter(HDF5DataWriter):
    """Writes sampled fields (``requestOut``) and event times
    (``eventInput``) in the NSDF layout (see the module's docstring)."""

    _nsdf = True
    modelFileNames = Field('', '', 'Comma-separated model files stored in /model/modelfile',
                           type='string')
    eventInput = FieldElementField('InputVariable', 'Event inputs (set num, connect to '
                                   "each entry's 'input')")

    def __init_obj__(self):
        ev = Element('eventInput', self._el, registry['InputVariable'], 0)
        ev.is_field_element = True


class NSDFWriter2(NSDFWriter):
    """NSDFWriter that also takes its sources as ``blocks``: strings
    ``'wildcard.field'`` (e.g. ``'/model/elec/#[TYPE=Compartment].Vm'``),
    and writes the model tree below ``modelRoot``."""

    blocks = Field(None, '', "Sources as 'wildcard.field' strings", type='vector',
                   stored=False)
    modelRoot = Field('/', '', 'Root of the model tree stored in /model/modeltree',
                      type='string')

    def _get_blocks(self):
        return list(self._el.data.get('blocks', {}).get(self._idx, []))

    def _set_blocks(self, v):
        if isinstance(v, str):
            v = [v]
        out = []
        for b in v:
            if not isinstance(b, str) or '.' not in b.rsplit('/', 1)[-1]:
                raise FieldError(f"{self.path} (NSDFWriter2).blocks: expected 'path.field' "
                                 f'strings, got {b!r}')
            out.append(b)
        self._el.data.setdefault('blocks', {})[self._idx] = out
        from .structure import changed
        changed()

    @classmethod
    def _find_sources(cls, el, idx):
        from .shell import wildcardFind
        out = list(linked_indices(el, idx, 'requestOut'))
        labels = el.data.setdefault('labels', {})[idx] = {}
        for b in el.data.get('blocks', {}).get(idx, []):
            path, field = b.rsplit('.', 1)
            found = wildcardFind(path)
            if not found:
                log.warning('%s (NSDFWriter2): block %r matches no object', el.indexed_path(idx),
                            b)
            group = _block_group(path)
            for h in found:
                o = h._el
                if field not in o.cls._fields:
                    raise FieldError(f'{el.indexed_path(idx)} (NSDFWriter2).blocks: {h.path} '
                                     f'({o.cls.__name__}) has no field {field!r}')
                if group is not None:
                    labels[len(out)] = (group, field)
                out.append((o, h._idx, 'get' + field[0].upper() + field[1:]))
        return out


def _block_group(path):
    """MOOSE's NSDFWriter2 group of a block 'path': the components of its
    innermost Neuron or ChemCompt ancestor, then the rest of the path, each
    part joined with '%' ('/model/elec/#[ISA=Compartment]' ->
    '%elec/#[ISA=Compartment]'), or None when the path has no such
    container (MOOSE refuses the block; moosepy writes it as NSDFWriter
    does, under the class name)."""
    from .shell import exists, resolve
    parts = [p for p in path.split('/') if p]
    cont_name, cont_idx, pct, prefix = '', -1, '', ''
    for i, comp in enumerate(parts):
        prefix += '/' + comp
        try:
            ok = exists(prefix)
        except Exception:          # noqa: BLE001 - wildcards are not paths
            ok = False
        if not ok:
            continue
        el, _ = resolve(prefix)
        names = [c.__name__ for c in el.cls.__mro__]
        if 'Neuron' in names or 'ChemCompt' in names:
            cont_idx = i
            cont_name += pct + comp
        pct = '%'
    if cont_idx < 0 or cont_idx == len(parts) - 1:
        return None
    return cont_name + '/' + '%'.join(parts[cont_idx + 1:])
