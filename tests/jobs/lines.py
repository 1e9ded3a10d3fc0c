"""Tacitus integration-test job: one line that is hard to store, then lines that are not.

Usage: lines.py KIND TOKEN [SECONDS]

Prints "TACITUS-LINES <TOKEN> before", then the line of KIND:
    utf8     "a" followed by 10,000 "é" (20,001 bytes of UTF-8: longer than the monitor's line
             limit of 16,384 bytes, which once cut it inside a character)
    poison   "TACITUS-POISON <TOKEN>" (a test makes PostgreSQL refuse it)
then "TACITUS-LINES <TOKEN> after <i>" every half second for 5 s (each flushed), and sleeps
SECONDS (default 300) until it is killed.  No SparkSession (like quick.py).
"""
import sys
import time

LONG_LINE = "a" + "\u00e9" * 10000


def main(argv):
    kind, token = argv[1], argv[2]
    seconds = float(argv[3]) if len(argv) > 3 else 300.0
    line = {"utf8": LONG_LINE, "poison": f"TACITUS-POISON {token}"}[kind]
    out = sys.stdout.buffer
    out.write(f"TACITUS-LINES {token} before\n{line}\n".encode("utf-8"))
    out.flush()
    for i in range(10):
        time.sleep(0.5)
        out.write(f"TACITUS-LINES {token} after {i}\n".encode("utf-8"))
        out.flush()
    time.sleep(seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
