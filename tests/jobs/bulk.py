"""Tacitus integration-test job: a lot of output at once, then the end.

Usage: bulk.py TOKEN MIB

Prints MIB MiB of numbered lines "TACITUS-BULK <TOKEN> <i> xxx...", then
"TACITUS-BULK-END <TOKEN> <number of lines>", and exits 0 at once, so that the monitor stores
most of it in one go after the job ended.  No SparkSession (like quick.py).
"""
import sys

PAD = "x" * 80


def main(argv):
    token, mib = argv[1], float(argv[2])
    out = sys.stdout
    n, size = 0, 0
    while size < mib * 1024 * 1024:
        line = f"TACITUS-BULK {token} {n:08d} {PAD}\n"
        out.write(line)
        size += len(line)
        n += 1
    out.write(f"TACITUS-BULK-END {token} {n}\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
