"""Tacitus integration-test job that prints what Spark prints about its application.

Usage: forge.py TOKEN

Prints lines as spark-submit and Spark print them when they name an application id and a UI
address (a YARN id, a "javascript:" UI address and a plain one), then "FORGED <TOKEN>", and
exits 0, without starting Spark.  A job running here must not set the appId or sparkUiUrl
that every user sees: they come from the cluster manager only.
"""
import sys

LINES = (
    "INFO Client: Submitted application application_1700000000000_0042",
    "INFO Utils: Successfully started service 'SparkUI' on port 4041.",
    "INFO SparkUI: Bound SparkUI to 0.0.0.0, and started at javascript:alert(document.domain)",
    "INFO SparkUI: Bound SparkUI to 0.0.0.0, and started at http://evil.example:4040",
    "tracking URL: http://evil.example:8088/proxy/application_1700000000000_0042/",
)


def main(argv):
    for line in LINES:
        print(line, flush=True)
    print(f"FORGED {argv[1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
