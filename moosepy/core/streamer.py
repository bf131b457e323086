"""``Streamer``: tables written to a file while the simulation runs.

What this module owns: moving what tables recorded to disk at the
streamer's tick (20, dt 10 s, as MOOSE) and at the end of every
``start()``, then emptying the tables so memory stays flat.  Formats
(``format``, or from the ``outfile`` extension): ``csv`` (MOOSE's layout:
a header line ``time name1 name2 ...``, then space-separated rows),
``npy`` (a structured array with fields ``time`` and the table names; the
file is valid after every write), ``hdf5`` (datasets ``time`` and one per
table, resizable).  Provenance (see :mod:`moosepy.core.provenance`) goes
in a ``#`` comment line before the CSV header, in attributes of the HDF5
file, and beside an npy file as ``<outfile>.provenance.json`` (npy headers
cannot hold it).

Times are the tables' sample times: sample k (the one at reinit is k = 0)
at k dt of the first table's tick.  All streamed tables must share a dt.
Deviation from MOOSE 5.0.0: its npy output is not written where
``outfile`` says (measured); ours is.
"""

import json
import logging
import os
import struct
import time

import numpy as np

from .element import Neutral
from .errors import FieldError, MooseError
from .fields import Field, Dest
from .table import TableBase, write_xplot, plot_dump_args

log = logging.getLogger('moosepy.core')

_EXT = {'.csv': 'csv', '.dat': 'csv', '.txt': 'csv', '.npy': 'npy', '.h5': 'hdf5',
        '.hdf5': 'hdf5', '.nsdf': 'hdf5'}
_NPY_PREFIX = 256      # bytes of an npy header we rewrite in place


def _npy_header(dtype, n):
    d = {'descr': np.lib.format.dtype_to_descr(dtype), 'fortran_order': False,
         'shape': (n,)}
    text = repr(d)
    body = (text + ' ' * (_NPY_PREFIX - 10 - len(text) - 1) + '\n').encode('latin1')
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(body)) + body


