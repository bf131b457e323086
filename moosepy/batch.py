"""Ensembles and parameter sweeps on Dask: :func:`run_batch` (and
``moosepy sweep`` on the command line).

What this module owns: turning a model and a list or grid of parameter
sets and/or seeds into runs, running each in a worker process of a Dask
cluster (a ``LocalCluster`` by default, or any running scheduler by
address), writing each finished run to an HDF5 file or a Zarr store as
it arrives, and returning all runs as one labelled :class:`xarray.Dataset`.
What it does not: the simulation itself (the usual moosepy calls, in the
worker).

A model is

* a **builder**: a function ``build(**params)`` (it may also take
  ``seed``) that builds the model in moosepy's tree and returns a dict
  ``{name: Table}``; the runner then calls ``reinit()`` and
  ``start(runtime)`` and records the tables' vectors.  A builder that
  runs the model itself returns ``{name: array or number}`` and is called
  with ``runtime=None``.
* a **model file**: a ``.py`` file of the ``models/`` kind (``build(moose,
  path)`` returning tables, ``RUNTIME``), or a file ``moose.loadModel``
  reads (``.g``, ``.xml``, ``.sbml``, ``.swc``, ``.p``) with ``record=
  ['relative/path.field', ...]``.  Parameters of a model file are
  ``'relative/path.field'`` names set after the model is built, e.g.
  ``{'kinetics/A.concInit': 0.5}`` (paths relative to ``/model``).
* an **rdesigner spec**: a document (:mod:`moosepy.rdesigner.document`)
  as a dict or a ``.json``/``.yaml``/``.yml`` file.  Parameters are paths
  into the document, keys and list indices joined by ``.`` (``'elecDt'``,
  ``'cellProto.somaDia'``, ``'chanDistrib.0.Gbar'``), or
  ``'relative/path.field'`` of built objects; each run's seed becomes the
  document's ``randseed`` (unless ``randseed`` is a parameter); the
  runtime is ``runtime=`` or the document's ``runtime``; the plots are
  recorded, named by their titles.

Runs: every parameter set (``params`` list, or the product of ``grid``)
times every replicate (``n_seeds``, or explicit ``seeds``).  Run *i* is
parameter set ``i // n_rep``, replicate ``i % n_rep``.  Each run's seed
comes from ``numpy.random.SeedSequence(base_seed, spawn_key=(set,
replicate))``: independent streams, reproducible, and unchanged when
sets or replicates are added.  The seed goes to ``moose.seed`` (every
stochastic solver without its own seed draws from it) and to the builder
when it takes ``seed``.  Each run starts from an empty tree in its worker,
so a sweep run twice gives bit-identical results.

Each worker process runs one run at a time (``threads_per_worker=1``) and
many runs over its life; its moosepy tree is reset before every run.  A
run that raises is recorded with its error (type, message, traceback) and
the others go on.  With ``out`` the results go to disk as each run
finishes, before the next result is awaited: to HDF5 (``/runs/<index>``:
one dataset per recorded variable, attributes ``params``, ``seed``,
``error``, ``wall_s``, ``host``), or, for ``out='x.zarr'`` or
``out_format='zarr'``, to a Zarr store whose root is the returned dataset
(``xr.open_zarr``; see :class:`_ZarrStore`).  An interrupted sweep started
again with the same ``out`` skips the runs already there (``resume=True``)
and refuses a file written for a different sweep.  :func:`load` reads
either back.
"""

import hashlib
import inspect
import itertools
import json
import logging
import os
import socket
import sys
import time
import traceback

import numpy as np

from .core.errors import MooseError

log = logging.getLogger('moosepy.batch')

#: file suffixes moose.loadModel reads
_LOADABLE = ('.g', '.xml', '.sbml', '.swc', '.p', '.cspace')


class BatchError(MooseError):
    """A sweep could not start or could not store its results."""


# ------------------------------------------------------------------ runs
def _param_sets(params, grid):
    if params is not None and grid is not None:
        raise BatchError('give params (a list of dicts) or grid (a dict of lists), not both')
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise BatchError(f'grid: expected a dict name -> list of values, got {grid!r}')
        names = list(grid)
        for n in names:
            if np.ndim(grid[n]) != 1 or len(grid[n]) == 0:
                raise BatchError(f'grid[{n!r}]: expected a non-empty list of values, '
                                 f'got {grid[n]!r}')
        return [dict(zip(names, vals)) for vals in itertools.product(*(grid[n] for n in names))]
    if params is None:
        return [{}]
    params = list(params)
    for k, p in enumerate(params):
        if not isinstance(p, dict):
            raise BatchError(f'params[{k}]: expected a dict name -> value, got {p!r}')
    return params or [{}]


def _seed_of(base_seed, pset, rep):
    ss = np.random.SeedSequence(int(base_seed), spawn_key=(int(pset), int(rep)))
    w = ss.generate_state(2, np.uint32)
    return int((int(w[0]) << 31) ^ int(w[1])) & ((1 << 63) - 1)


def make_runs(params=None, grid=None, n_seeds=None, seeds=None, base_seed=0):
    """The list of runs: [{'run', 'set', 'rep', 'params', 'seed'}]."""
    sets = _param_sets(params, grid)
    if seeds is not None and n_seeds is not None:
        raise BatchError('give n_seeds or seeds, not both')
    if seeds is not None:
        seeds = [int(s) for s in seeds]
        nrep = len(seeds)
    else:
        nrep = int(n_seeds) if n_seeds is not None else 1
        if nrep < 1:
            raise BatchError(f'n_seeds: expected >= 1, got {n_seeds}')
    runs = []
    for i, p in enumerate(sets):
        for r in range(nrep):
            s = seeds[r] if seeds is not None else _seed_of(base_seed, i, r)
            runs.append({'run': len(runs), 'set': i, 'rep': r, 'params': _plain(p), 'seed': s})
    return runs


