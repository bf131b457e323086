"""``moose.SBML.writeSBML.mooseWriteSBML`` on moosepy's SBML writer."""

import os


def mooseWriteSBML(modelpath, filename, sceneitems=None):
    """Write the chemical model under *modelpath* as SBML.

    As MOOSE: the file is ``<dir of filename>/<name up to its first
    '.'>.xml`` (the directory defaults to the current one, and an
    unwritable one is replaced by it); *sceneitems* (GUI layout) is
    accepted and not used.

    Returns
    -------
    ``(True, '', written_path)`` on success, ``(False, "Path doesn't
    exist")`` when *modelpath* names no element.  Objects SBML cannot
    express raise a moosepy error (moosepy's writer does not drop them).
    """
    from .. import exists
    from ..loaders import writeSBML
    if not exists(modelpath):
        return False, "Path doesn't exist"
    head, tail = os.path.split(str(filename))
    if not head or head == '~':
        head = os.path.expanduser(head) if head else os.getcwd()
    if not os.access(head, os.W_OK):
        head = os.getcwd()
    base = tail[:tail.find('.')] if '.' in tail else tail
    out = os.path.join(head, base + '.xml')
    writeSBML(modelpath, out)
    return True, '', out
