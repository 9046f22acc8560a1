"""Parametrised access to the R reference datasets (see adjust_reference.py)."""
import pytest
from adjust_reference import DATASETS, load


@pytest.fixture(params=DATASETS)
def ref(request):
    return load(request.param)
