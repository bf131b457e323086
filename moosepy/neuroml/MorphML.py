"""``moose.neuroml.MorphML``; see :mod:`moosepy.neuroml`."""

from ..electrical import neuroml1 as _n1


class MorphML:
    """``moose.neuroml.MorphML``: a MorphML file's cells into ``/library``."""

    def __init__(self, nml_params=None):
        p = dict(nml_params or {})
        self.nml_params = p
        self.model_dir = p.get('model_dir')
        self.temperature = p.get('temperature', _n1.CELSIUS_DEFAULT)

    def readMorphMLFromFile(self, filename, params=None):
        """Returns {cell name: (segDict, cableDict)}."""
        return _n1.read_morphml_file(filename, params, self.temperature, '/library',
                                     self.model_dir)
