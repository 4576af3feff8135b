"""The version of s2sdiff."""

__version__ = "0.1.0"
