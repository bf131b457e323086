"""Issue 15, item 3 (part): an integration that cannot advance raises a
SolverError naming the solver and the time window, within bounded time,
instead of spinning.  A kkit enzyme with k1 or k3 = 1e300 made
``start(1)`` under the default 'gsl' (rk5) method run for minutes (the
step size collapsed to ~1e-300 and each step advanced nothing); MOOSE
5.0.0 returns from it in under a second."""

import re
import time
from pathlib import Path

import pytest

import moosepy as moose

from hostile_files import TIME_LIMIT

KKIT = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'kkit' / 'enz_rea.g'
ENZ = 'simundump kenz /kinetics/c/kenz 0 0 0 0 0 1 0.5 0.4 0.1'


@pytest.mark.skipif(not KKIT.exists(), reason='../shared/models-ref/kkit is absent')
@pytest.mark.parametrize('field, line', [
    ('k1', 'simundump kenz /kinetics/c/kenz 0 0 0 0 0 1 1e300 0.4 0.1'),
    ('k3', 'simundump kenz /kinetics/c/kenz 0 0 0 0 0 1 0.5 0.4 1e300'),
])
def test_rate_of_1e300_raises_instead_of_spinning(tmp_path, field, line):
    src = KKIT.read_text()
    assert ENZ in src
    # the kernels compiled (or loaded from cache) on the unmodified model
    moose.loadModel(str(KKIT), '/warm', 'gsl')
    moose.reinit()
    moose.start(1)
    moose.delete('/warm')
    f = tmp_path / f'enz_{field}.g'
    f.write_text(src.replace(ENZ, line))
    moose.loadModel(str(f), '/model', 'gsl')
    moose.reinit()
    t0 = time.perf_counter()
    with pytest.raises(moose.SolverError) as ei:
        moose.start(1)
    elapsed = time.perf_counter() - t0
    msg = str(ei.value)
    assert re.search(r'/model/kinetics/ksolve: rk5 cannot advance between t = 0 and '
                     r'[0-9.e-]+ s: its step size fell below', msg), msg
    print(f'{field} = 1e300: SolverError after {elapsed:.2f} s')
    assert elapsed < TIME_LIMIT
