"""Core of moosepy: element tree, fields, messages, clocks, tables, errors."""
