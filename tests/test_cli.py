"""The ``moosepy run`` command: the bundled default model, an SBML file, a
cell file (.swc), and a bad path.  Each run writes its CSV and PNG; the
figures printed are checked against what the model must do."""

from pathlib import Path

import numpy as np
import pytest

from moosepy import cli

SHARED = Path(__file__).resolve().parents[2] / 'shared' / 'models-ref'
SUITE = Path(__file__).resolve().parents[2] / 'shared' / 'sbml-test-suite' / 'semantic'


def _csv(path):
    with open(path) as f:
        header = f.readline().strip().split(',')
    return header, np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)


def test_default_model(tmp_path, capsys):
    assert cli.main(['run', '--runtime', '20', '--out', str(tmp_path)]) in (None, 0)
    out = capsys.readouterr().out
    assert 'simulated: 20 s' in out and 'mapk_feedback.png' in out
    header, data = _csv(tmp_path / 'mapk_feedback.csv')
    assert header[0] == 'time_s' and all(h.endswith('_mM') for h in header[1:])
    assert data[-1, 0] == pytest.approx(20.0)
    assert (tmp_path / 'mapk_feedback.png').stat().st_size > 1000


@pytest.mark.skipif(not SUITE.is_dir(), reason=f'{SUITE} absent')
def test_sbml_file(tmp_path, capsys):
    """Case 00001 (S1 -> S2 at k = 1 in a unit compartment): the plotted
    concentrations follow the exponential."""
    xml = SUITE / '00001' / '00001-sbml-l3v2.xml'
    assert cli.main(['run', str(xml), '--runtime', '5', '--out', str(tmp_path)]) in (None, 0)
    header, data = _csv(tmp_path / '00001-sbml-l3v2.csv')
    t = data[:, 0]
    s1 = data[:, header.index('S1_mM')]
    s2 = data[:, header.index('S2_mM')]
    assert np.allclose(s1 + s2, s1[0] + s2[0], rtol=1e-6)
    assert np.allclose(s1, s1[0] * np.exp(-t), rtol=1e-4)


@pytest.mark.skipif(not (SHARED / 'swc').is_dir(), reason=f'{SHARED} absent')
def test_cell_file(tmp_path, capsys):
    """An SWC cell: solved by an HSolve, a 0.1 nA step from 10 ms; the soma
    rests at -65 mV, depolarises during the step, and the farthest
    compartment less than the soma."""
    swc = SHARED / 'swc' / '970529c.CNG.swc'
    assert cli.main(['run', str(swc), '--runtime', '0.04', '--out', str(tmp_path)]) in (None, 0)
    out = capsys.readouterr().out
    assert 'mV' in out
    header, data = _csv(tmp_path / '970529c.CNG.csv')
    assert header[1] == 'soma_mV'
    t, soma, far = data[:, 0], data[:, 1], data[:, 2]
    assert np.allclose(soma[t < 0.01], -65.0, atol=1e-6)
    assert soma[-1] > -65.0 + 1.0
    assert 0 < far[-1] + 65.0 < soma[-1] + 65.0


def test_bad_path(tmp_path, capsys):
    rc = cli.main(['run', str(tmp_path / 'nope.swc'), '--out', str(tmp_path)])
    assert rc == 1
    assert 'nope.swc' in capsys.readouterr().err
