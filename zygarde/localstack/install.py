"""``python -m zygarde.localstack.install``: install (or find cached) every stack component."""

from __future__ import annotations

import sys
import time

from zygarde.errors import StackError
from zygarde.localstack.components import INFRA
from zygarde.settings import load


def main() -> int:
    settings = load()
    for name, cls in INFRA.items():
        started = time.monotonic()
        try:
            cls(settings).install()
        except StackError as exc:
            print(f"✗ {exc}", file=sys.stderr)
            return 1
        print(f"✓ {name} installed ({time.monotonic() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
