"""The command line around `pulumi up`: python -m ops <command>."""
