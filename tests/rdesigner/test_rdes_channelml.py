"""ChannelML channel and ion-pool files (the tutorials' chans/*.xml) read
into /library exactly as pymoose 5.0.0's ChannelML reader does: same Gbar,
Ek, gate powers, table ranges and A/B tables (Q10 at 32 °C, offsets,
exp_linear/sigmoid/exponential/generic forms with ternaries)."""

import json
import os

import numpy as np
import pytest

import moosepy as moose
from moosepy.rdesigner.channelml import read_channelml

from side_pymoose import run_both

CHANS = '/work/shared/moose-examples/tutorials/Rdesigneur/chans'
pytestmark = pytest.mark.skipif(not os.path.isdir(CHANS), reason='moose-examples absent')

SCRIPT = r'''
import sys, json, os
os.chdir(%r)
FILES = ['hd', 'kap', 'na3', 'CaConc', 'Ca']
if sys.argv[1] == 'moose':
    import moose
    from moose.neuroml.ChannelML import ChannelML
    moose.Neutral('/library')
    for f in FILES:
        ChannelML({'temperature': 32}).readChannelMLFromFile(f + '.xml')
else:
    import moosepy as moose
    from moosepy.rdesigner.channelml import read_channelml
    for f in FILES:
        read_channelml(f + '.xml', 32)
out = {}
for c in moose.wildcardFind('/library/#[ISA=HHChannel]'):
    d = {'Gbar': c.Gbar, 'Ek': c.Ek, 'pw': [c.Xpower, c.Ypower, c.Zpower]}
    for k, g in enumerate(('gateX', 'gateY', 'gateZ')):
        if d['pw'][k] > 0:
            e = moose.element(c.path + '/' + g)
            d[g] = [e.min, e.max, e.divs, [float(x) for x in e.tableA],
                    [float(x) for x in e.tableB]]
    out[c.name] = d
cc = moose.element('/library/Ca_conc')
out['Ca_conc'] = [cc.CaBasal, cc.tau, cc.thick]
print('JSON' + json.dumps(out))
''' % CHANS


def test_tutorial_channels_match_pymoose():
    r = run_both(SCRIPT)
    m, p = r['moose'], r['moosepy']
    assert sorted(m) == sorted(p) == sorted(['hd', 'kap', 'na3', 'Ca',
                                             'Ca_conc'])
    np.testing.assert_allclose(p['Ca_conc'], m['Ca_conc'], rtol=1e-15)
    for name in m:
        if name == 'Ca_conc':
            continue
        assert p[name]['Gbar'] == pytest.approx(m[name]['Gbar'], rel=1e-15)
        assert p[name]['Ek'] == pytest.approx(m[name]['Ek'], rel=1e-15)
        assert list(p[name]['pw']) == list(m[name]['pw'])
        for g in ('gateX', 'gateY', 'gateZ'):
            if g not in m[name]:
                continue
            a, b = p[name][g], m[name][g]
            assert a[:3] == b[:3], (name, g)
            for i in (3, 4):
                x, y = np.asarray(a[i]), np.asarray(b[i])
                assert np.abs(x - y).max() <= 1e-12 * np.abs(y).max(), (name, g, i)


def test_bad_files(tmp_path):
    with pytest.raises(moose.ModelImportError, match='no such ChannelML file'):
        read_channelml(tmp_path / 'none.xml')
    bad = tmp_path / 'bad.xml'
    bad.write_text('<channelml units="SI Units"><channel_type')
    with pytest.raises(moose.ModelImportError, match='not well-formed'):
        read_channelml(bad)
    odd = tmp_path / 'odd.xml'
    odd.write_text(
        '<channelml xmlns="http://morphml.org/channelml/schema" units="SI Units">'
        '<channel_type name="k"><current_voltage_relation cond_law="ohmic" ion="k" '
        'default_gmax="1" default_erev="-0.09"><gate name="n" instances="1">'
        '<transition name="alpha" expr_form="generic" expr="exp(v * q)"/>'
        '<transition name="beta" expr_form="generic" expr="1"/></gate>'
        '</current_voltage_relation></channel_type></channelml>')
    with pytest.raises(moose.ModelImportError, match="unknown variable 'q'"):
        read_channelml(odd)
