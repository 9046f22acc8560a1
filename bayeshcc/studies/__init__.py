"""Material of particular studies, kept out of the general modules.

Each subpackage holds one study's spec, published figures, bundled data and whatever code
exists only for it; nothing in the rest of :mod:`bayeshcc` depends on a study but the
``bayeshcc reproduce`` command, which runs :mod:`bayeshcc.studies.hcc2024`.
"""