def _plain(p):
    out = {}
    for k, v in p.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[str(k)] = v
    return out


# ------------------------------------------------------------ the worker
def _model_desc(model):
    if callable(model):
        return {'kind': 'builder', 'name': f'{model.__module__}.{model.__qualname__}'}
    if isinstance(model, dict):
        return _source_desc(model)
    p = os.path.abspath(os.fspath(model))
    from .core.provenance import file_sha256
    return {'kind': 'file', 'name': p, 'sha256': file_sha256(p)}


def _check_builder_params(model, names):
    try:
        sig = inspect.signature(model)
    except (TypeError, ValueError):
        return
    ps = sig.parameters
    if any(p.kind == p.VAR_KEYWORD for p in ps.values()):
        return
    valid = [n for n, p in ps.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    bad = [n for n in names if n not in valid]
    if bad:
        raise MooseError(f'parameter {bad[0]!r} is not a parameter of the builder '
                         f'{model.__qualname__}; its parameters: {", ".join(valid) or "none"}')


def _set_field(path, value):
    import moosepy as moose
    if '.' not in path.rsplit('/', 1)[-1]:
        raise MooseError(f"parameter {path!r}: expected 'relative/path.field'")
    obj, field = path.rsplit('.', 1)
    full = obj if obj.startswith('/') else '/model/' + obj
    if not moose.exists(full):
        raise MooseError(f'parameter {path!r}: the model has no object {full}')
    h = moose.element(full)
    if field not in type(h)._fields:
        raise MooseError(f'parameter {path!r}: {full} ({type(h).__name__}) has no field '
                         f'{field!r}')
    setattr(h, field, value)


_RDES_SUFFIXES = ('.json', '.yaml', '.yml')


def _is_rdes(model):
    """*model* is an rdesigner document: a dict or a .json/.yaml/.yml file."""
    return isinstance(model, dict) or (
        isinstance(model, (str, os.PathLike))
        and os.fspath(model).lower().endswith(_RDES_SUFFIXES))


def _rdes_doc(model):
    """The document (dict) of an rdesigner model."""
    if isinstance(model, dict):
        return model
    from .rdesigner.document import _read_file, _check_document
    p = os.fspath(model)
    doc = _read_file(p)
    _check_document(doc, p)
    if not isinstance(doc, dict):
        raise MooseError(f'{p}: expected an rdesigner document (a mapping of its keys), '
                         f'got {type(doc).__name__}')
    return doc


def _source_desc(model):
    """describe_source, also for a document given as a dict (its SHA-256 is
    that of its canonical JSON; the document itself is kept, so the sweep
    can be run again from the provenance alone)."""
    if isinstance(model, dict):
        text = json.dumps(model, sort_keys=True, default=str)
        return {'kind': 'rdesigner', 'name': 'rdesigner document (dict)',
                'sha256': hashlib.sha256(text.encode()).hexdigest(),
                'document': json.loads(text)}
    from .core.provenance import describe_source
    return describe_source(model)


def _doc_params(doc, params):
    """Set *params* in *doc* (in place): a name without '/' is a path into
    the document, keys and list indices joined by '.' ('elecDt',
    'cellProto.somaDia', 'chanDistrib.0.Gbar'); returns the others
    ('relative/path.field' of built objects, set after the build)."""
    post = {}
    for name, value in params.items():
        if '/' in name:
            post[name] = value
            continue
        cur, parts = doc, name.split('.')
        for j, part in enumerate(parts):
            last = j == len(parts) - 1
            where = '.'.join(parts[:j]) or 'the document'
            if isinstance(cur, dict):
                if part not in cur and not (last and j == 0):
                    raise MooseError(f'parameter {name!r}: the rdesigner document has no '
                                     f'{".".join(parts[:j + 1])!r}; {where} has the keys '
                                     f'{", ".join(map(str, cur)) or "none"}')
                if last:
                    cur[part] = value
                else:
                    cur = cur[part]
            elif isinstance(cur, list):
                try:
                    k = int(part)
                    cur[k]
                except (ValueError, IndexError):
                    raise MooseError(f'parameter {name!r}: {where} is a list of {len(cur)}; '
                                     f'expected an index 0..{len(cur) - 1}, got '
                                     f'{part!r}') from None
                if last:
                    cur[k] = value
                else:
                    cur = cur[k]
            else:
                raise MooseError(f'parameter {name!r}: {where} is a value '
                                 f'({cur!r}), not a mapping or list')
    return post


def _run_rdes(model, params, seed, runtime, record):
    """Build an rdesigner document with *params* and the run's seed, run
    it, and return ({name: array}, {name: dt [s]}): its plots (named by
    title; 1-D for one object, objects x samples for more) and *record*."""
    import copy
    import moosepy as moose
    from .rdesigner import load as rd_load
    doc = copy.deepcopy(_rdes_doc(model))
    post = _doc_params(doc, params)
    if 'randseed' not in params and 'seed' not in params:
        doc.pop('seed', None)
        doc['randseed'] = seed          # each run's own stream
    T = runtime if runtime is not None else doc.get('runtime')
    if T is None:
        raise MooseError('rdesigner document: no runtime (give runtime=, or a "runtime" '
                         'key in the document)')
    rdes = rd_load(doc)
    rdes.buildModel('/model')
    for path, v in post.items():
        _set_field(path, v)
    tables = _record_tables(record, {})
    vals, dts = {}, {}
    for k, p in enumerate(rdes.run(float(T))):
        name = p['title'] or f'plot{k}'
        if name in vals:
            name = f'{name} [{k}]'
        data = np.asarray(p['data'], dtype=float)
        vals[name] = data[0] if data.ndim == 2 and data.shape[0] == 1 else data
        vt = moose.vec(p['path'])
        dts[name] = float(vt[0].dt) if len(vt) else 0.0
    for name, t in tables.items():
        vals[name] = np.asarray(t.vector, dtype=float)
        dts[name] = float(t.dt)
    return vals, dts


def _record_tables(record, tables):
    """Table2s recording 'relative/path.field' (below /model) into *tables*."""
    import moosepy as moose
    for r in record or ():
        if '.' not in r:
            raise MooseError(f"record {r!r}: expected 'relative/path.field'")
        obj, field = r.rsplit('.', 1)
        full = obj if obj.startswith('/') else '/model/' + obj
        if not moose.exists(full):
            raise MooseError(f'record {r!r}: the model has no object {full}')
        if not moose.exists('/model/moosepy_batch'):
            moose.Neutral('/model/moosepy_batch')
        t = moose.Table2(f'/model/moosepy_batch/t{len(tables)}')
        moose.connect(t, 'requestOut', moose.element(full), 'get' + field[0].upper() + field[1:])
        tables[r] = t
    return tables


def _build_file(model, params, record):
    import moosepy as moose
    p = os.fspath(model)
    ext = os.path.splitext(p)[1].lower()
    if ext == '.py':
        from .cli import _load_model_file
        _, mod = _load_model_file(p)
        tables = mod.build(moose, '/model')
        runtime = getattr(mod, 'RUNTIME', None)
    elif ext in _LOADABLE:
        moose.loadModel(p, '/model')
        tables, runtime = {}, None
    else:
        raise MooseError(f'{p}: not a model file (.py with build(moose, path), or '
                         f'{", ".join(_LOADABLE)})')
    for path, v in params.items():
        _set_field(path, v)
    return _record_tables(record, tables), runtime


def run_one(spec):
    """Run one run in this process (what a worker executes); returns a dict
    with 'values' ({name: array}), 'dt' ({name: s}) or 'error'."""
    import moosepy as moose
    from .core.shell import reset_tree
    t0 = time.perf_counter()
    res = {'run': spec['run'], 'host': socket.gethostname(), 'pid': os.getpid()}
    try:
        reset_tree()
        moose.seed(spec['seed'])
        model, params, runtime = spec['model'], spec['params'], spec['runtime']
        fixed_dt = {}
        if _is_rdes(model):
            out, fixed_dt = _run_rdes(model, params, spec['seed'], runtime,
                                      spec.get('record'))
            file_runtime = None
        elif callable(model):
            _check_builder_params(model, params)
            kw = dict(params)
            try:
                takes_seed = 'seed' in inspect.signature(model).parameters
            except (TypeError, ValueError):
                takes_seed = False
            if takes_seed:
                kw['seed'] = spec['seed']
            out = model(**kw)
            file_runtime = None
        else:
            out, file_runtime = _build_file(model, params, spec.get('record'))
        if not isinstance(out, dict):
            raise MooseError(f'the model returned {type(out).__name__}; expected a dict '
                             f'name -> Table (or array)')
        T = runtime if runtime is not None else file_runtime
        tabs = {k: v for k, v in out.items() if hasattr(v, 'vector')}
        if tabs:
            if T is None:
                raise MooseError('the model returned tables but no runtime was given')
            moose.reinit()
            moose.start(float(T))
        vals, dts = {}, {}
        for k, v in out.items():
            if hasattr(v, 'vector'):
                vals[k] = np.asarray(v.vector, dtype=float)
                dts[k] = float(v.dt)
            else:
                vals[k] = np.asarray(v, dtype=float)
                dts[k] = fixed_dt.get(k, 0.0)
        res.update(values=vals, dt=dts, error='')
    except Exception as exc:        # noqa: BLE001 - recorded per run, the rest go on
        res.update(values={}, dt={}, error=f'{type(exc).__name__}: {exc}',
                   traceback=traceback.format_exc())
    finally:
        try:
            reset_tree()
        except Exception:           # noqa: BLE001
            pass
    res['wall_s'] = time.perf_counter() - t0
    return res


# ------------------------------------------------------------ the store
class _Store:
    """Runs on disk (HDF5), one group per run, flushed after each."""

    def __init__(self, path, sweep, prov, resume):
        from .core.nsdf import h5py
        h5 = h5py()
        self.path = os.fspath(path)
        d = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(d):
            raise BatchError(f'cannot write results to {self.path!r}: no such folder {d}')
        if os.path.exists(self.path) and not os.access(self.path, os.W_OK):
            raise BatchError(f'cannot write results to {self.path!r}: permission denied')
        try:
            self.f = h5.File(self.path, 'a' if resume else 'w')
        except OSError as exc:
            raise BatchError(f'cannot write results to {self.path!r}: {exc}') from None
        key = hashlib.sha256(json.dumps(sweep, sort_keys=True, default=str).encode()).hexdigest()
        old = self.f.attrs.get('moosepy_sweep_key')
        if old is not None and old != key:
            self.f.close()
            raise BatchError(f'{self.path} holds results of a different sweep (model, '
                             f'parameters, seeds or runtime differ); use another file or '
                             f'resume=False to overwrite it')
        self.f.attrs['moosepy_sweep_key'] = key
        self.f.attrs['moosepy_sweep'] = json.dumps(sweep, sort_keys=True, default=str)
        from .core.provenance import write_h5_attrs
        write_h5_attrs(self.f, prov)
        self.runs = self.f.require_group('runs')
        self.f.flush()

    def done(self):
        return {int(k) for k, g in self.runs.items() if g.attrs.get('complete', False)}

    def read(self, i):
        g = self.runs[f'{i:06d}']
        vals = {k.replace('|', '/'): g[k][()] for k in g}
        dts = json.loads(g.attrs['dt'])
        return {'run': i, 'values': vals, 'dt': dts, 'error': str(g.attrs['error']),
                'wall_s': float(g.attrs['wall_s']), 'host': str(g.attrs['host']),
                'pid': int(g.attrs['pid'])}

    def write(self, spec, res):
        name = f'{spec["run"]:06d}'
        try:
            if name in self.runs:
                del self.runs[name]
            g = self.runs.create_group(name)
            for k, v in res['values'].items():
                g.create_dataset(k.replace('/', '|'), data=v)
            g.attrs['params'] = json.dumps(spec['params'], sort_keys=True, default=str)
            g.attrs['seed'] = spec['seed']
            g.attrs['error'] = res['error']
            g.attrs['traceback'] = res.get('traceback', '')
            g.attrs['dt'] = json.dumps(res['dt'])
            g.attrs['wall_s'] = res['wall_s']
            g.attrs['host'] = res['host']
            g.attrs['pid'] = res['pid']
            g.attrs['complete'] = True
            self.f.flush()
        except (OSError, RuntimeError, ValueError) as exc:
            raise BatchError(f'run {spec["run"]} (params {spec["params"]}, seed '
                             f'{spec["seed"]}): storing its results in {self.path!r} '
                             f'failed: {exc}; the runs stored before are intact') from exc

    def close(self, prov, quiet=False):
        """Write the final provenance and close; *quiet*: a failure (the
        disk is full) is logged, not raised, so it does not hide the error
        that stopped the sweep."""
        from .core.provenance import write_h5_attrs
        try:
            write_h5_attrs(self.f, prov)
        except Exception as exc:        # noqa: BLE001
            if not quiet:
                raise
            log.warning('%s: the final provenance could not be written: %s', self.path, exc)
        finally:
            try:
                self.f.close()
            except Exception:           # noqa: BLE001
                if not quiet:
                    raise


def _zname(name):
    """A dataset name as a Zarr array name ('/' separates groups in Zarr)."""
    return str(name).replace('/', '|')


def _prov_attrs(prov):
    """The provenance attributes write_h5_attrs puts on an HDF5 file, as a dict."""
    from .core.provenance import write_h5_attrs

    class _Attrs:
        attrs = {}
    write_h5_attrs(_Attrs, prov)
    return dict(_Attrs.attrs)


def _layout_key(lay):
    names, shapes, dts, shared = lay
    return json.dumps({'shapes': {k: list(shapes[k]) for k in names},
                       'dts': {k: dts[k] for k in names}, 'shared': shared}, sort_keys=True)


class _ZarrStore:
    """Runs in a Zarr store (a folder), written as each finishes.

    The root group is the sweep's dataset as :func:`run_batch` returns it
    (``xr.open_zarr(path)`` reads it; a ``/`` in a name is written ``|``,
    which :func:`load` turns back), every per-run variable chunked one run
    per chunk: a finished run is written into chunk files of its own and
    leaves those of the runs before it untouched.  The group ``runs`` holds
    the bookkeeping: ``runs/info[i]``, JSON of run *i*'s parameters, seed,
    error, traceback, sample dts, shapes, wall time, host and pid, written
    last, so a run is complete when its entry is there (resume skips it);
    attributes ``layout`` (the variables' shapes and dts the root holds)
    and ``layout_ok``.  A run whose variables do not fit the arrays written
    so far (the first run that worked, a longer recording) has the root
    written anew from the runs in memory; if that is interrupted,
    ``layout_ok`` stays false and a resumed sweep runs everything again.
    The root carries the same provenance attributes as the HDF5 file.
    """

    def __init__(self, path, sweep, prov, resume, runs):
        try:
            import zarr
        except ImportError:
            raise BatchError(f'{os.fspath(path)}: Zarr output needs the zarr package '
                             f'(pip install "moosepy[zarr]"), or write HDF5 (.h5)') from None
        self.zarr = zarr
        self.path = os.fspath(path)
        self.runs = runs
        self.prov = prov
        self.results = {}
        p = os.path.abspath(self.path)
        d = os.path.dirname(p)
        if not os.path.isdir(d):
            raise BatchError(f'cannot write results to {self.path!r}: no such folder {d}')
        is_store = any(os.path.exists(os.path.join(p, m)) for m in ('zarr.json', '.zgroup'))
        if os.path.exists(p):
            if not os.path.isdir(p):
                raise BatchError(f'cannot write results to {self.path!r}: it is a file, not '
                                 f'a Zarr store (a folder)')
            if not is_store and os.listdir(p):
                raise BatchError(f'cannot write results to {self.path!r}: the folder exists '
                                 f'and is not a Zarr store; moosepy writes no files into it')
            if not os.access(p, os.W_OK):
                raise BatchError(f'cannot write results to {self.path!r}: permission denied')
        elif not os.access(d, os.W_OK):
            raise BatchError(f'cannot write results to {self.path!r}: permission denied in {d}')
        self.key = hashlib.sha256(json.dumps(sweep, sort_keys=True,
                                             default=str).encode()).hexdigest()
        self.sweep = json.dumps(sweep, sort_keys=True, default=str)
        try:
            fresh = True
            if is_store and resume:
                root = zarr.open_group(p, mode='r+', use_consolidated=False)
                old = root.attrs.get('moosepy_sweep_key')
                if old != self.key:
                    raise BatchError(f'{self.path} holds results of a different sweep '
                                     f'(model, parameters, seeds or runtime differ) or is not '
                                     f'a moosepy sweep store; use another path or '
                                     f'resume=False to overwrite it')
                book = root.get('runs')
                if book is not None and book.attrs.get('layout_ok', False):
                    self.root, self.book = root, book
                    self.layout = book.attrs.get('layout')
                    self._load_done()
                    fresh = False
            if fresh:
                self._create()
        except BatchError:
            raise
        except Exception as exc:        # noqa: BLE001 - any storage failure
            raise BatchError(f'cannot write results to {self.path!r}: '
                             f'{type(exc).__name__}: {exc}') from None

    # the root dataset
    def _write_view(self, ds, mode):
        enc = {}
        for k, v in ds.variables.items():
            if v.dtype.kind == 'U':             # variable-length strings (Zarr v3 has a spec)
                v = v.astype(object)
                ds = ds.assign_coords({k: v}) if k in ds.coords else ds.assign({k: v})
            if v.dims[:1] == ('run',) and k not in ds.coords:
                enc[k] = {'chunks': (1,) + tuple(v.shape[1:])}
        ren = {k: _zname(k) for k in set(ds.variables) | set(ds.dims) if '/' in str(k)}
        ds = ds.rename(ren)
        enc = {_zname(k): e for k, e in enc.items()}
        ds.to_zarr(self.path, mode=mode, consolidated=False, encoding=enc)

    def _consolidate(self):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')     # "consolidated metadata is not in Zarr v3's spec"
            self.zarr.consolidate_metadata(self.path)

    def _attrs(self, prov):
        a = _prov_attrs(prov)
        a.update(moosepy_sweep_key=self.key, moosepy_sweep=self.sweep,
                 provenance=a['moosepy_provenance'])
        return a

    def _create(self):
        zarr = self.zarr
        self.results = {}
        self._write_view(_dataset(self.runs, {}, self.prov), 'w')
        self.root = zarr.open_group(self.path, mode='r+', use_consolidated=False)
        self.root.attrs.update(self._attrs(self.prov))
        self.book = self.root.create_group('runs', overwrite=True)
        self.book.create_array('info', shape=(len(self.runs),), chunks=(1,), dtype=str,
                               fill_value='', dimension_names=['run'])
        self.layout = _layout_key(_layout(self.runs, {}))
        self.book.attrs.update(layout=self.layout, layout_ok=True)
        self._consolidate()

    def _load_done(self):
        info = self.book['info'][...]
        cache = {}
        for i, text in enumerate(info):
            if not text or i >= len(self.runs):
                continue
            rec = json.loads(str(text))
            vals = {}
            for k, shp in rec['shapes'].items():
                if k not in cache:
                    cache[k] = self.root[_zname(k)][...]
                a = cache[k][i]
                vals[k] = np.asarray(a[tuple(slice(0, m) for m in shp)], dtype=float)
            self.results[i] = {'run': i, 'values': vals, 'dt': rec['dt'],
                               'error': rec['error'], 'wall_s': rec['wall_s'],
                               'host': rec['host'], 'pid': rec['pid']}

    def done(self):
        return set(self.results)

    def read(self, i):
        return self.results[i]

    def write(self, spec, res):
        i = spec['run']
        try:
            self.results[i] = res
            lay = _layout(self.runs, self.results)
            key = _layout_key(lay)
            if key != self.layout:
                self._rewrite(key)
            else:
                self._write_row(i, res, lay)
            rec = {'params': spec['params'], 'seed': spec['seed'], 'error': res['error'],
                   'traceback': res.get('traceback', ''), 'dt': res['dt'],
                   'shapes': {k: list(np.shape(v)) for k, v in res['values'].items()},
                   'wall_s': res['wall_s'], 'host': res['host'], 'pid': res['pid']}
            self.book['info'][i] = json.dumps(rec, sort_keys=True, default=str)
        except Exception as exc:        # noqa: BLE001 - any storage failure
            self.results.pop(i, None)
            raise BatchError(f'run {i} (params {spec["params"]}, seed {spec["seed"]}): '
                             f'storing its results in {self.path!r} failed: '
                             f'{type(exc).__name__}: {exc}; the runs stored before are '
                             f'intact') from exc

    def _write_row(self, i, res, lay):
        names, shapes, _, _ = lay
        for k in names:
            row = np.full(shapes[k], np.nan)
            if not res['error'] and k in res['values']:
                v = np.asarray(res['values'][k], dtype=float)
                row[tuple(slice(0, m) for m in v.shape)] = v
            self.root[_zname(k)][i] = row
        self.root['wall_s'][i] = res['wall_s']
        self.root['error'][i] = res['error']

    def _rewrite(self, key):
        self.book.attrs.update(layout_ok=False)
        keep = {'runs'}
        for name in list(self.root.array_keys()):
            if name not in keep:
                del self.root[name]
        self._write_view(_dataset(self.runs, self.results, self.prov), 'a')
        self.root.attrs.update(self._attrs(self.prov))
        self.layout = key
        self.book.attrs.update(layout=key, layout_ok=True)
        self._consolidate()

    def close(self, prov, quiet=False):
        """Write the final provenance (see :meth:`_Store.close` for *quiet*)."""
        try:
            self.root.attrs.update(self._attrs(prov))
            self._consolidate()
        except Exception as exc:        # noqa: BLE001
            if not quiet:
                raise BatchError(f'{self.path}: writing the final provenance failed: '
                                 f'{type(exc).__name__}: {exc}') from exc
            log.warning('%s: the final provenance could not be written: %s', self.path, exc)


def _out_format(out, out_format):
    if out_format is None:
        return 'zarr' if os.fspath(out).rstrip('/' + os.sep).lower().endswith('.zarr') \
            else 'hdf5'
    f = str(out_format).lower()
    if f in ('hdf5', 'h5'):
        return 'hdf5'
    if f == 'zarr':
        return 'zarr'
    raise BatchError(f"out_format: expected 'hdf5' or 'zarr', got {out_format!r}")


# ------------------------------------------------------------ the cluster
def _client(scheduler, n_workers, timeout):
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:        # pragma: no cover - a dependency
        raise BatchError('sweeps need dask.distributed (pip install "dask[distributed]")') \
            from exc
    if hasattr(scheduler, 'submit'):          # a Client the caller made
        return scheduler, None, False
    if scheduler:
        try:
            c = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise BatchError(f'cannot reach the Dask scheduler at {scheduler}: '
                             f'{type(exc).__name__}: {exc}') from None
        return c, None, True
    n = int(n_workers or min(4, os.cpu_count() or 1))
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=':0', silence_logs=logging.ERROR)
    return Client(cluster), cluster, True


