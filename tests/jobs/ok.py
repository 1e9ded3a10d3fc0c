"""Tacitus integration-test job that succeeds.

Usage: ok.py [LINES [TOKEN]]

1. Prints LINES numbered lines "TACITUS-LINE <TOKEN> <i>" (i = 0 .. LINES-1).  They are
   printed before Spark starts, while the spark-submit JVM is idle, so that no JVM log line
   can be interleaved into the middle of one of them in the merged stdout+stderr stream.
2. Builds a tiny SparkSession (the master comes from the server), counts range(1000) and
   prints "TACITUS-OK 1000".
3. Exits 0.
"""
import sys


def main(argv):
    lines = int(argv[1]) if len(argv) > 1 else 0
    token = argv[2] if len(argv) > 2 else "-"

    out = sys.stdout
    for i in range(lines):
        out.write(f"TACITUS-LINE {token} {i}\n")
    out.flush()

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.appName("tacitus-ok")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    try:
        n = spark.range(1000).count()
        print(f"TACITUS-OK {n}", flush=True)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
