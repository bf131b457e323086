"""SBML import/export (python-libsbml) and the SBML simulation engine."""
