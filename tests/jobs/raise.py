"""Tacitus integration-test job that fails with a Python exception.

Usage: raise.py [TOKEN]

Builds a tiny SparkSession, prints "TACITUS-RAISE <TOKEN>", stops Spark and raises
ValueError("TACITUS-TRACEBACK <TOKEN>"): the traceback, with that text, must reach the
batch's log (on YARN, from the application master's container), and the batch ends dead.
"""
import sys


def main(argv):
    token = argv[1] if len(argv) > 1 else "-"

    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("tacitus-raise").getOrCreate()
    try:
        print(f"TACITUS-RAISE {token}", flush=True)
    finally:
        spark.stop()
    raise ValueError(f"TACITUS-TRACEBACK {token}")


if __name__ == "__main__":
    main(sys.argv)
