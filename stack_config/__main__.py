"""`python -m stack_config`: regenerate the README's configuration table and Pulumi.yaml's
`config:` block from the key declarations."""

import sys

from stack_config.docs import write

if __name__ == "__main__":
    changed = write()
    print("updated " + ", ".join(changed) if changed else "README.md and Pulumi.yaml are current")
    sys.exit(0)