def _picklable(model):
    """Builders from modules a worker may not import (a test file, a
    script) travel by value."""
    if not callable(model):
        return
    mod = sys.modules.get(getattr(model, '__module__', ''), None)
    if mod is None or mod.__name__ == '__main__':
        return
    if '.' not in mod.__name__ and not mod.__name__.startswith('moosepy'):
        try:
            import cloudpickle
            cloudpickle.register_pickle_by_value(mod)
        except (ImportError, ValueError):
            pass


# ------------------------------------------------------------ the sweep
def run_batch(model, params=None, *, grid=None, n_seeds=None, seeds=None, base_seed=0,
              runtime=None, record=None, out=None, out_format=None, resume=True,
              scheduler=None, n_workers=None, timeout=10.0, progress=False):
    """Run *model* over parameter sets and/or seeds on a Dask cluster.

    Parameters
    ----------
    model : callable or path
        A builder function or a model file (see the module's docstring).
    params : list of dict, optional
        Parameter sets, one dict each.
    grid : dict of lists, optional
        Parameter values whose every combination is a parameter set.
    n_seeds, seeds : int or list of int, optional
        Replicates per parameter set: that many seeds from
        ``SeedSequence(base_seed)``, or these explicit seeds.
    runtime : float
        Simulated time [s] of each run (for models that return tables).
    record : list of str
        ``'relative/path.field'`` to record (model files moose.loadModel reads).
    out : path, optional
        HDF5 file or Zarr store the runs are written to as they finish.
    out_format : {'hdf5', 'zarr'}, optional
        Format of *out*; default: Zarr when *out* ends in ``.zarr``, else HDF5.
    resume : bool
        Skip the runs already complete in *out* (default True).
    scheduler : str or distributed.Client, optional
        A scheduler address (``'tcp://host:8786'``) or a Client; default:
        a LocalCluster of *n_workers* processes, closed at the end.
    timeout : float
        Seconds to wait for a scheduler at an address.
    progress : bool
        Draw a progress bar, ``[####.....] done/total runs done``, on
        stderr as runs finish.

    Returns
    -------
    xarray.Dataset
        One variable per recorded name, dims ``('run', 'time')`` (or
        ``<name>_time`` when lengths differ; ``('run',)`` for scalars), NaN
        where a run failed; coordinates ``run``, ``seed``, one per parameter,
        ``set`` and ``rep``; variables ``error`` (empty when the run worked)
        and ``wall_s``; ``attrs['provenance']`` (JSON).
    """
    from .core.provenance import collect, now_iso
    t_start = time.time()
    start_iso = now_iso()
    runs = make_runs(params, grid, n_seeds, seeds, base_seed)
    if callable(model):
        names = set().union(*(r['params'] for r in runs))
        try:
            _check_builder_params(model, names)
        except MooseError as exc:
            raise BatchError(f'run 0 (params {runs[0]["params"]}): {exc}') from None
    elif not isinstance(model, dict) and not os.path.exists(os.fspath(model)):
        raise BatchError(f'{model}: no such model file')
    if _is_rdes(model):                 # parameters checked against the document first
        import copy
        try:
            doc = _rdes_doc(model)
        except MooseError as exc:
            raise BatchError(str(exc)) from None
        for r in runs:
            try:
                _doc_params(copy.deepcopy(doc), r['params'])
            except MooseError as exc:
                raise BatchError(f'run {r["run"]} (params {r["params"]}): {exc}') from None
    desc = _model_desc(model)
    sweep = {'model': desc, 'runs': [(r['params'], r['seed']) for r in runs],
             'runtime': runtime, 'record': list(record or [])}
    seeds_used = {str(r['run']): r['seed'] for r in runs}
    srcs = [] if isinstance(model, dict) else [model]
    prov0 = collect(srcs, start_time=start_iso, seeds={'base_seed': base_seed},
                    extra={'sweep_model': _source_desc(model), 'run_seeds': seeds_used})
    store = None
    if out is not None:
        if _out_format(out, out_format) == 'zarr':
            store = _ZarrStore(out, sweep, prov0, resume, runs)
        else:
            store = _Store(out, sweep, prov0, resume)
    results = {}
    failed = True
    try:
        skip = store.done() if (store is not None and resume) else set()
        for i in sorted(skip):
            if i < len(runs):
                results[i] = store.read(i)
        todo = [r for r in runs if r['run'] not in skip]
        if todo:
            _execute(model, todo, runtime, record, scheduler, n_workers, timeout, progress,
                     store, results, len(runs), len(skip))
        failed = False
    finally:
        if store is not None:
            prov = collect(srcs, start_time=start_iso, wall_time=time.time() - t_start,
                           seeds={'base_seed': base_seed},
                           extra={'sweep_model': _source_desc(model),
                                  'run_seeds': seeds_used})
            store.close(prov, quiet=failed)
    prov = collect(srcs, start_time=start_iso, wall_time=time.time() - t_start,
                   seeds={'base_seed': base_seed},
                   extra={'sweep_model': _source_desc(model), 'run_seeds': seeds_used})
    return _dataset(runs, results, prov)


