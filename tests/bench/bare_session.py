"""What a session driver costs at least: spark-submit of a Python file that builds the
SparkSession (as app/repl.py does) and says READY; tests/bench/sessions.py times it."""
from pyspark.sql import SparkSession

SparkSession.builder.getOrCreate()
print("READY", flush=True)
