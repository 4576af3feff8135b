"""``s2sdiff graph path.py:func [--at x=2,y=1] [--wrt x] [-o graph.svg|png|dot]``."""

from __future__ import annotations

import argparse
import ast
import os
import sys

from .. import output
from ..errors import S2SDiffError
from ..front.target import Target, add_import_option
from .build import MAX_UNROLL
from .draw import graph
from .render import file_bytes
from .stamp import is_stamped, stamped


def _parse_at(text: str) -> dict:
    """``x=2,y=1`` (any Python literals) → {"x": 2, "y": 1}."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if not isinstance(call, ast.Call) or call.args:
            raise ValueError
        return {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except (SyntaxError, ValueError):
        raise S2SDiffError(f"--at {text!r}: write name=value pairs, e.g. --at x=2,y=1") from None


def load(spec: str, imports=()):
    """The function named by ``path.py:func`` (or ``package.module:func``), read
    statically, without running its module (as the ``s2sdiff`` command does);
    ``imports`` are the modules named with ``--import``."""
    return Target(spec, imports).load()


def write(g, name: str, force: bool, source: str) -> None:
    """Write the picture with the command's write policy (``output``): marked,
    atomically, never over a file s2sdiff did not write unless ``force``, never
    over the ``source`` read."""
    path = os.path.abspath(name)
    fmt, data = file_bytes(g, path)
    output.check(path, force, is_stamped, (source,))
    changed = output.write_atomically(path, stamped(fmt, data))
    print(f"{'wrote' if changed else 'unchanged'} {name}")


def cli_main(argv=None) -> int:
    """``s2sdiff graph path.py:func [--at x=2,y=1] [--wrt x] [-o graph.svg|png|dot]``."""

    parser = argparse.ArgumentParser(
        prog="s2sdiff graph", description="Draw the computational graph of a function.")
    parser.add_argument("function", help="path.py:func")
    parser.add_argument("--at", help="values of the inputs, e.g. x=2,y=1")
    parser.add_argument("--wrt", help="an input: show tangents, adjoints and the sum over paths")
    parser.add_argument("-o", "--output", help="graph.svg, graph.png or graph.dot "
                        "(default: DOT text on stdout)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite the output even if s2sdiff did not write it")
    parser.add_argument("--max-unroll", type=int, default=MAX_UNROLL,
                        help=f"unroll loops of at most this many iterations (default {MAX_UNROLL})")
    add_import_option(parser)
    args = parser.parse_args(argv)
    try:
        fn = load(args.function, args.imports)
        at = _parse_at(args.at) if args.at else None
        g = graph(fn, at=at, wrt=args.wrt, max_unroll=args.max_unroll)
        if args.output:
            write(g, args.output, args.force, fn.filename)
        else:
            sys.stdout.write(g.to_dot())
    except S2SDiffError as exc:
        print(f"s2sdiff graph: error: {exc}", file=sys.stderr)
        return 2  # as the s2sdiff command: bad usage or input
    return 0
