"""Declarations of fields and message ports, and the class registry.

A moosepy class is declared once: its value fields (:class:`Field`, with type,
unit, default and read-only flag), lookup fields (:class:`LookupField`), field
elements (:class:`FieldElementField`), message ports (:class:`Src`,
:class:`Dest`, :class:`Shared`) and its default clock tick.  Docstrings,
``/classes``, ``moose.doc`` and validation all read these declarations.

Field values are not kept on the handle: stored fields live in columns (numpy
arrays, one per element and field) owned by :class:`~moosepy.core.element.Element`.
"""

import numpy as np

from .errors import FieldError
from .structure import changed as structure_changed

#: class name -> Python class, for every declared moosepy class
registry = {}

_DTYPES = {
    'double': np.float64,
    'int': np.int64,
    'unsigned int': np.int64,
    'bool': np.bool_,
}


def _cap(name):
    return name[0].upper() + name[1:]


class Field:
    """A value field.

    Parameters
    ----------
    default : object
        Value given to new objects.
    unit : str
        Unit in SI (concentration in mM), shown in brackets in the docs.
    doc : str
        One-line description.
    type : str
        'double', 'int', 'unsigned int', 'bool', 'string', 'vector', 'object'.
    ro : bool
        Read-only.
    stored : bool
        True: the value lives in a column of the element.  False: the owning
        class supplies ``_get_<name>(self)`` (and ``_set_<name>(self, v)``).
    structural : bool
        Setting it changes the shape of what a solver compiles (a gate power,
        a solver's target): it advances :mod:`moosepy.core.structure`'s
        version, so solvers compile again at the next reinit.
    """

    kind = 'valueFinfo'

    def __init__(self, default=0.0, unit='', doc='', type='double', ro=False,
                 stored=True, hidden=False, structural=False):
        self.hidden = hidden
        self.structural = structural
        self.default = default
        self.unit = unit
        self.doc = doc
        self.type = type
        self.ro = ro
        self.stored = stored
        self.name = None
        self.getter = None
        self.setter = None

    def __set_name__(self, owner, name):
        self.name = name
        self.__doc__ = self.describe()

    def describe(self):
        unit = f' [{self.unit}]' if self.unit else ''
        ro = ' (read-only)' if self.ro else ''
        return f'{self.doc}{unit}{ro}'

    # --- column helpers -------------------------------------------------
    def new_column(self, num):
        dt = _DTYPES.get(self.type)
        if dt is not None:
            return np.full(num, self.default, dtype=dt)
        col = np.empty(num, dtype=object)
        d = self.default
        if isinstance(d, (list, dict)):
            for i in range(num):
                col[i] = _fresh(d)       # (each entry its own)
        else:
            col.fill(d)                  # (an immutable default: shared)
        return col

    def convert(self, obj, value):
        """Check and convert a value about to be stored; raise FieldError."""
        t = self.type
        try:
            if t == 'double':
                return float(value)
            if t in ('int', 'unsigned int'):
                if isinstance(value, (float, np.floating)) and value != int(value):
                    raise ValueError('not a whole number')
                v = int(value)
                if t == 'unsigned int' and v < 0:
                    raise ValueError('negative')
                return v
            if t == 'bool':
                return bool(value)
            if t == 'string':
                if not isinstance(value, str):
                    raise TypeError('not a string')
                return value
        except (TypeError, ValueError) as exc:
            raise FieldError(
                f"{obj.path} ({obj.className}).{self.name}: expected {t}, "
                f"got {value!r} ({exc})") from None
        return value

    # --- descriptor protocol ---------------------------------------------
    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        el = obj._element()
        if self.getter is not None:
            return self.getter(obj)
        v = el.cols[self.name][obj._idx]
        if isinstance(v, np.generic):
            return v.item()
        return v

    def __set__(self, obj, value):
        el = obj._element()
        if self.ro:
            raise FieldError(f"{obj.path} ({obj.className}).{self.name} is read-only")
        value = self.convert(obj, value)
        if self.setter is not None:
            self.setter(obj, value)
        else:
            el.cols[self.name][obj._idx] = value
        if self.structural:
            structure_changed()
        if el.hooks:
            el.notify(self.name)

    # vectorised access used by vec
    def vget(self, el):
        if self.getter is None:
            col = el.cols[self.name]
            return col.copy()
        bulk = getattr(el.cls, '_vget_' + self.name, None)
        if bulk is not None:
            # the class reads all entries at once (the same values)
            return bulk(el)
        vals = [self.getter(el.handle(i)) for i in range(el.num)]
        try:
            return np.array(vals, dtype=_DTYPES.get(self.type, object))
        except (TypeError, ValueError):
            out = np.empty(len(vals), dtype=object)
            out[:] = vals
            return out

    def vset(self, el, values):
        if self.ro:
            raise FieldError(f"{el.path} ({el.cls.__name__}).{self.name} is read-only")
        if np.ndim(values) == 0 or isinstance(values, str):
            values = [values] * el.num
        if len(values) != el.num:
            raise FieldError(
                f"{el.path}.{self.name}: got {len(values)} values for "
                f"{el.num} entries")
        bulk = getattr(el.cls, '_vset_' + self.name, None)
        if bulk is not None:
            # the class sets all entries at once (same checks, same result)
            bulk(el, values)
            return
        for i, v in enumerate(values):
            self.__set__(el.handle(i), v)


def _fresh(default):
    if isinstance(default, list):
        return list(default)
    if isinstance(default, dict):
        return dict(default)
    return default


