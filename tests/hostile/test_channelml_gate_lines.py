"""ChannelML gate errors name the file and the line of the element at
fault (issue 15, item 4): a generic expression that does not parse, an
unknown expr_form, a transition other than alpha/beta, a gate with neither
its tau/inf nor alpha and beta.  The fuzz suite (seed 2) found these
naming the channel and gate but no line."""

import re
from pathlib import Path

import pytest

import moosepy as moose
from moosepy.rdesigner.channelml import read_channelml

KDR = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'channelml' / 'kdr.xml'

TAU = ('expr="beta/(0.02 * (1 + alpha)) &lt; 2 ? 2 : beta/(0.02 * (1 + alpha)) "')
ALPHA = '<transition name="alpha" from="n0" to="n" expr_form="generic"'


def _line(text, needle):
    return text[:text.index(needle)].count('\n') + 1


@pytest.fixture(autouse=True)
def _clean():
    yield
    if moose.exists('/library'):
        moose.delete('/library')


@pytest.mark.skipif(not KDR.is_file(), reason=f'{KDR} absent')
@pytest.mark.parametrize('old, new, anchor, words', [
    (TAU, TAU.replace('? 2 :', '? 0x1F :'), '<time_course', r"gate 'n' tau: cannot parse"),
    (ALPHA, ALPHA.replace('generic', '1e308'), '<transition name="alpha"',
     r"gate 'n' alpha: unknown expr_form '1e308'"),
    (ALPHA, ALPHA.replace('name="alpha"', 'name="gamma"'), '<transition name="gamma"',
     r"gate 'n': transition 'gamma'"),
    ('<time_course name="tau"', '<time_coursx name="tau"', '<gate name="n"',
     r"gate 'n': no tau and no alpha and beta"),
])
def test_gate_errors_name_file_and_line(tmp_path, old, new, anchor, words):
    text = KDR.read_text()
    assert old in text
    if anchor == '<gate name="n"':          # alpha and beta gone too
        text = re.sub(r'<transition name="(alpha|beta)"[^>]*/>', '', text)
    text = text.replace(old, new, 1)
    f = tmp_path / 'kdr.xml'
    f.write_text(text)
    line = _line(text, anchor)
    with pytest.raises(moose.ModelImportError,
                       match=rf"kdr\.xml, line {line}: channel 'kdr' {words}"):
        read_channelml(f, library='/library')
