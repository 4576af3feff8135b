"""Tests of s2sdiff (a package, so test modules can import ``tests.corpus``)."""
