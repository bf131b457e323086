"""A kkit pool with a negative DiffConst is refused at load naming the
file, the line and the pool (issue 15 item 4); it was silently set to 0."""

import re
from pathlib import Path

import pytest

import moosepy as moose
from moosepy.core.errors import ModelImportError

SRC = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'kkit' / 'enz_rea.g'


@pytest.mark.skipif(not SRC.exists(), reason='shared kkit model absent')
def test_negative_diffconst_names_file_line_and_pool(tmp_path):
    text = SRC.read_text()
    bad, n = re.subn(r'(simundump kpool /kinetics/a 0 )0 ', r'\g<1>-1e-12 ', text, count=1)
    assert n == 1
    line = text[:text.index('simundump kpool /kinetics/a')].count('\n') + 1
    f = tmp_path / 'negD.g'
    f.write_text(bad)
    with pytest.raises(ModelImportError, match=rf"negD.g:{line}: .*a DiffConst: a diffusion "
                                               r"constant must be >= 0 \(m\^2/s\), got -1e-12"):
        moose.loadModel(str(f), '/negD')
    assert not moose.exists('/negD')
    # the same file with DiffConst 1e-12 loads and keeps it
    f.write_text(text.replace('simundump kpool /kinetics/a 0 0 ', 'simundump kpool /kinetics/a 0 1e-12 ', 1))
    moose.loadModel(str(f), '/okD')
    assert moose.element('/okD/kinetics/a').diffConst == pytest.approx(1e-12)
