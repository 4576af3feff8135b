"""The package's shape: importing it is light (NumPy, SciPy and SymPy are loaded
when the code being differentiated, or ``check``, needs them)."""

import subprocess
import sys


def test_import_loads_no_numeric_library():
    code = ("import sys, s2sdiff\n"
            "print(sorted(m for m in ('numpy', 'scipy', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"


def test_numpy_rules_are_registered_once_numpy_is_imported():
    code = ("import s2sdiff\n"
            "from s2sdiff.rules import lookup_array\n"
            "import numpy as np\n"
            "print(lookup_array(np.sum) is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "True"
