"""Worker for the fuzz runner (``fuzzlib.run_jobs``); runs under moosepy's
interpreter or pymoose 5.0.0's side venv.

    python fuzz_worker.py moosepy|pymoose MEM_LIMIT_BYTES  < jobs.json

Reads a JSON list of jobs {i, fmt, path, ...}; for each loads the file as a
user of that simulator would (loader, then reinit and a short run), and
writes one JSON line {"i", "cls", "exc", "msg", "tb", "fp", "t"} to its
result channel (the original stdout; the libraries' own prints go to
stderr).  ``fp`` is a fingerprint of what was built (element paths and
classes, key parameters, state after the run), for the same-content oracle.
"""

import hashlib
import json
import math
import os
import resource
import sys
import time
import traceback

SIM = sys.argv[1]
MEM = int(sys.argv[2]) if len(sys.argv) > 2 else 0

# the result channel: a private copy of stdout; fd 1 then goes to stderr
_OUT = os.fdopen(os.dup(1), 'w', buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

if MEM:
    resource.setrlimit(resource.RLIMIT_AS, (MEM, MEM))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
sys.setrecursionlimit(3000)

if SIM == 'moosepy':
    import moosepy as moose
    from moosepy.core.shell import reset_tree
    BASE_ERRORS = (moose.MooseError,)
else:
    import moose
    BASE_ERRORS = (RuntimeError, ValueError, OSError)
    _ROOT0 = None

CHEM_RUN = 1.0      # s of model time for chemical models
ELEC_RUN = 1e-4     # s for cells (2 steps at the default 50 us: a 20,000-compartment
                    # chain takes ~1.6 s a step without HSolve)

PARAMS = ('nInit', 'concInit', 'Kf', 'Kb', 'Km', 'kcat', 'volume', 'Rm', 'Cm', 'Ra', 'Em',
          'initVm', 'diameter', 'length', 'Gbar', 'Ek', 'tau', 'B', 'diffConst')
STATE = ('n', 'Vm', 'Ca', 'Gk')


def _clean():
    global _ROOT0
    if SIM == 'moosepy':
        reset_tree()
        return
    if _ROOT0 is None:
        _ROOT0 = {c.path for c in moose.element('/').children}
    for c in list(moose.element('/').children):
        if c.path not in _ROOT0:
            try:
                moose.delete(c.path)
            except Exception:
                pass


def _num(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    return float('%.6g' % v)


def fingerprint(roots, names):
    rows = []
    for root in roots:
        if not moose.exists(root):
            continue
        for e in moose.wildcardFind(root + '/##'):
            row = [e.path, e.className]
            for f in names:
                try:
                    v = getattr(e, f)
                except Exception:
                    continue
                if isinstance(v, (int, float)):
                    row.append((f, _num(v)))
            if e.className in ('HHGate', 'HHGate2D'):
                for f in ('tableA', 'tableB'):
                    try:
                        t = list(getattr(e, f))
                        row.append((f, len(t), _num(sum(t))))
                    except Exception:
                        pass
            rows.append(row)
    rows.sort(key=lambda r: r[0])
    return hashlib.sha1(json.dumps(rows, default=str).encode()).hexdigest()[:16], len(rows)


def _run(t):
    moose.reinit()
    moose.start(t)


def load(fmt, path):
    """Load *path* as a user of SIM would; returns the element roots built."""
    if fmt == 'sbml':
        moose.readSBML(path, '/model')
        _run(CHEM_RUN)
        return ['/model']
    if fmt in ('kkit', 'cspace'):
        moose.loadModel(path, '/model')
        _run(CHEM_RUN)
        return ['/model']
    if fmt in ('swc', 'p'):
        moose.loadModel(path, '/model')
        _run(ELEC_RUN)
        return ['/model']
    if fmt == 'channelml':
        if SIM == 'moosepy':
            from moosepy.rdesigner.channelml import read_channelml
            read_channelml(path, library='/library')
        else:
            from moose.neuroml.ChannelML import ChannelML
            if not moose.exists('/library'):
                moose.Neutral('/library')
            ChannelML({'temperature': 32.0}).readChannelMLFromFile(path)
        return ['/library']
    if fmt == 'morphml':
        # MOOSE's API: moose.neuroml.MorphML(params).readMorphMLFromFile(path)
        if SIM == 'moosepy':
            try:
                from moosepy.neuroml import MorphML
            except ImportError:        # no reader yet: loadModel refuses the file
                MorphML = None
                moose.loadModel(path, '/model')
        else:
            from moose.neuroml.MorphML import MorphML
        if MorphML is not None:
            if not moose.exists('/library'):
                moose.Neutral('/library')
            MorphML({'temperature': 32.0, 'model_dir': os.path.dirname(path)}
                    ).readMorphMLFromFile(path)
        _run(ELEC_RUN)
        return ['/model', '/library']
    if fmt == 'rdspec':
        if SIM == 'moosepy':
            import moosepy.rdesigner as rd
            r = rd.load(path)
        else:
            import rdesigneur
            from rdesigneur.jardesigner import rdesigneur as jar
            # it opens its schema by a relative name
            os.chdir(os.path.dirname(rdesigneur.__file__))
            r = jar(path)
        r.buildModel()
        _run(ELEC_RUN)
        return ['/model']
    if fmt == 'selftest':       # the runner's own test: each class on purpose
        if path == 'segv':
            import ctypes
            ctypes.string_at(0)
        elif path == 'hang':
            while True:
                time.sleep(1)
        elif path == 'keyerror':
            {}['selftest']
        elif path == 'moose':
            moose.element('/no/such/element')
        return []
    raise SystemError(f'unknown format {fmt}')


def _deliberate(e):
    """A refusal the simulator meant: moosepy's MooseError family; for
    pymoose (no hierarchy of its own) RuntimeError, ValueError, OSError or
    an exception class defined in its packages (moose.SBML's
    SBMLValidationError, ...)."""
    if isinstance(e, BASE_ERRORS):
        return True
    mod = type(e).__module__ or ''
    return SIM == 'pymoose' and mod.split('.')[0] in ('moose', 'rdesigneur')


def main():
    jobs = json.loads(sys.stdin.readline())
    for job in jobs:
        t0 = time.perf_counter()
        res = {'i': job['i']}
        try:
            _clean()
            roots = load(job['fmt'], job['path'])
            res['cls'] = 'ok'
            res['fp'], res['n_el'] = fingerprint(roots, PARAMS + STATE)
        except SystemExit as e:
            res.update(cls='exit', exc='SystemExit', msg=str(e)[:400])
        except BaseException as e:      # noqa: BLE001 - classify everything
            cls = 'rejected' if _deliberate(e) else 'foreign'
            res.update(cls=cls, exc=type(e).__name__, msg=str(e)[:400])
            if cls == 'foreign':
                res['tb'] = ''.join(traceback.format_exception(type(e), e, e.__traceback__
                                                               )[-4:])[-1500:]
        res['t'] = round(time.perf_counter() - t0, 3)
        _OUT.write(json.dumps(res) + '\n')
        _OUT.flush()


main()
