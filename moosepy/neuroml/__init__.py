"""``moose.neuroml``: NeuroML 1.x (MorphML cells with biophysics, ChannelML
channels inside or beside them) read into ``/library``, with the class
and method names MOOSE scripts call::

    from moose.neuroml import NeuroML
    cellsDict, msg = NeuroML().readNeuroMLFromFile('CA1.morph.xml',
                                                   params={'combineSegments': True})

The cell reader is :mod:`moosepy.electrical.neuroml1`; ChannelML is
:mod:`moosepy.rdesigner.channelml`.  NetworkML populations and projections
(Level 3) are not implemented: a file holding them is refused with
``ModelImportError`` rather than half-loaded.  NeuroML 2 is a different
format (MOOSE reads it with ``moose.readNML2``; not here).
"""

from .NeuroML import NeuroML, loadNeuroML_L123  # noqa: E402
from .MorphML import MorphML  # noqa: E402
from .ChannelML import ChannelML  # noqa: E402
from .NetworkML import NetworkML  # noqa: E402

__all__ = ['NeuroML', 'MorphML', 'ChannelML', 'NetworkML', 'loadNeuroML_L123']
