"""Tacitus integration-test job that shows what environment a job gets.

Usage: env.py [TOKEN [NAME...]]

Prints "TACITUS-ENV <TOKEN> <JSON list of the sorted names of its environment>" (names only:
the values may be secrets) and, for each NAME given, "TACITUS-ENV-VALUE <TOKEN> NAME=<value>"
("NAME unset" when it is not set), then exits 0.  No SparkSession: the Python driver that
spark-submit starts is what a job's code runs in.
"""
import json
import os
import sys


def main(argv):
    token = argv[1] if len(argv) > 1 else "-"
    print(f"TACITUS-ENV {token} {json.dumps(sorted(os.environ))}", flush=True)
    for name in argv[2:]:
        value = os.environ.get(name)
        shown = f"{name} unset" if value is None else f"{name}={value}"
        print(f"TACITUS-ENV-VALUE {token} {shown}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
