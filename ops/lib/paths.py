"""Where the project is: the directory holding Pulumi.yaml and the stack files."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
