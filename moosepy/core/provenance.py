"""Provenance: what produced a result, recorded beside it.

What this module owns: one dictionary (:func:`collect`) that the writers
(:mod:`moosepy.core.nsdf`, :mod:`moosepy.core.streamer`), the batch runner
(:mod:`moosepy.batch`) and the command line put into every file they
write: moosepy's version, Python and numpy versions, the host, the model's
source (files with their SHA-256, or the builder function's qualified
name), each solver's method, tolerances and seed, the global seed, the
clock's tick dts, the start time and the wall time.  It reads the tree; it
changes nothing.
"""

import datetime
import hashlib
import json
import os
import platform
import socket
import sys

#: solver fields recorded when a class has them
_SOLVER_FIELDS = ('method', 'epsAbs', 'epsRel', 'epsilon', 'nCritical', 'seed', 'usedSeed',
                  'useClockedUpdate', 'useRandInit', 'dt', 'caAdvance', 'numAllVoxels')
_SOLVER_CLASSES = ('Ksolve', 'Gsolve', 'Dsolve', 'HSolve', 'Stoich')


def now_iso():
    """The local time, ISO 8601 with the UTC offset."""
    return datetime.datetime.now().astimezone().isoformat(timespec='seconds')


def file_sha256(path):
    """SHA-256 (hex) of a file's bytes, or '' when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, 'rb') as fh:
            for block in iter(lambda: fh.read(1 << 20), b''):
                h.update(block)
    except OSError:
        return ''
    return h.hexdigest()


def describe_source(source):
    """{'kind', 'name', 'sha256'} of a model source: a file path, a callable
    (its module and qualified name) or a free string."""
    if source is None:
        return {}
    if callable(source):
        mod = getattr(source, '__module__', '') or ''
        name = getattr(source, '__qualname__', getattr(source, '__name__', repr(source)))
        out = {'kind': 'builder', 'name': f'{mod}.{name}' if mod else name}
        f = getattr(getattr(source, '__code__', None), 'co_filename', '')
        if f and os.path.isfile(f):
            out['file'] = os.path.abspath(f)
            out['sha256'] = file_sha256(f)
        return out
    s = os.fspath(source)
    if os.path.isfile(s):
        return {'kind': 'file', 'name': os.path.abspath(s), 'sha256': file_sha256(s)}
    return {'kind': 'name', 'name': str(s)}


def solvers():
    """[{path, class, field: value, ...}] of the solvers in the tree."""
    from .element import _Root
    out = []
    r = _Root.element
    if r is None:
        return out
    for el in r.walk():
        if el.cls.__name__ not in _SOLVER_CLASSES:
            continue
        for i in range(el.num):
            h = el.handle(i)
            d = {'path': h.path, 'class': el.cls.__name__}
            for f in _SOLVER_FIELDS:
                if f in el.cls._fields:
                    try:
                        v = getattr(h, f)
                    except Exception:     # noqa: BLE001 - a field that needs a compiled model
                        continue
                    if isinstance(v, (bool, int, float, str)):
                        d[f] = v
                    elif hasattr(v, 'item'):
                        d[f] = v.item()
            out.append(d)
    return out


def collect(sources=(), start_time=None, wall_time=None, seeds=None, extra=None):
    """The provenance dictionary (JSON-serialisable).

    Parameters
    ----------
    sources : iterable
        Model sources: file paths and/or builder callables.  The running
        script (``sys.argv[0]``) is added when it is a file.
    start_time : str
        ISO time the run started (default: now).
    wall_time : float
        Wall-clock seconds of the run, when known.
    seeds : dict
        Seeds beyond the solvers' own (e.g. a batch run's seed).
    extra : dict
        Anything else to record.
    """
    import numpy as np
    from .. import __version__, _rng
    from .clock import clock
    srcs = [describe_source(s) for s in sources if s]
    main = sys.argv[0] if sys.argv else ''
    if main and os.path.isfile(main) and not any(d.get('name') == os.path.abspath(main)
                                                 for d in srcs):
        d = describe_source(main)
        d['kind'] = 'script'
        srcs.append(d)
    used = sorted({el.tick for _, els in clock.schedule for el in els}) \
        if clock.schedule else []
    prov = {
        'moosepy_version': __version__,
        'python': platform.python_version(),
        'numpy': np.__version__,
        'host': socket.gethostname(),
        'platform': platform.platform(),
        'pid': os.getpid(),
        'start_time': start_time or now_iso(),
        'model_sources': srcs,
        'solvers': solvers(),
        'global_seed': _rng.get('seed'),
        'seeds': dict(seeds or {}),
        'tick_dts': {str(t): float(clock.dts[t]) for t in used},
    }
    specs = rdesigner_specs()
    if specs:
        prov['rdesigner_specs'] = specs
    if wall_time is not None:
        prov['wall_time_s'] = float(wall_time)
    if extra:
        prov.update(extra)
    return prov


def rdesigner_specs():
    """{model path: spec document} of the rdesigner models in the tree (the
    document each build stores in ``<modelPath>/rdesigner_spec``: every
    setting and spec, the seed and moosepy's version); {} when rdesigner
    built nothing."""
    mod = sys.modules.get('moosepy.rdesigner.builder')
    if mod is None:
        return {}
    from .shell import exists, element
    out = {}
    for model in list(getattr(mod, 'SPEC_MODELS', ())):
        path = model + '/rdesigner_spec'
        if exists(path):
            try:
                out[model] = json.loads(element(path).value)
            except (TypeError, ValueError):
                out[model] = element(path).value
    return out


def to_json(prov):
    """*prov* as compact JSON (values that JSON cannot hold become strings)."""
    return json.dumps(prov, sort_keys=True, default=str)


def write_h5_attrs(obj, prov):
    """Store *prov* on an h5py group/file: one JSON attribute
    ``moosepy_provenance`` and the main entries as plain attributes."""
    obj.attrs['moosepy_provenance'] = to_json(prov)
    for k in ('moosepy_version', 'host', 'start_time'):
        if k in prov:
            obj.attrs[k if k.startswith('moosepy') else 'moosepy_' + k] = str(prov[k])
    if 'wall_time_s' in prov:
        obj.attrs['moosepy_wall_time_s'] = float(prov['wall_time_s'])
