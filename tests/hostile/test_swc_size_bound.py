"""An SWC point whose radius or coordinate is beyond moosepy.limits'
max_morph_size_um (1 m; the issue's example is a radius of 9.2e18 µm, which
ran into a ZeroDivisionError in HSolve and later loaded silently) is refused
naming the file, the line and the bound; raising the bound lets it load."""

import pytest

import moosepy as moose

SWC = '''# soma and one dendrite point
1 1 0 0 0 5 -1
2 3 10 0 0 {r} 1
3 3 20 0 0 1 2
'''


def test_huge_radius_refused_with_file_line_and_bound(tmp_path):
    f = tmp_path / 'huge.swc'
    f.write_text(SWC.format(r='9.2e18'))
    with pytest.raises(moose.ModelImportError,
                       match=r'huge\.swc, line 3: .*9\.2e\+18 µm .*max_morph_size_um'):
        moose.loadModel(str(f), '/huge')
    assert not moose.exists('/huge')
    with moose.limits.override(max_morph_size_um=1e19):
        moose.loadModel(str(f), '/huge2')
    assert moose.exists('/huge2')


def test_ordinary_cell_loads(tmp_path):
    f = tmp_path / 'ok.swc'
    f.write_text(SWC.format(r='1.5'))
    moose.loadModel(str(f), '/okcell')
    assert len(moose.wildcardFind('/okcell/##[ISA=Compartment]')) >= 2
