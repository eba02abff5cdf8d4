"""Print the exact pins of environment.yml's pip list, one per line (a pip constraints file).

Standard library only: `make` runs it before the virtual environment exists.
"""

import re
import sys
from pathlib import Path

PIN = re.compile(r"^\s*-\s+([A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+)\s*$")


def pins(path: Path) -> list[str]:
    found = [m.group(1) for line in path.read_text().splitlines() if (m := PIN.match(line))]
    if not found:
        sys.exit(f"error: no 'name==version' pins found in {path}")
    return found


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(pins(root / "environment.yml")))
