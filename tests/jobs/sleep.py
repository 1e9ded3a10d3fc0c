"""Tacitus integration-test job that runs until it is killed.

Usage: sleep.py [TOKEN [SECONDS]]

Builds a tiny SparkSession, prints "SLEEPING pid=<pid of this Python driver> token=<TOKEN>"
(flushed) and sleeps SECONDS (default 300).  The test reads the pid from the batch log, DELETEs
the batch and then checks that this Python process and the spark-submit JVM are gone.
"""
import os
import sys
import time


def main(argv):
    token = argv[1] if len(argv) > 1 else "-"
    seconds = float(argv[2]) if len(argv) > 2 else 300.0

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.appName("tacitus-sleep")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    try:
        print(f"SLEEPING pid={os.getpid()} token={token}", flush=True)
        time.sleep(seconds)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