def _execute(model, todo, runtime, record, scheduler, n_workers, timeout, progress, store,
             results, total, done0):
    from distributed import as_completed
    _picklable(model)
    client, cluster, own = _client(scheduler, n_workers, timeout)
    try:
        specs = [dict(r, model=model, runtime=runtime, record=list(record or []))
                 for r in todo]
        by_key = {}
        futs = []
        for s in specs:
            f = client.submit(run_one, s, pure=False, key=f'moosepy-run-{s["run"]}-'
                              f'{os.getpid()}-{time.time_ns()}')
            by_key[f.key] = s
            futs.append(f)
        n = done0
        try:
            n = _collect(as_completed(futs), by_key, store, results, n, total, progress)
        except BaseException:
            # a sweep that stops (the disk filled, ^C) does not leave its
            # other runs going on the cluster
            client.cancel(futs)
            raise
        if progress:
            sys.stderr.write('\n')
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def _collect(done_futures, by_key, store, results, n, total, progress):
    """Store each finished run as it comes; returns the count of runs done."""
    for fut in done_futures:
        s = by_key[fut.key]
        try:
            res = fut.result()
        except Exception as exc:     # noqa: BLE001 - a worker died, a pickling error
            res = {'run': s['run'], 'values': {}, 'dt': {}, 'wall_s': 0.0,
                   'host': '', 'pid': 0,
                   'error': f'{type(exc).__name__}: {exc}',
                   'traceback': traceback.format_exc()}
        if res['error']:
            log.warning('run %d (params %s, seed %d) failed: %s', s['run'], s['params'],
                        s['seed'], res['error'])
        if store is not None:
            store.write(s, res)
        results[s['run']] = res
        n += 1
        if progress:
            full = 30 * n // max(total, 1)
            sys.stderr.write(f'\rmoosepy sweep: [{"#" * full}{"." * (30 - full)}] '
                             f'{n}/{total} runs done')
            sys.stderr.flush()
    return n


