"""``moose.neuroml.ChannelML``; see :mod:`moosepy.neuroml`."""

from ..electrical import neuroml1 as _n1


class ChannelML:
    """``moose.neuroml.ChannelML``: channels, ion pools and synapses of a
    ChannelML file into ``/library``."""

    def __init__(self, nml_params=None):
        p = dict(nml_params or {})
        self.temperature = p.get('temperature', _n1.CELSIUS_DEFAULT)

    def readChannelMLFromFile(self, filename, params=None, units='SI units'):
        from ..rdesigner.channelml import read_channelml
        return read_channelml(filename, self.temperature, '/library')
