"""One module per `python -m ops <command>`: each has `register(subparsers)` and `run(args)`.

A command parses its arguments and prints; what two commands share lives in `ops.lib`.
"""