def _layout(runs, results):
    """What the dataset of *results* looks like: (names in order of first
    appearance, {name: shape padded to the longest run}, {name: sample dt
    [s] of the first run that has it}, whether all 1-D variables share one
    'time' dimension)."""
    names = []
    shapes, dts = {}, {}
    for r in runs:
        res = results.get(r['run'])
        if not res or res['error']:
            continue
        for k, v in res['values'].items():
            if k not in shapes:
                names.append(k)
                shapes[k] = np.shape(v)
                dts[k] = res['dt'].get(k, 0.0)
            elif np.shape(v) != shapes[k]:
                shapes[k] = tuple(max(a, b) for a, b in zip(shapes[k], np.shape(v)))
    lens = {k: s[0] for k, s in shapes.items() if len(s) == 1}
    shared = len(set(lens.values())) == 1 and len({dts[k] for k in lens}) == 1
    return names, shapes, dts, shared


def _dataset(runs, results, prov):
    import xarray as xr
    n = len(runs)
    names, shapes, dts, shared = _layout(runs, results)
    data_vars, coords = {}, {}
    for k in names:
        shp = shapes[k]
        arr = np.full((n,) + shp, np.nan)
        for r in runs:
            res = results.get(r['run'])
            if res and not res['error'] and k in res['values']:
                v = np.asarray(res['values'][k], dtype=float)
                arr[(r['run'],) + tuple(slice(0, m) for m in v.shape)] = v
        if len(shp) == 0:
            data_vars[k] = (('run',), arr)
        elif len(shp) == 1:
            dim = 'time' if shared else f'{k}_time'
            data_vars[k] = (('run', dim), arr)
            if dim not in coords:
                dt = dts[k]
                coords[dim] = (dim, np.arange(shp[0]) * dt if dt else np.arange(shp[0]),
                               {'units': 's' if dt else 'sample'})
        else:
            data_vars[k] = (('run',) + tuple(f'{k}_dim{j}' for j in range(len(shp))), arr)
    err = np.array([results.get(r['run'], {}).get('error', 'not run') for r in runs],
                   dtype=object)
    wall = np.array([results.get(r['run'], {}).get('wall_s', np.nan) for r in runs])
    data_vars['error'] = (('run',), err.astype(str))
    data_vars['wall_s'] = (('run',), wall, {'units': 's'})
    coords['run'] = ('run', np.arange(n))
    coords['seed'] = ('run', np.array([r['seed'] for r in runs], dtype=np.int64))
    coords['set'] = ('run', np.array([r['set'] for r in runs]))
    coords['rep'] = ('run', np.array([r['rep'] for r in runs]))
    pnames = []
    for r in runs:
        for p in r['params']:
            if p not in pnames:
                pnames.append(p)
    for p in pnames:
        vals = [r['params'].get(p, np.nan) for r in runs]
        coords[p if p not in data_vars else f'param_{p}'] = ('run', np.asarray(vals))
    from .core.provenance import to_json
    return xr.Dataset(data_vars, coords=coords, attrs={'provenance': to_json(prov),
                                                      'parameters': json.dumps(pnames)})


