"""The front end: source in, core Python AST out (parsing, names, the fence, desugaring)."""
