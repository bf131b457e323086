"""A MorphML cable group that lists a cable with no segments (a dangling
or mistyped id) is refused naming the file and the line of that <cable>
entry (issue 15, item 4; the fuzz suite's seed-2 MorphML mutants found the
file named without a line)."""

import pytest

import moosepy as moose

import fuzzlib


@pytest.fixture(autouse=True)
def _clean():
    yield
    if moose.exists('/library'):
        moose.delete('/library')


@pytest.mark.parametrize('bad', ['99999999999999999999999', 'a[99999]', ''])
def test_dangling_cable_in_a_group_names_file_and_line(tmp_path, bad):
    MorphML = pytest.importorskip('moosepy.neuroml').MorphML
    seeds = fuzzlib._small_morphml()
    if not seeds:
        pytest.skip('CA1.morph.xml absent')
    text = seeds[0].read_text()
    old = '<mml:cablegroup name="all">\n                    <mml:cable id="0"/>'
    assert old in text
    text = text.replace(old, old.replace('id="0"', f'id="{bad}"'), 1)
    line = text[:text.index(f'<mml:cable id="{bad}"/>')].count('\n') + 1
    f = tmp_path / 'c.morph.xml'
    f.write_text(text)
    moose.Neutral('/library')
    with pytest.raises(moose.ModelImportError,
                       match=rf"c\.morph\.xml, line {line}: cable group 'all' lists cable "):
        MorphML({'temperature': 32.0, 'model_dir': str(tmp_path)}).readMorphMLFromFile(str(f))
