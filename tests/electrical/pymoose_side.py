"""The electrical tests' names for the pymoose runner of ``tests/side_pymoose.py``
(one runner: it finds the side venv, runs a script under pymoose 5.0.0 and
under moosepy and returns what each printed on its ``JSON...`` line)."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import side_pymoose  # noqa: E402

SIDE = side_pymoose.pymoose_python() or '/work/sidevenv/bin/python'


def have_pymoose():
    return side_pymoose.pymoose_python() is not None


def run_both(script, timeout=120):
    """{'moose': {...}, 'moosepy': {...}}, every value a numpy array; skips
    the test when pymoose does not run."""
    out = side_pymoose.run_both(script, timeout=timeout)
    return {who: {k: np.asarray(v) for k, v in d.items()} for who, d in out.items()}
