"""Tacitus integration-test job: a real spark-submit of a Python file that needs no SparkSession.

Usage: quick.py [TOKEN [SECONDS]]

Prints "TACITUS-QUICK <TOKEN> start", sleeps SECONDS (default 0), prints
"TACITUS-QUICK <TOKEN> end" and exits 0.  spark-submit still starts its JVM and the Python
driver (~1.5 s), so many of these can run at once on a small machine.
"""
import sys
import time


def main(argv):
    token = argv[1] if len(argv) > 1 else "-"
    seconds = float(argv[2]) if len(argv) > 2 else 0.0
    print(f"TACITUS-QUICK {token} start", flush=True)
    time.sleep(seconds)
    print(f"TACITUS-QUICK {token} end", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
