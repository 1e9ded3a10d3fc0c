"""Tacitus integration-test job: lines that are hard to store byte for byte, in several
flushes, then many short ones at once.

Usage: odd.py TOKEN

Prints "TACITUS-ODD <TOKEN> begin", then groups of lines, with a flush and a pause of 1.5 s
after the begin line and each group (so that the monitor stores each apart, as a chunk of
its own): one empty line alone; lines with tabs, backslashes, a carriage return inside,
"\\n" as two characters and UTF-8 of 2 to 4 bytes; two empty lines.  Then 4,500 numbered
lines "TACITUS-ODD <TOKEN> <i>" at once (more than a chunk's 2,000 lines) and "TACITUS-ODD
<TOKEN> end", and exits 0.  odd_lines() is what it prints between begin and end.  No
SparkSession (like quick.py).
"""
import sys
import time

GROUPS = [
    [""],
    ["a\tb\t", "back\\slash", "\\", "\\n is two characters", "cr\rinside", "\t",
     "\u00e9t\u00e9 \u20ac \U0001d11e", " leading and trailing "],
    ["", ""],
]


def odd_lines(token):
    """The lines between begin and end, as the log must show them."""
    return [line for group in GROUPS for line in group] + \
        [f"TACITUS-ODD {token} {i}" for i in range(4500)]


def main(argv):
    token = argv[1]
    out = sys.stdout.buffer
    out.write(f"TACITUS-ODD {token} begin\n".encode())
    out.flush()
    time.sleep(1.5)
    for group in GROUPS:
        out.write("".join(line + "\n" for line in group).encode("utf-8"))
        out.flush()
        time.sleep(1.5)
    out.write("".join(f"TACITUS-ODD {token} {i}\n" for i in range(4500)).encode())
    out.write(f"TACITUS-ODD {token} end\n".encode())
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
