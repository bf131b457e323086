"""Run one script under pymoose 5.0.0 (the side venv) and under moosepy, and
return what each printed on its ``JSON...`` line (used by the tests that
compare the two to rounding)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SIDE = '/work/sidevenv/bin/python'
REPO = Path(__file__).resolve().parents[2]


def have_pymoose():
    return Path(SIDE).exists()


def run_both(script, timeout=120):
    """{'moose': {...}, 'moosepy': {...}} of numpy arrays; the script gets
    'moose' or 'moosepy' as argv[1] and runs from the repository root.
    Skips the test when pymoose does not run."""
    out = {}
    for who, exe in (('moose', SIDE), ('moosepy', sys.executable)):
        proc = subprocess.run([exe, '-c', script, who], capture_output=True, text=True,
                              timeout=timeout, cwd=str(REPO))
        line = [x for x in proc.stdout.splitlines() if x.startswith('JSON')]
        if not line:
            if who == 'moose':
                pytest.skip(f'pymoose did not run: {proc.stderr[-300:]}')
            raise AssertionError(proc.stderr[-2000:])
        out[who] = {k: np.asarray(v) for k, v in json.loads(line[0][4:]).items()}
    return out
