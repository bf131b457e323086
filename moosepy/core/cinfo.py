"""``/classes``: one :class:`Cinfo` element per declared class, built from the
class declarations (fields with units, message ports, default tick)."""

from .fields import Field, registry

_pending = []


def register_class(cls):
    from .element import root
    if cls.__dict__.get('_internal', False):
        return
    if root() is None:
        _pending.append(cls)
    else:
        _make_cinfo(cls)


def _make_cinfo(cls):
    from .element import root
    classes = root().children['classes']
    if cls.__name__ in classes.children:
        return
    from .element import Element
    Element(cls.__name__, classes, registry['Cinfo'])


def build_all():
    for cls in list(registry.values()):
        _make_cinfo(cls)
    _pending.clear()


def _base_name(cls):
    for b in cls.__mro__[1:]:
        if b.__name__ in registry:
            return b.__name__
    return 'none'


from .element import Neutral  # noqa: E402  (Cinfo is itself a class)


class Cinfo(Neutral):
    """Class information: what a class declares (fields, ports, default tick)."""

    baseClass = Field('', '', 'Name of the base class', type='string', ro=True, stored=False)
    docs = Field('', '', 'Documentation of the class', type='string', ro=True, stored=False)
    defaultTick = Field(-1, '', 'Default clock tick of the class', type='int', ro=True,
                        stored=False)
    valueFields = Field(None, '', 'Value fields: name -> (type, unit, read-only, doc)',
                        type='object', ro=True, stored=False)
    srcFinfo = Field(None, '', 'Source ports: name -> signature', type='object', ro=True,
                     stored=False)
    destFinfo = Field(None, '', 'Destination ports: name -> signature', type='object', ro=True,
                      stored=False)
    sharedFinfo = Field(None, '', 'Shared ports: name -> protocol', type='object', ro=True,
                        stored=False)

    def _cls(self):
        return registry[self._el.name]

    def _get_baseClass(self):
        return _base_name(self._cls())

    def _get_docs(self):
        return (self._cls().__doc__ or '').strip()

    def _get_defaultTick(self):
        return self._cls().default_tick

    def _get_valueFields(self):
        return {n: (f.type, f.unit, f.ro, f.doc) for n, f in self._cls()._fields.items()}

    def _ports_of(self, kind):
        return {n: p.sig for n, p in self._cls()._ports.items() if p.kind == kind}

    def _get_srcFinfo(self):
        return self._ports_of('srcFinfo')

    def _get_destFinfo(self):
        return self._ports_of('destFinfo')

    def _get_sharedFinfo(self):
        return self._ports_of('sharedFinfo')