class LookupField:
    """A field indexed by a key: ``obj.field[key]`` (read, and write if a setter).

    The owning class supplies ``_lookup_<name>(self, key)`` and optionally
    ``_lookupset_<name>(self, key, value)``.
    """

    kind = 'lookupFinfo'

    def __init__(self, keytype='unsigned int', valtype='double', unit='', doc=''):
        self.keytype = keytype
        self.type = valtype
        self.unit = unit
        self.doc = doc
        self.name = None

    def __set_name__(self, owner, name):
        self.name = name
        self.__doc__ = self.describe()

    def describe(self):
        unit = f' [{self.unit}]' if self.unit else ''
        return f'{self.doc}{unit} (lookup by {self.keytype})'

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        obj._element()
        return _LookupProxy(obj, self)

    def __set__(self, obj, value):
        raise FieldError(f"{obj.path}.{self.name} is a lookup field: "
                         f"assign with {self.name}[key] = value")


class _LookupProxy:
    __slots__ = ('obj', 'field')

    def __init__(self, obj, field):
        self.obj = obj
        self.field = field

    def __getitem__(self, key):
        return getattr(self.obj, '_lookup_' + self.field.name)(key)

    def __setitem__(self, key, value):
        fn = getattr(self.obj, '_lookupset_' + self.field.name, None)
        if fn is None:
            raise FieldError(f"{self.obj.path}.{self.field.name}[{key!r}] is read-only")
        fn(key, value)

    def __repr__(self):
        return f'<lookup field {self.field.name} of {self.obj.path}>'


class FieldElementField:
    """A field element: indexed child objects such as ``Function.x`` or
    ``HHChannel.gateX``.  Reading it returns the child's vec."""

    kind = 'fieldElementFinfo'

    def __init__(self, classname, doc=''):
        self.classname = classname
        self.doc = doc
        self.unit = ''
        self.type = classname
        self.name = None

    def __set_name__(self, owner, name):
        self.name = name
        self.__doc__ = doc_line = self.doc
        del doc_line

    def describe(self):
        return f'{self.doc} (field element of {self.classname})'

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        from .element import Vec
        el = obj._element()
        return Vec(el.children[self.name])

    def __set__(self, obj, value):
        raise FieldError(f"{obj.path}.{self.name} is a field element; set its "
                         f"entries' fields or its 'num'")


class Port:
    """A message port (source or destination)."""

    kind = ''

    def __init__(self, name, sig='double', doc=''):
        self.name = name
        self.sig = sig
        self.doc = doc

    def __repr__(self):
        return f'{type(self).__name__}({self.name!r}, {self.sig!r})'


class Src(Port):
    """Source port: sends values out (``nOut``, ``requestOut``, ``valueOut``)."""
    kind = 'srcFinfo'


class Dest(Port):
    """Destination port: receives values (``setConc``, ``input``, ``getN``)."""
    kind = 'destFinfo'


class Shared(Port):
    """Shared port: a bundle of sources and destinations connected by one name
    on both sides.  Two shared ports connect when they speak the same
    ``protocol`` from opposite ``role`` s (e.g. Reac 'sub' and Pool 'reac')."""
    kind = 'sharedFinfo'

    def __init__(self, name, protocol, role, doc=''):
        super().__init__(name, protocol, doc)
        self.protocol = protocol
        self.role = role


def declare(cls):
    """Collect the declarations of *cls* (called from ``__init_subclass__``)."""
    fields, lookups, felems, ports, hidden = {}, {}, {}, {}, {}
    for base in reversed(cls.__mro__[1:]):
        hidden.update(getattr(base, '_hidden', {}))
        fields.update(getattr(base, '_fields', {}))
        lookups.update(getattr(base, '_lookups', {}))
        felems.update(getattr(base, '_felems', {}))
        ports.update(getattr(base, '_ports', {}))
    for name, attr in list(cls.__dict__.items()):
        if isinstance(attr, Field) and attr.hidden:
            hidden[name] = attr
        elif isinstance(attr, Field):
            # class-specific getters/setters
            attr.getter = cls.__dict__.get('_get_' + name, attr.getter)
            attr.setter = cls.__dict__.get('_set_' + name, attr.setter)
            fields[name] = attr
        elif isinstance(attr, LookupField):
            lookups[name] = attr
        elif isinstance(attr, FieldElementField):
            felems[name] = attr
    # a getter/setter overridden in a subclass for an inherited field
    for name, f in list(fields.items()):
        g = cls.__dict__.get('_get_' + name)
        s = cls.__dict__.get('_set_' + name)
        if (g is not None and g is not f.getter) or (s is not None and s is not f.setter):
            nf = Field.__new__(Field)
            nf.__dict__.update(f.__dict__)
            if g is not None:
                nf.getter = g
            if s is not None:
                nf.setter = s
            setattr(cls, name, nf)
            fields[name] = nf
    for p in cls.__dict__.get('ports', ()):
        ports[p.name] = p
    for name, f in fields.items():
        ports.setdefault('get' + _cap(name), Dest('get' + _cap(name), 'request',
                                                  f'Request the value of {name}'))
        if not f.ro:
            ports.setdefault('set' + _cap(name), Dest('set' + _cap(name), 'double'
                                                      if f.type == 'double' else f.type,
                                                      f'Assign {name}'))
    cls._fields = fields
    cls._hidden = hidden
    cls._columns = {n: f for n, f in list(fields.items()) + list(hidden.items()) if f.stored}
    cls._lookups = lookups
    cls._felems = felems
    cls._ports = ports
    if not cls.__dict__.get('_internal', False):
        registry[cls.__name__] = cls
    doc = (cls.__doc__ or '').rstrip()
    lines = [f'    {n} : {f.type}\n        {f.describe()}' for n, f in sorted(fields.items())]
    if '\n    Fields\n' not in doc:
        cls.__doc__ = doc + '\n\n    Fields\n    ------\n' + '\n'.join(lines) + '\n'
