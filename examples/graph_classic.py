"""The computational graph of e = (a + b)·(b + 1), the classic backpropagation example.

Each edge carries the partial derivative of its head with respect to its
tail; the derivative of the output with respect to an input is the sum, over
all paths between them, of the products of the partials along the path:

    c = a + b = 3,   d = b + 1 = 2,   e = c·d = 6        at a = 2, b = 1
    ∂e/∂b = ∂c/∂b·∂e/∂c + ∂d/∂b·∂e/∂d = 1·d + 1·c = 1·2 + 1·3 = 5

Forward mode computes ḃ-tangents node by node from b (ċ = 1, ḋ = 1, ė = 5);
reverse mode computes adjoints from e back (ē = 1, c̄ = d = 2, d̄ = c = 3,
b̄ = c̄ + d̄ = 5).  s2sdiff draws exactly this graph from the function's SSA form
and its rule table.

Run: python examples/graph_classic.py [picture.png|picture.svg|graph.dot]
(PNG and SVG need Graphviz's ``dot``; without an argument the DOT text is
printed.)
"""

import sys

import s2sdiff


def classic(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def main(argv):
    g = s2sdiff.graph(classic, at={"a": 2, "b": 1}, wrt="b")
    print("\n".join(g.caption()))
    print()
    for edge in g.edges:
        print("  edge", g.by_id(edge.src).title, "→", g.by_id(edge.dst).title, ":", g.label(edge))
    for node in g.nodes:
        print(f"  node {node.title:2} value {node.value}   tangent {node.tangent}   "
              f"adjoint {node.adjoint}")
    assert g.derivative == 5.0
    assert s2sdiff.grad(classic, wrt="b")(2.0, 1.0) == g.derivative  # the generated gradient agrees
    if argv:
        print("wrote", g.save(argv[0]))
    else:
        print()
        print(g.dot)


if __name__ == "__main__":
    main(sys.argv[1:])
