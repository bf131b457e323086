"""``moose.chemUtil.chemConnectUtil``: tree queries of MOOSE's chemUtil (its
GUI layout helpers are not provided)."""


def _moose():
    import moosepy
    return moosepy


def findCompartment(elem):
    """The nearest ChemCompt at or above *elem* (object or path); the root
    element when there is none."""
    moose = _moose()
    el = moose.element(elem)
    while True:
        if el.path in ('/', '/[0]') or el.isA['ChemCompt']:
            return el
        el = el.parent


def mooseIsInstance(elem, classes):
    """True if the class name of *elem* is one of *classes* (exact names,
    not base classes, as MOOSE's)."""
    return _moose().element(elem).className in classes


def countitems(mitems, objtype):
    """(set of the objects reached from *mitems* through port *objtype*,
    {object: number of messages to it}) -- e.g. ``countitems(reac, 'sub')``
    gives the substrates and their stoichiometries."""
    moose = _moose()
    items = [moose.element(v) for v in moose.element(mitems).neighbors[objtype]]
    counts = {}
    for i in items:
        counts[i] = counts.get(i, 0) + 1
    return set(counts), counts