def as_grid(ds):
    """*ds* (from :func:`run_batch`) with ``run`` unstacked into one
    dimension per parameter and ``rep``: ``as_grid(ds).A.sel(k=0.5, rep=0)``.
    Only for sweeps whose parameter sets form a full grid."""
    names = [n if n in ds.coords else f'param_{n}'
             for n in json.loads(ds.attrs.get('parameters', '[]'))]
    keep = [c for c in ('seed', 'set') if c in ds.coords]
    return ds.reset_coords(keep).set_index(run=names + ['rep']).unstack('run')


def _load_zarr(path):
    import xarray as xr
    try:
        ds = xr.open_zarr(path, consolidated=False).load()
    except Exception as exc:            # noqa: BLE001
        raise BatchError(f'{path}: not a sweep store moosepy can read: '
                         f'{type(exc).__name__}: {exc}') from None
    if 'moosepy_sweep_key' not in ds.attrs:
        raise BatchError(f'{path}: a Zarr store, but not one written by moosepy.batch')
    ren = {k: str(k).replace('|', '/') for k in set(ds.variables) | set(ds.dims)
           if '|' in str(k)}
    ds = ds.rename(ren)
    for k, v in ds.variables.items():
        if v.dtype.kind not in 'biufcmM':           # strings read back as object/StringDType
            v = v.copy(data=np.array([str(x) for x in v.values.ravel()],
                                     dtype=str).reshape(v.shape))
            ds = ds.assign_coords({k: v}) if k in ds.coords else ds.assign({k: v})
    ds.attrs = {'provenance': ds.attrs['moosepy_provenance'],
                'parameters': ds.attrs['parameters']}
    return ds


