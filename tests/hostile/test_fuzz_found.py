"""Bugs the fuzz suite (test_fuzz.py) found in the readers, each pinned by
a small file so it stays fixed whatever the fuzz seeds draw: every one ended
in an exception that was not moosepy's (issue 15, item 5)."""

import pytest

import moosepy as moose
from moosepy.core.limits import check_xml


def test_xml_declaration_with_unknown_encoding_is_a_model_import_error(tmp_path):
    f = tmp_path / 'm.xml'
    f.write_text('<?xml version="1.0" encoding="UTF-nan"?>\n<sbml/>\n')
    with pytest.raises(moose.ModelImportError, match=r'm\.xml, line 1: .*encoding'):
        check_xml(str(f))
    with pytest.raises(moose.ModelImportError, match='encoding'):
        moose.readSBML(str(f), '/model')
