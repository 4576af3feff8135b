"""The back end: clean-up passes over generated IR, printing it as Python, compiling it."""
