"""Generated modules are compiled from real files: the tests keep theirs in a
folder of their own."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _generated_files(tmp_path_factory):
    os.environ["S2SDIFF_CACHE_DIR"] = str(tmp_path_factory.mktemp("s2sdiff-cache"))
    yield
