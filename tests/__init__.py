"""The test suite. Imported before any conftest or test module."""

import sys

# Every test process (and each CLI subprocess it starts) imports the app and the test
# modules: compiled once into __pycache__ (git ignores it) and read from there after, not
# compiled and assertion-rewritten again in every process when the environment says
# PYTHONDONTWRITEBYTECODE.
sys.dont_write_bytecode = False