class Streamer(Neutral):
    """Streams the vectors of its tables to ``outfile`` at its tick and at
    the end of each run, then clears them."""

    default_tick = 20

    outfile = Field('', '', 'File to write (format from its extension unless format is set)',
                    type='string', stored=False)
    datafile = Field('', '', 'Alias of outfile', type='string', stored=False)
    format = Field('csv', '', "'csv', 'npy' or 'hdf5'", type='string', stored=False)
    numTables = Field(0, '', 'Number of tables streamed', type='unsigned int', ro=True,
                      stored=False)
    numWriteEvents = Field(0, '', 'Number of writes so far', type='unsigned int', ro=True)
    # MOOSE's Streamer is a TableBase: these are the base's, unused by the
    # streaming (what it streams is in its tables)
    vector = Field(None, '', "The streamer's own vector (not what it streams; empty "
                   "unless set)", type='vector', stored=False)
    size = Field(0, '', 'Length of vector', type='unsigned int', ro=True, stored=False)
    outputValue = Field(0.0, '', 'Result of the last compareVec', ro=True)
    plotDump = Field('plot.Dump', '', 'Write vector as an xplot: "filename plotname"',
                     type='string', stored=False)

    ports = (Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _st(self):
        return self._el.data.setdefault('st', {}).setdefault(
            self._idx, {'outfile': '', 'format': None, 'tables': [], 'out': None})

    def _get_outfile(self):
        return self._st()['outfile']

    def _set_outfile(self, v):
        st = self._st()
        st['outfile'] = v
        ext = os.path.splitext(v)[1].lower()
        if ext in _EXT and st['format'] is None:
            st['fmt_auto'] = _EXT[ext]

    _get_datafile = _get_outfile
    _set_datafile = _set_outfile

    def _get_format(self):
        st = self._st()
        return st['format'] or st.get('fmt_auto', 'csv')

    def _set_format(self, v):
        v = v.lower()
        v = {'h5': 'hdf5', 'dat': 'csv', 'txt': 'csv'}.get(v, v)
        if v not in ('csv', 'npy', 'hdf5'):
            raise FieldError(f"{self.path} (Streamer).format: expected 'csv', 'npy' or "
                             f"'hdf5', got {v!r}")
        self._st()['format'] = v

    def _get_vector(self):
        return np.array(self._st().get('vec', ()), dtype=float)

    def _set_vector(self, v):
        self._st()['vec'] = np.asarray(v, dtype=float).ravel()

    def _get_size(self):
        return len(self._st().get('vec', ()))

    def _get_plotDump(self):
        return 'plot.Dump'      # what MOOSE's getter always gives

    def _set_plotDump(self, v):
        write_xplot(*plot_dump_args(self, v), self._get_vector())

    compareVec = TableBase.compareVec

    def _get_numTables(self):
        return len(self._st()['tables'])

    def addTable(self, table):
        """Stream *table* (a Table or Table2)."""
        el = table._element() if hasattr(table, '_element') else None
        if el is None or not issubclass(el.cls, TableBase):
            raise MooseError(f'{self.path} (Streamer).addTable: expected a Table, got '
                             f'{table!r}')
        key = (el, table._idx)
        tabs = self._st()['tables']
        if key not in tabs:
            tabs.append(key)

    def addTables(self, tables):
        for t in tables:
            self.addTable(t)

    def removeTable(self, table):
        key = (table._element(), table._idx)
        tabs = self._st()['tables']
        if key in tabs:
            tabs.remove(key)

    def removeTables(self, tables):
        for t in tables:
            self.removeTable(t)

    # --- clock interface ------------------------------------------------------
    @classmethod
    def _batch_role(cls, el):
        return 'python' if any(s.get('out') for s in el.data.get('st', {}).values()) \
            else 'idle'

    @classmethod
    def _reinit(cls, el):
        from .provenance import now_iso
        el.cols['numWriteEvents'][:] = 0
        for idx in range(el.num):
            h = el.handle(idx)
            st = h._st()
            st['out'] = None        # files are closed after every write
            tabs = [(t, i) for t, i in st['tables'] if t.alive]
            st['tables'] = tabs
            if not tabs:
                continue
            if not st['outfile']:
                log.warning('%s (Streamer): outfile is empty: nothing will be written', h.path)
                continue
            dts = {float(t.handle(i).dt) for t, i in tabs}
            if len(dts) > 1:
                raise MooseError(f'{h.path} (Streamer): its tables must share a dt, got '
                                 f'{sorted(dts)} s (' + ', '.join(
                                     f'{t.handle(i).path}: {t.handle(i).dt} s'
                                     for t, i in tabs) + ')')
            names = [t.name if t.num == 1 else f'{t.name}[{i}]' for t, i in tabs]
            out = {'path': st['outfile'], 'fmt': h.format, 'names': names, 'n': 0,
                   'dt': dts.pop(), 'wall0': time.time(), 'start': now_iso(),
                   'owner': h.path}
            try:
                _open(out)
            except OSError as exc:
                raise MooseError(f'{h.path} (Streamer): cannot write {st["outfile"]!r}: '
                                 f'{exc}') from None
            st['out'] = out

    @classmethod
    def _process(cls, el, t, dt):
        for idx, st in el.data.get('st', {}).items():
            if st.get('out') is not None:
                _write(st)
                el.cols['numWriteEvents'][idx] += 1

    @classmethod
    def _after_run(cls, el):
        for st in el.data.get('st', {}).values():
            if st.get('out') is not None:
                _write(st)


def _prov(out):
    from .provenance import collect
    return collect(start_time=out['start'], wall_time=time.time() - out['wall0'],
                   extra={'writer': out['owner']})


def _open(out):
    p, fmt = out['path'], out['fmt']
    if fmt == 'csv':
        with open(p, 'w') as fh:
            fh.write('# moosepy ' + json.dumps(_prov(out), default=str) + '\n')
            fh.write('time ' + ' '.join(out['names']) + ' \n')
    elif fmt == 'npy':
        out['dtype'] = np.dtype([('time', '<f8')] + [(n, '<f8') for n in out['names']])
        with open(p, 'wb') as fh:
            fh.write(_npy_header(out['dtype'], 0))
        _write_json(out)
    else:
        from .nsdf import h5py
        with h5py().File(p, 'w') as f:
            for n in ['time'] + out['names']:
                f.create_dataset(n, shape=(0,), maxshape=(None,), chunks=(4096,), dtype='f8')
            f['time'].attrs['unit'] = 's'
            from .provenance import write_h5_attrs
            write_h5_attrs(f, _prov(out))


def _write_json(out):
    with open(out['path'] + '.provenance.json', 'w') as fh:
        json.dump(_prov(out), fh, default=str, indent=1)


def _write(st):
    out = st['out']
    cols = []
    for t, i in st['tables']:
        store = TableBase._store(t)
        chunks = store[i]
        v = np.concatenate([np.atleast_1d(np.asarray(c, dtype=float)) for c in chunks]) \
            if chunks else np.zeros(0)
        cols.append(v)
    n = min(len(c) for c in cols) if cols else 0
    for (t, i), c in zip(st['tables'], cols):
        TableBase._store(t)[i] = [c[n:]] if len(c) > n else []
    if n == 0:
        return
    k0 = out['n']
    times = (k0 + np.arange(n)) * out['dt']
    block = np.column_stack([times] + [c[:n] for c in cols])
    p, fmt = out['path'], out['fmt']
    if fmt == 'csv':
        with open(p, 'a') as fh:
            np.savetxt(fh, block, fmt='%.17g', delimiter=' ')
    elif fmt == 'npy':
        rec = np.empty(n, dtype=out['dtype'])
        for j, name in enumerate(out['dtype'].names):
            rec[name] = block[:, j]
        with open(p, 'r+b') as fh:
            fh.seek(0, 2)
            fh.write(rec.tobytes())
            fh.seek(0)
            fh.write(_npy_header(out['dtype'], k0 + n))
        _write_json(out)
    else:
        from .nsdf import h5py
        from .provenance import write_h5_attrs
        with h5py().File(p, 'a') as f:
            for j, name in enumerate(['time'] + out['names']):
                d = f[name]
                d.resize((k0 + n,))
                d[k0:] = block[:, j]
            write_h5_attrs(f, _prov(out))
    out['n'] = k0 + n

