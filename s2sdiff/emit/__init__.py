"""The emitters: IR in, derivative IR out (reverse mode, forward mode, tapes)."""
