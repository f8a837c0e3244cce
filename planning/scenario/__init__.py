"""The parts of :mod:`planning.scenarios` (the public facade), one concept per module.

Import the public API from :mod:`planning.scenarios`; the map of which part lives where is in
its docstring. Modules here import each other in one direction (names -> schema -> merge ->
files -> overrides -> result -> pipeline -> compare/output/sample) and never import
:mod:`planning.sweep`.
"""
