"""Every script in examples/ runs to completion (its own asserts check its
claims) and writes a PNG into $MOOSEPY_EXAMPLE_OUT."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / 'examples').glob('[0-9]*.py'))


def test_examples_exist():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize('script', EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    env = dict(os.environ, MPLBACKEND='Agg', MOOSEPY_EXAMPLE_OUT=str(tmp_path))
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f'{script.name} ran for more than {exc.timeout} s')
    assert proc.returncode == 0, (f'{script.name} exited with {proc.returncode}\n'
                                  f'--- stdout ---\n{proc.stdout}\n'
                                  f'--- stderr ---\n{proc.stderr}')
    pngs = list(tmp_path.glob('*.png'))
    assert pngs, f'{script.name} wrote no PNG into {tmp_path}\n{proc.stdout}'
    assert all(p.stat().st_size > 1000 for p in pngs)
