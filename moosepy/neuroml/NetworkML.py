"""``moose.neuroml.NetworkML`` (not implemented); see :mod:`moosepy.neuroml`."""

from ..core.errors import ModelImportError


class NetworkML:
    """NetworkML (Level 3) is not implemented: constructing the reader works,
    reading raises ModelImportError."""

    def __init__(self, nml_params=None):
        self.nml_params = dict(nml_params or {})

    def readNetworkMLFromFile(self, filename, cellSegmentDict=None, params=None):
        raise ModelImportError(f'{filename}: NetworkML (NeuroML Level 3) is not implemented '
                               'in moosepy')
