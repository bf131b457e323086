"""``moose.neuroml.NeuroML``: one NeuroML 1.x file (cells with their
biophysics) into ``/library``; see :mod:`moosepy.neuroml`."""

import os

from ..core.errors import ModelImportError
from ..electrical import neuroml1 as _n1


def _temperature(doc):
    """The ``meta:property`` temperature tag [°C] (the last one, as MOOSE),
    else MOOSE's default 32 °C."""
    t = _n1.CELSIUS_DEFAULT
    for prop in doc.root.iter(_n1.META + 'property'):
        if 'tag' in prop.attrib:
            if 'temperature' in prop.attrib['tag']:
                t = _float(doc, prop, prop.attrib.get('value'))
            continue
        tag = prop.find('.//' + _n1.META + 'tag')
        if tag is not None and 'temperature' in (tag.text or ''):
            if 'value' in tag.attrib:
                t = _float(doc, tag, tag.attrib['value'])
            else:
                val = prop.find('.//' + _n1.META + 'value')
                if val is not None:
                    t = _float(doc, val, val.text)
    return t


def _float(doc, el, txt):
    try:
        return float(txt)
    except (TypeError, ValueError):
        raise ModelImportError(f'{doc.where(el)}: temperature {txt!r} is not a number '
                               '[degrees Celsius]') from None


def _inline_channels(doc, channels, temperature):
    """ChannelML inside the NeuroML file (``<channels units=...>``) into
    /library, as MOOSE's ChannelML.readChannelML does for each element."""
    from ..core.errors import FieldError
    from ..rdesigner import channelml as cml
    u = cml._units(channels, doc.where(channels))
    lines = {e: doc.line(e) for e in channels.iter()}     # errors name the line
    for tag, make in (('channel_type', lambda el: cml._channel(el, u, doc.path, temperature,
                                                                 '/library', lines)),
                      ('synapse_type', lambda el: cml._synapse(el, u, doc.path, '/library',
                                                               lines)),
                      ('ion_concentration', lambda el: cml._ion_pool(el, u, doc.path,
                                                                     '/library'))):
        for el in channels.iter(_n1.CML + tag):
            try:
                make(el)
            except KeyError as exc:
                raise ModelImportError(f'{doc.where(el)}: {tag} {el.attrib.get("name", "")!r}: '
                                       f'attribute {exc} missing on it or on one of its '
                                       'elements') from None
            except (FieldError, ValueError, TypeError, ArithmeticError) as exc:
                raise ModelImportError(f'{doc.where(el)}: {tag} {el.attrib.get("name", "")!r}: '
                                       f'{exc}') from None


class NeuroML:
    """MOOSE's one-file NeuroML 1.x reader (``moose.neuroml.NeuroML``)."""

    def __init__(self):
        pass

    def readNeuroMLFromFile(self, filename, params=None, cellsDict=None):
        """Read *filename*: its ChannelML channels (``<channels>``) and
        cells (``<cells>``) into ``/library``.  *params*: ``combineSegments``,
        ``createPotentialSynapses``, ``model_dir`` (where ``<mechanism>.xml``
        files are looked for; default the file's folder).  Returns
        ``(cellsDict, 'no populations (L3 NetworkML) found.')`` as MOOSE,
        cellsDict = {cell name: (segDict, cableDict)}."""
        import moosepy as moose
        params = dict(params or {})
        doc = _n1.parse_xml(filename)
        root = doc.root
        if not moose.exists('/library'):
            moose.Neutral('/library')
        self.model_dir = params.get('model_dir', os.path.dirname(os.path.abspath(filename)))
        self.lengthUnits = root.attrib.get('lengthUnits', 'micrometer')
        self.temperature = _temperature(doc)
        self.nml_params = {'temperature': self.temperature, 'model_dir': self.model_dir}
        if (root.find('.//' + _n1.NML + 'populations') is not None
                or root.find('.//' + _n1.NET + 'populations') is not None):
            raise ModelImportError(f'{filename}: NetworkML populations/projections (NeuroML '
                                   'Level 3) are not implemented in moosepy; load the cells '
                                   'file (MorphML) alone')
        for channels in root.iter(_n1.NML + 'channels'):
            _inline_channels(doc, channels, self.temperature)
        self.cellsDict = {} if cellsDict is None else cellsDict
        for cell in root.iter(_n1.NML + 'cell'):
            self.cellsDict.update(_n1.read_cell(doc, cell, params, self.temperature,
                                                '/library', self.model_dir))
        return (self.cellsDict, 'no populations (L3 NetworkML) found.')


def loadNeuroML_L123(filename):
    return NeuroML().readNeuroMLFromFile(filename)
