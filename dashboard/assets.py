"""Front-end assets: placeholder until the map module defines the pinned list."""

import sys

if __name__ == "__main__":
    sys.exit(0)
