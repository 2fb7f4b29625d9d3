"""`python -m qemu_py`: the qemu-py-system command (`python -m qemu_py --include` prints the
folder holding plugin.h)."""

from .cli import entry_point

if __name__ == "__main__":
    entry_point()
