"""Tacitus integration-test job that fails.

Usage: fail.py [TOKEN]

Builds a tiny SparkSession, prints the marker line "TACITUS-FAIL <TOKEN>", stops Spark and
exits with status 3 (spark-submit then exits 3 too: PythonRunner turns the Python exit code
into SparkUserAppException(3)).  The batch must end in state "dead".
"""
import sys


def main(argv):
    token = argv[1] if len(argv) > 1 else "-"

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.appName("tacitus-fail")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    try:
        print(f"TACITUS-FAIL {token}", flush=True)
    finally:
        spark.stop()
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
