"""Run one script under pymoose 5.0.0 (the side venv, ``../pymoose-venv``
next to the checkout, as ``run_corpus.py`` expects it) and under moosepy;
return what each printed on its ``JSON...`` line.  Tests that use it skip
when the venv is absent or pymoose does not run there."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = (REPO.parent / 'pymoose-venv' / 'bin' / 'python',
               Path('/work/pymoose-venv/bin/python'),
               Path('/work/sidevenv/bin/python'))


def pymoose_python():
    """The side venv's interpreter, or None."""
    for p in _CANDIDATES:
        if p.exists():
            return str(p)
    return None


def run_both(script, timeout=180, args=(), raw=False, moose_ok=None, tries=4):
    """{'moose': {...}, 'moosepy': {...}} of numpy arrays (the JSON as
    printed with *raw*); the script gets 'moose' or 'moosepy' as argv[1],
    then *args*, and runs from the repository root.

    *moose_ok*, where given, judges pymoose's output (as returned) against
    a check independent of moosepy; pymoose is run again, up to *tries*
    times in all, while it fails, then the test skips.  For MOOSE classes
    that read uninitialised memory, so that one run in several is garbage."""
    side = pymoose_python()
    if side is None:
        pytest.skip('pymoose side venv (../pymoose-venv) absent')
    out = {}
    runs = [('moose', side)] * (tries if moose_ok else 1) + [('moosepy', sys.executable)]
    for who, exe in runs:
        if 'moose' in out and 'moosepy' not in out and moose_ok:
            if moose_ok(out['moose']):
                if who == 'moose':
                    continue
            elif who == 'moose':
                del out['moose']
            else:
                pytest.skip(f'pymoose gave an unusable reference in all {tries} runs')
        try:
            proc = subprocess.run([exe, '-c', script, who, *args], capture_output=True,
                                  text=True, timeout=timeout, cwd=str(REPO))
        except subprocess.TimeoutExpired as exc:
            if who == 'moose':
                # pymoose's GSL stepper can stall on a loaded machine (CI saw
                # "VoxelPools::advance: GSL integration error" then 300 s of
                # tiny steps on a run that takes 2 s here): the reference is
                # unavailable, which says nothing about moosepy.
                err = (exc.stderr or b'')[-300:]
                pytest.skip(f'pymoose did not finish in {timeout} s: {err!r}')
            raise
        line = [x for x in proc.stdout.splitlines() if x.startswith('JSON')]
        if not line:
            if who == 'moose':
                pytest.skip(f'pymoose did not run: {proc.stderr[-300:]}')
            raise AssertionError(proc.stderr[-2000:])
        got = json.loads(line[0][4:])
        out[who] = got if raw else {k: (np.asarray(v) if isinstance(v, list) else v)
                                    for k, v in got.items()}
    return out
