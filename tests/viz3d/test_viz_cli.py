"""``moosepy view cell.swc`` writes a PNG headless; ``moosepy run cell.swc
--movie`` writes a movie of 101 frames (one at reinit, 100 over the run)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip('vtkmodules.vtkRenderingCore')
pytestmark = pytest.mark.vtk

SWC = Path(__file__).resolve().parent / 'data' / 'viz_y.swc'


def _cli(args, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'DISPLAY'}
    return subprocess.run([sys.executable, '-m', 'moosepy.cli'] + args, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_view_writes_png(tmp_path):
    p = _cli(['view', str(SWC), '--out', str(tmp_path / 'c.png')], tmp_path)
    assert p.returncode == 0, p.stderr
    from PIL import Image
    im = Image.open(tmp_path / 'c.png')
    assert im.size == (800, 600)
    assert (tmp_path / 'c.png').stat().st_size > 3000


def test_view_missing_file(tmp_path):
    p = _cli(['view', str(tmp_path / 'none.swc')], tmp_path)
    assert p.returncode == 1 and 'no such file' in p.stderr


def test_run_movie(tmp_path):
    iio = pytest.importorskip('imageio_ffmpeg')
    p = _cli(['run', str(SWC), '--runtime', '0.005', '--out', str(tmp_path),
              '--movie', str(tmp_path / 'm.mp4')], tmp_path)
    assert p.returncode == 0, p.stderr
    gen = iio.read_frames(str(tmp_path / 'm.mp4'))
    next(gen)
    assert sum(1 for _ in gen) == 101


def test_view_window_without_display_is_a_clear_error(tmp_path):
    p = _cli(['view', str(SWC), '--window', '--out', str(tmp_path / 'w.png')], tmp_path)
    assert p.returncode == 1
    assert 'needs a display' in p.stderr and 'Traceback' not in p.stderr
    assert not (tmp_path / 'w.png').exists()
