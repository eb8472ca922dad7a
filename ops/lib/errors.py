"""The one exception type the CLI turns into a single clear line and an exit code."""

EXIT_OK = 0
EXIT_FAILED = 1      # a check failed: mandatory policy violation, unhealthy node, ...
EXIT_BAD_INPUT = 2   # bad arguments, config or documents


class OpsError(Exception):
    """A problem the user can fix; the message names it and the fix."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code
