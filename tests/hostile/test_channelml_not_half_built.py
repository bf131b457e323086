"""A ChannelML file refused part-way (its second channel has a bad number)
leaves nothing of it in the library: not the first channel, not a library
element the call made (issue 15: never a half-built model)."""

from pathlib import Path

import pytest

import moosepy as moose
from moosepy.rdesigner.channelml import read_channelml

SRC = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'channelml' / 'kdr.xml'


def _two_channels(tmp_path, bad):
    text = SRC.read_text()
    a, b = text.index('<channel_type'), text.index('</channel_type>') + len('</channel_type>')
    block = text[a:b].replace('name="kdr"', 'name="kdr2"')
    if bad:
        block = block.replace('default_gmax="10"', 'default_gmax="abc"')
    f = tmp_path / 'two.xml'
    f.write_text(text[:b] + '\n' + block + text[b:])
    return f


@pytest.mark.skipif(not SRC.is_file(), reason='ChannelML reference files absent')
def test_refused_file_leaves_nothing(tmp_path):
    for lib in ('/libA', '/libB'):
        if moose.exists(lib):
            moose.delete(lib)
    # the good file makes both channels (the check can fail)
    made = read_channelml(_two_channels(tmp_path, False), library='/libA')
    assert sorted(moose.element(p).name for p in made) == ['kdr', 'kdr2']
    # a library that existed keeps what it had, and only that
    moose.Neutral('/libB')
    keep = moose.Neutral('/libB/keep')
    with pytest.raises(moose.ModelImportError, match=r'two\.xml, line \d+'):
        read_channelml(_two_channels(tmp_path, True), library='/libB')
    assert [c.name for c in moose.element('/libB').children] == [keep.name]
    # a library the call made goes too
    with pytest.raises(moose.ModelImportError):
        read_channelml(_two_channels(tmp_path, True), library='/libC')
    assert not moose.exists('/libC')
