"""What the commands share: reading stack files, the offline runtime, reports, errors.

Nothing here parses command-line arguments or imports a command.
"""