def load(path):
    """The xarray Dataset of a sweep file (HDF5) or store (Zarr) written by
    :func:`run_batch`: the dataset it returned."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return _load_zarr(path)
    try:
        runs, results, prov = _read_h5(path)
    except (OSError, KeyError, ValueError, TypeError) as exc:   # h5py's and json's errors
        raise BatchError(f'{path}: not a sweep file moosepy can read: '
                         f'{type(exc).__name__}: {exc}') from None
    return _dataset(runs, results, prov)


def _read_h5(path):
    """runs, results and provenance of an HDF5 sweep file."""
    from .core.nsdf import h5py
    with h5py().File(path, 'r') as f:
        sweep = json.loads(str(f.attrs['moosepy_sweep']))
        prov = json.loads(str(f.attrs['moosepy_provenance']))
        nrep = {}
        runs = []
        for i, (p, s) in enumerate(sweep['runs']):
            runs.append({'run': i, 'params': p, 'seed': s, 'set': 0, 'rep': 0})
        # set/rep from the parameter sets' order
        seen = {}
        for r in runs:
            key = json.dumps(r['params'], sort_keys=True, default=str)
            r['set'] = seen.setdefault(key, len(seen))
            r['rep'] = nrep.get(key, 0)
            nrep[key] = r['rep'] + 1
        results = {}
        g = f['runs']
        for name in g:
            i = int(name)
            h = g[name]
            if not h.attrs.get('complete', False):
                continue                # half written when the disk filled: not run
            results[i] = {'values': {k.replace('|', '/'): h[k][()] for k in h},
                          'dt': json.loads(h.attrs['dt']), 'error': str(h.attrs['error']),
                          'wall_s': float(h.attrs['wall_s'])}
    return runs, results, prov


# ------------------------------------------------------------ command line
def add_sweep_parser(sub):
    """Declare ``moosepy sweep`` on an argparse subparsers object."""
    s = sub.add_parser('sweep', help='run a model over parameter values and/or seeds '
                       'on a Dask cluster')
    s.add_argument('model', help="model file (.py with build(moose, path), .g, .xml, ...), "
                   "rdesigner spec (.json, .yaml) or a builder 'file.py:function' / "
                   "'module:function'")
    s.add_argument('--param', action='append', default=[], metavar='NAME=V1,V2,...',
                   help="parameter values (repeat for a grid); for model files NAME is "
                   "'relative/path.field', for rdesigner specs a path into the document "
                   "('chanDistrib.0.Gbar')")
    s.add_argument('--seeds', type=int, default=None, help='replicates per parameter set')
    s.add_argument('--base-seed', type=int, default=0, help='root of the seed sequence')
    s.add_argument('--runtime', type=float, default=None, help='simulated time [s]')
    s.add_argument('--record', action='append', default=[], metavar='PATH.FIELD',
                   help='what to record (files moose.loadModel reads)')
    s.add_argument('--out', required=True, help='HDF5 file (.h5) or Zarr store (.zarr) '
                   'of the results')
    s.add_argument('--format', choices=('hdf5', 'zarr'), default=None, dest='out_format',
                   help='format of --out (default: zarr when it ends in .zarr, else hdf5)')
    s.add_argument('--scheduler', default=None, help='Dask scheduler address '
                   '(default: a LocalCluster)')
    s.add_argument('--workers', type=int, default=None, help='LocalCluster workers')
    s.add_argument('--timeout', type=float, default=10.0,
                   help='seconds to wait for the scheduler')
    s.add_argument('--no-resume', action='store_true', help='overwrite --out')
    return s


def _value(text):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def _resolve_model(spec):
    if os.path.exists(spec):
        return spec
    if ':' in spec:
        where, fn = spec.rsplit(':', 1)
        import importlib
        import importlib.util
        if where.endswith('.py'):
            if not os.path.exists(where):
                raise BatchError(f'{spec}: no such file {where}')
            name = 'moosepy_sweep_' + os.path.splitext(os.path.basename(where))[0]
            ms = importlib.util.spec_from_file_location(name, where)
            mod = importlib.util.module_from_spec(ms)
            sys.modules[name] = mod
            ms.loader.exec_module(mod)
        else:
            try:
                mod = importlib.import_module(where)
            except ImportError as exc:
                raise BatchError(f'{spec}: cannot import {where}: {exc}') from None
        f = getattr(mod, fn, None)
        if not callable(f):
            raise BatchError(f'{spec}: {where} has no function {fn!r}')
        return f
    raise BatchError(f'{spec}: no such model file (or builder file.py:function)')


def sweep_command(args):
    """``moosepy sweep``: run, write ``--out``, print a summary; returns the
    exit status."""
    grid = {}
    for p in args.param:
        if '=' not in p:
            raise BatchError(f'--param {p!r}: expected NAME=V1,V2,...')
        k, v = p.split('=', 1)
        grid[k.strip()] = [_value(x) for x in v.split(',') if x != '']
    model = _resolve_model(args.model)
    t0 = time.perf_counter()
    ds = run_batch(model, grid=grid or None, n_seeds=args.seeds, base_seed=args.base_seed,
                   runtime=args.runtime, record=args.record or None, out=args.out,
                   out_format=args.out_format, resume=not args.no_resume, scheduler=args.scheduler,
                   n_workers=args.workers, timeout=args.timeout, progress=True)
    wall = time.perf_counter() - t0
    bad = [(int(r), str(e)) for r, e in zip(ds.run.values, ds.error.values) if e]
    print(f'runs     : {ds.sizes["run"]} ({len(bad)} failed) in {wall:.2f} s wall')
    for r, e in bad[:10]:
        print(f'  run {r}: {e}')
    print(f'variables: {", ".join(k for k in ds.data_vars if k not in ("error", "wall_s"))}')
    print(f'wrote    : {args.out}')
    return 1 if bad else 0
